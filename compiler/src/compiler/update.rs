//! The incremental update: from touched item keys to a new snapshot and its [`Delta`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ahash::AHashSet;
use palisade_policy_model::model::{Direction, EndpointKey, ItemKey, Policy, PolicyId, Rule};
use smallvec::SmallVec;

use super::Compiler;
use super::delta::{Delta, ProgramChange, SetChange};
use super::error::CompileError;
use super::layouts::{Layout, LayoutId, LayoutKey, LayoutTier, PolicyIdx, ProfileIdx};
use super::sets::{EntityAddrs, SetContext, SetIdx};
use super::state::{
    DIRECTIONS, EntityRecord, ErrorKey, Lowered, OwnerKey, PolicyState, ProfileState, dir_index,
};
use crate::index::{EntityKey, effective_labels};
use crate::ir::{Hook, IpSet, IpSetId, IpSetMembers, IrAction, Origin, Program, ProgramTarget};
use crate::lower::{ProgramParts, SetDef, TierPart, assemble, lower_failsafes, lower_rules};
use crate::resolve::{hook_admits, hook_has_profiles};

/// What one update has to do and what it changed, collected along the way.
#[derive(Default)]
pub(super) struct Work {
    /// Every entity is being (re)loaded, so every endpoint is already dirty.
    full: bool,
    resolve_all: bool,
    dirty_endpoints: AHashSet<EndpointKey>,
    relabel: AHashSet<EntityKey>,
    rebuild: AHashSet<LayoutId>,
    maybe_unused: AHashSet<LayoutId>,
    old_programs: BTreeMap<ProgramTarget, Option<Arc<Program>>>,
    old_sets: BTreeMap<IpSetId, Option<Arc<IpSet>>>,
    old_errors: BTreeMap<ErrorKey, Option<CompileError>>,
}

/// True when two versions of a policy are resolved the same way (same endpoints, same place in
/// the same tier, same stages and directions).
fn same_resolution(a: &Policy, b: &Policy) -> bool {
    a.selector == b.selector
        && a.tier == b.tier
        && a.order.map(f64::to_bits) == b.order.map(f64::to_bits)
        && a.directions == b.directions
        && a.staged == b.staged
        && a.do_not_track == b.do_not_track
        && a.pre_dnat == b.pre_dnat
        && a.apply_on_forward == b.apply_on_forward
}

impl Compiler {
    /// Brings the compiled state up to date with the model after the items in `touched`
    /// changed, and reports what changed.
    pub(super) fn update(&mut self, touched: &BTreeSet<ItemKey>) -> Delta {
        self.update_with(touched, Work::default())
    }

    /// [`Compiler::update`] when `touched` holds every item (a full compile).
    pub(super) fn update_all(&mut self, touched: &BTreeSet<ItemKey>) -> Delta {
        let work = Work {
            full: true,
            ..Work::default()
        };
        self.update_with(touched, work)
    }

    fn update_with(&mut self, touched: &BTreeSet<ItemKey>, mut work: Work) -> Delta {
        if touched.contains(&ItemKey::Felix) {
            self.reload_felix(&mut work);
        }
        if touched.iter().any(|k| matches!(k, ItemKey::Tier(_))) {
            self.reload_tiers(&mut work);
        }
        // Profile labels before entities (inheritance), entities before new selectors (so that
        // the index files them by real counts), then profile rules and policies.
        for key in touched {
            if let ItemKey::Profile(name) = key {
                self.reload_profile_labels(name, &mut work);
            }
        }
        let mut entities: BTreeSet<EntityKey> = touched
            .iter()
            .filter_map(|k| match k {
                ItemKey::Endpoint(e) => Some(EntityKey::Endpoint(e.clone())),
                ItemKey::NetworkSet(ns, name) => Some(EntityKey::NetworkSet {
                    namespace: ns.clone(),
                    name: name.clone(),
                }),
                _ => None,
            })
            .collect();
        entities.extend(work.relabel.iter().cloned());
        for key in &entities {
            self.reload_entity(key, &mut work);
        }
        self.index.rebalance();
        for key in touched {
            if let ItemKey::Profile(name) = key {
                self.reload_profile(name, &mut work);
            }
        }
        for key in touched {
            if let ItemKey::Policy(id) = key {
                self.reload_policy(id, &mut work);
            }
        }
        for key in touched {
            if let ItemKey::Service(s) = key {
                self.sets.service_changed(s, &self.model, &self.options.dns);
            }
        }
        let mut dirty: Vec<EndpointKey> = work.dirty_endpoints.drain().collect();
        if work.resolve_all {
            dirty.extend(self.records.keys().filter_map(|k| k.endpoint().cloned()));
            dirty.extend(self.endpoint_layouts.keys().cloned());
            dirty.sort();
            dirty.dedup();
        }
        for ep in &dirty {
            self.resolve_endpoint(ep, &mut work);
        }
        self.rebuild_layouts(&mut work);
        self.drop_unused_layouts(&mut work);
        self.sets
            .publish(&mut self.index, &mut self.snapshot.sets, |id, old| {
                work.old_sets
                    .entry(id.clone())
                    .or_insert_with(|| old.cloned());
            });
        self.check_limits(&mut work);
        self.delta(work)
    }

    // ----- errors and sets ------------------------------------------------------------------

    fn set_error(&mut self, key: ErrorKey, value: Option<CompileError>, work: &mut Work) {
        let old = match value {
            Some(v) => self.errors.insert(key.clone(), v),
            None => self.errors.remove(&key),
        };
        work.old_errors.entry(key).or_insert(old);
    }

    fn acquire_all(&mut self, defs: &[SetDef]) -> Vec<SetIdx> {
        let mut cx = SetContext {
            index: &mut self.index,
            entities: &self.entity_addrs,
            model: &self.model,
            dns: &self.options.dns,
        };
        defs.iter().map(|d| self.sets.acquire(d, &mut cx)).collect()
    }

    /// Lowers one owner's rule list for one direction, acquiring its sets or recording its
    /// errors.
    fn lower_list(
        &mut self,
        rules: &[Rule],
        direction: Direction,
        owner: &OwnerKey,
        origin_of: impl Fn(u32) -> Origin,
        work: &mut Work,
    ) -> Lowered {
        match lower_rules(rules, direction, self.options.http, origin_of) {
            Ok(lowered) => {
                let sets = self.acquire_all(&lowered.sets);
                Lowered::Ok {
                    rules: lowered.rules,
                    sets,
                }
            }
            Err(errors) => {
                let n = errors.len() as u32;
                for (i, e) in (0u32..).zip(errors) {
                    self.set_error(ErrorKey::Rule(owner.clone(), direction, i), Some(e), work);
                }
                Lowered::Failed { errors: n }
            }
        }
    }

    /// Releases what [`Compiler::lower_list`] acquired or recorded.
    fn release_list(
        &mut self,
        lowered: Lowered,
        direction: Direction,
        owner: &OwnerKey,
        work: &mut Work,
    ) {
        match lowered {
            Lowered::NotNeeded => {}
            Lowered::Ok { sets, .. } => {
                for idx in sets {
                    self.sets.release(idx);
                }
            }
            Lowered::Failed { errors } => {
                for i in 0..errors {
                    self.set_error(ErrorKey::Rule(owner.clone(), direction, i), None, work);
                }
            }
        }
    }

    // ----- items ----------------------------------------------------------------------------

    fn reload_felix(&mut self, work: &mut Work) {
        let settings = self.model.felix();
        let lists_changed = self.failsafes.settings.as_ref().is_none_or(|s| {
            s.failsafe_inbound != settings.failsafe_inbound
                || s.failsafe_outbound != settings.failsafe_outbound
        });
        if lists_changed {
            let lists = [
                lower_failsafes(
                    &settings.failsafe_inbound,
                    Direction::Ingress,
                    IrAction::Allow,
                ),
                lower_failsafes(
                    &settings.failsafe_inbound,
                    Direction::Ingress,
                    IrAction::NoVerdict,
                ),
                lower_failsafes(
                    &settings.failsafe_outbound,
                    Direction::Egress,
                    IrAction::Allow,
                ),
                lower_failsafes(
                    &settings.failsafe_outbound,
                    Direction::Egress,
                    IrAction::NoVerdict,
                ),
            ];
            let mut lowered: Vec<Lowered> = Vec::with_capacity(4);
            for list in lists {
                let sets = self.acquire_all(&list.sets);
                lowered.push(Lowered::Ok {
                    rules: list.rules,
                    sets,
                });
            }
            let mut it = lowered.into_iter();
            let old = [
                std::mem::replace(
                    &mut self.failsafes.inbound_allow,
                    it.next().unwrap_or_default(),
                ),
                std::mem::replace(
                    &mut self.failsafes.inbound_skip,
                    it.next().unwrap_or_default(),
                ),
                std::mem::replace(
                    &mut self.failsafes.outbound_allow,
                    it.next().unwrap_or_default(),
                ),
                std::mem::replace(
                    &mut self.failsafes.outbound_skip,
                    it.next().unwrap_or_default(),
                ),
            ];
            for list in old {
                for &idx in list.sets() {
                    self.sets.release(idx);
                }
            }
            for (id, layout) in self.layouts.iter() {
                if crate::resolve::hook_failsafes(layout.key.hook).is_some() {
                    work.rebuild.insert(id);
                }
            }
        }
        self.failsafes.settings = Some(settings);
    }

    fn reload_tiers(&mut self, work: &mut Work) {
        let tiers = self.model.tiers();
        let mut info = ahash::AHashMap::with_capacity(tiers.len());
        for (rank, tier) in tiers.iter().enumerate() {
            let idx = self.tier_names.intern(&tier.name);
            info.insert(idx, (rank, tier.default_action));
        }
        let mut common: Vec<(usize, usize)> = Vec::new();
        for (idx, (old_rank, old_action)) in &self.tier_info {
            if let Some((rank, action)) = info.get(idx) {
                if action != old_action {
                    work.resolve_all = true;
                }
                common.push((*rank, *old_rank));
            }
        }
        common.sort_unstable();
        if common.windows(2).any(|w| w[0].1 > w[1].1) {
            work.resolve_all = true;
        }
        if info != self.tier_info {
            self.resolutions.clear();
        }
        self.tier_info = info;
    }

    fn mark_matches_dirty(&mut self, selector: crate::index::SelectorId, work: &mut Work) {
        if work.full {
            return;
        }
        for eid in self.index.matches(selector) {
            if let Some(EntityKey::Endpoint(ep)) = self.index.entity_key(eid) {
                work.dirty_endpoints.insert(ep.clone());
            }
        }
    }

    fn reload_policy(&mut self, id: &PolicyId, work: &mut Work) {
        let pending = self.options.pending;
        let new = self
            .model
            .policy(id)
            .filter(|p| pending || !p.staged)
            .cloned();
        let old_idx = self.policy_ids.get(id).copied();
        match (old_idx, &new) {
            (None, None) => return,
            (Some(idx), Some(n)) if self.policies.get(&idx).is_some_and(|s| s.policy == *n) => {
                return;
            }
            _ => {}
        }
        let mut old = old_idx.and_then(|i| self.policies.remove(&i));
        let relevant = match (&old, &new) {
            (Some(o), Some(n)) => !same_resolution(&o.policy, n),
            _ => true,
        };
        if let Some(o) = &old {
            if relevant {
                self.mark_matches_dirty(o.selector, work);
            }
            if let Some(list) = self.policy_selectors.get_mut(&o.selector) {
                list.retain(|p| *p != o.idx);
                if list.is_empty() {
                    self.policy_selectors.remove(&o.selector);
                }
            }
        }
        if relevant {
            self.resolutions.clear();
        }
        let owner = OwnerKey::Policy(id.clone());
        match new {
            Some(policy) => {
                let idx = old_idx.unwrap_or_else(|| {
                    let i = self.next_policy;
                    self.next_policy += 1;
                    i
                });
                let (selector, _) = self.index.register(&policy.selector);
                if relevant {
                    self.mark_matches_dirty(selector, work);
                }
                let mut lowered: [Lowered; 2] = Default::default();
                let mut rules_changed = false;
                for dir in DIRECTIONS {
                    let d = dir_index(dir);
                    let needed = policy.applies_to(dir);
                    if let Some(o) = old.as_mut().filter(|o| {
                        o.policy.applies_to(dir) == needed
                            && o.policy.tier == policy.tier
                            && o.policy.rules(dir) == policy.rules(dir)
                    }) {
                        lowered[d] = std::mem::take(&mut o.lowered[d]);
                        continue;
                    }
                    rules_changed = true;
                    // Release the old list first: its errors are filed under the same keys.
                    if let Some(o) = old.as_mut() {
                        let list = std::mem::take(&mut o.lowered[d]);
                        self.release_list(list, dir, &owner, work);
                    }
                    if !needed {
                        continue;
                    }
                    let (tier, pid) = (policy.tier.clone(), policy.id.clone());
                    lowered[d] = self.lower_list(
                        policy.rules(dir),
                        dir,
                        &owner,
                        |rule| Origin::Rule {
                            tier: tier.clone(),
                            policy: pid.clone(),
                            rule,
                        },
                        work,
                    );
                }
                if rules_changed {
                    work.rebuild.extend(self.layouts.with_policy(idx));
                }
                self.policy_selectors.entry(selector).or_default().push(idx);
                let tier = self.tier_names.intern(&policy.tier);
                let state = PolicyState {
                    idx,
                    order: policy.order.unwrap_or(f64::INFINITY),
                    tie: policy.id.order_tie_break(),
                    tier,
                    selector,
                    lowered,
                    policy,
                };
                self.policy_ids.insert(id.clone(), idx);
                self.policies.insert(idx, state);
            }
            None => {
                self.policy_ids.remove(id);
            }
        }
        if let Some(mut o) = old {
            // Whatever was neither moved into the new state nor released above.
            for dir in DIRECTIONS {
                let list = std::mem::take(&mut o.lowered[dir_index(dir)]);
                self.release_list(list, dir, &owner, work);
            }
            self.index.unregister(o.selector);
        }
    }

    fn reload_profile_labels(&mut self, name: &std::sync::Arc<str>, work: &mut Work) {
        let idx = self.profile_names.intern(name);
        let new = self
            .model
            .profile(name)
            .map(|p| p.labels_to_apply)
            .filter(|l| !l.is_empty());
        if self.profile_labels.get(&idx) == new.as_ref() {
            return;
        }
        if let Some(users) = self.profile_users.get(&idx) {
            work.relabel.extend(users.iter().cloned());
        }
        match new {
            Some(labels) => {
                self.profile_labels.insert(idx, labels);
            }
            None => {
                self.profile_labels.remove(&idx);
            }
        }
    }

    fn reload_profile(&mut self, name: &std::sync::Arc<str>, work: &mut Work) {
        let idx = self.profile_names.intern(name);
        let new = self.model.profile(name);
        let old = self.profiles.remove(&idx);
        if let Some(o) = &old
            && new
                .as_ref()
                .is_some_and(|n| n.ingress == o.profile.ingress && n.egress == o.profile.egress)
        {
            self.profiles.insert(idx, o.clone());
            return;
        }
        if old.is_none() && new.is_none() {
            return;
        }
        let owner = OwnerKey::Profile(name.clone());
        let mut old = old;
        let mut rules_changed = false;
        let mut lowered: [Lowered; 2] = Default::default();
        if let Some(profile) = &new {
            for dir in DIRECTIONS {
                let d = dir_index(dir);
                if let Some(o) = old
                    .as_mut()
                    .filter(|o| o.profile.rules(dir) == profile.rules(dir))
                {
                    lowered[d] = std::mem::take(&mut o.lowered[d]);
                    continue;
                }
                rules_changed = true;
                // Release the old list first: its errors are filed under the same keys.
                if let Some(o) = old.as_mut() {
                    let list = std::mem::take(&mut o.lowered[d]);
                    self.release_list(list, dir, &owner, work);
                }
                let pname = name.clone();
                lowered[d] = self.lower_list(
                    profile.rules(dir),
                    dir,
                    &owner,
                    |rule| Origin::Profile {
                        profile: pname.clone(),
                        rule,
                    },
                    work,
                );
            }
        } else {
            rules_changed = true;
        }
        if let Some(mut o) = old {
            for dir in DIRECTIONS {
                let list = std::mem::take(&mut o.lowered[dir_index(dir)]);
                self.release_list(list, dir, &owner, work);
            }
        }
        if rules_changed {
            work.rebuild.extend(self.layouts.with_profile(idx));
        }
        if let Some(profile) = new {
            self.profiles.insert(idx, ProfileState { profile, lowered });
        }
    }

    /// The entity as the model has it now, with its effective labels.
    fn fetch_entity(&self, key: &EntityKey) -> Option<(EntityRecord, palisade_selector::LabelSet)> {
        let (own, profiles, addrs) = match key {
            EntityKey::Endpoint(ep @ EndpointKey::Workload { .. }) => {
                let w = self.model.workload(ep)?;
                let addrs = EntityAddrs {
                    nets: w.ips.clone(),
                    addrs: w.ips.iter().map(|n| n.addr()).collect(),
                    ports: w.ports.clone(),
                };
                (&w.labels, &w.profiles, addrs)
            }
            EntityKey::Endpoint(ep @ EndpointKey::Host { .. }) => {
                let h = self.model.host_endpoint(ep)?;
                let addrs = EntityAddrs {
                    nets: h
                        .expected_ips
                        .iter()
                        .map(|a| ipnet::IpNet::from(*a))
                        .collect(),
                    addrs: h.expected_ips.clone(),
                    ports: h.ports.clone(),
                };
                (&h.labels, &h.profiles, addrs)
            }
            EntityKey::NetworkSet { namespace, name } => {
                let n = self.model.network_set(namespace.as_deref(), name)?;
                let addrs = EntityAddrs {
                    nets: n.nets.clone(),
                    addrs: Vec::new(),
                    ports: Vec::new(),
                };
                (&n.labels, &n.profiles, addrs)
            }
        };
        let labels = effective_labels(
            own,
            profiles.iter().filter_map(|p| {
                let idx = self.profile_names.get(p)?;
                self.profile_labels.get(&idx)
            }),
        );
        Some((
            EntityRecord {
                profiles: profiles.clone(),
                addrs,
            },
            labels,
        ))
    }

    fn reload_entity(&mut self, key: &EntityKey, work: &mut Work) {
        let new = self.fetch_entity(key);
        let old = self.records.get(key);
        let old_id = self.index.entity_id(key);
        if let (Some((record, labels)), Some(o), Some(id)) = (&new, old, old_id)
            && o == record
            && self.index.entity_labels(id) == Some(labels)
        {
            return;
        }
        if new.is_none() && old.is_none() {
            return;
        }
        let addrs_changed = old.map(|o| &o.addrs) != new.as_ref().map(|(n, _)| &n.addrs);
        if let Some(o) = old {
            for p in &o.profiles {
                if let Some(idx) = self.profile_names.get(p)
                    && let Some(users) = self.profile_users.get_mut(&idx)
                {
                    users.remove(key);
                    if users.is_empty() {
                        self.profile_users.remove(&idx);
                    }
                }
            }
        }
        if let Some((n, _)) = &new {
            for p in &n.profiles {
                let idx = self.profile_names.intern(p);
                self.profile_users
                    .entry(idx)
                    .or_default()
                    .insert(key.clone());
            }
        }
        let before: Vec<crate::index::SelectorId> = old_id
            .map(|id| self.index.selectors_matching(id).collect())
            .unwrap_or_default();
        let old_addrs = old_id.and_then(|id| self.entity_addrs.remove(&id));
        let mut scratch = Vec::new();
        match new {
            Some((record, labels)) => {
                let id = self.index.upsert_entity(key, labels, &mut scratch);
                let after: Vec<crate::index::SelectorId> =
                    self.index.selectors_matching(id).collect();
                if let Some(a) = &old_addrs {
                    if addrs_changed {
                        self.sets
                            .entity_contribution(before.iter().copied(), a, false);
                    } else {
                        let after_set: AHashSet<_> = after.iter().copied().collect();
                        let lost = before.iter().copied().filter(|s| !after_set.contains(s));
                        self.sets.entity_contribution(lost, a, false);
                    }
                }
                if addrs_changed || old_addrs.is_none() {
                    self.sets
                        .entity_contribution(after.iter().copied(), &record.addrs, true);
                } else {
                    let before_set: AHashSet<_> = before.iter().copied().collect();
                    let gained = after.iter().copied().filter(|s| !before_set.contains(s));
                    self.sets.entity_contribution(gained, &record.addrs, true);
                }
                self.entity_addrs.insert(id, record.addrs.clone());
                self.records.insert(key.clone(), record);
            }
            None => {
                if let Some(a) = &old_addrs {
                    self.sets
                        .entity_contribution(before.iter().copied(), a, false);
                }
                self.index.remove_entity(key, &mut scratch);
                self.records.remove(key);
            }
        }
        if let EntityKey::Endpoint(ep) = key {
            work.dirty_endpoints.insert(ep.clone());
        }
    }

    // ----- resolution and layouts -----------------------------------------------------------

    fn layout_key(
        &self,
        hook: Hook,
        candidates: &[PolicyIdx],
        profiles: &[ProfileIdx],
    ) -> LayoutKey {
        let pending = self.options.pending;
        let stage = crate::resolve::Stage::of(hook);
        let mut chosen: Vec<(usize, &PolicyState)> = candidates
            .iter()
            .filter_map(|p| self.policies.get(p))
            .filter(|s| hook_admits(&s.policy, hook, pending))
            .filter_map(|s| self.tier_info.get(&s.tier).map(|(rank, _)| (*rank, s)))
            .collect();
        chosen.sort_by(|(ra, a), (rb, b)| {
            ra.cmp(rb)
                .then_with(|| a.order.total_cmp(&b.order))
                .then_with(|| a.tie.cmp(&b.tie))
        });
        let mut tiers: Vec<LayoutTier> = Vec::new();
        for (_, s) in chosen {
            match tiers.last_mut() {
                Some(t) if t.tier == s.tier => t.policies.push(s.idx),
                _ => {
                    let default = self
                        .tier_info
                        .get(&s.tier)
                        .map_or(palisade_policy_model::values::TierAction::Deny, |(_, a)| *a);
                    let end = match stage {
                        crate::resolve::Stage::Untracked | crate::resolve::Stage::PreDnat => {
                            palisade_policy_model::values::TierAction::Pass
                        }
                        _ => default,
                    };
                    tiers.push(LayoutTier {
                        tier: s.tier,
                        end,
                        policies: vec![s.idx],
                    });
                }
            }
        }
        LayoutKey {
            hook,
            tiers,
            profiles: if hook_has_profiles(hook) {
                profiles.to_vec()
            } else {
                Vec::new()
            },
        }
    }

    /// Builds the program of a layout; `None` when a rule list it needs failed to lower.
    fn build_program(&self, key: &LayoutKey) -> (Option<Arc<Program>>, Vec<SetIdx>) {
        let d = dir_index(key.hook.direction());
        let mut sets: Vec<SetIdx> = Vec::new();
        let failsafes = match key.hook {
            Hook::HostIngress => Some(&self.failsafes.inbound_allow),
            Hook::HostPreDnatIngress | Hook::HostUntrackedIngress => {
                Some(&self.failsafes.inbound_skip)
            }
            Hook::HostEgress => Some(&self.failsafes.outbound_allow),
            Hook::HostUntrackedEgress => Some(&self.failsafes.outbound_skip),
            _ => None,
        };
        let failsafe_rules = match failsafes {
            Some(l) => {
                sets.extend_from_slice(l.sets());
                l.rules().unwrap_or(&[])
            }
            None => &[],
        };
        let mut tiers = Vec::with_capacity(key.tiers.len());
        for t in &key.tiers {
            let Some(name) = self.tier_names.name(t.tier) else {
                return (None, Vec::new());
            };
            let mut policies = Vec::with_capacity(t.policies.len());
            for p in &t.policies {
                let Some(rules) = self.policies.get(p).and_then(|s| {
                    sets.extend_from_slice(s.lowered[d].sets());
                    s.lowered[d].rules()
                }) else {
                    return (None, Vec::new());
                };
                policies.push(rules);
            }
            tiers.push(TierPart {
                tier: name.clone(),
                end: t.end,
                policies,
            });
        }
        let mut profiles = Vec::with_capacity(key.profiles.len());
        for p in &key.profiles {
            match self.profiles.get(p) {
                Some(s) => {
                    sets.extend_from_slice(s.lowered[d].sets());
                    match s.lowered[d].rules() {
                        Some(rules) => profiles.push(rules),
                        None => return (None, Vec::new()),
                    }
                }
                None => profiles.push(&[]),
            }
        }
        let parts = ProgramParts {
            hook: key.hook,
            failsafes: failsafe_rules,
            tiers,
            profiles,
        };
        match assemble(&parts) {
            Ok(program) => {
                sets.sort_unstable();
                sets.dedup();
                (Some(Arc::new(program)), sets)
            }
            Err(_) => (None, Vec::new()),
        }
    }

    fn set_target_program(
        &mut self,
        target: ProgramTarget,
        program: Option<Arc<Program>>,
        work: &mut Work,
    ) {
        let old = match program {
            Some(p) => self.snapshot.programs.insert(target.clone(), p),
            None => self.snapshot.programs.remove(&target),
        };
        work.old_programs.entry(target).or_insert(old);
    }

    fn layout_for(&mut self, key: &Arc<LayoutKey>) -> LayoutId {
        if let Some(id) = self.layouts.find(key) {
            return id;
        }
        let (program, sets) = self.build_program(key);
        for &s in &sets {
            self.sets.snapshot_ref(s, true);
        }
        self.layouts.insert(Layout {
            key: key.clone(),
            users: AHashSet::new(),
            program,
            sets,
        })
    }

    fn resolve_endpoint(&mut self, ep: &EndpointKey, work: &mut Work) {
        let entity = EntityKey::Endpoint(ep.clone());
        let hooks: &[Hook] = match ep {
            EndpointKey::Workload { .. } => &Hook::WORKLOAD,
            EndpointKey::Host { .. } => &Hook::HOST,
        };
        let mut new: SmallVec<[(Hook, LayoutId); 2]> = SmallVec::new();
        if let (Some(record), Some(id)) = (self.records.get(&entity), self.index.entity_id(&entity))
        {
            let profiles: Box<[ProfileIdx]> = record
                .profiles
                .clone()
                .iter()
                .map(|p| self.profile_names.intern(p))
                .collect();
            let mut candidates: Vec<PolicyIdx> = self
                .index
                .selectors_matching(id)
                .filter_map(|s| self.policy_selectors.get(&s))
                .flatten()
                .copied()
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            let cache_key = (
                matches!(ep, EndpointKey::Host { .. }),
                candidates.into_boxed_slice(),
                profiles,
            );
            let keys = match self.resolutions.get(&cache_key) {
                Some(keys) => keys.clone(),
                None => {
                    let keys: Arc<[Arc<LayoutKey>]> = hooks
                        .iter()
                        .map(|&hook| Arc::new(self.layout_key(hook, &cache_key.1, &cache_key.2)))
                        .collect();
                    self.resolutions.insert(cache_key, keys.clone());
                    keys
                }
            };
            for key in keys.iter() {
                new.push((key.hook, self.layout_for(key)));
            }
        }
        let old = self.endpoint_layouts.remove(ep).unwrap_or_default();
        for &(hook, lid) in &old {
            if new.contains(&(hook, lid)) {
                continue;
            }
            if let Some(layout) = self.layouts.get_mut(lid) {
                layout.users.remove(ep);
            }
            work.maybe_unused.insert(lid);
            if !new.iter().any(|(h, _)| *h == hook) {
                let target = ProgramTarget {
                    endpoint: ep.clone(),
                    hook,
                };
                self.set_target_program(target, None, work);
            }
        }
        for &(hook, lid) in &new {
            if old.contains(&(hook, lid)) {
                continue;
            }
            let program = match self.layouts.get_mut(lid) {
                Some(layout) => {
                    layout.users.insert(ep.clone());
                    layout.program.clone()
                }
                None => None,
            };
            let target = ProgramTarget {
                endpoint: ep.clone(),
                hook,
            };
            self.set_target_program(target, program, work);
        }
        if !new.is_empty() {
            self.endpoint_layouts.insert(ep.clone(), new);
        }
    }

    fn rebuild_layouts(&mut self, work: &mut Work) {
        let mut ids: Vec<LayoutId> = work.rebuild.drain().collect();
        ids.sort_unstable();
        for lid in ids {
            let Some(layout) = self.layouts.get(lid) else {
                continue;
            };
            if layout.users.is_empty() {
                continue;
            }
            let key = layout.key.clone();
            let (program, sets) = self.build_program(&key);
            for &s in &sets {
                self.sets.snapshot_ref(s, true);
            }
            let Some(layout) = self.layouts.get_mut(lid) else {
                continue;
            };
            let old_sets = std::mem::replace(&mut layout.sets, sets);
            layout.program = program.clone();
            let users: Vec<EndpointKey> = layout.users.iter().cloned().collect();
            for &s in &old_sets {
                self.sets.snapshot_ref(s, false);
            }
            for endpoint in users {
                let target = ProgramTarget {
                    endpoint,
                    hook: key.hook,
                };
                self.set_target_program(target, program.clone(), work);
            }
        }
    }

    fn drop_unused_layouts(&mut self, work: &mut Work) {
        for lid in work.maybe_unused.drain() {
            if self.layouts.get(lid).is_some_and(|l| l.users.is_empty())
                && let Some(layout) = self.layouts.remove(lid)
            {
                for &s in &layout.sets {
                    self.sets.snapshot_ref(s, false);
                }
            }
        }
    }

    // ----- limits and the delta -------------------------------------------------------------

    fn check_limits(&mut self, work: &mut Work) {
        let limits = *self.options.get_limits();
        if let Some(limit) = limits.get_rules_per_program() {
            let targets: Vec<ProgramTarget> = work.old_programs.keys().cloned().collect();
            for target in targets {
                let error = self.snapshot.programs.get(&target).and_then(|p| {
                    let origin = p.rules().get(limit)?.origin.clone();
                    Some(CompileError::TooManyRules {
                        target: target.clone(),
                        rules: p.len(),
                        limit,
                        origin,
                    })
                });
                let key = ErrorKey::Program(target);
                if error.is_some() || self.errors.contains_key(&key) {
                    self.set_error(key, error, work);
                }
            }
        }
        if let Some(limit) = limits.get_members_per_set() {
            let mut over: Vec<IpSetId> = self
                .errors
                .keys()
                .filter_map(|k| match k {
                    ErrorKey::Set(id) => Some(id.clone()),
                    _ => None,
                })
                .collect();
            over.extend(work.old_sets.keys().cloned());
            over.sort();
            over.dedup();
            let programs_changed = !work.old_programs.is_empty();
            for id in over {
                let size = self.snapshot.sets.get(&id).map_or(0, |s| s.members().len());
                let key = ErrorKey::Set(id.clone());
                if size <= limit {
                    if self.errors.contains_key(&key) {
                        self.set_error(key, None, work);
                    }
                    continue;
                }
                if !programs_changed
                    && !work.old_sets.contains_key(&id)
                    && self.errors.contains_key(&key)
                {
                    continue;
                }
                let used_by = self.first_use(&id);
                let source = self
                    .sets
                    .def(&id)
                    .map_or(crate::ir::IpSetSource::Nets, SetDef::source);
                let error = CompileError::TooManyMembers {
                    set: id.clone(),
                    set_source: source,
                    members: size,
                    limit,
                    used_by,
                };
                if self.errors.get(&key) != Some(&error) {
                    self.set_error(key, Some(error), work);
                }
            }
        }
        if let Some(limit) = limits.get_sets() {
            let n = self.snapshot.sets.len();
            let error = (n > limit).then_some(CompileError::TooManySets { sets: n, limit });
            if self.errors.get(&ErrorKey::TotalSets) != error.as_ref() {
                self.set_error(ErrorKey::TotalSets, error, work);
            }
        }
    }

    /// The first rule (in program order) of the first program (in target order) that refers to
    /// the set.
    fn first_use(&self, id: &IpSetId) -> Option<Origin> {
        self.snapshot.programs.values().find_map(|p| {
            p.rules()
                .iter()
                .find(|r| r.matches.set_ids().any(|s| s == id))
                .map(|r| r.origin.clone())
        })
    }

    fn delta(&self, work: Work) -> Delta {
        let mut delta = Delta::default();
        for (target, old) in work.old_programs {
            let new = self.snapshot.programs.get(&target);
            let change = match (old, new) {
                (None, None) => continue,
                (None, Some(p)) => ProgramChange::Added(p.clone()),
                (Some(_), None) => ProgramChange::Removed,
                (Some(o), Some(n)) => {
                    if Arc::ptr_eq(&o, n) || *o == **n {
                        continue;
                    }
                    ProgramChange::Replaced(n.clone())
                }
            };
            delta.programs.insert(target, change);
        }
        for (id, old) in work.old_sets {
            let new = self.snapshot.sets.get_shared(&id);
            let change = match (old, new) {
                (None, None) => continue,
                (None, Some(s)) => SetChange::Added(s.clone()),
                (Some(_), None) => SetChange::Removed,
                (Some(o), Some(n)) => match diff_members(o.members(), n.members()) {
                    Some((added, removed)) => SetChange::Members { added, removed },
                    None => continue,
                },
            };
            delta.sets.insert(id, change);
        }
        for (key, old) in work.old_errors {
            let new = self.errors.get(&key);
            if old.as_ref() == new {
                continue;
            }
            if let Some(o) = old {
                delta.errors_cleared.push(o);
            }
            if let Some(n) = new {
                delta.errors_added.push(n.clone());
            }
        }
        delta
    }
}

/// Members added and removed between two member lists of the same kind; `None` when equal.
fn diff_members(old: &IpSetMembers, new: &IpSetMembers) -> Option<(IpSetMembers, IpSetMembers)> {
    fn diff<T: Ord + Copy>(old: &[T], new: &[T]) -> (Vec<T>, Vec<T>) {
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        let (mut i, mut j) = (0, 0);
        while i < old.len() || j < new.len() {
            match (old.get(i), new.get(j)) {
                (Some(a), Some(b)) if a == b => {
                    i += 1;
                    j += 1;
                }
                (Some(a), Some(b)) if a < b => {
                    removed.push(*a);
                    i += 1;
                }
                (Some(_), Some(b)) => {
                    added.push(*b);
                    j += 1;
                }
                (Some(a), None) => {
                    removed.push(*a);
                    i += 1;
                }
                (None, Some(b)) => {
                    added.push(*b);
                    j += 1;
                }
                (None, None) => break,
            }
        }
        (added, removed)
    }
    if old == new {
        return None;
    }
    match (old, new) {
        (IpSetMembers::Addrs(o), IpSetMembers::Addrs(n)) => {
            let (a, r) = diff(o, n);
            Some((IpSetMembers::Addrs(a), IpSetMembers::Addrs(r)))
        }
        (IpSetMembers::AddrPorts(o), IpSetMembers::AddrPorts(n)) => {
            let (a, r) = diff(o, n);
            Some((IpSetMembers::AddrPorts(a), IpSetMembers::AddrPorts(r)))
        }
        _ => Some((new.clone(), old.clone())),
    }
}
