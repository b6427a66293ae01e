/* NUMA nodes and zones at boot: spans, the hand-over of free frames,
 * watermarks, lowmem_reserve, zonelists, and their counters.
 *
 * Modelled after Linux mm/mm_init.c and mm/page_alloc.c:
 * - nodes own the ranges the DRAM model gives them (sim/mem/dram.h), so the
 *   kernel's pfn_to_nid() and the hardware's remote latency agree; cores sit
 *   on the DRAM model's nodes (cpu_to_node());
 * - zones cut each node at 16 MiB and 4 GiB; ZONE_MOVABLE takes
 *   kernel.movablecore bytes from the top of each node, split evenly
 *   (find_zone_movable_pfns_for_nodes() with movablecore=), never from DMA;
 * - calculate_min_free_kbytes(), __setup_per_zone_wmarks() (min shared out
 *   by managed size, MOVABLE's min from its own size, low and high a step of
 *   max(min/4, managed * watermark_scale_factor / 10000) above),
 *   setup_per_zone_lowmem_reserve() (ratios 256, 256, 32);
 * - build_zonelists(): nodes by distance (nearest first, ties to the higher
 *   node id as find_next_best_node() does), each node's zones highest first.
 *
 * - holes and reserved ranges (memblock.c) are never freed to the lists;
 *   present_pages = spanned - holes, managed = what was freed.
 *
 * Simplified: the node distance is the DRAM model's extra remote
 * cycles (uniform in the flat memory model); no node_load round robin. */
#include "kernel/mm/kmm.h"
#include "kernel/mm/cma.h"
#include "kernel/mm/hugetlb.h"

#include <assert.h>
#include <stdlib.h>
#include "lib/config.h"
#include "lib/stats.h"
#include "sim/mem/dram.h"
#include "sim/mem/memsys.h"

#define PAGEBLOCK_MASK ((uint64_t)PAGEBLOCK_NR_PAGES - 1)

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

int cpu_to_node(const struct kmm *k, unsigned core)
{
	if (k->ms->dram && core < DRAM_MAX_CORES)
		return k->ms->dram->core_node[core];
	return (int)(core * k->nr_nodes / (k->ncores ? k->ncores : 1));
}

int pfn_to_nid(const struct kmm *k, uint64_t pfn)
{
	for (unsigned n = 0; n < k->nr_nodes; n++)
		if (pfn >= k->node[n].start_pfn && pfn < k->node[n].end_pfn)
			return (int)n;
	return 0;
}

struct zone *page_zone(struct kmm *k, uint64_t pfn)
{
	struct pglist_data *pg = &k->node[pfn_to_nid(k, pfn)];

	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &pg->zones[i];

		if (pfn >= z->start_pfn && pfn < z->end_pfn)
			return z;
	}
	return NULL;
}

/* Extra cycles from node a's cores to node b's memory. */
static uint32_t node_distance(const struct kmm *k, unsigned a, unsigned b)
{
	if (a == b)
		return 0;
	if (k->ms->dram)
		return k->ms->dram->remote[a][b];
	return k->cfg->memory.numa_remote;
}

/* The node's physical range, as the DRAM model has it. */
static void node_range(const struct kmm *k, unsigned n, uint64_t *start, uint64_t *end)
{
	uint64_t base, size;

	if (k->ms->dram) {
		base = k->ms->dram->node[n].base;
		size = k->ms->dram->node[n].size;
	} else {
		size = k->cfg->memory.size / k->nr_nodes;
		base = size * n;
	}
	*start = min_u64(base >> PAGE_SHIFT, k->nframes);
	*end = min_u64((base + size) >> PAGE_SHIFT, k->nframes);
}

/* Cut node n into its zones. */
static void node_zones(struct kmm *k, struct pglist_data *pg)
{
	uint64_t s = pg->start_pfn, e = pg->end_pfn;
	uint64_t dma_end = ZONE_DMA_END >> PAGE_SHIFT, dma32_end = ZONE_DMA32_END >> PAGE_SHIFT;
	uint64_t movable = (k->cfg->kernel.movablecore / k->nr_nodes) >> PAGE_SHIFT;
	uint64_t mstart = e;
	uint64_t lo[MAX_NR_ZONES], hi[MAX_NR_ZONES];

	if (movable) {
		mstart = e > movable ? e - movable : 0;
		mstart = (mstart + PAGEBLOCK_MASK) & ~PAGEBLOCK_MASK;
		mstart = min_u64(max_u64(mstart, max_u64(s, dma_end)), e);
	}
	lo[ZONE_DMA] = s;
	hi[ZONE_DMA] = max_u64(s, min_u64(e, dma_end));
	lo[ZONE_DMA32] = max_u64(s, dma_end);
	hi[ZONE_DMA32] = max_u64(lo[ZONE_DMA32], min_u64(mstart, dma32_end));
	lo[ZONE_NORMAL] = max_u64(s, dma32_end);
	hi[ZONE_NORMAL] = max_u64(lo[ZONE_NORMAL], mstart);
	lo[ZONE_MOVABLE] = mstart;
	hi[ZONE_MOVABLE] = e;
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &pg->zones[i];

		if (hi[i] <= lo[i])
			lo[i] = hi[i] = (i == ZONE_MOVABLE ? e : lo[i]);
		buddy_zone_init(z, zone_names[i], k->memmap, lo[i], hi[i], k->cfg->kernel.max_order);
		z->node = pg->node_id;
		z->idx = (enum zone_type)i;
	}
}

/* memblock_free_all(): every frame of the zone that is neither a hole nor
 * reserved (memblock.h) to the buddy lists, run by run, a run cut where the
 * CMA area starts and ends so that its blocks stay its own. present_pages is
 * the span less its holes (calculate_node_totalpages()). */
/* buddy_free_range() of [start, end) less the 1G hugetlb pages set aside
 * at boot (hugetlb.c). */
static void free_range_but_gigantic(struct kmm *k, struct zone *z, uint64_t start, uint64_t end)
{
	for (uint64_t g; (g = hugetlb_gigantic_next(k, start, end)) < end;) {
		buddy_free_range(z, start, g);
		start = g + (1ull << 18);
	}
	buddy_free_range(z, start, end);
}

static void free_zone_frames(struct kmm *k, struct zone *z)
{
	uint64_t start = z->start_pfn, run_end;
	uint64_t cs = k->cma ? cma_base_pfn(k->cma) : 0, ce = k->cma ? cma_end_pfn(k->cma) : 0;

	z->present_pages = z->spanned_pages -
		memblock_count(&k->memblock, z->start_pfn, z->end_pfn, MEMBLOCK_HOLE);
	while (memblock_next_free(&k->memblock, &start, z->end_pfn, &run_end)) {
		uint64_t cut[4], n = 0;

		cut[n++] = start;
		if (cs > start && cs < run_end)
			cut[n++] = cs;
		if (ce > start && ce < run_end && ce > cs)
			cut[n++] = ce;
		cut[n++] = run_end;
		for (uint64_t i = 0; i + 1 < n; i++)
			free_range_but_gigantic(k, z, cut[i], cut[i + 1]);
		start = run_end;
	}
}

uint64_t calculate_min_free_kbytes(uint64_t lowmem_pages)
{
	uint64_t x = lowmem_pages * (PAGE_SIZE >> 10) * 16, r = 0, bit = 1ull << 62;

	/* int_sqrt(), digit by digit */
	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r < 128 ? 128 : r > 262144 ? 262144 : r;
}

/* setup_per_zone_lowmem_reserve(): zone i keeps back, from requests that
 * could have used zone j > i, the managed frames of zones i+1..j divided by
 * sysctl_lowmem_reserve_ratio[i]. */
static void setup_per_zone_lowmem_reserve(struct kmm *k)
{
	static const uint64_t ratio[MAX_NR_ZONES] = { 256, 256, 32, 0 };

	for (unsigned n = 0; n < k->nr_nodes; n++)
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *z = &k->node[n].zones[i];
			uint64_t managed = 0;

			for (int j = i + 1; j < MAX_NR_ZONES; j++) {
				managed += k->node[n].zones[j].managed_pages;
				z->lowmem_reserve[j] = !ratio[i] || !z->managed_pages ? 0 :
					managed / ratio[i];
			}
		}
}

void setup_per_zone_wmarks(struct kmm *k)
{
	uint64_t pages_min = k->min_free_kbytes >> (PAGE_SHIFT - 10), lowmem = 0;
	uint32_t wsf = k->cfg->kernel.watermark_scale_factor;

	for (unsigned n = 0; n < k->nr_nodes; n++)
		for (int i = 0; i < ZONE_MOVABLE; i++)
			lowmem += k->node[n].zones[i].managed_pages;
	for (unsigned n = 0; n < k->nr_nodes; n++)
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *z = &k->node[n].zones[i];
			uint64_t managed = z->managed_pages;
			uint64_t tmp = lowmem ? pages_min * managed / lowmem : 0;

			if (i == ZONE_MOVABLE) {
				/* ZONE_MOVABLE serves no kernel allocation that
				 * needs the reserve: a small min of its own */
				uint64_t m = managed / 1024;
				z->watermark[WMARK_MIN] = m < 32 ? 32 : m > 128 ? 128 : m;
			} else {
				z->watermark[WMARK_MIN] = tmp;
			}
			tmp = max_u64(tmp >> 2, managed * wsf / 10000);
			z->watermark[WMARK_LOW] = z->watermark[WMARK_MIN] + tmp;
			z->watermark[WMARK_HIGH] = z->watermark[WMARK_LOW] + tmp;
		}
	setup_per_zone_lowmem_reserve(k);
}

/* build_zonelists(): this node first, then the others nearest first (a tie
 * goes to the node with the higher id after this one, as the n < node
 * penalty of find_next_best_node() does); within each node the highest zone
 * first. Empty zones are left out. */
static void build_zonelists(struct kmm *k, struct pglist_data *pg)
{
	bool used[MAX_NUMNODES] = { false };
	unsigned nz = 0, nt = 0;

	for (unsigned step = 0; step < k->nr_nodes; step++) {
		unsigned best = 0;
		uint64_t best_val = UINT64_MAX;

		for (unsigned n = 0; n < k->nr_nodes; n++) {
			uint64_t val = (uint64_t)node_distance(k, (unsigned)pg->node_id, n) * 2 +
				       (n < (unsigned)pg->node_id);

			if (!used[n] && val < best_val)
				best = n, best_val = val;
		}
		used[best] = true;
		for (int i = MAX_NR_ZONES - 1; i >= 0; i--) {
			struct zone *z = &k->node[best].zones[i];

			if (!z->managed_pages)
				continue;
			pg->zonelist[nz++] = z;
			if (best == (unsigned)pg->node_id)
				pg->zonelist_thisnode[nt++] = z;
		}
	}
	pg->zonelist[nz] = NULL;
	pg->zonelist_thisnode[nt] = NULL;
}

void zones_init(struct kmm *k)
{
	unsigned nodes = k->cfg->memory.numa_nodes ? k->cfg->memory.numa_nodes : 1;
	uint64_t lowmem = 0;

	assert(nodes <= MAX_NUMNODES);
	k->nr_nodes = nodes;
	k->node = calloc(nodes, sizeof(*k->node));
	if (!k->node)
		abort();
	for (unsigned n = 0; n < nodes; n++) {
		k->node[n].node_id = (int)n;
		lruvec_init(&k->node[n].lruvec);
		node_range(k, n, &k->node[n].start_pfn, &k->node[n].end_pfn);
		node_zones(k, &k->node[n]);
	}
	k->cma = cma_declare(k);   /* marks its pageblocks MIGRATE_CMA */
	hugetlb_reserve_gigantic(k);
	for (unsigned n = 0; n < nodes; n++)
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			free_zone_frames(k, &k->node[n].zones[i]);
			if (i < ZONE_MOVABLE)
				lowmem += k->node[n].zones[i].managed_pages;
		}
	k->min_free_kbytes = k->cfg->kernel.min_free_kbytes ? k->cfg->kernel.min_free_kbytes :
			     calculate_min_free_kbytes(lowmem);
	setup_per_zone_wmarks(k);
	for (unsigned n = 0; n < nodes; n++) {
		build_zonelists(k, &k->node[n]);
		for (int i = 0; i < MAX_NR_ZONES; i++)
			pcp_setup(k, &k->node[n].zones[i]);
	}
}

void zones_destroy(struct kmm *k)
{
	pageops_destroy(k);
	cma_destroy(k->cma);
	k->cma = NULL;
	for (unsigned n = 0; k->node && n < k->nr_nodes; n++)
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			buddy_zone_destroy(&k->node[n].zones[i]);
			free(k->node[n].zones[i].pcp);
		}
	free(k->node);
	k->node = NULL;
}

static const char *const mt_stat_names[MIGRATE_TYPES] = {
	"unmovable", "movable", "reclaimable", "highatomic", "cma", "isolate",
};

static void zone_register_stats(struct zone *z, struct stats *st)
{
	static const char *const wm[NR_WMARK] = { "min", "low", "high" };
	int n = z->node;
	const char *zn = z->name;

	stats_add(st, &z->spanned_pages, "buddy.node%d.%s.spanned", n, zn);
	stats_add(st, &z->present_pages, "buddy.node%d.%s.present", n, zn);
	stats_add(st, &z->managed_pages, "buddy.node%d.%s.managed", n, zn);
	stats_add(st, &z->free_pages, "buddy.node%d.%s.free_pages", n, zn);
	stats_add(st, &z->pcp_pages, "buddy.node%d.%s.pcp_pages", n, zn);
	stats_add(st, &z->allocs, "buddy.node%d.%s.alloc", n, zn);
	stats_add(st, &z->alloc_fails, "buddy.node%d.%s.alloc_fail", n, zn);
	stats_add(st, &z->frees, "buddy.node%d.%s.free", n, zn);
	stats_add(st, &z->splits, "buddy.node%d.%s.split", n, zn);
	stats_add(st, &z->merges, "buddy.node%d.%s.merge", n, zn);
	stats_add(st, &z->fallbacks, "buddy.node%d.%s.fallback", n, zn);
	stats_add(st, &z->steals, "buddy.node%d.%s.steal", n, zn);
	stats_add(st, &z->wmark_fail, "buddy.node%d.%s.wmark_fail", n, zn);
	stats_add(st, &z->nr_reserved_highatomic, "buddy.node%d.%s.reserved_highatomic", n, zn);
	stats_add(st, &z->nr_free_cma, "buddy.node%d.%s.free_cma", n, zn);
	for (int w = 0; w < NR_WMARK; w++)
		stats_add(st, &z->watermark[w], "buddy.node%d.%s.wmark.%s", n, zn, wm[w]);
	for (int j = 0; j < MAX_NR_ZONES; j++)
		stats_add(st, &z->lowmem_reserve[j], "buddy.node%d.%s.protection.%s", n, zn,
			  zone_names[j]);
	for (unsigned o = 0; o < z->max_order; o++)
		stats_add(st, &z->free_area[o].nr_free, "buddy.node%d.%s.free.order%u", n, zn, o);
	for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
		for (unsigned o = 0; o < z->max_order; o++)
			stats_add(st, &z->free_area[o].nr_free_mt[mt], "buddy.node%d.%s.free.%s.order%u",
				  n, zn, mt_stat_names[mt], o);
		stats_add(st, &z->nr_pageblock_mt[mt], "buddy.node%d.%s.pageblocks.%s", n, zn,
			  mt_stat_names[mt]);
	}
}

void zones_register_stats(struct kmm *k, struct stats *st)
{
	struct page_alloc_stats *pa = &k->pa;

	stats_add(st, &k->min_free_kbytes, "mm.min_free_kbytes");
	stats_add(st, &pa->pcp_alloc_hit, "mm.pcp.alloc_hit");
	stats_add(st, &pa->pcp_alloc_refill, "mm.pcp.refill");
	stats_add(st, &pa->pcp_refill_pages, "mm.pcp.refill_pages");
	stats_add(st, &pa->pcp_free, "mm.pcp.free");
	stats_add(st, &pa->pcp_drain, "mm.pcp.drain");
	stats_add(st, &pa->pcp_drain_pages, "mm.pcp.drain_pages");
	stats_add(st, &pa->slowpath, "mm.page_alloc.slowpath");
	stats_add(st, &pa->kswapd_wake, "mm.page_alloc.kswapd_wake");
	stats_add(st, &pa->direct_compact, "mm.compact.stall");
	stats_add(st, &pa->direct_compact_success, "mm.compact.success");
	stats_add(st, &pa->fail, "mm.page_alloc.fail");
	stats_add(st, &pa->compact_run, "mm.compact.run");
	stats_add(st, &pa->compact_proactive, "mm.compact.proactive");
	stats_add(st, &pa->compact_migrate_scanned, "mm.compact.migrate_scanned");
	stats_add(st, &pa->compact_free_scanned, "mm.compact.free_scanned");
	stats_add(st, &pa->compact_isolated, "mm.compact.isolated");
	stats_add(st, &pa->pgmigrate_success, "mm.pgmigrate.success");
	stats_add(st, &pa->pgmigrate_fail, "mm.pgmigrate.fail");
	stats_add(st, &pa->nofail_fail, "mm.page_alloc.nofail_fail");
	if (k->cma)
		cma_register_stats(k->cma, st);
	for (unsigned o = 0; o < k->cfg->kernel.max_order; o++)
		stats_add(st, &pa->fail_order[o], "mm.page_alloc.fail.order%u", o);
	for (unsigned n = 0; n < k->nr_nodes; n++) {
		struct pglist_data *pg = &k->node[n];

		stats_add(st, &pg->numa_hit, "numa.node%u.numa_hit", n);
		stats_add(st, &pg->numa_miss, "numa.node%u.numa_miss", n);
		stats_add(st, &pg->numa_foreign, "numa.node%u.numa_foreign", n);
		stats_add(st, &pg->interleave_hit, "numa.node%u.interleave_hit", n);
		stats_add(st, &pg->local_node, "numa.node%u.local_node", n);
		stats_add(st, &pg->other_node, "numa.node%u.other_node", n);
		for (int i = 0; i < MAX_NR_ZONES; i++)
			if (pg->zones[i].spanned_pages)
				zone_register_stats(&pg->zones[i], st);
	}
}

enum zone_type gfp_zone(gfp_t gfp)
{
	if (gfp & __GFP_DMA)
		return ZONE_DMA;
	if (gfp & __GFP_DMA32)
		return ZONE_DMA32;
	if (gfp & __GFP_MOVABLE)
		return ZONE_MOVABLE;
	return ZONE_NORMAL;
}

int gfp_migratetype(gfp_t gfp)
{
	if (gfp & __GFP_MOVABLE)
		return MIGRATE_MOVABLE;
	if (gfp & __GFP_RECLAIMABLE)
		return MIGRATE_RECLAIMABLE;
	return MIGRATE_UNMOVABLE;
}
