//! IP protocols as Calico's `protocol`/`notProtocol` fields spell them.

use std::fmt;
use std::num::NonZeroU8;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A protocol: one of Calico's six names (exact case) or a number 1–255.
///
/// A quoted number (`"6"`) decodes as the number, as Calico's `Uint8OrString` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Protocol {
    /// `TCP` (6).
    Tcp,
    /// `UDP` (17).
    Udp,
    /// `ICMP` (1).
    Icmp,
    /// `ICMPv6` (58).
    IcmpV6,
    /// `SCTP` (132).
    Sctp,
    /// `UDPLite` (136).
    UdpLite,
    /// A protocol given by number.
    Number(NonZeroU8),
}

impl Protocol {
    /// The IANA protocol number.
    pub fn number(self) -> u8 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Icmp => 1,
            Protocol::IcmpV6 => 58,
            Protocol::Sctp => 132,
            Protocol::UdpLite => 136,
            Protocol::Number(n) => n.get(),
        }
    }

    /// True for TCP, UDP and SCTP (by name or number): the protocols that may carry ports.
    pub fn supports_ports(self) -> bool {
        matches!(self.number(), 6 | 17 | 132)
    }

    /// True for ICMP (1) and ICMPv6 (58).
    pub fn is_icmp_family(self) -> bool {
        matches!(self.number(), 1 | 58)
    }

    /// Parses a protocol name (exact case) or decimal number 1–255.
    pub fn parse(text: &str) -> Option<Protocol> {
        Some(match text {
            "TCP" => Protocol::Tcp,
            "UDP" => Protocol::Udp,
            "ICMP" => Protocol::Icmp,
            "ICMPv6" => Protocol::IcmpV6,
            "SCTP" => Protocol::Sctp,
            "UDPLite" => Protocol::UdpLite,
            digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                Protocol::Number(NonZeroU8::new(digits.parse::<u8>().ok()?)?)
            }
            _ => return None,
        })
    }

    /// The name Calico prints (numbers print as numbers).
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Icmp => "ICMP",
            Protocol::IcmpV6 => "ICMPv6",
            Protocol::Sctp => "SCTP",
            Protocol::UdpLite => "UDPLite",
            Protocol::Number(_) => return None,
        })
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.number()),
        }
    }
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.name() {
            Some(name) => serializer.serialize_str(name),
            None => serializer.serialize_u8(self.number()),
        }
    }
}

const EXPECTED: &str =
    "a protocol: TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite (exact case) or a number 1-255";

struct ProtocolVisitor;

impl Visitor<'_> for ProtocolVisitor {
    type Value = Protocol;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Protocol, E> {
        u8::try_from(v)
            .ok()
            .and_then(NonZeroU8::new)
            .map(Protocol::Number)
            .ok_or_else(|| E::custom(format!("invalid protocol number {v}, expected {EXPECTED}")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Protocol, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format!(
                "invalid protocol number {v}, expected {EXPECTED}"
            ))),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Protocol, E> {
        Protocol::parse(v)
            .ok_or_else(|| E::custom(format!("invalid protocol `{v}`, expected {EXPECTED}")))
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ProtocolVisitor)
    }
}
