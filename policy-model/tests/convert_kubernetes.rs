//! Kubernetes NetworkPolicy conversion: SEMANTICS appendix F (Calico's `conversion_test.go`)
//! and §2.8 — selectors, peers, port grouping and SimplifyPorts, blank ports, ipBlock, named
//! ports, policy types, staged Kubernetes policies.
//!
//! Appendix F gives the Calico NetworkPolicy *before* namespace scoping; the model holds the
//! selectors *after* it (§2.6), so each expectation below is the appendix's string inside the
//! scoping Calico's NetworkPolicy processor applies.

mod convert_util;

use convert_util::{
    assert_selector, convert_yaml, dst_named_ports, dst_ports, labels, note_paths, policy,
};
use palisade_policy_model::model::{Item, PolicyKind, Severity};
use palisade_policy_model::values::{Action, IpVersion, Protocol};

const ORCH: &str = "projectcalico.org/orchestrator == 'k8s'";

fn knp(ns: &str, spec: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
         metadata: {{name: web, namespace: {ns}}}\nspec: {spec}\n"
    )
}

/// The source selector of the only ingress rule of a policy with one peer `peer`.
fn peer_source(peer: &str) -> palisade_selector::Selector {
    let p = policy(&knp(
        "ns1",
        &format!("{{podSelector: {{}}, ingress: [{{from: [{peer}]}}]}}"),
    ));
    assert_eq!(p.ingress.len(), 1);
    p.ingress[0]
        .source
        .selector
        .clone()
        .expect("a source selector")
}

#[test]
fn f_empty_pod_selector_is_the_orchestrator_clause() {
    let p = policy(&knp("ns1", "{podSelector: {}}"));
    assert_selector(
        Some(&p.selector),
        &format!("({ORCH}) && projectcalico.org/namespace == 'ns1'"),
    );
}

#[test]
fn f_pod_selector_match_labels_are_sorted_by_key() {
    let p = policy(&knp(
        "ns1",
        "{podSelector: {matchLabels: {label2: value2, label: value}}}",
    ));
    assert_selector(
        Some(&p.selector),
        &format!(
            "({ORCH} && label == 'value' && label2 == 'value2') && projectcalico.org/namespace == 'ns1'"
        ),
    );
}

#[test]
fn f_pod_selector_match_expressions() {
    let p = policy(&knp(
        "ns1",
        "{podSelector: {matchExpressions: [{key: k, operator: In, values: [v1, v2]}]}}",
    ));
    assert_selector(
        Some(&p.selector),
        &format!("({ORCH} && k in {{ 'v1', 'v2' }}) && projectcalico.org/namespace == 'ns1'"),
    );
}

#[test]
fn f_peer_namespace_selector_empty_is_all_namespaces() {
    // F: namespaceSelector `{}` → `all()`; scoping turns it into every namespaced endpoint.
    let s = peer_source("{namespaceSelector: {}}");
    assert_selector(
        Some(&s),
        &format!("(has(projectcalico.org/namespace)) && ({ORCH})"),
    );
    assert!(s.matches(&labels(&[
        ("projectcalico.org/namespace", "other"),
        ("projectcalico.org/orchestrator", "k8s")
    ])));
}

#[test]
fn f_peer_namespace_selector_nil_is_the_policy_namespace() {
    let s = peer_source("{podSelector: {matchLabels: {app: db}}}");
    assert_selector(
        Some(&s),
        &format!("(projectcalico.org/namespace == 'ns1') && ({ORCH} && app == 'db')"),
    );
}

#[test]
fn f_peer_pod_selector_nil_is_every_pod() {
    let s = peer_source("{namespaceSelector: {matchLabels: {team: a}}}");
    assert_selector(Some(&s), &format!("(pcns.team == \"a\") && ({ORCH})"));
}

#[test]
fn f_namespace_selector_match_expressions() {
    let cases = [
        ("{key: toast, operator: DoesNotExist}", "!has(pcns.toast)"),
        ("{key: toast, operator: Exists}", "has(pcns.toast)"),
        (
            "{key: toast, operator: In, values: [butter, jam]}",
            "pcns.toast in {\"butter\", \"jam\"}",
        ),
        (
            "{key: toast, operator: NotIn, values: [marmite, milk]}",
            "pcns.toast not in {\"marmite\", \"milk\"}",
        ),
    ];
    for (expression, prefixed) in cases {
        let s = peer_source(&format!(
            "{{namespaceSelector: {{matchExpressions: [{expression}]}}}}"
        ));
        assert_selector(Some(&s), &format!("({prefixed}) && ({ORCH})"));
    }
}

#[test]
fn f_namespace_selector_match_labels_are_sorted() {
    let s =
        peer_source("{namespaceSelector: {matchLabels: {namespaceRole: dev, namespaceFoo: bar}}}");
    assert_selector(
        Some(&s),
        &format!("(pcns.namespaceFoo == \"bar\" && pcns.namespaceRole == \"dev\") && ({ORCH})"),
    );
}

#[test]
fn f_every_kubernetes_policy_is_order_1000_in_default_with_allow_rules() {
    let p = policy(&knp(
        "ns1",
        "{podSelector: {}, ingress: [{}, {ports: [{port: 80}]}], egress: [{}], \
         policyTypes: [Ingress, Egress]}",
    ));
    assert_eq!(p.id.kind, PolicyKind::KubernetesNetworkPolicy);
    assert_eq!(&*p.id.name, "web");
    assert_eq!(p.id.namespace.as_deref(), Some("ns1"));
    assert_eq!(&*p.tier, "default");
    assert_eq!(p.order, Some(1000.0));
    assert!(!p.staged && !p.do_not_track && !p.pre_dnat && !p.apply_on_forward);
    assert!(
        p.ingress
            .iter()
            .chain(&p.egress)
            .all(|r| r.action == Action::Allow)
    );
    assert_eq!(p.ingress.len(), 2);
}

#[test]
fn f_default_deny_ingress() {
    let p = policy(&knp("ns1", "{podSelector: {}, policyTypes: [Ingress]}"));
    assert!(p.directions.ingress && !p.directions.egress);
    assert!(p.ingress.is_empty() && p.egress.is_empty());
}

#[test]
fn f_blank_port_entry_means_every_port_of_the_protocol() {
    let p = policy(&knp(
        "ns1",
        "{podSelector: {}, ingress: [{from: [{podSelector: {}}], ports: [{port: 80}, {}]}]}",
    ));
    assert_eq!(p.ingress.len(), 1);
    let rule = &p.ingress[0];
    assert_eq!(rule.protocol, Some(Protocol::Tcp));
    assert!(rule.destination.ports.is_empty() && rule.destination.named_ports.is_empty());
    assert!(rule.source.selector.is_some());
}

#[test]
fn f_blank_port_first_then_numbered_and_a_second_rule() {
    let p = policy(&knp(
        "ns1",
        "{podSelector: {}, policyTypes: [Egress], egress: [\
         {to: [{podSelector: {matchLabels: {app: db}}}], ports: [{}, {port: 80}]}, \
         {ports: [{port: 53, protocol: UDP}]}]}",
    ));
    assert_eq!(p.egress.len(), 2);
    let (first, second) = (&p.egress[0], &p.egress[1]);
    assert_eq!(first.protocol, Some(Protocol::Tcp));
    assert!(first.destination.ports.is_empty());
    assert!(first.destination.selector.is_some());
    assert_eq!(first.source_index, 0);
    assert_eq!(second.protocol, Some(Protocol::Udp));
    assert_eq!(dst_ports(second), ["53"]);
    assert!(second.destination.selector.is_none() && second.destination.nets.is_empty());
    assert_eq!(second.source_index, 1);
}

#[test]
fn no_ports_means_any_protocol() {
    let p = policy(&knp("ns1", "{podSelector: {}, ingress: [{}]}"));
    assert_eq!(p.ingress.len(), 1);
    assert_eq!(p.ingress[0].protocol, None);
    assert!(p.ingress[0].source.is_unconstrained());
    assert!(p.ingress[0].destination.is_unconstrained());
}

#[test]
fn f_simplify_ports_merges_ranges() {
    // `1,2,3,4,80:81,81:90,9090` → `1:4,80:90,9090`.
    let p = policy(&knp(
        "ns1",
        "{podSelector: {}, ingress: [{ports: [{port: 1}, {port: 2}, {port: 3}, {port: 4}, \
         {port: 80, endPort: 81}, {port: 81, endPort: 90}, {port: 9090}]}]}",
    ));
    assert_eq!(p.ingress.len(), 1);
    assert_eq!(dst_ports(&p.ingress[0]), ["1:4", "80:90", "9090"]);
}

#[test]
fn f_simplify_ports_puts_named_ports_first() {
    // `81:90,4,2,foo,80:81,3,1,9090,http` → `foo,http,1:4,80:90,9090`.
    let p = policy(&knp(
        "ns1",
        "{podSelector: {}, ingress: [{ports: [{port: 81, endPort: 90}, {port: 4}, {port: 2}, \
         {port: foo}, {port: 80, endPort: 81}, {port: 3}, {port: 1}, {port: 9090}, \
         {port: http}]}]}",
    ));
    let rule = &p.ingress[0];
    assert_eq!(dst_named_ports(rule), ["foo", "http"]);
    assert_eq!(dst_ports(rule), ["1:4", "80:90", "9090"]);
}

#[test]
fn simplify_ports_keeps_a_single_port_and_merges_overlaps() {
    let p = policy(&knp(
        "ns1",
        "{podSelector: {}, ingress: [{ports: [{port: 100, endPort: 200}, {port: 150}, \
         {port: 201, endPort: 210}, {port: 300}]}, {ports: [{port: 7}]}]}",
    ));
    assert_eq!(dst_ports(&p.ingress[0]), ["100:210", "300"]);
    assert_eq!(dst_ports(&p.ingress[1]), ["7"]);
}

#[test]
fn one_rule_per_protocol_and_peer_in_calico_order() {
    let p = policy(&knp(
        "ns1",
        "{podSelector: {}, ingress: [{from: [{podSelector: {}}, {ipBlock: {cidr: 10.0.0.0/8}}], \
         ports: [{port: 53, protocol: UDP}, {port: 80}, {port: 9, protocol: SCTP}, {port: 443}]}]}",
    ));
    let summary: Vec<(Option<Protocol>, Vec<String>, bool)> = p
        .ingress
        .iter()
        .map(|r| (r.protocol, dst_ports(r), r.source.selector.is_some()))
        .collect();
    assert_eq!(
        summary,
        [
            (Some(Protocol::Sctp), vec!["9".to_owned()], true),
            (Some(Protocol::Sctp), vec!["9".to_owned()], false),
            (
                Some(Protocol::Tcp),
                vec!["80".to_owned(), "443".to_owned()],
                true
            ),
            (
                Some(Protocol::Tcp),
                vec!["80".to_owned(), "443".to_owned()],
                false
            ),
            (Some(Protocol::Udp), vec!["53".to_owned()], true),
            (Some(Protocol::Udp), vec!["53".to_owned()], false),
        ]
    );
    assert!(p.ingress.iter().all(|r| r.source_index == 0));
}

#[test]
fn peers_keep_their_own_selectors_across_protocols() {
    let p = policy(&knp(
        "ns1",
        "{podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {app: a}}}, \
         {namespaceSelector: {matchLabels: {team: b}}}], ports: [{port: 1}, {port: 2, protocol: UDP}]}]}",
    ));
    let selectors: Vec<String> = p
        .ingress
        .iter()
        .map(|r| {
            r.source
                .selector
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(selectors.len(), 4);
    assert_eq!(selectors[0], selectors[2]);
    assert_eq!(selectors[1], selectors[3]);
    assert_ne!(selectors[0], selectors[1]);
    assert_selector(
        p.ingress[0].source.selector.as_ref(),
        &format!("(projectcalico.org/namespace == 'ns1') && ({ORCH} && app == 'a')"),
    );
    assert_selector(
        p.ingress[1].source.selector.as_ref(),
        &format!("(pcns.team == \"b\") && ({ORCH})"),
    );
}

#[test]
fn f_ip_block_becomes_nets_and_not_nets() {
    let p = policy(&knp(
        "ns1",
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 172.17.0.0/16, \
         except: [172.17.1.0/24, 172.17.2.0/24]}}]}]}",
    ));
    let source = &p.ingress[0].source;
    let nets: Vec<String> = source.nets.iter().map(ToString::to_string).collect();
    let not_nets: Vec<String> = source.not_nets.iter().map(ToString::to_string).collect();
    assert_eq!(nets, ["172.17.0.0/16"]);
    assert_eq!(not_nets, ["172.17.1.0/24", "172.17.2.0/24"]);
    // No selector: the block alone decides, inside or outside the cluster.
    assert!(source.selector.is_none() && source.not_selector.is_none());
    // One family only: the rule is IPv4 only (DECISIONS D3).
    assert_eq!(p.ingress[0].ip_version, Some(IpVersion::V4));
}

#[test]
fn ip_block_host_bits_are_cleared() {
    let p = policy(&knp(
        "ns1",
        "{podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: \"fd00::1/64\", \
         except: [\"fd00::1:1/112\"]}}]}]}",
    ));
    let destination = &p.egress[0].destination;
    assert_eq!(destination.nets[0].to_string(), "fd00::/64");
    assert_eq!(destination.not_nets[0].to_string(), "fd00::1:0/112");
    assert_eq!(p.egress[0].ip_version, Some(IpVersion::V6));
}

#[test]
fn named_and_ranged_ports() {
    let p = policy(&knp(
        "ns1",
        "{podSelector: {}, ingress: [{ports: [{port: metrics}, {port: 8000, endPort: 8080, \
         protocol: UDP}]}]}",
    ));
    assert_eq!(p.ingress.len(), 2);
    assert_eq!(p.ingress[0].protocol, Some(Protocol::Tcp));
    assert_eq!(dst_named_ports(&p.ingress[0]), ["metrics"]);
    assert_eq!(p.ingress[1].protocol, Some(Protocol::Udp));
    assert_eq!(dst_ports(&p.ingress[1]), ["8000:8080"]);
}

#[test]
fn unparsable_port_drops_the_rule_with_an_error() {
    let converted = convert_yaml(&knp(
        "ns1",
        "{podSelector: {}, ingress: [{ports: [{port: 80}]}, \
         {ports: [{port: 443}, {port: http, endPort: 90}]}, {ports: [{port: 90, endPort: 80}]}, \
         {ports: [{port: 70000}]}]}",
    ));
    let Some(Item::Policy(p)) = converted.items.first() else {
        panic!("the policy is kept");
    };
    // Only the first rule survives; the others fail closed (their ports never allow).
    assert_eq!(p.ingress.len(), 1);
    assert_eq!(dst_ports(&p.ingress[0]), ["80"]);
    assert_eq!(
        note_paths(&converted.notes, Severity::Error),
        [
            "spec.ingress[1].ports[1]",
            "spec.ingress[2].ports[0]",
            "spec.ingress[3].ports[0]"
        ]
    );
}

#[test]
fn policy_types_default_to_ingress() {
    let converted = convert_yaml(&knp(
        "ns1",
        "{podSelector: {}, ingress: [{}], egress: [{}]}",
    ));
    let Some(Item::Policy(p)) = converted.items.first() else {
        panic!("a policy");
    };
    assert!(p.directions.ingress && !p.directions.egress);
    // The egress rules are kept (they never apply) and reported.
    assert_eq!(p.egress.len(), 1);
    assert_eq!(
        note_paths(&converted.notes, Severity::Warning),
        ["spec.policyTypes"]
    );
}

#[test]
fn egress_only_policy() {
    let p = policy(&knp(
        "ns1",
        "{podSelector: {}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}}]}]}",
    ));
    assert!(!p.directions.ingress && p.directions.egress);
    assert_selector(
        p.egress[0].destination.selector.as_ref(),
        &format!("(has(projectcalico.org/namespace)) && ({ORCH})"),
    );
}

#[test]
fn knp_never_selects_host_endpoints_or_other_namespaces() {
    let p = policy(&knp("ns1", "{podSelector: {}}"));
    let pod = labels(&[
        ("projectcalico.org/namespace", "ns1"),
        ("projectcalico.org/orchestrator", "k8s"),
    ]);
    let other = labels(&[
        ("projectcalico.org/namespace", "ns2"),
        ("projectcalico.org/orchestrator", "k8s"),
    ]);
    let network_set = labels(&[("projectcalico.org/namespace", "ns1")]);
    assert!(p.selector.matches(&pod));
    assert!(!p.selector.matches(&other));
    assert!(!p.selector.matches(&network_set));
}

#[test]
fn staged_kubernetes_policy_is_staged_with_its_own_kind() {
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\n\
         metadata: {name: web, namespace: ns1}\n\
         spec: {stagedAction: Set, podSelector: {matchLabels: {app: web}}, ingress: [{}]}\n",
    );
    assert!(p.staged);
    assert_eq!(p.id.kind, PolicyKind::StagedKubernetesNetworkPolicy);
    assert_eq!(p.order, Some(1000.0));
    assert_eq!(&*p.tier, "default");
    assert_selector(
        Some(&p.selector),
        &format!("({ORCH} && app == 'web') && projectcalico.org/namespace == 'ns1'"),
    );
}

#[test]
fn staged_kubernetes_policy_delete_is_not_in_the_model() {
    let converted = convert_yaml(
        "apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\n\
         metadata: {name: web, namespace: ns1}\nspec: {stagedAction: Delete}\n",
    );
    assert!(converted.items.is_empty());
    assert_eq!(
        note_paths(&converted.notes, Severity::Info),
        ["spec.stagedAction"]
    );
}

#[test]
fn policy_without_namespace_is_in_default() {
    let p = policy(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web}\n\
         spec: {podSelector: {}}\n",
    );
    assert_eq!(p.id.namespace.as_deref(), Some("default"));
    assert!(p.selector.matches(&labels(&[
        ("projectcalico.org/namespace", "default"),
        ("projectcalico.org/orchestrator", "k8s")
    ])));
}
