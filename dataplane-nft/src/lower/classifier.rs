//! A program as lookups whose cost does not grow with its size, built from the compiler's
//! fast-classifier tables ([`ClassifierTables`]).
//!
//! The classifier splits the program into blocks of consecutive rules (a Pass from an earlier
//! block always lands on a block's first rule). Each block maps the tuple of its fields'
//! block-local classes to an entry: the decisive rule plus the steps before it (Log rules, and
//! Pass rules taken within the block: counted, not logged). Here every table block
//! becomes a decision tree of single-field verdict maps, one field per level:
//!
//! ```text
//! p_<hash>_4:  ... jump n_<hash>_4_<block>_0            (guarded by the pass field)
//!              meta mark & (allow|stop) != 0 return
//! n_..._0:     ip saddr vmap @m_..._0                     class runs of the field → goto next level
//!              goto a_<hash>_<entry>                      (the block's default entry, if any)
//! n_..._1:     meta l4proto @pal_l4_ports th dport vmap @m_..._1   every port value is covered
//!              goto ...                                   (packets without ports: the absent class)
//! a_<hash>_<e>: counter … log … counter … <action>        (the entry: its steps, its rule)
//! ```
//!
//! A packet costs one lookup per field of each block it traverses, whatever the number of rules
//! (interval maps are red-black trees; a lookup grows with the logarithm of their size). Fields
//! with many value runs (addresses) come first so that their elements are not repeated under
//! other fields. Ports and ICMP are looked up only when the packet carries them (port-carrying
//! protocol, ICMP of the chain's family, a complete header); their maps cover every value, so a
//! packet that carries the field never reaches the "absent" rule. Direct blocks (rules the
//! classifier could not tabulate within its budget) are lowered rule by rule, as in
//! [`super::program`]. Pass, the mark protocol and counters are the same as there, so the two
//! modes are interchangeable for every caller.

use std::collections::BTreeMap;

use palisade_compiler::classifier::{
    BlockKind, BlockTable, Classifier, ClassifierConfig, ClassifierTables, FAMILY_V4, FAMILY_V6,
    Field as CField, NO_RULE,
};
use palisade_compiler::ir::{IrAction, Program};

use super::program::{Ctx, PassStyle, ProgramChains, finish, log_prefix, pass_ordinals, rule_for};
use super::tree::{Emitter, MissStyle, NodeSpec, Target, TreeField};
use crate::error::LowerError;
use crate::names::safe_text;
use crate::ruleset::{Chain, Family, MAX_COMMENT_LEN, Match, Rule, Stmt, Verdict};

/// The value runs of every class of one field of one block, for one family.
enum Runs {
    /// `(lo, hi)` runs by class; `absent` is the class of packets without the field.
    Scalar {
        by_class: BTreeMap<u32, Vec<(u128, u128)>>,
        absent: Option<u32>,
    },
    /// Address runs by class.
    Addr(BTreeMap<u32, Vec<(u128, u128)>>),
}

impl Runs {
    fn count(&self) -> usize {
        match self {
            Runs::Scalar { by_class, .. } | Runs::Addr(by_class) => {
                by_class.values().map(Vec::len).sum()
            }
        }
    }

    fn by_class(&self) -> &BTreeMap<u32, Vec<(u128, u128)>> {
        match self {
            Runs::Scalar { by_class, .. } | Runs::Addr(by_class) => by_class,
        }
    }
}

fn family_value(f: Family) -> u32 {
    match f {
        Family::V4 => FAMILY_V4,
        Family::V6 => FAMILY_V6,
    }
}

fn runs(tables: &ClassifierTables, block: usize, field: CField, family: Family) -> Runs {
    if field.is_addr() {
        let mut by_class: BTreeMap<u32, Vec<(u128, u128)>> = BTreeMap::new();
        for r in tables.addr_classes(block, field).unwrap_or_default() {
            let (lo, hi) = match (r.first, r.last) {
                (std::net::IpAddr::V4(a), std::net::IpAddr::V4(b)) if family == Family::V4 => {
                    (u128::from(u32::from(a)), u128::from(u32::from(b)))
                }
                (std::net::IpAddr::V6(a), std::net::IpAddr::V6(b)) if family == Family::V6 => {
                    (u128::from(a), u128::from(b))
                }
                _ => continue,
            };
            by_class.entry(r.class).or_default().push((lo, hi));
        }
        return Runs::Addr(by_class);
    }
    let classes = tables.scalar_classes(block, field);
    let mut by_class: BTreeMap<u32, Vec<(u128, u128)>> = BTreeMap::new();
    let mut absent = None;
    if let Some(c) = classes {
        for r in &c.ranges {
            by_class
                .entry(r.class)
                .or_default()
                .push((u128::from(r.first), u128::from(r.last)));
        }
        absent = c.absent;
    }
    Runs::Scalar { by_class, absent }
}

/// Lowering state of one program.
struct Flat<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    program: &'c Program,
    tables: &'c ClassifierTables,
    hash: &'c str,
    targets: &'c BTreeMap<u32, u8>,
    acts: BTreeMap<u32, Target>,
    family: Family,
}

impl Flat<'_, '_> {
    fn counter(&self, rule: u32) -> String {
        format!("c_{}_{rule}", self.hash)
    }

    /// The chain of an entry (declared once), or `Miss` for an entry that does nothing.
    fn act(&mut self, entry_id: u32) -> Target {
        if let Some(t) = self.acts.get(&entry_id) {
            return t.clone();
        }
        let target = self.build_act(entry_id);
        self.acts.insert(entry_id, target.clone());
        target
    }

    fn build_act(&mut self, entry_id: u32) -> Target {
        let Some(entry) = self.tables.entries.get(entry_id as usize).copied() else {
            return Target::Miss;
        };
        let steps = self.tables.entry_steps(&entry).to_vec();
        if steps.is_empty() && entry.rule == NO_RULE {
            return Target::Miss;
        }
        let rules = self.program.rules();
        let mut rule = Rule::default();
        // Steps: Log rules (counted and logged) and Pass rules taken within the block (counted:
        // the counters are the trace).
        for l in &steps {
            if self.ctx.counters {
                rule.stmts.push(Stmt::Counter(self.counter(*l)));
            }
            if let Some(ir) = rules.get(*l as usize)
                && ir.action == IrAction::Log
            {
                rule.stmts.push(Stmt::Log {
                    prefix: log_prefix(self.ctx.log_prefix, &ir.origin),
                });
            }
        }
        let comment;
        if let Some(ir) = rules.get(entry.rule as usize) {
            if self.ctx.counters {
                rule.stmts.push(Stmt::Counter(self.counter(entry.rule)));
            }
            comment = ir.origin.to_string();
            let pass = match ir.action {
                IrAction::Pass { to } => PassStyle::Inline(
                    self.ctx
                        .marks
                        .pass_value(self.targets.get(&to).copied().unwrap_or(0)),
                ),
                _ => PassStyle::Shared,
            };
            rule = finish(rule, ir.action, &self.ctx.marks, pass);
        } else {
            comment = "steps".to_owned();
        }
        if rule.stmts.is_empty() && rule.verdict.is_none() {
            // Uncounted steps that log nothing: nothing to do.
            return Target::Miss;
        }
        rule.comment = Some(safe_text(&comment, MAX_COMMENT_LEN));
        let name = format!("a_{}_{entry_id}", self.hash);
        self.ctx.ruleset.chains.insert(
            name.clone(),
            Chain {
                base: None,
                rules: vec![rule],
            },
        );
        Target::Chain(name)
    }

    /// Lowers table block `k` for `family`: returns the chain to jump to, or `Miss`.
    fn block(&mut self, k: usize, block: &BlockTable, family: Family) -> Target {
        let fam_class = block
            .projection(CField::Family)
            .map(|p| p.class_of(self.tables.atoms.family.atom_of(family_value(family))));
        let mut fields: Vec<CField> = block
            .fields
            .iter()
            .map(|p| p.field)
            .filter(|f| *f != CField::Family)
            .collect();
        let field_runs: BTreeMap<CField, Runs> = fields
            .iter()
            .map(|f| (*f, runs(self.tables, k, *f, family)))
            .collect();
        // Fields with few runs first, addresses (many runs) last: their elements then sit in
        // leaves that only hold the values relevant below their path.
        fields.sort_by_key(|f| field_runs[f].count());
        let mut tuples: Vec<(Vec<u32>, u32)> = Vec::with_capacity(block.entries.len());
        for ke in &block.entries {
            let unpacked: BTreeMap<CField, u32> = block.unpack_key(ke.key).into_iter().collect();
            if let Some(fc) = fam_class
                && unpacked.get(&CField::Family) != Some(&fc)
            {
                continue;
            }
            let tuple = fields
                .iter()
                .map(|f| unpacked.get(f).copied().unwrap_or(0))
                .collect();
            tuples.push((tuple, ke.entry));
        }
        let default = self.act(block.default_entry);
        let mut tree = Tree {
            fields: &fields,
            runs: &field_runs,
            default,
            emitter: Emitter::new(
                format!("{}_{}_{k}", self.hash, family.digit()),
                family,
                MissStyle::Return,
            ),
        };
        tree.node(self, 0, tuples)
    }
}

/// Builds the decision tree of one block from its keys (see [`Emitter`] for sharing).
struct Tree<'f> {
    fields: &'f [CField],
    runs: &'f BTreeMap<CField, Runs>,
    default: Target,
    emitter: Emitter,
}

fn tree_field(f: CField) -> TreeField {
    match f {
        CField::Protocol | CField::Family => TreeField::Protocol,
        CField::SrcAddr => TreeField::SrcAddr,
        CField::DstAddr => TreeField::DstAddr,
        CField::SrcPort => TreeField::SrcPort,
        CField::DstPort => TreeField::DstPort,
        CField::Icmp => TreeField::Icmp,
    }
}

impl Tree<'_> {
    fn node(
        &mut self,
        flat: &mut Flat<'_, '_>,
        level: usize,
        group: Vec<(Vec<u32>, u32)>,
    ) -> Target {
        let fields: &[CField] = self.fields;
        let Some(&field) = fields.get(level) else {
            return match group.first() {
                Some((_, entry)) => flat.act(*entry),
                None => self.default.clone(),
            };
        };
        let mut children: BTreeMap<u32, Vec<(Vec<u32>, u32)>> = BTreeMap::new();
        for (tuple, entry) in group {
            let class = tuple.get(level).copied().unwrap_or(0);
            children.entry(class).or_default().push((tuple, entry));
        }
        let mut targets: BTreeMap<u32, Target> = BTreeMap::new();
        for (class, g) in children {
            let t = self.node(flat, level + 1, g);
            targets.insert(class, t);
        }
        let all_runs: &BTreeMap<CField, Runs> = self.runs;
        let runs = &all_runs[&field];
        let default = self.default.clone();
        let lead = |class: u32| {
            targets
                .get(&class)
                .cloned()
                .unwrap_or_else(|| default.clone())
        };
        let absent = match runs {
            Runs::Scalar {
                absent: Some(a), ..
            } => lead(*a),
            _ => default.clone(),
        };
        let mut regions: Vec<((u128, u128), Target)> = Vec::new();
        for (class, ranges) in runs.by_class() {
            let t = lead(*class);
            for &r in ranges {
                regions.push((r, t.clone()));
            }
        }
        regions.sort();
        let spec = NodeSpec {
            field: tree_field(field),
            regions,
            absent,
        };
        // Values the runs do not list (none, for tables the classifier exports) lead to the
        // default entry.
        let spec = fill_gaps(spec, default, flat.family);
        self.emitter.emit(flat.ctx.ruleset, spec)
    }
}

/// Makes the regions of `spec` cover the field's whole domain, sending uncovered values to
/// `default`.
fn fill_gaps(mut spec: NodeSpec, default: Target, family: Family) -> NodeSpec {
    let max = spec.field.max(family);
    let mut out = Vec::with_capacity(spec.regions.len() + 2);
    let mut next = Some(0u128);
    for ((lo, hi), t) in spec.regions.drain(..) {
        if let Some(n) = next
            && n < lo
        {
            out.push(((n, lo - 1), default.clone()));
        }
        next = hi.checked_add(1);
        out.push(((lo, hi), t));
    }
    if let Some(n) = next
        && n <= max
    {
        out.push(((n, max), default));
    }
    spec.regions = out;
    spec
}

/// Lowers `program` (identified by `hash`) through its classifier tables.
pub(crate) fn lower_program(
    ctx: &mut Ctx<'_>,
    program: &Program,
    hash: &str,
    target: &str,
    config: &ClassifierConfig,
) -> Result<ProgramChains, LowerError> {
    let classifier = Classifier::build_with(program, ctx.ip_sets, config).map_err(|e| {
        LowerError::Classifier {
            target: target.to_owned(),
            message: e.to_string(),
        }
    })?;
    let tables = classifier.tables();
    let rules = program.rules();
    let targets = pass_ordinals(program, target)?;
    let marks = ctx.marks;
    let counters: Vec<String> = (0..rules.len()).map(|i| format!("c_{hash}_{i}")).collect();
    let counters_info = ctx.declare_counters(&counters);
    let guard = (!targets.is_empty()).then_some(Match::Mark {
        mask: marks.pass_field(),
        value: 0,
        negate: false,
    });
    let done = Rule::verdict(Verdict::Return).when(Match::Mark {
        mask: marks.allow() | marks.stop(),
        value: 0,
        negate: true,
    });
    let mut flat = Flat {
        ctx,
        program,
        tables,
        hash,
        targets: &targets,
        acts: BTreeMap::new(),
        family: Family::V4,
    };
    let entry = format!("p_{hash}");
    let mut entry_chain = Chain::default();
    for family in Family::BOTH {
        flat.family = family;
        let name = format!("p_{hash}_{}", family.digit());
        entry_chain
            .rules
            .push(Rule::verdict(Verdict::Goto(name.clone())).when(Match::Nfproto(family)));
        let mut chain = Chain::default();
        chain
            .rules
            .push(Rule::default().then(Stmt::mark_set(marks.program_scratch(), 0)));
        for (k, block) in tables.blocks.iter().enumerate() {
            if let Some(ord) = targets.get(&block.first_rule) {
                chain.rules.push(
                    Rule::default()
                        .when(Match::Mark {
                            mask: marks.pass_field(),
                            value: marks.pass_value(*ord),
                            negate: false,
                        })
                        .then(Stmt::mark_set(marks.pass_field(), 0)),
                );
            }
            match block.kind {
                BlockKind::Direct => {
                    for i in block.first_rule..block.end_rule {
                        let Some(ir) = rules.get(i as usize) else {
                            continue;
                        };
                        let pass = match ir.action {
                            IrAction::Pass { to } => PassStyle::Inline(
                                marks.pass_value(targets.get(&to).copied().unwrap_or(0)),
                            ),
                            _ => PassStyle::Shared,
                        };
                        if let Some(rule) = rule_for(
                            flat.ctx,
                            ir,
                            family,
                            &counters[i as usize],
                            guard.clone(),
                            pass,
                        ) {
                            chain.rules.push(rule);
                        }
                    }
                }
                BlockKind::Table => {
                    if let Target::Chain(c) = flat.block(k, block, family) {
                        let mut jump = Rule::verdict(Verdict::Jump(c));
                        jump.matches.extend(guard.clone());
                        chain.rules.push(jump);
                        chain.rules.push(done.clone());
                    }
                }
            }
        }
        flat.ctx.ruleset.chains.insert(name, chain);
    }
    flat.ctx.ruleset.chains.insert(entry.clone(), entry_chain);
    Ok(ProgramChains {
        entry,
        counters: counters_info,
    })
}
