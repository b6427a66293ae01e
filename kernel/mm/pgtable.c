/* The guest kernel's page-table code: real x86-64 tables in simulated memory
 * (DESIGN.md contract 1), built and torn down with timed PTE reads and writes.
 *
 * Upper-level entries pointing at a table are P|RW|US|A, as Linux's
 * _PAGE_TABLE: rights are decided at the leaf. Each table page counts its
 * entries in use (present, or a swap entry) in struct page.pt_used, so a
 * table left empty by an unmap
 * is freed at once (Linux's free_pgtables() frees by floor/ceiling of the
 * neighbouring VMAs instead; freeing empty tables gives the same result
 * except that a table is not kept for a VMA that still covers its range but
 * has nothing mapped there). Freed frames wait in the gather list until the
 * TLB flush, as mmu_gather does. */
#include "kernel/mm/kmm.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include "kernel/mm/swap.h"
#include "kernel/mm/thp.h"
#include "kernel/mm/hugetlb.h"
#include "kernel/mm/filemap.h"
#include "kernel/mm/vmscan.h"
#include "sim/mmu/pte.h"

#define PTE_TABLE (PTE_P | PTE_RW | PTE_US | PTE_A)

static struct page *table_page(struct kmm *k, paddr_t table)
{
	return &k->memmap[table >> PAGE_SHIFT];
}

paddr_t pt_alloc_path(struct kmm *k, struct mm *mm, struct core *c, vaddr_t va)
{
	return pt_alloc_to(k, mm, c, va, 1);
}

paddr_t pt_alloc_to(struct kmm *k, struct mm *mm, struct core *c, vaddr_t va, int stop)
{
	paddr_t table = mm->pgd;
	for (int level = k->levels; level > stop; level--) {
		paddr_t slot = table + 8 * pt_index(va, level);
		pte_t e = kmm_read_pte(k, c, slot);
		if (!(e & PTE_P)) {
			int64_t pfn = kmm_alloc_page(k, c, PG_pgtable);
			if (pfn < 0)
				return 0;
			k->pt_alloc++;
			mm->pt_pages++;
			e = ((paddr_t)pfn << PAGE_SHIFT) | PTE_TABLE;
			kmm_write_pte(k, c, slot, e);
			table_page(k, table)->pt_used++;
		}
		if (e & PTE_PS)
			return slot;     /* a huge leaf maps va */
		table = e & PTE_ADDR_MASK;
	}
	return table + 8 * pt_index(va, stop);
}

static void gather_add(struct kmm *k, uint64_t pfn)
{
	if (k->ngather == k->gather_cap) {
		k->gather_cap = k->gather_cap ? 2 * k->gather_cap : 512;
		k->gather = realloc(k->gather, k->gather_cap * sizeof(*k->gather));
		if (!k->gather)
			abort();
	}
	k->gather[k->ngather++] = pfn;
}

void pt_gather_page(struct kmm *k, uint64_t pfn)
{
	gather_add(k, pfn);
}

/* Zap the entries of `table` (at `level`, mapping VA from `base`) that
 * intersect [start, end). */
static void gather_span(struct kmm *k, vaddr_t lo, vaddr_t hi)
{
	if (k->gather_lo >= k->gather_hi)
		k->gather_lo = lo, k->gather_hi = hi;
	if (lo < k->gather_lo)
		k->gather_lo = lo;
	if (hi > k->gather_hi)
		k->gather_hi = hi;
}

/* A zap or protection change cut a huge page it could not split. Callers
 * split the pages straddling their range first (thp_adjust_range(), which
 * fails the call with ENOMEM when it cannot), so this is a simulator bug. */
static void panic_split(vaddr_t va)
{
	fprintf(stderr, "pgtable: simulator bug: the huge page at %#llx straddles the range "
		"and its split failed (the caller must thp_adjust_range() first)\n",
		(unsigned long long)va);
	abort();
}

/* zap_huge_pmd(): clear a 2M leaf; the compound page loses this mapping,
 * and with its last one becomes 512 small pages gathered for freeing. */
static void zap_huge_pmd(struct kmm *k, struct mm *mm, struct core *c, paddr_t slot,
			 uint64_t head, vaddr_t lo)
{
	struct page *h = &k->memmap[head];
	assert((h->flags & PG_head) && h->mapcount > 0);
	kmm_write_pte(k, c, slot, 0);
	mm->rss_anon -= 512;
	gather_span(k, lo, lo + (512ull << PAGE_SHIFT));
	if (--h->mapcount > 0) {
		h->refcount--;
		return;
	}
	for (unsigned i = 0; i < 512; i++) {
		struct page *p = &k->memmap[head + i];
		p->flags &= ~(PG_head | PG_tail);
		p->order = 0;
		p->private = 0;
		p->mapcount = 0;
		p->refcount = 1;
		gather_add(k, head + i);
	}
}

static void zap_table(struct kmm *k, struct mm *mm, struct core *c, paddr_t table,
		      int level, vaddr_t base, vaddr_t start, vaddr_t end)
{
	uint64_t size = pt_level_size(level);
	for (unsigned i = pt_index(start, level); i < PT_ENTRIES; i++) {
		vaddr_t lo = base + i * size;
		if (lo >= end)
			break;
		paddr_t slot = table + 8 * i;
		pte_t e = kmm_read_pte(k, c, slot);
		if (level == 1 && is_swap_pte(e)) {
			swap_pte_free(k, mm, c, e);    /* free_swap_and_cache() */
			kmm_write_pte(k, c, slot, 0);
			table_page(k, table)->pt_used--;
			continue;
		}
		if (!(e & PTE_P))
			continue;
		uint64_t pfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
		bool last = false;      /* a leaf's last mapping: free the page */
		if ((e & PTE_PS) && pfn_is_hugetlb(k, pfn)) {
			/* huge_pmd_unshare() aside, __unmap_hugepage_range(): whole
			 * pages only (munmap checked the alignment) */
			assert(start <= lo && lo + size <= end);
			kmm_write_pte(k, c, slot, 0);
			table_page(k, table)->pt_used--;
			gather_span(k, lo, lo + size);
			if (hugetlb_put_mapping(k, mm, pfn))
				gather_add(k, pfn | GATHER_HUGETLB);
			continue;
		}
		if (level == 2 && (e & PTE_PS) && pfn_is_huge_zero(k, pfn)) {
			/* zap_huge_pmd() of the huge zero page: no rss, no mapcount */
			if (start <= lo && lo + size <= end) {
				kmm_write_pte(k, c, slot, 0);
				table_page(k, table)->pt_used--;
				gather_span(k, lo, lo + size);
				huge_zero_put(k, c, true);
				continue;
			}
			if (thp_split_pmd_at(k, mm, c, lo))
				panic_split(lo);
			e = kmm_read_pte(k, c, slot);
			pfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
		}
		if (level == 2 && (e & PTE_PS)) {
			if (start <= lo && lo + size <= end) {
				zap_huge_pmd(k, mm, c, slot, pfn, lo);
				table_page(k, table)->pt_used--;
				continue;
			}
			/* __split_huge_pmd(): a partial unmap splits it first */
			if (thp_split_page(k, c, pfn))
				panic_split(lo);
			e = kmm_read_pte(k, c, slot);
			pfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
		}
		if (level > 1) {
			assert(!(e & PTE_PS));
			vaddr_t cs = start > lo ? start : lo;
			vaddr_t ce = end < lo + size ? end : lo + size;
			zap_table(k, mm, c, pfn << PAGE_SHIFT, level - 1, lo, cs, ce);
			if (k->memmap[pfn].pt_used != 0)
				continue;
			mm->pt_pages--;
			k->pt_free++;
			k->gather_freed_tables = true;
		} else {
			/* zap_pte_range(): the zero page is not counted; a page
			 * other PTEs still map loses a mapping and the reference
			 * this one held; the last mapping's page is gathered and
			 * freed after the flush */
			struct page *p = &k->memmap[pfn];
			if ((p->flags & PG_STATE_MASK) == PG_file) {
				/* the page cache keeps the page; a D bit dirties it */
				assert(p->mapcount > 0);
				filemap_zap_pte(k, c, mm, pfn, e);
			} else if (pfn != k->zero_pfn || !k->zero_pfn) {
				assert(p->mapcount > 0);
				mm->rss_anon--;
				if (p->flags & PG_swapcache)
					last = swapcache_unmap(k, c, pfn);
				else if (--p->mapcount > 0)
					p->refcount--;
				else
					last = true;
			}
			if (k->gather_lo >= k->gather_hi)
				k->gather_lo = lo, k->gather_hi = lo + size;
			if (lo < k->gather_lo)
				k->gather_lo = lo;
			if (lo + size > k->gather_hi)
				k->gather_hi = lo + size;
		}
		kmm_write_pte(k, c, slot, 0);
		table_page(k, table)->pt_used--;
		if (level > 1 || last)
			gather_add(k, pfn);
	}
}

void pt_zap_range(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start, vaddr_t end)
{
	if (start < end)
		zap_table(k, mm, c, mm->pgd, k->levels, 0, start, end);
}

void pt_free_all(struct kmm *k, struct mm *mm, struct core *c)
{
	/* The user half only: the PML4's kernel entries (256..511, copied by
	 * kmem_clone_pgd()) point at tables every mm shares; they are not
	 * counted in pt_used and are never freed here (kmap.c). */
	pt_zap_range(k, mm, c, 0, mm->task_size);
	assert(table_page(k, mm->pgd)->pt_used == 0);
	gather_add(k, mm->pgd >> PAGE_SHIFT);
	mm->pt_pages--;
	k->pt_free++;
	k->gather_freed_tables = true;
}

/* change_pte_range(): rewrite the rights of the present leaves of `table`
 * (at `level`, mapping VA from `base`) that lie in [start, end). */
static void change_table(struct kmm *k, struct core *c, paddr_t table, int level,
			 vaddr_t base, vaddr_t start, vaddr_t end, pte_t bits,
			 vaddr_t *lo, vaddr_t *hi)
{
	const pte_t rights = PTE_RW | PTE_US | PTE_NX;
	uint64_t size = pt_level_size(level);
	for (unsigned i = pt_index(start, level); i < PT_ENTRIES; i++) {
		vaddr_t va = base + i * size;
		if (va >= end)
			break;
		pte_t e = kmm_read_pte(k, c, table + 8 * i);
		if (!(e & PTE_P))
			continue;
		if (level == 2 && (e & PTE_PS) && !(start <= va && va + size <= end)) {
			/* a partial mprotect splits the huge page first */
			if (thp_split_page(k, c, (e & PTE_ADDR_MASK) >> PAGE_SHIFT))
				panic_split(va);
			e = kmm_read_pte(k, c, table + 8 * i);
		}
		if (level > 1 && !(e & PTE_PS)) {
			change_table(k, c, e & PTE_ADDR_MASK, level - 1, va,
				     start > va ? start : va, end < va + size ? end : va + size,
				     bits, lo, hi);
			continue;
		}
		pte_t n = (e & ~rights) | (bits & rights);
		/* can_change_pte_writable(): write access is given back only to
		 * pages this PTE maps exclusively; shared (COW) pages and the
		 * zero page stay read-only until do_wp_page(); page-cache pages
		 * until a write fault (COW, or dirtying through a shared mapping) */
		uint64_t pfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
		if ((n & PTE_RW) && !(e & PTE_RW) &&
		    ((k->zero_pfn && pfn == k->zero_pfn) || pfn_is_huge_zero(k, pfn) ||
		     k->memmap[pfn].mapcount > 1 ||
		     (k->memmap[pfn].flags & PG_STATE_MASK) == PG_file))
			n &= ~PTE_RW;
		if (n == e)
			continue;
		kmm_write_pte(k, c, table + 8 * i, n);
		if (*lo >= *hi)
			*lo = va, *hi = va + size;
		*lo = va < *lo ? va : *lo;
		*hi = va + size > *hi ? va + size : *hi;
	}
}

void pt_change_prot(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start,
		    vaddr_t end, pte_t bits, vaddr_t *lo, vaddr_t *hi)
{
	*lo = *hi = 0;
	if (start < end)
		change_table(k, c, mm->pgd, k->levels, 0, start, end, bits, lo, hi);
}
