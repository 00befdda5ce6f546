//! Properties over generated selectors (10,000 cases each): canonical printing round-trips as
//! Calico's does (SEMANTICS §1.4), `!`, `&&` and `||` mean what they say, evaluation follows the
//! table of SEMANTICS §1.3 with every `Labels` implementation, and label restrictions (§1.6)
//! never exclude a label set the selector matches.

use std::collections::{BTreeMap, HashMap};

use palisade_selector::{
    CompareOp, Expr, ExprKind, Label, LabelSet, Selector, SetOp, Value, ValueSet,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

// --- generators -------------------------------------------------------------------------------
//
// Proptest's recursive strategies are slow to run in a debug build, so expressions are decoded
// from a byte string instead: every byte is a choice (node kind, label, value, arity), and a
// missing byte reads as 0, the simplest choice. Shrinking the bytes (shorter, smaller) shrinks
// the expression towards `all()`.

/// Label names the generated label sets use too, so that selectors often match; they include
/// names that start with `-`, `.`, `/`, `_` or a digit.
const LABELS: &[&str] = &["a", "b", "app", "x.y/z-1", "_9", "-", ".", "9", "/p"];

/// Every byte a label may hold.
const LABEL_BYTES: &[u8] = b"abcxyzABCXYZ0189_./-";

/// Values that share prefixes, suffixes and substrings, with either quote.
const VALUES: &[&str] = &["", "v", "w", "vw", "web", "we", "eb", "'", "\""];

/// Characters for free-form values: a line break, a tab, non-ASCII, punctuation. A free-form
/// value gets one kind of quote added.
const VALUE_CHARS: &[char] = &[
    'a', 'b', 'v', ' ', '\n', '\t', 'é', '日', '!', '{', ',', ')',
];

struct Decoder<'a> {
    bytes: &'a [u8],
}

impl Decoder<'_> {
    fn byte(&mut self) -> usize {
        match self.bytes.split_first() {
            Some((&b, rest)) => {
                self.bytes = rest;
                usize::from(b)
            }
            None => 0,
        }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.byte() % items.len()]
    }

    fn expr(&mut self, depth: usize) -> Expr {
        let choice = self.byte() % 8;
        if depth == 0 || choice < 3 {
            return self.leaf();
        }
        match choice {
            3 => Expr::negate(self.expr(depth - 1)),
            4 | 5 => Expr::and(self.operands(depth)).expect("two or more"),
            _ => Expr::or(self.operands(depth)).expect("two or more"),
        }
    }

    /// A junction (or a single term) of possibly negated leaves: the shape `Selector` evaluates
    /// by its flat plan.
    fn flat(&mut self) -> Expr {
        let n = 1 + self.byte() % 6;
        let ops: Vec<Expr> = (0..n)
            .map(|_| {
                let leaf = self.leaf();
                if self.byte().is_multiple_of(3) {
                    Expr::negate(leaf)
                } else {
                    leaf
                }
            })
            .collect();
        match (ops.len(), self.byte() % 2) {
            (1, _) => ops.into_iter().next().expect("one operand"),
            (_, 0) => Expr::and(ops).expect("two or more"),
            _ => Expr::or(ops).expect("two or more"),
        }
    }

    fn operands(&mut self, depth: usize) -> Vec<Expr> {
        let n = 2 + self.byte() % 3;
        (0..n).map(|_| self.expr(depth - 1)).collect()
    }

    fn leaf(&mut self) -> Expr {
        match self.byte() % 5 {
            0 => Expr::all(),
            1 => Expr::global(),
            2 => Expr::has(self.label()),
            3 => {
                let label = self.label();
                let op = self.pick(&[
                    CompareOp::Eq,
                    CompareOp::Ne,
                    CompareOp::Contains,
                    CompareOp::StartsWith,
                    CompareOp::EndsWith,
                ]);
                Expr::compare(label, op, self.value())
            }
            _ => {
                let label = self.label();
                let op = self.pick(&[SetOp::In, SetOp::NotIn]);
                // Empty sets and repeated values included.
                let n = self.byte() % 5;
                let values: Vec<Value> = (0..n).map(|_| self.value()).collect();
                Expr::set(label, op, ValueSet::new(values))
            }
        }
    }

    fn label(&mut self) -> Label {
        let name = match self.byte() % 16 {
            // Any legal name.
            13 | 14 => {
                let n = 1 + self.byte() % 12;
                (0..n).map(|_| char::from(self.pick(LABEL_BYTES))).collect()
            }
            // Long names, up to the 512-byte maximum.
            15 => "l".repeat(500 + self.byte() % 13),
            _ => self.pick(LABELS).to_owned(),
        };
        Label::new(&name).expect("generated labels are legal")
    }

    fn value(&mut self) -> Value {
        let text: String = match self.byte() % 8 {
            6 | 7 => {
                let n = self.byte() % 6;
                let quote = if self.byte().is_multiple_of(2) {
                    '\''
                } else {
                    '"'
                };
                let mut chars: Vec<char> = (0..n).map(|_| self.pick(VALUE_CHARS)).collect();
                chars.insert(self.byte() % (n + 1), quote);
                chars.into_iter().collect()
            }
            _ => self.pick(VALUES).to_owned(),
        };
        Value::new(&text).expect("one kind of quote at most")
    }
}

/// Expressions of every node kind: all leaves (sets may be empty), `!` (also directly over
/// `!`), and `&&` / `||` with two to four operands, nested up to four levels.
fn expr() -> impl Strategy<Value = Expr> {
    vec(any::<u8>(), 0..160).prop_map(|bytes| Decoder { bytes: &bytes }.expr(4))
}

/// Junctions of possibly negated leaves (see `Decoder::flat`).
fn flat_expr() -> impl Strategy<Value = Expr> {
    vec(any::<u8>(), 0..80).prop_map(|bytes| Decoder { bytes: &bytes }.flat())
}

/// Label sets over the names and values the expressions use.
fn label_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    vec(any::<u8>(), 0..12).prop_map(|bytes| {
        let mut d = Decoder { bytes: &bytes };
        let n = d.byte() % 6;
        (0..n)
            .map(|_| {
                let key = if d.byte() % 8 == 7 {
                    "other"
                } else {
                    d.pick(LABELS)
                };
                (key.to_owned(), d.value().as_str().to_owned())
            })
            .collect()
    })
}

// --- oracles ----------------------------------------------------------------------------------

/// SEMANTICS §1.3, written out directly over a map.
fn reference_matches(e: &Expr, labels: &BTreeMap<String, String>) -> bool {
    match &e.kind {
        ExprKind::All | ExprKind::Global => true,
        ExprKind::Has(l) => labels.contains_key(l.as_str()),
        ExprKind::Compare { label, op, value } => match labels.get(label.as_str()) {
            None => *op == CompareOp::Ne,
            Some(v) => {
                let x = value.as_str();
                match op {
                    CompareOp::Eq => v == x,
                    CompareOp::Ne => v != x,
                    CompareOp::Contains => v.contains(x),
                    CompareOp::StartsWith => v.starts_with(x),
                    CompareOp::EndsWith => v.ends_with(x),
                }
            }
        },
        ExprKind::Set { label, op, values } => match labels.get(label.as_str()) {
            None => *op == SetOp::NotIn,
            Some(v) => values.values().iter().any(|x| x.as_str() == v) == (*op == SetOp::In),
        },
        ExprKind::Not(inner) => !reference_matches(inner, labels),
        ExprKind::And(ops) => ops.as_slice().iter().all(|o| reference_matches(o, labels)),
        ExprKind::Or(ops) => ops.as_slice().iter().any(|o| reference_matches(o, labels)),
    }
}

/// True if `e` has a `!` directly over a `!`: it prints as `!!…`, which re-parses with the two
/// negations collapsed (the one case where Calico's canonical form is not stable, §1.4).
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
        ExprKind::And(ops) => {
            Expr::and(ops.as_slice().iter().map(collapse_negations).collect()).expect("same arity")
        }
        ExprKind::Or(ops) => {
            Expr::or(ops.as_slice().iter().map(collapse_negations).collect()).expect("same arity")
        }
        _ => e.clone(),
    }
}

fn parse(text: &str) -> Selector {
    Selector::parse(text).unwrap_or_else(|err| panic!("{text:?} must parse: {err}"))
}

// --- properties -------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig {
        // Failing cases are saved beside this file, as `properties.regressions`.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::with_cases(10_000)
    })]

    /// print → parse gives back the same tree and the same text, except that `!!` collapses
    /// (SEMANTICS §1.4); after that one round the form is stable.
    #[test]
    fn print_parse_print_is_stable_except_double_negation(e in expr()) {
        let printed = e.to_string();
        let parsed = parse(&printed);
        prop_assert_eq!(parsed.expr(), &collapse_negations(&e));
        let reprinted = parsed.to_string();
        if has_double_negation(&e) {
            prop_assert_ne!(&reprinted, &printed);
        } else {
            prop_assert_eq!(&reprinted, &printed);
            let built = Selector::from_expr(e.clone());
            prop_assert_eq!(parsed.unique_id(), built.unique_id());
        }
        prop_assert_eq!(parse(&reprinted).to_string(), reprinted);
    }

    /// Evaluation follows SEMANTICS §1.3 with every `Labels` implementation.
    #[test]
    fn evaluation_follows_the_semantics_table(e in expr(), pairs in label_pairs()) {
        let map: BTreeMap<String, String> = pairs.iter().cloned().collect();
        let expected = reference_matches(&e, &map);
        let set: LabelSet = pairs.iter().cloned().collect();
        let hash: HashMap<String, String> = pairs.iter().cloned().collect();
        prop_assert_eq!(e.matches(&set), expected);
        prop_assert_eq!(e.matches(&map), expected);
        prop_assert_eq!(e.matches(&hash), expected);
        prop_assert_eq!(parse(&e.to_string()).matches(&set), expected);
        let built = Selector::from_expr(e.clone());
        prop_assert_eq!(built.matches(&set), expected);
        prop_assert_eq!(built.matches(&map), expected);
    }

    /// A `Selector` evaluates junctions of (negated) label tests by a flat plan; it gives the
    /// semantics table's result with every `Labels` implementation.
    #[test]
    fn flat_junctions_follow_the_semantics_table(e in flat_expr(), pairs in label_pairs()) {
        let map: BTreeMap<String, String> = pairs.iter().cloned().collect();
        let expected = reference_matches(&e, &map);
        let set: LabelSet = pairs.iter().cloned().collect();
        let hash: HashMap<String, String> = pairs.iter().cloned().collect();
        let sel = parse(&e.to_string());
        prop_assert_eq!(sel.matches(&set), expected);
        prop_assert_eq!(sel.matches(&map), expected);
        prop_assert_eq!(sel.matches(&hash), expected);
        prop_assert_eq!(Selector::from_expr(e).matches(&set), expected);
    }

    /// `!(s)` and `!s` (printed text, so `!!` collapses) invert `s` on any labels.
    #[test]
    fn negation_inverts(e in expr(), pairs in label_pairs()) {
        let labels: LabelSet = pairs.into_iter().collect();
        let s = e.matches(&labels);
        prop_assert_eq!(parse(&format!("!({e})")).matches(&labels), !s);
        prop_assert_eq!(parse(&format!("!{e}")).matches(&labels), !s);
        prop_assert_eq!(parse(&format!("!!{e}")).matches(&labels), s);
    }

    /// `a && b` matches iff both match; `a || b` iff either does.
    #[test]
    fn and_or_combine(a in expr(), b in expr(), pairs in label_pairs()) {
        let labels: LabelSet = pairs.into_iter().collect();
        let (ma, mb) = (a.matches(&labels), b.matches(&labels));
        prop_assert_eq!(parse(&format!("({a}) && ({b})")).matches(&labels), ma && mb);
        prop_assert_eq!(parse(&format!("{a} || {b}")).matches(&labels), ma || mb);
        let sa = Selector::from_expr(a);
        prop_assert_eq!(sa.and(&Selector::from_expr(b)).matches(&labels), ma && mb);
    }

    /// Whenever a selector matches, every label restriction it implies holds; a restriction
    /// that cannot be satisfied means it matches nothing.
    #[test]
    fn label_restrictions_never_exclude_a_match(e in expr(), sets in vec(label_pairs(), 4)) {
        let restrictions = e.label_restrictions();
        for pairs in sets {
            let labels: LabelSet = pairs.into_iter().collect();
            if !e.matches(&labels) {
                continue;
            }
            prop_assert!(restrictions.possible_to_satisfy());
            for (name, r) in restrictions.iter() {
                let v = labels.get(name);
                prop_assert!(!r.must_be_present || v.is_some(), "{} must be present", name);
                prop_assert!(!r.must_be_absent || v.is_none(), "{} must be absent", name);
                if let (Some(allowed), Some(v)) = (&r.must_have_one_of_values, v) {
                    prop_assert!(allowed.contains(v), "{}={:?} not in {:?}", name, v, allowed);
                }
            }
        }
    }
}
