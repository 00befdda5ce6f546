//! discovery.k8s.io/v1 EndpointSlice (for `services` matches).

use serde::{Deserialize, Serialize};

use super::network_policy::KubeProtocol;
use crate::meta::ObjectMeta;

/// discovery.k8s.io/v1 EndpointSlice. The Service it belongs to is the label
/// `kubernetes.io/service-name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "EndpointSlice")]
pub struct EndpointSlice {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// `IPv4`, `IPv6` or `FQDN`.
    pub address_type: String,
    /// Endpoints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<Endpoint>,
    /// Ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<EndpointPortRef>,
}

impl EndpointSlice {
    /// The Service name from the `kubernetes.io/service-name` label.
    pub fn service_name(&self) -> Option<&str> {
        self.metadata
            .labels
            .get("kubernetes.io/service-name")
            .map(String::as_str)
    }
}

/// One endpoint of a slice (open).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "OpenEndpoint")]
pub struct Endpoint {
    /// Addresses.
    #[serde(default)]
    pub addresses: Vec<String>,
    /// Conditions (kept verbatim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<serde_json::Value>,
}

/// One port of a slice (open).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "OpenEndpointPortRef")]
pub struct EndpointPortRef {
    /// Port name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Protocol (default TCP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<KubeProtocol>,
    /// Port number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}
