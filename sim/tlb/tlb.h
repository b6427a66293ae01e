/* One set-associative translation structure: an L1 iTLB/dTLB array for one
 * page size, the STLB, or a paging-structure cache of the walker (the same
 * shape: a tag, a frame number, rights, a PCID).
 *
 * Index = VPN mod sets (a mask when sets is a power of two), where VPN is the
 * address shifted by the page shift. A structure holds one page size, or
 * several (a unified STLB): each entry records its shift, a lookup names the
 * shift it probes, and invalidation by address probes every size held. Replacement per structure:
 * LRU (per-entry use stamps), tree pseudo-LRU (ways-1 bits per set), random
 * (a seeded generator of the structure's own) or FIFO (fill stamps).
 * Entries are tagged with the PCID; global entries match any PCID. An entry
 * holds the combined rights of its walk (RW and US ANDed over the levels, NX
 * ORed) and the leaf's dirty bit. */
#ifndef MMSIM_TLB_H
#define MMSIM_TLB_H

#include "lib/config.h"
#include "lib/rng.h"
#include "lib/types.h"

#define TLBE_VALID  0x01
#define TLBE_RW     0x02
#define TLBE_US     0x04
#define TLBE_NX     0x08
#define TLBE_DIRTY  0x10   /* leaf D was set when cached: stores may use it */
#define TLBE_GLOBAL 0x20

struct tlb_entry {
	uint64_t vpn;       /* valid only with TLBE_VALID */
	uint64_t pfn;       /* 4K frame number of the page (or table) start */
	uint64_t stamp;     /* LRU: last use; FIFO: fill time */
	uint16_t pcid;
	uint8_t flags;      /* TLBE_* */
	uint8_t shift;      /* page shift of this entry: VPN = address >> shift */
	uint8_t pad[4];
};
_Static_assert(sizeof(struct tlb_entry) == 32, "two entries per cache line");

struct tlb {
	/* hot: what a lookup needs */
	struct tlb_entry *e;    /* sets * ways, set-major */
	uint32_t sets, ways;
	uint64_t set_mask;      /* sets - 1 when sets is a power of two */
	bool pow2;
	uint8_t policy;         /* enum repl_policy */
	uint8_t shift;          /* the (smallest) page shift it holds */
	uint8_t nshifts;        /* page sizes held, shifts[] */
	uint8_t shifts[3];
	uint64_t tick;          /* stamp clock */
	uint64_t *plru;         /* per set: the tree bits (REPL_PLRU) */
	uint32_t latency;
	uint32_t nvalid;        /* valid entries now */
	struct rng rng;         /* REPL_RANDOM victims */

	/* counters */
	uint64_t hits, fills, evictions, invalidations, flushes;
	/* valid entries by page shift: a probe of a size the structure holds
	 * no entry of is skipped (a unified STLB probed for 2M pages when it
	 * holds only 4K ones) */
	uint32_t nvalid_shift[64];
};

/* A structure for cfg (entries > 0) holding pages of 1 << shifts[i] bytes
 * (nshifts of them, ascending, at most 3). */
struct tlb *tlb_create(const struct cfg_tlb *cfg, const uint8_t *shifts, unsigned nshifts,
		       uint64_t seed);
/* The common case: one page size. */
struct tlb *tlb_create1(const struct cfg_tlb *cfg, unsigned shift, uint64_t seed);
void tlb_destroy(struct tlb *t);

static inline uint64_t tlb_index(const struct tlb *t, uint64_t vpn)
{
	return t->pow2 ? (vpn & t->set_mask) : (vpn % t->sets);
}

static inline bool tlb_match(const struct tlb_entry *e, uint64_t vpn, unsigned shift,
			     uint16_t pcid)
{
	/* the VPN first: it rejects nearly every way of a probed set alone */
	return e->vpn == vpn && (e->flags & TLBE_VALID) && e->shift == shift &&
	       (e->pcid == pcid || (e->flags & TLBE_GLOBAL));
}

/* Tree-PLRU: make the path to `way` point away from it. With 4 ways the
 * bits are [root, left pair, right pair]; touching way 2 (binary 10) sets
 * root=0 (go left next time) and right-pair bit=1 (prefer way 3). */
static inline void tlb_plru_touch(struct tlb *t, uint64_t set, uint32_t way)
{
	uint64_t bits = t->plru[set];
	uint32_t node = 0;
	for (uint32_t span = t->ways >> 1; span; span >>= 1) {
		uint32_t right = (way & span) != 0;
		bits = right ? bits & ~(1ull << node) : bits | (1ull << node);
		node = 2 * node + 1 + right;
	}
	t->plru[set] = bits;
}

static inline void tlb_touch(struct tlb *t, uint64_t set, uint32_t way, struct tlb_entry *e)
{
	if (t->policy == REPL_LRU)
		e->stamp = ++t->tick;
	else if (t->policy == REPL_PLRU)
		tlb_plru_touch(t, set, way);
}

/* Look the page of size 1 << shift with number vpn up for pcid; on a hit
 * update the replacement state. */
static inline struct tlb_entry *tlb_lookup_at(struct tlb *t, uint64_t vpn, unsigned shift,
					      uint16_t pcid)
{
	uint64_t set = tlb_index(t, vpn);
	struct tlb_entry *s = t->e + set * t->ways;
	for (uint32_t w = 0; w < t->ways; w++) {
		if (tlb_match(&s[w], vpn, shift, pcid)) {
			tlb_touch(t, set, w, &s[w]);
			t->hits++;
			return &s[w];
		}
	}
	return NULL;
}

/* Lookup in a one-size structure. */
static inline struct tlb_entry *tlb_lookup(struct tlb *t, uint64_t vpn, uint16_t pcid)
{
	return tlb_lookup_at(t, vpn, t->shift, pcid);
}

/* Insert (or refresh in place) a translation of a page of size 1 << shift.
 * A valid entry pushed out is copied to *evicted (if given) and true is
 * returned. */
bool tlb_fill_at(struct tlb *t, uint64_t vpn, unsigned shift, uint64_t pfn, uint16_t pcid,
		 uint8_t flags, struct tlb_entry *evicted);
static inline bool tlb_fill(struct tlb *t, uint64_t vpn, uint64_t pfn, uint16_t pcid,
			    uint8_t flags, struct tlb_entry *evicted)
{
	return tlb_fill_at(t, vpn, t->shift, pfn, pcid, flags, evicted);
}

/* Drop one entry (the caller got it from tlb_lookup). */
static inline void tlb_drop(struct tlb *t, struct tlb_entry *e)
{
	if (e->flags & TLBE_VALID) {
		e->flags = 0;
		t->nvalid--;
		t->nvalid_shift[e->shift]--;
		t->invalidations++;
	}
}

/* Drop the entries of every size held that translate address va for pcid,
 * globals included (INVLPG), or pcid's non-global ones only (keep_global:
 * INVPCID type 0). */
void tlb_invlpg(struct tlb *t, uint64_t va, uint16_t pcid, bool keep_global);
/* Drop exactly the entry (vpn, shift, pcid) if present (inclusion). */
void tlb_evict_exact(struct tlb *t, uint64_t vpn, unsigned shift, uint16_t pcid);
/* Drop pcid's non-global entries (CR3 load with PCIDs, INVPCID type 1). */
void tlb_flush_pcid(struct tlb *t, uint16_t pcid);
/* Drop every non-global entry (CR3 load without PCIDs, INVPCID type 3). */
void tlb_flush_nonglobal(struct tlb *t);
/* Drop everything, globals included (INVPCID type 2, CR4.PGE toggle). */
void tlb_flush_all(struct tlb *t);
/* Entries valid now (for tests and --check). */
uint32_t tlb_occupancy(const struct tlb *t);

#endif
