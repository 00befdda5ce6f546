//! Global atoms: for every field, the partition of its values into classes that no predicate of
//! the program tells apart.
//!
//! - Scalar fields (family, protocol, ports, ICMP): a sweep over the boundaries of every
//!   predicate's ranges; elementary segments with the same set of satisfied predicates share an
//!   atom.
//! - Address fields: every prefix of every primitive (CIDR set, or the addresses of an
//!   address+port set carrying one (protocol, port) pair), per family. An address's membership in
//!   every primitive is a function of its longest matching prefix, so the atom of a prefix is the
//!   set of primitives it or an enclosing prefix belongs to; prefixes (and the uncovered space)
//!   with the same primitive set share an atom. Both families share one atom numbering per side.
//!
//! Atom 0 is always the atom of "no predicate / no primitive".

use std::collections::BTreeSet;
use std::sync::Arc;

use ahash::AHashMap;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::rangeset::RangeSet;

/// Which atoms of a field satisfy a predicate: the sorted `atoms`, or (when `negated`) every atom
/// except them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AtomSet {
    /// Sorted, distinct atoms.
    pub(crate) atoms: Vec<u32>,
    /// True when the set is the complement of `atoms`.
    pub(crate) negated: bool,
}

impl AtomSet {
    /// From the sorted list of satisfying atoms, stored as the shorter of it and its complement.
    pub(crate) fn from_positive(atoms: Vec<u32>, atom_count: u32) -> AtomSet {
        if atoms.len() * 2 > atom_count as usize {
            AtomSet {
                atoms: complement(&atoms, atom_count),
                negated: true,
            }
        } else {
            AtomSet {
                atoms,
                negated: false,
            }
        }
    }

    /// True when `atom` satisfies the predicate.
    #[cfg(test)]
    pub(crate) fn contains(&self, atom: u32) -> bool {
        self.atoms.binary_search(&atom).is_ok() != self.negated
    }

    /// True when no atom satisfies the predicate.
    pub(crate) fn is_empty(&self, atom_count: u32) -> bool {
        if self.negated {
            self.atoms.len() == atom_count as usize
        } else {
            self.atoms.is_empty()
        }
    }

    /// True when every atom satisfies the predicate.
    pub(crate) fn is_full(&self, atom_count: u32) -> bool {
        if self.negated {
            self.atoms.is_empty()
        } else {
            self.atoms.len() == atom_count as usize
        }
    }
}

/// `0..n` minus the sorted `atoms`.
fn complement(atoms: &[u32], n: u32) -> Vec<u32> {
    let mut out = Vec::with_capacity((n as usize).saturating_sub(atoms.len()));
    let mut it = atoms.iter().peekable();
    for a in 0..n {
        if it.peek() == Some(&&a) {
            it.next();
        } else {
            out.push(a);
        }
    }
    out
}

/// Interns sorted signatures (lists of predicate or primitive IDs) as atom IDs; the empty
/// signature is atom 0.
#[derive(Debug)]
struct Interner {
    ids: AHashMap<Vec<u32>, u32>,
    sigs: Vec<Vec<u32>>,
}

impl Interner {
    fn new() -> Interner {
        let mut i = Interner {
            ids: AHashMap::new(),
            sigs: Vec::new(),
        };
        i.intern(Vec::new());
        i
    }

    fn intern(&mut self, sig: Vec<u32>) -> u32 {
        self.intern_slice(&sig)
    }

    fn intern_slice(&mut self, sig: &[u32]) -> u32 {
        if let Some(&id) = self.ids.get(sig) {
            return id;
        }
        let id = self.sigs.len() as u32;
        self.sigs.push(sig.to_vec());
        self.ids.insert(sig.to_vec(), id);
        id
    }

    /// For every signature element `0..elements`, the sorted atoms whose signature contains it.
    fn inverted(&self, elements: usize) -> Vec<Vec<u32>> {
        let mut out = vec![Vec::new(); elements];
        for (atom, sig) in self.sigs.iter().enumerate() {
            for &e in sig {
                if let Some(list) = out.get_mut(e as usize) {
                    list.push(atom as u32);
                }
            }
        }
        out
    }
}

/// The atoms of a scalar field.
#[derive(Clone, Debug)]
pub(crate) struct ScalarAtoms {
    /// `(first value, atom)`, sorted, the first at 0, adjacent segments with different atoms;
    /// segment `i` runs to the next segment's first value − 1 (the last to the domain maximum).
    pub(crate) segments: Vec<(u32, u32)>,
    /// Number of atoms.
    pub(crate) atom_count: u32,
    /// The atoms satisfying each input predicate, by input index.
    pub(crate) pred_sets: Vec<AtomSet>,
}

impl ScalarAtoms {
    /// The atom of `value`.
    pub(crate) fn atom_of(&self, value: u32) -> u32 {
        let i = self.segments.partition_point(|&(start, _)| start <= value);
        i.checked_sub(1)
            .and_then(|i| self.segments.get(i))
            .map_or(0, |&(_, a)| a)
    }
}

/// Builds the atoms of a scalar field with values `0..=max` from its distinct predicates.
pub(crate) fn scalar_atoms(max: u32, preds: &[RangeSet]) -> ScalarAtoms {
    if preds.is_empty() {
        return ScalarAtoms {
            segments: vec![(0, 0)],
            atom_count: 1,
            pred_sets: Vec::new(),
        };
    }
    // (position, predicate, +1 / -1); positions up to max + 1.
    let mut events: Vec<(u64, u32, bool)> = Vec::new();
    for (p, set) in preds.iter().enumerate() {
        for &(a, b) in set.ranges() {
            events.push((u64::from(a), p as u32, true));
            events.push((u64::from(b) + 1, p as u32, false));
        }
    }
    events.sort_unstable();
    let mut interner = Interner::new();
    let mut active: BTreeSet<u32> = BTreeSet::new();
    let mut sig: Vec<u32> = Vec::new();
    let mut segments: Vec<(u32, u32)> = vec![(0, 0)];
    let mut i = 0;
    while let Some(&(pos, _, _)) = events.get(i) {
        while let Some(&(p2, pred, add)) = events.get(i) {
            if p2 != pos {
                break;
            }
            if add {
                active.insert(pred);
            } else {
                active.remove(&pred);
            }
            i += 1;
        }
        if pos > u64::from(max) {
            break;
        }
        sig.clear();
        sig.extend(active.iter().copied());
        let atom = interner.intern_slice(&sig);
        push_segment(&mut segments, pos as u32, atom);
    }
    let atom_count = interner.sigs.len() as u32;
    let pred_sets = interner
        .inverted(preds.len())
        .into_iter()
        .map(|atoms| AtomSet::from_positive(atoms, atom_count))
        .collect();
    ScalarAtoms {
        segments,
        atom_count,
        pred_sets,
    }
}

/// Appends a segment starting at `pos`, replacing one that starts at the same position and
/// merging with the previous segment when the atoms are equal.
fn push_segment<K: Copy + PartialEq>(segments: &mut Vec<(K, u32)>, pos: K, atom: u32) {
    if let Some(last) = segments.last_mut()
        && last.0 == pos
    {
        last.1 = atom;
        let n = segments.len();
        if n >= 2 && segments[n - 2].1 == atom {
            segments.pop();
        }
        return;
    }
    if segments.last().map(|l| l.1) != Some(atom) {
        segments.push((pos, atom));
    }
}

/// The atoms of one address side.
#[derive(Clone, Debug)]
pub(crate) struct AddrAtomsBuild {
    /// IPv4 segments `(first address, atom)` over the whole space, as for [`ScalarAtoms`].
    pub(crate) v4: Vec<(u32, u32)>,
    /// IPv6 segments.
    pub(crate) v6: Vec<(u128, u32)>,
    /// Every distinct IPv4 prefix with its atom, sorted, starting with `0.0.0.0/0`.
    pub(crate) v4_prefixes: Vec<(Ipv4Net, u32)>,
    /// Every distinct IPv6 prefix with its atom, sorted, starting with `::/0`.
    pub(crate) v6_prefixes: Vec<(Ipv6Net, u32)>,
    /// Number of atoms (both families).
    pub(crate) atom_count: u32,
    /// For every primitive, the sorted atoms inside it.
    pub(crate) prim_atoms: Vec<Vec<u32>>,
}

/// One family's prefixes as `(start, end, prefix length, primitives)`.
type FamilyPrefixes = Vec<(u128, u128, u8, Vec<u32>)>;

/// One family's atoms: segments (`(start, atom)`) and prefix atoms (`(start, prefix length,
/// atom)`).
type FamilyAtoms = (Vec<(u128, u32)>, Vec<(u128, u8, u32)>);

/// Builds the atoms of one side from the prefixes of its primitives.
pub(crate) fn addr_atoms(prims: &[Arc<[IpNet]>]) -> AddrAtomsBuild {
    let mut v4: AHashMap<(u128, u8), Vec<u32>> = AHashMap::new();
    let mut v6: AHashMap<(u128, u8), Vec<u32>> = AHashMap::new();
    for (p, nets) in prims.iter().enumerate() {
        for net in nets.iter() {
            match net.trunc() {
                IpNet::V4(n) => v4
                    .entry((u128::from(u32::from(n.network())), n.prefix_len()))
                    .or_default()
                    .push(p as u32),
                IpNet::V6(n) => v6
                    .entry((u128::from(n.network()), n.prefix_len()))
                    .or_default()
                    .push(p as u32),
            }
        }
    }
    let mut interner = Interner::new();
    let (v4_segs, v4_pref) = family_atoms(v4, 32, &mut interner);
    let (v6_segs, v6_pref) = family_atoms(v6, 128, &mut interner);
    debug_assert!(v4_segs.iter().all(|&(s, _)| s <= u128::from(u32::MAX)));
    let atom_count = interner.sigs.len() as u32;
    let prim_atoms = interner.inverted(prims.len());
    AddrAtomsBuild {
        v4: v4_segs.into_iter().map(|(s, a)| (s as u32, a)).collect(),
        v6: v6_segs,
        v4_prefixes: v4_pref
            .into_iter()
            .filter_map(|(s, len, a)| {
                Ipv4Net::new(std::net::Ipv4Addr::from(s as u32), len)
                    .ok()
                    .map(|n| (n, a))
            })
            .collect(),
        v6_prefixes: v6_pref
            .into_iter()
            .filter_map(|(s, len, a)| {
                Ipv6Net::new(std::net::Ipv6Addr::from(s), len)
                    .ok()
                    .map(|n| (n, a))
            })
            .collect(),
        atom_count,
        prim_atoms,
    }
}

/// Segments and prefix atoms (`(start, prefix length, atom)`) of one family, `bits` wide.
fn family_atoms(
    prefixes: AHashMap<(u128, u8), Vec<u32>>,
    bits: u8,
    interner: &mut Interner,
) -> FamilyAtoms {
    let mut list: FamilyPrefixes = prefixes
        .into_iter()
        .map(|((start, len), mut prims)| {
            prims.sort_unstable();
            prims.dedup();
            (start, start | host_span(bits, len), len, prims)
        })
        .collect();
    // Enclosing prefixes before the prefixes they contain.
    list.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)));
    let max = host_span(bits, 0);
    let mut segments: Vec<(u128, u32)> = vec![(0, 0)];
    let mut prefix_atoms: Vec<(u128, u8, u32)> = Vec::with_capacity(list.len() + 1);
    if list.first().is_none_or(|p| p.2 != 0) {
        prefix_atoms.push((0, 0, 0));
    }
    // Open prefixes: (end, atom, signature).
    let mut stack: Vec<(u128, u32, Vec<u32>)> = Vec::new();
    for (start, end, len, prims) in list {
        close_until(&mut stack, &mut segments, Some(start), max);
        let sig = match stack.last() {
            Some((_, _, parent)) => merge_sorted(parent, &prims),
            None => prims,
        };
        let atom = interner.intern(sig.clone());
        push_segment(&mut segments, start, atom);
        prefix_atoms.push((start, len, atom));
        stack.push((end, atom, sig));
    }
    close_until(&mut stack, &mut segments, None, max);
    (segments, prefix_atoms)
}

/// `2^(bits - len) - 1`: the host part of a prefix of length `len` in a `bits`-wide space.
fn host_span(bits: u8, len: u8) -> u128 {
    let host_bits = u32::from(bits - len.min(bits));
    if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    }
}

/// Closes the open prefixes that end before `start` (all of them when `None`), resuming the
/// enclosing prefix's atom (or atom 0) after each, up to the family's last address `max`.
fn close_until(
    stack: &mut Vec<(u128, u32, Vec<u32>)>,
    segments: &mut Vec<(u128, u32)>,
    start: Option<u128>,
    max: u128,
) {
    while let Some(&(end, _, _)) = stack.last() {
        if start.is_some_and(|s| end >= s) {
            break;
        }
        stack.pop();
        let resume_atom = stack.last().map_or(0, |t| t.1);
        if end < max {
            push_segment(segments, end + 1, resume_atom);
        }
    }
}

/// The sorted union of two sorted, distinct lists.
pub(crate) fn merge_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    loop {
        match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => {
                if x < y {
                    out.push(x);
                    i += 1;
                } else if y < x {
                    out.push(y);
                    j += 1;
                } else {
                    out.push(x);
                    i += 1;
                    j += 1;
                }
            }
            (Some(&x), None) => {
                out.push(x);
                i += 1;
            }
            (None, Some(&y)) => {
                out.push(y);
                j += 1;
            }
            (None, None) => return out,
        }
    }
}

/// The sorted intersection of two sorted, distinct lists.
pub(crate) fn intersect_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        if x < y {
            i += 1;
        } else if y < x {
            j += 1;
        } else {
            out.push(x);
            i += 1;
            j += 1;
        }
    }
    out
}

/// The sorted difference `a \ b` of two sorted, distinct lists.
pub(crate) fn minus_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut j = 0;
    for &x in a {
        while b.get(j).is_some_and(|&y| y < x) {
            j += 1;
        }
        if b.get(j) != Some(&x) {
            out.push(x);
        }
    }
    out
}

/// The sorted union of many sorted lists.
pub(crate) fn union_many<'a>(lists: impl IntoIterator<Item = &'a [u32]>) -> Vec<u32> {
    let mut out: Vec<u32> = lists.into_iter().flatten().copied().collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Arc<[IpNet]> {
        list.iter()
            .map(|s| s.parse::<IpNet>().unwrap())
            .collect::<Vec<_>>()
            .into()
    }

    #[test]
    fn scalar_atoms_merge_equal_signatures() {
        // Ports: {80}, {80..90}, and {1000} → atoms: none, {0,1}, {1}, {2}; the none atom covers
        // 0..79, 91..999, 1001..=65536.
        let preds = [
            RangeSet::single(80),
            RangeSet::range(80, 90),
            RangeSet::single(1000),
        ];
        let a = scalar_atoms(65536, &preds);
        assert_eq!(a.atom_count, 4);
        assert_eq!(a.atom_of(0), 0);
        assert_eq!(a.atom_of(95), 0);
        assert_eq!(a.atom_of(65536), 0);
        assert_ne!(a.atom_of(80), a.atom_of(81));
        assert_eq!(a.atom_of(81), a.atom_of(90));
        assert!(a.pred_sets[1].contains(a.atom_of(80)));
        assert!(a.pred_sets[1].contains(a.atom_of(85)));
        assert!(!a.pred_sets[0].contains(a.atom_of(85)));
        assert!(a.pred_sets[2].contains(a.atom_of(1000)));
    }

    #[test]
    fn addr_atoms_follow_longest_prefix() {
        let prims = [
            nets(&["10.0.0.0/8", "fd00::/8"]),
            nets(&["10.1.0.0/16", "192.168.0.1/32"]),
            nets(&["10.1.2.0/24"]),
            nets(&["10.0.0.0/8"]),
        ];
        let a = addr_atoms(&prims);
        let atom_v4 = |s: &str| {
            let ip = u32::from(s.parse::<std::net::Ipv4Addr>().unwrap());
            let i = a.v4.partition_point(|&(st, _)| st <= ip) - 1;
            a.v4[i].1
        };
        // Signatures: {} , {0,3}, {0,1,3}, {0,1,2,3}, {1}, {0} (v6)
        assert_eq!(a.atom_count, 6);
        assert_eq!(atom_v4("9.255.255.255"), 0);
        assert_eq!(atom_v4("11.0.0.0"), 0);
        assert_eq!(atom_v4("10.0.0.1"), atom_v4("10.255.0.0"));
        assert_eq!(atom_v4("10.1.0.0"), atom_v4("10.1.3.0"));
        assert_ne!(atom_v4("10.1.2.9"), atom_v4("10.1.3.0"));
        assert_ne!(atom_v4("10.0.0.1"), atom_v4("10.1.0.0"));
        assert_eq!(atom_v4("192.168.0.2"), 0);
        assert!(a.prim_atoms[3].contains(&atom_v4("10.1.2.3")));
        assert!(a.prim_atoms[1].contains(&atom_v4("192.168.0.1")));
        assert_eq!(a.v4_prefixes[0].0.to_string(), "0.0.0.0/0");
        assert_eq!(a.v6_prefixes.len(), 2);
        assert_eq!(
            *a.v4.last().unwrap(),
            (u32::from_be_bytes([192, 168, 0, 2]), 0)
        );
    }

    #[test]
    fn default_route_prefix_gets_its_own_atom() {
        let prims = [nets(&["0.0.0.0/0"]), nets(&["10.0.0.0/8"])];
        let a = addr_atoms(&prims);
        assert_eq!(a.v4_prefixes.len(), 2);
        assert_ne!(a.v4_prefixes[0].1, 0);
        assert_eq!(a.v4.len(), 3);
        assert_eq!(a.v6.len(), 1);
        assert_eq!(a.v6[0], (0, 0));
    }

    #[test]
    fn sorted_list_helpers() {
        assert_eq!(merge_sorted(&[1, 3, 5], &[2, 3, 6]), vec![1, 2, 3, 5, 6]);
        assert_eq!(intersect_sorted(&[1, 3, 5], &[2, 3, 5]), vec![3, 5]);
        assert_eq!(minus_sorted(&[1, 3, 5], &[3, 4]), vec![1, 5]);
        assert_eq!(complement(&[0, 2], 4), vec![1, 3]);
        let s = AtomSet::from_positive(vec![0, 1, 2], 4);
        assert!(s.negated && s.contains(1) && !s.contains(3));
    }
}
