/* Random replacement: a full set evicts way rng_below(ways), from the
 * cache's own generator seeded by cache_cfg.seed (DESIGN.md contract 5).
 * One draw per eviction, none on hits or on fills of invalid ways. */
#include "sim/cache/internal.h"

static void random_nop(struct cache *c, uint32_t idx)
{
	(void)c;
	(void)idx;
}

static uint32_t random_victim(struct cache *c, uint32_t set)
{
	(void)set;
	return (uint32_t)rng_below(&c->rng, c->ways);
}

const struct repl_ops cache_repl_random = {
	.name = "random", .kind = CACHE_REPL_RANDOM,
	.touch = random_nop, .fill = random_nop, .victim = random_victim,
};
