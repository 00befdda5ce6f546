//! Defaulting, as the API servers apply it: policy `types` (SEMANTICS §2.4), the `default` tier,
//! Kubernetes NetworkPolicy `policyTypes`, and the namespace of namespaced objects.
//!
//! These are pure functions over the typed resources. The loader runs them after validation, so
//! problems point at what was written, not at what was filled in. The well-known tiers that
//! exist when absent (`kube-admin`, `default`, `kube-baseline`) are created by the model, not here.

use crate::kube::KubernetesNetworkPolicySpec;
use crate::resource::Resource;
use crate::values::{PolicyType, StagedAction};

/// The tier a Calico policy without `tier` belongs to.
pub const DEFAULT_TIER: &str = "default";

/// The namespace kubectl and calicoctl use when a namespaced object names none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Calico's `types` defaulting (`defaultPolicyTypesField`): `[Ingress]` when there are no egress
/// rules (also when there are no rules at all), `[Egress]` when there are egress rules but no
/// ingress rules, `[Ingress, Egress]` when there are both.
pub fn default_policy_types(has_ingress: bool, has_egress: bool) -> Vec<PolicyType> {
    match (has_ingress, has_egress) {
        (_, false) => vec![PolicyType::Ingress],
        (false, true) => vec![PolicyType::Egress],
        (true, true) => vec![PolicyType::Ingress, PolicyType::Egress],
    }
}

/// Fills `types` when empty.
fn fill_types(types: &mut Vec<PolicyType>, has_ingress: bool, has_egress: bool) {
    if types.is_empty() {
        *types = default_policy_types(has_ingress, has_egress);
    }
}

/// Fills `tier` when absent or empty.
fn fill_tier(tier: &mut Option<String>) {
    if tier.as_deref().is_none_or(str::is_empty) {
        *tier = Some(DEFAULT_TIER.to_owned());
    }
}

/// The Kubernetes API server's `policyTypes` defaulting: when empty, `[Ingress]`, plus `Egress`
/// if the policy has egress rules (`SetDefaults_NetworkPolicy`). A manifest applied with
/// kubectl reaches Calico in this form.
pub fn default_kubernetes_policy_types(spec: &mut KubernetesNetworkPolicySpec) {
    if spec.policy_types.is_empty() {
        spec.policy_types.push(PolicyType::Ingress);
        if !spec.egress.is_empty() {
            spec.policy_types.push(PolicyType::Egress);
        }
    }
}

/// Applies every default to `resource`.
pub fn apply_defaults(resource: &mut Resource) {
    if resource.kind().is_namespaced() {
        let meta = resource.metadata_mut();
        if meta.namespace.as_deref().is_none_or(str::is_empty) {
            meta.namespace = Some(DEFAULT_NAMESPACE.to_owned());
        }
    }
    match resource {
        Resource::NetworkPolicy(p) => {
            let s = &mut p.spec;
            fill_tier(&mut s.tier);
            fill_types(&mut s.types, !s.ingress.is_empty(), !s.egress.is_empty());
        }
        Resource::GlobalNetworkPolicy(p) => {
            let s = &mut p.spec;
            fill_tier(&mut s.tier);
            fill_types(&mut s.types, !s.ingress.is_empty(), !s.egress.is_empty());
        }
        Resource::StagedNetworkPolicy(p) => {
            let s = &mut p.spec;
            fill_tier(&mut s.tier);
            if s.staged_action != Some(StagedAction::Delete) {
                fill_types(&mut s.types, !s.ingress.is_empty(), !s.egress.is_empty());
            }
        }
        Resource::StagedGlobalNetworkPolicy(p) => {
            let s = &mut p.spec;
            fill_tier(&mut s.tier);
            if s.staged_action != Some(StagedAction::Delete) {
                fill_types(&mut s.types, !s.ingress.is_empty(), !s.egress.is_empty());
            }
        }
        Resource::StagedKubernetesNetworkPolicy(p)
            if p.spec.staged_action != Some(StagedAction::Delete)
                && p.spec.policy_types.is_empty() =>
        {
            p.spec.policy_types.push(PolicyType::Ingress);
            if !p.spec.egress.is_empty() {
                p.spec.policy_types.push(PolicyType::Egress);
            }
        }
        Resource::KubernetesNetworkPolicy(p) => default_kubernetes_policy_types(&mut p.spec),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_semantics_2_4() {
        assert_eq!(
            default_policy_types(false, false),
            vec![PolicyType::Ingress]
        );
        assert_eq!(default_policy_types(true, false), vec![PolicyType::Ingress]);
        assert_eq!(default_policy_types(false, true), vec![PolicyType::Egress]);
        assert_eq!(
            default_policy_types(true, true),
            vec![PolicyType::Ingress, PolicyType::Egress]
        );
    }
}
