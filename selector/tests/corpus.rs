//! Runs every case of the shared selector corpus (`../shared/corpus/`, beside this repository).

use std::collections::BTreeMap;
use std::path::PathBuf;

use palisade_selector::{Selector, token};
use serde::Deserialize;

fn corpus_file(name: &str) -> String {
    let dir = std::env::var_os("PALISADE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    let path = dir.join("corpus").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read corpus file {} ({e}); set PALISADE_SHARED_DIR",
            path.display()
        )
    })
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum EdgeCase {
    Canonical {
        selector: String,
        canonical: String,
        note: String,
        #[allow(dead_code)]
        source: String,
    },
    ParseError {
        selector: String,
        note: String,
        #[allow(dead_code)]
        source: String,
    },
    Match {
        selector: String,
        labels: BTreeMap<String, String>,
        expect: bool,
        note: String,
        #[allow(dead_code)]
        source: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenizeOk {
    selector: String,
    source: String,
}

#[test]
fn selector_edge_cases() {
    let cases: Vec<EdgeCase> =
        serde_json::from_str(&corpus_file("selector-edge-cases.json")).expect("valid corpus JSON");
    assert!(cases.len() >= 61, "corpus shrank: {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        match case {
            EdgeCase::Canonical {
                selector,
                canonical,
                note,
                ..
            } => match Selector::parse(selector) {
                Ok(sel) if sel.to_string() == *canonical => {
                    // Canonical forms of parser output also validate.
                    if Selector::validate(canonical).is_err() {
                        failures.push(format!(
                            "{selector:?}: canonical {canonical:?} does not parse"
                        ));
                    }
                }
                Ok(sel) => failures.push(format!(
                    "{selector:?}: canonical {:?}, expected {canonical:?} ({note})",
                    sel.to_string()
                )),
                Err(e) => failures.push(format!("{selector:?}: unexpected error {e} ({note})")),
            },
            EdgeCase::ParseError { selector, note, .. } => {
                match (Selector::parse(selector), Selector::validate(selector)) {
                    (Err(e), Err(_)) => {
                        assert!(
                            e.span().end <= selector.len(),
                            "span out of range for {selector:?}"
                        );
                    }
                    (Ok(sel), _) => failures.push(format!(
                        "{selector:?}: parsed as {sel}, expected an error ({note})"
                    )),
                    (Err(_), Ok(())) => {
                        failures.push(format!("{selector:?}: validate accepts what parse rejects"))
                    }
                }
            }
            EdgeCase::Match {
                selector,
                labels,
                expect,
                note,
                ..
            } => match Selector::parse(selector) {
                Ok(sel) if sel.matches(labels) == *expect => {}
                Ok(_) => failures.push(format!(
                    "{selector:?} on {labels:?}: expected {expect} ({note})"
                )),
                Err(e) => failures.push(format!("{selector:?}: unexpected error {e}")),
            },
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn selector_tokenize_ok() {
    let cases: Vec<TokenizeOk> =
        serde_json::from_str(&corpus_file("selector-tokenize-ok.json")).expect("valid corpus JSON");
    assert!(cases.len() >= 30);
    for case in &cases {
        let tokens = token::tokenize(&case.selector)
            .unwrap_or_else(|e| panic!("{} ({}): {e}", case.selector, case.source));
        assert_eq!(tokens.last().map(|t| t.kind), Some(token::TokenKind::Eof));
        // Every one of them is also a complete, valid selector.
        let sel = Selector::parse(&case.selector)
            .unwrap_or_else(|e| panic!("{} ({}): {e}", case.selector, case.source));
        // And its canonical form is stable.
        let again = Selector::parse(&sel.to_string()).expect("canonical form parses");
        assert_eq!(again.to_string(), sel.to_string());
    }
}
