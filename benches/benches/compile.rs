//! Compiler benches on the scale scenario of issue 4 (`palisade_compiler::testing::scale`):
//! 10,000 pods in 100 namespaces, 2,000 policies (1,000 Kubernetes NetworkPolicy, 800 Calico
//! NetworkPolicy, 200 GlobalNetworkPolicy across 5 tiers), selectors over about 20 label keys.
//!
//! - `compile/full`: a full compile of every endpoint (target ≤ 2 s, peak memory ≤ 1 GiB; the
//!   peak resident set, `VmHWM`, is printed once before the timed runs).
//! - `compile/pod-label-change`: one pod's `version` label changes; incremental update (target
//!   ≤ 1 ms median).
//! - `compile/policy-change`: one policy (Kubernetes, Calico or global, in the scenario's
//!   proportions) gains a rule; incremental update (target ≤ 10 ms median).
//! - `compile/gnp-change`: the same for GlobalNetworkPolicies only (the widest policies; not a
//!   target, reported for the record).
//!
//! Every incremental bench alternates between the changed and the original item, so the state
//! stays the same over the run. Each bench is measured in wall-clock time (`compile/…`) and in
//! CPU time of the benchmarking thread (`compile-cpu/…`), which does not count time spent waiting
//! for a CPU on a busy machine.
//!
//! Run: `cargo bench -p palisade-benches --bench compile`. Figures: `BENCHMARKS.md`.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{Criterion, criterion_group, criterion_main};
use palisade_benches::cpu_time::ThreadCpuTime;
use palisade_benches::process::peak_rss;
use palisade_compiler::testing::scale::{Scale, ScaleConfig};
use palisade_compiler::{CompileOptions, Compiler};
use palisade_policy_model::model::{Item, PolicyKind, ResourceKey};

/// A change and its undo, applied alternately.
struct Toggle {
    changed: (ResourceKey, Vec<Item>),
    original: (ResourceKey, Vec<Item>),
}

fn pod_toggles(scale: &Scale) -> Vec<Toggle> {
    (0..64)
        .map(|i| {
            let pod = i * (scale.pods.len() / 64).max(1);
            let original = Item::Workload(scale.pods[pod % scale.pods.len()].clone());
            let key = palisade_compiler::testing::build::source_key(&original);
            // A value the pod does not have: round 1 or 2 picks v2 or v3.
            let current = scale.pods[pod % scale.pods.len()]
                .labels
                .get("version")
                .cloned()
                .unwrap_or_default();
            let round = if current == "v2" { 2 } else { 1 };
            Toggle {
                changed: scale.relabel_pod(pod, round),
                original: (key, vec![original]),
            }
        })
        .collect()
}

fn policy_toggles(scale: &Scale, only: Option<PolicyKind>) -> Vec<Toggle> {
    let picks: Vec<usize> = (0..scale.policies.len())
        .filter(|i| only.is_none_or(|k| scale.policies[*i].id.kind == k))
        .collect();
    let step = (picks.len() / 64).max(1);
    picks
        .iter()
        .step_by(step)
        .take(64)
        .enumerate()
        .map(|(round, &i)| {
            let original = Item::Policy(scale.policies[i].clone());
            let key = palisade_compiler::testing::build::source_key(&original);
            Toggle {
                changed: scale.change_policy(i, round),
                original: (key, vec![original]),
            }
        })
        .collect()
}

/// Runs `toggles` alternately: changed, original, next changed, …
fn bench_toggles<M: Measurement>(
    c: &mut criterion::BenchmarkGroup<'_, M>,
    name: &str,
    compiler: &mut Compiler,
    toggles: &[Toggle],
) {
    let mut n = 0usize;
    c.bench_function(name, |b| {
        b.iter(|| {
            let t = &toggles[(n / 2) % toggles.len()];
            let (key, items) = if n.is_multiple_of(2) {
                &t.changed
            } else {
                &t.original
            };
            n += 1;
            black_box(compiler.edit(|m| m.insert_items(key.clone(), items.clone())))
        })
    });
    // Leave the compiler in its original state.
    if n % 2 == 1 {
        let t = &toggles[(n / 2) % toggles.len()];
        compiler.edit(|m| m.insert_items(t.original.0.clone(), t.original.1.clone()));
    }
}

fn run<M: Measurement>(c: &mut Criterion<M>, group: &str, scale: &Scale) {
    let model = scale.model();
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("full", |b| {
        b.iter(|| black_box(Compiler::new(model.clone(), CompileOptions::new())))
    });
    let mut compiler = Compiler::new(model, CompileOptions::new());
    g.sample_size(100);
    g.measurement_time(Duration::from_secs(5));
    bench_toggles(
        &mut g,
        "pod-label-change",
        &mut compiler,
        &pod_toggles(scale),
    );
    bench_toggles(
        &mut g,
        "policy-change",
        &mut compiler,
        &policy_toggles(scale, None),
    );
    bench_toggles(
        &mut g,
        "gnp-change",
        &mut compiler,
        &policy_toggles(scale, Some(PolicyKind::GlobalNetworkPolicy)),
    );
    g.finish();
}

fn compile(c: &mut Criterion) {
    let scale = Scale::generate(ScaleConfig::default());
    {
        let compiler = Compiler::new(scale.model(), CompileOptions::new());
        let stats = compiler.stats();
        eprintln!(
            "scale scenario: {} programs ({} distinct, {} rules), {} sets ({} members), \
             {} selectors, {} entities; peak RSS after a full compile: {}",
            stats.programs,
            stats.unique_programs,
            stats.unique_rules,
            stats.sets,
            stats.set_members,
            stats.selectors,
            stats.entities,
            peak_rss()
        );
    }
    run(c, "compile", &scale);
}

fn compile_cpu(c: &mut Criterion<ThreadCpuTime>) {
    let scale = Scale::generate(ScaleConfig::default());
    run(c, "compile-cpu", &scale);
}

criterion_group!(wall, compile);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = compile_cpu
}
criterion_main!(wall, cpu);
