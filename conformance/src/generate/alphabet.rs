//! The small alphabets the generators draw from, so that selectors often match and addresses
//! and ports often sit on rule boundaries.

/// Namespaces (always both present).
pub(crate) const NAMESPACES: [&str; 2] = ["ns1", "ns2"];
/// Nodes.
pub(crate) const NODES: [&str; 2] = ["node1", "node2"];

/// Pod labels: key and values.
pub(crate) const POD_LABELS: &[(&str, &[&str])] = &[
    ("app", &["web", "db", "api"]),
    ("tier", &["fe", "be"]),
    ("env", &["prod", "dev"]),
];
/// Namespace labels.
pub(crate) const NAMESPACE_LABELS: &[(&str, &[&str])] = &[("team", &["red", "blue"])];
/// Service-account labels.
pub(crate) const SA_LABELS: &[(&str, &[&str])] = &[("role", &["admin", "dev"])];
/// Host-endpoint labels (besides `host-endpoint: "true"`).
pub(crate) const HOST_LABELS: &[(&str, &[&str])] = &[("zone", &["z1", "z2"])];
/// Network-set labels.
pub(crate) const NETSET_LABELS: &[(&str, &[&str])] = &[("kind", &["ext", "int"])];

/// Calico policy selectors (never `global()`, which validation forbids there).
pub(crate) const POLICY_SELECTORS: &[&str] = &[
    "all()",
    "all()",
    "has(app)",
    "app == 'web'",
    "app in {'web', 'db'}",
    "tier == 'fe' && app == 'web'",
    "app == 'db' || env == 'dev'",
    "!has(env)",
    "env != 'prod'",
    "has(host-endpoint)",
    "zone == 'z1'",
    "pcns.team == 'red'",
    "pcsa.role == 'admin'",
    "projectcalico.org/namespace == 'ns1'",
];

/// Rule selectors.
pub(crate) const RULE_SELECTORS: &[&str] = &[
    "all()",
    "app == 'web'",
    "app == 'db'",
    "has(app)",
    "!has(app)",
    "kind == 'ext'",
    "tier in {'fe', 'be'} && env == 'prod'",
    "app == 'api' || kind == 'int'",
    "has(host-endpoint)",
    "zone == 'z2'",
    "pcns.team == 'blue'",
    "projectcalico.org/namespace == 'ns2'",
];

/// Namespace selectors of policies (`global()` is only valid alone in a rule).
pub(crate) const NAMESPACE_SELECTORS: &[&str] = &[
    "all()",
    "team == 'red'",
    "has(team)",
    "projectcalico.org/name == 'ns1'",
];

/// Service-account selectors.
pub(crate) const SA_SELECTORS: &[&str] = &["role == 'admin'", "has(role)", "role != 'dev'"];

/// IPv4 CIDRs of rules and network sets (pods are 10.0.<ns>.<n>, hosts 10.240.0.<n>).
pub(crate) const NETS_V4: &[&str] = &[
    "10.0.1.0/24",
    "10.0.1.0/30",
    "10.0.2.2/32",
    "10.0.0.0/16",
    "10.240.0.0/29",
    "192.0.2.0/25",
    "198.51.100.16/28",
    "203.0.113.0/24",
];
/// IPv6 CIDRs of rules and network sets (pods are fd00:<ns>::<n>, hosts fd99::<n>).
pub(crate) const NETS_V6: &[&str] = &[
    "fd00:1::/64",
    "fd00:2::2/128",
    "fd00::/16",
    "fd99::/120",
    "2001:db8::/48",
];

/// Single ports and ranges of rules.
pub(crate) const PORTS: &[(u16, u16)] = &[
    (80, 80),
    (443, 443),
    (53, 53),
    (8080, 8090),
    (1, 1024),
    (9090, 9090),
    (65535, 65535),
    (22, 22),
];

/// Named ports: (name, protocol, port). `nope` is on no endpoint.
pub(crate) const NAMED_PORTS: &[(&str, &str, u16)] = &[
    ("http", "TCP", 80),
    ("http-alt", "TCP", 8080),
    ("dns", "UDP", 53),
    ("metrics", "TCP", 9090),
    ("sctpp", "SCTP", 9999),
];
/// Port names rules use (a name no endpoint has included).
pub(crate) const PORT_NAMES: &[&str] = &["http", "http-alt", "dns", "metrics", "sctpp", "nope"];

/// ICMP types and codes rules use.
pub(crate) const ICMP_TYPES: &[u8] = &[0, 3, 8, 11, 128, 129, 135];
/// ICMP codes rules use.
pub(crate) const ICMP_CODES: &[u8] = &[0, 1, 4];

/// Domain patterns of `domains` rules, and the DNS answers generated cases carry.
pub(crate) const DOMAINS: &[&str] = &["api.example.com", "*.example.com", "nothing.test"];
/// DNS answers: name → addresses.
pub(crate) const DNS: &[(&str, &[&str])] = &[
    ("api.example.com", &["192.0.2.10", "2001:db8::10"]),
    ("www.example.com", &["198.51.100.20"]),
];

/// Addresses outside the cluster.
pub(crate) const OUTSIDE_V4: &[&str] = &["192.0.2.10", "198.51.100.20", "203.0.113.200", "8.8.8.8"];
/// IPv6 addresses outside the cluster.
pub(crate) const OUTSIDE_V6: &[&str] = &["2001:db8::10", "2001:db8:1::1", "2600::1"];

/// Ports flows use besides the boundaries of rules (failsafe ports included).
pub(crate) const FLOW_PORTS: &[u16] =
    &[22, 53, 67, 68, 80, 179, 443, 2379, 6443, 8080, 9999, 40000];
