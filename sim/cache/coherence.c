/* MESI between the cores' private caches, back-invalidation and DMA.
 *
 * Snooping: a private miss or an upgrade looks the line up in the L1I, L1D
 * and L2 of the other cores that hold it, which the snoop filter
 * (snoop_filter.h) names exactly; with no other holder nothing is snooped.
 * Visiting only those cores, in ascending order, does what visiting every
 * core would, since the others have no copy to change. The transitions
 * are the textbook MESI ones (Papamarcos & Patel 1984; Hennessy & Patterson,
 * "Computer Architecture", 5.2):
 *   remote read:  M -> S (the dirty data is written back below the private
 *                 caches and supplied: a cache-to-cache transfer),
 *                 E -> S, S -> S;
 *   remote write: M, E, S -> I (an M line's data goes to the writer);
 *   upgrade:      own S -> M after the others' copies are invalidated.
 * A core's copies are handled together: the newest dirty one (L1D before
 * L2) is the one written back, once. */
#include "sim/cache/internal.h"

#include "sim/mem/dram.h"

static void caches_of(struct hier *h, unsigned core, struct cache *c[3])
{
	c[0] = h->core[core].l1i;
	c[1] = h->core[core].l1d;
	c[2] = h->core[core].l2;
}

/* The next core of a nonempty mask, removed from it (ascending order). */
static inline unsigned next_core(uint64_t *mask)
{
	unsigned o = (unsigned)__builtin_ctzll(*mask);
	*mask &= *mask - 1;
	return o;
}

void coh_snoop_read(struct hier *h, uint64_t block, uint64_t cores, bool *owned, cycles_t now)
{
	for (uint64_t m = cores; m;) {
		unsigned o = next_core(&m);
		struct cache *c[3], *wb = NULL;
		caches_of(h, o, c);
		for (int j = 0; j < 3; j++) {
			uint32_t idx = c[j] ? cache_find(c[j], block) : CACHE_NONE;
			if (idx == CACHE_NONE)
				continue;
			*owned |= c[j]->state[idx] == MESI_M;
			if (c[j]->dirty[idx] && !wb)
				wb = c[j];
			c[j]->dirty[idx] = 0;
			c[j]->state[idx] = MESI_S;
		}
		if (wb) {
			wb->writebacks++;
			llc_put(h, o, block, true, true, now);
		}
	}
}

/* Drop block from core o's private caches (L1I, L1D, L2), counting each
 * copy as a coherence (back = false) or back-invalidation; reports whether a
 * copy was modified or dirty. Returns the copies dropped. */
static unsigned drop_private(struct hier *h, unsigned o, uint64_t block, bool back,
			     bool *was_m, bool *was_dirty)
{
	struct cache *c[3];
	unsigned n = 0;
	caches_of(h, o, c);
	for (int j = 0; j < 3; j++) {
		uint32_t idx = c[j] ? cache_find(c[j], block) : CACHE_NONE;
		if (idx == CACHE_NONE)
			continue;
		*was_m |= c[j]->state[idx] == MESI_M;
		*was_dirty |= c[j]->dirty[idx];
		cache_drop(c[j], idx);
		if (back)
			c[j]->inval_back++;
		else
			c[j]->inval_coh++;
		n++;
	}
	return n;
}

void coh_snoop_write(struct hier *h, unsigned core, uint64_t block, uint64_t cores, bool *owned)
{
	bool dirty = false;
	for (uint64_t m = cores; m;)
		h->core[core].inval_sent += drop_private(h, next_core(&m), block, false, owned,
							 &dirty);
	sf_clear(&h->sf, block, cores);
}

cycles_t coh_upgrade(struct hier *h, unsigned core, uint64_t block)
{
	bool owned = false;
	bool any = coh_snoop(h, core, block, true, &owned, 0);
	assert(!owned && "coh_upgrade: an S line while another core holds M");
	(void)owned;
	h->core[core].upgrades++;
	struct cache *c[3];
	caches_of(h, core, c);
	for (int j = 1; j < 3; j++) {           /* L1D and L2: the L1I stays S */
		uint32_t idx = c[j] ? cache_find(c[j], block) : CACHE_NONE;
		if (idx != CACHE_NONE)
			c[j]->state[idx] = MESI_M;
	}
	return any ? h->inval_latency : 0;
}

void coh_back_invalidate(struct hier *h, uint64_t block, bool *dirty)
{
	uint64_t holders = sf_snoop(&h->sf, block, 0);
	if (!holders)
		return;
	sf_clear(&h->sf, block, holders);
	bool was_m = false;
	for (uint64_t m = holders; m;)
		h->back_inval += drop_private(h, next_core(&m), block, true, &was_m, dirty);
}

cycles_t hier_dma_write(struct hier *h, paddr_t pa, cycles_t now)
{
	uint64_t block = pa >> h->line_shift;
	h->dma_writes++;
	uint64_t holders = sf_snoop(&h->sf, block, 0);
	if (holders)
		sf_clear(&h->sf, block, holders);
	for (uint64_t m = holders; m;) {
		unsigned o = next_core(&m);
		struct cache *c[3];
		caches_of(h, o, c);
		for (int j = 0; j < 3; j++) {
			uint32_t idx = c[j] ? cache_find(c[j], block) : CACHE_NONE;
			if (idx != CACHE_NONE) {
				cache_drop(c[j], idx);      /* the device rewrites it all */
				c[j]->inval_dma++;
			}
		}
	}
	uint32_t idx = h->llc ? cache_find(h->llc, block) : CACHE_NONE;
	if (h->llc)
		cache_count(h->llc, CACHE_KIND_DMA, idx != CACHE_NONE);
	if (idx != CACHE_NONE) {
		cache_drop(h->llc, idx);
		h->llc->inval_dma++;
	}
	h->mem_writes++;
	return h->dram ? dram_access(h->dram, 0, pa, true, now) : h->mem_latency;
}

/* Write back core o's dirty copy of block, if any; its M copies become E. */
static bool dma_clean(struct hier *h, unsigned o, uint64_t block, cycles_t now)
{
	struct cache *c[3], *wb = NULL;
	caches_of(h, o, c);
	for (int j = 0; j < 3; j++) {
		uint32_t idx = c[j] ? cache_find(c[j], block) : CACHE_NONE;
		if (idx == CACHE_NONE)
			continue;
		if (c[j]->dirty[idx] && !wb)
			wb = c[j];
		c[j]->dirty[idx] = 0;
		if (c[j]->state[idx] == MESI_M)
			c[j]->state[idx] = MESI_E;
	}
	if (wb) {
		wb->writebacks++;
		llc_put(h, o, block, true, true, now);
	}
	return wb != NULL;
}

cycles_t hier_dma_read(struct hier *h, paddr_t pa, cycles_t now)
{
	uint64_t block = pa >> h->line_shift;
	bool from_core = false;
	h->dma_reads++;
	for (uint64_t m = sf_snoop(&h->sf, block, 0); m;)
		from_core |= dma_clean(h, next_core(&m), block, now);
	if (from_core)
		return h->c2c_latency;
	cycles_t lat = 0;
	if (h->llc) {
		uint32_t idx = cache_find(h->llc, block);
		cache_count(h->llc, CACHE_KIND_DMA, idx != CACHE_NONE);
		if (idx != CACHE_NONE)
			return h->llc->latency;
		lat = h->llc->latency;
	}
	return lat + hier_mem_read(h, 0, block, now);
}
