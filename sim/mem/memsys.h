/* The memory system as the cores see it: one port through which every
 * physical access (loads, stores, fetches, page-walk references, kernel
 * work) is timed.
 *
 * memory.model "hierarchy" (default): the cache hierarchy of sim/cache (per
 * core L1I/L1D/L2, shared LLC, MESI) in front of the DRAM model of
 * sim/mem/dram (channels, banks, open rows, bandwidth, NUMA).
 * memory.model "flat": every access costs memory.dram_latency, nothing is
 * cached: the setting for isolating translation costs. */
#ifndef MMSIM_MEMSYS_H
#define MMSIM_MEMSYS_H

#include "lib/types.h"
#include "sim/cache/hier.h"
#include "sim/mem/physmem.h"

enum mem_kind { MEM_LOAD, MEM_STORE, MEM_IFETCH, MEM_WALK, MEM_KERNEL, MEM_DMA, MEM_KINDS };

_Static_assert(MEM_IFETCH == CACHE_KIND_IFETCH && MEM_DMA == CACHE_KIND_DMA &&
	       MEM_KINDS == CACHE_KINDS, "cache kinds are memory kinds");

extern const char *const mem_kind_name[MEM_KINDS];

struct mmsim_cfg;
struct stats;
struct dram;

struct memsys {
	struct physmem pm;
	bool flat;
	uint32_t flat_latency;
	struct hier *hier;      /* NULL in the flat model */
	struct dram *dram;
	uint64_t access[MEM_KINDS];  /* "mem.access.<kind>" */
};

/* NULL with err when the config's hierarchy is malformed or memory runs out. */
struct memsys *memsys_create(const struct mmsim_cfg *cfg, struct stats *st, char *err);
void memsys_destroy(struct memsys *ms);

/* Check the config's cache and DRAM geometry (cfg_check calls this). */
int memsys_cfg_check(const struct mmsim_cfg *cfg, const char *origin, char *err);

/* Time one access of at most a line at pa by core at cycle now; write:
 * the access needs ownership of the line (stores, A/D updates, kernel
 * writes). */
static inline cycles_t memsys_access(struct memsys *ms, unsigned core, paddr_t pa,
				     enum mem_kind kind, bool write, cycles_t now)
{
	ms->access[kind]++;
	if (ms->flat)
		return ms->flat_latency;
	return hier_access(ms->hier, core, pa, kind, write, now);
}

/* A write of the whole line at pa (clear_page()): hier_write_line(), no
 * read for ownership; in the flat model one access like any other. */
static inline cycles_t memsys_write_line(struct memsys *ms, unsigned core, paddr_t pa,
					 enum mem_kind kind, cycles_t now)
{
	ms->access[kind]++;
	if (ms->flat)
		return ms->flat_latency;
	return hier_write_line(ms->hier, core, pa, kind, now);
}
#endif
