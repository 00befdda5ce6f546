//! The scale scenario (issue 4 targets): 10,000 pods in 100 namespaces, 2,000 policies (1,000
//! Kubernetes NetworkPolicy, 800 Calico NetworkPolicy, 200 GlobalNetworkPolicy across 5 tiers),
//! selectors over about 20 label keys. Deterministic for a seed.
//!
//! Pods come in deployments (10 per namespace by default) whose pods share most labels and differ
//! in version, zone and release, as real clusters do. Policies are generated as the converter
//! would produce them (namespace-scoped selectors, `pcns.` namespace labels, named ports).

use std::sync::Arc;

use palisade_policy_model::model::{
    Item, Model, Policy, PolicyKind, ResourceKey, Rule, WorkloadEndpoint,
};
use palisade_policy_model::values::{Action, Protocol, TierAction};

use super::build::{
    PolicyExt, RuleExt, gnp, named_port, namespace, np, pod_with_sa, policy, rule, service_account,
    source_key, tier,
};

/// Sizes of the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleConfig {
    /// Pods.
    pub pods: usize,
    /// Namespaces.
    pub namespaces: usize,
    /// Deployments per namespace.
    pub apps_per_namespace: usize,
    /// Kubernetes NetworkPolicies.
    pub knps: usize,
    /// Calico NetworkPolicies.
    pub nps: usize,
    /// GlobalNetworkPolicies.
    pub gnps: usize,
    /// Tiers besides `default` (GNPs are spread over them).
    pub tiers: usize,
    /// Random seed.
    pub seed: u64,
}

impl Default for ScaleConfig {
    /// The scenario.
    fn default() -> ScaleConfig {
        ScaleConfig {
            pods: 10_000,
            namespaces: 100,
            apps_per_namespace: 10,
            knps: 1_000,
            nps: 800,
            gnps: 200,
            tiers: 5,
            seed: 0x5eed,
        }
    }
}

impl ScaleConfig {
    /// The scenario scaled down by `factor` (pods, namespaces and policies divided), for smoke
    /// runs.
    pub fn scaled_down(factor: usize) -> ScaleConfig {
        let d = ScaleConfig::default();
        let f = factor.max(1);
        ScaleConfig {
            pods: (d.pods / f).max(1),
            namespaces: (d.namespaces / f).max(1),
            knps: d.knps / f,
            nps: d.nps / f,
            gnps: d.gnps / f,
            ..d
        }
    }
}

/// SplitMix64: a tiny deterministic generator.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const TIERS: [&str; 5] = [
    "security",
    "platform",
    "compliance",
    "app-team",
    "observability",
];
const TIER_LABELS: [&str; 3] = ["fe", "be", "db"];
const ENVS: [&str; 3] = ["prod", "staging", "dev"];
const VERSIONS: [&str; 3] = ["v1", "v2", "v3"];
const ZONES: [&str; 3] = ["z1", "z2", "z3"];
const REGIONS: [&str; 2] = ["eu", "us"];
const RELEASES: [&str; 2] = ["stable", "canary"];
const LANGS: [&str; 4] = ["go", "java", "rust", "python"];
const TEAMS: usize = 10;

/// The generated scenario.
#[derive(Clone, Debug)]
pub struct Scale {
    /// The sizes.
    pub config: ScaleConfig,
    /// Items by source.
    pub sources: Vec<(ResourceKey, Vec<Item>)>,
    /// The pods, in order.
    pub pods: Vec<WorkloadEndpoint>,
    /// The policies, in order.
    pub policies: Vec<Policy>,
}

fn ns_name(i: usize) -> String {
    format!("ns-{i}")
}

fn app_name(i: usize) -> String {
    format!("app-{i}")
}

impl Scale {
    /// Generates the scenario.
    pub fn generate(config: ScaleConfig) -> Scale {
        let mut rng = Rng(config.seed);
        let mut items: Vec<Item> = Vec::new();
        let namespaces = config.namespaces.max(1);
        let apps = config.apps_per_namespace.max(1);
        for (t, name) in TIERS.iter().enumerate().take(config.tiers) {
            let action = if t.is_multiple_of(2) {
                TierAction::Pass
            } else {
                TierAction::Deny
            };
            items.push(Item::Tier(tier(name, Some(100.0 * (t + 1) as f64), action)));
        }
        for n in 0..namespaces {
            let ns = ns_name(n);
            let team = format!("team-{}", n % TEAMS);
            items.push(Item::Profile(namespace(
                &ns,
                &[
                    ("team", &team),
                    ("env", ENVS[n % ENVS.len()]),
                    ("tenant", &format!("tenant-{}", n % 25)),
                ],
            )));
            items.push(Item::Profile(service_account(&ns, "default", &[])));
            items.push(Item::Profile(service_account(
                &ns,
                "deployer",
                &[("role", "ci")],
            )));
        }
        let mut pods = Vec::with_capacity(config.pods);
        for i in 0..config.pods {
            let n = i % namespaces;
            let a = (i / namespaces) % apps;
            let pod = Scale::make_pod(&mut rng, i, n, a);
            items.push(Item::Workload(pod.clone()));
            pods.push(pod);
        }
        let mut policies = Vec::with_capacity(config.knps + config.nps + config.gnps);
        for i in 0..config.knps {
            policies.push(Scale::make_knp(&mut rng, i, namespaces, apps));
        }
        for i in 0..config.nps {
            policies.push(Scale::make_np(&mut rng, i, namespaces, apps, config.tiers));
        }
        for i in 0..config.gnps {
            policies.push(Scale::make_gnp(&mut rng, i, config.tiers));
        }
        items.extend(policies.iter().cloned().map(Item::Policy));
        let mut sources: std::collections::BTreeMap<ResourceKey, Vec<Item>> = Default::default();
        for item in items {
            sources.entry(source_key(&item)).or_default().push(item);
        }
        Scale {
            config,
            sources: sources.into_iter().collect(),
            pods,
            policies,
        }
    }

    fn make_pod(rng: &mut Rng, i: usize, n: usize, a: usize) -> WorkloadEndpoint {
        let ns = ns_name(n);
        let app = app_name(a);
        let team = format!("team-{}", (n + a) % TEAMS);
        let component = format!("c{}", a % 4);
        let owner = format!("owner-{}", a % 7);
        let cost = format!("cc-{}", n % 5);
        let mut labels: Vec<(&str, &str)> = vec![
            ("app", &app),
            ("tier", TIER_LABELS[a % 3]),
            ("env", ENVS[n % 3]),
            ("version", *rng.pick(&VERSIONS)),
            ("team", &team),
            ("component", &component),
            ("release", *rng.pick(&RELEASES)),
            ("zone", *rng.pick(&ZONES)),
            ("region", REGIONS[n % 2]),
            ("owner", &owner),
            ("cost-center", &cost),
            ("lang", LANGS[a % 4]),
        ];
        if a.is_multiple_of(5) {
            labels.push(("pci", "true"));
        }
        if a.is_multiple_of(3) {
            labels.push(("monitoring", "enabled"));
        }
        if a % 4 == 1 {
            labels.push(("backup", "daily"));
        }
        if a % 6 == 2 {
            labels.push(("cache", "redis"));
        }
        if a % 7 == 3 {
            labels.push(("queue", "kafka"));
        }
        if a.is_multiple_of(2) {
            labels.push(("framework", "spring"));
        }
        let sa = if a.is_multiple_of(4) {
            "deployer"
        } else {
            "default"
        };
        let ip = format!("10.{}.{}.{}", i / 65_536 % 256, i / 256 % 256, i % 256);
        let ip6 = format!("fd00::{:x}", i + 1);
        let ips: Vec<&str> = if i.is_multiple_of(10) {
            vec![&ip, &ip6]
        } else {
            vec![&ip]
        };
        let mut pod = pod_with_sa(&ns, &format!("{app}-{i}"), sa, &labels, &ips);
        pod.node = Some(Arc::from(format!("node-{}", i % 200)));
        pod.ports = vec![
            named_port("http", Protocol::Tcp, 8080),
            named_port("metrics", Protocol::Tcp, 9090),
        ];
        if a % 3 == 1 {
            pod.ports.push(named_port("grpc", Protocol::Tcp, 50051));
        }
        pod
    }

    fn k8s_pod_selector(app: &str) -> String {
        format!("projectcalico.org/orchestrator == 'k8s' && app == '{app}'")
    }

    fn make_knp(rng: &mut Rng, i: usize, namespaces: usize, apps: usize) -> Policy {
        let n = i % namespaces;
        let ns = ns_name(n);
        let target = app_name(rng.below(apps));
        let sel = format!(
            "({}) && projectcalico.org/namespace == '{ns}'",
            Scale::k8s_pod_selector(&target)
        );
        let mut p = policy(
            PolicyKind::KubernetesNetworkPolicy,
            Some(&ns),
            &format!("knp-{i}"),
            "default",
            Some(1000.0),
            &sel,
        );
        let peer_app = app_name(rng.below(apps));
        let same_ns_peer = format!(
            "(projectcalico.org/namespace == '{ns}') && ({})",
            Scale::k8s_pod_selector(&peer_app)
        );
        let other_team = format!("pcns.team == 'team-{}'", rng.below(TEAMS));
        let mut ingress = vec![
            rule(Action::Allow)
                .tcp()
                .src_selector(&same_ns_peer)
                .dst_ports(&[(8080, 8080)]),
            rule(Action::Allow)
                .tcp()
                .src_selector(&format!(
                    "({other_team}) && (projectcalico.org/orchestrator == 'k8s')"
                ))
                .dst_named_ports(&["metrics"]),
        ];
        if rng.chance(30) {
            ingress.push(
                rule(Action::Allow)
                    .src_nets(&["192.168.0.0/16"])
                    .src(|e| e.not_nets = vec![super::build::net("192.168.10.0/24")]),
            );
        }
        p = p.ingress(ingress);
        if rng.chance(40) {
            p = p.egress(vec![
                rule(Action::Allow)
                    .udp()
                    .dst_ports(&[(53, 53)])
                    .dst_selector("(pcns.kubernetes.io/metadata.name == 'ns-0') && (projectcalico.org/orchestrator == 'k8s')"),
                rule(Action::Allow).dst_selector(&same_ns_peer),
            ]);
        }
        p
    }

    fn make_np(rng: &mut Rng, i: usize, namespaces: usize, apps: usize, tiers: usize) -> Policy {
        let n = (i * 7) % namespaces;
        let ns = ns_name(n);
        let tier_name = if tiers == 0 || rng.chance(50) {
            "default"
        } else {
            TIERS[rng.below(tiers.min(TIERS.len()))]
        };
        let selector = match rng.below(4) {
            0 => format!("app == '{}'", app_name(rng.below(apps))),
            1 => format!("tier == '{}'", rng.pick(&TIER_LABELS)),
            2 => format!("app == '{}' && version != 'v1'", app_name(rng.below(apps))),
            _ => "has(monitoring)".to_owned(),
        };
        let mut p = np(
            &ns,
            &format!("np-{i}"),
            tier_name,
            Some(rng.below(10) as f64 * 10.0),
            &selector,
        );
        let peer = format!(
            "(projectcalico.org/namespace == '{ns}') && (tier == '{}')",
            rng.pick(&TIER_LABELS)
        );
        let action = *rng.pick(&[Action::Allow, Action::Allow, Action::Deny, Action::Pass]);
        p = p.ingress(vec![
            rule(Action::Log).tcp().dst_ports(&[(22, 22)]),
            rule(action)
                .tcp()
                .src_selector(&peer)
                .dst_ports(&[(8000, 8999), (9090, 9090)]),
            rule(Action::Deny).src_nets(&["0.0.0.0/0"]).src(|e| {
                e.not_nets = vec![super::build::net("10.0.0.0/8")];
            }),
        ]);
        if rng.chance(50) {
            p = p.egress(vec![
                rule(Action::Allow).tcp().dst_named_ports(&["http"]),
                rule(Action::Deny).dst_nets(&["169.254.169.254/32"]),
            ]);
        }
        p
    }

    fn make_gnp(rng: &mut Rng, i: usize, tiers: usize) -> Policy {
        let tier_name = if tiers == 0 {
            "default"
        } else {
            TIERS[i % tiers.min(TIERS.len())]
        };
        let selector = match rng.below(6) {
            0 => "env == 'prod'".to_owned(),
            1 => "pci == 'true'".to_owned(),
            2 => "has(monitoring)".to_owned(),
            3 => format!(
                "team in {{'team-{}', 'team-{}'}}",
                rng.below(TEAMS),
                rng.below(TEAMS)
            ),
            4 => format!("pcns.tenant == 'tenant-{}'", rng.below(25)),
            _ => format!("lang == '{}' && region == 'eu'", rng.pick(&LANGS)),
        };
        let mut p = gnp(
            &format!("gnp-{i}"),
            tier_name,
            Some(rng.below(20) as f64),
            &selector,
        );
        let rules_in: Vec<Rule> = vec![
            rule(Action::Deny)
                .src_selector(&format!("pcns.tenant == 'tenant-{}'", rng.below(25)))
                .tcp()
                .dst_ports(&[(5432, 5432)]),
            rule(Action::Allow)
                .src_selector("has(monitoring)")
                .tcp()
                .dst_named_ports(&["metrics"]),
            rule(*rng.pick(&[Action::Pass, Action::Log, Action::Allow])).src_nets(&["10.0.0.0/8"]),
        ];
        let rules_out: Vec<Rule> = vec![
            rule(Action::Deny).dst_nets(&["203.0.113.0/24", "198.51.100.0/24"]),
            rule(Action::Pass),
        ];
        p = p.ingress(rules_in);
        if rng.chance(60) {
            p = p.egress(rules_out);
        }
        p
    }

    /// The model.
    pub fn model(&self) -> Model {
        let mut model = Model::new();
        for (key, items) in &self.sources {
            model.insert_items(key.clone(), items.clone());
        }
        model
    }

    /// Pod `i` with its `version` label changed (round `round` picks the value): the source key
    /// and the items to put under it.
    pub fn relabel_pod(&self, i: usize, round: usize) -> (ResourceKey, Vec<Item>) {
        let mut pod = self.pods[i % self.pods.len().max(1)].clone();
        pod.labels.insert(
            "version".to_owned(),
            VERSIONS[round % VERSIONS.len()].to_owned(),
        );
        let item = Item::Workload(pod);
        (source_key(&item), vec![item])
    }

    /// Policy `i` with one rule changed (round `round` picks the port): the source key and the
    /// items to put under it.
    pub fn change_policy(&self, i: usize, round: usize) -> (ResourceKey, Vec<Item>) {
        let mut policy = self.policies[i % self.policies.len().max(1)].clone();
        let port = 1000 + (round % 50_000) as u16;
        let changed = rule(Action::Allow)
            .tcp()
            .dst_ports(&[(port, port)])
            .index(99);
        if policy.directions.ingress {
            policy.ingress.push(changed);
        } else {
            policy.directions.egress = true;
            policy.egress.push(changed);
        }
        let item = Item::Policy(policy);
        (source_key(&item), vec![item])
    }
}
