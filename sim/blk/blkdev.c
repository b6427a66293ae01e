/* The block device: data in a sparse store, time as blkdev.h says. */
#include "sim/blk/blkdev.h"

#include <assert.h>
#include <stdio.h>
#include "lib/stats.h"

int blkdev_init(struct blkdev *d, const char *name, uint64_t bytes, cycles_t latency,
		cycles_t block_cycles)
{
	*d = (struct blkdev){ .latency = latency, .block_cycles = block_cycles };
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->nblocks = bytes >> PAGE_SHIFT;
	return physmem_init(&d->store, d->nblocks << PAGE_SHIFT);
}

void blkdev_fini(struct blkdev *d)
{
	physmem_fini(&d->store);
}

void blkdev_stats(struct blkdev *d, struct stats *st)
{
	stats_add(st, &d->reads, "blk.%s.reads", d->name);
	stats_add(st, &d->writes, "blk.%s.writes", d->name);
	stats_add(st, &d->read_blocks, "blk.%s.read_blocks", d->name);
	stats_add(st, &d->write_blocks, "blk.%s.write_blocks", d->name);
	stats_add(st, &d->wait_cycles, "blk.%s.wait_cycles", d->name);
}

/* One request of `blocks` blocks submitted at now: its completion cycle. */
static cycles_t request(struct blkdev *d, uint64_t blocks, cycles_t now)
{
	cycles_t start = now + d->latency;
	if (start < d->busy_until) {
		d->wait_cycles += d->busy_until - start;
		start = d->busy_until;
	}
	d->busy_until = start + blocks * d->block_cycles;
	return d->busy_until;
}

/* Copy one 4 KiB frame between two sparse stores; an absent (all-zero)
 * source leaves an absent destination. */
static void copy_frame(struct physmem *dst, uint64_t dpfn, const struct physmem *src,
		       uint64_t spfn)
{
	const uint8_t *s = src->frame[spfn];
	if (!s)
		physmem_zero_frame(dst, dpfn);
	else
		memcpy(physmem_frame_rw(dst, dpfn), s, PAGE_SIZE);
}

cycles_t blkdev_read(struct blkdev *d, uint64_t block, struct physmem *pm, uint64_t pfn,
		     cycles_t now)
{
	assert(block < d->nblocks && pfn < pm->nframes);
	copy_frame(pm, pfn, &d->store, block);
	d->reads++;
	d->read_blocks++;
	return request(d, 1, now);
}

cycles_t blkdev_write(struct blkdev *d, uint64_t block, const struct physmem *pm, uint64_t pfn,
		      cycles_t now)
{
	assert(block < d->nblocks && pfn < pm->nframes);
	copy_frame(&d->store, block, pm, pfn);
	d->writes++;
	d->write_blocks++;
	return request(d, 1, now);
}
