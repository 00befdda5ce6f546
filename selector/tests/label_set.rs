//! `LabelSet` behaves as a sorted map of strings, whatever the order of inserts and removals,
//! and a parsed selector finds its labels in it.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, RandomState};

use palisade_selector::{LabelSet, Labels, Selector};
use proptest::collection::vec;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Insert(String, String),
    Remove(String),
}

const KEYS: &[&str] = &[
    "a", "b", "app", "tier", "x.y/z", "k8s-app", "-", "9", "ab", "ba",
];

/// A key from the pool, or a made-up one; a made-up one is a pair of pool keys, so that probes
/// meet it too.
fn key(b: &mut impl Iterator<Item = u8>) -> String {
    let mut next = || usize::from(b.next().unwrap_or(0));
    match next() % 4 {
        3 => format!(
            "{}.{}",
            KEYS[next() % KEYS.len()],
            KEYS[next() % KEYS.len()]
        ),
        _ => KEYS[next() % KEYS.len()].to_owned(),
    }
}

/// Operations decoded from bytes (cheap to generate in a debug build; shrinks with the bytes).
fn ops() -> impl Strategy<Value = Vec<Op>> {
    vec(any::<u8>(), 0..160).prop_map(|bytes| {
        let mut b = bytes.into_iter();
        let mut ops = Vec::new();
        while let Some(choice) = b.next() {
            let k = key(&mut b);
            ops.push(match choice % 4 {
                3 => Op::Remove(k),
                _ => Op::Insert(k, "v".repeat(usize::from(b.next().unwrap_or(0) % 3))),
            });
        }
        ops
    })
}

fn probes() -> impl Strategy<Value = Vec<String>> {
    vec(any::<u8>(), 0..16).prop_map(|bytes| {
        let mut b = bytes.into_iter().peekable();
        let mut keys = Vec::new();
        while b.peek().is_some() {
            keys.push(key(&mut b));
        }
        keys
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn behaves_as_a_sorted_map(ops in ops(), probes in probes()) {
        let mut set = LabelSet::new();
        let mut model: BTreeMap<String, String> = BTreeMap::new();
        for op in &ops {
            match op {
                Op::Insert(k, v) => {
                    let got = set.insert(k, v).map(String::from);
                    prop_assert_eq!(got, model.insert(k.clone(), v.clone()));
                }
                Op::Remove(k) => {
                    let got = set.remove(k).map(String::from);
                    prop_assert_eq!(got, model.remove(k));
                }
            }
            prop_assert_eq!(set.len(), model.len());
        }
        let listed: Vec<(&str, &str)> = set.iter().collect();
        let expected: Vec<(&str, &str)> =
            model.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        prop_assert_eq!(&listed, &expected);
        for k in model.keys().chain(&probes) {
            prop_assert_eq!(set.get(k), model.get(k).map(String::as_str));
            prop_assert_eq!(set.label(k), model.get(k).map(String::as_str));
            // Through a parsed label, which carries its hash.
            let sel = Selector::parse(&format!("has({k})")).unwrap();
            prop_assert_eq!(sel.matches(&set), model.contains_key(k));
        }
        // Built in one go from the final contents: equal, and hashing equal.
        let rebuilt: LabelSet = model.iter().rev().collect();
        prop_assert_eq!(&rebuilt, &set);
        let state = RandomState::new();
        prop_assert_eq!(state.hash_one(&rebuilt), state.hash_one(&set));
    }
}

#[test]
fn many_labels_with_similar_names() {
    let set: LabelSet = (0..1000)
        .map(|i| (format!("example.com/label-{i}"), format!("{i}")))
        .collect();
    assert_eq!(set.len(), 1000);
    for i in 0..1000 {
        let key = format!("example.com/label-{i}");
        assert_eq!(set.get(&key), Some(i.to_string().as_str()));
        let sel = Selector::parse(&format!("{key} == '{i}'")).unwrap();
        assert!(sel.matches(&set));
    }
    assert_eq!(set.get("example.com/label-1000"), None);
    assert_eq!(set.get("example.com/label-"), None);
    assert!(LabelSet::new().get("a").is_none());
    assert!(!Selector::parse("has(a)").unwrap().matches(&LabelSet::new()));
}
