//! Decision-tree nodes as chains and verdict maps, shared by the flat lowerings.
//!
//! A node looks up one packet field and continues where the field's value leads: `goto` the
//! next node or an entry chain, `drop` (Deny), `return` (Allow, in diagrams entered with the
//! allow bit set), or nowhere (the tree did not decide: `return` to the program, or `goto` a
//! chain that clears the allow bit first; see [`MissStyle`]).
//! Identical nodes are emitted once (the tree is a diagram), and a node whose values all lead to
//! one place is not emitted at all.
//!
//! ```text
//! n_..:  ip saddr vmap @m_..                          (address, protocol: always present)
//!        goto <where most values lead>
//! n_..:  meta l4proto @pal_l4_ports th dport vmap @m_..   (ports: only when the packet has them)
//!        goto <where the absent value leads>
//! n_..:  meta l4proto 1 icmp type . icmp code vmap @m_..  (ICMP of the chain's family)
//!        goto <where the absent value leads>
//! ```
//!
//! A map holds only the values that do not lead where the rule after it goes: for an
//! always-present field that rule goes where most values lead (no rule when that is nowhere: the
//! chain ends); for a field that may be absent it goes where the absent value leads, and values
//! leading elsewhere, nowhere included (`return`), are in the map, so a packet that carries the
//! field never falls through to the absent rule by mistake. Small maps apply faster, and a
//! membership change that moves addresses to or from the common target adds no element at all.
//! Elements whose value is a plain verdict (`return`, `drop`) are cheap to add; adding one that
//! goes to a chain makes the kernel re-validate the whole table at commit.

use std::collections::BTreeMap;

use super::sets::{addr_key, ensure_port_protocols};
use crate::ruleset::{
    Chain, Element, Family, Field, KeyPart, KeyType, Match, Rule, RuleVerdict, Ruleset, Set, Side,
    Verdict,
};

/// Where a tree edge leads.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Target {
    /// Nothing matched: back to the program (see [`MissStyle`]).
    Miss,
    /// A chain (node or entry).
    Chain(String),
    /// Allowed, in a diagram entered with the allow bit already set ([`MissStyle::Clear`]):
    /// `return`, leaving the bit set.
    Allow,
    /// Denied: `drop`.
    Deny,
}

/// How a diagram says "nothing matched".
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MissStyle {
    /// `return`: the program entered the diagram with its result bits clear.
    Return,
    /// `goto` this chain, which clears the allow bit: the program entered the diagram with the
    /// allow bit set, so an allowing edge is a plain `return` (or [`Target::Allow`]).
    Clear(String),
}

/// The field a node looks up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum TreeField {
    /// The protocol number (0–255).
    Protocol,
    /// ICMP `type << 8 | code` (0–65535), absent unless the packet is ICMP of its family.
    Icmp,
    /// Source port (0–65535), absent unless the packet has ports.
    SrcPort,
    /// Destination port, likewise.
    DstPort,
    /// Source address of the chain's family.
    SrcAddr,
    /// Destination address.
    DstAddr,
}

impl TreeField {
    /// True for the fields a packet may lack.
    pub(crate) fn may_be_absent(self) -> bool {
        matches!(
            self,
            TreeField::Icmp | TreeField::SrcPort | TreeField::DstPort
        )
    }

    /// The largest value of the field in `family`.
    pub(crate) fn max(self, family: Family) -> u128 {
        match self {
            TreeField::Protocol => 255,
            TreeField::Icmp | TreeField::SrcPort | TreeField::DstPort => 0xffff,
            TreeField::SrcAddr | TreeField::DstAddr => match family {
                Family::V4 => u128::from(u32::MAX),
                Family::V6 => u128::MAX,
            },
        }
    }
}

/// One node: where each run of present values leads (sorted, disjoint, covering the whole
/// domain) and where the absent value leads.
pub(crate) struct NodeSpec {
    pub(crate) field: TreeField,
    pub(crate) regions: Vec<((u128, u128), Target)>,
    pub(crate) absent: Target,
}

/// A node by content: its field, its `(value run, target)` edges and its default target.
type NodeKey = (TreeField, Vec<((u128, u128), Target)>, Target);

/// Emits nodes into a ruleset, sharing identical ones.
pub(crate) struct Emitter {
    prefix: String,
    family: Family,
    miss: MissStyle,
    next: usize,
    memo: BTreeMap<NodeKey, Target>,
    /// Elements emitted so far.
    pub(crate) elements: usize,
    /// Chains emitted so far.
    pub(crate) chains: usize,
}

/// The type/code rectangles of a run of `type << 8 | code` values.
pub(crate) fn icmp_rectangles(lo: u128, hi: u128) -> Vec<[(u128, u128); 2]> {
    let (t1, c1, t2, c2) = (lo >> 8, lo & 0xff, hi >> 8, hi & 0xff);
    if t1 == t2 {
        return vec![[(t1, t1), (c1, c2)]];
    }
    let mut out = vec![[(t1, t1), (c1, 255)]];
    if t2 > t1 + 1 {
        out.push([(t1 + 1, t2 - 1), (0, 255)]);
    }
    out.push([(t2, t2), (0, c2)]);
    out
}

/// Merges adjacent runs that lead to the same place.
fn merge_runs(regions: Vec<((u128, u128), Target)>) -> Vec<((u128, u128), Target)> {
    let mut out: Vec<((u128, u128), Target)> = Vec::with_capacity(regions.len());
    for ((lo, hi), t) in regions {
        if let Some(((_, prev_hi), prev_t)) = out.last_mut()
            && *prev_t == t
            && prev_hi.checked_add(1) == Some(lo)
        {
            *prev_hi = hi;
            continue;
        }
        out.push(((lo, hi), t));
    }
    out
}

/// The target most runs lead to (the first in `Target` order among equals). Leaving its runs
/// out of a map keeps maps small, and a membership change that only moves addresses to or from
/// it adds no `goto` element (an added `goto` makes the kernel re-validate the whole table).
fn most_common(regions: &[((u128, u128), Target)]) -> Target {
    let mut counts: BTreeMap<&Target, usize> = BTreeMap::new();
    for (_, t) in regions {
        *counts.entry(t).or_default() += 1;
    }
    let mut best: Option<(&Target, usize)> = None;
    for (t, n) in counts {
        if best.is_none_or(|(_, b)| n > b) {
            best = Some((t, n));
        }
    }
    best.map_or(Target::Miss, |(t, _)| t.clone())
}

impl Emitter {
    /// An emitter whose chain and map names start with `n_<prefix>_` / `m_<prefix>_`, and whose
    /// misses are rendered as `miss` says.
    pub(crate) fn new(prefix: String, family: Family, miss: MissStyle) -> Emitter {
        Emitter {
            prefix,
            family,
            miss,
            next: 0,
            memo: BTreeMap::new(),
            elements: 0,
            chains: 0,
        }
    }

    /// The verdict that continues where `target` leads.
    fn verdict(&self, target: &Target) -> Verdict {
        match (target, &self.miss) {
            (Target::Miss, MissStyle::Return) | (Target::Allow, _) => Verdict::Return,
            (Target::Miss, MissStyle::Clear(c)) | (Target::Chain(c), _) => Verdict::Goto(c.clone()),
            (Target::Deny, _) => Verdict::Drop,
        }
    }

    /// Emits `spec` (or finds an identical node) and returns where to go to evaluate it.
    pub(crate) fn emit(&mut self, ruleset: &mut Ruleset, spec: NodeSpec) -> Target {
        let l4 = spec.field.may_be_absent();
        let regions = merge_runs(spec.regions);
        let absent = if l4 { spec.absent } else { Target::Miss };
        if let Some((_, first)) = regions.first()
            && regions.iter().all(|(_, t)| t == first)
            && (!l4 || absent == *first)
        {
            return first.clone();
        }
        if regions.is_empty() {
            return absent;
        }
        let key = (spec.field, regions, absent);
        if let Some(t) = self.memo.get(&key) {
            return t.clone();
        }
        let (field, regions, absent) = &key;
        let id = self.next;
        self.next += 1;
        let map_name = format!("m_{}_{id}", self.prefix);
        let chain_name = format!("n_{}_{id}", self.prefix);
        let (key_types, key_fields, guard) = self.lookup(ruleset, *field);
        // Where a value the map does not hold goes: the rule after the lookup. For a field that
        // may be absent that rule is the absent one, so only values leading there are left out;
        // otherwise it is the most common target (misses fall off the chain's end).
        let fallthrough = if l4 {
            absent.clone()
        } else {
            most_common(regions)
        };
        let mut elements = Vec::new();
        for ((lo, hi), t) in regions {
            if *t == fallthrough {
                continue;
            }
            if *field == TreeField::Icmp {
                for r in icmp_rectangles(*lo, *hi) {
                    elements.push(Element {
                        key: vec![
                            KeyPart::range(r[0].0, r[0].1),
                            KeyPart::range(r[1].0, r[1].1),
                        ],
                        verdict: Some(self.verdict(t)),
                    });
                }
            } else {
                elements.push(Element {
                    key: vec![KeyPart::range(*lo, *hi)],
                    verdict: Some(self.verdict(t)),
                });
            }
        }
        elements.sort();
        self.elements += elements.len();
        self.chains += 1;
        let mut map = Set::verdict_map(key_types, true);
        map.elements = elements;
        ruleset.sets.insert(map_name.clone(), map);
        let mut rules = vec![Rule {
            matches: guard,
            verdict: Some(RuleVerdict::Vmap {
                key: key_fields,
                map: map_name,
            }),
            ..Rule::default()
        }];
        // The chain's end returns (it is entered by `goto` from the program's `jump`).
        let after = self.verdict(&fallthrough);
        if after != Verdict::Return {
            rules.push(Rule::verdict(after));
        }
        ruleset
            .chains
            .insert(chain_name.clone(), Chain { base: None, rules });
        let target = Target::Chain(chain_name);
        self.memo.insert(key, target.clone());
        target
    }

    /// The key of a field's map and the conditions under which it may be loaded.
    fn lookup(
        &self,
        ruleset: &mut Ruleset,
        field: TreeField,
    ) -> (Vec<KeyType>, Vec<Field>, Vec<Match>) {
        let family = self.family;
        match field {
            TreeField::Protocol => (vec![KeyType::InetProto], vec![Field::L4proto], vec![]),
            TreeField::SrcAddr | TreeField::DstAddr => {
                let side = if field == TreeField::SrcAddr {
                    Side::Src
                } else {
                    Side::Dst
                };
                (
                    vec![addr_key(family)],
                    vec![Field::addr(family, side)],
                    vec![],
                )
            }
            TreeField::SrcPort | TreeField::DstPort => {
                let set = ensure_port_protocols(ruleset);
                let side = if field == TreeField::SrcPort {
                    Side::Src
                } else {
                    Side::Dst
                };
                (
                    vec![KeyType::InetService],
                    vec![Field::port(side)],
                    vec![Match::InSet {
                        key: vec![Field::L4proto],
                        set,
                        negate: false,
                    }],
                )
            }
            TreeField::Icmp => {
                let (kt, kf) = match family {
                    Family::V4 => (
                        vec![KeyType::IcmpType, KeyType::IcmpCode],
                        vec![Field::IcmpType, Field::IcmpCode],
                    ),
                    Family::V6 => (
                        vec![KeyType::Icmpv6Type, KeyType::Icmpv6Code],
                        vec![Field::Icmpv6Type, Field::Icmpv6Code],
                    ),
                };
                (
                    kt,
                    kf,
                    vec![Match::L4proto {
                        proto: family.icmp_protocol(),
                        negate: false,
                    }],
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icmp_runs_become_rectangles() {
        assert_eq!(icmp_rectangles(0x0800, 0x08ff), vec![[(8, 8), (0, 255)]]);
        assert_eq!(
            icmp_rectangles(0x0805, 0x0a02),
            vec![[(8, 8), (5, 255)], [(9, 9), (0, 255)], [(10, 10), (0, 2)]]
        );
    }

    #[test]
    fn values_leading_where_most_values_go_fall_through_to_a_goto() {
        let mut r = Ruleset::new("palisade");
        let mut e = Emitter::new("x".into(), Family::V4, MissStyle::Return);
        let (a, b) = (Target::Chain("a_1".into()), Target::Chain("a_2".into()));
        let spec = NodeSpec {
            field: TreeField::SrcAddr,
            regions: vec![
                ((0, 9), a.clone()),
                ((10, 10), b.clone()),
                ((11, 19), a.clone()),
                ((20, 20), Target::Miss),
                ((21, u128::from(u32::MAX)), a.clone()),
            ],
            absent: Target::Miss,
        };
        let Target::Chain(node) = e.emit(&mut r, spec) else {
            panic!("a node is emitted");
        };
        let map = r.sets.values().next().expect("one map");
        // The three runs to `a` are left to the rule after the lookup.
        let verdicts: Vec<_> = map.elements.iter().map(|el| el.verdict.clone()).collect();
        assert_eq!(
            verdicts,
            vec![Some(Verdict::Goto("a_2".into())), Some(Verdict::Return)]
        );
        assert_eq!(
            r.chains[&node].rules.last().expect("rules").verdict,
            Some(RuleVerdict::Plain(Verdict::Goto("a_1".into())))
        );
    }

    #[test]
    fn a_node_whose_values_all_lead_one_way_is_skipped_and_twins_are_shared() {
        let mut r = Ruleset::new("palisade");
        let mut e = Emitter::new("x".into(), Family::V4, MissStyle::Return);
        let a = Target::Chain("a_1".into());
        let all_a = NodeSpec {
            field: TreeField::Protocol,
            regions: vec![((0, 5), a.clone()), ((6, 255), a.clone())],
            absent: Target::Miss,
        };
        assert_eq!(e.emit(&mut r, all_a), a);
        assert!(r.chains.is_empty());
        let split = || NodeSpec {
            field: TreeField::DstPort,
            regions: vec![
                ((0, 79), Target::Miss),
                ((80, 80), a.clone()),
                ((81, 65535), Target::Miss),
            ],
            absent: Target::Miss,
        };
        let first = e.emit(&mut r, split());
        let second = e.emit(&mut r, split());
        assert_eq!(first, second);
        assert_eq!(r.chains.len(), 1);
        // Absent leads nowhere, so misses are left out of the map.
        assert_eq!(r.sets.values().next().unwrap().elements.len(), 1);
    }
}
