//! Runtime lookup structures built from the exported tables: address runs with a bucket index,
//! dense or searched scalar tables, and an open-addressing key table per block. None of this is
//! part of the table contract; it only makes the userspace classifier fast.

use std::net::IpAddr;

use super::field::ABSENT;
use super::tables::{AddrAtomTable, BlockTable, ScalarAtomTable};

/// Unsigned address bits (`u32` for IPv4, `u128` for IPv6).
pub(crate) trait AddrBits: Copy + Ord {
    /// `(self - base) >> shift`, for `self ≥ base`, saturated to `u64`.
    fn offset(self, base: Self, shift: u32) -> u64;
    /// `base + (n << shift)`, saturating.
    fn advance(base: Self, n: u64, shift: u32) -> Self;
    /// The bit length of `hi - lo` (`hi ≥ lo`).
    fn span_bits(lo: Self, hi: Self) -> u32;
}

impl AddrBits for u32 {
    fn offset(self, base: u32, shift: u32) -> u64 {
        u64::from(self.wrapping_sub(base)) >> shift
    }
    fn advance(base: u32, n: u64, shift: u32) -> u32 {
        let add = (n << shift).min(u64::from(u32::MAX)) as u32;
        base.saturating_add(add)
    }
    fn span_bits(lo: u32, hi: u32) -> u32 {
        32 - (hi - lo).leading_zeros()
    }
}

impl AddrBits for u128 {
    fn offset(self, base: u128, shift: u32) -> u64 {
        let d = self.wrapping_sub(base);
        let s = if shift >= 128 { 0 } else { d >> shift };
        s.min(u128::from(u64::MAX)) as u64
    }
    fn advance(base: u128, n: u64, shift: u32) -> u128 {
        let add = if shift >= 128 {
            u128::MAX
        } else {
            u128::from(n).saturating_mul(1u128 << shift)
        };
        base.saturating_add(add)
    }
    fn span_bits(lo: u128, hi: u128) -> u32 {
        128 - (hi - lo).leading_zeros()
    }
}

/// Bits of the bucket index (2^16 buckets at most).
const BUCKET_BITS: u32 = 16;
/// Runs below which a plain binary search is used.
const INDEX_MIN_RUNS: usize = 64;

/// Sorted runs `(first, atom)` of one family, with an optional bucket index over the span
/// between the second and the last run start: bucket `b` covers `lo + (b << shift) ..`, and
/// `buckets[b]` is the run that contains the bucket's first address.
#[derive(Clone, Debug)]
pub(crate) struct AddrRuns<K> {
    starts: Vec<K>,
    atoms: Vec<u32>,
    index: Option<(K, K, u32, Vec<u32>)>,
}

impl<K: AddrBits> AddrRuns<K> {
    pub(crate) fn new(runs: Vec<(K, u32)>) -> AddrRuns<K> {
        let (starts, atoms): (Vec<K>, Vec<u32>) = runs.into_iter().unzip();
        let index = if starts.len() >= INDEX_MIN_RUNS {
            match (starts.get(1), starts.last()) {
                (Some(&lo), Some(&hi)) => {
                    let shift = K::span_bits(lo, hi).saturating_sub(BUCKET_BITS);
                    let buckets = hi.offset(lo, shift) + 1;
                    let mut idx = Vec::with_capacity(buckets as usize + 1);
                    let mut run = 1usize;
                    for b in 0..=buckets {
                        let first = K::advance(lo, b, shift);
                        while starts.get(run + 1).is_some_and(|&s| s <= first) {
                            run += 1;
                        }
                        idx.push(run as u32);
                    }
                    Some((lo, hi, shift, idx))
                }
                _ => None,
            }
        } else {
            None
        };
        AddrRuns {
            starts,
            atoms,
            index,
        }
    }

    /// The atom of `addr`.
    #[inline]
    pub(crate) fn atom(&self, addr: K) -> u32 {
        let (from, to) = match &self.index {
            Some((lo, hi, shift, idx)) => {
                if addr < *lo {
                    (0, 1)
                } else if addr >= *hi {
                    (self.starts.len() - 1, self.starts.len())
                } else {
                    let b = addr.offset(*lo, *shift) as usize;
                    match (idx.get(b), idx.get(b + 1)) {
                        (Some(&f), Some(&t)) => (f as usize, t as usize + 1),
                        _ => (0, self.starts.len()),
                    }
                }
            }
            None => (0, self.starts.len()),
        };
        let slice = self.starts.get(from..to).unwrap_or(&[]);
        let i = from + slice.partition_point(|&s| s <= addr);
        i.checked_sub(1)
            .and_then(|i| self.atoms.get(i))
            .copied()
            .unwrap_or(0)
    }
}

/// Marks a [`V4Runs`] index entry that holds an atom rather than a node or run index.
const LEAF: u32 = 1 << 31;
/// Entries of a [`V4Runs`] second-level node: one per /24 of its /16, plus a closing entry.
const NODE_LEN: usize = 257;
/// Bits of a non-uniform node entry that hold its first run (the bits above, below [`LEAF`],
/// hold the number of further runs the /24 may reach).
const RUN_BITS: u32 = 24;
/// Further runs a /24 may reach for the bounded search ([`WINDOW_STEPS`] halving steps);
/// larger /24s are marked [`WIDE_WINDOW`] and searched without the bound.
const MAX_WINDOW: u32 = (1 << WINDOW_STEPS) - 1;
/// Halving steps of the bounded search.
const WINDOW_STEPS: u32 = 4;
/// The window field of a /24 with more than [`MAX_WINDOW`] further runs.
const WIDE_WINDOW: u32 = (LEAF >> RUN_BITS) - 1;

/// IPv4 runs with a 16/8 radix index. `top[a >> 16]` is `LEAF | atom` when one run covers the
/// /16, else the number of a node of [`NODE_LEN`] entries. Node entry `j` (for the /16's `j`-th
/// /24) is `LEAF | atom` when one run covers the /24, else `window << RUN_BITS | run`: `run`
/// holds the /24's first address and the /24 reaches at most `window` runs after it (the
/// run of the /24's last address is `run + window`; [`WIDE_WINDOW`] when that is more than
/// [`MAX_WINDOW`]). The closing entry is the run holding the /16's last address. The final
/// search is a fixed number of branch-free halving steps over at most 16 runs, which are
/// `(first, atom)` pairs, so it reads one or two cache lines: at most three dependent loads in
/// all.
#[derive(Clone, Debug)]
pub(crate) struct V4Runs {
    runs: Vec<(u32, u32)>,
    top: Vec<u32>,
    nodes: Vec<u32>,
}

impl V4Runs {
    pub(crate) fn new(runs: Vec<(u32, u32)>) -> V4Runs {
        let mut out = V4Runs {
            runs,
            top: Vec::new(),
            nodes: Vec::new(),
        };
        // Small tables (atoms that would not fit beside the flag, runs that would not fit the
        // entries) use a plain search.
        if out.runs.len() < INDEX_MIN_RUNS
            || out.runs.len() >= 1 << RUN_BITS
            || out.runs.iter().any(|&(_, a)| a & LEAF != 0)
        {
            return out;
        }
        let runs = &out.runs;
        let run_of = |a: u32| runs.partition_point(|&(s, _)| s <= a).saturating_sub(1);
        let atom_of = |r: usize| runs.get(r).map_or(0, |&(_, a)| a);
        let mut top = Vec::with_capacity(1 << 16);
        let mut nodes: Vec<u32> = Vec::new();
        for hi in 0..(1u32 << 16) {
            let first = hi << 16;
            let r0 = run_of(first);
            let r1 = run_of(first | 0xffff);
            if r0 == r1 {
                top.push(LEAF | atom_of(r0));
                continue;
            }
            top.push((nodes.len() / NODE_LEN) as u32);
            for j in 0..256u32 {
                let a = first | (j << 8);
                let (s0, s1) = (run_of(a), run_of(a | 0xff));
                nodes.push(if s0 == s1 {
                    LEAF | atom_of(s0)
                } else {
                    let window = ((s1 - s0) as u32).min(WIDE_WINDOW);
                    window << RUN_BITS | s0 as u32
                });
            }
            nodes.push(r1 as u32);
        }
        out.top = top;
        out.nodes = nodes;
        out
    }

    /// The atom of `addr`.
    #[inline(always)]
    pub(crate) fn atom(&self, addr: u32) -> u32 {
        match self.top.get((addr >> 16) as usize) {
            Some(&t) if t & LEAF != 0 => t & !LEAF,
            Some(&node) => {
                let i = node as usize * NODE_LEN + ((addr >> 8) & 0xff) as usize;
                match self.nodes.get(i) {
                    Some(&e) if e & LEAF != 0 => e & !LEAF,
                    Some(&e) => {
                        let run = (e & ((1 << RUN_BITS) - 1)) as usize;
                        let window = e >> RUN_BITS;
                        if window <= MAX_WINDOW {
                            self.window(run, run + window as usize, addr)
                        } else {
                            self.gallop(run, addr)
                        }
                    }
                    None => self.gallop(0, addr),
                }
            }
            None => self.gallop(0, addr),
        }
    }

    /// The atom of `addr` in runs `from..=last` (`from`'s start is ≤ `addr`, `last - from` ≤
    /// [`MAX_WINDOW`], `last` within the runs): [`WINDOW_STEPS`] halving steps, each moving to
    /// `min(run + step, last)` when that run starts at or before `addr`, which compile to
    /// conditional moves rather than branches that depend on the address.
    #[inline]
    fn window(&self, from: usize, last: usize, addr: u32) -> u32 {
        let mut run = from;
        let mut step = 1usize << (WINDOW_STEPS - 1);
        while step != 0 {
            let probe = (run + step).min(last);
            let start = self.runs.get(probe).map_or(u32::MAX, |&(s, _)| s);
            run = if start <= addr { probe } else { run };
            step >>= 1;
        }
        self.runs.get(run).map_or(0, |&(_, a)| a)
    }

    /// The atom of `addr`, searching forward from run `from` (whose start is ≤ `addr`):
    /// exponential steps, then a binary search, so nearby runs cost one or two cache lines.
    #[inline]
    fn gallop(&self, from: usize, addr: u32) -> u32 {
        let len = self.runs.len();
        let mut lo = from.min(len.saturating_sub(1));
        let mut step = 1usize;
        let mut hi = lo + 1;
        while hi < len && self.runs.get(hi).is_some_and(|&(s, _)| s <= addr) {
            lo = hi;
            hi = lo + step;
            step *= 2;
        }
        let hi = hi.min(len);
        let tail = self.runs.get(lo + 1..hi).unwrap_or(&[]);
        let i = lo + tail.partition_point(|&(s, _)| s <= addr);
        self.runs.get(i).map_or(0, |&(_, a)| a)
    }

    fn bytes(&self) -> usize {
        self.runs.len() * 8 + (self.top.len() + self.nodes.len()) * 4
    }
}

/// The runtime form of an [`AddrAtomTable`].
#[derive(Clone, Debug)]
pub(crate) struct AddrLookup {
    pub(crate) v4: V4Runs,
    pub(crate) v6: AddrRuns<u128>,
}

impl AddrLookup {
    pub(crate) fn new(t: &AddrAtomTable) -> AddrLookup {
        AddrLookup {
            v4: V4Runs::new(
                t.v4_ranges
                    .iter()
                    .map(|r| (u32::from(r.first), r.atom))
                    .collect(),
            ),
            v6: AddrRuns::new(
                t.v6_ranges
                    .iter()
                    .map(|r| (u128::from(r.first), r.atom))
                    .collect(),
            ),
        }
    }

    /// The atom of `addr`.
    #[inline]
    pub(crate) fn atom(&self, addr: IpAddr) -> u32 {
        match addr {
            IpAddr::V4(a) => self.v4.atom(u32::from(a)),
            IpAddr::V6(a) => self.v6.atom(u128::from(a)),
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        let idx6 = self.v6.index.as_ref().map_or(0, |i| i.3.len() * 4);
        self.v4.bytes() + self.v6.starts.len() * 20 + idx6
    }
}

/// Runs above which a scalar field gets a dense table.
const DENSE_MIN_RUNS: usize = 32;

/// The runtime form of a [`ScalarAtomTable`]: a dense table when it has many runs (or a small
/// domain), else a binary search.
#[derive(Clone, Debug)]
pub(crate) struct ScalarLookup {
    dense: Cells,
    starts: Vec<u32>,
    atoms: Vec<u32>,
    absent: u32,
}

impl ScalarLookup {
    pub(crate) fn new(t: &ScalarAtomTable, small_domain: bool) -> ScalarLookup {
        let starts: Vec<u32> = t.ranges.iter().map(|r| u32::from(r.first)).collect();
        let atoms: Vec<u32> = t.ranges.iter().map(|r| r.atom).collect();
        let dense = if small_domain || t.ranges.len() > DENSE_MIN_RUNS {
            let len = t.ranges.last().map_or(0, |r| usize::from(r.last) + 1);
            let mut d = vec![0u32; len];
            for r in &t.ranges {
                if let Some(slice) = d.get_mut(usize::from(r.first)..=usize::from(r.last)) {
                    slice.fill(r.atom);
                }
            }
            Cells::new(d)
        } else {
            Cells::default()
        };
        ScalarLookup {
            dense,
            starts,
            atoms,
            absent: t.absent.unwrap_or(0),
        }
    }

    /// The atom of an encoded value.
    #[inline]
    pub(crate) fn atom(&self, value: u32) -> u32 {
        if value == ABSENT {
            return self.absent;
        }
        if (value as usize) < self.dense.len() {
            return self.dense.get(value as usize);
        }
        let i = self.starts.partition_point(|&s| s <= value);
        i.checked_sub(1)
            .and_then(|i| self.atoms.get(i))
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn bytes(&self) -> usize {
        self.dense.bytes() + (self.starts.len() + self.atoms.len()) * 4
    }
}

/// An empty slot of a [`KeyTable`].
const EMPTY_SLOT: u32 = u32::MAX;

/// Slots of a [`KeyTable`] bucket.
const BUCKET: usize = 4;

/// A bucket of narrow slots `(key, entry)`: 32 bytes, aligned so that it never straddles a
/// cache line.
#[derive(Clone, Copy, Debug)]
#[repr(align(32))]
pub(crate) struct NarrowBucket([(u32, u32); BUCKET]);

/// A bucket of wide slots `(key, entry)`: one cache line.
#[derive(Clone, Copy, Debug)]
#[repr(align(64))]
pub(crate) struct WideBucket([(u64, u32); BUCKET]);

/// A bucket of `(key, entry)` slots, [`EMPTY_SLOT`] entries for empty slots (filled in order,
/// so a bucket's empty slots come last).
trait Bucket: Copy {
    /// The key type.
    type Key: Copy + PartialEq;
    /// An empty bucket.
    const EMPTY: Self;
    /// The slots.
    fn slots(&self) -> &[(Self::Key, u32); BUCKET];
    /// The slots, mutably.
    fn slots_mut(&mut self) -> &mut [(Self::Key, u32); BUCKET];
}

impl Bucket for NarrowBucket {
    type Key = u32;
    const EMPTY: NarrowBucket = NarrowBucket([(0, EMPTY_SLOT); BUCKET]);
    fn slots(&self) -> &[(u32, u32); BUCKET] {
        &self.0
    }
    fn slots_mut(&mut self) -> &mut [(u32, u32); BUCKET] {
        &mut self.0
    }
}

impl Bucket for WideBucket {
    type Key = u64;
    const EMPTY: WideBucket = WideBucket([(0, EMPTY_SLOT); BUCKET]);
    fn slots(&self) -> &[(u64, u32); BUCKET] {
        &self.0
    }
    fn slots_mut(&mut self) -> &mut [(u64, u32); BUCKET] {
        &mut self.0
    }
}

/// An open-addressing hash table from key to entry: buckets of [`BUCKET`] slots (load ≤ 1/2),
/// linear probing from bucket to bucket when one is full. A lookup compares a whole bucket
/// without branching on the slots and nearly always ends in its first bucket: one cache line
/// and no mispredicted collision branch. Keys that fit 32 bits use 8-byte slots.
#[derive(Clone, Debug, Default)]
pub(crate) enum KeyTable {
    /// No keys.
    #[default]
    Empty,
    /// Keys below 2^32.
    Narrow {
        /// The buckets (a power of two).
        buckets: Vec<NarrowBucket>,
        /// `64 - log2(buckets)`.
        shift: u32,
    },
    /// Any keys.
    Wide {
        /// The buckets (a power of two).
        buckets: Vec<WideBucket>,
        /// `64 - log2(buckets)`.
        shift: u32,
    },
}

fn fill<B: Bucket>(keys: impl Iterator<Item = (B::Key, u64, u32)>, count: usize) -> Vec<B> {
    let shift = 64 - count.trailing_zeros();
    let mask = count - 1;
    let mut buckets = vec![B::EMPTY; count];
    for (key, wide, entry) in keys {
        let mut i = hash(wide, shift);
        // At most every bucket; the load factor leaves empty slots, so this ends early.
        for _ in 0..count {
            let Some(b) = buckets.get_mut(i) else {
                break;
            };
            if let Some(slot) = b.slots_mut().iter_mut().find(|s| s.1 == EMPTY_SLOT) {
                *slot = (key, entry);
                break;
            }
            i = (i + 1) & mask;
        }
    }
    buckets
}

/// The entry of `key` from bucket `from` on, [`EMPTY_SLOT`] when absent. Without a branch on
/// the slots or on whether the key is present: only on a full bucket without the key (rare at
/// load ≤ 1/2), to go on to the next bucket.
#[inline(always)]
fn find<B: Bucket>(buckets: &[B], from: usize, key: B::Key) -> u32 {
    let mask = buckets.len().wrapping_sub(1);
    let mut i = from;
    // At most every bucket; the load factor leaves empty slots, so this ends early.
    for _ in 0..buckets.len() {
        let Some(b) = buckets.get(i) else {
            break;
        };
        let mut found = EMPTY_SLOT;
        let mut full = true;
        for &(k, e) in b.slots() {
            found = if k == key && e != EMPTY_SLOT {
                e
            } else {
                found
            };
            full &= e != EMPTY_SLOT;
        }
        if (found != EMPTY_SLOT) | !full {
            return found;
        }
        i = (i + 1) & mask;
    }
    EMPTY_SLOT
}

impl KeyTable {
    pub(crate) fn new(block: &BlockTable) -> KeyTable {
        if block.entries.is_empty() {
            return KeyTable::Empty;
        }
        let count = (block.entries.len() * 2)
            .div_ceil(BUCKET)
            .next_power_of_two()
            .max(2);
        let shift = 64 - count.trailing_zeros();
        if block.entries.iter().all(|e| e.key <= u64::from(u32::MAX)) {
            let keys = block.entries.iter().map(|e| (e.key as u32, e.key, e.entry));
            KeyTable::Narrow {
                buckets: fill(keys, count),
                shift,
            }
        } else {
            let keys = block.entries.iter().map(|e| (e.key, e.key, e.entry));
            KeyTable::Wide {
                buckets: fill(keys, count),
                shift,
            }
        }
    }

    /// The entry of `key`, if present.
    #[cfg(test)]
    pub(crate) fn get(&self, key: u64) -> Option<u32> {
        Some(self.entry_or(key, EMPTY_SLOT)).filter(|&e| e != EMPTY_SLOT)
    }

    /// The entry of `key`, or `default` when the key is absent (chosen without a branch).
    #[inline(always)]
    pub(crate) fn entry_or(&self, key: u64, default: u32) -> u32 {
        let found = match self {
            KeyTable::Empty => EMPTY_SLOT,
            KeyTable::Narrow { buckets, shift } => match u32::try_from(key) {
                Ok(narrow) => find(buckets, hash(key, *shift), narrow),
                // A wide key is in no narrow table.
                Err(_) => EMPTY_SLOT,
            },
            KeyTable::Wide { buckets, shift } => find(buckets, hash(key, *shift), key),
        };
        if found == EMPTY_SLOT { default } else { found }
    }

    pub(crate) fn bytes(&self) -> usize {
        match self {
            KeyTable::Empty => 0,
            KeyTable::Narrow { buckets, .. } => buckets.len() * size_of::<NarrowBucket>(),
            KeyTable::Wide { buckets, .. } => buckets.len() * size_of::<WideBucket>(),
        }
    }
}

/// Fibonacci hashing into `64 - shift` bits.
#[inline]
fn hash(key: u64, shift: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift.min(63)) as usize
}

/// Cells of a projection or atom table: 16 bits when every value fits, else 32.
#[derive(Clone, Debug)]
pub(crate) enum Cells {
    /// Values below 2^16.
    U16(Vec<u16>),
    /// Any values.
    U32(Vec<u32>),
}

impl Default for Cells {
    fn default() -> Cells {
        Cells::U16(Vec::new())
    }
}

impl Cells {
    pub(crate) fn new(values: Vec<u32>) -> Cells {
        if values.iter().all(|&v| v <= u32::from(u16::MAX)) {
            Cells::U16(values.into_iter().map(|v| v as u16).collect())
        } else {
            Cells::U32(values)
        }
    }

    /// The value at `i` (0 out of range).
    #[inline]
    pub(crate) fn get(&self, i: usize) -> u32 {
        match self {
            Cells::U16(v) => v.get(i).map_or(0, |&x| u32::from(x)),
            Cells::U32(v) => v.get(i).copied().unwrap_or(0),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Cells::U16(v) => v.len(),
            Cells::U32(v) => v.len(),
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        match self {
            Cells::U16(v) => v.len() * 2,
            Cells::U32(v) => v.len() * 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::tables::{BlockKind, KeyEntry};

    #[test]
    fn runs_with_index_agree_with_plain_search() {
        let runs: Vec<(u32, u32)> = std::iter::once((0, 0))
            .chain((0..500u32).map(|i| (0x0a00_0000 + i * 7919, i % 13 + 1)))
            .collect();
        let indexed = AddrRuns::new(runs.clone());
        assert!(indexed.index.is_some());
        let plain = |a: u32| {
            let i = runs.partition_point(|&(s, _)| s <= a) - 1;
            runs[i].1
        };
        for a in [
            0u32,
            1,
            0x09ff_ffff,
            0x0a00_0000,
            0x0a00_0001,
            0x0a00_1eef,
            u32::MAX,
        ]
        .into_iter()
        .chain((0..5000).map(|i| 0x0a00_0000 + i * 811))
        {
            assert_eq!(indexed.atom(a), plain(a), "address {a:#x}");
        }
        let runs6: Vec<(u128, u32)> = std::iter::once((0, 0))
            .chain((0..100u128).map(|i| ((0xfd00u128 << 112) + (i << 64), (i % 3 + 1) as u32)))
            .collect();
        let indexed6 = AddrRuns::new(runs6.clone());
        for i in 0..300u128 {
            let a = (0xfd00u128 << 112) + (i << 63) + 5;
            let j = runs6.partition_point(|&(s, _)| s <= a) - 1;
            assert_eq!(indexed6.atom(a), runs6[j].1);
        }
        assert_eq!(indexed6.atom(u128::MAX), runs6.last().unwrap().1);
    }

    #[test]
    fn v4_bounded_windows_agree_with_plain_search() {
        // Runs every `gap` addresses in consecutive /24s: from 1 to 256 runs per /24, so every
        // window size, the bound of the halving steps and the wide fallback are all exercised.
        let mut runs: Vec<(u32, u32)> = vec![(0, 0)];
        let mut start = 0x0a00_0000u32;
        for gap in [
            1u32, 2, 3, 5, 7, 11, 13, 16, 17, 19, 23, 31, 64, 85, 128, 200,
        ] {
            let end = start + 256;
            let mut a = start;
            let mut atom = 1;
            while a < end {
                runs.push((a, atom));
                atom = atom % 5 + 1;
                a += gap;
            }
            start = end + (gap % 3) * 256;
        }
        runs.push((start, 0));
        let radix = V4Runs::new(runs.clone());
        assert!(!radix.top.is_empty());
        let plain = |a: u32| {
            let i = runs.partition_point(|&(s, _)| s <= a) - 1;
            runs[i].1
        };
        for a in 0x09ff_ff00u32..start + 512 {
            assert_eq!(radix.atom(a), plain(a), "address {a:#x}");
        }
    }

    fn block(keys: &[u64]) -> BlockTable {
        BlockTable {
            first_rule: 0,
            end_rule: 1,
            kind: BlockKind::Table,
            fields: Vec::new(),
            entries: keys
                .iter()
                .enumerate()
                .map(|(i, &key)| KeyEntry {
                    key,
                    entry: i as u32,
                })
                .collect(),
            default_entry: 0,
        }
    }

    #[test]
    fn key_tables_find_every_key_and_only_those() {
        // Narrow keys (all ≤ u32::MAX), many colliding in the low bits; then wide keys.
        let narrow: Vec<u64> = (0..1000u64).map(|i| i << 12 | (i % 3)).collect();
        let wide: Vec<u64> = (0..300u64).map(|i| (i << 40) | i).collect();
        for keys in [narrow, wide] {
            let table = KeyTable::new(&block(&keys));
            assert!(table.bytes() >= keys.len() * 8);
            assert!(matches!(table, KeyTable::Narrow { .. }) == (keys[1] < 1 << 32));
            for (i, &k) in keys.iter().enumerate() {
                assert_eq!(table.get(k), Some(i as u32), "key {k:#x}");
            }
            for &k in &keys {
                let absent = k ^ (1 << 11);
                assert!(!keys.contains(&absent));
                assert_eq!(table.get(absent), None, "absent key {absent:#x}");
            }
        }
        assert_eq!(KeyTable::new(&block(&[])).get(0), None);
    }

    #[test]
    fn key_tables_overflow_full_buckets() {
        // 16 keys → 8 buckets of 4 slots; 7 keys hash to the last bucket, so its overflow
        // wraps around to the first buckets, which hold keys of their own.
        let shift = 64 - 8u32.trailing_zeros();
        let mut keys: Vec<u64> = (0..100_000u64)
            .filter(|&k| hash(k, shift) == 7)
            .take(7)
            .collect();
        keys.extend((0..100_000u64).filter(|&k| hash(k, shift) == 0).take(5));
        keys.extend((0..100_000u64).filter(|&k| hash(k, shift) == 3).take(4));
        assert_eq!(keys.len(), 16);
        let table = KeyTable::new(&block(&keys));
        assert_eq!(table.bytes(), 8 * 32);
        for (i, &k) in keys.iter().enumerate() {
            assert_eq!(table.get(k), Some(i as u32), "key {k:#x}");
        }
        for k in (0..100_000u64).filter(|k| !keys.contains(k)).take(2000) {
            assert_eq!(table.get(k), None, "absent key {k:#x}");
        }
        assert_eq!(table.get(keys[0] | 1 << 40), None);
    }

    #[test]
    fn v4_radix_index_agrees_with_plain_search() {
        // Dense /32 runs in one /16, a few /24s elsewhere, a run across /16 boundaries.
        let mut runs: Vec<(u32, u32)> = vec![(0, 0)];
        for i in 0..300u32 {
            runs.push((0x0a80_0000 + i * 3, i % 7 + 1));
            runs.push((0x0a80_0000 + i * 3 + 1, 0));
        }
        for i in 0..20u32 {
            runs.push((0x0b00_0000 + (i << 8), 9 + i));
        }
        runs.push((0x0c00_0000, 50));
        runs.push((0x0c05_1234, 0));
        let radix = V4Runs::new(runs.clone());
        assert!(!radix.top.is_empty());
        let plain = |a: u32| {
            let i = runs.partition_point(|&(s, _)| s <= a) - 1;
            runs[i].1
        };
        let probes = (0..4000u32)
            .map(|i| 0x0a80_0000 + i)
            .chain((0..100u32).map(|i| 0x0b00_0000 + i * 97))
            .chain([
                0,
                1,
                0x0bff_ffff,
                0x0c00_0000,
                0x0c04_ffff,
                0x0c05_1233,
                0x0c05_1234,
                u32::MAX,
            ]);
        for a in probes {
            assert_eq!(radix.atom(a), plain(a), "address {a:#x}");
        }
    }
}
