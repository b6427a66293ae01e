/* mmap() and munmap() for anonymous private memory (mm/mmap.c do_mmap(),
 * do_vmi_munmap()). Lengths round up to pages; MAP_FIXED replaces whatever
 * was mapped there, as Linux does. Pages are faulted in on first touch. */
#include "kernel/mm/kmm.h"

#include <errno.h>
#include "lib/config.h"
#include "sim/cpu/core.h"
#include "sim/mmu/pte.h"

int64_t kmm_mmap(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr,
		 uint64_t len, uint32_t prot, bool fixed)
{
	c->clock += k->cfg->kernel.cost.syscall + k->cfg->kernel.cost.mmap;
	k->mmap_calls++;
	tlb_defer_force_mm(k, mm, c);  /* no reuse of a range still in flight */
	if (len == 0 || len > mm->task_size || (addr & ~PAGE_MASK))
		return -EINVAL;
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;
	if (fixed) {
		if (addr + len > mm->task_size || addr < PAGE_SIZE)
			return -EINVAL;
		if (!vma_range_free(mm, addr, addr + len))
			kmm_munmap(k, mm, c, addr, len);
	} else {
		addr = get_unmapped_area(mm, addr, len);
		if (!addr)
			return -ENOMEM;
	}
	if (vma_insert(mm, addr, addr + len, prot) < 0)
		return -ENOMEM;
	return (int64_t)addr;
}

int kmm_munmap(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr, uint64_t len)
{
	c->clock += k->cfg->kernel.cost.syscall + k->cfg->kernel.cost.munmap;
	k->munmap_calls++;
	tlb_defer_run(k, c);
	if ((addr & ~PAGE_MASK) || len == 0 || addr >= mm->task_size)
		return -EINVAL;
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;
	vaddr_t end = addr + len > mm->task_size ? mm->task_size : addr + len;
	vma_remove_range(mm, addr, end);
	pt_zap_range(k, mm, c, addr, end);
	tlb_finish_mmu(k, mm, c, FLUSH_MUNMAP);
	return 0;
}

int kmm_mprotect(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr, uint64_t len,
		 uint32_t prot)
{
	c->clock += k->cfg->kernel.cost.syscall + k->cfg->kernel.cost.mprotect;
	k->mprotect_calls++;
	tlb_defer_run(k, c);
	if ((addr & ~PAGE_MASK) || len > mm->task_size)
		return -EINVAL;
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;
	vaddr_t end = addr + len;
	if (len == 0)
		return 0;
	if (end > mm->task_size || !vma_range_mapped(mm, addr, end))
		return -ENOMEM;
	/* mprotect_fixup(): the range becomes one VMA of the new rights
	 * (split from its neighbours, merged with equal ones) ... */
	vma_split(mm, addr);
	vma_split(mm, end);
	for (uint32_t i = vma_index(mm, addr); i < mm->nvma && mm->vma[i].start < end; i++)
		mm->vma[i].prot = prot;
	for (uint32_t i = vma_index(mm, addr); i < mm->nvma && mm->vma[i].start < end; i++)
		i = vma_merge_at(mm, i);
	/* ... change_protection(): rewrite the PTEs, and flush what changed,
	 * upgrades included, as Linux's flush_tlb_range() after it does. */
	vaddr_t lo, hi;
	pt_change_prot(k, mm, c, addr, end, pte_prot_bits(prot), &lo, &hi);
	if (lo < hi)
		flush_tlb_mm_range(k, mm, c, lo, hi, FLUSH_MPROTECT);
	return 0;
}
