//! The generators: every generated cluster loads with zero problems in strict mode (the
//! generators make valid resources of every kind), every kind and rule feature shows up, and
//! flows are evaluable.

use std::collections::BTreeMap;

use palisade_conformance::documents::kind;
use palisade_conformance::generate::{GenConfig, GeneratedCase, generated_case};
use palisade_policy_model::{LoadOptions, load_str};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

fn sample(n: usize) -> Vec<GeneratedCase> {
    let mut runner = TestRunner::deterministic();
    let strategy = generated_case(GenConfig { flows: 5 });
    (0..n)
        .map(|_| match strategy.new_tree(&mut runner) {
            Ok(tree) => tree.current(),
            Err(e) => panic!("{e}"),
        })
        .collect()
}

#[test]
fn generated_resources_load_cleanly() {
    let mut report = Vec::new();
    for case in sample(400) {
        let text = case.resources();
        let loaded = load_str(
            &text,
            None,
            &LoadOptions {
                strict: true,
                threads: 1,
            },
        );
        if !loaded.problems.is_empty() {
            let problems: Vec<String> = loaded.problems.iter().map(ToString::to_string).collect();
            report.push(format!("{}\n{text}", problems.join("\n")));
        }
    }
    assert!(
        report.is_empty(),
        "{} invalid clusters; first:\n{}",
        report.len(),
        report[0]
    );
}

#[test]
fn every_kind_and_rule_feature_is_generated() {
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut features: BTreeMap<&str, usize> = BTreeMap::new();
    const FEATURES: &[&str] = &[
        "\"nets\"",
        "\"notNets\"",
        "\"selector\"",
        "\"notSelector\"",
        "\"namespaceSelector\"",
        "\"serviceAccounts\"",
        "\"services\"",
        "\"domains\"",
        "\"ports\"",
        "\"notPorts\"",
        "\"icmp\"",
        "\"notICMP\"",
        "\"notProtocol\"",
        "\"ipVersion\"",
        "\"http\"",
        "\"doNotTrack\"",
        "\"preDNAT\"",
        "\"applyOnForward\"",
        "\"Pass\"",
        "\"Log\"",
        "\"ipBlock\"",
        "\"endPort\"",
        "\"networks\"",
        "\"namedPort\"",
        "\"destinationNamedPort\"",
        "global()",
        "\"stagedAction\"",
        "\"labelsToApply\"",
        "\"failsafeInboundHostPorts\"",
        "\"defaultEndpointToHostAction\"",
        "\"podIPs\"",
        "\"serviceAccountName\"",
    ];
    for case in sample(400) {
        for d in &case.documents {
            *kinds.entry(kind(d).to_owned()).or_default() += 1;
            let text = d.to_string();
            for f in FEATURES {
                if text.contains(f) {
                    *features.entry(f).or_default() += 1;
                }
            }
        }
    }
    for k in [
        "Namespace",
        "ServiceAccount",
        "Pod",
        "HostEndpoint",
        "NetworkSet",
        "GlobalNetworkSet",
        "Service",
        "FelixConfiguration",
        "Tier",
        "Profile",
        "NetworkPolicy",
        "GlobalNetworkPolicy",
        "StagedNetworkPolicy",
        "StagedGlobalNetworkPolicy",
        "StagedKubernetesNetworkPolicy",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "ClusterNetworkPolicy",
    ] {
        assert!(
            kinds.get(k).copied().unwrap_or(0) >= 5,
            "kind {k} is rare: {kinds:?}"
        );
    }
    for f in FEATURES {
        assert!(
            features.get(f).copied().unwrap_or(0) >= 5,
            "feature {f} is rare: {features:?}"
        );
    }
}
