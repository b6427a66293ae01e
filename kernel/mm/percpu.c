/* Per-CPU allocations (mm/percpu.c, much reduced): one unit per simulated
 * CPU, all the same size, in the direct map (as pcpu_embed_first_chunk()
 * places the first chunk). An allocation is one offset, valid in every
 * unit: per_cpu_ptr(p, cpu) = unit_base[cpu] + p. The units are allocated
 * at the first alloc_percpu() (order PCPU_UNIT_ORDER each); a granule map
 * (8-byte granules, first fit, as pcpu's allocation bitmap) keeps the
 * offsets. alloc_percpu() zeroes every copy, as Linux does.
 * Simplified: one chunk, no chunk growth or vmalloc-backed chunks. */
#include "kernel/mm/slab_internal.h"

#include <stdlib.h>
#include "sim/cpu/core.h"

#define PCPU_UNIT_ORDER 3                       /* 32 KiB per CPU */
#define PCPU_UNIT_SIZE (PAGE_SIZE << PCPU_UNIT_ORDER)
#define PCPU_GRANULE 8

static bool pcpu_setup(struct kmm *k, struct core *c)
{
	struct kmem *km = k->kmem;
	if (km->pcpu_unit)
		return true;
	uint64_t *unit = calloc(k->ncores, sizeof(*unit));
	if (!unit)
		abort();
	for (unsigned i = 0; i < k->ncores; i++) {
		int64_t pfn = kmm_alloc_pages(k, c, -1, GFP_KERNEL, PCPU_UNIT_ORDER, PG_kernel);
		if (pfn < 0) {
			while (i-- > 0)
				kmm_free_pages(k, c, unit[i], PCPU_UNIT_ORDER);
			free(unit);
			return false;
		}
		unit[i] = (uint64_t)pfn;
	}
	km->pcpu_granules = PCPU_UNIT_SIZE / PCPU_GRANULE;
	km->pcpu_map = calloc(km->pcpu_granules, 1);
	if (!km->pcpu_map)
		abort();
	km->pcpu_map[0] = 1;        /* offset 0 stays unused: 0 means failure */
	km->pcpu_unit = unit;
	return true;
}

uint64_t alloc_percpu(struct kmm *k, struct core *c, uint32_t size, uint32_t align)
{
	struct kmem *km = k->kmem;
	if (size == 0 || size > PCPU_UNIT_SIZE || !pcpu_setup(k, c))
		return 0;
	uint32_t n = (size + PCPU_GRANULE - 1) / PCPU_GRANULE;
	uint32_t step = align > PCPU_GRANULE ? align / PCPU_GRANULE : 1;
	for (uint32_t g = step; g + n <= km->pcpu_granules; g += step) {
		uint32_t j = 0;
		while (j < n && km->pcpu_map[g + j] == 0)
			j++;
		if (j < n)
			continue;
		km->pcpu_map[g] = 1;
		for (j = 1; j < n; j++)
			km->pcpu_map[g + j] = 2;
		uint64_t off = (uint64_t)g * PCPU_GRANULE;
		for (unsigned cpu = 0; cpu < k->ncores; cpu++)
			kmem_fill(k, c, per_cpu_ptr(k, off, cpu), n * PCPU_GRANULE, 0);
		km->percpu_bytes += (uint64_t)n * PCPU_GRANULE * k->ncores;
		return off;
	}
	return 0;
}

void free_percpu(struct kmm *k, struct core *c, uint64_t ptr)
{
	struct kmem *km = k->kmem;
	(void)c;
	if (!ptr)
		return;
	uint32_t g = (uint32_t)(ptr / PCPU_GRANULE);
	if (!km->pcpu_map || ptr % PCPU_GRANULE || g >= km->pcpu_granules ||
	    km->pcpu_map[g] != 1) {
		kmem_report(k, "free_percpu of %#llx: not an allocated per-CPU pointer "
			    "(ignored)\n", (unsigned long long)ptr);
		km->invalid_free++;
		return;
	}
	uint32_t n = 1;
	km->pcpu_map[g] = 0;
	while (g + n < km->pcpu_granules && km->pcpu_map[g + n] == 2)
		km->pcpu_map[g + n++] = 0;
	km->percpu_bytes -= (uint64_t)n * PCPU_GRANULE * k->ncores;
}

vaddr_t per_cpu_ptr(struct kmm *k, uint64_t ptr, unsigned cpu)
{
	return pfn_to_kva(k->kmem, k->kmem->pcpu_unit[cpu]) + ptr;
}

void percpu_fini(struct kmm *k)
{
	free(k->kmem->pcpu_unit);
	free(k->kmem->pcpu_map);
}
