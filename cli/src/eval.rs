//! The `eval` pipeline: flows in, one answer per flow out, in input order, each written as soon
//! as it is known. One [`Evaluator`] (engines built once) serves every flow; a flow that cannot be
//! read or evaluated is reported with its line number and never stops the others.

use std::fmt;
use std::io::{self, Write};

use crate::backend::{Evaluator, Outcome};
use crate::explain::write_table;
use crate::flows::InputFlow;
use crate::report::{ErrorJson, FlowJson};

/// How answers are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum OutputFormat {
    /// For people: the flow and its verdict, then one line per decision.
    Table,
    /// One JSON array holding one object per flow (and per bad line).
    Json,
    /// One JSON object per line, per flow (and per bad line), in input order.
    Jsonl,
}

impl OutputFormat {
    /// `table` on a terminal, `jsonl` otherwise (the default of `-o`).
    pub fn default_for(terminal: bool) -> OutputFormat {
        if terminal {
            OutputFormat::Table
        } else {
            OutputFormat::Jsonl
        }
    }
}

/// Options of one run.
#[derive(Clone, Debug)]
pub struct EvalConfig {
    /// The output format.
    pub format: OutputFormat,
    /// Add steps (and, in table form, a sentence per decision).
    pub explain: bool,
    /// Flush after every answer (for a terminal); otherwise only at the end.
    pub flush_each: bool,
    /// How error messages name the input: e.g. `flows.jsonl line` or `--flow`.
    pub source: String,
}

/// Counts of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Flows answered.
    pub answered: usize,
    /// Of which allowed.
    pub allowed: usize,
    /// Flows that could not be read or evaluated.
    pub errors: usize,
}

impl Summary {
    /// Flows answered with deny.
    pub fn denied(&self) -> usize {
        self.answered - self.allowed
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {} allowed, {} denied",
            self.answered,
            if self.answered == 1 { "flow" } else { "flows" },
            self.allowed,
            self.denied()
        )?;
        if self.errors > 0 {
            write!(
                f,
                "; {} {} could not be evaluated",
                self.errors,
                if self.errors == 1 { "flow" } else { "flows" }
            )?;
        }
        Ok(())
    }
}

/// Writes answers in one format, keeping track of the JSON array's punctuation.
struct Writer<'a> {
    out: &'a mut dyn Write,
    config: &'a EvalConfig,
    first: bool,
}

impl Writer<'_> {
    fn start(&mut self) -> io::Result<()> {
        if self.config.format == OutputFormat::Json {
            self.out.write_all(b"[")?;
        }
        Ok(())
    }

    fn separator(&mut self) -> io::Result<()> {
        if self.config.format == OutputFormat::Json {
            self.out
                .write_all(if self.first { b"\n" } else { b",\n" })?;
        }
        self.first = false;
        Ok(())
    }

    fn json<T: serde::Serialize>(&mut self, value: &T) -> io::Result<()> {
        self.separator()?;
        serde_json::to_writer(&mut *self.out, value).map_err(io::Error::from)?;
        if self.config.format == OutputFormat::Jsonl {
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn answer(&mut self, evaluator: &Evaluator<'_>, outcome: &Outcome) -> io::Result<()> {
        match self.config.format {
            OutputFormat::Table => {
                write_table(self.out, evaluator.model(), outcome, self.config.explain)
            }
            OutputFormat::Json | OutputFormat::Jsonl => self.json(&FlowJson {
                outcome,
                explain: self.config.explain,
            }),
        }?;
        self.flush_if_asked()
    }

    fn error(&mut self, line: usize, message: &str) -> io::Result<()> {
        if self.config.format != OutputFormat::Table {
            self.json(&ErrorJson {
                line,
                error: message,
            })?;
        }
        self.flush_if_asked()
    }

    fn flush_if_asked(&mut self) -> io::Result<()> {
        if self.config.flush_each {
            self.out.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        match self.config.format {
            OutputFormat::Json => {
                self.out
                    .write_all(if self.first { b"]\n" } else { b"\n]\n" })?;
            }
            OutputFormat::Table => writeln!(self.out, "{summary}")?,
            OutputFormat::Jsonl => {}
        }
        self.out.flush()
    }
}

/// Evaluates every flow of `flows` with `evaluator` and writes the answers to `out` in input
/// order; errors go to `err` (`error: SOURCE N: message`) and, in JSON forms, also to `out` as
/// `{"line": N, "error": "…"}`. Returns the counts; an I/O error on `out` or `err` stops the
/// run.
pub fn run_eval(
    evaluator: &Evaluator<'_>,
    flows: impl Iterator<Item = InputFlow>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    config: &EvalConfig,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut writer = Writer {
        out,
        config,
        first: true,
    };
    writer.start()?;
    for item in flows {
        let answer = item
            .flow
            .and_then(|flow| evaluator.evaluate(&flow).map_err(|e| e.to_string()));
        match answer {
            Ok(outcome) => {
                summary.answered += 1;
                if outcome.result.verdict == palisade_compiler::Verdict::Allow {
                    summary.allowed += 1;
                }
                writer.answer(evaluator, &outcome)?;
            }
            Err(message) => {
                summary.errors += 1;
                // The answers before this one reach the terminal first.
                if config.flush_each {
                    writer.out.flush()?;
                }
                writeln!(err, "error: {} {}: {message}", config.source, item.line)?;
                writer.error(item.line, &message)?;
            }
        }
    }
    writer.finish(&summary)?;
    Ok(summary)
}
