//! Conversions from `k8s-openapi` objects (crate feature `k8s-openapi`).
//!
//! For each Kubernetes kind Palisade models there are two conversions:
//!
//! - `TryFrom<&k8s_openapi::…>` for the typed struct of [`crate::kube`] ([`Pod`],
//!   [`Namespace`], …): a field-by-field copy of everything the struct holds. It fails only
//!   where the `k8s-openapi` field is looser than Palisade's: a port outside 0–65535, a
//!   protocol other than `TCP`/`UDP`/`SCTP`, an IP address or CIDR that does not parse, an
//!   unknown label selector operator or policy type. These are the values the loader rejects
//!   with a decode error, with the same parsers.
//! - `TryFrom<&k8s_openapi::…>` for [`Resource`]: the typed conversion, then validation
//!   ([`mod@crate::validate`]) and the API servers' defaults ([`crate::defaults`]), in the
//!   loader's order. The result is the resource [`load_str`](crate::load_str) yields for the
//!   same object written as YAML, ready for [`convert`](crate::convert::convert) or the
//!   [`Model`](crate::model::Model).
//!
//! | `k8s-openapi` | typed | [`Resource`] variant |
//! |---|---|---|
//! | `api::core::v1::Namespace` | [`Namespace`] | `Namespace` |
//! | `api::core::v1::Pod` | [`Pod`] | `Pod` |
//! | `api::core::v1::ServiceAccount` | [`ServiceAccount`] | `ServiceAccount` |
//! | `api::core::v1::Service` | [`Service`] | `Service` |
//! | `api::discovery::v1::EndpointSlice` | [`EndpointSlice`] | `EndpointSlice` |
//! | `api::networking::v1::NetworkPolicy` | [`KubernetesNetworkPolicy`] | `KubernetesNetworkPolicy` |
//!
//! Fields that the typed structs keep verbatim (a namespace's `spec` and `status`, a service
//! account's `secrets`, `metadata.managedFields`, endpoint `conditions`, …) are stored as the
//! JSON the API server would send, and timestamps in its RFC 3339 form, so that a converted
//! object equals the loaded one. Fields the typed structs do not model (container images,
//! probes, …) are dropped, as the loader skips them.
//!
//! The conversions compile against every Kubernetes version `k8s-openapi` supports; the
//! version is chosen by the binary that links this crate (one `k8s-openapi/v1_*` feature).
//!
//! ```
//! use k8s_openapi::api::core::v1 as corev1;
//! use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
//! use palisade_policy_model::Resource;
//!
//! let pod = corev1::Pod {
//!     metadata: ObjectMeta {
//!         name: Some("web-0".to_owned()),
//!         namespace: Some("shop".to_owned()),
//!         ..ObjectMeta::default()
//!     },
//!     status: Some(corev1::PodStatus {
//!         pod_ip: Some("10.0.0.7".to_owned()),
//!         ..corev1::PodStatus::default()
//!     }),
//!     ..corev1::Pod::default()
//! };
//! let Resource::Pod(converted) = Resource::try_from(&pod)? else { unreachable!() };
//! assert_eq!(converted.ips(), ["10.0.0.7".parse::<std::net::IpAddr>()?]);
//! assert_eq!(converted.service_account(), "default");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use k8s_openapi::api::core::v1 as corev1;
use k8s_openapi::api::discovery::v1 as discoveryv1;
use k8s_openapi::api::networking::v1 as networkingv1;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as metav1;
use k8s_openapi::apimachinery::pkg::util::intstr;
use serde::Serialize;

use super::{
    Container, ContainerPort, Endpoint, EndpointPortRef, EndpointSlice, IntOrString, IpBlock,
    KubeProtocol, KubernetesNetworkPolicy, KubernetesNetworkPolicySpec, LabelSelector,
    LabelSelectorOperator, LabelSelectorRequirement, Namespace, NetworkPolicyEgressRule,
    NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort, Pod, PodIp, PodSpec, PodStatus,
    Service, ServiceAccount, ServicePort, ServiceSpec,
};
use crate::meta::ObjectMeta;
use crate::problem::FieldPath;
use crate::resource::{Resource, ResourceKind};
use crate::validate::Violation;
use crate::values::PolicyType;
use crate::values::nets::parse_cidr;
use crate::yaml::de::PathLink;

/// Why a `k8s-openapi` object could not be converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FromK8sError {
    /// A field holds a value that Palisade's typed resource cannot hold.
    #[error("{object}: `{path}`: {problem}")]
    Value {
        /// The object.
        object: ObjectName,
        /// The field, from the object root, with Kubernetes' JSON field names.
        path: FieldPath,
        /// What is wrong with the value.
        problem: ValueProblem,
    },
    /// The object converted but breaks validation rules (only the conversion into a
    /// [`Resource`] validates).
    #[error("{object}: {}", list_violations(.violations))]
    Invalid {
        /// The object.
        object: ObjectName,
        /// Every broken rule, with its field path.
        violations: Vec<Violation>,
    },
}

impl FromK8sError {
    /// The object the error is about.
    pub fn object(&self) -> &ObjectName {
        match self {
            FromK8sError::Value { object, .. } | FromK8sError::Invalid { object, .. } => object,
        }
    }
}

fn list_violations(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("`{}`: {}", v.path, v.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Kind, namespace and name of a converted object, for error messages.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectName {
    /// The kind.
    pub kind: ResourceKind,
    /// The namespace (`None` for cluster-scoped kinds and objects without one).
    pub namespace: Option<String>,
    /// The name (empty when the object has none).
    pub name: String,
}

impl ObjectName {
    fn of(kind: ResourceKind, meta: &metav1::ObjectMeta) -> Self {
        Self {
            kind,
            namespace: meta.namespace.clone(),
            name: meta.name.clone().unwrap_or_default(),
        }
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.api_version(), self.kind.kind())?;
        match &self.namespace {
            Some(namespace) => write!(f, " {namespace}/{}", self.name),
            None => write!(f, " {}", self.name),
        }
    }
}

/// A value that Palisade's typed resources cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueProblem {
    /// A port number outside 0–65535.
    #[error("port {value} is out of range, expected 0 to 65535")]
    PortOutOfRange {
        /// The number.
        value: i32,
    },
    /// A protocol other than `TCP`, `UDP` or `SCTP` (case matters, as in the API).
    #[error("unknown protocol `{value}`, expected TCP, UDP or SCTP")]
    Protocol {
        /// The protocol as given.
        value: String,
    },
    /// An IP address that does not parse.
    #[error("invalid IP address `{value}`, expected an IPv4 or IPv6 address")]
    IpAddress {
        /// The text as given.
        value: String,
    },
    /// A CIDR that does not parse.
    #[error("invalid CIDR `{value}`, expected an IPv4 or IPv6 network such as 10.0.0.0/8")]
    Cidr {
        /// The text as given.
        value: String,
    },
    /// An IP address where a CIDR is required (`ipBlock` takes no bare addresses).
    #[error(
        "invalid CIDR `{value}`: a prefix length is required, e.g. `{value}/{}`",
        if value.contains(':') { 128 } else { 32 }
    )]
    CidrWithoutPrefix {
        /// The address as given.
        value: String,
    },
    /// A label selector operator other than `In`, `NotIn`, `Exists`, `DoesNotExist`.
    #[error("unknown operator `{value}`, expected In, NotIn, Exists or DoesNotExist")]
    Operator {
        /// The operator as given.
        value: String,
    },
    /// A policy type other than `Ingress` or `Egress`.
    #[error("unknown policy type `{value}`, expected Ingress or Egress")]
    PolicyType {
        /// The policy type as given.
        value: String,
    },
    /// A field kept verbatim could not be written as JSON (a timestamp out of range).
    #[error("cannot be represented as JSON: {message}")]
    Json {
        /// serde_json's message.
        message: String,
    },
}

/// A [`ValueProblem`] at a field, before the object is known.
struct FieldError {
    path: FieldPath,
    problem: ValueProblem,
}

type FieldResult<T> = Result<T, FieldError>;

fn fail<T>(path: &PathLink<'_>, problem: ValueProblem) -> FieldResult<T> {
    Err(FieldError {
        path: path.field_path(),
        problem,
    })
}

/// A list field: `Vec<T>` in some Kubernetes versions, `Option<Vec<T>>` in others
/// (`EndpointSlice.endpoints` became optional in 1.36).
trait ListField<T> {
    fn items(&self) -> &[T];
}

impl<T> ListField<T> for Vec<T> {
    fn items(&self) -> &[T] {
        self
    }
}

impl<T> ListField<T> for Option<Vec<T>> {
    fn items(&self) -> &[T] {
        self.as_deref().unwrap_or_default()
    }
}

/// Converts each element of an optional list, with `[i]` paths under `path`.
fn each<S, T>(
    list: &impl ListField<S>,
    path: &PathLink<'_>,
    mut convert: impl FnMut(&S, &PathLink<'_>) -> FieldResult<T>,
) -> FieldResult<Vec<T>> {
    list.items()
        .iter()
        .enumerate()
        .map(|(i, item)| convert(item, &PathLink::Index(path, i)))
        .collect()
}

fn port(value: i32, path: &PathLink<'_>) -> FieldResult<u16> {
    u16::try_from(value).or_else(|_| fail(path, ValueProblem::PortOutOfRange { value }))
}

fn optional_port(value: Option<i32>, path: &PathLink<'_>) -> FieldResult<Option<u16>> {
    value.map(|v| port(v, path)).transpose()
}

fn protocol(value: Option<&str>, path: &PathLink<'_>) -> FieldResult<Option<KubeProtocol>> {
    match value {
        None => Ok(None),
        Some("TCP") => Ok(Some(KubeProtocol::Tcp)),
        Some("UDP") => Ok(Some(KubeProtocol::Udp)),
        Some("SCTP") => Ok(Some(KubeProtocol::Sctp)),
        Some(other) => fail(
            path,
            ValueProblem::Protocol {
                value: other.to_owned(),
            },
        ),
    }
}

fn ip(value: &str, path: &PathLink<'_>) -> FieldResult<IpAddr> {
    value.parse().or_else(|_| {
        fail(
            path,
            ValueProblem::IpAddress {
                value: value.to_owned(),
            },
        )
    })
}

/// A CIDR, parsed as the loader parses `ipBlock` CIDRs.
fn cidr(value: &str, path: &PathLink<'_>) -> FieldResult<IpNet> {
    parse_cidr(value).or_else(|_| {
        let value = value.to_owned();
        let problem = if value.parse::<IpAddr>().is_ok() {
            ValueProblem::CidrWithoutPrefix { value }
        } else {
            ValueProblem::Cidr { value }
        };
        fail(path, problem)
    })
}

/// A field kept verbatim, as the JSON the API server sends.
fn verbatim<T: Serialize>(value: &T, path: &PathLink<'_>) -> FieldResult<serde_json::Value> {
    serde_json::to_value(value).or_else(|error| {
        fail(
            path,
            ValueProblem::Json {
                message: error.to_string(),
            },
        )
    })
}

fn optional_verbatim<T: Serialize>(
    value: Option<&T>,
    path: &PathLink<'_>,
) -> FieldResult<Option<serde_json::Value>> {
    value.map(|v| verbatim(v, path)).transpose()
}

/// A timestamp in the API server's form (`2024-05-01T12:00:00Z`).
fn time(value: Option<&metav1::Time>, path: &PathLink<'_>) -> FieldResult<Option<String>> {
    match optional_verbatim(value, path)? {
        None => Ok(None),
        Some(serde_json::Value::String(text)) => Ok(Some(text)),
        Some(other) => fail(
            path,
            ValueProblem::Json {
                message: format!("a timestamp was written as {other}, expected a string"),
            },
        ),
    }
}

fn string_map(map: Option<&BTreeMap<String, String>>) -> BTreeMap<String, String> {
    map.cloned().unwrap_or_default()
}

fn object_meta(meta: &metav1::ObjectMeta) -> FieldResult<ObjectMeta> {
    let root = PathLink::Root;
    let path = PathLink::Key(&root, "metadata");
    let at = |key| PathLink::Key(&path, key);
    Ok(ObjectMeta {
        name: meta.name.clone().unwrap_or_default(),
        namespace: meta.namespace.clone(),
        labels: string_map(meta.labels.as_ref()),
        annotations: string_map(meta.annotations.as_ref()),
        generate_name: meta.generate_name.clone(),
        uid: meta.uid.clone(),
        resource_version: meta.resource_version.clone(),
        generation: meta.generation,
        creation_timestamp: time(meta.creation_timestamp.as_ref(), &at("creationTimestamp"))?,
        deletion_timestamp: time(meta.deletion_timestamp.as_ref(), &at("deletionTimestamp"))?,
        managed_fields: optional_verbatim(meta.managed_fields.as_ref(), &at("managedFields"))?,
        owner_references: optional_verbatim(
            meta.owner_references.as_ref(),
            &at("ownerReferences"),
        )?,
        finalizers: optional_verbatim(meta.finalizers.as_ref(), &at("finalizers"))?,
        self_link: meta.self_link.clone(),
        deletion_grace_period_seconds: meta.deletion_grace_period_seconds,
    })
}

impl From<&intstr::IntOrString> for IntOrString {
    fn from(value: &intstr::IntOrString) -> Self {
        match value {
            intstr::IntOrString::Int(n) => IntOrString::Int(*n),
            intstr::IntOrString::String(s) => IntOrString::String(s.clone()),
        }
    }
}

fn label_selector(
    selector: &metav1::LabelSelector,
    path: &PathLink<'_>,
) -> FieldResult<LabelSelector> {
    Ok(LabelSelector {
        match_labels: string_map(selector.match_labels.as_ref()),
        match_expressions: each(
            &selector.match_expressions,
            &PathLink::Key(path, "matchExpressions"),
            label_selector_requirement,
        )?,
    })
}

fn label_selector_requirement(
    requirement: &metav1::LabelSelectorRequirement,
    path: &PathLink<'_>,
) -> FieldResult<LabelSelectorRequirement> {
    let operator = match requirement.operator.as_str() {
        "In" => LabelSelectorOperator::In,
        "NotIn" => LabelSelectorOperator::NotIn,
        "Exists" => LabelSelectorOperator::Exists,
        "DoesNotExist" => LabelSelectorOperator::DoesNotExist,
        other => {
            return fail(
                &PathLink::Key(path, "operator"),
                ValueProblem::Operator {
                    value: other.to_owned(),
                },
            );
        }
    };
    Ok(LabelSelectorRequirement {
        key: requirement.key.clone(),
        operator,
        values: requirement.values.clone().unwrap_or_default(),
    })
}

fn optional_selector(
    selector: Option<&metav1::LabelSelector>,
    path: &PathLink<'_>,
) -> FieldResult<Option<LabelSelector>> {
    selector.map(|s| label_selector(s, path)).transpose()
}

// ---- core/v1 ------------------------------------------------------------------------------

fn namespace(value: &corev1::Namespace) -> FieldResult<Namespace> {
    let root = PathLink::Root;
    Ok(Namespace {
        metadata: object_meta(&value.metadata)?,
        spec: optional_verbatim(value.spec.as_ref(), &PathLink::Key(&root, "spec"))?,
        status: optional_verbatim(value.status.as_ref(), &PathLink::Key(&root, "status"))?,
    })
}

fn service_account(value: &corev1::ServiceAccount) -> FieldResult<ServiceAccount> {
    let root = PathLink::Root;
    Ok(ServiceAccount {
        metadata: object_meta(&value.metadata)?,
        secrets: optional_verbatim(value.secrets.as_ref(), &PathLink::Key(&root, "secrets"))?,
        image_pull_secrets: optional_verbatim(
            value.image_pull_secrets.as_ref(),
            &PathLink::Key(&root, "imagePullSecrets"),
        )?,
        automount_service_account_token: value.automount_service_account_token,
    })
}

fn pod(value: &corev1::Pod) -> FieldResult<Pod> {
    let root = PathLink::Root;
    Ok(Pod {
        metadata: object_meta(&value.metadata)?,
        spec: match &value.spec {
            Some(spec) => pod_spec(spec, &PathLink::Key(&root, "spec"))?,
            None => PodSpec::default(),
        },
        status: match &value.status {
            Some(status) => pod_status(status, &PathLink::Key(&root, "status"))?,
            None => PodStatus::default(),
        },
    })
}

fn pod_spec(spec: &corev1::PodSpec, path: &PathLink<'_>) -> FieldResult<PodSpec> {
    Ok(PodSpec {
        service_account_name: spec.service_account_name.clone(),
        node_name: spec.node_name.clone(),
        host_network: spec.host_network.unwrap_or(false),
        containers: each(
            &spec.containers,
            &PathLink::Key(path, "containers"),
            container,
        )?,
        init_containers: each(
            &spec.init_containers,
            &PathLink::Key(path, "initContainers"),
            container,
        )?,
    })
}

fn container(container: &corev1::Container, path: &PathLink<'_>) -> FieldResult<Container> {
    Ok(Container {
        name: container.name.clone(),
        ports: each(
            &container.ports,
            &PathLink::Key(path, "ports"),
            container_port,
        )?,
    })
}

fn container_port(
    port_: &corev1::ContainerPort,
    path: &PathLink<'_>,
) -> FieldResult<ContainerPort> {
    Ok(ContainerPort {
        name: port_.name.clone(),
        container_port: port(port_.container_port, &PathLink::Key(path, "containerPort"))?,
        protocol: protocol(port_.protocol.as_deref(), &PathLink::Key(path, "protocol"))?,
        host_port: optional_port(port_.host_port, &PathLink::Key(path, "hostPort"))?,
        host_ip: port_.host_ip.clone(),
    })
}

fn pod_status(status: &corev1::PodStatus, path: &PathLink<'_>) -> FieldResult<PodStatus> {
    Ok(PodStatus {
        pod_ip: status
            .pod_ip
            .as_deref()
            .map(|text| ip(text, &PathLink::Key(path, "podIP")))
            .transpose()?,
        pod_ips: each(
            &status.pod_ips,
            &PathLink::Key(path, "podIPs"),
            |entry, at| {
                Ok(PodIp {
                    ip: ip(&entry.ip, &PathLink::Key(at, "ip"))?,
                })
            },
        )?,
        phase: status.phase.clone(),
    })
}

fn service(value: &corev1::Service) -> FieldResult<Service> {
    let root = PathLink::Root;
    Ok(Service {
        metadata: object_meta(&value.metadata)?,
        spec: match &value.spec {
            Some(spec) => service_spec(spec, &PathLink::Key(&root, "spec"))?,
            None => ServiceSpec::default(),
        },
        status: optional_verbatim(value.status.as_ref(), &PathLink::Key(&root, "status"))?,
    })
}

fn service_spec(spec: &corev1::ServiceSpec, path: &PathLink<'_>) -> FieldResult<ServiceSpec> {
    Ok(ServiceSpec {
        selector: string_map(spec.selector.as_ref()),
        ports: each(&spec.ports, &PathLink::Key(path, "ports"), service_port)?,
        cluster_ip: spec.cluster_ip.clone(),
        cluster_ips: spec.cluster_ips.clone().unwrap_or_default(),
        service_type: spec.type_.clone(),
    })
}

fn service_port(port_: &corev1::ServicePort, path: &PathLink<'_>) -> FieldResult<ServicePort> {
    Ok(ServicePort {
        name: port_.name.clone(),
        protocol: protocol(port_.protocol.as_deref(), &PathLink::Key(path, "protocol"))?,
        port: port(port_.port, &PathLink::Key(path, "port"))?,
        target_port: port_.target_port.as_ref().map(IntOrString::from),
    })
}

// ---- discovery.k8s.io/v1 ------------------------------------------------------------------

fn endpoint_slice(value: &discoveryv1::EndpointSlice) -> FieldResult<EndpointSlice> {
    let root = PathLink::Root;
    Ok(EndpointSlice {
        metadata: object_meta(&value.metadata)?,
        address_type: value.address_type.clone(),
        endpoints: each(
            &value.endpoints,
            &PathLink::Key(&root, "endpoints"),
            endpoint,
        )?,
        ports: each(&value.ports, &PathLink::Key(&root, "ports"), endpoint_port)?,
    })
}

fn endpoint(endpoint: &discoveryv1::Endpoint, path: &PathLink<'_>) -> FieldResult<Endpoint> {
    Ok(Endpoint {
        addresses: endpoint.addresses.clone(),
        conditions: optional_verbatim(
            endpoint.conditions.as_ref(),
            &PathLink::Key(path, "conditions"),
        )?,
    })
}

fn endpoint_port(
    port_: &discoveryv1::EndpointPort,
    path: &PathLink<'_>,
) -> FieldResult<EndpointPortRef> {
    Ok(EndpointPortRef {
        name: port_.name.clone(),
        protocol: protocol(port_.protocol.as_deref(), &PathLink::Key(path, "protocol"))?,
        port: optional_port(port_.port, &PathLink::Key(path, "port"))?,
    })
}

// ---- networking.k8s.io/v1 -----------------------------------------------------------------

fn network_policy(value: &networkingv1::NetworkPolicy) -> FieldResult<KubernetesNetworkPolicy> {
    let root = PathLink::Root;
    Ok(KubernetesNetworkPolicy {
        metadata: object_meta(&value.metadata)?,
        spec: match &value.spec {
            Some(spec) => network_policy_spec(spec, &PathLink::Key(&root, "spec"))?,
            None => KubernetesNetworkPolicySpec::default(),
        },
    })
}

fn network_policy_spec(
    spec: &networkingv1::NetworkPolicySpec,
    path: &PathLink<'_>,
) -> FieldResult<KubernetesNetworkPolicySpec> {
    Ok(KubernetesNetworkPolicySpec {
        pod_selector: optional_selector(
            spec.pod_selector.as_ref(),
            &PathLink::Key(path, "podSelector"),
        )?
        .unwrap_or_default(),
        ingress: each(
            &spec.ingress,
            &PathLink::Key(path, "ingress"),
            |rule, at| {
                Ok(NetworkPolicyIngressRule {
                    from: each(&rule.from, &PathLink::Key(at, "from"), peer)?,
                    ports: each(&rule.ports, &PathLink::Key(at, "ports"), policy_port)?,
                })
            },
        )?,
        egress: each(&spec.egress, &PathLink::Key(path, "egress"), |rule, at| {
            Ok(NetworkPolicyEgressRule {
                to: each(&rule.to, &PathLink::Key(at, "to"), peer)?,
                ports: each(&rule.ports, &PathLink::Key(at, "ports"), policy_port)?,
            })
        })?,
        policy_types: each(
            &spec.policy_types,
            &PathLink::Key(path, "policyTypes"),
            |text, at| match text.as_str() {
                "Ingress" => Ok(PolicyType::Ingress),
                "Egress" => Ok(PolicyType::Egress),
                other => fail(
                    at,
                    ValueProblem::PolicyType {
                        value: other.to_owned(),
                    },
                ),
            },
        )?,
    })
}

fn peer(
    peer: &networkingv1::NetworkPolicyPeer,
    path: &PathLink<'_>,
) -> FieldResult<NetworkPolicyPeer> {
    Ok(NetworkPolicyPeer {
        pod_selector: optional_selector(
            peer.pod_selector.as_ref(),
            &PathLink::Key(path, "podSelector"),
        )?,
        namespace_selector: optional_selector(
            peer.namespace_selector.as_ref(),
            &PathLink::Key(path, "namespaceSelector"),
        )?,
        ip_block: peer
            .ip_block
            .as_ref()
            .map(|block| ip_block(block, &PathLink::Key(path, "ipBlock")))
            .transpose()?,
    })
}

fn ip_block(block: &networkingv1::IPBlock, path: &PathLink<'_>) -> FieldResult<IpBlock> {
    Ok(IpBlock {
        cidr: cidr(&block.cidr, &PathLink::Key(path, "cidr"))?,
        except: each(&block.except, &PathLink::Key(path, "except"), |text, at| {
            cidr(text, at)
        })?,
    })
}

fn policy_port(
    port_: &networkingv1::NetworkPolicyPort,
    path: &PathLink<'_>,
) -> FieldResult<NetworkPolicyPort> {
    Ok(NetworkPolicyPort {
        protocol: protocol(port_.protocol.as_deref(), &PathLink::Key(path, "protocol"))?,
        port: port_.port.as_ref().map(IntOrString::from),
        end_port: port_.end_port,
    })
}

// ---- the conversions --------------------------------------------------------------------

/// Validates and defaults a converted resource, as the loader does.
fn finish(resource: Resource, meta: &metav1::ObjectMeta) -> Result<Resource, FromK8sError> {
    let violations = crate::validate::validate(&resource);
    if !violations.is_empty() {
        return Err(FromK8sError::Invalid {
            object: ObjectName::of(resource.kind(), meta),
            violations,
        });
    }
    let mut resource = resource;
    crate::defaults::apply_defaults(&mut resource);
    Ok(resource)
}

macro_rules! conversions {
    ($($source:ty => $typed:ident by $convert:ident;)*) => {$(
        impl TryFrom<&$source> for $typed {
            type Error = FromK8sError;

            /// Copies every field the typed struct holds; fails on values it cannot hold.
            fn try_from(value: &$source) -> Result<Self, Self::Error> {
                $convert(value).map_err(|error| FromK8sError::Value {
                    object: ObjectName::of(ResourceKind::$typed, &value.metadata),
                    path: error.path,
                    problem: error.problem,
                })
            }
        }

        impl TryFrom<&$source> for Resource {
            type Error = FromK8sError;

            /// Converts, validates and defaults the object: the resource the loader yields
            /// for the same object written as YAML.
            fn try_from(value: &$source) -> Result<Self, Self::Error> {
                let typed = $typed::try_from(value)?;
                finish(Resource::$typed(typed), &value.metadata)
            }
        }
    )*};
}

conversions! {
    corev1::Namespace => Namespace by namespace;
    corev1::Pod => Pod by pod;
    corev1::ServiceAccount => ServiceAccount by service_account;
    corev1::Service => Service by service;
    discoveryv1::EndpointSlice => EndpointSlice by endpoint_slice;
    networkingv1::NetworkPolicy => KubernetesNetworkPolicy by network_policy;
}
