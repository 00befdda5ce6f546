//! Batching for kernel engines: several compiled snapshots merged into one, so that a kernel
//! engine (whose load runs the BPF verifier or commits a ruleset) loads a batch of clusters in
//! one go and then evaluates all their flows.
//!
//! Part `k` of a merge has its endpoints renamed with the prefix `m<k>-` (workload namespaces
//! and host-endpoint names) and its IP sets with the prefix `m<k>:`, so programs and sets of
//! different parts never meet. [`Prefixed`] is the [`Engine`] a part's flows are evaluated
//! with: it renames each target and asks the shared engine. Only identifiers change; every
//! program keeps its rules, actions and origins, so decisions are the same as the part's own
//! (tested against the IR evaluator).

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_compiler::ir::IrRule;
use palisade_compiler::ir::{
    IpSet, IpSetId, IpSets, Match, PortMatch, Program, ProgramTarget, SideMatch,
};
use palisade_compiler::packet::PacketRepr;
use palisade_compiler::{Decision, Engine, EngineError, HttpRequest, Snapshot};
use palisade_policy_model::model::EndpointKey;

/// The endpoint of `target` renamed into part `prefix` of a merge.
pub fn prefixed_target(prefix: &str, target: &ProgramTarget) -> ProgramTarget {
    let endpoint = match &target.endpoint {
        EndpointKey::Workload { namespace, name } => EndpointKey::Workload {
            namespace: Arc::from(format!("{prefix}-{namespace}")),
            name: name.clone(),
        },
        EndpointKey::Host { name } => EndpointKey::Host {
            name: Arc::from(format!("{prefix}-{name}")),
        },
    };
    ProgramTarget {
        endpoint,
        hook: target.hook,
    }
}

fn set_id(prefix: &str, id: &IpSetId) -> IpSetId {
    IpSetId::from_raw(&format!("{prefix}:{}", id.as_str()))
}

fn port_match(prefix: &str, p: &PortMatch) -> PortMatch {
    let PortMatch { ranges, named } = p;
    PortMatch {
        ranges: ranges.clone(),
        named: named.iter().map(|id| set_id(prefix, id)).collect(),
    }
}

fn side(prefix: &str, s: &SideMatch) -> SideMatch {
    let SideMatch {
        sets,
        not_sets,
        ports,
        not_ports,
    } = s;
    SideMatch {
        sets: sets.iter().map(|id| set_id(prefix, id)).collect(),
        not_sets: not_sets.iter().map(|id| set_id(prefix, id)).collect(),
        ports: ports.as_ref().map(|p| port_match(prefix, p)),
        not_ports: not_ports.as_ref().map(|p| port_match(prefix, p)),
    }
}

fn matches(prefix: &str, m: &Match) -> Match {
    // Destructured field by field: a new field in `Match` fails to compile here instead of
    // being merged without renaming.
    let Match {
        ip_version,
        protocol,
        not_protocol,
        icmp,
        not_icmp,
        src,
        dst,
    } = m;
    Match {
        ip_version: *ip_version,
        protocol: *protocol,
        not_protocol: *not_protocol,
        icmp: *icmp,
        not_icmp: *not_icmp,
        src: side(prefix, src),
        dst: side(prefix, dst),
    }
}

fn program(prefix: &str, p: &Program) -> Result<Program, String> {
    let rules = p
        .rules()
        .iter()
        .map(|r| {
            let IrRule {
                matches: m,
                action,
                origin,
            } = r;
            IrRule {
                matches: matches(prefix, m),
                action: *action,
                origin: origin.clone(),
            }
        })
        .collect();
    Program::new(p.hook(), rules).map_err(|e| format!("renaming a program: {e}"))
}

/// The prefix of part `k`.
pub fn part_prefix(k: usize) -> String {
    format!("m{k}")
}

/// Merges `parts` into one snapshot (part `k` renamed with [`part_prefix`]`(k)`).
pub fn merge(parts: &[&Snapshot]) -> Result<Snapshot, String> {
    let mut programs = BTreeMap::new();
    let mut sets = IpSets::new();
    for (k, part) in parts.iter().enumerate() {
        let prefix = part_prefix(k);
        // Identical programs stay shared within a part.
        let mut renamed: BTreeMap<*const Program, Arc<Program>> = BTreeMap::new();
        for (target, p) in &part.programs {
            let key = Arc::as_ptr(p);
            let shared = match renamed.get(&key) {
                Some(r) => Arc::clone(r),
                None => {
                    let r = Arc::new(program(&prefix, p)?);
                    renamed.insert(key, Arc::clone(&r));
                    r
                }
            };
            programs.insert(prefixed_target(&prefix, target), shared);
        }
        for set in part.sets.iter() {
            sets.insert(IpSet::new(
                set_id(&prefix, set.id()),
                set.source().clone(),
                set.members().clone(),
            ));
        }
    }
    Ok(Snapshot { programs, sets })
}

/// An engine over one part of a merged snapshot: renames each target into the part and asks
/// the shared engine.
#[derive(Debug)]
pub struct Prefixed<E> {
    engine: Arc<E>,
    prefix: String,
}

impl<E> Prefixed<E> {
    /// Part `prefix` of the merged engine `engine`.
    pub fn new(engine: Arc<E>, prefix: String) -> Prefixed<E> {
        Prefixed { engine, prefix }
    }
}

impl<E: Engine> Engine for Prefixed<E> {
    fn name(&self) -> &str {
        self.engine.name()
    }

    fn decide(
        &self,
        target: &ProgramTarget,
        packet: &PacketRepr,
        http: Option<&HttpRequest>,
    ) -> Result<Decision, EngineError> {
        self.engine
            .decide(&prefixed_target(&self.prefix, target), packet, http)
    }
}
