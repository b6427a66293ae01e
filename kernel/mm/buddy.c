/* The buddy allocator of one zone, after Linux mm/page_alloc.c.
 *
 * Modelled: per-order free lists of naturally aligned 2^order blocks, linked
 * through the head page's next/prev (PFNs, PFN_NONE at both ends, new blocks
 * at the head of the list as add_to_free_list() puts them); allocation of the
 * smallest order that has a block, split by expand() so that the LOWER half
 * goes on toward the caller and each upper half is freed one order down;
 * freeing that merges with the buddy at pfn ^ (1 << order) while the buddy is
 * a free head of the same order inside the zone (__free_one_page()); boot-time
 * freeing of every non-reserved frame (memblock_free_all()).
 *
 * Simplified: one list per order (no migratetypes, so no fallback or
 * pageblock stealing), no per-cpu page lists (pcp), no watermarks or
 * zone_watermark_ok() yet (the phys-mm issue adds them on top), no lock, no
 * cycle cost (the caller charges struct page traffic).
 *
 * Linux counterparts: buddy_init ~ memblock_free_all()/__free_pages_memory(),
 * buddy_alloc ~ __rmqueue_smallest() + expand() + prep_new_page(),
 * buddy_free ~ __free_one_page(), add_to_free_list / del_page_from_free_list /
 * page_is_buddy as named, buddy_validate ~ what CONFIG_DEBUG_VM would check. */
#include "kernel/mm/buddy.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "lib/jsonutil.h"

static inline bool in_span(const struct zone *z, uint64_t pfn)
{
	return pfn >= z->start_pfn && pfn < z->end_pfn;
}

/* Linux add_to_free_list() + set_buddy_order(): pfn becomes the head of a
 * free block of 2^order frames, first on its list. */
static void add_to_free_list(struct zone *z, uint64_t pfn, unsigned order)
{
	struct free_area *area = &z->free_area[order];
	struct page *p = &z->memmap[pfn];

	p->flags = PG_buddy;
	p->order = (uint8_t)order;
	p->prev = PFN_NONE;
	p->next = area->head;
	if (area->head != PFN_NONE)
		z->memmap[area->head].prev = (uint32_t)pfn;
	area->head = (uint32_t)pfn;
	area->nr_free++;
}

/* Linux del_page_from_free_list(): O(1) unlink; the page stops being a free
 * head (PG_buddy cleared). */
static void del_page_from_free_list(struct zone *z, uint64_t pfn, unsigned order)
{
	struct free_area *area = &z->free_area[order];
	struct page *p = &z->memmap[pfn];

	assert((p->flags & PG_buddy) && p->order == order);
	if (p->prev != PFN_NONE)
		z->memmap[p->prev].next = p->next;
	else
		area->head = p->next;
	if (p->next != PFN_NONE)
		z->memmap[p->next].prev = p->prev;
	p->next = p->prev = PFN_NONE;
	p->flags &= ~PG_buddy;
	area->nr_free--;
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
	 * maximal blocks are already fully merged. Touches only block heads. */
	while (end > start) {
		unsigned order = max_block_order_below(z, end, start);

		end -= 1ull << order;
		assert(z->memmap[end].flags == 0 && z->memmap[end].refcount == 0);
		add_to_free_list(z, end, order);
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
	z->max_order = max_order;
	for (unsigned o = 0; o < BUDDY_MAX_ORDER_LIMIT; o++)
		z->free_area[o].head = PFN_NONE;
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
 * toward the caller and the upper half is freed at the order below.
 * Example: an order-3 block at 0 handed out at order 0 frees 4 (order 2),
 * 2 (order 1) and 1 (order 0), and the caller gets 0. */
static void expand(struct zone *z, uint64_t pfn, unsigned low, unsigned high)
{
	while (high > low) {
		high--;
		add_to_free_list(z, pfn + (1ull << high), high);
		z->splits++;
	}
}

/* Linux __rmqueue_smallest() and prep_new_page(). */
int64_t buddy_alloc(struct zone *z, unsigned order)
{
	for (unsigned cur = order; cur < z->max_order; cur++) {
		uint64_t pfn = z->free_area[cur].head;
		struct page *p;

		if (pfn == PFN_NONE)
			continue;
		del_page_from_free_list(z, pfn, cur);
		expand(z, pfn, order, cur);
		p = &z->memmap[pfn];
		p->flags = 0;
		p->refcount = 1;
		z->free_pages -= 1ull << order;
		z->allocs++;
		return (int64_t)pfn;
	}
	z->alloc_fails++;  /* also reached when order >= max_order */
	return -1;
}

/* Linux __free_one_page(). The buddy of a block differs from it only in the
 * bit of its size: the buddy of pfn 8 at order 1 is 8 ^ 2 = 10, and the pair
 * merges into the order-2 block at 8 & ~2 = 8. */
void buddy_free(struct zone *z, uint64_t pfn, unsigned order)
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
		del_page_from_free_list(z, buddy, order);
		pfn &= ~(1ull << order);  /* the combined block's head */
		order++;
		z->merges++;
	}
	add_to_free_list(z, pfn, order);
}

/* ---- buddy_validate (cold: tests and --check) ---- */

/* One free block: head state, alignment, span, tails, merge state. */
static int validate_block(const struct zone *z, uint64_t pfn, unsigned order, char *err)
{
	const struct page *p = &z->memmap[pfn];
	uint64_t size = 1ull << order, buddy = pfn ^ size;

	if (!in_span(z, pfn) || pfn + size > z->end_pfn)
		return errf(err, "buddy_validate: zone %s: order %u block at pfn %llu "
			    "leaves the span [%llu, %llu)", z->name, order,
			    (unsigned long long)pfn, (unsigned long long)z->start_pfn,
			    (unsigned long long)z->end_pfn);
	if (p->flags != PG_buddy || p->order != order || p->refcount != 0)
		return errf(err, "buddy_validate: zone %s: pfn %llu on the order %u list "
			    "has flags 0x%x, order %u, refcount %d", z->name,
			    (unsigned long long)pfn, order, p->flags, p->order, p->refcount);
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
	if (order + 1 < z->max_order && page_is_buddy(z, buddy, order))
		return errf(err, "buddy_validate: zone %s: order %u blocks at pfn %llu "
			    "and its buddy %llu are both free (not merged)", z->name,
			    order, (unsigned long long)pfn, (unsigned long long)buddy);
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

/* Walk one list: links both ways, length == nr_free. Consistent prev links
 * with head.prev == PFN_NONE rule out cycles, so heads are distinct. */
static int validate_list(const struct zone *z, unsigned order, uint64_t *blocks, char *err)
{
	const struct free_area *area = &z->free_area[order];
	uint64_t n = 0, prev = PFN_NONE;

	for (uint64_t pfn = area->head; pfn != PFN_NONE; pfn = z->memmap[pfn].next) {
		if (validate_block(z, pfn, order, err))
			return -1;
		if (z->memmap[pfn].prev != prev) {
			char got[24], want[24];

			return errf(err, "buddy_validate: zone %s: order %u list: pfn %llu has "
				    "prev %s, expected %s", z->name, order, (unsigned long long)pfn,
				    pfn_str(got, z->memmap[pfn].prev), pfn_str(want, prev));
		}
		if (++n > area->nr_free)
			break;
		prev = pfn;
	}
	if (n > area->nr_free)
		return errf(err, "buddy_validate: zone %s: order %u list is longer than "
			    "nr_free %llu", z->name, order, (unsigned long long)area->nr_free);
	if (n < area->nr_free)
		return errf(err, "buddy_validate: zone %s: order %u list has %llu blocks "
			    "but nr_free is %llu", z->name, order, (unsigned long long)n,
			    (unsigned long long)area->nr_free);
	*blocks += n;
	return 0;
}

/* Is pfn on the list of the given order? (error path only) */
static bool on_list(const struct zone *z, uint64_t pfn, unsigned order)
{
	uint64_t n = 0;

	for (uint64_t p = z->free_area[order].head; p != PFN_NONE && n <= z->free_area[order].nr_free;
	     p = z->memmap[p].next, n++)
		if (p == pfn)
			return true;
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
	uint64_t blocks = 0, frames = 0;

	for (unsigned o = 0; o < z->max_order; o++) {
		uint64_t before = blocks;

		if (validate_list(z, o, &blocks, err))
			return -1;
		frames += (blocks - before) << o;
	}
	for (unsigned o = z->max_order; o < BUDDY_MAX_ORDER_LIMIT; o++)
		if (z->free_area[o].head != PFN_NONE || z->free_area[o].nr_free)
			return errf(err, "buddy_validate: zone %s: list of order %u is not "
				    "empty but max_order is %u", z->name, o, z->max_order);
	if (frames != z->free_pages || frames > z->managed_pages)
		return errf(err, "buddy_validate: zone %s: lists hold %llu frames but "
			    "free_pages is %llu (managed %llu)", z->name,
			    (unsigned long long)frames, (unsigned long long)z->free_pages,
			    (unsigned long long)z->managed_pages);
	return validate_scan(z, blocks, err);
}
