//! Flows: the text and JSON forms, and their composition into decisions (DECISIONS D6, D7).

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod common;

use std::sync::Arc;

use common::*;
use palisade_compiler::flow::{Flow, FlowError, FlowResult, Peer, evaluate_flow};
use palisade_compiler::ir::Origin;
use palisade_compiler::packet::{
    L4, PROTO_ICMP, PROTO_ICMPV6, PROTO_SCTP, PROTO_TCP, PROTO_UDP, PROTO_UDPLITE,
};
use palisade_compiler::testing::build::*;
use palisade_compiler::{CompileOptions, Compiler, IrEngine, ReferenceEngine, Verdict};
use palisade_policy_model::calico::EndpointToHostAction;
use palisade_policy_model::model::Model;
use palisade_policy_model::values::{IpVersion, TierAction};
use serde_json::json;

// ----- parsing --------------------------------------------------------------------------------

#[test]
fn text_protocols_and_ports() {
    let f = Flow::parse("ns/a -> ns/b tcp/80").unwrap();
    assert_eq!(f.src, Peer::Endpoint(wl("ns", "a")));
    assert_eq!(
        (f.protocol, f.dst_port, f.src_port),
        (PROTO_TCP, Some(80), None)
    );
    for (text, proto) in [
        ("ns/a -> 10.0.0.1 UDP/53", PROTO_UDP),
        ("ns/a -> 10.0.0.1 sctp/9", PROTO_SCTP),
        ("ns/a -> 10.0.0.1 UdpLite/7", PROTO_UDPLITE),
        ("ns/a -> 10.0.0.1 6/7", PROTO_TCP),
    ] {
        assert_eq!(Flow::parse(text).unwrap().protocol, proto, "{text}");
    }
    let f = Flow::parse("ns/a -> hostendpoint/h icmp/3/1").unwrap();
    assert_eq!(f.dst, Peer::Endpoint(hep("h")));
    assert_eq!(
        (f.protocol, f.icmp_type, f.icmp_code),
        (PROTO_ICMP, Some(3), Some(1))
    );
    let f = Flow::parse("ns/a -> fd00::1 ICMPv6/128").unwrap();
    assert_eq!(
        (f.protocol, f.icmp_type, f.icmp_code),
        (PROTO_ICMPV6, Some(128), None)
    );
    let f = Flow::parse("ns/a -> ns/b proto/47").unwrap();
    assert_eq!((f.protocol, f.fragment), (47, true));
}

#[test]
fn text_options() {
    let f = Flow::parse(
        "ns/a -> ns/b tcp/443 sport 1234 ipv6 fragment via hostendpoint/n1 via hostendpoint/n2 method GET path /x",
    )
    .unwrap();
    assert_eq!(f.src_port, Some(1234));
    assert_eq!(f.ip_version, Some(IpVersion::V6));
    assert!(f.fragment);
    assert_eq!(f.via, vec![Arc::from("n1"), Arc::from("n2")]);
    assert_eq!(
        (f.method.as_deref(), f.path.as_deref()),
        (Some("GET"), Some("/x"))
    );
}

fn syntax_word(text: &str) -> String {
    match Flow::parse(text) {
        Err(FlowError::Syntax { word, .. }) => word,
        other => panic!("{text}: expected a syntax error, got {other:?}"),
    }
}

#[test]
fn text_errors_name_the_offending_word() {
    assert_eq!(syntax_word("ns/a => ns/b tcp/80"), "=>");
    assert_eq!(syntax_word("ns/a -> ns/b/c tcp/80"), "ns/b/c");
    assert_eq!(syntax_word("ns/a -> ns/b tcp"), "tcp");
    assert_eq!(syntax_word("ns/a -> ns/b gre/1"), "gre/1");
    assert_eq!(syntax_word("ns/a -> ns/b tcp/http"), "tcp/http");
    assert_eq!(syntax_word("ns/a -> ns/b icmp/8/1/2"), "icmp/8/1/2");
    assert_eq!(syntax_word("ns/a -> ns/b tcp/80 sport x"), "x");
    assert_eq!(syntax_word("ns/a -> ns/b tcp/80 via ns/c"), "ns/c");
    assert_eq!(syntax_word("ns/a -> ns/b tcp/80 bogus"), "bogus");
    assert_eq!(syntax_word("ns/a -> ns/b tcp/80 sport"), "sport");
    assert_eq!(syntax_word("ns/a ->"), "(end)");
    assert!(matches!(
        Flow::parse("ns/a -> ns/b tcp/0"),
        Err(FlowError::Invalid(_))
    ));
    assert!(matches!(
        Flow::parse("ns/a -> ns/b tcp/80 path x"),
        Err(FlowError::Invalid(_))
    ));
}

#[test]
fn json_form() {
    let f = Flow::from_json(
        r#"{"src": "x/a", "dst": "10.0.1.2", "protocol": "TCP", "dstPort": 80, "srcPort": 43210,
            "ipVersion": 4, "via": ["hostendpoint/h"], "fragment": false, "method": "GET", "path": "/"}"#,
    )
    .unwrap();
    assert_eq!(f.dst, Peer::Ip(addr("10.0.1.2")));
    assert_eq!((f.dst_port, f.src_port), (Some(80), Some(43210)));
    assert_eq!(f.via, vec![Arc::from("h")]);
    let f = Flow::from_json(
        r#"{"src": "x/a", "dst": "x/b", "protocol": 1, "icmpType": 8, "icmpCode": 0}"#,
    )
    .unwrap();
    assert_eq!((f.protocol, f.icmp_type), (PROTO_ICMP, Some(8)));
    // Round trip through the serialiser.
    let again: Flow = serde_json::from_value(serde_json::to_value(&f).unwrap()).unwrap();
    assert_eq!(again, f);
}

#[test]
fn json_errors() {
    assert!(matches!(
        Flow::from_json(r#"{"src": "x/a", "dst": "x/b", "protocol": "TCP", "dstPort": 80, "color": 1}"#),
        Err(FlowError::Json(m)) if m.contains("color")
    ));
    assert!(matches!(
        Flow::from_json(r#"{"src": "x/a", "dst": "x/b", "protocol": "TCP"}"#),
        Err(FlowError::Invalid(m)) if m.contains("destination port")
    ));
    assert!(matches!(
        Flow::from_json(r#"{"src": "x/a", "dst": "x/b", "protocol": "ICMP", "dstPort": 1}"#),
        Err(FlowError::Invalid(_))
    ));
    assert!(matches!(
        Flow::from_json(r#"{"src": "x/a", "dst": "x/b", "protocol": "GRE"}"#),
        Err(FlowError::Invalid(_))
    ));
}

// ----- composition (D6) -------------------------------------------------------------------------

fn cluster() -> ModelBuilder {
    let mut a = pod("ns", "a", &[("app", "a")], &["10.0.0.1", "fd00::1"]);
    a.node = Some(Arc::from("n1"));
    let mut b = pod("ns", "b", &[("app", "b")], &["10.0.0.2"]);
    b.node = Some(Arc::from("n2"));
    let mut c = pod("ns", "c", &[("app", "c")], &["fd00::3"]);
    c.node = None;
    ModelBuilder::new()
        .profile(namespace("ns", &[]))
        .workload(a)
        .workload(b)
        .workload(c)
        .host(host_endpoint(
            "h1",
            "n1",
            &[("hep", "h1")],
            &["192.168.0.1"],
        ))
        .host(host_endpoint(
            "h2",
            "n2",
            &[("hep", "h2")],
            &["192.168.0.2"],
        ))
}

/// Evaluates with both engines (which must agree) and returns the result.
fn eval(model: &Model, text: &str) -> Result<FlowResult, FlowError> {
    let flow = Flow::parse(text).unwrap();
    let compiler = Compiler::new(model.clone(), CompileOptions::new());
    let reference = ReferenceEngine::new(model, &CompileOptions::new());
    let ir = IrEngine::new(compiler.snapshot());
    let a = evaluate_flow(&reference, model, &flow);
    let b = evaluate_flow(&ir, model, &flow);
    assert_eq!(a, b, "{text}");
    a
}

fn by(d: &Option<palisade_compiler::Decision>) -> Option<(Verdict, &'static str)> {
    d.as_ref().map(|d| (d.verdict, d.origin.by()))
}

#[test]
fn d6_workload_to_workload_and_outside() {
    let m = cluster().build();
    let r = eval(&m, "ns/a -> ns/b tcp/80").unwrap();
    assert_eq!(by(&r.egress), Some((Verdict::Allow, "profile")));
    assert_eq!(by(&r.ingress), Some((Verdict::Allow, "profile")));
    assert!(r.forward_in.is_none() && r.forward_out.is_none());
    let r = eval(&m, "198.51.100.1 -> ns/b tcp/80").unwrap();
    assert!(r.egress.is_none());
    assert!(r.ingress.is_some());
    let r = eval(&m, "ns/b -> 198.51.100.1 tcp/80").unwrap();
    assert!(r.egress.is_some() && r.ingress.is_none());
    assert!(matches!(
        eval(&m, "198.51.100.1 -> 198.51.100.2 tcp/80"),
        Err(FlowError::OutsideToOutside { .. })
    ));
}

#[test]
fn d6_ip_literals_resolve_to_their_endpoint() {
    let m = cluster()
        .policy(np("ns", "deny-b", "default", None, "app == 'b'").ingress(vec![deny()]))
        .build();
    let r = eval(&m, "10.0.0.1 -> 10.0.0.2 tcp/80").unwrap();
    assert_eq!(
        by(&r.egress),
        Some((Verdict::Allow, "profile")),
        "10.0.0.1 is ns/a"
    );
    assert_eq!(
        by(&r.ingress),
        Some((Verdict::Deny, "rule")),
        "10.0.0.2 is ns/b"
    );
    // An address owned twice is an error.
    let dup = cluster()
        .workload(pod("ns", "twin", &[], &["10.0.0.2"]))
        .build();
    assert!(matches!(
        eval(&dup, "ns/a -> 10.0.0.2 tcp/80"),
        Err(FlowError::AmbiguousIp { .. })
    ));
}

#[test]
fn d6_family_choice() {
    let m = cluster().build();
    let r = eval(&m, "ns/a -> ns/b tcp/80").unwrap();
    assert!(r.packet.is_ipv4(), "both named sides have IPv4");
    let r = eval(&m, "ns/a -> ns/c tcp/80").unwrap();
    assert!(!r.packet.is_ipv4(), "c has only IPv6");
    let r = eval(&m, "ns/a -> fd00::99 tcp/80").unwrap();
    assert_eq!(
        r.packet.src(),
        addr("fd00::1"),
        "a literal fixes the family"
    );
    assert!(matches!(
        eval(&m, "ns/b -> ns/c tcp/80"),
        Err(FlowError::NoAddress { .. })
    ));
    assert!(matches!(
        eval(&m, "ns/a -> ns/b tcp/80 ipv6"),
        Err(FlowError::NoAddress { .. })
    ));
    assert!(matches!(
        eval(&m, "ns/a -> 10.0.0.9 tcp/80 ipv6"),
        Err(FlowError::Invalid(_))
    ));
    let r = eval(&m, "ns/a -> ns/c icmpv6/128").unwrap();
    assert_eq!(
        r.packet.l4(),
        L4::Icmp {
            icmp_type: 128,
            code: 0
        }
    );
}

#[test]
fn d6_workload_to_its_own_host() {
    for (action, verdict) in [
        (EndpointToHostAction::Drop, Verdict::Deny),
        (EndpointToHostAction::Accept, Verdict::Allow),
        (EndpointToHostAction::Return, Verdict::Allow),
    ] {
        let m = cluster()
            .felix(felix(Vec::new(), Vec::new(), action))
            .build();
        let r = eval(&m, "ns/a -> hostendpoint/h1 tcp/80").unwrap();
        assert_eq!(by(&r.egress), Some((Verdict::Allow, "profile")));
        assert_eq!(by(&r.ingress), Some((verdict, "default")));
        assert_eq!(r.verdict, verdict);
    }
}

#[test]
fn d6_ndp_to_the_host_is_allowed_before_egress_policy() {
    let mut a = pod("ns", "a", &[("app", "a")], &["fd00::1"]);
    a.node = Some(Arc::from("n1"));
    let m = ModelBuilder::new()
        .workload(a)
        .policy(np("ns", "deny-out", "default", None, "app == 'a'").egress(vec![deny()]))
        .host(host_endpoint("h1", "n1", &[], &["fd01::1"]))
        .build();
    let r = eval(&m, "ns/a -> hostendpoint/h1 icmpv6/135").unwrap();
    assert_eq!(by(&r.egress), Some((Verdict::Allow, "default")));
    assert_eq!(by(&r.ingress), Some((Verdict::Allow, "default")));
    let r = eval(&m, "ns/a -> hostendpoint/h1 icmpv6/128").unwrap();
    assert_eq!(by(&r.egress), Some((Verdict::Deny, "rule")));
}

#[test]
fn d6_workload_to_another_nodes_host_uses_host_ingress_stages() {
    let m = cluster()
        .policy(
            gnp("pre", "default", None, "hep == 'h2'")
                .host_flags(false, true, true)
                .ingress(vec![deny().tcp().dst_ports(&[(81, 81)])]),
        )
        .build();
    let r = eval(&m, "ns/a -> hostendpoint/h2 tcp/80").unwrap();
    assert_eq!(
        by(&r.ingress),
        Some((Verdict::Deny, "no-match")),
        "pre-DNAT passes, no profile: drop"
    );
    let r = eval(&m, "ns/a -> hostendpoint/h2 tcp/81").unwrap();
    assert_eq!(
        by(&r.ingress),
        Some((Verdict::Deny, "rule")),
        "pre-DNAT deny decides"
    );
    let r = eval(&m, "ns/a -> hostendpoint/h2 tcp/22").unwrap();
    assert_eq!(by(&r.ingress), Some((Verdict::Allow, "failsafe")));
}

#[test]
fn d6_host_to_local_workload_is_allowed_by_default() {
    let m = cluster()
        .policy(np("ns", "deny-in", "default", None, "app == 'a'").ingress(vec![deny()]))
        .build();
    let r = eval(&m, "hostendpoint/h1 -> ns/a tcp/80").unwrap();
    assert_eq!(by(&r.egress), Some((Verdict::Allow, "default")));
    assert_eq!(by(&r.ingress), Some((Verdict::Allow, "default")));
    let r = eval(&m, "hostendpoint/h2 -> ns/a tcp/80").unwrap();
    assert_eq!(
        by(&r.egress),
        Some((Verdict::Deny, "no-match")),
        "h2's host egress: no policy, no profile"
    );
    assert_eq!(by(&r.ingress), Some((Verdict::Deny, "rule")));
}

#[test]
fn d6_host_to_host_and_outside() {
    let m = cluster()
        .policy(
            gnp("allow-hosts", "default", None, "has(hep)")
                .ingress(vec![allow()])
                .egress(vec![allow()]),
        )
        .build();
    let r = eval(&m, "hostendpoint/h1 -> hostendpoint/h2 tcp/80").unwrap();
    assert_eq!(by(&r.egress), Some((Verdict::Allow, "rule")));
    assert_eq!(by(&r.ingress), Some((Verdict::Allow, "rule")));
    let r = eval(&m, "hostendpoint/h1 -> 198.51.100.1 tcp/80").unwrap();
    assert!(r.ingress.is_none());
    let r = eval(&m, "198.51.100.1 -> hostendpoint/h1 tcp/80").unwrap();
    assert!(r.egress.is_none());
}

#[test]
fn d6_stages_run_in_order_and_keep_earlier_steps() {
    let m = cluster()
        .tier(tier("raw", Some(1.0), TierAction::Deny))
        .policy(
            gnp("dnt-log", "raw", None, "hep == 'h2'")
                .host_flags(true, false, true)
                .ingress(vec![log()]),
        )
        .policy(gnp("normal", "default", None, "hep == 'h2'").ingress(vec![allow()]))
        .build();
    let r = eval(&m, "198.51.100.1 -> hostendpoint/h2 tcp/80").unwrap();
    let d = r.ingress.unwrap();
    assert_eq!(d.origin.by(), "rule");
    assert_eq!(d.origin.tier(), Some("default"));
    // The untracked stage logged, then its tier passed (implicit Pass), then host ingress decided.
    assert_eq!(d.steps.len(), 2);
}

#[test]
fn d6_via_forward_stages() {
    let m = cluster()
        .policy(
            gnp("fwd", "default", None, "has(hep)")
                .host_flags(false, false, true)
                .ingress(vec![deny().tcp().dst_ports(&[(23, 23)])])
                .egress(vec![allow()]),
        )
        .build();
    // h2 is on the destination's node: inbound; h1 on the source's node: outbound.
    let r = eval(
        &m,
        "ns/a -> ns/b tcp/80 via hostendpoint/h2 via hostendpoint/h1",
    )
    .unwrap();
    assert_eq!(by(&r.forward_in), Some((Verdict::Deny, "end-of-tier")));
    assert_eq!(by(&r.forward_out), Some((Verdict::Allow, "rule")));
    assert_eq!(r.verdict, Verdict::Deny);
    let r = eval(&m, "ns/a -> ns/b tcp/23 via hostendpoint/h2").unwrap();
    assert_eq!(by(&r.forward_in), Some((Verdict::Deny, "rule")));
    // A host endpoint on neither node: inbound when the destination is a workload.
    let r = eval(&m, "198.51.100.1 -> ns/a tcp/80 via hostendpoint/h2").unwrap();
    assert!(r.forward_in.is_some() && r.forward_out.is_none());
    let r = eval(&m, "ns/a -> 198.51.100.1 tcp/80 via hostendpoint/h2").unwrap();
    assert!(r.forward_out.is_some() && r.forward_in.is_none());
    // No applyOnForward policy: allowed by default.
    let plain = cluster().build();
    let r = eval(&plain, "ns/a -> ns/b tcp/80 via hostendpoint/h2").unwrap();
    assert_eq!(by(&r.forward_in), Some((Verdict::Allow, "default")));
    assert!(matches!(
        eval(
            &plain,
            "ns/a -> ns/b tcp/80 via hostendpoint/h2 via hostendpoint/h2"
        ),
        Err(FlowError::Invalid(_))
    ));
    assert!(matches!(
        eval(&plain, "ns/a -> ns/b tcp/80 via hostendpoint/nope"),
        Err(FlowError::UnknownEndpoint(_))
    ));
}

#[test]
fn d6_failsafes_never_decide_forwarded_traffic() {
    let m = cluster()
        .policy(
            gnp("fwd", "default", None, "has(hep)")
                .host_flags(false, false, true)
                .ingress(vec![deny()]),
        )
        .build();
    let r = eval(&m, "ns/a -> ns/b tcp/22 via hostendpoint/h2").unwrap();
    let d = r.forward_in.unwrap();
    assert_eq!((d.verdict, d.origin.by()), (Verdict::Deny, "rule"));
}

#[test]
fn d7_result_json() {
    let m = cluster()
        .policy(
            np("ns", "deny-b", "default", Some(5.0), "app == 'b'")
                .ingress(vec![allow().udp(), deny()]),
        )
        .build();
    let r = eval(&m, "ns/a -> ns/b tcp/80").unwrap();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(
        v,
        json!({
            "src": "ns/a", "dst": "ns/b", "protocol": "TCP", "dstPort": 80, "srcPort": 40000,
            "srcIp": "10.0.0.1", "dstIp": "10.0.0.2", "ipVersion": 4,
            "verdict": "deny",
            "egress": {"verdict": "allow", "by": "profile", "policy": "kns.ns", "kind": "Profile", "rule": 0},
            "ingress": {"verdict": "deny", "by": "rule", "tier": "default", "policy": "deny-b",
                        "kind": "NetworkPolicy", "namespace": "ns", "rule": 1}
        })
    );
    let r = eval(&m, "198.51.100.1 -> hostendpoint/h1 tcp/22").unwrap();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["egress"], serde_json::Value::Null);
    assert_eq!(
        v["ingress"],
        json!({"verdict": "allow", "by": "failsafe", "rule": 0})
    );
    let _ = Origin::Default;
}

#[test]
fn pending_evaluation_uses_a_pending_engine() {
    let m = cluster()
        .policy(
            policy(
                palisade_policy_model::model::PolicyKind::StagedNetworkPolicy,
                Some("ns"),
                "staged",
                "default",
                None,
                "projectcalico.org/namespace == 'ns'",
            )
            .ingress(vec![deny()]),
        )
        .build();
    let flow = Flow::parse("ns/a -> ns/b tcp/80").unwrap();
    let pending = CompileOptions::new().pending(true);
    let compiler = Compiler::new(m.clone(), pending.clone());
    let r = evaluate_flow(&IrEngine::new(compiler.snapshot()), &m, &flow).unwrap();
    assert_eq!(r.verdict, Verdict::Deny);
    let r = evaluate_flow(&ReferenceEngine::new(&m, &pending), &m, &flow).unwrap();
    assert_eq!(r.verdict, Verdict::Deny);
    assert_eq!(
        eval(&m, "ns/a -> ns/b tcp/80").unwrap().verdict,
        Verdict::Allow
    );
}
