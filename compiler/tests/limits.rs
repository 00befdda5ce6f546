//! Limits and compile errors (issue item 6): what cannot be compiled for a backend is reported
//! with the rule that caused it, never dropped.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod common;

use std::sync::Arc;

use common::*;
use palisade_compiler::ir::{Hook, ProgramTarget};
use palisade_compiler::testing::build::*;
use palisade_compiler::{CompileError, CompileOptions, Compiler, HttpMode, Limits, compile};
use palisade_policy_model::model::{Item, ServiceRef};
use palisade_policy_model::values::TierAction;

fn base() -> ModelBuilder {
    ModelBuilder::new()
        .tier(tier("t", Some(1.0), TierAction::Deny))
        .workload(pod("a", "x", &[("app", "x")], &["10.0.0.1"]))
        .workload(pod("a", "y", &[("app", "y")], &["10.0.0.2"]))
}

fn target(name: &str, hook: Hook) -> ProgramTarget {
    ProgramTarget {
        endpoint: wl("a", name),
        hook,
    }
}

#[test]
fn http_rules_are_refused_by_default_naming_the_rule() {
    let model = base()
        .policy(
            gnp("web", "t", None, "app == 'x'").ingress(vec![allow(), allow().http(&["GET"], &[])]),
        )
        .build();
    let err = compile(&model, &CompileOptions::new()).unwrap_err();
    assert_eq!(err.0.len(), 1);
    match &err.0[0] {
        CompileError::HttpRefused { origin, .. } => {
            assert_eq!(*origin, rule_origin("t", gnp_id("web"), 1));
        }
        other => panic!("{other}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("GlobalNetworkPolicy web") && text.contains("rule 1"),
        "{text}"
    );
    // The programs that would contain the rule are left out; others are compiled.
    let c = Compiler::new(model.clone(), CompileOptions::new());
    assert!(
        c.snapshot()
            .program(&target("x", Hook::WorkloadIngress))
            .is_none()
    );
    assert!(
        c.snapshot()
            .program(&target("x", Hook::WorkloadEgress))
            .is_some()
    );
    assert!(
        c.snapshot()
            .program(&target("y", Hook::WorkloadIngress))
            .is_some()
    );
    // L4-only compiles it without its http part.
    assert!(compile(&model, &CompileOptions::new().http(HttpMode::L4Only)).is_ok());
}

#[test]
fn refusals_clear_when_the_rule_goes_away() {
    let bad = gnp("web", "t", None, "app == 'x'").ingress(vec![allow().http(&["GET"], &[])]);
    let mut c = Compiler::new(base().policy(bad).build(), CompileOptions::new());
    assert!(c.check().is_err());
    let good = Item::Policy(gnp("web", "t", None, "app == 'x'").ingress(vec![allow()]));
    let delta = c.edit(|m| m.insert_items(source_key(&good), vec![good.clone()]));
    assert_eq!(delta.errors_cleared.len(), 1);
    assert!(delta.errors_added.is_empty());
    assert!(c.check().is_ok());
    assert!(
        c.snapshot()
            .program(&target("x", Hook::WorkloadIngress))
            .is_some()
    );
}

#[test]
fn invalid_rules_are_reported() {
    let model = base()
        .policy(gnp("icmp", "t", None, "app == 'x'").ingress(vec![allow().not_icmp(None, Some(3))]))
        .policy(gnp("svc", "t", None, "app == 'y'").egress(vec![
            allow().dst_ports(&[(80, 80)]).dst(|e| {
                e.service = Some(ServiceRef {
                    namespace: Arc::from("a"),
                    name: Arc::from("s"),
                });
            }),
        ]))
        .build();
    let err = compile(&model, &CompileOptions::new()).unwrap_err();
    assert_eq!(err.0.len(), 2);
    assert!(
        err.0
            .iter()
            .all(|e| matches!(e, CompileError::InvalidRule { .. }))
    );
    let text = err.to_string();
    assert!(text.contains("ICMP code needs an ICMP type"), "{text}");
    assert!(text.contains("cannot be combined with ports"), "{text}");
}

#[test]
fn rules_per_program_limit_names_the_program_and_the_rule() {
    let model = base()
        .policy(gnp("big", "t", None, "app == 'x'").ingress(vec![log(), log(), log(), allow()]))
        .build();
    let limits = Limits::new().rules_per_program(5);
    let err = compile(&model, &CompileOptions::new().limits(limits)).unwrap_err();
    match err.0.as_slice() {
        [
            CompileError::TooManyRules {
                target: t,
                rules,
                limit,
                origin,
            },
        ] => {
            assert_eq!(*t, target("x", Hook::WorkloadIngress));
            // 4 policy rules + end of tier + kns allow + final deny.
            assert_eq!((*rules, *limit), (7, 5));
            assert_eq!(*origin, profile_origin("kns.a", 0));
        }
        other => panic!("{other:?}"),
    }
    // The snapshot itself stays exact.
    let c = Compiler::new(model, CompileOptions::new().limits(limits));
    assert_eq!(
        c.snapshot()
            .program(&target("x", Hook::WorkloadIngress))
            .unwrap()
            .len(),
        7
    );
}

#[test]
fn members_per_set_limit_names_the_set_and_a_rule_using_it() {
    let model = base()
        .policy(gnp("p", "t", None, "app == 'x'").ingress(vec![allow().src_selector("has(app)")]))
        .build();
    let err = compile(
        &model,
        &CompileOptions::new().limits(Limits::new().members_per_set(1)),
    )
    .unwrap_err();
    match err.0.as_slice() {
        [
            CompileError::TooManyMembers {
                members,
                limit,
                used_by,
                ..
            },
        ] => {
            assert_eq!((*members, *limit), (2, 1));
            assert_eq!(*used_by, Some(rule_origin("t", gnp_id("p"), 0)));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("selector has(app)"), "{err}");
}

#[test]
fn total_sets_limit() {
    let model = base()
        .policy(gnp("p", "t", None, "app == 'x'").ingress(vec![
            allow().src_selector("app == 'y'"),
            allow().src_nets(&["10.0.0.0/8"]),
        ]))
        .build();
    let err = compile(&model, &CompileOptions::new().limits(Limits::new().sets(1))).unwrap_err();
    assert!(matches!(
        err.0.as_slice(),
        [CompileError::TooManySets { sets: 2, limit: 1 }]
    ));
    assert!(compile(&model, &CompileOptions::new().limits(Limits::new().sets(2))).is_ok());
}
