//! Proptest generators: random models (namespaces, pods with labels from a small alphabet,
//! service accounts, network sets, host endpoints, tiers, Calico/staged/Kubernetes/admin
//! policies with every rule field, profiles, services, failsafes, DNS answers) and packets biased
//! towards the boundaries of what the model mentions (CIDR edges, port range ends, ICMP codes,
//! the other family).
//!
//! Models are generated as converted model items (what `policy-model`'s conversion produces),
//! filed under the source resource keys a converter would use, so that incremental tests can
//! upsert and delete whole sources.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use palisade_policy_model::calico::EndpointToHostAction;
use palisade_policy_model::model::{
    Entity, Failsafe, Item, Model, Policy, PolicyKind, ResourceKey, Rule, ServiceRef,
};
use palisade_policy_model::values::{Action, IpVersion, Protocol, TierAction};
use proptest::prelude::*;
use proptest::sample::select;

use super::build::{
    PolicyExt, RuleExt, felix, host_endpoint, named_port, namespace, net, network_set, pod_with_sa,
    policy, ports, profile, rule, sel, service_account, service_slice, source_key, tier,
};
use crate::compiler::{CompileOptions, DnsCache, HttpMode};
use crate::ir::{Hook, ProgramTarget};
use crate::packet::{
    L4, PROTO_ICMP, PROTO_ICMPV6, PROTO_SCTP, PROTO_TCP, PROTO_UDP, PROTO_UDPLITE, PacketRepr,
    icmp_protocol_for,
};

/// Namespaces the generators use.
pub const NAMESPACES: [&str; 2] = ["a", "b"];

const APP: &[&str] = &["web", "db", "api"];
const TIER_LABEL: &[&str] = &["fe", "be"];
const ENV: &[&str] = &["prod", "dev"];

/// Policy selectors (before namespace scoping).
const POLICY_SELECTORS: &[&str] = &[
    "all()",
    "all()",
    "has(app)",
    "app == 'web'",
    "app in {'web', 'db'}",
    "has(tier)",
    "!has(env)",
    "env != 'prod'",
    "tier == 'fe' && app == 'web'",
    "app == 'db' || env == 'dev'",
    "pcns.team == 'red'",
    "pcsa.role == 'admin'",
    "zone == 'z1'",
    "host-endpoint == 'true'",
    "role starts with 'ed'",
    "projectcalico.org/namespace == 'a'",
    "global()",
];

/// Rule selectors.
const RULE_SELECTORS: &[&str] = &[
    "all()",
    "app == 'web'",
    "app == 'db'",
    "has(app)",
    "!has(app)",
    "kind == 'ext'",
    "tier in {'fe', 'be'} && env == 'prod'",
    "app == 'api' || kind == 'int'",
    "pcns.team == 'blue'",
    "projectcalico.org/namespace == 'b'",
    "host-endpoint == 'true'",
    "zone == 'z2'",
    "has(projectcalico.org/namespace)",
];

/// CIDRs rules and network sets draw from.
const NETS: &[&str] = &[
    "10.0.0.0/24",
    "10.0.1.0/28",
    "10.0.0.2/32",
    "192.168.0.0/16",
    "172.16.0.0/12",
    "203.0.113.0/24",
    "8.8.8.0/24",
    "fd00::/64",
    "fd01::/120",
    "2001:db8::/32",
];

/// Port ranges rules draw from.
const PORT_RANGES: &[(u16, u16)] = &[
    (80, 80),
    (53, 53),
    (1, 1024),
    (8080, 8090),
    (443, 443),
    (65535, 65535),
    (9090, 9090),
];

/// Named ports rules draw from (`nope` matches no endpoint port).
const PORT_NAMES: &[&str] = &["http", "dns", "metrics", "sctpp", "nope"];

/// Domain patterns rules draw from.
const DOMAINS: &[&str] = &["api.example.com", "*.example.com", "nothing.test"];

/// Services rules refer to (`a/missing` has no endpoints).
const SERVICES: &[(&str, &str)] = &[("a", "svc1"), ("b", "svc2"), ("a", "missing")];

/// A generated model: items by source, plus the DNS answers `domains` rules resolve to.
#[derive(Clone, Debug)]
pub struct GenModel {
    /// Items by the source resource that produces them.
    pub sources: BTreeMap<ResourceKey, Vec<Item>>,
    /// DNS answers.
    pub dns: DnsCache,
}

impl GenModel {
    /// The model.
    pub fn model(&self) -> Model {
        let mut model = Model::new();
        for (key, items) in &self.sources {
            model.insert_items(key.clone(), items.clone());
        }
        model
    }

    /// Compile options for the model: its DNS answers and the given `http` mode and pending flag.
    pub fn options(&self, http: HttpMode, pending: bool) -> CompileOptions {
        CompileOptions::new()
            .http(http)
            .pending(pending)
            .dns(self.dns.clone())
    }
}

/// Every endpoint hook of every endpoint in `model`.
pub fn all_targets(model: &Model) -> Vec<ProgramTarget> {
    let mut out = Vec::new();
    for w in model.workloads() {
        for hook in Hook::WORKLOAD {
            out.push(ProgramTarget {
                endpoint: w.key.clone(),
                hook,
            });
        }
    }
    for h in model.host_endpoints() {
        for hook in Hook::HOST {
            out.push(ProgramTarget {
                endpoint: h.key.clone(),
                hook,
            });
        }
    }
    out
}

fn maybe<T: std::fmt::Debug + Clone + 'static>(
    p: f64,
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    proptest::option::weighted(p, s).boxed()
}

fn label_pairs() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
    (
        maybe(0.7, select(APP)),
        maybe(0.5, select(TIER_LABEL)),
        maybe(0.5, select(ENV)),
    )
        .prop_map(|(a, t, e)| {
            let mut v = Vec::new();
            if let Some(a) = a {
                v.push(("app", a));
            }
            if let Some(t) = t {
                v.push(("tier", t));
            }
            if let Some(e) = e {
                v.push(("env", e));
            }
            v
        })
}

fn protocol() -> impl Strategy<Value = Protocol> {
    prop_oneof![
        3 => Just(Protocol::Tcp),
        2 => Just(Protocol::Udp),
        1 => Just(Protocol::Sctp),
        1 => Just(Protocol::UdpLite),
        1 => Just(Protocol::Icmp),
        1 => Just(Protocol::IcmpV6),
        1 => Just(Protocol::Number(std::num::NonZeroU8::MIN.saturating_add(46))),
    ]
}

fn nets_list() -> impl Strategy<Value = Vec<IpNet>> {
    proptest::collection::vec(select(NETS), 1..3).prop_map(|v| v.into_iter().map(net).collect())
}

fn entity(destination: bool, port_protocol: bool) -> impl Strategy<Value = Entity> {
    (
        maybe(0.15, nets_list()),
        maybe(0.08, nets_list()),
        maybe(0.2, select(RULE_SELECTORS)),
        maybe(0.1, select(RULE_SELECTORS)),
        maybe(
            0.25,
            (
                proptest::collection::vec(select(PORT_RANGES), 0..3),
                proptest::collection::vec(select(PORT_NAMES), 0..2),
            ),
        ),
        maybe(
            0.1,
            (
                proptest::collection::vec(select(PORT_RANGES), 0..2),
                proptest::collection::vec(select(PORT_NAMES), 0..2),
            ),
        ),
        maybe(0.06, select(SERVICES)),
        maybe(0.06, proptest::collection::vec(select(DOMAINS), 1..3)),
    )
        .prop_map(
            move |(nets, not_nets, selector, not_selector, pos, neg, service, domains)| {
                let mut e = Entity {
                    nets: nets.unwrap_or_default(),
                    not_nets: not_nets.unwrap_or_default(),
                    selector: selector.map(sel),
                    ..Entity::default()
                };
                // D4: a notSelector stays separate only without a positive selector.
                if e.selector.is_none() {
                    e.not_selector = not_selector.map(sel);
                }
                let to_ranges =
                    |v: Vec<(u16, u16)>| v.into_iter().map(|(a, b)| ports(a, b)).collect();
                let to_names = |v: Vec<&str>| v.into_iter().map(Arc::from).collect();
                if let Some((r, n)) = pos {
                    // Numeric ports need a port protocol; named ports do not (SEMANTICS §4).
                    if port_protocol {
                        e.ports = to_ranges(r);
                    }
                    e.named_ports = to_names(n);
                }
                if let Some((r, n)) = neg {
                    if port_protocol {
                        e.not_ports = to_ranges(r);
                    }
                    e.not_named_ports = to_names(n);
                }
                // A destination service cannot be combined with ports (SEMANTICS §4).
                if let Some((ns, name)) = service
                    && (!destination
                        || (e.ports.is_empty()
                            && e.named_ports.is_empty()
                            && e.not_ports.is_empty()
                            && e.not_named_ports.is_empty()))
                {
                    e.service = Some(ServiceRef {
                        namespace: Arc::from(ns),
                        name: Arc::from(name),
                    });
                }
                if destination {
                    e.domains = domains
                        .unwrap_or_default()
                        .into_iter()
                        .map(Arc::from)
                        .collect();
                }
                e
            },
        )
}

/// A random rule with the given allowed actions.
fn rule_strategy(actions: &'static [Action]) -> impl Strategy<Value = Rule> {
    (
        select(actions),
        maybe(0.5, protocol()),
        maybe(0.1, protocol()),
        maybe(0.1, prop_oneof![Just(IpVersion::V4), Just(IpVersion::V6)]),
        maybe(
            0.5,
            (
                select(&[0u8, 3, 8, 128, 135][..]),
                maybe(0.4, select(&[0u8, 1][..])),
            ),
        ),
        maybe(
            0.08,
            (
                select(&[0u8, 3, 8, 128][..]),
                maybe(0.3, select(&[0u8, 1][..])),
            ),
        ),
        any::<(bool, bool)>(),
        maybe(0.1, (any::<bool>(), any::<bool>())),
    )
        .prop_flat_map(|(action, proto, not_proto, ipv, icmp, not_icmp, _, http)| {
            let port_protocol = proto.is_some_and(|p| p.supports_ports());
            let side = move |destination: bool| {
                prop_oneof![
                    2 => Just(Entity::default()),
                    3 => entity(destination, port_protocol),
                ]
            };
            (
                Just((action, proto, not_proto, ipv, icmp, not_icmp, http)),
                side(false),
                side(true),
            )
        })
        .prop_map(
            |((action, proto, not_proto, ipv, icmp, not_icmp, http), src, dst)| {
                let mut r = rule(action);
                r.protocol = proto;
                r.not_protocol = not_proto;
                r.ip_version = ipv;
                if proto.is_some_and(|p| p.is_icmp_family())
                    && let Some((t, c)) = icmp
                {
                    r = r.icmp(Some(t), c);
                }
                if let Some((t, c)) = not_icmp {
                    r = r.not_icmp(Some(t), c);
                }
                r.source = src;
                r.destination = dst;
                if let Some((with_method, exact)) = http {
                    let methods: &[&str] = if with_method { &["GET", "POST"] } else { &[] };
                    let paths: &[(Option<&str>, Option<&str>)] = if exact {
                        &[(Some("/foo"), None)]
                    } else {
                        &[(None, Some("/api"))]
                    };
                    r = r.http(methods, paths);
                }
                r
            },
        )
}

const ALL_ACTIONS: &[Action] = &[
    Action::Allow,
    Action::Allow,
    Action::Deny,
    Action::Deny,
    Action::Pass,
    Action::Log,
];
const ALLOW_ONLY: &[Action] = &[Action::Allow];
const ADMIN_ACTIONS: &[Action] = &[Action::Allow, Action::Deny, Action::Pass];

fn rules(actions: &'static [Action]) -> impl Strategy<Value = Vec<Rule>> {
    proptest::collection::vec(rule_strategy(actions), 0..4)
}

const KINDS: &[PolicyKind] = &[
    PolicyKind::GlobalNetworkPolicy,
    PolicyKind::GlobalNetworkPolicy,
    PolicyKind::NetworkPolicy,
    PolicyKind::NetworkPolicy,
    PolicyKind::StagedNetworkPolicy,
    PolicyKind::StagedGlobalNetworkPolicy,
    PolicyKind::StagedKubernetesNetworkPolicy,
    PolicyKind::KubernetesNetworkPolicy,
    PolicyKind::AdminNetworkPolicy,
    PolicyKind::BaselineAdminNetworkPolicy,
    PolicyKind::ClusterNetworkPolicy,
];

fn policy_strategy() -> impl Strategy<Value = Policy> {
    (
        select(KINDS),
        select(&["p-a", "p-b", "p-c", "x"][..]),
        select(&NAMESPACES[..]),
        select(&["default", "default", "t1", "t2", "t3"][..]),
        select(&[None, Some(1.0), Some(10.0), Some(10.0), Some(1000.0)][..]),
        select(POLICY_SELECTORS),
        (any::<bool>(), any::<bool>()),
        select(
            &[
                (false, false, false),
                (false, false, false),
                (false, false, true),
                (true, false, true),
                (false, true, true),
            ][..],
        ),
        any::<bool>(),
    )
        .prop_flat_map(
            |(kind, name, ns, tier_name, order, selector, dirs, flags, baseline)| {
                let actions = match kind {
                    PolicyKind::KubernetesNetworkPolicy
                    | PolicyKind::StagedKubernetesNetworkPolicy => ALLOW_ONLY,
                    PolicyKind::AdminNetworkPolicy
                    | PolicyKind::BaselineAdminNetworkPolicy
                    | PolicyKind::ClusterNetworkPolicy => ADMIN_ACTIONS,
                    _ => ALL_ACTIONS,
                };
                (
                    Just((
                        kind, name, ns, tier_name, order, selector, dirs, flags, baseline,
                    )),
                    rules(actions),
                    rules(actions),
                )
            },
        )
        .prop_map(
            |(
                (kind, name, ns, tier_name, order, selector, (ing, eg), flags, baseline),
                ingress,
                egress,
            )| {
                let namespaced = kind.is_namespaced();
                let (tier_name, order) = match kind {
                    PolicyKind::KubernetesNetworkPolicy
                    | PolicyKind::StagedKubernetesNetworkPolicy => ("default", Some(1000.0)),
                    PolicyKind::AdminNetworkPolicy => ("kube-admin", order),
                    PolicyKind::BaselineAdminNetworkPolicy => ("kube-baseline", order),
                    PolicyKind::ClusterNetworkPolicy if baseline => ("kube-baseline", order),
                    PolicyKind::ClusterNetworkPolicy => ("kube-admin", order),
                    _ => (tier_name, order),
                };
                let selector = if namespaced {
                    format!("({selector}) && projectcalico.org/namespace == '{ns}'")
                } else {
                    selector.to_owned()
                };
                let mut p = policy(
                    kind,
                    namespaced.then_some(ns),
                    name,
                    tier_name,
                    order,
                    &selector,
                );
                let global_calico = matches!(
                    kind,
                    PolicyKind::GlobalNetworkPolicy | PolicyKind::StagedGlobalNetworkPolicy
                );
                let (dnt, pre_dnat, aof) = if global_calico {
                    flags
                } else {
                    (false, false, false)
                };
                p = p.host_flags(dnt, pre_dnat, aof);
                let (ing, eg) = if !ing && !eg {
                    (true, false)
                } else {
                    (ing, eg)
                };
                if ing {
                    p = p.ingress(ingress);
                }
                if eg && !pre_dnat {
                    p = p.egress(egress);
                }
                p
            },
        )
}

/// One generated pod: namespace, labels, v6 address, named ports, node, service account, extra
/// profile.
type PodSpec = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    bool,
    Vec<usize>,
    Option<&'static str>,
    &'static str,
    bool,
);

fn pod_spec() -> impl Strategy<Value = PodSpec> {
    (
        select(&NAMESPACES[..]),
        label_pairs(),
        proptest::bool::weighted(0.4),
        proptest::collection::vec(0usize..6, 0..3),
        maybe(0.7, select(&["n1", "n2"][..])),
        select(&["default", "admin-sa"][..]),
        proptest::bool::weighted(0.2),
    )
}

fn endpoint_ports(picks: &[usize]) -> Vec<palisade_policy_model::model::NamedPort> {
    let all = [
        named_port("http", Protocol::Tcp, 80),
        named_port("http", Protocol::Tcp, 8080),
        named_port("dns", Protocol::Udp, 53),
        named_port("dns", Protocol::Tcp, 53),
        named_port("metrics", Protocol::Tcp, 9090),
        named_port("sctpp", Protocol::Sctp, 9),
    ];
    let mut out: Vec<_> = picks.iter().filter_map(|i| all.get(*i).cloned()).collect();
    out.sort();
    out.dedup();
    out
}

/// One generated host endpoint: labels, v6 address, node, profile choice, named ports.
type HostSpec = (bool, &'static str, bool, &'static str, usize, Vec<usize>);

fn host_spec() -> impl Strategy<Value = HostSpec> {
    (
        any::<bool>(),
        select(&["edge", "core"][..]),
        proptest::bool::weighted(0.4),
        select(&["n1", "n2"][..]),
        0usize..3,
        proptest::collection::vec(0usize..6, 0..2),
    )
}

/// A random model (see the module docs).
pub fn model_strategy() -> impl Strategy<Value = GenModel> {
    (
        proptest::collection::vec(pod_spec(), 1..5),
        proptest::collection::vec(host_spec(), 0..3),
        proptest::collection::vec(
            (
                any::<bool>(),
                select(&["ext", "int"][..]),
                nets_list(),
                select(&NAMESPACES[..]),
            ),
            0..3,
        ),
        proptest::collection::vec(policy_strategy(), 1..10),
        (
            maybe(
                0.6,
                (select(&[None, Some(10.0), Some(20.0)][..]), any::<bool>()),
            ),
            maybe(
                0.5,
                (select(&[None, Some(10.0), Some(20.0)][..]), any::<bool>()),
            ),
        ),
        (
            select(&["red", "blue"][..]),
            select(&["red", "blue"][..]),
            any::<(bool, bool, bool)>(),
        ),
        (
            rules(ALL_ACTIONS),
            rules(ALL_ACTIONS),
            select(&["z1", "z2"][..]),
        ),
        maybe(0.5, (select(&[0usize, 1, 2][..]), any::<bool>())),
    )
        .prop_map(
            |(
                pods,
                hosts,
                sets,
                policies,
                (t1, t2),
                (team_a, team_b, present),
                (pin, peg, zone),
                fx,
            )| {
                let mut items: Vec<Item> = Vec::new();
                let mut pod_ips: Vec<(IpAddr, &'static str)> = Vec::new();
                for (i, (ns, labels, v6, port_picks, node, sa, extra)) in
                    pods.into_iter().enumerate()
                {
                    let nsi = NAMESPACES.iter().position(|n| *n == ns).unwrap_or(0);
                    let v4 = format!("10.0.{nsi}.{}", i + 1);
                    let v6s = format!("fd00::{}{}", nsi, i + 1);
                    let mut ips = vec![v4.as_str()];
                    if v6 {
                        ips.push(v6s.as_str());
                    }
                    let mut w = pod_with_sa(ns, &format!("pod{i}"), sa, &labels, &ips);
                    w.node = node.map(Arc::from);
                    w.ports = endpoint_ports(&port_picks);
                    if extra {
                        w.profiles.push(Arc::from("prof-x"));
                    }
                    for n in &w.ips {
                        pod_ips.push((n.addr(), ns));
                    }
                    items.push(Item::Workload(w));
                }
                for (i, (is_hep, role, v6, node, prof, port_picks)) in hosts.into_iter().enumerate()
                {
                    let v4 = format!("192.168.0.{}", i + 1);
                    let v6s = format!("fd01::{}", i + 1);
                    let mut ips = vec![v4.as_str()];
                    if v6 {
                        ips.push(v6s.as_str());
                    }
                    let mut own = vec![("role", role)];
                    if is_hep {
                        own.push(("host-endpoint", "true"));
                    }
                    let mut h = host_endpoint(&format!("h{i}"), node, &own, &ips);
                    h.profiles = match prof {
                        0 => Vec::new(),
                        1 => vec![Arc::from("projectcalico-default-allow")],
                        _ => vec![Arc::from("hep-prof")],
                    };
                    h.ports = endpoint_ports(&port_picks);
                    items.push(Item::Host(h));
                }
                for (i, (global, kind, nets, ns)) in sets.into_iter().enumerate() {
                    let texts: Vec<String> = nets.iter().map(ToString::to_string).collect();
                    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                    let mut own = vec![("kind", kind)];
                    if i % 2 == 1 {
                        own.push(("app", "web"));
                    }
                    let namespace = (!global).then_some(ns);
                    items.push(Item::NetworkSet(network_set(
                        namespace,
                        &format!("set{i}"),
                        &own,
                        &refs,
                    )));
                }
                let mut seen = std::collections::BTreeSet::new();
                for p in policies {
                    if seen.insert(p.id.clone()) {
                        items.push(Item::Policy(p));
                    }
                }
                if let Some((order, pass)) = t1 {
                    items.push(Item::Tier(tier(
                        "t1",
                        order,
                        if pass {
                            TierAction::Pass
                        } else {
                            TierAction::Deny
                        },
                    )));
                }
                if let Some((order, pass)) = t2 {
                    items.push(Item::Tier(tier(
                        "t2",
                        order,
                        if pass {
                            TierAction::Pass
                        } else {
                            TierAction::Deny
                        },
                    )));
                }
                let (ns_a, ns_b, sa) = present;
                if ns_a {
                    items.push(Item::Profile(namespace("a", &[("team", team_a)])));
                }
                if ns_b {
                    items.push(Item::Profile(namespace("b", &[("team", team_b)])));
                }
                if sa {
                    items.push(Item::Profile(service_account(
                        "a",
                        "admin-sa",
                        &[("role", "admin")],
                    )));
                    items.push(Item::Profile(service_account(
                        "b",
                        "admin-sa",
                        &[("role", "viewer")],
                    )));
                }
                items.push(Item::Profile(profile(
                    "prof-x",
                    &[("zone", zone)],
                    pin.clone(),
                    peg.clone(),
                )));
                items.push(Item::Profile(profile(
                    "hep-prof",
                    &[("zone", "z2"), ("app", "api")],
                    peg,
                    pin,
                )));
                // Services: svc1 in `a` from the pods of `a`; svc2 in `b` with a fixed endpoint.
                let svc1: Vec<(String, Vec<(Protocol, u16)>)> = pod_ips
                    .iter()
                    .filter(|(_, ns)| *ns == "a")
                    .map(|(ip, _)| {
                        (
                            ip.to_string(),
                            vec![(Protocol::Tcp, 80), (Protocol::Udp, 53)],
                        )
                    })
                    .collect();
                let svc1_refs: Vec<(&str, &[(Protocol, u16)])> =
                    svc1.iter().map(|(i, p)| (i.as_str(), &p[..])).collect();
                items.push(Item::Slice(service_slice("a", "svc1", &svc1_refs)));
                items.push(Item::Slice(service_slice(
                    "b",
                    "svc2",
                    &[
                        ("10.0.1.1", &[(Protocol::Tcp, 8080)][..]),
                        ("203.0.113.9", &[][..]),
                    ],
                )));
                if let Some((to_host, custom)) = fx {
                    let action = [
                        EndpointToHostAction::Drop,
                        EndpointToHostAction::Accept,
                        EndpointToHostAction::Return,
                    ][to_host];
                    let (inbound, outbound) = if custom {
                        (
                            vec![
                                Failsafe {
                                    protocol: Protocol::Tcp,
                                    port: 22,
                                    net: None,
                                },
                                Failsafe {
                                    protocol: Protocol::Udp,
                                    port: 68,
                                    net: Some(net("10.0.0.0/24")),
                                },
                                Failsafe {
                                    protocol: Protocol::Tcp,
                                    port: 80,
                                    net: Some(net("fd00::/64")),
                                },
                            ],
                            vec![
                                Failsafe {
                                    protocol: Protocol::Udp,
                                    port: 53,
                                    net: None,
                                },
                                Failsafe {
                                    protocol: Protocol::Tcp,
                                    port: 443,
                                    net: Some(net("192.168.0.0/16")),
                                },
                            ],
                        )
                    } else {
                        (Vec::new(), Vec::new())
                    };
                    items.push(Item::Felix(felix(inbound, outbound, action)));
                }
                let mut sources: BTreeMap<ResourceKey, Vec<Item>> = BTreeMap::new();
                for item in items {
                    sources.entry(source_key(&item)).or_default().push(item);
                }
                let dns = DnsCache::new()
                    .with(
                        "api.example.com",
                        [
                            ip4(8, 8, 8, 8),
                            "2001:db8::1".parse().unwrap_or(ip4(0, 0, 0, 0)),
                        ],
                    )
                    .with("www.example.com", [ip4(203, 0, 113, 5)])
                    .with("a.b.example.com", [ip4(10, 0, 0, 1)]);
                GenModel { sources, dns }
            },
        )
}

fn ip4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::from([a, b, c, d])
}

/// Addresses worth testing for a model: every endpoint, network-set and rule CIDR's first and
/// last address and the addresses just outside, DNS answers, service endpoints, and a few
/// outsiders of each family.
pub fn interesting_addresses(model: &Model, dns: &DnsCache) -> Vec<IpAddr> {
    let mut nets: Vec<IpNet> = Vec::new();
    let mut out: Vec<IpAddr> = vec![
        ip4(1, 2, 3, 4),
        ip4(8, 8, 8, 8),
        "2001:db8::1".parse().unwrap_or(ip4(0, 0, 0, 0)),
        "fe80::1".parse().unwrap_or(ip4(0, 0, 0, 0)),
    ];
    for w in model.workloads() {
        nets.extend(w.ips.iter().copied());
    }
    for h in model.host_endpoints() {
        out.extend(h.expected_ips.iter().copied());
    }
    for n in model.network_sets() {
        nets.extend(n.nets.iter().copied());
    }
    let rules = model
        .policies()
        .flat_map(|p| p.ingress.iter().chain(p.egress.iter()))
        .cloned()
        .chain(
            model
                .profiles()
                .into_iter()
                .flat_map(|p| p.ingress.into_iter().chain(p.egress)),
        );
    for r in rules {
        for e in [&r.source, &r.destination] {
            nets.extend(e.nets.iter().copied());
            nets.extend(e.not_nets.iter().copied());
        }
    }
    let felix = model.felix();
    nets.extend(
        felix
            .failsafe_inbound
            .iter()
            .chain(felix.failsafe_outbound.iter())
            .filter_map(|f| f.net),
    );
    for s in model.services() {
        out.extend(s.endpoints.iter().map(|e| e.ip));
    }
    for (_, addrs) in dns.iter() {
        out.extend(addrs.iter().copied());
    }
    for n in nets {
        let n = n.trunc();
        out.push(n.network());
        out.push(n.broadcast());
        if let Some(before) = step(n.network(), false) {
            out.push(before);
        }
        if let Some(after) = step(n.broadcast(), true) {
            out.push(after);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn step(addr: IpAddr, up: bool) -> Option<IpAddr> {
    match addr {
        IpAddr::V4(a) => {
            let n = u32::from(a);
            let m = if up {
                n.checked_add(1)?
            } else {
                n.checked_sub(1)?
            };
            Some(IpAddr::from(m.to_be_bytes()))
        }
        IpAddr::V6(a) => {
            let n = u128::from(a);
            let m = if up {
                n.checked_add(1)?
            } else {
                n.checked_sub(1)?
            };
            Some(IpAddr::from(m.to_be_bytes()))
        }
    }
}

const BOUNDARY_PORTS: &[u16] = &[
    1, 9, 22, 52, 53, 54, 68, 79, 80, 81, 442, 443, 1023, 1024, 1025, 8079, 8080, 8090, 8091, 9090,
    40000, 65534, 65535,
];

/// Addresses of endpoints (workload IPs, host endpoint expected IPs, service endpoints): the
/// addresses most packets should carry.
pub fn endpoint_addresses(model: &Model) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    for w in model.workloads() {
        out.extend(w.ips.iter().map(|n| n.addr()));
    }
    for h in model.host_endpoints() {
        out.extend(h.expected_ips.iter().copied());
    }
    for s in model.services() {
        out.extend(s.endpoints.iter().map(|e| e.ip));
    }
    out.sort();
    out.dedup();
    out
}

fn address_pairs(
    endpoints: &[IpAddr],
    others: &[IpAddr],
    v4: bool,
) -> Option<BoxedStrategy<(IpAddr, IpAddr)>> {
    let fam =
        |l: &[IpAddr]| -> Vec<IpAddr> { l.iter().copied().filter(|a| a.is_ipv4() == v4).collect() };
    let (e, o) = (fam(endpoints), fam(others));
    let all: Vec<IpAddr> = e.iter().chain(o.iter()).copied().collect();
    if all.is_empty() {
        return None;
    }
    let pick = |list: Vec<IpAddr>, fallback: Vec<IpAddr>| -> BoxedStrategy<IpAddr> {
        if list.is_empty() {
            select(fallback).boxed()
        } else {
            select(list).boxed()
        }
    };
    let one = prop_oneof![
        3 => pick(e.clone(), all.clone()),
        2 => pick(all.clone(), all.clone()),
    ];
    Some((one.clone(), one).boxed())
}

/// Packets between addresses of one family — mostly `endpoints`, otherwise any of `others` —
/// biased to boundary ports, ICMP types and codes, protocols without L4 fields and fragments.
pub fn packet_strategy(endpoints: Vec<IpAddr>, others: Vec<IpAddr>) -> BoxedStrategy<PacketRepr> {
    let v4 = address_pairs(&endpoints, &others, true);
    let v6 = address_pairs(&endpoints, &others, false);
    let fallback = (Just(ip4(1, 2, 3, 4)), Just(ip4(8, 8, 8, 8))).boxed();
    let pairs = match (v4, v6) {
        (Some(a), Some(b)) => prop_oneof![3 => a, 1 => b].boxed(),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => fallback,
    };
    (
        pairs,
        0u8..12,
        select(BOUNDARY_PORTS),
        select(BOUNDARY_PORTS),
        select(&[0u8, 3, 8, 128, 129, 135, 136][..]),
        select(&[0u8, 1, 4][..]),
        proptest::bool::weighted(0.08),
    )
        .prop_map(
            |((src, dst), proto, sport, dport, icmp_type, code, fragment)| {
                let protocol = match proto {
                    0..=3 => PROTO_TCP,
                    4..=5 => PROTO_UDP,
                    6 => PROTO_SCTP,
                    7 => PROTO_UDPLITE,
                    8 | 9 => icmp_protocol_for(src),
                    10 => {
                        // The other family's ICMP: a protocol number without ICMP fields here.
                        if src.is_ipv4() {
                            PROTO_ICMPV6
                        } else {
                            PROTO_ICMP
                        }
                    }
                    _ => 47,
                };
                let l4 = if fragment {
                    L4::None
                } else if matches!(protocol, PROTO_TCP | PROTO_UDP | PROTO_SCTP | PROTO_UDPLITE) {
                    L4::Ports {
                        src: sport,
                        dst: dport,
                    }
                } else if protocol == icmp_protocol_for(src) {
                    L4::Icmp { icmp_type, code }
                } else {
                    L4::None
                };
                PacketRepr::new(src, dst, protocol, l4).unwrap_or_else(|_| {
                    PacketRepr::new(src, dst, 47, L4::None).unwrap_or_else(|_| unreachable_packet())
                })
            },
        )
        .boxed()
}

fn unreachable_packet() -> PacketRepr {
    // Both addresses come from one family list and L4::None is valid for any protocol, so the
    // fallbacks above always succeed.
    panic!("packet generator built an invalid packet")
}

/// A model with `packets` packets for it.
pub fn model_with_packets(packets: usize) -> impl Strategy<Value = (GenModel, Vec<PacketRepr>)> {
    model_strategy().prop_flat_map(move |m| {
        let model = m.model();
        let others = interesting_addresses(&model, &m.dns);
        let endpoints = endpoint_addresses(&model);
        (
            Just(m),
            proptest::collection::vec(packet_strategy(endpoints, others), packets),
        )
    })
}

/// Two models over the same names, for incremental tests: applying any mix of their sources (and
/// deletions) must give the same result as compiling the final mix at once.
pub fn model_pair() -> impl Strategy<Value = (GenModel, GenModel)> {
    (model_strategy(), model_strategy())
}

/// One step of an incremental test: put source `index` (of the union of both models' sources) as
/// model A or B has it, or delete it.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    /// Upsert the source as in the first model (deletes it if absent there).
    First(usize),
    /// Upsert the source as in the second model (deletes it if absent there).
    Second(usize),
    /// Delete the source.
    Delete(usize),
    /// Edit the source's current items slightly ([`mutate`] with the given choice).
    Mutate(usize, u8),
}

/// Random steps over `n` sources.
pub fn steps(len: usize) -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        prop_oneof![
            2 => any::<usize>().prop_map(Step::First),
            2 => any::<usize>().prop_map(Step::Second),
            1 => any::<usize>().prop_map(Step::Delete),
            3 => any::<(usize, u8)>().prop_map(|(i, c)| Step::Mutate(i, c)),
        ],
        0..len,
    )
}

/// A small edit of an item, so that incremental tests see changes that keep most of an item
/// (only rules, only one label, only addresses, …). `choice` picks the edit.
pub fn mutate(item: &Item, choice: u8) -> Item {
    let mut item = item.clone();
    match &mut item {
        Item::Policy(p) => match choice % 5 {
            0 => {
                // Rules only.
                if let Some(r) = p.ingress.first_mut().or(p.egress.first_mut()) {
                    r.action = match r.action {
                        Action::Allow => Action::Deny,
                        Action::Deny => Action::Pass,
                        Action::Pass => Action::Log,
                        Action::Log => Action::Allow,
                    };
                } else {
                    p.ingress.push(rule(Action::Deny));
                }
            }
            1 => {
                p.ingress.pop();
                p.egress
                    .push(rule(Action::Allow).dst_ports(&[(80, 80)]).tcp());
            }
            2 => p.order = Some(p.order.unwrap_or(5.0) + 7.0),
            3 => p.staged = !p.staged,
            _ => {
                let text = format!("({}) || has(zone)", p.selector);
                p.selector = sel(&text);
            }
        },
        Item::Workload(w) => match choice % 4 {
            0 => {
                let v = if w.labels.get("app").is_some_and(|a| a == "web") {
                    "db"
                } else {
                    "web"
                };
                w.labels.insert("app".to_owned(), v.to_owned());
            }
            1 => {
                w.labels.remove("tier");
                w.labels.insert("env".to_owned(), "dev".to_owned());
            }
            2 => {
                if let Some(first) = w.ips.first().copied() {
                    w.ips = vec![first, net("10.0.9.9")];
                }
            }
            _ => {
                w.ports = endpoint_ports(&[(choice as usize) % 6]);
                w.profiles.reverse();
            }
        },
        Item::Host(h) => match choice % 3 {
            0 => {
                h.labels.insert("role".to_owned(), "edge".to_owned());
            }
            1 => h.expected_ips.push(ip4(192, 168, 7, 7)),
            _ => h.profiles = vec![Arc::from("projectcalico-default-allow")],
        },
        Item::Profile(p) => match choice % 3 {
            0 => {
                p.labels_to_apply
                    .insert("team".to_owned(), "blue".to_owned());
                p.labels_to_apply.insert("zone".to_owned(), "z1".to_owned());
            }
            1 => {
                p.ingress
                    .insert(0, rule(Action::Deny).tcp().dst_ports(&[(80, 80)]));
                for (i, r) in p.ingress.iter_mut().enumerate() {
                    r.source_index = u32::try_from(i).unwrap_or(0);
                }
            }
            _ => p.egress.clear(),
        },
        Item::NetworkSet(n) => {
            n.nets.push(net("10.0.0.128/25"));
            n.labels.insert("app".to_owned(), "web".to_owned());
        }
        Item::Tier(t) => match choice % 2 {
            0 => {
                t.default_action = match t.default_action {
                    TierAction::Deny => TierAction::Pass,
                    TierAction::Pass => TierAction::Deny,
                }
            }
            _ => {
                t.order = match t.order {
                    None => Some(1.0),
                    Some(_) => None,
                }
            }
        },
        Item::Slice(s) => {
            s.endpoints.pop();
        }
        Item::Felix(f) => {
            f.failsafe_inbound.push(Failsafe {
                protocol: Protocol::Tcp,
                port: 8080,
                net: Some(net("10.0.0.0/16")),
            });
        }
        _ => {}
    }
    item
}
