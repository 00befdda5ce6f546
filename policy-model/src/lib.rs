//! Typed Calico, Kubernetes and policy.networking.k8s.io resources: loading, validation,
//! defaulting and normalisation into one model (the cluster as Felix sees it).
//!
//! # Loading
//!
//! [`load_paths`] and [`load_str`] read YAML or JSON (many documents per file, `kind: List`
//! and calicoctl's `<Kind>List`), pick each document's type by `apiVersion` + `kind`, decode it
//! into the typed resources of [`calico`], [`kube`] and [`admin`], validate it
//! ([`mod@validate`]) and apply the API servers' defaults ([`defaults`]). Every [`Problem`] carries
//! the file, line, column, field path (`spec.ingress[2].source.ports[0]`) and what was expected.
//! Strict mode ([`LoadOptions::strict`], the default) reports unknown fields with a
//! "did you mean" hint; lenient mode ignores them (for objects dumped from a cluster).
//!
//! ```
//! use palisade_policy_model::{LoadOptions, Resource, load_str};
//!
//! let yaml = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n\
//!             metadata: {name: deny-all}\nspec:\n  selector: all()\n";
//! let loaded = load_str(yaml, None, &LoadOptions::strict());
//! assert!(loaded.problems.is_empty());
//! let Resource::GlobalNetworkPolicy(gnp) = &loaded.resources[0].value else { unreachable!() };
//! assert_eq!(gnp.spec.tier.as_deref(), Some("default")); // defaulted
//! ```
//!
//! # Kubernetes types
//!
//! The Kubernetes kinds are Palisade's own minimal serde types (in [`kube`]), not
//! `k8s-openapi`'s, to keep the build lean and the loader precise:
//!
//! - `k8s-openapi` compiles every API group of a Kubernetes release (a large part of a clean
//!   build) and forces a version choice on every dependent: a library may not pick its
//!   `v1_*` feature (only binaries may), so each crate above it would inherit the choice.
//!   Policy needs six kinds and a small subset of their fields.
//! - The loader's strict and lenient modes, "did you mean" hints and exact field paths need
//!   decoders of our own: types that hold parsed values (IP addresses, CIDRs, protocols) and
//!   that mark which structs are *open* (pod specs, containers: real manifests carry many fields
//!   that do not matter to policy).
//!
//! Programs that hold `k8s-openapi` objects (a controller built on `kube`) enable the crate
//! feature `k8s-openapi`. It adds `TryFrom<&k8s_openapi::…>` conversions, in module
//! `kube::from_k8s_openapi`, into the typed Namespace, Pod, ServiceAccount, Service,
//! EndpointSlice and NetworkPolicy, and into [`Resource`] (validated and defaulted exactly as
//! the loader does). The library never selects a Kubernetes version; the binary enables one
//! `k8s-openapi/v1_*` feature:
//!
//! ```toml
//! [dependencies]
//! palisade-policy-model = { version = "0.1", features = ["k8s-openapi"] }
//! k8s-openapi = { version = "0.29", features = ["v1_37"] }
//! ```
//!
//! (For this crate's own tests: `cargo test -p palisade-policy-model --features
//! k8s-openapi,k8s-openapi/latest --test k8s_openapi`.)

pub mod admin;
pub mod calico;
pub mod convert;
pub mod defaults;
pub mod kube;
pub mod load;
pub mod meta;
pub mod model;
pub mod problem;
mod resource;
mod suggest;
pub mod validate;
pub mod values;
mod yaml;

pub use resource::{
    ADMIN_V1ALPHA1_API, ADMIN_V1ALPHA2_API, CALICO_API, CORE_API, DISCOVERY_API, NETWORKING_API,
    Resource, ResourceKind,
};

pub use load::{LoadOptions, Loaded, Located, decode_str, load_bytes, load_paths, load_str};
pub use problem::{FieldPath, Location, PathSegment, Problem, ProblemKind};
pub use validate::{Check, Violation, validate};
