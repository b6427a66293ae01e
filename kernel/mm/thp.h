/* Transparent huge pages for anonymous memory (mm/huge_memory.c,
 * mm/khugepaged.c); see thp.c and docs/vm.md. */
#ifndef MMSIM_THP_H
#define MMSIM_THP_H

#include "kernel/mm/kmm.h"

#define HPAGE_PMD_ORDER 9
#define HPAGE_PMD_NR    512
#define HPAGE_PMD_SIZE  (1ull << 21)
#define HPAGE_PMD_MASK  (~(HPAGE_PMD_SIZE - 1))

/* Take the THP settings from the config (once per kmm). */
void thp_init(struct kmm *k);
/* do_huge_pmd_anonymous_page(): a not-present fault at va in v. Returns
 * true when it was handled at the PMD (a huge page mapped, or a fault on a
 * huge mapping resolved); *r is then the result. False: go on at 4K. */
bool thp_handle_fault(struct kmm *k, struct mm *mm, struct core *c, struct vma *v,
		      vaddr_t va, uint32_t code, enum fault_result *r);
/* split_huge_page(): every PMD mapping of the compound page at head becomes
 * a page table of 512 PTEs (in every mm mapping it), and the page becomes
 * 512 ordinary pages. 0, or -1 when a page table cannot be allocated. */
int thp_split_page(struct kmm *k, struct core *c, uint64_t head);
/* Split the huge PMD mapping va in mm, if any: an anonymous THP page-wide
 * (thp_split_page()), the huge zero page into zero-page PTEs. 0 or -1 (no
 * page table; hugetlb). */
int thp_split_pmd_at(struct kmm *k, struct mm *mm, struct core *c, vaddr_t va);
/* A PMD mapping the huge zero page is gone (zap, fork undo ...): drop its
 * reference; the last one frees the page, into the mmu_gather list when
 * gather. */
void huge_zero_put(struct kmm *k, struct core *c, bool gather);
static inline bool pfn_is_huge_zero(const struct kmm *k, uint64_t pfn)
{
	return k->huge_zero_pfn && pfn == k->huge_zero_pfn;
}

/* vma_adjust_trans_huge(): before VMAs are cut at start and end, split the
 * huge pages that straddle either boundary. -ENOMEM when no page table can
 * be had for a split (mm.thp.split_enomem): the caller fails with ENOMEM
 * before changing anything else (Linux splits into the table it deposited
 * at fault time and cannot fail; here the table is allocated at split). */
int thp_adjust_range(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start,
		     vaddr_t end);
/* MADV_COLLAPSE: collapse every aligned 2M range of [start, end). 0 or -errno. */
int thp_collapse_range(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start,
		       vaddr_t end);
/* khugepaged: when core c's clock has passed the next scan, scan
 * pages_to_scan pages of the registered mms from the cursor, collapsing
 * what qualifies (charged to c, as the kthread preempting it). */
void khugepaged_tick(struct kmm *k, struct core *c);

#endif
