//! The nftables engine: every program of the compiled snapshot is lowered into the oracle
//! table and applied in a private network namespace once per cluster (or batch of clusters);
//! each endpoint hook is decided by sending a crafted packet through it and reading the
//! table's counters (`palisade_dataplane_nft::engine::NftEngine`).
//!
//! Available only as root, when the oracle starts (the probe loads an empty snapshot once per
//! process: namespaces, nftables, raw sockets and the `ip` tool must all work), and when the
//! crate was built with the `nft` feature.

use super::{Availability, EngineAdapter, FlowEngine};
use crate::case::EngineName;
use crate::cluster::{Cluster, Mode};

/// The nftables engine adapter (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct NftAdapter;

impl EngineAdapter for NftAdapter {
    fn name(&self) -> &str {
        "nft"
    }

    fn skip_key(&self) -> EngineName {
        EngineName::Nft
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

#[cfg(feature = "nft")]
mod imp {
    use std::sync::OnceLock;

    use palisade_compiler::Snapshot;
    use palisade_dataplane_nft::engine::NftEngine;
    use palisade_dataplane_nft::lower::LowerOptions;

    use crate::cluster::{Cluster, Mode};
    use crate::engines::{Availability, Unavailable};
    use crate::engines::{FlowEngine, FlowEvaluator, load_merged_in_groups, privilege};

    /// Clusters per oracle table. After every packet the oracle reads all the table's
    /// counters, so a packet costs time in proportion to the table, while each table costs a
    /// network namespace to set up. Measured (debug build, loaded machine), nft time for the
    /// corpus / 300 generated cases: groups of 1: 22 s / 2.7 s; 4: 10.0 s / 2.6 s; 8: 6.4 s /
    /// 4.1 s; 32: 10.7 s / 6.0 s. Each group is loaded once for all its flows.
    const GROUP: usize = 4;

    pub(super) fn availability() -> Availability {
        static PROBE: OnceLock<Availability> = OnceLock::new();
        PROBE
            .get_or_init(|| {
                if !privilege().is_root() {
                    return Availability::Unavailable {
                        kind: Unavailable::NotPrivileged,
                        reason: "the nftables oracle needs root (network namespaces, raw \
                                 sockets); not running as root"
                            .to_owned(),
                    };
                }
                match NftEngine::new(&Snapshot::default(), &LowerOptions::default()) {
                    Ok(_) => Availability::Available,
                    Err(e) => Availability::Unavailable {
                        kind: Unavailable::KernelFeature,
                        reason: format!("the nftables oracle does not start: {e}"),
                    },
                }
            })
            .clone()
    }

    fn build(snapshot: &Snapshot) -> Result<NftEngine, String> {
        NftEngine::new(snapshot, &LowerOptions::default())
            .map_err(|e| format!("loading the nftables oracle: {e}"))
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
        load_merged_in_groups(clusters, GROUP, build)
    }
}

#[cfg(not(feature = "nft"))]
mod imp {
    use crate::cluster::{Cluster, Mode};
    use crate::engines::FlowEngine;
    use crate::engines::{Availability, Unavailable};

    const NOT_BUILT: &str = "palisade-conformance was built without the `nft` feature";

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
