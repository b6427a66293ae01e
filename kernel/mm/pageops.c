/* The trace's page-allocator ops (docs/phys-mm.md): named blocks from
 * alloc_pages that free_pages gives back, compaction on request
 * (/proc/sys/vm/compact_memory), drop_caches, and snapshots of the
 * allocator's counters for the report's buddyinfo/zoneinfo views. */
#include "kernel/mm/cma.h"
#include "kernel/mm/compaction.h"
#include "kernel/mm/kmm.h"
#include "kernel/mm/filemap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/stats.h"

struct named_block {
	int64_t pfn;        /* -1: none (never allocated, failed, or freed) */
	uint8_t order;
	bool cma;           /* from cma_alloc: count frames */
	uint64_t count;
	uint32_t snapshots; /* snapshot ops run under this name so far */
};

struct pageops {
	struct named_block *b;  /* by name index */
	uint32_t n;
	uint64_t **snap;        /* each snapshot's copied values */
	uint32_t nsnap;
};

static struct named_block *named(struct kmm *k, uint32_t name)
{
	struct pageops *po = k->pageops;

	if (!po) {
		po = k->pageops = calloc(1, sizeof(*po));
		if (!po)
			abort();
	}
	if (name >= po->n) {
		uint32_t n = name + 16;
		po->b = realloc(po->b, n * sizeof(*po->b));
		if (!po->b)
			abort();
		for (uint32_t i = po->n; i < n; i++)
			po->b[i] = (struct named_block){ .pfn = -1 };
		po->n = n;
	}
	return &po->b[name];
}

int64_t kmm_op_alloc_pages(struct kmm *k, struct core *c, uint32_t name, unsigned order,
			   gfp_t gfp, int nid)
{
	struct named_block *b = named(k, name);
	uint32_t state = PG_kernel;  /* not mapped: compaction leaves it */

	b->pfn = kmm_alloc_pages(k, c, nid, gfp, order, state);
	b->order = (uint8_t)order;
	b->cma = false;
	return b->pfn;
}

int64_t kmm_op_cma_alloc(struct kmm *k, struct core *c, uint32_t name, uint64_t count,
			 unsigned align)
{
	struct named_block *b = named(k, name);

	b->pfn = cma_alloc(k, c, count, align);
	b->cma = true;
	b->count = count;
	return b->pfn;
}

int kmm_op_cma_release(struct kmm *k, struct core *c, uint32_t name)
{
	struct named_block *b = named(k, name);

	if (b->pfn < 0 || !b->cma)
		return -1;
	if (!cma_release(k, c, (uint64_t)b->pfn, b->count))
		return -1;
	b->pfn = -1;
	return 0;
}

int kmm_op_free_pages(struct kmm *k, struct core *c, uint32_t name)
{
	struct named_block *b = named(k, name);

	if (b->pfn < 0 || b->cma)
		return -1;
	kmm_free_pages(k, c, (uint64_t)b->pfn, b->order);
	b->pfn = -1;
	return 0;
}

void kmm_op_compact(struct kmm *k, struct core *c, int nid)
{
	compact_nodes(k, c, nid);
}

void kmm_op_drop_caches(struct kmm *k, struct core *c, unsigned what)
{
	/* 1: page cache, 2: slab objects (no shrinkable slab caches are
	 * modelled), 3: both */
	if (what & 1)
		filemap_drop_caches(k, c);
	drain_all_pages(k);
}

static bool snapshot_counter(const char *n)
{
	return !strncmp(n, "buddy.", 6) || !strncmp(n, "numa.", 5) ||
	       !strncmp(n, "mm.pcp.", 7) || !strncmp(n, "mm.compact.", 11) ||
	       !strncmp(n, "mm.cma.", 7) ||
	       !strncmp(n, "mm.hugetlb.", 11) ||
	       !strcmp(n, "mm.min_free_kbytes");
}

void kmm_op_snapshot(struct kmm *k, struct stats *st, uint32_t name, const char *label)
{
	struct named_block *b = named(k, name);
	struct pageops *po = k->pageops;
	size_t n = stats_count(st), m = 0;
	char prefix[96];

	if (b->snapshots++)
		snprintf(prefix, sizeof(prefix), "snapshot.%s.%u", label, b->snapshots);
	else
		snprintf(prefix, sizeof(prefix), "snapshot.%s", label);
	uint64_t *v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		abort();
	for (size_t i = 0; i < n; i++)
		if (snapshot_counter(stats_name(st, i)))
			v[m++] = stats_value(st, i);
	m = 0;
	for (size_t i = 0; i < n; i++)
		if (snapshot_counter(stats_name(st, i))) {
			stats_add(st, &v[m], "%s.%s", prefix, stats_name(st, i));
			m++;
		}
	po->snap = realloc(po->snap, (po->nsnap + 1) * sizeof(*po->snap));
	if (!po->snap)
		abort();
	po->snap[po->nsnap++] = v;
}

void pageops_destroy(struct kmm *k)
{
	struct pageops *po = k->pageops;

	if (!po)
		return;
	for (uint32_t i = 0; i < po->nsnap; i++)
		free(po->snap[i]);
	free(po->snap);
	free(po->b);
	free(po);
	k->pageops = NULL;
}
