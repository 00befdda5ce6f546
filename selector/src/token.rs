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
use nom::sequence::{delimited, terminated};
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

/// An operator keyword (only tried right after a label). Calico tries `contains`, `starts with`,
/// `ends with`, `not in`, `in` in that order; their first letters differ, so the first byte picks
/// the one to try. Spaces and tabs may separate two words, or nothing; only the last word needs
/// a word boundary after it.
fn keyword_operator(input: &str) -> Res<'_, TokenKind<'_>> {
    match input.as_bytes().first() {
        Some(b'c') => {
            value(TokenKind::Contains, terminated(tag("contains"), boundary)).parse(input)
        }
        Some(b's') => value(
            TokenKind::StartsWith,
            terminated((tag("starts"), space0, tag("with")), boundary),
        )
        .parse(input),
        Some(b'e') => value(
            TokenKind::EndsWith,
            terminated((tag("ends"), space0, tag("with")), boundary),
        )
        .parse(input),
        Some(b'n') => value(
            TokenKind::NotIn,
            terminated((tag("not"), space0, tag("in")), boundary),
        )
        .parse(input),
        Some(b'i') => value(TokenKind::In, terminated(tag("in"), boundary)).parse(input),
        _ => Err(nom::Err::Error(())),
    }
}

/// A string literal: from a quote to the next occurrence of the same quote; no escapes.
fn string_literal(input: &str) -> Res<'_, &str> {
    alt((
        delimited(char('"'), take_till(|c| c == '"'), char('"')),
        delimited(char('\''), take_till(|c| c == '\''), char('\'')),
    ))
    .parse(input)
}

fn label(input: &str) -> Res<'_, &str> {
    take_while1(is_label_char).parse(input)
}

/// `has(` label `)`, `all(` `)` or `global(` `)`, with spaces/tabs allowed inside the parentheses
/// (but not between the name and `(`).
fn function(input: &str) -> Res<'_, TokenKind<'_>> {
    alt((
        map(
            delimited((tag("has("), space0), label, (space0, char(')'))),
            TokenKind::Has,
        ),
        value(TokenKind::All, (tag("all("), space0, char(')'))),
        value(TokenKind::Global, (tag("global("), space0, char(')'))),
    ))
    .parse(input)
}

/// The function whose name (with its `(`) starts `input`, if any.
fn function_name(input: &str) -> Option<&'static str> {
    ["has(", "all(", "global("]
        .into_iter()
        .find(|name| input.starts_with(name))
        .map(|name| &name[..name.len() - 1])
}

/// Splits `input` into tokens, ending with [`TokenKind::Eof`].
///
/// Accepts and rejects exactly what Calico's tokenizer does (SEMANTICS §1.1).
pub fn tokenize(input: &str) -> Result<Vec<Token<'_>>, ParseError> {
    let mut lexer = Lexer::new(input);
    let mut tokens = Vec::new();
    loop {
        let token = lexer.next_token()?;
        tokens.push(token);
        if token.kind == TokenKind::Eof {
            return Ok(tokens);
        }
    }
}

/// The tokenizer as a stream: the parser pulls one token at a time, so parsing needs no token
/// buffer, and an input that breaks the nesting limit early is never read to its end.
#[derive(Clone, Debug)]
pub(crate) struct Lexer<'a> {
    input: &'a str,
    /// Byte offset of the next unread byte.
    pos: usize,
    /// The previous token was a label: operator keywords are recognised, functions are not.
    after_label: bool,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(input: &'a str) -> Lexer<'a> {
        Lexer {
            input,
            pos: 0,
            after_label: false,
        }
    }

    /// The next token; [`TokenKind::Eof`] (again and again) at the end of the input.
    pub(crate) fn next_token(&mut self) -> Result<Token<'a>, ParseError> {
        let input = self.input;
        let rest = input[self.pos..].trim_start_matches([' ', '\t']);
        let start = input.len() - rest.len();
        let Some(&first) = rest.as_bytes().first() else {
            self.pos = start;
            return Ok(Token {
                kind: TokenKind::Eof,
                span: Span::new(start, start),
            });
        };
        let second = rest.as_bytes().get(1).copied();
        let single = |kind| Ok((1, kind));
        let lexed: Result<(usize, TokenKind<'a>), ParseError> = match first {
            b'(' => single(TokenKind::LParen),
            b')' => single(TokenKind::RParen),
            b'{' => single(TokenKind::LBrace),
            b'}' => single(TokenKind::RBrace),
            b',' => single(TokenKind::Comma),
            b'!' if second == Some(b'=') => Ok((2, TokenKind::Ne)),
            b'!' => single(TokenKind::Not),
            b'=' if second == Some(b'=') => Ok((2, TokenKind::Eq)),
            b'&' if second == Some(b'&') => Ok((2, TokenKind::And)),
            b'|' if second == Some(b'|') => Ok((2, TokenKind::Or)),
            b'=' | b'&' | b'|' => {
                let kind = match first {
                    b'=' => ErrorKind::ExpectedEqEq,
                    b'&' => ErrorKind::ExpectedAndAnd,
                    _ => ErrorKind::ExpectedOrOr,
                };
                Err(ParseError::new(input, Span::new(start, start + 1), kind))
            }
            b'"' | b'\'' => match string_literal(rest) {
                Ok((after, body)) => Ok((rest.len() - after.len(), TokenKind::Str(body))),
                Err(_) => Err(ParseError::new(
                    input,
                    Span::new(start, input.len()),
                    ErrorKind::UnterminatedString {
                        quote: first as char,
                    },
                )),
            },
            _ if self.after_label => match keyword_operator(rest) {
                Ok((after, kind)) => Ok((rest.len() - after.len(), kind)),
                Err(_) => Err(operator_error(input, start)),
            },
            _ => match function_name(rest) {
                Some(name) => match function(rest) {
                    Ok((after, kind)) => Ok((rest.len() - after.len(), kind)),
                    Err(_) => Err(function_error(input, start, name)),
                },
                None => match label(rest) {
                    Ok((after, text)) => {
                        check_label_len(input, start, text)?;
                        Ok((rest.len() - after.len(), TokenKind::Label(text)))
                    }
                    Err(_) => Err(bad_char(input, start, ErrorKind::UnexpectedCharacter)),
                },
            },
        };
        let (len, kind) = lexed?;
        if let TokenKind::Has(text) = kind {
            let inside = &rest["has(".len()..];
            let spaces = inside.len() - inside.trim_start_matches([' ', '\t']).len();
            check_label_len(input, start + "has(".len() + spaces, text)?;
        }
        self.pos = start + len;
        self.after_label = matches!(kind, TokenKind::Label(_));
        Ok(Token {
            kind,
            span: Span::new(start, start + len),
        })
    }
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

/// Why `name(` at `start` is not a complete function call.
fn function_error(full: &str, start: usize, name: &'static str) -> ParseError {
    let open_end = start + name.len() + 1;
    let inside = full[open_end..].trim_start_matches([' ', '\t']);
    let mut at = full.len() - inside.len();
    if name == "has" {
        match label(inside) {
            Err(_) => {
                return match full[at..].chars().next() {
                    Some('\n' | '\r') => bad_char(full, at, ErrorKind::UnexpectedCharacter),
                    Some(c) => ParseError::new(
                        full,
                        Span::new(at, at + c.len_utf8()),
                        ErrorKind::ExpectedLabelInHas,
                    ),
                    None => ParseError::new(full, Span::new(at, at), ErrorKind::ExpectedLabelInHas),
                };
            }
            Ok((after, text)) => {
                if let Err(e) = check_label_len(full, at, text) {
                    return e;
                }
                let after = after.trim_start_matches([' ', '\t']);
                at = full.len() - after.len();
            }
        }
    }
    match full.as_bytes().get(at) {
        Some(b'\n' | b'\r') => bad_char(full, at, ErrorKind::UnexpectedCharacter),
        _ => ParseError::new(
            full,
            Span::new(start, at.max(open_end)),
            ErrorKind::ExpectedFunctionRParen { function: name },
        ),
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
