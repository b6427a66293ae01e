/* One set-associative cache, physically indexed and physically tagged.
 *
 * Modelled: size, ways, a power-of-two line size, a lookup latency, a
 * replacement policy (LRU, tree-PLRU, random, SRRIP, BRRIP: one file each,
 * repl_*.c, chosen by name), a write policy (write-back + write-allocate, or
 * write-through + no-write-allocate) and, per line, a MESI state and a dirty
 * bit. The cache is a store of tags and states only: data lives in physmem.
 * Simplified: no MSHRs, no banking, no port contention; a lookup costs its
 * latency whatever happens.
 *
 * Physically indexed: with 64-byte lines and 4 KiB pages an L1 of up to 64
 * sets (32 KiB 8-way, 48 KiB 12-way) takes its index bits from the page
 * offset, which a VIPT L1 does too, so modelling it PIPT changes nothing.
 *
 * Derived fields follow cachegrind's cg_sim.c: block = pa >> line_shift is
 * the tag (the full block number, not block >> set bits: equal in effect and
 * one shift cheaper), set = block & set_mask. An invalid way holds
 * CACHE_NO_BLOCK, so a lookup compares blocks only.
 *
 * Who does what: this unit finds, touches, fills and drops lines and keeps
 * counters; the hierarchy (hier.c) decides when, moves victims down and
 * keeps coherence. cache_ref() is the whole of a single cache on its own. */
#ifndef MMSIM_CACHE_H
#define MMSIM_CACHE_H

#include <assert.h>
#include "lib/rng.h"
#include "lib/types.h"

struct stats;

/* Access kinds: enum mem_kind of sim/mem/memsys.h (MEM_LOAD..MEM_DMA),
 * restated so this header does not depend on the memory port. */
#define CACHE_KINDS 6
#define CACHE_KIND_IFETCH 2      /* MEM_IFETCH: routed to the L1I */
#define CACHE_KIND_DMA 5         /* MEM_DMA: a device, no core's caches */

enum cache_repl {
	CACHE_REPL_LRU, CACHE_REPL_PLRU, CACHE_REPL_RANDOM, CACHE_REPL_SRRIP, CACHE_REPL_BRRIP,
	CACHE_REPL_KINDS
};

/* MESI, per line. A cache outside the coherence domain (the LLC) uses E for
 * "valid"; the dirty bit says whether the line is newer than the level
 * below, for every cache. */
enum mesi { MESI_I, MESI_S, MESI_E, MESI_M };

#define CACHE_NO_BLOCK UINT64_MAX
#define CACHE_NONE     UINT32_MAX      /* cache_find(): not present */

struct cache_cfg {
	uint64_t size;        /* bytes; size / (ways * line) sets, a power of two;
	                       * 0 in a hier_cfg: the level is absent */
	uint32_t ways;        /* 1..255 (tree-PLRU: a power of two, <= 64) */
	uint32_t line;        /* bytes, a power of two, 8..4096 */
	uint32_t latency;     /* cycles of a lookup at this level */
	const char *repl;     /* "lru" (also NULL), "plru", "random", "srrip", "brrip" */
	bool write_through;   /* write-through + no-write-allocate; default
	                       * write-back + write-allocate */
	bool wb_noalloc;      /* a writeback from above that misses here goes on
	                       * down instead of allocating (cachegrind's LL) */
	uint64_t seed;        /* random victims, BRRIP insertion */
	uint32_t slices;      /* 0 or 1: one array; else a power of two <= sets:
	                       * the sets are split into slices chosen by a hash
	                       * of the block (a sliced LLC) */
};

struct cache;

/* A replacement policy (repl_*.c). Lines are numbered idx = set*ways + way. */
struct repl_ops {
	const char *name;
	enum cache_repl kind;
	void (*touch)(struct cache *c, uint32_t idx);       /* hit on idx */
	void (*fill)(struct cache *c, uint32_t idx);        /* idx just filled */
	uint32_t (*victim)(struct cache *c, uint32_t set);  /* set full: way to evict */
};

/* The policy called name, or NULL. */
const struct repl_ops *cache_repl_find(const char *name);

struct cache {
	/* hot: what a lookup needs */
	uint64_t *block;      /* [sets*ways] pa >> line_shift, or CACHE_NO_BLOCK */
	uint8_t *tag;         /* [sets*ways + CACHE_TAG_GROUP] cache_tag(block), 0
	                       * if invalid (and in the padding): a filter over
	                       * block[] (cache_find_set) */
	uint64_t tag_tail;    /* cache_tag_match() bits of a set's last group
	                       * that are in the set */
	uint64_t *meta;       /* [sets*ways] policy word: RRIP RRPV */
	uint8_t *age;         /* [sets*ways + CACHE_TAG_GROUP] LRU: the line's
	                       * recency rank in its set, 0 = most recent; a
	                       * set's ranks are a permutation of 0..ways-1 */
	uint8_t age_tail[16]; /* 0xff for the lanes of a set's last group of
	                       * 16 ranks that are in the set */
	uint64_t way_recip;   /* floor(2^40 / ways) + 1: idx / ways by a multiply */
	uint8_t *state;       /* [sets*ways] enum mesi; MESI_I iff CACHE_NO_BLOCK */
	uint8_t *dirty;       /* [sets*ways] 1: newer than the level below */
	uint64_t *set_meta;   /* [sets] policy word: tree-PLRU bits */
	uint64_t set_mask;    /* sets - 1 */
	uint32_t ways;
	unsigned line_shift;  /* log2(line) */
	unsigned way_shift;   /* log2(ways) when ways is a power of two */
	unsigned slice_bits;  /* log2(slices); 0: not sliced */
	unsigned slice_shift; /* log2(sets per slice) */
	uint32_t latency;
	enum cache_repl repl;
	const struct repl_ops *ops;
	struct rng rng;       /* random victims, BRRIP insertion */
	bool write_through;
	bool wb_noalloc;

	/* counters: demand accesses by kind and in total */
	uint64_t access[CACHE_KINDS], hit[CACHE_KINDS], miss[CACHE_KINDS];
	uint64_t accesses, hits, misses;
	uint64_t fills;        /* lines installed */
	uint64_t evictions;    /* valid lines displaced by a fill */
	uint64_t writebacks;   /* dirty lines this cache sent down */
	uint64_t wb_in;        /* writebacks received from above */
	uint64_t inval_coh;    /* lines dropped for another core's write */
	uint64_t inval_back;   /* lines dropped because the inclusive LLC evicted them */
	uint64_t inval_dma;    /* lines dropped because a device wrote them */

	/* cold */
	uint32_t sets;
	uint64_t size;
};

/* Victim of a fill: valid only when block != CACHE_NO_BLOCK. */
struct cache_victim {
	uint64_t block;
	uint8_t state;
	uint8_t dirty;
};

/* Check a configuration; name prefixes messages ("cache.l1d"). Returns 0 or
 * -1 with "name.key: what" in err (MMSIM_ERR_LEN bytes). */
int cache_cfg_check(const struct cache_cfg *cfg, const char *name, char *err);

/* cfg must pass cache_cfg_check (asserted). NULL only when out of memory. */
struct cache *cache_create(const struct cache_cfg *cfg);
void cache_destroy(struct cache *c);

/* Register the counters as "<prefix>.access", "<prefix>.load.miss", ... */
void cache_stats(struct cache *c, struct stats *st, const char *prefix);

static inline uint64_t cache_block(const struct cache *c, paddr_t pa)
{
	return pa >> c->line_shift;
}

/* The set of block. Sliced: the slice bits (the top set bits) are XORed
 * with a Fibonacci hash of the whole block, so consecutive lines spread
 * over the slices and every set of a slice is still used. */
static inline uint32_t cache_set(const struct cache *c, uint64_t block)
{
	uint64_t set = block;
	if (c->slice_bits)
		set ^= (block * 0x9e3779b97f4a7c15ull) >> (64 - c->slice_bits) << c->slice_shift;
	return (uint32_t)(set & c->set_mask);
}

/* A line's partial tag: 7 bits of a hash of its block, and the top bit
 * set, so that it is never 0 (an invalid way's or padding's tag). */
static inline uint8_t cache_tag(uint64_t block)
{
	return (uint8_t)(0x80 | (block * 0x9e3779b97f4a7c15ull) >> 57);
}

/* cache_tag_match(t, tag): which of the CACHE_TAG_GROUP tags at t equal
 * tag, as a mask with bit (i << CACHE_TAG_BIT_SHIFT) for tag i.
 *
 * With SSE2 (every x86-64), 16 tags are compared by one pcmpeqb and
 * gathered by pmovmskb. Elsewhere, 8 at a time in a 64-bit word: x = tags ^
 * (tag in every byte) has a zero byte where a tag matches;
 * ((x & 0x7f..) + 0x7f..) sets bit 7 of every byte whose low 7 bits are
 * not all zero, without carries between bytes, so ~(that | x | 0x7f..) has
 * bit 7 set exactly in the zero bytes of x (Hacker's Delight, 6-1). */
#if defined(__SSE2__)
#include <emmintrin.h>
#define CACHE_TAG_GROUP 16
#define CACHE_TAG_BIT_SHIFT 0

static inline uint64_t cache_tag_match(const uint8_t *t, uint8_t tag)
{
	__m128i eq = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)t), _mm_set1_epi8((char)tag));
	return (uint64_t)(unsigned)_mm_movemask_epi8(eq);
}
#else
#define CACHE_TAG_GROUP 8
#define CACHE_TAG_BIT_SHIFT 3

static inline uint64_t cache_tag_match(const uint8_t *t, uint8_t tag)
{
	const uint64_t ones = 0x0101010101010101ull, low7 = 0x7f7f7f7f7f7f7f7full;
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)     /* t[0] in the low byte: one load */
		x |= (uint64_t)t[i] << 8 * i;
	x ^= ones * tag;
	return ~(((x & low7) + low7) | x | low7);
}
#endif

/* The line holding block in set (its set), or CACHE_NONE: the partial
 * tags say which ways may hold it, the full block confirms, so a miss
 * usually reads no block[] at all. */
static inline uint32_t cache_find_set(const struct cache *c, uint32_t set, uint64_t block)
{
	uint32_t base = set * c->ways;
	uint8_t tag = cache_tag(block);
	if (c->ways <= CACHE_TAG_GROUP) {       /* one group: no loop */
		uint64_t z = cache_tag_match(c->tag + base, tag) & c->tag_tail;
		for (; z; z &= z - 1) {
			uint32_t idx = base + ((unsigned)__builtin_ctzll(z) >> CACHE_TAG_BIT_SHIFT);
			if (c->block[idx] == block)
				return idx;
		}
		return CACHE_NONE;
	}
	for (uint32_t w0 = 0; w0 < c->ways; w0 += CACHE_TAG_GROUP) {
		uint64_t z = cache_tag_match(c->tag + base + w0, tag);
		if (c->ways - w0 < CACHE_TAG_GROUP)
			z &= c->tag_tail;       /* the rest is the next set's */
		for (; z; z &= z - 1) {
			uint32_t idx = base + w0 + ((unsigned)__builtin_ctzll(z) >> CACHE_TAG_BIT_SHIFT);
			if (c->block[idx] == block)
				return idx;
		}
	}
	return CACHE_NONE;
}

/* The line holding block, or CACHE_NONE. No side effects. */
static inline uint32_t cache_find(const struct cache *c, uint64_t block)
{
	return cache_find_set(c, cache_set(c, block), block);
}

/* The first line of idx's set: idx - idx % ways, the division done as a
 * multiply by way_recip (exact for idx < 2^32 and ways < 256: the error
 * idx / 2^40 < 1/256 stays below the smallest gap 1/ways to the next
 * integer). */
static inline uint32_t cache_set_base(const struct cache *c, uint32_t idx)
{
	if (!(c->ways & (c->ways - 1)))
		return idx & ~(c->ways - 1);
	uint32_t set = (uint32_t)(((unsigned __int128)idx * c->way_recip) >> 40);
	return set * c->ways;
}

/* LRU as recency ranks (repl_lru.c): a hit on way w of the set at base
 * makes it rank 0 and ages by one every line that was more recent. With
 * SSE2, 16 ranks at a time: an unsigned byte compare (both sides biased by
 * 0x80 for the signed pcmpgtb) selects the younger lanes, masked to the
 * set's ways in its last group, and subtracting the all-ones mask adds 1. */
static inline void cache_lru_rank_touch(struct cache *c, uint32_t base, uint32_t w)
{
	uint8_t *a = c->age + base;
	uint8_t x = a[w];
	if (!x)
		return;                 /* already the most recent */
#if defined(__SSE2__)
	const __m128i bias = _mm_set1_epi8((char)0x80);
	const __m128i xv = _mm_set1_epi8((char)(x ^ 0x80));
	for (uint32_t w0 = 0; w0 < c->ways; w0 += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(a + w0));
		__m128i lt = _mm_cmplt_epi8(_mm_xor_si128(v, bias), xv);
		if (c->ways - w0 < 16)
			lt = _mm_and_si128(lt, _mm_loadu_si128((const __m128i *)c->age_tail));
		_mm_storeu_si128((__m128i *)(a + w0), _mm_sub_epi8(v, lt));
	}
#else
	for (uint32_t u = 0; u < c->ways; u++)
		a[u] += a[u] < x;
#endif
	a[w] = 0;
}

/* The one-line hit rules of LRU and RRIP, shared by cache_touch() and the
 * policies' ops tables (repl_lru.c, repl_rrip.c). */
static inline void cache_repl_lru_touch(struct cache *c, uint32_t idx)
{
	uint32_t base = cache_set_base(c, idx);
	cache_lru_rank_touch(c, base, idx - base);
}

static inline void cache_repl_rrip_touch(struct cache *c, uint32_t idx)
{
	c->meta[idx] = 0;
}

/* The way a fill of set takes under LRU: the lowest invalid way (partial
 * tag 0, CACHE_TAG_GROUP at a time), else the least recently used one, the
 * way of rank ways-1. */
static inline uint32_t cache_repl_lru_way(const struct cache *c, uint32_t set)
{
	uint32_t base = set * c->ways;
	for (uint32_t w0 = 0; w0 < c->ways; w0 += CACHE_TAG_GROUP) {
		uint64_t z = cache_tag_match(c->tag + base + w0, 0);
		if (c->ways - w0 < CACHE_TAG_GROUP)
			z &= c->tag_tail;
		if (z)
			return w0 + ((unsigned)__builtin_ctzll(z) >> CACHE_TAG_BIT_SHIFT);
	}
	const uint8_t *a = c->age + base;
	uint8_t oldest = (uint8_t)(c->ways - 1);
#if defined(__SSE2__)
	for (uint32_t w0 = 0; ; w0 += 16) {
		__m128i eq = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(a + w0)),
					    _mm_set1_epi8((char)oldest));
		if (c->ways - w0 < 16)
			eq = _mm_and_si128(eq, _mm_loadu_si128((const __m128i *)c->age_tail));
		unsigned m = (unsigned)_mm_movemask_epi8(eq);
		if (m)
			return w0 + (unsigned)__builtin_ctz(m);
		assert(w0 + 16 < c->ways);
	}
#else
	uint32_t w = 0;
	while (a[w] != oldest)
		w++;
	return w;
#endif
}

/* A demand hit on line idx: tell the policy. A switch on the policy with
 * the one-line rules inline, the ops table for tree-PLRU: measured faster
 * than calling through the ops table for every policy (docs/cache-model.md,
 * "Hot path"). */
static inline void cache_touch(struct cache *c, uint32_t idx)
{
	switch (c->repl) {
	case CACHE_REPL_LRU:
		cache_repl_lru_touch(c, idx);
		break;
	case CACHE_REPL_SRRIP:
	case CACHE_REPL_BRRIP:
		cache_repl_rrip_touch(c, idx);
		break;
	case CACHE_REPL_RANDOM:
		break;
	default:
		c->ops->touch(c, idx);
	}
}

/* Count one demand access of kind that hit or missed. */
static inline void cache_count(struct cache *c, unsigned kind, bool hit)
{
	assert(kind < CACHE_KINDS);
	c->access[kind]++;
	c->accesses++;
	if (hit) {
		c->hit[kind]++;
		c->hits++;
	} else {
		c->miss[kind]++;
		c->misses++;
	}
}

/* The way a fill of set uses under a policy other than LRU: the lowest
 * invalid way, else the policy's victim. */
uint32_t cache_fill_way(struct cache *c, uint32_t set);

/* Install block with state and dirty bit in set (cache_set(block)), in
 * the lowest invalid way, else in the policy's victim way, whose old
 * contents go to *v (v->block == CACHE_NO_BLOCK if there were none).
 * Returns the new line. block must not be present: the caller has just
 * looked it up, so this is not checked here (hier_validate() checks that
 * no set holds a block twice). */
static inline __attribute__((always_inline))
uint32_t cache_fill_set(struct cache *c, uint32_t set, uint64_t block, uint8_t state,
			bool dirty, struct cache_victim *v)
{
	assert(state != MESI_I);
	bool lru = c->repl == CACHE_REPL_LRU;
	uint32_t idx = set * c->ways + (lru ? cache_repl_lru_way(c, set) : cache_fill_way(c, set));
	v->block = c->block[idx];
	v->state = c->state[idx];
	v->dirty = c->dirty[idx];
	c->evictions += v->block != CACHE_NO_BLOCK;
	c->block[idx] = block;
	c->tag[idx] = cache_tag(block);
	c->state[idx] = state;
	c->dirty[idx] = dirty;
	c->fills++;
	if (lru)
		cache_lru_rank_touch(c, set * c->ways, idx - set * c->ways);
	else
		c->ops->fill(c, idx);
	return idx;
}

static inline uint32_t cache_fill(struct cache *c, uint64_t block, uint8_t state, bool dirty,
				  struct cache_victim *v)
{
	return cache_fill_set(c, cache_set(c, block), block, state, dirty, v);
}

/* Drop line idx (no counter: callers count why). Its partial tag goes to
 * 0, which makes it the set's first choice for a fill (cache_repl_lru_way);
 * its LRU rank stays, in the order of the set's other ranks. */
static inline void cache_drop(struct cache *c, uint32_t idx)
{
	c->block[idx] = CACHE_NO_BLOCK;
	c->tag[idx] = 0;
	c->state[idx] = MESI_I;
	c->dirty[idx] = 0;
	c->meta[idx] = 0;
}

/* The cache alone, as cachegrind simulates one: look pa's line up, count
 * the access, touch on a hit, fill on a miss (the victim is forgotten).
 * Returns true on a hit. */
bool cache_ref(struct cache *c, paddr_t pa, unsigned kind);

/* Valid lines now (tests, occupancy reports). */
uint64_t cache_occupancy(const struct cache *c);

#endif
