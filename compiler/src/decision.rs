//! What every engine returns for one program and one packet: the verdict, the deciding origin
//! and the steps taken before it (DECISIONS D7).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ir::Origin;

/// The outcome of one program (or one stage) for one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Accepted.
    Allow,
    /// Dropped.
    Deny,
    /// No verdict: the stage (untracked or pre-DNAT) leaves the decision to the next stage.
    NoVerdict,
}

impl Verdict {
    /// `"allow"`, `"deny"` or `"no-verdict"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::NoVerdict => "no-verdict",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step taken before the decision.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "step", content = "origin", rename_all = "kebab-case")]
pub enum Step {
    /// A Log rule matched (the packet was logged; evaluation continued).
    Log(Origin),
    /// A Pass rule matched, or a tier ended with its Pass default: evaluation continued at the next
    /// tier (or profile).
    Pass(Origin),
}

/// An engine's answer for one program and one packet.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Decision {
    /// The verdict.
    pub verdict: Verdict,
    /// What decided it.
    pub origin: Origin,
    /// Log and Pass steps before the decision, in order.
    pub steps: Vec<Step>,
}

impl Decision {
    /// True when two decisions agree in the sense of DECISIONS D7 (verdict and deciding origin).
    pub fn agrees_with(&self, other: &Decision) -> bool {
        self.verdict == other.verdict && self.origin == other.origin
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} by {}", self.verdict, self.origin)?;
        for step in &self.steps {
            match step {
                Step::Log(o) => write!(f, "; logged by {o}")?,
                Step::Pass(o) => write!(f, "; passed at {o}")?,
            }
        }
        Ok(())
    }
}
