//! Label-restriction analysis (`ast.go` `LabelRestrictions`): per label, whether a selector can
//! only match when the label is present, absent, or has one of a set of values. An index uses it
//! to avoid evaluating every selector against every endpoint; it is an over-approximation, never
//! needed for correctness.
//!
//! Rules: `==`, `in`, `has`, `contains`, `starts with` and `ends with` imply presence (`==` and
//! `in` also the values); `!has(l)` implies absence; `!=`, `not in` and any other `!` imply
//! nothing; `&&` intersects its operands' restrictions, `||` keeps only labels restricted by every
//! operand and unions them.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{CompareOp, Expr, ExprKind, SetOp};

/// What a selector requires of one label.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelRestriction {
    /// The selector cannot match unless the label is present.
    pub must_be_present: bool,
    /// The selector cannot match unless the label is absent.
    pub must_be_absent: bool,
    /// If set, the selector cannot match unless the label's value is one of these (an empty set
    /// means it cannot match at all).
    pub must_have_one_of_values: Option<BTreeSet<String>>,
}

impl LabelRestriction {
    /// False when no label value can satisfy the restriction.
    pub fn possible_to_satisfy(&self) -> bool {
        !(self.must_be_present && self.must_be_absent)
            && self
                .must_have_one_of_values
                .as_ref()
                .is_none_or(|v| !v.is_empty())
    }

    /// True when the restriction restricts nothing.
    pub fn is_unrestricted(&self) -> bool {
        !self.must_be_present && !self.must_be_absent && self.must_have_one_of_values.is_none()
    }

    fn intersect(self, other: LabelRestriction) -> LabelRestriction {
        let values = match (self.must_have_one_of_values, other.must_have_one_of_values) {
            (None, v) | (v, None) => v,
            (Some(a), Some(b)) => Some(a.intersection(&b).cloned().collect()),
        };
        LabelRestriction {
            must_be_present: self.must_be_present || other.must_be_present,
            must_be_absent: self.must_be_absent || other.must_be_absent,
            must_have_one_of_values: values,
        }
    }

    fn union(self, other: LabelRestriction) -> LabelRestriction {
        let values = match (self.must_have_one_of_values, other.must_have_one_of_values) {
            (Some(mut a), Some(b)) => {
                a.extend(b);
                Some(a)
            }
            _ => None,
        };
        LabelRestriction {
            must_be_present: self.must_be_present && other.must_be_present,
            must_be_absent: self.must_be_absent && other.must_be_absent,
            must_have_one_of_values: values,
        }
    }
}

/// The restrictions of a whole selector, by label name. Labels with no restriction are absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelRestrictions(BTreeMap<String, LabelRestriction>);

impl LabelRestrictions {
    /// The restriction on `label`, if any.
    pub fn get(&self, label: &str) -> Option<&LabelRestriction> {
        self.0.get(label)
    }

    /// All restricted labels, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &LabelRestriction)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of restricted labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the selector restricts no label.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// False when some label's restriction cannot be satisfied, i.e. the selector matches nothing.
    pub fn possible_to_satisfy(&self) -> bool {
        self.0.values().all(LabelRestriction::possible_to_satisfy)
    }

    fn single(label: &str, r: LabelRestriction) -> LabelRestrictions {
        LabelRestrictions(BTreeMap::from([(label.to_owned(), r)]))
    }

    fn intersect(mut self, other: LabelRestrictions) -> LabelRestrictions {
        for (k, v) in other.0 {
            let merged = match self.0.remove(&k) {
                Some(existing) => existing.intersect(v),
                None => v,
            };
            self.0.insert(k, merged);
        }
        self
    }

    fn union(self, mut other: LabelRestrictions) -> LabelRestrictions {
        let mut out = BTreeMap::new();
        for (k, v) in self.0 {
            if let Some(o) = other.0.remove(&k) {
                let u = v.union(o);
                if !u.is_unrestricted() {
                    out.insert(k, u);
                }
            }
        }
        LabelRestrictions(out)
    }
}

impl Expr {
    /// The label restrictions this expression implies.
    pub fn label_restrictions(&self) -> LabelRestrictions {
        let present = |values: Option<BTreeSet<String>>| LabelRestriction {
            must_be_present: true,
            must_be_absent: false,
            must_have_one_of_values: values,
        };
        match &self.kind {
            ExprKind::All | ExprKind::Global => LabelRestrictions::default(),
            ExprKind::Has(l) => LabelRestrictions::single(l.as_str(), present(None)),
            ExprKind::Compare { label, op, value } => match op {
                CompareOp::Ne => LabelRestrictions::default(),
                CompareOp::Eq => LabelRestrictions::single(
                    label.as_str(),
                    present(Some(BTreeSet::from([value.as_str().to_owned()]))),
                ),
                CompareOp::Contains | CompareOp::StartsWith | CompareOp::EndsWith => {
                    LabelRestrictions::single(label.as_str(), present(None))
                }
            },
            ExprKind::Set { label, op, values } => match op {
                SetOp::NotIn => LabelRestrictions::default(),
                SetOp::In => LabelRestrictions::single(
                    label.as_str(),
                    present(Some(
                        values
                            .values()
                            .iter()
                            .map(|v| v.as_str().to_owned())
                            .collect(),
                    )),
                ),
            },
            ExprKind::Not(inner) => match &inner.kind {
                ExprKind::Has(l) => LabelRestrictions::single(
                    l.as_str(),
                    LabelRestriction {
                        must_be_absent: true,
                        ..LabelRestriction::default()
                    },
                ),
                _ => LabelRestrictions::default(),
            },
            ExprKind::And(ops) => ops
                .as_slice()
                .iter()
                .map(Expr::label_restrictions)
                .fold(LabelRestrictions::default(), LabelRestrictions::intersect),
            ExprKind::Or(ops) => {
                let mut it = ops.as_slice().iter().map(Expr::label_restrictions);
                let first = it.next().unwrap_or_default();
                it.fold(first, LabelRestrictions::union)
            }
        }
    }
}
