/* A hardware core's translation path and TLB-management instructions:
 * see core.h. */
#include "sim/cpu/core.h"

#include <stdlib.h>
#include "lib/config.h"
#include "lib/stats.h"

static const char *const size_name[PS_SIZES] = { "4k", "2m", "1g" };
static const char *const side_name[2] = { "dtlb", "itlb" };

static struct tlb *make_l1(const struct cfg_tlb *cfg, int size, uint64_t seed)
{
	return cfg->entries ? tlb_create1(cfg, PAGE_SHIFT + 9 * size, seed) : NULL;
}

static void create_tlbs(struct core *c, const struct mmsim_cfg *cfg)
{
	uint64_t seed = cfg->seed ^ (0x7a11ull << 32) ^ ((uint64_t)c->id << 8);
	const struct cfg_tlb *l1cfg[2][PS_SIZES] = {
		{ &cfg->tlb.l1d_4k, &cfg->tlb.l1d_2m, &cfg->tlb.l1d_1g },
		{ &cfg->tlb.l1i_4k, &cfg->tlb.l1i_2m, NULL },
	};
	for (int side = 0; side < 2; side++)
		for (int s = 0; s < PS_SIZES; s++) {
			if (!l1cfg[side][s])
				continue;
			c->l1[side][s] = make_l1(l1cfg[side][s], s, seed + side * 4 + s);
			if (c->l1[side][s] && l1cfg[side][s]->latency > c->l1_latency[side])
				c->l1_latency[side] = l1cfg[side][s]->latency;
		}
	static const uint8_t shifts[] = { 12, 21, 30 };
	unsigned n = cfg->tlb.stlb_sizes == STLB_4K ? 1 : cfg->tlb.stlb_sizes == STLB_4K_2M ? 2 : 3;
	if (cfg->tlb.stlb.entries) {
		c->stlb = tlb_create(&cfg->tlb.stlb, shifts, n, seed + 16);
		for (unsigned i = 0; i < n; i++)
			c->stlb_has[i] = true;
	}
	if (cfg->tlb.stlb_1g.entries && !c->stlb_has[PS_1G]) {
		c->stlb1g = tlb_create1(&cfg->tlb.stlb_1g, 30, seed + 17);
		c->stlb_has[PS_1G] = true;
	}
	c->inclusive = cfg->tlb.inclusive;
	c->pcide = cfg->tlb.pcid;
}

static void register_stats(struct core *c, struct stats *st)
{
	unsigned id = c->id;
	stats_add(st, &c->clock, "core%u.cycles", id);
	stats_add(st, &c->loads, "core%u.loads", id);
	stats_add(st, &c->stores, "core%u.stores", id);
	stats_add(st, &c->fetches, "core%u.fetches", id);
	stats_add(st, &c->compute_cycles, "core%u.compute_cycles", id);
	stats_add(st, &c->idle_cycles, "core%u.idle_cycles", id);
	stats_add(st, &c->page_faults, "core%u.page_faults", id);
	for (int side = 0; side < 2; side++) {
		stats_add(st, &c->l1_hit[side], "core%u.%s.hit", id, side_name[side]);
		stats_add(st, &c->l1_miss[side], "core%u.%s.miss", id, side_name[side]);
		for (int s = 0; s < PS_SIZES; s++) {
			stats_add(st, &c->l1_miss_size[side][s], "core%u.%s.miss.%s", id,
				  side_name[side], size_name[s]);
			if (c->l1[side][s])
				stats_add(st, &c->l1[side][s]->evictions, "core%u.%s.%s.evict",
					  id, side_name[side], size_name[s]);
		}
	}
	for (int s = 0; s < PS_SIZES; s++)
		stats_add(st, &c->stlb_hit[s], "core%u.stlb.hit.%s", id, size_name[s]);
	stats_add(st, &c->stlb_miss, "core%u.stlb.miss", id);
	stats_add(st, &c->dirty_rewalks, "core%u.dtlb.dirty_rewalk", id);
	struct walker *w = &c->walker;
	stats_add(st, &w->walks, "core%u.walk.count", id);
	stats_add(st, &w->cycles, "core%u.walk.cycles", id);
	stats_add(st, &w->refs, "core%u.walk.refs", id);
	stats_add(st, &w->ad_writes, "core%u.walk.ad_writes", id);
	stats_add(st, &w->faults, "core%u.walk.faults", id);
	for (int b = 0; b < WALK_HIST_BUCKETS; b++)
		stats_add(st, &w->hist[b], "core%u.walk.hist.%llu", id,
			  b == 0 ? 0ull : 128ull << (b - 1));
	static const char *const pwc_name[] = { [2] = "pde", [3] = "pdpte", [4] = "pml4e",
						[5] = "pml5e" };
	for (int l = 2; l <= PT_MAX_LEVELS; l++) {
		if (!w->pwc[l])
			continue;
		stats_add(st, &w->pwc_hit[l], "core%u.pwc.%s.hit", id, pwc_name[l]);
		stats_add(st, &w->pwc_miss[l], "core%u.pwc.%s.miss", id, pwc_name[l]);
	}
	stats_add(st, &c->cr3_loads, "core%u.cr3_loads", id);
	stats_add(st, &c->cr3_noflush, "core%u.cr3_loads_noflush", id);
	stats_add(st, &c->invlpgs, "core%u.invlpg", id);
	stats_add(st, &c->invpcids, "core%u.invpcid", id);
}

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
	c->invpcid_cost = cfg->cpu.invpcid;
	create_tlbs(c, cfg);
	walker_init(&c->walker, cfg, ms, id);
	c->walker.clock = &c->clock;
	if (st)
		register_stats(c, st);
	return c;
}

void core_destroy(struct core *c)
{
	if (!c)
		return;
	for (int side = 0; side < 2; side++)
		for (int s = 0; s < PS_SIZES; s++)
			tlb_destroy(c->l1[side][s]);
	tlb_destroy(c->stlb);
	tlb_destroy(c->stlb1g);
	walker_fini(&c->walker);
	free(c);
}

/* ------------------------------------------------------------ miss path */

static struct tlb *stlb_for(struct core *c, int size)
{
	if (!c->stlb_has[size])
		return NULL;
	return (size == PS_1G && c->stlb1g) ? c->stlb1g : c->stlb;
}

/* Drop the entries translating va for pcid from every TLB of the core
 * (globals too unless keep_global). */
static void invlpg_all(struct core *c, vaddr_t va, uint16_t pcid, bool keep_global)
{
	for (int side = 0; side < 2; side++)
		for (int s = 0; s < PS_SIZES; s++)
			if (c->l1[side][s])
				tlb_invlpg(c->l1[side][s], va, pcid, keep_global);
	if (c->stlb)
		tlb_invlpg(c->stlb, va, pcid, keep_global);
	if (c->stlb1g)
		tlb_invlpg(c->stlb1g, va, pcid, keep_global);
}

/* #PF invalidates the TLB entries for the faulting address, global ones
 * included (SDM 4.10.4.1; Linux's spurious_kernel_fault() relies on it). */
static void drop_address(struct core *c, vaddr_t va)
{
	invlpg_all(c, va, c->pcid, false);
}

/* Fill the STLB (if it holds the size) and the L1 of the access's side. */
static void fill(struct core *c, int side, int size, vaddr_t va, uint64_t pfn, uint8_t rights)
{
	unsigned shift = PAGE_SHIFT + 9 * size;
	struct tlb *s2 = stlb_for(c, size);
	struct tlb_entry ev;
	if (s2 && tlb_fill_at(s2, va >> shift, shift, pfn, c->pcid, rights, &ev) && c->inclusive) {
		int evsize = (ev.shift - PAGE_SHIFT) / 9;
		for (int sd = 0; sd < 2; sd++)
			if (c->l1[sd][evsize])
				tlb_evict_exact(c->l1[sd][evsize], ev.vpn, ev.shift, ev.pcid);
	}
	if (c->l1[side][size])
		tlb_fill(c->l1[side][size], va >> shift, pfn, c->pcid, rights, NULL);
}

/* Probe the STLB for every size it holds entries of; returns the entry and
 * its size. */
static struct tlb_entry *stlb_probe(struct core *c, vaddr_t va, int *size)
{
	for (int s = PS_4K; s < PS_SIZES; s++) {
		struct tlb *t = stlb_for(c, s);
		unsigned shift = PAGE_SHIFT + 9 * s;
		struct tlb_entry *e;
		if (t && t->nvalid_shift[shift] &&
		    (e = tlb_lookup_at(t, va >> shift, shift, c->pcid))) {
			*size = s;
			return e;
		}
	}
	return NULL;
}

uint32_t core_translate_slow(struct core *c, vaddr_t va, uint32_t access, paddr_t *pa,
			     struct tlb *t, struct tlb_entry *hit)
{
	int side = (access & PF_I) ? SIDE_I : SIDE_D, size;
	(void)t;
	if (!hit) {
		c->l1_miss[side]++;
		if (c->stlb || c->stlb1g)
			c->clock += c->stlb ? c->stlb->latency : c->stlb1g->latency;
		hit = stlb_probe(c, va, &size);
		if (hit && tlb_entry_serves(c, hit, access)) {
			c->stlb_hit[size]++;
			c->l1_miss_size[side][size]++;
			uint64_t pfn = hit->pfn;
			uint8_t rights = hit->flags & ~TLBE_VALID;
			if (c->l1[side][size])
				tlb_fill(c->l1[side][size], va >> (PAGE_SHIFT + 9 * size), pfn,
					 c->pcid, rights, NULL);
			*pa = (pfn << PAGE_SHIFT) | (va & ((1ull << (PAGE_SHIFT + 9 * size)) - 1));
			return 0;
		}
		if (!hit)
			c->stlb_miss++;
	}
	if (hit) {
		/* A cached entry that cannot serve the access: a write through a
		 * clean entry walks again to set D; anything else is a #PF. */
		bool needs_d = (access & PF_W) && (hit->flags & TLBE_RW) &&
			       !(hit->flags & TLBE_DIRTY) &&
			       tlb_entry_serves(c, hit, access & ~PF_W);
		drop_address(c, va);
		if (!needs_d) {
			c->page_faults++;
			return PF_RAISED | access | PF_P;
		}
		c->dirty_rewalks++;
	}
	struct walk_result r;
	walk(&c->walker, c->cr3, c->pcid, va, access, &r);
	c->clock += r.cycles;
	if (r.faulted) {
		c->page_faults++;
		return PF_RAISED | r.fault;
	}
	size = (r.shift - PAGE_SHIFT) / 9;
	c->l1_miss_size[side][size]++;
	fill(c, side, size, va, (r.pa & ~((1ull << r.shift) - 1)) >> PAGE_SHIFT, r.rights);
	*pa = r.pa;
	return 0;
}

/* ---------------------------------------------------- TLB instructions */

static void flush_tlbs(struct core *c, void (*fn)(struct tlb *, uint16_t), uint16_t pcid)
{
	for (int side = 0; side < 2; side++)
		for (int s = 0; s < PS_SIZES; s++)
			if (c->l1[side][s])
				fn(c->l1[side][s], pcid);
	if (c->stlb)
		fn(c->stlb, pcid);
	if (c->stlb1g)
		fn(c->stlb1g, pcid);
}

static void flush_nonglobal(struct tlb *t, uint16_t pcid) { (void)pcid; tlb_flush_nonglobal(t); }
static void flush_all(struct tlb *t, uint16_t pcid) { (void)pcid; tlb_flush_all(t); }

void core_load_cr3(struct core *c, uint64_t cr3)
{
	bool noflush = c->pcide && (cr3 & CR3_NOFLUSH);
	c->cr3 = cr3 & ~CR3_NOFLUSH;
	c->pcid = c->pcide ? (uint16_t)(cr3 & CR3_PCID_MASK) : 0;
	c->clock += c->cr3_cost;
	c->cr3_loads++;
	if (noflush) {
		c->cr3_noflush++;
		return;
	}
	if (c->pcide) {
		flush_tlbs(c, tlb_flush_pcid, c->pcid);
		walker_flush_pcid(&c->walker, c->pcid);
	} else {
		flush_tlbs(c, flush_nonglobal, 0);
		walker_flush_all(&c->walker);
	}
}

void core_invlpg(struct core *c, vaddr_t va)
{
	c->clock += c->invlpg_cost;
	c->invlpgs++;
	invlpg_all(c, va, c->pcid, false);
	walker_flush_pcid(&c->walker, c->pcid);
}

void core_invpcid(struct core *c, int type, uint16_t pcid, vaddr_t va)
{
	c->clock += c->invpcid_cost;
	c->invpcids++;
	switch (type) {
	case 0:
		invlpg_all(c, va, pcid, true);
		walker_flush_pcid(&c->walker, pcid);
		break;
	case 1:
		flush_tlbs(c, tlb_flush_pcid, pcid);
		walker_flush_pcid(&c->walker, pcid);
		break;
	case 2:
		flush_tlbs(c, flush_all, 0);
		walker_flush_all(&c->walker);
		break;
	default:
		flush_tlbs(c, flush_nonglobal, 0);
		walker_flush_all(&c->walker);
		break;
	}
}

void core_flush_tlb(struct core *c)
{
	core_load_cr3(c, c->cr3 | c->pcid);
}

void core_for_each_tlb_entry(struct core *c, void (*fn)(void *arg, const struct tlb *t,
			     const struct tlb_entry *e), void *arg)
{
	struct tlb *all[2 * PS_SIZES + 2];
	int n = 0;
	for (int side = 0; side < 2; side++)
		for (int s = 0; s < PS_SIZES; s++)
			all[n++] = c->l1[side][s];
	all[n++] = c->stlb;
	all[n++] = c->stlb1g;
	for (int i = 0; i < n; i++) {
		if (!all[i])
			continue;
		for (size_t k = 0; k < (size_t)all[i]->sets * all[i]->ways; k++)
			if (all[i]->e[k].flags & TLBE_VALID)
				fn(arg, all[i], &all[i]->e[k]);
	}
}
