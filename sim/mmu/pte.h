/* x86-64 paging-structure entry layout (Intel SDM Vol. 3A, 4.5, tables 4-14
 * to 4-20). Shared by the walker (reads) and the guest kernel (writes): both
 * sides agree only on these architectural bits.
 *
 *  63  62:52  51:M  M-1:12          11:9  8 7  6 5 4   3   2  1  0
 * +--+------+-----+----------------+----+-+--+-+-+---+---+--+--+-+
 * |NX| ign  | rsvd| PFN (phys addr)| ign|G|PS|D|A|PCD|PWT|US|RW|P|
 * +--+------+-----+----------------+----+-+--+-+-+---+---+--+--+-+
 * M = MAXPHYADDR. PS only at the PDPTE (1G page) and PDE (2M page); at the
 * PML4E it is reserved; at the PTE bit 7 is PAT. D and G only in leaves. */
#ifndef MMSIM_PTE_H
#define MMSIM_PTE_H

#include "lib/types.h"

#define PTE_P    (1ull << 0)   /* present */
#define PTE_RW   (1ull << 1)   /* writable */
#define PTE_US   (1ull << 2)   /* user-accessible */
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_A    (1ull << 5)   /* accessed: set by the walker */
#define PTE_D    (1ull << 6)   /* dirty: set by the walker on writes (leaf) */
#define PTE_PS   (1ull << 7)   /* page size (PDPTE/PDE): this entry is a leaf */
#define PTE_G    (1ull << 8)   /* global (leaf): survives CR3 loads */
#define PTE_NX   (1ull << 63)  /* no-execute (EFER.NXE assumed on) */
#define PTE_ADDR_MASK 0x000ffffffffff000ull  /* bits 51:12 */

_Static_assert(PTE_NX == 0x8000000000000000ull, "NX is bit 63");
_Static_assert(PTE_ADDR_MASK >> 12 == (1ull << 40) - 1, "PFN is bits 51:12");

/* Page-fault error code bits (SDM 4.7). */
#define PF_P    (1u << 0)  /* 0: not present; 1: protection violation */
#define PF_W    (1u << 1)  /* the access was a write */
#define PF_U    (1u << 2)  /* the access was in user mode */
#define PF_RSVD (1u << 3)  /* a reserved bit was set in a paging entry */
#define PF_I    (1u << 4)  /* the access was an instruction fetch */

/* Levels, from the leaf up. Each indexes 9 bits of the linear address:
 * level 1 (PT) bits 20:12, level 2 (PD) 29:21, level 3 (PDPT) 38:30,
 * level 4 (PML4) 47:39, level 5 (PML5, with LA57) 56:48. */
#define PT_LEVELS 4
#define PT_MAX_LEVELS 5
#define PT_ENTRIES 512
#define WALK_HIST_BUCKETS 12

/* Simulator-internal, not part of any x86 error code: set on the result of a
 * translation that faulted, since the architectural code of a supervisor
 * read of a not-present page is 0. */
#define PF_RAISED (1u << 31)
static inline unsigned pt_index(vaddr_t va, int level)
{
	return (unsigned)(va >> (PAGE_SHIFT + 9 * (level - 1))) & (PT_ENTRIES - 1);
}
/* Bytes mapped by one entry at a level: 4K, 2M, 1G, 512G. */
static inline uint64_t pt_level_size(int level)
{
	return 1ull << (PAGE_SHIFT + 9 * (level - 1));
}

/* Is entry e at level a leaf? The PTE always; a PDPTE (1G) or PDE (2M) with
 * PS set. Shared by the CPU walker and the IOMMU's, which use one format. */
static inline bool pte_is_leaf(pte_t e, int level)
{
	return level == 1 || (level <= 3 && (e & PTE_PS));
}

/* The address a leaf e at level maps addr to: the page base from the entry,
 * the offset within the (4K, 2M or 1G) page from addr. */
static inline paddr_t pte_leaf_addr(pte_t e, int level, uint64_t addr)
{
	uint64_t off_mask = pt_level_size(level) - 1;
	return (e & PTE_ADDR_MASK & ~off_mask) | (addr & off_mask);
}

/* Reserved bits of a present entry (SDM 4.5.4, tables 4-15 to 4-20):
 * address bits from MAXPHYADDR to 51 (rsvd_addr); PS in a PML5E or PML4E;
 * in a 1G PDPTE leaf bits 29:13; in a 2M PDE leaf bits 20:13 (bit 12 there
 * is PAT). */
static inline bool pte_rsvd_violation(uint64_t rsvd_addr, pte_t e, int level)
{
	if (e & rsvd_addr)
		return true;
	if (level >= 4 && (e & PTE_PS))
		return true;
	if (level == 3 && (e & PTE_PS) && (e & 0x3fffe000ull))   /* bits 29:13 */
		return true;
	if (level == 2 && (e & PTE_PS) && (e & 0x1fe000ull))     /* bits 20:13 */
		return true;
	return false;
}

/* The user half of the canonical address space: 47 bits with 4-level
 * paging, 56 bits with 5-level paging (LA57). */
#define USER_VA_END 0x0000800000000000ull
#define USER_VA_END_LA57 0x0100000000000000ull

#endif
