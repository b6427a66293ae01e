/* Tests of the set-associative translation structure (sim/tlb/tlb.c).
 *
 * Directed tests pin down each rule: index = VPN mod sets, a free way before
 * any victim, the victim of each policy (LRU, tree-PLRU, FIFO, seeded random),
 * refill in place, the `evicted` out-parameter, PCID tags and global entries,
 * INVLPG probing every page size held, mixed 4K/2M/1G entries whose VPN
 * numbers collide without aliasing, exact eviction, and the three flushes.
 *
 * Property tests replay seeded random streams of lookups (a miss is followed
 * by a fill, as the core does), INVLPGs, INVPCID-style single-address drops,
 * exact evictions and flushes on a structure and on a tiny reference model,
 * and demand the same hits, fills, evictions, invalidations and flushes after
 * every operation and the same contents, way by way.
 *
 * The reference model keeps an array of ways per set (set = VPN mod sets,
 * VPN = address >> the entry's page shift). A lookup matches a valid way with
 * the same VPN and shift whose PCID is the lookup's or which is global. A fill
 * refreshes the matching way in place, else takes the lowest-numbered invalid
 * way, else evicts the policy's victim:
 *   LRU:    the way used least recently (a hit or a fill is a use);
 *   FIFO:   the way filled longest ago (hits and refreshes do not count);
 *   PLRU:   the way a binary tree of "the older half is this side" pointers
 *           leads to, each use turning the pointers on its path away from it;
 *   random: rng_below(ways) from a lib/rng.h generator seeded like the TLB's.
 * The tree model is written independently of tlb.c (way ranges, not bit
 * tricks): with 2 ways tree-PLRU is exactly LRU. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/rng.h"
#include "sim/tlb/tlb.h"

#define SEED 0x5eedull

static const char *const policy_name[] = { "lru", "plru", "random", "fifo" };

static struct tlb *mkp(uint32_t entries, uint32_t ways, int policy, const uint8_t *shifts,
		       unsigned nshifts, uint64_t seed)
{
	struct cfg_tlb cfg = { .entries = entries, .ways = ways, .latency = 1,
			       .policy = (uint32_t)policy };
	struct tlb *t = tlb_create(&cfg, shifts, nshifts, seed);
	cr_assert_not_null(t);
	cr_assert_eq(t->sets, entries / ways);
	cr_assert_eq(t->ways, ways);
	cr_assert_eq(t->shift, shifts[0]);
	cr_assert_eq(t->latency, 1);
	cr_assert_eq(tlb_occupancy(t), 0);
	return t;
}

/* A one-size LRU structure of 4K pages. Built directly from struct cfg_tlb:
 * cfg_check would reject nothing here, but the TLB takes any set count. */
static struct tlb *mk(uint32_t entries, uint32_t ways)
{
	static const uint8_t s12[] = { 12 };
	return mkp(entries, ways, REPL_LRU, s12, 1, SEED);
}

static struct tlb *mk_policy(uint32_t entries, uint32_t ways, int policy)
{
	static const uint8_t s12[] = { 12 };
	return mkp(entries, ways, policy, s12, 1, SEED);
}

static void expect_hit(struct tlb *t, uint64_t vpn, uint16_t pcid, uint64_t pfn)
{
	struct tlb_entry *e = tlb_lookup(t, vpn, pcid);
	cr_assert_not_null(e, "vpn %#llx pcid %u: miss, want pfn %#llx",
			   (unsigned long long)vpn, pcid, (unsigned long long)pfn);
	cr_assert_eq(e->pfn, pfn, "vpn %#llx pcid %u: pfn %#llx, want %#llx",
		     (unsigned long long)vpn, pcid, (unsigned long long)e->pfn,
		     (unsigned long long)pfn);
}

static void expect_miss(struct tlb *t, uint64_t vpn, uint16_t pcid)
{
	struct tlb_entry *e = tlb_lookup(t, vpn, pcid);
	cr_assert_null(e, "vpn %#llx pcid %u: hit (pfn %#llx), want a miss",
		       (unsigned long long)vpn, pcid, e ? (unsigned long long)e->pfn : 0ull);
}

/* Is (vpn, shift, pcid) cached? Without touching replacement state or counters. */
static bool holds_at(const struct tlb *t, uint64_t vpn, unsigned shift, uint16_t pcid)
{
	const struct tlb_entry *set = t->e + tlb_index(t, vpn) * t->ways;
	for (uint32_t w = 0; w < t->ways; w++)
		if (tlb_match(&set[w], vpn, shift, pcid))
			return true;
	return false;
}

static bool holds(const struct tlb *t, uint64_t vpn, uint16_t pcid)
{
	return holds_at(t, vpn, t->shift, pcid);
}

/* The way of set (vpn's) that holds vpn, or -1. */
static int way_of(const struct tlb *t, uint64_t vpn)
{
	const struct tlb_entry *set = t->e + tlb_index(t, vpn) * t->ways;
	for (uint32_t w = 0; w < t->ways; w++)
		if ((set[w].flags & TLBE_VALID) && set[w].vpn == vpn)
			return (int)w;
	return -1;
}

static void fill(struct tlb *t, uint64_t vpn, uint64_t pfn, uint16_t pcid, uint8_t flags)
{
	tlb_fill(t, vpn, pfn, pcid, flags, NULL);
}

static void expect_counts(const struct tlb *t, uint64_t hits, uint64_t fills,
			  uint64_t evictions)
{
	cr_assert_eq(t->hits, hits, "hits %llu, want %llu", (unsigned long long)t->hits,
		     (unsigned long long)hits);
	cr_assert_eq(t->fills, fills, "fills %llu, want %llu", (unsigned long long)t->fills,
		     (unsigned long long)fills);
	cr_assert_eq(t->evictions, evictions, "evictions %llu, want %llu",
		     (unsigned long long)t->evictions, (unsigned long long)evictions);
}

/* --- directed tests: geometry and LRU ---------------------------------------- */

Test(tlb, geometry_and_index)
{
	struct tlb *t = mk(64, 4);                    /* 16 sets: index = vpn & 15 */
	cr_assert(t->pow2);
	cr_assert_eq(tlb_index(t, 0x12345), 5);
	tlb_destroy(t);

	t = mk(12, 4);                                /* 3 sets: index = vpn % 3 */
	cr_assert_not(t->pow2);
	cr_assert_eq(tlb_index(t, 0x12345), 0x12345 % 3);
	cr_assert_eq(tlb_index(t, 7), 1);
	tlb_destroy(t);

	t = mk(64, 64);                               /* fully associative */
	cr_assert_eq(t->sets, 1);
	cr_assert_eq(tlb_index(t, 0xfffffffffull), 0);
	tlb_destroy(t);

	t = mk(8, 1);                                 /* direct-mapped */
	cr_assert_eq(tlb_index(t, 13), 5);
	tlb_destroy(t);

	tlb_destroy(NULL);                            /* as free(NULL) */
}

/* 16 entries, 4 ways, 4 sets: vpns 0, 4, 8, 12, 16 all index set 0. */
Test(tlb, lru_victim)
{
	struct tlb *t = mk(16, 4);
	for (uint64_t v = 0; v < 16; v += 4)
		fill(t, v, 100 + v, 0, 0);
	expect_counts(t, 0, 4, 0);
	cr_assert_eq(tlb_occupancy(t), 4);

	expect_hit(t, 0, 0, 100);                     /* recency now: 0 12 8 4 */
	fill(t, 16, 116, 0, 0);                       /* evicts 4, the LRU */
	expect_counts(t, 1, 5, 1);
	cr_assert_not(holds(t, 4, 0));
	cr_assert(holds(t, 0, 0) && holds(t, 8, 0) && holds(t, 12, 0) && holds(t, 16, 0));

	expect_hit(t, 8, 0, 108);                     /* recency: 8 16 0 12 */
	fill(t, 20, 120, 0, 0);                       /* evicts 12 */
	cr_assert_not(holds(t, 12, 0));
	fill(t, 24, 124, 0, 0);                       /* evicts 0 */
	cr_assert_not(holds(t, 0, 0));
	expect_counts(t, 2, 7, 3);

	/* another set is untouched by all this */
	fill(t, 1, 101, 0, 0);
	expect_counts(t, 2, 8, 3);
	cr_assert_eq(tlb_occupancy(t), 5);
	tlb_destroy(t);
}

/* A free way is used before any valid entry is evicted, wherever it is. */
Test(tlb, free_way_before_victim)
{
	int policies[] = { REPL_LRU, REPL_PLRU, REPL_RANDOM, REPL_FIFO };
	for (size_t p = 0; p < ARRAY_SIZE(policies); p++) {
		struct tlb *t = mk_policy(16, 4, policies[p]);
		for (uint64_t v = 0; v < 16; v += 4)
			fill(t, v, v, 0, 0);
		int w8 = way_of(t, 8);
		tlb_invlpg(t, 8ull << 12, 0, false);  /* frees a middle way */
		cr_assert_eq(tlb_occupancy(t), 3);
		struct tlb_entry ev = { 0 };
		cr_assert_not(tlb_fill(t, 16, 16, 0, 0, &ev), "%s", policy_name[policies[p]]);
		expect_counts(t, 0, 5, 0);
		cr_assert_eq(way_of(t, 16), w8, "%s: the freed way is reused",
			     policy_name[policies[p]]);
		cr_assert(holds(t, 0, 0) && holds(t, 4, 0) && holds(t, 12, 0) && holds(t, 16, 0));
		tlb_destroy(t);
	}
}

Test(tlb, refill_updates_in_place)
{
	struct tlb *t = mk(16, 4);
	fill(t, 7, 70, 1, TLBE_US);
	struct tlb_entry ev = { 0 };
	cr_assert_not(tlb_fill(t, 7, 71, 1, TLBE_US | TLBE_RW | TLBE_DIRTY, &ev),
		      "a refresh evicts nothing");
	expect_counts(t, 0, 2, 0);
	cr_assert_eq(tlb_occupancy(t), 1);
	struct tlb_entry *e = tlb_lookup(t, 7, 1);
	cr_assert_not_null(e);
	cr_assert_eq(e->pfn, 71);
	cr_assert_eq(e->shift, 12);
	cr_assert_eq(e->flags, TLBE_VALID | TLBE_US | TLBE_RW | TLBE_DIRTY);

	/* In a full set the refreshed entry becomes most recent and evicts
	 * nothing; the next new vpn evicts the next LRU one. */
	tlb_destroy(t);
	t = mk(16, 4);
	for (uint64_t v = 0; v < 16; v += 4)          /* recency: 12 8 4 0 */
		fill(t, v, v, 0, 0);
	fill(t, 0, 1000, 0, 0);                       /* recency: 0 12 8 4 */
	expect_counts(t, 0, 5, 0);
	cr_assert_eq(tlb_occupancy(t), 4);
	fill(t, 16, 16, 0, 0);                        /* evicts 4 */
	expect_counts(t, 0, 6, 1);
	cr_assert_not(holds(t, 4, 0));
	expect_hit(t, 0, 0, 1000);
	tlb_destroy(t);
}

/* The evicted out-parameter: a copy of the valid entry pushed out. */
Test(tlb, fill_reports_evicted)
{
	struct tlb *t = mk(4, 2);                     /* 2 sets of 2 */
	struct tlb_entry ev;
	memset(&ev, 0xa5, sizeof(ev));
	cr_assert_not(tlb_fill(t, 0, 10, 3, TLBE_RW, &ev));
	cr_assert_not(tlb_fill(t, 2, 12, 4, TLBE_GLOBAL | TLBE_US, &ev));
	cr_assert_eq(ev.pfn, 0xa5a5a5a5a5a5a5a5ull, "no eviction: *evicted untouched");
	cr_assert(tlb_fill(t, 4, 14, 3, 0, &ev));     /* evicts vpn 0, the LRU */
	cr_assert_eq(ev.vpn, 0);
	cr_assert_eq(ev.pfn, 10);
	cr_assert_eq(ev.pcid, 3);
	cr_assert_eq(ev.shift, 12);
	cr_assert_eq(ev.flags, TLBE_VALID | TLBE_RW);
	cr_assert(tlb_fill(t, 6, 16, 3, 0, &ev));     /* evicts vpn 2 */
	cr_assert_eq(ev.vpn, 2);
	cr_assert_eq(ev.pcid, 4);
	cr_assert_eq(ev.flags, TLBE_VALID | TLBE_GLOBAL | TLBE_US);
	cr_assert(tlb_fill(t, 8, 18, 3, 0, NULL));    /* NULL is allowed */
	expect_counts(t, 0, 5, 3);
	tlb_destroy(t);
}

Test(tlb, pcid_tags)
{
	struct tlb *t = mk(16, 4);
	fill(t, 5, 50, 1, 0);
	expect_miss(t, 5, 2);                         /* same vpn, other pcid */
	fill(t, 5, 51, 2, 0);                         /* a second entry, no eviction */
	expect_counts(t, 0, 2, 0);
	cr_assert_eq(tlb_occupancy(t), 2);
	expect_hit(t, 5, 1, 50);
	expect_hit(t, 5, 2, 51);
	expect_miss(t, 5, 0);
	expect_miss(t, 5, 4095);
	expect_counts(t, 2, 2, 0);                    /* misses are the core's to count */
	tlb_destroy(t);
}

Test(tlb, global_matches_any_pcid)
{
	struct tlb *t = mk(16, 4);
	fill(t, 9, 90, 1, TLBE_GLOBAL);
	expect_hit(t, 9, 1, 90);
	expect_hit(t, 9, 2, 90);
	expect_hit(t, 9, 4095, 90);
	/* a fill from another pcid finds the global entry and refreshes it */
	fill(t, 9, 91, 3, TLBE_GLOBAL);
	cr_assert_eq(tlb_occupancy(t), 1);
	expect_hit(t, 9, 1, 91);
	expect_counts(t, 4, 2, 0);
	tlb_destroy(t);
}

/* INVLPG drops va's entry of this pcid and any global entry for va; other
 * pcids' non-global entries for va and other pages stay. */
Test(tlb, invlpg)
{
	struct tlb *t = mk(64, 4);
	fill(t, 5, 51, 1, 0);
	fill(t, 5, 52, 2, 0);
	fill(t, 6, 61, 1, 0);                         /* another vpn, same pcid */
	fill(t, 7, 70, 2, TLBE_GLOBAL);               /* global, filled under pcid 2 */
	fill(t, 8, 81, 2, 0);
	cr_assert_eq(tlb_occupancy(t), 5);

	tlb_invlpg(t, (5ull << 12) | 0xfff, 1, false);  /* any address in the page */
	cr_assert_eq(t->invalidations, 1);
	cr_assert_eq(tlb_occupancy(t), 4);
	cr_assert_not(holds(t, 5, 1));
	cr_assert(holds(t, 5, 2));
	cr_assert(holds(t, 6, 1));

	tlb_invlpg(t, 7ull << 12, 1, false);          /* the global one goes */
	cr_assert_eq(tlb_occupancy(t), 3);
	cr_assert_not(holds(t, 7, 2));

	tlb_invlpg(t, 8ull << 12, 1, false);          /* pcid 2's entry stays */
	cr_assert_eq(tlb_occupancy(t), 3);
	cr_assert(holds(t, 8, 2));

	tlb_invlpg(t, 99ull << 12, 1, false);         /* nothing cached: no-op */
	cr_assert_eq(tlb_occupancy(t), 3);
	cr_assert_eq(t->invalidations, 2, "invalidations count entries dropped");
	cr_assert_eq(t->flushes, 0);
	expect_counts(t, 0, 5, 0);
	tlb_destroy(t);
}

/* keep_global (INVPCID type 0): this pcid's non-global entry only. */
Test(tlb, invlpg_keep_global)
{
	struct tlb *t = mk(64, 4);
	fill(t, 5, 51, 1, 0);
	fill(t, 5, 52, 2, 0);
	fill(t, 7, 70, 1, TLBE_GLOBAL);
	tlb_invlpg(t, 7ull << 12, 1, true);
	cr_assert(holds(t, 7, 1), "a global entry survives the single-address INVPCID");
	tlb_invlpg(t, 5ull << 12, 2, true);
	cr_assert(holds(t, 5, 1));
	cr_assert_not(holds(t, 5, 2));
	cr_assert_eq(t->invalidations, 1);
	cr_assert_eq(tlb_occupancy(t), 2);
	tlb_destroy(t);
}

Test(tlb, flush_pcid_keeps_other_pcids_and_globals)
{
	struct tlb *t = mk(16, 4);
	fill(t, 1, 10, 1, 0);
	fill(t, 2, 20, 2, 0);
	fill(t, 3, 30, 1, TLBE_GLOBAL);
	fill(t, 4, 40, 1, TLBE_RW);
	fill(t, 5, 50, 0, 0);
	tlb_flush_pcid(t, 1);
	cr_assert_eq(t->flushes, 1);
	cr_assert_eq(t->invalidations, 2);
	cr_assert_eq(tlb_occupancy(t), 3);
	cr_assert_not(holds(t, 1, 1));
	cr_assert_not(holds(t, 4, 1));
	cr_assert(holds(t, 2, 2));
	cr_assert(holds(t, 3, 1));
	cr_assert(holds(t, 5, 0));
	tlb_flush_pcid(t, 7);                         /* nothing of pcid 7: still a flush */
	cr_assert_eq(t->flushes, 2);
	cr_assert_eq(tlb_occupancy(t), 3);
	tlb_destroy(t);
}

Test(tlb, flush_nonglobal_keeps_globals)
{
	struct tlb *t = mk(16, 4);
	fill(t, 1, 10, 1, 0);
	fill(t, 2, 20, 2, TLBE_GLOBAL);
	fill(t, 3, 30, 3, 0);
	fill(t, 4, 40, 1, TLBE_GLOBAL | TLBE_RW);
	tlb_flush_nonglobal(t);
	cr_assert_eq(t->flushes, 1);
	cr_assert_eq(t->invalidations, 2);
	cr_assert_eq(tlb_occupancy(t), 2);
	expect_miss(t, 1, 1);
	expect_miss(t, 3, 3);
	expect_hit(t, 2, 7, 20);
	expect_hit(t, 4, 1, 40);
	tlb_destroy(t);
}

Test(tlb, flush_all_drops_everything)
{
	struct tlb *t = mk(16, 4);
	for (uint64_t v = 0; v < 16; v++)
		fill(t, v, v, (uint16_t)(v % 3), (v & 1) ? TLBE_GLOBAL : 0);
	cr_assert_eq(tlb_occupancy(t), 16);
	tlb_flush_all(t);
	cr_assert_eq(t->flushes, 1);
	cr_assert_eq(t->invalidations, 16);
	cr_assert_eq(tlb_occupancy(t), 0);
	for (uint64_t v = 0; v < 16; v++)
		expect_miss(t, v, (uint16_t)(v % 3));
	/* a flushed TLB fills without evictions */
	for (uint64_t v = 0; v < 16; v++)
		fill(t, v, v, 0, 0);
	cr_assert_eq(t->evictions, 0);
	tlb_destroy(t);
}

Test(tlb, occupancy)
{
	struct tlb *t = mk(48, 6);                    /* 8 sets of 6 */
	for (uint64_t v = 0; v < 8 * 10; v++) {       /* 10 per set: 4 evicted each */
		fill(t, v, v, 0, 0);
		cr_assert_eq(tlb_occupancy(t), v < 48 ? v + 1 : 48);
		cr_assert_eq(t->nvalid, tlb_occupancy(t));
	}
	cr_assert_eq(t->evictions, 8 * 4);
	tlb_invlpg(t, 79ull << 12, 0, false);         /* the last one filled */
	cr_assert_eq(tlb_occupancy(t), 47);
	tlb_invlpg(t, 0, 0, false);                   /* long evicted */
	cr_assert_eq(tlb_occupancy(t), 47);
	tlb_flush_nonglobal(t);
	cr_assert_eq(tlb_occupancy(t), 0);
	tlb_destroy(t);
}

/* 12 entries / 4 ways = 3 sets: vpn mod 3 picks the set. */
Test(tlb, three_sets)
{
	struct tlb *t = mk(12, 4);
	for (uint64_t v = 0; v < 15; v += 3)          /* 0 3 6 9 12: all set 0 */
		fill(t, v, v, 0, 0);
	expect_counts(t, 0, 5, 1);
	cr_assert_not(holds(t, 0, 0));                /* the LRU went */
	for (uint64_t v = 1; v < 12; v += 3)          /* 1 4 7 10: set 1 */
		fill(t, v, v, 0, 0);
	for (uint64_t v = 2; v < 12; v += 3)          /* 2 5 8 11: set 2 */
		fill(t, v, v, 0, 0);
	expect_counts(t, 0, 13, 1);
	cr_assert_eq(tlb_occupancy(t), 12);
	tlb_destroy(t);
}

/* --- directed tests: the other policies --------------------------------------- */

/* Tree-PLRU with 4 ways: after filling ways 0..3 in order the tree points at
 * way 0 (the left pair was used longer ago, and in it way 0). Then, after
 * way 0 is refilled, at way 2: the root points right (the left pair was just
 * used) and the right pair's node at way 2 (way 3 was used after it); true
 * LRU would take way 1 here. (This test caught plru_victim() reading the
 * tree bits in the opposite sense to tlb_plru_touch().) */
Test(tlb, plru_victim_4way)
{
	struct tlb *t = mk_policy(4, 4, REPL_PLRU);
	for (uint64_t v = 0; v < 4; v++)
		fill(t, v, 100 + v, 0, 0);
	for (uint64_t v = 0; v < 4; v++)
		cr_assert_eq(way_of(t, v), (int)v, "free ways fill in order");
	cr_assert(tlb_fill(t, 4, 104, 0, 0, NULL));
	cr_expect_eq(way_of(t, 4), 0, "4 ways filled 0..3: the victim is way 0, not way %d",
		     way_of(t, 4));
	cr_expect_not(holds(t, 0, 0), "vpn 0 (least recently used) should be gone");
	cr_expect(holds(t, 3, 0), "vpn 3 (most recently used) must stay");
	if (way_of(t, 4) == 0) {
		cr_assert(tlb_fill(t, 5, 105, 0, 0, NULL));
		cr_expect_eq(way_of(t, 5), 2, "then way 2 (tree-PLRU, not LRU's way 1)");
		cr_expect(holds(t, 1, 0));
	}
	tlb_destroy(t);
}

/* With 2 ways tree-PLRU is LRU. */
Test(tlb, plru_2way_is_lru)
{
	struct tlb *t = mk_policy(2, 2, REPL_PLRU);
	fill(t, 0, 100, 0, 0);
	fill(t, 1, 101, 0, 0);
	expect_hit(t, 0, 0, 100);                     /* vpn 1 is now the LRU */
	fill(t, 2, 102, 0, 0);
	cr_expect(holds(t, 0, 0), "vpn 0 was just used: tree-PLRU must keep it");
	cr_expect_not(holds(t, 1, 0), "vpn 1 is the least recently used");
	tlb_destroy(t);
}

/* FIFO: hits and refreshes do not change the order of filling. */
Test(tlb, fifo_ignores_hits_and_refreshes)
{
	struct tlb *t = mk_policy(4, 4, REPL_FIFO);
	for (uint64_t v = 0; v < 4; v++)
		fill(t, v, 100 + v, 0, 0);
	expect_hit(t, 0, 0, 100);
	expect_hit(t, 0, 0, 100);
	fill(t, 0, 200, 0, TLBE_RW);                  /* refresh: still the oldest */
	struct tlb_entry ev;
	cr_assert(tlb_fill(t, 4, 104, 0, 0, &ev));
	cr_assert_eq(ev.vpn, 0, "FIFO evicts the first filled, used or not");
	cr_assert_eq(ev.pfn, 200);
	cr_assert(tlb_fill(t, 5, 105, 0, 0, &ev));
	cr_assert_eq(ev.vpn, 1);
	/* a refill after an invalidation is a new fill: youngest */
	tlb_invlpg(t, 2ull << 12, 0, false);
	fill(t, 2, 102, 0, 0);
	cr_assert(tlb_fill(t, 6, 106, 0, 0, &ev));
	cr_assert_eq(ev.vpn, 3);
	cr_assert(tlb_fill(t, 7, 107, 0, 0, &ev));
	cr_assert_eq(ev.vpn, 4);
	tlb_destroy(t);
}

/* Random: the victims of a full set are rng_below(ways) of a generator
 * seeded with the structure's seed; free ways draw nothing. */
Test(tlb, random_victims_follow_the_seed)
{
	static const uint8_t s12[] = { 12 };
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct tlb *t = mkp(8, 8, REPL_RANDOM, s12, 1, seed);
		struct rng g;
		rng_seed(&g, seed);
		for (uint64_t v = 0; v < 8; v++)
			fill(t, v, v, 0, 0);
		for (uint64_t v = 8; v < 200; v++) {
			uint64_t way = rng_below(&g, 8);
			uint64_t old = t->e[way].vpn;
			struct tlb_entry ev;
			cr_assert(tlb_fill(t, v, v, 0, 0, &ev));
			cr_assert_eq(ev.vpn, old, "seed %llu fill %llu",
				     (unsigned long long)seed, (unsigned long long)v);
			cr_assert_eq(t->e[way].vpn, v);
		}
		tlb_destroy(t);
	}
}

/* --- directed tests: several page sizes in one structure --------------------- */

static const uint8_t shifts_4k_2m[] = { 12, 21 };
static const uint8_t shifts_all[] = { 12, 21, 30 };

/* A 4K page and a 2M page with the same VPN number share a set but are
 * different translations: neither hits for the other. */
Test(tlb, mixed_sizes_never_alias)
{
	struct tlb *t = mkp(16, 4, REPL_LRU, shifts_4k_2m, 2, SEED);
	cr_assert_eq(t->nshifts, 2);
	tlb_fill_at(t, 5, 12, 0x500, 1, TLBE_RW, NULL);
	cr_assert_null(tlb_lookup_at(t, 5, 21, 1), "a 4K entry answered a 2M lookup");
	tlb_fill_at(t, 5, 21, 0x200000, 1, TLBE_US, NULL);
	cr_assert_eq(tlb_occupancy(t), 2, "the 2M fill must not refresh the 4K entry");
	struct tlb_entry *e = tlb_lookup_at(t, 5, 12, 1);
	cr_assert_not_null(e);
	cr_assert_eq(e->pfn, 0x500);
	cr_assert_eq(e->shift, 12);
	cr_assert_eq(e->flags, TLBE_VALID | TLBE_RW);
	e = tlb_lookup_at(t, 5, 21, 1);
	cr_assert_not_null(e);
	cr_assert_eq(e->pfn, 0x200000);
	cr_assert_eq(e->shift, 21);
	cr_assert_null(tlb_lookup_at(t, 5, 30, 1));
	/* tlb_lookup probes the smallest size held */
	e = tlb_lookup(t, 5, 1);
	cr_assert_not_null(e);
	cr_assert_eq(e->shift, 12);

	/* exact eviction names the size */
	tlb_evict_exact(t, 5, 21, 1);
	cr_assert_null(tlb_lookup_at(t, 5, 21, 1));
	cr_assert_not_null(tlb_lookup_at(t, 5, 12, 1));

	/* a 2M global entry with a colliding number is no 4K hit for any pcid */
	tlb_fill_at(t, 5, 21, 0x400000, 1, TLBE_GLOBAL, NULL);
	cr_assert_null(tlb_lookup_at(t, 5, 12, 9));
	cr_assert_not_null(tlb_lookup_at(t, 5, 21, 9));
	tlb_destroy(t);
}

/* The valid entries counted per page size (nvalid_shift, which lets the
 * core skip probing a size the STLB holds none of) follow every fill,
 * eviction by another size, invalidation and flush. */
Test(tlb, valid_counts_by_size)
{
	struct tlb *t = mkp(2, 2, REPL_LRU, shifts_4k_2m, 2, SEED);     /* one set */
	tlb_fill_at(t, 1, 12, 0x1, 1, TLBE_RW, NULL);
	tlb_fill_at(t, 2, 12, 0x2, 1, TLBE_RW, NULL);
	cr_assert_eq(t->nvalid_shift[12], 2);
	cr_assert_eq(t->nvalid_shift[21], 0);
	tlb_fill_at(t, 2, 12, 0x3, 1, TLBE_RW, NULL);                  /* a refresh */
	cr_assert_eq(t->nvalid_shift[12], 2);
	struct tlb_entry ev;
	cr_assert(tlb_fill_at(t, 3, 21, 0x200, 1, TLBE_RW, &ev), "a 2M entry evicts a 4K one");
	cr_assert_eq(ev.shift, 12);
	cr_assert_eq(t->nvalid_shift[12], 1);
	cr_assert_eq(t->nvalid_shift[21], 1);
	cr_assert_eq(tlb_occupancy(t), 2);    /* asserts the counts against a scan */
	tlb_invlpg(t, 3ull << 21, 1, false);
	cr_assert_eq(t->nvalid_shift[21], 0);
	cr_assert_eq(t->nvalid_shift[12], 1);
	tlb_flush_all(t);
	cr_assert_eq(t->nvalid_shift[12], 0);
	cr_assert_eq(tlb_occupancy(t), 0);
	tlb_destroy(t);
}

/* INVLPG probes every size held: va = 0x40201234 lies in the 4K page
 * 0x40201, the 2M page 0x201 and the 1G page 0x1. */
Test(tlb, invlpg_drops_every_size_covering_va)
{
	struct tlb *t = mkp(64, 8, REPL_LRU, shifts_all, 3, SEED);
	const vaddr_t va = 0x40201234ull;
	tlb_fill_at(t, va >> 12, 12, 1, 2, 0, NULL);
	tlb_fill_at(t, va >> 21, 21, 2, 2, 0, NULL);
	tlb_fill_at(t, va >> 30, 30, 3, 2, TLBE_GLOBAL, NULL);
	/* neighbours that do not cover va */
	tlb_fill_at(t, (va >> 12) + 1, 12, 4, 2, 0, NULL);
	tlb_fill_at(t, (va >> 21) + 1, 21, 5, 2, 0, NULL);
	tlb_fill_at(t, (va >> 30) + 1, 30, 6, 2, 0, NULL);
	/* va's VPN numbers at the other sizes: not va's pages */
	tlb_fill_at(t, va >> 12, 21, 7, 2, 0, NULL);
	tlb_fill_at(t, va >> 21, 12, 8, 2, 0, NULL);
	/* va's pages under another pcid */
	tlb_fill_at(t, va >> 12, 12, 9, 3, 0, NULL);
	tlb_fill_at(t, va >> 21, 21, 10, 3, 0, NULL);
	cr_assert_eq(tlb_occupancy(t), 10);

	tlb_invlpg(t, va, 2, false);
	cr_assert_eq(t->invalidations, 3);
	cr_assert_eq(tlb_occupancy(t), 7);
	cr_assert_not(holds_at(t, va >> 12, 12, 2));
	cr_assert_not(holds_at(t, va >> 21, 21, 2));
	cr_assert_not(holds_at(t, va >> 30, 30, 2));
	cr_assert(holds_at(t, (va >> 12) + 1, 12, 2));
	cr_assert(holds_at(t, (va >> 21) + 1, 21, 2));
	cr_assert(holds_at(t, (va >> 30) + 1, 30, 2));
	cr_assert(holds_at(t, va >> 12, 21, 2));
	cr_assert(holds_at(t, va >> 21, 12, 2));
	cr_assert(holds_at(t, va >> 12, 12, 3));
	cr_assert(holds_at(t, va >> 21, 21, 3));

	/* keep_global: pcid 3's entries go, a global 1G entry stays */
	tlb_fill_at(t, va >> 30, 30, 3, 2, TLBE_GLOBAL, NULL);
	tlb_invlpg(t, va, 3, true);
	cr_assert_not(holds_at(t, va >> 12, 12, 3));
	cr_assert_not(holds_at(t, va >> 21, 21, 3));
	cr_assert(holds_at(t, va >> 30, 30, 3));
	tlb_destroy(t);
}

/* Exact eviction (inclusion): vpn, size and pcid must all match; a global
 * entry filled under another pcid is not "exactly" this one. */
Test(tlb, evict_exact)
{
	struct tlb *t = mkp(16, 4, REPL_LRU, shifts_4k_2m, 2, SEED);
	tlb_fill_at(t, 3, 12, 30, 1, 0, NULL);
	tlb_fill_at(t, 3, 21, 31, 1, 0, NULL);
	tlb_fill_at(t, 3, 12, 32, 2, 0, NULL);
	tlb_fill_at(t, 7, 12, 70, 1, TLBE_GLOBAL, NULL);
	tlb_evict_exact(t, 3, 12, 1);
	cr_assert_not(holds_at(t, 3, 12, 1));
	cr_assert(holds_at(t, 3, 21, 1));
	cr_assert(holds_at(t, 3, 12, 2));
	tlb_evict_exact(t, 7, 12, 2);
	cr_assert(holds_at(t, 7, 12, 1));
	tlb_evict_exact(t, 7, 12, 1);
	cr_assert_not(holds_at(t, 7, 12, 1));
	cr_assert_eq(t->invalidations, 2);
	cr_assert_eq(tlb_occupancy(t), 2);
	tlb_destroy(t);
}

/* --- the reference model ------------------------------------------------------ */

struct mway {
	bool valid;
	bool global;
	uint8_t shift;
	uint8_t flags;           /* TLBE_* without VALID */
	uint16_t pcid;
	uint64_t vpn, pfn;
	uint64_t age;            /* LRU: last use; FIFO: fill */
};

struct model {
	uint32_t sets, ways;
	int policy;
	uint8_t shifts[3];
	unsigned nshifts;
	struct mway *w;          /* w[set * ways + way] */
	uint8_t *ptr;            /* PLRU: ptr[set * ways + node], node in heap order:
	                          * 1 = the older half is the right one */
	struct rng rng;
	uint64_t tick;
	uint64_t hits, fills, evictions, invalidations, flushes;
};

static void model_init(struct model *m, uint32_t entries, uint32_t ways, int policy,
		       const uint8_t *shifts, unsigned nshifts, uint64_t seed)
{
	*m = (struct model){ .sets = entries / ways, .ways = ways, .policy = policy,
			     .nshifts = nshifts };
	memcpy(m->shifts, shifts, nshifts);
	m->w = calloc(entries, sizeof(*m->w));
	m->ptr = calloc(entries, 1);
	cr_assert(m->w && m->ptr);
	rng_seed(&m->rng, seed);
}

static void model_fini(struct model *m)
{
	free(m->w);
	free(m->ptr);
}

static uint32_t model_set(const struct model *m, uint64_t vpn) { return (uint32_t)(vpn % m->sets); }

/* PLRU: turn the pointers on way's path away from it. */
static void plru_use(struct model *m, uint32_t set, uint32_t way)
{
	uint8_t *p = m->ptr + (size_t)set * m->ways;
	uint32_t node = 0, lo = 0, hi = m->ways;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (way < mid) {
			p[node] = 1;
			node = 2 * node + 1;
			hi = mid;
		} else {
			p[node] = 0;
			node = 2 * node + 2;
			lo = mid;
		}
	}
}

static uint32_t plru_victim_model(const struct model *m, uint32_t set)
{
	const uint8_t *p = m->ptr + (size_t)set * m->ways;
	uint32_t node = 0, lo = 0, hi = m->ways;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (p[node]) {
			node = 2 * node + 2;
			lo = mid;
		} else {
			node = 2 * node + 1;
			hi = mid;
		}
	}
	return lo;
}

static bool mway_match(const struct mway *e, uint64_t vpn, unsigned shift, uint16_t pcid)
{
	return e->valid && e->vpn == vpn && e->shift == shift && (e->pcid == pcid || e->global);
}

static void model_use(struct model *m, uint32_t set, uint32_t way)
{
	if (m->policy == REPL_LRU)
		m->w[(size_t)set * m->ways + way].age = ++m->tick;
	else if (m->policy == REPL_PLRU)
		plru_use(m, set, way);
}

/* The hit's way, or -1. */
static int model_lookup(struct model *m, uint64_t vpn, unsigned shift, uint16_t pcid)
{
	uint32_t set = model_set(m, vpn);
	struct mway *s = m->w + (size_t)set * m->ways;
	for (uint32_t w = 0; w < m->ways; w++)
		if (mway_match(&s[w], vpn, shift, pcid)) {
			m->hits++;
			model_use(m, set, w);
			return (int)w;
		}
	return -1;
}

/* Returns whether a valid entry was evicted (copied to *ev). */
static bool model_fill(struct model *m, uint64_t vpn, unsigned shift, uint64_t pfn,
		       uint16_t pcid, uint8_t flags, struct mway *ev)
{
	uint32_t set = model_set(m, vpn);
	struct mway *s = m->w + (size_t)set * m->ways;
	int way = -1, free_way = -1;
	for (uint32_t w = 0; w < m->ways && way < 0; w++)
		if (mway_match(&s[w], vpn, shift, pcid))
			way = (int)w;
	for (uint32_t w = 0; w < m->ways && way < 0 && free_way < 0; w++)
		if (!s[w].valid)
			free_way = (int)w;
	bool refresh = way >= 0, evicted = false;
	if (way < 0 && free_way >= 0)
		way = free_way;
	if (way < 0) {
		switch (m->policy) {
		case REPL_PLRU:
			way = (int)plru_victim_model(m, set);
			break;
		case REPL_RANDOM:
			way = (int)rng_below(&m->rng, m->ways);
			break;
		default:                              /* LRU, FIFO: smallest age */
			way = 0;
			for (uint32_t w = 1; w < m->ways; w++)
				if (s[w].age < s[way].age)
					way = (int)w;
		}
		evicted = true;
		*ev = s[way];
		m->evictions++;
	}
	uint64_t age = s[way].age;
	s[way] = (struct mway){ .valid = true, .global = (flags & TLBE_GLOBAL) != 0,
				.shift = (uint8_t)shift, .flags = flags, .pcid = pcid,
				.vpn = vpn, .pfn = pfn, .age = age };
	if (m->policy == REPL_FIFO && !refresh)
		s[way].age = ++m->tick;
	model_use(m, set, (uint32_t)way);
	m->fills++;
	return evicted;
}

static void model_drop(struct model *m, struct mway *e)
{
	e->valid = false;
	m->invalidations++;
}

static void model_invlpg(struct model *m, uint64_t va, uint16_t pcid, bool keep_global)
{
	for (unsigned i = 0; i < m->nshifts; i++) {
		uint64_t vpn = va >> m->shifts[i];
		struct mway *s = m->w + (size_t)model_set(m, vpn) * m->ways;
		for (uint32_t w = 0; w < m->ways; w++)
			if (mway_match(&s[w], vpn, m->shifts[i], pcid) &&
			    !(keep_global && s[w].global))
				model_drop(m, &s[w]);
	}
}

static void model_evict_exact(struct model *m, uint64_t vpn, unsigned shift, uint16_t pcid)
{
	struct mway *s = m->w + (size_t)model_set(m, vpn) * m->ways;
	for (uint32_t w = 0; w < m->ways; w++)
		if (s[w].valid && s[w].vpn == vpn && s[w].shift == shift && s[w].pcid == pcid)
			model_drop(m, &s[w]);
}

enum flush_kind { FL_PCID, FL_NONGLOBAL, FL_ALL };

static void model_flush(struct model *m, enum flush_kind k, uint16_t pcid)
{
	for (size_t i = 0; i < (size_t)m->sets * m->ways; i++) {
		struct mway *e = &m->w[i];
		if (!e->valid || (k != FL_ALL && e->global) || (k == FL_PCID && e->pcid != pcid))
			continue;
		model_drop(m, e);
	}
	m->flushes++;
}

static void expect_same_entry(const struct tlb_entry *e, const struct mway *x, const char *when,
			      uint32_t set, uint32_t way)
{
	cr_assert_eq(e->vpn, x->vpn, "%s: set %u way %u: vpn %#llx, model %#llx", when, set,
		     way, (unsigned long long)e->vpn, (unsigned long long)x->vpn);
	cr_assert_eq(e->shift, x->shift, "%s: set %u way %u: shift %u, model %u", when, set,
		     way, e->shift, x->shift);
	cr_assert_eq(e->pfn, x->pfn, "%s: set %u way %u: pfn", when, set, way);
	cr_assert_eq(e->pcid, x->pcid, "%s: set %u way %u: pcid %u, model %u", when, set,
		     way, e->pcid, x->pcid);
	cr_assert_eq(e->flags, x->flags | TLBE_VALID, "%s: set %u way %u: flags %#x, model %#x",
		     when, set, way, e->flags, x->flags | TLBE_VALID);
}

/* Set s holds the model's entries, way by way. */
static void model_compare_set(const struct model *m, const struct tlb *t, uint32_t s,
			      const char *when)
{
	const struct tlb_entry *set = t->e + (size_t)s * t->ways;
	const struct mway *x = m->w + (size_t)s * m->ways;
	for (uint32_t w = 0; w < t->ways; w++) {
		bool valid = (set[w].flags & TLBE_VALID) != 0;
		cr_assert_eq(valid, x[w].valid, "%s: set %u way %u: %s, model %s (model vpn %#llx)",
			     when, s, w, valid ? "valid" : "free", x[w].valid ? "valid" : "free",
			     (unsigned long long)x[w].vpn);
		if (valid)
			expect_same_entry(&set[w], &x[w], when, s, w);
	}
}

static void model_compare_counts(const struct model *m, const struct tlb *t, const char *when)
{
	cr_assert_eq(t->hits, m->hits, "%s: hits %llu, model %llu", when,
		     (unsigned long long)t->hits, (unsigned long long)m->hits);
	cr_assert_eq(t->fills, m->fills, "%s: fills", when);
	cr_assert_eq(t->evictions, m->evictions, "%s: evictions %llu, model %llu", when,
		     (unsigned long long)t->evictions, (unsigned long long)m->evictions);
	cr_assert_eq(t->invalidations, m->invalidations, "%s: invalidations %llu, model %llu",
		     when, (unsigned long long)t->invalidations,
		     (unsigned long long)m->invalidations);
	cr_assert_eq(t->flushes, m->flushes, "%s: flushes", when);
}

static void model_compare(const struct model *m, const struct tlb *t, const char *when)
{
	model_compare_counts(m, t, when);
	uint32_t total = 0;
	for (uint32_t s = 0; s < m->sets; s++) {
		model_compare_set(m, t, s, when);
		for (uint32_t w = 0; w < m->ways; w++)
			total += m->w[(size_t)s * m->ways + w].valid;
	}
	cr_assert_eq(tlb_occupancy(t), total, "%s: occupancy", when);
}

/* --- random streams against the model ------------------------------------------ */

struct stream {
	uint64_t seed;
	unsigned ops;
	unsigned pcids;           /* pcids 0..pcids-1 */
	unsigned global_every;    /* vpn % global_every == 0 is global (0: none) */
	/* per mille of operations that are ... */
	unsigned invlpg_pm;       /* INVLPG (globals too) */
	unsigned invpcid0_pm;     /* single-address, globals kept */
	unsigned exact_pm;        /* tlb_evict_exact */
	unsigned flush_pcid_pm, flush_pm, flush_all_pm;
};

/* The pfn the "page tables" give; the same every time, so hits can check it. */
static uint64_t pfn_of(uint64_t vpn, unsigned shift, uint16_t pcid, bool global)
{
	return (vpn * 0x9e37ull + shift * 0x1000ull + (global ? 0 : pcid + 1u)) &
	       ((1ull << 40) - 1);
}

/* An address of the stream and the size to use it at. Half the time the VPN
 * number comes first (a hot window of 2x the entries three times in four, a
 * 16x window otherwise, the same numbers at every size, so 4K and 2M VPNs
 * collide); half the time the address comes first, from a window of 4K pages
 * that a few 2M/1G pages cover (so larger entries overlap smaller ones). */
static void pick(struct rng *g, const struct model *m, uint32_t entries, uint64_t *va,
		 unsigned *shift)
{
	*shift = m->shifts[rng_below(g, m->nshifts)];
	if (rng_below(g, 2)) {
		uint64_t vpn = 0x1000 + (rng_below(g, 4) ? rng_below(g, 2ull * entries)
							 : rng_below(g, 16ull * entries));
		*va = (vpn << *shift) | (rng_below(g, 1ull << *shift));
	} else {
		*va = 0x7f0000000000ull + rng_below(g, 4ull * entries) * 4096 + rng_below(g, 4096);
	}
}

/* The stream being replayed, for stream_fini() when an assertion ends the
 * test early (each test runs in its own process). */
static struct {
	struct tlb *t;
	struct model m;
} live;

static void stream_fini(void)
{
	tlb_destroy(live.t);
	model_fini(&live.m);
	live.t = NULL;
	live.m = (struct model){ 0 };
}

static void run_stream(uint32_t entries, uint32_t ways, int policy, const uint8_t *shifts,
		       unsigned nshifts, const struct stream *s)
{
	uint64_t tseed = s->seed * 7919 + 1;
	struct tlb *t = live.t = mkp(entries, ways, policy, shifts, nshifts, tseed);
	struct model *mp = &live.m;
	model_init(mp, entries, ways, policy, shifts, nshifts, tseed);
	struct rng g;
	rng_seed(&g, s->seed);
	char when[128];

	for (unsigned op = 0; op < s->ops; op++) {
		uint64_t va;
		unsigned shift;
		pick(&g, mp, entries, &va, &shift);
		uint64_t vpn = va >> shift;
		uint16_t pcid = (uint16_t)rng_below(&g, s->pcids);
		bool global = s->global_every && vpn % s->global_every == 0;
		unsigned kind = (unsigned)rng_below(&g, 1000);
		snprintf(when, sizeof(when), "%s %u/%u x%u seed %llu op %u",
			 policy_name[policy], entries, ways, nshifts,
			 (unsigned long long)s->seed, op);

		const unsigned *cut[] = { &s->flush_all_pm, &s->flush_pm, &s->flush_pcid_pm,
					  &s->invlpg_pm, &s->invpcid0_pm, &s->exact_pm };
		int which = -1;
		for (int i = 0; i < 6 && which < 0; i++) {
			if (kind < *cut[i])
				which = i;
			else
				kind -= *cut[i];
		}
		switch (which) {
		case 0: tlb_flush_all(t); model_flush(mp, FL_ALL, 0); break;
		case 1: tlb_flush_nonglobal(t); model_flush(mp, FL_NONGLOBAL, 0); break;
		case 2: tlb_flush_pcid(t, pcid); model_flush(mp, FL_PCID, pcid); break;
		case 3: tlb_invlpg(t, va, pcid, false); model_invlpg(mp, va, pcid, false); break;
		case 4: tlb_invlpg(t, va, pcid, true); model_invlpg(mp, va, pcid, true); break;
		case 5: tlb_evict_exact(t, vpn, shift, pcid);
			model_evict_exact(mp, vpn, shift, pcid); break;
		default: {
			int want = model_lookup(mp, vpn, shift, pcid);
			struct tlb_entry *got = nshifts == 1 ? tlb_lookup(t, vpn, pcid)
							     : tlb_lookup_at(t, vpn, shift, pcid);
			cr_assert_eq(got != NULL, want >= 0,
				     "%s: vpn %#llx shift %u pcid %u: %s, model %s", when,
				     (unsigned long long)vpn, shift, pcid, got ? "hit" : "miss",
				     want >= 0 ? "hit" : "miss");
			uint32_t set = model_set(mp, vpn);
			if (got) {
				cr_assert_eq(got - (t->e + (size_t)set * t->ways), want,
					     "%s: hit in another way", when);
				cr_assert_eq(got->pfn, pfn_of(vpn, shift, got->pcid, global),
					     "%s: pfn", when);
			} else {
				uint64_t pfn = pfn_of(vpn, shift, pcid, global);
				uint8_t flags = TLBE_US | (rng_below(&g, 2) ? TLBE_RW : 0) |
						(global ? TLBE_GLOBAL : 0);
				struct tlb_entry ev;
				struct mway mev;
				bool e1 = tlb_fill_at(t, vpn, shift, pfn, pcid, flags, &ev);
				bool e2 = model_fill(mp, vpn, shift, pfn, pcid, flags, &mev);
				cr_assert_eq(e1, e2, "%s: fill evicted %d, model %d", when, e1, e2);
				if (e1) {
					char ew[160];
					snprintf(ew, sizeof(ew), "%s: the evicted entry", when);
					expect_same_entry(&ev, &mev, ew, set,
							  (uint32_t)way_of(t, vpn));
				}
			}
			model_compare_set(mp, t, set, when);
		}
		}
		model_compare_counts(mp, t, when);
		if (op % 64 == 63 || (which >= 0 && which < 3))
			model_compare(mp, t, when);
		else if (which >= 3)
			for (unsigned i = 0; i < nshifts; i++)
				model_compare_set(mp, t, model_set(mp, va >> shifts[i]), when);
	}
	snprintf(when, sizeof(when), "%s %u/%u x%u seed %llu: end", policy_name[policy],
		 entries, ways, nshifts, (unsigned long long)s->seed);
	model_compare(mp, t, when);
	/* the stream must have exercised the interesting paths */
	cr_assert_gt(mp->hits, 0, "%s: no hits", when);
	cr_assert_gt(mp->evictions, 0, "%s: no evictions", when);
	if (s->invlpg_pm)
		cr_assert_gt(mp->invalidations, 0, "%s: no invalidations", when);
	stream_fini();
}

static const uint32_t geometry[][2] = {
	{ 16, 4 }, { 64, 4 }, { 64, 64 }, { 8, 1 }, { 8, 2 }, { 32, 8 }, { 48, 6 },
	{ 12, 4 }, { 1, 1 }, { 24, 8 },
};

static void run_policy(int policy)
{
	static const uint8_t s12[] = { 12 };
	const struct { const uint8_t *shifts; unsigned n; } sizes[] = {
		{ s12, 1 }, { shifts_4k_2m, 2 }, { shifts_all, 3 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(geometry); i++) {
		uint32_t ways = geometry[i][1];
		if (policy == REPL_PLRU && (ways & (ways - 1)))
			continue;                     /* cfg_check: plru needs 2^n ways */
		for (size_t z = 0; z < ARRAY_SIZE(sizes); z++)
			for (uint64_t seed = 1; seed <= 2; seed++) {
				/* one pcid, no globals, no invalidations: pure replacement */
				struct stream plain = { .seed = seed, .ops = 6000, .pcids = 1 };
				run_stream(geometry[i][0], ways, policy, sizes[z].shifts, sizes[z].n,
					   &plain);
				/* three pcids, every 5th vpn global, invalidations of
				 * every kind now and then */
				struct stream mixed = {
					.seed = seed + 10, .ops = 6000, .pcids = 3, .global_every = 5,
					.invlpg_pm = 20, .invpcid0_pm = 10, .exact_pm = 10,
					.flush_pcid_pm = 2, .flush_pm = 2, .flush_all_pm = 1,
				};
				run_stream(geometry[i][0], ways, policy, sizes[z].shifts, sizes[z].n,
					   &mixed);
			}
	}
}

Test(tlb, random_lru_vs_model, .fini = stream_fini) { run_policy(REPL_LRU); }
Test(tlb, random_fifo_vs_model, .fini = stream_fini) { run_policy(REPL_FIFO); }
Test(tlb, random_random_vs_model, .fini = stream_fini) { run_policy(REPL_RANDOM); }
Test(tlb, random_plru_vs_model, .fini = stream_fini) { run_policy(REPL_PLRU); }
