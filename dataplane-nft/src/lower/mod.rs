//! Lowering a compiled [`Snapshot`] into a [`Ruleset`]: pure, deterministic, unit-tested
//! without privileges.
//!
//! [`lower`] builds the dataplane table for a set of interface [`Binding`]s: base chains on the
//! netfilter hooks dispatch by interface through verdict maps to per-endpoint chains, which
//! accept established and related connections first, drop invalid ones, and run the endpoint's
//! programs (the private `layout` module documents the full picture). [`lower_oracle`] builds the table the
//! [`crate::engine::NftEngine`] uses: every program of the snapshot behind one output-hook base
//! chain, selected by packet mark.

mod classifier;
mod layout;
mod mdd;
mod program;
mod rules;
mod sets;
mod tree;

use std::collections::BTreeMap;

use palisade_compiler::Snapshot;
use palisade_compiler::classifier::ClassifierConfig;
use palisade_compiler::ir::{Hook, ProgramTarget};
use palisade_policy_model::calico::EndpointToHostAction;
use palisade_policy_model::model::EndpointKey;

pub use layout::{ORACLE_ALLOW_COUNTER, ORACLE_NO_VERDICT_COUNTER};

use crate::error::LowerError;
use crate::marks::MarkLayout;
use crate::names::content_hash;
use crate::ruleset::{MAX_IFNAME_LEN, Ruleset};

/// How programs become chains.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LoweringMode {
    /// One nft rule per IR rule, in shared per-policy chains (Calico's layout). Per-packet cost
    /// grows with the number of rules a packet traverses.
    PerRule,
    /// Decision diagrams of verdict maps, one lookup per field, built straight from the rules:
    /// the per-packet cost does not grow with the number of rules, and building is cheap.
    #[default]
    DecisionTree,
    /// Decision diagrams built from the compiler's fast-classifier tables (blocks of class
    /// tuples): flat per-packet cost too, but building costs the classifier's build and grows
    /// with its key tables.
    Classifier,
}

/// Options of the lowering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LowerOptions {
    /// Table name (family `inet`). Default `palisade`.
    pub table: String,
    /// How programs become chains.
    pub mode: LoweringMode,
    /// Where the mark bits the ruleset uses are.
    pub marks: MarkLayout,
    /// What happens to traffic from a local workload to the host once its egress policy
    /// allowed it (FelixConfiguration `defaultEndpointToHostAction`, SEMANTICS §3).
    pub endpoint_to_host: EndpointToHostAction,
    /// First word of every log prefix. Default `palisade`.
    pub log_prefix: String,
    /// The classifier's budget ([`LoweringMode::Classifier`]).
    pub classifier: ClassifierConfig,
    /// Give every IR rule a named counter (`c_<program>_<rule>`, listed in
    /// [`ProgramInfo::counters`]). Off by default: the counters cost a chain per rule in the
    /// decision diagrams, and an address joining an allowing rule's set then adds `goto`
    /// elements, which make the kernel re-validate the whole table at commit. The engine
    /// ([`crate::engine::NftEngine`]) turns them on: they are how it tells which rule decided.
    pub rule_counters: bool,
}

impl Default for LowerOptions {
    fn default() -> LowerOptions {
        LowerOptions {
            table: "palisade".to_owned(),
            mode: LoweringMode::default(),
            marks: MarkLayout::default(),
            endpoint_to_host: EndpointToHostAction::Drop,
            log_prefix: "palisade".to_owned(),
            classifier: ClassifierConfig::new(),
            rule_counters: false,
        }
    }
}

/// An endpoint enforced on an interface: a workload on its host-side interface (e.g. the veth
/// of a pod), or a host endpoint on a host interface or on all of them (`*`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Binding {
    /// Interface name, or `*` for a host endpoint on every interface not otherwise bound.
    pub interface: String,
    /// The endpoint.
    pub endpoint: EndpointKey,
}

impl Binding {
    /// A binding.
    pub fn new(interface: impl Into<String>, endpoint: EndpointKey) -> Binding {
        Binding {
            interface: interface.into(),
            endpoint,
        }
    }
}

/// Where a lowered program is and how to read its counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramInfo {
    /// The entry chain.
    pub entry: String,
    /// The named counter of each IR rule, by rule index (empty without
    /// [`LowerOptions::rule_counters`]).
    pub counters: Vec<String>,
}

/// A lowered snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lowered {
    /// The table.
    pub ruleset: Ruleset,
    /// Every lowered program, by the targets that use it.
    pub programs: BTreeMap<ProgramTarget, ProgramInfo>,
    /// For [`lower_oracle`]: the mark that selects each target's program.
    pub oracle_marks: BTreeMap<ProgramTarget, u32>,
}

fn check_options(opts: &LowerOptions) -> Result<(), LowerError> {
    let t = &opts.table;
    if t.is_empty()
        || t.len() > 64
        || !t.starts_with(|c: char| c.is_ascii_alphabetic())
        || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(LowerError::BadOptions(format!(
            "table name `{t}` must be a letter followed by letters, digits or `_`"
        )));
    }
    if opts.log_prefix.len() > 32 {
        return Err(LowerError::BadOptions(
            "log prefix longer than 32 bytes".into(),
        ));
    }
    Ok(())
}

fn check_interface(name: &str) -> Result<(), LowerError> {
    if name.is_empty()
        || name.len() > MAX_IFNAME_LEN
        || !name
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\' && c != '/')
    {
        return Err(LowerError::BadInterface {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Builds the ruleset while deduplicating programs by content.
struct Builder<'a> {
    snapshot: &'a Snapshot,
    opts: &'a LowerOptions,
    ruleset: Ruleset,
    by_hash: BTreeMap<String, ProgramInfo>,
    programs: BTreeMap<ProgramTarget, ProgramInfo>,
}

impl<'a> Builder<'a> {
    fn new(snapshot: &'a Snapshot, opts: &'a LowerOptions) -> Builder<'a> {
        Builder {
            snapshot,
            opts,
            ruleset: Ruleset::new(opts.table.clone()),
            by_hash: BTreeMap::new(),
            programs: BTreeMap::new(),
        }
    }

    /// The program at `target`, lowered once per distinct content.
    fn program(&mut self, target: &ProgramTarget) -> Result<Option<ProgramInfo>, LowerError> {
        let Some(program) = self.snapshot.program(target) else {
            return Ok(None);
        };
        let hash = content_hash(&(&**program, self.opts.mode));
        if let Some(info) = self.by_hash.get(&hash) {
            self.programs.insert(target.clone(), info.clone());
            return Ok(Some(info.clone()));
        }
        let mut ctx = program::Ctx {
            ruleset: &mut self.ruleset,
            ip_sets: &self.snapshot.sets,
            marks: self.opts.marks,
            log_prefix: &self.opts.log_prefix,
            counters: self.opts.rule_counters,
        };
        let chains = match self.opts.mode {
            LoweringMode::PerRule => {
                program::lower_program(&mut ctx, program, &hash, &target.to_string())?
            }
            LoweringMode::DecisionTree => {
                mdd::lower_program(&mut ctx, program, &hash, &target.to_string())?
            }
            LoweringMode::Classifier => classifier::lower_program(
                &mut ctx,
                program,
                &hash,
                &target.to_string(),
                &self.opts.classifier,
            )?,
        };
        let info = ProgramInfo {
            entry: chains.entry,
            counters: chains.counters,
        };
        self.by_hash.insert(hash, info.clone());
        self.programs.insert(target.clone(), info.clone());
        Ok(Some(info))
    }

    fn required(&mut self, endpoint: &EndpointKey, hook: Hook) -> Result<String, LowerError> {
        let target = ProgramTarget {
            endpoint: endpoint.clone(),
            hook,
        };
        self.program(&target)?
            .map(|i| i.entry)
            .ok_or_else(|| LowerError::MissingProgram {
                endpoint: endpoint.to_string(),
                hook: hook.to_string(),
            })
    }

    fn optional(
        &mut self,
        endpoint: &EndpointKey,
        hook: Hook,
    ) -> Result<Option<String>, LowerError> {
        let target = ProgramTarget {
            endpoint: endpoint.clone(),
            hook,
        };
        Ok(self.program(&target)?.map(|i| i.entry))
    }

    fn finish(self, oracle_marks: BTreeMap<ProgramTarget, u32>) -> Result<Lowered, LowerError> {
        self.ruleset.validate()?;
        Ok(Lowered {
            ruleset: self.ruleset,
            programs: self.programs,
            oracle_marks,
        })
    }
}

/// The dataplane table for `bindings`: dispatch from the netfilter hooks by interface to the
/// bound endpoints' programs. Only programs of bound endpoints are included.
pub fn lower(
    snapshot: &Snapshot,
    bindings: &[Binding],
    opts: &LowerOptions,
) -> Result<Lowered, LowerError> {
    check_options(opts)?;
    let mut seen = std::collections::BTreeSet::new();
    let mut wildcard = false;
    for b in bindings {
        if b.interface == "*" {
            if matches!(b.endpoint, EndpointKey::Workload { .. }) {
                return Err(LowerError::WildcardWorkload {
                    endpoint: b.endpoint.to_string(),
                });
            }
            if wildcard {
                return Err(LowerError::DuplicateWildcard);
            }
            wildcard = true;
            continue;
        }
        check_interface(&b.interface)?;
        if !seen.insert(b.interface.as_str()) {
            return Err(LowerError::DuplicateInterface {
                name: b.interface.clone(),
            });
        }
    }
    let mut builder = Builder::new(snapshot, opts);
    layout::build(&mut builder, bindings)?;
    builder.finish(BTreeMap::new())
}

/// The table the engine decides packets with: every program of the snapshot, behind an
/// output-hook base chain that picks the program by the packet's mark (see
/// [`Lowered::oracle_marks`]), then counts the outcome in [`ORACLE_ALLOW_COUNTER`] (allowed) or
/// [`ORACLE_NO_VERDICT_COUNTER`] (returned without a verdict) and lets the packet pass; a
/// denied packet is dropped inside the program. The mark layout must leave the low 16 bits
/// free (shift of at least 16).
pub fn lower_oracle(snapshot: &Snapshot, opts: &LowerOptions) -> Result<Lowered, LowerError> {
    check_options(opts)?;
    if opts.marks.shift() < 16 {
        return Err(LowerError::BadOptions(
            "the oracle selects programs by the low 16 mark bits; use a mark shift of 16 or more"
                .into(),
        ));
    }
    if snapshot.programs.len() >= 1 << 16 {
        return Err(LowerError::BadOptions(format!(
            "the oracle numbers at most 65535 programs, the snapshot has {}",
            snapshot.programs.len()
        )));
    }
    let mut builder = Builder::new(snapshot, opts);
    let marks = layout::build_oracle(&mut builder)?;
    builder.finish(marks)
}

#[cfg(test)]
mod tests;
