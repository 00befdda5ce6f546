//! Test support (feature `testing`): item builders, proptest generators for random models and
//! packets, and the scale scenario. Shared by this crate's tests, the benches and the
//! conformance suite.

pub mod build;
pub mod generators;
pub mod scale;
