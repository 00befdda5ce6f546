//! Ports as Calico's `ports`/`notPorts` fields spell them: numbers, `"min:max"` ranges, names.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An inclusive port range with `1 <= min <= max <= 65535` (a single port has `min == max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    min: u16,
    max: u16,
}

impl PortRange {
    /// A range; `None` when a bound is 0 or `min > max`.
    pub fn new(min: u16, max: u16) -> Option<Self> {
        (min >= 1 && min <= max).then_some(Self { min, max })
    }

    /// A single port; `None` for 0.
    pub fn single(port: u16) -> Option<Self> {
        Self::new(port, port)
    }

    /// Lower bound (inclusive).
    pub fn min(self) -> u16 {
        self.min
    }

    /// Upper bound (inclusive).
    pub fn max(self) -> u16 {
        self.max
    }

    /// True if `port` lies in the range.
    pub fn contains(self, port: u16) -> bool {
        self.min <= port && port <= self.max
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}:{}", self.min, self.max)
        }
    }
}

impl Serialize for PortRange {
    /// A single port serialises as a number, a range as `"min:max"`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.min == self.max {
            serializer.serialize_u16(self.min)
        } else {
            serializer.collect_str(self)
        }
    }
}

impl<'de> Deserialize<'de> for PortRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Port::deserialize(deserializer)? {
            Port::Range(range) => Ok(range),
            Port::Named(name) => Err(de::Error::custom(format!(
                "expected a port number or range `min:max`, found the port name `{name}`"
            ))),
        }
    }
}

/// A named port as written: 1–128 bytes of `[a-zA-Z0-9_.-]` (Calico's `PortFromString`).
///
/// Whether it is also a valid Kubernetes port name is a validation rule
/// ([`PortName::is_valid_kubernetes_name`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortName(String);

impl PortName {
    /// Parses a port name; `None` if it is empty, longer than 128 or has other characters.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = !text.is_empty()
            && text.len() <= 128
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        ok.then(|| Self(text.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Kubernetes `IsValidPortName`: ≤15 chars of `[a-z0-9-]`, at least one letter, no
    /// leading/trailing `-`, no `--`.
    pub fn is_valid_kubernetes_name(&self) -> bool {
        is_valid_kubernetes_port_name(&self.0)
    }
}

/// Kubernetes `IsValidPortName` on any string.
pub(crate) fn is_valid_kubernetes_port_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

impl fmt::Display for PortName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One entry of a `ports`/`notPorts` list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Port {
    /// A number or numeric range.
    Range(PortRange),
    /// A named port, resolved later against endpoint ports.
    Named(PortName),
}

impl Port {
    /// Parses Calico's string form: all digits → one port, `min:max` → range, else a name.
    pub fn parse(text: &str) -> Result<Port, String> {
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if all_digits(text) {
            let port = text.parse::<u16>().ok().and_then(PortRange::single);
            return port
                .map(Port::Range)
                .ok_or_else(|| format!("invalid port `{text}`, expected a port number 1-65535"));
        }
        if let Some((min, max)) = text.split_once(':')
            && all_digits(min)
            && all_digits(max)
        {
            let range = match (min.parse::<u16>(), max.parse::<u16>()) {
                (Ok(min), Ok(max)) => PortRange::new(min, max),
                _ => None,
            };
            return range.map(Port::Range).ok_or_else(|| {
                format!(
                    "invalid port range `{text}`, expected `min:max` with 1 <= min <= max <= 65535"
                )
            });
        }
        PortName::parse(text).map(Port::Named).ok_or_else(|| {
            format!(
                "invalid port `{text}`, expected a port number, a range `min:max` or a port name \
                 (1-128 characters of a-z, A-Z, 0-9, `_`, `.`, `-`)"
            )
        })
    }

    /// The numeric range, if this is not a named port.
    pub fn range(&self) -> Option<PortRange> {
        match self {
            Port::Range(range) => Some(*range),
            Port::Named(_) => None,
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Port::Range(range) => range.fmt(f),
            Port::Named(name) => name.fmt(f),
        }
    }
}

impl Serialize for Port {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Port::Range(range) if range.min == range.max => serializer.serialize_u16(range.min),
            other => serializer.collect_str(other),
        }
    }
}

struct PortVisitor;

impl Visitor<'_> for PortVisitor {
    type Value = Port;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a port number, a range \"min:max\" or a port name")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Port, E> {
        u16::try_from(v)
            .ok()
            .and_then(PortRange::single)
            .map(Port::Range)
            .ok_or_else(|| E::custom(format!("invalid port {v}, expected a port number 1-65535")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Port, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format!(
                "invalid port {v}, expected a port number 1-65535"
            ))),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Port, E> {
        Port::parse(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PortVisitor)
    }
}
