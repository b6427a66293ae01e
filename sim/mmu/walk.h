/* The CR3-driven page walker (Intel SDM Vol. 3A, 4.5), 4-level or, with
 * LA57, 5-level, with paging-structure caches (SDM 4.10.3).
 *
 * What: walk() reads the paging entries from simulated physical memory from
 * the root down, stops at the first non-present entry or at a leaf (PS=1 in a
 * PDPTE/PDE, or the PTE), checks reserved bits at each level and then the
 * combined rights, sets A in every entry used and D in the leaf of a write,
 * and returns the translation or a #PF error code. The leaf's A and D are set
 * in one locked update; each locked update costs mmu.ad_update plus a memory
 * access.
 * When: before reading, the walker looks the address up in its
 * paging-structure caches, longest reach first (PDE cache: the PT's address;
 * PDPTE cache: the PD's; PML4E cache: the PDPT's; PML5E cache: the PML4's); a
 * hit skips the levels above. A walk that completes fills the caches with the
 * upper-level entries it read. Every entry read goes through memsys.
 * Simplified: A bits are set only when the whole translation succeeds (a
 * faulting walk writes nothing); the PSCs are filled only by successful
 * walks; CR0.WP=1 and EFER.NXE=1 always; no protection keys; RFLAGS.AC is
 * clear (SMAP applies to every supervisor data access). */
#ifndef MMSIM_WALK_H
#define MMSIM_WALK_H

#include "lib/types.h"
#include "sim/mmu/pte.h"

struct memsys;
struct physmem;
struct tlb;
struct mmsim_cfg;

struct walker {
	struct memsys *ms;
	unsigned core;          /* whose memory port the references use */
	const cycles_t *clock;  /* that core's clock (the walk starts there), or NULL */
	int levels;             /* 4, or 5 with LA57 */
	bool smep, smap;
	uint32_t ad_update;     /* extra cycles per locked A/D write */
	uint32_t pwc_latency;   /* cycles of the PSC lookup (longest of them) */
	uint64_t rsvd_addr;     /* address bits MAXPHYADDR..51: reserved */
	struct tlb *pwc[PT_MAX_LEVELS + 1]; /* pwc[L]: cache of level-L entries
	                                     * (L = 2..5), NULL if absent */

	/* counters ("coreN.walk.*", "coreN.pwc.*") */
	uint64_t walks, cycles, refs, ad_writes, faults;
	uint64_t pwc_hit[PT_MAX_LEVELS + 1], pwc_miss[PT_MAX_LEVELS + 1];
	uint64_t hist[WALK_HIST_BUCKETS]; /* walks by cycles: bucket i holds
	                                   * [2^(i+6), 2^(i+7)), first and last
	                                   * open-ended */
	/* The most recent walk, kept only while `remember` is on (an observer
	 * such as gui/ is attached): va and CR3, the first level read (below
	 * any PSC hit) and the level it stopped at (leaf or fault). */
	bool remember;
	struct walk_last {
		vaddr_t va;
		uint64_t cr3;
		int8_t top, level;
		bool faulted;
		uint64_t seq;       /* walks at the time: changes with every walk */
	} last;
};

struct walk_result {
	bool faulted;           /* the walk raised #PF (fault holds the code) */
	uint32_t fault;         /* the #PF error code (PF_*; 0 is a valid code:
	                         * supervisor read of a not-present page) */
	paddr_t pa;             /* translated address (valid if !faulted) */
	unsigned shift;         /* page size of the leaf: 12, 21 or 30 */
	uint8_t rights;         /* TLBE_RW/US/NX/DIRTY/GLOBAL of the leaf's path */
	cycles_t cycles;        /* time the walk took */
};

void walker_init(struct walker *w, const struct mmsim_cfg *cfg, struct memsys *ms,
		 unsigned core);
void walker_fini(struct walker *w);

/* Translate va for an access of kind `access` (PF_W, PF_U, PF_I bits, as the
 * error code would carry them) with CR3 = cr3, tagging PSC use with pcid. */
void walk(struct walker *w, uint64_t cr3, uint16_t pcid, vaddr_t va, uint32_t access,
	  struct walk_result *r);

/* Drop PSC entries: INVLPG and INVPCID drop all of a PCID's (SDM 4.10.4.1:
 * INVLPG invalidates all paging-structure-cache entries for the current
 * PCID); a CR3 load that flushes drops the loaded PCID's; all: every one. */
void walker_flush_pcid(struct walker *w, uint16_t pcid);
void walker_flush_all(struct walker *w);

/* Untimed, side-effect-free translation with the same checks as walk() (for
 * checkers and tools): true with the address and rights (TLBE_*) if cr3 maps
 * va with no reserved bit set on the way, false otherwise. */
bool walk_probe(const struct walker *w, const struct physmem *pm, uint64_t cr3,
		vaddr_t va, paddr_t *pa, uint8_t *rights);

#endif
