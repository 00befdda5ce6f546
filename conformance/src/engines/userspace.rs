//! The userspace engines: the reference evaluator, the IR evaluator and the fast classifier.

use std::sync::Arc;

use palisade_compiler::classifier::FastEngine;
use palisade_compiler::{IrEngine, ReferenceEngine};

use super::{Availability, EngineAdapter, FlowEngine, FlowEvaluator};
use crate::case::EngineName;
use crate::cluster::{Cluster, Mode};

/// The reference evaluator: walks the model itself, no compilation (the oracle).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReferenceAdapter;

impl EngineAdapter for ReferenceAdapter {
    fn name(&self) -> &str {
        "reference"
    }

    fn skip_key(&self) -> EngineName {
        EngineName::Reference
    }

    fn availability(&self) -> Availability {
        Availability::Available
    }

    fn load<'a>(
        &'a self,
        cluster: &'a Cluster,
        mode: Mode,
    ) -> Result<Box<dyn FlowEngine + 'a>, String> {
        let engine = ReferenceEngine::new(cluster.model(), &cluster.compile_options(mode));
        Ok(Box::new(FlowEvaluator::new(cluster.model(), engine)))
    }
}

/// The IR evaluator: walks each compiled program rule by rule.
#[derive(Debug, Clone, Copy, Default)]
pub struct IrAdapter;

impl EngineAdapter for IrAdapter {
    fn name(&self) -> &str {
        "ir"
    }

    fn skip_key(&self) -> EngineName {
        EngineName::Ir
    }

    fn availability(&self) -> Availability {
        Availability::Available
    }

    fn load<'a>(
        &'a self,
        cluster: &'a Cluster,
        mode: Mode,
    ) -> Result<Box<dyn FlowEngine + 'a>, String> {
        let snapshot = cluster.snapshot(mode)?;
        Ok(Box::new(FlowEvaluator::new(
            cluster.model(),
            IrEngine::new(snapshot),
        )))
    }
}

/// The fast classifier: per-field lookup tables built from each compiled program.
#[derive(Debug, Clone, Copy, Default)]
pub struct FastAdapter;

impl EngineAdapter for FastAdapter {
    fn name(&self) -> &str {
        "fast"
    }

    fn skip_key(&self) -> EngineName {
        EngineName::Fast
    }

    fn availability(&self) -> Availability {
        Availability::Available
    }

    fn load<'a>(
        &'a self,
        cluster: &'a Cluster,
        mode: Mode,
    ) -> Result<Box<dyn FlowEngine + 'a>, String> {
        let snapshot = cluster.snapshot(mode)?;
        Ok(Box::new(FlowEvaluator::new(
            cluster.model(),
            FastEngine::new(Arc::clone(snapshot)),
        )))
    }
}
