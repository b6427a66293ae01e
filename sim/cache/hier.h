/* The cache hierarchy: per core L1I, L1D and (optional) L2, a shared
 * (optionally sliced, optional) LLC, MESI coherence between the cores'
 * private caches, and memory behind (a struct dram, or a flat latency).
 *
 * Routing: instruction fetches use the L1I; loads, stores, page-walk
 * references and kernel accesses use the L1D (the walker's PTE reads go
 * through the L1D on Intel cores too). DMA does not enter a core's caches:
 * hier_dma_read/hier_dma_write.
 *
 * Latency (cycles returned; docs/cache-model.md has the full rules):
 *   L1 hit                      L1
 *   L2 hit                      L1 + L2
 *   LLC hit                     L1 + L2 + LLC
 *   memory                      L1 + L2 + LLC + dram_access() (or mem_latency)
 *   another core's M copy       L1 + L2 + c2c_latency (no LLC, no memory)
 * plus inval_latency, once, when a write (a store miss or an upgrade of an S
 * line) invalidated at least one copy in another core and did not get the
 * line from a cache-to-cache transfer. An absent level adds nothing.
 * Writebacks and back-invalidations are off the critical path: they cost
 * the requester nothing (DRAM writes still occupy their channel).
 *
 * Private caches: L2 is neither inclusive nor exclusive of the L1s (filled
 * on every miss, its evictions leave the L1s alone); an L1's dirty victim is
 * written back into the L2 (allocating there unless l2.wb_noalloc).
 * LLC inclusion ("inclusion"): "non-inclusive" (default: filled on misses,
 * evictions leave private copies alone, dirty L2 victims are written back
 * into it), "inclusive" (every private line is in the LLC; an LLC eviction
 * back-invalidates all private copies, counted), "exclusive" (a victim
 * cache: filled only by the L2's (or L1's, without an L2) victims, clean or
 * dirty; a hit moves the line up and out of the LLC).
 *
 * Coherence: MESI among the cores' private caches by snooping the other
 * cores' L1I, L1D and L2 on a private miss or an upgrade. Which cores hold
 * a line is known exactly from the snoop filter (snoop_filter.h), so a snoop
 * visits only those; the filter is a host-speed shortcut and changes no
 * state, counter or cycle that snooping every core would give. A load miss
 * gets E when no other core holds the line, else S; another core's E or M
 * copies go to S, a dirty one is written back below the private caches
 * (into the LLC; to memory for an exclusive LLC) and a line held in M is a
 * cache-to-cache transfer. A store needs M: other copies are invalidated
 * (counted per cache as coherence.inval, per requester as inval_sent); an M
 * copy elsewhere gives its data directly (a transfer, no writeback). Within
 * one core, copies may differ (L1D M, L2 E): the core's state is the
 * strongest. Self-modifying code is not modelled: stores do not snoop the
 * core's own L1I.
 *
 * An access of `size` bytes that straddles two lines is one access: a level
 * hits when both lines hit, and on a miss the next level sees both lines
 * (cachegrind's rule, docs/cache-model.md), the slower line's latency counts. */
#ifndef MMSIM_HIER_H
#define MMSIM_HIER_H

#include "lib/types.h"
#include "sim/cache/cache.h"
#include "sim/cache/snoop_filter.h"

struct dram;
struct stats;

enum hier_incl { INCL_NONINCLUSIVE, INCL_INCLUSIVE, INCL_EXCLUSIVE };

struct hier_cfg {
	struct cache_cfg l1i, l1d;  /* per core, present */
	struct cache_cfg l2;        /* per core; size 0: absent */
	struct cache_cfg llc;       /* shared; size 0: absent; llc.slices */
	const char *inclusion;      /* "non-inclusive" (also NULL), "inclusive", "exclusive" */
	uint32_t c2c_latency;       /* cycles after L1+L2 for a line from another core */
	uint32_t inval_latency;     /* invalidation round trip */
	uint32_t mem_latency;       /* memory cycles when there is no struct dram */
};

/* One core's private caches and coherence counters ("coreN.coherence.*"). */
struct hier_core {
	struct cache *l1i, *l1d, *l2;   /* l2 NULL when absent */
	uint64_t inval_sent;    /* copies in other cores this core's writes dropped */
	uint64_t c2c;           /* lines received from another core's M copy */
	uint64_t upgrades;      /* stores that turned an S line into M */
};

struct hier {
	/* hot */
	struct hier_core *core;     /* [ncores] */
	unsigned ncores;
	struct cache *llc;          /* NULL when absent */
	enum hier_incl incl;
	unsigned line_shift;
	uint32_t c2c_latency, inval_latency, mem_latency;
	struct dram *dram;          /* not owned; NULL: flat mem_latency */
	struct snoop_filter sf;     /* which cores hold each private line */

	/* counters ("cache.*") */
	uint64_t back_inval;        /* private lines dropped by LLC evictions */
	uint64_t mem_reads, mem_writes;
	uint64_t line_writes;       /* whole-line writes owned without a read */
	uint64_t dma_reads, dma_writes;
};

/* Name of an inclusion policy -> 0 and *incl, or -1. */
int hier_incl_find(const char *name, enum hier_incl *incl);

/* Every cache's cache_cfg_check (messages "cache.l1d.size: ..."), one line
 * size for all caches, ncores 1..64. Returns 0 or -1 with err. */
int hier_cfg_check(const struct hier_cfg *cfg, unsigned ncores, char *err);

/* cfg must pass hier_cfg_check (asserted). dram may be NULL. */
struct hier *hier_create(const struct hier_cfg *cfg, unsigned ncores, struct dram *dram);
void hier_destroy(struct hier *h);   /* not the dram */

/* Register "coreN.l1d.load.miss", "coreN.coherence.c2c", "llc.miss",
 * "cache.back_inval", ... */
void hier_stats(struct hier *h, struct stats *st);

/* hier_access() beyond the inline case; idx: where the L1 (L1I for
 * fetches, else L1D) has pa's line, or CACHE_NONE. */
cycles_t hier_access_slow(struct hier *h, unsigned core, paddr_t pa, unsigned kind, bool write,
			  cycles_t now, uint32_t idx);

/* One access to pa's line by core at cycle now (hier_access_sized for
 * size bytes that may straddle two lines). kind: enum mem_kind (MEM_LOAD..MEM_DMA; MEM_DMA goes to
 * hier_dma_*). write: the access needs ownership and dirties the line
 * (MEM_STORE; a walker's A/D update; a kernel write; a read-modify-write
 * counted as a load). The common case is inline: an L1 hit that needs no
 * coherence action. */
static inline cycles_t hier_access(struct hier *h, unsigned core, paddr_t pa, unsigned kind,
				   bool write, cycles_t now)
{
	assert(core < h->ncores);
	struct hier_core *hc = &h->core[core];
	struct cache *c = kind == CACHE_KIND_IFETCH ? hc->l1i : hc->l1d;
	uint32_t idx = cache_find(c, pa >> c->line_shift);
	if (idx != CACHE_NONE && kind != CACHE_KIND_DMA &&
	    (!write || (c->state[idx] >= MESI_E && !c->write_through))) {
		cache_touch(c, idx);
		cache_count(c, kind, true);
		if (write) {
			c->state[idx] = MESI_M;
			c->dirty[idx] = 1;
		}
		return c->latency;
	}
	return hier_access_slow(h, core, pa, kind, write, now, idx);
}

/* A store of the whole line at pa by core (kind: MEM_STORE, MEM_KERNEL or
 * MEM_WALK), as a rep stosb or a streaming store writes it: on an L1D miss
 * the line is owned without being read (no memory read; other copies
 * dropped; an exclusive LLC's copy too, an inclusive LLC gets it) and is
 * installed M and dirty in the L2 and the L1D (docs/cache-model.md, "Whole-
 * line writes"). An L1D hit, a hierarchy without an L2 or with a
 * write-through L1D or L2 takes the ordinary store path. Counted at the
 * L1D and L2 as a store of kind, and in cache.line_write when ownership
 * came from below the L2. */
cycles_t hier_write_line(struct hier *h, unsigned core, paddr_t pa, unsigned kind, cycles_t now);
/* The same for size bytes at pa (1 <= size <= line): one or two lines. */
cycles_t hier_access_sized(struct hier *h, unsigned core, paddr_t pa, unsigned size,
			   unsigned kind, bool write, cycles_t now);

/* A device reads pa's line: the newest copy (a dirty one is written back
 * and stays, clean, in its cache) or memory. */
cycles_t hier_dma_read(struct hier *h, paddr_t pa, cycles_t now);

/* A device writes pa's whole line: every cached copy is dropped, the line
 * goes to memory. */
cycles_t hier_dma_write(struct hier *h, paddr_t pa, cycles_t now);

/* core's MESI state for pa: the strongest over its private copies. */
enum mesi hier_state(const struct hier *h, unsigned core, paddr_t pa);

/* Invariants (single writer: a core with E or M means no copy elsewhere;
 * inclusive: every private line in the LLC; I iff no block; the snoop
 * filter holds exactly the union of the private caches: every private
 * line under its core's bit, and every bit backed by a private line).
 * Returns 0 or -1 with a message in err. Slow: for tests and --check. */
int hier_validate(const struct hier *h, char *err);

#endif
