//! Facts about the bench process from `/proc/self/status`.

/// The value of a `/proc/self/status` line (`Key:\tvalue`), if present.
fn status_field(key: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix(key)?
            .strip_prefix(':')
            .map(|v| v.trim().to_owned())
    })
}

/// Whether the process runs with effective user id 0 (the kernel benches need it).
pub fn is_root() -> bool {
    status_field("Uid")
        .and_then(|v| v.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}

/// The process's peak resident set (`VmHWM`, e.g. `389120 kB`), or `unknown`.
pub fn peak_rss() -> String {
    status_field("VmHWM").unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_rss_is_read_in_kilobytes() {
        assert!(peak_rss().ends_with("kB"), "{}", peak_rss());
    }

    #[test]
    fn root_matches_the_effective_uid_from_proc() {
        let uid_line = status_field("Uid").expect("a Uid line");
        let euid = uid_line
            .split_whitespace()
            .nth(1)
            .expect("an effective uid");
        assert_eq!(is_root(), euid == "0");
    }
}
