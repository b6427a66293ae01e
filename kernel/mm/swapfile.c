/* Swap slots and the swap cache (mm/swapfile.c, mm/swap_state.c). */
#include "kernel/mm/swap.h"

#include <assert.h>
#include <stdlib.h>
#include "kernel/mm/page.h"
#include "lib/jsonutil.h"
#include "lib/stats.h"
#include "sim/blk/blkdev.h"

int swap_info_init(struct swap_info *si, unsigned type, struct blkdev *dev)
{
	*si = (struct swap_info){ .type = type, .dev = dev, .pages = dev->nblocks };
	if (si->pages < 2 || type >= MAX_SWAPFILES)
		return -1;
	uint64_t nclusters = (si->pages + SWAP_CLUSTER - 1) / SWAP_CLUSTER;
	si->map = calloc(si->pages, 1);
	si->cache = malloc(si->pages * sizeof(*si->cache));
	si->cluster_used = calloc(nclusters, sizeof(*si->cluster_used));
	if (!si->map || !si->cache || !si->cluster_used)
		abort();
	for (uint64_t s = 0; s < si->pages; s++)
		si->cache[s] = PFN_NONE;
	si->map[0] = SWAP_MAP_MAX;        /* the header */
	si->cluster_used[0] = 1;
	si->free_clusters = nclusters - 1;
	si->next = 1;
	return 0;
}

void swap_info_fini(struct swap_info *si)
{
	free(si->map);
	free(si->cache);
	free(si->cluster_used);
}

void swap_info_stats(struct swap_info *si, struct stats *st)
{
	stats_add(st, &si->pages, "swap.%u.pages", si->type);
	stats_add(st, &si->inuse, "swap.%u.inuse", si->type);
	stats_add(st, &si->alloc, "swap.%u.alloc", si->type);
	stats_add(st, &si->alloc_fail, "swap.%u.alloc_fail", si->type);
	stats_add(st, &si->freed, "swap.%u.free", si->type);
	stats_add(st, &si->cache_pages, "swap.%u.cache_pages", si->type);
}

static uint64_t cluster_end(const struct swap_info *si, uint64_t c)
{
	uint64_t end = (c + 1) * SWAP_CLUSTER;
	return end < si->pages ? end : si->pages;
}

/* The first free slot of cluster c from slot `from`, or 0. */
static uint64_t scan_cluster(const struct swap_info *si, uint64_t c, uint64_t from)
{
	for (uint64_t s = from; s < cluster_end(si, c); s++)
		if (!si->map[s])
			return s;
	return 0;
}

/* scan_swap_map_slots(), simplified: fill the current cluster in slot
 * order; when it is full take the next empty cluster; with none left, any
 * free slot from the start. */
swp_entry_t swap_alloc(struct swap_info *si)
{
	uint64_t nclusters = (si->pages + SWAP_CLUSTER - 1) / SWAP_CLUSTER;
	uint64_t s = scan_cluster(si, si->cluster, si->next);
	for (uint64_t i = 1; !s && i <= nclusters && si->free_clusters; i++) {
		uint64_t c = (si->cluster + i) % nclusters;
		if (!si->cluster_used[c]) {
			si->cluster = c;
			si->free_clusters--;
			s = scan_cluster(si, c, c * SWAP_CLUSTER);
		}
	}
	for (uint64_t c = 0; !s && c < nclusters; c++) {
		s = scan_cluster(si, c, c * SWAP_CLUSTER);
		if (s)
			si->cluster = c;
	}
	if (!s) {
		si->alloc_fail++;
		return (swp_entry_t){ 0 };
	}
	si->next = s + 1;
	si->map[s] = 1;
	si->cluster_used[s / SWAP_CLUSTER]++;
	si->inuse++;
	si->alloc++;
	return swp_entry(si->type, s);
}

unsigned swap_count(const struct swap_info *si, swp_entry_t e)
{
	return si->map[swp_offset(e)];
}

void swap_dup(struct swap_info *si, swp_entry_t e)
{
	uint64_t s = swp_offset(e);
	assert(s > 0 && s < si->pages && si->map[s] > 0 && si->map[s] < SWAP_MAP_MAX);
	si->map[s]++;
}

unsigned swap_put(struct swap_info *si, swp_entry_t e)
{
	uint64_t s = swp_offset(e);
	assert(s > 0 && s < si->pages && si->map[s] > 0);
	if (--si->map[s])
		return si->map[s];
	uint64_t c = s / SWAP_CLUSTER;
	if (--si->cluster_used[c] == 0 && c != si->cluster)
		si->free_clusters++;
	si->inuse--;
	si->freed++;
	return 0;
}

void swap_cache_add(struct swap_info *si, swp_entry_t e, uint64_t pfn)
{
	uint64_t s = swp_offset(e);
	assert(si->cache[s] == PFN_NONE);
	si->cache[s] = (uint32_t)pfn;
	swap_dup(si, e);
	si->cache_pages++;
}

void swap_cache_del(struct swap_info *si, swp_entry_t e)
{
	uint64_t s = swp_offset(e);
	assert(si->cache[s] != PFN_NONE);
	si->cache[s] = PFN_NONE;
	si->cache_pages--;
	swap_put(si, e);
}

int64_t swap_cache_lookup(const struct swap_info *si, swp_entry_t e)
{
	uint32_t pfn = si->cache[swp_offset(e)];
	return pfn == PFN_NONE ? -1 : (int64_t)pfn;
}

int swap_validate(const struct swap_info *si, char *err)
{
	uint64_t nclusters = (si->pages + SWAP_CLUSTER - 1) / SWAP_CLUSTER;
	uint64_t inuse = 0, empty = 0, cached = 0;
	for (uint64_t c = 0; c < nclusters; c++) {
		uint32_t used = 0;
		for (uint64_t s = c * SWAP_CLUSTER; s < cluster_end(si, c); s++) {
			used += si->map[s] != 0;
			if (si->cache[s] != PFN_NONE) {
				cached++;
				if (!si->map[s])
					return errf(err, "swap %u: slot %llu is cached as frame %u "
						    "but free", si->type, (unsigned long long)s,
						    si->cache[s]);
			}
		}
		if (used != si->cluster_used[c])
			return errf(err, "swap %u: cluster %llu has %u slots in use, its count "
				    "says %u", si->type, (unsigned long long)c, used,
				    si->cluster_used[c]);
		inuse += used;
		empty += !used && c != si->cluster;
	}
	if (inuse != si->inuse + 1)   /* the header is not counted */
		return errf(err, "swap %u: %llu slots in use, inuse says %llu", si->type,
			    (unsigned long long)inuse - 1, (unsigned long long)si->inuse);
	if (empty != si->free_clusters)
		return errf(err, "swap %u: %llu empty clusters, free_clusters says %llu",
			    si->type, (unsigned long long)empty,
			    (unsigned long long)si->free_clusters);
	if (cached != si->cache_pages)
		return errf(err, "swap %u: %llu cached slots, cache_pages says %llu", si->type,
			    (unsigned long long)cached, (unsigned long long)si->cache_pages);
	return 0;
}
