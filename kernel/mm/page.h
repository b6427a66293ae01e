/* struct page: the guest kernel's metadata for one physical frame, as
 * Linux's struct page (include/linux/mm_types.h), cut to what is modelled.
 * The memmap is one array indexed by PFN; it is allocated with calloc, so the
 * host only backs the parts the guest kernel touches. */
#ifndef MMSIM_PAGE_H
#define MMSIM_PAGE_H

#include "lib/types.h"

/* page.flags: which state the frame is in (exactly one of the first group). */
#define PG_reserved  0x0001u  /* never handed to the allocator (firmware, holes) */
#define PG_buddy     0x0002u  /* head of a free block on a buddy list */
#define PG_pgtable   0x0004u  /* a paging structure (PML4/PDPT/PD/PT) */
#define PG_anon      0x0008u  /* anonymous user page */
#define PG_kernel    0x0010u  /* other kernel allocation */
#define PG_slab      0x0020u  /* SLUB slab */
#define PG_file      0x0040u  /* page cache */
#define PG_hugetlb   0x0080u  /* hugetlbfs pool page (free or in use) */
#define PG_STATE_MASK 0x00ffu

/* page.flags: modifiers, any combination with a state */
#define PG_head      0x0100u  /* first frame of a compound page (order in .order) */
#define PG_tail      0x0200u  /* other frames of a compound page (.private: head PFN) */
#define PG_lru       0x0400u  /* on an LRU list (.next/.prev link it) */
#define PG_active    0x0800u
#define PG_referenced 0x1000u
#define PG_dirty     0x2000u
#define PG_swapcache 0x4000u
#define PG_mlocked   0x8000u
#define PG_writeback 0x10000u
#define PG_uptodate  0x20000u
#define PG_readahead 0x40000u  /* read ahead, not yet asked for (swap, files) */

#define PFN_NONE UINT32_MAX   /* end of a free list */

struct page {
	uint32_t flags;       /* PG_* */
	int32_t refcount;     /* 0 while free */
	int32_t mapcount;     /* PTEs mapping it (user pages) */
	uint8_t order;        /* PG_buddy: the free block's order; PG_head: compound order */
	uint8_t pad[3];
	uint32_t next, prev;  /* PG_buddy: free-list links; PG_lru: LRU links (PFNs) */
	union {
		uint32_t pt_used;  /* PG_pgtable: present entries in this table */
		uint32_t private;  /* PG_tail: head PFN; others: the owner's use */
	};
	uint32_t mapping;     /* id of the anon_vma / address_space it belongs to, 0: none */
	uint64_t index;       /* page offset within its mapping */
};

_Static_assert(sizeof(struct page) == 40, "struct page stays small");

/* pin_user_pages() (FOLL_PIN, for DMA) adds GUP_PIN_COUNTING_BIAS to an
 * anonymous page's refcount per pin, as Linux does for small pages. A pinned
 * page so has refcount > mapcount, which reclaim and compaction read as
 * "someone else holds it: do not unmap, move or free"; after its last
 * mapping goes it stays allocated (refcount = pins * bias) until unpinned.
 * Valid while mapcount < 1024. */
#define GUP_PIN_COUNTING_BIAS 1024
static inline int32_t page_dma_pins(const struct page *p)
{
	return p->refcount / GUP_PIN_COUNTING_BIAS;
}

#endif
