/* vmalloc (mm/vmalloc.c): virtually contiguous kernel memory from scattered
 * order-0 frames, mapped with 4K PTEs in the kernel page tables under the
 * vmalloc area's top-level entry (shared by every address space).
 *
 * Address ranges: first fit in [VMALLOC_START, +512 GiB), each followed by
 * an unmapped guard page (VM_NO_GUARD is not modelled). vfree()/vunmap()
 * clear the PTEs at once but do not flush: the range waits on the lazy list
 * (free_vmap_area_noflush()) and is not reused until a purge
 * (purge_vmap_area_lazy()) flushes every core — one
 * flush_tlb_kernel_range() over the span of all waiting ranges — once more
 * than lazy_max_pages (32 MiB of pages times fls(nr_cpus)) wait. Like
 * Linux, vfree() gives the frames back to the buddy allocator before that
 * flush: a stale global TLB entry may still name them, which only a kernel
 * bug (a use after vfree) could exploit. */
#include "kernel/mm/slab_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "lib/config.h"
#include "sim/cpu/core.h"

bool is_vmalloc_addr(const struct kmm *k, vaddr_t va)
{
	return va >= k->kmem->vmalloc_start && va < k->kmem->vmalloc_end;
}

/* alloc_vmap_area(): first fit with a guard page after each range. Returns
 * the slot index of the new area, or -1. */
static int64_t alloc_vmap_area(struct kmm *k, uint64_t size)
{
	struct kmem *km = k->kmem;
	vaddr_t cand = km->vmalloc_start;
	uint32_t at = 0;
	for (; at < km->nva; at++) {
		if (cand + size + PAGE_SIZE <= km->va[at].start)
			break;
		cand = km->va[at].end + PAGE_SIZE;
	}
	if (cand + size + PAGE_SIZE > km->vmalloc_end)
		return -1;
	if (km->nva == km->va_cap) {
		km->va_cap = km->va_cap ? 2 * km->va_cap : 64;
		km->va = realloc(km->va, km->va_cap * sizeof(*km->va));
		if (!km->va)
			abort();
	}
	memmove(&km->va[at + 1], &km->va[at], (km->nva - at) * sizeof(*km->va));
	km->nva++;
	km->va[at] = (struct vmap_area){ .start = cand, .end = cand + size,
					 .npages = size >> PAGE_SHIFT };
	return at;
}

static void remove_area(struct kmem *km, uint32_t i)
{
	free(km->va[i].pfns);
	memmove(&km->va[i], &km->va[i + 1], (km->nva - i - 1) * sizeof(*km->va));
	km->nva--;
}

static int64_t find_area(struct kmem *km, vaddr_t addr)
{
	for (uint32_t i = 0; i < km->nva; i++)
		if (km->va[i].start == addr && !km->va[i].lazy)
			return i;
	return -1;
}

bool kmem_va_lazy(const struct kmm *k, vaddr_t va)
{
	const struct kmem *km = k->kmem;
	if (!km || !km->lazy_pages)
		return false;
	for (uint32_t i = 0; i < km->nva; i++)
		if (km->va[i].lazy && va >= km->va[i].start && va < km->va[i].end)
			return true;
	return false;
}

void vmalloc_purge(struct kmm *k, struct core *c)
{
	struct kmem *km = k->kmem;
	vaddr_t lo = 0, hi = 0;
	for (uint32_t i = 0; i < km->nva; i++) {
		if (!km->va[i].lazy)
			continue;
		if (lo >= hi)
			lo = km->va[i].start;
		hi = km->va[i].end;
	}
	if (lo >= hi)
		return;
	flush_tlb_kernel_range(k, c, lo, hi);
	km->vmap_purges++;
	km->vmap_purged_pages += km->lazy_pages;
	for (uint32_t i = km->nva; i-- > 0;)
		if (km->va[i].lazy)
			remove_area(km, i);
	km->lazy_pages = 0;
	km->vmap_lazy_now = 0;
}

/* Map the frames of area i, which has its pfns; false when a page table
 * cannot be allocated (nothing is left mapped then). */
static bool map_area(struct kmm *k, struct core *c, uint32_t i, const uint64_t *pfns)
{
	struct kmem *km = k->kmem;
	for (uint64_t p = 0; p < km->va[i].npages; p++) {
		if (!kmap_set_pte(k, c, km->va[i].start + (p << PAGE_SHIFT), pfns[p])) {
			for (uint64_t q = 0; q < p; q++)
				kmap_clear_pte(k, c, km->va[i].start + (q << PAGE_SHIFT));
			return false;
		}
	}
	return true;
}

static vaddr_t vmalloc_node(struct kmm *k, struct core *c, uint64_t size, gfp_t gfp)
{
	struct kmem *km = k->kmem;
	if (size == 0)
		return 0;
	size = (size + PAGE_SIZE - 1) & PAGE_MASK;
	c->clock += k->cfg->kernel.cost.vmalloc;
	km->vmalloc_calls++;
	int64_t i = alloc_vmap_area(k, size);
	if (i < 0 && km->lazy_pages) {
		vmalloc_purge(k, c);        /* reclaim lazily freed ranges first */
		i = alloc_vmap_area(k, size);
	}
	if (i < 0)
		return 0;
	uint64_t n = km->va[i].npages;
	uint64_t *pfns = calloc(n, sizeof(*pfns));
	if (!pfns)
		abort();
	uint64_t got = 0;
	for (; got < n; got++) {
		int64_t pfn = kmm_alloc_pages(k, c, -1, gfp, 0, PG_kernel);
		if (pfn < 0)
			break;
		pfns[got] = (uint64_t)pfn;
	}
	if (got < n || !map_area(k, c, (uint32_t)i, pfns)) {
		for (uint64_t p = 0; p < got; p++)
			kmm_free_pages(k, c, pfns[p], 0);
		free(pfns);
		remove_area(km, (uint32_t)i);
		return 0;
	}
	km->va[i].pfns = pfns;
	km->vmalloc_pages += n;
	km->vmalloc_areas++;
	return km->va[i].start;
}

vaddr_t vmalloc(struct kmm *k, struct core *c, uint64_t size)
{
	return vmalloc_node(k, c, size, GFP_KERNEL);
}

vaddr_t vzalloc(struct kmm *k, struct core *c, uint64_t size)
{
	return vmalloc_node(k, c, size, GFP_KERNEL | __GFP_ZERO);
}

vaddr_t vmap(struct kmm *k, struct core *c, const uint64_t *pfns, uint64_t npages)
{
	struct kmem *km = k->kmem;
	if (npages == 0)
		return 0;
	c->clock += k->cfg->kernel.cost.vmalloc;
	int64_t i = alloc_vmap_area(k, npages << PAGE_SHIFT);
	if (i < 0 && km->lazy_pages) {
		vmalloc_purge(k, c);
		i = alloc_vmap_area(k, npages << PAGE_SHIFT);
	}
	if (i < 0)
		return 0;
	if (!map_area(k, c, (uint32_t)i, pfns)) {
		remove_area(km, (uint32_t)i);
		return 0;
	}
	km->vmalloc_areas++;
	return km->va[i].start;
}

/* remove_vm_area() + free_vmap_area_noflush(); frees the frames of a
 * vmalloc area. */
static void unmap_lazy(struct kmm *k, struct core *c, vaddr_t addr, const char *what)
{
	struct kmem *km = k->kmem;
	int64_t i = find_area(km, addr);
	if (i < 0) {
		if (addr)
			kmem_report(k, "%s of %#llx: no such area (invalid or double %s; ignored)\n",
				    what, (unsigned long long)addr, what);
		km->invalid_free += addr != 0;
		return;
	}
	c->clock += k->cfg->kernel.cost.vfree;
	struct vmap_area *a = &km->va[i];
	for (uint64_t p = 0; p < a->npages; p++)
		kmap_clear_pte(k, c, a->start + (p << PAGE_SHIFT));
	if (a->pfns) {
		for (uint64_t p = 0; p < a->npages; p++)
			kmm_free_pages(k, c, a->pfns[p], 0);
		free(a->pfns);
		a->pfns = NULL;
		km->vmalloc_pages -= a->npages;
	}
	a->lazy = true;
	km->vmalloc_areas--;
	km->lazy_pages += a->npages;
	km->vmap_lazy_now = km->lazy_pages;
	if (km->lazy_pages > km->lazy_max_pages)
		vmalloc_purge(k, c);
}

void vfree(struct kmm *k, struct core *c, vaddr_t addr)
{
	k->kmem->vfree_calls++;
	unmap_lazy(k, c, addr, "vfree");
}

void vunmap(struct kmm *k, struct core *c, vaddr_t addr)
{
	unmap_lazy(k, c, addr, "vunmap");
}

/* kvmalloc_node(): kmalloc first (without retrying hard when more than a
 * page is asked for), vmalloc when that fails. */
vaddr_t kvmalloc(struct kmm *k, struct core *c, uint64_t size, gfp_t gfp)
{
	gfp_t kg = gfp;
	if (size > PAGE_SIZE)
		kg |= __GFP_NOWARN | __GFP_NORETRY;
	vaddr_t p = kmalloc(k, c, size, kg);
	if (p)
		return p;
	return vmalloc_node(k, c, size, gfp);
}

void kvfree(struct kmm *k, struct core *c, vaddr_t addr)
{
	if (is_vmalloc_addr(k, addr))
		vfree(k, c, addr);
	else
		kfree(k, c, addr);
}

void vmalloc_fini(struct kmm *k)
{
	struct kmem *km = k->kmem;
	for (uint32_t i = 0; i < km->nva; i++)
		free(km->va[i].pfns);
	free(km->va);
}
