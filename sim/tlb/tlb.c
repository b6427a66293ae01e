/* Set-associative translation structure with pluggable replacement: see tlb.h. */
#include "sim/tlb/tlb.h"

#include <assert.h>
#include <stdlib.h>

struct tlb *tlb_create(const struct cfg_tlb *cfg, const uint8_t *shifts, unsigned nshifts,
		       uint64_t seed)
{
	assert(nshifts >= 1 && nshifts <= 3);
	assert(cfg->entries > 0 && cfg->ways > 0 && cfg->entries % cfg->ways == 0);
	assert(cfg->policy != REPL_PLRU || cfg->ways <= 64);
	struct tlb *t = calloc(1, sizeof(*t));
	if (!t)
		abort();
	t->ways = cfg->ways;
	t->sets = cfg->entries / cfg->ways;
	t->pow2 = (t->sets & (t->sets - 1)) == 0;
	t->set_mask = t->sets - 1;
	t->latency = cfg->latency;
	t->policy = (uint8_t)cfg->policy;
	t->shift = shifts[0];
	t->nshifts = (uint8_t)nshifts;
	for (unsigned i = 0; i < nshifts; i++)
		t->shifts[i] = shifts[i];
	t->e = calloc((size_t)t->sets * t->ways, sizeof(*t->e));
	t->plru = calloc(t->sets, sizeof(*t->plru));
	if (!t->e || !t->plru)
		abort();
	rng_seed(&t->rng, seed);
	return t;
}

struct tlb *tlb_create1(const struct cfg_tlb *cfg, unsigned shift, uint64_t seed)
{
	uint8_t s = (uint8_t)shift;
	return tlb_create(cfg, &s, 1, seed);
}

void tlb_destroy(struct tlb *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->plru);
	free(t);
}

/* The way tree-PLRU points at: follow the bits from the root. */
static uint32_t plru_victim(const struct tlb *t, uint64_t set)
{
	uint64_t bits = t->plru[set];
	uint32_t node = 0, way = 0;
	for (uint32_t span = t->ways >> 1; span; span >>= 1) {
		uint32_t right = (bits >> node) & 1;      /* bit set: go right */
		way |= right ? span : 0;
		node = 2 * node + 1 + right;
	}
	return way;
}

/* The way to fill in a full set. */
static uint32_t victim_way(struct tlb *t, uint64_t set, const struct tlb_entry *s)
{
	uint32_t v = 0;
	switch (t->policy) {
	case REPL_PLRU:
		return plru_victim(t, set);
	case REPL_RANDOM:
		return (uint32_t)rng_below(&t->rng, t->ways);
	default:                                  /* LRU, FIFO: oldest stamp */
		for (uint32_t w = 1; w < t->ways; w++)
			if (s[w].stamp < s[v].stamp)
				v = w;
		return v;
	}
}

bool tlb_fill_at(struct tlb *t, uint64_t vpn, unsigned shift, uint64_t pfn, uint16_t pcid,
		 uint8_t flags, struct tlb_entry *evicted)
{
	uint64_t set = tlb_index(t, vpn);
	struct tlb_entry *s = t->e + set * t->ways;
	uint32_t way = t->ways, free_way = t->ways;
	if (t->policy == REPL_LRU || t->policy == REPL_FIFO) {
		/* One pass: the entry to refresh, else the lowest invalid way,
		 * else the oldest stamp. An invalid way counts as stamp 0 and a
		 * valid one's is >= 1 (++tick), so the smallest key is the
		 * lowest invalid way if there is one (strict <: ties keep the
		 * lower way), else the LRU (FIFO: first filled) entry. */
		uint64_t oldest = UINT64_MAX;
		for (uint32_t w = 0; w < t->ways; w++) {
			if (tlb_match(&s[w], vpn, shift, pcid)) {
				way = w;                  /* refresh in place */
				break;
			}
			uint64_t key = s[w].flags & TLBE_VALID ? s[w].stamp : 0;
			free_way = key < oldest ? w : free_way;
			oldest = key < oldest ? key : oldest;
		}
	} else {
		for (uint32_t w = 0; w < t->ways && way == t->ways; w++) {
			if (tlb_match(&s[w], vpn, shift, pcid))
				way = w;                  /* refresh in place */
			else if (!(s[w].flags & TLBE_VALID) && free_way == t->ways)
				free_way = w;
		}
		if (way == t->ways && free_way == t->ways)
			free_way = victim_way(t, set, s);
	}
	bool evict = false;
	if (way == t->ways) {
		way = free_way;
		if (s[way].flags & TLBE_VALID) {
			evict = true;
			t->evictions++;
			t->nvalid_shift[s[way].shift]--;
			if (evicted)
				*evicted = s[way];
		} else {
			t->nvalid++;
		}
		t->nvalid_shift[shift]++;
	}
	struct tlb_entry *e = &s[way];
	bool refresh = (e->flags & TLBE_VALID) && !evict;
	e->vpn = vpn;
	e->pfn = pfn;
	e->pcid = pcid;
	e->shift = (uint8_t)shift;
	e->flags = flags | TLBE_VALID;
	if (t->policy != REPL_FIFO || !refresh)
		e->stamp = ++t->tick;
	if (t->policy == REPL_PLRU)
		tlb_plru_touch(t, set, way);
	t->fills++;
	return evict;
}

void tlb_invlpg(struct tlb *t, uint64_t va, uint16_t pcid, bool keep_global)
{
	for (unsigned i = 0; i < t->nshifts; i++) {
		unsigned shift = t->shifts[i];
		uint64_t vpn = va >> shift;
		struct tlb_entry *s = t->e + tlb_index(t, vpn) * t->ways;
		for (uint32_t w = 0; w < t->ways; w++)
			if (tlb_match(&s[w], vpn, shift, pcid) &&
			    !(keep_global && (s[w].flags & TLBE_GLOBAL)))
				tlb_drop(t, &s[w]);
	}
}

void tlb_evict_exact(struct tlb *t, uint64_t vpn, unsigned shift, uint16_t pcid)
{
	struct tlb_entry *s = t->e + tlb_index(t, vpn) * t->ways;
	for (uint32_t w = 0; w < t->ways; w++)
		if ((s[w].flags & TLBE_VALID) && s[w].vpn == vpn && s[w].shift == shift &&
		    s[w].pcid == pcid)
			tlb_drop(t, &s[w]);
}

/* Drop valid entries: all of them, or the non-global ones; of any PCID or
 * of one. */
static void flush_where(struct tlb *t, bool all, bool any_pcid, uint16_t pcid)
{
	size_t n = (size_t)t->sets * t->ways;
	for (size_t i = 0; i < n; i++) {
		struct tlb_entry *e = &t->e[i];
		if (!(e->flags & TLBE_VALID))
			continue;
		if (!all && (e->flags & TLBE_GLOBAL))
			continue;
		if (!any_pcid && e->pcid != pcid)
			continue;
		tlb_drop(t, e);
	}
	t->flushes++;
}

void tlb_flush_pcid(struct tlb *t, uint16_t pcid) { flush_where(t, false, false, pcid); }
void tlb_flush_nonglobal(struct tlb *t) { flush_where(t, false, true, 0); }
void tlb_flush_all(struct tlb *t) { flush_where(t, true, true, 0); }

uint32_t tlb_occupancy(const struct tlb *t)
{
	uint32_t n = 0, by_shift[64] = { 0 };
	for (size_t i = 0; i < (size_t)t->sets * t->ways; i++)
		if (t->e[i].flags & TLBE_VALID) {
			n++;
			by_shift[t->e[i].shift]++;
		}
	assert(n == t->nvalid);
	for (int sh = 0; sh < 64; sh++)
		assert(by_shift[sh] == t->nvalid_shift[sh]);
	(void)by_shift;
	return n;
}
