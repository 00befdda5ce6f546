//! Label sources a selector can be evaluated against.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

/// Anything that can answer "what is the value of label `key`?".
///
/// Evaluation calls only this, so it never allocates. Implemented for `BTreeMap` and `HashMap`
/// with string keys and values, for [`LabelSet`], for references, and for [`Chain`] (own labels
/// first, then inherited ones).
pub trait Labels {
    /// The value of label `key`, or `None` if the label is absent.
    fn label(&self, key: &str) -> Option<&str>;
}

impl<T: Labels + ?Sized> Labels for &T {
    #[inline]
    fn label(&self, key: &str) -> Option<&str> {
        (**self).label(key)
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

/// A compact label set: entries sorted by key in one vector, looked up by binary search.
///
/// The right shape for endpoint labels, which are few, read often and rarely changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LabelSet {
    entries: Vec<(Box<str>, Box<str>)>,
}

impl LabelSet {
    /// An empty set.
    pub fn new() -> LabelSet {
        LabelSet::default()
    }

    /// Sets `key` to `value`, returning the previous value.
    pub fn insert(&mut self, key: &str, value: &str) -> Option<Box<str>> {
        match self.find(key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value.into())),
            Err(i) => {
                self.entries.insert(i, (key.into(), value.into()));
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Box<str>> {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key).ok().map(|i| &*self.entries[i].1)
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no labels.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The labels, sorted by key.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (&**k, &**v))
    }

    #[inline]
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| (**k).cmp(key))
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for LabelSet {
    /// Builds a set; for a repeated key the last value wins.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> LabelSet {
        let mut entries: Vec<(Box<str>, Box<str>)> = iter
            .into_iter()
            .map(|(k, v)| (k.as_ref().into(), v.as_ref().into()))
            .collect();
        // Stable sort keeps insertion order among equal keys; keep the last of each run.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Box<str>, Box<str>)> = Vec::with_capacity(entries.len());
        for e in entries {
            match out.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => out.push(e),
            }
        }
        LabelSet { entries: out }
    }
}

impl Labels for LabelSet {
    #[inline]
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key)
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
}

impl<L: Labels> Labels for [L] {
    /// The first layer that has the label wins (e.g. own labels, then each profile in order).
    fn label(&self, key: &str) -> Option<&str> {
        self.iter().find_map(|l| l.label(key))
    }
}
