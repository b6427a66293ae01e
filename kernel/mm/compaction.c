/* Memory compaction, after Linux mm/compaction.c and mm/migrate.c.
 *
 * Modelled: compact_zone() runs a migrate scanner upward from the zone's
 * first pageblock and a free scanner downward from its last one, a
 * pageblock at a time, until they meet or compact_finished() sees a free
 * block of the wanted order (checked at pageblock boundaries). The migrate
 * scanner collects movable pages: mapped anonymous order-0 pages whose only
 * references are their mappings (refcount == mapcount). The free scanner
 * takes every free block of a pageblock it may fill (suitable_migration_-
 * target(): a MOVABLE or CMA pageblock that is not itself one free block of
 * pageblock order or more), while the zone stays above min + the block
 * (__isolate_free_page()). Each page is migrated (migrate_page()): its bytes
 * are copied line by line through the compacting core, every PTE found by
 * rmap_walk() is pointed at the new frame and flushed with
 * flush_tlb_mm_range() (cause "migrate"), the struct page state moves, and
 * the old frame goes back to the buddy lists, where it merges. Free frames
 * isolated but not used go back at the end. The zone's pcp lists are
 * drained first so that their frames can merge.
 *
 * Triggers: direct compaction when an order > 0 allocation that may sleep
 * fails (__alloc_pages_direct_compact(), after compaction_suitable(): the
 * zone must be above low + 2 << order for order 0), the `compact` trace op
 * (all zones, as writing /proc/sys/vm/compact_memory), and proactive
 * compaction (fragmentation score, kernel.compaction_proactiveness).
 *
 * Simplified: only synchronous full scans (no async mode, no skip bits, no
 * deferral, no capture); pages with extra references are skipped; LRU
 * pages leave their list for the copy and the new page takes their place
 * (isolate/putback); scanning is not charged, each migrated page costs
 * kernel.cost.compact_page plus its copy and PTE traffic.
 *
 * Compound pages (THP) are skipped, as Linux does: isolate_migratepages_-
 * block() steps over them unless called for alloc_contig_range(), and even
 * since 6.9 (large-folio compaction) skip_isolation_on_order() skips every
 * folio of pageblock order or more (docs/phys-mm.md). */
#include "kernel/mm/compaction.h"
#include "kernel/mm/kmm.h"
#include "kernel/mm/rmap.h"
#include "kernel/mm/filemap.h"
#include "kernel/mm/vmscan.h"

#include <assert.h>
#include <stdlib.h>
#include "lib/config.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"

#define PB_MASK ((uint64_t)PAGEBLOCK_NR_PAGES - 1)

struct compact_control {
	struct zone *z;
	int order, mt, highest_zoneidx;
	int score_target;         /* proactive: stop at this score; -1: unused */
	uint64_t migrate_pfn;     /* next pageblock the migrate scanner takes */
	uint64_t free_pfn;        /* next pageblock the free scanner takes */
	uint64_t free_low;        /* lowest pageblock the free scanner has taken */
	uint64_t freepages[PAGEBLOCK_NR_PAGES]; /* isolated free frames */
	unsigned nfree;
};

/* ---- migration ---- */

struct remap_arg {
	struct core *c;
	uint64_t src, dst;
	int n;
};

/* remove_migration_pte(), in one step: point one PTE at the new frame
 * (keeping its bits) and flush the old translation. */
static bool remap_one(struct kmm *k, struct mm *mm, vaddr_t va, paddr_t pte_pa, void *arg)
{
	struct remap_arg *a = arg;
	pte_t e = kmm_read_pte(k, a->c, pte_pa);

	assert(((e & PTE_ADDR_MASK) >> PAGE_SHIFT) == a->src && !(e & PTE_PS));
	kmm_write_pte(k, a->c, pte_pa, (e & ~PTE_ADDR_MASK) | (a->dst << PAGE_SHIFT));
	flush_tlb_mm_range(k, mm, a->c, va, va + PAGE_SIZE, FLUSH_MIGRATE);
	a->n++;
	return true;
}

bool page_migratable(const struct page *p)
{
	if ((p->flags & PG_STATE_MASK) == PG_file)   /* a page-cache page: the cache's
						      * reference and one per PTE */
		return !(p->flags & (PG_head | PG_tail | PG_mlocked | PG_writeback)) &&
		       p->mapping != 0 && p->refcount == 1 + p->mapcount;
	return (p->flags & PG_STATE_MASK) == PG_anon &&
	       !(p->flags & (PG_head | PG_tail | PG_mlocked | PG_swapcache | PG_writeback)) &&
	       p->mapcount > 0 && p->refcount == p->mapcount && p->mapping != 0;
}

bool migrate_page(struct kmm *k, struct core *c, uint64_t src, uint64_t dst)
{
	struct page *s = &k->memmap[src], *d = &k->memmap[dst];

	bool file = (s->flags & PG_STATE_MASK) == PG_file;
	if (!page_migratable(s) || (file && !filemap_can_migrate(k, c, src)))
		return false;
	assert(d->flags == 0 && d->refcount == 0 && d->mapcount == 0);
	bool on_lru = s->flags & PG_lru;
	kmm_lru_del(k, src);             /* isolate_migratepages(): off the LRU */
	kmm_copy_page(k, c, dst, src);   /* migrate_folio(): copy the contents */
	/* the new frame takes over the old one's identity, so that rmap finds it */
	d->flags = s->flags;
	d->refcount = s->refcount;
	d->mapcount = s->mapcount;
	d->mapping = s->mapping;
	d->index = s->index;
	d->private = s->private;
	d->order = 0;
	struct remap_arg a = { c, src, dst, 0 };
	rmap_walk(k, src, remap_one, &a);
	if (a.n != s->mapcount) {
		fprintf(stderr, "migrate_page: pfn %llu has mapcount %d but rmap found %d PTEs\n",
			(unsigned long long)src, s->mapcount, a.n);
		abort();
	}
	if (file)
		filemap_replace_page(k, src, dst);   /* the index names the new frame */
	c->clock += k->cfg->kernel.cost.compact_page;
	s->flags = 0;
	s->refcount = 0;
	s->mapcount = 0;
	s->mapping = 0;
	s->index = 0;
	s->private = 0;
	if (on_lru)
		kmm_lru_putback(k, dst);  /* the new page where the old one was listed */
	physmem_zero_frame(&k->ms->pm, src);   /* give the host buffer back */
	buddy_free(page_zone(k, src), src, 0);
	return true;
}

/* ---- scanners ---- */

/* suitable_migration_target(). */
static bool suitable_migration_target(const struct zone *z, uint64_t pfn)
{
	const struct page *p = &z->memmap[pfn];
	int mt;

	if ((p->flags & PG_buddy) && p->order >= PAGEBLOCK_ORDER)
		return false;  /* do not split a free block that is already large */
	for (unsigned o = PAGEBLOCK_ORDER + 1; o < z->max_order; o++) {
		uint64_t head = pfn & ~((1ull << o) - 1);   /* inside a larger free block? */
		if (head >= z->start_pfn && (z->memmap[head].flags & PG_buddy) &&
		    z->memmap[head].order >= o)
			return false;
	}
	mt = get_pageblock_migratetype(z, pfn);
	return mt == MIGRATE_MOVABLE || mt == MIGRATE_CMA;
}

/* isolate_freepages(): fill cc->freepages from the next pageblock(s) down,
 * never at or below the migrate scanner's pageblock. */
static void isolate_freepages(struct kmm *k, struct compact_control *cc)
{
	struct zone *z = cc->z;

	while (cc->nfree == 0 && cc->free_pfn > cc->migrate_pfn) {
		uint64_t block = cc->free_pfn;
		uint64_t start = block < z->start_pfn ? z->start_pfn : block;
		uint64_t end = block + PAGEBLOCK_NR_PAGES < z->end_pfn ?
			       block + PAGEBLOCK_NR_PAGES : z->end_pfn;

		cc->free_low = block;
		cc->free_pfn = block - PAGEBLOCK_NR_PAGES;
		if (!suitable_migration_target(z, start))
			continue;
		for (uint64_t pfn = start; pfn < end;) {
			const struct page *p = &z->memmap[pfn];

			k->pa.compact_free_scanned++;
			if (!(p->flags & PG_buddy)) {
				pfn++;
				continue;
			}
			unsigned order = p->order;
			if (!zone_watermark_ok(z, 0, z->watermark[WMARK_MIN] + (1ull << order), 0,
					       ALLOC_CMA))
				return;
			buddy_isolate_free_block(z, pfn);
			for (uint64_t i = 0; i < (1ull << order); i++)
				cc->freepages[cc->nfree++] = pfn + i;
			k->pa.compact_isolated += 1ull << order;
			pfn += 1ull << order;
		}
		/* hand out the lowest frames first, as compaction_alloc() */
		for (unsigned i = 0; i < cc->nfree / 2; i++) {
			uint64_t t = cc->freepages[i];
			cc->freepages[i] = cc->freepages[cc->nfree - 1 - i];
			cc->freepages[cc->nfree - 1 - i] = t;
		}
	}
}

static void release_freepages(struct compact_control *cc)
{
	while (cc->nfree)
		buddy_free(cc->z, cc->freepages[--cc->nfree], 0);
}

/* Is a block of at least order free for mt (its own list, CMA for movable,
 * or a list it may steal whole from)? As __compact_finished(). */
static bool free_block_for(const struct zone *z, int order, int mt)
{
	for (unsigned o = (unsigned)order; o < z->max_order; o++) {
		const struct free_area *area = &z->free_area[o];

		if (area->head[mt] != PFN_NONE)
			return true;
		if (mt == MIGRATE_MOVABLE && area->head[MIGRATE_CMA] != PFN_NONE)
			return true;
		if (o >= PAGEBLOCK_ORDER || o >= PAGEBLOCK_ORDER / 2 || mt != MIGRATE_MOVABLE)
			for (int f = 0; f < MIGRATE_PCPTYPES; f++)
				if (f != mt && area->head[f] != PFN_NONE)
					return true;
	}
	return false;
}

static bool compact_finished(const struct compact_control *cc)
{
	if (cc->score_target >= 0)
		return fragmentation_score_zone(cc->z) <= (unsigned)cc->score_target;
	if (cc->order < 0)
		return false;
	return free_block_for(cc->z, cc->order, cc->mt) &&
	       zone_watermark_ok(cc->z, (unsigned)cc->order, cc->z->watermark[WMARK_LOW],
				 cc->highest_zoneidx, ALLOC_CMA);
}

/* One pageblock of the migrate scanner: migrate every movable page in it.
 * False when the free scanner has nothing left to give. *next: where the
 * scan stopped (past the pageblock when a free block reaches beyond it). */
static bool migrate_block(struct kmm *k, struct core *c, struct compact_control *cc,
			  uint64_t *next)
{
	struct zone *z = cc->z;
	uint64_t block = cc->migrate_pfn;
	uint64_t start = block < z->start_pfn ? z->start_pfn : block;
	uint64_t end = block + PAGEBLOCK_NR_PAGES < z->end_pfn ? block + PAGEBLOCK_NR_PAGES :
							       z->end_pfn;
	uint64_t pfn;

	for (pfn = start; pfn < end;) {
		const struct page *p = &z->memmap[pfn];

		k->pa.compact_migrate_scanned++;
		if (p->flags & PG_buddy) {
			pfn += 1ull << p->order;
			continue;
		}
		if (!page_migratable(p)) {
			pfn++;
			continue;
		}
		isolate_freepages(k, cc);
		if (cc->nfree == 0) {
			*next = pfn;
			return false;
		}
		uint64_t dst = cc->freepages[--cc->nfree];
		if (migrate_page(k, c, pfn, dst)) {
			k->pa.pgmigrate_success++;
		} else {
			k->pa.pgmigrate_fail++;
			cc->freepages[cc->nfree++] = dst;
		}
		pfn++;
	}
	*next = pfn;
	return true;
}

static enum compact_result compact_zone_cc(struct kmm *k, struct core *c,
					   struct compact_control *cc)
{
	struct zone *z = cc->z;
	enum compact_result ret = COMPACT_COMPLETE;

	if (!z->managed_pages)
		return COMPACT_SKIPPED;
	k->pa.compact_run++;
	drain_zone_pages(k, z);
	cc->migrate_pfn = z->start_pfn & ~PB_MASK;
	cc->free_pfn = (z->end_pfn - 1) & ~PB_MASK;
	cc->free_low = cc->free_pfn + PAGEBLOCK_NR_PAGES;
	cc->nfree = 0;
	while (cc->migrate_pfn < cc->free_low) {
		if (compact_finished(cc)) {
			ret = COMPACT_SUCCESS;
			break;
		}
		uint64_t next;
		if (!migrate_block(k, c, cc, &next))
			break;
		cc->migrate_pfn += PAGEBLOCK_NR_PAGES;
		if (next > cc->migrate_pfn)   /* skip the rest of a large free block */
			cc->migrate_pfn = (next + PB_MASK) & ~PB_MASK;
	}
	release_freepages(cc);
	if (ret != COMPACT_SUCCESS && compact_finished(cc))
		ret = COMPACT_SUCCESS;
	return ret;
}

enum compact_result compact_zone(struct kmm *k, struct core *c, struct zone *z, int order,
				 int mt, int highest_zoneidx)
{
	struct compact_control *cc = calloc(1, sizeof(*cc));
	enum compact_result ret;

	if (!cc)
		abort();
	*cc = (struct compact_control){ .z = z, .order = order, .mt = mt,
					.highest_zoneidx = highest_zoneidx, .score_target = -1 };
	if (order >= 0) {
		/* compaction_suitable(): enough free frames to be worth it */
		if (!zone_watermark_ok(z, 0, z->watermark[WMARK_LOW] + (2ull << order),
				       highest_zoneidx, ALLOC_CMA)) {
			free(cc);
			return COMPACT_SKIPPED;
		}
	}
	ret = compact_zone_cc(k, c, cc);
	free(cc);
	return ret;
}

void compact_nodes(struct kmm *k, struct core *c, int nid)
{
	for (unsigned n = 0; n < k->nr_nodes; n++)
		if (nid < 0 || (unsigned)nid == n)
			for (int i = 0; i < MAX_NR_ZONES; i++)
				compact_zone(k, c, &k->node[n].zones[i], -1, MIGRATE_MOVABLE, i);
}

int64_t try_to_compact_pages(struct kmm *k, struct core *c, const struct alloc_context *ac,
			     unsigned order, unsigned alloc_flags)
{
	for (struct zone *const *zp = ac->zonelist; *zp; zp++) {
		if ((int)(*zp)->idx > ac->highest_zoneidx)
			continue;
		if (compact_zone(k, c, *zp, (int)order, ac->migratetype, ac->highest_zoneidx) ==
		    COMPACT_SKIPPED)
			continue;
		int64_t pfn = get_page_from_freelist(k, c, ac, order, alloc_flags);
		if (pfn >= 0)
			return pfn;
	}
	return -1;
}

unsigned fragmentation_score_zone(const struct zone *z)
{
	uint64_t big = 0;

	if (!z->free_pages)
		return 0;
	for (unsigned o = PAGEBLOCK_ORDER; o < z->max_order; o++)
		big += z->free_area[o].nr_free << o;
	return (unsigned)((z->free_pages - big) * 100 / z->free_pages);
}

void compact_proactive(struct kmm *k, struct core *c, struct zone *z)
{
	unsigned p = k->cfg->kernel.compaction_proactiveness;
	unsigned low = 100 - p < 5 ? 5 : 100 - p;
	unsigned high = low + 10 > 100 ? 100 : low + 10;

	if (!p || !z->managed_pages || z->frees < z->compact_retry_frees ||
	    fragmentation_score_zone(z) <= high)
		return;
	/* kcompactd looks again only after a while (here: frees) */
	z->compact_retry_frees = z->frees + PAGEBLOCK_NR_PAGES;
	struct compact_control *cc = calloc(1, sizeof(*cc));
	if (!cc)
		abort();
	*cc = (struct compact_control){ .z = z, .order = -1, .mt = MIGRATE_MOVABLE,
					.highest_zoneidx = z->idx, .score_target = (int)low };
	k->pa.compact_proactive++;
	compact_zone_cc(k, c, cc);
	free(cc);
}
