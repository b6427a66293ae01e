/* Reverse mapping of anonymous pages (mm/rmap.c): from a frame to every
 * user PTE that maps it, for compaction, migration and reclaim.
 *
 * As Linux, an anonymous page names an anon_vma object (page->mapping: its
 * id, 0 for none) and its linear page offset (page->index = the VMA's pgoff
 * plus the page's distance from the VMA start). A VMA that has faulted in
 * anonymous pages owns an anon_vma; fork gives the child's copy of the VMA a
 * new anon_vma whose parent is the parent VMA's, so pages the parent made
 * are still found through the child (anon_vma_fork()). A VMA is linked to
 * its own anon_vma and all of that one's ancestors (Linux's anon_vma_chain),
 * and each anon_vma keeps the mms that have a VMA linked to it. Split, merge
 * and mremap keep pgoff (so va - start + pgoff stays the page's index), which
 * is why the walk keeps working after them.
 *
 * rmap_walk() goes to page->mapping, then, for each mm listed there, to each
 * VMA linked to that anon_vma whose [pgoff, pgoff + pages) holds the index,
 * computes the address and looks the entry up; only entries that really map
 * the frame are visited (as page_vma_mapped_walk() checks the PFN).
 *
 * References: every PTE (or PMD) mapping an anonymous page holds one
 * reference and one mapcount, so a mapped anonymous page has refcount ==
 * mapcount; an unmapped one waiting to be freed (in the mmu_gather) has
 * refcount 1 and mapcount 0. */
#ifndef MMSIM_RMAP_H
#define MMSIM_RMAP_H

#include "lib/types.h"

struct kmm;
struct mm;
struct vma;

/* Called for each user entry mapping the frame: va is the address at which
 * the frame is mapped (for a frame inside a 2M/1G mapping, the address of
 * that 4K part), pte_pa the physical address of the entry (a PTE, or a
 * PDE/PDPTE with PS set for a huge mapping). Return false to stop. */
typedef bool (*rmap_visit_fn)(struct kmm *k, struct mm *mm, vaddr_t va, paddr_t pte_pa, void *arg);

/* Visit every user PTE mapping frame pfn; stop when fn returns false. The
 * lookups are functional (untimed); fn charges what it does. A page-cache
 * page (PG_file) is found through its file's i_mmap (filemap.h): the VMAs
 * mapping that file at the page's index. Other frames visit nothing. */
void rmap_walk(struct kmm *k, uint64_t pfn, rmap_visit_fn fn, void *arg);

/* --- for the kernel/mm code that maps and unmaps --- */

/* anon_vma_prepare(): give v an anon_vma if it has none (linking mm to it).
 * Returns its id. */
uint32_t anon_vma_prepare(struct kmm *k, struct mm *mm, struct vma *v);
/* anon_vma_fork(): the child's copy cv of a parent VMA gets a new anon_vma
 * whose parent is the parent VMA's (nothing when that has none). */
void anon_vma_fork(struct kmm *k, struct mm *child, struct vma *cv);
/* page_add_new_anon_rmap(): a new anonymous page mapped at va in v. */
void page_add_new_anon_rmap(struct kmm *k, uint64_t pfn, const struct vma *v, vaddr_t va);
/* page_add_anon_rmap() of a page that may be shared with other mms (a swap
 * cache page other processes' swap entries still name): the page names the
 * root anon_vma of v's chain, which every sharer's VMA is linked to. */
void page_add_shared_anon_rmap(struct kmm *k, uint64_t pfn, const struct vma *v, vaddr_t va);
/* The mm is going away: drop it from every anon_vma, free the ones left
 * without users. */
void rmap_mm_exit(struct kmm *k, struct mm *mm);
/* Free the anon_vma table (kmm_destroy). */
void rmap_destroy(struct kmm *k);
/* Number of live anon_vmas (tests). */
uint32_t rmap_anon_vmas(const struct kmm *k);

#endif
