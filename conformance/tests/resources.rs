//! Every case's `resources` load with zero problems through the policy-model loader in strict
//! mode (unknown fields are errors; every object is validated).

use palisade_conformance::load_corpus;
use palisade_policy_model::{LoadOptions, load_str};

#[test]
fn every_case_resources_load_cleanly_in_strict_mode() {
    let corpus = match load_corpus() {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let options = LoadOptions {
        strict: true,
        threads: 1,
    };
    let mut report = Vec::new();
    for loaded in &corpus {
        let result = load_str(&loaded.case.resources, None, &options);
        for problem in &result.problems {
            report.push(format!(
                "{} ({}): {problem}",
                loaded.case.name,
                loaded.location()
            ));
        }
        if result.resources.is_empty() {
            report.push(format!("{}: no resource loaded", loaded.case.name));
        }
    }
    assert!(
        report.is_empty(),
        "{} problem(s):\n{}",
        report.len(),
        report.join("\n")
    );
}
