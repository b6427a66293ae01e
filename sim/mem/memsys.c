/* The memory-system port: builds the cache hierarchy and DRAM from the
 * config (see memsys.h). */
#include "sim/mem/memsys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/config.h"
#include "lib/jsonutil.h"
#include "lib/stats.h"
#include "sim/mem/dram.h"

const char *const mem_kind_name[MEM_KINDS] = {
	"load", "store", "ifetch", "walk", "kernel", "dma",
};

extern const char *const cfg_cache_policy_names[];
extern const char *const cfg_inclusion_names[];

static struct cache_cfg cache_cfg_of(const struct mmsim_cfg *cfg, const struct cfg_cache *c,
				     uint64_t seed)
{
	return (struct cache_cfg){
		.size = c->size, .ways = c->ways, .line = cfg->cache.line,
		.latency = c->latency, .repl = cfg_cache_policy_names[c->policy],
		.seed = seed,
	};
}

static void hier_cfg_of(const struct mmsim_cfg *cfg, struct hier_cfg *h)
{
	memset(h, 0, sizeof(*h));
	h->l1i = cache_cfg_of(cfg, &cfg->cache.l1i, cfg->seed + 1);
	h->l1d = cache_cfg_of(cfg, &cfg->cache.l1d, cfg->seed + 2);
	h->l1d.write_through = cfg->cache.l1d_write_through;
	h->l2 = cache_cfg_of(cfg, &cfg->cache.l2, cfg->seed + 3);
	h->llc = cache_cfg_of(cfg, &cfg->cache.llc, cfg->seed + 4);
	h->llc.slices = cfg->cache.llc_slices;
	h->llc.wb_noalloc = cfg->cache.llc_wb_noalloc;
	h->inclusion = cfg_inclusion_names[cfg->cache.inclusion];
	h->c2c_latency = cfg->cache.c2c_latency;
	h->inval_latency = cfg->cache.inval_latency;
}

/* Parse memory.numa.distance ("0 120; 120 0") into d->remote. */
static int parse_distance(const char *s, unsigned nodes, struct dram_cfg *d, char *err)
{
	unsigned row = 0, col = 0;
	const char *p = s;
	while (*p) {
		if (*p == ' ' || *p == ',' || *p == '\t') {
			p++;
		} else if (*p == ';') {
			if (col != nodes)
				return errf(err, "memory.numa.distance: row %u has %u figures, not %u",
					    row + 1, col, nodes);
			row++, col = 0, p++;
		} else if (*p >= '0' && *p <= '9') {
			char *end;
			unsigned long v = strtoul(p, &end, 10);
			if (row >= nodes || col >= nodes)
				return errf(err, "memory.numa.distance: more than %u x %u figures",
					    nodes, nodes);
			if (v > 100000)
				return errf(err, "memory.numa.distance: %lu is out of range (0..100000)", v);
			d->remote[row][col++] = (uint32_t)v;
			p = end;
		} else {
			return errf(err, "memory.numa.distance: unexpected '%c' (numbers, spaces "
				    "and ';' only)", *p);
		}
	}
	if (row + 1 != nodes || col != nodes)
		return errf(err, "memory.numa.distance: needs %u rows of %u figures "
			    "(memory.numa.nodes = %u)", nodes, nodes, nodes);
	for (unsigned i = 0; i < nodes; i++)
		if (d->remote[i][i])
			return errf(err, "memory.numa.distance: the diagonal (a node's own "
				    "memory) must be 0, row %u has %u", i + 1, d->remote[i][i]);
	return 0;
}

/* Cores in contiguous blocks per node, memory split evenly. */
static int dram_cfg_of(const struct mmsim_cfg *cfg, struct dram_cfg *d, char *err)
{
	dram_cfg_defaults(d, cfg->memory.size);
	d->channels = cfg->memory.dram.channels;
	d->banks = cfg->memory.dram.banks;
	d->line = cfg->cache.line;
	d->row = (uint32_t)cfg->memory.dram.row;
	d->tcas = cfg->memory.dram.tcas;
	d->trcd = cfg->memory.dram.trcd;
	d->trp = cfg->memory.dram.trp;
	d->burst = cfg->memory.dram.burst;
	d->controller = cfg->memory.dram.controller;
	unsigned nodes = cfg->memory.numa_nodes;
	dram_cfg_numa_even(d, cfg->memory.size, nodes, cfg->memory.numa_remote);
	for (unsigned c = 0; c < cfg->cores && c < DRAM_MAX_CORES; c++)
		d->core_node[c] = (uint8_t)(c * nodes / cfg->cores);
	if (cfg->memory.numa_distance[0])
		return parse_distance(cfg->memory.numa_distance, nodes, d, err);
	return 0;
}

int memsys_cfg_check(const struct mmsim_cfg *cfg, const char *origin, char *err)
{
	if (cfg->memory.model == MEMMODEL_FLAT)
		return 0;
	char why[MMSIM_ERR_LEN];
	struct hier_cfg h;
	struct dram_cfg d;
	hier_cfg_of(cfg, &h);
	if (dram_cfg_of(cfg, &d, why) || hier_cfg_check(&h, cfg->cores, why) ||
	    dram_cfg_check(&d, "memory.dram", why))
		return errf(err, "%s: %s", origin, why);
	return 0;
}

struct memsys *memsys_create(const struct mmsim_cfg *cfg, struct stats *st, char *err)
{
	struct memsys *ms = calloc(1, sizeof(*ms));
	if (!ms || physmem_init(&ms->pm, cfg->memory.size) < 0) {
		free(ms);
		errf(err, "out of host memory for %llu bytes of guest memory",
		     (unsigned long long)cfg->memory.size);
		return NULL;
	}
	ms->flat = cfg->memory.model == MEMMODEL_FLAT;
	ms->flat_latency = cfg->memory.dram_latency;
	if (!ms->flat) {
		if (memsys_cfg_check(cfg, "config", err)) {
			memsys_destroy(ms);
			return NULL;
		}
		struct hier_cfg h;
		struct dram_cfg d;
		hier_cfg_of(cfg, &h);
		dram_cfg_of(cfg, &d, err);
		ms->dram = dram_create(&d);
		ms->hier = hier_create(&h, cfg->cores, ms->dram);
		if (st) {
			hier_stats(ms->hier, st);
			dram_stats(ms->dram, st);
		}
	}
	if (st) {
		for (int k = 0; k < MEM_KINDS; k++)
			stats_add(st, &ms->access[k], "mem.access.%s", mem_kind_name[k]);
		stats_add(st, &ms->pm.backed_peak, "physmem.host_frames_peak");
	}
	return ms;
}

void memsys_destroy(struct memsys *ms)
{
	if (!ms)
		return;
	hier_destroy(ms->hier);
	dram_destroy(ms->dram);
	physmem_fini(&ms->pm);
	free(ms);
}
