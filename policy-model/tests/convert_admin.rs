//! AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy conversion
//! (SEMANTICS §5, §2.8 last bullet; NETWORK-POLICY-API.md), using the examples of
//! NETWORK-POLICY-API.md §5, and fail-closed conversion of rules that cannot be converted (§0).

mod convert_util;

use convert_util::{
    assert_selector, convert_yaml, dst_named_ports, dst_ports, labels, note_paths, policy,
};
use palisade_policy_model::convert::effective_labels;
use palisade_policy_model::model::{
    Item, Policy, PolicyKind, ProfileSource, Rule, Severity, namespace_profile,
};
use palisade_policy_model::values::{Action, IpVersion, Protocol};

const ORCH: &str = "projectcalico.org/orchestrator == 'k8s'";

/// A pod's effective labels in namespace `ns` whose Namespace object has `ns_labels`.
fn pod_in(
    ns: &str,
    ns_labels: &[(&str, &str)],
    own: &[(&str, &str)],
) -> std::collections::BTreeMap<String, String> {
    let mut own = labels(own);
    own.insert("projectcalico.org/namespace".into(), ns.into());
    own.insert("projectcalico.org/orchestrator".into(), "k8s".into());
    let kns = namespace_profile(ns, &labels(ns_labels), ProfileSource::Namespace);
    effective_labels(&own, &[format!("kns.{ns}").into()], |_| Some(&kns))
}

fn is_deny_all(rule: &Rule) -> bool {
    rule.action == Action::Deny
        && rule.protocol.is_none()
        && rule.source.is_unconstrained()
        && rule.destination.is_unconstrained()
}

const TENANT_BLUE_ANP: &str = "apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: tenant-blue}
spec:
  priority: 20
  subject: {pods: {namespaceSelector: {matchLabels: {tenant: blue}}, podSelector: {}}}
  ingress:
  - name: allow-prometheus
    action: Allow
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
    ports: [{portNumber: {protocol: TCP, port: 9090}}]
  - {name: intra-tenant, action: Pass, from: [{namespaces: {matchLabels: {tenant: blue}}}]}
  - {name: deny-rest, action: Deny, from: [{namespaces: {}}]}
  egress:
  - action: Allow
    to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}}]
    ports: [{portNumber: {protocol: UDP, port: 53}}, {portRange: {start: 53, end: 54}}]
";

#[test]
fn anp_identity_tier_and_order() {
    let p = policy(TENANT_BLUE_ANP);
    assert_eq!(p.id.kind, PolicyKind::AdminNetworkPolicy);
    assert_eq!(&*p.id.name, "tenant-blue");
    assert_eq!(p.id.namespace, None);
    assert_eq!(&*p.tier, "kube-admin");
    assert_eq!(p.order, Some(20.0));
    assert!(p.directions.ingress && p.directions.egress);
    assert!(!p.staged && !p.do_not_track && !p.pre_dnat && !p.apply_on_forward);
}

#[test]
fn anp_pods_subject() {
    let p = policy(TENANT_BLUE_ANP);
    assert_selector(
        Some(&p.selector),
        &format!("({ORCH}) && pcns.tenant == \"blue\""),
    );
    assert!(
        p.selector
            .matches(&pod_in("blue-1", &[("tenant", "blue")], &[]))
    );
    assert!(
        !p.selector
            .matches(&pod_in("red-1", &[("tenant", "red")], &[]))
    );
    // Host endpoints and network sets are not pods.
    assert!(!p.selector.matches(&labels(&[("tenant", "blue")])));
}

#[test]
fn anp_rules_actions_peers_and_ports() {
    let p = policy(TENANT_BLUE_ANP);
    let actions: Vec<(Action, u32)> = p
        .ingress
        .iter()
        .map(|r| (r.action, r.source_index))
        .collect();
    assert_eq!(
        actions,
        [(Action::Allow, 0), (Action::Pass, 1), (Action::Deny, 2)]
    );
    let allow = &p.ingress[0];
    assert_eq!(allow.protocol, Some(Protocol::Tcp));
    assert_eq!(dst_ports(allow), ["9090"]);
    assert_selector(
        allow.source.selector.as_ref(),
        &format!("(pcns.kubernetes.io/metadata.name == \"monitoring\") && ({ORCH})"),
    );
    assert!(
        allow
            .source
            .selector
            .as_ref()
            .is_some_and(|s| s.matches(&pod_in("monitoring", &[], &[])))
    );
    assert_selector(
        p.ingress[2].source.selector.as_ref(),
        &format!("(has(projectcalico.org/namespace)) && ({ORCH})"),
    );
    // Egress: one rule per protocol, TCP range (protocol defaulted) and UDP 53.
    let egress: Vec<(Option<Protocol>, Vec<String>)> = p
        .egress
        .iter()
        .map(|r| (r.protocol, dst_ports(r)))
        .collect();
    assert_eq!(
        egress,
        [
            (Some(Protocol::Tcp), vec!["53:54".to_owned()]),
            (Some(Protocol::Udp), vec!["53".to_owned()])
        ]
    );
    for rule in &p.egress {
        assert_eq!(rule.source_index, 0);
        assert_selector(
            rule.destination.selector.as_ref(),
            &format!("(has(projectcalico.org/namespace)) && ({ORCH} && k8s-app == 'kube-dns')"),
        );
    }
}

#[test]
fn anp_experimental_peers() {
    let converted = convert_yaml(
        "apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: prod-egress}
spec:
  priority: 50
  subject: {namespaces: {matchLabels: {env: prod}}}
  egress:
  - action: Allow
    to: [{nodes: {matchExpressions: [{key: node-role.kubernetes.io/control-plane, operator: Exists}]}}]
    ports: [{portNumber: {protocol: TCP, port: 6443}}]
  - {action: Allow, to: [{domainNames: [registry.example.com, \"*.cdn.example.com\", \"fqdn.example.com.\"]}]}
  - action: Allow
    to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: metrics}}}}]
    ports: [{namedPort: http-metrics}]
  - {action: Deny, to: [{networks: [0.0.0.0/0, \"::/0\"]}]}
",
    );
    let Some(Item::Policy(p)) = converted.items.first() else {
        panic!("a policy");
    };
    assert_selector(
        Some(&p.selector),
        &format!("({ORCH}) && pcns.env == \"prod\""),
    );
    assert!(!p.directions.ingress && p.directions.egress);
    // The nodes peer matches nothing (no Node objects): its rule is absent.
    let indexes: Vec<u32> = p.egress.iter().map(|r| r.source_index).collect();
    assert_eq!(indexes, [1, 2, 3]);
    // Domains on the destination, trailing dot removed.
    let domains: Vec<&str> = p.egress[0]
        .destination
        .domains
        .iter()
        .map(|d| &**d)
        .collect();
    assert_eq!(
        domains,
        [
            "registry.example.com",
            "*.cdn.example.com",
            "fqdn.example.com"
        ]
    );
    // A named port has no protocol: it resolves with the pod port's own protocol.
    assert_eq!(p.egress[1].protocol, None);
    assert_eq!(dst_named_ports(&p.egress[1]), ["http-metrics"]);
    // Networks of both families: no IP version restriction.
    let deny = &p.egress[2];
    assert_eq!(deny.action, Action::Deny);
    assert_eq!(deny.destination.nets.len(), 2);
    assert_eq!(deny.ip_version, None);
    // Warnings: the nodes peer and the wildcard domain.
    assert_eq!(
        note_paths(&converted.notes, Severity::Warning),
        ["spec.egress[0].to[0]", "spec.egress[1].to[0]"]
    );
    assert!(note_paths(&converted.notes, Severity::Error).is_empty());
}

#[test]
fn banp_default() {
    let p = policy(
        "apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{name: default-deny, action: Deny, from: [{namespaces: {}}]}]
  egress: [{action: Deny, to: [{networks: [169.254.169.254/32]}]}]
",
    );
    assert_eq!(p.id.kind, PolicyKind::BaselineAdminNetworkPolicy);
    assert_eq!(&*p.tier, "kube-baseline");
    assert_eq!(p.order, None);
    assert_selector(
        Some(&p.selector),
        &format!("({ORCH}) && has(projectcalico.org/namespace)"),
    );
    assert!(p.selector.matches(&pod_in("any", &[], &[])));
    assert_eq!(p.ingress[0].action, Action::Deny);
    let egress = &p.egress[0];
    assert_eq!(egress.destination.nets[0].to_string(), "169.254.169.254/32");
    assert_eq!(egress.ip_version, Some(IpVersion::V4));
}

#[test]
fn cnp_admin_tier() {
    let p = policy(
        "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: tenant-blue}
spec:
  tier: Admin
  priority: 20
  subject: {pods: {namespaceSelector: {matchLabels: {tenant: blue}}, podSelector: {}}}
  ingress:
  - action: Accept
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
    protocols: [{tcp: {destinationPort: {number: 9090}}}, {destinationNamedPort: metrics}]
  - {action: Pass, from: [{namespaces: {matchLabels: {tenant: blue}}}]}
  egress:
  - action: Accept
    to: [{pods: {podSelector: {matchLabels: {k8s-app: kube-dns}}}}]
    protocols: [{udp: {destinationPort: {number: 53}}}, {tcp: {destinationPort: {range: {start: 53, end: 54}}}}]
",
    );
    assert_eq!(p.id.kind, PolicyKind::ClusterNetworkPolicy);
    assert_eq!(&*p.tier, "kube-admin");
    assert_eq!(p.order, Some(20.0));
    // Accept → Allow; the named port and TCP 9090 become two rules of rule 0.
    let ingress: Vec<(Action, u32, Option<Protocol>)> = p
        .ingress
        .iter()
        .map(|r| (r.action, r.source_index, r.protocol))
        .collect();
    assert_eq!(
        ingress,
        [
            (Action::Allow, 0, None),
            (Action::Allow, 0, Some(Protocol::Tcp)),
            (Action::Pass, 1, None)
        ]
    );
    assert_eq!(dst_named_ports(&p.ingress[0]), ["metrics"]);
    assert_eq!(dst_ports(&p.ingress[1]), ["9090"]);
    // No namespaceSelector in v1alpha2: every namespace.
    assert_selector(
        p.egress[0].destination.selector.as_ref(),
        &format!("(has(projectcalico.org/namespace)) && ({ORCH} && k8s-app == 'kube-dns')"),
    );
}

#[test]
fn cnp_baseline_tier() {
    let converted = convert_yaml(
        "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: baseline-deny}
spec:
  tier: Baseline
  priority: 100
  subject: {namespaces: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}]}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
  egress:
  - {action: Accept, to: [{domainNames: [api.example.com]}]}
  - {action: Accept, to: [{nodes: {}}], protocols: [{tcp: {destinationPort: {range: {start: 1, end: 65535}}}}]}
  - {action: Deny, to: [{namespaces: {}}, {networks: [0.0.0.0/0, \"::/0\"]}]}
",
    );
    let Some(Item::Policy(p)) = converted.items.first() else {
        panic!("a policy");
    };
    assert_eq!(&*p.tier, "kube-baseline");
    assert_eq!(p.order, Some(100.0));
    assert_selector(
        Some(&p.selector),
        &format!("({ORCH}) && pcns.kubernetes.io/metadata.name not in {{\"kube-system\"}}"),
    );
    assert!(p.selector.matches(&pod_in("apps", &[], &[])));
    assert!(!p.selector.matches(&pod_in("kube-system", &[], &[])));
    let egress: Vec<(Action, u32)> = p
        .egress
        .iter()
        .map(|r| (r.action, r.source_index))
        .collect();
    assert_eq!(
        egress,
        [(Action::Allow, 0), (Action::Deny, 2), (Action::Deny, 2)]
    );
    assert!(p.egress[1].destination.selector.is_some());
    assert_eq!(p.egress[2].destination.nets.len(), 2);
    assert_eq!(
        note_paths(&converted.notes, Severity::Warning),
        ["spec.egress[1].to[0]"]
    );
}

fn anp_with(rules: &str) -> (Policy, Vec<String>) {
    let converted = convert_yaml(&format!(
        "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n\
         metadata: {{name: p}}\nspec:\n  priority: 1\n  subject: {{namespaces: {{}}}}\n{rules}"
    ));
    let errors = note_paths(&converted.notes, Severity::Error);
    match converted.items.into_iter().next() {
        Some(Item::Policy(p)) => (p, errors),
        other => panic!("expected a policy, got {other:?}"),
    }
}

#[test]
fn fail_closed_unknown_or_ambiguous_peers() {
    let (p, errors) = anp_with(
        "  ingress:
  - {action: Deny, from: [{}]}
  - {action: Pass, from: [{namespaces: {}, pods: {namespaceSelector: {}, podSelector: {}}}]}
  - {action: Allow, from: [{}]}
  - {action: Allow, from: []}
  - {action: Allow, from: [{namespaces: {}}]}
",
    );
    // Deny and Pass become deny-all; the Allow rules match nothing; the valid rule stays.
    assert_eq!(p.ingress.len(), 3);
    assert!(is_deny_all(&p.ingress[0]) && p.ingress[0].source_index == 0);
    assert!(is_deny_all(&p.ingress[1]) && p.ingress[1].source_index == 1);
    assert_eq!(p.ingress[2].action, Action::Allow);
    assert_eq!(p.ingress[2].source_index, 4);
    assert_eq!(
        errors,
        [
            "spec.ingress[0].from[0]",
            "spec.ingress[1].from[0]",
            "spec.ingress[2].from[0]",
            "spec.ingress[3].from"
        ]
    );
}

#[test]
fn fail_closed_bad_ports() {
    let (p, errors) = anp_with(
        "  egress:
  - {action: Deny, to: [{namespaces: {}}], ports: []}
  - {action: Allow, to: [{namespaces: {}}], ports: [{}]}
  - {action: Deny, to: [{namespaces: {}}], ports: [{portRange: {start: 90, end: 80}}]}
  - {action: Pass, to: [{networks: [10.0.0.0/8]}], ports: [{namedPort: http}]}
  - {action: Allow, to: [{namespaces: {}}], ports: [{portNumber: {port: 0}}]}
",
    );
    let kept: Vec<(u32, bool)> = p
        .egress
        .iter()
        .map(|r| (r.source_index, is_deny_all(r)))
        .collect();
    assert_eq!(kept, [(0, true), (2, true), (3, true)]);
    assert_eq!(
        errors,
        [
            "spec.egress[0].ports",
            "spec.egress[1].ports[0]",
            "spec.egress[2].ports[0]",
            "spec.egress[3]",
            "spec.egress[4].ports[0]"
        ]
    );
}

#[test]
fn fail_closed_v1alpha1_pods_peer_needs_both_selectors() {
    let (p, errors) = anp_with(
        "  ingress:
  - {action: Deny, from: [{pods: {podSelector: {}}}]}
",
    );
    assert!(is_deny_all(&p.ingress[0]));
    assert_eq!(errors, ["spec.ingress[0].from[0]"]);
}

#[test]
fn fail_closed_cnp_protocols() {
    let converted = convert_yaml(
        "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: p}
spec:
  tier: Baseline
  priority: 3
  subject: {namespaces: {}}
  ingress:
  - {action: Accept, from: [{namespaces: {}}], protocols: [{tcp: {}}]}
  - {action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}, udp: {destinationPort: {number: 80}}}]}
  - {action: Pass, from: [{namespaces: {}}], protocols: [{sctp: {destinationPort: {}}}]}
  - {action: Accept, from: [{namespaces: {}}], protocols: [{udp: {destinationPort: {range: {start: 1000, end: 2000}}}}]}
",
    );
    let Some(Item::Policy(p)) = converted.items.first() else {
        panic!("a policy");
    };
    let kept: Vec<(u32, bool)> = p
        .ingress
        .iter()
        .map(|r| (r.source_index, is_deny_all(r)))
        .collect();
    assert_eq!(kept, [(1, true), (2, true), (3, false)]);
    assert_eq!(dst_ports(&p.ingress[2]), ["1000:2000"]);
    assert_eq!(
        note_paths(&converted.notes, Severity::Error),
        [
            "spec.ingress[0].protocols[0]",
            "spec.ingress[1].protocols[0]",
            "spec.ingress[2].protocols[0]"
        ]
    );
}

#[test]
fn fail_closed_banp_has_no_domain_names() {
    let converted = convert_yaml(
        "apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{domainNames: [a.example.com]}]}]
",
    );
    let Some(Item::Policy(p)) = converted.items.first() else {
        panic!("a policy");
    };
    assert!(is_deny_all(&p.egress[0]));
    assert_eq!(
        note_paths(&converted.notes, Severity::Error),
        ["spec.egress[0].to[0]"]
    );
}

#[test]
fn subject_without_exactly_one_key_leaves_the_policy_out() {
    let converted = convert_yaml(
        "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: p}
spec: {tier: Admin, priority: 3, subject: {}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}
",
    );
    assert!(converted.items.is_empty());
    assert_eq!(
        note_paths(&converted.notes, Severity::Error),
        ["spec.subject"]
    );
}

#[test]
fn directions_are_the_directions_with_rules() {
    let p = policy(
        "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: p}
spec: {tier: Admin, priority: 3, subject: {namespaces: {}}}
",
    );
    assert!(!p.directions.ingress && !p.directions.egress);
}

#[test]
fn banp_with_another_name_is_converted_with_a_warning() {
    let converted = convert_yaml(
        "apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: other}
spec: {subject: {namespaces: {}}}
",
    );
    assert_eq!(converted.items.len(), 1);
    assert_eq!(
        note_paths(&converted.notes, Severity::Warning),
        ["metadata.name"]
    );
}
