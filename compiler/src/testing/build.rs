//! Builders for model items, for tests and generators: rules, policies, tiers, profiles,
//! endpoints, network sets and services, and a [`ModelBuilder`] that files each item under a
//! source resource key as a converter would.
//!
//! The builders take selector and CIDR *literals*; they panic with a clear message on a bad
//! literal, which is a bug in the test that wrote it.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use palisade_policy_model::ResourceKind;
use palisade_policy_model::calico::{HttpMatch, HttpPathMatch};
use palisade_policy_model::model::{
    Directions, Entity, Failsafe, FelixSettings, HostEndpoint, Item, Model, NamedPort, NetworkSet,
    Policy, PolicyId, PolicyKind, Profile, ProfileSource, ResourceKey, Rule, ServiceEndpoint,
    ServiceRef, ServiceSlice, Tier, WorkloadEndpoint, namespace_profile, service_account_profile,
};
use palisade_policy_model::values::{
    Action, IcmpMatch, IpVersion, PortRange, Protocol, TierAction,
};
use palisade_selector::Selector;

/// Parses a selector literal.
///
/// # Panics
/// On a selector that does not parse (a bug in the caller).
pub fn sel(text: &str) -> Selector {
    Selector::parse(text).unwrap_or_else(|e| panic!("bad selector literal {text:?}: {e}"))
}

/// Parses a CIDR (or bare IP, as a host prefix) literal.
///
/// # Panics
/// On a literal that does not parse (a bug in the caller).
pub fn net(text: &str) -> IpNet {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return IpNet::from(ip);
    }
    text.parse::<IpNet>()
        .unwrap_or_else(|e| panic!("bad CIDR literal {text:?}: {e}"))
}

/// Parses an IP literal.
///
/// # Panics
/// On a literal that does not parse (a bug in the caller).
pub fn ip(text: &str) -> IpAddr {
    text.parse::<IpAddr>()
        .unwrap_or_else(|e| panic!("bad IP literal {text:?}: {e}"))
}

/// A port range.
///
/// # Panics
/// On `min == 0` or `min > max` (a bug in the caller).
pub fn ports(min: u16, max: u16) -> PortRange {
    PortRange::new(min, max).unwrap_or_else(|| panic!("bad port range {min}:{max}"))
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A rule with `action` and no criteria.
pub fn rule(action: Action) -> Rule {
    Rule {
        action,
        ip_version: None,
        protocol: None,
        not_protocol: None,
        icmp: None,
        not_icmp: None,
        source: Entity::default(),
        destination: Entity::default(),
        http: None,
        source_index: 0,
    }
}

/// `Allow` with no criteria.
pub fn allow() -> Rule {
    rule(Action::Allow)
}

/// `Deny` with no criteria.
pub fn deny() -> Rule {
    rule(Action::Deny)
}

/// `Pass` with no criteria.
pub fn pass() -> Rule {
    rule(Action::Pass)
}

/// `Log` with no criteria.
pub fn log() -> Rule {
    rule(Action::Log)
}

/// Fluent setters on [`Rule`].
pub trait RuleExt: Sized {
    /// Sets the protocol.
    fn protocol(self, p: Protocol) -> Self;
    /// Protocol TCP.
    fn tcp(self) -> Self {
        self.protocol(Protocol::Tcp)
    }
    /// Protocol UDP.
    fn udp(self) -> Self {
        self.protocol(Protocol::Udp)
    }
    /// Sets `notProtocol`.
    fn not_protocol(self, p: Protocol) -> Self;
    /// Sets `ipVersion`.
    fn ip_version(self, v: IpVersion) -> Self;
    /// Sets `icmp`.
    fn icmp(self, icmp_type: Option<u8>, code: Option<u8>) -> Self;
    /// Sets `notICMP`.
    fn not_icmp(self, icmp_type: Option<u8>, code: Option<u8>) -> Self;
    /// Edits the source entity.
    fn src(self, f: impl FnOnce(&mut Entity)) -> Self;
    /// Edits the destination entity.
    fn dst(self, f: impl FnOnce(&mut Entity)) -> Self;
    /// Source nets.
    fn src_nets(self, nets: &[&str]) -> Self {
        self.src(|e| e.nets = nets.iter().map(|n| net(n)).collect())
    }
    /// Destination nets.
    fn dst_nets(self, nets: &[&str]) -> Self {
        self.dst(|e| e.nets = nets.iter().map(|n| net(n)).collect())
    }
    /// Source selector.
    fn src_selector(self, s: &str) -> Self {
        self.src(|e| e.selector = Some(sel(s)))
    }
    /// Destination selector.
    fn dst_selector(self, s: &str) -> Self {
        self.dst(|e| e.selector = Some(sel(s)))
    }
    /// Destination port ranges `(min, max)`.
    fn dst_ports(self, ranges: &[(u16, u16)]) -> Self {
        self.dst(|e| e.ports = ranges.iter().map(|(a, b)| ports(*a, *b)).collect())
    }
    /// Destination named ports.
    fn dst_named_ports(self, names: &[&str]) -> Self {
        self.dst(|e| e.named_ports = names.iter().map(|n| Arc::from(*n)).collect())
    }
    /// HTTP methods and paths (`(exact, prefix)` pairs).
    fn http(self, methods: &[&str], paths: &[(Option<&str>, Option<&str>)]) -> Self;
    /// Sets the index in the source object's rule list.
    fn index(self, i: u32) -> Self;
}

impl RuleExt for Rule {
    fn protocol(mut self, p: Protocol) -> Rule {
        self.protocol = Some(p);
        self
    }
    fn not_protocol(mut self, p: Protocol) -> Rule {
        self.not_protocol = Some(p);
        self
    }
    fn ip_version(mut self, v: IpVersion) -> Rule {
        self.ip_version = Some(v);
        self
    }
    fn icmp(mut self, icmp_type: Option<u8>, code: Option<u8>) -> Rule {
        self.icmp = Some(IcmpMatch { icmp_type, code });
        self
    }
    fn not_icmp(mut self, icmp_type: Option<u8>, code: Option<u8>) -> Rule {
        self.not_icmp = Some(IcmpMatch { icmp_type, code });
        self
    }
    fn src(mut self, f: impl FnOnce(&mut Entity)) -> Rule {
        f(&mut self.source);
        self
    }
    fn dst(mut self, f: impl FnOnce(&mut Entity)) -> Rule {
        f(&mut self.destination);
        self
    }
    fn http(mut self, methods: &[&str], paths: &[(Option<&str>, Option<&str>)]) -> Rule {
        self.http = Some(HttpMatch {
            methods: methods.iter().map(|m| (*m).to_owned()).collect(),
            paths: paths
                .iter()
                .map(|(e, p)| HttpPathMatch {
                    exact: e.map(str::to_owned),
                    prefix: p.map(str::to_owned),
                })
                .collect(),
        });
        self
    }
    fn index(mut self, i: u32) -> Rule {
        self.source_index = i;
        self
    }
}

/// Numbers rules by position (their `source_index`).
fn numbered(rules: Vec<Rule>) -> Vec<Rule> {
    rules
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.index(u32::try_from(i).unwrap_or(u32::MAX)))
        .collect()
}

/// A policy with no directions and no rules; add them with [`PolicyExt`].
pub fn policy(
    kind: PolicyKind,
    namespace: Option<&str>,
    name: &str,
    tier: &str,
    order: Option<f64>,
    selector: &str,
) -> Policy {
    Policy {
        id: PolicyId {
            kind,
            namespace: namespace.map(Arc::from),
            name: Arc::from(name),
        },
        tier: Arc::from(tier),
        order,
        selector: sel(selector),
        directions: Directions::default(),
        ingress: Vec::new(),
        egress: Vec::new(),
        staged: kind.is_staged(),
        do_not_track: false,
        pre_dnat: false,
        apply_on_forward: false,
    }
}

/// A GlobalNetworkPolicy.
pub fn gnp(name: &str, tier: &str, order: Option<f64>, selector: &str) -> Policy {
    policy(
        PolicyKind::GlobalNetworkPolicy,
        None,
        name,
        tier,
        order,
        selector,
    )
}

/// A Calico NetworkPolicy; the selector is scoped to the namespace as the converter does
/// (`(<selector>) && projectcalico.org/namespace == '<ns>'`).
pub fn np(namespace: &str, name: &str, tier: &str, order: Option<f64>, selector: &str) -> Policy {
    let scoped = if selector.trim().is_empty() {
        format!("projectcalico.org/namespace == '{namespace}'")
    } else {
        format!("({selector}) && projectcalico.org/namespace == '{namespace}'")
    };
    policy(
        PolicyKind::NetworkPolicy,
        Some(namespace),
        name,
        tier,
        order,
        &scoped,
    )
}

/// Fluent setters on [`Policy`].
pub trait PolicyExt: Sized {
    /// Takes part in ingress with these rules (numbered by position).
    fn ingress(self, rules: Vec<Rule>) -> Self;
    /// Takes part in egress with these rules (numbered by position).
    fn egress(self, rules: Vec<Rule>) -> Self;
    /// Marks the policy staged (never enforced).
    fn staged(self) -> Self;
    /// Sets doNotTrack / preDNAT / applyOnForward.
    fn host_flags(self, do_not_track: bool, pre_dnat: bool, apply_on_forward: bool) -> Self;
}

impl PolicyExt for Policy {
    fn ingress(mut self, rules: Vec<Rule>) -> Policy {
        self.directions.ingress = true;
        self.ingress = numbered(rules);
        self
    }
    fn egress(mut self, rules: Vec<Rule>) -> Policy {
        self.directions.egress = true;
        self.egress = numbered(rules);
        self
    }
    fn staged(mut self) -> Policy {
        self.staged = true;
        self
    }
    fn host_flags(mut self, do_not_track: bool, pre_dnat: bool, apply_on_forward: bool) -> Policy {
        self.do_not_track = do_not_track;
        self.pre_dnat = pre_dnat;
        self.apply_on_forward = apply_on_forward;
        self
    }
}

/// A declared tier.
pub fn tier(name: &str, order: Option<f64>, default_action: TierAction) -> Tier {
    Tier {
        name: Arc::from(name),
        order,
        default_action,
        declared: true,
    }
}

/// A Calico profile with labels to apply and rules (numbered by position).
pub fn profile(
    name: &str,
    labels_to_apply: &[(&str, &str)],
    ingress: Vec<Rule>,
    egress: Vec<Rule>,
) -> Profile {
    Profile {
        name: Arc::from(name),
        source: ProfileSource::Profile,
        labels_to_apply: labels(labels_to_apply),
        ingress: numbered(ingress),
        egress: numbered(egress),
    }
}

/// The `kns.<ns>` profile of a namespace with labels (allow-all rules).
pub fn namespace(name: &str, ns_labels: &[(&str, &str)]) -> Profile {
    namespace_profile(name, &labels(ns_labels), ProfileSource::Namespace)
}

/// The `ksa.<ns>.<sa>` profile of a service account with labels (no rules).
pub fn service_account(ns: &str, name: &str, sa_labels: &[(&str, &str)]) -> Profile {
    service_account_profile(ns, name, &labels(sa_labels), ProfileSource::ServiceAccount)
}

/// A pod as the converter makes it: own labels plus `projectcalico.org/namespace`,
/// `projectcalico.org/orchestrator=k8s` and `projectcalico.org/serviceaccount=default`;
/// profiles `kns.<ns>`, `ksa.<ns>.default`.
pub fn pod(ns: &str, name: &str, own: &[(&str, &str)], ips: &[&str]) -> WorkloadEndpoint {
    pod_with_sa(ns, name, "default", own, ips)
}

/// [`pod`] with a service account.
pub fn pod_with_sa(
    ns: &str,
    name: &str,
    sa: &str,
    own: &[(&str, &str)],
    ips: &[&str],
) -> WorkloadEndpoint {
    let mut l = labels(own);
    l.insert("projectcalico.org/namespace".to_owned(), ns.to_owned());
    l.insert(
        "projectcalico.org/orchestrator".to_owned(),
        "k8s".to_owned(),
    );
    l.insert("projectcalico.org/serviceaccount".to_owned(), sa.to_owned());
    WorkloadEndpoint {
        key: palisade_policy_model::model::EndpointKey::Workload {
            namespace: Arc::from(ns),
            name: Arc::from(name),
        },
        namespace: Arc::from(ns),
        node: None,
        labels: l,
        profiles: vec![
            Arc::from(format!("kns.{ns}")),
            Arc::from(format!("ksa.{ns}.{sa}")),
        ],
        ips: ips.iter().map(|i| net(i)).collect(),
        ports: Vec::new(),
        service_account: Some(Arc::from(sa)),
        interface: None,
    }
}

/// A named port.
pub fn named_port(name: &str, protocol: Protocol, port: u16) -> NamedPort {
    NamedPort {
        name: Arc::from(name),
        protocol,
        port,
    }
}

/// A host endpoint.
pub fn host_endpoint(name: &str, node: &str, own: &[(&str, &str)], ips: &[&str]) -> HostEndpoint {
    HostEndpoint {
        key: palisade_policy_model::model::EndpointKey::Host {
            name: Arc::from(name),
        },
        node: Arc::from(node),
        interface: Some(Arc::from("eth0")),
        expected_ips: ips.iter().map(|i| ip(i)).collect(),
        labels: labels(own),
        profiles: Vec::new(),
        ports: Vec::new(),
    }
}

/// A network set (`namespace: None` for a GlobalNetworkSet). Namespaced sets get the namespace
/// label and the `kns.<ns>` profile, as the converter gives them.
pub fn network_set(
    namespace: Option<&str>,
    name: &str,
    own: &[(&str, &str)],
    nets: &[&str],
) -> NetworkSet {
    let mut l = labels(own);
    let mut profiles = Vec::new();
    if let Some(ns) = namespace {
        l.insert("projectcalico.org/namespace".to_owned(), ns.to_owned());
        profiles.push(Arc::from(format!("kns.{ns}")));
    }
    NetworkSet {
        namespace: namespace.map(Arc::from),
        name: Arc::from(name),
        labels: l,
        profiles,
        nets: nets.iter().map(|n| net(n)).collect(),
    }
}

/// An EndpointSlice of a service: `(ip, [(protocol, port)])` endpoints.
pub fn service_slice(
    ns: &str,
    service: &str,
    endpoints: &[(&str, &[(Protocol, u16)])],
) -> ServiceSlice {
    ServiceSlice {
        service: ServiceRef {
            namespace: Arc::from(ns),
            name: Arc::from(service),
        },
        slice: Arc::from(format!("{service}-slice")),
        endpoints: endpoints
            .iter()
            .map(|(i, p)| ServiceEndpoint {
                ip: ip(i),
                ports: p.to_vec(),
            })
            .collect(),
    }
}

/// Felix settings with these failsafe lists and endpoint-to-host action.
pub fn felix(
    inbound: Vec<Failsafe>,
    outbound: Vec<Failsafe>,
    to_host: palisade_policy_model::calico::EndpointToHostAction,
) -> FelixSettings {
    FelixSettings {
        failsafe_inbound: inbound,
        failsafe_outbound: outbound,
        default_endpoint_to_host_action: to_host,
    }
}

/// The resource key a converter would file `item` under.
pub fn source_key(item: &Item) -> ResourceKey {
    let (kind, namespace, name): (ResourceKind, Option<Arc<str>>, Arc<str>) = match item {
        Item::Tier(t) => (ResourceKind::Tier, None, t.name.clone()),
        Item::Policy(p) => {
            let kind = match p.id.kind {
                PolicyKind::NetworkPolicy => ResourceKind::NetworkPolicy,
                PolicyKind::GlobalNetworkPolicy => ResourceKind::GlobalNetworkPolicy,
                PolicyKind::StagedNetworkPolicy => ResourceKind::StagedNetworkPolicy,
                PolicyKind::StagedGlobalNetworkPolicy => ResourceKind::StagedGlobalNetworkPolicy,
                PolicyKind::StagedKubernetesNetworkPolicy => {
                    ResourceKind::StagedKubernetesNetworkPolicy
                }
                PolicyKind::KubernetesNetworkPolicy => ResourceKind::KubernetesNetworkPolicy,
                PolicyKind::AdminNetworkPolicy => ResourceKind::AdminNetworkPolicy,
                PolicyKind::BaselineAdminNetworkPolicy => ResourceKind::BaselineAdminNetworkPolicy,
                _ => ResourceKind::ClusterNetworkPolicy,
            };
            (kind, p.id.namespace.clone(), p.id.name.clone())
        }
        Item::Profile(p) => match p.source {
            ProfileSource::Namespace => (
                ResourceKind::Namespace,
                None,
                Arc::from(p.name.strip_prefix("kns.").unwrap_or(&p.name)),
            ),
            ProfileSource::ServiceAccount => {
                let rest = p.name.strip_prefix("ksa.").unwrap_or(&p.name);
                let (ns, sa) = rest.split_once('.').unwrap_or(("default", rest));
                (
                    ResourceKind::ServiceAccount,
                    Some(Arc::from(ns)),
                    Arc::from(sa),
                )
            }
            _ => (ResourceKind::Profile, None, p.name.clone()),
        },
        Item::Workload(w) => match &w.key {
            palisade_policy_model::model::EndpointKey::Workload { namespace, name } => {
                (ResourceKind::Pod, Some(namespace.clone()), name.clone())
            }
            palisade_policy_model::model::EndpointKey::Host { name } => {
                (ResourceKind::Pod, None, name.clone())
            }
        },
        Item::Host(h) => (
            ResourceKind::HostEndpoint,
            None,
            Arc::from(h.key.to_string().trim_start_matches("hostendpoint/")),
        ),
        Item::NetworkSet(n) => match &n.namespace {
            Some(ns) => (ResourceKind::NetworkSet, Some(ns.clone()), n.name.clone()),
            None => (ResourceKind::GlobalNetworkSet, None, n.name.clone()),
        },
        Item::Service(s) => (
            ResourceKind::Service,
            Some(s.key.namespace.clone()),
            s.key.name.clone(),
        ),
        Item::Slice(s) => (
            ResourceKind::EndpointSlice,
            Some(s.service.namespace.clone()),
            s.slice.clone(),
        ),
        _ => (ResourceKind::FelixConfiguration, None, Arc::from("default")),
    };
    ResourceKey {
        kind,
        namespace,
        name,
    }
}

/// Collects items and builds a [`Model`] from them, each under its own source key.
#[derive(Clone, Debug, Default)]
pub struct ModelBuilder {
    items: Vec<Item>,
}

impl ModelBuilder {
    /// An empty builder.
    pub fn new() -> ModelBuilder {
        ModelBuilder::default()
    }

    /// Adds an item.
    pub fn item(mut self, item: Item) -> ModelBuilder {
        self.items.push(item);
        self
    }

    /// Adds a tier.
    pub fn tier(self, t: Tier) -> ModelBuilder {
        self.item(Item::Tier(t))
    }

    /// Adds a policy.
    pub fn policy(self, p: Policy) -> ModelBuilder {
        self.item(Item::Policy(p))
    }

    /// Adds a profile.
    pub fn profile(self, p: Profile) -> ModelBuilder {
        self.item(Item::Profile(p))
    }

    /// Adds a workload endpoint.
    pub fn workload(self, w: WorkloadEndpoint) -> ModelBuilder {
        self.item(Item::Workload(w))
    }

    /// Adds a host endpoint.
    pub fn host(self, h: HostEndpoint) -> ModelBuilder {
        self.item(Item::Host(h))
    }

    /// Adds a network set.
    pub fn network_set(self, n: NetworkSet) -> ModelBuilder {
        self.item(Item::NetworkSet(n))
    }

    /// Sets the Felix settings.
    pub fn felix(self, f: FelixSettings) -> ModelBuilder {
        self.item(Item::Felix(f))
    }

    /// The items, grouped by source key.
    pub fn sources(&self) -> BTreeMap<ResourceKey, Vec<Item>> {
        let mut out: BTreeMap<ResourceKey, Vec<Item>> = BTreeMap::new();
        for item in &self.items {
            out.entry(source_key(item)).or_default().push(item.clone());
        }
        out
    }

    /// The model.
    pub fn build(&self) -> Model {
        let mut model = Model::new();
        for (key, items) in self.sources() {
            model.insert_items(key, items);
        }
        model
    }
}
