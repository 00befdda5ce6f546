//! The nftables dataplane of Palisade.
//!
//! The compiler's IR ([`palisade_compiler::Snapshot`]) is lowered into a [`ruleset::Ruleset`]
//! (one `inet` table) by a pure function ([`lower`]); the same model renders as `nft` text
//! ([`render`]) and encodes into the netlink messages of one batch ([`netlink`]), so the text
//! describes exactly what is applied. [`apply::Applier`] commits rulesets atomically and keeps
//! them up to date incrementally; [`engine::NftEngine`] decides packets through the kernel, in a
//! private network namespace, for the conformance suite and the CLI.
//!
//! All `unsafe` code is in one private module (`ffi`): the libnftnl calls that serialise the
//! batch and a few socket and namespace syscalls.

pub mod apply;
pub mod engine;
pub mod error;
mod ffi;
pub mod kernel;
pub mod lower;
pub mod marks;
mod names;
pub mod netlink;
pub mod netns;
pub mod probe;
pub mod render;
pub mod ruleset;

pub use error::{ApplyError, LowerError, ModelError, NetlinkError};
