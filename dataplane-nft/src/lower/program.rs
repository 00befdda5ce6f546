//! A program as chains, rule by rule: Calico's layout.
//!
//! Each program gets an entry chain `p_<hash>` that continues, by family, in `p_<hash>_4` or
//! `p_<hash>_6`. The rules of one policy (or profile) become a shared chain `pol_<hash>_<family>`
//! that every program containing that policy jumps to; end-of-tier, failsafe and default rules
//! stay inline. Results travel in the packet mark (see [`crate::marks`]): a policy chain that
//! allows sets the allow bit and returns, and the program returns too; Deny drops on the spot;
//! Pass skips the rest of the tier by writing the ordinal of its target into the pass field,
//! which guards every later rule until the rule at the target clears it; Log logs and continues.
//! With [`super::LowerOptions::rule_counters`], every IR rule has a named counter, which tells
//! the engine which rule decided.
//!
//! The contract of a program chain, for its callers: jumping to the entry either drops the
//! packet (Deny), or returns with the allow bit set (Allow), or returns without it (no verdict).

use std::collections::BTreeMap;

use palisade_compiler::ir::{IpSets, IrAction, IrRule, Origin, Program};

use super::rules::lower_match;
use crate::error::LowerError;
use crate::marks::MarkLayout;
use crate::names::{content_hash, safe_text};
use crate::ruleset::{
    Chain, Family, MAX_COMMENT_LEN, MAX_LOG_PREFIX_LEN, Match, Rule, Ruleset, Stmt, Verdict,
};

/// What the rest of the lowering needs to know about a lowered program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProgramChains {
    /// The entry chain.
    pub(crate) entry: String,
    /// The counter of each IR rule, by rule index.
    pub(crate) counters: Vec<String>,
}

/// Shared inputs of program lowering.
pub(crate) struct Ctx<'a> {
    pub(crate) ruleset: &'a mut Ruleset,
    pub(crate) ip_sets: &'a IpSets,
    pub(crate) marks: MarkLayout,
    pub(crate) log_prefix: &'a str,
    /// Whether every IR rule gets its named counter.
    pub(crate) counters: bool,
}

impl Ctx<'_> {
    /// Declares the counters of a program's rules, when rules are counted; returns what the
    /// program reports as its counters.
    pub(crate) fn declare_counters(&mut self, counters: &[String]) -> Vec<String> {
        if !self.counters {
            return Vec::new();
        }
        self.ruleset.counters.extend(counters.iter().cloned());
        counters.to_vec()
    }
}

/// The Pass targets of a program and their ordinals (1-based, in rule order).
pub(crate) fn pass_ordinals(
    program: &Program,
    target: &str,
) -> Result<BTreeMap<u32, u8>, LowerError> {
    let mut targets: Vec<u32> = program
        .rules()
        .iter()
        .filter_map(|r| match r.action {
            IrAction::Pass { to } => Some(to),
            _ => None,
        })
        .collect();
    targets.sort_unstable();
    targets.dedup();
    if targets.len() > MarkLayout::MAX_PASS_TARGETS {
        return Err(LowerError::TooManyPassTargets {
            target: target.to_owned(),
            count: targets.len(),
            max: MarkLayout::MAX_PASS_TARGETS,
        });
    }
    Ok(targets
        .into_iter()
        .enumerate()
        .map(|(i, t)| (t, (i + 1) as u8))
        .collect())
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum GroupKey<'a> {
    Policy(&'a Origin),
    Profile(&'a str),
}

fn group_key(origin: &Origin) -> Option<GroupKey<'_>> {
    match origin {
        Origin::Rule { .. } => Some(GroupKey::Policy(origin)),
        Origin::Profile { profile, .. } => Some(GroupKey::Profile(profile)),
        _ => None,
    }
}

fn same_group(a: &Origin, b: &Origin) -> bool {
    match (a, b) {
        (
            Origin::Rule {
                tier: t1,
                policy: p1,
                ..
            },
            Origin::Rule {
                tier: t2,
                policy: p2,
                ..
            },
        ) => t1 == t2 && p1 == p2,
        (Origin::Profile { profile: a, .. }, Origin::Profile { profile: b, .. }) => a == b,
        _ => false,
    }
}

/// A run of rules lowered together: one policy's or profile's rules (shared chain), or one
/// inline rule.
#[derive(Debug)]
enum Piece {
    Group { start: usize, end: usize },
    Inline(usize),
}

fn pieces(program: &Program, targets: &BTreeMap<u32, u8>) -> Vec<Piece> {
    let rules = program.rules();
    let mut out = Vec::new();
    let mut i = 0;
    while i < rules.len() {
        if group_key(&rules[i].origin).is_none() {
            out.push(Piece::Inline(i));
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < rules.len()
            && same_group(&rules[i].origin, &rules[end].origin)
            && !targets.contains_key(&(end as u32))
        {
            end += 1;
        }
        let passes: Vec<u32> = rules[i..end]
            .iter()
            .filter_map(|r| match r.action {
                IrAction::Pass { to } => Some(to),
                _ => None,
            })
            .collect();
        if passes.windows(2).all(|w| w[0] == w[1]) {
            out.push(Piece::Group { start: i, end });
        } else {
            out.extend((i..end).map(Piece::Inline));
        }
        i = end;
    }
    out
}

/// The log prefix of a rule: the configured prefix and the rule's origin.
pub(crate) fn log_prefix(prefix: &str, origin: &Origin) -> String {
    safe_text(&format!("{prefix} {origin}: "), MAX_LOG_PREFIX_LEN)
}

fn comment(origin: &Origin) -> String {
    safe_text(&origin.to_string(), MAX_COMMENT_LEN)
}

/// The statements and verdict of a rule's action. `pass` gives what a Pass does here: inside a
/// shared chain it sets the passed bit and returns; inline it writes the target's ordinal.
pub(crate) fn finish(
    mut rule: Rule,
    action: IrAction,
    marks: &MarkLayout,
    pass: PassStyle,
) -> Rule {
    match action {
        IrAction::Allow => rule
            .then(Stmt::mark_set(0, marks.allow()))
            .with_verdict(Verdict::Return),
        IrAction::Deny => rule.with_verdict(Verdict::Drop),
        IrAction::NoVerdict => rule
            .then(Stmt::mark_set(0, marks.stop()))
            .with_verdict(Verdict::Return),
        IrAction::Log => rule,
        IrAction::Pass { .. } => match pass {
            PassStyle::Shared => rule
                .then(Stmt::mark_set(0, marks.passed()))
                .with_verdict(Verdict::Return),
            PassStyle::Inline(value) => {
                rule.stmts.push(Stmt::mark_set(marks.pass_field(), value));
                rule
            }
        },
    }
}

/// What a Pass does where a rule is placed: inside a shared chain it sets the passed bit and
/// returns (the caller resolves the target); inline it writes the target's pass value.
#[derive(Clone, Copy)]
pub(crate) enum PassStyle {
    /// Set the passed bit and return.
    Shared,
    /// Write this value into the pass field and continue.
    Inline(u32),
}

/// The nft rule of one IR rule (conditions, counter, log, action), or `None` when it never
/// matches in `family`.
pub(crate) fn rule_for(
    ctx: &mut Ctx<'_>,
    ir: &IrRule,
    family: Family,
    counter: &str,
    guard: Option<Match>,
    pass: PassStyle,
) -> Option<Rule> {
    let matches = lower_match(ctx.ruleset, ctx.ip_sets, &ir.matches, family)?;
    let mut rule = Rule::default();
    rule.matches.extend(guard);
    rule.matches.extend(matches);
    if ctx.counters {
        rule.stmts.push(Stmt::Counter(counter.to_owned()));
    }
    if ir.action == IrAction::Log {
        rule.stmts.push(Stmt::Log {
            prefix: log_prefix(ctx.log_prefix, &ir.origin),
        });
    }
    rule.comment = Some(comment(&ir.origin));
    Some(finish(rule, ir.action, &ctx.marks, pass))
}

/// The identity of a group's shared chain: its rules (with targets of Passes left out, since
/// the caller resolves them) and the options that shape the chain.
fn group_hash(rules: &[IrRule], ctx: &Ctx<'_>) -> String {
    let normalised: Vec<(&palisade_compiler::ir::Match, u8, &Origin)> = rules
        .iter()
        .map(|r| {
            let kind = match r.action {
                IrAction::Allow => 0,
                IrAction::Deny => 1,
                IrAction::Log => 2,
                IrAction::Pass { .. } => 3,
                IrAction::NoVerdict => 4,
            };
            (&r.matches, kind, &r.origin)
        })
        .collect();
    content_hash(&(normalised, ctx.log_prefix, ctx.marks))
}

/// Lowers `program` (identified by `hash`) rule by rule. `target` names it in errors.
pub(crate) fn lower_program(
    ctx: &mut Ctx<'_>,
    program: &Program,
    hash: &str,
    target: &str,
) -> Result<ProgramChains, LowerError> {
    let rules = program.rules();
    let targets = pass_ordinals(program, target)?;
    let pieces = pieces(program, &targets);
    let marks = ctx.marks;
    let guard = (!targets.is_empty()).then_some(Match::Mark {
        mask: marks.pass_field(),
        value: 0,
        negate: false,
    });

    // Counters: shared groups count in their shared chain, inline rules in the program.
    let mut counters = vec![String::new(); rules.len()];
    let mut group_hashes = Vec::new();
    for piece in &pieces {
        match *piece {
            Piece::Inline(i) => counters[i] = format!("c_{hash}_{i}"),
            Piece::Group { start, end } => {
                let gh = group_hash(&rules[start..end], ctx);
                for (j, c) in counters[start..end].iter_mut().enumerate() {
                    *c = format!("c_{gh}_{j}");
                }
                group_hashes.push(gh);
            }
        }
    }
    let counters_info = ctx.declare_counters(&counters);

    let entry = format!("p_{hash}");
    let mut entry_chain = Chain::default();
    for family in Family::BOTH {
        let name = format!("p_{hash}_{}", family.digit());
        entry_chain
            .rules
            .push(Rule::verdict(Verdict::Goto(name.clone())).when(Match::Nfproto(family)));
        let mut chain = Chain::default();
        chain
            .rules
            .push(Rule::default().then(Stmt::mark_set(marks.program_scratch(), 0)));
        let mut gh_iter = group_hashes.iter();
        for piece in &pieces {
            let start = match *piece {
                Piece::Inline(i) => i,
                Piece::Group { start, .. } => start,
            };
            if let Some(ord) = targets.get(&(start as u32)) {
                chain.rules.push(
                    Rule::default()
                        .when(Match::Mark {
                            mask: marks.pass_field(),
                            value: marks.pass_value(*ord),
                            negate: false,
                        })
                        .then(Stmt::mark_set(marks.pass_field(), 0)),
                );
            }
            match *piece {
                Piece::Inline(i) => {
                    let pass = match rules[i].action {
                        IrAction::Pass { to } => PassStyle::Inline(marks.pass_value(targets[&to])),
                        _ => PassStyle::Shared,
                    };
                    if let Some(rule) =
                        rule_for(ctx, &rules[i], family, &counters[i], guard.clone(), pass)
                    {
                        chain.rules.push(rule);
                    }
                }
                Piece::Group { start, end } => {
                    let Some(gh) = gh_iter.next() else {
                        continue;
                    };
                    let shared = format!("pol_{gh}_{}", family.digit());
                    if !ctx.ruleset.chains.contains_key(&shared) {
                        let mut pol = Chain::default();
                        for (j, ir) in rules[start..end].iter().enumerate() {
                            let counter = format!("c_{gh}_{j}");
                            if let Some(rule) =
                                rule_for(ctx, ir, family, &counter, None, PassStyle::Shared)
                            {
                                pol.rules.push(rule);
                            }
                        }
                        ctx.ruleset.chains.insert(shared.clone(), pol);
                    }
                    if ctx.ruleset.chains[&shared].rules.is_empty() {
                        continue;
                    }
                    let mut jump = Rule::verdict(Verdict::Jump(shared));
                    jump.matches.extend(guard.clone());
                    chain.rules.push(jump);
                    chain
                        .rules
                        .push(Rule::verdict(Verdict::Return).when(Match::Mark {
                            mask: marks.allow() | marks.stop(),
                            value: 0,
                            negate: true,
                        }));
                    let pass_target = rules[start..end].iter().find_map(|r| match r.action {
                        IrAction::Pass { to } => Some(to),
                        _ => None,
                    });
                    if let Some(to) = pass_target {
                        chain.rules.push(
                            Rule::default()
                                .when(Match::Mark {
                                    mask: marks.passed(),
                                    value: marks.passed(),
                                    negate: false,
                                })
                                .then(Stmt::mark_set(
                                    marks.passed(),
                                    marks.pass_value(targets[&to]),
                                )),
                        );
                    }
                }
            }
        }
        ctx.ruleset.chains.insert(name, chain);
    }
    ctx.ruleset.chains.insert(entry.clone(), entry_chain);
    Ok(ProgramChains {
        entry,
        counters: counters_info,
    })
}
