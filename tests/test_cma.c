/* The boot memory map and CMA (issue phys-mm): holes and reserved ranges
 * from the config (never handed out; spanned / present / managed as Linux's
 * zoneinfo counts them; bad ranges named), and the CMA area: only movable
 * allocations borrow it, cma_alloc() migrates the movable pages out of the
 * range it takes (their data and mappings intact), cma_release() gives it
 * back, a pinned page makes it fail. */
#include <criterion/criterion.h>
#include <string.h>

#include "kernel/mm/cma.h"
#include "kernel/mm/kmm.h"
#include "lib/config.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"
#include "tests/kmm_fixture.h"
#include "tests/scenario_run.h"

static void validate(struct fx *f, struct mm *mm)
{
	char err[MMSIM_ERR_LEN] = "";
	struct mm *mms[1] = { mm };
	cr_assert_eq(kmm_validate(f->k, mm ? mms : NULL, mm ? 1 : 0, err), 0, "%s", err);
}

/* ---- holes and reserved ranges ---- */

Test(memmap, holes_and_reserved_ranges_from_the_config)
{
	struct fx f;
	/* DMA [0, 16M): a 2M hole at 4M; DMA32 [16M, 64M): 1M reserved at
	 * 16M and an 8M hole at 32M */
	const char *sets[] = { "memory.holes=2M@4M, 8M@0x2000000",
			       "kernel.reserved=1M@16M", NULL };
	fx_init(&f, sets);
	struct kmm *k = f.k;
	struct zone *dma = &k->node[0].zones[ZONE_DMA], *d32 = &k->node[0].zones[ZONE_DMA32];
	/* zoneinfo: spanned is the span, present drops the holes, managed
	 * drops the reserved frames (and the firmware MiB) too */
	cr_assert_eq(dma->spanned_pages, 4096);
	cr_assert_eq(dma->present_pages, 4096 - 512);
	cr_assert_eq(dma->managed_pages, 4096 - 512 - 256);
	cr_assert_eq(d32->spanned_pages, 12288);
	cr_assert_eq(d32->present_pages, 12288 - 2048);
	cr_assert_eq(d32->managed_pages, 12288 - 2048 - 256);
	for (uint64_t pfn = 0x2000; pfn < 0x2800; pfn += 97)
		cr_assert(k->memmap[pfn].flags & PG_reserved);
	validate(&f, NULL);
	/* take every frame there is: none comes from a hole or reserved range */
	uint64_t got = 0;
	int64_t pfn;
	static int64_t all[16384];
	while ((pfn = kmm_alloc_pages(k, f.core[0], -1, GFP_ATOMIC | __GFP_DMA32, 0,
				      PG_kernel)) >= 0 ||
	       (pfn = kmm_alloc_pages(k, f.core[0], -1, GFP_ATOMIC | __GFP_DMA, 0,
				      PG_kernel)) >= 0) {
		uint64_t p = (uint64_t)pfn;
		cr_assert(p >= 256, "pfn %llu in the firmware MiB", (unsigned long long)p);
		cr_assert(p < 1024 || p >= 1536, "pfn %llu in the 4M hole", (unsigned long long)p);
		cr_assert(p < 4096 || p >= 4352, "pfn %llu reserved", (unsigned long long)p);
		cr_assert(p < 8192 || p >= 10240, "pfn %llu in the 32M hole",
			  (unsigned long long)p);
		all[got++] = pfn;
	}
	cr_assert_gt(got, 10000);
	validate(&f, NULL);
	while (got)
		kmm_free_pages(k, f.core[0], (uint64_t)all[--got], 0);
	validate(&f, NULL);
	fx_fini(&f);
}

Test(memmap, a_hole_over_a_zone_boundary_counts_in_both)
{
	struct fx f;
	const char *sets[] = { "memory.holes=2M@15M", NULL };
	fx_init(&f, sets);
	cr_assert_eq(f.k->node[0].zones[ZONE_DMA].present_pages, 4096 - 256);
	cr_assert_eq(f.k->node[0].zones[ZONE_DMA32].present_pages, 12288 - 256);
	cr_assert_eq(f.k->node[0].zones[ZONE_DMA32].managed_pages, 12288 - 256);
	validate(&f, NULL);
	fx_fini(&f);
}

static void bad_cfg(const char *set, const char *needle)
{
	struct mmsim_cfg cfg;
	char err[MMSIM_ERR_LEN] = "";
	cfg_defaults(&cfg);
	cr_assert_eq(cfg_load(&cfg, "configs/tiny.json", err), 0, "%s", err);
	if (cfg_set(&cfg, set, "-s", err) == 0)
		cr_assert_neq(cfg_check(&cfg, "tiny.json", err), 0, "accepted %s", set);
	cr_assert(strstr(err, needle), "message \"%s\" lacks \"%s\"", err, needle);
}

Test(memmap, bad_ranges_are_named)
{
	bad_cfg("memory.holes=2M@4M, 1M@5M",
		"tiny.json: memory.holes: range 2 (1024K@0x500000) overlaps memory.holes "
		"range 1 (2048K@0x400000)");
	struct mmsim_cfg cfg;
	char err[MMSIM_ERR_LEN] = "";
	cfg_defaults(&cfg);
	cr_assert_eq(cfg_load(&cfg, "configs/tiny.json", err), 0, "%s", err);
	cr_assert_eq(cfg_set(&cfg, "memory.holes=2M@32M", "-s", err), 0);
	cr_assert_eq(cfg_set(&cfg, "kernel.reserved=1M@33M", "-s", err), 0);
	cr_assert_neq(cfg_check(&cfg, "tiny.json", err), 0);
	cr_assert(strstr(err, "kernel.reserved: range 1 (1024K@0x2100000) overlaps "
			      "memory.holes range 1"), "%s", err);
	cr_assert_eq(cfg_set(&cfg, "kernel.reserved=", "-s", err), 0);
	cr_assert_eq(cfg_check(&cfg, "tiny.json", err), 0, "%s", err);
	bad_cfg("memory.holes=6K@4M", "memory.holes: range 1 (6K@0x400000) is not 4K aligned");
	bad_cfg("memory.holes=1M@0x400800", "is not 4K aligned");
	bad_cfg("memory.holes=8M@60M", "memory.holes: range 1 (8192K@0x3c00000) ends beyond "
		"memory.size");
	bad_cfg("kernel.reserved=0@4M", "kernel.reserved: range 1 is empty");
	bad_cfg("kernel.reserved=1M@4M,4M", "kernel.reserved: range 2 \"4M\" is not SIZE@START");
	bad_cfg("kernel.cma_node=1", "kernel.cma_node: node 1 does not exist");
}

/* ---- CMA ---- */

#define USER_VA 0x40000000ull

/* The frame mapping va (inside a 2M mapping: its 4K part). */
static uint64_t frame_at(struct fx *f, struct mm *mm, vaddr_t va)
{
	paddr_t t = mm->pgd;
	for (int l = 4; l >= 1; l--) {
		pte_t e = physmem_read(&f->ms->pm, t + 8 * pt_index(va, l), 8);
		if (!(e & PTE_P))
			return 0;
		t = e & PTE_ADDR_MASK;
		if (l == 2 && (e & PTE_PS))
			return (t >> PAGE_SHIFT) + pt_index(va, 1);
	}
	return t >> PAGE_SHIFT;
}

/* A process that touches `pages` anonymous pages from USER_VA, writing a
 * value of its own into each. */
static struct mm *fill_user(struct fx *f, uint64_t pages)
{
	struct kmm *k = f->k;
	struct core *c = f->core[0];
	char why[MMSIM_ERR_LEN];
	struct mm *mm = mm_create(k, c);
	cr_assert_not_null(mm);
	switch_mm(k, c, mm);
	cr_assert_eq(kmm_mmap(k, mm, c, USER_VA, pages * PAGE_SIZE, PROT_R | PROT_W, true),
		     (int64_t)USER_VA);
	for (uint64_t i = 0; i < pages; i++) {
		vaddr_t va = USER_VA + i * PAGE_SIZE;
		cr_assert_eq(kmm_page_fault(k, mm, c, va, PF_W | PF_U, why), FAULT_DONE, "%s", why);
		physmem_write(&f->ms->pm, (frame_at(f, mm, va) << PAGE_SHIFT) + 8, 8, va ^ 0xc3a);
	}
	return mm;
}

static void check_user(struct fx *f, struct mm *mm, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++) {
		vaddr_t va = USER_VA + i * PAGE_SIZE;
		uint64_t pfn = frame_at(f, mm, va);
		cr_assert_neq(pfn, 0);
		cr_assert_eq(physmem_read(&f->ms->pm, (pfn << PAGE_SHIFT) + 8, 8), va ^ 0xc3a,
			     "page %llu lost its data", (unsigned long long)i);
	}
	validate(f, mm);
}

static uint64_t user_pages_in(struct fx *f, uint64_t start, uint64_t end)
{
	uint64_t n = 0;
	for (uint64_t pfn = start; pfn < end; pfn++)
		n += (f->k->memmap[pfn].flags & PG_STATE_MASK) == PG_anon;
	return n;
}

Test(cma, area_at_the_top_and_only_movable_allocations_borrow_it)
{
	struct fx f;
	const char *sets[] = { "kernel.cma=16M", NULL };
	fx_init(&f, sets);
	struct cma *cma = f.k->cma;
	cr_assert_not_null(cma);
	struct zone *z = cma->z;
	cr_assert_eq(z, &f.k->node[0].zones[ZONE_DMA32]);
	cr_assert_eq(cma->base_pfn, 12288);
	cr_assert_eq(cma->count, 4096);
	cr_assert_eq(z->nr_pageblock_mt[MIGRATE_CMA], 8);
	cr_assert_eq(z->nr_free_cma, 4096);
	/* kernel allocations until they fail: none from the area */
	static int64_t held[16384];
	uint64_t n = 0;
	int64_t pfn;
	while ((pfn = kmm_alloc_pages(f.k, f.core[0], -1, GFP_ATOMIC, 0, PG_kernel)) >= 0) {
		cr_assert((uint64_t)pfn < cma->base_pfn || (uint64_t)pfn >= cma_end_pfn(cma),
			  "unmovable pfn %lld in the CMA area", (long long)pfn);
		held[n++] = pfn;
	}
	cr_assert_eq(z->nr_free_cma, 4096);
	/* a movable allocation still succeeds, from the area */
	pfn = kmm_alloc_pages(f.k, f.core[0], -1, GFP_HIGHUSER_MOVABLE, 0, PG_anon);
	cr_assert_geq(pfn, (int64_t)cma->base_pfn);
	kmm_free_pages(f.k, f.core[0], (uint64_t)pfn, 0);
	while (n)
		kmm_free_pages(f.k, f.core[0], (uint64_t)held[--n], 0);
	validate(&f, NULL);
	fx_fini(&f);
}

Test(cma, alloc_migrates_the_movable_pages_that_filled_the_area)
{
	struct fx f;
	const char *sets[] = { "kernel.cma=16M", NULL };
	fx_init(&f, sets);
	struct kmm *k = f.k;
	struct cma *cma = k->cma;
	uint64_t pages = 11000;   /* 43 MiB of user pages */
	struct mm *mm = fill_user(&f, pages);
	/* the user pages took most of the area */
	uint64_t in_cma = user_pages_in(&f, cma->base_pfn, cma_end_pfn(cma));
	cr_assert_gt(in_cma, 3 * 4096 / 4, "only %llu user pages in the area",
		     (unsigned long long)in_cma);
	uint64_t want = 2048;
	uint64_t busy = user_pages_in(&f, cma->base_pfn, cma->base_pfn + want);
	cr_assert_gt(busy, 0);
	uint64_t free0 = kmm_free_frames(k);
	int64_t got = cma_alloc(k, f.core[0], want, PAGEBLOCK_ORDER);
	cr_assert_eq(got, (int64_t)cma->base_pfn, "cma_alloc gave %lld", (long long)got);
	/* the movable pages moved out, and the run is the caller's */
	cr_assert_eq(cma->migrated, busy);
	cr_assert_eq(cma->alloc_success, 1);
	cr_assert_eq(cma->used, want);
	for (uint64_t pfn = (uint64_t)got; pfn < (uint64_t)got + want; pfn++)
		cr_assert(k->memmap[pfn].flags == PG_kernel && k->memmap[pfn].refcount == 1);
	cr_assert_eq(kmm_free_frames(k), free0 - want);
	check_user(&f, mm, pages);
	/* a second request for the same frames takes the next run */
	int64_t next = cma_alloc(k, f.core[0], 512, 0);
	cr_assert_eq(next, (int64_t)(cma->base_pfn + want));
	cr_assert(cma_release(k, f.core[0], (uint64_t)next, 512));
	cr_assert_not(cma_release(k, f.core[0], (uint64_t)next, 512), "released twice");
	cr_assert(cma_release(k, f.core[0], (uint64_t)got, want));
	cr_assert_eq(cma->used, 0);
	cr_assert_eq(cma->release, 2);
	check_user(&f, mm, pages);
	mm_destroy(k, mm, f.core[0]);
	validate(&f, NULL);
	fx_fini(&f);
}

Test(cma, a_pinned_page_makes_the_run_fail_and_leaves_things_as_they_were)
{
	struct fx f;
	const char *sets[] = { "kernel.cma=4M", "kernel.pcp.batch=1", "kernel.pcp.high=1",
			       NULL };
	fx_init(&f, sets);
	struct kmm *k = f.k;
	struct cma *cma = k->cma;
	uint64_t pages = 12000;
	struct mm *mm = fill_user(&f, pages);
	uint64_t pinned = 0;
	for (uint64_t pfn = cma->base_pfn; pfn < cma_end_pfn(cma) && !pinned; pfn++)
		if ((k->memmap[pfn].flags & PG_STATE_MASK) == PG_anon)
			pinned = pfn;
	cr_assert_neq(pinned, 0);
	k->memmap[pinned].refcount++;   /* a pin, as DMA takes */
	int mt_before = get_pageblock_migratetype(cma->z, cma->base_pfn);
	cr_assert_eq(cma_alloc(k, f.core[0], cma->count, 0), -1);
	cr_assert_eq(cma->alloc_fail, 1);
	cr_assert_eq(cma->used, 0);
	cr_assert_eq(get_pageblock_migratetype(cma->z, cma->base_pfn), mt_before);
	cr_assert_eq(cma->z->nr_pageblock_mt[MIGRATE_ISOLATE], 0);
	k->memmap[pinned].refcount--;
	check_user(&f, mm, pages);
	/* unpinned, it works */
	cr_assert_eq(cma_alloc(k, f.core[0], cma->count, 0), (int64_t)cma->base_pfn);
	check_user(&f, mm, pages);
	cr_assert(cma_release(k, f.core[0], cma->base_pfn, cma->count));
	mm_destroy(k, mm, f.core[0]);
	validate(&f, NULL);
	fx_fini(&f);
}

Test(cma, alloc_migrates_thps_whole)
{
	struct fx f;
	const char *sets[] = { "kernel.cma=16M", "kernel.thp.enabled=always", NULL };
	fx_init(&f, sets);
	struct kmm *k = f.k;
	struct cma *cma = k->cma;
	uint64_t pages = 20 * 512;   /* 40 MiB, faulted as THPs */
	struct mm *mm = fill_user(&f, pages);
	cr_assert_eq(k->thp_fault_alloc, 20);
	uint64_t thps = 0;
	for (uint64_t pfn = cma->base_pfn; pfn < cma_end_pfn(cma); pfn += 512)
		thps += (k->memmap[pfn].flags & PG_head) && (k->memmap[pfn].flags & PG_anon);
	cr_assert_geq(thps, 2, "only %llu THPs in the area", (unsigned long long)thps);
	uint64_t split0 = k->thp_split_page;
	int64_t got = cma_alloc(k, f.core[0], cma->count, 0);
	cr_assert_eq(got, (int64_t)cma->base_pfn, "cma_alloc gave %lld", (long long)got);
	cr_assert_eq(cma->migrated_thp, thps, "every THP moved whole");
	cr_assert_eq(k->thp_split_page, split0, "none was split");
	cr_assert_eq(cma->migrated, thps * 512, "no 4K user pages were in the area");
	check_user(&f, mm, pages);   /* data, PMDs and the LRU lists (kmm_validate) */
	cr_assert(cma_release(k, f.core[0], cma->base_pfn, cma->count));
	mm_destroy(k, mm, f.core[0]);
	validate(&f, NULL);
	fx_fini(&f);
}

#define ONE_THREAD(ops) "{'processes': [{'name': 'p', 'threads': [{'cpu': 0, 'ops': [" ops "]}]}]}"

Test(cma, trace_ops_alloc_and_release)
{
	struct run r;
	const char *sets[] = { "kernel.cma=8M", NULL };
	run_text(&r, sets, ONE_THREAD(
		"{'op': 'mmap', 'name': 'm', 'length': '40M'},"
		"{'op': 'seq', 'base': 'm', 'length': '40M', 'size': 8, 'write': 1},"
		"{'op': 'cma_alloc', 'name': 'dmabuf', 'count': 1024, 'align': 9},"
		"{'op': 'snapshot', 'name': 'held'},"
		"{'op': 'cma_release', 'name': 'dmabuf'},"
		"{'op': 'cma_alloc', 'name': 'toobig', 'count': 4096}"));
	cr_assert_eq(run_stat(&r, "mm.cma.pages"), 2048);
	cr_assert_eq(run_stat(&r, "mm.cma.alloc_success"), 1);
	cr_assert_eq(run_stat(&r, "mm.cma.alloc_fail"), 1);
	cr_assert_eq(run_stat(&r, "snapshot.held.mm.cma.used"), 1024);
	cr_assert_gt(run_stat(&r, "snapshot.held.mm.cma.migrated"), 0);
	cr_assert_eq(run_stat(&r, "mm.cma.used"), 0);
	cr_assert(strstr(machine_events(r.m), "cma_alloc \"toobig\" of 4096 frames failed"));
	assert_conserved(&r);
	run_free(&r);
}
