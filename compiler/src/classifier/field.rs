//! The packet fields the classifier looks up, and how a packet's value of each is encoded.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::packet::{PacketRepr, icmp_protocol_for};

/// A packet field. Every field has a numeric domain; [`Field::value`] gives a packet's value.
///
/// | field | values |
/// |---|---|
/// | `Family` | 0 = IPv4, 1 = IPv6 |
/// | `Protocol` | 0–255 |
/// | `SrcAddr`, `DstAddr` | the address (looked up by longest prefix, see [`AddrAtomTable`](super::AddrAtomTable)) |
/// | `SrcPort`, `DstPort` | 0–65535, or [`ABSENT`] when the packet has no ports |
/// | `Icmp` | `type << 8 \| code`, or [`ABSENT`] when the packet is not ICMP of its own family |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
pub enum Field {
    /// IP family.
    Family = 0,
    /// IP protocol number.
    Protocol = 1,
    /// Source address.
    SrcAddr = 2,
    /// Destination address.
    DstAddr = 3,
    /// Source port.
    SrcPort = 4,
    /// Destination port.
    DstPort = 5,
    /// ICMP type and code.
    Icmp = 6,
}

/// The encoded value of a port or ICMP field that the packet does not have (DECISIONS D2).
pub const ABSENT: u32 = 0x1_0000;

/// The family value of IPv4 packets.
pub const FAMILY_V4: u32 = 0;
/// The family value of IPv6 packets.
pub const FAMILY_V6: u32 = 1;

impl Field {
    /// Number of fields.
    pub const COUNT: usize = 7;

    /// All fields, in key-packing order.
    pub const ALL: [Field; Field::COUNT] = [
        Field::Family,
        Field::Protocol,
        Field::SrcAddr,
        Field::DstAddr,
        Field::SrcPort,
        Field::DstPort,
        Field::Icmp,
    ];

    /// The field's index (its `repr(u8)` value) in `0..Field::COUNT`.
    pub fn index(self) -> usize {
        self as usize
    }

    /// A short name, e.g. `src-port`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Family => "family",
            Field::Protocol => "protocol",
            Field::SrcAddr => "src-addr",
            Field::DstAddr => "dst-addr",
            Field::SrcPort => "src-port",
            Field::DstPort => "dst-port",
            Field::Icmp => "icmp",
        }
    }

    /// True for the two address fields.
    pub fn is_addr(self) -> bool {
        matches!(self, Field::SrcAddr | Field::DstAddr)
    }

    /// For the scalar fields, the largest encoded value (including [`ABSENT`] where a field may
    /// be absent); `None` for the address fields.
    pub fn scalar_max(self) -> Option<u32> {
        match self {
            Field::Family => Some(FAMILY_V6),
            Field::Protocol => Some(255),
            Field::SrcPort | Field::DstPort | Field::Icmp => Some(ABSENT),
            Field::SrcAddr | Field::DstAddr => None,
        }
    }

    /// The packet's encoded value of a scalar field (`None` for the address fields).
    pub fn value(self, packet: &PacketRepr) -> Option<u32> {
        match self {
            Field::Family => Some(if packet.is_ipv4() {
                FAMILY_V4
            } else {
                FAMILY_V6
            }),
            Field::Protocol => Some(u32::from(packet.protocol())),
            Field::SrcPort => Some(packet.ports().map_or(ABSENT, |(s, _)| u32::from(s))),
            Field::DstPort => Some(packet.ports().map_or(ABSENT, |(_, d)| u32::from(d))),
            Field::Icmp => Some(icmp_value(packet)),
            Field::SrcAddr | Field::DstAddr => None,
        }
    }
}

/// The packet's ICMP value: `type << 8 | code` when it carries ICMP fields and is ICMP of its own
/// family (the condition `Match::matches` checks), else [`ABSENT`].
pub(crate) fn icmp_value(packet: &PacketRepr) -> u32 {
    match packet.icmp_fields() {
        Some((t, c)) if packet.protocol() == icmp_protocol_for(packet.src()) => {
            (u32::from(t) << 8) | u32::from(c)
        }
        _ => ABSENT,
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
