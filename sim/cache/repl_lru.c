/* True LRU as per-set recency ranks: a line's rank is how many lines of its
 * set were used since it was (0: the most recent). A hit or fill makes the
 * line rank 0 and ages by one every line that was more recent; the victim
 * of a full set is the line of rank ways-1. The same order as cachegrind's
 * move-to-front lists (cg_sim.c) and as per-line use stamps, kept as bytes
 * so that SSE2 ages 16 lines and finds the oldest in a few instructions
 * instead of scanning 64-bit stamps (docs/performance.md). An invalid line
 * keeps its rank; fills take the lowest invalid way (partial tag 0) first.
 * The hit rule is cache_repl_lru_touch() in cache.h, inlined by
 * cache_touch(), and the victim search cache_repl_lru_way(), inlined by
 * cache_fill_set(). */
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
