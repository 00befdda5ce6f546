//! The thin layer over aya: the only code that makes syscalls.

mod datapath;
pub(crate) mod glue;
mod netns;

pub use datapath::{
    AttachPoint, CtEntry, Datapath, DatapathConfig, Event, EventKind, IfaceConfig, PublishStats,
    RunReport, Stage, TestRunner,
};
pub use netns::{NETNS_DIR, NetnsGuard};

/// The index of the network interface `name` in the calling thread's network namespace.
pub fn ifindex(name: &str) -> Result<u32, crate::Error> {
    glue::ifindex(name).map_err(|_| crate::Error::NoInterface(name.to_owned()))
}
