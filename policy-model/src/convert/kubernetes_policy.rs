//! Kubernetes NetworkPolicy (and StagedKubernetesNetworkPolicy) into Calico rules, then into the
//! model as a namespaced policy (SEMANTICS §2.8, `conversion.go:K8sNetworkPolicyToCalico`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use ipnet::IpNet;
use palisade_selector::Selector;

use super::context::{ConvertError, Ctx};
use super::policy::{PolicyParts, PolicyScope, build_policy};
use super::rules::SourceRule;
use super::selectors::{KubeSelectorKind, kube_selector, kube_selector_text, parse_generated};
use crate::calico::{self, EntityRule};
use crate::kube::{
    KubeProtocol, KubernetesNetworkPolicySpec, NetworkPolicyPeer, NetworkPolicyPort,
};
use crate::model::{Directions, Item, PolicyKind};
use crate::values::{Action, PolicyType, Port, PortRange, Protocol};

/// The order every Kubernetes NetworkPolicy gets (§2.8).
pub(crate) const KUBERNETES_POLICY_ORDER: f64 = 1000.0;

/// Converts a (staged) Kubernetes NetworkPolicy: tier `default`, order 1000, every rule Allow.
pub(crate) fn kubernetes_network_policy(
    ctx: &mut Ctx,
    spec: &KubernetesNetworkPolicySpec,
    kind: PolicyKind,
) -> Option<Item> {
    let pod_selector = match parse_generated(&kube_selector_text(
        Some(&spec.pod_selector),
        KubeSelectorKind::Pod,
    )) {
        Ok(selector) => selector,
        Err(error) => {
            ctx.error(
                Some("spec.podSelector"),
                format!("{error}; the policy is left out of the model"),
            );
            return None;
        }
    };
    let mut ingress = Vec::new();
    for (i, rule) in spec.ingress.iter().enumerate() {
        let path = format!("spec.ingress[{i}]");
        let converted = kubernetes_rules(&rule.from, &rule.ports, true, &path, "from");
        push_rules(ctx, &mut ingress, converted, i, path);
    }
    let mut egress = Vec::new();
    for (i, rule) in spec.egress.iter().enumerate() {
        let path = format!("spec.egress[{i}]");
        let converted = kubernetes_rules(&rule.to, &rule.ports, false, &path, "to");
        push_rules(ctx, &mut egress, converted, i, path);
    }
    let directions = kubernetes_directions(ctx, spec);
    let parts = PolicyParts {
        kind,
        tier: Some("default"),
        order: Some(KUBERNETES_POLICY_ORDER),
        scope: PolicyScope::Namespaced {
            selector: Some(&pod_selector),
            service_account_selector: None,
        },
        directions,
        ingress,
        egress,
        staged: kind.is_staged(),
        do_not_track: false,
        pre_dnat: false,
        apply_on_forward: false,
    };
    build_policy(ctx, parts)
}

fn push_rules(
    ctx: &mut Ctx,
    out: &mut Vec<SourceRule<'static>>,
    converted: Result<Vec<calico::Rule>, (String, ConvertError)>,
    index: usize,
    path: String,
) {
    match converted {
        Ok(rules) => out.extend(rules.into_iter().map(|rule| SourceRule {
            rule: Cow::Owned(rule),
            index: u32::try_from(index).unwrap_or(u32::MAX),
            path: path.clone(),
        })),
        Err((where_, error)) => ctx.error(
            Some(&where_),
            format!(
                "{error}; the rule is dropped (Kubernetes NetworkPolicy rules only allow, so \
                 this denies what the rule would have allowed)"
            ),
        ),
    }
}

/// `policyTypes`; empty → `[Ingress]`. Egress rules without the Egress type are kept (they
/// never apply) with a warning, as Calico does.
fn kubernetes_directions(ctx: &mut Ctx, spec: &KubernetesNetworkPolicySpec) -> Directions {
    let ingress = spec.policy_types.contains(&PolicyType::Ingress);
    let egress = spec.policy_types.contains(&PolicyType::Egress);
    if !egress && !spec.egress.is_empty() {
        ctx.warn(
            Some("spec.policyTypes"),
            "the policy has egress rules but policyTypes does not include Egress; the egress \
             rules never apply",
        );
    }
    if !ingress && !egress {
        return Directions {
            ingress: true,
            egress: false,
        };
    }
    Directions { ingress, egress }
}

/// The Calico fields of one peer (`k8sPeerToCalicoFields`).
#[derive(Debug, Default, Clone)]
struct PeerFields {
    selector: Option<Selector>,
    namespace_selector: Option<Selector>,
    nets: Vec<IpNet>,
    not_nets: Vec<IpNet>,
}

fn peer_fields(peer: &NetworkPolicyPeer) -> Result<PeerFields, ConvertError> {
    if let Some(block) = &peer.ip_block {
        // Re-printed through cnet.ParseCIDR: host bits cleared. An ipBlock excludes selectors.
        return Ok(PeerFields {
            nets: vec![block.cidr.trunc()],
            not_nets: block.except.iter().map(IpNet::trunc).collect(),
            ..PeerFields::default()
        });
    }
    Ok(PeerFields {
        selector: kube_selector(peer.pod_selector.as_ref(), KubeSelectorKind::Pod)?,
        namespace_selector: kube_selector(
            peer.namespace_selector.as_ref(),
            KubeSelectorKind::Namespace,
        )?,
        ..PeerFields::default()
    })
}

/// `k8sPortToCalicoFields`: the protocol (default TCP) and the port as Calico parses
/// `port[:endPort]`; no port means every port of the protocol.
fn port_fields(port: &NetworkPolicyPort) -> Result<(KubeProtocol, Option<Port>), ConvertError> {
    let protocol = port.protocol.unwrap_or(KubeProtocol::Tcp);
    let Some(number_or_name) = &port.port else {
        return Ok((protocol, None));
    };
    let mut text = number_or_name.to_string();
    if let Some(end) = port.end_port {
        text = format!("{text}:{end}");
    }
    match Port::parse(&text) {
        Ok(parsed) => Ok((protocol, Some(parsed))),
        Err(reason) => Err(ConvertError::Port { text, reason }),
    }
}

/// `k8sRuleToCalico`: one Allow rule per (protocol × peer), protocols in sorted order, each with
/// the protocol's simplified ports. A port entry without a port number means every port of its
/// protocol and wins over numbered entries of the same protocol; no ports at all means any
/// protocol and port; no peers means any peer.
fn kubernetes_rules(
    peers: &[NetworkPolicyPeer],
    ports: &[NetworkPolicyPort],
    ingress: bool,
    path: &str,
    peers_key: &str,
) -> Result<Vec<calico::Rule>, (String, ConvertError)> {
    let mut peer_list: Vec<PeerFields> = Vec::with_capacity(peers.len().max(1));
    for (j, peer) in peers.iter().enumerate() {
        peer_list.push(peer_fields(peer).map_err(|e| (format!("{path}.{peers_key}[{j}]"), e))?);
    }
    if peer_list.is_empty() {
        peer_list.push(PeerFields::default());
    }

    // Protocol name → ports (`None` = every port of that protocol). Keyed by the name Calico
    // sorts on, so the rules come out in Calico's order (SCTP, TCP, UDP).
    let mut groups: BTreeMap<&'static str, (Protocol, Option<Vec<Port>>)> = BTreeMap::new();
    for (j, port) in ports.iter().enumerate() {
        let (protocol, port) = port_fields(port).map_err(|e| (format!("{path}.ports[{j}]"), e))?;
        let protocol = protocol.to_calico();
        let key = protocol.name().unwrap_or("");
        match (groups.entry(key), port) {
            (Entry::Vacant(slot), port) => {
                slot.insert((protocol, port.map(|p| vec![p])));
            }
            (Entry::Occupied(mut slot), None) => slot.get_mut().1 = None,
            (Entry::Occupied(mut slot), Some(port)) => {
                if let Some(list) = &mut slot.get_mut().1 {
                    list.push(port);
                }
            }
        }
    }
    let groups: Vec<(Option<Protocol>, Vec<Port>)> = if groups.is_empty() {
        vec![(None, Vec::new())]
    } else {
        groups
            .into_values()
            .map(|(protocol, ports)| (Some(protocol), simplify_ports(ports.unwrap_or_default())))
            .collect()
    };

    let mut rules = Vec::with_capacity(groups.len() * peer_list.len());
    for (protocol, ports) in &groups {
        for peer in &peer_list {
            let mut rule = calico::Rule::new(Action::Allow);
            rule.protocol = *protocol;
            let entity = EntityRule {
                nets: peer.nets.clone(),
                not_nets: peer.not_nets.clone(),
                selector: peer.selector.clone(),
                namespace_selector: peer.namespace_selector.clone(),
                ..EntityRule::default()
            };
            if ingress {
                rule.source = entity;
            } else {
                rule.destination = entity;
            }
            rule.destination.ports = ports.clone();
            rules.push(rule);
        }
    }
    Ok(rules)
}

/// Calico `SimplifyPorts`: named ports first (in input order), then the numeric ports and
/// ranges sorted and merged where they overlap or touch (`1,2,3,4,80:81,81:90` → `1:4,80:90`).
pub(crate) fn simplify_ports(ports: Vec<Port>) -> Vec<Port> {
    if ports.len() <= 1 {
        return ports;
    }
    let mut out = Vec::with_capacity(ports.len());
    let mut ranges: Vec<PortRange> = Vec::new();
    for port in ports {
        match port {
            Port::Named(_) => out.push(port),
            Port::Range(range) => ranges.push(range),
        }
    }
    ranges.sort();
    let mut merged: Vec<PortRange> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if u32::from(range.min()) <= u32::from(PortRange::max(*last)) + 1 => {
                if range.max() > PortRange::max(*last)
                    && let Some(wider) = PortRange::new(PortRange::min(*last), range.max())
                {
                    *last = wider;
                }
            }
            _ => merged.push(range),
        }
    }
    out.extend(merged.into_iter().map(Port::Range));
    out
}
