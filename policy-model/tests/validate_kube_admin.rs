//! Validation of the Kubernetes kinds (the API server's checks that matter for policy) and of
//! the policy.networking.k8s.io kinds (`NETWORK-POLICY-API.md`): accepted and rejected input.

mod common;

use common::{assert_valid, assert_violation, load, violations};
use palisade_policy_model::Check;

const KNP: &str =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: n}\n";

#[test]
fn knp_peers_need_a_field_and_ip_block_stands_alone() {
    assert_valid(&format!(
        "{KNP}spec: {{podSelector: {{}}, ingress: [{{from: [{{podSelector: {{}}, namespaceSelector: {{}}}}]}}]}}\n"
    ));
    assert_violation(
        &format!("{KNP}spec: {{ingress: [{{from: [{{}}]}}]}}\n"),
        Check::PeerEmpty,
        "spec.ingress[0].from[0]",
    );
    assert_violation(
        &format!(
            "{KNP}spec: {{egress: [{{to: [{{podSelector: {{}}, ipBlock: {{cidr: 10.0.0.0/8}}}}]}}]}}\n"
        ),
        Check::PeerIpBlockCombined,
        "spec.egress[0].to[0].ipBlock",
    );
}

#[test]
fn knp_ip_block_except_is_a_strict_subset() {
    assert_valid(&format!(
        "{KNP}spec: {{egress: [{{to: [{{ipBlock: {{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}}}]}}]}}\n"
    ));
    for bad in ["10.0.0.0/8", "192.168.0.0/16", "'fd00::/64'"] {
        assert_violation(
            &format!(
                "{KNP}spec: {{egress: [{{to: [{{ipBlock: {{cidr: 10.0.0.0/8, except: [{bad}]}}}}]}}]}}\n"
            ),
            Check::IpBlockExcept,
            "spec.egress[0].to[0].ipBlock.except[0]",
        );
    }
}

#[test]
fn knp_ports_numbers_names_and_end_ports() {
    assert_valid(&format!(
        "{KNP}spec: {{ingress: [{{ports: [{{port: 80}}, {{port: http, protocol: UDP}}, {{port: 1000, endPort: 2000}}, {{protocol: SCTP}}]}}]}}\n"
    ));
    assert_violation(
        &format!("{KNP}spec: {{ingress: [{{ports: [{{port: 70000}}]}}]}}\n"),
        Check::PortNumber,
        "spec.ingress[0].ports[0].port",
    );
    assert_violation(
        &format!("{KNP}spec: {{ingress: [{{ports: [{{port: '80'}}]}}]}}\n"),
        Check::PortName,
        "spec.ingress[0].ports[0].port",
    );
    assert_violation(
        &format!("{KNP}spec: {{ingress: [{{ports: [{{port: 90, endPort: 80}}]}}]}}\n"),
        Check::PortRange,
        "spec.ingress[0].ports[0].endPort",
    );
    assert_violation(
        &format!("{KNP}spec: {{ingress: [{{ports: [{{port: http, endPort: 80}}]}}]}}\n"),
        Check::PortRange,
        "spec.ingress[0].ports[0].endPort",
    );
    let loaded = load(&format!(
        "{KNP}spec: {{ingress: [{{ports: [{{protocol: tcp, port: 80}}]}}]}}\n"
    ));
    assert_eq!(
        loaded.problems[0].path.to_string(),
        "spec.ingress[0].ports[0].protocol"
    );
}

#[test]
fn knp_policy_types_are_unique() {
    assert_violation(
        &format!("{KNP}spec: {{policyTypes: [Egress, Egress]}}\n"),
        Check::TypesDuplicate,
        "spec.policyTypes[1]",
    );
}

#[test]
fn label_selector_values_fit_the_operator() {
    assert_valid(&format!(
        "{KNP}spec: {{podSelector: {{matchExpressions: [{{key: a, operator: In, values: [x]}}, {{key: b, operator: Exists}}]}}}}\n"
    ));
    assert_violation(
        &format!(
            "{KNP}spec: {{podSelector: {{matchExpressions: [{{key: a, operator: NotIn}}]}}}}\n"
        ),
        Check::LabelSelectorValues,
        "spec.podSelector.matchExpressions[0].values",
    );
    assert_violation(
        &format!(
            "{KNP}spec: {{podSelector: {{matchExpressions: [{{key: a, operator: DoesNotExist, values: [x]}}]}}}}\n"
        ),
        Check::LabelSelectorValues,
        "spec.podSelector.matchExpressions[0].values",
    );
    assert_violation(
        &format!("{KNP}spec: {{podSelector: {{matchLabels: {{'a b': c}}}}}}\n"),
        Check::Label,
        "spec.podSelector.matchLabels.a b",
    );
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: n}\n";

#[test]
fn pod_container_ports() {
    assert_valid(&format!(
        "{POD}spec: {{containers: [{{name: c, image: x, ports: [{{name: http, containerPort: 80}}]}}]}}\nstatus: {{podIP: 10.0.0.1, podIPs: [{{ip: 10.0.0.1}}]}}\n"
    ));
    assert_violation(
        &format!("{POD}spec: {{containers: [{{name: c, ports: [{{containerPort: 0}}]}}]}}\n"),
        Check::PortNumber,
        "spec.containers[0].ports[0].containerPort",
    );
    assert_violation(
        &format!(
            "{POD}spec: {{containers: [{{name: c, ports: [{{name: HTTP, containerPort: 80}}]}}]}}\n"
        ),
        Check::PortName,
        "spec.containers[0].ports[0].name",
    );
    assert_violation(
        &format!(
            "{POD}spec: {{containers: [{{name: c, ports: [{{name: http, containerPort: 80}}]}}, {{name: d, ports: [{{name: http, containerPort: 81}}]}}]}}\n"
        ),
        Check::DuplicatePortName,
        "spec.containers[1].ports[0].name",
    );
}

#[test]
fn pod_ips_are_ips() {
    let loaded = load(&format!(
        "{POD}status: {{podIPs: [{{ip: 10.0.0.1}}, {{ip: not-an-ip}}]}}\n"
    ));
    assert_eq!(loaded.problems.len(), 1);
    assert_eq!(loaded.problems[0].path.to_string(), "status.podIPs[1].ip");
}

#[test]
fn service_ports_and_target_ports() {
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: n}\n";
    assert_valid(&format!(
        "{svc}spec: {{selector: {{app: web}}, ports: [{{port: 80, targetPort: http}}, {{port: 81, targetPort: 8081}}]}}\n"
    ));
    assert_violation(
        &format!("{svc}spec: {{ports: [{{port: 80, targetPort: 0}}]}}\n"),
        Check::PortNumber,
        "spec.ports[0].targetPort",
    );
    assert_violation(
        &format!("{svc}spec: {{ports: [{{port: 80, targetPort: Http}}]}}\n"),
        Check::PortName,
        "spec.ports[0].targetPort",
    );
}

#[test]
fn endpoint_slice_addresses_match_the_address_type() {
    let slice = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-abc, namespace: n, labels: {kubernetes.io/service-name: web}}\n";
    assert_valid(&format!(
        "{slice}addressType: IPv4\nendpoints: [{{addresses: [10.0.0.1]}}]\nports: [{{port: 80}}]\n"
    ));
    assert_violation(
        &format!("{slice}addressType: IPv6\nendpoints: [{{addresses: [10.0.0.1]}}]\n"),
        Check::IpAddress,
        "endpoints[0].addresses[0]",
    );
    assert_violation(
        &format!("{slice}addressType: IPX\n"),
        Check::AddressType,
        "addressType",
    );
}

#[test]
fn namespace_names_are_dns_labels() {
    assert_valid("apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n");
    assert_violation(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod.eu}\n",
        Check::NameFormat,
        "metadata.name",
    );
}

// ---- policy.networking.k8s.io ----------------------------------------------------------------

const ANP: &str = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: a}\n";

#[test]
fn anp_priority_is_0_to_1000() {
    assert_valid(&format!(
        "{ANP}spec: {{priority: 1000, subject: {{namespaces: {{}}}}}}\n"
    ));
    assert_violation(
        &format!("{ANP}spec: {{priority: 1001, subject: {{namespaces: {{}}}}}}\n"),
        Check::Priority,
        "spec.priority",
    );
    assert_violation(
        &format!("{ANP}spec: {{priority: -1, subject: {{namespaces: {{}}}}}}\n"),
        Check::Priority,
        "spec.priority",
    );
}

#[test]
fn anp_subject_is_one_of() {
    assert_violation(
        &format!("{ANP}spec: {{priority: 1, subject: {{}}}}\n"),
        Check::OneOf,
        "spec.subject",
    );
    assert_violation(
        &format!(
            "{ANP}spec: {{priority: 1, subject: {{namespaces: {{}}, pods: {{namespaceSelector: {{}}, podSelector: {{}}}}}}}}\n"
        ),
        Check::OneOf,
        "spec.subject",
    );
}

#[test]
fn anp_namespaced_pod_needs_both_selectors() {
    assert_violation(
        &format!("{ANP}spec: {{priority: 1, subject: {{pods: {{podSelector: {{}}}}}}}}\n"),
        Check::Required,
        "spec.subject.pods.namespaceSelector",
    );
}

#[test]
fn anp_peers_and_ports_are_one_of_with_limits() {
    let base = format!("{ANP}spec:\n  priority: 1\n  subject: {{namespaces: {{}}}}\n");
    assert_valid(&format!(
        "{base}  egress: [{{action: Allow, to: [{{networks: [10.0.0.1/8]}}], ports: [{{portNumber: {{port: 53}}}}, {{portRange: {{start: 10, end: 10}}}}]}}]\n"
    ));
    assert_violation(
        &format!("{base}  ingress: [{{action: Deny, from: []}}]\n"),
        Check::Length,
        "spec.ingress[0].from",
    );
    assert_violation(
        &format!("{base}  ingress: [{{action: Deny, from: [{{}}]}}]\n"),
        Check::OneOf,
        "spec.ingress[0].from[0]",
    );
    assert_violation(
        &format!("{base}  ingress: [{{action: Deny, from: [{{namespaces: {{}}}}], ports: []}}]\n"),
        Check::Length,
        "spec.ingress[0].ports",
    );
    assert_violation(
        &format!(
            "{base}  ingress: [{{action: Deny, from: [{{namespaces: {{}}}}], ports: [{{portNumber: {{port: 1}}, namedPort: x}}]}}]\n"
        ),
        Check::OneOf,
        "spec.ingress[0].ports[0]",
    );
    assert_violation(
        &format!(
            "{base}  ingress: [{{action: Deny, from: [{{namespaces: {{}}}}], ports: [{{portNumber: {{port: 0}}}}]}}]\n"
        ),
        Check::PortNumber,
        "spec.ingress[0].ports[0].portNumber.port",
    );
    let rules = (0..101)
        .map(|_| "{action: Pass, from: [{namespaces: {}}]}")
        .collect::<Vec<_>>()
        .join(", ");
    assert_violation(
        &format!("{base}  ingress: [{rules}]\n"),
        Check::Length,
        "spec.ingress",
    );
}

#[test]
fn anp_networks_and_domain_names() {
    let base = format!("{ANP}spec:\n  priority: 1\n  subject: {{namespaces: {{}}}}\n");
    assert_valid(&format!(
        "{base}  egress: [{{action: Allow, to: [{{domainNames: ['*.example.com', 'a.b.']}}]}}]\n"
    ));
    assert_violation(
        &format!("{base}  egress: [{{action: Allow, to: [{{domainNames: [localhost]}}]}}]\n"),
        Check::DomainName,
        "spec.egress[0].to[0].domainNames[0]",
    );
    assert_violation(
        &format!(
            "{base}  egress: [{{action: Deny, to: [{{networks: [10.0.0.0/8, 10.0.0.0/8]}}]}}]\n"
        ),
        Check::Duplicate,
        "spec.egress[0].to[0].networks[1]",
    );
    assert_violation(
        &format!(
            "{base}  egress: [{{action: Deny, to: [{{networks: ['::ffff:10.0.0.0/104']}}]}}]\n"
        ),
        Check::Cidr,
        "spec.egress[0].to[0].networks[0]",
    );
    assert_violation(
        &format!("{base}  egress: [{{action: Deny, to: [{{networks: []}}]}}]\n"),
        Check::Length,
        "spec.egress[0].to[0].networks",
    );
}

#[test]
fn anp_ingress_peers_have_no_networks() {
    let loaded = load(&format!(
        "{ANP}spec:\n  priority: 1\n  subject: {{namespaces: {{}}}}\n  ingress: [{{action: Allow, from: [{{networks: [10.0.0.0/8]}}]}}]\n"
    ));
    assert_eq!(
        loaded.problems[0].path.to_string(),
        "spec.ingress[0].from[0].networks"
    );
}

#[test]
fn named_ports_cannot_go_with_network_peers() {
    let base = format!("{ANP}spec:\n  priority: 1\n  subject: {{namespaces: {{}}}}\n");
    assert_valid(&format!(
        "{base}  egress: [{{action: Allow, to: [{{pods: {{namespaceSelector: {{}}, podSelector: {{}}}}}}], ports: [{{namedPort: http}}]}}]\n"
    ));
    assert_violation(
        &format!(
            "{base}  egress: [{{action: Allow, to: [{{nodes: {{}}}}], ports: [{{namedPort: http}}]}}]\n"
        ),
        Check::NamedPortWithNetworks,
        "spec.egress[0]",
    );
    let cnp = "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: c}\nspec:\n  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n";
    assert_violation(
        &format!(
            "{cnp}  egress: [{{action: Accept, to: [{{networks: [0.0.0.0/0]}}], protocols: [{{destinationNamedPort: http}}]}}]\n"
        ),
        Check::NamedPortWithNetworks,
        "spec.egress[0]",
    );
}

const BANP: &str =
    "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\n";

#[test]
fn banp_is_named_default() {
    assert_valid(&format!(
        "{BANP}metadata: {{name: default}}\nspec: {{subject: {{namespaces: {{}}}}}}\n"
    ));
    assert_violation(
        &format!("{BANP}metadata: {{name: other}}\nspec: {{subject: {{namespaces: {{}}}}}}\n"),
        Check::BaselineName,
        "metadata.name",
    );
}

#[test]
fn banp_has_no_pass_no_priority_and_no_domain_names() {
    let base =
        format!("{BANP}metadata: {{name: default}}\nspec:\n  subject: {{namespaces: {{}}}}\n");
    let loaded = load(&format!(
        "{base}  ingress: [{{action: Pass, from: [{{namespaces: {{}}}}]}}]\n"
    ));
    assert_eq!(
        loaded.problems[0].path.to_string(),
        "spec.ingress[0].action"
    );
    let loaded = load(&format!("{base}  priority: 3\n"));
    assert_eq!(loaded.problems[0].path.to_string(), "spec.priority");
    assert_violation(
        &format!("{base}  egress: [{{action: Allow, to: [{{domainNames: [a.example.com]}}]}}]\n"),
        Check::NotAllowed,
        "spec.egress[0].to[0].domainNames",
    );
}

const CNP: &str = "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: c}\nspec:\n  tier: Baseline\n  priority: 5\n  subject: {pods: {podSelector: {}}}\n";

#[test]
fn cnp_protocols_need_destination_ports() {
    assert_valid(&format!(
        "{CNP}  ingress: [{{action: Accept, from: [{{namespaces: {{}}}}], protocols: [{{tcp: {{destinationPort: {{number: 80}}}}}}, {{udp: {{destinationPort: {{range: {{start: 1, end: 65535}}}}}}}}]}}]\n"
    ));
    assert_violation(
        &format!(
            "{CNP}  ingress: [{{action: Accept, from: [{{namespaces: {{}}}}], protocols: [{{tcp: {{}}}}]}}]\n"
        ),
        Check::Required,
        "spec.ingress[0].protocols[0].tcp.destinationPort",
    );
    assert_violation(
        &format!(
            "{CNP}  ingress: [{{action: Accept, from: [{{namespaces: {{}}}}], protocols: [{{tcp: {{destinationPort: {{number: 1}}}}, sctp: {{destinationPort: {{number: 1}}}}}}]}}]\n"
        ),
        Check::OneOf,
        "spec.ingress[0].protocols[0]",
    );
}

#[test]
fn cnp_ranges_need_start_below_end() {
    assert_violation(
        &format!(
            "{CNP}  ingress: [{{action: Deny, from: [{{namespaces: {{}}}}], protocols: [{{tcp: {{destinationPort: {{range: {{start: 80, end: 80}}}}}}}}]}}]\n"
        ),
        Check::PortRange,
        "spec.ingress[0].protocols[0].tcp.destinationPort.range",
    );
}

#[test]
fn cnp_limits_are_25_and_actions_are_accept_deny_pass() {
    let peers = (0..26)
        .map(|_| "{namespaces: {}}")
        .collect::<Vec<_>>()
        .join(", ");
    assert_violation(
        &format!("{CNP}  ingress: [{{action: Deny, from: [{peers}]}}]\n"),
        Check::Length,
        "spec.ingress[0].from",
    );
    let loaded = load(&format!(
        "{CNP}  ingress: [{{action: Allow, from: [{{namespaces: {{}}}}]}}]\n"
    ));
    assert_eq!(loaded.problems.len(), 1);
    assert_eq!(
        loaded.problems[0].path.to_string(),
        "spec.ingress[0].action"
    );
    // namespaceSelector is optional in v1alpha2.
    assert_valid(&format!(
        "{CNP}  egress: [{{action: Pass, to: [{{pods: {{podSelector: {{}}}}}}]}}]\n"
    ));
    assert_violation(
        &CNP.replace("priority: 5", "priority: 2000"),
        Check::Priority,
        "spec.priority",
    );
    let rule_name = "x".repeat(101);
    assert_eq!(
        violations(&format!(
            "{CNP}  egress: [{{name: {rule_name}, action: Pass, to: [{{pods: {{podSelector: {{}}}}}}]}}]\n"
        )),
        vec![(Check::Length, "spec.egress[0].name".to_owned())]
    );
}
