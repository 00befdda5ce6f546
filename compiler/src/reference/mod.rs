//! The reference evaluator: the oracle. It decides an endpoint hook by walking the *model* —
//! tiers, policies, rules, profiles — exactly as SEMANTICS §2.5 and §3 and DECISIONS D6–D9 state,
//! matching each model rule directly against the packet. It shares no code with the index, the
//! lowering or the IR, and is written for clarity, not speed.

mod http;
mod matching;

use std::collections::BTreeMap;

use palisade_policy_model::model::{
    EndpointKey, Failsafe, Model, Policy, Profile, Tier, policy_order,
};
use palisade_policy_model::values::{Action, TierAction};
use palisade_selector::Labels;

use crate::compiler::{CompileOptions, HttpMode};
use crate::decision::{Decision, Step, Verdict};
use crate::engine::{Engine, EngineError, HttpRequest};
use crate::ir::{Hook, Origin, ProgramTarget};
use crate::packet::PacketRepr;

pub use http::{http_path_is_valid, normalise_http_path};

/// The reference evaluator over a model (see the module docs). It reads the `http` mode, the
/// pending flag and the DNS cache from [`CompileOptions`], so that it can be built with exactly
/// the options of the compile it is compared with.
#[derive(Clone, Debug)]
pub struct ReferenceEngine<'m> {
    model: &'m Model,
    options: CompileOptions,
}

/// An endpoint's labels with inheritance: its own labels, then each profile's `labels_to_apply`
/// in profile order (SEMANTICS §1.3, §2.7).
pub(crate) struct InheritedLabels<'a> {
    own: &'a BTreeMap<String, String>,
    profiles: Vec<Profile>,
}

impl<'a> InheritedLabels<'a> {
    pub(crate) fn new(
        model: &Model,
        own: &'a BTreeMap<String, String>,
        profiles: &[std::sync::Arc<str>],
    ) -> Self {
        InheritedLabels {
            own,
            profiles: profiles.iter().filter_map(|p| model.profile(p)).collect(),
        }
    }
}

impl Labels for InheritedLabels<'_> {
    fn label(&self, key: &str) -> Option<&str> {
        self.own.get(key).map(String::as_str).or_else(|| {
            self.profiles
                .iter()
                .find_map(|p| p.labels_to_apply.get(key).map(String::as_str))
        })
    }
}

/// The policy stage a hook evaluates (SEMANTICS §2.4, §3).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Normal,
    Forward,
    PreDnat,
    Untracked,
}

impl<'m> ReferenceEngine<'m> {
    /// An evaluator over `model` with the `http`, pending and DNS settings of `options`.
    pub fn new(model: &'m Model, options: &CompileOptions) -> ReferenceEngine<'m> {
        ReferenceEngine {
            model,
            options: options.clone(),
        }
    }

    fn stage(hook: Hook) -> Stage {
        match hook {
            Hook::WorkloadIngress | Hook::WorkloadEgress | Hook::HostIngress | Hook::HostEgress => {
                Stage::Normal
            }
            Hook::HostForwardIngress | Hook::HostForwardEgress => Stage::Forward,
            Hook::HostPreDnatIngress => Stage::PreDnat,
            Hook::HostUntrackedIngress | Hook::HostUntrackedEgress => Stage::Untracked,
        }
    }

    /// Does this policy take part in this hook at all (selector aside)?
    fn policy_takes_part(&self, policy: &Policy, hook: Hook) -> bool {
        if policy.staged && !self.options.get_pending() {
            return false;
        }
        if !policy.applies_to(hook.direction()) {
            return false;
        }
        // Felix: doNotTrack policies go to the untracked tiers only, preDNAT ones to the
        // pre-DNAT tiers only, all others to the normal tiers, and also to the forward tiers when
        // applyOnForward.
        match Self::stage(hook) {
            Stage::Untracked => policy.do_not_track,
            Stage::PreDnat => policy.pre_dnat && !policy.do_not_track,
            Stage::Normal => !policy.do_not_track && !policy.pre_dnat,
            Stage::Forward => policy.apply_on_forward && !policy.do_not_track && !policy.pre_dnat,
        }
    }

    /// The end action of a tier in this hook: untracked and pre-DNAT tiers pass implicitly.
    fn tier_default(tier: &Tier, hook: Hook) -> TierAction {
        match Self::stage(hook) {
            Stage::Untracked | Stage::PreDnat => TierAction::Pass,
            Stage::Normal | Stage::Forward => tier.default_action,
        }
    }

    /// What happens when nothing decided.
    fn fall_through(hook: Hook) -> (Verdict, Origin) {
        match Self::stage(hook) {
            Stage::Normal => (Verdict::Deny, Origin::NoMatch),
            Stage::Forward => (Verdict::Allow, Origin::Default),
            Stage::PreDnat | Stage::Untracked => (Verdict::NoVerdict, Origin::Default),
        }
    }

    /// The failsafe list a hook starts with, whether it is the inbound list, and the verdict a
    /// match gives.
    fn failsafes(&self, hook: Hook) -> Option<(Vec<Failsafe>, bool, Verdict)> {
        let felix = self.model.felix();
        match hook {
            Hook::HostIngress => Some((felix.failsafe_inbound, true, Verdict::Allow)),
            Hook::HostPreDnatIngress | Hook::HostUntrackedIngress => {
                Some((felix.failsafe_inbound, true, Verdict::NoVerdict))
            }
            Hook::HostEgress => Some((felix.failsafe_outbound, false, Verdict::Allow)),
            Hook::HostUntrackedEgress => Some((felix.failsafe_outbound, false, Verdict::NoVerdict)),
            _ => None,
        }
    }
}

impl Engine for ReferenceEngine<'_> {
    fn name(&self) -> &str {
        "reference"
    }

    fn decide(
        &self,
        target: &ProgramTarget,
        packet: &PacketRepr,
        http: Option<&HttpRequest>,
    ) -> Result<Decision, EngineError> {
        let hook = target.hook;
        let unknown = || EngineError::UnknownTarget(target.to_string());
        let (own, profile_names) = match &target.endpoint {
            key @ EndpointKey::Workload { .. } if hook.is_workload() => {
                let w = self.model.workload(key).ok_or_else(unknown)?;
                (&w.labels, &w.profiles)
            }
            key @ EndpointKey::Host { .. } if !hook.is_workload() => {
                let h = self.model.host_endpoint(key).ok_or_else(unknown)?;
                (&h.labels, &h.profiles)
            }
            _ => return Err(unknown()),
        };
        if self.options.get_http() == HttpMode::Refuse
            && let Some(path) = http.and_then(|h| h.path.as_deref())
            && !http_path_is_valid(path)
        {
            return Err(EngineError::InvalidRequest {
                engine: "reference".to_owned(),
                reason: format!("HTTP path `{path}` does not start with `/`"),
            });
        }
        let labels = InheritedLabels::new(self.model, own, profile_names);
        let direction = hook.direction();
        let mut steps = Vec::new();
        let decided = |verdict, origin, steps| {
            Ok(Decision {
                verdict,
                origin,
                steps,
            })
        };

        // Failsafes first (host hooks only).
        if let Some((list, inbound, verdict)) = self.failsafes(hook) {
            for (i, entry) in list.iter().enumerate() {
                if matching::failsafe_matches(entry, inbound, packet) {
                    let origin = Origin::Failsafe {
                        rule: u32::try_from(i).unwrap_or(u32::MAX),
                    };
                    return decided(verdict, origin, steps);
                }
            }
        }

        // Tiers in order; only tiers with at least one applicable policy.
        for tier in self.model.tiers() {
            let mut policies: Vec<&Policy> = self
                .model
                .policies()
                .filter(|p| p.tier == tier.name)
                .filter(|p| self.policy_takes_part(p, hook))
                .filter(|p| p.selector.matches(&labels))
                .collect();
            if policies.is_empty() {
                continue;
            }
            policies.sort_by(|a, b| policy_order(a, b));
            let mut passed = false;
            'policies: for policy in policies {
                for rule in policy.rules(direction) {
                    if !self.rule_matches(rule, packet, http) {
                        continue;
                    }
                    let origin = Origin::Rule {
                        tier: tier.name.clone(),
                        policy: policy.id.clone(),
                        rule: rule.source_index,
                    };
                    match rule.action {
                        Action::Allow => return decided(Verdict::Allow, origin, steps),
                        Action::Deny => return decided(Verdict::Deny, origin, steps),
                        Action::Log => steps.push(Step::Log(origin)),
                        Action::Pass => {
                            steps.push(Step::Pass(origin));
                            passed = true;
                            break 'policies;
                        }
                    }
                }
            }
            if passed {
                continue;
            }
            let origin = Origin::EndOfTier {
                tier: tier.name.clone(),
            };
            match Self::tier_default(&tier, hook) {
                TierAction::Pass => steps.push(Step::Pass(origin)),
                TierAction::Deny => return decided(Verdict::Deny, origin, steps),
            }
        }

        // Profiles, in the endpoint's order (not for forward, pre-DNAT or untracked stages).
        if Self::stage(hook) == Stage::Normal {
            for name in profile_names {
                let Some(profile) = self.model.profile(name) else {
                    continue;
                };
                for rule in profile.rules(direction) {
                    if !self.rule_matches(rule, packet, http) {
                        continue;
                    }
                    let origin = Origin::Profile {
                        profile: name.clone(),
                        rule: rule.source_index,
                    };
                    match rule.action {
                        Action::Allow => return decided(Verdict::Allow, origin, steps),
                        Action::Deny => return decided(Verdict::Deny, origin, steps),
                        Action::Log => steps.push(Step::Log(origin)),
                        // Pass in a profile: on to the next profile (SEMANTICS §0).
                        Action::Pass => {
                            steps.push(Step::Pass(origin));
                            break;
                        }
                    }
                }
            }
        }

        let (verdict, origin) = Self::fall_through(hook);
        decided(verdict, origin, steps)
    }
}
