//! Shared test support.

pub(crate) mod generate;
pub(crate) mod kernel;
