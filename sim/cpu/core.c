/* A hardware core: see core.h. */
#include "sim/cpu/core.h"

#include <stdlib.h>
#include "lib/config.h"
#include "lib/stats.h"

struct core *core_create(const struct mmsim_cfg *cfg, unsigned id, struct memsys *ms,
			 struct stats *st)
{
	struct core *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->id = id;
	c->ms = ms;
	c->access_cost = cfg->cpu.access;
	c->cr3_cost = cfg->cpu.cr3_load;
	c->invlpg_cost = cfg->cpu.invlpg;
	c->dtlb = tlb_create(&cfg->tlb.l1d);
	walker_init(&c->walker, ms, id, cfg->mmu.ad_update, cfg->mmu.maxphyaddr);
	if (st) {
		stats_add(st, &c->clock, "core%u.cycles", id);
		stats_add(st, &c->loads, "core%u.loads", id);
		stats_add(st, &c->stores, "core%u.stores", id);
		stats_add(st, &c->compute_cycles, "core%u.compute_cycles", id);
		stats_add(st, &c->page_faults, "core%u.page_faults", id);
		stats_add(st, &c->dtlb->hits, "core%u.dtlb.hit", id);
		stats_add(st, &c->dtlb->misses, "core%u.dtlb.miss", id);
		stats_add(st, &c->dtlb->evictions, "core%u.dtlb.evict", id);
		stats_add(st, &c->dtlb->flushes, "core%u.dtlb.flush", id);
		stats_add(st, &c->dirty_rewalks, "core%u.dtlb.dirty_rewalk", id);
		stats_add(st, &c->walker.walks, "core%u.walk.count", id);
		stats_add(st, &c->walker.cycles, "core%u.walk.cycles", id);
		stats_add(st, &c->walker.refs, "core%u.walk.refs", id);
		stats_add(st, &c->walker.ad_writes, "core%u.walk.ad_writes", id);
		stats_add(st, &c->walker.faults, "core%u.walk.faults", id);
		stats_add(st, &c->cr3_loads, "core%u.cr3_loads", id);
		stats_add(st, &c->invlpgs, "core%u.invlpg", id);
	}
	return c;
}

void core_destroy(struct core *c)
{
	if (!c)
		return;
	tlb_destroy(c->dtlb);
	free(c);
}

void core_load_cr3(struct core *c, uint64_t cr3)
{
	c->cr3 = cr3;
	c->clock += c->cr3_cost;
	c->cr3_loads++;
	tlb_flush_nonglobal(c->dtlb);
}

void core_invlpg(struct core *c, vaddr_t va)
{
	c->clock += c->invlpg_cost;
	c->invlpgs++;
	tlb_invlpg(c->dtlb, va >> PAGE_SHIFT, c->pcid);
}

void core_flush_tlb(struct core *c)
{
	core_load_cr3(c, c->cr3);
}
