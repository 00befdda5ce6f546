//! The scenario tables of SEMANTICS' appendix (A, S, B, C, D) as tests through real models,
//! asserting verdict and deciding origin on the reference and IR engines.
//!
//! Rows that cannot occur in Palisade's model are covered by what replaces them: A26/S7/S8 (a
//! tier naming a policy missing from the store) cannot happen because resolution reads the
//! policies from the store itself; A28 (action strings) is parsing, tested in `policy-model`.
//! Rows with `http` matches are evaluated by the reference engine only (DECISIONS D9), and the
//! compiler is checked to refuse them.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod common;

use std::sync::Arc;

use common::*;
use palisade_compiler::flow::{Flow, evaluate_flow};
use palisade_compiler::ir::{Hook, ProgramTarget};
use palisade_compiler::testing::build::*;
use palisade_compiler::{
    CompileError, CompileOptions, Compiler, Decision, Engine, EngineError, HttpRequest, IrEngine,
    ReferenceEngine, Step, Verdict,
};
use palisade_policy_model::model::{EndpointKey, Model, PolicyId, PolicyKind, WorkloadEndpoint};
use palisade_policy_model::values::{Protocol, TierAction};

/// The endpoint of the appendix-A tables: one pod with exactly the given profiles.
fn endpoint(profiles: &[&str]) -> WorkloadEndpoint {
    let mut w = pod("ns", "ep", &[("app", "ep")], &["10.0.0.1"]);
    w.profiles = profiles.iter().map(|p| Arc::from(*p)).collect();
    w
}

fn ep() -> EndpointKey {
    wl("ns", "ep")
}

fn id(name: &str) -> PolicyId {
    gnp_id(name)
}

/// A packet to the endpoint (ingress) — addresses do not matter in these tables.
fn to_ep() -> palisade_compiler::packet::PacketRepr {
    tcp("10.0.0.9", "10.0.0.1", 80)
}

/// The reference decision for an `http` row, and a check that the compiler refuses the model.
fn reference_http(
    model: &Model,
    hook: Hook,
    method: &str,
    path: &str,
) -> Result<Decision, EngineError> {
    let refused = Compiler::new(model.clone(), CompileOptions::new());
    assert!(
        refused
            .errors()
            .all(|e| matches!(e, CompileError::HttpRefused { .. })),
        "only http refusals expected"
    );
    assert!(
        refused.errors().next().is_some(),
        "the compiler must refuse http rules (D9)"
    );
    let engine = ReferenceEngine::new(model, &CompileOptions::new());
    let target = ProgramTarget {
        endpoint: ep(),
        hook,
    };
    engine.decide(&target, &to_ep(), Some(&http(method, path)))
}

fn get(methods: &[&str]) -> palisade_policy_model::model::Rule {
    allow().http(methods, &[])
}

// ----- A: app-policy/checker/check_test.go --------------------------------------------------

#[test]
fn a1_a2_no_tiers_no_profiles_denies() {
    let h = Harness::new(ModelBuilder::new().workload(endpoint(&[])).build());
    let d = h.decide(&ep(), Hook::WorkloadIngress, to_ep(), None);
    assert_eq!(
        (d.verdict, d.origin),
        (Verdict::Deny, palisade_compiler::ir::Origin::NoMatch)
    );
    // A2, no endpoint: every engine reports that there is nothing to evaluate.
    let target = ProgramTarget {
        endpoint: wl("ns", "missing"),
        hook: Hook::WorkloadIngress,
    };
    let model = h.compiler.model();
    assert!(
        ReferenceEngine::new(model, &CompileOptions::new())
            .decide(&target, &to_ep(), None)
            .is_err()
    );
    assert!(
        IrEngine::new(h.compiler.snapshot())
            .decide(&target, &to_ep(), None)
            .is_err()
    );
}

#[test]
fn a3_matching_policy_allows() {
    let h = Harness::new(
        ModelBuilder::new()
            .tier(tier("tier1", Some(1.0), TierAction::Deny))
            .policy(gnp("policy1", "tier1", Some(1.0), "all()").ingress(vec![allow()]))
            .workload(endpoint(&[]))
            .build(),
    );
    let d = h.decide(&ep(), Hook::WorkloadIngress, to_ep(), None);
    assert_eq!(d.verdict, Verdict::Allow);
    assert_eq!(d.origin, rule_origin("tier1", id("policy1"), 0));
}

#[test]
fn a4_a5_tier_defaults() {
    // A4: tier1(Deny) with a rule-less policy ends in deny; tier2 is never reached.
    let a4 = Harness::new(
        ModelBuilder::new()
            .tier(tier("tier1", Some(1.0), TierAction::Deny))
            .tier(tier("tier2", Some(2.0), TierAction::Pass))
            .policy(gnp("p1", "tier1", None, "all()").ingress(vec![]))
            .policy(gnp("p2", "tier2", None, "all()").ingress(vec![]))
            .workload(endpoint(&[]))
            .build(),
    );
    let d = a4.decide(&ep(), Hook::WorkloadIngress, to_ep(), None);
    assert_eq!(
        (d.verdict, &d.origin),
        (Verdict::Deny, &end_of_tier("tier1"))
    );
    assert!(d.steps.is_empty());
    // A5: tier1(Pass) passes, tier2(Deny) ends in deny; the trace has both tier ends.
    let a5 = Harness::new(
        ModelBuilder::new()
            .tier(tier("tier1", Some(1.0), TierAction::Pass))
            .tier(tier("tier2", Some(2.0), TierAction::Deny))
            .policy(gnp("p1", "tier1", None, "all()").ingress(vec![]))
            .policy(gnp("p2", "tier2", None, "all()").ingress(vec![]))
            .workload(endpoint(&[]))
            .build(),
    );
    let d = a5.decide(&ep(), Hook::WorkloadIngress, to_ep(), None);
    assert_eq!(
        (d.verdict, &d.origin),
        (Verdict::Deny, &end_of_tier("tier2"))
    );
    assert_eq!(d.steps, vec![Step::Pass(end_of_tier("tier1"))]);
}

#[test]
fn a6_matching_profile_allows() {
    let h = Harness::new(
        ModelBuilder::new()
            .profile(profile("profile1", &[], vec![allow()], vec![]))
            .workload(endpoint(&["profile1"]))
            .build(),
    );
    let d = h.decide(&ep(), Hook::WorkloadIngress, to_ep(), None);
    assert_eq!(
        (d.verdict, d.origin),
        (Verdict::Allow, profile_origin("profile1", 0))
    );
}

#[test]
fn a7_a8_a9_nets_and_ports_in_egress() {
    let h = Harness::new(
        ModelBuilder::new()
            .tier(tier("tier1", Some(1.0), TierAction::Deny))
            .policy(gnp("policy1", "tier1", None, "all()").egress(vec![
                allow().src_nets(&["10.0.0.0/24"]).dst_ports(&[(80, 80)]),
                deny().src_nets(&["192.168.1.0/24"]).dst_ports(&[(441, 444)]),
            ]))
            .workload(endpoint(&[]))
            .build(),
    );
    let pkt = |s: &str, sp: u16, d: &str, dp: u16| {
        palisade_compiler::packet::PacketRepr::tcp(addr(s), addr(d), sp, dp).unwrap()
    };
    let a7 = h.decide(
        &ep(),
        Hook::WorkloadEgress,
        pkt("10.0.0.1", 80, "192.168.1.1", 443),
        None,
    );
    assert_eq!(
        (a7.verdict, a7.origin),
        (Verdict::Deny, end_of_tier("tier1"))
    );
    let a8 = h.decide(
        &ep(),
        Hook::WorkloadEgress,
        pkt("10.0.0.1", 443, "192.168.1.1", 80),
        None,
    );
    assert_eq!(
        (a8.verdict, a8.origin),
        (Verdict::Allow, rule_origin("tier1", id("policy1"), 0))
    );
    let a9 = h.decide(
        &ep(),
        Hook::WorkloadEgress,
        pkt("192.168.1.2", 80, "10.0.0.2", 443),
        None,
    );
    assert_eq!(
        (a9.verdict, a9.origin),
        (Verdict::Deny, rule_origin("tier1", id("policy1"), 1))
    );
}

#[test]
fn a10_policy_without_rules_gives_no_verdict() {
    let h = Harness::new(
        ModelBuilder::new()
            .tier(tier("tier1", Some(1.0), TierAction::Deny))
            .policy(gnp("policy1", "tier1", None, "all()").ingress(vec![]))
            .profile(profile("profile1", &[], vec![allow()], vec![]))
            .workload(endpoint(&["profile1"]))
            .build(),
    );
    let d = h.decide(&ep(), Hook::WorkloadIngress, to_ep(), None);
    assert_eq!((d.verdict, d.origin), (Verdict::Deny, end_of_tier("tier1")));
}

#[test]
fn a11_a12_a13_log_then_continue() {
    let model = ModelBuilder::new()
        .tier(tier("tier1", Some(1.0), TierAction::Deny))
        .policy(gnp("p", "tier1", None, "all()").ingress(vec![
            log().http(&["GET", "POST"], &[]),
            get(&["POST"]),
            deny().http(&["GET"], &[]),
        ]))
        .workload(endpoint(&[]))
        .build();
    let head = reference_http(&model, Hook::WorkloadIngress, "HEAD", "/").unwrap();
    assert_eq!(
        (head.verdict, head.origin),
        (Verdict::Deny, end_of_tier("tier1"))
    );
    let post = reference_http(&model, Hook::WorkloadIngress, "POST", "/").unwrap();
    assert_eq!(
        (post.verdict, &post.origin),
        (Verdict::Allow, &rule_origin("tier1", id("p"), 1))
    );
    assert_eq!(
        post.steps,
        vec![Step::Log(rule_origin("tier1", id("p"), 0))]
    );
    let get_ = reference_http(&model, Hook::WorkloadIngress, "GET", "/").unwrap();
    assert_eq!(
        (get_.verdict, &get_.origin),
        (Verdict::Deny, &rule_origin("tier1", id("p"), 2))
    );
    assert_eq!(
        get_.steps,
        vec![Step::Log(rule_origin("tier1", id("p"), 0))]
    );
}

#[test]
fn a14_tier_without_policies_for_the_direction_is_skipped() {
    let model = ModelBuilder::new()
        .tier(tier("tier1", Some(1.0), TierAction::Deny))
        .policy(gnp("p1", "tier1", None, "all()").egress(vec![deny()]))
        .profile(profile("profile1", &[], vec![get(&["GET"])], vec![]))
        .workload(endpoint(&["profile1"]))
        .build();
    let d = reference_http(&model, Hook::WorkloadIngress, "GET", "/").unwrap();
    assert_eq!(
        (d.verdict, d.origin),
        (Verdict::Allow, profile_origin("profile1", 0))
    );
    // The same without http, on both engines.
    let h = Harness::new(
        ModelBuilder::new()
            .tier(tier("tier1", Some(1.0), TierAction::Deny))
            .policy(gnp("p1", "tier1", None, "all()").egress(vec![deny()]))
            .profile(profile("profile1", &[], vec![allow()], vec![]))
            .workload(endpoint(&["profile1"]))
            .build(),
    );
    let d = h.decide(&ep(), Hook::WorkloadIngress, to_ep(), None);
    assert_eq!(
        (d.verdict, d.origin),
        (Verdict::Allow, profile_origin("profile1", 0))
    );
}

#[test]
fn a15_a16_next_policy_in_the_tier() {
    let model = ModelBuilder::new()
        .tier(tier("tier1", Some(1.0), TierAction::Deny))
        .policy(gnp("p1", "tier1", Some(1.0), "all()").ingress(vec![deny().http(&["HEAD"], &[])]))
        .policy(gnp("p2", "tier1", Some(2.0), "all()").ingress(vec![get(&["GET"])]))
        .workload(endpoint(&[]))
        .build();
    let d = reference_http(&model, Hook::WorkloadIngress, "GET", "/").unwrap();
    assert_eq!(
        (d.verdict, d.origin),
        (Verdict::Allow, rule_origin("tier1", id("p2"), 0))
    );
    let d = reference_http(&model, Hook::WorkloadIngress, "HEAD", "/").unwrap();
    assert_eq!(
        (d.verdict, d.origin),
        (Verdict::Deny, rule_origin("tier1", id("p1"), 0))
    );
}

#[test]
fn a17_a18_profiles_in_order() {
    let model = ModelBuilder::new()
        .profile(profile(
            "profile1",
            &[],
            vec![deny().http(&["HEAD"], &[])],
            vec![],
        ))
        .profile(profile("profile2", &[], vec![get(&["GET"])], vec![]))
        .workload(endpoint(&["profile1", "profile2"]))
        .build();
    let d = reference_http(&model, Hook::WorkloadIngress, "GET", "/").unwrap();
    assert_eq!(
        (d.verdict, d.origin),
        (Verdict::Allow, profile_origin("profile2", 0))
    );
    let d = reference_http(&model, Hook::WorkloadIngress, "HEAD", "/").unwrap();
    assert_eq!(
        (d.verdict, d.origin),
        (Verdict::Deny, profile_origin("profile1", 0))
    );
}

#[test]
fn a19_end_of_tier_deny_hides_profiles() {
    let model = ModelBuilder::new()
        .tier(tier("tier1", Some(1.0), TierAction::Deny))
        .policy(gnp("p1", "tier1", None, "all()").ingress(vec![deny().http(&["HEAD"], &[])]))
        .profile(profile("profile1", &[], vec![get(&["GET"])], vec![]))
        .workload(endpoint(&["profile1"]))
        .build();
    let d = reference_http(&model, Hook::WorkloadIngress, "GET", "/").unwrap();
    assert_eq!((d.verdict, d.origin), (Verdict::Deny, end_of_tier("tier1")));
}

#[test]
fn a20_pass_skips_the_rest_of_the_tier() {
    let model = ModelBuilder::new()
        .tier(tier("tier1", Some(1.0), TierAction::Deny))
        .policy(gnp("p1", "tier1", Some(1.0), "all()").ingress(vec![pass().http(&["GET"], &[])]))
        .policy(gnp("p2", "tier1", Some(2.0), "all()").ingress(vec![deny().http(&["GET"], &[])]))
        .profile(profile(
            "profile1",
            &[],
            vec![get(&["HEAD", "GET"])],
            vec![],
        ))
        .workload(endpoint(&["profile1"]))
        .build();
    let d = reference_http(&model, Hook::WorkloadIngress, "GET", "/").unwrap();
    assert_eq!(
        (d.verdict, &d.origin),
        (Verdict::Allow, &profile_origin("profile1", 0))
    );
    assert_eq!(d.steps, vec![Step::Pass(rule_origin("tier1", id("p1"), 0))]);
}

fn multi_tier_model() -> Model {
    ModelBuilder::new()
        .tier(tier("tier1", Some(1.0), TierAction::Deny))
        .tier(tier("tier2", Some(2.0), TierAction::Pass))
        .tier(tier("tier3", Some(3.0), TierAction::Deny))
        .policy(gnp("p1", "tier1", None, "all()").ingress(vec![pass().http(&["GET", "HEAD"], &[])]))
        .policy(
            gnp("p2", "tier2", Some(1.0), "all()")
                .ingress(vec![deny().http(&[], &[(Some("/bad"), None)])]),
        )
        .policy(
            gnp("p3", "tier2", Some(2.0), "all()")
                .ingress(vec![allow().http(&[], &[(Some("/foo"), None)])]),
        )
        .policy(
            gnp("p4", "tier3", None, "all()")
                .ingress(vec![allow().http(&[], &[(Some("/bar"), None)])]),
        )
        .workload(endpoint(&[]))
        .build()
}

#[test]
fn a21_a22_a23_multi_tier() {
    let model = multi_tier_model();
    let d = reference_http(&model, Hook::WorkloadIngress, "GET", "/foo").unwrap();
    assert_eq!(
        (d.verdict, d.origin),
        (Verdict::Allow, rule_origin("tier2", id("p3"), 0))
    );
    let d = reference_http(&model, Hook::WorkloadIngress, "GET", "/bad").unwrap();
    assert_eq!(
        (d.verdict, d.origin),
        (Verdict::Deny, rule_origin("tier2", id("p2"), 0))
    );
    let d = reference_http(&model, Hook::WorkloadIngress, "GET", "/bar").unwrap();
    assert_eq!(
        (d.verdict, &d.origin),
        (Verdict::Allow, &rule_origin("tier3", id("p4"), 0))
    );
    assert_eq!(
        d.steps,
        vec![
            Step::Pass(rule_origin("tier1", id("p1"), 0)),
            Step::Pass(end_of_tier("tier2"))
        ]
    );
}

#[test]
fn a24_a25_pass_into_the_next_tier() {
    let model = ModelBuilder::new()
        .tier(tier("tier1", Some(1.0), TierAction::Deny))
        .tier(tier("tier2", Some(2.0), TierAction::Pass))
        .policy(gnp("p1", "tier1", Some(1.0), "all()").ingress(vec![deny().http(&["HEAD"], &[])]))
        .policy(gnp("p2", "tier1", Some(2.0), "all()").ingress(vec![pass().http(&["GET"], &[])]))
        .policy(
            gnp("p3", "tier2", None, "all()")
                .ingress(vec![allow().http(&["GET"], &[(Some("/foo"), None)])]),
        )
        .workload(endpoint(&[]))
        .build();
    let d = reference_http(&model, Hook::WorkloadIngress, "HEAD", "/foo").unwrap();
    assert_eq!(
        (d.verdict, d.origin),
        (Verdict::Deny, rule_origin("tier1", id("p1"), 0))
    );
    let d = reference_http(&model, Hook::WorkloadIngress, "GET", "/foo").unwrap();
    assert_eq!(
        (d.verdict, d.origin),
        (Verdict::Allow, rule_origin("tier2", id("p3"), 0))
    );
}

#[test]
fn a27_a_path_without_a_slash_is_invalid() {
    let model = ModelBuilder::new()
        .tier(tier("tier1", Some(1.0), TierAction::Deny))
        .policy(gnp("p1", "tier1", None, "all()").ingress(vec![
            allow().http(&["GET", "POST"], &[(Some("/foo"), None)]),
        ]))
        .workload(endpoint(&[]))
        .build();
    let err = reference_http(&model, Hook::WorkloadIngress, "GET", "foo").unwrap_err();
    assert!(matches!(err, EngineError::InvalidRequest { .. }), "{err}");
    assert!(reference_http(&model, Hook::WorkloadIngress, "GET", "/foo").is_ok());
}

#[test]
fn http_rules_compile_in_l4_only_mode_without_their_http_part() {
    let h = Harness::with(
        multi_tier_model(),
        CompileOptions::new().http(palisade_compiler::HttpMode::L4Only),
    );
    // p1's pass matches everything once the http part is gone; p2's deny then decides.
    let d = h.decide(
        &ep(),
        Hook::WorkloadIngress,
        to_ep(),
        Some(&http("GET", "/foo")),
    );
    assert_eq!(
        (d.verdict, d.origin),
        (Verdict::Deny, rule_origin("tier2", id("p2"), 0))
    );
}

// ----- S: TestCheckTiersPolicyScope ---------------------------------------------------------

fn staged_id(name: &str) -> PolicyId {
    PolicyId {
        kind: PolicyKind::StagedGlobalNetworkPolicy,
        namespace: None,
        name: name.into(),
    }
}

/// `tier1` (and `tier2`) with the given policies, every tier Deny, the endpoint with a profile
/// that allows everything; returns (enforced, pending) decisions.
fn scope_case(tiers: &[&[(&str, bool, bool)]]) -> (Decision, Decision) {
    let mut b = ModelBuilder::new()
        .profile(profile("profile1", &[], vec![allow()], vec![]))
        .workload(endpoint(&["profile1"]));
    for (t, policies) in tiers.iter().enumerate() {
        let name = format!("tier{}", t + 1);
        b = b.tier(tier(&name, Some(t as f64 + 1.0), TierAction::Deny));
        for (i, (pname, staged, deny_all)) in policies.iter().enumerate() {
            let kind = if *staged {
                PolicyKind::StagedGlobalNetworkPolicy
            } else {
                PolicyKind::GlobalNetworkPolicy
            };
            let rules = match (*deny_all, pname.starts_with("allow")) {
                (true, _) => vec![deny()],
                (false, true) => vec![allow()],
                (false, false) => vec![],
            };
            b = b.policy(policy(kind, None, pname, &name, Some(i as f64), "all()").ingress(rules));
        }
    }
    let model = b.build();
    let enforced = Harness::new(model.clone()).decide(&ep(), Hook::WorkloadIngress, to_ep(), None);
    let pending = Harness::with(model, CompileOptions::new().pending(true)).decide(
        &ep(),
        Hook::WorkloadIngress,
        to_ep(),
        None,
    );
    (enforced, pending)
}

#[test]
fn s1_to_s6_staged_policies_and_the_pending_verdict() {
    // S1: a staged-only tier is skipped entirely.
    let (e, p) = scope_case(&[&[("staged-deny", true, true)]]);
    assert_eq!(
        (e.verdict, &e.origin),
        (Verdict::Allow, &profile_origin("profile1", 0))
    );
    assert_eq!(
        (p.verdict, &p.origin),
        (
            Verdict::Deny,
            &rule_origin("tier1", staged_id("staged-deny"), 0)
        )
    );
    // S2
    let (e, p) = scope_case(&[&[("staged-no-match", true, false)]]);
    assert_eq!(e.verdict, Verdict::Allow);
    assert_eq!(
        (p.verdict, &p.origin),
        (Verdict::Deny, &end_of_tier("tier1"))
    );
    // S3
    let (e, p) = scope_case(&[&[("no-match", false, false), ("staged-no-match", true, false)]]);
    assert_eq!(
        (e.verdict, &e.origin),
        (Verdict::Deny, &end_of_tier("tier1"))
    );
    assert_eq!(
        (p.verdict, &p.origin),
        (Verdict::Deny, &end_of_tier("tier1"))
    );
    // S4
    let (e, p) = scope_case(&[&[("staged-no-match", true, false), ("no-match", false, false)]]);
    assert_eq!(
        (e.verdict, &e.origin),
        (Verdict::Deny, &end_of_tier("tier1"))
    );
    assert_eq!(p.verdict, Verdict::Deny);
    // S5
    let (e, p) = scope_case(&[&[("staged-deny", true, true), ("allow", false, false)]]);
    assert_eq!(
        (e.verdict, &e.origin),
        (Verdict::Allow, &rule_origin("tier1", id("allow"), 0))
    );
    assert_eq!(
        (p.verdict, &p.origin),
        (
            Verdict::Deny,
            &rule_origin("tier1", staged_id("staged-deny"), 0)
        )
    );
    // S6, and TestEvaluateRecordsStagedPolicyInPendingTraceOnly.
    let (e, p) = scope_case(&[&[("staged-deny", true, true)], &[("allow", false, false)]]);
    assert_eq!(
        (e.verdict, &e.origin),
        (Verdict::Allow, &rule_origin("tier2", id("allow"), 0))
    );
    assert_eq!(
        (p.verdict, &p.origin),
        (
            Verdict::Deny,
            &rule_origin("tier1", staged_id("staged-deny"), 0)
        )
    );
}

#[test]
fn s8_a_decision_before_the_rest_of_the_tier() {
    let (e, p) = scope_case(&[&[("allow", false, false), ("staged-deny", true, true)]]);
    assert_eq!(
        (e.verdict, &e.origin),
        (Verdict::Allow, &rule_origin("tier1", id("allow"), 0))
    );
    assert_eq!(
        (p.verdict, &p.origin),
        (Verdict::Allow, &rule_origin("tier1", id("allow"), 0))
    );
}

// ----- B: felix/fv/tiered_policy_test.go ----------------------------------------------------

fn felix_fv_model(tier1_default: TierAction) -> Model {
    let ep = |name: &str, ip: &str| pod("default", name, &[("name", name)], &[ip]);
    let by_name = |name: &str| format!("name == '{name}'");
    ModelBuilder::new()
        .profile(namespace("default", &[]))
        .tier(tier("tier1", Some(1.0), tier1_default))
        .tier(tier("tier2", Some(2.0), TierAction::Deny))
        .workload(ep("ep1-1", "10.65.0.1"))
        .workload(ep("ep2-1", "10.65.1.1"))
        .workload(ep("ep2-2", "10.65.1.2"))
        .workload(ep("ep2-3", "10.65.1.3"))
        .workload(ep("ep2-4", "10.65.1.4"))
        .policy(
            gnp("ep1-1-allow-all", "default", Some(1.0), &by_name("ep1-1"))
                .ingress(vec![allow()])
                .egress(vec![allow()]),
        )
        .policy(
            gnp("ep2-4", "tier1", Some(1.0), &by_name("ep2-4"))
                .ingress(vec![allow().src_selector(&by_name("ep2-1"))])
                .egress(vec![allow().dst_selector(&by_name("ep2-1"))]),
        )
        .policy(
            np(
                "default",
                "np1-1",
                "tier1",
                Some(1.0),
                "name in {'ep2-1', 'ep2-2'}",
            )
            .egress(vec![
                pass().src_selector(&format!(
                    "projectcalico.org/namespace == 'default' && {}",
                    by_name("ep2-1")
                )),
                deny().src_selector(&format!(
                    "projectcalico.org/namespace == 'default' && {}",
                    by_name("ep2-2")
                )),
            ])
            .ingress(vec![
                allow().dst_selector(&format!(
                    "projectcalico.org/namespace == 'default' && {}",
                    by_name("ep2-1")
                )),
                pass().dst_selector(&format!(
                    "projectcalico.org/namespace == 'default' && {}",
                    by_name("ep2-2")
                )),
            ]),
        )
        .policy(gnp("gnp2-2", "tier2", Some(2.0), &by_name("ep2-3")).egress(vec![deny()]))
        .policy(np("default", "np2-4", "tier2", Some(3.0), &by_name("ep2-3")).ingress(vec![deny()]))
        .policy(
            np("default", "np3-3", "default", Some(2.0), &by_name("ep2-2")).ingress(vec![allow()]),
        )
        // Staged policies are never enforced.
        .policy(
            policy(
                PolicyKind::StagedGlobalNetworkPolicy,
                None,
                "staged-deny-all",
                "tier1",
                Some(0.0),
                "all()",
            )
            .ingress(vec![deny()])
            .egress(vec![deny()]),
        )
        .policy(
            policy(
                PolicyKind::StagedKubernetesNetworkPolicy,
                Some("default"),
                "knp-staged",
                "default",
                Some(1000.0),
                "projectcalico.org/namespace == 'default'",
            )
            .ingress(vec![]),
        )
        .build()
}

fn connects(model: &Model, src: &str, dst: &str) -> bool {
    let flow = Flow::parse(&format!("default/{src} -> default/{dst} tcp/8055")).unwrap();
    let compiler = Compiler::new(model.clone(), CompileOptions::new());
    let reference = ReferenceEngine::new(model, &CompileOptions::new());
    let ir = IrEngine::new(compiler.snapshot());
    let a = evaluate_flow(&reference, model, &flow).unwrap();
    let b = evaluate_flow(&ir, model, &flow).unwrap();
    assert_eq!(a, b);
    a.verdict == Verdict::Allow
}

#[test]
fn b_felix_tiered_policy_connectivity() {
    let m = felix_fv_model(TierAction::Deny);
    assert!(
        connects(&m, "ep1-1", "ep2-1"),
        "np1-1 tier1 ingress allow(dest ep2-1)"
    );
    assert!(
        connects(&m, "ep1-1", "ep2-2"),
        "np1-1 pass → tier2 has nothing → np3-3 allow"
    );
    assert!(!connects(&m, "ep1-1", "ep2-3"), "np2-4 tier2 ingress deny");
    assert!(
        connects(&m, "ep2-1", "ep1-1"),
        "np1-1 egress pass → profile allow"
    );
    assert!(
        !connects(&m, "ep2-2", "ep1-1"),
        "np1-1 egress deny(source ep2-2)"
    );
    assert!(!connects(&m, "ep2-3", "ep1-1"), "gnp2-2 tier2 egress deny");
    assert!(!connects(&m, "ep1-1", "ep2-4"), "end of tier1");
    assert!(!connects(&m, "ep2-4", "ep1-1"), "end of tier1");
    let pass = felix_fv_model(TierAction::Pass);
    assert!(
        connects(&pass, "ep1-1", "ep2-4"),
        "tier1 passes, profile allows"
    );
    assert!(connects(&pass, "ep2-4", "ep1-1"));
}

#[test]
fn b_end_of_tier_rule_exists_only_while_the_default_is_deny() {
    for (action, ir_action) in [
        (TierAction::Deny, palisade_compiler::ir::IrAction::Deny),
        (
            TierAction::Pass,
            palisade_compiler::ir::IrAction::Pass { to: 0 },
        ),
    ] {
        let compiler = Compiler::new(felix_fv_model(action), CompileOptions::new());
        let target = ProgramTarget {
            endpoint: wl("default", "ep2-4"),
            hook: Hook::WorkloadIngress,
        };
        let program = compiler.snapshot().program(&target).unwrap();
        let end = program
            .rules()
            .iter()
            .find(|r| r.origin == end_of_tier("tier1"))
            .unwrap();
        assert_eq!(
            std::mem::discriminant(&end.action),
            std::mem::discriminant(&ir_action)
        );
    }
}

// ----- C: policy_sorter_test.go, states_for_test.go -----------------------------------------

/// The order in which the policies' Log rules fire for the endpoint.
fn logged_order(b: ModelBuilder) -> Vec<String> {
    let h = Harness::new(b.workload(endpoint(&[])).build());
    let d = h.decide(&ep(), Hook::WorkloadIngress, to_ep(), None);
    d.steps
        .iter()
        .filter_map(|s| match s {
            Step::Log(palisade_compiler::ir::Origin::Rule { tier, policy, .. }) => {
                Some(format!("{tier}/{}", policy.name))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn c_policy_sorting() {
    let logs = |pols: &[(&str, Option<f64>)]| {
        let mut b = ModelBuilder::new();
        for (name, order) in pols {
            b = b.policy(gnp(name, "default", *order, "all()").ingress(vec![log()]));
        }
        logged_order(b)
    };
    assert_eq!(
        logs(&[("foo", None), ("bar", None)]),
        ["default/bar", "default/foo"]
    );
    assert_eq!(
        logs(&[("bar", Some(10.0)), ("foo", Some(1.0))]),
        ["default/foo", "default/bar"]
    );
    assert_eq!(
        logs(&[("bar", None), ("baz", Some(10.0)), ("foo", Some(1.0))]),
        ["default/foo", "default/baz", "default/bar"]
    );
    assert_eq!(
        logs(&[("baz", Some(10.0)), ("foo", Some(10.0))]),
        ["default/baz", "default/foo"]
    );
}

#[test]
fn c_equal_order_and_name_sort_by_namespace_then_kind() {
    // D1: the tie-break string is name/namespace/kind.
    let b = ModelBuilder::new()
        .policy(np("ns", "same", "default", Some(5.0), "").ingress(vec![log()]))
        .policy(gnp("same", "default", Some(5.0), "all()").ingress(vec![log()]))
        .policy(
            policy(
                PolicyKind::KubernetesNetworkPolicy,
                Some("ns"),
                "same",
                "default",
                Some(5.0),
                "projectcalico.org/namespace == 'ns'",
            )
            .ingress(vec![log()]),
        );
    let h = Harness::new(b.workload(endpoint(&[])).build());
    let d = h.decide(&ep(), Hook::WorkloadIngress, to_ep(), None);
    let kinds: Vec<&str> = d
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Log(palisade_compiler::ir::Origin::Rule { policy, .. }) => {
                Some(policy.kind.as_str())
            }
            _ => None,
        })
        .collect();
    // "same//GlobalNetworkPolicy" < "same/ns/KubernetesNetworkPolicy" < "same/ns/NetworkPolicy"
    assert_eq!(
        kinds,
        [
            "GlobalNetworkPolicy",
            "KubernetesNetworkPolicy",
            "NetworkPolicy"
        ]
    );
}

#[test]
fn c_tier_sorting() {
    let order = |orders: [Option<f64>; 3]| {
        let mut b = ModelBuilder::new();
        for (i, o) in orders.iter().enumerate() {
            let name = format!("tier-{}", i + 1);
            b = b
                .tier(tier(&name, *o, TierAction::Pass))
                .policy(gnp(&format!("p{}", i + 1), &name, None, "all()").ingress(vec![log()]));
        }
        logged_order(b)
            .into_iter()
            .map(|s| s.split('/').next().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        order([Some(10.0), Some(20.0), Some(30.0)]),
        ["tier-1", "tier-2", "tier-3"]
    );
    assert_eq!(
        order([Some(30.0), Some(20.0), Some(10.0)]),
        ["tier-3", "tier-2", "tier-1"]
    );
    assert_eq!(
        order([Some(10.0), Some(10.0), Some(10.0)]),
        ["tier-1", "tier-2", "tier-3"]
    );
    assert_eq!(
        order([Some(20.0), Some(20.0), Some(20.0)]),
        ["tier-1", "tier-2", "tier-3"]
    );
    assert_eq!(
        order([Some(20.0), Some(20.0), Some(10.0)]),
        ["tier-3", "tier-1", "tier-2"]
    );
}

#[test]
fn c_undeclared_tier_sorts_last_and_drops_at_its_end() {
    let h = Harness::new(
        ModelBuilder::new()
            .tier(tier("late", Some(1e9), TierAction::Pass))
            .policy(gnp("p-late", "late", None, "all()").ingress(vec![log()]))
            .policy(gnp("p-ghost", "ghost", None, "all()").ingress(vec![log()]))
            .profile(profile("profile1", &[], vec![allow()], vec![]))
            .workload(endpoint(&["profile1"]))
            .build(),
    );
    let d = h.decide(&ep(), Hook::WorkloadIngress, to_ep(), None);
    // kube-admin/default/kube-baseline have no policies here; "late" (declared) comes before
    // "ghost" (only named by a policy), whose end drops.
    assert_eq!(
        (d.verdict, &d.origin),
        (Verdict::Deny, &end_of_tier("ghost"))
    );
    assert_eq!(d.steps[0], Step::Log(rule_origin("late", id("p-late"), 0)));
}

#[test]
fn c_ingress_only_policy_takes_no_part_in_egress() {
    let h = Harness::new(
        ModelBuilder::new()
            .tier(tier("tier1", Some(1.0), TierAction::Deny))
            .policy({
                let mut p = gnp("p", "tier1", None, "all()").ingress(vec![]);
                p.egress = vec![deny()];
                p
            })
            .profile(profile("profile1", &[], vec![allow()], vec![allow()]))
            .workload(endpoint(&["profile1"]))
            .build(),
    );
    let egress = h.decide(
        &ep(),
        Hook::WorkloadEgress,
        tcp("10.0.0.1", "10.0.0.9", 80),
        None,
    );
    assert_eq!(
        (egress.verdict, egress.origin),
        (Verdict::Allow, profile_origin("profile1", 0))
    );
    let ingress = h.decide(&ep(), Hook::WorkloadIngress, to_ep(), None);
    assert_eq!(
        (ingress.verdict, ingress.origin),
        (Verdict::Deny, end_of_tier("tier1"))
    );
}

// ----- D: host endpoints and forwarding -----------------------------------------------------

fn two_nodes() -> ModelBuilder {
    let w = |name: &str, node: &str, ip: &str| {
        let mut p = pod("default", name, &[("app", name)], &[ip]);
        p.node = Some(Arc::from(node));
        p
    };
    ModelBuilder::new()
        .profile(namespace("default", &[]))
        .workload(w("w0", "node0", "10.65.0.2"))
        .workload(w("w1", "node1", "10.65.1.2"))
}

fn with_heps(b: ModelBuilder) -> ModelBuilder {
    b.host(host_endpoint(
        "node0-eth0",
        "node0",
        &[("host-endpoint", "true")],
        &["192.168.0.10"],
    ))
    .host(host_endpoint(
        "node1-eth0",
        "node1",
        &[("host-endpoint", "true")],
        &["192.168.0.11"],
    ))
}

fn flow_verdict(model: &Model, text: &str) -> Verdict {
    let flow = Flow::parse(text).unwrap();
    let compiler = Compiler::new(model.clone(), CompileOptions::new());
    let reference = ReferenceEngine::new(model, &CompileOptions::new());
    let ir = IrEngine::new(compiler.snapshot());
    let a = evaluate_flow(&reference, model, &flow).unwrap();
    let b = evaluate_flow(&ir, model, &flow).unwrap();
    assert_eq!(a, b, "{text}");
    a.verdict
}

const W0_W1: &str =
    "default/w0 -> default/w1 tcp/8080 via hostendpoint/node0-eth0 via hostendpoint/node1-eth0";
const W1_W0: &str =
    "default/w1 -> default/w0 tcp/8080 via hostendpoint/node1-eth0 via hostendpoint/node0-eth0";

#[test]
fn d_without_host_endpoints_everything_connects() {
    let m = two_nodes().build();
    assert_eq!(
        flow_verdict(&m, "default/w0 -> default/w1 tcp/8080"),
        Verdict::Allow
    );
    assert_eq!(
        flow_verdict(&m, "default/w1 -> default/w0 tcp/8080"),
        Verdict::Allow
    );
}

#[test]
fn d_host_endpoints_without_apply_on_forward_do_not_police_forwarded_traffic() {
    let m = with_heps(two_nodes())
        .policy(
            gnp(
                "allow-all-hosts",
                "default",
                None,
                "host-endpoint == 'true'",
            )
            .ingress(vec![allow()])
            .egress(vec![allow()]),
        )
        .build();
    assert_eq!(flow_verdict(&m, W0_W1), Verdict::Allow);
    assert_eq!(flow_verdict(&m, W1_W0), Verdict::Allow);
    // Traffic to the host process (other node) is allowed by the normal policy.
    assert_eq!(
        flow_verdict(&m, "default/w0 -> hostendpoint/node1-eth0 tcp/9000"),
        Verdict::Allow
    );
}

#[test]
fn d_apply_on_forward_ingress_deny_blocks_forwarded_pod_traffic() {
    let m = with_heps(two_nodes())
        .policy(
            gnp("aof", "default", None, "has(host-endpoint)")
                .host_flags(false, false, true)
                .ingress(vec![deny()])
                .egress(vec![allow()]),
        )
        .build();
    assert_eq!(flow_verdict(&m, W0_W1), Verdict::Deny);
    assert_eq!(flow_verdict(&m, W1_W0), Verdict::Deny);
    // Before the host endpoints exist the same policy selects nothing.
    let bare = two_nodes()
        .policy(
            gnp("aof", "default", None, "has(host-endpoint)")
                .host_flags(false, false, true)
                .ingress(vec![deny()])
                .egress(vec![allow()]),
        )
        .build();
    assert_eq!(
        flow_verdict(&bare, "default/w0 -> default/w1 tcp/8080"),
        Verdict::Allow
    );
}

#[test]
fn d_do_not_track_policies_and_failsafes() {
    let hosts = || {
        ModelBuilder::new()
            .host(host_endpoint(
                "host0",
                "node0",
                &[("host", "h0")],
                &["192.168.0.10"],
            ))
            .host(host_endpoint(
                "host1",
                "node1",
                &[("host", "h1")],
                &["192.168.0.11"],
            ))
    };
    let untracked = |name: &str, me: &str, peer: &str, egress: bool| {
        let peer_sel = format!("host == '{peer}'");
        let p = gnp(name, "default", None, &format!("host == '{me}'"))
            .host_flags(true, false, true)
            .ingress(vec![allow().src_selector(&peer_sel)]);
        if egress {
            p.egress(vec![allow().dst_selector(&peer_sel)])
        } else {
            p.egress(vec![])
        }
    };
    let h0_to_h1 = "hostendpoint/host0 -> hostendpoint/host1 tcp/8080";
    let h1_to_h0 = "hostendpoint/host1 -> hostendpoint/host0 tcp/8080";
    // Only failsafe connectivity.
    let bare = hosts().build();
    assert_eq!(flow_verdict(&bare, h0_to_h1), Verdict::Deny);
    // BGP (tcp/179) is in both default failsafe lists; ssh (tcp/22) only in the inbound one.
    assert_eq!(
        flow_verdict(&bare, "hostendpoint/host0 -> hostendpoint/host1 tcp/179"),
        Verdict::Allow
    );
    assert_eq!(
        flow_verdict(&bare, "hostendpoint/host0 -> hostendpoint/host1 tcp/22"),
        Verdict::Deny
    );
    assert_eq!(
        flow_verdict(&bare, "192.0.2.1 -> hostendpoint/host1 tcp/22"),
        Verdict::Allow
    );
    // Untracked allow in both directions: full connectivity.
    let full = hosts()
        .policy(untracked("dnt-0", "h0", "h1", true))
        .policy(untracked("dnt-1", "h1", "h0", true))
        .build();
    assert_eq!(flow_verdict(&full, h0_to_h1), Verdict::Allow);
    assert_eq!(flow_verdict(&full, h1_to_h0), Verdict::Allow);
    // host-0's egress rules removed: host0 → host1 falls back to failsafe-only.
    let half = hosts()
        .policy(untracked("dnt-0", "h0", "h1", false))
        .policy(untracked("dnt-1", "h1", "h0", true))
        .build();
    assert_eq!(flow_verdict(&half, h0_to_h1), Verdict::Deny);
    assert_eq!(flow_verdict(&half, h1_to_h0), Verdict::Allow);
}

#[test]
fn d_forwarded_traffic_to_a_workload_also_needs_the_workloads_policy() {
    let m = with_heps(two_nodes())
        .policy(
            gnp("aof", "default", None, "has(host-endpoint)")
                .host_flags(false, false, true)
                .ingress(vec![allow()])
                .egress(vec![allow()]),
        )
        .policy(np("default", "w1-deny", "default", None, "app == 'w1'").ingress(vec![deny()]))
        .build();
    let flow = Flow::parse(W0_W1).unwrap();
    let compiler = Compiler::new(m.clone(), CompileOptions::new());
    let r = evaluate_flow(&IrEngine::new(compiler.snapshot()), &m, &flow).unwrap();
    assert_eq!(
        r.forward_in.as_ref().map(|d| d.verdict),
        Some(Verdict::Allow)
    );
    assert_eq!(
        r.forward_out.as_ref().map(|d| d.verdict),
        Some(Verdict::Allow)
    );
    assert_eq!(r.ingress.as_ref().map(|d| d.verdict), Some(Verdict::Deny));
    assert_eq!(r.verdict, Verdict::Deny);
}

#[test]
fn d_apply_on_forward_without_a_matching_rule_denies() {
    let m = with_heps(two_nodes())
        .policy(
            gnp("aof", "default", None, "has(host-endpoint)")
                .host_flags(false, false, true)
                .ingress(vec![allow().tcp().dst_ports(&[(443, 443)])]),
        )
        .build();
    assert_eq!(flow_verdict(&m, W0_W1), Verdict::Deny);
    assert_eq!(
        flow_verdict(
            &m,
            "default/w0 -> default/w1 tcp/443 via hostendpoint/node1-eth0"
        ),
        Verdict::Allow
    );
    let _ = Protocol::Tcp;
    let _: Option<HttpRequest> = None;
}
