/* Tests of the buddy allocator (kernel/mm/buddy.c): exact list contents after
 * init, split and merge; failures; the simulator-bug asserts; a random
 * property test against a bitmap reference model; and buddy_validate's
 * negative cases. Every test builds its own memmap and zone, validates after
 * every step, and checks that free frames after equal free frames before. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/mm/buddy.h"
#include "lib/rng.h"

struct fx {
	struct page *mm;
	struct zone z;
	uint64_t free_at_start;
};

/* A memmap of end_pfn frames; call fx_boot after marking reserved frames. */
static void fx_memmap(struct fx *f, uint64_t end_pfn)
{
	f->mm = calloc(end_pfn ? end_pfn : 1, sizeof(struct page));
	cr_assert_not_null(f->mm);
}

static void check(const struct zone *z)
{
	char err[MMSIM_ERR_LEN] = "";

	cr_assert_eq(buddy_validate(z, err), 0, "%s", err);
}

static void fx_boot(struct fx *f, uint64_t start, uint64_t end, unsigned max_order)
{
	buddy_init(&f->z, "test", f->mm, start, end, max_order);
	check(&f->z);
	f->free_at_start = f->z.free_pages;
}

static void fx_new(struct fx *f, uint64_t start, uint64_t end, unsigned max_order)
{
	fx_memmap(f, end);
	fx_boot(f, start, end, max_order);
}

/* Conservation, then release. */
static void fx_done(struct fx *f)
{
	check(&f->z);
	cr_assert_eq(f->z.free_pages, f->free_at_start, "free frames not conserved");
	buddy_zone_destroy(&f->z);
	free(f->mm);
}

static uint64_t alloc_ok(struct fx *f, unsigned order, uint64_t expect_pfn)
{
	int64_t pfn = buddy_alloc(&f->z, order);

	cr_assert_eq(pfn, (int64_t)expect_pfn, "alloc order %u: got %lld, want %llu",
		     order, (long long)pfn, (unsigned long long)expect_pfn);
	cr_assert_eq(f->mm[pfn].flags, 0u);
	cr_assert_eq(f->mm[pfn].refcount, 1);
	check(&f->z);
	return (uint64_t)pfn;
}

static void free_ok(struct fx *f, uint64_t pfn, unsigned order)
{
	f->mm[pfn].refcount = 0;  /* the caller drops its reference first */
	buddy_free(&f->z, pfn, order);
	check(&f->z);
}

/* The list of one order, head first, must be exactly want[0..n). */
static void expect_list(const struct zone *z, unsigned order, const uint64_t *want, size_t n)
{
	uint64_t pfn = z->free_area[order].head[MIGRATE_MOVABLE];

	cr_assert_eq(z->free_area[order].nr_free, n, "nr_free[%u] = %llu, want %zu", order,
		     (unsigned long long)z->free_area[order].nr_free, n);
	for (size_t i = 0; i < n; i++, pfn = z->memmap[pfn].next)
		cr_assert_eq(pfn, want[i], "order %u list[%zu] = %llu, want %llu", order, i,
			     (unsigned long long)pfn, (unsigned long long)want[i]);
	cr_assert_eq(pfn, (uint64_t)PFN_NONE);
}

/* nr_free[0..n) must be exactly nr[]. */
static void expect_counts(const struct zone *z, const uint64_t *nr, unsigned n)
{
	for (unsigned o = 0; o < n; o++)
		cr_assert_eq(z->free_area[o].nr_free, nr[o], "nr_free[%u] = %llu, want %llu", o,
			     (unsigned long long)z->free_area[o].nr_free,
			     (unsigned long long)nr[o]);
}

#define LIST(z, o, ...) do { \
	const uint64_t want_[] = { __VA_ARGS__ }; \
	expect_list((z), (o), want_, ARRAY_SIZE(want_)); \
} while (0)
#define COUNTS(z, ...) do { \
	const uint64_t nr_[] = { __VA_ARGS__ }; \
	expect_counts((z), nr_, ARRAY_SIZE(nr_)); \
} while (0)

/* ---- init ---- */

Test(buddy, init_1024_frames_is_one_order10_block)
{
	struct fx f;

	fx_new(&f, 0, 1024, 11);
	LIST(&f.z, 10, 0);
	for (unsigned o = 0; o < 10; o++)
		cr_assert_eq(f.z.free_area[o].nr_free, 0);
	cr_assert_eq(f.z.managed_pages, 1024);
	cr_assert_eq(f.z.free_pages, 1024);
	cr_assert_eq(f.mm[0].flags, PG_buddy);
	cr_assert_eq(f.mm[0].order, 10);
	cr_assert_str_eq(f.z.name, "test");
	fx_done(&f);
}

Test(buddy, init_skips_reserved_frames)
{
	struct fx f;

	fx_memmap(&f, 4096);
	for (int i = 0; i < 256; i++)
		f.mm[i].flags = PG_reserved;
	fx_boot(&f, 0, 4096, 11);
	/* 256..512 order 8, 512..1024 order 9, then three order-10 blocks;
	 * boot leaves every list in ascending address order (Linux frees boot
	 * memory to the tail), so the lowest block is handed out first. */
	LIST(&f.z, 8, 256);
	LIST(&f.z, 9, 512);
	LIST(&f.z, 10, 1024, 2048, 3072);
	COUNTS(&f.z, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3);
	cr_assert_eq(f.z.managed_pages, 4096 - 256);
	cr_assert_eq(f.z.free_pages, 4096 - 256);
	for (int i = 0; i < 256; i++)
		cr_assert_eq(f.mm[i].flags, PG_reserved);
	fx_done(&f);
}

Test(buddy, init_unaligned_span_with_hole)
{
	struct fx f;

	fx_memmap(&f, 37);
	f.mm[10].flags = PG_reserved;
	fx_boot(&f, 3, 37, 4);
	/* 3(0) 4..8(2) 8..10(1) [10 reserved] 11(0) 12..16(2) 16..24(3)
	 * 24..32(3) 32..36(2) 36(0) */
	LIST(&f.z, 0, 3, 11, 36);
	LIST(&f.z, 1, 8);
	LIST(&f.z, 2, 4, 12, 32);
	LIST(&f.z, 3, 16, 24);
	cr_assert_eq(f.z.managed_pages, 33);
	fx_done(&f);
}

Test(buddy, init_copies_name_truncated)
{
	struct fx f;

	fx_memmap(&f, 16);
	buddy_init(&f.z, "a-very-long-zone-name", f.mm, 0, 16, 5);
	cr_assert_str_eq(f.z.name, "a-very-long-zon");
	check(&f.z);
	f.free_at_start = f.z.free_pages;
	fx_done(&f);
}

/* ---- split and merge ---- */

/* THE example: one order-2 block; order-1 allocation gets the lower half,
 * the upper half goes on the order-1 list. */
Test(buddy, alloc_splits_lower_half_to_caller)
{
	struct fx f;

	fx_new(&f, 8, 12, 3);
	LIST(&f.z, 2, 8);
	alloc_ok(&f, 1, 8);
	LIST(&f.z, 1, 10);
	COUNTS(&f.z, 0, 1, 0);
	cr_assert_eq(f.z.splits, 1);
	cr_assert_eq(f.z.free_pages, 2);
	cr_assert_eq(f.z.allocs, 1);

	free_ok(&f, 8, 1);  /* buddy of 8 at order 1 is 10: merge */
	LIST(&f.z, 2, 8);
	COUNTS(&f.z, 0, 0, 1);
	cr_assert_eq(f.z.merges, 1);
	cr_assert_eq(f.z.frees, 1);
	fx_done(&f);
}

Test(buddy, alloc_order0_from_order3_block)
{
	struct fx f;

	fx_new(&f, 0, 8, 4);
	alloc_ok(&f, 0, 0);
	LIST(&f.z, 0, 1);
	LIST(&f.z, 1, 2);
	LIST(&f.z, 2, 4);
	COUNTS(&f.z, 1, 1, 1, 0);
	cr_assert_eq(f.z.splits, 3);
	free_ok(&f, 0, 0);
	LIST(&f.z, 3, 0);
	COUNTS(&f.z, 0, 0, 0, 1);
	cr_assert_eq(f.z.merges, 3);
	fx_done(&f);
}

Test(buddy, stepwise_merge_in_address_order)
{
	struct fx f;

	fx_new(&f, 0, 8, 4);
	for (uint64_t i = 0; i < 8; i++)
		alloc_ok(&f, 0, i);  /* lower halves first: 0, 1, 2 ... 7 */
	COUNTS(&f.z, 0, 0, 0, 0);
	cr_assert_eq(f.z.free_pages, 0);

	static const uint64_t after[8][4] = {
		{1, 0, 0, 0}, {0, 1, 0, 0}, {1, 1, 0, 0}, {0, 0, 1, 0},
		{1, 0, 1, 0}, {0, 1, 1, 0}, {1, 1, 1, 0}, {0, 0, 0, 1},
	};
	static const uint64_t merges[8] = {0, 1, 1, 3, 3, 4, 4, 7};
	for (uint64_t i = 0; i < 8; i++) {
		free_ok(&f, i, 0);
		expect_counts(&f.z, after[i], 4);
		cr_assert_eq(f.z.merges, merges[i], "after freeing %llu", (unsigned long long)i);
	}
	LIST(&f.z, 3, 0);
	fx_done(&f);
}

Test(buddy, merge_stops_at_allocated_buddy)
{
	struct fx f;

	fx_new(&f, 0, 8, 4);
	alloc_ok(&f, 0, 0);  /* free: 1(0) 2(1) 4(2) */
	alloc_ok(&f, 1, 2);  /* free: 1(0) 4(2) */
	free_ok(&f, 0, 0);   /* 0+1 -> 0(1); buddy 2 is allocated: stop */
	LIST(&f.z, 1, 0);
	LIST(&f.z, 2, 4);
	COUNTS(&f.z, 0, 1, 1, 0);
	free_ok(&f, 2, 1);   /* 2+0 -> 0(2), +4 -> 0(3) */
	LIST(&f.z, 3, 0);
	COUNTS(&f.z, 0, 0, 0, 1);
	fx_done(&f);
}

Test(buddy, no_merge_with_free_buddy_of_other_order)
{
	struct fx f;

	fx_new(&f, 0, 8, 4);
	alloc_ok(&f, 1, 0);  /* free: 2(1) 4(2) */
	alloc_ok(&f, 0, 2);  /* free: 3(0) 4(2) */
	alloc_ok(&f, 0, 3);  /* free: 4(2) */
	free_ok(&f, 2, 0);   /* buddy 3 allocated */
	free_ok(&f, 0, 1);   /* buddy 2 is free but order 0, not 1 */
	LIST(&f.z, 0, 2);
	LIST(&f.z, 1, 0);
	LIST(&f.z, 2, 4);
	cr_assert_eq(f.z.merges, 0);
	free_ok(&f, 3, 0);   /* 3+2 -> 2(1), +0 -> 0(2), +4 -> 0(3) */
	LIST(&f.z, 3, 0);
	cr_assert_eq(f.z.merges, 3);
	fx_done(&f);
}

Test(buddy, list_head_is_taken_first)
{
	struct fx f;

	fx_new(&f, 0, 4096, 11);  /* order 10: 0, 1024, 2048, 3072 */
	LIST(&f.z, 10, 0, 1024, 2048, 3072);
	alloc_ok(&f, 10, 0);
	alloc_ok(&f, 9, 1024);     /* 1536 goes on the order-9 list */
	LIST(&f.z, 9, 1536);
	free_ok(&f, 0, 10);        /* max order: no merging, head of list */
	LIST(&f.z, 10, 0, 2048, 3072);
	free_ok(&f, 1024, 9);      /* merges with 1536 into 1024 (order 10) */
	LIST(&f.z, 10, 1024, 0, 2048, 3072);
	fx_done(&f);
}

/* ---- failures ---- */

Test(buddy, alloc_fails_when_empty)
{
	struct fx f;

	fx_new(&f, 0, 8, 4);
	alloc_ok(&f, 3, 0);
	cr_assert_eq(buddy_alloc(&f.z, 0), -1);
	cr_assert_eq(f.z.alloc_fails, 1);
	cr_assert_eq(f.z.allocs, 1);
	check(&f.z);
	free_ok(&f, 0, 3);
	alloc_ok(&f, 2, 0);
	cr_assert_eq(buddy_alloc(&f.z, 3), -1);  /* 4 frames free, no order-3 block */
	cr_assert_eq(f.z.alloc_fails, 2);
	free_ok(&f, 0, 2);
	fx_done(&f);
}

Test(buddy, empty_zone)
{
	struct fx f;

	fx_new(&f, 5, 5, 3);
	cr_assert_eq(f.z.managed_pages, 0);
	cr_assert_eq(buddy_alloc(&f.z, 0), -1);
	cr_assert_eq(f.z.alloc_fails, 1);
	fx_done(&f);
}

Test(buddy, order_at_or_above_max_order_fails)
{
	struct fx f;

	fx_new(&f, 0, 1024, 11);
	cr_assert_eq(buddy_alloc(&f.z, 11), -1);
	cr_assert_eq(buddy_alloc(&f.z, 40), -1);
	cr_assert_eq(f.z.alloc_fails, 2);
	cr_assert_eq(f.z.allocs, 0);
	LIST(&f.z, 10, 0);
	fx_done(&f);
}

/* ---- simulator-bug asserts ---- */

Test(buddy, double_free_asserts, .signal = SIGABRT)
{
	struct fx f;

	fx_new(&f, 0, 8, 4);
	alloc_ok(&f, 1, 0);
	free_ok(&f, 0, 1);
	buddy_free(&f.z, 0, 1);
}

Test(buddy, misaligned_free_asserts, .signal = SIGABRT)
{
	struct fx f;

	fx_new(&f, 0, 8, 4);
	alloc_ok(&f, 0, 0);
	alloc_ok(&f, 0, 1);
	f.mm[1].refcount = 0;
	buddy_free(&f.z, 1, 1);
}

Test(buddy, free_with_refcount_asserts, .signal = SIGABRT)
{
	struct fx f;

	fx_new(&f, 0, 8, 4);
	alloc_ok(&f, 0, 0);
	buddy_free(&f.z, 0, 0);  /* refcount still 1 */
}

Test(buddy, free_outside_span_asserts, .signal = SIGABRT)
{
	struct fx f;

	fx_memmap(&f, 16);
	fx_boot(&f, 0, 8, 4);
	buddy_free(&f.z, 8, 0);
}

/* ---- random property test against a bitmap reference model ---- */

#define RND_FRAMES 4096
#define RND_STEPS 20000

struct live { uint64_t pfn; unsigned order; };

/* Reference: with a fully merged buddy, an order-o allocation succeeds iff
 * some naturally aligned 2^o run of frames is entirely free. */
static bool ref_can_alloc(const uint8_t *used, unsigned order)
{
	uint64_t size = 1ull << order;

	for (uint64_t b = 0; b < RND_FRAMES; b += size) {
		uint64_t i = 0;

		while (i < size && !used[b + i])
			i++;
		if (i == size)
			return true;
	}
	return false;
}

static void rnd_alloc(struct fx *f, uint8_t *used, struct live *live, size_t *n,
		      unsigned order, uint64_t *used_frames)
{
	bool can = ref_can_alloc(used, order);
	int64_t pfn = buddy_alloc(&f->z, order);
	uint64_t size = 1ull << order;

	cr_assert_eq(pfn >= 0, can, "order %u: buddy %lld, reference %s", order,
		     (long long)pfn, can ? "can" : "cannot");
	if (pfn < 0)
		return;
	cr_assert_eq((uint64_t)pfn % size, 0, "pfn %lld not aligned to order %u",
		     (long long)pfn, order);
	cr_assert_leq((uint64_t)pfn + size, RND_FRAMES);
	for (uint64_t i = 0; i < size; i++) {
		cr_assert_eq(used[pfn + i], 0, "pfn %lld overlaps a live allocation",
			     (long long)(pfn + i));
		used[pfn + i] = 1;
	}
	cr_assert_eq(f->mm[pfn].refcount, 1);
	cr_assert_eq(f->mm[pfn].flags, 0u);
	f->mm[pfn].flags = PG_kernel;  /* the caller's state; free clears it */
	live[(*n)++] = (struct live){ (uint64_t)pfn, order };
	*used_frames += size;
}

static void rnd_free(struct fx *f, uint8_t *used, struct live *live, size_t *n,
		     size_t k, uint64_t *used_frames)
{
	struct live l = live[k];

	live[k] = live[--*n];
	memset(used + l.pfn, 0, 1ull << l.order);
	*used_frames -= 1ull << l.order;
	f->mm[l.pfn].refcount = 0;
	buddy_free(&f->z, l.pfn, l.order);
}

/* Blocks on the lists = initial blocks + splits - merges - allocs + frees. */
static void rnd_check(struct fx *f, uint64_t used_frames, uint64_t blocks0)
{
	const struct zone *z = &f->z;
	uint64_t blocks = 0;

	check(z);
	cr_assert_eq(z->free_pages, RND_FRAMES - used_frames);
	for (unsigned o = 0; o < z->max_order; o++)
		blocks += z->free_area[o].nr_free;
	cr_assert_eq(blocks, blocks0 + z->splits - z->merges - z->allocs + z->frees);
}

Test(buddy, random_against_reference_model)
{
	struct fx f;
	struct rng r;
	static uint8_t used[RND_FRAMES];
	static struct live live[RND_FRAMES];
	size_t n = 0;
	uint64_t used_frames = 0, ok = 0, failed = 0;

	memset(used, 0, sizeof(used));
	rng_seed(&r, 0x6275646479ull);
	fx_new(&f, 0, RND_FRAMES, 11);
	for (int step = 0; step < RND_STEPS; step++) {
		/* alternate filling and draining phases so both full and empty
		 * zones, and many failures, are exercised */
		unsigned alloc_pct = (step / 2000) % 2 ? 35 : 70;

		if (n == 0 || rng_below(&r, 100) < alloc_pct) {
			uint64_t before = f.z.allocs;
			rnd_alloc(&f, used, live, &n, (unsigned)rng_below(&r, 6), &used_frames);
			f.z.allocs > before ? ok++ : failed++;
		} else {
			rnd_free(&f, used, live, &n, rng_below(&r, n), &used_frames);
		}
		rnd_check(&f, used_frames, 4);
	}
	cr_assert_eq(f.z.allocs, ok);
	cr_assert_eq(f.z.alloc_fails, failed);
	cr_assert_gt(failed, 100, "the test should reach a full zone");
	while (n > 0) {
		rnd_free(&f, used, live, &n, n - 1, &used_frames);
		rnd_check(&f, used_frames, 4);
	}
	/* back to the initial fully merged state */
	COUNTS(&f.z, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4);
	cr_assert_eq(f.z.splits, f.z.merges);
	fx_done(&f);
}

/* ---- buddy_validate negative cases ---- */

static void expect_invalid(const struct zone *z, const char *needle)
{
	char err[MMSIM_ERR_LEN] = "";

	cr_assert_eq(buddy_validate(z, err), -1, "corruption not detected (%s)", needle);
	cr_assert(strstr(err, "buddy_validate: zone test: ") == err, "message: %s", err);
	cr_assert(strstr(err, needle), "message \"%s\" lacks \"%s\"", err, needle);
}

Test(buddy, validate_detects_wrong_head_order)
{
	struct fx f;

	fx_new(&f, 0, 1024, 11);
	f.mm[0].order = 9;
	expect_invalid(&f.z, "pfn 0 on the order 10 Movable list has flags 0x2, order 9");
	buddy_zone_destroy(&f.z);
	free(f.mm);
}

Test(buddy, validate_detects_wrong_nr_free)
{
	struct fx f;

	fx_new(&f, 0, 1024, 11);
	f.z.free_area[10].nr_free_mt[MIGRATE_MOVABLE] = 2;
	expect_invalid(&f.z, "order 10 Movable list has 1 blocks but nr_free is 2");
	f.z.free_area[10].nr_free_mt[MIGRATE_MOVABLE] = 0;
	expect_invalid(&f.z, "order 10 Movable list is longer than nr_free 0");
	f.z.free_area[10].nr_free_mt[MIGRATE_MOVABLE] = 1;
	f.z.free_area[10].nr_free = 3;
	expect_invalid(&f.z, "order 10 lists hold 1 blocks but nr_free is 3");
	f.z.free_area[10].nr_free = 1;
	buddy_zone_destroy(&f.z);
	free(f.mm);
}

Test(buddy, validate_detects_wrong_free_pages)
{
	struct fx f;

	fx_new(&f, 0, 1024, 11);
	f.z.free_pages = 1000;
	expect_invalid(&f.z, "lists hold 1024 frames but free_pages is 1000");
	buddy_zone_destroy(&f.z);
	free(f.mm);
}

Test(buddy, validate_detects_unmerged_buddies)
{
	struct fx f;

	fx_new(&f, 0, 4, 3);  /* one order-2 block at 0; rewrite it as 0(1) + 2(1) */
	f.z.free_area[2].head[MIGRATE_MOVABLE] = PFN_NONE;
	f.z.free_area[2].nr_free = f.z.free_area[2].nr_free_mt[MIGRATE_MOVABLE] = 0;
	f.z.free_area[1].head[MIGRATE_MOVABLE] = 0;
	f.z.free_area[1].nr_free = f.z.free_area[1].nr_free_mt[MIGRATE_MOVABLE] = 2;
	f.mm[0] = (struct page){ .flags = PG_buddy, .order = 1, .next = 2, .prev = PFN_NONE,
				 .private = MIGRATE_MOVABLE };
	f.mm[2] = (struct page){ .flags = PG_buddy, .order = 1, .next = PFN_NONE, .prev = 0,
				 .private = MIGRATE_MOVABLE };
	expect_invalid(&f.z, "order 1 blocks at pfn 0 and its buddy 2 are both free");
	buddy_zone_destroy(&f.z);
	free(f.mm);
}

Test(buddy, validate_detects_unlisted_buddy_page)
{
	struct fx f;

	fx_new(&f, 0, 8, 4);
	alloc_ok(&f, 1, 0);  /* free: 2(1) 4(2) */
	f.mm[0].flags = PG_buddy;
	f.mm[0].order = 0;
	expect_invalid(&f.z, "pfn 0 is PG_buddy (order 0) but on no free list");
	buddy_zone_destroy(&f.z);
	free(f.mm);
}

Test(buddy, validate_detects_overlap)
{
	struct fx f;

	fx_new(&f, 0, 8, 4);
	alloc_ok(&f, 1, 0);  /* free: 2(1) 4(2) */
	f.mm[5].flags = PG_buddy;
	expect_invalid(&f.z, "free order 2 block at pfn 4 covers pfn 5");
	buddy_zone_destroy(&f.z);
	free(f.mm);
}

Test(buddy, validate_detects_broken_links)
{
	struct fx f;

	fx_new(&f, 0, 4096, 11);  /* order 10: 0, 1024, 2048, 3072 */
	f.mm[2048].prev = 0;
	expect_invalid(&f.z, "order 10 list: pfn 2048 has prev 0, expected 1024");
	f.mm[2048].prev = 1024;
	check(&f.z);
	f.mm[3072].next = 0;  /* a cycle back to the head */
	expect_invalid(&f.z, "order 10 list: pfn 0 has prev none, expected 3072");
	buddy_zone_destroy(&f.z);
	free(f.mm);
}

Test(buddy, validate_detects_block_leaving_span)
{
	struct fx f;

	fx_memmap(&f, 16);
	fx_boot(&f, 0, 8, 4);  /* one order-3 block at 0 */
	f.z.free_area[3].head[MIGRATE_MOVABLE] = 8;
	expect_invalid(&f.z, "order 3 block at pfn 8 leaves the span [0, 8)");
	buddy_zone_destroy(&f.z);
	free(f.mm);
}
