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

int64_t kmm_alloc_page(struct kmm *k, struct core *c, uint32_t state)
{
	c->clock += k->cfg->kernel.cost.page_alloc;
	if (k->fail_countdown > 0 && --k->fail_countdown == 0)
		return -1;
	int64_t pfn = buddy_alloc(&k->normal, 0);
	if (pfn < 0)
		return -1;
	struct page *p = &k->memmap[pfn];
	p->flags = state;
	p->mapcount = 0;
	p->pt_used = 0;
	clear_page(k, c, (uint64_t)pfn);
	k->pgalloc++;
	return pfn;
}

void kmm_free_page(struct kmm *k, struct core *c, uint64_t pfn)
{
	struct page *p = &k->memmap[pfn];
	assert(p->refcount == 1 && p->mapcount == 0);
	c->clock += k->cfg->kernel.cost.page_free;
	p->refcount = 0;
	p->flags = 0;
	buddy_free(&k->normal, pfn, 0);
	k->pgfree++;
}
