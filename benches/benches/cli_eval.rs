//! `palisade eval` at scale (issue 5): 150,000 flows against a 300-pod cluster in under 5 s,
//! load included, through exactly the library path the binary takes — `Cluster::load` of a
//! directory of YAML files, one `Evaluator` (the default `fast` backend: compile plus the fast
//! classifier), and `run_eval` streaming the flows file line by line into JSON lines.
//!
//! The generated cluster: 10 namespaces of 30 pods each (three apps per namespace, named container
//! ports, two nodes' worth of spread), 10 host endpoints, a global network set, two extra tiers
//! (security with Pass, platform with Deny), a Log+Pass audit policy, a quarantine Deny policy,
//! per-namespace Kubernetes default-deny and allow policies, Calico NetworkPolicies with
//! selectors, named ports and port ranges, and a host policy: 75 policies. The flows: 150,000 JSON
//! lines, 80 % pod → pod by name, 10 % by IP literal, 5 % from outside the cluster, 5 % to outside;
//! TCP (75 %, one of 7 ports), UDP (20 %, DNS or 8125) and ICMP echo (5 %).
//!
//! Groups (wall time):
//! - `cli_eval/load_and_evaluate_150k`: the whole command (the issue's figure);
//! - `cli_eval/load_300_pods`: loading and converting the YAML only;
//! - `cli_eval/evaluate_150k`: building the evaluator and evaluating, with the model loaded.
//!
//! The process CPU time of one full run is printed on stderr first: on a shared, busy machine
//! it is the robust figure. Run: `cargo bench -p palisade-benches --bench cli_eval`. Figures:
//! `BENCHMARKS.md`.

use std::fmt::Write as _;
use std::fs::File;
use std::hint::black_box;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use palisade_benches::rng::Rng;
use palisade_cli::backend::{Backend, Evaluator};
use palisade_cli::cluster::Cluster;
use palisade_cli::eval::{EvalConfig, OutputFormat, Summary, run_eval};
use palisade_cli::flows::FlowLines;
use palisade_compiler::CompileOptions;
use palisade_policy_model::LoadOptions;

const NAMESPACES: usize = 10;
const PODS_PER_NAMESPACE: usize = 30;
const FLOWS: usize = 150_000;
const APPS: [&str; 3] = ["web", "api", "db"];
const TCP_PORTS: [u16; 7] = [80, 443, 8080, 5432, 6379, 22, 9090];

fn pod_name(ns: usize, i: usize) -> String {
    format!("ns-{ns}/{}-{i}", APPS[i % APPS.len()])
}

fn pod_ip(ns: usize, i: usize) -> String {
    format!("10.{}.{}.{}", 10 + ns, i / 200, 10 + i % 200)
}

fn namespaces_and_pods() -> String {
    let mut out = String::new();
    for ns in 0..NAMESPACES {
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-{ns}\n  labels: {{team: t{}, env: {}}}\n\
             ---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: default, namespace: ns-{ns}}}\n",
            ns % 3,
            if ns < 7 { "prod" } else { "dev" }
        );
        for i in 0..PODS_PER_NAMESPACE {
            let app = APPS[i % APPS.len()];
            let port = match app {
                "web" => 8080,
                "api" => 9090,
                _ => 5432,
            };
            let _ = write!(
                out,
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {app}-{i}\n  namespace: ns-{ns}\n  \
                 labels: {{app: {app}, tier: {tier}, version: v{v}}}\nspec:\n  nodeName: node-{node}\n  \
                 containers:\n  - name: main\n    image: registry.example.com/{app}:1\n    ports:\n    \
                 - {{name: serve, containerPort: {port}}}\n    - {{name: metrics, containerPort: 9100}}\n\
                 status:\n  podIP: {ip}\n",
                tier = if app == "db" { "data" } else { "app" },
                v = i % 4,
                node = (ns * PODS_PER_NAMESPACE + i) % 10,
                ip = pod_ip(ns, i),
            );
        }
    }
    out
}

fn policies() -> String {
    let mut out = String::new();
    out.push_str(
        "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100, defaultAction: Pass}\n\
         ---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: platform}\nspec: {order: 200, defaultAction: Deny}\n\
         ---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: security.audit}\nspec:\n  tier: security\n  order: 10\n  selector: all()\n  \
         ingress:\n  - {action: Log, protocol: TCP, destination: {ports: [22]}}\n  - {action: Pass}\n  egress:\n  - {action: Pass}\n\
         ---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: security.quarantine}\nspec:\n  tier: security\n  order: 20\n  \
         selector: version == 'v3' && pcns.env == 'dev'\n  types: [Ingress, Egress]\n  ingress:\n  - action: Deny\n  egress:\n  - action: Deny\n\
         ---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: platform.data}\nspec:\n  tier: platform\n  order: 10\n  \
         selector: tier == 'data'\n  types: [Ingress]\n  ingress:\n  - action: Allow\n    protocol: TCP\n    source: {selector: app == 'api'}\n    destination: {ports: [serve]}\n  \
         - action: Deny\n    source: {selector: app == 'web'}\n  - action: Pass\n\
         ---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: partners, labels: {kind: partner}}\nspec:\n  nets: [198.51.100.0/24, 203.0.113.0/24]\n\
         ---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: hosts}\nspec:\n  selector: has(node-role)\n  \
         ingress:\n  - {action: Allow, protocol: TCP, source: {nets: [10.0.0.0/8]}, destination: {ports: [10250, '30000:32767']}}\n  \
         - {action: Allow, protocol: ICMP}\n  egress:\n  - {action: Allow, protocol: UDP, destination: {ports: [53]}}\n",
    );
    for n in 0..10 {
        let _ = write!(
            out,
            "---\napiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata:\n  name: node-{n}-eth0\n  labels: {{node-role: worker}}\n\
             spec:\n  node: node-{n}\n  interfaceName: eth0\n  expectedIPs: [10.0.0.{}]\n",
            n + 1
        );
    }
    for ns in 0..NAMESPACES {
        let _ = write!(
            out,
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: default-deny, namespace: ns-{ns}}}\n\
             spec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n\
             ---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: allow-dns, namespace: ns-{ns}}}\n\
             spec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - ports: [{{protocol: UDP, port: 53}}, {{protocol: TCP, port: 53}}]\n\
             ---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: web-ingress, namespace: ns-{ns}}}\n\
             spec:\n  podSelector: {{matchLabels: {{app: web}}}}\n  policyTypes: [Ingress]\n  ingress:\n  \
             - from:\n    - namespaceSelector: {{matchLabels: {{team: t{team}}}}}\n    - ipBlock: {{cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}\n    \
             ports: [{{port: 8080}}, {{port: 80}}, {{port: 443}}]\n\
             ---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: app-flows, namespace: ns-{ns}}}\n\
             spec:\n  order: 500\n  selector: app in {{'web', 'api'}}\n  types: [Ingress, Egress]\n  ingress:\n  \
             - action: Allow\n    protocol: TCP\n    source: {{selector: app == 'web'}}\n    destination: {{ports: [serve, '9000:9099']}}\n  \
             - action: Deny\n    protocol: TCP\n    source: {{namespaceSelector: env == 'dev'}}\n  egress:\n  \
             - action: Allow\n    protocol: TCP\n    destination: {{selector: \"app in {{'api', 'db'}}\", ports: [serve]}}\n  \
             - action: Allow\n    protocol: TCP\n    destination: {{selector: kind == 'partner', namespaceSelector: global(), ports: [443]}}\n  \
             - action: Log\n    protocol: UDP\n  - action: Allow\n    protocol: UDP\n    destination: {{ports: [8125]}}\n",
            team = ns % 3
        );
    }
    out
}

fn flows() -> String {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(FLOWS * 96);
    let pod = |rng: &mut Rng| (rng.index(NAMESPACES), rng.index(PODS_PER_NAMESPACE));
    for _ in 0..FLOWS {
        let (sn, si) = pod(&mut rng);
        let (dn, di) = pod(&mut rng);
        let (src, dst) = match rng.index(20) {
            0 | 1 => (pod_ip(sn, si), pod_ip(dn, di)),
            2 => (
                format!("203.0.113.{}", rng.index(250) + 1),
                pod_name(dn, di),
            ),
            3 => (
                pod_name(sn, si),
                format!("198.51.100.{}", rng.index(250) + 1),
            ),
            _ => (pod_name(sn, si), pod_name(dn, di)),
        };
        let _ = match rng.index(20) {
            0 => writeln!(
                out,
                r#"{{"src": "{src}", "dst": "{dst}", "protocol": "ICMP", "icmpType": 8, "icmpCode": 0}}"#
            ),
            1..=4 => writeln!(
                out,
                r#"{{"src": "{src}", "dst": "{dst}", "protocol": "UDP", "dstPort": {}}}"#,
                if rng.index(2) == 0 { 53 } else { 8125 }
            ),
            _ => writeln!(
                out,
                r#"{{"src": "{src}", "dst": "{dst}", "protocol": "TCP", "dstPort": {}, "srcPort": {}}}"#,
                TCP_PORTS[rng.index(TCP_PORTS.len())],
                32768 + rng.index(28000)
            ),
        };
    }
    out
}

/// Writes the cluster (two files) and the flows into a fresh directory.
fn write_inputs() -> io::Result<(PathBuf, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("palisade-cli-eval-bench-{}", std::process::id()));
    let cluster = dir.join("cluster");
    std::fs::create_dir_all(&cluster)?;
    std::fs::write(cluster.join("00-pods.yaml"), namespaces_and_pods())?;
    std::fs::write(cluster.join("10-policies.yaml"), policies())?;
    let flows_file = dir.join("flows.jsonl");
    std::fs::write(&flows_file, flows())?;
    Ok((cluster, flows_file))
}

fn config() -> EvalConfig {
    EvalConfig {
        format: OutputFormat::Jsonl,
        explain: false,
        flush_each: false,
        source: "flows.jsonl line".to_owned(),
    }
}

fn load(cluster: &Path) -> Cluster {
    match Cluster::load(&[cluster.to_path_buf()], &LoadOptions::strict()) {
        Ok(c) => c,
        Err(e) => panic!("the generated cluster does not load: {e}"),
    }
}

/// What `palisade eval -f CLUSTER --flows FLOWS -o jsonl` does, output into a sink.
fn evaluate(cluster: &Cluster, flows: &Path) -> Summary {
    let evaluator = match Evaluator::new(
        cluster.model(),
        Backend::Fast,
        &CompileOptions::new(),
        false,
    ) {
        Ok(e) => e,
        Err(e) => panic!("the generated cluster does not compile: {e}"),
    };
    let file = match File::open(flows) {
        Ok(f) => f,
        Err(e) => panic!("cannot open the flows: {e}"),
    };
    let lines = FlowLines::new(BufReader::with_capacity(64 * 1024, file));
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::sink());
    match run_eval(&evaluator, lines, &mut out, &mut io::sink(), &config()) {
        Ok(summary) => summary,
        Err(e) => panic!("evaluation failed: {e}"),
    }
}

fn process_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn bench(c: &mut Criterion) {
    let (cluster_dir, flows_file) = match write_inputs() {
        Ok(paths) => paths,
        Err(e) => panic!("cannot write the bench inputs: {e}"),
    };

    // One full run, measured in process CPU time, with a sanity check of the answers.
    let cpu = process_cpu();
    let wall = std::time::Instant::now();
    let cluster = load(&cluster_dir);
    let summary = evaluate(&cluster, &flows_file);
    let (wall, cpu) = (wall.elapsed(), process_cpu() - cpu);
    assert_eq!(
        cluster.model().workloads().count(),
        NAMESPACES * PODS_PER_NAMESPACE
    );
    assert_eq!(summary.answered + summary.errors, FLOWS);
    assert_eq!(summary.errors, 0, "every generated flow is valid");
    eprintln!(
        "cli_eval: {} resources, {} flows ({} allowed, {} denied): one run {:.2} s wall, {:.2} s process CPU",
        cluster.resource_count(),
        summary.answered,
        summary.allowed,
        summary.denied(),
        wall.as_secs_f64(),
        cpu.as_secs_f64()
    );

    let mut group = c.benchmark_group("cli_eval");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("load_and_evaluate_150k", |b| {
        b.iter(|| {
            let cluster = load(&cluster_dir);
            black_box(evaluate(&cluster, &flows_file))
        });
    });
    group.bench_function("load_300_pods", |b| {
        b.iter(|| black_box(load(&cluster_dir)));
    });
    group.bench_function("evaluate_150k", |b| {
        b.iter(|| black_box(evaluate(&cluster, &flows_file)));
    });
    group.finish();

    if let Some(dir) = cluster_dir.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
