//! What the index holds: labelled entities (workload endpoints, host endpoints, network sets) and
//! their effective labels.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use palisade_policy_model::model::EndpointKey;
use palisade_selector::LabelSet;

/// Something that rule and policy selectors can match: an endpoint or a network set.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKey {
    /// A workload or host endpoint.
    Endpoint(EndpointKey),
    /// A NetworkSet (namespace `Some`) or GlobalNetworkSet (`None`).
    NetworkSet {
        /// Namespace, for namespaced network sets.
        namespace: Option<Arc<str>>,
        /// Name.
        name: Arc<str>,
    },
}

impl EntityKey {
    /// The endpoint key, for endpoints.
    pub fn endpoint(&self) -> Option<&EndpointKey> {
        match self {
            EntityKey::Endpoint(k) => Some(k),
            EntityKey::NetworkSet { .. } => None,
        }
    }
}

impl fmt::Display for EntityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntityKey::Endpoint(k) => k.fmt(f),
            EntityKey::NetworkSet {
                namespace: Some(ns),
                name,
            } => write!(f, "networkset/{ns}/{name}"),
            EntityKey::NetworkSet {
                namespace: None,
                name,
            } => write!(f, "globalnetworkset/{name}"),
        }
    }
}

/// The effective labels of an entity: its own labels, then each profile's `labels_to_apply` in
/// profile order, the first layer that has a label winning (SEMANTICS §1.3 label inheritance,
/// §2.7).
pub fn effective_labels<'a>(
    own: &BTreeMap<String, String>,
    inherited: impl IntoIterator<Item = &'a BTreeMap<String, String>>,
) -> LabelSet {
    let mut merged: BTreeMap<&str, &str> = own.iter().map(|(k, v)| (&**k, &**v)).collect();
    for layer in inherited {
        for (k, v) in layer {
            merged.entry(k).or_insert(v);
        }
    }
    merged.into_iter().collect()
}
