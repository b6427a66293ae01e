/* mmap() and munmap() (mm/mmap.c do_mmap(), do_vmi_munmap()): anonymous
 * private memory, and files (private or shared; their faults are
 * filemap_fault()'s, filemap.h). Lengths round up to pages; MAP_FIXED replaces whatever
 * was mapped there, as Linux does, MAP_FIXED_NOREPLACE fails with EEXIST
 * instead. Pages are faulted in on first touch, or at once with
 * MAP_POPULATE / MAP_LOCKED. MAP_GROWSDOWN makes a stack VMA. */
#include "kernel/mm/kmm.h"
#include "kernel/mm/thp.h"
#include "kernel/mm/hugetlb.h"
#include "kernel/mm/filemap.h"

#include <errno.h>
#include "lib/config.h"
#include "sim/cpu/core.h"
#include "sim/mmu/pte.h"

/* VM_* flags a mapping gets from its MAP_* flags (calc_vm_flag_bits()). */
static int64_t mmap_region(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr,
			   uint64_t len, uint32_t prot, uint32_t flags, uint32_t vf,
			   uint64_t align, uint32_t file, uint64_t off);

static uint32_t vm_flags_of(uint32_t flags)
{
	uint32_t vf = 0;
	if (flags & KMAP_GROWSDOWN)
		vf |= VM_GROWSDOWN;
	if (flags & KMAP_STACK)
		vf |= VM_NOHUGEPAGE;
	if (flags & KMAP_NORESERVE)
		vf |= VM_NORESERVE;
	if (flags & KMAP_LOCKED)
		vf |= VM_LOCKED;
	return vf;
}

int64_t kmm_mmap(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr,
		 uint64_t len, uint32_t prot, uint32_t flags)
{
	return kmm_mmap_file(k, mm, c, addr, len, prot, flags, 0, 0, false);
}

int64_t kmm_mmap_file(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr,
		      uint64_t len, uint32_t prot, uint32_t flags, uint32_t file, uint64_t off,
		      bool shared)
{
	bool fixed = flags & (KMAP_FIXED | KMAP_FIXED_NOREPLACE);
	bool huge = flags & KMAP_HUGETLB, gig = huge && (flags & KMAP_HUGE_1GB);
	/* MAP_HUGETLB: lengths and addresses in huge pages */
	uint64_t align = gig ? (1ull << 30) : huge ? (1ull << 21) : PAGE_SIZE;
	uint32_t vf = vm_flags_of(flags) | (huge ? VM_HUGETLB : 0) | (gig ? VM_HUGE_1G : 0) |
		      (file && shared ? VM_SHARED : 0);
	c->clock += k->cfg->kernel.cost.syscall + k->cfg->kernel.cost.mmap;
	k->mmap_calls++;
	tlb_defer_force_mm(k, mm, c);  /* no reuse of a range still in flight */
	if (len == 0 || len > mm->task_size || (addr & ~PAGE_MASK) || (off & ~PAGE_MASK) ||
	    (file && huge))
		return -EINVAL;
	len = (len + align - 1) & ~(align - 1);
	if (fixed && (addr & (align - 1)))
		return -EINVAL;
	if (huge && !(flags & KMAP_NORESERVE)) {
		/* hugetlb_reserve_pages(): the pages are promised now */
		int rc = hugetlb_reserve(k, gig, len);
		if (rc)
			return rc;
		vf |= VM_HUGETLB_RESV;
	}
	int64_t r = mmap_region(k, mm, c, addr, len, prot, flags, vf, align, file, off);
	if (r < 0 && (vf & VM_HUGETLB_RESV))
		hugetlb_unreserve_len(k, gig, len);
	/* MAP_POPULATE, MAP_LOCKED: mm_populate() before returning */
	if (r >= 0 && (flags & (KMAP_POPULATE | KMAP_LOCKED)) &&
	    kmm_populate(k, mm, c, (vaddr_t)r, (vaddr_t)r + len) < 0)
		return -ENOMEM;
	return r;
}

/* Place and insert the VMA (mmap_region()); len is rounded, the flags
 * checked. */
static int64_t mmap_region(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr,
			   uint64_t len, uint32_t prot, uint32_t flags, uint32_t vf,
			   uint64_t align, uint32_t file, uint64_t off)
{
	bool fixed = flags & (KMAP_FIXED | KMAP_FIXED_NOREPLACE);
	if (fixed) {
		if (addr + len > mm->task_size || addr < PAGE_SIZE)
			return -EINVAL;
		if (!vma_range_free(mm, addr, addr + len)) {
			if (!(flags & KMAP_FIXED))
				return -EEXIST;     /* MAP_FIXED_NOREPLACE */
			int rc = kmm_munmap(k, mm, c, addr, len);
			if (rc)
				return rc;
		}
	} else if (align > PAGE_SIZE) {
		/* hugetlb_get_unmapped_area(): on a huge-page boundary, the hint
		 * if it is aligned and free */
		if (!addr || (addr & (align - 1)) || !vma_range_free(mm, addr, addr + len)) {
			vaddr_t a = get_unmapped_area(mm, 0, len + align);
			if (!a)
				return -ENOMEM;
			addr = (a + align - 1) & ~(align - 1);
		}
	} else if (!file && k->thp_enabled == THP_ALWAYS && len >= (2ull << 20) &&
		   !(addr && vma_range_free(mm, addr, addr + len))) {
		/* thp_get_unmapped_area(): a large anonymous mapping starts on a
		 * 2 MiB boundary so that THP can map it (only with THP always
		 * here, to keep the addresses of other runs as they were) */
		vaddr_t a = get_unmapped_area(mm, 0, len + (2ull << 20));
		if (!a)
			return -ENOMEM;
		addr = (a + (2ull << 20) - 1) & ~((2ull << 20) - 1);
	} else {
		addr = get_unmapped_area(mm, addr, len);
		if (!addr)
			return -ENOMEM;
	}
	if (vma_add_file(mm, addr, addr + len, prot, vf, file,
			 file ? off >> PAGE_SHIFT : addr >> PAGE_SHIFT) < 0)
		return -ENOMEM;
	if (file)
		filemap_link_mm(k, mm, file);   /* vma_link_file(): onto i_mmap */
	return (int64_t)addr;
}

int kmm_munmap(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr, uint64_t len)
{
	c->clock += k->cfg->kernel.cost.syscall + k->cfg->kernel.cost.munmap;
	k->munmap_calls++;
	tlb_defer_run(k, c);
	return do_munmap(k, mm, c, addr, len);
}

int do_munmap(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr, uint64_t len)
{
	if ((addr & ~PAGE_MASK) || len == 0 || addr >= mm->task_size)
		return -EINVAL;
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;
	vaddr_t end = addr + len > mm->task_size ? mm->task_size : addr + len;
	if (hugetlb_range_misaligned(mm, addr, end))
		return -EINVAL;     /* hugetlb_vm_op_split() */
	if (thp_adjust_range(k, mm, c, addr, end))
		return -ENOMEM;
	hugetlb_unreserve_range(k, mm, c, addr, end);
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
	if (hugetlb_range_misaligned(mm, addr, end))
		return -EINVAL;
	/* mprotect_fixup(): the range becomes one VMA of the new rights
	 * (split from its neighbours, merged with equal ones) ... */
	if (thp_adjust_range(k, mm, c, addr, end))
		return -ENOMEM;
	vma_modify(mm, addr, end, prot, 0, 0);
	/* ... change_protection(): rewrite the PTEs, and flush what changed,
	 * upgrades included, as Linux's flush_tlb_range() after it does. */
	vaddr_t lo, hi;
	pt_change_prot(k, mm, c, addr, end, pte_prot_bits(prot), &lo, &hi);
	if (lo < hi)
		flush_tlb_mm_range(k, mm, c, lo, hi, FLUSH_MPROTECT);
	return 0;
}
