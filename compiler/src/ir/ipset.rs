//! IP sets: shared, deduplicated sets of addresses (or address+protocol+port triples for named
//! ports and service destinations), referenced from IR rules by a stable ID.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use ahash::{AHashMap, AHashSet};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha224};

/// A stable IP-set ID in Calico's style: `"<prefix>:" + base64url(SHA-224("<prefix>:" + identity))`.
///
/// Selector sets use the selector's unique ID (`s:…`), so the same selector always names the same
/// set; named-port sets use `n:`, service sets `svc:`/`svcnoport:`, CIDR lists `net:` and domain
/// sets `dom:`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IpSetId(Arc<str>);

impl IpSetId {
    /// The ID for `identity` under `prefix` (SEMANTICS §1.5 `MakeUniqueID`).
    pub fn derive(prefix: &str, identity: &str) -> IpSetId {
        let digest = Sha224::new()
            .chain_update(prefix.as_bytes())
            .chain_update(b":")
            .chain_update(identity.as_bytes())
            .finalize();
        let mut id = String::with_capacity(prefix.len() + 40);
        id.push_str(prefix);
        id.push(':');
        URL_SAFE_NO_PAD.encode_string(digest, &mut id);
        IpSetId(id.into())
    }

    /// Wraps an ID that is already in its final form (e.g. a selector's unique ID).
    pub fn from_raw(id: &str) -> IpSetId {
        IpSetId(id.into())
    }

    /// The ID text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IpSetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One member of an address+port set: a packet matches when its address, protocol and port are
/// all equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AddrPort {
    /// Address.
    pub addr: IpAddr,
    /// IP protocol number.
    pub protocol: u8,
    /// Port.
    pub port: u16,
}

/// What a set holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IpSetKind {
    /// CIDRs (a host is a /32 or /128).
    Addrs,
    /// (address, protocol, port) triples.
    AddrPorts,
}

/// Where a set's members come from (for dumps and explanations).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
#[non_exhaustive]
pub enum IpSetSource {
    /// Addresses of endpoints and network sets matching a selector.
    Selector {
        /// Canonical selector text.
        selector: Arc<str>,
    },
    /// A literal list of CIDRs from a rule's `nets`/`notNets`.
    Nets,
    /// Named-port members of endpoints matching a selector.
    NamedPort {
        /// Canonical selector text (`all()` when the rule has none).
        selector: Arc<str>,
        /// Protocol filter (`None` = the endpoint port's own protocol).
        protocol: Option<u8>,
        /// Port name.
        name: Arc<str>,
    },
    /// Endpoint addresses (source side) or address+port pairs (destination side) of a Service.
    Service {
        /// Namespace.
        namespace: Arc<str>,
        /// Name.
        name: Arc<str>,
        /// True for the address+port form.
        with_ports: bool,
    },
    /// Addresses a caller-fed DNS cache maps domain names to.
    Domains {
        /// The domain patterns.
        domains: Vec<Arc<str>>,
    },
    /// Failsafe or other built-in addresses.
    BuiltIn,
}

/// The members of a set, sorted and de-duplicated.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "members", rename_all = "camelCase")]
pub enum IpSetMembers {
    /// CIDRs, normalised (host bits cleared), sorted and de-duplicated.
    Addrs(Vec<IpNet>),
    /// Address+protocol+port triples, sorted and de-duplicated.
    AddrPorts(Vec<AddrPort>),
}

impl IpSetMembers {
    /// CIDR members, normalised and sorted.
    pub fn addrs(members: impl IntoIterator<Item = IpNet>) -> IpSetMembers {
        let set: BTreeSet<IpNet> = members.into_iter().map(|n| n.trunc()).collect();
        IpSetMembers::Addrs(set.into_iter().collect())
    }

    /// Address+port members, sorted.
    pub fn addr_ports(members: impl IntoIterator<Item = AddrPort>) -> IpSetMembers {
        let set: BTreeSet<AddrPort> = members.into_iter().collect();
        IpSetMembers::AddrPorts(set.into_iter().collect())
    }

    /// The kind of these members.
    pub fn kind(&self) -> IpSetKind {
        match self {
            IpSetMembers::Addrs(_) => IpSetKind::Addrs,
            IpSetMembers::AddrPorts(_) => IpSetKind::AddrPorts,
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            IpSetMembers::Addrs(m) => m.len(),
            IpSetMembers::AddrPorts(m) => m.len(),
        }
    }

    /// True when the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A prefix-length-bucketed lookup over CIDRs: one hash probe per distinct prefix length.
#[derive(Clone, Debug, Default)]
struct CidrLookup {
    v4_lens: Vec<u8>,
    v4: AHashSet<(u8, u32)>,
    v6_lens: Vec<u8>,
    v6: AHashSet<(u8, u128)>,
}

impl CidrLookup {
    fn build(members: &[IpNet]) -> CidrLookup {
        let mut lookup = CidrLookup::default();
        for net in members {
            match net {
                IpNet::V4(n) => {
                    lookup.v4.insert((n.prefix_len(), u32::from(n.network())));
                    lookup.v4_lens.push(n.prefix_len());
                }
                IpNet::V6(n) => {
                    lookup.v6.insert((n.prefix_len(), u128::from(n.network())));
                    lookup.v6_lens.push(n.prefix_len());
                }
            }
        }
        lookup.v4_lens.sort_unstable();
        lookup.v4_lens.dedup();
        lookup.v6_lens.sort_unstable();
        lookup.v6_lens.dedup();
        lookup
    }

    fn contains(&self, addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(a) => {
                let bits = u32::from(a);
                self.v4_lens.iter().any(|&len| {
                    let masked = if len == 0 {
                        0
                    } else {
                        bits & (u32::MAX << (32 - len))
                    };
                    self.v4.contains(&(len, masked))
                })
            }
            IpAddr::V6(a) => {
                let bits = u128::from(a);
                self.v6_lens.iter().any(|&len| {
                    let masked = if len == 0 {
                        0
                    } else {
                        bits & (u128::MAX << (128 - len))
                    };
                    self.v6.contains(&(len, masked))
                })
            }
        }
    }
}

/// A set with its ID, source and members, plus a lookup index for membership tests.
#[derive(Clone, Debug)]
pub struct IpSet {
    id: IpSetId,
    source: IpSetSource,
    members: IpSetMembers,
    cidrs: CidrLookup,
    addr_ports: AHashSet<AddrPort>,
}

impl PartialEq for IpSet {
    fn eq(&self, other: &IpSet) -> bool {
        self.id == other.id && self.source == other.source && self.members == other.members
    }
}

impl Eq for IpSet {}

impl IpSet {
    /// A set with the given members.
    pub fn new(id: IpSetId, source: IpSetSource, members: IpSetMembers) -> IpSet {
        let (cidrs, addr_ports) = match &members {
            IpSetMembers::Addrs(m) => (CidrLookup::build(m), AHashSet::new()),
            IpSetMembers::AddrPorts(m) => (CidrLookup::default(), m.iter().copied().collect()),
        };
        IpSet {
            id,
            source,
            members,
            cidrs,
            addr_ports,
        }
    }

    /// The set's ID.
    pub fn id(&self) -> &IpSetId {
        &self.id
    }

    /// Where its members come from.
    pub fn source(&self) -> &IpSetSource {
        &self.source
    }

    /// Its members.
    pub fn members(&self) -> &IpSetMembers {
        &self.members
    }

    /// Its kind.
    pub fn kind(&self) -> IpSetKind {
        self.members.kind()
    }

    /// True if `addr` lies in one of the CIDRs (always false for an address+port set).
    pub fn contains_addr(&self, addr: IpAddr) -> bool {
        self.cidrs.contains(addr)
    }

    /// True if the triple is a member (always false for a CIDR set).
    pub fn contains_addr_port(&self, addr: IpAddr, protocol: u8, port: u16) -> bool {
        self.addr_ports.contains(&AddrPort {
            addr,
            protocol,
            port,
        })
    }
}

impl Serialize for IpSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("IpSet", 3)?;
        s.serialize_field("id", &self.id)?;
        s.serialize_field("source", &self.source)?;
        s.serialize_field("members", &self.members)?;
        s.end()
    }
}

impl<'de> Deserialize<'de> for IpSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<IpSet, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            id: IpSetId,
            source: IpSetSource,
            members: IpSetMembers,
        }
        let raw = Raw::deserialize(deserializer)?;
        Ok(IpSet::new(raw.id, raw.source, raw.members))
    }
}

/// Resolves set IDs to sets: what an engine needs to evaluate IR rules.
pub trait SetLookup {
    /// The set with this ID, if known.
    fn set(&self, id: &IpSetId) -> Option<&IpSet>;
}

/// A registry of sets by ID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpSets {
    sets: AHashMap<IpSetId, Arc<IpSet>>,
}

impl IpSets {
    /// An empty registry.
    pub fn new() -> IpSets {
        IpSets::default()
    }

    /// Adds or replaces a set, returning the previous one.
    pub fn insert(&mut self, set: IpSet) -> Option<Arc<IpSet>> {
        self.sets.insert(set.id.clone(), Arc::new(set))
    }

    /// Adds or replaces an already shared set, returning the previous one.
    pub fn insert_shared(&mut self, set: Arc<IpSet>) -> Option<Arc<IpSet>> {
        self.sets.insert(set.id.clone(), set)
    }

    /// The shared handle of the set with this ID.
    pub fn get_shared(&self, id: &IpSetId) -> Option<&Arc<IpSet>> {
        self.sets.get(id)
    }

    /// Removes a set.
    pub fn remove(&mut self, id: &IpSetId) -> Option<Arc<IpSet>> {
        self.sets.remove(id)
    }

    /// The set with this ID.
    pub fn get(&self, id: &IpSetId) -> Option<&IpSet> {
        self.sets.get(id).map(|s| &**s)
    }

    /// All sets, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &IpSet> {
        self.sets.values().map(|s| &**s)
    }

    /// Number of sets.
    pub fn len(&self) -> usize {
        self.sets.len()
    }

    /// True when there are no sets.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }
}

impl SetLookup for IpSets {
    fn set(&self, id: &IpSetId) -> Option<&IpSet> {
        self.get(id)
    }
}

impl Serialize for IpSets {
    /// Serialises the sets sorted by ID.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut sets: Vec<&IpSet> = self.iter().collect();
        sets.sort_by(|a, b| a.id.cmp(&b.id));
        serializer.collect_seq(sets)
    }
}

impl<'de> Deserialize<'de> for IpSets {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<IpSets, D::Error> {
        let sets = Vec::<IpSet>::deserialize(deserializer)?;
        let mut out = IpSets::new();
        for set in sets {
            out.insert(set);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_matches_the_selector_unique_id_scheme() {
        // SEMANTICS §1.5: all() -> s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug
        assert_eq!(
            IpSetId::derive("s", "all()").as_str(),
            "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"
        );
    }

    #[test]
    fn cidr_membership_covers_every_prefix_length() {
        let nets: Vec<IpNet> = ["10.0.0.0/8", "192.168.1.7/32", "0.0.0.0/0", "fd00::/8"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let set = IpSet::new(
            IpSetId::derive("net", "t"),
            IpSetSource::Nets,
            IpSetMembers::addrs(nets),
        );
        assert!(set.contains_addr("10.255.0.1".parse().unwrap()));
        assert!(set.contains_addr("1.2.3.4".parse().unwrap()));
        assert!(set.contains_addr("fd12::1".parse().unwrap()));
        assert!(!set.contains_addr("fe80::1".parse().unwrap()));
        let hosts = IpSet::new(
            IpSetId::derive("net", "h"),
            IpSetSource::Nets,
            IpSetMembers::addrs(["192.168.1.7/32".parse().unwrap()]),
        );
        assert!(hosts.contains_addr("192.168.1.7".parse().unwrap()));
        assert!(!hosts.contains_addr("192.168.1.8".parse().unwrap()));
    }

    #[test]
    fn members_are_normalised() {
        let m = IpSetMembers::addrs(["10.1.2.3/8".parse().unwrap(), "10.0.0.0/8".parse().unwrap()]);
        assert_eq!(m, IpSetMembers::Addrs(vec!["10.0.0.0/8".parse().unwrap()]));
    }
}
