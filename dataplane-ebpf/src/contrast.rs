//! Contrast programs for benchmarks: what a per-rule dataplane emits (Calico's approach), next to
//! the fixed map-driven datapath.
//!
//! The build script generates a TC classifier with one straight-line compare chain per rule
//! (protocol, destination port range, source prefix; first match wins, default deny) for 10, 100
//! and 1,000 rules, from a fixed pseudo-random rule list ([`rules`]). Each object also holds an
//! `empty` program that returns at once: the floor of a test run's cost. [`policy`] builds the
//! same rules as an IR [`Program`] so both can be measured on identical policy.

use std::os::fd::AsFd;

use aya::programs::{ProgramFd, SchedClassifier};
use aya::{Ebpf, EbpfLoader};
use ipnet::{IpNet, Ipv4Net};
use palisade_compiler::ir::{
    Hook, IpSet, IpSetId, IpSetMembers, IpSetSource, IpSets, IrAction, IrRule, Match, Origin,
    PortMatch, Program, SideMatch,
};
use palisade_compiler::packet::PROTO_TCP;
use palisade_policy_model::values::PortRange;
use smallvec::smallvec;

use crate::error::Error;
use crate::sys::glue;

include!(concat!(env!("OUT_DIR"), "/contrast_rules.rs"));

static CONTRAST_10: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/contrast_10.o"));
static CONTRAST_100: &[u8] =
    aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/contrast_100.o"));
static CONTRAST_1000: &[u8] =
    aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/contrast_1000.o"));

/// The rule counts there are contrast programs for.
pub const SIZES: [usize; 3] = [10, 100, 1000];

/// One generated rule: TCP from `source` to a destination port in `ports`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContrastRule {
    /// Source prefix.
    pub source: Ipv4Net,
    /// Destination ports (inclusive).
    pub ports: (u16, u16),
    /// Allow (else deny).
    pub allow: bool,
}

/// The first `n` generated rules (at most 1,000).
pub fn rules(n: usize) -> Vec<ContrastRule> {
    CONTRAST_RULES
        .iter()
        .take(n)
        .filter_map(|&(net, len, lo, hi, allow)| {
            Some(ContrastRule {
                source: Ipv4Net::new(std::net::Ipv4Addr::from(net), len).ok()?,
                ports: (lo, hi),
                allow,
            })
        })
        .collect()
}

/// The first `n` rules as an IR program (first match wins, then deny) and its IP sets.
pub fn policy(n: usize, hook: Hook) -> (Program, IpSets) {
    let mut sets = IpSets::new();
    let mut out = Vec::new();
    for (i, r) in rules(n).iter().enumerate() {
        let id = IpSetId::derive("net", &format!("contrast-{i}"));
        sets.insert(IpSet::new(
            id.clone(),
            IpSetSource::Nets,
            IpSetMembers::addrs([IpNet::V4(r.source)]),
        ));
        let ports = PortRange::new(r.ports.0.max(1), r.ports.1.max(1));
        out.push(IrRule {
            matches: Match {
                protocol: Some(PROTO_TCP),
                src: SideMatch {
                    sets: smallvec![id],
                    ..SideMatch::default()
                },
                dst: SideMatch {
                    ports: Some(PortMatch {
                        ranges: ports.into_iter().collect(),
                        named: smallvec![],
                    }),
                    ..SideMatch::default()
                },
                ..Match::any()
            },
            action: if r.allow {
                IrAction::Allow
            } else {
                IrAction::Deny
            },
            origin: Origin::Failsafe { rule: i as u32 },
        });
    }
    out.push(IrRule {
        matches: Match::any(),
        action: IrAction::Deny,
        origin: Origin::NoMatch,
    });
    match Program::new(hook, out) {
        Ok(p) => (p, sets),
        // The rule list ends with a match-all Deny and has no Pass: always a valid program.
        Err(e) => unreachable!("contrast policy: {e}"),
    }
}

/// A loaded contrast object: its per-rule program and its empty program.
pub struct Contrast {
    _ebpf: Ebpf,
    chain: ProgramFd,
    empty: ProgramFd,
}

impl std::fmt::Debug for Contrast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contrast").finish_non_exhaustive()
    }
}

impl Contrast {
    /// Loads the contrast object with `n` rules (one of [`SIZES`]). Needs root.
    pub fn load(n: usize) -> Result<Contrast, Error> {
        let object = match n {
            10 => CONTRAST_10,
            100 => CONTRAST_100,
            1000 => CONTRAST_1000,
            _ => {
                return Err(Error::Config(format!(
                    "no contrast program with {n} rules (have {SIZES:?})"
                )));
            }
        };
        let mut ebpf = EbpfLoader::new()
            .load(object)
            .map_err(|e| Error::from_load(&e))?;
        let mut fd = |name: &'static str| -> Result<ProgramFd, Error> {
            let prog: &mut SchedClassifier = ebpf
                .program_mut(name)
                .ok_or_else(|| Error::Load(format!("contrast object has no program {name}")))?
                .try_into()
                .map_err(|e: aya::programs::ProgramError| Error::Load(e.to_string()))?;
            prog.load().map_err(|e| Error::from_program(name, &e))?;
            prog.fd()
                .and_then(|fd| fd.try_clone().map_err(aya::programs::ProgramError::IOError))
                .map_err(|e| Error::Load(e.to_string()))
        };
        let chain = fd("contrast")?;
        let empty = fd("empty")?;
        Ok(Contrast {
            _ebpf: ebpf,
            chain,
            empty,
        })
    }

    /// Runs `frame` through the per-rule program `repeat` times: (return value, ns per run).
    pub fn run(&self, frame: &[u8], repeat: u32) -> Result<(u32, u32), Error> {
        run(&self.chain, frame, repeat)
    }

    /// Runs `frame` through the empty program `repeat` times: (return value, ns per run).
    pub fn run_empty(&self, frame: &[u8], repeat: u32) -> Result<(u32, u32), Error> {
        run(&self.empty, frame, repeat)
    }
}

fn run(fd: &ProgramFd, frame: &[u8], repeat: u32) -> Result<(u32, u32), Error> {
    let mut out = vec![0u8; frame.len() + 256];
    let r = glue::test_run(fd.as_fd(), frame, Some(&mut out), None, None, repeat.max(1))
        .map_err(Error::TestRun)?;
    Ok((r.retval, r.duration_ns))
}
