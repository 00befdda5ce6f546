//! Wire format (`packet::wire`): parsing handcrafted IPv4/IPv6 byte strings (options, extension
//! headers, fragments, truncation, Ethernet framing), emit → parse round trips, and arbitrary
//! bytes never panicking.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::net::IpAddr;

use palisade_compiler::packet::wire::{
    EmitOptions, EthernetAddrs, ExtensionHeader, Fragment, MAX_IPV6_EXTENSION_HEADERS, Packet,
    WireError, emit, ethernet_payload, parse, parse_ethernet,
};
use palisade_compiler::packet::{L4, PacketRepr};
use proptest::prelude::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .map(|c| (c as char).to_digit(16).unwrap() as u8)
        .collect();
    digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}

/// A TCP SYN 10.0.0.1:1234 → 10.0.0.2:80.
const V4_TCP: &str = "45000028 00014000 4006 0000 0a000001 0a000002
                      04d20050 00000000 00000000 5002ffff 00000000";

#[test]
fn ipv4_tcp() {
    let bytes = hex(V4_TCP);
    let p = parse(&bytes).unwrap();
    assert_eq!(
        p,
        PacketRepr::tcp(ip("10.0.0.1"), ip("10.0.0.2"), 1234, 80).unwrap()
    );
    let view = Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!(view.version(), 4);
    assert_eq!(view.header_len(), 20);
    assert_eq!(view.total_len(), 40);
    assert_eq!(view.next_header(), 6);
}

#[test]
fn ipv4_options_are_skipped() {
    // IHL 6: one option word (NOP NOP NOP EOL), then UDP 5353 → 53.
    let bytes = hex("46000020 00000000 4011 0000 c0a80001 c0a80002 01010100
                     14e90035 00080000");
    let p = parse(&bytes).unwrap();
    assert_eq!(
        p,
        PacketRepr::udp(ip("192.168.0.1"), ip("192.168.0.2"), 5353, 53).unwrap()
    );
}

#[test]
fn trailing_bytes_after_the_total_length_are_ignored() {
    let mut bytes = hex(V4_TCP);
    bytes.extend_from_slice(&[0xaa; 6]);
    assert_eq!(parse(&bytes).unwrap().ports(), Some((1234, 80)));
}

#[test]
fn ipv4_fragments() {
    // First fragment (MF, offset 0) with the whole UDP header: ports.
    let first = hex("4500001c 00072000 4011 0000 0a000001 0a000002 00350035 00100000");
    assert_eq!(parse(&first).unwrap().ports(), Some((53, 53)));
    // Non-first fragment (offset 185 × 8): protocol UDP, no L4, whatever the bytes say.
    let later = hex("4500001c 000700b9 4011 0000 0a000001 0a000002 00350035 00100000");
    let p = parse(&later).unwrap();
    assert_eq!(p.protocol(), 17);
    assert_eq!(p.l4(), L4::None);
}

#[test]
fn truncated_l4_headers_give_no_l4() {
    // TCP with only 8 of its 20 header bytes.
    let bytes = hex("4500001c 00000000 4006 0000 0a000001 0a000002 04d20050 00000000");
    let p = parse(&bytes).unwrap();
    assert_eq!((p.protocol(), p.l4()), (6, L4::None));
    // ICMP with 4 of 8 bytes.
    let bytes = hex("45000018 00000000 4001 0000 0a000001 0a000002 08000000");
    assert_eq!(parse(&bytes).unwrap().l4(), L4::None);
    // ICMP echo request, whole header.
    let bytes = hex("4500001c 00000000 4001 0000 0a000001 0a000002 0800f7ff 00000000");
    assert_eq!(
        parse(&bytes).unwrap().l4(),
        L4::Icmp {
            icmp_type: 8,
            code: 0
        }
    );
    // ICMPv6 (58) inside IPv4 is not ICMP of the packet's family: no fields.
    let bytes = hex("4500001c 00000000 403a 0000 0a000001 0a000002 80000000 00000000");
    let p = parse(&bytes).unwrap();
    assert_eq!((p.protocol(), p.l4()), (58, L4::None));
    // A protocol without L4 fields (GRE).
    let bytes = hex("4500001c 00000000 402f 0000 0a000001 0a000002 00000800 00000000");
    assert_eq!(parse(&bytes).unwrap().l4(), L4::None);
}

const V6_SRC: &str = "fd000000 00000000 00000000 00000001";
const V6_DST: &str = "fd000000 00000000 00000000 00000002";

fn v6(payload_len: u16, next: u8, rest: &str) -> Vec<u8> {
    let mut b = hex(&format!("60000000 {payload_len:04x}{next:02x}40"));
    b.extend(hex(V6_SRC));
    b.extend(hex(V6_DST));
    b.extend(hex(rest));
    b
}

#[test]
fn ipv6_udp_and_icmpv6() {
    let p = parse(&v6(8, 17, "30390035 00080000")).unwrap();
    assert_eq!(
        p,
        PacketRepr::udp(ip("fd00::1"), ip("fd00::2"), 12345, 53).unwrap()
    );
    let p = parse(&v6(8, 58, "87000000 00000000")).unwrap();
    assert_eq!(
        p.l4(),
        L4::Icmp {
            icmp_type: 135,
            code: 0
        }
    );
    // ICMP (1) inside IPv6 has no ICMP fields.
    let p = parse(&v6(8, 1, "08000000 00000000")).unwrap();
    assert_eq!((p.protocol(), p.l4()), (1, L4::None));
}

#[test]
fn ipv6_extension_headers_are_walked() {
    // Hop-by-Hop (8 bytes, PadN) → Routing (type 0 header, 8 bytes) → Destination Options
    // (16 bytes) → TCP.
    let rest = "2b000104 00000000
                3c000000 00000000
                06010104 00000000 01040000 00000000
                04d20050 00000000 00000000 5002ffff 00000000";
    let p = parse(&v6(52, 0, rest)).unwrap();
    assert_eq!(
        p,
        PacketRepr::tcp(ip("fd00::1"), ip("fd00::2"), 1234, 80).unwrap()
    );
    // Authentication Header (payload length 4 → 24 bytes) → UDP.
    let rest = "11040000 00000100 00000001 00000000 00000000 00000000
                00350035 00080000";
    let p = parse(&v6(32, 51, rest)).unwrap();
    assert_eq!(p.ports(), Some((53, 53)));
}

#[test]
fn ipv6_fragments() {
    // First fragment (offset 0, M) → UDP: ports.
    let p = parse(&v6(16, 44, "11000001 00000007 00350035 00100000")).unwrap();
    assert_eq!(p.ports(), Some((53, 53)));
    // Non-first fragment (offset 1): the fragment header's next header is the protocol, no L4.
    let p = parse(&v6(16, 44, "11000008 00000007 00350035 00100000")).unwrap();
    assert_eq!((p.protocol(), p.l4()), (17, L4::None));
}

#[test]
fn unknown_next_headers_have_no_l4() {
    // 253 (experimental) is not an extension header the parser knows: it is the protocol.
    let p = parse(&v6(8, 253, "06000000 00000000")).unwrap();
    assert_eq!((p.protocol(), p.l4()), (253, L4::None));
    // No Next Header.
    let p = parse(&v6(0, 59, "")).unwrap();
    assert_eq!((p.protocol(), p.l4()), (59, L4::None));
}

#[test]
fn bad_extension_chains_are_errors() {
    // A destination-options header claiming 16 bytes with 8 present.
    assert!(matches!(
        parse(&v6(8, 60, "06010000 00000000")),
        Err(WireError::Truncated { offset: 40, .. })
    ));
    // Nine destination-options headers.
    let mut rest = String::new();
    for _ in 0..MAX_IPV6_EXTENSION_HEADERS {
        rest.push_str("3c000000 00000000 ");
    }
    rest.push_str("06000000 00000000");
    let len = 8 * (MAX_IPV6_EXTENSION_HEADERS as u16 + 1);
    assert!(matches!(
        parse(&v6(len, 60, &rest)),
        Err(WireError::ExtensionChainTooLong { limit: 8, .. })
    ));
    // Eight are fine.
    let mut rest = String::new();
    for i in 0..MAX_IPV6_EXTENSION_HEADERS {
        let next = if i + 1 == MAX_IPV6_EXTENSION_HEADERS {
            "3b"
        } else {
            "3c"
        };
        rest.push_str(&format!("{next}000000 00000000 "));
    }
    let len = 8 * MAX_IPV6_EXTENSION_HEADERS as u16;
    assert_eq!(parse(&v6(len, 60, &rest)).unwrap().protocol(), 59);
}

#[test]
fn malformed_ip_headers_are_errors() {
    assert_eq!(parse(&[]), Err(WireError::Empty));
    assert_eq!(
        parse(&[0x50; 40]),
        Err(WireError::UnknownVersion { version: 5 })
    );
    let mut b = hex(V4_TCP);
    b[0] = 0x44;
    assert_eq!(parse(&b), Err(WireError::BadHeaderLength { ihl: 4 }));
    let mut b = hex(V4_TCP);
    b[3] = 0x10; // total length 16 < 20
    assert!(matches!(
        parse(&b),
        Err(WireError::BadTotalLength { total: 16, .. })
    ));
    let b = hex(V4_TCP);
    assert!(matches!(
        parse(&b[..30]),
        Err(WireError::Truncated { needed: 40, .. })
    ));
    assert!(matches!(
        parse(&b[..10]),
        Err(WireError::Truncated { needed: 20, .. })
    ));
    let b = v6(8, 17, "30390035 00080000");
    assert!(matches!(
        parse(&b[..45]),
        Err(WireError::Truncated { needed: 48, .. })
    ));
}

#[test]
fn ethernet_frames() {
    let mut frame = hex("020000000002 020000000001 0800");
    frame.extend(hex(V4_TCP));
    assert_eq!(parse_ethernet(&frame).unwrap().ports(), Some((1234, 80)));
    assert_eq!(ethernet_payload(&frame).unwrap().len(), 40);
    let mut tagged = hex("020000000002 020000000001 8100 0064 0800");
    tagged.extend(hex(V4_TCP));
    assert_eq!(parse_ethernet(&tagged).unwrap().ports(), Some((1234, 80)));
    let mut arp = hex("ffffffffffff 020000000001 0806");
    arp.extend([0; 28]);
    assert!(matches!(
        parse_ethernet(&arp),
        Err(WireError::UnknownEtherType {
            ethertype: 0x0806,
            offset: 12
        })
    ));
    let mut wrong = hex("020000000002 020000000001 86dd");
    wrong.extend(hex(V4_TCP));
    assert!(matches!(
        parse_ethernet(&wrong),
        Err(WireError::UnknownVersion { version: 4 })
    ));
    assert!(matches!(
        parse_ethernet(&frame[..10]),
        Err(WireError::Truncated { .. })
    ));
}

#[test]
fn emit_builds_what_parse_reads() {
    let repr = PacketRepr::tcp(ip("10.0.0.1"), ip("10.0.0.2"), 1234, 80).unwrap();
    let bytes = emit(&repr, &EmitOptions::default()).unwrap();
    assert_eq!(bytes.len(), 40);
    assert_eq!(&bytes[..4], &hex("45000028")[..]);
    assert_eq!(&bytes[20..24], &hex("04d20050")[..]);
    assert_eq!(parse(&bytes).unwrap(), repr);
    let options = EmitOptions {
        ethernet: Some(EthernetAddrs::default()),
        ipv4_options: vec![1, 1, 1],
        ..EmitOptions::default()
    };
    let frame = emit(&repr, &options).unwrap();
    assert_eq!(frame.len(), 14 + 44);
    assert_eq!(parse_ethernet(&frame).unwrap(), repr);
    let v6repr = PacketRepr::udp(ip("fd00::1"), ip("fd00::2"), 1, 2).unwrap();
    let options = EmitOptions {
        ipv6_extensions: vec![
            ExtensionHeader::HopByHop(vec![]),
            ExtensionHeader::Routing {
                routing_type: 4,
                segments_left: 0,
                data: vec![0; 20],
            },
            ExtensionHeader::Authentication {
                spi: 7,
                icv: vec![1; 12],
            },
            ExtensionHeader::DestinationOptions(vec![1, 3, 0, 0, 0]),
        ],
        fragment: Some(Fragment {
            offset: 0,
            more: true,
            id: 9,
        }),
        payload: b"hello".to_vec(),
        ..EmitOptions::default()
    };
    let bytes = emit(&v6repr, &options).unwrap();
    assert_eq!(parse(&bytes).unwrap(), v6repr);
}

#[test]
fn emit_refuses_what_would_not_parse_back() {
    let tcp = PacketRepr::tcp(ip("10.0.0.1"), ip("10.0.0.2"), 1, 2).unwrap();
    let later = EmitOptions {
        fragment: Some(Fragment {
            offset: 1,
            more: false,
            id: 0,
        }),
        ..EmitOptions::default()
    };
    assert!(matches!(emit(&tcp, &later), Err(WireError::Emit { .. })));
    // The same packet without L4 fields is a fine non-first fragment, with any payload.
    let bare = tcp.without_l4();
    let frag = EmitOptions {
        payload: vec![0; 40],
        ..later.clone()
    };
    assert_eq!(parse(&emit(&bare, &frag).unwrap()).unwrap(), bare);
    // Unfragmented, 20 payload bytes would read as a TCP header.
    let long = EmitOptions {
        payload: vec![0; 20],
        ..EmitOptions::default()
    };
    assert!(matches!(emit(&bare, &long), Err(WireError::Emit { .. })));
    let v6ext = EmitOptions {
        ipv6_extensions: vec![ExtensionHeader::HopByHop(vec![])],
        ..EmitOptions::default()
    };
    assert!(matches!(emit(&tcp, &v6ext), Err(WireError::Emit { .. })));
    let opts = EmitOptions {
        ipv4_options: vec![1; 41],
        ..EmitOptions::default()
    };
    assert!(matches!(emit(&tcp, &opts), Err(WireError::Emit { .. })));
    // An IPv6 extension header type cannot be the upper-layer protocol.
    let routing = PacketRepr::new(ip("fd00::1"), ip("fd00::2"), 43, L4::None).unwrap();
    assert!(matches!(
        emit(&routing, &EmitOptions::default()),
        Err(WireError::Emit { .. })
    ));
}

fn addr_pair() -> impl Strategy<Value = (IpAddr, IpAddr)> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<[u8; 4]>()).prop_map(|(a, b)| (IpAddr::from(a), IpAddr::from(b))),
        (any::<[u8; 16]>(), any::<[u8; 16]>())
            .prop_map(|(a, b)| (IpAddr::from(a), IpAddr::from(b))),
    ]
}

fn repr() -> impl Strategy<Value = PacketRepr> {
    (
        addr_pair(),
        prop_oneof![
            Just(6u8),
            Just(17),
            Just(132),
            Just(136),
            Just(1),
            Just(58),
            any::<u8>()
        ],
        0u8..3,
        any::<(u16, u16)>(),
        any::<(u8, u8)>(),
    )
        .prop_map(|((src, dst), protocol, kind, ports, icmp)| {
            let l4 = match kind {
                0 => L4::None,
                1 => L4::Ports {
                    src: ports.0,
                    dst: ports.1,
                },
                _ => L4::Icmp {
                    icmp_type: icmp.0,
                    code: icmp.1,
                },
            };
            // In IPv6 an extension header type is never the upper-layer protocol.
            let protocol = if src.is_ipv6() && [0, 43, 44, 51, 60].contains(&protocol) {
                253
            } else {
                protocol
            };
            PacketRepr::new(src, dst, protocol, l4)
                .unwrap_or_else(|_| PacketRepr::new(src, dst, protocol, L4::None).unwrap())
        })
}

fn extension() -> impl Strategy<Value = ExtensionHeader> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..12).prop_map(ExtensionHeader::HopByHop),
        prop::collection::vec(any::<u8>(), 0..12).prop_map(ExtensionHeader::DestinationOptions),
        (
            any::<u8>(),
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 0..20)
        )
            .prop_map(
                |(routing_type, segments_left, data)| ExtensionHeader::Routing {
                    routing_type,
                    segments_left,
                    data
                }
            ),
        (any::<u32>(), prop::collection::vec(any::<u8>(), 0..16))
            .prop_map(|(spi, icv)| ExtensionHeader::Authentication { spi, icv }),
    ]
}

fn options(repr: PacketRepr) -> impl Strategy<Value = EmitOptions> {
    let v4 = repr.is_ipv4();
    (
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..=40),
        prop::collection::vec(extension(), 0..4),
        prop::option::of((any::<bool>(), 0u16..8192, any::<bool>(), any::<u32>())),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(move |(eth, v4opts, exts, frag, payload)| {
            let fragment = frag.map(|(first, offset, more, id)| Fragment {
                // Only packets without L4 fields may be non-first fragments.
                offset: if first || repr.l4() != L4::None {
                    0
                } else {
                    offset
                },
                more,
                id,
            });
            let non_first = fragment.is_some_and(|f| f.offset != 0);
            let mut payload = payload;
            if repr.l4() == L4::None && !non_first {
                payload.truncate(7);
            }
            EmitOptions {
                ethernet: eth.then(EthernetAddrs::default),
                ipv4_options: if v4 { v4opts } else { Vec::new() },
                ipv6_extensions: if v4 { Vec::new() } else { exts },
                fragment,
                ttl: None,
                payload,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2_000,
        rng_algorithm: proptest::test_runner::RngAlgorithm::XorShift,
        ..ProptestConfig::default()
    })]

    #[test]
    fn emit_then_parse_round_trips((repr, options) in repr().prop_flat_map(|r| (Just(r), options(r)))) {
        let bytes = emit(&repr, &options).unwrap();
        let parsed = if options.ethernet.is_some() {
            parse_ethernet(&bytes)
        } else {
            parse(&bytes)
        };
        prop_assert_eq!(parsed, Ok(repr));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..120), first in prop_oneof![Just(0x45u8), Just(0x46), Just(0x60), any::<u8>()]) {
        let mut bytes = bytes;
        if let Some(b) = bytes.first_mut() {
            *b = first;
        }
        let _ = parse(&bytes);
        let _ = parse_ethernet(&bytes);
        let view = Packet::new_unchecked(&bytes[..]);
        let _ = (view.version(), view.header_len(), view.total_len(), view.next_header());
        let _ = (view.src_addr(), view.dst_addr(), view.transport(), view.l4());
    }

    #[test]
    fn truncated_emitted_packets_never_panic(repr in repr(), cut in any::<prop::sample::Index>()) {
        let bytes = emit(&repr, &EmitOptions::default()).unwrap();
        let cut = cut.index(bytes.len() + 1);
        let _ = parse(&bytes[..cut]);
        if cut == bytes.len() {
            prop_assert_eq!(parse(&bytes[..cut]), Ok(repr));
        }
    }
}
