//! The Palisade compiler: lowers the normalised policy model into a flat match IR per endpoint
//! hook, with shared IP sets and provenance; evaluates it three ways (reference evaluator over
//! the model, IR evaluator, fast classifier); keeps it up to date incrementally.

pub mod classifier;
pub mod compiler;
pub mod decision;
pub mod engine;
pub mod flow;
pub mod index;
pub mod ir;
pub mod ir_engine;
mod lower;
pub mod packet;
pub mod reference;
pub mod resolve;
pub mod snapshot;
#[cfg(feature = "testing")]
pub mod testing;

pub use compiler::{
    CompileError, CompileErrors, CompileOptions, Compiler, Delta, DnsCache, HttpMode, Limits,
    compile,
};
pub use decision::{Decision, Step, Verdict};
pub use engine::{Engine, EngineError, HttpRequest};
pub use ir_engine::IrEngine;
pub use reference::ReferenceEngine;
pub use snapshot::Snapshot;
