//! Raw IPv4 and IPv6 packets, smoltcp style: a [`Packet`] view over bytes with a no-panic
//! contract, [`Packet::parse`] into a [`PacketRepr`], and [`emit`] of a [`PacketRepr`] into bytes
//! (optionally behind an Ethernet header, with IPv4 options, IPv6 extension headers and
//! fragmentation) so that dataplane tests can craft packets.
//!
//! # What the parser decides (the rules every dataplane should mirror)
//!
//! - **IPv4**: version 4, header length (IHL) ≥ 5 words and within the buffer, total length ≥
//!   the header and within the buffer (trailing bytes, e.g. Ethernet padding, are ignored).
//!   Options are skipped. A fragment with a non-zero offset has no L4 header.
//! - **IPv6**: a 40-byte header and a payload length within the buffer (no jumbograms). The
//!   extension headers Hop-by-Hop (0), Routing (43), Fragment (44), Destination Options (60) and
//!   Authentication (51, as Linux's `ipv6_skip_exthdr` also skips it) are walked, at most
//!   [`MAX_IPV6_EXTENSION_HEADERS`] of them; the first other next-header value is the packet's
//!   protocol (so an unknown header, ESP or No Next Header is a protocol without L4 fields). A
//!   Fragment header with a non-zero offset ends the walk: its next header is the protocol and
//!   there is no L4 header. A chain that is truncated or too long is an error.
//! - **L4**: ports are read for TCP, UDP, SCTP and UDP-Lite, ICMP type/code for ICMP in IPv4 and
//!   ICMPv6 in IPv6, only when the packet holds the protocol's whole fixed header
//!   ([`l4_header_len`]: TCP 20, UDP 8, UDP-Lite 8, SCTP 12, ICMP 8, ICMPv6 8 bytes — the sizes
//!   of Linux's `tcphdr`, `udphdr`, `sctphdr`, `icmphdr`, `icmp6hdr`). Otherwise the packet has no
//!   L4 fields ([`L4::None`]) and matches no rule that needs them (DECISIONS D2).
//!
//! # No-panic contract
//!
//! No function or method of this module panics, whatever the bytes. [`Packet::check_len`]
//! (called by [`Packet::new_checked`] and [`Packet::parse`]) establishes that the header
//! accessors read real header bytes; on a buffer that fails it, accessors read missing bytes as 0.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::repr::{
    L4, PORT_PROTOCOLS, PROTO_ICMP, PROTO_ICMPV6, PROTO_SCTP, PROTO_TCP, PROTO_UDP, PROTO_UDPLITE,
    PacketError, PacketRepr, icmp_protocol_for,
};

/// EtherType of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// EtherType of an 802.1Q VLAN tag.
pub const ETHERTYPE_VLAN: u16 = 0x8100;
/// Length of an Ethernet II header.
pub const ETHERNET_HEADER_LEN: usize = 14;
/// Length of the fixed IPv4 header (without options).
pub const IPV4_HEADER_LEN: usize = 20;
/// Length of the fixed IPv6 header.
pub const IPV6_HEADER_LEN: usize = 40;
/// The most IPv6 extension headers the parser walks.
pub const MAX_IPV6_EXTENSION_HEADERS: usize = 8;
/// IPv6 Hop-by-Hop Options header.
pub const IPV6_HOP_BY_HOP: u8 = 0;
/// IPv6 Routing header.
pub const IPV6_ROUTING: u8 = 43;
/// IPv6 Fragment header.
pub const IPV6_FRAGMENT: u8 = 44;
/// IP Authentication Header.
pub const IPV6_AUTH: u8 = 51;
/// IPv6 Destination Options header.
pub const IPV6_DEST_OPTS: u8 = 60;

/// The fixed header length the parser requires before it reads a protocol's L4 fields, for the
/// protocols that have ports or ICMP fields.
pub fn l4_header_len(protocol: u8) -> Option<usize> {
    match protocol {
        PROTO_TCP => Some(20),
        PROTO_UDP | PROTO_UDPLITE => Some(8),
        PROTO_SCTP => Some(12),
        PROTO_ICMP | PROTO_ICMPV6 => Some(8),
        _ => None,
    }
}

/// Why bytes are not a packet, or a packet cannot be emitted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The buffer is empty.
    #[error("the packet is empty")]
    Empty,
    /// The version nibble is neither 4 nor 6.
    #[error("IP version {version} at offset 0 (expected 4 or 6)")]
    UnknownVersion {
        /// The version nibble.
        version: u8,
    },
    /// A header does not fit.
    #[error("{what} at offset {offset} needs {needed} bytes, {available} available")]
    Truncated {
        /// The header.
        what: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes there are (from `offset` to the end of the packet).
        available: usize,
    },
    /// The IPv4 header length field is below 5 words.
    #[error("IPv4 header length of {ihl} words at offset 0 is below the minimum of 5")]
    BadHeaderLength {
        /// The IHL field.
        ihl: u8,
    },
    /// The IPv4 total length is shorter than the header.
    #[error("IPv4 total length {total} at offset 2 is shorter than its {header}-byte header")]
    BadTotalLength {
        /// The total length field.
        total: usize,
        /// The header length.
        header: usize,
    },
    /// More IPv6 extension headers than [`MAX_IPV6_EXTENSION_HEADERS`].
    #[error("more than {limit} IPv6 extension headers (the next one at offset {offset})")]
    ExtensionChainTooLong {
        /// The limit.
        limit: usize,
        /// Offset of the first header past the limit.
        offset: usize,
    },
    /// An Ethernet frame of a type other than IPv4 or IPv6.
    #[error("EtherType {ethertype:#06x} at offset {offset} is not IPv4 or IPv6")]
    UnknownEtherType {
        /// The EtherType.
        ethertype: u16,
        /// Where it is.
        offset: usize,
    },
    /// The header fields do not form a valid [`PacketRepr`].
    #[error(transparent)]
    Repr(#[from] PacketError),
    /// [`emit`] was asked for something a packet cannot carry.
    #[error("cannot emit the packet: {reason}")]
    Emit {
        /// What is wrong.
        reason: String,
    },
}

/// Where a packet's upper-layer data is, as the parser found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transport {
    /// The upper-layer protocol (after IPv6 extension headers).
    pub protocol: u8,
    /// Offset of the upper-layer header from the start of the IP header.
    pub offset: usize,
    /// End of the packet (the IPv4 total length, or 40 + the IPv6 payload length).
    pub end: usize,
    /// Fragment offset in 8-byte units (0 for unfragmented packets and first fragments).
    pub fragment_offset: u16,
    /// The More Fragments flag.
    pub more_fragments: bool,
}

/// A read-only view of an IPv4 or IPv6 packet (starting at the IP header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

/// Reads byte `i`, or 0 beyond the end.
fn byte(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// Reads a big-endian `u16` at `i`, with missing bytes as 0.
fn be16(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([byte(b, i), byte(b, i.saturating_add(1))])
}

/// Reads `N` bytes at `i`, with missing bytes as 0.
fn bytes<const N: usize>(b: &[u8], i: usize) -> [u8; N] {
    let mut out = [0u8; N];
    for (k, o) in out.iter_mut().enumerate() {
        *o = byte(b, i.saturating_add(k));
    }
    out
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it (accessors never panic; see the module docs).
    pub fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps a buffer after [`Packet::check_len`].
    pub fn new_checked(buffer: T) -> Result<Packet<T>, WireError> {
        let p = Packet::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the IP header (IPv4 with its options) and the length it declares fit the
    /// buffer.
    pub fn check_len(&self) -> Result<(), WireError> {
        let b = self.buffer.as_ref();
        if b.is_empty() {
            return Err(WireError::Empty);
        }
        match self.version() {
            4 => {
                if b.len() < IPV4_HEADER_LEN {
                    return Err(truncated("IPv4 header", 0, IPV4_HEADER_LEN, b.len()));
                }
                let ihl = byte(b, 0) & 0x0f;
                if ihl < 5 {
                    return Err(WireError::BadHeaderLength { ihl });
                }
                let header = usize::from(ihl) * 4;
                if b.len() < header {
                    return Err(truncated("IPv4 header with options", 0, header, b.len()));
                }
                let total = usize::from(be16(b, 2));
                if total < header {
                    return Err(WireError::BadTotalLength { total, header });
                }
                if b.len() < total {
                    return Err(truncated("IPv4 packet", 0, total, b.len()));
                }
                Ok(())
            }
            6 => {
                if b.len() < IPV6_HEADER_LEN {
                    return Err(truncated("IPv6 header", 0, IPV6_HEADER_LEN, b.len()));
                }
                let total = IPV6_HEADER_LEN + usize::from(be16(b, 4));
                if b.len() < total {
                    return Err(truncated("IPv6 packet", 0, total, b.len()));
                }
                Ok(())
            }
            version => Err(WireError::UnknownVersion { version }),
        }
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The version nibble.
    pub fn version(&self) -> u8 {
        byte(self.buffer.as_ref(), 0) >> 4
    }

    /// The IP header length: IHL × 4 for IPv4 (with options), 40 for IPv6 (without extension
    /// headers).
    pub fn header_len(&self) -> usize {
        if self.version() == 6 {
            IPV6_HEADER_LEN
        } else {
            usize::from(byte(self.buffer.as_ref(), 0) & 0x0f) * 4
        }
    }

    /// The packet length the header declares: the IPv4 total length, or 40 + the IPv6 payload
    /// length.
    pub fn total_len(&self) -> usize {
        let b = self.buffer.as_ref();
        if self.version() == 6 {
            IPV6_HEADER_LEN + usize::from(be16(b, 4))
        } else {
            usize::from(be16(b, 2))
        }
    }

    /// The IPv4 protocol field, or the next-header field of the fixed IPv6 header.
    pub fn next_header(&self) -> u8 {
        let b = self.buffer.as_ref();
        if self.version() == 6 {
            byte(b, 6)
        } else {
            byte(b, 9)
        }
    }

    /// The source address.
    pub fn src_addr(&self) -> IpAddr {
        let b = self.buffer.as_ref();
        if self.version() == 6 {
            IpAddr::V6(Ipv6Addr::from(bytes::<16>(b, 8)))
        } else {
            IpAddr::V4(Ipv4Addr::from(bytes::<4>(b, 12)))
        }
    }

    /// The destination address.
    pub fn dst_addr(&self) -> IpAddr {
        let b = self.buffer.as_ref();
        if self.version() == 6 {
            IpAddr::V6(Ipv6Addr::from(bytes::<16>(b, 24)))
        } else {
            IpAddr::V4(Ipv4Addr::from(bytes::<4>(b, 16)))
        }
    }

    /// Finds the upper-layer protocol and where its header starts, walking IPv6 extension
    /// headers. Checks the length first.
    pub fn transport(&self) -> Result<Transport, WireError> {
        self.check_len()?;
        let b = self.buffer.as_ref();
        let end = self.total_len();
        if self.version() == 4 {
            let frag = be16(b, 6);
            return Ok(Transport {
                protocol: byte(b, 9),
                offset: self.header_len(),
                end,
                fragment_offset: frag & 0x1fff,
                more_fragments: frag & 0x2000 != 0,
            });
        }
        let mut next = byte(b, 6);
        let mut offset = IPV6_HEADER_LEN;
        let mut count = 0usize;
        let mut fragment_offset = 0u16;
        let mut more_fragments = false;
        loop {
            let len = match next {
                IPV6_HOP_BY_HOP | IPV6_ROUTING | IPV6_DEST_OPTS => {
                    need(end, offset, 2, "IPv6 extension header")?;
                    (usize::from(byte(b, offset + 1)) + 1) * 8
                }
                IPV6_AUTH => {
                    need(end, offset, 2, "IPv6 authentication header")?;
                    (usize::from(byte(b, offset + 1)) + 2) * 4
                }
                IPV6_FRAGMENT => 8,
                _ => break,
            };
            if count == MAX_IPV6_EXTENSION_HEADERS {
                return Err(WireError::ExtensionChainTooLong {
                    limit: MAX_IPV6_EXTENSION_HEADERS,
                    offset,
                });
            }
            count += 1;
            need(end, offset, len, "IPv6 extension header")?;
            let header = next;
            next = byte(b, offset);
            if header == IPV6_FRAGMENT {
                let field = be16(b, offset + 2);
                fragment_offset = field >> 3;
                more_fragments = field & 1 != 0;
                if fragment_offset != 0 {
                    offset += len;
                    break;
                }
            }
            offset += len;
        }
        Ok(Transport {
            protocol: next,
            offset,
            end,
            fragment_offset,
            more_fragments,
        })
    }

    /// The L4 fields policy sees: ports or ICMP type/code when the whole fixed header is
    /// present in a packet that is not a non-first fragment, else [`L4::None`].
    pub fn l4(&self) -> Result<L4, WireError> {
        let t = self.transport()?;
        let b = self.buffer.as_ref();
        if t.fragment_offset != 0 {
            return Ok(L4::None);
        }
        let available = t.end.saturating_sub(t.offset);
        let Some(min) = l4_header_len(t.protocol) else {
            return Ok(L4::None);
        };
        if available < min {
            return Ok(L4::None);
        }
        if PORT_PROTOCOLS.contains(&t.protocol) {
            return Ok(L4::Ports {
                src: be16(b, t.offset),
                dst: be16(b, t.offset + 2),
            });
        }
        if t.protocol == icmp_protocol_for(self.src_addr()) {
            return Ok(L4::Icmp {
                icmp_type: byte(b, t.offset),
                code: byte(b, t.offset + 1),
            });
        }
        Ok(L4::None)
    }

    /// The packet as policy sees it.
    pub fn parse(&self) -> Result<PacketRepr, WireError> {
        let t = self.transport()?;
        let l4 = self.l4()?;
        Ok(PacketRepr::new(
            self.src_addr(),
            self.dst_addr(),
            t.protocol,
            l4,
        )?)
    }
}

fn truncated(what: &'static str, offset: usize, needed: usize, available: usize) -> WireError {
    WireError::Truncated {
        what,
        offset,
        needed,
        available,
    }
}

/// Checks that `len` bytes at `offset` fit before `end`.
fn need(end: usize, offset: usize, len: usize, what: &'static str) -> Result<(), WireError> {
    let available = end.saturating_sub(offset);
    if available < len {
        return Err(truncated(what, offset, len, available));
    }
    Ok(())
}

/// Parses raw IPv4 or IPv6 bytes.
pub fn parse(bytes: &[u8]) -> Result<PacketRepr, WireError> {
    Packet::new_unchecked(bytes).parse()
}

/// The EtherType and the IP packet inside an Ethernet II frame (with at most one 802.1Q tag).
fn ethernet_split(frame: &[u8]) -> Result<(u16, &[u8]), WireError> {
    if frame.len() < ETHERNET_HEADER_LEN {
        return Err(truncated(
            "Ethernet header",
            0,
            ETHERNET_HEADER_LEN,
            frame.len(),
        ));
    }
    let mut offset = 12;
    let mut ethertype = be16(frame, offset);
    if ethertype == ETHERTYPE_VLAN {
        if frame.len() < ETHERNET_HEADER_LEN + 4 {
            return Err(truncated("802.1Q tag", 12, 6, frame.len() - 12));
        }
        offset += 4;
        ethertype = be16(frame, offset);
    }
    match ethertype {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => Ok((ethertype, frame.get(offset + 2..).unwrap_or(&[]))),
        _ => Err(WireError::UnknownEtherType { ethertype, offset }),
    }
}

/// The IP packet inside an Ethernet II frame (with at most one 802.1Q tag) carrying IPv4 or
/// IPv6.
pub fn ethernet_payload(frame: &[u8]) -> Result<&[u8], WireError> {
    ethernet_split(frame).map(|(_, ip)| ip)
}

/// Parses an Ethernet II frame carrying IPv4 or IPv6; the IP version must agree with the
/// EtherType.
pub fn parse_ethernet(frame: &[u8]) -> Result<PacketRepr, WireError> {
    let (ethertype, ip) = ethernet_split(frame)?;
    let packet = Packet::new_checked(ip)?;
    let expected = if ethertype == ETHERTYPE_IPV6 { 6 } else { 4 };
    if packet.version() != expected {
        return Err(WireError::UnknownVersion {
            version: packet.version(),
        });
    }
    packet.parse()
}

/// An IPv6 extension header for [`emit`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExtensionHeader {
    /// Hop-by-Hop Options: the option bytes (padded with Pad1/PadN to a multiple of 8).
    HopByHop(Vec<u8>),
    /// Destination Options: the option bytes (padded likewise).
    DestinationOptions(Vec<u8>),
    /// Routing header.
    Routing {
        /// Routing type.
        routing_type: u8,
        /// Segments left.
        segments_left: u8,
        /// Type-specific data (zero-padded to a multiple of 8 with the 4 fixed bytes).
        data: Vec<u8>,
    },
    /// Authentication Header.
    Authentication {
        /// Security parameters index.
        spi: u32,
        /// Integrity check value (zero-padded so the header is a multiple of 8 bytes).
        icv: Vec<u8>,
    },
    /// Any header with the Hop-by-Hop layout (next header, length in 8-byte units − 1, data),
    /// e.g. an unknown or experimental type.
    Other {
        /// The header's type (its value in the previous next-header field).
        header_type: u8,
        /// The bytes after the two-byte prefix (zero-padded).
        data: Vec<u8>,
    },
}

impl ExtensionHeader {
    fn header_type(&self) -> u8 {
        match self {
            ExtensionHeader::HopByHop(_) => IPV6_HOP_BY_HOP,
            ExtensionHeader::DestinationOptions(_) => IPV6_DEST_OPTS,
            ExtensionHeader::Routing { .. } => IPV6_ROUTING,
            ExtensionHeader::Authentication { .. } => IPV6_AUTH,
            ExtensionHeader::Other { header_type, .. } => *header_type,
        }
    }

    fn write(&self, next: u8, out: &mut Vec<u8>) -> Result<(), WireError> {
        let start = out.len();
        match self {
            ExtensionHeader::HopByHop(opts) | ExtensionHeader::DestinationOptions(opts) => {
                out.extend_from_slice(&[next, 0]);
                out.extend_from_slice(opts);
                let pad = (8 - (out.len() - start) % 8) % 8;
                match pad {
                    0 => {}
                    1 => out.push(0),
                    n => {
                        out.extend_from_slice(&[1, (n - 2) as u8]);
                        out.extend(std::iter::repeat_n(0, n - 2));
                    }
                }
                set_len8(out, start)?;
            }
            ExtensionHeader::Routing {
                routing_type,
                segments_left,
                data,
            } => {
                out.extend_from_slice(&[next, 0, *routing_type, *segments_left]);
                out.extend_from_slice(data);
                pad8(out, start);
                set_len8(out, start)?;
            }
            ExtensionHeader::Other { data, .. } => {
                out.extend_from_slice(&[next, 0]);
                out.extend_from_slice(data);
                pad8(out, start);
                set_len8(out, start)?;
            }
            ExtensionHeader::Authentication { spi, icv } => {
                out.extend_from_slice(&[next, 0, 0, 0]);
                out.extend_from_slice(&spi.to_be_bytes());
                out.extend_from_slice(&[0, 0, 0, 1]);
                out.extend_from_slice(icv);
                pad8(out, start);
                let units = (out.len() - start) / 4 - 2;
                let units = u8::try_from(units).map_err(|_| emit_error("AH too long"))?;
                if let Some(b) = out.get_mut(start + 1) {
                    *b = units;
                }
            }
        }
        Ok(())
    }
}

fn pad8(out: &mut Vec<u8>, start: usize) {
    while !(out.len() - start).is_multiple_of(8) {
        out.push(0);
    }
}

fn set_len8(out: &mut [u8], start: usize) -> Result<(), WireError> {
    let units = (out.len() - start) / 8 - 1;
    let units = u8::try_from(units).map_err(|_| emit_error("extension header too long"))?;
    if let Some(b) = out.get_mut(start + 1) {
        *b = units;
    }
    Ok(())
}

fn emit_error(reason: &str) -> WireError {
    WireError::Emit {
        reason: reason.to_owned(),
    }
}

/// Fragmentation of an emitted packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fragment {
    /// Offset in 8-byte units (0–8191); non-zero means a non-first fragment, which carries no
    /// L4 header.
    pub offset: u16,
    /// The More Fragments flag.
    pub more: bool,
    /// Identification (IPv4 uses the low 16 bits).
    pub id: u32,
}

/// Source and destination MAC addresses of an emitted Ethernet header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EthernetAddrs {
    /// Source MAC.
    pub src: [u8; 6],
    /// Destination MAC.
    pub dst: [u8; 6],
}

/// How [`emit`] lays a [`PacketRepr`] out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct EmitOptions {
    /// Prepend an Ethernet II header (EtherType from the family).
    pub ethernet: Option<EthernetAddrs>,
    /// IPv4 option bytes (padded with End-of-Options to a multiple of 4; at most 40).
    pub ipv4_options: Vec<u8>,
    /// IPv6 extension headers, in order (a [`Fragment`] adds a Fragment header after them).
    pub ipv6_extensions: Vec<ExtensionHeader>,
    /// Fragmentation (IPv4 header fields, or an IPv6 Fragment header).
    pub fragment: Option<Fragment>,
    /// TTL or hop limit (default 64).
    pub ttl: Option<u8>,
    /// Bytes after the L4 header (or after the IP headers when the packet has no L4 fields).
    pub payload: Vec<u8>,
}

/// Emits `repr` as bytes: an IP packet with valid lengths and IPv4, TCP, UDP, UDP-Lite, ICMP and
/// ICMPv6 checksums (SCTP's CRC32c is left 0), which [`parse`] (or [`parse_ethernet`] with an
/// Ethernet header) turns back into `repr`.
///
/// A TCP packet gets a 20-byte SYN header, UDP and UDP-Lite 8 bytes, SCTP its 12-byte common
/// header, ICMP/ICMPv6 an 8-byte header with a zero rest-of-header. A packet without L4 fields
/// gets no L4 header; if its protocol has L4 fields, `payload` must then be shorter than that
/// header (or the packet a non-first fragment), so that it parses back without them.
pub fn emit(repr: &PacketRepr, options: &EmitOptions) -> Result<Vec<u8>, WireError> {
    let protocol = repr.protocol();
    if !repr.is_ipv4()
        && [
            IPV6_HOP_BY_HOP,
            IPV6_ROUTING,
            IPV6_FRAGMENT,
            IPV6_AUTH,
            IPV6_DEST_OPTS,
        ]
        .contains(&protocol)
    {
        return Err(emit_error(&format!(
            "protocol {protocol} is an IPv6 extension header, never the upper-layer protocol"
        )));
    }
    let non_first = options.fragment.is_some_and(|f| f.offset != 0);
    if options.fragment.is_some_and(|f| f.offset > 0x1fff) {
        return Err(emit_error("fragment offset above 8191"));
    }
    let mut l4: Vec<u8> = Vec::new();
    match repr.l4() {
        L4::Ports { src, dst } => {
            if non_first {
                return Err(emit_error(
                    "a non-first fragment carries no L4 header; emit a packet without L4 fields",
                ));
            }
            l4.extend_from_slice(&src.to_be_bytes());
            l4.extend_from_slice(&dst.to_be_bytes());
            match protocol {
                PROTO_TCP => {
                    l4.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff]);
                    l4.extend_from_slice(&[0, 0, 0, 0]);
                }
                PROTO_SCTP => l4.extend_from_slice(&[0; 8]),
                _ => {
                    let len = 8 + options.payload.len();
                    let len =
                        u16::try_from(len).map_err(|_| emit_error("UDP datagram too long"))?;
                    // UDP-Lite: a checksum coverage of 0 covers the whole datagram.
                    let field = if protocol == PROTO_UDPLITE { 0 } else { len };
                    l4.extend_from_slice(&field.to_be_bytes());
                    l4.extend_from_slice(&[0, 0]);
                }
            }
        }
        L4::Icmp { icmp_type, code } => {
            if non_first {
                return Err(emit_error(
                    "a non-first fragment carries no L4 header; emit a packet without L4 fields",
                ));
            }
            l4.extend_from_slice(&[icmp_type, code, 0, 0, 0, 0, 0, 0]);
        }
        L4::None => {
            let has_l4 =
                PORT_PROTOCOLS.contains(&protocol) || protocol == icmp_protocol_for(repr.src());
            if let Some(min) = l4_header_len(protocol)
                && has_l4
                && !non_first
                && options.payload.len() >= min
            {
                return Err(emit_error(&format!(
                    "a payload of {} bytes would parse as a {min}-byte L4 header of protocol \
                     {protocol}; give at most {} bytes or mark the packet a non-first fragment",
                    options.payload.len(),
                    min - 1
                )));
            }
        }
    }
    l4.extend_from_slice(&options.payload);
    let ttl = options.ttl.unwrap_or(64);
    let mut out = Vec::new();
    if let Some(eth) = options.ethernet {
        out.extend_from_slice(&eth.dst);
        out.extend_from_slice(&eth.src);
        let ethertype = if repr.is_ipv4() {
            ETHERTYPE_IPV4
        } else {
            ETHERTYPE_IPV6
        };
        out.extend_from_slice(&ethertype.to_be_bytes());
    }
    let ip_start = out.len();
    match (repr.src(), repr.dst()) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            if !options.ipv6_extensions.is_empty() {
                return Err(emit_error("IPv6 extension headers on an IPv4 packet"));
            }
            let mut opts = options.ipv4_options.clone();
            while !opts.len().is_multiple_of(4) {
                opts.push(0);
            }
            if opts.len() > 40 {
                return Err(emit_error("more than 40 bytes of IPv4 options"));
            }
            let header_len = IPV4_HEADER_LEN + opts.len();
            let total = u16::try_from(header_len + l4.len())
                .map_err(|_| emit_error("IPv4 packet longer than 65535 bytes"))?;
            let frag = options.fragment.unwrap_or_default();
            let frag_field = frag.offset | if frag.more { 0x2000 } else { 0 };
            out.push(0x40 | (header_len / 4) as u8);
            out.push(0);
            out.extend_from_slice(&total.to_be_bytes());
            out.extend_from_slice(&(frag.id as u16).to_be_bytes());
            out.extend_from_slice(&frag_field.to_be_bytes());
            out.extend_from_slice(&[ttl, protocol, 0, 0]);
            out.extend_from_slice(&src.octets());
            out.extend_from_slice(&dst.octets());
            out.extend_from_slice(&opts);
            let sum = checksum(&[out.get(ip_start..).unwrap_or(&[])], 0);
            if let Some(c) = out.get_mut(ip_start + 10..ip_start + 12) {
                c.copy_from_slice(&sum.to_be_bytes());
            }
            let pseudo = pseudo_sum(&src.octets(), &dst.octets(), protocol, l4.len());
            fill_l4_checksum(&mut l4, repr, protocol, pseudo, non_first);
            out.extend_from_slice(&l4);
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            let mut ext: Vec<u8> = Vec::new();
            let mut headers: Vec<(u8, Option<&ExtensionHeader>)> = options
                .ipv6_extensions
                .iter()
                .map(|h| (h.header_type(), Some(h)))
                .collect();
            if options.fragment.is_some() {
                headers.push((IPV6_FRAGMENT, None));
            }
            let first = headers.first().map_or(protocol, |h| h.0);
            for (i, (_, h)) in headers.iter().enumerate() {
                let next = headers.get(i + 1).map_or(protocol, |n| n.0);
                match h {
                    Some(h) => h.write(next, &mut ext)?,
                    None => {
                        let f = options.fragment.unwrap_or_default();
                        let field = (f.offset << 3) | u16::from(f.more);
                        ext.extend_from_slice(&[next, 0]);
                        ext.extend_from_slice(&field.to_be_bytes());
                        ext.extend_from_slice(&f.id.to_be_bytes());
                    }
                }
            }
            let payload_len = u16::try_from(ext.len() + l4.len())
                .map_err(|_| emit_error("IPv6 payload longer than 65535 bytes"))?;
            out.extend_from_slice(&[0x60, 0, 0, 0]);
            out.extend_from_slice(&payload_len.to_be_bytes());
            out.extend_from_slice(&[first, ttl]);
            out.extend_from_slice(&src.octets());
            out.extend_from_slice(&dst.octets());
            out.extend_from_slice(&ext);
            let pseudo = pseudo_sum(&src.octets(), &dst.octets(), protocol, l4.len());
            fill_l4_checksum(&mut l4, repr, protocol, pseudo, non_first);
            out.extend_from_slice(&l4);
        }
        _ => return Err(emit_error("source and destination of different families")),
    }
    Ok(out)
}

/// Fills the L4 checksum field (TCP, UDP, UDP-Lite, ICMP, ICMPv6) of a first fragment.
fn fill_l4_checksum(l4: &mut [u8], repr: &PacketRepr, protocol: u8, pseudo: u32, non_first: bool) {
    if non_first || repr.l4() == L4::None {
        return;
    }
    let (at, with_pseudo) = match protocol {
        PROTO_TCP => (16, true),
        PROTO_UDP | PROTO_UDPLITE => (6, true),
        PROTO_ICMPV6 => (2, true),
        PROTO_ICMP => (2, false),
        _ => return,
    };
    let mut sum = checksum(&[l4], if with_pseudo { pseudo } else { 0 });
    if sum == 0 && protocol == PROTO_UDP {
        sum = 0xffff;
    }
    if let Some(c) = l4.get_mut(at..at + 2) {
        c.copy_from_slice(&sum.to_be_bytes());
    }
}

/// The ones'-complement sum of the IPv4/IPv6 pseudo-header (not yet folded).
fn pseudo_sum(src: &[u8], dst: &[u8], protocol: u8, len: usize) -> u32 {
    let mut sum = 0u32;
    for pair in src.chunks(2).chain(dst.chunks(2)) {
        sum += u32::from(u16::from_be_bytes([
            pair.first().copied().unwrap_or(0),
            pair.get(1).copied().unwrap_or(0),
        ]));
    }
    sum + u32::from(protocol) + (len as u32 & 0xffff) + (len as u32 >> 16)
}

/// The Internet checksum of `parts` (concatenated) plus an initial sum.
fn checksum(parts: &[&[u8]], initial: u32) -> u16 {
    let mut sum = u64::from(initial);
    for part in parts {
        let mut chunks = part.chunks_exact(2);
        for c in &mut chunks {
            sum += u64::from(u16::from_be_bytes([c[0], c[1]]));
        }
        if let [last] = chunks.remainder() {
            sum += u64::from(u16::from_be_bytes([*last, 0]));
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// True when the Internet checksum over `data` (with its checksum field filled in) verifies.
#[cfg(test)]
pub(crate) fn checksum_ok(data: &[u8], pseudo: u32) -> bool {
    checksum(&[data], pseudo) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn emitted_checksums_verify() {
        let repr = PacketRepr::tcp(v4("10.0.0.1"), v4("10.0.0.2"), 1234, 80).unwrap();
        let bytes = emit(&repr, &EmitOptions::default()).unwrap();
        assert!(checksum_ok(&bytes[..20], 0));
        let pseudo = pseudo_sum(&bytes[12..16], &bytes[16..20], 6, 20);
        assert!(checksum_ok(&bytes[20..], pseudo));
        let repr = PacketRepr::icmp(v4("fd00::1"), v4("fd00::2"), 128, 0).unwrap();
        let bytes = emit(&repr, &EmitOptions::default()).unwrap();
        let pseudo = pseudo_sum(&bytes[8..24], &bytes[24..40], 58, 8);
        assert!(checksum_ok(&bytes[40..], pseudo));
    }
}
