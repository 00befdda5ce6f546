/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Palisade eBPF datapath: the user space <-> kernel ABI.
 *
 * Everything here is mirrored, field by field, in `src/abi.rs`; the static assertions at the
 * bottom pin every size and offset that the Rust side writes or reads. All integers are in host
 * byte order unless a field name ends in `_be`.
 *
 * Policy state lives in three places:
 *  - `pal_heap`: one mmap-able array of 64-bit words that holds every lookup table of every live
 *    policy generation (interval maps, block descriptors, projections, entry tables, step lists,
 *    rule tables). User space allocates regions in it and writes them through mmap before the
 *    generation that refers to them is published; it frees a region only after no published
 *    generation refers to it.
 *  - `pal_gens`: an array of maps indexed by policy slot. Each slot holds a one-entry array map
 *    whose value is a `struct pal_gen`: the generation header, which points into the heap.
 *    Publishing a generation is one update of this slot (atomic for readers; the kernel waits for
 *    an RCU grace period before returning, so afterwards no packet still uses the old header).
 *    An empty slot fails closed.
 *  - `pal_ifaces`: (ifindex, attach point) -> `struct pal_iface`: which slots (stages) run there.
 */
#ifndef PALISADE_ABI_H
#define PALISADE_ABI_H

#include <linux/types.h>

/* ---- attach points ------------------------------------------------------------------------ */
#define PAL_POINT_TC_INGRESS 0
#define PAL_POINT_TC_EGRESS 1
#define PAL_POINT_XDP 2

/* ---- classification fields (bit positions in block field masks) -------------------------- */
/* The numbering of the compiler's classifier (`classifier::Field::index`). */
#define PAL_F_FAMILY 0
#define PAL_F_PROTO 1
#define PAL_F_SRC 2
#define PAL_F_DST 3
#define PAL_F_SPORT 4
#define PAL_F_DPORT 5
#define PAL_F_ICMP 6
#define PAL_NFIELDS 7

/* ---- rule actions (low byte of a rule word) --------------------------------------------- */
#define PAL_ACT_ALLOW 0
#define PAL_ACT_DENY 1
#define PAL_ACT_LOG 2
#define PAL_ACT_PASS 3
#define PAL_ACT_NOVERDICT 4

/* ---- entry tables ------------------------------------------------------------------------ */
#define PAL_ENTRIES_DENSE 0
#define PAL_ENTRIES_HASH 1
/* An entry word: low 32 bits = the decisive rule (PAL_NONE: none), high 32 bits = offset of the
 * entry's step list in u32 units from `logs_off` (PAL_NONE: no steps). A step list is a head
 * word — the number of steps, with PAL_STEPS_HAVE_LOG set when one of them is a Log rule — then
 * one word per step: a Log rule's index, or a Pass rule's index with PAL_STEP_PASS set (a Pass
 * taken within the block; it is reported only when tracing). A dense table slot or hash value
 * of all ones is a miss. */
#define PAL_NONE 0xffffffffu
#define PAL_STEPS_HAVE_LOG 0x80000000u
#define PAL_STEP_PASS 0x80000000u
/* Hash tables: slots of two words {key, entry}; an empty slot holds the block's empty marker (a
 * key value no entry uses). A key is the sum of class << shift over the block's fields. */
#define PAL_HASH_MUL 0x9e3779b97f4a7c15ull
#define PAL_MAX_PROBES 16

/* Interval maps (field value -> global atom). The root is a direct table indexed by
 * key >> shift (for 128-bit keys: by the key's high 64 bits >> shift). Every table word
 * describes the chunk of keys it covers:
 *  - high 32 bits PAL_LEAF: the low 32 bits are the chunk's atom;
 *  - high 32 bits PAL_IMAP_SUB | b (1 <= b <= 8): a sub-table of 2^b words for the chunk's next
 *    b key bits (index = (key >> (shift - b)) & (2^b - 1), then shift -= b), at word offset low
 *    32 bits from the start of the map (`direct_off`); at most PAL_IMAP_MAX_DEPTH sub-table
 *    levels lie below the root (deeper is inconsistent: fail closed);
 *  - otherwise: low 32 bits = offset of the chunk's first interval record from the start of the
 *    map, high 32 bits = number of records (>= 1, < 2^31), searched with a branch-free binary
 *    search of at most PAL_MAX_SEARCH steps.
 * A 32-bit interval record is one word {low 32: first key, high 32: atom}; a 128-bit record is
 * three words {key bits 127..64, key bits 63..0, atom}. Records of a chunk are sorted by first
 * key and the first one starts at or before the chunk's first key. PAL_LEAF is tested before
 * PAL_IMAP_SUB (it has that bit set too). */
#define PAL_LEAF 0xffffffffu
#define PAL_IMAP_SUB 0x80000000u
#define PAL_IMAP_MAX_DEPTH 16
#define PAL_MAX_SEARCH 32

/* ---- bounds --------------------------------------------------------------------------- */
#define PAL_MAX_STAGES 3
#define PAL_MAX_BLOCK_STEPS 65536
#define PAL_MAX_WALK_STEPS (1u << 23)
#define PAL_MAX_STEPS_PER_ENTRY 65536
#define PAL_BLOCK_WORDS (3 + PAL_NFIELDS)

/* ---- interface configuration --------------------------------------------------------------- */
/* Interfaces with ifindex < PAL_IFACE_DIRECT are configured in an array indexed by
 * ifindex * 3 + point (no hashing on the fast path); others in a hash. An array entry is in use
 * when its flags have PAL_IF_VALID. */
#define PAL_IFACE_DIRECT 4096
#define PAL_IF_VALID (1u << 31)
struct pal_iface_key {
	__u32 ifindex;
	__u32 point; /* PAL_POINT_* */
};

/* Flags of `struct pal_iface`. */
#define PAL_IF_STATEFUL (1u << 0)   /* conntrack before the tracked stages; allowed flows recorded */
#define PAL_IF_REPORT (1u << 1)     /* write the outcome to skb->cb / XDP metadata (test runs) */
#define PAL_IF_TRACE (1u << 2)      /* also emit Pass steps on the event ring (test runs) */
#define PAL_IF_SPLIT (1u << 3)      /* local and forwarded packets run different stage lists */
#define PAL_IF_ALLOW_NDP (1u << 4)  /* ICMPv6 130-136 pass before policy */
#define PAL_IF_MARK_UNTRACKED (1u << 5) /* XDP: an untracked Allow tags the frame for TC */
/* TC egress of a workload's host-side interface: a packet the host itself sends to the workload
 * (locally generated: skb->ingress_ifindex == 0; a forwarded packet carries the interface it
 * came in through) passes without consulting the stages (SEMANTICS section 3: host -> local workload
 * traffic is not policed by the workload's ingress policy) and, when stateful, is recorded in
 * conntrack with PAL_CT_HOST_LOCAL so that the workload's replies pass. Forwarded packets run
 * the stages as usual. */
#define PAL_IF_HOST_LOCAL (1u << 6)

/* Stage kinds. */
#define PAL_STAGE_TRACKED 0   /* runs after conntrack; an Allow records the flow */
#define PAL_STAGE_UNTRACKED 1 /* runs before conntrack; an Allow passes without a record */

struct pal_stage {
	__u32 slot;
	__u32 kind; /* PAL_STAGE_* */
};

struct pal_iface {
	__u32 flags;
	__u32 n_local;
	__u32 n_fwd;
	__u32 pad;
	struct pal_stage local[PAL_MAX_STAGES];
	struct pal_stage fwd[PAL_MAX_STAGES];
	__u64 ct_timeout_tcp_ns;
	__u64 ct_timeout_other_ns;
};

/* ---- the generation header ------------------------------------------------------------------ */
struct pal_imap {
	__u32 direct_off; /* heap word offset of the direct table */
	__u32 shift;      /* direct index = key >> shift (of the high 64 bits for 128-bit keys) */
	__u32 n_direct;   /* direct table length (for dumps; lookups never exceed it) */
	__u32 pad;
};

struct pal_gen {
	__u64 gen_id;
	__u32 flags;
	__u32 nblocks;
	__u32 blocks_off;
	__u32 rules_off;
	__u32 nrules;
	__u32 logs_off;
	__u32 used_fields;
	__u32 sport_absent;
	__u32 dport_absent;
	__u32 icmp_absent;
	__u32 family_atom[2]; /* [0] IPv4, [1] IPv6 */
	struct pal_imap src4;
	struct pal_imap dst4;
	struct pal_imap sport;
	struct pal_imap dport;
	struct pal_imap icmp; /* key = type << 8 | code */
	struct pal_imap src6;
	struct pal_imap dst6;
	__u16 proto_atom[256];
};

/* A block descriptor: PAL_BLOCK_WORDS heap words.
 *  word 0: bits 0..31 heap offset of the entry table, 32..35 number of key fields, 36 entries
 *          kind, 40..45 log2(hash slots), 48..52 max probes
 *  word 1: dense: the table's length; hash: the empty-slot marker
 *  word 2: the default entry word (keys not in a hash table)
 *  word 3 + i (i < number of key fields): bits 0..31 heap offset of the field's projection,
 *          32..37 the class's shift in the key, 40..41 log2(class bits) - 3, 48..50 the field
 * Rule words: bits 0..7 action, bits 32..63 the Pass target block (PAL_NONE for a Pass whose
 * target is inside its own block: it is only ever a step, never decisive). */

/* ---- conntrack ------------------------------------------------------------------------- */
struct pal_ct_key {
	__u32 ifindex;
	__u8 family;
	__u8 proto;
	__u16 pad; /* the flow's class: ports, ICMP echo, other ICMP (see ct_ports) */
	__u32 a[4]; /* the lower (address, port) endpoint, network byte order */
	__u32 b[4];
	__u16 pa; /* host order */
	__u16 pb;
};

#define PAL_CT_INIT_IS_A (1u << 0)
/* The flow was started by the host itself (PAL_IF_HOST_LOCAL): packets in the direction of the
 * first one match it only when they are locally generated too, so a forwarded packet that
 * copies the host's addresses and ports is still policed. Replies match as usual. */
#define PAL_CT_HOST_LOCAL (1u << 1)

struct pal_ct_val {
	__u64 last_seen_ns;
	__u32 flags;
	__u32 point; /* the attach point that saw the first packet */
	__u32 slot;
	__u32 rule;
};

/* ---- events ---------------------------------------------------------------------------- */
#define PAL_EV_LOG 1  /* a Log rule matched */
#define PAL_EV_PASS 2 /* a Pass rule was taken (trace mode only) */

#define PAL_L4_NONE 0
#define PAL_L4_PORTS 1
#define PAL_L4_ICMP 2

struct pal_event {
	__u32 kind;
	__u32 slot;
	__u64 gen_id;
	__u32 rule;
	__u32 ifindex;
	__u8 point;
	__u8 family;
	__u8 proto;
	__u8 l4;
	__u16 sport;
	__u16 dport;
	__u8 icmp_type;
	__u8 icmp_code;
	__u16 pad;
	__u32 src[4]; /* network byte order */
	__u32 dst[4];
};

/* ---- reported outcome (test runs) ------------------------------------------------------ */
/* TC: skb->cb[0] = status, cb[1] = rule, cb[2] = slot, cb[3] = low 32 bits of gen_id, cb[4] =
 * events emitted (low 16 bits) | events the ring had no room for (high 16 bits).
 * XDP: PAL_META_MAGIC and the same five u32s are prepended as metadata. */
#define PAL_META_MAGIC 0x5041u /* "PA" */
#define PAL_META_UNTRACKED_ALLOW 0x50415531u

#define PAL_ST_ALLOW 1          /* a rule allowed */
#define PAL_ST_DENY 2           /* a rule denied */
#define PAL_ST_NOVERDICT 3      /* every stage ended without a verdict: passed */
#define PAL_ST_CT_ESTABLISHED 4 /* conntrack: a later packet of an allowed flow */
#define PAL_ST_CT_REPLY 5       /* conntrack: a reply of an allowed flow */
#define PAL_ST_CT_RELATED 6     /* conntrack: an ICMP error about an allowed flow */
#define PAL_ST_NOT_IP 7         /* not IPv4/IPv6: passed */
#define PAL_ST_MALFORMED 8      /* IP header unusable: dropped */
#define PAL_ST_NO_IFACE 9       /* no configuration for this interface: dropped */
#define PAL_ST_NO_GEN 10        /* empty policy slot: dropped (fail closed) */
#define PAL_ST_INTERNAL 11      /* inconsistent tables: dropped (fail closed) */
#define PAL_ST_NDP 12           /* neighbour discovery passed before policy */
#define PAL_ST_UNTRACKED_MARK 13 /* XDP already allowed it as untracked: passed */
#define PAL_ST_HOST_LOCAL 14    /* sent by the host itself to a workload (PAL_IF_HOST_LOCAL): passed */

#endif
