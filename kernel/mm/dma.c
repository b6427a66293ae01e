/* The DMA API: boot of the IOMMU structures, devices, and the mapping calls
 * (kernel/dma/mapping.c dispatching to dma-iommu.c or dma-direct.c). See
 * dma.h; the IOMMU side is dma_iommu.c, bounce buffers swiotlb.c. */
#include "kernel/mm/dma_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/config.h"
#include "lib/stats.h"
#include "lib/trace.h"
#include "kernel/mm/filemap.h"
#include "kernel/mm/slab.h"
#include "kernel/mm/thp.h"
#include "sim/cpu/core.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"

#define IQ_ENTRIES 256

static void kdma_stats(struct kdma *kd, struct stats *st)
{
	stats_add(st, &kd->map_single, "dma.map_single");
	stats_add(st, &kd->unmap_single, "dma.unmap_single");
	stats_add(st, &kd->map_sg, "dma.map_sg");
	stats_add(st, &kd->unmap_sg, "dma.unmap_sg");
	stats_add(st, &kd->alloc_coherent, "dma.alloc_coherent");
	stats_add(st, &kd->free_coherent, "dma.free_coherent");
	stats_add(st, &kd->sync_for_cpu, "dma.sync_for_cpu");
	stats_add(st, &kd->sync_for_device, "dma.sync_for_device");
	stats_add(st, &kd->map_errors, "dma.map_errors");
	stats_add(st, &kd->bounce_maps, "dma.bounce.maps");
	stats_add(st, &kd->bounce_bytes, "dma.bounce.bytes");
	stats_add(st, &kd->iova_allocs, "dma.iova.allocs");
	stats_add(st, &kd->iova_pages, "dma.iova.pages");
	stats_add(st, &kd->io_pte_writes, "dma.io_pte_writes");
	stats_add(st, &kd->flush_strict, "dma.flush.strict");
	stats_add(st, &kd->flush_lazy, "dma.flush.lazy");
	stats_add(st, &kd->unmap_cycles, "dma.unmap_cycles");
	stats_add(st, &kd->tables_freed, "dma.io_tables_freed");
	stats_add(st, &kd->pins, "dma.pin.pages");
	stats_add(st, &kd->unpins, "dma.pin.unpinned");
	stats_add(st, &kd->pin_freed, "dma.pin.freed_at_unpin");
}

struct kdma *kdma_create(struct kmm *k, struct iommu *io, struct core *c, struct stats *st)
{
	struct kdma *kd = calloc(1, sizeof(*kd));
	if (!kd)
		abort();
	kd->k = k;
	kd->io = io;
	kd->cfg = k->cfg;
	kd->translate = io->enabled && k->cfg->iommu.mode == IOMMU_TRANSLATE;
	kd->passthrough = io->enabled && k->cfg->iommu.mode == IOMMU_PASSTHROUGH;
	kd->fq = calloc(k->cfg->iommu.lazy_batch, sizeof(*kd->fq));
	if (!kd->fq)
		abort();
	if (st)
		kdma_stats(kd, st);
	if (!io->enabled)
		return kd;
	/* root table, the queue and its status page (context tables come
	 * with each bus's first device) */
	int64_t pf[3];
	for (int i = 0; i < 3; i++) {
		pf[i] = kmm_alloc_page(k, c, PG_kernel);
		if (pf[i] < 0) {
			while (i-- > 0)
				kmm_free_page(k, c, (uint64_t)pf[i]);
			free(kd->fq);
			free(kd);
			return NULL;
		}
	}
	kd->root = (paddr_t)pf[0] << PAGE_SHIFT;
	kd->iq = (paddr_t)pf[1] << PAGE_SHIFT;
	kd->status = (paddr_t)pf[2] << PAGE_SHIFT;
	iommu_set_root(io, kd->root);
	iommu_set_iq(io, kd->iq, IQ_ENTRIES);
	return kd;
}

void kdma_destroy(struct kdma *kd, struct core *c)
{
	if (!kd)
		return;
	if (kd->nfq)
		dma_flush_queue(kd, c);
	for (unsigned i = 0; i < kd->ndev; i++)
		if (kd->dev[i].dom)
			domain_fini(kd, c, kd->dev[i].dom);
	swiotlb_fini(kd, c);
	assert(kd->npinned == 0 && "every pinned page is unpinned before the DMA layer goes");
	free(kd->pinned);
	assert(kd->nfree == 0);
	free(kd->freelist);
	if (kd->root) {
		kmm_free_page(kd->k, c, kd->root >> PAGE_SHIFT);
		for (unsigned b = 0; b < VTD_TABLE_ENTRIES; b++)
			if (kd->ctx[b])
				kmm_free_page(kd->k, c, kd->ctx[b] >> PAGE_SHIFT);
		kmm_free_page(kd->k, c, kd->iq >> PAGE_SHIFT);
		kmm_free_page(kd->k, c, kd->status >> PAGE_SHIFT);
	}
	free(kd->fq);
	free(kd);
}

/* The context table of bus: allocated and entered in the root table at the
 * bus's first device (the root entry goes from not present to present: no
 * invalidation needed). 0 when out of memory. */
static paddr_t bus_ctx_table(struct kdma *kd, struct core *c, unsigned bus)
{
	if (!kd->ctx[bus]) {
		int64_t pfn = kmm_alloc_page(kd->k, c, PG_kernel);
		if (pfn < 0)
			return 0;
		kd->ctx[bus] = (paddr_t)pfn << PAGE_SHIFT;
		io_write(kd, c, kd->root + VTD_ENTRY_SIZE * bus, kd->ctx[bus] | VTD_RE_P);
	}
	return kd->ctx[bus];
}

int dma_add_device(struct kdma *kd, struct core *c, const char *name, unsigned mask_bits,
		   bool behind_iommu, struct stats *st)
{
	return dma_add_device_at(kd, c, name, mask_bits, behind_iommu,
				 vtd_sid(0, kd->ndev + 1, 0), st);
}

int dma_add_device_at(struct kdma *kd, struct core *c, const char *name, unsigned mask_bits,
		      bool behind_iommu, uint16_t sid, struct stats *st)
{
	if (kd->ndev == DMA_MAX_DEVICES)
		return -1;
	for (unsigned i = 0; i < kd->ndev; i++)
		assert(kd->dev[i].hw.sid != sid && "two devices at one PCI address");
	int idx = (int)kd->ndev;
	struct dma_device *d = &kd->dev[idx];
	*d = (struct dma_device){ .mask_bits = mask_bits };
	snprintf(d->hw.name, sizeof d->hw.name, "%s", name);
	d->hw.sid = sid;
	d->hw.behind_iommu = behind_iommu && kd->io->enabled;
	d->hw.dma_mask = dma_mask_of(d);
	uint16_t did = (uint16_t)(idx + 1);
	if (d->hw.behind_iommu) {
		paddr_t table = bus_ctx_table(kd, c, sid >> 8);
		if (!table)
			return -1;
		/* the context entry: high qword first, present bit last */
		paddr_t ce = table + VTD_ENTRY_SIZE * (sid & 0xff);
		uint64_t lo;
		if (kd->translate) {
			if (domain_init(kd, c, &kd->dom[idx], did) < 0)
				return -1;
			d->dom = &kd->dom[idx];
			lo = d->dom->pgd | (VTD_TT_TRANSLATE << VTD_CE_TT_SHIFT) | VTD_CE_P;
		} else {
			d->passthrough = true;
			lo = (VTD_TT_PASSTHROUGH << VTD_CE_TT_SHIFT) | VTD_CE_P;
		}
		io_write(kd, c, ce + 8, VTD_CE_AW_48 | ((uint64_t)did << VTD_CE_DID_SHIFT));
		io_write(kd, c, ce, lo);
		/* a context entry went from not present to present: caching mode
		 * aside, no flush is needed; flush the device's anyway, as
		 * domain_context_mapping_one() does when it replaces one */
		qi_submit(kd, c, QI_TYPE_CC | (QI_GRAN_PAGE << QI_GRAN_SHIFT) |
			  ((uint64_t)did << QI_DID_SHIFT) | ((uint64_t)d->hw.sid << QI_SID_SHIFT), 0);
		qi_wait(kd, c);
	}
	kd->ndev++;
	if (st) {
		iodev_stats(&d->hw, st);
		stats_add(st, &d->maps, "dma.%s.maps", d->hw.name);
		stats_add(st, &d->unmaps, "dma.%s.unmaps", d->hw.name);
		stats_add(st, &d->bounce_maps, "dma.%s.bounce_maps", d->hw.name);
	}
	return idx;
}

/* --- mapping ------------------------------------------------------------- */

/* Map npages IOVA pages for dev's domain; returns the first IOVA page or 0. */
static uint64_t iova_get(struct kdma *kd, struct dma_device *d, uint64_t npages)
{
	uint64_t pfn = iova_alloc(d->dom, npages, dma_mask_of(d) >> PAGE_SHIFT);
	if (pfn) {
		kd->iova_allocs++;
		kd->iova_pages += npages;
	}
	return pfn;
}

/* A map that failed half-way (out of memory for an IO page table): clear
 * what it wrote and give the IOVA back through the usual invalidation. */
static void iova_abort(struct kdma *kd, struct core *c, struct dma_device *d, uint64_t pfn,
		       uint64_t npages)
{
	io_unmap(kd, c, d->dom, pfn << PAGE_SHIFT, npages);
	io_unmap_done(kd, c, d->dom, pfn, npages);
}

/* One piece without translation: direct if the device reaches it, else
 * bounced. */
static uint64_t map_direct(struct kdma *kd, struct core *c, struct dma_device *d, paddr_t pa,
			   uint64_t len, enum dma_data_direction dir)
{
	if (pa + len - 1 <= dma_mask_of(d))
		return pa;
	return swiotlb_map(kd, c, d, pa, len, dir);
}

uint64_t dma_map_single(struct kdma *kd, struct core *c, int dev, paddr_t pa, uint64_t len,
			enum dma_data_direction dir)
{
	struct dma_device *d = &kd->dev[dev];
	assert(len > 0);
	c->clock += kd->cfg->iommu.map_cost;
	kd->map_single++;
	d->maps++;
	uint64_t addr = DMA_MAPPING_ERROR;
	if (d->dom) {
		uint64_t n = span_pages(pa, len), pfn = iova_get(kd, d, n);
		if (pfn && io_map(kd, c, d->dom, pfn << PAGE_SHIFT, pa & PAGE_MASK, n,
				  dir != DMA_TO_DEVICE) == 0)
			addr = (pfn << PAGE_SHIFT) | (pa & ~PAGE_MASK);
		else if (pfn)
			iova_abort(kd, c, d, pfn, n);
	} else {
		addr = map_direct(kd, c, d, pa, len, dir);
	}
	if (addr == DMA_MAPPING_ERROR)
		kd->map_errors++;
	return addr;
}

/* Unmap n IOVA pages from addr's page and invalidate (dma_iommu.c). */
static void unmap_iova(struct kdma *kd, struct core *c, struct dma_device *d, uint64_t addr,
		       uint64_t npages)
{
	cycles_t t0 = c->clock;
	uint64_t pfn = addr >> PAGE_SHIFT;
	io_unmap(kd, c, d->dom, pfn << PAGE_SHIFT, npages);
	io_unmap_done(kd, c, d->dom, pfn, npages);
	kd->unmap_cycles += c->clock - t0;
}

void dma_unmap_single(struct kdma *kd, struct core *c, int dev, uint64_t addr, uint64_t len,
		      enum dma_data_direction dir)
{
	struct dma_device *d = &kd->dev[dev];
	c->clock += kd->cfg->iommu.unmap_cost;
	kd->unmap_single++;
	d->unmaps++;
	if (d->dom)
		unmap_iova(kd, c, d, addr, span_pages(addr, len));
	else if (swiotlb_find(kd, addr) >= 0)
		swiotlb_unmap(kd, c, addr, len, dir);
}

int dma_map_sg(struct kdma *kd, struct core *c, int dev, struct dma_sg *sg, int n,
	       enum dma_data_direction dir)
{
	struct dma_device *d = &kd->dev[dev];
	c->clock += kd->cfg->iommu.map_cost;
	kd->map_sg++;
	d->maps++;
	if (!d->dom) {
		for (int i = 0; i < n; i++) {
			sg[i].dma_addr = map_direct(kd, c, d, sg[i].pa, sg[i].len, dir);
			if (sg[i].dma_addr == DMA_MAPPING_ERROR) {
				for (int j = 0; j < i; j++)
					if (swiotlb_find(kd, sg[j].dma_addr) >= 0)
						swiotlb_unmap(kd, c, sg[j].dma_addr, sg[j].len,
							      DMA_TO_DEVICE);
				kd->map_errors++;
				return 0;
			}
		}
		return n;
	}
	/* iommu_dma_map_sg(): one IOVA range, the pieces back to back */
	uint64_t total = 0;
	for (int i = 0; i < n; i++)
		total += span_pages(sg[i].pa, sg[i].len);
	uint64_t pfn = iova_get(kd, d, total), at = pfn;
	if (!pfn) {
		kd->map_errors++;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		uint64_t np = span_pages(sg[i].pa, sg[i].len);
		if (io_map(kd, c, d->dom, at << PAGE_SHIFT, sg[i].pa & PAGE_MASK, np,
			   dir != DMA_TO_DEVICE) < 0) {
			iova_abort(kd, c, d, pfn, total);
			kd->map_errors++;
			return 0;
		}
		sg[i].dma_addr = (at << PAGE_SHIFT) | (sg[i].pa & ~PAGE_MASK);
		at += np;
	}
	return n;
}

void dma_unmap_sg(struct kdma *kd, struct core *c, int dev, struct dma_sg *sg, int n,
		  enum dma_data_direction dir)
{
	struct dma_device *d = &kd->dev[dev];
	c->clock += kd->cfg->iommu.unmap_cost;
	kd->unmap_sg++;
	d->unmaps++;
	if (d->dom) {
		uint64_t total = 0;
		for (int i = 0; i < n; i++)
			total += span_pages(sg[i].pa, sg[i].len);
		unmap_iova(kd, c, d, sg[0].dma_addr, total);
		return;
	}
	for (int i = 0; i < n; i++)
		if (swiotlb_find(kd, sg[i].dma_addr) >= 0)
			swiotlb_unmap(kd, c, sg[i].dma_addr, sg[i].len, dir);
}

int64_t dma_alloc_coherent(struct kdma *kd, struct core *c, int dev, unsigned order,
			   uint64_t *handle)
{
	struct dma_device *d = &kd->dev[dev];
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO;
	if (!d->dom)      /* dma_direct_optimal_gfp_mask() */
		gfp |= d->mask_bits <= 24 ? __GFP_DMA : d->mask_bits <= 32 ? __GFP_DMA32 : 0;
	kd->alloc_coherent++;
	int64_t pfn = kmm_alloc_pages(kd->k, c, -1, gfp, order, PG_kernel);
	if (pfn < 0) {
		kd->map_errors++;
		return -1;
	}
	paddr_t pa = (paddr_t)pfn << PAGE_SHIFT;
	uint64_t n = 1ull << order;
	if (!d->dom) {
		if (pa + (n << PAGE_SHIFT) - 1 > dma_mask_of(d)) {
			kmm_free_pages(kd->k, c, (uint64_t)pfn, order);   /* zone missed the mask */
			kd->map_errors++;
			return -1;
		}
		*handle = pa;
		return pfn;
	}
	uint64_t iova = iova_get(kd, d, n);
	if (!iova || io_map(kd, c, d->dom, iova << PAGE_SHIFT, pa, n, true) < 0) {
		if (iova)
			iova_abort(kd, c, d, iova, n);
		kmm_free_pages(kd->k, c, (uint64_t)pfn, order);
		kd->map_errors++;
		return -1;
	}
	*handle = iova << PAGE_SHIFT;
	return pfn;
}

void dma_free_coherent(struct kdma *kd, struct core *c, int dev, unsigned order, uint64_t pfn,
		       uint64_t handle)
{
	struct dma_device *d = &kd->dev[dev];
	kd->free_coherent++;
	if (d->dom)
		unmap_iova(kd, c, d, handle, 1ull << order);
	kmm_free_pages(kd->k, c, pfn, order);
}

void dma_sync_single_for_cpu(struct kdma *kd, struct core *c, int dev, uint64_t addr,
			     uint64_t len, enum dma_data_direction dir)
{
	kd->sync_for_cpu++;
	if (!kd->dev[dev].dom && dir != DMA_TO_DEVICE)
		swiotlb_sync(kd, c, addr, len, true);
}

void dma_sync_single_for_device(struct kdma *kd, struct core *c, int dev, uint64_t addr,
				uint64_t len, enum dma_data_direction dir)
{
	kd->sync_for_device++;
	if (!kd->dev[dev].dom && dir != DMA_FROM_DEVICE)
		swiotlb_sync(kd, c, addr, len, false);
}

/* --- user buffers ---------------------------------------------------------- */

/* The leaf entry mapping va in the page tables at pgd (read with timed
 * kernel loads), or 0. */
static pte_t leaf_at(struct kdma *kd, struct core *c, paddr_t pgd, vaddr_t va, int *level)
{
	paddr_t table = pgd;
	for (int l = kd->k->levels; l >= 1; l--) {
		pte_t e = kmm_read_pte(kd->k, c, table + 8 * pt_index(va, l));
		if (!(e & PTE_P))
			return 0;
		if (pte_is_leaf(e, l)) {
			*level = l;
			return e;
		}
		table = e & PTE_ADDR_MASK;
	}
	return 0;
}

static void pin_record(struct kdma *kd, uint64_t pfn)
{
	if (kd->npinned == kd->pincap) {
		kd->pincap = kd->pincap ? 2 * kd->pincap : 64;
		kd->pinned = realloc(kd->pinned, kd->pincap * sizeof(*kd->pinned));
		if (!kd->pinned)
			abort();
	}
	kd->pinned[kd->npinned++] = pfn;
}

/* Drop one pin of pfn (unpin_user_page()); the page goes when nothing
 * else holds it. */
static void unpin_page(struct kdma *kd, struct core *c, uint64_t pfn, bool dirty)
{
	uint32_t i = kd->npinned;
	while (i > 0 && kd->pinned[i - 1] != pfn)
		i--;
	assert(i > 0 && "unpin of a page that is not pinned");
	kd->pinned[i - 1] = kd->pinned[--kd->npinned];
	struct page *p = &kd->k->memmap[pfn];
	assert(page_dma_pins(p) > 0);
	if (dirty && (p->flags & PG_STATE_MASK) == PG_file)
		filemap_set_page_dirty(kd->k, c, pfn);    /* set_page_dirty_lock() */
	else if (dirty)
		p->flags |= PG_dirty;
	kd->unpins++;
	if (p->refcount == GUP_PIN_COUNTING_BIAS)
		kd->pin_freed++;        /* its last mapping went while pinned */
	kmm_put_page(kd->k, c, pfn, GUP_PIN_COUNTING_BIAS);
}

void dma_unpin_user_sg(struct kdma *kd, struct core *c, const struct dma_sg *sg, int n,
		       bool dirty)
{
	for (int i = 0; i < n; i++) {
		uint64_t pfn = sg[i].pa >> PAGE_SHIFT;
		if (!kd->k->zero_pfn || pfn != kd->k->zero_pfn)
			unpin_page(kd, c, pfn, dirty);
	}
}

/* A read-only pin of an anonymous page shared copy-on-write unshares it
 * first (Linux's FAULT_FLAG_UNSHARE): else a later write by this process
 * would move it to a copy while the device goes on reading the old page.
 * Here a write fault does the unsharing when the VMA is writable (the PTE
 * then comes back writable, where Linux keeps it read-only). True if it
 * faulted. */
static bool unshare_anon(struct kdma *kd, struct core *c, struct mm *mm, vaddr_t a, pte_t e)
{
	const struct page *p = &kd->k->memmap[(e & PTE_ADDR_MASK) >> PAGE_SHIFT];
	const struct vma *v = vma_find(mm, a);
	if ((p->flags & PG_STATE_MASK) != PG_anon || p->mapcount < 2 || !v ||
	    !(v->prot & PROT_W))
		return false;
	char why[MMSIM_ERR_LEN];
	return kmm_page_fault(kd->k, mm, c, a, PF_U | PF_W | PF_P, why) == FAULT_DONE;
}

/* Fault in the page at a (for writing when write) and return its leaf;
 * a 2M leaf is split first (pins are per 4K page here). 0 on failure. */
static pte_t faultin_page(struct kdma *kd, struct core *c, struct mm *mm, vaddr_t a,
			  bool write)
{
	int level = 1;
	pte_t e = leaf_at(kd, c, mm->pgd, a, &level);
	if (!(e & PTE_P) || !(e & PTE_US) || (write && !(e & PTE_RW))) {
		char why[MMSIM_ERR_LEN];   /* faultin_page() */
		uint32_t code = PF_U | (write ? PF_W : 0) | ((e & PTE_P) ? PF_P : 0);
		if (kmm_page_fault(kd->k, mm, c, a, code, why) != FAULT_DONE)
			return 0;
		e = leaf_at(kd, c, mm->pgd, a, &level);
		if (!(e & PTE_P) || (write && !(e & PTE_RW)))
			return 0;
	}
	if (!write && level == 1 && unshare_anon(kd, c, mm, a, e))
		e = leaf_at(kd, c, mm->pgd, a, &level);
	if (level == 2 && (e & PTE_PS)) {
		/* Linux pins the whole folio; here the huge page becomes small
		 * pages so each pin sits on the frame it keeps */
		if (thp_split_pmd_at(kd->k, mm, c, a))
			return 0;
		e = leaf_at(kd, c, mm->pgd, a, &level);
	}
	return level == 1 ? e : 0;
}

int dma_user_sg(struct kdma *kd, struct core *c, struct mm *mm, vaddr_t va, uint64_t len,
		bool write, struct dma_sg *sg)
{
	int n = 0;
	for (uint64_t off = 0; off < len;) {
		vaddr_t a = va + off;
		uint64_t piece = PAGE_SIZE - (a & ~PAGE_MASK);
		if (piece > len - off)
			piece = len - off;
		pte_t e = faultin_page(kd, c, mm, a, write);
		if (!e) {
			dma_unpin_user_sg(kd, c, sg, n, false);
			return -1;
		}
		paddr_t pa = pte_leaf_addr(e, 1, a);
		uint64_t pfn = pa >> PAGE_SHIFT;
		if (!kd->k->zero_pfn || pfn != kd->k->zero_pfn) {
			struct page *p = &kd->k->memmap[pfn];
			assert(p->refcount > 0 && p->mapcount > 0);
			p->refcount += GUP_PIN_COUNTING_BIAS;   /* try_grab_folio(FOLL_PIN) */
			pin_record(kd, pfn);
			kd->pins++;
		}
		sg[n++] = (struct dma_sg){ .pa = pa, .len = piece };
		off += piece;
	}
	return n;
}

/* --- kernel objects ------------------------------------------------------ */

int dma_kernel_sg(struct kdma *kd, struct core *c, vaddr_t kva, uint64_t len,
		  struct dma_sg *sg)
{
	struct kmm *k = kd->k;
	vaddr_t base = kmem_page_offset(k), end = base + (k->nframes << PAGE_SHIFT);
	if (kva >= base && kva < end && len <= end - kva) {
		/* virt_to_phys(): the direct map is one linear offset */
		sg[0] = (struct dma_sg){ .pa = kva - base, .len = len };
		return 1;
	}
	if (!is_vmalloc_addr(k, kva) || !is_vmalloc_addr(k, kva + len - 1))
		return -1;
	int n = 0;
	for (uint64_t off = 0; off < len;) {
		vaddr_t a = kva + off;
		uint64_t piece = PAGE_SIZE - (a & ~PAGE_MASK);
		if (piece > len - off)
			piece = len - off;
		int level = 1;       /* vmalloc_to_page(): a walk of the kernel's tables */
		pte_t e = leaf_at(kd, c, kmem_init_pgd(k), a, &level);
		if (!(e & PTE_P))
			return -1;
		sg[n++] = (struct dma_sg){ .pa = pte_leaf_addr(e, level, a), .len = piece };
		off += piece;
	}
	return n;
}
