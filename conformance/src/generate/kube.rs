//! Kubernetes NetworkPolicy (and its staged Calico form) and the policy.networking.k8s.io
//! kinds: AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy.

use proptest::collection::vec;
use proptest::option::weighted;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

use super::alphabet::{NAMED_PORTS, NAMESPACES, NETS_V4, NETS_V6, PORTS};

/// A Kubernetes label selector.
#[derive(Debug, Clone)]
pub(crate) enum LabelSelector {
    /// `{}`: everything.
    All,
    /// `matchLabels` with one pair.
    Label(&'static str, &'static str),
    /// `matchExpressions` with one expression.
    Expression(&'static str, &'static str, Vec<&'static str>),
}

impl LabelSelector {
    fn json(&self) -> Value {
        match self {
            LabelSelector::All => json!({}),
            LabelSelector::Label(k, v) => json!({"matchLabels": {*k: v}}),
            LabelSelector::Expression(k, op, values) => {
                let mut e = json!({"key": k, "operator": op});
                if !values.is_empty()
                    && let Some(m) = e.as_object_mut()
                {
                    m.insert("values".into(), json!(values));
                }
                json!({"matchExpressions": [e]})
            }
        }
    }
}

fn selector(
    pairs: &'static [(&'static str, &'static [&'static str])],
) -> BoxedStrategy<LabelSelector> {
    let (key, values) = pairs[0];
    prop_oneof![
        2 => Just(LabelSelector::All),
        3 => select(values).prop_map(move |v| LabelSelector::Label(key, v)),
        1 => (select(&["In", "NotIn"][..]), select(values)).prop_map(move |(op, v)| LabelSelector::Expression(key, op, vec![v])),
        1 => select(&["Exists", "DoesNotExist"][..]).prop_map(move |op| LabelSelector::Expression(key, op, Vec::new())),
    ]
    .boxed()
}

const APP: &[(&str, &[&str])] = &[("app", &["web", "db", "api"])];
const TEAM: &[(&str, &[&str])] = &[("team", &["red", "blue"])];
const NS_NAME: &[(&str, &[&str])] = &[("kubernetes.io/metadata.name", &["ns1", "ns2"])];

fn pod_selector() -> BoxedStrategy<LabelSelector> {
    selector(APP)
}

fn namespace_selector() -> BoxedStrategy<LabelSelector> {
    prop_oneof![selector(TEAM), selector(NS_NAME)].boxed()
}

/// A NetworkPolicy peer.
#[derive(Debug, Clone)]
pub(crate) enum Peer {
    Pods(LabelSelector),
    Namespaces(LabelSelector),
    Both(LabelSelector, LabelSelector),
    IpBlock { v6: bool, cidr: usize, except: bool },
}

fn knp_peer() -> impl Strategy<Value = Peer> {
    prop_oneof![
        3 => pod_selector().prop_map(Peer::Pods),
        2 => namespace_selector().prop_map(Peer::Namespaces),
        1 => (pod_selector(), namespace_selector()).prop_map(|(p, n)| Peer::Both(p, n)),
        2 => (proptest::bool::weighted(0.2), 0..8usize, any::<bool>())
            .prop_map(|(v6, cidr, except)| Peer::IpBlock { v6, cidr, except }),
    ]
}

/// An `ipBlock`: a CIDR and, optionally, an exception inside it.
fn ip_block(v6: bool, cidr: usize, except: bool) -> Value {
    let list: &[(&str, &str)] = if v6 {
        &[
            ("fd00::/16", "fd00:1::/64"),
            ("2001:db8::/48", "2001:db8::/64"),
        ]
    } else {
        &[
            ("10.0.0.0/16", "10.0.1.0/24"),
            ("10.0.1.0/24", "10.0.1.0/30"),
            ("192.0.2.0/24", "192.0.2.0/25"),
            ("0.0.0.0/0", "10.0.0.0/8"),
        ]
    };
    let (c, e) = list[cidr % list.len()];
    if except {
        json!({"cidr": c, "except": [e]})
    } else {
        json!({"cidr": c})
    }
}

fn knp_peer_json(p: &Peer) -> Value {
    match p {
        Peer::Pods(s) => json!({"podSelector": s.json()}),
        Peer::Namespaces(s) => json!({"namespaceSelector": s.json()}),
        Peer::Both(p, n) => json!({"podSelector": p.json(), "namespaceSelector": n.json()}),
        Peer::IpBlock { v6, cidr, except } => json!({"ipBlock": ip_block(*v6, *cidr, *except)}),
    }
}

/// A NetworkPolicy port: protocol, and a number (with `endPort`) or a name.
#[derive(Debug, Clone)]
pub(crate) struct KnpPort {
    protocol: Option<&'static str>,
    port: Option<(bool, usize)>,
}

fn knp_port() -> impl Strategy<Value = KnpPort> {
    (
        weighted(0.7, select(&["TCP", "UDP", "SCTP"][..])),
        weighted(0.85, (proptest::bool::weighted(0.3), 0..8usize)),
    )
        .prop_map(|(protocol, port)| KnpPort { protocol, port })
}

fn knp_port_json(p: &KnpPort) -> Value {
    let mut m = Map::new();
    if let Some(proto) = p.protocol {
        m.insert("protocol".into(), Value::from(proto));
    }
    match p.port {
        Some((true, i)) => {
            m.insert(
                "port".into(),
                Value::from(NAMED_PORTS[i % NAMED_PORTS.len()].0),
            );
        }
        Some((false, i)) => {
            let (a, b) = PORTS[i % PORTS.len()];
            m.insert("port".into(), Value::from(a));
            if b > a {
                m.insert("endPort".into(), Value::from(b));
            }
        }
        None => {}
    }
    Value::Object(m)
}

/// The choices for a Kubernetes NetworkPolicy (or its staged form).
#[derive(Debug, Clone)]
pub(crate) struct KnpChoices {
    pub(crate) ns: usize,
    pub(crate) staged: Option<Option<&'static str>>,
    pod_selector: LabelSelector,
    types: Option<usize>,
    ingress: Vec<(Vec<Peer>, Vec<KnpPort>)>,
    egress: Vec<(Vec<Peer>, Vec<KnpPort>)>,
}

fn knp_rule() -> impl Strategy<Value = (Vec<Peer>, Vec<KnpPort>)> {
    (vec(knp_peer(), 0..=2), vec(knp_port(), 0..=2))
}

/// Random NetworkPolicy choices; `staged` makes a StagedKubernetesNetworkPolicy.
pub(crate) fn knp(staged: bool) -> impl Strategy<Value = KnpChoices> {
    (
        0..NAMESPACES.len(),
        weighted(0.5, select(&["Set", "Learn", "Ignore"][..])),
        pod_selector(),
        weighted(0.6, 0..3usize),
        vec(knp_rule(), 0..=2),
        vec(knp_rule(), 0..=2),
    )
        .prop_map(
            move |(ns, action, pod_selector, types, ingress, egress)| KnpChoices {
                ns,
                staged: staged.then_some(action),
                pod_selector,
                types,
                ingress,
                egress,
            },
        )
}

fn knp_rules_json(rules: &[(Vec<Peer>, Vec<KnpPort>)], key: &str) -> Vec<Value> {
    rules
        .iter()
        .map(|(peers, ports)| {
            let mut m = Map::new();
            if !peers.is_empty() {
                m.insert(
                    key.into(),
                    Value::Array(peers.iter().map(knp_peer_json).collect()),
                );
            }
            if !ports.is_empty() {
                m.insert(
                    "ports".into(),
                    Value::Array(ports.iter().map(knp_port_json).collect()),
                );
            }
            Value::Object(m)
        })
        .collect()
}

/// The NetworkPolicy (or StagedKubernetesNetworkPolicy) document.
pub(crate) fn knp_json(c: &KnpChoices, name: &str) -> Value {
    let mut spec = Map::new();
    if let Some(Some(action)) = c.staged {
        spec.insert("stagedAction".into(), Value::from(action));
    }
    spec.insert("podSelector".into(), c.pod_selector.json());
    if let Some(t) = c.types {
        let types = match t {
            0 => json!(["Ingress"]),
            1 => json!(["Egress"]),
            _ => json!(["Ingress", "Egress"]),
        };
        spec.insert("policyTypes".into(), types);
    }
    let ingress = knp_rules_json(&c.ingress, "from");
    let egress = knp_rules_json(&c.egress, "to");
    if !ingress.is_empty() {
        spec.insert("ingress".into(), Value::Array(ingress));
    }
    if !egress.is_empty() {
        spec.insert("egress".into(), Value::Array(egress));
    }
    let (api, kind) = if c.staged.is_some() {
        ("projectcalico.org/v3", "StagedKubernetesNetworkPolicy")
    } else {
        ("networking.k8s.io/v1", "NetworkPolicy")
    };
    json!({"apiVersion": api, "kind": kind,
           "metadata": {"name": name, "namespace": NAMESPACES[c.ns % NAMESPACES.len()]},
           "spec": spec})
}

// ----- admin kinds ----------------------------------------------------------------------------

/// Which admin kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdminKind {
    Anp,
    Banp,
    CnpAdmin,
    CnpBaseline,
}

/// An admin peer.
#[derive(Debug, Clone)]
pub(crate) enum AdminPeer {
    Namespaces(LabelSelector),
    Pods(LabelSelector, LabelSelector),
    Networks(bool, usize),
}

/// An admin port: a number, a range or a named port.
#[derive(Debug, Clone)]
pub(crate) enum AdminPort {
    Number(&'static str, usize),
    Range(&'static str, usize),
    Named(usize),
}

/// The choices for an admin policy.
#[derive(Debug, Clone)]
pub(crate) struct AdminChoices {
    pub(crate) kind: AdminKind,
    priority: i32,
    subject: AdminPeer,
    ingress: Vec<(usize, Vec<AdminPeer>, Vec<AdminPort>)>,
    egress: Vec<(usize, Vec<AdminPeer>, Vec<AdminPort>)>,
}

fn admin_peer() -> impl Strategy<Value = AdminPeer> {
    prop_oneof![
        2 => namespace_selector().prop_map(AdminPeer::Namespaces),
        2 => (namespace_selector(), pod_selector()).prop_map(|(n, p)| AdminPeer::Pods(n, p)),
        1 => (proptest::bool::weighted(0.2), 0..8usize).prop_map(|(v6, i)| AdminPeer::Networks(v6, i)),
    ]
}

fn admin_port() -> impl Strategy<Value = AdminPort> {
    let proto = select(&["TCP", "UDP", "SCTP"][..]);
    prop_oneof![
        3 => (proto.clone(), 0..8usize).prop_map(|(p, i)| AdminPort::Number(p, i)),
        1 => (proto, 0..8usize).prop_map(|(p, i)| AdminPort::Range(p, i)),
        1 => (0..NAMED_PORTS.len()).prop_map(AdminPort::Named),
    ]
}

fn admin_rule() -> impl Strategy<Value = (usize, Vec<AdminPeer>, Vec<AdminPort>)> {
    (
        0..3usize,
        vec(admin_peer(), 1..=2),
        vec(admin_port(), 0..=2),
    )
}

/// Random admin-policy choices of `kind`.
pub(crate) fn admin(kind: AdminKind) -> impl Strategy<Value = AdminChoices> {
    (
        prop_oneof![Just(0), Just(5), Just(10), Just(10), Just(100), Just(1000)],
        prop_oneof![
            namespace_selector().prop_map(AdminPeer::Namespaces),
            (namespace_selector(), pod_selector()).prop_map(|(n, p)| AdminPeer::Pods(n, p)),
        ],
        vec(admin_rule(), 0..=3),
        vec(admin_rule(), 0..=3),
    )
        .prop_map(move |(priority, subject, ingress, egress)| AdminChoices {
            kind,
            priority,
            subject,
            ingress,
            egress,
        })
}

fn admin_peer_json(p: &AdminPeer) -> Value {
    match p {
        AdminPeer::Namespaces(s) => json!({"namespaces": s.json()}),
        AdminPeer::Pods(n, p) => {
            json!({"pods": {"namespaceSelector": n.json(), "podSelector": p.json()}})
        }
        AdminPeer::Networks(v6, i) => {
            let nets = if *v6 { NETS_V6 } else { NETS_V4 };
            json!({"networks": [nets[i % nets.len()]]})
        }
    }
}

fn anp_port_json(p: &AdminPort) -> Value {
    match p {
        AdminPort::Number(proto, i) => {
            json!({"portNumber": {"protocol": proto, "port": PORTS[i % PORTS.len()].0}})
        }
        AdminPort::Range(proto, i) => {
            let (a, b) = PORTS[i % PORTS.len()];
            json!({"portRange": {"protocol": proto, "start": a, "end": b}})
        }
        AdminPort::Named(i) => json!({"namedPort": NAMED_PORTS[i % NAMED_PORTS.len()].0}),
    }
}

fn cnp_protocol_json(p: &AdminPort) -> Value {
    let key = |proto: &str| proto.to_ascii_lowercase();
    match p {
        AdminPort::Number(proto, i) => {
            json!({key(proto): {"destinationPort": {"number": PORTS[i % PORTS.len()].0}}})
        }
        AdminPort::Range(proto, i) => {
            let (a, b) = PORTS[i % PORTS.len()];
            if a < b {
                json!({key(proto): {"destinationPort": {"range": {"start": a, "end": b}}}})
            } else {
                json!({key(proto): {"destinationPort": {"number": a}}})
            }
        }
        AdminPort::Named(i) => {
            json!({"destinationNamedPort": NAMED_PORTS[i % NAMED_PORTS.len()].0})
        }
    }
}

/// The admin policy document named `name` (a BaselineAdminNetworkPolicy is always
/// `default`).
pub(crate) fn admin_json(c: &AdminChoices, name: &str) -> Value {
    let cnp = matches!(c.kind, AdminKind::CnpAdmin | AdminKind::CnpBaseline);
    let actions: &[&str] = match c.kind {
        AdminKind::Anp => &["Allow", "Deny", "Pass"],
        AdminKind::Banp => &["Allow", "Deny", "Deny"],
        AdminKind::CnpAdmin | AdminKind::CnpBaseline => &["Accept", "Deny", "Pass"],
    };
    let rules = |list: &[(usize, Vec<AdminPeer>, Vec<AdminPort>)], key: &str, ingress: bool| {
        list.iter()
            .enumerate()
            .map(|(i, (action, peers, ports))| {
                // Ingress peers are namespaces and pods only; a named port never goes with a
                // networks peer.
                let mut peers: Vec<&AdminPeer> = peers
                    .iter()
                    .filter(|p| !(ingress && matches!(p, AdminPeer::Networks(..))))
                    .collect();
                if peers.is_empty() {
                    peers.push(&c.subject);
                }
                let networks = peers.iter().any(|p| matches!(p, AdminPeer::Networks(..)));
                let ports: Vec<&AdminPort> = ports
                    .iter()
                    .filter(|p| !(networks && matches!(p, AdminPort::Named(_))))
                    .collect();
                let mut m = Map::new();
                m.insert("name".into(), Value::from(format!("r{i}")));
                m.insert(
                    "action".into(),
                    Value::from(actions[action % actions.len()]),
                );
                m.insert(
                    key.into(),
                    Value::Array(peers.iter().map(|p| admin_peer_json(p)).collect()),
                );
                if !ports.is_empty() {
                    let (field, list): (&str, Vec<Value>) = if cnp {
                        (
                            "protocols",
                            ports.iter().map(|p| cnp_protocol_json(p)).collect(),
                        )
                    } else {
                        ("ports", ports.iter().map(|p| anp_port_json(p)).collect())
                    };
                    m.insert(field.into(), Value::Array(list));
                }
                Value::Object(m)
            })
            .collect::<Vec<Value>>()
    };
    let subject = match &c.subject {
        AdminPeer::Namespaces(s) => json!({"namespaces": s.json()}),
        AdminPeer::Pods(n, p) => {
            json!({"pods": {"namespaceSelector": n.json(), "podSelector": p.json()}})
        }
        AdminPeer::Networks(..) => json!({"namespaces": {}}),
    };
    let mut spec = Map::new();
    match c.kind {
        AdminKind::Anp => {
            spec.insert("priority".into(), Value::from(c.priority));
        }
        AdminKind::Banp => {}
        AdminKind::CnpAdmin | AdminKind::CnpBaseline => {
            spec.insert(
                "tier".into(),
                Value::from(if c.kind == AdminKind::CnpAdmin {
                    "Admin"
                } else {
                    "Baseline"
                }),
            );
            spec.insert("priority".into(), Value::from(c.priority));
        }
    }
    spec.insert("subject".into(), subject);
    let ingress = rules(&c.ingress, "from", true);
    let egress = rules(&c.egress, "to", false);
    if !ingress.is_empty() {
        spec.insert("ingress".into(), Value::Array(ingress));
    }
    if !egress.is_empty() {
        spec.insert("egress".into(), Value::Array(egress));
    }
    let (api, kind, name) = match c.kind {
        AdminKind::Anp => (
            "policy.networking.k8s.io/v1alpha1",
            "AdminNetworkPolicy",
            name,
        ),
        AdminKind::Banp => (
            "policy.networking.k8s.io/v1alpha1",
            "BaselineAdminNetworkPolicy",
            "default",
        ),
        AdminKind::CnpAdmin | AdminKind::CnpBaseline => (
            "policy.networking.k8s.io/v1alpha2",
            "ClusterNetworkPolicy",
            name,
        ),
    };
    json!({"apiVersion": api, "kind": kind, "metadata": {"name": name}, "spec": spec})
}
