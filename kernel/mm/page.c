/* Frame allocation for the kernel's users, and its timed memory accesses.
 *
 * Every frame handed out is zeroed by the kernel (clear_page()) with one
 * store per 64-byte line through the memory port of the core doing it, so
 * zeroing costs what the memory system says. */
#include "kernel/mm/kmm.h"

#include <assert.h>
#include "lib/config.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"

#define LINE_SIZE 64

pte_t kmm_read_pte(struct kmm *k, struct core *c, paddr_t pa)
{
	c->clock += memsys_access(k->ms, c->id, pa, MEM_KERNEL, false, c->clock);
	return physmem_read(&k->ms->pm, pa, 8);
}

void kmm_write_pte(struct kmm *k, struct core *c, paddr_t pa, pte_t v)
{
	c->clock += memsys_access(k->ms, c->id, pa, MEM_KERNEL, true, c->clock);
	physmem_write(&k->ms->pm, pa, 8, v);
}

/* clear_page(): the host frame is dropped (it reads as zeros), the time is
 * that of storing every line. */
static void clear_page(struct kmm *k, struct core *c, uint64_t pfn)
{
	paddr_t pa = pfn << PAGE_SHIFT;
	for (unsigned off = 0; off < PAGE_SIZE; off += LINE_SIZE)
		c->clock += memsys_access(k->ms, c->id, pa + off, MEM_KERNEL, true, c->clock);
	physmem_zero_frame(&k->ms->pm, pfn);
}

int64_t kmm_alloc_pages(struct kmm *k, struct core *c, int nid, gfp_t gfp, unsigned order,
			uint32_t state)
{
	(void)nid;  /* one node until issue phys-mm */
	c->clock += k->cfg->kernel.cost.page_alloc;
	if (k->fail_countdown > 0 && --k->fail_countdown == 0)
		return -1;
	int64_t pfn = buddy_alloc(&k->normal, order);
	if (pfn < 0)
		return -1;
	uint64_t n = 1ull << order;
	for (uint64_t i = 0; i < n; i++) {
		struct page *p = &k->memmap[pfn + i];
		p->flags = state;
		p->mapcount = 0;
		p->private = 0;
		p->mapping = 0;
		p->index = 0;
		if (gfp & __GFP_ZERO)
			clear_page(k, c, (uint64_t)pfn + i);
	}
	if ((gfp & __GFP_COMP) && order > 0) {
		k->memmap[pfn].flags |= PG_head;
		k->memmap[pfn].order = (uint8_t)order;
		for (uint64_t i = 1; i < n; i++) {
			k->memmap[pfn + i].flags |= PG_tail;
			k->memmap[pfn + i].private = (uint32_t)pfn;
		}
	}
	k->pgalloc += n;
	return pfn;
}

void kmm_free_pages(struct kmm *k, struct core *c, uint64_t pfn, unsigned order)
{
	struct page *p = &k->memmap[pfn];
	assert(p->refcount == 1 && p->mapcount == 0);
	c->clock += k->cfg->kernel.cost.page_free;
	uint64_t n = 1ull << order;
	for (uint64_t i = 0; i < n; i++) {
		k->memmap[pfn + i].flags = 0;
		k->memmap[pfn + i].mapping = 0;
	}
	p->refcount = 0;
	buddy_free(&k->normal, pfn, order);
	k->pgfree += n;
}

int64_t kmm_alloc_page(struct kmm *k, struct core *c, uint32_t state)
{
	return kmm_alloc_pages(k, c, -1, GFP_KERNEL | __GFP_ZERO, 0, state);
}

void kmm_free_page(struct kmm *k, struct core *c, uint64_t pfn)
{
	kmm_free_pages(k, c, pfn, 0);
}
