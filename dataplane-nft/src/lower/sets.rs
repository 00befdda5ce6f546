//! IP sets and port lists as named nft sets.
//!
//! Every IR IP set becomes one nft set per family (nft sets are typed): CIDR sets become
//! `flags interval` sets of `ipv4_addr`/`ipv6_addr` whose elements are the merged, disjoint
//! intervals of the CIDRs; address+port sets become `addr . inet_proto . inet_service` sets.
//! Port lists become `inet_service` interval sets, and a port condition that ORs ranges with
//! address+port sets becomes one concatenated interval set whose elements are disjoint. Names
//! follow the content (set ID, or a hash of the ranges), so a membership change is an element
//! delta of an existing set.

#[cfg(test)]
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;
use palisade_compiler::ir::{AddrPort, IpSetId, IpSetMembers, IpSets, PortMatch};
use palisade_policy_model::values::PortRange;

use crate::names::{content_hash, id_name};
use crate::ruleset::{Element, Family, KeyPart, KeyType, Ruleset, Set};

/// Merges inclusive intervals into a sorted list of disjoint, non-adjacent intervals.
pub(crate) fn merge(mut v: Vec<(u128, u128)>) -> Vec<(u128, u128)> {
    v.sort_unstable();
    let mut out: Vec<(u128, u128)> = Vec::with_capacity(v.len());
    for (lo, hi) in v {
        if let Some(last) = out.last_mut()
            && (lo <= last.1 || last.1.checked_add(1) == Some(lo))
        {
            last.1 = last.1.max(hi);
            continue;
        }
        out.push((lo, hi));
    }
    out
}

/// The interval of a CIDR as integers.
pub(crate) fn cidr_interval(net: &IpNet) -> (u128, u128) {
    match net {
        IpNet::V4(n) => (
            u128::from(u32::from(n.network())),
            u128::from(u32::from(n.broadcast())),
        ),
        IpNet::V6(n) => (u128::from(n.network()), u128::from(n.broadcast())),
    }
}

fn family_of(net: &IpNet) -> Family {
    match net {
        IpNet::V4(_) => Family::V4,
        IpNet::V6(_) => Family::V6,
    }
}

fn addr_value(a: IpAddr) -> (Family, u128) {
    match a {
        IpAddr::V4(a) => (Family::V4, u128::from(u32::from(a))),
        IpAddr::V6(a) => (Family::V6, u128::from(a)),
    }
}

/// The merged intervals of the CIDRs of one family.
pub(crate) fn cidr_intervals(nets: &[IpNet], family: Family) -> Vec<(u128, u128)> {
    merge(
        nets.iter()
            .filter(|n| family_of(n) == family)
            .map(cidr_interval)
            .collect(),
    )
}

/// The merged intervals of port ranges.
pub(crate) fn port_intervals(ranges: &[PortRange]) -> Vec<(u128, u128)> {
    merge(
        ranges
            .iter()
            .map(|r| {
                (
                    u128::from(PortRange::min(*r)),
                    u128::from(PortRange::max(*r)),
                )
            })
            .collect(),
    )
}

pub(crate) fn addr_key(family: Family) -> KeyType {
    match family {
        Family::V4 => KeyType::Ipv4Addr,
        Family::V6 => KeyType::Ipv6Addr,
    }
}

fn family_max(family: Family) -> u128 {
    match family {
        Family::V4 => u128::from(u32::MAX),
        Family::V6 => u128::MAX,
    }
}

/// Name of the nft set holding the CIDR members of `id` of one family.
pub(crate) fn addr_set_name(id: &IpSetId, family: Family) -> String {
    id_name("ip", "ipx", id.as_str(), &format!("_{}", family.digit()))
}

/// Name of the nft set holding the address+port members of `id` of one family.
pub(crate) fn addr_port_set_name(id: &IpSetId, family: Family) -> String {
    id_name("ipp", "ippx", id.as_str(), &format!("_{}", family.digit()))
}

fn interval_elements(intervals: &[(u128, u128)]) -> Vec<Element> {
    intervals
        .iter()
        .map(|&(lo, hi)| Element {
            key: vec![KeyPart::range(lo, hi)],
            verdict: None,
        })
        .collect()
}

/// Declares (once) the CIDR set of `id` for `family`, filled from `sets` (a missing set, or one
/// holding address+port members, counts as empty, as in the IR). Returns its name.
pub(crate) fn ensure_addr_set(
    ruleset: &mut Ruleset,
    sets: &IpSets,
    id: &IpSetId,
    family: Family,
) -> String {
    let name = addr_set_name(id, family);
    if !ruleset.sets.contains_key(&name) {
        let mut set = Set::new(vec![addr_key(family)], true);
        if let Some(IpSetMembers::Addrs(nets)) = sets.get(id).map(|s| s.members()) {
            set.elements = interval_elements(&cidr_intervals(nets, family));
        }
        ruleset.sets.insert(name.clone(), set);
    }
    name
}

fn addr_port_members(sets: &IpSets, id: &IpSetId, family: Family) -> Vec<(u128, u8, u16)> {
    match sets.get(id).map(|s| s.members()) {
        Some(IpSetMembers::AddrPorts(members)) => members
            .iter()
            .filter_map(|m: &AddrPort| {
                let (f, v) = addr_value(m.addr);
                (f == family).then_some((v, m.protocol, m.port))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn triple_element(v: u128, proto: u8, port: u16) -> Element {
    Element {
        key: vec![
            KeyPart::value(v),
            KeyPart::value(u128::from(proto)),
            KeyPart::value(u128::from(port)),
        ],
        verdict: None,
    }
}

/// Declares (once) the address+port set of `id` for `family` (a missing set, or one holding
/// CIDRs, counts as empty). Returns its name.
pub(crate) fn ensure_addr_port_set(
    ruleset: &mut Ruleset,
    sets: &IpSets,
    id: &IpSetId,
    family: Family,
) -> String {
    let name = addr_port_set_name(id, family);
    if !ruleset.sets.contains_key(&name) {
        let mut set = Set::new(
            vec![addr_key(family), KeyType::InetProto, KeyType::InetService],
            false,
        );
        let members: BTreeSet<(u128, u8, u16)> =
            addr_port_members(sets, id, family).into_iter().collect();
        set.elements = members
            .into_iter()
            .map(|(v, p, port)| triple_element(v, p, port))
            .collect();
        ruleset.sets.insert(name.clone(), set);
    }
    name
}

/// Declares (once) an interval set of the ports in `ranges`. Returns its name.
pub(crate) fn ensure_port_set(ruleset: &mut Ruleset, ranges: &[PortRange]) -> String {
    let intervals = port_intervals(ranges);
    let name = format!("pt_{}", content_hash(&intervals));
    ruleset.sets.entry(name.clone()).or_insert_with(|| {
        let mut set = Set::new(vec![KeyType::InetService], true);
        set.elements = interval_elements(&intervals);
        set
    });
    name
}

/// Declares (once) the concatenated interval set for a port condition that ORs numeric ranges
/// with address+port sets, for one family: `(any address, any protocol, range)` for each range,
/// and `(address, protocol, port)` for each member whose port no range covers — pairwise
/// disjoint, as the pipapo set type requires. Returns its name.
pub(crate) fn ensure_port_union_set(
    ruleset: &mut Ruleset,
    sets: &IpSets,
    pm: &PortMatch,
    family: Family,
) -> String {
    let intervals = port_intervals(&pm.ranges);
    let ids: Vec<&str> = pm.named.iter().map(|i| i.as_str()).collect();
    let name = format!(
        "pn_{}_{}",
        content_hash(&(&intervals, &ids)),
        family.digit()
    );
    if !ruleset.sets.contains_key(&name) {
        let mut set = Set::new(
            vec![addr_key(family), KeyType::InetProto, KeyType::InetService],
            true,
        );
        let covered = |port: u16| {
            intervals
                .iter()
                .any(|&(lo, hi)| (lo..=hi).contains(&u128::from(port)))
        };
        let mut members: BTreeSet<(u128, u8, u16)> = BTreeSet::new();
        for id in &pm.named {
            for m in addr_port_members(sets, id, family) {
                if !covered(m.2) {
                    members.insert(m);
                }
            }
        }
        let mut elements: Vec<Element> = intervals
            .iter()
            .map(|&(lo, hi)| Element {
                key: vec![
                    KeyPart::range(0, family_max(family)),
                    KeyPart::range(0, 255),
                    KeyPart::range(lo, hi),
                ],
                verdict: None,
            })
            .collect();
        elements.extend(
            members
                .into_iter()
                .map(|(v, p, port)| triple_element(v, p, port)),
        );
        elements.sort();
        set.elements = elements;
        ruleset.sets.insert(name.clone(), set);
    }
    name
}

/// The static set of protocols that carry ports (TCP, UDP, SCTP, UDP-Lite).
pub(crate) const PORT_PROTOCOLS_SET: &str = "pal_l4_ports";

/// Declares the static set of port-carrying protocols.
pub(crate) fn ensure_port_protocols(ruleset: &mut Ruleset) -> String {
    ruleset
        .sets
        .entry(PORT_PROTOCOLS_SET.to_owned())
        .or_insert_with(|| {
            let mut set = Set::new(vec![KeyType::InetProto], false);
            set.elements = palisade_compiler::packet::PORT_PROTOCOLS
                .iter()
                .map(|p| Element {
                    key: vec![KeyPart::value(u128::from(*p))],
                    verdict: None,
                })
                .collect();
            set.elements.sort();
            set
        });
    PORT_PROTOCOLS_SET.to_owned()
}

/// Groups CIDR members by family: `(v4 intervals, v6 intervals)`. Used by tests and callers
/// that want to know what a set holds per family.
#[cfg(test)]
pub(crate) fn split_families(nets: &[IpNet]) -> BTreeMap<Family, Vec<(u128, u128)>> {
    Family::BOTH
        .iter()
        .map(|f| (*f, cidr_intervals(nets, *f)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruleset::elements_overlap;
    use palisade_compiler::ir::{IpSet, IpSetSource};

    #[test]
    fn intervals_merge_overlapping_and_adjacent() {
        assert_eq!(
            merge(vec![(5, 9), (1, 3), (4, 4), (20, 30), (25, 26)]),
            vec![(1, 9), (20, 30)]
        );
        assert_eq!(merge(vec![(0, u128::MAX), (3, 4)]), vec![(0, u128::MAX)]);
    }

    #[test]
    fn cidrs_split_by_family_and_merge() {
        let nets: Vec<IpNet> = ["10.0.0.0/9", "10.128.0.0/9", "10.1.0.0/16", "fd00::/8"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let by = split_families(&nets);
        assert_eq!(by[&Family::V4], vec![(0x0a00_0000, 0x0aff_ffff)]);
        assert_eq!(by[&Family::V6].len(), 1);
    }

    #[test]
    fn port_unions_are_disjoint() {
        let id = IpSetId::derive("n", "x");
        let mut sets = IpSets::new();
        sets.insert(IpSet::new(
            id.clone(),
            IpSetSource::BuiltIn,
            IpSetMembers::addr_ports([
                AddrPort {
                    addr: "10.0.0.1".parse().unwrap(),
                    protocol: 6,
                    port: 80,
                },
                AddrPort {
                    addr: "10.0.0.1".parse().unwrap(),
                    protocol: 6,
                    port: 8080,
                },
                AddrPort {
                    addr: "fd00::1".parse().unwrap(),
                    protocol: 17,
                    port: 53,
                },
            ]),
        ));
        let pm = PortMatch {
            ranges: [PortRange::new(70, 90).unwrap()].into_iter().collect(),
            named: [id].into_iter().collect(),
        };
        let mut r = Ruleset::new("palisade");
        let name = ensure_port_union_set(&mut r, &sets, &pm, Family::V4);
        let set = &r.sets[&name];
        // The range, plus the member on 8080 (port 80 is covered by the range).
        assert_eq!(set.elements.len(), 2);
        for (i, a) in set.elements.iter().enumerate() {
            for b in &set.elements[i + 1..] {
                assert!(!elements_overlap(a, b));
            }
        }
        r.validate().unwrap();
    }
}
