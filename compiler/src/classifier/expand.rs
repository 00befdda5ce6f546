//! Turning an IR [`Match`] into *alternatives*: a disjunction of conjunctions of independent
//! per-field predicates.
//!
//! Scalar fields get a [`RangeSet`] of allowed values. Address fields get an [`AddrPred`] over
//! *primitive* address conditions (membership in a CIDR set, or in the addresses of an
//! address+port set that carry one (protocol, port) pair). The joint conditions of named ports
//! and service destinations are expanded by (protocol, port) value:
//!
//! - `port ∈ R ∪ N₁ ∪ N₂…` becomes `[port ∈ R] ∨ ⋁₍ₚ,q₎ [proto = p ∧ port = q ∧ addr ∈ Aₚq]`, where
//!   `Aₚq` is the set of addresses that carry (p, q) in any of the `Nᵢ`;
//! - its negation (with the port present) becomes `[proto ∉ P ∧ port ∉ R]
//!   ∨ ⋁ₚ [proto = p ∧ port ∉ R ∪ Qₚ] ∨ ⋁₍ₚ,q₎, q∉R [proto = p ∧ port = q ∧ addr ∉ Aₚq]`, where
//!   `P` is the set of protocols of the pairs and `Qₚ` the ports paired with `p`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use ahash::AHashMap;
use ipnet::IpNet;
use palisade_policy_model::values::{IpVersion, PortRange};

use super::field::{ABSENT, FAMILY_V4, FAMILY_V6, Field};
use super::rangeset::RangeSet;
use crate::ir::{IcmpMatch, IpSetId, IpSetMembers, Match, PortMatch, SetLookup, SideMatch};

/// The largest present port value.
const PORT_MAX: u32 = ABSENT - 1;
/// The largest present ICMP value (`type << 8 | code`).
const ICMP_MAX: u32 = ABSENT - 1;

/// A primitive address condition of one side.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum PrimKey {
    /// The address is in this CIDR set.
    Set(IpSetId),
    /// The address carries (protocol, port) in this address+port set.
    Named {
        /// The set.
        set: IpSetId,
        /// Protocol.
        protocol: u8,
        /// Port.
        port: u16,
    },
}

/// The primitive address conditions of one side, interned, with the prefixes that make each up.
#[derive(Debug, Default)]
pub(crate) struct Prims {
    ids: AHashMap<PrimKey, u32>,
    prefixes: Vec<Arc<[IpNet]>>,
}

impl Prims {
    fn intern(&mut self, key: PrimKey, prefixes: impl FnOnce() -> Arc<[IpNet]>) -> u32 {
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.prefixes.len() as u32;
        self.prefixes.push(prefixes());
        self.ids.insert(key, id);
        id
    }

    /// The prefixes of every primitive, by primitive ID.
    pub(crate) fn prefixes(&self) -> &[Arc<[IpNet]>] {
        &self.prefixes
    }
}

/// A predicate on one side's address: in at least one primitive of every group, and in none of
/// `none`. Both lists are sorted and de-duplicated, so equal predicates compare equal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct AddrPred {
    /// Each group is an any-of list of primitive IDs.
    pub(crate) groups: Vec<Vec<u32>>,
    /// Primitive IDs the address must not be in.
    pub(crate) none: Vec<u32>,
}

impl AddrPred {
    /// True when the predicate holds for every address.
    pub(crate) fn is_any(&self) -> bool {
        self.groups.is_empty() && self.none.is_empty()
    }

    fn and(&self, other: &AddrPred) -> AddrPred {
        let mut groups: Vec<Vec<u32>> = self.groups.iter().chain(&other.groups).cloned().collect();
        groups.sort();
        groups.dedup();
        let mut none: Vec<u32> = self.none.iter().chain(&other.none).copied().collect();
        none.sort_unstable();
        none.dedup();
        AddrPred { groups, none }
    }

    fn group(mut prims: Vec<u32>) -> AddrPred {
        prims.sort_unstable();
        prims.dedup();
        AddrPred {
            groups: vec![prims],
            none: Vec::new(),
        }
    }

    fn none_of(mut prims: Vec<u32>) -> AddrPred {
        prims.sort_unstable();
        prims.dedup();
        AddrPred {
            groups: Vec::new(),
            none: prims,
        }
    }
}

/// One alternative: a conjunction of per-field predicates. `None` (or an [`AddrPred::is_any`]
/// address predicate) leaves the field unconstrained.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Alt {
    /// Predicates on the scalar fields, by [`Field::index`] (the address slots stay `None`).
    pub(crate) scalar: [Option<RangeSet>; Field::COUNT],
    /// Predicates on the source (0) and destination (1) address.
    pub(crate) addr: [AddrPred; 2],
}

impl Alt {
    fn with_scalar(field: Field, set: RangeSet) -> Alt {
        let mut alt = Alt::default();
        alt.scalar[field.index()] = Some(set);
        alt
    }

    /// The conjunction of two alternatives; `None` when a scalar predicate becomes empty.
    fn and(&self, other: &Alt) -> Option<Alt> {
        let mut out = Alt::default();
        for i in 0..Field::COUNT {
            out.scalar[i] = match (&self.scalar[i], &other.scalar[i]) {
                (None, None) => None,
                (Some(a), None) | (None, Some(a)) => Some(a.clone()),
                (Some(a), Some(b)) => {
                    let s = a.intersect(b);
                    if s.is_empty() {
                        return None;
                    }
                    Some(s)
                }
            };
        }
        for side in 0..2 {
            out.addr[side] = self.addr[side].and(&other.addr[side]);
        }
        Some(out)
    }
}

/// The alternatives of one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RuleAlts {
    /// The rule matches exactly when one of these holds (none: the rule never matches).
    Alts(Vec<Alt>),
    /// The expansion has more alternatives than the configured limit.
    TooMany,
}

/// (protocol, port) → addresses, for one address+port set.
type NamedPairs = BTreeMap<(u8, u16), Arc<[IpNet]>>;

/// State shared by the expansion of all rules of a program: interned primitives per side.
#[derive(Debug, Default)]
pub(crate) struct Expander {
    /// Primitives of the source (0) and destination (1) side.
    pub(crate) prims: [Prims; 2],
    named: AHashMap<IpSetId, Arc<NamedPairs>>,
}

impl Expander {
    /// Expands `m` into at most `max_alts` alternatives.
    pub(crate) fn expand<S: SetLookup + ?Sized>(
        &mut self,
        m: &Match,
        sets: &S,
        max_alts: usize,
    ) -> RuleAlts {
        let mut base = Alt::default();
        if let Some(v) = m.ip_version {
            let fam = match v {
                IpVersion::V4 => FAMILY_V4,
                IpVersion::V6 => FAMILY_V6,
            };
            base.scalar[Field::Family.index()] = Some(RangeSet::single(fam));
        }
        if m.protocol.is_some() || m.not_protocol.is_some() {
            let mut s = RangeSet::range(0, 255);
            if let Some(p) = m.protocol {
                s = s.intersect(&RangeSet::single(u32::from(p)));
            }
            if let Some(p) = m.not_protocol {
                s = s.minus(&RangeSet::single(u32::from(p)), 255);
            }
            if s.is_empty() {
                return RuleAlts::Alts(Vec::new());
            }
            base.scalar[Field::Protocol.index()] = Some(s);
        }
        if m.icmp.is_some() || m.not_icmp.is_some() {
            let mut s = RangeSet::range(0, ICMP_MAX);
            if let Some(i) = m.icmp {
                s = s.intersect(&icmp_covers(i));
            }
            if let Some(i) = m.not_icmp {
                s = s.minus(&icmp_covers(i), ICMP_MAX);
            }
            if s.is_empty() {
                return RuleAlts::Alts(Vec::new());
            }
            base.scalar[Field::Icmp.index()] = Some(s);
        }
        for (side, sm) in [&m.src, &m.dst].into_iter().enumerate() {
            base.addr[side] = self.side_sets(side, sm, sets);
        }
        let mut alts = vec![base];
        for (side, sm) in [&m.src, &m.dst].into_iter().enumerate() {
            let port_field = if side == 0 {
                Field::SrcPort
            } else {
                Field::DstPort
            };
            for (negated, pm) in [(false, &sm.ports), (true, &sm.not_ports)] {
                let Some(pm) = pm else {
                    continue;
                };
                let disj = self.port_disjunction(side, port_field, pm, negated, sets);
                match cross(&alts, &disj, max_alts) {
                    Some(next) => alts = next,
                    None => return RuleAlts::TooMany,
                }
                if alts.is_empty() {
                    return RuleAlts::Alts(alts);
                }
            }
        }
        RuleAlts::Alts(alts)
    }

    fn set_prim<S: SetLookup + ?Sized>(&mut self, side: usize, id: &IpSetId, sets: &S) -> u32 {
        self.prims[side].intern(PrimKey::Set(id.clone()), || {
            match sets.set(id).map(|s| s.members()) {
                Some(IpSetMembers::Addrs(nets)) => nets.as_slice().into(),
                _ => Arc::from(Vec::new()),
            }
        })
    }

    fn side_sets<S: SetLookup + ?Sized>(
        &mut self,
        side: usize,
        sm: &SideMatch,
        sets: &S,
    ) -> AddrPred {
        let mut pred = AddrPred::default();
        for id in &sm.sets {
            let prim = self.set_prim(side, id, sets);
            pred = pred.and(&AddrPred::group(vec![prim]));
        }
        let none: Vec<u32> = sm
            .not_sets
            .iter()
            .map(|id| self.set_prim(side, id, sets))
            .collect();
        pred.and(&AddrPred::none_of(none))
    }

    fn named_pairs<S: SetLookup + ?Sized>(&mut self, id: &IpSetId, sets: &S) -> Arc<NamedPairs> {
        if let Some(p) = self.named.get(id) {
            return p.clone();
        }
        let mut grouped: BTreeMap<(u8, u16), Vec<IpNet>> = BTreeMap::new();
        if let Some(IpSetMembers::AddrPorts(members)) = sets.set(id).map(|s| s.members()) {
            for m in members {
                grouped
                    .entry((m.protocol, m.port))
                    .or_default()
                    .push(host_net(m.addr));
            }
        }
        let pairs: NamedPairs = grouped
            .into_iter()
            .map(|(k, v)| (k, Arc::from(v)))
            .collect();
        let pairs = Arc::new(pairs);
        self.named.insert(id.clone(), pairs.clone());
        pairs
    }

    /// (protocol, port) → primitives of the address+port sets of `pm` that carry the pair.
    fn pairs<S: SetLookup + ?Sized>(
        &mut self,
        side: usize,
        pm: &PortMatch,
        sets: &S,
    ) -> BTreeMap<(u8, u16), Vec<u32>> {
        let mut out: BTreeMap<(u8, u16), Vec<u32>> = BTreeMap::new();
        for id in &pm.named {
            let pairs = self.named_pairs(id, sets);
            for (&(protocol, port), addrs) in pairs.iter() {
                let key = PrimKey::Named {
                    set: id.clone(),
                    protocol,
                    port,
                };
                let prim = self.prims[side].intern(key, || addrs.clone());
                out.entry((protocol, port)).or_default().push(prim);
            }
        }
        out
    }

    fn port_disjunction<S: SetLookup + ?Sized>(
        &mut self,
        side: usize,
        port_field: Field,
        pm: &PortMatch,
        negated: bool,
        sets: &S,
    ) -> Vec<Alt> {
        let ranges = RangeSet::from_ranges(
            pm.ranges
                .iter()
                .map(|&r| (u32::from(PortRange::min(r)), u32::from(PortRange::max(r)))),
        );
        let pairs = self.pairs(side, pm, sets);
        let mut disj = Vec::new();
        let proto = Field::Protocol.index();
        if !negated {
            if !ranges.is_empty() {
                disj.push(Alt::with_scalar(port_field, ranges));
            }
            for ((p, q), prims) in pairs {
                let mut alt = Alt::with_scalar(port_field, RangeSet::single(u32::from(q)));
                alt.scalar[proto] = Some(RangeSet::single(u32::from(p)));
                alt.addr[side] = AddrPred::group(prims);
                disj.push(alt);
            }
            return disj;
        }
        let not_ranges = ranges.complement(PORT_MAX);
        let protocols = RangeSet::from_ranges(pairs.keys().map(|&(p, _)| (p.into(), p.into())));
        // Protocols no pair names: only the numeric ranges matter.
        let other_protocols = protocols.complement(255);
        if !other_protocols.is_empty() && !not_ranges.is_empty() {
            let mut alt = Alt::with_scalar(port_field, not_ranges.clone());
            alt.scalar[proto] = Some(other_protocols);
            disj.push(alt);
        }
        // A protocol some pair names, with a port no pair of that protocol names.
        let mut by_protocol: BTreeMap<u8, Vec<(u32, u32)>> = BTreeMap::new();
        for &(p, q) in pairs.keys() {
            by_protocol
                .entry(p)
                .or_default()
                .push((u32::from(q), u32::from(q)));
        }
        for (p, qs) in by_protocol {
            let ports = not_ranges.minus(&RangeSet::from_ranges(qs), PORT_MAX);
            if !ports.is_empty() {
                let mut alt = Alt::with_scalar(port_field, ports);
                alt.scalar[proto] = Some(RangeSet::single(u32::from(p)));
                disj.push(alt);
            }
        }
        // Exactly a pair's (protocol, port), outside the numeric ranges: the address decides.
        for ((p, q), prims) in pairs {
            let q = u32::from(q);
            if ranges.ranges().iter().any(|&(a, b)| a <= q && q <= b) {
                continue;
            }
            let mut alt = Alt::with_scalar(port_field, RangeSet::single(q));
            alt.scalar[proto] = Some(RangeSet::single(u32::from(p)));
            alt.addr[side] = AddrPred::none_of(prims);
            disj.push(alt);
        }
        disj
    }
}

/// The ICMP values (`type << 8 | code`) an [`IcmpMatch`] covers.
fn icmp_covers(m: IcmpMatch) -> RangeSet {
    let (t_lo, t_hi) = m
        .icmp_type()
        .map_or((0, 255), |t| (u32::from(t), u32::from(t)));
    let (c_lo, c_hi) = m.code().map_or((0, 255), |c| (u32::from(c), u32::from(c)));
    RangeSet::from_ranges((t_lo..=t_hi).map(|t| ((t << 8) | c_lo, (t << 8) | c_hi)))
}

/// The host prefix of an address.
pub(crate) fn host_net(addr: IpAddr) -> IpNet {
    IpNet::from(addr)
}

/// Every conjunction of one alternative of `a` with one of `b`, or `None` when there would be
/// more than `max` of them.
fn cross(a: &[Alt], b: &[Alt], max: usize) -> Option<Vec<Alt>> {
    if a.len().saturating_mul(b.len()) > max.saturating_mul(4).max(max) {
        return None;
    }
    let mut out = Vec::new();
    for x in a {
        for y in b {
            if let Some(z) = x.and(y) {
                out.push(z);
                if out.len() > max {
                    return None;
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{AddrPort, IpSet, IpSetSource, IpSets};
    use palisade_policy_model::values::PortRange;
    use smallvec::smallvec;

    fn named_set(id: &str, members: &[(&str, u8, u16)]) -> IpSet {
        IpSet::new(
            IpSetId::from_raw(id),
            IpSetSource::BuiltIn,
            IpSetMembers::addr_ports(members.iter().map(|&(a, p, q)| AddrPort {
                addr: a.parse().unwrap(),
                protocol: p,
                port: q,
            })),
        )
    }

    #[test]
    fn named_ports_expand_by_protocol_and_port() {
        let mut sets = IpSets::new();
        sets.insert(named_set(
            "n:a",
            &[("10.0.0.1", 6, 8080), ("10.0.0.2", 6, 8080)],
        ));
        let m = Match {
            dst: SideMatch {
                ports: Some(PortMatch {
                    ranges: smallvec![PortRange::single(80).unwrap()],
                    named: smallvec![IpSetId::from_raw("n:a")],
                }),
                ..SideMatch::default()
            },
            ..Match::default()
        };
        let mut ex = Expander::default();
        let RuleAlts::Alts(alts) = ex.expand(&m, &sets, 100) else {
            panic!("too many");
        };
        assert_eq!(alts.len(), 2);
        assert_eq!(
            alts[0].scalar[Field::DstPort.index()],
            Some(RangeSet::single(80))
        );
        assert!(alts[0].addr[1].is_any());
        assert_eq!(
            alts[1].scalar[Field::Protocol.index()],
            Some(RangeSet::single(6))
        );
        assert_eq!(
            alts[1].scalar[Field::DstPort.index()],
            Some(RangeSet::single(8080))
        );
        assert_eq!(alts[1].addr[1].groups.len(), 1);
        assert_eq!(ex.prims[1].prefixes()[0].len(), 2);
    }

    #[test]
    fn too_many_alternatives_is_reported() {
        let mut sets = IpSets::new();
        let members: Vec<(String, u8, u16)> = (0..50u16)
            .map(|i| (format!("10.0.0.{i}"), 6, 1000 + i))
            .collect();
        let refs: Vec<(&str, u8, u16)> = members
            .iter()
            .map(|(a, p, q)| (a.as_str(), *p, *q))
            .collect();
        sets.insert(named_set("n:big", &refs));
        let pm = PortMatch {
            ranges: smallvec![],
            named: smallvec![IpSetId::from_raw("n:big")],
        };
        let side = SideMatch {
            ports: Some(pm),
            ..SideMatch::default()
        };
        let m = Match {
            src: side.clone(),
            dst: side,
            ..Match::default()
        };
        let mut ex = Expander::default();
        assert_eq!(ex.expand(&m, &sets, 100), RuleAlts::TooMany);
        assert!(matches!(ex.expand(&m, &sets, 10_000), RuleAlts::Alts(a) if !a.is_empty()));
    }
}
