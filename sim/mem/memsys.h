/* The memory system as the cores see it: one port through which every
 * physical access (loads, stores, page-walk references, kernel work) is timed.
 *
 * Now: a flat DRAM latency for every access and counters by kind. The cache
 * hierarchy, DRAM banks and NUMA (issue cache-mem) grow behind this same
 * function, so callers do not change. */
#ifndef MMSIM_MEMSYS_H
#define MMSIM_MEMSYS_H

#include "lib/types.h"
#include "sim/mem/physmem.h"

enum mem_kind { MEM_LOAD, MEM_STORE, MEM_IFETCH, MEM_WALK, MEM_KERNEL, MEM_DMA, MEM_KINDS };

extern const char *const mem_kind_name[MEM_KINDS];

struct mmsim_cfg;
struct stats;

struct memsys {
	struct physmem pm;
	uint32_t dram_latency;
	uint64_t dram_access[MEM_KINDS];  /* "dram.<kind>" */
};

struct memsys *memsys_create(const struct mmsim_cfg *cfg, struct stats *st);
void memsys_destroy(struct memsys *ms);

/* Time one access of one cache line's worth (or less) at pa by core. */
static inline cycles_t memsys_access(struct memsys *ms, unsigned core, paddr_t pa,
				     enum mem_kind kind)
{
	(void)core; (void)pa;
	ms->dram_access[kind]++;
	return ms->dram_latency;
}

#endif
