//! Rendering of a span of (possibly hostile) input with a caret line under it.

use std::fmt::{self, Write as _};

use crate::Span;

/// How many characters of context are shown on each side of the span.
const CONTEXT_CHARS: usize = 60;

/// Writes `input` (escaped, windowed around `span`) on one line and carets under `span` on the next.
///
/// Control characters are shown escaped (`\n`, `\r`, `\t`, `\u{..}`) so that the caret lines up and
/// a selector containing a line break still renders on one line. Long input is cut to a window
/// around the span, with `…` marking what was left out.
pub(crate) fn write_caret(f: &mut fmt::Formatter<'_>, input: &str, span: Span) -> fmt::Result {
    let start = floor_char_boundary(input, span.start.min(input.len()));
    let end = floor_char_boundary(input, span.end.clamp(start, input.len()));

    // Window: up to CONTEXT_CHARS characters before the span and after it.
    let window_start = input[..start]
        .char_indices()
        .rev()
        .nth(CONTEXT_CHARS - 1)
        .map_or(0, |(i, _)| i);
    let span_chars_end = input[end..]
        .char_indices()
        .nth(CONTEXT_CHARS)
        .map_or(input.len(), |(i, _)| end + i);
    // A very long span is itself cut.
    let window_end = if input[start..span_chars_end].chars().count() > 3 * CONTEXT_CHARS {
        input[start..]
            .char_indices()
            .nth(3 * CONTEXT_CHARS)
            .map_or(input.len(), |(i, _)| start + i)
    } else {
        span_chars_end
    };

    let mut line = String::new();
    let mut caret_from = 0usize;
    let mut caret_to = 0usize;
    if window_start > 0 {
        line.push('…');
    }
    let mut col = line.chars().count();
    for (i, ch) in input[window_start..window_end].char_indices() {
        let at = window_start + i;
        if at == start {
            caret_from = col;
        }
        let before = line.len();
        push_escaped(&mut line, ch);
        col += line[before..].chars().count();
        if at < end {
            caret_to = col;
        }
    }
    if start >= window_end {
        caret_from = col;
    }
    if window_end < input.len() {
        line.push('…');
    }
    let width = caret_to.saturating_sub(caret_from).max(1);
    write!(
        f,
        "    {line}\n    {}{}",
        " ".repeat(caret_from),
        "^".repeat(width)
    )
}

fn push_escaped(out: &mut String, ch: char) {
    match ch {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// The largest char boundary at or below `i` (`str::floor_char_boundary` is not stable).
fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
