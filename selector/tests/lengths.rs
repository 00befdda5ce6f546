//! Evaluation compares keys and values of up to 8 bytes as words and longer ones byte by byte:
//! every operator, against keys and values of every length up to 20 that share prefixes and
//! differ at each position, agrees with `str`'s own comparisons.

use std::collections::BTreeMap;

use palisade_selector::{CompareOp, Expr, Label, LabelSet, Labels, SetOp, Value, ValueSet};

/// Every prefix of a 20-byte string, and each prefix with one byte changed (at every position).
fn family() -> Vec<String> {
    let base = "abcdefghijklmnopqrst";
    let mut out = Vec::new();
    for n in 0..=base.len() {
        out.push(base[..n].to_owned());
        for at in 0..n {
            let mut changed = base[..n].to_owned().into_bytes();
            changed[at] = b'Z';
            out.push(String::from_utf8(changed).expect("ASCII"));
        }
    }
    out
}

fn expected(op: CompareOp, value: &str, literal: &str) -> bool {
    match op {
        CompareOp::Eq => value == literal,
        CompareOp::Ne => value != literal,
        CompareOp::StartsWith => value.starts_with(literal),
        CompareOp::EndsWith => value.ends_with(literal),
        CompareOp::Contains => value.contains(literal),
    }
}

const OPS: [CompareOp; 5] = [
    CompareOp::Eq,
    CompareOp::Ne,
    CompareOp::StartsWith,
    CompareOp::EndsWith,
    CompareOp::Contains,
];

/// Checks every operator for every value against every literal, with labels from `labels_of`.
fn check_values<L: Labels>(labels_of: impl Fn(&str) -> L) {
    let family = family();
    let key = Label::new("k").expect("legal");
    for value in &family {
        let labels = labels_of(value);
        for literal in &family {
            let lit = Value::new(literal).expect("no quotes");
            for op in OPS {
                let e = Expr::compare(key.clone(), op, lit.clone());
                assert_eq!(
                    e.matches(&labels),
                    expected(op, value, literal),
                    "{value:?} {} {literal:?}",
                    op.as_str()
                );
            }
            // A set of one, a short linear set and a set large enough to be searched.
            for extra in [0, 3, 12] {
                let members: Vec<Value> = std::iter::once(lit.clone())
                    .chain((0..extra).map(|i| Value::new(&format!("{literal}{i}")).expect("ok")))
                    .collect();
                let set = ValueSet::new(members);
                for op in [SetOp::In, SetOp::NotIn] {
                    let e = Expr::set(key.clone(), op, set.clone());
                    let inside = set.values().iter().any(|m| m.as_str() == value);
                    assert_eq!(
                        e.matches(&labels),
                        inside == (op == SetOp::In),
                        "{value:?} {} {set:?}",
                        op.as_str()
                    );
                }
            }
        }
    }
}

#[test]
fn values_of_every_length_compare_as_strings_in_a_label_set() {
    check_values(|value| [("k", value)].into_iter().collect::<LabelSet>());
}

#[test]
fn values_of_every_length_compare_as_strings_in_a_map() {
    check_values(|value| BTreeMap::from([("k".to_owned(), value.to_owned())]));
}

#[test]
fn keys_of_every_length_are_found_exactly() {
    let family = family();
    let keys: Vec<&String> = family.iter().filter(|k| !k.is_empty()).collect();
    // Every other key is present, valued by itself; the rest are absent.
    let present: Vec<&String> = keys.iter().copied().step_by(2).collect();
    let set: LabelSet = present.iter().map(|k| (k.as_str(), k.as_str())).collect();
    assert_eq!(set.len(), present.len());
    for (i, key) in keys.iter().enumerate() {
        let is_present = i % 2 == 0;
        let label = Label::new(key).expect("legal");
        assert_eq!(
            Expr::has(label.clone()).matches(&set),
            is_present,
            "{key:?}"
        );
        let eq = Expr::compare(label, CompareOp::Eq, Value::new(key).expect("ok"));
        assert_eq!(eq.matches(&set), is_present, "{key:?}");
        assert_eq!(set.get(key), is_present.then_some(key.as_str()), "{key:?}");
    }
    assert_eq!(set.get(""), None);
    let with_empty: LabelSet = [("", "e"), ("a", "x")].into_iter().collect();
    assert_eq!(with_empty.get(""), Some("e"));
    assert_eq!(with_empty.get("a"), Some("x"));
}
