//! [`IrEngine`]: the IR evaluator as an [`Engine`] over a [`Snapshot`].

use crate::decision::Decision;
use crate::engine::{Engine, EngineError, HttpRequest};
use crate::ir::{ProgramTarget, evaluate};
use crate::packet::PacketRepr;
use crate::snapshot::Snapshot;

/// Decides by walking the snapshot's program for the target rule by rule ([`evaluate`]).
#[derive(Clone, Copy, Debug)]
pub struct IrEngine<'s> {
    snapshot: &'s Snapshot,
}

impl<'s> IrEngine<'s> {
    /// An engine over `snapshot`.
    pub fn new(snapshot: &'s Snapshot) -> IrEngine<'s> {
        IrEngine { snapshot }
    }
}

impl Engine for IrEngine<'_> {
    fn name(&self) -> &str {
        "ir"
    }

    fn decide(
        &self,
        target: &ProgramTarget,
        packet: &PacketRepr,
        _http: Option<&HttpRequest>,
    ) -> Result<Decision, EngineError> {
        let program = self
            .snapshot
            .program(target)
            .ok_or_else(|| EngineError::UnknownTarget(target.to_string()))?;
        Ok(evaluate(program, packet, &self.snapshot.sets))
    }
}
