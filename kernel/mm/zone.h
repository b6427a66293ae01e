/* NUMA nodes, their zones, zonelists, watermarks and per-CPU page lists
 * (Linux's pglist_data, mm/page_alloc.c's zone setup, mm/mm_init.c).
 *
 * Nodes own the physical ranges the hardware's DRAM model gives them
 * (sim/mem/dram.h: memory.numa.nodes splits memory evenly); each node's
 * range is cut into ZONE_DMA (< 16 MiB), ZONE_DMA32 (< 4 GiB), ZONE_NORMAL
 * (the rest) and ZONE_MOVABLE (kernel.movablecore bytes taken from the top
 * of every node, evenly, as movablecore= does). A zone a node does not
 * reach is empty (spanned 0). */
#ifndef MMSIM_ZONE_H
#define MMSIM_ZONE_H

#include "kernel/mm/buddy.h"
#include "kernel/mm/gfp.h"
#include "kernel/mm/lru.h"

#define MAX_NUMNODES 8
#define ZONE_DMA_END   (16ull << 20)
#define ZONE_DMA32_END (4ull << 30)

struct kmm;
struct core;
struct stats;

/* The orders with per-cpu lists (Linux 5.13+): 0..PAGE_ALLOC_COSTLY_ORDER
 * and the THP order (pageblock_order), a list per order and PCP type. */
#define PAGE_ALLOC_COSTLY_ORDER 3
#define NR_PCP_ORDERS (PAGE_ALLOC_COSTLY_ORDER + 2)
#define NR_PCP_LISTS (NR_PCP_ORDERS * MIGRATE_PCPTYPES)
static inline bool pcp_allowed_order(unsigned order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER || order == PAGEBLOCK_ORDER;
}
/* order_to_pindex(): the list of (order, mt); order must be allowed. */
static inline unsigned order_to_pindex(int mt, unsigned order)
{
	unsigned slot = order <= PAGE_ALLOC_COSTLY_ORDER ? order : PAGE_ALLOC_COSTLY_ORDER + 1;
	return slot * MIGRATE_PCPTYPES + (unsigned)mt;
}
static inline unsigned pindex_to_order(unsigned pindex)
{
	unsigned slot = pindex / MIGRATE_PCPTYPES;
	return slot <= PAGE_ALLOC_COSTLY_ORDER ? slot : PAGEBLOCK_ORDER;
}

/* One core's cache of free blocks of one zone (struct per_cpu_pages): a
 * list per (order, PCP type), linked through the blocks' head pages'
 * next/prev, newest first. Blocks here are free (flags 0, refcount 0) but
 * not on the buddy lists and not in the zone's free_pages; the head's
 * .private is the migratetype they go back to the buddy as. */
struct per_cpu_pages {
	uint32_t head[NR_PCP_LISTS], tail[NR_PCP_LISTS];
	uint32_t count;         /* frames (not blocks) on all lists */
	uint32_t high, batch;   /* in frames: drain above high; batch per move */
	uint32_t free_pindex;   /* round-robin cursor of free_pcppages_bulk() */
};

/* Linux's pglist_data. */
struct pglist_data {
	int node_id;
	uint64_t start_pfn, end_pfn;         /* the node's memory [start, end) */
	struct zone zones[MAX_NR_ZONES];
	/* zonelists, NULL-terminated: every node's zones, nearest node first
	 * and the highest zone first within a node (build_zonelists());
	 * thisnode: this node's zones only (__GFP_THISNODE) */
	struct zone *zonelist[MAX_NUMNODES * MAX_NR_ZONES + 1];
	struct zone *zonelist_thisnode[MAX_NR_ZONES + 1];
	struct lruvec lruvec;   /* the node's LRU lists (vmscan.h) */

	/* counters ("numa.nodeN.*", as /sys/devices/system/node/nodeN/numastat) */
	uint64_t numa_hit;      /* allocated here, wanted here */
	uint64_t numa_miss;     /* allocated here, wanted elsewhere */
	uint64_t numa_foreign;  /* wanted here, allocated elsewhere */
	uint64_t interleave_hit;
	uint64_t local_node;    /* allocated here by a core of this node */
	uint64_t other_node;    /* allocated here by a core of another node */
};

/* Counters of the allocator's slow paths and pcp lists, kept in struct kmm
 * as k->pa ("buddy.*", summed over zones). */
struct page_alloc_stats {
	uint64_t pcp_alloc_hit, pcp_alloc_refill, pcp_free, pcp_drain;
	uint64_t pcp_refill_pages, pcp_drain_pages;
	uint64_t slowpath, kswapd_wake, direct_compact, direct_compact_success;
	uint64_t fail, fail_order[BUDDY_MAX_ORDER_LIMIT];
	uint64_t nofail_fail;   /* __GFP_NOFAIL requests that still failed */
	/* compaction (compaction.c), as /proc/vmstat's compact_* and pgmigrate_* */
	uint64_t compact_run, compact_proactive;
	uint64_t compact_migrate_scanned, compact_free_scanned, compact_isolated;
	uint64_t pgmigrate_success, pgmigrate_fail;
};

/* Boot (kmm.c calls this once memmap and the first-MiB reservation are in
 * place): nodes and zones from the config and the DRAM layout, every free
 * frame to its zone, watermarks, lowmem_reserve, zonelists, pcp lists. */
void zones_init(struct kmm *k);
void zones_destroy(struct kmm *k);
void pageops_destroy(struct kmm *k);   /* pageops.c */
void zones_register_stats(struct kmm *k, struct stats *st);

/* __setup_per_zone_wmarks() and setup_per_zone_lowmem_reserve() for the
 * current min_free_kbytes (k->min_free_kbytes) and watermark_scale_factor. */
void setup_per_zone_wmarks(struct kmm *k);
/* calculate_min_free_kbytes(): sqrt(lowmem_kbytes * 16) clamped to
 * [128, 262144]. */
uint64_t calculate_min_free_kbytes(uint64_t lowmem_pages);

/* page_zone(): the zone that owns pfn (NULL: none, a hole). */
struct zone *page_zone(struct kmm *k, uint64_t pfn);
/* cpu_to_node(): the node core id sits on (the DRAM model's). */
int cpu_to_node(const struct kmm *k, unsigned core);
/* pfn_to_nid(). */
int pfn_to_nid(const struct kmm *k, uint64_t pfn);

/* GFP decoding, as gfp_zone() and gfp_migratetype(). */
enum zone_type gfp_zone(gfp_t gfp);
int gfp_migratetype(gfp_t gfp);

/* --- per-CPU page lists (pcp.c) --- */
void pcp_setup(struct kmm *k, struct zone *z);
/* rmqueue_pcplist(): a block of 2^order frames (pcp_allowed_order) of type
 * mt from core's list, refilled from the buddy lists (rmqueue_bulk()) when
 * empty with batch frames' worth of blocks (batch >> order, at least 2, as
 * Linux scales it). -1 when the zone has nothing at all. *moved: -1 on a
 * list hit, else the blocks the refill moved (the zone path was taken). */
int64_t pcp_alloc(struct kmm *k, struct zone *z, unsigned core, unsigned order, int mt,
		  unsigned alloc_flags, int *moved);
/* free_unref_page(): put a block on core's list; once the core holds high
 * frames, batch frames' worth go back to the buddy lists from the cold ends
 * of the lists in turn (free_pcppages_bulk()). Returns the blocks that
 * drain moved (0: no drain). */
uint32_t pcp_free(struct kmm *k, struct zone *z, unsigned core, uint64_t pfn, unsigned order,
		  int mt);
/* drain_all_pages(): every core's lists of every zone back to the buddy. */
void drain_all_pages(struct kmm *k);
/* drain_zone_pages(): every core's lists of z back to the buddy. */
void drain_zone_pages(struct kmm *k, struct zone *z);
/* Check the pcp lists of z: links, counts, frame states. */
int pcp_validate(const struct kmm *k, const struct zone *z, char *err);

/* --- allocator (page.c) --- */
/* What one allocation may use (Linux's struct alloc_context). */
struct alloc_context {
	struct zone *const *zonelist;   /* NULL-terminated */
	int highest_zoneidx;            /* gfp_zone() */
	int migratetype;                /* gfp_migratetype() */
	int preferred_nid;
	uint16_t nodemask;              /* MPOL_BIND: allowed nodes; 0: all */
	bool interleave;                /* MPOL_INTERLEAVE chose preferred_nid */
};
/* get_page_from_freelist(): the first zone of the zonelist (up to
 * highest_zoneidx) that passes its watermark gives the block; -1: none. */
int64_t get_page_from_freelist(struct kmm *k, struct core *c, const struct alloc_context *ac,
			       unsigned order, unsigned alloc_flags);
/* kmm_alloc_pages() with a nodemask (0: any node) and whether an
 * interleave policy chose nid (numa interleave_hit). */
int64_t kmm_alloc_pages_mask(struct kmm *k, struct core *c, int nid, uint16_t nodemask,
			     bool interleave, gfp_t gfp, unsigned order, uint32_t state);
/* The node (and bind mask) the process policy of the mm running on core c
 * gives a user allocation (mempolicy.c). */
int mpol_current_node(struct kmm *k, struct core *c, uint16_t *mask, bool *interleave);
/* Frames counted free for meminfo: buddy lists plus pcp lists. */
uint64_t kmm_free_frames(const struct kmm *k);

#endif
