//! The [`Runner`]: every case on every engine (the regex crate's `regex-test` is the model,
//! DESIGN §7). Each engine call runs under `catch_unwind`; a case's `skip` entries and an
//! adapter's "cannot express" reasons become skips; `PALISADE_CONFORMANCE_FILTER` and
//! `PALISADE_CONFORMANCE_ENGINES` narrow the run; and every failure goes into one [`Report`]
//! that names the case, its file, the flow, the expected decisions and each engine's verdict
//! and deciding origin.

mod filter;

use std::any::Any;
use std::env;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use palisade_compiler::EngineError;
use palisade_compiler::flow::{Flow, FlowError, FlowResult};

pub use filter::NameFilter;

use crate::case::{Case, EngineName, Outcome};
use crate::cluster::{Cluster, Mode, parse_flow};
use crate::engines::{Availability, EngineAdapter, FlowEngine, standard_adapters};
use crate::load::{Corpus, LoadedCase};
use crate::outcome::outcome_of;
use crate::report::{
    EngineFlowResult, EngineResult, EngineTally, Failure, FailureKind, FlowFailure, Report,
};

/// Selects cases by name (see [`NameFilter`]).
pub const FILTER_VAR: &str = "PALISADE_CONFORMANCE_FILTER";
/// Selects engines by name, comma-separated (`reference,ir,fast,ebpf,nft`).
pub const ENGINES_VAR: &str = "PALISADE_CONFORMANCE_ENGINES";
/// When `1`, a kernel engine that cannot run is a failure, not a skip.
pub const REQUIRE_KERNEL_VAR: &str = "PALISADE_REQUIRE_KERNEL_ENGINES";

/// Why a run could not be configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An engine name that no adapter has.
    #[error("unknown engine `{name}` in {source_name}; the engines are {known}")]
    UnknownEngine {
        /// The name given.
        name: String,
        /// Where it was given (an environment variable or option).
        source_name: String,
        /// The known names.
        known: String,
    },
    /// A malformed filter.
    #[error("{source_name}: {message}")]
    Filter {
        /// Where it was given.
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// A malformed boolean variable.
    #[error("{var}=`{value}`: expected 0 or 1")]
    Bool {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
}

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunConfig {
    /// Engines to run, by name (`None`: all).
    pub engines: Option<Vec<String>>,
    /// Cases to run.
    pub filter: NameFilter,
    /// A kernel engine that cannot run is a failure.
    pub require_kernel: bool,
}

impl RunConfig {
    /// The configuration from `PALISADE_CONFORMANCE_FILTER`, `PALISADE_CONFORMANCE_ENGINES` and
    /// `PALISADE_REQUIRE_KERNEL_ENGINES`.
    pub fn from_env() -> Result<RunConfig, ConfigError> {
        let var = |name: &str| env::var(name).ok().filter(|v| !v.trim().is_empty());
        let filter = match var(FILTER_VAR) {
            Some(text) => NameFilter::parse(&text).map_err(|message| ConfigError::Filter {
                source_name: FILTER_VAR.to_owned(),
                message,
            })?,
            None => NameFilter::default(),
        };
        let engines = var(ENGINES_VAR).map(|text| split_list(&text));
        let require_kernel = match var(REQUIRE_KERNEL_VAR).as_deref().map(str::trim) {
            None | Some("0") => false,
            Some("1") => true,
            Some(other) => {
                return Err(ConfigError::Bool {
                    var: REQUIRE_KERNEL_VAR,
                    value: other.to_owned(),
                });
            }
        };
        Ok(RunConfig {
            engines,
            filter,
            require_kernel,
        })
    }
}

/// Splits a comma-separated list, trimming and dropping empty items.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Runs `f`, turning a panic into `Err(message)`.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_message(&*p))
}

/// One engine's answer for one flow, before comparison.
pub(crate) enum Answer {
    Result(Box<FlowResult>),
    Error(String),
    Panicked(String),
    Skipped(String),
}

/// Evaluates `flow` with `engine` under `catch_unwind`; an `Unsupported` engine error is a skip.
pub(crate) fn answer(engine: &dyn FlowEngine, flow: &Flow) -> Answer {
    match guarded(|| engine.evaluate(flow)) {
        Ok(Ok(result)) => Answer::Result(Box::new(result)),
        Ok(Err(FlowError::Engine(EngineError::Unsupported { engine, reason }))) => {
            Answer::Skipped(format!("{engine} cannot express this: {reason}"))
        }
        Ok(Err(e)) => Answer::Error(e.to_string()),
        Err(panic) => Answer::Panicked(panic),
    }
}

/// Compares an answer with a baseline outcome and counts it in `tally`.
pub(crate) fn judge(
    engine: &str,
    answer: Answer,
    baseline: Option<&Outcome>,
    tally: &mut EngineTally,
) -> EngineFlowResult {
    let (result, differs) = match answer {
        Answer::Result(r) => match outcome_of(&r) {
            Ok(outcome) => {
                let differs = match baseline {
                    Some(b) => b.differences(&outcome),
                    None => Vec::new(),
                };
                (EngineResult::Decided(Box::new(outcome)), differs)
            }
            Err(e) => (EngineResult::Error(e.to_string()), Vec::new()),
        },
        Answer::Error(e) => (EngineResult::Error(e), Vec::new()),
        Answer::Panicked(p) => (EngineResult::Panicked(p), Vec::new()),
        Answer::Skipped(reason) => (EngineResult::Skipped(reason), Vec::new()),
    };
    let r = EngineFlowResult {
        engine: engine.to_owned(),
        result,
        differs,
    };
    match &r.result {
        EngineResult::Skipped(reason) => tally.skip(reason, 1),
        _ if r.passed() => {
            tally.flows += 1;
            tally.agreements += 1;
        }
        _ => {
            tally.flows += 1;
            tally.failed += 1;
        }
    }
    r
}

/// Runs cases on engines (see the module documentation).
pub struct Runner {
    adapters: Vec<Box<dyn EngineAdapter>>,
    config: RunConfig,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field(
                "adapters",
                &self.adapters.iter().map(|a| a.name()).collect::<Vec<_>>(),
            )
            .field("config", &self.config)
            .finish()
    }
}

impl Runner {
    /// A runner over `adapters` (in report order), keeping those `config` selects.
    pub fn new(
        adapters: Vec<Box<dyn EngineAdapter>>,
        config: RunConfig,
    ) -> Result<Runner, ConfigError> {
        let adapters = match &config.engines {
            None => adapters,
            Some(names) => {
                let known: Vec<String> = adapters.iter().map(|a| a.name().to_owned()).collect();
                for name in names {
                    if !known.contains(name) {
                        return Err(ConfigError::UnknownEngine {
                            name: name.clone(),
                            source_name: ENGINES_VAR.to_owned(),
                            known: known.join(", "),
                        });
                    }
                }
                adapters
                    .into_iter()
                    .filter(|a| names.iter().any(|n| n == a.name()))
                    .collect()
            }
        };
        Ok(Runner { adapters, config })
    }

    /// The standard engines, configured from the environment ([`RunConfig::from_env`]).
    pub fn from_env() -> Result<Runner, ConfigError> {
        Runner::new(standard_adapters(), RunConfig::from_env()?)
    }

    /// The adapters that run.
    pub fn adapters(&self) -> &[Box<dyn EngineAdapter>] {
        &self.adapters
    }

    /// The configuration.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// An empty report with one tally per engine.
    pub fn tally_report(&self, title: &str) -> Report {
        let mut report = Report::new(title);
        for a in &self.adapters {
            report
                .engines
                .push(EngineTally::new(a.name(), a.availability(), a.is_kernel()));
        }
        report
    }

    /// An empty report with one tally per engine and, when kernel engines are required
    /// (`PALISADE_REQUIRE_KERNEL_ENGINES=1`), a failure for each one that cannot run.
    pub fn new_report(&self, title: &str) -> Report {
        let mut report = self.tally_report(title);
        if self.config.require_kernel {
            for (a, tally) in self.adapters.iter().zip(&report.engines) {
                if a.is_kernel()
                    && let Availability::Unavailable { reason, .. } = &tally.availability
                {
                    report.failures.push(Failure {
                        case: "(engines)".to_owned(),
                        location: REQUIRE_KERNEL_VAR.to_owned(),
                        kind: FailureKind::RequiredEngine {
                            engine: a.name().to_owned(),
                            reason: reason.clone(),
                        },
                    });
                }
            }
        }
        report
    }

    /// Runs every selected case of `corpus` on every engine, in batches of [`BATCH`] cases.
    pub fn run_corpus(&self, corpus: &Corpus) -> Report {
        let mut report = self.new_report("corpus");
        let selected: Vec<&LoadedCase> = corpus
            .iter()
            .filter(|c| self.config.filter.selects(&c.case.name))
            .collect();
        for chunk in selected.chunks(BATCH) {
            self.run_cases_with(chunk, &mut report, |_| true);
        }
        report
    }

    /// Runs one case on every engine, adding to `report`.
    pub fn run_case(&self, loaded: &LoadedCase, report: &mut Report) {
        self.run_cases_with(&[loaded], report, |_| true);
    }

    /// Runs cases on the engines `select` accepts (the others count nothing), adding to
    /// `report`. Each engine is built for all the cases at once ([`EngineAdapter::load_many`]:
    /// kernel engines load the batch in one go).
    pub fn run_cases_with(
        &self,
        cases: &[&LoadedCase],
        report: &mut Report,
        select: impl Fn(&dyn EngineAdapter) -> bool,
    ) {
        // Set up every case: parse its flows, load its resources.
        let mut prepared: Vec<Prepared<'_>> = Vec::new();
        for loaded in cases {
            let case = &loaded.case;
            let modes = if case.options.staged {
                vec![Mode::Enforced, Mode::Pending]
            } else {
                vec![Mode::Enforced]
            };
            report.cases += 1;
            report.flows += case.flows.len() * modes.len();
            let setup = |message: String| Failure {
                case: case.name.clone(),
                location: loaded.location(),
                kind: FailureKind::Setup { message },
            };
            let flows = match parse_flows(case) {
                Ok(flows) => flows,
                Err(message) => {
                    report.failures.push(setup(message));
                    continue;
                }
            };
            match guarded(|| Cluster::load(&case.resources, &case.options)) {
                Ok(Ok(cluster)) => prepared.push(Prepared {
                    loaded,
                    flows,
                    cluster,
                    modes,
                }),
                Ok(Err(e)) => report.failures.push(setup(e.to_string())),
                Err(panic) => report
                    .failures
                    .push(setup(format!("loading the resources panicked: {panic}"))),
            }
        }
        // One unit per (case, mode).
        let units: Vec<(usize, Mode)> = prepared
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.modes.iter().map(move |m| (i, *m)))
            .collect();
        let mut results: Vec<Vec<Vec<EngineFlowResult>>> = units
            .iter()
            .map(|(i, _)| vec![Vec::new(); prepared[*i].flows.len()])
            .collect();
        let mut ran = vec![vec![false; self.adapters.len()]; prepared.len()];
        for (ai, adapter) in self.adapters.iter().enumerate() {
            if !select(adapter.as_ref()) {
                continue;
            }
            let started = Instant::now();
            let tally = &mut report.engines[ai];
            let availability = adapter.availability();
            let mut to_load = Vec::new();
            for (u, &(i, mode)) in units.iter().enumerate() {
                let p = &prepared[i];
                let skip = match &availability {
                    Availability::Unavailable { kind, reason } => {
                        Some(format!("{} ({reason})", kind.label()))
                    }
                    Availability::Available => p
                        .loaded
                        .case
                        .skip_reason(adapter.skip_key())
                        .map(|r| format!("case skip: {r}"))
                        .or_else(|| {
                            adapter
                                .cannot_express(&p.cluster, mode)
                                .map(|r| format!("cannot express: {r}"))
                        }),
                };
                match skip {
                    Some(reason) => {
                        for (f, slot) in results[u].iter_mut().enumerate() {
                            let expected = expected_outcome(&p.loaded.case, f, mode);
                            slot.push(judge(
                                adapter.name(),
                                Answer::Skipped(reason.clone()),
                                expected,
                                tally,
                            ));
                        }
                    }
                    None => to_load.push(u),
                }
            }
            let batch: Vec<(&Cluster, Mode)> = to_load
                .iter()
                .map(|&u| (&prepared[units[u].0].cluster, units[u].1))
                .collect();
            let engines = match guarded(|| adapter.load_many(&batch)) {
                Ok(engines) if engines.len() == batch.len() => engines,
                Ok(engines) => {
                    let message = format!(
                        "load_many built {} engines for {} clusters",
                        engines.len(),
                        batch.len()
                    );
                    batch.iter().map(|_| Err(message.clone())).collect()
                }
                Err(panic) => batch
                    .iter()
                    .map(|_| Err(format!("panicked: {panic}")))
                    .collect(),
            };
            for (&u, engine) in to_load.iter().zip(engines) {
                let (i, mode) = units[u];
                let p = &prepared[i];
                match engine {
                    Ok(engine) => {
                        for (f, flow) in p.flows.iter().enumerate() {
                            let expected = expected_outcome(&p.loaded.case, f, mode);
                            let r = judge(
                                adapter.name(),
                                answer(engine.as_ref(), flow),
                                expected,
                                tally,
                            );
                            ran[i][ai] |= !matches!(r.result, EngineResult::Skipped(_));
                            results[u][f].push(r);
                        }
                    }
                    Err(message) => {
                        report.failures.push(Failure {
                            case: p.loaded.case.name.clone(),
                            location: p.loaded.location(),
                            kind: FailureKind::EngineLoad {
                                engine: adapter.name().to_owned(),
                                mode,
                                message,
                            },
                        });
                        tally.flows += p.flows.len();
                        tally.failed += p.flows.len();
                        ran[i][ai] = true;
                        for slot in results[u].iter_mut() {
                            slot.push(EngineFlowResult {
                                engine: adapter.name().to_owned(),
                                result: EngineResult::NotLoaded(
                                    "see the load failure of this case".to_owned(),
                                ),
                                differs: Vec::new(),
                            });
                        }
                    }
                }
            }
            tally.elapsed += started.elapsed();
        }
        for (u, flows) in results.into_iter().enumerate() {
            let (i, mode) = units[u];
            let case = &prepared[i].loaded.case;
            for (f, engines) in flows.into_iter().enumerate() {
                let failing = engines
                    .iter()
                    .any(|e| !e.passed() && !matches!(e.result, EngineResult::NotLoaded(_)));
                let Some(expected) = expected_outcome(case, f, mode) else {
                    continue;
                };
                if failing {
                    report.failures.push(Failure {
                        case: case.name.clone(),
                        location: prepared[i].loaded.location(),
                        kind: FailureKind::Flow(Box::new(FlowFailure {
                            index: f,
                            flow: case.flows[f].flow.to_string(),
                            mode,
                            expected: expected.clone(),
                            engines,
                        })),
                    });
                }
            }
        }
        for ran in ran {
            for (tally, ran) in report.engines.iter_mut().zip(ran) {
                if ran {
                    tally.cases += 1;
                }
            }
        }
    }
}

/// Cases per batch: kernel engines load this many clusters at once.
pub const BATCH: usize = 32;

/// A case ready to run.
struct Prepared<'c> {
    loaded: &'c LoadedCase,
    flows: Vec<Flow>,
    cluster: Cluster,
    modes: Vec<Mode>,
}

/// The compiler flows of a case, or every flow that does not parse.
pub(crate) fn parse_flows(case: &Case) -> Result<Vec<Flow>, String> {
    let mut flows = Vec::new();
    let mut problems = Vec::new();
    for (i, f) in case.flows.iter().enumerate() {
        match parse_flow(&f.flow) {
            Ok(flow) => flows.push(flow),
            Err(e) => problems.push(format!("flows[{i}] `{}`: {e}", f.flow)),
        }
    }
    if problems.is_empty() {
        Ok(flows)
    } else {
        Err(problems.join("; "))
    }
}

/// The expectation of flow `i` in `mode`.
fn expected_outcome(case: &Case, i: usize, mode: Mode) -> Option<&Outcome> {
    let expect = &case.flows.get(i)?.expect;
    match mode {
        Mode::Enforced => Some(&expect.enforced),
        Mode::Pending => expect.pending.as_ref(),
    }
}

/// The engine names of the standard adapters.
pub fn standard_engine_names() -> Vec<&'static str> {
    EngineName::ALL.iter().map(|e| e.as_str()).collect()
}
