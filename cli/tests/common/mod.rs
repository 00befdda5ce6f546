//! Helpers shared by the integration tests: the binary, the test data and the examples.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

/// The `palisade` binary.
pub fn palisade() -> Command {
    Command::cargo_bin("palisade").expect("the palisade binary")
}

/// A file under `cli/tests/data/`.
pub fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

/// The `examples/` folder of the source tree (or a file in it).
pub fn examples(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(path)
}

/// The test cluster of `cli/tests/data/eval/`.
pub fn cluster() -> PathBuf {
    data("eval/cluster.yaml")
}

/// Standard output, as text.
pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error, as text.
pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every line of standard output, parsed as JSON.
pub fn json_lines(output: &std::process::Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}
