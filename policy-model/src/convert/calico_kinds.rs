//! Calico kinds: Tier, (Staged)NetworkPolicy, (Staged)GlobalNetworkPolicy and Profile
//! (SEMANTICS §2.1–§2.7; DECISIONS D5).

use std::sync::Arc;

use super::context::Ctx;
use super::policy::{PolicyParts, PolicyScope, build_policy, calico_directions, listed_rules};
use super::rules::convert_rules;
use crate::calico::{GlobalNetworkPolicySpec, NetworkPolicySpec, ProfileSpec, TierSpec};
use crate::model::{Item, PolicyKind, Profile, ProfileSource, Tier};
use crate::values::{StagedAction, TierAction};

/// A Tier resource: declared, `defaultAction` anything but Pass → Deny (`tierprocessor.go`).
pub(crate) fn tier(ctx: &Ctx, spec: &TierSpec) -> Item {
    Item::Tier(Tier {
        name: Arc::from(ctx.name()),
        order: spec.order,
        default_action: match spec.default_action {
            Some(TierAction::Pass) => TierAction::Pass,
            Some(TierAction::Deny) | None => TierAction::Deny,
        },
        declared: true,
    })
}

/// A (staged) NetworkPolicy: scoped to its namespace; never doNotTrack, preDNAT or
/// applyOnForward.
pub(crate) fn network_policy(
    ctx: &mut Ctx,
    spec: &NetworkPolicySpec,
    kind: PolicyKind,
) -> Option<Item> {
    let parts = PolicyParts {
        kind,
        tier: spec.tier.as_deref(),
        order: spec.order,
        scope: PolicyScope::Namespaced {
            selector: spec.selector.as_ref(),
            service_account_selector: spec.service_account_selector.as_ref(),
        },
        directions: calico_directions(
            &spec.types,
            !spec.ingress.is_empty(),
            !spec.egress.is_empty(),
        ),
        ingress: listed_rules(&spec.ingress, "spec.ingress"),
        egress: listed_rules(&spec.egress, "spec.egress"),
        staged: kind.is_staged(),
        do_not_track: false,
        pre_dnat: false,
        apply_on_forward: false,
    };
    build_policy(ctx, parts)
}

/// A (staged) GlobalNetworkPolicy.
pub(crate) fn global_network_policy(
    ctx: &mut Ctx,
    spec: &GlobalNetworkPolicySpec,
    kind: PolicyKind,
) -> Option<Item> {
    let parts = PolicyParts {
        kind,
        tier: spec.tier.as_deref(),
        order: spec.order,
        scope: PolicyScope::Global {
            selector: spec.selector.as_ref(),
            namespace_selector: spec.namespace_selector.as_ref(),
            service_account_selector: spec.service_account_selector.as_ref(),
        },
        directions: calico_directions(
            &spec.types,
            !spec.ingress.is_empty(),
            !spec.egress.is_empty(),
        ),
        ingress: listed_rules(&spec.ingress, "spec.ingress"),
        egress: listed_rules(&spec.egress, "spec.egress"),
        staged: kind.is_staged(),
        do_not_track: spec.do_not_track,
        pre_dnat: spec.pre_dnat,
        apply_on_forward: spec.apply_on_forward,
    };
    build_policy(ctx, parts)
}

/// True (with an information note) when a staged policy stages a deletion: Calico never sends
/// such a resource to Felix, so it is not part of the model (DECISIONS D5).
pub(crate) fn stages_deletion(ctx: &mut Ctx, staged_action: Option<StagedAction>) -> bool {
    if staged_action == Some(StagedAction::Delete) {
        ctx.info(
            Some("spec.stagedAction"),
            "stagedAction Delete: the staged policy is not part of the model (DECISIONS D5)",
        );
        return true;
    }
    false
}

/// A Calico Profile: its labels to apply and rules, not namespace-scoped.
pub(crate) fn profile(ctx: &mut Ctx, spec: &ProfileSpec) -> Item {
    let ingress = convert_rules(ctx, listed_rules(&spec.ingress, "spec.ingress"), None);
    let egress = convert_rules(ctx, listed_rules(&spec.egress, "spec.egress"), None);
    Item::Profile(Profile {
        name: Arc::from(ctx.name()),
        source: ProfileSource::Profile,
        labels_to_apply: spec.labels_to_apply.clone(),
        ingress,
        egress,
    })
}
