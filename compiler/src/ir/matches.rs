//! What an IR rule matches, and the one definition of what "matches" means for a packet.
//!
//! All criteria of a [`Match`] are AND-ed. Within a [`PortMatch`] the numeric ranges and the
//! named (address+port) sets are OR-ed; a negated port match holds when none of them does.
//! Criteria that need an L4 field never hold for a packet without it (DECISIONS D2).

use std::fmt;
use std::net::IpAddr;

use palisade_policy_model::values::{IpVersion, PortRange};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::ipset::{IpSetId, SetLookup};
use crate::packet::{PacketRepr, icmp_protocol_for};

/// An ICMP type/code match. A code is only matched together with a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IcmpMatch {
    icmp_type: Option<u8>,
    code: Option<u8>,
}

impl IcmpMatch {
    /// Any ICMP packet of the packet's family.
    pub const ANY: IcmpMatch = IcmpMatch {
        icmp_type: None,
        code: None,
    };

    /// A type, and optionally a code.
    pub fn new(icmp_type: u8, code: Option<u8>) -> IcmpMatch {
        IcmpMatch {
            icmp_type: Some(icmp_type),
            code,
        }
    }

    /// From the model's `{type, code}`; `None` when a code is given without a type.
    pub fn from_parts(icmp_type: Option<u8>, code: Option<u8>) -> Option<IcmpMatch> {
        match (icmp_type, code) {
            (None, Some(_)) => None,
            _ => Some(IcmpMatch { icmp_type, code }),
        }
    }

    /// The type, if constrained.
    pub fn icmp_type(&self) -> Option<u8> {
        self.icmp_type
    }

    /// The code, if constrained.
    pub fn code(&self) -> Option<u8> {
        self.code
    }

    /// True if an ICMP packet with this type and code matches.
    pub fn covers(&self, icmp_type: u8, code: u8) -> bool {
        self.icmp_type.is_none_or(|t| t == icmp_type) && self.code.is_none_or(|c| c == code)
    }
}

/// A port condition: the port is in one of `ranges`, or (address, protocol, port) is a member of
/// one of the `named` address+port sets (named ports, service destinations).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortMatch {
    /// Numeric ranges.
    pub ranges: SmallVec<[PortRange; 4]>,
    /// Address+port sets.
    pub named: SmallVec<[IpSetId; 1]>,
}

impl PortMatch {
    /// True if the port (with the side's address and the packet's protocol) satisfies the
    /// condition. Sets missing from `sets` count as empty.
    pub fn holds<S: SetLookup + ?Sized>(
        &self,
        sets: &S,
        addr: IpAddr,
        protocol: u8,
        port: u16,
    ) -> bool {
        self.ranges.iter().any(|r| r.contains(port))
            || self.named.iter().any(|id| {
                sets.set(id)
                    .is_some_and(|s| s.contains_addr_port(addr, protocol, port))
            })
    }

    /// True when the condition can never hold (no ranges and no sets).
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty() && self.named.is_empty()
    }
}

/// Conditions on one side (source or destination) of a packet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SideMatch {
    /// The address must be in every one of these CIDR sets.
    pub sets: SmallVec<[IpSetId; 2]>,
    /// The address must be in none of these CIDR sets.
    pub not_sets: SmallVec<[IpSetId; 2]>,
    /// When present, the side's port must satisfy it.
    pub ports: Option<PortMatch>,
    /// When present, the side's port must not satisfy it (and must exist).
    pub not_ports: Option<PortMatch>,
}

impl SideMatch {
    /// True when the side constrains nothing.
    pub fn is_any(&self) -> bool {
        self.sets.is_empty()
            && self.not_sets.is_empty()
            && self.ports.is_none()
            && self.not_ports.is_none()
    }

    /// True when the side needs the packet's ports.
    pub fn needs_ports(&self) -> bool {
        self.ports.is_some() || self.not_ports.is_some()
    }

    fn holds<S: SetLookup + ?Sized>(
        &self,
        sets: &S,
        addr: IpAddr,
        protocol: u8,
        port: Option<u16>,
    ) -> bool {
        let in_set = |id: &IpSetId| sets.set(id).is_some_and(|s| s.contains_addr(addr));
        if !self.sets.iter().all(in_set) || self.not_sets.iter().any(in_set) {
            return false;
        }
        if self.needs_ports() {
            let Some(port) = port else {
                return false;
            };
            if let Some(p) = &self.ports
                && !p.holds(sets, addr, protocol, port)
            {
                return false;
            }
            if let Some(p) = &self.not_ports
                && p.holds(sets, addr, protocol, port)
            {
                return false;
            }
        }
        true
    }
}

/// Everything an IR rule matches on. `Match::default()` matches every packet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Match {
    /// Only packets of this family.
    pub ip_version: Option<IpVersion>,
    /// Only packets with this protocol number.
    pub protocol: Option<u8>,
    /// Only packets without this protocol number.
    pub not_protocol: Option<u8>,
    /// Only ICMP packets of their family with this type/code.
    pub icmp: Option<IcmpMatch>,
    /// Only ICMP packets of their family without this type/code.
    pub not_icmp: Option<IcmpMatch>,
    /// Source-side conditions.
    pub src: SideMatch,
    /// Destination-side conditions.
    pub dst: SideMatch,
}

impl Match {
    /// The match-all condition.
    pub fn any() -> Match {
        Match::default()
    }

    /// True when this matches every packet.
    pub fn is_any(&self) -> bool {
        *self == Match::default()
    }

    /// True when the match needs an L4 field (ports or ICMP type/code).
    pub fn needs_l4(&self) -> bool {
        self.icmp.is_some()
            || self.not_icmp.is_some()
            || self.src.needs_ports()
            || self.dst.needs_ports()
    }

    /// Every set ID this match refers to.
    pub fn set_ids(&self) -> impl Iterator<Item = &IpSetId> {
        [&self.src, &self.dst].into_iter().flat_map(|side| {
            side.sets
                .iter()
                .chain(side.not_sets.iter())
                .chain(side.ports.iter().flat_map(|p| p.named.iter()))
                .chain(side.not_ports.iter().flat_map(|p| p.named.iter()))
        })
    }

    /// The one definition of "this rule matches this packet". Sets missing from `sets` count as
    /// empty.
    pub fn matches<S: SetLookup + ?Sized>(&self, packet: &PacketRepr, sets: &S) -> bool {
        let v4 = packet.is_ipv4();
        if let Some(version) = self.ip_version
            && (version == IpVersion::V4) != v4
        {
            return false;
        }
        let protocol = packet.protocol();
        if self.protocol.is_some_and(|p| p != protocol) || self.not_protocol == Some(protocol) {
            return false;
        }
        if self.icmp.is_some() || self.not_icmp.is_some() {
            let Some((icmp_type, code)) = packet.icmp_fields() else {
                return false;
            };
            if protocol != icmp_protocol_for(packet.src()) {
                return false;
            }
            if self.icmp.is_some_and(|m| !m.covers(icmp_type, code))
                || self.not_icmp.is_some_and(|m| m.covers(icmp_type, code))
            {
                return false;
            }
        }
        let ports = packet.ports();
        self.src
            .holds(sets, packet.src(), protocol, ports.map(|p| p.0))
            && self
                .dst
                .holds(sets, packet.dst(), protocol, ports.map(|p| p.1))
    }
}

impl fmt::Display for IcmpMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.icmp_type, self.code) {
            (None, _) => f.write_str("any"),
            (Some(t), None) => write!(f, "type {t}"),
            (Some(t), Some(c)) => write!(f, "type {t} code {c}"),
        }
    }
}

fn write_port_match(f: &mut fmt::Formatter<'_>, p: &PortMatch) -> fmt::Result {
    f.write_str("{")?;
    let mut first = true;
    for r in &p.ranges {
        if !first {
            f.write_str(", ")?;
        }
        first = false;
        write!(f, "{r}")?;
    }
    for id in &p.named {
        if !first {
            f.write_str(", ")?;
        }
        first = false;
        write!(f, "@{id}")?;
    }
    f.write_str("}")
}

fn side_parts(parts: &mut Vec<String>, name: &str, short: &str, side: &SideMatch) {
    for id in &side.sets {
        parts.push(format!("{name} in @{id}"));
    }
    for id in &side.not_sets {
        parts.push(format!("{name} not in @{id}"));
    }
    if let Some(p) = &side.ports {
        parts.push(format!("{short}port in {}", PortMatchDisplay(p)));
    }
    if let Some(p) = &side.not_ports {
        parts.push(format!("{short}port not in {}", PortMatchDisplay(p)));
    }
}

struct PortMatchDisplay<'a>(&'a PortMatch);

impl fmt::Display for PortMatchDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_port_match(f, self.0)
    }
}

impl fmt::Display for Match {
    /// A compact, readable form, e.g. `ip4 proto 6 src in @s:… dport in {80, 8080:8090}`;
    /// `any` for the match-all condition.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_any() {
            return f.write_str("any");
        }
        let mut parts: Vec<String> = Vec::new();
        if let Some(v) = self.ip_version {
            parts.push(format!("ip{}", v.number()));
        }
        if let Some(p) = self.protocol {
            parts.push(format!("proto {p}"));
        }
        if let Some(p) = self.not_protocol {
            parts.push(format!("proto != {p}"));
        }
        if let Some(m) = self.icmp {
            parts.push(format!("icmp {m}"));
        }
        if let Some(m) = self.not_icmp {
            parts.push(format!("icmp not {m}"));
        }
        side_parts(&mut parts, "src", "s", &self.src);
        side_parts(&mut parts, "dst", "d", &self.dst);
        f.write_str(&parts.join(" "))
    }
}
