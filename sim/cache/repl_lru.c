/* True LRU by a per-cache access clock: every touch or fill stamps the line
 * with ++tick, the victim is the line with the smallest stamp. The same
 * order as cachegrind's move-to-front lists (cg_sim.c), in O(1) per hit.
 * The hit rule is cache_repl_lru_touch() in cache.h, inlined by cache_touch(). */
#include "sim/cache/internal.h"

static void lru_touch(struct cache *c, uint32_t idx)
{
	cache_repl_lru_touch(c, idx);
}

static uint32_t lru_victim(struct cache *c, uint32_t set)
{
	const uint64_t *m = c->meta + (size_t)set * c->ways;
	uint32_t v = 0;
	for (uint32_t w = 1; w < c->ways; w++)
		if (m[w] < m[v])
			v = w;
	return v;
}

const struct repl_ops cache_repl_lru = {
	.name = "lru", .kind = CACHE_REPL_LRU,
	.touch = lru_touch, .fill = lru_touch, .victim = lru_victim,
};
