/* Address-space lifetime: mm_alloc()/pgd_alloc() and exit_mmap(). */
#include "kernel/mm/kmm.h"
#include "kernel/mm/filemap.h"
#include "kernel/mm/rmap.h"
#include "kernel/mm/slab.h"

#include <stdlib.h>
#include <string.h>
#include "kernel/mm/thp.h"
#include "kernel/mm/hugetlb.h"
#include "sim/cpu/core.h"
#include "sim/mmu/pte.h"

/* Where top-down mmap starts without randomisation: TASK_SIZE less the
 * 128 MiB minimum stack gap, as Linux's mmap_base() gives with ASLR off. */
#define MMAP_BASE 0x7ffff7fff000ull

struct mm *mm_create(struct kmm *k, struct core *c)
{
	int64_t pfn = kmm_alloc_page(k, c, PG_pgtable);
	if (pfn < 0)
		return NULL;
	struct mm *mm = calloc(1, sizeof(*mm));
	if (!mm)
		abort();
	mm->pgd = (paddr_t)pfn << PAGE_SHIFT;
	kmem_clone_pgd(k, c, mm->pgd);  /* pgd_ctor(): the shared kernel half (slab.h) */
	mm->pt_pages = 1;
	mm->mmap_base = MMAP_BASE;
	mm->task_size = k->user_va_end;
	mm->id = ++k->next_mm_id;
	k->pt_alloc++;
	thp_init(k);
	if (k->nmms == k->mms_cap) {
		k->mms_cap = k->mms_cap ? 2 * k->mms_cap : 16;
		k->mms = realloc(k->mms, k->mms_cap * sizeof(*k->mms));
		if (!k->mms)
			abort();
	}
	k->mms[k->nmms++] = mm;
	return mm;
}

void mm_destroy(struct kmm *k, struct mm *mm, struct core *c)
{
	tlb_defer_forget_mm(k, mm, c);
	hugetlb_unreserve_range(k, mm, c, 0, mm->task_size);
	pt_free_all(k, mm, c);
	tlb_finish_mmu(k, mm, c, FLUSH_EXIT);
	rmap_mm_exit(k, mm);
	filemap_mm_exit(k, mm);
	for (uint32_t i = 0; i < k->nmms; i++) {
		if (k->mms[i] == mm) {
			memmove(&k->mms[i], &k->mms[i + 1], (k->nmms - i - 1) * sizeof(*k->mms));
			k->nmms--;
			if (k->khugepaged_mm > i)
				k->khugepaged_mm--;
			break;
		}
	}
	/* no core may keep the dead mm as its loaded one */
	for (unsigned i = 0; i < k->ncores; i++)
		if (k->tlbstate[i].loaded == mm)
			k->tlbstate[i].loaded = NULL;
	free(mm->vma);
	free(mm);
}
