//! Criterion benchmarks for Palisade (see `benches/`).
