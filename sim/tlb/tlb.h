/* One set-associative TLB structure (a per-core L1 dTLB now; the iTLB, the
 * per-page-size arrays and the STLB of issue tlb-mmu are more instances).
 *
 * Index = VPN mod sets (a mask when sets is a power of two); LRU replacement
 * by a per-structure access stamp. Entries are tagged with the PCID; global
 * entries match any PCID. Entries hold the combined rights of the walk
 * (RW and US ANDed over the levels, NX ORed) and the leaf's dirty bit. */
#ifndef MMSIM_TLB_H
#define MMSIM_TLB_H

#include "lib/types.h"

#define TLBE_VALID  0x01
#define TLBE_RW     0x02
#define TLBE_US     0x04
#define TLBE_NX     0x08
#define TLBE_DIRTY  0x10   /* leaf D was set when cached: stores may use it */
#define TLBE_GLOBAL 0x20

struct tlb_entry {
	uint64_t vpn;       /* valid only with TLBE_VALID */
	uint64_t pfn;
	uint64_t stamp;     /* last use, for LRU */
	uint16_t pcid;
	uint8_t flags;      /* TLBE_* */
	uint8_t pad[5];
};
_Static_assert(sizeof(struct tlb_entry) == 32, "two entries per cache line");

struct cfg_tlb;

struct tlb {
	/* hot: what a lookup needs */
	struct tlb_entry *e;    /* sets * ways, set-major */
	uint32_t sets, ways;
	uint64_t set_mask;      /* sets - 1 when sets is a power of two */
	bool pow2;
	uint64_t tick;          /* LRU clock */
	uint32_t latency;

	/* counters */
	uint64_t hits, misses, fills, evictions;
	uint64_t invlpg, flushes;
};

struct tlb *tlb_create(const struct cfg_tlb *cfg);
void tlb_destroy(struct tlb *t);

static inline uint64_t tlb_index(const struct tlb *t, uint64_t vpn)
{
	return t->pow2 ? (vpn & t->set_mask) : (vpn % t->sets);
}

static inline bool tlb_match(const struct tlb_entry *e, uint64_t vpn, uint16_t pcid)
{
	return (e->flags & TLBE_VALID) && e->vpn == vpn &&
	       (e->pcid == pcid || (e->flags & TLBE_GLOBAL));
}

/* Look vpn up for pcid; on a hit refresh LRU and return the entry. */
static inline struct tlb_entry *tlb_lookup(struct tlb *t, uint64_t vpn, uint16_t pcid)
{
	struct tlb_entry *set = t->e + tlb_index(t, vpn) * t->ways;
	for (uint32_t w = 0; w < t->ways; w++) {
		if (tlb_match(&set[w], vpn, pcid)) {
			set[w].stamp = ++t->tick;
			t->hits++;
			return &set[w];
		}
	}
	t->misses++;
	return NULL;
}

/* Insert (or refresh) a translation; evicts the LRU way of a full set. */
void tlb_fill(struct tlb *t, uint64_t vpn, uint64_t pfn, uint16_t pcid, uint8_t flags);

/* INVLPG: drop vpn's entries of this PCID and any global entry for vpn. */
void tlb_invlpg(struct tlb *t, uint64_t vpn, uint16_t pcid);
/* CR3 load without PCIDs: drop every non-global entry. */
void tlb_flush_nonglobal(struct tlb *t);
/* Drop everything, globals included (CR4.PGE toggle, INVPCID type 2). */
void tlb_flush_all(struct tlb *t);
/* Entries valid now (for tests and --check). */
uint32_t tlb_occupancy(const struct tlb *t);

#endif
