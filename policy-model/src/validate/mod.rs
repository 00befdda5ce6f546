//! Validation: every rule of SEMANTICS §4 (and §1.7, §3), the staged rules, the Kubernetes API
//! server's checks where they matter for policy, and the policy.networking.k8s.io rules of
//! `NETWORK-POLICY-API.md`.
//!
//! Each function returns **all** violations of one object, each with the [`FieldPath`] of the
//! offending field and the [`Check`] that failed, so callers (and tests) can tell rules apart
//! without reading messages. Validation never modifies the object; defaulting is separate
//! ([`crate::defaults`]) and runs after it.

mod admin;
mod calico;
mod kube;
mod names;

use std::fmt;

use crate::problem::FieldPath;
use crate::resource::Resource;
use crate::yaml::de::PathLink;

pub use admin::{
    validate_admin_network_policy, validate_baseline_admin_network_policy,
    validate_cluster_network_policy,
};
pub use calico::{
    WELL_KNOWN_TIERS, validate_felix_configuration, validate_global_network_policy,
    validate_global_network_set, validate_host_endpoint, validate_network_policy,
    validate_network_set, validate_profile, validate_staged_global_network_policy,
    validate_staged_kubernetes_network_policy, validate_staged_network_policy, validate_tier,
    validate_workload_endpoint,
};
pub use kube::{
    validate_endpoint_slice, validate_kubernetes_network_policy, validate_namespace, validate_pod,
    validate_service, validate_service_account,
};

/// Which rule a [`Violation`] breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// `metadata.name` is missing.
    NameRequired,
    /// A name does not have the required format or length.
    NameFormat,
    /// A cluster-scoped object carries a namespace, or a namespace name is malformed.
    Namespace,
    /// A label key or value is not a valid Kubernetes label.
    Label,
    /// A label that this kind may not carry (`projectcalico.org/namespace` on network sets).
    ReservedLabel,
    /// An annotation key is not a qualified name, or annotations exceed 256 KiB.
    Annotation,
    /// A selector is longer than 1024 characters.
    SelectorTooLong,
    /// `global()` where it is not allowed, or combined with other terms (SEMANTICS §1.7).
    GlobalPlacement,
    /// A well-known tier (`default`, `kube-admin`, `kube-baseline`) with the wrong order or
    /// default action.
    WellKnownTier,
    /// `types`/`policyTypes` has more than 2 entries.
    TypesCount,
    /// `types`/`policyTypes` repeats an entry.
    TypesDuplicate,
    /// A list is too long or too short (rules, ports, nets, peers, …).
    Length,
    /// `source.services` on an egress rule, or `destination.services` on an ingress rule.
    ServicesDirection,
    /// `services.namespace` missing in a global policy.
    ServicesNamespace,
    /// `services.name` missing or malformed, or `services.namespace` malformed.
    ServicesName,
    /// `services` combined with selectors, service accounts or nets in one entity rule.
    ServicesCombined,
    /// `destination.services` together with destination ports.
    ServicesPorts,
    /// A staged policy with `stagedAction: Delete` that sets more than `tier`.
    StagedDeleteNotEmpty,
    /// `doNotTrack` and `preDNAT` both set.
    DoNotTrackAndPreDnat,
    /// A preDNAT policy with egress rules or `Egress` in types.
    PreDnatEgress,
    /// doNotTrack or preDNAT without `applyOnForward: true`.
    ApplyOnForwardRequired,
    /// Numeric ports without a protocol.
    PortsNeedProtocol,
    /// Ports with a protocol other than TCP, UDP or SCTP.
    PortsProtocol,
    /// A port name that is not a valid Kubernetes port name.
    PortName,
    /// A port number outside 1–65535.
    PortNumber,
    /// A port range whose start is not below its end, or an `endPort` problem.
    PortRange,
    /// Two ports of one endpoint share a name.
    DuplicatePortName,
    /// `icmp` without protocol ICMP/ICMPv6.
    IcmpProtocol,
    /// An ICMP `code` without a `type`.
    IcmpCodeWithoutType,
    /// ICMP type 255.
    IcmpType,
    /// ICMP protocol with the other IP version.
    IcmpIpVersion,
    /// A CIDR with host bits set where a strict mask is required.
    NetMask,
    /// A CIDR whose family differs from the rule's `ipVersion`.
    NetIpVersion,
    /// IPv4 and IPv6 CIDRs in one rule.
    NetMixedFamilies,
    /// `0.0.0.0/0` or `::/0` in `notNets`.
    NotNetsCatchAll,
    /// An `http` match on a rule that is not `Allow`.
    HttpAction,
    /// An `http` match with a protocol other than TCP.
    HttpProtocol,
    /// An `http` match on an egress rule.
    HttpEgress,
    /// Duplicate HTTP methods.
    HttpDuplicateMethod,
    /// An HTTP path match that is not exactly one of `exact`/`prefix`, or a malformed path.
    HttpPath,
    /// `domains` anywhere but the destination of an egress `Allow` rule.
    DomainsPlacement,
    /// A malformed domain name.
    DomainName,
    /// A host endpoint without `node`.
    HostEndpointNode,
    /// A host endpoint with neither `interfaceName` nor `expectedIPs`.
    HostEndpointInterface,
    /// A malformed interface name.
    InterfaceName,
    /// A port of an endpoint whose protocol cannot carry ports.
    EndpointPortProtocol,
    /// A malformed or wrong-family IP address.
    IpAddress,
    /// An EndpointSlice `addressType` other than IPv4, IPv6, FQDN.
    AddressType,
    /// A NetworkPolicy peer with no field set.
    PeerEmpty,
    /// A NetworkPolicy peer with `ipBlock` and a selector.
    PeerIpBlockCombined,
    /// An `ipBlock.except` entry that is not a strict subset of `cidr`.
    IpBlockExcept,
    /// A label-selector requirement with the wrong values for its operator.
    LabelSelectorValues,
    /// A priority outside 0–1000.
    Priority,
    /// A one-of object with no key or with more than one key.
    OneOf,
    /// A required field is missing.
    Required,
    /// A BaselineAdminNetworkPolicy not named `default`.
    BaselineName,
    /// A named port in a rule with `networks`, `nodes` or `domainNames` peers.
    NamedPortWithNetworks,
    /// A field that this kind does not allow (`domainNames` in a BaselineAdminNetworkPolicy).
    NotAllowed,
    /// Repeated entries in a set-valued list.
    Duplicate,
    /// A malformed CIDR (IPv4-mapped IPv6 in admin policy networks).
    Cidr,
}

/// One broken validation rule: where, which rule, and a message saying what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The offending field, from the object root.
    pub path: FieldPath,
    /// The rule.
    pub check: Check,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Violation {}

/// Collects violations.
pub(crate) struct Sink {
    pub(crate) out: Vec<Violation>,
}

impl Sink {
    pub(crate) fn new() -> Self {
        Self { out: Vec::new() }
    }

    pub(crate) fn push(&mut self, path: &PathLink<'_>, check: Check, message: impl Into<String>) {
        self.out.push(Violation {
            path: path.field_path(),
            check,
            message: message.into(),
        });
    }
}

/// Validates any resource.
pub fn validate(resource: &Resource) -> Vec<Violation> {
    match resource {
        Resource::Tier(r) => validate_tier(r),
        Resource::NetworkPolicy(r) => validate_network_policy(r),
        Resource::GlobalNetworkPolicy(r) => validate_global_network_policy(r),
        Resource::StagedNetworkPolicy(r) => validate_staged_network_policy(r),
        Resource::StagedGlobalNetworkPolicy(r) => validate_staged_global_network_policy(r),
        Resource::StagedKubernetesNetworkPolicy(r) => validate_staged_kubernetes_network_policy(r),
        Resource::NetworkSet(r) => validate_network_set(r),
        Resource::GlobalNetworkSet(r) => validate_global_network_set(r),
        Resource::HostEndpoint(r) => validate_host_endpoint(r),
        Resource::WorkloadEndpoint(r) => validate_workload_endpoint(r),
        Resource::Profile(r) => validate_profile(r),
        Resource::FelixConfiguration(r) => validate_felix_configuration(r),
        Resource::Namespace(r) => validate_namespace(r),
        Resource::Pod(r) => validate_pod(r),
        Resource::ServiceAccount(r) => validate_service_account(r),
        Resource::Service(r) => validate_service(r),
        Resource::EndpointSlice(r) => validate_endpoint_slice(r),
        Resource::KubernetesNetworkPolicy(r) => validate_kubernetes_network_policy(r),
        Resource::AdminNetworkPolicy(r) => validate_admin_network_policy(r),
        Resource::BaselineAdminNetworkPolicy(r) => validate_baseline_admin_network_policy(r),
        Resource::ClusterNetworkPolicy(r) => validate_cluster_network_policy(r),
    }
}
