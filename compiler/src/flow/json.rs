//! The JSON form (camelCase, unknown fields rejected):
//! `{"src": "x/a", "dst": "10.0.1.2", "protocol": "TCP", "dstPort": 80, "srcPort": 43210,
//! "icmpType": 8, "icmpCode": 0, "ipVersion": 4, "via": ["hostendpoint/h"], "fragment": false,
//! "method": "GET", "path": "/"}`.

use std::sync::Arc;

use palisade_policy_model::values::IpVersion;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

use super::{Flow, FlowError, Peer, parse_protocol, protocol_name};

#[derive(Deserialize)]
#[serde(untagged)]
enum ProtocolField {
    Number(u64),
    Name(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawFlow {
    src: String,
    dst: String,
    protocol: ProtocolField,
    #[serde(default)]
    dst_port: Option<u16>,
    #[serde(default)]
    src_port: Option<u16>,
    #[serde(default)]
    icmp_type: Option<u8>,
    #[serde(default)]
    icmp_code: Option<u8>,
    #[serde(default)]
    ip_version: Option<u8>,
    #[serde(default)]
    via: Vec<String>,
    #[serde(default)]
    fragment: bool,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path: Option<String>,
}

impl TryFrom<RawFlow> for Flow {
    type Error = FlowError;

    fn try_from(raw: RawFlow) -> Result<Flow, FlowError> {
        let invalid = |m: String| FlowError::Invalid(m);
        let protocol = match &raw.protocol {
            ProtocolField::Number(n) => u8::try_from(*n).ok().filter(|n| *n > 0),
            ProtocolField::Name(s) => parse_protocol(s),
        }
        .ok_or_else(|| {
            invalid(
                "protocol: expected TCP, UDP, SCTP, UDPLite, ICMP, ICMPv6 or a number 1-255"
                    .to_owned(),
            )
        })?;
        let src = Peer::parse(&raw.src).map_err(|m| invalid(format!("src: {m}")))?;
        let dst = Peer::parse(&raw.dst).map_err(|m| invalid(format!("dst: {m}")))?;
        let ip_version = match raw.ip_version {
            None => None,
            Some(4) => Some(IpVersion::V4),
            Some(6) => Some(IpVersion::V6),
            Some(n) => return Err(invalid(format!("ipVersion {n}: expected 4 or 6"))),
        };
        let mut via = Vec::with_capacity(raw.via.len());
        for v in &raw.via {
            let name = v
                .strip_prefix("hostendpoint/")
                .filter(|n| !n.is_empty() && !n.contains('/'))
                .ok_or_else(|| invalid(format!("via `{v}`: expected hostendpoint/NAME")))?;
            via.push(Arc::from(name));
        }
        let flow = Flow {
            src,
            dst,
            protocol,
            src_port: raw.src_port,
            dst_port: raw.dst_port,
            icmp_type: raw.icmp_type,
            icmp_code: raw.icmp_code,
            ip_version,
            via,
            fragment: raw.fragment,
            method: raw.method,
            path: raw.path,
        };
        flow.check()?;
        Ok(flow)
    }
}

impl<'de> Deserialize<'de> for Flow {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Flow, D::Error> {
        let raw = RawFlow::deserialize(deserializer)?;
        Flow::try_from(raw).map_err(serde::de::Error::custom)
    }
}

impl Flow {
    /// Parses the JSON form.
    pub fn from_json(text: &str) -> Result<Flow, FlowError> {
        let raw: RawFlow =
            serde_json::from_str(text).map_err(|e| FlowError::Json(e.to_string()))?;
        Flow::try_from(raw)
    }

    /// Writes the flow's fields into a JSON map (shared with [`super::FlowResult`]).
    pub(super) fn serialize_fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("src", &self.src.to_string())?;
        map.serialize_entry("dst", &self.dst.to_string())?;
        match protocol_name(self.protocol) {
            Some(name) => map.serialize_entry("protocol", name)?,
            None => map.serialize_entry("protocol", &self.protocol)?,
        }
        if let Some(p) = self.dst_port {
            map.serialize_entry("dstPort", &p)?;
        }
        if let Some(p) = self.src_port {
            map.serialize_entry("srcPort", &p)?;
        }
        if let Some(t) = self.icmp_type {
            map.serialize_entry("icmpType", &t)?;
        }
        if let Some(c) = self.icmp_code {
            map.serialize_entry("icmpCode", &c)?;
        }
        if let Some(v) = self.ip_version {
            map.serialize_entry("ipVersion", &v.number())?;
        }
        if !self.via.is_empty() {
            let via: Vec<String> = self
                .via
                .iter()
                .map(|v| format!("hostendpoint/{v}"))
                .collect();
            map.serialize_entry("via", &via)?;
        }
        if self.fragment {
            map.serialize_entry("fragment", &true)?;
        }
        if let Some(m) = &self.method {
            map.serialize_entry("method", m)?;
        }
        if let Some(p) = &self.path {
            map.serialize_entry("path", p)?;
        }
        Ok(())
    }
}

impl Serialize for Flow {
    /// The JSON form, omitting absent fields.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.serialize_fields(&mut map)?;
        map.end()
    }
}
