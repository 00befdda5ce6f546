//! The fast classifier, construct by construct: each test states the expected decision from
//! SEMANTICS/DECISIONS (and the IR evaluator agrees), under the default budget and under budgets
//! small enough to split every block and to evaluate rules directly.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use palisade_compiler::classifier::{
    BlockKind, Classifier, ClassifierConfig, FastEngine, Field, NO_BLOCK, RuleAction,
};
use palisade_compiler::ir::{
    AddrPort, Hook, IcmpMatch, IpSet, IpSetId, IpSetMembers, IpSetSource, IpSets, IrAction, IrRule,
    Match, Origin, PortMatch, Program, ProgramTarget, SideMatch, evaluate,
};
use palisade_compiler::packet::{L4, PacketRepr};
use palisade_compiler::{Decision, Engine, EngineError, Snapshot, Step, Verdict};
use palisade_policy_model::model::{EndpointKey, PolicyId, PolicyKind};
use palisade_policy_model::values::{IpVersion, PortRange};
use smallvec::smallvec;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn origin(tier: &str, rule: u32) -> Origin {
    Origin::Rule {
        tier: tier.into(),
        policy: PolicyId {
            kind: PolicyKind::GlobalNetworkPolicy,
            namespace: None,
            name: format!("{tier}-policy").into(),
        },
        rule,
    }
}

fn rule(m: Match, action: IrAction, tier: &str, i: u32) -> IrRule {
    IrRule {
        matches: m,
        action,
        origin: origin(tier, i),
    }
}

fn end_of_tier(tier: &str, action: IrAction) -> IrRule {
    IrRule {
        matches: Match::any(),
        action,
        origin: Origin::EndOfTier { tier: tier.into() },
    }
}

fn final_deny() -> IrRule {
    IrRule {
        matches: Match::any(),
        action: IrAction::Deny,
        origin: Origin::NoMatch,
    }
}

fn program(rules: Vec<IrRule>) -> Program {
    Program::new(Hook::WorkloadIngress, rules).unwrap()
}

fn cidr_set(id: &str, nets: &[&str]) -> IpSet {
    IpSet::new(
        IpSetId::from_raw(id),
        IpSetSource::Nets,
        IpSetMembers::addrs(nets.iter().map(|n| n.parse::<IpNet>().unwrap())),
    )
}

fn named_set(id: &str, members: &[(&str, u8, u16)]) -> IpSet {
    IpSet::new(
        IpSetId::from_raw(id),
        IpSetSource::BuiltIn,
        IpSetMembers::addr_ports(members.iter().map(|&(a, protocol, port)| AddrPort {
            addr: ip(a),
            protocol,
            port,
        })),
    )
}

fn sets(list: Vec<IpSet>) -> IpSets {
    let mut s = IpSets::new();
    for set in list {
        s.insert(set);
    }
    s
}

fn id(s: &str) -> IpSetId {
    IpSetId::from_raw(s)
}

fn ports(list: &[(u16, u16)]) -> PortMatch {
    PortMatch {
        ranges: list
            .iter()
            .map(|&(a, b)| PortRange::new(a, b).unwrap())
            .collect(),
        named: smallvec![],
    }
}

fn tcp(src: &str, dst: &str, sport: u16, dport: u16) -> PacketRepr {
    PacketRepr::tcp(ip(src), ip(dst), sport, dport).unwrap()
}

fn udp(src: &str, dst: &str, sport: u16, dport: u16) -> PacketRepr {
    PacketRepr::udp(ip(src), ip(dst), sport, dport).unwrap()
}

fn icmp(src: &str, dst: &str, t: u8, c: u8) -> PacketRepr {
    PacketRepr::icmp(ip(src), ip(dst), t, c).unwrap()
}

/// Budgets: the default, one that splits blocks at every rule, and one that evaluates every
/// rule directly.
fn configs() -> Vec<ClassifierConfig> {
    vec![
        ClassifierConfig::new(),
        ClassifierConfig::new().max_block_entries(1),
        ClassifierConfig::new().max_total_bytes(0),
    ]
}

/// Decides `packet` with classifiers under every budget, checks they agree with the IR
/// evaluator, and returns the decision.
fn decide(p: &Program, s: &IpSets, packet: &PacketRepr) -> Decision {
    let want = evaluate(p, packet, s);
    for config in configs() {
        let c = Classifier::build_with(p, s, &config).unwrap();
        assert_eq!(c.decide(packet), want, "{config:?}\npacket {packet}\n{p}");
    }
    want
}

/// The index of the rule that decided.
fn decided_by(p: &Program, d: &Decision) -> Option<usize> {
    p.rules().iter().position(|r| r.origin == d.origin)
}

#[test]
fn pass_jumps_across_blocks_to_the_next_tier() {
    let s = sets(vec![cidr_set("admin", &["10.0.0.0/24"])]);
    let p = program(vec![
        // Tier a: admin sources pass to tier b; other TCP is denied; the tier ends in deny.
        rule(
            Match {
                src: SideMatch {
                    sets: smallvec![id("admin")],
                    ..SideMatch::default()
                },
                ..Match::default()
            },
            IrAction::Pass { to: 3 },
            "a",
            0,
        ),
        rule(
            Match {
                protocol: Some(6),
                ..Match::default()
            },
            IrAction::Deny,
            "a",
            1,
        ),
        end_of_tier("a", IrAction::Deny),
        // Tier b: TCP to port 80 is allowed.
        rule(
            Match {
                protocol: Some(6),
                dst: SideMatch {
                    ports: Some(ports(&[(80, 80)])),
                    ..SideMatch::default()
                },
                ..Match::default()
            },
            IrAction::Allow,
            "b",
            0,
        ),
        end_of_tier("b", IrAction::Deny),
        final_deny(),
    ]);
    let d = decide(&p, &s, &tcp("10.0.0.7", "10.9.0.1", 999, 80));
    assert_eq!(d.verdict, Verdict::Allow);
    assert_eq!(d.origin, origin("b", 0));
    assert_eq!(d.steps, vec![Step::Pass(origin("a", 0))]);
    let d = decide(&p, &s, &tcp("10.0.0.7", "10.9.0.1", 999, 81));
    assert_eq!(d.origin, Origin::EndOfTier { tier: "b".into() });
    let d = decide(&p, &s, &tcp("10.0.1.7", "10.9.0.1", 999, 80));
    assert_eq!(
        (d.verdict, d.origin.clone()),
        (Verdict::Deny, origin("a", 1))
    );
    assert!(d.steps.is_empty());
    // The Pass rule's target starts a block (a Pass from an earlier block always lands on a
    // block's first rule), and the rule table points at it.
    let c = Classifier::build(&p, &s).unwrap();
    let t = c.tables();
    let target = t.block_starting_at(3).unwrap();
    assert_eq!(t.rules[0].action, RuleAction::Pass);
    assert_eq!(t.rules[0].pass_block, target as u32);
    assert_eq!(t.rules[1].pass_block, NO_BLOCK);
    assert!(
        t.blocks
            .iter()
            .all(|b| b.first_rule >= 3 || b.end_rule <= 3)
    );
}

#[test]
fn one_block_holds_tiers_that_pass_to_each_other() {
    let s = IpSets::new();
    let port = |p: u16| Match {
        protocol: Some(6),
        dst: SideMatch {
            ports: Some(ports(&[(p, p)])),
            ..SideMatch::default()
        },
        ..Match::default()
    };
    let tcp_only = Match {
        protocol: Some(6),
        ..Match::default()
    };
    let p = program(vec![
        // Tier a: TCP is logged, port 22 allowed; the tier passes.
        rule(tcp_only.clone(), IrAction::Log, "a", 0),
        rule(port(22), IrAction::Allow, "a", 1),
        end_of_tier("a", IrAction::Pass { to: 3 }),
        // Tier b: port 23 denied, port 80 passed explicitly, TCP logged; the tier passes.
        rule(port(23), IrAction::Deny, "b", 0),
        rule(port(80), IrAction::Pass { to: 7 }, "b", 1),
        rule(tcp_only, IrAction::Log, "b", 2),
        end_of_tier("b", IrAction::Pass { to: 7 }),
        // Tier c: port 80 allowed; the tier denies.
        rule(port(80), IrAction::Allow, "c", 0),
        end_of_tier("c", IrAction::Deny),
        final_deny(),
    ]);
    // Under the default budget the three tiers are one block (the end of tier c matches every
    // packet and decides, so the final rule is never reached from it).
    let c = Classifier::build(&p, &s).unwrap();
    let t = c.tables();
    assert_eq!(
        (t.blocks[0].first_rule, t.blocks[0].end_rule),
        (0, 9),
        "{:?}",
        t.blocks
    );
    let eot = |tier: &str| Origin::EndOfTier { tier: tier.into() };
    // Every Pass on the way is a step, in order with the Log rules.
    let d = decide(&p, &s, &tcp("10.0.0.1", "10.0.0.2", 1, 80));
    assert_eq!(
        (d.verdict, d.origin.clone()),
        (Verdict::Allow, origin("c", 0))
    );
    assert_eq!(
        d.steps,
        vec![
            Step::Log(origin("a", 0)),
            Step::Pass(eot("a")),
            Step::Pass(origin("b", 1)),
        ]
    );
    let d = decide(&p, &s, &tcp("10.0.0.1", "10.0.0.2", 1, 443));
    assert_eq!((d.verdict, d.origin.clone()), (Verdict::Deny, eot("c")));
    assert_eq!(
        d.steps,
        vec![
            Step::Log(origin("a", 0)),
            Step::Pass(eot("a")),
            Step::Log(origin("b", 2)),
            Step::Pass(eot("b")),
        ]
    );
    let d = decide(&p, &s, &tcp("10.0.0.1", "10.0.0.2", 1, 23));
    assert_eq!(d.origin, origin("b", 0));
    let d = decide(&p, &s, &udp("10.0.0.1", "10.0.0.2", 1, 80));
    assert_eq!(d.steps, vec![Step::Pass(eot("a")), Step::Pass(eot("b"))]);
    // The exported entries name the same steps: a packet's entry in the single block.
    let entry_steps: Vec<u32> = t
        .entries
        .iter()
        .flat_map(|e| t.entry_steps(e).to_vec())
        .filter(|&r| t.rules[r as usize].action == RuleAction::Pass)
        .collect();
    assert!(entry_steps.contains(&2) && entry_steps.contains(&4) && entry_steps.contains(&6));
}

#[test]
fn log_rules_before_the_decisive_rule_are_recorded_in_order() {
    let s = IpSets::new();
    let tcp_only = Match {
        protocol: Some(6),
        ..Match::default()
    };
    let port = |p: u16| Match {
        dst: SideMatch {
            ports: Some(ports(&[(p, p)])),
            ..SideMatch::default()
        },
        ..Match::default()
    };
    let p = program(vec![
        rule(tcp_only.clone(), IrAction::Log, "a", 0),
        rule(port(80), IrAction::Log, "a", 1),
        rule(port(80), IrAction::Allow, "a", 2),
        rule(tcp_only, IrAction::Log, "a", 3),
        rule(Match::any(), IrAction::Log, "a", 4),
        end_of_tier("a", IrAction::Deny),
        final_deny(),
    ]);
    // Logs before the Allow; the Log after it is not reached.
    let d = decide(&p, &s, &tcp("10.0.0.1", "10.0.0.2", 1, 80));
    assert_eq!(d.origin, origin("a", 2));
    assert_eq!(
        d.steps,
        vec![Step::Log(origin("a", 0)), Step::Log(origin("a", 1))]
    );
    // No decisive rule in the tier matches: every matching Log, then the end of the tier.
    let d = decide(&p, &s, &tcp("10.0.0.1", "10.0.0.2", 1, 81));
    assert_eq!(d.origin, Origin::EndOfTier { tier: "a".into() });
    assert_eq!(
        d.steps,
        vec![
            Step::Log(origin("a", 0)),
            Step::Log(origin("a", 3)),
            Step::Log(origin("a", 4))
        ]
    );
    let d = decide(&p, &s, &udp("10.0.0.1", "10.0.0.2", 1, 81));
    assert_eq!(d.steps, vec![Step::Log(origin("a", 4))]);
}

#[test]
fn log_only_hits_continue_with_the_next_block() {
    // Under the splitting budget every rule is its own block: a block whose entry holds only
    // logs must fall through to the next.
    let s = IpSets::new();
    let p = program(vec![
        rule(
            Match {
                protocol: Some(17),
                ..Match::default()
            },
            IrAction::Log,
            "a",
            0,
        ),
        rule(
            Match {
                dst: SideMatch {
                    ports: Some(ports(&[(53, 53)])),
                    ..SideMatch::default()
                },
                ..Match::default()
            },
            IrAction::Allow,
            "a",
            1,
        ),
        final_deny(),
    ]);
    let c = Classifier::build_with(&p, &s, &ClassifierConfig::new().max_block_entries(1)).unwrap();
    assert!(c.stats().table_blocks >= 2);
    let d = decide(&p, &s, &udp("10.0.0.1", "10.0.0.2", 1, 53));
    assert_eq!(d.origin, origin("a", 1));
    assert_eq!(d.steps, vec![Step::Log(origin("a", 0))]);
}

#[test]
fn no_verdict_ends_the_stage() {
    let s = IpSets::new();
    let rules = vec![
        rule(
            Match {
                protocol: Some(17),
                ..Match::default()
            },
            IrAction::NoVerdict,
            "a",
            0,
        ),
        end_of_tier("a", IrAction::NoVerdict),
    ];
    let p = Program::new(Hook::HostUntrackedIngress, rules).unwrap();
    let d = decide(&p, &s, &udp("10.0.0.1", "10.0.0.2", 1, 53));
    assert_eq!((d.verdict, d.origin), (Verdict::NoVerdict, origin("a", 0)));
    let d = decide(&p, &s, &tcp("10.0.0.1", "10.0.0.2", 1, 53));
    assert_eq!(d.verdict, Verdict::NoVerdict);
    assert_eq!(d.origin, Origin::EndOfTier { tier: "a".into() });
}

/// `dport in {80} ∪ @n(10.0.0.1 tcp 8080, 10.0.0.2 tcp 8080)`, positive or negated.
fn named_port_program(negated: bool) -> (Program, IpSets) {
    let s = sets(vec![named_set(
        "n",
        &[
            ("10.0.0.1", 6, 8080),
            ("10.0.0.2", 6, 8080),
            ("fd00::1", 17, 53),
        ],
    )]);
    let pm = PortMatch {
        ranges: smallvec![PortRange::single(80).unwrap()],
        named: smallvec![id("n")],
    };
    let dst = if negated {
        SideMatch {
            not_ports: Some(pm),
            ..SideMatch::default()
        }
    } else {
        SideMatch {
            ports: Some(pm),
            ..SideMatch::default()
        }
    };
    let p = program(vec![
        rule(
            Match {
                dst,
                ..Match::default()
            },
            IrAction::Allow,
            "a",
            0,
        ),
        final_deny(),
    ]);
    (p, s)
}

#[test]
fn named_ports_match_address_protocol_and_port_together() {
    let (p, s) = named_port_program(false);
    let allowed = |packet: PacketRepr| decide(&p, &s, &packet).verdict == Verdict::Allow;
    assert!(allowed(tcp("1.1.1.1", "10.0.0.1", 5, 8080)));
    assert!(allowed(tcp("1.1.1.1", "10.0.0.2", 5, 8080)));
    assert!(!allowed(udp("1.1.1.1", "10.0.0.1", 5, 8080)));
    assert!(!allowed(tcp("1.1.1.1", "10.0.0.3", 5, 8080)));
    assert!(!allowed(tcp("1.1.1.1", "10.0.0.1", 5, 8081)));
    assert!(allowed(tcp("1.1.1.1", "10.0.0.3", 5, 80)));
    assert!(allowed(udp("1.1.1.1", "10.0.0.3", 5, 80)));
    assert!(allowed(udp("fd00::9", "fd00::1", 5, 53)));
    assert!(!allowed(tcp("fd00::9", "fd00::1", 5, 53)));
    assert!(!allowed(icmp("1.1.1.1", "10.0.0.1", 8, 0)));
    // The rule expands into the numeric alternative and one per (protocol, port) pair; the
    // final rule has one.
    let c = Classifier::build(&p, &s).unwrap();
    assert_eq!(c.stats().alternatives, 3 + 1);
}

#[test]
fn negated_named_ports_need_a_port_and_exclude_exactly_the_members() {
    let (p, s) = named_port_program(true);
    let allowed = |packet: PacketRepr| decide(&p, &s, &packet).verdict == Verdict::Allow;
    assert!(!allowed(tcp("1.1.1.1", "10.0.0.1", 5, 8080)));
    assert!(!allowed(tcp("1.1.1.1", "10.0.0.3", 5, 80)));
    assert!(allowed(tcp("1.1.1.1", "10.0.0.3", 5, 8080)));
    assert!(allowed(udp("1.1.1.1", "10.0.0.1", 5, 8080)));
    assert!(allowed(tcp("1.1.1.1", "10.0.0.1", 5, 443)));
    assert!(allowed(tcp("fd00::9", "fd00::1", 5, 53)));
    assert!(!allowed(udp("fd00::9", "fd00::1", 5, 53)));
    // DECISIONS D2: notPorts never matches a packet without ports.
    assert!(!allowed(icmp("1.1.1.1", "10.0.0.1", 8, 0)));
    assert!(!allowed(tcp("1.1.1.1", "10.0.0.1", 5, 443).without_l4()));
}

#[test]
fn icmp_and_not_icmp() {
    let s = IpSets::new();
    let p = program(vec![
        rule(
            Match {
                icmp: Some(IcmpMatch::new(8, None)),
                ..Match::default()
            },
            IrAction::Allow,
            "a",
            0,
        ),
        rule(
            Match {
                not_icmp: Some(IcmpMatch::new(3, Some(4))),
                ..Match::default()
            },
            IrAction::Log,
            "a",
            1,
        ),
        rule(
            Match {
                icmp: Some(IcmpMatch::ANY),
                ..Match::default()
            },
            IrAction::Deny,
            "a",
            2,
        ),
        end_of_tier("a", IrAction::Pass { to: 4 }),
        final_deny(),
    ]);
    let d = decide(&p, &s, &icmp("10.0.0.1", "10.0.0.2", 8, 0));
    assert_eq!(d.origin, origin("a", 0));
    let d = decide(&p, &s, &icmp("fd00::1", "fd00::2", 8, 3));
    assert_eq!(d.origin, origin("a", 0));
    let d = decide(&p, &s, &icmp("10.0.0.1", "10.0.0.2", 3, 4));
    assert_eq!((d.origin, d.steps.len()), (origin("a", 2), 0));
    let d = decide(&p, &s, &icmp("10.0.0.1", "10.0.0.2", 3, 3));
    assert_eq!(d.steps, vec![Step::Log(origin("a", 1))]);
    // Neither matches TCP (DECISIONS D2): the tier passes to the final rule.
    let d = decide(&p, &s, &tcp("10.0.0.1", "10.0.0.2", 1, 2));
    assert_eq!(d.origin, Origin::NoMatch);
    assert_eq!(
        d.steps,
        vec![Step::Pass(Origin::EndOfTier { tier: "a".into() })]
    );
    // ICMP without its header fields (a non-first fragment) matches no ICMP rule.
    let d = decide(&p, &s, &icmp("10.0.0.1", "10.0.0.2", 8, 0).without_l4());
    assert_eq!(d.origin, Origin::NoMatch);
    // ICMPv6 (58) carried in IPv4 has no ICMP fields.
    let v4_icmpv6 = PacketRepr::new(ip("10.0.0.1"), ip("10.0.0.2"), 58, L4::None).unwrap();
    assert_eq!(decide(&p, &s, &v4_icmpv6).origin, Origin::NoMatch);
}

#[test]
fn protocol_and_not_protocol() {
    let s = IpSets::new();
    let p = program(vec![
        rule(
            Match {
                protocol: Some(17),
                not_protocol: Some(17),
                ..Match::default()
            },
            IrAction::Allow,
            "a",
            0,
        ),
        rule(
            Match {
                not_protocol: Some(6),
                ..Match::default()
            },
            IrAction::Allow,
            "a",
            1,
        ),
        rule(
            Match {
                protocol: Some(6),
                ..Match::default()
            },
            IrAction::Deny,
            "a",
            2,
        ),
        final_deny(),
    ]);
    assert_eq!(
        decide(&p, &s, &udp("10.0.0.1", "10.0.0.2", 1, 2)).origin,
        origin("a", 1)
    );
    assert_eq!(
        decide(&p, &s, &tcp("10.0.0.1", "10.0.0.2", 1, 2)).origin,
        origin("a", 2)
    );
    let gre = PacketRepr::new(ip("10.0.0.1"), ip("10.0.0.2"), 47, L4::None).unwrap();
    assert_eq!(decide(&p, &s, &gre).origin, origin("a", 1));
    // `protocol 17, notProtocol 17` can never match.
    let c = Classifier::build(&p, &s).unwrap();
    assert_eq!(c.stats().never_matching_rules, 1);
}

#[test]
fn ip_version() {
    let s = IpSets::new();
    let p = program(vec![
        rule(
            Match {
                ip_version: Some(IpVersion::V6),
                ..Match::default()
            },
            IrAction::Allow,
            "a",
            0,
        ),
        final_deny(),
    ]);
    assert_eq!(
        decide(&p, &s, &tcp("fd00::1", "fd00::2", 1, 2)).verdict,
        Verdict::Allow
    );
    assert_eq!(
        decide(&p, &s, &tcp("10.0.0.1", "10.0.0.2", 1, 2)).verdict,
        Verdict::Deny
    );
}

#[test]
fn absent_l4_matches_no_port_rule() {
    let s = IpSets::new();
    let p = program(vec![
        rule(
            Match {
                src: SideMatch {
                    ports: Some(ports(&[(1, 65535)])),
                    ..SideMatch::default()
                },
                ..Match::default()
            },
            IrAction::Allow,
            "a",
            0,
        ),
        rule(
            Match {
                dst: SideMatch {
                    not_ports: Some(ports(&[(80, 80)])),
                    ..SideMatch::default()
                },
                ..Match::default()
            },
            IrAction::Allow,
            "a",
            1,
        ),
        final_deny(),
    ]);
    let fragment = tcp("10.0.0.1", "10.0.0.2", 1, 2).without_l4();
    assert_eq!(decide(&p, &s, &fragment).origin, Origin::NoMatch);
    // Port 0 is a present port: outside 1–65535 but not 80.
    let d = decide(&p, &s, &tcp("10.0.0.1", "10.0.0.2", 0, 0));
    assert_eq!(d.origin, origin("a", 1));
}

#[test]
fn empty_and_missing_sets() {
    let s = sets(vec![cidr_set("empty", &[])]);
    let side = |sets: &[&str], not: &[&str]| SideMatch {
        sets: sets.iter().map(|x| id(x)).collect(),
        not_sets: not.iter().map(|x| id(x)).collect(),
        ..SideMatch::default()
    };
    let p = program(vec![
        rule(
            Match {
                src: side(&["empty"], &[]),
                ..Match::default()
            },
            IrAction::Allow,
            "a",
            0,
        ),
        rule(
            Match {
                src: side(&["missing"], &[]),
                ..Match::default()
            },
            IrAction::Allow,
            "a",
            1,
        ),
        rule(
            Match {
                dst: side(&[], &["empty", "missing"]),
                protocol: Some(6),
                ..Match::default()
            },
            IrAction::Allow,
            "a",
            2,
        ),
        final_deny(),
    ]);
    assert_eq!(
        decide(&p, &s, &tcp("10.0.0.1", "10.0.0.2", 1, 2)).origin,
        origin("a", 2)
    );
    assert_eq!(
        decide(&p, &s, &udp("fd00::1", "fd00::2", 1, 2)).origin,
        Origin::NoMatch
    );
    let c = Classifier::build(&p, &s).unwrap();
    assert_eq!(c.stats().never_matching_rules, 2);
}

#[test]
fn overlapping_cidrs_of_both_families() {
    let s = sets(vec![
        cidr_set("wide", &["10.0.0.0/8", "fd00::/8"]),
        cidr_set("narrow", &["10.1.0.0/16", "10.1.2.3/32", "fd00:1::/32"]),
        cidr_set("hole", &["10.1.2.0/24"]),
    ]);
    let p = program(vec![
        // In wide but not narrow.
        rule(
            Match {
                src: SideMatch {
                    sets: smallvec![id("wide")],
                    not_sets: smallvec![id("narrow")],
                    ..SideMatch::default()
                },
                ..Match::default()
            },
            IrAction::Allow,
            "a",
            0,
        ),
        // In narrow and in hole.
        rule(
            Match {
                src: SideMatch {
                    sets: smallvec![id("narrow"), id("hole")],
                    ..SideMatch::default()
                },
                ..Match::default()
            },
            IrAction::Log,
            "a",
            1,
        ),
        rule(
            Match {
                src: SideMatch {
                    sets: smallvec![id("narrow")],
                    ..SideMatch::default()
                },
                ..Match::default()
            },
            IrAction::Deny,
            "a",
            2,
        ),
        final_deny(),
    ]);
    let by = |src: &str| {
        let dst = if src.contains(':') {
            "fd00::2"
        } else {
            "10.0.0.2"
        };
        let d = decide(&p, &s, &tcp(src, dst, 1, 2));
        (decided_by(&p, &d), d.steps.len())
    };
    assert_eq!(by("10.2.0.1"), (Some(0), 0));
    assert_eq!(by("10.1.0.1"), (Some(2), 0));
    assert_eq!(by("10.1.2.3"), (Some(2), 1));
    assert_eq!(by("10.1.2.4"), (Some(2), 1));
    assert_eq!(by("10.1.3.0"), (Some(2), 0));
    assert_eq!(by("11.0.0.0"), (Some(3), 0));
    assert_eq!(by("9.255.255.255"), (Some(3), 0));
    assert_eq!(by("fd00::1"), (Some(0), 0));
    assert_eq!(by("fd00:1::1"), (Some(2), 0));
    assert_eq!(by("fe80::1"), (Some(3), 0));
    // The exported address classes of the first block agree with the atoms.
    let c = Classifier::build(&p, &s).unwrap();
    let t = c.tables();
    let runs = t.addr_classes(0, Field::SrcAddr).unwrap();
    for r in &runs {
        for a in [r.first, r.last] {
            let atom = t.atoms.src_addr.atom_of(a);
            assert_eq!(t.class_of(0, Field::SrcAddr, atom), r.class, "{a}");
        }
    }
    let class = t.class_of(0, Field::SrcAddr, t.atoms.src_addr.atom_of(ip("10.1.0.1")));
    let prefixes: Vec<String> = t
        .class_prefixes(0, Field::SrcAddr, class)
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert!(prefixes.contains(&"10.1.0.0/23".to_owned()), "{prefixes:?}");
    assert!(
        !prefixes.iter().any(|p| p.starts_with("10.1.2.")),
        "{prefixes:?}"
    );
}

#[test]
fn rules_beyond_the_budget_are_evaluated_directly() {
    let s = sets(vec![named_set(
        "n",
        &[("10.0.0.1", 6, 1), ("10.0.0.2", 6, 2), ("10.0.0.3", 6, 3)],
    )]);
    let both = SideMatch {
        ports: Some(PortMatch {
            ranges: smallvec![],
            named: smallvec![id("n")],
        }),
        ..SideMatch::default()
    };
    let p = program(vec![
        rule(
            Match {
                src: both.clone(),
                dst: both,
                ..Match::default()
            },
            IrAction::Allow,
            "a",
            0,
        ),
        final_deny(),
    ]);
    let config = ClassifierConfig::new().max_rule_alternatives(4);
    let c = Classifier::build_with(&p, &s, &config).unwrap();
    assert_eq!(c.stats().direct_blocks, vec![(0, 1)]);
    assert_eq!(c.tables().blocks[0].kind, BlockKind::Direct);
    for packet in [
        tcp("10.0.0.1", "10.0.0.2", 1, 2),
        tcp("10.0.0.1", "10.0.0.2", 2, 2),
    ] {
        assert_eq!(c.decide(&packet), evaluate(&p, &packet, &s));
    }
    assert_eq!(
        c.decide(&tcp("10.0.0.1", "10.0.0.2", 1, 2)).verdict,
        Verdict::Allow
    );
}

#[test]
fn tables_serialise_and_round_trip() {
    let (p, s) = named_port_program(true);
    let c = Classifier::build(&p, &s).unwrap();
    let json = serde_json::to_string(c.tables()).unwrap();
    let back: palisade_compiler::classifier::ClassifierTables =
        serde_json::from_str(&json).unwrap();
    assert_eq!(&back, c.tables());
    let stats = serde_json::to_value(c.stats()).unwrap();
    assert!(stats["bytes"].as_u64().unwrap() > 0);
}

#[test]
fn fast_engine_caches_one_classifier_per_program() {
    let (p, s) = named_port_program(false);
    let shared = Arc::new(p);
    let target = |name: &str| ProgramTarget {
        endpoint: EndpointKey::Workload {
            namespace: "ns".into(),
            name: name.into(),
        },
        hook: Hook::WorkloadIngress,
    };
    let mut programs = BTreeMap::new();
    programs.insert(target("a"), shared.clone());
    programs.insert(target("b"), shared.clone());
    let engine = FastEngine::new(Arc::new(Snapshot { programs, sets: s }));
    assert_eq!(engine.name(), "fast");
    let packet = tcp("1.1.1.1", "10.0.0.2", 5, 8080);
    let d = engine.decide(&target("a"), &packet, None).unwrap();
    assert_eq!(d, evaluate(&shared, &packet, &engine.snapshot().sets));
    let ca = engine.classifier(&target("a")).unwrap();
    let cb = engine.classifier(&target("b")).unwrap();
    assert!(Arc::ptr_eq(&ca, &cb));
    assert!(matches!(
        engine.decide(&target("c"), &packet, None),
        Err(EngineError::UnknownTarget(_))
    ));
}
