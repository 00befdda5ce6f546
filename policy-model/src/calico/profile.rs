//! Calico Profile.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::policy::calico_object;
use super::rule::Rule;
use crate::meta::ObjectMeta;

/// Spec of a Profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "ProfileSpec")]
pub struct ProfileSpec {
    /// Ingress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<Rule>,
    /// Egress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<Rule>,
    /// Labels inherited by endpoints that use the profile.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels_to_apply: BTreeMap<String, String>,
}

calico_object!(
    /// `projectcalico.org/v3` Profile.
    Profile,
    ProfileSpec
);
