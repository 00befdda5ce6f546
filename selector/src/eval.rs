//! Evaluation with Calico's missing-label semantics (`ast.go` `Evaluate`). Allocation-free.

use crate::Labels;
use crate::ast::{CompareOp, Expr, ExprKind, SetOp};
use crate::bytes::ends_with;

impl Expr {
    /// True if this expression matches `labels`.
    ///
    /// A missing label makes `==`, `in`, `contains`, `starts with`, `ends with` and `has()` false
    /// and `!=`, `not in` true; `all()` and `global()` are always true.
    pub fn matches<L: Labels + ?Sized>(&self, labels: &L) -> bool {
        match &self.kind {
            ExprKind::Not(inner) => !inner.matches(labels),
            ExprKind::And(ops) => ops.as_slice().iter().all(|e| operand(e, labels)),
            ExprKind::Or(ops) => ops.as_slice().iter().any(|e| operand(e, labels)),
            _ => term(self, labels).unwrap_or(false),
        }
    }
}

/// An operand of `&&` / `||`: a (possibly negated) term is evaluated in place, anything else by
/// a recursive call. Most selectors are a junction of terms, so this saves a call per term.
#[inline(always)]
fn operand<L: Labels + ?Sized>(e: &Expr, labels: &L) -> bool {
    let value = match &e.kind {
        ExprKind::Not(inner) => term(inner, labels).map(|v| !v),
        _ => term(e, labels),
    };
    match value {
        Some(v) => v,
        None => e.matches(labels),
    }
}

/// The value of a term (a function or a comparison); `None` for `!`, `&&` and `||`.
#[inline(always)]
fn term<L: Labels + ?Sized>(e: &Expr, labels: &L) -> Option<bool> {
    Some(match &e.kind {
        ExprKind::All | ExprKind::Global => true,
        ExprKind::Has(label) => labels.label_of(label).is_some(),
        ExprKind::Compare { label, op, value } => match labels.label_value_of(label) {
            None => *op == CompareOp::Ne,
            Some(v) => match op {
                CompareOp::Eq => value.equals(v),
                CompareOp::Ne => !value.equals(v),
                CompareOp::StartsWith => value.is_prefix_of(v),
                CompareOp::EndsWith => ends_with(v.text.as_bytes(), value.as_str().as_bytes()),
                CompareOp::Contains => v.text.contains(value.as_str()),
            },
        },
        ExprKind::Set { label, op, values } => match labels.label_value_of(label) {
            None => *op == SetOp::NotIn,
            Some(v) => values.contains_value(v) == (*op == SetOp::In),
        },
        ExprKind::Not(_) | ExprKind::And(_) | ExprKind::Or(_) => return None,
    })
}
