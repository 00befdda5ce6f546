//! Policy resolution: which tiers and policies apply, in order, to one endpoint hook (SEMANTICS
//! §2.2–§2.4, §3; DECISIONS D6, D8), and what each hook adds around them (failsafes, profiles,
//! tier defaults).
//!
//! The rules here are used by the compiler (fed from the label index) and by [`resolve`] (fed by
//! scanning the model, for explanations). The reference evaluator deliberately re-states them on
//! its own: it is the oracle.

use std::sync::Arc;

use palisade_policy_model::model::{
    Direction, EndpointKey, Model, Policy, PolicyId, Profile, Tier, policy_order,
};
use palisade_policy_model::values::TierAction;
use serde::Serialize;

use crate::index::effective_labels;
use crate::ir::Hook;

/// The policy stage a hook evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Normal (filter) policy: neither doNotTrack nor preDNAT.
    Normal,
    /// Normal policy with applyOnForward, for traffic forwarded through a host endpoint.
    Forward,
    /// preDNAT policy (host endpoints, ingress).
    PreDnat,
    /// doNotTrack policy (host endpoints).
    Untracked,
}

impl Stage {
    /// The stage of a hook.
    pub fn of(hook: Hook) -> Stage {
        match hook {
            Hook::WorkloadIngress | Hook::WorkloadEgress | Hook::HostIngress | Hook::HostEgress => {
                Stage::Normal
            }
            Hook::HostForwardIngress | Hook::HostForwardEgress => Stage::Forward,
            Hook::HostPreDnatIngress => Stage::PreDnat,
            Hook::HostUntrackedIngress | Hook::HostUntrackedEgress => Stage::Untracked,
        }
    }

    /// True if `policy` belongs to this stage (Felix `tierInfoToProtoTierInfo`: doNotTrack
    /// policies are untracked only, preDNAT ones pre-DNAT only, the rest normal, and also forward
    /// when applyOnForward).
    pub fn admits(self, policy: &Policy) -> bool {
        match self {
            Stage::Untracked => policy.do_not_track,
            Stage::PreDnat => !policy.do_not_track && policy.pre_dnat,
            Stage::Normal => !policy.do_not_track && !policy.pre_dnat,
            Stage::Forward => !policy.do_not_track && !policy.pre_dnat && policy.apply_on_forward,
        }
    }

    /// The action at the end of a tier in this stage: untracked and pre-DNAT tiers have an
    /// implicit Pass default (SEMANTICS §3); the others use the tier's own.
    pub fn tier_end(self, tier: &Tier) -> TierAction {
        match self {
            Stage::Untracked | Stage::PreDnat => TierAction::Pass,
            Stage::Normal | Stage::Forward => tier.default_action,
        }
    }
}

/// True if `policy` takes part in `hook`: it belongs to the hook's stage, takes part in the
/// hook's direction, and is enforced (or `pending` is set, which treats staged policies as
/// enforced — DECISIONS D8). Whether its selector matches the endpoint is checked separately.
pub fn hook_admits(policy: &Policy, hook: Hook, pending: bool) -> bool {
    (pending || !policy.staged)
        && policy.applies_to(hook.direction())
        && Stage::of(hook).admits(policy)
}

/// True if the endpoint's profiles are evaluated after the tiers in this hook (workload hooks and
/// host ingress/egress; never forward, pre-DNAT or untracked — SEMANTICS §3).
pub fn hook_has_profiles(hook: Hook) -> bool {
    matches!(
        hook,
        Hook::WorkloadIngress | Hook::WorkloadEgress | Hook::HostIngress | Hook::HostEgress
    )
}

/// Which failsafe list a hook starts with, if any (DECISIONS D6): the inbound list for host
/// ingress, pre-DNAT and untracked ingress; the outbound list for host egress and untracked
/// egress; none for workloads and forwarded traffic.
pub fn hook_failsafes(hook: Hook) -> Option<Direction> {
    match hook {
        Hook::HostIngress | Hook::HostPreDnatIngress | Hook::HostUntrackedIngress => {
            Some(Direction::Ingress)
        }
        Hook::HostEgress | Hook::HostUntrackedEgress => Some(Direction::Egress),
        _ => None,
    }
}

/// True if `hook` exists for `endpoint`'s kind.
pub fn hook_fits(endpoint: &EndpointKey, hook: Hook) -> bool {
    match endpoint {
        EndpointKey::Workload { .. } => hook.is_workload(),
        EndpointKey::Host { .. } => !hook.is_workload(),
    }
}

/// One applicable tier.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResolvedTier {
    /// Tier name.
    pub name: Arc<str>,
    /// What happens when no policy in it decides (after the stage's override).
    pub end: TierAction,
    /// The applicable policies, in policy order.
    pub policies: Vec<PolicyId>,
}

/// What applies to one endpoint hook, in evaluation order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Resolution {
    /// The hook.
    pub hook: Hook,
    /// The failsafe list the hook starts with.
    pub failsafes: Option<Direction>,
    /// Applicable tiers, in tier order, each with its applicable policies.
    pub tiers: Vec<ResolvedTier>,
    /// Profiles evaluated after the tiers (empty for hooks without profiles).
    pub profiles: Vec<Arc<str>>,
}

/// Resolves one endpoint hook by scanning the model (for explanations and tests; the compiler
/// uses the label index instead). `None` when the endpoint is unknown or lacks the hook.
pub fn resolve(
    model: &Model,
    endpoint: &EndpointKey,
    hook: Hook,
    pending: bool,
) -> Option<Resolution> {
    if !hook_fits(endpoint, hook) {
        return None;
    }
    let (own, profiles) = match endpoint {
        EndpointKey::Workload { .. } => {
            let w = model.workload(endpoint)?;
            (&w.labels, &w.profiles)
        }
        EndpointKey::Host { .. } => {
            let h = model.host_endpoint(endpoint)?;
            (&h.labels, &h.profiles)
        }
    };
    let inherited: Vec<Profile> = profiles.iter().filter_map(|n| model.profile(n)).collect();
    let labels = effective_labels(own, inherited.iter().map(|p| &p.labels_to_apply));
    let stage = Stage::of(hook);
    let mut tiers = Vec::new();
    for tier in model.tiers() {
        let mut policies: Vec<&Policy> = model
            .policies()
            .filter(|p| p.tier == tier.name && hook_admits(p, hook, pending))
            .filter(|p| p.selector.matches(&labels))
            .collect();
        if policies.is_empty() {
            continue;
        }
        policies.sort_by(|a, b| policy_order(a, b));
        tiers.push(ResolvedTier {
            name: tier.name.clone(),
            end: stage.tier_end(&tier),
            policies: policies.into_iter().map(|p| p.id.clone()).collect(),
        });
    }
    Some(Resolution {
        hook,
        failsafes: hook_failsafes(hook),
        tiers,
        profiles: if hook_has_profiles(hook) {
            profiles.clone()
        } else {
            Vec::new()
        },
    })
}
