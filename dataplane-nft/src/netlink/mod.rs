//! The netlink side of the model, pure: the messages of one batch.
//!
//! `plan_replace` gives the batch that replaces the table atomically (create if missing,
//! delete, create anew with everything); `plan_update` the batch that turns one ruleset into
//! another in place: new objects are added, changed sets get element deltas, changed chains are
//! flushed and refilled, removed objects are deleted — all in one batch, which the kernel
//! applies atomically. `ffi` serialises these operations with libnftnl.

mod encode;

use std::collections::BTreeSet;

#[cfg(test)]
pub(crate) use encode::CmpOp;
pub(crate) use encode::{NlElem, NlExpr, NlRule, NlSet};

use crate::ruleset::{BaseHook, Changed, Ruleset};

/// Elements per `NEWSETELEM`/`DELSETELEM` message: keeps every message far below the 64 KiB
/// attribute limit (the largest element is about 300 bytes).
pub(crate) const ELEMS_PER_MESSAGE: usize = 128;

/// One message of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NlOp {
    /// `NEWTABLE` (creates it if missing; no error if it exists).
    AddTable,
    /// `DELTABLE`.
    DelTable,
    /// `NEWCHAIN`.
    AddChain {
        name: String,
        base: Option<BaseHook>,
    },
    /// `DELRULE` without a handle: removes every rule of the chain.
    FlushChain { name: String },
    /// `DELCHAIN`.
    DelChain { name: String },
    /// `NEWRULE` appended at the end of its chain.
    AddRule(NlRule),
    /// `NEWSET`.
    AddSet { set: NlSet, id: u32 },
    /// `DELSET`.
    DelSet { name: String },
    /// `NEWSETELEM`.
    AddElems { set: String, elems: Vec<NlElem> },
    /// `DELSETELEM`.
    DelElems { set: String, elems: Vec<NlElem> },
    /// `NEWOBJ` of a counter.
    AddCounter { name: String },
    /// `DELOBJ` of a counter.
    DelCounter { name: String },
}

impl NlOp {
    /// A short description for error messages.
    pub(crate) fn describe(&self, table: &str) -> String {
        match self {
            NlOp::AddTable => format!("add table inet {table}"),
            NlOp::DelTable => format!("delete table inet {table}"),
            NlOp::AddChain { name, .. } => format!("add chain {name}"),
            NlOp::FlushChain { name } => format!("flush chain {name}"),
            NlOp::DelChain { name } => format!("delete chain {name}"),
            NlOp::AddRule(r) => format!("add rule to chain {}", r.chain),
            NlOp::AddSet { set, .. } => format!("add set {}", set.name),
            NlOp::DelSet { name } => format!("delete set {name}"),
            NlOp::AddElems { set, elems } => format!("add {} elements to set {set}", elems.len()),
            NlOp::DelElems { set, elems } => {
                format!("delete {} elements from set {set}", elems.len())
            }
            NlOp::AddCounter { name } => format!("add counter {name}"),
            NlOp::DelCounter { name } => format!("delete counter {name}"),
        }
    }
}

/// The messages of one batch, for one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) table: String,
    pub(crate) ops: Vec<NlOp>,
}

impl Plan {
    /// Number of messages.
    pub(crate) fn len(&self) -> usize {
        self.ops.len()
    }
}

fn push_elems(ops: &mut Vec<NlOp>, set: &str, elems: Vec<NlElem>, add: bool) {
    for chunk in elems.chunks(ELEMS_PER_MESSAGE) {
        let elems = chunk.to_vec();
        ops.push(if add {
            NlOp::AddElems {
                set: set.to_owned(),
                elems,
            }
        } else {
            NlOp::DelElems {
                set: set.to_owned(),
                elems,
            }
        });
    }
}

/// The batch that replaces `ruleset.table` with `ruleset`, whatever the kernel holds: the
/// table is created if missing, deleted, and declared anew with all its objects.
pub(crate) fn plan_replace(ruleset: &Ruleset) -> Plan {
    let mut ops = vec![NlOp::AddTable, NlOp::DelTable, NlOp::AddTable];
    for name in &ruleset.counters {
        ops.push(NlOp::AddCounter { name: name.clone() });
    }
    for (name, chain) in &ruleset.chains {
        ops.push(NlOp::AddChain {
            name: name.clone(),
            base: chain.base,
        });
    }
    for (id, (name, set)) in (1..).zip(&ruleset.sets) {
        ops.push(NlOp::AddSet {
            set: encode::encode_set(name, set),
            id,
        });
        push_elems(&mut ops, name, encode::encode_elements(set), true);
    }
    for (name, chain) in &ruleset.chains {
        for rule in &chain.rules {
            ops.push(NlOp::AddRule(encode::encode_rule(name, rule)));
        }
    }
    Plan {
        table: ruleset.table.clone(),
        ops,
    }
}

/// The batch that removes the table (and succeeds when it does not exist).
pub(crate) fn plan_remove(table: &str) -> Plan {
    Plan {
        table: table.to_owned(),
        ops: vec![NlOp::AddTable, NlOp::DelTable],
    }
}

/// The elements of `set` in units that are added or deleted together, in the order
/// [`encode::encode_elements`] gives. A single-field interval set (a red-black tree in the
/// kernel) holds an interval as a start element followed by an end element; the kernel refuses
/// an element that falls inside an interval still in force, so an interval that changes in any
/// way is deleted whole and added whole. Every other kind of set holds one element per unit.
fn element_units(set: &crate::ruleset::Set) -> Vec<Vec<NlElem>> {
    let elems = encode::encode_elements(set);
    if !set.interval || set.is_concat() {
        return elems.into_iter().map(|e| vec![e]).collect();
    }
    let mut units: Vec<Vec<NlElem>> = Vec::with_capacity(elems.len() / 2 + 1);
    for e in elems {
        let is_end = e.flags & encode::ELEM_INTERVAL_END != 0;
        match units.last_mut() {
            // An end element closes the interval its start opened.
            Some(last)
                if is_end && last.len() == 1 && last[0].flags & encode::ELEM_INTERVAL_END == 0 =>
            {
                last.push(e);
            }
            _ => units.push(vec![e]),
        }
    }
    units
}

/// The elements to delete from and add to a set that turns from `prev` into `next`, each in
/// the kernel's insertion order (ascending keys, an end element before the start element of
/// the same key). Deletions go first in the batch: a deleted element no longer counts when the
/// additions are checked for overlaps, even if the same element is added back.
fn element_delta(
    prev: &crate::ruleset::Set,
    next: &crate::ruleset::Set,
) -> (Vec<NlElem>, Vec<NlElem>) {
    let before = element_units(prev);
    let after = element_units(next);
    let before_set: BTreeSet<&Vec<NlElem>> = before.iter().collect();
    let after_set: BTreeSet<&Vec<NlElem>> = after.iter().collect();
    let removed = before
        .iter()
        .filter(|u| !after_set.contains(u))
        .flatten()
        .cloned()
        .collect();
    let added = after
        .iter()
        .filter(|u| !before_set.contains(u))
        .flatten()
        .cloned()
        .collect();
    (removed, added)
}

/// What an in-place update changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdateStats {
    /// Sets created.
    pub sets_added: usize,
    /// Sets deleted.
    pub sets_removed: usize,
    /// Sets whose elements changed.
    pub sets_changed: usize,
    /// Elements added to existing sets.
    pub elements_added: usize,
    /// Elements removed from existing sets.
    pub elements_removed: usize,
    /// Chains created.
    pub chains_added: usize,
    /// Chains deleted.
    pub chains_removed: usize,
    /// Chains flushed and refilled.
    pub chains_rewritten: usize,
    /// Counters created or deleted.
    pub counters_changed: usize,
}

impl UpdateStats {
    /// True when the update changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == UpdateStats::default()
    }
}

/// The batch that turns `old` (what the kernel holds) into `new`, or `None` when that cannot be
/// done in place (a different table, or a set or base chain whose definition changed): the
/// caller then replaces the table. New objects come first, then element deltas (deletions
/// before additions), then chain rewrites, then deletions of objects nothing refers to any
/// more.
pub(crate) fn plan_update(old: &Ruleset, new: &Ruleset) -> Option<(Plan, UpdateStats)> {
    if old.table != new.table {
        return None;
    }
    let mut stats = UpdateStats::default();
    let mut ops = Vec::new();
    for name in new.counters.difference(&old.counters) {
        ops.push(NlOp::AddCounter { name: name.clone() });
        stats.counters_changed += 1;
    }
    for (name, chain) in &new.chains {
        match old.chains.get(name) {
            None => {
                ops.push(NlOp::AddChain {
                    name: name.clone(),
                    base: chain.base,
                });
                stats.chains_added += 1;
            }
            Some(prev) if prev.base != chain.base => return None,
            Some(_) => {}
        }
    }
    let mut id = 1;
    for (name, set) in &new.sets {
        match old.sets.get(name) {
            None => {
                ops.push(NlOp::AddSet {
                    set: encode::encode_set(name, set),
                    id,
                });
                id += 1;
                push_elems(&mut ops, name, encode::encode_elements(set), true);
                stats.sets_added += 1;
            }
            Some(prev) => {
                if prev.key != set.key || prev.interval != set.interval || prev.map != set.map {
                    return None;
                }
                if prev.elements == set.elements {
                    continue;
                }
                let (removed, added) = element_delta(prev, set);
                stats.elements_removed += removed.len();
                stats.elements_added += added.len();
                stats.sets_changed += 1;
                push_elems(&mut ops, name, removed, false);
                push_elems(&mut ops, name, added, true);
            }
        }
    }
    for (name, chain) in &new.chains {
        match old.chains.get(name) {
            Some(prev) if prev.rules == chain.rules => {}
            Some(_) => {
                ops.push(NlOp::FlushChain { name: name.clone() });
                for rule in &chain.rules {
                    ops.push(NlOp::AddRule(encode::encode_rule(name, rule)));
                }
                stats.chains_rewritten += 1;
            }
            None => {
                for rule in &chain.rules {
                    ops.push(NlOp::AddRule(encode::encode_rule(name, rule)));
                }
            }
        }
    }
    let removed_chains: Vec<&String> = old
        .chains
        .keys()
        .filter(|n| !new.chains.contains_key(*n))
        .collect();
    for name in &removed_chains {
        ops.push(NlOp::FlushChain {
            name: (*name).clone(),
        });
    }
    for name in old.sets.keys().filter(|n| !new.sets.contains_key(*n)) {
        ops.push(NlOp::DelSet { name: name.clone() });
        stats.sets_removed += 1;
    }
    for name in removed_chains {
        ops.push(NlOp::DelChain { name: name.clone() });
        stats.chains_removed += 1;
    }
    for name in old.counters.difference(&new.counters) {
        ops.push(NlOp::DelCounter { name: name.clone() });
        stats.counters_changed += 1;
    }
    Some((
        Plan {
            table: new.table.clone(),
            ops,
        },
        stats,
    ))
}

/// The batch that turns `old` into `new` when `new` has the same shape as `old` and differs only
/// in `changed` ([`Ruleset::changed_from`]): element deltas of the changed sets (deletions
/// before additions), then rewrites of the changed chains. The same batch as [`plan_update`]
/// gives for these rulesets, without comparing what did not change.
pub(crate) fn plan_changed(old: &Ruleset, new: &Ruleset, changed: &Changed) -> (Plan, UpdateStats) {
    let mut stats = UpdateStats::default();
    let mut ops = Vec::new();
    for name in &changed.sets {
        let (Some(prev), Some(set)) = (old.sets.get(name), new.sets.get(name)) else {
            continue;
        };
        let (removed, added) = element_delta(prev, set);
        stats.elements_removed += removed.len();
        stats.elements_added += added.len();
        stats.sets_changed += 1;
        push_elems(&mut ops, name, removed, false);
        push_elems(&mut ops, name, added, true);
    }
    for name in &changed.chains {
        let Some(chain) = new.chains.get(name) else {
            continue;
        };
        ops.push(NlOp::FlushChain { name: name.clone() });
        for rule in &chain.rules {
            ops.push(NlOp::AddRule(encode::encode_rule(name, rule)));
        }
        stats.chains_rewritten += 1;
    }
    (
        Plan {
            table: new.table.clone(),
            ops,
        },
        stats,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruleset::{
        Chain, Element, Field, KeyPart, KeyType, Match, Rule, Set, Stmt, Verdict,
    };

    fn base() -> Ruleset {
        let mut r = Ruleset::new("palisade");
        r.counters.insert("c_1".into());
        let mut s = Set::new(vec![KeyType::Ipv4Addr], true);
        s.elements = vec![Element {
            key: vec![KeyPart::range(0x0a00_0000, 0x0aff_ffff)],
            verdict: None,
        }];
        r.sets.insert("s_1".into(), s);
        r.chains.insert(
            "ch_1".into(),
            Chain {
                base: None,
                rules: vec![
                    Rule::verdict(Verdict::Drop)
                        .when(Match::InSet {
                            key: vec![Field::Ip4Saddr],
                            set: "s_1".into(),
                            negate: false,
                        })
                        .then(Stmt::Counter("c_1".into())),
                ],
            },
        );
        r
    }

    #[test]
    fn replace_declares_everything_before_filling_it() {
        let plan = plan_replace(&base());
        assert_eq!(
            plan.ops[..3],
            [NlOp::AddTable, NlOp::DelTable, NlOp::AddTable]
        );
        let pos = |pred: &dyn Fn(&NlOp) -> bool| plan.ops.iter().position(pred).unwrap();
        let counter = pos(&|o| matches!(o, NlOp::AddCounter { .. }));
        let chain = pos(&|o| matches!(o, NlOp::AddChain { .. }));
        let set = pos(&|o| matches!(o, NlOp::AddSet { .. }));
        let rule = pos(&|o| matches!(o, NlOp::AddRule(_)));
        assert!(counter < rule && chain < set && set < rule);
    }

    #[test]
    fn a_member_change_is_an_element_delta_only() {
        let old = base();
        let mut new = base();
        new.sets.get_mut("s_1").unwrap().elements.push(Element {
            key: vec![KeyPart::value(0xc0a8_0101)],
            verdict: None,
        });
        let (plan, stats) = plan_update(&old, &new).unwrap();
        assert!(
            plan.ops
                .iter()
                .all(|o| matches!(o, NlOp::AddElems { .. } | NlOp::DelElems { .. }))
        );
        assert_eq!(stats.sets_changed, 1);
        assert_eq!(stats.elements_added, 2);
        assert_eq!(stats.chains_rewritten, 0);
    }

    #[test]
    fn a_changed_chain_is_flushed_and_refilled_and_dead_objects_go_last() {
        let old = base();
        let mut new = base();
        new.chains.get_mut("ch_1").unwrap().rules = vec![Rule::verdict(Verdict::Accept)];
        new.sets.clear();
        new.counters.clear();
        let (plan, stats) = plan_update(&old, &new).unwrap();
        assert_eq!(stats.chains_rewritten, 1);
        assert_eq!(stats.sets_removed, 1);
        let flush = plan
            .ops
            .iter()
            .position(|o| matches!(o, NlOp::FlushChain { .. }))
            .unwrap();
        let del_set = plan
            .ops
            .iter()
            .position(|o| matches!(o, NlOp::DelSet { .. }))
            .unwrap();
        let del_counter = plan
            .ops
            .iter()
            .position(|o| matches!(o, NlOp::DelCounter { .. }))
            .unwrap();
        assert!(flush < del_set && flush < del_counter);
    }

    #[test]
    fn a_split_interval_is_deleted_whole_and_added_whole() {
        // The kernel refuses elements inside an interval in force: splitting 10.0.0.0/8 must
        // delete its start and end, then add both halves (ends before starts of equal keys).
        let old = base();
        let mut new = base();
        new.sets.get_mut("s_1").unwrap().elements = vec![
            Element {
                key: vec![KeyPart::range(0x0a00_0000, 0x0a00_00ff)],
                verdict: None,
            },
            Element {
                key: vec![KeyPart::range(0x0a00_0100, 0x0aff_ffff)],
                verdict: None,
            },
        ];
        let (plan, stats) = plan_update(&old, &new).unwrap();
        assert_eq!(
            stats.elements_removed, 2,
            "start and end of the old interval"
        );
        assert_eq!(
            stats.elements_added, 4,
            "two starts, two ends; the sentinel stays"
        );
        let NlOp::DelElems { elems: dels, .. } = &plan.ops[0] else {
            panic!("deletions first: {:?}", plan.ops)
        };
        assert_eq!(dels.len(), 2);
        let NlOp::AddElems { elems: adds, .. } = &plan.ops[1] else {
            panic!("then additions: {:?}", plan.ops)
        };
        let order: Vec<(Vec<u8>, bool)> = adds
            .iter()
            .map(|e| (e.key.clone(), e.flags & encode::ELEM_INTERVAL_END != 0))
            .collect();
        assert_eq!(
            order,
            vec![
                (vec![10, 0, 0, 0], false),
                (vec![10, 0, 1, 0], true),
                (vec![10, 0, 1, 0], false),
                (vec![11, 0, 0, 0], true),
            ]
        );
    }

    #[test]
    fn a_content_change_is_planned_as_a_full_diff_would_plan_it() {
        let old = base();
        let mut new = base();
        new.sets.get_mut("s_1").unwrap().elements = vec![
            Element {
                key: vec![KeyPart::range(0x0a00_0000, 0x0a00_00ff)],
                verdict: None,
            },
            Element {
                key: vec![KeyPart::value(0x0b00_0001)],
                verdict: None,
            },
        ];
        new.chains
            .get_mut("ch_1")
            .unwrap()
            .rules
            .push(Rule::verdict(Verdict::Accept));
        let changed = new.changed_from(&old).unwrap();
        let (plan, stats) = plan_changed(&old, &new, &changed);
        assert_eq!(Some((plan.clone(), stats.clone())), plan_update(&old, &new));
        assert_eq!(stats.sets_changed, 1);
        assert_eq!(stats.chains_rewritten, 1);
        assert!(!plan.ops.is_empty());
        let unchanged = base().changed_from(&old).unwrap();
        let (plan, stats) = plan_changed(&old, &base(), &unchanged);
        assert!(plan.ops.is_empty() && stats.is_empty());
    }

    #[test]
    fn identical_rulesets_need_no_messages() {
        let (plan, stats) = plan_update(&base(), &base()).unwrap();
        assert!(plan.ops.is_empty() && stats.is_empty());
    }

    #[test]
    fn a_redefined_set_needs_a_replace() {
        let mut new = base();
        new.sets.get_mut("s_1").unwrap().interval = false;
        new.sets.get_mut("s_1").unwrap().elements.clear();
        assert!(plan_update(&base(), &new).is_none());
    }
}
