/* The buddy allocator of one zone (Linux mm/page_alloc.c).
 *
 * Free blocks of 2^order frames sit on per-order lists linked through their
 * head page's next/prev (PFNs). Allocation takes the smallest order that has a
 * block (__rmqueue_smallest) and splits it, handing the LOWER half down and
 * putting each upper half on the list one order below (expand()). Freeing
 * merges with the buddy at pfn ^ (1 << order) while that buddy is a free head
 * of the same order (__free_one_page()), then puts the result at the head of
 * its list. */
#ifndef MMSIM_BUDDY_H
#define MMSIM_BUDDY_H

#include "lib/types.h"
#include "kernel/mm/page.h"

#define BUDDY_MAX_ORDER_LIMIT 20

struct free_area {
	uint32_t head;        /* first free block's PFN, or PFN_NONE */
	uint64_t nr_free;     /* blocks on this list */
};

struct zone {
	char name[16];
	struct page *memmap;  /* the node's memmap, indexed by PFN */
	uint64_t start_pfn, end_pfn;  /* span [start, end) */
	unsigned max_order;   /* lists 0 .. max_order-1 */
	struct free_area free_area[BUDDY_MAX_ORDER_LIMIT];

	/* counters (registered as buddy.<zone>.*) */
	uint64_t managed_pages; /* frames given to the allocator at boot */
	uint64_t free_pages;
	uint64_t allocs;      /* successful buddy_alloc calls */
	uint64_t alloc_fails;
	uint64_t frees;
	uint64_t splits;      /* halvings done by expand() */
	uint64_t merges;      /* buddy pairs joined by free */
};

/* An empty zone spanning [start_pfn, end_pfn) of memmap (PFNs below
 * PFN_NONE). max_order: 1..BUDDY_MAX_ORDER_LIMIT. */
void buddy_zone_init(struct zone *z, const char *name, struct page *memmap,
		     uint64_t start_pfn, uint64_t end_pfn, unsigned max_order);
/* Boot: give the frames [start, end) (inside the span, never given before)
 * to the zone as the largest naturally aligned blocks that fit, lowest
 * addresses first on each list (memblock_free_all() per free range). Only
 * the blocks' head pages are touched, so a large zone costs the host little. */
void buddy_free_range(struct zone *z, uint64_t start, uint64_t end);
/* Both at once: every frame of the span not marked PG_reserved in memmap
 * (reads every struct page of the span: for tests and small zones). */
void buddy_init(struct zone *z, const char *name, struct page *memmap,
		uint64_t start_pfn, uint64_t end_pfn, unsigned max_order);

/* Allocate 2^order contiguous frames; returns the first PFN, or -1 if no
 * block of that order or above is free. The head page leaves with
 * refcount 1 and flags 0 (the caller sets its PG_ state). */
int64_t buddy_alloc(struct zone *z, unsigned order);

/* Free a block allocated with the same order. The head's refcount must
 * already be 0 (the caller dropped it). */
void buddy_free(struct zone *z, uint64_t pfn, unsigned order);

/* Check the lists: every head is PG_buddy with its list's order, aligned,
 * inside the zone, linked both ways; nr_free and free_pages add up; no two
 * free buddies of the same order are both on lists (fully merged); no
 * overlap. Returns 0, or -1 with a precise message in err. */
int buddy_validate(const struct zone *z, char *err);

#endif
