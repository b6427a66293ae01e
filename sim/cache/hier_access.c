/* The access path of the hierarchy (rules in hier.h and docs/cache-model.md)
 * for an access within one line, and the victims' way down for every
 * access; an access straddling two lines takes hier_span.c's path.
 *
 * An access walks down: a private level looks the line up (one counted
 * access, touching it if there); if it is there the access is done, else
 * it goes to the next level (L1 -> L2 -> shared), and on the way back each
 * level installs the line with the MESI state granted from below. The
 * shared level snoops the other cores that hold the line (coherence.c),
 * then, unless one of them supplied it, asks the LLC and memory.
 * Victims travel down: an L1's dirty victim is written back into the L2,
 * the last private level's victims go to llc_put(), the LLC's dirty victims
 * to memory (after back-invalidation when inclusive). Every fill and victim
 * of a private cache updates the snoop filter. */
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

/* Install block in the LLC (set: its set). Its victim leaves every private
 * cache first when the LLC is inclusive, and goes to memory if it (or a
 * private copy) was dirty. */
void llc_fill(struct hier *h, unsigned core, uint32_t set, uint64_t block, bool dirty,
	      cycles_t now)
{
	struct cache_victim v;
	cache_fill_set(h->llc, set, block, MESI_E, dirty, &v);
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
	uint32_t set = cache_set(c, block);
	uint32_t idx = cache_find_set(c, set, block);
	if (idx != CACHE_NONE) {
		c->dirty[idx] |= dirty;     /* a writeback does not touch the policy */
		return;
	}
	bool victim_cache = h->incl == INCL_EXCLUSIVE && !keep_private;
	if (victim_cache || (dirty && h->incl == INCL_NONINCLUSIVE && !c->wb_noalloc))
		llc_fill(h, core, set, block, dirty, now);
	else if (dirty)
		hier_mem_write(h, core, block, now);
}

/* An L1's dirty victim v, written back into the L2 (the core's snoop
 * filter bit for it stayed set: private_victim()). */
static void l2_writeback(struct hier *h, unsigned core, const struct cache_victim *v,
			 cycles_t now)
{
	struct cache *l2 = h->core[core].l2;
	uint32_t set = cache_set(l2, v->block);
	uint32_t idx = cache_find_set(l2, set, v->block);
	l2->wb_in++;
	if (idx != CACHE_NONE) {
		l2->dirty[idx] = 1;
		l2->state[idx] = MESI_M;
	} else if (l2->wb_noalloc) {
		llc_put(h, core, v->block, true, false, now);
	} else {
		private_fill(h, core, l2, v->block, MESI_M, true, true, now);
	}
}

/* Where a private cache's victim goes. The snoop filter first: the core
 * keeps the line if another of its caches has it, or will: an L1's dirty
 * victim is written into an allocating L2. */
static void private_victim(struct hier *h, unsigned core, struct cache *c,
			   const struct cache_victim *v, cycles_t now)
{
	struct cache *l2 = h->core[core].l2;
	bool into_l2 = l2 && c != l2;
	c->writebacks += v->dirty;
	if (!(into_l2 && v->dirty && !l2->wb_noalloc) && !core_holds(h, core, c, v->block))
		sf_clear(&h->sf, v->block, 1ull << core);
	if (into_l2) {
		if (v->dirty)
			l2_writeback(h, core, v, now);
		return;
	}
	llc_put(h, core, v->block, v->dirty, false, now);
}

uint32_t private_fill(struct hier *h, unsigned core, struct cache *c, uint64_t block,
		      uint8_t state, bool dirty, bool held, cycles_t now)
{
	struct cache_victim v;
	uint32_t idx = cache_fill(c, block, state, dirty, &v);
	if (!held)
		sf_add(&h->sf, block, core);
	if (v.block != CACHE_NO_BLOCK)
		private_victim(h, core, c, &v, now);
	return idx;
}

/* Data written by a store that no private level absorbs (write-through
 * all the way): into the LLC's copy, else memory. */
void store_below(struct hier *h, unsigned core, uint64_t block, cycles_t now)
{
	uint32_t idx = h->llc ? cache_find(h->llc, block) : CACHE_NONE;
	if (idx != CACHE_NONE && h->incl != INCL_EXCLUSIVE)
		h->llc->dirty[idx] = 1;
	else
		hier_mem_write(h, core, block, now);
}

/* A write hit on line idx (block) of private level c: the line becomes M,
 * after invalidating the other cores' copies if it was S (the returned
 * latency); it is dirty if the data stops here. */
cycles_t write_hit(struct hier *h, unsigned core, struct cache *c, uint32_t idx, uint64_t block,
		   bool data)
{
	cycles_t lat = 0;
	if (c->state[idx] == MESI_S)
		lat = coh_upgrade(h, core, block);
	c->state[idx] = MESI_M;
	c->dirty[idx] |= data;
	return lat;
}

/* ---- one line ---- */

/* The LLC (or memory) supplies block: the latency. An exclusive LLC hands
 * its line (*dirty: and its dirty bit) up. */
static cycles_t llc_supply(struct hier *h, unsigned core, uint64_t block, unsigned kind,
			   cycles_t now, bool *dirty)
{
	struct cache *c = h->llc;
	if (!c)
		return hier_mem_read(h, core, block, now);
	uint32_t set = cache_set(c, block);
	uint32_t idx = cache_find_set(c, set, block);
	cache_count(c, kind, idx != CACHE_NONE);
	if (idx == CACHE_NONE) {
		cycles_t lat = c->latency + hier_mem_read(h, core, block, now);
		if (h->incl != INCL_EXCLUSIVE)
			llc_fill(h, core, set, block, false, now);
		return lat;
	}
	cache_touch(c, idx);
	if (h->incl == INCL_EXCLUSIVE) {
		*dirty = c->dirty[idx];
		cache_drop(c, idx);
	}
	return c->latency;
}

/* Below the private caches: coherence first, then the LLC and memory.
 * *state: the MESI state granted; *dirty: the line handed up is dirty. */
static cycles_t shared_level(struct hier *h, unsigned core, uint64_t block, unsigned kind,
			     bool write, bool data, cycles_t now, uint8_t *state, bool *dirty)
{
	bool owned = false;
	bool others = coh_snoop(h, core, block, write, &owned, now);
	cycles_t lat = 0;
	*state = write ? MESI_M : others ? MESI_S : MESI_E;
	*dirty = false;
	if (owned) {
		h->core[core].c2c++;
		lat = h->c2c_latency;
	} else {
		if (write && others)
			lat = h->inval_latency;
		lat += llc_supply(h, core, block, kind, now, dirty);
	}
	if (data)
		store_below(h, core, block, now);
	return lat;
}

/* One private level, c (the core's L1I, L1D or L2), for block, whose line
 * in c the caller has looked up: idx, or CACHE_NONE. write: the access
 * needs ownership; data: the written bytes have not been absorbed above (a
 * write-back level absorbs them, a write-through one passes them on).
 * *state: the MESI state c now has, or was granted from below. */
static cycles_t private_level(struct hier *h, unsigned core, struct cache *c, uint64_t block,
			      uint32_t idx, unsigned kind, bool write, bool data, cycles_t now,
			      uint8_t *state)
{
	cycles_t lat = c->latency;
	bool through = data && c->write_through;     /* the data goes on down */
	cache_count(c, kind, idx != CACHE_NONE);
	if (idx != CACHE_NONE) {
		cache_touch(c, idx);
		if (!through) {
			if (write)
				lat += write_hit(h, core, c, idx, block, data);
			*state = c->state[idx];
			return lat;
		}
	}
	bool dirty = false;
	struct cache *l2 = h->core[core].l2;
	if (l2 && c != l2)
		lat += private_level(h, core, l2, block, cache_find(l2, block), kind, write,
				     through, now, state);
	else
		lat += shared_level(h, core, block, kind, write, through, now, state, &dirty);

	/* Nothing below fills this core's c, so a line that was absent still
	 * is; one written through may have been dropped meanwhile. Below an
	 * L1 the L2 now holds the line (it hit, or was filled), so the core's
	 * snoop filter bit is already set. */
	if (idx == CACHE_NONE) {
		if (!through)
			private_fill(h, core, c, block, *state, dirty || data, l2 && c != l2, now);
	} else if (write) {
		idx = cache_find(c, block);
		if (idx != CACHE_NONE)
			c->state[idx] = MESI_M;
	}
	return lat;
}

/* private_level() for the common case in one frame: block missed in a
 * write-back L1 (l1) with an L2 below. */
static cycles_t l1_miss(struct hier *h, unsigned core, struct cache *l1, uint64_t block,
			unsigned kind, bool write, cycles_t now)
{
	struct cache *l2 = h->core[core].l2;
	cycles_t lat = l1->latency + l2->latency;
	uint8_t state;
	cache_count(l1, kind, false);
	uint32_t idx = cache_find(l2, block);
	cache_count(l2, kind, idx != CACHE_NONE);
	if (idx != CACHE_NONE) {
		cache_touch(l2, idx);
		if (write)
			lat += write_hit(h, core, l2, idx, block, false);
		state = l2->state[idx];
	} else {
		bool dirty;
		lat += shared_level(h, core, block, kind, write, false, now, &state, &dirty);
		private_fill(h, core, l2, block, state, dirty, false, now);
	}
	private_fill(h, core, l1, block, state, write, true, now);
	return lat;
}

/* ---- a whole line written (hier_write_line) ---- */

/* Ownership of block without its data, for a write of the whole line: the
 * other cores' copies are dropped (an M copy's data too: every byte of it
 * is about to be overwritten), an inclusive LLC gets the line (clean: the
 * new data stays above), an exclusive one loses its copy. The request is
 * answered at the LLC (its latency; none without an LLC), plus the
 * invalidation round trip when other cores held the line. Memory is not
 * read. Linux's clear_page_erms (rep stosb) writes whole lines this way,
 * as an ItoM request does on Intel cores. */
static cycles_t shared_own(struct hier *h, unsigned core, uint64_t block, cycles_t now)
{
	bool owned = false;
	cycles_t lat = coh_snoop(h, core, block, true, &owned, now) ? h->inval_latency : 0;
	struct cache *c = h->llc;
	h->line_writes++;
	if (!c)
		return lat;
	uint32_t set = cache_set(c, block);
	uint32_t idx = cache_find_set(c, set, block);
	if (h->incl == INCL_EXCLUSIVE && idx != CACHE_NONE)
		cache_drop(c, idx);
	else if (h->incl == INCL_INCLUSIVE && idx == CACHE_NONE)
		llc_fill(h, core, set, block, false, now);
	return lat + c->latency;
}

cycles_t hier_write_line(struct hier *h, unsigned core, paddr_t pa, unsigned kind, cycles_t now)
{
	assert(core < h->ncores && kind != MEM_DMA && kind != MEM_IFETCH);
	struct hier_core *hc = &h->core[core];
	struct cache *l1 = hc->l1d, *l2 = hc->l2;
	uint64_t block = pa >> h->line_shift;
	uint32_t idx = cache_find(l1, block);
	/* a hit needs no data either; without an L2 or with a write-through
	 * L1 the ordinary store path is kept */
	if (idx != CACHE_NONE || !l2 || l1->write_through || l2->write_through)
		return hier_access(h, core, pa, kind, true, now);
	cycles_t lat = l1->latency + l2->latency;
	cache_count(l1, kind, false);
	uint32_t i2 = cache_find(l2, block);
	cache_count(l2, kind, i2 != CACHE_NONE);
	if (i2 != CACHE_NONE) {
		cache_touch(l2, i2);
		lat += write_hit(h, core, l2, i2, block, false);
	} else {
		lat += shared_own(h, core, block, now);
		private_fill(h, core, l2, block, MESI_M, false, false, now);
	}
	private_fill(h, core, l1, block, MESI_M, true, true, now);
	return lat;
}

cycles_t hier_access_slow(struct hier *h, unsigned core, paddr_t pa, unsigned kind, bool write,
			  cycles_t now, uint32_t idx)
{
	if (kind == MEM_DMA)
		return write ? hier_dma_write(h, pa, now) : hier_dma_read(h, pa, now);
	assert(!(write && kind == MEM_IFETCH));
	struct hier_core *hc = &h->core[core];
	struct cache *l1 = kind == MEM_IFETCH ? hc->l1i : hc->l1d;
	uint8_t state;
	if (idx == CACHE_NONE && hc->l2 && !(write && l1->write_through))
		return l1_miss(h, core, l1, pa >> h->line_shift, kind, write, now);
	return private_level(h, core, l1, pa >> h->line_shift, idx, kind, write, write, now,
			     &state);
}

cycles_t hier_access_sized(struct hier *h, unsigned core, paddr_t pa, unsigned size,
			   unsigned kind, bool write, cycles_t now)
{
	assert(size >= 1 && size <= 1u << h->line_shift);
	assert(core < h->ncores);
	struct span sp;
	sp.b[0] = pa >> h->line_shift;
	sp.b[1] = (pa + size - 1) >> h->line_shift;
	if (sp.b[1] == sp.b[0] || kind == MEM_DMA)
		return hier_access(h, core, pa, kind, write, now);
	sp.n = 2;
	return hier_span(h, core, &sp, kind, write, now);
}
