//! `palisade eval`: verdicts and deciding rules per SEMANTICS §2.5/§3 and DECISIONS D6–D9, the
//! JSON contract, streaming input with bad lines, backends, `--staged`, `--explain`, `--http`,
//! `--dns`, and exit codes.
//!
//! The expected decisions for `tests/data/eval/flows.jsonl` against `tests/data/eval/cluster.yaml`
//! are derived by hand in the comments of `expected()`.

mod common;

use common::{cluster, data, examples, json_lines, palisade, stderr, stdout};
use serde_json::{Value, json};

fn profile() -> Value {
    json!({"verdict": "allow", "by": "profile", "policy": "kns.shop", "kind": "Profile", "rule": 0})
}

fn end_of_tier(tier: &str) -> Value {
    json!({"verdict": "deny", "by": "end-of-tier", "tier": tier})
}

fn default(verdict: &str) -> Value {
    json!({"verdict": verdict, "by": "default"})
}

/// (verdict, egress, ingress) of each flow of `flows.jsonl`, in order.
fn expected() -> Vec<(&'static str, Value, Value)> {
    let block = json!({"verdict": "deny", "by": "rule", "tier": "security",
        "policy": "security.block", "kind": "GlobalNetworkPolicy", "rule": 0});
    let api_egress = json!({"verdict": "allow", "by": "rule", "tier": "platform",
        "policy": "platform.api-egress", "kind": "NetworkPolicy", "namespace": "shop", "rule": 0});
    let allow_api = json!({"verdict": "allow", "by": "rule", "tier": "default",
        "policy": "allow-api", "kind": "KubernetesNetworkPolicy", "namespace": "vault", "rule": 0});
    let host_policy = json!({"verdict": "allow", "by": "rule", "tier": "default",
        "policy": "host-policy", "kind": "GlobalNetworkPolicy", "rule": 0});
    vec![
        // web → db: no tier selects web for egress, so its namespace profile allows (§2.7);
        // the security tier's block policy denies web at db's ingress.
        ("deny", profile(), block.clone()),
        // api → db:5432: platform allows api's egress; db's ingress passes the security tier
        // (its default is Pass) and the KNP allow-api allows (before default-deny by name).
        ("allow", api_egress, allow_api),
        // api → db:22: nothing in platform matches → end of tier; db's ingress: audit logs and
        // passes, then only KNPs apply and allow-api is for 5432 → end of tier default.
        ("deny", end_of_tier("platform"), end_of_tier("default")),
        // api → web:8080: end of platform for api; web's ingress: only the security tier
        // (passes), the staged policy is not enforced → profile.
        ("deny", end_of_tier("platform"), profile()),
        // outside → web: ingress only.
        ("allow", Value::Null, profile()),
        // web → outside: egress only.
        ("allow", profile(), Value::Null),
        // outside → host:22: the failsafe list's first entry (tcp:22) allows (D6).
        (
            "allow",
            Value::Null,
            json!({"verdict": "allow", "by": "failsafe", "rule": 0}),
        ),
        // outside → host:443: host-policy allows after the security tier passes.
        ("allow", Value::Null, host_policy.clone()),
        // outside → host:8443: host-policy applies, nothing matches → end of tier default.
        ("deny", Value::Null, end_of_tier("default")),
        // web (node n1) → its own host h1 (n1): egress profile; the host side is
        // defaultEndpointToHostAction Drop (D6).
        ("deny", profile(), default("deny")),
        // api (node n2) → h1: api's egress ends the platform tier; h1's host ingress allows.
        ("deny", end_of_tier("platform"), host_policy),
        // h1 → db on the same node: never policed (D6).
        ("allow", default("allow"), default("allow")),
        // h1 → api on another node: h1's host egress allows only UDP 53 → end of tier; api's
        // ingress passes security → profile.
        ("deny", end_of_tier("default"), profile()),
        // 10.1.0.10 → 10.1.1.10 are web's and db's addresses: the same as the first flow.
        ("deny", profile(), block.clone()),
        // ICMP echo web → db: block denies every protocol from web.
        ("deny", profile(), block),
    ]
}

fn eval_file(file: &str, extra: &[&str]) -> std::process::Output {
    palisade()
        .args(["eval", "-q", "-f"])
        .arg(cluster())
        .arg("--flows")
        .arg(data(file))
        .args(extra)
        .output()
        .expect("run")
}

#[test]
fn every_flow_gets_the_decisions_semantics_prescribes() {
    let output = eval_file("eval/flows.jsonl", &["-o", "jsonl"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = json_lines(&output);
    let expected = expected();
    assert_eq!(lines.len(), expected.len());
    for (i, (line, (verdict, egress, ingress))) in lines.iter().zip(expected).enumerate() {
        assert_eq!(line["verdict"], verdict, "flow {}: {line}", i + 1);
        assert_eq!(line["egress"], egress, "flow {}: {line}", i + 1);
        assert_eq!(line["ingress"], ingress, "flow {}: {line}", i + 1);
        assert!(line.get("pending").is_none());
    }
}

#[test]
fn the_output_echoes_the_flow_as_given() {
    let output = eval_file("eval/flows.jsonl", &["-o", "jsonl"]);
    let lines = json_lines(&output);
    assert_eq!(
        lines[1],
        json!({
            "src": "shop/api", "dst": "vault/db", "protocol": "TCP", "dstPort": 5432,
            "srcPort": 43210, "verdict": "allow", "egress": lines[1]["egress"],
            "ingress": lines[1]["ingress"]
        })
    );
    // A protocol number is reported by name; ICMP fields are echoed, ports absent.
    assert_eq!(lines[2]["protocol"], "TCP");
    assert_eq!(lines[14]["protocol"], "ICMP");
    assert_eq!(lines[14]["icmpType"], 8);
    assert!(lines[14].get("dstPort").is_none());
    // IP literals stay as given.
    assert_eq!(lines[13]["src"], "10.1.0.10");
}

#[test]
fn every_backend_gives_the_same_answers() {
    let outputs: Vec<String> = ["reference", "ir", "fast"]
        .iter()
        .map(|b| {
            let output = eval_file(
                "eval/flows.jsonl",
                &["-o", "jsonl", "--explain", "--staged", "--backend", b],
            );
            assert_eq!(output.status.code(), Some(0), "{b}: {}", stderr(&output));
            stdout(&output)
        })
        .collect();
    assert_eq!(outputs[0], outputs[1], "reference vs ir");
    assert_eq!(outputs[0], outputs[2], "reference vs fast");
}

#[test]
fn staged_adds_the_pending_verdict() {
    let output = eval_file("eval/flows.jsonl", &["-o", "jsonl", "--staged"]);
    assert_eq!(output.status.code(), Some(0));
    let lines = json_lines(&output);
    let staged = json!({"verdict": "deny", "by": "rule", "tier": "default",
        "policy": "staged-deny-web", "kind": "StagedNetworkPolicy", "namespace": "shop", "rule": 0});
    // outside → web: enforced allow by the profile; pending deny by the staged policy (D8).
    assert_eq!(lines[4]["verdict"], "allow");
    assert_eq!(
        lines[4]["pending"],
        json!({"verdict": "deny", "egress": null, "ingress": staged})
    );
    // Flows the staged policy does not touch have the same pending decisions.
    for i in [0, 1, 2, 6, 7] {
        let pending = &lines[i]["pending"];
        assert_eq!(pending["verdict"], lines[i]["verdict"], "flow {}", i + 1);
        assert_eq!(pending["egress"], lines[i]["egress"], "flow {}", i + 1);
        assert_eq!(pending["ingress"], lines[i]["ingress"], "flow {}", i + 1);
    }
}

#[test]
fn explain_adds_the_log_and_pass_steps() {
    let output = eval_file("eval/flows.jsonl", &["-o", "jsonl", "--explain"]);
    let lines = json_lines(&output);
    // api → db:22: db's ingress logged and passed by security.audit rules 0 and 1.
    assert_eq!(
        lines[2]["ingress"]["steps"],
        json!([
            {"step": "log", "by": "rule", "tier": "security", "policy": "security.audit",
             "kind": "GlobalNetworkPolicy", "rule": 0},
            {"step": "pass", "by": "rule", "tier": "security", "policy": "security.audit",
             "kind": "GlobalNetworkPolicy", "rule": 1},
        ])
    );
    // api → db:5432: the security tier ends in its Pass default.
    assert_eq!(
        lines[1]["ingress"]["steps"],
        json!([{"step": "pass", "by": "end-of-tier", "tier": "security"}])
    );
    assert_eq!(lines[1]["egress"]["steps"], json!([]));
}

#[test]
fn the_table_explains_each_decision() {
    let output = palisade()
        .args(["eval", "-q", "-o", "table", "--explain", "-f"])
        .arg(cluster())
        .args(["--flow", "shop/api -> vault/db tcp/22"])
        .args(["--flow", "shop/web -> hostendpoint/h1 tcp/443"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("shop/api -> vault/db TCP/22  DENY"), "{text}");
    assert!(text.contains("end of tier platform"), "{text}");
    assert!(
        text.contains("logged by rule 0 of GlobalNetworkPolicy security.audit"),
        "{text}"
    );
    assert!(
        text.contains("defaultEndpointToHostAction (Drop)"),
        "{text}"
    );
    assert!(text.contains("2 flows: 0 allowed, 2 denied"), "{text}");
}

#[test]
fn json_output_is_one_array_in_input_order() {
    let output = eval_file("eval/bad-lines.jsonl", &["-o", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let all: Value = serde_json::from_str(&stdout(&output)).expect("one JSON document");
    let items = all.as_array().expect("an array");
    assert_eq!(items.len(), 8);
    assert_eq!(items[0]["verdict"], "allow");
    assert_eq!(items[1]["line"], 2);
    assert_eq!(items[7]["verdict"], "deny");
}

#[test]
fn bad_lines_name_their_line_and_never_stop_the_others() {
    let output = eval_file("eval/bad-lines.jsonl", &["-o", "jsonl"]);
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 8);
    assert_eq!(lines[0]["verdict"], "allow");
    assert_eq!(lines[7]["verdict"], "deny");
    let errors = stderr(&output);
    for (i, what) in [
        (2, "destination port"),
        (3, "expected NAMESPACE/NAME"),
        (4, "outside the cluster"),
        (5, "unknown endpoint shop/nobody"),
        (6, "protocol"),
        (7, "unknown field `colour`"),
    ] {
        let line = &lines[i - 1];
        assert_eq!(line["line"], i, "{line}");
        assert!(
            line["error"].as_str().is_some_and(|e| e.contains(what)),
            "line {i}: {line}"
        );
        assert!(
            errors.contains(&format!("bad-lines.jsonl line {i}: ")),
            "line {i}: {errors}"
        );
    }
}

#[test]
fn flows_stream_from_stdin() {
    let output = palisade()
        .args(["eval", "-q", "-f"])
        .arg(cluster())
        .args(["--flows", "-"])
        .write_stdin(
            "# comment\n\nshop/api -> vault/db tcp/5432\n{\"src\":\"shop/api\",\"dst\":\"x\",\"protocol\":\"TCP\",\"dstPort\":1}\n",
        )
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines[0]["verdict"], "allow");
    assert_eq!(lines[1]["line"], 4);
    assert!(stderr(&output).contains("stdin line 4: "));
}

#[test]
fn flows_given_as_arguments_are_numbered() {
    let output = palisade()
        .args(["eval", "-q", "-o", "jsonl", "-f"])
        .arg(cluster())
        .args(["--flow", "shop/api -> vault/db tcp/5432"])
        .args(["--flow", "shop/api -> vault/db tcp"])
        .args([
            "--flow",
            "203.0.113.5 -> shop/web tcp/8080 via hostendpoint/h1",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines[1]["line"], 2);
    assert!(stderr(&output).contains("--flow 2: "));
    // Forwarded in through h1 (node n1, web's node): no applyOnForward policy applies → allowed
    // by default (D6), reported as forwardIn; web's own ingress still applies.
    assert_eq!(lines[2]["forwardIn"], default("allow"));
    assert_eq!(lines[2]["ingress"], profile());
    assert_eq!(lines[2]["via"], json!(["hostendpoint/h1"]));
}

#[test]
fn http_rules_are_refused_unless_asked_for() {
    let run = |extra: &[&str], flow: &str| {
        palisade()
            .args(["eval", "-q", "-o", "jsonl", "-f"])
            .arg(cluster())
            .arg("-f")
            .arg(data("eval/http.yaml"))
            .args(["--flow", flow])
            .args(extra)
            .output()
            .expect("run")
    };
    let refused = run(&[], "shop/api -> shop/web tcp/8080");
    assert_eq!(refused.status.code(), Some(1));
    assert!(stdout(&refused).is_empty());
    let message = stderr(&refused);
    assert!(message.contains("security.http-only-get"), "{message}");
    assert!(message.contains("--http l4-only"), "{message}");

    // L4 only: the http part is dropped, so rule 0 allows any TCP 8080.
    let l4 = run(&["--http", "l4-only"], "shop/api -> shop/web tcp/8080");
    assert_eq!(l4.status.code(), Some(0), "{}", stderr(&l4));
    assert_eq!(json_lines(&l4)[0]["ingress"]["rule"], 0);

    // The reference evaluator evaluates http: GET matches rule 0, POST falls to rule 1 (D9).
    let get = run(
        &["--backend", "reference"],
        "shop/api -> shop/web tcp/8080 method GET path /",
    );
    assert_eq!(json_lines(&get)[0]["ingress"]["verdict"], "allow");
    let post = run(
        &["--backend", "reference"],
        "shop/api -> shop/web tcp/8080 method POST path /",
    );
    let post = &json_lines(&post)[0]["ingress"];
    assert_eq!(post["verdict"], "deny");
    assert_eq!(post["rule"], 1);
}

#[test]
fn dns_answers_feed_domain_rules() {
    let flow = "shop/api -> 192.0.2.10 tcp/443";
    let run = |extra: &[&str]| {
        let output = palisade()
            .args(["eval", "-q", "-o", "jsonl", "-f"])
            .arg(cluster())
            .args(["--flow", flow])
            .args(extra)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        json_lines(&output).remove(0)
    };
    // No answer known: the domains rule matches nothing (SEMANTICS §0).
    assert_eq!(run(&[])["egress"], end_of_tier("platform"));
    let allowed = json!({"verdict": "allow", "by": "rule", "tier": "platform",
        "policy": "platform.api-egress", "kind": "NetworkPolicy", "namespace": "shop", "rule": 1});
    // Names compare case-insensitively and without the trailing dot (D12).
    assert_eq!(
        run(&["--dns", "API.example.com.=192.0.2.10"])["egress"],
        allowed
    );
    // An answer for another name changes nothing.
    assert_eq!(
        run(&["--dns", "www.example.com=192.0.2.10"])["egress"],
        end_of_tier("platform")
    );
}

#[test]
fn dns_files_in_hosts_form() {
    let dir = std::env::temp_dir().join(format!("palisade-dns-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("hosts");
    std::fs::write(&file, "# answers\n192.0.2.10 api.example.com\n").expect("write");
    let output = palisade()
        .args(["eval", "-q", "-o", "jsonl", "-f"])
        .arg(cluster())
        .args(["--flow", "shop/api -> 192.0.2.10 tcp/443", "--dns-file"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json_lines(&output)[0]["verdict"], "allow");

    std::fs::write(&file, "192.0.2.10\n").expect("write");
    let bad = palisade()
        .args(["eval", "-q", "-f"])
        .arg(cluster())
        .args(["--flow", "shop/api -> 192.0.2.10 tcp/443", "--dns-file"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("line 1"), "{}", stderr(&bad));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn problems_in_the_input_stop_before_anything_is_evaluated() {
    let file = data("bad/policy.yaml");
    let output = palisade()
        .args(["eval", "-f"])
        .arg(&file)
        .args(["--flow", "a/b -> c/d tcp/80"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty());
    let message = stderr(&output);
    assert!(message.contains("3 problems in the input"), "{message}");
    assert!(
        message.contains(&format!("{}:8:3: spec.ingres", file.display())),
        "{message}"
    );
}

#[test]
fn a_missing_flows_file_is_an_error() {
    let output = palisade()
        .args(["eval", "-q", "-f"])
        .arg(cluster())
        .args(["--flows", "/nonexistent/flows.jsonl"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("cannot read flows from /nonexistent/flows.jsonl"));
}

#[test]
fn usage_errors_exit_2() {
    let c = cluster();
    let c = c.to_str().expect("utf-8 path");
    for args in [
        vec!["eval", "-f", c],
        vec![
            "eval",
            "-f",
            c,
            "--flow",
            "a/b -> c/d tcp/1",
            "--flows",
            "-",
        ],
        vec![
            "eval",
            "-f",
            c,
            "--flow",
            "a/b -> c/d tcp/1",
            "--backend",
            "magic",
        ],
        vec!["eval", "-f", c, "--flow", "a/b -> c/d tcp/1", "-o", "xml"],
        vec![
            "eval",
            "-f",
            c,
            "--flow",
            "a/b -> c/d tcp/1",
            "--dns",
            "nonsense",
        ],
        vec!["eval", "-f", c, "--flow", "a/b -> c/d tcp/1", "--dns-file"],
        vec!["eval", "--flow", "a/b -> c/d tcp/1"],
    ] {
        let output = palisade().args(&args).output().expect("run");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn the_example_cluster_answers_as_the_demo_says() {
    let output = palisade()
        .args(["eval", "-q", "-o", "jsonl", "-f"])
        .arg(examples("cluster"))
        .args(["--flow", "default/client -> default/web tcp/80"])
        .args(["--flow", "default/cat -> kube-system/coredns udp/53"])
        .args([
            "--flow",
            "monitoring/prometheus -> hostendpoint/my-host-eth0 tcp/9100",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = json_lines(&output);
    // Equal (absent) orders: `allow-egress-same-namespace/default/NetworkPolicy` sorts before
    // `deny-blue//GlobalNetworkPolicy` (D1), so the Calico allow decides web's ingress.
    assert_eq!(
        lines[0]["ingress"],
        json!({"verdict": "allow", "by": "rule", "tier": "default",
            "policy": "allow-egress-same-namespace", "kind": "NetworkPolicy",
            "namespace": "default", "rule": 0})
    );
    // The security tier (order 100) denies before the platform tier (order 200) allows.
    assert_eq!(
        lines[1]["egress"],
        json!({"verdict": "deny", "by": "rule", "tier": "security",
            "policy": "security.block-cat-egress", "kind": "NetworkPolicy",
            "namespace": "default", "rule": 0})
    );
    // Same node: defaultEndpointToHostAction Accept (the example's FelixConfiguration).
    assert_eq!(lines[2]["ingress"], default("allow"));
    assert_eq!(lines[2]["verdict"], "allow");
}
