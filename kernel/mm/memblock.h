/* The boot memory map (Linux's e820 table and memblock, cut to what the
 * allocator needs): which frames are not RAM at all (holes) and which are RAM
 * the kernel keeps for itself from boot (reserved).
 *
 * - memory.holes: ranges the firmware map does not report as usable RAM
 *   (MMIO gaps, ACPI tables, e820 "reserved" entries). Their frames are not
 *   "present": a zone's present_pages is its span minus its holes.
 * - kernel.reserved: RAM the kernel reserves at boot (memblock_reserve():
 *   the kernel image, crashkernel=, memmap=nn$ss). Present but never managed.
 * - The first MiB is always reserved (firmware, real-mode trampolines), as
 *   x86's trim_low_memory_range() and reserve_real_mode() leave it.
 *
 * Every frame of both kinds is PG_reserved in the memmap and never reaches
 * the buddy lists. The hardware is not told: a hole's frames still exist in
 * the simulated physical memory, the kernel just never uses them.
 *
 * Both keys are strings of "SIZE@START" ranges separated by commas, as
 * Linux's memmap= boot parameter writes them ("64M@0xC0000000, 1M@3G");
 * sizes and starts take K/M/G/T units. cfg_check() validates them
 * (memblock_cfg_check): page aligned, non-empty, inside memory.size, no two
 * ranges overlapping (within a key or across the two). */
#ifndef MMSIM_MEMBLOCK_H
#define MMSIM_MEMBLOCK_H

#include "lib/types.h"

struct mmsim_cfg;
struct kmm;

#define MEMBLOCK_MAX_RANGES 32     /* per key, and merged in struct memblock */
#define FIRMWARE_RESERVED_PFNS 256 /* 1 MiB */

enum memblock_kind { MEMBLOCK_HOLE, MEMBLOCK_RESERVED };

struct memblock_region {
	uint64_t start_pfn, end_pfn;   /* [start, end) */
	enum memblock_kind kind;
};

/* The unavailable frames, sorted by start, non-overlapping (the firmware MiB
 * merged with reserved ranges it touches). */
struct memblock {
	struct memblock_region r[2 * MEMBLOCK_MAX_RANGES + 1];
	unsigned n;
};

/* Parse one key's text into byte ranges [start, start+size). Returns how
 * many, or -1 with "ORIGIN: KEY: ..." in err. */
struct mem_range {
	uint64_t start, size;
};
int memblock_parse(const char *text, const char *key, struct mem_range *r, unsigned max,
		   const char *origin, char *err);
/* Cross-key check of memory.holes and kernel.reserved against memory.size
 * and each other. 0 or -1 with err. */
int memblock_cfg_check(const struct mmsim_cfg *cfg, const char *origin, char *err);

/* Boot: build k->memblock from the config (already checked) and mark every
 * frame in it PG_reserved. */
void memblock_init(struct kmm *k);
/* Frames of [start, end) that are holes / reserved. */
uint64_t memblock_count(const struct memblock *mb, uint64_t start, uint64_t end,
			enum memblock_kind kind);
/* Does [start, end) meet any hole or reserved range? */
bool memblock_overlaps(const struct memblock *mb, uint64_t start, uint64_t end);
/* The first available run at or after *start below end: [*start, *run_end),
 * false when there is none. For handing free ranges to the buddy lists. */
bool memblock_next_free(const struct memblock *mb, uint64_t *start, uint64_t end,
			uint64_t *run_end);

#endif
