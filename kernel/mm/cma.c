/* The Contiguous Memory Allocator, after Linux mm/cma.c and
 * alloc_contig_range() (mm/page_alloc.c, mm/page_isolation.c).
 *
 * Boot (cma_declare(), as cma_declare_contiguous_nid() + cma_activate_area()):
 * kernel.cma bytes, rounded up to whole pageblocks, at the top of
 * kernel.cma_node's highest populated non-movable zone, in a run that meets
 * no hole or reserved range; its pageblocks are MIGRATE_CMA before the frames
 * are freed, so every free block there sits on the CMA lists. Movable
 * allocations may borrow them (ALLOC_CMA, buddy.c); nothing else may.
 *
 * cma_alloc(): the first run of `count` frames not held by an earlier
 * cma_alloc (a byte per frame, as cma->bitmap), aligned to 2^align frames,
 * for which alloc_contig_range() succeeds; on failure the next aligned run
 * is tried, as __cma_alloc() does. alloc_contig_range():
 *   1. start_isolate_page_range(): every pageblock of the range, widened to
 *      the largest buddy block (2^(max_order-1) frames) so that no free block
 *      straddles its ends, becomes MIGRATE_ISOLATE and its free blocks move
 *      to the ISOLATE lists, where no allocation looks; per-cpu lists are
 *      drained so that their frames join them.
 *   2. __alloc_contig_migrate_range(): every page of the range still in use
 *      is migrated (migrate_page(), compaction.c: copy, rmap remap, TLB
 *      flush) to a frame from the ordinary allocator (alloc_migration_target()
 *      with GFP_HIGHUSER_MOVABLE, on the area's node); the old frame is freed
 *      onto the ISOLATE lists. A PMD-mapped THP moves whole to an order-9
 *      block (GFP_TRANSHUGE_LIGHT): its 512 frames copied, every PMD
 *      repointed and its 2M translation flushed (migrate_huge_page(); Linux's
 *      compaction skips compound pages, alloc_contig_range() does not). A
 *      page that cannot move (not a mapped anonymous or page-cache page, or
 *      pinned) fails the attempt.
 *   3. isolate_freepages_range(): every free block covering the range leaves
 *      the lists; the pageblocks get their type back
 *      (undo_isolate_page_range()); frames of those blocks outside the range
 *      go back to the lists.
 * cma_release(): the frames go back to the buddy lists (free_contig_range())
 * and the bitmap is cleared.
 *
 * Simplified: one area; no retries of a busy page (Linux retries -EBUSY
 * several times); a THP without an order-9 target fails the run (Linux
 * would split it and move the parts); the work is charged as the
 * migrations' copies and PTE traffic plus kernel.cost.page_alloc per attempt
 * and kernel.cost.pcp_page per frame taken. */
#include "kernel/mm/cma.h"
#include "kernel/mm/compaction.h"
#include "kernel/mm/kmm.h"
#include "kernel/mm/rmap.h"
#include "kernel/mm/thp.h"
#include "kernel/mm/vmscan.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "lib/config.h"
#include "lib/jsonutil.h"
#include "lib/stats.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"

#define PB_MASK ((uint64_t)PAGEBLOCK_NR_PAGES - 1)

struct cma *cma_declare(struct kmm *k)
{
	uint64_t pages = ((k->cfg->kernel.cma >> PAGE_SHIFT) + PB_MASK) & ~PB_MASK;
	unsigned nid = k->cfg->kernel.cma_node;
	struct zone *z = NULL;

	if (!pages || nid >= k->nr_nodes)
		return NULL;
	for (int i = ZONE_NORMAL; i >= ZONE_DMA && !z; i--)
		if (k->node[nid].zones[i].spanned_pages)
			z = &k->node[nid].zones[i];
	if (!z)
		return NULL;
	/* the highest run of `pages` frames of whole pageblocks inside the
	 * zone that meets no hole or reserved range (memblock's top-down
	 * allocation of the area) */
	uint64_t floor = (z->start_pfn + PB_MASK) & ~PB_MASK;
	uint64_t end = z->end_pfn & ~PB_MASK, run_end = end;
	for (uint64_t pb = end; pb > floor; pb -= PAGEBLOCK_NR_PAGES) {
		uint64_t s = pb - PAGEBLOCK_NR_PAGES;

		if (memblock_overlaps(&k->memblock, s, pb)) {
			run_end = s;
			continue;
		}
		if (run_end - s >= pages) {
			struct cma *cma = calloc(1, sizeof(*cma));

			if (!cma)
				abort();
			cma->z = z;
			cma->base_pfn = s;
			cma->count = cma->pages = pages;
			cma->bitmap = calloc(pages, 1);
			if (!cma->bitmap)
				abort();
			for (uint64_t p = s; p < s + pages; p += PAGEBLOCK_NR_PAGES)
				set_pageblock_migratetype(z, p, MIGRATE_CMA);
			return cma;
		}
	}
	return NULL;
}

void cma_destroy(struct cma *cma)
{
	if (!cma)
		return;
	free(cma->bitmap);
	free(cma);
}

void cma_register_stats(struct cma *cma, struct stats *st)
{
	stats_add(st, &cma->pages, "mm.cma.pages");
	stats_add(st, &cma->used, "mm.cma.used");
	stats_add(st, &cma->alloc_success, "mm.cma.alloc_success");
	stats_add(st, &cma->alloc_fail, "mm.cma.alloc_fail");
	stats_add(st, &cma->release, "mm.cma.release");
	stats_add(st, &cma->migrated, "mm.cma.migrated");
	stats_add(st, &cma->migrated_thp, "mm.cma.migrated_thp");
	stats_add(st, &cma->migrate_fail, "mm.cma.migrate_fail");
}

/* The pageblocks alloc_contig_range() isolates for [start, end): widened to
 * the largest buddy block, inside the zone's whole pageblocks. */
static void isolate_span(const struct zone *z, uint64_t start, uint64_t end, uint64_t *is,
			 uint64_t *ie)
{
	uint64_t big = 1ull << (z->max_order - 1);
	uint64_t align = big > PAGEBLOCK_NR_PAGES ? big : PAGEBLOCK_NR_PAGES;
	uint64_t lo = (z->start_pfn + PB_MASK) & ~PB_MASK, hi = z->end_pfn & ~PB_MASK;

	*is = start & ~(align - 1);
	*ie = (end + align - 1) & ~(align - 1);
	if (*is < lo)
		*is = lo;
	if (*ie > hi)
		*ie = hi;
}

/* ---- THP migration (migrate_pages() of a PMD-mapped anonymous folio) ---- */

/* May this order-9 compound page move? Anonymous, mapped by PMDs only (a
 * THP here is never mapped by PTEs: a split makes ordinary pages), no
 * references besides its mappings, not mlocked. */
static bool thp_migratable(const struct page *h)
{
	return (h->flags & PG_STATE_MASK) == PG_anon && (h->flags & PG_head) &&
	       h->order == HPAGE_PMD_ORDER &&
	       !(h->flags & (PG_mlocked | PG_swapcache | PG_writeback)) &&
	       h->mapcount > 0 && h->refcount == h->mapcount && h->mapping != 0;
}

struct remap_pmd_arg {
	struct core *c;
	uint64_t src, dst;
	int n;
};

/* remove_migration_pmd(): point one huge PMD at the new folio, keeping its
 * bits, and flush the 2M translation. */
static bool remap_pmd(struct kmm *k, struct mm *mm, vaddr_t va, paddr_t pmd_pa, void *arg)
{
	struct remap_pmd_arg *a = arg;
	pte_t e = kmm_read_pte(k, a->c, pmd_pa);

	assert((e & PTE_PS) && ((e & PTE_ADDR_MASK) >> PAGE_SHIFT) == a->src);
	kmm_write_pte(k, a->c, pmd_pa, (e & ~PTE_ADDR_MASK) | (a->dst << PAGE_SHIFT));
	va &= HPAGE_PMD_MASK;
	flush_tlb_mm_range(k, mm, a->c, va, va + HPAGE_PMD_SIZE, FLUSH_MIGRATE);
	a->n++;
	return true;
}

/* Move the THP headed at src to the free order-9 block at dst (every frame
 * flags 0, refcount 0): copy its 512 frames through core c, repoint every
 * PMD that maps it, move its struct page state (the tails naming the new
 * head) and its LRU place, and free src to the buddy lists. */
static bool migrate_huge_page(struct kmm *k, struct core *c, uint64_t src, uint64_t dst)
{
	struct page *h = &k->memmap[src];

	if (!thp_migratable(h))
		return false;
	bool on_lru = h->flags & PG_lru;
	kmm_lru_del(k, src);
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
		struct page *s = &k->memmap[src + i], *d = &k->memmap[dst + i];

		assert(d->flags == 0 && d->refcount == 0 && d->mapcount == 0);
		kmm_copy_page(k, c, dst + i, src + i);
		*d = *s;
		d->next = d->prev = PFN_NONE;
		if (i)
			d->private = (uint32_t)dst;
	}
	struct remap_pmd_arg a = { c, src, dst, 0 };
	rmap_walk(k, src, remap_pmd, &a);
	if (a.n != h->mapcount) {
		fprintf(stderr, "migrate_huge_page: pfn %llu has mapcount %d but rmap found %d "
			"PMDs\n", (unsigned long long)src, h->mapcount, a.n);
		abort();
	}
	c->clock += k->cfg->kernel.cost.compact_page;
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
		k->memmap[src + i] = (struct page){ .next = PFN_NONE, .prev = PFN_NONE };
		physmem_zero_frame(&k->ms->pm, src + i);
	}
	if (on_lru)
		kmm_lru_putback(k, dst);
	buddy_free(page_zone(k, src), src, HPAGE_PMD_ORDER);
	return true;
}

static void count_fail(struct kmm *k)
{
	k->pa.pgmigrate_fail++;
	if (k->cma)
		k->cma->migrate_fail++;
}

/* alloc_migration_target() for a THP: an order-9 block, made plain free
 * frames for migrate_huge_page(). -1 when there is none. */
static int64_t thp_target(struct kmm *k, struct core *c, int nid)
{
	int64_t dst = kmm_alloc_pages_mask(k, c, nid, 0, false, GFP_TRANSHUGE_LIGHT,
					   HPAGE_PMD_ORDER, 0);

	for (unsigned i = 0; dst >= 0 && i < HPAGE_PMD_NR; i++)
		k->memmap[dst + i] = (struct page){ .next = PFN_NONE, .prev = PFN_NONE };
	return dst;
}

/* One THP of the range (head at or before pfn): migrated, or false. */
static bool migrate_thp_of(struct kmm *k, struct core *c, struct zone *z, uint64_t head)
{
	if (!thp_migratable(&k->memmap[head])) {
		count_fail(k);
		return false;
	}
	int64_t dst = thp_target(k, c, z->node);
	if (dst < 0) {
		count_fail(k);
		return false;
	}
	if (!migrate_huge_page(k, c, head, (uint64_t)dst)) {
		buddy_free(page_zone(k, (uint64_t)dst), (uint64_t)dst, HPAGE_PMD_ORDER);
		count_fail(k);
		return false;
	}
	k->pa.pgmigrate_success += HPAGE_PMD_NR;
	if (k->cma) {
		k->cma->migrated += HPAGE_PMD_NR;
		k->cma->migrated_thp++;
	}
	return true;
}

/* __alloc_contig_migrate_range(): move every page in use out of
 * [start, end). False when one cannot move. */
static bool migrate_range(struct kmm *k, struct core *c, struct zone *z, uint64_t start,
			  uint64_t end)
{
	for (uint64_t pfn = start; pfn < end;) {
		int64_t head = buddy_free_head_of(z, pfn);

		if (head >= 0) {
			pfn = (uint64_t)head + (1ull << z->memmap[head].order);
			continue;
		}
		const struct page *p = &z->memmap[pfn];
		if ((p->flags & (PG_head | PG_tail)) && (p->flags & PG_STATE_MASK) == PG_anon) {
			/* a THP: migrated whole, as alloc_contig_range() does
			 * (cc->alloc_contig lets compound pages through) */
			uint64_t h = (p->flags & PG_tail) ? p->private : pfn;
			if (!migrate_thp_of(k, c, z, h))
				return false;
			pfn = h + HPAGE_PMD_NR;
			continue;
		}
		if (!page_migratable(&z->memmap[pfn])) {
			k->pa.pgmigrate_fail++;
			if (k->cma)
				k->cma->migrate_fail++;
			return false;
		}
		/* alloc_migration_target() */
		int64_t dst = kmm_alloc_pages_mask(k, c, z->node, 0, false,
						   GFP_HIGHUSER_MOVABLE | __GFP_RETRY_MAYFAIL, 0, 0);
		if (dst < 0) {
			k->pa.pgmigrate_fail++;
			if (k->cma)
				k->cma->migrate_fail++;
			return false;
		}
		struct page *d = &k->memmap[dst];
		d->flags = 0;
		d->refcount = 0;
		if (!migrate_page(k, c, pfn, (uint64_t)dst)) {
			buddy_free(page_zone(k, (uint64_t)dst), (uint64_t)dst, 0);
			k->pa.pgmigrate_fail++;
			if (k->cma)
				k->cma->migrate_fail++;
			return false;
		}
		k->pa.pgmigrate_success++;
		if (k->cma)
			k->cma->migrated++;
		pfn++;
	}
	return true;
}

bool alloc_contig_range(struct kmm *k, struct core *c, struct zone *z, uint64_t start,
			uint64_t end)
{
	uint64_t is, ie, npb;

	assert(start < end && start >= z->start_pfn && end <= z->end_pfn);
	isolate_span(z, start, end, &is, &ie);
	assert(is <= start && ie >= end);
	npb = (ie - is) >> PAGEBLOCK_ORDER;
	uint8_t *saved = malloc(npb);
	if (!saved)
		abort();
	c->clock += k->cfg->kernel.cost.page_alloc;
	for (uint64_t i = 0; i < npb; i++)
		saved[i] = (uint8_t)set_migratetype_isolate(z, is + (i << PAGEBLOCK_ORDER));
	drain_zone_pages(k, z);

	bool ok = migrate_range(k, c, z, start, end);
	uint64_t outer_start = start, outer_end = end;
	if (ok) {
		/* isolate_freepages_range(): every frame is free now */
		for (uint64_t pfn = start; pfn < end;) {
			int64_t head = buddy_free_head_of(z, pfn);

			assert(head >= 0);
			unsigned order = buddy_isolate_free_block(z, (uint64_t)head);
			if ((uint64_t)head < outer_start)
				outer_start = (uint64_t)head;
			pfn = (uint64_t)head + (1ull << order);
			if (pfn > outer_end)
				outer_end = pfn;
		}
	}
	for (uint64_t i = 0; i < npb; i++)   /* undo_isolate_page_range() */
		unset_migratetype_isolate(z, is + (i << PAGEBLOCK_ORDER), saved[i]);
	free(saved);
	if (!ok)
		return false;
	/* the parts of the taken blocks outside the range go back */
	for (uint64_t pfn = outer_start; pfn < start; pfn++)
		buddy_free(z, pfn, 0);
	for (uint64_t pfn = end; pfn < outer_end; pfn++)
		buddy_free(z, pfn, 0);
	for (uint64_t pfn = start; pfn < end; pfn++) {
		struct page *p = &k->memmap[pfn];

		*p = (struct page){ .flags = PG_kernel, .refcount = 1,
				    .next = PFN_NONE, .prev = PFN_NONE };
	}
	c->clock += (end - start) * k->cfg->kernel.cost.pcp_page;
	return true;
}

static bool run_free(const struct cma *cma, uint64_t off, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++)
		if (cma->bitmap[off + i])
			return false;
	return true;
}

int64_t cma_alloc(struct kmm *k, struct core *c, uint64_t count, unsigned align)
{
	struct cma *cma = k->cma;
	uint64_t step = 1ull << align;

	if (!cma || !count || count > cma->count) {
		if (cma)
			cma->alloc_fail++;
		return -1;
	}
	/* offsets whose PFN is aligned to 2^align */
	uint64_t first = ((cma->base_pfn + step - 1) & ~(step - 1)) - cma->base_pfn;
	for (uint64_t off = first; off + count <= cma->count; off += step) {
		if (!run_free(cma, off, count))
			continue;
		uint64_t pfn = cma->base_pfn + off;
		if (!alloc_contig_range(k, c, cma->z, pfn, pfn + count))
			continue;
		memset(cma->bitmap + off, 1, count);
		cma->used += count;
		cma->alloc_success++;
		k->pgalloc += count;
		return (int64_t)pfn;
	}
	cma->alloc_fail++;
	return -1;
}

bool cma_release(struct kmm *k, struct core *c, uint64_t pfn, uint64_t count)
{
	struct cma *cma = k->cma;

	if (!cma || pfn < cma->base_pfn || count == 0 || pfn + count > cma_end_pfn(cma))
		return false;
	uint64_t off = pfn - cma->base_pfn;
	for (uint64_t i = 0; i < count; i++)
		if (!cma->bitmap[off + i] || k->memmap[pfn + i].refcount != 1)
			return false;
	c->clock += k->cfg->kernel.cost.page_free + count * k->cfg->kernel.cost.pcp_page;
	for (uint64_t i = 0; i < count; i++) {   /* free_contig_range() */
		struct page *p = &k->memmap[pfn + i];

		p->flags = 0;
		p->refcount = 0;
		p->mapping = 0;
		p->private = 0;
		buddy_free(cma->z, pfn + i, 0);
	}
	memset(cma->bitmap + off, 0, count);
	cma->used -= count;
	cma->release++;
	k->pgfree += count;
	return true;
}

int cma_validate(const struct kmm *k, char *err)
{
	const struct cma *cma = k->cma;
	uint64_t used = 0;

	for (unsigned n = 0; n < k->nr_nodes; n++)
		for (int i = 0; i < MAX_NR_ZONES; i++)
			if (k->node[n].zones[i].nr_pageblock_mt[MIGRATE_ISOLATE])
				return errf(err, "cma_validate: node %u zone %s has an isolated "
					    "pageblock outside alloc_contig_range()", n,
					    k->node[n].zones[i].name);
	if (!cma)
		return 0;
	for (uint64_t p = cma->base_pfn; p < cma_end_pfn(cma); p += PAGEBLOCK_NR_PAGES)
		if (get_pageblock_migratetype(cma->z, p) != MIGRATE_CMA)
			return errf(err, "cma_validate: pageblock at pfn %llu of the CMA area is "
				    "%s", (unsigned long long)p,
				    migratetype_names[get_pageblock_migratetype(cma->z, p)]);
	for (uint64_t i = 0; i < cma->count; i++) {
		const struct page *p = &k->memmap[cma->base_pfn + i];

		if (!cma->bitmap[i])
			continue;
		used++;
		if (p->refcount != 1 || (p->flags & (PG_buddy | PG_reserved)))
			return errf(err, "cma_validate: pfn %llu is held by cma_alloc but has "
				    "flags 0x%x, refcount %d", (unsigned long long)(cma->base_pfn + i),
				    p->flags, p->refcount);
	}
	if (used != cma->used)
		return errf(err, "cma_validate: %llu frames held, the counter says %llu",
			    (unsigned long long)used, (unsigned long long)cma->used);
	return 0;
}
