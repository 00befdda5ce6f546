//! `palisade compile`: the IR and classifier dumps of an endpoint's hooks.

mod common;

use common::{cluster, palisade, stderr, stdout};
use serde_json::Value;

fn compile(extra: &[&str]) -> std::process::Output {
    palisade()
        .args(["compile", "-q", "-f"])
        .arg(cluster())
        .args(extra)
        .output()
        .expect("run")
}

fn json(extra: &[&str]) -> Value {
    let output = compile(extra);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("JSON")
}

#[test]
fn the_ir_lists_tiers_profiles_and_the_final_rule_in_order() {
    let dump = json(&[
        "--endpoint",
        "shop/api",
        "--direction",
        "egress",
        "-o",
        "json",
    ]);
    let programs = dump.as_array().expect("array");
    assert_eq!(programs.len(), 1);
    let p = &programs[0];
    assert_eq!(p["target"]["hook"], "workload-egress");
    let rules = p["program"]["rules"].as_array().expect("rules");
    let origins: Vec<&str> = rules
        .iter()
        .map(|r| r["origin"]["by"].as_str().expect("by"))
        .collect();
    // platform.api-egress's two rules, the platform tier's end (Deny), the kns.shop profile's
    // allow, the final drop (DESIGN §2, SEMANTICS §2.5).
    assert_eq!(
        origins,
        ["rule", "rule", "end-of-tier", "profile", "no-match"]
    );
    // The rule selector's set holds db's address.
    let sets = p["sets"].as_array().expect("sets");
    assert!(
        sets.iter()
            .any(|s| s["members"]["members"] == serde_json::json!(["10.1.1.10/32"])),
        "{sets:?}"
    );
}

#[test]
fn the_ir_text_names_each_rule_s_origin() {
    let output = compile(&["--endpoint", "shop/api", "--hook", "workload-egress"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("# shop/api workload-egress"), "{text}");
    assert!(
        text.contains("NetworkPolicy shop/platform.api-egress, rule 0"),
        "{text}"
    );
    assert!(text.contains("end of tier platform"), "{text}");
    assert!(text.contains("IP sets"), "{text}");
}

#[test]
fn host_endpoints_have_seven_hooks() {
    let all = json(&["--endpoint", "hostendpoint/h1", "-o", "json"]);
    assert_eq!(all.as_array().expect("array").len(), 7);
    let egress = json(&[
        "--endpoint",
        "hostendpoint/h1",
        "--direction",
        "egress",
        "-o",
        "json",
    ]);
    assert_eq!(egress.as_array().expect("array").len(), 3);
    // Host ingress starts with the failsafe rules (DECISIONS D6).
    let ingress = json(&[
        "--endpoint",
        "hostendpoint/h1",
        "--hook",
        "host-ingress",
        "-o",
        "json",
    ]);
    assert_eq!(
        ingress[0]["program"]["rules"][0]["origin"]["by"],
        "failsafe"
    );
}

#[test]
fn pending_compiles_staged_policies_as_enforced() {
    let count = |extra: &[&str]| {
        let mut args = vec![
            "--endpoint",
            "shop/web",
            "--hook",
            "workload-ingress",
            "-o",
            "json",
        ];
        args.extend_from_slice(extra);
        json(&args)[0]["program"]["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .filter(|r| r["origin"]["policy"]["name"] == "staged-deny-web")
            .count()
    };
    assert_eq!(count(&[]), 0);
    assert_eq!(count(&["--pending"]), 1);
}

#[test]
fn the_classifier_covers_every_rule() {
    let dump = json(&[
        "--endpoint",
        "vault/db",
        "--emit",
        "classifier",
        "-o",
        "json",
    ]);
    let ir = json(&["--endpoint", "vault/db", "-o", "json"]);
    for (c, p) in dump
        .as_array()
        .expect("array")
        .iter()
        .zip(ir.as_array().expect("array"))
    {
        assert_eq!(c["target"], p["target"]);
        assert_eq!(
            c["tables"]["rules"].as_array().map(Vec::len),
            p["program"]["rules"].as_array().map(Vec::len)
        );
        assert_eq!(
            c["stats"]["rules"],
            c["tables"]["rules"].as_array().map(Vec::len).unwrap_or(0)
        );
    }
    let text = compile(&["--endpoint", "vault/db", "--emit", "classifier"]);
    assert_eq!(text.status.code(), Some(0));
    assert!(stdout(&text).contains("fast classifier"));
}

#[test]
fn errors_and_usage() {
    let unknown = compile(&["--endpoint", "shop/nobody"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("unknown endpoint shop/nobody"));
    let wrong_hook = compile(&["--endpoint", "shop/web", "--hook", "host-ingress"]);
    assert_eq!(wrong_hook.status.code(), Some(1));
    assert!(stderr(&wrong_hook).contains("has no host-ingress hook"));
    for args in [
        vec!["--endpoint", "10.1.0.10"],
        vec!["--endpoint", "nonsense"],
        vec!["--endpoint", "shop/web", "--emit", "nft-but-not-yet"],
        vec![],
    ] {
        let output = compile(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}
