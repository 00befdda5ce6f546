//! Talking to nf_tables: committing batches, reading the ruleset generation and named counters.
//!
//! Requests and replies other than the batch itself are small and are built and parsed here in
//! safe Rust; the batch comes from `ffi::encode_batch` (the crate's one unsafe module).

use std::collections::BTreeMap;
use std::io;

use crate::error::NetlinkError;
use crate::ffi::{NlSocket, encode_batch};
use crate::netlink::Plan;

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_MULTI: u16 = 2;
const NLM_F_ACK: u16 = 4;
const NLM_F_DUMP: u16 = 0x300;
const NLM_F_CAPPED: u16 = 0x100;
const NLM_F_ACK_TLVS: u16 = 0x200;
const NLMSGERR_ATTR_MSG: u16 = 1;

const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFT_MSG_GETTABLE: u16 = 1;
const NFT_MSG_NEWGEN: u16 = 15;
const NFT_MSG_GETGEN: u16 = 16;
const NFT_MSG_NEWOBJ: u16 = 18;
const NFT_MSG_GETOBJ_RESET: u16 = 21;
const NFTA_TABLE_NAME: u16 = 1;
const NFTA_GEN_ID: u16 = 1;
const NFTA_OBJ_TABLE: u16 = 1;
const NFTA_OBJ_NAME: u16 = 2;
const NFTA_OBJ_TYPE: u16 = 3;
const NFTA_OBJ_DATA: u16 = 4;
const NFTA_COUNTER_PACKETS: u16 = 2;
const NFT_OBJECT_COUNTER: u32 = 1;
const FAMILY_INET: u8 = 1;
const FAMILY_UNSPEC: u8 = 0;
/// The kernel's `ERESTART`, returned when a batch's generation check fails.
const ERESTART: i32 = 85;

/// One parsed netlink message.
struct Msg<'a> {
    ty: u16,
    flags: u16,
    seq: u32,
    payload: &'a [u8],
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(off..off + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn parse_msgs(buf: &[u8]) -> Result<Vec<Msg<'_>>, NetlinkError> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + 16 <= buf.len() {
        let bad = || NetlinkError::Malformed(format!("message at offset {off}"));
        let len = u32_at(buf, off).ok_or_else(bad)? as usize;
        if len < 16 || off + len > buf.len() {
            return Err(bad());
        }
        out.push(Msg {
            ty: u16_at(buf, off + 4).ok_or_else(bad)?,
            flags: u16_at(buf, off + 6).ok_or_else(bad)?,
            seq: u32_at(buf, off + 8).ok_or_else(bad)?,
            payload: &buf[off + 16..off + len],
        });
        off += len.next_multiple_of(4);
    }
    Ok(out)
}

/// Netlink attributes `(type, value)` of a buffer.
fn attrs(mut b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let (Some(len), Some(ty)) = (u16_at(b, 0), u16_at(b, 2)) else {
            break;
        };
        let len = usize::from(len);
        if len < 4 || len > b.len() {
            break;
        }
        out.push((ty & 0x3fff, &b[4..len]));
        b = &b[len.next_multiple_of(4).min(b.len())..];
    }
    out
}

fn put_attr(out: &mut Vec<u8>, ty: u16, value: &[u8]) {
    let len = 4 + value.len();
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&ty.to_ne_bytes());
    out.extend_from_slice(value);
    out.resize(out.len().next_multiple_of(4), 0);
}

fn request(msg: u16, flags: u16, seq: u32, family: u8, attrs: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(20 + attrs.len());
    out.extend_from_slice(&((20 + attrs.len()) as u32).to_ne_bytes());
    out.extend_from_slice(&((NFNL_SUBSYS_NFTABLES << 8) | msg).to_ne_bytes());
    out.extend_from_slice(&(NLM_F_REQUEST | flags).to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    // nfgenmsg: family, version NFNETLINK_V0, res_id 0.
    out.extend_from_slice(&[family, 0, 0, 0]);
    out.extend_from_slice(attrs);
    out
}

fn cstr_attr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// An error reply: the errno (positive) and the kernel's extended message, if any.
fn error_of(m: &Msg<'_>) -> Option<(i32, Option<String>)> {
    let code = i32::from_ne_bytes(m.payload.get(0..4)?.try_into().ok()?);
    if code == 0 {
        return Some((0, None));
    }
    let mut text = None;
    if m.flags & NLM_F_ACK_TLVS != 0 {
        let orig_len = if m.flags & NLM_F_CAPPED != 0 {
            16
        } else {
            u32_at(m.payload, 4).unwrap_or(16) as usize
        };
        if let Some(tlvs) = m.payload.get(4 + orig_len..) {
            for (ty, v) in attrs(tlvs) {
                if ty == NLMSGERR_ATTR_MSG {
                    text = Some(String::from_utf8_lossy(v).trim_end_matches('\0').to_owned());
                }
            }
        }
    }
    Some((-code, text))
}

fn io_err(call: &'static str) -> impl FnOnce(io::Error) -> NetlinkError {
    move |source| NetlinkError::Io { call, source }
}

/// What a committed batch did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commit {
    /// Messages in the batch (without the begin/end markers).
    pub messages: usize,
    /// Size of the batch in bytes.
    pub bytes: usize,
    /// The ruleset generation right after the commit.
    pub generation: u32,
}

/// A connection to nf_tables in the calling thread's network namespace.
#[derive(Debug)]
pub struct Kernel {
    sock: NlSocket,
    seq: u32,
    buf: Vec<u8>,
}

impl Kernel {
    /// Opens a netfilter netlink socket (needs `CAP_NET_ADMIN` for changes).
    pub fn open() -> Result<Kernel, NetlinkError> {
        Ok(Kernel {
            sock: NlSocket::open().map_err(io_err("socket"))?,
            seq: 1,
            buf: vec![0; 1 << 20],
        })
    }

    fn next_seq(&mut self, n: u32) -> u32 {
        let s = self.seq;
        self.seq = self.seq.wrapping_add(n.max(1));
        if self.seq == 0 {
            self.seq = 1;
        }
        s
    }

    /// Receives replies and hands each message to `each` until it returns `true`.
    fn exchange(
        &mut self,
        mut each: impl FnMut(&Msg<'_>) -> Result<bool, NetlinkError>,
    ) -> Result<(), NetlinkError> {
        loop {
            let n = self.sock.recv(&mut self.buf).map_err(io_err("recv"))?;
            let data = &self.buf[..n];
            for m in parse_msgs(data)? {
                if each(&m)? {
                    return Ok(());
                }
            }
        }
    }

    /// Sends `plan` as one batch and waits for the kernel's verdict. With `expect_generation`
    /// the kernel refuses the batch (and nothing is applied) unless the ruleset generation is
    /// still that one. Returns the generation after the commit.
    pub(crate) fn commit(
        &mut self,
        plan: &Plan,
        expect_generation: Option<u32>,
    ) -> Result<Commit, NetlinkError> {
        let first = self.next_seq(plan.len() as u32 + 2);
        let batch = encode_batch(plan, first, expect_generation)?;
        self.sock
            .reserve(batch.bytes.len())
            .map_err(io_err("setsockopt"))?;
        self.sock.send(&batch.bytes).map_err(io_err("sendmsg"))?;
        // The batch is processed while it is sent; any error is already queued. A generation
        // request after it tells us when every reply of the batch has arrived.
        let gen_seq = self.next_seq(1);
        self.sock
            .send(&request(
                NFT_MSG_GETGEN,
                NLM_F_ACK,
                gen_seq,
                FAMILY_UNSPEC,
                &[],
            ))
            .map_err(io_err("sendmsg"))?;
        let mut failure: Option<NetlinkError> = None;
        let mut generation = None;
        let table = plan.table.clone();
        self.exchange(|m| {
            if m.ty == NLMSG_ERROR {
                let Some((code, text)) = error_of(m) else {
                    return Err(NetlinkError::Malformed("short error message".into()));
                };
                if m.seq == gen_seq {
                    if code != 0 {
                        return Err(NetlinkError::Io {
                            call: "getgen",
                            source: io::Error::from_raw_os_error(code),
                        });
                    }
                    return Ok(true);
                }
                if code != 0 && failure.is_none() {
                    failure = Some(if m.seq == first && code == ERESTART {
                        NetlinkError::GenerationChanged {
                            expected: expect_generation.unwrap_or(0),
                        }
                    } else {
                        let index = batch.op_index(m.seq).unwrap_or(0);
                        let mut what = plan
                            .ops
                            .get(index)
                            .map(|o| o.describe(&table))
                            .unwrap_or_else(|| "batch framing".to_owned());
                        if let Some(t) = text {
                            what.push_str(": ");
                            what.push_str(&t);
                        }
                        NetlinkError::Rejected {
                            index,
                            what,
                            source: io::Error::from_raw_os_error(code),
                        }
                    });
                }
            } else if m.seq == gen_seq && m.ty == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWGEN) {
                generation = gen_of(m.payload);
            }
            Ok(false)
        })?;
        if let Some(f) = failure {
            return Err(f);
        }
        Ok(Commit {
            messages: plan.len(),
            bytes: batch.bytes.len(),
            generation: generation
                .ok_or_else(|| NetlinkError::Malformed("no generation in reply".into()))?,
        })
    }

    /// The current ruleset generation.
    pub fn generation(&mut self) -> Result<u32, NetlinkError> {
        let seq = self.next_seq(1);
        self.sock
            .send(&request(NFT_MSG_GETGEN, NLM_F_ACK, seq, FAMILY_UNSPEC, &[]))
            .map_err(io_err("sendmsg"))?;
        let mut generation = None;
        self.exchange(|m| {
            if m.seq != seq {
                return Ok(false);
            }
            if m.ty == NLMSG_ERROR {
                let (code, _) = error_of(m).unwrap_or((0, None));
                if code != 0 {
                    return Err(NetlinkError::Io {
                        call: "getgen",
                        source: io::Error::from_raw_os_error(code),
                    });
                }
                return Ok(true);
            }
            generation = gen_of(m.payload);
            Ok(false)
        })?;
        generation.ok_or_else(|| NetlinkError::Malformed("no generation in reply".into()))
    }

    /// True if table `inet <name>` exists.
    pub fn table_exists(&mut self, name: &str) -> Result<bool, NetlinkError> {
        let seq = self.next_seq(1);
        let mut a = Vec::new();
        put_attr(&mut a, NFTA_TABLE_NAME, &cstr_attr(name));
        self.sock
            .send(&request(NFT_MSG_GETTABLE, NLM_F_ACK, seq, FAMILY_INET, &a))
            .map_err(io_err("sendmsg"))?;
        let mut found = false;
        self.exchange(|m| {
            if m.seq != seq {
                return Ok(false);
            }
            if m.ty == NLMSG_ERROR {
                let (code, _) = error_of(m).unwrap_or((0, None));
                return match code {
                    0 => Ok(true),
                    libc::ENOENT => {
                        found = false;
                        Ok(true)
                    }
                    c => Err(NetlinkError::Io {
                        call: "gettable",
                        source: io::Error::from_raw_os_error(c),
                    }),
                };
            }
            found = true;
            Ok(false)
        })?;
        Ok(found)
    }

    /// Packet counts of every named counter of table `inet <table>`, reset to zero by the same
    /// call.
    pub fn take_counters(&mut self, table: &str) -> Result<BTreeMap<String, u64>, NetlinkError> {
        let seq = self.next_seq(1);
        let mut a = Vec::new();
        put_attr(&mut a, NFTA_OBJ_TABLE, &cstr_attr(table));
        put_attr(&mut a, NFTA_OBJ_TYPE, &NFT_OBJECT_COUNTER.to_be_bytes());
        self.sock
            .send(&request(
                NFT_MSG_GETOBJ_RESET,
                NLM_F_DUMP,
                seq,
                FAMILY_INET,
                &a,
            ))
            .map_err(io_err("sendmsg"))?;
        let mut out = BTreeMap::new();
        self.exchange(|m| {
            if m.seq != seq {
                return Ok(false);
            }
            match m.ty {
                NLMSG_DONE => Ok(true),
                NLMSG_ERROR => {
                    let (code, _) = error_of(m).unwrap_or((0, None));
                    if code != 0 {
                        return Err(NetlinkError::Io {
                            call: "getobj",
                            source: io::Error::from_raw_os_error(code),
                        });
                    }
                    Ok(true)
                }
                t if t == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWOBJ) => {
                    if let Some((name, packets)) = counter_of(m.payload) {
                        out.insert(name, packets);
                    }
                    Ok(m.flags & NLM_F_MULTI == 0)
                }
                _ => Ok(false),
            }
        })?;
        Ok(out)
    }
}

fn gen_of(payload: &[u8]) -> Option<u32> {
    attrs(payload.get(4..)?)
        .into_iter()
        .find(|(t, _)| *t == NFTA_GEN_ID)
        .and_then(|(_, v)| Some(u32::from_be_bytes(v.get(0..4)?.try_into().ok()?)))
}

fn counter_of(payload: &[u8]) -> Option<(String, u64)> {
    let mut name = None;
    let mut packets = None;
    for (t, v) in attrs(payload.get(4..)?) {
        match t {
            NFTA_OBJ_NAME => {
                name = Some(String::from_utf8_lossy(v).trim_end_matches('\0').to_owned())
            }
            NFTA_OBJ_DATA => {
                for (t2, v2) in attrs(v) {
                    if t2 == NFTA_COUNTER_PACKETS {
                        packets = Some(u64::from_be_bytes(v2.get(0..8)?.try_into().ok()?));
                    }
                }
            }
            _ => {}
        }
    }
    Some((name?, packets?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_well_formed() {
        let mut a = Vec::new();
        put_attr(&mut a, NFTA_OBJ_TABLE, &cstr_attr("palisade"));
        let r = request(NFT_MSG_GETOBJ_RESET, NLM_F_DUMP, 9, FAMILY_INET, &a);
        let msgs = parse_msgs(&r).unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].seq, 9);
        assert_eq!(msgs[0].ty, (10 << 8) | 21);
        assert_eq!(msgs[0].flags, NLM_F_REQUEST | NLM_F_DUMP);
        let parsed = attrs(&msgs[0].payload[4..]);
        assert_eq!(parsed, vec![(NFTA_OBJ_TABLE, &b"palisade\0"[..])]);
    }

    #[test]
    fn counters_and_generations_parse() {
        let mut data = Vec::new();
        put_attr(&mut data, NFTA_COUNTER_PACKETS, &5u64.to_be_bytes());
        let mut a = vec![1, 0, 0, 0];
        put_attr(&mut a, NFTA_OBJ_NAME, &cstr_attr("c_1"));
        put_attr(&mut a, NFTA_OBJ_DATA | 0x8000, &data);
        assert_eq!(counter_of(&a), Some(("c_1".to_owned(), 5)));
        let mut g = vec![0, 0, 0, 0];
        put_attr(&mut g, NFTA_GEN_ID, &77u32.to_be_bytes());
        assert_eq!(gen_of(&g), Some(77));
    }

    #[test]
    fn error_replies_carry_errno_and_message() {
        let mut p = Vec::new();
        p.extend_from_slice(&(-22i32).to_ne_bytes());
        p.extend_from_slice(&[0u8; 16]);
        put_attr(&mut p, NLMSGERR_ATTR_MSG, b"bad thing\0");
        let m = Msg {
            ty: NLMSG_ERROR,
            flags: NLM_F_CAPPED | NLM_F_ACK_TLVS,
            seq: 1,
            payload: &p,
        };
        assert_eq!(error_of(&m), Some((22, Some("bad thing".to_owned()))));
    }

    #[test]
    fn truncated_buffers_are_malformed_not_panics() {
        assert!(parse_msgs(&[0xff; 20]).is_err());
        assert!(parse_msgs(&[]).unwrap().is_empty());
        assert!(attrs(&[1, 0]).is_empty());
    }
}
