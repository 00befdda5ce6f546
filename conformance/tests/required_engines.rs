//! A kernel engine that cannot run is reported as skipped — every one of its flows counted as
//! a skip, none as an agreement — and, when kernel engines are required
//! (`PALISADE_REQUIRE_KERNEL_ENGINES=1`, `RunConfig::require_kernel`), the run fails with a
//! failure that names the engine and why it did not run.

use palisade_conformance::engines::ReferenceAdapter;
use palisade_conformance::report::FailureKind;
use palisade_conformance::{
    Availability, Cluster, EngineAdapter, EngineName, FlowEngine, Mode, RunConfig, Runner,
    Unavailable, load_corpus,
};

const ENGINE: &str = "absent-kernel-engine";
const REASON: &str = "the test kernel has no such feature";

/// A kernel engine whose probe always fails.
struct AbsentKernelEngine;

impl EngineAdapter for AbsentKernelEngine {
    fn name(&self) -> &str {
        ENGINE
    }

    fn skip_key(&self) -> EngineName {
        EngineName::Nft
    }

    fn is_kernel(&self) -> bool {
        true
    }

    fn availability(&self) -> Availability {
        Availability::Unavailable {
            kind: Unavailable::KernelFeature,
            reason: REASON.to_owned(),
        }
    }

    fn load<'a>(
        &'a self,
        _cluster: &'a Cluster,
        _mode: Mode,
    ) -> Result<Box<dyn FlowEngine + 'a>, String> {
        Err(REASON.to_owned())
    }
}

fn runner(require_kernel: bool) -> Runner {
    let adapters: Vec<Box<dyn EngineAdapter>> =
        vec![Box::new(ReferenceAdapter), Box::new(AbsentKernelEngine)];
    let config = RunConfig {
        filter: palisade_conformance::NameFilter::parse("tiers/").unwrap_or_else(|e| panic!("{e}")),
        require_kernel,
        ..RunConfig::default()
    };
    Runner::new(adapters, config).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn an_unavailable_kernel_engine_is_skipped_never_passed() {
    let corpus = load_corpus().unwrap_or_else(|e| panic!("{e}"));
    let report = runner(false).run_corpus(&corpus);
    assert!(report.flows > 0, "the filter selected no flows");
    let tally = report.tally(ENGINE).expect("tallied");
    assert_eq!(tally.agreements, 0, "{}", report.summary_table());
    assert_eq!(tally.failed, 0, "{}", report.summary_table());
    assert_eq!(tally.skipped, report.flows, "{}", report.summary_table());
    assert!(
        matches!(&tally.availability, Availability::Unavailable { kind: Unavailable::KernelFeature, reason } if reason == REASON),
        "{:?}",
        tally.availability
    );
    assert!(report.passed(), "{report}");
    let reference = report.tally("reference").expect("tallied");
    assert_eq!(reference.agreements, report.flows);
}

#[test]
fn a_required_kernel_engine_that_cannot_run_fails_the_run() {
    let corpus = load_corpus().unwrap_or_else(|e| panic!("{e}"));
    let report = runner(true).run_corpus(&corpus);
    assert!(
        !report.passed(),
        "a required engine did not run, yet the run passed"
    );
    let required: Vec<_> = report
        .failures
        .iter()
        .filter_map(|f| match &f.kind {
            FailureKind::RequiredEngine { engine, reason } => Some((engine, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(required.len(), 1, "{report}");
    assert_eq!(required[0].0, ENGINE);
    assert_eq!(required[0].1, REASON);
    // Only the absent engine failed: the reference still agreed on every flow.
    assert_eq!(report.failures.len(), 1, "{report}");
    let reference = report.tally("reference").expect("tallied");
    assert_eq!(reference.agreements, report.flows);
}
