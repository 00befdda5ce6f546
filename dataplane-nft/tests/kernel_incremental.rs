//! Incremental updates over netlink give the same kernel state as applying the new ruleset's
//! text from scratch; a set membership change is one batch of element deltas; a table changed
//! behind the applier's back is replaced (reconciled), and other tables are never touched.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed unwrap is a failed test.

mod common;

use std::cell::RefCell;

use common::kernel::{kernel_tests_enabled, listing, nft};
use common::snap::*;
use palisade_compiler::Snapshot;
use palisade_compiler::ir::{Hook, ProgramTarget};
use palisade_dataplane_nft::apply::{Applier, ApplyMode, ApplyReport, ReplaceReason};
use palisade_dataplane_nft::lower::{Binding, LowerOptions, LoweringMode, lower};
use palisade_dataplane_nft::netns::NetnsThread;
use palisade_dataplane_nft::render::render_replace;
use palisade_dataplane_nft::ruleset::Ruleset;

thread_local! {
    static APPLIER: RefCell<Option<Applier>> = const { RefCell::new(None) };
}

fn apply_netlink(ns: &NetnsThread, r: &Ruleset, what: &str) -> ApplyReport {
    let r = r.clone();
    ns.run(move || {
        APPLIER.with(|a| {
            let mut a = a.borrow_mut();
            let applier = a.get_or_insert_with(|| Applier::open().unwrap());
            applier.apply(&r).map_err(|e| e.to_string())
        })
    })
    .unwrap()
    .unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn bindings(with_b: bool) -> Vec<Binding> {
    let mut b = vec![
        Binding::new("veth_a", wl("ns1", "a")),
        Binding::new("eth1", hep("h1")),
    ];
    if with_b {
        b.push(Binding::new("veth_b", wl("ns1", "b")));
    }
    b
}

/// The rich snapshot with one member added to the `clients` set.
fn member_change(s: &Snapshot) -> Snapshot {
    let mut s = s.clone();
    s.sets.insert(nets(
        "clients",
        &["10.1.0.0/16", "10.2.3.4/32", "10.9.9.9/32", "fd00:1::/64"],
    ));
    s
}

/// The rich snapshot with workload a's ingress program replaced by b's.
fn program_change(s: &Snapshot) -> Snapshot {
    let mut s = s.clone();
    let a_in = ProgramTarget {
        endpoint: wl("ns1", "a"),
        hook: Hook::WorkloadIngress,
    };
    s.programs.insert(
        a_in,
        std::sync::Arc::new(profile_program(Hook::WorkloadIngress)),
    );
    s
}

fn check_mode(mode: LoweringMode, rule_counters: bool) {
    let a = NetnsThread::spawn("nft-incr-a").unwrap();
    let b = NetnsThread::spawn("nft-incr-b").unwrap();
    let opts = LowerOptions {
        mode,
        rule_counters,
        ..LowerOptions::default()
    };
    let base = rich_snapshot();
    let steps: Vec<(&str, Snapshot, bool)> = vec![
        ("initial", base.clone(), true),
        ("member added", member_change(&base), true),
        ("program changed", program_change(&base), true),
        ("endpoint unbound", program_change(&base), false),
        ("back to the start", base.clone(), true),
    ];
    for (i, (what, snap, with_b)) in steps.iter().enumerate() {
        let r = lower(snap, &bindings(*with_b), &opts).unwrap().ruleset;
        let report = apply_netlink(&a, &r, &format!("{mode:?}: {what}"));
        nft(&b, &["-f", "-"], Some(render_replace(&r))).unwrap();
        assert_eq!(
            listing(&a),
            listing(&b),
            "{mode:?} (rule counters {rule_counters}): {what}"
        );
        if i == 0 {
            assert_eq!(report.mode, ApplyMode::Replace);
            assert_eq!(report.reason, Some(ReplaceReason::FirstApply));
        } else {
            assert_eq!(report.mode, ApplyMode::Update, "{mode:?}: {what}");
        }
        if *what == "member added" {
            let commit = report.commit.expect("one batch");
            assert_eq!(report.stats.chains_added + report.stats.chains_removed, 0);
            if mode == LoweringMode::PerRule {
                // Only element deltas: a handful of messages, no chain touched.
                assert_eq!(report.stats.chains_rewritten, 0);
                assert!(commit.messages <= 4, "{commit:?}");
            }
        }
    }

    // Someone changes nftables behind the applier's back: another table appears and a rule of
    // ours is flushed. The next apply notices the generation change and replaces our table;
    // the other table stays.
    nft(&a, &["add", "table", "inet", "intruder"], None).unwrap();
    nft(
        &a,
        &["flush", "chain", "inet", "palisade", "base_forward"],
        None,
    )
    .unwrap();
    let r = lower(&base, &bindings(true), &opts).unwrap().ruleset;
    let report = apply_netlink(&a, &r, &format!("{mode:?}: reconcile"));
    assert_eq!(report.mode, ApplyMode::Replace);
    assert_eq!(report.reason, Some(ReplaceReason::GenerationChanged));
    nft(&b, &["add", "table", "inet", "intruder"], None).unwrap();
    assert_eq!(listing(&a), listing(&b), "{mode:?}: reconciled");
}

#[test]
fn incremental_updates_equal_fresh_applies() {
    if !kernel_tests_enabled("incremental_updates_equal_fresh_applies") {
        return;
    }
    for mode in [
        LoweringMode::PerRule,
        LoweringMode::DecisionTree,
        LoweringMode::Classifier,
    ] {
        for rule_counters in [false, true] {
            check_mode(mode, rule_counters);
        }
    }
}
