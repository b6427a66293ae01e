/* The page-fault handler (arch/x86/mm/fault.c do_user_addr_fault() and
 * mm/memory.c handle_mm_fault()), for anonymous private memory; faults on
 * file mappings go to filemap_fault() (filemap_fault.c).
 *
 * A fault is a trap from the hardware with the faulting address and the x86
 * error code. The handler finds the VMA, checks the access against its
 * protection (access_error()), builds any missing tables and installs the
 * PTE. A not-present anonymous page read maps the shared zero page
 * read-only; a write gets a fresh zeroed frame (do_anonymous_page()). A
 * write to a write-protected page of a writable VMA (after fork, or on the
 * zero page) is copy-on-write (do_wp_page()). The PTE is written without A: the x86 walker sets it on the
 * retried access, as pte_sw_mkyoung() is a no-op there; a write fault maps it
 * dirty (pte_mkdirty()). A fault on a PTE that already allows the access is
 * spurious (a stale TLB entry was dropped by the #PF) and just returns. */
#include "kernel/mm/kmm.h"

#include <stdio.h>
#include "lib/config.h"
#include "lib/jsonutil.h"
#include "lib/trace.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"
#include "kernel/mm/rmap.h"
#include "kernel/mm/thp.h"
#include "kernel/mm/swap.h"
#include "kernel/mm/vmscan.h"
#include "kernel/mm/hugetlb.h"
#include "kernel/mm/filemap.h"
#include <assert.h>

/* access_error(): may this VMA be accessed this way? (PROT_W implies
 * reading on x86.) */
static bool access_error(const struct vma *v, uint32_t code)
{
	if (code & PF_W)
		return !(v->prot & PROT_W);
	if (code & PF_I)
		return !(v->prot & PROT_X);
	return !(v->prot & (PROT_R | PROT_W | PROT_X));
}

pte_t pte_prot_bits(uint32_t prot)
{
	pte_t bits = PTE_P;
	if (prot & (PROT_R | PROT_W | PROT_X))
		bits |= PTE_US;
	if (prot & PROT_W)
		bits |= PTE_RW;
	if (!(prot & PROT_X))
		bits |= PTE_NX;
	return bits;
}

/* The shared zero page: the first reserved frame above PFN 0 (a frame of
 * the firmware carve-out below 1 MiB that boot never hands to the buddy
 * allocator and nothing writes), like Linux's empty_zero_page in the kernel
 * image. 0 when there is none: read faults then allocate. */
uint64_t kmm_zero_pfn(struct kmm *k)
{
	if (!k->zero_pfn)
		for (uint64_t pfn = 1; pfn < k->nframes && pfn < 256 && !k->zero_pfn; pfn++)
			if ((k->memmap[pfn].flags & PG_STATE_MASK) == PG_reserved)
				k->zero_pfn = pfn;
	return k->zero_pfn;
}

static void count_rss(struct mm *mm)
{
	if (++mm->rss_anon > mm->hiwater_rss)
		mm->hiwater_rss = mm->rss_anon;
}

/* A newly allocated anonymous page becomes mapped at va: one mapping, the
 * allocation's reference now held by the PTE, rmap set up. */
void fault_map_new_anon(struct kmm *k, struct mm *mm, struct core *c, struct vma *v,
			paddr_t slot, uint64_t pfn, vaddr_t va, bool write)
{
	k->memmap[pfn].mapcount = 1;
	anon_vma_prepare(k, mm, v);
	page_add_new_anon_rmap(k, pfn, v, va);
	kmm_lru_add_new(k, v, pfn);
	pte_t e = ((paddr_t)pfn << PAGE_SHIFT) | pte_prot_bits(v->prot);
	if (write)
		e |= PTE_D;
	kmm_write_pte(k, c, slot, e);
	count_rss(mm);
}

/* do_anonymous_page(): a read maps the zero page read-only (no frame, no
 * rss, as Linux); a write allocates a zeroed frame. */
static enum fault_result do_anonymous_page(struct kmm *k, struct mm *mm, struct core *c,
					   struct vma *v, paddr_t slot, vaddr_t va, uint32_t code)
{
	k->pgfault_anon++;
	mm->min_flt++;
	if (!(code & PF_W) && kmm_zero_pfn(k)) {
		pte_t e = (k->zero_pfn << PAGE_SHIFT) | (pte_prot_bits(v->prot) & ~PTE_RW);
		kmm_write_pte(k, c, slot, e);
		k->memmap[slot >> PAGE_SHIFT].pt_used++;
		k->pgfault_zero++;
		return FAULT_DONE;
	}
	int64_t pfn = kmm_alloc_pages_vma(k, c, mm, v, va, GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0,
					  PG_anon);
	if (pfn < 0)
		return FAULT_OOM;
	fault_map_new_anon(k, mm, c, v, slot, (uint64_t)pfn, va & PAGE_MASK, code & PF_W);
	k->memmap[slot >> PAGE_SHIFT].pt_used++;
	return FAULT_DONE;
}

/* copy_user_highpage(): read every line of src and write every line of dst
 * through core c's memory port, then copy the bytes. */
void kmm_copy_page(struct kmm *k, struct core *c, uint64_t dst, uint64_t src)
{
	for (unsigned off = 0; off < PAGE_SIZE; off += 64) {
		c->clock += memsys_access(k->ms, c->id, (src << PAGE_SHIFT) + off, MEM_KERNEL,
					  false, c->clock);
		c->clock += memsys_access(k->ms, c->id, (dst << PAGE_SHIFT) + off, MEM_KERNEL,
					  true, c->clock);
	}
	physmem_copy_frame(&k->ms->pm, dst, src);
}

/* do_wp_page(): a write to a present, write-protected PTE of a writable VMA.
 * The zero page is replaced by a fresh zeroed page; an anonymous page with
 * a single mapping is reused (made writable in place, wp_page_reuse());
 * a shared one is copied (wp_page_copy()): the new page replaces this
 * mapping, the old one loses a mapping and a reference, and the old
 * translation is flushed from every core that may hold it. */
static enum fault_result do_wp_page(struct kmm *k, struct mm *mm, struct core *c,
				    struct vma *v, paddr_t slot, pte_t e, vaddr_t va)
{
	uint64_t old = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
	struct page *op = &k->memmap[old];
	k->pgfault_wp++;
	mm->min_flt++;
	va &= PAGE_MASK;
	bool file = (op->flags & PG_STATE_MASK) == PG_file;   /* a private file mapping */
	if (old != k->zero_pfn && !file && op->mapcount == 1 && !swapcache_busy(k, c, old)) {
		kmm_write_pte(k, c, slot, e | PTE_RW | PTE_D);
		k->cow_reuse++;
		return FAULT_DONE;
	}
	bool zero = old == k->zero_pfn;
	/* the fault's reference on the old page (get_page()): reclaim, run by
	 * the allocation, leaves a page held beyond its mappings alone */
	if (!zero)
		op->refcount++;
	int64_t pfn = kmm_alloc_pages_vma(k, c, mm, v, va,
					  GFP_HIGHUSER_MOVABLE | (zero ? __GFP_ZERO : 0),
					  0, PG_anon);
	if (!zero)
		op->refcount--;
	if (pfn < 0)
		return FAULT_OOM;
	if (!zero)
		kmm_copy_page(k, c, (uint64_t)pfn, old);
	/* ptep_clear_flush(): no core may keep writing-through the old frame's
	 * read-only translation once the new one is in */
	kmm_write_pte(k, c, slot, 0);
	flush_tlb_mm_range(k, mm, c, va, va + PAGE_SIZE, FLUSH_COW);
	fault_map_new_anon(k, mm, c, v, slot, (uint64_t)pfn, va, true);
	if (zero) {
		k->cow_zero++;
	} else if (file) {
		filemap_zap_pte(k, c, mm, old, e & ~PTE_D);
		k->cow_copy++;
		mm->cow_copies++;
	} else if (op->flags & PG_swapcache) {
		if (swapcache_unmap(k, c, old))
			kmm_free_pages(k, c, old, 0);   /* its slot's last user went */
		mm->rss_anon--;
		k->cow_copy++;
		mm->cow_copies++;
	} else {
		/* (a sharer killed by the OOM killer during the allocation may
		 * have left this the last mapping) */
		if (--op->mapcount > 0)
			op->refcount--;
		else
			kmm_free_pages(k, c, old, 0);
		mm->rss_anon--;
		k->cow_copy++;
		mm->cow_copies++;
	}
	return FAULT_DONE;
}

enum fault_result kmm_page_fault(struct kmm *k, struct mm *mm, struct core *c,
				 vaddr_t va, uint32_t code, char *why)
{
	c->clock += k->cfg->kernel.cost.fault;
	k->oom_msg[0] = '\0';
	tlb_defer_run(k, c);
	k->pgfault++;
	if (code & PF_RSVD) {
		errf(why, "reserved bit set in a paging entry for %#llx (kernel bug)",
		     (unsigned long long)va);
		return FAULT_SIGBUS;
	}
	struct vma *v = va < mm->task_size ? vma_find(mm, va) : NULL;
	if (!v && va < mm->task_size && vma_expand_stack(mm, va)) {
		k->stack_grows++;                       /* expand_stack() */
		v = vma_find(mm, va);
	}
	if (!v || access_error(v, code)) {
		k->segv++;
		errf(why, "SIGSEGV: %s %s at %#llx", code & PF_W ? "write" : "read",
		     !v ? "of unmapped address" : "against the mapping's protection",
		     (unsigned long long)va);
		return FAULT_SIGSEGV;
	}
	if (v->flags & VM_HUGETLB)
		return hugetlb_fault(k, mm, c, v, va, code, why);
	enum fault_result r = FAULT_DONE;
	if (thp_handle_fault(k, mm, c, v, va, code, &r)) {
		if (r == FAULT_OOM)
			errf(why, "out of memory on a fault at %#llx", (unsigned long long)va);
		return r;
	}
	paddr_t slot = pt_alloc_path(k, mm, c, va);
	if (!slot) {
		errf(why, "out of memory building page tables for %#llx", (unsigned long long)va);
		return FAULT_OOM;
	}
	pte_t e = kmm_read_pte(k, c, slot);
	assert(!(e & PTE_PS));  /* thp_handle_fault() took huge leaves */
	if (is_swap_pte(e))
		r = do_swap_page(k, mm, c, v, slot, e, va, code);
	else if (!(e & PTE_P))
		r = v->file ? filemap_fault(k, mm, c, v, slot, va, code)
			    : do_anonymous_page(k, mm, c, v, slot, va, code);
	else if ((code & PF_W) && !(e & PTE_RW))
		r = (v->flags & VM_SHARED) ? filemap_wp_shared(k, mm, c, slot, e, va)
					   : do_wp_page(k, mm, c, v, slot, e, va);
	else
		k->pgfault_spurious++;
	if (r == FAULT_OOM)
		errf(why, "out of memory on a fault at %#llx%s%s", (unsigned long long)va,
		     k->oom_msg[0] ? ": " : "", k->oom_msg);
	else if (r == FAULT_SIGBUS && is_swap_pte(e))
		errf(why, "SIGBUS: bad swap entry %#llx at %#llx", (unsigned long long)e,
		     (unsigned long long)va);
	else if (r == FAULT_SIGBUS)
		errf(why, "SIGBUS: access at %#llx beyond the end of the mapped file",
		     (unsigned long long)va);
	return r;
}
