//! What the loader reports: every problem with its file, line, case and field.

use std::fmt;
use std::path::PathBuf;

/// One problem found while loading case files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The case file.
    pub file: PathBuf,
    /// Line in the file (of the case, or of a YAML syntax error), when known.
    pub line: Option<u64>,
    /// The case name, when the case has one.
    pub case: Option<String>,
    /// Path of the offending field inside the case, e.g. `flows[2].expect.egress.rule`.
    pub field: Option<String>,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(case) = &self.case {
            write!(f, ": case `{case}`")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.kind)
    }
}

/// What is wrong (the `Display` text is the message of a [`Problem`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A file or directory could not be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// The directory holds no case file.
    #[error("no case files (*.yaml, *.yml) found")]
    NoCaseFiles,
    /// The file is not valid YAML, or its top level is not `cases: [...]`.
    #[error("{0}")]
    Syntax(String),
    /// A field that the format does not have (every level rejects unknown fields).
    #[error("unknown field `{0}`")]
    UnknownField(String),
    /// A required field is missing.
    #[error("missing field `{0}`")]
    MissingField(String),
    /// A field has the wrong type or value (serde's message).
    #[error("{0}")]
    Decode(String),
    /// A case name is used twice.
    #[error("duplicate case name (first defined in {first})")]
    DuplicateName {
        /// Where the name was first defined (`file:line`).
        first: String,
    },
    /// A case name is not `group/what` with lower-case segments.
    #[error(
        "invalid case name `{0}`: expected lower-case segments of [a-z0-9-] separated by `/`, at least two (`topic/what`)"
    )]
    InvalidName(String),
    /// A required text or list is empty.
    #[error("must not be empty")]
    Empty,
    /// A topic is listed twice.
    #[error("topic `{0}` is listed twice")]
    DuplicateTopic(String),
    /// A flow in the text form spans several lines.
    #[error("a text flow must be one line")]
    MultiLineFlow,
    /// An object-form flow is inconsistent.
    #[error("{0}")]
    InvalidFlow(String),
    /// A DNS entry of `options.dns` is malformed.
    #[error("{0}")]
    InvalidDns(String),
    /// An `egress` or `ingress` key is missing (write `null` for "no decision on that side").
    #[error("missing `{0}`: write `null` when that side has no decision")]
    MissingSide(&'static str),
    /// A decision lacks a field its `by` requires.
    #[error("`by: {by}` requires `{field}`")]
    MissingDecisionField {
        /// The origin.
        by: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// A decision has a field its `by` does not take.
    #[error("`by: {by}` does not take `{field}`")]
    ExtraDecisionField {
        /// The origin.
        by: &'static str,
        /// The field given.
        field: &'static str,
    },
    /// A decision's `kind` does not fit its `by` (e.g. `Profile` with `by: rule`).
    #[error("`by: {by}` cannot have `kind: {kind}`")]
    KindForBy {
        /// The origin.
        by: &'static str,
        /// The kind given.
        kind: String,
    },
    /// A decision's verdict is impossible for its origin.
    #[error("`by: {by}` cannot give verdict `{verdict}`")]
    VerdictForBy {
        /// The origin.
        by: &'static str,
        /// The verdict given.
        verdict: &'static str,
    },
    /// A flow-level decision has no verdict.
    #[error(
        "a flow-level decision is allow or deny: `no-verdict` exists only inside untracked and pre-DNAT stages (DECISIONS D6/D7)"
    )]
    NoVerdictAtFlowLevel,
    /// The overall verdict disagrees with the per-side decisions.
    #[error("overall verdict `{given}` contradicts the decisions, which give `{implied}`")]
    OverallVerdict {
        /// The verdict written.
        given: &'static str,
        /// The verdict the decisions imply.
        implied: &'static str,
    },
    /// An outcome has no decision at all.
    #[error("no decision on any side: a flow touches at least one endpoint (DECISIONS D6)")]
    NoDecision,
    /// `pending` given without `options.staged`, or missing with it.
    #[error("{0}")]
    Pending(&'static str),
}

/// Everything wrong with a set of case files (at least one problem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{n} problem{} in the conformance cases",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}
