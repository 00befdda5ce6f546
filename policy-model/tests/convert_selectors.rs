//! Selector scoping: SEMANTICS appendix E (Calico's `updateprocessors/*_test.go`) and the §2.6
//! examples, compared the way Calico compares selectors (canonical form and unique ID), plus
//! evaluation against endpoint labels.

mod convert_util;

use convert_util::{assert_selector, labels, policy};
use palisade_policy_model::convert::effective_labels;
use palisade_policy_model::model::{
    Entity, Item, ProfileSource, Rule, namespace_profile, service_account_profile,
};

/// A NetworkPolicy in `ns` with one ingress rule whose source is `source` (YAML flow mapping).
fn np_rule(ns: &str, source: &str) -> Rule {
    let p = policy(&format!(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: {ns}}}\n\
         spec:\n  ingress:\n  - action: Allow\n    source: {source}\n"
    ));
    p.ingress.into_iter().next().expect("one rule")
}

/// A GlobalNetworkPolicy with one ingress rule whose source is `source`.
fn gnp_rule(source: &str) -> Rule {
    let p = policy(&format!(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: p}}\n\
         spec:\n  ingress:\n  - action: Allow\n    source: {source}\n"
    ));
    p.ingress.into_iter().next().expect("one rule")
}

/// A Profile with one ingress rule whose source is `source`.
fn profile_rule(source: &str) -> Rule {
    let item = convert_util::item(&format!(
        "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {{name: prof}}\n\
         spec:\n  ingress:\n  - action: Allow\n    source: {source}\n"
    ));
    match item {
        Item::Profile(p) => p.ingress.into_iter().next().expect("one rule"),
        other => panic!("expected a profile, got {other:?}"),
    }
}

// ----- E: networkpolicyprocessor_test ---------------------------------------------------------

#[test]
fn e_network_policy_selector_is_scoped_to_its_namespace() {
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n\
         metadata: {name: p, namespace: namespace2}\nspec: {selector: \"mylabel == 'selectme'\"}\n",
    );
    assert_selector(
        Some(&p.selector),
        "(mylabel == 'selectme') && projectcalico.org/namespace == 'namespace2'",
    );
}

#[test]
fn e_network_policy_service_account_selector_is_pcsa_prefixed_and_appended() {
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n\
         metadata: {name: p, namespace: namespace2}\n\
         spec: {selector: \"mylabel == 'selectme'\", serviceAccountSelector: \"role == 'development'\"}\n",
    );
    assert_selector(
        Some(&p.selector),
        "((mylabel == 'selectme') && projectcalico.org/namespace == 'namespace2') && pcsa.role == \"development\"",
    );
}

#[test]
fn e_network_policy_service_account_selector_all_stays_all() {
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n\
         metadata: {name: p, namespace: namespace2}\n\
         spec: {selector: \"mylabel == 'selectme'\", serviceAccountSelector: \"all()\"}\n",
    );
    assert_selector(
        Some(&p.selector),
        "((mylabel == 'selectme') && projectcalico.org/namespace == 'namespace2') && all()",
    );
    // `all()` there does not require a service account.
    let pod = labels(&[
        ("mylabel", "selectme"),
        ("projectcalico.org/namespace", "namespace2"),
    ]);
    assert!(p.selector.matches(&pod));
}

#[test]
fn e_network_policy_all_matches_only_its_own_namespace() {
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n\
         metadata: {name: p, namespace: default}\nspec: {selector: all()}\n",
    );
    let in_default =
        convert_util::item("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: default}\n");
    let elsewhere = convert_util::item(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: not-default}\n",
    );
    let (Item::Workload(a), Item::Workload(b)) = (in_default, elsewhere) else {
        panic!("pods convert to workloads");
    };
    assert!(p.selector.matches(&a.labels));
    assert!(!p.selector.matches(&b.labels));
}

#[test]
fn e_kubernetes_policy_with_empty_pod_selector() {
    let p = policy(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
         metadata: {name: p, namespace: default}\nspec: {podSelector: {}}\n",
    );
    assert_selector(
        Some(&p.selector),
        "(projectcalico.org/orchestrator == 'k8s') && projectcalico.org/namespace == 'default'",
    );
}

#[test]
fn e_kubernetes_peer_with_empty_namespace_selector() {
    let p = policy(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
         metadata: {name: p, namespace: default}\n\
         spec: {podSelector: {}, ingress: [{from: [{namespaceSelector: {}}]}]}\n",
    );
    assert_selector(
        p.ingress[0].source.selector.as_ref(),
        "(has(projectcalico.org/namespace)) && (projectcalico.org/orchestrator == 'k8s')",
    );
}

// ----- E: rules_test ---------------------------------------------------------------------------

#[test]
fn e_namespaced_rule_selector_and_not_selector() {
    // Calico's test writes `mylabel = value1`, which its rule conversion never parses; a valid
    // selector shows the same scoping.
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n\
         metadata: {name: p, namespace: namespace2}\nspec:\n  ingress:\n  - action: Allow\n\
         \x20   source: {selector: \"mylabel == 'value1'\", notSelector: has(label1)}\n\
         \x20   destination: {notSelector: has(label2)}\n",
    );
    let rule = &p.ingress[0];
    // Src `(projectcalico.org/namespace == 'namespace2') && (mylabel == 'value1')`,
    // NotSrc `has(label1)`, folded by Felix (DECISIONS D4).
    assert_selector(
        rule.source.selector.as_ref(),
        "((projectcalico.org/namespace == 'namespace2') && (mylabel == 'value1')) && (!(has(label1)))",
    );
    assert!(rule.source.not_selector.is_none());
    // Dst `projectcalico.org/namespace == 'namespace2'`, NotDst `has(label2)`.
    assert_selector(
        rule.destination.selector.as_ref(),
        "(projectcalico.org/namespace == 'namespace2') && (!(has(label2)))",
    );
    assert!(rule.destination.not_selector.is_none());
}

#[test]
fn e_namespace_selector_replaces_the_namespace_clause() {
    let rule = np_rule(
        "namespace2",
        "{namespaceSelector: \"namespacelabel1 == 'value1'\", notSelector: has(label2)}",
    );
    assert_selector(
        rule.source.selector.as_ref(),
        "(pcns.namespacelabel1 == \"value1\") && (!(has(label2)))",
    );
}

#[test]
fn e_profile_rule_selector_is_unchanged() {
    let rule = profile_rule("{selector: has(foo)}");
    assert_selector(rule.source.selector.as_ref(), "has(foo)");
}

#[test]
fn e_rule_with_ports_only_has_no_selectors() {
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n\
         metadata: {name: p, namespace: namespace2}\nspec:\n  ingress:\n  - action: Allow\n\
         \x20   protocol: TCP\n    destination: {ports: [80]}\n",
    );
    let rule = &p.ingress[0];
    for entity in [&rule.source, &rule.destination] {
        assert!(entity.selector.is_none() && entity.not_selector.is_none());
    }
}

#[test]
fn e_selector_with_namespace_selector() {
    let rule = np_rule(
        "namespace2",
        "{selector: \"projectcalico.org/orchestrator == 'k8s'\", namespaceSelector: \"key == 'value'\"}",
    );
    assert_selector(
        rule.source.selector.as_ref(),
        "(pcns.key == \"value\") && (projectcalico.org/orchestrator == 'k8s')",
    );
}

#[test]
fn e_service_accounts_in_a_namespaced_policy() {
    let rule = np_rule(
        "namespace",
        "{serviceAccounts: {names: [sa1, sa2], selector: \"key == 'value1'\"}}",
    );
    assert_selector(
        rule.source.selector.as_ref(),
        "(projectcalico.org/namespace == 'namespace') && ((pcsa.key == \"value1\") && (projectcalico.org/serviceaccount in {\"sa1\", \"sa2\"}))",
    );
}

#[test]
fn e_service_accounts_in_global_policies_and_profiles() {
    let expected =
        "(pcsa.key == \"value1\") && (projectcalico.org/serviceaccount in {\"sa1\", \"sa2\"})";
    let source = "{serviceAccounts: {names: [sa1, sa2], selector: \"key == 'value1'\"}}";
    assert_selector(gnp_rule(source).source.selector.as_ref(), expected);
    assert_selector(profile_rule(source).source.selector.as_ref(), expected);
}

#[test]
fn e_empty_service_accounts_give_no_selector() {
    for rule in [
        np_rule("namespace2", "{serviceAccounts: {}}"),
        gnp_rule("{serviceAccounts: {}}"),
    ] {
        assert!(rule.source.selector.is_none());
        assert!(rule.source.not_selector.is_none());
    }
}

#[test]
fn e_namespace_selector_value_all_and_global() {
    let cases = [
        (
            "{namespaceSelector: \"namespace == 'red'\", selector: has(label1)}",
            "(pcns.namespace == \"red\") && (has(label1))",
        ),
        (
            "{namespaceSelector: all(), selector: has(label2)}",
            "(has(projectcalico.org/namespace)) && (has(label2))",
        ),
        (
            "{namespaceSelector: global(), selector: has(label3)}",
            "(!has(projectcalico.org/namespace)) && (has(label3))",
        ),
    ];
    for (source, expected) in cases {
        assert_selector(gnp_rule(source).source.selector.as_ref(), expected);
        // The same rule in a namespaced policy: the namespace selector replaces the namespace
        // clause, so the result is the same.
        assert_selector(np_rule("ns1", source).source.selector.as_ref(), expected);
    }
}

// ----- §2.6 prose ------------------------------------------------------------------------------

#[test]
fn namespaced_rule_without_selector_fields_is_unrestricted() {
    let rule = np_rule("ns1", "{nets: [10.0.0.0/8]}");
    assert!(rule.source.selector.is_none());
    assert_eq!(rule.source.nets.len(), 1);
}

#[test]
fn namespaced_not_selector_alone_implies_the_namespace() {
    let rule = np_rule("ns1", "{notSelector: has(foo)}");
    assert_selector(
        rule.source.selector.as_ref(),
        "(projectcalico.org/namespace == 'ns1') && (!(has(foo)))",
    );
    let same_ns = labels(&[("projectcalico.org/namespace", "ns1")]);
    let other_ns = labels(&[("projectcalico.org/namespace", "ns2")]);
    let host = labels(&[]);
    let selector = rule.source.selector.as_ref().expect("folded");
    assert!(selector.matches(&same_ns));
    assert!(!selector.matches(&other_ns));
    assert!(!selector.matches(&host));
}

#[test]
fn global_not_selector_alone_stays_a_separate_negated_match() {
    let rule = gnp_rule("{notSelector: has(foo)}");
    assert!(rule.source.selector.is_none());
    assert_selector(rule.source.not_selector.as_ref(), "has(foo)");
}

#[test]
fn not_selector_with_double_negation_keeps_calico_structure() {
    // Felix builds `(<pos>) && (!(<neg>))` as text: a negative `!has(a)` gives `!(!has(a))`,
    // which keeps both negations (SEMANTICS §1.4).
    let rule = gnp_rule("{selector: has(b), notSelector: \"!has(a)\"}");
    let selector = rule.source.selector.as_ref().expect("folded");
    assert_eq!(selector.canonical(), "(has(b) && !!has(a))");
    assert!(selector.matches(&labels(&[("a", ""), ("b", "")])));
    assert!(!selector.matches(&labels(&[("b", "")])));
}

#[test]
fn selector_source_text_is_spliced_as_written() {
    // `!(!has(a))` re-prints as `!!has(a)`, which re-parses to `has(a)`; Calico splices the text
    // as written, so the double negation survives the scoping.
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: n}\n\
         spec: {selector: \"!(!has(a))\"}\n",
    );
    assert_eq!(
        p.selector.canonical(),
        "(!!has(a) && projectcalico.org/namespace == \"n\")"
    );
}

#[test]
fn global_policy_namespace_selector_is_prefixed_and_all_rewritten() {
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\n\
         spec: {selector: all(), namespaceSelector: \"team == 'a'\"}\n",
    );
    assert_selector(
        Some(&p.selector),
        "(has(projectcalico.org/namespace)) && pcns.team == \"a\"",
    );
}

#[test]
fn global_policy_namespace_selector_alone() {
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\n\
         spec: {namespaceSelector: all()}\n",
    );
    assert_selector(Some(&p.selector), "has(projectcalico.org/namespace)");
    // Every namespaced endpoint, no host endpoint.
    assert!(
        p.selector
            .matches(&labels(&[("projectcalico.org/namespace", "x")]))
    );
    assert!(!p.selector.matches(&labels(&[("host-endpoint", "true")])));
}

#[test]
fn global_policy_all_replacement_is_textual() {
    // Every `all()` in the text is replaced, even inside a string literal (Calico does it on the
    // printed string).
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\n\
         spec: {selector: \"x == 'all()'\", namespaceSelector: all()}\n",
    );
    assert_selector(
        Some(&p.selector),
        "(x == 'has(projectcalico.org/namespace)') && has(projectcalico.org/namespace)",
    );
}

#[test]
fn global_policy_service_account_selector() {
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\n\
         spec: {selector: has(app), serviceAccountSelector: all()}\n",
    );
    assert_selector(
        Some(&p.selector),
        "(has(app)) && has(projectcalico.org/serviceaccount)",
    );
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\n\
         spec: {namespaceSelector: \"env == 'prod'\", serviceAccountSelector: \"role == 'db'\"}\n",
    );
    assert_selector(
        Some(&p.selector),
        "(pcns.env == \"prod\") && pcsa.role == \"db\"",
    );
}

#[test]
fn global_policy_without_selectors_selects_everything() {
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec: {}\n",
    );
    assert_selector(Some(&p.selector), "all()");
    assert!(p.selector.matches(&labels(&[])));
}

#[test]
fn namespace_selector_sees_namespace_labels_through_the_kns_profile() {
    // `namespaceSelector: projectcalico.org/name == 'x'` selects namespace x (§2.6).
    let rule = gnp_rule("{namespaceSelector: \"projectcalico.org/name == 'x'\"}");
    let selector = rule.source.selector.as_ref().expect("selector");
    let kns_x = namespace_profile("x", &labels(&[]), ProfileSource::Namespace);
    let kns_y = namespace_profile("y", &labels(&[]), ProfileSource::Namespace);
    let own = labels(&[("projectcalico.org/namespace", "x")]);
    let in_x = effective_labels(&own, &["kns.x".into()], |_| Some(&kns_x));
    let in_y = effective_labels(&own, &["kns.y".into()], |_| Some(&kns_y));
    assert!(selector.matches(&in_x));
    assert!(!selector.matches(&in_y));
}

#[test]
fn service_account_selector_sees_account_labels_through_the_ksa_profile() {
    let rule = np_rule("ns1", "{serviceAccounts: {selector: \"role == 'db'\"}}");
    let selector = rule.source.selector.as_ref().expect("selector");
    let ksa = service_account_profile(
        "ns1",
        "sa",
        &labels(&[("role", "db")]),
        ProfileSource::ServiceAccount,
    );
    let own = labels(&[("projectcalico.org/namespace", "ns1")]);
    let with = effective_labels(&own, &["ksa.ns1.sa".into()], |_| Some(&ksa));
    assert!(selector.matches(&with));
    assert!(!selector.matches(&own));
}

#[test]
fn whitespace_only_selectors_mean_all() {
    let p = policy(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: n}\n\
         spec: {selector: \"  \"}\n",
    );
    assert!(
        p.selector
            .matches(&labels(&[("projectcalico.org/namespace", "n")]))
    );
    assert!(
        !p.selector
            .matches(&labels(&[("projectcalico.org/namespace", "m")]))
    );
}

#[test]
fn unconverted_entities_stay_unconstrained() {
    let rule = gnp_rule("{}");
    assert_eq!(rule.source, Entity::default());
    assert!(rule.source.is_unconstrained());
}
