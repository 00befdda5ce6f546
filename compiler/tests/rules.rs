//! SEMANTICS §2 (applicability, profiles, label inheritance) and §2.9 (rule match fields) with
//! DECISIONS D2–D4, through real models on the reference and IR engines.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod common;

use std::sync::Arc;

use common::*;
use palisade_compiler::ir::Hook;
use palisade_compiler::packet::{L4, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PacketRepr};
use palisade_compiler::testing::build::*;
use palisade_compiler::{CompileOptions, DnsCache, Step, Verdict};
use palisade_policy_model::model::{Model, ServiceRef};
use palisade_policy_model::values::{IpVersion, Protocol, TierAction};

/// `a/target` (10.0.0.1, fd00::1) with one ingress policy in tier `t` (Deny) holding `rules`,
/// plus `a/web` (10.0.0.2, app=web), `a/db` (10.0.0.3, app=db, foo=x) and a network set.
fn model_with(rules: Vec<palisade_policy_model::model::Rule>) -> ModelBuilder {
    let mut web = pod("a", "web", &[("app", "web")], &["10.0.0.2"]);
    web.ports = vec![
        named_port("http", Protocol::Tcp, 8080),
        named_port("dns", Protocol::Udp, 53),
    ];
    let mut db = pod("a", "db", &[("app", "db"), ("foo", "x")], &["10.0.0.3"]);
    db.ports = vec![named_port("http", Protocol::Tcp, 9000)];
    ModelBuilder::new()
        .tier(tier("t", Some(1.0), TierAction::Deny))
        .policy(gnp("p", "t", None, "app == 'target'").ingress(rules))
        .workload(pod(
            "a",
            "target",
            &[("app", "target")],
            &["10.0.0.1", "fd00::1"],
        ))
        .workload(web)
        .workload(db)
        .network_set(network_set(
            None,
            "ext",
            &[("kind", "ext")],
            &["203.0.113.0/24"],
        ))
}

fn target() -> palisade_policy_model::model::EndpointKey {
    wl("a", "target")
}

/// The verdict of `a/target`'s ingress for `packet` (Allow = rule 0 allowed it).
fn allowed(model: &Model, packet: PacketRepr) -> bool {
    let d = Harness::new(model.clone()).decide(&target(), Hook::WorkloadIngress, packet, None);
    match d.verdict {
        Verdict::Allow => {
            assert_eq!(d.origin, rule_origin("t", gnp_id("p"), 0));
            true
        }
        _ => false,
    }
}

fn icmp(src: &str, dst: &str, t: u8, c: u8) -> PacketRepr {
    PacketRepr::icmp(addr(src), addr(dst), t, c).unwrap()
}

fn fragment(src: &str, dst: &str, protocol: u8) -> PacketRepr {
    PacketRepr::new(addr(src), addr(dst), protocol, L4::None).unwrap()
}

#[test]
fn protocol_and_not_protocol() {
    let m = model_with(vec![allow().protocol(Protocol::Udp)]).build();
    assert!(allowed(&m, udp("10.0.0.2", "10.0.0.1", 53)));
    assert!(!allowed(&m, tcp("10.0.0.2", "10.0.0.1", 53)));
    let m = model_with(vec![allow().not_protocol(Protocol::Tcp)]).build();
    assert!(!allowed(&m, tcp("10.0.0.2", "10.0.0.1", 53)));
    assert!(allowed(&m, icmp("10.0.0.2", "10.0.0.1", 8, 0)));
    let m = model_with(vec![
        allow().protocol(Protocol::Number(std::num::NonZeroU8::new(47).unwrap())),
    ])
    .build();
    assert!(allowed(&m, fragment("10.0.0.2", "10.0.0.1", 47)));
}

#[test]
fn d2_port_and_icmp_matches_need_their_l4_field() {
    // notPorts [80] does not match an ICMP packet (no ports at all).
    let m = model_with(vec![allow().dst(|e| e.not_ports = vec![ports(80, 80)])]).build();
    assert!(allowed(&m, tcp("10.0.0.2", "10.0.0.1", 81)));
    assert!(!allowed(&m, tcp("10.0.0.2", "10.0.0.1", 80)));
    assert!(!allowed(&m, icmp("10.0.0.2", "10.0.0.1", 8, 0)));
    // A non-first fragment matches no port rule.
    assert!(!allowed(&m, fragment("10.0.0.2", "10.0.0.1", PROTO_TCP)));
    let m = model_with(vec![allow().tcp().dst_ports(&[(1, 65535)])]).build();
    assert!(!allowed(&m, fragment("10.0.0.2", "10.0.0.1", PROTO_TCP)));
    // notICMP does not match TCP.
    let m = model_with(vec![allow().not_icmp(Some(8), None)]).build();
    assert!(allowed(&m, icmp("10.0.0.2", "10.0.0.1", 0, 0)));
    assert!(!allowed(&m, icmp("10.0.0.2", "10.0.0.1", 8, 3)));
    assert!(!allowed(&m, tcp("10.0.0.2", "10.0.0.1", 80)));
}

#[test]
fn icmp_type_code_and_family() {
    let m = model_with(vec![
        allow().protocol(Protocol::Icmp).icmp(Some(3), Some(1)),
    ])
    .build();
    assert!(allowed(&m, icmp("10.0.0.2", "10.0.0.1", 3, 1)));
    assert!(!allowed(&m, icmp("10.0.0.2", "10.0.0.1", 3, 0)));
    // ICMPv6 with the same type is another protocol.
    assert!(!allowed(&m, icmp("fd00::2", "fd00::1", 3, 1)));
    let m = model_with(vec![
        allow().protocol(Protocol::IcmpV6).icmp(Some(128), None),
    ])
    .build();
    assert!(allowed(&m, icmp("fd00::2", "fd00::1", 128, 9)));
    // ICMP without ICMP fields (the other family's protocol number) matches no type.
    assert!(!allowed(&m, fragment("fd00::2", "fd00::1", PROTO_ICMPV6)));
    let m = model_with(vec![allow().icmp(Some(8), None)]).build();
    assert!(!allowed(&m, fragment("10.0.0.2", "10.0.0.1", PROTO_ICMP)));
}

#[test]
fn nets_not_nets_and_ip_version() {
    let m = model_with(vec![
        allow()
            .src_nets(&["10.0.0.0/24"])
            .src(|e| e.not_nets = vec![net("10.0.0.128/25")]),
    ])
    .build();
    assert!(allowed(&m, tcp("10.0.0.0", "10.0.0.1", 80)));
    assert!(allowed(&m, tcp("10.0.0.127", "10.0.0.1", 80)));
    assert!(!allowed(&m, tcp("10.0.0.128", "10.0.0.1", 80)));
    assert!(!allowed(&m, tcp("10.0.1.0", "10.0.0.1", 80)));
    // D3: the converter sets ipVersion for single-family nets; the rule then ignores the other
    // family even when its CIDRs are only in notNets.
    let m = model_with(vec![
        allow()
            .ip_version(IpVersion::V4)
            .src(|e| e.not_nets = vec![net("192.0.2.0/24")]),
    ])
    .build();
    assert!(allowed(&m, tcp("10.0.0.2", "10.0.0.1", 80)));
    assert!(!allowed(&m, tcp("fd00::2", "fd00::1", 80)));
}

#[test]
fn selector_versus_not_selector() {
    // `selector: !has(foo)` matches only known endpoints and network sets without foo.
    let m = model_with(vec![allow().src_selector("!has(foo)")]).build();
    assert!(allowed(&m, tcp("10.0.0.2", "10.0.0.1", 80)));
    assert!(!allowed(&m, tcp("10.0.0.3", "10.0.0.1", 80)), "db has foo");
    assert!(
        !allowed(&m, tcp("198.51.100.1", "10.0.0.1", 80)),
        "not a known endpoint"
    );
    assert!(
        allowed(&m, tcp("203.0.113.77", "10.0.0.1", 80)),
        "the network set has no foo"
    );
    // `notSelector: has(foo)` (no positive selector) matches everything except endpoints with foo.
    let m = model_with(vec![
        allow().src(|e| e.not_selector = Some(sel("has(foo)"))),
    ])
    .build();
    assert!(allowed(&m, tcp("198.51.100.1", "10.0.0.1", 80)));
    assert!(!allowed(&m, tcp("10.0.0.3", "10.0.0.1", 80)));
}

#[test]
fn host_endpoints_contribute_only_expected_ips() {
    let mut with_ip = host_endpoint("h1", "n1", &[("role", "edge")], &["192.168.0.1"]);
    with_ip.interface = Some(Arc::from("eth0"));
    let mut iface_only = host_endpoint("h2", "n1", &[("role", "edge")], &[]);
    iface_only.interface = Some(Arc::from("eth1"));
    let m = model_with(vec![allow().src_selector("role == 'edge'")])
        .host(with_ip)
        .host(iface_only)
        .build();
    assert!(allowed(&m, tcp("192.168.0.1", "10.0.0.1", 80)));
    assert!(!allowed(&m, tcp("192.168.0.2", "10.0.0.1", 80)));
}

#[test]
fn named_ports_resolve_against_the_positive_selector() {
    // http is 8080 on web and 9000 on db.
    let egress = |rule: palisade_policy_model::model::Rule| {
        Harness::new(
            model_with(vec![])
                .policy(gnp("out", "t", None, "app == 'target'").egress(vec![rule]))
                .build(),
        )
    };
    let any = egress(allow().tcp().dst_named_ports(&["http"]));
    let out = |h: &Harness, dst: &str, port: u16| {
        h.verdict(&target(), Hook::WorkloadEgress, tcp("10.0.0.1", dst, port))
    };
    assert_eq!(out(&any, "10.0.0.2", 8080), Verdict::Allow);
    assert_eq!(out(&any, "10.0.0.3", 9000), Verdict::Allow);
    assert_eq!(
        out(&any, "10.0.0.2", 9000),
        Verdict::Deny,
        "9000 is db's http, not web's"
    );
    // With a positive selector, only the matching endpoints' ports count.
    let scoped = egress(
        allow()
            .tcp()
            .dst_selector("app == 'web'")
            .dst_named_ports(&["http"]),
    );
    assert_eq!(out(&scoped, "10.0.0.2", 8080), Verdict::Allow);
    assert_eq!(out(&scoped, "10.0.0.3", 9000), Verdict::Deny);
}

#[test]
fn named_ports_without_a_rule_protocol_keep_each_ports_protocol() {
    let m = model_with(vec![])
        .policy(
            gnp("out", "t", None, "app == 'target'")
                .egress(vec![allow().dst_named_ports(&["dns"])]),
        )
        .build();
    let h = Harness::new(m);
    assert_eq!(
        h.verdict(
            &target(),
            Hook::WorkloadEgress,
            udp("10.0.0.1", "10.0.0.2", 53)
        ),
        Verdict::Allow
    );
    assert_eq!(
        h.verdict(
            &target(),
            Hook::WorkloadEgress,
            tcp("10.0.0.1", "10.0.0.2", 53)
        ),
        Verdict::Deny
    );
}

#[test]
fn negated_named_ports() {
    let m = model_with(vec![])
        .policy(
            gnp("out", "t", None, "app == 'target'").egress(vec![allow().tcp().dst(|e| {
                e.not_named_ports = vec![Arc::from("http")];
            })]),
        )
        .build();
    let h = Harness::new(m);
    assert_eq!(
        h.verdict(
            &target(),
            Hook::WorkloadEgress,
            tcp("10.0.0.1", "10.0.0.2", 8080)
        ),
        Verdict::Deny
    );
    assert_eq!(
        h.verdict(
            &target(),
            Hook::WorkloadEgress,
            tcp("10.0.0.1", "10.0.0.2", 9000)
        ),
        Verdict::Allow
    );
}

#[test]
fn service_accounts_match_through_inherited_pcsa_labels() {
    let m = model_with(vec![allow().src_selector(
        "(projectcalico.org/namespace == 'a') && ((pcsa.role == 'admin') && (projectcalico.org/serviceaccount in {'robot'}))",
    )])
    .workload(pod_with_sa("a", "bot", "robot", &[], &["10.0.0.9"]))
    .workload(pod_with_sa("a", "human", "person", &[], &["10.0.0.10"]))
    .profile(service_account("a", "robot", &[("role", "admin")]))
    .profile(service_account("a", "person", &[("role", "admin")]))
    .build();
    assert!(allowed(&m, tcp("10.0.0.9", "10.0.0.1", 80)));
    assert!(
        !allowed(&m, tcp("10.0.0.10", "10.0.0.1", 80)),
        "name not in the list"
    );
}

#[test]
fn services_match_endpoint_ips_and_destination_ports() {
    let svc = ServiceRef {
        namespace: Arc::from("a"),
        name: Arc::from("api"),
    };
    let slice = service_slice("a", "api", &[("10.0.0.2", &[(Protocol::Tcp, 8080)][..])]);
    let src_rule = allow().src(|e| e.service = Some(svc.clone()));
    let m = model_with(vec![src_rule])
        .item(palisade_policy_model::model::Item::Slice(slice.clone()))
        .build();
    assert!(
        allowed(&m, tcp("10.0.0.2", "10.0.0.1", 1)),
        "source: address only"
    );
    assert!(!allowed(&m, tcp("10.0.0.3", "10.0.0.1", 1)));
    let out = model_with(vec![])
        .item(palisade_policy_model::model::Item::Slice(slice))
        .policy(
            gnp("out", "t", None, "app == 'target'")
                .egress(vec![allow().dst(|e| e.service = Some(svc.clone()))]),
        )
        .build();
    let h = Harness::new(out);
    assert_eq!(
        h.verdict(
            &target(),
            Hook::WorkloadEgress,
            tcp("10.0.0.1", "10.0.0.2", 8080)
        ),
        Verdict::Allow
    );
    assert_eq!(
        h.verdict(
            &target(),
            Hook::WorkloadEgress,
            tcp("10.0.0.1", "10.0.0.2", 8081)
        ),
        Verdict::Deny
    );
    assert_eq!(
        h.verdict(
            &target(),
            Hook::WorkloadEgress,
            udp("10.0.0.1", "10.0.0.2", 8080)
        ),
        Verdict::Deny
    );
}

#[test]
fn domains_match_the_dns_answers() {
    let m = model_with(vec![])
        .policy(gnp("out", "t", None, "app == 'target'").egress(vec![
            allow().dst(|e| e.domains = vec![Arc::from("*.example.com")]),
            allow().dst(|e| e.domains = vec![Arc::from("unknown.test")]),
        ]))
        .build();
    let dns = DnsCache::new()
        .with("api.example.com", [addr("192.0.2.10")])
        .with("a.b.example.com", [addr("192.0.2.11")]);
    let h = Harness::with(m, CompileOptions::new().dns(dns));
    let out = |dst: &str| {
        h.decide(
            &target(),
            Hook::WorkloadEgress,
            tcp("10.0.0.1", dst, 443),
            None,
        )
    };
    assert_eq!(out("192.0.2.10").origin, rule_origin("t", gnp_id("out"), 0));
    assert_eq!(
        out("192.0.2.11").verdict,
        Verdict::Deny,
        "* is one whole label"
    );
    assert_eq!(
        out("192.0.2.12").verdict,
        Verdict::Deny,
        "no answers: the rule matches nothing"
    );
}

#[test]
fn own_labels_win_over_inherited_ones_and_the_first_profile_wins() {
    let mut w = pod("a", "x", &[("zone", "own")], &["10.0.0.20"]);
    w.profiles = vec![Arc::from("p1"), Arc::from("p2")];
    let m = model_with(vec![
        allow().src_selector("zone == 'own' && tier == 'first'"),
    ])
    .workload(w)
    .profile(profile(
        "p1",
        &[("zone", "p1"), ("tier", "first")],
        vec![],
        vec![],
    ))
    .profile(profile("p2", &[("tier", "second")], vec![], vec![]))
    .build();
    assert!(allowed(&m, tcp("10.0.0.20", "10.0.0.1", 80)));
}

#[test]
fn pass_in_a_profile_goes_to_the_next_profile_and_never_allows() {
    let mut w = pod("a", "x", &[], &["10.0.0.20"]);
    w.profiles = vec![Arc::from("p1"), Arc::from("p2")];
    let h = Harness::new(
        ModelBuilder::new()
            .workload(w.clone())
            .profile(profile("p1", &[], vec![pass(), allow()], vec![]))
            .profile(profile("p2", &[], vec![log()], vec![]))
            .build(),
    );
    let d = h.decide(
        &wl("a", "x"),
        Hook::WorkloadIngress,
        tcp("1.2.3.4", "10.0.0.20", 80),
        None,
    );
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.origin, palisade_compiler::ir::Origin::NoMatch);
    assert_eq!(
        d.steps,
        vec![
            Step::Pass(profile_origin("p1", 0)),
            Step::Log(profile_origin("p2", 0))
        ]
    );
}

#[test]
fn workloads_never_get_untracked_or_pre_dnat_policies() {
    let m = model_with(vec![allow()])
        .policy(
            gnp("dnt", "default", Some(0.0), "all()")
                .host_flags(true, false, true)
                .ingress(vec![deny()]),
        )
        .policy(
            gnp("pre", "default", Some(0.0), "all()")
                .host_flags(false, true, true)
                .ingress(vec![deny()]),
        )
        .build();
    assert!(allowed(&m, tcp("10.0.0.2", "10.0.0.1", 80)));
}

#[test]
fn namespaced_policies_never_apply_to_host_endpoints() {
    let h = Harness::new(
        ModelBuilder::new()
            .policy(np("a", "np", "default", None, "all()").ingress(vec![allow()]))
            .policy(gnp("gnp", "default", None, "global()").ingress(vec![log()]))
            .host(host_endpoint("h", "n1", &[], &["192.168.0.1"]))
            .build(),
    );
    let d = h.decide(
        &hep("h"),
        Hook::HostIngress,
        tcp("1.2.3.4", "192.168.0.1", 8080),
        None,
    );
    // Only the global policy (`global()` matches every endpoint) applies; it logs, the tier ends.
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.origin, end_of_tier("default"));
    assert_eq!(
        d.steps,
        vec![Step::Log(rule_origin("default", gnp_id("gnp"), 0))]
    );
}

#[test]
fn empty_sets_are_kept_and_match_nothing() {
    let m = model_with(vec![allow().src_selector("app == 'nobody'"), deny()]).build();
    let h = Harness::new(m);
    let d = h.decide(
        &target(),
        Hook::WorkloadIngress,
        tcp("10.0.0.2", "10.0.0.1", 80),
        None,
    );
    assert_eq!(d.origin, rule_origin("t", gnp_id("p"), 1));
    let program = h
        .compiler
        .snapshot()
        .program(&palisade_compiler::ir::ProgramTarget {
            endpoint: target(),
            hook: Hook::WorkloadIngress,
        })
        .unwrap()
        .clone();
    let id = palisade_compiler::ir::IpSetId::from_raw(sel("app == 'nobody'").unique_id());
    assert!(program.rules()[0].matches.src.sets.contains(&id));
    assert!(
        h.compiler
            .snapshot()
            .sets
            .get(&id)
            .unwrap()
            .members()
            .is_empty()
    );
}
