//! Which packets the engine can hand to the kernel unchanged. The bytes themselves come from
//! the compiler's `packet::wire::emit` (a minimal TCP SYN, UDP, UDP-Lite, SCTP or ICMP header; no
//! transport bytes for a packet without L4 fields, which netfilter then treats as the IR does:
//! the protocol is known, ports and ICMP fields are not).

use std::net::IpAddr;

use palisade_compiler::packet::PacketRepr;

/// IPv6 next-header values the kernel parses as extension headers (or as "no next header"):
/// a packet that claims one of them as its protocol does not reach netfilter with that protocol.
const IPV6_EXTENSION_HEADERS: [u8; 6] = [0, 43, 44, 51, 59, 60];

/// Why a packet cannot be sent faithfully, if it cannot.
pub(crate) fn unsupported(packet: &PacketRepr) -> Option<String> {
    match packet.src() {
        IpAddr::V4(a) if a.is_unspecified() => {
            return Some("the kernel rewrites an IPv4 source of 0.0.0.0".into());
        }
        IpAddr::V6(_) if IPV6_EXTENSION_HEADERS.contains(&packet.protocol()) => {
            return Some(format!(
                "IPv6 next header {} is an extension header, not a transport protocol",
                packet.protocol()
            ));
        }
        _ => {}
    }
    if packet.dst().is_unspecified() {
        return Some("an unspecified destination cannot be sent".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_compiler::packet::L4;

    #[test]
    fn unfaithful_packets_are_recognised() {
        let ext = PacketRepr::new(
            "fd00::1".parse().unwrap(),
            "fd00::2".parse().unwrap(),
            44,
            L4::None,
        )
        .unwrap();
        assert!(unsupported(&ext).is_some());
        let zero = PacketRepr::new(
            "0.0.0.0".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
            6,
            L4::None,
        )
        .unwrap();
        assert!(unsupported(&zero).is_some());
        let to_nowhere = PacketRepr::udp(
            "10.0.0.1".parse().unwrap(),
            "0.0.0.0".parse().unwrap(),
            1,
            2,
        )
        .unwrap();
        assert!(unsupported(&to_nowhere).is_some());
        let fine = PacketRepr::udp(
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
            1,
            2,
        )
        .unwrap();
        assert!(unsupported(&fine).is_none());
    }
}
