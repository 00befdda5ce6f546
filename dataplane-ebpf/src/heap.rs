//! The heap allocator (pure): regions of the datapath's word heap, shared by content.
//!
//! Every table of every live generation is a region. A table whose words are already in the heap
//! is not written again: its region gains a reference. So republishing a program after an IP-set
//! change writes only the tables the change touched, and identical tables of different programs
//! (and programs shared by many endpoints) take memory once. A region is freed when its last
//! reference goes, which the caller does only after the generations using it are unpublished.

use std::collections::BTreeMap;
use std::sync::Arc;

use ahash::AHashMap;

use crate::abi::GenHeader;
use crate::lower::{LoweredProgram, Placement, encode_blocks, encode_header};

/// Why a region could not be allocated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeapError {
    /// Not enough contiguous free words.
    #[error(
        "the policy heap is full: {wanted} words wanted, {free} free in total (largest gap \
         {largest}), capacity {capacity}; load the datapath with a larger heap"
    )]
    Full {
        /// Words wanted.
        wanted: u64,
        /// Free words in total.
        free: u64,
        /// The largest free gap.
        largest: u64,
        /// Heap capacity in words.
        capacity: u32,
    },
}

#[derive(Debug)]
struct Region {
    words: Arc<[u64]>,
    refs: u32,
}

/// Regions of a heap of `capacity` words.
#[derive(Debug)]
pub(crate) struct HeapAlloc {
    capacity: u32,
    /// Free gaps: start → length.
    free: BTreeMap<u32, u32>,
    by_content: AHashMap<Arc<[u64]>, u32>,
    regions: AHashMap<u32, Region>,
    used: u64,
}

impl HeapAlloc {
    pub(crate) fn new(capacity: u32) -> HeapAlloc {
        let mut free = BTreeMap::new();
        if capacity > 0 {
            free.insert(0, capacity);
        }
        HeapAlloc {
            capacity,
            free,
            by_content: AHashMap::new(),
            regions: AHashMap::new(),
            used: 0,
        }
    }

    /// Words in use.
    pub(crate) fn used_words(&self) -> u64 {
        self.used
    }

    /// Capacity in words.
    pub(crate) fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Number of regions.
    pub(crate) fn regions(&self) -> usize {
        self.regions.len()
    }

    /// A region holding `words`: an existing one with the same content (returns `false`: nothing
    /// to write), or a new one (returns `true`: the caller writes the words there).
    pub(crate) fn acquire(&mut self, words: &Arc<[u64]>) -> Result<(u32, bool), HeapError> {
        if let Some(&off) = self.by_content.get(words)
            && let Some(r) = self.regions.get_mut(&off)
        {
            r.refs += 1;
            return Ok((off, false));
        }
        let len = u32::try_from(words.len().max(1)).unwrap_or(u32::MAX);
        let gap = self
            .free
            .iter()
            .find(|(_, l)| **l >= len)
            .map(|(s, l)| (*s, *l));
        let Some((start, glen)) = gap else {
            return Err(HeapError::Full {
                wanted: u64::from(len),
                free: u64::from(self.capacity) - self.used,
                largest: self.free.values().copied().max().map_or(0, u64::from),
                capacity: self.capacity,
            });
        };
        self.free.remove(&start);
        if glen > len {
            self.free.insert(start + len, glen - len);
        }
        self.used += u64::from(len);
        self.regions.insert(
            start,
            Region {
                words: Arc::clone(words),
                refs: 1,
            },
        );
        self.by_content.insert(Arc::clone(words), start);
        Ok((start, true))
    }

    /// Drops one reference to the region at `off`; frees it with the last one.
    pub(crate) fn release(&mut self, off: u32) {
        let Some(r) = self.regions.get_mut(&off) else {
            return;
        };
        r.refs = r.refs.saturating_sub(1);
        if r.refs > 0 {
            return;
        }
        let Some(r) = self.regions.remove(&off) else {
            return;
        };
        if self.by_content.get(&r.words) == Some(&off) {
            self.by_content.remove(&r.words);
        }
        let len = u32::try_from(r.words.len().max(1)).unwrap_or(u32::MAX);
        self.used -= u64::from(len);
        // Insert the gap and merge it with its neighbours.
        let mut start = off;
        let mut glen = len;
        if let Some((&ps, &pl)) = self.free.range(..off).next_back()
            && ps + pl == off
        {
            self.free.remove(&ps);
            start = ps;
            glen += pl;
        }
        if let Some(&nl) = self.free.get(&(off + len)) {
            self.free.remove(&(off + len));
            glen += nl;
        }
        self.free.insert(start, glen);
    }
}

/// A generation placed in the heap: its header, the regions it holds, and the words to write
/// before it is published.
#[derive(Debug)]
pub(crate) struct GenPlan {
    pub(crate) header: GenHeader,
    /// Regions this generation references (one reference each).
    pub(crate) regions: Vec<u32>,
    /// New regions and their words.
    pub(crate) writes: Vec<(u32, Arc<[u64]>)>,
}

impl GenPlan {
    /// Words the plan writes.
    pub(crate) fn written_words(&self) -> u64 {
        self.writes.iter().map(|(_, w)| w.len() as u64).sum()
    }
}

/// Places `p` as generation `gen_id`. On error, nothing stays allocated.
pub(crate) fn plan(
    alloc: &mut HeapAlloc,
    p: &LoweredProgram,
    gen_id: u64,
) -> Result<GenPlan, HeapError> {
    let mut regions = Vec::with_capacity(p.tables.len() + 1);
    let mut writes = Vec::new();
    let mut tables = Vec::with_capacity(p.tables.len());
    let mut place = |alloc: &mut HeapAlloc,
                     words: &Arc<[u64]>,
                     regions: &mut Vec<u32>|
     -> Result<u32, HeapError> {
        let (off, new) = alloc.acquire(words)?;
        regions.push(off);
        if new {
            writes.push((off, Arc::clone(words)));
        }
        Ok(off)
    };
    let result = (|| {
        for t in &p.tables {
            tables.push(place(alloc, &t.words, &mut regions)?);
        }
        let blocks: Arc<[u64]> = encode_blocks(p, &tables).into();
        let blocks_off = place(alloc, &blocks, &mut regions)?;
        Ok(blocks_off)
    })();
    match result {
        Ok(blocks) => {
            let placement = Placement { tables, blocks };
            let header = encode_header(p, &placement, gen_id);
            Ok(GenPlan {
                header,
                regions,
                writes,
            })
        }
        Err(e) => {
            for off in regions {
                alloc.release(off);
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(v: &[u64]) -> Arc<[u64]> {
        v.to_vec().into()
    }

    #[test]
    fn identical_content_shares_a_region() {
        let mut h = HeapAlloc::new(100);
        let (a, new_a) = h.acquire(&words(&[1, 2, 3])).unwrap();
        let (b, new_b) = h.acquire(&words(&[1, 2, 3])).unwrap();
        assert_eq!(a, b);
        assert!(new_a && !new_b);
        assert_eq!(h.used_words(), 3);
        h.release(a);
        assert_eq!(h.used_words(), 3, "one reference left");
        h.release(a);
        assert_eq!(h.used_words(), 0);
    }

    #[test]
    fn freed_gaps_merge_and_are_reused() {
        let mut h = HeapAlloc::new(10);
        let (a, _) = h.acquire(&words(&[1; 4])).unwrap();
        let (b, _) = h.acquire(&words(&[2; 3])).unwrap();
        let (c, _) = h.acquire(&words(&[3; 3])).unwrap();
        assert!(matches!(
            h.acquire(&words(&[4])),
            Err(HeapError::Full { .. })
        ));
        h.release(a);
        h.release(b);
        // a and b merged into one gap of 7.
        let (d, _) = h.acquire(&words(&[5; 7])).unwrap();
        assert_eq!(d, 0);
        h.release(c);
        h.release(d);
        assert_eq!(h.used_words(), 0);
        let (e, _) = h.acquire(&words(&[6; 10])).unwrap();
        assert_eq!(e, 0);
    }

    #[test]
    fn full_heap_reports_sizes() {
        let mut h = HeapAlloc::new(4);
        let err = h.acquire(&words(&[0; 5])).unwrap_err();
        assert_eq!(
            err,
            HeapError::Full {
                wanted: 5,
                free: 4,
                largest: 4,
                capacity: 4
            }
        );
    }
}
