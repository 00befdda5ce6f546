//! The IR as the compiler emits it (DESIGN §2, DECISIONS D6): program layout per hook, shared
//! programs and sets, stable set IDs, readable printing and serde round trips.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod common;

use std::sync::Arc;

use common::*;
use palisade_compiler::ir::{Hook, IpSetId, IrAction, Origin, ProgramTarget};
use palisade_compiler::testing::build::*;
use palisade_compiler::{CompileOptions, Compiler, Snapshot};
use palisade_policy_model::model::{Failsafe, Model};
use palisade_policy_model::values::{Protocol, TierAction};

fn program(
    c: &Compiler,
    endpoint: palisade_policy_model::model::EndpointKey,
    hook: Hook,
) -> Arc<palisade_compiler::ir::Program> {
    c.snapshot()
        .program(&ProgramTarget { endpoint, hook })
        .unwrap_or_else(|| panic!("no program for {hook}"))
        .clone()
}

fn model() -> Model {
    ModelBuilder::new()
        .tier(tier("t1", Some(1.0), TierAction::Pass))
        .profile(namespace("a", &[]))
        .policy(gnp("p1", "t1", None, "app == 'web'").ingress(vec![
            pass().src_nets(&["10.0.0.0/8"]),
            allow().tcp().dst_named_ports(&["http"]),
        ]))
        .policy(
            np("a", "p2", "default", None, "app == 'web'")
                .ingress(vec![allow().src_nets(&["10.0.0.0/8"])]),
        )
        .workload(pod("a", "web1", &[("app", "web")], &["10.0.0.1"]))
        .workload(pod("a", "web2", &[("app", "web")], &["10.0.0.2"]))
        .host(host_endpoint(
            "h",
            "n1",
            &[("host", "yes")],
            &["192.168.0.1"],
        ))
        .felix(felix(
            vec![Failsafe {
                protocol: Protocol::Tcp,
                port: 22,
                net: Some(net("10.0.0.0/8")),
            }],
            vec![Failsafe {
                protocol: Protocol::Udp,
                port: 53,
                net: None,
            }],
            palisade_policy_model::calico::EndpointToHostAction::Drop,
        ))
        .build()
}

#[test]
fn workload_program_layout() {
    let c = Compiler::new(model(), CompileOptions::new());
    let p = program(&c, wl("a", "web1"), Hook::WorkloadIngress);
    let summary: Vec<(IrAction, &str)> = p
        .rules()
        .iter()
        .map(|r| (r.action, r.origin.by()))
        .collect();
    assert_eq!(
        summary,
        [
            (IrAction::Pass { to: 3 }, "rule"), // t1/p1 rule 0 → first rule of `default`
            (IrAction::Allow, "rule"),          // t1/p1 rule 1
            (IrAction::Pass { to: 3 }, "end-of-tier"), // t1 defaults to Pass
            (IrAction::Allow, "rule"),          // default/p2 rule 0
            (IrAction::Deny, "end-of-tier"),    // default
            (IrAction::Allow, "profile"),       // kns.a
            (IrAction::Deny, "no-match"),
        ]
    );
    // The same nets in two policies are one content-addressed set.
    assert_eq!(p.rules()[0].matches.src.sets, p.rules()[3].matches.src.sets);
}

#[test]
fn host_program_layouts() {
    let c = Compiler::new(model(), CompileOptions::new());
    let h = || hep("h");
    let ingress = program(&c, h(), Hook::HostIngress);
    assert_eq!(ingress.rules()[0].origin, Origin::Failsafe { rule: 0 });
    assert_eq!(ingress.rules()[0].action, IrAction::Allow);
    assert_eq!(
        ingress.rules().last().map(|r| (r.action, r.origin.clone())),
        Some((IrAction::Deny, Origin::NoMatch))
    );
    for hook in [Hook::HostPreDnatIngress, Hook::HostUntrackedIngress] {
        let p = program(&c, h(), hook);
        assert_eq!(p.rules()[0].action, IrAction::NoVerdict);
        assert_eq!(p.rules()[0].origin, Origin::Failsafe { rule: 0 });
        assert_eq!(
            p.rules().last().map(|r| (r.action, r.origin.clone())),
            Some((IrAction::NoVerdict, Origin::Default))
        );
    }
    let untracked_egress = program(&c, h(), Hook::HostUntrackedEgress);
    assert_eq!(untracked_egress.rules()[0].matches.protocol, Some(17));
    for hook in [Hook::HostForwardIngress, Hook::HostForwardEgress] {
        let p = program(&c, h(), hook);
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p.rules()[0].action, p.rules()[0].origin.clone()),
            (IrAction::Allow, Origin::Default)
        );
    }
}

#[test]
fn identical_programs_are_shared() {
    let c = Compiler::new(model(), CompileOptions::new());
    let a = program(&c, wl("a", "web1"), Hook::WorkloadIngress);
    let b = program(&c, wl("a", "web2"), Hook::WorkloadIngress);
    assert!(Arc::ptr_eq(&a, &b));
    let stats = c.stats();
    assert!(stats.unique_programs < stats.programs);
}

#[test]
fn set_ids_are_stable_and_calico_shaped() {
    let c = Compiler::new(model(), CompileOptions::new());
    let p = program(&c, wl("a", "web1"), Hook::WorkloadIngress);
    let named = &p.rules()[1].matches.dst.ports.as_ref().unwrap().named[0];
    let expected = IpSetId::derive("n", &format!("{},tcp,http", sel("all()").unique_id()));
    assert_eq!(*named, expected);
    assert!(
        p.rules()[0].matches.src.sets[0]
            .as_str()
            .starts_with("net:")
    );
    // Compiling again gives the same IDs.
    let again = Compiler::new(model(), CompileOptions::new());
    assert_eq!(c.snapshot(), again.snapshot());
}

#[test]
fn display_is_readable() {
    let c = Compiler::new(model(), CompileOptions::new());
    let text = program(&c, wl("a", "web1"), Hook::WorkloadIngress).to_string();
    assert!(
        text.starts_with("program workload-ingress (7 rules)"),
        "{text}"
    );
    assert!(text.contains("pass -> 3"), "{text}");
    assert!(text.contains("# end of tier t1"), "{text}");
    assert!(
        text.contains("# tier default, NetworkPolicy a/p2, rule 0"),
        "{text}"
    );
}

#[test]
fn snapshots_round_trip_through_serde() {
    let c = Compiler::new(model(), CompileOptions::new());
    let json = serde_json::to_string(c.snapshot()).unwrap();
    let back: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, c.snapshot());
}
