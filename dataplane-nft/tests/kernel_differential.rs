//! Differential test: random models from the compiler's generators, compiled into snapshots,
//! loaded into the nft engine (every lowering mode) and compared, for every endpoint hook and
//! generated packet, with the reference evaluator and the IR evaluator: verdict, deciding
//! origin and steps must be identical. The dataplane's uncounted lowering (no rule counters:
//! shared entry chains, plain `return`/`drop` verdicts in the maps) is loaded too and its
//! verdicts compared. At least 2,000 decisions per mode, counted and uncounted, and run.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed unwrap is a failed test.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::kernel::kernel_tests_enabled;
use palisade_compiler::engine::EngineError;
use palisade_compiler::packet::PacketRepr;
use palisade_compiler::testing::generators::{GenModel, all_targets, model_with_packets};
use palisade_compiler::{Compiler, Engine, HttpMode, IrEngine, ReferenceEngine};
use palisade_dataplane_nft::engine::NftEngine;
use palisade_dataplane_nft::lower::{LowerOptions, LoweringMode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

static COMPARED: [AtomicUsize; 3] = [
    AtomicUsize::new(0),
    AtomicUsize::new(0),
    AtomicUsize::new(0),
];
const MODES: [LoweringMode; 3] = [
    LoweringMode::PerRule,
    LoweringMode::DecisionTree,
    LoweringMode::Classifier,
];
/// Verdicts of the uncounted lowering compared, per mode.
static VERDICTS: [AtomicUsize; 3] = [
    AtomicUsize::new(0),
    AtomicUsize::new(0),
    AtomicUsize::new(0),
];
static SKIPPED: AtomicUsize = AtomicUsize::new(0);

fn check(generated: &GenModel, packets: &[PacketRepr]) -> Result<(), TestCaseError> {
    let options = generated.options(HttpMode::L4Only, false);
    let model = generated.model();
    let compiler = Compiler::new(model.clone(), options.clone());
    prop_assert!(
        compiler.check().is_ok(),
        "compile errors: {:?}",
        compiler.check()
    );
    let reference = ReferenceEngine::new(&model, &options);
    let ir = IrEngine::new(compiler.snapshot());
    let targets = all_targets(&model);
    for (m, mode) in MODES.into_iter().enumerate() {
        let opts = LowerOptions {
            mode,
            ..LowerOptions::default()
        };
        let nft = NftEngine::new(compiler.snapshot(), &opts)
            .map_err(|e| TestCaseError::fail(format!("{mode:?}: engine: {e}")))?;
        let uncounted = NftEngine::with_options(compiler.snapshot(), &opts)
            .map_err(|e| TestCaseError::fail(format!("{mode:?}: uncounted engine: {e}")))?;
        for packet in packets {
            for target in &targets {
                let want = reference.decide(target, packet, None);
                prop_assert!(want.is_ok(), "reference: {:?}", want);
                let want = want.unwrap();
                let via_ir = ir.decide(target, packet, None);
                prop_assert_eq!(
                    Ok(&want),
                    via_ir.as_ref(),
                    "reference vs ir for {} on {}",
                    target,
                    packet
                );
                match uncounted.verdict(target, packet) {
                    Ok(got) => {
                        prop_assert_eq!(
                            want.verdict,
                            got,
                            "{:?}: reference vs uncounted nft for {} on {}",
                            mode,
                            target,
                            packet
                        );
                        VERDICTS[m].fetch_add(1, Ordering::Relaxed);
                    }
                    Err(EngineError::Unsupported { .. }) => {}
                    Err(e) => {
                        return Err(TestCaseError::fail(format!(
                            "{mode:?} uncounted: {target} on {packet}: {e}"
                        )));
                    }
                }
                match nft.decide(target, packet, None) {
                    Ok(got) => {
                        prop_assert_eq!(
                            &want,
                            &got,
                            "{:?}: reference vs nft for {} on {}",
                            mode,
                            target,
                            packet
                        );
                        COMPARED[m].fetch_add(1, Ordering::Relaxed);
                    }
                    Err(EngineError::Unsupported { .. }) => {
                        SKIPPED.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        return Err(TestCaseError::fail(format!(
                            "{mode:?}: {target} on {packet}: {e}"
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

#[test]
fn nft_decides_like_the_reference_on_random_models() {
    if !kernel_tests_enabled("nft_decides_like_the_reference_on_random_models") {
        return;
    }
    let mut runner = TestRunner::new(Config {
        cases: 24,
        max_shrink_iters: 200,
        ..Config::default()
    });
    runner
        .run(&model_with_packets(12), |(generated, packets)| {
            check(&generated, &packets)
        })
        .unwrap();
    let counts: Vec<usize> = COMPARED.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    let verdicts: Vec<usize> = VERDICTS.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    eprintln!(
        "compared {counts:?} decisions and {verdicts:?} uncounted verdicts (modes {MODES:?}); \
         {} skipped as unsupported",
        SKIPPED.load(Ordering::Relaxed)
    );
    assert!(
        counts.iter().chain(&verdicts).all(|c| *c >= 2000),
        "too few decisions compared: {counts:?}, {verdicts:?}"
    );
}
