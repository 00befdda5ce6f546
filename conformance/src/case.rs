//! The typed conformance case: resources, flows and the expected decisions per flow.
//!
//! Values of these types are built only by the loader ([`crate::load`]), which checks every
//! invariant documented here, so a runner can rely on them without re-checking: an expected
//! decision always has exactly the fields its origin needs, an overall verdict always agrees
//! with the per-side decisions, and a `pending` expectation exists exactly when the case asks
//! for staged evaluation.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// One conformance case: a small cluster (`resources`) and flows with their expected decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Unique name across the corpus, `group/what` (lower-case segments separated by `/`).
    pub name: String,
    /// The topics the case covers (at least one).
    pub topics: Vec<Topic>,
    /// Where the expectation comes from (SEMANTICS section, appendix row, DECISIONS entry).
    pub semantics: String,
    /// Optional free text.
    pub description: Option<String>,
    /// Multi-document YAML of any kinds the policy-model loader reads.
    pub resources: String,
    /// Evaluation options.
    pub options: CaseOptions,
    /// The flows (at least one).
    pub flows: Vec<FlowCase>,
    /// Engines that cannot run this case, each with the reason.
    pub skip: BTreeMap<EngineName, String>,
}

impl Case {
    /// True when the case is tagged with `topic`.
    pub fn has_topic(&self, topic: Topic) -> bool {
        self.topics.contains(&topic)
    }

    /// The reason `engine` skips this case, if it does.
    pub fn skip_reason(&self, engine: EngineName) -> Option<&str> {
        self.skip.get(&engine).map(String::as_str)
    }
}

/// What a case covers. Every case lists at least one topic; the corpus tests check that each
/// topic of issue 8 has at least one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Topic {
    /// Tier order, tier default actions, declared and undeclared tiers (SEMANTICS §2.2).
    Tiers,
    /// Policy order within a tier and its tie-breaks (SEMANTICS §2.3, DECISIONS D1).
    Order,
    /// The `Pass` action (SEMANTICS §2.5).
    Pass,
    /// The `Log` action (SEMANTICS §2.5).
    Log,
    /// End-of-tier drops and default-deny policies (SEMANTICS §2.5).
    EndOfTier,
    /// Profiles, their order and label inheritance (SEMANTICS §2.7).
    Profiles,
    /// Namespaced versus global policy and rule scoping (SEMANTICS §2.6).
    Scoping,
    /// Rule `namespaceSelector`, including `global()` and `all()` (SEMANTICS §2.6).
    NamespaceSelector,
    /// `serviceAccounts` rule matches and `serviceAccountSelector` (SEMANTICS §2.9).
    ServiceAccounts,
    /// Named ports (SEMANTICS §2.9, DECISIONS D4).
    NamedPorts,
    /// `nets` / `notNets` (SEMANTICS §2.9, DECISIONS D3).
    Nets,
    /// `ports` / `notPorts`, source and destination (SEMANTICS §2.9, DECISIONS D2).
    Ports,
    /// `protocol` / `notProtocol`, by name and by number (SEMANTICS §2.9).
    Protocols,
    /// `icmp` / `notICMP` type and code (SEMANTICS §2.9, DECISIONS D2).
    Icmp,
    /// The rule `ipVersion` field and family restrictions (SEMANTICS §2.9, DECISIONS D3).
    IpVersion,
    /// IPv6 endpoints and flows.
    Ipv6,
    /// Host endpoints: host-directed traffic and its stages (SEMANTICS §3, DECISIONS D6).
    HostEndpoints,
    /// Failsafe ports (SEMANTICS §3, DECISIONS D6).
    Failsafes,
    /// `applyOnForward` and traffic forwarded through host endpoints (SEMANTICS §3, D6).
    ApplyOnForward,
    /// `preDNAT` policies (SEMANTICS §3, DECISIONS D6).
    PreDnat,
    /// `doNotTrack` (untracked) policies (SEMANTICS §3, DECISIONS D6).
    DoNotTrack,
    /// FelixConfiguration `defaultEndpointToHostAction` (SEMANTICS §3, DECISIONS D6).
    EndpointToHost,
    /// Staged policy kinds and pending verdicts (SEMANTICS §2.5, DECISIONS D8).
    Staged,
    /// Kubernetes NetworkPolicy (SEMANTICS §2.8).
    KubernetesNetworkPolicy,
    /// AdminNetworkPolicy (SEMANTICS §5).
    AdminNetworkPolicy,
    /// BaselineAdminNetworkPolicy (SEMANTICS §5).
    BaselineAdminNetworkPolicy,
    /// ClusterNetworkPolicy (SEMANTICS §5).
    ClusterNetworkPolicy,
    /// Selector semantics inside rules (SEMANTICS §1.3, §2.6, DECISIONS D4).
    Selectors,
    /// NetworkSet and GlobalNetworkSet (SEMANTICS §2.6, §2.9).
    NetworkSets,
    /// The `services` rule match (SEMANTICS §2.9, DECISIONS D5).
    Services,
    /// The `domains` extension (SEMANTICS §0).
    Domains,
    /// `http` rules (SEMANTICS §2.9, DECISIONS D9).
    Http,
    /// Non-first fragments and packets without the L4 field a rule needs (DECISIONS D2).
    Fragments,
    /// Policies taken from `shared/seeds/`, with a small cluster around them.
    Seeds,
    /// Found by the generators and shrunk (expectations are the reference evaluator's
    /// decisions until reviewed).
    Generated,
}

impl Topic {
    /// Every topic.
    pub const ALL: &'static [Topic] = &[
        Topic::Tiers,
        Topic::Order,
        Topic::Pass,
        Topic::Log,
        Topic::EndOfTier,
        Topic::Profiles,
        Topic::Scoping,
        Topic::NamespaceSelector,
        Topic::ServiceAccounts,
        Topic::NamedPorts,
        Topic::Nets,
        Topic::Ports,
        Topic::Protocols,
        Topic::Icmp,
        Topic::IpVersion,
        Topic::Ipv6,
        Topic::HostEndpoints,
        Topic::Failsafes,
        Topic::ApplyOnForward,
        Topic::PreDnat,
        Topic::DoNotTrack,
        Topic::EndpointToHost,
        Topic::Staged,
        Topic::KubernetesNetworkPolicy,
        Topic::AdminNetworkPolicy,
        Topic::BaselineAdminNetworkPolicy,
        Topic::ClusterNetworkPolicy,
        Topic::Selectors,
        Topic::NetworkSets,
        Topic::Services,
        Topic::Domains,
        Topic::Http,
        Topic::Fragments,
        Topic::Seeds,
        Topic::Generated,
    ];

    /// The name used in case files (kebab-case).
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Tiers => "tiers",
            Topic::Order => "order",
            Topic::Pass => "pass",
            Topic::Log => "log",
            Topic::EndOfTier => "end-of-tier",
            Topic::Profiles => "profiles",
            Topic::Scoping => "scoping",
            Topic::NamespaceSelector => "namespace-selector",
            Topic::ServiceAccounts => "service-accounts",
            Topic::NamedPorts => "named-ports",
            Topic::Nets => "nets",
            Topic::Ports => "ports",
            Topic::Protocols => "protocols",
            Topic::Icmp => "icmp",
            Topic::IpVersion => "ip-version",
            Topic::Ipv6 => "ipv6",
            Topic::HostEndpoints => "host-endpoints",
            Topic::Failsafes => "failsafes",
            Topic::ApplyOnForward => "apply-on-forward",
            Topic::PreDnat => "pre-dnat",
            Topic::DoNotTrack => "do-not-track",
            Topic::EndpointToHost => "endpoint-to-host",
            Topic::Staged => "staged",
            Topic::KubernetesNetworkPolicy => "kubernetes-network-policy",
            Topic::AdminNetworkPolicy => "admin-network-policy",
            Topic::BaselineAdminNetworkPolicy => "baseline-admin-network-policy",
            Topic::ClusterNetworkPolicy => "cluster-network-policy",
            Topic::Selectors => "selectors",
            Topic::NetworkSets => "network-sets",
            Topic::Services => "services",
            Topic::Domains => "domains",
            Topic::Http => "http",
            Topic::Fragments => "fragments",
            Topic::Seeds => "seeds",
            Topic::Generated => "generated",
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An engine that runs the corpus, as named in a case's `skip` map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EngineName {
    /// The reference evaluator over the model.
    Reference,
    /// The IR evaluator.
    Ir,
    /// The fast classifier.
    Fast,
    /// The eBPF dataplane (test-run).
    Ebpf,
    /// The nftables dataplane (in a network namespace).
    Nft,
}

impl EngineName {
    /// Every engine.
    pub const ALL: &'static [EngineName] = &[
        EngineName::Reference,
        EngineName::Ir,
        EngineName::Fast,
        EngineName::Ebpf,
        EngineName::Nft,
    ];

    /// The name used in case files and by `Engine::name`.
    pub fn as_str(self) -> &'static str {
        match self {
            EngineName::Reference => "reference",
            EngineName::Ir => "ir",
            EngineName::Fast => "fast",
            EngineName::Ebpf => "ebpf",
            EngineName::Nft => "nft",
        }
    }
}

impl fmt::Display for EngineName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Evaluation options of a case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseOptions {
    /// Also check the pending verdicts (staged policies treated as enforced, DECISIONS D8).
    pub staged: bool,
    /// How `http` rules are handled (DECISIONS D9).
    pub http: HttpOption,
    /// DNS answers for `domains` rules: name → addresses.
    pub dns: BTreeMap<String, Vec<IpAddr>>,
}

/// How `http` rules are handled (DECISIONS D9).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HttpOption {
    /// The default: the compiler refuses a rule with `http`; the reference evaluator evaluates
    /// `http` against the flow's method and path.
    #[default]
    Refuse,
    /// Every engine ignores the `http` part of a rule (Calico's L3/L4 dataplane behaviour).
    L4Only,
}

/// One flow of a case with its expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowCase {
    /// The flow.
    pub flow: FlowSpec,
    /// Optional note on why this flow gets its verdict.
    pub description: Option<String>,
    /// The expected decisions.
    pub expect: Expectation,
}

/// A flow as written in a case: the text form or the object form.
///
/// The text form (`SRC -> DST PROTO[/PORT] [sport N] [ipv4|ipv6] [fragment]
/// [via hostendpoint/NAME]...`) is kept verbatim: the compiler's flow parser reads it. The object
/// form is decoded here.
#[derive(Debug, Clone, PartialEq)]
pub enum FlowSpec {
    /// The text form, verbatim (one line, not empty).
    Text(String),
    /// The object form.
    Object(FlowObject),
}

/// The object form of a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowObject {
    /// Source: `ns/name`, `hostendpoint/NAME` or an IP literal.
    pub src: String,
    /// Destination: `ns/name`, `hostendpoint/NAME` or an IP literal.
    pub dst: String,
    /// IP protocol.
    pub protocol: FlowProtocol,
    /// Destination port (TCP, UDP, SCTP, UDPLite; required for them unless `fragment`).
    pub dst_port: Option<u16>,
    /// Source port (TCP, UDP, SCTP, UDPLite; 40000 when absent).
    pub src_port: Option<u16>,
    /// ICMP / ICMPv6 type (required for them unless `fragment`).
    pub icmp_type: Option<u8>,
    /// ICMP / ICMPv6 code (0 when absent).
    pub icmp_code: Option<u8>,
    /// IP family when both sides are named endpoints.
    pub ip_version: Option<IpFamily>,
    /// Host endpoints the flow is forwarded through (`hostendpoint/NAME`).
    pub via: Vec<String>,
    /// A non-first fragment: no L4 header.
    pub fragment: bool,
    /// HTTP method (for `http` rules).
    pub method: Option<String>,
    /// HTTP path (for `http` rules).
    pub path: Option<String>,
}

/// The IP protocol of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowProtocol {
    /// TCP (6).
    Tcp,
    /// UDP (17).
    Udp,
    /// SCTP (132).
    Sctp,
    /// UDPLite (136).
    UdpLite,
    /// ICMP (1).
    Icmp,
    /// ICMPv6 (58).
    IcmpV6,
    /// Any other protocol number (no L4 header is modelled).
    Number(u8),
}

impl FlowProtocol {
    /// The IP protocol number.
    pub fn number(self) -> u8 {
        match self {
            FlowProtocol::Tcp => 6,
            FlowProtocol::Udp => 17,
            FlowProtocol::Sctp => 132,
            FlowProtocol::UdpLite => 136,
            FlowProtocol::Icmp => 1,
            FlowProtocol::IcmpV6 => 58,
            FlowProtocol::Number(n) => n,
        }
    }

    /// The protocol for a number: named protocols get their name.
    pub fn from_number(n: u8) -> FlowProtocol {
        match n {
            6 => FlowProtocol::Tcp,
            17 => FlowProtocol::Udp,
            132 => FlowProtocol::Sctp,
            136 => FlowProtocol::UdpLite,
            1 => FlowProtocol::Icmp,
            58 => FlowProtocol::IcmpV6,
            n => FlowProtocol::Number(n),
        }
    }

    /// The protocol for a name (`tcp`, `udp`, `sctp`, `udplite`, `icmp`, `icmpv6`; any case).
    pub fn from_name(name: &str) -> Option<FlowProtocol> {
        match name.to_ascii_lowercase().as_str() {
            "tcp" => Some(FlowProtocol::Tcp),
            "udp" => Some(FlowProtocol::Udp),
            "sctp" => Some(FlowProtocol::Sctp),
            "udplite" => Some(FlowProtocol::UdpLite),
            "icmp" => Some(FlowProtocol::Icmp),
            "icmpv6" => Some(FlowProtocol::IcmpV6),
            _ => None,
        }
    }

    /// True for protocols with source and destination ports.
    pub fn has_ports(self) -> bool {
        matches!(
            self,
            FlowProtocol::Tcp | FlowProtocol::Udp | FlowProtocol::Sctp | FlowProtocol::UdpLite
        )
    }

    /// True for ICMP and ICMPv6.
    pub fn is_icmp(self) -> bool {
        matches!(self, FlowProtocol::Icmp | FlowProtocol::IcmpV6)
    }
}

impl fmt::Display for FlowProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowProtocol::Tcp => f.write_str("tcp"),
            FlowProtocol::Udp => f.write_str("udp"),
            FlowProtocol::Sctp => f.write_str("sctp"),
            FlowProtocol::UdpLite => f.write_str("udplite"),
            FlowProtocol::Icmp => f.write_str("icmp"),
            FlowProtocol::IcmpV6 => f.write_str("icmpv6"),
            FlowProtocol::Number(n) => write!(f, "proto/{n}"),
        }
    }
}

/// An IP family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpFamily {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

/// The overall verdict of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowVerdict {
    /// Every present decision allows.
    Allow,
    /// Some decision denies.
    Deny,
}

/// The expected decisions of one flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The enforced decisions.
    pub enforced: Outcome,
    /// The pending decisions (staged policies treated as enforced); present exactly when the
    /// case sets `options.staged`.
    pub pending: Option<Outcome>,
}

/// The overall verdict and the decision of each side of a flow (DECISIONS D6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Allow only if every present decision allows.
    pub verdict: FlowVerdict,
    /// The source side (`None`: the source is outside the cluster).
    pub egress: Option<ExpectedDecision>,
    /// The destination side (`None`: the destination is outside the cluster).
    pub ingress: Option<ExpectedDecision>,
    /// Forwarding into a node through a `via` host endpoint.
    pub forward_in: Option<ExpectedDecision>,
    /// Forwarding out of a node through a `via` host endpoint.
    pub forward_out: Option<ExpectedDecision>,
}

impl Outcome {
    /// The present decisions with their side names (`egress`, `ingress`, `forwardIn`,
    /// `forwardOut`).
    pub fn decisions(&self) -> impl Iterator<Item = (&'static str, &ExpectedDecision)> {
        [
            ("egress", self.egress.as_ref()),
            ("ingress", self.ingress.as_ref()),
            ("forwardIn", self.forward_in.as_ref()),
            ("forwardOut", self.forward_out.as_ref()),
        ]
        .into_iter()
        .filter_map(|(side, d)| d.map(|d| (side, d)))
    }
}

/// The verdict of one decision (DECISIONS D7). A flow-level decision is always allow or deny:
/// `no-verdict` exists only inside the untracked and pre-DNAT stages, which the flow's
/// decision combines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionVerdict {
    /// Accepted.
    Allow,
    /// Dropped.
    Deny,
    /// No verdict (a stage that leaves the decision to the next one).
    NoVerdict,
}

impl DecisionVerdict {
    /// `allow`, `deny` or `no-verdict`.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionVerdict::Allow => "allow",
            DecisionVerdict::Deny => "deny",
            DecisionVerdict::NoVerdict => "no-verdict",
        }
    }
}

impl fmt::Display for DecisionVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One expected decision: a verdict and what decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedDecision {
    /// The verdict.
    pub verdict: DecisionVerdict,
    /// What decided it.
    pub origin: ExpectedOrigin,
}

/// What decided (DECISIONS D7), with exactly the fields each origin has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedOrigin {
    /// A policy rule.
    Rule {
        /// The policy's tier.
        tier: String,
        /// The source object.
        policy: PolicyRef,
        /// Index in the source object's rule list for the direction.
        rule: u32,
    },
    /// The end of a tier whose default is Deny.
    EndOfTier {
        /// The tier.
        tier: String,
    },
    /// A profile rule.
    Profile {
        /// Profile name.
        profile: String,
        /// Index in the profile's rule list for the direction.
        rule: u32,
    },
    /// Fell out of all tiers and profiles.
    NoMatch,
    /// A failsafe entry.
    Failsafe {
        /// Index in the failsafe list of the direction.
        rule: u32,
    },
    /// A built-in default (DECISIONS D6).
    Default,
}

impl ExpectedOrigin {
    /// The `by` word of DECISIONS D7.
    pub fn by(&self) -> By {
        match self {
            ExpectedOrigin::Rule { .. } => By::Rule,
            ExpectedOrigin::EndOfTier { .. } => By::EndOfTier,
            ExpectedOrigin::Profile { .. } => By::Profile,
            ExpectedOrigin::NoMatch => By::NoMatch,
            ExpectedOrigin::Failsafe { .. } => By::Failsafe,
            ExpectedOrigin::Default => By::Default,
        }
    }
}

/// The source object of a policy rule decision.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyRef {
    /// Kind of the source object.
    pub kind: PolicyKindName,
    /// Namespace, exactly for namespaced kinds.
    pub namespace: Option<String>,
    /// Name as written in the source object.
    pub name: String,
}

/// The `by` word of a decision (DECISIONS D7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum By {
    /// A policy rule decided.
    Rule,
    /// A tier ended with its Deny default.
    EndOfTier,
    /// A profile rule decided.
    Profile,
    /// Nothing decided.
    NoMatch,
    /// A failsafe entry allowed.
    Failsafe,
    /// A built-in default decided.
    Default,
}

impl By {
    /// The word as written in case files.
    pub fn as_str(self) -> &'static str {
        match self {
            By::Rule => "rule",
            By::EndOfTier => "end-of-tier",
            By::Profile => "profile",
            By::NoMatch => "no-match",
            By::Failsafe => "failsafe",
            By::Default => "default",
        }
    }
}

impl fmt::Display for By {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of a policy's source object, as reports name it (DECISIONS D1, D7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PolicyKindName {
    /// `projectcalico.org/v3` NetworkPolicy.
    NetworkPolicy,
    /// `projectcalico.org/v3` GlobalNetworkPolicy.
    GlobalNetworkPolicy,
    /// `projectcalico.org/v3` StagedNetworkPolicy.
    StagedNetworkPolicy,
    /// `projectcalico.org/v3` StagedGlobalNetworkPolicy.
    StagedGlobalNetworkPolicy,
    /// `projectcalico.org/v3` StagedKubernetesNetworkPolicy.
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

impl PolicyKindName {
    /// The kind string.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKindName::NetworkPolicy => "NetworkPolicy",
            PolicyKindName::GlobalNetworkPolicy => "GlobalNetworkPolicy",
            PolicyKindName::StagedNetworkPolicy => "StagedNetworkPolicy",
            PolicyKindName::StagedGlobalNetworkPolicy => "StagedGlobalNetworkPolicy",
            PolicyKindName::StagedKubernetesNetworkPolicy => "StagedKubernetesNetworkPolicy",
            PolicyKindName::KubernetesNetworkPolicy => "KubernetesNetworkPolicy",
            PolicyKindName::AdminNetworkPolicy => "AdminNetworkPolicy",
            PolicyKindName::BaselineAdminNetworkPolicy => "BaselineAdminNetworkPolicy",
            PolicyKindName::ClusterNetworkPolicy => "ClusterNetworkPolicy",
        }
    }

    /// True for kinds that live in a namespace (their decisions carry `namespace`).
    pub fn is_namespaced(self) -> bool {
        matches!(
            self,
            PolicyKindName::NetworkPolicy
                | PolicyKindName::StagedNetworkPolicy
                | PolicyKindName::StagedKubernetesNetworkPolicy
                | PolicyKindName::KubernetesNetworkPolicy
        )
    }

    /// True for the staged kinds (never enforced).
    pub fn is_staged(self) -> bool {
        matches!(
            self,
            PolicyKindName::StagedNetworkPolicy
                | PolicyKindName::StagedGlobalNetworkPolicy
                | PolicyKindName::StagedKubernetesNetworkPolicy
        )
    }
}

impl fmt::Display for PolicyKindName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PolicyKindName {
    /// Every policy kind.
    pub const ALL: &'static [PolicyKindName] = &[
        PolicyKindName::NetworkPolicy,
        PolicyKindName::GlobalNetworkPolicy,
        PolicyKindName::StagedNetworkPolicy,
        PolicyKindName::StagedGlobalNetworkPolicy,
        PolicyKindName::StagedKubernetesNetworkPolicy,
        PolicyKindName::KubernetesNetworkPolicy,
        PolicyKindName::AdminNetworkPolicy,
        PolicyKindName::BaselineAdminNetworkPolicy,
        PolicyKindName::ClusterNetworkPolicy,
    ];

    /// The kind for its name (as [`PolicyKindName::as_str`] writes it).
    pub fn from_name(name: &str) -> Option<PolicyKindName> {
        PolicyKindName::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == name)
    }
}

impl FlowVerdict {
    /// `allow` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlowVerdict::Allow => "allow",
            FlowVerdict::Deny => "deny",
        }
    }
}

impl fmt::Display for FlowVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Writes `value` as a YAML scalar: plain when that reads back as the same string, else
/// double-quoted (JSON quoting, which YAML reads).
pub(crate) fn yaml_scalar(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-'))
        && value
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        value.to_owned()
    } else {
        serde_json::Value::String(value.to_owned()).to_string()
    }
}

impl fmt::Display for ExpectedDecision {
    /// The case-file notation of DECISIONS D7, e.g. `{verdict: deny, by: rule, tier: default,
    /// policy: p1, kind: GlobalNetworkPolicy, rule: 0}`, so that a report line can be pasted into a
    /// case file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{verdict: {}, by: {}",
            self.verdict,
            self.origin.by().as_str()
        )?;
        match &self.origin {
            ExpectedOrigin::Rule { tier, policy, rule } => {
                write!(
                    f,
                    ", tier: {}, policy: {}, kind: {}",
                    yaml_scalar(tier),
                    yaml_scalar(&policy.name),
                    policy.kind
                )?;
                if let Some(ns) = &policy.namespace {
                    write!(f, ", namespace: {}", yaml_scalar(ns))?;
                }
                write!(f, ", rule: {rule}")?;
            }
            ExpectedOrigin::EndOfTier { tier } => write!(f, ", tier: {}", yaml_scalar(tier))?,
            ExpectedOrigin::Profile { profile, rule } => write!(
                f,
                ", policy: {}, kind: Profile, rule: {rule}",
                yaml_scalar(profile)
            )?,
            ExpectedOrigin::Failsafe { rule } => write!(f, ", rule: {rule}")?,
            ExpectedOrigin::NoMatch | ExpectedOrigin::Default => {}
        }
        f.write_str("}")
    }
}

/// One of the things a flow's outcome is made of, as named in case files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutcomeField {
    /// The overall verdict.
    Verdict,
    /// The source side's decision.
    Egress,
    /// The destination side's decision.
    Ingress,
    /// The inbound `via` host endpoint's decision.
    ForwardIn,
    /// The outbound `via` host endpoint's decision.
    ForwardOut,
}

impl OutcomeField {
    /// The decision fields, in report order.
    pub const SIDES: [OutcomeField; 4] = [
        OutcomeField::Egress,
        OutcomeField::Ingress,
        OutcomeField::ForwardIn,
        OutcomeField::ForwardOut,
    ];

    /// The key used in case files (`verdict`, `egress`, `ingress`, `forwardIn`, `forwardOut`).
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeField::Verdict => "verdict",
            OutcomeField::Egress => "egress",
            OutcomeField::Ingress => "ingress",
            OutcomeField::ForwardIn => "forwardIn",
            OutcomeField::ForwardOut => "forwardOut",
        }
    }
}

impl fmt::Display for OutcomeField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Outcome {
    /// The decision of one side (`None` for [`OutcomeField::Verdict`] and for absent sides).
    pub fn side(&self, field: OutcomeField) -> Option<&ExpectedDecision> {
        match field {
            OutcomeField::Verdict => None,
            OutcomeField::Egress => self.egress.as_ref(),
            OutcomeField::Ingress => self.ingress.as_ref(),
            OutcomeField::ForwardIn => self.forward_in.as_ref(),
            OutcomeField::ForwardOut => self.forward_out.as_ref(),
        }
    }

    /// The fields in which `other` differs from `self` (verdict first, then the sides in
    /// [`OutcomeField::SIDES`] order). Two decisions agree when verdict and deciding origin are
    /// equal (DECISIONS D7).
    pub fn differences(&self, other: &Outcome) -> Vec<OutcomeField> {
        let mut out = Vec::new();
        if self.verdict != other.verdict {
            out.push(OutcomeField::Verdict);
        }
        for side in OutcomeField::SIDES {
            if self.side(side) != other.side(side) {
                out.push(side);
            }
        }
        out
    }
}

impl fmt::Display for Outcome {
    /// `verdict: deny, egress: {...}, ingress: null` (absent forward sides are left out).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "verdict: {}", self.verdict)?;
        for side in OutcomeField::SIDES {
            match self.side(side) {
                Some(d) => write!(f, ", {side}: {d}")?,
                None if matches!(side, OutcomeField::Egress | OutcomeField::Ingress) => {
                    write!(f, ", {side}: null")?
                }
                None => {}
            }
        }
        Ok(())
    }
}

impl fmt::Display for FlowSpec {
    /// The text form verbatim, or the object form as a one-line YAML flow mapping.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowSpec::Text(text) => f.write_str(text),
            FlowSpec::Object(o) => o.fmt(f),
        }
    }
}

impl fmt::Display for FlowObject {
    /// A one-line YAML flow mapping with the fields that are set, as written in case files.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{src: {}, dst: {}, protocol: ",
            yaml_scalar(&self.src),
            yaml_scalar(&self.dst)
        )?;
        match self.protocol {
            FlowProtocol::Number(n) => write!(f, "{n}")?,
            FlowProtocol::Tcp => f.write_str("TCP")?,
            FlowProtocol::Udp => f.write_str("UDP")?,
            FlowProtocol::Sctp => f.write_str("SCTP")?,
            FlowProtocol::UdpLite => f.write_str("UDPLite")?,
            FlowProtocol::Icmp => f.write_str("ICMP")?,
            FlowProtocol::IcmpV6 => f.write_str("ICMPv6")?,
        }
        if let Some(p) = self.dst_port {
            write!(f, ", dstPort: {p}")?;
        }
        if let Some(p) = self.src_port {
            write!(f, ", srcPort: {p}")?;
        }
        if let Some(t) = self.icmp_type {
            write!(f, ", icmpType: {t}")?;
        }
        if let Some(c) = self.icmp_code {
            write!(f, ", icmpCode: {c}")?;
        }
        match self.ip_version {
            Some(IpFamily::V4) => f.write_str(", ipVersion: 4")?,
            Some(IpFamily::V6) => f.write_str(", ipVersion: 6")?,
            None => {}
        }
        if !self.via.is_empty() {
            let via: Vec<String> = self.via.iter().map(|v| yaml_scalar(v)).collect();
            write!(f, ", via: [{}]", via.join(", "))?;
        }
        if self.fragment {
            f.write_str(", fragment: true")?;
        }
        if let Some(m) = &self.method {
            write!(f, ", method: {}", yaml_scalar(m))?;
        }
        if let Some(p) = &self.path {
            write!(f, ", path: {}", yaml_scalar(p))?;
        }
        f.write_str("}")
    }
}
