//! [`EbpfEngine`]: the eBPF datapath as a [`palisade_compiler::Engine`]. Every program of a
//! [`Snapshot`] is lowered and published into its own slot of a private copy of the datapath;
//! each decision runs a crafted frame through the TC program with `BPF_PROG_TEST_RUN` and reads
//! the verdict and deciding rule the program reports, and the Log/Pass steps from the event ring.
//!
//! Test runs go through the loopback interface of the calling thread's network namespace: the
//! engine configures ifindex 1 (TC ingress) of its own maps to run the target's slot,
//! statelessly (a decision is about the first packet of a flow), with reporting and tracing on.
//! Nothing is attached anywhere. Every test run's context marks the packet as received through
//! the loopback interface (`__sk_buff.ingress_ifindex`), i.e. as cluster traffic, never as a
//! packet the host itself sends (which the dataplane lets through a workload's ingress hook
//! without policy, SEMANTICS §3); the engine's interface configuration has no such exemption
//! either, so every hook, workload ingress included, is evaluated by its policy.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use palisade_compiler::ir::{Program, ProgramTarget};
use palisade_compiler::packet::PacketRepr;
use palisade_compiler::{Decision, Engine, EngineError, HttpRequest, Snapshot};

use crate::abi::Status;
use crate::error::Error;
use crate::frame;
use crate::lower::{LowerConfig, LowerError, LoweredProgram, interp, lower};
use crate::sys::{
    AttachPoint, Datapath, DatapathConfig, EventKind, IfaceConfig, Stage, TestRunner,
};

const NAME: &str = "ebpf";
/// The loopback interface's index, which test runs use.
const LOOPBACK: u32 = 1;

/// How the engine loads its datapath.
#[derive(Clone, Debug, Default)]
pub struct EngineConfig {
    /// How programs are lowered (the classifier's budget).
    pub lower: LowerConfig,
    /// Map sizes; the heap and slots are raised to fit the snapshot when smaller.
    pub datapath: DatapathConfig,
}

enum SlotState {
    Ready(Arc<LoweredProgram>),
    Unsupported(LowerError),
}

struct State {
    dp: Datapath,
    runner: TestRunner,
    targets: BTreeMap<ProgramTarget, u32>,
    slots: Vec<SlotState>,
    /// The slot the loopback interface currently runs.
    configured: Option<u32>,
}

/// The eBPF datapath as an engine (see the module documentation).
pub struct EbpfEngine {
    state: Mutex<State>,
}

impl std::fmt::Debug for EbpfEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EbpfEngine").finish_non_exhaustive()
    }
}

fn failed(message: impl Into<String>) -> EngineError {
    EngineError::Failed {
        engine: NAME.to_owned(),
        message: message.into(),
    }
}

impl EbpfEngine {
    /// Loads a datapath with every program of `snapshot`. Needs root.
    pub fn new(snapshot: &Snapshot) -> Result<EbpfEngine, Error> {
        EbpfEngine::with_config(snapshot, &EngineConfig::default())
    }

    /// As [`EbpfEngine::new`], with explicit configuration.
    pub fn with_config(snapshot: &Snapshot, config: &EngineConfig) -> Result<EbpfEngine, Error> {
        // Lower every distinct program once.
        let mut distinct: HashMap<&Program, u32> = HashMap::new();
        let mut slots: Vec<SlotState> = Vec::new();
        let mut targets = BTreeMap::new();
        let mut words = 0usize;
        for (target, program) in &snapshot.programs {
            let slot = match distinct.get(&**program) {
                Some(&s) => s,
                None => {
                    let s = slots.len() as u32;
                    let state = match lower(program, &snapshot.sets, &config.lower) {
                        Ok(p) => {
                            words += p.words();
                            SlotState::Ready(Arc::new(p))
                        }
                        Err(e) => SlotState::Unsupported(e),
                    };
                    slots.push(state);
                    distinct.insert(program, s);
                    s
                }
            };
            targets.insert(target.clone(), slot);
        }
        let want_words =
            u32::try_from(words.saturating_mul(2).saturating_add(1 << 16)).unwrap_or(u32::MAX);
        let dp_config = config
            .datapath
            .clone()
            .heap_words(config.datapath.get_heap_words().max(want_words))
            .slots(config.datapath.get_slots().max(slots.len() as u32 + 1));
        let mut dp = Datapath::load(&dp_config)?;
        for (slot, state) in slots.iter().enumerate() {
            if let SlotState::Ready(p) = state {
                dp.publish(slot as u32, Arc::clone(p))?;
            }
        }
        let runner = dp.runner()?;
        Ok(EbpfEngine {
            state: Mutex::new(State {
                dp,
                runner,
                targets,
                slots,
                configured: None,
            }),
        })
    }

    /// Decides many packets for one target (cheaper than one [`Engine::decide`] each).
    pub fn decide_all(
        &self,
        target: &ProgramTarget,
        packets: &[PacketRepr],
    ) -> Result<Vec<Decision>, EngineError> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| failed("engine state poisoned"))?;
        let slot = *state
            .targets
            .get(target)
            .ok_or_else(|| EngineError::UnknownTarget(target.to_string()))?;
        let program = match state.slots.get(slot as usize) {
            Some(SlotState::Ready(p)) => Arc::clone(p),
            Some(SlotState::Unsupported(e)) => {
                return Err(EngineError::Unsupported {
                    engine: NAME.to_owned(),
                    reason: e.to_string(),
                });
            }
            None => return Err(failed(format!("no slot {slot}"))),
        };
        if state.configured != Some(slot) {
            let mut cfg = IfaceConfig::new(vec![Stage {
                slot,
                untracked: false,
            }]);
            cfg.stateful = false;
            cfg.report = true;
            cfg.trace = true;
            state
                .dp
                .set_iface(LOOPBACK, AttachPoint::TcIngress, &cfg)
                .map_err(|e| failed(e.to_string()))?;
            state.configured = Some(slot);
        }
        let gen_id = state.dp.live(slot).map(|(g, _)| g).unwrap_or(0);
        // Events of earlier runs are not ours.
        state.dp.drain_events();
        // Every packet must exist on the wire before any runs.
        let frames = packets
            .iter()
            .map(|p| {
                frame::emit(p).map_err(|e| EngineError::Unsupported {
                    engine: NAME.to_owned(),
                    reason: format!("{p} cannot be sent as a frame: {e}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(packets.len());
        for (p, frame) in packets.iter().zip(&frames) {
            let report = state
                .runner
                .run_received(AttachPoint::TcIngress, frame, 1, LOOPBACK)
                .map_err(|e| failed(e.to_string()))?;
            let events = state.dp.drain_events();
            if !report.status.by_rule() {
                return Err(failed(format!(
                    "the datapath reported {:?} for {p} (slot {slot})",
                    report.status
                )));
            }
            if report.slot != slot || report.gen_lo != gen_id as u32 {
                return Err(failed(format!(
                    "the report names slot {} generation {}, expected slot {slot} generation {gen_id}",
                    report.slot, report.gen_lo
                )));
            }
            if report.events_lost > 0 {
                return Err(failed(format!(
                    "the event ring had no room for {} of {} events",
                    report.events_lost, report.events
                )));
            }
            let ours = events
                .iter()
                .filter(|e| e.slot == slot && e.gen_id == gen_id)
                .count();
            if ours != usize::from(report.events) {
                return Err(failed(format!(
                    "the program emitted {} events, {} arrived",
                    report.events, ours
                )));
            }
            let steps: Vec<interp::Step> = events
                .iter()
                .filter(|e| e.slot == slot && e.gen_id == gen_id)
                .map(|e| match e.kind {
                    EventKind::Log => interp::Step::Log(e.rule),
                    EventKind::Pass => interp::Step::Pass(e.rule),
                })
                .collect();
            let decision = program.decision(report.rule, &steps).ok_or_else(|| {
                failed(format!(
                    "the datapath named rule {} which does not end the program",
                    report.rule
                ))
            })?;
            if (report.status == Status::Allow)
                != (decision.verdict == palisade_compiler::Verdict::Allow)
            {
                return Err(failed(format!(
                    "status {:?} disagrees with rule {}'s action",
                    report.status, report.rule
                )));
            }
            out.push(decision);
        }
        Ok(out)
    }
}

impl Engine for EbpfEngine {
    fn name(&self) -> &str {
        NAME
    }

    fn decide(
        &self,
        target: &ProgramTarget,
        packet: &PacketRepr,
        _http: Option<&HttpRequest>,
    ) -> Result<Decision, EngineError> {
        let mut all = self.decide_all(target, std::slice::from_ref(packet))?;
        all.pop().ok_or_else(|| failed("no decision"))
    }
}
