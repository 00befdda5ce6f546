//! v1alpha2 ClusterNetworkPolicy.

use serde::{Deserialize, Serialize};

use super::common::AdminSubject;
use super::v1alpha1::{AnpEgressPeer, AnpIngressPeer};
use crate::meta::ObjectMeta;

/// `spec.tier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CnpTier {
    /// Tier `kube-admin`.
    Admin,
    /// Tier `kube-baseline`.
    Baseline,
}

/// CNP rule action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CnpAction {
    /// Accept (Calico Allow).
    Accept,
    /// Deny.
    Deny,
    /// Pass.
    Pass,
}

/// `range {start, end}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "CnpPortRange")]
pub struct CnpPortRange {
    /// Start.
    pub start: i32,
    /// End (must be > start).
    pub end: i32,
}

/// `destinationPort`: one of `number`, `range`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "CnpDestinationPort")]
pub struct CnpDestinationPort {
    /// A single port (0 = unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<i32>,
    /// A range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<CnpPortRange>,
}

/// `tcp`/`udp`/`sctp: {destinationPort}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "CnpProtocolPort")]
pub struct CnpProtocolPort {
    /// Destination port (required: `tcp: {}` is invalid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_port: Option<CnpDestinationPort>,
}

/// A `protocols` item: one of `tcp`, `udp`, `sctp`, `destinationNamedPort`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "CnpProtocol")]
pub struct CnpProtocol {
    /// TCP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<CnpProtocolPort>,
    /// UDP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udp: Option<CnpProtocolPort>,
    /// SCTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sctp: Option<CnpProtocolPort>,
    /// Named container port on the destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_named_port: Option<String>,
}

/// CNP ingress rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "CnpIngressRule")]
pub struct CnpIngressRule {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Action.
    pub action: CnpAction,
    /// Peers (1–25).
    #[serde(default)]
    pub from: Vec<AnpIngressPeer>,
    /// Protocols (absent = any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocols: Option<Vec<CnpProtocol>>,
}

/// CNP egress rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "CnpEgressRule")]
pub struct CnpEgressRule {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Action.
    pub action: CnpAction,
    /// Peers (1–25).
    #[serde(default)]
    pub to: Vec<AnpEgressPeer>,
    /// Protocols (absent = any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocols: Option<Vec<CnpProtocol>>,
}

/// ClusterNetworkPolicy spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "ClusterNetworkPolicySpec")]
pub struct ClusterNetworkPolicySpec {
    /// Admin or Baseline.
    pub tier: CnpTier,
    /// 0–1000 within the tier.
    pub priority: i32,
    /// Subject.
    pub subject: AdminSubject,
    /// Ingress rules (≤25).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<CnpIngressRule>,
    /// Egress rules (≤25).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<CnpEgressRule>,
}

/// policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "Object")]
pub struct ClusterNetworkPolicy {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: ClusterNetworkPolicySpec,
    /// Status (kept verbatim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<serde_json::Value>,
}
