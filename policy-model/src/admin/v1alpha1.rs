//! v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::common::{AdminSubject, NamespacedPod};
use crate::kube::{KubeProtocol, LabelSelector};
use crate::meta::ObjectMeta;

/// ANP rule action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AnpAction {
    /// Allow.
    Allow,
    /// Deny.
    Deny,
    /// Pass to NetworkPolicy / BANP.
    Pass,
}

/// BANP rule action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BanpAction {
    /// Allow.
    Allow,
    /// Deny.
    Deny,
}

/// Ingress peer: one of `namespaces`, `pods`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "AnpIngressPeer")]
pub struct AnpIngressPeer {
    /// Namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<LabelSelector>,
    /// Pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<NamespacedPod>,
}

/// Egress peer: one of `namespaces`, `pods`, `nodes`, `networks`, `domainNames`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "AnpEgressPeer")]
pub struct AnpEgressPeer {
    /// Namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<LabelSelector>,
    /// Pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<NamespacedPod>,
    /// Nodes (experimental).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<LabelSelector>,
    /// CIDRs (host bits allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networks: Option<Vec<IpNet>>,
    /// Domain names (experimental; ANP only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_names: Option<Vec<String>>,
}

/// `portNumber`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "AnpPortNumber")]
pub struct AnpPortNumber {
    /// Protocol (default TCP).
    #[serde(default = "tcp")]
    pub protocol: KubeProtocol,
    /// Port 1–65535.
    pub port: i32,
}

/// `portRange`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "AnpPortRange")]
pub struct AnpPortRange {
    /// Protocol (default TCP).
    #[serde(default = "tcp")]
    pub protocol: KubeProtocol,
    /// Start 1–65535.
    pub start: i32,
    /// End 1–65535.
    pub end: i32,
}

fn tcp() -> KubeProtocol {
    KubeProtocol::Tcp
}

/// A `ports` item: one of `portNumber`, `portRange`, `namedPort`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "AnpPort")]
pub struct AnpPort {
    /// A single port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_number: Option<AnpPortNumber>,
    /// A range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range: Option<AnpPortRange>,
    /// A container port name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_port: Option<String>,
}

/// An ingress rule (ANP with [`AnpAction`], BANP with [`BanpAction`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "AnpIngressRule")]
pub struct AnpIngressRule<A> {
    /// Rule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Action.
    pub action: A,
    /// Peers (1–100).
    #[serde(default)]
    pub from: Vec<AnpIngressPeer>,
    /// Ports (absent = any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<AnpPort>>,
}

/// An egress rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "AnpEgressRule")]
pub struct AnpEgressRule<A> {
    /// Rule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Action.
    pub action: A,
    /// Peers (1–100).
    #[serde(default)]
    pub to: Vec<AnpEgressPeer>,
    /// Ports (absent = any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<AnpPort>>,
}

/// AdminNetworkPolicy spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "AdminNetworkPolicySpec")]
pub struct AdminNetworkPolicySpec {
    /// 0–1000, lower first.
    pub priority: i32,
    /// Pods the policy applies to.
    pub subject: AdminSubject,
    /// Ingress rules (≤100).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<AnpIngressRule<AnpAction>>,
    /// Egress rules (≤100).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<AnpEgressRule<AnpAction>>,
}

/// BaselineAdminNetworkPolicy spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "BaselineAdminNetworkPolicySpec")]
pub struct BaselineAdminNetworkPolicySpec {
    /// Pods the policy applies to.
    pub subject: AdminSubject,
    /// Ingress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<AnpIngressRule<BanpAction>>,
    /// Egress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<AnpEgressRule<BanpAction>>,
}

/// policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "Object")]
pub struct AdminNetworkPolicy {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: AdminNetworkPolicySpec,
    /// Status (kept verbatim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<serde_json::Value>,
}

/// policy.networking.k8s.io/v1alpha1 BaselineAdminNetworkPolicy (singleton `default`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "Object")]
pub struct BaselineAdminNetworkPolicy {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: BaselineAdminNetworkPolicySpec,
    /// Status (kept verbatim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<serde_json::Value>,
}
