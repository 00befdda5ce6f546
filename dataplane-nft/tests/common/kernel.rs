//! Privilege checks and the `nft` command line in a namespace.

use std::io::Write;
use std::process::{Command, Stdio};

use palisade_dataplane_nft::netns::NetnsThread;

/// True when kernel tests can run. Not root: panics with a clear message, unless
/// `PALISADE_SKIP_KERNEL_TESTS=1`, in which case it prints a loud SKIPPED line and returns false.
pub(crate) fn kernel_tests_enabled(test: &str) -> bool {
    // SAFETY-free check: the effective uid from /proc.
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false);
    if root {
        return true;
    }
    if std::env::var("PALISADE_SKIP_KERNEL_TESTS").as_deref() == Ok("1") {
        eprintln!("SKIPPED (not root): {test} needs root for network namespaces and nftables");
        return false;
    }
    panic!(
        "{test} needs root (network namespaces, nftables); run as root or set \
         PALISADE_SKIP_KERNEL_TESTS=1 to skip kernel tests explicitly"
    );
}

/// Runs `nft ARGS` in the namespace, feeding `stdin`; returns stdout, or the error text.
pub(crate) fn nft(
    ns: &NetnsThread,
    args: &[&str],
    stdin: Option<String>,
) -> Result<String, String> {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    ns.run(move || {
        let mut child = Command::new("nft")
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run nft: {e}"))?;
        if let Some(input) = stdin {
            let mut s = child.stdin.take().ok_or("no stdin")?;
            s.write_all(input.as_bytes()).map_err(|e| e.to_string())?;
        } else {
            drop(child.stdin.take());
        }
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "nft {:?} failed: {}",
                args,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    })
    .map_err(|e| e.to_string())?
}

/// Runs a command in the namespace; errors include stderr.
pub(crate) fn sh(ns: &NetnsThread, cmd: &str, args: &[&str]) -> Result<String, String> {
    let cmd = cmd.to_owned();
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    ns.run(move || {
        let out = Command::new(&cmd)
            .args(&args)
            .output()
            .map_err(|e| format!("cannot run {cmd}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{cmd} {:?} failed: {}",
                args,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    })
    .map_err(|e| e.to_string())?
}

/// `nft -j list ruleset` as JSON values with what differs between two equal rulesets removed:
/// handles, counter values, metainfo; objects sorted.
pub(crate) fn listing(ns: &NetnsThread) -> Vec<serde_json::Value> {
    let text = nft(ns, &["-j", "list", "ruleset"], None).expect("nft list");
    let v: serde_json::Value = serde_json::from_str(&text).expect("nft json");
    let mut items: Vec<serde_json::Value> = v["nftables"]
        .as_array()
        .expect("nftables array")
        .iter()
        .filter(|i| i.get("metainfo").is_none())
        .cloned()
        .map(|mut i| {
            strip(&mut i);
            i
        })
        .collect();
    items.sort_by_key(|i| i.to_string());
    items
}

fn strip(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.remove("handle");
            if let Some(o) = m
                .get_mut("counter")
                .and_then(serde_json::Value::as_object_mut)
            {
                o.remove("packets");
                o.remove("bytes");
            }
            for (_, x) in m.iter_mut() {
                strip(x);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}
