//! policy.networking.k8s.io kinds (`NETWORK-POLICY-API.md`): priorities, one-of objects,
//! list limits, the BANP singleton name, port ranges, named ports with network peers.

use ipnet::IpNet;

use super::kube::check_label_selector;
use super::names::{NameRule, check_meta, is_admin_domain_name};
use super::{Check, Sink, Violation};
use crate::admin::{
    AdminNetworkPolicy, AdminSubject, AnpEgressPeer, AnpIngressPeer, AnpPort,
    BaselineAdminNetworkPolicy, ClusterNetworkPolicy, CnpProtocol, NamespacedPod,
};
use crate::yaml::de::PathLink;

/// Limits that differ between v1alpha1 and v1alpha2.
#[derive(Clone, Copy)]
struct Limits {
    rules: usize,
    peers: usize,
    ports: usize,
    /// v1alpha1 requires `pods.namespaceSelector`; v1alpha2 makes it optional.
    namespace_selector_required: bool,
    /// BANP has no `domainNames` peer.
    domain_names: bool,
}

const V1ALPHA1: Limits = Limits {
    rules: 100,
    peers: 100,
    ports: 100,
    namespace_selector_required: true,
    domain_names: true,
};

fn check_count(
    len: usize,
    min: usize,
    max: usize,
    what: &str,
    path: &PathLink<'_>,
    sink: &mut Sink,
) {
    if len < min || len > max {
        sink.push(
            path,
            Check::Length,
            format!("{len} {what}, expected {min} to {max}"),
        );
    }
}

fn check_one_of(keys: &[(&str, bool)], path: &PathLink<'_>, sink: &mut Sink) {
    let set: Vec<&str> = keys.iter().filter(|(_, s)| *s).map(|(k, _)| *k).collect();
    if set.len() != 1 {
        let names = keys
            .iter()
            .map(|(k, _)| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let found = if set.is_empty() {
            "none".to_owned()
        } else {
            set.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        };
        sink.push(
            path,
            Check::OneOf,
            format!("expected exactly one of {names}, found {found}"),
        );
    }
}

fn check_priority(priority: i32, sink: &mut Sink) {
    if !(0..=1000).contains(&priority) {
        let root = PathLink::Root;
        sink.push(
            &PathLink::Key(&PathLink::Key(&root, "spec"), "priority"),
            Check::Priority,
            format!("priority {priority}: expected 0 to 1000"),
        );
    }
}

fn check_namespaced_pod(
    pods: &NamespacedPod,
    limits: Limits,
    path: &PathLink<'_>,
    sink: &mut Sink,
) {
    match &pods.namespace_selector {
        Some(selector) => {
            check_label_selector(selector, &PathLink::Key(path, "namespaceSelector"), sink)
        }
        None if limits.namespace_selector_required => sink.push(
            &PathLink::Key(path, "namespaceSelector"),
            Check::Required,
            "missing `namespaceSelector` (use `{}` for all namespaces)",
        ),
        None => {}
    }
    match &pods.pod_selector {
        Some(selector) => check_label_selector(selector, &PathLink::Key(path, "podSelector"), sink),
        None => sink.push(
            &PathLink::Key(path, "podSelector"),
            Check::Required,
            "missing `podSelector` (use `{}` for all pods)",
        ),
    }
}

fn check_subject(subject: &AdminSubject, limits: Limits, sink: &mut Sink) {
    let root = PathLink::Root;
    let spec = PathLink::Key(&root, "spec");
    let path = PathLink::Key(&spec, "subject");
    check_one_of(
        &[
            ("namespaces", subject.namespaces.is_some()),
            ("pods", subject.pods.is_some()),
        ],
        &path,
        sink,
    );
    if let Some(selector) = &subject.namespaces {
        check_label_selector(selector, &PathLink::Key(&path, "namespaces"), sink);
    }
    if let Some(pods) = &subject.pods {
        check_namespaced_pod(pods, limits, &PathLink::Key(&path, "pods"), sink);
    }
}

fn check_rule_name(name: Option<&String>, path: &PathLink<'_>, sink: &mut Sink) {
    if let Some(name) = name
        && name.chars().count() > 100
    {
        sink.push(
            &PathLink::Key(path, "name"),
            Check::Length,
            format!(
                "rule name is {} characters, expected at most 100",
                name.chars().count()
            ),
        );
    }
}

fn check_ingress_peer(peer: &AnpIngressPeer, limits: Limits, path: &PathLink<'_>, sink: &mut Sink) {
    check_one_of(
        &[
            ("namespaces", peer.namespaces.is_some()),
            ("pods", peer.pods.is_some()),
        ],
        path,
        sink,
    );
    if let Some(selector) = &peer.namespaces {
        check_label_selector(selector, &PathLink::Key(path, "namespaces"), sink);
    }
    if let Some(pods) = &peer.pods {
        check_namespaced_pod(pods, limits, &PathLink::Key(path, "pods"), sink);
    }
}

fn check_egress_peer(peer: &AnpEgressPeer, limits: Limits, path: &PathLink<'_>, sink: &mut Sink) {
    check_one_of(
        &[
            ("namespaces", peer.namespaces.is_some()),
            ("pods", peer.pods.is_some()),
            ("nodes", peer.nodes.is_some()),
            ("networks", peer.networks.is_some()),
            ("domainNames", peer.domain_names.is_some()),
        ],
        path,
        sink,
    );
    if let Some(selector) = &peer.namespaces {
        check_label_selector(selector, &PathLink::Key(path, "namespaces"), sink);
    }
    if let Some(pods) = &peer.pods {
        check_namespaced_pod(pods, limits, &PathLink::Key(path, "pods"), sink);
    }
    if let Some(selector) = &peer.nodes {
        check_label_selector(selector, &PathLink::Key(path, "nodes"), sink);
    }
    if let Some(networks) = &peer.networks {
        let at = PathLink::Key(path, "networks");
        check_count(networks.len(), 1, 25, "networks", &at, sink);
        for (i, net) in networks.iter().enumerate() {
            if networks[..i].contains(net) {
                sink.push(
                    &PathLink::Index(&at, i),
                    Check::Duplicate,
                    format!("`{net}` is listed more than once"),
                );
            }
            if let IpNet::V6(v6) = net
                && v6.addr().to_ipv4_mapped().is_some()
            {
                sink.push(
                    &PathLink::Index(&at, i),
                    Check::Cidr,
                    format!(
                        "`{net}` is an IPv4-mapped IPv6 CIDR: expected a plain IPv4 or IPv6 CIDR"
                    ),
                );
            }
        }
    }
    if let Some(domains) = &peer.domain_names {
        let at = PathLink::Key(path, "domainNames");
        if !limits.domain_names {
            sink.push(
                &at,
                Check::NotAllowed,
                "`domainNames` peers are not allowed in a BaselineAdminNetworkPolicy",
            );
        }
        check_count(domains.len(), 1, 25, "domain names", &at, sink);
        for (i, domain) in domains.iter().enumerate() {
            if domains[..i].contains(domain) {
                sink.push(
                    &PathLink::Index(&at, i),
                    Check::Duplicate,
                    format!("`{domain}` is listed more than once"),
                );
            }
            if !is_admin_domain_name(domain) {
                sink.push(
                    &PathLink::Index(&at, i),
                    Check::DomainName,
                    format!("invalid domain name `{domain}`: expected at least two DNS labels, optionally starting with `*.`"),
                );
            }
        }
    }
}

fn has_network_peer(peers: &[AnpEgressPeer]) -> bool {
    peers
        .iter()
        .any(|p| p.networks.is_some() || p.nodes.is_some() || p.domain_names.is_some())
}

fn check_anp_ports(
    ports: Option<&Vec<AnpPort>>,
    limits: Limits,
    path: &PathLink<'_>,
    sink: &mut Sink,
) -> bool {
    let Some(ports) = ports else { return false };
    let at = PathLink::Key(path, "ports");
    check_count(ports.len(), 1, limits.ports, "ports", &at, sink);
    let mut named = false;
    for (i, port) in ports.iter().enumerate() {
        let p = PathLink::Index(&at, i);
        check_one_of(
            &[
                ("portNumber", port.port_number.is_some()),
                ("portRange", port.port_range.is_some()),
                ("namedPort", port.named_port.is_some()),
            ],
            &p,
            sink,
        );
        if let Some(number) = &port.port_number
            && !(1..=65535).contains(&number.port)
        {
            sink.push(
                &PathLink::Key(&PathLink::Key(&p, "portNumber"), "port"),
                Check::PortNumber,
                format!("port {}: expected 1 to 65535", number.port),
            );
        }
        if let Some(range) = &port.port_range {
            let r = PathLink::Key(&p, "portRange");
            for (field, value) in [("start", range.start), ("end", range.end)] {
                if !(1..=65535).contains(&value) {
                    sink.push(
                        &PathLink::Key(&r, field),
                        Check::PortNumber,
                        format!("{field} {value}: expected 1 to 65535"),
                    );
                }
            }
        }
        named |= port.named_port.is_some();
    }
    named
}

fn check_cnp_protocols(
    protocols: Option<&Vec<CnpProtocol>>,
    path: &PathLink<'_>,
    sink: &mut Sink,
) -> bool {
    let Some(protocols) = protocols else {
        return false;
    };
    let at = PathLink::Key(path, "protocols");
    check_count(protocols.len(), 1, 25, "protocols", &at, sink);
    let mut named = false;
    for (i, protocol) in protocols.iter().enumerate() {
        let p = PathLink::Index(&at, i);
        check_one_of(
            &[
                ("tcp", protocol.tcp.is_some()),
                ("udp", protocol.udp.is_some()),
                ("sctp", protocol.sctp.is_some()),
                (
                    "destinationNamedPort",
                    protocol.destination_named_port.is_some(),
                ),
            ],
            &p,
            sink,
        );
        for (field, value) in [
            ("tcp", &protocol.tcp),
            ("udp", &protocol.udp),
            ("sctp", &protocol.sctp),
        ] {
            let Some(value) = value else { continue };
            let f = PathLink::Key(&p, field);
            let Some(destination) = &value.destination_port else {
                sink.push(
                    &PathLink::Key(&f, "destinationPort"),
                    Check::Required,
                    format!("missing `destinationPort` (`{field}: {{}}` is invalid; use a range 1-65535 for all ports)"),
                );
                continue;
            };
            let d = PathLink::Key(&f, "destinationPort");
            check_one_of(
                &[
                    ("number", destination.number.is_some()),
                    ("range", destination.range.is_some()),
                ],
                &d,
                sink,
            );
            if let Some(number) = destination.number
                && !(1..=65535).contains(&number)
            {
                sink.push(
                    &PathLink::Key(&d, "number"),
                    Check::PortNumber,
                    format!("port {number}: expected 1 to 65535"),
                );
            }
            if let Some(range) = &destination.range {
                let r = PathLink::Key(&d, "range");
                for (field, value) in [("start", range.start), ("end", range.end)] {
                    if !(1..=65535).contains(&value) {
                        sink.push(
                            &PathLink::Key(&r, field),
                            Check::PortNumber,
                            format!("{field} {value}: expected 1 to 65535"),
                        );
                    }
                }
                if range.start >= range.end {
                    sink.push(
                        &r,
                        Check::PortRange,
                        format!("range {}-{}: expected start < end", range.start, range.end),
                    );
                }
            }
        }
        named |= protocol.destination_named_port.is_some();
    }
    named
}

fn named_port_guard(named: bool, peers: &[AnpEgressPeer], path: &PathLink<'_>, sink: &mut Sink) {
    if named && has_network_peer(peers) {
        sink.push(
            path,
            Check::NamedPortWithNetworks,
            "a named port cannot be used in a rule with `networks`, `nodes` or `domainNames` peers (they have no pods to resolve the name on)",
        );
    }
}

macro_rules! v1alpha1_rules {
    ($spec:expr, $limits:expr, $sink:expr) => {{
        let root = PathLink::Root;
        let spec_path = PathLink::Key(&root, "spec");
        let ingress = PathLink::Key(&spec_path, "ingress");
        check_count(
            $spec.ingress.len(),
            0,
            $limits.rules,
            "ingress rules",
            &ingress,
            $sink,
        );
        for (i, rule) in $spec.ingress.iter().enumerate() {
            let at = PathLink::Index(&ingress, i);
            check_rule_name(rule.name.as_ref(), &at, $sink);
            let from = PathLink::Key(&at, "from");
            check_count(rule.from.len(), 1, $limits.peers, "peers", &from, $sink);
            for (j, peer) in rule.from.iter().enumerate() {
                check_ingress_peer(peer, $limits, &PathLink::Index(&from, j), $sink);
            }
            check_anp_ports(rule.ports.as_ref(), $limits, &at, $sink);
        }
        let egress = PathLink::Key(&spec_path, "egress");
        check_count(
            $spec.egress.len(),
            0,
            $limits.rules,
            "egress rules",
            &egress,
            $sink,
        );
        for (i, rule) in $spec.egress.iter().enumerate() {
            let at = PathLink::Index(&egress, i);
            check_rule_name(rule.name.as_ref(), &at, $sink);
            let to = PathLink::Key(&at, "to");
            check_count(rule.to.len(), 1, $limits.peers, "peers", &to, $sink);
            for (j, peer) in rule.to.iter().enumerate() {
                check_egress_peer(peer, $limits, &PathLink::Index(&to, j), $sink);
            }
            let named = check_anp_ports(rule.ports.as_ref(), $limits, &at, $sink);
            named_port_guard(named, &rule.to, &at, $sink);
        }
    }};
}

/// Validates an AdminNetworkPolicy (v1alpha1).
pub fn validate_admin_network_policy(policy: &AdminNetworkPolicy) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&policy.metadata, NameRule::Subdomain, false, &mut sink);
    check_priority(policy.spec.priority, &mut sink);
    check_subject(&policy.spec.subject, V1ALPHA1, &mut sink);
    v1alpha1_rules!(policy.spec, V1ALPHA1, &mut sink);
    sink.out
}

/// Validates a BaselineAdminNetworkPolicy (v1alpha1): the singleton named `default`.
pub fn validate_baseline_admin_network_policy(
    policy: &BaselineAdminNetworkPolicy,
) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&policy.metadata, NameRule::Subdomain, false, &mut sink);
    if !policy.metadata.name.is_empty() && policy.metadata.name != "default" {
        let root = PathLink::Root;
        sink.push(
            &PathLink::Key(&PathLink::Key(&root, "metadata"), "name"),
            Check::BaselineName,
            format!(
                "a BaselineAdminNetworkPolicy must be named `default`, found `{}`",
                policy.metadata.name
            ),
        );
    }
    let limits = Limits {
        domain_names: false,
        ..V1ALPHA1
    };
    check_subject(&policy.spec.subject, limits, &mut sink);
    v1alpha1_rules!(policy.spec, limits, &mut sink);
    sink.out
}

/// Validates a ClusterNetworkPolicy (v1alpha2).
pub fn validate_cluster_network_policy(policy: &ClusterNetworkPolicy) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&policy.metadata, NameRule::Subdomain, false, &mut sink);
    let limits = Limits {
        rules: 25,
        peers: 25,
        ports: 25,
        namespace_selector_required: false,
        domain_names: true,
    };
    check_priority(policy.spec.priority, &mut sink);
    check_subject(&policy.spec.subject, limits, &mut sink);
    let sink = &mut sink;
    let root = PathLink::Root;
    let spec_path = PathLink::Key(&root, "spec");
    let ingress = PathLink::Key(&spec_path, "ingress");
    check_count(
        policy.spec.ingress.len(),
        0,
        limits.rules,
        "ingress rules",
        &ingress,
        sink,
    );
    for (i, rule) in policy.spec.ingress.iter().enumerate() {
        let at = PathLink::Index(&ingress, i);
        check_rule_name(rule.name.as_ref(), &at, sink);
        let from = PathLink::Key(&at, "from");
        check_count(rule.from.len(), 1, limits.peers, "peers", &from, sink);
        for (j, peer) in rule.from.iter().enumerate() {
            check_ingress_peer(peer, limits, &PathLink::Index(&from, j), sink);
        }
        check_cnp_protocols(rule.protocols.as_ref(), &at, sink);
    }
    let egress = PathLink::Key(&spec_path, "egress");
    check_count(
        policy.spec.egress.len(),
        0,
        limits.rules,
        "egress rules",
        &egress,
        sink,
    );
    for (i, rule) in policy.spec.egress.iter().enumerate() {
        let at = PathLink::Index(&egress, i);
        check_rule_name(rule.name.as_ref(), &at, sink);
        let to = PathLink::Key(&at, "to");
        check_count(rule.to.len(), 1, limits.peers, "peers", &to, sink);
        for (j, peer) in rule.to.iter().enumerate() {
            check_egress_peer(peer, limits, &PathLink::Index(&to, j), sink);
        }
        let named = check_cnp_protocols(rule.protocols.as_ref(), &at, sink);
        named_port_guard(named, &rule.to, &at, sink);
    }
    std::mem::take(&mut sink.out)
}
