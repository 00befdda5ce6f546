//! The eBPF datapath engine: every program of the compiled snapshot is loaded into a private
//! copy of the datapath once per cluster, and each endpoint hook is decided by running a crafted
//! frame through it with `BPF_PROG_TEST_RUN` (`palisade_dataplane_ebpf::engine::EbpfEngine`).
//!
//! Available only as root, when the datapath loads (the probe loads an empty snapshot once per
//! process), and when the crate was built with the `ebpf` feature.

use super::{Availability, EngineAdapter, FlowEngine};
use crate::case::EngineName;
use crate::cluster::{Cluster, Mode};

/// The eBPF engine adapter (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct EbpfAdapter;

impl EngineAdapter for EbpfAdapter {
    fn name(&self) -> &str {
        "ebpf"
    }

    fn skip_key(&self) -> EngineName {
        EngineName::Ebpf
    }

    fn is_kernel(&self) -> bool {
        true
    }

    fn availability(&self) -> Availability {
        imp::availability()
    }

    fn load<'a>(
        &'a self,
        cluster: &'a Cluster,
        mode: Mode,
    ) -> Result<Box<dyn FlowEngine + 'a>, String> {
        imp::load(cluster, mode)
    }

    fn load_many<'a>(
        &'a self,
        clusters: &[(&'a Cluster, Mode)],
    ) -> Vec<Result<Box<dyn FlowEngine + 'a>, String>> {
        imp::load_many(clusters)
    }
}

#[cfg(feature = "ebpf")]
mod imp {
    use std::sync::OnceLock;

    use palisade_compiler::Snapshot;
    use palisade_dataplane_ebpf::engine::EbpfEngine;

    use crate::cluster::{Cluster, Mode};
    use crate::engines::{Availability, Unavailable};
    use crate::engines::{FlowEngine, FlowEvaluator, load_merged, privilege};

    pub(super) fn availability() -> Availability {
        static PROBE: OnceLock<Availability> = OnceLock::new();
        PROBE
            .get_or_init(|| {
                if !privilege().is_root() {
                    return Availability::Unavailable {
                        kind: Unavailable::NotPrivileged,
                        reason: "BPF_PROG_TEST_RUN needs root; not running as root".to_owned(),
                    };
                }
                match EbpfEngine::new(&Snapshot::default()) {
                    Ok(_) => Availability::Available,
                    Err(e) => Availability::Unavailable {
                        kind: Unavailable::KernelFeature,
                        reason: format!("the datapath does not load: {e}"),
                    },
                }
            })
            .clone()
    }

    fn build(snapshot: &Snapshot) -> Result<EbpfEngine, String> {
        EbpfEngine::new(snapshot).map_err(|e| format!("loading the datapath: {e}"))
    }

    pub(super) fn load<'c>(
        cluster: &'c Cluster,
        mode: Mode,
    ) -> Result<Box<dyn FlowEngine + 'c>, String> {
        let engine = build(cluster.snapshot(mode)?)?;
        Ok(Box::new(FlowEvaluator::new(cluster.model(), engine)))
    }

    pub(super) fn load_many<'c>(
        clusters: &[(&'c Cluster, Mode)],
    ) -> Vec<Result<Box<dyn FlowEngine + 'c>, String>> {
        load_merged(clusters, build)
    }
}

#[cfg(not(feature = "ebpf"))]
mod imp {
    use crate::cluster::{Cluster, Mode};
    use crate::engines::FlowEngine;
    use crate::engines::{Availability, Unavailable};

    const NOT_BUILT: &str = "palisade-conformance was built without the `ebpf` feature";

    pub(super) fn availability() -> Availability {
        Availability::Unavailable {
            kind: Unavailable::NotBuilt,
            reason: NOT_BUILT.to_owned(),
        }
    }

    pub(super) fn load<'c>(
        _cluster: &'c Cluster,
        _mode: Mode,
    ) -> Result<Box<dyn FlowEngine + 'c>, String> {
        Err(NOT_BUILT.to_owned())
    }

    pub(super) fn load_many<'c>(
        clusters: &[(&'c Cluster, Mode)],
    ) -> Vec<Result<Box<dyn FlowEngine + 'c>, String>> {
        clusters.iter().map(|_| Err(NOT_BUILT.to_owned())).collect()
    }
}
