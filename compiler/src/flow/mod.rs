//! Flows: a connection between two named peers, as the CLI and the conformance suite write it,
//! and its composition into per-endpoint decisions (DECISIONS D6, D7).
//!
//! A [`Flow`] is parsed from text ([`Flow::parse`]: `default/web -> 10.0.0.7 tcp/443 via
//! hostendpoint/node1-eth0`) or JSON ([`Flow::from_json`]); [`evaluate_flow`] resolves its peers
//! in a model, builds the packet, asks an [`Engine`](crate::Engine) for every decision the flow
//! needs, and returns a [`FlowResult`] that serialises to the CLI's JSON.

mod compose;
mod json;
mod result;
mod text;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use palisade_policy_model::model::EndpointKey;
use palisade_policy_model::values::IpVersion;

pub use compose::evaluate_flow;
pub use result::{DecisionReport, FlowResult};

use crate::engine::EngineError;
use crate::packet::{
    PROTO_ICMP, PROTO_ICMPV6, PROTO_SCTP, PROTO_TCP, PROTO_UDP, PROTO_UDPLITE, PacketError,
};

/// The source port a flow gets when it names none.
pub const DEFAULT_SOURCE_PORT: u16 = 40000;

/// One side of a flow.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Peer {
    /// A workload (`ns/name`) or host endpoint (`hostendpoint/NAME`).
    Endpoint(EndpointKey),
    /// An IP literal: the endpoint that owns it, or outside the cluster.
    Ip(IpAddr),
}

impl Peer {
    /// Parses `ns/name`, `hostendpoint/NAME` or an IP literal. `hostendpoint/` always means a
    /// host endpoint.
    pub fn parse(text: &str) -> Result<Peer, String> {
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Peer::Ip(ip));
        }
        if let Some(name) = text.strip_prefix("hostendpoint/") {
            if name.is_empty() || name.contains('/') {
                return Err(format!("`{text}`: expected hostendpoint/NAME"));
            }
            return Ok(Peer::Endpoint(EndpointKey::Host {
                name: Arc::from(name),
            }));
        }
        match text.split_once('/') {
            Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => {
                Ok(Peer::Endpoint(EndpointKey::Workload {
                    namespace: Arc::from(ns),
                    name: Arc::from(name),
                }))
            }
            _ => Err(format!(
                "`{text}`: expected NAMESPACE/NAME, hostendpoint/NAME or an IP address"
            )),
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Endpoint(k) => k.fmt(f),
            Peer::Ip(ip) => ip.fmt(f),
        }
    }
}

/// A flow: peers, protocol and L4 fields, optional family, `via` host endpoints, fragment flag
/// and HTTP request. Built by the parsers, which check it ([`Flow::check`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Flow {
    /// Source.
    pub src: Peer,
    /// Destination.
    pub dst: Peer,
    /// IP protocol number.
    pub protocol: u8,
    /// Source port (port protocols; [`DEFAULT_SOURCE_PORT`] when absent).
    pub src_port: Option<u16>,
    /// Destination port (port protocols).
    pub dst_port: Option<u16>,
    /// ICMP type (ICMP / ICMPv6).
    pub icmp_type: Option<u8>,
    /// ICMP code (0 when absent).
    pub icmp_code: Option<u8>,
    /// IP family, when the flow fixes it.
    pub ip_version: Option<IpVersion>,
    /// Host endpoints the flow is forwarded through (by name).
    pub via: Vec<Arc<str>>,
    /// No L4 header (a non-first fragment, or `proto/N`): matches no rule that needs ports or
    /// ICMP fields.
    pub fragment: bool,
    /// HTTP method.
    pub method: Option<String>,
    /// HTTP path.
    pub path: Option<String>,
}

/// Why a flow could not be parsed or evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// The text form has a bad word.
    #[error("flow text, word {position} `{word}`: {message}")]
    Syntax {
        /// The offending word.
        word: String,
        /// Its position (1-based).
        position: usize,
        /// What is wrong.
        message: String,
    },
    /// The JSON form is malformed.
    #[error("flow JSON: {0}")]
    Json(String),
    /// The flow is inconsistent (e.g. ports for ICMP).
    #[error("flow: {0}")]
    Invalid(String),
    /// A named endpoint does not exist.
    #[error("unknown endpoint {0}")]
    UnknownEndpoint(String),
    /// An IP literal belongs to more than one endpoint.
    #[error("{ip} belongs to more than one endpoint: {}", owners.join(", "))]
    AmbiguousIp {
        /// The address.
        ip: IpAddr,
        /// Its owners.
        owners: Vec<String>,
    },
    /// A named endpoint has no address of the flow's family.
    #[error("{endpoint} has no IPv{} address", family.number())]
    NoAddress {
        /// The endpoint.
        endpoint: String,
        /// The family.
        family: IpVersion,
    },
    /// Neither side is a cluster endpoint.
    #[error("the flow touches no endpoint: both {src} and {dst} are outside the cluster")]
    OutsideToOutside {
        /// Source.
        src: IpAddr,
        /// Destination.
        dst: IpAddr,
    },
    /// The packet cannot be built.
    #[error("flow: {0}")]
    Packet(#[from] PacketError),
    /// The engine could not decide.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// True for protocols with ports.
fn has_ports(protocol: u8) -> bool {
    matches!(protocol, PROTO_TCP | PROTO_UDP | PROTO_SCTP | PROTO_UDPLITE)
}

/// Parses a protocol name (TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite; any case) or number 1–255.
pub fn parse_protocol(text: &str) -> Option<u8> {
    Some(match text.to_ascii_lowercase().as_str() {
        "tcp" => PROTO_TCP,
        "udp" => PROTO_UDP,
        "sctp" => PROTO_SCTP,
        "udplite" => PROTO_UDPLITE,
        "icmp" => PROTO_ICMP,
        "icmpv6" => PROTO_ICMPV6,
        digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse::<u8>().ok().filter(|n| *n > 0)?
        }
        _ => return None,
    })
}

/// The name of a protocol number, for output (`TCP`, …), if it has one.
pub fn protocol_name(protocol: u8) -> Option<&'static str> {
    Some(match protocol {
        PROTO_TCP => "TCP",
        PROTO_UDP => "UDP",
        PROTO_SCTP => "SCTP",
        PROTO_UDPLITE => "UDPLite",
        PROTO_ICMP => "ICMP",
        PROTO_ICMPV6 => "ICMPv6",
        _ => return None,
    })
}

impl Flow {
    /// A flow between two peers with a protocol and nothing else set.
    pub fn new(src: Peer, dst: Peer, protocol: u8) -> Flow {
        Flow {
            src,
            dst,
            protocol,
            src_port: None,
            dst_port: None,
            icmp_type: None,
            icmp_code: None,
            ip_version: None,
            via: Vec::new(),
            fragment: false,
            method: None,
            path: None,
        }
    }

    /// Checks that the fields fit together: ports only for TCP/UDP/SCTP/UDP-Lite and a
    /// destination port unless the flow has no L4 header; ICMP type/code only for ICMP/ICMPv6 and
    /// a type unless the flow has no L4 header; ports 1–65535; an HTTP path starting with `/`.
    pub fn check(&self) -> Result<(), FlowError> {
        let invalid = |m: String| Err(FlowError::Invalid(m));
        let name = protocol_name(self.protocol)
            .map_or_else(|| format!("protocol {}", self.protocol), str::to_owned);
        let icmp = matches!(self.protocol, PROTO_ICMP | PROTO_ICMPV6);
        if !has_ports(self.protocol) && (self.src_port.is_some() || self.dst_port.is_some()) {
            return invalid(format!("{name} has no ports"));
        }
        if !icmp && (self.icmp_type.is_some() || self.icmp_code.is_some()) {
            return invalid(format!("{name} has no ICMP type or code"));
        }
        if self.src_port == Some(0) || self.dst_port == Some(0) {
            return invalid("ports are 1-65535".to_owned());
        }
        if self.icmp_code.is_some() && self.icmp_type.is_none() {
            return invalid("an ICMP code needs an ICMP type".to_owned());
        }
        if !self.fragment {
            if has_ports(self.protocol) && self.dst_port.is_none() {
                return invalid(format!(
                    "{name} needs a destination port (or mark the flow as a fragment)"
                ));
            }
            if icmp && self.icmp_type.is_none() {
                return invalid(format!(
                    "{name} needs an ICMP type (or mark the flow as a fragment)"
                ));
            }
        }
        if let Some(path) = &self.path
            && !path.starts_with('/')
        {
            return invalid(format!("HTTP path `{path}` does not start with `/`"));
        }
        Ok(())
    }

    /// The HTTP request the flow carries, if it has a method or a path.
    pub fn http(&self) -> Option<crate::engine::HttpRequest> {
        (self.method.is_some() || self.path.is_some()).then(|| crate::engine::HttpRequest {
            method: self.method.clone(),
            path: self.path.clone(),
        })
    }
}

impl std::str::FromStr for Flow {
    type Err = FlowError;

    fn from_str(s: &str) -> Result<Flow, FlowError> {
        Flow::parse(s)
    }
}
