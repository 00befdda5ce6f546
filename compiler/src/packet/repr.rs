//! [`PacketRepr`]: the small `Copy` description of a packet that every engine classifies.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Protocol numbers that carry source and destination ports.
pub const PORT_PROTOCOLS: [u8; 4] = [PROTO_TCP, PROTO_UDP, PROTO_SCTP, PROTO_UDPLITE];
/// ICMP (IPv4).
pub const PROTO_ICMP: u8 = 1;
/// TCP.
pub const PROTO_TCP: u8 = 6;
/// UDP.
pub const PROTO_UDP: u8 = 17;
/// ICMPv6.
pub const PROTO_ICMPV6: u8 = 58;
/// SCTP.
pub const PROTO_SCTP: u8 = 132;
/// UDP-Lite.
pub const PROTO_UDPLITE: u8 = 136;

/// The layer-4 information a packet carries, as far as policy is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum L4 {
    /// No usable L4 header: a protocol without ports or ICMP fields, a non-first fragment, or a
    /// truncated or malformed header. Such a packet matches no rule that needs an L4 field
    /// (DECISIONS D2).
    None,
    /// Source and destination ports (TCP, UDP, SCTP, UDP-Lite).
    Ports {
        /// Source port.
        src: u16,
        /// Destination port.
        dst: u16,
    },
    /// ICMP or ICMPv6 type and code.
    Icmp {
        /// Type.
        icmp_type: u8,
        /// Code.
        code: u8,
    },
}

/// Why a [`PacketRepr`] could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PacketError {
    /// Source and destination are of different IP families.
    #[error("source {src} and destination {dst} are of different IP families")]
    MixedFamilies {
        /// Source address.
        src: IpAddr,
        /// Destination address.
        dst: IpAddr,
    },
    /// Ports given for a protocol that has none.
    #[error("protocol {protocol} has no ports")]
    PortsWithoutPortProtocol {
        /// The protocol number.
        protocol: u8,
    },
    /// ICMP fields given for a packet that is not ICMP of its family.
    #[error(
        "ICMP type/code need protocol ICMP (1) for IPv4 or ICMPv6 (58) for IPv6, got {protocol}"
    )]
    IcmpWithoutIcmpProtocol {
        /// The protocol number.
        protocol: u8,
    },
}

/// A packet as policy sees it: addresses, protocol and L4 fields. Built through
/// [`PacketRepr::new`], which keeps the invariants: both addresses of one family; ports only
/// for TCP/UDP/SCTP/UDP-Lite; ICMP fields only for ICMP on IPv4 and ICMPv6 on IPv6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PacketRepr {
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    l4: L4,
}

impl PacketRepr {
    /// Checks and builds a packet description.
    pub fn new(src: IpAddr, dst: IpAddr, protocol: u8, l4: L4) -> Result<PacketRepr, PacketError> {
        if src.is_ipv4() != dst.is_ipv4() {
            return Err(PacketError::MixedFamilies { src, dst });
        }
        match l4 {
            L4::None => {}
            L4::Ports { .. } if !PORT_PROTOCOLS.contains(&protocol) => {
                return Err(PacketError::PortsWithoutPortProtocol { protocol });
            }
            L4::Icmp { .. } if protocol != icmp_protocol_for(src) => {
                return Err(PacketError::IcmpWithoutIcmpProtocol { protocol });
            }
            _ => {}
        }
        Ok(PacketRepr {
            src,
            dst,
            protocol,
            l4,
        })
    }

    /// A TCP packet.
    pub fn tcp(
        src: IpAddr,
        dst: IpAddr,
        src_port: u16,
        dst_port: u16,
    ) -> Result<PacketRepr, PacketError> {
        PacketRepr::new(
            src,
            dst,
            PROTO_TCP,
            L4::Ports {
                src: src_port,
                dst: dst_port,
            },
        )
    }

    /// A UDP packet.
    pub fn udp(
        src: IpAddr,
        dst: IpAddr,
        src_port: u16,
        dst_port: u16,
    ) -> Result<PacketRepr, PacketError> {
        PacketRepr::new(
            src,
            dst,
            PROTO_UDP,
            L4::Ports {
                src: src_port,
                dst: dst_port,
            },
        )
    }

    /// An ICMP (IPv4) or ICMPv6 (IPv6) packet, by the addresses' family.
    pub fn icmp(
        src: IpAddr,
        dst: IpAddr,
        icmp_type: u8,
        code: u8,
    ) -> Result<PacketRepr, PacketError> {
        PacketRepr::new(
            src,
            dst,
            icmp_protocol_for(src),
            L4::Icmp { icmp_type, code },
        )
    }

    /// Source address.
    pub fn src(&self) -> IpAddr {
        self.src
    }

    /// Destination address.
    pub fn dst(&self) -> IpAddr {
        self.dst
    }

    /// IP protocol number.
    pub fn protocol(&self) -> u8 {
        self.protocol
    }

    /// L4 fields.
    pub fn l4(&self) -> L4 {
        self.l4
    }

    /// True for IPv4 packets.
    pub fn is_ipv4(&self) -> bool {
        self.src.is_ipv4()
    }

    /// Source and destination ports, when the packet has them.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match self.l4 {
            L4::Ports { src, dst } => Some((src, dst)),
            _ => None,
        }
    }

    /// ICMP type and code, when the packet has them.
    pub fn icmp_fields(&self) -> Option<(u8, u8)> {
        match self.l4 {
            L4::Icmp { icmp_type, code } => Some((icmp_type, code)),
            _ => None,
        }
    }

    /// The same packet with L4 information removed (as a non-first fragment is seen).
    pub fn without_l4(&self) -> PacketRepr {
        PacketRepr {
            l4: L4::None,
            ..*self
        }
    }
}

impl<'de> Deserialize<'de> for PacketRepr {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<PacketRepr, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            src: IpAddr,
            dst: IpAddr,
            protocol: u8,
            l4: L4,
        }
        let raw = Raw::deserialize(deserializer)?;
        PacketRepr::new(raw.src, raw.dst, raw.protocol, raw.l4).map_err(serde::de::Error::custom)
    }
}

/// The ICMP protocol number of an address's family (1 for IPv4, 58 for IPv6).
pub fn icmp_protocol_for(addr: IpAddr) -> u8 {
    if addr.is_ipv4() {
        PROTO_ICMP
    } else {
        PROTO_ICMPV6
    }
}

impl fmt::Display for PacketRepr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = match self.protocol {
            PROTO_TCP => "tcp".to_owned(),
            PROTO_UDP => "udp".to_owned(),
            PROTO_SCTP => "sctp".to_owned(),
            PROTO_UDPLITE => "udplite".to_owned(),
            PROTO_ICMP => "icmp".to_owned(),
            PROTO_ICMPV6 => "icmpv6".to_owned(),
            n => format!("proto {n}"),
        };
        match self.l4 {
            L4::Ports { src, dst } => {
                write!(
                    f,
                    "{} port {src} -> {} port {dst} {proto}",
                    self.src, self.dst
                )
            }
            L4::Icmp { icmp_type, code } => {
                write!(
                    f,
                    "{} -> {} {proto} type {icmp_type} code {code}",
                    self.src, self.dst
                )
            }
            L4::None => write!(f, "{} -> {} {proto} (no L4 header)", self.src, self.dst),
        }
    }
}
