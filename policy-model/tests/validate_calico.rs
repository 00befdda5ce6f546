//! One test per validation rule of SEMANTICS §4 (and §1.7, §3, staged rules) for the Calico
//! kinds: each shows an accepted and a rejected input.

mod common;

use common::{assert_valid, assert_violation, gnp_rule, gnp_spec, np_rule, violations};
use palisade_policy_model::Check;

// ---- Selectors -----------------------------------------------------------------------------

#[test]
fn selector_length_limit_is_1024_characters() {
    let ok = "a in {'x'}";
    assert_valid(&gnp_spec(&format!("selector: \"{ok}\"")));
    let long = format!("a == '{}'", "x".repeat(1020));
    assert_eq!(long.len(), 1027);
    assert_violation(
        &gnp_spec(&format!("selector: \"{long}\"")),
        Check::SelectorTooLong,
        "spec.selector",
    );
    let exact = format!("a == '{}'", "x".repeat(1017));
    assert_eq!(exact.len(), 1024);
    assert_valid(&gnp_spec(&format!("selector: \"{exact}\"")));
}

#[test]
fn global_is_forbidden_in_policy_selectors() {
    assert_valid(&gnp_spec("selector: all()"));
    assert_violation(
        &gnp_spec("selector: global()"),
        Check::GlobalPlacement,
        "spec.selector",
    );
    assert_violation(
        &gnp_spec("namespaceSelector: global()"),
        Check::GlobalPlacement,
        "spec.namespaceSelector",
    );
    assert_violation(
        &gnp_spec("serviceAccountSelector: \"a == 'global('\""),
        Check::GlobalPlacement,
        "spec.serviceAccountSelector",
    );
}

#[test]
fn global_in_rule_selector_is_forbidden_but_alone_in_rule_namespace_selector_is_allowed() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, source: {namespaceSelector: global()}",
    ));
    assert_violation(
        &gnp_rule("ingress", "action: Allow, source: {selector: global()}"),
        Check::GlobalPlacement,
        "spec.ingress[0].source.selector",
    );
    assert_violation(
        &gnp_rule(
            "ingress",
            "action: Allow, source: {namespaceSelector: \"global() && has(a)\"}",
        ),
        Check::GlobalPlacement,
        "spec.ingress[0].source.namespaceSelector",
    );
    // notSelector has no global() restriction.
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, source: {notSelector: global()}",
    ));
}

#[test]
fn selector_with_trailing_newline_is_a_decode_error_at_its_field() {
    let text = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  selector: |\n    a == 'b'\n";
    let loaded = common::load(text);
    assert_eq!(loaded.problems.len(), 1);
    let problem = &loaded.problems[0];
    assert_eq!(problem.path.to_string(), "spec.selector");
    assert_eq!(problem.location.map(|l| l.line), Some(6)); // the selector text
    assert!(matches!(
        problem.kind,
        palisade_policy_model::ProblemKind::Decode { .. }
    ));
}

// ---- Metadata ------------------------------------------------------------------------------

#[test]
fn network_policy_names() {
    for good in [
        "allow-dns",
        "tier1.allow-dns",
        "knp.default.a.b",
        "ossg.default.x",
    ] {
        assert_valid(&format!(
            "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: {good}, namespace: ns}}\n"
        ));
    }
    for bad in ["a.b.c", "Allow", "-a", "knp.other.x"] {
        assert_violation(
            &format!(
                "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: {bad}, namespace: ns}}\n"
            ),
            Check::NameFormat,
            "metadata.name",
        );
    }
}

#[test]
fn global_network_policy_names() {
    assert_valid(&gnp_spec("selector: all()").replace("name: p", "name: security.quarantine"));
    assert_violation(
        &gnp_spec("selector: all()").replace("name: p", "name: knp.default.x"),
        Check::NameFormat,
        "metadata.name",
    );
}

#[test]
fn name_is_required() {
    assert_violation(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {labels: {a: b}}\n",
        Check::NameRequired,
        "metadata.name",
    );
}

#[test]
fn tier_names_are_dns_labels() {
    assert_valid(
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100}\n",
    );
    assert_violation(
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: sec.urity}\nspec: {order: 100}\n",
        Check::NameFormat,
        "metadata.name",
    );
    assert_violation(
        &format!(
            "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {{name: {}}}\n",
            "a".repeat(64)
        ),
        Check::NameFormat,
        "metadata.name",
    );
}

#[test]
fn policy_tier_field_is_a_tier_name() {
    assert_valid(&gnp_spec("tier: security"));
    assert_violation(&gnp_spec("tier: Security"), Check::NameFormat, "spec.tier");
}

#[test]
fn well_known_tiers_have_fixed_orders_and_actions() {
    assert_valid(
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: default}\nspec: {order: 1000000, defaultAction: Deny}\n",
    );
    assert_valid(
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: kube-admin}\nspec: {order: 1000, defaultAction: Pass}\n",
    );
    assert_valid(
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: kube-baseline}\nspec: {order: 10000000, defaultAction: Pass}\n",
    );
    assert_violation(
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: default}\nspec: {order: 100}\n",
        Check::WellKnownTier,
        "spec.order",
    );
    assert_violation(
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: kube-admin}\nspec: {order: 1000}\n",
        Check::WellKnownTier,
        "spec.defaultAction",
    );
}

#[test]
fn tier_default_action_is_deny_or_pass() {
    let loaded = common::load(
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\nspec: {defaultAction: Allow}\n",
    );
    assert_eq!(loaded.problems.len(), 1);
    assert_eq!(loaded.problems[0].path.to_string(), "spec.defaultAction");
}

#[test]
fn labels_and_annotations_are_kubernetes_valid() {
    assert_valid(&gnp_spec("").replace(
        "name: p",
        "name: p, labels: {app.kubernetes.io/name: web}, annotations: {example.com/note: hi}",
    ));
    assert_violation(
        &gnp_spec("").replace("name: p", "name: p, labels: {\"bad key\": x}"),
        Check::Label,
        "metadata.labels.bad key",
    );
    assert_violation(
        &gnp_spec("").replace("name: p", "name: p, labels: {a: \"-x\"}"),
        Check::Label,
        "metadata.labels.a",
    );
    assert_violation(
        &gnp_spec("").replace("name: p", "name: p, annotations: {\"/x\": y}"),
        Check::Annotation,
        "metadata.annotations./x",
    );
    let big = "x".repeat(256 * 1024);
    assert_violation(
        &gnp_spec("").replace("name: p", &format!("name: p, annotations: {{a: {big}}}")),
        Check::Annotation,
        "metadata.annotations",
    );
}

#[test]
fn network_sets_may_not_carry_the_namespace_label() {
    assert_valid(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: s, labels: {a: b}}\nspec: {nets: [10.0.0.0/8]}\n",
    );
    assert_violation(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: s, labels: {projectcalico.org/namespace: x}}\n",
        Check::ReservedLabel,
        "metadata.labels.projectcalico.org/namespace",
    );
    assert_violation(
        "apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: s, namespace: n, labels: {projectcalico.org/namespace: x}}\n",
        Check::ReservedLabel,
        "metadata.labels.projectcalico.org/namespace",
    );
}

#[test]
fn cluster_scoped_kinds_take_no_namespace() {
    assert_violation(
        &gnp_spec("").replace("name: p", "name: p, namespace: ns"),
        Check::Namespace,
        "metadata.namespace",
    );
}

// ---- Policy spec ---------------------------------------------------------------------------

#[test]
fn types_at_most_two_without_repeats() {
    assert_valid(&gnp_spec("types: [Ingress, Egress]"));
    assert_violation(
        &gnp_spec("types: [Ingress, Ingress]"),
        Check::TypesDuplicate,
        "spec.types[1]",
    );
    let found = violations(&gnp_spec("types: [Ingress, Egress, Ingress]"));
    assert!(found.contains(&(Check::TypesCount, "spec.types".to_owned())));
    let loaded = common::load(&gnp_spec("types: [ingress]"));
    assert_eq!(loaded.problems[0].path.to_string(), "spec.types[0]");
}

#[test]
fn at_most_1024_rules_per_direction() {
    let rules = |n: usize| {
        let mut text = String::from(
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  ingress:\n",
        );
        for _ in 0..n {
            text.push_str("  - action: Allow\n");
        }
        text
    };
    assert_valid(&rules(1024));
    assert_violation(&rules(1025), Check::Length, "spec.ingress");
}

#[test]
fn services_direction() {
    assert_valid(&np_rule(
        "egress",
        "action: Allow, destination: {services: {name: web}}",
    ));
    assert_valid(&np_rule(
        "ingress",
        "action: Allow, source: {services: {name: web}}",
    ));
    assert_violation(
        &np_rule("egress", "action: Allow, source: {services: {name: web}}"),
        Check::ServicesDirection,
        "spec.egress[0].source.services",
    );
    assert_violation(
        &np_rule(
            "ingress",
            "action: Allow, destination: {services: {name: web}}",
        ),
        Check::ServicesDirection,
        "spec.ingress[0].destination.services",
    );
}

#[test]
fn global_policy_services_need_a_namespace() {
    assert_valid(&gnp_rule(
        "egress",
        "action: Allow, destination: {services: {name: web, namespace: prod}}",
    ));
    assert_violation(
        &gnp_rule(
            "egress",
            "action: Allow, destination: {services: {name: web}}",
        ),
        Check::ServicesNamespace,
        "spec.egress[0].destination.services.namespace",
    );
    assert_violation(
        &gnp_rule("ingress", "action: Allow, source: {services: {name: web}}"),
        Check::ServicesNamespace,
        "spec.ingress[0].source.services.namespace",
    );
}

#[test]
fn services_name_is_required_and_well_formed() {
    assert_violation(
        &np_rule(
            "egress",
            "action: Allow, destination: {services: {namespace: prod}}",
        ),
        Check::ServicesName,
        "spec.egress[0].destination.services.name",
    );
    assert_violation(
        &np_rule(
            "egress",
            "action: Allow, destination: {services: {name: Web_1}}",
        ),
        Check::ServicesName,
        "spec.egress[0].destination.services.name",
    );
}

#[test]
fn services_cannot_be_combined_with_selectors_or_nets() {
    for other in [
        "selector: a == 'b'",
        "notSelector: has(a)",
        "namespaceSelector: all()",
        "nets: [10.0.0.0/8]",
        "notNets: [10.0.0.0/8]",
        "serviceAccounts: {names: [x]}",
    ] {
        assert_violation(
            &np_rule(
                "egress",
                &format!("action: Allow, destination: {{services: {{name: web}}, {other}}}"),
            ),
            Check::ServicesCombined,
            "spec.egress[0].destination.services",
        );
    }
}

#[test]
fn destination_services_exclude_destination_ports() {
    assert_violation(
        &np_rule(
            "egress",
            "action: Allow, protocol: TCP, destination: {services: {name: web}, ports: [80]}",
        ),
        Check::ServicesPorts,
        "spec.egress[0].destination.services",
    );
    // Source services with destination ports are fine.
    assert_valid(&np_rule(
        "ingress",
        "action: Allow, protocol: TCP, source: {services: {name: web}}, destination: {ports: [80]}",
    ));
}

#[test]
fn staged_delete_allows_only_tier() {
    let base =
        "apiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: {name: p}\n";
    assert_valid(&format!(
        "{base}spec: {{stagedAction: Delete, tier: security}}\n"
    ));
    assert_violation(
        &format!("{base}spec: {{stagedAction: Delete, selector: all()}}\n"),
        Check::StagedDeleteNotEmpty,
        "spec.selector",
    );
    let np = "apiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata: {name: p, namespace: n}\n";
    assert_violation(
        &format!("{np}spec: {{stagedAction: Delete, ingress: [{{action: Allow}}]}}\n"),
        Check::StagedDeleteNotEmpty,
        "spec.ingress",
    );
    let sknp = "apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\nmetadata: {name: p, namespace: n}\n";
    assert_valid(&format!("{sknp}spec: {{stagedAction: Delete}}\n"));
    assert_violation(
        &format!("{sknp}spec: {{stagedAction: Delete, policyTypes: [Ingress]}}\n"),
        Check::StagedDeleteNotEmpty,
        "spec.policyTypes",
    );
}

#[test]
fn staged_set_validates_the_enforced_form() {
    let base =
        "apiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: {name: p}\n";
    assert_valid(&format!(
        "{base}spec: {{stagedAction: Set, ingress: [{{action: Allow, protocol: TCP, destination: {{ports: [80]}}}}]}}\n"
    ));
    assert_violation(
        &format!("{base}spec: {{ingress: [{{action: Allow, destination: {{ports: [80]}}}}]}}\n"),
        Check::PortsNeedProtocol,
        "spec.ingress[0].destination.ports[0]",
    );
    let sknp = "apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\nmetadata: {name: p, namespace: n}\n";
    assert_violation(
        &format!("{sknp}spec: {{ingress: [{{ports: [{{port: 0}}]}}]}}\n"),
        Check::PortNumber,
        "spec.ingress[0].ports[0].port",
    );
}

// ---- GNP flags (SEMANTICS §3) ---------------------------------------------------------------

#[test]
fn do_not_track_and_pre_dnat_are_exclusive() {
    assert_valid(&gnp_spec("doNotTrack: true, applyOnForward: true"));
    assert_valid(&gnp_spec("preDNAT: true, applyOnForward: true"));
    assert_violation(
        &gnp_spec("doNotTrack: true, preDNAT: true, applyOnForward: true"),
        Check::DoNotTrackAndPreDnat,
        "spec.preDNAT",
    );
}

#[test]
fn pre_dnat_is_ingress_only() {
    assert_violation(
        &gnp_spec("preDNAT: true, applyOnForward: true, egress: [{action: Allow}]"),
        Check::PreDnatEgress,
        "spec.egress",
    );
    assert_violation(
        &gnp_spec("preDNAT: true, applyOnForward: true, types: [Ingress, Egress]"),
        Check::PreDnatEgress,
        "spec.types[1]",
    );
}

#[test]
fn untracked_and_pre_dnat_need_apply_on_forward() {
    assert_violation(
        &gnp_spec("doNotTrack: true"),
        Check::ApplyOnForwardRequired,
        "spec.applyOnForward",
    );
    assert_violation(
        &gnp_spec("preDNAT: true"),
        Check::ApplyOnForwardRequired,
        "spec.applyOnForward",
    );
    assert_valid(&gnp_spec("applyOnForward: true"));
}

// ---- Rules: actions, protocols, ports ------------------------------------------------------

#[test]
fn action_is_case_sensitive_enum() {
    assert_valid(&gnp_rule("ingress", "action: Log"));
    let loaded = common::load(&gnp_rule("ingress", "action: allow"));
    assert_eq!(loaded.problems.len(), 1);
    let problem = &loaded.problems[0];
    assert_eq!(problem.path.to_string(), "spec.ingress[0].action");
    assert!(
        problem.to_string().contains("did you mean `Allow`"),
        "{problem}"
    );
}

#[test]
fn ip_version_is_4_or_6() {
    assert_valid(&gnp_rule("ingress", "action: Allow, ipVersion: 6"));
    let loaded = common::load(&gnp_rule("ingress", "action: Allow, ipVersion: 5"));
    assert_eq!(
        loaded.problems[0].path.to_string(),
        "spec.ingress[0].ipVersion"
    );
}

#[test]
fn protocol_names_numbers_and_quoted_numbers() {
    for p in ["TCP", "UDPLite", "ICMPv6", "1", "255", "'6'", "\"132\""] {
        assert_valid(&gnp_rule(
            "ingress",
            &format!("action: Allow, protocol: {p}"),
        ));
    }
    for p in ["tcp", "0", "256", "'0'"] {
        let loaded = common::load(&gnp_rule(
            "ingress",
            &format!("action: Allow, protocol: {p}"),
        ));
        assert_eq!(loaded.problems.len(), 1, "{p}");
        assert_eq!(
            loaded.problems[0].path.to_string(),
            "spec.ingress[0].protocol"
        );
    }
    let loaded = common::load(&gnp_rule("ingress", "action: Allow, notProtocol: tcp"));
    assert_eq!(
        loaded.problems[0].path.to_string(),
        "spec.ingress[0].notProtocol"
    );
}

#[test]
fn numeric_ports_need_a_protocol_but_named_ports_do_not() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, destination: {ports: [http]}",
    ));
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, protocol: SCTP, destination: {ports: ['1:2']}",
    ));
    assert_violation(
        &gnp_rule("ingress", "action: Allow, destination: {ports: [http, 80]}"),
        Check::PortsNeedProtocol,
        "spec.ingress[0].destination.ports[1]",
    );
    assert_violation(
        &gnp_rule(
            "ingress",
            "action: Allow, source: {notPorts: ['1000:2000']}",
        ),
        Check::PortsNeedProtocol,
        "spec.ingress[0].source.notPorts[0]",
    );
}

#[test]
fn ports_need_tcp_udp_or_sctp() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, protocol: 17, destination: {ports: [53]}",
    ));
    assert_violation(
        &gnp_rule(
            "ingress",
            "action: Allow, protocol: UDPLite, destination: {ports: [53]}",
        ),
        Check::PortsProtocol,
        "spec.ingress[0].destination.ports",
    );
    assert_violation(
        &gnp_rule(
            "ingress",
            "action: Allow, protocol: ICMP, destination: {ports: [http]}",
        ),
        Check::PortsProtocol,
        "spec.ingress[0].destination.ports",
    );
}

#[test]
fn port_ranges_and_numbers_are_checked_when_decoding() {
    for bad in ["0", "65536", "'20:10'", "'0:5'", "'bad name!'"] {
        let loaded = common::load(&gnp_rule(
            "ingress",
            &format!("action: Allow, protocol: TCP, destination: {{ports: [80, {bad}]}}"),
        ));
        assert_eq!(loaded.problems.len(), 1, "{bad}");
        assert_eq!(
            loaded.problems[0].path.to_string(),
            "spec.ingress[0].destination.ports[1]",
            "{bad}"
        );
    }
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, protocol: TCP, destination: {ports: [1, 65535, '10:10', '1:65535']}",
    ));
}

#[test]
fn named_ports_must_be_kubernetes_port_names() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, destination: {ports: [http-alt]}",
    ));
    for bad in ["HTTP", "a--b", "-http", "1234a_", "averyveryverylongname"] {
        assert_violation(
            &gnp_rule(
                "ingress",
                &format!("action: Allow, destination: {{ports: [{bad}]}}"),
            ),
            Check::PortName,
            "spec.ingress[0].destination.ports[0]",
        );
    }
}

#[test]
fn at_most_50_ports() {
    let ports = |n: usize| {
        (1..=n)
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert_valid(&gnp_rule(
        "ingress",
        &format!(
            "action: Allow, protocol: TCP, destination: {{ports: [{}]}}",
            ports(50)
        ),
    ));
    assert_violation(
        &gnp_rule(
            "ingress",
            &format!(
                "action: Allow, protocol: TCP, destination: {{ports: [{}]}}",
                ports(51)
            ),
        ),
        Check::Length,
        "spec.ingress[0].destination.ports",
    );
}

// ---- ICMP ----------------------------------------------------------------------------------

#[test]
fn icmp_needs_an_icmp_protocol() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, protocol: ICMP, icmp: {type: 8}",
    ));
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, protocol: 58, icmp: {type: 128}",
    ));
    assert_violation(
        &gnp_rule("ingress", "action: Allow, icmp: {type: 8}"),
        Check::IcmpProtocol,
        "spec.ingress[0].icmp",
    );
    assert_violation(
        &gnp_rule("ingress", "action: Allow, protocol: TCP, icmp: {type: 8}"),
        Check::IcmpProtocol,
        "spec.ingress[0].icmp",
    );
    // notICMP has no protocol requirement.
    assert_valid(&gnp_rule("ingress", "action: Allow, notICMP: {type: 8}"));
}

#[test]
fn icmp_code_needs_a_type() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, protocol: ICMP, icmp: {type: 3, code: 1}",
    ));
    assert_violation(
        &gnp_rule("ingress", "action: Allow, protocol: ICMP, icmp: {code: 1}"),
        Check::IcmpCodeWithoutType,
        "spec.ingress[0].icmp.code",
    );
    assert_violation(
        &gnp_rule("ingress", "action: Allow, notICMP: {code: 1}"),
        Check::IcmpCodeWithoutType,
        "spec.ingress[0].notICMP.code",
    );
}

#[test]
fn icmp_type_is_0_to_254_and_code_0_to_255() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, protocol: ICMP, icmp: {type: 254, code: 255}",
    ));
    assert_violation(
        &gnp_rule(
            "ingress",
            "action: Allow, protocol: ICMP, icmp: {type: 255}",
        ),
        Check::IcmpType,
        "spec.ingress[0].icmp.type",
    );
    let loaded = common::load(&gnp_rule(
        "ingress",
        "action: Allow, protocol: ICMP, icmp: {type: 1, code: 256}",
    ));
    assert_eq!(
        loaded.problems[0].path.to_string(),
        "spec.ingress[0].icmp.code"
    );
}

#[test]
fn icmp_protocols_fix_the_ip_version() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, protocol: ICMP, ipVersion: 4",
    ));
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, notProtocol: ICMPv6, ipVersion: 6",
    ));
    assert_violation(
        &gnp_rule("ingress", "action: Allow, protocol: ICMP, ipVersion: 6"),
        Check::IcmpIpVersion,
        "spec.ingress[0].protocol",
    );
    assert_violation(
        &gnp_rule("ingress", "action: Allow, notProtocol: 58, ipVersion: 4"),
        Check::IcmpIpVersion,
        "spec.ingress[0].notProtocol",
    );
}

// ---- Nets ----------------------------------------------------------------------------------

#[test]
fn nets_need_strict_masks() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, source: {nets: [10.0.0.0/8]}",
    ));
    assert_violation(
        &gnp_rule("ingress", "action: Allow, source: {nets: [10.0.0.1/8]}"),
        Check::NetMask,
        "spec.ingress[0].source.nets[0]",
    );
}

#[test]
fn nets_need_a_prefix_length() {
    let loaded = common::load(&gnp_rule(
        "ingress",
        "action: Allow, source: {nets: [10.0.0.1]}",
    ));
    assert_eq!(loaded.problems.len(), 1);
    assert_eq!(
        loaded.problems[0].path.to_string(),
        "spec.ingress[0].source.nets[0]"
    );
    assert!(loaded.problems[0].to_string().contains("prefix length"));
}

#[test]
fn at_most_256_nets() {
    let nets = |n: usize| {
        (0..n)
            .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256))
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert_valid(&gnp_rule(
        "ingress",
        &format!("action: Allow, source: {{nets: [{}]}}", nets(256)),
    ));
    assert_violation(
        &gnp_rule(
            "ingress",
            &format!("action: Allow, source: {{notNets: [{}]}}", nets(257)),
        ),
        Check::Length,
        "spec.ingress[0].source.notNets",
    );
}

#[test]
fn ip_version_must_match_cidrs() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, ipVersion: 6, source: {nets: ['fd00::/8']}",
    ));
    assert_violation(
        &gnp_rule(
            "ingress",
            "action: Allow, ipVersion: 4, destination: {notNets: ['fd00::/8']}",
        ),
        Check::NetIpVersion,
        "spec.ingress[0].destination.notNets[0]",
    );
}

#[test]
fn one_family_of_cidrs_per_rule() {
    assert_violation(
        &gnp_rule(
            "ingress",
            "action: Allow, source: {nets: [10.0.0.0/8]}, destination: {notNets: ['fd00::/8']}",
        ),
        Check::NetMixedFamilies,
        "spec.ingress[0]",
    );
}

#[test]
fn catch_all_cidr_is_rejected_in_not_nets() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, source: {nets: [0.0.0.0/0]}",
    ));
    assert_violation(
        &gnp_rule("ingress", "action: Allow, source: {notNets: ['::/0']}"),
        Check::NotNetsCatchAll,
        "spec.ingress[0].source.notNets[0]",
    );
}

// ---- HTTP ----------------------------------------------------------------------------------

#[test]
fn http_only_on_allow_rules() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, http: {methods: [GET]}",
    ));
    assert_violation(
        &gnp_rule("ingress", "action: Deny, http: {methods: [GET]}"),
        Check::HttpAction,
        "spec.ingress[0].http",
    );
}

#[test]
fn http_needs_tcp_or_no_protocol() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, protocol: TCP, http: {methods: [GET]}",
    ));
    assert_violation(
        &gnp_rule(
            "ingress",
            "action: Allow, protocol: UDP, http: {methods: [GET]}",
        ),
        Check::HttpProtocol,
        "spec.ingress[0].http",
    );
}

#[test]
fn http_is_ingress_only() {
    assert_violation(
        &gnp_rule("egress", "action: Allow, http: {methods: [GET]}"),
        Check::HttpEgress,
        "spec.egress[0].http",
    );
}

#[test]
fn http_methods_are_unique_and_at_most_20() {
    assert_violation(
        &gnp_rule(
            "ingress",
            "action: Allow, http: {methods: [GET, POST, GET]}",
        ),
        Check::HttpDuplicateMethod,
        "spec.ingress[0].http.methods[2]",
    );
    let methods = (0..21)
        .map(|i| format!("M{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    assert_violation(
        &gnp_rule(
            "ingress",
            &format!("action: Allow, http: {{methods: [{methods}]}}"),
        ),
        Check::Length,
        "spec.ingress[0].http.methods",
    );
}

#[test]
fn http_paths_are_exact_or_prefix_and_well_formed() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, http: {paths: [{exact: /foo}, {prefix: /api/}]}",
    ));
    assert_violation(
        &gnp_rule(
            "ingress",
            "action: Allow, http: {paths: [{exact: /a, prefix: /b}]}",
        ),
        Check::HttpPath,
        "spec.ingress[0].http.paths[0]",
    );
    assert_violation(
        &gnp_rule("ingress", "action: Allow, http: {paths: [{}]}"),
        Check::HttpPath,
        "spec.ingress[0].http.paths[0]",
    );
    for bad in ["foo", "/a?b", "/a#b", "'/a b'"] {
        assert_violation(
            &gnp_rule(
                "ingress",
                &format!("action: Allow, http: {{paths: [{{prefix: {bad}}}]}}"),
            ),
            Check::HttpPath,
            "spec.ingress[0].http.paths[0].prefix",
        );
    }
}

// ---- Domains (Palisade extension) -----------------------------------------------------------

#[test]
fn domains_only_on_egress_allow_destinations() {
    assert_valid(&gnp_rule(
        "egress",
        "action: Allow, destination: {domains: [example.com, '*.cdn.example.com']}",
    ));
    assert_violation(
        &gnp_rule(
            "egress",
            "action: Deny, destination: {domains: [example.com]}",
        ),
        Check::DomainsPlacement,
        "spec.egress[0].destination.domains",
    );
    assert_violation(
        &gnp_rule(
            "ingress",
            "action: Allow, destination: {domains: [example.com]}",
        ),
        Check::DomainsPlacement,
        "spec.ingress[0].destination.domains",
    );
    assert_violation(
        &gnp_rule("egress", "action: Allow, source: {domains: [example.com]}"),
        Check::DomainsPlacement,
        "spec.egress[0].source.domains",
    );
}

#[test]
fn domains_are_names_with_whole_label_wildcards() {
    assert_violation(
        &gnp_rule(
            "egress",
            "action: Allow, destination: {domains: ['ex*ample.com']}",
        ),
        Check::DomainName,
        "spec.egress[0].destination.domains[0]",
    );
}

#[test]
fn rule_annotations_are_checked() {
    assert_valid(&gnp_rule(
        "ingress",
        "action: Allow, metadata: {annotations: {owner: me}}",
    ));
    assert_violation(
        &gnp_rule(
            "ingress",
            "action: Allow, metadata: {annotations: {'a/b/c': me}}",
        ),
        Check::Annotation,
        "spec.ingress[0].metadata.annotations.a/b/c",
    );
}

// ---- Endpoints -----------------------------------------------------------------------------

const HEP: &str = "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: h}\n";

#[test]
fn host_endpoint_needs_a_node() {
    assert_valid(&format!("{HEP}spec: {{node: n1, interfaceName: eth0}}\n"));
    assert_violation(
        &format!("{HEP}spec: {{interfaceName: eth0}}\n"),
        Check::HostEndpointNode,
        "spec.node",
    );
}

#[test]
fn host_endpoint_needs_an_interface_or_ips() {
    assert_valid(&format!(
        "{HEP}spec: {{node: n1, expectedIPs: [10.0.0.1]}}\n"
    ));
    assert_violation(
        &format!("{HEP}spec: {{node: n1}}\n"),
        Check::HostEndpointInterface,
        "spec",
    );
}

#[test]
fn host_endpoint_interface_names() {
    assert_valid(&format!("{HEP}spec: {{node: n1, interfaceName: '*'}}\n"));
    assert_violation(
        &format!("{HEP}spec: {{node: n1, interfaceName: averyveryverylongif}}\n"),
        Check::InterfaceName,
        "spec.interfaceName",
    );
    assert_violation(
        &format!("{HEP}spec: {{node: n1, interfaceName: 'eth 0'}}\n"),
        Check::InterfaceName,
        "spec.interfaceName",
    );
}

#[test]
fn host_endpoint_expected_ips_are_ips() {
    let loaded = common::load(&format!(
        "{HEP}spec: {{node: n1, expectedIPs: [10.0.0.300]}}\n"
    ));
    assert_eq!(loaded.problems.len(), 1);
    assert_eq!(loaded.problems[0].path.to_string(), "spec.expectedIPs[0]");
}

#[test]
fn endpoint_ports_need_port_protocols_numbers_and_names() {
    assert_valid(&format!(
        "{HEP}spec: {{node: n1, interfaceName: eth0, ports: [{{name: http, protocol: TCP, port: 80}}]}}\n"
    ));
    assert_violation(
        &format!(
            "{HEP}spec: {{node: n1, interfaceName: eth0, ports: [{{name: http, protocol: ICMP, port: 80}}]}}\n"
        ),
        Check::EndpointPortProtocol,
        "spec.ports[0].protocol",
    );
    assert_violation(
        &format!(
            "{HEP}spec: {{node: n1, interfaceName: eth0, ports: [{{name: http, protocol: TCP, port: 0}}]}}\n"
        ),
        Check::PortNumber,
        "spec.ports[0].port",
    );
    assert_violation(
        &format!(
            "{HEP}spec: {{node: n1, interfaceName: eth0, ports: [{{name: Http, protocol: TCP, port: 80}}]}}\n"
        ),
        Check::PortName,
        "spec.ports[0].name",
    );
    let wep = "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: w, namespace: n}\n";
    assert_violation(
        &format!(
            "{wep}spec: {{ports: [{{name: a, protocol: UDP, port: 1}}, {{name: a, protocol: TCP, port: 2}}]}}\n"
        ),
        Check::DuplicatePortName,
        "spec.ports[1].name",
    );
}

#[test]
fn felix_failsafe_ports_are_1_to_65535() {
    let felix =
        "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\n";
    assert_valid(&format!(
        "{felix}spec: {{failsafeInboundHostPorts: [{{protocol: tcp, port: 22}}], logSeverityScreen: Info}}\n"
    ));
    assert_violation(
        &format!(
            "{felix}spec: {{failsafeOutboundHostPorts: [{{port: 53}}, {{protocol: udp, port: 0}}]}}\n"
        ),
        Check::PortNumber,
        "spec.failsafeOutboundHostPorts[1].port",
    );
    let loaded = common::load(&format!(
        "{felix}spec: {{failsafeInboundHostPorts: [{{protocol: icmp, port: 1}}]}}\n"
    ));
    assert_eq!(
        loaded.problems[0].path.to_string(),
        "spec.failsafeInboundHostPorts[0].protocol"
    );
}

#[test]
fn profile_rules_and_labels_are_validated() {
    let profile =
        "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: kns.default}\n";
    assert_valid(&format!(
        "{profile}spec: {{ingress: [{{action: Allow}}], labelsToApply: {{pcns.a: b}}}}\n"
    ));
    assert_violation(
        &format!("{profile}spec: {{egress: [{{action: Allow, destination: {{ports: [80]}}}}]}}\n"),
        Check::PortsNeedProtocol,
        "spec.egress[0].destination.ports[0]",
    );
    assert_violation(
        &format!("{profile}spec: {{labelsToApply: {{'a b': c}}}}\n"),
        Check::Label,
        "spec.labelsToApply.a b",
    );
}

#[test]
fn namespaces_are_dns_labels() {
    assert_violation(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: Prod_1}\n",
        Check::Namespace,
        "metadata.namespace",
    );
}

#[test]
fn workload_endpoint_nat_families_match() {
    let wep = "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: w, namespace: n}\n";
    assert_valid(&format!(
        "{wep}spec: {{ipNetworks: [10.0.0.1/32, 10.0.0.2], ipNATs: [{{internalIP: 10.0.0.1, externalIP: 1.2.3.4}}]}}\n"
    ));
    assert_violation(
        &format!("{wep}spec: {{ipNATs: [{{internalIP: 10.0.0.1, externalIP: 'fd00::1'}}]}}\n"),
        Check::IpAddress,
        "spec.ipNATs[0]",
    );
}

#[test]
fn decode_str_reads_one_typed_value_with_locations() {
    use palisade_policy_model::calico::Rule;
    let rule: Rule =
        palisade_policy_model::decode_str("action: Allow\nprotocol: TCP\n").expect("rule");
    assert_eq!(
        rule.protocol,
        Some(palisade_policy_model::values::Protocol::Tcp)
    );
    let error =
        palisade_policy_model::decode_str::<Rule>("action: Allow\nsource: {ports: [x_y!]}\n")
            .expect_err("bad port");
    assert_eq!(error.path.to_string(), "source.ports[0]");
    assert_eq!(error.location.map(|l| (l.line, l.column)), Some((2, 18)));
}
