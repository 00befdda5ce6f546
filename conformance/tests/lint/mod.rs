//! A consistency lint for hand-written cases: it reads each case's resources as plain YAML
//! (not through the policy model) and checks the expectations against them, so that a typo in
//! a policy name, a rule index that points at a Log rule, or a decision on a side that has no
//! endpoint is caught now, before any engine runs the corpus.
//!
//! It is deliberately shallow: it never evaluates policy. It checks only facts that can be read
//! off the resources (which objects, tiers, rules and endpoints exist, and each rule's action)
//! and the shape DECISIONS D6 gives every flow (a decision on a side exactly when that side is
//! an endpoint, one forward decision per `via`). It also checks the flow text grammar of the
//! case format, which the compiler's parser implements.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use palisade_conformance::{
    Case, DecisionVerdict, ExpectedDecision, ExpectedOrigin, FlowObject, FlowProtocol, FlowSpec,
    Outcome, PolicyKindName,
};
use serde_json::Value;

/// A rule action as written in a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Allow,
    Deny,
    Pass,
    Log,
}

fn action_of(text: &str) -> Option<Action> {
    match text {
        "Allow" | "Accept" => Some(Action::Allow),
        "Deny" => Some(Action::Deny),
        "Pass" => Some(Action::Pass),
        "Log" => Some(Action::Log),
        _ => None,
    }
}

#[derive(Debug, Clone)]
struct Endpoint {
    ips: Vec<IpAddr>,
}

#[derive(Debug, Clone)]
struct PolicyFacts {
    tier: String,
    ingress: Vec<Action>,
    egress: Vec<Action>,
}

#[derive(Debug, Default)]
struct Cluster {
    endpoints: BTreeMap<String, Endpoint>,
    policies: BTreeMap<(PolicyKindName, Option<String>, String), PolicyFacts>,
    profiles: BTreeMap<String, (Vec<Action>, Vec<Action>)>,
    tiers: BTreeSet<String>,
    failsafe_in: usize,
    failsafe_out: usize,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn list_at<'a>(v: &'a Value, path: &[&str]) -> Vec<&'a Value> {
    let mut cur = v;
    for p in path {
        match cur.get(p) {
            Some(next) => cur = next,
            None => return Vec::new(),
        }
    }
    cur.as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn calico_actions(rules: Vec<&Value>, problems: &mut Vec<String>, what: &str) -> Vec<Action> {
    rules
        .iter()
        .map(|r| {
            let text = r.get("action").and_then(Value::as_str).unwrap_or("");
            action_of(text).unwrap_or_else(|| {
                problems.push(format!("{what}: rule with unknown action `{text}`"));
                Action::Log
            })
        })
        .collect()
}

fn ip_of(text: &str) -> Option<IpAddr> {
    text.split('/').next().and_then(|t| t.parse().ok())
}

impl Cluster {
    fn read(resources: &str, problems: &mut Vec<String>) -> Cluster {
        let docs: Vec<Value> = match serde_saphyr::from_multiple(resources) {
            Ok(docs) => docs,
            Err(e) => {
                problems.push(format!("resources are not YAML: {e}"));
                return Cluster::default();
            }
        };
        let mut c = Cluster {
            failsafe_in: 9,
            failsafe_out: 9,
            ..Cluster::default()
        };
        for t in ["kube-admin", "default", "kube-baseline"] {
            c.tiers.insert(t.to_owned());
        }
        c.profiles.insert(
            "projectcalico-default-allow".to_owned(),
            (vec![Action::Allow], vec![Action::Allow]),
        );
        let mut namespaces = BTreeSet::new();
        for doc in &docs {
            if doc.is_null() {
                continue;
            }
            let kind = str_at(doc, &["kind"]).unwrap_or("");
            let api = str_at(doc, &["apiVersion"]).unwrap_or("");
            let name = str_at(doc, &["metadata", "name"]).unwrap_or("").to_owned();
            let ns = str_at(doc, &["metadata", "namespace"]).map(str::to_owned);
            let what = format!("{kind} {name}");
            if let Some(ns) = &ns {
                namespaces.insert(ns.clone());
            }
            let spec = doc.get("spec").cloned().unwrap_or(Value::Null);
            let tier_of = |spec: &Value| {
                spec.get("tier")
                    .and_then(Value::as_str)
                    .unwrap_or("default")
                    .to_owned()
            };
            let mut add_policy = |kind: PolicyKindName, facts: PolicyFacts| {
                c.tiers.insert(facts.tier.clone());
                c.policies.insert((kind, ns.clone(), name.clone()), facts);
            };
            match (api, kind) {
                ("v1", "Namespace") => {
                    namespaces.insert(name.clone());
                }
                ("v1", "Pod") => {
                    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
                        continue;
                    }
                    let mut ips: Vec<IpAddr> = str_at(doc, &["status", "podIP"])
                        .and_then(ip_of)
                        .into_iter()
                        .collect();
                    for p in list_at(doc, &["status", "podIPs"]) {
                        if let Some(ip) = p.get("ip").and_then(Value::as_str).and_then(ip_of)
                            && !ips.contains(&ip)
                        {
                            ips.push(ip);
                        }
                    }
                    let ns = ns.clone().unwrap_or_else(|| "default".to_owned());
                    c.endpoints.insert(format!("{ns}/{name}"), Endpoint { ips });
                }
                ("projectcalico.org/v3", "WorkloadEndpoint") => {
                    let ips = list_at(doc, &["spec", "ipNetworks"])
                        .iter()
                        .filter_map(|v| v.as_str().and_then(ip_of))
                        .collect();
                    let pod = str_at(doc, &["spec", "pod"]).unwrap_or(&name).to_owned();
                    let ns = ns.clone().unwrap_or_else(|| "default".to_owned());
                    c.endpoints.insert(format!("{ns}/{pod}"), Endpoint { ips });
                }
                ("projectcalico.org/v3", "HostEndpoint") => {
                    let ips = list_at(doc, &["spec", "expectedIPs"])
                        .iter()
                        .filter_map(|v| v.as_str().and_then(ip_of))
                        .collect();
                    c.endpoints
                        .insert(format!("hostendpoint/{name}"), Endpoint { ips });
                }
                ("projectcalico.org/v3", "Tier") => {
                    c.tiers.insert(name.clone());
                }
                ("projectcalico.org/v3", "Profile") => {
                    let ing = calico_actions(list_at(&spec, &["ingress"]), problems, &what);
                    let eg = calico_actions(list_at(&spec, &["egress"]), problems, &what);
                    c.profiles.insert(name.clone(), (ing, eg));
                }
                ("projectcalico.org/v3", "FelixConfiguration") => {
                    if let Some(l) = spec
                        .get("failsafeInboundHostPorts")
                        .and_then(Value::as_array)
                    {
                        c.failsafe_in = l.len();
                    }
                    if let Some(l) = spec
                        .get("failsafeOutboundHostPorts")
                        .and_then(Value::as_array)
                    {
                        c.failsafe_out = l.len();
                    }
                }
                (
                    "projectcalico.org/v3",
                    "NetworkPolicy"
                    | "GlobalNetworkPolicy"
                    | "StagedNetworkPolicy"
                    | "StagedGlobalNetworkPolicy",
                ) => {
                    let k = match kind {
                        "NetworkPolicy" => PolicyKindName::NetworkPolicy,
                        "GlobalNetworkPolicy" => PolicyKindName::GlobalNetworkPolicy,
                        "StagedNetworkPolicy" => PolicyKindName::StagedNetworkPolicy,
                        _ => PolicyKindName::StagedGlobalNetworkPolicy,
                    };
                    let facts = PolicyFacts {
                        tier: tier_of(&spec),
                        ingress: calico_actions(list_at(&spec, &["ingress"]), problems, &what),
                        egress: calico_actions(list_at(&spec, &["egress"]), problems, &what),
                    };
                    add_policy(k, facts);
                }
                ("networking.k8s.io/v1", "NetworkPolicy")
                | ("projectcalico.org/v3", "StagedKubernetesNetworkPolicy") => {
                    let k = if kind == "NetworkPolicy" {
                        PolicyKindName::KubernetesNetworkPolicy
                    } else {
                        PolicyKindName::StagedKubernetesNetworkPolicy
                    };
                    let facts = PolicyFacts {
                        tier: "default".to_owned(),
                        ingress: vec![Action::Allow; list_at(&spec, &["ingress"]).len()],
                        egress: vec![Action::Allow; list_at(&spec, &["egress"]).len()],
                    };
                    add_policy(k, facts);
                }
                ("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy")
                | ("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy")
                | ("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy") => {
                    let (k, tier) = match kind {
                        "AdminNetworkPolicy" => (PolicyKindName::AdminNetworkPolicy, "kube-admin"),
                        "BaselineAdminNetworkPolicy" => {
                            (PolicyKindName::BaselineAdminNetworkPolicy, "kube-baseline")
                        }
                        _ => (
                            PolicyKindName::ClusterNetworkPolicy,
                            if str_at(&spec, &["tier"]) == Some("Baseline") {
                                "kube-baseline"
                            } else {
                                "kube-admin"
                            },
                        ),
                    };
                    let facts = PolicyFacts {
                        tier: tier.to_owned(),
                        ingress: calico_actions(list_at(&spec, &["ingress"]), problems, &what),
                        egress: calico_actions(list_at(&spec, &["egress"]), problems, &what),
                    };
                    add_policy(k, facts);
                }
                _ => {}
            }
        }
        for ns in namespaces {
            c.profiles.insert(
                format!("kns.{ns}"),
                (vec![Action::Allow], vec![Action::Allow]),
            );
        }
        c
    }

    /// The endpoint a flow side names: `ns/name`, `hostendpoint/NAME`, or the endpoint owning
    /// an IP literal. `Ok(None)` for an IP outside the cluster.
    fn side(&self, text: &str) -> Result<Option<(&str, &Endpoint)>, String> {
        if let Ok(ip) = text.parse::<IpAddr>() {
            let owners: Vec<_> = self
                .endpoints
                .iter()
                .filter(|(_, e)| e.ips.contains(&ip))
                .collect();
            return match owners.as_slice() {
                [] => Ok(None),
                [(k, e)] => Ok(Some((k.as_str(), e))),
                _ => Err(format!("IP {ip} belongs to several endpoints")),
            };
        }
        match self.endpoints.get_key_value(text) {
            Some((k, e)) => Ok(Some((k.as_str(), e))),
            None => Err(format!("`{text}` names no endpoint of the resources")),
        }
    }
}

/// A flow reduced to what the lint needs.
struct FlowFacts {
    src: String,
    dst: String,
    family: Option<u8>,
    via: Vec<String>,
}

/// Checks the text form of a flow and extracts its sides.
fn parse_text_flow(text: &str) -> Result<FlowFacts, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let [src, arrow, dst, proto, rest @ ..] = words.as_slice() else {
        return Err("expected `SRC -> DST PROTO ...`".to_owned());
    };
    if *arrow != "->" {
        return Err(format!("expected `->`, found `{arrow}`"));
    }
    let parts: Vec<&str> = proto.split('/').collect();
    let num = |s: &str, max: u32, what: &str| -> Result<u32, String> {
        s.parse::<u32>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("bad {what} `{s}` in `{proto}`"))
    };
    let mut has_ports = false;
    let mut icmp_family = None;
    match parts.as_slice() {
        [p, port] if matches!(*p, "tcp" | "udp" | "sctp" | "udplite") => {
            if num(port, 65535, "port")? == 0 {
                return Err(format!("port 0 in `{proto}`"));
            }
            has_ports = true;
        }
        [p, t] | [p, t, _] if matches!(*p, "icmp" | "icmpv6") => {
            num(t, 255, "ICMP type")?;
            if let [_, _, code] = parts.as_slice() {
                num(code, 255, "ICMP code")?;
            }
            icmp_family = Some(if *p == "icmp" { 4 } else { 6 });
        }
        ["proto", n] => {
            let n = num(n, 255, "protocol number")?;
            if matches!(n, 1 | 6 | 17 | 58 | 132 | 136) {
                return Err(format!("`{proto}`: use the protocol's name"));
            }
        }
        _ => return Err(format!("unknown protocol `{proto}`")),
    }
    let mut family = None;
    let mut via = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            "sport" => {
                let n = rest.get(i + 1).ok_or("`sport` needs a number")?;
                if !has_ports {
                    return Err("`sport` on a protocol without ports".to_owned());
                }
                num(n, 65535, "source port")?;
                i += 2;
            }
            "ipv4" | "ipv6" if family.is_none() => {
                family = Some(if rest[i] == "ipv4" { 4 } else { 6 });
                i += 1;
            }
            "fragment" => i += 1,
            "via" => {
                let h = rest.get(i + 1).ok_or("`via` needs hostendpoint/NAME")?;
                if !h.starts_with("hostendpoint/") {
                    return Err(format!("`via {h}`: expected hostendpoint/NAME"));
                }
                via.push((*h).to_owned());
                i += 2;
            }
            w => return Err(format!("unknown word `{w}`")),
        }
    }
    if let (Some(f), Some(i)) = (family, icmp_family)
        && f != i
    {
        return Err("ICMP family contradicts ipv4/ipv6".to_owned());
    }
    Ok(FlowFacts {
        src: (*src).to_owned(),
        dst: (*dst).to_owned(),
        family: family.or(icmp_family),
        via,
    })
}

fn object_flow(o: &FlowObject) -> FlowFacts {
    let family = match (o.ip_version, o.protocol) {
        (Some(palisade_conformance::IpFamily::V4), _) | (None, FlowProtocol::Icmp) => Some(4),
        (Some(palisade_conformance::IpFamily::V6), _) | (None, FlowProtocol::IcmpV6) => Some(6),
        (None, _) => None,
    };
    FlowFacts {
        src: o.src.clone(),
        dst: o.dst.clone(),
        family,
        via: o.via.clone(),
    }
}

fn family_of(ip: &IpAddr) -> u8 {
    if ip.is_ipv4() { 4 } else { 6 }
}

/// Lints one case; returns its problems.
pub(crate) fn lint_case(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let cluster = Cluster::read(&case.resources, &mut problems);
    for (i, fc) in case.flows.iter().enumerate() {
        let at = format!("flows[{i}]");
        let facts = match &fc.flow {
            FlowSpec::Text(t) => match parse_text_flow(t) {
                Ok(f) => f,
                Err(e) => {
                    problems.push(format!("{at}: flow `{t}`: {e}"));
                    continue;
                }
            },
            FlowSpec::Object(o) => object_flow(o),
        };
        let (src, dst) = match (cluster.side(&facts.src), cluster.side(&facts.dst)) {
            (Ok(s), Ok(d)) => (s, d),
            (Err(e), _) | (_, Err(e)) => {
                problems.push(format!("{at}: {e}"));
                continue;
            }
        };
        if src.is_none() && dst.is_none() {
            problems.push(format!("{at}: the flow touches no endpoint"));
        }
        // Family checks: literal sides fix the family; named sides need an address of it.
        let literal_family = [&facts.src, &facts.dst]
            .iter()
            .filter_map(|s| s.parse::<IpAddr>().ok())
            .map(|ip| family_of(&ip))
            .next();
        let family = facts.family.or(literal_family);
        for (name, side) in [(&facts.src, src), (&facts.dst, dst)] {
            if let (Some(f), Some((_, ep))) = (family, side)
                && !ep.ips.iter().any(|ip| family_of(ip) == f)
            {
                problems.push(format!("{at}: `{name}` has no IPv{f} address"));
            }
            if let Some((_, ep)) = side
                && ep.ips.is_empty()
            {
                problems.push(format!("{at}: `{name}` has no address"));
            }
        }
        for v in &facts.via {
            if !cluster.endpoints.contains_key(v) {
                problems.push(format!("{at}: via `{v}` names no host endpoint"));
            }
        }
        let mut outcomes = vec![("expect", &fc.expect.enforced, false)];
        if let Some(p) = &fc.expect.pending {
            outcomes.push(("expect.pending", p, true));
        }
        for (what, outcome, pending) in outcomes {
            lint_outcome(
                &cluster,
                outcome,
                src.is_some(),
                dst.is_some(),
                facts.via.len(),
                pending,
                &format!("{at}.{what}"),
                &mut problems,
            );
        }
    }
    problems
}

#[allow(clippy::too_many_arguments)]
fn lint_outcome(
    cluster: &Cluster,
    outcome: &Outcome,
    src_is_endpoint: bool,
    dst_is_endpoint: bool,
    vias: usize,
    pending: bool,
    at: &str,
    problems: &mut Vec<String>,
) {
    if outcome.egress.is_some() != src_is_endpoint {
        problems.push(format!(
            "{at}.egress: a decision exactly when the source is an endpoint (D6); source is {}",
            if src_is_endpoint {
                "an endpoint"
            } else {
                "outside"
            }
        ));
    }
    if outcome.ingress.is_some() != dst_is_endpoint {
        problems.push(format!(
            "{at}.ingress: a decision exactly when the destination is an endpoint (D6); destination is {}",
            if dst_is_endpoint { "an endpoint" } else { "outside" }
        ));
    }
    let forwards =
        usize::from(outcome.forward_in.is_some()) + usize::from(outcome.forward_out.is_some());
    if forwards != vias {
        problems.push(format!(
            "{at}: {forwards} forward decision(s) for {vias} `via` host endpoint(s)"
        ));
    }
    for (side, d) in outcome.decisions() {
        let ingress_side = matches!(side, "ingress" | "forwardIn");
        lint_decision(
            cluster,
            d,
            ingress_side,
            pending,
            &format!("{at}.{side}"),
            problems,
        );
    }
}

fn lint_decision(
    cluster: &Cluster,
    d: &ExpectedDecision,
    ingress: bool,
    pending: bool,
    at: &str,
    problems: &mut Vec<String>,
) {
    let check_action = |actions: &[Action], rule: u32, problems: &mut Vec<String>| match actions
        .get(rule as usize)
    {
        None => problems.push(format!(
            "{at}: rule {rule} does not exist ({} {} rules)",
            actions.len(),
            if ingress { "ingress" } else { "egress" }
        )),
        Some(a) => {
            let ok = matches!(
                (a, d.verdict),
                (Action::Allow, DecisionVerdict::Allow) | (Action::Deny, DecisionVerdict::Deny)
            );
            if !ok {
                problems.push(format!(
                    "{at}: rule {rule} is {a:?}, which cannot give `{}`",
                    d.verdict
                ));
            }
        }
    };
    match &d.origin {
        ExpectedOrigin::Rule { tier, policy, rule } => {
            if policy.kind.is_staged() && !pending {
                problems.push(format!(
                    "{at}: a staged policy never decides an enforced verdict"
                ));
            }
            let key = (policy.kind, policy.namespace.clone(), policy.name.clone());
            match cluster.policies.get(&key) {
                None => problems.push(format!(
                    "{at}: no {} {}{} in the resources",
                    policy.kind,
                    policy
                        .namespace
                        .as_deref()
                        .map(|n| format!("{n}/"))
                        .unwrap_or_default(),
                    policy.name
                )),
                Some(facts) => {
                    if &facts.tier != tier {
                        problems.push(format!(
                            "{at}: policy {} is in tier `{}`, not `{tier}`",
                            policy.name, facts.tier
                        ));
                    }
                    let rules = if ingress {
                        &facts.ingress
                    } else {
                        &facts.egress
                    };
                    check_action(rules, *rule, problems);
                }
            }
        }
        ExpectedOrigin::EndOfTier { tier } => {
            if !cluster.tiers.contains(tier) {
                problems.push(format!(
                    "{at}: tier `{tier}` neither declared nor named by a policy"
                ));
            }
        }
        ExpectedOrigin::Profile { profile, rule } => match cluster.profiles.get(profile) {
            None => problems.push(format!("{at}: no profile `{profile}`")),
            Some((ing, eg)) => check_action(if ingress { ing } else { eg }, *rule, problems),
        },
        ExpectedOrigin::Failsafe { rule } => {
            let n = if ingress {
                cluster.failsafe_in
            } else {
                cluster.failsafe_out
            };
            if *rule as usize >= n {
                problems.push(format!(
                    "{at}: failsafe {rule} does not exist ({n} entries)"
                ));
            }
        }
        ExpectedOrigin::NoMatch | ExpectedOrigin::Default => {}
    }
}

#[test]
fn text_flow_grammar() {
    assert!(parse_text_flow("ns1/a -> ns1/b tcp/80").is_ok());
    assert!(parse_text_flow("ns1/a -> 192.0.2.1 udp/53 sport 5353 ipv4").is_ok());
    assert!(parse_text_flow("a -> b icmpv6/128/0 via hostendpoint/h via hostendpoint/k").is_ok());
    assert!(parse_text_flow("a -> b proto/47").is_ok());
    assert!(parse_text_flow("a -> b tcp/80 fragment").is_ok());
    assert!(parse_text_flow("a -> b tcp80").is_err());
    assert!(parse_text_flow("a => b tcp/80").is_err());
    assert!(parse_text_flow("a -> b proto/6").is_err());
    assert!(parse_text_flow("a -> b icmp/8 ipv6").is_err());
    assert!(parse_text_flow("a -> b tcp/70000").is_err());
    assert!(parse_text_flow("a -> b tcp/80 sideways").is_err());
    assert!(parse_text_flow("a -> b icmp/8 sport 5").is_err());
}
