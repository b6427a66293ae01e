/* The 4-level page walker: see walk.h.
 *
 * Reserved bits checked (SDM 4.5.4, table 4-19 and following): address bits
 * from MAXPHYADDR to 51 of any present entry; PS in a PML4E; in a 1G PDPTE
 * leaf bits 29:13; in a 2M PDE leaf bits 20:13 (bit 12 of those is PAT). */
#include "sim/mmu/walk.h"

#include "sim/mem/memsys.h"
#include "sim/tlb/tlb.h"

void walker_init(struct walker *w, struct memsys *ms, unsigned core,
		 uint32_t ad_update, uint32_t maxphyaddr)
{
	*w = (struct walker){ .ms = ms, .core = core, .ad_update = ad_update };
	w->rsvd_addr = PTE_ADDR_MASK & ~((1ull << maxphyaddr) - 1);
}

static bool rsvd_violation(const struct walker *w, pte_t e, int level)
{
	if (e & w->rsvd_addr)
		return true;
	if (level == 4 && (e & PTE_PS))
		return true;
	if (level == 3 && (e & PTE_PS) && (e & 0x3fffe000ull))   /* bits 29:13 */
		return true;
	if (level == 2 && (e & PTE_PS) && (e & 0x1fe000ull))     /* bits 20:13 */
		return true;
	return false;
}

/* Set `bit` in the entry at pa with a locked read-modify-write. */
static void set_ad(struct walker *w, paddr_t pa, pte_t e, pte_t bit, struct walk_result *r)
{
	physmem_write(&w->ms->pm, pa, 8, e | bit);
	r->cycles += w->ad_update + memsys_access(w->ms, w->core, pa, MEM_WALK);
	w->ad_writes++;
}

void walk(struct walker *w, uint64_t cr3, vaddr_t va, uint32_t access,
	  struct walk_result *r)
{
	paddr_t slot[PT_LEVELS + 1];  /* address of the entry used at each level */
	pte_t ent[PT_LEVELS + 1];
	paddr_t table = cr3 & PTE_ADDR_MASK;
	bool rw = true, us = true, nx = false;
	int level;

	*r = (struct walk_result){ 0 };
	w->walks++;
	for (level = PT_LEVELS; level >= 1; level--) {
		slot[level] = table + 8 * pt_index(va, level);
		r->cycles += memsys_access(w->ms, w->core, slot[level], MEM_WALK);
		w->refs++;
		pte_t e = ent[level] = physmem_read(&w->ms->pm, slot[level], 8);
		if (!(e & PTE_P)) {
			r->fault = access;                /* P=0: not present */
			goto out;
		}
		if (rsvd_violation(w, e, level)) {
			r->fault = access | PF_P | PF_RSVD;
			goto out;
		}
		rw &= !!(e & PTE_RW);
		us &= !!(e & PTE_US);
		nx |= !!(e & PTE_NX);
		if (level == 1 || (level <= 3 && (e & PTE_PS)))
			break;                            /* leaf */
		table = e & PTE_ADDR_MASK;
	}

	/* Rights of the whole path (CR0.WP=1: supervisor writes obey RW too). */
	if (((access & PF_W) && !rw) || ((access & PF_U) && !us) ||
	    ((access & PF_I) && nx)) {
		r->fault = access | PF_P;
		goto out;
	}

	/* A in every entry used, D in the leaf of a write (SDM 4.8). */
	for (int l = PT_LEVELS; l >= level; l--)
		if (!(ent[l] & PTE_A))
			set_ad(w, slot[l], ent[l], PTE_A, r), ent[l] |= PTE_A;
	bool dirty = ent[level] & PTE_D;
	if ((access & PF_W) && !dirty) {
		set_ad(w, slot[level], ent[level], PTE_D, r);
		dirty = true;
	}

	r->shift = PAGE_SHIFT + 9 * (level - 1);
	uint64_t size_mask = (1ull << r->shift) - 1;
	r->pa = (ent[level] & PTE_ADDR_MASK & ~size_mask) | (va & size_mask);
	r->rights = (rw ? TLBE_RW : 0) | (us ? TLBE_US : 0) | (nx ? TLBE_NX : 0) |
		    (dirty ? TLBE_DIRTY : 0) | ((ent[level] & PTE_G) ? TLBE_GLOBAL : 0);
out:
	if (r->fault)
		w->faults++;
	w->cycles += r->cycles;
}

bool walk_probe(const struct physmem *pm, uint64_t cr3, vaddr_t va, paddr_t *pa,
		uint8_t *rights)
{
	paddr_t table = cr3 & PTE_ADDR_MASK;
	uint8_t r = TLBE_RW | TLBE_US;
	for (int level = PT_LEVELS; level >= 1; level--) {
		pte_t e = physmem_read(pm, table + 8 * pt_index(va, level), 8);
		if (!(e & PTE_P))
			return false;
		if (!(e & PTE_RW)) r &= ~TLBE_RW;
		if (!(e & PTE_US)) r &= ~TLBE_US;
		if (e & PTE_NX) r |= TLBE_NX;
		if (level == 1 || (level <= 3 && (e & PTE_PS))) {
			unsigned shift = PAGE_SHIFT + 9 * (level - 1);
			uint64_t mask = (1ull << shift) - 1;
			*pa = (e & PTE_ADDR_MASK & ~mask) | (va & mask);
			*rights = r | ((e & PTE_D) ? TLBE_DIRTY : 0) | ((e & PTE_G) ? TLBE_GLOBAL : 0);
			return true;
		}
		table = e & PTE_ADDR_MASK;
	}
	return false;
}
