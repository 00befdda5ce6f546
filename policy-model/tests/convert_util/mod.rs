//! Helpers shared by the conversion tests (`tests/convert_*.rs`).
//!
//! Resources are built by deserialising YAML into the typed structs with `serde_saphyr`, so the
//! tests do not depend on the loader.

#![allow(dead_code)]

use std::collections::BTreeMap;

use palisade_policy_model::convert::{Converted, convert};
use palisade_policy_model::model::{Item, Note, Policy, Rule, Severity};
use palisade_policy_model::{Resource, ResourceKind, admin, calico, kube};
use palisade_selector::Selector;
use serde::de::DeserializeOwned;

fn decode<T: DeserializeOwned>(text: &str) -> T {
    match serde_saphyr::from_str(text) {
        Ok(value) => value,
        Err(e) => panic!("test YAML does not decode: {e}\n{text}"),
    }
}

/// A resource from one YAML document with `apiVersion` and `kind`.
pub(crate) fn resource(text: &str) -> Resource {
    let head: BTreeMap<String, serde_json::Value> = decode(text);
    let api = head
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .expect("apiVersion");
    let kind = head.get("kind").and_then(|v| v.as_str()).expect("kind");
    let kind = ResourceKind::lookup(api, kind).expect("a supported kind");
    match kind {
        ResourceKind::Tier => Resource::Tier(decode::<calico::Tier>(text)),
        ResourceKind::NetworkPolicy => Resource::NetworkPolicy(decode(text)),
        ResourceKind::GlobalNetworkPolicy => Resource::GlobalNetworkPolicy(decode(text)),
        ResourceKind::StagedNetworkPolicy => Resource::StagedNetworkPolicy(decode(text)),
        ResourceKind::StagedGlobalNetworkPolicy => {
            Resource::StagedGlobalNetworkPolicy(decode(text))
        }
        ResourceKind::StagedKubernetesNetworkPolicy => {
            Resource::StagedKubernetesNetworkPolicy(decode(text))
        }
        ResourceKind::NetworkSet => Resource::NetworkSet(decode(text)),
        ResourceKind::GlobalNetworkSet => Resource::GlobalNetworkSet(decode(text)),
        ResourceKind::HostEndpoint => Resource::HostEndpoint(decode(text)),
        ResourceKind::WorkloadEndpoint => Resource::WorkloadEndpoint(decode(text)),
        ResourceKind::Profile => Resource::Profile(decode(text)),
        ResourceKind::FelixConfiguration => Resource::FelixConfiguration(decode(text)),
        ResourceKind::Namespace => Resource::Namespace(decode::<kube::Namespace>(text)),
        ResourceKind::Pod => Resource::Pod(decode(text)),
        ResourceKind::ServiceAccount => Resource::ServiceAccount(decode(text)),
        ResourceKind::Service => Resource::Service(decode(text)),
        ResourceKind::EndpointSlice => Resource::EndpointSlice(decode(text)),
        ResourceKind::KubernetesNetworkPolicy => Resource::KubernetesNetworkPolicy(decode(text)),
        ResourceKind::AdminNetworkPolicy => {
            Resource::AdminNetworkPolicy(decode::<admin::AdminNetworkPolicy>(text))
        }
        ResourceKind::BaselineAdminNetworkPolicy => {
            Resource::BaselineAdminNetworkPolicy(decode(text))
        }
        ResourceKind::ClusterNetworkPolicy => Resource::ClusterNetworkPolicy(decode(text)),
        other => panic!("kind {other:?} is not handled by the test helper"),
    }
}

/// Every resource of a multi-document YAML stream.
pub(crate) fn resources(text: &str) -> Vec<Resource> {
    text.split("\n---\n")
        .filter(|doc| !doc.trim().is_empty())
        .map(resource)
        .collect()
}

/// Converts one YAML resource.
pub(crate) fn convert_yaml(text: &str) -> Converted {
    convert(&resource(text))
}

/// The single item `text` converts to.
pub(crate) fn item(text: &str) -> Item {
    let converted = convert_yaml(text);
    assert_eq!(
        converted.items.len(),
        1,
        "expected one item, got {:?}\nnotes: {:?}",
        converted.items,
        converted.notes
    );
    converted.items.into_iter().next().expect("one item")
}

/// The single policy `text` converts to.
pub(crate) fn policy(text: &str) -> Policy {
    match item(text) {
        Item::Policy(p) => p,
        other => panic!("expected a policy, got {other:?}"),
    }
}

/// Parses a selector written in a test table.
pub(crate) fn sel(text: &str) -> Selector {
    match Selector::parse(text) {
        Ok(s) => s,
        Err(e) => panic!("test selector `{text}` does not parse: {e}"),
    }
}

/// Asserts that `actual` is the selector Calico produces as `expected`: equal canonical forms
/// and unique IDs (Calico's `Selector.Equal`).
#[track_caller]
pub(crate) fn assert_selector(actual: Option<&Selector>, expected: &str) {
    let expected = sel(expected);
    let actual = actual.unwrap_or_else(|| panic!("expected selector {expected}, got none"));
    assert_eq!(actual.canonical(), expected.canonical());
    assert_eq!(actual.unique_id(), expected.unique_id());
}

/// Labels from pairs.
pub(crate) fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Notes of a given severity.
pub(crate) fn notes_of(notes: &[Note], severity: Severity) -> Vec<&Note> {
    notes.iter().filter(|n| n.severity == severity).collect()
}

/// The paths of the notes of a given severity.
pub(crate) fn note_paths(notes: &[Note], severity: Severity) -> Vec<String> {
    notes_of(notes, severity)
        .into_iter()
        .map(|n| n.path.clone().unwrap_or_default())
        .collect()
}

/// The numeric destination ports of a rule, as `min:max` / `port` strings (Calico's spelling).
pub(crate) fn dst_ports(rule: &Rule) -> Vec<String> {
    rule.destination
        .ports
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// The named destination ports of a rule.
pub(crate) fn dst_named_ports(rule: &Rule) -> Vec<String> {
    rule.destination
        .named_ports
        .iter()
        .map(ToString::to_string)
        .collect()
}
