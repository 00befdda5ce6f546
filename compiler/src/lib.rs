//! The Palisade compiler: lowers the normalised policy model into a flat match IR per endpoint
//! hook, with shared IP sets and provenance; evaluates it three ways (reference evaluator over
//! the model, IR evaluator, fast classifier); keeps it up to date incrementally.

pub mod decision;
pub mod engine;
pub mod ir;
pub mod packet;
pub mod snapshot;

pub use decision::{Decision, Step, Verdict};
pub use engine::{Engine, EngineError, HttpRequest};
pub use snapshot::Snapshot;
