//! Shared helpers of the kernel tests: privilege checks, namespaces, the `nft` tool, and
//! snapshot builders.
#![allow(dead_code)]

pub(crate) mod kernel;
pub(crate) mod random;
pub(crate) mod snap;
