//! [`ClassifierTables`]: the classifier as plain, serialisable data — the contract the dataplanes
//! load (eBPF maps, nftables interval sets and verdict maps).
//!
//! # How a packet is classified with these tables
//!
//! 1. **Atoms.** For every field (see [`Field`]) look up the packet's *global atom*:
//!    - family: [`AtomTables::family`] at value 0 (IPv4) or 1 (IPv6);
//!    - protocol: [`AtomTables::protocol`] at the protocol number;
//!    - source / destination address: the longest matching prefix of
//!      [`AddrAtomTable::v4_prefixes`] / [`AddrAtomTable::v6_prefixes`] (each list contains the
//!      default route, so every lookup hits); equivalently the last of
//!      [`AddrAtomTable::v4_ranges`] / [`AddrAtomTable::v6_ranges`] whose `first` is ≤ the
//!      address;
//!    - source / destination port: the range of [`ScalarAtomTable::ranges`] containing the
//!      port, or [`ScalarAtomTable::absent`] when the packet has no ports (anything but TCP, UDP,
//!      SCTP, UDP-Lite with a complete header — see `packet::wire`);
//!    - ICMP: the range containing `type << 8 | code`, or `absent` when the packet is not ICMP of
//!      its own family (ICMP in IPv4, ICMPv6 in IPv6) with a complete header.
//! 2. **Blocks.** Start at block 0. For a [`BlockKind::Table`] block, build the key: for every
//!    [`FieldProjection`] of the block, `key |= (classes[atom] as u64) << shift`. Look the key up
//!    in [`BlockTable::entries`]; when it is absent use [`BlockTable::default_entry`]. For a
//!    [`BlockKind::Direct`] block, the dataplane must evaluate the IR rules
//!    `first_rule..end_rule` itself (the classifier could not tabulate them within its budget;
//!    [`ClassifierStats::direct_blocks`] counts them).
//! 3. **Entry.** An [`Entry`] names its steps (`step_rules[first_step .. first_step +
//!    step_count]`, in rule order): the Log rules that matched, and the Pass rules taken within
//!    the block — a block may hold a Pass and its target, and then its entries have followed the
//!    Pass already; a step is a Log or a Pass step according to its rule's
//!    [`RuleInfo::action`]. Record the steps. Then the decisive rule (`rule`, or [`NO_RULE`]): if
//!    there is none, continue with the next block. Otherwise look the rule up in
//!    [`ClassifierTables::rules`]: Allow, Deny and NoVerdict end the program; Pass (to a rule
//!    outside the block) records a pass step and continues at block [`RuleInfo::pass_block`],
//!    which starts at the Pass's target.
//!
//! The last block always ends the program (every program ends with a match-all final rule).
//! All IDs are `u32`, keys are `u64`, ports and ICMP values `u16`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

use super::field::{ABSENT, Field};
use crate::ir::{Hook, IrAction, Origin};

/// `Entry::rule` when no decisive rule matched.
pub const NO_RULE: u32 = u32::MAX;
/// `RuleInfo::pass_block` for rules that are not Pass rules.
pub const NO_BLOCK: u32 = u32::MAX;
/// The entry with no decisive rule and no logs: always entry 0.
pub const EMPTY_ENTRY: u32 = 0;

/// All of a classifier's tables.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassifierTables {
    /// The hook of the program the tables classify for.
    pub hook: Hook,
    /// Global atoms of every field.
    pub atoms: AtomTables,
    /// Blocks, in rule order; they cover every rule of the program, each rule exactly once.
    pub blocks: Vec<BlockTable>,
    /// Entries, shared by all blocks; entry 0 is [`EMPTY_ENTRY`].
    pub entries: Vec<Entry>,
    /// Pool of step rule indices (Log rules, and Pass rules taken within a block) that entries
    /// refer to.
    pub step_rules: Vec<u32>,
    /// Per IR rule (by index): what it does and where it came from.
    pub rules: Vec<RuleInfo>,
    /// Distinct origins; [`RuleInfo::origin`] indexes this list.
    pub origins: Vec<Origin>,
}

/// The global atom tables of every field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtomTables {
    /// Family: values 0 (IPv4) and 1 (IPv6).
    pub family: ScalarAtomTable,
    /// Protocol: values 0–255.
    pub protocol: ScalarAtomTable,
    /// Source address.
    pub src_addr: AddrAtomTable,
    /// Destination address.
    pub dst_addr: AddrAtomTable,
    /// Source port: values 0–65535, plus `absent`.
    pub src_port: ScalarAtomTable,
    /// Destination port: values 0–65535, plus `absent`.
    pub dst_port: ScalarAtomTable,
    /// ICMP: values `type << 8 | code`, plus `absent`.
    pub icmp: ScalarAtomTable,
}

impl AtomTables {
    /// The number of atoms of `field`.
    pub fn atom_count(&self, field: Field) -> u32 {
        match field {
            Field::Family => self.family.atom_count,
            Field::Protocol => self.protocol.atom_count,
            Field::SrcAddr => self.src_addr.atom_count,
            Field::DstAddr => self.dst_addr.atom_count,
            Field::SrcPort => self.src_port.atom_count,
            Field::DstPort => self.dst_port.atom_count,
            Field::Icmp => self.icmp.atom_count,
        }
    }

    /// The scalar table of a scalar field (`None` for the address fields).
    pub fn scalar(&self, field: Field) -> Option<&ScalarAtomTable> {
        match field {
            Field::Family => Some(&self.family),
            Field::Protocol => Some(&self.protocol),
            Field::SrcPort => Some(&self.src_port),
            Field::DstPort => Some(&self.dst_port),
            Field::Icmp => Some(&self.icmp),
            Field::SrcAddr | Field::DstAddr => None,
        }
    }

    /// The address table of an address field (`None` for the scalar fields).
    pub fn addr(&self, field: Field) -> Option<&AddrAtomTable> {
        match field {
            Field::SrcAddr => Some(&self.src_addr),
            Field::DstAddr => Some(&self.dst_addr),
            _ => None,
        }
    }
}

/// One range of values of a scalar field and its atom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RangeAtom {
    /// First value (inclusive).
    pub first: u16,
    /// Last value (inclusive).
    pub last: u16,
    /// Atom.
    pub atom: u32,
}

/// The atoms of a scalar field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalarAtomTable {
    /// Number of atoms; atoms are `0..atom_count`.
    pub atom_count: u32,
    /// Sorted, disjoint ranges covering every present value (0–1, 0–255 or 0–65535).
    pub ranges: Vec<RangeAtom>,
    /// The atom of a packet without the field (ports and ICMP only).
    pub absent: Option<u32>,
}

impl ScalarAtomTable {
    /// The atom of an encoded value (see [`Field::value`]); [`ABSENT`] gives `absent`.
    pub fn atom_of(&self, value: u32) -> u32 {
        if value == ABSENT {
            return self.absent.unwrap_or(0);
        }
        let i = self.ranges.partition_point(|r| u32::from(r.first) <= value);
        i.checked_sub(1)
            .and_then(|i| self.ranges.get(i))
            .map_or(0, |r| r.atom)
    }
}

/// A prefix and its atom (for longest-prefix-match tables such as BPF LPM tries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrefixAtom<N> {
    /// The prefix.
    pub prefix: N,
    /// The atom of addresses whose longest matching prefix this is.
    pub atom: u32,
}

/// The first address of a run of addresses with one atom (the run ends where the next one
/// starts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AddrRunAtom<A> {
    /// First address of the run.
    pub first: A,
    /// The atom of the run.
    pub atom: u32,
}

/// The atoms of an address field. Both families share the atom numbering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddrAtomTable {
    /// Number of atoms; atoms are `0..atom_count`.
    pub atom_count: u32,
    /// IPv4 prefixes, sorted, the first being `0.0.0.0/0`.
    pub v4_prefixes: Vec<PrefixAtom<Ipv4Net>>,
    /// IPv6 prefixes, sorted, the first being `::/0`.
    pub v6_prefixes: Vec<PrefixAtom<Ipv6Net>>,
    /// The IPv4 space as sorted runs, the first starting at `0.0.0.0`; adjacent runs differ.
    pub v4_ranges: Vec<AddrRunAtom<Ipv4Addr>>,
    /// The IPv6 space as sorted runs, the first starting at `::`; adjacent runs differ.
    pub v6_ranges: Vec<AddrRunAtom<Ipv6Addr>>,
}

impl AddrAtomTable {
    /// The atom of an address.
    pub fn atom_of(&self, addr: IpAddr) -> u32 {
        match addr {
            IpAddr::V4(a) => {
                let i = self.v4_ranges.partition_point(|r| r.first <= a);
                i.checked_sub(1)
                    .and_then(|i| self.v4_ranges.get(i))
                    .map_or(0, |r| r.atom)
            }
            IpAddr::V6(a) => {
                let i = self.v6_ranges.partition_point(|r| r.first <= a);
                i.checked_sub(1)
                    .and_then(|i| self.v6_ranges.get(i))
                    .map_or(0, |r| r.atom)
            }
        }
    }

    /// Every run of both families as `(first, last, atom)`.
    pub fn runs(&self) -> Vec<(IpAddr, IpAddr, u32)> {
        let mut out = Vec::with_capacity(self.v4_ranges.len() + self.v6_ranges.len());
        for (i, r) in self.v4_ranges.iter().enumerate() {
            let last = self.v4_ranges.get(i + 1).map_or(Ipv4Addr::BROADCAST, |n| {
                Ipv4Addr::from(u32::from(n.first).saturating_sub(1))
            });
            out.push((IpAddr::V4(r.first), IpAddr::V4(last), r.atom));
        }
        for (i, r) in self.v6_ranges.iter().enumerate() {
            let last = self
                .v6_ranges
                .get(i + 1)
                .map_or(Ipv6Addr::from(u128::MAX), |n| {
                    Ipv6Addr::from(u128::from(n.first).saturating_sub(1))
                });
            out.push((IpAddr::V6(r.first), IpAddr::V6(last), r.atom));
        }
        out
    }
}

/// How a block is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockKind {
    /// By key lookup in its entries.
    Table,
    /// Rule by rule with the IR's own matching: the rules did not fit the size budget.
    Direct,
}

/// One field of a block's key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProjection {
    /// The field.
    pub field: Field,
    /// Bit position of the field's class in the key.
    pub shift: u8,
    /// Bits the class takes in the key.
    pub bits: u8,
    /// Number of block-local classes.
    pub class_count: u32,
    /// Global atom → block-local class (one element per atom of the field).
    pub classes: Vec<u32>,
}

impl FieldProjection {
    /// The class of a global atom (class 0 for an atom out of range).
    pub fn class_of(&self, atom: u32) -> u32 {
        self.classes.get(atom as usize).copied().unwrap_or(0)
    }
}

/// A key and the entry it maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyEntry {
    /// Packed block-local classes.
    pub key: u64,
    /// Index into [`ClassifierTables::entries`].
    pub entry: u32,
}

/// A run of consecutive rules evaluated together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockTable {
    /// First rule (inclusive).
    pub first_rule: u32,
    /// Last rule (exclusive).
    pub end_rule: u32,
    /// How the block is evaluated.
    pub kind: BlockKind,
    /// Fields of the key, in [`Field`] order (empty for direct blocks, and for table blocks whose
    /// rules constrain nothing).
    pub fields: Vec<FieldProjection>,
    /// Keys with their entries, sorted by key (empty for direct blocks).
    pub entries: Vec<KeyEntry>,
    /// The entry of every key not in `entries` ([`EMPTY_ENTRY`] for direct blocks).
    pub default_entry: u32,
}

impl BlockTable {
    /// The projection of `field`, when the key includes it.
    pub fn projection(&self, field: Field) -> Option<&FieldProjection> {
        self.fields.iter().find(|p| p.field == field)
    }

    /// Packs the classes of the key's fields (`class(field)` for every projection) into a key.
    pub fn pack_key(&self, mut class: impl FnMut(Field) -> u32) -> u64 {
        self.fields.iter().fold(0u64, |key, p| {
            key | (u64::from(class(p.field)) << u32::from(p.shift))
        })
    }

    /// The class of every field of a key.
    pub fn unpack_key(&self, key: u64) -> Vec<(Field, u32)> {
        self.fields
            .iter()
            .map(|p| {
                let mask = if p.bits >= 64 {
                    u64::MAX
                } else {
                    (1u64 << p.bits) - 1
                };
                (p.field, ((key >> p.shift) & mask) as u32)
            })
            .collect()
    }

    /// The entry of a key: a binary search in `entries`, else `default_entry`.
    pub fn entry_of(&self, key: u64) -> u32 {
        self.entries
            .binary_search_by_key(&key, |e| e.key)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map_or(self.default_entry, |e| e.entry)
    }
}

/// What a block decided for a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    /// The decisive rule: the first Allow, Deny or NoVerdict rule evaluation reaches, or a Pass
    /// whose target is not in the block; [`NO_RULE`] when there is none.
    pub rule: u32,
    /// Start of the entry's steps (before `rule`) in [`ClassifierTables::step_rules`]: the Log
    /// rules that matched and the Pass rules taken within the block, in rule order.
    pub first_step: u32,
    /// Number of steps.
    pub step_count: u32,
}

/// What a rule does, as a number a datapath can switch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
pub enum RuleAction {
    /// Accept.
    Allow = 0,
    /// Drop.
    Deny = 1,
    /// Record and continue.
    Log = 2,
    /// Continue at [`RuleInfo::pass_block`].
    Pass = 3,
    /// End without a verdict.
    NoVerdict = 4,
}

impl From<IrAction> for RuleAction {
    fn from(a: IrAction) -> RuleAction {
        match a {
            IrAction::Allow => RuleAction::Allow,
            IrAction::Deny => RuleAction::Deny,
            IrAction::Log => RuleAction::Log,
            IrAction::Pass { .. } => RuleAction::Pass,
            IrAction::NoVerdict => RuleAction::NoVerdict,
        }
    }
}

/// Per IR rule: what it does, where a Pass continues, where the rule came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RuleInfo {
    /// The action.
    pub action: RuleAction,
    /// For Pass rules, the block that starts at the target rule; else [`NO_BLOCK`].
    pub pass_block: u32,
    /// Index into [`ClassifierTables::origins`].
    pub origin: u32,
}

/// A run of values of a scalar field with one block-local class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScalarClassRange {
    /// First value (inclusive).
    pub first: u16,
    /// Last value (inclusive).
    pub last: u16,
    /// Block-local class.
    pub class: u32,
}

/// A run of addresses (of one family) with one block-local class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AddrClassRange {
    /// First address (inclusive).
    pub first: IpAddr,
    /// Last address (inclusive).
    pub last: IpAddr,
    /// Block-local class.
    pub class: u32,
}

/// The raw values of every block-local class of a scalar field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalarClasses {
    /// Sorted, disjoint runs covering every present value; adjacent runs differ in class.
    pub ranges: Vec<ScalarClassRange>,
    /// The class of a packet without the field (ports and ICMP only).
    pub absent: Option<u32>,
}

impl ClassifierTables {
    /// The block that starts at `rule`, if one does.
    pub fn block_starting_at(&self, rule: u32) -> Option<usize> {
        self.blocks
            .binary_search_by_key(&rule, |b| b.first_rule)
            .ok()
    }

    /// The steps an entry names (Log rules, and Pass rules taken within the block), in rule
    /// order; a step's kind is its rule's [`RuleInfo::action`].
    pub fn entry_steps(&self, entry: &Entry) -> &[u32] {
        let start = entry.first_step as usize;
        let end = start.saturating_add(entry.step_count as usize);
        self.step_rules.get(start..end).unwrap_or(&[])
    }

    /// The class of a global atom of `field` in `block` (0 when the block's key does not
    /// include the field: every value is then in class 0).
    pub fn class_of(&self, block: usize, field: Field, atom: u32) -> u32 {
        self.blocks
            .get(block)
            .and_then(|b| b.projection(field))
            .map_or(0, |p| p.class_of(atom))
    }

    /// For a scalar field, the value runs of every class of `block` (what an nftables interval
    /// map from value to class needs). `None` for an unknown block or an address field.
    pub fn scalar_classes(&self, block: usize, field: Field) -> Option<ScalarClasses> {
        let table = self.atoms.scalar(field)?;
        self.blocks.get(block)?;
        let mut ranges: Vec<ScalarClassRange> = Vec::new();
        for r in &table.ranges {
            let class = self.class_of(block, field, r.atom);
            match ranges.last_mut() {
                Some(last)
                    if last.class == class && u32::from(last.last) + 1 == u32::from(r.first) =>
                {
                    last.last = r.last;
                }
                _ => ranges.push(ScalarClassRange {
                    first: r.first,
                    last: r.last,
                    class,
                }),
            }
        }
        let absent = table.absent.map(|a| self.class_of(block, field, a));
        Some(ScalarClasses { ranges, absent })
    }

    /// For an address field, the address runs of every class of `block`, IPv4 runs first.
    /// `None` for an unknown block or a scalar field.
    pub fn addr_classes(&self, block: usize, field: Field) -> Option<Vec<AddrClassRange>> {
        let table = self.atoms.addr(field)?;
        self.blocks.get(block)?;
        let mut out: Vec<AddrClassRange> = Vec::new();
        for (first, last, atom) in table.runs() {
            let class = self.class_of(block, field, atom);
            match out.last_mut() {
                Some(prev) if prev.class == class && adjacent(prev.last, first) => {
                    prev.last = last;
                }
                _ => out.push(AddrClassRange { first, last, class }),
            }
        }
        Some(out)
    }

    /// The addresses of one class of `block` as a minimal list of prefixes (both families).
    pub fn class_prefixes(&self, block: usize, field: Field, class: u32) -> Vec<IpNet> {
        let mut out = Vec::new();
        for r in self.addr_classes(block, field).unwrap_or_default() {
            if r.class == class {
                range_to_prefixes(r.first, r.last, &mut out);
            }
        }
        out
    }

    /// The values of one class of a scalar field of `block` as inclusive ranges, and whether
    /// the class also holds packets without the field.
    pub fn class_values(&self, block: usize, field: Field, class: u32) -> (Vec<(u16, u16)>, bool) {
        let Some(classes) = self.scalar_classes(block, field) else {
            return (Vec::new(), false);
        };
        let ranges = classes
            .ranges
            .iter()
            .filter(|r| r.class == class)
            .map(|r| (r.first, r.last))
            .collect();
        (ranges, classes.absent == Some(class))
    }
}

/// True when `b` is the address right after `a` (same family).
fn adjacent(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => u32::from(a).checked_add(1) == Some(u32::from(b)),
        (IpAddr::V6(a), IpAddr::V6(b)) => u128::from(a).checked_add(1) == Some(u128::from(b)),
        _ => false,
    }
}

/// Appends the minimal prefixes covering `first..=last` (same family) to `out`.
fn range_to_prefixes(first: IpAddr, last: IpAddr, out: &mut Vec<IpNet>) {
    let (start, end, bits) = match (first, last) {
        (IpAddr::V4(f), IpAddr::V4(l)) => (u128::from(u32::from(f)), u128::from(u32::from(l)), 32),
        (IpAddr::V6(f), IpAddr::V6(l)) => (u128::from(f), u128::from(l), 128),
        _ => return,
    };
    if start > end {
        return;
    }
    let mut cur = start;
    loop {
        let host = largest_block(cur, end, bits);
        let len = (bits - host) as u8;
        let net = if bits == 32 {
            Ipv4Net::new(Ipv4Addr::from(cur as u32), len).map(IpNet::V4)
        } else {
            Ipv6Net::new(Ipv6Addr::from(cur), len).map(IpNet::V6)
        };
        if let Ok(net) = net {
            out.push(net);
        }
        let last = cur.saturating_add(host_mask(host));
        if last >= end {
            return;
        }
        cur = last + 1;
    }
}

/// `2^host - 1` (all ones for 128).
fn host_mask(host: u32) -> u128 {
    if host >= 128 {
        u128::MAX
    } else {
        (1u128 << host) - 1
    }
}

/// The most host bits `h ≤ bits` such that `cur` is aligned to `2^h` and `cur + 2^h - 1 ≤ end`.
fn largest_block(cur: u128, end: u128, bits: u32) -> u32 {
    let mut host = 0;
    while host < bits {
        let mask = host_mask(host + 1);
        if cur & mask != 0 {
            break;
        }
        match cur.checked_add(mask) {
            Some(last) if last <= end => host += 1,
            _ => break,
        }
    }
    host
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixes(first: &str, last: &str) -> Vec<String> {
        let mut out = Vec::new();
        range_to_prefixes(first.parse().unwrap(), last.parse().unwrap(), &mut out);
        out.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn ranges_decompose_into_minimal_prefixes() {
        assert_eq!(prefixes("10.0.0.0", "10.0.0.255"), ["10.0.0.0/24"]);
        assert_eq!(
            prefixes("10.0.0.1", "10.0.0.6"),
            ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"]
        );
        assert_eq!(prefixes("0.0.0.0", "255.255.255.255"), ["0.0.0.0/0"]);
        assert_eq!(
            prefixes("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ["::/0"]
        );
        assert_eq!(
            prefixes("fd00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ["fd00::/8"]
        );
        assert_eq!(
            prefixes("255.255.255.254", "255.255.255.255"),
            ["255.255.255.254/31"]
        );
        assert_eq!(
            prefixes(
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
            ),
            ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"]
        );
    }
}
