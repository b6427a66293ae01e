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
#define PG_STATE_MASK 0x001fu

#define PFN_NONE UINT32_MAX   /* end of a free list */

struct page {
	uint32_t flags;       /* PG_* */
	int32_t refcount;     /* 0 while free */
	int32_t mapcount;     /* PTEs mapping it (user pages) */
	uint8_t order;        /* valid only while PG_buddy: the block's order */
	uint8_t pad[3];
	uint32_t next, prev;  /* valid only while PG_buddy: free-list links (PFNs) */
	uint32_t pt_used;     /* PG_pgtable: present entries in this table */
};

_Static_assert(sizeof(struct page) == 28, "struct page stays small");

#endif
