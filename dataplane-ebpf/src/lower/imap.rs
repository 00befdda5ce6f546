//! Interval maps: a field value → its global atom, in a layout the datapath walks with a few
//! table lookups and a short branch-free binary search, however clustered the values are.
//!
//! The classifier gives each field as sorted runs `(first value, atom)` covering the whole
//! domain; this module lays them out as heap words (see `bpf/abi.h`). The root is a direct table
//! of `2^k` words indexed by `value >> shift`. Every word describes the chunk of values it
//! covers:
//!
//! - a **leaf** (`LEAF << 32 | atom`) when one run covers the whole chunk;
//! - a **sub-table** (`(SUB | b) << 32 | offset`) of `2^b` words for the chunk's next `b` bits,
//!   when the chunk holds more than [`SEARCH_MAX`] runs (real policies cluster their CIDRs, e.g.
//!   100,000 pod addresses inside one /10, which a direct table on the top bits alone would
//!   leave to long searches);
//! - otherwise a **record range** (`count << 32 | offset`): the chunk's runs, searched
//!   branch-free. A 32-bit record is one word `atom << 32 | first`; a 128-bit record three words
//!   `[first >> 64, first as u64, atom]`. The first record starts at the chunk's first value.
//!
//! Offsets are relative to the start of the map. For 128-bit keys, tables index the high 64
//! bits; a chunk narrower than that is searched whatever its size.

use crate::abi::{IMAP_MAX_DEPTH, IMAP_SUB, LEAF};

/// The largest root table: 2^16 words (512 KiB).
const MAX_ROOT_BITS: u32 = 16;
/// The widest sub-table: 2^8 words.
const MAX_SUB_BITS: u32 = 8;
/// A chunk with more runs than this gets a sub-table (when it has bits left to split).
pub(crate) const SEARCH_MAX: usize = 8;

/// A laid-out interval map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Imap {
    /// The words: the root table, then sub-tables and records.
    pub(crate) words: Vec<u64>,
    /// `value >> shift` indexes the root table (of the high 64 bits for 128-bit keys).
    pub(crate) shift: u32,
    /// Length of the root table.
    pub(crate) n_direct: u32,
}

/// Root bits for `runs` runs over a `width`-bit domain: about two runs per chunk.
fn root_bits(runs: usize, width: u32) -> u32 {
    let want = usize::BITS - runs.leading_zeros();
    want.clamp(1, MAX_ROOT_BITS.min(width))
}

/// Sub-table bits for a chunk of `runs` runs with `bits` bits to split: about two runs per
/// sub-chunk.
fn sub_bits(runs: usize, bits: u32) -> u32 {
    let want = usize::BITS - (runs / 2).leading_zeros();
    want.clamp(1, MAX_SUB_BITS.min(bits))
}

/// Keys the map works on.
trait Key: Copy + Ord {
    /// Key bits the tables index (32 for `u32`, the high 64 of `u128`).
    const TABLE_BITS: u32;
    /// The bits the tables index (the key, or its high 64 bits).
    fn table_key(self) -> u64;
    fn from_chunk(prefix: u64, shift: u32) -> Self;
    fn chunk_end(start: Self, shift: u32) -> Self;
    fn push_record(records: &mut Vec<u64>, first: Self, atom: u32);
}

impl Key for u32 {
    const TABLE_BITS: u32 = 32;
    fn table_key(self) -> u64 {
        u64::from(self)
    }
    fn from_chunk(prefix: u64, shift: u32) -> u32 {
        (prefix << shift) as u32
    }
    fn chunk_end(start: u32, shift: u32) -> u32 {
        (u64::from(start) + (1u64 << shift) - 1) as u32
    }
    fn push_record(records: &mut Vec<u64>, first: u32, atom: u32) {
        records.push((u64::from(atom) << 32) | u64::from(first));
    }
}

impl Key for u128 {
    const TABLE_BITS: u32 = 64;
    fn table_key(self) -> u64 {
        (self >> 64) as u64
    }
    fn from_chunk(prefix: u64, shift: u32) -> u128 {
        u128::from(prefix) << (shift + 64)
    }
    fn chunk_end(start: u128, shift: u32) -> u128 {
        start | ((1u128 << (shift + 64)) - 1)
    }
    fn push_record(records: &mut Vec<u64>, first: u128, atom: u32) {
        records.push((first >> 64) as u64);
        records.push(first as u64);
        records.push(u64::from(atom));
    }
}

struct Builder<K> {
    words: Vec<u64>,
    runs: Vec<(K, u32)>,
}

impl<K: Key> Builder<K> {
    /// The word for the chunk `[start, start + 2^shift)` (in table-key units), whose runs are
    /// `runs[i..j]` with `runs[i]` covering `start`; `depth` sub-tables lie above it.
    fn chunk(&mut self, start: K, shift: u32, i: usize, j: usize, depth: u32) -> u64 {
        let atom_at_start = self.runs.get(i).map_or(0, |r| r.1);
        let n = j - i;
        if n <= 1 {
            return (u64::from(LEAF) << 32) | u64::from(atom_at_start);
        }
        if n > SEARCH_MAX && shift > 0 && depth < IMAP_MAX_DEPTH {
            let b = sub_bits(n, shift);
            let at = self.words.len();
            self.words.resize(at + (1 << b), 0);
            let sub_shift = shift - b;
            let base = table_prefix(start, shift);
            let mut k = i;
            for s in 0..(1u64 << b) {
                let sub_start = K::from_chunk((base << b) | s, sub_shift);
                let sub_end = K::chunk_end(sub_start, sub_shift);
                while self.runs.get(k + 1).is_some_and(|r| r.0 <= sub_start) {
                    k += 1;
                }
                let mut e = k + 1;
                while self.runs.get(e).is_some_and(|r| r.0 <= sub_end) {
                    e += 1;
                }
                let w = self.chunk(sub_start, sub_shift, k, e, depth + 1);
                if let Some(slot) = self.words.get_mut(at + s as usize) {
                    *slot = w;
                }
            }
            return ((u64::from(IMAP_SUB) | u64::from(b)) << 32) | at as u64;
        }
        let at = self.words.len();
        K::push_record(&mut self.words, start, atom_at_start);
        for r in self.runs.get(i + 1..j).unwrap_or(&[]).to_vec() {
            K::push_record(&mut self.words, r.0, r.1);
        }
        ((n as u64) << 32) | at as u64
    }
}

/// The table-key prefix of a chunk start (its table key >> shift).
fn table_prefix<K: Key>(start: K, shift: u32) -> u64 {
    start.table_key() >> shift
}

/// Lays out runs over a `width`-bit domain (`width` ≤ 32). `runs` must be sorted by first value,
/// start at 0 and stay below `2^width`.
pub(crate) fn imap32(runs: &[(u32, u32)], width: u32) -> Imap {
    let width = width.clamp(1, 32);
    // Build over 32-bit keys, with the root table spanning the domain's `width` bits.
    let k = root_bits(runs.len(), width);
    build_with_root::<u32>(runs, k, width)
}

/// Lays out `runs` with a root table of `2^k` words over a `width`-bit table key.
fn build_with_root<K: Key>(runs: &[(K, u32)], k: u32, width: u32) -> Imap {
    let shift = width - k;
    let n_direct = 1u32 << k;
    let mut b = Builder {
        words: vec![0u64; n_direct as usize],
        runs: runs.to_vec(),
    };
    let mut i = 0usize;
    for chunk in 0..u64::from(n_direct) {
        let start = K::from_chunk(chunk, shift);
        let end = K::chunk_end(start, shift);
        while b.runs.get(i + 1).is_some_and(|r| r.0 <= start) {
            i += 1;
        }
        let mut j = i + 1;
        while b.runs.get(j).is_some_and(|r| r.0 <= end) {
            j += 1;
        }
        let w = b.chunk(start, shift, i, j, 0);
        if let Some(slot) = b.words.get_mut(chunk as usize) {
            *slot = w;
        }
    }
    Imap {
        words: b.words,
        shift,
        n_direct,
    }
}

/// Lays out runs over the 128-bit domain. `runs` must be sorted by first value and start at 0.
pub(crate) fn imap128(runs: &[(u128, u32)]) -> Imap {
    build_with_root::<u128>(
        runs,
        root_bits(runs.len(), u128::TABLE_BITS),
        u128::TABLE_BITS,
    )
}

/// Looks a 32-bit key up the way the datapath does.
#[cfg(test)]
fn lookup32(words: &[u64], shift: u32, key: u32) -> Option<u32> {
    super::interp::imap32_words(words, shift, key)
}

/// Looks a 128-bit key up the way the datapath does.
#[cfg(test)]
fn lookup128(words: &[u64], shift: u32, key: u128) -> Option<u32> {
    super::interp::imap128_words(words, shift, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn atom_of<T: Ord + Copy>(runs: &[(T, u32)], v: T) -> u32 {
        let i = runs.partition_point(|r| r.0 <= v);
        runs.get(i.wrapping_sub(1)).map_or(0, |r| r.1)
    }

    fn runs32(mut firsts: Vec<u32>, width: u32) -> Vec<(u32, u32)> {
        let max = if width == 32 {
            u32::MAX
        } else {
            (1u32 << width) - 1
        };
        firsts.iter_mut().for_each(|f| *f = (*f).min(max));
        firsts.push(0);
        firsts.sort_unstable();
        firsts.dedup();
        firsts
            .iter()
            .enumerate()
            .map(|(i, f)| (*f, (i as u32 * 7) % 5))
            .collect()
    }

    #[test]
    fn one_run_is_all_leaves() {
        let m = imap32(&[(0, 9)], 16);
        assert_eq!(m.n_direct, 2);
        for v in [0u32, 1, 32767, 32768, 65535] {
            assert_eq!(lookup32(&m.words, m.shift, v), Some(9));
        }
    }

    #[test]
    fn boundaries_are_exact() {
        let runs = vec![(0, 0), (80, 1), (81, 0), (1024, 2), (65535, 3)];
        let m = imap32(&runs, 16);
        for v in [0u32, 79, 80, 81, 1023, 1024, 5000, 65534, 65535] {
            assert_eq!(
                lookup32(&m.words, m.shift, v),
                Some(atom_of(&runs, v)),
                "{v}"
            );
        }
    }

    #[test]
    fn clustered_runs_get_sub_tables_and_short_searches() {
        // 4,000 host addresses inside one /16: the root alone would leave them in one chunk.
        let mut runs = vec![(0u32, 0u32)];
        for i in 0..4000u32 {
            let a = 0x0a80_0000 + i * 13;
            runs.push((a, 1 + i % 7));
            runs.push((a + 1, 0));
        }
        let m = imap32(&runs, 32);
        let mut longest = 0;
        for w in &m.words {
            let hi = (w >> 32) as u32;
            if hi != LEAF && hi < IMAP_SUB {
                longest = longest.max(hi as usize);
            }
        }
        assert!(longest <= SEARCH_MAX, "a search over {longest} records");
        for v in [
            0x0a80_0000u32,
            0x0a80_0001,
            0x0a80_000d,
            0x0a80_000e,
            0x0a80_ffff,
            0x0a81_0000,
            5,
        ] {
            assert_eq!(
                lookup32(&m.words, m.shift, v),
                Some(atom_of(&runs, v)),
                "{v:#x}"
            );
        }
        assert!(
            m.words.len() < 40 * runs.len(),
            "{} words for {} runs",
            m.words.len(),
            runs.len()
        );
    }

    #[test]
    fn v6_boundaries_are_exact() {
        let a = |s: &str| u128::from(s.parse::<std::net::Ipv6Addr>().unwrap());
        let runs = vec![
            (0, 0),
            (a("fd00::"), 1),
            (a("fd00::1:0"), 2),
            (a("fd00::2:0"), 1),
            (a("fe00::"), 0),
        ];
        let m = imap128(&runs);
        for s in [
            "::",
            "fcff:ffff::",
            "fd00::",
            "fd00::ffff",
            "fd00::1:0",
            "fd00::1:ffff",
            "fd00::2:0",
            "fdff::",
            "fe00::",
            "ffff::1",
        ] {
            let v = a(s);
            assert_eq!(
                lookup128(&m.words, m.shift, v),
                Some(atom_of(&runs, v)),
                "{s}"
            );
        }
    }

    #[test]
    fn sub_tables_stop_at_the_depth_bound() {
        // Twenty boundaries on consecutive values of the high 64 bits: every level splits off
        // only a few bits, so without the bound the tables would nest about sixteen deep.
        let base = 0xfd00_1234_5678_9abc_u128 << 64;
        let mut runs = vec![(0u128, 0u32)];
        for i in 0..20u128 {
            runs.push((base + (i << 64), 1 + (i as u32 % 3)));
        }
        runs.push((base + (20u128 << 64), 0));
        let m = imap128(&runs);
        for r in &runs {
            for v in [r.0, r.0.saturating_sub(1), r.0 | 0xffff_ffff_ffff_ffff] {
                assert_eq!(
                    lookup128(&m.words, m.shift, v),
                    Some(atom_of(&runs, v)),
                    "{v:#x}"
                );
            }
        }
        // Consecutive 32-bit values too (at most 32 bits to split).
        let mut runs = vec![(0u32, 0u32)];
        for i in 0..40u32 {
            runs.push((0x7fff_fff0 + i, i % 4));
        }
        let m = imap32(&runs, 32);
        for v in 0x7fff_ffe0u32..0x8000_0020 {
            assert_eq!(
                lookup32(&m.words, m.shift, v),
                Some(atom_of(&runs, v)),
                "{v:#x}"
            );
        }
    }

    proptest! {
        #[test]
        fn lookup32_agrees_with_the_runs(mut firsts in proptest::collection::vec(any::<u32>(), 0..400),
                                         probes in proptest::collection::vec(any::<u32>(), 50),
                                         wide in any::<bool>(), clustered in any::<bool>()) {
            let width = if wide { 32 } else { 16 };
            if clustered {
                for (i, f) in firsts.iter_mut().enumerate() {
                    if i % 3 != 0 { *f = (if wide { 0x0a80_0000 } else { 0x1000 }) | (*f & 0x0fff); }
                }
            }
            let runs = runs32(firsts, width);
            let m = imap32(&runs, width);
            let max = if wide { u32::MAX } else { 65535 };
            let mut vs: Vec<u32> = probes.iter().map(|p| p & max).collect();
            for r in &runs { vs.push(r.0); vs.push(r.0.saturating_sub(1)); vs.push(r.0.saturating_add(1).min(max)); }
            for v in vs {
                prop_assert_eq!(lookup32(&m.words, m.shift, v), Some(atom_of(&runs, v)));
            }
        }

        #[test]
        fn lookup128_agrees_with_the_runs(mut firsts in proptest::collection::vec(any::<u128>(), 0..300),
                                          probes in proptest::collection::vec(any::<u128>(), 50)) {
            // Cluster most boundaries under one /32 and some under one /96 to exercise sub-tables
            // and chunks narrower than the table bits.
            for (i, f) in firsts.iter_mut().enumerate() {
                match i % 3 {
                    0 => *f = (0xfd00_0000u128 << 96) | (*f >> 32),
                    1 => *f = (0xfd00_0000_0000_0000_0000_0001u128 << 32) | (*f & 0xffff_ffff),
                    _ => {}
                }
            }
            firsts.push(0);
            firsts.sort_unstable();
            firsts.dedup();
            let runs: Vec<(u128, u32)> = firsts.iter().enumerate().map(|(i, f)| (*f, i as u32 % 3)).collect();
            let m = imap128(&runs);
            let mut vs = probes.clone();
            for r in &runs { vs.push(r.0); vs.push(r.0.saturating_sub(1)); vs.push(r.0.saturating_add(1)); }
            for v in vs {
                prop_assert_eq!(lookup128(&m.words, m.shift, v), Some(atom_of(&runs, v)));
            }
        }
    }
}
