//! [`CompileError`]: why (part of) a model cannot be compiled, always naming the rule, program or
//! set concerned.

use std::fmt;

use palisade_policy_model::model::Direction;

use crate::ir::{IpSetId, IpSetSource, Origin, ProgramTarget};

/// Why part of the model cannot be compiled faithfully, or exceeds a backend's limits.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// A rule has an `http` match and the compiler runs in [`HttpMode::Refuse`](super::HttpMode)
    /// (DECISIONS D9). The programs that would contain the rule are left out of the snapshot.
    #[error(
        "{origin} ({direction}): the rule has an `http` match, which the L3/L4 dataplanes cannot \
         enforce; refusing to compile it (choose HttpMode::L4Only to enforce only its L3/L4 part)"
    )]
    HttpRefused {
        /// The rule.
        origin: Origin,
        /// Its direction.
        direction: Direction,
    },
    /// A rule cannot be expressed in the IR (input that validation rejects). The programs that
    /// would contain the rule are left out of the snapshot.
    #[error("{origin} ({direction}): {reason}")]
    InvalidRule {
        /// The rule.
        origin: Origin,
        /// Its direction.
        direction: Direction,
        /// What is wrong with it.
        reason: String,
    },
    /// A program has more rules than [`Limits::rules_per_program`](super::Limits::rules_per_program).
    #[error(
        "{target}: the program has {rules} rules, more than the limit of {limit}; the first rule \
         over the limit comes from {origin}"
    )]
    TooManyRules {
        /// The program.
        target: ProgramTarget,
        /// Its length.
        rules: usize,
        /// The limit.
        limit: usize,
        /// The origin of the first rule past the limit.
        origin: Origin,
    },
    /// An IP set has more members than [`Limits::members_per_set`](super::Limits::members_per_set).
    #[error(
        "IP set {set} ({}) has {members} members, more than the limit of {limit}{}",
        SourceText(set_source),
        UsedBy(used_by)
    )]
    TooManyMembers {
        /// The set.
        set: IpSetId,
        /// What its members come from.
        set_source: IpSetSource,
        /// Its size.
        members: usize,
        /// The limit.
        limit: usize,
        /// A rule that uses the set (the first in origin order).
        used_by: Option<Origin>,
    },
    /// The snapshot has more IP sets than [`Limits::sets`](super::Limits::sets).
    #[error("the snapshot has {sets} IP sets, more than the limit of {limit}")]
    TooManySets {
        /// The number of sets.
        sets: usize,
        /// The limit.
        limit: usize,
    },
}

struct SourceText<'a>(&'a IpSetSource);

impl fmt::Display for SourceText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpSetSource::Selector { selector } => write!(f, "selector {selector}"),
            IpSetSource::Nets => f.write_str("CIDR list"),
            IpSetSource::NamedPort {
                selector,
                protocol,
                name,
            } => {
                write!(f, "named port {name}")?;
                if let Some(p) = protocol {
                    write!(f, " protocol {p}")?;
                }
                write!(f, " on {selector}")
            }
            IpSetSource::Service {
                namespace, name, ..
            } => write!(f, "service {namespace}/{name}"),
            IpSetSource::Domains { domains } => {
                let d: Vec<&str> = domains.iter().map(|d| &**d).collect();
                write!(f, "domains {}", d.join(", "))
            }
            _ => f.write_str("built-in"),
        }
    }
}

struct UsedBy<'a>(&'a Option<Origin>);

impl fmt::Display for UsedBy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(o) => write!(f, "; used by {o}"),
            None => Ok(()),
        }
    }
}

/// Every error of a compile, in a stable order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct CompileErrors(pub Vec<CompileError>);

impl fmt::Display for CompileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => f.write_str("no errors"),
            [one] => one.fmt(f),
            many => {
                write!(f, "{} errors:", many.len())?;
                for e in many {
                    write!(f, "\n  {e}")?;
                }
                Ok(())
            }
        }
    }
}
