//! [`Datapath`]: one loaded copy of the BPF object — its programs, its maps, the policy heap —
//! and the operations on it: publish and retract generations, configure interfaces, attach and
//! detach, run packets through `BPF_PROG_TEST_RUN`, read events and conntrack.

use std::collections::{BTreeMap, HashMap as StdHashMap, VecDeque};
use std::fmt;
use std::net::IpAddr;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

use aya::maps::{Array, ArrayOfMaps, HashMap, Map, MapData, RingBuf};
use aya::programs::links::LinkOrder;
use aya::programs::tc::{SchedClassifierLinkId, TcAttachOptions};
use aya::programs::xdp::XdpLinkId;
use aya::programs::{ProgramFd, SchedClassifier, TcAttachType, Xdp, XdpMode};
use aya::{Ebpf, EbpfLoader};
use palisade_compiler::ir::Origin;
use palisade_compiler::packet::{L4, PacketRepr};

use super::glue::{self, HeapMmap};
use crate::abi::{self, GEN_SIZE, IfaceDesc, RawCtEntry, RawEvent, StageDesc, Status};
use crate::error::Error;
use crate::heap::{self, HeapAlloc};
use crate::lower::LoweredProgram;

/// The BPF object, compiled from `bpf/palisade.c` by the build script.
pub(crate) static OBJECT: &[u8] =
    aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/palisade.o"));

const PROG_TC_INGRESS: &str = "palisade_tc_ingress";
const PROG_TC_EGRESS: &str = "palisade_tc_egress";
const PROG_XDP: &str = "palisade_xdp";

/// How big the datapath's maps are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatapathConfig {
    heap_words: Option<u32>,
    slots: Option<u32>,
    conntrack_entries: Option<u32>,
    event_ring_bytes: Option<u32>,
    interfaces: Option<u32>,
}

impl Default for DatapathConfig {
    fn default() -> DatapathConfig {
        DatapathConfig::new()
    }
}

impl DatapathConfig {
    /// The defaults: see the getters.
    pub fn new() -> DatapathConfig {
        DatapathConfig {
            heap_words: None,
            slots: None,
            conntrack_entries: None,
            event_ring_bytes: None,
            interfaces: None,
        }
    }

    /// Words (8 bytes each) of the policy heap that holds every table (default 4 Mi = 32 MiB).
    pub fn heap_words(mut self, n: u32) -> DatapathConfig {
        self.heap_words = Some(n);
        self
    }

    /// Policy slots: distinct programs that can be live at once (default 1024).
    pub fn slots(mut self, n: u32) -> DatapathConfig {
        self.slots = Some(n);
        self
    }

    /// Conntrack entries (LRU; default 65,536).
    pub fn conntrack_entries(mut self, n: u32) -> DatapathConfig {
        self.conntrack_entries = Some(n);
        self
    }

    /// Bytes of the event ring (a power of two, a multiple of the page size; default 1 MiB).
    pub fn event_ring_bytes(mut self, n: u32) -> DatapathConfig {
        self.event_ring_bytes = Some(n);
        self
    }

    /// Interface attach points that can be configured (default 4096).
    pub fn interfaces(mut self, n: u32) -> DatapathConfig {
        self.interfaces = Some(n);
        self
    }

    /// See [`DatapathConfig::heap_words`].
    pub fn get_heap_words(&self) -> u32 {
        self.heap_words.unwrap_or(4 << 20)
    }

    /// See [`DatapathConfig::slots`].
    pub fn get_slots(&self) -> u32 {
        self.slots.unwrap_or(1024)
    }

    /// See [`DatapathConfig::conntrack_entries`].
    pub fn get_conntrack_entries(&self) -> u32 {
        self.conntrack_entries.unwrap_or(65_536)
    }

    /// See [`DatapathConfig::event_ring_bytes`].
    pub fn get_event_ring_bytes(&self) -> u32 {
        self.event_ring_bytes.unwrap_or(1 << 20)
    }

    /// See [`DatapathConfig::interfaces`].
    pub fn get_interfaces(&self) -> u32 {
        self.interfaces.unwrap_or(4096)
    }
}

/// Where a datapath program runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttachPoint {
    /// TC ingress (TCX): packets the interface receives.
    TcIngress,
    /// TC egress (TCX): packets the interface sends.
    TcEgress,
    /// XDP: packets the interface receives, before the stack.
    Xdp,
}

impl AttachPoint {
    pub(crate) fn code(self) -> u32 {
        match self {
            AttachPoint::TcIngress => abi::POINT_TC_INGRESS,
            AttachPoint::TcEgress => abi::POINT_TC_EGRESS,
            AttachPoint::Xdp => abi::POINT_XDP,
        }
    }

    fn from_code(c: u32) -> Option<AttachPoint> {
        match c {
            abi::POINT_TC_INGRESS => Some(AttachPoint::TcIngress),
            abi::POINT_TC_EGRESS => Some(AttachPoint::TcEgress),
            abi::POINT_XDP => Some(AttachPoint::Xdp),
            _ => None,
        }
    }

    /// `tc-ingress`, `tc-egress` or `xdp`.
    pub fn as_str(self) -> &'static str {
        match self {
            AttachPoint::TcIngress => "tc-ingress",
            AttachPoint::TcEgress => "tc-egress",
            AttachPoint::Xdp => "xdp",
        }
    }
}

impl fmt::Display for AttachPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One stage of an interface's stage list: a slot, and whether it runs before conntrack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stage {
    /// The policy slot.
    pub slot: u32,
    /// Untracked: runs before conntrack, and its Allow records no flow.
    pub untracked: bool,
}

/// What runs at one interface attach point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfaceConfig {
    /// Stages for packets to or from the host itself (or all packets when `forwarded` is
    /// `None`). Untracked stages must come first. At most three.
    pub local: Vec<Stage>,
    /// Stages for forwarded packets, when they differ (host endpoints). At most three.
    pub forwarded: Option<Vec<Stage>>,
    /// TC egress of a workload's host-side interface: a packet the host itself sends
    /// (locally generated: no ingress interface) passes without running any stage, and is
    /// recorded in conntrack when `stateful` so that the workload's replies pass; forwarded
    /// packets (from another workload or a host interface) run the stages. SEMANTICS §3: host →
    /// local workload traffic is not policed by the workload's ingress policy. Ignored at other
    /// attach points.
    pub host_local: bool,
    /// Conntrack: replies and later packets of allowed flows pass without policy.
    pub stateful: bool,
    /// ICMPv6 neighbour discovery (types 130–133, 135, 136) passes before policy.
    pub allow_ndp: bool,
    /// XDP only: an Allow tags the frame so that TC ingress lets it through (untracked Allow
    /// skips the later stages, SEMANTICS §3).
    pub mark_untracked: bool,
    /// Report each packet's outcome to test runs (`skb->cb` / XDP metadata).
    pub report: bool,
    /// Emit Pass steps on the event ring too.
    pub trace: bool,
    /// Idle timeout of TCP flows.
    pub ct_timeout_tcp: Duration,
    /// Idle timeout of other flows.
    pub ct_timeout_other: Duration,
}

impl IfaceConfig {
    /// A configuration with `local` stages, stateful, no reporting.
    pub fn new(local: Vec<Stage>) -> IfaceConfig {
        IfaceConfig {
            local,
            forwarded: None,
            host_local: false,
            stateful: true,
            allow_ndp: false,
            mark_untracked: false,
            report: false,
            trace: false,
            ct_timeout_tcp: Duration::from_secs(3600),
            ct_timeout_other: Duration::from_secs(120),
        }
    }

    fn desc(&self) -> IfaceDesc {
        let stages = |s: &[Stage]| -> Vec<StageDesc> {
            s.iter()
                .map(|st| StageDesc {
                    slot: st.slot,
                    kind: if st.untracked {
                        abi::STAGE_UNTRACKED
                    } else {
                        abi::STAGE_TRACKED
                    },
                })
                .collect()
        };
        let mut flags = 0;
        for (on, f) in [
            (self.stateful, abi::IF_STATEFUL),
            (self.report, abi::IF_REPORT),
            (self.trace, abi::IF_TRACE),
            (self.forwarded.is_some(), abi::IF_SPLIT),
            (self.allow_ndp, abi::IF_ALLOW_NDP),
            (self.mark_untracked, abi::IF_MARK_UNTRACKED),
            (self.host_local, abi::IF_HOST_LOCAL),
        ] {
            if on {
                flags |= f;
            }
        }
        IfaceDesc {
            flags,
            local: stages(&self.local),
            fwd: stages(self.forwarded.as_deref().unwrap_or(&self.local)),
            ct_timeout_tcp_ns: u64::try_from(self.ct_timeout_tcp.as_nanos()).unwrap_or(u64::MAX),
            ct_timeout_other_ns: u64::try_from(self.ct_timeout_other.as_nanos())
                .unwrap_or(u64::MAX),
        }
    }

    fn check(&self) -> Result<(), Error> {
        for list in [Some(&self.local), self.forwarded.as_ref()]
            .into_iter()
            .flatten()
        {
            if list.len() > abi::MAX_STAGES {
                return Err(Error::Config(format!(
                    "{} stages given, the datapath runs at most {}",
                    list.len(),
                    abi::MAX_STAGES
                )));
            }
            if list.windows(2).any(|w| !w[0].untracked && w[1].untracked) {
                return Err(Error::Config(
                    "untracked stages must come before tracked ones".to_owned(),
                ));
            }
        }
        Ok(())
    }
}

/// What publishing a generation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishStats {
    /// The new generation's ID.
    pub gen_id: u64,
    /// Tables of the generation (block descriptors included).
    pub tables: usize,
    /// Tables written (the rest were already in the heap).
    pub written_tables: usize,
    /// Words written.
    pub written_words: u64,
    /// Heap words in use afterwards.
    pub heap_used_words: u64,
}

/// The outcome of one test run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunReport {
    /// What the datapath reported.
    pub status: Status,
    /// The deciding rule (when [`Status::by_rule`]).
    pub rule: u32,
    /// The slot that decided.
    pub slot: u32,
    /// Low 32 bits of the deciding generation's ID.
    pub gen_lo: u32,
    /// The program's return value.
    pub retval: u32,
    /// Nanoseconds per run (averaged over `repeat`).
    pub duration_ns: u32,
    /// Events the run emitted (of the last repetition).
    pub events: u16,
    /// Events of those that the ring had no room for.
    pub events_lost: u16,
}

/// What an [`Event`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A Log rule matched.
    Log,
    /// A Pass rule was taken (interfaces with `trace`).
    Pass,
}

/// An event from the ring: a Log rule (or, when tracing, a Pass rule) with its provenance and
/// the packet's 5-tuple.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Log or Pass.
    pub kind: EventKind,
    /// The policy slot.
    pub slot: u32,
    /// The generation.
    pub gen_id: u64,
    /// The rule index in the program.
    pub rule: u32,
    /// The rule's origin, when the generation is known (live or recently replaced).
    pub origin: Option<Origin>,
    /// The interface.
    pub ifindex: u32,
    /// The attach point.
    pub point: Option<AttachPoint>,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// IP protocol.
    pub protocol: u8,
    /// Ports or ICMP fields, as policy saw them.
    pub l4: L4,
}

impl Event {
    /// The packet as a [`PacketRepr`] (`None` if its fields are inconsistent).
    pub fn packet(&self) -> Option<PacketRepr> {
        PacketRepr::new(self.src, self.dst, self.protocol, self.l4).ok()
    }
}

/// A conntrack entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtEntry {
    /// The interface.
    pub ifindex: u32,
    /// Where the flow's first packet was seen.
    pub point: Option<AttachPoint>,
    /// IP protocol.
    pub protocol: u8,
    /// The flow's initiator address and port (echo identifier for ICMP echo).
    pub initiator: (IpAddr, u16),
    /// The responder.
    pub responder: (IpAddr, u16),
    /// The host itself started the flow (see [`IfaceConfig::host_local`]): no rule allowed it
    /// (`slot` and `rule` are `u32::MAX`), and only the host's own packets continue it.
    pub host_local: bool,
    /// The slot whose rule allowed the flow.
    pub slot: u32,
    /// The rule.
    pub rule: u32,
    /// Monotonic time of the last packet, in nanoseconds.
    pub last_seen_ns: u64,
}

/// A generation that is live in a slot.
#[derive(Debug)]
struct Live {
    gen_id: u64,
    program: Arc<LoweredProgram>,
    regions: Vec<u32>,
}

/// An attachment.
#[derive(Debug)]
enum Link {
    Tc(AttachPoint, SchedClassifierLinkId),
    Xdp(XdpLinkId),
}

/// How many replaced generations are remembered for decoding late events.
const RETIRED: usize = 256;

/// One loaded copy of the datapath.
pub struct Datapath {
    ebpf: Ebpf,
    heap: HeapMmap,
    _heap_map: MapData,
    alloc: HeapAlloc,
    gens: ArrayOfMaps<MapData, Array<MapData, [u8; GEN_SIZE]>>,
    gens_fd: std::os::fd::OwnedFd,
    ifaces: HashMap<MapData, [u8; 8], [u8; abi::IFACE_SIZE]>,
    ifaces_direct: Array<MapData, [u8; abi::IFACE_SIZE]>,
    ct: HashMap<MapData, [u8; abi::CT_KEY_SIZE], [u8; abi::CT_VAL_SIZE]>,
    events: RingBuf<MapData>,
    slots: u32,
    live: StdHashMap<u32, Live>,
    retired: VecDeque<(u64, Arc<LoweredProgram>)>,
    next_gen: u64,
    links: BTreeMap<(String, AttachPoint), Link>,
}

impl fmt::Debug for Datapath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Datapath")
            .field("slots", &self.slots)
            .field("live", &self.live.len())
            .field("heap_used_words", &self.alloc.used_words())
            .field("links", &self.links.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn take(ebpf: &mut Ebpf, name: &'static str) -> Result<Map, Error> {
    ebpf.take_map(name)
        .ok_or_else(|| Error::Load(format!("the BPF object has no map {name}")))
}

fn map_err(map: &'static str, call: &'static str) -> impl Fn(aya::maps::MapError) -> Error {
    move |e| Error::Map {
        map,
        call,
        message: e.to_string(),
    }
}

impl Datapath {
    /// Loads the BPF object and its three programs (TC ingress, TC egress, XDP) into the
    /// kernel. Needs `CAP_BPF` and `CAP_NET_ADMIN` (root).
    pub fn load(config: &DatapathConfig) -> Result<Datapath, Error> {
        Datapath::load_object(config, OBJECT)
    }

    #[doc(hidden)]
    pub fn load_object(config: &DatapathConfig, object: &[u8]) -> Result<Datapath, Error> {
        let heap_words = config.get_heap_words().max(1);
        let slots = config.get_slots().max(1);
        let mut ebpf = EbpfLoader::new()
            .map_max_entries("pal_heap", heap_words)
            .map_max_entries("pal_gens", slots)
            .map_max_entries("pal_ct", config.get_conntrack_entries().max(1))
            .map_max_entries("pal_events", config.get_event_ring_bytes())
            .map_max_entries("pal_ifaces", config.get_interfaces().max(1))
            .load(object)
            .map_err(|e| Error::from_load(&e))?;
        for name in [PROG_TC_INGRESS, PROG_TC_EGRESS] {
            let prog: &mut SchedClassifier = ebpf
                .program_mut(name)
                .ok_or_else(|| Error::Load(format!("the BPF object has no program {name}")))?
                .try_into()
                .map_err(|e: aya::programs::ProgramError| Error::Load(e.to_string()))?;
            prog.load().map_err(|e| Error::from_program(name, &e))?;
        }
        let xdp: &mut Xdp = ebpf
            .program_mut(PROG_XDP)
            .ok_or_else(|| Error::Load(format!("the BPF object has no program {PROG_XDP}")))?
            .try_into()
            .map_err(|e: aya::programs::ProgramError| Error::Load(e.to_string()))?;
        xdp.load().map_err(|e| Error::from_program(PROG_XDP, &e))?;

        let Map::Array(heap_map) = take(&mut ebpf, "pal_heap")? else {
            return Err(Error::Load("pal_heap is not an array".to_owned()));
        };
        let heap =
            HeapMmap::new(heap_map.fd().as_fd(), heap_words as usize).map_err(|e| Error::Map {
                map: "pal_heap",
                call: "mmap",
                message: e.to_string(),
            })?;
        let Map::ArrayOfMaps(gens) = take(&mut ebpf, "pal_gens")? else {
            return Err(Error::Load("pal_gens is not an array of maps".to_owned()));
        };
        // aya's ArrayOfMaps cannot delete; keep a descriptor for the raw delete.
        let gens_fd = gens
            .fd()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| Error::Map {
                map: "pal_gens",
                call: "dup",
                message: e.to_string(),
            })?;
        let gens =
            ArrayOfMaps::try_from(Map::ArrayOfMaps(gens)).map_err(map_err("pal_gens", "open"))?;
        let ifaces = HashMap::try_from(take(&mut ebpf, "pal_ifaces")?)
            .map_err(map_err("pal_ifaces", "open"))?;
        let ifaces_direct = Array::try_from(take(&mut ebpf, "pal_ifaces_direct")?)
            .map_err(map_err("pal_ifaces_direct", "open"))?;
        let ct =
            HashMap::try_from(take(&mut ebpf, "pal_ct")?).map_err(map_err("pal_ct", "open"))?;
        let events = RingBuf::try_from(take(&mut ebpf, "pal_events")?)
            .map_err(map_err("pal_events", "open"))?;
        Ok(Datapath {
            ebpf,
            alloc: HeapAlloc::new(heap.len() as u32),
            heap,
            _heap_map: heap_map,
            gens,
            gens_fd,
            ifaces,
            ifaces_direct,
            ct,
            events,
            slots,
            live: StdHashMap::new(),
            retired: VecDeque::new(),
            next_gen: 1,
            links: BTreeMap::new(),
        })
    }

    /// Number of policy slots.
    pub fn slots(&self) -> u32 {
        self.slots
    }

    /// Heap words in use and the capacity.
    pub fn heap_usage(&self) -> (u64, u32) {
        (self.alloc.used_words(), self.alloc.capacity())
    }

    /// Number of heap regions (distinct tables) in use.
    pub fn heap_regions(&self) -> usize {
        self.alloc.regions()
    }

    fn check_slot(&self, slot: u32) -> Result<(), Error> {
        if slot >= self.slots {
            return Err(Error::SlotOutOfRange {
                slot,
                slots: self.slots,
            });
        }
        Ok(())
    }

    /// Publishes `program` as a new generation in `slot`: its tables are written beside the
    /// live ones (tables already in the heap are shared, not rewritten), then the slot is
    /// switched with one map-of-maps update, after which the previous generation's tables are
    /// released. Packets see either the old or the new generation, never a mix.
    pub fn publish(
        &mut self,
        slot: u32,
        program: Arc<LoweredProgram>,
    ) -> Result<PublishStats, Error> {
        self.check_slot(slot)?;
        let gen_id = self.next_gen;
        let plan = heap::plan(&mut self.alloc, &program, gen_id)?;
        let result = self.write_and_switch(slot, &plan);
        if let Err(e) = result {
            for off in &plan.regions {
                self.alloc.release(*off);
            }
            return Err(e);
        }
        self.next_gen += 1;
        let stats = PublishStats {
            gen_id,
            tables: plan.regions.len(),
            written_tables: plan.writes.len(),
            written_words: plan.written_words(),
            heap_used_words: 0,
        };
        let old = self.live.insert(
            slot,
            Live {
                gen_id,
                program,
                regions: plan.regions,
            },
        );
        if let Some(old) = old {
            self.retire(old);
        }
        Ok(PublishStats {
            heap_used_words: self.alloc.used_words(),
            ..stats
        })
    }

    fn write_and_switch(&mut self, slot: u32, plan: &heap::GenPlan) -> Result<(), Error> {
        for (off, words) in &plan.writes {
            if !self.heap.write(*off as usize, words) {
                return Err(Error::Map {
                    map: "pal_heap",
                    call: "write",
                    message: format!("region at {off} (+{}) outside the heap", words.len()),
                });
            }
        }
        let mut header: Array<MapData, [u8; GEN_SIZE]> =
            Array::create(1, 0).map_err(map_err("pal_gen", "create"))?;
        header
            .set(0, plan.header.encode(), 0)
            .map_err(map_err("pal_gen", "update"))?;
        // One slot update publishes the whole generation. The kernel waits for an RCU grace
        // period before returning from a map-of-maps update, so afterwards no packet still
        // uses the previous header.
        self.gens
            .set(slot, &header, 0)
            .map_err(map_err("pal_gens", "update"))
    }

    fn retire(&mut self, old: Live) {
        for off in &old.regions {
            self.alloc.release(*off);
        }
        self.retired.push_back((old.gen_id, old.program));
        while self.retired.len() > RETIRED {
            self.retired.pop_front();
        }
    }

    /// Empties `slot`: packets that reach it are dropped (fail closed) until a generation is
    /// published again.
    pub fn retract(&mut self, slot: u32) -> Result<(), Error> {
        self.check_slot(slot)?;
        let Some(old) = self.live.remove(&slot) else {
            return Ok(());
        };
        // Deleting from an array of maps also waits for an RCU grace period.
        match glue::delete_elem(self.gens_fd.as_fd(), slot) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
            Err(e) => {
                self.live.insert(slot, old);
                return Err(Error::Map {
                    map: "pal_gens",
                    call: "delete",
                    message: e.to_string(),
                });
            }
        }
        self.retire(old);
        Ok(())
    }

    /// The generation live in `slot` (its ID and program).
    pub fn live(&self, slot: u32) -> Option<(u64, &Arc<LoweredProgram>)> {
        self.live.get(&slot).map(|l| (l.gen_id, &l.program))
    }

    /// The program of a generation that is live or was replaced recently.
    pub fn generation(&self, gen_id: u64) -> Option<&Arc<LoweredProgram>> {
        self.live
            .values()
            .find(|l| l.gen_id == gen_id)
            .map(|l| &l.program)
            .or_else(|| {
                self.retired
                    .iter()
                    .rev()
                    .find(|(g, _)| *g == gen_id)
                    .map(|(_, p)| p)
            })
    }

    /// Configures what runs at `point` of the interface `ifindex`.
    pub fn set_iface(
        &mut self,
        ifindex: u32,
        point: AttachPoint,
        config: &IfaceConfig,
    ) -> Result<(), Error> {
        config.check()?;
        let mut desc = config.desc();
        if ifindex < abi::IFACE_DIRECT {
            desc.flags |= abi::IF_VALID;
            return self
                .ifaces_direct
                .set(ifindex * 3 + point.code(), desc.encode(), 0)
                .map_err(map_err("pal_ifaces_direct", "update"));
        }
        self.ifaces
            .insert(abi::iface_key(ifindex, point.code()), desc.encode(), 0)
            .map_err(map_err("pal_ifaces", "update"))
    }

    /// Removes the configuration of `point` of `ifindex` (its packets then fail closed).
    pub fn remove_iface(&mut self, ifindex: u32, point: AttachPoint) -> Result<(), Error> {
        if ifindex < abi::IFACE_DIRECT {
            return self
                .ifaces_direct
                .set(ifindex * 3 + point.code(), [0u8; abi::IFACE_SIZE], 0)
                .map_err(map_err("pal_ifaces_direct", "update"));
        }
        match self.ifaces.remove(&abi::iface_key(ifindex, point.code())) {
            Ok(()) | Err(aya::maps::MapError::KeyNotFound) => Ok(()),
            Err(e) => Err(map_err("pal_ifaces", "delete")(e)),
        }
    }

    fn tc_prog(&mut self, point: AttachPoint) -> Result<&mut SchedClassifier, Error> {
        let name = match point {
            AttachPoint::TcIngress => PROG_TC_INGRESS,
            AttachPoint::TcEgress => PROG_TC_EGRESS,
            AttachPoint::Xdp => {
                return Err(Error::Config("XDP is not a TC attach point".to_owned()));
            }
        };
        self.ebpf
            .program_mut(name)
            .ok_or_else(|| Error::Load(format!("the BPF object has no program {name}")))?
            .try_into()
            .map_err(|e: aya::programs::ProgramError| Error::Load(e.to_string()))
    }

    /// Attaches the program of `point` to the interface `interface` (TCX for TC; XDP in the
    /// driver's mode when it has one, else generic). Configure the interface with
    /// [`Datapath::set_iface`] first: packets of an unconfigured interface are dropped.
    pub fn attach(&mut self, interface: &str, point: AttachPoint) -> Result<(), Error> {
        let key = (interface.to_owned(), point);
        if self.links.contains_key(&key) {
            return Err(Error::Attach {
                interface: interface.to_owned(),
                point,
                message: "already attached".to_owned(),
            });
        }
        let attach_err = |e: aya::programs::ProgramError| Error::Attach {
            interface: interface.to_owned(),
            point,
            message: e.to_string(),
        };
        let link = match point {
            AttachPoint::TcIngress | AttachPoint::TcEgress => {
                let ty = if point == AttachPoint::TcIngress {
                    TcAttachType::Ingress
                } else {
                    TcAttachType::Egress
                };
                let prog = self.tc_prog(point)?;
                let id = prog
                    .attach_with_options(
                        interface,
                        ty,
                        TcAttachOptions::TcxOrder(LinkOrder::default()),
                    )
                    .map_err(attach_err)?;
                Link::Tc(point, id)
            }
            AttachPoint::Xdp => {
                let prog: &mut Xdp = self
                    .ebpf
                    .program_mut(PROG_XDP)
                    .ok_or_else(|| {
                        Error::Load(format!("the BPF object has no program {PROG_XDP}"))
                    })?
                    .try_into()
                    .map_err(|e: aya::programs::ProgramError| Error::Load(e.to_string()))?;
                Link::Xdp(
                    prog.attach(interface, XdpMode::Default)
                        .map_err(attach_err)?,
                )
            }
        };
        self.links.insert(key, link);
        Ok(())
    }

    /// Detaches the program of `point` from `interface` (a no-op if it is not attached).
    pub fn detach(&mut self, interface: &str, point: AttachPoint) -> Result<(), Error> {
        let Some(link) = self.links.remove(&(interface.to_owned(), point)) else {
            return Ok(());
        };
        let detach_err = |e: aya::programs::ProgramError| Error::Attach {
            interface: interface.to_owned(),
            point,
            message: format!("detach: {e}"),
        };
        match link {
            Link::Tc(p, id) => self.tc_prog(p)?.detach(id).map_err(detach_err),
            Link::Xdp(id) => {
                let prog: &mut Xdp = self
                    .ebpf
                    .program_mut(PROG_XDP)
                    .ok_or_else(|| {
                        Error::Load(format!("the BPF object has no program {PROG_XDP}"))
                    })?
                    .try_into()
                    .map_err(|e: aya::programs::ProgramError| Error::Load(e.to_string()))?;
                prog.detach(id).map_err(detach_err)
            }
        }
    }

    /// The attachments, as (interface, point).
    pub fn attachments(&self) -> Vec<(String, AttachPoint)> {
        self.links.keys().cloned().collect()
    }

    /// Detaches everything.
    pub fn detach_all(&mut self) -> Result<(), Error> {
        let keys: Vec<(String, AttachPoint)> = self.links.keys().cloned().collect();
        let mut first_err = None;
        for (ifname, point) in keys {
            if let Err(e) = self.detach(&ifname, point)
                && first_err.is_none()
            {
                first_err = Some(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// A handle that runs packets through the programs with `BPF_PROG_TEST_RUN`, usable from
    /// other threads while this datapath publishes.
    pub fn runner(&self) -> Result<TestRunner, Error> {
        let fd = |name: &str| -> Result<ProgramFd, Error> {
            let prog = self
                .ebpf
                .program(name)
                .ok_or_else(|| Error::Load(format!("the BPF object has no program {name}")))?;
            let fd = match prog {
                aya::programs::Program::SchedClassifier(p) => p.fd(),
                aya::programs::Program::Xdp(p) => p.fd(),
                _ => return Err(Error::Load(format!("{name} has an unexpected type"))),
            }
            .map_err(|e| Error::Load(e.to_string()))?;
            fd.try_clone().map_err(|e| Error::Load(e.to_string()))
        };
        Ok(TestRunner {
            tc_ingress: Arc::new(fd(PROG_TC_INGRESS)?),
            tc_egress: Arc::new(fd(PROG_TC_EGRESS)?),
            xdp: Arc::new(fd(PROG_XDP)?),
        })
    }

    /// Takes every event waiting on the ring.
    pub fn drain_events(&mut self) -> Vec<Event> {
        let mut raw = Vec::new();
        while let Some(item) = self.events.next() {
            if let Some(ev) = RawEvent::decode(&item) {
                raw.push(ev);
            }
        }
        raw.into_iter().map(|r| self.event(r)).collect()
    }

    fn event(&self, r: RawEvent) -> Event {
        let origin = self
            .generation(r.gen_id)
            .and_then(|p| p.origin(r.rule))
            .cloned();
        let l4 = match r.l4 {
            abi::L4_PORTS => L4::Ports {
                src: r.sport,
                dst: r.dport,
            },
            abi::L4_ICMP => L4::Icmp {
                icmp_type: r.icmp_type,
                code: r.icmp_code,
            },
            _ => L4::None,
        };
        Event {
            kind: if r.kind == abi::EV_PASS {
                EventKind::Pass
            } else {
                EventKind::Log
            },
            slot: r.slot,
            gen_id: r.gen_id,
            rule: r.rule,
            origin,
            ifindex: r.ifindex,
            point: AttachPoint::from_code(u32::from(r.point)),
            src: r.src,
            dst: r.dst,
            protocol: r.proto,
            l4,
        }
    }

    /// The conntrack table.
    pub fn conntrack(&self) -> Result<Vec<CtEntry>, Error> {
        let mut out = Vec::new();
        for item in self.ct.iter() {
            let (k, v) = item.map_err(map_err("pal_ct", "iterate"))?;
            let Some(e) = RawCtEntry::decode(&k, &v) else {
                continue;
            };
            let (initiator, responder) = if e.init_is_a {
                ((e.a, e.pa), (e.b, e.pb))
            } else {
                ((e.b, e.pb), (e.a, e.pa))
            };
            out.push(CtEntry {
                ifindex: e.ifindex,
                point: AttachPoint::from_code(e.point),
                protocol: e.proto,
                initiator,
                responder,
                host_local: e.host_local,
                slot: e.slot,
                rule: e.rule,
                last_seen_ns: e.last_seen_ns,
            });
        }
        Ok(out)
    }

    /// Forgets every conntrack entry.
    pub fn flush_conntrack(&mut self) -> Result<(), Error> {
        let keys: Vec<[u8; abi::CT_KEY_SIZE]> = self
            .ct
            .keys()
            .collect::<Result<_, _>>()
            .map_err(map_err("pal_ct", "iterate"))?;
        for k in keys {
            match self.ct.remove(&k) {
                Ok(()) | Err(aya::maps::MapError::KeyNotFound) => {}
                Err(e) => return Err(map_err("pal_ct", "delete")(e)),
            }
        }
        Ok(())
    }
}

impl Drop for Datapath {
    fn drop(&mut self) {
        // Links detach when their descriptors close; do it explicitly first so that nothing
        // stays attached even if a descriptor leaked elsewhere.
        let _ = self.detach_all();
    }
}

/// Runs packets through the datapath's programs with `BPF_PROG_TEST_RUN`. Cheap to clone, and
/// usable from any thread.
#[derive(Clone, Debug)]
pub struct TestRunner {
    tc_ingress: Arc<ProgramFd>,
    tc_egress: Arc<ProgramFd>,
    xdp: Arc<ProgramFd>,
}

impl TestRunner {
    /// Runs an Ethernet `frame` through the program of `point`, `repeat` times, on the
    /// loopback interface of the calling thread's network namespace (so the interface
    /// configuration for ifindex 1 applies). The outcome is read from the report the program
    /// writes when the interface has `report` set; otherwise only `retval` is meaningful.
    pub fn run(&self, point: AttachPoint, frame: &[u8], repeat: u32) -> Result<RunReport, Error> {
        self.run_received(point, frame, repeat, 0)
    }

    /// As [`TestRunner::run`], with the packet marked as received through interface
    /// `ingress_ifindex` (`__sk_buff.ingress_ifindex` of the test run's context; 0: sent by
    /// the host itself, as [`TestRunner::run`] does). At TC egress a non-zero value makes the
    /// packet forwarded, so [`IfaceConfig::host_local`] does not apply to it. Ignored for XDP.
    pub fn run_received(
        &self,
        point: AttachPoint,
        frame: &[u8],
        repeat: u32,
        ingress_ifindex: u32,
    ) -> Result<RunReport, Error> {
        match point {
            AttachPoint::TcIngress | AttachPoint::TcEgress => {
                let fd = if point == AttachPoint::TcIngress {
                    &self.tc_ingress
                } else {
                    &self.tc_egress
                };
                let mut ctx_in = [0u8; abi::SKB_SIZE];
                ctx_in[abi::SKB_INGRESS_IFINDEX..abi::SKB_INGRESS_IFINDEX + 4]
                    .copy_from_slice(&ingress_ifindex.to_ne_bytes());
                let mut ctx_out = [0u8; abi::SKB_SIZE];
                let mut data_out = vec![0u8; frame.len() + 256];
                let out = glue::test_run(
                    fd.as_fd(),
                    frame,
                    Some(&mut data_out),
                    Some(&ctx_in),
                    Some(&mut ctx_out),
                    repeat.max(1),
                )
                .map_err(Error::TestRun)?;
                let cb = |i: usize| abi::read_u32(&ctx_out, abi::SKB_CB + 4 * i);
                Ok(RunReport {
                    status: Status::from_code(cb(0)).unwrap_or(if out.retval == 2 {
                        Status::Deny
                    } else {
                        Status::Allow
                    }),
                    rule: cb(1),
                    slot: cb(2),
                    gen_lo: cb(3),
                    retval: out.retval,
                    duration_ns: out.duration_ns,
                    events: cb(4) as u16,
                    events_lost: (cb(4) >> 16) as u16,
                })
            }
            AttachPoint::Xdp => {
                let mut data_out = vec![0u8; frame.len() + 256];
                let out = glue::test_run(
                    self.xdp.as_fd(),
                    frame,
                    Some(&mut data_out),
                    None,
                    None,
                    repeat.max(1),
                )
                .map_err(Error::TestRun)?;
                let meta = |i: usize| abi::read_u32(&data_out, 4 * i);
                let reported =
                    (out.data_size_out as usize) >= frame.len() + 24 && meta(0) == abi::META_MAGIC;
                let status = if reported {
                    Status::from_code(meta(1))
                } else {
                    None
                };
                Ok(RunReport {
                    status: status.unwrap_or(if out.retval == 1 {
                        Status::Deny
                    } else {
                        Status::Allow
                    }),
                    rule: if reported { meta(2) } else { 0 },
                    slot: if reported { meta(3) } else { 0 },
                    gen_lo: if reported { meta(4) } else { 0 },
                    retval: out.retval,
                    duration_ns: out.duration_ns,
                    events: if reported { meta(5) as u16 } else { 0 },
                    events_lost: if reported { (meta(5) >> 16) as u16 } else { 0 },
                })
            }
        }
    }
}
