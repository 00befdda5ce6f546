// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Palisade eBPF datapath: one fixed program per hook type that enforces compiled policy held
 * entirely in maps (see abi.h). No per-rule instructions; every loop is bounded.
 *
 * Per packet: parse Ethernet / IPv4 (options) / IPv6 (extension headers, bounded) / L4; find the
 * interface's stage list; run untracked stages; consult conntrack; run tracked stages. A stage
 * classifies with its slot's current generation: field atoms from interval maps, then a walk over
 * blocks (projection of atoms to block-local classes, one entry-table probe per block), Log rules
 * to the event ring, Pass rules jump to their target block.
 */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- maps ------------------------------------------------------------------------------- */

/* The value size is given by number: a type only used through pointers would reach BTF as a
 * forward declaration, which loaders cannot size. */
struct pal_gen_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct pal_gen));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__array(values, struct pal_gen_map);
} pal_gens SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << 20);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} pal_heap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PAL_IFACE_DIRECT * 3);
	__type(key, __u32);
	__type(value, struct pal_iface);
} pal_ifaces_direct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct pal_iface_key);
	__type(value, struct pal_iface);
} pal_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct pal_ct_key);
	__type(value, struct pal_ct_val);
} pal_ct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} pal_events SEC(".maps");

/* ---- packet ----------------------------------------------------------------------------- */

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_SCTP_ 132
#define IPPROTO_UDPLITE_ 136

/* Minimum L4 header lengths: a shorter (truncated) header gives no L4 fields. */
#define TCP_MIN 20
#define UDP_MIN 8
#define SCTP_MIN 12
#define ICMP_MIN 8

#define PARSE_OK 0
#define PARSE_NOT_IP 1
#define PARSE_MALFORMED 2

#define MAX_VLAN 2
#define MAX_EXT 8

struct pkt {
	__u32 src[4]; /* network byte order; IPv4 in src[0] */
	__u32 dst[4];
	__u8 family; /* 4 or 6 */
	__u8 proto;
	__u8 l4; /* PAL_L4_* */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 pad;
	__u16 sport; /* host order */
	__u16 dport;
	__u16 icmp_id; /* echo identifier (echo request/reply only) */
	__u32 l4_off;  /* offset of the L4 header from the start of the frame */
	__u32 l4_end;  /* end of the IP payload within the frame */
};

static __always_inline int is_icmp_echo(const struct pkt *p)
{
	if (p->l4 != PAL_L4_ICMP)
		return 0;
	if (p->family == 4)
		return p->icmp_type == 8 || p->icmp_type == 0;
	return p->icmp_type == 128 || p->icmp_type == 129;
}

static __always_inline int is_icmp_error(const struct pkt *p)
{
	if (p->l4 != PAL_L4_ICMP)
		return 0;
	if (p->family == 4)
		return p->icmp_type == 3 || p->icmp_type == 4 || p->icmp_type == 5 ||
		       p->icmp_type == 11 || p->icmp_type == 12;
	return p->icmp_type >= 1 && p->icmp_type <= 4;
}

static __always_inline int has_ports(__u8 proto)
{
	return proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_ || proto == IPPROTO_SCTP_ ||
	       proto == IPPROTO_UDPLITE_;
}

static __always_inline __u32 ports_min(__u8 proto)
{
	if (proto == IPPROTO_TCP_)
		return TCP_MIN;
	if (proto == IPPROTO_SCTP_)
		return SCTP_MIN;
	return UDP_MIN;
}

/* L4 fields of `p` from the header at `off`; `end` is the end of the IP payload. A header that
 * does not fit in both the payload and the frame is truncated and gives no L4 fields. */
static __always_inline void parse_l4(void *data, void *data_end, __u32 off, __u32 end,
				     struct pkt *p)
{
	p->l4 = PAL_L4_NONE;
	__u32 avail = (__u32)((long)data_end - (long)data);
	if (off > 4096)
		return;
	__u8 *l4 = data + off;
	if (has_ports(p->proto)) {
		__u32 need = ports_min(p->proto);
		if (off + need > end || off + need > avail || (void *)(l4 + 4) > data_end)
			return;
		p->sport = ((__u16)l4[0] << 8) | l4[1];
		p->dport = ((__u16)l4[2] << 8) | l4[3];
		p->l4 = PAL_L4_PORTS;
		return;
	}
	if ((p->family == 4 && p->proto == IPPROTO_ICMP_) ||
	    (p->family == 6 && p->proto == IPPROTO_ICMPV6_)) {
		if (off + ICMP_MIN > end || (void *)(l4 + ICMP_MIN) > data_end)
			return;
		p->icmp_type = l4[0];
		p->icmp_code = l4[1];
		p->icmp_id = ((__u16)l4[4] << 8) | l4[5];
		p->l4 = PAL_L4_ICMP;
	}
}

/* Parses the IP header at `off` of a frame of `frame_len` bytes (the whole packet; only the
 * linear part [data, data_end) is read). Mirrors the compiler's `packet::wire` parser: an IP
 * packet longer than the frame, a truncated or over-long IPv6 extension chain are malformed; a
 * non-first fragment or a truncated L4 header gives no L4 fields. */
static __always_inline int parse_ip(void *data, void *data_end, __u32 off, __u32 frame_len,
				    __u16 ethertype, struct pkt *p)
{
	if (off > 64 || frame_len < off)
		return PARSE_MALFORMED;
	__u32 avail = frame_len - off;
	__u8 *ip = data + off;
	if (ethertype == ETH_P_IP) {
		if ((void *)(ip + 20) > data_end)
			return PARSE_MALFORMED;
		if ((ip[0] >> 4) != 4)
			return PARSE_MALFORMED;
		__u32 hl = (ip[0] & 0xf) * 4;
		__u32 tot = ((__u32)ip[2] << 8) | ip[3];
		if (hl < 20 || tot < hl || tot > avail)
			return PARSE_MALFORMED;
		if ((void *)(ip + hl) > data_end)
			return PARSE_MALFORMED;
		p->family = 4;
		p->proto = ip[9];
		__builtin_memcpy(&p->src[0], ip + 12, 4);
		__builtin_memcpy(&p->dst[0], ip + 16, 4);
		__u32 frag = (((__u32)ip[6] << 8) | ip[7]) & 0x1fff;
		p->l4_off = off + hl;
		p->l4_end = off + tot;
		if (frag != 0) {
			p->l4 = PAL_L4_NONE;
			return PARSE_OK;
		}
		parse_l4(data, data_end, p->l4_off, p->l4_end, p);
		return PARSE_OK;
	}
	/* IPv6 */
	if ((void *)(ip + 40) > data_end)
		return PARSE_MALFORMED;
	if ((ip[0] >> 4) != 6)
		return PARSE_MALFORMED;
	__u32 plen = ((__u32)ip[4] << 8) | ip[5];
	if (40 + plen > avail)
		return PARSE_MALFORMED;
	p->family = 6;
	__builtin_memcpy(p->src, ip + 8, 16);
	__builtin_memcpy(p->dst, ip + 24, 16);
	__u32 end = off + 40 + plen;
	__u8 nh = ip[6];
	__u32 cur = off + 40;
	int first = 1;
	int known = 0;
	for (__u64 i = 0; i <= MAX_EXT; i++) {
		if (nh != 0 && nh != 43 && nh != 60 && nh != 44 && nh != 51) {
			known = 1;
			break;
		}
		if (i == MAX_EXT || cur > 1024)
			break; /* too long a chain */
		__u8 *h = data + cur;
		if (cur + 8 > end || (void *)(h + 8) > data_end)
			break; /* truncated (every extension header is at least 8 bytes) */
		__u32 len;
		if (nh == 44)
			len = 8;
		else if (nh == 51)
			len = ((__u32)h[1] + 2) * 4;
		else
			len = ((__u32)h[1] + 1) * 8;
		if (cur + len > end)
			break;
		__u8 next = h[0];
		if (nh == 44 && ((((__u32)h[2] << 8) | h[3]) >> 3) != 0) {
			/* A non-first fragment: the next header is the protocol, no L4 header. */
			first = 0;
			known = 1;
			nh = next;
			cur += len;
			break;
		}
		nh = next;
		cur += len;
	}
	if (!known)
		return PARSE_MALFORMED;
	p->proto = nh;
	p->l4_off = cur;
	p->l4_end = end;
	if (!first) {
		p->l4 = PAL_L4_NONE;
		return PARSE_OK;
	}
	parse_l4(data, data_end, cur, end, p);
	return PARSE_OK;
}

static __always_inline int parse(void *data, void *data_end, __u32 frame_len, struct pkt *p)
{
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return PARSE_NOT_IP;
	__u16 proto = bpf_ntohs(eth->h_proto);
	__u32 off = sizeof(*eth);
#pragma unroll
	for (int i = 0; i < MAX_VLAN; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		__u8 *v = data + off;
		if ((void *)(v + 4) > data_end)
			return PARSE_NOT_IP;
		proto = ((__u16)v[2] << 8) | v[3];
		off += 4;
	}
	if (proto != ETH_P_IP && proto != ETH_P_IPV6)
		return PARSE_NOT_IP;
	return parse_ip(data, data_end, off, frame_len, proto, p);
}

struct outcome {
	__u32 status; /* PAL_ST_* */
	__u32 rule;
	__u32 slot;
	__u32 gen_lo;
	__u32 events; /* events emitted | lost << 16 */
};

struct atoms {
	__u32 a[PAL_NFIELDS];
	__u32 pad;
};

/* ---- heap and interval maps ---------------------------------------------------------------- */

static __always_inline int heap_word(__u32 idx, __u64 *out)
{
	/* The key is 4 bytes, but it gets a whole 8-byte stack slot: a 4-byte key sharing a slot
	 * with a spilled loop counter would make the verifier forget the counter. */
	__u64 key = idx;
	__u64 *w = bpf_map_lookup_elem(&pal_heap, &key);
	if (!w)
		return -1;
	*out = *w;
	return 0;
}

/* Keeps the compiler from turning arithmetic back into compares: BPF has no conditional move, so
 * a compare becomes a branch, and data-dependent branches in a loop multiply the paths the
 * verifier must walk. */
#define opaque(v) asm volatile("" : "+r"(v))

/* 1 if a < b, for a, b < 2^32, without a branch. */
static __always_inline __u64 lt32(__u64 a, __u64 b)
{
	__u64 d = a - b;
	opaque(d);
	return d >> 63;
}

/* Borrow out of a - b - bin (bin in {0, 1}), without a branch. */
static __always_inline __u64 borrow64(__u64 a, __u64 b, __u64 bin)
{
	__u64 d = a - b - bin;
	opaque(d);
	return ((~a & b) | (~(a ^ b) & d)) >> 63;
}

/* Follows an interval map from the root word of `tkey`'s chunk through sub-table words (at most
 * PAL_IMAP_MAX_DEPTH) to a leaf or a record range. `tkey` is the table key: the key of a 32-bit
 * map, the high 64 bits of a 128-bit one. Returns 0 with `*w` = the final word, -1 if the tables
 * are inconsistent (bad offset, bad sub-table width, too deep). */
static __always_inline int imap_descend(__u32 direct_off, __u32 shift, __u64 tkey, __u64 *w)
{
	if (heap_word(direct_off + (__u32)(tkey >> (shift & 63)), w))
		return -1;
	for (__u32 d = 0; d <= PAL_IMAP_MAX_DEPTH; d++) {
		__u32 hi = *w >> 32;
		if (hi == PAL_LEAF || !(hi & PAL_IMAP_SUB))
			return 0;
		__u32 b = hi & 0xff;
		if (b == 0 || b > shift)
			return -1;
		shift -= b;
		__u32 idx = (__u32)((tkey >> (shift & 63)) & ((1ull << (b & 63)) - 1));
		if (heap_word(direct_off + (__u32)*w + idx, w))
			return -1;
	}
	return -1;
}

/* Atom of a 32-bit key; PAL_NONE if the tables are inconsistent. The search over a chunk is
 * branch-free: after it, `lo` is the last record whose first key is <= key.
 *
 * The lookups and the first walk steps are inlined into the stage rather than being global
 * functions verified once: where return-stack mitigations are on (SRSO "Safe RET" on AMD,
 * retbleed), every return from a BPF-to-BPF call goes through the kernel's return thunk. On the
 * machine of BENCHMARKS.md that is 4-5 ns per call, and the eight calls of a one-block walk were
 * a third of the datapath's cost above an empty program. */
static __always_inline __u32 imap32(__u32 direct_off, __u32 shift, __u32 key)
{
	__u64 w;
	if (shift > 32 || imap_descend(direct_off, shift, key, &w))
		return PAL_NONE;
	__u32 hi = w >> 32;
	if (hi == PAL_LEAF)
		return (__u32)w;
	__u32 lo = direct_off + (__u32)w;
	__u32 n = hi;
	for (__u64 i = 0; i < PAL_MAX_SEARCH; i++) {
		if (n <= 1)
			break;
		__u32 half = n >> 1;
		__u64 r;
		if (heap_word(lo + half, &r))
			return PAL_NONE;
		__u64 ge = 1 - lt32(key, (__u32)r);
		lo += half * (__u32)ge;
		n -= half;
	}
	__u64 r;
	if (heap_word(lo, &r))
		return PAL_NONE;
	return r >> 32;
}

/* Atom of a 128-bit key given as (high, low) 64-bit halves; records are three words. */
static __always_inline __u32 imap128(__u32 direct_off, __u32 shift, __u64 khi, __u64 klo)
{
	__u64 w;
	if (shift > 64 || shift == 0 || imap_descend(direct_off, shift, khi, &w))
		return PAL_NONE;
	__u32 hi = w >> 32;
	if (hi == PAL_LEAF)
		return (__u32)w;
	__u32 lo = direct_off + (__u32)w;
	__u32 n = hi;
	for (__u64 i = 0; i < PAL_MAX_SEARCH; i++) {
		if (n <= 1)
			break;
		__u32 half = n >> 1;
		__u32 at = lo + half * 3;
		__u64 rhi, rlo;
		if (heap_word(at, &rhi) || heap_word(at + 1, &rlo))
			return PAL_NONE;
		/* key >= record <=> no borrow out of key - record. */
		__u64 b = borrow64(khi, rhi, borrow64(klo, rlo, 0));
		lo += half * 3 * (__u32)(1 - b);
		n -= half;
	}
	__u64 a;
	if (heap_word(lo + 2, &a))
		return PAL_NONE;
	return (__u32)a;
}

static __always_inline __u64 be64_of(const __u32 *w)
{
	return ((__u64)bpf_ntohl(w[0]) << 32) | bpf_ntohl(w[1]);
}

/* ---- classification ----------------------------------------------------------------------- */

struct walk {
	struct pal_gen *g;
	struct pkt *p;
	struct atoms atoms;
	__u32 block; /* next block to evaluate */
	__u32 slot;
	__u32 ifindex;
	__u32 point;
	__u32 trace;
	__u32 done;   /* 1 when a final rule decided */
	__u32 rule;   /* deciding rule */
	__u32 action; /* its action */
	__u32 error;  /* inconsistent tables */
	__u32 events; /* events emitted (reserved on the ring or not) */
	__u32 lost;   /* events the ring had no room for */
	__u32 log_at;   /* u32 index (from logs_off) of the current entry's next step */
	__u32 log_left; /* steps of the current entry still to report */
	__u32 pending;  /* the current entry's decisive rule (PAL_NONE: none) */
};

static __always_inline void emit(struct walk *w, __u32 kind, __u32 rule)
{
	w->events++;
	struct pal_event *e = bpf_ringbuf_reserve(&pal_events, sizeof(*e), 0);
	if (!e) {
		w->lost++;
		return;
	}
	struct pkt *p = w->p;
	e->kind = kind;
	e->slot = w->slot;
	e->gen_id = w->g->gen_id;
	e->rule = rule;
	e->ifindex = w->ifindex;
	e->point = w->point;
	e->family = p->family;
	e->proto = p->proto;
	e->l4 = p->l4;
	e->sport = p->l4 == PAL_L4_PORTS ? p->sport : 0;
	e->dport = p->l4 == PAL_L4_PORTS ? p->dport : 0;
	e->icmp_type = p->l4 == PAL_L4_ICMP ? p->icmp_type : 0;
	e->icmp_code = p->l4 == PAL_L4_ICMP ? p->icmp_code : 0;
	e->pad = 0;
	__builtin_memcpy(e->src, p->src, 16);
	__builtin_memcpy(e->dst, p->dst, 16);
	bpf_ringbuf_submit(e, 0);
}

#define ENTRY_ERR 0xfffffffeffffffffull

/* The entry word of block `b` (descriptors at heap offset `blocks_off`) for `at`; ENTRY_ERR if
 * the tables are inconsistent. */
static __always_inline __u64 pal_block_entry(const struct atoms *at, __u32 blocks_off, __u32 b)
{
	__u32 base = blocks_off + b * PAL_BLOCK_WORDS;
	__u64 w0;
	if (heap_word(base, &w0))
		return ENTRY_ERR;
	__u32 entries_off = (__u32)w0;
	__u32 nfields = (w0 >> 32) & 0xf;
	__u64 key = 0;
	for (__u64 i = 0; i < PAL_NFIELDS; i++) {
		if (i >= nfields)
			break;
		__u64 d, word;
		if (heap_word(base + 3 + i, &d))
			return ENTRY_ERR;
		/* Classes are 2^wl bits wide, wl in 3..6; 2^(6 - wl) of them per word. */
		__u32 wl = 3 + ((d >> 40) & 3);
		__u32 per_word_log2 = 6 - wl;
		__u32 atom = at->a[(d >> 48) & 7];
		if (heap_word((__u32)d + (atom >> per_word_log2), &word))
			return ENTRY_ERR;
		__u32 width = 1u << wl;
		__u32 pos = (atom & ((1u << per_word_log2) - 1)) << wl;
		__u64 class = (word >> (pos & 63)) & (~0ull >> ((64 - width) & 63));
		key |= class << ((d >> 32) & 63);
	}
	__u64 w1;
	if (heap_word(base + 1, &w1))
		return ENTRY_ERR;
	if (!(w0 & (1ull << 36))) {
		/* Dense: w1 is the length. */
		if (key >= w1)
			return ENTRY_ERR;
		__u64 e;
		if (heap_word(entries_off + (__u32)key, &e))
			return ENTRY_ERR;
		return e;
	}
	__u32 bits = (w0 >> 40) & 0x3f;
	__u32 probes = (w0 >> 48) & 0x1f;
	__u64 empty = w1;
	if (bits == 0 || bits > 32)
		return ENTRY_ERR;
	__u32 size_mask = (__u32)((1ull << bits) - 1);
	__u32 h = (__u32)((key * PAL_HASH_MUL) >> ((64 - bits) & 63));
	for (__u64 i = 0; i < PAL_MAX_PROBES; i++) {
		if (i >= probes)
			break;
		__u32 slot = (h + i) & size_mask;
		__u64 k, e;
		if (heap_word(entries_off + 2 * slot, &k))
			return ENTRY_ERR;
		if (k == key) {
			if (heap_word(entries_off + 2 * slot + 1, &e))
				return ENTRY_ERR;
			return e;
		}
		if (k == empty)
			break;
	}
	__u64 dflt;
	if (heap_word(base + 2, &dflt))
		return ENTRY_ERR;
	return dflt;
}

/* u32 number `at` of the step lists. */
static __always_inline int log_u32(const struct walk *w, __u32 at, __u32 *out)
{
	__u64 word;
	if (heap_word(w->g->logs_off + at / 2, &word))
		return -1;
	*out = (at & 1) ? (__u32)(word >> 32) : (__u32)word;
	return 0;
}

/* Acts on the current entry's decisive rule (after its Log rules were reported). Returns 1 to
 * stop the walk, 0 to go on. */
static __always_inline long act(struct walk *w)
{
	struct pal_gen *g = w->g;
	__u32 b = w->block;
	__u32 rule = w->pending;
	w->pending = PAL_NONE;
	if (rule == PAL_NONE) {
		w->block = b + 1;
		return 0;
	}
	__u64 rw;
	if (rule >= g->nrules || heap_word(g->rules_off + rule, &rw)) {
		w->error = 1;
		return 1;
	}
	__u32 action = rw & 0xff;
	if (action == PAL_ACT_PASS) {
		__u32 target = rw >> 32;
		if (target <= b) {
			w->error = 1;
			return 1;
		}
		if (w->trace)
			emit(w, PAL_EV_PASS, rule);
		w->block = target;
		return 0;
	}
	if (action == PAL_ACT_LOG) {
		/* Log rules are never decisive entries. */
		w->error = 1;
		return 1;
	}
	w->done = 1;
	w->rule = rule;
	w->action = action;
	return 1;
}

/* One step of the walk: report one pending step of an entry (a Log rule, or a Pass taken within
 * the block), or evaluate one block. One flat loop (a bpf_loop callback that itself calls
 * bpf_loop misbehaves), bounded by blocks + rules. Returns 1 to stop the walk. */
static __always_inline long walk_one(struct walk *w)
{
	struct pal_gen *g = w->g;
	if (w->log_left > 0) {
		__u32 rule;
		if (log_u32(w, w->log_at, &rule)) {
			w->error = 1;
			return 1;
		}
		if (!(rule & PAL_STEP_PASS))
			emit(w, PAL_EV_LOG, rule);
		else if (w->trace)
			emit(w, PAL_EV_PASS, rule & ~PAL_STEP_PASS);
		w->log_at++;
		w->log_left--;
		return w->log_left > 0 ? 0 : act(w);
	}
	__u32 b = w->block;
	if (b >= g->nblocks) {
		/* The last block always decides (the program's final rule matches everything). */
		w->error = 1;
		return 1;
	}
	__u64 e = pal_block_entry(&w->atoms, g->blocks_off, b);
	if (e == ENTRY_ERR) {
		w->error = 1;
		return 1;
	}
	__u32 logs = e >> 32;
	w->pending = (__u32)e;
	if (logs != PAL_NONE) {
		__u32 head;
		if (log_u32(w, logs, &head)) {
			w->error = 1;
			return 1;
		}
		__u32 count = head & ~PAL_STEPS_HAVE_LOG;
		if (count > PAL_MAX_STEPS_PER_ENTRY) {
			w->error = 1;
			return 1;
		}
		/* Pass steps alone are only reported when tracing. */
		if (count > 0 && ((head & PAL_STEPS_HAVE_LOG) || w->trace)) {
			w->log_at = logs + 1;
			w->log_left = count;
			return 0;
		}
	}
	return act(w);
}

/* The bpf_loop callback: one walk step. */
static long walk_step(__u32 i, void *data)
{
	(void)i;
	return walk_one(data);
}

/* Walk steps taken inline before the walk goes on in bpf_loop. */
#define PAL_DIRECT_WALK_STEPS 2

/* Classifies `p` with generation `g`. Returns 0 and sets w->rule/w->action, or -1 (fail closed). */
static __always_inline int classify(struct walk *w)
{
	struct pal_gen *g = w->g;
	struct pkt *p = w->p;
	__u32 used = g->used_fields;

	w->atoms.a[PAL_F_PROTO] = g->proto_atom[p->proto];
	w->atoms.a[PAL_F_FAMILY] = g->family_atom[p->family == 6];
	if (used & (1u << PAL_F_SRC)) {
		if (p->family == 4)
			w->atoms.a[PAL_F_SRC] = imap32(g->src4.direct_off, g->src4.shift, bpf_ntohl(p->src[0]));
		else
			w->atoms.a[PAL_F_SRC] = imap128(g->src6.direct_off, g->src6.shift, be64_of(&p->src[0]),
						      be64_of(&p->src[2]));
		if (w->atoms.a[PAL_F_SRC] == PAL_NONE)
			return -1;
	}
	if (used & (1u << PAL_F_DST)) {
		if (p->family == 4)
			w->atoms.a[PAL_F_DST] = imap32(g->dst4.direct_off, g->dst4.shift, bpf_ntohl(p->dst[0]));
		else
			w->atoms.a[PAL_F_DST] = imap128(g->dst6.direct_off, g->dst6.shift, be64_of(&p->dst[0]),
						      be64_of(&p->dst[2]));
		if (w->atoms.a[PAL_F_DST] == PAL_NONE)
			return -1;
	}
	if (used & (1u << PAL_F_SPORT)) {
		w->atoms.a[PAL_F_SPORT] = p->l4 == PAL_L4_PORTS
						? imap32(g->sport.direct_off, g->sport.shift, p->sport)
						: g->sport_absent;
		if (w->atoms.a[PAL_F_SPORT] == PAL_NONE)
			return -1;
	}
	if (used & (1u << PAL_F_DPORT)) {
		w->atoms.a[PAL_F_DPORT] = p->l4 == PAL_L4_PORTS
						? imap32(g->dport.direct_off, g->dport.shift, p->dport)
						: g->dport_absent;
		if (w->atoms.a[PAL_F_DPORT] == PAL_NONE)
			return -1;
	}
	if (used & (1u << PAL_F_ICMP)) {
		w->atoms.a[PAL_F_ICMP] =
			p->l4 == PAL_L4_ICMP
				? imap32(g->icmp.direct_off, g->icmp.shift,
					 ((__u32)p->icmp_type << 8) | p->icmp_code)
				: g->icmp_absent;
		if (w->atoms.a[PAL_F_ICMP] == PAL_NONE)
			return -1;
	}
	w->block = 0;
	w->done = 0;
	w->error = 0;
	w->log_left = 0;
	w->pending = PAL_NONE;
	/* Every step evaluates a block or reports a Log rule; a walk evaluates each block at most
	 * once and reports each Log rule at most once. */
	__u64 steps = (__u64)g->nblocks + g->nrules;
	if (steps > PAL_MAX_WALK_STEPS)
		steps = PAL_MAX_WALK_STEPS;
	/* The first steps inline (most packets are decided by their first block or two, whose
	 * steps need no reporting unless tracing); bpf_loop, whose callback is an indirect call
	 * (a retpoline on kernels that mitigate Spectre v2), only for longer walks. */
	__u32 k = 0;
#pragma unroll
	for (int d = 0; d < PAL_DIRECT_WALK_STEPS; d++) {
		if (k >= steps || walk_one(w))
			break;
		k++;
	}
	if (k == PAL_DIRECT_WALK_STEPS && k < steps)
		bpf_loop((__u32)(steps - k), walk_step, w, 0);
	if (w->error || !w->done)
		return -1;
	return 0;
}

/* ---- conntrack -------------------------------------------------------------------------- */

/* What the conntrack subprograms need about the packet's context. */
struct pctx {
	void *data;
	void *data_end;
	const struct pal_iface *cfg;
	__u32 ifindex;
	__u32 point;
	__u64 now;
	__u32 forwarded; /* the packet is forwarded, not sent by the host itself */
};

static __always_inline int endpoint_less(const __u32 *x, __u16 px, const __u32 *y, __u16 py)
{
#pragma unroll
	for (int i = 0; i < 4; i++) {
		__u32 a = bpf_ntohl(x[i]), b = bpf_ntohl(y[i]);
		if (a != b)
			return a < b;
	}
	return px < py;
}

/* Fills a canonical key for the flow (src, sport) <-> (dst, dport) of class `kind` (see
 * ct_ports); returns 1 if src is `a`. */
static __always_inline int ct_key_of(struct pal_ct_key *k, __u32 ifindex, __u8 family, __u8 proto,
				     __u16 kind, const __u32 *src, __u16 sport, const __u32 *dst,
				     __u16 dport)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->family = family;
	k->proto = proto;
	k->pad = kind;
	int src_is_a = !endpoint_less(dst, dport, src, sport);
	if (src_is_a) {
		__builtin_memcpy(k->a, src, 16);
		__builtin_memcpy(k->b, dst, 16);
		k->pa = sport;
		k->pb = dport;
	} else {
		__builtin_memcpy(k->a, dst, 16);
		__builtin_memcpy(k->b, src, 16);
		k->pa = dport;
		k->pb = sport;
	}
	return src_is_a;
}

#define CT_KIND_PORTS 0 /* ports, or a protocol without them */
#define CT_KIND_ECHO 1  /* ICMP echo: the identifier plays both ports */
#define CT_KIND_ICMP 2  /* other ICMP: a flow per type and code */

/* The conntrack class and ports of a packet: L4 ports; the echo identifier (both sides) for
 * ICMP echo; type << 8 | code for other ICMP; zero otherwise. Returns the class. */
static __always_inline __u16 ct_ports(const struct pkt *p, __u16 *sport, __u16 *dport)
{
	if (p->l4 == PAL_L4_PORTS) {
		*sport = p->sport;
		*dport = p->dport;
		return CT_KIND_PORTS;
	}
	if (is_icmp_echo(p)) {
		*sport = p->icmp_id;
		*dport = p->icmp_id;
		return CT_KIND_ECHO;
	}
	*sport = 0;
	*dport = 0;
	if (p->l4 == PAL_L4_ICMP) {
		*sport = ((__u16)p->icmp_type << 8) | p->icmp_code;
		return CT_KIND_ICMP;
	}
	return CT_KIND_PORTS;
}

static __always_inline __u64 ct_timeout(const struct pal_iface *cfg, __u8 proto)
{
	return proto == IPPROTO_TCP_ ? cfg->ct_timeout_tcp_ns : cfg->ct_timeout_other_ns;
}

/* Looks a flow up: 1 for a packet in the direction of the first packet, 2 for a reply, 0 for
 * no (live) entry. */
static __always_inline int ct_match(const struct pal_iface *cfg, __u32 ifindex, __u32 point,
				    __u8 family, __u8 proto, __u16 kind, const __u32 *src, __u16 sport,
				    const __u32 *dst, __u16 dport, __u64 now, __u32 forwarded)
{
	struct pal_ct_key k;
	int src_is_a = ct_key_of(&k, ifindex, family, proto, kind, src, sport, dst, dport);
	struct pal_ct_val *v = bpf_map_lookup_elem(&pal_ct, &k);
	if (!v)
		return 0;
	if (now - v->last_seen_ns > ct_timeout(cfg, proto)) {
		bpf_map_delete_elem(&pal_ct, &k);
		return 0;
	}
	int init_is_a = (v->flags & PAL_CT_INIT_IS_A) != 0;
	int forward = src_is_a == init_is_a;
	if (forward && v->point != point)
		return 0;
	/* A flow the host started: only the host's own packets continue it. */
	if (forward && (v->flags & PAL_CT_HOST_LOCAL) && forwarded)
		return 0;
	if (!forward && v->point == point)
		return 0;
	if (now - v->last_seen_ns > 1000000000ull)
		v->last_seen_ns = now;
	return forward ? 1 : 2;
}

/* An ICMP error quotes the packet it is about; returns 1 if that packet belongs to a flow we
 * allowed (in the opposite direction of the error). */
static __always_inline int ct_related(void *data, void *data_end, const struct pal_iface *cfg,
				      __u32 ifindex, __u32 point, struct pkt *p, __u64 now)
{
	__u32 off = p->l4_off + 8;
	if (off > 2048)
		return 0;
	struct pkt inner = {};
	__u8 *ip = data + off;
	if ((void *)(ip + 1) > data_end)
		return 0;
	__u16 et = p->family == 4 ? ETH_P_IP : ETH_P_IPV6;
	if (et == ETH_P_IP) {
		if ((void *)(ip + 20) > data_end || (ip[0] >> 4) != 4)
			return 0;
		__u32 hl = (ip[0] & 0xf) * 4;
		if (hl < 20 || hl > 60)
			return 0;
		inner.family = 4;
		inner.proto = ip[9];
		__builtin_memcpy(&inner.src[0], ip + 12, 4);
		__builtin_memcpy(&inner.dst[0], ip + 16, 4);
		__u32 l4 = off + hl;
		if (l4 > 2048)
			return 0;
		__u8 *q = data + l4;
		if ((void *)(q + 8) > data_end)
			return 0;
		if (has_ports(inner.proto)) {
			inner.l4 = PAL_L4_PORTS;
			inner.sport = ((__u16)q[0] << 8) | q[1];
			inner.dport = ((__u16)q[2] << 8) | q[3];
		} else if (inner.proto == IPPROTO_ICMP_) {
			inner.l4 = PAL_L4_ICMP;
			inner.icmp_type = q[0];
			inner.icmp_id = ((__u16)q[4] << 8) | q[5];
		}
	} else {
		if ((void *)(ip + 48) > data_end || (ip[0] >> 4) != 6)
			return 0;
		inner.family = 6;
		inner.proto = ip[6];
		__builtin_memcpy(inner.src, ip + 8, 16);
		__builtin_memcpy(inner.dst, ip + 24, 16);
		__u8 *q = ip + 40;
		if (has_ports(inner.proto)) {
			inner.l4 = PAL_L4_PORTS;
			inner.sport = ((__u16)q[0] << 8) | q[1];
			inner.dport = ((__u16)q[2] << 8) | q[3];
		} else if (inner.proto == IPPROTO_ICMPV6_) {
			inner.l4 = PAL_L4_ICMP;
			inner.icmp_type = q[0];
			inner.icmp_id = ((__u16)q[4] << 8) | q[5];
		}
	}
	__u16 sp, dp;
	__u16 kind = ct_ports(&inner, &sp, &dp);
	/* The quoted packet travelled the other way: look it up from the receiver's side, i.e. as a
	 * reply to this error's direction. */
	struct pal_ct_key k;
	int src_is_a = ct_key_of(&k, ifindex, inner.family, inner.proto, kind, inner.src, sp, inner.dst, dp);
	struct pal_ct_val *v = bpf_map_lookup_elem(&pal_ct, &k);
	if (!v || now - v->last_seen_ns > ct_timeout(cfg, inner.proto))
		return 0;
	int init_is_a = (v->flags & PAL_CT_INIT_IS_A) != 0;
	int quoted_forward = src_is_a == init_is_a;
	/* The quoted packet went out through the opposite attach point of this error when it was
	 * forward, or through this one when it was a reply. */
	if (quoted_forward)
		return v->point != point;
	return v->point == point;
}

static __noinline void ct_record(const struct pctx *c, const struct pkt *p, __u32 slot, __u32 rule,
				 __u32 flags)
{
	__u32 ifindex = c->ifindex, point = c->point;
	__u64 now = c->now;
	__u16 sp, dp;
	__u16 kind = ct_ports(p, &sp, &dp);
	struct pal_ct_key k;
	int src_is_a = ct_key_of(&k, ifindex, p->family, p->proto, kind, p->src, sp, p->dst, dp);
	struct pal_ct_val v = {
		.last_seen_ns = now,
		.flags = (src_is_a ? PAL_CT_INIT_IS_A : 0) | flags,
		.point = point,
		.slot = slot,
		.rule = rule,
	};
	bpf_map_update_elem(&pal_ct, &k, &v, BPF_ANY);
}

/* Conntrack before the tracked stages: PAL_ST_CT_* when the packet belongs to (or is an ICMP
 * error about) an allowed flow, else 0. A subprogram of its own (its keys stay off the
 * classification path's stack). */
static __noinline __u32 ct_check(const struct pctx *c, struct pkt *p)
{
	void *data = c->data, *data_end = c->data_end;
	const struct pal_iface *cfg = c->cfg;
	__u32 ifindex = c->ifindex, point = c->point;
	__u64 now = c->now;
	/* An ICMP error belongs to the flow it quotes, never to a flow of its own. */
	if (is_icmp_error(p))
		return ct_related(data, data_end, cfg, ifindex, point, p, now) ? PAL_ST_CT_RELATED : 0;
	__u16 sp, dp;
	__u16 kind = ct_ports(p, &sp, &dp);
	int m = ct_match(cfg, ifindex, point, p->family, p->proto, kind, p->src, sp, p->dst, dp, now,
			 c->forwarded);
	if (m)
		return m == 1 ? PAL_ST_CT_ESTABLISHED : PAL_ST_CT_REPLY;
	return 0;
}

/* ---- the pipeline ------------------------------------------------------------------------- */


static __always_inline int is_ndp(const struct pkt *p)
{
	return p->family == 6 && p->l4 == PAL_L4_ICMP && p->icmp_type >= 130 && p->icmp_type <= 136 &&
	       p->icmp_type != 134;
}

/* Runs one stage: classifies `p` with the current generation of `slot`. Returns the action, or
 * -1 with out->status set (fail closed). `point_trace` is the attach point
 * in bits 0..7 and the trace flag in bit 8. A global function: verified once. */
__attribute__((noinline)) int pal_run_stage(__u32 slot, struct pkt *p, struct outcome *out,
					    __u32 ifindex, __u32 point_trace)
{
	if (!p || !out)
		return -1;
	void *inner = bpf_map_lookup_elem(&pal_gens, &slot);
	out->slot = slot;
	if (!inner) {
		out->status = PAL_ST_NO_GEN;
		return -1;
	}
	__u32 zero = 0;
	struct pal_gen *g = bpf_map_lookup_elem(inner, &zero);
	if (!g) {
		out->status = PAL_ST_NO_GEN;
		return -1;
	}
	struct walk w = {};
	w.g = g;
	w.p = p;
	w.slot = slot;
	w.ifindex = ifindex;
	w.point = point_trace & 0xff;
	w.trace = (point_trace >> 8) & 1;
	out->gen_lo = (__u32)g->gen_id;
	int r = classify(&w);
	out->events += (w.events & 0xffff) | (w.lost << 16);
	if (r) {
		out->status = PAL_ST_INTERNAL;
		return -1;
	}
	out->rule = w.rule;
	return w.action;
}

/* The verdict for a parsed packet at (ifindex, point); returns 1 to pass, 0 to drop. */
static __always_inline int decide(void *data, void *data_end, const struct pal_iface *cfg,
				  struct pkt *p, __u32 ifindex, __u32 point, int forwarded,
				  struct outcome *out)
{
	__u32 trace = (cfg->flags & PAL_IF_TRACE) != 0;
	const struct pal_stage *stages = forwarded ? cfg->fwd : cfg->local;
	__u32 n = forwarded ? cfg->n_fwd : cfg->n_local;
	if (n > PAL_MAX_STAGES)
		n = PAL_MAX_STAGES;
	/* Host -> local workload (PAL_IF_HOST_LOCAL): no stage runs; conntrack still does, so that
	 * later packets of the flow are reported as such and the flow is recorded once. */
	int host_local = (cfg->flags & PAL_IF_HOST_LOCAL) && point == PAL_POINT_TC_EGRESS && !forwarded;
	if (host_local)
		n = 0;

	if ((cfg->flags & PAL_IF_ALLOW_NDP) && is_ndp(p)) {
		out->status = PAL_ST_NDP;
		return 1;
	}

	__u32 point_trace = point | (trace << 8);

	/* Untracked stages come first and never touch conntrack. */
	__u32 i = 0;
	for (int s = 0; s < PAL_MAX_STAGES; s++) {
		if (i >= n || stages[i].kind != PAL_STAGE_UNTRACKED)
			break;
		int act = pal_run_stage(stages[i].slot, p, out, ifindex, point_trace);
		if (act < 0)
			return 0;
		if (act == PAL_ACT_ALLOW) {
			out->status = PAL_ST_ALLOW;
			return 1;
		}
		if (act == PAL_ACT_DENY) {
			out->status = PAL_ST_DENY;
			return 0;
		}
		i++;
	}

	struct pctx c = {.data = data, .data_end = data_end, .cfg = cfg, .ifindex = ifindex,
			  .point = point, .now = 0, .forwarded = forwarded != 0};
	int stateful = (cfg->flags & PAL_IF_STATEFUL) != 0;
	if (stateful) {
		c.now = bpf_ktime_get_ns();
		__u32 st = ct_check(&c, p);
		if (st) {
			out->status = st;
			return 1;
		}
	}

	for (int s = 0; s < PAL_MAX_STAGES; s++) {
		if (i >= n)
			break;
		const struct pal_stage *st = &stages[i];
		int act = pal_run_stage(st->slot, p, out, ifindex, point_trace);
		if (act < 0)
			return 0;
		if (act == PAL_ACT_ALLOW) {
			out->status = PAL_ST_ALLOW;
			if (stateful && st->kind == PAL_STAGE_TRACKED)
				ct_record(&c, p, out->slot, out->rule, 0);
			return 1;
		}
		if (act == PAL_ACT_DENY) {
			out->status = PAL_ST_DENY;
			return 0;
		}
		i++;
	}
	if (host_local) {
		out->status = PAL_ST_HOST_LOCAL;
		out->slot = PAL_NONE;
		out->rule = PAL_NONE;
		if (stateful)
			ct_record(&c, p, PAL_NONE, PAL_NONE, PAL_CT_HOST_LOCAL);
		return 1;
	}
	out->status = PAL_ST_NOVERDICT;
	return 1;
}

static __always_inline const struct pal_iface *iface_cfg(__u32 ifindex, __u32 point)
{
	if (ifindex < PAL_IFACE_DIRECT) {
		__u32 i = ifindex * 3 + point;
		const struct pal_iface *c = bpf_map_lookup_elem(&pal_ifaces_direct, &i);
		return c && (c->flags & PAL_IF_VALID) ? c : NULL;
	}
	struct pal_iface_key k = {.ifindex = ifindex, .point = point};
	return bpf_map_lookup_elem(&pal_ifaces, &k);
}

/* True for a packet the host forwards (rather than one to or from the host itself): at TC egress
 * a packet that came in through another interface (the kernel sets skb->skb_iif, read as
 * ingress_ifindex, when it receives a packet; a locally generated one has 0; a test run sets it
 * from ctx_in); at TC ingress one the routing table does not deliver locally. A subprogram of its own, so its stack is not on the classification path. */
static __noinline int is_forwarded(struct __sk_buff *skb, struct pkt *p, __u32 ifindex, __u32 point)
{
	if (point == PAL_POINT_TC_EGRESS)
		return skb->ingress_ifindex != 0;
	struct bpf_fib_lookup fib = {};
	fib.family = p->family == 4 ? 2 : 10;
	fib.ifindex = ifindex;
	fib.l4_protocol = p->proto;
	if (p->family == 4) {
		fib.ipv4_src = p->src[0];
		fib.ipv4_dst = p->dst[0];
	} else {
		__builtin_memcpy(fib.ipv6_src, p->src, 16);
		__builtin_memcpy(fib.ipv6_dst, p->dst, 16);
	}
	long rc = bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_SKIP_NEIGH);
	return rc != BPF_FIB_LKUP_RET_NOT_FWDED;
}

#define PULL_LEN 512

static __always_inline int tc_main(struct __sk_buff *skb, __u32 point)
{
	struct outcome out = {};
	int pass;
	__u32 ifindex = skb->ifindex;
	const struct pal_iface *cfg = iface_cfg(ifindex, point);

	/* Make the headers we parse linear. */
	if ((long)skb->data_end - (long)skb->data < PULL_LEN && skb->len > skb->data_end - skb->data)
		bpf_skb_pull_data(skb, skb->len < PULL_LEN ? skb->len : PULL_LEN);

	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (!cfg) {
		/* Not configured (yet, or any more): fail closed for IP, let the rest through. */
		struct pkt p = {};
		int r = parse(data, data_end, skb->len, &p);
		if (r == PARSE_NOT_IP)
			return TC_ACT_UNSPEC;
		return TC_ACT_SHOT;
	}

	if (point == PAL_POINT_TC_INGRESS) {
		void *meta = (void *)(long)skb->data_meta;
		__u32 *m = meta;
		if ((void *)(m + 1) <= data && *m == PAL_META_UNTRACKED_ALLOW) {
			out.status = PAL_ST_UNTRACKED_MARK;
			pass = 1;
			goto report;
		}
	}

	struct pkt p = {};
	int r = parse(data, data_end, skb->len, &p);
	if (r == PARSE_NOT_IP) {
		out.status = PAL_ST_NOT_IP;
		pass = 1;
		goto report;
	}
	if (r != PARSE_OK) {
		out.status = PAL_ST_MALFORMED;
		pass = 0;
		goto report;
	}

	int forwarded = 0;
	if (cfg->flags & (PAL_IF_SPLIT | PAL_IF_HOST_LOCAL))
		forwarded = is_forwarded(skb, &p, ifindex, point);
	pass = decide(data, data_end, cfg, &p, ifindex, point, forwarded, &out);

report:
	if (cfg->flags & PAL_IF_REPORT) {
		skb->cb[0] = out.status;
		skb->cb[1] = out.rule;
		skb->cb[2] = out.slot;
		skb->cb[3] = out.gen_lo;
		skb->cb[4] = out.events;
	}
	return pass ? TC_ACT_UNSPEC : TC_ACT_SHOT;
}

SEC("classifier")
int palisade_tc_ingress(struct __sk_buff *skb)
{
	return tc_main(skb, PAL_POINT_TC_INGRESS);
}

SEC("classifier")
int palisade_tc_egress(struct __sk_buff *skb)
{
	return tc_main(skb, PAL_POINT_TC_EGRESS);
}

SEC("xdp")
int palisade_xdp(struct xdp_md *ctx)
{
	struct outcome out = {};
	int pass;
	__u32 ifindex = ctx->ingress_ifindex;
	const struct pal_iface *cfg = iface_cfg(ifindex, PAL_POINT_XDP);
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct pkt p = {};
	int r = parse(data, data_end, (__u32)(data_end - data), &p);
	if (!cfg)
		return r == PARSE_NOT_IP ? XDP_PASS : XDP_DROP;
	if (r == PARSE_NOT_IP) {
		out.status = PAL_ST_NOT_IP;
		pass = 1;
	} else if (r != PARSE_OK) {
		out.status = PAL_ST_MALFORMED;
		pass = 0;
	} else {
		pass = decide(data, data_end, cfg, &p, ifindex, PAL_POINT_XDP, 0, &out);
	}
	if (cfg->flags & PAL_IF_REPORT) {
		if (bpf_xdp_adjust_meta(ctx, -24) == 0) {
			__u32 *m = (void *)(long)ctx->data_meta;
			if ((void *)(m + 6) <= (void *)(long)ctx->data) {
				m[0] = PAL_META_MAGIC;
				m[1] = out.status;
				m[2] = out.rule;
				m[3] = out.slot;
				m[4] = out.gen_lo;
				m[5] = out.events;
			}
		}
	} else if (pass && out.status == PAL_ST_ALLOW && (cfg->flags & PAL_IF_MARK_UNTRACKED)) {
		if (bpf_xdp_adjust_meta(ctx, -4) == 0) {
			__u32 *m = (void *)(long)ctx->data_meta;
			if ((void *)(m + 1) <= (void *)(long)ctx->data)
				m[0] = PAL_META_UNTRACKED_ALLOW;
		}
	}
	return pass ? XDP_PASS : XDP_DROP;
}

/* ---- ABI checks ---------------------------------------------------------------------------- */
_Static_assert(sizeof(struct pal_iface_key) == 8, "pal_iface_key");
_Static_assert(sizeof(struct pal_stage) == 8, "pal_stage");
_Static_assert(sizeof(struct pal_iface) == 80, "pal_iface");
_Static_assert(offsetof(struct pal_iface, local) == 16, "pal_iface.local");
_Static_assert(offsetof(struct pal_iface, fwd) == 40, "pal_iface.fwd");
_Static_assert(offsetof(struct pal_iface, ct_timeout_tcp_ns) == 64, "pal_iface.ct_timeout");
_Static_assert(sizeof(struct pal_imap) == 16, "pal_imap");
_Static_assert(offsetof(struct pal_gen, src4) == 56, "pal_gen.src4");
_Static_assert(offsetof(struct pal_gen, proto_atom) == 168, "pal_gen.proto_atom");
_Static_assert(sizeof(struct pal_gen) == 680, "pal_gen");
_Static_assert(sizeof(struct pal_ct_key) == 44, "pal_ct_key");
_Static_assert(sizeof(struct pal_ct_val) == 24, "pal_ct_val");
_Static_assert(sizeof(struct pal_event) == 72, "pal_event");
_Static_assert(offsetof(struct pal_event, src) == 36, "pal_event.src");
_Static_assert(offsetof(struct __sk_buff, cb) == 48, "__sk_buff.cb");
_Static_assert(offsetof(struct __sk_buff, ifindex) == 40, "__sk_buff.ifindex");
_Static_assert(offsetof(struct __sk_buff, ingress_ifindex) == 36, "__sk_buff.ingress_ifindex");
_Static_assert(sizeof(struct __sk_buff) == 192, "__sk_buff");
