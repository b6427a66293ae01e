/* Tests of the physical page allocator above the buddy lists (issue
 * phys-mm): zones and zonelists from the config, Linux's watermark numbers,
 * zone_watermark_ok(), migratetype fallback, the HIGHATOMIC reserve, per-cpu
 * list batching and its cycle costs, a random property test through the
 * whole allocator, and compaction — the textbook exam scenario (a
 * 1024-page zone, 256 order-0 allocations, every other one freed: order 9
 * fails; after compaction it succeeds when the pages are movable, and not
 * when they are pinned), with the moved pages' data and mappings checked. */
#include <criterion/criterion.h>
#include <string.h>

#include "kernel/mm/compaction.h"
#include "kernel/mm/kmm.h"
#include "lib/config.h"
#include "lib/rng.h"
#include "lib/trace.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"
#include "tests/kmm_fixture.h"

static void validate(struct fx *f)
{
	char err[MMSIM_ERR_LEN] = "";
	cr_assert_eq(kmm_validate(f->k, NULL, 0, err), 0, "%s", err);
}

static struct zone *zone(struct fx *f, int nid, enum zone_type t)
{
	return &f->k->node[nid].zones[t];
}

/* ---- nodes, zones, zonelists ---- */

Test(physmm, two_nodes_cut_into_zones_as_the_dram_model)
{
	struct fx f;
	const char *sets[] = { "cores=2", "memory.numa.nodes=2", NULL };
	fx_init(&f, sets);
	/* 64 MiB: node 0 = [0, 32M) = DMA [0, 16M) + DMA32, node 1 = DMA32 */
	cr_assert_eq(f.k->nr_nodes, 2);
	struct zone *dma = zone(&f, 0, ZONE_DMA), *d32 = zone(&f, 0, ZONE_DMA32);
	struct zone *d32b = zone(&f, 1, ZONE_DMA32);
	cr_assert_eq(dma->start_pfn, 0);
	cr_assert_eq(dma->end_pfn, 4096);
	cr_assert_eq(dma->managed_pages, 4096 - 256, "the first MiB is reserved");
	cr_assert_eq(d32->start_pfn, 4096);
	cr_assert_eq(d32->end_pfn, 8192);
	cr_assert_eq(d32b->start_pfn, 8192);
	cr_assert_eq(d32b->end_pfn, 16384);
	cr_assert_eq(zone(&f, 1, ZONE_DMA)->spanned_pages, 0);
	cr_assert_eq(zone(&f, 0, ZONE_NORMAL)->spanned_pages, 0);
	cr_assert_eq(pfn_to_nid(f.k, 8191), 0);
	cr_assert_eq(pfn_to_nid(f.k, 8192), 1);
	cr_assert_eq(cpu_to_node(f.k, 0), 0);
	cr_assert_eq(cpu_to_node(f.k, 1), 1);
	/* node 1's zonelist: its own DMA32, then node 0 highest zone first */
	struct zone *const *zl = f.k->node[1].zonelist;
	cr_assert_eq(zl[0], d32b);
	cr_assert_eq(zl[1], d32);
	cr_assert_eq(zl[2], dma);
	cr_assert_null(zl[3]);
	cr_assert_eq(f.k->node[1].zonelist_thisnode[0], d32b);
	cr_assert_null(f.k->node[1].zonelist_thisnode[1]);
	/* a core of node 1 gets node 1's memory; __GFP_DMA goes to node 0's DMA */
	int64_t a = kmm_alloc_pages(f.k, f.core[1], -1, GFP_KERNEL, 0, PG_kernel);
	int64_t b = kmm_alloc_pages(f.k, f.core[1], -1, GFP_KERNEL | __GFP_DMA, 0, PG_kernel);
	cr_assert_eq(page_zone(f.k, (uint64_t)a), d32b);
	cr_assert_eq(page_zone(f.k, (uint64_t)b), dma);
	cr_assert_eq(f.k->node[0].numa_miss, 1);
	cr_assert_eq(f.k->node[1].numa_foreign, 1);
	kmm_free_pages(f.k, f.core[1], (uint64_t)a, 0);
	kmm_free_pages(f.k, f.core[1], (uint64_t)b, 0);
	validate(&f);
	fx_fini(&f);
}

Test(physmm, movablecore_takes_the_top_of_the_node)
{
	struct fx f;
	const char *sets[] = { "kernel.movablecore=16M", NULL };
	fx_init(&f, sets);
	struct zone *mov = zone(&f, 0, ZONE_MOVABLE);
	cr_assert_eq(mov->start_pfn, 12288);
	cr_assert_eq(mov->end_pfn, 16384);
	cr_assert_eq(zone(&f, 0, ZONE_DMA32)->end_pfn, 12288);
	/* GFP_HIGHUSER_MOVABLE may use it, GFP_KERNEL may not */
	int64_t u = kmm_alloc_pages(f.k, f.core[0], -1, GFP_HIGHUSER_MOVABLE, 0, PG_kernel);
	int64_t kp = kmm_alloc_pages(f.k, f.core[0], -1, GFP_KERNEL, 0, PG_kernel);
	cr_assert_eq(page_zone(f.k, (uint64_t)u), mov);
	cr_assert_eq(page_zone(f.k, (uint64_t)kp), zone(&f, 0, ZONE_DMA32));
	kmm_free_pages(f.k, f.core[0], (uint64_t)u, 0);
	kmm_free_pages(f.k, f.core[0], (uint64_t)kp, 0);
	/* ZONE_MOVABLE's min: managed/1024 clamped to 32..128 */
	cr_assert_eq(mov->watermark[WMARK_MIN], 32);
	validate(&f);
	fx_fini(&f);
}

/* ---- watermarks ---- */

/* tiny.json: DMA 3840 managed frames, DMA32 12288. lowmem 16128 frames =
 * 64512 KiB; min_free_kbytes = int_sqrt(64512 * 16) = 1015 (1015^2 =
 * 1030225 <= 1032192 < 1016^2); pages_min = 253; DMA's share 253 * 3840 /
 * 16128 = 60, DMA32's 192; the step is max(min/4, managed * 10 / 10000). */
Test(physmm, watermarks_as_setup_per_zone_wmarks)
{
	struct fx f;
	fx_init(&f, NULL);
	struct zone *dma = zone(&f, 0, ZONE_DMA), *d32 = zone(&f, 0, ZONE_DMA32);
	cr_assert_eq(f.k->min_free_kbytes, 1015);
	cr_assert_eq(calculate_min_free_kbytes(16128), 1015);
	cr_assert_eq(calculate_min_free_kbytes(10), 128, "clamped below");
	cr_assert_eq(calculate_min_free_kbytes(1ull << 34), 262144, "clamped above");
	cr_assert_eq(dma->watermark[WMARK_MIN], 60);
	cr_assert_eq(dma->watermark[WMARK_LOW], 75);
	cr_assert_eq(dma->watermark[WMARK_HIGH], 90);
	cr_assert_eq(d32->watermark[WMARK_MIN], 192);
	cr_assert_eq(d32->watermark[WMARK_LOW], 240);
	cr_assert_eq(d32->watermark[WMARK_HIGH], 288);
	/* lowmem_reserve: DMA keeps 12288 / 256 = 48 from DMA32-capable requests */
	cr_assert_eq(dma->lowmem_reserve[ZONE_DMA32], 48);
	cr_assert_eq(dma->lowmem_reserve[ZONE_NORMAL], 48);
	cr_assert_eq(dma->lowmem_reserve[ZONE_DMA], 0);
	cr_assert_eq(d32->lowmem_reserve[ZONE_NORMAL], 0);
	fx_fini(&f);
}

Test(physmm, watermark_scale_factor_and_min_free_kbytes_from_config)
{
	struct fx f;
	const char *sets[] = { "kernel.watermark_scale_factor=100",
			       "kernel.min_free_kbytes=4032", NULL };
	fx_init(&f, sets);
	struct zone *d32 = zone(&f, 0, ZONE_DMA32);
	/* pages_min 1008: DMA32's share 1008 * 12288 / 16128 = 768; step
	 * max(192, 12288 * 100 / 10000 = 122) = 192 */
	cr_assert_eq(d32->watermark[WMARK_MIN], 768);
	cr_assert_eq(d32->watermark[WMARK_LOW], 960);
	cr_assert_eq(d32->watermark[WMARK_HIGH], 1152);
	/* DMA: share 240, step max(60, 3840 * 100 / 10000 = 38) = 60 */
	cr_assert_eq(zone(&f, 0, ZONE_DMA)->watermark[WMARK_LOW], 300);
	fx_fini(&f);
}

/* A bare 64-frame zone with every even frame free and every odd one in
 * use: 32 free frames, all single. */
static void checkerboard(struct zone *z, struct page *mm)
{
	buddy_init(z, "test", mm, 0, 64, 11);
	for (int i = 0; i < 64; i++)
		cr_assert_eq(buddy_alloc(z, 0), i);
	for (int i = 0; i < 64; i += 2) {
		mm[i].refcount = 0;
		buddy_free(z, (uint64_t)i, 0);
	}
	cr_assert_eq(z->free_pages, 32);
}

Test(physmm, zone_watermark_ok_semantics)
{
	struct page *mm = calloc(64, sizeof(*mm));
	struct zone z;
	checkerboard(&z, mm);
	/* free must stay ABOVE the mark: 32 > 31 yes, 32 > 32 no */
	cr_assert(zone_watermark_ok(&z, 0, 31, ZONE_NORMAL, 0));
	cr_assert_not(zone_watermark_ok(&z, 0, 32, ZONE_NORMAL, 0));
	/* __GFP_HIGH (ALLOC_MIN_RESERVE) may go to half of min, non-blocking
	 * a further quarter: 40 -> 20 -> 15 */
	cr_assert(zone_watermark_ok(&z, 0, 40, ZONE_NORMAL, ALLOC_MIN_RESERVE));
	cr_assert_not(zone_watermark_ok(&z, 0, 64, ZONE_NORMAL, ALLOC_MIN_RESERVE));
	cr_assert(zone_watermark_ok(&z, 0, 42, ZONE_NORMAL, ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK));
	/* lowmem_reserve counts for requests that could use a higher zone */
	z.lowmem_reserve[ZONE_NORMAL] = 10;
	cr_assert_not(zone_watermark_ok(&z, 0, 25, ZONE_NORMAL, 0));
	cr_assert(zone_watermark_ok(&z, 0, 25, ZONE_DMA, 0));
	z.lowmem_reserve[ZONE_NORMAL] = 0;
	/* plenty of frames but no block of order 1: an order-1 request fails */
	uint64_t fails = z.wmark_fail;
	cr_assert_not(zone_watermark_ok(&z, 1, 0, ZONE_NORMAL, 0));
	cr_assert_eq(z.wmark_fail, fails + 1);
	/* the HIGHATOMIC reserve is not free for ordinary requests */
	z.nr_reserved_highatomic = 30;
	cr_assert_not(zone_watermark_ok(&z, 0, 10, ZONE_NORMAL, 0));
	cr_assert(zone_watermark_ok(&z, 0, 10, ZONE_NORMAL, ALLOC_HIGHATOMIC));
	buddy_zone_destroy(&z);
	free(mm);
}

/* ---- migratetypes ---- */

static void check_zone(const struct zone *z)
{
	char err[MMSIM_ERR_LEN] = "";
	cr_assert_eq(buddy_validate(z, err), 0, "%s", err);
}

/* An unmovable request in an all-MOVABLE zone takes the largest block and,
 * since it is a pageblock or more, relabels its pageblocks (steal). */
Test(physmm, unmovable_fallback_steals_largest_block)
{
	struct page *mm = calloc(2048, sizeof(*mm));
	struct zone z;
	buddy_init(&z, "test", mm, 0, 2048, 11);
	cr_assert_eq(z.nr_pageblock_mt[MIGRATE_MOVABLE], 4);
	int64_t pfn = buddy_rmqueue(&z, 0, MIGRATE_UNMOVABLE, 0);
	cr_assert_eq(pfn, 0);
	cr_assert_eq(z.fallbacks, 1);
	cr_assert_eq(z.steals, 2, "the order-10 block's two pageblocks");
	cr_assert_eq(get_pageblock_migratetype(&z, 0), MIGRATE_UNMOVABLE);
	cr_assert_eq(get_pageblock_migratetype(&z, 512), MIGRATE_UNMOVABLE);
	cr_assert_eq(get_pageblock_migratetype(&z, 1024), MIGRATE_MOVABLE);
	cr_assert_eq(z.free_area[9].nr_free_mt[MIGRATE_UNMOVABLE], 1, "512 split off");
	/* the next unmovable request needs no fallback */
	cr_assert_eq(buddy_rmqueue(&z, 0, MIGRATE_UNMOVABLE, 0), 1);
	cr_assert_eq(z.fallbacks, 1);
	check_zone(&z);
	mm[0].refcount = mm[1].refcount = 0;
	buddy_free(&z, 0, 0);
	buddy_free(&z, 1, 0);
	cr_assert_eq(z.free_pages, 2048);
	check_zone(&z);
	buddy_zone_destroy(&z);
	free(mm);
}

/* A small movable request finding only small unmovable blocks takes the
 * SMALLEST one and leaves the pageblock unmovable; a larger free block
 * (order >= pageblock_order / 2) makes it steal the whole pageblock. */
Test(physmm, movable_fallback_smallest_or_whole_pageblock)
{
	struct page *mm = calloc(512, sizeof(*mm));
	struct zone z;
	uint64_t moved;
	buddy_init(&z, "test", mm, 0, 512, 10);
	set_pageblock_migratetype(&z, 0, MIGRATE_UNMOVABLE);
	cr_assert_eq(move_freepages_block(&z, 0, MIGRATE_UNMOVABLE, &moved), 512);
	cr_assert_eq(buddy_rmqueue(&z, 0, MIGRATE_UNMOVABLE, 0), 0);
	for (unsigned o = 4; o <= 8; o++)   /* leave orders 0..3: 1, 2, 4, 8 */
		cr_assert_eq(buddy_rmqueue(&z, o, MIGRATE_UNMOVABLE, 0), 1ll << o);
	cr_assert_eq(z.free_pages, 15);
	cr_assert_eq(buddy_rmqueue(&z, 0, MIGRATE_MOVABLE, 0), 1, "the order-0 block");
	cr_assert_eq(get_pageblock_migratetype(&z, 0), MIGRATE_UNMOVABLE);
	cr_assert_eq(z.steals, 0);
	cr_assert_eq(z.fallbacks, 1);
	check_zone(&z);

	/* free the order-8 block back: now a movable request may steal it all */
	mm[256].refcount = 0;
	buddy_free(&z, 256, 8);
	int64_t p = buddy_rmqueue(&z, 0, MIGRATE_MOVABLE, 0);
	cr_assert_eq(z.steals, 1);
	cr_assert_eq(get_pageblock_migratetype(&z, 0), MIGRATE_MOVABLE);
	cr_assert_eq(p, 2, "after the steal the smallest movable block is taken");
	check_zone(&z);
	buddy_zone_destroy(&z);
	free(mm);
}

Test(physmm, highatomic_reserve)
{
	struct page *mm = calloc(4096, sizeof(*mm));
	struct zone z;
	buddy_init(&z, "test", mm, 0, 4096, 11);
	/* the reserve may grow to 1% of the zone plus a pageblock: 552 frames,
	 * so a second pageblock is still taken (512 < 552), a third is not */
	reserve_highatomic_pageblock(&z, 2048);
	cr_assert_eq(z.nr_reserved_highatomic, 512);
	cr_assert_eq(get_pageblock_migratetype(&z, 2048), MIGRATE_HIGHATOMIC);
	cr_assert_eq(z.nr_pageblock_mt[MIGRATE_HIGHATOMIC], 1);
	reserve_highatomic_pageblock(&z, 0);
	cr_assert_eq(z.nr_reserved_highatomic, 1024);
	reserve_highatomic_pageblock(&z, 1024);
	cr_assert_eq(z.nr_reserved_highatomic, 1024);
	cr_assert_eq(get_pageblock_migratetype(&z, 1024), MIGRATE_MOVABLE);
	check_zone(&z);
	/* an atomic high-order request takes from the reserve first */
	int64_t p = buddy_rmqueue(&z, 1, MIGRATE_UNMOVABLE, ALLOC_HIGHATOMIC);
	cr_assert_geq(p, 0);
	cr_assert_eq(get_pageblock_migratetype(&z, (uint64_t)p), MIGRATE_HIGHATOMIC);
	/* an ordinary one never does */
	int64_t q = buddy_rmqueue(&z, 1, MIGRATE_MOVABLE, 0);
	cr_assert_geq(q, 0);
	cr_assert_eq(get_pageblock_migratetype(&z, (uint64_t)q), MIGRATE_MOVABLE);
	check_zone(&z);
	buddy_zone_destroy(&z);
	free(mm);
}

/* ---- per-cpu lists ---- */

Test(physmm, pcp_refills_and_drains_in_batches)
{
	struct fx f;
	const char *sets[] = { "kernel.pcp.batch=8", "kernel.pcp.high=16", NULL };
	fx_init(&f, sets);
	struct kmm *k = f.k;
	struct core *c = f.core[0];
	struct zone *z = zone(&f, 0, ZONE_DMA32);   /* GFP_KERNEL's zone on 64 MiB */
	drain_all_pages(k);
	struct page_alloc_stats before = k->pa;
	uint64_t free0 = z->free_pages;
	int64_t pfn[20];
	cycles_t t0 = c->clock;
	pfn[0] = kmm_alloc_pages(k, c, -1, GFP_KERNEL, 0, PG_kernel);
	cycles_t refill = c->clock - t0;
	t0 = c->clock;
	pfn[1] = kmm_alloc_pages(k, c, -1, GFP_KERNEL, 0, PG_kernel);
	cycles_t hit = c->clock - t0;
	/* the fast path costs pcp_alloc; a refill adds the zone-locked
	 * page_alloc and pcp_page per frame moved */
	cr_assert_eq(hit, f.cfg.kernel.cost.pcp_alloc);
	cr_assert_eq(refill, f.cfg.kernel.cost.pcp_alloc + f.cfg.kernel.cost.page_alloc +
			     8 * f.cfg.kernel.cost.pcp_page);
	cr_assert_lt(hit, f.cfg.kernel.cost.page_alloc);
	for (int i = 2; i < 20; i++)
		pfn[i] = kmm_alloc_pages(k, c, -1, GFP_KERNEL, 0, PG_kernel);
	/* 20 allocations: refills at the 1st, 9th and 17th */
	cr_assert_eq(k->pa.pcp_alloc_refill - before.pcp_alloc_refill, 3);
	cr_assert_eq(k->pa.pcp_refill_pages - before.pcp_refill_pages, 24);
	cr_assert_eq(k->pa.pcp_alloc_hit - before.pcp_alloc_hit, 17);
	cr_assert_eq(z->pcp[0].count, 4);
	cr_assert_eq(z->free_pages, free0 - 24);
	validate(&f);
	/* 20 frees: the list reaches high (16) after 12, drains 8, and again */
	for (int i = 0; i < 20; i++)
		kmm_free_pages(k, c, (uint64_t)pfn[i], 0);
	cr_assert_eq(k->pa.pcp_drain - before.pcp_drain, 2);
	cr_assert_eq(k->pa.pcp_drain_pages - before.pcp_drain_pages, 16);
	cr_assert_eq(z->pcp[0].count, 8);
	cr_assert_eq(z->pcp_pages, 8);
	validate(&f);
	drain_all_pages(k);
	cr_assert_eq(z->free_pages, free0);
	validate(&f);
	fx_fini(&f);
}

Test(physmm, pcp_lists_for_orders_up_to_3_and_thp)
{
	struct fx f;
	const char *sets[] = { "kernel.pcp.batch=8", "kernel.pcp.high=2048", NULL };
	fx_init(&f, sets);
	struct kmm *k = f.k;
	struct core *c = f.core[0];
	const struct mmsim_cfg *cfg = &f.cfg;
	struct zone *z = zone(&f, 0, ZONE_DMA32);
	drain_all_pages(k);
	uint64_t free0 = z->free_pages;
	struct per_cpu_pages *pcp = &z->pcp[0];
	/* order 2: the empty list is refilled with batch >> 2 = 2 blocks */
	cycles_t t0 = c->clock;
	int64_t a = kmm_alloc_pages(k, c, -1, GFP_KERNEL, 2, PG_kernel);
	cr_assert_eq(c->clock - t0, cfg->kernel.cost.pcp_alloc + cfg->kernel.cost.page_alloc +
				    2 * cfg->kernel.cost.pcp_page);
	cr_assert_eq(pcp->count, 4, "count is in frames");
	t0 = c->clock;
	int64_t b = kmm_alloc_pages(k, c, -1, GFP_KERNEL, 2, PG_kernel);
	cr_assert_eq(c->clock - t0, cfg->kernel.cost.pcp_alloc, "a list hit");
	cr_assert_eq(pcp->count, 0);
	/* order 4 has no list: the zone path */
	t0 = c->clock;
	int64_t o4 = kmm_alloc_pages(k, c, -1, GFP_KERNEL, 4, PG_kernel);
	cr_assert_eq(c->clock - t0, cfg->kernel.cost.page_alloc);
	cr_assert_eq(pcp->count, 0);
	/* the THP order: max(batch >> 9, 2) = 2 blocks */
	int64_t h = kmm_alloc_pages(k, c, -1, GFP_TRANSHUGE_LIGHT, 9, PG_anon);
	cr_assert_geq(h, 0);
	cr_assert_eq(pcp->count, 512);
	cr_assert_eq(z->pcp_pages, 512);
	cr_assert_neq(pcp->head[order_to_pindex(MIGRATE_MOVABLE, 9)], PFN_NONE);
	cr_assert_eq(z->free_pages, free0 - 8 - 16 - 1024);
	validate(&f);
	/* frees go to the head of their list: the next order-2 request gets
	 * the block freed last */
	kmm_free_pages(k, c, (uint64_t)a, 2);
	kmm_free_pages(k, c, (uint64_t)b, 2);
	cr_assert_eq(pcp->count, 520);
	cr_assert_eq(pcp->head[order_to_pindex(MIGRATE_UNMOVABLE, 2)], (uint64_t)b);
	t0 = c->clock;
	cr_assert_eq(kmm_alloc_pages(k, c, -1, GFP_KERNEL, 2, PG_kernel), b);
	cr_assert_eq(c->clock - t0, cfg->kernel.cost.pcp_alloc);
	kmm_free_pages(k, c, (uint64_t)b, 2);
	kmm_free_pages(k, c, (uint64_t)o4, 4);
	kmm_free_pages(k, c, (uint64_t)h, 9);
	cr_assert_eq(pcp->count, 1032);
	validate(&f);
	drain_all_pages(k);
	cr_assert_eq(z->free_pages, free0);
	validate(&f);
	fx_fini(&f);
}

Test(physmm, pcp_high_order_frees_drain_by_frames)
{
	struct fx f;
	const char *sets[] = { "kernel.pcp.batch=8", "kernel.pcp.high=16", NULL };
	fx_init(&f, sets);
	struct kmm *k = f.k;
	struct core *c = f.core[0];
	struct zone *z = zone(&f, 0, ZONE_DMA32);
	drain_all_pages(k);
	uint64_t free0 = z->free_pages;
	int64_t blk[4];
	uint64_t r0 = k->pa.pcp_alloc_refill;
	for (int i = 0; i < 4; i++)   /* order 3: refills of max(8 >> 3, 2) = 2 blocks */
		blk[i] = kmm_alloc_pages(k, c, -1, GFP_KERNEL, 3, PG_kernel);
	cr_assert_eq(k->pa.pcp_alloc_refill - r0, 2);
	cr_assert_eq(z->pcp[0].count, 0);
	uint64_t d0 = k->pa.pcp_drain, dp0 = k->pa.pcp_drain_pages;
	kmm_free_pages(k, c, (uint64_t)blk[0], 3);
	cr_assert_eq(z->pcp[0].count, 8);
	/* 16 frames reach high: batch (8) frames' worth, one block, drains */
	cycles_t t0 = c->clock;
	kmm_free_pages(k, c, (uint64_t)blk[1], 3);
	cr_assert_eq(c->clock - t0, f.cfg.kernel.cost.pcp_free + f.cfg.kernel.cost.page_free +
				    f.cfg.kernel.cost.pcp_page);
	cr_assert_eq(k->pa.pcp_drain - d0, 1);
	cr_assert_eq(k->pa.pcp_drain_pages - dp0, 8);
	cr_assert_eq(z->pcp[0].count, 8);
	/* the cold end went back: the block freed first */
	cr_assert_eq(z->pcp[0].head[order_to_pindex(MIGRATE_UNMOVABLE, 3)], (uint64_t)blk[1]);
	kmm_free_pages(k, c, (uint64_t)blk[2], 3);
	kmm_free_pages(k, c, (uint64_t)blk[3], 3);
	validate(&f);
	drain_all_pages(k);
	cr_assert_eq(z->free_pages, free0);
	validate(&f);
	fx_fini(&f);
}

/* ---- random property test through the whole allocator ---- */

#define RND_LIVE 400
Test(physmm, random_alloc_free_keeps_every_invariant)
{
	struct fx f;
	const char *sets[] = { "cores=2", "memory.numa.nodes=2", "kernel.movablecore=8M", NULL };
	fx_init(&f, sets);
	static const gfp_t gfps[] = { GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_ATOMIC,
				      GFP_KERNEL | __GFP_RECLAIMABLE, GFP_DMA, GFP_NOWAIT };
	struct { int64_t pfn; unsigned order; } live[RND_LIVE];
	size_t n = 0;
	struct rng r;
	rng_seed(&r, 12345);
	uint64_t free0 = kmm_free_frames(f.k);
	for (int step = 0; step < 6000; step++) {
		struct core *c = f.core[rng_below(&r, 2)];
		if (n < RND_LIVE && (n == 0 || rng_below(&r, 100) < 55)) {
			unsigned order = rng_below(&r, 4) == 0 ? (unsigned)rng_below(&r, 11) : 0;
			int64_t p = kmm_alloc_pages(f.k, c, (int)rng_below(&r, 3) - 1,
						    gfps[rng_below(&r, ARRAY_SIZE(gfps))], order,
						    PG_kernel);
			if (p >= 0) {
				cr_assert_eq(p & ((1ll << order) - 1), 0, "misaligned block");
				live[n].pfn = p;
				live[n++].order = order;
			}
		} else {
			size_t i = rng_below(&r, n);
			kmm_free_pages(f.k, c, (uint64_t)live[i].pfn, live[i].order);
			live[i] = live[--n];
		}
		if (step % 200 == 0)
			validate(&f);
	}
	while (n) {
		kmm_free_pages(f.k, f.core[0], (uint64_t)live[n - 1].pfn, live[n - 1].order);
		n--;
	}
	validate(&f);
	cr_assert_eq(kmm_free_frames(f.k), free0, "every frame back");
	drain_all_pages(f.k);
	validate(&f);
	fx_fini(&f);
}

/* ---- compaction: the exam scenario ---- */

#define EXAM_VA 0x40000000ull

static uint64_t frame_at(struct fx *f, struct mm *mm, vaddr_t va)
{
	paddr_t t = mm->pgd;
	for (int l = 4; l >= 1; l--) {
		pte_t e = physmem_read(&f->ms->pm, t + 8 * pt_index(va, l), 8);
		if (!(e & PTE_P))
			return 0;
		t = e & PTE_ADDR_MASK;
	}
	return t >> PAGE_SHIFT;
}

/* A 1024-frame ZONE_MOVABLE (movablecore=4M) filled by a process's
 * anonymous pages in address order; the process keeps every 4th (the "256
 * allocations", spread over the zone), then frees every other one of
 * those. Returns the zone. */
static struct zone *exam_setup(struct fx *f, struct mm **mmp)
{
	struct kmm *k = f->k;
	struct core *c = f->core[0];
	struct zone *z = zone(f, 0, ZONE_MOVABLE);
	char why[MMSIM_ERR_LEN];
	cr_assert_eq(z->managed_pages, 1024);
	/* no watermarks, so that the zone can be filled to the last frame */
	memset(z->watermark, 0, sizeof(z->watermark));
	struct mm *mm = mm_create(k, c);
	cr_assert_not_null(mm);
	switch_mm(k, c, mm);
	cr_assert_eq(kmm_mmap(k, mm, c, EXAM_VA, 1024 * PAGE_SIZE, PROT_R | PROT_W, true),
		     (int64_t)EXAM_VA);
	for (uint64_t i = 0; i < 1024; i++) {
		vaddr_t va = EXAM_VA + i * PAGE_SIZE;
		cr_assert_eq(kmm_page_fault(k, mm, c, va, PF_W | PF_U, why), FAULT_DONE, "%s", why);
		uint64_t pfn = frame_at(f, mm, va);
		cr_assert_eq(pfn, z->start_pfn + i, "page %llu not in address order",
			     (unsigned long long)i);
		physmem_write(&f->ms->pm, pfn << PAGE_SHIFT, 8, va ^ 0x5eed);
	}
	cr_assert_eq(z->free_pages + z->pcp_pages, 0);
	for (uint64_t i = 0; i < 1024; i++)   /* keep 256, every 4th */
		if (i % 4)
			cr_assert_eq(kmm_munmap(k, mm, c, EXAM_VA + i * PAGE_SIZE, PAGE_SIZE), 0);
	for (uint64_t i = 4; i < 1024; i += 8)   /* free every other one of them */
		cr_assert_eq(kmm_munmap(k, mm, c, EXAM_VA + i * PAGE_SIZE, PAGE_SIZE), 0);
	drain_all_pages(k);
	cr_assert_eq(z->free_pages, 1024 - 128);
	*mmp = mm;
	return z;
}

static void exam_check_data(struct fx *f, struct mm *mm, struct zone *z)
{
	for (uint64_t i = 0; i < 1024; i += 8) {
		vaddr_t va = EXAM_VA + i * PAGE_SIZE;
		uint64_t pfn = frame_at(f, mm, va);
		cr_assert(pfn >= z->start_pfn && pfn < z->end_pfn);
		cr_assert_eq(physmem_read(&f->ms->pm, pfn << PAGE_SHIFT, 8), va ^ 0x5eed,
			     "page %llu lost its data", (unsigned long long)i);
	}
	struct mm *mms[1] = { mm };
	char err[MMSIM_ERR_LEN] = "";
	cr_assert_eq(kmm_validate(f->k, mms, 1, err), 0, "%s", err);
}

Test(physmm, exam_order9_fails_then_succeeds_after_compaction)
{
	struct fx f;
	const char *sets[] = { "kernel.movablecore=4M", "kernel.pcp.batch=1",
			       "kernel.pcp.high=1", NULL };
	fx_init(&f, sets);
	struct mm *mm;
	struct zone *z = exam_setup(&f, &mm);
	/* 896 frames free, yet the largest free block is of order 2 */
	for (unsigned o = 3; o < z->max_order; o++)
		cr_assert_eq(z->free_area[o].nr_free, 0, "order %u block free", o);
	cr_assert_not(zone_watermark_ok(z, 9, 0, ZONE_MOVABLE, 0));
	/* direct compaction for order 9 is not even tried: Linux's
	 * compaction_suitable() wants low + 2 << order = 1024 free frames */
	uint64_t mig0 = f.k->pa.pgmigrate_success;
	cr_assert_eq(compact_zone(f.k, f.core[0], z, 9, MIGRATE_MOVABLE, ZONE_MOVABLE),
		     COMPACT_SKIPPED);
	cr_assert_eq(f.k->pa.pgmigrate_success, mig0);
	/* compacting the whole zone (the compact op, /proc/sys/vm/compact_memory):
	 * the migrate scanner empties pageblock 0 (its 64 pages) into the free
	 * frames the free scanner took from pageblock 1, and the scanners meet */
	compact_nodes(f.k, f.core[0], 0);
	cr_assert_eq(f.k->pa.pgmigrate_success - mig0, 64);
	cr_assert_eq(z->free_area[9].nr_free, 1);
	cr_assert(zone_watermark_ok(z, 9, 0, ZONE_MOVABLE, 0));
	exam_check_data(&f, mm, z);
	/* the order-9 allocation now succeeds, from this zone */
	int64_t p = kmm_alloc_pages(f.k, f.core[0], -1, GFP_TRANSHUGE_LIGHT, 9, PG_kernel);
	cr_assert_geq(p, 0);
	cr_assert_eq(page_zone(f.k, (uint64_t)p), z);
	kmm_free_pages(f.k, f.core[0], (uint64_t)p, 9);
	mm_destroy(f.k, mm, f.core[0]);
	validate(&f);
	fx_fini(&f);
}

Test(physmm, exam_pinned_pages_cannot_be_compacted)
{
	struct fx f;
	const char *sets[] = { "kernel.movablecore=4M", "kernel.pcp.batch=1",
			       "kernel.pcp.high=1", NULL };
	fx_init(&f, sets);
	struct mm *mm;
	struct zone *z = exam_setup(&f, &mm);
	/* an extra reference on each remaining page (a pin, as DMA takes) */
	for (uint64_t i = 0; i < 1024; i += 8)
		f.k->memmap[frame_at(&f, mm, EXAM_VA + i * PAGE_SIZE)].refcount++;
	cr_assert_neq(compact_zone(f.k, f.core[0], z, 9, MIGRATE_MOVABLE, ZONE_MOVABLE),
		      COMPACT_SUCCESS);
	cr_assert_not(zone_watermark_ok(z, 9, 0, ZONE_MOVABLE, 0));
	for (uint64_t i = 0; i < 1024; i += 8)
		f.k->memmap[frame_at(&f, mm, EXAM_VA + i * PAGE_SIZE)].refcount--;
	exam_check_data(&f, mm, z);
	mm_destroy(f.k, mm, f.core[0]);
	fx_fini(&f);
}
