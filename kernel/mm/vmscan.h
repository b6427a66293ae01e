/* Page reclaim (mm/vmscan.c, mm/swap.c): user pages on their node's LRU
 * lists, and the scans that age them and take pages back.
 *
 * Every anonymous page mapped by the fault handler (new page, COW copy,
 * THP, collapse, migration target) is put on the inactive anon list of the
 * node that holds it (lru_cache_add()); a page leaves the lists when it is
 * freed (page_cache_release() at the last put), and moves with its flags
 * when it is migrated or a huge page is split (lru_add_split_folio()).
 * Pages of VM_LOCKED VMAs are PG_mlocked and sit on the unevictable list.
 * A THP is one entry, its head page, as a folio is. */
#ifndef MMSIM_VMSCAN_H
#define MMSIM_VMSCAN_H

#include "lib/types.h"
#include "kernel/mm/lru.h"

struct kmm;
struct core;
struct vma;

/* The lruvec of the node that holds pfn. */
struct lruvec *kmm_lruvec(struct kmm *k, uint64_t pfn);
/* lru_cache_add() of a new user page (or THP head) that v maps: inactive,
 * or unevictable with PG_mlocked when v is VM_LOCKED. */
void kmm_lru_add_new(struct kmm *k, const struct vma *v, uint64_t pfn);
/* Off its list if it is on one (freeing, isolating). */
void kmm_lru_del(struct kmm *k, uint64_t pfn);
/* Back onto the list its flags name (putback_lru_page()). */
void kmm_lru_putback(struct kmm *k, uint64_t pfn);

#endif
