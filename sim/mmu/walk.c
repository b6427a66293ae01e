/* The page walker: see walk.h.
 *
 * Reserved bits checked (SDM 4.5.4, tables 4-15 to 4-20): address bits from
 * MAXPHYADDR to 51 of any present entry; PS in a PML5E or PML4E; in a 1G
 * PDPTE leaf bits 29:13; in a 2M PDE leaf bits 20:13 (bit 12 there is PAT).
 *
 * Rights (SDM 4.6): RW and US are ANDed over the levels, NX ORed. A user
 * access needs US; a write needs RW (CR0.WP=1, so supervisor writes too); a
 * fetch needs NX clear. With SMEP a supervisor fetch from a user page faults;
 * with SMAP a supervisor data access to a user page faults. */
#include "sim/mmu/walk.h"

#include <stdlib.h>
#include "lib/config.h"
#include "sim/mem/memsys.h"
#include "sim/tlb/tlb.h"

void walker_init(struct walker *w, const struct mmsim_cfg *cfg, struct memsys *ms,
		 unsigned core)
{
	*w = (struct walker){ .ms = ms, .core = core, .ad_update = cfg->mmu.ad_update };
	w->levels = cfg->mmu.la57 ? 5 : 4;
	w->smep = cfg->mmu.smep;
	w->smap = cfg->mmu.smap;
	w->rsvd_addr = PTE_ADDR_MASK & ~((1ull << cfg->mmu.maxphyaddr) - 1);
	const struct cfg_tlb *pwc[PT_MAX_LEVELS + 1] = {
		[2] = &cfg->mmu.pwc_pde, [3] = &cfg->mmu.pwc_pdpte,
		[4] = &cfg->mmu.pwc_pml4e, [5] = &cfg->mmu.pwc_pml5e,
	};
	for (int l = 2; l <= w->levels; l++) {
		if (!pwc[l]->entries)
			continue;
		/* a level-L entry covers the VA bits above its index's low end */
		w->pwc[l] = tlb_create1(pwc[l], PAGE_SHIFT + 9 * (l - 1), cfg->seed + core * 16 + l);
		if (pwc[l]->latency > w->pwc_latency)
			w->pwc_latency = pwc[l]->latency;
	}
}

void walker_fini(struct walker *w)
{
	for (int l = 0; l <= PT_MAX_LEVELS; l++)
		tlb_destroy(w->pwc[l]);
}

/* The cycle the walk's current reference happens at (DRAM queues by it). */
static cycles_t walk_now(const struct walker *w, const struct walk_result *r)
{
	return (w->clock ? *w->clock : 0) + r->cycles;
}

/* Rights check of a finished path (TLBE_* bits in r). */
static bool rights_deny(const struct walker *w, uint8_t r, uint32_t access)
{
	bool user_page = r & TLBE_US;
	if ((access & PF_W) && !(r & TLBE_RW))
		return true;
	if (access & PF_U)
		return !user_page || ((access & PF_I) && (r & TLBE_NX));
	if ((access & PF_I) && ((r & TLBE_NX) || (w->smep && user_page)))
		return true;
	return !(access & PF_I) && w->smap && user_page;
}

static uint8_t and_rights(uint8_t r, pte_t e)
{
	if (!(e & PTE_RW)) r &= ~TLBE_RW;
	if (!(e & PTE_US)) r &= ~TLBE_US;
	if (e & PTE_NX) r |= TLBE_NX;
	return r;
}

/* Longest-reach PSC hit: sets *table, *rights and returns the level to read
 * next, or w->levels if every cache missed. */
static int pwc_lookup(struct walker *w, uint16_t pcid, vaddr_t va, paddr_t *table,
		      uint8_t *rights)
{
	for (int l = 2; l <= w->levels; l++) {
		if (!w->pwc[l])
			continue;
		struct tlb_entry *e = tlb_lookup(w->pwc[l], va >> w->pwc[l]->shift, pcid);
		if (e) {
			w->pwc_hit[l]++;
			*table = e->pfn << PAGE_SHIFT;
			*rights = e->flags & (TLBE_RW | TLBE_US | TLBE_NX);
			return l - 1;
		}
		w->pwc_miss[l]++;
	}
	return w->levels;
}

static void record(struct walker *w, struct walk_result *r)
{
	unsigned b = 0;
	while (b + 1 < WALK_HIST_BUCKETS && r->cycles >= (128ull << b))
		b++;
	w->hist[b]++;
	w->cycles += r->cycles;
	if (r->faulted)
		w->faults++;
}

void walk(struct walker *w, uint64_t cr3, uint16_t pcid, vaddr_t va, uint32_t access,
	  struct walk_result *r)
{
	paddr_t slot[PT_MAX_LEVELS + 1];  /* address of the entry used per level */
	pte_t ent[PT_MAX_LEVELS + 1];
	uint8_t path[PT_MAX_LEVELS + 1];  /* rights after each level */
	paddr_t table = cr3 & PTE_ADDR_MASK;
	uint8_t rights = TLBE_RW | TLBE_US;

	*r = (struct walk_result){ 0 };
	w->walks++;
	r->cycles = w->pwc_latency;
	int top = pwc_lookup(w, pcid, va, &table, &rights), level;
	for (level = top; level >= 1; level--) {
		slot[level] = table + 8 * pt_index(va, level);
		r->cycles += memsys_access(w->ms, w->core, slot[level], MEM_WALK, false,
					   walk_now(w, r));
		w->refs++;
		pte_t e = ent[level] = physmem_read(&w->ms->pm, slot[level], 8);
		if (!(e & PTE_P)) {
			r->faulted = true, r->fault = access;         /* P=0 */
			goto out;
		}
		if (pte_rsvd_violation(w->rsvd_addr, e, level)) {
			r->faulted = true, r->fault = access | PF_P | PF_RSVD;
			goto out;
		}
		rights = path[level] = and_rights(rights, e);
		if (pte_is_leaf(e, level))
			break;
		table = e & PTE_ADDR_MASK;
	}
	if (rights_deny(w, rights, access)) {
		r->faulted = true, r->fault = access | PF_P;
		goto out;
	}

	/* A in every entry read, A and D in the leaf of a write (SDM 4.8). */
	for (int l = top; l > level; l--)
		if (!(ent[l] & PTE_A)) {
			physmem_write(&w->ms->pm, slot[l], 8, ent[l] | PTE_A);
			r->cycles += w->ad_update + memsys_access(w->ms, w->core, slot[l], MEM_WALK,
								  true, walk_now(w, r));
			w->ad_writes++;
		}
	pte_t want = PTE_A | ((access & PF_W) ? PTE_D : 0);
	if ((ent[level] & want) != want) {
		ent[level] |= want;
		physmem_write(&w->ms->pm, slot[level], 8, ent[level]);
		r->cycles += w->ad_update + memsys_access(w->ms, w->core, slot[level], MEM_WALK,
							  true, walk_now(w, r));
		w->ad_writes++;
	}
	for (int l = top; l > level; l--)       /* cache the upper entries read */
		if (w->pwc[l])
			tlb_fill(w->pwc[l], va >> w->pwc[l]->shift,
				 (ent[l] & PTE_ADDR_MASK) >> PAGE_SHIFT, pcid, path[l], NULL);

	r->shift = PAGE_SHIFT + 9 * (level - 1);
	r->pa = pte_leaf_addr(ent[level], level, va);
	r->rights = rights | ((ent[level] & PTE_D) ? TLBE_DIRTY : 0) |
		    ((ent[level] & PTE_G) ? TLBE_GLOBAL : 0);
out:
	record(w, r);
	if (w->remember)
		w->last = (struct walk_last){ va, cr3, (int8_t)top, (int8_t)level, r->faulted,
					      w->walks };
}

void walker_flush_pcid(struct walker *w, uint16_t pcid)
{
	for (int l = 2; l <= w->levels; l++)
		if (w->pwc[l])
			tlb_flush_pcid(w->pwc[l], pcid);
}

void walker_flush_all(struct walker *w)
{
	for (int l = 2; l <= w->levels; l++)
		if (w->pwc[l])
			tlb_flush_all(w->pwc[l]);
}

bool walk_probe(const struct walker *w, const struct physmem *pm, uint64_t cr3,
		vaddr_t va, paddr_t *pa, uint8_t *rights)
{
	paddr_t table = cr3 & PTE_ADDR_MASK;
	uint8_t r = TLBE_RW | TLBE_US;
	for (int level = w->levels; level >= 1; level--) {
		pte_t e = physmem_read(pm, table + 8 * pt_index(va, level), 8);
		if (!(e & PTE_P) || pte_rsvd_violation(w->rsvd_addr, e, level))
			return false;
		r = and_rights(r, e);
		if (pte_is_leaf(e, level)) {
			*pa = pte_leaf_addr(e, level, va);
			*rights = r | ((e & PTE_D) ? TLBE_DIRTY : 0) | ((e & PTE_G) ? TLBE_GLOBAL : 0);
			return true;
		}
		table = e & PTE_ADDR_MASK;
	}
	return false;
}
