//! [`FastEngine`]: the fast classifier behind the [`Engine`] trait.

use std::sync::{Arc, OnceLock};

use ahash::AHashMap;

use super::Classifier;
use super::build::BuildError;
use super::config::ClassifierConfig;
use crate::decision::Decision;
use crate::engine::{Engine, EngineError, HttpRequest};
use crate::ir::ProgramTarget;
use crate::packet::PacketRepr;
use crate::snapshot::Snapshot;

/// Decides with one [`Classifier`] per distinct program of a [`Snapshot`]. Classifiers are built
/// on first use and cached by program identity (the snapshot shares identical programs through
/// one `Arc`, so endpoints with the same policy share one classifier). `http` is ignored: the IR
/// has no L7 matches (DECISIONS D9).
#[derive(Debug)]
pub struct FastEngine {
    snapshot: Arc<Snapshot>,
    config: ClassifierConfig,
    /// By `Arc::as_ptr` of the program; the snapshot keeps every program alive, so pointers
    /// stay unique.
    classifiers: AHashMap<usize, OnceLock<Result<Arc<Classifier>, BuildError>>>,
}

impl FastEngine {
    /// An engine over `snapshot` with the default budget.
    pub fn new(snapshot: Arc<Snapshot>) -> FastEngine {
        FastEngine::with_config(snapshot, ClassifierConfig::default())
    }

    /// An engine over `snapshot` with `config`'s budget.
    pub fn with_config(snapshot: Arc<Snapshot>, config: ClassifierConfig) -> FastEngine {
        let classifiers = snapshot
            .programs
            .values()
            .map(|p| (Arc::as_ptr(p) as usize, OnceLock::new()))
            .collect();
        FastEngine {
            snapshot,
            config,
            classifiers,
        }
    }

    /// The snapshot.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The classifier of the program at `target`, built on first use.
    pub fn classifier(&self, target: &ProgramTarget) -> Result<Arc<Classifier>, EngineError> {
        let program = self
            .snapshot
            .program(target)
            .ok_or_else(|| EngineError::UnknownTarget(target.to_string()))?;
        let slot = self
            .classifiers
            .get(&(Arc::as_ptr(program) as usize))
            .ok_or_else(|| EngineError::UnknownTarget(target.to_string()))?;
        slot.get_or_init(|| {
            Classifier::build_with(program, &self.snapshot.sets, &self.config).map(Arc::new)
        })
        .clone()
        .map_err(|e| EngineError::Failed {
            engine: "fast".to_owned(),
            message: e.to_string(),
        })
    }
}

impl Engine for FastEngine {
    fn name(&self) -> &str {
        "fast"
    }

    fn decide(
        &self,
        target: &ProgramTarget,
        packet: &PacketRepr,
        _http: Option<&HttpRequest>,
    ) -> Result<Decision, EngineError> {
        Ok(self.classifier(target)?.decide(packet))
    }
}
