//! Atomicity: a batch the kernel refuses part-way (an invalid element injected at its end)
//! changes nothing. The previous ruleset stays fully in force — same listing, same verdicts —
//! for incremental updates and for whole-table replaces.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed unwrap is a failed test.

mod common;

use common::kernel::{kernel_tests_enabled, listing};
use common::snap::*;
use palisade_compiler::ir::{
    Hook, IrAction, Match, Origin, Program, ProgramTarget, SideMatch, evaluate,
};
use palisade_compiler::packet::PacketRepr;
use palisade_compiler::{Engine, Snapshot};
use palisade_dataplane_nft::apply::Applier;
use palisade_dataplane_nft::engine::NftEngine;
use palisade_dataplane_nft::lower::{LowerOptions, Lowered, lower_oracle};
use palisade_dataplane_nft::netns::NetnsThread;
use palisade_dataplane_nft::ruleset::{Element, KeyPart, KeyType, Set};

fn snapshot(action: IrAction) -> Snapshot {
    let rules = vec![
        ir(
            action,
            Match {
                protocol: Some(6),
                dst: SideMatch {
                    ports: Some(ports(&[(80, 80)], &[])),
                    ..Default::default()
                },
                ..Default::default()
            },
            rule_origin("default", "web", 0),
        ),
        ir(
            IrAction::Deny,
            Match::any(),
            Origin::EndOfTier {
                tier: "default".into(),
            },
        ),
    ];
    snapshot_of(rules)
}

fn snapshot_of(rules: Vec<palisade_compiler::ir::IrRule>) -> Snapshot {
    let p = Program::new(Hook::WorkloadIngress, rules).unwrap();
    common::snap::snapshot(vec![(wl("ns", "a"), Hook::WorkloadIngress, p)], vec![])
}

/// A table that passes the model's checks but that the kernel refuses at its last element:
/// two overlapping elements in a concatenated interval set (pipapo rejects overlaps).
fn poisoned(mut lowered: Lowered) -> Lowered {
    let mut set = Set::new(vec![KeyType::Ipv4Addr, KeyType::InetService], true);
    set.elements = vec![
        Element {
            key: vec![
                KeyPart::range(0x0a00_0000, 0x0aff_ffff),
                KeyPart::range(1, 100),
            ],
            verdict: None,
        },
        Element {
            key: vec![
                KeyPart::range(0x0a01_0000, 0x0a01_ffff),
                KeyPart::range(50, 60),
            ],
            verdict: None,
        },
    ];
    lowered.ruleset.sets.insert("zz_poison".into(), set);
    lowered.ruleset.validate().expect("the model accepts it");
    lowered
}

fn web() -> PacketRepr {
    PacketRepr::tcp(
        "10.1.1.1".parse().unwrap(),
        "10.2.2.2".parse().unwrap(),
        1234,
        80,
    )
    .unwrap()
}

#[test]
fn a_refused_update_leaves_the_previous_ruleset_in_force() {
    if !kernel_tests_enabled("a_refused_update_leaves_the_previous_ruleset_in_force") {
        return;
    }
    let opts = LowerOptions::default();
    let allow = snapshot(IrAction::Allow);
    let deny = snapshot(IrAction::Deny);
    let mut engine = NftEngine::new(&allow, &opts).unwrap();
    let target = ProgramTarget {
        endpoint: wl("ns", "a"),
        hook: Hook::WorkloadIngress,
    };
    let before = listing(engine.namespace());
    let d = engine.decide(&target, &web(), None).unwrap();
    assert_eq!(
        d,
        evaluate(allow.program(&target).unwrap(), &web(), &allow.sets)
    );

    let bad = poisoned(lower_oracle(&deny, &opts).unwrap());
    let err = engine.load(&deny, bad).unwrap_err();
    assert!(err.to_string().contains("zz_poison"), "{err}");
    // Nothing of the refused batch is visible: same listing, the old program still decides.
    assert_eq!(listing(engine.namespace()), before);
    let d = engine.decide(&target, &web(), None).unwrap();
    assert_eq!(d.verdict, palisade_compiler::Verdict::Allow);

    // The same update without the poison goes through.
    engine.update(&deny).unwrap();
    let d = engine.decide(&target, &web(), None).unwrap();
    assert_eq!(
        d,
        evaluate(deny.program(&target).unwrap(), &web(), &deny.sets)
    );
}

#[test]
fn a_refused_replace_leaves_the_previous_table_in_force() {
    if !kernel_tests_enabled("a_refused_replace_leaves_the_previous_table_in_force") {
        return;
    }
    let ns = NetnsThread::spawn("nft-atomic-replace").unwrap();
    let opts = LowerOptions::default();
    let good = lower_oracle(&snapshot(IrAction::Allow), &opts)
        .unwrap()
        .ruleset;
    let bad = poisoned(lower_oracle(&snapshot(IrAction::Deny), &opts).unwrap()).ruleset;
    let (g, b) = (good.clone(), bad.clone());
    let before = ns
        .run(move || {
            let mut applier = Applier::open().unwrap();
            applier.apply(&g).unwrap();
            applier
        })
        .unwrap();
    let snapshot_before = listing(&ns);
    let result = ns
        .run(move || {
            let mut applier = before;
            applier.replace(&b).map(|_| ()).map_err(|e| e.to_string())
        })
        .unwrap();
    assert!(result.is_err());
    assert_eq!(listing(&ns), snapshot_before);
}
