//! Calico's canonical form (`Selector.String()`, `ast.go` `collectFragments`).
//!
//! `all()`, `global()`, `has(k)`; comparisons `k == "v"` with single spaces; sets
//! `k in {"a", "b"}`; a value is quoted with `"` unless it contains `"`, then with `'`; `!` is
//! written right before its operand; every `&&` / `||` node is parenthesised, even at the top.

use std::fmt::{self, Write};

use crate::ast::{Expr, ExprKind, Operands, Value};

impl fmt::Display for Expr {
    /// Calico's canonical form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, self)
    }
}

impl Expr {
    /// The canonical form as a `String`, written without the formatting machinery.
    pub(crate) fn canonical_string(&self, capacity: usize) -> String {
        let mut out = String::with_capacity(capacity);
        // Writing to a `String` cannot fail.
        let _ = write_expr(&mut out, self);
        out
    }
}

/// Writes `expr` in canonical form.
pub(crate) fn write_expr<W: Write + ?Sized>(w: &mut W, expr: &Expr) -> fmt::Result {
    match &expr.kind {
        ExprKind::All => w.write_str("all()"),
        ExprKind::Global => w.write_str("global()"),
        ExprKind::Has(label) => {
            w.write_str("has(")?;
            w.write_str(label.as_str())?;
            w.write_char(')')
        }
        ExprKind::Compare { label, op, value } => {
            w.write_str(label.as_str())?;
            w.write_char(' ')?;
            w.write_str(op.as_str())?;
            w.write_char(' ')?;
            write_value(w, value)
        }
        ExprKind::Set { label, op, values } => {
            w.write_str(label.as_str())?;
            w.write_char(' ')?;
            w.write_str(op.as_str())?;
            w.write_str(" {")?;
            for (i, v) in values.values().iter().enumerate() {
                if i > 0 {
                    w.write_str(", ")?;
                }
                write_value(w, v)?;
            }
            w.write_char('}')
        }
        ExprKind::Not(inner) => {
            w.write_char('!')?;
            write_expr(w, inner)
        }
        ExprKind::And(ops) => write_junction(w, ops, " && "),
        ExprKind::Or(ops) => write_junction(w, ops, " || "),
    }
}

/// A string literal: quoted with `"`, or with `'` when the value contains `"`.
pub(crate) fn write_value<W: Write + ?Sized>(w: &mut W, value: &Value) -> fmt::Result {
    let text = value.as_str();
    let quote = if text.contains('"') { '\'' } else { '"' };
    w.write_char(quote)?;
    w.write_str(text)?;
    w.write_char(quote)
}

fn write_junction<W: Write + ?Sized>(w: &mut W, ops: &Operands, sep: &str) -> fmt::Result {
    w.write_char('(')?;
    for (i, e) in ops.as_slice().iter().enumerate() {
        if i > 0 {
            w.write_str(sep)?;
        }
        write_expr(w, e)?;
    }
    w.write_char(')')
}
