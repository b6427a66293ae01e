/* Sparse, byte-addressable guest physical memory (DESIGN.md contracts 1, 3).
 *
 * One host buffer per 4 KiB guest frame, allocated on the first write; a frame
 * never written reads as zeros. Host memory therefore grows with what the
 * guest touches, not with the configured size. Multi-byte values are
 * little-endian, as on x86. Accesses here are untimed: timing is memsys's.
 * An address beyond the configured size has no memory behind it: reads
 * return all ones and writes are dropped, as a PC's bus does for a read
 * nobody answers (so a paging entry pointing there reads as all ones, which
 * has reserved bits set, and the walk faults instead of the simulator). */
#ifndef MMSIM_PHYSMEM_H
#define MMSIM_PHYSMEM_H

#include <string.h>
#include "lib/types.h"

struct physmem {
	uint64_t size;        /* bytes of guest physical memory */
	uint64_t nframes;
	uint8_t **frame;      /* frame[pfn]: host copy, or NULL = all zeros */
	uint64_t backed;      /* frames with a host buffer now */
	uint64_t backed_peak;
};

int physmem_init(struct physmem *pm, uint64_t size);
void physmem_fini(struct physmem *pm);

/* The frame's bytes for writing, allocating the host buffer on first use. */
uint8_t *physmem_frame_rw(struct physmem *pm, uint64_t pfn);

/* Make a frame all zeros (and give its host buffer back). */
void physmem_zero_frame(struct physmem *pm, uint64_t pfn);
void physmem_copy_frame(struct physmem *pm, uint64_t dst_pfn, uint64_t src_pfn);

/* Read/write 1..8 bytes that lie inside one frame (callers split accesses
 * that straddle frames). */
static inline uint64_t physmem_read(const struct physmem *pm, paddr_t pa, unsigned size)
{
	if (pa >= pm->size)
		return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
	const uint8_t *f = pm->frame[pa >> PAGE_SHIFT];
	uint64_t v = 0;
	if (f)
		memcpy(&v, f + (pa & ~PAGE_MASK), size);
	return v;
}

static inline void physmem_write(struct physmem *pm, paddr_t pa, unsigned size, uint64_t v)
{
	if (pa >= pm->size)
		return;
	uint8_t *f = pm->frame[pa >> PAGE_SHIFT];
	if (!f) {
		if (v == 0)
			return;          /* writing zeros to a zero frame changes nothing */
		f = physmem_frame_rw(pm, pa >> PAGE_SHIFT);
	}
	memcpy(f + (pa & ~PAGE_MASK), &v, size);
}

/* An access of `size` bytes whose first `first` bytes are at pa0 and the
 * rest at pa1 (an access straddling two pages, each translated on its
 * own; first == size: all at pa0). Writes *val, or reads into *val. */
static inline void physmem_access_split(struct physmem *pm, paddr_t pa0, paddr_t pa1,
					unsigned first, unsigned size, bool write, uint64_t *val)
{
	if (write) {
		physmem_write(pm, pa0, first, *val);
		if (first < size)
			physmem_write(pm, pa1, size - first, *val >> (8 * first));
	} else {
		*val = physmem_read(pm, pa0, first);
		if (first < size)
			*val |= physmem_read(pm, pa1, size - first) << (8 * first);
	}
}

#endif
