//! The fast classifier (DESIGN §2): a [`Program`] compiled into per-field lookup tables whose
//! per-packet cost does not grow with the number of rules, giving exactly the IR evaluator's
//! [`Decision`] (verdict, origin and steps).
//!
//! # Design
//!
//! - **Fields and atoms.** Seven fields ([`Field`]): family, protocol, source and destination
//!   address, source and destination port, ICMP type/code; ports and ICMP have an explicit
//!   "absent" value (DECISIONS D2). Every field's values are partitioned into *global atoms*:
//!   values that no predicate of the program tells apart. Addresses are looked up by longest
//!   prefix over every CIDR the program references; ports and ICMP by range; protocol and family
//!   by table. A packet's atoms cost seven lookups, whatever the number of rules.
//! - **Alternatives.** Every IR rule becomes a disjunction of *alternatives*, each a conjunction
//!   of independent per-field predicates (sets of atoms). Named ports and service destinations
//!   (address+port sets) and their negations are expanded by (protocol, port) value.
//! - **Blocks.** Consecutive rules are grouped into blocks; a block may hold a Pass and its
//!   target (such as a whole tier and the next), but a Pass from an earlier block always lands on
//!   a block's first rule. A block projects each global atom of the fields it constrains to a
//!   block-local class (atoms with identical truth vectors over the block's alternatives share a
//!   class) and maps the packed tuple of classes to an entry: the steps evaluation takes in the
//!   block (Log rules that match, Pass rules to a rule of the block) and the decisive rule it
//!   ends at (Allow, Deny, NoVerdict, or a Pass out of the block). Blocks are built greedily
//!   under [`ClassifierConfig`]'s budget; a rule that alone exceeds it is evaluated directly with
//!   [`Match::matches`](crate::ir::Match::matches).
//! - **Evaluation.** The atoms once, then per traversed block a few array lookups and one hash
//!   probe: hit with a decisive rule → record its steps and act (a Pass jumps to the block that
//!   starts at its target); hit with only steps → record them and go on; miss → the block's
//!   default entry (the rules that match every packet of the block, usually none).
//!
//! The tables are plain data ([`ClassifierTables`]), documented as the contract the eBPF and
//! nftables dataplanes load.

mod atoms;
mod build;
mod config;
mod engine;
mod expand;
mod field;
mod lookup;
mod partition;
mod rangeset;
mod tables;

pub use build::BuildError;
pub use config::{ClassifierConfig, ClassifierStats};
pub use engine::FastEngine;
pub use field::{ABSENT, FAMILY_V4, FAMILY_V6, Field};
pub use tables::{
    AddrAtomTable, AddrClassRange, AddrRunAtom, AtomTables, BlockKind, BlockTable,
    ClassifierTables, EMPTY_ENTRY, Entry, FieldProjection, KeyEntry, NO_BLOCK, NO_RULE, PrefixAtom,
    RangeAtom, RuleAction, RuleInfo, ScalarAtomTable, ScalarClassRange, ScalarClasses,
};

use self::field::icmp_value;
use self::lookup::{AddrLookup, Cells, KeyTable, ScalarLookup};
use crate::decision::{Decision, Step, Verdict};
use crate::ir::{IpSets, Match, Program, SetLookup};
use crate::packet::PacketRepr;

/// A step of a [`Classification`] trace, by rule index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TraceStep {
    /// A Log rule matched.
    Log(u32),
    /// A Pass rule matched.
    Pass(u32),
}

/// The outcome of [`Classifier::classify`]: the verdict and the deciding rule's index. The
/// steps before it are written to the caller's trace buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Classification {
    /// The verdict.
    pub verdict: Verdict,
    /// Index of the deciding rule in the program.
    pub rule: u32,
}

/// One field of a table block's key, at runtime.
#[derive(Clone, Copy, Debug)]
struct RtField {
    /// [`Field::index`].
    field: u8,
    /// Bit position in the key.
    shift: u8,
    /// Column of the block in the field's projection rows.
    column: u32,
}

/// How the runtime evaluates one block.
#[derive(Clone, Debug)]
enum RtBlock {
    /// Key lookup.
    Table {
        /// Fields of the key.
        fields: Box<[RtField]>,
        /// Key → entry.
        table: KeyTable,
        /// Entry of keys not in the table.
        default_entry: u32,
    },
    /// The rules' own matches, in order (`first_rule..end_rule`).
    Direct(Vec<Match>),
}

/// Every field's projections of all table blocks, in one array: field `f`'s rows start at
/// `offset[f]`, row-major, `width[f]` cells a row: row `atom` holds the atom's class in every
/// block whose key includes the field, so one packet's classes for all blocks share a cache
/// line.
#[derive(Clone, Debug, Default)]
struct Rows {
    /// Cells per row of each field (its number of keyed blocks), then a zero pad.
    width: [usize; ROW_FIELDS],
    /// Start of each field's rows in `cells`, then a zero pad.
    offset: [usize; ROW_FIELDS],
    /// The rows of all fields.
    cells: Cells,
}

/// [`Field::COUNT`] rounded up to a power of two, so that a masked field index is in bounds.
const ROW_FIELDS: usize = Field::COUNT.next_power_of_two();

/// What an entry makes the walk do, precomputed from the entry and its decisive rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Next {
    /// No decisive rule: the next block.
    Continue,
    /// The program ends with this verdict.
    Verdict(Verdict),
    /// A Pass: continue at this block.
    Jump(u32),
}

/// The runtime form of an [`Entry`].
#[derive(Clone, Copy, Debug)]
struct RtEntry {
    next: Next,
    /// The decisive rule ([`NO_RULE`] for `Continue`).
    rule: u32,
    /// Steps: `steps[first_step..first_step + step_count]`.
    first_step: u32,
    step_count: u32,
}

/// A compiled [`Program`]: its exported [`ClassifierTables`] plus the runtime lookup structures
/// built from them.
#[derive(Clone, Debug)]
pub struct Classifier {
    tables: ClassifierTables,
    stats: ClassifierStats,
    family: [u32; 2],
    protocol: Vec<u32>,
    addrs: [AddrLookup; 2],
    ports: [ScalarLookup; 2],
    icmp: ScalarLookup,
    used: [bool; Field::COUNT],
    rows: Rows,
    blocks: Vec<RtBlock>,
    entries: Vec<RtEntry>,
    /// [`ClassifierTables::step_rules`] as trace steps (Log or Pass by the rule's action).
    steps: Vec<TraceStep>,
    /// The sets direct blocks refer to.
    direct_sets: IpSets,
}

impl Classifier {
    /// Compiles `program` (with the sets it refers to) under the default budget.
    pub fn build<S: SetLookup + ?Sized>(
        program: &Program,
        sets: &S,
    ) -> Result<Classifier, BuildError> {
        Classifier::build_with(program, sets, &ClassifierConfig::default())
    }

    /// Compiles `program` under `config`'s budget. Sets missing from `sets` count as empty, as
    /// in [`Match::matches`].
    pub fn build_with<S: SetLookup + ?Sized>(
        program: &Program,
        sets: &S,
        config: &ClassifierConfig,
    ) -> Result<Classifier, BuildError> {
        let built = build::build(program, sets, config)?;
        let tables = built.tables;
        let mut stats = built.stats;
        let mut direct_sets = IpSets::new();
        let mut blocks = Vec::with_capacity(tables.blocks.len());
        let mut used = [false; Field::COUNT];
        let mut rows = Rows::default();
        for b in &tables.blocks {
            for p in &b.fields {
                rows.width[p.field.index()] += 1;
            }
        }
        let mut cells: Vec<Vec<u32>> = Field::ALL
            .iter()
            .map(|&f| vec![0; rows.width[f.index()] * tables.atoms.atom_count(f) as usize])
            .collect();
        let mut next_column = [0usize; Field::COUNT];
        for b in &tables.blocks {
            match b.kind {
                BlockKind::Table => {
                    let mut fields = Vec::with_capacity(b.fields.len());
                    for p in &b.fields {
                        let f = p.field.index();
                        used[f] = true;
                        let column = next_column[f];
                        next_column[f] += 1;
                        let width = rows.width[f];
                        for (atom, &class) in p.classes.iter().enumerate() {
                            if let Some(cell) = cells[f].get_mut(atom * width + column) {
                                *cell = class;
                            }
                        }
                        let column = column as u32;
                        fields.push(RtField {
                            field: f as u8,
                            shift: p.shift,
                            column,
                        });
                    }
                    blocks.push(RtBlock::Table {
                        fields: fields.into_boxed_slice(),
                        table: KeyTable::new(b),
                        default_entry: b.default_entry,
                    });
                }
                BlockKind::Direct => {
                    let rules = program
                        .rules()
                        .get(b.first_rule as usize..b.end_rule as usize)
                        .unwrap_or(&[]);
                    let matches: Vec<Match> = rules.iter().map(|r| r.matches.clone()).collect();
                    for m in &matches {
                        for id in m.set_ids() {
                            if let Some(set) = sets.set(id) {
                                direct_sets.insert(set.clone());
                            }
                        }
                    }
                    blocks.push(RtBlock::Direct(matches));
                }
            }
        }
        let mut all = Vec::with_capacity(cells.iter().map(Vec::len).sum());
        for (offset, c) in rows.offset.iter_mut().zip(cells) {
            *offset = all.len();
            all.extend(c);
        }
        rows.cells = Cells::new(all);
        let a = &tables.atoms;
        let family = [a.family.atom_of(FAMILY_V4), a.family.atom_of(FAMILY_V6)];
        let protocol: Vec<u32> = (0..256).map(|p| a.protocol.atom_of(p)).collect();
        let addrs = [AddrLookup::new(&a.src_addr), AddrLookup::new(&a.dst_addr)];
        let ports = [
            ScalarLookup::new(&a.src_port, false),
            ScalarLookup::new(&a.dst_port, false),
        ];
        let icmp = ScalarLookup::new(&a.icmp, false);
        stats.bytes += rows.cells.bytes() as u64;
        stats.bytes += blocks
            .iter()
            .map(|b| match b {
                RtBlock::Table { table, .. } => table.bytes() as u64,
                RtBlock::Direct(_) => 0,
            })
            .sum::<u64>();
        stats.bytes += (addrs[0].bytes()
            + addrs[1].bytes()
            + ports[0].bytes()
            + ports[1].bytes()
            + icmp.bytes()) as u64;
        let steps = tables
            .step_rules
            .iter()
            .map(|&r| match tables.rules.get(r as usize).map(|i| i.action) {
                Some(RuleAction::Pass) => TraceStep::Pass(r),
                _ => TraceStep::Log(r),
            })
            .collect();
        let entries = tables
            .entries
            .iter()
            .map(|e| RtEntry {
                next: rule_next(&tables, e.rule),
                rule: e.rule,
                first_step: e.first_step,
                step_count: e.step_count,
            })
            .collect();
        Ok(Classifier {
            tables,
            stats,
            entries,
            family,
            protocol,
            addrs,
            ports,
            icmp,
            used,
            rows,
            blocks,
            direct_sets,
            steps,
        })
    }

    /// The exported tables.
    pub fn tables(&self) -> &ClassifierTables {
        &self.tables
    }

    /// What the build produced.
    pub fn stats(&self) -> &ClassifierStats {
        &self.stats
    }

    /// The global atom of every field for `packet` (fields no table block uses are 0).
    pub fn atoms(&self, packet: &PacketRepr) -> [u32; Field::COUNT] {
        let mut atoms = [0u32; Field::COUNT];
        let used = &self.used;
        if used[Field::Family.index()] {
            atoms[Field::Family.index()] = self.family[usize::from(!packet.is_ipv4())];
        }
        if used[Field::Protocol.index()] {
            atoms[Field::Protocol.index()] = self
                .protocol
                .get(usize::from(packet.protocol()))
                .copied()
                .unwrap_or(0);
        }
        if used[Field::SrcAddr.index()] {
            atoms[Field::SrcAddr.index()] = self.addrs[0].atom(packet.src());
        }
        if used[Field::DstAddr.index()] {
            atoms[Field::DstAddr.index()] = self.addrs[1].atom(packet.dst());
        }
        let (sport, dport) = packet
            .ports()
            .map_or((ABSENT, ABSENT), |(s, d)| (u32::from(s), u32::from(d)));
        if used[Field::SrcPort.index()] {
            atoms[Field::SrcPort.index()] = self.ports[0].atom(sport);
        }
        if used[Field::DstPort.index()] {
            atoms[Field::DstPort.index()] = self.ports[1].atom(dport);
        }
        if used[Field::Icmp.index()] {
            atoms[Field::Icmp.index()] = self.icmp.atom(icmp_value(packet));
        }
        atoms
    }

    /// Classifies `packet`: the verdict and deciding rule, with the Log and Pass steps before it
    /// appended to `trace` (which the caller may reuse; it is not cleared). Allocation-free
    /// when `trace` has room.
    pub fn classify(&self, packet: &PacketRepr, trace: &mut Vec<TraceStep>) -> Classification {
        let atoms = self.atoms(packet);
        let mut row = [0usize; ROW_FIELDS];
        for ((r, &atom), (&offset, &width)) in row
            .iter_mut()
            .zip(&atoms)
            .zip(self.rows.offset.iter().zip(&self.rows.width))
        {
            *r = offset + atom as usize * width;
        }
        match &self.rows.cells {
            Cells::U16(cells) => self.walk(cells, &row, packet, trace),
            Cells::U32(cells) => self.walk(cells, &row, packet, trace),
        }
    }

    /// The block walk of [`Classifier::classify`], given the start of the packet's projection
    /// row of every field in `cells`.
    #[inline]
    fn walk<C: Copy + Into<u32>>(
        &self,
        cells: &[C],
        row: &[usize; ROW_FIELDS],
        packet: &PacketRepr,
        trace: &mut Vec<TraceStep>,
    ) -> Classification {
        let mut b = 0usize;
        while let Some(rt) = self.blocks.get(b) {
            let entry = match rt {
                RtBlock::Table {
                    fields,
                    table,
                    default_entry,
                } => {
                    let key = key(cells, fields, row);
                    table.entry_or(key, *default_entry)
                }
                RtBlock::Direct(matches) => {
                    let first_rule = self.tables.blocks.get(b).map_or(0, |x| x.first_rule);
                    match self.direct(first_rule, matches, packet, trace) {
                        Some(Ok(outcome)) => return outcome,
                        Some(Err(next)) => b = next,
                        None => b += 1,
                    }
                    continue;
                }
            };
            let Some(entry) = self.entries.get(entry as usize) else {
                b += 1;
                continue;
            };
            if entry.step_count != 0 {
                self.push_steps(entry, trace);
            }
            match entry.next {
                Next::Continue => b += 1,
                Next::Verdict(verdict) => {
                    return Classification {
                        verdict,
                        rule: entry.rule,
                    };
                }
                Next::Jump(next) => {
                    trace.push(TraceStep::Pass(entry.rule));
                    b = next as usize;
                }
            }
        }
        self.fell_off()
    }

    fn push_steps(&self, entry: &RtEntry, trace: &mut Vec<TraceStep>) {
        let start = entry.first_step as usize;
        let end = start + entry.step_count as usize;
        if let Some(steps) = self.steps.get(start..end) {
            trace.extend_from_slice(steps);
        }
    }

    /// What a matching decisive rule does: `Ok` with the outcome, or `Err` with the block to
    /// continue at (after recording a Pass step).
    fn act(&self, rule: u32, trace: &mut Vec<TraceStep>) -> Result<Classification, usize> {
        let info = self.tables.rules.get(rule as usize);
        let verdict = match info.map(|i| i.action) {
            Some(RuleAction::Allow) => Verdict::Allow,
            Some(RuleAction::Deny) => Verdict::Deny,
            Some(RuleAction::NoVerdict) => Verdict::NoVerdict,
            Some(RuleAction::Pass) => {
                trace.push(TraceStep::Pass(rule));
                let next = info.map_or(NO_BLOCK, |i| i.pass_block);
                return Err(if next == NO_BLOCK {
                    self.tables.blocks.len()
                } else {
                    next as usize
                });
            }
            // Entries never name a Log rule as decisive; treat it as continuing.
            Some(RuleAction::Log) | None => return Err(self.block_after(rule)),
        };
        Ok(Classification { verdict, rule })
    }

    /// The block after the one that holds `rule`.
    fn block_after(&self, rule: u32) -> usize {
        self.tables.blocks.partition_point(|b| b.first_rule <= rule)
    }

    /// Evaluates a direct block: `Some(Ok)` when it decides, `Some(Err(block))` on a Pass,
    /// `None` to continue with the next block.
    fn direct(
        &self,
        first_rule: u32,
        matches: &[Match],
        packet: &PacketRepr,
        trace: &mut Vec<TraceStep>,
    ) -> Option<Result<Classification, usize>> {
        for (i, m) in matches.iter().enumerate() {
            if !m.matches(packet, &self.direct_sets) {
                continue;
            }
            let rule = first_rule + i as u32;
            if self
                .tables
                .rules
                .get(rule as usize)
                .is_some_and(|r| r.action == RuleAction::Log)
            {
                trace.push(TraceStep::Log(rule));
                continue;
            }
            return Some(self.act(rule, trace));
        }
        None
    }

    /// Past the last block: unreachable, since the last rule of a program matches every packet
    /// and ends it. Answers as that rule would.
    #[cold]
    fn fell_off(&self) -> Classification {
        let last = self.tables.rules.len().saturating_sub(1) as u32;
        let verdict = match self.tables.rules.get(last as usize).map(|r| r.action) {
            Some(RuleAction::Allow) => Verdict::Allow,
            Some(RuleAction::NoVerdict) => Verdict::NoVerdict,
            _ => Verdict::Deny,
        };
        Classification {
            verdict,
            rule: last,
        }
    }

    /// The full decision for `packet`: exactly what [`crate::ir::evaluate`] returns.
    pub fn decide(&self, packet: &PacketRepr) -> Decision {
        let mut trace = Vec::new();
        let outcome = self.classify(packet, &mut trace);
        self.decision(outcome, &trace)
    }

    /// Turns a classification and its trace into a [`Decision`].
    pub fn decision(&self, outcome: Classification, trace: &[TraceStep]) -> Decision {
        let steps = trace
            .iter()
            .map(|s| match *s {
                TraceStep::Log(r) => Step::Log(self.origin(r)),
                TraceStep::Pass(r) => Step::Pass(self.origin(r)),
            })
            .collect();
        Decision {
            verdict: outcome.verdict,
            origin: self.origin(outcome.rule),
            steps,
        }
    }

    /// The origin of rule `rule`.
    fn origin(&self, rule: u32) -> crate::ir::Origin {
        self.tables
            .rules
            .get(rule as usize)
            .and_then(|r| self.tables.origins.get(r.origin as usize))
            .cloned()
            .unwrap_or(crate::ir::Origin::NoMatch)
    }
}

/// A table block's key from the packet's projection rows (`row[field]`: where the field's row
/// starts in `cells`).
#[inline]
fn key<C: Copy + Into<u32>>(cells: &[C], fields: &[RtField], row: &[usize; ROW_FIELDS]) -> u64 {
    let mut key = 0u64;
    for p in fields {
        let base = row[usize::from(p.field) & (ROW_FIELDS - 1)];
        let class = cells.get(base + p.column as usize).map_or(0, |&c| c.into());
        key |= u64::from(class) << p.shift;
    }
    key
}

/// What the walk does after an entry whose decisive rule is `rule`.
fn rule_next(tables: &ClassifierTables, rule: u32) -> Next {
    let Some(info) = tables.rules.get(rule as usize) else {
        return Next::Continue;
    };
    match info.action {
        RuleAction::Allow => Next::Verdict(Verdict::Allow),
        RuleAction::Deny => Next::Verdict(Verdict::Deny),
        RuleAction::NoVerdict => Next::Verdict(Verdict::NoVerdict),
        RuleAction::Pass => Next::Jump(if info.pass_block == NO_BLOCK {
            tables.blocks.len() as u32
        } else {
            info.pass_block
        }),
        // Entries never name a Log rule as decisive.
        RuleAction::Log => Next::Continue,
    }
}
