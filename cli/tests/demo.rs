//! `palisade demo`: the README's main command runs on the built-in example cluster, from any
//! directory, and shows the matrix and the explained flows.

mod common;

use std::time::Instant;

use common::{examples, palisade, stderr, stdout};

#[test]
fn the_demo_runs_anywhere_and_explains_its_flows() {
    let start = Instant::now();
    let output = palisade()
        .arg("demo")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run");
    let elapsed = start.elapsed();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    // What was loaded, tier by tier.
    assert!(
        text.contains("security (order 100, default action Pass)"),
        "{text}"
    );
    // The matrix for both ports.
    assert!(text.contains("TCP/80 — rows: source"), "{text}");
    assert!(text.contains("UDP/53 — rows: source"), "{text}");
    // Each explained flow with the verdict SEMANTICS gives (see tests/eval.rs for the JSON).
    for (flow, verdict, why) in [
        (
            "default/cat -> kube-system/coredns UDP/53",
            "DENY",
            "security.block-cat-egress",
        ),
        (
            "prod/frontend -> prod/database TCP/22",
            "ALLOW",
            "logged by rule 0 of GlobalNetworkPolicy security.log-ssh",
        ),
        (
            "default/client -> default/web TCP/80",
            "ALLOW",
            "NetworkPolicy default/allow-egress-same-namespace",
        ),
        (
            "default/client -> default/web TCP/8080",
            "DENY",
            "GlobalNetworkPolicy deny-blue",
        ),
        (
            "monitoring/prometheus -> monitoring/alertmanager TCP/9093",
            "DENY",
            "end of tier default",
        ),
        (
            "203.0.113.7 -> hostendpoint/my-host-eth0 TCP/22",
            "ALLOW",
            "failsafe entry 0",
        ),
        (
            "203.0.113.7 -> hostendpoint/my-host-eth0 TCP/8080",
            "DENY",
            "end of tier default",
        ),
        (
            "monitoring/prometheus -> hostendpoint/my-host-eth0 TCP/9100",
            "ALLOW",
            "defaultEndpointToHostAction (Accept)",
        ),
    ] {
        let at = text
            .find(&format!("{flow}  {verdict}"))
            .unwrap_or_else(|| panic!("{flow} {verdict} missing:\n{text}"));
        let section = &text[at..];
        let end = section.find("\n\n").unwrap_or(section.len());
        assert!(section[..end].contains(why), "{flow}: {}", &section[..end]);
    }
    // "Runs in well under a second once built" — generous bound for a loaded CI machine.
    assert!(elapsed.as_secs() < 10, "{elapsed:?}");
}

#[test]
fn the_demo_reads_another_examples_directory() {
    let built_in = palisade().arg("demo").output().expect("run");
    let from_disk = palisade()
        .args(["demo", "--examples"])
        .arg(examples("cluster"))
        .output()
        .expect("run");
    assert_eq!(from_disk.status.code(), Some(0));
    // Everything but the title line is the same.
    let body = |o: &std::process::Output| stdout(o).lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&built_in), body(&from_disk));

    let missing = palisade()
        .args(["demo", "--examples", "/nonexistent/examples"])
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("/nonexistent/examples"));
}
