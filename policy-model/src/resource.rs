//! The closed set of kinds Palisade reads, chosen by `apiVersion` + `kind`.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::admin::{AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy};
use crate::calico::{
    FelixConfiguration, GlobalNetworkPolicy, GlobalNetworkSet, HostEndpoint, NetworkPolicy,
    NetworkSet, Profile, StagedGlobalNetworkPolicy, StagedKubernetesNetworkPolicy,
    StagedNetworkPolicy, Tier, WorkloadEndpoint,
};
use crate::kube::{
    EndpointSlice, KubernetesNetworkPolicy, Namespace, Pod, Service, ServiceAccount,
};
use crate::meta::ObjectMeta;

/// `apiVersion` of Calico resources.
pub const CALICO_API: &str = "projectcalico.org/v3";
/// `apiVersion` of core Kubernetes resources.
pub const CORE_API: &str = "v1";
/// `apiVersion` of EndpointSlice.
pub const DISCOVERY_API: &str = "discovery.k8s.io/v1";
/// `apiVersion` of Kubernetes NetworkPolicy.
pub const NETWORKING_API: &str = "networking.k8s.io/v1";
/// `apiVersion` of AdminNetworkPolicy / BaselineAdminNetworkPolicy.
pub const ADMIN_V1ALPHA1_API: &str = "policy.networking.k8s.io/v1alpha1";
/// `apiVersion` of ClusterNetworkPolicy.
pub const ADMIN_V1ALPHA2_API: &str = "policy.networking.k8s.io/v1alpha2";

macro_rules! kinds {
    ($( $variant:ident => $ty:ty, $api:expr, $kind:literal, $doc:literal; )*) => {
        /// Every kind Palisade reads.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ResourceKind {
            $( #[doc = $doc] $variant, )*
        }

        impl ResourceKind {
            /// All kinds.
            pub const ALL: &'static [ResourceKind] = &[$(ResourceKind::$variant),*];

            /// The `apiVersion` of this kind.
            pub fn api_version(self) -> &'static str {
                match self { $( ResourceKind::$variant => $api, )* }
            }

            /// The `kind` string.
            pub fn kind(self) -> &'static str {
                match self { $( ResourceKind::$variant => $kind, )* }
            }

            /// The kind for an `apiVersion` + `kind` pair.
            pub fn lookup(api_version: &str, kind: &str) -> Option<ResourceKind> {
                ResourceKind::ALL
                    .iter()
                    .copied()
                    .find(|k| k.api_version() == api_version && k.kind() == kind)
            }
        }

        /// One typed resource.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        #[allow(clippy::large_enum_variant)]
        pub enum Resource {
            $( #[doc = $doc] $variant($ty), )*
        }

        impl Resource {
            /// The kind.
            pub fn kind(&self) -> ResourceKind {
                match self { $( Resource::$variant(_) => ResourceKind::$variant, )* }
            }

            /// The metadata.
            pub fn metadata(&self) -> &ObjectMeta {
                match self { $( Resource::$variant(r) => &r.metadata, )* }
            }

            /// The metadata, mutably.
            pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
                match self { $( Resource::$variant(r) => &mut r.metadata, )* }
            }

            pub(crate) fn serialize_body<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                match self { $( Resource::$variant(r) => flatten_into(r, map), )* }
            }
        }

        pub(crate) fn decode_kind<'de, D: serde::Deserializer<'de>>(
            kind: ResourceKind,
            deserializer: D,
        ) -> Result<Resource, D::Error> {
            use serde::Deserialize;
            Ok(match kind { $( ResourceKind::$variant => Resource::$variant(<$ty>::deserialize(deserializer)?), )* })
        }
    };
}

kinds! {
    Tier => Tier, CALICO_API, "Tier", "Calico Tier.";
    NetworkPolicy => NetworkPolicy, CALICO_API, "NetworkPolicy", "Calico NetworkPolicy.";
    GlobalNetworkPolicy => GlobalNetworkPolicy, CALICO_API, "GlobalNetworkPolicy", "Calico GlobalNetworkPolicy.";
    StagedNetworkPolicy => StagedNetworkPolicy, CALICO_API, "StagedNetworkPolicy", "Calico StagedNetworkPolicy.";
    StagedGlobalNetworkPolicy => StagedGlobalNetworkPolicy, CALICO_API, "StagedGlobalNetworkPolicy", "Calico StagedGlobalNetworkPolicy.";
    StagedKubernetesNetworkPolicy => StagedKubernetesNetworkPolicy, CALICO_API, "StagedKubernetesNetworkPolicy", "Calico StagedKubernetesNetworkPolicy.";
    NetworkSet => NetworkSet, CALICO_API, "NetworkSet", "Calico NetworkSet.";
    GlobalNetworkSet => GlobalNetworkSet, CALICO_API, "GlobalNetworkSet", "Calico GlobalNetworkSet.";
    HostEndpoint => HostEndpoint, CALICO_API, "HostEndpoint", "Calico HostEndpoint.";
    WorkloadEndpoint => WorkloadEndpoint, CALICO_API, "WorkloadEndpoint", "Calico WorkloadEndpoint.";
    Profile => Profile, CALICO_API, "Profile", "Calico Profile.";
    FelixConfiguration => FelixConfiguration, CALICO_API, "FelixConfiguration", "Calico FelixConfiguration (policy-relevant fields).";
    Namespace => Namespace, CORE_API, "Namespace", "Kubernetes Namespace.";
    Pod => Pod, CORE_API, "Pod", "Kubernetes Pod.";
    ServiceAccount => ServiceAccount, CORE_API, "ServiceAccount", "Kubernetes ServiceAccount.";
    Service => Service, CORE_API, "Service", "Kubernetes Service.";
    EndpointSlice => EndpointSlice, DISCOVERY_API, "EndpointSlice", "Kubernetes EndpointSlice.";
    KubernetesNetworkPolicy => KubernetesNetworkPolicy, NETWORKING_API, "NetworkPolicy", "Kubernetes NetworkPolicy (networking.k8s.io/v1).";
    AdminNetworkPolicy => AdminNetworkPolicy, ADMIN_V1ALPHA1_API, "AdminNetworkPolicy", "AdminNetworkPolicy (v1alpha1).";
    BaselineAdminNetworkPolicy => BaselineAdminNetworkPolicy, ADMIN_V1ALPHA1_API, "BaselineAdminNetworkPolicy", "BaselineAdminNetworkPolicy (v1alpha1).";
    ClusterNetworkPolicy => ClusterNetworkPolicy, ADMIN_V1ALPHA2_API, "ClusterNetworkPolicy", "ClusterNetworkPolicy (v1alpha2).";
}

impl ResourceKind {
    /// True for namespaced kinds.
    pub fn is_namespaced(self) -> bool {
        matches!(
            self,
            ResourceKind::NetworkPolicy
                | ResourceKind::StagedNetworkPolicy
                | ResourceKind::StagedKubernetesNetworkPolicy
                | ResourceKind::NetworkSet
                | ResourceKind::WorkloadEndpoint
                | ResourceKind::Pod
                | ResourceKind::ServiceAccount
                | ResourceKind::Service
                | ResourceKind::EndpointSlice
                | ResourceKind::KubernetesNetworkPolicy
        )
    }

    /// For an `apiVersion`/`kind` pair that is not supported: which of the two fields is
    /// probably wrong (`"apiVersion"` or `"kind"`), and a hint (empty when there is none) such
    /// as "did you mean `networking.k8s.io/v1`?" for a typo in the version, or a note that a
    /// removed API group (`extensions/v1beta1`) no longer serves the kind.
    pub fn hint_for(api_version: &str, kind: &str) -> (&'static str, String) {
        let versions: Vec<&'static str> = ResourceKind::ALL
            .iter()
            .filter(|k| k.kind() == kind)
            .map(|k| k.api_version())
            .collect();
        if !versions.is_empty() {
            let list = versions
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(" or ");
            if api_version.starts_with("extensions/") {
                // A Kubernetes API group: point at the Kubernetes version of the kind.
                let kube: Vec<String> = versions
                    .iter()
                    .filter(|v| **v != CALICO_API)
                    .map(|a| format!("`{a}`"))
                    .collect();
                let list = if kube.is_empty() {
                    list
                } else {
                    kube.join(" or ")
                };
                return (
                    "apiVersion",
                    format!(
                        "; the `{api_version}` API group no longer serves `{kind}`: expected apiVersion {list}"
                    ),
                );
            }
            if let Some(close) = crate::suggest::closest(api_version, versions.iter().copied()) {
                return (
                    "apiVersion",
                    format!("; did you mean apiVersion `{close}`?"),
                );
            }
            return (
                "apiVersion",
                format!("; `{kind}` is served by apiVersion {list}"),
            );
        }
        let same_api: Vec<&'static str> = ResourceKind::ALL
            .iter()
            .filter(|k| k.api_version() == api_version)
            .map(|k| k.kind())
            .collect();
        let candidates: Vec<&'static str> = if same_api.is_empty() {
            ResourceKind::ALL.iter().map(|k| k.kind()).collect()
        } else {
            same_api
        };
        if let Some(close) = crate::suggest::closest(kind, candidates.iter().copied()) {
            return ("kind", format!("; did you mean kind `{close}`?"));
        }
        let known = ResourceKind::ALL
            .iter()
            .map(|k| k.kind())
            .collect::<Vec<_>>()
            .join(", ");
        ("kind", format!("; the kinds Palisade reads are {known}"))
    }
}

fn flatten_into<T: Serialize, M: SerializeMap>(value: &T, map: &mut M) -> Result<(), M::Error> {
    // Serialize the object to a JSON value (infallible for these types in practice) and copy its
    // fields after apiVersion/kind.
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(fields)) => {
            for (key, field) in fields {
                map.serialize_entry(&key, &field)?;
            }
            Ok(())
        }
        Ok(_) => Err(serde::ser::Error::custom(
            "resource did not serialize to a mapping",
        )),
        Err(e) => Err(serde::ser::Error::custom(e)),
    }
}

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("apiVersion", self.kind().api_version())?;
        map.serialize_entry("kind", self.kind().kind())?;
        self.serialize_body(&mut map)?;
        map.end()
    }
}
