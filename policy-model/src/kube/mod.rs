//! Kubernetes resources: the fields of core/v1, discovery.k8s.io/v1 and networking.k8s.io/v1
//! objects that policy needs.
//!
//! Objects read from a cluster carry many more fields (container images, probes, status, …).
//! The structs holding those parts are *open*: fields they do not model are skipped even in
//! strict mode, because they are valid Kubernetes fields that have no bearing on policy.
//! The policy-relevant parts (metadata, `spec.serviceAccountName`, container ports, pod IPs,
//! NetworkPolicy specs) are checked strictly.
//!
//! # Why own types rather than `k8s-openapi`'s
//!
//! These are Palisade's own serde types, not the ecosystem's `k8s-openapi` types:
//!
//! - **A lean build.** `k8s-openapi` is a large crate (every API group of a Kubernetes release,
//!   tens of megabytes of generated source) and forces a choice of Kubernetes version on every
//!   dependent: a library must not pick its `v1_*` feature, so a library built on it cannot even
//!   compile on its own. Policy needs a small subset of six kinds.
//! - **Precise loading.** The loader's strict and lenient modes, its "did you mean" hints and
//!   its exact field paths need decoders that know which structs are *open* (pod specs,
//!   containers) and which are checked strictly, and types that hold parsed values (IP
//!   addresses, CIDRs, protocols) so that a bad value is reported where it is written.
//!
//! Programs that already hold `k8s-openapi` objects (a controller using `kube`) enable this
//! crate's `k8s-openapi` feature, which adds `TryFrom` conversions from `k8s-openapi`'s
//! Namespace, Pod, ServiceAccount, Service, EndpointSlice and NetworkPolicy into these types
//! and into [`Resource`](crate::Resource) (module `from_k8s_openapi`). The binary selects the
//! Kubernetes version with one `k8s-openapi/v1_*` feature, as `k8s-openapi` requires.

mod core;
mod endpoint_slice;
#[cfg(feature = "k8s-openapi")]
pub mod from_k8s_openapi;
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
