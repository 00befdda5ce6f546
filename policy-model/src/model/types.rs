//! The normalised model: the cluster as Felix sees it after conversion (SEMANTICS §2.6–§2.8, §5).
//!
//! Every policy kind (Calico, staged, Kubernetes NetworkPolicy, admin/baseline/cluster network
//! policy) becomes a [`Policy`] in a tier with converted, namespace-scoped selectors; namespaces
//! and service accounts become [`Profile`]s; pods, WorkloadEndpoints, HostEndpoints and network sets
//! become endpoints with their own labels and ordered profile lists. Each item keeps a reference to
//! the object it came from, so any verdict can name the source object.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use palisade_selector::Selector;
use serde::{Deserialize, Serialize};

use crate::calico::{EndpointToHostAction, HttpMatch};
use crate::values::{Action, IcmpMatch, IpVersion, PortRange, Protocol, TierAction};

/// The policy kinds, as Calico names them for sorting and reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PolicyKind {
    /// `projectcalico.org/v3` NetworkPolicy.
    NetworkPolicy,
    /// `projectcalico.org/v3` GlobalNetworkPolicy.
    GlobalNetworkPolicy,
    /// `projectcalico.org/v3` StagedNetworkPolicy (never enforced).
    StagedNetworkPolicy,
    /// `projectcalico.org/v3` StagedGlobalNetworkPolicy (never enforced).
    StagedGlobalNetworkPolicy,
    /// `projectcalico.org/v3` StagedKubernetesNetworkPolicy (never enforced).
    StagedKubernetesNetworkPolicy,
    /// `networking.k8s.io/v1` NetworkPolicy.
    KubernetesNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy.
    AdminNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` BaselineAdminNetworkPolicy.
    BaselineAdminNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha2` ClusterNetworkPolicy.
    ClusterNetworkPolicy,
}

impl PolicyKind {
    /// The kind name used in reports and in the order tie-break string.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::NetworkPolicy => "NetworkPolicy",
            PolicyKind::GlobalNetworkPolicy => "GlobalNetworkPolicy",
            PolicyKind::StagedNetworkPolicy => "StagedNetworkPolicy",
            PolicyKind::StagedGlobalNetworkPolicy => "StagedGlobalNetworkPolicy",
            PolicyKind::StagedKubernetesNetworkPolicy => "StagedKubernetesNetworkPolicy",
            PolicyKind::KubernetesNetworkPolicy => "KubernetesNetworkPolicy",
            PolicyKind::AdminNetworkPolicy => "AdminNetworkPolicy",
            PolicyKind::BaselineAdminNetworkPolicy => "BaselineAdminNetworkPolicy",
            PolicyKind::ClusterNetworkPolicy => "ClusterNetworkPolicy",
        }
    }

    /// True for the staged kinds, which are never enforced.
    pub fn is_staged(self) -> bool {
        matches!(
            self,
            PolicyKind::StagedNetworkPolicy
                | PolicyKind::StagedGlobalNetworkPolicy
                | PolicyKind::StagedKubernetesNetworkPolicy
        )
    }

    /// True for kinds that live in a namespace.
    pub fn is_namespaced(self) -> bool {
        matches!(
            self,
            PolicyKind::NetworkPolicy
                | PolicyKind::StagedNetworkPolicy
                | PolicyKind::StagedKubernetesNetworkPolicy
                | PolicyKind::KubernetesNetworkPolicy
        )
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity of a policy: the *source* object's kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PolicyId {
    /// Source kind.
    pub kind: PolicyKind,
    /// Namespace, for namespaced kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Arc<str>>,
    /// Name as written in the source object.
    pub name: Arc<str>,
}

impl PolicyId {
    /// Calico's tie-break string for equal orders: `name + "/" + namespace + "/" + kind`
    /// (`felix/calc/policy_sorter.go:PolKVLess`; compared as a byte string).
    pub fn order_tie_break(&self) -> String {
        format!(
            "{}/{}/{}",
            self.name,
            self.namespace.as_deref().unwrap_or(""),
            self.kind.as_str()
        )
    }
}

impl fmt::Display for PolicyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// A tier (declared by a Tier resource, well-known, or only named by a policy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tier {
    /// Tier name.
    pub name: Arc<str>,
    /// Order (lower first; `None` sorts last).
    pub order: Option<f64>,
    /// What happens when no policy in the tier gave a verdict.
    pub default_action: TierAction,
    /// True when a Tier resource (or a well-known tier) defines it. Policies can name tiers that
    /// do not exist; such tiers sort after all declared ones and end with a drop (SEMANTICS §2.2).
    pub declared: bool,
}

/// Which directions a policy takes part in (its defaulted `types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Directions {
    /// Takes part in ingress.
    pub ingress: bool,
    /// Takes part in egress.
    pub egress: bool,
}

/// A direction of traffic relative to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Into the endpoint.
    Ingress,
    /// Out of the endpoint.
    Egress,
}

impl Direction {
    /// `"ingress"` or `"egress"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A normalised policy, as Felix receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// The source object.
    pub id: PolicyId,
    /// Tier name.
    pub tier: Arc<str>,
    /// Order within the tier (`None` = +infinity).
    pub order: Option<f64>,
    /// The converted, scoped selector of endpoints it applies to (SEMANTICS §2.6).
    pub selector: Selector,
    /// Directions it takes part in.
    pub directions: Directions,
    /// Ingress rules (converted).
    pub ingress: Vec<Rule>,
    /// Egress rules (converted).
    pub egress: Vec<Rule>,
    /// True for staged kinds: never enforced, only evaluated for "pending" verdicts.
    pub staged: bool,
    /// Untracked (raw table) policy: host endpoints only.
    pub do_not_track: bool,
    /// Pre-DNAT policy: host endpoints only, ingress only.
    pub pre_dnat: bool,
    /// Also applies to traffic forwarded through host endpoints.
    pub apply_on_forward: bool,
}

impl Policy {
    /// The rules of one direction.
    pub fn rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// True if the policy takes part in `direction`.
    pub fn applies_to(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.directions.ingress,
            Direction::Egress => self.directions.egress,
        }
    }
}

/// A normalised rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Allow, Deny, Log or Pass.
    pub action: Action,
    /// Restricts the rule to one IP family (set explicitly, or implied by `nets`/`notNets`).
    pub ip_version: Option<IpVersion>,
    /// Protocol the packet must have.
    pub protocol: Option<Protocol>,
    /// Protocol the packet must not have.
    pub not_protocol: Option<Protocol>,
    /// ICMP type/code the packet must have (packet must be ICMP of the rule's family).
    pub icmp: Option<IcmpMatch>,
    /// ICMP type/code the packet must not have (packet must still be ICMP of its family).
    pub not_icmp: Option<IcmpMatch>,
    /// Source match.
    pub source: Entity,
    /// Destination match.
    pub destination: Entity,
    /// Application-layer match (enforced only by the reference evaluator; SEMANTICS §0).
    pub http: Option<HttpMatch>,
    /// Index of the rule in the source object's rule list for this direction (what reports show).
    pub source_index: u32,
}

/// The source or destination part of a normalised rule.
///
/// Selectors are already converted (namespace scoping, `pcns.`/`pcsa.` prefixes, service
/// accounts folded in, and a `notSelector` folded into a present positive selector as
/// `(<pos>) && (!(<neg>))`, as Felix's rule scanner does).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Address must be in one of these (empty = no constraint).
    pub nets: Vec<IpNet>,
    /// Address must be in none of these.
    pub not_nets: Vec<IpNet>,
    /// Address must belong to an endpoint or network set matching this selector.
    pub selector: Option<Selector>,
    /// Address must not belong to any endpoint or network set matching this selector (only set
    /// when there is no positive selector).
    pub not_selector: Option<Selector>,
    /// Numeric port ranges (OR-ed with `named_ports`).
    pub ports: Vec<PortRange>,
    /// Named ports, resolved against endpoints matching `selector` (or all endpoints).
    pub named_ports: Vec<Arc<str>>,
    /// Numeric ports the packet must not have.
    pub not_ports: Vec<PortRange>,
    /// Named ports the packet must not have.
    pub not_named_ports: Vec<Arc<str>>,
    /// A Kubernetes Service (namespace, name): source → its endpoint IPs; destination → its
    /// endpoint IP+port pairs.
    pub service: Option<ServiceRef>,
    /// Domain names (Palisade extension; destination of egress Allow rules only).
    pub domains: Vec<Arc<str>>,
}

impl Entity {
    /// True when the entity constrains nothing.
    pub fn is_unconstrained(&self) -> bool {
        *self == Entity::default()
    }
}

/// A reference to a Kubernetes Service.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ServiceRef {
    /// Namespace.
    pub namespace: Arc<str>,
    /// Name.
    pub name: Arc<str>,
}

/// Where a profile came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProfileSource {
    /// A Calico Profile resource.
    Profile,
    /// `kns.<namespace>` from a Kubernetes Namespace.
    Namespace,
    /// `ksa.<namespace>.<serviceaccount>` from a Kubernetes ServiceAccount.
    ServiceAccount,
    /// Created because an endpoint refers to a namespace or service account that was not loaded
    /// (reported as a note).
    Implicit,
    /// A profile Calico ships (`projectcalico-default-allow`).
    BuiltIn,
}

/// A profile: labels to apply and rules evaluated after all tiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Profile name (`kns.<ns>`, `ksa.<ns>.<sa>`, or a Calico Profile's name).
    pub name: Arc<str>,
    /// Where it came from.
    pub source: ProfileSource,
    /// Labels inherited by endpoints that list the profile.
    pub labels_to_apply: BTreeMap<String, String>,
    /// Ingress rules.
    pub ingress: Vec<Rule>,
    /// Egress rules.
    pub egress: Vec<Rule>,
}

impl Profile {
    /// The rules of one direction.
    pub fn rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }
}

/// A named port on an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NamedPort {
    /// Port name.
    pub name: Arc<str>,
    /// Protocol (TCP, UDP or SCTP).
    pub protocol: Protocol,
    /// Port number.
    pub port: u16,
}

/// The identity of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum EndpointKey {
    /// A workload endpoint (a pod, or a Calico WorkloadEndpoint), by namespace and name.
    Workload {
        /// Namespace.
        namespace: Arc<str>,
        /// Pod name (for WorkloadEndpoints: `spec.pod` when set, else the WEP name).
        name: Arc<str>,
    },
    /// A host endpoint, by name.
    Host {
        /// HostEndpoint name.
        name: Arc<str>,
    },
}

impl fmt::Display for EndpointKey {
    /// `ns/name` for workloads, `hostendpoint/name` for host endpoints (the CLI's flow syntax).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointKey::Workload { namespace, name } => write!(f, "{namespace}/{name}"),
            EndpointKey::Host { name } => write!(f, "hostendpoint/{name}"),
        }
    }
}

/// A workload endpoint (from a Pod or a Calico WorkloadEndpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadEndpoint {
    /// Identity.
    pub key: EndpointKey,
    /// Namespace.
    pub namespace: Arc<str>,
    /// Node the workload runs on, when known.
    pub node: Option<Arc<str>>,
    /// Own labels, including `projectcalico.org/namespace`, `projectcalico.org/orchestrator` and
    /// `projectcalico.org/serviceaccount` as Calico adds them.
    pub labels: BTreeMap<String, String>,
    /// Profiles in evaluation order (`kns.<ns>`, `ksa.<ns>.<sa>` for pods).
    pub profiles: Vec<Arc<str>>,
    /// Addresses (host prefixes for pod IPs).
    pub ips: Vec<IpNet>,
    /// Named ports (from container ports or WEP ports).
    pub ports: Vec<NamedPort>,
    /// Service account name, if any.
    pub service_account: Option<Arc<str>>,
    /// Interface name on the host, if known.
    pub interface: Option<Arc<str>>,
}

/// A host endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostEndpoint {
    /// Identity.
    pub key: EndpointKey,
    /// Node.
    pub node: Arc<str>,
    /// Interface name (`*` for all interfaces), if given.
    pub interface: Option<Arc<str>>,
    /// Expected IPs (what selectors in other rules resolve to).
    pub expected_ips: Vec<IpAddr>,
    /// Own labels.
    pub labels: BTreeMap<String, String>,
    /// Profiles in order.
    pub profiles: Vec<Arc<str>>,
    /// Named ports.
    pub ports: Vec<NamedPort>,
}

/// A NetworkSet or GlobalNetworkSet: labelled CIDRs that rule selectors can match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkSet {
    /// Namespace (`None` for GlobalNetworkSet).
    pub namespace: Option<Arc<str>>,
    /// Name.
    pub name: Arc<str>,
    /// Own labels (namespaced sets also carry `projectcalico.org/namespace`).
    pub labels: BTreeMap<String, String>,
    /// Profiles (`kns.<ns>` for namespaced sets), for label inheritance.
    pub profiles: Vec<Arc<str>>,
    /// The CIDRs.
    pub nets: Vec<IpNet>,
}

/// One endpoint of a Kubernetes Service (from an EndpointSlice).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ServiceEndpoint {
    /// Endpoint address.
    pub ip: IpAddr,
    /// Ports served at that address: (protocol, port).
    pub ports: Vec<(Protocol, u16)>,
}

/// A Kubernetes Service as the `services` rule match sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// Identity.
    pub key: ServiceRef,
    /// Endpoints (merged from all of the service's EndpointSlices).
    pub endpoints: Vec<ServiceEndpoint>,
}

/// A failsafe port (FelixConfiguration `failsafeInboundHostPorts`/`failsafeOutboundHostPorts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Failsafe {
    /// Protocol (TCP, UDP or SCTP).
    pub protocol: Protocol,
    /// Port (destination port of the matched packet).
    pub port: u16,
    /// Optional CIDR: the source for inbound entries, the destination for outbound ones.
    pub net: Option<IpNet>,
}

/// The FelixConfiguration settings that change policy behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FelixSettings {
    /// Inbound failsafe ports (to host endpoints).
    pub failsafe_inbound: Vec<Failsafe>,
    /// Outbound failsafe ports (from host endpoints).
    pub failsafe_outbound: Vec<Failsafe>,
    /// What happens to traffic from a local workload to its host after the workload's egress
    /// policy allowed it.
    pub default_endpoint_to_host_action: EndpointToHostAction,
}

/// A direction-independent reference to where a rule list lives, used in notes and errors.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RuleOwner {
    /// A policy.
    Policy(PolicyId),
    /// A profile.
    Profile(Arc<str>),
}
