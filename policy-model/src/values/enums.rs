//! Small closed vocabularies: rule actions, IP versions, policy types, tier and staged actions.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Calico rule action (case-sensitive, as the CRD enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// Accept the connection.
    Allow,
    /// Drop it.
    Deny,
    /// Log and continue with the next rule.
    Log,
    /// Skip to the next tier.
    Pass,
}

/// A policy direction (`types` entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PolicyType {
    /// Traffic into the endpoint.
    Ingress,
    /// Traffic out of the endpoint.
    Egress,
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyType::Ingress => "Ingress",
            PolicyType::Egress => "Egress",
        })
    }
}

/// A tier's `defaultAction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TierAction {
    /// End-of-tier drop.
    Deny,
    /// Fall through to the next tier.
    Pass,
}

/// `stagedAction` of the staged kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StagedAction {
    /// Stage creating/updating the policy (default).
    Set,
    /// Stage deleting the policy.
    Delete,
    /// Learn mode.
    Learn,
    /// Ignore.
    Ignore,
}

/// `ipVersion`: 4 or 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpVersion {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl IpVersion {
    /// 4 or 6.
    pub fn number(self) -> u8 {
        match self {
            IpVersion::V4 => 4,
            IpVersion::V6 => 6,
        }
    }
}

impl Serialize for IpVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.number())
    }
}

struct IpVersionVisitor;

impl Visitor<'_> for IpVersionVisitor {
    type Value = IpVersion;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an IP version, 4 or 6")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<IpVersion, E> {
        match v {
            4 => Ok(IpVersion::V4),
            6 => Ok(IpVersion::V6),
            other => Err(E::custom(format!(
                "invalid ipVersion {other}, expected 4 or 6"
            ))),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<IpVersion, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format!("invalid ipVersion {v}, expected 4 or 6"))),
        }
    }
}

impl<'de> Deserialize<'de> for IpVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_u64(IpVersionVisitor)
    }
}
