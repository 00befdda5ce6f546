//! Lowering the model into the IR: rules into [`IrRule`](crate::ir::IrRule)s with set
//! references, failsafe lists, and whole programs (DESIGN §2; SEMANTICS §2.5, §2.9, §3;
//! DECISIONS D2–D9).

mod failsafe;
mod program;
mod rule;
mod sets;

pub(crate) use failsafe::lower_failsafes;
pub(crate) use program::{ProgramParts, TierPart, assemble};
pub(crate) use rule::lower_rules;
pub(crate) use sets::SetDef;
