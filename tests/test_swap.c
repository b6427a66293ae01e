/* The block device, swap slots and entries, the swap cache and the LRU
 * lists: the pieces reclaim (issue #10) is built from. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include "kernel/mm/lru.h"
#include "kernel/mm/swap.h"
#include "lib/jsonutil.h"
#include "sim/blk/blkdev.h"

/* A request's time: latency, then its block on the link; a second request
 * submitted at once overlaps its latency but waits for the link. */
Test(blkdev, timing_and_queueing)
{
	struct blkdev d;
	struct physmem pm;
	cr_assert_eq(blkdev_init(&d, "ssd", 1 << 20, 1000, 100), 0);
	cr_assert_eq(physmem_init(&pm, 1 << 20), 0);
	cr_assert_eq(d.nblocks, 256);
	cr_assert_eq(blkdev_write(&d, 3, &pm, 1, 0), 1100);
	cr_assert_eq(blkdev_write(&d, 4, &pm, 1, 0), 1200, "waits 100 for the link");
	cr_assert_eq(d.wait_cycles, 100);
	cr_assert_eq(blkdev_read(&d, 3, &pm, 2, 5000), 6100, "an idle link: latency + block");
	cr_assert_eq(d.writes, 2);
	cr_assert_eq(d.reads, 1);
	blkdev_fini(&d);
	physmem_fini(&pm);
}

/* Bytes survive memory -> device -> memory; an unwritten block reads as
 * zeros and takes no host memory. */
Test(blkdev, data_round_trip)
{
	struct blkdev d;
	struct physmem pm;
	cr_assert_eq(blkdev_init(&d, "ssd", 64ull << 30, 0, 0), 0);
	cr_assert_eq(physmem_init(&pm, 1 << 20), 0);
	physmem_write(&pm, (5ull << PAGE_SHIFT) + 8, 8, 0x1122334455667788ull);
	blkdev_write(&d, 12345, &pm, 5, 0);
	cr_assert_eq(d.store.backed, 1);
	blkdev_read(&d, 12345, &pm, 9, 0);
	cr_assert_eq(physmem_read(&pm, (9ull << PAGE_SHIFT) + 8, 8), 0x1122334455667788ull);
	physmem_write(&pm, 9ull << PAGE_SHIFT, 8, 42);
	blkdev_read(&d, 7, &pm, 9, 0);
	cr_assert_eq(physmem_read(&pm, 9ull << PAGE_SHIFT, 8), 0, "never written: zeros");
	cr_assert_eq(physmem_read(&pm, (9ull << PAGE_SHIFT) + 8, 8), 0);
	blkdev_fini(&d);
	physmem_fini(&pm);
}

/* A swap entry in a PTE is not present (the walker faults on it), is
 * never 0, and gives back its type and offset. */
Test(swap, entry_encoding)
{
	swp_entry_t e = swp_entry(3, 0xabcdef);
	pte_t pte = swp_entry_to_pte(e);
	cr_assert_eq(pte & PTE_P, 0);
	cr_assert(is_swap_pte(pte));
	cr_assert(!is_swap_pte(0));
	cr_assert(!is_swap_pte(PTE_P | (5ull << PAGE_SHIFT)));
	swp_entry_t back = pte_to_swp_entry(pte);
	cr_assert_eq(swp_type(back), 3);
	cr_assert_eq(swp_offset(back), 0xabcdef);
}

struct swfix {
	struct blkdev d;
	struct swap_info si;
	char err[MMSIM_ERR_LEN];
};

static void swfix_init(struct swfix *f, uint64_t slots)
{
	cr_assert_eq(blkdev_init(&f->d, "swap", slots << PAGE_SHIFT, 0, 0), 0);
	cr_assert_eq(swap_info_init(&f->si, 0, &f->d), 0);
}

static void swfix_fini(struct swfix *f)
{
	swap_info_fini(&f->si);
	blkdev_fini(&f->d);
}

/* Slots come in order within a cluster, slot 0 (the header) never; when
 * the area is full the allocation fails; a freed slot is found again. */
Test(swap, slots_fill_and_free)
{
	struct swfix f;
	swfix_init(&f, 600);   /* 3 clusters: 256 + 256 + 88 slots */
	for (uint64_t s = 1; s < 600; s++) {
		swp_entry_t e = swap_alloc(&f.si);
		cr_assert_eq(swp_offset(e), s, "slot %llu", (unsigned long long)s);
	}
	cr_assert_eq(swap_alloc(&f.si).val, 0, "full");
	cr_assert_eq(f.si.alloc_fail, 1);
	cr_assert_eq(f.si.inuse, 599);
	cr_assert_eq(swap_put(&f.si, swp_entry(0, 300)), 0);
	cr_assert_eq(swp_offset(swap_alloc(&f.si)), 300);
	cr_assert_eq(swap_validate(&f.si, f.err), 0, "%s", f.err);
	swfix_fini(&f);
}

/* After a cluster empties, allocation moves on to a wholly empty cluster
 * rather than refilling holes, so a reclaim pass writes neighbouring
 * slots. */
Test(swap, clusters_keep_writes_together)
{
	struct swfix f;
	swfix_init(&f, 1024);
	static swp_entry_t e[511];
	for (int i = 0; i < 511; i++)
		e[i] = swap_alloc(&f.si);          /* clusters 0 and 1 full */
	for (int i = 0; i < 255; i += 2)
		swap_put(&f.si, e[i]);             /* holes in cluster 0 */
	cr_assert_eq(swp_offset(swap_alloc(&f.si)), 512, "an empty cluster, not a hole");
	cr_assert_eq(f.si.free_clusters, 1, "cluster 3 is left");
	swap_alloc(&f.si);
	for (int i = 0; i < 254; i++)
		swap_alloc(&f.si);                 /* the rest of cluster 2 */
	cr_assert_eq(swp_offset(swap_alloc(&f.si)), 768, "then cluster 3");
	cr_assert_eq(swap_validate(&f.si, f.err), 0, "%s", f.err);
	swfix_fini(&f);
}

/* Counts: fork duplicates an entry, each unmap puts it; the swap cache
 * holds a reference of its own. */
Test(swap, counts_and_swap_cache)
{
	struct swfix f;
	swfix_init(&f, 64);
	swp_entry_t e = swap_alloc(&f.si);
	swap_dup(&f.si, e);
	cr_assert_eq(swap_count(&f.si, e), 2);
	swap_cache_add(&f.si, e, 77);
	cr_assert_eq(swap_count(&f.si, e), 3);
	cr_assert_eq(swap_cache_lookup(&f.si, e), 77);
	cr_assert_eq(swap_put(&f.si, e), 2);
	cr_assert_eq(swap_put(&f.si, e), 1);
	cr_assert_eq(f.si.inuse, 1, "the cache keeps the slot");
	swap_cache_del(&f.si, e);
	cr_assert_eq(swap_cache_lookup(&f.si, e), -1);
	cr_assert_eq(f.si.inuse, 0);
	cr_assert_eq(swap_validate(&f.si, f.err), 0, "%s", f.err);
	swfix_fini(&f);
}

Test(swap, validate_detects_bad_counts)
{
	struct swfix f;
	swfix_init(&f, 64);
	swap_alloc(&f.si);
	f.si.inuse = 5;
	cr_assert_eq(swap_validate(&f.si, f.err), -1);
	cr_assert(strstr(f.err, "inuse says 5"), "%s", f.err);
	f.si.inuse = 1;
	f.si.cache[9] = 4;   /* a cached slot that is free */
	cr_assert_eq(swap_validate(&f.si, f.err), -1);
	cr_assert(strstr(f.err, "slot 9 is cached"), "%s", f.err);
	swfix_fini(&f);
}

#define NPAGES 16

/* Pages enter at the head; the tail is the oldest; a second reference
 * promotes an inactive page; deactivation moves it back. */
Test(lru, add_promote_and_age)
{
	struct page mm[NPAGES] = { 0 };
	struct lruvec l;
	char err[MMSIM_ERR_LEN];
	lruvec_init(&l);
	for (uint64_t pfn = 1; pfn <= 4; pfn++) {
		mm[pfn].flags = PG_anon;
		lru_add(&l, mm, pfn);
	}
	mm[5].flags = PG_file;
	lru_add(&l, mm, 5);
	cr_assert_eq(l.list[LRU_INACTIVE_ANON].nr, 4);
	cr_assert_eq(l.list[LRU_INACTIVE_FILE].nr, 1);
	cr_assert_eq(lru_tail(&l, LRU_INACTIVE_ANON), 1, "the first added is the oldest");
	mark_page_accessed(&l, mm, 1);
	cr_assert(mm[1].flags & PG_referenced);
	cr_assert_eq(l.list[LRU_ACTIVE_ANON].nr, 0, "one reference only marks it");
	mark_page_accessed(&l, mm, 1);
	cr_assert_eq(l.list[LRU_ACTIVE_ANON].nr, 1, "the second promotes it");
	cr_assert(mm[1].flags & PG_active);
	cr_assert_eq(mm[1].flags & PG_referenced, 0);
	cr_assert_eq(lru_tail(&l, LRU_INACTIVE_ANON), 2);
	lru_deactivate(&l, mm, 1);
	cr_assert_eq(lru_tail(&l, LRU_INACTIVE_ANON), 2, "deactivated pages enter at the head");
	cr_assert_eq(l.list[LRU_INACTIVE_ANON].nr, 4);
	mm[3].flags |= PG_mlocked;   /* mlock: remove, flag, add again */
	mm[3].flags &= ~PG_mlocked;
	lru_del(&l, mm, 3);
	mm[3].flags |= PG_mlocked;
	lru_add(&l, mm, 3);
	cr_assert_eq(l.list[LRU_UNEVICTABLE].nr, 1);
	cr_assert_eq(lru_validate(&l, mm, NPAGES, err), 0, "%s", err);
	cr_assert_eq(l.activate, 1);
	cr_assert_eq(l.deactivate, 1);
}

Test(lru, validate_detects_broken_links)
{
	struct page mm[NPAGES] = { 0 };
	struct lruvec l;
	char err[MMSIM_ERR_LEN];
	lruvec_init(&l);
	for (uint64_t pfn = 1; pfn <= 3; pfn++) {
		mm[pfn].flags = PG_anon;
		lru_add(&l, mm, pfn);
	}
	mm[2].prev = 1;   /* should be 3, the newer neighbour */
	cr_assert_eq(lru_validate(&l, mm, NPAGES, err), -1);
	cr_assert(strstr(err, "links back"), "%s", err);
	mm[2].prev = 3;
	mm[2].flags |= PG_active;  /* flags naming another list */
	cr_assert_eq(lru_validate(&l, mm, NPAGES, err), -1);
	cr_assert(strstr(err, "another list"), "%s", err);
}
