//! Label sources a selector can be evaluated against.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasher, Hash};

use crate::Label;
use crate::bytes::{bytes_eq, head};
use crate::key_hash::key_hash;

/// Anything that can answer "what is the value of label `key`?".
///
/// Evaluation calls only this, so it never allocates. Implemented for `BTreeMap` and `HashMap`
/// with string keys and values, for [`LabelSet`], for references, and for [`Chain`] (own labels
/// first, then inherited ones).
pub trait Labels {
    /// The value of label `key`, or `None` if the label is absent.
    fn label(&self, key: &str) -> Option<&str>;

    /// The value of the label a parsed selector names; evaluation calls this. The default calls
    /// [`Labels::label`]; [`LabelSet`] overrides it to use the hash the [`Label`] carries.
    #[inline]
    fn label_of(&self, key: &Label) -> Option<&str> {
        self.label(key.as_str())
    }

    /// [`Labels::label_of`] with the first bytes of the value packed in a word, which evaluation
    /// compares short values by. The default packs the text `label_of` returns; [`LabelSet`]
    /// keeps the word with each value. An implementation must agree with `label_of`.
    #[doc(hidden)]
    #[inline]
    fn label_value_of(&self, key: &Label) -> Option<LabelValue<'_>> {
        self.label_of(key).map(LabelValue::new)
    }
}

/// A label's value as evaluation reads it: the text and its head (`bytes::head`).
#[derive(Clone, Copy, Debug)]
pub struct LabelValue<'a> {
    /// The value.
    pub(crate) text: &'a str,
    /// `head(text.as_bytes())`.
    pub(crate) head: u64,
}

impl<'a> LabelValue<'a> {
    /// The value `text`.
    #[inline]
    pub(crate) fn new(text: &'a str) -> LabelValue<'a> {
        LabelValue {
            text,
            head: head(text.as_bytes()),
        }
    }
}

impl<T: Labels + ?Sized> Labels for &T {
    #[inline]
    fn label(&self, key: &str) -> Option<&str> {
        (**self).label(key)
    }

    #[inline]
    fn label_of(&self, key: &Label) -> Option<&str> {
        (**self).label_of(key)
    }

    #[inline]
    fn label_value_of(&self, key: &Label) -> Option<LabelValue<'_>> {
        (**self).label_value_of(key)
    }
}

impl<K, V> Labels for BTreeMap<K, V>
where
    K: Borrow<str> + Ord,
    V: AsRef<str>,
{
    #[inline]
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(AsRef::as_ref)
    }
}

impl<K, V, S> Labels for HashMap<K, V, S>
where
    K: Borrow<str> + Hash + Eq,
    V: AsRef<str>,
    S: BuildHasher,
{
    #[inline]
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(AsRef::as_ref)
    }
}

/// A compact label set: an open-addressing hash table of the entries, plus their order by key.
///
/// The right shape for endpoint labels, which are few, read often and rarely changed: a lookup
/// by a parsed selector's [`Label`] is one probe (the label's hash was computed when the selector
/// was parsed), whatever the number of labels, and compares key bytes only for keys longer than
/// 8 bytes. Each value keeps its first bytes as a word, so evaluation compares short values
/// without reading them. `insert` of a new key
/// and `remove` rebuild the table, so they cost O(n).
#[derive(Clone, Default)]
pub struct LabelSet {
    /// Linear probing. The length is zero (no labels) or a power of two at least twice the
    /// number of labels, so a probe always ends at an empty slot.
    slots: Box<[Option<Entry>]>,
    /// Positions in `slots` of the entries, sorted by key.
    order: Vec<usize>,
    /// `64 - log2(slots.len())`: a hash's home slot is its top bits.
    shift: u32,
}

#[derive(Clone)]
struct Entry {
    key: Box<str>,
    value: Box<str>,
    /// `key_hash(key)`.
    hash: u64,
    /// `head(value)`.
    head: u64,
}

impl Entry {
    fn new(key: &str, value: &str) -> Entry {
        Entry {
            key: key.into(),
            value: value.into(),
            hash: key_hash(key),
            head: head(value.as_bytes()),
        }
    }
}

impl LabelSet {
    /// An empty set.
    pub fn new() -> LabelSet {
        LabelSet::default()
    }

    /// Sets `key` to `value`, returning the previous value.
    pub fn insert(&mut self, key: &str, value: &str) -> Option<Box<str>> {
        let hash = key_hash(key);
        if let Some(slot) = self.position(key, hash)
            && let Some(entry) = &mut self.slots[slot]
        {
            entry.head = head(value.as_bytes());
            return Some(std::mem::replace(&mut entry.value, value.into()));
        }
        let mut entries = self.take_sorted();
        let at = entries.partition_point(|e| *e.key < *key);
        entries.insert(at, Entry::new(key, value));
        *self = LabelSet::from_sorted(entries);
        None
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Box<str>> {
        self.position(key, key_hash(key))?;
        let mut entries = self.take_sorted();
        let at = entries.binary_search_by(|e| (*e.key).cmp(key)).ok()?;
        let removed = entries.remove(at).value;
        *self = LabelSet::from_sorted(entries);
        Some(removed)
    }

    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key, key_hash(key)).map(|e| &*e.value)
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when there are no labels.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The labels, sorted by key.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.order.iter().map(|&slot| match &self.slots[slot] {
            Some(e) => (&*e.key, &*e.value),
            // `order` lists occupied slots only.
            None => ("", ""),
        })
    }

    /// The entry of `key`, whose hash is `hash`.
    #[inline(always)]
    fn find(&self, key: &str, hash: u64) -> Option<&Entry> {
        self.probe(key, hash).map(|(_, entry)| entry)
    }

    /// The slot holding `key`, whose hash is `hash`.
    #[inline]
    fn position(&self, key: &str, hash: u64) -> Option<usize> {
        self.probe(key, hash).map(|(slot, _)| slot)
    }

    /// The slot holding `key`, whose hash is `hash`, and its entry.
    #[inline(always)]
    fn probe(&self, key: &str, hash: u64) -> Option<(usize, &Entry)> {
        // An empty table has no slot: `get` fails at once.
        let mask = self.slots.len().wrapping_sub(1);
        let mut slot = (hash >> self.shift) as usize & mask;
        loop {
            let entry = self.slots.get(slot)?.as_ref()?;
            // For each length up to 8, `key_hash` is one-to-one (see `key_hash`): the same hash
            // and length is the same key. Longer keys are compared.
            if entry.hash == hash
                && entry.key.len() == key.len()
                && (key.len() <= 8 || bytes_eq(entry.key.as_bytes(), key.as_bytes()))
            {
                return Some((slot, entry));
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Empties the set, returning its entries sorted by key.
    fn take_sorted(&mut self) -> Vec<Entry> {
        let mut slots = std::mem::take(&mut self.slots);
        std::mem::take(&mut self.order)
            .into_iter()
            .filter_map(|slot| slots[slot].take())
            .collect()
    }

    /// A set of `entries`, which are sorted by key with unique keys.
    fn from_sorted(entries: Vec<Entry>) -> LabelSet {
        if entries.is_empty() {
            return LabelSet::default();
        }
        let len = (2 * entries.len()).next_power_of_two().max(4);
        let mask = len - 1;
        let shift = 64 - len.trailing_zeros();
        let mut slots: Box<[Option<Entry>]> = (0..len).map(|_| None).collect();
        let mut order = Vec::with_capacity(entries.len());
        for entry in entries {
            let mut slot = (entry.hash >> shift) as usize & mask;
            while slots[slot].is_some() {
                slot = (slot + 1) & mask;
            }
            slots[slot] = Some(entry);
            order.push(slot);
        }
        LabelSet {
            slots,
            order,
            shift,
        }
    }
}

impl PartialEq for LabelSet {
    fn eq(&self, other: &LabelSet) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for LabelSet {}

impl Hash for LabelSet {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        for (k, v) in self.iter() {
            k.hash(state);
            v.hash(state);
        }
    }
}

impl fmt::Debug for LabelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for LabelSet {
    /// Builds a set; for a repeated key the last value wins.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> LabelSet {
        let mut entries: Vec<Entry> = iter
            .into_iter()
            .map(|(k, v)| Entry::new(k.as_ref(), v.as_ref()))
            .collect();
        // Stable sort keeps insertion order among equal keys; keep the last of each run.
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
        for e in entries {
            match out.last_mut() {
                Some(last) if last.key == e.key => *last = e,
                _ => out.push(e),
            }
        }
        LabelSet::from_sorted(out)
    }
}

impl Labels for LabelSet {
    #[inline]
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key)
    }

    #[inline]
    fn label_of(&self, key: &Label) -> Option<&str> {
        self.find(key.as_str(), key.key_hash()).map(|e| &*e.value)
    }

    #[inline(always)]
    fn label_value_of(&self, key: &Label) -> Option<LabelValue<'_>> {
        self.find(key.as_str(), key.key_hash()).map(|e| LabelValue {
            text: &e.value,
            head: e.head,
        })
    }
}

/// Labels looked up in `.0` first, then in `.1`: an endpoint's own labels over labels it inherits
/// (Calico's label inheritance from profiles). Nest it for more than two layers.
#[derive(Clone, Copy, Debug)]
pub struct Chain<A, B>(pub A, pub B);

impl<A: Labels, B: Labels> Labels for Chain<A, B> {
    #[inline]
    fn label(&self, key: &str) -> Option<&str> {
        self.0.label(key).or_else(|| self.1.label(key))
    }

    #[inline]
    fn label_of(&self, key: &Label) -> Option<&str> {
        self.0.label_of(key).or_else(|| self.1.label_of(key))
    }

    #[inline]
    fn label_value_of(&self, key: &Label) -> Option<LabelValue<'_>> {
        self.0
            .label_value_of(key)
            .or_else(|| self.1.label_value_of(key))
    }
}

impl<L: Labels> Labels for [L] {
    /// The first layer that has the label wins (e.g. own labels, then each profile in order).
    fn label(&self, key: &str) -> Option<&str> {
        self.iter().find_map(|l| l.label(key))
    }

    fn label_of(&self, key: &Label) -> Option<&str> {
        self.iter().find_map(|l| l.label_of(key))
    }

    fn label_value_of(&self, key: &Label) -> Option<LabelValue<'_>> {
        self.iter().find_map(|l| l.label_value_of(key))
    }
}
