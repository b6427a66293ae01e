/* Boot and teardown of the guest memory manager.
 *
 * Boot (as Linux's memblock hand-over, much simplified): the first 1 MiB of
 * physical memory is reserved for firmware, as on a PC, and so are the
 * config's holes and reserved ranges (memblock.c); every other frame goes to
 * the buddy lists of its node's zone (zones_init(), zone.c). The
 * memmap is one calloc'd array: the host backs only the struct pages the
 * kernel touches (boot writes the heads of free blocks only), so a 64 GiB
 * guest costs the host a few tens of MiB until its memory is used. */
#include "kernel/mm/kmm.h"
#include "kernel/mm/hugetlb.h"
#include "kernel/mm/rmap.h"
#include "kernel/mm/filemap.h"
#include "kernel/mm/slab.h"
#include "kernel/mm/vmscan.h"

#include <stdlib.h>
#include "lib/config.h"
#include "lib/stats.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"

static void kmm_register_stats(struct kmm *k, struct stats *st)
{
	stats_add(st, &k->pgfault, "mm.pgfault");
	stats_add(st, &k->pgfault_anon, "mm.pgfault.anon");
	stats_add(st, &k->pgfault_wp, "mm.pgfault.wp");
	stats_add(st, &k->pgfault_spurious, "mm.pgfault.spurious");
	stats_add(st, &k->segv, "mm.segv");
	stats_add(st, &k->pgfault_zero, "mm.pgfault.zero_page");
	stats_add(st, &k->cow_copy, "mm.cow.copy");
	stats_add(st, &k->cow_reuse, "mm.cow.reuse");
	stats_add(st, &k->cow_zero, "mm.cow.zero_page");
	stats_add(st, &k->fork_calls, "mm.fork");
	stats_add(st, &k->exec_calls, "mm.exec");
	stats_add(st, &k->brk_calls, "mm.brk");
	stats_add(st, &k->madvise_calls, "mm.madvise");
	stats_add(st, &k->mlock_calls, "mm.mlock");
	stats_add(st, &k->populate_pages, "mm.populate_pages");
	stats_add(st, &k->stack_grows, "mm.stack_grow");
	stats_add(st, &k->lazyfree_pages, "mm.lazyfree_pages");
	stats_add(st, &k->thp_fault_alloc, "mm.thp.fault_alloc");
	stats_add(st, &k->thp_fault_fallback, "mm.thp.fault_fallback");
	stats_add(st, &k->thp_split_page, "mm.thp.split_page");
	stats_add(st, &k->thp_split_pmd, "mm.thp.split_pmd");
	stats_add(st, &k->thp_split_enomem, "mm.thp.split_enomem");
	stats_add(st, &k->thp_zero_page_alloc, "mm.thp.zero_page_alloc");
	stats_add(st, &k->thp_zero_page_alloc_failed, "mm.thp.zero_page_alloc_failed");
	stats_add(st, &k->thp_zero_page_fault, "mm.thp.zero_page_fault");
	stats_add(st, &k->thp_collapse_alloc, "mm.thp.collapse_alloc");
	stats_add(st, &k->thp_collapse_alloc_failed, "mm.thp.collapse_alloc_failed");
	stats_add(st, &k->khugepaged_wakeups, "mm.thp.khugepaged.wakeups");
	stats_add(st, &k->khugepaged_full_scans, "mm.thp.khugepaged.full_scans");
	stats_add(st, &k->khugepaged_pages_scanned, "mm.thp.khugepaged.pages_scanned");
	stats_add(st, &k->oom_kills, "mm.oom_kill");
	stats_add(st, &k->pgalloc, "mm.pgalloc");
	stats_add(st, &k->pgfree, "mm.pgfree");
	stats_add(st, &k->pt_alloc, "mm.pgtable_alloc");
	stats_add(st, &k->pt_free, "mm.pgtable_free");
	stats_add(st, &k->mmap_calls, "mm.mmap");
	stats_add(st, &k->munmap_calls, "mm.munmap");
	stats_add(st, &k->mprotect_calls, "mm.mprotect");
	stats_add(st, &k->mremap_calls, "mm.mremap");
	stats_add(st, &k->mremap_moves, "mm.mremap.moves");
	stats_add(st, &k->mremap_expands, "mm.mremap.expands");
	stats_add(st, &k->mremap_enomem, "mm.mremap.enomem");
	stats_add(st, &k->mremap_moved_ptes, "mm.mremap.moved_ptes");
	stats_add(st, &k->mremap_moved_pmds, "mm.mremap.moved_pmds");
	stats_add(st, &k->flush_pages, "mm.tlbflush.pages");
	stats_add(st, &k->flush_full, "mm.tlbflush.full");
	stats_add(st, &k->shootdown, "mm.tlbflush.shootdown");
	stats_add(st, &k->ipi_sent, "mm.tlbflush.ipi");
	for (int i = 0; i < FLUSH_CAUSES; i++) {
		stats_add(st, &k->flush_cause[i], "mm.tlbflush.cause.%s", flush_cause_name[i]);
		stats_add(st, &k->shootdown_cause[i], "mm.tlbflush.shootdown.%s",
			  flush_cause_name[i]);
	}
	static const char *const hist[FLUSH_HIST_BUCKETS] = { "1", "2", "4", "8", "16", "33",
							     "more" };
	for (int b = 0; b < FLUSH_HIST_BUCKETS; b++)
		stats_add(st, &k->flush_hist[b], "mm.tlbflush.pages_hist.%s", hist[b]);
	stats_add(st, &k->lazy_enter, "mm.tlbflush.lazy.enter");
	stats_add(st, &k->lazy_skipped, "mm.tlbflush.lazy.skipped");
	stats_add(st, &k->lazy_leave, "mm.tlbflush.lazy.leave");
	stats_add(st, &k->defer_queued, "mm.tlbflush.deferred.queued");
	stats_add(st, &k->defer_applied, "mm.tlbflush.deferred.applied");
	stats_add(st, &k->defer_dropped, "mm.tlbflush.deferred.dropped");
	stats_add(st, &k->defer_forced, "mm.tlbflush.deferred.forced");
	for (unsigned i = 0; i < k->ncores; i++) {
		stats_add(st, &k->ipi[i].sent, "core%u.ipi.sent", i);
		stats_add(st, &k->ipi[i].received, "core%u.ipi.received", i);
		stats_add(st, &k->ipi[i].initiate_cycles, "core%u.ipi.initiate_cycles", i);
		stats_add(st, &k->ipi[i].wait_cycles, "core%u.ipi.wait_cycles", i);
		stats_add(st, &k->ipi[i].handle_cycles, "core%u.ipi.handle_cycles", i);
	}

	zones_register_stats(k, st);
}

struct kmm *kmm_create(const struct mmsim_cfg *cfg, struct memsys *ms,
		       struct core **cores, unsigned ncores, struct stats *st)
{
	struct kmm *k = calloc(1, sizeof(*k));
	if (!k)
		abort();
	k->cfg = cfg;
	k->ms = ms;
	k->cores = cores;
	k->ncores = ncores;
	k->nframes = ms->pm.nframes;
	k->tlbstate = calloc(ncores, sizeof(*k->tlbstate));
	k->ipi = calloc(ncores, sizeof(*k->ipi));
	k->defer = calloc(ncores, sizeof(*k->defer));
	for (unsigned i = 0; i < ncores; i++)
		k->defer[i].deadline = CYCLES_NEVER;
	k->levels = cfg->mmu.la57 ? 5 : 4;
	k->user_va_end = cfg->mmu.la57 ? USER_VA_END_LA57 : USER_VA_END;
	k->memmap = calloc(k->nframes, sizeof(*k->memmap));
	if (!k->memmap)
		abort();
	memblock_init(k);   /* the firmware MiB, memory.holes, kernel.reserved */
	zones_init(k);
	if (st)
		kmm_register_stats(k, st);
	filemap_init(k, st);
	kmem_init(k, st);   /* kernel page tables, kmalloc caches (slab.h) */
	hugetlb_init(k, st); /* the 2M pool from the buddy allocator */
	vmscan_init(k, st); /* swap device, reclaim counters (vmscan.h) */
	return k;
}

void kmm_destroy(struct kmm *k)
{
	if (!k)
		return;
	kmem_fini(k);
	filemap_destroy(k);
	vmscan_fini(k);
	rmap_destroy(k);
	hugetlb_destroy(k);
	free(k->mms);
	zones_destroy(k);
	free(k->memmap);
	free(k->gather);
	free(k->tlbstate);
	free(k->ipi);
	for (unsigned i = 0; k->defer && i < k->ncores; i++) {
		/* records still pending at the end: their batches go too */
		for (size_t j = 0; j < k->defer[i].n; j++) {
			struct tlb_defer_batch *b = k->defer[i].rec[j].batch;
			if (b && --b->pending == 0) {
				free(b->pfn);
				free(b);
			}
		}
		free(k->defer[i].rec);
	}
	free(k->defer);
	free(k);
}
