/* Helpers shared by kernel/mm/dma.c, dma_iommu.c and swiotlb.c. */
#ifndef MMSIM_DMA_INTERNAL_H
#define MMSIM_DMA_INTERNAL_H

#include "kernel/mm/dma.h"
#include "kernel/mm/kmm.h"

static inline uint64_t dma_mask_of(const struct dma_device *d)
{
	return d->mask_bits >= 64 ? ~0ull : (1ull << d->mask_bits) - 1;
}

/* Pages spanned by [addr, addr + len), len > 0. */
static inline uint64_t span_pages(uint64_t addr, uint64_t len)
{
	return ((addr + len - 1) >> PAGE_SHIFT) - (addr >> PAGE_SHIFT) + 1;
}

/* dma_iommu.c */
void io_write(struct kdma *kd, struct core *c, paddr_t pa, uint64_t v);
int domain_init(struct kdma *kd, struct core *c, struct iommu_domain *dom, uint16_t did);
void domain_fini(struct kdma *kd, struct core *c, struct iommu_domain *dom);
/* alloc_iova(): npages, size aligned, top-down below limit_pfn; 0 if none. */
uint64_t iova_alloc(struct iommu_domain *dom, uint64_t npages, uint64_t limit_pfn);
void iova_free(struct iommu_domain *dom, uint64_t pfn);
int io_map(struct kdma *kd, struct core *c, struct iommu_domain *dom, uint64_t iova,
	   paddr_t pa, uint64_t npages, bool write);
void io_unmap(struct kdma *kd, struct core *c, struct iommu_domain *dom, uint64_t iova,
	      uint64_t npages);
/* Invalidate and then release [pfn, pfn + npages) of dom: at once when
 * strict, else through the flush queue. */
void io_unmap_done(struct kdma *kd, struct core *c, struct iommu_domain *dom, uint64_t pfn,
		   uint64_t npages);
void qi_submit(struct kdma *kd, struct core *c, uint64_t lo, uint64_t hi);
void qi_wait(struct kdma *kd, struct core *c);

/* swiotlb.c */
uint64_t swiotlb_map(struct kdma *kd, struct core *c, struct dma_device *d, paddr_t pa,
		     uint64_t len, enum dma_data_direction dir);
/* Is addr inside a live bounce mapping? Its first slot, or -1. */
int64_t swiotlb_find(const struct kdma *kd, uint64_t addr);
void swiotlb_unmap(struct kdma *kd, struct core *c, uint64_t addr, uint64_t len,
		   enum dma_data_direction dir);
/* Copy between the bounce slot at addr and the original (to_orig: from the
 * device's side to the CPU's). */
void swiotlb_sync(struct kdma *kd, struct core *c, uint64_t addr, uint64_t len, bool to_orig);
void swiotlb_fini(struct kdma *kd, struct core *c);

#endif
