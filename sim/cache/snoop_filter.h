/* The snoop filter: an exact directory of which cores' private caches
 * (L1I, L1D, L2) hold each line, as the snoop filters of Intel's
 * Skylake-SP and AMD's Zen keep next to the shared cache.
 *
 * What it models: nothing the simulated machine would notice. It is a
 * host-speed structure that says which cores a snoop would find the line in,
 * so that the hierarchy looks only there (and, with no sharers, nowhere);
 * the states, counters and cycles are those of snooping every core. It has
 * no capacity limit of its own (a real one evicts entries and
 * back-invalidates; this one always has room) and no latency.
 *
 * The table: open addressing with linear probing over a power-of-two slot
 * array, at least twice the number of private lines of the whole machine
 * (so the load factor stays <= 0.5), keyed by block number (Fibonacci hash:
 * the top bits of block * 2^64/phi), each slot a core bitmask (ncores <= 64).
 * A line no core holds has no slot: removing the last bit deletes the slot
 * by backward shift (Knuth, TAOCP vol. 3, 6.4, Algorithm R), so there are
 * no tombstones and a probe stops at the first empty slot.
 *
 * Exact: the hierarchy updates it wherever a line enters or leaves a core's
 * private caches (fills and their victims, coherence invalidations,
 * back-invalidations, DMA writes); hier_validate() checks that it equals
 * the union of the private caches, both ways. */
#ifndef MMSIM_SNOOP_FILTER_H
#define MMSIM_SNOOP_FILTER_H

#include <assert.h>
#include "lib/types.h"

/* key 0: empty; else block + 1 (so calloc'd memory is an empty table that
 * the host need not touch until it is used). cores != 0 in a used slot. */
struct sf_slot {
	uint64_t key;
	uint64_t cores;
};

struct snoop_filter {
	struct sf_slot *slot;   /* [mask + 1] */
	uint64_t mask;          /* slots - 1 */
	unsigned shift;         /* 64 - log2(slots) */
	uint64_t used;          /* lines with a slot */
	uint64_t lookups;       /* "cache.snoop_filter.lookups": snoops asked */
	uint64_t hits;          /* "cache.snoop_filter.hits": ... that found sharers */
};

/* A table for up to lines lines (lines >= 1). Returns 0, or -1 when out of
 * memory. */
int sf_init(struct snoop_filter *sf, uint64_t lines);
void sf_fini(struct snoop_filter *sf);

static inline uint64_t sf_home(const struct snoop_filter *sf, uint64_t block)
{
	return (block * 0x9e3779b97f4a7c15ull) >> sf->shift;
}

/* The slot of block, or NULL. */
static inline struct sf_slot *sf_find(const struct snoop_filter *sf, uint64_t block)
{
	uint64_t key = block + 1;
	for (uint64_t i = sf_home(sf, block);; i = (i + 1) & sf->mask) {
		struct sf_slot *s = &sf->slot[i];
		if (s->key == key)
			return s;
		if (s->key == 0)
			return NULL;
	}
}

/* The cores holding block (0: none). */
static inline uint64_t sf_cores(const struct snoop_filter *sf, uint64_t block)
{
	const struct sf_slot *s = sf_find(sf, block);
	return s ? s->cores : 0;
}

/* core now holds block. */
static inline void sf_add(struct snoop_filter *sf, uint64_t block, unsigned core)
{
	uint64_t key = block + 1;
	for (uint64_t i = sf_home(sf, block);; i = (i + 1) & sf->mask) {
		struct sf_slot *s = &sf->slot[i];
		if (s->key == key) {
			s->cores |= 1ull << core;
			return;
		}
		if (s->key == 0) {
			assert(sf->used < sf->mask && "sf_add: the table is full");
			s->key = key;
			s->cores = 1ull << core;
			sf->used++;
			return;
		}
	}
}

/* Delete slot s (backward shift). */
void sf_delete(struct snoop_filter *sf, struct sf_slot *s);

/* The cores in `cores` no longer hold block (which has a slot). */
static inline void sf_clear_slot(struct snoop_filter *sf, struct sf_slot *s, uint64_t cores)
{
	s->cores &= ~cores;
	if (!s->cores)
		sf_delete(sf, s);
}

/* The cores in `cores` no longer hold block. */
static inline void sf_clear(struct snoop_filter *sf, uint64_t block, uint64_t cores)
{
	struct sf_slot *s = sf_find(sf, block);
	assert(s && "sf_clear: block not in the directory");
	sf_clear_slot(sf, s, cores);
}

/* The cores a snoop for block must visit: those holding it, but not the
 * ones in `requester` (a core's bit; 0 for a device). Counted. */
static inline uint64_t sf_snoop(struct snoop_filter *sf, uint64_t block, uint64_t requester)
{
	uint64_t others = sf_cores(sf, block) & ~requester;
	sf->lookups++;
	sf->hits += others != 0;
	return others;
}

/* Checks the table's own invariants (every used slot reachable from its
 * home without crossing an empty slot, used counts them, no empty masks,
 * no core >= ncores). Returns 0 or -1 with err. */
int sf_validate(const struct snoop_filter *sf, unsigned ncores, char *err);

#endif
