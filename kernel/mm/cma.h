/* The Contiguous Memory Allocator (Linux mm/cma.c, alloc_contig_range() of
 * mm/page_alloc.c).
 *
 * One CMA area: kernel.cma bytes of whole pageblocks at the top of
 * kernel.cma_node's highest non-movable zone, avoiding holes and reserved
 * ranges, all MIGRATE_CMA. While nobody holds them, movable allocations
 * borrow its frames (ALLOC_CMA); cma_alloc() takes a contiguous run back by
 * isolating the pageblocks around it, migrating the movable pages out, and
 * taking the freed frames off the lists. See cma.c. */
#ifndef MMSIM_CMA_H
#define MMSIM_CMA_H

#include "lib/types.h"

struct kmm;
struct core;
struct zone;
struct stats;

struct cma {
	struct zone *z;
	uint64_t base_pfn, count;   /* [base, base + count), pageblock aligned */
	uint8_t *bitmap;            /* one byte per frame: held by a cma_alloc */
	/* counters ("mm.cma.*"; vmstat's cma_alloc_success / cma_alloc_fail) */
	uint64_t pages;             /* = count (CmaTotal) */
	uint64_t used;              /* frames held by cma_alloc callers */
	uint64_t alloc_success, alloc_fail, release;
	uint64_t migrated;          /* frames moved out to make room */
	uint64_t migrated_thp;      /* of those, THPs moved whole (512 frames each) */
	uint64_t migrate_fail;      /* pages that could not move (an attempt failed) */
};

/* Boot: place the area (kernel.cma, kernel.cma_node) and mark its
 * pageblocks MIGRATE_CMA before the frames are freed; NULL when kernel.cma
 * is 0 or no zone has room for it. */
struct cma *cma_declare(struct kmm *k);
void cma_destroy(struct cma *cma);
void cma_register_stats(struct cma *cma, struct stats *st);
static inline uint64_t cma_base_pfn(const struct cma *c) { return c->base_pfn; }
static inline uint64_t cma_end_pfn(const struct cma *c) { return c->base_pfn + c->count; }

/* cma_alloc(): count contiguous frames of the area, the first one aligned
 * to 2^align frames, charged to core c. The frames leave with refcount 1
 * and PG_kernel. -1 when no run can be made free (the area is held, or a
 * page in every candidate run cannot move). */
int64_t cma_alloc(struct kmm *k, struct core *c, uint64_t count, unsigned align);
/* cma_release(): give back what cma_alloc returned. False (nothing done)
 * when [pfn, pfn + count) is not held in the area. */
bool cma_release(struct kmm *k, struct core *c, uint64_t pfn, uint64_t count);

/* For kmm_validate(): every held frame is in use (refcount 1, not free),
 * every other frame of the area is not PG_kernel-held, no pageblock is left
 * isolated, every pageblock of the area is MIGRATE_CMA. 0 or -1 with err. */
int cma_validate(const struct kmm *k, char *err);

/* alloc_contig_range(): make [start, end) of zone z free and take it off
 * the lists (refcount 1 each, PG_kernel), migrating movable pages out. */
bool alloc_contig_range(struct kmm *k, struct core *c, struct zone *z, uint64_t start,
			uint64_t end);

#endif
