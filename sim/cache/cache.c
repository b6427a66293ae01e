/* One set-associative cache: configuration checks, creation, fills and
 * counters. The lookup helpers are inline in cache.h; the replacement
 * policies are in repl_*.c. */
#include "sim/cache/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/stats.h"
#include "sim/mem/memsys.h"

_Static_assert(CACHE_KINDS == MEM_KINDS && CACHE_KIND_IFETCH == MEM_IFETCH &&
	       CACHE_KIND_DMA == MEM_DMA, "cache.h restates the memsys access kinds");


int cache_cfg_check(const struct cache_cfg *cfg, const char *name, char *err)
{
	const struct repl_ops *ops = cache_repl_find(cfg->repl);
	if (!ops) {
		snprintf(err, MMSIM_ERR_LEN, "%s.repl: unknown policy \"%s\" (lru, plru, "
			 "random, srrip, brrip)", name, cfg->repl);
		return -1;
	}
	if (!is_pow2(cfg->line) || cfg->line < 8 || cfg->line > 4096) {
		snprintf(err, MMSIM_ERR_LEN, "%s.line: %u is not a power of two in 8..4096",
			 name, cfg->line);
		return -1;
	}
	if (cfg->ways < 1 || cfg->ways > 255) {
		snprintf(err, MMSIM_ERR_LEN, "%s.ways: %u is not in 1..255", name, cfg->ways);
		return -1;
	}
	if (ops->kind == CACHE_REPL_PLRU && (!is_pow2(cfg->ways) || cfg->ways > 64)) {
		snprintf(err, MMSIM_ERR_LEN, "%s.ways: tree-PLRU needs a power of two "
			 "up to 64, not %u", name, cfg->ways);
		return -1;
	}
	uint64_t set_bytes = (uint64_t)cfg->ways * cfg->line;
	if (cfg->size % set_bytes || !is_pow2(cfg->size / set_bytes)) {
		snprintf(err, MMSIM_ERR_LEN, "%s.size: %llu bytes is not a power-of-two "
			 "number of sets of %u ways x %u bytes", name,
			 (unsigned long long)cfg->size, cfg->ways, cfg->line);
		return -1;
	}
	uint32_t slices = cfg->slices ? cfg->slices : 1;
	if (!is_pow2(slices) || slices > cfg->size / set_bytes) {
		snprintf(err, MMSIM_ERR_LEN, "%s.slices: %u is not a power of two up to "
			 "the number of sets", name, cfg->slices);
		return -1;
	}
	return 0;
}

struct cache *cache_create(const struct cache_cfg *cfg)
{
	char err[MMSIM_ERR_LEN];
	int bad = cache_cfg_check(cfg, "cache", err);
	assert(!bad && "cache_create: invalid cache_cfg");
	(void)bad;

	struct cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->size = cfg->size;
	c->ways = cfg->ways;
	c->sets = (uint32_t)(cfg->size / ((uint64_t)cfg->ways * cfg->line));
	c->set_mask = c->sets - 1;
	c->line_shift = log2u(cfg->line);
	c->way_shift = log2u(cfg->ways);
	c->slice_bits = cfg->slices > 1 ? log2u(cfg->slices) : 0;
	c->slice_shift = log2u(c->sets) - c->slice_bits;
	c->latency = cfg->latency;
	c->ops = cache_repl_find(cfg->repl);
	c->repl = c->ops->kind;
	c->write_through = cfg->write_through;
	c->wb_noalloc = cfg->wb_noalloc;
	rng_seed(&c->rng, cfg->seed);

	size_t n = (size_t)c->sets * c->ways;
	/* the match bits of the ways in a set's last group of tags: bit w
	 * (SSE2) or bit 7 of byte w (64-bit words) */
	c->tag_tail = 0;
	for (uint32_t w = 0; w < (c->ways - 1) % CACHE_TAG_GROUP + 1; w++)
		c->tag_tail |= (CACHE_TAG_BIT_SHIFT ? 0x80ull : 1ull) << (w << CACHE_TAG_BIT_SHIFT);
	c->block = malloc(n * sizeof(*c->block));
	c->tag = calloc(n + CACHE_TAG_GROUP, 1);
	c->meta = calloc(n, sizeof(*c->meta));
	c->age = malloc(n + CACHE_TAG_GROUP);
	c->state = calloc(n, 1);
	c->dirty = calloc(n, 1);
	c->set_meta = calloc(c->sets, sizeof(*c->set_meta));
	if (!c->block || !c->tag || !c->meta || !c->age || !c->state || !c->dirty ||
	    !c->set_meta) {
		cache_destroy(c);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		c->block[i] = CACHE_NO_BLOCK;
		c->age[i] = (uint8_t)(i % c->ways);     /* any permutation will do */
	}
	memset(c->age + n, 0, CACHE_TAG_GROUP);
	for (uint32_t w = 0; w < 16; w++)
		c->age_tail[w] = w < (c->ways - 1) % 16 + 1 ? 0xff : 0;
	c->way_recip = (1ull << 40) / c->ways + 1;
	return c;
}

void cache_destroy(struct cache *c)
{
	if (!c)
		return;
	free(c->block);
	free(c->tag);
	free(c->meta);
	free(c->age);
	free(c->state);
	free(c->dirty);
	free(c->set_meta);
	free(c);
}

void cache_stats(struct cache *c, struct stats *st, const char *prefix)
{
	stats_add(st, &c->accesses, "%s.access", prefix);
	stats_add(st, &c->hits, "%s.hit", prefix);
	stats_add(st, &c->misses, "%s.miss", prefix);
	for (int k = 0; k < CACHE_KINDS; k++) {
		stats_add(st, &c->access[k], "%s.%s.access", prefix, mem_kind_name[k]);
		stats_add(st, &c->hit[k], "%s.%s.hit", prefix, mem_kind_name[k]);
		stats_add(st, &c->miss[k], "%s.%s.miss", prefix, mem_kind_name[k]);
	}
	stats_add(st, &c->fills, "%s.fill", prefix);
	stats_add(st, &c->evictions, "%s.eviction", prefix);
	stats_add(st, &c->writebacks, "%s.writeback", prefix);
	stats_add(st, &c->wb_in, "%s.writeback_in", prefix);
	stats_add(st, &c->inval_coh, "%s.coherence.inval", prefix);
	stats_add(st, &c->inval_back, "%s.back_inval", prefix);
	stats_add(st, &c->inval_dma, "%s.dma_inval", prefix);
}

uint32_t cache_fill_way(struct cache *c, uint32_t set)
{
	const uint64_t *b = c->block + (size_t)set * c->ways;
	for (uint32_t w = 0; w < c->ways; w++)
		if (b[w] == CACHE_NO_BLOCK)
			return w;
	return c->ops->victim(c, set);
}

bool cache_ref(struct cache *c, paddr_t pa, unsigned kind)
{
	uint64_t b = cache_block(c, pa);
	uint32_t idx = cache_find(c, b);
	cache_count(c, kind, idx != CACHE_NONE);
	if (idx != CACHE_NONE) {
		cache_touch(c, idx);
		return true;
	}
	struct cache_victim v;
	cache_fill(c, b, MESI_E, false, &v);
	return false;
}

uint64_t cache_occupancy(const struct cache *c)
{
	uint64_t n = 0;
	for (size_t i = 0; i < (size_t)c->sets * c->ways; i++)
		n += c->block[i] != CACHE_NO_BLOCK;
	return n;
}
