/* DMA engines of devices: a device reads or writes a range of bus
 * addresses (IOVAs behind the IOMMU, physical addresses otherwise), moving
 * real bytes and keeping the CPU caches coherent.
 *
 * Each 4K piece of the range is translated by the IOMMU (when the device is
 * behind an enabled one); a blocked piece ends the transfer there (the
 * device gets a fault completion: earlier pieces have moved, nothing after).
 * Every line touched is one device access to the memory system: a read
 * takes the newest copy (a dirty line in a core's cache is written back), a
 * write drops every cached copy (sim/cache/coherence.c hier_dma_*).
 *
 * Time: the translations one after another, then the lines pipelined: the
 * transfer takes ceil(bytes / iommu.dma_bandwidth) cycles plus the latency
 * of its slowest line. */
#ifndef MMSIM_DMAENGINE_H
#define MMSIM_DMAENGINE_H

#include "sim/iommu/iommu.h"

struct stats;

struct iodev {
	char name[32];
	uint16_t sid;           /* source id (bus:dev.fn) the IOMMU sees */
	bool behind_iommu;      /* false: bus address = physical */
	uint64_t dma_mask;      /* highest bus address it can drive */

	/* counters ("dma.<name>.*") */
	uint64_t transfers, bytes_read, bytes_written, faults, cycles;
	uint64_t iotlb_hit, iotlb_miss, walk_cycles;   /* its share of the IOMMU's */
	uint64_t fault_reason[IOF_REASONS];   /* "dma.<name>.fault.<reason>" */
};

void iodev_stats(struct iodev *d, struct stats *st);

/* Device d moves len bytes at bus address addr: write = into memory from
 * buf, else out of memory into buf (buf may be NULL: timing only). Starts
 * at cycle now; *cycles gets the duration, *done the bytes moved. Returns
 * IOF_NONE or the reason of the fault that stopped it. */
enum iommu_fault_reason dma_xfer(struct iommu *io, struct iodev *d, uint64_t addr,
				 uint64_t len, bool write, uint8_t *buf, uint32_t bandwidth,
				 cycles_t now, cycles_t *cycles, uint64_t *done);

#endif
