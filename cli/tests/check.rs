//! `palisade check`: every problem with its location on stdout, exit 1 if any, 0 otherwise.

use std::path::PathBuf;

use assert_cmd::Command;

fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

fn palisade() -> Command {
    Command::cargo_bin("palisade").expect("the palisade binary")
}

#[test]
fn clean_inputs_exit_zero() {
    let output = palisade()
        .args(["check", "-f"])
        .arg(data("good/policies.yaml"))
        .arg("-f")
        .arg(data("good/pods.json"))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.trim(), "ok: 3 resources valid");
}

#[test]
fn directories_are_read_recursively() {
    let output = palisade()
        .args(["check", "-f"])
        .arg(data("good"))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn every_problem_is_printed_with_file_line_column_and_path() {
    let file = data("bad/policy.yaml");
    let output = palisade()
        .args(["check", "-f"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let f = file.display();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(
        lines[0].starts_with(&format!("{f}:8:3: spec.ingres: unknown field `ingres`")),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("did you mean `ingress`?"));
    assert!(
        lines[1].starts_with(&format!("{f}:13:15: spec.egress[0].destination.ports[0]: ")),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("protocol"));
    assert!(
        lines[2].starts_with(&format!("{f}:15:13: apiVersion: unknown kind")),
        "{}",
        lines[2]
    );
    assert!(lines[2].contains("networking.k8s.io/v1"));
    assert_eq!(lines[3], "3 problems found; 0 resources valid");
}

#[test]
fn lenient_mode_ignores_unknown_fields() {
    let file = data("bad/cluster-dump.yaml");
    let strict = palisade()
        .args(["check", "-f"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(strict.status.code(), Some(1));
    let lenient = palisade()
        .args(["check", "--lenient", "-f"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(lenient.status.code(), Some(0));
}

#[test]
fn missing_files_are_problems_not_panics() {
    let output = palisade()
        .args(["check", "-f", "/nonexistent/palisade.yaml"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("/nonexistent/palisade.yaml: cannot read file"),
        "{stdout}"
    );
}

#[test]
fn binary_garbage_is_a_problem() {
    let dir = std::env::temp_dir().join(format!("palisade-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("garbage.yaml");
    std::fs::write(&file, b"\x00\x01{[}: \xff").expect("write");
    let output = palisade()
        .args(["check", "-f"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_file_option_is_required() {
    let output = palisade().arg("check").output().expect("run");
    assert_eq!(output.status.code(), Some(2));
}
