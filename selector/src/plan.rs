//! A flat evaluation plan for the commonest selector shape: a junction (`&&` or `||`) of label
//! tests, or a single one, each possibly negated.
//!
//! Most selectors in real policies have this shape (`app == 'web' && tier in {…} && !has(x)`).
//! [`Expr::matches`] walks the tree and dispatches on each node's kind, unwrapping `!` as it
//! goes; a plan has done that once, when the selector was built: each check is a label, a test
//! and whether to negate the result. The result is exactly the tree's: every test's
//! missing-label rule is "false", and the operators whose missing-label result is "true" (`!=`,
//! `not in`) are the negations of `==` and `in` (SEMANTICS §1.3), so a missing label gives
//! `negate` in every case.

use crate::ast::{CompareOp, Expr, ExprKind, Label, SetOp, Value, ValueSet};
use crate::bytes::ends_with;
use crate::labels::Labels;

/// A selector's checks and how they combine.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// True for `||` (any check), false for `&&` and a single check (every check).
    any: bool,
    /// The checks, in the expression's order.
    checks: Box<[Check]>,
}

/// One label test, possibly negated.
#[derive(Clone, Debug)]
struct Check {
    label: Label,
    test: Test,
    /// Invert the test's result (and the missing-label result, false, with it).
    negate: bool,
}

/// What a check asks of a present label's value.
#[derive(Clone, Debug)]
enum Test {
    /// `has(label)`: present.
    Present,
    /// `==` (`!=` negated).
    Equals(Value),
    /// `starts with`.
    StartsWith(Value),
    /// `ends with`.
    EndsWith(Value),
    /// `contains`.
    Contains(Value),
    /// `in` (`not in` negated).
    In(ValueSet),
}

impl Plan {
    /// The plan for `expr`, if it has the shape a plan covers.
    pub(crate) fn of(expr: &Expr) -> Option<Plan> {
        let (any, operands) = match &expr.kind {
            ExprKind::And(ops) => (false, ops.as_slice()),
            ExprKind::Or(ops) => (true, ops.as_slice()),
            _ => (false, std::slice::from_ref(expr)),
        };
        let checks = operands
            .iter()
            .map(Check::of)
            .collect::<Option<Box<[Check]>>>()?;
        Some(Plan { any, checks })
    }

    /// True if the selector matches `labels`; the same result as [`Expr::matches`] on the
    /// expression the plan was made from.
    #[inline]
    pub(crate) fn matches<L: Labels + ?Sized>(&self, labels: &L) -> bool {
        if self.any {
            self.checks.iter().any(|c| c.matches(labels))
        } else {
            self.checks.iter().all(|c| c.matches(labels))
        }
    }
}

impl Check {
    /// The check for a (possibly negated) label test; `None` for anything else.
    fn of(expr: &Expr) -> Option<Check> {
        let (inner, negate) = match &expr.kind {
            ExprKind::Not(inner) => (&**inner, true),
            _ => (expr, false),
        };
        let (label, test, flip) = match &inner.kind {
            ExprKind::Has(label) => (label, Test::Present, false),
            ExprKind::Compare { label, op, value } => {
                let value = value.clone();
                match op {
                    CompareOp::Eq => (label, Test::Equals(value), false),
                    CompareOp::Ne => (label, Test::Equals(value), true),
                    CompareOp::StartsWith => (label, Test::StartsWith(value), false),
                    CompareOp::EndsWith => (label, Test::EndsWith(value), false),
                    CompareOp::Contains => (label, Test::Contains(value), false),
                }
            }
            ExprKind::Set { label, op, values } => {
                (label, Test::In(values.clone()), *op == SetOp::NotIn)
            }
            ExprKind::All
            | ExprKind::Global
            | ExprKind::Not(_)
            | ExprKind::And(_)
            | ExprKind::Or(_) => return None,
        };
        Some(Check {
            label: label.clone(),
            test,
            negate: negate != flip,
        })
    }

    #[inline(always)]
    fn matches<L: Labels + ?Sized>(&self, labels: &L) -> bool {
        let found = match labels.label_value_of(&self.label) {
            None => false,
            Some(v) => match &self.test {
                Test::Present => true,
                Test::Equals(value) => value.equals(v),
                Test::StartsWith(value) => value.is_prefix_of(v),
                Test::EndsWith(value) => ends_with(v.text.as_bytes(), value.as_str().as_bytes()),
                Test::Contains(value) => v.text.contains(value.as_str()),
                Test::In(values) => values.contains_value(v),
            },
        };
        found != self.negate
    }
}

#[cfg(test)]
mod tests {
    use super::Plan;
    use crate::Selector;
    use std::collections::BTreeMap;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Evaluates `text` both ways on `l` and returns the plan's result.
    fn both(text: &str, l: &BTreeMap<String, String>) -> bool {
        let sel = Selector::parse(text).expect("valid selector");
        let plan = Plan::of(sel.expr()).expect("a plan for this shape");
        let by_plan = plan.matches(l);
        assert_eq!(by_plan, sel.expr().matches(l), "{text} on {l:?}");
        by_plan
    }

    #[test]
    fn covers_junctions_of_possibly_negated_tests_only() {
        for text in [
            "a == 'x'",
            "!has(a)",
            "a == 'x' && b != 'y' && !(c in {'p','q'})",
            "a starts with 'x' || b ends with 'y' || c contains 'z' || d not in {'1'}",
        ] {
            let sel = Selector::parse(text).expect("valid selector");
            assert!(Plan::of(sel.expr()).is_some(), "{text}");
        }
        for text in [
            "all()",
            "global()",
            "a == 'x' && all()",
            "a == 'x' && (b == 'y' || c == 'z')",
            "!(a == 'x' && b == 'y')",
        ] {
            let sel = Selector::parse(text).expect("valid selector");
            assert!(Plan::of(sel.expr()).is_none(), "{text}");
        }
    }

    #[test]
    fn missing_labels_follow_calico() {
        let none = labels(&[]);
        // Missing: ==, in, has, starts/ends with, contains are false; != and not in are true.
        assert!(!both("a == 'x'", &none));
        assert!(both("a != 'x'", &none));
        assert!(!both("a in {'x'}", &none));
        assert!(both("a not in {'x'}", &none));
        assert!(!both("has(a)", &none));
        assert!(both("!has(a)", &none));
        assert!(!both("a starts with 'x'", &none));
        assert!(both("!(a starts with 'x')", &none));
        assert!(!both("a ends with 'x'", &none));
        assert!(!both("a contains 'x'", &none));
        assert!(!both("!(a != 'x')", &none));
        assert!(!both("!(a not in {'x'})", &none));
    }

    #[test]
    fn present_labels_and_junctions() {
        let l = labels(&[("a", "xyz"), ("b", "y")]);
        assert!(both("a == 'xyz' && b != 'z' && !has(c)", &l));
        assert!(!both("a == 'xyz' && b != 'y'", &l));
        assert!(both("a == 'q' || b in {'x','y'}", &l));
        assert!(!both("a == 'q' || c in {'x','y'}", &l));
        assert!(both(
            "a starts with 'xy' && a ends with 'yz' && a contains 'y'",
            &l
        ));
        assert!(!both("!(a contains 'y')", &l));
    }
}
