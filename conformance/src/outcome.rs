//! What an engine gave, in the case-file vocabulary: the compiler's [`FlowResult`] and
//! [`Decision`] turned into an [`Outcome`] and [`ExpectedDecision`]s (DECISIONS D7), so that
//! results of different engines and the expectations of a case compare with one `==`, and a
//! result can be written into a case file as it is.

use palisade_compiler::flow::FlowResult;
use palisade_compiler::ir::Origin;
use palisade_compiler::{Decision, Verdict};

use crate::case::{
    DecisionVerdict, ExpectedDecision, ExpectedOrigin, FlowVerdict, Outcome, PolicyKindName,
    PolicyRef,
};

/// A compiler value that has no case-file form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutcomeError {
    /// A policy kind the case format does not know.
    #[error("policy kind `{0}` has no case-file name")]
    UnknownKind(String),
    /// A flow-level decision without a verdict (only stages may give none; DECISIONS D6).
    #[error("the {0} decision has no verdict (a flow-level decision is allow or deny)")]
    NoVerdict(&'static str),
}

/// The case-file form of an origin (DECISIONS D7).
pub fn origin_of(origin: &Origin) -> Result<ExpectedOrigin, OutcomeError> {
    Ok(match origin {
        Origin::Rule { tier, policy, rule } => ExpectedOrigin::Rule {
            tier: tier.to_string(),
            policy: PolicyRef {
                kind: PolicyKindName::from_name(policy.kind.as_str())
                    .ok_or_else(|| OutcomeError::UnknownKind(policy.kind.as_str().to_owned()))?,
                namespace: policy.namespace.as_deref().map(str::to_owned),
                name: policy.name.to_string(),
            },
            rule: *rule,
        },
        Origin::EndOfTier { tier } => ExpectedOrigin::EndOfTier {
            tier: tier.to_string(),
        },
        Origin::Profile { profile, rule } => ExpectedOrigin::Profile {
            profile: profile.to_string(),
            rule: *rule,
        },
        Origin::NoMatch => ExpectedOrigin::NoMatch,
        Origin::Failsafe { rule } => ExpectedOrigin::Failsafe { rule: *rule },
        Origin::Default => ExpectedOrigin::Default,
    })
}

/// The case-file form of a verdict.
pub fn verdict_of(verdict: Verdict) -> DecisionVerdict {
    match verdict {
        Verdict::Allow => DecisionVerdict::Allow,
        Verdict::Deny => DecisionVerdict::Deny,
        Verdict::NoVerdict => DecisionVerdict::NoVerdict,
    }
}

/// The case-file form of a decision: its verdict and deciding origin (the steps before it are
/// not part of agreement, DECISIONS D7).
pub fn decision_of(decision: &Decision) -> Result<ExpectedDecision, OutcomeError> {
    Ok(ExpectedDecision {
        verdict: verdict_of(decision.verdict),
        origin: origin_of(&decision.origin)?,
    })
}

/// The case-file form of a flow's result.
pub fn outcome_of(result: &FlowResult) -> Result<Outcome, OutcomeError> {
    let side = |d: &Option<Decision>, name: &'static str| -> Result<_, OutcomeError> {
        match d {
            None => Ok(None),
            Some(d) if d.verdict == Verdict::NoVerdict => Err(OutcomeError::NoVerdict(name)),
            Some(d) => decision_of(d).map(Some),
        }
    };
    Ok(Outcome {
        verdict: match result.verdict {
            Verdict::Allow => FlowVerdict::Allow,
            Verdict::Deny | Verdict::NoVerdict => FlowVerdict::Deny,
        },
        egress: side(&result.egress, "egress")?,
        ingress: side(&result.ingress, "ingress")?,
        forward_in: side(&result.forward_in, "forwardIn")?,
        forward_out: side(&result.forward_out, "forwardOut")?,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use palisade_policy_model::model::{PolicyId, PolicyKind};

    use super::*;
    use crate::case::OutcomeField;

    fn rule(kind: PolicyKind, ns: Option<&str>) -> Decision {
        Decision {
            verdict: Verdict::Deny,
            origin: Origin::Rule {
                tier: Arc::from("t1"),
                policy: PolicyId {
                    kind,
                    namespace: ns.map(Arc::from),
                    name: Arc::from("p"),
                },
                rule: 2,
            },
            steps: Vec::new(),
        }
    }

    #[test]
    fn every_policy_kind_has_a_case_file_name() {
        for kind in [
            PolicyKind::NetworkPolicy,
            PolicyKind::GlobalNetworkPolicy,
            PolicyKind::StagedNetworkPolicy,
            PolicyKind::StagedGlobalNetworkPolicy,
            PolicyKind::StagedKubernetesNetworkPolicy,
            PolicyKind::KubernetesNetworkPolicy,
            PolicyKind::AdminNetworkPolicy,
            PolicyKind::BaselineAdminNetworkPolicy,
            PolicyKind::ClusterNetworkPolicy,
        ] {
            let d = decision_of(&rule(kind, None)).expect("converts");
            let ExpectedOrigin::Rule { policy, .. } = d.origin else {
                panic!("not a rule origin")
            };
            assert_eq!(policy.kind.as_str(), kind.as_str());
        }
    }

    #[test]
    fn decisions_print_in_case_file_notation() {
        let d = decision_of(&rule(PolicyKind::NetworkPolicy, Some("ns1"))).expect("converts");
        assert_eq!(
            d.to_string(),
            "{verdict: deny, by: rule, tier: t1, policy: p, kind: NetworkPolicy, namespace: ns1, rule: 2}"
        );
    }

    #[test]
    fn differences_name_the_fields_that_differ() {
        let deny = decision_of(&rule(PolicyKind::GlobalNetworkPolicy, None)).expect("converts");
        let allow = ExpectedDecision {
            verdict: DecisionVerdict::Allow,
            origin: ExpectedOrigin::Default,
        };
        let a = Outcome {
            verdict: FlowVerdict::Deny,
            egress: Some(allow.clone()),
            ingress: Some(deny),
            forward_in: None,
            forward_out: None,
        };
        let b = Outcome {
            verdict: FlowVerdict::Allow,
            egress: Some(allow.clone()),
            ingress: Some(allow),
            forward_in: None,
            forward_out: None,
        };
        assert_eq!(
            a.differences(&b),
            vec![OutcomeField::Verdict, OutcomeField::Ingress]
        );
        assert!(a.differences(&a).is_empty());
    }
}
