//! The loader: it decodes every part of the format into typed values and rejects unknown
//! fields, duplicate names, malformed decisions and malformed flows, reporting file, case and
//! field for each problem (fixtures in `tests/data/`).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use palisade_conformance::{
    By, DecisionVerdict, EngineName, ExpectedOrigin, FlowProtocol, FlowSpec, FlowVerdict,
    HttpOption, IpFamily, LoadError, PolicyKindName, Problem, ProblemKind, Topic, load_dir,
    load_files,
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn problems_of(result: Result<palisade_conformance::Corpus, LoadError>) -> Vec<Problem> {
    match result {
        Ok(corpus) => panic!("expected problems, loaded {} cases", corpus.len()),
        Err(e) => e.problems,
    }
}

/// The single problem reported for the case named `case`.
fn problem_for<'a>(problems: &'a [Problem], case: &str) -> &'a Problem {
    let found: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.case.as_deref() == Some(case))
        .collect();
    assert_eq!(found.len(), 1, "problems for {case}: {found:#?}");
    found[0]
}

#[test]
fn valid_file_decodes_every_part_of_the_format() {
    let corpus = match load_files(&[data("valid/decisions.yaml")]) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(corpus.len(), 2);
    let loaded = corpus.get("fixture/every-origin").expect("case present");
    assert_eq!(loaded.line, Some(3));
    let case = &loaded.case;
    assert_eq!(
        case.topics,
        vec![
            Topic::HostEndpoints,
            Topic::ApplyOnForward,
            Topic::Failsafes
        ]
    );
    assert!(case.has_topic(Topic::Failsafes));
    assert_eq!(case.options.http, HttpOption::L4Only);
    assert!(!case.options.staged);
    let answers = &case.options.dns["api.example.com"];
    assert_eq!(
        answers,
        &vec![
            "192.0.2.10".parse::<IpAddr>().expect("ip"),
            "2001:db8::10".parse::<IpAddr>().expect("ip")
        ]
    );
    assert_eq!(case.skip_reason(EngineName::Nft), Some("why nft skips it"));
    assert_eq!(case.skip_reason(EngineName::Ebpf), None);
    assert_eq!(case.flows.len(), 4);

    // Text flow with a failsafe decision.
    let f0 = &case.flows[0];
    assert_eq!(
        f0.flow,
        FlowSpec::Text("192.0.2.1 -> hostendpoint/h1 tcp/22".to_owned())
    );
    assert_eq!(f0.description.as_deref(), Some("failsafe"));
    let e0 = &f0.expect.enforced;
    assert_eq!(e0.verdict, FlowVerdict::Allow);
    assert!(e0.egress.is_none());
    let ingress = e0.ingress.as_ref().expect("ingress");
    assert_eq!(ingress.verdict, DecisionVerdict::Allow);
    assert_eq!(ingress.origin, ExpectedOrigin::Failsafe { rule: 0 });
    assert_eq!(ingress.origin.by(), By::Failsafe);

    // Object flow, no-match.
    let FlowSpec::Object(o1) = &case.flows[1].flow else {
        panic!("object flow expected")
    };
    assert_eq!(o1.protocol, FlowProtocol::Udp);
    assert_eq!((o1.dst_port, o1.src_port), (Some(5353), Some(5353)));
    assert_eq!(
        case.flows[1]
            .expect
            .enforced
            .ingress
            .as_ref()
            .map(|d| &d.origin),
        Some(&ExpectedOrigin::NoMatch)
    );

    // Protocol by number, ICMP fields, family, via, fragment; profile and end-of-tier.
    let FlowSpec::Object(o2) = &case.flows[2].flow else {
        panic!("object flow expected")
    };
    assert_eq!(o2.protocol, FlowProtocol::Icmp);
    assert_eq!(o2.protocol.number(), 1);
    assert_eq!((o2.icmp_type, o2.icmp_code), (Some(8), Some(0)));
    assert_eq!(o2.ip_version, Some(IpFamily::V4));
    assert_eq!(o2.via, vec!["hostendpoint/h1".to_owned()]);
    assert!(o2.fragment);
    let e2 = &case.flows[2].expect.enforced;
    assert_eq!(
        e2.egress.as_ref().map(|d| &d.origin),
        Some(&ExpectedOrigin::Profile {
            profile: "kns.ns1".to_owned(),
            rule: 0
        })
    );
    assert_eq!(
        e2.forward_out.as_ref().map(|d| (&d.origin, d.verdict)),
        Some((
            &ExpectedOrigin::EndOfTier {
                tier: "default".to_owned()
            },
            DecisionVerdict::Deny
        ))
    );
    let sides: Vec<&str> = e2.decisions().map(|(side, _)| side).collect();
    assert_eq!(sides, vec!["egress", "forwardOut"]);

    // HTTP fields; a namespaced rule decision; a default forward decision.
    let FlowSpec::Object(o3) = &case.flows[3].flow else {
        panic!("object flow expected")
    };
    assert_eq!(
        (o3.method.as_deref(), o3.path.as_deref()),
        (Some("GET"), Some("/x"))
    );
    let e3 = &case.flows[3].expect.enforced;
    match &e3.ingress.as_ref().expect("ingress").origin {
        ExpectedOrigin::Rule { tier, policy, rule } => {
            assert_eq!(tier, "default");
            assert_eq!(policy.kind, PolicyKindName::NetworkPolicy);
            assert_eq!(policy.namespace.as_deref(), Some("ns1"));
            assert_eq!(policy.name, "p");
            assert_eq!(*rule, 2);
        }
        other => panic!("rule origin expected, got {other:?}"),
    }
    assert_eq!(
        e3.forward_in.as_ref().map(|d| &d.origin),
        Some(&ExpectedOrigin::Default)
    );

    // Pending decisions.
    let staged = &corpus.get("fixture/staged/pending").expect("case").case;
    assert!(staged.options.staged);
    let pending = staged.flows[0].expect.pending.as_ref().expect("pending");
    assert_eq!(pending.verdict, FlowVerdict::Deny);
    match &pending.ingress.as_ref().expect("ingress").origin {
        ExpectedOrigin::Rule { policy, .. } => {
            assert_eq!(policy.kind, PolicyKindName::StagedKubernetesNetworkPolicy);
            assert!(policy.kind.is_staged() && policy.kind.is_namespaced());
        }
        other => panic!("rule origin expected, got {other:?}"),
    }
}

#[test]
fn unknown_fields_are_rejected_at_every_level() {
    let problems = problems_of(load_files(&[data("unknown-fields.yaml")]));
    let expect = [
        (
            "unknown/case-level",
            None,
            ProblemKind::UnknownField("expected".into()),
        ),
        (
            "unknown/options",
            Some("options"),
            ProblemKind::UnknownField("strict".into()),
        ),
        (
            "unknown/flow-entry",
            Some("flows[0]"),
            ProblemKind::UnknownField("note".into()),
        ),
        (
            "unknown/flow-object",
            Some("flows[0].flow"),
            ProblemKind::UnknownField("port".into()),
        ),
        (
            "unknown/expect",
            Some("flows[0].expect"),
            ProblemKind::UnknownField("ingres".into()),
        ),
        (
            "unknown/decision",
            Some("flows[0].expect.ingress"),
            ProblemKind::UnknownField("action".into()),
        ),
        (
            "unknown/pending",
            Some("flows[0].expect.pending"),
            ProblemKind::UnknownField("pending".into()),
        ),
    ];
    for (case, field_prefix, kind) in expect {
        let p = problem_for(&problems, case);
        assert_eq!(p.kind, kind, "{case}");
        if let Some(prefix) = field_prefix {
            let field = p.field.as_deref().unwrap_or("");
            assert!(field.starts_with(prefix), "{case}: field {field:?}");
        }
        assert_eq!(p.file, data("unknown-fields.yaml"));
        assert!(p.line.is_some(), "{case}: a line number");
    }
    // Unknown values of closed sets: topics, engines, `by` words.
    for (case, field) in [
        ("unknown/topic-value", "topics[1]"),
        ("unknown/engine", "skip"),
        ("unknown/by-word", "flows[0].expect.ingress.by"),
    ] {
        let p = problem_for(&problems, case);
        assert!(
            matches!(p.kind, ProblemKind::Decode(_)),
            "{case}: {:?}",
            p.kind
        );
        assert!(
            p.field.as_deref().is_some_and(|f| f.starts_with(field)),
            "{case}: {:?}",
            p.field
        );
    }
    assert_eq!(
        problem_for(&problems, "unknown/missing-semantics").kind,
        ProblemKind::MissingField("semantics".into())
    );
    assert_eq!(problems.len(), 11, "{problems:#?}");
}

#[test]
fn unknown_top_level_key_is_rejected() {
    let problems = problems_of(load_files(&[data("unknown-top-level.yaml")]));
    assert_eq!(problems.len(), 1);
    assert_eq!(
        problems[0].kind,
        ProblemKind::UnknownField("defaults".into())
    );
    assert_eq!(problems[0].case, None);
}

#[test]
fn yaml_syntax_errors_carry_a_line() {
    let problems = problems_of(load_files(&[data("syntax-error.yaml")]));
    assert_eq!(problems.len(), 1);
    assert!(matches!(problems[0].kind, ProblemKind::Syntax(_)));
    assert!(problems[0].line.is_some());
}

#[test]
fn duplicate_names_are_rejected_within_and_across_files() {
    let problems = problems_of(load_dir(data("duplicate-names")));
    assert_eq!(problems.len(), 2, "{problems:#?}");
    let within = problem_for(&problems, "dup/within");
    assert_eq!(within.file, data("duplicate-names/a.yaml"));
    assert_eq!(within.field.as_deref(), Some("name"));
    match &within.kind {
        ProblemKind::DuplicateName { first } => {
            assert!(first.ends_with("a.yaml:9"), "first definition at {first}")
        }
        other => panic!("duplicate expected, got {other:?}"),
    }
    let across = problem_for(&problems, "dup/first");
    assert_eq!(across.file, data("duplicate-names/b.yaml"));
    match &across.kind {
        ProblemKind::DuplicateName { first } => {
            assert!(first.ends_with("a.yaml:2"), "first definition at {first}")
        }
        other => panic!("duplicate expected, got {other:?}"),
    }
    // Each file alone is fine apart from its own duplicate.
    assert!(load_files(&[data("duplicate-names/b.yaml")]).is_ok());
}

#[test]
fn malformed_decisions_are_rejected() {
    let problems = problems_of(load_files(&[data("malformed-decisions.yaml")]));
    let ingress = "flows[0].expect.ingress";
    let expect: Vec<(&str, String, ProblemKind)> = vec![
        (
            "rule-without-tier",
            format!("{ingress}.tier"),
            ProblemKind::MissingDecisionField {
                by: "rule",
                field: "tier",
            },
        ),
        (
            "rule-without-rule-index",
            format!("{ingress}.rule"),
            ProblemKind::MissingDecisionField {
                by: "rule",
                field: "rule",
            },
        ),
        (
            "global-policy-with-namespace",
            format!("{ingress}.namespace"),
            ProblemKind::ExtraDecisionField {
                by: "rule",
                field: "namespace",
            },
        ),
        (
            "namespaced-policy-without-namespace",
            format!("{ingress}.namespace"),
            ProblemKind::MissingDecisionField {
                by: "rule",
                field: "namespace",
            },
        ),
        (
            "rule-with-profile-kind",
            format!("{ingress}.kind"),
            ProblemKind::KindForBy {
                by: "rule",
                kind: "Profile".into(),
            },
        ),
        (
            "profile-with-policy-kind",
            format!("{ingress}.kind"),
            ProblemKind::KindForBy {
                by: "profile",
                kind: "GlobalNetworkPolicy".into(),
            },
        ),
        (
            "profile-with-tier",
            format!("{ingress}.tier"),
            ProblemKind::ExtraDecisionField {
                by: "profile",
                field: "tier",
            },
        ),
        (
            "end-of-tier-with-rule",
            format!("{ingress}.rule"),
            ProblemKind::ExtraDecisionField {
                by: "end-of-tier",
                field: "rule",
            },
        ),
        (
            "end-of-tier-without-tier",
            format!("{ingress}.tier"),
            ProblemKind::MissingDecisionField {
                by: "end-of-tier",
                field: "tier",
            },
        ),
        (
            "end-of-tier-allows",
            format!("{ingress}.verdict"),
            ProblemKind::VerdictForBy {
                by: "end-of-tier",
                verdict: "allow",
            },
        ),
        (
            "no-match-allows",
            format!("{ingress}.verdict"),
            ProblemKind::VerdictForBy {
                by: "no-match",
                verdict: "allow",
            },
        ),
        (
            "no-match-with-policy",
            format!("{ingress}.policy"),
            ProblemKind::ExtraDecisionField {
                by: "no-match",
                field: "policy",
            },
        ),
        (
            "failsafe-denies",
            format!("{ingress}.verdict"),
            ProblemKind::VerdictForBy {
                by: "failsafe",
                verdict: "deny",
            },
        ),
        (
            "failsafe-without-rule",
            format!("{ingress}.rule"),
            ProblemKind::MissingDecisionField {
                by: "failsafe",
                field: "rule",
            },
        ),
        (
            "default-with-tier",
            format!("{ingress}.tier"),
            ProblemKind::ExtraDecisionField {
                by: "default",
                field: "tier",
            },
        ),
        (
            "no-verdict",
            format!("{ingress}.verdict"),
            ProblemKind::NoVerdictAtFlowLevel,
        ),
        (
            "overall-verdict-contradicts",
            "flows[0].expect.verdict".to_owned(),
            ProblemKind::OverallVerdict {
                given: "allow",
                implied: "deny",
            },
        ),
        (
            "overall-deny-but-all-allow",
            "flows[0].expect.verdict".to_owned(),
            ProblemKind::OverallVerdict {
                given: "deny",
                implied: "allow",
            },
        ),
        (
            "missing-egress-key",
            "flows[0].expect.egress".to_owned(),
            ProblemKind::MissingSide("egress"),
        ),
        (
            "no-decision",
            "flows[0].expect".to_owned(),
            ProblemKind::NoDecision,
        ),
        (
            "empty-policy-name",
            format!("{ingress}.policy"),
            ProblemKind::Empty,
        ),
    ];
    for (case, field, kind) in &expect {
        let name = format!("malformed/{case}");
        let p = problem_for(&problems, &name);
        assert_eq!(&p.kind, kind, "{name}");
        assert_eq!(p.field.as_deref(), Some(field.as_str()), "{name}");
    }
    for case in ["pending-without-staged", "staged-without-pending"] {
        let name = format!("malformed/{case}");
        let p = problem_for(&problems, &name);
        assert!(
            matches!(p.kind, ProblemKind::Pending(_)),
            "{name}: {:?}",
            p.kind
        );
        assert_eq!(p.field.as_deref(), Some("flows[0].expect.pending"));
    }
    assert_eq!(problems.len(), expect.len() + 2, "{problems:#?}");
}

#[test]
fn malformed_flows_are_rejected() {
    let problems = problems_of(load_files(&[data("malformed-flows.yaml")]));
    let flow = "flows[0].flow";
    let expect = [
        ("ports-on-icmp", format!("{flow}.dstPort")),
        ("icmp-type-on-tcp", format!("{flow}.icmpType")),
        ("code-without-type", format!("{flow}.icmpCode")),
        ("ip-version-5", format!("{flow}.ipVersion")),
        ("icmp-over-ipv6", format!("{flow}.ipVersion")),
        ("unknown-protocol-name", format!("{flow}.protocol")),
        ("protocol-number-too-big", format!("{flow}.protocol")),
        ("via-not-a-host-endpoint", format!("{flow}.via[0]")),
        ("empty-source", format!("{flow}.src")),
        ("text-without-arrow", flow.to_owned()),
        ("tcp-without-port", format!("{flow}.dstPort")),
        ("icmp-without-type", format!("{flow}.icmpType")),
        ("protocol-zero", format!("{flow}.protocol")),
        ("port-zero", format!("{flow}.srcPort")),
        ("relative-http-path", format!("{flow}.path")),
    ];
    for (case, field) in &expect {
        let name = format!("bad-flow/{case}");
        let p = problem_for(&problems, &name);
        assert!(
            matches!(p.kind, ProblemKind::InvalidFlow(_)),
            "{name}: {:?}",
            p.kind
        );
        assert_eq!(p.field.as_deref(), Some(field.as_str()), "{name}");
    }
    let p = problem_for(&problems, "bad-flow/text-on-two-lines");
    assert_eq!(p.kind, ProblemKind::MultiLineFlow);
    let p = problem_for(&problems, "bad-flow/empty-text");
    assert_eq!(p.kind, ProblemKind::Empty);
    let p = problem_for(&problems, "bad-flow/port-out-of-range");
    assert!(matches!(p.kind, ProblemKind::Decode(_)));
    assert!(p.field.as_deref().is_some_and(|f| f.starts_with(flow)));
    assert!(
        !problems
            .iter()
            .any(|p| p.case.as_deref() == Some("bad-flow/fragment-needs-no-port")),
        "a fragment needs no port"
    );
    assert_eq!(problems.len(), expect.len() + 3, "{problems:#?}");
}

#[test]
fn case_level_rules_are_enforced() {
    let problems = problems_of(load_files(&[data("bad-case-fields.yaml")]));
    let expect = [
        (
            "Bad/Name",
            "name",
            ProblemKind::InvalidName("Bad/Name".into()),
        ),
        (
            "single-segment",
            "name",
            ProblemKind::InvalidName("single-segment".into()),
        ),
        ("fields/no-topics", "topics", ProblemKind::Empty),
        (
            "fields/topic-twice",
            "topics[2]",
            ProblemKind::DuplicateTopic("tiers".into()),
        ),
        ("fields/blank-semantics", "semantics", ProblemKind::Empty),
        ("fields/blank-resources", "resources", ProblemKind::Empty),
        ("fields/no-flows", "flows", ProblemKind::Empty),
        ("fields/blank-skip-reason", "skip.ebpf", ProblemKind::Empty),
    ];
    for (case, field, kind) in &expect {
        let p = problem_for(&problems, case);
        assert_eq!(&p.kind, kind, "{case}");
        assert_eq!(p.field.as_deref(), Some(*field), "{case}");
    }
    let p = problem_for(&problems, "fields/blank-dns-name");
    assert!(matches!(p.kind, ProblemKind::InvalidDns(_)));
    assert_eq!(problems.len(), expect.len() + 1, "{problems:#?}");
}

#[test]
fn a_directory_without_case_files_is_an_error() {
    let problems = problems_of(load_dir(data("no-cases")));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::NoCaseFiles);
}

#[test]
fn a_missing_file_is_an_io_problem() {
    let problems = problems_of(load_files(&[data("does-not-exist.yaml")]));
    assert_eq!(problems.len(), 1);
    assert!(matches!(problems[0].kind, ProblemKind::Io(_)));
    assert_eq!(problems[0].file, data("does-not-exist.yaml"));
}

#[test]
fn problems_display_file_line_case_and_field() {
    let problems = problems_of(load_files(&[data("malformed-decisions.yaml")]));
    let p = problem_for(&problems, "malformed/failsafe-denies");
    let text = p.to_string();
    let file = data("malformed-decisions.yaml").display().to_string();
    let line = p.line.expect("line");
    assert!(
        text.starts_with(&format!("{file}:{line}: case `malformed/failsafe-denies`")),
        "{text}"
    );
    assert!(text.contains("flows[0].expect.ingress.verdict"), "{text}");
    let all = LoadError {
        problems: problems.clone(),
    }
    .to_string();
    assert!(
        all.contains(&format!("{} problems", problems.len())),
        "{all}"
    );
}
