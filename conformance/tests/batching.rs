//! Kernel engines load a batch of clusters at once by merging their compiled snapshots
//! (renamed endpoints and IP sets; `palisade_conformance::engines::merge`). The merge must not
//! change any decision: the fast classifier loaded through the merge path passes the corpus
//! and a differential run, batch after batch.

use std::sync::Arc;

use palisade_compiler::classifier::FastEngine;
use palisade_conformance::differential::{GeneratedConfig, run_generated};
use palisade_conformance::engines::{ReferenceAdapter, load_merged};
use palisade_conformance::{
    Availability, Cluster, EngineAdapter, EngineName, FlowEngine, Mode, RunConfig, Runner,
    load_corpus,
};

/// The fast classifier, built through the merge path (as the kernel engines are).
struct MergedFast;

impl EngineAdapter for MergedFast {
    fn name(&self) -> &str {
        "merged-fast"
    }

    fn skip_key(&self) -> EngineName {
        EngineName::Fast
    }

    fn availability(&self) -> Availability {
        Availability::Available
    }

    fn load<'a>(
        &'a self,
        cluster: &'a Cluster,
        mode: Mode,
    ) -> Result<Box<dyn FlowEngine + 'a>, String> {
        load_merged(&[(cluster, mode)], |s| {
            Ok(FastEngine::new(Arc::new(s.clone())))
        })
        .pop()
        .unwrap_or_else(|| Err("no engine".to_owned()))
    }

    fn load_many<'a>(
        &'a self,
        clusters: &[(&'a Cluster, Mode)],
    ) -> Vec<Result<Box<dyn FlowEngine + 'a>, String>> {
        load_merged(clusters, |s| Ok(FastEngine::new(Arc::new(s.clone()))))
    }
}

fn runner() -> Runner {
    let adapters: Vec<Box<dyn EngineAdapter>> =
        vec![Box::new(ReferenceAdapter), Box::new(MergedFast)];
    Runner::new(adapters, RunConfig::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn merged_batches_pass_the_corpus() {
    let corpus = load_corpus().unwrap_or_else(|e| panic!("{e}"));
    let report = runner().run_corpus(&corpus);
    report.assert_passed();
    let tally = report.tally("merged-fast").expect("tallied");
    assert!(tally.agreements > 500, "{}", report.summary_table());
}

#[test]
fn merged_batches_pass_generated_cases() {
    let mut config = GeneratedConfig::new(1500, 7);
    config.expansions = false;
    let run = run_generated(&runner(), &config);
    assert!(run.passed(), "{}", run.report);
    assert!(run.cases >= 1500);
}
