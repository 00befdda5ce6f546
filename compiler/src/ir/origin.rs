//! Provenance: where an IR rule came from, so that every engine can explain its verdict
//! (DECISIONS D7).

use std::fmt;
use std::sync::Arc;

use palisade_policy_model::model::PolicyId;
use serde::{Deserialize, Serialize};

/// Where an IR rule came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Origin {
    /// A rule of a policy.
    Rule {
        /// The policy's tier.
        tier: Arc<str>,
        /// The source object.
        policy: PolicyId,
        /// Index in the source object's rule list for the program's direction.
        rule: u32,
    },
    /// The end of a tier: no policy in it gave a verdict.
    EndOfTier {
        /// The tier.
        tier: Arc<str>,
    },
    /// A rule of a profile.
    Profile {
        /// Profile name.
        profile: Arc<str>,
        /// Index in the profile's rule list for the program's direction.
        rule: u32,
    },
    /// Nothing decided: after all tiers and profiles.
    NoMatch,
    /// A failsafe entry.
    Failsafe {
        /// Index in the failsafe list for the program's direction.
        rule: u32,
    },
    /// A built-in default (see DECISIONS D6/D7).
    Default,
}

impl Origin {
    /// The `by` word of DECISIONS D7.
    pub fn by(&self) -> &'static str {
        match self {
            Origin::Rule { .. } => "rule",
            Origin::EndOfTier { .. } => "end-of-tier",
            Origin::Profile { .. } => "profile",
            Origin::NoMatch => "no-match",
            Origin::Failsafe { .. } => "failsafe",
            Origin::Default => "default",
        }
    }

    /// The tier, for policy rules and tier ends.
    pub fn tier(&self) -> Option<&str> {
        match self {
            Origin::Rule { tier, .. } | Origin::EndOfTier { tier } => Some(tier),
            _ => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Rule { tier, policy, rule } => {
                write!(f, "tier {tier}, {policy}, rule {rule}")
            }
            Origin::EndOfTier { tier } => write!(f, "end of tier {tier}"),
            Origin::Profile { profile, rule } => write!(f, "profile {profile}, rule {rule}"),
            Origin::NoMatch => f.write_str("no policy or profile decided"),
            Origin::Failsafe { rule } => write!(f, "failsafe entry {rule}"),
            Origin::Default => f.write_str("built-in default"),
        }
    }
}
