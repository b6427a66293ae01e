/* Tests of sim/cache: one cache against tiny reference models of each
 * replacement policy; the hierarchy's write policies, inclusion policies,
 * MESI transitions, latency sums, straddling accesses, DMA and stats names;
 * and a property test that random multi-core streams keep the coherence
 * and inclusion invariants (hier_validate) under every inclusion policy.
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

static cycles_t ld(struct hier *h, unsigned core, uint64_t line)
{
	return hier_access(h, core, line * LINE, MEM_LOAD, false, 0);
}

static cycles_t st(struct hier *h, unsigned core, uint64_t line)
{
	return hier_access(h, core, line * LINE, MEM_STORE, true, 0);
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

Test(cache, hier_straddling_access_is_one)
{
	struct hier_cfg cfg = small_cfg(true, NULL);
	struct hier *h = mk_hier(&cfg, 1);
	struct cache *l1 = h->core[0].l1d;
	ld(h, 0, 1);
	/* 8 bytes at the end of line 0: lines 0 and 1, one access, one miss */
	cr_assert_eq(hier_access_sized(h, 0, LINE - 4, 8, MEM_LOAD, false, 0),
		     L1_LAT + L2_LAT + LLC_LAT + MEM_LAT);
	cr_assert_eq(l1->access[MEM_LOAD], 2);
	cr_assert_eq(l1->miss[MEM_LOAD], 2);
	cr_assert_eq(h->core[0].l2->access[MEM_LOAD], 2, "the L2 saw both lines as one");
	cr_assert_eq(hier_access_sized(h, 0, LINE - 4, 8, MEM_LOAD, false, 0), L1_LAT);
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
	cr_assert_eq(hier_dma_write(h, 3 * LINE, 0), MEM_LAT);
	cr_assert_eq(hier_state(h, 0, 3 * LINE), MESI_I);
	cr_assert_eq(hier_state(h, 1, 3 * LINE), MESI_I);
	cr_assert_eq(cache_find(h->llc, 3), CACHE_NONE);
	cr_assert_eq(h->core[0].l1d->inval_dma, 1);
	cr_assert_eq(h->core[0].l2->inval_dma, 1);

	st(h, 1, 3);
	cr_assert_eq(hier_dma_read(h, 3 * LINE, 0), C2C_LAT, "the newest copy is in core 1");
	cr_assert_eq(hier_state(h, 1, 3 * LINE), MESI_E);
	cr_assert_eq(h->llc->dirty[cache_find(h->llc, 3)], 1);
	cr_assert_eq(hier_dma_read(h, 3 * LINE, 0), LLC_LAT);
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
static void random_machine(const char *incl, const char *repl, bool l2)
{
	struct hier_cfg cfg = small_cfg(l2, incl);
	cfg.l1d.repl = cfg.l2.repl = cfg.llc.repl = repl;
	cfg.llc.slices = 2;
	struct hier *h = mk_hier(&cfg, 4);
	struct rng r;
	rng_seed(&r, 42);
	for (int i = 0; i < 20000; i++) {
		unsigned core = (unsigned)rng_below(&r, 4);
		paddr_t pa = rng_below(&r, 48) * LINE + rng_below(&r, LINE);
		unsigned op = (unsigned)rng_below(&r, 16);
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
		else
			hier_dma_write(h, pa, i);
		char err[MMSIM_ERR_LEN];
		cr_assert_eq(hier_validate(h, err), 0, "%s/%s access %d: %s", incl, repl, i, err);
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

Test(cache, hier_invariants_inclusive) { random_machine("inclusive", "lru", true); }
Test(cache, hier_invariants_noninclusive) { random_machine("non-inclusive", "plru", true); }
Test(cache, hier_invariants_exclusive) { random_machine("exclusive", "srrip", true); }
Test(cache, hier_invariants_no_l2) { random_machine("inclusive", "random", false); }
