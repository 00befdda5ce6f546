//! [`Dataplane`]: enforce a [`Snapshot`] on real interfaces (`palisade apply --dataplane ebpf`).
//!
//! A [`Binding`] names an interface and the endpoint whose policy it enforces. Programs are
//! lowered once per distinct program (endpoints with the same policy share a slot) and published;
//! the interface is configured, then the datapath is attached:
//!
//! | endpoint | attach point | stages (in order) |
//! |---|---|---|
//! | workload, on its host-side interface | TC ingress (traffic *from* the workload) | workload egress |
//! | | TC egress (traffic *to* the workload) | forwarded: workload ingress; from the host itself: none (see below) |
//! | host endpoint, on its interface | XDP | untracked ingress (an Allow tags the frame so TC lets it through) |
//! | | TC ingress | to the host: pre-DNAT ingress, host ingress; forwarded: pre-DNAT ingress, forward ingress |
//! | | TC egress | from the host: untracked egress, host egress; forwarded: untracked egress, forward egress |
//!
//! TC stages are stateful: replies and later packets of an allowed flow pass through conntrack;
//! untracked stages run before conntrack and record nothing (SEMANTICS §3). "Forwarded" is
//! decided per packet: at TC ingress by a FIB lookup (not delivered locally), at TC egress by
//! the packet having come in through another interface.
//!
//! Host → local workload traffic is not policed by the workload's ingress policy (SEMANTICS §3,
//! as Calico's iptables/nftables dataplanes do; DECISIONS: `by: default`). At the workload's TC
//! egress a packet the host itself sends (locally generated: the kernel leaves its ingress
//! interface, `skb->skb_iif`, at 0) passes without consulting policy and is recorded in
//! conntrack, so that the workload's replies pass its egress hook as replies. That record only
//! continues the host's own flow: a forwarded packet (from another workload or a host
//! interface, which always carries the interface it came in through) that copies the host's
//! addresses and ports is still policed by the workload's ingress policy.
//!
//! Updates are incremental: a program whose rules and referenced IP sets are unchanged is left
//! alone; a changed one is republished into its slot, writing only the tables that changed
//! (tables are shared by content in the heap), with one slot update per program.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use palisade_compiler::Snapshot;
use palisade_compiler::ir::{Hook, IpSet, IpSetId, IpSets, Program, ProgramTarget};
use palisade_policy_model::model::EndpointKey;

use crate::error::Error;
use crate::lower::{LowerConfig, LoweredProgram, lower};
use crate::sys::{self, AttachPoint, CtEntry, Datapath, DatapathConfig, Event, IfaceConfig, Stage};

/// Enforce `endpoint`'s policy on `interface` (a workload's host-side interface, or a host
/// endpoint's interface), in the calling thread's network namespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Binding {
    /// Interface name.
    pub interface: String,
    /// The endpoint.
    pub endpoint: EndpointKey,
}

/// How the dataplane runs.
#[derive(Clone, Debug)]
pub struct DataplaneConfig {
    /// Map sizes.
    pub datapath: DatapathConfig,
    /// How programs are lowered.
    pub lower: LowerConfig,
    /// Let ICMPv6 neighbour discovery through before policy (IPv6 needs it to reach the
    /// neighbour at all; Calico does the same). Default true.
    pub allow_ndp: bool,
    /// Conntrack idle timeout of TCP flows (default one hour).
    pub ct_timeout_tcp: Duration,
    /// Conntrack idle timeout of other flows (default two minutes).
    pub ct_timeout_other: Duration,
}

impl Default for DataplaneConfig {
    fn default() -> DataplaneConfig {
        DataplaneConfig {
            datapath: DatapathConfig::default(),
            lower: LowerConfig::default(),
            allow_ndp: true,
            ct_timeout_tcp: Duration::from_secs(3600),
            ct_timeout_other: Duration::from_secs(120),
        }
    }
}

/// What an [`Dataplane::apply`] (or set update) did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Programs published (new or changed).
    pub programs_published: usize,
    /// Programs left as they were.
    pub programs_unchanged: usize,
    /// Heap tables written (the rest of the published programs' tables were shared).
    pub tables_written: usize,
    /// Heap tables of published programs that were already in the heap.
    pub tables_reused: usize,
    /// Heap words written.
    pub words_written: u64,
    /// Attachments made.
    pub attached: Vec<(String, AttachPoint)>,
    /// Attachments removed.
    pub detached: Vec<(String, AttachPoint)>,
}

/// A live slot: one distinct program.
#[derive(Debug)]
struct SlotState {
    slot: u32,
    lowered: Arc<LoweredProgram>,
    /// The sets the program refers to, as they were when it was lowered.
    sets: Vec<(IpSetId, Option<Arc<IpSet>>)>,
    users: usize,
}

/// What is attached to one interface.
#[derive(Debug)]
struct Bound {
    endpoint: EndpointKey,
    ifindex: u32,
    points: Vec<AttachPoint>,
    /// The programs the interface runs (one slot user each).
    held: Vec<Arc<Program>>,
}

/// Policy enforced on real interfaces (see the module documentation).
#[derive(Debug)]
pub struct Dataplane {
    dp: Datapath,
    config: DataplaneConfig,
    /// Distinct programs by content.
    slots: HashMap<Arc<Program>, SlotState>,
    free: Vec<u32>,
    next_slot: u32,
    programs: BTreeMap<ProgramTarget, Arc<Program>>,
    sets: IpSets,
    bound: BTreeMap<String, Bound>,
}

/// The attach points and stage hooks of an endpoint kind: (point, local stages, forwarded
/// stages), each stage as (hook, untracked).
type Plan = Vec<(AttachPoint, Vec<(Hook, bool)>, Option<Vec<(Hook, bool)>>)>;

fn plan_for(endpoint: &EndpointKey) -> Plan {
    match endpoint {
        EndpointKey::Workload { .. } => vec![
            (
                AttachPoint::TcIngress,
                vec![(Hook::WorkloadEgress, false)],
                None,
            ),
            (
                AttachPoint::TcEgress,
                vec![(Hook::WorkloadIngress, false)],
                None,
            ),
        ],
        _ => vec![
            (
                AttachPoint::Xdp,
                vec![(Hook::HostUntrackedIngress, true)],
                None,
            ),
            (
                AttachPoint::TcIngress,
                vec![
                    (Hook::HostPreDnatIngress, false),
                    (Hook::HostIngress, false),
                ],
                Some(vec![
                    (Hook::HostPreDnatIngress, false),
                    (Hook::HostForwardIngress, false),
                ]),
            ),
            (
                AttachPoint::TcEgress,
                vec![(Hook::HostUntrackedEgress, true), (Hook::HostEgress, false)],
                Some(vec![
                    (Hook::HostUntrackedEgress, true),
                    (Hook::HostForwardEgress, false),
                ]),
            ),
        ],
    }
}

fn referenced_sets(program: &Program, sets: &IpSets) -> Vec<(IpSetId, Option<Arc<IpSet>>)> {
    let ids: BTreeSet<&IpSetId> = program
        .rules()
        .iter()
        .flat_map(|r| r.matches.set_ids())
        .collect();
    ids.into_iter()
        .map(|id| (id.clone(), sets.get(id).map(|s| Arc::new(s.clone()))))
        .collect()
}

fn sets_unchanged(old: &[(IpSetId, Option<Arc<IpSet>>)], sets: &IpSets) -> bool {
    old.iter().all(|(id, set)| set.as_deref() == sets.get(id))
}

impl Dataplane {
    /// Loads the datapath (nothing is attached yet). Needs root.
    pub fn new(config: DataplaneConfig) -> Result<Dataplane, Error> {
        let dp = Datapath::load(&config.datapath)?;
        Ok(Dataplane {
            dp,
            config,
            slots: HashMap::new(),
            free: Vec::new(),
            next_slot: 0,
            programs: BTreeMap::new(),
            sets: IpSets::new(),
            bound: BTreeMap::new(),
        })
    }

    /// The underlying datapath.
    pub fn datapath(&self) -> &Datapath {
        &self.dp
    }

    /// Makes the interfaces enforce `snapshot` as `bindings` say: interfaces no longer bound are
    /// detached, new ones attached, and programs that changed (rules or referenced IP sets) are
    /// republished. On error the interfaces already handled keep their new state.
    pub fn apply(
        &mut self,
        snapshot: &Snapshot,
        bindings: &[Binding],
    ) -> Result<ApplyReport, Error> {
        let mut report = ApplyReport::default();
        self.programs = snapshot.programs.clone();
        self.sets = snapshot.sets.clone();
        let wanted: BTreeMap<&str, &Binding> =
            bindings.iter().map(|b| (b.interface.as_str(), b)).collect();

        // Interfaces no longer bound, or bound to another endpoint.
        let gone: Vec<String> = self
            .bound
            .iter()
            .filter(|(ifname, b)| {
                wanted
                    .get(ifname.as_str())
                    .is_none_or(|w| w.endpoint != b.endpoint)
            })
            .map(|(ifname, _)| ifname.clone())
            .collect();
        for ifname in gone {
            report.detached.extend(self.unbind(&ifname)?);
        }

        // Programs: keep unchanged ones, republish changed ones.
        self.refresh(&mut report)?;

        for b in bindings {
            let changes = if self.bound.contains_key(&b.interface) {
                self.rebind(&b.interface, &mut report)?
            } else {
                self.bind(b, &mut report)?
            };
            report.attached.extend(changes.0);
            report.detached.extend(changes.1);
        }
        self.collect_unused()?;
        Ok(report)
    }

    /// Replaces some IP sets (e.g. an endpoint's address changed) and republishes only the
    /// programs that refer to them; only the tables that change are written.
    pub fn update_sets(
        &mut self,
        changed: impl IntoIterator<Item = IpSet>,
    ) -> Result<ApplyReport, Error> {
        for set in changed {
            self.sets.insert(set);
        }
        let mut report = ApplyReport::default();
        self.refresh(&mut report)?;
        Ok(report)
    }

    /// Republishes every live program whose content or sets changed.
    fn refresh(&mut self, report: &mut ApplyReport) -> Result<(), Error> {
        let live: Vec<Arc<Program>> = self.slots.keys().cloned().collect();
        for program in live {
            let still_used = self.programs.values().any(|p| **p == *program);
            let Some(state) = self.slots.get(&program) else {
                continue;
            };
            if !still_used || sets_unchanged(&state.sets, &self.sets) {
                report.programs_unchanged += usize::from(still_used);
                continue;
            }
            let lowered = Arc::new(lower(&program, &self.sets, &self.config.lower)?);
            let slot = state.slot;
            let stats = self.dp.publish(slot, Arc::clone(&lowered))?;
            report.programs_published += 1;
            report.tables_written += stats.written_tables;
            report.tables_reused += stats.tables - stats.written_tables;
            report.words_written += stats.written_words;
            let sets = referenced_sets(&program, &self.sets);
            if let Some(state) = self.slots.get_mut(&program) {
                state.lowered = lowered;
                state.sets = sets;
            }
        }
        Ok(())
    }

    /// The slot of `program`, publishing it if it is new.
    fn slot_for(&mut self, program: &Arc<Program>, report: &mut ApplyReport) -> Result<u32, Error> {
        if let Some(state) = self.slots.get_mut(program) {
            state.users += 1;
            return Ok(state.slot);
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                if self.next_slot >= self.dp.slots() {
                    return Err(Error::Config(format!(
                        "more distinct programs than the datapath's {} slots; load it with more",
                        self.dp.slots()
                    )));
                }
                self.next_slot += 1;
                self.next_slot - 1
            }
        };
        let lowered = match lower(program, &self.sets, &self.config.lower) {
            Ok(l) => Arc::new(l),
            Err(e) => {
                self.free.push(slot);
                return Err(e.into());
            }
        };
        let stats = match self.dp.publish(slot, Arc::clone(&lowered)) {
            Ok(s) => s,
            Err(e) => {
                self.free.push(slot);
                return Err(e);
            }
        };
        report.programs_published += 1;
        report.tables_written += stats.written_tables;
        report.tables_reused += stats.tables - stats.written_tables;
        report.words_written += stats.written_words;
        self.slots.insert(
            Arc::clone(program),
            SlotState {
                slot,
                lowered,
                sets: referenced_sets(program, &self.sets),
                users: 1,
            },
        );
        Ok(slot)
    }

    fn release(&mut self, program: &Arc<Program>) {
        if let Some(state) = self.slots.get_mut(program) {
            state.users = state.users.saturating_sub(1);
        }
    }

    /// Retracts slots no interface uses any more.
    fn collect_unused(&mut self) -> Result<(), Error> {
        let unused: Vec<Arc<Program>> = self
            .slots
            .iter()
            .filter(|(_, s)| s.users == 0)
            .map(|(p, _)| Arc::clone(p))
            .collect();
        for p in unused {
            if let Some(state) = self.slots.remove(&p) {
                self.dp.retract(state.slot)?;
                self.free.push(state.slot);
            }
        }
        Ok(())
    }

    /// The configuration of every attach point of `endpoint`, acquiring a slot for every
    /// program it runs (returned in `held`).
    fn configs(
        &mut self,
        endpoint: &EndpointKey,
        report: &mut ApplyReport,
        held: &mut Vec<Arc<Program>>,
    ) -> Result<Vec<(AttachPoint, IfaceConfig)>, Error> {
        let mut out = Vec::new();
        for (point, local, forwarded) in plan_for(endpoint) {
            let local = self.stages(endpoint, &local, report, held)?;
            let forwarded = match forwarded {
                Some(f) => Some(self.stages(endpoint, &f, report, held)?),
                None => None,
            };
            if local.is_empty() && forwarded.as_ref().is_none_or(Vec::is_empty) {
                continue;
            }
            let mut cfg = IfaceConfig::new(local);
            cfg.forwarded = forwarded;
            cfg.host_local =
                point == AttachPoint::TcEgress && matches!(endpoint, EndpointKey::Workload { .. });
            cfg.stateful = point != AttachPoint::Xdp;
            cfg.mark_untracked = point == AttachPoint::Xdp;
            cfg.allow_ndp = self.config.allow_ndp;
            cfg.ct_timeout_tcp = self.config.ct_timeout_tcp;
            cfg.ct_timeout_other = self.config.ct_timeout_other;
            out.push((point, cfg));
        }
        Ok(out)
    }

    fn stages(
        &mut self,
        endpoint: &EndpointKey,
        hooks: &[(Hook, bool)],
        report: &mut ApplyReport,
        held: &mut Vec<Arc<Program>>,
    ) -> Result<Vec<Stage>, Error> {
        let mut stages = Vec::new();
        for (hook, untracked) in hooks {
            let target = ProgramTarget {
                endpoint: endpoint.clone(),
                hook: *hook,
            };
            let Some(program) = self.programs.get(&target).cloned() else {
                continue;
            };
            let slot = self.slot_for(&program, report)?;
            held.push(program);
            stages.push(Stage {
                slot,
                untracked: *untracked,
            });
        }
        Ok(stages)
    }

    fn release_all(&mut self, held: &[Arc<Program>]) {
        for p in held {
            self.release(p);
        }
    }

    /// Attaches to a new interface. Returns (attached, detached).
    #[allow(clippy::type_complexity)]
    fn bind(
        &mut self,
        b: &Binding,
        report: &mut ApplyReport,
    ) -> Result<(Vec<(String, AttachPoint)>, Vec<(String, AttachPoint)>), Error> {
        let ifindex = sys::ifindex(&b.interface)?;
        let mut held = Vec::new();
        let configs = match self.configs(&b.endpoint, report, &mut held) {
            Ok(c) => c,
            Err(e) => {
                self.release_all(&held);
                return Err(e);
            }
        };
        if configs.is_empty() {
            self.release_all(&held);
            return Err(Error::Config(format!(
                "the snapshot has no program for {} (interface {})",
                b.endpoint, b.interface
            )));
        }
        let mut attached = Vec::new();
        let mut points = Vec::new();
        let mut result = Ok(());
        for (point, cfg) in &configs {
            // Configure first: an attached program without configuration drops IP packets.
            let step = self
                .dp
                .set_iface(ifindex, *point, cfg)
                .and_then(|()| self.dp.attach(&b.interface, *point));
            if let Err(e) = step {
                result = Err(e);
                break;
            }
            points.push(*point);
            attached.push((b.interface.clone(), *point));
        }
        self.bound.insert(
            b.interface.clone(),
            Bound {
                endpoint: b.endpoint.clone(),
                ifindex,
                points,
                held,
            },
        );
        result.map(|()| (attached, Vec::new()))
    }

    /// Re-reads the stage lists of a bound interface (its programs may have changed). Returns
    /// (attached, detached).
    #[allow(clippy::type_complexity)]
    fn rebind(
        &mut self,
        ifname: &str,
        report: &mut ApplyReport,
    ) -> Result<(Vec<(String, AttachPoint)>, Vec<(String, AttachPoint)>), Error> {
        let Some(old) = self.bound.remove(ifname) else {
            return Ok((Vec::new(), Vec::new()));
        };
        let mut held = Vec::new();
        let configs = match self.configs(&old.endpoint, report, &mut held) {
            Ok(c) => c,
            Err(e) => {
                self.release_all(&held);
                self.bound.insert(ifname.to_owned(), old);
                return Err(e);
            }
        };
        let mut attached = Vec::new();
        let mut detached = Vec::new();
        let mut points = Vec::new();
        let mut first_err = None;
        for (point, cfg) in &configs {
            let step = self.dp.set_iface(old.ifindex, *point, cfg).and_then(|()| {
                if old.points.contains(point) {
                    Ok(())
                } else {
                    self.dp
                        .attach(ifname, *point)
                        .map(|()| attached.push((ifname.to_owned(), *point)))
                }
            });
            match step {
                Ok(()) => points.push(*point),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        for point in &old.points {
            if configs.iter().any(|(p, _)| p == point) {
                continue;
            }
            let step = self
                .dp
                .detach(ifname, *point)
                .and_then(|()| self.dp.remove_iface(old.ifindex, *point));
            match step {
                Ok(()) => detached.push((ifname.to_owned(), *point)),
                Err(e) => {
                    points.push(*point);
                    first_err.get_or_insert(e);
                }
            }
        }
        self.release_all(&old.held);
        self.bound.insert(
            ifname.to_owned(),
            Bound {
                endpoint: old.endpoint,
                ifindex: old.ifindex,
                points,
                held,
            },
        );
        first_err.map_or(Ok((attached, detached)), Err)
    }

    fn unbind(&mut self, ifname: &str) -> Result<Vec<(String, AttachPoint)>, Error> {
        let Some(bound) = self.bound.remove(ifname) else {
            return Ok(Vec::new());
        };
        let mut detached = Vec::new();
        let mut first_err = None;
        for point in &bound.points {
            // Detach first, then drop the configuration: no packet meets an attached program
            // without its configuration.
            if let Err(e) = self.dp.detach(ifname, *point) {
                first_err.get_or_insert(e);
            }
            if let Err(e) = self.dp.remove_iface(bound.ifindex, *point) {
                first_err.get_or_insert(e);
            }
            detached.push((ifname.to_owned(), *point));
        }
        self.release_all(&bound.held);
        first_err.map_or(Ok(detached), Err)
    }

    /// Stops enforcing on `interface` (detaches everything there).
    pub fn remove(&mut self, interface: &str) -> Result<ApplyReport, Error> {
        let detached = self.unbind(interface)?;
        self.collect_unused()?;
        Ok(ApplyReport {
            detached,
            ..ApplyReport::default()
        })
    }

    /// Stops enforcing everywhere.
    pub fn remove_all(&mut self) -> Result<ApplyReport, Error> {
        let names: Vec<String> = self.bound.keys().cloned().collect();
        let mut report = ApplyReport::default();
        let mut first_err = None;
        for n in names {
            match self.unbind(&n) {
                Ok(d) => report.detached.extend(d),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        self.collect_unused()?;
        first_err.map_or(Ok(report), Err)
    }

    /// The bound interfaces and their endpoints.
    pub fn bindings(&self) -> Vec<Binding> {
        self.bound
            .iter()
            .map(|(i, b)| Binding {
                interface: i.clone(),
                endpoint: b.endpoint.clone(),
            })
            .collect()
    }

    /// Log events (and nothing else: enforcement does not trace Pass rules) since the last call.
    pub fn events(&mut self) -> Vec<Event> {
        self.dp.drain_events()
    }

    /// The conntrack table.
    pub fn conntrack(&self) -> Result<Vec<CtEntry>, Error> {
        self.dp.conntrack()
    }

    /// Forgets every tracked flow.
    pub fn flush_conntrack(&mut self) -> Result<(), Error> {
        self.dp.flush_conntrack()
    }

    /// The lowered program running in the slot that serves `target`, if it is bound.
    pub fn lowered(&self, target: &ProgramTarget) -> Option<&Arc<LoweredProgram>> {
        let program = self.programs.get(target)?;
        self.slots.get(program).map(|s| &s.lowered)
    }
}

impl Drop for Dataplane {
    fn drop(&mut self) {
        let _ = self.remove_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_run_egress_at_tc_ingress_and_ingress_at_tc_egress() {
        let plan = plan_for(&EndpointKey::Workload {
            namespace: "ns".into(),
            name: "a".into(),
        });
        assert_eq!(plan[0].0, AttachPoint::TcIngress);
        assert_eq!(plan[0].1, vec![(Hook::WorkloadEgress, false)]);
        assert_eq!(plan[1].0, AttachPoint::TcEgress);
        assert_eq!(plan[1].1, vec![(Hook::WorkloadIngress, false)]);
    }

    #[test]
    fn host_endpoints_run_every_host_stage_once_per_path() {
        let plan = plan_for(&EndpointKey::Host { name: "h".into() });
        let mut local: Vec<Hook> = Vec::new();
        let mut forwarded: Vec<Hook> = Vec::new();
        for (_, l, f) in &plan {
            local.extend(l.iter().map(|s| s.0));
            forwarded.extend(f.as_ref().unwrap_or(l).iter().map(|s| s.0));
        }
        for hook in Hook::HOST {
            assert!(
                local.contains(&hook) || forwarded.contains(&hook),
                "{hook} is never run"
            );
        }
        // Untracked stages come first in every list.
        for (_, l, f) in &plan {
            for list in [Some(l), f.as_ref()].into_iter().flatten() {
                assert!(list.windows(2).all(|w| w[0].1 || !w[1].1));
            }
        }
    }
}
