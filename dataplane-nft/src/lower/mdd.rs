//! A program as decision diagrams built straight from its rules: flat per-packet cost, cheap to
//! build.
//!
//! The rules between two Pass targets (a *segment*: a tier, or a profile) become one diagram per
//! family. Each rule is first written as a disjunction of *alternatives*, each a conjunction of
//! per-field value sets (protocol, ICMP type/code, source and destination port, source and
//! destination address), exactly as `Match::matches` reads the rule: address+port sets (named
//! ports, service destinations) and their negations expand by (protocol, port). The diagram
//! then looks up one field per level — small domains first, addresses last — splitting the
//! field's values into runs by the alternatives still alive; a leaf holds the alive rules, of
//! which the first decisive one decides and the Log rules before it log. Levels where no alive
//! alternative constrains the field cost nothing; identical sub-diagrams are shared.
//!
//! A packet costs at most one lookup per field and segment, whatever the number of rules; a
//! segment whose diagram would exceed the size budget is lowered rule by rule instead (correct,
//! not flat). Pass, marks, counters and entries work as in [`super::program`], so every mode is
//! interchangeable for callers.
//!
//! The program enters each diagram with the allow bit already set (`meta mark set meta mark |
//! ALLOW jump n_..`): an edge to an allowing rule is a plain `return` and one to a denying rule
//! a plain `drop`, while an edge that decides nothing goes to [`MISS_CHAIN`], which clears the
//! bit. Without rule counters ([`super::LowerOptions::rule_counters`]) the Allow and Deny
//! entries need no chain at all, and the other entries are chains shared by content (`l_<hash>`).
//! So an address joining an allowing or denying rule's set only adds verdict elements, and the
//! kernel commits it without re-validating the table; with counters every entry is a chain of
//! its own (`a_<program>_<n>`) that counts its rules.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use palisade_compiler::ir::{
    IcmpMatch, IpSetId, IpSetMembers, IpSets, IrAction, Match as IrMatch, PortMatch, Program,
    SideMatch,
};
use palisade_policy_model::values::IpVersion;

use super::program::{Ctx, PassStyle, ProgramChains, log_prefix, pass_ordinals, rule_for};
use super::sets::{cidr_intervals, merge, port_intervals};
use super::tree::{Emitter, MissStyle, NodeSpec, Target, TreeField};
use crate::error::LowerError;
use crate::marks::MarkLayout;
use crate::names::{content_hash, safe_text};
use crate::ruleset::{Chain, Family, MAX_COMMENT_LEN, Match, Rule, Ruleset, Stmt, Verdict};

/// Levels of a diagram, in lookup order.
const ORDER: [TreeField; 6] = [
    TreeField::Protocol,
    TreeField::Icmp,
    TreeField::SrcPort,
    TreeField::DstPort,
    TreeField::SrcAddr,
    TreeField::DstAddr,
];

/// Largest diagram (map elements, over all segments of a program and family) before segments
/// fall back to rule-by-rule lowering.
pub(crate) const ELEMENT_BUDGET: usize = 4_000_000;

/// A set of values of one field: disjoint sorted inclusive runs, and whether the packet may
/// lack the field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Values {
    runs: Vec<(u128, u128)>,
    absent: bool,
}

impl Values {
    fn present(runs: Vec<(u128, u128)>) -> Values {
        Values {
            runs: merge(runs),
            absent: false,
        }
    }

    fn is_empty(&self) -> bool {
        self.runs.is_empty() && !self.absent
    }

    fn intersect(&self, other: &Values) -> Values {
        let mut runs = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.runs.len() && j < other.runs.len() {
            let (a0, a1) = self.runs[i];
            let (b0, b1) = other.runs[j];
            let lo = a0.max(b0);
            let hi = a1.min(b1);
            if lo <= hi {
                runs.push((lo, hi));
            }
            if a1 < b1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        Values {
            runs,
            absent: self.absent && other.absent,
        }
    }

    /// The present values of `0..=max` not in `runs` (absent never included).
    fn complement(runs: &[(u128, u128)], max: u128) -> Values {
        let runs = merge(runs.to_vec());
        let mut out = Vec::new();
        let mut next = Some(0u128);
        for &(lo, hi) in &runs {
            if let Some(n) = next
                && n < lo
            {
                out.push((n, lo - 1));
            }
            next = hi.checked_add(1);
        }
        if let Some(n) = next
            && n <= max
        {
            out.push((n, max));
        }
        Values {
            runs: out,
            absent: false,
        }
    }
}

/// One alternative: a value set per level (`None`: any value, absent included).
type Alt = [Option<Values>; 6];

fn level(f: TreeField) -> usize {
    ORDER.iter().position(|x| *x == f).unwrap_or(0)
}

fn only(f: TreeField, v: Values) -> Alt {
    let mut a: Alt = Default::default();
    a[level(f)] = Some(v);
    a
}

fn conj(a: &Alt, b: &Alt) -> Option<Alt> {
    let mut out: Alt = Default::default();
    for i in 0..6 {
        out[i] = match (&a[i], &b[i]) {
            (None, x) | (x, None) => x.clone(),
            (Some(x), Some(y)) => {
                let v = x.intersect(y);
                if v.is_empty() {
                    return None;
                }
                Some(v)
            }
        };
    }
    Some(out)
}

/// The conjunction of two disjunctions.
fn and(left: Vec<Alt>, right: Vec<Alt>) -> Vec<Alt> {
    let mut out = Vec::with_capacity(left.len() * right.len());
    for a in &left {
        for b in &right {
            if let Some(c) = conj(a, b) {
                out.push(c);
            }
        }
    }
    out
}

fn port_field(side_src: bool) -> TreeField {
    if side_src {
        TreeField::SrcPort
    } else {
        TreeField::DstPort
    }
}

fn addr_field(side_src: bool) -> TreeField {
    if side_src {
        TreeField::SrcAddr
    } else {
        TreeField::DstAddr
    }
}

fn family_value(addr: std::net::IpAddr, family: Family) -> Option<u128> {
    match (addr, family) {
        (std::net::IpAddr::V4(a), Family::V4) => Some(u128::from(u32::from(a))),
        (std::net::IpAddr::V6(a), Family::V6) => Some(u128::from(a)),
        _ => None,
    }
}

/// The CIDR intervals of a set of addresses, of one family (missing or address+port sets hold
/// no addresses, as in the IR).
fn addrs(sets: &IpSets, id: &IpSetId, family: Family) -> Vec<(u128, u128)> {
    match sets.get(id).map(|s| s.members()) {
        Some(IpSetMembers::Addrs(nets)) => cidr_intervals(nets, family),
        _ => Vec::new(),
    }
}

/// Address+port members of the named sets, of one family: (protocol, port) → addresses.
fn named_members(
    sets: &IpSets,
    ids: &[IpSetId],
    family: Family,
) -> BTreeMap<(u8, u16), Vec<(u128, u128)>> {
    let mut out: BTreeMap<(u8, u16), Vec<(u128, u128)>> = BTreeMap::new();
    for id in ids {
        if let Some(IpSetMembers::AddrPorts(members)) = sets.get(id).map(|s| s.members()) {
            for m in members {
                if let Some(v) = family_value(m.addr, family) {
                    out.entry((m.protocol, m.port)).or_default().push((v, v));
                }
            }
        }
    }
    out
}

/// `port ∈ ranges ∪ named` as alternatives (DECISIONS D2: the port must be present).
fn ports_positive(sets: &IpSets, pm: &PortMatch, src: bool, family: Family) -> Vec<Alt> {
    let mut out = Vec::new();
    if !pm.ranges.is_empty() {
        out.push(only(
            port_field(src),
            Values::present(port_intervals(&pm.ranges)),
        ));
    }
    for ((proto, port), addrs) in named_members(sets, &pm.named, family) {
        let mut a: Alt = Default::default();
        a[level(TreeField::Protocol)] = Some(Values::present(vec![(proto.into(), proto.into())]));
        a[level(port_field(src))] = Some(Values::present(vec![(port.into(), port.into())]));
        a[level(addr_field(src))] = Some(Values::present(addrs));
        out.push(a);
    }
    out
}

/// `port present ∧ port ∉ ranges ∪ named` as alternatives: ports no range or member names;
/// and, for each member port, the packets whose protocol or address is not a member's.
fn ports_negative(sets: &IpSets, pm: &PortMatch, src: bool, family: Family) -> Vec<Alt> {
    let ranges = port_intervals(&pm.ranges);
    let named = named_members(sets, &pm.named, family);
    let covered = |p: u16| {
        ranges
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&u128::from(p)))
    };
    let member_ports: BTreeSet<u16> = named.keys().map(|(_, port)| *port).collect();
    let mut excluded = ranges.clone();
    excluded.extend(
        member_ports
            .iter()
            .map(|p| (u128::from(*p), u128::from(*p))),
    );
    let mut out = vec![only(port_field(src), Values::complement(&excluded, 0xffff))];
    for port in member_ports.into_iter().filter(|p| !covered(*p)) {
        let protos: Vec<u8> = named
            .keys()
            .filter(|(_, p)| *p == port)
            .map(|(proto, _)| *proto)
            .collect();
        let port_only = Values::present(vec![(port.into(), port.into())]);
        let proto_runs: Vec<(u128, u128)> = protos
            .iter()
            .map(|p| (u128::from(*p), u128::from(*p)))
            .collect();
        let mut other_proto: Alt = Default::default();
        other_proto[level(port_field(src))] = Some(port_only.clone());
        other_proto[level(TreeField::Protocol)] = Some(Values::complement(&proto_runs, 255));
        if other_proto[level(TreeField::Protocol)]
            .as_ref()
            .is_some_and(|v| !v.is_empty())
        {
            out.push(other_proto);
        }
        for proto in protos {
            let members = named.get(&(proto, port)).cloned().unwrap_or_default();
            let mut a: Alt = Default::default();
            a[level(port_field(src))] = Some(port_only.clone());
            a[level(TreeField::Protocol)] =
                Some(Values::present(vec![(proto.into(), proto.into())]));
            let outside = Values::complement(&members, TreeField::SrcAddr.max(family));
            if outside.is_empty() {
                continue;
            }
            a[level(addr_field(src))] = Some(outside);
            out.push(a);
        }
    }
    out
}

fn side(sets: &IpSets, sm: &SideMatch, src: bool, family: Family, mut acc: Vec<Alt>) -> Vec<Alt> {
    let af = addr_field(src);
    for id in &sm.sets {
        acc = and(
            acc,
            vec![only(af, Values::present(addrs(sets, id, family)))],
        );
    }
    if !sm.not_sets.is_empty() {
        let mut all = Vec::new();
        for id in &sm.not_sets {
            all.extend(addrs(sets, id, family));
        }
        acc = and(
            acc,
            vec![only(af, Values::complement(&all, af.max(family)))],
        );
    }
    if let Some(pm) = &sm.ports {
        acc = and(acc, ports_positive(sets, pm, src, family));
    }
    if let Some(pm) = &sm.not_ports {
        acc = and(acc, ports_negative(sets, pm, src, family));
    }
    acc
}

fn icmp_values(m: IcmpMatch) -> Vec<(u128, u128)> {
    match (m.icmp_type(), m.code()) {
        (None, _) => vec![(0, 0xffff)],
        (Some(t), None) => vec![(u128::from(t) << 8, (u128::from(t) << 8) | 0xff)],
        (Some(t), Some(c)) => {
            let v = (u128::from(t) << 8) | u128::from(c);
            vec![(v, v)]
        }
    }
}

/// The alternatives of an IR match in chains of `family` (empty: it never matches there).
fn alternatives(sets: &IpSets, m: &IrMatch, family: Family) -> Vec<Alt> {
    if let Some(v) = m.ip_version {
        let f = if v == IpVersion::V4 {
            Family::V4
        } else {
            Family::V6
        };
        if f != family {
            return Vec::new();
        }
    }
    let mut acc: Vec<Alt> = vec![Default::default()];
    if let Some(p) = m.protocol {
        acc = and(
            acc,
            vec![only(
                TreeField::Protocol,
                Values::present(vec![(p.into(), p.into())]),
            )],
        );
    }
    if let Some(p) = m.not_protocol {
        let v = Values::complement(&[(p.into(), p.into())], 255);
        acc = and(acc, vec![only(TreeField::Protocol, v)]);
    }
    if let Some(i) = m.icmp {
        acc = and(
            acc,
            vec![only(TreeField::Icmp, Values::present(icmp_values(i)))],
        );
    }
    if let Some(i) = m.not_icmp {
        let v = Values::complement(&icmp_values(i), 0xffff);
        acc = and(acc, vec![only(TreeField::Icmp, v)]);
    }
    acc = side(sets, &m.src, true, family, acc);
    side(sets, &m.dst, false, family, acc)
}

/// An entry: the Log rules that log, then the deciding rule (if any).
type Entry = (Vec<u32>, Option<u32>);

/// Builds the diagram of one segment into a scratch table, merged into the program's table when
/// the diagram fits the budget.
struct Diagram<'s> {
    alts: &'s [(u32, Alt)],
    actions: &'s [IrAction],
    emitter: Emitter,
    memo: HashMap<(usize, Vec<u32>), Target>,
    family: Family,
    scratch: Ruleset,
}

/// The program-wide state: entry chains, shared by all segments and families.
struct Entries<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    program: &'c Program,
    hash: &'c str,
    targets: &'c BTreeMap<u32, u8>,
    chains: BTreeMap<Entry, Target>,
    /// Entries created for the segment being built (forgotten if it falls back).
    pending: Vec<Entry>,
}

impl Entries<'_, '_> {
    /// Where a leaf's entry leads. The diagram is entered with the allow bit set (see
    /// [`lower_program`]), so an entry that allows only returns and one that decides nothing
    /// clears the bit ([`MissStyle::Clear`]). With rule counters every entry is a chain of its
    /// own that counts; without them, Allow and Deny entries are plain verdicts and the others
    /// are chains shared by content.
    fn target(&mut self, scratch: &mut Ruleset, entry: Entry) -> Target {
        if entry.0.is_empty() && entry.1.is_none() {
            return Target::Miss;
        }
        if let Some(t) = self.chains.get(&entry) {
            return t.clone();
        }
        let counted = self.ctx.counters;
        let rules = self.program.rules();
        let decider = entry
            .1
            .and_then(|d| rules.get(d as usize).map(|ir| (d, ir)));
        if !counted && entry.0.is_empty() {
            match decider.map(|(_, ir)| ir.action) {
                Some(IrAction::Allow) => return Target::Allow,
                Some(IrAction::Deny) => return Target::Deny,
                _ => {}
            }
        }
        let marks = self.ctx.marks;
        let mut rule = Rule::default();
        for &l in &entry.0 {
            if counted {
                rule.stmts
                    .push(Stmt::Counter(format!("c_{}_{l}", self.hash)));
            }
            if let Some(ir) = rules.get(l as usize) {
                rule.stmts.push(Stmt::Log {
                    prefix: log_prefix(self.ctx.log_prefix, &ir.origin),
                });
            }
        }
        let comment = match decider {
            Some((d, ir)) => {
                if counted {
                    rule.stmts
                        .push(Stmt::Counter(format!("c_{}_{d}", self.hash)));
                }
                match ir.action {
                    IrAction::Allow => rule = rule.with_verdict(Verdict::Return),
                    IrAction::Deny => rule = rule.with_verdict(Verdict::Drop),
                    IrAction::NoVerdict => {
                        rule = rule
                            .then(Stmt::mark_set(marks.allow(), marks.stop()))
                            .with_verdict(Verdict::Return);
                    }
                    IrAction::Pass { to } => {
                        let ord = self.targets.get(&to).copied().unwrap_or(0);
                        rule.stmts.push(Stmt::mark_set(
                            marks.allow() | marks.pass_field(),
                            marks.pass_value(ord),
                        ));
                    }
                    IrAction::Log => {}
                }
                if counted {
                    ir.origin.to_string()
                } else {
                    action_comment(ir.action)
                }
            }
            None => {
                rule.stmts.push(Stmt::mark_set(marks.allow(), 0));
                "log rules".to_owned()
            }
        };
        rule.comment = Some(safe_text(&comment, MAX_COMMENT_LEN));
        let name = if counted {
            format!("a_{}_{}", self.hash, self.chains.len())
        } else {
            // Shared by content, so that a diagram change never renames an entry.
            format!("l_{}", content_hash(&rule))
        };
        scratch.chains.insert(
            name.clone(),
            Chain {
                base: None,
                rules: vec![rule],
            },
        );
        let t = Target::Chain(name);
        self.chains.insert(entry.clone(), t.clone());
        self.pending.push(entry);
        t
    }
}

/// The comment of an uncounted entry chain (shared by every rule with the same effect).
fn action_comment(action: IrAction) -> String {
    match action {
        IrAction::Allow => "allow",
        IrAction::Deny => "deny",
        IrAction::NoVerdict => "no verdict",
        IrAction::Pass { .. } => "pass",
        IrAction::Log => "log",
    }
    .to_owned()
}

/// The chain a diagram's misses go to: it clears the allow bit the program set when it entered
/// the diagram, and returns to the program.
pub(crate) const MISS_CHAIN: &str = "tree_miss";

struct OverBudget;

impl Diagram<'_> {
    fn node(
        &mut self,
        entries: &mut Entries<'_, '_>,
        lvl: usize,
        alive: Vec<u32>,
    ) -> Result<Target, OverBudget> {
        if let Some(t) = self.memo.get(&(lvl, alive.clone())) {
            return Ok(t.clone());
        }
        let t = self.build(entries, lvl, &alive)?;
        self.memo.insert((lvl, alive), t.clone());
        Ok(t)
    }

    fn leaf(&self, alive: &[u32]) -> Entry {
        let mut logs: Vec<u32> = Vec::new();
        for &a in alive {
            let rule = self.alts[a as usize].0;
            match self.actions[rule as usize] {
                IrAction::Log => {
                    if logs.last() != Some(&rule) {
                        logs.push(rule);
                    }
                }
                _ => return (logs, Some(rule)),
            }
        }
        (logs, None)
    }

    fn build(
        &mut self,
        entries: &mut Entries<'_, '_>,
        lvl: usize,
        alive: &[u32],
    ) -> Result<Target, OverBudget> {
        if self.emitter.elements > ELEMENT_BUDGET {
            return Err(OverBudget);
        }
        let Some(&field) = ORDER.get(lvl) else {
            let entry = self.leaf(alive);
            return Ok(entries.target(&mut self.scratch, entry));
        };
        let constrained: Vec<u32> = alive
            .iter()
            .copied()
            .filter(|a| self.alts[*a as usize].1[lvl].is_some())
            .collect();
        if constrained.is_empty() {
            return self.node(entries, lvl + 1, alive.to_vec());
        }
        // Sweep the field's values: at each boundary alternatives enter or leave.
        let max = field.max(self.family);
        let mut events: Vec<(u128, bool, u32)> = Vec::new();
        for &a in &constrained {
            if let Some(v) = &self.alts[a as usize].1[lvl] {
                for &(lo, hi) in &v.runs {
                    events.push((lo, true, a));
                    if hi < max {
                        events.push((hi + 1, false, a));
                    }
                }
            }
        }
        events.sort_unstable();
        let unconstrained: Vec<u32> = alive
            .iter()
            .copied()
            .filter(|a| self.alts[*a as usize].1[lvl].is_none())
            .collect();
        let subset = |active: &BTreeSet<u32>| -> Vec<u32> {
            let mut s: Vec<u32> = unconstrained
                .iter()
                .copied()
                .chain(active.iter().copied())
                .collect();
            s.sort_unstable();
            s
        };
        let mut active: BTreeSet<u32> = BTreeSet::new();
        let mut regions: Vec<((u128, u128), Target)> = Vec::new();
        let mut start = 0u128;
        let mut i = 0;
        while i < events.len() && events[i].0 == 0 {
            apply_event(&mut active, events[i]);
            i += 1;
        }
        loop {
            let end = events.get(i).map(|e| e.0 - 1).unwrap_or(max);
            let t = self.node(entries, lvl + 1, subset(&active))?;
            regions.push(((start, end), t));
            let Some(&(pos, _, _)) = events.get(i) else {
                break;
            };
            start = pos;
            while i < events.len() && events[i].0 == pos {
                apply_event(&mut active, events[i]);
                i += 1;
            }
        }
        let absent = if field.may_be_absent() {
            let with_absent: BTreeSet<u32> = constrained
                .iter()
                .copied()
                .filter(|a| {
                    self.alts[*a as usize].1[lvl]
                        .as_ref()
                        .is_some_and(|v| v.absent)
                })
                .collect();
            self.node(entries, lvl + 1, subset(&with_absent))?
        } else {
            Target::Miss
        };
        Ok(self.emitter.emit(
            &mut self.scratch,
            NodeSpec {
                field,
                regions,
                absent,
            },
        ))
    }
}

fn apply_event(active: &mut BTreeSet<u32>, (_, enter, a): (u128, bool, u32)) {
    if enter {
        active.insert(a);
    } else {
        active.remove(&a);
    }
}

/// Lowers `program` (identified by `hash`) into decision diagrams.
pub(crate) fn lower_program(
    ctx: &mut Ctx<'_>,
    program: &Program,
    hash: &str,
    target: &str,
) -> Result<ProgramChains, LowerError> {
    let rules = program.rules();
    let targets = pass_ordinals(program, target)?;
    let marks = ctx.marks;
    let counters: Vec<String> = (0..rules.len()).map(|i| format!("c_{hash}_{i}")).collect();
    let counters_info = ctx.declare_counters(&counters);
    let guard = (!targets.is_empty()).then_some(Match::Mark {
        mask: marks.pass_field(),
        value: 0,
        negate: false,
    });
    let done = Rule::verdict(Verdict::Return).when(Match::Mark {
        mask: marks.allow() | marks.stop(),
        value: 0,
        negate: true,
    });
    let actions: Vec<IrAction> = rules.iter().map(|r| r.action).collect();
    let mut bounds: Vec<u32> = vec![0];
    bounds.extend(targets.keys().copied());
    bounds.push(rules.len() as u32);
    bounds.dedup();
    let ip_sets = ctx.ip_sets;
    let table = ctx.ruleset.table.clone();
    let mut entries = Entries {
        ctx,
        program,
        hash,
        targets: &targets,
        chains: BTreeMap::new(),
        pending: Vec::new(),
    };
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
        for (k, seg) in bounds.windows(2).enumerate() {
            let (start, end) = (seg[0], seg[1]);
            if let Some(ord) = targets.get(&start) {
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
            let mut alts: Vec<(u32, Alt)> = Vec::new();
            for i in start..end {
                for a in alternatives(ip_sets, &rules[i as usize].matches, family) {
                    alts.push((i, a));
                }
            }
            let mut diagram = Diagram {
                alts: &alts,
                actions: &actions,
                emitter: Emitter::new(
                    format!("{hash}_{}_{k}", family.digit()),
                    family,
                    MissStyle::Clear(MISS_CHAIN.to_owned()),
                ),
                memo: HashMap::new(),
                family,
                scratch: Ruleset::new(table.clone()),
            };
            let all: Vec<u32> = (0..alts.len() as u32).collect();
            let built = diagram.node(&mut entries, 0, all);
            let pending = std::mem::take(&mut entries.pending);
            match built {
                Ok(root) => {
                    let ruleset = &mut *entries.ctx.ruleset;
                    ruleset.sets.append(&mut diagram.scratch.sets);
                    ruleset.chains.append(&mut diagram.scratch.chains);
                    // Enter the diagram with the allow bit set: allowing edges just return,
                    // misses clear it (`tree_miss`), so adding an address to an allowing rule
                    // adds `return` elements, which the kernel need not validate.
                    let enter = Stmt::mark_set(0, marks.allow());
                    let mut rule = Rule::default();
                    rule.matches.extend(guard.clone());
                    match root {
                        Target::Miss => continue,
                        Target::Deny => chain.rules.push(rule.with_verdict(Verdict::Drop)),
                        Target::Allow => chain.rules.push(rule.then(enter)),
                        Target::Chain(c) => {
                            ensure_miss_chain(ruleset, &marks);
                            chain
                                .rules
                                .push(rule.then(enter).with_verdict(Verdict::Jump(c)));
                        }
                    }
                    chain.rules.push(done.clone());
                }
                Err(OverBudget) => {
                    for e in pending {
                        entries.chains.remove(&e);
                    }
                    for i in start..end {
                        let ir = &rules[i as usize];
                        let pass = match ir.action {
                            IrAction::Pass { to } => PassStyle::Inline(
                                marks.pass_value(targets.get(&to).copied().unwrap_or(0)),
                            ),
                            _ => PassStyle::Shared,
                        };
                        if let Some(rule) = rule_for(
                            entries.ctx,
                            ir,
                            family,
                            &counters[i as usize],
                            guard.clone(),
                            pass,
                        ) {
                            chain.rules.push(rule);
                        }
                    }
                }
            }
        }
        entries.ctx.ruleset.chains.insert(name, chain);
    }
    entries
        .ctx
        .ruleset
        .chains
        .insert(entry.clone(), entry_chain);
    Ok(ProgramChains {
        entry,
        counters: counters_info,
    })
}

/// Declares [`MISS_CHAIN`] (once per table).
fn ensure_miss_chain(ruleset: &mut Ruleset, marks: &MarkLayout) {
    ruleset
        .chains
        .entry(MISS_CHAIN.to_owned())
        .or_insert_with(|| Chain {
            base: None,
            rules: vec![Rule::default().then(Stmt::mark_set(marks.allow(), 0))],
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_sets_intersect_and_complement() {
        let a = Values::present(vec![(0, 10), (20, 30)]);
        let b = Values::present(vec![(5, 25)]);
        assert_eq!(a.intersect(&b).runs, vec![(5, 10), (20, 25)]);
        assert_eq!(
            Values::complement(&[(0, 9), (20, 255)], 255).runs,
            vec![(10, 19)]
        );
        assert_eq!(Values::complement(&[], 255).runs, vec![(0, 255)]);
        assert!(Values::complement(&[(0, 255)], 255).is_empty());
    }
}
