//! Building a model [`Policy`] from the parts every policy kind converts into: Calico's
//! (Staged)(Global)NetworkPolicy directly, Kubernetes and admin policies after their own
//! translation into Calico rules (SEMANTICS §2.4, §2.6).

use std::sync::Arc;

use palisade_selector::Selector;

use super::context::Ctx;
use super::rules::{SourceRule, convert_rules};
use super::selectors::{global_policy_selector, namespaced_policy_selector};
use crate::model::{Directions, Item, Policy, PolicyId, PolicyKind};
use crate::values::PolicyType;

/// Which endpoints a policy applies to, before scoping.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PolicyScope<'a> {
    /// A namespaced policy in the resource's namespace.
    Namespaced {
        /// `spec.selector`.
        selector: Option<&'a Selector>,
        /// `spec.serviceAccountSelector`.
        service_account_selector: Option<&'a Selector>,
    },
    /// A global policy.
    Global {
        /// `spec.selector`.
        selector: Option<&'a Selector>,
        /// `spec.namespaceSelector`.
        namespace_selector: Option<&'a Selector>,
        /// `spec.serviceAccountSelector`.
        service_account_selector: Option<&'a Selector>,
    },
}

/// Everything a policy converts from.
#[derive(Debug)]
pub(crate) struct PolicyParts<'a> {
    /// Kind of the source object.
    pub(crate) kind: PolicyKind,
    /// Tier (`None` or empty = `default`).
    pub(crate) tier: Option<&'a str>,
    /// Order.
    pub(crate) order: Option<f64>,
    /// Selectors.
    pub(crate) scope: PolicyScope<'a>,
    /// Directions (already defaulted).
    pub(crate) directions: Directions,
    /// Ingress rules, in Calico form.
    pub(crate) ingress: Vec<SourceRule<'a>>,
    /// Egress rules, in Calico form.
    pub(crate) egress: Vec<SourceRule<'a>>,
    /// Staged (never enforced).
    pub(crate) staged: bool,
    /// `doNotTrack`.
    pub(crate) do_not_track: bool,
    /// `preDNAT`.
    pub(crate) pre_dnat: bool,
    /// `applyOnForward`.
    pub(crate) apply_on_forward: bool,
}

/// Converts the parts into a policy item. A policy whose selector cannot be converted is left
/// out with an error note.
pub(crate) fn build_policy(ctx: &mut Ctx, parts: PolicyParts<'_>) -> Option<Item> {
    let namespace = ctx.namespace().to_owned();
    let (selector, rule_namespace) = match parts.scope {
        PolicyScope::Namespaced {
            selector,
            service_account_selector,
        } => (
            namespaced_policy_selector(selector, service_account_selector, &namespace),
            Some(namespace.as_str()),
        ),
        PolicyScope::Global {
            selector,
            namespace_selector,
            service_account_selector,
        } => (
            global_policy_selector(selector, namespace_selector, service_account_selector),
            None,
        ),
    };
    let selector = match selector {
        Ok(selector) => selector,
        Err(error) => {
            ctx.error(
                Some("spec.selector"),
                format!("{error}; the policy is left out of the model"),
            );
            return None;
        }
    };
    let ingress = convert_rules(ctx, parts.ingress, rule_namespace);
    let egress = convert_rules(ctx, parts.egress, rule_namespace);
    let id = PolicyId {
        kind: parts.kind,
        namespace: rule_namespace.map(Arc::from),
        name: Arc::from(ctx.name()),
    };
    let tier = parts.tier.filter(|t| !t.is_empty()).unwrap_or("default");
    Some(Item::Policy(Policy {
        id,
        tier: Arc::from(tier),
        order: parts.order,
        selector,
        directions: parts.directions,
        ingress,
        egress,
        staged: parts.staged,
        do_not_track: parts.do_not_track,
        pre_dnat: parts.pre_dnat,
        apply_on_forward: parts.apply_on_forward,
    }))
}

/// The directions of a Calico policy (SEMANTICS §2.4): `types` when given; otherwise
/// `[Ingress]` when there are no egress rules, `[Egress]` when there are egress rules but no
/// ingress rules, and both when there are both (`defaultPolicyTypesField`).
pub(crate) fn calico_directions(
    types: &[PolicyType],
    has_ingress_rules: bool,
    has_egress_rules: bool,
) -> Directions {
    if types.is_empty() {
        return Directions {
            ingress: has_ingress_rules || !has_egress_rules,
            egress: has_egress_rules,
        };
    }
    Directions {
        ingress: types.contains(&PolicyType::Ingress),
        egress: types.contains(&PolicyType::Egress),
    }
}

/// Source rules for a rule list written at `path` (`spec.ingress`, `spec.egress`).
pub(crate) fn listed_rules<'a>(
    rules: &'a [crate::calico::Rule],
    path: &str,
) -> Vec<SourceRule<'a>> {
    rules
        .iter()
        .enumerate()
        .map(|(i, rule)| SourceRule {
            rule: std::borrow::Cow::Borrowed(rule),
            index: u32::try_from(i).unwrap_or(u32::MAX),
            path: format!("{path}[{i}]"),
        })
        .collect()
}
