//! Encoding the model into netlink-level objects: the expression list of each rule and the
//! attributes and elements of each set, exactly as the `nft` tool builds them from the rendered
//! text (checked by root tests that compare with `nft --debug=netlink` and with the kernel's
//! listing). Pure: no libnftnl here; [`crate::ffi`] turns these values into messages.

use crate::ruleset::{
    Element, Family, Field, IfDir, KeyPart, KeyType, Match, Rule, RuleVerdict, Set, Side, Stmt,
    Verdict,
};

/// `NFT_META_*` keys used by the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MetaKey {
    Mark = 3,
    Iifname = 6,
    Oifname = 7,
    Nfproto = 15,
    L4proto = 16,
}

/// `NFT_PAYLOAD_*_HEADER` bases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PayloadBase {
    Network = 1,
    Transport = 2,
}

/// `NFT_CMP_*` operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq = 0,
    Neq = 1,
    Lte = 3,
    Gte = 5,
}

/// A verdict as netlink carries it: `NF_DROP`/`NF_ACCEPT`/`NFT_*` code and, for jumps, a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NlVerdict {
    pub(crate) code: i32,
    pub(crate) chain: Option<String>,
}

impl NlVerdict {
    pub(crate) fn from_verdict(v: &Verdict) -> NlVerdict {
        let (code, chain) = match v {
            Verdict::Drop => (0, None),
            Verdict::Accept => (1, None),
            Verdict::Jump(c) => (-3, Some(c.clone())),
            Verdict::Goto(c) => (-4, Some(c.clone())),
            Verdict::Return => (-5, None),
        };
        NlVerdict { code, chain }
    }
}

/// One netfilter expression with its attributes (one `nftnl_expr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NlExpr {
    Meta {
        key: MetaKey,
        dreg: u32,
    },
    MetaSet {
        key: MetaKey,
        sreg: u32,
    },
    Payload {
        base: PayloadBase,
        offset: u32,
        len: u32,
        dreg: u32,
    },
    Cmp {
        sreg: u32,
        op: CmpOp,
        data: Vec<u8>,
    },
    Bitwise {
        sreg: u32,
        dreg: u32,
        mask: Vec<u8>,
        xor: Vec<u8>,
    },
    Byteorder {
        sreg: u32,
        dreg: u32,
        size: u32,
        len: u32,
    },
    Lookup {
        sreg: u32,
        set: String,
        /// `Some(0)` for a verdict map lookup.
        dreg: Option<u32>,
        invert: bool,
    },
    CtState {
        dreg: u32,
    },
    /// A reference to a named counter.
    CounterRef {
        name: String,
    },
    Log {
        prefix: String,
    },
    Notrack,
    Immediate(NlVerdict),
}

/// A rule ready for libnftnl: its chain, expressions and user data (the comment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NlRule {
    pub(crate) chain: String,
    pub(crate) exprs: Vec<NlExpr>,
    pub(crate) udata: Option<Vec<u8>>,
}

const REG_1: u32 = 1;
const REG_VERDICT: u32 = 0;

/// nft's register numbering: a linear index of 32-bit registers starting at 1 is written as a
/// 128-bit register number when it starts one, else as a 32-bit register number
/// (`netlink_put_register` in nftables).
fn put_register(linear: u32) -> u32 {
    let r = linear - REG_1;
    if r.is_multiple_of(4) {
        REG_1 + r / 4
    } else {
        r + 8
    }
}

fn meta_field(field: Field) -> Option<MetaKey> {
    match field {
        Field::Iifname => Some(MetaKey::Iifname),
        Field::Oifname => Some(MetaKey::Oifname),
        Field::L4proto => Some(MetaKey::L4proto),
        Field::Mark => Some(MetaKey::Mark),
        _ => None,
    }
}

/// Payload base, offset and length of a payload field.
fn payload_field(field: Field) -> Option<(PayloadBase, u32, u32)> {
    Some(match field {
        Field::Ip4Saddr => (PayloadBase::Network, 12, 4),
        Field::Ip4Daddr => (PayloadBase::Network, 16, 4),
        Field::Ip6Saddr => (PayloadBase::Network, 8, 16),
        Field::Ip6Daddr => (PayloadBase::Network, 24, 16),
        Field::ThSport => (PayloadBase::Transport, 0, 2),
        Field::ThDport => (PayloadBase::Transport, 2, 2),
        Field::Icmpv6Type | Field::IcmpType => (PayloadBase::Transport, 0, 1),
        Field::Icmpv6Code | Field::IcmpCode => (PayloadBase::Transport, 1, 1),
        _ => return None,
    })
}

fn load(field: Field, dreg: u32) -> NlExpr {
    if let Some(key) = meta_field(field) {
        NlExpr::Meta { key, dreg }
    } else if let Some((base, offset, len)) = payload_field(field) {
        NlExpr::Payload {
            base,
            offset,
            len,
            dreg,
        }
    } else {
        // Every Field is either a meta key or a payload field (exhaustive above).
        NlExpr::Notrack
    }
}

fn family_code(f: Family) -> u8 {
    match f {
        Family::V4 => 2,
        Family::V6 => 10,
    }
}

/// Builds the expressions of one rule, tracking the `meta nfproto` context the way nft does:
/// a network-header load of a family is preceded by `meta nfproto <family>` unless the rule
/// already established that family.
struct RuleEncoder {
    exprs: Vec<NlExpr>,
    nfproto: Option<Family>,
}

impl RuleEncoder {
    fn cmp(&mut self, op: CmpOp, data: Vec<u8>) {
        self.exprs.push(NlExpr::Cmp {
            sreg: REG_1,
            op,
            data,
        });
    }

    fn need_family(&mut self, family: Option<Family>) {
        if let Some(f) = family
            && self.nfproto != Some(f)
        {
            self.exprs.push(NlExpr::Meta {
                key: MetaKey::Nfproto,
                dreg: REG_1,
            });
            self.cmp(CmpOp::Eq, vec![family_code(f)]);
            self.nfproto = Some(f);
        }
    }

    /// Loads a (possibly concatenated) key into registers starting at register 1.
    fn load_key(&mut self, key: &[Field]) {
        if let Some(f) = key.iter().find_map(|f| f.family()) {
            self.need_family(Some(f));
        }
        let concat = key.len() > 1;
        let mut linear = REG_1;
        for &field in key {
            let reg = put_register(linear);
            self.exprs.push(load(field, reg));
            if concat && field == Field::L4proto && reg >= 8 {
                // nft converts the host-endian protocol byte when it lands in a 32-bit register
                // of a concatenation.
                self.exprs.push(NlExpr::Byteorder {
                    sreg: reg,
                    dreg: reg,
                    size: 2,
                    len: 1,
                });
            }
            linear += field.key_type().len().div_ceil(4);
        }
    }

    fn push_match(&mut self, m: &Match) {
        match m {
            Match::Nfproto(f) => {
                self.exprs.push(NlExpr::Meta {
                    key: MetaKey::Nfproto,
                    dreg: REG_1,
                });
                self.cmp(CmpOp::Eq, vec![family_code(*f)]);
                self.nfproto = Some(*f);
            }
            Match::L4proto { proto, negate } => {
                self.exprs.push(NlExpr::Meta {
                    key: MetaKey::L4proto,
                    dreg: REG_1,
                });
                self.cmp(eq_op(*negate), vec![*proto]);
            }
            Match::Port { side, port, negate } => {
                self.exprs.push(port_load(*side));
                self.cmp(eq_op(*negate), port.to_be_bytes().to_vec());
            }
            Match::PortPresent { side } => {
                self.exprs.push(port_load(*side));
                self.cmp(CmpOp::Gte, vec![0, 0]);
                self.cmp(CmpOp::Lte, vec![0xff, 0xff]);
            }
            Match::IcmpType { icmp_type, negate } => {
                self.exprs.push(th_load(0, 1));
                self.cmp(eq_op(*negate), vec![*icmp_type]);
            }
            Match::IcmpTypeCode { value, negate } => {
                self.exprs.push(th_load(0, 2));
                self.cmp(eq_op(*negate), value.to_be_bytes().to_vec());
            }
            Match::IcmpPresent => {
                self.exprs.push(th_load(0, 1));
                self.cmp(CmpOp::Gte, vec![0]);
                self.cmp(CmpOp::Lte, vec![0xff]);
            }
            Match::IfName { dir, name, negate } => {
                let key = match dir {
                    IfDir::In => MetaKey::Iifname,
                    IfDir::Out => MetaKey::Oifname,
                };
                self.exprs.push(NlExpr::Meta { key, dreg: REG_1 });
                self.cmp(eq_op(*negate), ifname_bytes(name));
            }
            Match::InSet { key, set, negate } => {
                self.load_key(key);
                self.exprs.push(NlExpr::Lookup {
                    sreg: REG_1,
                    set: set.clone(),
                    dreg: None,
                    invert: *negate,
                });
            }
            Match::Mark {
                mask,
                value,
                negate,
            } => {
                self.exprs.push(NlExpr::Meta {
                    key: MetaKey::Mark,
                    dreg: REG_1,
                });
                self.exprs.push(NlExpr::Bitwise {
                    sreg: REG_1,
                    dreg: REG_1,
                    mask: mask.to_ne_bytes().to_vec(),
                    xor: vec![0; 4],
                });
                self.cmp(eq_op(*negate), value.to_ne_bytes().to_vec());
            }
            Match::CtState(states) => {
                self.exprs.push(NlExpr::CtState { dreg: REG_1 });
                self.exprs.push(NlExpr::Bitwise {
                    sreg: REG_1,
                    dreg: REG_1,
                    mask: states.bits().to_ne_bytes().to_vec(),
                    xor: vec![0; 4],
                });
                self.cmp(CmpOp::Neq, vec![0; 4]);
            }
        }
    }

    fn push_stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Counter(name) => self.exprs.push(NlExpr::CounterRef { name: name.clone() }),
            Stmt::Log { prefix } => self.exprs.push(NlExpr::Log {
                prefix: prefix.clone(),
            }),
            Stmt::MarkSet { and, xor } => {
                self.exprs.push(NlExpr::Meta {
                    key: MetaKey::Mark,
                    dreg: REG_1,
                });
                self.exprs.push(NlExpr::Bitwise {
                    sreg: REG_1,
                    dreg: REG_1,
                    mask: and.to_ne_bytes().to_vec(),
                    xor: xor.to_ne_bytes().to_vec(),
                });
                self.exprs.push(NlExpr::MetaSet {
                    key: MetaKey::Mark,
                    sreg: REG_1,
                });
            }
            Stmt::Notrack => self.exprs.push(NlExpr::Notrack),
        }
    }
}

fn eq_op(negate: bool) -> CmpOp {
    if negate { CmpOp::Neq } else { CmpOp::Eq }
}

fn th_load(offset: u32, len: u32) -> NlExpr {
    NlExpr::Payload {
        base: PayloadBase::Transport,
        offset,
        len,
        dreg: REG_1,
    }
}

fn port_load(side: Side) -> NlExpr {
    th_load(if side == Side::Src { 0 } else { 2 }, 2)
}

/// An interface name as nft compares it: zero-padded to `IFNAMSIZ` bytes.
fn ifname_bytes(name: &str) -> Vec<u8> {
    let mut b = name.as_bytes().to_vec();
    b.resize(16, 0);
    b
}

/// The expressions of a rule, in nft's order: matches, statements, verdict.
pub(crate) fn encode_rule(chain: &str, rule: &Rule) -> NlRule {
    let mut enc = RuleEncoder {
        exprs: Vec::new(),
        nfproto: None,
    };
    for m in &rule.matches {
        enc.push_match(m);
    }
    for s in &rule.stmts {
        enc.push_stmt(s);
    }
    match &rule.verdict {
        Some(RuleVerdict::Plain(v)) => enc
            .exprs
            .push(NlExpr::Immediate(NlVerdict::from_verdict(v))),
        Some(RuleVerdict::Vmap { key, map }) => {
            enc.load_key(key);
            enc.exprs.push(NlExpr::Lookup {
                sreg: REG_1,
                set: map.clone(),
                dreg: Some(REG_VERDICT),
                invert: false,
            });
        }
        None => {}
    }
    NlRule {
        chain: chain.to_owned(),
        exprs: enc.exprs,
        udata: rule.comment.as_deref().map(comment_udata),
    }
}

/// A rule comment as nft stores it: `NFTNL_UDATA_RULE_COMMENT`, NUL-terminated.
fn comment_udata(comment: &str) -> Vec<u8> {
    let mut v = vec![0u8, 0];
    v.extend_from_slice(comment.as_bytes());
    v.push(0);
    // Length of the value including the NUL; comments are at most 127 bytes (validated).
    v[1] = (comment.len() + 1) as u8;
    v
}

/// `NFT_SET_*` flags.
pub(crate) const SET_INTERVAL: u32 = 0x4;
pub(crate) const SET_MAP: u32 = 0x8;
pub(crate) const SET_CONCAT: u32 = 0x80;
/// `NFT_DATA_VERDICT`.
pub(crate) const DATA_VERDICT: u32 = 0xffff_ff00;
/// `NFT_SET_ELEM_INTERVAL_END`.
pub(crate) const ELEM_INTERVAL_END: u32 = 1;

/// A set's attributes as nft sends them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NlSet {
    pub(crate) name: String,
    pub(crate) flags: u32,
    pub(crate) key_type: u32,
    pub(crate) key_len: u32,
    /// `(data type, data length)` of a map.
    pub(crate) data: Option<(u32, u32)>,
    /// Field lengths of a concatenated interval set (`NFTA_SET_DESC_CONCAT`).
    pub(crate) concat_fields: Option<Vec<u32>>,
    pub(crate) udata: Vec<u8>,
}

/// A set element as nft sends it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct NlElem {
    pub(crate) key: Vec<u8>,
    pub(crate) key_end: Option<Vec<u8>>,
    pub(crate) flags: u32,
    /// `(verdict code, chain)`.
    pub(crate) verdict: Option<(i32, Option<String>)>,
    pub(crate) udata: Option<Vec<u8>>,
}

fn type_id(t: KeyType) -> u32 {
    match t {
        KeyType::Ipv4Addr => 7,
        KeyType::Ipv6Addr => 8,
        KeyType::InetProto => 12,
        KeyType::InetService => 13,
        KeyType::Icmpv6Type => 29,
        KeyType::Ifname => 41,
        KeyType::Mark => 19,
        KeyType::IcmpType => 14,
        KeyType::IcmpCode => 32,
        KeyType::Icmpv6Code => 33,
    }
}

/// nft's `enum byteorder`: 0 invalid, 1 host, 2 big endian.
fn byteorder(t: KeyType) -> u32 {
    match t {
        KeyType::InetProto => 0,
        KeyType::Ifname | KeyType::Mark => 1,
        _ => 2,
    }
}

fn udata_u32(out: &mut Vec<u8>, ty: u8, v: u32) {
    out.push(ty);
    out.push(4);
    out.extend_from_slice(&v.to_ne_bytes());
}

/// `NFTNL_UDATA_SET_*` types.
const UDATA_SET_KEYBYTEORDER: u8 = 0;
const UDATA_SET_DATABYTEORDER: u8 = 1;
const UDATA_SET_KEY_TYPEOF: u8 = 3;
const UDATA_SET_DATA_INTERVAL: u8 = 6;
/// `NFTNL_UDATA_SET_ELEM_FLAGS` and `NFTNL_SET_ELEM_F_INTERVAL_OPEN`.
const UDATA_SET_ELEM_FLAGS: u8 = 1;
const SET_ELEM_F_INTERVAL_OPEN: u32 = 1;
/// nft's `EXPR_CONCAT`.
const EXPR_CONCAT: u32 = 13;

/// The attributes of a set.
pub(crate) fn encode_set(name: &str, set: &Set) -> NlSet {
    let concat = set.is_concat();
    let mut flags = 0;
    if set.interval {
        flags |= SET_INTERVAL;
        if concat {
            flags |= SET_CONCAT;
        }
    }
    if set.map {
        flags |= SET_MAP;
    }
    let key_type = set.key.iter().fold(0u32, |acc, t| (acc << 6) | type_id(*t));
    let key_len = if concat {
        set.key.iter().map(|t| t.len().next_multiple_of(4)).sum()
    } else {
        set.key.first().map_or(0, |t| t.len())
    };
    let mut udata = Vec::new();
    let key_order = if concat {
        0
    } else {
        set.key.first().map_or(0, |t| byteorder(*t))
    };
    udata_u32(&mut udata, UDATA_SET_KEYBYTEORDER, key_order);
    if set.map {
        udata_u32(&mut udata, UDATA_SET_DATABYTEORDER, 0);
    }
    if concat {
        // KEY_TYPEOF { TYPEOF_EXPR: EXPR_CONCAT, TYPEOF_DATA: {} }: what nft stores for a
        // concatenation declared with `type`.
        udata.extend_from_slice(&[UDATA_SET_KEY_TYPEOF, 8, 0, 4]);
        udata.extend_from_slice(&EXPR_CONCAT.to_ne_bytes());
        udata.extend_from_slice(&[1, 0]);
    }
    if set.map {
        udata_u32(&mut udata, UDATA_SET_DATA_INTERVAL, 0);
    }
    NlSet {
        name: name.to_owned(),
        flags,
        key_type,
        key_len,
        data: set.map.then_some((DATA_VERDICT, 0)),
        concat_fields: (concat && set.interval).then(|| set.key.iter().map(|t| t.len()).collect()),
        udata,
    }
}

fn int_bytes(t: KeyType, v: u128) -> Vec<u8> {
    if t == KeyType::Mark {
        // A mark is a host-endian u32 (validated to fit).
        return (v as u32).to_ne_bytes().to_vec();
    }
    let all = v.to_be_bytes();
    // `len` is at most 16 for integer key types.
    all[16 - t.len() as usize..].to_vec()
}

fn part_bytes(t: KeyType, part: &KeyPart, upper: bool) -> Vec<u8> {
    match part {
        KeyPart::Name(n) => ifname_bytes(n),
        KeyPart::Int { lo, hi } => int_bytes(t, if upper { *hi } else { *lo }),
    }
}

fn key_bytes(types: &[KeyType], element: &Element, upper: bool) -> Vec<u8> {
    if types.len() == 1 {
        return part_bytes(types[0], &element.key[0], upper);
    }
    let mut out = Vec::new();
    for (t, part) in types.iter().zip(&element.key) {
        let mut b = part_bytes(*t, part, upper);
        b.resize(b.len().next_multiple_of(4), 0);
        out.extend_from_slice(&b);
    }
    out
}

fn elem_verdict(v: &Option<Verdict>) -> Option<(i32, Option<String>)> {
    v.as_ref().map(|v| {
        let nl = NlVerdict::from_verdict(v);
        (nl.code, nl.chain)
    })
}

/// The elements nft sends for a set's element list. A single-field interval set (rbtree) gets
/// a start element per interval and an interval-end element one past its end (none when the
/// interval reaches the top of the type, marked "open" instead), preceded by an end element at
/// zero when the first interval does not start there; a concatenated interval set (pipapo) gets
/// one element with key and key end each; other sets one element per key.
pub(crate) fn encode_elements(set: &Set) -> Vec<NlElem> {
    let mut out = Vec::with_capacity(set.elements.len() * 2 + 1);
    let single_interval = set.interval && !set.is_concat();
    if single_interval {
        let ty = set.key[0];
        let max = ty.max_int().unwrap_or(0);
        if let Some(first) = set.elements.first()
            && matches!(first.key[0], KeyPart::Int { lo, .. } if lo != 0)
        {
            out.push(NlElem {
                key: int_bytes(ty, 0),
                key_end: None,
                flags: ELEM_INTERVAL_END,
                verdict: None,
                udata: None,
            });
        }
        for e in &set.elements {
            let KeyPart::Int { lo, hi } = e.key[0] else {
                continue;
            };
            let open = hi == max;
            out.push(NlElem {
                key: int_bytes(ty, lo),
                key_end: None,
                flags: 0,
                verdict: elem_verdict(&e.verdict),
                udata: open.then(|| {
                    let mut u = Vec::new();
                    udata_u32(&mut u, UDATA_SET_ELEM_FLAGS, SET_ELEM_F_INTERVAL_OPEN);
                    u
                }),
            });
            if !open {
                out.push(NlElem {
                    key: int_bytes(ty, hi + 1),
                    key_end: None,
                    flags: ELEM_INTERVAL_END,
                    verdict: None,
                    udata: None,
                });
            }
        }
    } else {
        for e in &set.elements {
            out.push(NlElem {
                key: key_bytes(&set.key, e, false),
                key_end: set.interval.then(|| key_bytes(&set.key, e, true)),
                flags: 0,
                verdict: elem_verdict(&e.verdict),
                udata: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruleset::CtStates;

    fn expr_kinds(rule: &NlRule) -> Vec<String> {
        rule.exprs.iter().map(|e| format!("{e:?}")).collect()
    }

    #[test]
    fn registers_follow_nfts_numbering() {
        assert_eq!(put_register(1), 1);
        assert_eq!(put_register(2), 9);
        assert_eq!(put_register(3), 10);
        assert_eq!(put_register(5), 2);
        assert_eq!(put_register(6), 13);
    }

    #[test]
    fn a_network_field_brings_its_family_dependency_once() {
        let rule = Rule::verdict(Verdict::Accept)
            .when(Match::L4proto {
                proto: 6,
                negate: false,
            })
            .when(Match::InSet {
                key: vec![Field::Ip4Saddr],
                set: "s_1".into(),
                negate: false,
            })
            .when(Match::InSet {
                key: vec![Field::Ip4Daddr],
                set: "s_1".into(),
                negate: true,
            });
        let nl = encode_rule("c_1", &rule);
        let nfproto_loads = nl
            .exprs
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    NlExpr::Meta {
                        key: MetaKey::Nfproto,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(nfproto_loads, 1);
        // l4proto check, nfproto dependency, then the first address load.
        assert!(matches!(
            nl.exprs[2],
            NlExpr::Meta {
                key: MetaKey::Nfproto,
                ..
            }
        ));
        assert!(matches!(
            nl.exprs.last(),
            Some(NlExpr::Immediate(NlVerdict { code: 1, .. }))
        ));
        assert!(matches!(&nl.exprs[7], NlExpr::Lookup { invert: true, .. }));
    }

    #[test]
    fn concatenated_keys_use_consecutive_registers() {
        let rule = Rule::default().when(Match::InSet {
            key: vec![Field::Ip4Daddr, Field::L4proto, Field::ThDport],
            set: "n_1".into(),
            negate: false,
        });
        let kinds = expr_kinds(&encode_rule("c_1", &rule));
        assert!(kinds[2].contains("dreg: 1"));
        assert!(kinds[3].contains("L4proto") && kinds[3].contains("dreg: 9"));
        assert!(kinds[4].starts_with("Byteorder"));
        assert!(kinds[5].contains("dreg: 10"));
        let rule6 = Rule::default().when(Match::InSet {
            key: vec![Field::Ip6Daddr, Field::L4proto, Field::ThDport],
            set: "n_1".into(),
            negate: false,
        });
        let kinds = expr_kinds(&encode_rule("c_1", &rule6));
        assert!(kinds[3].contains("dreg: 2"));
        assert!(kinds[4].contains("dreg: 13"));
    }

    #[test]
    fn ct_state_and_marks_use_masks() {
        let rule = Rule::verdict(Verdict::Accept)
            .when(Match::CtState(CtStates::ESTABLISHED_RELATED))
            .then(Stmt::mark_set(0x00ff_0000, 0x0100_0000));
        let nl = encode_rule("c_1", &rule);
        assert_eq!(
            nl.exprs[1],
            NlExpr::Bitwise {
                sreg: 1,
                dreg: 1,
                mask: 6u32.to_ne_bytes().to_vec(),
                xor: vec![0; 4]
            }
        );
        assert_eq!(
            nl.exprs[4],
            NlExpr::Bitwise {
                sreg: 1,
                dreg: 1,
                mask: (!0x01ff_0000u32).to_ne_bytes().to_vec(),
                xor: 0x0100_0000u32.to_ne_bytes().to_vec()
            }
        );
    }

    #[test]
    fn rbtree_intervals_get_end_elements_and_a_leading_sentinel() {
        let mut set = Set::new(vec![KeyType::Ipv4Addr], true);
        set.elements = vec![
            Element {
                key: vec![KeyPart::range(0x0a00_0000, 0x0aff_ffff)],
                verdict: None,
            },
            Element {
                key: vec![KeyPart::range(0xff00_0000, 0xffff_ffff)],
                verdict: None,
            },
        ];
        let elems = encode_elements(&set);
        let keys: Vec<(Vec<u8>, u32, bool)> = elems
            .iter()
            .map(|e| (e.key.clone(), e.flags, e.udata.is_some()))
            .collect();
        assert_eq!(
            keys,
            vec![
                (vec![0, 0, 0, 0], ELEM_INTERVAL_END, false),
                (vec![10, 0, 0, 0], 0, false),
                (vec![11, 0, 0, 0], ELEM_INTERVAL_END, false),
                (vec![255, 0, 0, 0], 0, true),
            ]
        );
    }

    #[test]
    fn pipapo_elements_carry_key_and_key_end() {
        let mut set = Set::new(
            vec![KeyType::Ipv4Addr, KeyType::InetProto, KeyType::InetService],
            true,
        );
        set.elements = vec![Element {
            key: vec![
                KeyPart::range(0, u128::from(u32::MAX)),
                KeyPart::range(0, 255),
                KeyPart::range(80, 90),
            ],
            verdict: None,
        }];
        let nl = encode_set("n_1", &set);
        assert_eq!(nl.flags, SET_INTERVAL | SET_CONCAT);
        assert_eq!(nl.key_type, (7 << 12) | (12 << 6) | 13);
        assert_eq!(nl.key_len, 12);
        assert_eq!(nl.concat_fields, Some(vec![4, 1, 2]));
        let elems = encode_elements(&set);
        assert_eq!(elems[0].key, vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 80, 0, 0]);
        assert_eq!(
            elems[0].key_end,
            Some(vec![255, 255, 255, 255, 255, 0, 0, 0, 0, 90, 0, 0])
        );
    }

    #[test]
    fn set_user_data_matches_nft() {
        let s = encode_set("s_1", &Set::new(vec![KeyType::Ipv4Addr], true));
        assert_eq!(s.udata, vec![0, 4, 2, 0, 0, 0]);
        let m = encode_set("m_1", &Set::verdict_map(vec![KeyType::Ifname], false));
        assert_eq!(
            m.udata,
            vec![0, 4, 1, 0, 0, 0, 1, 4, 0, 0, 0, 0, 6, 4, 0, 0, 0, 0]
        );
        let c = encode_set(
            "c_1",
            &Set::new(vec![KeyType::Ipv4Addr, KeyType::InetService], true),
        );
        assert_eq!(
            c.udata,
            vec![0, 4, 0, 0, 0, 0, 3, 8, 0, 4, 13, 0, 0, 0, 1, 0]
        );
    }
}
