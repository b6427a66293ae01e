/* Page reclaim and swap (mm/vmscan.c, mm/swap.c, mm/memory.c's
 * do_swap_page(), mm/oom_kill.c).
 *
 * LRU: every anonymous page mapped by the fault handler (new page, COW copy,
 * THP, collapse, migration target, swap-in) is put on the inactive anon
 * list of the node that holds it (lru_cache_add()); a page leaves the lists
 * when it is freed (page_cache_release() at the last put), and moves with
 * its flags when it is migrated or a huge page is split
 * (lru_add_split_folio()). Pages of VM_LOCKED VMAs are PG_mlocked and sit
 * on the unevictable list. A THP is one entry, its head page, as a folio is.
 *
 * Reclaim (shrink_node()): for priority 12 down to 0, each evictable list
 * is scanned by its size >> priority, anon against file weighed by
 * swappiness (get_scan_count(), without Linux's recent-cost feedback). The
 * active lists are aged only while their inactive list is low
 * (inactive_is_low(): inactive * sqrt(10 * GiB) < active): their pages go to
 * the inactive list with their Accessed bits cleared. An inactive page
 * whose PTEs were referenced since the last scan (Accessed bits read and
 * cleared through rmap) is activated if it was referenced before
 * (PG_referenced) or by several PTEs, else kept for one more round
 * (folio_check_references()); an unreferenced one is reclaimed: an
 * anonymous page gets a swap slot and joins the swap cache, every PTE
 * mapping it is replaced by the swap entry (try_to_unmap(), the TLB
 * flushed once per mm per batch), it is written to the swap device if
 * dirty (pageout(): one batch of writes submitted together, the reclaimer
 * waiting for the last) and freed. A page pinned by more references than
 * mappings (DMA, get_user_pages) is not reclaimed.
 *
 * kswapd: an allocation that finds a zone below its low watermark wakes
 * the node's kswapd; it runs at the next scheduling tick on the core that
 * is running (charging that core, as a kernel thread would steal it), and
 * reclaims until a zone of the node is above its high watermark
 * (balance_pgdat()). An allocation that fails at the min watermark reclaims
 * directly (try_to_free_pages(), at least 32 pages), and when reclaim makes
 * no progress the OOM killer picks the process with the highest badness:
 * rss + swap entries + page tables, plus oom_score_adj thousandths of
 * memory; -1000 is never chosen. */
#ifndef MMSIM_VMSCAN_H
#define MMSIM_VMSCAN_H

#include "lib/types.h"
#include "kernel/mm/gfp.h"
#include "kernel/mm/kmm.h"
#include "kernel/mm/lru.h"
#include "sim/mmu/pte.h"

struct kmm;
struct core;
struct mm;
struct vma;
struct stats;
enum fault_result;

#define SWAP_CLUSTER_MAX 32     /* pages per reclaim batch */
#define DEF_PRIORITY 12

/* Counters ("mm.vmscan.*", "mm.swap.*"; /proc/vmstat's names). */
struct reclaim_stats {
	uint64_t pgscan_kswapd, pgscan_direct;   /* inactive pages scanned */
	uint64_t pgsteal_kswapd, pgsteal_direct; /* pages reclaimed */
	uint64_t pgscan_anon, pgscan_file, pgsteal_anon, pgsteal_file;
	uint64_t pgrefill;        /* active pages scanned */
	uint64_t pgactivate, pgdeactivate;
	uint64_t pgrotated;       /* referenced once: kept on the inactive list */
	uint64_t pgpinned;        /* skipped: pinned beyond their mappings */
	uint64_t pswpin, pswpout; /* pages read from / written to swap */
	uint64_t pgmajfault;
	uint64_t swap_cache_hit;  /* swap faults served from the swap cache */
	uint64_t swap_ra;         /* pages read ahead into the swap cache */
	uint64_t swap_ra_hit;     /* ... and later faulted on */
	uint64_t swap_full;       /* anon pages kept: no free slot */
	uint64_t allocstall;      /* direct reclaim entries */
	uint64_t pageoutrun;      /* kswapd balance_pgdat() runs */
	uint64_t kswapd_cycles, direct_cycles; /* cycles spent reclaiming */
	uint64_t swap_wait_cycles;/* cycles reclaimers waited for swap writes */
	uint64_t thp_split_reclaim;
	uint64_t oom_select;      /* OOM killer invocations that chose a victim */
	/* kswapd per node */
	bool kswapd_pending;      /* some node's kswapd is woken */
	bool kswapd_woken[8];
	unsigned kswapd_order[8];
	int kswapd_classzone[8];  /* highest zone the wakers could use */
};

/* Swap device and counters (kmm_create). */
void vmscan_init(struct kmm *k, struct stats *st);
void vmscan_fini(struct kmm *k);

/* The lruvec of the node that holds pfn. */
struct lruvec *kmm_lruvec(struct kmm *k, uint64_t pfn);
/* lru_cache_add() of a new user page (or THP head) that v maps: inactive,
 * or unevictable with PG_mlocked when v is VM_LOCKED. */
void kmm_lru_add_new(struct kmm *k, const struct vma *v, uint64_t pfn);
/* Off its list if it is on one (freeing, isolating). */
void kmm_lru_del(struct kmm *k, uint64_t pfn);
/* Back onto the list its flags name (putback_lru_page()). */
void kmm_lru_putback(struct kmm *k, uint64_t pfn);

/* mlock()/munlock() of [start, end) of mm: its mapped anonymous pages go
 * to the unevictable list with PG_mlocked, or back (a page another locked
 * VMA maps is moved back by reclaim when it meets it). */
void mlock_pages(struct kmm *k, struct mm *mm, vaddr_t start, vaddr_t end, bool lock);

/* try_to_free_pages(): direct reclaim by core c for an allocation of
 * 2^order from node nid's zonelist; returns the pages reclaimed. */
uint64_t try_to_free_pages(struct kmm *k, struct core *c, int nid, gfp_t gfp, unsigned order);
/* wakeup_kswapd(): node nid's kswapd will run at the next tick unless the
 * node is balanced for allocations that may use zones up to classzone. */
void wakeup_kswapd(struct kmm *k, int nid, unsigned order, int classzone);
/* Run the woken kswapds on core c (from the scheduler loop). */
void kswapd_tick(struct kmm *k, struct core *c);
static inline void kswapd_maybe(struct kmm *k, struct core *c)
{
	if (__builtin_expect(k->vm->kswapd_pending, 0))
		kswapd_tick(k, c);
}
/* Reclaim on node nid (all of it with nid < 0) until n pages are reclaimed
 * or nothing more can be: the trace's "reclaim" op. Returns the count. */
uint64_t kmm_reclaim_pages(struct kmm *k, struct core *c, int nid, uint64_t n);

/* out_of_memory(): choose a victim; if it is not the process running on c,
 * kill it through k->oom_kill and return true (the allocation retries);
 * false when the allocation must fail (the victim is the current process,
 * or nothing can be killed). The kill report is in k->oom_msg. */
bool out_of_memory(struct kmm *k, struct core *c, gfp_t gfp, unsigned order);

/* do_swap_page(): a fault on a swap PTE (at slot, va in v). */
enum fault_result do_swap_page(struct kmm *k, struct mm *mm, struct core *c, struct vma *v,
			       paddr_t slot, pte_t e, vaddr_t va, uint32_t code);
/* free_swap_and_cache(): a swap PTE of mm is being cleared (munmap, exit). */
void swap_pte_free(struct kmm *k, struct mm *mm, struct core *c, pte_t e);
/* A PTE mapping a swap cache page is cleared (zap): one mapping and its
 * reference go; true when that was the last user of the page and its slot,
 * so the page is now an ordinary unmapped page for the caller to free. */
bool swapcache_unmap(struct kmm *k, struct core *c, uint64_t pfn);
/* do_wp_page() on a swap cache page: drop the cache if no swap PTE needs
 * it any more; true if the page is still in the swap cache (then it must
 * be copied, not reused). */
bool swapcache_busy(struct kmm *k, struct core *c, uint64_t pfn);
/* copy_nonpresent_pte(): fork copies a swap PTE into child. */
void swap_pte_dup(struct kmm *k, struct mm *child, pte_t e);
/* Is e a swap entry naming a slot in use? (check.c) */
bool swap_pte_valid(const struct kmm *k, pte_t e);

#endif
