/* TLB flushing after the kernel changed or removed PTEs (arch/x86/mm/tlb.c).
 *
 * flush_tlb_mm_range(): the initiating core flushes locally; every other core
 * in the mm's cpumask gets an IPI, takes the interrupt, flushes, and
 * acknowledges; the initiator waits for the slowest acknowledgement
 * (synchronous, as native_flush_tlb_multi()). Ranges of at most
 * kernel.flush_ceiling pages (Linux's tlb_single_page_flush_ceiling, 33) are
 * flushed with one INVLPG per page, larger ones with a full flush.
 * tlb_finish_mmu() flushes only the span of PTEs an unmap really cleared
 * (none: no flush), and only then frees the gathered frames, so no core can
 * reach a freed frame through a stale entry. Lazy-TLB, batching policies and PCIDs
 * come with issue smp-shootdown. */
#include "kernel/mm/kmm.h"

#include "lib/config.h"
#include "sim/cpu/core.h"

static void flush_one_core(struct core *t, vaddr_t start, vaddr_t end, bool full)
{
	if (full) {
		core_flush_tlb(t);
		return;
	}
	for (vaddr_t va = start; va < end; va += PAGE_SIZE)
		core_invlpg(t, va);
}

void flush_tlb_mm_range(struct kmm *k, struct mm *mm, struct core *c,
			vaddr_t start, vaddr_t end)
{
	uint64_t pages = (end - start) >> PAGE_SHIFT;
	bool full = pages > k->cfg->kernel.flush_ceiling;
	cycles_t done = 0;

	if (full)
		k->flush_full++;
	else
		k->flush_pages += pages;
	for (unsigned i = 0; i < k->ncores; i++) {
		if (!(mm->cpumask & (1ull << i)))
			continue;
		struct core *t = k->cores[i];
		if (t == c) {
			flush_one_core(t, start, end, full);
			continue;
		}
		/* IPI: send, deliver, handle, acknowledge. */
		c->clock += k->cfg->ipi.send;
		k->ipi_sent++;
		cycles_t arrive = c->clock + k->cfg->ipi.latency;
		if (t->clock < arrive)
			t->clock = arrive;
		t->clock += k->cfg->ipi.handler;
		flush_one_core(t, start, end, full);
		cycles_t ack = t->clock + k->cfg->ipi.latency;
		if (ack > done)
			done = ack;
	}
	if (done) {
		k->shootdown++;
		if (c->clock < done)
			c->clock = done;
	}
}

void tlb_finish_mmu(struct kmm *k, struct mm *mm, struct core *c)
{
	if (k->gather_lo < k->gather_hi)
		flush_tlb_mm_range(k, mm, c, k->gather_lo, k->gather_hi);
	k->gather_lo = k->gather_hi = 0;
	for (size_t i = 0; i < k->ngather; i++)
		kmm_free_page(k, c, k->gather[i]);
	k->ngather = 0;
}
