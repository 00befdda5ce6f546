//! The [`Report`] of a run: a tally per engine (cases, flows, agreements, skips, failures) and
//! every failure at once — case, file, flow, what was expected and what each engine gave with
//! its deciding origin — printed in the case-file notation so that a line can be pasted into a
//! case.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::time::Duration;

use crate::case::{Outcome, OutcomeField};
use crate::cluster::Mode;
use crate::engines::Availability;

/// A run's result: tallies per engine and every failure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// What was run (`corpus`, `generated`, ...), for the heading.
    pub title: String,
    /// Cases run.
    pub cases: usize,
    /// Flows run (a staged case counts its flows twice: enforced and pending).
    pub flows: usize,
    /// One tally per engine, in engine order.
    pub engines: Vec<EngineTally>,
    /// Every failure, in case order.
    pub failures: Vec<Failure>,
}

/// What one engine did in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineTally {
    /// Engine name.
    pub engine: String,
    /// Whether it could run at all.
    pub availability: Availability,
    /// True for kernel engines.
    pub kernel: bool,
    /// Cases it ran (at least one flow not skipped).
    pub cases: usize,
    /// Flows it was asked to decide (skipped ones included).
    pub flows: usize,
    /// Flows where it agreed with the expectation (or the reference).
    pub agreements: usize,
    /// Flows it skipped (case `skip`, cannot express, or engine unavailable).
    pub skipped: usize,
    /// Flows where it disagreed, failed or panicked.
    pub failed: usize,
    /// Skip reasons with their counts.
    pub skip_reasons: BTreeMap<String, usize>,
    /// Time spent building the engine and evaluating flows.
    pub elapsed: Duration,
}

impl EngineTally {
    /// An empty tally.
    pub fn new(engine: &str, availability: Availability, kernel: bool) -> EngineTally {
        EngineTally {
            engine: engine.to_owned(),
            availability,
            kernel,
            cases: 0,
            flows: 0,
            agreements: 0,
            skipped: 0,
            failed: 0,
            skip_reasons: BTreeMap::new(),
            elapsed: Duration::ZERO,
        }
    }

    /// Records `n` skipped flows with `reason`.
    pub fn skip(&mut self, reason: &str, n: usize) {
        if n == 0 {
            return;
        }
        self.flows += n;
        self.skipped += n;
        *self.skip_reasons.entry(reason.to_owned()).or_default() += n;
    }

    /// Adds another tally of the same engine.
    pub fn absorb(&mut self, other: &EngineTally) {
        self.cases += other.cases;
        self.flows += other.flows;
        self.agreements += other.agreements;
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.elapsed += other.elapsed;
        for (reason, n) in &other.skip_reasons {
            *self.skip_reasons.entry(reason.clone()).or_default() += n;
        }
    }
}

/// One failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The case name.
    pub case: String,
    /// Where the case is (`file:line`), or what produced it.
    pub location: String,
    /// What failed.
    pub kind: FailureKind,
}

/// What failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// The case could not be set up: its resources do not load, or a flow does not parse.
    Setup {
        /// What is wrong.
        message: String,
    },
    /// An engine could not be built for the case (compile error, kernel load error, panic).
    EngineLoad {
        /// The engine.
        engine: String,
        /// The mode.
        mode: Mode,
        /// What went wrong.
        message: String,
    },
    /// Engines disagree on a flow.
    Flow(Box<FlowFailure>),
    /// A kernel engine is required (`PALISADE_REQUIRE_KERNEL_ENGINES=1`) but did not run.
    RequiredEngine {
        /// The engine.
        engine: String,
        /// Why it did not run.
        reason: String,
    },
}

/// A flow on which some engine disagreed, failed or panicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowFailure {
    /// Index of the flow in the case (`flows[i]`).
    pub index: usize,
    /// The flow as written.
    pub flow: String,
    /// Enforced or pending.
    pub mode: Mode,
    /// The expected decisions (for generated cases: the reference evaluator's).
    pub expected: Outcome,
    /// Every engine's result for this flow, in engine order.
    pub engines: Vec<EngineFlowResult>,
}

impl FlowFailure {
    /// The result of `engine`, if it ran.
    pub fn engine(&self, engine: &str) -> Option<&EngineFlowResult> {
        self.engines.iter().find(|e| e.engine == engine)
    }

    /// The engines that disagreed, failed or panicked.
    pub fn failing_engines(&self) -> impl Iterator<Item = &EngineFlowResult> {
        self.engines.iter().filter(|e| !e.passed())
    }
}

/// One engine's result for one flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineFlowResult {
    /// The engine.
    pub engine: String,
    /// What it gave.
    pub result: EngineResult,
    /// Where it differs from the baseline (empty when it agrees or did not decide).
    pub differs: Vec<OutcomeField>,
}

impl EngineFlowResult {
    /// True when the engine agreed or skipped.
    pub fn passed(&self) -> bool {
        match &self.result {
            EngineResult::Decided(_) => self.differs.is_empty(),
            EngineResult::Skipped(_) => true,
            EngineResult::Error(_) | EngineResult::Panicked(_) | EngineResult::NotLoaded(_) => {
                false
            }
        }
    }
}

/// What an engine gave for a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineResult {
    /// Its decisions.
    Decided(Box<Outcome>),
    /// It could not evaluate the flow.
    Error(String),
    /// It panicked.
    Panicked(String),
    /// It skipped the flow, with the reason.
    Skipped(String),
    /// It could not be built for this case (see the engine-load failure).
    NotLoaded(String),
}

impl Report {
    /// An empty report titled `title`.
    pub fn new(title: &str) -> Report {
        Report {
            title: title.to_owned(),
            ..Report::default()
        }
    }

    /// True when nothing failed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The tally of `engine`.
    pub fn tally(&self, engine: &str) -> Option<&EngineTally> {
        self.engines.iter().find(|t| t.engine == engine)
    }

    /// The flow failures.
    pub fn flow_failures(&self) -> impl Iterator<Item = (&Failure, &FlowFailure)> {
        self.failures.iter().filter_map(|f| match &f.kind {
            FailureKind::Flow(flow) => Some((f, &**flow)),
            _ => None,
        })
    }

    /// Adds another report's counts, tallies (by engine name) and failures.
    pub fn absorb(&mut self, other: Report) {
        self.cases += other.cases;
        self.flows += other.flows;
        for tally in &other.engines {
            match self.engines.iter_mut().find(|t| t.engine == tally.engine) {
                Some(mine) => mine.absorb(tally),
                None => self.engines.push(tally.clone()),
            }
        }
        self.failures.extend(other.failures);
    }

    /// Panics with the whole report unless every flow passed.
    #[track_caller]
    pub fn assert_passed(&self) {
        assert!(self.passed(), "{self}");
    }

    /// The summary table: one row per engine with cases, flows, agreements, skips and
    /// failures; unavailable engines say `SKIPPED (reason)` or `NOT BUILT (reason)`.
    pub fn summary_table(&self) -> String {
        let mut rows = vec![[
            "engine".to_owned(),
            "cases".to_owned(),
            "flows".to_owned(),
            "agree".to_owned(),
            "skipped".to_owned(),
            "failed".to_owned(),
            "time".to_owned(),
            "status".to_owned(),
        ]];
        for t in &self.engines {
            let status = match &t.availability {
                Availability::Available if t.failed > 0 => "FAILED".to_owned(),
                Availability::Available => "ok".to_owned(),
                other => other.to_string(),
            };
            rows.push([
                t.engine.clone(),
                t.cases.to_string(),
                t.flows.to_string(),
                t.agreements.to_string(),
                t.skipped.to_string(),
                t.failed.to_string(),
                format!("{:.1}s", t.elapsed.as_secs_f64()),
                status,
            ]);
        }
        let mut widths = [0usize; 8];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        let mut out = String::new();
        for row in &rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i == 0 || i == 7 {
                    let _ = write!(line, "{cell:<w$}  ", w = widths[i]);
                } else {
                    let _ = write!(line, "{cell:>w$}  ", w = widths[i]);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.failures.len();
        writeln!(
            f,
            "conformance ({}): {} cases, {} flows, {} failure{}",
            self.title,
            self.cases,
            self.flows,
            n,
            if n == 1 { "" } else { "s" }
        )?;
        f.write_str(&self.summary_table())?;
        for t in &self.engines {
            for (reason, count) in &t.skip_reasons {
                writeln!(f, "  {} skipped {count} flow(s): {reason}", t.engine)?;
            }
        }
        for (i, failure) in self.failures.iter().enumerate() {
            writeln!(f)?;
            write!(f, "FAILURE {}/{n}: ", i + 1)?;
            failure.fmt(f)?;
        }
        Ok(())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "case `{}` ({})", self.case, self.location)?;
        match &self.kind {
            FailureKind::Setup { message } => writeln!(f, "  setup: {message}"),
            FailureKind::EngineLoad {
                engine,
                mode,
                message,
            } => writeln!(f, "  {engine} ({mode}) could not be built: {message}"),
            FailureKind::RequiredEngine { engine, reason } => writeln!(
                f,
                "  {engine} is required (PALISADE_REQUIRE_KERNEL_ENGINES=1) but did not run: {reason}"
            ),
            FailureKind::Flow(flow) => flow.fmt(f),
        }
    }
}

/// Writes `outcome` one field per line, marking the fields in `differs`.
fn write_outcome(
    f: &mut fmt::Formatter<'_>,
    outcome: &Outcome,
    differs: &[OutcomeField],
) -> fmt::Result {
    let mark = |field: OutcomeField| {
        if differs.contains(&field) {
            "   <-- differs"
        } else {
            ""
        }
    };
    writeln!(
        f,
        "        verdict     {}{}",
        outcome.verdict,
        mark(OutcomeField::Verdict)
    )?;
    for side in OutcomeField::SIDES {
        let shown = match outcome.side(side) {
            Some(d) => d.to_string(),
            None if differs.contains(&side)
                || matches!(side, OutcomeField::Egress | OutcomeField::Ingress) =>
            {
                "null".to_owned()
            }
            None => continue,
        };
        writeln!(f, "        {:<11} {shown}{}", side.as_str(), mark(side))?;
    }
    Ok(())
}

impl fmt::Display for FlowFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  flows[{}] ({}): {}", self.index, self.mode, self.flow)?;
        writeln!(f, "    expected")?;
        write_outcome(f, &self.expected, &[])?;
        for e in &self.engines {
            match &e.result {
                EngineResult::Decided(_) if e.differs.is_empty() => {
                    writeln!(f, "    {}: agrees", e.engine)?;
                }
                EngineResult::Decided(outcome) => {
                    let fields: Vec<&str> = e.differs.iter().map(|d| d.as_str()).collect();
                    writeln!(f, "    {}: DIFFERS in {}", e.engine, fields.join(", "))?;
                    write_outcome(f, outcome, &e.differs)?;
                }
                EngineResult::Error(message) => writeln!(f, "    {}: ERROR {message}", e.engine)?,
                EngineResult::Panicked(message) => {
                    writeln!(f, "    {}: PANICKED {message}", e.engine)?
                }
                EngineResult::Skipped(reason) => {
                    writeln!(f, "    {}: skipped ({reason})", e.engine)?
                }
                EngineResult::NotLoaded(message) => {
                    writeln!(f, "    {}: NOT LOADED {message}", e.engine)?
                }
            }
        }
        Ok(())
    }
}
