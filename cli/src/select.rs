//! `palisade select`: the workload endpoints, host endpoints and network sets whose effective
//! labels (own labels, then each profile's labels in profile order; SEMANTICS §1.3) match a
//! selector, with their addresses.

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_policy_model::model::Model;
use palisade_selector::{LabelSet, Selector};
use serde::Serialize;

/// The effective labels of an entity with `own` labels and `profiles` (SEMANTICS §1.3: own
/// labels win, then the profiles' `labelsToApply` in order).
pub fn effective_labels(
    model: &Model,
    own: &BTreeMap<String, String>,
    profiles: &[Arc<str>],
) -> LabelSet {
    let inherited: Vec<BTreeMap<String, String>> = profiles
        .iter()
        .filter_map(|p| model.profile(p))
        .map(|p| p.labels_to_apply)
        .collect();
    palisade_compiler::index::effective_labels(own, inherited.iter())
}

/// What kind of thing matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EntityKind {
    /// A workload endpoint (pod or WorkloadEndpoint).
    WorkloadEndpoint,
    /// A host endpoint.
    HostEndpoint,
    /// A namespaced NetworkSet.
    NetworkSet,
    /// A GlobalNetworkSet.
    GlobalNetworkSet,
}

impl EntityKind {
    /// The kind as a word.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::WorkloadEndpoint => "WorkloadEndpoint",
            EntityKind::HostEndpoint => "HostEndpoint",
            EntityKind::NetworkSet => "NetworkSet",
            EntityKind::GlobalNetworkSet => "GlobalNetworkSet",
        }
    }
}

/// One matching entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Selected {
    /// Its kind.
    pub kind: EntityKind,
    /// `ns/name`, `hostendpoint/name`, `ns/name` (network set) or `name` (global network set).
    pub name: String,
    /// Addresses (pod IPs, expected IPs, or CIDRs).
    pub addresses: Vec<String>,
    /// Its effective labels.
    pub labels: BTreeMap<String, String>,
}

fn labels_map(labels: &LabelSet) -> BTreeMap<String, String> {
    labels
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Every workload endpoint, host endpoint and network set whose effective labels match
/// `selector`, in that order (each by name).
pub fn select(model: &Model, selector: &Selector) -> Vec<Selected> {
    let mut out = Vec::new();
    for w in model.workloads() {
        let labels = effective_labels(model, &w.labels, &w.profiles);
        if selector.matches(&labels) {
            out.push(Selected {
                kind: EntityKind::WorkloadEndpoint,
                name: w.key.to_string(),
                addresses: w.ips.iter().map(|n| n.addr().to_string()).collect(),
                labels: labels_map(&labels),
            });
        }
    }
    for h in model.host_endpoints() {
        let labels = effective_labels(model, &h.labels, &h.profiles);
        if selector.matches(&labels) {
            out.push(Selected {
                kind: EntityKind::HostEndpoint,
                name: h.key.to_string(),
                addresses: h.expected_ips.iter().map(ToString::to_string).collect(),
                labels: labels_map(&labels),
            });
        }
    }
    for n in model.network_sets() {
        let labels = effective_labels(model, &n.labels, &n.profiles);
        if selector.matches(&labels) {
            let (kind, name) = match &n.namespace {
                Some(ns) => (EntityKind::NetworkSet, format!("{ns}/{}", n.name)),
                None => (EntityKind::GlobalNetworkSet, n.name.to_string()),
            };
            out.push(Selected {
                kind,
                name,
                addresses: n.nets.iter().map(ToString::to_string).collect(),
                labels: labels_map(&labels),
            });
        }
    }
    out
}
