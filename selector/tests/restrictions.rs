//! Label-restriction analysis (SEMANTICS §1.6) and `global()` placement (§1.7).

use palisade_selector::global_placement::{
    GlobalPlacementErrorKind, check_global_forbidden, check_namespace_selector_global,
};
use palisade_selector::{LabelRestriction, Selector};

fn lr(s: &str) -> Vec<(String, LabelRestriction)> {
    Selector::parse(s)
        .expect("test selector parses")
        .label_restrictions()
        .iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect()
}

fn present(values: Option<&[&str]>) -> LabelRestriction {
    LabelRestriction {
        must_be_present: true,
        must_be_absent: false,
        must_have_one_of_values: values.map(|v| v.iter().map(|s| s.to_string()).collect()),
    }
}

fn absent() -> LabelRestriction {
    LabelRestriction {
        must_be_absent: true,
        ..LabelRestriction::default()
    }
}

#[test]
fn single_terms() {
    assert_eq!(lr("a == 'x'"), [("a".into(), present(Some(&["x"])))]);
    assert_eq!(
        lr("a in {'y', 'x'}"),
        [("a".into(), present(Some(&["x", "y"])))]
    );
    for s in [
        "has(a)",
        "a contains 'x'",
        "a starts with 'x'",
        "a ends with 'x'",
    ] {
        assert_eq!(lr(s), [("a".into(), present(None))], "{s}");
    }
    assert_eq!(lr("!has(a)"), [("a".into(), absent())]);
    for s in [
        "a != 'x'",
        "a not in {'x'}",
        "!a == 'x'",
        "!(has(a) && has(b))",
        "!(!has(a))",
        "all()",
        "global()",
        "",
    ] {
        assert!(lr(s).is_empty(), "{s}");
    }
}

#[test]
fn and_intersects() {
    assert_eq!(
        lr("a in {'x', 'y'} && a in {'y', 'z'} && has(b)"),
        [
            ("a".into(), present(Some(&["y"]))),
            ("b".into(), present(None))
        ]
    );
    let r = Selector::parse("a == 'x' && a == 'y'")
        .unwrap()
        .label_restrictions();
    assert_eq!(r.get("a"), Some(&present(Some(&[]))));
    assert!(!r.possible_to_satisfy());
    let r = Selector::parse("has(a) && !has(a)")
        .unwrap()
        .label_restrictions();
    assert!(!r.possible_to_satisfy());
    assert!(
        Selector::parse("has(a) && b != 'x'")
            .unwrap()
            .label_restrictions()
            .possible_to_satisfy()
    );
}

#[test]
fn or_keeps_only_labels_restricted_by_every_branch() {
    assert_eq!(
        lr("a == 'x' || a == 'y'"),
        [("a".into(), present(Some(&["x", "y"])))]
    );
    assert_eq!(lr("a == 'x' || has(a)"), [("a".into(), present(None))]);
    assert_eq!(
        lr("(a == 'x' && has(b)) || a == 'y'"),
        [("a".into(), present(Some(&["x", "y"])))]
    );
    assert!(lr("a == 'x' || b == 'y'").is_empty());
    assert!(lr("has(a) || !has(a)").is_empty());
    assert_eq!(lr("!has(a) || !has(a)"), [("a".into(), absent())]);
}

#[test]
fn restrictions_never_exclude_a_match() {
    // Soundness on a small exhaustive label space: whenever the selector matches, every
    // restriction holds.
    let sels = [
        "a == 'x' && (b in {'1','2'} || has(c))",
        "(a == 'x' || a == 'y') && !has(b)",
        "a starts with 'x' || (a == 'z' && has(b))",
        "!(a == 'x') && b not in {'1'}",
    ];
    let values = [None, Some("x"), Some("y"), Some("z"), Some("1"), Some("2")];
    for s in sels {
        let sel = Selector::parse(s).unwrap();
        let r = sel.label_restrictions();
        for a in values {
            for b in values {
                for c in values {
                    let labels: palisade_selector::LabelSet = [("a", a), ("b", b), ("c", c)]
                        .into_iter()
                        .filter_map(|(k, v)| v.map(|v| (k, v)))
                        .collect();
                    if !sel.matches(&labels) {
                        continue;
                    }
                    for (label, restriction) in r.iter() {
                        let v = labels.get(label);
                        assert!(
                            !restriction.must_be_present || v.is_some(),
                            "{s} {labels:?}"
                        );
                        assert!(!restriction.must_be_absent || v.is_none(), "{s} {labels:?}");
                        if let (Some(set), Some(v)) = (&restriction.must_have_one_of_values, v) {
                            assert!(set.contains(v), "{s} {labels:?}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn global_is_forbidden_by_substring() {
    assert!(check_global_forbidden("app == 'x'").is_ok());
    assert!(check_global_forbidden("").is_ok());
    let e = check_global_forbidden("has(a) && global()").unwrap_err();
    assert_eq!(e.kind(), GlobalPlacementErrorKind::NotAllowed);
    assert_eq!(e.span().start, 10);
    // A string literal containing the text is rejected too (Calico's CEL checks are textual).
    assert!(check_global_forbidden("a == \"global(\"").is_err());
    assert!(check_global_forbidden("global( )").is_err());
}

#[test]
fn namespace_selector_allows_global_only_alone() {
    for ok in [
        "global()",
        "global( )",
        "  global()\t",
        "has(a)",
        "",
        "a == 'x'",
    ] {
        assert!(check_namespace_selector_global(ok).is_ok(), "{ok:?}");
    }
    for bad in [
        "global() && has(a)",
        "!global()",
        "(global())",
        "global() || global()",
        "a == 'global('",
        "global() & has(a)",
        "global()\n",
    ] {
        let e = check_namespace_selector_global(bad).unwrap_err();
        assert_eq!(e.kind(), GlobalPlacementErrorKind::Combined, "{bad:?}");
        assert!(e.to_string().contains("cannot be combined"));
    }
}
