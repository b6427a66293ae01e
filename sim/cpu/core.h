/* One hardware core: its cycle clock, CR3, dTLB, page walker, and the
 * instructions the guest kernel uses on it (MOV to CR3, INVLPG).
 *
 * An access is: dTLB lookup; on a miss a walk through memory that fills the
 * dTLB; then the data access through the memory port. A translation that
 * fails returns the #PF error code and the kernel is entered by the run loop
 * (a trap): nothing here calls the kernel. A TLB hit with insufficient rights
 * drops the entry and faults without a walk (SDM 4.10.4.1: a #PF invalidates
 * the address's TLB entries), so a kernel that upgraded rights without a
 * flush sees a spurious fault, as on hardware. A store through an entry
 * cached with D=0 walks again to set D (SDM 4.8). */
#ifndef MMSIM_CORE_H
#define MMSIM_CORE_H

#include "lib/types.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/walk.h"
#include "sim/tlb/tlb.h"

struct mmsim_cfg;
struct stats;

struct core {
	/* hot */
	cycles_t clock;
	uint64_t cr3;           /* PML4 physical address (PCIDs: issue tlb-mmu) */
	uint16_t pcid;
	uint32_t access_cost;   /* cpu.access */
	struct tlb *dtlb;
	struct memsys *ms;
	struct walker walker;

	/* counters ("coreN.*") */
	uint64_t loads, stores;
	uint64_t page_faults;   /* #PF raised */
	uint64_t dirty_rewalks; /* stores that walked again to set D */
	uint64_t cr3_loads, invlpgs;
	uint64_t compute_cycles;

	/* cold */
	unsigned id;
	uint32_t cr3_cost, invlpg_cost;
};

struct core *core_create(const struct mmsim_cfg *cfg, unsigned id, struct memsys *ms,
			 struct stats *st);
void core_destroy(struct core *c);

/* Translate a user-mode data access to va (access: PF_W for stores, PF_U
 * always for user code). Charges the TLB and any walk to the clock. Returns 0
 * with *pa set, or the #PF error code (the fault address is va). */
static inline uint32_t core_translate(struct core *c, vaddr_t va, uint32_t access,
				      paddr_t *pa)
{
	uint64_t vpn = va >> PAGE_SHIFT;
	c->clock += c->dtlb->latency;
	struct tlb_entry *e = tlb_lookup(c->dtlb, vpn, c->pcid);
	if (e) {
		bool denied = ((access & PF_W) && !(e->flags & TLBE_RW)) ||
			      ((access & PF_U) && !(e->flags & TLBE_US));
		if (!denied && (!(access & PF_W) || (e->flags & TLBE_DIRTY))) {
			*pa = (e->pfn << PAGE_SHIFT) | (va & ~PAGE_MASK);
			return 0;
		}
		e->flags = 0;          /* dropped: fault, or re-walk to set D */
		if (denied) {
			c->page_faults++;
			return access | PF_P;
		}
		c->dirty_rewalks++;
	}
	struct walk_result r;
	walk(&c->walker, c->cr3, va, access, &r);
	c->clock += r.cycles;
	if (r.fault) {
		c->page_faults++;
		return r.fault;
	}
	/* 2M/1G leaves are cached as their 4K piece until per-size TLBs land. */
	tlb_fill(c->dtlb, vpn, r.pa >> PAGE_SHIFT, c->pcid, r.rights);
	*pa = r.pa;
	return 0;
}

/* The data side of an access at a translated address (timing only). */
static inline void core_data(struct core *c, paddr_t pa, bool write)
{
	c->clock += c->access_cost +
		    memsys_access(c->ms, c->id, pa, write ? MEM_STORE : MEM_LOAD);
	if (write)
		c->stores++;
	else
		c->loads++;
}

/* MOV to CR3 without PCIDs: loads the new PML4 and flushes every
 * non-global TLB entry. */
void core_load_cr3(struct core *c, uint64_t cr3);
/* INVLPG va. */
void core_invlpg(struct core *c, vaddr_t va);
/* A full non-global flush as a CR3 reload does it (Linux's flush_tlb_local). */
void core_flush_tlb(struct core *c);

#endif
