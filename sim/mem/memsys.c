/* The memory-system port: see memsys.h. */
#include "sim/mem/memsys.h"

#include <stdlib.h>
#include "lib/config.h"
#include "lib/stats.h"

const char *const mem_kind_name[MEM_KINDS] = {
	"load", "store", "ifetch", "walk", "kernel", "dma",
};

struct memsys *memsys_create(const struct mmsim_cfg *cfg, struct stats *st)
{
	struct memsys *ms = calloc(1, sizeof(*ms));
	if (!ms || physmem_init(&ms->pm, cfg->memory.size) < 0) {
		free(ms);
		return NULL;
	}
	ms->dram_latency = cfg->memory.dram_latency;
	if (st) {
		for (int k = 0; k < MEM_KINDS; k++)
			stats_add(st, &ms->dram_access[k], "dram.access.%s", mem_kind_name[k]);
		stats_add(st, &ms->pm.backed_peak, "physmem.host_frames_peak");
	}
	return ms;
}

void memsys_destroy(struct memsys *ms)
{
	if (!ms)
		return;
	physmem_fini(&ms->pm);
	free(ms);
}
