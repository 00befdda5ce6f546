//! Calico resources: rules with every match field, NetworkPolicy, GlobalNetworkPolicy (with
//! doNotTrack, preDNAT and applyOnForward), their staged variants, tiers and a profile.
//!
//! Choices are drawn independently and then assembled by functions that enforce validation
//! (SEMANTICS §4): ports only with protocols that have them, ICMP only with ICMP, one IP family
//! per rule, `services` alone in its entity, `http` only on ingress Allow rules, `domains` only
//! on egress Allow destinations, and so on. So every generated resource is valid, and shrinking
//! keeps it valid.

use proptest::collection::vec;
use proptest::option::weighted;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

use super::alphabet::{
    DOMAINS, ICMP_CODES, ICMP_TYPES, NAMESPACE_SELECTORS, NETS_V4, NETS_V6, POLICY_SELECTORS,
    PORT_NAMES, PORTS, RULE_SELECTORS, SA_SELECTORS,
};

/// Where a rule lives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleCtx {
    /// An ingress rule (else egress).
    pub(crate) ingress: bool,
    /// A rule of a namespaced policy.
    pub(crate) namespaced: bool,
    /// A profile rule (no `http`, no `domains`).
    pub(crate) profile: bool,
    /// The cluster has service `ns1/svc1`.
    pub(crate) service: bool,
}

/// A port choice: an index into [`PORTS`] or [`PORT_NAMES`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum PortChoice {
    Number(usize),
    Name(usize),
}

/// The choices for one side of a rule.
#[derive(Debug, Clone)]
pub(crate) struct EntityChoices {
    nets: Option<Vec<usize>>,
    not_nets: Option<usize>,
    selector: Option<&'static str>,
    not_selector: Option<&'static str>,
    namespace_selector: Option<&'static str>,
    service_accounts: Option<(bool, Option<&'static str>)>,
    ports: Option<Vec<PortChoice>>,
    not_ports: Option<Vec<PortChoice>>,
    services: bool,
    domains: Option<&'static str>,
}

/// The choices for one rule.
#[derive(Debug, Clone)]
pub(crate) struct RuleChoices {
    action: &'static str,
    protocol: Option<&'static str>,
    v6: bool,
    ip_version: bool,
    not_protocol: Option<&'static str>,
    icmp: Option<(u8, Option<u8>)>,
    not_icmp: Option<(u8, Option<u8>)>,
    source: EntityChoices,
    destination: EntityChoices,
    http: bool,
    /// How much of the rule to keep: 0 only the action (matches everything), 1 one match
    /// field (chosen by `feature`), 2 everything drawn.
    shape: u8,
    feature: usize,
}

fn port_choice() -> impl Strategy<Value = PortChoice> {
    prop_oneof![
        3 => (0..PORTS.len()).prop_map(PortChoice::Number),
        1 => (0..PORT_NAMES.len()).prop_map(PortChoice::Name),
    ]
}

fn entity() -> impl Strategy<Value = EntityChoices> {
    (
        (
            weighted(0.25, vec(0..8usize, 1..=2)),
            weighted(0.1, 0..8usize),
            weighted(0.3, select(RULE_SELECTORS)),
            weighted(0.12, select(RULE_SELECTORS)),
            weighted(
                0.15,
                prop_oneof![select(NAMESPACE_SELECTORS), Just("global()")],
            ),
        ),
        (
            weighted(0.08, (any::<bool>(), weighted(0.6, select(SA_SELECTORS)))),
            weighted(0.35, vec(port_choice(), 1..=2)),
            weighted(0.1, vec(port_choice(), 1..=2)),
            proptest::bool::weighted(0.08),
            weighted(0.1, select(DOMAINS)),
        ),
    )
        .prop_map(
            |(
                (nets, not_nets, selector, not_selector, namespace_selector),
                (service_accounts, ports, not_ports, services, domains),
            )| EntityChoices {
                nets,
                not_nets,
                selector,
                not_selector,
                namespace_selector,
                service_accounts,
                ports,
                not_ports,
                services,
                domains,
            },
        )
}

fn icmp_choice() -> impl Strategy<Value = (u8, Option<u8>)> {
    (select(ICMP_TYPES), weighted(0.4, select(ICMP_CODES)))
}

/// Random rule choices.
pub(crate) fn rule_choices() -> impl Strategy<Value = RuleChoices> {
    rule_choices_with([4, 3, 2, 1])
}

/// Random rule choices with the given weights of Allow, Deny, Pass and Log.
pub(crate) fn rule_choices_with(weights: [u32; 4]) -> impl Strategy<Value = RuleChoices> {
    let [allow, deny, pass, log] = weights;
    (
        (
            prop_oneof![
                allow => Just("Allow"),
                deny => Just("Deny"),
                pass => Just("Pass"),
                log => Just("Log"),
            ],
            prop_oneof![
                3 => Just(None),
                3 => Just(Some("TCP")),
                2 => Just(Some("UDP")),
                1 => Just(Some("SCTP")),
                1 => Just(Some("UDPLite")),
                1 => Just(Some("ICMP")),
                1 => Just(Some("ICMPv6")),
                1 => Just(Some("47")),
            ],
            proptest::bool::weighted(0.25),
            proptest::bool::weighted(0.15),
            weighted(0.1, select(&["TCP", "UDP", "ICMP", "ICMPv6", "47"][..])),
        ),
        (
            weighted(0.5, icmp_choice()),
            weighted(0.08, icmp_choice()),
            entity(),
            entity(),
            proptest::bool::weighted(0.1),
            prop_oneof![1 => Just(0u8), 2 => Just(1u8), 2 => Just(2u8)],
            0..16usize,
        ),
    )
        .prop_map(
            |(
                (action, protocol, v6, ip_version, not_protocol),
                (icmp, not_icmp, source, destination, http, shape, feature),
            )| RuleChoices {
                action,
                protocol,
                v6,
                ip_version,
                not_protocol,
                icmp,
                not_icmp,
                source,
                destination,
                http,
                shape,
                feature,
            },
        )
}

/// Keeps only part of a rule (see [`RuleChoices`]`::shape`): removing match fields keeps a
/// rule valid as long as the fields another field needs stay (ports and ICMP need their
/// protocol).
fn prune(rule: Value, shape: u8, feature: usize) -> Value {
    let Value::Object(mut m) = rule else {
        return rule;
    };
    if shape >= 2 {
        return Value::Object(m);
    }
    // Every match field as (side, key); side "" is the rule itself.
    let mut fields: Vec<(&str, String)> = Vec::new();
    for key in [
        "protocol",
        "notProtocol",
        "ipVersion",
        "icmp",
        "notICMP",
        "http",
    ] {
        if m.contains_key(key) {
            fields.push(("", key.to_owned()));
        }
    }
    for side in ["source", "destination"] {
        if let Some(Value::Object(e)) = m.get(side) {
            for key in e.keys() {
                fields.push((side, key.clone()));
            }
        }
    }
    let keep = if shape == 0 || fields.is_empty() {
        None
    } else {
        Some(fields[feature % fields.len()].clone())
    };
    let needs_protocol = match &keep {
        Some(("", k)) => k == "icmp",
        Some((_, k)) => k == "ports" || k == "notPorts",
        None => false,
    };
    for (side, key) in &fields {
        let kept = keep.as_ref().is_some_and(|(s, k)| s == side && k == key)
            || (needs_protocol && side.is_empty() && key == "protocol");
        if kept {
            continue;
        }
        if side.is_empty() {
            m.remove(key.as_str());
        } else if let Some(Value::Object(e)) = m.get_mut(*side) {
            e.remove(key.as_str());
        }
    }
    for side in ["source", "destination"] {
        if matches!(m.get(side), Some(Value::Object(e)) if e.is_empty()) {
            m.remove(side);
        }
    }
    Value::Object(m)
}

fn icmp_json((t, c): (u8, Option<u8>)) -> Value {
    match c {
        Some(c) => json!({"type": t, "code": c}),
        None => json!({"type": t}),
    }
}

fn protocol_json(p: &str) -> Value {
    match p.parse::<u8>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::from(p),
    }
}

fn ports_json(ports: &[PortChoice], numeric: bool, named: bool) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for p in ports {
        let v = match *p {
            PortChoice::Number(i) if numeric => {
                let (a, b) = PORTS[i % PORTS.len()];
                if a == b {
                    Value::from(a)
                } else {
                    Value::from(format!("{a}:{b}"))
                }
            }
            PortChoice::Name(i) if named => Value::from(PORT_NAMES[i % PORT_NAMES.len()]),
            _ => continue,
        };
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// What a side of a rule may have.
struct SideRules {
    numeric_ports: bool,
    named_ports: bool,
    /// `services` allowed on this side.
    services: bool,
    /// `domains` allowed on this side.
    domains: bool,
    v6: bool,
}

fn entity_json(e: &EntityChoices, ctx: &RuleCtx, side: &SideRules) -> Map<String, Value> {
    let mut m = Map::new();
    let nets = if side.v6 { NETS_V6 } else { NETS_V4 };
    // `services` stands alone in its entity (and a destination service takes no ports).
    if e.services && side.services {
        // A missing service is valid too: it has no endpoints.
        let mut svc = json!({"name": if ctx.service { "svc1" } else { "nosvc" }});
        // A global policy must name the namespace; a namespaced one may leave it out (its own
        // namespace, DECISIONS D5). `not_nets` doubles as the random bit for that choice.
        if (!ctx.namespaced || e.not_nets.is_some())
            && let Some(s) = svc.as_object_mut()
        {
            s.insert("namespace".into(), Value::from("ns1"));
        }
        m.insert("services".into(), svc);
        return m;
    }
    if let Some(d) = e.domains
        && side.domains
    {
        m.insert("domains".into(), json!([d]));
        return m;
    }
    if let Some(list) = &e.nets {
        let mut v: Vec<&str> = list.iter().map(|i| nets[i % nets.len()]).collect();
        v.sort_unstable();
        v.dedup();
        m.insert("nets".into(), json!(v));
    }
    if let Some(i) = e.not_nets {
        m.insert("notNets".into(), json!([nets[(i + 3) % nets.len()]]));
    }
    if let Some(s) = e.selector {
        m.insert("selector".into(), Value::from(s));
    }
    if let Some(s) = e.not_selector {
        m.insert("notSelector".into(), Value::from(s));
    }
    if let Some(s) = e.namespace_selector {
        m.insert("namespaceSelector".into(), Value::from(s));
    }
    if let Some((names, selector)) = e.service_accounts {
        let mut sa = Map::new();
        if names || selector.is_none() {
            sa.insert("names".into(), json!(["sa1"]));
        }
        if let Some(s) = selector {
            sa.insert("selector".into(), Value::from(s));
        }
        m.insert("serviceAccounts".into(), Value::Object(sa));
    }
    for (key, list) in [("ports", &e.ports), ("notPorts", &e.not_ports)] {
        if let Some(list) = list {
            let ports = ports_json(list, side.numeric_ports, side.named_ports);
            if !ports.is_empty() {
                m.insert(key.into(), Value::Array(ports));
            }
        }
    }
    m
}

/// Assembles a valid rule from its choices.
pub(crate) fn rule_json(c: &RuleChoices, ctx: &RuleCtx) -> Value {
    let mut m = Map::new();
    m.insert("action".into(), Value::from(c.action));
    let protocol = c.protocol;
    let v6 = match protocol {
        Some("ICMP") => false,
        Some("ICMPv6") => true,
        _ => c.v6,
    };
    if let Some(p) = protocol {
        m.insert("protocol".into(), protocol_json(p));
    }
    let ip_version = c.ip_version.then_some(if v6 { 6 } else { 4 });
    if let Some(v) = ip_version {
        m.insert("ipVersion".into(), Value::from(v));
    }
    if let Some(np) = c.not_protocol {
        let clash = Some(np) == protocol
            || (np == "ICMP" && ip_version == Some(6))
            || (np == "ICMPv6" && ip_version == Some(4));
        if !clash {
            m.insert("notProtocol".into(), protocol_json(np));
        }
    }
    let icmp_protocol = matches!(protocol, Some("ICMP" | "ICMPv6"));
    if let Some(i) = c.icmp
        && icmp_protocol
    {
        m.insert("icmp".into(), icmp_json(i));
    }
    if let Some(i) = c.not_icmp {
        m.insert("notICMP".into(), icmp_json(i));
    }
    let numeric_ports = matches!(protocol, Some("TCP" | "UDP" | "SCTP"));
    let named_ports = numeric_ports || protocol.is_none();
    let allow = c.action == "Allow";
    let source = entity_json(
        &c.source,
        ctx,
        &SideRules {
            numeric_ports,
            named_ports,
            services: ctx.ingress,
            domains: false,
            v6,
        },
    );
    let destination = entity_json(
        &c.destination,
        ctx,
        &SideRules {
            numeric_ports,
            named_ports,
            services: !ctx.ingress,
            domains: !ctx.ingress && allow && !ctx.profile,
            v6,
        },
    );
    if !source.is_empty() {
        m.insert("source".into(), Value::Object(source));
    }
    if !destination.is_empty() {
        m.insert("destination".into(), Value::Object(destination));
    }
    if c.http && ctx.ingress && allow && !ctx.profile && matches!(protocol, None | Some("TCP")) {
        m.insert(
            "http".into(),
            json!({"methods": ["GET"], "paths": [{"prefix": "/api"}]}),
        );
    }
    prune(Value::Object(m), c.shape, c.feature)
}

/// How a GlobalNetworkPolicy applies to host endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostMode {
    Normal,
    ApplyOnForward,
    DoNotTrack,
    PreDnat,
}

/// The choices for one Calico policy.
#[derive(Debug, Clone)]
pub(crate) struct CalicoPolicyChoices {
    /// 0 NetworkPolicy, 1 GlobalNetworkPolicy, 2 StagedNetworkPolicy,
    /// 3 StagedGlobalNetworkPolicy.
    pub(crate) kind: usize,
    pub(crate) ns: usize,
    tier: usize,
    order: Option<f64>,
    selector: Option<&'static str>,
    namespace_selector: Option<&'static str>,
    sa_selector: Option<&'static str>,
    types: Option<usize>,
    host_mode: HostMode,
    staged_action: Option<&'static str>,
    ingress: Vec<RuleChoices>,
    egress: Vec<RuleChoices>,
}

/// Random choices for a Calico policy.
pub(crate) fn calico_policy() -> impl Strategy<Value = CalicoPolicyChoices> {
    (
        (
            prop_oneof![4 => Just(0usize), 4 => Just(1), 2 => Just(2), 2 => Just(3)],
            0..2usize,
            0..4usize,
            prop_oneof![
                2 => Just(None),
                1 => Just(Some(1.0)),
                2 => Just(Some(10.0)),
                2 => Just(Some(100.0)),
                1 => Just(Some(500.0)),
            ],
            weighted(0.9, select(POLICY_SELECTORS)),
            weighted(0.12, select(NAMESPACE_SELECTORS)),
        ),
        (
            weighted(0.08, select(SA_SELECTORS)),
            weighted(0.5, 0..3usize),
            prop_oneof![
                14 => Just(HostMode::Normal),
                2 => Just(HostMode::ApplyOnForward),
                2 => Just(HostMode::DoNotTrack),
                2 => Just(HostMode::PreDnat),
            ],
            weighted(0.5, select(&["Set", "Learn", "Ignore", "Delete"][..])),
            vec(rule_choices(), 0..=3),
            vec(rule_choices(), 0..=3),
        ),
    )
        .prop_map(
            |(
                (kind, ns, tier, order, selector, namespace_selector),
                (sa_selector, types, host_mode, staged_action, ingress, egress),
            )| CalicoPolicyChoices {
                kind,
                ns,
                tier,
                order,
                selector,
                namespace_selector,
                sa_selector,
                types,
                host_mode,
                staged_action,
                ingress,
                egress,
            },
        )
}

/// Context for assembling a policy.
#[derive(Debug, Clone)]
pub(crate) struct PolicyCtx<'a> {
    /// Declared custom tiers.
    pub(crate) tiers: &'a [String],
    /// The cluster has `ns1/svc1`.
    pub(crate) service: bool,
}

fn number(x: f64) -> Value {
    // Whole orders as integers (what people write); others as floats.
    if x.fract() == 0.0 && x.abs() < 1e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// Assembles a valid Calico policy document named `name`.
pub(crate) fn calico_policy_json(
    c: &CalicoPolicyChoices,
    name: &str,
    ctx: &PolicyCtx<'_>,
) -> Value {
    let namespaced = c.kind == 0 || c.kind == 2;
    let staged = c.kind >= 2;
    let kind = [
        "NetworkPolicy",
        "GlobalNetworkPolicy",
        "StagedNetworkPolicy",
        "StagedGlobalNetworkPolicy",
    ][c.kind.min(3)];
    let mut meta = json!({"name": name});
    if namespaced && let Some(m) = meta.as_object_mut() {
        m.insert(
            "namespace".into(),
            Value::from(super::alphabet::NAMESPACES[c.ns % 2]),
        );
    }
    // Tier: default, a declared custom tier, or (rarely) an undeclared one.
    let tier = match c.tier {
        0 | 1 => "default".to_owned(),
        2 => ctx
            .tiers
            .first()
            .cloned()
            .unwrap_or_else(|| "default".to_owned()),
        _ => ctx.tiers.get(1).cloned().unwrap_or_else(|| "t9".to_owned()),
    };
    let mut spec = Map::new();
    if staged && c.staged_action == Some("Delete") {
        spec.insert("stagedAction".into(), Value::from("Delete"));
        spec.insert("tier".into(), Value::from(tier));
        return json!({"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta, "spec": spec});
    }
    if staged && let Some(a) = c.staged_action {
        spec.insert("stagedAction".into(), Value::from(a));
    }
    spec.insert("tier".into(), Value::from(tier));
    if let Some(o) = c.order {
        spec.insert("order".into(), number(o));
    }
    if let Some(s) = c.selector {
        spec.insert("selector".into(), Value::from(s));
    }
    let host_mode = if namespaced {
        HostMode::Normal
    } else {
        c.host_mode
    };
    if !namespaced && let Some(s) = c.namespace_selector {
        spec.insert("namespaceSelector".into(), Value::from(s));
    }
    if let Some(s) = c.sa_selector {
        spec.insert("serviceAccountSelector".into(), Value::from(s));
    }
    match host_mode {
        HostMode::Normal => {}
        HostMode::ApplyOnForward => {
            spec.insert("applyOnForward".into(), Value::from(true));
        }
        HostMode::DoNotTrack => {
            spec.insert("doNotTrack".into(), Value::from(true));
            spec.insert("applyOnForward".into(), Value::from(true));
        }
        HostMode::PreDnat => {
            spec.insert("preDNAT".into(), Value::from(true));
            spec.insert("applyOnForward".into(), Value::from(true));
        }
    }
    let rule_ctx = |ingress| RuleCtx {
        ingress,
        namespaced,
        profile: false,
        service: ctx.service,
    };
    let ingress: Vec<Value> = c
        .ingress
        .iter()
        .map(|r| rule_json(r, &rule_ctx(true)))
        .collect();
    let egress: Vec<Value> = if host_mode == HostMode::PreDnat {
        Vec::new()
    } else {
        c.egress
            .iter()
            .map(|r| rule_json(r, &rule_ctx(false)))
            .collect()
    };
    if host_mode == HostMode::PreDnat {
        if c.types.is_some() {
            spec.insert("types".into(), json!(["Ingress"]));
        }
    } else if let Some(t) = c.types {
        let types = match t {
            0 => json!(["Ingress"]),
            1 => json!(["Egress"]),
            _ => json!(["Ingress", "Egress"]),
        };
        spec.insert("types".into(), types);
    }
    if !ingress.is_empty() {
        spec.insert("ingress".into(), Value::Array(ingress));
    }
    if !egress.is_empty() {
        spec.insert("egress".into(), Value::Array(egress));
    }
    json!({"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta, "spec": spec})
}

/// A custom tier: order (avoiding the built-in tiers' orders) and default action.
pub(crate) fn tier() -> impl Strategy<Value = (Option<f64>, Option<&'static str>)> {
    (
        prop_oneof![
            1 => Just(None),
            2 => Just(Some(10.0)),
            2 => Just(Some(100.0)),
            1 => Just(Some(500.0)),
            1 => Just(Some(2000.0)),
            1 => Just(Some(2_000_000.0)),
        ],
        weighted(0.8, select(&["Deny", "Pass"][..])),
    )
}

/// A tier document.
pub(crate) fn tier_json(name: &str, order: Option<f64>, action: Option<&str>) -> Value {
    let mut spec = Map::new();
    if let Some(o) = order {
        spec.insert("order".into(), number(o));
    }
    if let Some(a) = action {
        spec.insert("defaultAction".into(), Value::from(a));
    }
    json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": name}, "spec": spec})
}

/// The custom profile `prof1`: rules and labels to apply.
pub(crate) fn profile() -> impl Strategy<Value = (Vec<RuleChoices>, Vec<RuleChoices>, bool)> {
    (
        vec(rule_choices_with([2, 3, 1, 1]), 0..=3),
        vec(rule_choices_with([2, 3, 1, 1]), 0..=3),
        any::<bool>(),
    )
}

/// The profile document.
pub(crate) fn profile_json(
    ingress: &[RuleChoices],
    egress: &[RuleChoices],
    labels: bool,
    service: bool,
) -> Value {
    let ctx = |ingress| RuleCtx {
        ingress,
        namespaced: false,
        profile: true,
        service,
    };
    let mut spec = Map::new();
    let ingress: Vec<Value> = ingress.iter().map(|r| rule_json(r, &ctx(true))).collect();
    let egress: Vec<Value> = egress.iter().map(|r| rule_json(r, &ctx(false))).collect();
    if !ingress.is_empty() {
        spec.insert("ingress".into(), Value::Array(ingress));
    }
    if !egress.is_empty() {
        spec.insert("egress".into(), Value::Array(egress));
    }
    if labels {
        spec.insert("labelsToApply".into(), json!({"zone": "z1"}));
    }
    json!({"apiVersion": "projectcalico.org/v3", "kind": "Profile", "metadata": {"name": "prof1"}, "spec": spec})
}
