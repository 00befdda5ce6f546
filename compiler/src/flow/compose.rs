//! [`evaluate_flow`]: DECISIONS D6 — which endpoint hooks a flow passes and in which order.

use std::net::IpAddr;

use palisade_policy_model::calico::EndpointToHostAction;
use palisade_policy_model::model::{EndpointKey, HostEndpoint, Model, WorkloadEndpoint};
use palisade_policy_model::values::IpVersion;

use super::result::FlowResult;
use super::{DEFAULT_SOURCE_PORT, Flow, FlowError, Peer, has_ports};
use crate::decision::{Decision, Verdict};
use crate::engine::{Engine, HttpRequest};
use crate::ir::{Hook, Origin, ProgramTarget};
use crate::packet::{L4, PROTO_ICMP, PROTO_ICMPV6, PacketRepr, icmp_protocol_for};

/// A resolved side of a flow.
enum Side<'m> {
    Workload(&'m WorkloadEndpoint, Option<IpAddr>),
    Host(&'m HostEndpoint, Option<IpAddr>),
    Outside(IpAddr),
}

impl Side<'_> {
    fn literal(&self) -> Option<IpAddr> {
        match self {
            Side::Workload(_, ip) | Side::Host(_, ip) => *ip,
            Side::Outside(ip) => Some(*ip),
        }
    }

    fn name(&self) -> String {
        match self {
            Side::Workload(w, _) => w.key.to_string(),
            Side::Host(h, _) => h.key.to_string(),
            Side::Outside(ip) => ip.to_string(),
        }
    }

    /// The side's addresses, in order.
    fn addresses(&self) -> Vec<IpAddr> {
        match self {
            Side::Workload(w, None) => w.ips.iter().map(|n| n.addr()).collect(),
            Side::Host(h, None) => h.expected_ips.clone(),
            other => other.literal().into_iter().collect(),
        }
    }

    fn node(&self) -> Option<&str> {
        match self {
            Side::Workload(w, _) => w.node.as_deref(),
            Side::Host(h, _) => Some(&h.node),
            Side::Outside(_) => None,
        }
    }
}

fn family(ip: IpAddr) -> IpVersion {
    if ip.is_ipv4() {
        IpVersion::V4
    } else {
        IpVersion::V6
    }
}

fn resolve_peer<'m>(model: &'m Model, peer: &Peer) -> Result<Side<'m>, FlowError> {
    match peer {
        Peer::Endpoint(key @ EndpointKey::Workload { .. }) => model
            .workload(key)
            .map(|w| Side::Workload(w, None))
            .ok_or_else(|| FlowError::UnknownEndpoint(key.to_string())),
        Peer::Endpoint(key @ EndpointKey::Host { .. }) => model
            .host_endpoint(key)
            .map(|h| Side::Host(h, None))
            .ok_or_else(|| FlowError::UnknownEndpoint(key.to_string())),
        Peer::Ip(ip) => {
            let workloads: Vec<&WorkloadEndpoint> = model
                .workloads()
                .filter(|w| w.ips.iter().any(|n| n.addr() == *ip))
                .collect();
            let hosts: Vec<&HostEndpoint> = model
                .host_endpoints()
                .filter(|h| h.expected_ips.contains(ip))
                .collect();
            match (&workloads[..], &hosts[..]) {
                ([], []) => Ok(Side::Outside(*ip)),
                ([w], []) => Ok(Side::Workload(w, Some(*ip))),
                ([], [h]) => Ok(Side::Host(h, Some(*ip))),
                _ => Err(FlowError::AmbiguousIp {
                    ip: *ip,
                    owners: workloads
                        .iter()
                        .map(|w| w.key.to_string())
                        .chain(hosts.iter().map(|h| h.key.to_string()))
                        .collect(),
                }),
            }
        }
    }
}

/// D6's family choice: the flow's `ipVersion`, else an IP literal's family, else (an ICMP type
/// given for ICMP or ICMPv6 implies its family) IPv4 when both named sides have an IPv4 address,
/// else IPv6.
fn choose_family(flow: &Flow, src: &Side<'_>, dst: &Side<'_>) -> Result<IpVersion, FlowError> {
    let literals: Vec<IpVersion> = [src.literal(), dst.literal()]
        .into_iter()
        .flatten()
        .map(family)
        .collect();
    if let [a, b] = literals[..]
        && a != b
    {
        return Err(FlowError::Invalid(
            "the source and destination addresses are of different IP families".to_owned(),
        ));
    }
    if let Some(v) = flow.ip_version {
        if literals.iter().any(|f| *f != v) {
            return Err(FlowError::Invalid(format!(
                "ipVersion {} does not match the IP address given",
                v.number()
            )));
        }
        return Ok(v);
    }
    if let Some(v) = literals.first() {
        return Ok(*v);
    }
    if !flow.fragment && flow.icmp_type.is_some() {
        match flow.protocol {
            PROTO_ICMPV6 => return Ok(IpVersion::V6),
            PROTO_ICMP => return Ok(IpVersion::V4),
            _ => {}
        }
    }
    let has_v4 = |s: &Side<'_>| s.addresses().iter().any(IpAddr::is_ipv4);
    Ok(if has_v4(src) && has_v4(dst) {
        IpVersion::V4
    } else {
        IpVersion::V6
    })
}

fn address(side: &Side<'_>, v: IpVersion) -> Result<IpAddr, FlowError> {
    side.addresses()
        .into_iter()
        .find(|a| family(*a) == v)
        .ok_or_else(|| FlowError::NoAddress {
            endpoint: side.name(),
            family: v,
        })
}

fn build_packet(flow: &Flow, src: IpAddr, dst: IpAddr) -> Result<PacketRepr, FlowError> {
    let l4 = if flow.fragment {
        L4::None
    } else if has_ports(flow.protocol) {
        L4::Ports {
            src: flow.src_port.unwrap_or(DEFAULT_SOURCE_PORT),
            dst: flow.dst_port.unwrap_or(0),
        }
    } else if let Some(icmp_type) = flow.icmp_type {
        if flow.protocol != icmp_protocol_for(src) {
            return Err(FlowError::Invalid(format!(
                "{} is for IPv{}, but the flow is IPv{}",
                if flow.protocol == PROTO_ICMP {
                    "ICMP"
                } else {
                    "ICMPv6"
                },
                if flow.protocol == PROTO_ICMP { 4 } else { 6 },
                if src.is_ipv4() { 4 } else { 6 },
            )));
        }
        L4::Icmp {
            icmp_type,
            code: flow.icmp_code.unwrap_or(0),
        }
    } else {
        L4::None
    };
    Ok(PacketRepr::new(src, dst, flow.protocol, l4)?)
}

/// A decision made by a built-in default (D6/D7 `by: default`).
fn default(verdict: Verdict) -> Decision {
    Decision {
        verdict,
        origin: Origin::Default,
        steps: Vec::new(),
    }
}

struct Ctx<'a> {
    engine: &'a dyn Engine,
    packet: PacketRepr,
    http: Option<HttpRequest>,
}

impl Ctx<'_> {
    /// Runs `hooks` of one endpoint in order; the first that allows or denies decides, and the
    /// steps of the stages before it are kept.
    fn stages(&self, endpoint: &EndpointKey, hooks: &[Hook]) -> Result<Decision, FlowError> {
        let mut steps = Vec::new();
        let mut last = None;
        for &hook in hooks {
            let target = ProgramTarget {
                endpoint: endpoint.clone(),
                hook,
            };
            let decision = self
                .engine
                .decide(&target, &self.packet, self.http.as_ref())?;
            steps.extend(decision.steps.iter().cloned());
            if decision.verdict != Verdict::NoVerdict {
                return Ok(Decision {
                    verdict: decision.verdict,
                    origin: decision.origin,
                    steps,
                });
            }
            last = Some(decision.origin);
        }
        Ok(Decision {
            verdict: Verdict::NoVerdict,
            origin: last.unwrap_or(Origin::Default),
            steps,
        })
    }

    fn one(&self, endpoint: &EndpointKey, hook: Hook) -> Result<Decision, FlowError> {
        self.stages(endpoint, &[hook])
    }
}

const HOST_INGRESS: [Hook; 3] = [
    Hook::HostUntrackedIngress,
    Hook::HostPreDnatIngress,
    Hook::HostIngress,
];
const HOST_EGRESS: [Hook; 2] = [Hook::HostUntrackedEgress, Hook::HostEgress];
const FORWARD_IN: [Hook; 3] = [
    Hook::HostUntrackedIngress,
    Hook::HostPreDnatIngress,
    Hook::HostForwardIngress,
];
const FORWARD_OUT: [Hook; 2] = [Hook::HostUntrackedEgress, Hook::HostForwardEgress];

/// ICMPv6 types a workload may always send to its host (NDP and MLD; SEMANTICS §3).
fn is_ndp(packet: &PacketRepr) -> bool {
    packet.protocol() == PROTO_ICMPV6
        && !packet.is_ipv4()
        && packet
            .icmp_fields()
            .is_some_and(|(t, _)| matches!(t, 130..=133 | 135 | 136))
}

/// Evaluates `flow` against `model` with `engine`, composing the decisions DECISIONS D6 lists.
/// For the pending (staged-as-enforced) verdict, pass an engine built with
/// [`CompileOptions::pending`](crate::CompileOptions::pending).
pub fn evaluate_flow(
    engine: &dyn Engine,
    model: &Model,
    flow: &Flow,
) -> Result<FlowResult, FlowError> {
    flow.check()?;
    let src = resolve_peer(model, &flow.src)?;
    let dst = resolve_peer(model, &flow.dst)?;
    if let (Side::Outside(s), Side::Outside(d)) = (&src, &dst) {
        return Err(FlowError::OutsideToOutside { src: *s, dst: *d });
    }
    let v = choose_family(flow, &src, &dst)?;
    let packet = build_packet(flow, address(&src, v)?, address(&dst, v)?)?;
    let cx = Ctx {
        engine,
        packet,
        http: flow.http(),
    };
    let same_node = |w: &WorkloadEndpoint, h: &HostEndpoint| w.node.as_deref() == Some(&*h.node);
    let (egress, ingress) = match (&src, &dst) {
        (Side::Outside(_), Side::Outside(_)) => (None, None),
        (Side::Workload(a, _), Side::Workload(b, _)) => (
            Some(cx.one(&a.key, Hook::WorkloadEgress)?),
            Some(cx.one(&b.key, Hook::WorkloadIngress)?),
        ),
        (Side::Outside(_), Side::Workload(b, _)) => {
            (None, Some(cx.one(&b.key, Hook::WorkloadIngress)?))
        }
        (Side::Workload(a, _), Side::Outside(_)) => {
            (Some(cx.one(&a.key, Hook::WorkloadEgress)?), None)
        }
        (Side::Outside(_), Side::Host(h, _)) => (None, Some(cx.stages(&h.key, &HOST_INGRESS)?)),
        (Side::Host(h, _), Side::Outside(_)) => (Some(cx.stages(&h.key, &HOST_EGRESS)?), None),
        (Side::Workload(a, _), Side::Host(h, _)) if same_node(a, h) => {
            if is_ndp(&cx.packet) {
                (Some(default(Verdict::Allow)), Some(default(Verdict::Allow)))
            } else {
                let host = match model.felix().default_endpoint_to_host_action {
                    EndpointToHostAction::Accept | EndpointToHostAction::Return => Verdict::Allow,
                    EndpointToHostAction::Drop => Verdict::Deny,
                };
                (
                    Some(cx.one(&a.key, Hook::WorkloadEgress)?),
                    Some(default(host)),
                )
            }
        }
        (Side::Workload(a, _), Side::Host(h, _)) => (
            Some(cx.one(&a.key, Hook::WorkloadEgress)?),
            Some(cx.stages(&h.key, &HOST_INGRESS)?),
        ),
        (Side::Host(h, _), Side::Workload(b, _)) if same_node(b, h) => {
            (Some(default(Verdict::Allow)), Some(default(Verdict::Allow)))
        }
        (Side::Host(h, _), Side::Workload(b, _)) => (
            Some(cx.stages(&h.key, &HOST_EGRESS)?),
            Some(cx.one(&b.key, Hook::WorkloadIngress)?),
        ),
        (Side::Host(h, _), Side::Host(k, _)) => (
            Some(cx.stages(&h.key, &HOST_EGRESS)?),
            Some(cx.stages(&k.key, &HOST_INGRESS)?),
        ),
    };

    let mut forward_in = None;
    let mut forward_out = None;
    let dst_node = matches!(dst, Side::Workload(..))
        .then(|| dst.node())
        .flatten();
    let src_node = matches!(src, Side::Workload(..))
        .then(|| src.node())
        .flatten();
    for name in &flow.via {
        let key = EndpointKey::Host { name: name.clone() };
        let hep = model
            .host_endpoint(&key)
            .ok_or_else(|| FlowError::UnknownEndpoint(key.to_string()))?;
        let inbound = if dst_node == Some(&*hep.node) {
            true
        } else if src_node == Some(&*hep.node) {
            false
        } else {
            matches!(dst, Side::Workload(..))
        };
        let (slot, hooks, word): (_, &[Hook], _) = if inbound {
            (&mut forward_in, &FORWARD_IN, "inbound")
        } else {
            (&mut forward_out, &FORWARD_OUT, "outbound")
        };
        if slot.is_some() {
            return Err(FlowError::Invalid(format!(
                "more than one `via` host endpoint is traversed {word}; a flow passes at most one host endpoint each way"
            )));
        }
        *slot = Some(cx.stages(&key, hooks)?);
    }

    let verdict = if [&egress, &ingress, &forward_in, &forward_out]
        .into_iter()
        .flatten()
        .all(|d| d.verdict == Verdict::Allow)
    {
        Verdict::Allow
    } else {
        Verdict::Deny
    };
    Ok(FlowResult {
        flow: flow.clone(),
        packet: cx.packet,
        verdict,
        egress,
        ingress,
        forward_in,
        forward_out,
    })
}
