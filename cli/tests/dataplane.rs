//! The kernel dataplanes through the binary: `eval --backend nft|ebpf` agrees with the reference
//! evaluator (the oracle of SEMANTICS), `compile --emit nft` is accepted by `nft -c -f`,
//! `compile --emit ebpf-maps` covers the endpoint's hooks, and `apply`/`remove` enforce on real
//! interfaces (veth pairs in private network namespaces, one set per test, removed by a guard).
//!
//! Kernel tests need root. When not root they fail, unless `PALISADE_SKIP_KERNEL_TESTS=1`, in
//! which case they print `SKIPPED (not root)` and return.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command as Process, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::{cluster, data, examples, json_lines, palisade, stderr, stdout};
use serde_json::Value;

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// True when kernel tests run; false (with a loud skip) only when not root and
/// `PALISADE_SKIP_KERNEL_TESTS=1`; otherwise a non-root run fails.
fn kernel(test: &str) -> bool {
    if is_root() {
        return true;
    }
    if std::env::var("PALISADE_SKIP_KERNEL_TESTS").as_deref() == Ok("1") {
        // Straight to stderr, past the test harness's capture, so the skip is seen.
        let _ = writeln!(std::io::stderr(), "{test}: SKIPPED (not root)");
        return false;
    }
    panic!("{test} needs root (set PALISADE_SKIP_KERNEL_TESTS=1 to skip kernel tests)");
}

fn sh(args: &[&str]) {
    let out = Process::new(args[0])
        .args(&args[1..])
        .output()
        .expect("run a setup command");
    assert!(
        out.status.success(),
        "{} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A node namespace with a pod namespace (10.77.1.2, app/server, behind the node's `vs`) and a
/// client namespace (10.77.0.5 and 10.77.0.9, behind the node's `vc`), routed through the node.
/// Dropping it kills the apply it started and deletes the namespaces.
struct Net {
    node: String,
    server: String,
    client: String,
    child: Option<Child>,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl Net {
    fn new() -> Net {
        let id = format!(
            "{}x{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let net = Net {
            node: format!("palcn{id}"),
            server: format!("palcs{id}"),
            client: format!("palcc{id}"),
            child: None,
        };
        for ns in [&net.node, &net.server, &net.client] {
            sh(&["ip", "netns", "add", ns]);
        }
        let (n, s, c) = (&net.node, &net.server, &net.client);
        sh(&[
            "ip", "-n", n, "link", "add", "vs", "type", "veth", "peer", "name", "eth0", "netns", s,
        ]);
        sh(&[
            "ip", "-n", n, "link", "add", "vc", "type", "veth", "peer", "name", "eth0", "netns", c,
        ]);
        for ns in [n, s, c] {
            sh(&["ip", "-n", ns, "link", "set", "lo", "up"]);
        }
        sh(&[
            "ip",
            "netns",
            "exec",
            n,
            "sysctl",
            "-qw",
            "net.ipv4.ip_forward=1",
        ]);
        sh(&["ip", "-n", n, "addr", "add", "10.77.1.1/24", "dev", "vs"]);
        sh(&["ip", "-n", n, "addr", "add", "10.77.0.1/24", "dev", "vc"]);
        sh(&["ip", "-n", n, "link", "set", "vs", "up"]);
        sh(&["ip", "-n", n, "link", "set", "vc", "up"]);
        sh(&["ip", "-n", s, "addr", "add", "10.77.1.2/24", "dev", "eth0"]);
        sh(&["ip", "-n", s, "link", "set", "eth0", "up"]);
        sh(&["ip", "-n", s, "route", "add", "default", "via", "10.77.1.1"]);
        sh(&["ip", "-n", c, "addr", "add", "10.77.0.5/24", "dev", "eth0"]);
        sh(&["ip", "-n", c, "addr", "add", "10.77.0.9/24", "dev", "eth0"]);
        sh(&["ip", "-n", c, "link", "set", "eth0", "up"]);
        sh(&["ip", "-n", c, "route", "add", "default", "via", "10.77.0.1"]);
        net
    }

    /// True when a ping from `source` (in the client namespace) to the pod is answered.
    fn ping(&self, source: &str) -> bool {
        Process::new("ip")
            .args([
                "netns",
                "exec",
                &self.client,
                "ping",
                "-c1",
                "-W1",
                "-I",
                source,
                "10.77.1.2",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run ping")
            .success()
    }

    /// The reachability of the pod from (10.77.0.5, 10.77.0.9).
    fn reach(&self) -> (bool, bool) {
        (self.ping("10.77.0.5"), self.ping("10.77.0.9"))
    }

    /// `palisade ARGS` in the node namespace.
    fn palisade(&self, args: &[&str]) -> std::process::Output {
        let bin = assert_cmd::cargo::cargo_bin("palisade");
        Process::new("ip")
            .args(["netns", "exec", &self.node])
            .arg(bin)
            .args(args)
            .output()
            .expect("run palisade")
    }

    fn nft_tables(&self) -> String {
        let out = Process::new("ip")
            .args(["netns", "exec", &self.node, "nft", "list", "tables"])
            .output()
            .expect("run nft");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The packet count of every named counter in Palisade's table.
    fn nft_counter_packets(&self) -> Vec<u64> {
        let out = Process::new("ip")
            .args(["netns", "exec", &self.node, "nft", "list", "counters"])
            .args(["table", "inet", "palisade"])
            .output()
            .expect("run nft");
        assert!(out.status.success(), "{}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split("packets ")
            .skip(1)
            .map(|rest| {
                let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
                n.parse().expect("a packet count")
            })
            .collect()
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in [&self.node, &self.server, &self.client] {
            let _ = Process::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn dp_cluster() -> String {
    data("dataplane/cluster.yaml").display().to_string()
}

#[test]
fn apply_and_remove_with_nft_enforce_on_a_veth() {
    if !kernel("apply_and_remove_with_nft_enforce_on_a_veth") {
        return;
    }
    let net = Net::new();
    assert_eq!(
        net.reach(),
        (true, true),
        "no policy yet: both reach the pod"
    );
    let f = dp_cluster();
    let out = net.palisade(&[
        "apply",
        "-q",
        "-f",
        &f,
        "--dataplane",
        "nft",
        "--interface",
        "vs=app/server",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // SEMANTICS §2: the pod is selected for ingress; only 10.77.0.5 is allowed.
    assert_eq!(net.reach(), (true, false));
    // By default no rule is counted.
    assert!(net.nft_counter_packets().is_empty());
    // Removing the only interface takes the table away.
    let out = net.palisade(&["remove", "--dataplane", "nft", "--interface", "vs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(net.reach(), (true, true));
    assert!(
        !net.nft_tables().contains("palisade"),
        "{}",
        net.nft_tables()
    );
    // Apply again with rule counters (same verdicts; the rules that decided count the
    // packets), then remove everything.
    let out = net.palisade(&[
        "apply",
        "-q",
        "-f",
        &f,
        "--dataplane",
        "nft",
        "--rule-counters",
        "--interface",
        "vs=app/server",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(net.reach(), (true, false));
    let counted = net.nft_counter_packets();
    assert!(!counted.is_empty(), "every rule has a counter");
    assert!(counted.iter().any(|p| *p > 0), "{counted:?}");
    let out = net.palisade(&["remove", "--dataplane", "nft"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(net.reach(), (true, true));
    assert!(!net.nft_tables().contains("palisade"));
    // Removing again: nothing is installed, which is fine.
    let out = net.palisade(&["remove", "--dataplane", "nft"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn apply_errors_are_precise_and_apply_nothing() {
    if !kernel("apply_errors_are_precise_and_apply_nothing") {
        return;
    }
    let net = Net::new();
    let f = dp_cluster();
    for dataplane in ["nft", "ebpf"] {
        let out = net.palisade(&[
            "apply",
            "-q",
            "-f",
            &f,
            "--dataplane",
            dataplane,
            "--interface",
            "nosuch0=app/server",
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("no interface nosuch0"),
            "{}",
            stderr(&out)
        );
        let out = net.palisade(&[
            "apply",
            "-q",
            "-f",
            &f,
            "--dataplane",
            dataplane,
            "--interface",
            "vs=app/ghost",
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("app/ghost"), "{}", stderr(&out));
        let out = net.palisade(&[
            "apply",
            "-q",
            "-f",
            &f,
            "--dataplane",
            dataplane,
            "--interface",
            "vs=app/server",
            "--interface",
            "vs=app/server",
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("bound twice"), "{}", stderr(&out));
    }
    assert!(
        !net.nft_tables().contains("palisade"),
        "{}",
        net.nft_tables()
    );
    assert_eq!(net.reach(), (true, true));
    // Usage errors exit 2.
    let out = net.palisade(&["apply", "-f", &f, "--dataplane", "nft"]);
    assert_eq!(out.status.code(), Some(2));
    let out = net.palisade(&["apply", "-f", &f, "--dataplane", "nft", "--interface", "vs"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn apply_and_remove_with_ebpf_enforce_while_apply_runs() {
    if !kernel("apply_and_remove_with_ebpf_enforce_while_apply_runs") {
        return;
    }
    let mut net = Net::new();
    let f = dp_cluster();
    let bin = assert_cmd::cargo::cargo_bin("palisade");
    let mut child = Process::new("ip")
        .args(["netns", "exec", &net.node])
        .arg(bin)
        .args([
            "apply",
            "-q",
            "-f",
            &f,
            "--dataplane",
            "ebpf",
            "--interface",
            "vs=app/server",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start palisade apply");
    let stdout = child.stdout.take().expect("stdout");
    net.child = Some(child);
    // Apply reports its bindings, then a line saying it enforces until stopped.
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    let started = Instant::now();
    loop {
        let line = lines.next().expect("apply ended early").expect("read");
        seen.push(line.clone());
        if line.contains("enforcing") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{seen:?}");
    }
    assert!(
        seen.iter()
            .any(|l| l.contains("vs") && l.contains("app/server")),
        "{seen:?}"
    );
    assert_eq!(net.reach(), (true, false));
    // A second apply in the same namespace is refused while the first runs.
    let out = net.palisade(&[
        "apply",
        "-q",
        "-f",
        &f,
        "--dataplane",
        "ebpf",
        "--interface",
        "vs=app/server",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("already enforces"),
        "{}",
        stderr(&out)
    );
    // Single interfaces cannot be taken from a running apply.
    let out = net.palisade(&["remove", "--dataplane", "ebpf", "--interface", "vs"]);
    assert_eq!(out.status.code(), Some(1));
    let out = net.palisade(&["remove", "--dataplane", "ebpf"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let status = net.child.as_mut().expect("child").wait().expect("wait");
    assert!(!status.success(), "apply ends by the signal remove sends");
    net.child = None;
    assert_eq!(net.reach(), (true, true));
    let out = net.palisade(&["remove", "--dataplane", "ebpf"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Flows over the example cluster: every pair of endpoints (and an outside address) on a few
/// ports and ICMP echo.
fn example_flows() -> String {
    let peers = [
        "default/cat",
        "default/client",
        "default/web",
        "kube-system/coredns",
        "monitoring/alertmanager",
        "monitoring/prometheus",
        "nginx-ingress/controller",
        "prod/database",
        "prod/frontend",
        "prod/orders",
        "hostendpoint/my-host-eth0",
        "203.0.113.7",
    ];
    let mut text = String::new();
    for src in peers {
        for dst in peers {
            if src == dst && src.starts_with(char::is_numeric) {
                continue; // a flow must touch an endpoint
            }
            for packet in [
                "tcp/22", "tcp/80", "tcp/8080", "udp/53", "tcp/9093", "tcp/9100", "icmp/8",
            ] {
                text.push_str(&format!("{src} -> {dst} {packet}\n"));
            }
        }
    }
    text
}

fn eval_lines(backend: &str, files: &str, flows: &str) -> Vec<Value> {
    let out = palisade()
        .args([
            "eval",
            "-q",
            "-f",
            files,
            "--flows",
            "-",
            "-o",
            "jsonl",
            "--backend",
            backend,
        ])
        .write_stdin(flows)
        .output()
        .expect("run");
    assert!(out.status.success(), "{backend}: {}", stderr(&out));
    json_lines(&out)
}

#[test]
fn kernel_backends_agree_with_the_reference_evaluator() {
    if !kernel("kernel_backends_agree_with_the_reference_evaluator") {
        return;
    }
    let test_flows = std::fs::read_to_string(data("eval/flows.jsonl")).expect("flows");
    let cases = [
        (cluster().display().to_string(), test_flows),
        (examples("cluster").display().to_string(), example_flows()),
    ];
    for (files, flows) in &cases {
        let reference = eval_lines("reference", files, flows);
        assert!(reference.len() > 10);
        for backend in ["nft", "ebpf"] {
            let got = eval_lines(backend, files, flows);
            assert_eq!(got.len(), reference.len(), "{backend} on {files}");
            for (i, (g, r)) in got.iter().zip(&reference).enumerate() {
                assert_eq!(g, r, "{backend} on {files}, flow {}", i + 1);
            }
        }
    }
}

#[test]
fn kernel_backends_refuse_to_run_without_root() {
    if !kernel("kernel_backends_refuse_to_run_without_root") {
        return;
    }
    // Drop to an unprivileged user: the kernel backends must fail, never fall back.
    let bin = assert_cmd::cargo::cargo_bin("palisade");
    for backend in ["nft", "ebpf"] {
        let out = Process::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin)
            .args(["eval", "-q", "-f"])
            .arg(cluster())
            .args([
                "--flow",
                "shop/api -> vault/db tcp/5432",
                "--backend",
                backend,
            ])
            .output()
            .expect("run setpriv");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("needs root"), "{}", stderr(&out));
        assert!(
            out.stdout.is_empty(),
            "no verdict without the kernel: {}",
            stdout(&out)
        );
        let out = Process::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin)
            .args(["apply", "-q", "-f", &dp_cluster(), "--dataplane", backend])
            .args(["--interface", "lo=app/server"])
            .output()
            .expect("run setpriv");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("needs root"), "{}", stderr(&out));
    }
}

#[test]
fn nft_accepts_the_compiled_script() {
    if !kernel("nft_accepts_the_compiled_script") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("palisade-cli-nft-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let examples_dir = examples("cluster").display().to_string();
    let dp = dp_cluster();
    let cluster_file = cluster().display().to_string();
    let runs: [&[&str]; 4] = [
        &["-f", &examples_dir],
        &["-f", &dp, "--interface", "vs=app/server"],
        &["-f", &dp, "--interface", "vs=app/server", "--rule-counters"],
        &["-f", &cluster_file, "--endpoint", "vault/db"],
    ];
    for (i, args) in runs.iter().enumerate() {
        let out = palisade()
            .args(["compile", "-q", "--emit", "nft"])
            .args(*args)
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", stderr(&out));
        let path = dir.join(format!("{i}.nft"));
        std::fs::write(&path, &out.stdout).expect("write");
        let check = Process::new("nft")
            .arg("-c")
            .arg("-f")
            .arg(&path)
            .output()
            .expect("run nft");
        assert!(
            check.status.success(),
            "nft -c -f refused {args:?}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn compile_emit_nft_binds_the_endpoints_it_is_given() {
    let out = palisade()
        .args(["compile", "-q", "-f"])
        .arg(data("dataplane/cluster.yaml"))
        .args(["--emit", "nft", "--interface", "vs=app/server"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("table inet palisade {"), "{text}");
    assert!(
        text.contains("\"vs\""),
        "the dispatch names the bound interface: {text}"
    );
    // An endpoint the input does not define is an input error; a malformed binding is usage.
    let out = palisade()
        .args(["compile", "-q", "-f"])
        .arg(data("dataplane/cluster.yaml"))
        .args(["--emit", "nft", "--interface", "vs=app/ghost"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("app/ghost"), "{}", stderr(&out));
    let out = palisade()
        .args(["compile", "-q", "-f"])
        .arg(data("dataplane/cluster.yaml"))
        .args(["--emit", "nft", "--interface", "10.0.0.1"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    // --emit ir still needs an endpoint.
    let out = palisade()
        .args(["compile", "-q", "-f"])
        .arg(data("dataplane/cluster.yaml"))
        .args(["--emit", "ir"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn compile_emit_ebpf_maps_covers_the_endpoint_hooks() {
    let out = palisade()
        .args(["compile", "-q", "-f"])
        .arg(data("dataplane/cluster.yaml"))
        .args([
            "--emit",
            "ebpf-maps",
            "--endpoint",
            "app/server",
            "-o",
            "json",
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let maps: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let slots = maps["slots"].as_array().expect("slots");
    let targets: Vec<&str> = slots
        .iter()
        .flat_map(|s| s["targets"].as_array().expect("targets"))
        .filter_map(Value::as_str)
        .collect();
    // A workload has two hooks (SEMANTICS §2): its ingress and egress programs.
    assert_eq!(targets.len(), 2, "{targets:?}");
    assert!(targets.iter().any(|t| t.contains("workload-ingress")));
    assert!(targets.iter().any(|t| t.contains("workload-egress")));
    assert!(targets.iter().all(|t| t.starts_with("app/server")));
    for s in slots {
        assert_eq!(s["status"], "lowered", "{s}");
    }
    // The whole snapshot has a slot per distinct program, at least one.
    let out = palisade()
        .args(["compile", "-q", "-f"])
        .arg(examples("cluster"))
        .args(["--emit", "ebpf-maps"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("slot 0"), "{}", stdout(&out));
}
