/* Bounce buffers for devices whose DMA mask cannot reach a buffer and that
 * no IOMMU translates (kernel/dma/swiotlb.c): a pool of 2K slots in
 * ZONE_DMA32, allocated at first need as iommu.swiotlb bytes in chunks of
 * the largest buddy order; a mapping takes contiguous free slots inside one
 * chunk (first fit), remembers the original address in its first slot, and
 * the data is copied by the CPU: into the slots at map for DMA_TO_DEVICE /
 * BIDIRECTIONAL, back at unmap for DMA_FROM_DEVICE / BIDIRECTIONAL, and at
 * dma_sync_single_for_cpu/for_device. Every copy is timed: one kernel load
 * and one kernel store per 64 bytes on the mapping core. */
#include "kernel/mm/dma_internal.h"

#include <assert.h>
#include <stdlib.h>
#include "lib/config.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"

#define SLOT_SIZE (1ull << IO_TLB_SHIFT)
#define SLOTS_PER_PAGE (PAGE_SIZE / SLOT_SIZE)

static uint64_t slots_per_chunk(const struct kdma *kd)
{
	return SLOTS_PER_PAGE << kd->chunk_order;
}

static paddr_t slot_pa(const struct kdma *kd, uint64_t s)
{
	uint64_t spc = slots_per_chunk(kd);
	return (kd->pool_chunk[s / spc] << PAGE_SHIFT) + (s % spc) * SLOT_SIZE;
}

static int pool_init(struct kdma *kd, struct core *c)
{
	uint64_t pages = kd->cfg->iommu.swiotlb >> PAGE_SHIFT;
	if (!pages)
		return -1;
	unsigned order = 0;
	while (order + 1 < kd->cfg->kernel.max_order && (2ull << order) <= pages)
		order++;
	kd->chunk_order = order;
	unsigned n = (unsigned)(pages >> order);
	kd->pool_chunk = calloc(n, sizeof(*kd->pool_chunk));
	if (!kd->pool_chunk)
		abort();
	for (unsigned i = 0; i < n; i++) {
		int64_t pfn = kmm_alloc_pages(kd->k, c, -1, GFP_KERNEL | __GFP_DMA32, order,
					      PG_kernel);
		if (pfn < 0)
			break;
		kd->pool_chunk[kd->pool_nchunks++] = (uint64_t)pfn;
	}
	if (!kd->pool_nchunks)
		return -1;
	kd->nslots = kd->pool_nchunks * slots_per_chunk(kd);
	kd->slot = calloc(kd->nslots, sizeof(*kd->slot));
	if (!kd->slot)
		abort();
	return 0;
}

void swiotlb_fini(struct kdma *kd, struct core *c)
{
	for (unsigned i = 0; i < kd->pool_nchunks; i++)
		kmm_free_pages(kd->k, c, kd->pool_chunk[i], kd->chunk_order);
	free(kd->pool_chunk);
	free(kd->slot);
}

/* The CPU copies len bytes from src to dst (each piece inside one page of
 * both), timed per line. */
static void bounce_copy(struct kdma *kd, struct core *c, paddr_t dst, paddr_t src,
			uint64_t len)
{
	struct memsys *ms = kd->k->ms;
	uint64_t line = ~0ull;
	for (uint64_t off = 0; off < len;) {
		uint64_t n = len - off > 8 ? 8 : len - off;
		uint64_t room = PAGE_SIZE - ((src + off) & ~PAGE_MASK);
		uint64_t room2 = PAGE_SIZE - ((dst + off) & ~PAGE_MASK);
		n = n < room ? n : room;
		n = n < room2 ? n : room2;
		if ((src + off) >> 6 != line) {          /* a new line: load it, store it */
			line = (src + off) >> 6;
			c->clock += memsys_access(ms, c->id, src + off, MEM_KERNEL, false, c->clock);
			c->clock += memsys_access(ms, c->id, dst + off, MEM_KERNEL, true, c->clock);
		}
		physmem_write(&ms->pm, dst + off, (unsigned)n,
			      physmem_read(&ms->pm, src + off, (unsigned)n));
		off += n;
	}
	kd->bounce_bytes += len;
}

uint64_t swiotlb_map(struct kdma *kd, struct core *c, struct dma_device *d, paddr_t pa,
		     uint64_t len, enum dma_data_direction dir)
{
	if (!kd->slot && pool_init(kd, c) < 0)
		return DMA_MAPPING_ERROR;
	uint64_t need = (len + SLOT_SIZE - 1) / SLOT_SIZE, spc = slots_per_chunk(kd);
	if (need > spc)
		return DMA_MAPPING_ERROR;
	for (uint64_t s = 0; s + need <= kd->nslots; s++) {
		if (s / spc != (s + need - 1) / spc)
			continue;                          /* would cross a chunk */
		uint64_t k = 0;
		while (k < need && !kd->slot[s + k].nslots)
			k++;
		if (k < need) {
			s += k + kd->slot[s + k].nslots - 1;
			continue;
		}
		paddr_t bus = slot_pa(kd, s);
		if (bus + len - 1 > dma_mask_of(d))
			return DMA_MAPPING_ERROR;          /* pool out of the device's reach */
		kd->slot[s] = (struct swiotlb_slot){ .orig = pa, .nslots = (uint32_t)need };
		for (k = 1; k < need; k++)
			kd->slot[s + k] = (struct swiotlb_slot){ .nslots = 0, .orig = 1 };
		if (dir != DMA_FROM_DEVICE)
			bounce_copy(kd, c, bus, pa, len);
		kd->bounce_maps++;
		d->bounce_maps++;
		return bus;
	}
	return DMA_MAPPING_ERROR;
}

/* Slots past the first of a mapping are marked orig = 1 with nslots 0. */
int64_t swiotlb_find(const struct kdma *kd, uint64_t addr)
{
	uint64_t spc = kd->slot ? slots_per_chunk(kd) : 0;
	for (unsigned i = 0; i < kd->pool_nchunks; i++) {
		paddr_t base = kd->pool_chunk[i] << PAGE_SHIFT;
		if (addr < base || addr >= base + spc * SLOT_SIZE)
			continue;
		int64_t s = (int64_t)(i * spc + (addr - base) / SLOT_SIZE);
		while (s >= 0 && !kd->slot[s].nslots && kd->slot[s].orig == 1)
			s--;
		return s >= 0 && kd->slot[s].nslots ? s : -1;
	}
	return -1;
}

void swiotlb_sync(struct kdma *kd, struct core *c, uint64_t addr, uint64_t len, bool to_orig)
{
	int64_t s = swiotlb_find(kd, addr);
	if (s < 0)
		return;
	paddr_t orig = kd->slot[s].orig + (addr - slot_pa(kd, (uint64_t)s));
	if (to_orig)
		bounce_copy(kd, c, orig, addr, len);
	else
		bounce_copy(kd, c, addr, orig, len);
}

void swiotlb_unmap(struct kdma *kd, struct core *c, uint64_t addr, uint64_t len,
		   enum dma_data_direction dir)
{
	int64_t s = swiotlb_find(kd, addr);
	assert(s >= 0);
	if (dir != DMA_TO_DEVICE)
		swiotlb_sync(kd, c, addr, len, true);
	uint32_t n = kd->slot[s].nslots;
	for (uint32_t k = 0; k < n; k++)
		kd->slot[s + k] = (struct swiotlb_slot){ 0 };
}
