/* The buddy allocator of one zone (Linux mm/page_alloc.c), with free lists
 * per migratetype and a migratetype per pageblock.
 *
 * Free blocks of 2^order frames sit on per-(order, migratetype) lists linked
 * through their head page's next/prev (PFNs); the head is PG_buddy, its
 * .order is the block's order and its .private the list's migratetype.
 * Allocation of migratetype mt takes the smallest order that has a block on
 * mt's list (__rmqueue_smallest) and splits it, handing the LOWER half down
 * and putting each upper half on mt's list one order below (expand()). When
 * mt has nothing, it steals from another type in the order of Linux's
 * fallbacks table, the largest block first, taking the whole pageblock when
 * steal_suitable_fallback() says so (__rmqueue_fallback). Freeing merges with
 * the buddy at pfn ^ (1 << order) while that buddy is a free head of the same
 * order (__free_one_page()) and files the result under its pageblock's type.
 *
 * Pageblocks are 2^PAGEBLOCK_ORDER frames (512 = 2 MiB); every pageblock
 * starts MOVABLE, as memmap_init_zone() leaves them. */
#ifndef MMSIM_BUDDY_H
#define MMSIM_BUDDY_H

#include "lib/types.h"
#include "kernel/mm/page.h"

#define BUDDY_MAX_ORDER_LIMIT 20
#define PAGEBLOCK_ORDER 9
#define PAGEBLOCK_NR_PAGES (1u << PAGEBLOCK_ORDER)

/* Linux's enum migratetype. The first MIGRATE_PCPTYPES have per-cpu lists. */
enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_HIGHATOMIC,
	MIGRATE_CMA,
	MIGRATE_ISOLATE,
	MIGRATE_TYPES
};
#define MIGRATE_PCPTYPES MIGRATE_HIGHATOMIC
extern const char *const migratetype_names[MIGRATE_TYPES];  /* "Unmovable" ... */

/* Linux's enum zone_type (x86-64: no HIGHMEM). */
enum zone_type { ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_MOVABLE, MAX_NR_ZONES };
extern const char *const zone_names[MAX_NR_ZONES];     /* "dma" ... (stats) */
extern const char *const zone_proc_names[MAX_NR_ZONES]; /* "DMA" ... (/proc) */

enum zone_wmark { WMARK_MIN, WMARK_LOW, WMARK_HIGH, NR_WMARK };

/* alloc_flags, as Linux's mm/internal.h: the watermark to obey and the
 * reserves an allocation may use. */
#define ALLOC_WMARK_MIN      0x000u
#define ALLOC_WMARK_LOW      0x001u
#define ALLOC_WMARK_HIGH     0x002u
#define ALLOC_NO_WATERMARKS  0x004u
#define ALLOC_WMARK_MASK     (ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM            0x008u  /* OOM victim: half the rest of min */
#define ALLOC_NON_BLOCK      0x010u  /* cannot sleep: another quarter of min */
#define ALLOC_MIN_RESERVE    0x020u  /* __GFP_HIGH: half of min */
#define ALLOC_CMA            0x080u  /* may use MIGRATE_CMA blocks */
#define ALLOC_HIGHATOMIC     0x200u  /* may use (and build) the HIGHATOMIC reserve */
#define ALLOC_KSWAPD         0x800u
#define ALLOC_RESERVES       (ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM)

struct free_area {
	uint32_t head[MIGRATE_TYPES];     /* first free block's PFN, or PFN_NONE */
	uint64_t nr_free;                 /* blocks on all of this order's lists */
	uint64_t nr_free_mt[MIGRATE_TYPES]; /* blocks per list (pagetypeinfo) */
};

struct per_cpu_pages;

struct zone {
	char name[16];
	struct page *memmap;  /* the memmap, indexed by PFN */
	uint64_t start_pfn, end_pfn;  /* span [start, end) */
	unsigned max_order;   /* lists 0 .. max_order-1 */
	int node;             /* NUMA node id */
	enum zone_type idx;   /* which zone of its node */
	uint8_t *pageblock_mt;/* migratetype of each pageblock touching the span,
	                       * index (pfn >> PAGEBLOCK_ORDER) - pb_first */
	uint64_t pb_first, nr_pageblocks;
	struct free_area free_area[BUDDY_MAX_ORDER_LIMIT];

	/* set by zone setup (zone.c): watermarks in frames, and the frames this
	 * zone keeps back from allocations that could have used a higher zone
	 * (lowmem_reserve[highest_zoneidx of the request]) */
	uint64_t watermark[NR_WMARK];
	uint64_t lowmem_reserve[MAX_NR_ZONES];
	uint64_t nr_reserved_highatomic; /* frames in HIGHATOMIC pageblocks */
	uint64_t nr_free_cma;            /* free frames on CMA lists */
	uint64_t nr_free_isolate;        /* free frames on ISOLATE lists (usable by
	                                  * nobody: zone_watermark_ok() ignores them) */
	struct per_cpu_pages *pcp;       /* per core (pcp.c), NULL: none */
	uint64_t pcp_pages;              /* frames sitting on all cores' pcp lists */
	uint64_t nr_pageblock_mt[MIGRATE_TYPES]; /* pageblocks of each type */
	uint64_t compact_retry_frees;    /* proactive compaction: no retry before
	                                  * `frees` reaches this */

	/* counters (registered as buddy.nodeN.<zone>.*) */
	uint64_t spanned_pages;
	uint64_t present_pages; /* spanned less the holes (memory.holes) */
	uint64_t managed_pages; /* frames given to the allocator at boot */
	uint64_t free_pages;    /* frames on the buddy lists (not on pcp lists) */
	uint64_t allocs;      /* successful buddy_alloc/buddy_rmqueue calls */
	uint64_t alloc_fails;
	uint64_t frees;
	uint64_t splits;      /* halvings done by expand() */
	uint64_t merges;      /* buddy pairs joined by free */
	uint64_t fallbacks;   /* allocations served from another migratetype */
	uint64_t steals;      /* whole pageblocks that changed type by a fallback */
	uint64_t wmark_fail;  /* zone_watermark_ok() said no */
};

/* An empty zone spanning [start_pfn, end_pfn) of memmap (PFNs below
 * PFN_NONE). max_order: 1..BUDDY_MAX_ORDER_LIMIT. Every pageblock MOVABLE. */
void buddy_zone_init(struct zone *z, const char *name, struct page *memmap,
		     uint64_t start_pfn, uint64_t end_pfn, unsigned max_order);
void buddy_zone_destroy(struct zone *z);
/* Boot: give the frames [start, end) (inside the span, never given before)
 * to the zone as the largest naturally aligned blocks that fit, lowest
 * addresses first on each list (memblock_free_all() per free range). Only
 * the blocks' head pages are touched, so a large zone costs the host little. */
void buddy_free_range(struct zone *z, uint64_t start, uint64_t end);
/* Both at once: every frame of the span not marked PG_reserved in memmap
 * (reads every struct page of the span: for tests and small zones). */
void buddy_init(struct zone *z, const char *name, struct page *memmap,
		uint64_t start_pfn, uint64_t end_pfn, unsigned max_order);

/* __rmqueue(): 2^order contiguous frames of migratetype mt (a PCPTYPE),
 * falling back to other types as Linux does; CMA blocks only with
 * ALLOC_CMA; the HIGHATOMIC reserve first with ALLOC_HIGHATOMIC (order > 0)
 * and last with ALLOC_NON_BLOCK/ALLOC_OOM. Returns the first PFN, or -1.
 * The head page leaves with refcount 1 and flags 0 (the caller sets its PG_
 * state); no watermark is checked here. */
int64_t buddy_rmqueue(struct zone *z, unsigned order, int mt, unsigned alloc_flags);
/* buddy_rmqueue for MIGRATE_MOVABLE. */
int64_t buddy_alloc(struct zone *z, unsigned order);

/* Free a block allocated with the same order, onto the list of its
 * pageblock's migratetype. The head's refcount must already be 0. */
void buddy_free(struct zone *z, uint64_t pfn, unsigned order);
/* __free_one_page() with the list type given (pcp drains pass the type the
 * page was freed as). */
void buddy_free_mt(struct zone *z, uint64_t pfn, unsigned order, int mt);

/* __isolate_free_page(): take the free block headed at pfn (PG_buddy) off
 * its list; its frames become free frames outside the allocator (flags 0,
 * refcount 0), to be handed back with buddy_free one by one. Returns its
 * order. */
unsigned buddy_isolate_free_block(struct zone *z, uint64_t pfn);

/* Pageblock types (get_pfnblock_migratetype / set_pageblock_migratetype). */
int get_pageblock_migratetype(const struct zone *z, uint64_t pfn);
void set_pageblock_migratetype(struct zone *z, uint64_t pfn, int mt);
/* move_freepages_block(): every free block of pfn's pageblock goes to mt's
 * lists; returns the frames moved, and in *movable the frames of the block
 * in use by movable owners (anon, file, LRU pages). */
uint64_t move_freepages_block(struct zone *z, uint64_t pfn, int mt, uint64_t *movable);
/* The head of the free block (on a buddy list) that covers pfn, or -1
 * when pfn is not free on the lists. */
int64_t buddy_free_head_of(const struct zone *z, uint64_t pfn);
/* set_migratetype_isolate(): pfn's pageblock becomes MIGRATE_ISOLATE and
 * its free blocks move to the ISOLATE lists, where no allocation looks;
 * returns the type it had, for unset_migratetype_isolate(), which puts it
 * (and its free blocks) back. */
int set_migratetype_isolate(struct zone *z, uint64_t pfn);
void unset_migratetype_isolate(struct zone *z, uint64_t pfn, int mt);
/* reserve_highatomic_pageblock(): after a high-order atomic allocation at
 * pfn, make its pageblock HIGHATOMIC if the reserve (1% of the zone plus a
 * pageblock) has room. */
void reserve_highatomic_pageblock(struct zone *z, uint64_t pfn);

/* zone_watermark_ok(): may an allocation of 2^order frames that could have
 * used zones up to highest_zoneidx take from z and leave it above mark
 * (less the reserves alloc_flags may dip into), with a block of at least
 * that order on a list it may use? Counts wmark_fail when not. */
bool zone_watermark_ok(struct zone *z, unsigned order, uint64_t mark,
		       int highest_zoneidx, unsigned alloc_flags);

/* Is pfn the head of a free block on a buddy list of z? (PageBuddy) */
static inline bool page_is_free_head(const struct zone *z, uint64_t pfn)
{
	return (z->memmap[pfn].flags & PG_buddy) != 0;
}

/* Check the lists: every head is PG_buddy with its list's order and type,
 * aligned, inside the zone, linked both ways; nr_free, nr_free_mt and
 * free_pages add up; no two free buddies of the same order are both on
 * lists (fully merged, except across ISOLATE/CMA pageblock borders); no
 * overlap. Returns 0, or -1 with a precise message in err. */
int buddy_validate(const struct zone *z, char *err);

#endif
