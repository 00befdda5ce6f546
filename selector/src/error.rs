//! Parse errors: the input, the offending byte span and what went wrong.

use std::fmt;

use crate::Span;
use crate::caret::write_caret;

/// What went wrong while parsing a selector.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A line break (`\n` or `\r`) outside a string literal. Calico does not trim selectors, so a
    /// YAML block scalar (`|` or `>`) that leaves a trailing newline makes the selector invalid.
    LineBreak,
    /// A character that cannot start any token here (Calico: "expected identifier").
    UnexpectedCharacter(char),
    /// After a label, something other than an operator (Calico: "expected operator after label").
    ExpectedOperatorAfterLabel,
    /// A lone `=`.
    ExpectedEqEq,
    /// A lone `&`.
    ExpectedAndAnd,
    /// A lone `|`.
    ExpectedOrOr,
    /// A string literal with no closing quote (the same quote character that opened it).
    UnterminatedString {
        /// The quote character that opened the literal.
        quote: char,
    },
    /// A label longer than [`MAX_LABEL_LEN`](crate::MAX_LABEL_LEN) bytes.
    LabelTooLong {
        /// Length of the label in bytes.
        len: usize,
    },
    /// `has(` not followed by a label.
    ExpectedLabelInHas,
    /// A function call (`has(…`, `all(`, `global(`) not closed by `)`.
    ExpectedFunctionRParen {
        /// The function name.
        function: &'static str,
    },
    /// The input ended where more was needed (Calico's `ErrUnexpectedEOF`).
    UnexpectedEof,
    /// A parenthesised group not closed by `)` (Calico's `ErrExpectedRParen`).
    ExpectedRParen,
    /// In a set literal, a string not followed by `,` or `}` (Calico's `ErrExpectedRBrace`).
    ExpectedRBrace,
    /// An operator not followed by a string literal (Calico's `ErrExpectedString`).
    ExpectedString,
    /// `in` / `not in` not followed by `{` (Calico's `ErrExpectedSetLit`).
    ExpectedSetLiteral,
    /// A label not followed by a comparison or set operator.
    ExpectedOperator,
    /// A token that cannot start an expression here.
    UnexpectedToken,
    /// A complete selector followed by more tokens.
    UnexpectedContentAtEnd,
    /// Nesting deeper than the configured limit: parentheses in the text, or `!`, `&&` and `||`
    /// nodes on one path of the expression.
    TooDeep {
        /// The configured nesting limit.
        limit: usize,
    },
    /// Input longer than the configured limit.
    TooLong {
        /// Length of the input in bytes.
        len: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::LineBreak => f.write_str(
                "a line break is not allowed in a selector (a YAML block scalar `|` or `>` \
                 keeps a trailing newline: use `|-`, `>-` or a quoted string)",
            ),
            ErrorKind::UnexpectedCharacter(c) => write!(
                f,
                "unexpected character {c:?}: expected a label ([a-zA-Z0-9_./-]), a string, \
                 `has(`, `all()`, `global()`, `!` or `(`"
            ),
            ErrorKind::ExpectedOperatorAfterLabel => f.write_str(
                "expected an operator after the label (==, !=, in, not in, contains, \
                 starts with, ends with)",
            ),
            ErrorKind::ExpectedEqEq => f.write_str("expected `==` (a lone `=` is not an operator)"),
            ErrorKind::ExpectedAndAnd => {
                f.write_str("expected `&&` (a lone `&` is not an operator)")
            }
            ErrorKind::ExpectedOrOr => f.write_str("expected `||` (a lone `|` is not an operator)"),
            ErrorKind::UnterminatedString { quote } => write!(
                f,
                "unterminated string: no closing {quote} (strings have no escapes and end at \
                 the next {quote})"
            ),
            ErrorKind::LabelTooLong { len } => write!(
                f,
                "label is {len} bytes long; the maximum is {}",
                crate::MAX_LABEL_LEN
            ),
            ErrorKind::ExpectedLabelInHas => f.write_str("expected a label inside `has(…)`"),
            ErrorKind::ExpectedFunctionRParen { function } => {
                write!(f, "expected `)` to close `{function}(`")
            }
            ErrorKind::UnexpectedEof => f.write_str("unexpected end of selector"),
            ErrorKind::ExpectedRParen => f.write_str("expected `)`"),
            ErrorKind::ExpectedRBrace => f.write_str("expected `,` or `}` in set literal"),
            ErrorKind::ExpectedString => f.write_str("expected a string literal"),
            ErrorKind::ExpectedSetLiteral => {
                f.write_str("expected a set literal `{…}` after `in` / `not in`")
            }
            ErrorKind::ExpectedOperator => f.write_str(
                "expected an operator after the label (==, !=, in, not in, contains, \
                 starts with, ends with)",
            ),
            ErrorKind::UnexpectedToken => f.write_str(
                "unexpected token: expected a label, `has(…)`, `all()`, `global()`, `!` or `(`",
            ),
            ErrorKind::UnexpectedContentAtEnd => {
                f.write_str("unexpected content at end of selector (missing `&&` or `||`?)")
            }
            ErrorKind::TooDeep { limit } => {
                write!(
                    f,
                    "selector nested more than {limit} deep (parentheses, or `!`, `&&`, `||` inside \
                     one another)"
                )
            }
            ErrorKind::TooLong { len, limit } => {
                write!(f, "selector is {len} bytes long; the limit is {limit}")
            }
        }
    }
}

/// An error parsing a selector: it owns the input, the byte span of the offending text and the
/// [`ErrorKind`]. `Display` prints the message, then the input with carets under the span.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    input: Box<str>,
    span: Span,
    kind: ErrorKind,
}

impl ParseError {
    /// An error of `kind` at `span` of `input`.
    pub fn new(input: &str, span: Span, kind: ErrorKind) -> ParseError {
        ParseError {
            input: input.into(),
            span,
            kind,
        }
    }

    /// The text that failed to parse.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Byte span of the offending text (empty at the end of input for "unexpected end").
    pub fn span(&self) -> Span {
        self.span
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.input.len() > 4096 && matches!(self.kind, ErrorKind::TooLong { .. }) {
            // Do not echo a huge input.
            return write!(f, "invalid selector: {}", self.kind);
        }
        writeln!(
            f,
            "invalid selector: {} at byte {}",
            self.kind, self.span.start
        )?;
        write_caret(f, &self.input, self.span)
    }
}
