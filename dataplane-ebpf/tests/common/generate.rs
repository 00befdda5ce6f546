//! Random IR programs, IP sets and packets for differential tests: small pools of addresses,
//! prefix lengths and ports so that rules overlap, packets sit on boundaries, and every rule
//! feature (family, protocol and its negation, ICMP and its negation, CIDR sets and their
//! negation, port ranges, named address+port sets and their negation, Log, Pass, NoVerdict)
//! appears often.

#![allow(dead_code)]

use std::net::IpAddr;

use ipnet::IpNet;
use palisade_compiler::ir::{
    AddrPort, Hook, IcmpMatch, IpSet, IpSetId, IpSetMembers, IpSetSource, IpSets, IrAction, IrRule,
    Match, Origin, PortMatch, Program, SideMatch,
};
use palisade_compiler::packet::{L4, PacketRepr};
use palisade_policy_model::values::{IpVersion, PortRange};
use proptest::prelude::*;
use proptest::sample::select;
use smallvec::SmallVec;

pub(crate) const V4: [&str; 7] = [
    "10.0.0.1",
    "10.0.0.2",
    "10.0.1.0",
    "10.9.0.0",
    "172.16.5.4",
    "0.0.0.0",
    "255.255.255.255",
];
pub(crate) const V6: [&str; 6] = [
    "fd00::1",
    "fd00::2",
    "fd00:0:0:1::",
    "2001:db8::",
    "::",
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
];
const V4_LENS: [u8; 8] = [0, 8, 16, 24, 25, 30, 31, 32];
const V6_LENS: [u8; 8] = [0, 16, 48, 64, 96, 126, 127, 128];
pub(crate) const PORTS: [u16; 9] = [1, 22, 79, 80, 81, 443, 8080, 32768, 65535];
pub(crate) const PROTOCOLS: [u8; 9] = [6, 17, 1, 58, 132, 136, 47, 50, 0];
pub(crate) const CIDR_SETS: usize = 6;
pub(crate) const PORT_SETS: usize = 3;

/// The address `base` of a pool, moved by `delta`.
pub(crate) fn addr(v6: bool, i: usize, delta: i8) -> IpAddr {
    if v6 {
        let a: std::net::Ipv6Addr = V6[i % V6.len()]
            .parse()
            .unwrap_or(std::net::Ipv6Addr::UNSPECIFIED);
        IpAddr::V6(u128::from(a).wrapping_add_signed(i128::from(delta)).into())
    } else {
        let a: std::net::Ipv4Addr = V4[i % V4.len()]
            .parse()
            .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
        IpAddr::V4(u32::from(a).wrapping_add_signed(i32::from(delta)).into())
    }
}

pub(crate) fn cidr_set_id(i: usize) -> IpSetId {
    IpSetId::derive("net", &format!("test-{i}"))
}

pub(crate) fn port_set_id(i: usize) -> IpSetId {
    IpSetId::derive("n", &format!("test-{i}"))
}

fn cidr() -> impl Strategy<Value = IpNet> {
    (any::<bool>(), 0usize..8, 0usize..8).prop_map(|(v6, i, l)| {
        let a = addr(v6, i, 0);
        let len = if v6 { V6_LENS[l] } else { V4_LENS[l] };
        IpNet::new(a, len)
            .map(|n| n.trunc())
            .unwrap_or_else(|_| IpNet::from(a))
    })
}

fn addr_port() -> impl Strategy<Value = AddrPort> {
    (
        any::<bool>(),
        0usize..7,
        select(vec![6u8, 17, 132, 136]),
        select(PORTS.to_vec()),
    )
        .prop_map(|(v6, i, protocol, port)| AddrPort {
            addr: addr(v6, i, 0),
            protocol,
            port,
        })
}

pub(crate) fn sets_strategy() -> impl Strategy<Value = IpSets> {
    (
        prop::collection::vec(prop::collection::vec(cidr(), 0..5), CIDR_SETS),
        prop::collection::vec(prop::collection::vec(addr_port(), 0..5), PORT_SETS),
    )
        .prop_map(|(cidrs, ports)| {
            let mut sets = IpSets::new();
            for (i, c) in cidrs.into_iter().enumerate() {
                sets.insert(IpSet::new(
                    cidr_set_id(i),
                    IpSetSource::Nets,
                    IpSetMembers::addrs(c),
                ));
            }
            for (i, p) in ports.into_iter().enumerate() {
                sets.insert(IpSet::new(
                    port_set_id(i),
                    IpSetSource::BuiltIn,
                    IpSetMembers::addr_ports(p),
                ));
            }
            sets
        })
}

fn port_match() -> impl Strategy<Value = PortMatch> {
    (
        prop::collection::vec((select(PORTS.to_vec()), 0u16..3), 0..3),
        prop::collection::vec(0usize..PORT_SETS, 0..2),
    )
        .prop_map(|(ranges, named)| PortMatch {
            ranges: ranges
                .into_iter()
                .filter_map(|(lo, w)| PortRange::new(lo, lo.saturating_add(w)))
                .collect(),
            named: named.into_iter().map(port_set_id).collect(),
        })
}

fn ids(max: usize) -> impl Strategy<Value = SmallVec<[IpSetId; 2]>> {
    prop::collection::vec(0usize..CIDR_SETS, 0..=max)
        .prop_map(|v| v.into_iter().map(cidr_set_id).collect())
}

fn side() -> impl Strategy<Value = SideMatch> {
    (
        ids(2),
        ids(1),
        prop::option::weighted(0.3, port_match()),
        prop::option::weighted(0.15, port_match()),
    )
        .prop_map(|(sets, not_sets, ports, not_ports)| SideMatch {
            sets,
            not_sets,
            ports,
            not_ports,
        })
}

fn icmp() -> impl Strategy<Value = IcmpMatch> {
    prop_oneof![
        Just(IcmpMatch::ANY),
        select(vec![0u8, 3, 8, 128, 135]).prop_map(|t| IcmpMatch::new(t, None)),
        (select(vec![3u8, 8, 128]), select(vec![0u8, 1, 4]))
            .prop_map(|(t, c)| IcmpMatch::new(t, Some(c))),
    ]
}

pub(crate) fn match_strategy() -> impl Strategy<Value = Match> {
    (
        prop::option::weighted(0.2, prop_oneof![Just(IpVersion::V4), Just(IpVersion::V6)]),
        prop::option::weighted(0.45, select(PROTOCOLS.to_vec())),
        prop::option::weighted(0.1, select(PROTOCOLS.to_vec())),
        prop::option::weighted(0.12, icmp()),
        prop::option::weighted(0.06, icmp()),
        side(),
        side(),
    )
        .prop_map(
            |(ip_version, protocol, not_protocol, icmp, not_icmp, src, dst)| Match {
                ip_version,
                protocol,
                not_protocol,
                icmp,
                not_icmp,
                src,
                dst,
            },
        )
}

#[derive(Clone, Debug)]
enum Act {
    Allow,
    Deny,
    Log,
    Pass(usize),
    NoVerdict,
}

/// A program of up to `max_rules` rules plus a final match-all rule, for a hook that allows
/// NoVerdict. Every rule's origin is distinct.
pub(crate) fn program_strategy(max_rules: usize) -> impl Strategy<Value = Program> {
    let act = prop_oneof![
        3 => Just(Act::Allow),
        3 => Just(Act::Deny),
        3 => Just(Act::Log),
        3 => (0usize..1000).prop_map(Act::Pass),
        1 => Just(Act::NoVerdict),
    ];
    (
        prop::collection::vec(
            (match_strategy(), act, prop::bool::weighted(0.1)),
            0..max_rules,
        ),
        select(vec![IrAction::Deny, IrAction::Allow, IrAction::NoVerdict]),
    )
        .prop_map(|(rules, last)| {
            let n = rules.len() + 1;
            let mut out: Vec<IrRule> = rules
                .into_iter()
                .enumerate()
                .map(|(i, (m, a, any))| IrRule {
                    matches: if any { Match::any() } else { m },
                    action: match a {
                        Act::Allow => IrAction::Allow,
                        Act::Deny => IrAction::Deny,
                        Act::Log => IrAction::Log,
                        Act::NoVerdict => IrAction::NoVerdict,
                        Act::Pass(t) => IrAction::Pass {
                            to: (i + 1 + t % (n - i - 1)) as u32,
                        },
                    },
                    origin: Origin::Failsafe { rule: i as u32 },
                })
                .collect();
            out.push(IrRule {
                matches: Match::any(),
                action: last,
                origin: Origin::NoMatch,
            });
            Program::new(Hook::HostUntrackedIngress, out)
                .unwrap_or_else(|e| panic!("generated an invalid program: {e}"))
        })
}

pub(crate) fn packet_strategy() -> impl Strategy<Value = PacketRepr> {
    (
        any::<bool>(),
        (0usize..7, -1i8..=1),
        (0usize..7, -1i8..=1),
        select(PROTOCOLS.to_vec()),
        0u8..5,
        (select(PORTS.to_vec()), select(PORTS.to_vec()), -1i32..=1),
        (
            select(vec![0u8, 3, 8, 128, 135, 255]),
            select(vec![0u8, 1, 4, 255]),
        ),
    )
        .prop_map(
            |(v6, (si, sd), (di, dd), protocol, kind, (sp, dp, pd), (t, c))| {
                let src = addr(v6, si, sd);
                let dst = addr(v6, di, dd);
                let port = |p: u16| (i32::from(p) + pd).clamp(0, 65535) as u16;
                let (protocol, l4) = match kind {
                    0 => (protocol, L4::None),
                    1 | 2 => (
                        protocol,
                        L4::Ports {
                            src: port(sp),
                            dst: port(dp),
                        },
                    ),
                    _ => (
                        if v6 { 58 } else { 1 },
                        L4::Icmp {
                            icmp_type: t,
                            code: c,
                        },
                    ),
                };
                PacketRepr::new(src, dst, protocol, l4)
                    .or_else(|_| PacketRepr::new(src, dst, protocol, L4::None))
                    .unwrap_or_else(|e| panic!("generated an invalid packet: {e}"))
            },
        )
}
