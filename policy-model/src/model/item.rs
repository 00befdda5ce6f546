//! Items: what converting one resource produces, and the keys that identify resources and items.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::types::{
    EndpointKey, FelixSettings, HostEndpoint, NetworkSet, Policy, PolicyId, Profile,
    ServiceEndpoint, ServiceRef, Tier, WorkloadEndpoint,
};
use crate::kube::IntOrString;
use crate::values::Protocol;
use crate::{Resource, ResourceKind};

/// The identity of a source resource: kind, namespace (for namespaced kinds) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKey {
    /// Kind.
    pub kind: ResourceKind,
    /// Namespace (namespaced kinds only).
    pub namespace: Option<Arc<str>>,
    /// Name.
    pub name: Arc<str>,
}

impl ResourceKey {
    /// The key of a resource. Namespaced kinds without a namespace get `default`, as the API
    /// server would give them.
    pub fn of(resource: &Resource) -> ResourceKey {
        let kind = resource.kind();
        let meta = resource.metadata();
        let namespace = kind.is_namespaced().then(|| {
            Arc::from(
                meta.namespace
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .unwrap_or("default"),
            )
        });
        ResourceKey {
            kind,
            namespace,
            name: Arc::from(meta.name.as_str()),
        }
    }
}

impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind.kind(), ns, self.name),
            None => write!(f, "{} {}", self.kind.kind(), self.name),
        }
    }
}

/// A Service's own spec, as far as deriving its endpoints from pods needs it (DECISIONS D5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSpec {
    /// Identity.
    pub key: ServiceRef,
    /// `spec.selector`; `None` (or empty) means the service has no selector.
    pub selector: Option<BTreeMap<String, String>>,
    /// Ports.
    pub ports: Vec<ServicePortSpec>,
}

/// One service port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServicePortSpec {
    /// Protocol (TCP when the manifest omits it).
    pub protocol: Protocol,
    /// The service port.
    pub port: u16,
    /// `targetPort` (number or container port name); `None` means the same as `port`.
    pub target_port: Option<IntOrString>,
}

/// One EndpointSlice's contribution to a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSlice {
    /// The service (from the `kubernetes.io/service-name` label).
    pub service: ServiceRef,
    /// Slice name.
    pub slice: Arc<str>,
    /// Endpoints.
    pub endpoints: Vec<ServiceEndpoint>,
}

/// What converting a resource produces.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Item {
    /// A declared tier.
    Tier(Tier),
    /// A policy.
    Policy(Policy),
    /// A profile (Calico Profile, namespace, service account).
    Profile(Profile),
    /// A workload endpoint.
    Workload(WorkloadEndpoint),
    /// A host endpoint.
    Host(HostEndpoint),
    /// A network set.
    NetworkSet(NetworkSet),
    /// A Service's spec.
    Service(ServiceSpec),
    /// An EndpointSlice.
    Slice(ServiceSlice),
    /// FelixConfiguration settings.
    Felix(FelixSettings),
}

/// The identity of a model item. Also how a change reports what it touched.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ItemKey {
    /// A tier (declared or derived).
    Tier(Arc<str>),
    /// A policy.
    Policy(PolicyId),
    /// A profile (explicit, implicit or built in).
    Profile(Arc<str>),
    /// A workload or host endpoint.
    Endpoint(EndpointKey),
    /// A network set: namespace (`None` for global) and name.
    NetworkSet(Option<Arc<str>>, Arc<str>),
    /// A service's resolved endpoints.
    Service(ServiceRef),
    /// An EndpointSlice (service, slice name).
    Slice(ServiceRef, Arc<str>),
    /// The FelixConfiguration settings.
    Felix,
}

impl Item {
    /// The item's key.
    pub fn key(&self) -> ItemKey {
        match self {
            Item::Tier(t) => ItemKey::Tier(t.name.clone()),
            Item::Policy(p) => ItemKey::Policy(p.id.clone()),
            Item::Profile(p) => ItemKey::Profile(p.name.clone()),
            Item::Workload(w) => ItemKey::Endpoint(w.key.clone()),
            Item::Host(h) => ItemKey::Endpoint(h.key.clone()),
            Item::NetworkSet(n) => ItemKey::NetworkSet(n.namespace.clone(), n.name.clone()),
            Item::Service(s) => ItemKey::Service(s.key.clone()),
            Item::Slice(s) => ItemKey::Slice(s.service.clone(), s.slice.clone()),
            Item::Felix(_) => ItemKey::Felix,
        }
    }
}

/// How serious a note is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Information (e.g. an implicit namespace profile was created).
    Info,
    /// Something probably unintended, handled as Calico would.
    Warning,
    /// Part of the resource could not be converted (e.g. a rule dropped or replaced).
    Error,
}

/// Something the conversion wants the user to know, attached to a source resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Note {
    /// The resource it is about.
    pub source: ResourceKey,
    /// How serious it is.
    pub severity: Severity,
    /// Field path inside the resource (e.g. `spec.ingress[1].ports[0]`), if any.
    pub path: Option<String>,
    /// What happened.
    pub message: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Info => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{severity}: {}", self.source)?;
        if let Some(path) = &self.path {
            write!(f, ": {path}")?;
        }
        write!(f, ": {}", self.message)
    }
}
