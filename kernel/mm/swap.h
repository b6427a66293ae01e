/* Swap areas: slots on a block device, swap entries in non-present PTEs,
 * and the swap cache (mm/swapfile.c, include/linux/swapops.h).
 *
 * A swap entry names a slot: (type = which swap area, offset = slot). In a
 * PTE it is stored with P clear, so the walker faults on it and the fault
 * handler finds the entry in the PTE, as on Linux:
 *
 *   63        52 51            12 11   6 5   1  0
 *  +------------+----------------+------+-----+---+
 *  |     0      |     offset     |  0   | type| P=0|
 *  +------------+----------------+------+-----+---+
 *
 * A PTE that is 0 is none; a non-present PTE that is not 0 is a swap entry.
 * Slot 0 of every area is the swap header and never handed out, so no
 * entry is 0.
 *
 * Each slot has a use count (swap_map): the PTEs holding the entry plus one
 * while the swap cache holds a page for it. Slots are handed out cluster by
 * cluster (SWAP_CLUSTER slots, as SWAPFILE_CLUSTER) so that a reclaim pass
 * writes neighbouring slots, and a cluster is refilled only once empty. */
#ifndef MMSIM_SWAP_H
#define MMSIM_SWAP_H

#include "lib/types.h"
#include "sim/mmu/pte.h"

struct blkdev;
struct stats;

#define MAX_SWAPFILES 32
#define SWP_TYPE_SHIFT 1
#define SWP_TYPE_MASK  0x1fu
#define SWAP_CLUSTER 256
#define SWAP_MAP_MAX 0xffu          /* a slot's count saturates here */

typedef struct { uint64_t val; } swp_entry_t;

static inline swp_entry_t swp_entry(unsigned type, uint64_t offset)
{
	return (swp_entry_t){ (offset << PAGE_SHIFT) | ((uint64_t)(type & SWP_TYPE_MASK)
								 << SWP_TYPE_SHIFT) };
}
static inline unsigned swp_type(swp_entry_t e)
{
	return (unsigned)(e.val >> SWP_TYPE_SHIFT) & SWP_TYPE_MASK;
}
static inline uint64_t swp_offset(swp_entry_t e)
{
	return (e.val & PTE_ADDR_MASK) >> PAGE_SHIFT;
}
static inline bool is_swap_pte(pte_t e)
{
	return e != 0 && !(e & PTE_P);
}
static inline pte_t swp_entry_to_pte(swp_entry_t e)
{
	return e.val;
}
static inline swp_entry_t pte_to_swp_entry(pte_t e)
{
	return (swp_entry_t){ e };
}

struct swap_info {
	unsigned type;
	struct blkdev *dev;     /* slot s = block s */
	uint64_t pages;         /* slots, the header's included */
	uint8_t *map;           /* use count per slot */
	uint32_t *cache;        /* swap cache: frame holding slot s, or PFN_NONE */
	uint64_t cluster;       /* cluster being filled */
	uint64_t next;          /* next slot to try in it */
	uint64_t free_clusters; /* clusters with no slot in use */
	uint32_t *cluster_used; /* slots in use per cluster */

	/* counters ("swap.<type>.*") */
	uint64_t inuse;         /* slots in use */
	uint64_t alloc, alloc_fail, freed;
	uint64_t cache_pages;   /* pages in the swap cache */
};

/* An area over all of dev. 0, or -1 when dev holds fewer than 2 slots. */
int swap_info_init(struct swap_info *si, unsigned type, struct blkdev *dev);
void swap_info_fini(struct swap_info *si);
void swap_info_stats(struct swap_info *si, struct stats *st);

/* get_swap_page(): a free slot with count 1, or an entry of 0 when full. */
swp_entry_t swap_alloc(struct swap_info *si);
/* swap_duplicate(): one more user of e's slot (fork copying a swap PTE). */
void swap_dup(struct swap_info *si, swp_entry_t e);
/* swap_free(): one user fewer; the slot is free again at 0. Returns the
 * remaining count. */
unsigned swap_put(struct swap_info *si, swp_entry_t e);
unsigned swap_count(const struct swap_info *si, swp_entry_t e);

/* The swap cache (add_to_swap_cache / __delete_from_swap_cache /
 * lookup_swap_cache): a page for e's slot while both exist. Adding takes a
 * reference on the slot, deleting drops it. */
void swap_cache_add(struct swap_info *si, swp_entry_t e, uint64_t pfn);
void swap_cache_del(struct swap_info *si, swp_entry_t e);
int64_t swap_cache_lookup(const struct swap_info *si, swp_entry_t e);  /* -1: none */

/* Counts agree with the clusters and the totals. 0, or -1 with err. */
int swap_validate(const struct swap_info *si, char *err);

#endif
