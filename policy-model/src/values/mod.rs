//! Parsed leaf values: protocols, ports, ICMP matches, actions, IP versions and CIDR lists.

mod enums;
mod icmp;
pub(crate) mod nets;
pub(crate) mod port;
mod protocol;

pub use enums::{Action, IpVersion, PolicyType, StagedAction, TierAction};
pub use icmp::IcmpMatch;
pub use port::{Port, PortName, PortRange};
pub use protocol::Protocol;
