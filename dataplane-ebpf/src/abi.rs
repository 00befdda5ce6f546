//! The user space side of `bpf/abi.h`: constants and byte encoders for every structure the
//! datapath reads or writes. Sizes and offsets are pinned by static assertions in the C source and
//! by the tests below; integers are native-endian (the datapath runs on this host).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Attach point: TC ingress (TCX).
pub const POINT_TC_INGRESS: u32 = 0;
/// Attach point: TC egress (TCX).
pub const POINT_TC_EGRESS: u32 = 1;
/// Attach point: XDP.
pub const POINT_XDP: u32 = 2;

/// Number of classification fields (the classifier's `Field::COUNT`).
pub const NFIELDS: usize = 7;

/// Rule action: allow.
pub const ACT_ALLOW: u8 = 0;
/// Rule action: deny.
pub const ACT_DENY: u8 = 1;
/// Rule action: log and continue.
pub const ACT_LOG: u8 = 2;
/// Rule action: pass to a later block.
pub const ACT_PASS: u8 = 3;
/// Rule action: end without a verdict.
pub const ACT_NOVERDICT: u8 = 4;

/// Entry table kind: a dense array indexed by key.
pub const ENTRIES_DENSE: u8 = 0;
/// Entry table kind: an open-addressing hash table.
pub const ENTRIES_HASH: u8 = 1;
/// "None" in entry words (no decisive rule, no logs) and elsewhere.
pub const NONE: u32 = u32::MAX;
/// The hash multiplier of entry tables.
pub const HASH_MUL: u64 = 0x9e37_79b9_7f4a_7c15;
/// The most probes a hash lookup makes; tables are built so that every key is found within it.
pub const MAX_PROBES: u32 = 16;
/// High half of a leaf word in an interval map's direct table.
pub const LEAF: u32 = u32::MAX;
/// Flag in the high half of an interval-map word marking a sub-table word: the high half is
/// `IMAP_SUB | b` (the sub-table indexes the chunk's next `b` bits, `1 <= b <= 8`), the low half
/// the sub-table's offset from the start of the map. [`LEAF`] also has this bit set and is
/// tested first; record counts stay below it.
pub const IMAP_SUB: u32 = 0x8000_0000;
/// The most sub-table levels below an interval map's root table; the builder lays chunks that
/// would go deeper out as record ranges, and the datapath fails closed past it.
pub const IMAP_MAX_DEPTH: u32 = 16;
/// Bound of the datapath's binary search (records per chunk < 2^32).
pub const MAX_SEARCH: u32 = 32;
/// Stages per interface and direction.
pub const MAX_STAGES: usize = 3;
/// Blocks one classification may traverse.
pub const MAX_BLOCK_STEPS: u32 = 65_536;
/// Steps (Log rules, Pass rules taken within a block) one entry may name.
pub const MAX_STEPS_PER_ENTRY: u32 = 65_536;
/// Set in a step list's head word when one of its steps is a Log rule.
pub const STEPS_HAVE_LOG: u32 = 1 << 31;
/// Set in a step word when the step is a Pass rule (else it is a Log rule).
pub const STEP_PASS: u32 = 1 << 31;
/// Words of a block descriptor.
pub const BLOCK_WORDS: usize = 3 + NFIELDS;
/// Interfaces with a smaller ifindex are configured in a direct array (others in a hash).
pub const IFACE_DIRECT: u32 = 4096;
/// Interface flag: the direct-array entry is in use.
pub const IF_VALID: u32 = 1 << 31;

/// Interface flag: conntrack before the tracked stages.
pub const IF_STATEFUL: u32 = 1 << 0;
/// Interface flag: write the outcome to `skb->cb` / XDP metadata.
pub const IF_REPORT: u32 = 1 << 1;
/// Interface flag: emit Pass steps on the event ring.
pub const IF_TRACE: u32 = 1 << 2;
/// Interface flag: local and forwarded packets run different stage lists.
pub const IF_SPLIT: u32 = 1 << 3;
/// Interface flag: ICMPv6 neighbour discovery passes before policy.
pub const IF_ALLOW_NDP: u32 = 1 << 4;
/// Interface flag: an untracked XDP Allow tags the frame so TC ingress lets it through.
pub const IF_MARK_UNTRACKED: u32 = 1 << 5;
/// Interface flag (TC egress of a workload): packets the host itself sends pass without policy
/// and are recorded in conntrack; forwarded packets run the stages (SEMANTICS §3).
pub const IF_HOST_LOCAL: u32 = 1 << 6;
/// Conntrack flag: the flow's initiator is `a`.
pub const CT_INIT_IS_A: u32 = 1 << 0;
/// Conntrack flag: the host itself started the flow; only its own packets continue it.
pub const CT_HOST_LOCAL: u32 = 1 << 1;

/// Stage kind: after conntrack; an Allow records the flow.
pub const STAGE_TRACKED: u32 = 0;
/// Stage kind: before conntrack; an Allow passes without a record.
pub const STAGE_UNTRACKED: u32 = 1;

/// Event kind: a Log rule matched.
pub const EV_LOG: u32 = 1;
/// Event kind: a Pass rule was taken (trace mode).
pub const EV_PASS: u32 = 2;

/// Packet L4 kind: none.
pub const L4_NONE: u8 = 0;
/// Packet L4 kind: ports.
pub const L4_PORTS: u8 = 1;
/// Packet L4 kind: ICMP type/code.
pub const L4_ICMP: u8 = 2;

/// Magic of the report metadata an XDP program prepends in report mode.
pub const META_MAGIC: u32 = 0x5041;

/// Size of `struct pal_gen`.
pub const GEN_SIZE: usize = 680;
/// Size of `struct pal_iface`.
pub const IFACE_SIZE: usize = 80;
/// Size of `struct pal_event`.
pub const EVENT_SIZE: usize = 72;
/// Size of `struct pal_ct_key`.
pub const CT_KEY_SIZE: usize = 44;
/// Size of `struct pal_ct_val`.
pub const CT_VAL_SIZE: usize = 24;
/// Size of `struct __sk_buff`.
pub const SKB_SIZE: usize = 192;
/// Offset of `__sk_buff.ingress_ifindex`.
pub const SKB_INGRESS_IFINDEX: usize = 36;
/// Offset of `__sk_buff.ifindex`.
pub const SKB_IFINDEX: usize = 40;
/// Offset of `__sk_buff.cb`.
pub const SKB_CB: usize = 48;

/// What the datapath reports for one packet (the `PAL_ST_*` codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// A rule allowed.
    Allow,
    /// A rule denied.
    Deny,
    /// Every stage ended without a verdict: passed.
    NoVerdict,
    /// Conntrack: a later packet of an allowed flow.
    CtEstablished,
    /// Conntrack: a reply of an allowed flow.
    CtReply,
    /// Conntrack: an ICMP error about an allowed flow.
    CtRelated,
    /// Not IPv4/IPv6: passed.
    NotIp,
    /// IP header unusable: dropped.
    Malformed,
    /// No configuration for the interface: dropped.
    NoIface,
    /// Empty policy slot: dropped (fail closed).
    NoGeneration,
    /// Inconsistent tables: dropped (fail closed).
    Internal,
    /// Neighbour discovery passed before policy.
    Ndp,
    /// XDP already allowed the packet as untracked: passed.
    UntrackedMark,
    /// Sent by the host itself to a local workload: passed without policy (SEMANTICS §3).
    HostLocal,
}

impl Status {
    /// Decodes a `PAL_ST_*` code.
    pub fn from_code(code: u32) -> Option<Status> {
        Some(match code {
            1 => Status::Allow,
            2 => Status::Deny,
            3 => Status::NoVerdict,
            4 => Status::CtEstablished,
            5 => Status::CtReply,
            6 => Status::CtRelated,
            7 => Status::NotIp,
            8 => Status::Malformed,
            9 => Status::NoIface,
            10 => Status::NoGeneration,
            11 => Status::Internal,
            12 => Status::Ndp,
            13 => Status::UntrackedMark,
            14 => Status::HostLocal,
            _ => return None,
        })
    }

    /// True when the packet was let through.
    pub fn passes(self) -> bool {
        !matches!(
            self,
            Status::Deny
                | Status::Malformed
                | Status::NoIface
                | Status::NoGeneration
                | Status::Internal
        )
    }

    /// True when a policy rule decided (the report names it).
    pub fn by_rule(self) -> bool {
        matches!(self, Status::Allow | Status::Deny | Status::NoVerdict)
    }
}

/// A little writer for fixed layouts.
pub(crate) struct Bytes {
    buf: Vec<u8>,
}

impl Bytes {
    pub(crate) fn new(size: usize) -> Bytes {
        Bytes { buf: vec![0; size] }
    }

    pub(crate) fn u16(&mut self, at: usize, v: u16) -> &mut Bytes {
        self.put(at, &v.to_ne_bytes())
    }

    pub(crate) fn u32(&mut self, at: usize, v: u32) -> &mut Bytes {
        self.put(at, &v.to_ne_bytes())
    }

    pub(crate) fn u64(&mut self, at: usize, v: u64) -> &mut Bytes {
        self.put(at, &v.to_ne_bytes())
    }

    pub(crate) fn put(&mut self, at: usize, bytes: &[u8]) -> &mut Bytes {
        if let Some(dst) = self.buf.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        self
    }

    pub(crate) fn into_vec(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads a native-endian `u32` at `at` (0 when out of range).
pub(crate) fn read_u32(buf: &[u8], at: usize) -> u32 {
    buf.get(at..at + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_ne_bytes)
}

/// Reads a native-endian `u16` at `at` (0 when out of range).
pub(crate) fn read_u16(buf: &[u8], at: usize) -> u16 {
    buf.get(at..at + 2)
        .and_then(|b| <[u8; 2]>::try_from(b).ok())
        .map_or(0, u16::from_ne_bytes)
}

/// Reads a native-endian `u64` at `at` (0 when out of range).
pub(crate) fn read_u64(buf: &[u8], at: usize) -> u64 {
    buf.get(at..at + 8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_ne_bytes)
}

/// One interval map descriptor (`struct pal_imap`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ImapDesc {
    pub(crate) direct_off: u32,
    pub(crate) shift: u32,
    pub(crate) n_direct: u32,
}

/// The generation header (`struct pal_gen`), with heap offsets resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GenHeader {
    pub(crate) gen_id: u64,
    pub(crate) nblocks: u32,
    pub(crate) blocks_off: u32,
    pub(crate) rules_off: u32,
    pub(crate) nrules: u32,
    pub(crate) logs_off: u32,
    pub(crate) used_fields: u32,
    pub(crate) sport_absent: u32,
    pub(crate) dport_absent: u32,
    pub(crate) icmp_absent: u32,
    pub(crate) family_atom: [u32; 2],
    pub(crate) src4: ImapDesc,
    pub(crate) dst4: ImapDesc,
    pub(crate) sport: ImapDesc,
    pub(crate) dport: ImapDesc,
    pub(crate) icmp: ImapDesc,
    pub(crate) src6: ImapDesc,
    pub(crate) dst6: ImapDesc,
    pub(crate) proto_atom: [u16; 256],
}

impl GenHeader {
    /// The bytes of `struct pal_gen`.
    pub(crate) fn encode(&self) -> [u8; GEN_SIZE] {
        let mut b = Bytes::new(GEN_SIZE);
        b.u64(0, self.gen_id)
            .u32(8, 0)
            .u32(12, self.nblocks)
            .u32(16, self.blocks_off)
            .u32(20, self.rules_off)
            .u32(24, self.nrules)
            .u32(28, self.logs_off)
            .u32(32, self.used_fields)
            .u32(36, self.sport_absent)
            .u32(40, self.dport_absent)
            .u32(44, self.icmp_absent)
            .u32(48, self.family_atom[0])
            .u32(52, self.family_atom[1]);
        let imaps = [
            self.src4, self.dst4, self.sport, self.dport, self.icmp, self.src6, self.dst6,
        ];
        for (i, m) in imaps.iter().enumerate() {
            let at = 56 + 16 * i;
            b.u32(at, m.direct_off)
                .u32(at + 4, m.shift)
                .u32(at + 8, m.n_direct);
        }
        for (i, a) in self.proto_atom.iter().enumerate() {
            b.u16(168 + 2 * i, *a);
        }
        let v = b.into_vec();
        let mut out = [0u8; GEN_SIZE];
        out.copy_from_slice(&v);
        out
    }
}

/// A stage of an interface's stage list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct StageDesc {
    pub(crate) slot: u32,
    pub(crate) kind: u32,
}

/// `struct pal_iface`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IfaceDesc {
    pub(crate) flags: u32,
    pub(crate) local: Vec<StageDesc>,
    pub(crate) fwd: Vec<StageDesc>,
    pub(crate) ct_timeout_tcp_ns: u64,
    pub(crate) ct_timeout_other_ns: u64,
}

impl IfaceDesc {
    pub(crate) fn encode(&self) -> [u8; IFACE_SIZE] {
        let mut b = Bytes::new(IFACE_SIZE);
        let n_local = self.local.len().min(MAX_STAGES);
        let n_fwd = self.fwd.len().min(MAX_STAGES);
        b.u32(0, self.flags)
            .u32(4, n_local as u32)
            .u32(8, n_fwd as u32);
        for (i, s) in self.local.iter().take(MAX_STAGES).enumerate() {
            b.u32(16 + 8 * i, s.slot).u32(20 + 8 * i, s.kind);
        }
        for (i, s) in self.fwd.iter().take(MAX_STAGES).enumerate() {
            b.u32(40 + 8 * i, s.slot).u32(44 + 8 * i, s.kind);
        }
        b.u64(64, self.ct_timeout_tcp_ns)
            .u64(72, self.ct_timeout_other_ns);
        let v = b.into_vec();
        let mut out = [0u8; IFACE_SIZE];
        out.copy_from_slice(&v);
        out
    }
}

/// `struct pal_iface_key`.
pub(crate) fn iface_key(ifindex: u32, point: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&ifindex.to_ne_bytes());
    out[4..].copy_from_slice(&point.to_ne_bytes());
    out
}

/// A decoded `struct pal_event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RawEvent {
    pub(crate) kind: u32,
    pub(crate) slot: u32,
    pub(crate) gen_id: u64,
    pub(crate) rule: u32,
    pub(crate) ifindex: u32,
    pub(crate) point: u8,
    pub(crate) family: u8,
    pub(crate) proto: u8,
    pub(crate) l4: u8,
    pub(crate) sport: u16,
    pub(crate) dport: u16,
    pub(crate) icmp_type: u8,
    pub(crate) icmp_code: u8,
    pub(crate) src: IpAddr,
    pub(crate) dst: IpAddr,
}

/// The address of `family` (4 or 6) stored in network order at `buf[at..at + 16]`.
fn addr_at(buf: &[u8], at: usize, family: u8) -> IpAddr {
    let mut raw = [0u8; 16];
    if let Some(b) = buf.get(at..at + 16) {
        raw.copy_from_slice(b);
    }
    if family == 4 {
        IpAddr::V4(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]))
    } else {
        IpAddr::V6(Ipv6Addr::from(raw))
    }
}

impl RawEvent {
    /// Decodes an event; `None` if `buf` is too short.
    pub(crate) fn decode(buf: &[u8]) -> Option<RawEvent> {
        if buf.len() < EVENT_SIZE {
            return None;
        }
        let family = *buf.get(25)?;
        Some(RawEvent {
            kind: read_u32(buf, 0),
            slot: read_u32(buf, 4),
            gen_id: read_u64(buf, 8),
            rule: read_u32(buf, 16),
            ifindex: read_u32(buf, 20),
            point: *buf.get(24)?,
            family,
            proto: *buf.get(26)?,
            l4: *buf.get(27)?,
            sport: read_u16(buf, 28),
            dport: read_u16(buf, 30),
            icmp_type: *buf.get(32)?,
            icmp_code: *buf.get(33)?,
            src: addr_at(buf, 36, family),
            dst: addr_at(buf, 52, family),
        })
    }
}

/// A decoded conntrack entry (`struct pal_ct_key` + `struct pal_ct_val`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RawCtEntry {
    pub(crate) ifindex: u32,
    pub(crate) proto: u8,
    pub(crate) a: IpAddr,
    pub(crate) b: IpAddr,
    pub(crate) pa: u16,
    pub(crate) pb: u16,
    pub(crate) last_seen_ns: u64,
    pub(crate) init_is_a: bool,
    pub(crate) host_local: bool,
    pub(crate) point: u32,
    pub(crate) slot: u32,
    pub(crate) rule: u32,
}

impl RawCtEntry {
    pub(crate) fn decode(key: &[u8], val: &[u8]) -> Option<RawCtEntry> {
        if key.len() < CT_KEY_SIZE || val.len() < CT_VAL_SIZE {
            return None;
        }
        let family = *key.get(4)?;
        Some(RawCtEntry {
            ifindex: read_u32(key, 0),
            proto: *key.get(5)?,
            a: addr_at(key, 8, family),
            b: addr_at(key, 24, family),
            pa: read_u16(key, 40),
            pb: read_u16(key, 42),
            last_seen_ns: read_u64(val, 0),
            init_is_a: read_u32(val, 8) & CT_INIT_IS_A != 0,
            host_local: read_u32(val, 8) & CT_HOST_LOCAL != 0,
            point: read_u32(val, 12),
            slot: read_u32(val, 16),
            rule: read_u32(val, 20),
        })
    }
}

#[cfg(test)]
mod tests {

    /// The value of `#define NAME value` in `bpf/abi.h` (plain numbers and `(1u << n)`).
    fn c_define(name: &str) -> u64 {
        let header = include_str!("../bpf/abi.h");
        let line = header
            .lines()
            .find(|l| l.split_whitespace().take(2).eq(["#define", name]))
            .unwrap_or_else(|| panic!("abi.h has no {name}"));
        let value = line.split_once(name).map(|(_, v)| v).unwrap_or_default();
        let value = value.split("/*").next().unwrap_or_default().trim();
        let value = value.trim_start_matches('(').trim_end_matches(')');
        let number = |t: &str| {
            let t = t.trim().trim_end_matches(['u', 'l', 'U', 'L']);
            match t.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).unwrap(),
                None => t.parse::<u64>().unwrap(),
            }
        };
        match value.split_once("<<") {
            Some((a, b)) => number(a) << number(b),
            None => number(value),
        }
    }

    #[test]
    fn constants_match_the_c_header() {
        let pairs: &[(&str, u64)] = &[
            ("PAL_POINT_TC_INGRESS", u64::from(POINT_TC_INGRESS)),
            ("PAL_POINT_TC_EGRESS", u64::from(POINT_TC_EGRESS)),
            ("PAL_POINT_XDP", u64::from(POINT_XDP)),
            ("PAL_NFIELDS", NFIELDS as u64),
            ("PAL_ACT_ALLOW", u64::from(ACT_ALLOW)),
            ("PAL_ACT_DENY", u64::from(ACT_DENY)),
            ("PAL_ACT_LOG", u64::from(ACT_LOG)),
            ("PAL_ACT_PASS", u64::from(ACT_PASS)),
            ("PAL_ACT_NOVERDICT", u64::from(ACT_NOVERDICT)),
            ("PAL_ENTRIES_DENSE", u64::from(ENTRIES_DENSE)),
            ("PAL_ENTRIES_HASH", u64::from(ENTRIES_HASH)),
            ("PAL_NONE", u64::from(NONE)),
            ("PAL_HASH_MUL", HASH_MUL),
            ("PAL_MAX_PROBES", u64::from(MAX_PROBES)),
            ("PAL_LEAF", u64::from(LEAF)),
            ("PAL_IMAP_SUB", u64::from(IMAP_SUB)),
            ("PAL_IMAP_MAX_DEPTH", u64::from(IMAP_MAX_DEPTH)),
            ("PAL_MAX_SEARCH", u64::from(MAX_SEARCH)),
            ("PAL_MAX_STAGES", MAX_STAGES as u64),
            ("PAL_MAX_BLOCK_STEPS", u64::from(MAX_BLOCK_STEPS)),
            ("PAL_MAX_STEPS_PER_ENTRY", u64::from(MAX_STEPS_PER_ENTRY)),
            ("PAL_STEPS_HAVE_LOG", u64::from(STEPS_HAVE_LOG)),
            ("PAL_STEP_PASS", u64::from(STEP_PASS)),
            ("PAL_IFACE_DIRECT", u64::from(IFACE_DIRECT)),
            ("PAL_IF_VALID", u64::from(IF_VALID)),
            ("PAL_IF_STATEFUL", u64::from(IF_STATEFUL)),
            ("PAL_IF_REPORT", u64::from(IF_REPORT)),
            ("PAL_IF_TRACE", u64::from(IF_TRACE)),
            ("PAL_IF_SPLIT", u64::from(IF_SPLIT)),
            ("PAL_IF_ALLOW_NDP", u64::from(IF_ALLOW_NDP)),
            ("PAL_IF_MARK_UNTRACKED", u64::from(IF_MARK_UNTRACKED)),
            ("PAL_IF_HOST_LOCAL", u64::from(IF_HOST_LOCAL)),
            ("PAL_CT_INIT_IS_A", u64::from(CT_INIT_IS_A)),
            ("PAL_CT_HOST_LOCAL", u64::from(CT_HOST_LOCAL)),
            ("PAL_ST_HOST_LOCAL", 14),
            ("PAL_STAGE_TRACKED", u64::from(STAGE_TRACKED)),
            ("PAL_STAGE_UNTRACKED", u64::from(STAGE_UNTRACKED)),
            ("PAL_EV_LOG", u64::from(EV_LOG)),
            ("PAL_EV_PASS", u64::from(EV_PASS)),
            ("PAL_L4_NONE", u64::from(L4_NONE)),
            ("PAL_L4_PORTS", u64::from(L4_PORTS)),
            ("PAL_L4_ICMP", u64::from(L4_ICMP)),
            ("PAL_META_MAGIC", u64::from(META_MAGIC)),
        ];
        for (name, rust) in pairs {
            assert_eq!(c_define(name), *rust, "{name}");
        }
    }

    use super::*;

    #[test]
    fn header_layout_matches_the_c_offsets() {
        let mut h = GenHeader {
            gen_id: 0x0102_0304_0506_0708,
            nblocks: 2,
            blocks_off: 3,
            rules_off: 4,
            nrules: 5,
            logs_off: 6,
            used_fields: 7,
            sport_absent: 8,
            dport_absent: 9,
            icmp_absent: 10,
            family_atom: [11, 12],
            src4: ImapDesc {
                direct_off: 13,
                shift: 14,
                n_direct: 15,
            },
            dst4: ImapDesc::default(),
            sport: ImapDesc::default(),
            dport: ImapDesc::default(),
            icmp: ImapDesc::default(),
            src6: ImapDesc::default(),
            dst6: ImapDesc {
                direct_off: 16,
                shift: 17,
                n_direct: 18,
            },
            proto_atom: [0; 256],
        };
        h.proto_atom[255] = 19;
        let b = h.encode();
        assert_eq!(read_u64(&b, 0), 0x0102_0304_0506_0708);
        assert_eq!(read_u32(&b, 12), 2);
        assert_eq!(read_u32(&b, 48), 11);
        assert_eq!(read_u32(&b, 56), 13);
        assert_eq!(read_u32(&b, 56 + 6 * 16), 16);
        assert_eq!(read_u32(&b, 56 + 6 * 16 + 4), 17);
        assert_eq!(read_u16(&b, 168 + 2 * 255), 19);
        assert_eq!(b.len(), GEN_SIZE);
    }

    #[test]
    fn status_codes_round_trip() {
        for code in 1..=14 {
            assert!(Status::from_code(code).is_some());
        }
        assert_eq!(Status::from_code(0), None);
        assert!(!Status::Deny.passes());
        assert!(Status::CtReply.passes());
        assert!(Status::NoVerdict.by_rule());
        assert!(Status::HostLocal.passes());
        assert!(!Status::HostLocal.by_rule());
    }
}
