//! The set registry: every set some lowered rule list refers to, with its members kept up to
//! date as entities, services and DNS answers change, and reference counts that decide which
//! sets are in the snapshot (exactly those some live program refers to).

use std::net::IpAddr;
use std::sync::Arc;

use ahash::{AHashMap, AHashSet};
use ipnet::IpNet;
use palisade_policy_model::model::{Model, NamedPort, ServiceRef};
use smallvec::SmallVec;

use super::dns::DnsCache;
use crate::index::{EntityId, LabelIndex, SelectorId, Slab};
use crate::ir::{AddrPort, IpSet, IpSetId, IpSetMembers, IpSets};
use crate::lower::SetDef;

/// What an entity contributes to sets: its CIDRs (selector sets) and, for endpoints, its
/// addresses and named ports (named-port sets).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct EntityAddrs {
    /// Workload IPs, host endpoint expected IPs (as host prefixes) or network set CIDRs.
    pub(crate) nets: Vec<IpNet>,
    /// Addresses named ports are reachable at (endpoints only).
    pub(crate) addrs: Vec<IpAddr>,
    /// Named ports (endpoints only).
    pub(crate) ports: Vec<NamedPort>,
}

#[derive(Clone, Debug)]
enum Counts {
    Addrs(AHashMap<IpNet, u32>),
    AddrPorts(AHashMap<AddrPort, u32>),
}

impl Counts {
    fn for_def(def: &SetDef) -> Counts {
        match def.kind() {
            crate::ir::IpSetKind::Addrs => Counts::Addrs(AHashMap::new()),
            crate::ir::IpSetKind::AddrPorts => Counts::AddrPorts(AHashMap::new()),
        }
    }

    fn clear(&mut self) {
        match self {
            Counts::Addrs(m) => m.clear(),
            Counts::AddrPorts(m) => m.clear(),
        }
    }

    fn members(&self) -> IpSetMembers {
        match self {
            Counts::Addrs(m) => IpSetMembers::addrs(m.keys().copied()),
            Counts::AddrPorts(m) => IpSetMembers::addr_ports(m.keys().copied()),
        }
    }
}

/// Counts `key` up or down; true when it enters or leaves the set.
fn bump<K: std::hash::Hash + Eq>(map: &mut AHashMap<K, u32>, key: K, add: bool) -> bool {
    if add {
        let n = map.entry(key).or_insert(0);
        *n += 1;
        *n == 1
    } else if let Some(n) = map.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            map.remove(&key);
            return true;
        }
        false
    } else {
        false
    }
}

/// Adds (`add`) or removes an entity's contribution to a selector-driven set; true when the
/// members changed.
fn contribute(def: &SetDef, counts: &mut Counts, entity: &EntityAddrs, add: bool) -> bool {
    let mut changed = false;
    match (def, counts) {
        (SetDef::Selector(_), Counts::Addrs(m)) => {
            for net in &entity.nets {
                changed |= bump(m, net.trunc(), add);
            }
        }
        (SetDef::NamedPort { protocol, name, .. }, Counts::AddrPorts(m)) => {
            for port in &entity.ports {
                let p = port.protocol.number();
                if *port.name != **name || protocol.is_some_and(|want| want != p) {
                    continue;
                }
                for &addr in &entity.addrs {
                    changed |= bump(
                        m,
                        AddrPort {
                            addr,
                            protocol: p,
                            port: port.port,
                        },
                        add,
                    );
                }
            }
        }
        _ => {}
    }
    changed
}

#[derive(Clone, Debug)]
struct SetEntry {
    id: IpSetId,
    def: SetDef,
    selector: Option<SelectorId>,
    /// Lowered rule lists referring to the set.
    lower_refs: u32,
    /// Live programs referring to the set.
    snap_refs: u32,
    counts: Counts,
}

/// A registered set's slot (internal; programs refer to sets by [`IpSetId`]).
pub(crate) type SetIdx = u32;

/// See the module docs.
#[derive(Clone, Debug, Default)]
pub(crate) struct SetRegistry {
    slab: Slab<SetEntry>,
    ids: AHashMap<IpSetId, SetIdx>,
    by_selector: AHashMap<SelectorId, SmallVec<[SetIdx; 2]>>,
    by_service: AHashMap<ServiceRef, SmallVec<[SetIdx; 2]>>,
    domain_sets: AHashSet<SetIdx>,
    /// Sets whose members or snapshot presence changed since the last [`SetRegistry::publish`].
    changed: AHashSet<SetIdx>,
    /// Sets whose last lowered reference went away.
    maybe_dead: Vec<SetIdx>,
}

/// What computing a fresh set's members needs.
pub(crate) struct SetContext<'a> {
    pub(crate) index: &'a mut LabelIndex,
    pub(crate) entities: &'a AHashMap<EntityId, EntityAddrs>,
    pub(crate) model: &'a Model,
    pub(crate) dns: &'a DnsCache,
}

impl SetRegistry {
    /// Takes a lowered reference to the set `def`, creating it (and computing its members) if new.
    pub(crate) fn acquire(&mut self, def: &SetDef, cx: &mut SetContext<'_>) -> SetIdx {
        let id = def.id();
        if let Some(&idx) = self.ids.get(&id) {
            if let Some(entry) = self.slab.get_mut(idx) {
                entry.lower_refs += 1;
            }
            return idx;
        }
        let mut counts = Counts::for_def(def);
        let selector = def.selector().map(|s| {
            let (sid, _) = cx.index.register(s);
            for eid in cx.index.matches(sid) {
                if let Some(e) = cx.entities.get(&eid) {
                    contribute(def, &mut counts, e, true);
                }
            }
            sid
        });
        let mut entry = SetEntry {
            id: id.clone(),
            def: def.clone(),
            selector,
            lower_refs: 1,
            snap_refs: 0,
            counts,
        };
        fill_static(&mut entry, cx.model, cx.dns);
        let idx = self.slab.insert(entry);
        self.ids.insert(id, idx);
        if let Some(sid) = selector {
            self.by_selector.entry(sid).or_default().push(idx);
        }
        match def {
            SetDef::ServiceAddrs(s) | SetDef::ServicePorts(s) => {
                self.by_service.entry(s.clone()).or_default().push(idx);
            }
            SetDef::Domains(_) => {
                self.domain_sets.insert(idx);
            }
            _ => {}
        }
        idx
    }

    /// Drops a lowered reference; the set goes away in [`SetRegistry::publish`] once nothing
    /// refers to it.
    pub(crate) fn release(&mut self, idx: SetIdx) {
        if let Some(entry) = self.slab.get_mut(idx) {
            entry.lower_refs = entry.lower_refs.saturating_sub(1);
            if entry.lower_refs == 0 {
                self.maybe_dead.push(idx);
            }
        }
    }

    /// A live program starts (`add`) or stops referring to the set.
    pub(crate) fn snapshot_ref(&mut self, idx: SetIdx, add: bool) {
        if let Some(entry) = self.slab.get_mut(idx) {
            let before = entry.snap_refs > 0;
            if add {
                entry.snap_refs += 1;
            } else {
                entry.snap_refs = entry.snap_refs.saturating_sub(1);
            }
            if before != (entry.snap_refs > 0) {
                self.changed.insert(idx);
            }
        }
    }

    /// Adds or removes an entity's contribution to every set following `selectors`.
    pub(crate) fn entity_contribution(
        &mut self,
        selectors: impl Iterator<Item = SelectorId>,
        entity: &EntityAddrs,
        add: bool,
    ) {
        if entity.nets.is_empty() && entity.addrs.is_empty() {
            return;
        }
        for sid in selectors {
            let Some(ids) = self.by_selector.get(&sid) else {
                continue;
            };
            for &idx in ids {
                if let Some(entry) = self.slab.get_mut(idx)
                    && contribute(&entry.def, &mut entry.counts, entity, add)
                {
                    self.changed.insert(idx);
                }
            }
        }
    }

    /// Recomputes the sets of a service.
    pub(crate) fn service_changed(&mut self, service: &ServiceRef, model: &Model, dns: &DnsCache) {
        let Some(ids) = self.by_service.get(service) else {
            return;
        };
        for &idx in ids {
            if let Some(entry) = self.slab.get_mut(idx) {
                fill_static(entry, model, dns);
                self.changed.insert(idx);
            }
        }
    }

    /// Recomputes every domain set.
    pub(crate) fn dns_changed(&mut self, model: &Model, dns: &DnsCache) {
        for &idx in &self.domain_sets {
            if let Some(entry) = self.slab.get_mut(idx) {
                fill_static(entry, model, dns);
                self.changed.insert(idx);
            }
        }
    }

    /// Removes dead sets and brings `snapshot` up to date with every changed set. Calls
    /// `before_change(id, old)` once per set about to change in the snapshot.
    pub(crate) fn publish(
        &mut self,
        index: &mut LabelIndex,
        snapshot: &mut IpSets,
        mut before_change: impl FnMut(&IpSetId, Option<&Arc<IpSet>>),
    ) {
        for idx in std::mem::take(&mut self.maybe_dead) {
            let dead = self
                .slab
                .get(idx)
                .is_some_and(|e| e.lower_refs == 0 && e.snap_refs == 0);
            if !dead {
                continue;
            }
            let Some(entry) = self.slab.remove(idx) else {
                continue;
            };
            self.ids.remove(&entry.id);
            self.changed.remove(&idx);
            if let Some(sid) = entry.selector {
                if let Some(ids) = self.by_selector.get_mut(&sid) {
                    ids.retain(|x| *x != idx);
                    if ids.is_empty() {
                        self.by_selector.remove(&sid);
                    }
                }
                index.unregister(sid);
            }
            match &entry.def {
                SetDef::ServiceAddrs(s) | SetDef::ServicePorts(s) => {
                    if let Some(ids) = self.by_service.get_mut(s) {
                        ids.retain(|x| *x != idx);
                        if ids.is_empty() {
                            self.by_service.remove(s);
                        }
                    }
                }
                SetDef::Domains(_) => {
                    self.domain_sets.remove(&idx);
                }
                _ => {}
            }
            if let Some(old) = snapshot.get_shared(&entry.id) {
                before_change(&entry.id, Some(old));
                snapshot.remove(&entry.id);
            }
        }
        for idx in std::mem::take(&mut self.changed) {
            let Some(entry) = self.slab.get(idx) else {
                continue;
            };
            let old = snapshot.get_shared(&entry.id);
            if entry.snap_refs > 0 {
                let members = entry.counts.members();
                if old.is_some_and(|o| *o.members() == members) {
                    continue;
                }
                before_change(&entry.id, old);
                snapshot.insert(IpSet::new(entry.id.clone(), entry.def.source(), members));
            } else if old.is_some() {
                before_change(&entry.id, old);
                snapshot.remove(&entry.id);
            }
        }
    }

    /// The definition of a registered set, by ID.
    pub(crate) fn def(&self, id: &IpSetId) -> Option<&SetDef> {
        let idx = self.ids.get(id)?;
        self.slab.get(*idx).map(|e| &e.def)
    }
}

/// Fills the members of sets that do not follow a selector (nets, services, domains).
fn fill_static(entry: &mut SetEntry, model: &Model, dns: &DnsCache) {
    match (&entry.def, &mut entry.counts) {
        (SetDef::Nets(nets), Counts::Addrs(m)) => {
            m.clear();
            for n in nets {
                m.insert(*n, 1);
            }
        }
        (SetDef::Domains(patterns), Counts::Addrs(m)) => {
            m.clear();
            for p in patterns {
                for addr in dns.resolve(p) {
                    m.insert(IpNet::from(addr), 1);
                }
            }
        }
        (SetDef::ServiceAddrs(s), Counts::Addrs(m)) => {
            m.clear();
            for ep in model.service(s).into_iter().flat_map(|s| &s.endpoints) {
                m.insert(IpNet::from(ep.ip), 1);
            }
        }
        (SetDef::ServicePorts(s), Counts::AddrPorts(m)) => {
            m.clear();
            for ep in model.service(s).into_iter().flat_map(|s| &s.endpoints) {
                for (protocol, port) in &ep.ports {
                    m.insert(
                        AddrPort {
                            addr: ep.ip,
                            protocol: protocol.number(),
                            port: *port,
                        },
                        1,
                    );
                }
            }
        }
        (_, counts) => {
            if !matches!(entry.def, SetDef::Selector(_) | SetDef::NamedPort { .. }) {
                counts.clear();
            }
        }
    }
}
