//! Serde helpers for CIDR lists: clear messages, and the "bare IP is a host prefix" variant.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Deserializer;
use serde::de::{self, SeqAccess, Visitor};

/// Parses a CIDR (`10.0.0.0/8`, `fd00::/64`). Host bits are kept; validation decides on them.
pub(crate) fn parse_cidr(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>().map_err(|_| {
        if text.parse::<IpAddr>().is_ok() {
            format!("invalid CIDR `{text}`: a prefix length is required, e.g. `{text}/32`")
        } else {
            format!("invalid CIDR `{text}`, expected an IPv4 or IPv6 network such as 10.0.0.0/8")
        }
    })
}

/// Parses a CIDR or a bare IP address (taken as a host prefix /32 or /128).
pub(crate) fn parse_cidr_or_ip(text: &str) -> Result<IpNet, String> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(IpNet::from(ip));
    }
    text.parse::<IpNet>().map_err(|_| {
        format!("invalid network `{text}`, expected an IP address or CIDR such as 10.0.0.0/8")
    })
}

struct NetsVisitor<const BARE_IP: bool>;

impl<'de, const BARE_IP: bool> Visitor<'de> for NetsVisitor<BARE_IP> {
    type Value = Vec<IpNet>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of CIDRs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<IpNet>, A::Error> {
        let mut nets = Vec::new();
        while let Some(net) = seq.next_element::<Cidr<BARE_IP>>()? {
            nets.push(net.0);
        }
        Ok(nets)
    }
}

/// One CIDR, parsed where it stands so that errors carry the element's position.
struct Cidr<const BARE_IP: bool>(IpNet);

impl<'de, const BARE_IP: bool> serde::Deserialize<'de> for Cidr<BARE_IP> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CidrVisitor<const B: bool>;
        impl<const B: bool> Visitor<'_> for CidrVisitor<B> {
            type Value = Cidr<B>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a CIDR string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Cidr<B>, E> {
                let parsed = if B {
                    parse_cidr_or_ip(v)
                } else {
                    parse_cidr(v)
                };
                parsed.map(Cidr).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(CidrVisitor::<BARE_IP>)
    }
}

/// `deserialize_with` for a list of strict CIDRs.
pub(crate) fn deserialize_cidrs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
    d.deserialize_seq(NetsVisitor::<false>)
}

/// `deserialize_with` for a list of CIDRs or bare IPs.
pub(crate) fn deserialize_cidrs_or_ips<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<IpNet>, D::Error> {
    d.deserialize_seq(NetsVisitor::<true>)
}

/// `deserialize_with` for one strict CIDR.
pub(crate) fn deserialize_cidr<'de, D: Deserializer<'de>>(d: D) -> Result<IpNet, D::Error> {
    Cidr::<false>::deserialize_inner(d)
}

impl<const B: bool> Cidr<B> {
    fn deserialize_inner<'de, D: Deserializer<'de>>(d: D) -> Result<IpNet, D::Error> {
        <Self as serde::Deserialize>::deserialize(d).map(|c| c.0)
    }
}
