//! [`LabelIndex`]: which registered selectors match which entities, kept up to date as entities
//! and selectors come and go, without evaluating every selector against every entity.
//!
//! Like Calico's label-restriction index (`felix/labelindex`), each selector is *placed* by its
//! label restrictions ([`Selector::label_restrictions`]): under the values a label must take
//! (`app == "web"`, `tier in {"fe","be"}`), under a label that must be present (`has(app)`,
//! `app starts with "w"`), or — with no usable restriction — among the unrestricted selectors. An
//! entity change then evaluates only the selectors placed under one of the entity's own
//! (label, value) pairs or labels, plus the unrestricted ones; a new selector is evaluated only
//! against the entities that carry its placement label (or value). Restrictions over-approximate,
//! so no match is ever missed; the evaluation decides.

use std::sync::Arc;

use ahash::{AHashMap, AHashSet};
use palisade_selector::{LabelSet, Selector};

use super::entity::EntityKey;
use super::slab::Slab;

/// A registered selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SelectorId(u32);

/// An indexed entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(u32);

/// Where a selector is filed (see the module docs).
#[derive(Clone, Debug)]
enum Placement {
    /// The label must have one of these values.
    Values(Box<str>, Vec<Box<str>>),
    /// The label must be present.
    Present(Box<str>),
    /// Evaluated against every entity.
    Unrestricted,
    /// Can never match (contradictory restrictions, e.g. `a in {}`).
    Impossible,
}

#[derive(Clone, Debug)]
struct SelectorEntry {
    selector: Selector,
    uid: Arc<str>,
    refs: u32,
    placement: Placement,
    matches: AHashSet<EntityId>,
}

#[derive(Clone, Debug)]
struct EntityEntry {
    key: EntityKey,
    labels: LabelSet,
    matches: AHashSet<SelectorId>,
}

/// One change of a selector's match set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MatchChange {
    /// The selector.
    pub selector: SelectorId,
    /// The entity.
    pub entity: EntityId,
    /// True when the selector started matching the entity, false when it stopped.
    pub matched: bool,
}

/// The selector ↔ entity index (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct LabelIndex {
    entities: Slab<EntityEntry>,
    entity_ids: AHashMap<EntityKey, EntityId>,
    selectors: Slab<SelectorEntry>,
    selector_ids: AHashMap<Arc<str>, SelectorId>,
    /// label → value → selectors placed under that value.
    sel_by_value: AHashMap<Box<str>, AHashMap<Box<str>, AHashSet<SelectorId>>>,
    /// label → selectors that need the label present.
    sel_by_label: AHashMap<Box<str>, AHashSet<SelectorId>>,
    unrestricted: AHashSet<SelectorId>,
    /// label → value → entities with that label value.
    ent_by_value: AHashMap<Box<str>, AHashMap<Box<str>, AHashSet<EntityId>>>,
    /// The number of entities when every selector was last placed (see [`LabelIndex::rebalance`]).
    placed_at: usize,
}

impl LabelIndex {
    /// An empty index.
    pub fn new() -> LabelIndex {
        LabelIndex::default()
    }

    /// Number of entities.
    pub fn entity_count(&self) -> usize {
        self.entities.len()
    }

    /// Number of registered selectors.
    pub fn selector_count(&self) -> usize {
        self.selectors.len()
    }

    /// The ID of an indexed entity.
    pub fn entity_id(&self, key: &EntityKey) -> Option<EntityId> {
        self.entity_ids.get(key).copied()
    }

    /// The key of an indexed entity.
    pub fn entity_key(&self, id: EntityId) -> Option<&EntityKey> {
        self.entities.get(id.0).map(|e| &e.key)
    }

    /// The effective labels of an indexed entity.
    pub fn entity_labels(&self, id: EntityId) -> Option<&LabelSet> {
        self.entities.get(id.0).map(|e| &e.labels)
    }

    /// The ID of a registered selector, by unique ID.
    pub fn selector_id(&self, selector: &Selector) -> Option<SelectorId> {
        self.selector_ids.get(selector.unique_id()).copied()
    }

    /// A registered selector.
    pub fn selector(&self, id: SelectorId) -> Option<&Selector> {
        self.selectors.get(id.0).map(|s| &s.selector)
    }

    /// The entities a registered selector matches, in no particular order.
    pub fn matches(&self, id: SelectorId) -> impl Iterator<Item = EntityId> + '_ {
        self.selectors
            .get(id.0)
            .into_iter()
            .flat_map(|s| s.matches.iter().copied())
    }

    /// Number of entities a registered selector matches.
    pub fn match_count(&self, id: SelectorId) -> usize {
        self.selectors.get(id.0).map_or(0, |s| s.matches.len())
    }

    /// The registered selectors that match an entity, in no particular order.
    pub fn selectors_matching(&self, id: EntityId) -> impl Iterator<Item = SelectorId> + '_ {
        self.entities
            .get(id.0)
            .into_iter()
            .flat_map(|e| e.matches.iter().copied())
    }

    /// Every indexed entity.
    pub fn entities(&self) -> impl Iterator<Item = (EntityId, &EntityKey)> {
        self.entities.iter().map(|(i, e)| (EntityId(i), &e.key))
    }

    /// Registers `selector` (reference counted by unique ID) and returns its ID and whether it was
    /// new. A new selector's matches are computed at once.
    pub fn register(&mut self, selector: &Selector) -> (SelectorId, bool) {
        if let Some(&id) = self.selector_ids.get(selector.unique_id()) {
            if let Some(entry) = self.selectors.get_mut(id.0) {
                entry.refs += 1;
            }
            return (id, false);
        }
        let placement = self.place(selector);
        let uid: Arc<str> = Arc::from(selector.unique_id());
        let id = SelectorId(self.selectors.insert(SelectorEntry {
            selector: selector.clone(),
            uid: uid.clone(),
            refs: 1,
            placement: placement.clone(),
            matches: AHashSet::new(),
        }));
        self.selector_ids.insert(uid, id);
        self.file(id, &placement);
        let candidates = self.candidate_entities(&placement);
        let mut matched = AHashSet::new();
        for eid in candidates {
            if let Some(entity) = self.entities.get(eid.0)
                && selector.matches(&entity.labels)
            {
                matched.insert(eid);
            }
        }
        for &eid in &matched {
            if let Some(entity) = self.entities.get_mut(eid.0) {
                entity.matches.insert(id);
            }
        }
        if let Some(entry) = self.selectors.get_mut(id.0) {
            entry.matches = matched;
        }
        (id, true)
    }

    /// Drops one reference to a selector; returns true when it was the last and the selector is
    /// gone.
    pub fn unregister(&mut self, id: SelectorId) -> bool {
        let Some(entry) = self.selectors.get_mut(id.0) else {
            return false;
        };
        entry.refs -= 1;
        if entry.refs > 0 {
            return false;
        }
        let Some(entry) = self.selectors.remove(id.0) else {
            return false;
        };
        self.selector_ids.remove(&entry.uid);
        self.unfile(id, &entry.placement);
        for eid in entry.matches {
            if let Some(entity) = self.entities.get_mut(eid.0) {
                entity.matches.remove(&id);
            }
        }
        true
    }

    /// Adds or updates an entity with its effective labels; returns its ID and the match changes.
    pub fn upsert_entity(
        &mut self,
        key: &EntityKey,
        labels: LabelSet,
        changes: &mut Vec<MatchChange>,
    ) -> EntityId {
        let id = match self.entity_ids.get(key) {
            Some(&id) => {
                if self.entities.get(id.0).is_some_and(|e| e.labels == labels) {
                    return id;
                }
                id
            }
            None => {
                let id = EntityId(self.entities.insert(EntityEntry {
                    key: key.clone(),
                    labels: LabelSet::new(),
                    matches: AHashSet::new(),
                }));
                self.entity_ids.insert(key.clone(), id);
                id
            }
        };
        let old_labels = match self.entities.get_mut(id.0) {
            Some(entry) => std::mem::replace(&mut entry.labels, labels),
            None => return id,
        };
        for (k, v) in old_labels.iter() {
            remove_nested(&mut self.ent_by_value, k, v, &id);
        }
        let Some(labels) = self.entities.get(id.0).map(|e| &e.labels) else {
            return id;
        };
        for (k, v) in labels.iter() {
            let by_value = match self.ent_by_value.get_mut(k) {
                Some(m) => m,
                None => self.ent_by_value.entry(k.into()).or_default(),
            };
            match by_value.get_mut(v) {
                Some(set) => {
                    set.insert(id);
                }
                None => {
                    by_value.insert(v.into(), AHashSet::from_iter([id]));
                }
            }
        }
        let mut now: AHashSet<SelectorId> = AHashSet::new();
        let consider = |sid: SelectorId, now: &mut AHashSet<SelectorId>| {
            if !now.contains(&sid)
                && self
                    .selectors
                    .get(sid.0)
                    .is_some_and(|s| s.selector.matches(labels))
            {
                now.insert(sid);
            }
        };
        for &sid in &self.unrestricted {
            consider(sid, &mut now);
        }
        for (k, v) in labels.iter() {
            if let Some(set) = self.sel_by_value.get(k).and_then(|m| m.get(v)) {
                for &sid in set {
                    consider(sid, &mut now);
                }
            }
            if let Some(set) = self.sel_by_label.get(k) {
                for &sid in set {
                    consider(sid, &mut now);
                }
            }
        }
        let before = match self.entities.get_mut(id.0) {
            Some(entry) => std::mem::take(&mut entry.matches),
            None => AHashSet::new(),
        };
        for &sid in before.difference(&now) {
            if let Some(s) = self.selectors.get_mut(sid.0) {
                s.matches.remove(&id);
            }
            changes.push(MatchChange {
                selector: sid,
                entity: id,
                matched: false,
            });
        }
        for &sid in now.difference(&before) {
            if let Some(s) = self.selectors.get_mut(sid.0) {
                s.matches.insert(id);
            }
            changes.push(MatchChange {
                selector: sid,
                entity: id,
                matched: true,
            });
        }
        if let Some(entry) = self.entities.get_mut(id.0) {
            entry.matches = now;
        }
        id
    }

    /// Removes an entity; reports the matches it loses. Its ID may be reused afterwards.
    pub fn remove_entity(&mut self, key: &EntityKey, changes: &mut Vec<MatchChange>) {
        let Some(id) = self.entity_ids.remove(key) else {
            return;
        };
        let Some(entry) = self.entities.remove(id.0) else {
            return;
        };
        for (k, v) in entry.labels.iter() {
            remove_nested(&mut self.ent_by_value, k, v, &id);
        }
        for sid in entry.matches {
            if let Some(s) = self.selectors.get_mut(sid.0) {
                s.matches.remove(&id);
            }
            changes.push(MatchChange {
                selector: sid,
                entity: id,
                matched: false,
            });
        }
    }

    /// Adds a selector to the placement maps.
    fn file(&mut self, id: SelectorId, placement: &Placement) {
        match placement {
            Placement::Values(label, values) => {
                let by_value = self.sel_by_value.entry(label.clone()).or_default();
                for v in values {
                    by_value.entry(v.clone()).or_default().insert(id);
                }
            }
            Placement::Present(label) => {
                self.sel_by_label
                    .entry(label.clone())
                    .or_default()
                    .insert(id);
            }
            Placement::Unrestricted => {
                self.unrestricted.insert(id);
            }
            Placement::Impossible => {}
        }
    }

    /// Removes a selector from the placement maps.
    fn unfile(&mut self, id: SelectorId, placement: &Placement) {
        match placement {
            Placement::Values(label, values) => {
                if let Some(by_value) = self.sel_by_value.get_mut(label) {
                    for v in values {
                        if let Some(set) = by_value.get_mut(v) {
                            set.remove(&id);
                            if set.is_empty() {
                                by_value.remove(v);
                            }
                        }
                    }
                    if by_value.is_empty() {
                        self.sel_by_value.remove(label);
                    }
                }
            }
            Placement::Present(label) => {
                if let Some(set) = self.sel_by_label.get_mut(label) {
                    set.remove(&id);
                    if set.is_empty() {
                        self.sel_by_label.remove(label);
                    }
                }
            }
            Placement::Unrestricted => {
                self.unrestricted.remove(&id);
            }
            Placement::Impossible => {}
        }
    }

    /// Re-files every selector by the current entity counts once the index has grown well past
    /// the size it had when they were placed (a selector registered into an empty index is filed
    /// by its first restricted label, which may be a poor choice later). Matches do not change;
    /// only which entity changes evaluate which selectors.
    pub fn rebalance(&mut self) {
        if self.entities.len() >= 2 * self.placed_at + 64 {
            self.replace_all();
        }
    }

    fn replace_all(&mut self) {
        self.placed_at = self.entities.len();
        let ids: Vec<u32> = self.selectors.iter().map(|(i, _)| i).collect();
        for i in ids {
            let id = SelectorId(i);
            let Some(entry) = self.selectors.get(i) else {
                continue;
            };
            let old = entry.placement.clone();
            let new = self.place(&entry.selector);
            self.unfile(id, &old);
            self.file(id, &new);
            if let Some(entry) = self.selectors.get_mut(i) {
                entry.placement = new;
            }
        }
    }

    /// Chooses where to file a selector: the most selective restriction by the current entity
    /// counts (values before presence on ties, then label name).
    fn place(&self, selector: &Selector) -> Placement {
        let restrictions = selector.label_restrictions();
        if !restrictions.possible_to_satisfy() {
            return Placement::Impossible;
        }
        let mut best: Option<(usize, u8, Placement)> = None;
        for (label, r) in restrictions.iter() {
            let candidate = if let Some(values) = &r.must_have_one_of_values {
                let by_value = self.ent_by_value.get(label);
                let cost = values
                    .iter()
                    .map(|v| {
                        by_value
                            .and_then(|m| m.get(v.as_str()))
                            .map_or(0, |s| s.len())
                    })
                    .sum();
                let values = values.iter().map(|v| Box::from(v.as_str())).collect();
                (cost, 0, Placement::Values(label.into(), values))
            } else if r.must_be_present {
                let cost = self
                    .ent_by_value
                    .get(label)
                    .map_or(0, |m| m.values().map(|s| s.len()).sum());
                (cost, 1, Placement::Present(label.into()))
            } else {
                continue;
            };
            if best
                .as_ref()
                .is_none_or(|(c, rank, _)| (candidate.0, candidate.1) < (*c, *rank))
            {
                best = Some(candidate);
            }
        }
        best.map_or(Placement::Unrestricted, |(_, _, p)| p)
    }

    fn candidate_entities(&self, placement: &Placement) -> Vec<EntityId> {
        match placement {
            Placement::Values(label, values) => {
                let Some(by_value) = self.ent_by_value.get(label) else {
                    return Vec::new();
                };
                values
                    .iter()
                    .filter_map(|v| by_value.get(v))
                    .flat_map(|s| s.iter().copied())
                    .collect()
            }
            Placement::Present(label) => self
                .ent_by_value
                .get(label)
                .into_iter()
                .flat_map(|m| m.values().flat_map(|s| s.iter().copied()))
                .collect(),
            Placement::Unrestricted => self.entities.iter().map(|(i, _)| EntityId(i)).collect(),
            Placement::Impossible => Vec::new(),
        }
    }
}

fn remove_nested(
    map: &mut AHashMap<Box<str>, AHashMap<Box<str>, AHashSet<EntityId>>>,
    k: &str,
    v: &str,
    id: &EntityId,
) {
    if let Some(by_value) = map.get_mut(k) {
        if let Some(set) = by_value.get_mut(v) {
            set.remove(id);
            if set.is_empty() {
                by_value.remove(v);
            }
        }
        if by_value.is_empty() {
            map.remove(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().copied().collect()
    }

    fn ep(name: &str) -> EntityKey {
        EntityKey::Endpoint(palisade_policy_model::model::EndpointKey::Host {
            name: Arc::from(name),
        })
    }

    fn sel(text: &str) -> Selector {
        Selector::parse(text).unwrap()
    }

    fn matched(index: &LabelIndex, id: SelectorId) -> Vec<String> {
        let mut v: Vec<String> = index
            .matches(id)
            .map(|e| index.entity_key(e).unwrap().to_string())
            .collect();
        v.sort();
        v
    }

    /// Brute force: the index agrees with evaluating every selector against every entity.
    fn check_consistent(index: &LabelIndex) {
        for (sid, entry) in index.selectors.iter() {
            for (eid, entity) in index.entities.iter() {
                let expect = entry.selector.matches(&entity.labels);
                assert_eq!(
                    entry.matches.contains(&EntityId(eid)),
                    expect,
                    "{} vs {}",
                    entry.selector,
                    entity.key
                );
                assert_eq!(entity.matches.contains(&SelectorId(sid)), expect);
            }
        }
    }

    #[test]
    fn selectors_see_entities_in_either_order() {
        let mut index = LabelIndex::new();
        let mut changes = Vec::new();
        let (web, _) = index.register(&sel("app == 'web'"));
        index.upsert_entity(&ep("a"), labels(&[("app", "web")]), &mut changes);
        index.upsert_entity(&ep("b"), labels(&[("app", "db")]), &mut changes);
        let (not_web, _) = index.register(&sel("app != 'web'"));
        let (has_app, _) = index.register(&sel("has(app) && !has(x)"));
        let (none, _) = index.register(&sel("app in {}"));
        assert_eq!(matched(&index, web), ["hostendpoint/a"]);
        assert_eq!(matched(&index, not_web), ["hostendpoint/b"]);
        assert_eq!(
            matched(&index, has_app),
            ["hostendpoint/a", "hostendpoint/b"]
        );
        assert!(matched(&index, none).is_empty());
        check_consistent(&index);
    }

    #[test]
    fn label_changes_report_exact_match_changes() {
        let mut index = LabelIndex::new();
        let mut changes = Vec::new();
        let (web, _) = index.register(&sel("app == 'web'"));
        let (or, _) = index.register(&sel("app == 'web' || tier == 'fe'"));
        let a = index.upsert_entity(&ep("a"), labels(&[("app", "web")]), &mut changes);
        changes.sort();
        assert_eq!(
            changes,
            vec![
                MatchChange {
                    selector: web,
                    entity: a,
                    matched: true
                },
                MatchChange {
                    selector: or,
                    entity: a,
                    matched: true
                }
            ]
        );
        changes.clear();
        index.upsert_entity(&ep("a"), labels(&[("tier", "fe")]), &mut changes);
        assert_eq!(
            changes,
            vec![MatchChange {
                selector: web,
                entity: a,
                matched: false
            }]
        );
        changes.clear();
        index.remove_entity(&ep("a"), &mut changes);
        assert_eq!(
            changes,
            vec![MatchChange {
                selector: or,
                entity: a,
                matched: false
            }]
        );
        check_consistent(&index);
    }

    #[test]
    fn registration_is_reference_counted() {
        let mut index = LabelIndex::new();
        let (a, new_a) = index.register(&sel("x == 'y'"));
        let (b, new_b) = index.register(&sel("x=='y'"));
        assert_eq!(a, b);
        assert!(new_a && !new_b);
        assert!(!index.unregister(a));
        assert!(index.unregister(a));
        assert_eq!(index.selector_count(), 0);
    }

    proptest::proptest! {
        #[test]
        fn index_matches_brute_force(ops in proptest::collection::vec(
            (0u8..5, 0usize..6, proptest::collection::vec((0usize..3, 0usize..3), 0..4)), 1..60)) {
            let keys = ["a", "b", "c"];
            let values = ["1", "2", "3"];
            let selectors = [
                "a == '1'", "a in {'1', '2'}", "has(b)", "!has(b)", "a != '1'",
                "a == '1' && b == '2'", "a == '1' || c == '3'", "all()", "c starts with '1'",
                "(a == '1' || a == '2') && has(c)",
            ];
            let mut index = LabelIndex::new();
            let mut registered: Vec<SelectorId> = Vec::new();
            let mut changes = Vec::new();
            for (op, n, pairs) in ops {
                match op {
                    0 => {
                        let l: LabelSet = pairs.iter().map(|&(k, v)| (keys[k], values[v])).collect();
                        index.upsert_entity(&ep(&n.to_string()), l, &mut changes);
                    }
                    1 => index.remove_entity(&ep(&n.to_string()), &mut changes),
                    2 => registered.push(index.register(&sel(selectors[(n + pairs.len() * 6) % selectors.len()])).0),
                    3 => index.replace_all(),
                    _ => {
                        if !registered.is_empty() {
                            let id = registered.remove(n % registered.len());
                            index.unregister(id);
                        }
                    }
                }
                check_consistent(&index);
            }
        }
    }
}
