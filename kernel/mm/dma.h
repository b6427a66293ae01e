/* The guest kernel's DMA API (Linux's include/linux/dma-mapping.h, with
 * the Intel IOMMU driver drivers/iommu/intel/ and dma-iommu.c behind it, and
 * kernel/dma/swiotlb.c for devices without one).
 *
 * The kernel programs the IOMMU only as a real driver does (DESIGN.md
 * contract 2): it writes the root table, context entries and second-level
 * page tables into simulated memory with timed kernel stores, loads RTADDR
 * and IQA once at boot, and invalidates by writing descriptors into the
 * invalidation queue and moving its tail, then polling the wait
 * descriptor's status dword.
 *
 * Per device (dma_add_device_at), by iommu.mode and whether the device sits
 * behind the IOMMU:
 *   translate + behind  own domain (domain id = device index + 1), own
 *                       IO page tables and IOVA allocator; a map allocates
 *                       IOVA (top-down below the device's mask, size
 *                       aligned, as alloc_iova()) and writes IO PTEs, R
 *                       for DMA_TO_DEVICE, R+W otherwise;
 *   passthrough+behind  a passthrough context entry: bus address = physical;
 *   off, or not behind  bus address = physical.
 * Without translation a buffer the device's DMA mask cannot reach is
 * bounced (swiotlb_map()): a slot of the bounce pool (iommu.swiotlb bytes of
 * ZONE_DMA32, allocated at first need, 2K slots) stands in for it, with
 * copies at map (to the device), at unmap (from it) and at dma_sync_*.
 * dma_alloc_coherent() takes pages from ZONE_DMA (mask <= 24 bits) or
 * ZONE_DMA32 (<= 32 bits) when the device is not translated.
 *
 * Unmap: iommu.strict (the default) invalidates the range at once
 * (page-selective, 2^AM pages covering it, plus a wait) before the IOVA is
 * reused; lazy mode defers the unmapped ranges to a flush queue and, every
 * iommu.lazy_batch unmaps (or at the first unmap once the oldest deferred
 * one is iommu.lazy_timeout cycles old), issues one domain-selective
 * invalidation per domain in it and a wait, then frees their IOVAs (Linux's
 * flush queue).
 * Until then a device can still reach an unmapped buffer through the IOTLB.
 *
 * An unmap whose range covers a whole IO page table's span (2M, 1G, ...)
 * unhooks that table, as Linux does, and frees it after the invalidation,
 * which then goes without the IH hint so the IOMMU drops its cached walks
 * through it; other unmaps clear leaves only and set IH.
 *
 * User pages mapped for DMA are pinned (dma_user_sg(), pin_user_pages()):
 * a munmap while the mapping is live unmaps them from the process but the
 * frames stay allocated, and the device's DMA still lands in them, until
 * dma_unpin_user_sg(). Devices sit at any PCI bus:device.function
 * (dma_add_device_at()), each bus with its own context table.
 *
 * Simplified: 2M IO leaves are used when IOVA and physical address are both
 * 2M aligned with 2M left (no 1G IO leaves from the kernel). */
#ifndef MMSIM_DMA_H
#define MMSIM_DMA_H

#include "lib/types.h"
#include "sim/iommu/dmaengine.h"
#include "sim/iommu/iommu.h"

struct kmm;
struct core;
struct mm;
struct stats;
struct iommu;

enum dma_data_direction { DMA_BIDIRECTIONAL, DMA_TO_DEVICE, DMA_FROM_DEVICE };
#define DMA_MAPPING_ERROR (~0ull)
#define DMA_MAX_DEVICES 32
#define IO_TLB_SHIFT 11                 /* swiotlb slots of 2K */

/* One scatterlist entry: a physical piece and, once mapped, its bus address. */
struct dma_sg {
	paddr_t pa;
	uint64_t len;
	uint64_t dma_addr;
};

struct iova_range { uint64_t lo, hi; };  /* [lo, hi) in pages */

struct iommu_domain {
	uint16_t did;
	paddr_t pgd;                /* second-level PML4 */
	struct iova_range *used;    /* allocated ranges, sorted */
	uint32_t nused, cap;
	uint64_t *tables;           /* frames of its IO page tables (freed with it) */
	uint32_t ntables, tcap;
};

struct dma_device {
	struct iodev hw;            /* the device as the hardware sees it */
	unsigned mask_bits;
	struct iommu_domain *dom;   /* NULL: bus address = physical */
	bool passthrough;           /* behind an IOMMU in passthrough mode */
	uint64_t maps, unmaps, bounce_maps;  /* "dma.<name>.*" */
};

struct swiotlb_slot {
	paddr_t orig;               /* valid on the first slot of a mapping */
	uint32_t nslots;            /* slots of the mapping starting here, 0: free */
};

struct lazy_unmap {
	struct iommu_domain *dom;
	uint64_t pfn, npages;
	uint64_t *tables;           /* IO page-table pages the unmap unhooked */
	uint32_t ntables;
};

struct kdma {
	struct kmm *k;
	struct iommu *io;
	const struct mmsim_cfg *cfg;
	bool translate, passthrough;    /* iommu.mode */
	paddr_t root;                   /* root table */
	paddr_t ctx[VTD_TABLE_ENTRIES]; /* each bus's context table, 0: none yet */
	paddr_t iq, status;             /* invalidation ring (256 descriptors), wait status */
	uint32_t iqt, wait_seq;
	struct dma_device dev[DMA_MAX_DEVICES];
	unsigned ndev;
	struct iommu_domain dom[DMA_MAX_DEVICES];
	/* bounce pool: nslots 2K slots from pool_pfn (contiguous chunks) */
	uint64_t *pool_chunk;           /* first PFN of each chunk */
	unsigned pool_nchunks, chunk_order;
	struct swiotlb_slot *slot;
	uint64_t nslots;
	/* IO page-table pages an unmap unhooked, waiting for its invalidation */
	uint64_t *freelist;
	uint32_t nfree, freecap;
	/* frames pinned by dma_user_sg, one entry per pin (for kdma_validate) */
	uint64_t *pinned;
	uint32_t npinned, pincap;
	/* lazy unmaps waiting for the flush */
	struct lazy_unmap *fq;
	uint32_t nfq;
	cycles_t fq_since;              /* when the oldest of them was queued */

	/* counters ("dma.*") */
	uint64_t map_single, unmap_single, map_sg, unmap_sg, alloc_coherent, free_coherent;
	uint64_t sync_for_cpu, sync_for_device, map_errors;
	uint64_t bounce_maps, bounce_bytes, iova_allocs, iova_pages;
	uint64_t io_pte_writes, flush_strict, flush_lazy, unmap_cycles;
	uint64_t pins, unpins, pin_freed;   /* pages pinned, unpinned, freed at unpin */
	uint64_t tables_freed;              /* IO page-table pages freed by unmaps */
};

/* Boot: build the root table, context table and invalidation queue and
 * point the IOMMU at them (nothing when iommu.mode is off). c pays. */
struct kdma *kdma_create(struct kmm *k, struct iommu *io, struct core *c, struct stats *st);
/* Free every domain's tables, the pool and the tables (c pays). */
void kdma_destroy(struct kdma *kd, struct core *c);

/* Register a device at PCI source id sid (vtd_sid(bus, dev, fn)) and attach
 * it: its bus's context table (allocated and entered in the root table at
 * the bus's first device), its context entry and, when translated, its own
 * domain (id = index + 1). Returns its index, or -1 when out of memory or
 * devices. The sid must not be another device's. */
int dma_add_device_at(struct kdma *kd, struct core *c, const char *name, unsigned mask_bits,
		      bool behind_iommu, uint16_t sid, struct stats *st);
/* The same at the default address: bus 0, device number index + 1. */
int dma_add_device(struct kdma *kd, struct core *c, const char *name, unsigned mask_bits,
		   bool behind_iommu, struct stats *st);

/* The mapping calls, as Linux's; DMA_MAPPING_ERROR / 0 entries on failure
 * (IOVA space or bounce pool exhausted, out of memory). */
uint64_t dma_map_single(struct kdma *kd, struct core *c, int dev, paddr_t pa, uint64_t len,
			enum dma_data_direction dir);
void dma_unmap_single(struct kdma *kd, struct core *c, int dev, uint64_t addr, uint64_t len,
		      enum dma_data_direction dir);
/* Maps sg[0..n) into one contiguous IOVA range when translated (each piece
 * but the first must start on a page, each but the last end on one). */
int dma_map_sg(struct kdma *kd, struct core *c, int dev, struct dma_sg *sg, int n,
	       enum dma_data_direction dir);
void dma_unmap_sg(struct kdma *kd, struct core *c, int dev, struct dma_sg *sg, int n,
		  enum dma_data_direction dir);
/* 2^order pages the device and the CPU share; returns the first PFN (and
 * *handle), or -1. */
int64_t dma_alloc_coherent(struct kdma *kd, struct core *c, int dev, unsigned order,
			   uint64_t *handle);
void dma_free_coherent(struct kdma *kd, struct core *c, int dev, unsigned order, uint64_t pfn,
		       uint64_t handle);
void dma_sync_single_for_cpu(struct kdma *kd, struct core *c, int dev, uint64_t addr,
			     uint64_t len, enum dma_data_direction dir);
void dma_sync_single_for_device(struct kdma *kd, struct core *c, int dev, uint64_t addr,
				uint64_t len, enum dma_data_direction dir);

/* pin_user_pages(FOLL_PIN, and FOLL_WRITE when write): fault in
 * [va, va+len) of mm (a write pin breaks COW first: the fault gives the
 * process its own copy), split a transparent huge page under it into small
 * pages, pin every page (GUP_PIN_COUNTING_BIAS on its refcount, page.h:
 * the frame stays allocated after a munmap until unpinned) and describe
 * the buffer as one sg entry per page piece into sg (room for len/4K + 2).
 * The shared zero page is not pinned (it is never freed). Returns the
 * entries, or -1 (nothing left pinned) if a page cannot be faulted in. */
int dma_user_sg(struct kdma *kd, struct core *c, struct mm *mm, vaddr_t va, uint64_t len,
		bool write, struct dma_sg *sg);
/* unpin_user_pages_dirty_lock(): drop the pins dma_user_sg took on the n
 * entries (marking the pages dirty when the device may have written them);
 * a page whose last mapping went meanwhile is freed now. */
void dma_unpin_user_sg(struct kdma *kd, struct core *c, const struct dma_sg *sg, int n,
		       bool dirty);

/* The physical pieces of the kernel buffer [kva, kva+len) into sg (room for
 * len/4K + 2): one piece in the direct map (virt_to_phys(): a kmalloc'd
 * object is physically contiguous — map it with dma_map_single()), one per
 * page in the vmalloc area (vmalloc_to_page(), a timed walk of the kernel
 * page tables — map them with dma_map_sg(), as a driver must for vmalloc
 * memory). Kernel memory is not pinned: it stays until its owner frees it.
 * Returns the entries, or -1 when part of the range is not kernel memory
 * or not mapped. */
int dma_kernel_sg(struct kdma *kd, struct core *c, vaddr_t kva, uint64_t len,
		  struct dma_sg *sg);

/* Lazy mode: flush the deferred unmaps now (also done at destroy). */
void dma_flush_queue(struct kdma *kd, struct core *c);

/* For --check: every IOTLB entry agrees with its domain's IO page tables
 * (same frame and page size, no more rights), unless its pages wait in the
 * lazy flush queue. 0, or -1 with err. */
int kdma_validate(const struct kdma *kd, char *err);

#endif
