/* hugetlbfs pools and MAP_HUGETLB mappings (mm/hugetlb.c); see hugetlb.c
 * and docs/vm.md. */
#ifndef MMSIM_HUGETLB_H
#define MMSIM_HUGETLB_H

#include "kernel/mm/kmm.h"
#include "kernel/mm/zone.h"

struct stats;

enum { HSTATE_2M, HSTATE_1G, HSTATES };

/* One huge page size (Linux's struct hstate). Pool pages are compound
 * pages of state PG_hugetlb: the head (PG_head, .order) holds refcount and
 * mapcount, tails name the head in .private. A free pool page has
 * refcount 0 and sits on its node's free list (an array of head PFNs). */
struct hstate {
	unsigned order;         /* 9 (2M) or 18 (1G) */
	uint64_t *free_list[MAX_NUMNODES];
	uint32_t nfree_node[MAX_NUMNODES];
	/* counters ("mm.hugetlb.<size>.*"), meminfo's HugePages_* */
	uint64_t nr;            /* HugePages_Total: pool pages */
	uint64_t free;          /* HugePages_Free: not mapped anywhere */
	uint64_t resv;          /* HugePages_Rsvd: promised to mappings, not
	                         * yet faulted (resv <= free) */
	uint64_t surp;          /* HugePages_Surp: always 0 (no overcommit) */
	uint64_t wanted;        /* nr_hugepages asked for at boot */
	uint64_t fault_alloc;   /* faults that mapped a new pool page */
	uint64_t cow_copy, cow_reuse;
};

struct hugetlb {
	struct hstate h[HSTATES];
	uint64_t gig[64];       /* 1G pages taken at boot, before the buddy
	                         * allocator got memory: their first PFNs */
	unsigned ngig;
	uint64_t sigbus;        /* faults with no page for them: SIGBUS */
	uint64_t mmap_enomem;   /* mmaps refused: not enough free pages to reserve */
};

/* Gathered frames (mmu_gather) with this bit are a hugetlb page's head: it
 * goes back to its pool after the flush, not to the buddy allocator. */
#define GATHER_HUGETLB (1ull << 63)

/* Boot: before the zones get their frames, set 1G pages aside from the top
 * of each node (as gigantic pages come from memblock); after, take the 2M
 * pages from the buddy allocator, spread over the nodes. */
void hugetlb_reserve_gigantic(struct kmm *k);
void hugetlb_init(struct kmm *k, struct stats *st);
void hugetlb_destroy(struct kmm *k);
/* free_zone_frames(): the first boot-reserved gigantic range at or after
 * pfn and below end; returns its first PFN (end if none). */
uint64_t hugetlb_gigantic_next(const struct kmm *k, uint64_t pfn, uint64_t end);

/* Bytes of one page of a hugetlb VMA. */
static inline uint64_t vma_hpage_size(const struct vma *v)
{
	return (v->flags & VM_HUGE_1G) ? (1ull << 30) : (1ull << 21);
}

/* mmap(MAP_HUGETLB) of len bytes (a multiple of the page size): reserve
 * the pages (hugetlb_reserve_pages()) unless noreserve. 0 or -ENOMEM. */
int hugetlb_reserve(struct kmm *k, bool gig, uint64_t len);
void hugetlb_unreserve_len(struct kmm *k, bool gig, uint64_t len);
/* Give back the reservations of the pages of [start, end) in VMAs owning
 * them that were never faulted (munmap, exit; hugetlb_vm_op_close()). */
void hugetlb_unreserve_range(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start,
			     vaddr_t end);
/* Does [start, end) cut a hugetlb VMA at an address that is not a multiple
 * of its page size? (munmap, mprotect, madvise, mlock then fail EINVAL.) */
bool hugetlb_range_misaligned(const struct mm *mm, vaddr_t start, vaddr_t end);
/* hugetlb_fault() for a fault at va in the hugetlb VMA v. */
enum fault_result hugetlb_fault(struct kmm *k, struct mm *mm, struct core *c, struct vma *v,
				vaddr_t va, uint32_t code, char *why);
/* Populate: fault the huge page at va in if it is not mapped (writable
 * where write). Returns 1 if it faulted, 0 if it was there, -ENOMEM. */
int hugetlb_populate(struct kmm *k, struct mm *mm, struct core *c, struct vma *v, vaddr_t va,
		     bool write);
/* A zap cleared a leaf mapping the page at head in mm: true when that was
 * its last mapping (the page is then gathered, GATHER_HUGETLB). */
bool hugetlb_put_mapping(struct kmm *k, struct mm *mm, uint64_t head);
/* fork: one more mapping of the page of leaf e; the child's entry
 * (write-protected in both when writable: *wp says the parent's changed). */
pte_t hugetlb_copy_leaf(struct kmm *k, struct mm *child, pte_t e, bool *wp);
/* The gathered head goes back to its pool (free_huge_folio()). */
void hugetlb_free_page(struct kmm *k, uint64_t head);
/* Is pfn the head of a hugetlb page? */
static inline bool pfn_is_hugetlb(const struct kmm *k, uint64_t pfn)
{
	return (k->memmap[pfn].flags & PG_STATE_MASK) == PG_hugetlb;
}
/* --check: the pools' lists and counters agree with the struct pages. */
int hugetlb_validate(struct kmm *k, const uint32_t *maps, char *err);

#endif
