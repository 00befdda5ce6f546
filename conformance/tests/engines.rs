//! The corpus on every engine: each flow of each case must get exactly the expected decisions
//! (verdict and deciding origin, DECISIONS D7) from the reference evaluator, the IR evaluator,
//! the fast classifier and — as root, with the kernel features present — the eBPF and nftables
//! dataplanes. Unavailable engines are reported as skipped, never as passed;
//! `PALISADE_REQUIRE_KERNEL_ENGINES=1` makes them a failure.
//!
//! `PALISADE_CONFORMANCE_FILTER` and `PALISADE_CONFORMANCE_ENGINES` narrow the run.

use palisade_conformance::{Runner, load_corpus};

#[test]
fn every_engine_gives_the_expected_decisions_for_every_case() {
    let corpus = load_corpus().unwrap_or_else(|e| panic!("{e}"));
    let runner = Runner::from_env().unwrap_or_else(|e| panic!("{e}"));
    let report = runner.run_corpus(&corpus);
    eprintln!("{}", report.summary_table());
    report.assert_passed();
}
