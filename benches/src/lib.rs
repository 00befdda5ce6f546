//! Criterion benchmarks for Palisade (see `benches/`), and what the benches share: a CPU-time
//! measurement, a deterministic random source, process facts (root, peak memory) and the tiered
//! rule scenario the classifier and eBPF benches measure.

pub mod cpu_time;
pub mod process;
pub mod rng;
pub mod tiered;
