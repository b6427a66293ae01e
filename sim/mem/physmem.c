/* Sparse guest physical memory: see physmem.h. */
#include "sim/mem/physmem.h"

#include <stdlib.h>

int physmem_init(struct physmem *pm, uint64_t size)
{
	memset(pm, 0, sizeof(*pm));
	pm->size = size;
	pm->nframes = size >> PAGE_SHIFT;
	/* calloc of a large array is backed lazily by the host OS, so a 64 GiB
	 * guest costs host pages only where frame pointers are touched. */
	pm->frame = calloc(pm->nframes, sizeof(*pm->frame));
	return pm->frame ? 0 : -1;
}

void physmem_fini(struct physmem *pm)
{
	if (!pm->frame)
		return;
	/* stop at the last buffer: the rest of the array was never touched */
	for (uint64_t i = 0; i < pm->nframes && pm->backed; i++)
		if (pm->frame[i]) {
			free(pm->frame[i]);
			pm->backed--;
		}
	free(pm->frame);
	pm->frame = NULL;
}

uint8_t *physmem_frame_rw(struct physmem *pm, uint64_t pfn)
{
	if (!pm->frame[pfn]) {
		pm->frame[pfn] = calloc(1, PAGE_SIZE);
		if (!pm->frame[pfn])
			abort();
		if (++pm->backed > pm->backed_peak)
			pm->backed_peak = pm->backed;
	}
	return pm->frame[pfn];
}

void physmem_zero_frame(struct physmem *pm, uint64_t pfn)
{
	if (pm->frame[pfn]) {
		free(pm->frame[pfn]);
		pm->frame[pfn] = NULL;
		pm->backed--;
	}
}

void physmem_copy_frame(struct physmem *pm, uint64_t dst_pfn, uint64_t src_pfn)
{
	if (!pm->frame[src_pfn]) {
		physmem_zero_frame(pm, dst_pfn);
		return;
	}
	memcpy(physmem_frame_rw(pm, dst_pfn), pm->frame[src_pfn], PAGE_SIZE);
}
