//! Engine adapters: every engine the suite compares, behind one trait ([`EngineAdapter`]).
//!
//! An adapter says whether its engine can run here at all ([`Availability`]: kernel engines
//! need root and the kernel features, and must have been built), whether it can express a
//! given cluster, and builds a [`FlowEngine`] from a [`Cluster`] — once per cluster and mode,
//! so that kernel engines load each model once and then evaluate many flows.
//!
//! | adapter | engine |
//! |---|---|
//! | [`ReferenceAdapter`] | the reference evaluator over the model (the oracle) |
//! | [`IrAdapter`] | the IR evaluator over the compiled snapshot |
//! | [`FastAdapter`] | the fast classifier over the compiled snapshot |
//! | [`EbpfAdapter`] | the eBPF datapath, by `BPF_PROG_TEST_RUN` (root) |
//! | [`NftAdapter`] | nftables in a private network namespace (root) |

mod ebpf;
pub mod merge;
mod nft;
mod privilege;
mod userspace;

use std::fmt;

use palisade_compiler::Engine;
use palisade_compiler::flow::{Flow, FlowError, FlowResult, evaluate_flow};
use palisade_policy_model::model::Model;

use crate::case::EngineName;
use crate::cluster::{Cluster, Mode};

pub use ebpf::EbpfAdapter;
pub use nft::NftAdapter;
pub use privilege::{Privilege, privilege};
pub use userspace::{FastAdapter, IrAdapter, ReferenceAdapter};

/// Why an engine cannot run on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unavailable {
    /// The engine is not part of this build (a cargo feature is off, or the backend crate does
    /// not provide an engine yet).
    NotBuilt,
    /// The engine needs root.
    NotPrivileged,
    /// The kernel lacks a feature the engine needs (the probe failed).
    KernelFeature,
}

impl Unavailable {
    /// `NOT BUILT` or `SKIPPED`, as the report prints it.
    pub fn label(self) -> &'static str {
        match self {
            Unavailable::NotBuilt => "NOT BUILT",
            Unavailable::NotPrivileged | Unavailable::KernelFeature => "SKIPPED",
        }
    }
}

/// Whether an engine can run here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// It can.
    Available,
    /// It cannot, and why.
    Unavailable {
        /// The kind of reason.
        kind: Unavailable,
        /// The reason, for the report.
        reason: String,
    },
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Availability::Available => f.write_str("ran"),
            Availability::Unavailable { kind, reason } => write!(f, "{} ({reason})", kind.label()),
        }
    }
}

/// An engine built for one cluster and mode: decides flows.
pub trait FlowEngine {
    /// The decisions of `flow` (DECISIONS D6): an error when the flow cannot be evaluated
    /// (e.g. an unknown endpoint) or the engine fails. An
    /// [`EngineError::Unsupported`](palisade_compiler::EngineError::Unsupported) error means the
    /// engine cannot express what the flow needs; the runner reports it as a skip.
    fn evaluate(&self, flow: &Flow) -> Result<FlowResult, FlowError>;
}

/// A [`FlowEngine`] made of a model and any [`Engine`]: flows are composed by the compiler's
/// [`evaluate_flow`], so every engine gets exactly the same flow semantics and differs only in
/// how it decides each endpoint hook.
#[derive(Debug)]
pub struct FlowEvaluator<'m, E> {
    model: &'m Model,
    engine: E,
}

impl<'m, E: Engine> FlowEvaluator<'m, E> {
    /// Evaluates flows of `model` with `engine`.
    pub fn new(model: &'m Model, engine: E) -> FlowEvaluator<'m, E> {
        FlowEvaluator { model, engine }
    }

    /// The engine.
    pub fn engine(&self) -> &E {
        &self.engine
    }
}

impl<E: Engine> FlowEngine for FlowEvaluator<'_, E> {
    fn evaluate(&self, flow: &Flow) -> Result<FlowResult, FlowError> {
        evaluate_flow(&self.engine, self.model, flow)
    }
}

/// One engine as the conformance suite sees it (see the module documentation).
pub trait EngineAdapter: Send + Sync {
    /// The name in reports and in `PALISADE_CONFORMANCE_ENGINES`.
    fn name(&self) -> &str;

    /// The engine whose entry in a case's `skip` map applies to this adapter.
    fn skip_key(&self) -> EngineName;

    /// True for engines that run in the kernel (`PALISADE_REQUIRE_KERNEL_ENGINES` applies).
    fn is_kernel(&self) -> bool {
        false
    }

    /// Whether the engine can run on this machine (probed once and remembered).
    fn availability(&self) -> Availability;

    /// Why the engine cannot express `cluster` in `mode`, if it cannot: the cluster's flows are
    /// then reported as skipped with this reason (never as passed).
    fn cannot_express(&self, _cluster: &Cluster, _mode: Mode) -> Option<String> {
        None
    }

    /// Builds the engine for `cluster` in `mode` (kernel engines load the compiled model here,
    /// once for all the flows that follow).
    fn load<'a>(
        &'a self,
        cluster: &'a Cluster,
        mode: Mode,
    ) -> Result<Box<dyn FlowEngine + 'a>, String>;

    /// Builds the engines for several clusters, in order. The default builds each with
    /// [`EngineAdapter::load`]; kernel adapters merge the compiled snapshots
    /// ([`merge::merge`]) and load the batch into the kernel once.
    fn load_many<'a>(
        &'a self,
        clusters: &[(&'a Cluster, Mode)],
    ) -> Vec<Result<Box<dyn FlowEngine + 'a>, String>> {
        clusters.iter().map(|(c, m)| self.load(c, *m)).collect()
    }
}

/// Loads a batch of clusters into one engine built by `build` from their merged snapshot
/// (see [`merge`]); each cluster gets a [`FlowEvaluator`] over its part. When the merged load
/// fails, each cluster is loaded alone, so that the failure is reported against the cluster
/// that causes it.
pub fn load_merged<'a, E, F>(
    clusters: &[(&'a Cluster, Mode)],
    build: F,
) -> Vec<Result<Box<dyn FlowEngine + 'a>, String>>
where
    E: Engine + 'a,
    F: Fn(&palisade_compiler::Snapshot) -> Result<E, String>,
{
    let single = |cluster: &'a Cluster, mode: Mode| -> Result<Box<dyn FlowEngine + 'a>, String> {
        let snapshot = cluster.snapshot(mode)?;
        let engine = build(snapshot)?;
        Ok(Box::new(FlowEvaluator::new(cluster.model(), engine)))
    };
    let snapshots: Vec<Result<&std::sync::Arc<palisade_compiler::Snapshot>, String>> =
        clusters.iter().map(|(c, m)| c.snapshot(*m)).collect();
    let ok: Vec<usize> = (0..clusters.len())
        .filter(|&i| snapshots[i].is_ok())
        .collect();
    let parts: Vec<&palisade_compiler::Snapshot> = ok
        .iter()
        .filter_map(|&i| snapshots[i].as_ref().ok().map(|s| &***s))
        .collect();
    let merged = if parts.len() > 1 {
        merge::merge(&parts).and_then(|m| build(&m))
    } else {
        Err("a batch of one".to_owned())
    };
    match merged {
        Ok(engine) => {
            let engine = std::sync::Arc::new(engine);
            let mut out: Vec<Result<Box<dyn FlowEngine + 'a>, String>> = Vec::new();
            let mut part = 0;
            for (i, (cluster, _)) in clusters.iter().enumerate() {
                match &snapshots[i] {
                    Err(e) => out.push(Err(e.clone())),
                    Ok(_) => {
                        let prefixed = merge::Prefixed::new(
                            std::sync::Arc::clone(&engine),
                            merge::part_prefix(part),
                        );
                        part += 1;
                        out.push(Ok(Box::new(FlowEvaluator::new(cluster.model(), prefixed))));
                    }
                }
            }
            out
        }
        Err(_) => clusters.iter().map(|(c, m)| single(c, *m)).collect(),
    }
}

/// Like [`load_merged`], but merges at most `group` clusters into one engine: the batch is
/// loaded as consecutive groups of `group` clusters (a `group` of 0 counts as 1). Engines whose
/// per-decision cost grows with the size of what is loaded (the nftables oracle reads the
/// table's counters after every packet) use small groups.
pub fn load_merged_in_groups<'a, E, F>(
    clusters: &[(&'a Cluster, Mode)],
    group: usize,
    build: F,
) -> Vec<Result<Box<dyn FlowEngine + 'a>, String>>
where
    E: Engine + 'a,
    F: Fn(&palisade_compiler::Snapshot) -> Result<E, String>,
{
    clusters
        .chunks(group.max(1))
        .flat_map(|chunk| load_merged(chunk, &build))
        .collect()
}

/// The adapter for one of the standard engines.
pub fn adapter(name: EngineName) -> Box<dyn EngineAdapter> {
    match name {
        EngineName::Reference => Box::new(ReferenceAdapter),
        EngineName::Ir => Box::new(IrAdapter),
        EngineName::Fast => Box::new(FastAdapter),
        EngineName::Ebpf => Box::new(EbpfAdapter),
        EngineName::Nft => Box::new(NftAdapter),
    }
}

/// The adapters of every standard engine, reference first.
pub fn standard_adapters() -> Vec<Box<dyn EngineAdapter>> {
    EngineName::ALL.iter().map(|n| adapter(*n)).collect()
}
