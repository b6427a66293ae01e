/* The buddy allocator of one zone, after Linux mm/page_alloc.c.
 *
 * Modelled: per-(order, migratetype) free lists of naturally aligned 2^order
 * blocks, linked through the head page's next/prev (PFNs, PFN_NONE at both
 * ends, new blocks at the head of the list as add_to_free_list() puts them);
 * a migratetype per pageblock (2^PAGEBLOCK_ORDER frames); allocation of the
 * smallest order that has a block of the wanted type, split by expand() so
 * that the LOWER half goes on toward the caller and each upper half is freed
 * one order down; fallback to other types in the order of Linux's fallbacks
 * table, largest block first, stealing the whole pageblock when
 * can_steal_fallback()/steal_suitable_fallback() allow (and then relabelling
 * it when at least half of it is free or of the same mobility); freeing that
 * merges with the buddy at pfn ^ (1 << order) while the buddy is a free head
 * of the same order inside the zone (__free_one_page(), which does not merge
 * ISOLATE/CMA/HIGHATOMIC pageblocks with other types above pageblock_order);
 * the HIGHATOMIC reserve (reserve_highatomic_pageblock()); boot-time freeing
 * of every non-reserved frame (memblock_free_all()); zone_watermark_ok().
 *
 * Simplified: no lock, no cycle cost (the caller charges); a stolen
 * single block moves to the new type's list and __rmqueue_smallest is
 * retried, as Linux 5.x did; no watermark boosting (boost_watermark) and no
 * ALLOC_NOFRAGMENT; the highatomic reserve is never given back
 * (unreserve_highatomic_pageblock runs before OOM, which is not here).
 *
 * Linux counterparts: buddy_init ~ memblock_free_all()/__free_pages_memory(),
 * buddy_rmqueue ~ __rmqueue() + prep_new_page(), buddy_free ~
 * __free_one_page(), add_to_free_list / del_page_from_free_list /
 * page_is_buddy / move_freepages_block as named, buddy_validate ~ what
 * CONFIG_DEBUG_VM would check. */
#include "kernel/mm/buddy.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonutil.h"

const char *const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate",
};
const char *const zone_names[MAX_NR_ZONES] = { "dma", "dma32", "normal", "movable" };
const char *const zone_proc_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "Movable" };

/* Linux's fallbacks[]: where each type looks when its own lists are empty. */
static const int fallbacks[MIGRATE_PCPTYPES][2] = {
	[MIGRATE_UNMOVABLE]   = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE]     = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
};

static inline bool in_span(const struct zone *z, uint64_t pfn)
{
	return pfn >= z->start_pfn && pfn < z->end_pfn;
}

static inline bool mt_mergeable(int mt) { return mt < MIGRATE_PCPTYPES; }

int get_pageblock_migratetype(const struct zone *z, uint64_t pfn)
{
	uint64_t i = (pfn >> PAGEBLOCK_ORDER) - z->pb_first;
	assert(i < z->nr_pageblocks);
	return z->pageblock_mt[i];
}

void set_pageblock_migratetype(struct zone *z, uint64_t pfn, int mt)
{
	uint64_t i = (pfn >> PAGEBLOCK_ORDER) - z->pb_first;
	assert(i < z->nr_pageblocks && mt >= 0 && mt < MIGRATE_TYPES);
	z->nr_pageblock_mt[z->pageblock_mt[i]]--;
	z->nr_pageblock_mt[mt]++;
	z->pageblock_mt[i] = (uint8_t)mt;
}

/* Linux add_to_free_list() + set_buddy_order(): pfn becomes the head of a
 * free block of 2^order frames, first on the list of type mt. */
static void add_to_free_list(struct zone *z, uint64_t pfn, unsigned order, int mt)
{
	struct free_area *area = &z->free_area[order];
	struct page *p = &z->memmap[pfn];

	p->flags = PG_buddy;
	p->order = (uint8_t)order;
	p->private = (uint32_t)mt;
	p->prev = PFN_NONE;
	p->next = area->head[mt];
	if (area->head[mt] != PFN_NONE)
		z->memmap[area->head[mt]].prev = (uint32_t)pfn;
	area->head[mt] = (uint32_t)pfn;
	area->nr_free++;
	area->nr_free_mt[mt]++;
	if (mt == MIGRATE_CMA)
		z->nr_free_cma += 1ull << order;
	else if (mt == MIGRATE_ISOLATE)
		z->nr_free_isolate += 1ull << order;
}

/* Linux del_page_from_free_list(): O(1) unlink; the page stops being a free
 * head (PG_buddy cleared). */
static void del_page_from_free_list(struct zone *z, uint64_t pfn, unsigned order)
{
	struct free_area *area = &z->free_area[order];
	struct page *p = &z->memmap[pfn];
	int mt = (int)p->private;

	assert((p->flags & PG_buddy) && p->order == order && mt < MIGRATE_TYPES);
	if (p->prev != PFN_NONE)
		z->memmap[p->prev].next = p->next;
	else
		area->head[mt] = p->next;
	if (p->next != PFN_NONE)
		z->memmap[p->next].prev = p->prev;
	p->next = p->prev = PFN_NONE;
	p->flags &= ~PG_buddy;
	p->private = 0;
	area->nr_free--;
	area->nr_free_mt[mt]--;
	if (mt == MIGRATE_CMA)
		z->nr_free_cma -= 1ull << order;
	else if (mt == MIGRATE_ISOLATE)
		z->nr_free_isolate -= 1ull << order;
}

/* Linux move_to_free_list(). */
static void move_to_free_list(struct zone *z, uint64_t pfn, unsigned order, int mt)
{
	del_page_from_free_list(z, pfn, order);
	add_to_free_list(z, pfn, order, mt);
}

/* Linux page_is_buddy(): the frame at buddy_pfn is a free head of exactly
 * this order in this zone, so it can be merged with its buddy. */
static bool page_is_buddy(const struct zone *z, uint64_t buddy_pfn, unsigned order)
{
	const struct page *b;

	if (!in_span(z, buddy_pfn))
		return false;
	b = &z->memmap[buddy_pfn];
	return (b->flags & PG_buddy) && b->order == order;
}

/* Largest order of a free block ending at end: naturally aligned, below
 * max_order, and starting at or after floor. */
static unsigned max_block_order_below(const struct zone *z, uint64_t end, uint64_t floor)
{
	unsigned order = 0;

	while (order + 1 < z->max_order &&
	       (end & ((1ull << (order + 1)) - 1)) == 0 &&
	       end - floor >= (1ull << (order + 1)))
		order++;
	return order;
}

void buddy_free_range(struct zone *z, uint64_t start, uint64_t end)
{
	assert(start <= end && start >= z->start_pfn && end <= z->end_pfn);
	/* The maximal aligned blocks of [start, end) are the same whether
	 * taken greedily from the front or from the back; taking them from
	 * the back and adding each at its list's head leaves the lowest
	 * addresses first, as Linux's boot-time FPI_TO_TAIL frees do. Greedy
	 * maximal blocks are already fully merged (a CMA range is given on
	 * its own, so it does not meet other types). Touches only block heads. */
	while (end > start) {
		unsigned order = max_block_order_below(z, end, start);

		end -= 1ull << order;
		assert(z->memmap[end].flags == 0 && z->memmap[end].refcount == 0);
		add_to_free_list(z, end, order, get_pageblock_migratetype(z, end));
		z->free_pages += 1ull << order;
		z->managed_pages += 1ull << order;
	}
}

void buddy_zone_init(struct zone *z, const char *name, struct page *memmap,
		     uint64_t start_pfn, uint64_t end_pfn, unsigned max_order)
{
	assert(max_order >= 1 && max_order <= BUDDY_MAX_ORDER_LIMIT);
	assert(start_pfn <= end_pfn && end_pfn <= PFN_NONE);
	memset(z, 0, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "%s", name);
	z->memmap = memmap;
	z->start_pfn = start_pfn;
	z->end_pfn = end_pfn;
	z->spanned_pages = end_pfn - start_pfn;
	z->max_order = max_order;
	for (unsigned o = 0; o < BUDDY_MAX_ORDER_LIMIT; o++)
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			z->free_area[o].head[mt] = PFN_NONE;
	z->pb_first = start_pfn >> PAGEBLOCK_ORDER;
	z->nr_pageblocks = end_pfn > start_pfn ?
		((end_pfn - 1) >> PAGEBLOCK_ORDER) - z->pb_first + 1 : 0;
	z->pageblock_mt = malloc(z->nr_pageblocks ? z->nr_pageblocks : 1);
	if (!z->pageblock_mt)
		abort();
	memset(z->pageblock_mt, MIGRATE_MOVABLE, z->nr_pageblocks);
	z->nr_pageblock_mt[MIGRATE_MOVABLE] = z->nr_pageblocks;
}

void buddy_zone_destroy(struct zone *z)
{
	free(z->pageblock_mt);
	z->pageblock_mt = NULL;
}

void buddy_init(struct zone *z, const char *name, struct page *memmap,
		uint64_t start_pfn, uint64_t end_pfn, unsigned max_order)
{
	buddy_zone_init(z, name, memmap, start_pfn, end_pfn, max_order);
	/* Walk the runs of non-reserved frames (as __free_pages_memory() gets
	 * them from memblock), the highest first, so that every free list ends
	 * up in ascending address order. */
	uint64_t end = end_pfn;
	while (end > start_pfn) {
		uint64_t run = end;

		while (run > start_pfn && !(memmap[run - 1].flags & PG_reserved))
			run--;
		buddy_free_range(z, run, end);
		end = run > start_pfn ? run - 1 : run;  /* skip the reserved frame */
	}
}

/* Linux expand(): the block at pfn of order high is being handed out at
 * order low. Halve it until it is the requested size; the lower half goes on
 * toward the caller and the upper half is freed at the order below, on mt's
 * list. Example: an order-3 block at 0 handed out at order 0 frees 4
 * (order 2), 2 (order 1) and 1 (order 0), and the caller gets 0. */
static void expand(struct zone *z, uint64_t pfn, unsigned low, unsigned high, int mt)
{
	while (high > low) {
		high--;
		add_to_free_list(z, pfn + (1ull << high), high, mt);
		z->splits++;
	}
}

/* Linux __rmqueue_smallest(): the smallest block of type mt of at least
 * order, split down. -1 when mt's lists have none. */
static int64_t rmqueue_smallest(struct zone *z, unsigned order, int mt)
{
	for (unsigned cur = order; cur < z->max_order; cur++) {
		uint64_t pfn = z->free_area[cur].head[mt];

		if (pfn == PFN_NONE)
			continue;
		del_page_from_free_list(z, pfn, cur);
		expand(z, pfn, order, cur, mt);
		return (int64_t)pfn;
	}
	return -1;
}

/* Linux can_steal_fallback(): may an allocation of start_mt at order take
 * the whole pageblock it breaks into? Large requests and the unmovable kinds
 * (which would fragment the block anyway) may; small movable ones may not. */
static bool can_steal_fallback(unsigned order, int start_mt)
{
	if (order >= PAGEBLOCK_ORDER)
		return true;
	return order >= PAGEBLOCK_ORDER / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	       start_mt == MIGRATE_UNMOVABLE;
}

/* Linux find_suitable_fallback(): the first type in fallbacks[mt] with a
 * block of this order, or -1; *can_steal from can_steal_fallback(). */
static int find_suitable_fallback(const struct zone *z, unsigned order, int mt,
				  bool *can_steal)
{
	const struct free_area *area = &z->free_area[order];

	*can_steal = false;
	if (!area->nr_free)
		return -1;
	for (int i = 0; i < 2; i++) {
		int fb = fallbacks[mt][i];

		if (area->head[fb] == PFN_NONE)
			continue;
		*can_steal = can_steal_fallback(order, mt);
		return fb;
	}
	return -1;
}

/* Is the page in use by something compaction could move (PageLRU or
 * __PageMovable in Linux)? */
static bool page_movable_in_use(const struct page *p)
{
	return !(p->flags & (PG_buddy | PG_reserved)) && p->refcount > 0 &&
	       (p->flags & (PG_anon | PG_file | PG_lru));
}

uint64_t move_freepages_block(struct zone *z, uint64_t pfn, int mt, uint64_t *movable)
{
	uint64_t start = pfn & ~(uint64_t)(PAGEBLOCK_NR_PAGES - 1);
	uint64_t end = start + PAGEBLOCK_NR_PAGES, moved = 0;

	*movable = 0;
	if (start < z->start_pfn || end > z->end_pfn)
		return 0;  /* a pageblock the zone only partly spans stays as it is */
	for (uint64_t p = start; p < end;) {
		const struct page *pg = &z->memmap[p];

		if (pg->flags & PG_buddy) {
			unsigned order = pg->order;

			if ((int)pg->private != mt)
				move_to_free_list(z, p, order, mt);
			moved += 1ull << order;
			p += 1ull << order;
			continue;
		}
		*movable += page_movable_in_use(pg);
		p++;
	}
	return moved;
}

/* Linux steal_suitable_fallback(): the block at pfn (order cur) on list
 * old_mt is about to serve start_mt. A block of a pageblock or more changes
 * the type of all its pageblocks; otherwise, when whole_block, every free
 * block of the pageblock moves to start_mt and the pageblock itself is
 * relabelled if at least half of it is free or already used alike. In every
 * case the block ends up on start_mt's list. */
static void steal_suitable_fallback(struct zone *z, uint64_t pfn, unsigned cur, int start_mt,
				    bool whole_block)
{
	int old_mt = get_pageblock_migratetype(z, pfn);

	if (old_mt == MIGRATE_HIGHATOMIC)
		goto single_page;
	if (cur >= PAGEBLOCK_ORDER) {
		for (uint64_t p = pfn; p < pfn + (1ull << cur); p += PAGEBLOCK_NR_PAGES)
			set_pageblock_migratetype(z, p, start_mt);
		z->steals += 1ull << (cur - PAGEBLOCK_ORDER);
		goto single_page;
	}
	if (!whole_block)
		goto single_page;
	uint64_t movable, alike;
	uint64_t free = move_freepages_block(z, pfn, start_mt, &movable);
	if (free == 0)
		goto single_page;
	if (start_mt == MIGRATE_MOVABLE)
		alike = movable;
	else if (old_mt == MIGRATE_MOVABLE)
		alike = PAGEBLOCK_NR_PAGES - (free + movable);
	else
		alike = 0;
	if (free + alike >= PAGEBLOCK_NR_PAGES / 2) {
		set_pageblock_migratetype(z, pfn, start_mt);
		z->steals++;
	}
	return;
single_page:
	move_to_free_list(z, pfn, cur, start_mt);
}

/* Linux __rmqueue_fallback(): move a block of another type to start_mt's
 * lists. Looks for the LARGEST block first (to keep types apart, stealing
 * big), except that a movable request that may not steal the whole
 * pageblock takes the smallest block instead, so as not to fragment. */
static bool rmqueue_fallback(struct zone *z, unsigned order, int start_mt)
{
	bool can_steal;
	int fb = -1;
	int cur;

	for (cur = (int)z->max_order - 1; cur >= (int)order; cur--) {
		fb = find_suitable_fallback(z, (unsigned)cur, start_mt, &can_steal);
		if (fb < 0)
			continue;
		if (!can_steal && start_mt == MIGRATE_MOVABLE && (unsigned)cur > order)
			goto find_smallest;
		goto do_steal;
	}
	return false;
find_smallest:
	for (cur = (int)order; cur < (int)z->max_order; cur++) {
		fb = find_suitable_fallback(z, (unsigned)cur, start_mt, &can_steal);
		if (fb >= 0)
			break;
	}
	assert(fb >= 0);
do_steal:
	steal_suitable_fallback(z, z->free_area[cur].head[fb], (unsigned)cur, start_mt,
				can_steal);
	z->fallbacks++;
	return true;
}

int64_t buddy_rmqueue(struct zone *z, unsigned order, int mt, unsigned alloc_flags)
{
	int64_t pfn = -1;

	assert(mt >= 0 && mt < MIGRATE_PCPTYPES);
	if (order < z->max_order) {
		/* rmqueue_buddy(): a high-order atomic request tries the
		 * HIGHATOMIC reserve first */
		if (order > 0 && (alloc_flags & ALLOC_HIGHATOMIC))
			pfn = rmqueue_smallest(z, order, MIGRATE_HIGHATOMIC);
		/* __rmqueue(): CMA first when it holds over half the free frames */
		if (pfn < 0 && (alloc_flags & ALLOC_CMA) && z->nr_free_cma > z->free_pages / 2)
			pfn = rmqueue_smallest(z, order, MIGRATE_CMA);
		if (pfn < 0)
			pfn = rmqueue_smallest(z, order, mt);
		if (pfn < 0 && (alloc_flags & ALLOC_CMA))
			pfn = rmqueue_smallest(z, order, MIGRATE_CMA);
		if (pfn < 0 && rmqueue_fallback(z, order, mt))
			pfn = rmqueue_smallest(z, order, mt);
		/* the reserve is the last resort of those that cannot wait */
		if (pfn < 0 && (alloc_flags & (ALLOC_OOM | ALLOC_NON_BLOCK)))
			pfn = rmqueue_smallest(z, order, MIGRATE_HIGHATOMIC);
	}
	if (pfn < 0) {
		z->alloc_fails++;  /* also reached when order >= max_order */
		return -1;
	}
	struct page *p = &z->memmap[pfn];
	p->flags = 0;
	p->refcount = 1;
	z->free_pages -= 1ull << order;
	z->allocs++;
	return pfn;
}

int64_t buddy_alloc(struct zone *z, unsigned order)
{
	return buddy_rmqueue(z, order, MIGRATE_MOVABLE, 0);
}

/* Linux __free_one_page(). The buddy of a block differs from it only in the
 * bit of its size: the buddy of pfn 8 at order 1 is 8 ^ 2 = 10, and the pair
 * merges into the order-2 block at 8 & ~2 = 8. */
void buddy_free_mt(struct zone *z, uint64_t pfn, unsigned order, int mt)
{
	struct page *p;

	assert(order < z->max_order);
	assert((pfn & ((1ull << order) - 1)) == 0);             /* misaligned */
	assert(in_span(z, pfn) && pfn + (1ull << order) <= z->end_pfn);
	p = &z->memmap[pfn];
	assert(!(p->flags & PG_buddy));                        /* double free */
	assert(!(p->flags & PG_reserved));
	assert(p->refcount == 0 && p->mapcount == 0);
	p->flags = 0;
	z->free_pages += 1ull << order;
	z->frees++;

	while (order < z->max_order - 1) {
		uint64_t buddy = pfn ^ (1ull << order);

		if (!page_is_buddy(z, buddy, order))
			break;
		if (order >= PAGEBLOCK_ORDER) {
			/* do not let an isolated or CMA pageblock melt into others */
			int bmt = get_pageblock_migratetype(z, buddy);

			if (bmt != mt && (!mt_mergeable(mt) || !mt_mergeable(bmt)))
				break;
		}
		del_page_from_free_list(z, buddy, order);
		pfn &= ~(1ull << order);  /* the combined block's head */
		order++;
		z->merges++;
	}
	add_to_free_list(z, pfn, order, mt);
}

void buddy_free(struct zone *z, uint64_t pfn, unsigned order)
{
	buddy_free_mt(z, pfn, order, get_pageblock_migratetype(z, pfn));
}

unsigned buddy_isolate_free_block(struct zone *z, uint64_t pfn)
{
	unsigned order = z->memmap[pfn].order;

	del_page_from_free_list(z, pfn, order);
	z->memmap[pfn].flags = 0;
	z->free_pages -= 1ull << order;
	return order;
}

int64_t buddy_free_head_of(const struct zone *z, uint64_t pfn)
{
	for (unsigned o = 0; o < z->max_order; o++) {
		uint64_t head = pfn & ~((1ull << o) - 1);

		if (!in_span(z, head))
			break;
		if ((z->memmap[head].flags & PG_buddy) && z->memmap[head].order >= o)
			return (int64_t)head;
	}
	return -1;
}

int set_migratetype_isolate(struct zone *z, uint64_t pfn)
{
	int old = get_pageblock_migratetype(z, pfn);
	uint64_t movable;

	if (old == MIGRATE_ISOLATE)
		return old;
	set_pageblock_migratetype(z, pfn, MIGRATE_ISOLATE);
	move_freepages_block(z, pfn, MIGRATE_ISOLATE, &movable);
	return old;
}

void unset_migratetype_isolate(struct zone *z, uint64_t pfn, int mt)
{
	uint64_t movable;

	assert(get_pageblock_migratetype(z, pfn) == MIGRATE_ISOLATE && mt != MIGRATE_ISOLATE);
	set_pageblock_migratetype(z, pfn, mt);
	move_freepages_block(z, pfn, mt, &movable);
}

void reserve_highatomic_pageblock(struct zone *z, uint64_t pfn)
{
	uint64_t max = z->managed_pages / 100 + PAGEBLOCK_NR_PAGES, movable;
	int mt = get_pageblock_migratetype(z, pfn);

	if (z->nr_reserved_highatomic >= max || !mt_mergeable(mt))
		return;
	if ((pfn & ~(uint64_t)(PAGEBLOCK_NR_PAGES - 1)) < z->start_pfn ||
	    (pfn | (PAGEBLOCK_NR_PAGES - 1)) >= z->end_pfn)
		return;
	z->nr_reserved_highatomic += PAGEBLOCK_NR_PAGES;
	set_pageblock_migratetype(z, pfn, MIGRATE_HIGHATOMIC);
	move_freepages_block(z, pfn, MIGRATE_HIGHATOMIC, &movable);
}

/* Linux __zone_watermark_ok(). Frames that this request could not use do
 * not count as free: the (1 << order) - 1 that any block of the order
 * leaves over, the HIGHATOMIC reserve unless the request may use reserves,
 * CMA frames unless ALLOC_CMA. __GFP_HIGH requests may go to half of min,
 * non-blocking ones a further quarter, OOM victims half of what is left. */
bool zone_watermark_ok(struct zone *z, unsigned order, uint64_t mark,
		       int highest_zoneidx, unsigned alloc_flags)
{
	int64_t min = (int64_t)mark;
	int64_t free = (int64_t)z->free_pages - ((1ll << order) - 1);

	if (!(alloc_flags & ALLOC_RESERVES))
		free -= (int64_t)z->nr_reserved_highatomic;
	if (!(alloc_flags & ALLOC_CMA))
		free -= (int64_t)z->nr_free_cma;
	free -= (int64_t)z->nr_free_isolate;   /* nobody may use those */
	if (alloc_flags & ALLOC_RESERVES) {
		if (alloc_flags & ALLOC_MIN_RESERVE) {
			min -= min / 2;
			if (alloc_flags & ALLOC_NON_BLOCK)
				min -= min / 4;
		}
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
	}
	if (free <= min + (int64_t)z->lowmem_reserve[highest_zoneidx])
		goto fail;
	if (order == 0)
		return true;
	for (unsigned o = order; o < z->max_order; o++) {
		const struct free_area *area = &z->free_area[o];

		if (!area->nr_free)
			continue;
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			if (area->head[mt] != PFN_NONE)
				return true;
		if ((alloc_flags & ALLOC_CMA) && area->head[MIGRATE_CMA] != PFN_NONE)
			return true;
		if ((alloc_flags & (ALLOC_HIGHATOMIC | ALLOC_OOM)) &&
		    area->head[MIGRATE_HIGHATOMIC] != PFN_NONE)
			return true;
	}
fail:
	z->wmark_fail++;
	return false;
}

/* ---- buddy_validate (cold: tests and --check) ---- */

/* One free block: head state, alignment, span, tails, merge state. */
static int validate_block(const struct zone *z, uint64_t pfn, unsigned order, int mt,
			  char *err)
{
	const struct page *p = &z->memmap[pfn];
	uint64_t size = 1ull << order, buddy = pfn ^ size;

	if (!in_span(z, pfn) || pfn + size > z->end_pfn)
		return errf(err, "buddy_validate: zone %s: order %u block at pfn %llu "
			    "leaves the span [%llu, %llu)", z->name, order,
			    (unsigned long long)pfn, (unsigned long long)z->start_pfn,
			    (unsigned long long)z->end_pfn);
	if (p->flags != PG_buddy || p->order != order || p->refcount != 0 ||
	    p->private != (uint32_t)mt)
		return errf(err, "buddy_validate: zone %s: pfn %llu on the order %u %s list "
			    "has flags 0x%x, order %u, refcount %d, type %u", z->name,
			    (unsigned long long)pfn, order, migratetype_names[mt], p->flags,
			    p->order, p->refcount, p->private);
	if (pfn & (size - 1))
		return errf(err, "buddy_validate: zone %s: pfn %llu on the order %u list "
			    "is not aligned to %llu frames", z->name,
			    (unsigned long long)pfn, order, (unsigned long long)size);
	for (uint64_t t = pfn + 1; t < pfn + size; t++)
		if (z->memmap[t].flags & (PG_buddy | PG_reserved))
			return errf(err, "buddy_validate: zone %s: free order %u block at pfn "
				    "%llu covers pfn %llu with flags 0x%x (overlap or reserved)",
				    z->name, order, (unsigned long long)pfn,
				    (unsigned long long)t, z->memmap[t].flags);
	if (order + 1 < z->max_order && page_is_buddy(z, buddy, order)) {
		int a = get_pageblock_migratetype(z, pfn), b = get_pageblock_migratetype(z, buddy);

		if (order < PAGEBLOCK_ORDER || a == b || (mt_mergeable(a) && mt_mergeable(b)))
			return errf(err, "buddy_validate: zone %s: order %u blocks at pfn %llu "
				    "and its buddy %llu are both free (not merged)", z->name,
				    order, (unsigned long long)pfn, (unsigned long long)buddy);
	}
	return 0;
}

/* "none" for PFN_NONE, else the number. */
static const char *pfn_str(char buf[24], uint64_t pfn)
{
	if (pfn == PFN_NONE)
		return "none";
	snprintf(buf, 24, "%llu", (unsigned long long)pfn);
	return buf;
}

/* Walk one list: links both ways, length == nr_free_mt. Consistent prev
 * links with head.prev == PFN_NONE rule out cycles, so heads are distinct. */
static int validate_list(const struct zone *z, unsigned order, int mt, uint64_t *blocks,
			 char *err)
{
	const struct free_area *area = &z->free_area[order];
	uint64_t n = 0, prev = PFN_NONE;

	for (uint64_t pfn = area->head[mt]; pfn != PFN_NONE; pfn = z->memmap[pfn].next) {
		if (validate_block(z, pfn, order, mt, err))
			return -1;
		if (z->memmap[pfn].prev != prev) {
			char got[24], want[24];

			return errf(err, "buddy_validate: zone %s: order %u list: pfn %llu has "
				    "prev %s, expected %s", z->name, order, (unsigned long long)pfn,
				    pfn_str(got, z->memmap[pfn].prev), pfn_str(want, prev));
		}
		if (++n > area->nr_free_mt[mt])
			break;
		prev = pfn;
	}
	if (n > area->nr_free_mt[mt])
		return errf(err, "buddy_validate: zone %s: order %u %s list is longer than "
			    "nr_free %llu", z->name, order, migratetype_names[mt],
			    (unsigned long long)area->nr_free_mt[mt]);
	if (n < area->nr_free_mt[mt])
		return errf(err, "buddy_validate: zone %s: order %u %s list has %llu blocks "
			    "but nr_free is %llu", z->name, order, migratetype_names[mt],
			    (unsigned long long)n, (unsigned long long)area->nr_free_mt[mt]);
	*blocks += n;
	return 0;
}

/* Is pfn on a list of the given order? (error path only) */
static bool on_list(const struct zone *z, uint64_t pfn, unsigned order)
{
	for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
		uint64_t n = 0;

		for (uint64_t p = z->free_area[order].head[mt];
		     p != PFN_NONE && n <= z->free_area[order].nr_free_mt[mt];
		     p = z->memmap[p].next, n++)
			if (p == pfn)
				return true;
	}
	return false;
}

/* Every PG_buddy page in the span is a listed head. The lists' heads are
 * distinct PG_buddy pages in the span, so equal counts mean all are listed. */
static int validate_scan(const struct zone *z, uint64_t blocks, char *err)
{
	uint64_t seen = 0;

	for (uint64_t pfn = z->start_pfn; pfn < z->end_pfn; pfn++)
		seen += (z->memmap[pfn].flags & PG_buddy) != 0;
	if (seen == blocks)
		return 0;
	for (uint64_t pfn = z->start_pfn; pfn < z->end_pfn; pfn++) {
		const struct page *p = &z->memmap[pfn];

		if ((p->flags & PG_buddy) &&
		    (p->order >= z->max_order || !on_list(z, pfn, p->order)))
			return errf(err, "buddy_validate: zone %s: pfn %llu is PG_buddy "
				    "(order %u) but on no free list", z->name,
				    (unsigned long long)pfn, p->order);
	}
	return errf(err, "buddy_validate: zone %s: %llu PG_buddy pages in the span but "
		    "%llu blocks on the lists", z->name, (unsigned long long)seen,
		    (unsigned long long)blocks);
}

int buddy_validate(const struct zone *z, char *err)
{
	uint64_t blocks = 0, frames = 0, cma = 0, iso = 0;

	for (unsigned o = 0; o < z->max_order; o++) {
		uint64_t before = blocks;

		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			uint64_t b0 = blocks;

			if (validate_list(z, o, mt, &blocks, err))
				return -1;
			if (mt == MIGRATE_CMA)
				cma += (blocks - b0) << o;
			if (mt == MIGRATE_ISOLATE)
				iso += (blocks - b0) << o;
		}
		if (blocks - before != z->free_area[o].nr_free)
			return errf(err, "buddy_validate: zone %s: order %u lists hold %llu "
				    "blocks but nr_free is %llu", z->name, o,
				    (unsigned long long)(blocks - before),
				    (unsigned long long)z->free_area[o].nr_free);
		frames += (blocks - before) << o;
	}
	for (unsigned o = z->max_order; o < BUDDY_MAX_ORDER_LIMIT; o++)
		if (z->free_area[o].nr_free)
			return errf(err, "buddy_validate: zone %s: list of order %u is not "
				    "empty but max_order is %u", z->name, o, z->max_order);
	if (frames != z->free_pages || frames + z->pcp_pages > z->managed_pages)
		return errf(err, "buddy_validate: zone %s: lists hold %llu frames but "
			    "free_pages is %llu (managed %llu)", z->name,
			    (unsigned long long)frames, (unsigned long long)z->free_pages,
			    (unsigned long long)z->managed_pages);
	if (cma != z->nr_free_cma)
		return errf(err, "buddy_validate: zone %s: CMA lists hold %llu frames but "
			    "nr_free_cma is %llu", z->name, (unsigned long long)cma,
			    (unsigned long long)z->nr_free_cma);
	if (iso != z->nr_free_isolate)
		return errf(err, "buddy_validate: zone %s: Isolate lists hold %llu frames but "
			    "nr_free_isolate is %llu", z->name, (unsigned long long)iso,
			    (unsigned long long)z->nr_free_isolate);
	return validate_scan(z, blocks, err);
}
