//! Serialising a [`Plan`] with libnftnl: one netlink message per operation, framed by the
//! nfnetlink batch begin/end messages, into one contiguous buffer that is sent with one
//! `sendmsg`, so the kernel processes it as one transaction.
//!
//! Soundness argument, shared by every block below: each libnftnl object is allocated by its
//! `*_alloc` function, checked for NULL, owned by a guard that frees it exactly once, and only
//! passed to libnftnl functions of its own type while alive. Ownership of expressions and
//! elements moves into their rule or set (`nftnl_rule_add_expr`, `nftnl_set_elem_add`) right
//! after allocation, so their guards are forgotten at that point. Strings are `CString`s that
//! outlive the call (libnftnl copies them). Byte buffers are passed with their exact length
//! (libnftnl copies them). Messages are written into a scratch buffer of `SCRATCH_BYTES`, which
//! is larger than the conservative size bound `estimate` computes for the operation; an
//! operation whose bound exceeds it is refused before anything is written.

use std::ffi::{CStr, CString, c_char, c_void};
use std::ptr::NonNull;

use nftnl_sys as sys;

use crate::error::NetlinkError;
use crate::netlink::{NlElem, NlExpr, NlOp, NlRule, NlSet, Plan};
use crate::ruleset::BaseHook;

/// nfnetlink subsystem of nf_tables.
const NFNL_SUBSYS_NFTABLES: u16 = 10;
/// `NFPROTO_INET`.
const FAMILY_INET: u16 = 1;
/// `NFNL_BATCH_GENID`: the batch is refused with `ERESTART` unless the ruleset generation is
/// this one.
const NFNL_BATCH_GENID: u16 = 1;

const NFT_MSG_NEWTABLE: u16 = 0;
const NFT_MSG_DELTABLE: u16 = 2;
const NFT_MSG_NEWCHAIN: u16 = 3;
const NFT_MSG_DELCHAIN: u16 = 5;
const NFT_MSG_NEWRULE: u16 = 6;
const NFT_MSG_DELRULE: u16 = 8;
const NFT_MSG_NEWSET: u16 = 9;
const NFT_MSG_DELSET: u16 = 11;
const NFT_MSG_NEWSETELEM: u16 = 12;
const NFT_MSG_DELSETELEM: u16 = 14;
const NFT_MSG_NEWOBJ: u16 = 18;
const NFT_MSG_DELOBJ: u16 = 20;

const NLM_F_EXCL: u16 = 0x200;
const NLM_F_CREATE: u16 = 0x400;
const NLM_F_APPEND: u16 = 0x800;

/// `NFT_OBJECT_COUNTER`.
const OBJECT_COUNTER: u32 = 1;
/// `NF_ACCEPT`, the policy of every base chain.
const NF_ACCEPT: u32 = 1;

/// Size of the scratch buffer one message is built in (as 8-byte words, for alignment).
const SCRATCH_WORDS: usize = 32 * 1024;
const SCRATCH_BYTES: usize = SCRATCH_WORDS * 8;

/// A serialised batch.
pub(crate) struct EncodedBatch {
    /// The bytes to send: begin message, one message per operation, end message.
    pub(crate) bytes: Vec<u8>,
    /// Sequence number of the begin message; operation `i` has `first_seq + 1 + i`.
    pub(crate) first_seq: u32,
    /// Number of operations.
    pub(crate) ops: usize,
}

impl EncodedBatch {
    /// The operation index of a sequence number, if it names one.
    pub(crate) fn op_index(&self, seq: u32) -> Option<usize> {
        let i = seq.checked_sub(self.first_seq + 1)? as usize;
        (i < self.ops).then_some(i)
    }
}

fn cstring(s: &str) -> Result<CString, NetlinkError> {
    CString::new(s).map_err(|_| NetlinkError::Libnftnl(format!("use the name `{s}` (NUL byte)")))
}

fn oom(what: &str) -> NetlinkError {
    NetlinkError::Libnftnl(format!("allocate {what}"))
}

/// A conservative upper bound of the size of the message for `op`.
fn estimate(op: &NlOp) -> usize {
    const BASE: usize = 2048;
    match op {
        NlOp::AddRule(r) => {
            BASE + r.exprs.len() * 640 + r.udata.as_ref().map_or(0, |u| u.len() + 16)
        }
        NlOp::AddElems { elems, .. } | NlOp::DelElems { elems, .. } => {
            BASE + elems
                .iter()
                .map(|e| {
                    96 + e.key.len()
                        + e.key_end.as_ref().map_or(0, Vec::len)
                        + e.verdict
                            .as_ref()
                            .and_then(|v| v.1.as_ref())
                            .map_or(0, String::len)
                        + e.udata.as_ref().map_or(0, Vec::len)
                })
                .sum::<usize>()
        }
        NlOp::AddSet { set, .. } => BASE + set.udata.len() + 256,
        _ => BASE,
    }
}

struct Table(NonNull<sys::nftnl_table>);
impl Drop for Table {
    fn drop(&mut self) {
        // SAFETY: allocated by nftnl_table_alloc, freed once here.
        unsafe { sys::nftnl_table_free(self.0.as_ptr()) }
    }
}

struct Chain(NonNull<sys::nftnl_chain>);
impl Drop for Chain {
    fn drop(&mut self) {
        // SAFETY: allocated by nftnl_chain_alloc, freed once here.
        unsafe { sys::nftnl_chain_free(self.0.as_ptr()) }
    }
}

struct Rule(NonNull<sys::nftnl_rule>);
impl Drop for Rule {
    fn drop(&mut self) {
        // SAFETY: allocated by nftnl_rule_alloc, freed once here (with the expressions it owns).
        unsafe { sys::nftnl_rule_free(self.0.as_ptr()) }
    }
}

struct SetObj(NonNull<sys::nftnl_set>);
impl Drop for SetObj {
    fn drop(&mut self) {
        // SAFETY: allocated by nftnl_set_alloc, freed once here (with the elements it owns).
        unsafe { sys::nftnl_set_free(self.0.as_ptr()) }
    }
}

struct Obj(NonNull<sys::nftnl_obj>);
impl Drop for Obj {
    fn drop(&mut self) {
        // SAFETY: allocated by nftnl_obj_alloc, freed once here.
        unsafe { sys::nftnl_obj_free(self.0.as_ptr()) }
    }
}

fn new_table(name: &CStr) -> Result<Table, NetlinkError> {
    // SAFETY: no preconditions; NULL is checked.
    let t = NonNull::new(unsafe { sys::nftnl_table_alloc() }).ok_or_else(|| oom("a table"))?;
    let t = Table(t);
    // SAFETY: `t` is a live table; `name` outlives the call and is copied.
    unsafe {
        sys::nftnl_table_set_u32(
            t.0.as_ptr(),
            sys::NFTNL_TABLE_FAMILY as u16,
            u32::from(FAMILY_INET),
        );
        sys::nftnl_table_set_str(t.0.as_ptr(), sys::NFTNL_TABLE_NAME as u16, name.as_ptr());
        sys::nftnl_table_set_u32(t.0.as_ptr(), sys::NFTNL_TABLE_FLAGS as u16, 0);
    }
    Ok(t)
}

fn new_chain(table: &CStr, name: &str, base: Option<BaseHook>) -> Result<Chain, NetlinkError> {
    let name = cstring(name)?;
    // SAFETY: no preconditions; NULL is checked.
    let c = NonNull::new(unsafe { sys::nftnl_chain_alloc() }).ok_or_else(|| oom("a chain"))?;
    let c = Chain(c);
    let p = c.0.as_ptr();
    // SAFETY: `p` is a live chain; strings outlive the calls and are copied.
    unsafe {
        sys::nftnl_chain_set_u32(p, sys::NFTNL_CHAIN_FAMILY as u16, u32::from(FAMILY_INET));
        sys::nftnl_chain_set_str(p, sys::NFTNL_CHAIN_TABLE as u16, table.as_ptr());
        sys::nftnl_chain_set_str(p, sys::NFTNL_CHAIN_NAME as u16, name.as_ptr());
        if let Some(b) = base {
            sys::nftnl_chain_set_u32(p, sys::NFTNL_CHAIN_HOOKNUM as u16, b.hook.number());
            sys::nftnl_chain_set_s32(p, sys::NFTNL_CHAIN_PRIO as u16, b.priority);
            sys::nftnl_chain_set_str(p, sys::NFTNL_CHAIN_TYPE as u16, c"filter".as_ptr());
            sys::nftnl_chain_set_u32(p, sys::NFTNL_CHAIN_POLICY as u16, NF_ACCEPT);
        }
    }
    Ok(c)
}

fn new_rule(table: &CStr, chain: &str) -> Result<Rule, NetlinkError> {
    let chain = cstring(chain)?;
    // SAFETY: no preconditions; NULL is checked.
    let r = NonNull::new(unsafe { sys::nftnl_rule_alloc() }).ok_or_else(|| oom("a rule"))?;
    let r = Rule(r);
    // SAFETY: `r` is a live rule; strings outlive the calls and are copied.
    unsafe {
        sys::nftnl_rule_set_u32(
            r.0.as_ptr(),
            sys::NFTNL_RULE_FAMILY as u16,
            u32::from(FAMILY_INET),
        );
        sys::nftnl_rule_set_str(r.0.as_ptr(), sys::NFTNL_RULE_TABLE as u16, table.as_ptr());
        sys::nftnl_rule_set_str(r.0.as_ptr(), sys::NFTNL_RULE_CHAIN as u16, chain.as_ptr());
    }
    Ok(r)
}

/// An expression under construction; owned until it is handed to a rule.
struct Expr(NonNull<sys::nftnl_expr>);

impl Expr {
    fn new(name: &CStr) -> Result<Expr, NetlinkError> {
        // SAFETY: `name` is a NUL-terminated expression name; NULL is checked.
        NonNull::new(unsafe { sys::nftnl_expr_alloc(name.as_ptr()) })
            .map(Expr)
            .ok_or_else(|| oom(&format!("a {} expression", name.to_string_lossy())))
    }

    fn u32(&self, attr: u32, v: u32) -> &Self {
        // SAFETY: live expression; libnftnl ignores attributes the type does not have.
        unsafe { sys::nftnl_expr_set_u32(self.0.as_ptr(), attr as u16, v) };
        self
    }

    fn str(&self, attr: u32, s: &CStr) -> &Self {
        // SAFETY: live expression; the string outlives the call and is copied.
        unsafe { sys::nftnl_expr_set_str(self.0.as_ptr(), attr as u16, s.as_ptr()) };
        self
    }

    fn data(&self, attr: u32, d: &[u8]) -> &Self {
        // SAFETY: live expression; pointer and length describe `d`, which libnftnl copies
        // (data attributes are at most 16 bytes, the size of a register, checked by the caller).
        unsafe {
            sys::nftnl_expr_set(
                self.0.as_ptr(),
                attr as u16,
                d.as_ptr().cast::<c_void>(),
                d.len() as u32,
            )
        };
        self
    }

    /// Moves the expression into `rule`.
    fn add_to(self, rule: &Rule) {
        // SAFETY: both are live; the rule takes ownership of the expression, so the guard is
        // forgotten and never frees it.
        unsafe { sys::nftnl_rule_add_expr(rule.0.as_ptr(), self.0.as_ptr()) };
        std::mem::forget(self);
    }
}

impl Drop for Expr {
    fn drop(&mut self) {
        // SAFETY: only reached for an expression not handed to a rule.
        unsafe { sys::nftnl_expr_free(self.0.as_ptr()) }
    }
}

fn check_data(d: &[u8]) -> Result<(), NetlinkError> {
    if d.len() > 16 {
        return Err(NetlinkError::Libnftnl(format!(
            "use {} bytes of immediate data (at most 16)",
            d.len()
        )));
    }
    Ok(())
}

fn add_expr(rule: &Rule, expr: &NlExpr) -> Result<(), NetlinkError> {
    let e = match expr {
        NlExpr::Meta { key, dreg } => {
            let e = Expr::new(c"meta")?;
            e.u32(sys::NFTNL_EXPR_META_KEY, *key as u32)
                .u32(sys::NFTNL_EXPR_META_DREG, *dreg);
            e
        }
        NlExpr::MetaSet { key, sreg } => {
            let e = Expr::new(c"meta")?;
            e.u32(sys::NFTNL_EXPR_META_KEY, *key as u32)
                .u32(sys::NFTNL_EXPR_META_SREG, *sreg);
            e
        }
        NlExpr::Payload {
            base,
            offset,
            len,
            dreg,
        } => {
            let e = Expr::new(c"payload")?;
            e.u32(sys::NFTNL_EXPR_PAYLOAD_DREG, *dreg)
                .u32(sys::NFTNL_EXPR_PAYLOAD_BASE, *base as u32)
                .u32(sys::NFTNL_EXPR_PAYLOAD_OFFSET, *offset)
                .u32(sys::NFTNL_EXPR_PAYLOAD_LEN, *len);
            e
        }
        NlExpr::Cmp { sreg, op, data } => {
            check_data(data)?;
            let e = Expr::new(c"cmp")?;
            e.u32(sys::NFTNL_EXPR_CMP_SREG, *sreg)
                .u32(sys::NFTNL_EXPR_CMP_OP, *op as u32)
                .data(sys::NFTNL_EXPR_CMP_DATA, data);
            e
        }
        NlExpr::Bitwise {
            sreg,
            dreg,
            mask,
            xor,
        } => {
            check_data(mask)?;
            check_data(xor)?;
            let e = Expr::new(c"bitwise")?;
            e.u32(sys::NFTNL_EXPR_BITWISE_SREG, *sreg)
                .u32(sys::NFTNL_EXPR_BITWISE_DREG, *dreg)
                .u32(sys::NFTNL_EXPR_BITWISE_LEN, mask.len() as u32)
                .data(sys::NFTNL_EXPR_BITWISE_MASK, mask)
                .data(sys::NFTNL_EXPR_BITWISE_XOR, xor);
            e
        }
        NlExpr::Byteorder {
            sreg,
            dreg,
            size,
            len,
        } => {
            let e = Expr::new(c"byteorder")?;
            e.u32(sys::NFTNL_EXPR_BYTEORDER_SREG, *sreg)
                .u32(sys::NFTNL_EXPR_BYTEORDER_DREG, *dreg)
                // NFT_BYTEORDER_HTON
                .u32(sys::NFTNL_EXPR_BYTEORDER_OP, 1)
                .u32(sys::NFTNL_EXPR_BYTEORDER_LEN, *len)
                .u32(sys::NFTNL_EXPR_BYTEORDER_SIZE, *size);
            e
        }
        NlExpr::Lookup {
            sreg,
            set,
            dreg,
            invert,
        } => {
            let name = cstring(set)?;
            let e = Expr::new(c"lookup")?;
            e.u32(sys::NFTNL_EXPR_LOOKUP_SREG, *sreg)
                .str(sys::NFTNL_EXPR_LOOKUP_SET, &name);
            if let Some(d) = dreg {
                e.u32(sys::NFTNL_EXPR_LOOKUP_DREG, *d);
            }
            if *invert {
                // NFT_LOOKUP_F_INV
                e.u32(sys::NFTNL_EXPR_LOOKUP_FLAGS, 1);
            }
            e
        }
        NlExpr::CtState { dreg } => {
            let e = Expr::new(c"ct")?;
            // NFT_CT_STATE
            e.u32(sys::NFTNL_EXPR_CT_KEY, 0)
                .u32(sys::NFTNL_EXPR_CT_DREG, *dreg);
            e
        }
        NlExpr::CounterRef { name } => {
            let name = cstring(name)?;
            let e = Expr::new(c"objref")?;
            e.u32(sys::NFTNL_EXPR_OBJREF_IMM_TYPE, OBJECT_COUNTER)
                .str(sys::NFTNL_EXPR_OBJREF_IMM_NAME, &name);
            e
        }
        NlExpr::Log { prefix } => {
            let prefix = cstring(prefix)?;
            let e = Expr::new(c"log")?;
            e.str(sys::NFTNL_EXPR_LOG_PREFIX, &prefix);
            e
        }
        NlExpr::Notrack => Expr::new(c"notrack")?,
        NlExpr::Immediate(v) => {
            let e = Expr::new(c"immediate")?;
            e.u32(sys::NFTNL_EXPR_IMM_DREG, 0)
                .u32(sys::NFTNL_EXPR_IMM_VERDICT, v.code as u32);
            if let Some(chain) = &v.chain {
                let chain = cstring(chain)?;
                e.str(sys::NFTNL_EXPR_IMM_CHAIN, &chain);
            }
            e
        }
    };
    e.add_to(rule);
    Ok(())
}

fn build_rule(table: &CStr, r: &NlRule) -> Result<Rule, NetlinkError> {
    let rule = new_rule(table, &r.chain)?;
    for e in &r.exprs {
        add_expr(&rule, e)?;
    }
    if let Some(u) = &r.udata {
        // SAFETY: live rule; pointer and length describe `u`, which libnftnl copies.
        let rc = unsafe {
            sys::nftnl_rule_set_data(
                rule.0.as_ptr(),
                sys::NFTNL_RULE_USERDATA as u16,
                u.as_ptr().cast::<c_void>(),
                u.len() as u32,
            )
        };
        if rc < 0 {
            return Err(oom("rule user data"));
        }
    }
    Ok(rule)
}

fn new_set(table: &CStr, name: &str) -> Result<SetObj, NetlinkError> {
    let name = cstring(name)?;
    // SAFETY: no preconditions; NULL is checked.
    let s = NonNull::new(unsafe { sys::nftnl_set_alloc() }).ok_or_else(|| oom("a set"))?;
    let s = SetObj(s);
    // SAFETY: live set; strings outlive the calls and are copied.
    unsafe {
        sys::nftnl_set_set_u32(
            s.0.as_ptr(),
            sys::NFTNL_SET_FAMILY as u16,
            u32::from(FAMILY_INET),
        );
        sys::nftnl_set_set_str(s.0.as_ptr(), sys::NFTNL_SET_TABLE as u16, table.as_ptr());
        sys::nftnl_set_set_str(s.0.as_ptr(), sys::NFTNL_SET_NAME as u16, name.as_ptr());
    }
    Ok(s)
}

fn set_data(s: &SetObj, attr: u32, d: &[u8]) -> Result<(), NetlinkError> {
    // SAFETY: live set; pointer and length describe `d`, which libnftnl copies (user data is
    // limited by the kernel, concat field lengths to 16 entries, checked by the caller).
    let rc = unsafe {
        sys::nftnl_set_set_data(
            s.0.as_ptr(),
            attr as u16,
            d.as_ptr().cast::<c_void>(),
            d.len() as u32,
        )
    };
    if rc < 0 {
        return Err(NetlinkError::Libnftnl(format!(
            "set attribute {attr} of a set"
        )));
    }
    Ok(())
}

fn build_set(table: &CStr, def: &NlSet, id: u32) -> Result<SetObj, NetlinkError> {
    let s = new_set(table, &def.name)?;
    let p = s.0.as_ptr();
    // SAFETY: `p` is the live set owned by `s`.
    unsafe {
        sys::nftnl_set_set_u32(p, sys::NFTNL_SET_FLAGS as u16, def.flags);
        sys::nftnl_set_set_u32(p, sys::NFTNL_SET_KEY_TYPE as u16, def.key_type);
        sys::nftnl_set_set_u32(p, sys::NFTNL_SET_KEY_LEN as u16, def.key_len);
        sys::nftnl_set_set_u32(p, sys::NFTNL_SET_ID as u16, id);
        if let Some((data_type, data_len)) = def.data {
            sys::nftnl_set_set_u32(p, sys::NFTNL_SET_DATA_TYPE as u16, data_type);
            sys::nftnl_set_set_u32(p, sys::NFTNL_SET_DATA_LEN as u16, data_len);
        }
    }
    if let Some(fields) = &def.concat_fields {
        if fields.is_empty() || fields.len() > 16 || fields.iter().any(|f| *f == 0 || *f > 16) {
            return Err(NetlinkError::Libnftnl(format!(
                "describe the concatenation of set {}",
                def.name
            )));
        }
        let lens: Vec<u8> = fields.iter().map(|f| *f as u8).collect();
        set_data(&s, sys::NFTNL_SET_DESC_CONCAT, &lens)?;
    }
    set_data(&s, sys::NFTNL_SET_USERDATA, &def.udata)?;
    Ok(s)
}

fn add_elems(s: &SetObj, elems: &[NlElem]) -> Result<(), NetlinkError> {
    for e in elems {
        // SAFETY: no preconditions; NULL is checked.
        let el = NonNull::new(unsafe { sys::nftnl_set_elem_alloc() })
            .ok_or_else(|| oom("a set element"))?;
        let p = el.as_ptr();
        let chain = match e.verdict.as_ref().and_then(|v| v.1.as_deref()) {
            Some(c) => Some(cstring(c)?),
            None => None,
        };
        if e.key.len() > 64 || e.key_end.as_ref().is_some_and(|k| k.len() > 64) {
            // SAFETY: `p` was allocated above and not handed to the set yet.
            unsafe { sys::nftnl_set_elem_free(p) };
            return Err(NetlinkError::Libnftnl("encode an over-long set key".into()));
        }
        // SAFETY: `p` is a live element; pointers and lengths describe Rust buffers that
        // outlive the calls and are copied. The element is then moved into the live set `s`,
        // which frees it.
        unsafe {
            sys::nftnl_set_elem_set(
                p,
                sys::NFTNL_SET_ELEM_KEY as u16,
                e.key.as_ptr().cast::<c_void>(),
                e.key.len() as u32,
            );
            if let Some(end) = &e.key_end {
                sys::nftnl_set_elem_set(
                    p,
                    sys::NFTNL_SET_ELEM_KEY_END as u16,
                    end.as_ptr().cast::<c_void>(),
                    end.len() as u32,
                );
            }
            if e.flags != 0 {
                sys::nftnl_set_elem_set_u32(p, sys::NFTNL_SET_ELEM_FLAGS as u16, e.flags);
            }
            if let Some((code, _)) = &e.verdict {
                sys::nftnl_set_elem_set_u32(p, sys::NFTNL_SET_ELEM_VERDICT as u16, *code as u32);
            }
            if let Some(c) = &chain {
                sys::nftnl_set_elem_set_str(p, sys::NFTNL_SET_ELEM_CHAIN as u16, c.as_ptr());
            }
            if let Some(u) = &e.udata {
                sys::nftnl_set_elem_set(
                    p,
                    sys::NFTNL_SET_ELEM_USERDATA as u16,
                    u.as_ptr().cast::<c_void>(),
                    u.len() as u32,
                );
            }
            sys::nftnl_set_elem_add(s.0.as_ptr(), p);
        }
    }
    Ok(())
}

fn new_counter(table: &CStr, name: &str) -> Result<Obj, NetlinkError> {
    let name = cstring(name)?;
    // SAFETY: no preconditions; NULL is checked.
    let o = NonNull::new(unsafe { sys::nftnl_obj_alloc() }).ok_or_else(|| oom("an object"))?;
    let o = Obj(o);
    // SAFETY: live object; strings outlive the calls and are copied.
    unsafe {
        sys::nftnl_obj_set_u32(
            o.0.as_ptr(),
            sys::NFTNL_OBJ_FAMILY as u16,
            u32::from(FAMILY_INET),
        );
        sys::nftnl_obj_set_str(o.0.as_ptr(), sys::NFTNL_OBJ_TABLE as u16, table.as_ptr());
        sys::nftnl_obj_set_str(o.0.as_ptr(), sys::NFTNL_OBJ_NAME as u16, name.as_ptr());
        sys::nftnl_obj_set_u32(o.0.as_ptr(), sys::NFTNL_OBJ_TYPE as u16, OBJECT_COUNTER);
    }
    Ok(o)
}

/// The scratch buffer one message is built in.
struct Scratch(Vec<u64>);

impl Scratch {
    fn new() -> Scratch {
        Scratch(vec![0; SCRATCH_WORDS])
    }

    /// Writes a message header and lets `payload` append attributes, then copies the message
    /// (padded to 4 bytes) to `out`.
    fn message(
        &mut self,
        out: &mut Vec<u8>,
        msg_type: u16,
        flags: u16,
        seq: u32,
        payload: impl FnOnce(*mut libc::nlmsghdr),
    ) -> Result<(), NetlinkError> {
        let buf = self.0.as_mut_ptr().cast::<c_char>();
        // SAFETY: `buf` points to SCRATCH_BYTES writable, 8-aligned bytes; the header is 20.
        let nlh = unsafe {
            sys::nftnl_nlmsg_build_hdr(
                buf,
                (NFNL_SUBSYS_NFTABLES << 8) | msg_type,
                FAMILY_INET,
                flags,
                seq,
            )
        };
        payload(nlh);
        self.copy_out(out)
    }

    fn copy_out(&self, out: &mut Vec<u8>) -> Result<(), NetlinkError> {
        // SAFETY: the buffer is SCRATCH_BYTES long and initialised (zeroed at allocation,
        // then written by libnftnl); viewing it as bytes is sound.
        let bytes: &[u8] =
            unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast::<u8>(), SCRATCH_BYTES) };
        let len = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        if !(16..=SCRATCH_BYTES).contains(&len) {
            return Err(NetlinkError::Libnftnl(format!(
                "build a message ({len} bytes)"
            )));
        }
        out.extend_from_slice(&bytes[..len]);
        out.resize(out.len().next_multiple_of(4), 0);
        Ok(())
    }

    fn batch_marker(
        &mut self,
        out: &mut Vec<u8>,
        seq: u32,
        begin: bool,
        genid: Option<u32>,
    ) -> Result<(), NetlinkError> {
        let buf = self.0.as_mut_ptr().cast::<c_char>();
        // SAFETY: `buf` points to SCRATCH_BYTES writable bytes; the marker is 20 bytes.
        unsafe {
            if begin {
                sys::nftnl_batch_begin(buf, seq);
            } else {
                sys::nftnl_batch_end(buf, seq);
            }
        }
        let start = out.len();
        self.copy_out(out)?;
        if let Some(gen_id) = genid {
            // Append NFNL_BATCH_GENID (a big-endian u32) and fix the message length.
            out.extend_from_slice(&8u16.to_ne_bytes());
            out.extend_from_slice(&NFNL_BATCH_GENID.to_ne_bytes());
            out.extend_from_slice(&gen_id.to_be_bytes());
            let len = (out.len() - start) as u32;
            out[start..start + 4].copy_from_slice(&len.to_ne_bytes());
        }
        Ok(())
    }
}

/// Serialises `plan` into one batch. `genid`, when given, makes the kernel refuse the whole
/// batch unless the ruleset generation still is that one.
pub(crate) fn encode_batch(
    plan: &Plan,
    first_seq: u32,
    genid: Option<u32>,
) -> Result<EncodedBatch, NetlinkError> {
    let table = cstring(&plan.table)?;
    let mut scratch = Scratch::new();
    let mut out = Vec::with_capacity(plan.ops.len() * 160 + 64);
    scratch.batch_marker(&mut out, first_seq, true, genid)?;
    for (i, op) in plan.ops.iter().enumerate() {
        if estimate(op) > SCRATCH_BYTES {
            return Err(NetlinkError::Libnftnl(format!(
                "fit `{}` into one message",
                op.describe(&plan.table)
            )));
        }
        let seq = first_seq.wrapping_add(1 + i as u32);
        encode_op(&mut scratch, &mut out, &table, op, seq)?;
    }
    let end_seq = first_seq.wrapping_add(1 + plan.ops.len() as u32);
    scratch.batch_marker(&mut out, end_seq, false, None)?;
    Ok(EncodedBatch {
        bytes: out,
        first_seq,
        ops: plan.ops.len(),
    })
}

fn encode_op(
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
    table: &CStr,
    op: &NlOp,
    seq: u32,
) -> Result<(), NetlinkError> {
    match op {
        NlOp::AddTable | NlOp::DelTable => {
            let t = new_table(table)?;
            let ty = if matches!(op, NlOp::AddTable) {
                NFT_MSG_NEWTABLE
            } else {
                NFT_MSG_DELTABLE
            };
            let flags = if ty == NFT_MSG_NEWTABLE {
                NLM_F_CREATE
            } else {
                0
            };
            // SAFETY (closure): `nlh` is the header just built in the scratch buffer and `t`
            // is live; the payload fits (bounded by `estimate`).
            scratch.message(out, ty, flags, seq, |nlh| unsafe {
                sys::nftnl_table_nlmsg_build_payload(nlh, t.0.as_ptr())
            })
        }
        NlOp::AddChain { name, base } => {
            let c = new_chain(table, name, *base)?;
            // SAFETY: as above, for a live chain.
            scratch.message(out, NFT_MSG_NEWCHAIN, NLM_F_CREATE, seq, |nlh| unsafe {
                sys::nftnl_chain_nlmsg_build_payload(nlh, c.0.as_ptr())
            })
        }
        NlOp::DelChain { name } => {
            let c = new_chain(table, name, None)?;
            // SAFETY: as above, for a live chain.
            scratch.message(out, NFT_MSG_DELCHAIN, 0, seq, |nlh| unsafe {
                sys::nftnl_chain_nlmsg_build_payload(nlh, c.0.as_ptr())
            })
        }
        NlOp::FlushChain { name } => {
            let r = new_rule(table, name)?;
            // SAFETY: as above, for a live rule without handle (deletes every rule).
            scratch.message(out, NFT_MSG_DELRULE, 0, seq, |nlh| unsafe {
                sys::nftnl_rule_nlmsg_build_payload(nlh, r.0.as_ptr())
            })
        }
        NlOp::AddRule(rule) => {
            let r = build_rule(table, rule)?;
            // SAFETY: as above, for a live rule.
            scratch.message(
                out,
                NFT_MSG_NEWRULE,
                NLM_F_CREATE | NLM_F_APPEND,
                seq,
                |nlh| unsafe { sys::nftnl_rule_nlmsg_build_payload(nlh, r.0.as_ptr()) },
            )
        }
        NlOp::AddSet { set, id } => {
            let s = build_set(table, set, *id)?;
            // SAFETY: as above, for a live set.
            scratch.message(out, NFT_MSG_NEWSET, NLM_F_CREATE, seq, |nlh| unsafe {
                sys::nftnl_set_nlmsg_build_payload(nlh, s.0.as_ptr())
            })
        }
        NlOp::DelSet { name } => {
            let s = new_set(table, name)?;
            // SAFETY: as above, for a live set.
            scratch.message(out, NFT_MSG_DELSET, 0, seq, |nlh| unsafe {
                sys::nftnl_set_nlmsg_build_payload(nlh, s.0.as_ptr())
            })
        }
        NlOp::AddElems { set, elems } | NlOp::DelElems { set, elems } => {
            let s = new_set(table, set)?;
            add_elems(&s, elems)?;
            let (ty, flags) = if matches!(op, NlOp::AddElems { .. }) {
                (NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL)
            } else {
                (NFT_MSG_DELSETELEM, 0)
            };
            // SAFETY: as above, for a live set holding the elements.
            scratch.message(out, ty, flags, seq, |nlh| unsafe {
                sys::nftnl_set_elems_nlmsg_build_payload(nlh, s.0.as_ptr())
            })
        }
        NlOp::AddCounter { name } | NlOp::DelCounter { name } => {
            let o = new_counter(table, name)?;
            let (ty, flags) = if matches!(op, NlOp::AddCounter { .. }) {
                (NFT_MSG_NEWOBJ, NLM_F_CREATE)
            } else {
                (NFT_MSG_DELOBJ, 0)
            };
            // SAFETY: as above, for a live object.
            scratch.message(out, ty, flags, seq, |nlh| unsafe {
                sys::nftnl_obj_nlmsg_build_payload(nlh, o.0.as_ptr())
            })
        }
    }
}

/// libnftnl's own text for a rule (the format `nft --debug=netlink` prints), for tests that
/// compare the encoding with what `nft` builds from the rendered text.
#[cfg(test)]
pub(crate) fn rule_debug_text(table: &str, rule: &NlRule) -> Result<String, NetlinkError> {
    let table = cstring(table)?;
    let r = build_rule(&table, rule)?;
    let mut buf = vec![0u8; 64 * 1024];
    // SAFETY: `buf` is writable for its length, which is passed; `r` is live. snprintf
    // NUL-terminates within the size it is given.
    let n = unsafe {
        sys::nftnl_rule_snprintf(
            buf.as_mut_ptr().cast::<c_char>(),
            buf.len(),
            r.0.as_ptr(),
            sys::NFTNL_OUTPUT_DEFAULT,
            0,
        )
    };
    if n < 0 {
        return Err(NetlinkError::Libnftnl("print a rule".into()));
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::plan_replace;
    use crate::ruleset::{
        Chain, Element, Field, HookPoint, KeyPart, KeyType, Match, Rule as MRule, Ruleset, Set,
        Stmt, Verdict,
    };

    fn sample() -> Ruleset {
        let mut r = Ruleset::new("palisade");
        r.counters.insert("c_1".into());
        let mut s = Set::new(vec![KeyType::Ipv4Addr, KeyType::InetService], true);
        s.elements = vec![Element {
            key: vec![
                KeyPart::range(0x0a00_0000, 0x0aff_ffff),
                KeyPart::range(80, 90),
            ],
            verdict: None,
        }];
        r.sets.insert("s_1".into(), s);
        r.chains.insert(
            "base_out".into(),
            Chain {
                base: Some(BaseHook {
                    hook: HookPoint::Output,
                    priority: 0,
                }),
                rules: vec![
                    MRule::verdict(Verdict::Drop)
                        .when(Match::InSet {
                            key: vec![Field::Ip4Saddr, Field::ThDport],
                            set: "s_1".into(),
                            negate: false,
                        })
                        .then(Stmt::Counter("c_1".into()))
                        .then(Stmt::Log { prefix: "x".into() })
                        .with_comment("hello"),
                ],
            },
        );
        r
    }

    /// Walks the netlink messages of a buffer: (type, flags, seq, length).
    fn messages(bytes: &[u8]) -> Vec<(u16, u16, u32, usize)> {
        let mut out = Vec::new();
        let mut off = 0;
        while off + 16 <= bytes.len() {
            let len = u32::from_ne_bytes(bytes[off..off + 4].try_into().unwrap()) as usize;
            let ty = u16::from_ne_bytes(bytes[off + 4..off + 6].try_into().unwrap());
            let flags = u16::from_ne_bytes(bytes[off + 6..off + 8].try_into().unwrap());
            let seq = u32::from_ne_bytes(bytes[off + 8..off + 12].try_into().unwrap());
            out.push((ty, flags, seq, len));
            off += len.next_multiple_of(4);
        }
        assert_eq!(off, bytes.len());
        out
    }

    #[test]
    fn a_batch_is_framed_and_numbered() {
        let plan = plan_replace(&sample());
        let batch = encode_batch(&plan, 100, Some(7)).unwrap();
        let msgs = messages(&batch.bytes);
        assert_eq!(msgs.len(), plan.ops.len() + 2);
        // NFNL_MSG_BATCH_BEGIN / END.
        assert_eq!(msgs[0].0, 0x10);
        assert_eq!(msgs.last().unwrap().0, 0x11);
        // The begin message carries the generation attribute.
        assert_eq!(msgs[0].3, 28);
        assert_eq!(
            &batch.bytes[24..28],
            &7u32.to_be_bytes(),
            "NFNL_BATCH_GENID is big-endian"
        );
        for (i, m) in msgs[1..msgs.len() - 1].iter().enumerate() {
            assert_eq!(m.2, 101 + i as u32);
            assert_eq!(m.0 >> 8, NFNL_SUBSYS_NFTABLES);
        }
        assert_eq!(batch.op_index(101), Some(0));
        assert_eq!(batch.op_index(100), None);
        assert_eq!(batch.op_index(101 + plan.ops.len() as u32), None);
    }

    #[test]
    fn rules_round_trip_through_libnftnl() {
        let ruleset = sample();
        let rule = crate::netlink::plan_replace(&ruleset)
            .ops
            .into_iter()
            .find_map(|o| match o {
                NlOp::AddRule(r) => Some(r),
                _ => None,
            })
            .unwrap();
        let text = rule_debug_text("palisade", &rule).unwrap();
        for needle in [
            "[ meta load nfproto => reg 1 ]",
            "[ payload load 4b @ network header + 12 => reg 1 ]",
            "[ payload load 2b @ transport header + 2 => reg 9 ]",
            "[ lookup reg 1 set s_1 ]",
            "[ objref type 1 name c_1 ]",
            "[ log prefix x ]",
            "[ immediate reg 0 drop ]",
        ] {
            assert!(text.contains(needle), "{needle} missing in\n{text}");
        }
    }

    #[test]
    fn oversized_immediates_are_refused_not_written() {
        let table = cstring("palisade").unwrap();
        let rule = NlRule {
            chain: "c_1".into(),
            exprs: vec![NlExpr::Cmp {
                sreg: 1,
                op: crate::netlink::CmpOp::Eq,
                data: vec![0; 17],
            }],
            udata: None,
        };
        assert!(build_rule(&table, &rule).is_err());
        assert!(cstring("a\0b").is_err());
    }
}
