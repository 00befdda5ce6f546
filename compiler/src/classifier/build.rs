//! Building the tables of a [`Program`]: expand rules into alternatives, compute global atoms,
//! turn predicates into atom sets, cut the rules into blocks under the size budget, and assemble
//! the exported [`ClassifierTables`].

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use ahash::{AHashMap, AHashSet};
use smallvec::SmallVec;

use super::atoms::{
    AtomSet, ScalarAtoms, addr_atoms, intersect_sorted, minus_sorted, scalar_atoms, union_many,
};
use super::config::{ClassifierConfig, ClassifierStats};
use super::expand::{AddrPred, Expander, RuleAlts};
use super::field::{ABSENT, Field};
use super::partition::refine;
use super::rangeset::RangeSet;
use super::tables::{
    AddrAtomTable, AddrRunAtom, AtomTables, BlockKind, BlockTable, ClassifierTables, EMPTY_ENTRY,
    Entry, FieldProjection, KeyEntry, NO_BLOCK, NO_RULE, PrefixAtom, RangeAtom, RuleAction,
    RuleInfo, ScalarAtomTable,
};
use crate::ir::{IrAction, Origin, Program, SetLookup};

/// An unconstrained field of an alternative.
const ANY: u32 = u32::MAX;

/// An alternative in atom terms: per field, the index of its predicate's [`AtomSet`] or [`ANY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct AtomAlt {
    preds: [u32; Field::COUNT],
}

impl AtomAlt {
    fn is_wildcard(&self) -> bool {
        self.preds.iter().all(|&p| p == ANY)
    }
}

/// A rule after expansion.
#[derive(Clone, Debug)]
enum Compiled {
    /// Matches when one of the alternatives holds (none: never).
    Alts(Vec<AtomAlt>),
    /// Too many alternatives: evaluated directly.
    Direct,
}

/// Why a classifier could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A table outgrew the `u32` IDs of the table contract.
    #[error("the {what} of the {hook} program do not fit in 32-bit IDs ({count})")]
    TooLarge {
        /// What overflowed (atoms, entries, log references).
        what: &'static str,
        /// The program's hook.
        hook: crate::ir::Hook,
        /// How many there were.
        count: usize,
    },
}

/// Everything a build produces.
#[derive(Debug)]
pub(crate) struct Built {
    pub(crate) tables: ClassifierTables,
    pub(crate) stats: ClassifierStats,
}

/// The predicates of a program in atom terms.
struct Ctx<'a> {
    program: &'a Program,
    compiled: Vec<Compiled>,
    atom_counts: [u32; Field::COUNT],
    preds: [Vec<AtomSet>; Field::COUNT],
    config: &'a ClassifierConfig,
}

/// What a block decided for one key while it is being built.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct EntryState {
    /// The decisive rule: Allow, Deny, NoVerdict, or a Pass whose target is not in the block.
    rule: Option<u32>,
    /// The Log rules that matched and the Pass rules taken within the block, in rule order.
    steps: SmallVec<[u32; 2]>,
    /// Rules before this one are skipped: a Pass within the block moved evaluation on to its
    /// target. Only meaningful while the block is being built (see [`EntryState::settled`]).
    resume: u32,
}

/// What a rule does to an [`EntryState`] of a block that ends before rule `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RuleKind {
    /// A Log rule: a step, then evaluation goes on.
    Log,
    /// A Pass to a rule of the block: a step, then evaluation goes on at the target.
    PassWithin(u32),
    /// Anything else decides (a Pass out of the block continues at the target's block).
    Decisive,
}

impl EntryState {
    fn apply(&mut self, rule: u32, kind: RuleKind) {
        if self.rule.is_some() || rule < self.resume {
            return;
        }
        match kind {
            RuleKind::Log => {
                if self.steps.last() != Some(&rule) {
                    self.steps.push(rule);
                }
            }
            RuleKind::PassWithin(to) => {
                self.steps.push(rule);
                self.resume = to;
            }
            RuleKind::Decisive => self.rule = Some(rule),
        }
    }

    /// The state once the block is complete: where a Pass within the block resumed no longer
    /// matters (every rule of the block has been applied).
    fn settled(mut self) -> EntryState {
        self.resume = 0;
        self
    }
}

/// A block table before entries are interned.
struct TableBuild {
    fields: Vec<FieldProjection>,
    keys: Vec<(u64, EntryState)>,
    default: EntryState,
    bytes: usize,
}

/// A planned block.
enum Plan {
    Table(u32, u32, TableBuild),
    Direct(u32, u32),
}

/// Builds the tables of `program`.
pub(crate) fn build<S: SetLookup + ?Sized>(
    program: &Program,
    sets: &S,
    config: &ClassifierConfig,
) -> Result<Built, BuildError> {
    let hook = program.hook();
    let too_large = |what: &'static str, count: usize| BuildError::TooLarge { what, hook, count };

    // 1. Alternatives over abstract predicates.
    let mut expander = Expander::default();
    let raw: Vec<RuleAlts> = program
        .rules()
        .iter()
        .map(|r| expander.expand(&r.matches, sets, config.get_max_rule_alternatives()))
        .collect();

    // 2. Intern distinct predicates per field.
    let mut scalar_ids: [AHashMap<RangeSet, u32>; Field::COUNT] = Default::default();
    let mut scalar_list: [Vec<RangeSet>; Field::COUNT] = Default::default();
    let mut addr_ids: [AHashMap<AddrPred, u32>; 2] = Default::default();
    let mut addr_list: [Vec<AddrPred>; 2] = Default::default();
    let mut abstract_alts: Vec<Option<Vec<[u32; Field::COUNT]>>> = Vec::with_capacity(raw.len());
    for r in &raw {
        let RuleAlts::Alts(alts) = r else {
            abstract_alts.push(None);
            continue;
        };
        let mut out = Vec::with_capacity(alts.len());
        for alt in alts {
            let mut preds = [ANY; Field::COUNT];
            for f in Field::ALL {
                let i = f.index();
                if f.is_addr() {
                    let side = usize::from(f == Field::DstAddr);
                    let pred = &alt.addr[side];
                    if !pred.is_any() {
                        preds[i] = intern(&mut addr_ids[side], &mut addr_list[side], pred);
                    }
                } else if let Some(set) = &alt.scalar[i] {
                    preds[i] = intern(&mut scalar_ids[i], &mut scalar_list[i], set);
                }
            }
            out.push(preds);
        }
        abstract_alts.push(Some(out));
    }

    // 3. Global atoms and the atoms of every predicate.
    let mut scalars: [Option<ScalarAtoms>; Field::COUNT] = Default::default();
    for f in Field::ALL {
        if let Some(max) = f.scalar_max() {
            scalars[f.index()] = Some(scalar_atoms(max, &scalar_list[f.index()]));
        }
    }
    let addrs = [
        addr_atoms(expander.prims[0].prefixes()),
        addr_atoms(expander.prims[1].prefixes()),
    ];
    let mut atom_counts = [0u32; Field::COUNT];
    let mut preds: [Vec<AtomSet>; Field::COUNT] = Default::default();
    for f in Field::ALL {
        let i = f.index();
        if f.is_addr() {
            let side = usize::from(f == Field::DstAddr);
            let a = &addrs[side];
            atom_counts[i] = a.atom_count;
            preds[i] = addr_list[side]
                .iter()
                .map(|p| addr_pred_atoms(p, &a.prim_atoms, a.atom_count))
                .collect();
        } else if let Some(s) = &scalars[i] {
            atom_counts[i] = s.atom_count;
            preds[i] = s.pred_sets.clone();
        }
    }

    // 4. Alternatives in atom terms: drop the unsatisfiable ones, forget full predicates.
    let mut compiled = Vec::with_capacity(raw.len());
    let mut stats = ClassifierStats {
        rules: program.len() as u32,
        atoms: atom_counts,
        ..ClassifierStats::default()
    };
    for alts in abstract_alts {
        let Some(alts) = alts else {
            compiled.push(Compiled::Direct);
            continue;
        };
        let mut seen: AHashSet<AtomAlt> = AHashSet::new();
        let mut out = Vec::new();
        'alt: for mut p in alts {
            for (i, pred) in p.iter_mut().enumerate() {
                if *pred == ANY {
                    continue;
                }
                let Some(set) = preds[i].get(*pred as usize) else {
                    *pred = ANY;
                    continue;
                };
                if set.is_empty(atom_counts[i]) {
                    continue 'alt;
                }
                if set.is_full(atom_counts[i]) {
                    *pred = ANY;
                }
            }
            let alt = AtomAlt { preds: p };
            if seen.insert(alt) {
                out.push(alt);
            }
        }
        if out.is_empty() {
            stats.never_matching_rules += 1;
        }
        stats.alternatives += out.len() as u64;
        compiled.push(Compiled::Alts(out));
    }

    let ctx = Ctx {
        program,
        compiled,
        atom_counts,
        preds,
        config,
    };

    // 5. Blocks.
    let plans = ctx.plan_blocks();

    // 6. Tables.
    let atoms = AtomTables {
        family: scalar_table(scalars[Field::Family.index()].as_ref(), Field::Family),
        protocol: scalar_table(scalars[Field::Protocol.index()].as_ref(), Field::Protocol),
        src_addr: addr_table(&addrs[0]),
        dst_addr: addr_table(&addrs[1]),
        src_port: scalar_table(scalars[Field::SrcPort.index()].as_ref(), Field::SrcPort),
        dst_port: scalar_table(scalars[Field::DstPort.index()].as_ref(), Field::DstPort),
        icmp: scalar_table(scalars[Field::Icmp.index()].as_ref(), Field::Icmp),
    };
    let mut entries: Vec<Entry> = vec![Entry {
        rule: NO_RULE,
        first_step: 0,
        step_count: 0,
    }];
    let mut entry_ids: AHashMap<EntryState, u32> = AHashMap::new();
    entry_ids.insert(EntryState::default(), EMPTY_ENTRY);
    let mut step_rules: Vec<u32> = Vec::new();
    let mut intern_entry = |st: EntryState| -> Result<u32, BuildError> {
        if let Some(&id) = entry_ids.get(&st) {
            return Ok(id);
        }
        let id = u32::try_from(entries.len()).map_err(|_| too_large("entries", entries.len()))?;
        let first_step = u32::try_from(step_rules.len())
            .map_err(|_| too_large("step references", step_rules.len()))?;
        step_rules.extend_from_slice(&st.steps);
        entries.push(Entry {
            rule: st.rule.unwrap_or(NO_RULE),
            first_step,
            step_count: st.steps.len() as u32,
        });
        entry_ids.insert(st, id);
        Ok(id)
    };
    let mut blocks = Vec::with_capacity(plans.len());
    for plan in plans {
        match plan {
            Plan::Table(first, end, t) => {
                stats.table_blocks += 1;
                stats.keys += t.keys.len() as u64;
                stats.bytes += t.bytes as u64;
                let mut keyed = Vec::with_capacity(t.keys.len());
                for (key, st) in t.keys {
                    keyed.push(KeyEntry {
                        key,
                        entry: intern_entry(st)?,
                    });
                }
                blocks.push(BlockTable {
                    first_rule: first,
                    end_rule: end,
                    kind: BlockKind::Table,
                    fields: t.fields,
                    entries: keyed,
                    default_entry: intern_entry(t.default)?,
                });
            }
            Plan::Direct(first, end) => {
                stats.direct_blocks.push((first, end));
                blocks.push(BlockTable {
                    first_rule: first,
                    end_rule: end,
                    kind: BlockKind::Direct,
                    fields: Vec::new(),
                    entries: Vec::new(),
                    default_entry: EMPTY_ENTRY,
                });
            }
        }
    }
    stats.blocks = blocks.len() as u32;
    stats.entries = entries.len() as u32;

    let mut origins: Vec<Origin> = Vec::new();
    let mut origin_ids: AHashMap<&Origin, u32> = AHashMap::new();
    let mut rules = Vec::with_capacity(program.len());
    for rule in program.rules() {
        let origin = match origin_ids.get(&rule.origin) {
            Some(&id) => id,
            None => {
                let id = origins.len() as u32;
                origins.push(rule.origin.clone());
                origin_ids.insert(&rule.origin, id);
                id
            }
        };
        let pass_block = match rule.action {
            IrAction::Pass { to } => blocks
                .binary_search_by_key(&to, |b| b.first_rule)
                .map_or(NO_BLOCK, |b| b as u32),
            _ => NO_BLOCK,
        };
        rules.push(RuleInfo {
            action: RuleAction::from(rule.action),
            pass_block,
            origin,
        });
    }
    stats.bytes += (entries.len() * 12 + step_rules.len() * 4 + rules.len() * 12) as u64;
    stats.bytes += atom_table_bytes(&atoms) as u64;
    for (f, count) in atom_counts.iter().enumerate() {
        if *count == u32::MAX {
            return Err(too_large(Field::ALL[f].as_str(), *count as usize));
        }
    }
    Ok(Built {
        tables: ClassifierTables {
            hook,
            atoms,
            blocks,
            entries,
            step_rules,
            rules,
            origins,
        },
        stats,
    })
}

fn intern<T: Clone + Eq + std::hash::Hash>(
    ids: &mut AHashMap<T, u32>,
    list: &mut Vec<T>,
    value: &T,
) -> u32 {
    if let Some(&id) = ids.get(value) {
        return id;
    }
    let id = list.len() as u32;
    list.push(value.clone());
    ids.insert(value.clone(), id);
    id
}

/// The atoms satisfying an address predicate.
fn addr_pred_atoms(pred: &AddrPred, prim_atoms: &[Vec<u32>], atom_count: u32) -> AtomSet {
    let atoms_of = |p: &u32| {
        prim_atoms
            .get(*p as usize)
            .map_or(&[][..], |v| v.as_slice())
    };
    let none = union_many(pred.none.iter().map(atoms_of));
    if pred.groups.is_empty() {
        return AtomSet {
            atoms: none,
            negated: true,
        };
    }
    let mut acc: Option<Vec<u32>> = None;
    for group in &pred.groups {
        let u = union_many(group.iter().map(atoms_of));
        acc = Some(match acc {
            None => u,
            Some(a) => intersect_sorted(&a, &u),
        });
    }
    let pos = minus_sorted(&acc.unwrap_or_default(), &none);
    AtomSet::from_positive(pos, atom_count)
}

impl Ctx<'_> {
    /// True when `rule` matches every packet and ends the program (a Pass does not: evaluation
    /// goes on at its target, which may be in the same block).
    fn is_decisive_wildcard(&self, rule: usize) -> bool {
        let decisive = self
            .program
            .rules()
            .get(rule)
            .is_some_and(|r| !matches!(r.action, IrAction::Log | IrAction::Pass { .. }));
        decisive
            && matches!(self.compiled.get(rule), Some(Compiled::Alts(a)) if a.iter().any(AtomAlt::is_wildcard))
    }

    /// Cuts the rules into blocks: greedily as long as a table fits the budget, and ending
    /// after a rule that matches every packet and decides. A block may contain a Pass and its
    /// target (its entries then take the Pass within the block), but a Pass from an earlier
    /// block must land on the first rule of a block: a block never reaches over the target of
    /// a Pass that precedes it.
    fn plan_blocks(&self) -> Vec<Plan> {
        let n = self.program.len();
        // Every Pass target, with the first rule that passes to it.
        let mut earliest_source: BTreeMap<usize, usize> = BTreeMap::new();
        for (i, r) in self.program.rules().iter().enumerate() {
            if let IrAction::Pass { to } = r.action {
                let first = earliest_source.entry(to as usize).or_insert(i);
                *first = (*first).min(i);
            }
        }
        let mut plans = Vec::new();
        let mut used_bytes = 0usize;
        let mut first = 0usize;
        while first < n {
            if matches!(self.compiled.get(first), Some(Compiled::Direct)) {
                plans.push(Plan::Direct(first as u32, first as u32 + 1));
                first += 1;
                continue;
            }
            let mut limit = earliest_source
                .range(first + 1..)
                .find(|&(_, &source)| source < first)
                .map_or(n, |(&to, _)| to);
            if let Some(d) =
                (first + 1..limit).find(|&r| matches!(self.compiled.get(r), Some(Compiled::Direct)))
            {
                limit = d;
            }
            if let Some(w) = (first..limit).find(|&r| self.is_decisive_wildcard(r)) {
                limit = w + 1;
            }
            let remaining = self.config.get_max_total_bytes().saturating_sub(used_bytes);
            let budget = remaining.min(self.config.get_max_block_bytes());
            let mut best: Option<(usize, TableBuild)> = None;
            let mut bad: Option<usize> = None;
            let mut len = 1usize;
            loop {
                let end = (first + len).min(limit);
                match self.try_table(first, end, budget) {
                    Some(t) => {
                        best = Some((end, t));
                        if end == limit {
                            break;
                        }
                        len = len.saturating_mul(2);
                    }
                    None => {
                        bad = Some(end);
                        break;
                    }
                }
            }
            if let (Some((good, _)), Some(bad)) = (&best, bad) {
                let (mut lo, mut hi) = (*good, bad);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    match self.try_table(first, mid, budget) {
                        Some(t) => {
                            lo = mid;
                            best = Some((mid, t));
                        }
                        None => hi = mid,
                    }
                }
            }
            match best {
                Some((end, t)) => {
                    used_bytes += t.bytes;
                    plans.push(Plan::Table(first as u32, end as u32, t));
                    first = end;
                }
                None => {
                    plans.push(Plan::Direct(first as u32, first as u32 + 1));
                    first += 1;
                }
            }
        }
        plans
    }

    /// The table of rules `first..end`, or `None` when it exceeds the budget (`bytes`, the
    /// configured entries, a 64-bit key).
    fn try_table(&self, first: usize, end: usize, bytes: usize) -> Option<TableBuild> {
        let rules = self.program.rules();
        let alts_of = |r: usize| match self.compiled.get(r) {
            Some(Compiled::Alts(a)) => a.as_slice(),
            _ => &[],
        };
        // Predicates used per field.
        let mut used: [Vec<u32>; Field::COUNT] = Default::default();
        for r in first..end {
            for alt in alts_of(r) {
                for (i, &p) in alt.preds.iter().enumerate() {
                    if p != ANY {
                        used[i].push(p);
                    }
                }
            }
        }
        // Block-local classes per field.
        let mut fields: Vec<FieldProjection> = Vec::new();
        let mut slot: [Option<usize>; Field::COUNT] = [None; Field::COUNT];
        let mut shift = 0u32;
        let mut proj_bytes = 0usize;
        for f in Field::ALL {
            let i = f.index();
            let list = &mut used[i];
            if list.is_empty() {
                continue;
            }
            list.sort_unstable();
            list.dedup();
            let sets = list
                .iter()
                .filter_map(|&p| self.preds[i].get(p as usize))
                .map(|s| s.atoms.as_slice());
            let (classes, count) = refine(self.atom_counts[i], sets);
            if count <= 1 {
                continue;
            }
            let bits = 32 - (count - 1).leading_zeros();
            if shift + bits > 64 {
                return None;
            }
            proj_bytes += classes.len() * 4;
            slot[i] = Some(fields.len());
            fields.push(FieldProjection {
                field: f,
                shift: shift as u8,
                bits: bits as u8,
                class_count: count,
                classes,
            });
            shift += bits;
        }
        if proj_bytes > bytes {
            return None;
        }
        // The classes where each used predicate holds.
        let mut true_classes: Vec<AHashMap<u32, Vec<u32>>> = vec![AHashMap::new(); fields.len()];
        for f in Field::ALL {
            let Some(k) = slot[f.index()] else {
                continue;
            };
            let proj = &fields[k];
            for &p in &used[f.index()] {
                let Some(set) = self.preds[f.index()].get(p as usize) else {
                    continue;
                };
                let mut hit: Vec<u32> = set.atoms.iter().map(|&a| proj.class_of(a)).collect();
                hit.sort_unstable();
                hit.dedup();
                let list = if set.negated {
                    let all: Vec<u32> = (0..proj.class_count).collect();
                    minus_sorted(&all, &hit)
                } else {
                    hit
                };
                true_classes[k].insert(p, list);
            }
        }
        let all_classes: Vec<Vec<u32>> = fields
            .iter()
            .map(|p| (0..p.class_count).collect())
            .collect();
        // Work bound: the number of tuples the alternatives enumerate.
        let max_entries = self.config.get_max_block_entries();
        let max_work = max_entries.saturating_mul(4).max(1024);
        let mut work = 0usize;
        for r in first..end {
            for alt in alts_of(r) {
                if !alt_is_masked(alt, &slot) {
                    continue;
                }
                let mut product = 1usize;
                for (k, proj) in fields.iter().enumerate() {
                    let p = alt.preds[proj.field.index()];
                    let n = if p == ANY {
                        proj.class_count as usize
                    } else {
                        true_classes[k].get(&p).map_or(0, Vec::len)
                    };
                    product = product.saturating_mul(n);
                }
                work = work.saturating_add(product);
            }
        }
        if work > max_work {
            return None;
        }
        // Entries, rule by rule.
        let mut map: AHashMap<u64, EntryState> = AHashMap::new();
        let mut default = EntryState::default();
        let mut lists: Vec<&[u32]> = Vec::with_capacity(fields.len());
        let mut idx: Vec<usize> = Vec::with_capacity(fields.len());
        for r in first..end {
            let kind = match rules.get(r).map(|x| x.action) {
                Some(IrAction::Log) => RuleKind::Log,
                Some(IrAction::Pass { to }) if (to as usize) < end => RuleKind::PassWithin(to),
                _ => RuleKind::Decisive,
            };
            let rule = r as u32;
            for alt in alts_of(r) {
                if !alt_is_masked(alt, &slot) {
                    default.apply(rule, kind);
                    for st in map.values_mut() {
                        st.apply(rule, kind);
                    }
                    continue;
                }
                lists.clear();
                for (k, proj) in fields.iter().enumerate() {
                    let p = alt.preds[proj.field.index()];
                    let l = if p == ANY {
                        all_classes[k].as_slice()
                    } else {
                        true_classes[k].get(&p).map_or(&[][..], Vec::as_slice)
                    };
                    lists.push(l);
                }
                if lists.iter().any(|l| l.is_empty()) {
                    continue;
                }
                idx.clear();
                idx.resize(lists.len(), 0);
                'tuples: loop {
                    let mut key = 0u64;
                    for (k, l) in lists.iter().enumerate() {
                        let class = l.get(idx[k]).copied().unwrap_or(0);
                        key |= u64::from(class) << fields[k].shift;
                    }
                    map.entry(key)
                        .or_insert_with(|| default.clone())
                        .apply(rule, kind);
                    if map.len() > max_entries {
                        return None;
                    }
                    // Odometer step over the per-field class lists.
                    let mut k = lists.len();
                    loop {
                        if k == 0 {
                            break 'tuples;
                        }
                        k -= 1;
                        idx[k] += 1;
                        if idx[k] < lists[k].len() {
                            break;
                        }
                        idx[k] = 0;
                    }
                }
            }
            // Once every key has decided, later rules change nothing (keys that followed a
            // Pass within the block may still be undecided when the default is).
            if default.rule.is_some() && map.values().all(|st| st.rule.is_some()) {
                break;
            }
        }
        let default = default.settled();
        let mut keys: Vec<(u64, EntryState)> = map
            .into_iter()
            .map(|(k, st)| (k, st.settled()))
            .filter(|(_, st)| *st != default)
            .collect();
        keys.sort_unstable_by_key(|(k, _)| *k);
        // Keys (12 bytes exported) and the runtime table (16-byte slots, load ≤ 1/2).
        let table_bytes = keys.len() * 12 + (keys.len() * 2).next_power_of_two() * 16;
        let total = proj_bytes + table_bytes;
        if total > bytes {
            return None;
        }
        Some(TableBuild {
            fields,
            keys,
            default,
            bytes: total,
        })
    }
}

/// True when the alternative constrains a field of the block's key.
fn alt_is_masked(alt: &AtomAlt, slot: &[Option<usize>; Field::COUNT]) -> bool {
    alt.preds
        .iter()
        .zip(slot)
        .any(|(&p, s)| p != ANY && s.is_some())
}

/// The exported table of a scalar field.
fn scalar_table(atoms: Option<&ScalarAtoms>, field: Field) -> ScalarAtomTable {
    let max = field.scalar_max().unwrap_or(0);
    let present_max = if max == ABSENT { ABSENT - 1 } else { max };
    let Some(atoms) = atoms else {
        return ScalarAtomTable {
            atom_count: 1,
            ranges: vec![RangeAtom {
                first: 0,
                last: present_max as u16,
                atom: 0,
            }],
            absent: (max == ABSENT).then_some(0),
        };
    };
    let mut ranges = Vec::with_capacity(atoms.segments.len());
    for (i, &(start, atom)) in atoms.segments.iter().enumerate() {
        if start > present_max {
            break;
        }
        let last = atoms
            .segments
            .get(i + 1)
            .map_or(max, |&(next, _)| next - 1)
            .min(present_max);
        ranges.push(RangeAtom {
            first: start as u16,
            last: last as u16,
            atom,
        });
    }
    ScalarAtomTable {
        atom_count: atoms.atom_count,
        ranges,
        absent: (max == ABSENT).then(|| atoms.atom_of(ABSENT)),
    }
}

/// The exported table of an address field.
fn addr_table(a: &super::atoms::AddrAtomsBuild) -> AddrAtomTable {
    AddrAtomTable {
        atom_count: a.atom_count,
        v4_prefixes: a
            .v4_prefixes
            .iter()
            .map(|&(prefix, atom)| PrefixAtom { prefix, atom })
            .collect(),
        v6_prefixes: a
            .v6_prefixes
            .iter()
            .map(|&(prefix, atom)| PrefixAtom { prefix, atom })
            .collect(),
        v4_ranges: a
            .v4
            .iter()
            .map(|&(s, atom)| AddrRunAtom {
                first: Ipv4Addr::from(s),
                atom,
            })
            .collect(),
        v6_ranges: a
            .v6
            .iter()
            .map(|&(s, atom)| AddrRunAtom {
                first: Ipv6Addr::from(s),
                atom,
            })
            .collect(),
    }
}

fn atom_table_bytes(t: &AtomTables) -> usize {
    let scalar = |s: &ScalarAtomTable| s.ranges.len() * 8;
    let addr = |a: &AddrAtomTable| {
        a.v4_prefixes.len() * 12
            + a.v6_prefixes.len() * 24
            + a.v4_ranges.len() * 8
            + a.v6_ranges.len() * 20
    };
    scalar(&t.family)
        + scalar(&t.protocol)
        + scalar(&t.src_port)
        + scalar(&t.dst_port)
        + scalar(&t.icmp)
        + addr(&t.src_addr)
        + addr(&t.dst_addr)
}
