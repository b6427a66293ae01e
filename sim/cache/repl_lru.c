/* True LRU by a per-cache access clock: every touch or fill stamps the line
 * with ++tick, the victim is the line with the smallest stamp. The same
 * order as cachegrind's move-to-front lists (cg_sim.c), in O(1) per hit.
 * The hit rule is cache_repl_lru_touch() in cache.h, inlined by cache_touch(),
 * and the victim search cache_repl_lru_way(), inlined by cache_fill_set(),
 * which also finds a set's lowest invalid way with it (an invalid way's
 * stamp is 0). */
#include "sim/cache/internal.h"

static void lru_touch(struct cache *c, uint32_t idx)
{
	cache_repl_lru_touch(c, idx);
}

static uint32_t lru_victim(struct cache *c, uint32_t set)
{
	return cache_repl_lru_way(c, set);
}

const struct repl_ops cache_repl_lru = {
	.name = "lru", .kind = CACHE_REPL_LRU,
	.touch = lru_touch, .fill = lru_touch, .victim = lru_victim,
};
