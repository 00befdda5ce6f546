//! Program assembly: failsafes, tiers (each closed by its end-of-tier rule), profiles and the
//! hook's final rule, flattened into one first-match [`Program`] (DESIGN §2, DECISIONS D6).

use std::sync::Arc;

use palisade_policy_model::values::TierAction;

use crate::ir::{Hook, IrAction, IrRule, Match, Origin, Program, ProgramError};

/// One applicable tier: its name, its end action and the lowered rules of its applicable
/// policies, in order.
pub(crate) struct TierPart<'a> {
    pub(crate) tier: Arc<str>,
    pub(crate) end: TierAction,
    pub(crate) policies: Vec<&'a [IrRule]>,
}

/// Everything a program is made of.
pub(crate) struct ProgramParts<'a> {
    pub(crate) hook: Hook,
    pub(crate) failsafes: &'a [IrRule],
    pub(crate) tiers: Vec<TierPart<'a>>,
    pub(crate) profiles: Vec<&'a [IrRule]>,
}

/// The final rule of a hook: deny with `NoMatch` where profiles end the evaluation, allow by
/// default for forwarded traffic, no verdict for the untracked and pre-DNAT stages.
pub(crate) fn final_rule(hook: Hook) -> IrRule {
    let (action, origin) = match hook {
        Hook::WorkloadIngress | Hook::WorkloadEgress | Hook::HostIngress | Hook::HostEgress => {
            (IrAction::Deny, Origin::NoMatch)
        }
        Hook::HostForwardIngress | Hook::HostForwardEgress => (IrAction::Allow, Origin::Default),
        Hook::HostPreDnatIngress | Hook::HostUntrackedIngress | Hook::HostUntrackedEgress => {
            (IrAction::NoVerdict, Origin::Default)
        }
    };
    IrRule {
        matches: Match::any(),
        action,
        origin,
    }
}

fn index(len: usize) -> Result<u32, ProgramError> {
    u32::try_from(len).map_err(|_| ProgramError::TooLong)
}

/// Appends `block`, then points its `Pass` rules at `target(len after the block)`.
fn push_block(rules: &mut Vec<IrRule>, block: &[IrRule], passes: &mut Vec<usize>) {
    for rule in block {
        if matches!(rule.action, IrAction::Pass { .. }) {
            passes.push(rules.len());
        }
        rules.push(rule.clone());
    }
}

fn patch(rules: &mut [IrRule], passes: &mut Vec<usize>, to: u32) {
    for i in passes.drain(..) {
        if let Some(rule) = rules.get_mut(i) {
            rule.action = IrAction::Pass { to };
        }
    }
}

/// Flattens `parts` into a program.
pub(crate) fn assemble(parts: &ProgramParts<'_>) -> Result<Program, ProgramError> {
    let size = parts.failsafes.len()
        + parts
            .tiers
            .iter()
            .map(|t| t.policies.iter().map(|p| p.len()).sum::<usize>() + 1)
            .sum::<usize>()
        + parts.profiles.iter().map(|p| p.len()).sum::<usize>()
        + 1;
    let mut rules: Vec<IrRule> = Vec::with_capacity(size);
    rules.extend(parts.failsafes.iter().cloned());
    let mut passes = Vec::new();
    for tier in &parts.tiers {
        for policy in &tier.policies {
            push_block(&mut rules, policy, &mut passes);
        }
        let next = index(rules.len() + 1)?;
        let action = match tier.end {
            TierAction::Deny => IrAction::Deny,
            TierAction::Pass => IrAction::Pass { to: next },
        };
        rules.push(IrRule {
            matches: Match::any(),
            action,
            origin: Origin::EndOfTier {
                tier: tier.tier.clone(),
            },
        });
        patch(&mut rules, &mut passes, next);
    }
    for profile in &parts.profiles {
        push_block(&mut rules, profile, &mut passes);
        let next = index(rules.len())?;
        patch(&mut rules, &mut passes, next);
    }
    rules.push(final_rule(parts.hook));
    Program::new(parts.hook, rules)
}
