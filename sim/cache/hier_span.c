/* The access path for an access that straddles two lines (rules in hier.h
 * and docs/cache-model.md, "Straddling and modify accesses"): the same walk
 * as the one-line path of hier_access.c, over a span of two lines that is
 * one access at every level it reaches.
 *
 * A private level looks the span up (one counted access, touching the
 * lines it has); if every line is there it is done, else the whole span
 * goes to the next level (L1 -> L2 -> shared), and on the way back each
 * level installs the lines it lacked with the MESI state granted from
 * below. The shared level snoops the other cores for each line, then asks
 * the LLC and memory for the lines no other core supplied. */
#include "sim/cache/internal.h"

#include "sim/mem/memsys.h"

/* What a level hands up with the span's lines: their MESI states and
 * whether each copy handed up is dirty (an exclusive LLC gives its dirty
 * lines away). */
struct grant {
	uint8_t state[2];
	uint8_t dirty[2];
};

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
				llc_fill(h, core, cache_set(c, sp->b[i]), sp->b[i], false, now);
		} else if (h->incl == INCL_EXCLUSIVE) {
			g->dirty[i] = c->dirty[idx[i]];
			cache_drop(c, idx[i]);
		}
	}
}

/* Below the private caches: coherence first, then LLC and memory. */
static cycles_t shared_level(struct hier *h, unsigned core, const struct span *sp,
			     unsigned kind, bool write, bool data, cycles_t now, struct grant *g)
{
	cycles_t lat[2] = { 0, 0 };
	bool need[2] = { true, true };
	for (unsigned i = 0; i < sp->n; i++) {
		bool owned = false;
		bool others = coh_snoop(h, core, sp->b[i], write, &owned, now);
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
		for (unsigned i = 0; i < sp->n; i++)
			store_below(h, core, sp->b[i], now);
	return lat[0] > lat[1] ? lat[0] : lat[1];
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
		cycles_t up = 0;
		for (unsigned i = 0; write && i < sp->n; i++) {
			cycles_t l = write_hit(h, core, c, idx[i], sp->b[i], data);
			up = l > up ? l : up;
		}
		for (unsigned i = 0; i < sp->n; i++) {
			g->state[i] = c->state[idx[i]];
			g->dirty[i] = 0;
		}
		return lat + up;
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
				     below.dirty[i] || data, false, now);
		else if (j != CACHE_NONE && write)
			c->state[j] = MESI_M;
		g->state[i] = below.state[i];
		g->dirty[i] = 0;
	}
	return lat;
}

cycles_t hier_span(struct hier *h, unsigned core, const struct span *sp, unsigned kind,
		   bool write, cycles_t now)
{
	assert(core < h->ncores);
	assert(!(write && kind == MEM_IFETCH));
	struct hier_core *hc = &h->core[core];
	struct grant g;
	return private_level(h, core, kind == MEM_IFETCH ? hc->l1i : hc->l1d, sp, kind, write,
			     write, now, &g);
}
