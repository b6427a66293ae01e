/* kmm_validate(): the kernel's invariants, for --check and the tests.
 *
 * - the buddy lists of every zone are consistent and fully merged, their
 *   migratetype lists agree with the heads (buddy_validate()), and the
 *   per-cpu lists hold free frames of their zone (pcp_validate());
 * - every frame is in exactly one state;
 * - the page tables of every live mm point only at frames in the right state
 *   (tables at PG_pgtable, leaves at PG_anon), each table's pt_used equals its
 *   present entries, every anonymous page's mapcount equals the PTEs mapping
 *   it (refcount equals mapcount once shared), no page shared by several
 *   PTEs is mapped writable (COW), the zero page is mapped only read-only,
 *   a page pinned for DMA carries GUP_PIN_COUNTING_BIAS per pin on top
 *   (and may have no mapping left),
 *   and no PTE maps an address outside a VMA;
 * - every node's LRU lists are linked right (lru_validate()), every mapped
 *   anonymous page (a THP by its head) is on one, and only user pages are;
 * - hugetlb leaves (2M PDEs, 1G PDPTEs) map in-use pool pages inside hugetlb
 *   VMAs of their size; the pools' free lists and counters agree with the
 *   struct pages (hugetlb_validate());
 * - page-cache pages are mapped only by VMAs of their file at their index,
 *   never writable in a private mapping, with mapcount equal to the PTEs
 *   found; the page-cache index itself by filemap_validate();
 * - rss and page-table counts of each mm agree with its tables;
 * - VMAs are sorted and do not overlap;
 * - the CMA area's pageblocks are CMA and the frames cma_alloc holds are in
 *   use (cma_validate()); no pageblock stays isolated; holes and reserved
 *   ranges stay PG_reserved. */
#include "kernel/mm/kmm.h"
#include "kernel/mm/cma.h"
#include "kernel/mm/slab.h"
#include "kernel/mm/hugetlb.h"
#include "kernel/mm/filemap.h"
#include "kernel/mm/swap.h"
#include "kernel/mm/vmscan.h"

#include <stdlib.h>
#include "lib/jsonutil.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"

struct census {
	uint32_t *maps;        /* PTEs seen per frame */
	uint32_t *swaps;       /* swap PTEs seen per slot */
	uint64_t tables, leaves, swap_ents;
	uint64_t hugetlb;      /* 4K pages of hugetlb pages mapped */
	uint64_t file_leaves;  /* PTEs mapping page-cache pages */
	uint64_t huge_zero;    /* PMDs mapping the huge zero page */
};

/* A hugetlb leaf (PDE or PDPTE with PS): the head of a pool page of that
 * size, inside a hugetlb VMA of that page size, writable only when this is
 * its one mapping. */
static int check_hugetlb(struct kmm *k, struct mm *mm, pte_t e, int level, vaddr_t va,
			 struct census *cs, char *err)
{
	uint64_t pfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT, size = pt_level_size(level);
	const struct page *h = &k->memmap[pfn];
	const struct vma *v = vma_find(mm, va);
	if (!(h->flags & PG_head) || h->order != 9 * (level - 1) || h->refcount < 1)
		return errf(err, "kmm_validate: hugetlb entry for %#llx maps pfn %#llx which is "
			    "not the head of an in-use %s page (order %u refcount %d)",
			    (unsigned long long)va, (unsigned long long)pfn,
			    level == 3 ? "1G" : "2M", h->order, h->refcount);
	if (!v || !(v->flags & VM_HUGETLB) || vma_hpage_size(v) != size || v->end < va + size)
		return errf(err, "kmm_validate: hugetlb entry for %#llx is not inside a hugetlb "
			    "VMA of its page size", (unsigned long long)va);
	if ((e & PTE_RW) && h->mapcount > 1)
		return errf(err, "kmm_validate: hugetlb entry for %#llx writable but %d entries "
			    "share it", (unsigned long long)va, h->mapcount);
	cs->maps[pfn]++;
	cs->hugetlb += size >> PAGE_SHIFT;
	return 0;
}

/* A 2M leaf: an order-9 anonymous compound page inside one VMA. */
static int check_huge(struct kmm *k, struct mm *mm, pte_t e, vaddr_t va, struct census *cs,
		      char *err)
{
	uint64_t pfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
	const struct page *h = &k->memmap[pfn];
	const struct vma *v = vma_find(mm, va);
	if (!(h->flags & PG_anon) || !(h->flags & PG_head) || h->order != 9 || (pfn & 511))
		return errf(err, "kmm_validate: 2M entry for %#llx maps pfn %#llx which is not "
			    "the head of an anonymous huge page (flags %#x order %u)",
			    (unsigned long long)va, (unsigned long long)pfn, h->flags, h->order);
	if (!v || v->end < va + (512ull << PAGE_SHIFT))
		return errf(err, "kmm_validate: 2M entry for %#llx is not inside one VMA",
			    (unsigned long long)va);
	if ((e & PTE_RW) && h->mapcount > 1)
		return errf(err, "kmm_validate: 2M entry for %#llx writable but %d PMDs share it",
			    (unsigned long long)va, h->mapcount);
	for (unsigned i = 1; i < 512; i++)
		if (!(k->memmap[pfn + i].flags & PG_tail) || k->memmap[pfn + i].private != pfn)
			return errf(err, "kmm_validate: pfn %#llx of the huge page at %#llx is not "
				    "its tail", (unsigned long long)(pfn + i), (unsigned long long)pfn);
	cs->maps[pfn]++;
	cs->leaves += 512;
	return 0;
}

static int check_table(struct kmm *k, struct mm *mm, paddr_t table, int level,
		       vaddr_t base, struct census *cs, char *err)
{
	struct page *tp = &k->memmap[table >> PAGE_SHIFT];
	if (!(tp->flags & PG_pgtable))
		return errf(err, "kmm_validate: level-%d table at %#llx is not PG_pgtable",
			    level, (unsigned long long)table);
	cs->tables++;
	uint32_t present = 0;
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		if (level == k->levels && i >= PT_ENTRIES / 2)
			break;   /* the kernel half: shared, checked by kmem_validate() */
		pte_t e = physmem_read(&k->ms->pm, table + 8 * i, 8);
		vaddr_t va = base + i * pt_level_size(level);
		if (level == 1 && is_swap_pte(e)) {
			if (!swap_pte_valid(k, e))
				return errf(err, "kmm_validate: PTE for %#llx is neither present nor "
					    "a swap entry in use (%#llx)", (unsigned long long)va,
					    (unsigned long long)e);
			if (!vma_find(mm, va))
				return errf(err, "kmm_validate: swap PTE for %#llx lies outside "
					    "every VMA", (unsigned long long)va);
			present++;
			cs->swaps[swp_offset(pte_to_swp_entry(e))]++;
			cs->swap_ents++;
			continue;
		}
		if (!(e & PTE_P)) {
			if (e)
				return errf(err, "kmm_validate: level-%d entry for %#llx is not "
					    "present but not 0 (%#llx)", level, (unsigned long long)va,
					    (unsigned long long)e);
			continue;
		}
		present++;
		uint64_t pfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
		if (pfn >= k->nframes)
			return errf(err, "kmm_validate: entry for %#llx points beyond memory",
				    (unsigned long long)va);
		if ((level == 2 || level == 3) && (e & PTE_PS) && pfn_is_hugetlb(k, pfn)) {
			if (check_hugetlb(k, mm, e, level, va, cs, err))
				return -1;
			continue;
		}
		if (level == 3 && (e & PTE_PS))
			return errf(err, "kmm_validate: 1G entry for %#llx maps pfn %#llx, not a "
				    "hugetlb page", (unsigned long long)va, (unsigned long long)pfn);
		if (level == 2 && (e & PTE_PS) && k->huge_zero_pfn && pfn == k->huge_zero_pfn) {
			if ((e & PTE_RW) || !vma_find(mm, va))
				return errf(err, "kmm_validate: huge zero PMD for %#llx is writable or "
					    "outside every VMA", (unsigned long long)va);
			cs->huge_zero++;
			continue;
		}
		if (level == 2 && (e & PTE_PS)) {
			if (check_huge(k, mm, e, va, cs, err))
				return -1;
			continue;
		}
		if (level > 1) {
			if (check_table(k, mm, pfn << PAGE_SHIFT, level - 1, va, cs, err))
				return -1;
			continue;
		}
		if (k->zero_pfn && pfn == k->zero_pfn) {
			if (e & PTE_RW)
				return errf(err, "kmm_validate: PTE for %#llx maps the zero page "
					    "writable", (unsigned long long)va);
			if (!vma_find(mm, va))
				return errf(err, "kmm_validate: PTE for %#llx lies outside every "
					    "VMA", (unsigned long long)va);
			continue;
		}
		const struct page *lp = &k->memmap[pfn];
		const struct vma *v = vma_find(mm, va);
		bool file = (lp->flags & PG_STATE_MASK) == PG_file;
		if (!(lp->flags & PG_anon) && !file)
			return errf(err, "kmm_validate: PTE for %#llx maps pfn %#llx which is "
				    "neither an anonymous nor a page-cache page (flags %#x)",
				    (unsigned long long)va, (unsigned long long)pfn, lp->flags);
		if (!v)
			return errf(err, "kmm_validate: PTE for %#llx lies outside every VMA",
				    (unsigned long long)va);
		/* a page-cache page sits at its own place in the file mapping */
		if (file && (v->file != lp->mapping ||
			     v->pgoff + ((va - v->start) >> PAGE_SHIFT) != lp->index))
			return errf(err, "kmm_validate: PTE for %#llx maps page %llu of file %u, "
				    "but the VMA maps file %u page %llu there",
				    (unsigned long long)va, (unsigned long long)lp->index, lp->mapping,
				    v->file, (unsigned long long)(v->pgoff +
								  ((va - v->start) >> PAGE_SHIFT)));
		if (file && (e & PTE_RW) && !(v->flags & VM_SHARED))
			return errf(err, "kmm_validate: PTE for %#llx maps a page-cache page "
				    "writable in a private mapping", (unsigned long long)va);
		if (file) {
			cs->maps[pfn]++;
			cs->file_leaves++;
			continue;
		}
		if ((e & PTE_RW) && k->memmap[pfn].mapcount > 1)
			return errf(err, "kmm_validate: PTE for %#llx maps pfn %#llx writable "
				    "but %d PTEs share it (COW broken)", (unsigned long long)va,
				    (unsigned long long)pfn, k->memmap[pfn].mapcount);
		cs->maps[pfn]++;
		cs->leaves++;
	}
	if (present != tp->pt_used)
		return errf(err, "kmm_validate: table at %#llx has %u entries in use, "
			    "pt_used says %u", (unsigned long long)table, present, tp->pt_used);
	return 0;
}

static int check_frames(struct kmm *k, const struct census *cs, char *err)
{
	uint64_t file_frames = 0;
	for (uint64_t pfn = 0; pfn < k->nframes; pfn++) {
		const struct page *p = &k->memmap[pfn];
		uint32_t state = p->flags & PG_STATE_MASK;
		file_frames += state == PG_file;
		if (state & (state - 1))
			return errf(err, "kmm_validate: pfn %#llx has several states (%#x)",
				    (unsigned long long)pfn, state);
		if ((state & (PG_anon | PG_file)) && (uint32_t)p->mapcount != cs->maps[pfn])
			return errf(err, "kmm_validate: pfn %#llx mapcount %d but %u PTEs map it",
				    (unsigned long long)pfn, p->mapcount, cs->maps[pfn]);
		if ((state & PG_anon) && !(p->flags & PG_tail) && p->mapcount > 0 &&
		    !(p->flags & PG_lru))
			return errf(err, "kmm_validate: pfn %#llx is a mapped anonymous page on no "
				    "LRU list", (unsigned long long)pfn);
		if ((p->flags & PG_lru) && !(state & (PG_anon | PG_file)))
			return errf(err, "kmm_validate: pfn %#llx is on an LRU list but is not a "
				    "user page (flags %#x)", (unsigned long long)pfn, p->flags);
		/* each mapping of an anonymous page holds a reference (rmap.h),
		 * and the swap cache one; each DMA pin adds GUP_PIN_COUNTING_BIAS
		 * (page.h), and a pinned page may have lost every mapping (and
		 * its reference) */
		int32_t pins = (state & PG_anon) ? page_dma_pins(p) : 0;
		int32_t refs = p->refcount - pins * GUP_PIN_COUNTING_BIAS;
		int32_t want = (state & PG_anon) ? p->mapcount : 0;
		if (p->flags & PG_swapcache) {
			want++;
			if (!k->swap || swap_cache_lookup(k->swap, swp_entry(0, p->private)) !=
					(int64_t)pfn)
				return errf(err, "kmm_validate: pfn %#llx is PG_swapcache but the "
					    "swap cache does not hold it for slot %u",
					    (unsigned long long)pfn, p->private);
		}
		if (!want)
			want = pins && refs == 0 ? 0 : 1;
		if ((state & (PG_anon | PG_pgtable)) && !(p->flags & PG_tail) && refs != want)
			return errf(err, "kmm_validate: pfn %#llx in use with refcount %d, "
				    "expected %d", (unsigned long long)pfn, p->refcount,
				    want + pins * GUP_PIN_COUNTING_BIAS);
	}
	/* every PG_file frame is a page-cache page that some file's index holds
	 * (filemap_validate() counts the indexes against nr_file_pages) */
	if (file_frames != filemap_nr_pages(k))
		return errf(err, "kmm_validate: %llu PG_file frames, %llu page-cache pages",
			    (unsigned long long)file_frames,
			    (unsigned long long)filemap_nr_pages(k));
	return 0;
}

/* Every slot's count is the swap PTEs naming it plus one for a swap cache
 * page; the area's own books agree (swap_validate()). Only whole runs
 * (every live mm given) can be checked this way. */
static int check_swap(struct kmm *k, const struct census *cs, char *err)
{
	if (swap_validate(k->swap, err))
		return -1;
	for (uint64_t s = 1; s < k->swap->pages; s++) {
		swp_entry_t e = swp_entry(0, s);
		unsigned want = cs->swaps[s] + (swap_cache_lookup(k->swap, e) >= 0 ? 1 : 0);
		if (swap_count(k->swap, e) != want)
			return errf(err, "kmm_validate: swap slot %llu has count %u but %u swap PTEs "
				    "name it%s", (unsigned long long)s, swap_count(k->swap, e),
				    cs->swaps[s], swap_cache_lookup(k->swap, e) >= 0 ?
				    " and the swap cache holds it" : "");
	}
	return 0;
}

int kmm_validate(struct kmm *k, struct mm *const *mms, size_t nmm, char *err)
{
	for (unsigned n = 0; n < k->nr_nodes; n++)
		for (int i = 0; i < MAX_NR_ZONES; i++)
			if (buddy_validate(&k->node[n].zones[i], err) ||
			    pcp_validate(k, &k->node[n].zones[i], err))
				return -1;
	for (unsigned n = 0; n < k->nr_nodes; n++)
		if (lru_validate(&k->node[n].lruvec, k->memmap, k->nframes, err))
			return -1;
	if (cma_validate(k, err))
		return -1;
	for (unsigned i = 0; i < k->memblock.n; i++) {
		const struct memblock_region *r = &k->memblock.r[i];

		/* the ends of each hole and reserved range (the whole range
		 * would touch the memmap of a large hole) */
		if (!(k->memmap[r->start_pfn].flags & PG_reserved) ||
		    !(k->memmap[r->end_pfn - 1].flags & PG_reserved))
			return errf(err, "kmm_validate: the %s range [%#llx, %#llx) is not "
				    "PG_reserved", r->kind == MEMBLOCK_HOLE ? "hole" : "reserved",
				    (unsigned long long)r->start_pfn, (unsigned long long)r->end_pfn);
	}
	struct census cs = { .maps = calloc(k->nframes, sizeof(uint32_t)),
			     .swaps = calloc(k->swap ? k->swap->pages : 1, sizeof(uint32_t)) };
	if (!cs.maps || !cs.swaps)
		abort();
	int rc = 0;
	for (size_t i = 0; i < nmm && rc == 0; i++) {
		const struct mm *mm = mms[i];
		uint64_t t0 = cs.tables, l0 = cs.leaves, h0 = cs.hugetlb, f0 = cs.file_leaves,
			 s0 = cs.swap_ents;
		rc = vma_validate(mm, err);
		if (rc == 0)
			rc = check_table(k, (struct mm *)mm, mm->pgd, k->levels, 0, &cs, err);
		if (rc == 0 && cs.swap_ents - s0 != mm->swap_ents)
			rc = errf(err, "kmm_validate: mm has %llu swap entries, VmSwap says %llu",
				  (unsigned long long)(cs.swap_ents - s0),
				  (unsigned long long)mm->swap_ents);
		if (rc == 0 && (cs.tables - t0 != mm->pt_pages || cs.leaves - l0 != mm->rss_anon))
			rc = errf(err, "kmm_validate: mm has %llu tables and %llu mapped pages, "
				  "its counters say %llu and %llu",
				  (unsigned long long)(cs.tables - t0), (unsigned long long)(cs.leaves - l0),
				  (unsigned long long)mm->pt_pages, (unsigned long long)mm->rss_anon);
		if (rc == 0 && cs.hugetlb - h0 != mm->hugetlb_pages)
			rc = errf(err, "kmm_validate: mm maps %llu pages of hugetlb pages, its "
				  "counter says %llu", (unsigned long long)(cs.hugetlb - h0),
				  (unsigned long long)mm->hugetlb_pages);
		if (rc == 0 && cs.file_leaves - f0 != mm->rss_file)
			rc = errf(err, "kmm_validate: mm maps %llu page-cache pages, rss_file "
				  "says %llu", (unsigned long long)(cs.file_leaves - f0),
				  (unsigned long long)mm->rss_file);
	}
	if (rc == 0 && nmm == k->nmms && cs.huge_zero != k->huge_zero_refs)
		rc = errf(err, "kmm_validate: %llu PMDs map the huge zero page, its count says %llu",
			  (unsigned long long)cs.huge_zero, (unsigned long long)k->huge_zero_refs);
	if (rc == 0)
		rc = check_frames(k, &cs, err);
	if (rc == 0)
		rc = hugetlb_validate(k, cs.maps, err);
	if (rc == 0 && k->swap)
		rc = check_swap(k, &cs, err);
	if (rc == 0 && k->kmem)
		rc = kmem_validate(k, err);
	if (rc == 0)
		rc = filemap_validate(k, err);
	free(cs.maps);
	free(cs.swaps);
	return rc;
}
