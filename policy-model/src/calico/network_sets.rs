//! Calico NetworkSet and GlobalNetworkSet.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::policy::calico_object;
use crate::meta::ObjectMeta;
use crate::values::nets::deserialize_cidrs_or_ips;

/// Spec of a (Global)NetworkSet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "NetworkSetSpec")]
pub struct NetworkSetSpec {
    /// Networks in the set (a bare IP is a host prefix).
    #[serde(
        default,
        deserialize_with = "deserialize_cidrs_or_ips",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub nets: Vec<IpNet>,
}

calico_object!(
    /// `projectcalico.org/v3` NetworkSet (namespaced).
    NetworkSet,
    NetworkSetSpec
);
calico_object!(
    /// `projectcalico.org/v3` GlobalNetworkSet.
    GlobalNetworkSet,
    NetworkSetSpec
);
