//! Every `unsafe` line of the crate lives in this module: the libnftnl calls that serialise a
//! [`crate::netlink::Plan`] into netlink messages, and the handful of syscalls (netlink and raw
//! sockets, network namespaces) that `std` does not wrap. Each `unsafe` block carries a
//! `// SAFETY:` comment; the functions exported from here are safe to call with any input.
//! Unit tests below exercise the wrappers without privileges (serialising objects and parsing
//! them back through libnftnl); the kernel tests exercise the sockets.
#![allow(unsafe_code)]

mod nftnl;
mod rawsock;
mod socket;
mod sys;

pub(crate) use nftnl::encode_batch;
pub(crate) use rawsock::{IcmpSocket, RawSocket, if_index};
pub(crate) use socket::NlSocket;
pub(crate) use sys::{gettid, unshare_netns};
