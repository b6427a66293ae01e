/* Frame allocation for the kernel's users (Linux's __alloc_pages() and
 * __free_pages()), and its timed memory accesses.
 *
 * An allocation walks the zonelist of its preferred node (nearest nodes
 * first, highest zone first, never above gfp_zone(gfp)) and takes from the
 * first zone that passes zone_watermark_ok() at the LOW mark
 * (get_page_from_freelist()); order-0 requests go through the core's pcp
 * list. When none does, the slow path (__alloc_pages_slowpath()) counts a
 * kswapd wake-up, retries at the MIN mark with the reserves gfp_to_alloc_flags()
 * grants (__GFP_HIGH: half of min; no direct reclaim: a further quarter and
 * the HIGHATOMIC reserve), then, if the caller may sleep and order > 0,
 * compacts (compaction.c) and retries. There is no direct reclaim yet (the
 * reclaim issue adds it): what fails then fails, __GFP_NOFAIL included
 * (counted as mm.page_alloc.nofail_fail).
 *
 * Every frame handed out with __GFP_ZERO is zeroed by the kernel
 * (clear_page()) with one whole-line store per cache line through the
 * memory port of the core doing it (no read for ownership), so zeroing
 * costs what the memory system says. The
 * allocator's own work is charged from kernel.cost.*: pcp_alloc / pcp_free
 * on the per-cpu fast path, page_alloc / page_free per zone-locked
 * operation, pcp_page per frame a refill or drain moves. */
#include "kernel/mm/kmm.h"
#include "kernel/mm/compaction.h"
#include "kernel/mm/vmscan.h"
#include "kernel/mm/swap.h"

#include <assert.h>
#include "lib/config.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"

#define LINE_SIZE 64

pte_t kmm_read_pte(struct kmm *k, struct core *c, paddr_t pa)
{
	c->clock += memsys_access(k->ms, c->id, pa, MEM_KERNEL, false, c->clock);
	return physmem_read(&k->ms->pm, pa, 8);
}

void kmm_write_pte(struct kmm *k, struct core *c, paddr_t pa, pte_t v)
{
	c->clock += memsys_access(k->ms, c->id, pa, MEM_KERNEL, true, c->clock);
	physmem_write(&k->ms->pm, pa, 8, v);
}

/* clear_page(): the host frame is dropped (it reads as zeros), the time is
 * that of writing every line whole, as clear_page_erms's rep stosb does:
 * no line is read for ownership (memsys_write_line(); docs/cache-model.md,
 * "Whole-line writes"). */
static void clear_page(struct kmm *k, struct core *c, uint64_t pfn)
{
	paddr_t pa = pfn << PAGE_SHIFT;
	unsigned line = k->ms->hier ? 1u << k->ms->hier->line_shift : LINE_SIZE;
	for (unsigned off = 0; off < PAGE_SIZE; off += line)
		c->clock += memsys_write_line(k->ms, c->id, pa + off, MEM_KERNEL, c->clock);
	physmem_zero_frame(&k->ms->pm, pfn);
}

uint64_t kmm_free_frames(const struct kmm *k)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < k->nr_nodes; i++)
		for (int j = 0; j < MAX_NR_ZONES; j++)
			n += k->node[i].zones[j].free_pages + k->node[i].zones[j].pcp_pages;
	return n;
}

/* gfp_to_alloc_flags() of the slow path. */
static unsigned gfp_to_alloc_flags(gfp_t gfp, unsigned order)
{
	unsigned f = ALLOC_WMARK_MIN;

	if (gfp & __GFP_HIGH)
		f |= ALLOC_MIN_RESERVE;
	if (gfp & __GFP_KSWAPD_RECLAIM)
		f |= ALLOC_KSWAPD;
	if (!(gfp & __GFP_DIRECT_RECLAIM)) {
		f |= ALLOC_NON_BLOCK;
		if (order > 0)
			f |= ALLOC_HIGHATOMIC;
	}
	if (gfp_migratetype(gfp) == MIGRATE_MOVABLE)
		f |= ALLOC_CMA;
	return f;
}

/* rmqueue(): one block from zone z, through core c's pcp lists for the
 * orders that have them (0..3 and the THP order). */
static int64_t rmqueue(struct kmm *k, struct core *c, struct zone *z, unsigned order,
		       int mt, unsigned alloc_flags)
{
	const struct mmsim_cfg *cfg = k->cfg;

	if (pcp_allowed_order(order) && z->pcp && c->id < (k->ncores ? k->ncores : 1)) {
		int moved;
		int64_t pfn = pcp_alloc(k, z, c->id, order, mt, alloc_flags, &moved);

		c->clock += cfg->kernel.cost.pcp_alloc;
		if (moved >= 0)
			c->clock += cfg->kernel.cost.page_alloc +
				    (uint64_t)moved * cfg->kernel.cost.pcp_page;
		return pfn;
	}
	c->clock += cfg->kernel.cost.page_alloc;
	return buddy_rmqueue(z, order, mt, alloc_flags);
}

/* zone_statistics(): numa_hit/miss/foreign against the preferred node,
 * local/other against the allocating core's node. */
static void zone_statistics(struct kmm *k, struct core *c, int preferred, const struct zone *z)
{
	struct pglist_data *pg = &k->node[z->node];

	if (z->node == preferred) {
		pg->numa_hit++;
	} else {
		pg->numa_miss++;
		k->node[preferred].numa_foreign++;
	}
	if (z->node == cpu_to_node(k, c->id))
		pg->local_node++;
	else
		pg->other_node++;
}

int64_t get_page_from_freelist(struct kmm *k, struct core *c, const struct alloc_context *ac,
			       unsigned order, unsigned alloc_flags)
{
	for (struct zone *const *zp = ac->zonelist; *zp; zp++) {
		struct zone *z = *zp;

		if ((int)z->idx > ac->highest_zoneidx)
			continue;
		if (ac->nodemask && !((ac->nodemask >> z->node) & 1))
			continue;
		if (!(alloc_flags & ALLOC_NO_WATERMARKS) &&
		    !zone_watermark_ok(z, order, z->watermark[alloc_flags & ALLOC_WMARK_MASK],
				       ac->highest_zoneidx, alloc_flags))
			continue;
		int64_t pfn = rmqueue(k, c, z, order, ac->migratetype, alloc_flags);
		if (pfn < 0)
			continue;
		if ((alloc_flags & ALLOC_HIGHATOMIC) && order > 0)
			reserve_highatomic_pageblock(z, (uint64_t)pfn);
		zone_statistics(k, c, ac->preferred_nid, z);
		if (ac->interleave && z->node == ac->preferred_nid)
			k->node[z->node].interleave_hit++;
		return pfn;
	}
	return -1;
}

/* __alloc_pages(): the fast path, then the slow path. */
static int64_t alloc_pages_nid(struct kmm *k, struct core *c, int nid, uint16_t nodemask,
			       bool interleave, gfp_t gfp, unsigned order)
{
	struct pglist_data *pg = &k->node[nid];
	struct alloc_context ac = {
		.zonelist = (gfp & __GFP_THISNODE) ? pg->zonelist_thisnode : pg->zonelist,
		.highest_zoneidx = gfp_zone(gfp),
		.migratetype = gfp_migratetype(gfp),
		.preferred_nid = nid,
		.nodemask = nodemask,
		.interleave = interleave,
	};
	unsigned alloc_flags = ALLOC_WMARK_LOW;

	if (ac.migratetype == MIGRATE_MOVABLE)
		alloc_flags |= ALLOC_CMA;
	int64_t pfn = get_page_from_freelist(k, c, &ac, order, alloc_flags);
	if (pfn >= 0)
		return pfn;

	/* __alloc_pages_slowpath() */
	k->pa.slowpath++;
	alloc_flags = gfp_to_alloc_flags(gfp, order);
	if (alloc_flags & ALLOC_KSWAPD) {
		k->pa.kswapd_wake++;   /* wake_all_kswapds() */
		wakeup_kswapd(k, nid, order, ac.highest_zoneidx);
	}
	if (k->in_reclaim)
		alloc_flags |= ALLOC_NO_WATERMARKS;   /* PF_MEMALLOC: reclaim's own needs */
	pfn = get_page_from_freelist(k, c, &ac, order, alloc_flags);
	if (pfn >= 0 || !(gfp & __GFP_DIRECT_RECLAIM) || k->in_reclaim)
		return pfn;
	if (order > 0) {
		/* __alloc_pages_direct_compact() */
		k->pa.direct_compact++;
		pfn = try_to_compact_pages(k, c, &ac, order, alloc_flags);
		if (pfn >= 0) {
			k->pa.direct_compact_success++;
			return pfn;
		}
		if (gfp & __GFP_NORETRY)
			return -1;
	}
	/* __alloc_pages_direct_reclaim(), retried while it makes progress
	 * (should_reclaim_retry(), at most MAX_RECLAIM_RETRIES = 16 times; a
	 * pass without progress would find the same lists again), then the
	 * OOM killer for small orders */
	for (int tries = 0; tries < 16; tries++) {
		uint64_t got = try_to_free_pages(k, c, nid, gfp, order);
		pfn = get_page_from_freelist(k, c, &ac, order, alloc_flags);
		if (pfn >= 0)
			return pfn;
		if (!got)
			break;
	}
	while (out_of_memory(k, c, gfp, order)) {
		pfn = get_page_from_freelist(k, c, &ac, order, alloc_flags);
		if (pfn >= 0)
			return pfn;
	}
	return -1;
}

int64_t kmm_alloc_pages(struct kmm *k, struct core *c, int nid, gfp_t gfp, unsigned order,
			uint32_t state)
{
	uint16_t mask = 0;
	bool il = false;

	if (nid < 0 && (gfp & __GFP_HARDWALL))
		nid = mpol_current_node(k, c, &mask, &il);
	return kmm_alloc_pages_mask(k, c, nid, mask, il, gfp, order, state);
}

int64_t kmm_alloc_pages_mask(struct kmm *k, struct core *c, int nid, uint16_t nodemask,
			     bool interleave, gfp_t gfp, unsigned order, uint32_t state)
{
	if (k->fail_countdown > 0 && --k->fail_countdown == 0)
		return -1;
	if (nid < 0 || (unsigned)nid >= k->nr_nodes)
		nid = cpu_to_node(k, c->id);
	int64_t pfn = order < k->cfg->kernel.max_order ?
		      alloc_pages_nid(k, c, nid, nodemask, interleave, gfp, order) : -1;
	if (pfn < 0) {
		k->pa.fail++;
		if (order < BUDDY_MAX_ORDER_LIMIT)
			k->pa.fail_order[order]++;
		if (gfp & __GFP_NOFAIL)
			k->pa.nofail_fail++;
		return -1;
	}
	uint64_t n = 1ull << order;
	for (uint64_t i = 0; i < n; i++) {
		struct page *p = &k->memmap[pfn + i];
		p->flags = state;
		p->mapcount = 0;
		p->private = 0;
		p->mapping = 0;
		p->index = 0;
		if (gfp & __GFP_ZERO)
			clear_page(k, c, (uint64_t)pfn + i);
	}
	if ((gfp & __GFP_COMP) && order > 0) {
		k->memmap[pfn].flags |= PG_head;
		k->memmap[pfn].order = (uint8_t)order;
		for (uint64_t i = 1; i < n; i++) {
			k->memmap[pfn + i].flags |= PG_tail;
			k->memmap[pfn + i].private = (uint32_t)pfn;
		}
	}
	k->pgalloc += n;
	return pfn;
}

void kmm_free_pages(struct kmm *k, struct core *c, uint64_t pfn, unsigned order)
{
	const struct mmsim_cfg *cfg = k->cfg;
	struct page *p = &k->memmap[pfn];
	struct zone *z = page_zone(k, pfn);
	assert(p->refcount == 1 && p->mapcount == 0 && z);
	kmm_lru_del(k, pfn);   /* page_cache_release() */
	uint64_t n = 1ull << order;
	for (uint64_t i = 0; i < n; i++) {
		k->memmap[pfn + i].flags = 0;
		k->memmap[pfn + i].mapping = 0;
		k->memmap[pfn + i].private = 0;
	}
	p->refcount = 0;
	if (pcp_allowed_order(order) && z->pcp && c->id < (k->ncores ? k->ncores : 1)) {
		c->clock += cfg->kernel.cost.pcp_free;
		uint32_t moved = pcp_free(k, z, c->id, pfn, order,
					  get_pageblock_migratetype(z, pfn));
		if (moved)
			c->clock += cfg->kernel.cost.page_free + moved * cfg->kernel.cost.pcp_page;
	} else {
		c->clock += cfg->kernel.cost.page_free;
		buddy_free(z, pfn, order);
	}
	k->pgfree += n;
	if (cfg->kernel.compaction_proactiveness)
		compact_proactive(k, c, z);
}

int64_t kmm_alloc_page(struct kmm *k, struct core *c, uint32_t state)
{
	return kmm_alloc_pages(k, c, -1, GFP_KERNEL | __GFP_ZERO, 0, state);
}

void kmm_free_page(struct kmm *k, struct core *c, uint64_t pfn)
{
	kmm_free_pages(k, c, pfn, 0);
}

void kmm_put_page(struct kmm *k, struct core *c, uint64_t pfn, int32_t refs)
{
	struct page *p = &k->memmap[pfn];
	assert(refs > 0 && p->refcount >= refs);
	p->refcount -= refs;
	if (p->refcount > 0)
		return;
	p->refcount = 1;
	kmm_free_page(k, c, pfn);
}
