//! The tiered rule scenario of the classifier and eBPF benches: one endpoint's ingress program of
//! N policy rules that reference a fixed number of CIDRs in total, whatever N.
//!
//! Three tiers hold 20 % / 30 % / 50 % of the rules; the first two end in Pass, the last in Deny,
//! and a final no-match Deny follows. Every policy rule matches a protocol (85 % TCP, 15 % UDP),
//! destination port(s) (80 % one port out of a pool of 200, 20 % a range) and a source CIDR set
//! of `total_cidrs / N` CIDRs (80 % /32 pod addresses clustered in 10.128.0.0/10, 15 % /24, 5 %
//! /16, overlapping freely). One rule in twenty logs, one denies, and one (in the first two tiers)
//! passes to the next tier. Packets: half hit a random rule, a quarter come from sources no CIDR
//! covers, a quarter from covered sources to unused ports.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};
use palisade_compiler::ir::{
    Hook, IpSet, IpSetId, IpSetMembers, IpSetSource, IpSets, IrAction, IrRule, Match, Origin,
    PortMatch, Program, SideMatch,
};
use palisade_compiler::packet::{PROTO_TCP, PROTO_UDP, PacketRepr};
use palisade_policy_model::model::{PolicyId, PolicyKind};
use palisade_policy_model::values::PortRange;

use crate::rng::Rng;

/// The endpoint whose ingress the program guards (every packet's destination).
pub const ENDPOINT: Ipv4Addr = Ipv4Addr::new(10, 200, 0, 1);

/// A generated program, its IP sets and packets to classify.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The endpoint's ingress program.
    pub program: Program,
    /// The CIDR sets its rules reference.
    pub sets: IpSets,
    /// Packets to the endpoint, in the mix the module documentation describes.
    pub packets: Vec<PacketRepr>,
}

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct ScenarioConfig {
    /// Policy rules (at least 3: one per tier).
    pub rules: usize,
    /// CIDRs referenced by all rules together.
    pub total_cidrs: usize,
    /// Packets to generate.
    pub packets: usize,
    /// Varies the CIDRs, ports and packets (and the set IDs).
    pub seed: u64,
}

/// One policy rule's match parameters.
struct RuleSpec {
    protocol: u8,
    ports: (u16, u16),
    cidrs: Vec<Ipv4Net>,
}

fn net(addr: u32, len: u8) -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::from(addr), len).map_or_else(|_| Ipv4Net::default(), |n| n.trunc())
}

fn random_cidr(rng: &mut Rng) -> Ipv4Net {
    match rng.percent() {
        0..80 => net(0x0a80_0000 + rng.below(1 << 22) as u32, 32),
        80..95 => net(0x0a00_0000 + rng.below(1 << 22) as u32, 24),
        _ => net(0xac10_0000 + rng.below(1 << 20) as u32, 16),
    }
}

fn origin(tier: usize, rule: usize) -> Origin {
    Origin::Rule {
        tier: format!("tier-{tier}").into(),
        policy: PolicyId {
            kind: PolicyKind::GlobalNetworkPolicy,
            namespace: None,
            name: format!("policy-{tier}-{}", rule / 10).into(),
        },
        rule: (rule % 10) as u32,
    }
}

fn rule_specs(rng: &mut Rng, rules: usize, total_cidrs: usize) -> Vec<RuleSpec> {
    let per_rule = (total_cidrs / rules).max(1);
    let port_pool: Vec<u16> = (0..200u16).map(|i| 1000 + (i * 263) % 50_000).collect();
    (0..rules)
        .map(|_| {
            let protocol = if rng.percent() < 85 {
                PROTO_TCP
            } else {
                PROTO_UDP
            };
            let port = port_pool[rng.below(port_pool.len() as u64) as usize];
            let ports = if rng.percent() < 80 {
                (port, port)
            } else {
                (port, port.saturating_add(1 + rng.below(100) as u16))
            };
            RuleSpec {
                protocol,
                ports,
                cidrs: (0..per_rule).map(|_| random_cidr(rng)).collect(),
            }
        })
        .collect()
}

fn packet(rng: &mut Rng, specs: &[RuleSpec], i: usize) -> PacketRepr {
    let sport = 32768 + rng.below(28000) as u16;
    let (src, protocol, dport) = if i.is_multiple_of(2) {
        let spec = &specs[rng.below(specs.len() as u64) as usize];
        let n = spec.cidrs[rng.below(spec.cidrs.len() as u64) as usize];
        let src = u32::from(n.network()) + rng.below(1u64 << (32 - n.prefix_len())) as u32;
        let span = u64::from(spec.ports.1 - spec.ports.0) + 1;
        (src, spec.protocol, spec.ports.0 + rng.below(span) as u16)
    } else if i % 4 == 1 {
        // 10.64.0.0/10 is covered by no CIDR.
        (0x0a40_0000 + rng.below(1 << 22) as u32, PROTO_TCP, 443)
    } else {
        let spec = &specs[rng.below(specs.len() as u64) as usize];
        (
            u32::from(spec.cidrs[0].network()),
            PROTO_TCP,
            60_000 + rng.below(5000) as u16,
        )
    };
    let (s, d) = (IpAddr::V4(Ipv4Addr::from(src)), IpAddr::V4(ENDPOINT));
    let p = if protocol == PROTO_TCP {
        PacketRepr::tcp(s, d, sport, dport)
    } else {
        PacketRepr::udp(s, d, sport, dport)
    };
    p.unwrap_or_else(|e| panic!("bench packet: {e}"))
}

/// Generates the scenario. Panics on an invalid configuration (fewer than 3 rules): benches
/// have fixed inputs.
pub fn scenario(cfg: &ScenarioConfig) -> Scenario {
    let rules = cfg.rules;
    assert!(rules >= 3, "the tiered scenario needs at least 3 rules");
    let mut rng = Rng(0x5151_7a1e_0bad_cafe ^ cfg.seed ^ rules as u64);
    let specs = rule_specs(&mut rng, rules, cfg.total_cidrs);
    let first = (rules * 2 / 10).max(1);
    let second = (rules * 3 / 10).max(1);
    let sizes = [first, second, rules - first - second];
    let mut starts = [0usize; 4];
    for t in 0..3 {
        starts[t + 1] = starts[t] + sizes[t] + 1;
    }
    let mut sets = IpSets::new();
    let mut ir = Vec::with_capacity(rules + 4);
    let mut specs_iter = specs.iter().enumerate();
    for (t, &size) in sizes.iter().enumerate() {
        for k in 0..size {
            let Some((i, spec)) = specs_iter.next() else {
                break;
            };
            let id = IpSetId::derive("net", &format!("bench-{}-{i}", cfg.seed));
            sets.insert(IpSet::new(
                id.clone(),
                IpSetSource::Nets,
                IpSetMembers::addrs(spec.cidrs.iter().map(|&n| IpNet::V4(n))),
            ));
            let range = PortRange::new(spec.ports.0, spec.ports.1)
                .unwrap_or_else(|| panic!("bad bench ports {:?}", spec.ports));
            let action = match i % 20 {
                7 => IrAction::Log,
                13 => IrAction::Deny,
                17 if t < 2 => IrAction::Pass {
                    to: starts[t + 1] as u32,
                },
                _ => IrAction::Allow,
            };
            ir.push(IrRule {
                matches: Match {
                    protocol: Some(spec.protocol),
                    src: SideMatch {
                        sets: vec![id].into(),
                        ..SideMatch::default()
                    },
                    dst: SideMatch {
                        ports: Some(PortMatch {
                            ranges: vec![range].into(),
                            named: Default::default(),
                        }),
                        ..SideMatch::default()
                    },
                    ..Match::default()
                },
                action,
                origin: origin(t, k),
            });
        }
        ir.push(IrRule {
            matches: Match::any(),
            action: if t < 2 {
                IrAction::Pass {
                    to: starts[t + 1] as u32,
                }
            } else {
                IrAction::Deny
            },
            origin: Origin::EndOfTier {
                tier: format!("tier-{t}").into(),
            },
        });
    }
    ir.push(IrRule {
        matches: Match::any(),
        action: IrAction::Deny,
        origin: Origin::NoMatch,
    });
    let program =
        Program::new(Hook::WorkloadIngress, ir).unwrap_or_else(|e| panic!("bench program: {e}"));
    let packets = (0..cfg.packets)
        .map(|i| packet(&mut rng, &specs, i))
        .collect();
    Scenario {
        program,
        sets,
        packets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_compiler::Verdict;
    use palisade_compiler::ir::evaluate;

    #[test]
    fn the_scenario_has_the_documented_shape_and_both_verdicts() {
        let s = scenario(&ScenarioConfig {
            rules: 100,
            total_cidrs: 1_000,
            packets: 64,
            seed: 3,
        });
        // 100 policy rules, 3 end-of-tier rules, the final deny.
        assert_eq!(s.program.len(), 104);
        assert_eq!(s.packets.len(), 64);
        let verdicts: Vec<Verdict> = s
            .packets
            .iter()
            .map(|p| evaluate(&s.program, p, &s.sets).verdict)
            .collect();
        assert!(verdicts.contains(&Verdict::Allow));
        assert!(verdicts.contains(&Verdict::Deny));
    }
}
