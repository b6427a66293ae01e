/* A block device (the SSD that holds swap and, later, files): sparse 4 KiB
 * blocks that carry data, and the timing of one device.
 *
 * Data: block b's bytes are frame b of a sparse store (the same structure
 * as physical memory), so a device of hundreds of GiB costs the host only
 * what was written to it. Moving a block to or from guest memory copies
 * bytes between the two stores (DESIGN.md contract 3).
 *
 * Time, as an NVMe device behaves to first order: each request spends
 * `latency` cycles inside the device (commands overlap one another, as a
 * deep queue lets them), then its blocks cross the one link to memory at
 * `block_cycles` each, one request's transfer after another's. A request
 * submitted at `now` completes at
 *     max(now + latency, link busy until) + blocks * block_cycles. */
#ifndef MMSIM_BLKDEV_H
#define MMSIM_BLKDEV_H

#include "lib/types.h"
#include "sim/mem/physmem.h"

struct stats;

struct blkdev {
	char name[16];
	struct physmem store;   /* block b = frame b */
	uint64_t nblocks;
	cycles_t latency;       /* per request, overlapping other requests */
	cycles_t block_cycles;  /* link time of one 4 KiB block */
	cycles_t busy_until;    /* the link is busy until then */

	/* counters ("blk.<name>.*") */
	uint64_t reads, writes;         /* requests */
	uint64_t read_blocks, write_blocks;
	uint64_t wait_cycles;           /* requests waiting for the link */
};

/* A device of `bytes` (rounded down to whole blocks). 0, or -1 when the
 * host cannot hold its block table. */
int blkdev_init(struct blkdev *d, const char *name, uint64_t bytes, cycles_t latency,
		cycles_t block_cycles);
void blkdev_fini(struct blkdev *d);
void blkdev_stats(struct blkdev *d, struct stats *st);

/* Read block `block` into frame pfn of pm / write frame pfn of pm to block
 * `block`, submitted at cycle now; returns the completion cycle. */
cycles_t blkdev_read(struct blkdev *d, uint64_t block, struct physmem *pm, uint64_t pfn,
		     cycles_t now);
cycles_t blkdev_write(struct blkdev *d, uint64_t block, const struct physmem *pm, uint64_t pfn,
		      cycles_t now);

#endif
