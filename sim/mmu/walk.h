/* The CR3-driven 4-level page walker (Intel SDM Vol. 3A, 4.5).
 *
 * What: walk() reads PML4E, PDPTE, PDE and PTE from simulated physical memory,
 * stops at the first non-present entry or at a leaf (PS=1 in a PDPTE/PDE, or
 * the PTE), checks reserved bits at each level and then the combined rights,
 * sets A in every entry it used and D in the leaf of a write (locked updates
 * in memory), and returns either the translation or a #PF error code.
 * When: every entry read and every A/D update goes through memsys (the
 * hardware's memory port) and is charged; the walk's cycles are returned.
 * Simplified (issue tlb-mmu): no paging-structure caches yet, no LA57,
 * CR0.WP=1 and EFER.NXE=1 always, no SMEP/SMAP, no protection keys. */
#ifndef MMSIM_WALK_H
#define MMSIM_WALK_H

#include "lib/types.h"
#include "sim/mmu/pte.h"

struct memsys;

struct walker {
	struct memsys *ms;
	unsigned core;          /* whose memory port the references use */
	uint32_t ad_update;     /* extra cycles per locked A/D write */
	uint64_t rsvd_addr;     /* address bits MAXPHYADDR..51: reserved */

	/* counters ("coreN.walk.*") */
	uint64_t walks, cycles, refs, ad_writes, faults;
};

struct walk_result {
	paddr_t pa;             /* translated address (valid if fault == 0) */
	unsigned shift;         /* page size of the leaf: 12, 21 or 30 */
	uint8_t rights;         /* TLBE_RW/US/NX/DIRTY/GLOBAL of the leaf's path */
	uint32_t fault;         /* 0, or the #PF error code (PF_*) */
	cycles_t cycles;        /* time the walk took */
};

void walker_init(struct walker *w, struct memsys *ms, unsigned core,
		 uint32_t ad_update, uint32_t maxphyaddr);

/* Translate va for an access of kind `access` (PF_W, PF_U, PF_I bits, as the
 * error code would carry them) with CR3 = cr3. */
void walk(struct walker *w, uint64_t cr3, vaddr_t va, uint32_t access,
	  struct walk_result *r);



struct physmem;
/* Untimed, side-effect-free translation for checkers and tools: true with the
 * address and rights (TLBE_*) if cr3 maps va, false otherwise. */
bool walk_probe(const struct physmem *pm, uint64_t cr3, vaddr_t va, paddr_t *pa,
		uint8_t *rights);
#endif
