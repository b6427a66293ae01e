/* Transparent huge pages on a bare guest kernel (one core,
 * configs/tiny.json), for what a trace cannot reach: the allocation
 * countdown (kmm.fail_countdown) makes the page table a split needs
 * unavailable. */
#include <criterion/criterion.h>
#include <errno.h>
#include "kernel/mm/kmm.h"
#include "kernel/mm/thp.h"
#include "lib/config.h"
#include "lib/trace.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"

/* A partial munmap, mprotect or madvise of a huge page whose split finds no
 * page table fails with ENOMEM and changes nothing (--check's invariants
 * hold, the huge PMD is still there); once memory is back the same munmap
 * splits and succeeds, and every frame returns at exit. Before, the run
 * aborted. */
Test(thp, split_without_a_table_is_enomem)
{
	struct mmsim_cfg cfg;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&cfg);
	cr_assert_eq(cfg_load(&cfg, "configs/tiny.json", err), 0, "%s", err);
	cr_assert_eq(cfg_check(&cfg, "test", err), 0, "%s", err);
	struct memsys *ms = memsys_create(&cfg, NULL, err);
	cr_assert_not_null(ms, "%s", err);
	struct core *c = core_create(&cfg, 0, ms, NULL);
	struct kmm *k = kmm_create(&cfg, ms, &c, 1, NULL);
	uint64_t boot_free = kmm_free_frames(k);

	struct mm *mm = mm_create(k, c);
	int64_t addr = kmm_mmap(k, mm, c, 0, 4ull << 20, PROT_R | PROT_W, 0);
	cr_assert_geq(addr, 0);
	vaddr_t h = ((vaddr_t)addr + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK;
	cr_assert_eq(kmm_madvise(k, mm, c, h, HPAGE_PMD_SIZE, KMADV_HUGEPAGE), 0);
	cr_assert_eq(kmm_page_fault(k, mm, c, h, PF_U | PF_W, err), FAULT_DONE, "%s", err);
	cr_assert_eq(k->thp_fault_alloc, 1);

	k->fail_countdown = 1;
	cr_assert_eq(kmm_munmap(k, mm, c, h + PAGE_SIZE, PAGE_SIZE), -ENOMEM);
	k->fail_countdown = 1;
	cr_assert_eq(kmm_mprotect(k, mm, c, h, PAGE_SIZE, PROT_R), -ENOMEM);
	k->fail_countdown = 1;
	cr_assert_eq(kmm_madvise(k, mm, c, h, PAGE_SIZE, KMADV_DONTNEED), -ENOMEM);
	k->fail_countdown = 1;
	cr_assert_eq(kmm_mremap(k, mm, c, h, PAGE_SIZE, 2 * PAGE_SIZE, KMREMAP_MAYMOVE, 0),
		     -ENOMEM);
	cr_assert_eq(k->thp_split_enomem, 4);
	cr_assert_eq(k->thp_split_page, 0);
	cr_assert_eq(kmm_validate(k, &mm, 1, err), 0, "%s", err);
	cr_assert_eq(mm->rss_anon, HPAGE_PMD_NR);

	k->fail_countdown = 0;
	cr_assert_eq(kmm_munmap(k, mm, c, h + PAGE_SIZE, PAGE_SIZE), 0);
	cr_assert_eq(k->thp_split_page, 1);
	cr_assert_eq(mm->rss_anon, HPAGE_PMD_NR - 1);
	cr_assert_eq(kmm_validate(k, &mm, 1, err), 0, "%s", err);
	mm_destroy(k, mm, c);
	cr_assert_eq(kmm_free_frames(k), boot_free);
	kmm_destroy(k);
	core_destroy(c);
	memsys_destroy(ms);
}
