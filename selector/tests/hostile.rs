//! Hostile input: limits on length and nesting, no stack overflow, fast errors on garbage.

use palisade_selector::{ErrorKind, ParseOptions, Selector};

fn big() -> ParseOptions {
    ParseOptions::new().max_len(4 << 20)
}

#[test]
fn input_longer_than_the_limit_is_rejected_up_front() {
    let s = "a".repeat(ParseOptions::DEFAULT_MAX_LEN + 1);
    let e = Selector::parse(&s).unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::TooLong {
            len: s.len(),
            limit: ParseOptions::DEFAULT_MAX_LEN
        }
    );
    assert!(e.to_string().len() < 200, "a huge input is not echoed");
    let e = Selector::parse_with("has(a)", &ParseOptions::new().max_len(3)).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooLong { len: 6, limit: 3 }));
}

#[test]
fn nesting_is_limited() {
    let ok = format!("{}has(a){}", "(".repeat(256), ")".repeat(256));
    assert_eq!(Selector::parse(&ok).unwrap().to_string(), "has(a)");
    let deep = format!("{}has(a){}", "(".repeat(257), ")".repeat(257));
    let e = Selector::parse(&deep).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::TooDeep { limit: 256 });
    assert_eq!(e.span().start, 256, "points at the first paren too many");
    let e = Selector::parse_with(&ok, &ParseOptions::new().max_depth(3)).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::TooDeep { limit: 3 });
    assert_eq!(
        ParseOptions::new().max_depth(1 << 30).get_max_depth(),
        ParseOptions::MAX_DEPTH_CEILING
    );
}

#[test]
fn negation_and_parens_interleaved_at_the_depth_limit_print_and_evaluate() {
    let n = ParseOptions::MAX_DEPTH_CEILING;
    let s = format!("{}has(a){}", "!(".repeat(n), ")".repeat(n));
    let sel = Selector::parse_with(&s, &big().max_depth(n)).unwrap();
    assert_eq!(sel.to_string().len(), n + "has(a)".len());
    assert_eq!(sel.matches(&palisade_selector::LabelSet::new()), n % 2 == 1);
    assert_eq!(sel.label_restrictions().len(), if n == 1 { 1 } else { 0 });
}

#[test]
fn one_megabyte_inputs_fail_or_succeed_without_overflow() {
    let mb = 1 << 20;
    // Garbage bytes.
    let garbage: String = (0..mb)
        .map(|i| (b'!' + (i * 7919 % 90) as u8) as char)
        .collect();
    assert!(Selector::parse_with(&garbage, &big()).is_err());
    // Only opening parens: stopped at the depth limit.
    let parens = "(".repeat(mb);
    assert!(matches!(
        Selector::parse_with(&parens, &big()).unwrap_err().kind(),
        ErrorKind::TooDeep { .. }
    ));
    // A megabyte of `!`: collapsed by parity, then unexpected end.
    let bangs = "!".repeat(mb);
    assert_eq!(
        Selector::parse_with(&bangs, &big()).unwrap_err().kind(),
        &ErrorKind::UnexpectedEof
    );
    let bangs = format!("{}has(a)", "!".repeat(mb));
    assert_eq!(
        Selector::parse_with(&bangs, &big()).unwrap().to_string(),
        "has(a)"
    );
    // A long flat chain is n-ary: no depth at all.
    let chain = vec!["a == 'x'"; mb / 12].join(" && ");
    let sel = Selector::parse_with(&chain, &big()).unwrap();
    assert!(!sel.matches(&palisade_selector::LabelSet::new()));
    // An unterminated string at the start.
    let s = format!("a == '{}", "x".repeat(mb));
    assert!(matches!(
        Selector::parse_with(&s, &big()).unwrap_err().kind(),
        ErrorKind::UnterminatedString { .. }
    ));
    // A huge set literal.
    let set = format!("a in {{{}}}", vec!["'v'"; mb / 5].join(","));
    assert_eq!(
        Selector::parse_with(&set, &big()).unwrap().to_string(),
        r#"a in {"v"}"#
    );
}

#[test]
fn error_display_of_long_input_is_windowed() {
    let s = format!("{}has(a) == 'y'", "has(a) && ".repeat(500));
    let e = Selector::parse(&s).unwrap_err();
    let shown = e.to_string();
    assert!(shown.len() < 600, "{}", shown.len());
    assert!(shown.contains('…'));
    let caret_line = shown.lines().last().unwrap();
    let input_line = shown.lines().nth(1).unwrap();
    let col = caret_line.chars().position(|c| c == '^').unwrap();
    let under: String = input_line.chars().skip(col).take(2).collect();
    assert_eq!(under, "==", "{shown}");
}
