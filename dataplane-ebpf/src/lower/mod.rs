//! Pure lowering: a [`Program`] (through the compiler's fast classifier) → the contents of the
//! datapath's maps. No syscalls; everything here is tested without privileges, including a
//! word-for-word interpreter of the datapath's walk ([`interp`]).
//!
//! The classifier's [`ClassifierTables`] are taken as they are — global atoms, blocks with
//! field projections and keyed entries, the per-rule action table — and only laid out for the
//! datapath:
//!
//! | classifier table | heap table |
//! |---|---|
//! | address runs per family and side | interval maps (`imap32` / `imap128`) |
//! | port and ICMP ranges, `absent` | interval maps over 16-bit values; `absent` in the header |
//! | family and protocol atoms | arrays in the generation header |
//! | block projections (atom → class) | packed arrays of 8/16/32-bit classes |
//! | block entries (key → entry), default entry | a dense array or an open-addressing hash table of entry words |
//! | entries' steps (Log rules, Pass rules taken within a block) | step lists `[head, step…]` (see `bpf/abi.h`) |
//! | rules (action, Pass target block) | one word per rule |
//!
//! An entry word is `rule | step_list << 32` (`abi::NONE` for none). Origins stay in user space:
//! events and test-run results carry rule indices, which [`LoweredProgram::origin`] resolves.

mod imap;
pub mod interp;

use std::fmt;
use std::sync::Arc;

use palisade_compiler::classifier::{
    BlockKind, BlockTable, Classifier, ClassifierConfig, ClassifierTables, NO_RULE, RuleAction,
    ScalarAtomTable,
};
use palisade_compiler::ir::{Hook, Origin, Program, SetLookup};
use palisade_compiler::{Decision, Step, Verdict};

use crate::abi::{self, BLOCK_WORDS, GenHeader, ImapDesc, NONE};

/// What a heap table holds (for dumps and statistics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TableKind {
    /// An interval map over IPv4 addresses.
    AddrV4,
    /// An interval map over IPv6 addresses.
    AddrV6,
    /// An interval map over ports or ICMP type/code.
    Scalar,
    /// A block's projection of one field's atoms to classes.
    Projection,
    /// A block's entry table.
    Entries,
    /// Log lists.
    Logs,
    /// The rule table.
    Rules,
    /// Block descriptors.
    Blocks,
}

impl TableKind {
    /// A short name, e.g. `projection`.
    pub fn as_str(self) -> &'static str {
        match self {
            TableKind::AddrV4 => "addr-v4",
            TableKind::AddrV6 => "addr-v6",
            TableKind::Scalar => "scalar",
            TableKind::Projection => "projection",
            TableKind::Entries => "entries",
            TableKind::Logs => "logs",
            TableKind::Rules => "rules",
            TableKind::Blocks => "blocks",
        }
    }
}

impl fmt::Display for TableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A position-independent run of heap words. Offsets inside a table are relative to its start;
/// references between tables are resolved when a generation is placed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    /// What the table holds.
    pub kind: TableKind,
    /// Its words.
    pub words: Arc<[u64]>,
}

/// An interval map: a table plus its search parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImapRef {
    /// Index into [`LoweredProgram::tables`].
    pub table: usize,
    /// Direct-table shift.
    pub shift: u32,
    /// Direct-table length.
    pub n_direct: u32,
}

/// One field of a block's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldDesc {
    /// The projection table.
    pub projection: usize,
    /// log2 of the class width in bits (3, 4 or 5).
    pub width_log2: u8,
    /// The class's bit position in the key.
    pub shift: u8,
}

/// How a block's entries are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryLayout {
    /// An array indexed by key.
    Dense {
        /// Its length (every key is below it).
        len: u32,
    },
    /// Open addressing with linear probing.
    Hash {
        /// log2 of the number of slots.
        bits: u8,
        /// The longest probe sequence of any key.
        max_probes: u8,
        /// A key value no entry uses, marking empty slots.
        empty: u64,
    },
}

/// A block, with references to its tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockDesc {
    /// First rule (inclusive).
    pub first_rule: u32,
    /// Last rule (exclusive).
    pub end_rule: u32,
    /// The fields of the key, by classifier field index.
    pub fields: [Option<FieldDesc>; abi::NFIELDS],
    /// The entry table.
    pub entries: usize,
    /// Its layout.
    pub layout: EntryLayout,
    /// The entry word of keys not in a hash table.
    pub default_entry: u64,
}

impl BlockDesc {
    /// The field mask (bit per classifier field index).
    pub fn field_mask(&self) -> u32 {
        self.fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.is_some())
            .fold(0, |m, (i, _)| m | (1 << i))
    }
}

/// A program lowered to heap tables, ready to be placed as a generation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoweredProgram {
    /// The hook the program is for.
    pub hook: Hook,
    /// Every table; [`BlockDesc`]s, [`ImapRef`]s and the fields below index it.
    pub tables: Vec<Table>,
    /// Blocks, in order.
    pub blocks: Vec<BlockDesc>,
    /// Source address maps: IPv4, IPv6.
    pub src: [ImapRef; 2],
    /// Destination address maps: IPv4, IPv6.
    pub dst: [ImapRef; 2],
    /// Source port map.
    pub sport: ImapRef,
    /// Destination port map.
    pub dport: ImapRef,
    /// ICMP (`type << 8 | code`) map.
    pub icmp: ImapRef,
    /// Atoms of packets without ports (source, destination) or without ICMP fields.
    pub absent: [u32; 3],
    /// Family atoms: IPv4, IPv6.
    pub family_atom: [u32; 2],
    /// Protocol atoms.
    pub proto_atom: [u16; 256],
    /// Union of the blocks' field masks.
    pub used_fields: u32,
    /// The rule table.
    pub rules: usize,
    /// The step lists.
    pub logs: usize,
    /// Per rule: index into `origins`.
    pub rule_origin: Vec<u32>,
    /// Per rule: its action (`abi::ACT_*`).
    pub rule_action: Vec<u8>,
    /// Distinct origins.
    pub origins: Vec<Origin>,
}

impl LoweredProgram {
    /// Number of rules.
    pub fn rule_count(&self) -> u32 {
        self.rule_origin.len() as u32
    }

    /// The origin of rule `rule`.
    pub fn origin(&self, rule: u32) -> Option<&Origin> {
        let o = *self.rule_origin.get(rule as usize)?;
        self.origins.get(o as usize)
    }

    /// The [`Decision`] for a classification that ended at `rule` after `steps`; `None` if a
    /// rule index is unknown or `rule` does not end the program.
    pub fn decision(&self, rule: u32, steps: &[interp::Step]) -> Option<Decision> {
        let verdict = match *self.rule_action.get(rule as usize)? {
            abi::ACT_ALLOW => Verdict::Allow,
            abi::ACT_DENY => Verdict::Deny,
            abi::ACT_NOVERDICT => Verdict::NoVerdict,
            _ => return None,
        };
        let mut out = Vec::with_capacity(steps.len());
        for s in steps {
            out.push(match *s {
                interp::Step::Log(r) => Step::Log(self.origin(r)?.clone()),
                interp::Step::Pass(r) => Step::Pass(self.origin(r)?.clone()),
            });
        }
        Some(Decision {
            verdict,
            origin: self.origin(rule)?.clone(),
            steps: out,
        })
    }

    /// Total words of all tables (block descriptors included).
    pub fn words(&self) -> usize {
        self.tables.iter().map(|t| t.words.len()).sum::<usize>() + self.blocks.len() * BLOCK_WORDS
    }
}

/// How to lower programs.
#[derive(Clone, Debug, Default)]
pub struct LowerConfig {
    /// The classifier's size budget.
    pub classifier: ClassifierConfig,
}

/// Why a program could not be lowered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LowerError {
    /// The classifier could not be built.
    #[error("{hook} program: the classifier could not be built: {message}")]
    Classifier {
        /// The program's hook.
        hook: Hook,
        /// The classifier's error.
        message: String,
    },
    /// The classifier left rules untabulated (over its size budget); the eBPF datapath
    /// evaluates tables only.
    #[error(
        "{hook} program: rules {first_rule}..{end_rule} do not fit the classifier's size budget \
         and would need per-rule evaluation, which the eBPF datapath does not do; raise the \
         budget (LowerConfig::classifier) or simplify these rules"
    )]
    Untabulated {
        /// The program's hook.
        hook: Hook,
        /// First rule (inclusive).
        first_rule: u32,
        /// Last rule (exclusive).
        end_rule: u32,
    },
    /// A table does not fit the datapath's 32-bit offsets or its fixed bounds.
    #[error("{hook} program: {what} ({count}) exceeds the datapath's limit ({limit})")]
    TooLarge {
        /// The program's hook.
        hook: Hook,
        /// What overflowed.
        what: &'static str,
        /// How many there were.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// The classifier's tables are not consistent (a bug in the classifier, reported instead
    /// of loading tables that would misclassify).
    #[error("{hook} program: inconsistent classifier tables: {reason}")]
    Inconsistent {
        /// The program's hook.
        hook: Hook,
        /// What is wrong.
        reason: String,
    },
}

/// Lowers `program` (whose set references resolve through `sets`).
pub fn lower<S: SetLookup + ?Sized>(
    program: &Program,
    sets: &S,
    config: &LowerConfig,
) -> Result<LoweredProgram, LowerError> {
    let classifier = Classifier::build_with(program, sets, &config.classifier).map_err(|e| {
        LowerError::Classifier {
            hook: program.hook(),
            message: e.to_string(),
        }
    })?;
    lower_tables(classifier.tables())
}

/// Lowers a classifier's exported tables.
pub fn lower_tables(t: &ClassifierTables) -> Result<LoweredProgram, LowerError> {
    Lowering::new(t.hook).run(t)
}

struct Lowering {
    hook: Hook,
    tables: Vec<Table>,
}

impl Lowering {
    fn new(hook: Hook) -> Lowering {
        Lowering {
            hook,
            tables: Vec::new(),
        }
    }

    fn push(&mut self, kind: TableKind, words: Vec<u64>) -> usize {
        self.tables.push(Table {
            kind,
            words: words.into(),
        });
        self.tables.len() - 1
    }

    fn inconsistent(&self, reason: impl Into<String>) -> LowerError {
        LowerError::Inconsistent {
            hook: self.hook,
            reason: reason.into(),
        }
    }

    fn too_large(&self, what: &'static str, count: u64, limit: u64) -> LowerError {
        LowerError::TooLarge {
            hook: self.hook,
            what,
            count,
            limit,
        }
    }

    fn imap(&mut self, kind: TableKind, m: imap::Imap) -> ImapRef {
        let (shift, n_direct) = (m.shift, m.n_direct);
        ImapRef {
            table: self.push(kind, m.words),
            shift,
            n_direct,
        }
    }

    fn scalar_imap(&mut self, t: &ScalarAtomTable) -> ImapRef {
        let runs: Vec<(u32, u32)> = t
            .ranges
            .iter()
            .map(|r| (u32::from(r.first), r.atom))
            .collect();
        let runs = if runs.first().is_some_and(|r| r.0 == 0) {
            runs
        } else {
            // A table that covers no values (never the classifier's case) maps all to atom 0.
            let mut v = vec![(0, 0)];
            v.extend(runs);
            v
        };
        self.imap(TableKind::Scalar, imap::imap32(&runs, 16))
    }

    fn run(mut self, t: &ClassifierTables) -> Result<LoweredProgram, LowerError> {
        let a = &t.atoms;
        // Atom tables.
        let src = [
            self.imap(
                TableKind::AddrV4,
                imap::imap32(&v4_runs(&a.src_addr.v4_ranges), 32),
            ),
            self.imap(
                TableKind::AddrV6,
                imap::imap128(&v6_runs(&a.src_addr.v6_ranges)),
            ),
        ];
        let dst = [
            self.imap(
                TableKind::AddrV4,
                imap::imap32(&v4_runs(&a.dst_addr.v4_ranges), 32),
            ),
            self.imap(
                TableKind::AddrV6,
                imap::imap128(&v6_runs(&a.dst_addr.v6_ranges)),
            ),
        ];
        let sport = self.scalar_imap(&a.src_port);
        let dport = self.scalar_imap(&a.dst_port);
        let icmp = self.scalar_imap(&a.icmp);
        let absent = [
            a.src_port.absent.unwrap_or(0),
            a.dst_port.absent.unwrap_or(0),
            a.icmp.absent.unwrap_or(0),
        ];
        let family_atom = [a.family.atom_of(0), a.family.atom_of(1)];
        let mut proto_atom = [0u16; 256];
        for (p, slot) in proto_atom.iter_mut().enumerate() {
            let atom = a.protocol.atom_of(p as u32);
            *slot = u16::try_from(atom)
                .map_err(|_| self.too_large("protocol atom", u64::from(atom), 65_535))?;
        }

        // Rules.
        let nrules = t.rules.len();
        if u32::try_from(nrules).is_err() {
            return Err(self.too_large("rules", nrules as u64, u64::from(u32::MAX)));
        }
        let mut rule_words = Vec::with_capacity(nrules);
        let mut rule_action = Vec::with_capacity(nrules);
        let mut rule_origin = Vec::with_capacity(nrules);
        for (i, r) in t.rules.iter().enumerate() {
            let act = match r.action {
                RuleAction::Allow => abi::ACT_ALLOW,
                RuleAction::Deny => abi::ACT_DENY,
                RuleAction::Log => abi::ACT_LOG,
                RuleAction::Pass => abi::ACT_PASS,
                RuleAction::NoVerdict => abi::ACT_NOVERDICT,
            };
            // A Pass whose target is inside a block is only ever a step of that block's entries
            // (never decisive): it has no target block, and the datapath fails closed if an
            // entry names it as decisive. Entries that do are refused below.
            let target = if act == abi::ACT_PASS && (r.pass_block as usize) < t.blocks.len() {
                r.pass_block
            } else {
                NONE
            };
            rule_words.push(u64::from(act) | (u64::from(target) << 32));
            rule_action.push(act);
            if r.origin as usize >= t.origins.len() {
                return Err(self.inconsistent(format!("rule {i} has no origin")));
            }
            rule_origin.push(r.origin);
        }
        let rules = self.push(TableKind::Rules, rule_words);

        // Entries → entry words, with their step lists.
        let mut log_u32: Vec<u32> = Vec::new();
        let mut entry_words: Vec<u64> = Vec::with_capacity(t.entries.len());
        for e in &t.entries {
            let steps = t.entry_steps(e);
            if steps.len() as u64 != u64::from(e.step_count) {
                return Err(self.inconsistent("an entry's steps are out of range"));
            }
            if e.step_count > abi::MAX_STEPS_PER_ENTRY {
                return Err(self.too_large(
                    "steps of one entry",
                    u64::from(e.step_count),
                    u64::from(abi::MAX_STEPS_PER_ENTRY),
                ));
            }
            if e.rule != NO_RULE && e.rule as usize >= nrules {
                return Err(self.inconsistent("an entry names an unknown rule"));
            }
            if let Some(r) = t.rules.get(e.rule as usize)
                && r.action == RuleAction::Pass
                && r.pass_block as usize >= t.blocks.len()
            {
                return Err(self.inconsistent(format!(
                    "pass rule {} decides an entry but has no target block",
                    e.rule
                )));
            }
            let log_ref = if steps.is_empty() {
                NONE
            } else {
                let at = u32::try_from(log_u32.len())
                    .ok()
                    .filter(|&at| at < NONE - 1)
                    .ok_or_else(|| {
                        self.too_large("step lists", log_u32.len() as u64, u64::from(NONE - 2))
                    })?;
                let head = log_u32.len();
                log_u32.push(e.step_count);
                for &step in steps {
                    let word = match t.rules.get(step as usize).map(|r| r.action) {
                        _ if step >= abi::STEP_PASS => {
                            return Err(self.inconsistent("a step's rule index is out of range"));
                        }
                        Some(RuleAction::Log) => {
                            log_u32[head] |= abi::STEPS_HAVE_LOG;
                            step
                        }
                        Some(RuleAction::Pass) => step | abi::STEP_PASS,
                        _ => {
                            return Err(
                                self.inconsistent("an entry's step is neither a Log nor a Pass")
                            );
                        }
                    };
                    log_u32.push(word);
                }
                at
            };
            let rule = if e.rule == NO_RULE { NONE } else { e.rule };
            entry_words.push(u64::from(rule) | (u64::from(log_ref) << 32));
        }
        let logs = self.push(TableKind::Logs, pack_u32(&log_u32));

        // Blocks.
        if t.blocks.is_empty() {
            return Err(self.inconsistent("no blocks"));
        }
        let mut blocks = Vec::with_capacity(t.blocks.len());
        let mut used_fields = 0u32;
        for b in &t.blocks {
            if b.kind == BlockKind::Direct {
                return Err(LowerError::Untabulated {
                    hook: self.hook,
                    first_rule: b.first_rule,
                    end_rule: b.end_rule,
                });
            }
            let desc = self.block(b, &entry_words)?;
            used_fields |= desc.field_mask();
            blocks.push(desc);
        }
        if u32::try_from(blocks.len()).map_or(true, |n| n > abi::MAX_BLOCK_STEPS) {
            return Err(self.too_large(
                "blocks",
                blocks.len() as u64,
                u64::from(abi::MAX_BLOCK_STEPS),
            ));
        }

        Ok(LoweredProgram {
            hook: self.hook,
            tables: self.tables,
            blocks,
            src,
            dst,
            sport,
            dport,
            icmp,
            absent,
            family_atom,
            proto_atom,
            used_fields,
            rules,
            logs,
            rule_origin,
            rule_action,
            origins: t.origins.clone(),
        })
    }

    fn block(&mut self, b: &BlockTable, entry_words: &[u64]) -> Result<BlockDesc, LowerError> {
        let hook = self.hook;
        let word_of = |e: u32| -> Result<u64, LowerError> {
            entry_words
                .get(e as usize)
                .copied()
                .ok_or_else(|| LowerError::Inconsistent {
                    hook,
                    reason: format!(
                        "block {}..{} names an unknown entry",
                        b.first_rule, b.end_rule
                    ),
                })
        };
        let mut fields = [None; abi::NFIELDS];
        let mut bits_total = 0u32;
        let mut max_key: u64 = 0;
        for p in &b.fields {
            let i = p.field.index();
            if i >= abi::NFIELDS || p.shift >= 64 {
                return Err(self.inconsistent(format!("bad projection of {}", p.field)));
            }
            let max_class = p.classes.iter().copied().max().unwrap_or(0);
            let width_log2: u8 = if max_class <= 0xff {
                3
            } else if max_class <= 0xffff {
                4
            } else {
                5
            };
            let projection = self.push(TableKind::Projection, pack_classes(&p.classes, width_log2));
            fields[i] = Some(FieldDesc {
                projection,
                width_log2,
                shift: p.shift,
            });
            bits_total = bits_total.max(u32::from(p.shift) + u32::from(p.bits));
            max_key |= u64::from(max_class)
                .checked_shl(u32::from(p.shift))
                .unwrap_or(0);
        }
        if bits_total > 64 {
            return Err(self.inconsistent("a block key is wider than 64 bits"));
        }
        let default_entry = word_of(b.default_entry)?;
        let mut keyed: Vec<(u64, u64)> = Vec::with_capacity(b.entries.len());
        for ke in &b.entries {
            keyed.push((ke.key, word_of(ke.entry)?));
        }
        // Dense when the key space is small next to the entries.
        let dense_len = max_key.checked_add(1);
        let dense_ok =
            dense_len.is_some_and(|len| len <= (4 * keyed.len() as u64).max(64) && len <= 1 << 24);
        let (entries, layout) = if dense_ok {
            let len = dense_len.unwrap_or(1) as usize;
            let mut words = vec![default_entry; len];
            for (k, w) in &keyed {
                match words.get_mut(*k as usize) {
                    Some(slot) => *slot = *w,
                    None => return Err(self.inconsistent("a key exceeds the block's key space")),
                }
            }
            (
                self.push(TableKind::Entries, words),
                EntryLayout::Dense { len: len as u32 },
            )
        } else {
            let (words, bits, max_probes, empty) = hash_table(&keyed)
                .ok_or_else(|| self.too_large("block entries", keyed.len() as u64, 1 << 30))?;
            (
                self.push(TableKind::Entries, words),
                EntryLayout::Hash {
                    bits,
                    max_probes,
                    empty,
                },
            )
        };
        Ok(BlockDesc {
            first_rule: b.first_rule,
            end_rule: b.end_rule,
            fields,
            entries,
            layout,
            default_entry,
        })
    }
}

fn v4_runs(
    r: &[palisade_compiler::classifier::AddrRunAtom<std::net::Ipv4Addr>],
) -> Vec<(u32, u32)> {
    let mut runs: Vec<(u32, u32)> = r.iter().map(|x| (u32::from(x.first), x.atom)).collect();
    if runs.first().is_none_or(|r| r.0 != 0) {
        runs.insert(0, (0, 0));
    }
    runs
}

fn v6_runs(
    r: &[palisade_compiler::classifier::AddrRunAtom<std::net::Ipv6Addr>],
) -> Vec<(u128, u32)> {
    let mut runs: Vec<(u128, u32)> = r.iter().map(|x| (u128::from(x.first), x.atom)).collect();
    if runs.first().is_none_or(|r| r.0 != 0) {
        runs.insert(0, (0, 0));
    }
    runs
}

/// Packs u32 values two per word (low half first).
fn pack_u32(values: &[u32]) -> Vec<u64> {
    let mut words: Vec<u64> = values
        .chunks(2)
        .map(|c| {
            u64::from(c.first().copied().unwrap_or(0))
                | (u64::from(c.get(1).copied().unwrap_or(0)) << 32)
        })
        .collect();
    if words.is_empty() {
        words.push(0);
    }
    words
}

/// Packs classes at `2^width_log2` bits each, lowest bits first.
fn pack_classes(classes: &[u32], width_log2: u8) -> Vec<u64> {
    let width = 1usize << width_log2;
    let per_word = 64 / width;
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    let mut words = vec![0u64; classes.len().div_ceil(per_word).max(1)];
    for (i, c) in classes.iter().enumerate() {
        if let Some(w) = words.get_mut(i / per_word) {
            *w |= (u64::from(*c) & mask) << ((i % per_word) * width);
        }
    }
    words
}

/// The slot of `key` in a table of `2^bits` slots.
pub(crate) fn hash_slot(key: u64, bits: u8) -> usize {
    (key.wrapping_mul(abi::HASH_MUL) >> (64 - u32::from(bits))) as usize
}

/// An open-addressing table of `(key, entry word)` pairs: `(words, bits, max probes, empty
/// marker)`; `None` when no size up to 2^30 slots keeps probes within `MAX_PROBES`.
fn hash_table(keyed: &[(u64, u64)]) -> Option<(Vec<u64>, u8, u8, u64)> {
    // An empty marker: the largest u64 no key uses (keys are distinct).
    let mut keys: Vec<u64> = keyed.iter().map(|k| k.0).collect();
    keys.sort_unstable();
    let mut empty = u64::MAX;
    for k in keys.iter().rev() {
        if *k == empty {
            empty -= 1;
        } else if *k < empty {
            break;
        }
    }
    let n = keyed.len().max(1);
    let mut bits = (usize::BITS - (2 * n - 1).leading_zeros()).max(1) as u8;
    while bits <= 30 {
        let size = 1usize << bits;
        let mut words = vec![0u64; 2 * size];
        for s in 0..size {
            words[2 * s] = empty;
        }
        let mut max_probes = 0usize;
        let mut ok = true;
        for (k, w) in keyed {
            let h = hash_slot(*k, bits);
            let mut placed = false;
            for i in 0..abi::MAX_PROBES as usize {
                let s = (h + i) & (size - 1);
                if words[2 * s] == empty {
                    words[2 * s] = *k;
                    words[2 * s + 1] = *w;
                    max_probes = max_probes.max(i + 1);
                    placed = true;
                    break;
                }
            }
            if !placed {
                ok = false;
                break;
            }
        }
        if ok {
            return Some((words, bits, max_probes.max(1) as u8, empty));
        }
        bits += 1;
    }
    None
}

/// Where each table of a program lives in the heap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Heap offset of every table of [`LoweredProgram::tables`].
    pub tables: Vec<u32>,
    /// Heap offset of the block descriptors.
    pub blocks: u32,
}

/// The block descriptor words of `p`, given where its tables live (layout in `bpf/abi.h`).
pub(crate) fn encode_blocks(p: &LoweredProgram, tables: &[u32]) -> Vec<u64> {
    let off = |t: usize| u64::from(tables.get(t).copied().unwrap_or(0));
    let mut words = Vec::with_capacity(p.blocks.len() * BLOCK_WORDS);
    for b in &p.blocks {
        let mut w = [0u64; BLOCK_WORDS];
        let fields: Vec<(usize, &FieldDesc)> = b
            .fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.as_ref().map(|f| (i, f)))
            .collect();
        w[0] = off(b.entries) | ((fields.len() as u64) << 32);
        match b.layout {
            EntryLayout::Dense { len } => w[1] = u64::from(len),
            EntryLayout::Hash {
                bits,
                max_probes,
                empty,
            } => {
                w[0] |= (1 << 36) | (u64::from(bits) << 40) | (u64::from(max_probes) << 48);
                w[1] = empty;
            }
        }
        w[2] = b.default_entry;
        for (slot, (i, f)) in w[3..].iter_mut().zip(fields) {
            *slot = off(f.projection)
                | (u64::from(f.shift) << 32)
                | (u64::from(f.width_log2 - 3) << 40)
                | ((i as u64) << 48);
        }
        words.extend_from_slice(&w);
    }
    words
}

/// The generation header of `p`, given where its tables and block descriptors live.
pub(crate) fn encode_header(p: &LoweredProgram, placement: &Placement, gen_id: u64) -> GenHeader {
    let off = |t: usize| placement.tables.get(t).copied().unwrap_or(0);
    let imap = |m: &ImapRef| ImapDesc {
        direct_off: off(m.table),
        shift: m.shift,
        n_direct: m.n_direct,
    };
    GenHeader {
        gen_id,
        nblocks: p.blocks.len() as u32,
        blocks_off: placement.blocks,
        rules_off: off(p.rules),
        nrules: p.rule_count(),
        logs_off: off(p.logs),
        used_fields: p.used_fields,
        sport_absent: p.absent[0],
        dport_absent: p.absent[1],
        icmp_absent: p.absent[2],
        family_atom: p.family_atom,
        src4: imap(&p.src[0]),
        dst4: imap(&p.dst[0]),
        sport: imap(&p.sport),
        dport: imap(&p.dport),
        icmp: imap(&p.icmp),
        src6: imap(&p.src[1]),
        dst6: imap(&p.dst[1]),
        proto_atom: p.proto_atom,
    }
}
