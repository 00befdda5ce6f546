//! The eBPF dataplane: Palisade's compiled policy enforced by one fixed datapath program per hook
//! type (TC ingress, TC egress, XDP), reading policy from maps only.
//!
//! # Layers
//!
//! - [`lower`] (pure): a [`palisade_compiler::ir::Program`] → the compiler's fast-classifier
//!   tables → heap tables: interval maps for addresses, ports and ICMP, block projections, entry
//!   tables (dense or hashed), step lists and the rule table. [`lower::interp`] walks them exactly
//!   as the datapath does, so the lowering is tested without privileges.
//! - `bpf/palisade.c`: the datapath, compiled by the build script with clang. It parses
//!   Ethernet (two VLAN tags), IPv4 (options) and IPv6 (extension headers, at most eight, as
//!   `packet::wire` does), then TCP/UDP/SCTP/UDP-Lite ports or ICMP type/code; looks up its
//!   interface's stages; and classifies with each stage's current generation. No per-rule
//!   instructions; every loop is bounded.
//! - [`sys`]: the thin aya layer: [`sys::Datapath`] loads the object, publishes generations,
//!   configures interfaces, attaches (TCX, XDP), runs packets with `BPF_PROG_TEST_RUN`, reads
//!   events and conntrack.
//! - [`engine::EbpfEngine`]: the datapath as a `palisade_compiler::Engine` (test runs).
//! - [`dataplane::Dataplane`]: a snapshot enforced on named interfaces (`palisade apply`).
//! - [`dump`]: what the maps would hold (`palisade compile --emit ebpf-maps`).
//!
//! # Decisions
//!
//! - **Policy state and generations.** All tables live in one mmap-able array of 64-bit words
//!   (the heap), written through a memory mapping; tables are shared by content, so a republish
//!   writes only what changed. A generation is a small header map that points into the heap; a
//!   policy *slot* (one per distinct program) is an entry of an array of maps holding the
//!   header. Publishing is one slot update, after which the kernel has waited for an RCU grace
//!   period, so the previous generation's tables are freed safely. An empty slot drops every IP
//!   packet that reaches it. LPM tries were measured at ~90 ns per lookup with 100,000 prefixes
//!   against ~7 ns for a whole empty program, so addresses use interval maps: a direct table on
//!   the top bits, sub-tables on the next bits where boundaries cluster (at most
//!   [`abi::IMAP_MAX_DEPTH`] levels), then a short branch-free binary search (at most
//!   [`abi::MAX_SEARCH`] steps; the builder keeps chunks to a handful of records).
//! - **Finding the endpoint.** The program reads the interface it runs on (`skb->ifindex`, or
//!   the XDP ingress interface) and its attach point, and looks up that interface's stage list
//!   (a direct array for ifindex < 4096, a hash beyond). A stage names a slot and whether it is
//!   untracked. Test runs use the loopback interface (ifindex 1) of the calling thread's
//!   namespace.
//! - **Reporting.** With `report` set, the TC program writes the status, deciding rule, slot and
//!   generation into `skb->cb[0..5]` (returned by test runs in `ctx_out`); the XDP program
//!   prepends them as metadata (returned in `data_out`). With `trace`, Pass rules are put on the
//!   event ring beside Log rules, so a test run yields the whole [`palisade_compiler::Decision`].
//! - **Directions.** A workload's host-side interface runs the workload's *egress* policy at TC
//!   ingress (packets from the workload) and its *ingress* policy at TC egress (packets to it).
//!   A host endpoint's interface runs untracked ingress at XDP, pre-DNAT then host (or forward)
//!   ingress at TC ingress, untracked egress then host (or forward) egress at TC egress.
//! - **Verdicts.** Allow and "no verdict" continue (`TC_ACT_UNSPEC`, letting later TCX programs
//!   run; `XDP_PASS`); Deny drops. Non-IP frames pass; IP frames the parser cannot read safely
//!   (a header beyond the frame, a truncated or over-long IPv6 extension chain) are dropped.
//! - **Conntrack.** An LRU hash keyed by interface and the flow's canonical 5-tuple: the first
//!   packet is classified; an Allow of a tracked stage records the flow with the attach point
//!   that saw it; later packets in that direction and replies at the opposite attach point pass
//!   without policy; ICMP errors quoting a recorded flow pass as related. Denied flows record
//!   nothing. Entries expire after an idle timeout.
//! - **Logs.** Each matching Log rule puts an event on a ring buffer: the rule index, slot and
//!   generation (resolved to the rule's [`palisade_compiler::ir::Origin`] in user space), the
//!   interface and attach point, and the packet's 5-tuple.

pub mod abi;
pub mod contrast;
pub mod dataplane;
pub mod dump;
pub mod engine;
mod error;
pub mod frame;
mod heap;
pub mod lower;
pub mod sys;

pub use dataplane::{ApplyReport, Binding, Dataplane, DataplaneConfig};
pub use engine::{EbpfEngine, EngineConfig};
pub use error::Error;
pub use heap::HeapError;
