//! `palisade conform`: the conformance corpus and N generated cases on the chosen engines.
//!
//! Prints, on stdout, a summary table per part (corpus, generated cases, expansions of the
//! generated cases) with cases, flows, agreements, skips and failures per engine; unavailable
//! engines say `SKIPPED (reason)` or `NOT BUILT (reason)`. Then every failure in full (case,
//! file, flow, expected decisions, each engine's decisions). Exit 0 when every engine agreed,
//! 1 on any disagreement or failure, 2 on usage errors. A failing generated case is shrunk and
//! written as a case file (`--failures`), and its path is printed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use palisade_conformance::differential::{GeneratedConfig, run_generated};
use palisade_conformance::engines::standard_adapters;
use palisade_conformance::runner::standard_engine_names;
use palisade_conformance::write::failures_dir;
use palisade_conformance::{NameFilter, Report, RunConfig, Runner, corpus_dir, load_dir};

/// Arguments of `conform`.
#[derive(Args)]
pub(crate) struct ConformArgs {
    /// The case directory (every `*.yaml` under it). Default: the corpus shipped with Palisade.
    #[arg(long = "cases", value_name = "DIR")]
    cases: Option<PathBuf>,
    /// Skip the case corpus; run only generated cases.
    #[arg(long = "no-cases")]
    no_cases: bool,
    /// How many generated (model, flow) cases to run (0: none).
    #[arg(long = "generated", value_name = "N", default_value_t = 1000)]
    generated: usize,
    /// Engines to run, comma-separated: reference, ir, fast, ebpf, nft. Default: all.
    #[arg(long = "engines", value_name = "LIST", value_parser = parse_engines)]
    engines: Option<EngineList>,
    /// Seed of the generated cases (printed when chosen at random).
    #[arg(long = "seed", value_name = "S")]
    seed: Option<u64>,
    /// Run only the cases whose name matches (substrings, `*`, `^`/`$` anchors, `-` to
    /// exclude; comma-separated).
    #[arg(long = "filter", value_name = "PATTERN")]
    filter: Option<String>,
    /// A kernel engine (ebpf, nft) that cannot run is a failure, not a skip.
    #[arg(long = "require-kernel")]
    require_kernel: bool,
    /// Where a failing generated case is written after shrinking. Default:
    /// `$PALISADE_CONFORMANCE_FAILURES`, else `target/conformance-failures` in the workspace.
    #[arg(long = "failures", value_name = "DIR")]
    failures: Option<PathBuf>,
}

/// A checked list of engine names.
#[derive(Clone, Debug)]
struct EngineList(Vec<String>);

/// Checks an engine list against the standard engines.
fn parse_engines(text: &str) -> Result<EngineList, String> {
    let known = standard_engine_names();
    let list = palisade_conformance::runner::split_list(text);
    if list.is_empty() {
        return Err("no engine given".to_owned());
    }
    for name in &list {
        if !known.contains(&name.as_str()) {
            return Err(format!(
                "unknown engine `{name}`; the engines are {}",
                known.join(", ")
            ));
        }
    }
    Ok(EngineList(list))
}

/// A seed from the clock (the CLI edge may read it; the seed is printed for reruns).
fn random_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
}

fn print_part(heading: &str, report: &Report) {
    println!("{heading}");
    print!("{}", report.summary_table());
    for t in &report.engines {
        for (reason, count) in &t.skip_reasons {
            println!("  {} skipped {count} flow(s): {reason}", t.engine);
        }
    }
    println!();
}

/// Runs `conform`.
pub(crate) fn run(args: &ConformArgs) -> Result<ExitCode, String> {
    let filter = match &args.filter {
        Some(text) => NameFilter::parse(text)?,
        None => NameFilter::default(),
    };
    let config = RunConfig {
        engines: args.engines.as_ref().map(|l| l.0.clone()),
        filter,
        require_kernel: args.require_kernel,
    };
    let runner = Runner::new(standard_adapters(), config).map_err(|e| e.to_string())?;
    let mut failures = 0;
    let mut reports = Vec::new();
    if !args.no_cases {
        let dir = args.cases.clone().unwrap_or_else(corpus_dir);
        let corpus = load_dir(&dir).map_err(|e| e.to_string())?;
        let report = runner.run_corpus(&corpus);
        print_part(
            &format!(
                "corpus: {} cases, {} flows, from {}",
                report.cases,
                report.flows,
                dir.display()
            ),
            &report,
        );
        failures += report.failures.len();
        reports.push(report);
    }
    if args.generated > 0 {
        let seed = args.seed.unwrap_or_else(random_seed);
        let mut config = GeneratedConfig::new(args.generated, seed);
        config.failures_dir = args.failures.clone().unwrap_or_else(failures_dir);
        let run = run_generated(&runner, &config);
        print_part(
            &format!(
                "generated: {} (model, flow) cases in {} models, seed {seed} (rerun with --seed {seed}); {} flows the reference could not evaluate",
                run.cases, run.models, run.reference_errors
            ),
            &run.report,
        );
        print_part(
            "expansions of the generated cases (userspace engines):",
            &run.expansions,
        );
        if let Some(path) = &run.written {
            println!("the shrunk failing case is in {}\n", path.display());
        }
        failures += run.report.failures.len() + run.expansions.failures.len();
        reports.push(run.report);
        reports.push(run.expansions);
    }
    for report in &reports {
        for (i, failure) in report.failures.iter().enumerate() {
            println!(
                "FAILURE {}/{} ({}): {failure}",
                i + 1,
                report.failures.len(),
                report.title
            );
        }
    }
    if failures == 0 {
        println!("ok: every engine agreed");
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "FAILED: {failures} failure{}",
            if failures == 1 { "" } else { "s" }
        );
        Ok(ExitCode::from(1))
    }
}
