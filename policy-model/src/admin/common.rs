//! Parts shared by the admin kinds.

use serde::{Deserialize, Serialize};

use crate::kube::LabelSelector;

/// `spec.subject`: exactly one of `namespaces` or `pods`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "AdminSubject")]
pub struct AdminSubject {
    /// All pods in the selected namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<LabelSelector>,
    /// Selected pods in selected namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<NamespacedPod>,
}

/// `{namespaceSelector, podSelector}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "NamespacedPod")]
pub struct NamespacedPod {
    /// Namespaces (required in v1alpha1, optional = all in v1alpha2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// Pods (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<LabelSelector>,
}
