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
//! `k8s-openapi`'s. A library may not pick a `k8s-openapi` version feature (only binaries may),
//! `k8s-openapi` compiles every API group (a large part of a clean build), and its types cannot
//! carry parsed values (selectors, CIDRs, port names) or tell the loader which structs are
//! *open* (pod specs, containers: real manifests carry many fields that do not matter to
//! policy). The own types keep the build lean and the field paths of errors exact. Conversions
//! from `k8s-openapi` objects are not provided.

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
