//! The differential run: generated cases ([`crate::generate`]) on every engine, each engine's
//! decisions compared with the reference evaluator's (verdict and deciding origin, DECISIONS
//! D7), plus a metamorphic expander on each generated case.
//!
//! The reference evaluator's decisions turn a generated case into an ordinary [`Case`]
//! ([`reference_case`]), which the [`Runner`] then runs on every engine like a corpus case
//! (the reference too: a second, independent load must agree with the first). Models are
//! generated in batches, and every engine is built for a whole batch at once (kernel engines
//! merge the batch's snapshots and load them once; see [`crate::engines::merge`]).
//!
//! [`run_generated`] drives proptest's value trees by hand: on the first failing model it
//! shrinks that model (simplify while it fails, complicate when it passes), writes the shrunk
//! case in the corpus format to [`failures_dir`](crate::write::failures_dir) (printing the
//! path), and reports its failures.

use std::collections::BTreeMap;
use std::path::PathBuf;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::case::{Case, Expectation, ExpectedOrigin, FlowCase, FlowSpec, Outcome, Topic};
use crate::cluster::{Cluster, Mode, parse_flow};
use crate::engines::{EngineAdapter, ReferenceAdapter};
use crate::expand::{ExpandError, Expander, expand_case};
use crate::generate::{GenConfig, GeneratedCase, generated_case};
use crate::load::LoadedCase;
use crate::outcome::outcome_of;
use crate::report::{Failure, FailureKind, Report};
use crate::runner::{Answer, Runner, answer, guarded};
use crate::write::write_case;

/// A generated case with the reference evaluator's decisions as its expectations.
#[derive(Debug, Clone)]
pub struct ReferenceCase {
    /// The case (only the flows the reference could evaluate in every mode).
    pub case: Case,
    /// Flows the reference could not evaluate.
    pub reference_errors: usize,
}

/// Evaluates a generated case with the reference evaluator and turns it into a [`Case`] whose
/// expectations are the reference's decisions. `Err` when the case cannot be set up (a
/// generator bug) or the reference panics.
pub fn reference_case(
    case: &GeneratedCase,
    name: &str,
    seed: u64,
) -> Result<ReferenceCase, Box<Failure>> {
    let fail = |message: String| {
        Box::new(Failure {
            case: name.to_owned(),
            location: "generated".to_owned(),
            kind: FailureKind::Setup { message },
        })
    };
    let mut flows = Vec::new();
    for (i, f) in case.flows.iter().enumerate() {
        flows.push(
            parse_flow(&FlowSpec::Object(f.clone()))
                .map_err(|e| fail(format!("generated flow {i} `{f}` does not parse: {e}")))?,
        );
    }
    let cluster = match guarded(|| Cluster::load(&case.resources(), &case.options)) {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            return Err(fail(format!(
                "generated resources do not load (a generator bug): {e}"
            )));
        }
        Err(p) => {
            return Err(fail(format!(
                "loading the generated resources panicked: {p}"
            )));
        }
    };
    let modes: &[Mode] = if case.options.staged {
        &[Mode::Enforced, Mode::Pending]
    } else {
        &[Mode::Enforced]
    };
    let mut per_mode: Vec<Vec<Option<Outcome>>> = Vec::new();
    for &mode in modes {
        let reference = ReferenceAdapter;
        let engine = match guarded(|| reference.load(&cluster, mode)) {
            Ok(Ok(e)) => e,
            Ok(Err(e)) => return Err(fail(format!("the reference cannot load: {e}"))),
            Err(p) => return Err(fail(format!("the reference panicked while loading: {p}"))),
        };
        let mut outcomes = Vec::new();
        for (i, flow) in flows.iter().enumerate() {
            outcomes.push(match answer(engine.as_ref(), flow) {
                Answer::Result(r) => outcome_of(&r).ok(),
                Answer::Panicked(p) => {
                    return Err(fail(format!(
                        "the reference panicked on flow {i} `{}` ({mode}): {p}",
                        case.flows[i]
                    )));
                }
                Answer::Error(_) | Answer::Skipped(_) => None,
            });
        }
        per_mode.push(outcomes);
    }
    let mut reference_errors = 0;
    let mut cases = Vec::new();
    for (i, f) in case.flows.iter().enumerate() {
        let enforced = per_mode.first().and_then(|m| m[i].clone());
        let pending = per_mode.get(1).map(|m| m[i].clone());
        let expect = match (enforced, pending) {
            (Some(enforced), None) => Expectation {
                enforced,
                pending: None,
            },
            (Some(enforced), Some(Some(p))) => Expectation {
                enforced,
                pending: Some(p),
            },
            _ => {
                reference_errors += 1;
                continue;
            }
        };
        cases.push(FlowCase {
            flow: FlowSpec::Object(f.clone()),
            description: None,
            expect,
        });
    }
    Ok(ReferenceCase {
        case: Case {
            name: name.to_owned(),
            topics: vec![Topic::Generated],
            semantics: format!(
                "generated by palisade-conformance (seed {seed}); the expectations are the reference evaluator's decisions: check them against SEMANTICS and DECISIONS before adding the case to the corpus"
            ),
            description: None,
            resources: case.resources(),
            options: case.options.clone(),
            flows: cases,
            skip: Default::default(),
        },
        reference_errors,
    })
}

/// The expander a generated model gets: one per model, in rotation, so that each expander
/// sees a quarter of the generated models.
pub fn expander_for(model: usize) -> Expander {
    Expander::ALL[model % Expander::ALL.len()]
}

/// What a batch of generated cases gave.
#[derive(Debug)]
struct BatchResult {
    report: Report,
    expansions: Report,
    /// The first case (index in the batch) with a failure.
    first_failure: Option<usize>,
    reference_errors: usize,
    coverage: BTreeMap<String, usize>,
}

/// Checks a batch of generated cases: the reference's decisions become the expectations, every
/// engine of `runner` runs the batch (kernel engines load it once), and each case's expander
/// runs on the userspace engines. `first_model` numbers the models (names, expanders).
fn check_batch(
    runner: &Runner,
    batch: &[GeneratedCase],
    first_model: usize,
    seed: u64,
    expansions: bool,
) -> BatchResult {
    let title = format!("generated, seed {seed}");
    let mut result = BatchResult {
        report: runner.tally_report(&title),
        expansions: runner.tally_report(&format!("{title}, expansions")),
        first_failure: None,
        reference_errors: 0,
        coverage: BTreeMap::new(),
    };
    let mut loaded = Vec::new();
    let mut owners = Vec::new();
    for (k, case) in batch.iter().enumerate() {
        let name = format!("generated/seed-{seed}-model-{}", first_model + k);
        match reference_case(case, &name, seed) {
            Ok(rc) => {
                result.reference_errors += rc.reference_errors;
                count_coverage(&rc.case, &mut result.coverage);
                if !rc.case.flows.is_empty() {
                    loaded.push(LoadedCase {
                        file: PathBuf::from("generated"),
                        line: None,
                        case: rc.case,
                    });
                    owners.push(k);
                }
            }
            Err(failure) => {
                result.report.failures.push(*failure);
                result.first_failure.get_or_insert(k);
            }
        }
    }
    let refs: Vec<&LoadedCase> = loaded.iter().collect();
    runner.run_cases_with(&refs, &mut result.report, |_| true);
    let mut expanded = Vec::new();
    if expansions {
        for (loaded_case, &k) in loaded.iter().zip(&owners) {
            let model = first_model + k;
            match expand_case(expander_for(model), &loaded_case.case, model as u64) {
                Ok(case) => expanded.push(LoadedCase {
                    file: PathBuf::from("generated"),
                    line: None,
                    case,
                }),
                Err(ExpandError::NotApplicable(_)) => {}
                Err(e) => {
                    result.expansions.failures.push(Failure {
                        case: format!("{}@{}", loaded_case.case.name, expander_for(model)),
                        location: "generated".to_owned(),
                        kind: FailureKind::Setup {
                            message: e.to_string(),
                        },
                    });
                    result.first_failure.get_or_insert(k);
                }
            }
        }
        let refs: Vec<&LoadedCase> = expanded.iter().collect();
        runner.run_cases_with(&refs, &mut result.expansions, |a| !a.is_kernel());
    }
    result.expansions.engines.retain(|t| !t.kernel);
    // Which case failed first (failure case names carry the model number).
    for f in result
        .report
        .failures
        .iter()
        .chain(&result.expansions.failures)
    {
        let base = f.case.split('@').next().unwrap_or(&f.case);
        if let Some(k) = (0..batch.len())
            .find(|k| base == format!("generated/seed-{seed}-model-{}", first_model + k))
        {
            result.first_failure = Some(result.first_failure.map_or(k, |f| f.min(k)));
        }
    }
    result
}

/// Counts what decided each side of each flow of `case`: `<verdict> by <by>` and, for rule
/// decisions, `rule of <Kind>`.
fn count_coverage(case: &Case, coverage: &mut BTreeMap<String, usize>) {
    for flow in &case.flows {
        let outcomes = std::iter::once(&flow.expect.enforced).chain(&flow.expect.pending);
        for outcome in outcomes {
            for (_, d) in outcome.decisions() {
                *coverage
                    .entry(format!("{} by {}", d.verdict, d.origin.by()))
                    .or_default() += 1;
                if let ExpectedOrigin::Rule { policy, .. } = &d.origin {
                    *coverage
                        .entry(format!("rule of {}", policy.kind))
                        .or_default() += 1;
                }
            }
        }
    }
}

/// What to generate and run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedConfig {
    /// At least this many (model, flow) cases.
    pub cases: usize,
    /// Flows per model (at most; the flow list shrinks).
    pub flows_per_model: usize,
    /// Models per batch (kernel engines load a batch at once).
    pub batch: usize,
    /// The seed (the same seed generates the same cases).
    pub seed: u64,
    /// Also run a metamorphic expander on every generated case.
    pub expansions: bool,
    /// Where a shrunk failing case is written.
    pub failures_dir: PathBuf,
    /// Shrinking budget (test runs).
    pub max_shrink_iters: u32,
}

impl GeneratedConfig {
    /// `cases` generated (model, flow) cases from `seed`: 40 flows per model, 32 models per
    /// batch, with expansions, failures written to
    /// [`failures_dir`](crate::write::failures_dir).
    pub fn new(cases: usize, seed: u64) -> GeneratedConfig {
        GeneratedConfig {
            cases,
            flows_per_model: 40,
            batch: crate::runner::BATCH,
            seed,
            expansions: true,
            failures_dir: crate::write::failures_dir(),
            max_shrink_iters: 512,
        }
    }
}

/// The result of [`run_generated`].
#[derive(Debug, Clone)]
pub struct GeneratedRun {
    /// Tallies of the engines over every generated case, and the failures (of the shrunk
    /// failing case, when one failed).
    pub report: Report,
    /// The expanders on the generated cases (userspace engines).
    pub expansions: Report,
    /// Models generated and checked.
    pub models: usize,
    /// (model, flow) cases generated and checked.
    pub cases: usize,
    /// Flows the reference could not evaluate (not compared).
    pub reference_errors: usize,
    /// Where the shrunk failing case was written.
    pub written: Option<PathBuf>,
    /// What decided the reference's decisions: `<verdict> by <by>` and `rule of <Kind>`
    /// counts (how well the generators cover the semantics).
    pub coverage: BTreeMap<String, usize>,
}

impl GeneratedRun {
    /// True when nothing failed.
    pub fn passed(&self) -> bool {
        self.report.passed() && self.expansions.passed()
    }
}

/// The proptest RNG for `seed`.
fn rng(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let word = seed
            .wrapping_add(i as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(17);
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// Shrinks a failing case the way proptest does: simplify while it still fails, complicate
/// when a simplification passes.
fn shrink<T: ValueTree<Value = GeneratedCase>>(
    tree: &mut T,
    fails: impl Fn(&GeneratedCase) -> bool,
    max_iters: u32,
) -> GeneratedCase {
    let mut last_failure = tree.current();
    if !tree.simplify() {
        return last_failure;
    }
    for _ in 0..max_iters {
        let current = tree.current();
        if fails(&current) {
            last_failure = current;
            if !tree.simplify() {
                break;
            }
        } else if !tree.complicate() {
            break;
        }
    }
    last_failure
}

/// Generates models until `config.cases` (model, flow) cases have been checked on every
/// engine of `runner`, in batches (see the module documentation). On the first failure the
/// failing model is shrunk, written as a case file, and its failures are the report's.
pub fn run_generated(runner: &Runner, config: &GeneratedConfig) -> GeneratedRun {
    let title = format!("generated, seed {}", config.seed);
    let mut expansions = runner.tally_report(&format!("{title}, expansions"));
    expansions.engines.retain(|t| !t.kernel);
    let mut run = GeneratedRun {
        report: runner.new_report(&title),
        expansions,
        models: 0,
        cases: 0,
        reference_errors: 0,
        written: None,
        coverage: BTreeMap::new(),
    };
    let strategy = generated_case(GenConfig {
        flows: config.flows_per_model.max(1),
    });
    let mut proptest = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        rng(config.seed),
    );
    // A model has (1 + flows_per_model) / 2 flows on average.
    let average = (config.flows_per_model.max(1) + 1).div_ceil(2);
    while run.cases < config.cases {
        let needed = (config.cases - run.cases).div_ceil(average);
        let mut trees = Vec::new();
        for _ in 0..needed.clamp(1, config.batch.max(1)) {
            match strategy.new_tree(&mut proptest) {
                Ok(tree) => trees.push(tree),
                Err(reason) => {
                    run.report.failures.push(Failure {
                        case: format!("generated/seed-{}", config.seed),
                        location: "proptest".to_owned(),
                        kind: FailureKind::Setup {
                            message: format!("the generator gave up: {reason}"),
                        },
                    });
                    return run;
                }
            }
        }
        let batch: Vec<GeneratedCase> = trees.iter().map(ValueTree::current).collect();
        let result = check_batch(runner, &batch, run.models, config.seed, config.expansions);
        match result.first_failure {
            None => {
                run.models += batch.len();
                run.cases += batch.iter().map(|c| c.flows.len()).sum::<usize>();
                run.reference_errors += result.reference_errors;
                for (k, n) in result.coverage {
                    *run.coverage.entry(k).or_default() += n;
                }
                run.report.absorb(result.report);
                run.expansions.absorb(result.expansions);
            }
            Some(k) => {
                let model = run.models + k;
                let fails = |case: &GeneratedCase| {
                    let r = check_batch(
                        runner,
                        std::slice::from_ref(case),
                        model,
                        config.seed,
                        config.expansions,
                    );
                    r.first_failure.is_some()
                };
                let minimal = shrink(&mut trees[k], fails, config.max_shrink_iters);
                let result = check_batch(
                    runner,
                    std::slice::from_ref(&minimal),
                    model,
                    config.seed,
                    config.expansions,
                );
                record_failure(&mut run, config, &minimal, model, result);
                return run;
            }
        }
    }
    run
}

/// Writes the shrunk failing case and moves its failures into `run`.
fn record_failure(
    run: &mut GeneratedRun,
    config: &GeneratedConfig,
    minimal: &GeneratedCase,
    model: usize,
    result: BatchResult,
) {
    let name = format!("generated/seed-{}-model-{model}", config.seed);
    if let Ok(rc) = reference_case(minimal, &name, config.seed)
        && !rc.case.flows.is_empty()
    {
        let file = format!("generated-seed-{}-model-{model}", config.seed);
        let comment = "A generated case that some engine got wrong, shrunk by proptest.\n\
                       The expectations are the reference evaluator's decisions.";
        match write_case(&config.failures_dir, &file, &rc.case, comment) {
            Ok(path) => {
                eprintln!(
                    "conformance: the shrunk failing case is in {}",
                    path.display()
                );
                run.written = Some(path);
            }
            Err(e) => run.report.failures.push(Failure {
                case: name.clone(),
                location: config.failures_dir.display().to_string(),
                kind: FailureKind::Setup {
                    message: format!("cannot write the shrunk case: {e}"),
                },
            }),
        }
    }
    let location = run.written.as_ref().map_or_else(
        || "generated (not written)".to_owned(),
        |p| p.display().to_string(),
    );
    let mut failures: Vec<Failure> = result
        .report
        .failures
        .into_iter()
        .chain(result.expansions.failures)
        .collect();
    if failures.is_empty() {
        failures.push(Failure {
            case: name,
            location: location.clone(),
            kind: FailureKind::Setup {
                message: "a generated case failed, but its shrunk form passes (a flaky engine?)"
                    .to_owned(),
            },
        });
    }
    for mut f in failures {
        f.location = location.clone();
        run.report.failures.push(f);
    }
}
