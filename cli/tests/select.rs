//! `palisade select`: endpoints and network sets matched by effective labels.

mod common;

use common::{cluster, palisade, stderr, stdout};
use serde_json::Value;

fn select(selector: &str) -> Vec<Value> {
    let output = palisade()
        .args(["select", "-q", "-o", "json", "-f"])
        .arg(cluster())
        .arg(selector)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let v: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    v.as_array().expect("array").clone()
}

fn names(matches: &[Value]) -> Vec<&str> {
    matches
        .iter()
        .map(|m| m["name"].as_str().expect("name"))
        .collect()
}

#[test]
fn own_labels_select_with_addresses() {
    let m = select("app == 'db'");
    assert_eq!(names(&m), ["vault/db"]);
    assert_eq!(m[0]["kind"], "workloadEndpoint");
    assert_eq!(m[0]["addresses"], serde_json::json!(["10.1.1.10"]));
    let h = select("role == 'node'");
    assert_eq!(names(&h), ["hostendpoint/h1"]);
    assert_eq!(h[0]["addresses"], serde_json::json!(["10.9.0.1"]));
}

#[test]
fn inherited_labels_select_too() {
    // Namespace labels reach pods and namespaced network sets as `pcns.*` (SEMANTICS §2.6).
    assert_eq!(
        names(&select("pcns.team == 'shop'")),
        ["shop/api", "shop/web", "shop/cdn"]
    );
    // Calico's own labels: host endpoints and global network sets have no namespace.
    assert_eq!(
        names(&select("!has(projectcalico.org/namespace)")),
        ["hostendpoint/h1", "partners"]
    );
    let sets = select("has(kind)");
    assert_eq!(sets[0]["kind"], "globalNetworkSet");
    assert_eq!(sets[0]["addresses"], serde_json::json!(["198.51.100.0/24"]));
    assert_eq!(sets[1]["kind"], "networkSet");
}

#[test]
fn the_table_lists_matches_and_a_count() {
    let output = palisade()
        .args(["select", "-q", "-f"])
        .arg(cluster())
        .arg("has(app)")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("shop/web"), "{text}");
    assert!(text.contains("10.1.0.10"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("3 matches")), "{text}");
}

#[test]
fn an_invalid_selector_is_an_input_error() {
    let output = palisade()
        .args(["select", "-f"])
        .arg(cluster())
        .arg("app == ")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains('^'), "{}", stderr(&output));
    let usage = palisade()
        .args(["select", "-f"])
        .arg(cluster())
        .output()
        .expect("run");
    assert_eq!(usage.status.code(), Some(2));
}
