/* One hardware core: its cycle clock, CR3, TLB hierarchy, page walker, and
 * the instructions the guest kernel uses on it (MOV to CR3, INVLPG, INVPCID).
 *
 * Translation of an access: the L1 TLB of its side (dTLB for loads and
 * stores, iTLB for fetches) is probed for every page size it has (in
 * parallel: one L1 latency); on a miss the STLB (its latency added); on a
 * miss there too, a walk, whose result fills the STLB (if it holds that page
 * size) and the L1. An STLB hit fills the L1. With tlb.inclusive, an entry
 * the STLB evicts is dropped from the L1s too.
 *
 * A translation that fails returns the #PF error code and the kernel is
 * entered by the run loop (a trap): nothing here calls the kernel. A TLB hit
 * with insufficient rights drops the entry and faults without a walk (SDM
 * 4.10.4.1: a #PF invalidates the address's entries), so a kernel that
 * upgraded rights without a flush sees a spurious fault, as on hardware. A
 * store through an entry cached with D=0 walks again to set D (SDM 4.8). */
#ifndef MMSIM_CORE_H
#define MMSIM_CORE_H

#include "lib/types.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/walk.h"
#include "sim/tlb/tlb.h"

struct mmsim_cfg;
struct stats;

enum page_size { PS_4K, PS_2M, PS_1G, PS_SIZES };
enum tlb_side { SIDE_D, SIDE_I };

#define CR3_NOFLUSH (1ull << 63)   /* MOV to CR3 with PCIDs: keep the PCID's entries */
#define CR3_PCID_MASK 0xfffull

struct core {
	/* hot */
	cycles_t clock;
	uint64_t cr3;           /* PML4 (PML5) address | PCID when PCIDs are on */
	uint16_t pcid;          /* CR3[11:0] with PCIDs, else 0 */
	uint32_t access_cost;   /* cpu.access */
	struct tlb *l1[2][PS_SIZES]; /* [side][size]; NULL where absent */
	uint32_t l1_latency[2]; /* the slowest L1 array of each side */
	struct memsys *ms;

	/* second level */
	struct tlb *stlb, *stlb1g;
	bool stlb_has[PS_SIZES];/* which page sizes the STLB (or STLB1G) holds */
	bool inclusive;
	bool pcide;
	struct walker walker;

	/* counters ("coreN.*") */
	uint64_t loads, stores, fetches;
	uint64_t l1_hit[2], l1_miss[2];        /* by side */
	uint64_t l1_miss_size[2][PS_SIZES];    /* misses resolved as this size */
	uint64_t stlb_hit[PS_SIZES], stlb_miss;
	uint64_t page_faults;   /* #PF raised */
	uint64_t dirty_rewalks; /* stores that walked again to set D */
	uint64_t cr3_loads, cr3_noflush, invlpgs, invpcids;
	uint64_t compute_cycles;
	uint64_t idle_cycles;   /* waiting with every thread asleep */

	/* cold */
	unsigned id;
	uint32_t cr3_cost, invlpg_cost, invpcid_cost;
};

struct core *core_create(const struct mmsim_cfg *cfg, unsigned id, struct memsys *ms,
			 struct stats *st);
void core_destroy(struct core *c);

/* The rest of a translation after the L1 probe: `hit` is the L1 entry found
 * in `t` that could not serve the access (rights, or D clear), or NULL after
 * an L1 miss. Returns 0 or PF_RAISED | the error code. */
uint32_t core_translate_slow(struct core *c, vaddr_t va, uint32_t access, paddr_t *pa,
			     struct tlb *t, struct tlb_entry *hit);

/* May a cached entry serve this access as it is (rights, SMEP/SMAP for
 * supervisor accesses to user pages, and D for stores)? */
static inline bool tlb_entry_serves(const struct core *c, const struct tlb_entry *e,
				    uint32_t access)
{
	uint8_t f = e->flags;
	if ((access & PF_W) && (f & (TLBE_RW | TLBE_DIRTY)) != (TLBE_RW | TLBE_DIRTY))
		return false;
	if ((access & PF_I) && (f & TLBE_NX))
		return false;
	if (access & PF_U)
		return f & TLBE_US;
	if (f & TLBE_US)             /* supervisor access to a user page */
		return !((access & PF_I) ? c->walker.smep : c->walker.smap);
	return true;
}

/* Translate an access to va (access: PF_U for user code, PF_W for stores,
 * PF_I for fetches). Charges the TLBs and any walk to the clock. Returns 0
 * with *pa set, or PF_RAISED | the #PF error code (the fault address is va). */
static inline uint32_t core_translate(struct core *c, vaddr_t va, uint32_t access,
				      paddr_t *pa)
{
	int side = (access & PF_I) ? SIDE_I : SIDE_D;
	struct tlb *const *l1 = c->l1[side];
	c->clock += c->l1_latency[side];
	for (int s = PS_4K; s < PS_SIZES; s++) {
		struct tlb *t = l1[s];
		struct tlb_entry *e;
		if (!t || !t->nvalid || !(e = tlb_lookup(t, va >> t->shift, c->pcid)))
			continue;
		if (!tlb_entry_serves(c, e, access))
			return core_translate_slow(c, va, access, pa, t, e);
		c->l1_hit[side]++;
		*pa = (e->pfn << PAGE_SHIFT) | (va & ((1ull << t->shift) - 1));
		return 0;
	}
	return core_translate_slow(c, va, access, pa, NULL, NULL);
}

/* The data side of an access at a translated address (timing only). */
static inline void core_data(struct core *c, paddr_t pa, uint32_t access)
{
	enum mem_kind k = (access & PF_I) ? MEM_IFETCH : (access & PF_W) ? MEM_STORE : MEM_LOAD;
	c->clock += c->access_cost + memsys_access(c->ms, c->id, pa, k, k == MEM_STORE, c->clock);
	if (k == MEM_STORE)
		c->stores++;
	else if (k == MEM_LOAD)
		c->loads++;
	else
		c->fetches++;
}

/* MOV to CR3. With PCIDs, bits 11:0 are the PCID and bit 63 (CR3_NOFLUSH)
 * keeps that PCID's entries; without it the PCID's non-global entries (and
 * its PSC entries) are dropped. Without PCIDs every non-global entry is. */
void core_load_cr3(struct core *c, uint64_t cr3);
/* INVLPG va: the current PCID's entries for va, global ones too, and every
 * PSC entry of the current PCID. */
void core_invlpg(struct core *c, vaddr_t va);
/* INVPCID (SDM Vol. 2A): type 0 one address of one PCID (not globals),
 * 1 one PCID's non-global entries, 2 everything incl. globals,
 * 3 everything except globals. */
void core_invpcid(struct core *c, int type, uint16_t pcid, vaddr_t va);
/* A full flush of the current context as a CR3 reload without NOFLUSH. */
void core_flush_tlb(struct core *c);
/* Call fn on every valid TLB entry of the core (for --check). */
void core_for_each_tlb_entry(struct core *c, void (*fn)(void *arg, const struct tlb *t,
			     const struct tlb_entry *e), void *arg);

#endif
