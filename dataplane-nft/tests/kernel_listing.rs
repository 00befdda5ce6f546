//! The netlink-applied ruleset, listed back by `nft -j list ruleset`, equals what the text
//! rendering describes (applied by `nft -f` in a second namespace); for full replaces and for
//! incremental updates. Root only; each test in its own namespaces.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed unwrap is a failed test.

mod common;

use common::kernel::{kernel_tests_enabled, listing, nft};
use common::snap::*;
use palisade_dataplane_nft::apply::{Applier, ApplyMode};
use palisade_dataplane_nft::lower::{Binding, LowerOptions, LoweringMode, lower, lower_oracle};
use palisade_dataplane_nft::netns::NetnsThread;
use palisade_dataplane_nft::render::render_replace;
use palisade_dataplane_nft::ruleset::Ruleset;

fn bindings() -> Vec<Binding> {
    vec![
        Binding::new("veth_a", wl("ns1", "a")),
        Binding::new("veth_b", wl("ns1", "b")),
        Binding::new("eth1", hep("h1")),
    ]
}

/// Applies `r` over netlink in `a` and as text in `b`; asserts both listings are equal.
fn assert_same(a: &NetnsThread, b: &NetnsThread, r: &Ruleset) -> ApplyMode {
    let text = render_replace(r);
    nft(b, &["-c", "-f", "-"], Some(text.clone())).expect("nft -c accepts the rendering");
    nft(b, &["-f", "-"], Some(text)).expect("nft applies the rendering");
    let r2 = r.clone();
    let mode = a
        .run(move || {
            thread_local! {
                static APPLIER: std::cell::RefCell<Option<Applier>> = const { std::cell::RefCell::new(None) };
            }
            APPLIER.with(|cell| {
                let mut slot = cell.borrow_mut();
                if slot.is_none() {
                    *slot = Some(Applier::open().expect("netlink"));
                }
                slot.as_mut().unwrap().apply(&r2).map(|rep| rep.mode)
            })
        })
        .expect("namespace")
        .expect("netlink apply");
    let la = listing(a);
    eprintln!("listing items: {}", la.len());
    let lb = listing(b);
    if la != lb {
        let da: Vec<String> = la.iter().map(|v| v.to_string()).collect();
        let db: Vec<String> = lb.iter().map(|v| v.to_string()).collect();
        for x in &da {
            if !db.contains(x) {
                eprintln!("netlink only: {x}");
            }
        }
        for x in &db {
            if !da.contains(x) {
                eprintln!("text only:    {x}");
            }
        }
        panic!("listings differ");
    }
    mode
}

#[test]
fn netlink_and_text_install_the_same_dataplane_table() {
    if !kernel_tests_enabled("netlink_and_text_install_the_same_dataplane_table") {
        return;
    }
    let a = NetnsThread::spawn("nft-listing-a").unwrap();
    let b = NetnsThread::spawn("nft-listing-b").unwrap();
    for mode in [
        LoweringMode::PerRule,
        LoweringMode::DecisionTree,
        LoweringMode::Classifier,
    ] {
        for rule_counters in [false, true] {
            let opts = LowerOptions {
                mode,
                rule_counters,
                ..LowerOptions::default()
            };
            let lowered = lower(&rich_snapshot(), &bindings(), &opts).unwrap();
            assert_same(&a, &b, &lowered.ruleset);
        }
    }
}

#[test]
fn netlink_and_text_install_the_same_oracle_table() {
    if !kernel_tests_enabled("netlink_and_text_install_the_same_oracle_table") {
        return;
    }
    let a = NetnsThread::spawn("nft-oracle-a").unwrap();
    let b = NetnsThread::spawn("nft-oracle-b").unwrap();
    for mode in [
        LoweringMode::PerRule,
        LoweringMode::DecisionTree,
        LoweringMode::Classifier,
    ] {
        for rule_counters in [false, true] {
            let opts = LowerOptions {
                mode,
                rule_counters,
                ..LowerOptions::default()
            };
            let lowered = lower_oracle(&rich_snapshot(), &opts).unwrap();
            assert_same(&a, &b, &lowered.ruleset);
        }
    }
}
