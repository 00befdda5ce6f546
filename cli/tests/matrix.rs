//! `palisade matrix`: the reachability table agrees with `eval` cell by cell, restricts by
//! namespace and selector, and reports usage and input errors with the right exit codes.

mod common;

use common::{cluster, examples, json_lines, palisade, stderr, stdout};
use serde_json::Value;

fn matrix_json(file: &std::path::Path, extra: &[&str]) -> Value {
    let output = palisade()
        .args(["matrix", "-q", "-o", "json", "-f"])
        .arg(file)
        .args(extra)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("JSON")
}

fn names(m: &Value) -> Vec<String> {
    m["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| e.as_str().expect("string").to_owned())
        .collect()
}

#[test]
fn every_cell_is_the_verdict_eval_gives() {
    let m = matrix_json(&cluster(), &["--port", "tcp/5432", "--port", "tcp/8080"]);
    let endpoints = names(&m);
    assert_eq!(endpoints, ["shop/api", "shop/web", "vault/db"]);
    for port in m["ports"].as_array().expect("ports") {
        let spec = port["port"].as_str().expect("port").to_lowercase();
        let mut eval = palisade();
        eval.args(["eval", "-q", "-o", "jsonl", "-f"])
            .arg(cluster());
        for src in &endpoints {
            for dst in &endpoints {
                eval.args(["--flow", &format!("{src} -> {dst} {spec}")]);
            }
        }
        let output = eval.output().expect("run");
        let answers = json_lines(&output);
        for (i, src) in endpoints.iter().enumerate() {
            for (j, dst) in endpoints.iter().enumerate() {
                let answer = &answers[i * endpoints.len() + j];
                let allowed = answer["verdict"] == "allow";
                assert_eq!(
                    port["allowed"][i][j],
                    Value::Bool(allowed),
                    "{src} -> {dst} {spec}"
                );
            }
        }
    }
    // Spot checks derived by hand (see tests/eval.rs): api reaches db on 5432; web never does.
    let pg = &m["ports"][0];
    assert_eq!(pg["dstPort"], 5432);
    assert_eq!(pg["allowed"][0][2], true);
    assert_eq!(pg["allowed"][1][2], false);
}

#[test]
fn the_example_cluster_matrix() {
    let m = matrix_json(
        &examples("cluster"),
        &["--port", "tcp/80", "--port", "udp/53"],
    );
    let endpoints = names(&m);
    let at = |port: usize, src: &str, dst: &str| {
        let i = endpoints.iter().position(|e| e == src).expect(src);
        let j = endpoints.iter().position(|e| e == dst).expect(dst);
        m["ports"][port]["allowed"][i][j].clone()
    };
    // The blue client reaches the red web pod on 80 (the tie-break lets the Calico allow win).
    assert_eq!(at(0, "default/client", "default/web"), true);
    assert_eq!(at(0, "default/web", "default/client"), false);
    // The ingress controller reaches the prod backends; prod pods reach each other.
    assert_eq!(at(0, "nginx-ingress/controller", "prod/frontend"), true);
    assert_eq!(at(0, "prod/frontend", "prod/orders"), true);
    // cat's egress is denied by the security tier, whatever the destination.
    for dst in &endpoints {
        assert_eq!(at(0, "default/cat", dst), false, "cat -> {dst}");
        assert_eq!(at(1, "default/cat", dst), false, "cat -> {dst} (dns)");
    }
    // DNS: default's KNP allows it; monitoring's deny-all does not.
    assert_eq!(at(1, "default/client", "kube-system/coredns"), true);
    assert_eq!(at(1, "monitoring/prometheus", "kube-system/coredns"), false);
}

#[test]
fn namespaces_and_selectors_restrict_the_rows_and_columns() {
    let m = matrix_json(&cluster(), &["--namespace", "vault", "--namespace", "shop"]);
    assert_eq!(names(&m).len(), 3);
    let m = matrix_json(&cluster(), &["--namespace", "shop"]);
    assert_eq!(names(&m), ["shop/api", "shop/web"]);
    // Effective labels include the namespace profile's `pcns.` labels.
    let m = matrix_json(
        &cluster(),
        &["--selector", "pcns.team == 'vault' || app == 'api'"],
    );
    assert_eq!(names(&m), ["shop/api", "vault/db"]);
    // The default port is tcp/80.
    assert_eq!(m["ports"][0]["port"], "TCP/80");
}

#[test]
fn the_table_marks_allowed_and_denied_cells() {
    let output = palisade()
        .args(["matrix", "-q", "--port", "tcp/5432", "-f"])
        .arg(cluster())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("shop/") || l.contains("vault/"))
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    // shop/api's row: api → db allowed (the third column).
    let marks: Vec<&str> = rows[0].split_whitespace().skip(2).collect();
    assert_eq!(marks, ["X", "X", "."], "{text}");
}

#[test]
fn jsonl_gives_one_eval_object_per_cell() {
    let output = palisade()
        .args([
            "matrix", "-q", "-o", "jsonl", "--port", "tcp/5432", "--port", "icmp/8", "-f",
        ])
        .arg(cluster())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 2 * 3 * 3);
    assert_eq!(lines[2]["src"], "shop/api");
    assert_eq!(lines[2]["dst"], "vault/db");
    assert_eq!(lines[2]["verdict"], "allow");
    assert_eq!(lines[9]["protocol"], "ICMP");
    assert_eq!(lines[9]["icmpType"], 8);
}

#[test]
fn pending_shows_the_staged_verdicts() {
    let enforced = matrix_json(&cluster(), &["--port", "tcp/8080"]);
    let pending = matrix_json(&cluster(), &["--port", "tcp/8080", "--pending"]);
    // db → web: web's ingress is allowed by its namespace profile, but the staged
    // staged-deny-web denies it in the pending verdict (D8). db's egress: profile allow.
    assert_eq!(enforced["ports"][0]["allowed"][2][1], true);
    assert_eq!(pending["ports"][0]["allowed"][2][1], false);
}

#[test]
fn errors_and_usage() {
    let bad_port = palisade()
        .args(["matrix", "--port", "tcp/0", "-f"])
        .arg(cluster())
        .output()
        .expect("run");
    assert_eq!(bad_port.status.code(), Some(2));
    let bad_selector = palisade()
        .args(["matrix", "--selector", "app ==", "-f"])
        .arg(cluster())
        .output()
        .expect("run");
    assert_eq!(bad_selector.status.code(), Some(1));
    assert!(stderr(&bad_selector).contains("--selector"));
    let nothing = palisade()
        .args(["matrix", "--namespace", "nowhere", "-f"])
        .arg(cluster())
        .output()
        .expect("run");
    assert_eq!(nothing.status.code(), Some(1));
    assert!(stderr(&nothing).contains("namespaces nowhere"));
}
