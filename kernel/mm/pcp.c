/* Per-CPU page lists (Linux's struct per_cpu_pages, mm/page_alloc.c, as of
 * 5.13 which added high-order lists).
 *
 * Each core keeps, per zone, lists of free blocks for the orders
 * 0..PAGE_ALLOC_COSTLY_ORDER (3) and the THP order (9), one list per order
 * and PCP migratetype (UNMOVABLE, MOVABLE, RECLAIMABLE), linked through the
 * blocks' head pages' next/prev (order_to_pindex()). An allocation of such
 * an order takes the newest block of its list (rmqueue_pcplist()); an empty
 * list is refilled in one zone-locked pass with batch >> order blocks, at
 * least 2 (rmqueue_bulk(), Linux's scaling). A free puts the block at the
 * head of the list of its pageblock's type (free_unref_page(); HIGHATOMIC
 * and CMA blocks go on the MOVABLE list but keep their type for the way
 * back, ISOLATE blocks skip the lists); once the core holds `high` frames,
 * `batch` frames' worth of blocks go back to the buddy lists from the cold
 * ends of the lists, taken in turn (free_pcppages_bulk()). count, high and
 * batch are in frames, as in Linux. batch is zone_batchsize(): a quarter of
 * managed/1024 capped at 256/4, rounded to 2^n - 1; high is 6 x batch, as
 * Linux 5.x set them; kernel.pcp.{high,batch} override both.
 *
 * Blocks on a pcp list are free (flags 0, refcount 0) but are not on the
 * buddy lists, so they neither merge nor count in the zone's free_pages
 * (z->pcp_pages counts their frames), as NR_FREE_PAGES in Linux. The head's
 * .private holds the migratetype it will be freed back as; a block whose
 * pageblock was isolated since goes back as ISOLATE.
 *
 * Simplified: a drain takes one block from each non-empty list in turn
 * instead of Linux's batch_free runs; no adaptive high (Linux 6.x); one THP
 * list per type (Linux 5.13 had one THP list for all types). Costs are
 * charged by page.c: kernel.cost.pcp_alloc / pcp_free per call,
 * kernel.cost.page_alloc / page_free once per zone-locked refill or drain,
 * kernel.cost.pcp_page per block moved. */
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

		for (int l = 0; l < NR_PCP_LISTS; l++)
			pcp->head[l] = pcp->tail[l] = PFN_NONE;
		pcp->batch = batch;
		pcp->high = high;
	}
}

static void pcp_add_head(struct zone *z, struct per_cpu_pages *pcp, unsigned list,
			 uint64_t pfn)
{
	struct page *p = &z->memmap[pfn];

	p->prev = PFN_NONE;
	p->next = pcp->head[list];
	if (pcp->head[list] != PFN_NONE)
		z->memmap[pcp->head[list]].prev = (uint32_t)pfn;
	else
		pcp->tail[list] = (uint32_t)pfn;
	pcp->head[list] = (uint32_t)pfn;
	pcp->count += 1u << pindex_to_order(list);
	z->pcp_pages += 1u << pindex_to_order(list);
}

static void pcp_add_tail(struct zone *z, struct per_cpu_pages *pcp, unsigned list,
			 uint64_t pfn)
{
	struct page *p = &z->memmap[pfn];

	p->next = PFN_NONE;
	p->prev = pcp->tail[list];
	if (pcp->tail[list] != PFN_NONE)
		z->memmap[pcp->tail[list]].next = (uint32_t)pfn;
	else
		pcp->head[list] = (uint32_t)pfn;
	pcp->tail[list] = (uint32_t)pfn;
	pcp->count += 1u << pindex_to_order(list);
	z->pcp_pages += 1u << pindex_to_order(list);
}

static void pcp_unlink(struct zone *z, struct per_cpu_pages *pcp, unsigned list,
		       uint64_t pfn)
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
	pcp->count -= 1u << pindex_to_order(list);
	z->pcp_pages -= 1u << pindex_to_order(list);
}

/* rmqueue_bulk(): up to count blocks of 2^order frames of type mt from the
 * buddy lists to the tail of their list, in the order the buddy hands them
 * out. */
static uint32_t rmqueue_bulk(struct zone *z, struct per_cpu_pages *pcp, unsigned order, int mt,
			     unsigned alloc_flags, uint32_t count)
{
	unsigned list = order_to_pindex(mt, order);
	uint32_t n = 0;

	while (n < count) {
		int64_t pfn = buddy_rmqueue(z, order, mt, alloc_flags);

		if (pfn < 0)
			break;
		struct page *p = &z->memmap[pfn];
		p->refcount = 0;
		p->private = (uint32_t)get_pageblock_migratetype(z, (uint64_t)pfn);
		pcp_add_tail(z, pcp, list, (uint64_t)pfn);
		n++;
	}
	return n;
}

/* free_pcppages_bulk(): at least count frames' worth of blocks from the
 * cold ends of the lists back to the buddy, a block from each non-empty
 * list in turn. Returns the blocks moved. */
static uint32_t free_pcppages_bulk(struct kmm *k, struct zone *z, struct per_cpu_pages *pcp,
				   uint32_t count)
{
	uint32_t blocks = 0, frames = 0;

	while (frames < count && pcp->count) {
		unsigned list = pcp->free_pindex;
		uint64_t pfn = pcp->tail[list];

		pcp->free_pindex = (list + 1) % NR_PCP_LISTS;
		if (pfn == PFN_NONE)
			continue;
		unsigned order = pindex_to_order(list);
		int mt = (int)z->memmap[pfn].private;
		/* a pageblock isolated since the free keeps its frames */
		if (get_pageblock_migratetype(z, pfn) == MIGRATE_ISOLATE)
			mt = MIGRATE_ISOLATE;
		pcp_unlink(z, pcp, list, pfn);
		z->memmap[pfn].private = 0;
		buddy_free_mt(z, pfn, order, mt);
		blocks++;
		frames += 1u << order;
	}
	k->pa.pcp_drain_pages += frames;
	return blocks;
}

int64_t pcp_alloc(struct kmm *k, struct zone *z, unsigned core, unsigned order, int mt,
		  unsigned alloc_flags, int *moved)
{
	struct per_cpu_pages *pcp = &z->pcp[core];
	unsigned list = order_to_pindex(mt, order);

	assert(pcp_allowed_order(order) && mt < MIGRATE_PCPTYPES);
	*moved = -1;
	if (pcp->head[list] == PFN_NONE) {
		uint32_t want = order ? pcp->batch >> order : pcp->batch;
		uint32_t n = rmqueue_bulk(z, pcp, order, mt, alloc_flags, want < 2 && order ? 2 :
					  want ? want : 1);

		*moved = (int)n;
		k->pa.pcp_alloc_refill++;
		k->pa.pcp_refill_pages += (uint64_t)n << order;
		if (!n)
			return -1;
	} else {
		k->pa.pcp_alloc_hit++;
	}
	uint64_t pfn = pcp->head[list];
	struct page *p = &z->memmap[pfn];
	pcp_unlink(z, pcp, list, pfn);
	p->private = 0;
	p->refcount = 1;
	return (int64_t)pfn;
}

uint32_t pcp_free(struct kmm *k, struct zone *z, unsigned core, uint64_t pfn, unsigned order,
		  int mt)
{
	struct per_cpu_pages *pcp = &z->pcp[core];
	struct page *p = &z->memmap[pfn];

	assert(p->refcount == 0 && p->mapcount == 0 && !(p->flags & PG_buddy));
	assert(pcp_allowed_order(order));
	k->pa.pcp_free++;
	if (mt == MIGRATE_ISOLATE) {
		buddy_free_mt(z, pfn, order, mt);
		return 0;
	}
	p->flags = 0;
	p->private = (uint32_t)mt;
	pcp_add_head(z, pcp, order_to_pindex(mt < MIGRATE_PCPTYPES ? mt : MIGRATE_MOVABLE, order),
		     pfn);
	if (pcp->count < pcp->high)
		return 0;
	k->pa.pcp_drain++;
	return free_pcppages_bulk(k, z, pcp, pcp->batch);
}

void drain_zone_pages(struct kmm *k, struct zone *z)
{
	for (unsigned c = 0; z->pcp && c < (k->ncores ? k->ncores : 1); c++)
		if (z->pcp[c].count) {
			k->pa.pcp_drain++;
			free_pcppages_bulk(k, z, &z->pcp[c], z->pcp[c].count);
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

		for (unsigned l = 0; l < NR_PCP_LISTS; l++) {
			uint64_t prev = PFN_NONE;
			unsigned order = pindex_to_order(l);

			for (uint64_t pfn = pcp->head[l]; pfn != PFN_NONE; pfn = z->memmap[pfn].next) {
				const struct page *p = &z->memmap[pfn];

				if (pfn < z->start_pfn || pfn + (1ull << order) > z->end_pfn ||
				    (pfn & ((1ull << order) - 1)) || p->flags ||
				    p->refcount || p->mapcount || p->prev != prev)
					return errf(err, "pcp_validate: zone %s: core %u list %u "
						    "(order %u): pfn %llu is not a free block of the "
						    "zone (flags 0x%x, refcount %d)", z->name, c, l,
						    order, (unsigned long long)pfn, p->flags,
						    p->refcount);
				for (uint64_t t = 1; t < (1ull << order); t++)
					if (z->memmap[pfn + t].flags || z->memmap[pfn + t].refcount)
						return errf(err, "pcp_validate: zone %s: core %u: "
							    "pfn %llu inside the order %u block at "
							    "%llu is in use", z->name, c,
							    (unsigned long long)(pfn + t), order,
							    (unsigned long long)pfn);
				prev = pfn;
				if ((n += 1ull << order) > pcp->count)
					return errf(err, "pcp_validate: zone %s: core %u lists "
						    "hold more than count %u", z->name, c,
						    pcp->count);
			}
			if (prev != pcp->tail[l])
				return errf(err, "pcp_validate: zone %s: core %u list %u: tail "
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
