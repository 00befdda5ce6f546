//! Packets: the small `Copy` [`PacketRepr`] that engines classify.

mod repr;
pub mod wire;

pub use repr::{
    L4, PORT_PROTOCOLS, PROTO_ICMP, PROTO_ICMPV6, PROTO_SCTP, PROTO_TCP, PROTO_UDP, PROTO_UDPLITE,
    PacketError, PacketRepr, icmp_protocol_for,
};
