/* Queued invalidation (VT-d 6.5.2) and the cache drops it performs.
 *
 * The kernel writes 16-byte descriptors into the ring at IQA and moves the
 * tail; every descriptor from the head to the tail is read from memory and
 * carried out, each charged iommu.inv.<kind> cycles. A page-selective IOTLB
 * invalidation of 2^AM pages at ADDR (VT-d 6.5.2.3) drops the domain's
 * IOTLB entries that overlap the range and, with the invalidation hint IH
 * clear, its paging-structure-cache entries covering it: the PML4E, PDPTE
 * and PDE entries whose 512G, 1G or 2M region holds part of the range
 * (others of the domain stay). With IH set software promises it changed
 * only leaf entries, and the paging-structure caches are kept. */
#include "sim/iommu/internal.h"

#include <assert.h>
#include "sim/mem/memsys.h"
#include "sim/tlb/tlb.h"

void iommu_drop_ctx(struct iommu *io, int did, int sid)
{
	for (uint32_t i = 0; i < io->nctx; i++) {
		struct ctx_cache_entry *e = &io->ctx[i];
		if (e->valid && (did < 0 || (e->did == did && (sid < 0 || e->sid == sid)))) {
			e->valid = false;
			io->inv_dropped++;
		}
	}
}

/* Drop t's entries of domain did that overlap [lo, hi). */
static void drop_range(struct iommu *io, struct tlb *t, uint16_t did, uint64_t lo, uint64_t hi)
{
	size_t n = (size_t)t->sets * t->ways;
	for (size_t i = 0; i < n; i++) {
		struct tlb_entry *e = &t->e[i];
		if (!(e->flags & TLBE_VALID) || e->pcid != did)
			continue;
		uint64_t start = e->vpn << e->shift, end = start + (1ull << e->shift);
		if (start < hi && lo < end) {
			tlb_drop(t, e);
			io->inv_dropped++;
		}
	}
}

static void drop_all(struct iommu *io, struct tlb *t, int did)
{
	uint32_t before = t->nvalid;
	if (did < 0)
		tlb_flush_all(t);
	else
		tlb_flush_pcid(t, (uint16_t)did);
	io->inv_dropped += before - t->nvalid;
}

void iommu_drop_iotlb(struct iommu *io, int did, uint64_t iova, uint64_t npages,
		      bool leaf_only)
{
	struct tlb *all[PT_LEVELS + 2] = { io->iotlb, io->pwc[2], io->pwc[3], io->pwc[4] };
	for (int i = 0; i < (leaf_only ? 1 : 4); i++) {
		if (!all[i])
			continue;
		if (did < 0 || npages == 0)
			drop_all(io, all[i], did);
		else
			drop_range(io, all[i], (uint16_t)did, iova, iova + npages * PAGE_SIZE);
	}
}

void iommu_set_iq(struct iommu *io, paddr_t base, uint32_t entries)
{
	assert(entries > 0 && !(base & ~PAGE_MASK));
	io->iqa = base;
	io->iq_entries = entries;
	io->iqh = 0;
}

/* Carry out one descriptor; returns its cycles. */
static cycles_t do_desc(struct iommu *io, uint64_t lo, uint64_t hi, cycles_t now)
{
	uint64_t type = lo & 0xf, gran = (lo >> QI_GRAN_SHIFT) & 3;
	int did = (int)((lo >> QI_DID_SHIFT) & 0xffff);
	switch (type) {
	case QI_TYPE_CC:
		io->inv_context++;
		iommu_drop_ctx(io, gran == QI_GRAN_GLOBAL ? -1 : did,
			       gran == QI_GRAN_PAGE ? (int)((lo >> QI_SID_SHIFT) & 0xffff) : -1);
		return io->cost_context;
	case QI_TYPE_IOTLB:
		if (gran == QI_GRAN_GLOBAL) {
			io->inv_global++;
			iommu_drop_iotlb(io, -1, 0, 0, false);
			return io->cost_global;
		}
		if (gran == QI_GRAN_DOMAIN) {
			io->inv_domain++;
			iommu_drop_iotlb(io, did, 0, 0, false);
			return io->cost_domain;
		}
		if (gran == QI_GRAN_PAGE) {
			unsigned am = hi & QI_IOTLB_AM_MASK;
			uint64_t npages = 1ull << am;
			io->inv_page++;
			iommu_drop_iotlb(io, did, hi & ~((npages << PAGE_SHIFT) - 1), npages,
					 (hi & QI_IOTLB_IH) != 0);
			return io->cost_page;
		}
		return 0;                     /* granularity 0 is reserved: ignored */
	case QI_TYPE_WAIT:
		io->inv_wait++;
		if (lo & QI_WAIT_SW) {
			paddr_t st = hi & ~3ull;
			physmem_write(&io->ms->pm, st, 4, lo >> QI_WAIT_DATA_SHIFT);
			return io->cost_wait + memsys_access(io->ms, 0, st, MEM_DMA, true, now);
		}
		return io->cost_wait;
	default:
		return 0;                     /* types not modelled: no effect */
	}
}

cycles_t iommu_write_iqt(struct iommu *io, uint32_t tail, cycles_t now)
{
	assert(io->iqa && tail < io->iq_entries);
	cycles_t t = 0;
	while (io->iqh != tail) {
		paddr_t d = io->iqa + (paddr_t)io->iqh * QI_DESC_SIZE;
		t += iommu_mem_read(io, d, now + t);
		uint64_t lo = physmem_read(&io->ms->pm, d, 8), hi = physmem_read(&io->ms->pm, d + 8, 8);
		t += do_desc(io, lo, hi, now + t);
		io->iqh = (io->iqh + 1) % io->iq_entries;
	}
	io->inv_cycles += t;
	return t;
}
