/* The access path of the hierarchy (rules in hier.h and docs/cache-model.md).
 *
 * An access walks down: a private level looks the span up (one counted
 * access, touching the lines it has); if every line is there it is done,
 * else the whole span goes to the next level (L1 -> L2 -> shared), and on
 * the way back each level installs the lines it lacked with the MESI state
 * granted from below. The shared level snoops the other cores (coherence.c),
 * then asks the LLC and memory for the lines no other core supplied.
 * Victims travel down: an L1's dirty victim is written back into the L2,
 * the last private level's victims go to llc_put(), the LLC's dirty victims
 * to memory (after back-invalidation when inclusive). */
#include "sim/cache/internal.h"

#include "sim/mem/dram.h"
#include "sim/mem/memsys.h"

cycles_t hier_mem_read(struct hier *h, unsigned core, uint64_t block, cycles_t now)
{
	h->mem_reads++;
	if (!h->dram)
		return h->mem_latency;
	return dram_access(h->dram, core, block << h->line_shift, false, now);
}

void hier_mem_write(struct hier *h, unsigned core, uint64_t block, cycles_t now)
{
	h->mem_writes++;
	if (h->dram)
		dram_access(h->dram, core, block << h->line_shift, true, now);
}

/* Install block in the LLC. Its victim leaves every private cache first
 * when the LLC is inclusive, and goes to memory if it (or a private copy)
 * was dirty. */
static void llc_fill(struct hier *h, unsigned core, uint64_t block, bool dirty, cycles_t now)
{
	struct cache_victim v;
	cache_fill(h->llc, block, MESI_E, dirty, &v);
	if (v.block == CACHE_NO_BLOCK)
		return;
	bool vdirty = v.dirty;
	if (h->incl == INCL_INCLUSIVE)
		coh_back_invalidate(h, v.block, &vdirty);
	if (vdirty) {
		h->llc->writebacks++;
		hier_mem_write(h, core, v.block, now);
	}
}

void llc_put(struct hier *h, unsigned core, uint64_t block, bool dirty, bool keep_private,
	     cycles_t now)
{
	struct cache *c = h->llc;
	if (!c) {
		if (dirty)
			hier_mem_write(h, core, block, now);
		return;
	}
	c->wb_in += dirty;
	uint32_t idx = cache_find(c, block);
	if (idx != CACHE_NONE) {
		c->dirty[idx] |= dirty;     /* a writeback does not touch the policy */
		return;
	}
	bool victim_cache = h->incl == INCL_EXCLUSIVE && !keep_private;
	if (victim_cache || (dirty && h->incl == INCL_NONINCLUSIVE && !c->wb_noalloc))
		llc_fill(h, core, block, dirty, now);
	else if (dirty)
		hier_mem_write(h, core, block, now);
}

static uint32_t private_fill(struct hier *h, unsigned core, struct cache *c, uint64_t block,
			     uint8_t state, bool dirty, cycles_t now);

/* An L1's dirty victim v, written back into the L2. */
static void l2_writeback(struct hier *h, unsigned core, const struct cache_victim *v,
			 cycles_t now)
{
	struct cache *l2 = h->core[core].l2;
	uint32_t idx = cache_find(l2, v->block);
	l2->wb_in++;
	if (idx != CACHE_NONE) {
		l2->dirty[idx] = 1;
		l2->state[idx] = MESI_M;
	} else if (l2->wb_noalloc) {
		llc_put(h, core, v->block, true, false, now);
	} else {
		private_fill(h, core, l2, v->block, MESI_M, true, now);
	}
}

/* Where a private cache's victim goes. */
static void private_victim(struct hier *h, unsigned core, struct cache *c,
			   const struct cache_victim *v, cycles_t now)
{
	if (v->block == CACHE_NO_BLOCK)
		return;
	c->writebacks += v->dirty;
	struct cache *l2 = h->core[core].l2;
	if (l2 && c != l2) {
		if (v->dirty)
			l2_writeback(h, core, v, now);
		return;
	}
	llc_put(h, core, v->block, v->dirty, false, now);
}

static uint32_t private_fill(struct hier *h, unsigned core, struct cache *c, uint64_t block,
			     uint8_t state, bool dirty, cycles_t now)
{
	struct cache_victim v;
	uint32_t idx = cache_fill(c, block, state, dirty, &v);
	private_victim(h, core, c, &v, now);
	return idx;
}

/* Look the span up in c: one counted access, hits touched. */
static bool span_lookup(struct cache *c, const struct span *sp, unsigned kind, uint32_t idx[2])
{
	bool hit = true;
	for (unsigned i = 0; i < sp->n; i++) {
		idx[i] = cache_find(c, sp->b[i]);
		if (idx[i] == CACHE_NONE)
			hit = false;
		else
			cache_touch(c, idx[i]);
	}
	cache_count(c, kind, hit);
	return hit;
}

/* The LLC (or memory) supplies the lines in need[]; lat[] grows by the
 * cost. An exclusive LLC hands its lines (and their dirty bits) up. */
static void llc_supply(struct hier *h, unsigned core, const struct span *sp, const bool need[2],
		       unsigned kind, cycles_t now, struct grant *g, cycles_t lat[2])
{
	struct cache *c = h->llc;
	uint32_t idx[2] = { CACHE_NONE, CACHE_NONE };
	bool hit = true, any = false;
	for (unsigned i = 0; i < sp->n && c; i++) {
		if (!need[i])
			continue;
		any = true;
		idx[i] = cache_find(c, sp->b[i]);
		if (idx[i] == CACHE_NONE)
			hit = false;
		else
			cache_touch(c, idx[i]);
	}
	if (any)
		cache_count(c, kind, hit);
	for (unsigned i = 0; i < sp->n; i++) {
		if (!need[i])
			continue;
		if (c)
			lat[i] += c->latency;
		if (idx[i] == CACHE_NONE) {
			lat[i] += hier_mem_read(h, core, sp->b[i], now);
			if (c && h->incl != INCL_EXCLUSIVE)
				llc_fill(h, core, sp->b[i], false, now);
		} else if (h->incl == INCL_EXCLUSIVE) {
			g->dirty[i] = c->dirty[idx[i]];
			cache_drop(c, idx[i]);
		}
	}
}

/* Data written by a store that no private level absorbs (write-through
 * all the way): into the LLC's copy, else memory. */
static void store_below(struct hier *h, unsigned core, const struct span *sp, cycles_t now)
{
	for (unsigned i = 0; i < sp->n; i++) {
		uint32_t idx = h->llc ? cache_find(h->llc, sp->b[i]) : CACHE_NONE;
		if (idx != CACHE_NONE && h->incl != INCL_EXCLUSIVE)
			h->llc->dirty[idx] = 1;
		else
			hier_mem_write(h, core, sp->b[i], now);
	}
}

/* Below the private caches: coherence first, then LLC and memory. */
static cycles_t shared_level(struct hier *h, unsigned core, const struct span *sp,
			     unsigned kind, bool write, bool data, cycles_t now, struct grant *g)
{
	cycles_t lat[2] = { 0, 0 };
	bool need[2] = { true, true };
	for (unsigned i = 0; i < sp->n; i++) {
		bool owned = false, others = false;
		if (h->ncores > 1)
			others = write ? coh_snoop_write(h, core, sp->b[i], &owned)
				       : coh_snoop_read(h, core, sp->b[i], &owned, now);
		g->state[i] = write ? MESI_M : others ? MESI_S : MESI_E;
		g->dirty[i] = 0;
		if (owned) {
			h->core[core].c2c++;
			lat[i] = h->c2c_latency;
			need[i] = false;
		} else if (write && others) {
			lat[i] = h->inval_latency;
		}
	}
	llc_supply(h, core, sp, need, kind, now, g, lat);
	if (data)
		store_below(h, core, sp, now);
	return lat[0] > lat[1] ? lat[0] : lat[1];
}

/* A write hit at level c: every line of the span must be M; the lines
 * are dirty if the data stops here. */
static cycles_t write_hit(struct hier *h, unsigned core, struct cache *c, const struct span *sp,
			  const uint32_t idx[2], bool data)
{
	cycles_t lat = 0;
	for (unsigned i = 0; i < sp->n; i++) {
		if (c->state[idx[i]] == MESI_S) {
			cycles_t up = coh_upgrade(h, core, sp->b[i]);
			lat = up > lat ? up : lat;
		}
		c->state[idx[i]] = MESI_M;
		c->dirty[idx[i]] |= data;
	}
	return lat;
}

/* One private level, c: the core's L1I, L1D or L2. write: the access
 * needs ownership; data: the written bytes have not been absorbed above
 * (a write-back level absorbs them, a write-through one passes them on). */
static cycles_t private_level(struct hier *h, unsigned core, struct cache *c,
			      const struct span *sp, unsigned kind, bool write, bool data,
			      cycles_t now, struct grant *g)
{
	uint32_t idx[2];
	cycles_t lat = c->latency;
	bool through = data && c->write_through;     /* the data goes on down */
	if (span_lookup(c, sp, kind, idx) && !through) {
		if (write)
			lat += write_hit(h, core, c, sp, idx, data);
		for (unsigned i = 0; i < sp->n; i++) {
			g->state[i] = c->state[idx[i]];
			g->dirty[i] = 0;
		}
		return lat;
	}
	struct grant below;
	struct cache *l2 = h->core[core].l2;
	if (l2 && c != l2)
		lat += private_level(h, core, l2, sp, kind, write, through, now, &below);
	else
		lat += shared_level(h, core, sp, kind, write, through, now, &below);

	for (unsigned i = 0; i < sp->n; i++) {
		/* Found again: what happened below may have moved lines here. */
		uint32_t j = cache_find(c, sp->b[i]);
		if (j == CACHE_NONE && !through)
			private_fill(h, core, c, sp->b[i], below.state[i],
				     below.dirty[i] || data, now);
		else if (j != CACHE_NONE && write)
			c->state[j] = MESI_M;
		g->state[i] = below.state[i];
		g->dirty[i] = 0;
	}
	return lat;
}

static cycles_t hier_span(struct hier *h, unsigned core, const struct span *sp, unsigned kind,
			  bool write, cycles_t now)
{
	assert(core < h->ncores);
	assert(!(write && kind == MEM_IFETCH));
	struct hier_core *hc = &h->core[core];
	struct grant g;
	return private_level(h, core, kind == MEM_IFETCH ? hc->l1i : hc->l1d, sp, kind, write,
			     write, now, &g);
}

cycles_t hier_access_slow(struct hier *h, unsigned core, paddr_t pa, unsigned kind, bool write,
			  cycles_t now)
{
	return hier_access_sized(h, core, pa, 1, kind, write, now);
}

cycles_t hier_access_sized(struct hier *h, unsigned core, paddr_t pa, unsigned size,
			   unsigned kind, bool write, cycles_t now)
{
	assert(size >= 1 && size <= 1u << h->line_shift);
	if (kind == MEM_DMA)
		return write ? hier_dma_write(h, pa, now) : hier_dma_read(h, pa, now);
	struct span sp;
	sp.b[0] = pa >> h->line_shift;
	sp.b[1] = (pa + size - 1) >> h->line_shift;
	sp.n = sp.b[1] != sp.b[0] ? 2 : 1;
	return hier_span(h, core, &sp, kind, write, now);
}
