//! Metamorphic expanders: transformations of a case's resources that must not change any
//! verdict, and that change deciding origins only as the transformation predicts (DESIGN §5).
//!
//! | expander | transformation | origins |
//! |---|---|---|
//! | [`Expander::PrependTier`] | a new first tier (default Pass) with a policy that selects nothing and a policy that selects everything but whose rules match nothing | unchanged |
//! | [`Expander::Rename`] | every tier, policy (all kinds but the singleton BaselineAdminNetworkPolicy), profile and network set gets a common name prefix, which keeps every order tie-break | renamed |
//! | [`Expander::Split`] | one Calico policy's rules are split across two policies with the same order, adjacent in the tier, with the original's effective `types` | rules of the second half move to the new policy, re-indexed |
//! | [`Expander::Shuffle`] | the documents are permuted | unchanged |
//!
//! Each expander checks its own preconditions on the loaded model (e.g. that renaming keeps the
//! tier and policy order) and says [`ExpandError::NotApplicable`] when they do not hold, so it
//! never produces a case whose expectations it cannot predict.

use std::collections::BTreeMap;
use std::fmt;

use palisade_policy_model::model::{Model, Policy, PolicyId, policy_order, tier_order};
use serde_json::{Value, json};

use crate::case::{Case, CaseOptions, ExpectedDecision, ExpectedOrigin, Outcome, OutcomeField};
use crate::cluster::Cluster;
use crate::documents::{api_version, kind, name, namespace, parse_documents, render_documents};

/// The tiers that exist in every cluster and cannot be renamed.
const BUILTIN_TIERS: [&str; 3] = ["default", "kube-admin", "kube-baseline"];
/// The prefix [`Expander::Rename`] adds.
pub const RENAME_PREFIX: &str = "x";
/// The suffix of the second policy made by [`Expander::Split`] (`0` sorts right after `/`, the
/// character that follows a name in the tie-break string, DECISIONS D1).
pub const SPLIT_SUFFIX: &str = "0";
/// The label the prepended tier's policies use to match nothing.
const NOOP_LABEL: &str = "palisade-noop";

/// A metamorphic transformation (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Expander {
    /// Prepend a tier of policies that never decide.
    PrependTier,
    /// Rename objects, keeping their order.
    Rename,
    /// Split one policy's rules across two adjacent policies.
    Split,
    /// Permute the documents.
    Shuffle,
}

impl Expander {
    /// Every expander.
    pub const ALL: [Expander; 4] = [
        Expander::PrependTier,
        Expander::Rename,
        Expander::Split,
        Expander::Shuffle,
    ];

    /// `prepend-tier`, `rename`, `split` or `shuffle`.
    pub fn as_str(self) -> &'static str {
        match self {
            Expander::PrependTier => "prepend-tier",
            Expander::Rename => "rename",
            Expander::Split => "split",
            Expander::Shuffle => "shuffle",
        }
    }
}

impl fmt::Display for Expander {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an expansion was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpandError {
    /// The expander's preconditions do not hold for this input.
    #[error("not applicable: {0}")]
    NotApplicable(String),
    /// The input (or the expansion) does not load.
    #[error("{0}")]
    Invalid(String),
}

/// How deciding origins change under an expansion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OriginMap {
    tiers: BTreeMap<String, String>,
    /// (kind, namespace, name) → new name.
    policies: BTreeMap<(String, Option<String>, String), String>,
    profiles: BTreeMap<String, String>,
    split: Option<SplitMap>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SplitMap {
    kind: String,
    namespace: Option<String>,
    name: String,
    new_name: String,
    ingress_at: u32,
    egress_at: u32,
}

impl OriginMap {
    /// True when no origin changes.
    pub fn is_identity(&self) -> bool {
        *self == OriginMap::default()
    }

    /// The origin of a decision on `side` after the expansion.
    pub fn map(&self, side: OutcomeField, origin: &ExpectedOrigin) -> ExpectedOrigin {
        let tier = |t: &str| self.tiers.get(t).cloned().unwrap_or_else(|| t.to_owned());
        match origin {
            ExpectedOrigin::Rule {
                tier: t,
                policy,
                rule,
            } => {
                let mut policy = policy.clone();
                let mut rule = *rule;
                if let Some(s) = &self.split
                    && s.kind == policy.kind.as_str()
                    && s.namespace == policy.namespace
                    && s.name == policy.name
                {
                    let at = match side {
                        OutcomeField::Egress | OutcomeField::ForwardOut => s.egress_at,
                        _ => s.ingress_at,
                    };
                    if rule >= at {
                        policy.name = s.new_name.clone();
                        rule -= at;
                    }
                }
                let key = (
                    policy.kind.as_str().to_owned(),
                    policy.namespace.clone(),
                    policy.name.clone(),
                );
                if let Some(new) = self.policies.get(&key) {
                    policy.name = new.clone();
                }
                ExpectedOrigin::Rule {
                    tier: tier(t),
                    policy,
                    rule,
                }
            }
            ExpectedOrigin::EndOfTier { tier: t } => ExpectedOrigin::EndOfTier { tier: tier(t) },
            ExpectedOrigin::Profile { profile, rule } => ExpectedOrigin::Profile {
                profile: self
                    .profiles
                    .get(profile)
                    .cloned()
                    .unwrap_or_else(|| profile.clone()),
                rule: *rule,
            },
            other => other.clone(),
        }
    }

    /// An outcome after the expansion (verdicts never change).
    pub fn map_outcome(&self, outcome: &Outcome) -> Outcome {
        let side = |field: OutcomeField, d: &Option<ExpectedDecision>| {
            d.as_ref().map(|d| ExpectedDecision {
                verdict: d.verdict,
                origin: self.map(field, &d.origin),
            })
        };
        Outcome {
            verdict: outcome.verdict,
            egress: side(OutcomeField::Egress, &outcome.egress),
            ingress: side(OutcomeField::Ingress, &outcome.ingress),
            forward_in: side(OutcomeField::ForwardIn, &outcome.forward_in),
            forward_out: side(OutcomeField::ForwardOut, &outcome.forward_out),
        }
    }
}

/// An expansion: the new documents and how origins change.
#[derive(Debug, Clone, PartialEq)]
pub struct Expansion {
    /// The transformed documents.
    pub documents: Vec<Value>,
    /// How deciding origins change.
    pub origins: OriginMap,
}

/// The model of `docs` (strict loading; any problem is an error).
fn model_of(docs: &[Value]) -> Result<Model, ExpandError> {
    Cluster::load(&render_documents(docs), &CaseOptions::default())
        .map(|c| c.model().clone())
        .map_err(|e| ExpandError::Invalid(e.to_string()))
}

/// Applies `expander` to `docs`. `seed` picks among the choices an expander has (which
/// permutation, which policy to split); the same seed gives the same expansion.
pub fn expand(expander: Expander, docs: &[Value], seed: u64) -> Result<Expansion, ExpandError> {
    let model = model_of(docs)?;
    let expansion = match expander {
        Expander::PrependTier => prepend_tier(docs, &model)?,
        Expander::Rename => rename(docs, &model)?,
        Expander::Split => split(docs, &model, seed)?,
        Expander::Shuffle => shuffle(docs, seed)?,
    };
    // The expansion must load, and renames must keep every order.
    let expanded = model_of(&expansion.documents).map_err(|e| {
        ExpandError::NotApplicable(format!("the {expander} expansion does not load: {e}"))
    })?;
    if expander == Expander::Rename {
        check_order_kept(&model, &expanded, &expansion.origins)?;
    }
    Ok(expansion)
}

/// Applies `expander` to a case: new resources, the same flows, and every expected origin
/// mapped as the expansion predicts. The new case is named `<name>@<expander>`.
pub fn expand_case(expander: Expander, case: &Case, seed: u64) -> Result<Case, ExpandError> {
    let docs = parse_documents(&case.resources).map_err(ExpandError::Invalid)?;
    let expansion = expand(expander, &docs, seed)?;
    let mut out = case.clone();
    out.name = format!("{}@{expander}", case.name);
    out.resources = render_documents(&expansion.documents);
    for flow in &mut out.flows {
        flow.expect.enforced = expansion.origins.map_outcome(&flow.expect.enforced);
        if let Some(p) = &flow.expect.pending {
            flow.expect.pending = Some(expansion.origins.map_outcome(p));
        }
    }
    Ok(out)
}

// ----- prepend a tier -------------------------------------------------------------------------

fn prepend_tier(docs: &[Value], model: &Model) -> Result<Expansion, ExpandError> {
    let tiers = model.tiers();
    let mut tier = "palisade-noop".to_owned();
    while tiers.iter().any(|t| *t.name == *tier) {
        tier.push('x');
    }
    let min = tiers
        .iter()
        .filter(|t| t.declared)
        .filter_map(|t| t.order)
        .fold(f64::INFINITY, f64::min);
    let order = if min.is_finite() { min - 1.0 } else { 1.0 };
    let never = format!("{NOOP_LABEL} == 'never'");
    let taken = |n: &str| {
        model
            .policies()
            .any(|p| p.id.namespace.is_none() && *p.id.name == *n)
    };
    let mut unselected = format!("{tier}-unselected");
    let mut unmatched = format!("{tier}-unmatched");
    while taken(&unselected) || taken(&unmatched) {
        unselected.push('x');
        unmatched.push('x');
    }
    let mut out = vec![
        json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier",
               "metadata": {"name": tier},
               "spec": {"order": order, "defaultAction": "Pass"}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
               "metadata": {"name": unselected},
               "spec": {"tier": tier, "order": 1, "selector": never,
                        "types": ["Ingress", "Egress"],
                        "ingress": [{"action": "Deny"}], "egress": [{"action": "Deny"}]}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
               "metadata": {"name": unmatched},
               "spec": {"tier": tier, "order": 2, "selector": "all()",
                        "types": ["Ingress", "Egress"],
                        "ingress": [{"action": "Deny", "source": {"selector": never}}],
                        "egress": [{"action": "Deny", "destination": {"selector": never}}]}}),
    ];
    out.extend(docs.iter().cloned());
    Ok(Expansion {
        documents: out,
        origins: OriginMap::default(),
    })
}

// ----- rename ---------------------------------------------------------------------------------

/// Kinds whose name is a policy's name, with the case-file kind they report as.
fn policy_kind_of(doc: &Value) -> Option<&'static str> {
    Some(match (api_version(doc), kind(doc)) {
        ("projectcalico.org/v3", "NetworkPolicy") => "NetworkPolicy",
        ("projectcalico.org/v3", "GlobalNetworkPolicy") => "GlobalNetworkPolicy",
        ("projectcalico.org/v3", "StagedNetworkPolicy") => "StagedNetworkPolicy",
        ("projectcalico.org/v3", "StagedGlobalNetworkPolicy") => "StagedGlobalNetworkPolicy",
        ("projectcalico.org/v3", "StagedKubernetesNetworkPolicy") => {
            "StagedKubernetesNetworkPolicy"
        }
        ("networking.k8s.io/v1", "NetworkPolicy") => "KubernetesNetworkPolicy",
        ("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy") => "AdminNetworkPolicy",
        ("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy") => {
            "BaselineAdminNetworkPolicy"
        }
        ("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy") => "ClusterNetworkPolicy",
        _ => return None,
    })
}

fn set_name(doc: &mut Value, new: &str) {
    if let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("name".to_owned(), Value::from(new));
    }
}

fn renamed(name: &str) -> String {
    format!("{RENAME_PREFIX}{name}")
}

fn rename(docs: &[Value], model: &Model) -> Result<Expansion, ExpandError> {
    let mut map = OriginMap::default();
    for t in model.tiers() {
        if !BUILTIN_TIERS.contains(&&*t.name) {
            map.tiers.insert(t.name.to_string(), renamed(&t.name));
        }
    }
    let mut out = Vec::with_capacity(docs.len());
    for doc in docs {
        let mut doc = doc.clone();
        let n = name(&doc).to_owned();
        let calico = api_version(&doc) == "projectcalico.org/v3";
        if let Some(k) = policy_kind_of(&doc) {
            if k != "BaselineAdminNetworkPolicy" {
                map.policies.insert(
                    (k.to_owned(), namespace(&doc).map(str::to_owned), n.clone()),
                    renamed(&n),
                );
                set_name(&mut doc, &renamed(&n));
            }
            if calico
                && let Some(tier) = doc.pointer_mut("/spec/tier")
                && let Some(new) = tier.as_str().and_then(|t| map.tiers.get(t))
            {
                *tier = Value::from(new.clone());
            }
        } else if calico {
            match kind(&doc) {
                "Tier" => {
                    if let Some(new) = map.tiers.get(&n) {
                        set_name(&mut doc, &new.clone());
                    }
                }
                "Profile" if !n.starts_with("kns.") && !n.starts_with("ksa.") => {
                    map.profiles.insert(n.clone(), renamed(&n));
                    set_name(&mut doc, &renamed(&n));
                }
                "NetworkSet" | "GlobalNetworkSet" => set_name(&mut doc, &renamed(&n)),
                _ => {}
            }
        }
        out.push(doc);
    }
    // Endpoint profile lists name the renamed profiles.
    for doc in &mut out {
        if api_version(doc) == "projectcalico.org/v3"
            && matches!(kind(doc), "HostEndpoint" | "WorkloadEndpoint")
            && let Some(list) = doc
                .pointer_mut("/spec/profiles")
                .and_then(Value::as_array_mut)
        {
            for p in list {
                if let Some(new) = p.as_str().and_then(|p| map.profiles.get(p)) {
                    *p = Value::from(new.clone());
                }
            }
        }
    }
    Ok(Expansion {
        documents: out,
        origins: map,
    })
}

/// The tier order and the policy order within each tier, as names.
fn orders(model: &Model) -> Vec<(String, Vec<PolicyId>)> {
    let mut tiers = model.tiers();
    tiers.sort_by(tier_order);
    tiers
        .iter()
        .map(|t| {
            let mut policies: Vec<&Policy> =
                model.policies().filter(|p| p.tier == t.name).collect();
            policies.sort_by(|a, b| policy_order(a, b));
            (
                t.name.to_string(),
                policies.iter().map(|p| p.id.clone()).collect(),
            )
        })
        .collect()
}

fn check_order_kept(before: &Model, after: &Model, map: &OriginMap) -> Result<(), ExpandError> {
    let expected: Vec<(String, Vec<String>)> = orders(before)
        .into_iter()
        .map(|(tier, policies)| {
            let tier = map.tiers.get(&tier).cloned().unwrap_or(tier);
            let policies = policies
                .into_iter()
                .map(|id| {
                    let key = (
                        id.kind.as_str().to_owned(),
                        id.namespace.as_deref().map(str::to_owned),
                        id.name.to_string(),
                    );
                    map.policies
                        .get(&key)
                        .cloned()
                        .unwrap_or_else(|| id.name.to_string())
                })
                .collect();
            (tier, policies)
        })
        .collect();
    let got: Vec<(String, Vec<String>)> = orders(after)
        .into_iter()
        .map(|(tier, policies)| {
            (
                tier,
                policies.into_iter().map(|id| id.name.to_string()).collect(),
            )
        })
        .collect();
    if expected == got {
        Ok(())
    } else {
        Err(ExpandError::NotApplicable(
            "renaming changes the order of tiers or policies (a tie with an object that cannot be renamed)"
                .to_owned(),
        ))
    }
}

// ----- split ----------------------------------------------------------------------------------

/// A Calico policy document that can be split: its model policy has at least two rules.
fn split_candidates<'d>(docs: &'d [Value], model: &Model) -> Vec<(usize, &'d Value, Policy)> {
    let mut out = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let Some(k) = policy_kind_of(doc) else {
            continue;
        };
        if !matches!(
            k,
            "NetworkPolicy"
                | "GlobalNetworkPolicy"
                | "StagedNetworkPolicy"
                | "StagedGlobalNetworkPolicy"
        ) || api_version(doc) != "projectcalico.org/v3"
        {
            continue;
        }
        let ns = namespace(doc);
        let Some(policy) = model.policies().find(|p| {
            p.id.kind.as_str() == k && p.id.namespace.as_deref() == ns && *p.id.name == *name(doc)
        }) else {
            continue;
        };
        let rules = |key: &str| {
            doc.pointer(key)
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        };
        if rules("/spec/ingress") + rules("/spec/egress") >= 2 {
            out.push((i, doc, policy.clone()));
        }
    }
    out
}

fn split(docs: &[Value], model: &Model, seed: u64) -> Result<Expansion, ExpandError> {
    let candidates = split_candidates(docs, model);
    if candidates.is_empty() {
        return Err(ExpandError::NotApplicable(
            "no Calico policy with at least two rules".to_owned(),
        ));
    }
    let pick = usize::try_from(seed % candidates.len() as u64).unwrap_or(0);
    let (index, doc, policy) = &candidates[pick];
    let new_name = format!("{}{SPLIT_SUFFIX}", policy.id.name);
    // Adjacency: only a policy of the same tier, order and name (another namespace or kind)
    // could sort between the two halves; and the new name must be free.
    let clash = model.policies().any(|p| {
        p.id != policy.id
            && p.tier == policy.tier
            && p.order == policy.order
            && (p.id.name == policy.id.name || *p.id.name == *new_name)
    }) || model.policies().any(|p| {
        p.id.kind == policy.id.kind
            && p.id.namespace == policy.id.namespace
            && *p.id.name == *new_name
    });
    if clash {
        return Err(ExpandError::NotApplicable(format!(
            "{} has a namesake of the same order in its tier",
            policy.id
        )));
    }
    let rules = |key: &str| {
        doc.pointer(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let ingress = rules("/spec/ingress");
    let egress = rules("/spec/egress");
    let ingress_at = ingress.len().div_ceil(2);
    let egress_at = egress.len() / 2;
    let mut types = Vec::new();
    if policy.directions.ingress {
        types.push("Ingress");
    }
    if policy.directions.egress {
        types.push("Egress");
    }
    let half = |ingress: &[Value], egress: &[Value], n: &str| {
        let mut d = (*doc).clone();
        set_name(&mut d, n);
        if let Some(spec) = d.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("types".to_owned(), json!(types));
            for (key, list) in [("ingress", ingress), ("egress", egress)] {
                if list.is_empty() {
                    spec.remove(key);
                } else {
                    spec.insert(key.to_owned(), Value::Array(list.to_vec()));
                }
            }
        }
        d
    };
    let first = half(
        &ingress[..ingress_at],
        &egress[..egress_at],
        &policy.id.name,
    );
    let second = half(&ingress[ingress_at..], &egress[egress_at..], &new_name);
    let mut out = docs.to_vec();
    out[*index] = first;
    out.insert(index + 1, second);
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(Expansion {
        documents: out,
        origins: OriginMap {
            split: Some(SplitMap {
                kind: policy.id.kind.as_str().to_owned(),
                namespace: policy.id.namespace.as_deref().map(str::to_owned),
                name: policy.id.name.to_string(),
                new_name,
                ingress_at: to_u32(ingress_at),
                egress_at: to_u32(egress_at),
            }),
            ..OriginMap::default()
        },
    })
}

// ----- shuffle --------------------------------------------------------------------------------

/// SplitMix64: a small deterministic generator for permutations.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn shuffle(docs: &[Value], seed: u64) -> Result<Expansion, ExpandError> {
    if docs.len() < 2 {
        return Err(ExpandError::NotApplicable(
            "fewer than two documents".to_owned(),
        ));
    }
    let mut out = docs.to_vec();
    let mut state = seed;
    // Fisher-Yates; a seed that leaves the order unchanged reverses it instead, so the
    // expansion always moves something.
    for i in (1..out.len()).rev() {
        let j = usize::try_from(splitmix(&mut state) % (i as u64 + 1)).unwrap_or(0);
        out.swap(i, j);
    }
    if out == docs {
        out.reverse();
    }
    Ok(Expansion {
        documents: out,
        origins: OriginMap::default(),
    })
}
