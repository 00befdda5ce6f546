//! Flows biased towards rule boundaries: the first and last address of every CIDR the
//! resources mention and their neighbours, the ends of every port range and their neighbours,
//! the ICMP types and codes rules name and their neighbours, named endpoints and their
//! addresses, addresses outside the cluster, fragments and `via` host endpoints.
//!
//! A flow is drawn as independent choices and resolved against the generated cluster, so that
//! it is always evaluable (both sides of one family, at least one side in the cluster) and
//! shrinks cleanly.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;
use proptest::option::weighted;
use proptest::prelude::*;
use serde_json::Value;

use super::alphabet::{FLOW_PORTS, NAMESPACES, OUTSIDE_V4, OUTSIDE_V6};
use super::topology::{Topology, host_name, pod_name};
use crate::case::{FlowObject, FlowProtocol, IpFamily};

/// Values the resources mention, from which flows take their boundaries.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hints {
    addresses: Vec<IpAddr>,
    ports: Vec<u16>,
    icmp_types: Vec<u8>,
    icmp_codes: Vec<u8>,
}

fn push_port(set: &mut BTreeSet<u16>, p: i64) {
    for q in [p - 1, p, p + 1] {
        if let Ok(q) = u16::try_from(q)
            && q > 0
        {
            set.insert(q);
        }
    }
}

fn push_net(set: &mut BTreeSet<IpAddr>, net: &IpNet) {
    if net.prefix_len() < 8 {
        return;
    }
    let (first, last) = (net.network(), net.broadcast());
    set.insert(first);
    set.insert(last);
    match (first, last) {
        (IpAddr::V4(f), IpAddr::V4(l)) => {
            if let Some(x) = u32::from(f).checked_sub(1) {
                set.insert(IpAddr::V4(x.into()));
            }
            if let Some(x) = u32::from(l).checked_add(1) {
                set.insert(IpAddr::V4(x.into()));
            }
        }
        (IpAddr::V6(f), IpAddr::V6(l)) => {
            if let Some(x) = u128::from(f).checked_sub(1) {
                set.insert(IpAddr::V6(x.into()));
            }
            if let Some(x) = u128::from(l).checked_add(1) {
                set.insert(IpAddr::V6(x.into()));
            }
        }
        _ => {}
    }
}

impl Hints {
    /// Collects hints from documents.
    pub(crate) fn of(docs: &[Value]) -> Hints {
        let mut addresses = BTreeSet::new();
        let mut ports = BTreeSet::new();
        let mut types = BTreeSet::new();
        let mut codes = BTreeSet::new();
        fn walk(
            v: &Value,
            key: &str,
            a: &mut BTreeSet<IpAddr>,
            p: &mut BTreeSet<u16>,
            t: &mut BTreeSet<u8>,
            c: &mut BTreeSet<u8>,
        ) {
            match v {
                Value::String(s) => {
                    if s.contains('/')
                        && let Ok(net) = s.parse::<IpNet>()
                    {
                        push_net(a, &net);
                    }
                    if matches!(key, "ports" | "notPorts")
                        && let Some((x, y)) = s.split_once(':')
                        && let (Ok(x), Ok(y)) = (x.parse::<i64>(), y.parse::<i64>())
                    {
                        push_port(p, x);
                        push_port(p, y);
                    }
                }
                Value::Number(n) => {
                    let Some(n) = n.as_i64() else { return };
                    match key {
                        "port" | "endPort" | "start" | "end" | "number" | "containerPort"
                        | "ports" | "notPorts" | "targetPort" => push_port(p, n),
                        "type" => {
                            for x in [n - 1, n, n + 1] {
                                if let Ok(x) = u8::try_from(x) {
                                    t.insert(x);
                                }
                            }
                        }
                        "code" => {
                            for x in [n - 1, n, n + 1] {
                                if let Ok(x) = u8::try_from(x) {
                                    c.insert(x);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Value::Array(items) => {
                    for item in items {
                        walk(item, key, a, p, t, c);
                    }
                }
                Value::Object(map) => {
                    for (k, item) in map {
                        walk(item, k, a, p, t, c);
                    }
                }
                Value::Null | Value::Bool(_) => {}
            }
        }
        for doc in docs {
            walk(doc, "", &mut addresses, &mut ports, &mut types, &mut codes);
        }
        Hints {
            addresses: addresses.into_iter().collect(),
            ports: ports.into_iter().collect(),
            icmp_types: types.into_iter().collect(),
            icmp_codes: codes.into_iter().collect(),
        }
    }
}

/// Which kind of peer a flow side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PeerKind {
    /// `ns/name`.
    Pod,
    /// `hostendpoint/NAME`.
    Host,
    /// A pod's address.
    PodIp,
    /// A host endpoint's address.
    HostIp,
    /// A boundary address of a CIDR.
    Boundary,
    /// An address outside the cluster.
    Outside,
}

/// The choices for a flow.
#[derive(Debug, Clone)]
pub(crate) struct FlowChoices {
    v6: bool,
    src: (PeerKind, usize),
    dst: (PeerKind, usize),
    explicit_family: bool,
    protocol: usize,
    dst_port: (u8, usize),
    src_port: Option<(u8, usize)>,
    icmp_type: (bool, usize),
    icmp_code: Option<(bool, usize)>,
    fragment: bool,
    via: Option<usize>,
}

fn peer_kind() -> impl Strategy<Value = PeerKind> {
    prop_oneof![
        5 => Just(PeerKind::Pod),
        2 => Just(PeerKind::Host),
        1 => Just(PeerKind::PodIp),
        1 => Just(PeerKind::HostIp),
        3 => Just(PeerKind::Boundary),
        2 => Just(PeerKind::Outside),
    ]
}

/// Random flow choices.
pub(crate) fn flow_choices() -> impl Strategy<Value = FlowChoices> {
    (
        (
            proptest::bool::weighted(0.2),
            (peer_kind(), 0..64usize),
            (peer_kind(), 0..64usize),
            proptest::bool::weighted(0.15),
            0..12usize,
        ),
        (
            (0..3u8, 0..64usize),
            weighted(0.35, (0..3u8, 0..64usize)),
            (any::<bool>(), 0..64usize),
            weighted(0.6, (any::<bool>(), 0..64usize)),
            proptest::bool::weighted(0.05),
            weighted(0.12, 0..4usize),
        ),
    )
        .prop_map(
            |(
                (v6, src, dst, explicit_family, protocol),
                (dst_port, src_port, icmp_type, icmp_code, fragment, via),
            )| FlowChoices {
                v6,
                src,
                dst,
                explicit_family,
                protocol,
                dst_port,
                src_port,
                icmp_type,
                icmp_code,
                fragment,
                via,
            },
        )
}

/// A resolved side: its text and whether it is an endpoint of the cluster.
struct Side {
    text: String,
    named: bool,
    outside: bool,
}

fn family_of(ip: &IpAddr, v6: bool) -> bool {
    ip.is_ipv6() == v6
}

fn pick<T: Clone>(list: &[T], i: usize) -> Option<T> {
    (!list.is_empty()).then(|| list[i % list.len()].clone())
}

/// Resolves choices against the cluster (see the module documentation).
pub(crate) fn resolve_flow(c: &FlowChoices, topo: &Topology, hints: &Hints) -> FlowObject {
    let pods: Vec<(String, Vec<IpAddr>)> = topo
        .pods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                format!("{}/{}", NAMESPACES[p.ns], pod_name(i)),
                p.addresses(i),
            )
        })
        .collect();
    let hosts: Vec<(String, Vec<IpAddr>)> = topo
        .hosts
        .iter()
        .enumerate()
        .map(|(j, h)| (format!("hostendpoint/{}", host_name(j)), h.addresses(j)))
        .collect();
    let any_v6 = pods
        .iter()
        .chain(&hosts)
        .any(|(_, a)| a.iter().any(IpAddr::is_ipv6));
    let v6 = c.v6 && any_v6;
    let with_family = |list: &[(String, Vec<IpAddr>)]| -> Vec<(String, IpAddr)> {
        list.iter()
            .filter_map(|(n, a)| {
                a.iter()
                    .find(|ip| family_of(ip, v6))
                    .map(|ip| (n.clone(), *ip))
            })
            .collect()
    };
    let pods_f = with_family(&pods);
    let hosts_f = with_family(&hosts);
    let owned: BTreeSet<IpAddr> = pods
        .iter()
        .chain(&hosts)
        .flat_map(|(_, a)| a.iter().copied())
        .collect();
    let boundaries: Vec<IpAddr> = hints
        .addresses
        .iter()
        .filter(|ip| family_of(ip, v6))
        .copied()
        .collect();
    let outside: Vec<IpAddr> = (if v6 { OUTSIDE_V6 } else { OUTSIDE_V4 })
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let named_fallback = |i: usize| -> Side {
        let (text, _) = pick(&pods_f, i)
            .or_else(|| pick(&hosts_f, i))
            .unwrap_or_else(|| ("ns1/p1".to_owned(), IpAddr::from([10, 0, 1, 1])));
        Side {
            text,
            named: true,
            outside: false,
        }
    };
    let literal = |ip: IpAddr| Side {
        text: ip.to_string(),
        named: false,
        outside: !owned.contains(&ip),
    };
    let resolve = |(kind, i): (PeerKind, usize)| -> Side {
        match kind {
            PeerKind::Pod => named_fallback(i),
            PeerKind::Host => match pick(&hosts_f, i) {
                Some((text, _)) => Side {
                    text,
                    named: true,
                    outside: false,
                },
                None => named_fallback(i),
            },
            PeerKind::PodIp => {
                pick(&pods_f, i).map_or_else(|| named_fallback(i), |(_, ip)| literal(ip))
            }
            PeerKind::HostIp => {
                pick(&hosts_f, i).map_or_else(|| named_fallback(i), |(_, ip)| literal(ip))
            }
            PeerKind::Boundary => pick(&boundaries, i).map_or_else(|| named_fallback(i), literal),
            PeerKind::Outside => pick(&outside, i).map_or_else(|| named_fallback(i), literal),
        }
    };
    let src = resolve(c.src);
    let mut dst = resolve(c.dst);
    if src.outside && dst.outside {
        dst = named_fallback(c.dst.1);
    }
    // Both sides named: the family must be given for IPv6 (DECISIONS D6 prefers IPv4).
    let explicit = c.explicit_family || (src.named && dst.named && v6);
    let ip_version = explicit.then_some(if v6 { IpFamily::V6 } else { IpFamily::V4 });
    let protocols = [
        FlowProtocol::Tcp,
        FlowProtocol::Tcp,
        FlowProtocol::Tcp,
        FlowProtocol::Udp,
        FlowProtocol::Udp,
        FlowProtocol::Sctp,
        FlowProtocol::UdpLite,
        FlowProtocol::Icmp,
        FlowProtocol::Icmp,
        FlowProtocol::Icmp,
        FlowProtocol::Number(47),
        FlowProtocol::Tcp,
    ];
    let mut protocol = protocols[c.protocol % protocols.len()];
    if protocol == FlowProtocol::Icmp && v6 {
        protocol = FlowProtocol::IcmpV6;
    }
    let port_of = |(source, i): (u8, usize)| -> u16 {
        match source {
            0 if !hints.ports.is_empty() => hints.ports[i % hints.ports.len()],
            1 => FLOW_PORTS[i % FLOW_PORTS.len()],
            _ => u16::try_from(1 + (i * 1021) % 65535).unwrap_or(1),
        }
    };
    let mut flow = FlowObject {
        src: src.text,
        dst: dst.text,
        protocol,
        dst_port: None,
        src_port: None,
        icmp_type: None,
        icmp_code: None,
        ip_version,
        via: c
            .via
            .and_then(|i| pick(&hosts, i))
            .map(|(text, _)| vec![text])
            .unwrap_or_default(),
        fragment: c.fragment,
        method: None,
        path: None,
    };
    if !c.fragment {
        if protocol.has_ports() {
            flow.dst_port = Some(port_of(c.dst_port));
            flow.src_port = c.src_port.map(port_of);
        } else if protocol.is_icmp() {
            let common: &[u8] = if v6 {
                &[128, 129, 130, 133, 135, 136, 1]
            } else {
                &[0, 3, 8, 11, 5]
            };
            let (hinted, i) = c.icmp_type;
            flow.icmp_type = Some(match (hinted, hints.icmp_types.is_empty()) {
                (true, false) => hints.icmp_types[i % hints.icmp_types.len()],
                _ => common[i % common.len()],
            });
            flow.icmp_code =
                c.icmp_code
                    .map(|(hinted, i)| match (hinted, hints.icmp_codes.is_empty()) {
                        (true, false) => hints.icmp_codes[i % hints.icmp_codes.len()],
                        _ => u8::try_from(i % 5).unwrap_or(0),
                    });
        }
    }
    flow
}
