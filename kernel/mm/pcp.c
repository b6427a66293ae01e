/* Per-CPU page lists (Linux's struct per_cpu_pages, mm/page_alloc.c).
 *
 * Each core keeps, per zone, lists of free order-0 frames, one per PCP
 * migratetype (UNMOVABLE, MOVABLE, RECLAIMABLE), linked through page
 * next/prev. An order-0 allocation takes the newest frame of its type
 * (rmqueue_pcplist()); an empty list is refilled with `batch` frames from
 * the buddy lists in one zone-locked pass (rmqueue_bulk()). A free puts the
 * frame at the head of the list of its pageblock's type (free_unref_page();
 * HIGHATOMIC and CMA frames go on the MOVABLE list but keep their type for
 * the way back, ISOLATE frames skip the list); once a core holds `high`
 * frames, `batch` of the coldest go back to the buddy lists
 * (free_pcppages_bulk()). batch is zone_batchsize(): a quarter of
 * managed/1024 capped at 256/4, rounded to 2^n - 1; high is 6 x batch, as
 * Linux 5.x set them; kernel.pcp.{high,batch} override both.
 *
 * Frames on a pcp list are free (flags 0, refcount 0) but are not on the
 * buddy lists, so they neither merge nor count in the zone's free_pages
 * (z->pcp_pages counts them), as NR_FREE_PAGES in Linux. Their .private
 * holds the migratetype they will be freed back as.
 *
 * Simplified: a drain takes one frame from each non-empty list in turn
 * instead of Linux's batch_free runs; no high-order pcp lists (Linux 5.13+
 * caches orders up to 3); no adaptive high (Linux 6.x). Costs are charged by
 * page.c: kernel.cost.pcp_alloc / pcp_free per call, kernel.cost.page_alloc
 * / page_free once per zone-locked refill or drain, kernel.cost.pcp_page per
 * frame moved. */
#include "kernel/mm/kmm.h"

#include <assert.h>
#include <stdlib.h>
#include "lib/config.h"
#include "lib/jsonutil.h"

/* zone_batchsize() of Linux 5.x. */
static uint32_t zone_batchsize(const struct zone *z)
{
	uint64_t batch = z->managed_pages >> 10;
	uint64_t p = 1;

	if (batch > (1024 * 1024) / PAGE_SIZE)
		batch = (1024 * 1024) / PAGE_SIZE;
	batch /= 4;
	if (batch < 1)
		batch = 1;
	batch += batch / 2;
	while (p * 2 <= batch)   /* rounddown_pow_of_two */
		p *= 2;
	return p - 1 ? (uint32_t)(p - 1) : 1;
}

void pcp_setup(struct kmm *k, struct zone *z)
{
	uint32_t batch, high;

	z->pcp = NULL;
	if (!z->managed_pages)
		return;
	z->pcp = calloc(k->ncores ? k->ncores : 1, sizeof(*z->pcp));
	if (!z->pcp)
		abort();
	batch = k->cfg->kernel.pcp_batch ? k->cfg->kernel.pcp_batch : zone_batchsize(z);
	high = k->cfg->kernel.pcp_high ? k->cfg->kernel.pcp_high : 6 * batch;
	for (unsigned c = 0; c < (k->ncores ? k->ncores : 1); c++) {
		struct per_cpu_pages *pcp = &z->pcp[c];

		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			pcp->head[mt] = pcp->tail[mt] = PFN_NONE;
		pcp->batch = batch;
		pcp->high = high;
	}
}

static void pcp_add_head(struct zone *z, struct per_cpu_pages *pcp, int list, uint64_t pfn)
{
	struct page *p = &z->memmap[pfn];

	p->prev = PFN_NONE;
	p->next = pcp->head[list];
	if (pcp->head[list] != PFN_NONE)
		z->memmap[pcp->head[list]].prev = (uint32_t)pfn;
	else
		pcp->tail[list] = (uint32_t)pfn;
	pcp->head[list] = (uint32_t)pfn;
	pcp->count++;
	z->pcp_pages++;
}

static void pcp_add_tail(struct zone *z, struct per_cpu_pages *pcp, int list, uint64_t pfn)
{
	struct page *p = &z->memmap[pfn];

	p->next = PFN_NONE;
	p->prev = pcp->tail[list];
	if (pcp->tail[list] != PFN_NONE)
		z->memmap[pcp->tail[list]].next = (uint32_t)pfn;
	else
		pcp->head[list] = (uint32_t)pfn;
	pcp->tail[list] = (uint32_t)pfn;
	pcp->count++;
	z->pcp_pages++;
}

static void pcp_unlink(struct zone *z, struct per_cpu_pages *pcp, int list, uint64_t pfn)
{
	struct page *p = &z->memmap[pfn];

	if (p->prev != PFN_NONE)
		z->memmap[p->prev].next = p->next;
	else
		pcp->head[list] = p->next;
	if (p->next != PFN_NONE)
		z->memmap[p->next].prev = p->prev;
	else
		pcp->tail[list] = p->prev;
	p->next = p->prev = PFN_NONE;
	pcp->count--;
	z->pcp_pages--;
}

/* rmqueue_bulk(): up to count frames of type mt from the buddy lists to
 * the tail of the list, in the order the buddy hands them out. */
static uint32_t rmqueue_bulk(struct zone *z, struct per_cpu_pages *pcp, int mt,
			     unsigned alloc_flags, uint32_t count)
{
	uint32_t n = 0;

	while (n < count) {
		int64_t pfn = buddy_rmqueue(z, 0, mt, alloc_flags);

		if (pfn < 0)
			break;
		struct page *p = &z->memmap[pfn];
		p->refcount = 0;
		p->private = (uint32_t)get_pageblock_migratetype(z, (uint64_t)pfn);
		pcp_add_tail(z, pcp, mt, (uint64_t)pfn);
		n++;
	}
	return n;
}

/* free_pcppages_bulk(): count frames from the cold ends of the lists back
 * to the buddy, one from each non-empty list in turn. */
static uint32_t free_pcppages_bulk(struct zone *z, struct per_cpu_pages *pcp, uint32_t count)
{
	uint32_t n = 0;
	int list = 0;

	while (n < count && pcp->count) {
		list = (list + 1) % MIGRATE_PCPTYPES;
		uint64_t pfn = pcp->tail[list];

		if (pfn == PFN_NONE)
			continue;
		int mt = (int)z->memmap[pfn].private;
		/* a pageblock isolated since the free keeps its frames */
		if (get_pageblock_migratetype(z, pfn) == MIGRATE_ISOLATE)
			mt = MIGRATE_ISOLATE;
		pcp_unlink(z, pcp, list, pfn);
		z->memmap[pfn].private = 0;
		buddy_free_mt(z, pfn, 0, mt);
		n++;
	}
	return n;
}

int64_t pcp_alloc(struct kmm *k, struct zone *z, unsigned core, int mt,
		  unsigned alloc_flags, bool *refilled)
{
	struct per_cpu_pages *pcp = &z->pcp[core];

	*refilled = false;
	if (pcp->head[mt] == PFN_NONE) {
		uint32_t n = rmqueue_bulk(z, pcp, mt, alloc_flags, pcp->batch);

		*refilled = true;
		k->pa.pcp_alloc_refill++;
		k->pa.pcp_refill_pages += n;
		if (!n)
			return -1;
	} else {
		k->pa.pcp_alloc_hit++;
	}
	uint64_t pfn = pcp->head[mt];
	struct page *p = &z->memmap[pfn];
	pcp_unlink(z, pcp, mt, pfn);
	p->private = 0;
	p->refcount = 1;
	return (int64_t)pfn;
}

bool pcp_free(struct kmm *k, struct zone *z, unsigned core, uint64_t pfn, int mt)
{
	struct per_cpu_pages *pcp = &z->pcp[core];
	struct page *p = &z->memmap[pfn];

	assert(p->refcount == 0 && p->mapcount == 0 && !(p->flags & PG_buddy));
	k->pa.pcp_free++;
	if (mt == MIGRATE_ISOLATE) {
		buddy_free_mt(z, pfn, 0, mt);
		return false;
	}
	p->flags = 0;
	p->private = (uint32_t)mt;
	pcp_add_head(z, pcp, mt < MIGRATE_PCPTYPES ? mt : MIGRATE_MOVABLE, pfn);
	if (pcp->count < pcp->high)
		return false;
	k->pa.pcp_drain++;
	k->pa.pcp_drain_pages += free_pcppages_bulk(z, pcp, pcp->batch);
	return true;
}

void drain_zone_pages(struct kmm *k, struct zone *z)
{
	for (unsigned c = 0; z->pcp && c < (k->ncores ? k->ncores : 1); c++)
		if (z->pcp[c].count) {
			k->pa.pcp_drain++;
			k->pa.pcp_drain_pages += free_pcppages_bulk(z, &z->pcp[c], z->pcp[c].count);
		}
}

void drain_all_pages(struct kmm *k)
{
	for (unsigned n = 0; n < k->nr_nodes; n++)
		for (int i = 0; i < MAX_NR_ZONES; i++)
			drain_zone_pages(k, &k->node[n].zones[i]);
}

int pcp_validate(const struct kmm *k, const struct zone *z, char *err)
{
	uint64_t total = 0;

	for (unsigned c = 0; z->pcp && c < (k->ncores ? k->ncores : 1); c++) {
		const struct per_cpu_pages *pcp = &z->pcp[c];
		uint64_t n = 0;

		for (int l = 0; l < MIGRATE_PCPTYPES; l++) {
			uint64_t prev = PFN_NONE;

			for (uint64_t pfn = pcp->head[l]; pfn != PFN_NONE; pfn = z->memmap[pfn].next) {
				const struct page *p = &z->memmap[pfn];

				if (pfn < z->start_pfn || pfn >= z->end_pfn || p->flags ||
				    p->refcount || p->mapcount || p->prev != prev)
					return errf(err, "pcp_validate: zone %s: core %u list %d: "
						    "pfn %llu is not a free frame of the zone "
						    "(flags 0x%x, refcount %d)", z->name, c, l,
						    (unsigned long long)pfn, p->flags, p->refcount);
				prev = pfn;
				if (++n > pcp->count)
					return errf(err, "pcp_validate: zone %s: core %u lists "
						    "hold more than count %u", z->name, c,
						    pcp->count);
			}
			if (prev != pcp->tail[l])
				return errf(err, "pcp_validate: zone %s: core %u list %d: tail "
					    "is not the last frame", z->name, c, l);
		}
		if (n != pcp->count)
			return errf(err, "pcp_validate: zone %s: core %u lists hold %llu frames, "
				    "count is %u", z->name, c, (unsigned long long)n, pcp->count);
		total += n;
	}
	if (total != z->pcp_pages)
		return errf(err, "pcp_validate: zone %s: pcp lists hold %llu frames, "
			    "pcp_pages is %llu", z->name, (unsigned long long)total,
			    (unsigned long long)z->pcp_pages);
	return 0;
}
