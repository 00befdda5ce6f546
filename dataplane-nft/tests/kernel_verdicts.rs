//! Verdicts through the output-hook oracle for every rule feature, checked against the IR
//! evaluator (the engine must report the same decision: verdict, origin and steps) and against
//! expectations written from SEMANTICS for the key cases.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed unwrap is a failed test.

mod common;

use common::kernel::kernel_tests_enabled;
use common::snap::*;
use palisade_compiler::decision::Verdict;
use palisade_compiler::engine::Engine;
use palisade_compiler::ir::{Hook, ProgramTarget, evaluate};
use palisade_compiler::packet::{L4, PacketRepr};
use palisade_dataplane_nft::engine::NftEngine;
use palisade_dataplane_nft::lower::{LowerOptions, LoweringMode};

fn target(ep: palisade_policy_model::model::EndpointKey, hook: Hook) -> ProgramTarget {
    ProgramTarget { endpoint: ep, hook }
}

fn packets() -> Vec<PacketRepr> {
    let a = |s: &str| s.parse().unwrap();
    let mut v = vec![
        PacketRepr::tcp(a("10.1.0.5"), a("10.0.0.1"), 40000, 80).unwrap(),
        PacketRepr::tcp(a("10.1.2.5"), a("10.0.0.1"), 40000, 80).unwrap(),
        PacketRepr::tcp(a("10.3.0.5"), a("10.0.0.1"), 40000, 22).unwrap(),
        PacketRepr::tcp(a("10.3.0.5"), a("10.0.0.1"), 40000, 2050).unwrap(),
        PacketRepr::tcp(a("10.3.0.5"), a("10.9.0.1"), 40000, 8080).unwrap(),
        PacketRepr::tcp(a("10.3.0.5"), a("10.9.0.2"), 40000, 8080).unwrap(),
        PacketRepr::udp(a("10.3.0.5"), a("10.9.0.1"), 40000, 8080).unwrap(),
        PacketRepr::udp(a("10.3.0.5"), a("10.0.0.9"), 5500, 53).unwrap(),
        PacketRepr::udp(a("10.3.0.5"), a("10.0.0.9"), 5500, 2000).unwrap(),
        PacketRepr::udp(a("192.168.1.1"), a("10.0.0.9"), 5500, 2000).unwrap(),
        PacketRepr::icmp(a("10.3.0.5"), a("10.0.0.9"), 8, 0).unwrap(),
        PacketRepr::icmp(a("10.3.0.5"), a("10.0.0.9"), 8, 1).unwrap(),
        PacketRepr::icmp(a("10.3.0.5"), a("10.0.0.9"), 3, 1).unwrap(),
        PacketRepr::icmp(a("fd00:5::1"), a("fd00::9"), 8, 0).unwrap(),
        PacketRepr::icmp(a("fd00:5::1"), a("fd00::9"), 128, 0).unwrap(),
        PacketRepr::icmp(a("fd00:5::1"), a("fd00::9"), 3, 0).unwrap(),
        PacketRepr::tcp(a("fd00:2::7"), a("fd00::9"), 1, 80).unwrap(),
        PacketRepr::tcp(a("fd00:1::7"), a("fd00::9"), 1, 80).unwrap(),
        PacketRepr::udp(a("fd00:1::7"), a("fd00:9::1"), 1, 53).unwrap(),
        PacketRepr::new(
            a("10.3.0.5"),
            a("10.0.0.9"),
            132,
            L4::Ports { src: 1, dst: 9 },
        )
        .unwrap(),
        PacketRepr::new(
            a("10.3.0.5"),
            a("10.9.0.1"),
            132,
            L4::Ports { src: 1, dst: 8080 },
        )
        .unwrap(),
        PacketRepr::new(a("10.3.0.5"), a("10.0.0.9"), 47, L4::None).unwrap(),
        PacketRepr::new(a("10.3.0.5"), a("10.0.0.9"), 6, L4::None).unwrap(),
        PacketRepr::new(a("10.3.0.5"), a("10.0.0.9"), 1, L4::None).unwrap(),
        PacketRepr::new(a("10.3.0.5"), a("10.0.0.9"), 17, L4::None).unwrap(),
        PacketRepr::udp(a("10.3.0.5"), a("10.0.0.9"), 5500, 4789).unwrap(),
        PacketRepr::tcp(a("10.3.0.5"), a("10.0.0.9"), 40000, 25).unwrap(),
    ];
    v.push(PacketRepr::udp(a("10.3.0.5"), a("10.0.0.9"), 5500, 1023).unwrap());
    v
}

#[test]
fn the_oracle_agrees_with_the_ir_evaluator_on_every_feature() {
    if !kernel_tests_enabled("the_oracle_agrees_with_the_ir_evaluator_on_every_feature") {
        return;
    }
    for mode in [
        LoweringMode::PerRule,
        LoweringMode::DecisionTree,
        LoweringMode::Classifier,
    ] {
        check_mode(mode);
    }
}

fn check_mode(mode: LoweringMode) {
    let snap = rich_snapshot();
    let opts = LowerOptions {
        mode,
        ..LowerOptions::default()
    };
    let engine = NftEngine::new(&snap, &opts).unwrap();
    let mut checked = 0;
    for (t, program) in &snap.programs {
        for p in packets() {
            let want = evaluate(program, &p, &snap.sets);
            let got = engine
                .decide(t, &p, None)
                .unwrap_or_else(|e| panic!("{t} {p}: {e}"));
            assert_eq!(got, want, "{mode:?} {t}: {p}");
            checked += 1;
        }
    }
    assert!(checked > 200);
    // A few expectations straight from the semantics.
    let a_in = target(wl("ns1", "a"), Hook::WorkloadIngress);
    let blocked = PacketRepr::tcp(
        "10.1.2.5".parse().unwrap(),
        "10.0.0.1".parse().unwrap(),
        1,
        80,
    )
    .unwrap();
    let d = engine.decide(&a_in, &blocked, None).unwrap();
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.origin, rule_origin("tier1", "block", 0));
    // The log rule before it fired (the source is also a client).
    assert_eq!(d.steps.len(), 1);
}
