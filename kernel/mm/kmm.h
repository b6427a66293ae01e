/* The guest kernel's memory manager: one struct holds all of its state, so
 * two machines can run side by side (STYLE.md).
 *
 * The kernel reaches hardware only through architectural interfaces
 * (DESIGN.md contract 2): it writes PTEs into simulated physical memory,
 * loads CR3, executes INVLPG, and sends IPIs. Its own memory work (zeroing a
 * page, reading and writing PTEs) goes through the memory port of the core it
 * runs on and is charged to that core's clock, on top of the configured
 * kernel.cost.* figures. */
#ifndef MMSIM_KMM_H
#define MMSIM_KMM_H

#include "lib/types.h"
#include "kernel/mm/buddy.h"
#include "kernel/mm/zone.h"
#include "kernel/mm/memblock.h"
#include "kernel/mm/mempolicy.h"
#include "kernel/mm/page.h"
#include "kernel/mm/gfp.h"

struct mmsim_cfg;
struct memsys;
struct core;
struct stats;
struct rmap_state;
struct cma;
struct hugetlb;

/* One virtual memory area (Linux's vm_area_struct, cut down). */
struct vma {
	vaddr_t start, end;     /* [start, end), page aligned */
	uint32_t prot;          /* PROT_R/W/X from lib/trace.h */
	uint32_t anon_vma;      /* id of its anon_vma (rmap.h), 0: none yet */
	uint64_t pgoff;         /* linear page offset of start (vm_pgoff):
	                         * start >> PAGE_SHIFT at mmap, kept by split,
	                         * merge and mremap */
	uint32_t flags;         /* VM_* below */
	struct mempolicy mpol;  /* mbind() policy (mempolicy.h); MPOL_DEFAULT:
	                         * the mm's */
	uint32_t file;          /* id of the mapped file (filemap.h), 0: anonymous;
	                         * pgoff is then the file page at start */
};

/* vma.flags (Linux's vm_flags, the ones modelled) */
#define VM_GROWSDOWN  0x01u  /* a stack: faults just below extend it */
#define VM_LOCKED     0x02u  /* mlock()ed: populated, never reclaimed */
#define VM_HUGEPAGE   0x04u  /* madvise(MADV_HUGEPAGE) */
#define VM_NOHUGEPAGE 0x08u  /* madvise(MADV_NOHUGEPAGE), MAP_STACK */
#define VM_NORESERVE  0x10u  /* MAP_NORESERVE: not charged to overcommit */
#define VM_HUGETLB    0x20u  /* hugetlbfs pages */
#define VM_IMAGE      0x40u  /* text or data of the program image (layout) */
#define VM_HUGE_1G    0x80u  /* with VM_HUGETLB: 1G pages (else 2M) */
#define VM_HUGETLB_RESV 0x100u /* with VM_HUGETLB: owns the reservations of its
                                * unfaulted pages (HPAGE_RESV_OWNER) */
#define VM_SHARED     0x1000u /* MAP_SHARED file mapping: writes reach the file */

/* kmm_mmap() flags (MAP_*) */
#define KMAP_FIXED           0x001u  /* replace whatever is there */
#define KMAP_FIXED_NOREPLACE 0x002u  /* exactly there, -EEXIST if taken */
#define KMAP_POPULATE        0x004u  /* fault every page in now */
#define KMAP_NORESERVE       0x008u
#define KMAP_GROWSDOWN       0x010u  /* a stack VMA that grows down */
#define KMAP_STACK           0x020u  /* a thread stack: no THP (VM_NOHUGEPAGE) */
#define KMAP_HUGETLB         0x040u  /* from the hugetlb pool, 2M pages */
#define KMAP_HUGE_1GB        0x080u  /* with KMAP_HUGETLB: 1G pages */
#define KMAP_LOCKED          0x100u  /* MAP_LOCKED: mlock()ed at once */

/* One address space (Linux's mm_struct). */
struct mm {
	uint64_t id;            /* unique for the run (ASID slots name mms by it) */
	uint64_t tlb_gen;       /* bumped by every flush of its translations */
	paddr_t pgd;            /* physical address of the PML4: what CR3 holds */
	struct vma *vma;        /* sorted by start, non-overlapping */
	uint32_t nvma, cap;
	uint64_t cpumask;       /* cores that may cache its translations (mm_cpumask) */
	uint64_t rss_anon;      /* anonymous pages mapped */
	uint64_t hugetlb_pages; /* 4K pages of hugetlb pages mapped (not RSS) */
	uint64_t rss_file;      /* page-cache pages mapped (MM_FILEPAGES) */
	uint64_t pt_pages;      /* paging-structure pages, PML4 included */
	uint64_t hiwater_rss;
	vaddr_t mmap_base;      /* top of the top-down mmap area */
	vaddr_t task_size;      /* end of the user address space (TASK_SIZE) */
	uint64_t min_flt, maj_flt; /* faults of this mm (getrusage's ru_minflt/majflt) */
	uint64_t swap_ents;     /* swap entries in its page tables (VmSwap) */
	int32_t oom_score_adj;  /* -1000..1000; -1000: never chosen by the OOM killer */
	uint64_t cow_copies;    /* do_wp_page() copies made for it */
	/* the program layout (layout.c); 0 when the process has none */
	vaddr_t start_code, end_code, start_data, end_data;
	vaddr_t start_brk, brk; /* the heap: [start_brk, brk) */
	vaddr_t start_stack;    /* top of the main stack */
	uint64_t hiwater_vm;    /* VmPeak in pages */
	struct mempolicy mpol;  /* set_mempolicy() policy (mempolicy.h) */
};

enum fault_result { FAULT_DONE, FAULT_SIGSEGV, FAULT_OOM, FAULT_SIGBUS };

/* Why a TLB flush was needed ("mm.tlbflush.cause.<name>"). */
enum flush_cause { FLUSH_MUNMAP, FLUSH_MPROTECT, FLUSH_EXIT, FLUSH_COW, FLUSH_FORK,
		   FLUSH_MIGRATE, FLUSH_MADVISE, FLUSH_THP, FLUSH_RECLAIM, FLUSH_MREMAP, FLUSH_CAUSES };
extern const char *const flush_cause_name[FLUSH_CAUSES];

/* Pages per flush request, by bucket ("mm.tlbflush.pages_hist.<upper>"):
 * 1, 2, 4, 8, 16, 33 (the ceiling's range), and above (full flushes). */
#define FLUSH_HIST_BUCKETS 7

/* Per-core shootdown counters ("coreN.ipi.*"). */
struct core_ipi_stats {
	uint64_t sent, received;
	uint64_t initiate_cycles;   /* sending IPIs */
	uint64_t wait_cycles;       /* waiting for the acknowledgements */
	uint64_t handle_cycles;     /* taking IPIs and flushing for others */
};

/* Per-core PCID bookkeeping, as Linux's cpu_tlbstate: a few dynamic ASID
 * slots, each remembering which mm it last held and how up to date its TLB
 * entries are (the mm's tlb_gen when they were last flushed). */
#define TLB_NR_DYN_ASIDS 6
struct asid_slot {
	uint64_t mm_id;         /* 0: empty */
	uint64_t gen;           /* the mm's tlb_gen this core's entries reflect */
};
struct cpu_tlbstate {
	struct asid_slot slot[TLB_NR_DYN_ASIDS];
	unsigned next;          /* round-robin victim slot */
	unsigned cur;           /* slot of the loaded mm */
	struct mm *loaded;      /* the mm CR3 holds, or NULL */
	bool is_lazy;           /* idle, `loaded` kept for a quick return
	                         * (enter_lazy_tlb with kernel.lazy_tlb) */
	uint64_t lazy_gen;      /* without PCIDs: the loaded mm's tlb_gen as of
	                         * this core's last flush of it (with PCIDs
	                         * the slots keep it) */
};

/* kernel.shootdown.mode deferred: a remote invalidation waiting for its
 * core's next kernel entry or tick, and the frames it holds back. */
struct tlb_defer_batch {
	uint64_t *pfn;          /* frames freed once every record is applied */
	size_t n;
	unsigned pending;       /* records not yet applied */
};
struct tlb_defer {
	struct mm *mm;
	vaddr_t start, end;
	bool full;
	struct tlb_defer_batch *batch;
};
struct tlb_defer_queue {
	struct tlb_defer *rec;
	size_t n, cap;
	cycles_t deadline;      /* apply by then (tick); CYCLES_NEVER if empty */
};
#define CYCLES_NEVER UINT64_MAX

struct kmm {
	const struct mmsim_cfg *cfg;
	struct memsys *ms;
	struct core **cores;    /* the machine's cores, for shootdown IPIs */
	unsigned ncores;
	struct cpu_tlbstate *tlbstate; /* per core */
	uint64_t next_mm_id;
	int levels;             /* paging levels: 4, or 5 with LA57 */
	vaddr_t user_va_end;    /* end of the user half for that many levels */
	struct page *memmap;    /* one struct page per frame, indexed by PFN */
	uint64_t nframes;
	struct memblock memblock; /* holes and reserved ranges (memblock.h) */
	struct cma *cma;        /* the CMA area (cma.c), NULL: none */
	struct pglist_data *node; /* [nr_nodes]: NUMA nodes and their zones (zone.h) */
	struct kmem *kmem;      /* kernel address space, slab, vmalloc (slab.h) */
	unsigned nr_nodes;
	uint64_t min_free_kbytes; /* in force: kernel.min_free_kbytes or calculated */
	struct page_alloc_stats pa; /* allocator slow paths, pcp, compaction */
	struct pageops *pageops;  /* trace page-allocator ops' state (pageops.c) */
	uint64_t *gather;       /* frames waiting for the TLB flush (mmu_gather) */
	size_t ngather, gather_cap;
	vaddr_t gather_lo, gather_hi; /* span of the leaf PTEs cleared since the
	                               * last flush; lo >= hi: none */
	bool gather_freed_tables;     /* paging structures among the gathered frames */
	struct tlb_defer_queue *defer;  /* per core (kernel.shootdown.mode deferred) */
	int fail_countdown;     /* fault injection: the Nth page allocation fails */
	struct rmap_state *rmap; /* anon_vma table (rmap.c) */
	struct mm **mms;        /* live mms, oldest first (mm.c; khugepaged's list) */
	uint32_t nmms, mms_cap;
	/* transparent huge pages (thp.c) */
	bool thp_ready;         /* the fields below were set from the config */
	uint32_t thp_enabled, thp_defrag; /* in force: the config's, or a sysctl op's */
	cycles_t khugepaged_next;         /* next scan at this cycle */
	uint32_t khugepaged_mm;           /* scan cursor: index into mms ... */
	vaddr_t khugepaged_addr;          /* ... and address in it */
	uint64_t zero_pfn;      /* the shared zero page (fault.c): a reserved frame */
	uint64_t huge_zero_pfn; /* the huge zero page (thp.c), 0: none now */
	uint64_t huge_zero_refs; /* PMDs mapping it */
	struct hugetlb *hugetlb; /* hugetlbfs pools (hugetlb.h) */
	struct filemap *filemap;  /* files, page cache, the disk (filemap.h) */
	cycles_t writeback_next;  /* the flusher's next wake-up (writeback_tick) */
	/* reclaim and swap (vmscan.c) */
	struct swap_info *swap; /* the swap area, NULL without swap.size */
	struct blkdev *swapdev;
	struct reclaim_stats *vm;     /* vmscan.h */
	bool in_reclaim;        /* PF_MEMALLOC: allocations made by reclaim itself */
	/* the OOM killer's way to end a process (machine.c): kill the process
	 * owning mm (not the one running on c); false if none does */
	bool (*oom_kill)(void *arg, struct mm *mm, struct core *c, const char *why);
	void *oom_arg;
	char oom_msg[320];      /* the OOM killer's last report */
	bool oom_panic;         /* kernel.panic_on_oom fired: the run must stop */

	/* counters ("mm.*") */
	uint64_t pgfault, pgfault_anon, pgfault_spurious, pgfault_wp;
	uint64_t segv, oom_kills;
	uint64_t pgfault_zero;                  /* read faults mapping the zero page */
	uint64_t cow_copy, cow_reuse, cow_zero; /* do_wp_page() outcomes */
	uint64_t fork_calls, exec_calls;
	uint64_t brk_calls, madvise_calls, mlock_calls, populate_pages, stack_grows;
	uint64_t lazyfree_pages;
	uint64_t thp_fault_alloc, thp_fault_fallback, thp_split_page, thp_split_pmd;
	uint64_t thp_split_enomem;  /* splits refused: no page table (ENOMEM) */
	uint64_t thp_zero_page_alloc, thp_zero_page_alloc_failed, thp_zero_page_fault;
	uint64_t thp_collapse_alloc, thp_collapse_alloc_failed;
	uint64_t khugepaged_full_scans, khugepaged_pages_scanned, khugepaged_wakeups;
	uint64_t pgalloc, pgfree, pt_alloc, pt_free;
	uint64_t mmap_calls, munmap_calls, mprotect_calls;
	uint64_t mremap_calls, mremap_moves, mremap_expands, mremap_enomem;
	uint64_t mremap_moved_ptes, mremap_moved_pmds; /* entries carried by move_page_tables() */
	uint64_t flush_pages, flush_full, shootdown, ipi_sent;
	uint64_t flush_cause[FLUSH_CAUSES];     /* flush requests by cause */
	uint64_t shootdown_cause[FLUSH_CAUSES]; /* those that needed IPIs */
	uint64_t flush_hist[FLUSH_HIST_BUCKETS];
	uint64_t lazy_enter;     /* idle switches that kept the mm (lazy TLB) */
	uint64_t lazy_skipped;   /* shootdown targets skipped as lazy */
	uint64_t lazy_leave;     /* lazy cores sent away by a freed-tables flush */
	uint64_t defer_queued, defer_applied, defer_dropped, defer_forced;
	struct core_ipi_stats *ipi;             /* per core */
};

struct kmm *kmm_create(const struct mmsim_cfg *cfg, struct memsys *ms,
		       struct core **cores, unsigned ncores, struct stats *st);
void kmm_destroy(struct kmm *k);

/* --- page allocation (page.c) --- */
/* alloc_pages_node(): 2^order contiguous frames for `state` (PG_anon,
 * PG_pgtable ...) as gfp allows, preferring node nid (-1: the node of core
 * c), charged to c; zeroed with __GFP_ZERO, a compound page with
 * __GFP_COMP. Returns the first PFN or -1 when the allocation fails. */
int64_t kmm_alloc_pages(struct kmm *k, struct core *c, int nid, gfp_t gfp, unsigned order,
			uint32_t state);
/* __free_pages(): give back a block from kmm_alloc_pages of that order
 * (refcount 1, no mappings left). */
void kmm_free_pages(struct kmm *k, struct core *c, uint64_t pfn, unsigned order);
/* alloc_pages_vma(): a user page (PG_anon ...) for va in vma of mm, placed
 * by the NUMA policy (the VMA's, else the mm's: mempolicy.h); with MPOL_BIND
 * no node outside the policy's mask is used. The fault handler, COW and THP
 * (fault.c, thp.c) allocate user pages through it, so mbind() policies
 * apply; kmm_alloc_pages() with nid -1 still applies the process policy of
 * the mm loaded on core c to __GFP_HARDWALL (user) allocations. */
int64_t kmm_alloc_pages_vma(struct kmm *k, struct core *c, struct mm *mm, struct vma *vma,
			    vaddr_t va, gfp_t gfp, unsigned order, uint32_t state);
/* mbind(): policy mode (enum mpol_mode) over nodes for the VMAs of
 * [start, start+len), split at both ends; -EFAULT when part of the range is
 * not mapped. (vma_can_join() compares mpol, so merges keep
 * policies apart.) */
int kmm_mbind(struct kmm *k, struct mm *mm, vaddr_t start, uint64_t len, unsigned mode,
	      uint16_t nodes);
/* The node a user page for va should come from under the policies of vma
 * (may be NULL) and mm, faulting on core c (policy_node()). */
int mpol_node_for(struct kmm *k, struct mm *mm, struct vma *vma, vaddr_t va, struct core *c);
/* The trace's page-allocator ops (pageops.c); name: a trace.kobjs index.
 * alloc_pages returns the PFN or -1; free_pages -1 when the name holds no
 * block; snapshot copies the buddy.*, numa.* and mm.pcp/compact counters
 * as "snapshot.NAME[.N].<counter>"; drop_caches drains the pcp lists (no
 * page cache yet). */
int64_t kmm_op_alloc_pages(struct kmm *k, struct core *c, uint32_t name, unsigned order,
			   gfp_t gfp, int nid);
int kmm_op_free_pages(struct kmm *k, struct core *c, uint32_t name);
void kmm_op_compact(struct kmm *k, struct core *c, int nid);
/* cma_alloc of count frames aligned to 2^align under name (the PFN or -1);
 * cma_release of the name (-1 when it holds no CMA block). */
int64_t kmm_op_cma_alloc(struct kmm *k, struct core *c, uint32_t name, uint64_t count,
			 unsigned align);
int kmm_op_cma_release(struct kmm *k, struct core *c, uint32_t name);
void kmm_op_drop_caches(struct kmm *k, struct core *c, unsigned what);
void kmm_op_snapshot(struct kmm *k, struct stats *st, uint32_t name, const char *label);
/* One zeroed frame, GFP_KERNEL (kernel data, page tables). */
int64_t kmm_alloc_page(struct kmm *k, struct core *c, uint32_t state);
void kmm_free_page(struct kmm *k, struct core *c, uint64_t pfn);
/* put_page() refs times: drop refs references to order-0 page pfn; the
 * last one frees it (a page pinned for DMA outlives its last mapping). */
void kmm_put_page(struct kmm *k, struct core *c, uint64_t pfn, int32_t refs);
/* Timed kernel accesses to physical memory from core c. */
pte_t kmm_read_pte(struct kmm *k, struct core *c, paddr_t pa);
void kmm_write_pte(struct kmm *k, struct core *c, paddr_t pa, pte_t v);

/* --- address spaces (mm.c) --- */
struct mm *mm_create(struct kmm *k, struct core *c);   /* NULL when out of memory */
/* exit_mmap(): unmap everything, flush, free pages and page tables. */
void mm_destroy(struct kmm *k, struct mm *mm, struct core *c);
/* dup_mmap() (fork.c): a child mm sharing parent's pages copy-on-write; the
 * parent's write-protected translations are flushed. NULL when out of memory. */
struct mm *kmm_fork(struct kmm *k, struct mm *parent, struct core *c);

/* --- VMAs (vma.c) --- */
struct vma *vma_find(struct mm *mm, vaddr_t va);        /* VMA containing va */
int vma_insert(struct mm *mm, vaddr_t start, vaddr_t end, uint32_t prot);
void vma_remove_range(struct mm *mm, vaddr_t start, vaddr_t end);
/* vma_insert() with VM_* flags. */
int vma_add(struct mm *mm, vaddr_t start, vaddr_t end, uint32_t prot, uint32_t flags);
/* vma_add() of a file mapping: file id, file page pgoff at start. */
int vma_add_file(struct mm *mm, vaddr_t start, vaddr_t end, uint32_t prot, uint32_t flags,
		 uint32_t file, uint64_t pgoff);
/* Give [start, end) (mapped throughout) new rights (VMA_KEEP_PROT: keep
 * each VMA's) and flags, splitting and merging VMAs as needed. */
#define VMA_KEEP_PROT UINT32_MAX
void vma_modify(struct mm *mm, vaddr_t start, vaddr_t end, uint32_t prot,
		uint32_t set, uint32_t clear);
/* mremap: a VMA like *tmpl (rights, flags, anon_vma, policy) over
 * [start, end) with that pgoff, merged where it can be (copy_vma()); -1 if
 * the range is not free. vma_extend(): v now ends at end (free before). */
int vma_add_copy(struct mm *mm, const struct vma *tmpl, vaddr_t start, vaddr_t end,
		 uint64_t pgoff);
void vma_extend(struct mm *mm, struct vma *v, vaddr_t end);
/* Pages covered by VMAs (total_vm, VmSize). */
uint64_t mm_total_vm(const struct mm *mm);
/* Make addr a VMA boundary (split the VMA straddling it, if any). */
void vma_split(struct mm *mm, vaddr_t addr);
/* Merge VMA i with compatible neighbours; returns the merged VMA's index. */
uint32_t vma_merge_at(struct mm *mm, uint32_t i);
/* Index of the first VMA ending above va (mm->nvma if none). */
uint32_t vma_index(const struct mm *mm, vaddr_t va);
/* Is [start, end) covered by VMAs without a gap? */
bool vma_range_mapped(const struct mm *mm, vaddr_t start, vaddr_t end);
bool vma_range_free(const struct mm *mm, vaddr_t start, vaddr_t end);
vaddr_t get_unmapped_area(const struct mm *mm, vaddr_t hint, uint64_t len);
int vma_validate(const struct mm *mm, char *err);

/* --- page tables (pgtable.c) --- */
/* Physical address of va's PTE, allocating missing tables; 0 when out of
 * memory. Where a huge (PS) leaf maps va, the address of that entry. */
paddr_t pt_alloc_path(struct kmm *k, struct mm *mm, struct core *c, vaddr_t va);
/* The same down to the entry at `level` (2: the PDE). */
paddr_t pt_alloc_to(struct kmm *k, struct mm *mm, struct core *c, vaddr_t va, int level);
/* Put a frame (refcount 1, no mapping) on the mmu_gather list: freed after
 * the next tlb_finish_mmu()'s flush. */
void pt_gather_page(struct kmm *k, uint64_t pfn);
/* The shared 4K zero page's PFN (0: none). */
uint64_t kmm_zero_pfn(struct kmm *k);
/* Clear the PTEs of [start, end), gather their frames, free tables left empty. */
void pt_zap_range(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start, vaddr_t end);
/* Free every remaining table, PML4 last (after everything was zapped). */
void pt_free_all(struct kmm *k, struct mm *mm, struct core *c);
/* Rewrite the rights of the present PTEs of [start, end) to `bits` (the
 * PTE_RW/PTE_US/PTE_NX part); returns the span changed (lo >= hi: none). */
void pt_change_prot(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start,
		    vaddr_t end, pte_t bits, vaddr_t *lo, vaddr_t *hi);

/* --- TLB flushing (tlbflush.c) --- */
/* flush_tlb_mm_range(): invalidate [start, end) on every core that may cache
 * mm's translations. */
void flush_tlb_mm_range(struct kmm *k, struct mm *mm, struct core *c,
			vaddr_t start, vaddr_t end, enum flush_cause cause);
/* tlb_finish_mmu(): flush the span of PTEs cleared since the last call (if
 * any), then free the gathered frames. */
void tlb_finish_mmu(struct kmm *k, struct mm *mm, struct core *c, enum flush_cause cause);
/* flush_tlb_kernel_range(): invalidate kernel (global) translations of
 * [start, end) on every core, by IPIs (vmalloc's lazy purge). */
void flush_tlb_kernel_range(struct kmm *k, struct core *c, vaddr_t start, vaddr_t end);
/* switch_mm_irqs_off(): make core c run next (NULL: no user mm, an idle
 * core), loading CR3 — with PCIDs, reusing the mm's ASID slot on this core
 * without a flush when nothing changed since (tlb_gen) — and keeping the mm
 * cpumasks. */
void switch_mm(struct kmm *k, struct core *c, struct mm *next);
/* Deferred shootdowns: apply core c's pending invalidations (its kernel
 * entries, switch_mm and its tick call this); tlb_defer_due says the tick
 * has come. tlb_defer_force_mm() completes, by IPIs from c, every pending
 * invalidation of mm on other cores (before its address space can be
 * reused); tlb_defer_forget_mm() drops them when mm dies. */
void tlb_defer_run(struct kmm *k, struct core *c);
void tlb_defer_force_mm(struct kmm *k, struct mm *mm, struct core *c);
void tlb_defer_forget_mm(struct kmm *k, struct mm *mm, struct core *c);
/* For --check: does core c's PCID pcid hold entries the kernel would use
 * without a flush? If so *mm is the mm they must agree with. */
bool kmm_pcid_current(const struct kmm *k, unsigned core, uint16_t pcid, struct mm **mm);

/* --- faults and syscalls (fault.c, mmap.c) --- */
/* The rights bits of a user PTE for a VMA's protection (vm_get_page_prot()):
 * P and US always — PROT_NONE keeps P but drops US, so user accesses fault
 * while the kernel can still reach the page —, RW for PROT_W, NX without
 * PROT_X. */
pte_t pte_prot_bits(uint32_t prot);
/* copy_user_highpage(): copy frame src to dst, timed on core c. */
void kmm_copy_page(struct kmm *k, struct core *c, uint64_t dst, uint64_t src);
/* handle_mm_fault(): why gets a one-line reason for a kill. */
enum fault_result kmm_page_fault(struct kmm *k, struct mm *mm, struct core *c,
				 vaddr_t va, uint32_t error_code, char *why);
/* mmap/munmap as the syscalls: return the address / 0, or a negative errno.
 * flags: KMAP_* (true, as KMAP_FIXED, keeps older callers right). */
int64_t kmm_mmap(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr,
		 uint64_t len, uint32_t prot, uint32_t flags);
int kmm_munmap(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr, uint64_t len);
/* mmap of file `file` (filemap.h) from byte offset off (page aligned),
 * shared (MAP_SHARED) or private; beyond that as kmm_mmap(). */
int64_t kmm_mmap_file(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr,
		      uint64_t len, uint32_t prot, uint32_t flags, uint32_t file, uint64_t off,
		      bool shared);
/* munmap's work without the syscall's cost and count (do_vmi_munmap()). */
int do_munmap(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr, uint64_t len);
/* mremap() (mremap.c): flags KMREMAP_*; returns the mapping's address or
 * -errno. */
#define KMREMAP_MAYMOVE 1
#define KMREMAP_FIXED   2
int64_t kmm_mremap(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr,
		   uint64_t old_len, uint64_t new_len, uint32_t flags, vaddr_t new_addr);
/* mprotect(): new rights for [addr, addr+len), which must be mapped
 * throughout (else -ENOMEM, as Linux). */
int kmm_mprotect(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr, uint64_t len,
		 uint32_t prot);
/* madvise() advice, Linux's values (madvise.c) */
#define KMADV_WILLNEED    3
#define KMADV_DONTNEED    4
#define KMADV_FREE        8
#define KMADV_HUGEPAGE   14
#define KMADV_NOHUGEPAGE 15
#define KMADV_COLLAPSE   25
int kmm_madvise(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr, uint64_t len,
		int advice);
/* mlock()/munlock() of [addr, addr+len): 0 or -errno (madvise.c). */
int kmm_mlock(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr, uint64_t len,
	      bool lock);
/* populate_vma_page_range(): fault in every page of [start, end) as a
 * write where the VMA is writable; returns pages faulted or -errno. */
int64_t kmm_populate(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start, vaddr_t end);
/* brk(): move the program break to newbrk (0: just query); returns the
 * break in force afterwards, as the syscall (layout.c). */
vaddr_t kmm_brk(struct kmm *k, struct mm *mm, struct core *c, vaddr_t newbrk);
/* The standard program layout (layout.c): text, data, heap (brk), the
 * top-down mmap area and a grows-down stack. rnd: 0 for the fixed Linux
 * addresses, else the random bits that place each part (from the run
 * seed). Returns 0 or -ENOMEM. */
struct mm_layout {
	uint64_t text, data, stack;   /* bytes */
};
int mm_setup_layout(struct kmm *k, struct mm *mm, struct core *c, const struct mm_layout *l,
		    uint64_t rnd);
/* A fault below a grows-down VMA: extend it to cover va if the stack gap
 * and limit allow (expand_stack()); true if it did. */
bool vma_expand_stack(struct mm *mm, vaddr_t va);

/* /proc/PID/maps, smaps_rollup and status of mm as text into buf (n
 * bytes, cut if short); comm is the process name. Return the length the
 * full text has (procfs.c). */
size_t proc_maps(struct kmm *k, struct mm *mm, const char *comm, char *buf, size_t n);
size_t proc_smaps_rollup(struct kmm *k, struct mm *mm, char *buf, size_t n);
size_t proc_status(struct kmm *k, struct mm *mm, const char *comm, char *buf, size_t n);

/* The whole kernel's invariants (buddy lists, page states, page tables
 * against struct page). 0 or -1 with err. */
int kmm_validate(struct kmm *k, struct mm *const *mms, size_t nmm, char *err);

#endif
