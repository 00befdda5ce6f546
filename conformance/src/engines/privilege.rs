//! Whether this process may use the kernel engines: read from `/proc/self/status` (no
//! syscall wrappers, no `unsafe`).

use std::fs;

/// The privileges that matter to the kernel engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Privilege {
    /// The effective user id, when it could be read.
    pub euid: Option<u32>,
}

impl Privilege {
    /// True when running as root (effective uid 0).
    pub fn is_root(&self) -> bool {
        self.euid == Some(0)
    }
}

/// The privileges of this process.
pub fn privilege() -> Privilege {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    Privilege {
        euid: parse_euid(&status),
    }
}

/// The effective uid from the `Uid:` line (real, effective, saved, filesystem).
fn parse_euid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|e| e.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_effective_uid() {
        let status = "Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t1\t1\t1\t1\n";
        assert_eq!(parse_euid(status), Some(0));
        assert_eq!(parse_euid("Name:\tx\n"), None);
    }
}
