//! The [`Engine`] trait: anything that can decide one program hook for one packet. The reference
//! evaluator, the IR evaluator, the fast classifier and the kernel dataplanes all implement it,
//! so flows, the CLI and the conformance suite treat them as peers.

use crate::decision::Decision;
use crate::ir::ProgramTarget;
use crate::packet::PacketRepr;

/// The application-layer part of a request, for `http` rules (reference evaluator only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct HttpRequest {
    /// HTTP method, e.g. `GET`.
    pub method: Option<String>,
    /// Request path, e.g. `/api/v1`.
    pub path: Option<String>,
}

/// Why an engine could not decide.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The engine has no program for this endpoint hook (unknown endpoint, or a hook the endpoint
    /// kind does not have).
    #[error("no program for {0}")]
    UnknownTarget(String),
    /// The engine cannot express something the input needs.
    #[error("{engine} cannot evaluate this: {reason}")]
    Unsupported {
        /// Engine name.
        engine: String,
        /// What it cannot do.
        reason: String,
    },
    /// The request cannot be evaluated as given (e.g. an HTTP path that does not start with
    /// `/`; SEMANTICS appendix A27).
    #[error("{engine}: invalid request: {reason}")]
    InvalidRequest {
        /// Engine name.
        engine: String,
        /// What is wrong with the request.
        reason: String,
    },
    /// The engine failed (e.g. a kernel call).
    #[error("{engine} failed: {message}")]
    Failed {
        /// Engine name.
        engine: String,
        /// What went wrong.
        message: String,
    },
}

/// Decides one endpoint hook for one packet.
pub trait Engine {
    /// A short name (`reference`, `ir`, `fast`, `ebpf`, `nft`).
    fn name(&self) -> &str;

    /// The decision of the program at `target` for `packet`. `http` carries the request's method
    /// and path when the flow has them (only engines that evaluate `http` look at it).
    fn decide(
        &self,
        target: &ProgramTarget,
        packet: &PacketRepr,
        http: Option<&HttpRequest>,
    ) -> Result<Decision, EngineError>;
}
