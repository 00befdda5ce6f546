//! The typed selector AST and its invariant-keeping constructors.

use std::fmt;

use crate::bytes::{bytes_eq, head, low_bytes, starts_with};
use crate::key_hash::key_hash;
use crate::labels::LabelValue;
use crate::token::is_label_byte;
use crate::{MAX_LABEL_LEN, Span};

/// Why a piece of AST could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AstError {
    /// A label that is empty, too long, or has a byte outside `[a-zA-Z0-9_./-]`.
    #[error("invalid label {label:?}: {reason}")]
    InvalidLabel {
        /// The rejected label.
        label: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A value containing both `'` and `"` cannot be written as a selector string literal.
    #[error("value {0:?} contains both ' and \" and cannot be written in a selector")]
    UnquotableValue(String),
    /// `&&` and `||` need at least two operands.
    #[error("`&&` / `||` need at least two operands, got {0}")]
    TooFewOperands(usize),
}

/// A label name: 1 to 512 bytes of `[a-zA-Z0-9_./-]`.
///
/// It carries a hash of the name, computed once, that [`LabelSet`](crate::LabelSet) looks labels
/// up by. Equality, ordering and hashing are those of the name.
#[derive(Clone)]
pub struct Label {
    name: Box<str>,
    hash: u64,
}

impl Label {
    /// Checks and wraps a label name.
    pub fn new(name: &str) -> Result<Label, AstError> {
        let reason = if name.is_empty() {
            Some("empty")
        } else if name.len() > MAX_LABEL_LEN {
            Some("longer than 512 bytes")
        } else if !name.bytes().all(is_label_byte) {
            Some("only [a-zA-Z0-9_./-] are allowed")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(AstError::InvalidLabel {
                label: name.to_owned(),
                reason,
            }),
            None => Ok(Label::new_unchecked(name)),
        }
    }

    /// Wraps text the tokenizer has already checked (or a prefixed label, which is re-checked by
    /// re-parsing the printed selector).
    pub(crate) fn new_unchecked(name: &str) -> Label {
        Label {
            name: name.into(),
            hash: key_hash(name),
        }
    }

    /// The label name.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The hash [`LabelSet`](crate::LabelSet) indexes keys by.
    #[inline]
    pub(crate) fn key_hash(&self) -> u64 {
        self.hash
    }
}

impl PartialEq for Label {
    fn eq(&self, other: &Label) -> bool {
        self.name == other.name
    }
}

impl Eq for Label {}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Label) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Label) -> std::cmp::Ordering {
        self.name.cmp(&other.name)
    }
}

impl std::hash::Hash for Label {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Label").field(&&*self.name).finish()
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A string literal's value: any text that does not contain both `'` and `"`.
///
/// It keeps the first eight bytes of the text as a word, so that evaluation compares short
/// values (most of them) with one word comparison. Equality, ordering, hashing and `Debug` are
/// those of the text.
#[derive(Clone)]
pub struct Value {
    text: Box<str>,
    /// `bytes::head(text)`.
    head: u64,
}

impl Value {
    /// Checks and wraps a value.
    pub fn new(text: &str) -> Result<Value, AstError> {
        if text.contains('"') && text.contains('\'') {
            return Err(AstError::UnquotableValue(text.to_owned()));
        }
        Ok(Value::new_unchecked(text))
    }

    pub(crate) fn new_unchecked(text: &str) -> Value {
        Value {
            text: text.into(),
            head: head(text.as_bytes()),
        }
    }

    /// The value's text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True if the label value `v` is this value.
    #[inline(always)]
    pub(crate) fn equals(&self, v: LabelValue<'_>) -> bool {
        let n = self.text.len();
        // Equal lengths and heads: equal up to 8 bytes; the rest is compared past the head.
        v.text.len() == n
            && v.head == self.head
            && (n <= 8 || bytes_eq(&v.text.as_bytes()[8..], &self.text.as_bytes()[8..]))
    }

    /// True if the label value `v` starts with this value.
    #[inline(always)]
    pub(crate) fn is_prefix_of(&self, v: LabelValue<'_>) -> bool {
        let n = self.text.len();
        v.text.len() >= n
            && v.head & low_bytes(n) == self.head
            && (n <= 8 || starts_with(&v.text.as_bytes()[8..], &self.text.as_bytes()[8..]))
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.text == other.text
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Value) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl std::hash::Hash for Value {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Value").field(&self.text).finish()
    }
}

impl fmt::Display for Value {
    /// Quoted as Calico does: `"` unless the value contains `"`, then `'`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::canonical::write_value(f, self)
    }
}

/// The values of a set literal, sorted (byte order) and de-duplicated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ValueSet(Box<[Value]>);

impl ValueSet {
    /// Sorts and de-duplicates `values`.
    pub fn new(values: impl IntoIterator<Item = Value>) -> ValueSet {
        let mut v: Vec<Value> = values.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        ValueSet(v.into_boxed_slice())
    }

    /// True if `text` is one of the values.
    #[inline]
    pub fn contains(&self, text: &str) -> bool {
        match self.0.len() {
            0 => false,
            1..=8 => self
                .0
                .iter()
                .any(|v| bytes_eq(v.as_str().as_bytes(), text.as_bytes())),
            _ => self.0.binary_search_by(|v| v.as_str().cmp(text)).is_ok(),
        }
    }

    /// True if the label value `v` is one of the values.
    #[inline(always)]
    pub(crate) fn contains_value(&self, v: LabelValue<'_>) -> bool {
        match self.0.len() {
            0..=8 => self.0.iter().any(|x| x.equals(v)),
            _ => self.0.binary_search_by(|x| x.as_str().cmp(v.text)).is_ok(),
        }
    }

    /// The values, sorted.
    pub fn values(&self) -> &[Value] {
        &self.0
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for `{}`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The operands of an n-ary `&&` or `||`: at least two.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Operands(Vec<Expr>);

impl Operands {
    /// Wraps two or more operands.
    pub fn new(operands: Vec<Expr>) -> Result<Operands, AstError> {
        if operands.len() < 2 {
            return Err(AstError::TooFewOperands(operands.len()));
        }
        Ok(Operands(operands))
    }

    pub(crate) fn new_unchecked(operands: Vec<Expr>) -> Operands {
        debug_assert!(operands.len() >= 2);
        Operands(operands)
    }

    /// The operands, in order.
    pub fn as_slice(&self) -> &[Expr] {
        &self.0
    }
}

/// Comparison operators between a label and a string literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `==`: present and equal.
    Eq,
    /// `!=`: absent, or present and different.
    Ne,
    /// `contains`: present and containing the value.
    Contains,
    /// `starts with`: present and starting with the value.
    StartsWith,
    /// `ends with`: present and ending with the value.
    EndsWith,
}

impl CompareOp {
    /// The operator as Calico prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Contains => "contains",
            CompareOp::StartsWith => "starts with",
            CompareOp::EndsWith => "ends with",
        }
    }
}

/// Set membership operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetOp {
    /// `in`: present and one of the values.
    In,
    /// `not in`: absent, or present and none of the values.
    NotIn,
}

impl SetOp {
    /// The operator as Calico prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            SetOp::In => "in",
            SetOp::NotIn => "not in",
        }
    }
}

/// What a node is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExprKind {
    /// `all()` (also the empty selector): matches everything.
    All,
    /// `global()`: matches everything; only meaningful through policy conversion.
    Global,
    /// `has(label)`.
    Has(Label),
    /// `label OP "value"`.
    Compare {
        /// The label compared.
        label: Label,
        /// The operator.
        op: CompareOp,
        /// The string literal.
        value: Value,
    },
    /// `label in {…}` / `label not in {…}`.
    Set {
        /// The label tested.
        label: Label,
        /// `in` or `not in`.
        op: SetOp,
        /// The set literal.
        values: ValueSet,
    },
    /// `!expr`.
    Not(Box<Expr>),
    /// `a && b && …` (flat, n-ary).
    And(Operands),
    /// `a || b || …` (flat, n-ary).
    Or(Operands),
}

/// A selector expression node with the span of the text it was parsed from.
///
/// Equality and hashing compare structure only; spans are ignored.
#[derive(Clone, Debug)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where it came from (empty for nodes built in code).
    pub span: Span,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.kind == other.kind
    }
}

impl Eq for Expr {}

impl std::hash::Hash for Expr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
    }
}

impl From<ExprKind> for Expr {
    fn from(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: Span::default(),
        }
    }
}

impl Expr {
    /// `all()`.
    pub fn all() -> Expr {
        ExprKind::All.into()
    }

    /// `global()`.
    pub fn global() -> Expr {
        ExprKind::Global.into()
    }

    /// `has(label)`.
    pub fn has(label: Label) -> Expr {
        ExprKind::Has(label).into()
    }

    /// `label OP value`.
    pub fn compare(label: Label, op: CompareOp, value: Value) -> Expr {
        ExprKind::Compare { label, op, value }.into()
    }

    /// `label in {…}` / `label not in {…}`.
    pub fn set(label: Label, op: SetOp, values: ValueSet) -> Expr {
        ExprKind::Set { label, op, values }.into()
    }

    /// `!expr` (no parity collapse: `negate(negate(e))` prints `!!e`, as Calico's NotNode does).
    pub fn negate(expr: Expr) -> Expr {
        ExprKind::Not(Box::new(expr)).into()
    }

    /// `a && b && …` (two or more operands).
    pub fn and(operands: Vec<Expr>) -> Result<Expr, AstError> {
        Ok(ExprKind::And(Operands::new(operands)?).into())
    }

    /// `a || b || …` (two or more operands).
    pub fn or(operands: Vec<Expr>) -> Result<Expr, AstError> {
        Ok(ExprKind::Or(Operands::new(operands)?).into())
    }

    /// A copy with every label name prefixed by `prefix` (unchecked: callers re-parse the printed
    /// result so that an over-long label is reported as a parse error).
    pub(crate) fn with_label_prefix(&self, prefix: &str) -> Expr {
        let p = |l: &Label| Label::new_unchecked(&format!("{prefix}{}", l.as_str()));
        let kind = match &self.kind {
            ExprKind::All => ExprKind::All,
            ExprKind::Global => ExprKind::Global,
            ExprKind::Has(l) => ExprKind::Has(p(l)),
            ExprKind::Compare { label, op, value } => ExprKind::Compare {
                label: p(label),
                op: *op,
                value: value.clone(),
            },
            ExprKind::Set { label, op, values } => ExprKind::Set {
                label: p(label),
                op: *op,
                values: values.clone(),
            },
            ExprKind::Not(e) => ExprKind::Not(Box::new(e.with_label_prefix(prefix))),
            ExprKind::And(ops) => ExprKind::And(Operands::new_unchecked(
                ops.as_slice()
                    .iter()
                    .map(|e| e.with_label_prefix(prefix))
                    .collect(),
            )),
            ExprKind::Or(ops) => ExprKind::Or(Operands::new_unchecked(
                ops.as_slice()
                    .iter()
                    .map(|e| e.with_label_prefix(prefix))
                    .collect(),
            )),
        };
        Expr {
            kind,
            span: self.span,
        }
    }
}
