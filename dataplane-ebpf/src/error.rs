//! The crate's error type.

use std::io;

use crate::heap::HeapError;
use crate::lower::LowerError;
use crate::sys::AttachPoint;

/// What went wrong in the eBPF dataplane.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The BPF object could not be loaded.
    #[error("loading the eBPF object failed: {0}")]
    Load(String),
    /// The kernel refused a program (the verifier's verdict is in `message`).
    #[error("the kernel refused program {program}: {message}")]
    Program {
        /// The program.
        program: &'static str,
        /// The kernel's message (with the tail of the verifier log, if any).
        message: String,
    },
    /// Not permitted: loading BPF programs needs root (CAP_BPF, CAP_NET_ADMIN).
    #[error("{0}: permission denied (the eBPF dataplane needs root: CAP_BPF and CAP_NET_ADMIN)")]
    Permission(String),
    /// A map operation failed.
    #[error("{call} on map {map} failed: {message}")]
    Map {
        /// The map.
        map: &'static str,
        /// The operation.
        call: &'static str,
        /// What the kernel said.
        message: String,
    },
    /// A program could not be lowered.
    #[error(transparent)]
    Lower(#[from] LowerError),
    /// The policy heap is full.
    #[error(transparent)]
    Heap(#[from] HeapError),
    /// A slot number beyond the datapath's slots.
    #[error("slot {slot} is out of range (the datapath has {slots} slots)")]
    SlotOutOfRange {
        /// The slot.
        slot: u32,
        /// Number of slots.
        slots: u32,
    },
    /// Attaching or detaching failed.
    #[error("attaching to {interface} ({point}) failed: {message}")]
    Attach {
        /// The interface.
        interface: String,
        /// The attach point.
        point: AttachPoint,
        /// Why.
        message: String,
    },
    /// `BPF_PROG_TEST_RUN` failed.
    #[error("BPF_PROG_TEST_RUN failed: {0}")]
    TestRun(io::Error),
    /// An invalid configuration.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A name that does not resolve.
    #[error("no network interface named {0:?}")]
    NoInterface(String),
}

impl Error {
    pub(crate) fn from_load(e: &aya::EbpfError) -> Error {
        let text = format!("{e}");
        if text.contains("Operation not permitted") || text.contains("EPERM") {
            return Error::Permission(text);
        }
        Error::Load(text)
    }

    pub(crate) fn from_program(program: &'static str, e: &aya::programs::ProgramError) -> Error {
        let mut message = e.to_string();
        if let aya::programs::ProgramError::LoadError {
            io_error,
            verifier_log,
        } = e
        {
            if io_error.raw_os_error() == Some(libc::EPERM) {
                return Error::Permission(format!("loading {program}"));
            }
            let log = verifier_log.to_string();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            message = format!(
                "{io_error}; verifier log (last lines):\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        Error::Program { program, message }
    }
}
