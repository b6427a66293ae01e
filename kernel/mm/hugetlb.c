/* hugetlbfs pools and MAP_HUGETLB mappings (mm/hugetlb.c), private
 * anonymous mappings only.
 *
 * Pools: kernel.hugetlb.nr_hugepages_2m and nr_hugepages_1g pages are set
 * aside at boot and never go back to the buddy allocator (no runtime
 * resizing, no overcommit: HugePages_Surp stays 0). 1G pages are gigantic
 * (order 18, above the buddy's largest order): like Linux's boot-time
 * gigantic pages, which come from memblock, they are taken before the zones
 * get their frames, from the top of each node down, round-robin over the
 * nodes (a 1G-aligned range inside one zone, not ZONE_MOVABLE, not CMA, no
 * hole or reserved frame).
 * 2M pages come from the buddy allocator once it is up (alloc_pool_huge_
 * folio(): __GFP_THISNODE, round-robin over the nodes). Either way the page
 * is a compound page of state PG_hugetlb; boot work is untimed and, like
 * memblock's, not counted in mm.pgalloc. A page that cannot be had is
 * reported on stderr and the pool is smaller, as Linux's "HugeTLB:
 * allocating N of page size ... failed" at boot.
 *
 * Reservations (hugetlb_reserve_pages()): mmap of a MAP_HUGETLB range
 * reserves its pages unless MAP_NORESERVE; it fails with ENOMEM when fewer
 * than that are free and unreserved (HugePages_Free - HugePages_Rsvd). The
 * VMA then owns the reservations (HPAGE_RESV_OWNER: VM_HUGETLB_RESV); its
 * first fault on each page consumes one. Since a page of a private hugetlb
 * mapping is unmapped only by munmap or exit here (MADV_DONTNEED and
 * MADV_FREE are refused on hugetlb VMAs, as before Linux 5.18; mremap of
 * them is refused), "not present" means "reservation not yet used": munmap
 * and exit give back one reservation per page of an owning VMA never
 * faulted (hugetlb_vm_op_close()).
 *
 * Faults (hugetlb_fault(), hugetlb_no_page()): the PDE (2M) or PDPTE (1G)
 * of the address gets the page with PS set; a VMA without a reservation
 * takes an unreserved free page; none: SIGBUS (the process is killed,
 * mm.hugetlb.sigbus). The page is zeroed (every 4K part, 64 timed
 * whole-line writes each) and mapped dirty on a write. Hugetlb pages are not counted in
 * RSS (HugetlbPages in status, *_Hugetlb in smaps_rollup), never go on the
 * LRU, are never swapped, and have no reverse map (nothing migrates or
 * reclaims them).
 *
 * fork (copy_hugetlb_page_range()): the child maps the same page, both
 * sides write-protected; the child's VMA owns no reservations
 * (reset_vma_resv_huge_pages()). A write then (hugetlb_wp()) reuses a page
 * with one mapping, else copies it into a free unreserved pool page (every
 * 4K part copied through the caches), flushes the old entry and maps the
 * copy. Simplified: when the pool has no page for the copy the writer gets
 * SIGBUS; Linux, if the writer is the reservation owner, instead unmaps the
 * page from the children (unmap_ref_private()), who get SIGBUS later.
 *
 * Unmapping (zap, in pgtable.c) drops a mapping; the last one's page goes
 * back to its node's free list after the TLB flush (GATHER_HUGETLB in the
 * mmu_gather list). */
#include "kernel/mm/hugetlb.h"
#include "kernel/mm/cma.h"
#include "kernel/mm/memblock.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/config.h"
#include "lib/jsonutil.h"
#include "lib/stats.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"

static const char *const hstate_name[HSTATES] = { "2m", "1g" };
static const unsigned hstate_order[HSTATES] = { 9, 18 };

static struct hstate *hstate_of(struct kmm *k, const struct vma *v)
{
	return &k->hugetlb->h[(v->flags & VM_HUGE_1G) ? HSTATE_1G : HSTATE_2M];
}

static struct hugetlb *hugetlb_get(struct kmm *k)
{
	if (!k->hugetlb) {
		k->hugetlb = calloc(1, sizeof(*k->hugetlb));
		if (!k->hugetlb)
			abort();
		for (int s = 0; s < HSTATES; s++)
			k->hugetlb->h[s].order = hstate_order[s];
	}
	return k->hugetlb;
}

/* Make the 2^order frames at head one free pool page. */
static void prep_pool_page(struct kmm *k, uint64_t head, unsigned order)
{
	uint64_t n = 1ull << order;
	for (uint64_t i = 0; i < n; i++) {
		struct page *p = &k->memmap[head + i];
		p->flags = PG_hugetlb | (i ? PG_tail : PG_head);
		p->refcount = 0;
		p->mapcount = 0;
		p->private = i ? (uint32_t)head : 0;
		p->mapping = 0;
		p->index = 0;
	}
	k->memmap[head].order = (uint8_t)order;
}

static void enqueue(struct kmm *k, struct hstate *h, uint64_t head)
{
	struct zone *z = page_zone(k, head);
	int nid = z ? z->node : 0;
	uint64_t *l = realloc(h->free_list[nid], (h->nfree_node[nid] + 1) * sizeof(*l));
	if (!l)
		abort();
	l[h->nfree_node[nid]++] = head;
	h->free_list[nid] = l;
	h->free++;
}

/* ---- boot ---- */

/* A 1G-aligned range [p, p + n) inside one zone of node nd that may hold a
 * gigantic page: not ZONE_MOVABLE, not the CMA area, no hole or reserved
 * frame (the firmware MiB, memory.holes, kernel.reserved). */
static bool gigantic_fits(struct kmm *k, const struct pglist_data *nd, uint64_t p, uint64_t n)
{
	if (memblock_overlaps(&k->memblock, p, p + n))
		return false;
	if (k->cma && p < cma_end_pfn(k->cma) && p + n > cma_base_pfn(k->cma))
		return false;
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		const struct zone *z = &nd->zones[i];
		if (z->start_pfn <= p && p + n <= z->end_pfn)
			return i != ZONE_MOVABLE;
	}
	return false;
}

void hugetlb_reserve_gigantic(struct kmm *k)
{
	uint64_t want = k->cfg->kernel.hugetlb.nr_1g;
	if (!want)
		return;
	struct hugetlb *hg = hugetlb_get(k);
	struct hstate *h = &hg->h[HSTATE_1G];
	const uint64_t n = 1ull << 18;
	uint64_t top[MAX_NUMNODES];     /* next candidate per node, from the top */
	for (unsigned nid = 0; nid < k->nr_nodes; nid++)
		top[nid] = k->node[nid].end_pfn & ~(n - 1);
	h->wanted = want;
	unsigned nid = 0, idle = 0;
	while (h->nr < want && hg->ngig < ARRAY_SIZE(hg->gig) && idle < k->nr_nodes) {
		struct pglist_data *nd = &k->node[nid];
		bool got = false;
		while (top[nid] >= nd->start_pfn + n && !got) {
			uint64_t p = top[nid] - n;
			top[nid] = p;
			if (gigantic_fits(k, nd, p, n)) {
				prep_pool_page(k, p, 18);
				hg->gig[hg->ngig++] = p;
				h->nr++;
				got = true;
			}
		}
		idle = got ? 0 : idle + 1;
		nid = (nid + 1) % k->nr_nodes;
	}
	/* ascending, for free_zone_frames() */
	for (unsigned i = 1; i < hg->ngig; i++)
		for (unsigned j = i; j > 0 && hg->gig[j - 1] > hg->gig[j]; j--) {
			uint64_t t = hg->gig[j];
			hg->gig[j] = hg->gig[j - 1];
			hg->gig[j - 1] = t;
		}
}

uint64_t hugetlb_gigantic_next(const struct kmm *k, uint64_t pfn, uint64_t end)
{
	if (!k->hugetlb)
		return end;
	for (unsigned i = 0; i < k->hugetlb->ngig; i++)
		if (k->hugetlb->gig[i] >= pfn && k->hugetlb->gig[i] < end)
			return k->hugetlb->gig[i];
	return end;
}

void hugetlb_init(struct kmm *k, struct stats *st)
{
	struct hugetlb *hg = hugetlb_get(k);
	struct hstate *h2 = &hg->h[HSTATE_2M];
	uint64_t want = k->cfg->kernel.hugetlb.nr_2m;
	struct core *c = k->cores[0];
	cycles_t t = c->clock;
	uint64_t counted = k->pgalloc;
	h2->wanted = want;
	unsigned nid = 0, idle = 0;
	while (h2->nr < want && idle < k->nr_nodes) {
		int64_t pfn = kmm_alloc_pages(k, c, (int)nid, GFP_HIGHUSER_MOVABLE | __GFP_COMP |
					      __GFP_THISNODE | __GFP_RETRY_MAYFAIL | __GFP_NOWARN,
					      9, PG_hugetlb);
		if (pfn >= 0) {
			prep_pool_page(k, (uint64_t)pfn, 9);
			enqueue(k, h2, (uint64_t)pfn);
			h2->nr++;
		}
		idle = pfn >= 0 ? 0 : idle + 1;
		nid = (nid + 1) % k->nr_nodes;
	}
	c->clock = t;
	k->pgalloc = counted;
	struct hstate *h1 = &hg->h[HSTATE_1G];
	for (unsigned i = 0; i < hg->ngig; i++)
		enqueue(k, h1, hg->gig[i]);
	for (int s = 0; s < HSTATES; s++)
		if (hg->h[s].nr < hg->h[s].wanted)
			fprintf(stderr, "mmsim: HugeTLB: allocating %llu of page size %s failed. "
				"Only allocated %llu hugepages.\n",
				(unsigned long long)hg->h[s].wanted, s ? "1.00 GiB" : "2.00 MiB",
				(unsigned long long)hg->h[s].nr);
	if (!st)
		return;
	for (int s = 0; s < HSTATES; s++) {
		struct hstate *h = &hg->h[s];
		const char *n = hstate_name[s];
		stats_add(st, &h->nr, "mm.hugetlb.%s.total", n);
		stats_add(st, &h->free, "mm.hugetlb.%s.free", n);
		stats_add(st, &h->resv, "mm.hugetlb.%s.resv", n);
		stats_add(st, &h->surp, "mm.hugetlb.%s.surp", n);
		stats_add(st, &h->fault_alloc, "mm.hugetlb.%s.fault_alloc", n);
		stats_add(st, &h->cow_copy, "mm.hugetlb.%s.cow_copy", n);
		stats_add(st, &h->cow_reuse, "mm.hugetlb.%s.cow_reuse", n);
	}
	stats_add(st, &hg->sigbus, "mm.hugetlb.sigbus");
	stats_add(st, &hg->mmap_enomem, "mm.hugetlb.mmap_enomem");
}

void hugetlb_destroy(struct kmm *k)
{
	if (!k->hugetlb)
		return;
	for (int s = 0; s < HSTATES; s++)
		for (unsigned n = 0; n < MAX_NUMNODES; n++)
			free(k->hugetlb->h[s].free_list[n]);
	free(k->hugetlb);
	k->hugetlb = NULL;
}

/* ---- reservations ---- */

int hugetlb_reserve(struct kmm *k, bool gig, uint64_t len)
{
	struct hstate *h = &hugetlb_get(k)->h[gig ? HSTATE_1G : HSTATE_2M];
	uint64_t pages = len >> (PAGE_SHIFT + h->order);
	if (h->free - h->resv < pages) {
		k->hugetlb->mmap_enomem++;
		return -ENOMEM;
	}
	h->resv += pages;
	return 0;
}

void hugetlb_unreserve_len(struct kmm *k, bool gig, uint64_t len)
{
	struct hstate *h = &k->hugetlb->h[gig ? HSTATE_1G : HSTATE_2M];
	uint64_t pages = len >> (PAGE_SHIFT + h->order);
	assert(h->resv >= pages);
	h->resv -= pages;
}

/* The leaf slot of va for a page of `level` without allocating tables
 * (timed); 0 when a table above is missing. */
static paddr_t leaf_lookup(struct kmm *k, struct mm *mm, struct core *c, vaddr_t va, int level)
{
	paddr_t table = mm->pgd;
	for (int l = k->levels; l > level; l--) {
		pte_t e = kmm_read_pte(k, c, table + 8 * pt_index(va, l));
		if (!(e & PTE_P) || (e & PTE_PS))
			return 0;
		table = e & PTE_ADDR_MASK;
	}
	return table + 8 * pt_index(va, level);
}

void hugetlb_unreserve_range(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start,
			     vaddr_t end)
{
	for (uint32_t i = vma_index(mm, start); i < mm->nvma && mm->vma[i].start < end; i++) {
		const struct vma *v = &mm->vma[i];
		if (!(v->flags & VM_HUGETLB_RESV))
			continue;
		struct hstate *h = hstate_of(k, v);
		uint64_t size = vma_hpage_size(v);
		int level = (v->flags & VM_HUGE_1G) ? 3 : 2;
		vaddr_t s = v->start > start ? v->start : start;
		vaddr_t e = v->end < end ? v->end : end;
		for (vaddr_t va = s; va < e; va += size) {
			paddr_t slot = leaf_lookup(k, mm, c, va, level);
			if (slot && (kmm_read_pte(k, c, slot) & PTE_P))
				continue;
			assert(h->resv > 0);
			h->resv--;
		}
	}
}

bool hugetlb_range_misaligned(const struct mm *mm, vaddr_t start, vaddr_t end)
{
	const vaddr_t at[2] = { start, end };
	for (int i = 0; i < 2; i++) {
		const struct vma *v = vma_find((struct mm *)mm, at[i]);
		if (v && (v->flags & VM_HUGETLB) && v->start != at[i] &&
		    (at[i] & (vma_hpage_size(v) - 1)))
			return true;
	}
	return false;
}

/* ---- faults ---- */

/* dequeue_hugetlb_folio_vma(): a free page for va in v, from the node the
 * policy names first, else the lowest node that has one. With a
 * reservation it uses it; without, only unreserved pages may go. -1: none. */
static int64_t dequeue(struct kmm *k, struct hstate *h, struct mm *mm, struct vma *v,
		       vaddr_t va, struct core *c, bool reserved)
{
	if (!reserved && h->free <= h->resv)
		return -1;
	if (!h->free)
		return -1;
	int want = mpol_node_for(k, mm, v, va, c);
	int nid = want >= 0 && (unsigned)want < k->nr_nodes && h->nfree_node[want] ? want : -1;
	for (unsigned n = 0; nid < 0 && n < k->nr_nodes; n++)
		if (h->nfree_node[n])
			nid = (int)n;
	assert(nid >= 0);
	uint64_t head = h->free_list[nid][--h->nfree_node[nid]];
	h->free--;
	if (reserved) {
		assert(h->resv > 0);
		h->resv--;
	}
	struct page *p = &k->memmap[head];
	assert((p->flags & PG_head) && p->refcount == 0);
	p->refcount = 1;
	p->mapcount = 1;
	return (int64_t)head;
}

/* clear_huge_page(): every 4K part zeroed as clear_page() does, by timed
 * whole-line writes (no read for ownership; docs/cache-model.md). */
static void clear_huge(struct kmm *k, struct core *c, uint64_t head, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++) {
		paddr_t pa = (head + i) << PAGE_SHIFT;
		for (unsigned off = 0; off < PAGE_SIZE; off += 64)
			c->clock += memsys_write_line(k->ms, c->id, pa + off, MEM_KERNEL, c->clock);
		physmem_zero_frame(&k->ms->pm, head + i);
	}
}

static pte_t huge_entry(uint64_t head, const struct vma *v, bool dirty)
{
	return ((paddr_t)head << PAGE_SHIFT) | pte_prot_bits(v->prot) | PTE_PS |
	       (dirty ? PTE_D : 0);
}

/* hugetlb_wp(): a write to a write-protected huge leaf of a writable VMA. */
static enum fault_result hugetlb_wp(struct kmm *k, struct mm *mm, struct core *c,
				    struct vma *v, paddr_t slot, pte_t e, vaddr_t haddr,
				    char *why)
{
	struct hstate *h = hstate_of(k, v);
	uint64_t old = (e & PTE_ADDR_MASK) >> PAGE_SHIFT, pages = 1ull << h->order;
	struct page *op = &k->memmap[old];
	k->pgfault_wp++;
	mm->min_flt++;
	if (op->mapcount == 1) {
		kmm_write_pte(k, c, slot, e | PTE_RW | PTE_D);
		h->cow_reuse++;
		return FAULT_DONE;
	}
	int64_t pfn = dequeue(k, h, mm, v, haddr, c, false);
	if (pfn < 0) {
		k->hugetlb->sigbus++;
		errf(why, "SIGBUS: no free %s huge page to copy on write at %#llx",
		     hstate_name[h == &k->hugetlb->h[HSTATE_1G]], (unsigned long long)haddr);
		return FAULT_SIGBUS;
	}
	for (uint64_t i = 0; i < pages; i++)   /* copy_user_large_folio() */
		kmm_copy_page(k, c, (uint64_t)pfn + i, old + i);
	kmm_write_pte(k, c, slot, 0);
	flush_tlb_mm_range(k, mm, c, haddr, haddr + (pages << PAGE_SHIFT), FLUSH_COW);
	kmm_write_pte(k, c, slot, huge_entry((uint64_t)pfn, v, true));
	op->mapcount--;
	op->refcount--;
	h->cow_copy++;
	mm->cow_copies++;
	return FAULT_DONE;
}

enum fault_result hugetlb_fault(struct kmm *k, struct mm *mm, struct core *c, struct vma *v,
				vaddr_t va, uint32_t code, char *why)
{
	struct hstate *h = hstate_of(k, v);
	uint64_t pages = 1ull << h->order;
	vaddr_t haddr = va & ~((pages << PAGE_SHIFT) - 1);
	int level = (v->flags & VM_HUGE_1G) ? 3 : 2;
	paddr_t slot = pt_alloc_to(k, mm, c, va, level);   /* huge_pte_alloc() */
	if (!slot) {
		errf(why, "out of memory building page tables for %#llx", (unsigned long long)va);
		return FAULT_OOM;
	}
	pte_t e = kmm_read_pte(k, c, slot);
	if (e & PTE_P) {
		assert(e & PTE_PS);
		if ((code & PF_W) && !(e & PTE_RW))
			return hugetlb_wp(k, mm, c, v, slot, e, haddr, why);
		k->pgfault_spurious++;
		return FAULT_DONE;
	}
	/* hugetlb_no_page() */
	mm->min_flt++;
	int64_t pfn = dequeue(k, h, mm, v, haddr, c, v->flags & VM_HUGETLB_RESV);
	if (pfn < 0) {
		k->hugetlb->sigbus++;
		errf(why, "SIGBUS: no free %s huge page for a fault at %#llx",
		     hstate_name[level == 3], (unsigned long long)va);
		return FAULT_SIGBUS;
	}
	clear_huge(k, c, (uint64_t)pfn, pages);
	kmm_write_pte(k, c, slot, huge_entry((uint64_t)pfn, v, code & PF_W));
	k->memmap[slot >> PAGE_SHIFT].pt_used++;
	mm->hugetlb_pages += pages;
	h->fault_alloc++;
	return FAULT_DONE;
}

int hugetlb_populate(struct kmm *k, struct mm *mm, struct core *c, struct vma *v, vaddr_t va,
		     bool write)
{
	char why[MMSIM_ERR_LEN];
	paddr_t slot = leaf_lookup(k, mm, c, va, (v->flags & VM_HUGE_1G) ? 3 : 2);
	pte_t e = slot ? kmm_read_pte(k, c, slot) : 0;
	if ((e & PTE_P) && (!write || (e & PTE_RW)))
		return 0;
	if (hugetlb_fault(k, mm, c, v, va, PF_U | (write ? PF_W : 0), why) != FAULT_DONE)
		return -ENOMEM;
	return 1;
}

/* ---- unmap, fork, free ---- */

bool hugetlb_put_mapping(struct kmm *k, struct mm *mm, uint64_t head)
{
	struct page *p = &k->memmap[head];
	assert((p->flags & PG_head) && p->mapcount > 0);
	mm->hugetlb_pages -= 1ull << p->order;
	if (--p->mapcount > 0) {
		p->refcount--;
		return false;
	}
	return true;
}

pte_t hugetlb_copy_leaf(struct kmm *k, struct mm *child, pte_t e, bool *wp)
{
	struct page *p = &k->memmap[(e & PTE_ADDR_MASK) >> PAGE_SHIFT];
	assert((p->flags & PG_head) && p->mapcount > 0);
	if (p->mapcount++ >= 1)
		p->refcount++;
	child->hugetlb_pages += 1ull << p->order;
	*wp = e & PTE_RW;
	return e & ~(PTE_RW | PTE_A);
}

void hugetlb_free_page(struct kmm *k, uint64_t head)
{
	struct page *p = &k->memmap[head];
	assert(pfn_is_hugetlb(k, head) && (p->flags & PG_head) && p->mapcount == 0 &&
	       p->refcount == 1);
	p->refcount = 0;
	enqueue(k, &k->hugetlb->h[p->order == 18 ? HSTATE_1G : HSTATE_2M], head);
}

/* ---- --check ---- */

int hugetlb_validate(struct kmm *k, const uint32_t *maps, char *err)
{
	if (!k->hugetlb)
		return 0;
	for (int s = 0; s < HSTATES; s++) {
		const struct hstate *h = &k->hugetlb->h[s];
		uint64_t listed = 0;
		for (unsigned n = 0; n < k->nr_nodes; n++)
			for (uint32_t i = 0; i < h->nfree_node[n]; i++) {
				uint64_t head = h->free_list[n][i];
				const struct page *p = &k->memmap[head];
				if (!pfn_is_hugetlb(k, head) || !(p->flags & PG_head) ||
				    p->order != h->order || p->refcount || p->mapcount || maps[head])
					return errf(err, "kmm_validate: free %s huge page %#llx is "
						    "in use (refcount %d, mapcount %d, %u PTEs)",
						    hstate_name[s], (unsigned long long)head,
						    p->refcount, p->mapcount, maps[head]);
				listed++;
			}
		if (listed != h->free || h->resv > h->free || h->free > h->nr)
			return errf(err, "kmm_validate: %s pool: %llu pages on the free lists, "
				    "counters say total %llu free %llu reserved %llu", hstate_name[s],
				    (unsigned long long)listed, (unsigned long long)h->nr,
				    (unsigned long long)h->free, (unsigned long long)h->resv);
	}
	uint64_t heads[HSTATES] = { 0 };
	for (uint64_t pfn = 0; pfn < k->nframes; pfn++) {
		const struct page *p = &k->memmap[pfn];
		if (!pfn_is_hugetlb(k, pfn) || !(p->flags & PG_head))
			continue;
		int s = p->order == 18 ? HSTATE_1G : HSTATE_2M;
		heads[s]++;
		for (uint64_t i = 1; i < (1ull << p->order); i++)
			if (k->memmap[pfn + i].flags != (PG_hugetlb | PG_tail) ||
			    k->memmap[pfn + i].private != pfn)
				return errf(err, "kmm_validate: pfn %#llx of the huge page at %#llx "
					    "is not its tail", (unsigned long long)(pfn + i),
					    (unsigned long long)pfn);
		if (p->refcount && ((uint32_t)p->mapcount != maps[pfn] ||
				    p->refcount != (p->mapcount > 1 ? p->mapcount : 1)))
			return errf(err, "kmm_validate: huge page %#llx has mapcount %d refcount %d "
				    "but %u entries map it", (unsigned long long)pfn, p->mapcount,
				    p->refcount, maps[pfn]);
		pfn += (1ull << p->order) - 1;
	}
	for (int s = 0; s < HSTATES; s++)
		if (heads[s] != k->hugetlb->h[s].nr)
			return errf(err, "kmm_validate: %llu %s huge pages in memory, the pool "
				    "counts %llu", (unsigned long long)heads[s], hstate_name[s],
				    (unsigned long long)k->hugetlb->h[s].nr);
	return 0;
}
