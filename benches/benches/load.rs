//! Loading and validating a large generated input: 10,000 policies of mixed kinds (Calico
//! NetworkPolicy, GlobalNetworkPolicy, StagedNetworkPolicy, Kubernetes NetworkPolicy) and
//! 10,000 pods, about 30 MB of YAML, read by `load_str` (parse, decode, validate, default).
//!
//! Target (issue 3): ≤ 3 s and ≤ 1 GiB peak memory. Peak memory is the process's peak
//! resident set (`VmHWM` in `/proc/self/status`), printed once before the timed runs.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use palisade_policy_model::{LoadOptions, load_str};

const POLICIES: usize = 10_000;
const PODS: usize = 10_000;

fn calico_rules(out: &mut String, i: usize) {
    out.push_str("  ingress:\n");
    for r in 0..5 {
        let _ = write!(
            out,
            "  - action: Allow\n    protocol: TCP\n    source:\n      selector: role == 'client-{r}' && env in {{'prod', 'staging'}}\n      namespaceSelector: team == 't{}'\n      nets: [10.{r}.0.0/16, 192.168.{r}.0/24]\n    destination:\n      ports: [80, 443, '8000:8080', http]\n",
            i % 17
        );
    }
    out.push_str("  - action: Log\n    protocol: ICMP\n    icmp: {type: 8}\n  - action: Deny\n    source:\n      notNets: [172.16.0.0/12]\n");
    out.push_str("  egress:\n  - action: Allow\n    protocol: UDP\n    destination:\n      selector: k8s-app == 'kube-dns'\n      namespaceSelector: kubernetes.io/metadata.name == 'kube-system'\n      ports: [53]\n  - action: Pass\n");
}

/// About 30 MB of YAML.
fn generate() -> String {
    let mut out = String::with_capacity(32 << 20);
    for i in 0..POLICIES {
        let ns = i % 50;
        match i % 4 {
            0 => {
                let _ = write!(
                    out,
                    "---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: app-{i}\n  namespace: ns-{ns}\n  labels:\n    owner: team-{}\nspec:\n  tier: default\n  order: {i}\n  selector: app == 'web-{i}' && tier in {{'fe', 'be'}}\n  types: [Ingress, Egress]\n",
                    i % 13
                );
                calico_rules(&mut out, i);
            }
            1 => {
                let _ = write!(
                    out,
                    "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: security.global-{i}\nspec:\n  tier: security\n  order: {}.5\n  selector: has(app) && app starts with 'svc-{i}'\n  namespaceSelector: env != 'dev'\n",
                    i % 1000
                );
                calico_rules(&mut out, i);
            }
            2 => {
                let _ = write!(
                    out,
                    "---\napiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata:\n  name: staged-{i}\n  namespace: ns-{ns}\nspec:\n  stagedAction: Set\n  selector: app == 'web-{i}'\n"
                );
                calico_rules(&mut out, i);
            }
            _ => {
                let _ = write!(
                    out,
                    "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: knp-{i}\n  namespace: ns-{ns}\nspec:\n  podSelector:\n    matchLabels:\n      app: web-{i}\n  policyTypes: [Ingress, Egress]\n  ingress:\n"
                );
                for r in 0..6 {
                    let _ = write!(
                        out,
                        "  - from:\n    - namespaceSelector:\n        matchLabels:\n          team: t{r}\n      podSelector:\n        matchExpressions:\n        - {{key: role, operator: In, values: [client-{r}, admin]}}\n    - ipBlock:\n        cidr: 10.{r}.0.0/16\n        except: [10.{r}.1.0/24]\n    ports:\n    - {{protocol: TCP, port: 8080}}\n    - {{protocol: TCP, port: 9000, endPort: 9100}}\n    - {{port: http}}\n"
                    );
                }
                out.push_str("  egress:\n  - to:\n    - namespaceSelector: {}\n      podSelector:\n        matchLabels: {k8s-app: kube-dns}\n    ports:\n    - {protocol: UDP, port: 53}\n");
            }
        }
    }
    for i in 0..PODS {
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-{i}-5d8f7c9b6-x2k4p\n  namespace: ns-{}\n  uid: 6f1c2b7e-{i:08}\n  labels:\n    app: web-{i}\n    tier: fe\n    pod-template-hash: 5d8f7c9b6\n  ownerReferences:\n  - {{apiVersion: apps/v1, kind: ReplicaSet, name: web-{i}-5d8f7c9b6, controller: true}}\nspec:\n  serviceAccountName: sa-{}\n  nodeName: node-{}\n  containers:\n  - name: main\n    image: registry.example.com/app:v1.2.3\n    ports:\n    - {{name: http, containerPort: 8080, protocol: TCP}}\n    - {{name: metrics, containerPort: 9090}}\n    resources:\n      limits: {{cpu: 500m, memory: 128Mi}}\n    env:\n    - {{name: FOO, value: bar}}\n    - {{name: LOG_LEVEL, value: info}}\n  - name: sidecar\n    image: registry.example.com/proxy:v2\n    ports:\n    - {{name: admin, containerPort: 15000}}\nstatus:\n  phase: Running\n  podIP: 10.{}.{}.{}\n  podIPs:\n  - ip: 10.{}.{}.{}\n",
            i % 50,
            i % 7,
            i % 20,
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255,
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        );
    }
    out
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn bench_load(c: &mut Criterion) {
    let text = generate();
    let options = LoadOptions::strict();
    let before = peak_rss_kib();
    let loaded = load_str(&text, None, &options);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems.first());
    assert_eq!(loaded.resources.len(), POLICIES + PODS);
    drop(loaded);
    eprintln!(
        "load: input {:.1} MB; peak RSS before loading {} MiB, after {} MiB",
        text.len() as f64 / 1e6,
        before.map_or(0, |k| k / 1024),
        peak_rss_kib().map_or(0, |k| k / 1024)
    );
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("10k_policies_10k_pods_strict", |b| {
        b.iter(|| black_box(load_str(black_box(&text), None, &options)))
    });
    let single = LoadOptions {
        strict: true,
        threads: 1,
    };
    group.bench_function("10k_policies_10k_pods_one_thread", |b| {
        b.iter(|| black_box(load_str(black_box(&text), None, &single)))
    });
    group.finish();
}

criterion_group!(benches, bench_load);
criterion_main!(benches);
