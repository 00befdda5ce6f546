//! Object metadata shared by every kind (the part of Kubernetes `ObjectMeta` that policy needs,
//! plus the server-populated fields so that `kubectl get -o yaml` dumps load in strict mode).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `metadata` of any object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "ObjectMeta")]
pub struct ObjectMeta {
    /// Object name.
    #[serde(default)]
    pub name: String,
    /// Namespace (namespaced kinds only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// `generateName` (kept, not interpreted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate_name: Option<String>,
    /// Server-set UID (kept, not interpreted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Server-set resource version (kept, not interpreted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
    /// Server-set generation (kept, not interpreted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// Server-set creation time (kept, not interpreted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    /// Server-set deletion time (kept, not interpreted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<String>,
    /// Other server-populated fields (`managedFields`, `ownerReferences`, `finalizers`, …) are
    /// kept verbatim and never interpreted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_fields: Option<serde_json::Value>,
    /// Owner references (kept verbatim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_references: Option<serde_json::Value>,
    /// Finalizers (kept verbatim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalizers: Option<serde_json::Value>,
    /// Self link of older API servers (kept verbatim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_link: Option<String>,
    /// Deletion grace period (kept verbatim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
}

impl ObjectMeta {
    /// Metadata with just a name.
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::default()
        }
    }

    /// Metadata with a name and namespace.
    pub fn namespaced(namespace: &str, name: &str) -> Self {
        Self {
            name: name.to_owned(),
            namespace: Some(namespace.to_owned()),
            ..Self::default()
        }
    }
}
