//! Program-level differential test: for random programs (tiers, Pass targets, Log, terminal and
//! NoVerdict rules; overlapping CIDR sets of both families; named address+port sets, missing
//! sets, sets of the wrong kind) under random size budgets (so blocks split and rules fall back to
//! direct evaluation), the fast classifier's `Decision` equals the IR evaluator's for packets
//! biased to the boundaries the program uses. The exported tables alone, walked as their
//! documentation says a dataplane walks them, give the same decision.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::net::IpAddr;

use ipnet::IpNet;
use palisade_compiler::classifier::{
    AddrAtomTable, BlockKind, Classifier, ClassifierConfig, ClassifierTables, Field, NO_RULE,
    RuleAction,
};
use palisade_compiler::ir::{
    AddrPort, Hook, IcmpMatch, IpSet, IpSetId, IpSetMembers, IpSetSource, IpSets, IrAction, IrRule,
    Match, Origin, PortMatch, Program, SideMatch, evaluate,
};
use palisade_compiler::packet::{L4, PacketRepr};
use palisade_compiler::{Decision, Step, Verdict};
use palisade_policy_model::values::{IpVersion, PortRange};
use proptest::prelude::*;
use proptest::sample::select;
use smallvec::SmallVec;

const V4_BASES: [&str; 8] = [
    "10.1.2.3",
    "10.1.2.4",
    "10.1.3.0",
    "10.2.0.0",
    "192.168.1.1",
    "0.0.0.0",
    "255.255.255.255",
    "10.1.2.255",
];
const V6_BASES: [&str; 6] = [
    "fd00::1",
    "fd00::2",
    "fd00:1::",
    "::",
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "fd00::ff",
];
const V4_LENS: [u8; 9] = [0, 8, 16, 23, 24, 25, 30, 31, 32];
const V6_LENS: [u8; 8] = [0, 8, 16, 32, 64, 120, 127, 128];
const PORTS: [u16; 9] = [1, 79, 80, 81, 443, 1024, 8080, 8081, 65535];
const PROTOCOLS: [u8; 8] = [1, 6, 17, 58, 132, 136, 50, 0];

fn addr(v6: bool, i: usize, delta: i8) -> IpAddr {
    let base: IpAddr = if v6 {
        V6_BASES[i % V6_BASES.len()].parse().unwrap()
    } else {
        V4_BASES[i % V4_BASES.len()].parse().unwrap()
    };
    match base {
        IpAddr::V4(a) => IpAddr::V4(u32::from(a).wrapping_add_signed(i32::from(delta)).into()),
        IpAddr::V6(a) => IpAddr::V6(u128::from(a).wrapping_add_signed(i128::from(delta)).into()),
    }
}

fn cidr() -> impl Strategy<Value = IpNet> {
    (any::<bool>(), 0usize..16, 0usize..16).prop_map(|(v6, i, l)| {
        let a = addr(v6, i, 0);
        let len = if v6 {
            V6_LENS[l % V6_LENS.len()]
        } else {
            V4_LENS[l % V4_LENS.len()]
        };
        IpNet::new(a, len).unwrap().trunc()
    })
}

fn addr_port() -> impl Strategy<Value = AddrPort> {
    (
        any::<bool>(),
        0usize..16,
        select(vec![6u8, 17, 132]),
        select(PORTS.to_vec()),
    )
        .prop_map(|(v6, i, protocol, port)| AddrPort {
            addr: addr(v6, i, 0),
            protocol,
            port,
        })
}

/// Set IDs: `c0..c3` CIDR sets, `n0..n2` address+port sets, `missing` absent from the registry.
fn set_ids() -> Vec<IpSetId> {
    ["c0", "c1", "c2", "c3", "n0", "n1", "n2", "missing"]
        .iter()
        .map(|s| IpSetId::from_raw(s))
        .collect()
}

fn sets_strategy() -> impl Strategy<Value = IpSets> {
    (
        prop::collection::vec(prop::collection::vec(cidr(), 0..5), 4),
        prop::collection::vec(prop::collection::vec(addr_port(), 0..5), 3),
    )
        .prop_map(|(cidrs, named)| {
            let mut sets = IpSets::new();
            for (i, c) in cidrs.into_iter().enumerate() {
                sets.insert(IpSet::new(
                    IpSetId::from_raw(&format!("c{i}")),
                    IpSetSource::Nets,
                    IpSetMembers::addrs(c),
                ));
            }
            for (i, n) in named.into_iter().enumerate() {
                sets.insert(IpSet::new(
                    IpSetId::from_raw(&format!("n{i}")),
                    IpSetSource::BuiltIn,
                    IpSetMembers::addr_ports(n),
                ));
            }
            sets
        })
}

/// Mostly CIDR sets; sometimes an address+port set (the wrong kind) or a missing set.
fn id_list(max: usize) -> impl Strategy<Value = SmallVec<[IpSetId; 2]>> {
    let ids = set_ids();
    prop::collection::vec(0usize..10, 0..=max).prop_map(move |v| {
        v.into_iter()
            .map(|i| ids[if i < 8 { i % 4 } else { i - 4 }].clone())
            .collect()
    })
}

/// Numeric ranges and mostly address+port sets (sometimes a CIDR set or a missing set).
fn port_match() -> impl Strategy<Value = PortMatch> {
    let ids = set_ids();
    (
        prop::collection::vec((select(PORTS.to_vec()), 0u16..3), 0..3),
        prop::collection::vec(0usize..10, 0..3),
    )
        .prop_map(move |(ranges, named)| PortMatch {
            ranges: ranges
                .into_iter()
                .map(|(p, w)| PortRange::new(p, p.saturating_add(w)).unwrap())
                .collect(),
            named: named
                .into_iter()
                .map(|i| {
                    ids[if i < 8 {
                        4 + i % 3
                    } else {
                        i - 8 + 3 * (i - 8) + 3
                    }]
                    .clone()
                })
                .collect(),
        })
}

fn side() -> impl Strategy<Value = SideMatch> {
    (
        id_list(2),
        id_list(2),
        prop::option::weighted(0.3, port_match()),
        prop::option::weighted(0.2, port_match()),
    )
        .prop_map(|(sets, not_sets, ports, not_ports)| SideMatch {
            sets,
            not_sets,
            ports,
            not_ports,
        })
}

fn icmp_match() -> impl Strategy<Value = IcmpMatch> {
    let types = select(vec![0u8, 3, 8, 128, 255]);
    let codes = select(vec![0u8, 1, 255]);
    prop_oneof![
        4 => (prop::option::of(types), prop::option::of(codes.clone()))
            .prop_map(|(t, c)| IcmpMatch::from_parts(t, c.filter(|_| t.is_some())).unwrap()),
        // A code without a type cannot be built through the constructor; deserialisation still
        // produces it, and `IcmpMatch::covers` gives it a meaning (that code, any type).
        1 => codes.prop_map(|c| {
            serde_json::from_value(serde_json::json!({"icmp_type": null, "code": c})).unwrap()
        }),
    ]
}

fn match_strategy() -> impl Strategy<Value = Match> {
    (
        prop::option::weighted(0.2, select(vec![IpVersion::V4, IpVersion::V6])),
        prop::option::weighted(0.4, select(PROTOCOLS.to_vec())),
        prop::option::weighted(0.15, select(PROTOCOLS.to_vec())),
        prop::option::weighted(0.15, icmp_match()),
        prop::option::weighted(0.08, icmp_match()),
        side(),
        side(),
    )
        .prop_map(
            |(ip_version, protocol, not_protocol, icmp, not_icmp, src, dst)| Match {
                ip_version,
                protocol,
                not_protocol,
                icmp,
                not_icmp,
                src,
                dst,
            },
        )
}

#[derive(Clone, Debug)]
enum Act {
    Allow,
    Deny,
    Log,
    Pass(usize),
    NoVerdict,
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        3 => Just(Act::Allow),
        3 => Just(Act::Deny),
        3 => Just(Act::Log),
        3 => (0usize..1000).prop_map(Act::Pass),
        1 => Just(Act::NoVerdict),
    ]
}

fn program_strategy() -> impl Strategy<Value = Program> {
    (
        prop::collection::vec((match_strategy(), act(), prop::bool::weighted(0.1)), 0..20),
        select(vec![IrAction::Deny, IrAction::Allow, IrAction::NoVerdict]),
    )
        .prop_map(|(rules, last_action)| {
            let n = rules.len() + 1;
            let mut out: Vec<IrRule> = rules
                .into_iter()
                .enumerate()
                .map(|(i, (m, a, any))| {
                    let action = match a {
                        Act::Allow => IrAction::Allow,
                        Act::Deny => IrAction::Deny,
                        Act::Log => IrAction::Log,
                        Act::NoVerdict => IrAction::NoVerdict,
                        Act::Pass(t) => IrAction::Pass {
                            to: (i + 1 + t % (n - i - 1)) as u32,
                        },
                    };
                    IrRule {
                        // Some rules match everything (end-of-tier style).
                        matches: if any { Match::any() } else { m },
                        action,
                        origin: Origin::Failsafe { rule: i as u32 },
                    }
                })
                .collect();
            out.push(IrRule {
                matches: Match::any(),
                action: last_action,
                origin: Origin::NoMatch,
            });
            Program::new(Hook::HostPreDnatIngress, out).unwrap()
        })
}

fn packet() -> impl Strategy<Value = PacketRepr> {
    (
        any::<bool>(),
        (0usize..16, -1i8..=1),
        (0usize..16, -1i8..=1),
        select(PROTOCOLS.to_vec()),
        0u8..4,
        (select(PORTS.to_vec()), select(PORTS.to_vec()), 0u16..2),
        (select(vec![0u8, 3, 8, 128, 255]), select(vec![0u8, 1, 255])),
    )
        .prop_map(|(v6, (si, sd), (di, dd), protocol, l4, ports, icmp)| {
            let src = addr(v6, si, sd);
            let dst = addr(v6, di, dd);
            let l4 = match l4 {
                0 => L4::None,
                1 | 2 => L4::Ports {
                    src: ports.0.wrapping_sub(ports.2),
                    dst: ports.1.wrapping_add(ports.2),
                },
                _ => L4::Icmp {
                    icmp_type: icmp.0,
                    code: icmp.1,
                },
            };
            let protocol = match l4 {
                L4::Icmp { .. } if protocol < 100 => {
                    if v6 {
                        58
                    } else {
                        1
                    }
                }
                _ => protocol,
            };
            PacketRepr::new(src, dst, protocol, l4)
                .unwrap_or_else(|_| PacketRepr::new(src, dst, protocol, L4::None).unwrap())
        })
}

fn config() -> impl Strategy<Value = ClassifierConfig> {
    (
        select(vec![1usize, 2, 5, 16, 1 << 20]),
        select(vec![1usize, 3, 4096]),
        select(vec![0usize, 3000, 256 << 20]),
    )
        .prop_map(|(entries, alts, total)| {
            ClassifierConfig::new()
                .max_block_entries(entries)
                .max_rule_alternatives(alts)
                .max_total_bytes(total)
        })
}

/// The atom of an address by longest-prefix match over the exported prefix lists (what a BPF
/// LPM trie does); it must agree with the exported address runs.
fn lpm(table: &AddrAtomTable, addr: IpAddr) -> u32 {
    let best = match addr {
        IpAddr::V4(a) => table
            .v4_prefixes
            .iter()
            .filter(|p| p.prefix.contains(&a))
            .max_by_key(|p| p.prefix.prefix_len())
            .map(|p| p.atom),
        IpAddr::V6(a) => table
            .v6_prefixes
            .iter()
            .filter(|p| p.prefix.contains(&a))
            .max_by_key(|p| p.prefix.prefix_len())
            .map(|p| p.atom),
    };
    let atom = best.expect("the default route is always present");
    assert_eq!(
        atom,
        table.atom_of(addr),
        "LPM and runs disagree for {addr}"
    );
    atom
}

/// Classifies with the exported tables only, following their documented contract, as a
/// dataplane would. `None` when the walk reaches a direct block (which a dataplane must evaluate
/// itself).
fn table_decision(t: &ClassifierTables, p: &PacketRepr) -> Option<Decision> {
    let mut atoms = [0u32; Field::COUNT];
    for f in Field::ALL {
        atoms[f.index()] = match f {
            Field::SrcAddr => lpm(&t.atoms.src_addr, p.src()),
            Field::DstAddr => lpm(&t.atoms.dst_addr, p.dst()),
            _ => t.atoms.scalar(f).unwrap().atom_of(f.value(p).unwrap()),
        };
    }
    let origin = |rule: u32| t.origins[t.rules[rule as usize].origin as usize].clone();
    let mut steps = Vec::new();
    let mut b = 0usize;
    loop {
        let block = &t.blocks[b];
        if block.kind == BlockKind::Direct {
            return None;
        }
        let key = block.pack_key(|f| block.projection(f).unwrap().class_of(atoms[f.index()]));
        let entry = t.entries[block.entry_of(key) as usize];
        for &step in t.entry_steps(&entry) {
            steps.push(match t.rules[step as usize].action {
                RuleAction::Log => Step::Log(origin(step)),
                RuleAction::Pass => Step::Pass(origin(step)),
                other => panic!("an entry names {other:?} rule {step} as a step"),
            });
        }
        if entry.rule == NO_RULE {
            b += 1;
            continue;
        }
        let info = t.rules[entry.rule as usize];
        let verdict = match info.action {
            RuleAction::Allow => Verdict::Allow,
            RuleAction::Deny => Verdict::Deny,
            RuleAction::NoVerdict => Verdict::NoVerdict,
            RuleAction::Pass => {
                steps.push(Step::Pass(origin(entry.rule)));
                b = info.pass_block as usize;
                continue;
            }
            RuleAction::Log => panic!("an entry names Log rule {} as decisive", entry.rule),
        };
        return Some(Decision {
            verdict,
            origin: origin(entry.rule),
            steps,
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 10_000,
        rng_algorithm: proptest::test_runner::RngAlgorithm::XorShift,
        ..ProptestConfig::default()
    })]

    #[test]
    fn classifier_decides_like_the_ir_evaluator(
        sets in sets_strategy(),
        program in program_strategy(),
        config in config(),
        packets in prop::collection::vec(packet(), 16),
    ) {
        let classifier = Classifier::build_with(&program, &sets, &config).unwrap();
        for p in &packets {
            let want = evaluate(&program, p, &sets);
            let got = classifier.decide(p);
            prop_assert_eq!(&got, &want, "packet {}\n{}", p, program);
            if let Some(from_tables) = table_decision(classifier.tables(), p) {
                prop_assert_eq!(&from_tables, &want, "tables only; packet {}\n{}", p, program);
            }
        }
    }
}
