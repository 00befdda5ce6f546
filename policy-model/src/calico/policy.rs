//! Calico policy kinds: NetworkPolicy, GlobalNetworkPolicy and the staged variants.

use palisade_selector::Selector;
use serde::{Deserialize, Serialize};

use super::rule::Rule;
use crate::kube::KubernetesNetworkPolicySpec;
use crate::meta::ObjectMeta;
use crate::values::{PolicyType, StagedAction};

/// `performanceHints` entries (never change enforcement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PerformanceHint {
    /// `AssumeNeededOnEveryNode`.
    AssumeNeededOnEveryNode,
}

/// Spec of a (namespaced) Calico NetworkPolicy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "NetworkPolicySpec")]
pub struct NetworkPolicySpec {
    /// Tier name; `None` means `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Order within the tier (lower first; `None` = last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<f64>,
    /// Endpoints the policy applies to (empty = all in the namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<Selector>,
    /// Directions; empty until defaulted (SEMANTICS §2.4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<PolicyType>,
    /// Ingress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<Rule>,
    /// Egress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<Rule>,
    /// Service-account selector AND-ed with `selector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_selector: Option<Selector>,
    /// Performance hints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performance_hints: Vec<PerformanceHint>,
}

/// Spec of a GlobalNetworkPolicy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "GlobalNetworkPolicySpec")]
pub struct GlobalNetworkPolicySpec {
    /// Tier name; `None` means `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Order within the tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<f64>,
    /// Endpoints the policy applies to (empty = all, host endpoints included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<Selector>,
    /// Directions; empty until defaulted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<PolicyType>,
    /// Ingress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<Rule>,
    /// Egress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<Rule>,
    /// Service-account selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_selector: Option<Selector>,
    /// Namespace selector AND-ed with `selector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<Selector>,
    /// Untracked (raw table) policy.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub do_not_track: bool,
    /// Pre-DNAT policy.
    #[serde(
        rename = "preDNAT",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub pre_dnat: bool,
    /// Also applies to forwarded traffic through host endpoints.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub apply_on_forward: bool,
    /// Performance hints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performance_hints: Vec<PerformanceHint>,
}

/// Spec of a StagedNetworkPolicy: a NetworkPolicy spec plus `stagedAction`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "StagedNetworkPolicySpec")]
pub struct StagedNetworkPolicySpec {
    /// `Set` (default), `Delete`, `Learn` or `Ignore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staged_action: Option<StagedAction>,
    /// Tier name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<f64>,
    /// Selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<Selector>,
    /// Types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<PolicyType>,
    /// Ingress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<Rule>,
    /// Egress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<Rule>,
    /// Service-account selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_selector: Option<Selector>,
    /// Performance hints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performance_hints: Vec<PerformanceHint>,
}

impl StagedNetworkPolicySpec {
    /// The enforced form (what validation and "pending" evaluation see).
    pub fn enforced(&self) -> NetworkPolicySpec {
        NetworkPolicySpec {
            tier: self.tier.clone(),
            order: self.order,
            selector: self.selector.clone(),
            types: self.types.clone(),
            ingress: self.ingress.clone(),
            egress: self.egress.clone(),
            service_account_selector: self.service_account_selector.clone(),
            performance_hints: self.performance_hints.clone(),
        }
    }
}

/// Spec of a StagedGlobalNetworkPolicy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "StagedGlobalNetworkPolicySpec")]
pub struct StagedGlobalNetworkPolicySpec {
    /// `Set` (default), `Delete`, `Learn` or `Ignore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staged_action: Option<StagedAction>,
    /// Tier name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<f64>,
    /// Selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<Selector>,
    /// Types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<PolicyType>,
    /// Ingress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<Rule>,
    /// Egress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<Rule>,
    /// Service-account selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_selector: Option<Selector>,
    /// Namespace selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<Selector>,
    /// Untracked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub do_not_track: bool,
    /// Pre-DNAT.
    #[serde(
        rename = "preDNAT",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub pre_dnat: bool,
    /// Apply on forward.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub apply_on_forward: bool,
    /// Performance hints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performance_hints: Vec<PerformanceHint>,
}

impl StagedGlobalNetworkPolicySpec {
    /// The enforced form.
    pub fn enforced(&self) -> GlobalNetworkPolicySpec {
        GlobalNetworkPolicySpec {
            tier: self.tier.clone(),
            order: self.order,
            selector: self.selector.clone(),
            types: self.types.clone(),
            ingress: self.ingress.clone(),
            egress: self.egress.clone(),
            service_account_selector: self.service_account_selector.clone(),
            namespace_selector: self.namespace_selector.clone(),
            do_not_track: self.do_not_track,
            pre_dnat: self.pre_dnat,
            apply_on_forward: self.apply_on_forward,
            performance_hints: self.performance_hints.clone(),
        }
    }
}

/// Spec of a StagedKubernetesNetworkPolicy: a Kubernetes NetworkPolicy spec plus `stagedAction`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "StagedKubernetesNetworkPolicySpec")]
pub struct StagedKubernetesNetworkPolicySpec {
    /// `Set` (default), `Delete`, `Learn` or `Ignore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staged_action: Option<StagedAction>,
    /// Pod selector.
    #[serde(default)]
    pub pod_selector: crate::kube::LabelSelector,
    /// Ingress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<crate::kube::NetworkPolicyIngressRule>,
    /// Egress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<crate::kube::NetworkPolicyEgressRule>,
    /// Policy types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_types: Vec<PolicyType>,
}

impl StagedKubernetesNetworkPolicySpec {
    /// The enforced form.
    pub fn enforced(&self) -> KubernetesNetworkPolicySpec {
        KubernetesNetworkPolicySpec {
            pod_selector: self.pod_selector.clone(),
            ingress: self.ingress.clone(),
            egress: self.egress.clone(),
            policy_types: self.policy_types.clone(),
        }
    }
}

macro_rules! calico_object {
    ($(#[$doc:meta])* $name:ident, $spec:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", rename = "Object")]
        pub struct $name {
            /// Metadata.
            pub metadata: ObjectMeta,
            /// Spec.
            #[serde(default)]
            pub spec: $spec,
        }
    };
}
pub(crate) use calico_object;

calico_object!(
    /// `projectcalico.org/v3` NetworkPolicy (namespaced).
    NetworkPolicy,
    NetworkPolicySpec
);
calico_object!(
    /// `projectcalico.org/v3` GlobalNetworkPolicy.
    GlobalNetworkPolicy,
    GlobalNetworkPolicySpec
);
calico_object!(
    /// `projectcalico.org/v3` StagedNetworkPolicy (never enforced).
    StagedNetworkPolicy,
    StagedNetworkPolicySpec
);
calico_object!(
    /// `projectcalico.org/v3` StagedGlobalNetworkPolicy (never enforced).
    StagedGlobalNetworkPolicy,
    StagedGlobalNetworkPolicySpec
);
calico_object!(
    /// `projectcalico.org/v3` StagedKubernetesNetworkPolicy (never enforced).
    StagedKubernetesNetworkPolicy,
    StagedKubernetesNetworkPolicySpec
);
