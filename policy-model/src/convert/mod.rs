//! Conversion of typed resources into model [`Item`]s (SEMANTICS §2.6–§2.8, §5; DECISIONS D3–D5).
//!
//! [`convert`] is a pure function of one resource: everything that depends on other resources
//! (implicit profiles, tiers named by policies, service endpoints derived from pods) is done by
//! the [`Model`](crate::model::Model) store.
//!
//! What each kind becomes:
//!
//! | kind | item |
//! |---|---|
//! | Tier | a declared tier; `defaultAction` other than Pass is Deny |
//! | NetworkPolicy, GlobalNetworkPolicy and their Staged kinds | a policy with scoped selectors (`stagedAction: Delete`: none) |
//! | networking.k8s.io NetworkPolicy, StagedKubernetesNetworkPolicy | a policy in tier `default`, order 1000, Allow rules |
//! | AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy | a policy in tier `kube-admin` / `kube-baseline` |
//! | Profile, Namespace, ServiceAccount | a profile (`kns.<ns>`, `ksa.<ns>.<sa>`) |
//! | Pod (not host-network), WorkloadEndpoint | a workload endpoint |
//! | HostEndpoint | a host endpoint |
//! | NetworkSet, GlobalNetworkSet | a network set |
//! | Service, EndpointSlice | a service spec, a service slice |
//! | FelixConfiguration `default` | Felix settings |
//!
//! Selectors are scoped the way Calico does it, on selector text that is then re-parsed, so a
//! converted selector has exactly the canonical form and unique ID Felix computes. Every policy
//! keeps its source object's kind, namespace and name, and every rule the index of the source
//! rule it came from, so any verdict can name them.

mod admin;
mod calico_kinds;
mod cluster;
mod context;
mod endpoints;
mod kubernetes_policy;
mod labels;
mod policy;
mod rules;
mod selectors;

use crate::Resource;
use crate::model::{Item, Note, PolicyKind, ResourceKey};

pub use labels::{
    NAMESPACE_LABEL, NAMESPACE_LABEL_PREFIX, ORCHESTRATOR_KUBERNETES, ORCHESTRATOR_LABEL,
    SERVICE_ACCOUNT_LABEL, SERVICE_ACCOUNT_LABEL_PREFIX, effective_labels,
};

use context::Ctx;

/// What converting one resource produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Converted {
    /// The items.
    pub items: Vec<Item>,
    /// Notes (conversion errors for parts that were dropped or replaced, warnings, information).
    pub notes: Vec<Note>,
}

/// Converts one resource into model items. Never panics; what cannot be converted is reported
/// in [`Converted::notes`].
pub fn convert(resource: &Resource) -> Converted {
    let mut ctx = Ctx::new(ResourceKey::of(resource));
    let item = convert_item(&mut ctx, resource);
    Converted {
        items: item.into_iter().collect(),
        notes: ctx.notes,
    }
}

fn convert_item(ctx: &mut Ctx, resource: &Resource) -> Option<Item> {
    match resource {
        Resource::Tier(r) => Some(calico_kinds::tier(ctx, &r.spec)),
        Resource::NetworkPolicy(r) => {
            calico_kinds::network_policy(ctx, &r.spec, PolicyKind::NetworkPolicy)
        }
        Resource::GlobalNetworkPolicy(r) => {
            calico_kinds::global_network_policy(ctx, &r.spec, PolicyKind::GlobalNetworkPolicy)
        }
        Resource::StagedNetworkPolicy(r) => {
            if calico_kinds::stages_deletion(ctx, r.spec.staged_action) {
                return None;
            }
            calico_kinds::network_policy(ctx, &r.spec.enforced(), PolicyKind::StagedNetworkPolicy)
        }
        Resource::StagedGlobalNetworkPolicy(r) => {
            if calico_kinds::stages_deletion(ctx, r.spec.staged_action) {
                return None;
            }
            calico_kinds::global_network_policy(
                ctx,
                &r.spec.enforced(),
                PolicyKind::StagedGlobalNetworkPolicy,
            )
        }
        Resource::StagedKubernetesNetworkPolicy(r) => {
            if calico_kinds::stages_deletion(ctx, r.spec.staged_action) {
                return None;
            }
            kubernetes_policy::kubernetes_network_policy(
                ctx,
                &r.spec.enforced(),
                PolicyKind::StagedKubernetesNetworkPolicy,
            )
        }
        Resource::KubernetesNetworkPolicy(r) => kubernetes_policy::kubernetes_network_policy(
            ctx,
            &r.spec,
            PolicyKind::KubernetesNetworkPolicy,
        ),
        Resource::AdminNetworkPolicy(r) => admin::admin_network_policy(ctx, &r.spec),
        Resource::BaselineAdminNetworkPolicy(r) => {
            admin::baseline_admin_network_policy(ctx, &r.spec)
        }
        Resource::ClusterNetworkPolicy(r) => admin::cluster_network_policy(ctx, &r.spec),
        Resource::Profile(r) => Some(calico_kinds::profile(ctx, &r.spec)),
        Resource::Namespace(r) => Some(cluster::namespace(ctx, &r.metadata.labels)),
        Resource::ServiceAccount(r) => Some(cluster::service_account(ctx, &r.metadata.labels)),
        Resource::Pod(r) => endpoints::pod(ctx, r),
        Resource::WorkloadEndpoint(r) => Some(endpoints::workload_endpoint(
            ctx,
            &r.metadata.labels,
            &r.spec,
        )),
        Resource::HostEndpoint(r) => {
            Some(endpoints::host_endpoint(ctx, &r.metadata.labels, &r.spec))
        }
        Resource::NetworkSet(r) => Some(endpoints::network_set(ctx, &r.metadata.labels, &r.spec)),
        Resource::GlobalNetworkSet(r) => Some(endpoints::global_network_set(
            ctx,
            &r.metadata.labels,
            &r.spec,
        )),
        Resource::Service(r) => Some(cluster::service(ctx, &r.spec)),
        Resource::EndpointSlice(r) => cluster::endpoint_slice(ctx, r),
        Resource::FelixConfiguration(r) => cluster::felix_configuration(ctx, &r.spec),
    }
}
