//! `palisade conform`: runs a case directory and generated cases on the chosen engines, prints
//! a summary table per part, exits 0 when every engine agreed and 1 on any disagreement.

use std::fs;
use std::path::PathBuf;

use assert_cmd::Command;

fn palisade() -> Command {
    Command::cargo_bin("palisade").expect("the palisade binary")
}

/// A fresh directory for this test's case files.
fn case_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("palisade-conform-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create the case directory");
    dir
}

/// One case: a GlobalNetworkPolicy that denies TCP/22 into `app == 'b'`; `expected` is the
/// verdict written for the flow to port 22 (deny is right, SEMANTICS §2.5).
fn case_file(expected: &str) -> String {
    let decision = if expected == "deny" {
        "{verdict: deny, by: rule, tier: default, policy: no-ssh, kind: GlobalNetworkPolicy, rule: 0}"
    } else {
        "{verdict: allow, by: profile, policy: kns.ns1, kind: Profile, rule: 0}"
    };
    format!(
        r#"cases:
- name: cli/deny-ssh
  topics: [tiers]
  semantics: "§2.5 a Deny rule decides"
  resources: |
    {{apiVersion: v1, kind: Namespace, metadata: {{name: ns1}}}}
    ---
    {{apiVersion: v1, kind: Pod, metadata: {{name: a, namespace: ns1, labels: {{app: a}}}}, spec: {{nodeName: node1}}, status: {{podIP: 10.0.1.1}}}}
    ---
    {{apiVersion: v1, kind: Pod, metadata: {{name: b, namespace: ns1, labels: {{app: b}}}}, spec: {{nodeName: node1}}, status: {{podIP: 10.0.1.2}}}}
    ---
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {{name: no-ssh}}
    spec:
      selector: app == 'b'
      ingress:
      - {{action: Deny, protocol: TCP, destination: {{ports: [22]}}}}
      - {{action: Allow}}
  flows:
  - flow: "ns1/a -> ns1/b tcp/22"
    expect:
      verdict: {expected}
      egress: {{verdict: allow, by: profile, policy: kns.ns1, kind: Profile, rule: 0}}
      ingress: {decision}
  - flow: "ns1/a -> ns1/b tcp/80"
    expect:
      verdict: allow
      egress: {{verdict: allow, by: profile, policy: kns.ns1, kind: Profile, rule: 0}}
      ingress: {{verdict: allow, by: rule, tier: default, policy: no-ssh, kind: GlobalNetworkPolicy, rule: 1}}
"#
    )
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn agreeing_engines_exit_zero_with_a_summary_table() {
    let dir = case_dir("good");
    fs::write(dir.join("cases.yaml"), case_file("deny")).expect("write");
    let output = palisade()
        .args(["conform", "--cases"])
        .arg(&dir)
        .args([
            "--generated",
            "60",
            "--engines",
            "reference,ir,fast",
            "--seed",
            "3",
        ])
        .output()
        .expect("run");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("corpus: 1 cases, 2 flows, from "), "{out}");
    assert!(out.contains("generated: "), "{out}");
    assert!(out.contains("seed 3 (rerun with --seed 3)"), "{out}");
    // One row per chosen engine, after a header with the columns the issue asks for.
    let header = out
        .lines()
        .find(|l| l.starts_with("engine"))
        .expect("a table header");
    for column in ["cases", "flows", "agree", "skipped", "failed", "status"] {
        assert!(header.contains(column), "{header}");
    }
    let first_table: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("engine"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    let engines: Vec<&str> = first_table
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(engines, vec!["reference", "ir", "fast"], "{out}");
    for row in &first_table {
        let cells: Vec<&str> = row.split_whitespace().collect();
        // cases 1, flows 2, agree 2, skipped 0, failed 0, status ok.
        assert_eq!(&cells[1..6], &["1", "2", "2", "0", "0"], "{row}");
        assert_eq!(cells.last(), Some(&"ok"), "{row}");
    }
    assert!(out.trim_end().ends_with("ok: every engine agreed"), "{out}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_disagreement_exits_one_and_is_reported_in_full() {
    let dir = case_dir("bad");
    // A wrong expectation: every engine disagrees with it.
    fs::write(dir.join("cases.yaml"), case_file("allow")).expect("write");
    let output = palisade()
        .args(["conform", "--cases"])
        .arg(&dir)
        .args(["--generated", "0", "--engines", "reference,fast"])
        .output()
        .expect("run");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("FAILURE 1/1 (corpus): case `cli/deny-ssh` ("),
        "{out}"
    );
    assert!(out.contains("cases.yaml:2)"), "{out}");
    assert!(
        out.contains("flows[0] (enforced): ns1/a -> ns1/b tcp/22"),
        "{out}"
    );
    assert!(
        out.contains("reference: DIFFERS in verdict, ingress"),
        "{out}"
    );
    assert!(out.contains("fast: DIFFERS in verdict, ingress"), "{out}");
    assert!(
        out.contains("{verdict: deny, by: rule, tier: default, policy: no-ssh, kind: GlobalNetworkPolicy, rule: 0}   <-- differs"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("FAILED: 1 failure"), "{out}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn unavailable_kernel_engines_are_reported_never_passed() {
    let dir = case_dir("kernel");
    fs::write(dir.join("cases.yaml"), case_file("deny")).expect("write");
    let run = |extra: &[&str]| {
        palisade()
            .args(["conform", "--cases"])
            .arg(&dir)
            .args(["--generated", "0", "--engines", "reference,nft"])
            .args(extra)
            .output()
            .expect("run")
    };
    let output = run(&[]);
    let out = stdout(&output);
    let row = out
        .lines()
        .find(|l| l.starts_with("nft"))
        .expect("an nft row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    if row.contains("NOT BUILT") || row.contains("SKIPPED") {
        // It agreed with nothing and skipped every flow, loudly; required, it fails the run.
        assert_eq!(&cells[3..6], &["0", "2", "0"], "{row}");
        assert_eq!(output.status.code(), Some(0), "{out}");
        let required = run(&["--require-kernel"]);
        let out = stdout(&required);
        assert_eq!(required.status.code(), Some(1), "{out}");
        assert!(
            out.contains("is required (PALISADE_REQUIRE_KERNEL_ENGINES=1) but did not run"),
            "{out}"
        );
    } else {
        // Built and running as root: it decides both flows.
        assert_eq!(&cells[3..6], &["2", "0", "0"], "{row}");
        assert_eq!(output.status.code(), Some(0), "{out}");
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn unknown_engines_are_usage_errors() {
    let output = palisade()
        .args(["conform", "--engines", "reference,bogus"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("unknown engine `bogus`"), "{err}");
}
