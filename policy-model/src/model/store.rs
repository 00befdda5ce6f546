//! [`Model`]: the normalised model as a keyed store that takes resource changes.
//!
//! Every change is an upsert or delete of a *source resource*; the store converts it into items
//! (`crate::convert`), replaces what that resource produced before, and reports which item keys
//! changed — including derived items: implicit `kns.`/`ksa.` profiles, tiers that exist only
//! because a policy names them, and services whose endpoints are derived from pods.
//!
//! The store's content depends only on the set of resources it holds, never on the order in
//! which they arrived: when two resources produce the same item key (a Pod and a
//! WorkloadEndpoint for the same pod, say), the one with the smallest [`ResourceKey`] wins and
//! the shadowed one is reported as a note.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::implicit::{builtin_profile, builtin_tier, implicit_profile};
use super::item::{Item, ItemKey, Note, ResourceKey, ServiceSlice, ServiceSpec, Severity};
use super::services::derive_service_endpoints;
use super::types::{
    EndpointKey, FelixSettings, HostEndpoint, NetworkSet, Policy, PolicyId, Profile, Service,
    ServiceRef, Tier, WorkloadEndpoint,
};
use crate::Resource;
use crate::calico::EndpointToHostAction;
use crate::convert::convert;
use crate::values::TierAction;

/// A resource change.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Add or replace a resource (boxed: resources are large, keys are small).
    Upsert(Box<Resource>),
    /// Remove a resource.
    Delete(ResourceKey),
}

/// Candidates for one item key, by the resource that produced them; the first is effective.
type Candidates<T> = BTreeMap<ResourceKey, T>;

fn effective<T>(candidates: &Candidates<T>) -> Option<&T> {
    candidates.values().next()
}

/// A network set's identity: namespace (`None` for global sets) and name.
type NetworkSetKey = (Option<Arc<str>>, Arc<str>);

/// What one source resource contributed.
#[derive(Debug, Clone, Default)]
struct SourceEntry {
    items: Vec<ItemKey>,
    notes: Vec<Note>,
}

/// The normalised model (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Model {
    sources: BTreeMap<ResourceKey, SourceEntry>,
    tiers: BTreeMap<Arc<str>, Candidates<Tier>>,
    policies: BTreeMap<PolicyId, Candidates<Policy>>,
    profiles: BTreeMap<Arc<str>, Candidates<Profile>>,
    workloads: BTreeMap<EndpointKey, Candidates<WorkloadEndpoint>>,
    hosts: BTreeMap<EndpointKey, Candidates<HostEndpoint>>,
    network_sets: BTreeMap<NetworkSetKey, Candidates<NetworkSet>>,
    service_specs: BTreeMap<ServiceRef, Candidates<ServiceSpec>>,
    slices: BTreeMap<ServiceRef, BTreeMap<Arc<str>, Candidates<ServiceSlice>>>,
    felix: Candidates<FelixSettings>,
    /// How many effective policies name each tier.
    tier_refs: BTreeMap<Arc<str>, usize>,
    /// How many effective endpoints and network sets list each profile.
    profile_refs: BTreeMap<Arc<str>, usize>,
    /// Resolved services (from slices, or derived from pods).
    services: BTreeMap<ServiceRef, Service>,
}

impl Model {
    /// An empty model (well-known tiers and default Felix settings only).
    pub fn new() -> Model {
        Model::default()
    }

    /// A model holding `resources`.
    pub fn from_resources<'a>(resources: impl IntoIterator<Item = &'a Resource>) -> Model {
        let mut model = Model::new();
        for resource in resources {
            model.upsert(resource);
        }
        model
    }

    /// Applies one change and returns the keys of every item whose effective value changed
    /// (appeared, disappeared or was modified), derived items included.
    pub fn apply(&mut self, change: &Change) -> BTreeSet<ItemKey> {
        match change {
            Change::Upsert(resource) => self.upsert(resource),
            Change::Delete(key) => self.delete(key),
        }
    }

    /// Adds or replaces `resource`; returns the touched item keys.
    pub fn upsert(&mut self, resource: &Resource) -> BTreeSet<ItemKey> {
        let converted = convert(resource);
        self.replace_source(ResourceKey::of(resource), converted.items, converted.notes)
    }

    /// Makes `items` what the resource `source` contributes, replacing what it contributed
    /// before, without converting a resource: for generators, tests and embedders that build
    /// model items themselves. Behaves exactly like [`Model::upsert`] of a resource that converts
    /// to `items` (shadowing, derived tiers, profiles and services); [`Model::delete`] removes
    /// them again. Returns the touched item keys.
    pub fn insert_items(&mut self, source: ResourceKey, items: Vec<Item>) -> BTreeSet<ItemKey> {
        self.replace_source(source, items, Vec::new())
    }

    fn replace_source(
        &mut self,
        key: ResourceKey,
        items: Vec<Item>,
        notes: Vec<Note>,
    ) -> BTreeSet<ItemKey> {
        let mut touched = self.remove_source(&key);
        let mut entry = SourceEntry {
            items: Vec::with_capacity(items.len()),
            notes,
        };
        for item in items {
            entry.items.push(item.key());
            self.insert_item(&key, item, &mut touched);
        }
        self.sources.insert(key, entry);
        self.refresh_services(&mut touched);
        touched
    }

    /// Removes the resource with `key`; returns the touched item keys.
    pub fn delete(&mut self, key: &ResourceKey) -> BTreeSet<ItemKey> {
        let mut touched = self.remove_source(key);
        self.refresh_services(&mut touched);
        touched
    }

    fn remove_source(&mut self, key: &ResourceKey) -> BTreeSet<ItemKey> {
        let mut touched = BTreeSet::new();
        if let Some(entry) = self.sources.remove(key) {
            for item_key in entry.items {
                self.remove_item(key, &item_key, &mut touched);
            }
        }
        touched
    }

    fn insert_item(&mut self, source: &ResourceKey, item: Item, touched: &mut BTreeSet<ItemKey>) {
        let item_key = item.key();
        match item {
            Item::Tier(t) => {
                let name = t.name.clone();
                if upsert_candidate(self.tiers.entry(name).or_default(), source, t) {
                    touched.insert(item_key);
                }
            }
            Item::Policy(p) => {
                let id = p.id.clone();
                let before = self
                    .policies
                    .get(&id)
                    .and_then(effective)
                    .map(|p| p.tier.clone());
                if upsert_candidate(self.policies.entry(id.clone()).or_default(), source, p) {
                    touched.insert(item_key);
                    let after = self
                        .policies
                        .get(&id)
                        .and_then(effective)
                        .map(|p| p.tier.clone());
                    self.retarget_tier_ref(before, after, touched);
                }
            }
            Item::Profile(p) => {
                let name = p.name.clone();
                if upsert_candidate(self.profiles.entry(name).or_default(), source, p) {
                    touched.insert(item_key);
                }
            }
            Item::Workload(w) => {
                let k = w.key.clone();
                let before = self.workloads.get(&k).and_then(effective).cloned();
                if upsert_candidate(self.workloads.entry(k.clone()).or_default(), source, w) {
                    touched.insert(item_key);
                    let after = self.workloads.get(&k).and_then(effective).cloned();
                    self.retarget_profile_refs(
                        before.as_ref().map(|w| &w.profiles[..]),
                        after.as_ref().map(|w| &w.profiles[..]),
                        touched,
                    );
                    self.mark_services_for_workload(before.as_ref(), after.as_ref(), touched);
                }
            }
            Item::Host(h) => {
                let k = h.key.clone();
                let before = self
                    .hosts
                    .get(&k)
                    .and_then(effective)
                    .map(|h| h.profiles.clone());
                if upsert_candidate(self.hosts.entry(k.clone()).or_default(), source, h) {
                    touched.insert(item_key);
                    let after = self
                        .hosts
                        .get(&k)
                        .and_then(effective)
                        .map(|h| h.profiles.clone());
                    self.retarget_profile_refs(before.as_deref(), after.as_deref(), touched);
                }
            }
            Item::NetworkSet(n) => {
                let k = (n.namespace.clone(), n.name.clone());
                let before = self
                    .network_sets
                    .get(&k)
                    .and_then(effective)
                    .map(|n| n.profiles.clone());
                if upsert_candidate(self.network_sets.entry(k.clone()).or_default(), source, n) {
                    touched.insert(item_key);
                    let after = self
                        .network_sets
                        .get(&k)
                        .and_then(effective)
                        .map(|n| n.profiles.clone());
                    self.retarget_profile_refs(before.as_deref(), after.as_deref(), touched);
                }
            }
            Item::Service(s) => {
                let k = s.key.clone();
                if upsert_candidate(self.service_specs.entry(k.clone()).or_default(), source, s) {
                    touched.insert(ItemKey::Service(k));
                }
            }
            Item::Slice(s) => {
                let svc = s.service.clone();
                let slice = s.slice.clone();
                let slot = self
                    .slices
                    .entry(svc.clone())
                    .or_default()
                    .entry(slice)
                    .or_default();
                if upsert_candidate(slot, source, s) {
                    touched.insert(item_key);
                    touched.insert(ItemKey::Service(svc));
                }
            }
            Item::Felix(f) => {
                if upsert_candidate(&mut self.felix, source, f) {
                    touched.insert(ItemKey::Felix);
                }
            }
        }
    }

    fn remove_item(
        &mut self,
        source: &ResourceKey,
        item_key: &ItemKey,
        touched: &mut BTreeSet<ItemKey>,
    ) {
        match item_key {
            ItemKey::Tier(name) => {
                if remove_candidate(&mut self.tiers, name, source) {
                    touched.insert(item_key.clone());
                }
            }
            ItemKey::Policy(id) => {
                let before = self
                    .policies
                    .get(id)
                    .and_then(effective)
                    .map(|p| p.tier.clone());
                if remove_candidate(&mut self.policies, id, source) {
                    touched.insert(item_key.clone());
                    let after = self
                        .policies
                        .get(id)
                        .and_then(effective)
                        .map(|p| p.tier.clone());
                    self.retarget_tier_ref(before, after, touched);
                }
            }
            ItemKey::Profile(name) => {
                if remove_candidate(&mut self.profiles, name, source) {
                    touched.insert(item_key.clone());
                }
            }
            ItemKey::Endpoint(k @ EndpointKey::Workload { .. }) => {
                let before = self.workloads.get(k).and_then(effective).cloned();
                if remove_candidate(&mut self.workloads, k, source) {
                    touched.insert(item_key.clone());
                    let after = self.workloads.get(k).and_then(effective).cloned();
                    self.retarget_profile_refs(
                        before.as_ref().map(|w| &w.profiles[..]),
                        after.as_ref().map(|w| &w.profiles[..]),
                        touched,
                    );
                    self.mark_services_for_workload(before.as_ref(), after.as_ref(), touched);
                }
            }
            ItemKey::Endpoint(k @ EndpointKey::Host { .. }) => {
                let before = self
                    .hosts
                    .get(k)
                    .and_then(effective)
                    .map(|h| h.profiles.clone());
                if remove_candidate(&mut self.hosts, k, source) {
                    touched.insert(item_key.clone());
                    let after = self
                        .hosts
                        .get(k)
                        .and_then(effective)
                        .map(|h| h.profiles.clone());
                    self.retarget_profile_refs(before.as_deref(), after.as_deref(), touched);
                }
            }
            ItemKey::NetworkSet(ns, name) => {
                let k = (ns.clone(), name.clone());
                let before = self
                    .network_sets
                    .get(&k)
                    .and_then(effective)
                    .map(|n| n.profiles.clone());
                if remove_candidate(&mut self.network_sets, &k, source) {
                    touched.insert(item_key.clone());
                    let after = self
                        .network_sets
                        .get(&k)
                        .and_then(effective)
                        .map(|n| n.profiles.clone());
                    self.retarget_profile_refs(before.as_deref(), after.as_deref(), touched);
                }
            }
            ItemKey::Service(svc) => {
                if remove_candidate(&mut self.service_specs, svc, source) {
                    touched.insert(item_key.clone());
                }
            }
            ItemKey::Slice(svc, slice) => {
                let mut changed = false;
                if let Some(by_slice) = self.slices.get_mut(svc) {
                    changed = remove_candidate(by_slice, slice, source);
                    if by_slice.is_empty() {
                        self.slices.remove(svc);
                    }
                }
                if changed {
                    touched.insert(item_key.clone());
                    touched.insert(ItemKey::Service(svc.clone()));
                }
            }
            ItemKey::Felix => {
                let before = effective(&self.felix).cloned();
                self.felix.remove(source);
                if effective(&self.felix) != before.as_ref() {
                    touched.insert(ItemKey::Felix);
                }
            }
        }
    }

    fn retarget_tier_ref(
        &mut self,
        before: Option<Arc<str>>,
        after: Option<Arc<str>>,
        touched: &mut BTreeSet<ItemKey>,
    ) {
        if before == after {
            return;
        }
        if let Some(old) = before
            && let Some(count) = self.tier_refs.get_mut(&old)
        {
            *count -= 1;
            if *count == 0 {
                self.tier_refs.remove(&old);
                touched.insert(ItemKey::Tier(old));
            }
        }
        if let Some(new) = after {
            let count = self.tier_refs.entry(new.clone()).or_insert(0);
            *count += 1;
            if *count == 1 {
                touched.insert(ItemKey::Tier(new));
            }
        }
    }

    fn retarget_profile_refs(
        &mut self,
        before: Option<&[Arc<str>]>,
        after: Option<&[Arc<str>]>,
        touched: &mut BTreeSet<ItemKey>,
    ) {
        for name in before.unwrap_or(&[]) {
            if let Some(count) = self.profile_refs.get_mut(name) {
                *count -= 1;
                if *count == 0 {
                    self.profile_refs.remove(name);
                    touched.insert(ItemKey::Profile(name.clone()));
                }
            }
        }
        for name in after.unwrap_or(&[]) {
            let count = self.profile_refs.entry(name.clone()).or_insert(0);
            *count += 1;
            if *count == 1 {
                touched.insert(ItemKey::Profile(name.clone()));
            }
        }
    }

    /// Marks the services in a workload's namespace whose endpoints may depend on it.
    fn mark_services_for_workload(
        &self,
        before: Option<&WorkloadEndpoint>,
        after: Option<&WorkloadEndpoint>,
        touched: &mut BTreeSet<ItemKey>,
    ) {
        for w in [before, after].into_iter().flatten() {
            for (svc, candidates) in self.service_specs.range(service_range(&w.namespace)) {
                if effective(candidates).is_some_and(|spec| selects(spec, w)) {
                    touched.insert(ItemKey::Service(svc.clone()));
                }
            }
        }
    }

    /// Re-resolves every service marked in `touched`; unmarks it if its endpoints did not change.
    fn refresh_services(&mut self, touched: &mut BTreeSet<ItemKey>) {
        let marked: Vec<ServiceRef> = touched
            .iter()
            .filter_map(|k| match k {
                ItemKey::Service(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        for svc in marked {
            let resolved = self.resolve_service(&svc);
            let before = self.services.get(&svc);
            if before == resolved.as_ref() {
                touched.remove(&ItemKey::Service(svc));
                continue;
            }
            match resolved {
                Some(s) => {
                    self.services.insert(svc, s);
                }
                None => {
                    self.services.remove(&svc);
                }
            }
        }
    }

    fn resolve_service(&self, svc: &ServiceRef) -> Option<Service> {
        if let Some(by_slice) = self.slices.get(svc)
            && !by_slice.is_empty()
        {
            let mut endpoints: Vec<_> = by_slice
                .values()
                .filter_map(effective)
                .flat_map(|s| s.endpoints.iter().cloned())
                .collect();
            endpoints.sort();
            endpoints.dedup();
            return Some(Service {
                key: svc.clone(),
                endpoints,
            });
        }
        let spec = self.service_specs.get(svc).and_then(effective)?;
        let pods = self
            .workloads
            .range(workload_range(&svc.namespace))
            .filter_map(|(_, c)| effective(c))
            .filter(|w| selects(spec, w));
        Some(Service {
            key: svc.clone(),
            endpoints: derive_service_endpoints(spec, pods),
        })
    }

    // ----- accessors -------------------------------------------------------------------------

    /// The tier named `name`: declared, well-known, or undeclared but named by a policy.
    pub fn tier(&self, name: &str) -> Option<Tier> {
        if let Some(t) = self.tiers.get(name).and_then(effective) {
            return Some(t.clone());
        }
        if let Some(t) = builtin_tier(name) {
            return Some(t);
        }
        self.tier_refs.contains_key(name).then(|| Tier {
            name: Arc::from(name),
            order: None,
            default_action: TierAction::Deny,
            declared: false,
        })
    }

    /// Every tier, sorted as Felix sorts them (DECISIONS D1).
    pub fn tiers(&self) -> Vec<Tier> {
        let mut names: BTreeSet<&str> = self.tiers.keys().map(|k| &**k).collect();
        names.extend(self.tier_refs.keys().map(|k| &**k));
        names.extend(super::implicit::BUILTIN_TIERS.iter().copied());
        let mut tiers: Vec<Tier> = names.into_iter().filter_map(|n| self.tier(n)).collect();
        tiers.sort_by(tier_order);
        tiers
    }

    /// The policy with this ID.
    pub fn policy(&self, id: &PolicyId) -> Option<&Policy> {
        self.policies.get(id).and_then(effective)
    }

    /// Every policy (enforced and staged), in ID order.
    pub fn policies(&self) -> impl Iterator<Item = &Policy> {
        self.policies.values().filter_map(effective)
    }

    /// The profile named `name`: explicit, implicit (`kns.`/`ksa.` referenced but not loaded), or
    /// built in (`projectcalico-default-allow`).
    pub fn profile(&self, name: &str) -> Option<Profile> {
        if let Some(p) = self.profiles.get(name).and_then(effective) {
            return Some(p.clone());
        }
        if let Some(p) = builtin_profile(name) {
            return Some(p);
        }
        if self.profile_refs.contains_key(name) {
            return implicit_profile(name);
        }
        None
    }

    /// Every explicit profile plus the implicit ones endpoints refer to, by name.
    pub fn profiles(&self) -> Vec<Profile> {
        let mut names: BTreeSet<&str> = self.profiles.keys().map(|k| &**k).collect();
        names.extend(self.profile_refs.keys().map(|k| &**k));
        names.into_iter().filter_map(|n| self.profile(n)).collect()
    }

    /// The workload endpoint with this key.
    pub fn workload(&self, key: &EndpointKey) -> Option<&WorkloadEndpoint> {
        self.workloads.get(key).and_then(effective)
    }

    /// Every workload endpoint, by key.
    pub fn workloads(&self) -> impl Iterator<Item = &WorkloadEndpoint> {
        self.workloads.values().filter_map(effective)
    }

    /// The host endpoint with this key.
    pub fn host_endpoint(&self, key: &EndpointKey) -> Option<&HostEndpoint> {
        self.hosts.get(key).and_then(effective)
    }

    /// Every host endpoint, by key.
    pub fn host_endpoints(&self) -> impl Iterator<Item = &HostEndpoint> {
        self.hosts.values().filter_map(effective)
    }

    /// The network set (namespace `None` for global ones).
    pub fn network_set(&self, namespace: Option<&str>, name: &str) -> Option<&NetworkSet> {
        self.network_sets
            .get(&(namespace.map(Arc::from), Arc::from(name)))
            .and_then(effective)
    }

    /// Every network set.
    pub fn network_sets(&self) -> impl Iterator<Item = &NetworkSet> {
        self.network_sets.values().filter_map(effective)
    }

    /// The service's resolved endpoints.
    pub fn service(&self, key: &ServiceRef) -> Option<&Service> {
        self.services.get(key)
    }

    /// Every service with resolved endpoints.
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.services.values()
    }

    /// The FelixConfiguration settings (defaults when none was loaded).
    pub fn felix(&self) -> FelixSettings {
        effective(&self.felix)
            .cloned()
            .unwrap_or_else(default_felix)
    }

    /// Every note: conversion notes, shadowed duplicates, and implicit profiles.
    pub fn notes(&self) -> Vec<Note> {
        let mut notes: Vec<Note> = self
            .sources
            .values()
            .flat_map(|e| e.notes.iter().cloned())
            .collect();
        for (key, entry) in &self.sources {
            for item in &entry.items {
                if let Some(winner) = self.winner(item)
                    && &winner != key
                {
                    notes.push(Note {
                        source: key.clone(),
                        severity: Severity::Warning,
                        path: None,
                        message: format!("ignored: {winner} defines the same item ({item:?})"),
                    });
                }
            }
        }
        for name in self.profile_refs.keys() {
            if !self.profiles.contains_key(name) && builtin_profile(name).is_none() {
                let message = match implicit_profile(name) {
                    Some(_) => format!(
                        "profile {name} was not loaded; using an implicit one (DECISIONS D5)"
                    ),
                    None => {
                        format!("profile {name} is referenced but not defined; it has no rules")
                    }
                };
                notes.push(Note {
                    source: ResourceKey {
                        kind: crate::ResourceKind::Profile,
                        namespace: None,
                        name: name.clone(),
                    },
                    severity: Severity::Info,
                    path: None,
                    message,
                });
            }
        }
        notes
    }

    /// The resource whose item is effective for `item`.
    fn winner(&self, item: &ItemKey) -> Option<ResourceKey> {
        fn first<K: Ord, T>(m: &BTreeMap<K, Candidates<T>>, k: &K) -> Option<ResourceKey> {
            m.get(k).and_then(|c| c.keys().next().cloned())
        }
        match item {
            ItemKey::Tier(n) => first(&self.tiers, n),
            ItemKey::Policy(id) => first(&self.policies, id),
            ItemKey::Profile(n) => first(&self.profiles, n),
            ItemKey::Endpoint(k @ EndpointKey::Workload { .. }) => first(&self.workloads, k),
            ItemKey::Endpoint(k @ EndpointKey::Host { .. }) => first(&self.hosts, k),
            ItemKey::NetworkSet(ns, n) => first(&self.network_sets, &(ns.clone(), n.clone())),
            ItemKey::Service(s) => first(&self.service_specs, s),
            ItemKey::Slice(s, n) => self.slices.get(s).and_then(|m| first(m, n)),
            ItemKey::Felix => self.felix.keys().next().cloned(),
        }
    }

    /// The resources currently held, by key.
    pub fn resource_keys(&self) -> impl Iterator<Item = &ResourceKey> {
        self.sources.keys()
    }
}

/// Inserts or replaces `source`'s candidate; true if the effective value changed.
fn upsert_candidate<T: PartialEq + Clone>(
    candidates: &mut Candidates<T>,
    source: &ResourceKey,
    value: T,
) -> bool {
    let before = effective(candidates).cloned();
    candidates.insert(source.clone(), value);
    effective(candidates) != before.as_ref()
}

/// Removes `source`'s candidate for `key`; true if the effective value changed.
fn remove_candidate<K: Ord + Clone, T: PartialEq + Clone>(
    map: &mut BTreeMap<K, Candidates<T>>,
    key: &K,
    source: &ResourceKey,
) -> bool {
    let Some(candidates) = map.get_mut(key) else {
        return false;
    };
    let before = effective(candidates).cloned();
    candidates.remove(source);
    let changed = effective(candidates) != before.as_ref();
    if candidates.is_empty() {
        map.remove(key);
    }
    changed
}

fn selects(spec: &ServiceSpec, w: &WorkloadEndpoint) -> bool {
    match &spec.selector {
        Some(sel) if !sel.is_empty() => {
            *w.namespace == *spec.key.namespace
                && sel
                    .iter()
                    .all(|(k, v)| w.labels.get(k).is_some_and(|x| x == v))
        }
        _ => false,
    }
}

fn service_range(namespace: &Arc<str>) -> std::ops::RangeInclusive<ServiceRef> {
    ServiceRef {
        namespace: namespace.clone(),
        name: Arc::from(""),
    }..=ServiceRef {
        namespace: namespace.clone(),
        name: Arc::from("\u{10FFFF}"),
    }
}

fn workload_range(namespace: &Arc<str>) -> std::ops::RangeInclusive<EndpointKey> {
    EndpointKey::Workload {
        namespace: namespace.clone(),
        name: Arc::from(""),
    }..=EndpointKey::Workload {
        namespace: namespace.clone(),
        name: Arc::from("\u{10FFFF}"),
    }
}

/// Felix's tier order: declared first, non-nil order first, by order, then by name.
pub fn tier_order(a: &Tier, b: &Tier) -> std::cmp::Ordering {
    b.declared
        .cmp(&a.declared)
        .then_with(|| match (a.order, b.order) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
        .then_with(|| a.name.cmp(&b.name))
}

/// Felix's policy order within a tier: order (nil = +inf), then the tie-break string (D1).
pub fn policy_order(a: &Policy, b: &Policy) -> std::cmp::Ordering {
    let oa = a.order.unwrap_or(f64::INFINITY);
    let ob = b.order.unwrap_or(f64::INFINITY);
    oa.total_cmp(&ob)
        .then_with(|| a.id.order_tie_break().cmp(&b.id.order_tie_break()))
}

fn default_felix() -> FelixSettings {
    use crate::calico::FelixConfigurationSpec;
    let to_failsafe = |f: crate::calico::FailsafePort| super::types::Failsafe {
        protocol: f.protocol,
        port: f.port,
        net: f.net,
    };
    FelixSettings {
        failsafe_inbound: FelixConfigurationSpec::default_inbound()
            .into_iter()
            .map(to_failsafe)
            .collect(),
        failsafe_outbound: FelixConfigurationSpec::default_outbound()
            .into_iter()
            .map(to_failsafe)
            .collect(),
        default_endpoint_to_host_action: EndpointToHostAction::Drop,
    }
}
