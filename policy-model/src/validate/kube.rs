//! Kubernetes kinds: the API server's checks where they matter for policy (port names and
//! numbers, IPs, label selectors, NetworkPolicy peers and ports).

use std::net::IpAddr;

use super::names::{NameRule, check_labels, check_meta, is_port_name, is_qualified_name};
use super::{Check, Sink, Violation};
use crate::kube::{
    EndpointSlice, IntOrString, KubernetesNetworkPolicy, KubernetesNetworkPolicySpec,
    LabelSelector, LabelSelectorOperator, Namespace, NetworkPolicyPeer, NetworkPolicyPort, Pod,
    Service, ServiceAccount,
};
use crate::yaml::de::PathLink;

const PORT_NAME_EXPECTED: &str = "expected at most 15 characters of [a-z0-9-], with a letter, \
                                  not starting or ending with `-`, without `--`";

/// A Kubernetes label selector: valid keys and values, and values that fit each operator.
pub(crate) fn check_label_selector(selector: &LabelSelector, path: &PathLink<'_>, sink: &mut Sink) {
    check_labels(
        &selector.match_labels,
        &PathLink::Key(path, "matchLabels"),
        sink,
    );
    let expressions = PathLink::Key(path, "matchExpressions");
    for (i, requirement) in selector.match_expressions.iter().enumerate() {
        let at = PathLink::Index(&expressions, i);
        if !is_qualified_name(&requirement.key) {
            sink.push(
                &PathLink::Key(&at, "key"),
                Check::Label,
                format!(
                    "invalid label key `{}`: expected a qualified name",
                    requirement.key
                ),
            );
        }
        let needs_values = matches!(
            requirement.operator,
            LabelSelectorOperator::In | LabelSelectorOperator::NotIn
        );
        if needs_values && requirement.values.is_empty() {
            sink.push(
                &PathLink::Key(&at, "values"),
                Check::LabelSelectorValues,
                format!(
                    "operator {:?} needs at least one value",
                    requirement.operator
                ),
            );
        }
        if !needs_values && !requirement.values.is_empty() {
            sink.push(
                &PathLink::Key(&at, "values"),
                Check::LabelSelectorValues,
                format!(
                    "operator {:?} takes no values: expected `values` to be empty",
                    requirement.operator
                ),
            );
        }
    }
}

fn check_int_or_string_port(port: &IntOrString, path: &PathLink<'_>, sink: &mut Sink) {
    match port {
        IntOrString::Int(n) if !(1..=65535).contains(n) => sink.push(
            path,
            Check::PortNumber,
            format!("port {n}: expected a port number 1-65535"),
        ),
        IntOrString::String(name) if !is_port_name(name) => sink.push(
            path,
            Check::PortName,
            format!("invalid port name {name:?}: {PORT_NAME_EXPECTED}"),
        ),
        _ => {}
    }
}

fn check_knp_port(port: &NetworkPolicyPort, path: &PathLink<'_>, sink: &mut Sink) {
    if let Some(p) = &port.port {
        check_int_or_string_port(p, &PathLink::Key(path, "port"), sink);
    }
    if let Some(end) = port.end_port {
        let at = PathLink::Key(path, "endPort");
        match &port.port {
            Some(IntOrString::Int(start)) => {
                if end < *start {
                    sink.push(
                        &at,
                        Check::PortRange,
                        format!("endPort {end} is below port {start}: expected endPort >= port"),
                    );
                }
                if !(1..=65535).contains(&end) {
                    sink.push(
                        &at,
                        Check::PortNumber,
                        format!("endPort {end}: expected a port number 1-65535"),
                    );
                }
            }
            _ => sink.push(&at, Check::PortRange, "endPort requires a numeric `port`"),
        }
    }
}

fn check_peer(peer: &NetworkPolicyPeer, path: &PathLink<'_>, sink: &mut Sink) {
    if peer.pod_selector.is_none() && peer.namespace_selector.is_none() && peer.ip_block.is_none() {
        sink.push(
            path,
            Check::PeerEmpty,
            "a peer needs at least one of `podSelector`, `namespaceSelector`, `ipBlock`",
        );
    }
    if peer.ip_block.is_some() && (peer.pod_selector.is_some() || peer.namespace_selector.is_some())
    {
        sink.push(
            &PathLink::Key(path, "ipBlock"),
            Check::PeerIpBlockCombined,
            "`ipBlock` cannot be combined with `podSelector` or `namespaceSelector` in one peer",
        );
    }
    if let Some(selector) = &peer.pod_selector {
        check_label_selector(selector, &PathLink::Key(path, "podSelector"), sink);
    }
    if let Some(selector) = &peer.namespace_selector {
        check_label_selector(selector, &PathLink::Key(path, "namespaceSelector"), sink);
    }
    if let Some(block) = &peer.ip_block {
        let at = PathLink::Key(&PathLink::Key(path, "ipBlock"), "except");
        for (i, except) in block.except.iter().enumerate() {
            let subset =
                block.cidr.contains(except) && except.prefix_len() > block.cidr.prefix_len();
            if !subset {
                sink.push(
                    &PathLink::Index(&at, i),
                    Check::IpBlockExcept,
                    format!(
                        "`{except}` must be a strict subset of the block's cidr `{}`",
                        block.cidr
                    ),
                );
            }
        }
    }
}

/// A NetworkPolicy spec (shared by StagedKubernetesNetworkPolicy).
pub(crate) fn check_knp_spec(spec: &KubernetesNetworkPolicySpec, sink: &mut Sink) {
    let root = PathLink::Root;
    let spec_path = PathLink::Key(&root, "spec");
    check_label_selector(
        &spec.pod_selector,
        &PathLink::Key(&spec_path, "podSelector"),
        sink,
    );
    let types = PathLink::Key(&spec_path, "policyTypes");
    if spec.policy_types.len() > 2 {
        sink.push(
            &types,
            Check::TypesCount,
            format!(
                "{} policyTypes given, expected at most 2",
                spec.policy_types.len()
            ),
        );
    }
    for (i, t) in spec.policy_types.iter().enumerate() {
        if spec.policy_types[..i].contains(t) {
            sink.push(
                &PathLink::Index(&types, i),
                Check::TypesDuplicate,
                format!("'{t}' policy type specified more than once"),
            );
        }
    }
    let ingress = PathLink::Key(&spec_path, "ingress");
    for (i, rule) in spec.ingress.iter().enumerate() {
        let at = PathLink::Index(&ingress, i);
        let from = PathLink::Key(&at, "from");
        for (j, peer) in rule.from.iter().enumerate() {
            check_peer(peer, &PathLink::Index(&from, j), sink);
        }
        let ports = PathLink::Key(&at, "ports");
        for (j, port) in rule.ports.iter().enumerate() {
            check_knp_port(port, &PathLink::Index(&ports, j), sink);
        }
    }
    let egress = PathLink::Key(&spec_path, "egress");
    for (i, rule) in spec.egress.iter().enumerate() {
        let at = PathLink::Index(&egress, i);
        let to = PathLink::Key(&at, "to");
        for (j, peer) in rule.to.iter().enumerate() {
            check_peer(peer, &PathLink::Index(&to, j), sink);
        }
        let ports = PathLink::Key(&at, "ports");
        for (j, port) in rule.ports.iter().enumerate() {
            check_knp_port(port, &PathLink::Index(&ports, j), sink);
        }
    }
}

/// Validates a Kubernetes NetworkPolicy.
pub fn validate_kubernetes_network_policy(policy: &KubernetesNetworkPolicy) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&policy.metadata, NameRule::Subdomain, true, &mut sink);
    check_knp_spec(&policy.spec, &mut sink);
    sink.out
}

/// Validates a Namespace.
pub fn validate_namespace(namespace: &Namespace) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&namespace.metadata, NameRule::Label, false, &mut sink);
    sink.out
}

/// Validates a ServiceAccount.
pub fn validate_service_account(account: &ServiceAccount) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&account.metadata, NameRule::Subdomain, true, &mut sink);
    sink.out
}

/// Validates a Pod: container ports (numbers, names, unique names).
pub fn validate_pod(pod: &Pod) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&pod.metadata, NameRule::Subdomain, true, &mut sink);
    let root = PathLink::Root;
    let spec = PathLink::Key(&root, "spec");
    let mut names: Vec<&str> = Vec::new();
    for (field, containers) in [
        ("containers", &pod.spec.containers),
        ("initContainers", &pod.spec.init_containers),
    ] {
        let list = PathLink::Key(&spec, field);
        for (i, container) in containers.iter().enumerate() {
            let container_path = PathLink::Index(&list, i);
            let ports = PathLink::Key(&container_path, "ports");
            for (j, port) in container.ports.iter().enumerate() {
                let at = PathLink::Index(&ports, j);
                if port.container_port == 0 {
                    sink.push(
                        &PathLink::Key(&at, "containerPort"),
                        Check::PortNumber,
                        "containerPort 0: expected a port number 1-65535",
                    );
                }
                if let Some(name) = &port.name {
                    if !is_port_name(name) {
                        sink.push(
                            &PathLink::Key(&at, "name"),
                            Check::PortName,
                            format!("invalid port name {name:?}: {PORT_NAME_EXPECTED}"),
                        );
                    } else if names.contains(&name.as_str()) {
                        sink.push(
                            &PathLink::Key(&at, "name"),
                            Check::DuplicatePortName,
                            format!("port name `{name}` is used more than once in this pod"),
                        );
                    }
                    names.push(name);
                }
            }
        }
    }
    sink.out
}

/// Validates a Service: port numbers and target ports.
pub fn validate_service(service: &Service) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&service.metadata, NameRule::Label, true, &mut sink);
    let root = PathLink::Root;
    let spec = PathLink::Key(&root, "spec");
    let ports = PathLink::Key(&spec, "ports");
    for (i, port) in service.spec.ports.iter().enumerate() {
        let at = PathLink::Index(&ports, i);
        if port.port == 0 {
            sink.push(
                &PathLink::Key(&at, "port"),
                Check::PortNumber,
                "port 0: expected a port number 1-65535",
            );
        }
        if let Some(target) = &port.target_port {
            check_int_or_string_port(target, &PathLink::Key(&at, "targetPort"), &mut sink);
        }
    }
    sink.out
}

/// Validates an EndpointSlice: address type and addresses of that family.
pub fn validate_endpoint_slice(slice: &EndpointSlice) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&slice.metadata, NameRule::Subdomain, true, &mut sink);
    let root = PathLink::Root;
    let family = match slice.address_type.as_str() {
        "IPv4" => Some(true),
        "IPv6" => Some(false),
        "FQDN" => None,
        other => {
            sink.push(
                &PathLink::Key(&root, "addressType"),
                Check::AddressType,
                format!("unknown addressType `{other}`: expected IPv4, IPv6 or FQDN"),
            );
            None
        }
    };
    if let Some(v4) = family {
        let endpoints = PathLink::Key(&root, "endpoints");
        for (i, endpoint) in slice.endpoints.iter().enumerate() {
            let addresses = PathLink::Key(&PathLink::Index(&endpoints, i), "addresses");
            for (j, address) in endpoint.addresses.iter().enumerate() {
                let ok = match address.parse::<IpAddr>() {
                    Ok(IpAddr::V4(_)) => v4,
                    Ok(IpAddr::V6(_)) => !v4,
                    Err(_) => false,
                };
                if !ok {
                    sink.push(
                        &PathLink::Index(&addresses, j),
                        Check::IpAddress,
                        format!(
                            "invalid address `{address}`: expected an {} address (addressType {})",
                            if v4 { "IPv4" } else { "IPv6" },
                            slice.address_type
                        ),
                    );
                }
            }
        }
    }
    let ports = PathLink::Key(&root, "ports");
    for (i, port) in slice.ports.iter().enumerate() {
        if port.port == Some(0) {
            sink.push(
                &PathLink::Key(&PathLink::Index(&ports, i), "port"),
                Check::PortNumber,
                "port 0: expected a port number 1-65535",
            );
        }
    }
    sink.out
}
