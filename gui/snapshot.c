/* Snapshots of the machine for the GUI: see snapshot.h.
 *
 * Kernel layout this file depends on (and nothing else in gui/ does):
 * kmm->memmap / nframes (struct page flags, order, refcount ...), the zone
 * list (nodes and their zones), zone watermarks, pageblock migratetypes,
 * free blocks as PG_buddy heads with their .order, and the walker's `last`
 * record. */
#include "gui/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/mm/dma.h"
#include "kernel/mm/kmm.h"
#include "lib/stats.h"
#include "sim/cpu/core.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/memsys.h"
#include "src/machine.h"

const char *const snap_kind_name[SK_KINDS] = {
	[SK_NONE] = "unused", [SK_RESERVED] = "reserved", [SK_FREE] = "free",
	[SK_ANON] = "anon", [SK_FILE] = "file", [SK_SLAB] = "slab",
	[SK_PGTABLE] = "page table", [SK_KERNEL] = "kernel", [SK_HUGETLB] = "hugetlb",
	[SK_DMA] = "dma-mapped",
};

/* ------------------------------------------------------------ zones */

/* Every zone of the kernel, in PFN order. The one place that knows where
 * the kernel keeps them. */
static unsigned zone_list(const struct kmm *k, const struct zone **out, unsigned max)
{
	/* nodes in address order, each node's zones DMA..Movable (zone.h);
	 * zones a node does not reach are left out */
	unsigned n = 0;
	for (unsigned nid = 0; nid < k->nr_nodes; nid++)
		for (int i = 0; i < MAX_NR_ZONES; i++)
			if (k->node[nid].zones[i].spanned_pages && n < max)
				out[n++] = &k->node[nid].zones[i];
	return n;
}

static const struct zone *zone_of(const struct kmm *k, uint64_t pfn)
{
	const struct zone *z[SNAP_MAX_ZONES];
	unsigned n = zone_list(k, z, SNAP_MAX_ZONES);
	for (unsigned i = 0; i < n && i < SNAP_MAX_ZONES; i++)
		if (pfn >= z[i]->start_pfn && pfn < z[i]->end_pfn)
			return z[i];
	return NULL;
}

unsigned snap_zones(const struct machine *m, struct snap_zone *out, unsigned max)
{
	const struct kmm *k = machine_kmm(m);
	const struct zone *z[SNAP_MAX_ZONES];
	unsigned n = zone_list(k, z, SNAP_MAX_ZONES);
	for (unsigned i = 0; i < n && i < max; i++) {
		struct snap_zone *s = &out[i];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "node%d %s", z[i]->node, z[i]->name);
		s->node = z[i]->node;
		s->start_pfn = z[i]->start_pfn;
		s->end_pfn = z[i]->end_pfn;
		s->managed = z[i]->managed_pages;
		s->free_pages = z[i]->free_pages;
		s->max_order = z[i]->max_order < SNAP_MAX_ORDER ? z[i]->max_order : SNAP_MAX_ORDER;
		_Static_assert(MIGRATE_TYPES <= SNAP_MAX_MT, "room for every migratetype");
		s->nmt = MIGRATE_TYPES;
		for (unsigned t = 0; t < MIGRATE_TYPES; t++)
			s->mt_name[t] = migratetype_names[t];
		for (unsigned o = 0; o < s->max_order; o++) {
			s->nr_free[o] = z[i]->free_area[o].nr_free;
			for (unsigned t = 0; t < MIGRATE_TYPES; t++)
				s->nr_free_mt[t][o] = z[i]->free_area[o].nr_free_mt[t];
		}
		s->has_wmark = z[i]->watermark[WMARK_HIGH] != 0;
		s->wmark_min = z[i]->watermark[WMARK_MIN];
		s->wmark_low = z[i]->watermark[WMARK_LOW];
		s->wmark_high = z[i]->watermark[WMARK_HIGH];
	}
	return n;
}

/* ------------------------------------------------------------ frames */

static enum snap_kind kind_of_flags(uint32_t flags)
{
	switch (flags & PG_STATE_MASK) {
	case PG_reserved: return SK_RESERVED;
	case PG_buddy:    return SK_FREE;
	case PG_pgtable:  return SK_PGTABLE;
	case PG_anon:     return SK_ANON;
	case PG_kernel:   return SK_KERNEL;
	case PG_slab:     return SK_SLAB;
	case PG_file:     return SK_FILE;
	case PG_hugetlb:  return SK_HUGETLB;
	default:          return SK_NONE;
	}
}

void snap_map_init(struct snap_map *s, const struct machine *m)
{
	memset(s, 0, sizeof(*s));
	s->nframes = machine_kmm(m)->nframes;
	s->kind = calloc(s->nframes ? s->nframes : 1, 1);
	s->order = calloc(s->nframes ? s->nframes : 1, 1);
	if (!s->kind || !s->order)
		abort();
}

void snap_map_fini(struct snap_map *s)
{
	free(s->kind);
	free(s->order);
	memset(s, 0, sizeof(*s));
}

static void mark_dma_domains(struct snap_map *s, const struct machine *m);

/* One pass: a PG_buddy head covers its whole block; a compound tail takes
 * its head's kind; any other frame its own flags. */
void snap_map_update(struct snap_map *s, const struct machine *m)
{
	const struct kmm *k = machine_kmm(m);
	const struct page *mm = k->memmap;
	memset(s->count, 0, sizeof(s->count));
	for (uint64_t pfn = 0; pfn < s->nframes;) {
		const struct page *p = &mm[pfn];
		if (p->flags & PG_buddy) {
			uint64_t n = 1ull << p->order;
			if (n > s->nframes - pfn)
				n = s->nframes - pfn;
			memset(s->kind + pfn, SK_FREE, n);
			memset(s->order + pfn, p->order, n);
			s->count[SK_FREE] += n;
			pfn += n;
			continue;
		}
		uint32_t flags = p->flags;
		if ((flags & PG_tail) && p->private < s->nframes)
			flags = mm[p->private].flags;
		enum snap_kind kd = kind_of_flags(flags);
		s->kind[pfn] = (uint8_t)kd;
		s->order[pfn] = 0;
		s->count[kd]++;
		pfn++;
	}
	mark_dma_domains(s, m);
}

/* DMA-mapped: every leaf of a device's IOMMU second-level tables (the
 * kernel's DMA API writes them, kernel/mm/dma.c) is a frame the device can
 * reach; it shows as such whatever else it holds. */
static void mark_dma(struct snap_map *s, const struct physmem *pm, paddr_t table, int level)
{
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		pte_t e = physmem_read(pm, table + 8ull * i, 8);
		if (!(e & (IOPTE_R | IOPTE_W)))
			continue;
		paddr_t a = e & PTE_ADDR_MASK;
		if (level > 1 && !(level <= 3 && (e & PTE_PS))) {
			mark_dma(s, pm, a, level - 1);
			continue;
		}
		uint64_t first = a >> PAGE_SHIFT, n = pt_level_size(level) >> PAGE_SHIFT;
		for (uint64_t pfn = first; pfn < first + n && pfn < s->nframes; pfn++) {
			s->count[s->kind[pfn]]--;
			s->kind[pfn] = SK_DMA;
			s->order[pfn] = 0;
			s->count[SK_DMA]++;
		}
	}
}

static void mark_dma_domains(struct snap_map *s, const struct machine *m)
{
	const struct kdma *kd = machine_kdma(m);
	if (!kd)
		return;
	for (unsigned i = 0; i < kd->ndev && i < DMA_MAX_DEVICES; i++)
		if (kd->dev[i].dom && kd->dev[i].dom->pgd)
			mark_dma(s, &machine_memsys(m)->pm, kd->dev[i].dom->pgd, PT_LEVELS);
}

/* The free block containing pfn, if any: its head is the nearest PG_buddy
 * frame at an aligned position below whose order reaches pfn. */
static bool free_block_of(const struct kmm *k, uint64_t pfn, uint64_t *head, unsigned *order)
{
	for (unsigned o = 0; o < BUDDY_MAX_ORDER_LIMIT; o++) {
		uint64_t h = pfn & ~((1ull << o) - 1);
		const struct page *p = &k->memmap[h];
		if ((p->flags & PG_buddy) && p->order >= o && pfn < h + (1ull << p->order)) {
			*head = h;
			*order = p->order;
			return true;
		}
	}
	return false;
}

void snap_page_get(const struct machine *m, uint64_t pfn, struct snap_page *sp)
{
	const struct kmm *k = machine_kmm(m);
	memset(sp, 0, sizeof(*sp));
	sp->pfn = pfn;
	sp->migratetype = -1;
	sp->zone = "";
	if (pfn >= k->nframes)
		return;
	const struct page *p = &k->memmap[pfn];
	sp->flags = p->flags;
	sp->refcount = p->refcount;
	sp->mapcount = p->mapcount;
	sp->mapping = p->mapping;
	sp->index = p->index;
	uint32_t flags = p->flags;
	if ((flags & PG_tail) && p->private < k->nframes)
		flags = k->memmap[p->private].flags;
	sp->kind = kind_of_flags(flags);
	if (free_block_of(k, pfn, &sp->free_head, &sp->free_order))
		sp->kind = SK_FREE;
	const struct zone *z = zone_of(k, pfn);
	if (z) {
		sp->zone = z->name;
		sp->migratetype = get_pageblock_migratetype(z, pfn);
	}
}

const char *snap_migratetype_name(int mt)
{
	return mt >= 0 && mt < MIGRATE_TYPES ? migratetype_names[mt] : "-";
}

const char *snap_flags_str(uint32_t flags, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ PG_reserved, "reserved" }, { PG_buddy, "buddy" }, { PG_pgtable, "pgtable" },
		{ PG_anon, "anon" }, { PG_kernel, "kernel" }, { PG_slab, "slab" },
		{ PG_file, "file" }, { PG_hugetlb, "hugetlb" }, { PG_head, "head" },
		{ PG_tail, "tail" }, { PG_lru, "lru" }, { PG_active, "active" },
		{ PG_referenced, "referenced" }, { PG_dirty, "dirty" },
		{ PG_swapcache, "swapcache" }, { PG_mlocked, "mlocked" },
		{ PG_writeback, "writeback" }, { PG_uptodate, "uptodate" },
	};
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((flags & names[i].bit) && n + strlen(names[i].name) + 2 < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", names[i].name);
	if (!n)
		snprintf(buf, len, "-");
	return buf;
}

/* ------------------------------------------------------------ TLBs */

/* The structures of a core in display order; names in names[]. */
static unsigned core_tlb_list(const struct core *c, const struct tlb **t, const char **names)
{
	static const char *const l1n[2][PS_SIZES] = {
		{ "L1d 4K", "L1d 2M", "L1d 1G" }, { "L1i 4K", "L1i 2M", "L1i 1G" },
	};
	static const char *const pscn[PT_MAX_LEVELS + 1] = {
		[2] = "PSC PDE", [3] = "PSC PDPTE", [4] = "PSC PML4E", [5] = "PSC PML5E",
	};
	unsigned n = 0;
	for (int side = 0; side < 2; side++)
		for (int s = 0; s < PS_SIZES; s++)
			if (c->l1[side][s])
				t[n] = c->l1[side][s], names[n++] = l1n[side][s];
	if (c->stlb)
		t[n] = c->stlb, names[n++] = "STLB";
	if (c->stlb1g)
		t[n] = c->stlb1g, names[n++] = "STLB 1G";
	for (int l = 2; l <= PT_MAX_LEVELS; l++)
		if (c->walker.pwc[l])
			t[n] = c->walker.pwc[l], names[n++] = pscn[l];
	return n;
}

unsigned snap_core_tlbs(const struct machine *m, unsigned core, struct snap_tlb *out,
			unsigned max)
{
	const struct tlb *t[SNAP_MAX_TLBS];
	const char *names[SNAP_MAX_TLBS];
	unsigned n = core_tlb_list(machine_core(m, core), t, names);
	for (unsigned i = 0; i < n && i < max; i++) {
		struct snap_tlb *s = &out[i];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", names[i]);
		s->sets = t[i]->sets;
		s->ways = t[i]->ways;
		s->latency = t[i]->latency;
		s->hits = t[i]->hits;
		s->fills = t[i]->fills;
		s->evictions = t[i]->evictions;
		s->tlb = t[i];
	}
	return n < max ? n : max;
}

void snap_tlb_entry(const struct machine *m, unsigned core, unsigned i, unsigned set,
		    unsigned way, struct snap_tlb_entry *e)
{
	const struct tlb *t[SNAP_MAX_TLBS];
	const char *names[SNAP_MAX_TLBS];
	unsigned n = core_tlb_list(machine_core(m, core), t, names);
	memset(e, 0, sizeof(*e));
	if (i >= n || set >= t[i]->sets || way >= t[i]->ways)
		return;
	const struct tlb_entry *x = &t[i]->e[(size_t)set * t[i]->ways + way];
	e->valid = x->flags & TLBE_VALID;
	e->global = x->flags & TLBE_GLOBAL;
	e->dirty = x->flags & TLBE_DIRTY;
	e->rw = x->flags & TLBE_RW;
	e->us = x->flags & TLBE_US;
	e->nx = x->flags & TLBE_NX;
	e->vpn = x->vpn;
	e->pfn = x->pfn;
	e->stamp = x->stamp;
	e->shift = x->shift;
	e->pcid = x->pcid;
}

/* ------------------------------------------------------------ cores */

void snap_core_get(const struct machine *m, unsigned i, struct snap_core *s)
{
	const struct core *c = machine_core(m, i);
	const struct kmm *k = machine_kmm(m);
	memset(s, 0, sizeof(*s));
	s->clock = c->clock;
	s->cr3 = c->cr3;
	s->pcid = c->pcid;
	s->l1_hit = c->l1_hit[SIDE_D] + c->l1_hit[SIDE_I];
	s->l1_miss = c->l1_miss[SIDE_D] + c->l1_miss[SIDE_I];
	s->stlb_miss = c->stlb_miss;
	s->walks = c->walker.walks;
	s->faults = c->page_faults;
	s->ipi_sent = k->ipi[i].sent;
	s->ipi_received = k->ipi[i].received;
	const struct walk_last *w = &c->walker.last;
	s->has_last_walk = w->seq != 0;
	s->last_va = w->va;
	s->last_cr3 = w->cr3;
	s->last_seq = w->seq;
	s->last_top = w->top;
	s->last_level = w->level;
	s->last_faulted = w->faulted;
}

/* ------------------------------------------------------------ processes */

void snap_proc_get(const struct machine *m, unsigned i, struct snap_proc *p)
{
	const struct mm *mm = machine_proc_mm(m, i);
	memset(p, 0, sizeof(*p));
	p->name = machine_proc_name(m, i);
	p->alive = mm != NULL;
	if (!mm)
		return;
	p->pgd = mm->pgd;
	p->rss_anon = mm->rss_anon;
	p->pt_pages = mm->pt_pages;
	p->nvma = mm->nvma;
}

int snap_levels(const struct machine *m)
{
	return machine_kmm(m)->levels;
}

pte_t snap_pte(const struct machine *m, paddr_t table, unsigned idx)
{
	return physmem_read(&machine_memsys(m)->pm, (table & PTE_ADDR_MASK) + 8ull * idx, 8);
}

/* ------------------------------------------------------------ counters */

uint64_t snap_counter(const struct machine *m, const char *name)
{
	uint64_t v = 0;
	/* stats_get only reads; the registry is reached through the machine */
	if (!stats_get(machine_stats((struct machine *)m), name, &v))
		v = 0;
	return v;
}

uint64_t snap_core_sum(const struct machine *m, const char *suffix)
{
	uint64_t sum = 0;
	char name[96];
	for (unsigned i = 0; i < machine_ncores(m); i++) {
		snprintf(name, sizeof(name), "core%u%s", i, suffix);
		sum += snap_counter(m, name);
	}
	return sum;
}

cycles_t snap_cycles(const struct machine *m)
{
	return machine_cycles(m);
}

void snap_vm_get(const struct machine *m, struct snap_vm *v)
{
	const struct kmm *k = machine_kmm(m);
	const struct zone *z[SNAP_MAX_ZONES];
	unsigned n = zone_list(k, z, SNAP_MAX_ZONES);
	memset(v, 0, sizeof(*v));
	v->pgfault = k->pgfault;
	v->shootdowns = k->shootdown;
	for (unsigned i = 0; i < n && i < SNAP_MAX_ZONES; i++) {
		v->free_pages += z[i]->free_pages;
		v->managed += z[i]->managed_pages;
	}
}

long snap_counter_find(const struct machine *m, const char *name)
{
	const struct stats *st = machine_stats((struct machine *)m);
	for (size_t i = 0; i < stats_count(st); i++)
		if (!strcmp(stats_name(st, i), name))
			return (long)i;
	return -1;
}

uint64_t snap_counter_at(const struct machine *m, long idx)
{
	return idx < 0 ? 0 : stats_value(machine_stats((struct machine *)m), (size_t)idx);
}
