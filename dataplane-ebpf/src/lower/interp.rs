//! A user-space interpreter of the datapath's classification, step for step as
//! `bpf/palisade.c` does it, over the same heap words and header. It lets the lowering be tested
//! against the IR evaluator without privileges, and it explains a generation's contents in
//! dumps.

use std::net::IpAddr;

use palisade_compiler::Decision;
use palisade_compiler::packet::PacketRepr;

use super::LoweredProgram;
use crate::abi::{self, BLOCK_WORDS, GenHeader, IMAP_SUB, LEAF, NONE};
use crate::heap::{self, HeapAlloc, HeapError};

/// Read access to heap words.
pub trait Words {
    /// The word at `idx`, if the heap has it.
    fn word(&self, idx: u32) -> Option<u64>;
}

impl Words for [u64] {
    fn word(&self, idx: u32) -> Option<u64> {
        self.get(idx as usize).copied()
    }
}

impl Words for Vec<u64> {
    fn word(&self, idx: u32) -> Option<u64> {
        self.get(idx as usize).copied()
    }
}

/// A step before the decision, by rule index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// A Log rule matched.
    Log(u32),
    /// A Pass rule was taken.
    Pass(u32),
}

/// What a classification decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The deciding rule.
    pub rule: u32,
    /// Its action (`abi::ACT_*`).
    pub action: u8,
    /// Log and Pass steps, in order.
    pub steps: Vec<Step>,
}

/// The tables are inconsistent at the named place (the datapath fails closed there).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("inconsistent tables: {0}")]
pub struct InterpError(pub &'static str);

fn word<W: Words + ?Sized>(heap: &W, idx: u32, what: &'static str) -> Result<u64, InterpError> {
    heap.word(idx).ok_or(InterpError(what))
}

/// Follows sub-table words from the root word of `key`'s chunk down to a leaf or a record
/// range, as `imap_descend` in `bpf/palisade.c` does. `key_hi` is the table key (the key for
/// 32-bit maps, its high 64 bits for 128-bit maps). Returns `Ok(Err(atom))` for a leaf and
/// `Ok(Ok(word))` for a record-range word.
fn imap_descend<W: Words + ?Sized>(
    heap: &W,
    d: &abi::ImapDesc,
    key_hi: u64,
    max_shift: u32,
) -> Result<Result<u64, u32>, InterpError> {
    if d.shift > max_shift {
        return Err(InterpError("direct shift"));
    }
    let mut shift = d.shift;
    let mut w = word(
        heap,
        d.direct_off.wrapping_add((key_hi >> shift) as u32),
        "direct table",
    )?;
    for _ in 0..=abi::IMAP_MAX_DEPTH {
        let hi = (w >> 32) as u32;
        if hi == LEAF {
            return Ok(Err(w as u32));
        }
        if hi & IMAP_SUB == 0 {
            return Ok(Ok(w));
        }
        let b = hi & 0xff;
        if b == 0 || b > shift {
            return Err(InterpError("sub-table bits"));
        }
        shift -= b;
        let idx = ((key_hi >> shift) & ((1u64 << b) - 1)) as u32;
        w = word(
            heap,
            d.direct_off.wrapping_add(w as u32).wrapping_add(idx),
            "sub-table",
        )?;
    }
    Err(InterpError("sub-table depth"))
}

fn imap32<W: Words + ?Sized>(heap: &W, d: &abi::ImapDesc, key: u32) -> Result<u32, InterpError> {
    let w = match imap_descend(heap, d, u64::from(key), 32)? {
        Err(atom) => return Ok(atom),
        Ok(w) => w,
    };
    let mut lo = d.direct_off.wrapping_add(w as u32);
    let mut n = (w >> 32) as u32;
    for _ in 0..abi::MAX_SEARCH {
        if n <= 1 {
            break;
        }
        let half = n >> 1;
        let r = word(heap, lo.wrapping_add(half), "interval record")?;
        if key >= r as u32 {
            lo += half;
        }
        n -= half;
    }
    Ok((word(heap, lo, "interval record")? >> 32) as u32)
}

fn imap128<W: Words + ?Sized>(heap: &W, d: &abi::ImapDesc, key: u128) -> Result<u32, InterpError> {
    if d.shift == 0 {
        return Err(InterpError("direct shift"));
    }
    let w = match imap_descend(heap, d, (key >> 64) as u64, 64)? {
        Err(atom) => return Ok(atom),
        Ok(w) => w,
    };
    let mut lo = d.direct_off.wrapping_add(w as u32);
    let mut n = (w >> 32) as u32;
    for _ in 0..abi::MAX_SEARCH {
        if n <= 1 {
            break;
        }
        let half = n >> 1;
        let at = lo.wrapping_add(half.wrapping_mul(3));
        let first = (u128::from(word(heap, at, "interval record")?) << 64)
            | u128::from(word(heap, at.wrapping_add(1), "interval record")?);
        if key >= first {
            lo = at;
        }
        n -= half;
    }
    Ok(word(heap, lo.wrapping_add(2), "interval record")? as u32)
}

/// The atom of a 32-bit `key` in an interval map laid out at the start of `words` with root
/// shift `shift` (`None` if the words are inconsistent).
#[cfg(test)]
pub(crate) fn imap32_words(words: &[u64], shift: u32, key: u32) -> Option<u32> {
    let d = abi::ImapDesc {
        direct_off: 0,
        shift,
        n_direct: 0,
    };
    imap32(words, &d, key).ok()
}

/// The atom of a 128-bit `key` in an interval map laid out at the start of `words` with root
/// shift `shift` (`None` if the words are inconsistent).
#[cfg(test)]
pub(crate) fn imap128_words(words: &[u64], shift: u32, key: u128) -> Option<u32> {
    let d = abi::ImapDesc {
        direct_off: 0,
        shift,
        n_direct: 0,
    };
    imap128(words, &d, key).ok()
}

/// The field atoms of `p`, by classifier field index (unused fields are 0).
pub(crate) fn atoms<W: Words + ?Sized>(
    heap: &W,
    h: &GenHeader,
    p: &PacketRepr,
) -> Result<[u32; abi::NFIELDS], InterpError> {
    let mut a = [0u32; abi::NFIELDS];
    let used = |f: usize| h.used_fields & (1 << f) != 0;
    a[1] = u32::from(h.proto_atom[usize::from(p.protocol())]);
    a[0] = h.family_atom[usize::from(!p.is_ipv4())];
    for (f, addr, d4, d6) in [
        (2, p.src(), &h.src4, &h.src6),
        (3, p.dst(), &h.dst4, &h.dst6),
    ] {
        if used(f) {
            a[f] = match addr {
                IpAddr::V4(v) => imap32(heap, d4, u32::from(v))?,
                IpAddr::V6(v) => imap128(heap, d6, u128::from(v))?,
            };
        }
    }
    if used(4) {
        a[4] = match p.ports() {
            Some((s, _)) => imap32(heap, &h.sport, u32::from(s))?,
            None => h.sport_absent,
        };
    }
    if used(5) {
        a[5] = match p.ports() {
            Some((_, d)) => imap32(heap, &h.dport, u32::from(d))?,
            None => h.dport_absent,
        };
    }
    if used(6) {
        a[6] = match p.icmp_fields() {
            Some((t, c)) => imap32(heap, &h.icmp, (u32::from(t) << 8) | u32::from(c))?,
            None => h.icmp_absent,
        };
    }
    Ok(a)
}

/// The entry word of block `b` for `atoms`.
pub(crate) fn block_entry<W: Words + ?Sized>(
    heap: &W,
    blocks_off: u32,
    b: u32,
    atoms: &[u32; abi::NFIELDS],
) -> Result<u64, InterpError> {
    let base = blocks_off + b * BLOCK_WORDS as u32;
    let w0 = word(heap, base, "block descriptor")?;
    let entries_off = w0 as u32;
    let nfields = ((w0 >> 32) & 0xf) as u32;
    let mut key = 0u64;
    for i in 0..nfields.min(abi::NFIELDS as u32) {
        let d = word(heap, base + 3 + i, "block descriptor")?;
        let wl = 3 + ((d >> 40) & 3) as u32;
        let per_word_log2 = 6 - wl;
        let atom = atoms.get(((d >> 48) & 7) as usize).copied().unwrap_or(0);
        let w = word(heap, d as u32 + (atom >> per_word_log2), "projection")?;
        let width = 1u32 << wl;
        let pos = (atom & ((1 << per_word_log2) - 1)) << wl;
        let class = (w >> (pos & 63)) & (u64::MAX >> ((64 - width) & 63));
        key |= class << ((d >> 32) & 63);
    }
    let w1 = word(heap, base + 1, "block descriptor")?;
    if w0 & (1 << 36) == 0 {
        if key >= w1 {
            return Err(InterpError("dense key out of range"));
        }
        return word(heap, entries_off + key as u32, "dense entries");
    }
    let bits = ((w0 >> 40) & 0x3f) as u8;
    let probes = ((w0 >> 48) & 0x1f) as u32;
    let empty = w1;
    if bits == 0 || bits > 32 {
        return Err(InterpError("hash size"));
    }
    let size_mask = ((1u64 << bits) - 1) as u32;
    let h = super::hash_slot(key, bits) as u32;
    for i in 0..abi::MAX_PROBES.min(probes) {
        let s = (h + i) & size_mask;
        let k = word(heap, entries_off + 2 * s, "hash entries")?;
        if k == key {
            return word(heap, entries_off + 2 * s + 1, "hash entries");
        }
        if k == empty {
            break;
        }
    }
    word(heap, base + 2, "block descriptor")
}

/// Classifies `p` with the generation `h` over `heap`, as the datapath does.
pub(crate) fn classify<W: Words + ?Sized>(
    heap: &W,
    h: &GenHeader,
    p: &PacketRepr,
) -> Result<Outcome, InterpError> {
    let atoms = atoms(heap, h, p)?;
    let mut steps = Vec::new();
    let mut b = 0u32;
    for _ in 0..h.nblocks.min(abi::MAX_BLOCK_STEPS) {
        if b >= h.nblocks {
            return Err(InterpError("walked past the last block"));
        }
        let e = block_entry(heap, h.blocks_off, b, &atoms)?;
        let logs = (e >> 32) as u32;
        let rule = e as u32;
        if logs != NONE {
            let head_w = word(heap, h.logs_off + logs / 2, "step list")?;
            let head = if logs & 1 == 1 {
                (head_w >> 32) as u32
            } else {
                head_w as u32
            };
            let count = head & !abi::STEPS_HAVE_LOG;
            if count > abi::MAX_STEPS_PER_ENTRY {
                return Err(InterpError("step list length"));
            }
            let mut has_log = false;
            for i in 0..count {
                let at = logs + 1 + i;
                let w = word(heap, h.logs_off + at / 2, "step list")?;
                let step = if at & 1 == 1 {
                    (w >> 32) as u32
                } else {
                    w as u32
                };
                if step & abi::STEP_PASS != 0 {
                    steps.push(Step::Pass(step & !abi::STEP_PASS));
                } else {
                    has_log = true;
                    steps.push(Step::Log(step));
                }
            }
            if has_log != (head & abi::STEPS_HAVE_LOG != 0) {
                return Err(InterpError("step list head"));
            }
        }
        if rule == NONE {
            b += 1;
            continue;
        }
        if rule >= h.nrules {
            return Err(InterpError("rule index"));
        }
        let rw = word(heap, h.rules_off + rule, "rule table")?;
        let action = (rw & 0xff) as u8;
        match action {
            abi::ACT_PASS => {
                let target = (rw >> 32) as u32;
                if target <= b {
                    return Err(InterpError("pass target"));
                }
                steps.push(Step::Pass(rule));
                b = target;
            }
            abi::ACT_LOG => return Err(InterpError("log rule as decisive entry")),
            _ => {
                return Ok(Outcome {
                    rule,
                    action,
                    steps,
                });
            }
        }
    }
    Err(InterpError("no block decided"))
}

/// A generation laid out in a private heap exactly as [`crate::sys::Datapath::publish`] lays it
/// out in the kernel's, and classified exactly as the datapath classifies.
#[derive(Clone, Debug)]
pub struct Image {
    heap: Vec<u64>,
    header: GenHeader,
}

impl Image {
    /// Places `p` in a heap of its own.
    pub fn new(p: &LoweredProgram) -> Result<Image, HeapError> {
        let words = u32::try_from(p.words() + 1).unwrap_or(u32::MAX);
        let mut alloc = HeapAlloc::new(words);
        let plan = heap::plan(&mut alloc, p, 1)?;
        let mut heap = vec![0u64; words as usize];
        for (off, w) in &plan.writes {
            if let Some(dst) = heap.get_mut(*off as usize..*off as usize + w.len()) {
                dst.copy_from_slice(w);
            }
        }
        Ok(Image {
            heap,
            header: plan.header,
        })
    }

    /// Words of the heap.
    pub fn words(&self) -> usize {
        self.heap.len()
    }

    /// Classifies `packet`.
    pub fn classify(&self, packet: &PacketRepr) -> Result<Outcome, InterpError> {
        classify(&self.heap, &self.header, packet)
    }

    /// The decision for `packet` (`p` is the program the image was built from).
    pub fn decide(&self, p: &LoweredProgram, packet: &PacketRepr) -> Result<Decision, InterpError> {
        let o = self.classify(packet)?;
        p.decision(o.rule, &o.steps)
            .ok_or(InterpError("rule without origin"))
    }
}
