//! What the datapath's maps would hold for a [`Snapshot`] (`palisade compile --emit ebpf-maps`):
//! a dry run of lowering and heap placement, without privileges.
//!
//! Each distinct program gets a slot; the dump lists the targets it serves, its blocks (rule
//! range, key fields, entry layout), its heap tables (kind and size, and optionally the words),
//! and the generation header's interval maps. Programs that cannot be lowered carry their error.

use std::collections::HashMap;
use std::fmt;

use palisade_compiler::Snapshot;
use palisade_compiler::ir::{Program, ProgramTarget};
use serde::Serialize;

use crate::abi;
use crate::heap::{self, HeapAlloc};
use crate::lower::{EntryLayout, ImapRef, LowerConfig, LoweredProgram, lower};

/// What to include.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DumpOptions {
    /// Include every table's words (large for big programs).
    pub words: bool,
}

/// The maps of a whole snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MapsDump {
    /// One entry per distinct program, in slot order.
    pub slots: Vec<SlotDump>,
    /// Heap words all slots take together (tables shared between programs count once).
    pub heap_words: u64,
}

/// One slot: a distinct program and the targets that run it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SlotDump {
    /// The slot number.
    pub slot: u32,
    /// The endpoint hooks that run this program.
    pub targets: Vec<String>,
    /// Rules of the program.
    pub rules: u32,
    /// The lowered tables, or why the program cannot be lowered.
    #[serde(flatten)]
    pub contents: SlotContents,
}

/// A slot's contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "status")]
pub enum SlotContents {
    /// Lowered.
    Lowered {
        /// Blocks, in order.
        blocks: Vec<BlockDump>,
        /// Heap tables (block descriptors last).
        tables: Vec<TableDump>,
        /// Interval maps of the generation header: name, direct-table length, shift.
        imaps: Vec<(String, u32, u32)>,
        /// Heap words of this program.
        words: u64,
    },
    /// Not loadable.
    Error {
        /// Why.
        error: String,
    },
}

/// One block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlockDump {
    /// First rule (inclusive).
    pub first_rule: u32,
    /// Last rule (exclusive).
    pub end_rule: u32,
    /// Key fields as `field<<shift:bits`.
    pub fields: Vec<String>,
    /// `dense[len]` or `hash[2^bits, probes ≤ n]`.
    pub entries: String,
    /// The entry word of keys not in the table.
    pub default_entry: String,
}

/// One heap table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableDump {
    /// What it holds.
    pub kind: String,
    /// Its length in words.
    pub len: usize,
    /// Its words, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<String>>,
}

const FIELD_NAMES: [&str; abi::NFIELDS] = [
    "family", "protocol", "src-addr", "dst-addr", "src-port", "dst-port", "icmp",
];

fn entry_word(w: u64) -> String {
    let rule = w as u32;
    let logs = (w >> 32) as u32;
    let rule = if rule == abi::NONE {
        "-".to_owned()
    } else {
        format!("rule {rule}")
    };
    if logs == abi::NONE {
        rule
    } else {
        format!("{rule}, logs @{logs}")
    }
}

fn slot_contents(p: &LoweredProgram, options: DumpOptions) -> SlotContents {
    let blocks = p
        .blocks
        .iter()
        .map(|b| BlockDump {
            first_rule: b.first_rule,
            end_rule: b.end_rule,
            fields: b
                .fields
                .iter()
                .enumerate()
                .filter_map(|(i, f)| {
                    f.map(|f| {
                        format!(
                            "{}<<{}:{}",
                            FIELD_NAMES.get(i).unwrap_or(&"?"),
                            f.shift,
                            1u32 << f.width_log2
                        )
                    })
                })
                .collect(),
            entries: match b.layout {
                EntryLayout::Dense { len } => format!("dense[{len}]"),
                EntryLayout::Hash {
                    bits, max_probes, ..
                } => format!("hash[{}, probes <= {max_probes}]", 1u64 << bits),
            },
            default_entry: entry_word(b.default_entry),
        })
        .collect();
    let mut tables: Vec<TableDump> = p
        .tables
        .iter()
        .map(|t| TableDump {
            kind: t.kind.to_string(),
            len: t.words.len(),
            words: options
                .words
                .then(|| t.words.iter().map(|w| format!("{w:#018x}")).collect()),
        })
        .collect();
    tables.push(TableDump {
        kind: "blocks".to_owned(),
        len: p.blocks.len() * abi::BLOCK_WORDS,
        words: None,
    });
    let imap = |name: &str, m: &ImapRef| (name.to_owned(), m.n_direct, m.shift);
    SlotContents::Lowered {
        blocks,
        tables,
        imaps: vec![
            imap("src-v4", &p.src[0]),
            imap("src-v6", &p.src[1]),
            imap("dst-v4", &p.dst[0]),
            imap("dst-v6", &p.dst[1]),
            imap("src-port", &p.sport),
            imap("dst-port", &p.dport),
            imap("icmp", &p.icmp),
        ],
        words: p.words() as u64,
    }
}

/// Lowers every distinct program of `snapshot` and places them in one heap, as
/// [`crate::dataplane::Dataplane::apply`] would.
pub fn dump(snapshot: &Snapshot, config: &LowerConfig, options: DumpOptions) -> MapsDump {
    let mut order: Vec<(&Program, Vec<&ProgramTarget>)> = Vec::new();
    let mut index: HashMap<&Program, usize> = HashMap::new();
    for (target, program) in &snapshot.programs {
        match index.get(&**program) {
            Some(&i) => {
                if let Some(slot) = order.get_mut(i) {
                    slot.1.push(target);
                }
            }
            None => {
                index.insert(program, order.len());
                order.push((program, vec![target]));
            }
        }
    }
    let mut slots = Vec::with_capacity(order.len());
    let mut lowered: Vec<LoweredProgram> = Vec::new();
    for (i, (program, targets)) in order.into_iter().enumerate() {
        let contents = match lower(program, &snapshot.sets, config) {
            Ok(p) => {
                let c = slot_contents(&p, options);
                lowered.push(p);
                c
            }
            Err(e) => SlotContents::Error {
                error: e.to_string(),
            },
        };
        slots.push(SlotDump {
            slot: i as u32,
            targets: targets.iter().map(|t| t.to_string()).collect(),
            rules: program.len() as u32,
            contents,
        });
    }
    // Shared tables count once, as in the kernel's heap.
    let total: u64 = lowered.iter().map(|p| p.words() as u64).sum();
    let mut alloc = HeapAlloc::new(u32::try_from(total.max(1)).unwrap_or(u32::MAX));
    for (g, p) in lowered.iter().enumerate() {
        let _ = heap::plan(&mut alloc, p, g as u64 + 1);
    }
    MapsDump {
        slots,
        heap_words: alloc.used_words(),
    }
}

impl fmt::Display for MapsDump {
    /// A human-readable listing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "eBPF maps: {} slots, {} heap words",
            self.slots.len(),
            self.heap_words
        )?;
        for s in &self.slots {
            writeln!(
                f,
                "slot {} ({} rules): {}",
                s.slot,
                s.rules,
                s.targets.join(", ")
            )?;
            match &s.contents {
                SlotContents::Error { error } => writeln!(f, "  not loadable: {error}")?,
                SlotContents::Lowered {
                    blocks,
                    tables,
                    imaps,
                    words,
                } => {
                    writeln!(f, "  {words} heap words in {} tables", tables.len())?;
                    for (name, n, shift) in imaps {
                        writeln!(f, "  {name}: direct[{n}] >> {shift}")?;
                    }
                    for b in blocks {
                        writeln!(
                            f,
                            "  block rules {}..{}: key [{}], entries {}, default {}",
                            b.first_rule,
                            b.end_rule,
                            b.fields.join(" "),
                            b.entries,
                            b.default_entry
                        )?;
                    }
                    for t in tables {
                        writeln!(f, "  table {} ({} words)", t.kind, t.len)?;
                        if let Some(words) = &t.words {
                            for chunk in words.chunks(4) {
                                writeln!(f, "    {}", chunk.join(" "))?;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use palisade_compiler::ir::{
        Hook, IpSets, IrAction, IrRule, Match, Origin, Program, ProgramTarget,
    };
    use palisade_policy_model::model::EndpointKey;

    use super::*;

    #[test]
    fn identical_programs_share_a_slot_and_tables_count_once() {
        let p = Arc::new(
            Program::new(
                Hook::WorkloadIngress,
                vec![
                    IrRule {
                        matches: Match {
                            protocol: Some(6),
                            ..Match::any()
                        },
                        action: IrAction::Allow,
                        origin: Origin::Default,
                    },
                    IrRule {
                        matches: Match::any(),
                        action: IrAction::Deny,
                        origin: Origin::NoMatch,
                    },
                ],
            )
            .unwrap(),
        );
        let mut programs = BTreeMap::new();
        for name in ["a", "b"] {
            programs.insert(
                ProgramTarget {
                    endpoint: EndpointKey::Workload {
                        namespace: "ns".into(),
                        name: name.into(),
                    },
                    hook: Hook::WorkloadIngress,
                },
                Arc::clone(&p),
            );
        }
        let snapshot = Snapshot {
            programs,
            sets: IpSets::new(),
        };
        let d = dump(
            &snapshot,
            &LowerConfig::default(),
            DumpOptions { words: true },
        );
        assert_eq!(d.slots.len(), 1);
        assert_eq!(d.slots[0].targets.len(), 2);
        let SlotContents::Lowered { words, blocks, .. } = &d.slots[0].contents else {
            panic!("not lowered");
        };
        // Tables shared within the program (e.g. equal interval maps) are stored once.
        assert!(d.heap_words <= *words, "{} > {}", d.heap_words, words);
        assert_eq!(blocks.len(), 1);
        // A second target of the same program adds no heap words.
        let mut single = snapshot.clone();
        let first = single.programs.keys().next().cloned().unwrap();
        single.programs.retain(|k, _| *k == first);
        let one = dump(
            &single,
            &LowerConfig::default(),
            DumpOptions { words: false },
        );
        assert_eq!(one.heap_words, d.heap_words);
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["slots"][0]["status"], "lowered");
    }
}
