//! [`DnsCache`]: the caller-fed DNS answers that `domains` rules match (SEMANTICS §0).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// DNS answers: domain name → addresses. Names are compared case-insensitively and without a
/// trailing dot. Time is not modelled: the cache holds what the caller says is current.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DnsCache {
    names: BTreeMap<String, BTreeSet<IpAddr>>,
}

impl DnsCache {
    /// An empty cache.
    pub fn new() -> DnsCache {
        DnsCache::default()
    }

    /// Records that `name` resolves to `addr`.
    pub fn insert(&mut self, name: &str, addr: IpAddr) {
        self.names
            .entry(normalise_domain(name))
            .or_default()
            .insert(addr);
    }

    /// Forgets every answer for `name`.
    pub fn remove(&mut self, name: &str) {
        self.names.remove(&normalise_domain(name));
    }

    /// The cache with `name` resolving (also) to `addrs`.
    pub fn with(mut self, name: &str, addrs: impl IntoIterator<Item = IpAddr>) -> DnsCache {
        for addr in addrs {
            self.insert(name, addr);
        }
        self
    }

    /// Every (name, addresses) entry, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &BTreeSet<IpAddr>)> {
        self.names.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The addresses of every name that `pattern` matches (see [`domain_matches`]).
    pub fn resolve(&self, pattern: &str) -> BTreeSet<IpAddr> {
        let pattern = normalise_domain(pattern);
        if !pattern.contains('*') {
            return self.names.get(&pattern).cloned().unwrap_or_default();
        }
        self.names
            .iter()
            .filter(|(name, _)| domain_matches(&pattern, name))
            .flat_map(|(_, addrs)| addrs.iter().copied())
            .collect()
    }
}

/// Lower case, without a trailing dot.
pub fn normalise_domain(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// True if the (normalised) `name` matches the (normalised) `pattern`: equal, or with the same
/// number of labels where every pattern label that is exactly `*` matches any one label
/// (`*.example.com` matches `a.example.com`, not `example.com` nor `a.b.example.com`).
pub fn domain_matches(pattern: &str, name: &str) -> bool {
    if pattern == name {
        return true;
    }
    let mut p = pattern.split('.');
    let mut n = name.split('.');
    loop {
        match (p.next(), n.next()) {
            (None, None) => return true,
            (Some(pl), Some(nl)) if pl == "*" && !nl.is_empty() || pl == nl => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_whole_label() {
        assert!(domain_matches("*.example.com", "a.example.com"));
        assert!(!domain_matches("*.example.com", "example.com"));
        assert!(!domain_matches("*.example.com", "a.b.example.com"));
        assert!(!domain_matches("a*.example.com", "ab.example.com"));
        assert!(domain_matches("api.*.com", "api.x.com"));
    }

    #[test]
    fn names_are_case_and_dot_insensitive() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let cache = DnsCache::new().with("API.Example.com.", [ip]);
        assert_eq!(cache.resolve("api.example.com"), BTreeSet::from([ip]));
        assert_eq!(cache.resolve("*.EXAMPLE.com"), BTreeSet::from([ip]));
        assert!(cache.resolve("other.example.com").is_empty());
    }
}
