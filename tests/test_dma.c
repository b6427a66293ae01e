/* Tests of the kernel DMA API (kernel/mm/dma.c, dma_iommu.c, swiotlb.c) on a
 * bare machine: one core, 64M in the flat memory model, the IOMMU and a
 * device's DMA engine (sim/iommu) underneath. What the kernel wrote is
 * checked by what the hardware does with it: the device's DMA lands in the
 * right frames, is blocked after a strict unmap, still gets through a stale
 * IOTLB entry in lazy mode until the batch is flushed; bounce buffers carry
 * the data back at sync/unmap; the IOVA allocator is top-down, size aligned
 * and below the mask; every frame the DMA layer takes is given back. */
#include <criterion/criterion.h>
#include <string.h>

#include "kernel/mm/compaction.h"
#include "kernel/mm/dma.h"
#include "kernel/mm/kmm.h"
#include "lib/config.h"
#include "lib/trace.h"
#include "sim/cpu/core.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/memsys.h"

#define MiB (1ull << 20)

struct fx {
	struct mmsim_cfg cfg;
	struct memsys *ms;
	struct core *core;
	struct kmm *k;
	struct iommu *io;
	struct kdma *kd;
	uint64_t net0;          /* pgalloc - pgfree before the DMA layer */
};

static void fx_cfg(struct mmsim_cfg *cfg)
{
	cfg_defaults(cfg);
	cfg->cores = 1;
	cfg->memory.size = 64 * MiB;
	cfg->memory.model = MEMMODEL_FLAT;
}

static void fx_init_cfg(struct fx *f, const struct mmsim_cfg *cfg)
{
	char err[MMSIM_ERR_LEN];
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	cr_assert_eq(cfg_check(&f->cfg, "test", err), 0, "%s", err);
	f->ms = memsys_create(&f->cfg, NULL, err);
	cr_assert_not_null(f->ms, "%s", err);
	f->core = core_create(&f->cfg, 0, f->ms, NULL);
	f->k = kmm_create(&f->cfg, f->ms, &f->core, 1, NULL);
	f->net0 = f->k->pgalloc - f->k->pgfree;
	f->io = iommu_create(&f->cfg, f->ms);
	f->kd = kdma_create(f->k, f->io, f->core, NULL);
	cr_assert_not_null(f->kd);
}

static void fx_init(struct fx *f)
{
	struct mmsim_cfg cfg;
	fx_cfg(&cfg);
	fx_init_cfg(f, &cfg);
}

/* Tear down, checking that the DMA layer gave back every frame it took. */
static void fx_fini(struct fx *f)
{
	kdma_destroy(f->kd, f->core);
	cr_assert_eq(f->k->pgalloc - f->k->pgfree, f->net0, "frames leaked");
	iommu_destroy(f->io);
	kmm_destroy(f->k);
	core_destroy(f->core);
	memsys_destroy(f->ms);
}

/* A kernel buffer of one page, filled with byte b. */
static paddr_t kbuf(struct fx *f, uint8_t b)
{
	int64_t pfn = kmm_alloc_page(f->k, f->core, PG_kernel);
	cr_assert_geq(pfn, 0);
	paddr_t pa = (paddr_t)pfn << PAGE_SHIFT;
	for (unsigned i = 0; i < PAGE_SIZE; i += 8)
		physmem_write(&f->ms->pm, pa + i, 8, 0x0101010101010101ull * b);
	return pa;
}

static enum iommu_fault_reason dev_dma(struct fx *f, int dev, uint64_t addr, uint64_t len,
				       bool write, uint8_t *buf)
{
	cycles_t c;
	uint64_t done;
	return dma_xfer(f->io, &f->kd->dev[dev].hw, addr, len, write, buf, 16, 0, &c, &done);
}

Test(dma, map_single_translates_and_strict_unmap_blocks)
{
	struct fx f;
	fx_init(&f);
	int nic = dma_add_device(f.kd, f.core, "nic", 64, true, NULL);
	cr_assert_eq(nic, 0);
	paddr_t pa = kbuf(&f, 0);
	uint64_t h = dma_map_single(f.kd, f.core, nic, pa + 0x100, 512, DMA_FROM_DEVICE);
	cr_assert_neq(h, DMA_MAPPING_ERROR);
	cr_assert_neq(h, pa + 0x100, "translated: the handle is an IOVA");
	cr_assert_eq(h & 0xfff, 0x100);
	uint8_t data[512];
	memset(data, 0x5a, sizeof data);
	cr_assert_eq(dev_dma(&f, nic, h, sizeof data, true, data), IOF_NONE);
	cr_assert_eq(physmem_read(&f.ms->pm, pa + 0x100, 8), 0x5a5a5a5a5a5a5a5aull);
	cr_assert_eq(physmem_read(&f.ms->pm, pa + 0x2ff, 1), 0x5a);
	cr_assert_eq(physmem_read(&f.ms->pm, pa + 0x100 + 512, 1), 0);   /* past the end */
	dma_unmap_single(f.kd, f.core, nic, h, 512, DMA_FROM_DEVICE);
	cr_assert_eq(f.kd->flush_strict, 1);
	cr_assert_eq(f.io->inv_page, 1);
	cr_assert_eq(dev_dma(&f, nic, h, 8, true, data), IOF_NOT_PRESENT);
	cr_assert_eq(f.io->faults, 1);
	kmm_free_page(f.k, f.core, pa >> PAGE_SHIFT);
	fx_fini(&f);
}

/* Devices on two PCI buses: each bus gets its own context table in the
 * root table, and the two context entries name different domains with
 * different second-level tables; DMA goes through each, and neither
 * device reaches what the other mapped. */
Test(dma, devices_on_two_buses_have_their_own_context_tables_and_domains)
{
	struct fx f;
	fx_init(&f);
	int a = dma_add_device_at(f.kd, f.core, "nic", 64, true, vtd_sid(0, 2, 0), NULL);
	int b = dma_add_device_at(f.kd, f.core, "gpu", 64, true, vtd_sid(3, 0, 1), NULL);
	cr_assert(a == 0 && b == 1);
	const struct physmem *pm = &f.ms->pm;
	uint64_t re0 = physmem_read(pm, f.kd->root, 8);
	uint64_t re3 = physmem_read(pm, f.kd->root + 3 * VTD_ENTRY_SIZE, 8);
	cr_assert(re0 & VTD_RE_P);
	cr_assert(re3 & VTD_RE_P);
	cr_assert_eq(physmem_read(pm, f.kd->root + 1 * VTD_ENTRY_SIZE, 8), 0, "bus 1: none");
	cr_assert_neq(re0 & VTD_ADDR_MASK, re3 & VTD_ADDR_MASK);
	paddr_t ce_a = (re0 & VTD_ADDR_MASK) + VTD_ENTRY_SIZE * (2 << 3);
	paddr_t ce_b = (re3 & VTD_ADDR_MASK) + VTD_ENTRY_SIZE * 1;
	uint64_t lo_a = physmem_read(pm, ce_a, 8), hi_a = physmem_read(pm, ce_a + 8, 8);
	uint64_t lo_b = physmem_read(pm, ce_b, 8), hi_b = physmem_read(pm, ce_b + 8, 8);
	cr_assert((lo_a & VTD_CE_P) && (lo_b & VTD_CE_P));
	cr_assert_eq(hi_a >> VTD_CE_DID_SHIFT & 0xffff, 1);
	cr_assert_eq(hi_b >> VTD_CE_DID_SHIFT & 0xffff, 2);
	cr_assert_eq(lo_a & VTD_ADDR_MASK, f.kd->dev[a].dom->pgd);
	cr_assert_eq(lo_b & VTD_ADDR_MASK, f.kd->dev[b].dom->pgd);
	cr_assert_neq(f.kd->dev[a].dom->pgd, f.kd->dev[b].dom->pgd);

	paddr_t pa = kbuf(&f, 0), pb = kbuf(&f, 0);
	uint64_t ha = dma_map_single(f.kd, f.core, a, pa, PAGE_SIZE, DMA_FROM_DEVICE);
	uint64_t hb = dma_map_single(f.kd, f.core, b, pb, PAGE_SIZE, DMA_FROM_DEVICE);
	/* the same IOVA in the two domains leads to each one's own buffer */
	cr_assert_eq(ha, hb, "each domain's allocator starts at the top");
	uint8_t data[64];
	memset(data, 0xaa, sizeof data);
	cr_assert_eq(dev_dma(&f, a, ha, 64, true, data), IOF_NONE);
	memset(data, 0xbb, sizeof data);
	cr_assert_eq(dev_dma(&f, b, hb, 64, true, data), IOF_NONE);
	cr_assert_eq(physmem_read(pm, pa, 1), 0xaa);
	cr_assert_eq(physmem_read(pm, pb, 1), 0xbb);
	cr_assert_eq(f.io->faults, 0);
	/* per-device shares of the IOMMU's counters */
	cr_assert_eq(dev_dma(&f, b, hb + 64, 8, true, data), IOF_NONE);
	cr_assert_eq(f.kd->dev[a].hw.iotlb_miss, 1);
	cr_assert_eq(f.kd->dev[a].hw.iotlb_hit, 0);
	cr_assert_eq(f.kd->dev[b].hw.iotlb_miss, 1);
	cr_assert_eq(f.kd->dev[b].hw.iotlb_hit, 1);
	cr_assert_eq(f.kd->dev[a].hw.walk_cycles + f.kd->dev[b].hw.walk_cycles,
		     f.io->walk_cycles);
	cr_assert_gt(f.kd->dev[a].hw.walk_cycles, 0);
	dma_unmap_single(f.kd, f.core, a, ha, PAGE_SIZE, DMA_FROM_DEVICE);
	cr_assert_eq(dev_dma(&f, a, ha, 8, true, data), IOF_NOT_PRESENT);
	cr_assert_eq(dev_dma(&f, b, hb, 8, true, data), IOF_NONE, "b's mapping is its own");
	cr_assert_eq(f.io->log[0].sid, vtd_sid(0, 2, 0));
	dma_unmap_single(f.kd, f.core, b, hb, PAGE_SIZE, DMA_FROM_DEVICE);
	kmm_free_page(f.k, f.core, pa >> PAGE_SHIFT);
	kmm_free_page(f.k, f.core, pb >> PAGE_SHIFT);
	fx_fini(&f);
}

Test(dma, to_device_mappings_are_read_only)
{
	struct fx f;
	fx_init(&f);
	int d = dma_add_device(f.kd, f.core, "disk", 64, true, NULL);
	paddr_t pa = kbuf(&f, 0x33);
	uint64_t h = dma_map_single(f.kd, f.core, d, pa, PAGE_SIZE, DMA_TO_DEVICE);
	uint8_t buf[64];
	cr_assert_eq(dev_dma(&f, d, h, 64, false, buf), IOF_NONE);
	cr_assert_eq(buf[63], 0x33);
	cr_assert_eq(dev_dma(&f, d, h, 64, true, buf), IOF_READ_ONLY);
	cr_assert_eq(f.io->log[0].reason, IOF_READ_ONLY);
	dma_unmap_single(f.kd, f.core, d, h, PAGE_SIZE, DMA_TO_DEVICE);
	kmm_free_page(f.k, f.core, pa >> PAGE_SHIFT);
	fx_fini(&f);
}

Test(dma, another_devices_handle_faults)
{
	struct fx f;
	fx_init(&f);
	int a = dma_add_device(f.kd, f.core, "a", 64, true, NULL);
	int b = dma_add_device(f.kd, f.core, "b", 64, true, NULL);
	paddr_t pa = kbuf(&f, 0x11);
	uint64_t h = dma_map_single(f.kd, f.core, a, pa, PAGE_SIZE, DMA_BIDIRECTIONAL);
	uint8_t buf[8] = { 0 };
	cr_assert_eq(dev_dma(&f, b, h, 8, true, buf), IOF_NOT_PRESENT);
	cr_assert_eq(f.io->log[0].sid, f.kd->dev[b].hw.sid);
	cr_assert_eq(physmem_read(&f.ms->pm, pa, 1), 0x11, "the stray write was blocked");
	dma_unmap_single(f.kd, f.core, a, h, PAGE_SIZE, DMA_BIDIRECTIONAL);
	kmm_free_page(f.k, f.core, pa >> PAGE_SHIFT);
	fx_fini(&f);
}

Test(dma, iova_allocator_is_top_down_aligned_and_below_the_mask)
{
	struct fx f;
	fx_init(&f);
	int d = dma_add_device(f.kd, f.core, "d32", 32, true, NULL);
	paddr_t pa = kbuf(&f, 0);
	uint64_t h1 = dma_map_single(f.kd, f.core, d, pa, PAGE_SIZE, DMA_TO_DEVICE);
	cr_assert_eq(h1, 0xfffff000ull);
	uint64_t h2 = dma_map_single(f.kd, f.core, d, pa, 3 * PAGE_SIZE, DMA_TO_DEVICE);
	cr_assert_eq(h2, 0xffffc000ull, "3 pages aligned to 4 below page 0xfffff");
	dma_unmap_single(f.kd, f.core, d, h1, PAGE_SIZE, DMA_TO_DEVICE);
	uint64_t h3 = dma_map_single(f.kd, f.core, d, pa, PAGE_SIZE, DMA_TO_DEVICE);
	cr_assert_eq(h3, h1, "freed at once in strict mode, so reused");
	dma_unmap_single(f.kd, f.core, d, h2, 3 * PAGE_SIZE, DMA_TO_DEVICE);
	dma_unmap_single(f.kd, f.core, d, h3, PAGE_SIZE, DMA_TO_DEVICE);
	cr_assert_eq(f.kd->dom[d].nused, 0);
	kmm_free_page(f.k, f.core, pa >> PAGE_SHIFT);
	fx_fini(&f);
}

/* Map, let the device read it once, unmap; n times. Returns the cycles. */
static cycles_t churn(struct fx *f, int d, paddr_t pa, int n)
{
	cycles_t t0 = f->core->clock;
	uint8_t buf[64];
	for (int i = 0; i < n; i++) {
		uint64_t h = dma_map_single(f->kd, f->core, d, pa, PAGE_SIZE, DMA_TO_DEVICE);
		cr_assert_eq(dev_dma(f, d, h, 64, false, buf), IOF_NONE);
		dma_unmap_single(f->kd, f->core, d, h, PAGE_SIZE, DMA_TO_DEVICE);
	}
	return f->core->clock - t0;
}

Test(dma, lazy_unmap_leaves_a_window_and_costs_less)
{
	struct mmsim_cfg cfg;
	fx_cfg(&cfg);
	cfg.iommu.strict = false;
	cfg.iommu.lazy_batch = 4;
	struct fx f;
	fx_init_cfg(&f, &cfg);
	int d = dma_add_device(f.kd, f.core, "nic", 64, true, NULL);
	paddr_t pa = kbuf(&f, 0x77);
	uint64_t h = dma_map_single(f.kd, f.core, d, pa, PAGE_SIZE, DMA_BIDIRECTIONAL);
	uint8_t buf[8];
	cr_assert_eq(dev_dma(&f, d, h, 8, false, buf), IOF_NONE);
	dma_unmap_single(f.kd, f.core, d, h, PAGE_SIZE, DMA_BIDIRECTIONAL);
	/* not flushed yet: the IOTLB still translates the unmapped IOVA */
	cr_assert_eq(dev_dma(&f, d, h, 8, false, buf), IOF_NONE);
	cr_assert_eq(f.io->inv_page + f.io->inv_domain, 0);
	cycles_t lazy = churn(&f, d, pa, 7);   /* 8 unmaps: two batches */
	cr_assert_eq(f.kd->flush_lazy, 2);
	cr_assert_eq(f.io->inv_domain, 2);
	cr_assert_eq(dev_dma(&f, d, h, 8, false, buf), IOF_NOT_PRESENT);
	kmm_free_page(f.k, f.core, pa >> PAGE_SHIFT);
	fx_fini(&f);

	fx_cfg(&cfg);
	fx_init_cfg(&f, &cfg);
	d = dma_add_device(f.kd, f.core, "nic", 64, true, NULL);
	pa = kbuf(&f, 0x77);
	churn(&f, d, pa, 1);                    /* same warm-up as above */
	cycles_t strict = churn(&f, d, pa, 7);
	cr_assert_eq(f.io->inv_page, 8);
	cr_assert_lt(lazy, strict, "lazy %llu vs strict %llu", (unsigned long long)lazy,
		     (unsigned long long)strict);
	kmm_free_page(f.k, f.core, pa >> PAGE_SHIFT);
	fx_fini(&f);
}

Test(dma, lazy_queue_flushes_after_its_timeout)
{
	struct mmsim_cfg cfg;
	fx_cfg(&cfg);
	cfg.iommu.strict = false;
	cfg.iommu.lazy_timeout = 1;    /* any later unmap is past it */
	struct fx f;
	fx_init_cfg(&f, &cfg);
	int d = dma_add_device(f.kd, f.core, "nic", 64, true, NULL);
	paddr_t pa = kbuf(&f, 0);
	uint64_t h1 = dma_map_single(f.kd, f.core, d, pa, PAGE_SIZE, DMA_TO_DEVICE);
	uint64_t h2 = dma_map_single(f.kd, f.core, d, pa, PAGE_SIZE, DMA_TO_DEVICE);
	dma_unmap_single(f.kd, f.core, d, h1, PAGE_SIZE, DMA_TO_DEVICE);
	cr_assert_eq(f.kd->flush_lazy, 0, "queued: nothing is old yet");
	dma_unmap_single(f.kd, f.core, d, h2, PAGE_SIZE, DMA_TO_DEVICE);
	cr_assert_eq(f.kd->flush_lazy, 1);
	cr_assert_eq(f.kd->nfq, 0);
	cr_assert_eq(f.io->inv_domain, 1);
	kmm_free_page(f.k, f.core, pa >> PAGE_SHIFT);
	fx_fini(&f);
}

Test(dma, bounce_buffers_without_an_iommu)
{
	struct mmsim_cfg cfg;
	fx_cfg(&cfg);
	cfg.memory.size = 8ull << 30;
	cfg.iommu.mode = IOMMU_OFF;
	struct fx f;
	fx_init_cfg(&f, &cfg);
	int d = dma_add_device(f.kd, f.core, "nic32", 32, true, NULL);
	cr_assert(!f.kd->dev[d].hw.behind_iommu);
	paddr_t pa = 6ull << 30;       /* above the 32-bit mask (only data moves) */
	physmem_write(&f.ms->pm, pa, 8, 0x1234);
	uint64_t h = dma_map_single(f.kd, f.core, d, pa, 256, DMA_BIDIRECTIONAL);
	cr_assert_neq(h, DMA_MAPPING_ERROR);
	cr_assert_lt(h + 255, 1ull << 32, "bounce slot within the 32-bit mask");
	cr_assert_eq(physmem_read(&f.ms->pm, h, 8), 0x1234, "copied to the bounce slot");
	uint64_t v = 0xfeedull;
	cr_assert_eq(dev_dma(&f, d, h + 8, 8, true, (uint8_t *)&v), IOF_NONE);
	cr_assert_eq(physmem_read(&f.ms->pm, pa + 8, 8), 0, "not back yet");
	dma_sync_single_for_cpu(f.kd, f.core, d, h, 256, DMA_BIDIRECTIONAL);
	cr_assert_eq(physmem_read(&f.ms->pm, pa + 8, 8), 0xfeed);
	v = 0xbeef;
	dev_dma(&f, d, h + 16, 8, true, (uint8_t *)&v);
	dma_unmap_single(f.kd, f.core, d, h, 256, DMA_BIDIRECTIONAL);
	cr_assert_eq(physmem_read(&f.ms->pm, pa + 16, 8), 0xbeef, "copied back at unmap");
	cr_assert_eq(f.kd->bounce_maps, 1);
	cr_assert_eq(f.kd->bounce_bytes, 3 * 256);
	/* the slot is free again, and a buffer the device reaches is not bounced */
	cr_assert_eq(dma_map_single(f.kd, f.core, d, pa, 256, DMA_TO_DEVICE), h);
	dma_unmap_single(f.kd, f.core, d, h, 256, DMA_TO_DEVICE);
	cr_assert_eq(dma_map_single(f.kd, f.core, d, 0x200000, 64, DMA_TO_DEVICE), 0x200000);
	fx_fini(&f);
}

Test(dma, coherent_allocation_is_shared_and_freed)
{
	struct fx f;
	fx_init(&f);
	int d = dma_add_device(f.kd, f.core, "nic", 32, true, NULL);
	uint64_t handle = 0;
	int64_t pfn = dma_alloc_coherent(f.kd, f.core, d, 1, &handle);
	cr_assert_geq(pfn, 0);
	cr_assert_leq(handle + 2 * PAGE_SIZE - 1, 0xffffffffull);
	uint64_t v = 0xabcdef;
	cr_assert_eq(dev_dma(&f, d, handle + PAGE_SIZE + 8, 8, true, (uint8_t *)&v), IOF_NONE);
	cr_assert_eq(physmem_read(&f.ms->pm, ((paddr_t)pfn << PAGE_SHIFT) + PAGE_SIZE + 8, 8), v);
	dma_free_coherent(f.kd, f.core, d, 1, (uint64_t)pfn, handle);
	cr_assert_eq(dev_dma(&f, d, handle, 8, false, (uint8_t *)&v), IOF_NOT_PRESENT);
	fx_fini(&f);
}

/* Without an IOMMU dma_alloc_coherent() picks the zone from the mask
 * (dma_direct_optimal_gfp_mask()): 24 bits ZONE_DMA (below 16M), 32 bits
 * ZONE_DMA32 (below 4G), 64 bits anywhere — on 8G, where ordinary
 * allocations come from ZONE_NORMAL above 4G first. */
Test(dma, coherent_allocation_zone_follows_the_mask_without_an_iommu)
{
	struct mmsim_cfg cfg;
	fx_cfg(&cfg);
	cfg.memory.size = 8ull << 30;
	cfg.iommu.mode = IOMMU_OFF;
	struct fx f;
	fx_init_cfg(&f, &cfg);
	int d24 = dma_add_device(f.kd, f.core, "isa", 24, true, NULL);
	int d32 = dma_add_device(f.kd, f.core, "pci32", 32, true, NULL);
	int d64 = dma_add_device(f.kd, f.core, "pci64", 64, true, NULL);
	uint64_t h24, h32, h64;
	int64_t p24 = dma_alloc_coherent(f.kd, f.core, d24, 0, &h24);
	int64_t p32 = dma_alloc_coherent(f.kd, f.core, d32, 2, &h32);
	int64_t p64 = dma_alloc_coherent(f.kd, f.core, d64, 0, &h64);
	cr_assert(p24 >= 0 && p32 >= 0 && p64 >= 0);
	cr_assert_eq(h24, (uint64_t)p24 << PAGE_SHIFT, "no IOMMU: bus address = physical");
	cr_assert_lt(h24 + PAGE_SIZE, 16 * MiB);
	cr_assert_lt(h32 + 4 * PAGE_SIZE, 4ull << 30);
	cr_assert_geq(h32, 16 * MiB, "ZONE_DMA32, not ZONE_DMA");
	cr_assert_geq(h64, 4ull << 30, "a 64-bit device takes ordinary memory");
	dma_free_coherent(f.kd, f.core, d24, 0, (uint64_t)p24, h24);
	dma_free_coherent(f.kd, f.core, d32, 2, (uint64_t)p32, h32);
	dma_free_coherent(f.kd, f.core, d64, 0, (uint64_t)p64, h64);
	fx_fini(&f);
}

/* iommu.coherent=false: the IOMMU does not snoop the CPU caches, so the
 * kernel flushes (clflush) every IO structure entry it writes; the same
 * mapping costs exactly iommu.cost.clflush more per entry written. */
Test(dma, non_coherent_iommu_costs_a_clflush_per_entry_written)
{
	cycles_t cost[2];
	uint64_t writes[2];
	for (int nc = 0; nc < 2; nc++) {
		struct mmsim_cfg cfg;
		fx_cfg(&cfg);
		cfg.iommu.coherent = nc == 0;
		struct fx f;
		fx_init_cfg(&f, &cfg);
		int d = dma_add_device(f.kd, f.core, "nic", 64, true, NULL);
		paddr_t pa = kbuf(&f, 0x11);
		uint64_t w0 = f.kd->io_pte_writes;
		cycles_t t0 = f.core->clock;
		uint64_t h = dma_map_single(f.kd, f.core, d, pa, PAGE_SIZE, DMA_TO_DEVICE);
		cost[nc] = f.core->clock - t0;
		writes[nc] = f.kd->io_pte_writes - w0;
		uint8_t b;
		cr_assert_eq(dev_dma(&f, d, h, 1, false, &b), IOF_NONE);
		cr_assert_eq(b, 0x11);
		dma_unmap_single(f.kd, f.core, d, h, PAGE_SIZE, DMA_TO_DEVICE);
		kmm_free_page(f.k, f.core, pa >> PAGE_SHIFT);
		fx_fini(&f);
	}
	cr_assert_eq(writes[0], writes[1]);
	cr_assert_eq(writes[0], 4, "three new tables' entries and the leaf");
	struct mmsim_cfg cfg;
	fx_cfg(&cfg);
	cr_assert_eq(cost[1] - cost[0], writes[0] * cfg.iommu.clflush);
}

/* pin_user_pages() at the kmm level: a pin is GUP_PIN_COUNTING_BIAS on the
 * refcount (refcount > mapcount: not migratable), the page outlives a
 * munmap with no mapping and the pins' references only (both validators
 * accept it, and flag a refcount that fits neither), and the unpin frees it. */
Test(dma, a_pinned_page_outlives_munmap_until_unpinned)
{
	char err[MMSIM_ERR_LEN] = "";
	struct fx f;
	fx_init(&f);
	struct mm *mm = mm_create(f.k, f.core);
	int64_t a = kmm_mmap(f.k, mm, f.core, 0, 2 * PAGE_SIZE, PROT_R | PROT_W, 0);
	cr_assert_gt(a, 0);
	struct dma_sg sg[4];
	cr_assert_eq(dma_user_sg(f.kd, f.core, mm, (vaddr_t)a + 100, PAGE_SIZE, true, sg), 2);
	uint64_t pfn = sg[0].pa >> PAGE_SHIFT;
	struct page *p = &f.k->memmap[pfn];
	cr_assert_eq(sg[0].pa & ~PAGE_MASK, 100);
	cr_assert_eq(p->mapcount, 1);
	cr_assert_eq(p->refcount, 1 + GUP_PIN_COUNTING_BIAS);
	cr_assert_eq(page_dma_pins(p), 1);
	cr_assert(!page_migratable(p), "compaction must leave a pinned page alone");
	cr_assert_eq(kmm_validate(f.k, &mm, 1, err), 0, "%s", err);
	cr_assert_eq(kmm_munmap(f.k, mm, f.core, (vaddr_t)a, 2 * PAGE_SIZE), 0);
	cr_assert_eq(p->mapcount, 0);
	cr_assert_eq(p->refcount, GUP_PIN_COUNTING_BIAS, "only the pin holds it");
	cr_assert(p->flags & PG_anon, "still allocated");
	cr_assert_eq(kmm_validate(f.k, &mm, 1, err), 0, "%s", err);
	cr_assert_eq(kdma_validate(f.kd, err), 0, "%s", err);
	/* (1024 + 1 is allowed: the unmapped page still waiting in a gather) */
	p->refcount += 2;                                 /* stray references */
	cr_assert_eq(kmm_validate(f.k, &mm, 1, err), -1);
	cr_assert_not_null(strstr(err, "in use with refcount 1026"), "%s", err);
	p->refcount -= 2;
	uint64_t freed = f.k->pgfree;
	dma_unpin_user_sg(f.kd, f.core, sg, 2, true);
	cr_assert_eq(f.k->pgfree - freed, 2, "both pages freed at the unpin");
	cr_assert_eq(p->refcount, 0);
	cr_assert_eq(f.kd->pin_freed, 2);
	cr_assert_eq(kmm_validate(f.k, &mm, 1, err), 0, "%s", err);
	mm_destroy(f.k, mm, f.core);
	fx_fini(&f);
}

/* An unmap whose range covers a whole IO page table's span unhooks and
 * frees that table, and its invalidation goes without IH so the IOMMU drops
 * its cached walk through it: the PDE-cache entry would otherwise still
 * lead the device into the freed table (whose old entries are still there).
 * A one-page unmap clears the leaf only and keeps the tables. */
Test(dma, unmap_of_a_whole_table_span_frees_the_table_and_the_cached_walk)
{
	char err[MMSIM_ERR_LEN] = "";
	struct fx f;
	fx_init(&f);
	int d = dma_add_device(f.kd, f.core, "nic", 64, true, NULL);
	struct iommu_domain *dom = f.kd->dev[d].dom;
	int64_t blk = kmm_alloc_pages(f.k, f.core, -1, GFP_KERNEL, 10, PG_kernel);
	cr_assert_geq(blk, 0);
	paddr_t pa = ((paddr_t)blk << PAGE_SHIFT) + PAGE_SIZE;   /* not 2M aligned: 4K leaves */
	uint64_t h = dma_map_single(f.kd, f.core, d, pa, 2 * MiB, DMA_TO_DEVICE);
	cr_assert_eq(h & (2 * MiB - 1), 0, "512 pages, size aligned: one table's span");
	cr_assert_eq(dom->ntables, 4);
	uint8_t b;
	cr_assert_eq(dev_dma(&f, d, h, 1, false, &b), IOF_NONE);
	cr_assert_eq(dev_dma(&f, d, h + 2 * MiB - 1, 1, false, &b), IOF_NONE);
	cr_assert_eq(f.io->pwc_hit[2], 1, "the second walk used the PDE cache");
	uint64_t freed = f.k->pgfree;
	dma_unmap_single(f.kd, f.core, d, h, 2 * MiB, DMA_TO_DEVICE);
	cr_assert_eq(dom->ntables, 3);
	cr_assert_eq(f.kd->tables_freed, 1);
	cr_assert_eq(f.k->pgfree - freed, 1);
	cr_assert_eq(dev_dma(&f, d, h + PAGE_SIZE, 1, false, &b), IOF_NOT_PRESENT,
		     "no cached walk into the freed table");
	cr_assert_eq(kdma_validate(f.kd, err), 0, "%s", err);

	/* one page: the leaf only (IH), the tables stay */
	uint64_t h1 = dma_map_single(f.kd, f.core, d, pa, 64, DMA_TO_DEVICE);
	cr_assert_eq(dom->ntables, 4);
	dma_unmap_single(f.kd, f.core, d, h1, 64, DMA_TO_DEVICE);
	cr_assert_eq(dom->ntables, 4);
	cr_assert_eq(f.kd->tables_freed, 1);
	kmm_free_pages(f.k, f.core, (uint64_t)blk, 10);
	fx_fini(&f);
}

/* Out of memory for the second IO page table of a 3M mapping: the map
 * fails, the leaves it wrote are cleared, the table whose span it covered
 * is freed, the IOVA is given back, and nothing leaks (fx_fini). */
Test(dma, a_map_failing_half_way_undoes_itself)
{
	char err[MMSIM_ERR_LEN] = "";
	struct fx f;
	fx_init(&f);
	int d = dma_add_device(f.kd, f.core, "nic", 64, true, NULL);
	struct iommu_domain *dom = f.kd->dev[d].dom;
	int64_t blk = kmm_alloc_pages(f.k, f.core, -1, GFP_KERNEL, 10, PG_kernel);
	cr_assert_geq(blk, 0);
	paddr_t pa = ((paddr_t)blk << PAGE_SHIFT) + PAGE_SIZE;
	f.k->fail_countdown = 4;      /* PDPT, PD, the first PT; the second fails */
	uint64_t h = dma_map_single(f.kd, f.core, d, pa, 3 * MiB, DMA_BIDIRECTIONAL);
	cr_assert_eq(h, DMA_MAPPING_ERROR);
	cr_assert_eq(f.kd->map_errors, 1);
	cr_assert_eq(f.kd->tables_freed, 1, "the filled table went with the undo");
	cr_assert_eq(dom->ntables, 3);
	cr_assert_eq(dom->nused, 0, "the IOVA is free again");
	cr_assert_eq(kdma_validate(f.kd, err), 0, "%s", err);
	h = dma_map_single(f.kd, f.core, d, pa, 3 * MiB, DMA_BIDIRECTIONAL);
	cr_assert_neq(h, DMA_MAPPING_ERROR, "works once memory is there");
	dma_unmap_single(f.kd, f.core, d, h, 3 * MiB, DMA_BIDIRECTIONAL);
	kmm_free_pages(f.k, f.core, (uint64_t)blk, 10);
	fx_fini(&f);
}

Test(dma, passthrough_hands_out_physical_addresses)
{
	struct mmsim_cfg cfg;
	fx_cfg(&cfg);
	cfg.iommu.mode = IOMMU_PASSTHROUGH;
	struct fx f;
	fx_init_cfg(&f, &cfg);
	int d = dma_add_device(f.kd, f.core, "nic", 64, true, NULL);
	paddr_t pa = kbuf(&f, 0x42);
	uint64_t h = dma_map_single(f.kd, f.core, d, pa, 100, DMA_TO_DEVICE);
	cr_assert_eq(h, pa);
	uint8_t b;
	cr_assert_eq(dev_dma(&f, d, h, 1, false, &b), IOF_NONE);
	cr_assert_eq(b, 0x42);
	cr_assert_eq(f.io->walks, 0);
	dma_unmap_single(f.kd, f.core, d, h, 100, DMA_TO_DEVICE);
	kmm_free_page(f.k, f.core, pa >> PAGE_SHIFT);
	fx_fini(&f);
}

Test(dma, map_sg_makes_one_contiguous_iova_range)
{
	struct fx f;
	fx_init(&f);
	int d = dma_add_device(f.kd, f.core, "nic", 64, true, NULL);
	paddr_t a = kbuf(&f, 0), b = kbuf(&f, 0), c = kbuf(&f, 0);
	struct dma_sg sg[3] = { { a + 0x800, 0x800, 0 }, { c, PAGE_SIZE, 0 }, { b, 0x100, 0 } };
	cr_assert_eq(dma_map_sg(f.kd, f.core, d, sg, 3, DMA_FROM_DEVICE), 3);
	cr_assert_eq(sg[1].dma_addr, (sg[0].dma_addr & PAGE_MASK) + PAGE_SIZE);
	cr_assert_eq(sg[2].dma_addr, sg[1].dma_addr + PAGE_SIZE);
	uint8_t data[0x1900];
	for (unsigned i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)i;
	cr_assert_eq(dev_dma(&f, d, sg[0].dma_addr, sizeof data, true, data), IOF_NONE);
	cr_assert_eq(physmem_read(&f.ms->pm, a + 0x800, 1), data[0]);
	cr_assert_eq(physmem_read(&f.ms->pm, c, 1), data[0x800]);
	cr_assert_eq(physmem_read(&f.ms->pm, b + 0xff, 1), data[0x18ff]);
	dma_unmap_sg(f.kd, f.core, d, sg, 3, DMA_FROM_DEVICE);
	cr_assert_eq(dev_dma(&f, d, sg[1].dma_addr, 1, true, data), IOF_NOT_PRESENT);
	kmm_free_page(f.k, f.core, a >> PAGE_SHIFT);
	kmm_free_page(f.k, f.core, b >> PAGE_SHIFT);
	kmm_free_page(f.k, f.core, c >> PAGE_SHIFT);
	fx_fini(&f);
}

#include "kernel/mm/dma_internal.h"

Test(dma, validate_catches_a_forgotten_iotlb_flush)
{
	char err[MMSIM_ERR_LEN] = "";
	struct fx f;
	fx_init(&f);
	int d = dma_add_device(f.kd, f.core, "nic", 64, true, NULL);
	paddr_t pa = kbuf(&f, 0);
	uint64_t h = dma_map_single(f.kd, f.core, d, pa, PAGE_SIZE, DMA_BIDIRECTIONAL);
	uint8_t b;
	cr_assert_eq(dev_dma(&f, d, h, 1, false, &b), IOF_NONE);     /* cached now */
	cr_assert_eq(kdma_validate(f.kd, err), 0, "%s", err);
	/* a buggy unmap: PTE cleared, no invalidation */
	io_unmap(f.kd, f.core, f.kd->dev[d].dom, h & PAGE_MASK, 1);
	cr_assert_eq(kdma_validate(f.kd, err), -1);
	cr_assert_not_null(strstr(err, "a missing IOTLB flush"), "%s", err);
	cr_assert_eq(dev_dma(&f, d, h, 1, false, &b), IOF_NONE, "the stale entry is used");
	io_unmap_done(f.kd, f.core, f.kd->dev[d].dom, h >> PAGE_SHIFT, 1);
	cr_assert_eq(kdma_validate(f.kd, err), 0, "%s", err);
	kmm_free_page(f.k, f.core, pa >> PAGE_SHIFT);
	fx_fini(&f);
}

Test(dma, validate_flags_a_frame_freed_under_an_io_mapping)
{
	char err[MMSIM_ERR_LEN] = "";
	struct fx f;
	fx_init(&f);
	int d = dma_add_device(f.kd, f.core, "nic", 64, true, NULL);
	paddr_t pa = kbuf(&f, 0);
	uint64_t h = dma_map_single(f.kd, f.core, d, pa, PAGE_SIZE, DMA_FROM_DEVICE);
	cr_assert_eq(kdma_validate(f.kd, err), 0, "%s", err);
	kmm_free_page(f.k, f.core, pa >> PAGE_SHIFT);    /* the bug: freed, still mapped */
	cr_assert_eq(kdma_validate(f.kd, err), -1);
	cr_assert_not_null(strstr(err, "which is free"), "%s", err);
	dma_unmap_single(f.kd, f.core, d, h, PAGE_SIZE, DMA_FROM_DEVICE);
	cr_assert_eq(kdma_validate(f.kd, err), 0, "%s", err);
	fx_fini(&f);
}

Test(dma, validate_allows_lazy_entries_waiting_for_the_flush)
{
	char err[MMSIM_ERR_LEN] = "";
	struct mmsim_cfg cfg;
	fx_cfg(&cfg);
	cfg.iommu.strict = false;
	struct fx f;
	fx_init_cfg(&f, &cfg);
	int d = dma_add_device(f.kd, f.core, "nic", 64, true, NULL);
	paddr_t pa = kbuf(&f, 0);
	uint64_t h = dma_map_single(f.kd, f.core, d, pa, PAGE_SIZE, DMA_BIDIRECTIONAL);
	uint8_t b;
	cr_assert_eq(dev_dma(&f, d, h, 1, false, &b), IOF_NONE);
	dma_unmap_single(f.kd, f.core, d, h, PAGE_SIZE, DMA_BIDIRECTIONAL);
	cr_assert_eq(kdma_validate(f.kd, err), 0, "%s", err);
	dma_flush_queue(f.kd, f.core);
	cr_assert_eq(iommu_iotlb_occupancy(f.io), 0);
	kmm_free_page(f.k, f.core, pa >> PAGE_SHIFT);
	fx_fini(&f);
}

/* --- the trace ops on a whole machine (traces/iommu-nic.json) ------------ */

#include <stdio.h>
#include "lib/stats.h"
#include "lib/trace.h"
#include "src/machine.h"

struct run {
	struct mmsim_cfg cfg;
	struct trace tr;
	struct machine *m;
};

static void run_trace(struct run *r, const char *path, const char *const *sets, int nsets)
{
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&r->cfg);
	for (int i = 0; i < nsets; i++)
		cr_assert_eq(cfg_set(&r->cfg, sets[i], "-s", err), 0, "%s", err);
	cr_assert_eq(cfg_check(&r->cfg, "test", err), 0, "%s", err);
	cr_assert_eq(trace_load(&r->tr, path, err), 0, "%s", err);
	r->m = machine_create(&r->cfg, &r->tr, 1, err);
	cr_assert_not_null(r->m, "%s", err);
	cr_assert_eq(machine_run(r->m, err), 0, "--check: %s", err);
}

static uint64_t counter(struct run *r, const char *name)
{
	uint64_t v = 0;
	cr_assert(stats_get(machine_stats(r->m), name, &v), "no counter %s", name);
	return v;
}

static void run_end(struct run *r)
{
	machine_destroy(r->m);
	trace_free(&r->tr);
}

Test(dma_trace, nic_strict_blocks_stray_and_stale_dma)
{
	struct run r;
	run_trace(&r, "traces/iommu-nic.json", NULL, 0);
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_eq(machine_kills(r.m), 0, "%s", machine_events(r.m));
	cr_assert_eq(counter(&r, "dma.map_sg"), 32);
	cr_assert_eq(counter(&r, "dma.unmap_sg"), 32);
	cr_assert_eq(counter(&r, "iommu.inv.page"), 33);     /* 32 packets + the ring */
	cr_assert_eq(counter(&r, "iommu.fault.not_present"), 2);
	cr_assert_eq(counter(&r, "dma.rogue.faults"), 1);
	cr_assert_eq(counter(&r, "dma.rogue.fault.not_present"), 1);
	cr_assert_eq(counter(&r, "dma.nic0.faults"), 1);      /* the stale handle */
	cr_assert_eq(counter(&r, "dma.nic0.bytes_written"), 32 * (1536 + 16));
	cr_assert_eq(counter(&r, "dma.nic0.bytes_read"), 32 * 16);
	cr_assert_gt(counter(&r, "iommu.iotlb.hit"), 0);
	cr_assert_gt(counter(&r, "iommu.iotlb.miss"), 0);
	cr_assert_eq(counter(&r, "run.value_mismatches"), 0);
	cr_assert_not_null(strstr(machine_events(r.m), "DMA fault: device rogue write at bus "
				  "address 0xfffff000 blocked (not_present)"));
	run_end(&r);
}

Test(dma_trace, nic_lazy_is_cheaper_and_leaves_the_window_open)
{
	struct run r;
	run_trace(&r, "traces/iommu-nic.json", NULL, 0);
	uint64_t strict_unmap = counter(&r, "dma.unmap_cycles");
	cycles_t strict = machine_cycles(r.m);
	run_end(&r);
	const char *lazy_set[] = { "iommu.strict=false" };
	run_trace(&r, "traces/iommu-nic.json", lazy_set, 1);
	cr_assert_eq(counter(&r, "iommu.inv.page"), 0);
	cr_assert_lt(counter(&r, "dma.unmap_cycles"), strict_unmap);
	cr_assert_lt(machine_cycles(r.m), strict);
	/* the stale handle still reached the buffer through the IOTLB and
	 * overwrote the packet the CPU then read */
	cr_assert_eq(counter(&r, "dma.nic0.faults"), 0);
	cr_assert_eq(machine_mismatches(r.m), 1);
	run_end(&r);
}

Test(dma_trace, without_an_iommu_the_stray_dma_lands)
{
	struct run r;
	const char *off[] = { "iommu.mode=off", "memory.size=64M" };
	run_trace(&r, "traces/iommu-nic.json", off, 2);
	cr_assert_eq(counter(&r, "iommu.translations"), 0);
	cr_assert_eq(counter(&r, "dma.rogue.faults"), 0);
	cr_assert_eq(machine_mismatches(r.m), 1, "the stale DMA overwrote the packet");
	run_end(&r);
}

/* The trace run with --check after every op (kmm_validate and
 * kdma_validate): a pinned frame that lost its last mapping must pass, a
 * frame freed while an IO page table maps it would fail. */
Test(dma_trace, munmap_during_a_live_mapping_keeps_the_pinned_frames)
{
	struct run r;
	run_trace(&r, "traces/dma-pin-munmap.json", NULL, 0);
	cr_assert_eq(machine_kills(r.m), 0, "%s", machine_events(r.m));
	/* the region mmapped after the munmap got other frames: the device's
	 * 16K write did not touch it, and the device read back what it wrote */
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_eq(counter(&r, "dma.pin.pages"), 4);
	cr_assert_eq(counter(&r, "dma.pin.unpinned"), 4);
	cr_assert_eq(counter(&r, "dma.pin.freed_at_unpin"), 4, "freed at dma_unmap, not munmap");
	cr_assert_eq(counter(&r, "dma.nic0.faults"), 0);
	run_end(&r);
}

/* Run the trace whose text is body (a temporary file). */
static void run_text(struct run *r, const char *body)
{
	char path[] = "/tmp/mmsim-dma-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	fputs(body, f);
	fclose(f);
	run_trace(r, path, NULL, 0);
	remove(path);
}

Test(dma_trace, a_write_pin_breaks_cow_first)
{
	struct run r;
	run_text(&r, "{\"devices\": [{\"name\": \"nic\"}], \"processes\": ["
		 "{\"name\": \"parent\", \"threads\": [{\"ops\": ["
		 " {\"op\": \"mmap\", \"name\": \"buf\", \"length\": \"4K\"},"
		 " {\"op\": \"write\", \"addr\": \"buf\", \"value\": 1},"
		 " {\"op\": \"fork\", \"child\": \"kid\"},"
		 " {\"op\": \"dma_map\", \"device\": \"nic\", \"name\": \"h\", "
		 "  \"addr\": \"buf\", \"length\": 4096, \"dir\": \"from_device\"},"
		 " {\"op\": \"dma\", \"device\": \"nic\", \"handle\": \"h\", \"length\": 8, "
		 "  \"dir\": \"from_device\", \"value\": 7},"
		 " {\"op\": \"read\", \"addr\": \"buf\", \"expect\": 7},"
		 " {\"op\": \"dma_unmap\", \"name\": \"h\"}]}]},"
		 "{\"name\": \"kid\", \"forked_from\": \"parent\", \"threads\": [{\"ops\": ["
		 " {\"op\": \"sleep\", \"cycles\": 5000000},"
		 " {\"op\": \"read\", \"addr\": \"buf\", \"expect\": 1}]}]}]}");
	cr_assert_eq(machine_kills(r.m), 0, "%s", machine_events(r.m));
	/* the parent's copy took the DMA, the child kept the shared original */
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_eq(counter(&r, "mm.cow.copy"), 1, "the write pin faulted the page for writing");
	cr_assert_eq(counter(&r, "dma.pin.pages"), 1);
	run_end(&r);
}

/* A read-only pin after fork unshares the page first: the parent's later
 * write stays on the pinned page, which the device then reads. */
Test(dma_trace, a_read_only_pin_of_a_shared_page_unshares_it)
{
	struct run r;
	run_text(&r, "{\"devices\": [{\"name\": \"nic\"}], \"processes\": ["
		 "{\"name\": \"parent\", \"threads\": [{\"ops\": ["
		 " {\"op\": \"mmap\", \"name\": \"buf\", \"length\": \"4K\"},"
		 " {\"op\": \"write\", \"addr\": \"buf\", \"value\": 1},"
		 " {\"op\": \"fork\", \"child\": \"kid\"},"
		 " {\"op\": \"dma_map\", \"device\": \"nic\", \"name\": \"h\", "
		 "  \"addr\": \"buf\", \"length\": 4096, \"dir\": \"to_device\"},"
		 " {\"op\": \"write\", \"addr\": \"buf\", \"value\": 5},"
		 " {\"op\": \"dma\", \"device\": \"nic\", \"handle\": \"h\", \"length\": 8, "
		 "  \"dir\": \"to_device\", \"expect\": 5},"
		 " {\"op\": \"dma_unmap\", \"name\": \"h\"}]}]},"
		 "{\"name\": \"kid\", \"forked_from\": \"parent\", \"threads\": [{\"ops\": ["
		 " {\"op\": \"sleep\", \"cycles\": 5000000},"
		 " {\"op\": \"read\", \"addr\": \"buf\", \"expect\": 1}]}]}]}");
	cr_assert_eq(machine_kills(r.m), 0, "%s", machine_events(r.m));
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_eq(counter(&r, "mm.cow.copy"), 1, "the unsharing copy, at the pin");
	run_end(&r);
}

Test(dma_trace, fork_copies_a_pinned_page_for_the_child)
{
	struct run r;
	run_text(&r, "{\"devices\": [{\"name\": \"nic\"}], \"processes\": ["
		 "{\"name\": \"parent\", \"threads\": [{\"ops\": ["
		 " {\"op\": \"mmap\", \"name\": \"buf\", \"length\": \"8K\"},"
		 " {\"op\": \"write\", \"addr\": \"buf\", \"value\": 1},"
		 " {\"op\": \"write\", \"addr\": \"buf+4096\", \"value\": 1},"
		 " {\"op\": \"dma_map\", \"device\": \"nic\", \"name\": \"h\", "
		 "  \"addr\": \"buf\", \"length\": 4096, \"dir\": \"bidirectional\"},"
		 " {\"op\": \"fork\", \"child\": \"kid\"},"
		 " {\"op\": \"write\", \"addr\": \"buf\", \"value\": 5},"
		 " {\"op\": \"write\", \"addr\": \"buf+4096\", \"value\": 5},"
		 " {\"op\": \"dma\", \"device\": \"nic\", \"handle\": \"h\", \"length\": 8, "
		 "  \"dir\": \"to_device\", \"expect\": 5},"
		 " {\"op\": \"dma_unmap\", \"name\": \"h\"}]}]},"
		 "{\"name\": \"kid\", \"forked_from\": \"parent\", \"threads\": [{\"ops\": ["
		 " {\"op\": \"sleep\", \"cycles\": 5000000},"
		 " {\"op\": \"read\", \"addr\": \"buf\", \"expect\": 1},"
		 " {\"op\": \"read\", \"addr\": \"buf+4096\", \"expect\": 1}]}]}]}");
	cr_assert_eq(machine_kills(r.m), 0, "%s", machine_events(r.m));
	/* the device read the parent's write: the parent stayed on the pinned
	 * frame; the child has its own copy of it with the old value */
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	/* only the unpinned page was shared and took a COW fault */
	cr_assert_eq(counter(&r, "mm.cow.copy") + counter(&r, "mm.cow.reuse"), 1);
	run_end(&r);
}

/* dma_map of kernel objects: a kmalloc'd one is one physical piece mapped
 * with dma_map_single(); a vmalloc'd one is mapped page by page (its pages
 * are scattered) with dma_map_sg(). The device reads what the kernel wrote
 * and the kernel reads back what the device wrote, in every page. */
static const char kobj_trace[] =
	"{\"devices\": [{\"name\": \"nic\"}], \"processes\": [{\"threads\": [{\"ops\": ["
	" {\"op\": \"kmalloc\", \"name\": \"skb\", \"size\": 2048},"
	" {\"op\": \"kwrite\", \"obj\": \"skb\", \"offset\": 1024, \"value\": 77},"
	" {\"op\": \"dma_map\", \"device\": \"nic\", \"name\": \"tx\", \"obj\": \"skb\", "
	"  \"offset\": 1024, \"length\": 64, \"dir\": \"to_device\"},"
	" {\"op\": \"dma\", \"device\": \"nic\", \"handle\": \"tx\", \"length\": 8, "
	"  \"dir\": \"to_device\", \"expect\": 77},"
	" {\"op\": \"dma_unmap\", \"name\": \"tx\"},"
	" {\"op\": \"vmalloc\", \"name\": \"ring\", \"size\": \"16K\"},"
	" {\"op\": \"kmalloc\", \"name\": \"gap\", \"size\": 4096},"
	" {\"op\": \"dma_map\", \"device\": \"nic\", \"name\": \"rx\", \"obj\": \"ring\", "
	"  \"length\": \"16K\", \"dir\": \"from_device\"},"
	" {\"op\": \"dma\", \"device\": \"nic\", \"handle\": \"rx\", \"length\": \"16K\", "
	"  \"dir\": \"from_device\", \"value\": \"0xabcdef\"},"
	" {\"op\": \"dma_unmap\", \"name\": \"rx\"},"
	" {\"op\": \"kread\", \"obj\": \"ring\", \"offset\": 0, \"expect\": \"0xabcdef\"},"
	" {\"op\": \"kread\", \"obj\": \"ring\", \"offset\": 4096, \"expect\": \"0xabcdef\"},"
	" {\"op\": \"kread\", \"obj\": \"ring\", \"offset\": 8192, \"expect\": \"0xabcdef\"},"
	" {\"op\": \"kread\", \"obj\": \"ring\", \"offset\": 16376, \"expect\": \"0xabcdef\"},"
	" {\"op\": \"dma_map\", \"device\": \"nic\", \"name\": \"bad\", \"obj\": \"skb\", "
	"  \"offset\": 2000, \"length\": 64, \"dir\": \"to_device\"}]}]}]}";

Test(dma_trace, kernel_objects_kmalloc_single_and_vmalloc_page_by_page)
{
	struct run r;
	run_text(&r, kobj_trace);
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_eq(counter(&r, "dma.map_single"), 1);
	cr_assert_eq(counter(&r, "dma.map_sg"), 1);
	cr_assert_eq(counter(&r, "dma.iova.pages"), 1 + 4, "one page of skb, four of the ring");
	cr_assert_eq(counter(&r, "dma.nic.bytes_read"), 8);
	cr_assert_eq(counter(&r, "dma.nic.bytes_written"), 16384);
	cr_assert_eq(counter(&r, "dma.nic.faults"), 0);
	cr_assert_eq(counter(&r, "dma.pin.pages"), 0, "kernel memory is not pinned");
	/* the last map runs past the 2048-byte object */
	cr_assert_eq(machine_kills(r.m), 1);
	cr_assert_not_null(strstr(machine_events(r.m), "dma_map of \"skb\"[0]+2000, 64 bytes: "
				  "not inside the object"), "%s", machine_events(r.m));
	run_end(&r);
}

/* Pinned page-cache pages (a shared file mapping): munmap and
 * fadvise(DONTNEED) leave them in the cache (the clean one too), --check counts the pin in its
 * refcount, and the device's write reaches the file's data (dirty at
 * unpin), which a read() of the file then returns. */
static const char file_pin_trace[] =
	"{\"devices\": [{\"name\": \"nic\"}],"
	" \"files\": [{\"name\": \"data\", \"size\": \"64K\"}],"
	" \"processes\": [{\"threads\": [{\"ops\": ["
	" {\"op\": \"mmap\", \"name\": \"s\", \"length\": \"64K\", \"file\": \"data\", \"shared\": true},"
	" {\"op\": \"dma_map\", \"device\": \"nic\", \"name\": \"h\", \"addr\": \"s+0x1000\", \"length\": 4096, \"dir\": \"to_device\"},"
	" {\"op\": \"dma_map\", \"device\": \"nic\", \"name\": \"w\", \"addr\": \"s+0x2000\", \"length\": 4096, \"dir\": \"bidirectional\"},"
	" {\"op\": \"munmap\", \"addr\": \"s\", \"length\": \"64K\"},"
	" {\"op\": \"fadvise\", \"file\": \"data\", \"advice\": \"dontneed\"},"
	" {\"op\": \"dma\", \"device\": \"nic\", \"handle\": \"h\", \"offset\": 8, \"length\": 8, \"dir\": \"to_device\", \"expect\": \"0x1008\"},"
	" {\"op\": \"dma\", \"device\": \"nic\", \"handle\": \"w\", \"offset\": 16, \"length\": 8, \"dir\": \"from_device\", \"value\": 77},"
	" {\"op\": \"dma_unmap\", \"name\": \"h\"},"
	" {\"op\": \"dma_unmap\", \"name\": \"w\"},"
	" {\"op\": \"mmap\", \"name\": \"b\", \"length\": \"4K\"},"
	" {\"op\": \"read\", \"file\": \"data\", \"offset\": \"0x2010\", \"length\": 8, \"buf\": \"b\"},"
	" {\"op\": \"read\", \"addr\": \"b\", \"expect\": 77}"
	"]}]}]}";

Test(dma_trace, a_pinned_file_page_stays_in_the_page_cache)
{
	struct run r;
	run_text(&r, file_pin_trace);
	cr_assert_eq(machine_kills(r.m), 0, "%s", machine_events(r.m));
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_eq(counter(&r, "dma.pin.pages"), 2);
	cr_assert_eq(counter(&r, "dma.pin.freed_at_unpin"), 0, "the cache still holds them");
	run_end(&r);
}

/* A trace file with body as its text; bad input must give message. */
static void bad_trace(const char *body, const char *message)
{
	char path[] = "/tmp/mmsim-dma-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	fputs(body, f);
	fclose(f);
	struct trace tr;
	char err[MMSIM_ERR_LEN] = "";
	cr_assert_eq(trace_load(&tr, path, err), -1);
	remove(path);
	cr_assert_not_null(strstr(err, message), "got: %s", err);
}

#define PROC(ops) "\"processes\": [{\"threads\": [{\"ops\": [" ops "]}]}]}"

Test(dma_trace, bad_input_names_the_place)
{
	bad_trace("{\"devices\": [{\"name\": \"nic\", \"dma_mask\": 70}], " PROC(""),
		  "devices[0].dma_mask: 70 is not a number of address bits");
	bad_trace("{\"devices\": [{\"name\": \"nic\", \"pci\": \"1:40.0\"}], " PROC(""),
		  "devices[0].pci: expected a PCI address \"BB:DD.F\"");
	bad_trace("{\"devices\": [{\"name\": \"nic\", \"pci\": \"00:02.0\"}, "
		  "{\"name\": \"gpu\", \"pci\": \"00:02.0\"}], " PROC(""),
		  "devices[1].pci: 00:02.0 is already the address of devices[0]");
	bad_trace("{\"devices\": [{\"name\": \"nic\"}], " PROC(
		  "{\"op\": \"kmalloc\", \"name\": \"o\", \"size\": 64},"
		  "{\"op\": \"dma_map\", \"device\": \"nic\", \"name\": \"h\", \"obj\": \"o\", "
		  "\"addr\": \"0x1000\", \"length\": 8, \"dir\": \"to_device\"}"),
		  "ops[1].addr: give either \"addr\" (a process buffer) or \"obj\"");
	bad_trace("{\"devices\": [{\"name\": \"nic\"}], " PROC(
		  "{\"op\": \"mmap\", \"name\": \"b\", \"length\": 4096},"
		  "{\"op\": \"dma_map\", \"device\": \"nic\", \"name\": \"h\", \"addr\": \"b\", "
		  "\"index\": 1, \"length\": 8, \"dir\": \"to_device\"}"),
		  "ops[1].index: only with \"obj\"");
	bad_trace("{\"devices\": [{\"name\": \"nic\"}, {\"name\": \"nic\"}], " PROC(""),
		  "devices[1].name: \"nic\" is already the name of devices[0]");
	bad_trace("{\"devices\": [{\"name\": \"nic\"}], " PROC(
		  "{\"op\": \"dma_alloc\", \"device\": \"nix\", \"name\": \"r\", \"length\": 4096}"),
		  "ops[0].device: unknown device \"nix\"; did you mean \"nic\"?");
	bad_trace("{\"devices\": [{\"name\": \"nic\"}], " PROC(
		  "{\"op\": \"dma\", \"device\": \"nic\", \"handle\": \"h\", \"length\": 8, "
		  "\"dir\": \"to_device\"}"),
		  "DMA handle \"h\" is used but no dma_map or dma_alloc gives that name");
	bad_trace("{\"devices\": [{\"name\": \"nic\"}], " PROC(
		  "{\"op\": \"dma\", \"device\": \"nic\", \"iova\": 0, \"length\": 8, "
		  "\"dir\": \"to_device\", \"value\": 1}"),
		  "ops[0].value: \"value\" goes with \"from_device\"");
	bad_trace("{\"devices\": [{\"name\": \"nic\"}], " PROC(
		  "{\"op\": \"dma\", \"device\": \"nic\", \"iova\": 0, \"length\": 12, "
		  "\"dir\": \"from_device\", \"value\": 1}"),
		  "ops[0].length: must be a multiple of 8");
	bad_trace("{\"devices\": [{\"name\": \"nic\"}], " PROC(
		  "{\"op\": \"dma_alloc\", \"device\": \"nic\", \"name\": \"r\", \"length\": 64},"
		  "{\"op\": \"dma_sync\", \"name\": \"r\", \"for\": \"gpu\"}"),
		  "ops[1].for: \"for\" must be \"cpu\" or \"device\"");
	bad_trace("{" PROC("{\"op\": \"dma_alloc\", \"device\": \"nic\", \"name\": \"r\", "
			   "\"length\": 64}"),
		  "unknown device \"nic\" (the trace has no \"devices\")");
}
