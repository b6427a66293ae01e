/* rmap_walk() and the anon_vma bookkeeping on a bare guest kernel (one core,
 * configs/tiny.json): faults map pages, the walk must find exactly the PTEs
 * that map a frame — through splits, fork-style anon_vma children and after
 * the mappers exit. */
#include <criterion/criterion.h>
#include "kernel/mm/kmm.h"
#include "kernel/mm/rmap.h"
#include "lib/config.h"
#include "lib/trace.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"

struct fx {
	struct mmsim_cfg cfg;
	struct memsys *ms;
	struct core *core;
	struct kmm *k;
};

static void fx_init(struct fx *f)
{
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&f->cfg);
	cr_assert_eq(cfg_load(&f->cfg, "configs/tiny.json", err), 0, "%s", err);
	cr_assert_eq(cfg_check(&f->cfg, "test", err), 0, "%s", err);
	f->ms = memsys_create(&f->cfg, NULL, err);
	cr_assert_not_null(f->ms, "%s", err);
	f->core = core_create(&f->cfg, 0, f->ms, NULL);
	f->k = kmm_create(&f->cfg, f->ms, &f->core, 1, NULL);
}

static void fx_fini(struct fx *f)
{
	kmm_destroy(f->k);
	core_destroy(f->core);
	memsys_destroy(f->ms);
}

/* The frame mapped at va (via an untimed walk), or 0. */
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

struct seen {
	int n;
	struct mm *mm[8];
	vaddr_t va[8];
	int stop_after;
};

static bool visit(struct kmm *k, struct mm *mm, vaddr_t va, paddr_t pte_pa, void *arg)
{
	struct seen *s = arg;
	pte_t e = physmem_read(&k->ms->pm, pte_pa, 8);
	cr_assert(e & PTE_P);
	s->mm[s->n] = mm;
	s->va[s->n] = va;
	s->n++;
	return s->n != s->stop_after;
}

static void touch(struct fx *f, struct mm *mm, vaddr_t va, bool write)
{
	char why[MMSIM_ERR_LEN];
	cr_assert_eq(kmm_page_fault(f->k, mm, f->core, va, (write ? PF_W : 0) | PF_U, why),
		     FAULT_DONE, "%s", why);
}

/* A written page is found at its one address; a page read-only mapped
 * (the zero page) is no anonymous page and visits nothing. */
Test(rmap, finds_the_one_mapping)
{
	struct fx f;
	fx_init(&f);
	struct mm *mm = mm_create(f.k, f.core);
	int64_t a = kmm_mmap(f.k, mm, f.core, 0, 16 * PAGE_SIZE, PROT_R | PROT_W, false);
	cr_assert_gt(a, 0);
	touch(&f, mm, a + 5 * PAGE_SIZE, true);
	touch(&f, mm, a + 6 * PAGE_SIZE, false);
	uint64_t pfn = frame_at(&f, mm, a + 5 * PAGE_SIZE);
	cr_assert_neq(pfn, 0);
	struct seen s = { 0 };
	rmap_walk(f.k, pfn, visit, &s);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.mm[0], mm);
	cr_assert_eq(s.va[0], (vaddr_t)a + 5 * PAGE_SIZE);
	s.n = 0;
	rmap_walk(f.k, frame_at(&f, mm, a + 6 * PAGE_SIZE), visit, &s);
	cr_assert_eq(s.n, 0, "the zero page has no reverse map");
	mm_destroy(f.k, mm, f.core);
	cr_assert_eq(rmap_anon_vmas(f.k), 0);
	fx_fini(&f);
}

/* After an mprotect splits the VMA in three and a munmap removes the first
 * part, the page's index still leads to it (pgoff carried by the split). */
Test(rmap, survives_split)
{
	struct fx f;
	fx_init(&f);
	struct mm *mm = mm_create(f.k, f.core);
	int64_t a = kmm_mmap(f.k, mm, f.core, 0, 16 * PAGE_SIZE, PROT_R | PROT_W, false);
	touch(&f, mm, a + 9 * PAGE_SIZE, true);
	uint64_t pfn = frame_at(&f, mm, a + 9 * PAGE_SIZE);
	cr_assert_eq(kmm_mprotect(f.k, mm, f.core, a + 8 * PAGE_SIZE, 4 * PAGE_SIZE, PROT_R), 0);
	cr_assert_eq(mm->nvma, 3);
	cr_assert_eq(kmm_munmap(f.k, mm, f.core, a, 4 * PAGE_SIZE), 0);
	struct seen s = { 0 };
	rmap_walk(f.k, pfn, visit, &s);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.va[0], (vaddr_t)a + 9 * PAGE_SIZE);
	/* back to RW: the three VMAs merge again into [a+4p, a+16p) */
	cr_assert_eq(kmm_mprotect(f.k, mm, f.core, a + 8 * PAGE_SIZE, 4 * PAGE_SIZE,
				  PROT_R | PROT_W), 0);
	cr_assert_eq(mm->nvma, 1);
	cr_assert_eq(mm->vma[0].start, (vaddr_t)a + 4 * PAGE_SIZE);
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(kmm_validate(f.k, &mm, 1, err), 0, "%s", err);
	mm_destroy(f.k, mm, f.core);
	fx_fini(&f);
}

/* fork: the child's copy of the VMA (a new anon_vma whose parent is the
 * parent's) maps the same frame; the walk finds both, stops early when
 * told, and after the parent exits still finds the child's. */
Test(rmap, fork_finds_parent_and_child)
{
	struct fx f;
	fx_init(&f);
	struct mm *p = mm_create(f.k, f.core);
	int64_t a = kmm_mmap(f.k, p, f.core, 0, 4 * PAGE_SIZE, PROT_R | PROT_W, false);
	touch(&f, p, a, true);
	uint64_t pfn = frame_at(&f, p, a);
	struct mm *c = kmm_fork(f.k, p, f.core);
	cr_assert_not_null(c);
	cr_assert_eq(frame_at(&f, c, a), pfn);
	cr_assert_eq(f.k->memmap[pfn].mapcount, 2);
	struct seen s = { 0 };
	rmap_walk(f.k, pfn, visit, &s);
	cr_assert_eq(s.n, 2);
	cr_assert(s.mm[0] != s.mm[1]);
	struct seen one = { .stop_after = 1 };
	rmap_walk(f.k, pfn, visit, &one);
	cr_assert_eq(one.n, 1);
	struct mm *both[2] = { p, c };
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(kmm_validate(f.k, both, 2, err), 0, "%s", err);
	mm_destroy(f.k, p, f.core);
	s.n = 0;
	rmap_walk(f.k, pfn, visit, &s);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.mm[0], c);
	mm_destroy(f.k, c, f.core);
	cr_assert_eq(rmap_anon_vmas(f.k), 0);
	fx_fini(&f);
}
