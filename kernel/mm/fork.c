/* fork()'s half of the memory manager: dup_mmap() and copy_page_range()
 * (kernel/fork.c, mm/memory.c).
 *
 * The child gets a copy of every VMA (each with a new anon_vma whose parent
 * is the parent VMA's, anon_vma_fork()) and a copy of the page tables: the
 * tables are new frames, the leaves point at the same pages. Every anonymous
 * page gains a mapping and a reference (page_dup_anon_rmap(), get_page()); a
 * writable PTE of a private mapping is write-protected in both parent and
 * child (copy_present_pte()), so the first write of either side takes a COW
 * fault. The child's PTEs start old (no A bit), as pte_mkold() makes them.
 * The zero page is copied as is, uncounted. A page pinned for DMA is
 * copied for the child at once instead (copy_present_page()). Since the
 * parent's PTEs lost
 * their write right, the parent's TLB entries for them are flushed, with
 * IPIs to the other cores running the parent (Linux flushes the whole mm at
 * the end of dup_mmap(); here the span write-protected goes through
 * flush_tlb_mm_range(), which turns large spans into full flushes).
 *
 * Every table read and write is a timed access on the forking core. */
#include "kernel/mm/kmm.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/mm/rmap.h"
#include "kernel/mm/hugetlb.h"
#include "kernel/mm/filemap.h"
#include "kernel/mm/swap.h"
#include "kernel/mm/vmscan.h"
#include "kernel/mm/thp.h"
#include "sim/cpu/core.h"
#include "sim/mmu/pte.h"

#define PTE_TABLE (PTE_P | PTE_RW | PTE_US | PTE_A)

struct fork_ctx {
	struct kmm *k;
	struct mm *parent, *child;
	struct core *c;
	vaddr_t wp_lo, wp_hi;   /* span of parent PTEs write-protected */
	bool oom;
};

/* copy_present_page(): a page pinned for DMA is not shared copy-on-write
 * (the parent's next write would move the parent off the frame the device
 * writes into); the child gets its own copy now and the parent keeps its
 * entry as it is (page_needs_cow_for_dma()). True with *e the child's
 * entry; false when out of memory (shared as usual, the fork fails). */
static bool copy_pinned(struct fork_ctx *f, uint64_t pfn, pte_t *e, vaddr_t va)
{
	struct kmm *k = f->k;
	struct vma *cv = vma_find(f->child, va);
	int64_t np = kmm_alloc_pages_vma(k, f->c, f->child, cv, va, GFP_HIGHUSER_MOVABLE, 0,
					 PG_anon);
	if (np < 0) {
		f->oom = true;
		return false;
	}
	kmm_copy_page(k, f->c, (uint64_t)np, pfn);
	k->memmap[np].mapcount = 1;
	page_add_new_anon_rmap(k, (uint64_t)np, cv, va);
	kmm_lru_add_new(k, cv, (uint64_t)np);
	if (++f->child->rss_anon > f->child->hiwater_rss)
		f->child->hiwater_rss = f->child->rss_anon;
	*e = (((paddr_t)np << PAGE_SHIFT) | (*e & ~PTE_ADDR_MASK)) & ~PTE_A;
	return true;
}

/* copy_pte_range() for one leaf: returns the child's entry. */
static pte_t copy_leaf(struct fork_ctx *f, paddr_t pslot, pte_t e, vaddr_t va)
{
	struct kmm *k = f->k;
	uint64_t pfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
	if (k->zero_pfn && pfn == k->zero_pfn)
		return e & ~PTE_A;
	struct page *p = &k->memmap[pfn];
	if ((p->flags & PG_STATE_MASK) == PG_file) {
		/* a page-cache page of a private file mapping (read-only):
		 * one more mapping and reference (the cache holds its own) */
		p->mapcount++;
		p->refcount++;
		if (++f->child->rss_file + f->child->rss_anon > f->child->hiwater_rss)
			f->child->hiwater_rss = f->child->rss_file + f->child->rss_anon;
		return e & ~PTE_A;
	}
	assert(p->flags & PG_anon);
	if (page_dma_pins(p) && copy_pinned(f, pfn, &e, va))
		return e;
	/* the allocation's reference became the first mapping's: a second
	 * mapping takes its own reference (rmap.h: refcount == mapcount) */
	if (p->mapcount++ >= 1)
		p->refcount++;
	if (++f->child->rss_anon > f->child->hiwater_rss)
		f->child->hiwater_rss = f->child->rss_anon;
	if (e & PTE_RW) {
		e &= ~PTE_RW;
		kmm_write_pte(k, f->c, pslot, e);
		if (f->wp_lo >= f->wp_hi)
			f->wp_lo = va, f->wp_hi = va + PAGE_SIZE;
		if (va < f->wp_lo)
			f->wp_lo = va;
		if (va + PAGE_SIZE > f->wp_hi)
			f->wp_hi = va + PAGE_SIZE;
	}
	return e & ~PTE_A;
}

/* copy_huge_pmd() for a 2M leaf: one more mapping of the compound page,
 * write-protected on both sides. */
static pte_t copy_huge(struct fork_ctx *f, paddr_t pslot, pte_t e, vaddr_t va)
{
	struct kmm *k = f->k;
	struct page *h = &k->memmap[(e & PTE_ADDR_MASK) >> PAGE_SHIFT];
	assert((h->flags & PG_head) && h->mapcount > 0);
	if (h->mapcount++ >= 1)
		h->refcount++;
	f->child->rss_anon += 512;
	if (f->child->rss_anon > f->child->hiwater_rss)
		f->child->hiwater_rss = f->child->rss_anon;
	if (e & PTE_RW) {
		e &= ~PTE_RW;
		kmm_write_pte(k, f->c, pslot, e);
		vaddr_t end = va + (512ull << PAGE_SHIFT);
		if (f->wp_lo >= f->wp_hi)
			f->wp_lo = va, f->wp_hi = end;
		if (va < f->wp_lo)
			f->wp_lo = va;
		if (end > f->wp_hi)
			f->wp_hi = end;
	}
	return e & ~PTE_A;
}

/* Copy the entries of parent table pt (at level, mapping VA from base)
 * that intersect [start, end) into child table ct. */
static void copy_table(struct fork_ctx *f, paddr_t pt, paddr_t ct, int level, vaddr_t base,
		       vaddr_t start, vaddr_t end)
{
	struct kmm *k = f->k;
	uint64_t size = pt_level_size(level);
	for (unsigned i = pt_index(start, level); i < PT_ENTRIES && !f->oom; i++) {
		vaddr_t lo = base + i * size;
		if (lo >= end)
			break;
		pte_t e = kmm_read_pte(k, f->c, pt + 8 * i);
		paddr_t cslot = ct + 8 * i;
		if (level == 1 && is_swap_pte(e)) {
			/* copy_nonpresent_pte(): both name the slot */
			swap_pte_dup(k, f->child, e);
			kmm_write_pte(k, f->c, cslot, e);
			k->memmap[ct >> PAGE_SHIFT].pt_used++;
			continue;
		}
		if (!(e & PTE_P))
			continue;
		if (level == 1) {
			kmm_write_pte(k, f->c, cslot, copy_leaf(f, pt + 8 * i, e, lo));
			k->memmap[ct >> PAGE_SHIFT].pt_used++;
			continue;
		}
		if ((e & PTE_PS) && pfn_is_hugetlb(k, (e & PTE_ADDR_MASK) >> PAGE_SHIFT)) {
			/* copy_hugetlb_page_range(): shared, write-protected */
			bool wp;
			pte_t ce = hugetlb_copy_leaf(k, f->child, e, &wp);
			if (wp) {
				kmm_write_pte(k, f->c, pt + 8 * i, e & ~PTE_RW);
				if (f->wp_lo >= f->wp_hi)
					f->wp_lo = lo, f->wp_hi = lo + size;
				if (lo < f->wp_lo)
					f->wp_lo = lo;
				if (lo + size > f->wp_hi)
					f->wp_hi = lo + size;
			}
			kmm_write_pte(k, f->c, cslot, ce);
			k->memmap[ct >> PAGE_SHIFT].pt_used++;
			continue;
		}
		if ((e & PTE_PS) && pfn_is_huge_zero(k, (e & PTE_ADDR_MASK) >> PAGE_SHIFT)) {
			/* copy_huge_pmd() of the huge zero page: one more user */
			k->huge_zero_refs++;
			kmm_write_pte(k, f->c, cslot, e & ~PTE_A);
			k->memmap[ct >> PAGE_SHIFT].pt_used++;
			continue;
		}
		if (e & PTE_PS) {
			/* copy_huge_pmd(): the child maps the same huge page */
			assert(level == 2);
			kmm_write_pte(k, f->c, cslot, copy_huge(f, pt + 8 * i, e, lo));
			k->memmap[ct >> PAGE_SHIFT].pt_used++;
			continue;
		}
		pte_t ce = kmm_read_pte(k, f->c, cslot);
		if (!(ce & PTE_P)) {
			int64_t pfn = kmm_alloc_page(k, f->c, PG_pgtable);
			if (pfn < 0) {
				f->oom = true;
				return;
			}
			k->pt_alloc++;
			f->child->pt_pages++;
			ce = ((paddr_t)pfn << PAGE_SHIFT) | PTE_TABLE;
			kmm_write_pte(k, f->c, cslot, ce);
			k->memmap[ct >> PAGE_SHIFT].pt_used++;
		}
		copy_table(f, e & PTE_ADDR_MASK, ce & PTE_ADDR_MASK, level - 1, lo,
			   start > lo ? start : lo, end < lo + size ? end : lo + size);
	}
}

struct mm *kmm_fork(struct kmm *k, struct mm *parent, struct core *c)
{
	struct mm *child = mm_create(k, c);
	if (!child)
		return NULL;
	k->fork_calls++;
	child->mmap_base = parent->mmap_base;
	child->task_size = parent->task_size;
	child->start_code = parent->start_code;
	child->end_code = parent->end_code;
	child->start_data = parent->start_data;
	child->end_data = parent->end_data;
	child->start_brk = parent->start_brk;
	child->brk = parent->brk;
	child->start_stack = parent->start_stack;
	child->hiwater_vm = mm_total_vm(parent);
	if (parent->nvma) {
		child->vma = malloc(parent->nvma * sizeof(*child->vma));
		if (!child->vma)
			abort();
		memcpy(child->vma, parent->vma, parent->nvma * sizeof(*child->vma));
		child->nvma = child->cap = parent->nvma;
	}
	struct fork_ctx f = { .k = k, .parent = parent, .child = child, .c = c };
	for (uint32_t i = 0; i < child->nvma && !f.oom; i++) {
		/* reset_vma_resv_huge_pages(): the parent keeps the reservations */
		child->vma[i].flags &= ~VM_HUGETLB_RESV;
		struct vma *cv = &child->vma[i];
		if (cv->file)
			filemap_link_mm(k, child, cv->file);
		/* vma_needs_copy(): a file mapping without anonymous pages is
		 * left to fault in the child */
		if (cv->file && ((cv->flags & VM_SHARED) || !cv->anon_vma))
			continue;
		anon_vma_fork(k, child, &child->vma[i]);
		copy_table(&f, parent->pgd, child->pgd, k->levels, 0, child->vma[i].start,
			   child->vma[i].end);
	}
	if (f.wp_lo < f.wp_hi)
		flush_tlb_mm_range(k, parent, c, f.wp_lo, f.wp_hi, FLUSH_FORK);
	if (f.oom) {
		mm_destroy(k, child, c);
		return NULL;
	}
	return child;
}
