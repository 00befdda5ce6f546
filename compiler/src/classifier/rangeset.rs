//! [`RangeSet`]: a set of `u32` values as sorted, disjoint, non-adjacent inclusive ranges. The
//! classifier's predicates on scalar fields (family, protocol, ports, ICMP) are range sets.

use smallvec::SmallVec;

/// Sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RangeSet {
    ranges: SmallVec<[(u32, u32); 2]>,
}

impl RangeSet {
    /// The empty set.
    pub(crate) fn empty() -> RangeSet {
        RangeSet::default()
    }

    /// `[first, last]` (empty when `first > last`).
    pub(crate) fn range(first: u32, last: u32) -> RangeSet {
        let mut s = RangeSet::empty();
        if first <= last {
            s.ranges.push((first, last));
        }
        s
    }

    /// One value.
    pub(crate) fn single(v: u32) -> RangeSet {
        RangeSet::range(v, v)
    }

    /// The union of arbitrary ranges (empty ones ignored).
    pub(crate) fn from_ranges(ranges: impl IntoIterator<Item = (u32, u32)>) -> RangeSet {
        let mut v: Vec<(u32, u32)> = ranges.into_iter().filter(|(a, b)| a <= b).collect();
        v.sort_unstable();
        let mut out: SmallVec<[(u32, u32); 2]> = SmallVec::new();
        for (a, b) in v {
            match out.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        RangeSet { ranges: out }
    }

    /// The ranges.
    pub(crate) fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges
    }

    /// True when the set has no value.
    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// True when `v` is in the set.
    #[cfg(test)]
    pub(crate) fn contains(&self, v: u32) -> bool {
        self.ranges.iter().any(|&(a, b)| a <= v && v <= b)
    }

    /// The values of `[0, max]` not in the set.
    pub(crate) fn complement(&self, max: u32) -> RangeSet {
        let mut out: SmallVec<[(u32, u32); 2]> = SmallVec::new();
        let mut next = 0u32;
        let mut done = false;
        for &(a, b) in &self.ranges {
            if a > max {
                break;
            }
            if a > next {
                out.push((next, a - 1));
            }
            if b >= max {
                done = true;
                break;
            }
            next = b + 1;
        }
        if !done {
            out.push((next, max));
        }
        RangeSet { ranges: out }
    }

    /// The values in both sets.
    pub(crate) fn intersect(&self, other: &RangeSet) -> RangeSet {
        let mut out: SmallVec<[(u32, u32); 2]> = SmallVec::new();
        let (mut i, mut j) = (0, 0);
        while let (Some(&(a1, b1)), Some(&(a2, b2))) = (self.ranges.get(i), other.ranges.get(j)) {
            let lo = a1.max(a2);
            let hi = b1.min(b2);
            if lo <= hi {
                out.push((lo, hi));
            }
            if b1 < b2 {
                i += 1;
            } else {
                j += 1;
            }
        }
        RangeSet { ranges: out }
    }

    /// The values of `self` not in `other`.
    pub(crate) fn minus(&self, other: &RangeSet, max: u32) -> RangeSet {
        self.intersect(&other.complement(max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_ranges_merges_overlapping_and_adjacent() {
        let s = RangeSet::from_ranges([(5, 9), (1, 2), (3, 4), (20, 30), (25, 26), (9, 3)]);
        assert_eq!(s.ranges(), &[(1, 9), (20, 30)]);
    }

    #[test]
    fn complement_and_intersection() {
        let s = RangeSet::from_ranges([(0, 0), (10, 20), (65536, 65536)]);
        let c = s.complement(65536);
        assert_eq!(c.ranges(), &[(1, 9), (21, 65535)]);
        assert!(RangeSet::range(0, 10).complement(10).is_empty());
        assert_eq!(RangeSet::empty().complement(3).ranges(), &[(0, 3)]);
        let i = RangeSet::from_ranges([(1, 5), (8, 12)]).intersect(&RangeSet::range(4, 9));
        assert_eq!(i.ranges(), &[(4, 5), (8, 9)]);
        let m = RangeSet::range(0, 100).minus(&RangeSet::single(50), 65536);
        assert!(m.contains(49) && !m.contains(50) && m.contains(51));
    }
}
