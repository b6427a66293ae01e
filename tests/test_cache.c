/* Tests of sim/cache: one cache against tiny reference models of each
 * replacement policy, its fill rule after drops and its partial-tag
 * lookup; the snoop filter's table against a reference set; the
 * hierarchy's write policies, inclusion policies, MESI transitions,
 * latency sums, straddling accesses, DMA, snoop filter contents and
 * counters, and stats names; that hier_validate catches a wrong directory
 * or set; and a property test that random multi-core streams keep the
 * coherence, inclusion and snoop filter invariants (hier_validate) under
 * every inclusion policy, on 4 and on 64 cores. The scenario tests run
 * hier_validate after every step (ld, st, dma_rd, dma_wr, sized).
 *
 * The reference models keep, per set, an array of ways; they are written
 * from the policies' definitions (docs/cache-model.md), not from repl_*.c:
 * LRU as a move-to-front list, tree-PLRU as a walk over halving way ranges,
 * random and BRRIP drawing from their own copy of the seeded generator. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lib/config.h"      /* included with the cache headers: no name clashes */
#include "lib/rng.h"
#include "lib/stats.h"
#include "sim/cache/cache.h"
#include "sim/cache/hier.h"
#include "sim/cache/snoop_filter.h"
#include "sim/mem/memsys.h"

#define LINE 64
#define R_SETS 4
#define R_WAYS 4
#define R_NONE UINT64_MAX

/* ---- reference models of one cache ---- */

struct ref {
	const char *policy;
	uint64_t blk[R_SETS][R_WAYS];   /* R_NONE: invalid */
	unsigned order[R_SETS][R_WAYS]; /* LRU: ways, most recent first */
	bool victim_right[R_SETS][R_WAYS]; /* PLRU: one flag per tree node */
	unsigned rrpv[R_SETS][R_WAYS];
	struct rng rng;
};

static void ref_init(struct ref *r, const char *policy, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	r->policy = policy;
	for (int s = 0; s < R_SETS; s++)
		for (int w = 0; w < R_WAYS; w++) {
			r->blk[s][w] = R_NONE;
			r->order[s][w] = w;
		}
	rng_seed(&r->rng, seed);
}

static void lru_use(struct ref *r, int s, unsigned way)
{
	unsigned i = 0;
	while (r->order[s][i] != way)
		i++;
	memmove(&r->order[s][1], &r->order[s][0], i * sizeof(unsigned));
	r->order[s][0] = way;
}

/* Nodes numbered 1.. over way ranges [lo, hi): the left half is node 2n. */
static void plru_use(struct ref *r, int s, unsigned way)
{
	unsigned node = 1, lo = 0, hi = R_WAYS;
	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;
		bool right = way >= mid;
		r->victim_right[s][node] = !right;
		node = 2 * node + right;
		if (right)
			lo = mid;
		else
			hi = mid;
	}
}

static unsigned plru_victim(struct ref *r, int s)
{
	unsigned node = 1, lo = 0, hi = R_WAYS;
	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;
		bool right = r->victim_right[s][node];
		node = 2 * node + right;
		if (right)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static unsigned rrip_victim(struct ref *r, int s)
{
	for (;;) {
		for (unsigned w = 0; w < R_WAYS; w++)
			if (r->rrpv[s][w] == 3)
				return w;
		for (unsigned w = 0; w < R_WAYS; w++)
			r->rrpv[s][w]++;
	}
}

static void ref_use(struct ref *r, int s, unsigned w, bool fill)
{
	const char *p = r->policy;
	if (!strcmp(p, "lru"))
		lru_use(r, s, w);
	else if (!strcmp(p, "plru"))
		plru_use(r, s, w);
	else if (!fill && (!strcmp(p, "srrip") || !strcmp(p, "brrip")))
		r->rrpv[s][w] = 0;
	else if (!strcmp(p, "srrip"))
		r->rrpv[s][w] = 2;
	else if (!strcmp(p, "brrip"))
		r->rrpv[s][w] = rng_below(&r->rng, 32) == 0 ? 2 : 3;
}

static unsigned ref_victim(struct ref *r, int s)
{
	for (unsigned w = 0; w < R_WAYS; w++)
		if (r->blk[s][w] == R_NONE)
			return w;
	const char *p = r->policy;
	if (!strcmp(p, "lru"))
		return r->order[s][R_WAYS - 1];
	if (!strcmp(p, "plru"))
		return plru_victim(r, s);
	if (!strcmp(p, "random"))
		return (unsigned)rng_below(&r->rng, R_WAYS);
	return rrip_victim(r, s);
}

/* One reference: true on a hit. */
static bool ref_access(struct ref *r, uint64_t block)
{
	int s = (int)(block % R_SETS);
	for (unsigned w = 0; w < R_WAYS; w++) {
		if (r->blk[s][w] == block) {
			ref_use(r, s, w, false);
			return true;
		}
	}
	unsigned w = ref_victim(r, s);
	r->blk[s][w] = block;
	ref_use(r, s, w, true);
	return false;
}

static struct cache *mk_cache(const char *policy, uint64_t seed)
{
	struct cache_cfg cfg = { .size = R_SETS * R_WAYS * LINE, .ways = R_WAYS, .line = LINE,
				 .latency = 1, .repl = policy, .seed = seed };
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(cache_cfg_check(&cfg, "t", err), 0, "%s", err);
	struct cache *c = cache_create(&cfg);
	cr_assert_not_null(c);
	return c;
}

/* Random streams over 3x the capacity, skewed to a hot subset so every
 * policy sees both hits and evictions. */
static void policy_vs_ref(const char *policy)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct cache *c = mk_cache(policy, seed);
		struct ref r;
		ref_init(&r, policy, seed);
		struct rng addr;
		rng_seed(&addr, seed * 7919);
		uint64_t hits = 0;
		for (int i = 0; i < 4000; i++) {
			uint64_t b = rng_below(&addr, 4) ? rng_below(&addr, 12)
							 : rng_below(&addr, 3 * R_SETS * R_WAYS);
			bool want = ref_access(&r, b);
			bool got = cache_ref(c, b * LINE + rng_below(&addr, LINE), MEM_LOAD);
			cr_assert_eq(got, want, "%s seed %lu access %d block %lu: %s, reference %s",
				     policy, seed, i, b, got ? "hit" : "miss", want ? "hit" : "miss");
			hits += got;
		}
		cr_assert_eq(c->hits, hits);
		cr_assert_eq(c->misses, 4000 - hits);
		cr_assert(hits > 400 && hits < 3600, "%s: %lu hits: a weak stream", policy, hits);
		for (int s = 0; s < R_SETS; s++)
			for (int w = 0; w < R_WAYS; w++)
				cr_assert_eq(c->block[s * R_WAYS + w], r.blk[s][w]);
		cache_destroy(c);
	}
}

Test(cache, lru_vs_reference) { policy_vs_ref("lru"); }
Test(cache, plru_vs_reference) { policy_vs_ref("plru"); }
Test(cache, random_vs_reference) { policy_vs_ref("random"); }
Test(cache, srrip_vs_reference) { policy_vs_ref("srrip"); }
Test(cache, brrip_vs_reference) { policy_vs_ref("brrip"); }

Test(cache, config_errors)
{
	char err[MMSIM_ERR_LEN];
	struct cache_cfg ok = { .size = 32768, .ways = 8, .line = 64, .latency = 4 };
	struct cache_cfg c = ok;
	cr_assert_eq(cache_cfg_check(&c, "cache.l1d", err), 0);
	c.repl = "fifo";
	cr_assert_eq(cache_cfg_check(&c, "cache.l1d", err), -1);
	cr_assert_str_eq(err, "cache.l1d.repl: unknown policy \"fifo\" (lru, plru, random, "
			 "srrip, brrip)");
	c = ok;
	c.size = 3 * 8 * 64;
	cr_assert_eq(cache_cfg_check(&c, "cache.l1d", err), -1);
	cr_assert_str_eq(err, "cache.l1d.size: 1536 bytes is not a power-of-two number of "
			 "sets of 8 ways x 64 bytes");
	c = ok;
	c.line = 48;
	cr_assert_eq(cache_cfg_check(&c, "cache.l1d", err), -1);
	cr_assert_str_eq(err, "cache.l1d.line: 48 is not a power of two in 8..4096");
	c = ok;
	c.ways = 12, c.size = 12 * 64 * 64, c.repl = "plru";
	cr_assert_eq(cache_cfg_check(&c, "cache.l1d", err), -1);
	cr_assert_str_eq(err, "cache.l1d.ways: tree-PLRU needs a power of two up to 64, not 12");
	c.repl = "srrip";
	cr_assert_eq(cache_cfg_check(&c, "cache.l1d", err), 0);
	c = ok;
	c.slices = 3;
	cr_assert_eq(cache_cfg_check(&c, "cache.llc", err), -1);
	cr_assert_str_eq(err, "cache.llc.slices: 3 is not a power of two up to the number "
			 "of sets");
}

/* A sliced cache still uses every set, spreads consecutive lines evenly
 * over its slices (the top 2 set bits here), and finds what it filled. */
Test(cache, slices_spread)
{
	struct cache_cfg cfg = { .size = 64 * 4 * LINE, .ways = 4, .line = LINE, .latency = 1,
				 .slices = 4 };
	struct cache *c = cache_create(&cfg);
	unsigned used[64] = { 0 }, slice[4] = { 0 };
	for (uint64_t b = 0; b < 4096; b++) {
		used[cache_set(c, b)]++;
		slice[cache_set(c, b) >> 4]++;
	}
	for (int s = 0; s < 64; s++)
		cr_assert(used[s], "set %d never used", s);
	for (int s = 0; s < 4; s++)
		cr_assert(slice[s] > 900 && slice[s] < 1150, "slice %d: %u of 4096", s, slice[s]);
	for (uint64_t b = 0; b < 256; b++) {
		cache_ref(c, b * LINE, MEM_LOAD);
		cr_assert(cache_ref(c, b * LINE + 8, MEM_LOAD));
	}
	cache_destroy(c);
}

/* Drops leave holes; a fill takes the lowest one (for LRU, found by the
 * same stamp scan that finds the victim: a dropped line's stamp is 0),
 * and only a full set consults the policy. */
static void fill_after_drops(const char *policy)
{
	struct cache *c = mk_cache(policy, 3);
	struct cache_victim v;
	for (uint64_t b = 0; b < 16; b += 4)           /* set 0: ways 0..3 */
		cache_fill(c, b, MESI_E, false, &v);
	cache_drop(c, 2);
	cache_drop(c, 1);
	cr_assert_eq(cache_fill(c, 16, MESI_E, false, &v), 1, "%s", policy);
	cr_assert_eq(v.block, CACHE_NO_BLOCK);
	cr_assert_eq(cache_fill(c, 20, MESI_E, false, &v), 2, "%s", policy);
	uint32_t w = cache_fill(c, 24, MESI_E, false, &v);
	cr_assert_neq(v.block, CACHE_NO_BLOCK, "%s: a full set evicts", policy);
	cr_assert_eq(c->block[w], 24);
	if (!strcmp(policy, "lru"))
		cr_assert_eq(w, 0, "lru: block 0 is the oldest");
	cr_assert_eq(cache_occupancy(c), 4);
	cache_destroy(c);
}

Test(cache, fill_after_drops)
{
	const char *p[] = { "lru", "plru", "random", "srrip", "brrip" };
	for (unsigned i = 0; i < ARRAY_SIZE(p); i++)
		fill_after_drops(p[i]);
}

/* cache_find (partial tags, compared 16 or 8 at a time) against a plain
 * scan of the set's blocks, for associativities around and across the
 * group size, with sets full of blocks whose partial tags collide, holes
 * from drops, and the last set (whose group runs into the padding). */
Test(cache, find_matches_a_plain_scan)
{
	const uint32_t ways[] = { 1, 3, 7, 8, 9, 12, 16, 17, 20, 33 };
	for (unsigned wi = 0; wi < ARRAY_SIZE(ways); wi++) {
		struct cache_cfg cfg = { .size = 4ull * ways[wi] * LINE, .ways = ways[wi],
					 .line = LINE, .latency = 1 };
		struct cache *c = cache_create(&cfg);
		uint64_t same[64];              /* blocks of set 3 with one partial tag */
		unsigned n = 0;
		for (uint64_t b = 3; n < 64; b += 4)
			if (cache_tag(b) == cache_tag(3))
				same[n++] = b;
		struct rng r;
		rng_seed(&r, ways[wi]);
		for (int i = 0; i < 6000; i++) {
			uint64_t b = rng_below(&r, 2) ? same[rng_below(&r, 64)] : rng_below(&r, 400);
			uint32_t set = cache_set(c, b), want = CACHE_NONE;
			for (uint32_t w = 0; w < c->ways; w++)
				if (c->block[set * c->ways + w] == b)
					want = set * c->ways + w;
			cr_assert_eq(cache_find(c, b), want, "%u ways, block %lu", ways[wi], b);
			struct cache_victim v;
			if (want == CACHE_NONE)
				cache_fill(c, b, MESI_E, false, &v);
			else if (rng_below(&r, 3) == 0)
				cache_drop(c, want);
		}
		cache_destroy(c);
	}
}

/* ---- the snoop filter's table ---- */

/* Random adds and clears of 40 blocks, all homed in the 12 slots around
 * the wrap of a 128-slot table (so they collide, form clusters and wrap),
 * against a reference array; the table's own invariants after each step. */
Test(cache, snoop_filter_vs_reference)
{
	struct snoop_filter sf;
	cr_assert_eq(sf_init(&sf, 40), 0);
	cr_assert_eq(sf.mask, 127);
	uint64_t key[40], ref[40] = { 0 };
	unsigned n = 0;
	for (uint64_t b = 0; n < 40; b++) {
		uint64_t home = sf_home(&sf, b);
		if (home >= 120 || home < 4)
			key[n++] = b;
	}
	struct rng r;
	rng_seed(&r, 5);
	char err[MMSIM_ERR_LEN];
	for (int i = 0; i < 20000; i++) {
		unsigned k = (unsigned)rng_below(&r, 40);
		if (rng_below(&r, 2)) {
			unsigned core = (unsigned)rng_below(&r, 64);
			sf_add(&sf, key[k], core);
			ref[k] |= 1ull << core;
		} else if (ref[k]) {
			uint64_t drop = rng_below(&r, 3) ? ref[k] : ref[k] & rng_next(&r);
			sf_clear(&sf, key[k], drop);
			ref[k] &= ~drop;
		}
		cr_assert_eq(sf_validate(&sf, 64, err), 0, "step %d: %s", i, err);
		uint64_t used = 0;
		for (unsigned j = 0; j < 40; j++) {
			cr_assert_eq(sf_cores(&sf, key[j]), ref[j], "step %d, block %lu", i, key[j]);
			used += ref[j] != 0;
		}
		cr_assert_eq(sf.used, used);
	}
	cr_assert_eq(sf_cores(&sf, 1000003), 0);
	sf_fini(&sf);
}

/* ---- the hierarchy ---- */

#define L1_LAT 4
#define L2_LAT 12
#define LLC_LAT 40
#define MEM_LAT 200
#define C2C_LAT 60
#define INV_LAT 30

static struct cache_cfg cc(uint64_t size, uint32_t ways, uint32_t lat)
{
	return (struct cache_cfg){ .size = size, .ways = ways, .line = LINE, .latency = lat };
}

/* L1s of 2 sets x 2 ways, L2 4x2, LLC 8x2 (all tiny, so tests can force
 * every eviction by hand). l2 = false: no L2. */
static struct hier_cfg small_cfg(bool l2, const char *incl)
{
	return (struct hier_cfg){
		.l1i = cc(4 * LINE, 2, L1_LAT), .l1d = cc(4 * LINE, 2, L1_LAT),
		.l2 = l2 ? cc(8 * LINE, 2, L2_LAT) : cc(0, 2, 0),
		.llc = cc(16 * LINE, 2, LLC_LAT), .inclusion = incl,
		.c2c_latency = C2C_LAT, .inval_latency = INV_LAT, .mem_latency = MEM_LAT,
	};
}

static struct hier *mk_hier(const struct hier_cfg *cfg, unsigned ncores)
{
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(hier_cfg_check(cfg, ncores, err), 0, "%s", err);
	struct hier *h = hier_create(cfg, ncores, NULL);
	cr_assert_not_null(h);
	return h;
}

static void valid(const struct hier *h)
{
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(hier_validate(h, err), 0, "%s", err);
}

/* Each step of a scenario: the access, then hier_validate (coherence,
 * inclusion, sets, and the snoop filter equal to the private caches). */
static cycles_t ld(struct hier *h, unsigned core, uint64_t line)
{
	cycles_t lat = hier_access(h, core, line * LINE, MEM_LOAD, false, 0);
	valid(h);
	return lat;
}

static cycles_t st(struct hier *h, unsigned core, uint64_t line)
{
	cycles_t lat = hier_access(h, core, line * LINE, MEM_STORE, true, 0);
	valid(h);
	return lat;
}

static cycles_t dma_rd(struct hier *h, uint64_t line)
{
	cycles_t lat = hier_dma_read(h, line * LINE, 0);
	valid(h);
	return lat;
}

static cycles_t dma_wr(struct hier *h, uint64_t line)
{
	cycles_t lat = hier_dma_write(h, line * LINE, 0);
	valid(h);
	return lat;
}

static cycles_t sized(struct hier *h, unsigned core, paddr_t pa, unsigned size, unsigned kind,
		      bool write)
{
	cycles_t lat = hier_access_sized(h, core, pa, size, kind, write, 0);
	valid(h);
	return lat;
}

/* The cores the snoop filter lists for line. */
static uint64_t sf_of(const struct hier *h, uint64_t line)
{
	return sf_cores(&h->sf, line);
}

Test(cache, hier_latency_sums)
{
	struct hier_cfg cfg = small_cfg(true, NULL);
	struct hier *h = mk_hier(&cfg, 1);
	cr_assert_eq(ld(h, 0, 0), L1_LAT + L2_LAT + LLC_LAT + MEM_LAT);
	cr_assert_eq(ld(h, 0, 0), L1_LAT);
	/* 4 and 12 share L1 set 0 (2 sets) and L2 set 0 (4 sets) with 0, which
	 * leaves both; the LLC (8 sets) keeps it */
	ld(h, 0, 4);
	ld(h, 0, 12);
	cr_assert_eq(ld(h, 0, 0), L1_LAT + L2_LAT + LLC_LAT);
	ld(h, 0, 12);
	ld(h, 0, 2);            /* the L1 drops 0 again, the L2 has it */
	cr_assert_eq(ld(h, 0, 0), L1_LAT + L2_LAT);
	cr_assert_eq(h->mem_reads, 4);
	/* a store to an E line is silent and costs an L1 hit */
	cr_assert_eq(hier_state(h, 0, 0), MESI_E);
	cr_assert_eq(st(h, 0, 0), L1_LAT);
	cr_assert_eq(hier_state(h, 0, 0), MESI_M);
	valid(h);
	hier_destroy(h);
}

Test(cache, hier_writeback_vs_writethrough)
{
	/* write-back + write-allocate */
	struct hier_cfg cfg = small_cfg(true, NULL);
	struct hier *h = mk_hier(&cfg, 1);
	struct cache *l1 = h->core[0].l1d, *l2 = h->core[0].l2;
	st(h, 0, 0);
	st(h, 0, 2);
	st(h, 0, 4);            /* L1 set 0 full: dirty 0 is written back into the L2 */
	cr_assert_eq(l1->miss[MEM_STORE], 3);
	cr_assert_eq(l1->fills, 3);
	cr_assert_eq(l1->writebacks, 1);
	cr_assert_eq(l2->wb_in, 1);
	cr_assert_eq(l2->access[MEM_STORE], 3);
	cr_assert_eq(ld(h, 0, 0), L1_LAT + L2_LAT);
	hier_destroy(h);

	/* write-through + no-write-allocate */
	cfg.l1d.write_through = true;
	h = mk_hier(&cfg, 1);
	l1 = h->core[0].l1d, l2 = h->core[0].l2;
	st(h, 0, 0);
	st(h, 0, 2);
	st(h, 0, 4);
	cr_assert_eq(l1->miss[MEM_STORE], 3);
	cr_assert_eq(l1->fills, 0);
	cr_assert_eq(l1->writebacks, 0);
	cr_assert_eq(l2->access[MEM_STORE], 3);
	cr_assert_eq(l2->fills, 3);        /* the L2 is write-back + write-allocate */
	cr_assert_eq(ld(h, 0, 0), L1_LAT + L2_LAT);
	cr_assert_eq(st(h, 0, 0), L1_LAT + L2_LAT);   /* a hit, written through */
	cr_assert_eq(l1->hit[MEM_STORE], 1);
	cr_assert_eq(l2->hit[MEM_STORE], 1);
	cr_assert_eq(l1->dirty[cache_find(l1, 0)], 0);
	cr_assert_eq(l2->dirty[cache_find(l2, 0)], 1);
	valid(h);
	hier_destroy(h);
}

/* Lines 0, 8, 16: one L1 set (2 sets, 2 ways), one LLC set (8 sets, 2 ways).
 * After loads of 0 and 8 and a store hit to 0 (which the LLC does not see),
 * a load of 16 makes the LLC evict its LRU line 0 and the L1 its LRU line 8. */
Test(cache, hier_inclusive_back_invalidation)
{
	for (int inclusive = 0; inclusive < 2; inclusive++) {
		struct hier_cfg cfg = small_cfg(false, inclusive ? "inclusive" : "non-inclusive");
		struct hier *h = mk_hier(&cfg, 1);
		struct cache *l1 = h->core[0].l1d;
		ld(h, 0, 0);
		ld(h, 0, 8);
		st(h, 0, 0);
		ld(h, 0, 16);
		if (inclusive) {
			/* 0 leaves the L1 with the LLC, its dirty data to memory; its
			 * way takes 16, so 8 stays */
			cr_assert_eq(h->back_inval, 1);
			cr_assert_eq(l1->inval_back, 1);
			cr_assert_eq(h->mem_writes, 1);
			cr_assert_eq(h->llc->writebacks, 1);
			cr_assert_eq(hier_state(h, 0, 0), MESI_I);
			cr_assert_eq(hier_state(h, 0, 8 * LINE), MESI_E);
			cr_assert_eq(ld(h, 0, 0), L1_LAT + LLC_LAT + MEM_LAT);
			cr_assert_eq(h->back_inval, 2, "and now 8 goes");
		} else {
			cr_assert_eq(h->back_inval, 0);
			cr_assert_eq(h->mem_writes, 0);
			cr_assert_eq(hier_state(h, 0, 0), MESI_M);
			cr_assert_eq(hier_state(h, 0, 8 * LINE), MESI_I);
			cr_assert_eq(ld(h, 0, 0), L1_LAT);
		}
		valid(h);
		hier_destroy(h);
	}
}

Test(cache, hier_exclusive_victim_llc)
{
	struct hier_cfg cfg = small_cfg(true, "exclusive");
	struct hier *h = mk_hier(&cfg, 1);
	ld(h, 0, 0);
	cr_assert_eq(cache_occupancy(h->llc), 0, "a miss does not fill an exclusive LLC");
	ld(h, 0, 4);
	ld(h, 0, 8);            /* L2 set 0 (4 sets): 0, 4 -> 0 goes to the LLC */
	cr_assert_eq(cache_occupancy(h->llc), 1);
	cr_assert_neq(cache_find(h->llc, 0), CACHE_NONE);
	ld(h, 0, 2);            /* L1 set 0 now 8, 2 (0 and 4 left it) */
	cr_assert_eq(ld(h, 0, 0), L1_LAT + L2_LAT + LLC_LAT);
	cr_assert_eq(cache_find(h->llc, 0), CACHE_NONE, "an LLC hit moves the line up");
	valid(h);
	hier_destroy(h);
}

Test(cache, hier_mesi_two_cores)
{
	struct hier_cfg cfg = small_cfg(false, NULL);
	struct hier *h = mk_hier(&cfg, 2);
	ld(h, 0, 5);
	cr_assert_eq(hier_state(h, 0, 5 * LINE), MESI_E);
	cr_assert_eq(ld(h, 1, 5), L1_LAT + LLC_LAT);
	cr_assert_eq(hier_state(h, 0, 5 * LINE), MESI_S);
	cr_assert_eq(hier_state(h, 1, 5 * LINE), MESI_S);
	valid(h);

	/* a store to a shared line: upgrade, one invalidation round trip */
	cr_assert_eq(st(h, 1, 5), L1_LAT + INV_LAT);
	cr_assert_eq(hier_state(h, 0, 5 * LINE), MESI_I);
	cr_assert_eq(hier_state(h, 1, 5 * LINE), MESI_M);
	cr_assert_eq(h->core[1].inval_sent, 1);
	cr_assert_eq(h->core[1].upgrades, 1);
	cr_assert_eq(h->core[0].l1d->inval_coh, 1);
	valid(h);

	/* a load of a line modified elsewhere: a cache-to-cache transfer */
	cr_assert_eq(ld(h, 0, 5), L1_LAT + C2C_LAT);
	cr_assert_eq(h->core[0].c2c, 1);
	cr_assert_eq(hier_state(h, 0, 5 * LINE), MESI_S);
	cr_assert_eq(hier_state(h, 1, 5 * LINE), MESI_S);
	cr_assert_eq(h->core[1].l1d->writebacks, 1, "M -> S writes the data back");
	cr_assert_eq(h->llc->dirty[cache_find(h->llc, 5)], 1);
	valid(h);

	/* a store miss to a line modified elsewhere: the data moves over */
	st(h, 0, 5);
	cr_assert_eq(st(h, 1, 5), L1_LAT + C2C_LAT);
	cr_assert_eq(h->core[1].c2c, 1);
	cr_assert_eq(hier_state(h, 0, 5 * LINE), MESI_I);
	cr_assert_eq(h->core[1].l1d->writebacks, 1, "no writeback on a transfer");
	/* a store miss to a line another core holds clean: invalidation cost */
	ld(h, 0, 6);
	cr_assert_eq(st(h, 1, 6), L1_LAT + LLC_LAT + INV_LAT);
	valid(h);
	hier_destroy(h);
}

/* The snoop filter follows the lines into and out of each core's private
 * caches, and is asked once per snoop (lookups), finding sharers or not
 * (hits); no counter or cycle of the model depends on it. */
Test(cache, hier_snoop_filter_tracks_sharers)
{
	struct hier_cfg cfg = small_cfg(true, NULL);
	struct hier *h = mk_hier(&cfg, 2);
	struct stats *s = stats_create();
	hier_stats(h, s);
	uint64_t lookups, hits;
	ld(h, 0, 5);
	cr_assert_eq(sf_of(h, 5), 1);
	ld(h, 1, 5);
	cr_assert_eq(sf_of(h, 5), 3);
	st(h, 1, 5);                    /* upgrade: core 0's copies go */
	cr_assert_eq(sf_of(h, 5), 2);
	cr_assert(stats_get(s, "cache.snoop_filter.lookups", &lookups) && lookups == 3);
	cr_assert(stats_get(s, "cache.snoop_filter.hits", &hits) && hits == 2);
	ld(h, 1, 5);                    /* an L1 hit: no snoop */
	cr_assert_eq(h->sf.lookups, 3);

	/* lines 0, 2, 4, 8 share L1D set 0 (2 sets); 0, 4, 8 share L2 set 0 (4
	 * sets): 0 stays in the core while its L2 has it, and leaves the
	 * filter with it */
	ld(h, 0, 0);
	ld(h, 0, 2);
	ld(h, 0, 4);
	cr_assert_eq(cache_find(h->core[0].l1d, 0), CACHE_NONE);
	cr_assert_eq(sf_of(h, 0), 1, "still in core 0's L2");
	ld(h, 0, 8);
	cr_assert_eq(hier_state(h, 0, 0), MESI_I);
	cr_assert_eq(sf_of(h, 0), 0);

	/* an instruction copy keeps the core listed when the data copies go */
	hier_access(h, 0, 20 * LINE, MEM_IFETCH, false, 0);
	ld(h, 0, 20);
	for (uint64_t l = 24; l <= 40; l += 4)
		ld(h, 0, l);
	cr_assert_eq(cache_find(h->core[0].l1d, 20), CACHE_NONE);
	cr_assert_eq(cache_find(h->core[0].l2, 20), CACHE_NONE);
	cr_assert_eq(sf_of(h, 20), 1);
	cr_assert_eq(hier_state(h, 0, 20 * LINE), MESI_E);
	stats_destroy(s);
	hier_destroy(h);
}

/* hier_validate notices a directory that differs from the caches either
 * way, and a set that holds a block twice. */
Test(cache, hier_validate_catches_bad_state)
{
	struct hier_cfg cfg = small_cfg(true, NULL);
	struct hier *h = mk_hier(&cfg, 2);
	char err[MMSIM_ERR_LEN];
	ld(h, 0, 5);
	struct sf_slot *slot = sf_find(&h->sf, 5);
	cr_assert_not_null(slot);
	slot->cores = 3;                /* core 1 has no copy */
	cr_assert_eq(hier_validate(h, err), -1);
	cr_assert(strstr(err, "core 1") && strstr(err, "holds no copy"), "%s", err);
	slot->cores = 2;                /* and core 0's copy is not listed */
	cr_assert_eq(hier_validate(h, err), -1);
	cr_assert(strstr(err, "not in the snoop filter"), "%s", err);
	slot->cores = 1;
	valid(h);

	struct cache *l1 = h->core[0].l1d;
	uint32_t i = cache_find(l1, 5), j = i ^ 1;   /* the other way of the set */
	cr_assert_eq(l1->block[j], CACHE_NO_BLOCK);
	l1->block[j] = 5;
	l1->tag[j] = cache_tag(5);
	l1->state[j] = MESI_E;
	cr_assert_eq(hier_validate(h, err), -1);
	cr_assert(strstr(err, "twice in its set"), "%s", err);
	cache_drop(l1, j);
	valid(h);
	hier_destroy(h);
}

static cycles_t wl(struct hier *h, unsigned core, uint64_t line)
{
	cycles_t lat = hier_write_line(h, core, line * LINE, MEM_KERNEL, 0);
	valid(h);
	return lat;
}

/* A whole-line write (clear_page) owns the line without reading it: no
 * memory read, the line M and dirty in the L1D and L2, other cores' copies
 * dropped (an M copy's data too), an inclusive LLC filled, an exclusive
 * one's copy dropped. An ordinary store miss reads memory. */
Test(cache, hier_write_line_reads_nothing)
{
	struct hier_cfg cfg = small_cfg(true, NULL);
	struct hier *h = mk_hier(&cfg, 2);
	cr_assert_eq(wl(h, 0, 0), L1_LAT + L2_LAT + LLC_LAT, "ownership from the LLC, no memory");
	cr_assert_eq(h->mem_reads, 0);
	cr_assert_eq(h->line_writes, 1);
	cr_assert_eq(hier_state(h, 0, 0), MESI_M);
	uint32_t i1 = cache_find(h->core[0].l1d, 0), i2 = cache_find(h->core[0].l2, 0);
	cr_assert(i1 != CACHE_NONE && i2 != CACHE_NONE);
	cr_assert_eq(h->core[0].l1d->dirty[i1], 1);
	cr_assert_eq(h->core[0].l1d->miss[MEM_KERNEL], 1, "counted as a kernel access");
	cr_assert_eq(cache_find(h->llc, 0), CACHE_NONE, "a non-inclusive LLC is left alone");
	/* a hit is an ordinary store hit */
	cr_assert_eq(wl(h, 0, 0), L1_LAT);
	cr_assert_eq(h->line_writes, 1);
	/* the ordinary store miss reads the line from memory */
	cr_assert_eq(st(h, 0, 1), L1_LAT + L2_LAT + LLC_LAT + MEM_LAT);
	cr_assert_eq(h->mem_reads, 1);

	/* another core's clean copy: dropped, one invalidation round trip */
	ld(h, 1, 2);
	cr_assert_eq(h->mem_reads, 2);
	cr_assert_eq(wl(h, 0, 2), L1_LAT + L2_LAT + LLC_LAT + INV_LAT);
	cr_assert_eq(hier_state(h, 1, 2 * LINE), MESI_I);
	cr_assert_eq(h->core[0].inval_sent, 2, "its L1D and L2 copies");
	/* another core's M copy: dropped without a transfer or a writeback */
	st(h, 1, 3);
	uint64_t reads = h->mem_reads, writes = h->mem_writes;
	cr_assert_eq(wl(h, 0, 3), L1_LAT + L2_LAT + LLC_LAT + INV_LAT);
	cr_assert_eq(h->core[0].c2c, 0);
	cr_assert_eq(h->core[1].l1d->writebacks, 0);
	cr_assert_eq(h->mem_reads, reads);
	cr_assert_eq(h->mem_writes, writes);
	cr_assert_eq(hier_state(h, 0, 3 * LINE), MESI_M);
	hier_destroy(h);

	cfg = small_cfg(true, "inclusive");
	h = mk_hier(&cfg, 1);
	wl(h, 0, 5);
	cr_assert_neq(cache_find(h->llc, 5), CACHE_NONE, "inclusion holds");
	cr_assert_eq(h->mem_reads, 0);
	hier_destroy(h);

	cfg = small_cfg(true, "exclusive");
	h = mk_hier(&cfg, 1);
	ld(h, 0, 0);
	ld(h, 0, 4);
	ld(h, 0, 8);            /* 0 leaves the L2 for the LLC (as in hier_exclusive_victim_llc) */
	ld(h, 0, 2);            /* and the L1 */
	cr_assert_neq(cache_find(h->llc, 0), CACHE_NONE);
	reads = h->mem_reads;
	wl(h, 0, 0);
	cr_assert_eq(cache_find(h->llc, 0), CACHE_NONE, "the line moves up, unread");
	cr_assert_eq(h->mem_reads, reads);
	hier_destroy(h);
}

/* Without an L2 a whole-line write is an ordinary store. */
Test(cache, hier_write_line_without_l2)
{
	struct hier_cfg cfg = small_cfg(false, NULL);
	struct hier *h = mk_hier(&cfg, 1);
	cr_assert_eq(wl(h, 0, 0), L1_LAT + LLC_LAT + MEM_LAT);
	cr_assert_eq(h->line_writes, 0);
	cr_assert_eq(h->mem_reads, 1);
	hier_destroy(h);
}

Test(cache, hier_straddling_access_is_one)
{
	struct hier_cfg cfg = small_cfg(true, NULL);
	struct hier *h = mk_hier(&cfg, 1);
	struct cache *l1 = h->core[0].l1d;
	ld(h, 0, 1);
	/* 8 bytes at the end of line 0: lines 0 and 1, one access, one miss */
	cr_assert_eq(sized(h, 0, LINE - 4, 8, MEM_LOAD, false), L1_LAT + L2_LAT + LLC_LAT + MEM_LAT);
	cr_assert_eq(l1->access[MEM_LOAD], 2);
	cr_assert_eq(l1->miss[MEM_LOAD], 2);
	cr_assert_eq(h->core[0].l2->access[MEM_LOAD], 2, "the L2 saw both lines as one");
	cr_assert_eq(sized(h, 0, LINE - 4, 8, MEM_LOAD, false), L1_LAT);
	cr_assert_eq(sf_of(h, 0), 1);
	cr_assert_eq(sf_of(h, 1), 1);
	/* a straddling store: both lines M, in the L1 and (filled below) L2 */
	sized(h, 0, LINE - 2, 4, MEM_STORE, true);
	cr_assert_eq(hier_state(h, 0, 0), MESI_M);
	cr_assert_eq(hier_state(h, 0, LINE), MESI_M);
	cr_assert_eq(l1->hit[MEM_LOAD], 1);
	valid(h);
	hier_destroy(h);
}

Test(cache, hier_dma)
{
	struct hier_cfg cfg = small_cfg(true, "inclusive");
	struct hier *h = mk_hier(&cfg, 2);
	ld(h, 0, 3);
	ld(h, 1, 3);
	cr_assert_eq(sf_of(h, 3), 3);
	cr_assert_eq(dma_wr(h, 3), MEM_LAT);
	cr_assert_eq(sf_of(h, 3), 0, "the device's write leaves no sharer");
	cr_assert_eq(hier_state(h, 0, 3 * LINE), MESI_I);
	cr_assert_eq(hier_state(h, 1, 3 * LINE), MESI_I);
	cr_assert_eq(cache_find(h->llc, 3), CACHE_NONE);
	cr_assert_eq(h->core[0].l1d->inval_dma, 1);
	cr_assert_eq(h->core[0].l2->inval_dma, 1);

	st(h, 1, 3);
	cr_assert_eq(dma_rd(h, 3), C2C_LAT, "the newest copy is in core 1");
	cr_assert_eq(sf_of(h, 3), 2, "core 1 keeps its copy, clean");
	cr_assert_eq(hier_state(h, 1, 3 * LINE), MESI_E);
	cr_assert_eq(h->llc->dirty[cache_find(h->llc, 3)], 1);
	cr_assert_eq(dma_rd(h, 3), LLC_LAT);
	cr_assert_eq(hier_access(h, 0, 3 * LINE, MEM_DMA, false, 0), LLC_LAT);
	cr_assert_eq(h->dma_reads, 3);
	valid(h);
	hier_destroy(h);
}

Test(cache, hier_stats_names)
{
	struct hier_cfg cfg = small_cfg(true, NULL);
	struct hier *h = mk_hier(&cfg, 2);
	struct stats *s = stats_create();
	hier_stats(h, s);
	ld(h, 0, 1);
	ld(h, 1, 1);
	st(h, 1, 1);
	uint64_t v;
	cr_assert(stats_get(s, "core0.l1d.load.miss", &v) && v == 1);
	cr_assert(stats_get(s, "llc.miss", &v) && v == 1);
	cr_assert(stats_get(s, "core0.l1d.coherence.inval", &v) && v == 1);
	cr_assert(stats_get(s, "core0.l2.coherence.inval", &v) && v == 1);
	cr_assert(stats_get(s, "core1.coherence.inval_sent", &v) && v == 2);
	cr_assert(stats_get(s, "core1.l1i.ifetch.access", &v) && v == 0);
	stats_destroy(s);
	hier_destroy(h);
}

/* Random loads, stores, fetches, walks and DMA on 4 cores: the invariants
 * hold after every access, whatever the policies. */
static void random_machine_n(const char *incl, const char *repl, bool l2, unsigned ncores,
			     int steps)
{
	struct hier_cfg cfg = small_cfg(l2, incl);
	cfg.l1d.repl = cfg.l2.repl = cfg.llc.repl = repl;
	cfg.llc.slices = 2;
	struct hier *h = mk_hier(&cfg, ncores);
	struct rng r;
	rng_seed(&r, 42);
	for (int i = 0; i < steps; i++) {
		unsigned core = (unsigned)rng_below(&r, ncores);
		paddr_t pa = rng_below(&r, 48) * LINE + rng_below(&r, LINE);
		unsigned op = (unsigned)rng_below(&r, 17);
		if (op < 6)
			hier_access(h, core, pa, MEM_LOAD, false, i);
		else if (op < 11)
			hier_access(h, core, pa, MEM_STORE, true, i);
		else if (op < 13)
			hier_access(h, core, pa, MEM_IFETCH, false, i);
		else if (op < 14)
			hier_access_sized(h, core, pa, 8, MEM_WALK, rng_below(&r, 2), i);
		else if (op < 15)
			hier_dma_read(h, pa, i);
		else if (op < 16)
			hier_dma_write(h, pa, i);
		else
			hier_write_line(h, core, pa, MEM_KERNEL, i);
		char err[MMSIM_ERR_LEN];
		cr_assert_eq(hier_validate(h, err), 0, "%s/%s access %d: %s", incl, repl, i, err);
	}
	if (ncores != 4) {
		hier_destroy(h);
		return;
	}
	uint64_t c2c = 0, sent = 0, up = 0;
	for (int c = 0; c < 4; c++) {
		c2c += h->core[c].c2c;
		sent += h->core[c].inval_sent;
		up += h->core[c].upgrades;
	}
	cr_assert(c2c > 100 && sent > 100 && up > 20, "c2c %lu inval %lu upgrades %lu",
		  c2c, sent, up);
	if (!strcmp(incl, "inclusive"))
		cr_assert_gt(h->back_inval, 100);
	if (!strcmp(incl, "exclusive"))
		cr_assert_gt(h->llc->hits, 100);
	hier_destroy(h);
}

static void random_machine(const char *incl, const char *repl, bool l2)
{
	random_machine_n(incl, repl, l2, 4, 20000);
}

Test(cache, hier_invariants_inclusive) { random_machine("inclusive", "lru", true); }
Test(cache, hier_invariants_noninclusive) { random_machine("non-inclusive", "plru", true); }
Test(cache, hier_invariants_exclusive) { random_machine("exclusive", "srrip", true); }
Test(cache, hier_invariants_no_l2) { random_machine("inclusive", "random", false); }

/* 64 cores: every bit of the snoop filter's masks, core 63 included. */
Test(cache, hier_invariants_64_cores)
{
	random_machine_n("inclusive", "lru", true, 64, 1500);
	random_machine_n("non-inclusive", "lru", true, 64, 1500);
}
