//! Network namespaces for the calling thread: enter a named namespace (`ip netns` style) and
//! return to the previous one when the guard drops.

use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use super::glue;

/// Where `ip netns` keeps named namespaces.
pub const NETNS_DIR: &str = "/var/run/netns";

/// The calling thread is in another network namespace until this guard drops.
#[derive(Debug)]
pub struct NetnsGuard {
    previous: File,
    entered: PathBuf,
}

impl NetnsGuard {
    /// Enters the namespace at `path` (e.g. `/var/run/netns/NAME` or `/proc/PID/ns/net`).
    pub fn enter(path: &Path) -> io::Result<NetnsGuard> {
        let previous = File::open("/proc/thread-self/ns/net")?;
        let target = File::open(path)?;
        glue::setns_net(target.as_fd())?;
        Ok(NetnsGuard {
            previous,
            entered: path.to_owned(),
        })
    }

    /// Enters the named namespace (`ip netns add NAME`).
    pub fn enter_named(name: &str) -> io::Result<NetnsGuard> {
        NetnsGuard::enter(&Path::new(NETNS_DIR).join(name))
    }

    /// The namespace entered.
    pub fn path(&self) -> &Path {
        &self.entered
    }
}

impl Drop for NetnsGuard {
    fn drop(&mut self) {
        // Best effort: a thread that cannot return keeps running in the entered namespace.
        let _ = glue::setns_net(self.previous.as_fd());
    }
}
