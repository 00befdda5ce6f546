//! The `palisade` command line as a library: everything the subcommands share, so that the
//! binary stays a thin layer of argument parsing and the benches measure exactly its path.
//!
//! - [`cluster`]: loading `-f` inputs into the model (problems and conversion errors stop a
//!   command; warnings are shown).
//! - [`backend`]: the engines (`--backend reference|ir|fast|nft|ebpf`), built once, and [`Evaluator`]
//!   which answers flows (DECISIONS D6) with the enforced and, for `--staged`, the pending
//!   verdict.
//! - [`flows`], [`eval`], [`report`], [`explain`]: the streaming `eval` pipeline — flows in
//!   (text or JSON lines), answers out in input order as JSON, JSON lines or a table.
//! - [`matrix`], [`select`], [`dump`], [`dns`]: the other subcommands' work.
//! - [`dataplane`]: the kernel dataplanes — `compile --emit nft|ebpf-maps`, `apply` and
//!   `remove` (`--backend nft|ebpf` is in [`backend`]).
//! - [`examples`]: the example cluster embedded in the binary (`palisade demo`).
//!
//! [`Evaluator`]: backend::Evaluator

pub mod backend;
pub mod cluster;
pub mod dataplane;
pub mod dns;
pub mod dump;
pub mod eval;
pub mod examples;
pub mod explain;
pub mod flows;
pub mod matrix;
pub mod report;
pub mod select;
