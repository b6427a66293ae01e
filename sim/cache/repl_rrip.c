/* Re-reference interval prediction (Jaleel, Theobald, Steely, Emer, "High
 * performance cache replacement using re-reference interval prediction",
 * ISCA 2010), 2-bit RRPVs in the per-line policy word:
 *   hit:    RRPV = 0 (hit priority);
 *   victim: the lowest way with RRPV = 3; if none, every RRPV of the set
 *           goes up by one and the search repeats;
 *   fill:   SRRIP inserts with RRPV = 2 ("long");
 *           BRRIP inserts with 3 ("distant"), and with 2 once in 32 fills
 *           (one draw of the cache's generator per fill: rng_below(32) == 0).
 * Set dueling (DRRIP) is not modelled. */
#include "sim/cache/internal.h"

#define RRPV_MAX 3u
#define RRPV_LONG 2u
#define BRRIP_LONG_ONE_IN 32

static void rrip_touch(struct cache *c, uint32_t idx)
{
	cache_repl_rrip_touch(c, idx);     /* inline in cache.h, for cache_touch() */
}

static void srrip_fill(struct cache *c, uint32_t idx)
{
	c->meta[idx] = RRPV_LONG;
}

static void brrip_fill(struct cache *c, uint32_t idx)
{
	c->meta[idx] = rng_below(&c->rng, BRRIP_LONG_ONE_IN) == 0 ? RRPV_LONG : RRPV_MAX;
}

static uint32_t rrip_victim(struct cache *c, uint32_t set)
{
	uint64_t *m = c->meta + (size_t)set * c->ways;
	for (;;) {
		for (uint32_t w = 0; w < c->ways; w++)
			if (m[w] >= RRPV_MAX)
				return w;
		for (uint32_t w = 0; w < c->ways; w++)
			m[w]++;
	}
}

const struct repl_ops cache_repl_srrip = {
	.name = "srrip", .kind = CACHE_REPL_SRRIP,
	.touch = rrip_touch, .fill = srrip_fill, .victim = rrip_victim,
};

const struct repl_ops cache_repl_brrip = {
	.name = "brrip", .kind = CACHE_REPL_BRRIP,
	.touch = rrip_touch, .fill = brrip_fill, .victim = rrip_victim,
};
