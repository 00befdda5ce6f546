//! Calico kinds: policies (SEMANTICS §4 "Policy spec", "Rule"), GNP flags (§3), staged rules,
//! tiers, endpoints, network sets, profiles and FelixConfiguration.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use palisade_selector::Selector;
use palisade_selector::global_placement::{
    check_global_forbidden, check_namespace_selector_global,
};

use super::names::{
    NameRule, check_annotations, check_labels, check_meta, is_dns_label, is_dns_subdomain,
    is_domain_name, is_port_name,
};
use super::{Check, Sink, Violation};
use crate::calico::{
    EndpointPort, EntityRule, FelixConfiguration, GlobalNetworkPolicy, GlobalNetworkSet,
    HostEndpoint, HttpMatch, NetworkPolicy, NetworkSet, Profile, Rule, StagedGlobalNetworkPolicy,
    StagedKubernetesNetworkPolicy, StagedNetworkPolicy, Tier, WorkloadEndpoint,
};
use crate::values::{
    Action, IcmpMatch, IpVersion, PolicyType, Port, Protocol, StagedAction, TierAction,
};
use crate::yaml::de::PathLink;

/// Maximum rules per direction.
pub(crate) const MAX_RULES: usize = 1024;
/// Maximum entries of a `ports`/`notPorts` list.
pub(crate) const MAX_PORTS: usize = 50;
/// Maximum entries of a `nets`/`notNets` list.
pub(crate) const MAX_NETS: usize = 256;
/// Maximum length of a selector field.
pub(crate) const MAX_SELECTOR_LEN: usize = 1024;

/// The well-known tiers and what CEL requires of them: (name, order, default action).
pub const WELL_KNOWN_TIERS: [(&str, f64, TierAction); 3] = [
    ("kube-admin", 1000.0, TierAction::Pass),
    ("default", 1_000_000.0, TierAction::Deny),
    ("kube-baseline", 10_000_000.0, TierAction::Pass),
];

/// Where a rule lives, for the checks that depend on it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// A NetworkPolicy / StagedNetworkPolicy.
    Namespaced,
    /// A GlobalNetworkPolicy / StagedGlobalNetworkPolicy.
    Global,
    /// A Profile.
    Profile,
}

/// Selector length and `global()` placement. `rule_ns` marks an entity rule's namespaceSelector.
fn check_selector(
    selector: Option<&Selector>,
    path: &PathLink<'_>,
    global: GlobalRule,
    limit: bool,
    sink: &mut Sink,
) {
    let Some(selector) = selector else { return };
    let text = selector.source();
    if limit {
        let len = text.chars().count();
        if len > MAX_SELECTOR_LEN {
            sink.push(
                path,
                Check::SelectorTooLong,
                format!("selector is {len} characters long, expected at most {MAX_SELECTOR_LEN}"),
            );
        }
    }
    let placement = match global {
        GlobalRule::Forbidden => check_global_forbidden(text),
        GlobalRule::AloneOnly => check_namespace_selector_global(text),
        GlobalRule::Allowed => Ok(()),
    };
    if let Err(error) = placement {
        let first_line = error.to_string();
        let first_line = first_line.lines().next().unwrap_or_default().to_owned();
        sink.push(path, Check::GlobalPlacement, first_line);
    }
}

#[derive(Clone, Copy)]
enum GlobalRule {
    Forbidden,
    AloneOnly,
    Allowed,
}

fn check_types(types: &[PolicyType], path: &PathLink<'_>, sink: &mut Sink) {
    if types.len() > 2 {
        sink.push(
            path,
            Check::TypesCount,
            format!(
                "{} types given, expected at most 2 (Ingress, Egress)",
                types.len()
            ),
        );
    }
    for (i, t) in types.iter().enumerate() {
        if types[..i].contains(t) {
            sink.push(
                &PathLink::Index(path, i),
                Check::TypesDuplicate,
                format!("'{t}' type specified more than once"),
            );
        }
    }
}

/// The parts of a Calico policy spec that the checks need.
struct PolicyView<'a> {
    tier: Option<&'a str>,
    selector: Option<&'a Selector>,
    service_account_selector: Option<&'a Selector>,
    namespace_selector: Option<&'a Selector>,
    types: &'a [PolicyType],
    ingress: &'a [Rule],
    egress: &'a [Rule],
    owner: Owner,
}

fn check_policy(view: &PolicyView<'_>, sink: &mut Sink) {
    let root = PathLink::Root;
    let spec = PathLink::Key(&root, "spec");
    if let Some(tier) = view.tier
        && !is_dns_label(tier)
    {
        sink.push(
            &PathLink::Key(&spec, "tier"),
            Check::NameFormat,
            format!("invalid tier name `{tier}`: expected a DNS label (at most 63 characters of [a-z0-9] and `-`)"),
        );
    }
    check_selector(
        view.selector,
        &PathLink::Key(&spec, "selector"),
        GlobalRule::Forbidden,
        true,
        sink,
    );
    check_selector(
        view.service_account_selector,
        &PathLink::Key(&spec, "serviceAccountSelector"),
        GlobalRule::Forbidden,
        true,
        sink,
    );
    check_selector(
        view.namespace_selector,
        &PathLink::Key(&spec, "namespaceSelector"),
        GlobalRule::Forbidden,
        true,
        sink,
    );
    check_types(view.types, &PathLink::Key(&spec, "types"), sink);
    check_rules(
        view.ingress,
        PolicyType::Ingress,
        view.owner,
        &PathLink::Key(&spec, "ingress"),
        sink,
    );
    check_rules(
        view.egress,
        PolicyType::Egress,
        view.owner,
        &PathLink::Key(&spec, "egress"),
        sink,
    );
}

fn check_rules(
    rules: &[Rule],
    direction: PolicyType,
    owner: Owner,
    path: &PathLink<'_>,
    sink: &mut Sink,
) {
    if rules.len() > MAX_RULES {
        sink.push(
            path,
            Check::Length,
            format!("{} rules, expected at most {MAX_RULES}", rules.len()),
        );
    }
    for (i, rule) in rules.iter().enumerate() {
        check_rule(rule, direction, owner, &PathLink::Index(path, i), sink);
    }
}

fn check_rule(
    rule: &Rule,
    direction: PolicyType,
    owner: Owner,
    path: &PathLink<'_>,
    sink: &mut Sink,
) {
    let source = PathLink::Key(path, "source");
    let destination = PathLink::Key(path, "destination");
    check_entity(&rule.source, &source, sink);
    check_entity(&rule.destination, &destination, sink);

    // Services: direction and namespace.
    match direction {
        PolicyType::Egress if rule.source.services.is_some() => sink.push(
            &PathLink::Key(&source, "services"),
            Check::ServicesDirection,
            "`source.services` is not allowed in egress rules: expected `destination.services`",
        ),
        PolicyType::Ingress if rule.destination.services.is_some() => sink.push(
            &PathLink::Key(&destination, "services"),
            Check::ServicesDirection,
            "`destination.services` is not allowed in ingress rules: expected `source.services`",
        ),
        _ => {}
    }
    if owner == Owner::Global {
        let (side, at) = match direction {
            PolicyType::Ingress => (&rule.source, &source),
            PolicyType::Egress => (&rule.destination, &destination),
        };
        if let Some(services) = &side.services
            && services.namespace.is_empty()
        {
            sink.push(
                &PathLink::Key(&PathLink::Key(at, "services"), "namespace"),
                Check::ServicesNamespace,
                "missing `services.namespace`: a global policy must name the service's namespace",
            );
        }
    }

    // Ports need a port protocol (HEAD semantics).
    for (side, at) in [(&rule.source, &source), (&rule.destination, &destination)] {
        for (field, ports) in [("ports", &side.ports), ("notPorts", &side.not_ports)] {
            if ports.is_empty() {
                continue;
            }
            let at = PathLink::Key(at, field);
            match rule.protocol {
                None => {
                    if let Some(i) = ports.iter().position(|p| matches!(p, Port::Range(_))) {
                        sink.push(
                            &PathLink::Index(&at, i),
                            Check::PortsNeedProtocol,
                            "rules with numeric port or port range must set protocol to TCP or UDP or SCTP",
                        );
                    }
                }
                Some(protocol) if !protocol.supports_ports() => sink.push(
                    &at,
                    Check::PortsProtocol,
                    format!("rules that specify ports must set protocol to TCP or UDP or SCTP, found {protocol}"),
                ),
                Some(_) => {}
            }
        }
    }

    // ICMP.
    if rule.icmp.is_some() && !rule.protocol.is_some_and(Protocol::is_icmp_family) {
        sink.push(
            &PathLink::Key(path, "icmp"),
            Check::IcmpProtocol,
            "`icmp` requires protocol ICMP, ICMPv6, 1 or 58",
        );
    }
    for (field, icmp) in [("icmp", &rule.icmp), ("notICMP", &rule.not_icmp)] {
        if let Some(icmp) = icmp {
            check_icmp(icmp, &PathLink::Key(path, field), sink);
        }
    }
    for (field, protocol) in [
        ("protocol", rule.protocol),
        ("notProtocol", rule.not_protocol),
    ] {
        let required = match protocol.map(Protocol::number) {
            Some(1) => IpVersion::V4,
            Some(58) => IpVersion::V6,
            _ => continue,
        };
        if let Some(version) = rule.ip_version
            && version != required
        {
            sink.push(
                &PathLink::Key(path, field),
                Check::IcmpIpVersion,
                format!(
                    "{field} {} requires ipVersion {} (or none), found ipVersion {}",
                    protocol.map(|p| p.to_string()).unwrap_or_default(),
                    required.number(),
                    version.number()
                ),
            );
        }
    }

    // Nets: family consistency across the rule.
    let mut families = [false, false];
    for (side, at) in [(&rule.source, &source), (&rule.destination, &destination)] {
        for (field, nets) in [("nets", &side.nets), ("notNets", &side.not_nets)] {
            let at = PathLink::Key(at, field);
            for (i, net) in nets.iter().enumerate() {
                families[usize::from(matches!(net, IpNet::V6(_)))] = true;
                if let Some(version) = rule.ip_version {
                    let family = if matches!(net, IpNet::V4(_)) {
                        IpVersion::V4
                    } else {
                        IpVersion::V6
                    };
                    if family != version {
                        sink.push(
                            &PathLink::Index(&at, i),
                            Check::NetIpVersion,
                            format!(
                                "rule IP version doesn't match CIDR version: `{net}` is IPv{}, the rule has ipVersion {}",
                                family.number(),
                                version.number()
                            ),
                        );
                    }
                }
            }
        }
    }
    if families[0] && families[1] {
        sink.push(
            path,
            Check::NetMixedFamilies,
            "rule contains both IPv4 and IPv6 CIDRs: expected CIDRs of one family (write one rule per family)",
        );
    }

    // HTTP.
    if let Some(http) = &rule.http {
        let at = PathLink::Key(path, "http");
        if direction == PolicyType::Egress {
            sink.push(
                &at,
                Check::HttpEgress,
                "`http` is not allowed in egress rules (application-layer policy is ingress only)",
            );
        }
        if rule.action != Action::Allow {
            sink.push(
                &at,
                Check::HttpAction,
                format!(
                    "`http` is only allowed on Allow rules, found action {:?}",
                    rule.action
                ),
            );
        }
        if let Some(protocol) = rule.protocol
            && protocol.number() != 6
        {
            sink.push(
                &at,
                Check::HttpProtocol,
                format!("`http` requires protocol TCP (or none), found {protocol}"),
            );
        }
        check_http(http, &at, sink);
    }

    // Domains (Palisade extension): egress Allow destinations only.
    if !rule.source.domains.is_empty() {
        sink.push(
            &PathLink::Key(&source, "domains"),
            Check::DomainsPlacement,
            "`domains` is only allowed in `destination` (of egress Allow rules)",
        );
    }
    if !rule.destination.domains.is_empty()
        && (direction != PolicyType::Egress || rule.action != Action::Allow)
    {
        sink.push(
            &PathLink::Key(&destination, "domains"),
            Check::DomainsPlacement,
            "`destination.domains` is only allowed in egress rules with action Allow",
        );
    }

    // Rule annotations.
    if let Some(metadata) = &rule.metadata {
        check_annotations(
            &metadata.annotations,
            &PathLink::Key(&PathLink::Key(path, "metadata"), "annotations"),
            sink,
        );
    }
}

fn check_icmp(icmp: &IcmpMatch, path: &PathLink<'_>, sink: &mut Sink) {
    if icmp.code.is_some() && icmp.icmp_type.is_none() {
        sink.push(
            &PathLink::Key(path, "code"),
            Check::IcmpCodeWithoutType,
            "ICMP code specified without an ICMP type: expected `type` too",
        );
    }
    if icmp.icmp_type == Some(255) {
        sink.push(
            &PathLink::Key(path, "type"),
            Check::IcmpType,
            "ICMP type 255 is not allowed: expected a type 0-254",
        );
    }
}

fn check_http(http: &HttpMatch, path: &PathLink<'_>, sink: &mut Sink) {
    let methods = PathLink::Key(path, "methods");
    let paths = PathLink::Key(path, "paths");
    if http.methods.len() > 20 {
        sink.push(
            &methods,
            Check::Length,
            format!("{} methods, expected at most 20", http.methods.len()),
        );
    }
    if http.paths.len() > 20 {
        sink.push(
            &paths,
            Check::Length,
            format!("{} paths, expected at most 20", http.paths.len()),
        );
    }
    for (i, method) in http.methods.iter().enumerate() {
        if http.methods[..i].contains(method) {
            sink.push(
                &PathLink::Index(&methods, i),
                Check::HttpDuplicateMethod,
                format!("method `{method}` listed more than once"),
            );
        }
    }
    for (i, entry) in http.paths.iter().enumerate() {
        let at = PathLink::Index(&paths, i);
        let (field, value) = match (&entry.exact, &entry.prefix) {
            (Some(exact), None) => ("exact", exact),
            (None, Some(prefix)) => ("prefix", prefix),
            _ => {
                sink.push(
                    &at,
                    Check::HttpPath,
                    "expected exactly one of `exact` or `prefix` in an HTTP path match",
                );
                continue;
            }
        };
        let bad = value.len() > 1024 || !value.starts_with('/') || value.contains(['?', '#', ' ']);
        if bad {
            sink.push(
                &PathLink::Key(&at, field),
                Check::HttpPath,
                format!(
                    "invalid HTTP path {value:?}: expected at most 1024 characters, starting with `/`, without `?`, `#` or spaces"
                ),
            );
        }
    }
}

fn check_entity(entity: &EntityRule, path: &PathLink<'_>, sink: &mut Sink) {
    check_selector(
        entity.selector.as_ref(),
        &PathLink::Key(path, "selector"),
        GlobalRule::Forbidden,
        true,
        sink,
    );
    check_selector(
        entity.not_selector.as_ref(),
        &PathLink::Key(path, "notSelector"),
        GlobalRule::Allowed,
        true,
        sink,
    );
    check_selector(
        entity.namespace_selector.as_ref(),
        &PathLink::Key(path, "namespaceSelector"),
        GlobalRule::AloneOnly,
        true,
        sink,
    );

    for (field, nets) in [("nets", &entity.nets), ("notNets", &entity.not_nets)] {
        let at = PathLink::Key(path, field);
        if nets.len() > MAX_NETS {
            sink.push(
                &at,
                Check::Length,
                format!("{} CIDRs, expected at most {MAX_NETS}", nets.len()),
            );
        }
        for (i, net) in nets.iter().enumerate() {
            if net.trunc() != *net {
                sink.push(
                    &PathLink::Index(&at, i),
                    Check::NetMask,
                    format!(
                        "`{net}` has host bits set: expected the network address `{}`",
                        net.trunc()
                    ),
                );
            }
            if field == "notNets" && net.prefix_len() == 0 {
                sink.push(
                    &PathLink::Index(&at, i),
                    Check::NotNetsCatchAll,
                    format!("catch-all CIDR `{net}` in negation creates logical contradiction"),
                );
            }
        }
    }

    for (field, ports) in [("ports", &entity.ports), ("notPorts", &entity.not_ports)] {
        let at = PathLink::Key(path, field);
        if ports.len() > MAX_PORTS {
            sink.push(
                &at,
                Check::Length,
                format!("{} ports, expected at most {MAX_PORTS}", ports.len()),
            );
        }
        for (i, port) in ports.iter().enumerate() {
            if let Port::Named(name) = port
                && !name.is_valid_kubernetes_name()
            {
                sink.push(
                    &PathLink::Index(&at, i),
                    Check::PortName,
                    format!(
                        "invalid port name `{name}`: expected at most 15 characters of [a-z0-9-], with a letter, not starting or ending with `-`, without `--`"
                    ),
                );
            }
        }
    }

    if let Some(sa) = &entity.service_accounts {
        // ServiceAccountMatch.selector has no length limit (no MaxLength marker).
        check_selector(
            sa.selector.as_ref(),
            &PathLink::Key(&PathLink::Key(path, "serviceAccounts"), "selector"),
            GlobalRule::Allowed,
            false,
            sink,
        );
    }

    if let Some(services) = &entity.services {
        let at = PathLink::Key(path, "services");
        if services.name.is_empty() {
            sink.push(
                &PathLink::Key(&at, "name"),
                Check::ServicesName,
                "missing `services.name`: expected the name of a Service",
            );
        } else if !is_dns_subdomain(&services.name) {
            sink.push(
                &PathLink::Key(&at, "name"),
                Check::ServicesName,
                format!(
                    "invalid service name `{}`: expected a DNS subdomain",
                    services.name
                ),
            );
        }
        if !services.namespace.is_empty() && !is_dns_subdomain(&services.namespace) {
            sink.push(
                &PathLink::Key(&at, "namespace"),
                Check::ServicesName,
                format!(
                    "invalid service namespace `{}`: expected a DNS subdomain",
                    services.namespace
                ),
            );
        }
        let combined: Vec<&str> = [
            ("namespaceSelector", entity.namespace_selector.is_some()),
            ("selector", entity.selector.is_some()),
            ("notSelector", entity.not_selector.is_some()),
            ("serviceAccounts", entity.service_accounts.is_some()),
            ("nets", !entity.nets.is_empty()),
            ("notNets", !entity.not_nets.is_empty()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| name)
        .collect();
        if !combined.is_empty() {
            sink.push(
                &at,
                Check::ServicesCombined,
                format!(
                    "`services` cannot be combined with {} in the same entity rule",
                    combined
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        let is_destination = matches!(path, PathLink::Key(_, "destination"));
        if is_destination && (!entity.ports.is_empty() || !entity.not_ports.is_empty()) {
            sink.push(
                &at,
                Check::ServicesPorts,
                "a rule with `destination.services` cannot have `destination.ports` or `destination.notPorts` (the service's ports are used)",
            );
        }
    }

    for (i, domain) in entity.domains.iter().enumerate() {
        if !is_domain_name(domain) {
            sink.push(
                &PathLink::Index(&PathLink::Key(path, "domains"), i),
                Check::DomainName,
                format!("invalid domain name `{domain}`: expected dot-separated DNS labels, where `*` may stand for one whole label"),
            );
        }
    }
}

/// Validates a Calico NetworkPolicy.
pub fn validate_network_policy(policy: &NetworkPolicy) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(
        &policy.metadata,
        NameRule::NamespacedPolicy,
        true,
        &mut sink,
    );
    let s = &policy.spec;
    check_policy(
        &PolicyView {
            tier: s.tier.as_deref(),
            selector: s.selector.as_ref(),
            service_account_selector: s.service_account_selector.as_ref(),
            namespace_selector: None,
            types: &s.types,
            ingress: &s.ingress,
            egress: &s.egress,
            owner: Owner::Namespaced,
        },
        &mut sink,
    );
    sink.out
}

fn check_gnp_flags(
    do_not_track: bool,
    pre_dnat: bool,
    apply_on_forward: bool,
    types: &[PolicyType],
    egress: &[Rule],
    sink: &mut Sink,
) {
    let root = PathLink::Root;
    let spec = PathLink::Key(&root, "spec");
    if do_not_track && pre_dnat {
        sink.push(
            &PathLink::Key(&spec, "preDNAT"),
            Check::DoNotTrackAndPreDnat,
            "`doNotTrack` and `preDNAT` cannot both be true",
        );
    }
    if pre_dnat {
        if !egress.is_empty() {
            sink.push(
                &PathLink::Key(&spec, "egress"),
                Check::PreDnatEgress,
                "a preDNAT policy cannot have egress rules",
            );
        }
        if let Some(i) = types.iter().position(|t| *t == PolicyType::Egress) {
            sink.push(
                &PathLink::Index(&PathLink::Key(&spec, "types"), i),
                Check::PreDnatEgress,
                "a preDNAT policy cannot have `Egress` in types",
            );
        }
    }
    if (do_not_track || pre_dnat) && !apply_on_forward {
        sink.push(
            &PathLink::Key(&spec, "applyOnForward"),
            Check::ApplyOnForwardRequired,
            "`applyOnForward` must be true when `doNotTrack` or `preDNAT` is true",
        );
    }
}

/// Validates a Calico GlobalNetworkPolicy.
pub fn validate_global_network_policy(policy: &GlobalNetworkPolicy) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&policy.metadata, NameRule::GlobalPolicy, false, &mut sink);
    let s = &policy.spec;
    check_policy(
        &PolicyView {
            tier: s.tier.as_deref(),
            selector: s.selector.as_ref(),
            service_account_selector: s.service_account_selector.as_ref(),
            namespace_selector: s.namespace_selector.as_ref(),
            types: &s.types,
            ingress: &s.ingress,
            egress: &s.egress,
            owner: Owner::Global,
        },
        &mut sink,
    );
    check_gnp_flags(
        s.do_not_track,
        s.pre_dnat,
        s.apply_on_forward,
        &s.types,
        &s.egress,
        &mut sink,
    );
    sink.out
}

fn check_staged_delete(fields: &[(&'static str, bool)], sink: &mut Sink) {
    let root = PathLink::Root;
    let spec = PathLink::Key(&root, "spec");
    for (field, set) in fields {
        if *set {
            sink.push(
                &PathLink::Key(&spec, field),
                Check::StagedDeleteNotEmpty,
                format!(
                    "`{field}` must be empty when `stagedAction` is Delete (only `tier` may be set)"
                ),
            );
        }
    }
}

/// Validates a StagedNetworkPolicy: with `stagedAction: Delete` only `tier` may be set,
/// otherwise the enforced form is validated.
pub fn validate_staged_network_policy(policy: &StagedNetworkPolicy) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(
        &policy.metadata,
        NameRule::NamespacedPolicy,
        true,
        &mut sink,
    );
    let s = &policy.spec;
    if s.staged_action == Some(StagedAction::Delete) {
        check_staged_delete(
            &[
                ("order", s.order.is_some()),
                ("selector", s.selector.is_some()),
                ("types", !s.types.is_empty()),
                ("ingress", !s.ingress.is_empty()),
                ("egress", !s.egress.is_empty()),
                (
                    "serviceAccountSelector",
                    s.service_account_selector.is_some(),
                ),
                ("performanceHints", !s.performance_hints.is_empty()),
            ],
            &mut sink,
        );
    } else {
        check_policy(
            &PolicyView {
                tier: s.tier.as_deref(),
                selector: s.selector.as_ref(),
                service_account_selector: s.service_account_selector.as_ref(),
                namespace_selector: None,
                types: &s.types,
                ingress: &s.ingress,
                egress: &s.egress,
                owner: Owner::Namespaced,
            },
            &mut sink,
        );
    }
    sink.out
}

/// Validates a StagedGlobalNetworkPolicy.
pub fn validate_staged_global_network_policy(policy: &StagedGlobalNetworkPolicy) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&policy.metadata, NameRule::GlobalPolicy, false, &mut sink);
    let s = &policy.spec;
    if s.staged_action == Some(StagedAction::Delete) {
        check_staged_delete(
            &[
                ("order", s.order.is_some()),
                ("selector", s.selector.is_some()),
                ("types", !s.types.is_empty()),
                ("ingress", !s.ingress.is_empty()),
                ("egress", !s.egress.is_empty()),
                (
                    "serviceAccountSelector",
                    s.service_account_selector.is_some(),
                ),
                ("namespaceSelector", s.namespace_selector.is_some()),
                ("doNotTrack", s.do_not_track),
                ("preDNAT", s.pre_dnat),
                ("applyOnForward", s.apply_on_forward),
                ("performanceHints", !s.performance_hints.is_empty()),
            ],
            &mut sink,
        );
    } else {
        check_policy(
            &PolicyView {
                tier: s.tier.as_deref(),
                selector: s.selector.as_ref(),
                service_account_selector: s.service_account_selector.as_ref(),
                namespace_selector: s.namespace_selector.as_ref(),
                types: &s.types,
                ingress: &s.ingress,
                egress: &s.egress,
                owner: Owner::Global,
            },
            &mut sink,
        );
        check_gnp_flags(
            s.do_not_track,
            s.pre_dnat,
            s.apply_on_forward,
            &s.types,
            &s.egress,
            &mut sink,
        );
    }
    sink.out
}

/// Validates a StagedKubernetesNetworkPolicy: `Delete` needs an empty spec, otherwise the
/// Kubernetes NetworkPolicy rules apply.
pub fn validate_staged_kubernetes_network_policy(
    policy: &StagedKubernetesNetworkPolicy,
) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&policy.metadata, NameRule::Subdomain, true, &mut sink);
    let s = &policy.spec;
    if s.staged_action == Some(StagedAction::Delete) {
        check_staged_delete(
            &[
                ("podSelector", !s.pod_selector.is_empty()),
                ("ingress", !s.ingress.is_empty()),
                ("egress", !s.egress.is_empty()),
                ("policyTypes", !s.policy_types.is_empty()),
            ],
            &mut sink,
        );
    } else {
        super::kube::check_knp_spec(&s.enforced(), &mut sink);
    }
    sink.out
}

/// Validates a Tier: name, and the orders/actions of the well-known tiers.
pub fn validate_tier(tier: &Tier) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&tier.metadata, NameRule::Tier, false, &mut sink);
    let root = PathLink::Root;
    let spec = PathLink::Key(&root, "spec");
    if let Some((name, order, action)) = WELL_KNOWN_TIERS
        .iter()
        .find(|(n, _, _)| *n == tier.metadata.name)
    {
        if tier.spec.order != Some(*order) {
            sink.push(
                &PathLink::Key(&spec, "order"),
                Check::WellKnownTier,
                format!(
                    "the `{name}` tier must have order {order}, found {}",
                    tier.spec
                        .order
                        .map_or_else(|| "none".to_owned(), |o| o.to_string())
                ),
            );
        }
        let found = tier.spec.default_action.unwrap_or(TierAction::Deny);
        if found != *action {
            sink.push(
                &PathLink::Key(&spec, "defaultAction"),
                Check::WellKnownTier,
                format!("the `{name}` tier must have defaultAction {action:?}, found {found:?}"),
            );
        }
    }
    sink.out
}

fn check_endpoint_ports(
    ports: impl Iterator<Item = (usize, String, Protocol, u16)>,
    path: &PathLink<'_>,
    sink: &mut Sink,
) {
    let mut seen: Vec<String> = Vec::new();
    for (i, name, protocol, port) in ports {
        let at = PathLink::Index(path, i);
        if !is_port_name(&name) {
            sink.push(
                &PathLink::Key(&at, "name"),
                Check::PortName,
                format!("invalid port name `{name}`: expected at most 15 characters of [a-z0-9-], with a letter, not starting or ending with `-`, without `--`"),
            );
        }
        if seen.contains(&name) {
            sink.push(
                &PathLink::Key(&at, "name"),
                Check::DuplicatePortName,
                format!("port name `{name}` is used more than once on this endpoint"),
            );
        }
        seen.push(name);
        if !protocol.supports_ports() {
            sink.push(
                &PathLink::Key(&at, "protocol"),
                Check::EndpointPortProtocol,
                format!("endpoint port protocol must be TCP, UDP or SCTP, found {protocol}"),
            );
        }
        if port == 0 {
            sink.push(
                &PathLink::Key(&at, "port"),
                Check::PortNumber,
                "port 0: expected a port number 1-65535",
            );
        }
    }
}

fn endpoint_ports(
    ports: &[EndpointPort],
) -> impl Iterator<Item = (usize, String, Protocol, u16)> + '_ {
    ports
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.name.clone(), p.protocol, p.port))
}

/// Validates a HostEndpoint.
pub fn validate_host_endpoint(hep: &HostEndpoint) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&hep.metadata, NameRule::Subdomain, false, &mut sink);
    let root = PathLink::Root;
    let spec = PathLink::Key(&root, "spec");
    let s = &hep.spec;
    if s.node.is_empty() {
        sink.push(
            &PathLink::Key(&spec, "node"),
            Check::HostEndpointNode,
            "missing `spec.node`: a host endpoint needs the node that owns the interface",
        );
    }
    let interface = s.interface_name.as_deref().unwrap_or("");
    if interface.is_empty() && s.expected_ips.is_empty() {
        sink.push(
            &spec,
            Check::HostEndpointInterface,
            "a host endpoint needs `interfaceName` or `expectedIPs` (or both)",
        );
    }
    let valid_interface = interface == "*"
        || (interface.len() <= 15
            && interface
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')));
    if !interface.is_empty() && !valid_interface {
        sink.push(
            &PathLink::Key(&spec, "interfaceName"),
            Check::InterfaceName,
            format!("invalid interface name `{interface}`: expected `*` or 1-15 characters of [a-zA-Z0-9_.-]"),
        );
    }
    check_endpoint_ports(
        endpoint_ports(&s.ports),
        &PathLink::Key(&spec, "ports"),
        &mut sink,
    );
    sink.out
}

/// Validates a WorkloadEndpoint (ports and addresses, as the API server would).
pub fn validate_workload_endpoint(wep: &WorkloadEndpoint) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&wep.metadata, NameRule::Any, true, &mut sink);
    let root = PathLink::Root;
    let spec = PathLink::Key(&root, "spec");
    check_endpoint_ports(
        wep.spec
            .ports
            .iter()
            .enumerate()
            .map(|(i, p)| (i, p.name.clone(), p.protocol, p.port)),
        &PathLink::Key(&spec, "ports"),
        &mut sink,
    );
    let nats = PathLink::Key(&spec, "ipNATs");
    for (i, nat) in wep.spec.ip_nats.iter().enumerate() {
        if matches!(nat.internal_ip, IpAddr::V4(_)) != matches!(nat.external_ip, IpAddr::V4(_)) {
            sink.push(
                &PathLink::Index(&nats, i),
                Check::IpAddress,
                "internalIP and externalIP must be of the same IP family",
            );
        }
    }
    sink.out
}

fn check_network_set_labels(labels: &BTreeMap<String, String>, sink: &mut Sink) {
    if labels.contains_key("projectcalico.org/namespace") {
        let root = PathLink::Root;
        let meta = PathLink::Key(&root, "metadata");
        let labels_path = PathLink::Key(&meta, "labels");
        sink.push(
            &PathLink::Key(&labels_path, "projectcalico.org/namespace"),
            Check::ReservedLabel,
            "the label `projectcalico.org/namespace` is reserved: a network set may not carry it",
        );
    }
}

/// Validates a NetworkSet.
pub fn validate_network_set(set: &NetworkSet) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&set.metadata, NameRule::Subdomain, true, &mut sink);
    check_network_set_labels(&set.metadata.labels, &mut sink);
    sink.out
}

/// Validates a GlobalNetworkSet.
pub fn validate_global_network_set(set: &GlobalNetworkSet) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&set.metadata, NameRule::Subdomain, false, &mut sink);
    check_network_set_labels(&set.metadata.labels, &mut sink);
    sink.out
}

/// Validates a Profile: its rules and `labelsToApply`.
pub fn validate_profile(profile: &Profile) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&profile.metadata, NameRule::Any, false, &mut sink);
    let root = PathLink::Root;
    let spec = PathLink::Key(&root, "spec");
    check_rules(
        &profile.spec.ingress,
        PolicyType::Ingress,
        Owner::Profile,
        &PathLink::Key(&spec, "ingress"),
        &mut sink,
    );
    check_rules(
        &profile.spec.egress,
        PolicyType::Egress,
        Owner::Profile,
        &PathLink::Key(&spec, "egress"),
        &mut sink,
    );
    check_labels(
        &profile.spec.labels_to_apply,
        &PathLink::Key(&spec, "labelsToApply"),
        &mut sink,
    );
    sink.out
}

/// Validates a FelixConfiguration's policy-relevant fields.
pub fn validate_felix_configuration(config: &FelixConfiguration) -> Vec<Violation> {
    let mut sink = Sink::new();
    check_meta(&config.metadata, NameRule::Subdomain, false, &mut sink);
    let root = PathLink::Root;
    let spec = PathLink::Key(&root, "spec");
    for (field, ports) in [
        (
            "failsafeInboundHostPorts",
            &config.spec.failsafe_inbound_host_ports,
        ),
        (
            "failsafeOutboundHostPorts",
            &config.spec.failsafe_outbound_host_ports,
        ),
    ] {
        let at = PathLink::Key(&spec, field);
        for (i, entry) in ports.iter().flatten().enumerate() {
            if entry.port == 0 {
                sink.push(
                    &PathLink::Key(&PathLink::Index(&at, i), "port"),
                    Check::PortNumber,
                    "port 0: expected a port number 1-65535",
                );
            }
        }
    }
    sink.out
}
