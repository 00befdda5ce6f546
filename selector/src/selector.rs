//! [`Selector`]: a parsed selector with its source text, canonical form and unique ID.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha224};

use crate::ast::{Expr, ExprKind, Operands};
use crate::parser::{ParseOptions, parse_expr};
use crate::plan::Plan;
use crate::restrictions::LabelRestrictions;
use crate::{Labels, ParseError};

/// A parsed Calico selector.
///
/// Two selectors are equal (and hash equally) when their canonical forms are equal, which is
/// Calico's `Selector.Equal` (it compares unique IDs, a hash of the canonical form).
///
/// The canonical form and the unique ID are computed on first use and kept, as Calico caches
/// them; parsing alone does neither.
#[derive(Clone)]
pub struct Selector {
    expr: Expr,
    /// The flat evaluation plan, for the shapes it covers (derived from `expr`).
    plan: Option<Plan>,
    source: Box<str>,
    canonical: OnceLock<Box<str>>,
    unique_id: OnceLock<Box<str>>,
}

impl Selector {
    /// Parses `text` with the default [`ParseOptions`].
    pub fn parse(text: &str) -> Result<Selector, ParseError> {
        Selector::parse_with(text, &ParseOptions::default())
    }

    /// Parses `text` with explicit limits.
    pub fn parse_with(text: &str, options: &ParseOptions) -> Result<Selector, ParseError> {
        let expr = parse_expr(text, options)?;
        Ok(Selector::build(expr, text.into()))
    }

    /// Checks `text` without keeping the result (Calico's `Validate`: same acceptance as parse).
    pub fn validate(text: &str) -> Result<(), ParseError> {
        parse_expr(text, &ParseOptions::default()).map(drop)
    }

    /// A selector from an expression built in code; its source text is its canonical form.
    pub fn from_expr(expr: Expr) -> Selector {
        let canonical: Box<str> = expr.canonical_string(64).into();
        Selector {
            plan: Plan::of(&expr),
            expr,
            source: canonical.clone(),
            canonical: OnceLock::from(canonical),
            unique_id: OnceLock::new(),
        }
    }

    /// `all()`: matches every endpoint.
    pub fn all() -> Selector {
        Selector::from_expr(Expr::all())
    }

    /// `!all()`: matches nothing (Calico's `selector.NoMatch`).
    pub fn no_match() -> Selector {
        Selector::from_expr(Expr::negate(Expr::all()))
    }

    fn build(expr: Expr, source: Box<str>) -> Selector {
        Selector {
            plan: Plan::of(&expr),
            expr,
            source,
            canonical: OnceLock::new(),
            unique_id: OnceLock::new(),
        }
    }

    /// The expression tree.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// The text this selector was parsed from (spans in [`Selector::expr`] index into it).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Calico's canonical form (`Selector.String()`); the same as `to_string()`.
    pub fn canonical(&self) -> &str {
        self.canonical
            .get_or_init(|| self.expr.canonical_string(self.source.len() + 16).into())
    }

    /// Calico's unique ID: `"s:"` + base64url-no-pad(SHA-224(`"s:"` + canonical form)).
    pub fn unique_id(&self) -> &str {
        self.unique_id.get_or_init(|| {
            let digest = Sha224::new()
                .chain_update(b"s:")
                .chain_update(self.canonical().as_bytes());
            let mut id = String::with_capacity(40);
            id.push_str("s:");
            URL_SAFE_NO_PAD.encode_string(digest.finalize(), &mut id);
            id.into()
        })
    }

    /// True if the selector matches `labels`.
    #[inline]
    pub fn matches<L: Labels + ?Sized>(&self, labels: &L) -> bool {
        match &self.plan {
            Some(plan) => plan.matches(labels),
            None => self.expr.matches(labels),
        }
    }

    /// Which labels must be present, absent or take one of a set of values for a match.
    pub fn label_restrictions(&self) -> LabelRestrictions {
        self.expr.label_restrictions()
    }

    /// The selector with every label name prefixed by `prefix`, as Calico prefixes namespace
    /// (`pcns.`) and service-account (`pcsa.`) selectors. The result is printed and re-parsed, so
    /// a label that becomes longer than 512 bytes is reported as a parse error.
    pub fn with_label_prefix(&self, prefix: &str) -> Result<Selector, ParseError> {
        let printed = self
            .expr
            .with_label_prefix(prefix)
            .canonical_string(self.source.len() * 2);
        // The printed form nests no deeper than this selector's `&&` / `||` levels, which the
        // parser that built it limited to at most the ceiling.
        let options = ParseOptions::new()
            .max_len(usize::MAX)
            .max_depth(ParseOptions::MAX_DEPTH_CEILING);
        Selector::parse_with(&printed, &options)
    }

    /// `(self && other)`: a two-operand AND (not flattened into either side).
    pub fn and(&self, other: &Selector) -> Selector {
        let ops = Operands::new_unchecked(vec![self.expr.clone(), other.expr.clone()]);
        Selector::from_expr(ExprKind::And(ops).into())
    }
}

impl fmt::Display for Selector {
    /// The canonical form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.canonical())
    }
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Selector").field(&self.canonical()).finish()
    }
}

impl PartialEq for Selector {
    fn eq(&self, other: &Selector) -> bool {
        self.canonical() == other.canonical()
    }
}

impl Eq for Selector {}

impl Hash for Selector {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.canonical().hash(state);
    }
}

impl Default for Selector {
    /// The empty selector, `all()`.
    fn default() -> Selector {
        Selector::all()
    }
}

impl FromStr for Selector {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Selector, ParseError> {
        Selector::parse(s)
    }
}

impl TryFrom<&str> for Selector {
    type Error = ParseError;

    fn try_from(s: &str) -> Result<Selector, ParseError> {
        Selector::parse(s)
    }
}

impl serde::Serialize for Selector {
    /// Serialises the source text, so a round trip reproduces the same selector exactly.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

impl<'de> serde::Deserialize<'de> for Selector {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Selector, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Selector;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Calico selector string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Selector, E> {
                Selector::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}
