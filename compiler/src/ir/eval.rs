//! The IR evaluator: walks a [`Program`] rule by rule. Simple and obviously correct; its cost
//! grows with the number of rules (the fast classifier's does not).

use super::ipset::SetLookup;
use super::program::{IrAction, Program};
use crate::decision::{Decision, Step, Verdict};
use crate::packet::PacketRepr;

/// Evaluates `program` for `packet`, resolving set references through `sets`.
pub fn evaluate<S: SetLookup + ?Sized>(
    program: &Program,
    packet: &PacketRepr,
    sets: &S,
) -> Decision {
    let rules = program.rules();
    let mut steps = Vec::new();
    let mut i = 0usize;
    loop {
        // `Program::new` guarantees a final match-all rule and forward-only passes, so `i` stays
        // in bounds and the loop ends.
        let Some(rule) = rules.get(i) else {
            unreachable_final(program);
        };
        if !rule.matches.matches(packet, sets) {
            i += 1;
            continue;
        }
        let verdict = match rule.action {
            IrAction::Allow => Verdict::Allow,
            IrAction::Deny => Verdict::Deny,
            IrAction::NoVerdict => Verdict::NoVerdict,
            IrAction::Log => {
                steps.push(Step::Log(rule.origin.clone()));
                i += 1;
                continue;
            }
            IrAction::Pass { to } => {
                steps.push(Step::Pass(rule.origin.clone()));
                i = to as usize;
                continue;
            }
        };
        return Decision {
            verdict,
            origin: rule.origin.clone(),
            steps,
        };
    }
}

#[cold]
fn unreachable_final(program: &Program) -> ! {
    // Program::new rejects rule lists without a final match-all rule; reaching this is a bug in
    // Program's constructor, not a property of the input.
    panic!("program for {} has no final rule", program.hook())
}
