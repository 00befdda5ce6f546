//! `palisade compile`: dry-run dumps of what an endpoint's hooks compile to — the IR program with
//! the IP sets it references (`--emit ir`), or the fast classifier's tables (`--emit
//! classifier`), as text or JSON.

use std::io::{self, Write};

use palisade_compiler::Snapshot;
use palisade_compiler::classifier::{BlockKind, Classifier, RuleAction};
use palisade_compiler::ir::{Hook, IpSet, IpSetMembers, IpSetSource, ProgramTarget};
use palisade_policy_model::model::{Direction, EndpointKey, Model};
use serde_json::json;

use crate::report::origin_text;

/// Why a dump could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DumpError {
    /// The endpoint is not in the input.
    #[error("unknown endpoint {0}: no such pod, WorkloadEndpoint or HostEndpoint in the input")]
    UnknownEndpoint(String),
    /// The hook does not exist for this kind of endpoint.
    #[error("{endpoint} has no {hook} hook (workloads have {}; host endpoints have {})",
        hook_list(&Hook::WORKLOAD), hook_list(&Hook::HOST))]
    NoSuchHook {
        /// The endpoint.
        endpoint: String,
        /// The hook asked for.
        hook: Hook,
    },
    /// The snapshot has no program for a hook (it could not be compiled).
    #[error("no compiled program for {0}")]
    NoProgram(String),
    /// The classifier could not be built.
    #[error("{target}: cannot build the classifier: {message}")]
    Classifier {
        /// The program.
        target: String,
        /// Why.
        message: String,
    },
    /// Writing failed.
    #[error("cannot write the output: {message}")]
    Io {
        /// The kind of I/O error (a closed pipe is not worth a message).
        kind: io::ErrorKind,
        /// The error.
        message: String,
    },
}

impl From<io::Error> for DumpError {
    fn from(e: io::Error) -> DumpError {
        DumpError::Io {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

fn hook_list(hooks: &[Hook]) -> String {
    hooks
        .iter()
        .map(|h| h.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The program targets to dump: the endpoint's hooks, restricted to `hook` or to the hooks of
/// `direction` when given.
pub fn targets(
    model: &Model,
    endpoint: &EndpointKey,
    direction: Option<Direction>,
    hook: Option<Hook>,
) -> Result<Vec<ProgramTarget>, DumpError> {
    let hooks: &[Hook] = match endpoint {
        EndpointKey::Workload { .. } if model.workload(endpoint).is_some() => &Hook::WORKLOAD,
        EndpointKey::Host { .. } if model.host_endpoint(endpoint).is_some() => &Hook::HOST,
        _ => return Err(DumpError::UnknownEndpoint(endpoint.to_string())),
    };
    if let Some(h) = hook
        && !hooks.contains(&h)
    {
        return Err(DumpError::NoSuchHook {
            endpoint: endpoint.to_string(),
            hook: h,
        });
    }
    Ok(hooks
        .iter()
        .filter(|h| hook.is_none_or(|x| x == **h))
        .filter(|h| direction.is_none_or(|d| d == h.direction()))
        .map(|&hook| ProgramTarget {
            endpoint: endpoint.clone(),
            hook,
        })
        .collect())
}

/// The sets a program references, in first-use order, each once.
fn referenced_sets<'s>(snapshot: &'s Snapshot, target: &ProgramTarget) -> Vec<&'s IpSet> {
    let mut out: Vec<&IpSet> = Vec::new();
    if let Some(program) = snapshot.program(target) {
        for rule in program.rules() {
            for id in rule.matches.set_ids() {
                if let Some(set) = snapshot.sets.get(id)
                    && !out.iter().any(|s| s.id() == id)
                {
                    out.push(set);
                }
            }
        }
    }
    out
}

fn source_text(source: &IpSetSource) -> String {
    match source {
        IpSetSource::Selector { selector } => format!("endpoints matching {selector}"),
        IpSetSource::Nets => "CIDRs of the rule".to_owned(),
        IpSetSource::NamedPort {
            selector,
            protocol,
            name,
        } => {
            let proto = protocol.map_or_else(String::new, |p| format!(" protocol {p}"));
            format!("named port {name}{proto} on endpoints matching {selector}")
        }
        IpSetSource::Service {
            namespace,
            name,
            with_ports,
        } => format!(
            "service {namespace}/{name} ({})",
            if *with_ports {
                "endpoint addresses and ports"
            } else {
                "endpoint addresses"
            }
        ),
        IpSetSource::Domains { domains } => {
            let d: Vec<&str> = domains.iter().map(|d| &**d).collect();
            format!("DNS answers for {}", d.join(", "))
        }
        _ => "built in".to_owned(),
    }
}

fn members_text(members: &IpSetMembers) -> String {
    let items: Vec<String> = match members {
        IpSetMembers::Addrs(m) => m.iter().map(ToString::to_string).collect(),
        IpSetMembers::AddrPorts(m) => m
            .iter()
            .map(|a| format!("{},{},{}", a.addr, a.protocol, a.port))
            .collect(),
    };
    if items.is_empty() {
        "(empty)".to_owned()
    } else {
        items.join(" ")
    }
}

fn program<'s>(
    snapshot: &'s Snapshot,
    target: &ProgramTarget,
) -> Result<&'s palisade_compiler::ir::Program, DumpError> {
    snapshot
        .program(target)
        .map(|p| &**p)
        .ok_or_else(|| DumpError::NoProgram(target.to_string()))
}

/// Writes each target's IR program and the IP sets it references, as text.
pub fn write_ir_text(
    w: &mut dyn Write,
    snapshot: &Snapshot,
    targets: &[ProgramTarget],
) -> Result<(), DumpError> {
    for (i, target) in targets.iter().enumerate() {
        if i > 0 {
            writeln!(w)?;
        }
        let program = program(snapshot, target)?;
        writeln!(w, "# {target}")?;
        write!(w, "{program}")?;
        let sets = referenced_sets(snapshot, target);
        if !sets.is_empty() {
            writeln!(w, "IP sets ({}):", sets.len())?;
            for set in sets {
                writeln!(
                    w,
                    "  {}  {}: {}",
                    set.id(),
                    source_text(set.source()),
                    members_text(set.members())
                )?;
            }
        }
    }
    Ok(())
}

/// The IR dump as JSON: `[{"target", "program", "sets"}]`.
pub fn ir_json(
    snapshot: &Snapshot,
    targets: &[ProgramTarget],
) -> Result<serde_json::Value, DumpError> {
    let mut out = Vec::new();
    for target in targets {
        let program = program(snapshot, target)?;
        out.push(json!({
            "target": target,
            "program": program,
            "sets": referenced_sets(snapshot, target),
        }));
    }
    Ok(serde_json::Value::Array(out))
}

fn classifier(snapshot: &Snapshot, target: &ProgramTarget) -> Result<Classifier, DumpError> {
    Classifier::build(program(snapshot, target)?, &snapshot.sets).map_err(|e| {
        DumpError::Classifier {
            target: target.to_string(),
            message: e.to_string(),
        }
    })
}

fn action_word(a: RuleAction) -> &'static str {
    match a {
        RuleAction::Allow => "allow",
        RuleAction::Deny => "deny",
        RuleAction::Log => "log",
        RuleAction::Pass => "pass",
        RuleAction::NoVerdict => "no-verdict",
    }
}

/// Writes a text summary of each target's classifier tables: sizes, atoms per field, blocks with
/// their key fields, and the rule table with origins.
pub fn write_classifier_text(
    w: &mut dyn Write,
    snapshot: &Snapshot,
    targets: &[ProgramTarget],
) -> Result<(), DumpError> {
    for (i, target) in targets.iter().enumerate() {
        if i > 0 {
            writeln!(w)?;
        }
        let c = classifier(snapshot, target)?;
        let t = c.tables();
        let s = c.stats();
        writeln!(w, "# {target}: fast classifier")?;
        writeln!(
            w,
            "{} rules ({} never match), {} alternatives; {} blocks ({} by table, {} rule by rule); \
             {} keys, {} entries, about {} bytes",
            s.rules,
            s.never_matching_rules,
            s.alternatives,
            s.blocks,
            s.table_blocks,
            s.direct_blocks.len(),
            s.keys,
            s.entries,
            s.bytes
        )?;
        let atoms: Vec<String> = palisade_compiler::classifier::Field::ALL
            .iter()
            .map(|f| format!("{f} {}", t.atoms.atom_count(*f)))
            .collect();
        writeln!(w, "atoms per field: {}", atoms.join(", "))?;
        for (b, block) in t.blocks.iter().enumerate() {
            let how = match block.kind {
                BlockKind::Table => "table",
                BlockKind::Direct => "direct",
            };
            let fields: Vec<String> = block
                .fields
                .iter()
                .map(|p| {
                    format!(
                        "{} ({} {}, {} {})",
                        p.field,
                        p.class_count,
                        if p.class_count == 1 {
                            "class"
                        } else {
                            "classes"
                        },
                        p.bits,
                        if p.bits == 1 { "bit" } else { "bits" }
                    )
                })
                .collect();
            writeln!(
                w,
                "block {b}: rules {}..{}, {how}; key {}; {} keys",
                block.first_rule,
                block.end_rule,
                if fields.is_empty() {
                    "(none)".to_owned()
                } else {
                    fields.join(", ")
                },
                block.entries.len()
            )?;
        }
        writeln!(w, "rules:")?;
        let width = t.rules.len().to_string().len();
        for (r, info) in t.rules.iter().enumerate() {
            let origin = t
                .origins
                .get(info.origin as usize)
                .map_or_else(|| "?".to_owned(), origin_text);
            writeln!(
                w,
                "  {r:>width$}: {:<10} {origin}",
                action_word(info.action)
            )?;
        }
    }
    Ok(())
}

/// The classifier dump as JSON: `[{"target", "stats", "tables"}]` (the tables are the
/// documented [`palisade_compiler::classifier::ClassifierTables`] contract).
pub fn classifier_json(
    snapshot: &Snapshot,
    targets: &[ProgramTarget],
) -> Result<serde_json::Value, DumpError> {
    let mut out = Vec::new();
    for target in targets {
        let c = classifier(snapshot, target)?;
        out.push(json!({
            "target": target,
            "stats": c.stats(),
            "tables": c.tables(),
        }));
    }
    Ok(serde_json::Value::Array(out))
}
