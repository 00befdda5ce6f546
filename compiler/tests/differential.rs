//! Differential test (issue item 7): random models, endpoints and packets; every engine built
//! from the same model must return the identical decision (verdict, deciding origin and steps)
//! for every endpoint hook. Adding an engine is one line in [`engines`].

use palisade_compiler::classifier::FastEngine;
use palisade_compiler::packet::PacketRepr;
use palisade_compiler::testing::generators::{GenModel, all_targets, model_with_packets};
use palisade_compiler::{
    CompileOptions, Compiler, Engine, HttpMode, HttpRequest, IrEngine, ReferenceEngine,
};
use palisade_policy_model::model::Model;
use proptest::prelude::*;
use std::sync::Arc;

/// Models per run; with [`PACKETS`] packets each this gives the (model, packet) cases.
const MODELS: u32 = 250;
/// Packets per model.
const PACKETS: usize = 40;

/// Every engine, built from one model and one compile.
fn engines<'a>(
    model: &'a Model,
    options: &CompileOptions,
    compiler: &'a Compiler,
) -> Vec<Box<dyn Engine + 'a>> {
    vec![
        Box::new(ReferenceEngine::new(model, options)),
        Box::new(IrEngine::new(compiler.snapshot())),
        Box::new(FastEngine::new(Arc::new(compiler.snapshot().clone()))),
    ]
}

fn check(generated: &GenModel, packets: &[PacketRepr], pending: bool) -> Result<(), TestCaseError> {
    // Random rules may carry `http`; the L3/L4 engines are compared in L4-only mode (D9).
    let options = generated.options(HttpMode::L4Only, pending);
    let model = generated.model();
    let compiler = Compiler::new(model.clone(), options.clone());
    prop_assert!(
        compiler.check().is_ok(),
        "compile errors: {:?}",
        compiler.check()
    );
    let engines = engines(&model, &options, &compiler);
    let targets = all_targets(&model);
    let requests = [
        None,
        Some(HttpRequest {
            method: Some("GET".to_owned()),
            path: Some("/foo".to_owned()),
        }),
    ];
    for (i, packet) in packets.iter().enumerate() {
        let http = requests[i % 2].as_ref();
        for target in &targets {
            let first = engines[0].decide(target, packet, http);
            prop_assert!(first.is_ok(), "{}: {:?}", engines[0].name(), first);
            for engine in &engines[1..] {
                let other = engine.decide(target, packet, http);
                prop_assert_eq!(
                    &first,
                    &other,
                    "{} vs {} for {} on {}",
                    engines[0].name(),
                    engine.name(),
                    target,
                    packet
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: MODELS,
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn engines_agree_on_random_models((generated, packets) in model_with_packets(PACKETS)) {
        check(&generated, &packets, false)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 40,
        ..ProptestConfig::default()
    })]

    #[test]
    fn engines_agree_on_the_pending_form((generated, packets) in model_with_packets(PACKETS / 2)) {
        check(&generated, &packets, true)?;
    }
}
