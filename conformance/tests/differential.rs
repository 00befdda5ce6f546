//! The differential run: at least 10,000 generated (model, flow) cases on every engine, each
//! engine's decisions compared with the reference evaluator's (verdict and deciding origin,
//! DECISIONS D7), and the metamorphic expanders on every generated case. A failure is shrunk
//! and written as a case file (see `palisade_conformance::differential`).
//!
//! Environment: `PALISADE_CONFORMANCE_GENERATED` (number of cases, default 10000),
//! `PALISADE_CONFORMANCE_SEED` (default fixed), `PALISADE_CONFORMANCE_ENGINES`,
//! `PALISADE_REQUIRE_KERNEL_ENGINES`, `PALISADE_CONFORMANCE_FAILURES` (where a failing case is
//! written).

use palisade_conformance::Runner;
use palisade_conformance::differential::{GeneratedConfig, run_generated};

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{name}=`{v}`: {e}")),
        _ => default,
    }
}

#[test]
fn every_engine_agrees_with_the_reference_on_generated_cases() {
    let cases =
        usize::try_from(env_number("PALISADE_CONFORMANCE_GENERATED", 10_000)).unwrap_or(usize::MAX);
    let seed = env_number("PALISADE_CONFORMANCE_SEED", 0x5eed_2024);
    let runner = Runner::from_env().unwrap_or_else(|e| panic!("{e}"));
    let run = run_generated(&runner, &GeneratedConfig::new(cases, seed));
    eprintln!(
        "{} models, {} (model, flow) cases, {} flows the reference could not evaluate",
        run.models, run.cases, run.reference_errors
    );
    eprintln!("{}", run.report.summary_table());
    eprintln!("what decided: {:#?}", run.coverage);
    eprintln!("expansions:\n{}", run.expansions.summary_table());
    assert!(run.report.passed(), "{}", run.report);
    assert!(run.expansions.passed(), "{}", run.expansions);
    assert!(
        run.cases >= cases,
        "only {} of {cases} cases were generated",
        run.cases
    );
    // Every engine that can run really decided the cases (skips are not passes).
    for tally in &run.report.engines {
        if matches!(
            tally.availability,
            palisade_conformance::Availability::Available
        ) {
            assert!(
                tally.agreements * 10 >= run.cases * 9,
                "{} agreed on only {} of {} cases (skipped {}: {:?})",
                tally.engine,
                tally.agreements,
                run.cases,
                tally.skipped,
                tally.skip_reasons
            );
        }
    }
    // The generators reach every kind of decision, and rules of every policy kind decide.
    for key in [
        "allow by rule",
        "deny by rule",
        "deny by end-of-tier",
        "allow by profile",
        "deny by profile",
        "deny by no-match",
        "allow by failsafe",
        "allow by default",
        "deny by default",
        "rule of NetworkPolicy",
        "rule of GlobalNetworkPolicy",
        "rule of KubernetesNetworkPolicy",
        "rule of AdminNetworkPolicy",
        "rule of BaselineAdminNetworkPolicy",
        "rule of ClusterNetworkPolicy",
        "rule of StagedNetworkPolicy",
        "rule of StagedGlobalNetworkPolicy",
        "rule of StagedKubernetesNetworkPolicy",
    ] {
        if cases >= 2000 {
            assert!(
                run.coverage.get(key).copied().unwrap_or(0) >= 3,
                "the generated cases rarely reach `{key}`: {:#?}",
                run.coverage
            );
        }
    }
    // Almost every generated flow is evaluable.
    assert!(
        run.reference_errors * 50 <= run.cases,
        "{} of {} generated flows cannot be evaluated",
        run.reference_errors,
        run.cases
    );
}
