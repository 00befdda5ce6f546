//! Selector benches: parsing and evaluation of a 1-clause, the typical 5-clause and a 50-clause
//! selector, evaluated against endpoints with 10 and 50 labels.
//!
//! Every evaluated selector matches its endpoint, so `&&` never short-circuits and every clause
//! is evaluated (the worst case for a conjunction).
//!
//! Each benchmark is measured twice: in wall-clock time (`selector/…`, criterion's default) and
//! in CPU time of the benchmarking thread (`selector-cpu/…`), which does not count the time the
//! thread waits for a CPU, so that it stays meaningful on a machine busy with other work.
//!
//! Run: `cargo bench -p palisade-benches --bench selector`. Figures: `BENCHMARKS.md`.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::measurement::Measurement;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use palisade_benches::cpu_time::ThreadCpuTime;
use palisade_selector::{LabelSet, Selector};

/// One clause.
const ONE_CLAUSE: &str = "app == 'web'";

/// The typical selector of the issue: five clauses of five different operators.
const TYPICAL: &str = "app == 'web' && tier in {'fe','be'} && !has(quarantine) && env != 'dev' \
                       && team starts with 'pay'";

/// Fifty clauses joined by `&&`, cycling through every operator, over the ten labels every
/// bench endpoint has plus labels no endpoint has. All fifty hold on every bench endpoint.
fn fifty_clauses() -> String {
    let present = endpoint_pairs(10);
    (0..50)
        .map(|i| {
            let (key, value) = &present[i % present.len()];
            match i % 10 {
                0 => format!("{key} == '{value}'"),
                1 => format!("{key} in {{'{value}', 'other', 'x-{i}'}}"),
                2 => format!("!has(absent/label-{i})"),
                3 => format!("{key} != 'not-{value}'"),
                4 => format!("{key} starts with '{}'", &value[..value.len().min(2)]),
                5 => format!(
                    "{key} ends with '{}'",
                    &value[value.len().saturating_sub(2)..]
                ),
                6 => format!("{key} contains '{}'", &value[..1]),
                7 => format!("has({key})"),
                8 => format!("{key} not in {{'x', 'y', 'z-{i}'}}"),
                _ => format!("missing-{i} != 'x'"),
            }
        })
        .collect::<Vec<_>>()
        .join(" && ")
}

/// The labels of an endpoint with `n` (≥ 4) labels: the four the typical selector reads, then
/// Kubernetes-style filler labels.
fn endpoint_pairs(n: usize) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = [
        ("app", "web"),
        ("tier", "fe"),
        ("env", "prod"),
        ("team", "payments"),
        ("projectcalico.org/namespace", "shop"),
        ("projectcalico.org/orchestrator", "k8s"),
        ("projectcalico.org/serviceaccount", "web-sa"),
        ("pod-template-hash", "7d4b9c8f6d"),
        ("app.kubernetes.io/version", "1.4.2"),
        ("topology.kubernetes.io/zone", "eu-west-1b"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let mut i = 0;
    while pairs.len() < n {
        pairs.push((format!("example.com/extra-{i:02}"), format!("value-{i}")));
        i += 1;
    }
    pairs.truncate(n);
    pairs
}

fn label_set(n: usize) -> LabelSet {
    endpoint_pairs(n).into_iter().collect()
}

fn btree(n: usize) -> BTreeMap<String, String> {
    endpoint_pairs(n).into_iter().collect()
}

fn cases() -> [(&'static str, String); 3] {
    [
        ("1-clause", ONE_CLAUSE.to_owned()),
        ("5-clause", TYPICAL.to_owned()),
        ("50-clause", fifty_clauses()),
    ]
}

fn parse<M: Measurement>(c: &mut Criterion<M>, prefix: &str) {
    let mut group = c.benchmark_group(format!("{prefix}/parse"));
    for (name, text) in cases() {
        group.bench_with_input(BenchmarkId::from_parameter(name), &text, |b, text| {
            b.iter(|| Selector::parse(black_box(text)))
        });
    }
    group.finish();
}

fn evaluate<M: Measurement>(c: &mut Criterion<M>, prefix: &str) {
    let mut group = c.benchmark_group(format!("{prefix}/evaluate"));
    for (name, text) in cases() {
        let sel = Selector::parse(&text).expect("bench selector parses");
        for n in [10, 50] {
            let labels = label_set(n);
            assert!(
                sel.matches(&labels),
                "{name} must match the {n}-label endpoint"
            );
            group.bench_with_input(
                BenchmarkId::new(format!("{name}/LabelSet"), format!("{n}-labels")),
                &labels,
                |b, labels| b.iter(|| black_box(&sel).matches(black_box(labels))),
            );
        }
    }
    let sel = Selector::parse(TYPICAL).expect("bench selector parses");
    for n in [10, 50] {
        let labels = btree(n);
        assert!(sel.matches(&labels));
        group.bench_with_input(
            BenchmarkId::new("5-clause/BTreeMap", format!("{n}-labels")),
            &labels,
            |b, labels| b.iter(|| black_box(&sel).matches(black_box(labels))),
        );
    }
    group.finish();
}

fn wall(c: &mut Criterion) {
    parse(c, "selector");
    evaluate(c, "selector");
}

fn cpu(c: &mut Criterion<ThreadCpuTime>) {
    parse(c, "selector-cpu");
    evaluate(c, "selector-cpu");
}

criterion_group!(wall_time, wall);
criterion_group! {
    name = thread_cpu_time;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = cpu
}
criterion_main!(wall_time, thread_cpu_time);
