//! One test group per grammar and lexical rule of SEMANTICS §1.1–§1.4.

use std::collections::{BTreeMap, HashMap};

use palisade_selector::{
    Chain, CompareOp, ErrorKind, Expr, ExprKind, Label, LabelSet, Selector, SetOp, Value, ValueSet,
};

fn canon(s: &str) -> String {
    Selector::parse(s)
        .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
        .to_string()
}

fn err(s: &str) -> ErrorKind {
    let e = Selector::parse(s).expect_err(s);
    assert!(
        Selector::validate(s).is_err(),
        "validate must agree with parse on {s:?}"
    );
    e.kind().clone()
}

fn labels(pairs: &[(&str, &str)]) -> LabelSet {
    pairs.iter().copied().collect()
}

fn m(s: &str, l: &[(&str, &str)]) -> bool {
    Selector::parse(s)
        .unwrap_or_else(|e| panic!("{e}"))
        .matches(&labels(l))
}

// --- §1.1 lexical rules -----------------------------------------------------------------------

#[test]
fn whitespace_is_only_space_and_tab() {
    assert_eq!(canon(" \t a == 'b' \t "), r#"a == "b""#);
    assert_eq!(err("a == 'b'\n"), ErrorKind::LineBreak);
    assert_eq!(err("\na == 'b'"), ErrorKind::LineBreak);
    assert_eq!(err("a ==\r'b'"), ErrorKind::LineBreak);
    assert_eq!(err("a\n== 'b'"), ErrorKind::LineBreak);
    assert_eq!(err("has(\na)"), ErrorKind::LineBreak);
    assert_eq!(err("a starts\nwith 'x'"), ErrorKind::LineBreak);
    assert!(matches!(
        err("a ==\u{b}'b'"),
        ErrorKind::UnexpectedCharacter('\u{b}')
    ));
    assert!(matches!(
        err("a ==\u{a0}'b'"),
        ErrorKind::UnexpectedCharacter('\u{a0}')
    ));
}

#[test]
fn newline_error_points_at_the_newline() {
    let e = Selector::parse("a == 'b'\n").unwrap_err();
    assert_eq!((e.span().start, e.span().end), (8, 9));
    let shown = e.to_string();
    assert!(shown.contains("line break"), "{shown}");
    assert!(
        shown.contains("a == 'b'\\n"),
        "newline is shown escaped: {shown}"
    );
}

#[test]
fn lone_operator_characters_are_errors() {
    assert_eq!(err("a = 'b'"), ErrorKind::ExpectedEqEq);
    assert_eq!(err("has(a) & has(b)"), ErrorKind::ExpectedAndAnd);
    assert_eq!(err("has(a) | has(b)"), ErrorKind::ExpectedOrOr);
}

#[test]
fn bang_equals_is_always_not_equal() {
    // `!=` is one token even where a negation was meant, so `!=` cannot start an operation.
    assert_eq!(err("!= 'a'"), ErrorKind::UnexpectedToken);
    assert_eq!(canon("a!='b'"), r#"a != "b""#);
    assert_eq!(canon("! a=='b'"), r#"!a == "b""#);
}

#[test]
fn string_literals_have_no_escapes() {
    assert_eq!(canon(r#"a == 'x\'"#), r#"a == "x\""#);
    assert_eq!(canon(r#"a == "it's""#), r#"a == "it's""#);
    assert_eq!(canon(r#"a == 'say "hi"'"#), r#"a == 'say "hi"'"#);
    assert_eq!(canon("a == ''"), r#"a == """#);
    assert_eq!(
        canon("a == '\n'"),
        "a == \"\n\"",
        "a line break inside a string is just a byte"
    );
    assert_eq!(
        err("a == 'x"),
        ErrorKind::UnterminatedString { quote: '\'' }
    );
    assert_eq!(
        err("a == \"x'"),
        ErrorKind::UnterminatedString { quote: '"' }
    );
}

#[test]
fn labels_use_the_identifier_bytes_and_may_start_with_any_of_them() {
    for l in [
        "-a",
        ".",
        "/x",
        "9",
        "_",
        "a.b/c-d_e",
        "calico/k8s_NS-.1/role",
    ] {
        assert_eq!(canon(&format!("{l} == 'v'")), format!("{l} == \"v\""));
        assert_eq!(canon(&format!("has({l})")), format!("has({l})"));
    }
    assert!(matches!(
        err("a:b == 'v'"),
        ErrorKind::ExpectedOperatorAfterLabel
    ));
    assert!(matches!(
        err("é == 'x'"),
        ErrorKind::UnexpectedCharacter('é')
    ));
    assert!(matches!(
        err("# == 'x'"),
        ErrorKind::UnexpectedCharacter('#')
    ));
}

#[test]
fn label_length_limit_is_512_bytes() {
    let ok = "l".repeat(512);
    assert_eq!(canon(&format!("{ok} == 'v'")), format!("{ok} == \"v\""));
    assert_eq!(canon(&format!("has({ok})")), format!("has({ok})"));
    let long = "l".repeat(513);
    assert_eq!(
        err(&format!("{long} == 'v'")),
        ErrorKind::LabelTooLong { len: 513 }
    );
    assert_eq!(
        err(&format!("has({long})")),
        ErrorKind::LabelTooLong { len: 513 }
    );
}

#[test]
fn operator_keywords_only_after_a_label() {
    assert_eq!(
        canon("contains contains 'contains'"),
        r#"contains contains "contains""#
    );
    assert_eq!(canon("in in {'in'}"), r#"in in {"in"}"#);
    assert_eq!(canon("not not in {'x'}"), r#"not not in {"x"}"#);
    assert_eq!(
        canon("startswith starts with 'x'"),
        r#"startswith starts with "x""#
    );
    assert_eq!(canon("has == 'x'"), r#"has == "x""#);
    assert_eq!(canon("all == 'x'"), r#"all == "x""#);
    assert_eq!(canon("global == 'x'"), r#"global == "x""#);
}

#[test]
fn two_word_operators_take_optional_whitespace_between_words() {
    for (s, want) in [
        ("a startswith 'x'", r#"a starts with "x""#),
        ("a starts  \t with 'x'", r#"a starts with "x""#),
        ("a endswith 'x'", r#"a ends with "x""#),
        ("a ends with'x'", r#"a ends with "x""#),
        ("a notin {'x'}", r#"a not in {"x"}"#),
        ("a not in{'x'}", r#"a not in {"x"}"#),
        ("a in{'x'}", r#"a in {"x"}"#),
        ("a contains'x'", r#"a contains "x""#),
    ] {
        assert_eq!(canon(s), want, "{s}");
    }
}

#[test]
fn operator_keywords_need_a_word_boundary_and_lower_case() {
    assert_eq!(
        err("a containsx 'y'"),
        ErrorKind::ExpectedOperatorAfterLabel
    );
    assert_eq!(err("a inx {'y'}"), ErrorKind::ExpectedOperatorAfterLabel);
    assert_eq!(
        err("a starts withx 'y'"),
        ErrorKind::ExpectedOperatorAfterLabel
    );
    assert_eq!(err("a IN {'y'}"), ErrorKind::ExpectedOperatorAfterLabel);
    assert_eq!(err("a Contains 'y'"), ErrorKind::ExpectedOperatorAfterLabel);
    assert_eq!(err("a starts 'y'"), ErrorKind::ExpectedOperatorAfterLabel);
}

#[test]
fn functions_need_the_paren_right_after_the_name() {
    assert_eq!(canon("has( a )"), "has(a)");
    assert_eq!(canon("has(\ta\t)"), "has(a)");
    assert_eq!(canon("all( )"), "all()");
    assert_eq!(canon("global(  )"), "global()");
    // `has (a)`: `has` is a label, then `(` is not an operator.
    assert!(Selector::parse("has (a)").is_err());
    assert_eq!(err("has()"), ErrorKind::ExpectedLabelInHas);
    assert_eq!(
        err("has(a b)"),
        ErrorKind::ExpectedFunctionRParen { function: "has" }
    );
    assert_eq!(
        err("has(a"),
        ErrorKind::ExpectedFunctionRParen { function: "has" }
    );
    assert_eq!(
        err("all(x)"),
        ErrorKind::ExpectedFunctionRParen { function: "all" }
    );
    assert_eq!(
        err("global(x)"),
        ErrorKind::ExpectedFunctionRParen { function: "global" }
    );
}

// --- §1.2 grammar ---------------------------------------------------------------------------

#[test]
fn empty_selector_is_all() {
    for s in ["", " ", "\t \t"] {
        assert_eq!(canon(s), "all()");
        assert!(m(s, &[]));
    }
}

#[test]
fn and_or_are_flat_nary_with_and_binding_tighter() {
    let sel = Selector::parse("has(a) && has(b) && has(c)").unwrap();
    match &sel.expr().kind {
        ExprKind::And(ops) => assert_eq!(ops.as_slice().len(), 3),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        canon("has(a) || has(b) && has(c) || has(d)"),
        "(has(a) || (has(b) && has(c)) || has(d))"
    );
    assert_eq!(
        canon("(has(a) || has(b)) && has(c)"),
        "((has(a) || has(b)) && has(c))"
    );
}

#[test]
fn not_binds_to_one_operation_and_collapses_by_parity() {
    assert_eq!(canon("!a == 'x'"), r#"!a == "x""#);
    assert_eq!(canon("!has(a) && has(b)"), "(!has(a) && has(b))");
    assert_eq!(canon("!! ! has(a)"), "!has(a)");
    assert_eq!(canon("!!has(a)"), "has(a)");
    assert_eq!(canon("!!!!has(a)"), "has(a)");
    // Parentheses stop the collapse: one NotNode inside, one outside.
    assert_eq!(canon("!(!has(a))"), "!!has(a)");
    assert_eq!(canon("!(has(a) && has(b))"), "!(has(a) && has(b))");
    assert_eq!(err("!"), ErrorKind::UnexpectedEof);
    assert_eq!(err("has(a) && !"), ErrorKind::UnexpectedEof);
}

#[test]
fn parenthesised_groups_return_their_inner_node() {
    assert_eq!(canon("((has(a)))"), "has(a)");
    assert_eq!(err("(has(a)"), ErrorKind::ExpectedRParen);
    assert_eq!(err("has(a))"), ErrorKind::UnexpectedContentAtEnd);
    assert_eq!(err("()"), ErrorKind::UnexpectedToken);
}

#[test]
fn set_literals_sorted_deduplicated_trailing_comma() {
    assert_eq!(
        canon(r#"a in {"z", "z", "x", "y", "x", "a"}"#),
        r#"a in {"a", "x", "y", "z"}"#
    );
    assert_eq!(canon("a in {'a',}"), r#"a in {"a"}"#);
    assert_eq!(canon("a in {}"), "a in {}");
    assert_eq!(canon("a not in { }"), "a not in {}");
    assert_eq!(canon(r#"a in {'"', "'"}"#), r#"a in {'"', "'"}"#);
    assert_eq!(err("a in {,}"), ErrorKind::ExpectedString);
    assert_eq!(err("a in {'a',,}"), ErrorKind::ExpectedString);
    assert_eq!(err("a in {'a' 'b'}"), ErrorKind::ExpectedRBrace);
    assert_eq!(err("a in {'a'"), ErrorKind::UnexpectedEof);
    assert_eq!(err("a in 'x'"), ErrorKind::ExpectedSetLiteral);
    assert_eq!(err("a in {b}"), ErrorKind::ExpectedString);
}

#[test]
fn operands_must_be_label_then_string() {
    assert_eq!(err("b == b"), ErrorKind::ExpectedString);
    assert_eq!(err("'b1' == b"), ErrorKind::UnexpectedToken);
    assert_eq!(err("a == 'b' == 'c'"), ErrorKind::UnexpectedContentAtEnd);
    assert_eq!(err("a"), ErrorKind::UnexpectedEof);
    assert_eq!(err("a =="), ErrorKind::UnexpectedEof);
    assert_eq!(err("a (b)"), ErrorKind::ExpectedOperator);
    assert_eq!(err("a == 'x' b == 'y'"), ErrorKind::UnexpectedContentAtEnd);
    assert_eq!(err("&& a == 'x'"), ErrorKind::UnexpectedToken);
    assert_eq!(err("a == 'x' &&"), ErrorKind::UnexpectedEof);
}

#[test]
fn error_spans_point_at_the_offending_token() {
    let e = Selector::parse("app == 'web' && tier = 'x'").unwrap_err();
    assert_eq!(e.span().start, 21);
    let e = Selector::parse("a == 'x' b == 'y'").unwrap_err();
    assert_eq!((e.span().start, e.span().end), (9, 10));
    let e = Selector::parse("a == 'x' &&").unwrap_err();
    assert_eq!((e.span().start, e.span().end), (11, 11));
    let shown = e.to_string();
    let caret_line = shown.lines().last().unwrap();
    assert_eq!(
        caret_line.find('^'),
        Some(4 + 11),
        "caret under the end of input:\n{shown}"
    );
}

#[test]
fn spans_cover_the_nodes() {
    let text = "!has(a) && b in {'x'}";
    let sel = Selector::parse(text).unwrap();
    let ExprKind::And(ops) = &sel.expr().kind else {
        panic!()
    };
    let spans: Vec<&str> = ops
        .as_slice()
        .iter()
        .map(|e| &text[e.span.range()])
        .collect();
    assert_eq!(spans, ["!has(a)", "b in {'x'}"]);
    assert_eq!(&text[sel.expr().span.range()], text);
}

#[test]
fn group_spans_cover_their_parentheses_and_negations() {
    let text = "!(has(a) || has(b)) && ( c == 'x' )";
    let sel = Selector::parse(text).unwrap();
    let ExprKind::And(ops) = &sel.expr().kind else {
        panic!("{sel}")
    };
    let spans: Vec<&str> = ops
        .as_slice()
        .iter()
        .map(|e| &text[e.span.range()])
        .collect();
    assert_eq!(spans, ["!(has(a) || has(b))", "( c == 'x' )"]);
    let ExprKind::Not(inner) = &ops.as_slice()[0].kind else {
        panic!("{sel}")
    };
    assert_eq!(&text[inner.span.range()], "(has(a) || has(b))");
}

#[test]
fn a_lexical_error_anywhere_wins_over_an_earlier_grammar_error() {
    // Calico tokenizes the whole selector before it parses it.
    assert_eq!(err("== 'x'\n"), ErrorKind::LineBreak);
    assert_eq!(err("'x' == a &"), ErrorKind::ExpectedAndAnd);
    assert_eq!(err("a == 'x' b == 'y' ="), ErrorKind::ExpectedEqEq);
    let e = Selector::parse("(has(a) has(b)) && c == 'x\n").unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::UnterminatedString { quote: '\'' });
    // Without one, the grammar error stands.
    assert_eq!(err("'x' == a"), ErrorKind::UnexpectedToken);
}

// --- §1.3 evaluation ------------------------------------------------------------------------

#[test]
fn missing_label_semantics() {
    assert!(!m("a == 'x'", &[]));
    assert!(m("a != 'x'", &[]));
    assert!(!m("a in {'x'}", &[]));
    assert!(m("a not in {'x'}", &[]));
    assert!(!m("a contains ''", &[]));
    assert!(!m("a starts with ''", &[]));
    assert!(!m("a ends with ''", &[]));
    assert!(!m("has(a)", &[]));
    assert!(m("all()", &[]));
    assert!(m("global()", &[]));
    assert!(!m("!all()", &[]));
}

#[test]
fn present_label_semantics() {
    let l = [("a", "hello")];
    assert!(m("a == 'hello'", &l));
    assert!(!m("a != 'hello'", &l));
    assert!(m("a != 'HELLO'", &l));
    assert!(m("a in {'x', 'hello'}", &l));
    assert!(!m("a not in {'x', 'hello'}", &l));
    assert!(m("a contains 'ell'", &l));
    assert!(m("a starts with 'he'", &l));
    assert!(m("a ends with 'llo'", &l));
    assert!(!m("a ends with 'he'", &l));
    assert!(m("has(a)", &l));
    assert!(m("a == ''", &[("a", "")]));
    assert!(m("a contains ''", &[("a", "")]));
    assert!(!m("a in {}", &l));
    assert!(m("a not in {}", &l));
}

#[test]
fn large_sets_use_exact_membership() {
    let values: Vec<String> = (0..100).map(|i| format!("'v{i}'")).collect();
    let s = format!("a in {{{}}}", values.join(", "));
    for i in 0..100 {
        assert!(m(&s, &[("a", &format!("v{i}"))]));
    }
    assert!(!m(&s, &[("a", "v100")]));
    assert!(!m(&s, &[("a", "v")]));
}

#[test]
fn every_labels_implementation_agrees() {
    let sel = Selector::parse("a == 'x' && b != 'y' && !has(c)").unwrap();
    let btree: BTreeMap<String, String> = [("a".into(), "x".into())].into();
    let hash: HashMap<String, String> = [("a".into(), "x".into())].into();
    let btree_str: BTreeMap<&str, &str> = [("a", "x")].into();
    let set = labels(&[("a", "x")]);
    assert!(
        sel.matches(&btree) && sel.matches(&hash) && sel.matches(&btree_str) && sel.matches(&set)
    );
    let with_c = labels(&[("a", "x"), ("c", "")]);
    assert!(!sel.matches(&with_c));
}

#[test]
fn chained_labels_prefer_the_first_layer() {
    let own = labels(&[("app", "web")]);
    let inherited = labels(&[("app", "db"), ("pcns.env", "prod")]);
    let both = Chain(&own, &inherited);
    assert!(
        Selector::parse("app == 'web' && pcns.env == 'prod'")
            .unwrap()
            .matches(&both)
    );
    let layers = [own.clone(), inherited.clone()];
    assert!(
        Selector::parse("app == 'web' && pcns.env == 'prod'")
            .unwrap()
            .matches(&layers[..])
    );
}

#[test]
fn label_set_keeps_the_last_value_and_sorted_keys() {
    let mut l: LabelSet = [("b", "1"), ("a", "2"), ("b", "3")].into_iter().collect();
    assert_eq!(l.iter().collect::<Vec<_>>(), [("a", "2"), ("b", "3")]);
    assert_eq!(l.insert("a", "9").as_deref(), Some("2"));
    assert_eq!(l.remove("b").as_deref(), Some("3"));
    assert_eq!(l.len(), 1);
}

// --- §1.4 canonical form and AST constructors -----------------------------------------------

#[test]
fn canonical_quoting_spacing_and_parens() {
    assert_eq!(canon("a==\"\""), r#"a == """#);
    assert_eq!(canon("a startswith '\"'"), r#"a starts with '"'"#);
    assert_eq!(canon("! (has( b)||! has(a ))"), "!(has(b) || !has(a))");
    assert_eq!(canon(" (all() )"), "all()");
    assert_eq!(canon("has(a)&&has(b)"), "(has(a) && has(b))");
}

#[test]
fn constructors_keep_the_invariants() {
    assert!(Label::new("").is_err());
    assert!(Label::new("a b").is_err());
    assert!(Label::new(&"x".repeat(513)).is_err());
    assert!(Value::new("it's \"x\"").is_err());
    assert!(Expr::and(vec![Expr::all()]).is_err());
    let set = ValueSet::new(["b", "a", "b"].map(|v| Value::new(v).unwrap()));
    assert_eq!(
        set.values().iter().map(Value::as_str).collect::<Vec<_>>(),
        ["a", "b"]
    );
    let l = Label::new("k").unwrap();
    let e = Expr::and(vec![
        Expr::compare(l.clone(), CompareOp::StartsWith, Value::new("x").unwrap()),
        Expr::negate(Expr::set(l, SetOp::NotIn, set)),
    ])
    .unwrap();
    let sel = Selector::from_expr(e);
    assert_eq!(
        sel.to_string(),
        r#"(k starts with "x" && !k not in {"a", "b"})"#
    );
    assert_eq!(Selector::parse(sel.source()).unwrap(), sel);
}

#[test]
fn selector_equality_is_canonical_equality() {
    let a = Selector::parse("a=='x'&&b in {'2','1'}").unwrap();
    let b = Selector::parse("(a == \"x\") && (b in {'1', '2', '1'})").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.unique_id(), b.unique_id());
    assert_ne!(a.source(), b.source());
}

#[test]
fn unique_ids_match_calico() {
    // SEMANTICS §1.5 (parser_test.go).
    assert_eq!(
        Selector::all().unique_id(),
        "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"
    );
    assert_eq!(
        Selector::parse("").unwrap().unique_id(),
        Selector::all().unique_id()
    );
    let id = Selector::parse("has(a)").unwrap().unique_id().to_owned();
    assert_eq!(id.len(), 2 + 38);
    assert!(
        id[2..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_ne!(id, Selector::all().unique_id());
}

#[test]
fn no_match_is_not_all() {
    let none = Selector::no_match();
    assert_eq!(none.to_string(), "!all()");
    assert!(!none.matches(&LabelSet::new()));
}

#[test]
fn prefixing_labels_for_namespace_and_service_account_selectors() {
    let s = Selector::parse("env == 'prod' && !has(x) && team in {'a'}").unwrap();
    assert_eq!(
        s.with_label_prefix("pcns.").unwrap().to_string(),
        r#"(pcns.env == "prod" && !has(pcns.x) && pcns.team in {"a"})"#
    );
    assert_eq!(
        Selector::all()
            .with_label_prefix("pcns.")
            .unwrap()
            .to_string(),
        "all()"
    );
    let long = Selector::parse(&format!("has({})", "l".repeat(510))).unwrap();
    assert_eq!(
        long.with_label_prefix("pcns.").unwrap_err().kind(),
        &ErrorKind::LabelTooLong { len: 515 }
    );
}

#[test]
fn and_combines_two_selectors() {
    let a = Selector::parse("has(a) && has(b)").unwrap();
    let b = Selector::parse("c == 'x'").unwrap();
    let both = a.and(&b);
    assert_eq!(both.to_string(), r#"((has(a) && has(b)) && c == "x")"#);
    assert!(both.matches(&labels(&[("a", ""), ("b", ""), ("c", "x")])));
    assert!(!both.matches(&labels(&[("a", ""), ("c", "x")])));
}

#[test]
fn serde_uses_the_source_text() {
    let sel: Selector = serde_json::from_str(r#""!(!has(a))""#).unwrap();
    assert_eq!(sel.to_string(), "!!has(a)");
    assert_eq!(serde_json::to_string(&sel).unwrap(), r#""!(!has(a))""#);
    let err = serde_json::from_str::<Selector>(r#""a ==""#).unwrap_err();
    assert!(err.to_string().contains("unexpected end"), "{err}");
}
