//! The tokenizer: Calico's `tokenizer.go` rules, written with nom.
//!
//! Input is processed byte by byte; only space and tab are whitespace. Operator keywords
//! (`contains`, `starts with`, `ends with`, `not in`, `in`) are recognised only right after a label,
//! and the functions `has(`, `all(`, `global(` only elsewhere, so every keyword is also an
//! ordinary label name in other positions.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_till, take_while1};
use nom::character::complete::{char, space0};
use nom::combinator::{map, value};
use nom::sequence::terminated;
use nom::{IResult, Parser};

use crate::{ErrorKind, MAX_LABEL_LEN, ParseError, Span};

/// One token of a selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// What the token is.
    pub kind: TokenKind<'a>,
    /// Where it is in the input.
    pub span: Span,
}

/// The kinds of token, with the text they carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind<'a> {
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `!` (not followed by `=`)
    Not,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `contains` (only after a label)
    Contains,
    /// `starts with`, `startswith` (only after a label)
    StartsWith,
    /// `ends with`, `endswith` (only after a label)
    EndsWith,
    /// `in` (only after a label)
    In,
    /// `not in`, `notin` (only after a label)
    NotIn,
    /// `has(label)`, carrying the label
    Has(&'a str),
    /// `all()`
    All,
    /// `global()`
    Global,
    /// A label (identifier)
    Label(&'a str),
    /// A string literal's contents, without the quotes
    Str(&'a str),
    /// End of input
    Eof,
}

/// True for the bytes Calico allows in a label: `[a-zA-Z0-9_./-]`.
pub fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-')
}

fn is_label_char(c: char) -> bool {
    c.is_ascii() && is_label_byte(c as u8)
}

type Res<'a, O> = IResult<&'a str, O, ()>;

/// Succeeds, consuming nothing, at a word boundary: end of input or a non-label byte.
fn boundary(input: &str) -> Res<'_, ()> {
    match input.as_bytes().first() {
        Some(&b) if is_label_byte(b) => Err(nom::Err::Error(())),
        _ => Ok((input, ())),
    }
}

/// An operator keyword, tried in Calico's order; only the last word needs a boundary.
fn keyword_operator(input: &str) -> Res<'_, TokenKind<'_>> {
    alt((
        value(TokenKind::Contains, terminated(tag("contains"), boundary)),
        value(
            TokenKind::StartsWith,
            terminated((tag("starts"), space0, tag("with")), boundary),
        ),
        value(
            TokenKind::EndsWith,
            terminated((tag("ends"), space0, tag("with")), boundary),
        ),
        value(
            TokenKind::NotIn,
            terminated((tag("not"), space0, tag("in")), boundary),
        ),
        value(TokenKind::In, terminated(tag("in"), boundary)),
    ))
    .parse(input)
}

/// The punctuation tokens, which are recognised in every position.
fn punctuation(input: &str) -> Res<'_, TokenKind<'_>> {
    alt((
        value(TokenKind::LParen, char('(')),
        value(TokenKind::RParen, char(')')),
        value(TokenKind::LBrace, char('{')),
        value(TokenKind::RBrace, char('}')),
        value(TokenKind::Comma, char(',')),
        value(TokenKind::Eq, tag("==")),
        value(TokenKind::Ne, tag("!=")),
        value(TokenKind::Not, char('!')),
        value(TokenKind::And, tag("&&")),
        value(TokenKind::Or, tag("||")),
    ))
    .parse(input)
}

/// A string literal: from a quote to the next occurrence of the same quote; no escapes.
fn string_body(quote: char) -> impl FnMut(&str) -> Res<'_, &str> {
    move |input| {
        let (rest, _) = char(quote).parse(input)?;
        let (rest, body) = take_till(|c| c == quote).parse(rest)?;
        let (rest, _) = char(quote).parse(rest)?;
        Ok((rest, body))
    }
}

fn label(input: &str) -> Res<'_, &str> {
    take_while1(is_label_char).parse(input)
}

/// Byte offset of `rest` inside `full` (`rest` must be a suffix of `full`).
fn offset(full: &str, rest: &str) -> usize {
    full.len() - rest.len()
}

/// The error for an unexpected byte at `at`: a line break gets its own kind.
fn bad_char(full: &str, at: usize, otherwise: fn(char) -> ErrorKind) -> ParseError {
    match full[at..].chars().next() {
        Some(c @ ('\n' | '\r')) => {
            ParseError::new(full, Span::new(at, at + c.len_utf8()), ErrorKind::LineBreak)
        }
        Some(c) => ParseError::new(full, Span::new(at, at + c.len_utf8()), otherwise(c)),
        None => ParseError::new(full, Span::new(at, at), ErrorKind::UnexpectedEof),
    }
}

fn check_label_len(full: &str, start: usize, text: &str) -> Result<(), ParseError> {
    if text.len() > MAX_LABEL_LEN {
        return Err(ParseError::new(
            full,
            Span::new(start, start + text.len()),
            ErrorKind::LabelTooLong { len: text.len() },
        ));
    }
    Ok(())
}

/// Lexes a function call whose name (with its `(`) has been matched: `has(` label `)`, `all(` `)`
/// or `global(` `)`, with spaces/tabs allowed inside the parentheses.
fn function<'a>(
    full: &'a str,
    start: usize,
    after_paren: &'a str,
    name: &'static str,
) -> Result<(&'a str, TokenKind<'a>), ParseError> {
    let (rest, _) = space0::<_, ()>(after_paren).unwrap_or((after_paren, ""));
    let (rest, kind) = if name == "has" {
        let at = offset(full, rest);
        let Ok((after, text)) = label(rest) else {
            return Err(match full[at..].chars().next() {
                Some('\n' | '\r') => bad_char(full, at, ErrorKind::UnexpectedCharacter),
                Some(c) => ParseError::new(
                    full,
                    Span::new(at, at + c.len_utf8()),
                    ErrorKind::ExpectedLabelInHas,
                ),
                None => ParseError::new(full, Span::new(at, at), ErrorKind::ExpectedLabelInHas),
            });
        };
        check_label_len(full, at, text)?;
        let (after, _) = space0::<_, ()>(after).unwrap_or((after, ""));
        (after, TokenKind::Has(text))
    } else if name == "all" {
        (rest, TokenKind::All)
    } else {
        (rest, TokenKind::Global)
    };
    match char::<_, ()>(')').parse(rest) {
        Ok((rest, _)) => Ok((rest, kind)),
        Err(_) => {
            let at = offset(full, rest);
            match rest.chars().next() {
                Some('\n' | '\r') => Err(bad_char(full, at, ErrorKind::UnexpectedCharacter)),
                _ => Err(ParseError::new(
                    full,
                    Span::new(start, at.max(start + name.len() + 1)),
                    ErrorKind::ExpectedFunctionRParen { function: name },
                )),
            }
        }
    }
}

/// Splits `input` into tokens, ending with [`TokenKind::Eof`].
///
/// Accepts and rejects exactly what Calico's tokenizer does (SEMANTICS §1.1).
pub fn tokenize(input: &str) -> Result<Vec<Token<'_>>, ParseError> {
    let mut tokens: Vec<Token<'_>> = Vec::with_capacity(input.len() / 4 + 2);
    let mut rest = input;
    loop {
        rest = space0::<_, ()>(rest).map_or(rest, |(r, _)| r);
        let start = offset(input, rest);
        let Some(&first) = rest.as_bytes().first() else {
            tokens.push(Token {
                kind: TokenKind::Eof,
                span: Span::new(start, start),
            });
            return Ok(tokens);
        };
        let after_label = matches!(
            tokens.last(),
            Some(Token {
                kind: TokenKind::Label(_),
                ..
            })
        );
        let (next, kind) = match first {
            b'(' | b')' | b'{' | b'}' | b',' | b'!' => punctuation(rest)
                .map_err(|_| bad_char(input, start, ErrorKind::UnexpectedCharacter))?,
            b'=' | b'&' | b'|' => punctuation(rest).map_err(|_| {
                let kind = match first {
                    b'=' => ErrorKind::ExpectedEqEq,
                    b'&' => ErrorKind::ExpectedAndAnd,
                    _ => ErrorKind::ExpectedOrOr,
                };
                ParseError::new(input, Span::new(start, start + 1), kind)
            })?,
            b'"' | b'\'' => {
                let quote = first as char;
                map(string_body(quote), TokenKind::Str)
                    .parse(rest)
                    .map_err(|_| {
                        ParseError::new(
                            input,
                            Span::new(start, input.len()),
                            ErrorKind::UnterminatedString { quote },
                        )
                    })?
            }
            _ if after_label => match keyword_operator(rest) {
                Ok(ok) => ok,
                Err(_) => return Err(operator_error(input, start)),
            },
            _ => {
                if let Some(after) = rest.strip_prefix("has(") {
                    function(input, start, after, "has")?
                } else if let Some(after) = rest.strip_prefix("all(") {
                    function(input, start, after, "all")?
                } else if let Some(after) = rest.strip_prefix("global(") {
                    function(input, start, after, "global")?
                } else {
                    let (after, text) = label(rest)
                        .map_err(|_| bad_char(input, start, ErrorKind::UnexpectedCharacter))?;
                    check_label_len(input, start, text)?;
                    (after, TokenKind::Label(text))
                }
            }
        };
        let end = offset(input, next);
        tokens.push(Token {
            kind,
            span: Span::new(start, end),
        });
        rest = next;
    }
}

/// The error after a label when no operator follows. A line break, including one between the two
/// words of `starts with` / `ends with` / `not in`, gets its own message.
fn operator_error(input: &str, start: usize) -> ParseError {
    let rest = &input[start..];
    for first_word in ["starts", "ends", "not"] {
        if let Some(after) = rest.strip_prefix(first_word) {
            let ws = after.len() - after.trim_start_matches([' ', '\t']).len();
            let at = start + first_word.len() + ws;
            if matches!(input.as_bytes().get(at), Some(b'\n' | b'\r')) {
                return bad_char(input, at, ErrorKind::UnexpectedCharacter);
            }
        }
    }
    let word_end = rest
        .bytes()
        .position(|b| !is_label_byte(b))
        .map_or(input.len(), |p| start + p);
    match input.as_bytes()[start] {
        b'\n' | b'\r' => bad_char(input, start, ErrorKind::UnexpectedCharacter),
        _ if word_end > start => ParseError::new(
            input,
            Span::new(start, word_end),
            ErrorKind::ExpectedOperatorAfterLabel,
        ),
        _ => {
            let c = rest.chars().next().map_or(1, char::len_utf8);
            ParseError::new(
                input,
                Span::new(start, start + c),
                ErrorKind::ExpectedOperatorAfterLabel,
            )
        }
    }
}
