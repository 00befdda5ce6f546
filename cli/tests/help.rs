//! `--help` is complete: every subcommand documents every option, and usage errors exit 2.

mod common;

use common::{palisade, stdout};

#[test]
fn every_subcommand_documents_its_options() {
    for (command, options) in [
        (
            vec!["eval"],
            vec![
                "--filename",
                "--lenient",
                "--quiet",
                "--flow",
                "--flows",
                "--backend",
                "nft",
                "ebpf",
                "--output",
                "--explain",
                "--staged",
                "--http",
                "--dns",
                "--dns-file",
            ],
        ),
        (
            vec!["matrix"],
            vec![
                "--filename",
                "--port",
                "--namespace",
                "--selector",
                "--backend",
                "--output",
                "--pending",
                "--http",
                "--dns",
            ],
        ),
        (
            vec!["compile"],
            vec![
                "--filename",
                "--endpoint",
                "--direction",
                "--hook",
                "--emit",
                "--interface",
                "--words",
                "--output",
                "--pending",
                "--http",
                "nft",
                "ebpf-maps",
            ],
        ),
        (
            vec!["apply"],
            vec![
                "--filename",
                "--dataplane",
                "--interface",
                "--http",
                "--dns",
            ],
        ),
        (vec!["remove"], vec!["--dataplane", "--interface"]),
        (
            vec!["select"],
            vec!["--filename", "--output", "--labels", "<SELECTOR>"],
        ),
        (vec!["demo"], vec!["--examples"]),
        (vec!["check"], vec!["--filename", "--lenient"]),
        (vec!["selector", "match"], vec!["--labels", "--label"]),
    ] {
        let output = palisade()
            .args(&command)
            .arg("--help")
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(0), "{command:?}");
        let text = stdout(&output);
        for option in options {
            assert!(
                text.contains(option),
                "{command:?} --help lacks {option}:\n{text}"
            );
        }
    }
    let top = palisade().arg("--help").output().expect("run");
    let text = stdout(&top);
    for command in [
        "check", "eval", "matrix", "compile", "select", "selector", "demo", "apply", "remove",
    ] {
        assert!(text.contains(command), "palisade --help lacks {command}");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["eval", "--nonsense"],
        vec![
            "apply",
            "-f",
            "x.yaml",
            "--dataplane",
            "iptables",
            "--interface",
            "a=b/c",
        ],
        vec!["remove"],
    ] {
        let output = palisade().args(&args).output().expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}
