//! Fast classifier benches: one endpoint, programs of 10, 100, 1,000 and 10,000 rules that
//! reference 100,000 CIDRs in total, classified by the fast classifier and by the IR evaluator.
//!
//! The programs are `palisade_benches::tiered` scenarios (three tiers ending in Pass, Pass and
//! Deny; rules matching protocol, destination ports and source CIDR sets; Log, Deny and Pass
//! rules among them), with 1,024 packets per program.
//!
//! Groups:
//! - `classifier/fast_classify/N`: verdict and deciding rule, steps into a reused buffer (what a
//!   datapath computes);
//! - `classifier/fast_decide/N`: the full `Decision` (origins cloned, steps allocated);
//! - `classifier/ir_evaluate/N`: the IR evaluator's `Decision`;
//! - `classifier_build/N`: building the classifier.
//!
//! Times are **thread CPU time** (`CLOCK_THREAD_CPUTIME_ID`), not wall time: the benches run on
//! shared machines where wall time also counts the time other processes hold the CPU. Table sizes
//! are printed to stderr once per program. Run:
//! `cargo bench -p palisade-benches --bench classifier`. Figures: `BENCHMARKS.md`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use palisade_benches::cpu_time::ThreadCpuTime;
use palisade_benches::tiered::{Scenario, ScenarioConfig};
use palisade_compiler::classifier::{Classifier, TraceStep};
use palisade_compiler::ir::evaluate;

/// CIDRs referenced by every program, whatever its size.
const TOTAL_CIDRS: usize = 100_000;
/// Policy rules per program.
const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];
/// Packets per program (a power of two).
const PACKETS: usize = 1024;

/// The tiered scenario of `rules` rules.
fn scenario(rules: usize) -> Scenario {
    palisade_benches::tiered::scenario(&ScenarioConfig {
        rules,
        total_cidrs: TOTAL_CIDRS,
        packets: PACKETS,
        seed: 0,
    })
}

fn build(s: &Scenario) -> Classifier {
    match Classifier::build(&s.program, &s.sets) {
        Ok(c) => c,
        Err(e) => panic!("classifier build failed: {e}"),
    }
}

fn per_packet(c: &mut Criterion<ThreadCpuTime>) {
    let mut group = c.benchmark_group("classifier");
    for &n in &SIZES {
        let s = Arc::new(scenario(n));
        let fast = build(&s);
        let st = fast.stats();
        eprintln!(
            "classifier {n} rules: {} IR rules, {} blocks ({} direct), {} keys, {} entries, \
             atoms src-addr {} dst-port {} protocol {}, {:.1} MiB",
            st.rules,
            st.blocks,
            st.direct_blocks.len(),
            st.keys,
            st.entries,
            st.atoms[2],
            st.atoms[5],
            st.atoms[1],
            st.bytes as f64 / (1024.0 * 1024.0),
        );
        let hits = s
            .packets
            .iter()
            .filter(|p| fast.decide(p).verdict == palisade_compiler::Verdict::Allow)
            .count();
        eprintln!("classifier {n} rules: {hits} of {PACKETS} packets allowed");
        group.bench_with_input(BenchmarkId::new("fast_classify", n), &s, |b, s| {
            let mut i = 0usize;
            let mut trace: Vec<TraceStep> = Vec::with_capacity(16);
            b.iter(|| {
                i = (i + 1) & (PACKETS - 1);
                trace.clear();
                fast.classify(black_box(&s.packets[i]), &mut trace)
            });
        });
        group.bench_with_input(BenchmarkId::new("fast_decide", n), &s, |b, s| {
            let mut i = 0usize;
            b.iter(|| {
                i = (i + 1) & (PACKETS - 1);
                fast.decide(black_box(&s.packets[i]))
            });
        });
        group.bench_with_input(BenchmarkId::new("ir_evaluate", n), &s, |b, s| {
            let mut i = 0usize;
            b.iter(|| {
                i = (i + 1) & (PACKETS - 1);
                evaluate(&s.program, black_box(&s.packets[i]), &s.sets)
            });
        });
    }
    group.finish();
}

fn build_time(c: &mut Criterion<ThreadCpuTime>) {
    let mut group = c.benchmark_group("classifier_build");
    group.sample_size(10);
    for &n in &SIZES {
        let s = scenario(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &s, |b, s| {
            b.iter(|| build(black_box(s)));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = per_packet, build_time
}
criterion_main!(benches);
