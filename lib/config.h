/* Machine configuration (configs/NAME.json), validated once and then trusted.
 *
 * Every key has a built-in default equal to configs/default.json, so a config
 * file need only name what it changes. Every key is checked when loaded: an
 * unknown key, a wrong type or an out-of-range value is an error naming the
 * file and the key path, and nothing is simulated. The format is documented in
 * docs/config-format.md. */
#ifndef MMSIM_CONFIG_H
#define MMSIM_CONFIG_H

#include <stdio.h>
#include "lib/types.h"

/* Replacement policies of translation structures ("lru", "plru", ...). */
enum repl_policy { REPL_LRU, REPL_PLRU, REPL_RANDOM, REPL_FIFO };

/* One set-associative translation structure (a TLB or a paging-structure
 * cache). entries == 0: the structure does not exist. */
struct cfg_tlb {
	uint32_t entries;   /* total entries; a multiple of ways */
	uint32_t ways;      /* ways == entries: fully associative */
	uint32_t latency;   /* cycles charged for a lookup */
	uint32_t policy;    /* enum repl_policy */
};

/* One cache level ("cache.l1d.*" ...). size == 0: the level is absent. */
struct cfg_cache {
	uint64_t size;      /* bytes */
	uint32_t ways;
	uint32_t latency;   /* cycles added by a lookup at this level */
	uint32_t policy;    /* enum cache_policy */
};
enum cache_policy { CPOL_LRU, CPOL_PLRU, CPOL_RANDOM, CPOL_SRRIP, CPOL_BRRIP };
enum mem_model { MEMMODEL_HIERARCHY, MEMMODEL_FLAT };
/* kernel.shootdown.mode */
enum shootdown_mode { SHOOTDOWN_SYNC, SHOOTDOWN_DEFERRED };
extern const char *const cfg_shootdown_names[];
/* kernel.direct_map: the largest page size of the kernel's direct map */
enum direct_map_size { DIRECT_MAP_1G, DIRECT_MAP_2M, DIRECT_MAP_4K };
/* kernel.reclaim.young_flush: the TLB flush after reclaim clears Accessed bits */
enum young_flush { YOUNG_FLUSH_NONE, YOUNG_FLUSH_BATCH, YOUNG_FLUSH_PAGE };
/* kernel.thp.enabled and kernel.thp.defrag (docs/vm.md), as
 * /sys/kernel/mm/transparent_hugepage/{enabled,defrag} */
enum thp_enabled { THP_ALWAYS, THP_MADVISE, THP_NEVER };
enum thp_defrag { THP_DEFRAG_ALWAYS, THP_DEFRAG_DEFER, THP_DEFRAG_DEFER_MADVISE,
		  THP_DEFRAG_MADVISE, THP_DEFRAG_NEVER };
enum cache_inclusion { CINCL_NONINCLUSIVE, CINCL_INCLUSIVE, CINCL_EXCLUSIVE };

/* Page sizes the STLB holds ("tlb.stlb.sizes"). */
enum stlb_sizes { STLB_4K, STLB_4K_2M, STLB_4K_2M_1G };

/* "iommu.mode": translate (DMA remapping), passthrough (identity domains),
 * off (no IOMMU: bus address = physical address). */
enum iommu_mode { IOMMU_TRANSLATE, IOMMU_PASSTHROUGH, IOMMU_OFF };

struct mmsim_cfg {
	char name[64];             /* "name": free text shown in reports */
	uint64_t seed;             /* "seed": the run's seed (contract 5) */
	uint32_t cores;            /* "cores": 1..64 */

	struct {
		uint64_t size;         /* "memory.size": bytes, a multiple of 4K, 16M..1T */
		uint32_t model;        /* "memory.model": enum mem_model */
		uint32_t dram_latency; /* "memory.dram_latency": cycles of every access
		                        * in the flat model */
		struct {               /* "memory.dram.*": the hierarchy's DRAM */
			uint32_t channels, banks;
			uint64_t row;      /* bytes of one bank's row */
			uint32_t tcas, trcd, trp, burst;
			uint32_t controller; /* fixed cycles of every DRAM access */
		} dram;
		uint32_t numa_nodes;   /* "memory.numa.nodes" */
		uint32_t numa_remote;  /* "memory.numa.remote": extra cycles off-node */
		char numa_distance[256]; /* "memory.numa.distance": "" (uniform remote) or
		                        * N rows of N extra-cycle figures, rows split by
		                        * ';', e.g. "0 120; 120 0" */
		char holes[512];       /* "memory.holes": "SIZE@START, ..." not RAM
		                        * (kernel/mm/memblock.h) */
	} memory;

	struct {                   /* "cache.*": used by memory.model hierarchy */
		uint32_t line;         /* "cache.line": bytes, every level */
		struct cfg_cache l1i, l1d, l2, llc;
		bool l1d_write_through;/* "cache.l1d.write_through" */
		uint32_t llc_slices;   /* "cache.llc.slices" */
	bool llc_wb_noalloc;   /* "cache.llc.wb_noalloc" */
		uint32_t inclusion;    /* "cache.inclusion": enum cache_inclusion */
		uint32_t c2c_latency;  /* "cache.c2c_latency" */
		uint32_t inval_latency;/* "cache.inval_latency" */
	} cache;

	struct {
		bool pcid;             /* "tlb.pcid": CR4.PCIDE: entries tagged by PCID */
		bool inclusive;        /* "tlb.inclusive": STLB evictions also drop the
		                        * L1 copies */
		/* "tlb.l1d.4k.{entries,ways,latency,policy}" and so on */
		struct cfg_tlb l1d_4k, l1d_2m, l1d_1g;
		struct cfg_tlb l1i_4k, l1i_2m;
		struct cfg_tlb stlb;   /* "tlb.stlb.*": unified second level */
		uint32_t stlb_sizes;   /* "tlb.stlb.sizes": enum stlb_sizes */
		struct cfg_tlb stlb_1g;/* "tlb.stlb1g.*": separate 1G second level */
	} tlb;

	struct {
		uint32_t ad_update;    /* "mmu.ad_update": extra cycles of the locked
		                        * write that sets A and/or D bits */
		uint32_t maxphyaddr;   /* "mmu.maxphyaddr": 36..52; PTE bits from it
		                        * to 51 are reserved (#PF with RSVD) */
		bool la57;             /* "mmu.la57": 5-level paging, 57-bit VAs */
		bool smep, smap;       /* "mmu.smep", "mmu.smap": CR4 bits */
		/* paging-structure caches: "mmu.pwc.{pml5e,pml4e,pdpte,pde}.*" */
		struct cfg_tlb pwc_pml5e, pwc_pml4e, pwc_pdpte, pwc_pde;
	} mmu;

	struct {
		uint32_t access;       /* "cpu.access": cycles a load/store issues in,
		                        * on top of translation and memory */
		uint32_t instruction;  /* "cpu.instruction": cycles of a recorded
		                        * instruction that makes no data access */
		uint64_t quantum;      /* "cpu.quantum": round-robin time slice */
		uint32_t context_switch; /* "cpu.context_switch": cycles per switch */
		uint32_t cr3_load;     /* "cpu.cr3_load": cycles of a MOV to CR3 */
		uint32_t invlpg;       /* "cpu.invlpg": cycles of one INVLPG */
		uint32_t invpcid;      /* "cpu.invpcid": cycles of one INVPCID */
	} cpu;

	struct {
		uint32_t send;         /* "ipi.send": initiator's cycles per IPI */
		uint32_t latency;      /* "ipi.latency": send-to-delivery cycles */
		uint32_t handler;      /* "ipi.handler": receiver's entry+exit cycles */
	} ipi;

	struct {
		uint32_t max_order;    /* "kernel.max_order": buddy lists 0..max_order-1, 1..20 */
		uint32_t flush_ceiling;/* "kernel.flush_ceiling": INVLPG up to this many
		                        * pages, else a full flush (Linux: 33) */
		bool lazy_tlb;         /* "kernel.lazy_tlb": idle cores stay lazy */
		struct {
			bool skip_lazy;    /* "kernel.shootdown.skip_lazy" */
			uint32_t mode;     /* "kernel.shootdown.mode": enum shootdown_mode */
			uint64_t defer_cycles; /* "kernel.shootdown.defer_cycles" */
			uint32_t defer_cost;   /* "kernel.shootdown.defer_cost" */
		} shootdown;
		struct {
			uint32_t fault;    /* "kernel.cost.fault": #PF entry, exit, lookup */
			uint32_t syscall;  /* "kernel.cost.syscall": entry+exit of a syscall */
			uint32_t clone;    /* "kernel.cost.clone": creating a thread */
			uint32_t mmap;     /* "kernel.cost.mmap": VMA work of mmap */
			uint32_t munmap;   /* "kernel.cost.munmap": VMA work of munmap */
			uint32_t mprotect; /* "kernel.cost.mprotect": VMA work of mprotect */
			uint32_t page_alloc; /* "kernel.cost.page_alloc": buddy alloc bookkeeping */
			uint32_t page_free;  /* "kernel.cost.page_free": buddy free bookkeeping */
			uint32_t pcp_alloc;  /* "kernel.cost.pcp_alloc": per-cpu list fast path */
			uint32_t pcp_free;   /* "kernel.cost.pcp_free" */
			uint32_t pcp_page;   /* "kernel.cost.pcp_page": per frame of a pcp
			                      * refill or drain (under the zone lock) */
			uint32_t compact_page; /* "kernel.cost.compact_page": bookkeeping of
			                      * migrating one page, besides its copy */
			/* slab (kernel/mm/slub.c, vmalloc.c) */
			uint32_t slab_alloc_fast; /* "kernel.cost.slab_alloc_fast" */
			uint32_t slab_alloc_slow; /* "kernel.cost.slab_alloc_slow" */
			uint32_t slab_free_fast;  /* "kernel.cost.slab_free_fast" */
			uint32_t slab_free_slow;  /* "kernel.cost.slab_free_slow" */
			uint32_t slab_new;        /* "kernel.cost.slab_new": setting up a slab */
			uint32_t vmalloc;         /* "kernel.cost.vmalloc": area bookkeeping */
			uint32_t vfree;           /* "kernel.cost.vfree" */
			uint32_t filemap;  /* "kernel.cost.filemap": page-cache lookup/insert */
		} cost;
		/* page cache and files (kernel/mm/filemap.c, readahead.c, writeback.c) */
		uint64_t fault_around_bytes; /* "kernel.fault_around_bytes" */
		struct {
			uint64_t max;      /* "kernel.readahead.max": bytes (read_ahead_kb) */
			uint64_t initial;  /* "kernel.readahead.initial": bytes, 0 = as Linux */
		} readahead;
		struct {
			uint32_t background_ratio;    /* "kernel.dirty.background_ratio" */
			uint32_t ratio;               /* "kernel.dirty.ratio" */
			uint32_t expire_centisecs;    /* "kernel.dirty.expire_centisecs" */
			uint32_t writeback_centisecs; /* "kernel.dirty.writeback_centisecs" */
		} dirty;
		uint64_t cycles_per_centisec; /* "kernel.cycles_per_centisec" */
		struct {
			uint32_t enabled;  /* "kernel.thp.enabled": enum thp_enabled */
			uint32_t defrag;   /* "kernel.thp.defrag": enum thp_defrag */
			uint32_t pages_to_scan; /* "kernel.thp.khugepaged.pages_to_scan" */
			uint64_t scan_sleep;    /* "kernel.thp.khugepaged.scan_sleep": cycles */
			uint32_t max_ptes_none; /* "kernel.thp.khugepaged.max_ptes_none" */
			bool use_zero_page;     /* "kernel.thp.use_zero_page" */
		} thp;
		struct {
			uint32_t nr_2m;    /* "kernel.hugetlb.nr_hugepages_2m": boot pool */
			uint32_t nr_1g;    /* "kernel.hugetlb.nr_hugepages_1g" */
		} hugetlb;
		/* phys-mm (kernel/mm/zone.c, pcp.c, compaction.c) */
		uint64_t min_free_kbytes;  /* "kernel.min_free_kbytes": 0 = as Linux computes */
		uint32_t watermark_scale_factor; /* "kernel.watermark_scale_factor" */
		uint64_t movablecore;      /* "kernel.movablecore": bytes of ZONE_MOVABLE */
		uint64_t cma;              /* "kernel.cma": bytes of the CMA area */
		uint32_t cma_node;         /* "kernel.cma_node": the node it is on */
		char reserved[512];        /* "kernel.reserved": "SIZE@START, ..." RAM
		                            * reserved at boot (kernel/mm/memblock.h) */
		uint32_t pcp_high, pcp_batch; /* "kernel.pcp.{high,batch}": 0 = as Linux */
		uint32_t compaction_proactiveness; /* "kernel.compaction_proactiveness" */
		uint32_t direct_map;       /* "kernel.direct_map": enum direct_map_size */
		char slub_debug[16];       /* "kernel.slub_debug": "" or letters of FZPU */
		/* reclaim (kernel/mm/vmscan.c) */
		uint32_t swappiness;       /* "kernel.swappiness": vm.swappiness, 0..200 */
		bool kswapd;               /* "kernel.kswapd": background reclaim runs */
		uint32_t young_flush;      /* "kernel.reclaim.young_flush": enum young_flush */
		uint32_t page_cluster;     /* "kernel.page_cluster": log2 of swap readahead */
		bool panic_on_oom;         /* "kernel.panic_on_oom" */
		uint32_t reclaim_page;     /* "kernel.cost.reclaim_page" */
		uint32_t swap_fault;       /* "kernel.cost.swap_fault" */
	} kernel;

	struct {                   /* "disk.*": the block device holding files (sim/blk) */
		uint64_t size;         /* "disk.size": bytes */
		uint64_t latency;      /* "disk.latency": cycles per request */
		uint64_t block_cycles; /* "disk.block_cycles": link cycles per 4 KiB */
	} disk;
	struct {                   /* "swap.*": the swap device (sim/blk) */
		uint64_t size;         /* "swap.size": bytes, 0 = no swap */
		uint64_t latency;      /* "swap.latency": cycles per request */
		uint32_t block_cycles; /* "swap.block_cycles": link cycles per 4K block */
	} swap;

	struct {                   /* "iommu.*": sim/iommu and kernel/mm/dma.c */
		uint32_t mode;         /* "iommu.mode": enum iommu_mode */
		bool coherent;         /* "iommu.coherent": IO walks snoop the caches */
		bool strict;           /* "iommu.strict": invalidate the IOTLB at every
		                        * unmap (else lazily, in batches) */
		uint32_t lazy_batch;   /* "iommu.lazy_batch": unmaps deferred before a flush */
		uint64_t lazy_timeout; /* "iommu.lazy_timeout": cycles an unmap may wait */
		struct cfg_tlb iotlb;  /* "iommu.iotlb.*": tagged by domain id */
		struct cfg_tlb pwc_pml4e, pwc_pdpte, pwc_pde; /* "iommu.pwc.*" */
		uint32_t ctx_cache;    /* "iommu.ctx_cache": context-cache entries */
		uint32_t inv_page, inv_domain, inv_global, inv_context, inv_wait;
		                       /* "iommu.inv.*": cycles per invalidation descriptor */
		uint32_t fault_log;    /* "iommu.fault_log": fault records kept */
		uint32_t bandwidth;    /* "iommu.dma_bandwidth": device bytes per cycle */
		uint64_t swiotlb;      /* "iommu.swiotlb": bounce-buffer pool bytes */
		uint32_t map_cost;     /* "iommu.cost.map": kernel cycles per map call */
		uint32_t unmap_cost;   /* "iommu.cost.unmap": kernel cycles per unmap call */
		uint32_t clflush;      /* "iommu.cost.clflush": cycles per IO PTE flushed
		                        * when not coherent */
	} iommu;

	struct {                   /* "check.*": invariant checking (kernel/mm/check.c) */
		uint64_t interval;     /* "check.interval": after every N-th kernel
		                        * operation; 0 = off; --check[=N] overrides */
	} check;
};

/* Fill cfg with the built-in defaults (the documented default machine). */
void cfg_defaults(struct mmsim_cfg *cfg);

/* Load a JSON config file over the current contents of cfg (normally the
 * defaults). Returns 0, or -1 with a message "PATH: key.path: what" in err
 * (MMSIM_ERR_LEN bytes). cfg may be partly written on error. */
int cfg_load(struct mmsim_cfg *cfg, const char *path, char *err);

/* Apply one "key.path=value" override (from -s); value is parsed as the
 * key's type (numbers, sizes with K/M/G/T units, strings, true/false).
 * origin names the source in messages ("-s"). Returns 0 or -1 with err. */
int cfg_set(struct mmsim_cfg *cfg, const char *assignment, const char *origin, char *err);

/* Cross-key checks after all loads and overrides (ways divides entries,
 * ...). */
int cfg_check(const struct mmsim_cfg *cfg, const char *origin, char *err);

/* The effective config as a JSON text (caller frees), for provenance in
 * --stats output: every key, in schema order. */
char *cfg_to_json(const struct mmsim_cfg *cfg);

/* Every key as a Markdown table row (key, type, range, default, meaning),
 * in schema order: the table of docs/config-format.md. */
void cfg_print_keys(FILE *f);

#endif
