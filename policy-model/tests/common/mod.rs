//! Helpers shared by the integration tests.

#![allow(dead_code)]

use palisade_policy_model::{Check, LoadOptions, Loaded, ProblemKind, load_str};

/// Loads `text` in strict mode.
pub(crate) fn load(text: &str) -> Loaded {
    load_str(text, None, &LoadOptions::strict())
}

/// The validation checks that failed, with their paths.
pub(crate) fn violations(text: &str) -> Vec<(Check, String)> {
    let loaded = load(text);
    let mut out = Vec::new();
    for problem in &loaded.problems {
        match &problem.kind {
            ProblemKind::Invalid(v) => out.push((v.check, v.path.to_string())),
            other => panic!("expected only validation problems, got {problem} ({other:?})"),
        }
    }
    out
}

/// Asserts that `text` loads with no problem at all.
pub(crate) fn assert_valid(text: &str) {
    let loaded = load(text);
    assert!(
        loaded.problems.is_empty(),
        "expected no problems, got:\n{}",
        loaded
            .problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(loaded.resources.len(), 1);
}

/// Asserts that `text` fails exactly one check, `check` at `path`.
pub(crate) fn assert_violation(text: &str, check: Check, path: &str) {
    let found = violations(text);
    assert_eq!(
        found,
        vec![(check, path.to_owned())],
        "unexpected violations for:\n{text}"
    );
}

/// A GlobalNetworkPolicy with one rule in `direction` (`ingress` or `egress`); `rule` is a flow
/// mapping body such as `action: Allow, protocol: TCP`.
pub(crate) fn gnp_rule(direction: &str, rule: &str) -> String {
    format!(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: p}}\nspec:\n  {direction}:\n  - {{{rule}}}\n"
    )
}

/// A NetworkPolicy in namespace `ns` with one rule in `direction`.
pub(crate) fn np_rule(direction: &str, rule: &str) -> String {
    format!(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: ns}}\nspec:\n  {direction}:\n  - {{{rule}}}\n"
    )
}

/// A GlobalNetworkPolicy with the given spec body (flow mapping content).
pub(crate) fn gnp_spec(spec: &str) -> String {
    format!(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: p}}\nspec: {{{spec}}}\n"
    )
}
