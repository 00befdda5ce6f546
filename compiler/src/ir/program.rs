//! [`Program`]: the flat, first-match rule list for one endpoint hook.
//!
//! Tiers are flattened in order (tier → policy → rule), each tier ends with an explicit
//! end-of-tier rule (Deny, or Pass when the tier's default is Pass), profiles follow, and a final
//! match-all rule gives the program's default. `Pass { to }` continues at rule `to` (the first
//! rule of the next tier, or of the next profile); `Log` records and continues.

use std::fmt;

use palisade_policy_model::model::{Direction, EndpointKey};
use serde::{Deserialize, Serialize};

use super::matches::Match;
use super::origin::Origin;

/// Where a program is attached: an endpoint and one of its hooks (DECISIONS D6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hook {
    /// Traffic into a workload.
    WorkloadIngress,
    /// Traffic out of a workload.
    WorkloadEgress,
    /// Traffic to the host itself through a host endpoint (normal policy, failsafes, profiles).
    HostIngress,
    /// Traffic from the host itself through a host endpoint.
    HostEgress,
    /// Traffic forwarded in through a host endpoint (applyOnForward policies).
    HostForwardIngress,
    /// Traffic forwarded out through a host endpoint (applyOnForward policies).
    HostForwardEgress,
    /// Pre-DNAT policy on traffic arriving at a host endpoint.
    HostPreDnatIngress,
    /// Untracked (doNotTrack) policy on traffic arriving at a host endpoint.
    HostUntrackedIngress,
    /// Untracked (doNotTrack) policy on traffic leaving through a host endpoint.
    HostUntrackedEgress,
}

impl Hook {
    /// All hooks.
    pub const ALL: [Hook; 9] = [
        Hook::WorkloadIngress,
        Hook::WorkloadEgress,
        Hook::HostIngress,
        Hook::HostEgress,
        Hook::HostForwardIngress,
        Hook::HostForwardEgress,
        Hook::HostPreDnatIngress,
        Hook::HostUntrackedIngress,
        Hook::HostUntrackedEgress,
    ];

    /// The hooks a workload endpoint has.
    pub const WORKLOAD: [Hook; 2] = [Hook::WorkloadIngress, Hook::WorkloadEgress];

    /// The hooks a host endpoint has.
    pub const HOST: [Hook; 7] = [
        Hook::HostIngress,
        Hook::HostEgress,
        Hook::HostForwardIngress,
        Hook::HostForwardEgress,
        Hook::HostPreDnatIngress,
        Hook::HostUntrackedIngress,
        Hook::HostUntrackedEgress,
    ];

    /// The policy direction whose rules the hook evaluates.
    pub fn direction(self) -> Direction {
        match self {
            Hook::WorkloadIngress
            | Hook::HostIngress
            | Hook::HostForwardIngress
            | Hook::HostPreDnatIngress
            | Hook::HostUntrackedIngress => Direction::Ingress,
            Hook::WorkloadEgress
            | Hook::HostEgress
            | Hook::HostForwardEgress
            | Hook::HostUntrackedEgress => Direction::Egress,
        }
    }

    /// True for the hooks of workload endpoints.
    pub fn is_workload(self) -> bool {
        matches!(self, Hook::WorkloadIngress | Hook::WorkloadEgress)
    }

    /// True for the stages that may end without a verdict (untracked and pre-DNAT).
    pub fn may_give_no_verdict(self) -> bool {
        matches!(
            self,
            Hook::HostPreDnatIngress | Hook::HostUntrackedIngress | Hook::HostUntrackedEgress
        )
    }

    /// A short name, e.g. `workload-ingress`.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::WorkloadIngress => "workload-ingress",
            Hook::WorkloadEgress => "workload-egress",
            Hook::HostIngress => "host-ingress",
            Hook::HostEgress => "host-egress",
            Hook::HostForwardIngress => "host-forward-ingress",
            Hook::HostForwardEgress => "host-forward-egress",
            Hook::HostPreDnatIngress => "host-pre-dnat-ingress",
            Hook::HostUntrackedIngress => "host-untracked-ingress",
            Hook::HostUntrackedEgress => "host-untracked-egress",
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A program's attachment point.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProgramTarget {
    /// The endpoint.
    pub endpoint: EndpointKey,
    /// The hook.
    pub hook: Hook,
}

impl fmt::Display for ProgramTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.endpoint, self.hook)
    }
}

/// What a matching IR rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum IrAction {
    /// Accept (final for this program).
    Allow,
    /// Drop (final for this program).
    Deny,
    /// Record the packet and continue with the next rule.
    Log,
    /// Continue at rule `to` (a later rule: the next tier's or profile's first rule).
    Pass {
        /// Index of the rule to continue at.
        to: u32,
    },
    /// End the program without a verdict (untracked and pre-DNAT stages only): the next stage
    /// decides.
    NoVerdict,
}

impl IrAction {
    /// True for actions that end the program.
    pub fn is_final(self) -> bool {
        matches!(self, IrAction::Allow | IrAction::Deny | IrAction::NoVerdict)
    }
}

impl fmt::Display for IrAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IrAction::Allow => f.write_str("allow"),
            IrAction::Deny => f.write_str("deny"),
            IrAction::Log => f.write_str("log"),
            IrAction::Pass { to } => write!(f, "pass -> {to}"),
            IrAction::NoVerdict => f.write_str("no-verdict"),
        }
    }
}

/// One IR rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IrRule {
    /// What it matches.
    pub matches: Match,
    /// What it does.
    pub action: IrAction,
    /// Where it came from.
    pub origin: Origin,
}

/// Why a rule list is not a valid [`Program`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProgramError {
    /// A program needs at least its final rule.
    #[error("a program needs at least one rule")]
    Empty,
    /// The last rule must match everything and end the program.
    #[error("the last rule must match every packet and allow, deny or end without a verdict")]
    NoFinalRule,
    /// A `Pass` must jump forward to an existing rule.
    #[error("rule {rule}: pass target {to} is not a later rule (program has {len} rules)")]
    BadPassTarget {
        /// The rule.
        rule: u32,
        /// Its target.
        to: u32,
        /// Program length.
        len: u32,
    },
    /// More rules than a `u32` can index.
    #[error("too many rules")]
    TooLong,
    /// `NoVerdict` in a hook that must decide.
    #[error("rule {rule}: no-verdict is only allowed in the untracked and pre-DNAT stages")]
    NoVerdictNotAllowed {
        /// The rule.
        rule: u32,
    },
}

/// A flat first-match rule list. Built only through [`Program::new`], which checks: non-empty;
/// the last rule matches every packet and is final; every `Pass` jumps forward to an existing
/// rule; `NoVerdict` only in hooks that may give no verdict. Evaluation therefore always
/// terminates with a decision.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Program {
    hook: Hook,
    rules: Vec<IrRule>,
}

impl Program {
    /// Checks and wraps a rule list for `hook`.
    pub fn new(hook: Hook, rules: Vec<IrRule>) -> Result<Program, ProgramError> {
        let len = u32::try_from(rules.len()).map_err(|_| ProgramError::TooLong)?;
        let Some(last) = rules.last() else {
            return Err(ProgramError::Empty);
        };
        if !last.matches.is_any() || !last.action.is_final() {
            return Err(ProgramError::NoFinalRule);
        }
        for (i, rule) in rules.iter().enumerate() {
            let i = i as u32;
            match rule.action {
                IrAction::Pass { to } if to <= i || to >= len => {
                    return Err(ProgramError::BadPassTarget { rule: i, to, len });
                }
                IrAction::NoVerdict if !hook.may_give_no_verdict() => {
                    return Err(ProgramError::NoVerdictNotAllowed { rule: i });
                }
                _ => {}
            }
        }
        Ok(Program { hook, rules })
    }

    /// The hook the program was built for.
    pub fn hook(&self) -> Hook {
        self.hook
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[IrRule] {
        &self.rules
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Always false: a program has at least its final rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

impl<'de> Deserialize<'de> for Program {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Program, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            hook: Hook,
            rules: Vec<IrRule>,
        }
        let raw = Raw::deserialize(deserializer)?;
        Program::new(raw.hook, raw.rules).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Program {
    /// One line per rule: `index: action match  # origin`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "program {} ({} rules)", self.hook, self.rules.len())?;
        let width = self.rules.len().to_string().len();
        for (i, rule) in self.rules.iter().enumerate() {
            writeln!(
                f,
                "  {i:>width$}: {:<12} {}  # {}",
                rule.action.to_string(),
                rule.matches,
                rule.origin
            )?;
        }
        Ok(())
    }
}
