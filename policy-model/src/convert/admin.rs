//! policy.networking.k8s.io kinds: AdminNetworkPolicy and BaselineAdminNetworkPolicy
//! (v1alpha1) and ClusterNetworkPolicy (v1alpha2) into global policies in the `kube-admin` and
//! `kube-baseline` tiers (SEMANTICS §2.8 last bullet, §5; NETWORK-POLICY-API.md).
//!
//! Subjects and `namespaces`/`pods` peers become Calico selectors with the same text a
//! Kubernetes NetworkPolicy would give (orchestrator clause, namespace selectors as
//! `namespaceSelector`), then go through the GlobalNetworkPolicy scoping. A rule that cannot be
//! converted fails closed: Deny and Pass rules become a Deny rule matching everything, Allow
//! (Accept) rules match nothing (NETWORK-POLICY-API.md §0).

use std::borrow::Cow;
use std::collections::BTreeMap;

use ipnet::IpNet;
use palisade_selector::Selector;

use super::context::{ConvertError, Ctx};
use super::policy::{PolicyParts, PolicyScope, build_policy};
use super::rules::SourceRule;
use super::selectors::{KubeSelectorKind, kube_selector_text, parse_generated};
use crate::admin::{
    AdminNetworkPolicySpec, AdminSubject, AnpAction, AnpEgressPeer, AnpIngressPeer, AnpPort,
    BanpAction, BaselineAdminNetworkPolicySpec, ClusterNetworkPolicySpec, CnpAction, CnpProtocol,
    CnpProtocolPort, CnpTier, NamespacedPod,
};
use crate::calico::{self, EntityRule};
use crate::kube::LabelSelector;
use crate::model::{Directions, Item, PolicyKind};
use crate::values::{Action, Port, PortName, PortRange, Protocol};

/// The tier of AdminNetworkPolicy and `tier: Admin` ClusterNetworkPolicy.
const ADMIN_TIER: &str = "kube-admin";
/// The tier of BaselineAdminNetworkPolicy and `tier: Baseline` ClusterNetworkPolicy.
const BASELINE_TIER: &str = "kube-baseline";

/// Which API the object comes from: decides the peer keys and required fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    /// v1alpha1 AdminNetworkPolicy.
    Admin,
    /// v1alpha1 BaselineAdminNetworkPolicy (no `domainNames`).
    Baseline,
    /// v1alpha2 ClusterNetworkPolicy (`pods.namespaceSelector` optional).
    Cluster,
}

impl Api {
    fn v1alpha1(self) -> bool {
        matches!(self, Api::Admin | Api::Baseline)
    }
}

/// AdminNetworkPolicy: tier `kube-admin`, order = priority.
pub(crate) fn admin_network_policy(ctx: &mut Ctx, spec: &AdminNetworkPolicySpec) -> Option<Item> {
    let ingress = rule_inputs(&spec.ingress, "ingress", "from", |r, path| {
        (
            anp_action(r.action),
            r.from.iter().map(PeerView::ingress).collect(),
            anp_ports(r.ports.as_deref(), &format!("{path}.ports")),
        )
    });
    let egress = rule_inputs(&spec.egress, "egress", "to", |r, path| {
        (
            anp_action(r.action),
            r.to.iter().map(PeerView::egress).collect(),
            anp_ports(r.ports.as_deref(), &format!("{path}.ports")),
        )
    });
    admin_policy(
        ctx,
        AdminInput {
            api: Api::Admin,
            kind: PolicyKind::AdminNetworkPolicy,
            tier: ADMIN_TIER,
            order: Some(f64::from(spec.priority)),
            subject: &spec.subject,
            ingress,
            egress,
        },
    )
}

/// BaselineAdminNetworkPolicy: tier `kube-baseline`. It has no priority and is a singleton; it
/// gets no order, so it sorts after every `tier: Baseline` ClusterNetworkPolicy (which all have
/// one) — the closest reading of "applies to traffic nothing else matched".
pub(crate) fn baseline_admin_network_policy(
    ctx: &mut Ctx,
    spec: &BaselineAdminNetworkPolicySpec,
) -> Option<Item> {
    if ctx.name() != "default" {
        ctx.warn(
            Some("metadata.name"),
            "a BaselineAdminNetworkPolicy must be named `default` (it is a singleton); converted \
             anyway",
        );
    }
    let ingress = rule_inputs(&spec.ingress, "ingress", "from", |r, path| {
        (
            banp_action(r.action),
            r.from.iter().map(PeerView::ingress).collect(),
            anp_ports(r.ports.as_deref(), &format!("{path}.ports")),
        )
    });
    let egress = rule_inputs(&spec.egress, "egress", "to", |r, path| {
        (
            banp_action(r.action),
            r.to.iter().map(PeerView::egress).collect(),
            anp_ports(r.ports.as_deref(), &format!("{path}.ports")),
        )
    });
    admin_policy(
        ctx,
        AdminInput {
            api: Api::Baseline,
            kind: PolicyKind::BaselineAdminNetworkPolicy,
            tier: BASELINE_TIER,
            order: None,
            subject: &spec.subject,
            ingress,
            egress,
        },
    )
}

/// ClusterNetworkPolicy: tier by `spec.tier`, order = priority, Accept → Allow.
pub(crate) fn cluster_network_policy(
    ctx: &mut Ctx,
    spec: &ClusterNetworkPolicySpec,
) -> Option<Item> {
    let ingress = rule_inputs(&spec.ingress, "ingress", "from", |r, path| {
        (
            cnp_action(r.action),
            r.from.iter().map(PeerView::ingress).collect(),
            cnp_protocols(r.protocols.as_deref(), &format!("{path}.protocols")),
        )
    });
    let egress = rule_inputs(&spec.egress, "egress", "to", |r, path| {
        (
            cnp_action(r.action),
            r.to.iter().map(PeerView::egress).collect(),
            cnp_protocols(r.protocols.as_deref(), &format!("{path}.protocols")),
        )
    });
    admin_policy(
        ctx,
        AdminInput {
            api: Api::Cluster,
            kind: PolicyKind::ClusterNetworkPolicy,
            tier: match spec.tier {
                CnpTier::Admin => ADMIN_TIER,
                CnpTier::Baseline => BASELINE_TIER,
            },
            order: Some(f64::from(spec.priority)),
            subject: &spec.subject,
            ingress,
            egress,
        },
    )
}

/// The rule inputs of one direction's rules: `parts` gives a rule's action, peers and ports from
/// the rule and its path (`spec.<direction>[i]`).
fn rule_inputs<'a, R>(
    rules: &'a [R],
    direction: &str,
    peers_key: &'static str,
    parts: impl Fn(&'a R, &str) -> (Action, Vec<PeerView<'a>>, AdminPorts),
) -> Vec<RuleInput<'a>> {
    rules
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            let path = format!("spec.{direction}[{index}]");
            let (action, peers, ports) = parts(rule, &path);
            RuleInput {
                action,
                peers,
                ports,
                path,
                peers_key,
                index,
            }
        })
        .collect()
}

fn anp_action(action: AnpAction) -> Action {
    match action {
        AnpAction::Allow => Action::Allow,
        AnpAction::Deny => Action::Deny,
        AnpAction::Pass => Action::Pass,
    }
}

fn banp_action(action: BanpAction) -> Action {
    match action {
        BanpAction::Allow => Action::Allow,
        BanpAction::Deny => Action::Deny,
    }
}

fn cnp_action(action: CnpAction) -> Action {
    match action {
        CnpAction::Accept => Action::Allow,
        CnpAction::Deny => Action::Deny,
        CnpAction::Pass => Action::Pass,
    }
}

/// An admin policy, reduced to what the conversion needs.
struct AdminInput<'a> {
    api: Api,
    kind: PolicyKind,
    tier: &'static str,
    order: Option<f64>,
    subject: &'a AdminSubject,
    ingress: Vec<RuleInput<'a>>,
    egress: Vec<RuleInput<'a>>,
}

/// One rule of any admin kind.
struct RuleInput<'a> {
    action: Action,
    peers: Vec<PeerView<'a>>,
    /// `None` = any port and protocol; else (protocol, port), protocol `None` for named ports.
    ports: AdminPorts,
    path: String,
    peers_key: &'static str,
    index: usize,
}

/// The keys of an ingress or egress peer.
#[derive(Clone, Copy)]
struct PeerView<'a> {
    namespaces: Option<&'a LabelSelector>,
    pods: Option<&'a NamespacedPod>,
    nodes: Option<&'a LabelSelector>,
    networks: Option<&'a [IpNet]>,
    domain_names: Option<&'a [String]>,
    egress: bool,
}

impl<'a> PeerView<'a> {
    fn ingress(peer: &'a AnpIngressPeer) -> PeerView<'a> {
        PeerView {
            namespaces: peer.namespaces.as_ref(),
            pods: peer.pods.as_ref(),
            nodes: None,
            networks: None,
            domain_names: None,
            egress: false,
        }
    }

    fn egress(peer: &'a AnpEgressPeer) -> PeerView<'a> {
        PeerView {
            namespaces: peer.namespaces.as_ref(),
            pods: peer.pods.as_ref(),
            nodes: peer.nodes.as_ref(),
            networks: peer.networks.as_deref(),
            domain_names: peer.domain_names.as_deref(),
            egress: true,
        }
    }
}

/// The selectors of a `namespaces` or `pods` peer.
struct PodTarget {
    selector: Selector,
    namespace_selector: Selector,
}

/// What one peer selects.
enum Target {
    /// Pods: a pod selector and a namespace selector (Calico rule `selector` and
    /// `namespaceSelector`).
    Pods(Box<PodTarget>),
    /// CIDRs.
    Networks(Vec<IpNet>),
    /// Domain names (the `domains` extension).
    Domains(Vec<String>),
    /// Nodes: without Node objects their addresses are unknown, so this matches nothing.
    Nodes,
}

fn admin_policy(ctx: &mut Ctx, input: AdminInput<'_>) -> Option<Item> {
    let (selector, namespace_selector) = match subject_selectors(ctx, input.subject, input.api) {
        Ok(selectors) => selectors,
        Err(error) => {
            ctx.error(
                Some("spec.subject"),
                format!("{error}; the policy is left out of the model"),
            );
            return None;
        }
    };
    // A policy takes part only in the directions it has rules for (NETWORK-POLICY-API.md §0;
    // `clusternetworkpolicy.go`).
    let directions = Directions {
        ingress: !input.ingress.is_empty(),
        egress: !input.egress.is_empty(),
    };
    let ingress = convert_admin_rules(ctx, input.ingress, input.api);
    let egress = convert_admin_rules(ctx, input.egress, input.api);
    let parts = PolicyParts {
        kind: input.kind,
        tier: Some(input.tier),
        order: input.order,
        scope: PolicyScope::Global {
            selector: Some(&selector),
            namespace_selector: Some(&namespace_selector),
            service_account_selector: None,
        },
        directions,
        ingress,
        egress,
        staged: false,
        do_not_track: false,
        pre_dnat: false,
        apply_on_forward: false,
    };
    build_policy(ctx, parts)
}

/// The subject as a pod selector (with the orchestrator clause) and a namespace selector.
fn subject_selectors(
    ctx: &mut Ctx,
    subject: &AdminSubject,
    api: Api,
) -> Result<(Selector, Selector), ConvertError> {
    let pods = match (&subject.namespaces, &subject.pods) {
        (Some(namespaces), None) => {
            return Ok((
                parse_generated(&kube_selector_text(None, KubeSelectorKind::Pod))?,
                parse_generated(&kube_selector_text(
                    Some(namespaces),
                    KubeSelectorKind::Namespace,
                ))?,
            ));
        }
        (None, Some(pods)) => pods,
        (namespaces, pods) => {
            return Err(ConvertError::OneOf {
                what: "the subject",
                keys: "namespaces, pods",
                found: usize::from(namespaces.is_some()) + usize::from(pods.is_some()),
            });
        }
    };
    let empty = LabelSelector::default();
    if api.v1alpha1() && pods.namespace_selector.is_none() {
        ctx.warn(
            Some("spec.subject.pods.namespaceSelector"),
            "namespaceSelector is required in v1alpha1; taken as `{}` (all namespaces)",
        );
    }
    if pods.pod_selector.is_none() {
        ctx.warn(
            Some("spec.subject.pods.podSelector"),
            "podSelector is required; taken as `{}` (all pods)",
        );
    }
    Ok((
        parse_generated(&kube_selector_text(
            Some(pods.pod_selector.as_ref().unwrap_or(&empty)),
            KubeSelectorKind::Pod,
        ))?,
        parse_generated(&kube_selector_text(
            Some(pods.namespace_selector.as_ref().unwrap_or(&empty)),
            KubeSelectorKind::Namespace,
        ))?,
    ))
}

fn convert_admin_rules(
    ctx: &mut Ctx,
    rules: Vec<RuleInput<'_>>,
    api: Api,
) -> Vec<SourceRule<'static>> {
    let mut out = Vec::new();
    for input in rules {
        let index = u32::try_from(input.index).unwrap_or(u32::MAX);
        let (action, rule_path) = (input.action, input.path.clone());
        match admin_rule(ctx, input, api) {
            Ok(rules) => out.extend(rules.into_iter().map(|rule| SourceRule {
                rule: Cow::Owned(rule),
                index,
                path: rule_path.clone(),
            })),
            Err((path, error)) => {
                let outcome = match action {
                    Action::Deny | Action::Pass => {
                        out.push(SourceRule {
                            rule: Cow::Owned(calico::Rule::new(Action::Deny)),
                            index,
                            path: rule_path,
                        });
                        "the rule is replaced by a Deny rule that matches all traffic (fail closed)"
                    }
                    Action::Allow | Action::Log => "the rule matches nothing (fail closed)",
                };
                ctx.error(Some(&path), format!("{error}; {outcome}"));
            }
        }
    }
    out
}

/// One admin rule as Calico rules: one per (port group × peer).
fn admin_rule(
    ctx: &mut Ctx,
    input: RuleInput<'_>,
    api: Api,
) -> Result<Vec<calico::Rule>, (String, ConvertError)> {
    if input.peers.is_empty() {
        return Err((
            format!("{}.{}", input.path, input.peers_key),
            ConvertError::Invalid(format!("`{}` must list at least one peer", input.peers_key)),
        ));
    }
    let mut targets = Vec::with_capacity(input.peers.len());
    for (j, peer) in input.peers.iter().enumerate() {
        let path = format!("{}.{}[{j}]", input.path, input.peers_key);
        let target = peer_target(peer, api).map_err(|e| (path.clone(), e))?;
        match &target {
            Target::Nodes => ctx.warn(
                Some(&path),
                "a `nodes` peer matches the addresses of the selected Node objects; Palisade \
                 loads no Node objects, so this peer matches nothing",
            ),
            Target::Domains(domains) => {
                if input.action != Action::Allow {
                    ctx.warn(
                        Some(&path),
                        "domainNames are meant for Allow rules only; Palisade honours domains \
                         only on egress Allow rules (SEMANTICS §0)",
                    );
                }
                if domains.iter().any(|d| d.starts_with("*.")) {
                    ctx.warn(
                        Some(&path),
                        "a `*.` domain name matches one or more labels upstream, but Palisade's \
                         `*` matches exactly one label (SEMANTICS §0)",
                    );
                }
            }
            Target::Pods(_) | Target::Networks(_) => {}
        }
        targets.push(target);
    }
    let ports = input.ports?;
    let named = ports
        .iter()
        .flatten()
        .any(|(_, port)| matches!(port, Port::Named(_)));
    if named && targets.iter().any(|t| !matches!(t, Target::Pods(_))) {
        return Err((
            input.path.clone(),
            ConvertError::Invalid(
                "a named port cannot be combined with a networks, nodes or domainNames peer \
                 (named ports resolve on pods)"
                    .to_owned(),
            ),
        ));
    }
    let groups: Vec<(Option<Protocol>, Vec<Port>)> = match ports {
        None => vec![(None, Vec::new())],
        Some(list) => {
            let mut by_protocol: BTreeMap<Option<Protocol>, Vec<Port>> = BTreeMap::new();
            for (protocol, port) in list {
                by_protocol.entry(protocol).or_default().push(port);
            }
            by_protocol.into_iter().collect()
        }
    };
    let egress = input.peers.first().is_some_and(|p| p.egress);
    let mut rules = Vec::new();
    for (protocol, ports) in &groups {
        for target in &targets {
            let entity = match target {
                Target::Pods(pods) => EntityRule {
                    selector: Some(pods.selector.clone()),
                    namespace_selector: Some(pods.namespace_selector.clone()),
                    ..EntityRule::default()
                },
                Target::Networks(nets) => EntityRule {
                    nets: nets.clone(),
                    ..EntityRule::default()
                },
                Target::Domains(domains) => EntityRule {
                    domains: domains.clone(),
                    ..EntityRule::default()
                },
                Target::Nodes => continue,
            };
            let mut rule = calico::Rule::new(input.action);
            rule.protocol = *protocol;
            if egress {
                rule.destination = entity;
            } else {
                rule.source = entity;
            }
            rule.destination.ports = ports.clone();
            rules.push(rule);
        }
    }
    Ok(rules)
}

fn peer_target(peer: &PeerView<'_>, api: Api) -> Result<Target, ConvertError> {
    let found = [
        peer.namespaces.is_some(),
        peer.pods.is_some(),
        peer.nodes.is_some(),
        peer.networks.is_some(),
        peer.domain_names.is_some(),
    ]
    .into_iter()
    .filter(|set| *set)
    .count();
    if found != 1 {
        return Err(ConvertError::OneOf {
            what: "a peer",
            keys: if peer.egress {
                "namespaces, pods, nodes, networks, domainNames"
            } else {
                "namespaces, pods"
            },
            found,
        });
    }
    if let Some(namespaces) = peer.namespaces {
        return Ok(Target::Pods(Box::new(PodTarget {
            selector: parse_generated(&kube_selector_text(None, KubeSelectorKind::Pod))?,
            namespace_selector: parse_generated(&kube_selector_text(
                Some(namespaces),
                KubeSelectorKind::Namespace,
            ))?,
        })));
    }
    if let Some(pods) = peer.pods {
        let Some(pod_selector) = &pods.pod_selector else {
            return Err(ConvertError::Invalid(
                "`pods.podSelector` is required".to_owned(),
            ));
        };
        let empty = LabelSelector::default();
        let namespace_selector = match (&pods.namespace_selector, api.v1alpha1()) {
            (Some(selector), _) => selector,
            // v1alpha2: optional, absent = all namespaces.
            (None, false) => &empty,
            (None, true) => {
                return Err(ConvertError::Invalid(
                    "`pods.namespaceSelector` is required in v1alpha1".to_owned(),
                ));
            }
        };
        return Ok(Target::Pods(Box::new(PodTarget {
            selector: parse_generated(&kube_selector_text(
                Some(pod_selector),
                KubeSelectorKind::Pod,
            ))?,
            namespace_selector: parse_generated(&kube_selector_text(
                Some(namespace_selector),
                KubeSelectorKind::Namespace,
            ))?,
        })));
    }
    if peer.nodes.is_some() {
        return Ok(Target::Nodes);
    }
    if let Some(networks) = peer.networks {
        if networks.is_empty() {
            return Err(ConvertError::Invalid(
                "`networks` must list at least one CIDR".to_owned(),
            ));
        }
        return Ok(Target::Networks(
            networks.iter().map(IpNet::trunc).collect(),
        ));
    }
    if let Some(domains) = peer.domain_names {
        if api == Api::Baseline {
            return Err(ConvertError::Invalid(
                "`domainNames` is not a BaselineAdminNetworkPolicy peer".to_owned(),
            ));
        }
        if domains.is_empty() {
            return Err(ConvertError::Invalid(
                "`domainNames` must list at least one name".to_owned(),
            ));
        }
        // A trailing dot (a fully-qualified name) names the same domain.
        return Ok(Target::Domains(
            domains
                .iter()
                .map(|d| d.strip_suffix('.').unwrap_or(d).to_owned())
                .collect(),
        ));
    }
    Err(ConvertError::OneOf {
        what: "a peer",
        keys: "namespaces, pods, nodes, networks, domainNames",
        found: 0,
    })
}

fn port_number(value: i32, what: &str) -> Result<PortRange, ConvertError> {
    u16::try_from(value)
        .ok()
        .and_then(PortRange::single)
        .ok_or_else(|| ConvertError::Invalid(format!("{what} {value} is not a port 1-65535")))
}

fn port_range(start: i32, end: i32) -> Result<Port, ConvertError> {
    let (start, end) = (
        port_number(start, "start")?.min(),
        port_number(end, "end")?.min(),
    );
    PortRange::new(start, end).map(Port::Range).ok_or_else(|| {
        ConvertError::Invalid(format!("port range {start}-{end} has start after end"))
    })
}

fn named_port(name: &str) -> Result<Port, ConvertError> {
    PortName::parse(name)
        .map(Port::Named)
        .ok_or_else(|| ConvertError::Invalid(format!("`{name}` is not a valid port name")))
}

type AdminPorts = Result<Option<Vec<(Option<Protocol>, Port)>>, (String, ConvertError)>;

/// v1alpha1 `ports`: each exactly one of `portNumber`, `portRange`, `namedPort`.
fn anp_ports(ports: Option<&[AnpPort]>, path: &str) -> AdminPorts {
    let Some(ports) = ports else {
        return Ok(None);
    };
    if ports.is_empty() {
        return Err((
            path.to_owned(),
            ConvertError::Invalid("`ports` must not be empty when present".to_owned()),
        ));
    }
    let mut out = Vec::with_capacity(ports.len());
    for (j, port) in ports.iter().enumerate() {
        let at = |e| (format!("{path}[{j}]"), e);
        let found = usize::from(port.port_number.is_some())
            + usize::from(port.port_range.is_some())
            + usize::from(port.named_port.is_some());
        if found != 1 {
            return Err(at(ConvertError::OneOf {
                what: "a port",
                keys: "portNumber, portRange, namedPort",
                found,
            }));
        }
        let converted = if let Some(n) = &port.port_number {
            port_number(n.port, "port").map(|p| (Some(n.protocol.to_calico()), Port::Range(p)))
        } else if let Some(r) = &port.port_range {
            port_range(r.start, r.end).map(|p| (Some(r.protocol.to_calico()), p))
        } else if let Some(name) = &port.named_port {
            named_port(name).map(|p| (None, p))
        } else {
            Err(ConvertError::OneOf {
                what: "a port",
                keys: "portNumber, portRange, namedPort",
                found: 0,
            })
        };
        out.push(converted.map_err(at)?);
    }
    Ok(Some(out))
}

/// v1alpha2 `protocols`: each exactly one of `tcp`, `udp`, `sctp`, `destinationNamedPort`.
fn cnp_protocols(protocols: Option<&[CnpProtocol]>, path: &str) -> AdminPorts {
    let Some(protocols) = protocols else {
        return Ok(None);
    };
    if protocols.is_empty() {
        return Err((
            path.to_owned(),
            ConvertError::Invalid("`protocols` must not be empty when present".to_owned()),
        ));
    }
    let mut out = Vec::with_capacity(protocols.len());
    for (j, item) in protocols.iter().enumerate() {
        let at = |e| (format!("{path}[{j}]"), e);
        let keyed = [
            (Protocol::Tcp, item.tcp.as_ref()),
            (Protocol::Udp, item.udp.as_ref()),
            (Protocol::Sctp, item.sctp.as_ref()),
        ];
        let found = keyed.iter().filter(|(_, p)| p.is_some()).count()
            + usize::from(item.destination_named_port.is_some());
        if found != 1 {
            return Err(at(ConvertError::OneOf {
                what: "a protocols item",
                keys: "tcp, udp, sctp, destinationNamedPort",
                found,
            }));
        }
        let converted = match keyed.iter().find_map(|(proto, p)| p.map(|p| (*proto, p))) {
            Some((protocol, port)) => cnp_port(port).map(|p| (Some(protocol), p)),
            None => match &item.destination_named_port {
                Some(name) => named_port(name).map(|p| (None, p)),
                None => Err(ConvertError::OneOf {
                    what: "a protocols item",
                    keys: "tcp, udp, sctp, destinationNamedPort",
                    found: 0,
                }),
            },
        };
        out.push(converted.map_err(at)?);
    }
    Ok(Some(out))
}

/// `{destinationPort: {number | range}}` (`tcp: {}` is invalid; `number: 0` is unset).
fn cnp_port(port: &CnpProtocolPort) -> Result<Port, ConvertError> {
    let Some(destination) = &port.destination_port else {
        return Err(ConvertError::Invalid(
            "`destinationPort` is required".to_owned(),
        ));
    };
    let number = destination.number.filter(|n| *n != 0);
    match (number, &destination.range) {
        (Some(n), None) => port_number(n, "port").map(Port::Range),
        (None, Some(range)) => port_range(range.start, range.end),
        (n, r) => Err(ConvertError::OneOf {
            what: "destinationPort",
            keys: "number, range",
            found: usize::from(n.is_some()) + usize::from(r.is_some()),
        }),
    }
}
