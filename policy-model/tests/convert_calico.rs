//! Calico kinds: Tier, (Staged)(Global)NetworkPolicy and Profile (SEMANTICS §2.1–§2.7, §2.9;
//! DECISIONS D3–D5): identity, tier and order, directions, flags, staged policies, and every
//! rule field.

mod convert_util;

use convert_util::{assert_selector, convert_yaml, item, labels, note_paths, policy};
use palisade_policy_model::model::{Item, PolicyKind, ProfileSource, Severity};
use palisade_policy_model::values::{Action, IcmpMatch, IpVersion, Protocol, TierAction};

fn np(ns: &str, spec: &str) -> String {
    format!(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n\
         metadata: {{name: np1, namespace: {ns}}}\nspec: {spec}\n"
    )
}

fn gnp(spec: &str) -> String {
    format!(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: gnp1}}\n\
         spec: {spec}\n"
    )
}

#[test]
fn tier_default_action() {
    let cases = [
        (
            "{order: 100, defaultAction: Pass}",
            Some(100.0),
            TierAction::Pass,
        ),
        (
            "{order: 5, defaultAction: Deny}",
            Some(5.0),
            TierAction::Deny,
        ),
        ("{}", None, TierAction::Deny),
    ];
    for (spec, order, action) in cases {
        let Item::Tier(t) = item(&format!(
            "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {{name: security}}\nspec: {spec}\n"
        )) else {
            panic!("a tier");
        };
        assert_eq!(&*t.name, "security");
        assert_eq!(t.order, order);
        assert_eq!(t.default_action, action);
        assert!(t.declared);
    }
}

#[test]
fn network_policy_identity_tier_and_flags() {
    let p = policy(&np("prod", "{tier: security, order: 10.5}"));
    assert_eq!(p.id.kind, PolicyKind::NetworkPolicy);
    assert_eq!(p.id.namespace.as_deref(), Some("prod"));
    assert_eq!(&*p.id.name, "np1");
    assert_eq!(&*p.tier, "security");
    assert_eq!(p.order, Some(10.5));
    assert!(!p.staged && !p.do_not_track && !p.pre_dnat && !p.apply_on_forward);

    let p = policy(&np("prod", "{}"));
    assert_eq!(&*p.tier, "default");
    assert_eq!(p.order, None);
}

#[test]
fn global_network_policy_identity_and_flags() {
    let p = policy(&gnp(
        "{doNotTrack: true, applyOnForward: true, ingress: [{action: Allow}], egress: [{action: Allow}]}",
    ));
    assert_eq!(p.id.kind, PolicyKind::GlobalNetworkPolicy);
    assert_eq!(p.id.namespace, None);
    assert!(p.do_not_track && p.apply_on_forward && !p.pre_dnat && !p.staged);
    let p = policy(&gnp("{preDNAT: true, applyOnForward: true}"));
    assert!(p.pre_dnat && !p.do_not_track);
}

#[test]
fn directions_default_from_rules_when_types_are_empty() {
    // SEMANTICS §2.4: no rules / ingress only → [Ingress]; egress only → [Egress]; both → both.
    let cases = [
        ("{}", true, false),
        ("{ingress: [{action: Allow}]}", true, false),
        ("{egress: [{action: Allow}]}", false, true),
        (
            "{ingress: [{action: Allow}], egress: [{action: Allow}]}",
            true,
            true,
        ),
        ("{types: [Egress], ingress: [{action: Allow}]}", false, true),
        ("{types: [Ingress, Egress]}", true, true),
    ];
    for (spec, ingress, egress) in cases {
        for text in [np("n", spec), gnp(spec)] {
            let p = policy(&text);
            assert_eq!(
                (p.directions.ingress, p.directions.egress),
                (ingress, egress),
                "{spec}"
            );
        }
    }
}

#[test]
fn staged_policies_are_kept_but_not_enforced() {
    let cases = [
        (
            "StagedNetworkPolicy",
            "metadata: {name: s, namespace: n}",
            "Set",
            PolicyKind::StagedNetworkPolicy,
        ),
        (
            "StagedGlobalNetworkPolicy",
            "metadata: {name: s}",
            "Learn",
            PolicyKind::StagedGlobalNetworkPolicy,
        ),
        (
            "StagedGlobalNetworkPolicy",
            "metadata: {name: s}",
            "Ignore",
            PolicyKind::StagedGlobalNetworkPolicy,
        ),
    ];
    for (kind, metadata, action, expected) in cases {
        let p = policy(&format!(
            "apiVersion: projectcalico.org/v3\nkind: {kind}\n{metadata}\n\
             spec: {{stagedAction: {action}, selector: has(app), ingress: [{{action: Deny}}]}}\n"
        ));
        assert!(p.staged);
        assert_eq!(p.id.kind, expected);
        assert_eq!(&*p.id.name, "s");
        assert_eq!(p.ingress.len(), 1);
    }
    // No stagedAction means Set.
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata: {name: s, namespace: n}\nspec: {}\n",
    );
    assert!(p.staged);
    assert_selector(Some(&p.selector), "projectcalico.org/namespace == 'n'");
}

#[test]
fn staged_delete_is_not_part_of_the_model() {
    for (kind, metadata) in [
        ("StagedNetworkPolicy", "metadata: {name: s, namespace: n}"),
        ("StagedGlobalNetworkPolicy", "metadata: {name: s}"),
    ] {
        let converted = convert_yaml(&format!(
            "apiVersion: projectcalico.org/v3\nkind: {kind}\n{metadata}\n\
             spec: {{stagedAction: Delete, tier: default}}\n"
        ));
        assert!(converted.items.is_empty());
        assert_eq!(
            note_paths(&converted.notes, Severity::Info),
            ["spec.stagedAction"]
        );
    }
}

#[test]
fn rule_fields_are_copied() {
    let p = policy(&np(
        "n",
        "{ingress: [\
         {action: Log, protocol: ICMP, icmp: {type: 8, code: 0}, notICMP: {type: 3}}, \
         {action: Pass, protocol: 17, notProtocol: TCP}, \
         {action: Allow, protocol: TCP, http: {methods: [GET], paths: [{prefix: /api}]}}]}",
    ));
    let [log, pass, allow] = &p.ingress[..] else {
        panic!("three rules");
    };
    assert_eq!(log.action, Action::Log);
    assert_eq!(log.protocol, Some(Protocol::Icmp));
    assert_eq!(
        log.icmp,
        Some(IcmpMatch {
            icmp_type: Some(8),
            code: Some(0)
        })
    );
    assert_eq!(
        log.not_icmp,
        Some(IcmpMatch {
            icmp_type: Some(3),
            code: None
        })
    );
    assert_eq!(pass.action, Action::Pass);
    assert_eq!(pass.protocol.map(Protocol::number), Some(17));
    assert_eq!(pass.not_protocol, Some(Protocol::Tcp));
    let http = allow.http.as_ref().expect("http kept");
    assert_eq!(http.methods, ["GET"]);
    let indexes: Vec<u32> = p.ingress.iter().map(|r| r.source_index).collect();
    assert_eq!(indexes, [0, 1, 2]);
}

#[test]
fn ports_are_split_into_ranges_and_names() {
    let p = policy(&gnp("{ingress: [{action: Allow, protocol: TCP, \
         source: {ports: [1024:65535, client]}, \
         destination: {ports: [80, \"8080:8090\", http], notPorts: [8085, admin]}}]}"));
    let rule = &p.ingress[0];
    let show = |v: &[palisade_policy_model::values::PortRange]| {
        v.iter().map(ToString::to_string).collect::<Vec<_>>()
    };
    assert_eq!(show(&rule.source.ports), ["1024:65535"]);
    assert_eq!(rule.source.named_ports.len(), 1);
    assert_eq!(&*rule.source.named_ports[0], "client");
    assert_eq!(show(&rule.destination.ports), ["80", "8080:8090"]);
    assert_eq!(&*rule.destination.named_ports[0], "http");
    assert_eq!(show(&rule.destination.not_ports), ["8085"]);
    assert_eq!(&*rule.destination.not_named_ports[0], "admin");
}

#[test]
fn ip_version_is_implied_by_single_family_nets() {
    // DECISIONS D3: CIDRs of one family (nets or notNets, either side) restrict the rule.
    let cases = [
        (
            "{action: Allow, source: {nets: [10.0.0.0/8]}}",
            Some(IpVersion::V4),
        ),
        (
            "{action: Allow, destination: {notNets: [\"fd00::/8\"]}}",
            Some(IpVersion::V6),
        ),
        (
            "{action: Allow, source: {nets: [10.0.0.0/8]}, destination: {notNets: [10.1.0.0/16]}}",
            Some(IpVersion::V4),
        ),
        (
            "{action: Allow, source: {nets: [10.0.0.0/8, \"fd00::/8\"]}}",
            None,
        ),
        ("{action: Allow, source: {selector: has(a)}}", None),
        ("{action: Allow, ipVersion: 6}", Some(IpVersion::V6)),
    ];
    for (rule, expected) in cases {
        let p = policy(&gnp(&format!("{{ingress: [{rule}]}}")));
        assert_eq!(p.ingress[0].ip_version, expected, "{rule}");
    }
}

#[test]
fn services_namespace_defaults_to_the_policy_namespace() {
    let p = policy(&np(
        "prod",
        "{egress: [{action: Allow, destination: {services: {name: db}}}, \
         {action: Allow, destination: {services: {name: api, namespace: other}}}]}",
    ));
    let svc = |i: usize| p.egress[i].destination.service.clone().expect("service");
    assert_eq!((&*svc(0).namespace, &*svc(0).name), ("prod", "db"));
    assert_eq!((&*svc(1).namespace, &*svc(1).name), ("other", "api"));
}

#[test]
fn services_without_namespace_in_a_global_policy_match_nothing() {
    let converted = convert_yaml(&gnp(
        "{egress: [{action: Allow, destination: {services: {name: db}}}]}",
    ));
    let Some(Item::Policy(p)) = converted.items.first() else {
        panic!("a policy");
    };
    let svc = p.egress[0].destination.service.clone().expect("service");
    assert_eq!(&*svc.namespace, "");
    assert_eq!(
        note_paths(&converted.notes, Severity::Warning),
        ["spec.egress[0].destination.services.namespace"]
    );
}

#[test]
fn domains_are_copied() {
    let p = policy(&gnp(
        "{egress: [{action: Allow, destination: {domains: [example.com, \"*.example.org\"]}}]}",
    ));
    let domains: Vec<&str> = p.egress[0]
        .destination
        .domains
        .iter()
        .map(|d| &**d)
        .collect();
    assert_eq!(domains, ["example.com", "*.example.org"]);
}

#[test]
fn unconvertible_rule_selectors_fail_closed() {
    // Prefixing `pcns.` makes a 510-byte label longer than the 512 bytes Calico allows.
    let long = "k".repeat(510);
    let converted = convert_yaml(&gnp(&format!(
        "{{ingress: [{{action: Deny, protocol: TCP, source: {{namespaceSelector: has({long})}}}}, \
         {{action: Allow, source: {{namespaceSelector: has({long})}}}}, \
         {{action: Allow, source: {{selector: has({long})}}}}]}}"
    )));
    let Some(Item::Policy(p)) = converted.items.first() else {
        panic!("a policy");
    };
    assert_eq!(p.ingress.len(), 2);
    let deny = &p.ingress[0];
    assert_eq!(deny.action, Action::Deny);
    assert_eq!(deny.source_index, 0);
    assert!(deny.protocol.is_none() && deny.source.is_unconstrained());
    // The unprefixed selector is fine.
    assert_eq!(p.ingress[1].source_index, 2);
    assert_eq!(
        note_paths(&converted.notes, Severity::Error),
        ["spec.ingress[0]", "spec.ingress[1]"]
    );
}

#[test]
fn unconvertible_policy_selector_leaves_the_policy_out() {
    let long = "k".repeat(510);
    let converted = convert_yaml(&np(
        "n",
        &format!("{{serviceAccountSelector: has({long})}}"),
    ));
    assert!(converted.items.is_empty());
    assert_eq!(
        note_paths(&converted.notes, Severity::Error),
        ["spec.selector"]
    );
}

#[test]
fn profile_keeps_labels_and_unscoped_rules() {
    let Item::Profile(p) = item(
        "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: allow-db}\n\
         spec:\n  labelsToApply: {role: db}\n  ingress: [{action: Allow, source: {selector: has(app)}}]\n\
         \x20 egress: [{action: Deny}, {action: Allow}]\n",
    ) else {
        panic!("a profile");
    };
    assert_eq!(&*p.name, "allow-db");
    assert_eq!(p.source, ProfileSource::Profile);
    assert_eq!(p.labels_to_apply, labels(&[("role", "db")]));
    assert_selector(p.ingress[0].source.selector.as_ref(), "has(app)");
    let egress: Vec<(Action, u32)> = p
        .egress
        .iter()
        .map(|r| (r.action, r.source_index))
        .collect();
    assert_eq!(egress, [(Action::Deny, 0), (Action::Allow, 1)]);
}
