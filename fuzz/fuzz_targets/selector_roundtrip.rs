//! Parse arbitrary text as a selector. Whatever the input: no panic, `validate` agrees with
//! `parse`, an error's span lies inside the input and its message renders. For every accepted
//! selector: the canonical form parses (with the same limits) to the same tree, except that
//! `!!` collapses by parity (SEMANTICS §1.4), after which printing is stable; both trees agree
//! on every label set built from the selector's own labels and values, with `LabelSet` and
//! `BTreeMap` alike, and so do the selector's flat evaluation plan and the tree walk; and the label restrictions never exclude a label set that matches.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use palisade_selector::{Expr, ExprKind, LabelSet, Selector};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
});

fn check(text: &str) {
    let parsed = Selector::parse(text);
    assert_eq!(parsed.is_ok(), Selector::validate(text).is_ok(), "{text:?}");
    let sel = match parsed {
        Ok(sel) => sel,
        Err(e) => {
            assert!(e.span().start <= e.span().end && e.span().end <= text.len());
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let printed = sel.to_string();
    assert_eq!(printed, sel.canonical());
    let again = Selector::parse(&printed)
        .unwrap_or_else(|e| panic!("canonical form {printed:?} of {text:?} fails: {e}"));
    if has_double_negation(sel.expr()) {
        assert_eq!(again.expr(), &collapse_negations(sel.expr()), "{text:?}");
        let third = Selector::parse(&again.to_string()).expect("stable after one round");
        assert_eq!(third.to_string(), again.to_string(), "{text:?}");
    } else {
        assert_eq!(again.expr(), sel.expr(), "{text:?}");
        assert_eq!(again.to_string(), printed, "{text:?}");
        assert_eq!(again.unique_id(), sel.unique_id());
    }
    let restrictions = sel.label_restrictions();
    for labels in label_sets(sel.expr()) {
        let set: LabelSet = labels.iter().collect();
        let matched = sel.matches(&set);
        assert_eq!(matched, sel.matches(&labels), "{text:?} on {labels:?}");
        // `Selector::matches` may use its flat plan; the tree walk must agree.
        assert_eq!(matched, sel.expr().matches(&set), "{text:?} on {labels:?}");
        assert_eq!(matched, again.matches(&set), "{text:?} on {labels:?}");
        if matched {
            for (name, r) in restrictions.iter() {
                let v = labels.get(name);
                assert!(!r.must_be_present || v.is_some(), "{text:?} {labels:?}");
                assert!(!r.must_be_absent || v.is_none(), "{text:?} {labels:?}");
                if let (Some(values), Some(v)) = (&r.must_have_one_of_values, v) {
                    assert!(values.contains(v), "{text:?} {labels:?}");
                }
            }
        }
    }
}

/// Label sets made of the selector's labels and values: none; each label set to the first value
/// of the selector, to the last, to the empty string; and, cycling, a different value for each
/// label (so that both `==` and `!=` hold somewhere).
fn label_sets(expr: &Expr) -> Vec<BTreeMap<String, String>> {
    let mut labels = Vec::new();
    let mut values = Vec::new();
    collect(expr, &mut labels, &mut values);
    labels.sort();
    labels.dedup();
    values.push(String::new());
    let mut sets = vec![BTreeMap::new()];
    for pick in [0, values.len() - 1] {
        sets.push(
            labels
                .iter()
                .map(|l| (l.clone(), values[pick].clone()))
                .collect(),
        );
    }
    for shift in 0..values.len().min(4) {
        sets.push(
            labels
                .iter()
                .enumerate()
                .filter(|(i, _)| (i + shift) % 3 != 2)
                .map(|(i, l)| (l.clone(), values[(i + shift) % values.len()].clone()))
                .collect(),
        );
    }
    sets
}

fn collect(expr: &Expr, labels: &mut Vec<String>, values: &mut Vec<String>) {
    match &expr.kind {
        ExprKind::All | ExprKind::Global => {}
        ExprKind::Has(l) => labels.push(l.as_str().to_owned()),
        ExprKind::Compare { label, value, .. } => {
            labels.push(label.as_str().to_owned());
            values.push(value.as_str().to_owned());
        }
        ExprKind::Set {
            label, values: set, ..
        } => {
            labels.push(label.as_str().to_owned());
            values.extend(set.values().iter().map(|v| v.as_str().to_owned()));
        }
        ExprKind::Not(inner) => collect(inner, labels, values),
        ExprKind::And(ops) | ExprKind::Or(ops) => {
            for op in ops.as_slice() {
                collect(op, labels, values);
            }
        }
    }
}

/// True if a `!` stands directly over a `!` somewhere: it prints as `!!`, which re-parses with
/// both negations gone.
fn has_double_negation(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Not(inner) => {
            matches!(inner.kind, ExprKind::Not(_)) || has_double_negation(inner)
        }
        ExprKind::And(ops) | ExprKind::Or(ops) => ops.as_slice().iter().any(has_double_negation),
        _ => false,
    }
}

/// `e` with every run of `!` collapsed by parity, as parsing its printed form does.
fn collapse_negations(e: &Expr) -> Expr {
    match &e.kind {
        ExprKind::Not(inner) => match &inner.kind {
            ExprKind::Not(innermost) => collapse_negations(innermost),
            _ => Expr::negate(collapse_negations(inner)),
        },
        ExprKind::And(ops) => Expr::and(ops.as_slice().iter().map(collapse_negations).collect())
            .expect("same number of operands"),
        ExprKind::Or(ops) => Expr::or(ops.as_slice().iter().map(collapse_negations).collect())
            .expect("same number of operands"),
        _ => e.clone(),
    }
}
