//! Evaluation with Calico's missing-label semantics (`ast.go` `Evaluate`). Allocation-free.

use crate::Labels;
use crate::ast::{CompareOp, Expr, ExprKind, SetOp};

impl Expr {
    /// True if this expression matches `labels`.
    ///
    /// A missing label makes `==`, `in`, `contains`, `starts with`, `ends with` and `has()` false
    /// and `!=`, `not in` true; `all()` and `global()` are always true.
    pub fn matches<L: Labels + ?Sized>(&self, labels: &L) -> bool {
        match &self.kind {
            ExprKind::All | ExprKind::Global => true,
            ExprKind::Has(label) => labels.label(label.as_str()).is_some(),
            ExprKind::Compare { label, op, value } => match labels.label(label.as_str()) {
                None => *op == CompareOp::Ne,
                Some(v) => {
                    let value = value.as_str();
                    match op {
                        CompareOp::Eq => v == value,
                        CompareOp::Ne => v != value,
                        CompareOp::Contains => v.contains(value),
                        CompareOp::StartsWith => v.starts_with(value),
                        CompareOp::EndsWith => v.ends_with(value),
                    }
                }
            },
            ExprKind::Set { label, op, values } => match labels.label(label.as_str()) {
                None => *op == SetOp::NotIn,
                Some(v) => values.contains(v) == (*op == SetOp::In),
            },
            ExprKind::Not(inner) => !inner.matches(labels),
            ExprKind::And(ops) => ops.as_slice().iter().all(|e| e.matches(labels)),
            ExprKind::Or(ops) => ops.as_slice().iter().any(|e| e.matches(labels)),
        }
    }
}
