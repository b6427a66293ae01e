/* DMA engines: see dmaengine.h. */
#include "sim/iommu/dmaengine.h"

#include <string.h>
#include "lib/stats.h"
#include "sim/mem/memsys.h"

#define DMA_LINE 64

void iodev_stats(struct iodev *d, struct stats *st)
{
	stats_add(st, &d->transfers, "dma.%s.transfers", d->name);
	stats_add(st, &d->bytes_read, "dma.%s.bytes_read", d->name);
	stats_add(st, &d->bytes_written, "dma.%s.bytes_written", d->name);
	stats_add(st, &d->faults, "dma.%s.faults", d->name);
	stats_add(st, &d->cycles, "dma.%s.cycles", d->name);
	stats_add(st, &d->iotlb_hit, "dma.%s.iotlb.hit", d->name);
	stats_add(st, &d->iotlb_miss, "dma.%s.iotlb.miss", d->name);
	stats_add(st, &d->walk_cycles, "dma.%s.walk_cycles", d->name);
	for (int r = 1; r < IOF_REASONS; r++)
		stats_add(st, &d->fault_reason[r], "dma.%s.fault.%s", d->name, iommu_fault_name[r]);
}

/* Copy n bytes (inside one frame) between pa and buf. */
static void move_bytes(struct physmem *pm, paddr_t pa, uint8_t *buf, uint64_t n, bool write)
{
	if (pa >= pm->size)
		return;                       /* no memory there: writes dropped */
	uint64_t pfn = pa >> PAGE_SHIFT, off = pa & ~PAGE_MASK;
	if (write) {
		memcpy(physmem_frame_rw(pm, pfn) + off, buf, n);
	} else {
		const uint8_t *f = pm->frame[pfn];
		if (f)
			memcpy(buf, f + off, n);
		else
			memset(buf, 0, n);
	}
}

enum iommu_fault_reason dma_xfer(struct iommu *io, struct iodev *d, uint64_t addr,
				 uint64_t len, bool write, uint8_t *buf, uint32_t bandwidth,
				 cycles_t now, cycles_t *cycles, uint64_t *done)
{
	struct memsys *ms = io->ms;
	cycles_t xlate = 0, slowest = 0;
	enum iommu_fault_reason why = IOF_NONE;
	uint64_t pos = 0;
	d->transfers++;
	while (pos < len) {
		uint64_t a = addr + pos;
		uint64_t n = PAGE_SIZE - (a & ~PAGE_MASK);
		if (n > len - pos)
			n = len - pos;
		paddr_t pa = a;
		cycles_t c = 0;
		if (d->behind_iommu) {
			uint64_t hit = io->iotlb_hit, miss = io->iotlb_miss, wc = io->walk_cycles;
			why = iommu_translate(io, d->sid, a, write, now + xlate, &pa, &c);
			d->iotlb_hit += io->iotlb_hit - hit;
			d->iotlb_miss += io->iotlb_miss - miss;
			d->walk_cycles += io->walk_cycles - wc;
		}
		xlate += c;
		if (why != IOF_NONE)
			break;
		for (uint64_t l = pa & ~(uint64_t)(DMA_LINE - 1); l < pa + n; l += DMA_LINE) {
			cycles_t lat = memsys_access(ms, 0, l, MEM_DMA, write, now + xlate);
			if (lat > slowest)
				slowest = lat;
		}
		if (buf)
			move_bytes(&ms->pm, pa, buf + pos, n, write);
		pos += n;
	}
	if (why != IOF_NONE) {
		d->faults++;
		d->fault_reason[why]++;
	}
	if (write)
		d->bytes_written += pos;
	else
		d->bytes_read += pos;
	*done = pos;
	*cycles = xlate + (pos + bandwidth - 1) / bandwidth + slowest;
	d->cycles += *cycles;
	return why;
}
