//! Typed Calico, Kubernetes and policy.networking.k8s.io resources: loading, validation,
//! defaulting and normalisation into one model (the cluster as Felix sees it).

pub mod admin;
pub mod calico;
pub mod convert;
pub mod kube;
pub mod meta;
pub mod model;
mod resource;
pub mod values;

pub use resource::{
    ADMIN_V1ALPHA1_API, ADMIN_V1ALPHA2_API, CALICO_API, CORE_API, DISCOVERY_API, NETWORKING_API,
    Resource, ResourceKind,
};
