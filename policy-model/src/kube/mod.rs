//! Kubernetes resources: the fields of core/v1, discovery.k8s.io/v1 and networking.k8s.io/v1
//! objects that policy needs.
//!
//! Objects read from a cluster carry many more fields (container images, probes, status, …).
//! The structs holding those parts are *open*: fields they do not model are skipped even in
//! strict mode, because they are valid Kubernetes fields that have no bearing on policy.
//! The policy-relevant parts (metadata, `spec.serviceAccountName`, container ports, pod IPs,
//! NetworkPolicy specs) are checked strictly.

mod core;
mod endpoint_slice;
mod label_selector;
mod network_policy;

pub use self::core::{
    Container, ContainerPort, Namespace, Pod, PodIp, PodSpec, PodStatus, Service, ServiceAccount,
    ServicePort, ServiceSpec,
};
pub use endpoint_slice::{Endpoint, EndpointPortRef, EndpointSlice};
pub use label_selector::{LabelSelector, LabelSelectorOperator, LabelSelectorRequirement};
pub use network_policy::{
    IntOrString, IpBlock, KubeProtocol, KubernetesNetworkPolicy, KubernetesNetworkPolicySpec,
    NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
};

/// Struct names (as given to serde) whose unknown fields are skipped in every mode.
pub(crate) const OPEN_STRUCTS: &[&str] = &[
    "OpenPodSpec",
    "OpenContainer",
    "OpenPodStatus",
    "OpenServiceSpec",
    "OpenServicePort",
    "OpenEndpoint",
    "OpenEndpointPortRef",
    "OpenContainerPort",
];
