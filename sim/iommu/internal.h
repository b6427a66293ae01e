/* Helpers shared inside sim/iommu. */
#ifndef MMSIM_IOMMU_INTERNAL_H
#define MMSIM_IOMMU_INTERNAL_H

#include "sim/iommu/iommu.h"

/* One read of the IOMMU's own structures at cycle now: snooping the caches
 * when iommu.coherent, else from DRAM. */
cycles_t iommu_mem_read(struct iommu *io, paddr_t pa, cycles_t now);
/* Drop context-cache entries: did < 0 every one, else of domain did (and of
 * source id sid when sid >= 0). */
void iommu_drop_ctx(struct iommu *io, int did, int sid);
/* Drop IOTLB and paging-structure-cache entries: did < 0 every one; else
 * domain did's, all of them when npages = 0, else those overlapping
 * [iova, iova + npages * 4K) — a PSC entry overlaps when the region it
 * covers (512G, 1G, 2M) holds part of the range. leaf_only keeps the PSCs
 * (a page-selective invalidation with IH set). */
void iommu_drop_iotlb(struct iommu *io, int did, uint64_t iova, uint64_t npages,
		      bool leaf_only);

#endif
