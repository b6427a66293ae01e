/* The page-fault handler (arch/x86/mm/fault.c do_user_addr_fault() and
 * mm/memory.c handle_mm_fault()), for anonymous private memory.
 *
 * A fault is a trap from the hardware with the faulting address and the x86
 * error code. The handler finds the VMA, checks the access against its
 * protection (access_error()), builds any missing tables and installs the
 * PTE. Not-present anonymous pages get a fresh zeroed frame
 * (do_anonymous_page(); the shared zero page for read faults comes with issue
 * vm-fault). The PTE is written without A: the x86 walker sets it on the
 * retried access, as pte_sw_mkyoung() is a no-op there; a write fault maps it
 * dirty (pte_mkdirty()). A fault on a PTE that already allows the access is
 * spurious (a stale TLB entry was dropped by the #PF) and just returns. */
#include "kernel/mm/kmm.h"

#include <stdio.h>
#include "lib/config.h"
#include "lib/jsonutil.h"
#include "lib/trace.h"
#include "sim/cpu/core.h"
#include "sim/mmu/pte.h"

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

static enum fault_result do_anonymous_page(struct kmm *k, struct mm *mm, struct core *c,
					   const struct vma *v, paddr_t slot, uint32_t code)
{
	int64_t pfn = kmm_alloc_pages(k, c, -1, GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0, PG_anon);
	if (pfn < 0)
		return FAULT_OOM;
	k->memmap[pfn].mapcount = 1;
	pte_t e = ((paddr_t)pfn << PAGE_SHIFT) | pte_prot_bits(v->prot);
	if (code & PF_W)
		e |= PTE_D;
	kmm_write_pte(k, c, slot, e);
	k->memmap[slot >> PAGE_SHIFT].pt_used++;
	k->pgfault_anon++;
	if (++mm->rss_anon > mm->hiwater_rss)
		mm->hiwater_rss = mm->rss_anon;
	return FAULT_DONE;
}

enum fault_result kmm_page_fault(struct kmm *k, struct mm *mm, struct core *c,
				 vaddr_t va, uint32_t code, char *why)
{
	c->clock += k->cfg->kernel.cost.fault;
	k->pgfault++;
	if (code & PF_RSVD) {
		errf(why, "reserved bit set in a paging entry for %#llx (kernel bug)",
		     (unsigned long long)va);
		return FAULT_SIGBUS;
	}
	const struct vma *v = va < mm->task_size ? vma_find(mm, va) : NULL;
	if (!v || access_error(v, code)) {
		k->segv++;
		errf(why, "SIGSEGV: %s %s at %#llx", code & PF_W ? "write" : "read",
		     !v ? "of unmapped address" : "against the mapping's protection",
		     (unsigned long long)va);
		return FAULT_SIGSEGV;
	}
	paddr_t slot = pt_alloc_path(k, mm, c, va);
	if (!slot) {
		errf(why, "out of memory building page tables for %#llx", (unsigned long long)va);
		return FAULT_OOM;
	}
	pte_t e = kmm_read_pte(k, c, slot);
	if (!(e & PTE_P)) {
		enum fault_result r = do_anonymous_page(k, mm, c, v, slot, code);
		if (r == FAULT_OOM)
			errf(why, "out of memory on a fault at %#llx", (unsigned long long)va);
		return r;
	}
	if ((code & PF_W) && !(e & PTE_RW)) {
		/* do_wp_page(): an anonymous page with one mapping is reused. */
		kmm_write_pte(k, c, slot, e | PTE_RW | PTE_D);
		k->pgfault_wp++;
		return FAULT_DONE;
	}
	k->pgfault_spurious++;
	return FAULT_DONE;
}
