//! The on-disk shape of a case, exactly as serde reads it (every struct rejects unknown fields).
//! [`crate::load`] turns these into the checked types of [`crate::case`].

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::case::{By, DecisionVerdict, EngineName, FlowVerdict, HttpOption, Topic};

/// A case as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCase {
    pub(crate) name: String,
    pub(crate) topics: Vec<Topic>,
    pub(crate) semantics: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    pub(crate) resources: String,
    #[serde(default)]
    pub(crate) options: RawOptions,
    pub(crate) flows: Vec<RawFlowCase>,
    #[serde(default)]
    pub(crate) skip: BTreeMap<EngineName, String>,
}

/// `options`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOptions {
    #[serde(default)]
    pub(crate) staged: bool,
    #[serde(default)]
    pub(crate) http: HttpOption,
    #[serde(default)]
    pub(crate) dns: BTreeMap<String, Vec<IpAddr>>,
}

/// One entry of `flows`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFlowCase {
    pub(crate) flow: RawFlow,
    #[serde(default)]
    pub(crate) description: Option<String>,
    pub(crate) expect: RawExpect,
}

/// `flow`: a string (text form) or a mapping (object form).
#[derive(Debug)]
pub(crate) enum RawFlow {
    Text(String),
    Object(RawFlowObject),
}

impl<'de> Deserialize<'de> for RawFlow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FlowVisitor;
        impl<'de> Visitor<'de> for FlowVisitor {
            type Value = RawFlow;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a flow: `SRC -> DST PROTO[/PORT] ...` or a mapping with src, dst, protocol",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawFlow, E> {
                Ok(RawFlow::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<RawFlow, E> {
                Ok(RawFlow::Text(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawFlow, A::Error> {
                RawFlowObject::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawFlow::Object)
            }
        }
        d.deserialize_any(FlowVisitor)
    }
}

/// The object form of a flow.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawFlowObject {
    pub(crate) src: String,
    pub(crate) dst: String,
    pub(crate) protocol: RawProtocol,
    #[serde(default)]
    pub(crate) dst_port: Option<u16>,
    #[serde(default)]
    pub(crate) src_port: Option<u16>,
    #[serde(default)]
    pub(crate) icmp_type: Option<u8>,
    #[serde(default)]
    pub(crate) icmp_code: Option<u8>,
    #[serde(default)]
    pub(crate) ip_version: Option<u8>,
    #[serde(default)]
    pub(crate) via: Vec<String>,
    #[serde(default)]
    pub(crate) fragment: bool,
    #[serde(default)]
    pub(crate) method: Option<String>,
    #[serde(default)]
    pub(crate) path: Option<String>,
}

/// `protocol`: a name or a number.
#[derive(Debug)]
pub(crate) enum RawProtocol {
    Name(String),
    Number(u64),
}

impl<'de> Deserialize<'de> for RawProtocol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ProtocolVisitor;
        impl Visitor<'_> for ProtocolVisitor {
            type Value = RawProtocol;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a protocol name (TCP, UDP, SCTP, UDPLite, ICMP, ICMPv6) or number 0-255",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawProtocol, E> {
                Ok(RawProtocol::Name(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawProtocol, E> {
                Ok(RawProtocol::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawProtocol, E> {
                u64::try_from(v)
                    .map(RawProtocol::Number)
                    .map_err(|_| E::custom(format!("protocol number {v} is negative")))
            }
        }
        d.deserialize_any(ProtocolVisitor)
    }
}

/// `expect`, and (without `pending`) `expect.pending`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawExpect {
    pub(crate) verdict: FlowVerdict,
    #[serde(default, deserialize_with = "present")]
    pub(crate) egress: Option<Option<RawDecision>>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) ingress: Option<Option<RawDecision>>,
    #[serde(default)]
    pub(crate) forward_in: Option<RawDecision>,
    #[serde(default)]
    pub(crate) forward_out: Option<RawDecision>,
    #[serde(default)]
    pub(crate) pending: Option<RawOutcome>,
}

/// `expect.pending`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawOutcome {
    pub(crate) verdict: FlowVerdict,
    #[serde(default, deserialize_with = "present")]
    pub(crate) egress: Option<Option<RawDecision>>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) ingress: Option<Option<RawDecision>>,
    #[serde(default)]
    pub(crate) forward_in: Option<RawDecision>,
    #[serde(default)]
    pub(crate) forward_out: Option<RawDecision>,
}

/// Distinguishes an absent key (outer `None`, via `default`) from an explicit `null` (inner
/// `None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// One decision, flat as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDecision {
    pub(crate) verdict: DecisionVerdict,
    pub(crate) by: By,
    #[serde(default)]
    pub(crate) tier: Option<String>,
    #[serde(default)]
    pub(crate) policy: Option<String>,
    #[serde(default)]
    pub(crate) kind: Option<RawKind>,
    #[serde(default)]
    pub(crate) namespace: Option<String>,
    #[serde(default)]
    pub(crate) rule: Option<u32>,
}

/// `kind` of a decision: a policy kind or `Profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum RawKind {
    NetworkPolicy,
    GlobalNetworkPolicy,
    StagedNetworkPolicy,
    StagedGlobalNetworkPolicy,
    StagedKubernetesNetworkPolicy,
    KubernetesNetworkPolicy,
    AdminNetworkPolicy,
    BaselineAdminNetworkPolicy,
    ClusterNetworkPolicy,
    Profile,
}
