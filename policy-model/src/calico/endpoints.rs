//! Calico HostEndpoint and WorkloadEndpoint.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::policy::calico_object;
use crate::meta::ObjectMeta;
use crate::values::Protocol;
use crate::values::nets::deserialize_cidrs_or_ips;

/// A named port of an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "EndpointPort")]
pub struct EndpointPort {
    /// Port name (a valid Kubernetes port name; validation checks).
    pub name: String,
    /// Protocol (must be TCP, UDP or SCTP; validation checks).
    pub protocol: Protocol,
    /// Port number.
    pub port: u16,
}

/// Spec of a HostEndpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "HostEndpointSpec")]
pub struct HostEndpointSpec {
    /// Node name (required).
    #[serde(default)]
    pub node: String,
    /// Interface name, `*` for all interfaces, or empty (found by IP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface_name: Option<String>,
    /// IPs of the interface; what selectors resolve the endpoint to.
    #[serde(rename = "expectedIPs", default, skip_serializing_if = "Vec::is_empty")]
    pub expected_ips: Vec<IpAddr>,
    /// Profiles, in evaluation order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// Named ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<EndpointPort>,
}

calico_object!(
    /// `projectcalico.org/v3` HostEndpoint.
    HostEndpoint,
    HostEndpointSpec
);

/// A named port of a workload endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "WorkloadEndpointPort")]
pub struct WorkloadEndpointPort {
    /// Port name.
    pub name: String,
    /// Protocol.
    pub protocol: Protocol,
    /// Port number.
    pub port: u16,
    /// Host port (kept, not interpreted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<u16>,
    /// Host IP (kept, not interpreted).
    #[serde(rename = "hostIP", default, skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
}

/// A NAT mapping of a workload endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "IpNat")]
pub struct IpNat {
    /// Internal IP.
    #[serde(rename = "internalIP")]
    pub internal_ip: IpAddr,
    /// External IP.
    #[serde(rename = "externalIP")]
    pub external_ip: IpAddr,
}

/// Spec of a WorkloadEndpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "WorkloadEndpointSpec")]
pub struct WorkloadEndpointSpec {
    /// Orchestrator (`k8s` for pods).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub orchestrator: String,
    /// Workload name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub workload: String,
    /// Node name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node: String,
    /// Container ID.
    #[serde(
        rename = "containerID",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub container_id: String,
    /// Pod name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pod: String,
    /// Endpoint name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    /// Service account of the pod.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service_account_name: String,
    /// IP networks of the endpoint (a bare IP is a host prefix).
    #[serde(
        rename = "ipNetworks",
        default,
        deserialize_with = "deserialize_cidrs_or_ips",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ip_networks: Vec<IpNet>,
    /// NAT mappings.
    #[serde(rename = "ipNATs", default, skip_serializing_if = "Vec::is_empty")]
    pub ip_nats: Vec<IpNat>,
    /// IPv4 gateway (kept, not interpreted).
    #[serde(
        rename = "ipv4Gateway",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ipv4_gateway: Option<String>,
    /// IPv6 gateway (kept, not interpreted).
    #[serde(
        rename = "ipv6Gateway",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ipv6_gateway: Option<String>,
    /// Profiles, in evaluation order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// Interface name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub interface_name: String,
    /// MAC address (kept, not interpreted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// Named ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<WorkloadEndpointPort>,
    /// Allowed spoofed source prefixes (kept, not interpreted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_spoofed_source_prefixes: Vec<String>,
}

calico_object!(
    /// `projectcalico.org/v3` WorkloadEndpoint.
    WorkloadEndpoint,
    WorkloadEndpointSpec
);
