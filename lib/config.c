/* Machine configuration: see config.h and docs/config-format.md.
 *
 * Everything here is driven by one table, `schema`, with a row per key: its
 * dotted path, type, place in struct mmsim_cfg, range, default and a line of
 * documentation. Defaults, loading a file, -s overrides, range checks and the
 * provenance dump (cfg_to_json) all walk that table, so a new key is one row
 * plus its field in config.h (and a line in the docs and default.json; the
 * tests check both are complete).
 *
 * A file is read level by level. The keys allowed in the object at path
 * prefix P are the next components of the schema paths that start with P, so
 * an unknown key at any depth gets a "did you mean" over its siblings, and
 * the shape (leaf or object) of every key is known from the table. Cross-key
 * rules (ways divides entries, ...) wait for cfg_check(), after every file
 * and override has been applied. */
#include "lib/config.h"
#include "lib/jsonutil.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/mem/memsys.h"
#include "kernel/mm/memblock.h"
#include "kernel/mm/slab.h"

enum cfg_type {
	CFG_U32,    /* uint32_t; JSON number or decimal/0x string */
	CFG_U64,    /* uint64_t; as CFG_U32 */
	CFG_SIZE,   /* uint64_t bytes; also "4K", "16M", "1GiB" ... */
	CFG_STRING, /* char[size], NUL-terminated */
	CFG_BOOL,   /* bool; JSON true/false */
	CFG_ENUM,   /* uint32_t index into choices[]; JSON string */
};

struct cfg_key {
	const char *path;      /* "tlb.l1d.entries" */
	enum cfg_type type;
	size_t off;            /* offsetof(struct mmsim_cfg, ...) */
	size_t size;           /* sizeof the field (bytes of the char array) */
	uint64_t min, max;     /* inclusive; numeric types only */
	uint64_t def;          /* default for numeric and bool keys */
	const char *def_str;   /* default for CFG_STRING */
	const char *doc;
	const char *const *choices; /* CFG_ENUM: the names, NULL-terminated */
};

#define FIELD_SIZE(f) sizeof(((struct mmsim_cfg *)0)->f)

/* offsetof(f), failing to compile unless the field is `bytes` wide: a row
 * that says U32 for a uint64_t field is a build error, not a silent bug. */
#define FIELD(f, bytes) \
	(offsetof(struct mmsim_cfg, f) + 0 * sizeof(char[FIELD_SIZE(f) == (bytes) ? 1 : -1]))

#define U32(p, f, lo, hi, d, doc) \
	{ p, CFG_U32, FIELD(f, 4), 4, lo, hi, d, NULL, doc, NULL }
#define U64(p, f, lo, hi, d, doc) \
	{ p, CFG_U64, FIELD(f, 8), 8, lo, hi, d, NULL, doc, NULL }
#define SIZE(p, f, lo, hi, d, doc) \
	{ p, CFG_SIZE, FIELD(f, 8), 8, lo, hi, d, NULL, doc, NULL }
#define STRING(p, f, d, doc) \
	{ p, CFG_STRING, offsetof(struct mmsim_cfg, f), FIELD_SIZE(f), 0, 0, 0, d, doc, NULL }
#define BOOL(p, f, d, doc) \
	{ p, CFG_BOOL, FIELD(f, sizeof(bool)), sizeof(bool), 0, 1, d, NULL, doc, NULL }
#define ENUM(p, f, names, d, doc) \
	{ p, CFG_ENUM, FIELD(f, 4), 4, 0, ARRAY_SIZE(names) - 2, d, NULL, doc, names }

static const char *const repl_names[] = { "lru", "plru", "random", "fifo", NULL };
const char *const cfg_cache_policy_names[] = { "lru", "plru", "random", "srrip", "brrip", NULL };
static const char *const model_names[] = { "hierarchy", "flat", NULL };
const char *const cfg_inclusion_names[] = { "non-inclusive", "inclusive", "exclusive", NULL };
const char *const cfg_shootdown_names[] = { "sync", "deferred", NULL };
static const char *const iommu_mode_names[] = { "translate", "passthrough", "off", NULL };
static const char *const thp_enabled_names[] = { "always", "madvise", "never", NULL };
static const char *const thp_defrag_names[] = { "always", "defer", "defer+madvise", "madvise",
						"never", NULL };

/* The four rows of one cache level (struct cfg_cache). */
#define CACHE_ROWS(p, f, sz, lo, w, lat, what) \
	SIZE(p ".size", f.size, lo, 1ull << 40, sz, what ": bytes" ), \
	U32(p ".ways", f.ways, 1, 255, w, what ": ways"), \
	U32(p ".latency", f.latency, 0, 10000, lat, what ": cycles added by a lookup here"), \
	ENUM(p ".policy", f.policy, cfg_cache_policy_names, CPOL_LRU, \
	     what ": replacement, lru | plru | random | srrip | brrip")
static const char *const direct_map_names[] = { "1g", "2m", "4k", NULL };
static const char *const stlb_size_names[] = { "4k", "4k+2m", "4k+2m+1g", NULL };
static const char *const young_flush_names[] = { "none", "batch", "page", NULL };

/* The four rows of one translation structure (struct cfg_tlb). */
#define TLB_ROWS(p, f, e, w, lat, what) \
	U32(p ".entries", f.entries, 0, 65536, e, what ": entries (0: none)"), \
	U32(p ".ways", f.ways, 1, 65536, w, what ": ways (= entries: fully associative)"), \
	U32(p ".latency", f.latency, 0, 1000, lat, what ": lookup cycles"), \
	ENUM(p ".policy", f.policy, repl_names, REPL_LRU, \
	     what ": replacement, lru | plru | random | fifo")

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define TiB (1ull << 40)
#define COST_MAX 1000000000ull /* any cycle cost: 0..10^9 */

/* Every key, in the order of configs/default.json and cfg_to_json(). Keys
 * sharing a prefix must be adjacent (the JSON dump nests them in order). */
static const struct cfg_key schema[] = {
	STRING("name", name, "default", "free text shown in reports"),
	U64("seed", seed, 0, UINT64_MAX, 1, "seed of the run's random generator"),
	U32("cores", cores, 1, 64, 4, "number of cores"),

	SIZE("memory.size", memory.size, 16 * MiB, 1 * TiB, 4 * GiB,
	     "physical memory in bytes, a multiple of 4K"),
	ENUM("memory.model", memory.model, model_names, MEMMODEL_HIERARCHY,
	     "hierarchy: caches, DRAM banks, NUMA; flat: every access costs dram_latency"),
	U32("memory.dram.channels", memory.dram.channels, 1, 64, 2,
	    "DRAM channels per node (a power of two)"),
	U32("memory.dram.banks", memory.dram.banks, 1, 256, 16,
	    "banks per channel (a power of two)"),
	SIZE("memory.dram.row", memory.dram.row, 64, 1ull << 20, 8192,
	     "bytes of one bank's row (a power of two)"),
	U32("memory.dram.tcas", memory.dram.tcas, 0, 10000, 43,
	    "cycles to read from an open row (CL)"),
	U32("memory.dram.trcd", memory.dram.trcd, 0, 10000, 43,
	    "cycles to open a row (RAS to CAS)"),
	U32("memory.dram.trp", memory.dram.trp, 0, 10000, 43,
	    "cycles to close a row (precharge)"),
	U32("memory.dram.burst", memory.dram.burst, 1, 10000, 8,
	    "cycles a line transfer holds its channel (bandwidth)"),
	U32("memory.dram.controller", memory.dram.controller, 0, 100000, 115,
	    "fixed cycles of every DRAM access (controller, interconnect)"),
	U32("memory.numa.nodes", memory.numa_nodes, 1, 8, 1,
	    "NUMA nodes: memory split evenly, cores in contiguous blocks"),
	U32("memory.numa.remote", memory.numa_remote, 0, 100000, 120,
	    "extra cycles of an access to another node's memory"),
	STRING("memory.numa.distance", memory.numa_distance, "",
	       "extra cycles by (core's node, memory's node): rows split by ';', e.g. "
	       "\"0 120; 120 0\"; empty: memory.numa.remote off the diagonal"),
	STRING("memory.holes", memory.holes, "",
	       "physical ranges that are not RAM (firmware map gaps, MMIO): \"SIZE@START\" "
	       "separated by commas, e.g. \"512M@0xC0000000\"; never given to the allocator, "
	       "not counted present"),
	U32("cache.line", cache.line, 16, 4096, 64, "bytes of a cache line, every level"),
	CACHE_ROWS("cache.l1i", cache.l1i, 32 * KiB, 1 * KiB, 8, 4, "L1 instruction cache"),
	CACHE_ROWS("cache.l1d", cache.l1d, 32 * KiB, 1 * KiB, 8, 4, "L1 data cache"),
	BOOL("cache.l1d.write_through", cache.l1d_write_through, 0,
	     "write-through, no-write-allocate L1D (default write-back, write-allocate)"),
	CACHE_ROWS("cache.l2", cache.l2, 1 * MiB, 0, 16, 10, "per-core L2 (size 0: none)"),
	CACHE_ROWS("cache.llc", cache.llc, 5632 * KiB, 0, 11, 40, "shared LLC (size 0: none)"),
	U32("cache.llc.slices", cache.llc_slices, 1, 256, 4, "LLC slices (a power of two)"),
	BOOL("cache.llc.wb_noalloc", cache.llc_wb_noalloc, 0,
	     "writebacks that miss the LLC go to memory without allocating (cachegrind's LL)"),
	ENUM("cache.inclusion", cache.inclusion, cfg_inclusion_names, CINCL_NONINCLUSIVE,
	     "LLC inclusion: non-inclusive | inclusive | exclusive"),
	U32("cache.c2c_latency", cache.c2c_latency, 0, 100000, 50,
	    "cycles after L1+L2 for a line another core holds modified"),
	U32("cache.inval_latency", cache.inval_latency, 0, 100000, 40,
	    "cycles of the invalidation round trip when a write drops other copies"),
	U32("memory.dram_latency", memory.dram_latency, 1, 100000, 250,
	    "cycles of every memory access in the flat model"),

	BOOL("tlb.pcid", tlb.pcid, 1, "CR4.PCIDE: TLB entries are tagged with a PCID"),
	BOOL("tlb.inclusive", tlb.inclusive, 0,
	     "an STLB eviction also drops the L1 TLBs' copies"),
	TLB_ROWS("tlb.l1d.4k", tlb.l1d_4k, 64, 4, 1, "L1 data TLB, 4K pages"),
	TLB_ROWS("tlb.l1d.2m", tlb.l1d_2m, 32, 4, 1, "L1 data TLB, 2M pages"),
	TLB_ROWS("tlb.l1d.1g", tlb.l1d_1g, 4, 4, 1, "L1 data TLB, 1G pages"),
	TLB_ROWS("tlb.l1i.4k", tlb.l1i_4k, 128, 8, 1, "L1 instruction TLB, 4K pages"),
	TLB_ROWS("tlb.l1i.2m", tlb.l1i_2m, 8, 8, 1, "L1 instruction TLB, 2M pages"),
	TLB_ROWS("tlb.stlb", tlb.stlb, 1536, 12, 9, "second-level TLB"),
	ENUM("tlb.stlb.sizes", tlb.stlb_sizes, stlb_size_names, STLB_4K_2M,
	     "page sizes the STLB holds: 4k | 4k+2m | 4k+2m+1g"),
	TLB_ROWS("tlb.stlb1g", tlb.stlb_1g, 16, 4, 9, "second-level TLB for 1G pages"),
	U32("mmu.ad_update", mmu.ad_update, 0, 10000, 20,
	    "extra cycles of the locked write that sets an A or D bit"),
	BOOL("mmu.la57", mmu.la57, 0, "CR4.LA57: 5-level paging, 57-bit addresses"),
	BOOL("mmu.smep", mmu.smep, 1, "CR4.SMEP: kernel fetches from user pages fault"),
	BOOL("mmu.smap", mmu.smap, 1, "CR4.SMAP: kernel data accesses to user pages fault"),
	TLB_ROWS("mmu.pwc.pml5e", mmu.pwc_pml5e, 2, 2, 1, "PML5E cache (LA57 only)"),
	TLB_ROWS("mmu.pwc.pml4e", mmu.pwc_pml4e, 2, 2, 1, "PML4E cache"),
	TLB_ROWS("mmu.pwc.pdpte", mmu.pwc_pdpte, 4, 4, 1, "PDPTE cache"),
	TLB_ROWS("mmu.pwc.pde", mmu.pwc_pde, 32, 4, 1, "PDE cache"),
	U32("mmu.maxphyaddr", mmu.maxphyaddr, 36, 52, 46,
	    "physical address bits; PTE bits maxphyaddr..51 are reserved"),

	U32("cpu.instruction", cpu.instruction, 0, 1000, 1,
	    "cycles of a replayed instruction without a data access (ChampSim traces)"),
	U32("cpu.access", cpu.access, 0, 1000, 0,
	    "cycles a load or store issues in, on top of translation and memory"),
	U64("cpu.quantum", cpu.quantum, 1000, 1000000000000ull, 3000000,
	    "round-robin time slice in cycles"),
	U32("cpu.context_switch", cpu.context_switch, 0, COST_MAX, 2000,
	    "cycles of a context switch"),
	U32("cpu.cr3_load", cpu.cr3_load, 0, COST_MAX, 200,
	    "cycles of a MOV to CR3"),
	U32("cpu.invlpg", cpu.invlpg, 0, COST_MAX, 150,
	    "cycles of one INVLPG"),
	U32("cpu.invpcid", cpu.invpcid, 0, COST_MAX, 200,
	    "cycles of one INVPCID"),

	U32("ipi.send", ipi.send, 0, COST_MAX, 500,
	    "initiator's cycles to send one IPI"),
	U32("ipi.latency", ipi.latency, 0, COST_MAX, 1500,
	    "cycles from send to delivery"),
	U32("ipi.handler", ipi.handler, 0, COST_MAX, 1000,
	    "receiver's cycles to enter and leave the IPI handler"),

	U32("kernel.max_order", kernel.max_order, 1, 20, 11,
	    "buddy allocator keeps free lists of orders 0..max_order-1"),
	U32("kernel.flush_ceiling", kernel.flush_ceiling, 0, 1000000, 33,
	    "flush up to this many pages one by one, more with a full flush"),
	BOOL("kernel.lazy_tlb", kernel.lazy_tlb, 1,
	     "an idle core keeps the last mm loaded (lazy TLB) instead of leaving it"),
	BOOL("kernel.shootdown.skip_lazy", kernel.shootdown.skip_lazy, 1,
	     "flush IPIs skip lazy-TLB cores unless page tables were freed"),
	ENUM("kernel.shootdown.mode", kernel.shootdown.mode, cfg_shootdown_names, SHOOTDOWN_SYNC,
	     "sync: IPIs and wait (Linux); deferred: unmaps leave remote flushes to the "
	     "targets' next kernel entry or tick, holding the freed frames until then"),
	U64("kernel.shootdown.defer_cycles", kernel.shootdown.defer_cycles, 1, 1ull << 40, 3000000,
	    "deferred mode: longest a pending invalidation waits (a scheduler tick)"),
	U32("kernel.shootdown.defer_cost", kernel.shootdown.defer_cost, 0, COST_MAX, 200,
	    "deferred mode: a core's cycles to apply one pending invalidation record"),
	U32("kernel.cost.fault", kernel.cost.fault, 0, COST_MAX, 1000,
	    "cycles of page-fault entry, exit and VMA lookup"),
	U32("kernel.cost.syscall", kernel.cost.syscall, 0, COST_MAX, 150,
	    "cycles of system-call entry and exit"),
	U32("kernel.cost.mmap", kernel.cost.mmap, 0, COST_MAX, 800,
	    "cycles of the VMA work of mmap"),
	U32("kernel.cost.clone", kernel.cost.clone, 0, COST_MAX, 30000,
	    "cycles of creating a thread (clone), besides the syscall entry"),
	U32("kernel.cost.mprotect", kernel.cost.mprotect, 0, COST_MAX, 800,
	    "VMA work of one mprotect"),
	U32("kernel.cost.munmap", kernel.cost.munmap, 0, COST_MAX, 800,
	    "cycles of the VMA work of munmap"),
	U32("kernel.cost.page_alloc", kernel.cost.page_alloc, 0, COST_MAX, 150,
	    "cycles of buddy-allocator bookkeeping per allocation"),
	U32("kernel.cost.page_free", kernel.cost.page_free, 0, COST_MAX, 100,
	    "cycles of buddy-allocator bookkeeping per free"),
	ENUM("kernel.thp.enabled", kernel.thp.enabled, thp_enabled_names, THP_MADVISE,
	     "transparent huge pages: always | madvise (only MADV_HUGEPAGE ranges) | never"),
	ENUM("kernel.thp.defrag", kernel.thp.defrag, thp_defrag_names, THP_DEFRAG_MADVISE,
	     "may a THP fault reclaim/compact directly: always | defer | defer+madvise | "
	     "madvise | never (Linux's default: madvise)"),
	U32("kernel.thp.khugepaged.pages_to_scan", kernel.thp.pages_to_scan, 1, 1u << 24, 4096,
	    "pages khugepaged scans per wake-up (Linux: 4096)"),
	U64("kernel.thp.khugepaged.scan_sleep", kernel.thp.scan_sleep, 1000, 1ull << 50, 30000000,
	    "cycles khugepaged sleeps between scans (Linux: 10 s; shortened so runs see it)"),
	BOOL("kernel.thp.use_zero_page", kernel.thp.use_zero_page, 1,
	     "a read fault in a THP-eligible range maps the shared huge zero page by one "
	     "PMD (Linux's default: 1)"),
	U32("kernel.thp.khugepaged.max_ptes_none", kernel.thp.max_ptes_none, 0, 511, 511,
	    "empty PTEs a 2M range may have and still be collapsed (Linux: 511)"),
	U32("kernel.hugetlb.nr_hugepages_2m", kernel.hugetlb.nr_2m, 0, 1u << 24, 0,
	    "2M hugetlbfs pages reserved at boot, spread over the nodes (vm.nr_hugepages)"),
	U32("kernel.hugetlb.nr_hugepages_1g", kernel.hugetlb.nr_1g, 0, 64, 0,
	    "1G hugetlbfs pages set aside at boot from the top of the nodes "
	    "(hugepagesz=1G hugepages=N)"),
	U32("kernel.cost.pcp_alloc", kernel.cost.pcp_alloc, 0, COST_MAX, 40,
	    "cycles of an order-0 allocation from the per-cpu list (the fast path; "
	    "kernel.cost.page_alloc is the zone-locked path)"),
	U32("kernel.cost.pcp_free", kernel.cost.pcp_free, 0, COST_MAX, 30,
	    "cycles of an order-0 free to the per-cpu list"),
	U32("kernel.cost.pcp_page", kernel.cost.pcp_page, 0, COST_MAX, 20,
	    "cycles per frame moved by a per-cpu list refill or drain"),
	U32("kernel.cost.compact_page", kernel.cost.compact_page, 0, COST_MAX, 500,
	    "cycles of bookkeeping per page migrated by compaction, besides copying it "
	    "and rewriting its PTEs"),
	U64("kernel.min_free_kbytes", kernel.min_free_kbytes, 0, 1ull << 30, 0,
	    "vm.min_free_kbytes: the min watermark summed over zones; 0 computes it as "
	    "Linux does (sqrt(16 * lowmem KiB), 128..262144)"),
	U32("kernel.watermark_scale_factor", kernel.watermark_scale_factor, 1, 3000, 10,
	    "vm.watermark_scale_factor: low and high watermarks sit this many "
	    "ten-thousandths of a zone above the one below"),
	SIZE("kernel.movablecore", kernel.movablecore, 0, TiB, 0,
	     "bytes of ZONE_MOVABLE, taken evenly from the top of every node (movablecore=)"),
	SIZE("kernel.cma", kernel.cma, 0, TiB, 0,
	     "bytes of the CMA area (pageblocks only movable allocations may use), at "
	     "the top of kernel.cma_node's highest non-movable zone (cma=)"),
	U32("kernel.cma_node", kernel.cma_node, 0, 7, 0,
	    "NUMA node of the CMA area"),
	STRING("kernel.reserved", kernel.reserved, "",
	       "RAM reserved at boot (memblock_reserve, memmap=nn$ss): \"SIZE@START\" "
	       "separated by commas; present but never managed. The first MiB is always "
	       "reserved"),
	U32("kernel.pcp.high", kernel.pcp_high, 0, 1u << 20, 0,
	    "per-cpu list: drain when more frames than this; 0: 6 x batch (Linux)"),
	U32("kernel.pcp.batch", kernel.pcp_batch, 0, 65536, 0,
	    "per-cpu list: frames moved per refill or drain; 0: from the zone size as "
	    "Linux's zone_batchsize()"),
	U32("kernel.compaction_proactiveness", kernel.compaction_proactiveness, 0, 100, 0,
	    "vm.compaction_proactiveness: compact in the background (at each free that "
	    "leaves a zone's fragmentation score above 100 minus this); 0: never"),
	ENUM("kernel.direct_map", kernel.direct_map, direct_map_names, DIRECT_MAP_1G,
	     "largest page size of the kernel's direct map of physical memory: 1g | 2m | 4k "
	     "(Linux: 1g with gbpages)"),
	STRING("kernel.slub_debug", kernel.slub_debug, "",
	       "slub_debug for every cache: letters of F (sanity checks), Z (red zones), "
	       "P (poisoning), U (alloc/free tracking); empty: none"),
	U32("kernel.swappiness", kernel.swappiness, 0, 200, 60,
	    "vm.swappiness: the weight of anonymous pages against file pages in reclaim "
	    "(0: file only while there is some; 200: anon only)"),
	BOOL("kernel.kswapd", kernel.kswapd, 1,
	     "kswapd reclaims in the background from the low to the high watermark "
	     "(off: only direct reclaim)"),
	ENUM("kernel.reclaim.young_flush", kernel.young_flush, young_flush_names,
	     YOUNG_FLUSH_BATCH,
	     "TLB flush after reclaim clears a PTE's Accessed bit: none (x86 Linux's "
	     "ptep_clear_flush_young), batch (one per mm per scan batch), page (each)"),
	U32("kernel.page_cluster", kernel.page_cluster, 0, 6, 3,
	    "vm.page_cluster: swap readahead reads 2^N neighbouring slots"),
	BOOL("kernel.panic_on_oom", kernel.panic_on_oom, 0,
	     "vm.panic_on_oom: stop the run instead of killing a process"),
	U32("kernel.cost.reclaim_page", kernel.reclaim_page, 0, COST_MAX, 150,
	    "cycles of reclaim bookkeeping per page scanned (isolate, put back)"),
	U32("kernel.cost.swap_fault", kernel.swap_fault, 0, COST_MAX, 400,
	    "cycles of do_swap_page's bookkeeping, besides the PTE and the I/O"),
	SIZE("swap.size", swap.size, 0, TiB, 0,
	     "bytes of the swap device (0: no swap)"),
	U64("swap.latency", swap.latency, 0, 1ull << 40, 40000,
	    "cycles a swap request spends in the device (overlapping other requests)"),
	U32("swap.block_cycles", swap.block_cycles, 0, COST_MAX, 1400,
	    "cycles one 4 KiB block occupies the device's link"),
	U32("kernel.cost.slab_alloc_fast", kernel.cost.slab_alloc_fast, 0, COST_MAX, 20,
	    "cycles of a SLUB allocation from the per-CPU freelist, besides its accesses"),
	U32("kernel.cost.slab_alloc_slow", kernel.cost.slab_alloc_slow, 0, COST_MAX, 200,
	    "cycles of the SLUB allocation slow path (refill, partial lists)"),
	U32("kernel.cost.slab_free_fast", kernel.cost.slab_free_fast, 0, COST_MAX, 20,
	    "cycles of a SLUB free to the per-CPU freelist"),
	U32("kernel.cost.slab_free_slow", kernel.cost.slab_free_slow, 0, COST_MAX, 150,
	    "cycles of the SLUB free slow path (slab freelist, list moves)"),
	U32("kernel.cost.slab_new", kernel.cost.slab_new, 0, COST_MAX, 400,
	    "cycles of setting up a new slab, besides its page allocation and freelist"),
	U32("kernel.cost.vmalloc", kernel.cost.vmalloc, 0, COST_MAX, 1500,
	    "cycles of vmalloc's area search and bookkeeping, besides pages and PTEs"),
	U32("kernel.cost.vfree", kernel.cost.vfree, 0, COST_MAX, 800,
	    "cycles of vfree's bookkeeping, besides PTEs and page frees"),
	U32("kernel.cost.filemap", kernel.cost.filemap, 0, COST_MAX, 100,
	    "cycles of a page-cache lookup or insertion, besides its memory accesses"),
	SIZE("kernel.fault_around_bytes", kernel.fault_around_bytes, 4096, 2 * MiB, 65536,
	     "a read fault on a file maps up to this many bytes of cached pages around the "
	     "fault (fault_around_bytes; Linux: 64K = 16 pages; 4K: off)"),
	SIZE("kernel.readahead.max", kernel.readahead.max, 0, 64 * MiB, 128 * 1024,
	     "largest readahead window (read_ahead_kb; Linux: 128K); 0: no readahead"),
	SIZE("kernel.readahead.initial", kernel.readahead.initial, 0, 64 * MiB, 0,
	     "first window of a sequential read; 0: from the request as Linux's "
	     "get_init_ra_size()"),
	U32("kernel.dirty.background_ratio", kernel.dirty.background_ratio, 0, 100, 10,
	    "vm.dirty_background_ratio: % of dirtyable memory dirty before background "
	    "writeback starts"),
	U32("kernel.dirty.ratio", kernel.dirty.ratio, 1, 100, 20,
	    "vm.dirty_ratio: % of dirtyable memory dirty (or under writeback) at which "
	    "writers are throttled"),
	U32("kernel.dirty.expire_centisecs", kernel.dirty.expire_centisecs, 0, 1u << 30, 3000,
	    "vm.dirty_expire_centisecs: dirty data this old is written back by the flusher"),
	U32("kernel.dirty.writeback_centisecs", kernel.dirty.writeback_centisecs, 0, 1u << 30, 500,
	    "vm.dirty_writeback_centisecs: the flusher's period; 0: no periodic writeback"),
	U64("kernel.cycles_per_centisec", kernel.cycles_per_centisec, 1, 1ull << 40, 30000000,
	    "simulated cycles in 1/100 s, for the centisecs keys (3 GHz)"),
	SIZE("disk.size", disk.size, 1 * MiB, 1024 * TiB, 64 * GiB,
	     "size of the disk that holds the trace's files (sparse: costs the host only "
	     "what is written)"),
	U64("disk.latency", disk.latency, 0, 1ull << 40, 30000,
	    "cycles a request spends inside the disk, overlapping other requests (10 us "
	    "at 3 GHz, an NVMe read)"),
	U64("disk.block_cycles", disk.block_cycles, 0, 1ull << 30, 1500,
	    "cycles one 4 KiB block takes on the disk's link (about 8 GB/s at 3 GHz)"),
	ENUM("iommu.mode", iommu.mode, iommu_mode_names, IOMMU_TRANSLATE,
	     "translate: DMA remapping through IO page tables; passthrough: identity "
	     "domains; off: no IOMMU, bus address = physical"),
	BOOL("iommu.coherent", iommu.coherent, 1,
	     "IO page walks snoop the CPU caches (else they read memory and the kernel "
	     "flushes each IO PTE it writes)"),
	BOOL("iommu.strict", iommu.strict, 1,
	     "invalidate the IOTLB at every unmap (else lazily, one domain flush per batch)"),
	U32("iommu.lazy_batch", iommu.lazy_batch, 1, 65536, 256,
	    "lazy mode: unmaps deferred before one flush (Linux's flush queue)"),
	U64("iommu.lazy_timeout", iommu.lazy_timeout, 1, 1ull << 40, 30000000,
	    "lazy mode: the next unmap flushes once the oldest deferred one is this many "
	    "cycles old (Linux's 10 ms flush-queue timer)"),
	TLB_ROWS("iommu.iotlb", iommu.iotlb, 64, 8, 2, "IOTLB (4K/2M/1G, tagged by domain)"),
	TLB_ROWS("iommu.pwc.pml4e", iommu.pwc_pml4e, 4, 4, 1, "IOMMU PML4E cache"),
	TLB_ROWS("iommu.pwc.pdpte", iommu.pwc_pdpte, 8, 4, 1, "IOMMU PDPTE cache"),
	TLB_ROWS("iommu.pwc.pde", iommu.pwc_pde, 32, 4, 1, "IOMMU PDE cache"),
	U32("iommu.ctx_cache", iommu.ctx_cache, 0, 4096, 16,
	    "context-cache entries (0: none)"),
	U32("iommu.inv.page", iommu.inv_page, 0, COST_MAX, 300,
	    "cycles of a page-selective IOTLB invalidation"),
	U32("iommu.inv.domain", iommu.inv_domain, 0, COST_MAX, 600,
	    "cycles of a domain-selective IOTLB invalidation"),
	U32("iommu.inv.global", iommu.inv_global, 0, COST_MAX, 1000,
	    "cycles of a global IOTLB invalidation"),
	U32("iommu.inv.context", iommu.inv_context, 0, COST_MAX, 400,
	    "cycles of a context-cache invalidation"),
	U32("iommu.inv.wait", iommu.inv_wait, 0, COST_MAX, 200,
	    "cycles of an invalidation-wait descriptor (queue drained)"),
	U32("iommu.fault_log", iommu.fault_log, 1, 65536, 256,
	    "DMA fault records kept (later ones are counted, not kept)"),
	U32("iommu.dma_bandwidth", iommu.bandwidth, 1, 4096, 16,
	    "bytes a device's DMA engine moves per cycle"),
	SIZE("iommu.swiotlb", iommu.swiotlb, 0, 1 * GiB, 4 * MiB,
	     "bounce-buffer pool for devices whose mask cannot reach a buffer"),
	U32("iommu.cost.map", iommu.map_cost, 0, COST_MAX, 200,
	    "kernel cycles of one dma_map call besides its memory accesses"),
	U32("iommu.cost.unmap", iommu.unmap_cost, 0, COST_MAX, 200,
	    "kernel cycles of one dma_unmap call besides its memory accesses"),
	U32("iommu.cost.clflush", iommu.clflush, 0, COST_MAX, 50,
	    "cycles of flushing one written IO PTE's line when not coherent"),

	U64("check.interval", check.interval, 0, UINT64_MAX, 0,
	    "check invariants after every N-th kernel operation and at the end; 0: off "
	    "(mmsim run --check[=N] overrides)"),
};

#define NKEYS ARRAY_SIZE(schema)
#define PATH_MAX_LEN 128 /* longer than any schema path */

/* Top-level keys that are not settings: a free description for people. */
static const char *const extra_top_keys[] = { "description" };

static void *field(struct mmsim_cfg *cfg, const struct cfg_key *k)
{
	return (char *)cfg + k->off;
}

static const void *cfield(const struct mmsim_cfg *cfg, const struct cfg_key *k)
{
	return (const char *)cfg + k->off;
}

static const struct cfg_key *find_key(const char *path)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(schema[i].path, path) == 0)
			return &schema[i];
	return NULL;
}

/* Does some key lie below the object path `path` ("tlb.l1d")? */
static bool is_object_path(const char *path)
{
	size_t n = strlen(path);
	for (size_t i = 0; i < NKEYS; i++)
		if (strncmp(schema[i].path, path, n) == 0 && schema[i].path[n] == '.')
			return true;
	return false;
}

/* "4G" when v is a whole number of the largest such unit, else plain bytes. */
static void fmt_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;
	while (v != 0 && u < 3 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v, units[u]);
}

static void fmt_value(const struct cfg_key *k, uint64_t v, char *buf, size_t len)
{
	if (k->type == CFG_SIZE)
		fmt_size(v, buf, len);
	else
		snprintf(buf, len, "%" PRIu64, v);
}

static int check_range(const struct cfg_key *k, uint64_t v, const char *origin, char *err)
{
	if (v >= k->min && v <= k->max)
		return 0;
	char val[32], lo[32], hi[32];
	fmt_value(k, v, val, sizeof(val));
	fmt_value(k, k->min, lo, sizeof(lo));
	fmt_value(k, k->max, hi, sizeof(hi));
	return errf(err, "%s: %s: %s is out of range (%s..%s)", origin, k->path, val, lo, hi);
}

static uint64_t get_num(const struct mmsim_cfg *cfg, const struct cfg_key *k)
{
	const void *p = cfield(cfg, k);
	switch (k->type) {
	case CFG_U32:
	case CFG_ENUM: return *(const uint32_t *)p;
	case CFG_U64:
	case CFG_SIZE: return *(const uint64_t *)p;
	case CFG_BOOL: return *(const bool *)p;
	case CFG_STRING: break;
	}
	assert(!"get_num: not a numeric key");
	return 0;
}

/* Store a value already parsed and range-checked. */
static void set_num(struct mmsim_cfg *cfg, const struct cfg_key *k, uint64_t v)
{
	void *p = field(cfg, k);
	switch (k->type) {
	case CFG_U32:
	case CFG_ENUM: *(uint32_t *)p = (uint32_t)v; return;
	case CFG_U64:
	case CFG_SIZE: *(uint64_t *)p = v; return;
	case CFG_BOOL: *(bool *)p = v != 0; return;
	case CFG_STRING: break;
	}
	assert(!"set_num: not a numeric key");
}

static int set_string(struct mmsim_cfg *cfg, const struct cfg_key *k, const char *s,
		      const char *origin, char *err)
{
	size_t n = strlen(s);
	if (!utf8_valid(s, n))
		return errf(err, "%s: %s: not valid UTF-8", origin, k->path);
	if (n >= k->size)
		return errf(err, "%s: %s: longer than %zu bytes", origin, k->path, k->size - 1);
	memset(field(cfg, k), 0, k->size);
	memcpy(field(cfg, k), s, n);
	return 0;
}

void cfg_defaults(struct mmsim_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &schema[i];
		if (k->type == CFG_STRING) {
			assert(strlen(k->def_str) < k->size);
			strcpy(field(cfg, k), k->def_str);
			continue;
		}
		/* the table itself is wrong if these fail */
		assert(k->min <= k->def && k->def <= k->max);
		assert(k->type != CFG_U32 || k->max <= UINT32_MAX);
		set_num(cfg, k, k->def);
	}
}

/* --- loading a file ---------------------------------------------------- */

/* What a key of type t looks like, for "expected ..." messages. */
static const char *type_desc(enum cfg_type t)
{
	switch (t) {
	case CFG_U32:
	case CFG_U64: return "a number";
	case CFG_SIZE: return "a size (number or string like \"4K\")";
	case CFG_STRING: return "a string";
	case CFG_BOOL: return "true or false";
	case CFG_ENUM: return "a string";
	}
	return "?";
}

static const char *json_kind(const cJSON *v)
{
	if (cJSON_IsObject(v)) return "an object";
	if (cJSON_IsArray(v)) return "an array";
	if (cJSON_IsString(v)) return "a string";
	if (cJSON_IsNumber(v)) return "a number";
	if (cJSON_IsBool(v)) return "a boolean";
	if (cJSON_IsNull(v)) return "null";
	return "an invalid value";
}

/* The distinct next components of schema paths below prefix ("" or
 * "tlb."), in schema order, into names[]; returns how many. */
static size_t level_keys(const char *prefix, char names[][PATH_MAX_LEN])
{
	size_t plen = strlen(prefix), n = 0;
	for (size_t i = 0; i < NKEYS; i++) {
		const char *p = schema[i].path;
		if (strncmp(p, prefix, plen) != 0)
			continue;
		p += plen;
		size_t len = strcspn(p, ".");
		bool seen = false;
		for (size_t j = 0; j < n && !seen; j++)
			seen = strncmp(names[j], p, len) == 0 && names[j][len] == '\0';
		if (seen)
			continue;
		memcpy(names[n], p, len);
		names[n][len] = '\0';
		n++;
	}
	return n;
}

/* The index of name in k->choices, or an error listing them. */
static int parse_enum(const struct cfg_key *k, const char *name, const char *origin,
		      char *err)
{
	char list[256] = "";
	for (uint32_t i = 0; k->choices[i]; i++) {
		if (strcmp(k->choices[i], name) == 0)
			return (int)i;
		size_t n = strlen(list);
		snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "", k->choices[i]);
	}
	char text[96];
	return errf(err, "%s: %s: \"%s\" is not one of: %s", origin, k->path,
		    json_printable(name, text, sizeof(text)), list);
}

static int load_leaf(struct mmsim_cfg *cfg, const struct cfg_key *k, const cJSON *v,
		     const char *file, char *err)
{
	if (cJSON_IsObject(v) || cJSON_IsArray(v))
		return errf(err, "%s: %s: expected %s, not %s", file, k->path,
			    type_desc(k->type), json_kind(v));
	switch (k->type) {
	case CFG_STRING:
		if (!cJSON_IsString(v))
			return errf(err, "%s: %s: expected a string, not %s", file, k->path,
				    json_kind(v));
		return set_string(cfg, k, v->valuestring, file, err);
	case CFG_BOOL:
		if (!cJSON_IsBool(v))
			return errf(err, "%s: %s: expected true or false, not %s", file,
				    k->path, json_kind(v));
		set_num(cfg, k, cJSON_IsTrue(v));
		return 0;
	case CFG_ENUM: {
		if (!cJSON_IsString(v))
			return errf(err, "%s: %s: expected a string, not %s", file, k->path,
				    json_kind(v));
		int i = parse_enum(k, v->valuestring, file, err);
		if (i < 0)
			return -1;
		set_num(cfg, k, (uint64_t)i);
		return 0;
	}
	case CFG_U32:
	case CFG_U64:
	case CFG_SIZE: {
		uint64_t x;
		if (json_u64(v, k->type == CFG_SIZE, &x, file, k->path, err) < 0 ||
		    check_range(k, x, file, err) < 0)
			return -1;
		set_num(cfg, k, x);
		return 0;
	}
	}
	return 0;
}

/* Apply the members of obj, the object at path prefix ("" or "tlb.l1d."). */
static int load_level(struct mmsim_cfg *cfg, const cJSON *obj, const char *prefix,
		      const char *file, char *err)
{
	char names[NKEYS + ARRAY_SIZE(extra_top_keys)][PATH_MAX_LEN];
	const char *allowed[ARRAY_SIZE(names)];
	size_t n = level_keys(prefix, names);
	for (size_t i = 0; i < n; i++)
		allowed[i] = names[i];
	if (*prefix == '\0')
		for (size_t i = 0; i < ARRAY_SIZE(extra_top_keys); i++)
			allowed[n++] = extra_top_keys[i];

	char place[PATH_MAX_LEN];
	snprintf(place, sizeof(place), "%.*s", (int)(strlen(prefix) ? strlen(prefix) - 1 : 0),
		 prefix);
	if (json_check_keys(obj, allowed, n, file, place, err) < 0)
		return -1;

	const cJSON *m;
	cJSON_ArrayForEach(m, obj) {
		char path[PATH_MAX_LEN];
		snprintf(path, sizeof(path), "%s%s", prefix, m->string);
		for (const cJSON *o = obj->child; o != m; o = o->next)
			if (strcmp(o->string, m->string) == 0)
				return errf(err, "%s: %s: duplicate key", file, path);

		if (*prefix == '\0' && strcmp(m->string, "description") == 0) {
			if (!cJSON_IsString(m))
				return errf(err, "%s: description: expected a string, not %s",
					    file, json_kind(m));
			continue;
		}
		const struct cfg_key *k = find_key(path);
		if (k) {
			if (load_leaf(cfg, k, m, file, err) < 0)
				return -1;
			continue;
		}
		assert(is_object_path(path)); /* json_check_keys let it through */
		if (!cJSON_IsObject(m))
			return errf(err, "%s: %s: expected an object, not %s", file, path,
				    json_kind(m));
		char sub[PATH_MAX_LEN + 1];
		snprintf(sub, sizeof(sub), "%s.", path);
		if (load_level(cfg, m, sub, file, err) < 0)
			return -1;
	}
	return 0;
}

int cfg_load(struct mmsim_cfg *cfg, const char *path, char *err)
{
	cJSON *root = json_load_file(path, err);
	if (!root)
		return -1;
	int rc;
	if (!cJSON_IsObject(root))
		rc = errf(err, "%s: expected a JSON object at the top level, not %s",
			  path, json_kind(root));
	else
		rc = load_level(cfg, root, "", path, err);
	cJSON_Delete(root);
	return rc;
}

/* --- -s overrides ------------------------------------------------------ */

int cfg_set(struct mmsim_cfg *cfg, const char *assignment, const char *origin, char *err)
{
	char text[96];
	const char *eq = strchr(assignment, '=');
	if (!eq || eq == assignment)
		return errf(err, "%s: %s: expected key.path=value", origin,
			    json_printable(assignment, text, sizeof(text)));
	char path[PATH_MAX_LEN];
	size_t plen = (size_t)(eq - assignment);
	if (plen >= sizeof(path))
		return errf(err, "%s: %s: unknown key", origin,
			    json_printable(assignment, text, sizeof(text)));
	memcpy(path, assignment, plen);
	path[plen] = '\0';
	const char *value = eq + 1;

	const struct cfg_key *k = find_key(path);
	if (!k) {
		if (is_object_path(path))
			return errf(err, "%s: %s: is a group of keys; set one of them, "
				    "e.g. %s.<key>=value", origin, path, path);
		const char *all[NKEYS];
		for (size_t i = 0; i < NKEYS; i++)
			all[i] = schema[i].path;
		const char *hint = json_suggest(path, all, NKEYS);
		json_printable(path, text, sizeof(text));
		if (hint)
			return errf(err, "%s: %s: unknown key; did you mean \"%s\"?",
				    origin, text, hint);
		return errf(err, "%s: %s: unknown key", origin, text);
	}

	switch (k->type) {
	case CFG_STRING:
		return set_string(cfg, k, value, origin, err);
	case CFG_BOOL:
		if (strcmp(value, "true") == 0)
			set_num(cfg, k, 1);
		else if (strcmp(value, "false") == 0)
			set_num(cfg, k, 0);
		else
			return errf(err, "%s: %s: \"%s\" is not true or false", origin, path,
				    json_printable(value, text, sizeof(text)));
		return 0;
	case CFG_ENUM: {
		int i = parse_enum(k, value, origin, err);
		if (i < 0)
			return -1;
		set_num(cfg, k, (uint64_t)i);
		return 0;
	}
	case CFG_U32:
	case CFG_U64:
	case CFG_SIZE: {
		uint64_t x;
		bool units = k->type == CFG_SIZE;
		if (value[strspn(value, " \t")] == '-')
			return errf(err, "%s: %s: must not be negative", origin, path);
		if (parse_u64(value, units, &x) < 0)
			return errf(err, "%s: %s: \"%s\" is not %s", origin, path,
				    json_printable(value, text, sizeof(text)),
				    units ? "a size (a number, optionally with K, M, G or T)"
					  : "a number (decimal or 0x-hex)");
		if (check_range(k, x, origin, err) < 0)
			return -1;
		set_num(cfg, k, x);
		return 0;
	}
	}
	return 0;
}

/* --- cross-key checks -------------------------------------------------- */

static int check_tlb(const struct cfg_tlb *t, const char *name, const char *origin,
		     char *err)
{
	if (t->entries == 0)
		return 0;              /* the structure is absent */
	if (t->ways > t->entries)
		return errf(err, "%s: %s.ways: %" PRIu32 " ways is more than the %" PRIu32
			    " entries", origin, name, t->ways, t->entries);
	if (t->entries % t->ways != 0)
		return errf(err, "%s: %s.entries: %" PRIu32 " is not a multiple of "
			    "%s.ways (%" PRIu32 ")", origin, name, t->entries, name, t->ways);
	if (t->policy == REPL_PLRU && ((t->ways & (t->ways - 1)) || t->ways > 64))
		return errf(err, "%s: %s.policy: plru needs a power-of-two number of ways "
			    "up to 64, not %" PRIu32, origin, name, t->ways);
	return 0;
}

int cfg_check(const struct mmsim_cfg *cfg, const char *origin, char *err)
{
	/* Every key in range, for configs built in code rather than loaded. */
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &schema[i];
		if (k->type == CFG_STRING) {
			if (!memchr(cfield(cfg, k), '\0', k->size))
				return errf(err, "%s: %s: not NUL-terminated", origin, k->path);
			continue;
		}
		if (check_range(k, get_num(cfg, k), origin, err) < 0)
			return -1;
	}

	const struct { const struct cfg_tlb *t; const char *name; } tlbs[] = {
		{ &cfg->tlb.l1d_4k, "tlb.l1d.4k" }, { &cfg->tlb.l1d_2m, "tlb.l1d.2m" },
		{ &cfg->tlb.l1d_1g, "tlb.l1d.1g" }, { &cfg->tlb.l1i_4k, "tlb.l1i.4k" },
		{ &cfg->tlb.l1i_2m, "tlb.l1i.2m" }, { &cfg->tlb.stlb, "tlb.stlb" },
		{ &cfg->tlb.stlb_1g, "tlb.stlb1g" }, { &cfg->mmu.pwc_pml5e, "mmu.pwc.pml5e" },
		{ &cfg->mmu.pwc_pml4e, "mmu.pwc.pml4e" }, { &cfg->mmu.pwc_pdpte, "mmu.pwc.pdpte" },
		{ &cfg->mmu.pwc_pde, "mmu.pwc.pde" }, { &cfg->iommu.iotlb, "iommu.iotlb" },
		{ &cfg->iommu.pwc_pml4e, "iommu.pwc.pml4e" },
		{ &cfg->iommu.pwc_pdpte, "iommu.pwc.pdpte" }, { &cfg->iommu.pwc_pde, "iommu.pwc.pde" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(tlbs); i++)
		if (check_tlb(tlbs[i].t, tlbs[i].name, origin, err) < 0)
			return -1;

	if (memsys_cfg_check(cfg, origin, err) < 0)
		return -1;
	uint32_t slub_flags;
	if (slab_parse_debug(cfg->kernel.slub_debug, &slub_flags) < 0)
		return errf(err, "%s: kernel.slub_debug: \"%s\" must be letters of F, Z, P, U "
			    "(or empty)", origin, cfg->kernel.slub_debug);

	if (memblock_cfg_check(cfg, origin, err) < 0)
		return -1;
	if (cfg->kernel.cma_node >= cfg->memory.numa_nodes)
		return errf(err, "%s: kernel.cma_node: node %" PRIu32 " does not exist "
			    "(memory.numa.nodes = %" PRIu32 ")", origin, cfg->kernel.cma_node,
			    cfg->memory.numa_nodes);
	char sz[32], lim[32];
	if (cfg->memory.size % (4 * KiB) != 0) {
		fmt_size(cfg->memory.size, sz, sizeof(sz));
		return errf(err, "%s: memory.size: %s is not a multiple of 4K", origin, sz);
	}
	uint64_t phys_limit = 1ull << cfg->mmu.maxphyaddr;
	if (cfg->memory.size > phys_limit) {
		fmt_size(cfg->memory.size, sz, sizeof(sz));
		fmt_size(phys_limit, lim, sizeof(lim));
		return errf(err, "%s: memory.size: %s does not fit in mmu.maxphyaddr = %" PRIu32
			    " bits (%s)", origin, sz, cfg->mmu.maxphyaddr, lim);
	}
	return 0;
}

/* --- provenance -------------------------------------------------------- */

/* The object for the parent of path ("tlb.l1d" for "tlb.l1d.ways"),
 * created on first use; *leaf is set to the last component. */
static cJSON *parent_object(cJSON *root, const char *path, const char **leaf)
{
	cJSON *obj = root;
	const char *p = path, *dot;
	while ((dot = strchr(p, '.')) != NULL) {
		char name[PATH_MAX_LEN];
		snprintf(name, sizeof(name), "%.*s", (int)(dot - p), p);
		cJSON *sub = cJSON_GetObjectItemCaseSensitive(obj, name);
		if (!sub)
			sub = cJSON_AddObjectToObject(obj, name);
		if (!sub)
			return NULL;
		obj = sub;
		p = dot + 1;
	}
	*leaf = p;
	return obj;
}

char *cfg_to_json(const struct mmsim_cfg *cfg)
{
	cJSON *root = cJSON_CreateObject();
	if (!root)
		return NULL;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &schema[i];
		const char *leaf;
		cJSON *obj = parent_object(root, k->path, &leaf);
		cJSON *item = NULL;
		if (obj && k->type == CFG_STRING) {
			item = cJSON_AddStringToObject(obj, leaf, cfield(cfg, k));
		} else if (obj && k->type == CFG_ENUM) {
			item = cJSON_AddStringToObject(obj, leaf, k->choices[get_num(cfg, k)]);
		} else if (obj && k->type == CFG_BOOL) {
			item = cJSON_AddBoolToObject(obj, leaf, get_num(cfg, k) != 0);
		} else if (obj) {
			uint64_t v = get_num(cfg, k);
			if (v < (1ull << 53)) {
				item = cJSON_AddNumberToObject(obj, leaf, (double)v);
			} else { /* beyond a double's exact integers: a string cfg_load reads */
				char hex[24];
				snprintf(hex, sizeof(hex), "0x%" PRIx64, v);
				item = cJSON_AddStringToObject(obj, leaf, hex);
			}
		}
		if (!item) {
			cJSON_Delete(root);
			return NULL;
		}
	}
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	return text;
}

/* --- the key table ----------------------------------------------------- */

static void fmt_range(const struct cfg_key *k, char *buf, size_t len)
{
	char lo[32], hi[32];
	if (k->type == CFG_ENUM) {
		size_t n = 0;
		buf[0] = '\0';
		for (uint32_t i = 0; k->choices[i]; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s`%s`", i ? ", " : "",
					      k->choices[i]);
		return;
	}
	if (k->type == CFG_BOOL) {
		snprintf(buf, len, "true, false");
		return;
	}
	if (k->type == CFG_STRING) {
		snprintf(buf, len, "up to %zu bytes", k->size - 1);
		return;
	}
	fmt_value(k, k->min, lo, sizeof(lo));
	if (k->max == UINT64_MAX)
		snprintf(hi, sizeof(hi), "2^64-1");
	else
		fmt_value(k, k->max, hi, sizeof(hi));
	snprintf(buf, len, "%s..%s", lo, hi);
}

void cfg_print_keys(FILE *f)
{
	static const char *const tname[] = {
		[CFG_U32] = "integer", [CFG_U64] = "integer", [CFG_SIZE] = "size",
		[CFG_STRING] = "string", [CFG_BOOL] = "bool", [CFG_ENUM] = "choice",
	};
	fprintf(f, "| Key | Type | Range | Default | Meaning |\n");
	fprintf(f, "|-----|------|-------|---------|---------|\n");
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &schema[i];
		char range[160], def[48];
		fmt_range(k, range, sizeof(range));
		if (k->type == CFG_STRING)
			snprintf(def, sizeof(def), "\"%s\"", k->def_str);
		else if (k->type == CFG_ENUM)
			snprintf(def, sizeof(def), "%s", k->choices[k->def]);
		else if (k->type == CFG_BOOL)
			snprintf(def, sizeof(def), "%s", k->def ? "true" : "false");
		else
			fmt_value(k, k->def, def, sizeof(def));
		fprintf(f, "| `%s` | %s | %s | %s | %s |\n", k->path, tname[k->type], range,
			def, k->doc);
	}
}
