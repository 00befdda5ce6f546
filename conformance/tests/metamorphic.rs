//! Metamorphic expanders on the corpus: every expansion of every case (prepend a tier of
//! never-deciding policies, rename preserving order, split a policy, shuffle the documents)
//! must give the same verdicts, with origins changed exactly as the expander predicts.
//!
//! The expansions run on the userspace engines (reference, IR, fast classifier): the
//! relation tests the pipeline from documents to decisions, which the kernel engines share with
//! the IR; the kernel engines run the unexpanded corpus and the differential suite.
//! `PALISADE_CONFORMANCE_FILTER` and `PALISADE_CONFORMANCE_ENGINES` narrow the run.

use std::collections::BTreeMap;

use palisade_conformance::engines::{FastAdapter, IrAdapter, ReferenceAdapter};
use palisade_conformance::{
    EngineAdapter, ExpandError, Expander, LoadedCase, RunConfig, Runner, expand_case, load_corpus,
};

fn userspace_runner() -> Runner {
    let adapters: Vec<Box<dyn EngineAdapter>> = vec![
        Box::new(ReferenceAdapter),
        Box::new(IrAdapter),
        Box::new(FastAdapter),
    ];
    let mut config = RunConfig::from_env().unwrap_or_else(|e| panic!("{e}"));
    if let Some(names) = &mut config.engines {
        names.retain(|n| ["reference", "ir", "fast"].contains(&n.as_str()));
    }
    Runner::new(adapters, config).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn corpus_expansions_keep_every_verdict() {
    let corpus = load_corpus().unwrap_or_else(|e| panic!("{e}"));
    let runner = userspace_runner();
    let mut report = runner.new_report("corpus expansions");
    let mut applied: BTreeMap<Expander, usize> = BTreeMap::new();
    let mut not_applicable: BTreeMap<Expander, Vec<String>> = BTreeMap::new();
    let mut invalid = Vec::new();
    for (i, loaded) in corpus.iter().enumerate() {
        if !runner.config().filter.selects(&loaded.case.name) {
            continue;
        }
        for expander in Expander::ALL {
            match expand_case(expander, &loaded.case, i as u64) {
                Ok(case) => {
                    *applied.entry(expander).or_default() += 1;
                    let expanded = LoadedCase {
                        file: loaded.file.clone(),
                        line: loaded.line,
                        case,
                    };
                    runner.run_case(&expanded, &mut report);
                }
                Err(ExpandError::NotApplicable(why)) => not_applicable
                    .entry(expander)
                    .or_default()
                    .push(format!("{}: {why}", loaded.case.name)),
                Err(e) => invalid.push(format!("{} ({expander}): {e}", loaded.case.name)),
            }
        }
    }
    eprintln!("{}", report.summary_table());
    for (expander, n) in &applied {
        eprintln!("{expander}: applied to {n} cases");
    }
    for (expander, why) in &not_applicable {
        eprintln!(
            "{expander}: not applicable to {} cases, e.g. {}",
            why.len(),
            why[0]
        );
    }
    assert!(invalid.is_empty(), "{}", invalid.join("\n"));
    report.assert_passed();
    if runner.config().filter.is_everything() {
        // Every expander must really be exercised: most corpus cases qualify for each.
        for expander in Expander::ALL {
            let n = applied.get(&expander).copied().unwrap_or(0);
            let minimum = match expander {
                Expander::Split => corpus.len() / 5,
                _ => corpus.len() * 4 / 5,
            };
            assert!(
                n >= minimum,
                "{expander} applied to only {n} of {} cases: {:?}",
                corpus.len(),
                not_applicable.get(&expander)
            );
        }
    }
}
