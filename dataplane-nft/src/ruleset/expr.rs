//! The vocabulary of rules: what a rule can match, the statements it runs and its verdict.
//!
//! Each variant is one construct of the `nft` language with one fixed meaning; the text renderer
//! ([`crate::render`]) and the netlink encoder ([`crate::netlink`]) both match exhaustively on
//! these enums, so the two outputs cannot drift apart.

use std::fmt;

/// An IP family of a packet (the table itself is always `inet`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4 (`meta nfproto ipv4`).
    V4,
    /// IPv6 (`meta nfproto ipv6`).
    V6,
}

impl Family {
    /// Both families, IPv4 first.
    pub const BOTH: [Family; 2] = [Family::V4, Family::V6];

    /// `4` or `6`, as used in generated names.
    pub fn digit(self) -> char {
        match self {
            Family::V4 => '4',
            Family::V6 => '6',
        }
    }

    /// The ICMP protocol number of the family (1 or 58).
    pub fn icmp_protocol(self) -> u8 {
        match self {
            Family::V4 => 1,
            Family::V6 => 58,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        })
    }
}

/// Source or destination side of a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// Source.
    Src,
    /// Destination.
    Dst,
}

/// Incoming or outgoing interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IfDir {
    /// `iifname`.
    In,
    /// `oifname`.
    Out,
}

/// The data type of one component of a set key. The numeric IDs, lengths and byte orders are
/// nftables' own (`src/datatype.h` in nftables).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyType {
    /// `ipv4_addr`.
    Ipv4Addr,
    /// `ipv6_addr`.
    Ipv6Addr,
    /// `inet_service` (a port).
    InetService,
    /// `inet_proto` (an IP protocol number).
    InetProto,
    /// `ifname` (an interface name).
    Ifname,
    /// `icmpv6_type`.
    Icmpv6Type,
    /// `mark` (a packet mark, host byte order).
    Mark,
    /// `icmp_type`.
    IcmpType,
    /// `icmp_code`.
    IcmpCode,
    /// `icmpv6_code`.
    Icmpv6Code,
}

impl KeyType {
    /// The nft type name.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Ipv4Addr => "ipv4_addr",
            KeyType::Ipv6Addr => "ipv6_addr",
            KeyType::InetService => "inet_service",
            KeyType::InetProto => "inet_proto",
            KeyType::Ifname => "ifname",
            KeyType::Icmpv6Type => "icmpv6_type",
            KeyType::Mark => "mark",
            KeyType::IcmpType => "icmp_type",
            KeyType::IcmpCode => "icmp_code",
            KeyType::Icmpv6Code => "icmpv6_code",
        }
    }

    /// Length of a value in bytes.
    // A key type always has a length; there is nothing an `is_empty` could report.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(self) -> u32 {
        match self {
            KeyType::Ipv4Addr | KeyType::Mark => 4,
            KeyType::Ipv6Addr | KeyType::Ifname => 16,
            KeyType::InetService => 2,
            KeyType::InetProto
            | KeyType::Icmpv6Type
            | KeyType::IcmpType
            | KeyType::IcmpCode
            | KeyType::Icmpv6Code => 1,
        }
    }

    /// The largest integer value of the type (interface names have none).
    pub fn max_int(self) -> Option<u128> {
        match self {
            KeyType::Ipv4Addr | KeyType::Mark => Some(u128::from(u32::MAX)),
            KeyType::Ipv6Addr => Some(u128::MAX),
            KeyType::InetService => Some(u128::from(u16::MAX)),
            KeyType::InetProto
            | KeyType::Icmpv6Type
            | KeyType::IcmpType
            | KeyType::IcmpCode
            | KeyType::Icmpv6Code => Some(u128::from(u8::MAX)),
            KeyType::Ifname => None,
        }
    }
}

/// A packet field a rule can load (alone or as part of a concatenated set key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `iifname`.
    Iifname,
    /// `oifname`.
    Oifname,
    /// `meta l4proto`.
    L4proto,
    /// `ip saddr`.
    Ip4Saddr,
    /// `ip daddr`.
    Ip4Daddr,
    /// `ip6 saddr`.
    Ip6Saddr,
    /// `ip6 daddr`.
    Ip6Daddr,
    /// `th sport`: the first two bytes of the transport header.
    ThSport,
    /// `th dport`: bytes 2–3 of the transport header.
    ThDport,
    /// `icmpv6 type`.
    Icmpv6Type,
    /// `meta mark`.
    Mark,
    /// `icmp type`.
    IcmpType,
    /// `icmp code`.
    IcmpCode,
    /// `icmpv6 code`.
    Icmpv6Code,
}

impl Field {
    /// The set key type a lookup of this field needs.
    pub fn key_type(self) -> KeyType {
        match self {
            Field::Iifname | Field::Oifname => KeyType::Ifname,
            Field::L4proto => KeyType::InetProto,
            Field::Ip4Saddr | Field::Ip4Daddr => KeyType::Ipv4Addr,
            Field::Ip6Saddr | Field::Ip6Daddr => KeyType::Ipv6Addr,
            Field::ThSport | Field::ThDport => KeyType::InetService,
            Field::Icmpv6Type => KeyType::Icmpv6Type,
            Field::Mark => KeyType::Mark,
            Field::IcmpType => KeyType::IcmpType,
            Field::IcmpCode => KeyType::IcmpCode,
            Field::Icmpv6Code => KeyType::Icmpv6Code,
        }
    }

    /// The nft text of the field.
    pub fn text(self) -> &'static str {
        match self {
            Field::Iifname => "iifname",
            Field::Oifname => "oifname",
            Field::L4proto => "meta l4proto",
            Field::Ip4Saddr => "ip saddr",
            Field::Ip4Daddr => "ip daddr",
            Field::Ip6Saddr => "ip6 saddr",
            Field::Ip6Daddr => "ip6 daddr",
            Field::ThSport => "th sport",
            Field::ThDport => "th dport",
            Field::Icmpv6Type => "icmpv6 type",
            Field::Mark => "meta mark",
            Field::IcmpType => "icmp type",
            Field::IcmpCode => "icmp code",
            Field::Icmpv6Code => "icmpv6 code",
        }
    }

    /// The address field of a family and side.
    pub fn addr(family: Family, side: Side) -> Field {
        match (family, side) {
            (Family::V4, Side::Src) => Field::Ip4Saddr,
            (Family::V4, Side::Dst) => Field::Ip4Daddr,
            (Family::V6, Side::Src) => Field::Ip6Saddr,
            (Family::V6, Side::Dst) => Field::Ip6Daddr,
        }
    }

    /// The port field of a side.
    pub fn port(side: Side) -> Field {
        match side {
            Side::Src => Field::ThSport,
            Side::Dst => Field::ThDport,
        }
    }

    /// The family whose network header the field reads, if any.
    pub fn family(self) -> Option<Family> {
        match self {
            Field::Ip4Saddr | Field::Ip4Daddr => Some(Family::V4),
            Field::Ip6Saddr | Field::Ip6Daddr => Some(Family::V6),
            _ => None,
        }
    }
}

/// A set of conntrack states (`ct state a,b`): the bits of `NF_CT_STATE_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CtStates(u32);

impl CtStates {
    /// `invalid`.
    pub const INVALID: CtStates = CtStates(1);
    /// `established`.
    pub const ESTABLISHED: CtStates = CtStates(2);
    /// `related`.
    pub const RELATED: CtStates = CtStates(4);
    /// `established,related`.
    pub const ESTABLISHED_RELATED: CtStates = CtStates(6);

    /// The raw bit mask.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// The state names, in nft's order.
    pub fn names(self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (bit, name) in [(1, "invalid"), (2, "established"), (4, "related")] {
            if self.0 & bit != 0 {
                out.push(name);
            }
        }
        out
    }
}

/// One condition of a rule. All conditions of a rule are AND-ed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Match {
    /// `meta nfproto ipv4|ipv6`.
    Nfproto(Family),
    /// `meta l4proto N` (or `!= N`).
    L4proto {
        /// Protocol number.
        proto: u8,
        /// True for `!=`.
        negate: bool,
    },
    /// `th sport|dport N` (or `!= N`).
    Port {
        /// Which port.
        side: Side,
        /// The port.
        port: u16,
        /// True for `!=`.
        negate: bool,
    },
    /// `th sport|dport 0-65535`: holds exactly when the port can be loaded (the transport header
    /// is present and long enough, and the packet is not a non-first fragment).
    PortPresent {
        /// Which port.
        side: Side,
    },
    /// `@th,0,8 N` (or `!= N`): the first byte of the transport header (the ICMP type).
    IcmpType {
        /// The type.
        icmp_type: u8,
        /// True for `!=`.
        negate: bool,
    },
    /// `@th,0,16 N` (or `!= N`): type and code of an ICMP header as one 16-bit value
    /// (`type << 8 | code`).
    IcmpTypeCode {
        /// `type << 8 | code`.
        value: u16,
        /// True for `!=`.
        negate: bool,
    },
    /// `@th,0,8 0-255`: holds exactly when the ICMP type can be loaded.
    IcmpPresent,
    /// `iifname|oifname "name"` (or `!=`).
    IfName {
        /// Which interface.
        dir: IfDir,
        /// The name (at most 15 bytes).
        name: String,
        /// True for `!=`.
        negate: bool,
    },
    /// `KEY @set` (or `KEY != @set`), where KEY is one field or a concatenation `a . b . c`.
    InSet {
        /// The key fields.
        key: Vec<Field>,
        /// The named set.
        set: String,
        /// True for `!=`.
        negate: bool,
    },
    /// `meta mark & MASK == VALUE` (or `!=`).
    Mark {
        /// Bits to look at.
        mask: u32,
        /// Their expected value.
        value: u32,
        /// True for `!=`.
        negate: bool,
    },
    /// `ct state a,b`: the connection is in one of these states.
    CtState(CtStates),
}

/// A non-terminal statement of a rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Stmt {
    /// `counter name "NAME"`: increments a named counter.
    Counter(String),
    /// `log prefix "PREFIX"`: logs the packet and continues.
    Log {
        /// The prefix (at most 127 bytes, no `"` or `\`).
        prefix: String,
    },
    /// `meta mark set meta mark & AND | XOR`: the new mark is `(mark & and) ^ xor`; built only
    /// through [`Stmt::mark_set`], which keeps `xor & and == 0` so that `^` is an OR of bits the
    /// mask cleared.
    MarkSet {
        /// Bits kept.
        and: u32,
        /// Bits then set.
        xor: u32,
    },
    /// `notrack`: no connection tracking for this packet.
    Notrack,
}

impl Stmt {
    /// Clears the bits in `clear`, then sets the bits in `set`.
    pub fn mark_set(clear: u32, set: u32) -> Stmt {
        Stmt::MarkSet {
            and: !(clear | set),
            xor: set,
        }
    }
}

/// An absolute verdict (in a rule, or as the value of a verdict-map element).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// `accept`.
    Accept,
    /// `drop`.
    Drop,
    /// `return`.
    Return,
    /// `jump CHAIN`.
    Jump(String),
    /// `goto CHAIN`.
    Goto(String),
}

impl Verdict {
    /// The chain a jump or goto targets.
    pub fn target(&self) -> Option<&str> {
        match self {
            Verdict::Jump(c) | Verdict::Goto(c) => Some(c),
            _ => None,
        }
    }
}

/// How a rule ends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RuleVerdict {
    /// A fixed verdict.
    Plain(Verdict),
    /// `KEY vmap @map`: the verdict of the map element that contains the key; when none does
    /// the rule does not match and evaluation continues with the next rule.
    Vmap {
        /// The key fields.
        key: Vec<Field>,
        /// The named verdict map.
        map: String,
    },
}
