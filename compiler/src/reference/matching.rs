//! Matching one model rule against one packet, field by field (SEMANTICS §2.9, DECISIONS
//! D2–D4): CIDR containment, selectors by the labels of whoever owns the address, named ports by
//! the endpoints' ports, services by the model's services, domains by the DNS cache, `http` by
//! the request.

use std::net::IpAddr;

use palisade_policy_model::model::{Entity, Failsafe, Rule};
use palisade_policy_model::values::{IcmpMatch, IpVersion, Protocol};
use palisade_selector::Selector;

use super::http::http_matches;
use super::{InheritedLabels, ReferenceEngine};
use crate::compiler::HttpMode;
use crate::engine::HttpRequest;
use crate::packet::PacketRepr;

/// Which side of the packet an entity describes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Source,
    Destination,
}

/// An ICMP type/code match: the type (if given) and the code (if given) must be equal.
fn icmp_covers(m: &IcmpMatch, icmp_type: u8, code: u8) -> bool {
    m.icmp_type.is_none_or(|t| t == icmp_type) && m.code.is_none_or(|c| c == code)
}

/// A failsafe entry: its protocol, the packet's destination port, and its `net` against the
/// source (inbound) or destination (outbound).
pub(super) fn failsafe_matches(entry: &Failsafe, inbound: bool, packet: &PacketRepr) -> bool {
    if packet.protocol() != entry.protocol.number() {
        return false;
    }
    let Some((_, dst_port)) = packet.ports() else {
        return false;
    };
    if entry.port == 0 || dst_port != entry.port {
        return false;
    }
    let peer = if inbound { packet.src() } else { packet.dst() };
    entry.net.is_none_or(|net| net.contains(&peer))
}

impl ReferenceEngine<'_> {
    /// True if every criterion of `rule` holds for the packet.
    pub(super) fn rule_matches(
        &self,
        rule: &Rule,
        packet: &PacketRepr,
        http: Option<&HttpRequest>,
    ) -> bool {
        if let Some(version) = rule.ip_version
            && (version == IpVersion::V4) != packet.is_ipv4()
        {
            return false;
        }
        let protocol = packet.protocol();
        if rule.protocol.is_some_and(|p| p.number() != protocol) {
            return false;
        }
        if rule.not_protocol.is_some_and(|p| p.number() == protocol) {
            return false;
        }
        if rule.icmp.is_some() || rule.not_icmp.is_some() {
            // A packet only carries ICMP fields when it is ICMP of its own family.
            let Some((icmp_type, code)) = packet.icmp_fields() else {
                return false;
            };
            if rule.icmp.is_some_and(|m| !icmp_covers(&m, icmp_type, code)) {
                return false;
            }
            if rule
                .not_icmp
                .is_some_and(|m| icmp_covers(&m, icmp_type, code))
            {
                return false;
            }
        }
        let ports = packet.ports();
        if !self.entity_matches(
            &rule.source,
            Side::Source,
            packet.src(),
            ports.map(|p| p.0),
            protocol,
            rule.protocol,
        ) {
            return false;
        }
        if !self.entity_matches(
            &rule.destination,
            Side::Destination,
            packet.dst(),
            ports.map(|p| p.1),
            protocol,
            rule.protocol,
        ) {
            return false;
        }
        if let Some(m) = &rule.http
            && self.options.get_http() == HttpMode::Refuse
            && !http_matches(m, http)
        {
            return false;
        }
        true
    }

    fn entity_matches(
        &self,
        entity: &Entity,
        side: Side,
        addr: IpAddr,
        port: Option<u16>,
        protocol: u8,
        rule_protocol: Option<Protocol>,
    ) -> bool {
        if !entity.nets.is_empty() && !entity.nets.iter().any(|n| n.contains(&addr)) {
            return false;
        }
        if entity.not_nets.iter().any(|n| n.contains(&addr)) {
            return false;
        }
        if let Some(selector) = &entity.selector
            && !self.some_owner_matches(addr, selector)
        {
            return false;
        }
        if let Some(selector) = &entity.not_selector
            && self.some_owner_matches(addr, selector)
        {
            return false;
        }
        if !entity.domains.is_empty()
            && !entity
                .domains
                .iter()
                .any(|d| self.options.get_dns().resolve(d).contains(&addr))
        {
            return false;
        }
        if let Some(svc) = &entity.service {
            let endpoints = self
                .model
                .service(svc)
                .map_or(&[][..], |s| &s.endpoints[..]);
            let ok = match side {
                Side::Source => endpoints.iter().any(|ep| ep.ip == addr),
                Side::Destination => port.is_some_and(|port| {
                    endpoints.iter().any(|ep| {
                        ep.ip == addr
                            && ep
                                .ports
                                .iter()
                                .any(|(p, n)| p.number() == protocol && *n == port)
                    })
                }),
            };
            if !ok {
                return false;
            }
        }
        let port_in = |port: u16,
                       ranges: &[palisade_policy_model::values::PortRange],
                       names: &[std::sync::Arc<str>]| {
            ranges.iter().any(|r| r.contains(port))
                || names.iter().any(|name| {
                    self.named_port_matches(
                        name,
                        entity.selector.as_ref(),
                        rule_protocol,
                        addr,
                        protocol,
                        port,
                    )
                })
        };
        if !entity.ports.is_empty() || !entity.named_ports.is_empty() {
            let Some(port) = port else {
                return false;
            };
            if !port_in(port, &entity.ports, &entity.named_ports) {
                return false;
            }
        }
        if !entity.not_ports.is_empty() || !entity.not_named_ports.is_empty() {
            let Some(port) = port else {
                return false;
            };
            if port_in(port, &entity.not_ports, &entity.not_named_ports) {
                return false;
            }
        }
        true
    }

    /// True if some workload endpoint (one of its IPs contains `addr`), host endpoint (one of its
    /// expected IPs is `addr`) or network set (one of its CIDRs contains `addr`) has effective
    /// labels that `selector` matches (SEMANTICS §2.9).
    fn some_owner_matches(&self, addr: IpAddr, selector: &Selector) -> bool {
        let model = self.model;
        model.workloads().any(|w| {
            w.ips.iter().any(|n| n.trunc().contains(&addr))
                && selector.matches(&InheritedLabels::new(model, &w.labels, &w.profiles))
        }) || model.host_endpoints().any(|h| {
            h.expected_ips.contains(&addr)
                && selector.matches(&InheritedLabels::new(model, &h.labels, &h.profiles))
        }) || model.network_sets().any(|n| {
            n.nets.iter().any(|net| net.trunc().contains(&addr))
                && selector.matches(&InheritedLabels::new(model, &n.labels, &n.profiles))
        })
    }

    /// A named port matches when some endpoint matching the side's positive selector (or any
    /// endpoint) has the address and a port with that name, number and the packet's protocol
    /// (and the rule's protocol, when it has one) — SEMANTICS §2.9, DECISIONS D4.
    fn named_port_matches(
        &self,
        name: &str,
        selector: Option<&Selector>,
        rule_protocol: Option<Protocol>,
        addr: IpAddr,
        protocol: u8,
        port: u16,
    ) -> bool {
        let model = self.model;
        let selected = |labels: &InheritedLabels<'_>| selector.is_none_or(|s| s.matches(labels));
        let has_port = |ports: &[palisade_policy_model::model::NamedPort]| {
            ports.iter().any(|p| {
                &*p.name == name
                    && p.port == port
                    && p.protocol.number() == protocol
                    && rule_protocol.is_none_or(|rp| rp.number() == p.protocol.number())
            })
        };
        model.workloads().any(|w| {
            w.ips.iter().any(|n| n.addr() == addr)
                && has_port(&w.ports)
                && selected(&InheritedLabels::new(model, &w.labels, &w.profiles))
        }) || model.host_endpoints().any(|h| {
            h.expected_ips.contains(&addr)
                && has_port(&h.ports)
                && selected(&InheritedLabels::new(model, &h.labels, &h.profiles))
        })
    }
}
