//! policy.networking.k8s.io: AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1),
//! ClusterNetworkPolicy (v1alpha2). Field reference: `NETWORK-POLICY-API.md`.
//!
//! One-of objects (subject, peers, ports) are structs of `Option`s so that "no known key" and
//! "two keys" are reported by validation (and fail closed in conversion) instead of failing to
//! decode.

mod common;
mod v1alpha1;
mod v1alpha2;

pub use common::{AdminSubject, NamespacedPod};
pub use v1alpha1::{
    AdminNetworkPolicy, AdminNetworkPolicySpec, AnpAction, AnpEgressPeer, AnpEgressRule,
    AnpIngressPeer, AnpIngressRule, AnpPort, AnpPortNumber, AnpPortRange, BanpAction,
    BaselineAdminNetworkPolicy, BaselineAdminNetworkPolicySpec,
};
pub use v1alpha2::{
    ClusterNetworkPolicy, ClusterNetworkPolicySpec, CnpAction, CnpDestinationPort, CnpEgressRule,
    CnpIngressRule, CnpPortRange, CnpProtocol, CnpProtocolPort, CnpTier,
};
