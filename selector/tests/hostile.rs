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
fn the_canonical_form_of_an_accepted_selector_is_accepted_too() {
    // One parenthesis per level of the text, but two levels of `&&` / `||`, each of which the
    // canonical form parenthesises: the limit counts the levels of the expression.
    let nest = |n: usize| {
        let mut s = "has(z)".to_owned();
        for _ in 0..n {
            s = format!("has(x) || has(y) && ({s})");
        }
        s
    };
    let max_paren_depth = |s: &str| {
        let (mut depth, mut max) = (0usize, 0usize);
        for c in s.chars() {
            match c {
                '(' => {
                    depth += 1;
                    max = max.max(depth);
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        max
    };
    let text = nest(128);
    let sel = Selector::parse(&text).unwrap();
    let canonical = sel.to_string();
    // `has(` adds one to both.
    assert_eq!(max_paren_depth(&text), 128 + 1);
    assert_eq!(max_paren_depth(&canonical), 256 + 1);
    assert_eq!(Selector::parse(&canonical).unwrap(), sel);
    let e = Selector::parse(&nest(129)).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::TooDeep { limit: 256 });
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

const MB: usize = 1 << 20;
/// Inputs that test structure (no recursion, no quadratic work) rather than speed: big enough to
/// overflow any stack if the parser recursed per token, small enough for a fast debug test run.
const QUARTER_MB: usize = MB / 4;

#[test]
fn a_megabyte_of_garbage_fails_fast() {
    let garbage: String = (0..MB)
        .map(|i| (b'!' + (i * 7919 % 90) as u8) as char)
        .collect();
    // At most one linear pass over the input.
    assert!(Selector::parse_with(&garbage, &big()).is_err());
    // With the default limits it is rejected before it is even read.
    assert!(matches!(
        Selector::parse(&garbage).unwrap_err().kind(),
        ErrorKind::TooLong { .. }
    ));
}

#[test]
fn a_megabyte_of_open_parentheses_stops_at_the_depth_limit() {
    let parens = "(".repeat(MB);
    let e = Selector::parse_with(&parens, &big()).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::TooDeep { limit: 256 });
    assert_eq!(e.span().start, 256);
}

#[test]
fn a_long_run_of_negations_collapses_by_parity() {
    let bangs = "!".repeat(QUARTER_MB);
    assert_eq!(
        Selector::parse_with(&bangs, &big()).unwrap_err().kind(),
        &ErrorKind::UnexpectedEof
    );
    let bangs = format!("{}has(a)", "!".repeat(QUARTER_MB + 1));
    assert_eq!(
        Selector::parse_with(&bangs, &big()).unwrap().to_string(),
        "!has(a)"
    );
}

#[test]
fn a_long_chain_is_flat() {
    // `&&` chains are n-ary: no depth at all.
    let chain = vec!["a == 'x'"; QUARTER_MB / 12].join(" && ");
    let sel = Selector::parse_with(&chain, &big()).unwrap();
    assert!(!sel.matches(&palisade_selector::LabelSet::new()));
    assert_eq!(sel.to_string().len(), chain.len() + 2);
}

#[test]
fn long_string_and_set_literals() {
    let s = format!("a == '{}", "x".repeat(MB));
    assert!(matches!(
        Selector::parse_with(&s, &big()).unwrap_err().kind(),
        ErrorKind::UnterminatedString { quote: '\'' }
    ));
    let set = format!("a in {{{}}}", vec!["'v'"; QUARTER_MB / 4].join(","));
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

#[test]
fn deepest_accepted_selectors_print_evaluate_and_analyse() {
    // Walks of the expression (print, evaluate, clone, drop, analyses) recurse, bounded by the
    // nesting limit. At the ceiling they fit, in a debug build (the hungriest), in half of the
    // 2 MiB a spawned thread gets by default.
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(deepest)
        .unwrap()
        .join()
        .unwrap();
}

const STACK: usize = 1 << 20;

fn deepest() {
    // Each level adds `!`, `||`, `!`, `&&`: four nodes on the path to the innermost leaf.
    let ceiling = ParseOptions::MAX_DEPTH_CEILING;
    let mut s = "has(a)".to_owned();
    for i in 0..ceiling / 4 {
        s = if i % 2 == 0 {
            format!("!(has(x) || !(has(y) && {s}))")
        } else {
            format!("!(x == 'v' && !(y in {{'1'}} || {s}))")
        };
    }
    let options = big().max_depth(ceiling);
    let sel = Selector::parse_with(&s, &options).expect("at the limit");
    let printed = sel.to_string();
    let again = Selector::parse_with(&printed, &options).expect("canonical form parses");
    assert_eq!(again.to_string(), printed);
    assert_eq!(again, sel);
    let labels: palisade_selector::LabelSet = [("a", "")].into_iter().collect();
    assert_eq!(sel.matches(&labels), again.matches(&labels));
    let _ = sel.label_restrictions();
    assert!(sel.with_label_prefix("p.").is_ok());
    assert_eq!(sel.clone().unique_id(), again.unique_id());
    // One more negation is one level too many.
    let e = Selector::parse_with(&format!("!({s})"), &options).expect_err("over the limit");
    assert_eq!(e.kind(), &ErrorKind::TooDeep { limit: ceiling });
}
