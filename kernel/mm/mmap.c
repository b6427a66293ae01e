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
	if ((addr & ~PAGE_MASK) || len == 0 || addr >= mm->task_size)
		return -EINVAL;
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;
	vaddr_t end = addr + len > mm->task_size ? mm->task_size : addr + len;
	vma_remove_range(mm, addr, end);
	pt_zap_range(k, mm, c, addr, end);
	tlb_finish_mmu(k, mm, c);
	return 0;
}
