//! Lowering tests that need no privileges: layout invariants, errors, sharing, and what a
//! membership change touches. Verdicts are tested against the kernel in `tests/kernel_*.rs`.

use std::sync::Arc;

use palisade_compiler::Snapshot;
use palisade_compiler::ir::{
    Hook, IcmpMatch, IpSet, IpSetId, IpSetMembers, IpSetSource, IpSets, IrAction, IrRule, Match,
    Origin, PortMatch, Program, ProgramTarget, SideMatch,
};
use palisade_policy_model::calico::EndpointToHostAction;
use palisade_policy_model::model::{EndpointKey, PolicyId, PolicyKind};
use palisade_policy_model::values::PortRange;

use super::*;
use crate::netlink::plan_update;
use crate::ruleset::{CtStates, Match as NftMatch, RuleVerdict, Stmt, Verdict};

const MODES: [LoweringMode; 3] = [
    LoweringMode::PerRule,
    LoweringMode::DecisionTree,
    LoweringMode::Classifier,
];

fn wl(name: &str) -> EndpointKey {
    EndpointKey::Workload {
        namespace: "ns".into(),
        name: name.into(),
    }
}

fn hep(name: &str) -> EndpointKey {
    EndpointKey::Host { name: name.into() }
}

fn origin(policy: &str, rule: u32) -> Origin {
    Origin::Rule {
        tier: "default".into(),
        policy: PolicyId {
            kind: PolicyKind::GlobalNetworkPolicy,
            namespace: None,
            name: policy.into(),
        },
        rule,
    }
}

fn set_id(n: usize) -> IpSetId {
    IpSetId::derive("net", &format!("s{n}"))
}

/// A program of `n` rules, each allowing TCP to one port from its own CIDR set.
fn program(hook: Hook, n: usize, log_first: bool) -> Program {
    let mut rules: Vec<IrRule> = (0..n)
        .map(|i| IrRule {
            matches: Match {
                protocol: Some(6),
                src: SideMatch {
                    sets: [set_id(i)].into_iter().collect(),
                    ..SideMatch::default()
                },
                dst: SideMatch {
                    ports: Some(PortMatch {
                        ranges: PortRange::single(1000 + i as u16).into_iter().collect(),
                        named: Default::default(),
                    }),
                    ..SideMatch::default()
                },
                ..Match::default()
            },
            action: if log_first && i == 0 {
                IrAction::Log
            } else {
                IrAction::Allow
            },
            origin: origin("p", i as u32),
        })
        .collect();
    rules.push(IrRule {
        matches: Match::any(),
        action: IrAction::Deny,
        origin: Origin::EndOfTier {
            tier: "default".into(),
        },
    });
    Program::new(hook, rules).unwrap()
}

fn sets(n: usize, members_each: usize) -> IpSets {
    let mut s = IpSets::new();
    for i in 0..n {
        // Every other /24, so that members never merge into one interval.
        let nets = (0..members_each).map(|j| {
            format!("10.{}.{}.0/24", i % 250, (2 * j) % 250)
                .parse()
                .unwrap()
        });
        s.insert(IpSet::new(
            set_id(i),
            IpSetSource::Nets,
            IpSetMembers::addrs(nets),
        ));
    }
    s
}

fn snapshot_for(endpoints: &[EndpointKey], n: usize, members_each: usize) -> Snapshot {
    let mut s = Snapshot::default();
    for ep in endpoints {
        let hooks: &[Hook] = match ep {
            EndpointKey::Workload { .. } => &Hook::WORKLOAD,
            EndpointKey::Host { .. } => &Hook::HOST,
        };
        for &hook in hooks {
            s.programs.insert(
                ProgramTarget {
                    endpoint: ep.clone(),
                    hook,
                },
                Arc::new(program(hook, n, false)),
            );
        }
    }
    s.sets = sets(n, members_each);
    s
}

/// `s` with set `n` holding exactly `nets`.
fn with_set(s: &Snapshot, n: usize, nets: &[&str]) -> Snapshot {
    let mut out = s.clone();
    out.sets.insert(IpSet::new(
        set_id(n),
        IpSetSource::Nets,
        IpSetMembers::addrs(nets.iter().map(|c| c.parse().unwrap())),
    ));
    out
}

/// Options with rule counters (as the engine lowers).
fn opts(mode: LoweringMode) -> LowerOptions {
    LowerOptions {
        mode,
        rule_counters: true,
        ..LowerOptions::default()
    }
}

/// The dataplane's default options: no rule counters.
fn uncounted(mode: LoweringMode) -> LowerOptions {
    LowerOptions {
        mode,
        ..LowerOptions::default()
    }
}

#[test]
fn without_rule_counters_no_counter_is_declared_or_counted() {
    for mode in MODES {
        let snap = snapshot_for(&[wl("a"), hep("h")], 6, 3);
        let lowered = lower_oracle(&snap, &uncounted(mode)).unwrap();
        lowered.ruleset.validate().unwrap();
        // Only the oracle's two outcome counters remain.
        assert_eq!(
            lowered.ruleset.counters,
            [ORACLE_ALLOW_COUNTER, ORACLE_NO_VERDICT_COUNTER]
                .map(str::to_owned)
                .into_iter()
                .collect(),
            "{mode:?}"
        );
        assert!(lowered.programs.values().all(|p| p.counters.is_empty()));
        let bindings = [Binding::new("veth1", wl("a"))];
        let dataplane = lower(&snap, &bindings, &uncounted(mode)).unwrap().ruleset;
        assert!(dataplane.counters.is_empty(), "{mode:?}");
        let counts = dataplane
            .chains
            .values()
            .flat_map(|c| &c.rules)
            .flat_map(|r| &r.stmts)
            .any(|s| matches!(s, Stmt::Counter(_)));
        assert!(!counts, "{mode:?}");
    }
}

/// True when applying `plan` makes the kernel validate the whole table at commit: an element
/// that jumps or goes to a chain is added, or a rule is (re)written with a statement or verdict
/// the kernel validates.
fn plan_adds_chain_elements(plan: &crate::netlink::Plan) -> bool {
    plan.ops.iter().any(|o| match o {
        crate::netlink::NlOp::AddElems { elems, .. } => elems
            .iter()
            .any(|e| matches!(&e.verdict, Some((_, Some(_))))),
        _ => false,
    })
}

#[test]
fn uncounted_trees_grow_an_allowing_set_without_chain_elements_or_chain_changes() {
    // Rule i allows TCP to port 1000+i from set i; the member joins set 2.
    let before = snapshot_for(&[wl("a")], 5, 3);
    let after = with_set(
        &before,
        2,
        &["10.2.0.0/24", "10.2.2.0/24", "10.2.4.0/24", "192.0.2.7/32"],
    );
    let bindings = [Binding::new("veth1", wl("a"))];
    let lowered = |s: &Snapshot, o: &LowerOptions| lower(s, &bindings, o).unwrap().ruleset;
    let lean = uncounted(LoweringMode::DecisionTree);
    let (plan, stats) = plan_update(&lowered(&before, &lean), &lowered(&after, &lean)).unwrap();
    // One map per program (ingress and egress) gains the address.
    assert_eq!(stats.sets_changed, 2, "{stats:?}");
    assert!(stats.elements_added > 0, "{stats:?}");
    assert_eq!(stats.elements_removed, 0, "{stats:?}");
    assert_eq!(
        stats.chains_added + stats.chains_removed + stats.chains_rewritten,
        0
    );
    assert!(!plan_adds_chain_elements(&plan), "{:?}", plan.ops);
    // With counters every allowing rule is a chain of its own: the same change adds a `goto`.
    let counted = opts(LoweringMode::DecisionTree);
    let (plan, _) = plan_update(&lowered(&before, &counted), &lowered(&after, &counted)).unwrap();
    assert!(plan_adds_chain_elements(&plan));
}

#[test]
fn every_ir_rule_has_a_declared_counter_and_the_table_validates() {
    for mode in MODES {
        let snap = snapshot_for(&[wl("a"), hep("h")], 6, 3);
        let lowered = lower_oracle(&snap, &opts(mode)).unwrap();
        lowered.ruleset.validate().unwrap();
        for (target, info) in &lowered.programs {
            let program = snap.program(target).unwrap();
            assert_eq!(info.counters.len(), program.len());
            for c in &info.counters {
                assert!(lowered.ruleset.counters.contains(c), "{mode:?}: {c}");
            }
            assert!(lowered.ruleset.chains.contains_key(&info.entry));
        }
    }
}

#[test]
fn identical_programs_share_their_chains_and_oracle_slot() {
    for mode in MODES {
        let snap = snapshot_for(&[wl("a"), wl("b")], 4, 2);
        let lowered = lower_oracle(&snap, &opts(mode)).unwrap();
        let a = ProgramTarget {
            endpoint: wl("a"),
            hook: Hook::WorkloadIngress,
        };
        let b = ProgramTarget {
            endpoint: wl("b"),
            hook: Hook::WorkloadIngress,
        };
        assert_eq!(lowered.programs[&a].entry, lowered.programs[&b].entry);
        assert_eq!(lowered.oracle_marks[&a], lowered.oracle_marks[&b]);
        let a_egress = ProgramTarget {
            endpoint: wl("a"),
            hook: Hook::WorkloadEgress,
        };
        // Same rules but another hook: another program.
        assert_ne!(
            lowered.programs[&a].entry,
            lowered.programs[&a_egress].entry
        );
    }
}

#[test]
fn cidrs_and_ports_are_set_elements_never_rules() {
    for mode in MODES {
        let small = lower_oracle(&snapshot_for(&[wl("a")], 5, 1), &opts(mode)).unwrap();
        let large = lower_oracle(&snapshot_for(&[wl("a")], 5, 200), &opts(mode)).unwrap();
        assert_eq!(
            small.ruleset.rule_count(),
            large.ruleset.rule_count(),
            "{mode:?}: more CIDRs must not mean more rules"
        );
        assert!(large.ruleset.element_count() > small.ruleset.element_count());
    }
}

#[test]
fn a_membership_change_is_only_an_element_delta() {
    for mode in MODES {
        let before = snapshot_for(&[wl("a"), hep("h")], 5, 3);
        let after = with_set(&before, 2, &["10.2.0.0/24", "192.0.2.7/32"]);
        let bindings = [
            Binding::new("veth1", wl("a")),
            Binding::new("eth0", hep("h")),
        ];
        for lowered in [
            [&before, &after].map(|s| lower_oracle(s, &opts(mode)).unwrap().ruleset),
            [&before, &after].map(|s| lower(s, &bindings, &opts(mode)).unwrap().ruleset),
        ] {
            let [old, new] = lowered;
            if mode == LoweringMode::PerRule {
                assert_eq!(old.chains, new.chains, "no chain changes");
            }
            let (plan, stats) = plan_update(&old, &new).unwrap();
            assert!(stats.sets_changed >= 1, "{mode:?}");
            assert_eq!(stats.chains_added + stats.chains_removed, 0, "{mode:?}");
            if mode == LoweringMode::PerRule {
                assert_eq!(stats.chains_rewritten, 0);
                assert!(plan.ops.iter().all(|o| matches!(
                    o,
                    crate::netlink::NlOp::AddElems { .. } | crate::netlink::NlOp::DelElems { .. }
                )));
            }
        }
    }
}

fn chain<'r>(r: &'r Ruleset, name: &str) -> &'r crate::ruleset::Chain {
    r.chains
        .get(name)
        .unwrap_or_else(|| panic!("chain {name} missing"))
}

#[test]
fn endpoint_chains_accept_established_first_and_drop_invalid() {
    let snap = snapshot_for(&[wl("a"), hep("h")], 2, 1);
    let bindings = [
        Binding::new("veth1", wl("a")),
        Binding::new("eth0", hep("h")),
    ];
    let r = lower(&snap, &bindings, &LowerOptions::default())
        .unwrap()
        .ruleset;
    for name in [
        "wfrom_veth1",
        "wto_veth1",
        "whost_veth1",
        "hin_eth0",
        "hout_eth0",
        "hfin_eth0",
        "hfout_eth0",
    ] {
        let c = chain(&r, name);
        assert_eq!(
            c.rules[0].matches,
            vec![NftMatch::CtState(CtStates::ESTABLISHED_RELATED)],
            "{name}"
        );
        assert_eq!(
            c.rules[0].verdict,
            Some(RuleVerdict::Plain(Verdict::Accept))
        );
        assert_eq!(
            c.rules[1].matches,
            vec![NftMatch::CtState(CtStates::INVALID)]
        );
        assert_eq!(c.rules[1].verdict, Some(RuleVerdict::Plain(Verdict::Drop)));
        // Whatever the program leaves undecided is dropped (fail closed), except the
        // forward-egress chain, whose stages may all pass.
        if name != "hfout_eth0" {
            assert_eq!(
                c.rules.last().unwrap().verdict,
                Some(RuleVerdict::Plain(Verdict::Drop)),
                "{name}"
            );
        }
    }
}

#[test]
fn interfaces_are_dispatched_by_verdict_maps() {
    let snap = snapshot_for(&[wl("a"), wl("b"), hep("h")], 2, 1);
    let bindings = [
        Binding::new("veth1", wl("a")),
        Binding::new("veth2", wl("b")),
        Binding::new("eth0", hep("h")),
    ];
    let r = lower(&snap, &bindings, &LowerOptions::default())
        .unwrap()
        .ruleset;
    let from = &r.sets["pal_fwd_from"];
    assert!(from.map);
    // Egress of the source continues with the destination's dispatch: a jump.
    assert!(
        from.elements
            .iter()
            .all(|e| matches!(e.verdict, Some(Verdict::Jump(_))))
    );
    assert_eq!(from.elements.len(), 3);
    let forward = chain(&r, "base_forward");
    assert!(matches!(
        &forward.rules[0].verdict,
        Some(RuleVerdict::Vmap { map, .. }) if map == "pal_fwd_from"
    ));
    assert!(matches!(
        &forward.rules[1].verdict,
        Some(RuleVerdict::Vmap { map, .. }) if map == "pal_fwd_to"
    ));
    // Host → local workload is not policed: the output dispatch only knows the host endpoint.
    assert_eq!(r.sets["pal_output"].elements.len(), 1);
    // Untracked and pre-DNAT stages exist for the host endpoint, and the raw chains clear the
    // early-accept bit first.
    for base in ["base_raw_pre", "base_raw_out"] {
        let early = LowerOptions::default().marks.early();
        assert_eq!(
            chain(&r, base).rules[0].stmts,
            vec![Stmt::mark_set(early, 0)]
        );
    }
    assert!(r.chains.contains_key("base_mangle_pre"));
}

#[test]
fn the_endpoint_to_host_action_is_honoured() {
    let snap = snapshot_for(&[wl("a")], 2, 1);
    let bindings = [Binding::new("veth1", wl("a"))];
    let allow = LowerOptions::default().marks.allow();
    let after_allow = |action| {
        let o = LowerOptions {
            endpoint_to_host: action,
            ..LowerOptions::default()
        };
        let r = lower(&snap, &bindings, &o).unwrap().ruleset;
        chain(&r, "whost_veth1")
            .rules
            .iter()
            .find(|rule| {
                rule.matches
                    == vec![NftMatch::Mark {
                        mask: allow,
                        value: allow,
                        negate: false,
                    }]
            })
            .and_then(|rule| rule.verdict.clone())
    };
    assert_eq!(
        after_allow(EndpointToHostAction::Accept),
        Some(RuleVerdict::Plain(Verdict::Accept))
    );
    assert_eq!(
        after_allow(EndpointToHostAction::Return),
        Some(RuleVerdict::Plain(Verdict::Return))
    );
    // Drop: an allowed packet still reaches the final drop.
    assert_eq!(after_allow(EndpointToHostAction::Drop), None);
}

#[test]
fn a_wildcard_host_endpoint_covers_unbound_interfaces_but_not_lo() {
    let snap = snapshot_for(&[wl("a"), hep("h")], 2, 1);
    let bindings = [Binding::new("veth1", wl("a")), Binding::new("*", hep("h"))];
    let r = lower(&snap, &bindings, &LowerOptions::default())
        .unwrap()
        .ruleset;
    let input = chain(&r, "base_input");
    let star = input
        .rules
        .iter()
        .find(|rule| matches!(rule.verdict, Some(RuleVerdict::Plain(Verdict::Goto(ref c))) if c == "hin_all"))
        .expect("wildcard rule");
    assert!(star.matches.contains(&NftMatch::IfName {
        dir: crate::ruleset::IfDir::In,
        name: "lo".into(),
        negate: true
    }));
    assert!(r.sets["pal_bound"].elements.len() == 1);
}

#[test]
fn bindings_are_checked() {
    let snap = snapshot_for(&[wl("a"), hep("h")], 1, 1);
    let o = LowerOptions::default();
    let e = |b: &[Binding]| lower(&snap, b, &o).unwrap_err();
    assert!(matches!(
        e(&[
            Binding::new("veth1", wl("a")),
            Binding::new("veth1", hep("h"))
        ]),
        LowerError::DuplicateInterface { .. }
    ));
    assert!(matches!(
        e(&[Binding::new("a-very-long-interface-name", wl("a"))]),
        LowerError::BadInterface { .. }
    ));
    assert!(matches!(
        e(&[Binding::new("*", wl("a"))]),
        LowerError::WildcardWorkload { .. }
    ));
    assert!(matches!(
        e(&[Binding::new("*", hep("h")), Binding::new("*", hep("h"))]),
        LowerError::DuplicateWildcard
    ));
    assert!(matches!(
        e(&[Binding::new("veth9", wl("unknown"))]),
        LowerError::MissingProgram { .. }
    ));
    let bad = LowerOptions {
        table: "not a table".into(),
        ..LowerOptions::default()
    };
    assert!(matches!(
        lower(&snap, &[], &bad),
        Err(LowerError::BadOptions(_))
    ));
}

#[test]
fn log_rules_log_and_continue() {
    for mode in MODES {
        let mut snap = Snapshot::default();
        let t = ProgramTarget {
            endpoint: wl("a"),
            hook: Hook::WorkloadIngress,
        };
        snap.programs
            .insert(t.clone(), Arc::new(program(Hook::WorkloadIngress, 3, true)));
        snap.sets = sets(3, 1);
        let r = lower_oracle(&snap, &opts(mode)).unwrap().ruleset;
        let logs: Vec<_> = r
            .chains
            .values()
            .flat_map(|c| &c.rules)
            .filter(|rule| rule.stmts.iter().any(|s| matches!(s, Stmt::Log { .. })))
            .collect();
        let _ = Verdict::Drop;
        assert!(!logs.is_empty(), "{mode:?}");
        for rule in logs {
            if mode == LoweringMode::PerRule {
                // A Log rule only logs.
                assert_eq!(rule.verdict, None);
            } else if rule.verdict.is_some() {
                // An entry logs first; what decides is the rule counted after the last log.
                let last_log = rule
                    .stmts
                    .iter()
                    .rposition(|s| matches!(s, Stmt::Log { .. }))
                    .unwrap();
                assert!(
                    matches!(rule.stmts.get(last_log + 1), Some(Stmt::Counter(_))),
                    "{mode:?}"
                );
            }
        }
    }
}

#[test]
fn too_many_pass_targets_are_reported() {
    let mut rules = Vec::new();
    for i in 0..300u32 {
        rules.push(IrRule {
            matches: Match {
                protocol: Some(6),
                ..Match::default()
            },
            action: IrAction::Pass { to: i + 1 },
            origin: Origin::EndOfTier {
                tier: format!("t{i}").into(),
            },
        });
    }
    rules.push(IrRule {
        matches: Match::any(),
        action: IrAction::Deny,
        origin: Origin::NoMatch,
    });
    let mut snap = Snapshot::default();
    snap.programs.insert(
        ProgramTarget {
            endpoint: wl("a"),
            hook: Hook::WorkloadIngress,
        },
        Arc::new(Program::new(Hook::WorkloadIngress, rules).unwrap()),
    );
    for mode in MODES {
        assert!(matches!(
            lower_oracle(&snap, &opts(mode)),
            Err(LowerError::TooManyPassTargets { count: 300, .. })
        ));
    }
}

#[test]
fn icmp_matches_use_the_familys_protocol_in_each_family_chain() {
    let rules = vec![
        IrRule {
            matches: Match {
                icmp: Some(IcmpMatch::new(8, None)),
                ..Match::default()
            },
            action: IrAction::Allow,
            origin: origin("icmp", 0),
        },
        IrRule {
            matches: Match::any(),
            action: IrAction::Deny,
            origin: Origin::NoMatch,
        },
    ];
    let mut snap = Snapshot::default();
    snap.programs.insert(
        ProgramTarget {
            endpoint: wl("a"),
            hook: Hook::WorkloadIngress,
        },
        Arc::new(Program::new(Hook::WorkloadIngress, rules).unwrap()),
    );
    let r = lower_oracle(&snap, &opts(LoweringMode::PerRule))
        .unwrap()
        .ruleset;
    let info_chain = |suffix: &str| {
        r.chains
            .iter()
            .find(|(n, _)| n.starts_with("pol_") && n.ends_with(suffix))
            .map(|(_, c)| c.clone())
            .unwrap()
    };
    for (suffix, proto) in [("_4", 1u8), ("_6", 58)] {
        let c = info_chain(suffix);
        assert!(c.rules[0].matches.contains(&NftMatch::L4proto {
            proto,
            negate: false
        }));
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..Default::default() })]

    /// Random models, compiled by the compiler: both lowerings always give a valid table.
    #[test]
    fn random_models_lower_to_valid_tables(
        (generated, _packets) in palisade_compiler::testing::generators::model_with_packets(1)
    ) {
        let options = generated.options(palisade_compiler::HttpMode::L4Only, false);
        let compiler = palisade_compiler::Compiler::new(generated.model(), options);
        proptest::prop_assume!(compiler.check().is_ok());
        for mode in MODES {
            let lowered = lower_oracle(compiler.snapshot(), &opts(mode));
            proptest::prop_assert!(lowered.is_ok(), "{:?}: {:?}", mode, lowered.err());
        }
    }
}
