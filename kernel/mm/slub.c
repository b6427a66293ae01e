/* SLUB object caches (mm/slub.c), in simulated memory.
 *
 * A slab is 2^order frames from the buddy allocator (a compound page,
 * PG_slab; page.mapping names the cache, page.private the slab's entry in
 * kmem->slabs, which holds what Linux keeps in struct slab). Objects sit at
 * base + i * size (+ the left red zone); a free object holds the address of
 * the next free one at its free-pointer offset, written and read in
 * simulated memory through the MMU, so the freelist is real data.
 *
 * Allocation (slab_alloc_node()): the fast path pops the core's lockless
 * freelist (kmem_cache_cpu.freelist). The slow path (___slab_alloc()) takes
 * the freelist of the active slab (frees by other cores land there), else
 * the next slab of the core's partial list, else slabs from the node's
 * partial list (one to use, more to the core's partial list up to half its
 * limit, get_partial_node()), else a new slab (allocate_slab(): order oo,
 * falling back to s->min). Free (do_slab_free()): to the core's freelist
 * when the object's slab is that core's active slab (fast path); else onto
 * the slab's own freelist (__slab_free()): a slab that was full goes to the
 * freeing core's partial list (put_cpu_partial(); a full list is first
 * unloaded to the node, __put_partials()), a slab that becomes empty while
 * the node holds min_partial others goes back to the buddy allocator.
 * Caches with debug flags skip the per-CPU layer (Linux's
 * alloc_single_from_partial()/free_to_partial_list()) so every operation
 * is checked.
 *
 * Sizes as calculate_sizes()/calculate_order(): the free pointer sits in the
 * middle of the object, or after it with poisoning or a constructor;
 * min_objects = 4 * (fls(nr_cpus) + 1), orders up to 3, leftover at most
 * 1/16, 1/8, 1/4 of the slab. min_partial = clamp(ilog2(size) / 2, 5, 10);
 * the per-CPU partial limit as slub_set_cpu_partial().
 *
 * Simplified: one node; no freelist pointer obfuscation or randomisation;
 * the simulator keeps a host-side bitmap of handed-out objects, so a double
 * free or a free of a non-object is always reported and refused (Linux
 * catches these only with debug flags); SLAB_STORE_USER tracks live host
 * side, not in the object. */
#include "kernel/mm/slab_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/config.h"
#include "lib/jsonutil.h"
#include "lib/stats.h"
#include "kernel/mm/zone.h"
#include "sim/cpu/core.h"

#define LINE 64
#define ALIGN_UP(x, a) (((x) + (a) - 1) / (a) * (a))

static bool cache_debug(const struct kmem_cache *s) { return s->flags & SLAB_DEBUG_FLAGS; }

/* ------------------------------------------------------------- geometry */

static unsigned fls32(uint32_t x) { return x ? log2u(x) + 1 : 0; }

static unsigned get_order(uint64_t size)
{
	unsigned o = 0;
	while ((PAGE_SIZE << o) < size)
		o++;
	return o;
}

static uint32_t order_objects(unsigned order, uint32_t size)
{
	return (uint32_t)((PAGE_SIZE << order) / size);
}

/* calc_slab_order() */
static unsigned calc_slab_order(uint32_t size, unsigned min_order, unsigned max_order,
				unsigned fract_leftover)
{
	unsigned order;
	for (order = min_order; order <= max_order; order++) {
		uint64_t slab_size = PAGE_SIZE << order;
		if (slab_size % size <= slab_size / fract_leftover)
			break;
	}
	return order;
}

/* calculate_order() */
static unsigned calculate_order(uint32_t size, uint32_t min_objects)
{
	uint32_t max_objects = order_objects(SLUB_MAX_ORDER, size);
	if (max_objects < 1)
		max_objects = 1;
	if (min_objects > max_objects)
		min_objects = max_objects;
	unsigned min_order = get_order((uint64_t)min_objects * size);
	for (unsigned fraction = 16; fraction > 1; fraction /= 2) {
		unsigned order = calc_slab_order(size, min_order, SLUB_MAX_ORDER, fraction);
		if (order <= SLUB_MAX_ORDER)
			return order;
	}
	return get_order(size);
}

/* calculate_sizes() and friends; false if the object cannot fit a slab. */
static bool calculate_sizes(struct kmm *k, struct kmem_cache *s)
{
	uint32_t size = ALIGN_UP(s->object_size, 8);
	if ((s->flags & SLAB_RED_ZONE) && size == s->object_size)
		size += 8;                /* a right red zone of at least a word */
	s->inuse = size;
	if (s->flags & (SLAB_POISON | SLAB_CTOR)) {
		s->offset = size;         /* the object's bytes are in use when free */
		size += 8;
	} else {
		s->offset = (s->object_size / 2) & ~7u;
	}
	s->red_left_pad = 0;
	if (s->flags & SLAB_RED_ZONE) {
		s->red_left_pad = ALIGN_UP(8, s->align);
		size += s->red_left_pad;
	}
	size = ALIGN_UP(size, s->align);
	s->size = size;
	unsigned order = calculate_order(size, KM(k)->min_objects);
	if (order >= k->cfg->kernel.max_order)
		return false;
	s->order = order;
	s->objects = order_objects(order, size);
	s->min_order = get_order(size);
	s->min_objects = order_objects(s->min_order, size);
	if (s->objects == 0 || s->objects > 0xffff)
		return false;
	/* set_min_partial(s, ilog2(s->size) / 2) */
	uint32_t mp = log2u(size) / 2;
	s->min_partial = mp < MIN_PARTIAL ? MIN_PARTIAL : mp > MAX_PARTIAL ? MAX_PARTIAL : mp;
	/* slub_set_cpu_partial() */
	uint32_t nr_objects = size >= PAGE_SIZE ? 6 : size >= 1024 ? 24 : size >= 256 ? 52 : 120;
	s->cpu_partial_slabs = (nr_objects * 2 + s->objects - 1) / s->objects;
	return true;
}

/* calculate_alignment() */
static uint32_t calculate_alignment(uint32_t flags, uint32_t align, uint32_t size)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		uint32_t ralign = LINE;
		while (size <= ralign / 2)
			ralign /= 2;
		if (ralign > align)
			align = ralign;
	}
	if (align < 8)
		align = 8;
	return align;
}

/* -------------------------------------------------------------- slabs */

vaddr_t slab_obj_addr(const struct kmm *k, const struct kmem_cache *s, const struct slab *sl,
		      uint32_t i)
{
	return pfn_to_kva(k->kmem, sl->pfn) + (uint64_t)i * s->size + s->red_left_pad;
}

int64_t slab_obj_index(struct kmm *k, const struct kmem_cache *s, const struct slab *sl,
		       vaddr_t obj)
{
	vaddr_t base = pfn_to_kva(k->kmem, sl->pfn) + s->red_left_pad;
	if (obj < base)
		return -1;
	uint64_t off = obj - base;
	if (off % s->size || off / s->size >= sl->objects)
		return -1;
	return (int64_t)(off / s->size);
}

struct slab *slab_of(struct kmm *k, vaddr_t obj, struct kmem_cache **s)
{
	struct kmem *km = k->kmem;
	if (!kva_in_direct_map(k, obj))
		return NULL;
	uint64_t pfn = kva_to_pfn(km, obj);
	struct page *p = &k->memmap[pfn];
	if ((p->flags & PG_STATE_MASK) != PG_slab)
		return NULL;
	if (p->flags & PG_tail)
		p = &k->memmap[p->private];
	struct slab *sl = &km->slabs[p->private];
	assert(sl->cache != SLAB_NONE);
	*s = km->caches[sl->cache];
	return sl;
}

static uint32_t slab_entry_get(struct kmem *km)
{
	if (km->slab_free != SLAB_NONE) {
		uint32_t i = km->slab_free;
		km->slab_free = km->slabs[i].next;
		return i;
	}
	if (km->nslabs == km->slabs_cap) {
		km->slabs_cap = km->slabs_cap ? 2 * km->slabs_cap : 256;
		km->slabs = realloc(km->slabs, km->slabs_cap * sizeof(*km->slabs));
		if (!km->slabs)
			abort();
	}
	return km->nslabs++;
}

static void account_pages(struct kmm *k, const struct kmem_cache *s, int64_t pages)
{
	if (s->flags & SLAB_RECLAIM_ACCOUNT)
		k->kmem->slab_reclaimable += (uint64_t)pages;
	else
		k->kmem->slab_unreclaimable += (uint64_t)pages;
}

/* allocate_slab(): frames, the side entry, and the freelist threaded
 * through every object in address order. Returns the slab index or
 * SLAB_NONE. */
static uint32_t allocate_slab(struct kmm *k, struct core *c, struct kmem_cache *s)
{
	struct kmem *km = k->kmem;
	gfp_t gfp = GFP_KERNEL | __GFP_COMP | __GFP_NOWARN |
		    ((s->flags & SLAB_RECLAIM_ACCOUNT) ? __GFP_RECLAIMABLE : 0);
	unsigned order = s->order;
	int64_t pfn = kmm_alloc_pages(k, c, -1, gfp | __GFP_NORETRY, order, PG_slab);
	if (pfn < 0 && s->min_order < order) {
		order = s->min_order;
		pfn = kmm_alloc_pages(k, c, -1, gfp, order, PG_slab);
		if (pfn >= 0)
			s->order_fallback++;
	}
	if (pfn < 0)
		return SLAB_NONE;
	c->clock += k->cfg->kernel.cost.slab_new;
	uint32_t idx = slab_entry_get(km);
	struct slab *sl = &km->slabs[idx];
	memset(sl, 0, sizeof(*sl));
	sl->cache = s->id - 1;
	sl->next = sl->prev = SLAB_NONE;
	sl->pfn = (uint64_t)pfn;
	sl->order = (uint8_t)order;
	sl->nid = (uint8_t)pfn_to_nid(k, (uint64_t)pfn);
	sl->objects = (uint16_t)order_objects(order, s->size);
	sl->allocated = calloc((sl->objects + 7) / 8, 1);
	if (s->flags & SLAB_STORE_USER)
		sl->track = calloc(2 * sl->objects, sizeof(*sl->track));
	if (!sl->allocated || ((s->flags & SLAB_STORE_USER) && !sl->track))
		abort();
	for (uint64_t i = 0; i < (1ull << order); i++)
		k->memmap[pfn + i].mapping = s->id;
	k->memmap[pfn].private = idx;
	/* setup_object() for each, then the freelist in order */
	for (uint32_t i = 0; i < sl->objects; i++) {
		vaddr_t obj = slab_obj_addr(k, s, sl, i);
		if (cache_debug(s))
			slub_debug_init_object(k, c, s, obj);
		if ((s->flags & SLAB_CTOR) && s->object_size >= 8)
			kmem_write8(k, c, obj, s->ctor_value);   /* s->ctor(obj) */
		kmem_write8(k, c, obj + s->offset,
			    i + 1 < sl->objects ? slab_obj_addr(k, s, sl, i + 1) : 0);
	}
	sl->freelist = slab_obj_addr(k, s, sl, 0);
	s->num_slabs++;
	s->node[sl->nid].nr_slabs++;
	s->num_objs += sl->objects;
	s->node[sl->nid].total_objects += sl->objects;
	s->alloc_slab++;
	account_pages(k, s, 1ll << order);
	s->pages += 1ull << order;
	s->overhead_bytes = s->pages * PAGE_SIZE - s->active_objs * s->object_size;
	return idx;
}

static void discard_slab(struct kmm *k, struct core *c, struct kmem_cache *s, uint32_t idx)
{
	struct kmem *km = k->kmem;
	struct slab *sl = &km->slabs[idx];
	assert(sl->inuse == 0 && !sl->frozen && !sl->on_node_partial && !sl->on_cpu_partial);
	s->num_slabs--;
	s->node[sl->nid].nr_slabs--;
	s->num_objs -= sl->objects;
	s->node[sl->nid].total_objects -= sl->objects;
	s->free_slab++;
	account_pages(k, s, -(1ll << sl->order));
	s->pages -= 1ull << sl->order;
	s->overhead_bytes = s->pages * PAGE_SIZE - s->active_objs * s->object_size;
	kmm_free_pages(k, c, sl->pfn, sl->order);
	free(sl->allocated);
	free(sl->track);
	sl->allocated = NULL;
	sl->track = NULL;
	sl->cache = SLAB_NONE;
	sl->next = km->slab_free;
	km->slab_free = idx;
}

/* ------------------------------------------------------- partial lists */

static void add_partial(struct kmm *k, struct kmem_cache *s, uint32_t idx)
{
	struct slab *sl = &k->kmem->slabs[idx], *slabs = k->kmem->slabs;
	struct kmem_cache_node *n = &s->node[sl->nid];
	assert(!sl->on_node_partial);
	if (n->partial == SLAB_NONE) {
		sl->next = sl->prev = idx;
		n->partial = idx;
	} else {        /* at the tail (DEACTIVATE_TO_TAIL) */
		uint32_t head = n->partial, tail = slabs[head].prev;
		sl->next = head;
		sl->prev = tail;
		slabs[tail].next = idx;
		slabs[head].prev = idx;
	}
	sl->on_node_partial = true;
	n->nr_partial++;
	s->node_partial_now = ++s->nr_partial;
}

static void remove_partial(struct kmm *k, struct kmem_cache *s, uint32_t idx)
{
	struct slab *slabs = k->kmem->slabs, *sl = &slabs[idx];
	struct kmem_cache_node *n = &s->node[sl->nid];
	assert(sl->on_node_partial);
	if (sl->next == idx) {
		n->partial = SLAB_NONE;
	} else {
		slabs[sl->prev].next = sl->next;
		slabs[sl->next].prev = sl->prev;
		if (n->partial == idx)
			n->partial = sl->next;
	}
	sl->next = sl->prev = SLAB_NONE;
	sl->on_node_partial = false;
	n->nr_partial--;
	s->node_partial_now = --s->nr_partial;
	s->free_remove_partial++;
}

static void cpu_partial_count(struct kmm *k, struct kmem_cache *s)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < k->ncores; i++)
		sum += s->cpu[i].partial_slabs;
	s->cpu_partial_now = sum;
}

/* __put_partials(): a core's partial slabs go to the node; empty ones
 * beyond min_partial are freed. */
static void put_partials(struct kmm *k, struct core *c, struct kmem_cache *s, unsigned cpu)
{
	struct kmem_cache_cpu *cc = &s->cpu[cpu];
	while (cc->partial != SLAB_NONE) {
		uint32_t idx = cc->partial;
		struct slab *sl = &k->kmem->slabs[idx];
		cc->partial = sl->next;
		sl->next = SLAB_NONE;
		sl->on_cpu_partial = false;
		if (sl->inuse == 0 && s->node[sl->nid].nr_partial >= s->min_partial)
			discard_slab(k, c, s, idx);
		else
			add_partial(k, s, idx);
	}
	cc->partial_slabs = 0;
	cpu_partial_count(k, s);
}

/* put_cpu_partial() */
static void put_cpu_partial(struct kmm *k, struct core *c, struct kmem_cache *s, uint32_t idx)
{
	struct kmem_cache_cpu *cc = &s->cpu[c->id];
	if (cc->partial_slabs >= s->cpu_partial_slabs) {
		put_partials(k, c, s, c->id);
		s->cpu_partial_drain++;
	}
	struct slab *sl = &k->kmem->slabs[idx];
	sl->next = cc->partial;
	sl->on_cpu_partial = true;
	cc->partial = idx;
	cc->partial_slabs++;
	cpu_partial_count(k, s);
}

/* deactivate_slab(): the active slab of core `cpu` goes back, with the
 * objects left on its lockless freelist. */
static void deactivate_slab(struct kmm *k, struct core *c, struct kmem_cache *s, unsigned cpu)
{
	struct kmem_cache_cpu *cc = &s->cpu[cpu];
	if (cc->slab == SLAB_NONE)
		return;
	uint32_t idx = cc->slab;
	struct slab *sl = &k->kmem->slabs[idx];
	/* walk the CPU freelist to its end and splice the slab's in after it */
	vaddr_t obj = cc->freelist, last = 0;
	uint32_t n = 0;
	while (obj) {
		n++;
		last = obj;
		obj = kmem_read8(k, c, obj + s->offset);
	}
	if (last) {
		kmem_write8(k, c, last + s->offset, sl->freelist);
		sl->freelist = cc->freelist;
	}
	assert(sl->inuse >= n);
	sl->inuse -= n;
	sl->frozen = false;
	cc->slab = SLAB_NONE;
	cc->freelist = 0;
	s->deactivate++;
	if (sl->inuse == 0 && s->node[sl->nid].nr_partial >= s->min_partial)
		discard_slab(k, c, s, idx);
	else if (sl->freelist)
		add_partial(k, s, idx);
}

static void flush_cpu(struct kmm *k, struct core *c, struct kmem_cache *s, unsigned cpu)
{
	deactivate_slab(k, c, s, cpu);
	put_partials(k, c, s, cpu);
}

/* ------------------------------------------------------------ allocation */

/* A freelist link read from simulated memory must point at an object of
 * the same slab (or be 0); a use-after-free write can break it. */
static bool link_ok(struct kmm *k, struct kmem_cache *s, struct slab *sl, vaddr_t obj,
		    vaddr_t next)
{
	if (next == 0)
		return true;
	int64_t i = slab_obj_index(k, s, sl, next);
	if (i >= 0 && !(sl->allocated[i / 8] & (1u << (i % 8))))
		return true;
	k->kmem->freelist_bad++;
	s->errors++;
	kmem_report(k, "slab %s: freelist corrupt: free object %#llx links to %#llx, not a "
		    "free object of its slab (written after free?); rest of the freelist "
		    "dropped\n", s->name, (unsigned long long)obj, (unsigned long long)next);
	return false;
}

/* Pop the first object of the freelist at *head (of slab sl). */
static vaddr_t pop(struct kmm *k, struct core *c, struct kmem_cache *s, struct slab *sl,
		   vaddr_t *head)
{
	vaddr_t obj = *head;
	vaddr_t next = kmem_read8(k, c, obj + s->offset);
	*head = link_ok(k, s, sl, obj, next) ? next : 0;
	return obj;
}

/* get_partial_node(): one slab of node nid for the core, more for its
 * partial list. */
static uint32_t get_partial_node(struct kmm *k, struct kmem_cache *s, unsigned cpu, int nid)
{
	struct kmem_cache_node *n = &s->node[nid];
	struct kmem_cache_cpu *cc = &s->cpu[cpu];
	uint32_t got = SLAB_NONE;
	while (n->partial != SLAB_NONE) {
		uint32_t idx = n->partial;
		remove_partial(k, s, idx);
		s->free_remove_partial--;     /* not a free-path removal */
		if (got == SLAB_NONE) {
			got = idx;
			continue;
		}
		struct slab *sl = &k->kmem->slabs[idx];
		sl->next = cc->partial;
		sl->on_cpu_partial = true;
		cc->partial = idx;
		cc->partial_slabs++;
		if (cc->partial_slabs > s->cpu_partial_slabs / 2)
			break;
	}
	cpu_partial_count(k, s);
	return got;
}

/* get_partial(): the core's own node first; then, unless the cycle count
 * says not this time (remote_node_defrag_ratio 1000 of 1024, as Linux's
 * default), another node holding more than min_partial partial slabs
 * (get_any_partial(), nodes in index order). */
static uint32_t get_partial(struct kmm *k, struct kmem_cache *s, struct core *c)
{
	int local = cpu_to_node(k, c->id);
	uint32_t idx = get_partial_node(k, s, c->id, local);
	if (idx != SLAB_NONE || k->nr_nodes < 2 || c->clock % 1024 > 1000)
		return idx;
	for (unsigned nid = 0; nid < k->nr_nodes; nid++) {
		if ((int)nid == local || s->node[nid].nr_partial <= s->min_partial)
			continue;
		idx = get_partial_node(k, s, c->id, (int)nid);
		if (idx != SLAB_NONE)
			return idx;
	}
	return SLAB_NONE;
}

/* ___slab_alloc(): the slow path, for caches without debug flags. */
static vaddr_t slab_alloc_slow(struct kmm *k, struct core *c, struct kmem_cache *s)
{
	struct kmem_cache_cpu *cc = &s->cpu[c->id];
	struct slab *slabs;
	c->clock += k->cfg->kernel.cost.slab_alloc_slow;
	s->alloc_slowpath++;
	for (;;) {
		slabs = k->kmem->slabs;
		if (cc->slab != SLAB_NONE) {
			struct slab *sl = &slabs[cc->slab];
			vaddr_t fl = sl->freelist;   /* get_freelist() */
			sl->freelist = 0;
			if (fl) {
				sl->inuse = sl->objects;
				s->alloc_refill++;
				vaddr_t obj = pop(k, c, s, sl, &fl);
				cc->freelist = fl;
				return obj;
			}
			sl->frozen = false;          /* full: off every list */
			cc->slab = SLAB_NONE;
			s->deactivate++;
		}
		if (cc->partial != SLAB_NONE) {
			uint32_t idx = cc->partial;
			cc->partial = slabs[idx].next;
			cc->partial_slabs--;
			cpu_partial_count(k, s);
			slabs[idx].next = SLAB_NONE;
			slabs[idx].on_cpu_partial = false;
			slabs[idx].frozen = true;
			cc->slab = idx;
			s->cpu_partial_alloc++;
			continue;
		}
		uint32_t idx = get_partial(k, s, c);
		if (idx != SLAB_NONE) {
			s->alloc_from_partial++;
		} else {
			idx = allocate_slab(k, c, s);
			if (idx == SLAB_NONE)
				return 0;
		}
		k->kmem->slabs[idx].frozen = true;
		cc->slab = idx;
	}
}

/* alloc_single_from_partial() / alloc_single_from_new_slab(): debug caches
 * take every object straight from a slab's freelist. */
static vaddr_t slab_alloc_debug(struct kmm *k, struct core *c, struct kmem_cache *s,
				struct slab **slp)
{
	c->clock += k->cfg->kernel.cost.slab_alloc_slow;
	s->alloc_slowpath++;
	uint32_t idx = s->node[cpu_to_node(k, c->id)].partial;
	for (unsigned nid = 0; idx == SLAB_NONE && nid < k->nr_nodes; nid++)
		idx = s->node[nid].partial;   /* get_any_partial() */
	if (idx == SLAB_NONE) {
		idx = allocate_slab(k, c, s);
		if (idx == SLAB_NONE)
			return 0;
		add_partial(k, s, idx);
	} else {
		s->alloc_from_partial++;
	}
	struct slab *sl = &k->kmem->slabs[idx];
	vaddr_t obj = pop(k, c, s, sl, &sl->freelist);
	sl->inuse++;
	if (!sl->freelist) {
		remove_partial(k, s, idx);
		s->free_remove_partial--;
	}
	*slp = sl;
	return obj;
}

vaddr_t kmem_cache_alloc(struct kmm *k, struct core *c, struct kmem_cache *s, gfp_t gfp)
{
	struct kmem_cache_cpu *cc = &s->cpu[c->id];
	struct kmem_cache *owner;
	struct slab *sl = NULL;
	vaddr_t obj;
	k->kmem->op_seq++;
	if (cache_debug(s)) {
		obj = slab_alloc_debug(k, c, s, &sl);
	} else if (cc->freelist) {
		/* the fast path: this_cpu_cmpxchg of freelist and tid */
		c->clock += k->cfg->kernel.cost.slab_alloc_fast;
		s->alloc_fastpath++;
		obj = pop(k, c, s, &k->kmem->slabs[cc->slab], &cc->freelist);
	} else {
		obj = slab_alloc_slow(k, c, s);
	}
	if (!obj) {
		s->alloc_fail++;
		return 0;
	}
	if (!sl)
		sl = slab_of(k, obj, &owner);
	int64_t i = slab_obj_index(k, s, sl, obj);
	assert(i >= 0);
	sl->allocated[i / 8] |= (uint8_t)(1u << (i % 8));
	if (cache_debug(s))
		slub_debug_alloc(k, c, s, sl, obj);
	if (sl->track)
		sl->track[2 * i] = (uint32_t)k->kmem->op_seq;
	s->active_objs++;
	s->overhead_bytes -= s->object_size;
	if (gfp & __GFP_ZERO)
		kmem_fill(k, c, obj, s->object_size, 0);
	return obj;
}

/* --------------------------------------------------------------- free */

/* __slab_free() */
static void slab_free_slow(struct kmm *k, struct core *c, struct kmem_cache *s, uint32_t idx,
			   vaddr_t obj)
{
	struct slab *sl = &k->kmem->slabs[idx];
	c->clock += k->cfg->kernel.cost.slab_free_slow;
	s->free_slowpath++;
	vaddr_t prior = sl->freelist;
	kmem_write8(k, c, obj + s->offset, prior);
	sl->freelist = obj;
	assert(sl->inuse > 0);
	sl->inuse--;
	if (sl->frozen || sl->on_cpu_partial)
		return;
	if (cache_debug(s)) {      /* free_to_partial_list() */
		if (!prior)
			add_partial(k, s, idx);
		if (sl->inuse == 0 && s->node[sl->nid].nr_partial > s->min_partial) {
			remove_partial(k, s, idx);
			discard_slab(k, c, s, idx);
		}
		return;
	}
	if (!prior) {              /* was full */
		put_cpu_partial(k, c, s, idx);
		s->cpu_partial_free++;
		return;
	}
	if (sl->inuse == 0 && s->node[sl->nid].nr_partial >= s->min_partial) {
		remove_partial(k, s, idx);
		discard_slab(k, c, s, idx);
	}
}

/* Free an object of slab sl of cache s (the caller found them). */
static void slab_free(struct kmm *k, struct core *c, struct kmem_cache *s, struct slab *sl,
		      vaddr_t obj)
{
	struct kmem *km = k->kmem;
	uint32_t idx = (uint32_t)(sl - km->slabs);
	km->op_seq++;
	int64_t i = slab_obj_index(k, s, sl, obj);
	if (i < 0) {
		km->invalid_free++;
		s->errors++;
		kmem_report(k, "slab %s: invalid free of %#llx: not the start of an object "
			    "(ignored)\n", s->name, (unsigned long long)obj);
		return;
	}
	if (!(sl->allocated[i / 8] & (1u << (i % 8)))) {
		km->double_free++;
		s->errors++;
		if (sl->track)
			kmem_report(k, "slab %s: double free of object %#llx (allocated at kmem "
				    "op #%u, freed at #%u; ignored)\n", s->name,
				    (unsigned long long)obj, sl->track[2 * i], sl->track[2 * i + 1]);
		else
			kmem_report(k, "slab %s: double free of object %#llx (ignored)\n", s->name,
				    (unsigned long long)obj);
		return;
	}
	sl->allocated[i / 8] &= (uint8_t)~(1u << (i % 8));
	if (sl->track)
		sl->track[2 * i + 1] = (uint32_t)km->op_seq;
	s->active_objs--;
	s->overhead_bytes += s->object_size;
	if (cache_debug(s))
		slub_debug_free(k, c, s, sl, obj);
	struct kmem_cache_cpu *cc = &s->cpu[c->id];
	if (!cache_debug(s) && cc->slab == idx) {
		c->clock += k->cfg->kernel.cost.slab_free_fast;
		s->free_fastpath++;
		kmem_write8(k, c, obj + s->offset, cc->freelist);
		cc->freelist = obj;
		return;
	}
	slab_free_slow(k, c, s, idx, obj);
}

void kmem_cache_free(struct kmm *k, struct core *c, struct kmem_cache *s, vaddr_t obj)
{
	struct kmem_cache *owner;
	struct slab *sl = slab_of(k, obj, &owner);
	if (!sl) {
		k->kmem->invalid_free++;
		s->errors++;
		kmem_report(k, "slab %s: kmem_cache_free of %#llx, which is not in any slab "
			    "(ignored)\n", s->name, (unsigned long long)obj);
		return;
	}
	if (owner != s) {   /* cache_from_obj(): "Wrong slab cache" */
		k->kmem->invalid_free++;
		s->errors++;
		kmem_report(k, "slab %s: kmem_cache_free of %#llx, an object of %s: wrong "
			    "slab cache (freed to %s)\n", s->name, (unsigned long long)obj,
			    owner->name, owner->name);
	}
	slab_free(k, c, owner, sl, obj);
}

/* kfree() of a slab object (kmalloc.c decides it is one). */
void slab_kfree(struct kmm *k, struct core *c, struct kmem_cache *s, struct slab *sl,
		vaddr_t obj);
void slab_kfree(struct kmm *k, struct core *c, struct kmem_cache *s, struct slab *sl,
		vaddr_t obj)
{
	slab_free(k, c, s, sl, obj);
}

/* ------------------------------------------------------------ lifecycle */

static void register_cache_stats(struct kmm *k, struct kmem_cache *s)
{
	struct stats *st = k->kmem->st;
	if (!st)
		return;
	const char *n = s->name;
	stats_add(st, &s->active_objs, "slab.%s.active_objs", n);
	stats_add(st, &s->num_objs, "slab.%s.num_objs", n);
	stats_add(st, &s->objsize, "slab.%s.objsize", n);
	stats_add(st, &s->objperslab, "slab.%s.objperslab", n);
	stats_add(st, &s->pagesperslab, "slab.%s.pagesperslab", n);
	stats_add(st, &s->num_slabs, "slab.%s.num_slabs", n);
	stats_add(st, &s->alloc_fastpath, "slab.%s.alloc_fastpath", n);
	stats_add(st, &s->alloc_slowpath, "slab.%s.alloc_slowpath", n);
	stats_add(st, &s->free_fastpath, "slab.%s.free_fastpath", n);
	stats_add(st, &s->free_slowpath, "slab.%s.free_slowpath", n);
	stats_add(st, &s->alloc_refill, "slab.%s.alloc_refill", n);
	stats_add(st, &s->alloc_from_partial, "slab.%s.alloc_from_partial", n);
	stats_add(st, &s->cpu_partial_alloc, "slab.%s.cpu_partial_alloc", n);
	stats_add(st, &s->alloc_slab, "slab.%s.alloc_slab", n);
	stats_add(st, &s->cpu_partial_free, "slab.%s.cpu_partial_free", n);
	stats_add(st, &s->cpu_partial_drain, "slab.%s.cpu_partial_drain", n);
	stats_add(st, &s->free_slab, "slab.%s.free_slab", n);
	stats_add(st, &s->free_remove_partial, "slab.%s.free_remove_partial", n);
	stats_add(st, &s->deactivate, "slab.%s.deactivate", n);
	stats_add(st, &s->order_fallback, "slab.%s.order_fallback", n);
	stats_add(st, &s->alloc_fail, "slab.%s.alloc_fail", n);
	stats_add(st, &s->node_partial_now, "slab.%s.partial_node", n);
	stats_add(st, &s->cpu_partial_now, "slab.%s.partial_cpu", n);
	stats_add(st, &s->errors, "slab.%s.debug_errors", n);
	stats_add(st, &s->overhead_bytes, "slab.%s.overhead_bytes", n);
}

struct kmem_cache *kmem_cache_find(struct kmm *k, const char *name)
{
	struct kmem *km = k->kmem;
	for (uint32_t i = 0; i < km->ncaches; i++)
		if (!km->caches[i]->dead && strcmp(km->caches[i]->name, name) == 0)
			return km->caches[i];
	return NULL;
}

struct kmem_cache *kmem_cache_create(struct kmm *k, const char *name, uint32_t size,
				     uint32_t align, uint32_t flags, char *err)
{
	struct kmem *km = k->kmem;
	if (strlen(name) == 0 || strlen(name) >= SLAB_NAME_LEN)
		return errf(err, "kmem_cache_create: name \"%s\" must be 1 to %d characters",
			    name, SLAB_NAME_LEN - 1), NULL;
	if (kmem_cache_find(k, name))
		return errf(err, "kmem_cache_create: a cache named \"%s\" exists", name), NULL;
	if (size == 0 || (align && !is_pow2(align)) || align > PAGE_SIZE)
		return errf(err, "kmem_cache_create %s: size %u / align %u: the size must be "
			    "positive and the alignment a power of two up to 4096", name, size,
			    align), NULL;
	/* a destroyed cache of the same name comes back (its counters go on) */
	struct kmem_cache *s = NULL;
	for (uint32_t i = 0; i < km->ncaches && !s; i++)
		if (km->caches[i]->dead && strcmp(km->caches[i]->name, name) == 0)
			s = km->caches[i];
	bool fresh = !s;
	if (fresh) {
		s = calloc(1, sizeof(*s));
		if (!s)
			abort();
		snprintf(s->name, sizeof(s->name), "%s", name);
	}
	s->flags = flags | km->debug_flags;
	if (s->flags & SLAB_CTOR)
		s->flags &= ~SLAB_POISON;   /* as Linux: a ctor'd object is not poisoned */
	s->object_size = size;
	s->align = calculate_alignment(s->flags, align, size);
	if (!calculate_sizes(k, s)) {
		if (fresh)
			free(s);
		return errf(err, "kmem_cache_create %s: objects of %u bytes do not fit a slab "
			    "of at most order %u", name, size, k->cfg->kernel.max_order - 1), NULL;
	}
	s->dead = false;
	s->objsize = s->size;   /* slabinfo shows the stride, as Linux */
	s->objperslab = s->objects;
	s->pagesperslab = 1ull << s->order;
	if (!fresh)
		return s;
	s->cpu = calloc(k->ncores, sizeof(*s->cpu));
	if (!s->cpu)
		abort();
	for (unsigned i = 0; i < k->ncores; i++)
		s->cpu[i].slab = s->cpu[i].partial = SLAB_NONE;
	s->node = calloc(k->nr_nodes, sizeof(*s->node));
	if (!s->node)
		abort();
	for (unsigned nid = 0; nid < k->nr_nodes; nid++)
		s->node[nid].partial = SLAB_NONE;
	if (km->ncaches == km->caches_cap) {
		km->caches_cap = km->caches_cap ? 2 * km->caches_cap : 32;
		km->caches = realloc(km->caches, km->caches_cap * sizeof(*km->caches));
		if (!km->caches)
			abort();
	}
	km->caches[km->ncaches++] = s;
	s->id = km->ncaches;
	register_cache_stats(k, s);
	return s;
}

void kmem_cache_shrink(struct kmm *k, struct core *c, struct kmem_cache *s)
{
	for (unsigned i = 0; i < k->ncores; i++)
		flush_cpu(k, c, s, i);
	/* __kmem_cache_do_shrink(): every empty slab on the node goes */
	for (unsigned nid = 0; nid < k->nr_nodes; nid++) {
		struct kmem_cache_node *nd = &s->node[nid];
		uint32_t n = (uint32_t)nd->nr_partial;
		for (uint32_t j = 0; j < n && nd->partial != SLAB_NONE; j++) {
			uint32_t idx = nd->partial;
			struct slab *sl = &k->kmem->slabs[idx];
			if (sl->inuse == 0) {
				remove_partial(k, s, idx);
				discard_slab(k, c, s, idx);
			} else {
				nd->partial = sl->next;   /* rotate: look at the next one */
			}
		}
	}
}

uint64_t kmem_cache_destroy(struct kmm *k, struct core *c, struct kmem_cache *s)
{
	kmem_cache_shrink(k, c, s);
	uint64_t leaks = s->active_objs;
	if (leaks) {
		k->kmem->leaks += leaks;
		s->errors++;
		kmem_report(k, "slab %s: kmem_cache_destroy: %llu object%s still allocated "
			    "(leaked, with their %llu slab%s)\n", s->name,
			    (unsigned long long)leaks, leaks == 1 ? "" : "s",
			    (unsigned long long)s->num_slabs, s->num_slabs == 1 ? "" : "s");
	}
	s->dead = true;
	return leaks;
}

void kmem_cache_set_ctor(struct kmem_cache *s, uint64_t value) { s->ctor_value = value; }
const char *kmem_cache_name(const struct kmem_cache *s) { return s->name; }
uint32_t kmem_cache_object_size(const struct kmem_cache *s) { return s->object_size; }
uint32_t kmem_cache_objs_per_slab(const struct kmem_cache *s) { return s->objects; }
uint32_t kmem_cache_order(const struct kmem_cache *s) { return s->order; }
uint64_t kmem_cache_active_objs(const struct kmem_cache *s) { return s->active_objs; }

void slub_init(struct kmm *k, struct stats *st)
{
	struct kmem *km = k->kmem;
	km->st = st;
	km->slab_free = SLAB_NONE;
	km->min_objects = 4 * (fls32(k->ncores) + 1);
}

void slub_fini(struct kmm *k)
{
	struct kmem *km = k->kmem;
	for (uint32_t i = 0; i < km->ncaches; i++) {
		free(km->caches[i]->cpu);
		free(km->caches[i]->node);
		free(km->caches[i]);
	}
	for (uint32_t i = 0; i < km->nslabs; i++) {
		if (km->slabs[i].cache != SLAB_NONE) {
			free(km->slabs[i].allocated);
			free(km->slabs[i].track);
		}
	}
	free(km->caches);
	free(km->slabs);
}

/* ------------------------------------------------------------- checks */

/* slab_validate(): every live slab's freelist (read untimed from physical
 * memory) holds exactly its free objects, lists agree with the flags,
 * counters add up. */
int slub_validate(struct kmm *k, char *err)
{
	struct kmem *km = k->kmem;
	for (uint32_t ci = 0; ci < km->ncaches; ci++) {
		struct kmem_cache *s = km->caches[ci];
		uint64_t objs = 0, active = 0, slabs = 0, partial = 0;
		for (uint32_t i = 0; i < km->nslabs; i++) {
			struct slab *sl = &km->slabs[i];
			if (sl->cache != ci)
				continue;
			slabs++;
			objs += sl->objects;
			partial += sl->on_node_partial;
			for (uint32_t o = 0; o < sl->objects; o++)
				active += (sl->allocated[o / 8] >> (o % 8)) & 1;
			struct page *p = &k->memmap[sl->pfn];
			if ((p->flags & PG_STATE_MASK) != PG_slab || p->mapping != s->id ||
			    p->private != i)
				return errf(err, "slub_validate: %s: slab at pfn %#llx: struct page "
					    "does not name it", s->name, (unsigned long long)sl->pfn);
		}
		if (objs != s->num_objs || active != s->active_objs || slabs != s->num_slabs ||
		    partial != s->nr_partial)
			return errf(err, "slub_validate: %s: counted %llu slabs, %llu objects, %llu "
				    "active, %llu partial; counters say %llu, %llu, %llu, %llu",
				    s->name, (unsigned long long)slabs, (unsigned long long)objs,
				    (unsigned long long)active, (unsigned long long)partial,
				    (unsigned long long)s->num_slabs, (unsigned long long)s->num_objs,
				    (unsigned long long)s->active_objs,
				    (unsigned long long)s->nr_partial);
	}
	return 0;
}
