/* Read-only snapshots of a running machine for the GUI (docs/gui.md).
 *
 * This is the only place gui/ reads kernel and hardware structures (struct
 * page, zones, TLB arrays, page tables); the drawing code sees only the
 * plain structs below, so a change of the kernel's layout touches this file
 * alone. Nothing here changes simulation state: page tables are read
 * with physmem_read (untimed, no cache traffic), TLBs by looking at their
 * arrays, counters through the stats registry. No SDL here: tests use it
 * on any machine. */
#ifndef MMSIM_GUI_SNAPSHOT_H
#define MMSIM_GUI_SNAPSHOT_H

#include "lib/types.h"

struct machine;

/* What a frame holds, as the memory map colours it. */
enum snap_kind {
	SK_NONE,        /* not handed to the allocator and not reserved (hole,
	                 * or in use in a way struct page does not say) */
	SK_RESERVED,    /* firmware, never allocatable */
	SK_FREE,        /* in a free buddy block */
	SK_ANON,
	SK_FILE,
	SK_SLAB,
	SK_PGTABLE,
	SK_KERNEL,
	SK_HUGETLB,
	SK_DMA,         /* mapped for a device (none until the DMA API marks it) */
	SK_KINDS
};
extern const char *const snap_kind_name[SK_KINDS];

/* The memory map: one kind per frame and, for free frames, the order of
 * the free block they lie in (0 for the others). */
struct snap_map {
	uint64_t nframes;
	uint8_t *kind, *order;
	uint64_t count[SK_KINDS];   /* frames of each kind */
};
void snap_map_init(struct snap_map *s, const struct machine *m);
void snap_map_fini(struct snap_map *s);
/* Re-read every frame's state (one pass over the memmap). */
void snap_map_update(struct snap_map *s, const struct machine *m);

/* One frame's struct page facts (hover). migratetype -1: not known. */
struct snap_page {
	uint64_t pfn;
	enum snap_kind kind;
	unsigned free_order;        /* SK_FREE: order of its block */
	uint64_t free_head;         /* SK_FREE: first frame of its block */
	uint32_t flags;             /* PG_* of the frame's own struct page */
	int32_t refcount, mapcount;
	uint32_t mapping;           /* owner id (anon_vma / address_space), 0 none */
	uint64_t index;
	int migratetype;
	const char *zone;           /* name of the zone spanning it, or "" */
};
void snap_page_get(const struct machine *m, uint64_t pfn, struct snap_page *p);
/* "Movable" ... for a migratetype, "-" for -1. */
const char *snap_migratetype_name(int mt);
/* "buddy lru dirty ..." for flags (buf of at least 128 bytes). */
const char *snap_flags_str(uint32_t flags, char *buf, size_t len);

/* Zones, like /proc/buddyinfo and /proc/zoneinfo. */
#define SNAP_MAX_ZONES 8
#define SNAP_MAX_ORDER 20
#define SNAP_MAX_MT 8
struct snap_zone {
	char name[24];
	int node;
	uint64_t start_pfn, end_pfn;
	uint64_t managed, free_pages;
	unsigned max_order;
	uint64_t nr_free[SNAP_MAX_ORDER];   /* blocks per order */
	unsigned nmt;                       /* migratetypes (0: not kept) */
	const char *mt_name[SNAP_MAX_MT];
	uint64_t nr_free_mt[SNAP_MAX_MT][SNAP_MAX_ORDER];   /* per list */
	bool has_wmark;                     /* the zone keeps watermarks */
	uint64_t wmark_min, wmark_low, wmark_high;
};
/* Fills up to max zones; returns how many there are. */
unsigned snap_zones(const struct machine *m, struct snap_zone *z, unsigned max);

/* TLB structures of one core, L1 first, then STLB, then the walker's
 * paging-structure caches. Entries point into the live arrays: copy what
 * you keep across steps. */
#define SNAP_MAX_TLBS 12
struct snap_tlb_entry {
	bool valid, global, dirty, rw, us, nx;
	uint64_t vpn, pfn, stamp;
	unsigned shift;             /* page size: 12, 21, 30 (PSCs: reach) */
	uint16_t pcid;
};
struct snap_tlb {
	char name[24];              /* "L1d 4K", "STLB", "PSC PDE" */
	unsigned sets, ways, latency;
	uint64_t hits, fills, evictions;
	const void *tlb;            /* identity of the live structure */
};
unsigned snap_core_tlbs(const struct machine *m, unsigned core, struct snap_tlb *t,
			unsigned max);
/* Entry (set, way) of TLB i of the core (as snap_core_tlbs numbered them). */
void snap_tlb_entry(const struct machine *m, unsigned core, unsigned i, unsigned set,
		    unsigned way, struct snap_tlb_entry *e);

/* One core at a glance. */
struct snap_core {
	cycles_t clock;
	uint64_t cr3;
	uint16_t pcid;
	uint64_t l1_hit, l1_miss, stlb_miss, walks, faults;
	uint64_t ipi_sent, ipi_received;
	bool has_last_walk;
	vaddr_t last_va;            /* the last walk (machine_remember_walks) */
	uint64_t last_cr3, last_seq;
	int last_top, last_level;   /* first level read, level it stopped at */
	bool last_faulted;
};
void snap_core_get(const struct machine *m, unsigned core, struct snap_core *c);

/* Processes and their page tables. */
struct snap_proc {
	const char *name;
	bool alive;
	paddr_t pgd;                /* PML4 (PML5) physical address */
	uint64_t rss_anon, pt_pages, nvma;
};
void snap_proc_get(const struct machine *m, unsigned i, struct snap_proc *p);
int snap_levels(const struct machine *m);
/* Entry idx of the paging structure at physical address table. */
pte_t snap_pte(const struct machine *m, paddr_t table, unsigned idx);

/* Memory-manager totals for the plots (cheap: plain fields). */
struct snap_vm {
	uint64_t pgfault, shootdowns, free_pages, managed;
};
void snap_vm_get(const struct machine *m, struct snap_vm *v);

/* Registry counters found once by name (cold), then read by index. */
long snap_counter_find(const struct machine *m, const char *name);  /* -1: none */
uint64_t snap_counter_at(const struct machine *m, long idx);

/* A counter of the stats registry by name (0 if it has none). */
uint64_t snap_counter(const struct machine *m, const char *name);
/* Sum of "core<i><suffix>" over the cores. */
uint64_t snap_core_sum(const struct machine *m, const char *suffix);
/* The largest core clock. */
cycles_t snap_cycles(const struct machine *m);

#endif
