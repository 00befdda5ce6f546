//! Support for tests that need root: the root check (with a loud skip when
//! `PALISADE_SKIP_KERNEL_TESTS=1`), a network namespace per test that is deleted even when the
//! test fails, and a lock that runs kernel tests of one binary one at a time.

#![allow(dead_code)]

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use palisade_dataplane_ebpf::sys::NetnsGuard;

static SERIAL: Mutex<()> = Mutex::new(());
static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

/// True when the test may run. Without root: a loud skip if `PALISADE_SKIP_KERNEL_TESTS=1`,
/// else a failure that says why.
pub(crate) fn root_or_skip(test: &str) -> bool {
    if is_root() {
        return true;
    }
    if std::env::var("PALISADE_SKIP_KERNEL_TESTS").as_deref() == Ok("1") {
        eprintln!("SKIPPED (not root): {test} needs root for BPF and network namespaces");
        return false;
    }
    panic!(
        "{test} needs root (BPF programs, network namespaces); run as root, or set \
         PALISADE_SKIP_KERNEL_TESTS=1 to skip kernel tests"
    );
}

/// Runs kernel tests of this binary one at a time.
pub(crate) fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `ip` with `args`; panics with its output on failure.
pub(crate) fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run ip: {e}"));
    assert!(
        out.status.success(),
        "ip {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `ip -n NS args…`.
pub(crate) fn ip_in(ns: &str, args: &[&str]) {
    let mut all = vec!["-n", ns];
    all.extend_from_slice(args);
    ip(&all);
}

/// A named network namespace that exists while this value lives (deleted on drop, also when
/// the test panics).
pub(crate) struct Netns {
    pub(crate) name: String,
}

impl Netns {
    pub(crate) fn new(tag: &str) -> Netns {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("pal-{tag}-{}-{n}", std::process::id());
        ip(&["netns", "add", &name]);
        ip_in(&name, &["link", "set", "lo", "up"]);
        Netns { name }
    }

    /// Moves the calling thread into this namespace until the guard drops.
    pub(crate) fn enter(&self) -> NetnsGuard {
        NetnsGuard::enter_named(&self.name)
            .unwrap_or_else(|e| panic!("cannot enter {}: {e}", self.name))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}
