//! Where `global()` may appear (SEMANTICS §1.7). The parser accepts `global()` anywhere; Calico's
//! validation restricts it by looking at the *text* of the field, so these checks take the text.
//!
//! - Policy `selector` and `serviceAccountSelector`, GlobalNetworkPolicy `namespaceSelector`, and
//!   rule `selector`: no `global(` anywhere, not even inside a string literal
//!   ([`check_global_forbidden`]).
//! - Rule (EntityRule) `namespaceSelector`: `global()` only on its own
//!   ([`check_namespace_selector_global`]).

use std::fmt;

use crate::Span;
use crate::caret::write_caret;
use crate::token::{TokenKind, tokenize};

/// What is wrong with the placement of `global()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GlobalPlacementErrorKind {
    /// The field does not allow `global()` at all.
    NotAllowed,
    /// `global()` is combined with other selector terms in a rule namespaceSelector.
    Combined,
}

/// A misplaced `global()`, with the field text and the span of the offending `global(`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct GlobalPlacementError {
    input: Box<str>,
    span: Span,
    kind: GlobalPlacementErrorKind,
}

impl GlobalPlacementError {
    /// The field text.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Byte span of the offending `global(` (or token).
    pub fn span(&self) -> Span {
        self.span
    }

    /// What is wrong.
    pub fn kind(&self) -> GlobalPlacementErrorKind {
        self.kind
    }
}

impl fmt::Display for GlobalPlacementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            GlobalPlacementErrorKind::NotAllowed => f.write_str(
                "global() is not allowed in this selector field (it may only be used, on its \
                 own, as a rule's namespaceSelector)",
            )?,
            GlobalPlacementErrorKind::Combined => {
                f.write_str("global() cannot be combined with other selectors")?
            }
        }
        writeln!(f, " at byte {}", self.span.start)?;
        write_caret(f, &self.input, self.span)
    }
}

/// Rejects any occurrence of the text `global(` (Calico's CEL rules are substring checks, so
/// `a == "global("` is rejected too).
pub fn check_global_forbidden(text: &str) -> Result<(), GlobalPlacementError> {
    match text.find("global(") {
        None => Ok(()),
        Some(at) => Err(GlobalPlacementError {
            input: text.into(),
            span: Span::new(at, at + "global(".len()),
            kind: GlobalPlacementErrorKind::NotAllowed,
        }),
    }
}

/// A rule's `namespaceSelector` may be `global()` only on its own: if the text contains `global(`
/// and is not exactly `global()`, it must tokenize to the single token `global()`
/// (`validator.go:validateEntityRule`). Text that does not tokenize is rejected too, pointing at
/// the first bad token.
pub fn check_namespace_selector_global(text: &str) -> Result<(), GlobalPlacementError> {
    if !text.contains("global(") || text == "global()" {
        return Ok(());
    }
    let span = match tokenize(text) {
        Err(e) => e.span(),
        Ok(tokens) => {
            if tokens.len() == 2 && tokens[0].kind == TokenKind::Global {
                return Ok(());
            }
            // Point at the first token that is not `global()` (a string holding `global(` too).
            tokens
                .iter()
                .find(|t| !matches!(t.kind, TokenKind::Global | TokenKind::Eof))
                .map_or_else(|| Span::new(0, text.len()), |t| t.span)
        }
    };
    Err(GlobalPlacementError {
        input: text.into(),
        span,
        kind: GlobalPlacementErrorKind::Combined,
    })
}
