//! Generators (proptest): random but valid clusters — tiers, Calico, staged, Kubernetes and
//! admin policies, network sets, namespaces, service accounts, pods with IPs and named ports,
//! host endpoints, a service, FelixConfiguration — with labels from a small alphabet so that
//! selectors often match, and flows biased towards rule boundaries.
//!
//! A [`GeneratedCase`] is resources (plain documents, loaded by the policy-model loader like
//! any case file) plus flows. It has no expectations: the differential run
//! ([`crate::differential`]) takes the reference evaluator's decisions as the baseline, and a
//! failing case is written out with those as its expectations.

mod alphabet;
mod calico;
mod flows;
mod kube;
mod topology;

use std::collections::{BTreeMap, BTreeSet};

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;

use crate::case::{CaseOptions, FlowObject, HttpOption};
use crate::documents::{api_version, kind, name, namespace, render_documents};

use self::calico::{
    CalicoPolicyChoices, PolicyCtx, RuleChoices, calico_policy, calico_policy_json, profile,
    profile_json, tier, tier_json,
};
use self::flows::{FlowChoices, Hints, flow_choices, resolve_flow};
use self::kube::{AdminChoices, AdminKind, KnpChoices, admin, admin_json, knp, knp_json};
use self::topology::{Topology, topology};

/// A generated cluster and flows (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedCase {
    /// The resources, one JSON document each.
    pub documents: Vec<Value>,
    /// The options the resources need: `staged` when there are staged policies, `http:
    /// l4-only` when a rule has `http` (so the compiled engines can run it, DECISIONS D9), DNS
    /// answers when a rule has `domains`.
    pub options: CaseOptions,
    /// The flows.
    pub flows: Vec<FlowObject>,
}

impl GeneratedCase {
    /// The resources as a multi-document stream.
    pub fn resources(&self) -> String {
        render_documents(&self.documents)
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenConfig {
    /// Flows per cluster (the vector shrinks from this length).
    pub flows: usize,
}

impl Default for GenConfig {
    fn default() -> GenConfig {
        GenConfig { flows: 25 }
    }
}

/// Names policies draw from, so that names tie across kinds and namespaces (DECISIONS D1).
const POLICY_NAMES: [&str; 4] = ["a", "b", "c", "d"];

/// The policy part of a cluster.
#[derive(Debug, Clone)]
struct PolicyChoices {
    tiers: Vec<(Option<f64>, Option<&'static str>)>,
    calico: Vec<(usize, CalicoPolicyChoices)>,
    knps: Vec<(usize, KnpChoices)>,
    admins: Vec<(usize, AdminChoices)>,
    profile: (Vec<RuleChoices>, Vec<RuleChoices>, bool),
}

fn admin_kind() -> impl Strategy<Value = AdminKind> {
    prop_oneof![
        3 => Just(AdminKind::Anp),
        1 => Just(AdminKind::Banp),
        2 => Just(AdminKind::CnpAdmin),
        1 => Just(AdminKind::CnpBaseline),
    ]
}

fn policies() -> impl Strategy<Value = PolicyChoices> {
    (
        vec(tier(), 0..=2),
        vec((0..POLICY_NAMES.len(), calico_policy()), 0..=4),
        vec(
            (
                0..POLICY_NAMES.len(),
                prop_oneof![3 => knp(false), 1 => knp(true)],
            ),
            0..=2,
        ),
        proptest::option::weighted(
            0.35,
            vec(
                (0..POLICY_NAMES.len(), admin_kind().prop_flat_map(admin)),
                1..=2,
            ),
        ),
        profile(),
    )
        .prop_map(|(tiers, calico, knps, admins, profile)| PolicyChoices {
            tiers,
            calico,
            knps,
            admins: admins.unwrap_or_default(),
            profile,
        })
}

/// Gives every policy a unique name within its kind and namespace, keeping names from the
/// small pool where possible; at most one BaselineAdminNetworkPolicy (a singleton).
fn dedupe(docs: Vec<Value>) -> Vec<Value> {
    let mut seen: BTreeSet<(String, String, Option<String>, String)> = BTreeSet::new();
    let mut out = Vec::with_capacity(docs.len());
    for mut doc in docs {
        let key = |d: &Value, n: &str| {
            (
                api_version(d).to_owned(),
                kind(d).to_owned(),
                namespace(d).map(str::to_owned),
                n.to_owned(),
            )
        };
        let original = name(&doc).to_owned();
        let mut candidate = original.clone();
        let mut k = 2;
        while seen.contains(&key(&doc, &candidate)) {
            if kind(&doc) == "BaselineAdminNetworkPolicy" {
                break;
            }
            candidate = format!("{original}{k}");
            k += 1;
        }
        if seen.contains(&key(&doc, &candidate)) {
            continue;
        }
        if candidate != original
            && let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut)
        {
            meta.insert("name".into(), Value::from(candidate.clone()));
        }
        seen.insert(key(&doc, &candidate));
        out.push(doc);
    }
    out
}

fn build(topo: &Topology, pol: &PolicyChoices, flows: &[FlowChoices]) -> GeneratedCase {
    let mut docs = topo.documents();
    let tier_names: Vec<String> = (1..=pol.tiers.len()).map(|i| format!("t{i}")).collect();
    for (name, (order, action)) in tier_names.iter().zip(&pol.tiers) {
        docs.push(tier_json(name, *order, *action));
    }
    let ctx = PolicyCtx {
        tiers: &tier_names,
        service: topo.service,
    };
    let mut policies = Vec::new();
    for (n, c) in &pol.calico {
        policies.push(calico_policy_json(c, POLICY_NAMES[*n], &ctx));
    }
    for (n, c) in &pol.knps {
        policies.push(knp_json(c, POLICY_NAMES[*n]));
    }
    for (n, c) in &pol.admins {
        policies.push(admin_json(c, POLICY_NAMES[*n]));
    }
    docs.extend(dedupe(policies));
    if topo.uses_custom_profile() {
        let (ingress, egress, labels) = &pol.profile;
        docs.push(profile_json(ingress, egress, *labels, topo.service));
    }
    let hints = Hints::of(&docs);
    let flows = flows
        .iter()
        .map(|f| resolve_flow(f, topo, &hints))
        .collect();
    let options = options_for(&docs);
    GeneratedCase {
        documents: docs,
        options,
        flows,
    }
}

/// The options documents need (see [`GeneratedCase::options`]).
pub fn options_for(docs: &[Value]) -> CaseOptions {
    fn has_key(v: &Value, key: &str) -> bool {
        match v {
            Value::Object(m) => m.iter().any(|(k, v)| k == key || has_key(v, key)),
            Value::Array(items) => items.iter().any(|v| has_key(v, key)),
            _ => false,
        }
    }
    let staged = docs.iter().any(|d| {
        kind(d).starts_with("Staged")
            && d.pointer("/spec/stagedAction") != Some(&Value::from("Delete"))
    });
    let http = docs.iter().any(|d| has_key(d, "http"));
    let domains = docs.iter().any(|d| has_key(d, "domains"));
    let mut dns = BTreeMap::new();
    if domains {
        for (name, addrs) in alphabet::DNS {
            dns.insert(
                (*name).to_owned(),
                addrs.iter().filter_map(|a| a.parse().ok()).collect(),
            );
        }
    }
    CaseOptions {
        staged,
        http: if http {
            HttpOption::L4Only
        } else {
            HttpOption::Refuse
        },
        dns,
    }
}

/// Random generated cases with up to `config.flows` flows each.
pub fn generated_case(config: GenConfig) -> impl Strategy<Value = GeneratedCase> {
    (
        topology(),
        policies(),
        vec(flow_choices(), 1..=config.flows.max(1)),
    )
        .prop_map(|(topo, pol, flows)| build(&topo, &pol, &flows))
}
