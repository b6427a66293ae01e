/* madvise(), mlock()/munlock() and populating a range (mm/madvise.c,
 * mm/mlock.c, mm/gup.c populate_vma_page_range()).
 *
 * - MADV_DONTNEED drops the range's pages (zap, flush, free): the next read
 *   maps the zero page, the next write a fresh zeroed page. Refused on
 *   mlock()ed VMAs (EINVAL), as Linux.
 * - MADV_FREE marks the range's exclusively mapped pages clean (the dirty
 *   bit cleared and flushed), so reclaim may drop them instead of swapping
 *   them; until memory runs short (reclaim is another issue) they stay, and
 *   a later write makes them dirty again.
 * - MADV_WILLNEED has nothing to read ahead for anonymous memory: counted.
 * - MADV_HUGEPAGE / MADV_NOHUGEPAGE set VM_HUGEPAGE / VM_NOHUGEPAGE on the
 *   range's VMAs (split and merged as needed), which the THP fault path and
 *   khugepaged obey.
 * - mlock() sets VM_LOCKED and populates the range; munlock() clears it.
 *
 * Populating faults every page in with the handler (writes where the VMA
 * is writable, so private pages are allocated and COW is broken), each
 * counting as a minor fault of the process as Linux's GUP faults do. */
#include "kernel/mm/kmm.h"
#include "kernel/mm/thp.h"
#include "kernel/mm/hugetlb.h"
#include "kernel/mm/vmscan.h"

#include <errno.h>
#include "lib/config.h"
#include "lib/trace.h"
#include "sim/cpu/core.h"
#include "sim/mmu/pte.h"

int64_t kmm_populate(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start, vaddr_t end)
{
	int64_t n = 0;
	char why[MMSIM_ERR_LEN];
	for (vaddr_t va = start & PAGE_MASK; va < end; va += PAGE_SIZE) {
		const struct vma *v = vma_find(mm, va);
		if (!v) {
			if (vma_index(mm, va) == mm->nvma)
				break;
			va = mm->vma[vma_index(mm, va)].start - PAGE_SIZE;
			continue;
		}
		if (!(v->prot & (PROT_R | PROT_W | PROT_X)))
			continue;               /* PROT_NONE: nothing to fault in */
		bool write = v->prot & PROT_W;
		if (v->flags & VM_HUGETLB) {
			/* one fault per huge page */
			int rc = hugetlb_populate(k, mm, c, (struct vma *)v, va, write);
			if (rc < 0)
				return rc;
			n += rc;
			k->populate_pages += (uint64_t)rc;
			va = (va | (vma_hpage_size(v) - 1)) - PAGE_SIZE + 1;
			continue;
		}
		/* FOLL_WRITE only for private writable mappings (a shared file
		 * mapping is read in, not dirtied) */
		write = write && !(v->flags & VM_SHARED);
		paddr_t slot = pt_alloc_path(k, mm, c, va);
		if (!slot)
			return -ENOMEM;
		pte_t e = kmm_read_pte(k, c, slot);
		if ((e & PTE_P) && (!write || (e & PTE_RW)))
			continue;
		if (kmm_page_fault(k, mm, c, va, PF_U | (write ? PF_W : 0), why) != FAULT_DONE)
			return -ENOMEM;
		n++;
		k->populate_pages++;
	}
	return n;
}

/* Is [addr, end) mapped throughout? Returns 0 or -errno, with len rounded. */
static int range_check(struct mm *mm, vaddr_t addr, uint64_t *len)
{
	if ((addr & ~PAGE_MASK) || *len > mm->task_size)
		return -EINVAL;
	*len = (*len + PAGE_SIZE - 1) & PAGE_MASK;
	if (*len && (addr + *len > mm->task_size || !vma_range_mapped(mm, addr, addr + *len)))
		return -ENOMEM;
	return 0;
}

/* MADV_FREE: clear D on the present PTEs of pages this mm maps alone. */
static void madvise_free(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start,
			 vaddr_t end)
{
	vaddr_t lo = 0, hi = 0;
	for (vaddr_t va = start; va < end; va += PAGE_SIZE) {
		paddr_t slot = pt_alloc_path(k, mm, c, va);
		if (!slot)
			break;
		pte_t e = kmm_read_pte(k, c, slot);
		uint64_t pfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
		if (!(e & PTE_P) || !(e & PTE_D) || (k->zero_pfn && pfn == k->zero_pfn) ||
		    k->memmap[pfn].mapcount != 1)
			continue;
		kmm_write_pte(k, c, slot, e & ~PTE_D);
		k->lazyfree_pages++;
		if (lo >= hi)
			lo = va;
		hi = va + PAGE_SIZE;
	}
	if (lo < hi)
		flush_tlb_mm_range(k, mm, c, lo, hi, FLUSH_MADVISE);
}

int kmm_madvise(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr, uint64_t len,
		int advice)
{
	c->clock += k->cfg->kernel.cost.syscall;
	k->madvise_calls++;
	int rc = range_check(mm, addr, &len);
	if (rc || len == 0)
		return rc;
	vaddr_t end = addr + len;
	if (hugetlb_range_misaligned(mm, addr, end))
		return -EINVAL;
	/* MADV_DONTNEED and MADV_FREE on hugetlb: EINVAL, as before Linux 5.18
	 * (a page dropped there would need its reservation back) */
	for (uint32_t i = vma_index(mm, addr); i < mm->nvma && mm->vma[i].start < end; i++)
		if (((mm->vma[i].flags & VM_HUGETLB) &&
		     (advice == KMADV_DONTNEED || advice == KMADV_FREE)) ||
		    (mm->vma[i].file && advice == KMADV_FREE))
			return -EINVAL;   /* MADV_FREE: anonymous private memory only */
	if (advice != KMADV_WILLNEED && advice != KMADV_COLLAPSE &&
	    thp_adjust_range(k, mm, c, addr, end))
		return -ENOMEM;
	switch (advice) {
	case KMADV_DONTNEED:
		for (uint32_t i = vma_index(mm, addr); i < mm->nvma && mm->vma[i].start < end; i++)
			if (mm->vma[i].flags & VM_LOCKED)
				return -EINVAL;
		pt_zap_range(k, mm, c, addr, end);
		tlb_finish_mmu(k, mm, c, FLUSH_MADVISE);
		return 0;
	case KMADV_FREE:
		madvise_free(k, mm, c, addr, end);
		return 0;
	case KMADV_WILLNEED:
		return 0;
	case KMADV_HUGEPAGE:
		vma_modify(mm, addr, end, VMA_KEEP_PROT, VM_HUGEPAGE, VM_NOHUGEPAGE);
		return 0;
	case KMADV_NOHUGEPAGE:
		vma_modify(mm, addr, end, VMA_KEEP_PROT, VM_NOHUGEPAGE, VM_HUGEPAGE);
		return 0;
	case KMADV_COLLAPSE:
		return thp_collapse_range(k, mm, c, addr, end);
	default:
		return -EINVAL;
	}
}

int kmm_mlock(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr, uint64_t len,
	      bool lock)
{
	c->clock += k->cfg->kernel.cost.syscall;
	k->mlock_calls++;
	vaddr_t start = addr & PAGE_MASK;
	len += addr - start;
	int rc = range_check(mm, start, &len);
	if (rc || len == 0)
		return rc;
	if (hugetlb_range_misaligned(mm, start, start + len))
		return -EINVAL;
	if (thp_adjust_range(k, mm, c, start, start + len))
		return -ENOMEM;
	vma_modify(mm, start, start + len, VMA_KEEP_PROT, lock ? VM_LOCKED : 0,
		   lock ? 0 : VM_LOCKED);
	/* mlock_vma_pages_range(): pages already there change lists */
	mlock_pages(k, mm, start, start + len, lock);
	if (lock && kmm_populate(k, mm, c, start, start + len) < 0)
		return -ENOMEM;
	return 0;
}
