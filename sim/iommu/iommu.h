/* An IOMMU modelled on Intel VT-d (VT-d specification, chapters 3, 6, 9):
 * DMA remapping through tables the guest kernel writes into simulated
 * physical memory, an IOTLB, paging-structure caches, a context cache, a
 * queued-invalidation interface and a fault log.
 *
 * What the hardware reads (all in guest physical memory, little-endian):
 *
 *   RTADDR ─► root table: 256 entries of 16 bytes, one per PCI bus
 *             low qword: bit 0 P, bits 63:12 context-table address
 *   context table: 256 entries of 16 bytes, one per device:function (devfn)
 *             low qword:  bit 0 P, bit 1 FPD, bits 3:2 TT (0: translate
 *                         through the second-level tables, 2: passthrough),
 *                         bits 63:12 second-level PML4 address (SLPTPTR)
 *             high qword: bits 2:0 AW (2 = 48-bit, 4-level), bits 23:8 DID
 *   second-level tables: the CPU's 4-level format (sim/mmu/pte.h), 4K pages
 *             and 2M/1G leaves with PS; bit 0 is R (read) and bit 1 W
 *             (write), at the places of the CPU's P and RW: an entry with
 *             neither is not present. Upper entries' R/W are ANDed with the
 *             leaf's. A and D bits are not used (SLADE off).
 *
 * Translation (iommu_translate): context cache (or root + context entry
 * read through memory), IOTLB probe per page size tagged by domain id, and
 * on a miss a walk shaped like the CPU walker's (sim/mmu/walk.c): the
 * paging-structure caches skip the upper levels, each remaining entry is one
 * memory read. With iommu.coherent the reads snoop the CPU caches (a dirty
 * line is written back, as a device read does); otherwise they go straight
 * to DRAM and the kernel must flush the lines it writes (its cost).
 * A blocked access is recorded in the fault log (source id, IOVA, reason,
 * read/write) and counted by reason; the device gets nothing.
 *
 * Invalidation (VT-d 6.5.2, queued invalidation): the kernel writes 16-byte
 * descriptors into a ring in memory (IQA register: base and size) and
 * advances the tail register; iommu_write_iqt() processes every descriptor
 * from the head to the new tail, each read from memory and charged its
 * configured cycles: context-cache (global/domain/device), IOTLB (global,
 * domain, or page-selective with an address mask 2^AM pages, also dropping
 * the domain's paging-structure-cache entries that cover the range unless
 * the invalidation hint IH is set), and wait
 * (writes its status dword to memory when SW is set).
 *
 * Simplified: one IOMMU for every device; no first-level (PASID) tables,
 * no interrupt remapping, no device TLBs (ATS); faults are recorded in a
 * ring of iommu.fault_log records rather than fault registers plus an
 * interrupt; the queue is processed at once when the tail moves. */
#ifndef MMSIM_IOMMU_H
#define MMSIM_IOMMU_H

#include "lib/types.h"
#include "sim/mmu/pte.h"

struct mmsim_cfg;
struct memsys;
struct stats;
struct tlb;

/* --- architectural layout ------------------------------------------------ */
#define VTD_TABLE_ENTRIES 256
#define VTD_ENTRY_SIZE    16
#define VTD_RE_P          (1ull << 0)
#define VTD_CE_P          (1ull << 0)
#define VTD_CE_FPD        (1ull << 1)   /* fault processing disable */
#define VTD_CE_TT_SHIFT   2
#define VTD_CE_TT_MASK    (3ull << VTD_CE_TT_SHIFT)
#define VTD_TT_TRANSLATE  0ull
#define VTD_TT_PASSTHROUGH 2ull
#define VTD_CE_AW_48      2ull          /* high qword bits 2:0 */
#define VTD_CE_DID_SHIFT  8             /* high qword bits 23:8 */
#define VTD_ADDR_MASK     0x000ffffffffff000ull

#define IOPTE_R PTE_P     /* second-level bit 0: read */
#define IOPTE_W PTE_RW    /* second-level bit 1: write */
_Static_assert(IOPTE_R == 1 && IOPTE_W == 2, "VT-d SL R/W are bits 0 and 1");

/* source id: bus 15:8, device 7:3, function 2:0 */
static inline uint16_t vtd_sid(unsigned bus, unsigned dev, unsigned fn)
{
	return (uint16_t)((bus << 8) | (dev << 3) | fn);
}

/* Invalidation descriptors (VT-d 6.5.2): low qword bits 3:0 type. */
#define QI_TYPE_CC      1ull            /* context-cache invalidate */
#define QI_TYPE_IOTLB   2ull            /* IOTLB invalidate */
#define QI_TYPE_WAIT    5ull            /* invalidation wait */
#define QI_GRAN_SHIFT   4               /* bits 5:4 granularity */
#define QI_GRAN_GLOBAL  1ull
#define QI_GRAN_DOMAIN  2ull
#define QI_GRAN_PAGE    3ull            /* IOTLB: page-selective; CC: device */
#define QI_DID_SHIFT    16              /* bits 31:16 */
#define QI_SID_SHIFT    32              /* CC: bits 47:32 source id */
#define QI_WAIT_SW      (1ull << 5)     /* wait: write status data */
#define QI_WAIT_DATA_SHIFT 32           /* wait: bits 63:32 status data */
/* IOTLB page-selective high qword: bits 63:12 address, bit 6 IH, bits 5:0 AM.
 * IH (invalidation hint) set: software changed only leaf entries, the
 * paging-structure caches may be kept; clear: they are dropped too. */
#define QI_IOTLB_IH     (1ull << 6)
#define QI_IOTLB_AM_MASK 0x3full
#define QI_DESC_SIZE    16

/* Fault reasons (names: "iommu.fault.<name>"). */
enum iommu_fault_reason {
	IOF_NONE,
	IOF_ROOT_NP,      /* root entry not present */
	IOF_CTX_NP,       /* context entry not present */
	IOF_CTX_BAD,      /* context entry malformed (TT, AW, reserved) */
	IOF_NOT_PRESENT,  /* no second-level mapping (or no read right) */
	IOF_READ_ONLY,    /* write to a mapping without W */
	IOF_RSVD,         /* reserved bit in a second-level entry */
	IOF_REASONS
};
extern const char *const iommu_fault_name[IOF_REASONS];

struct iommu_fault {
	uint64_t iova;
	uint16_t sid;
	uint8_t reason;   /* enum iommu_fault_reason */
	bool write;
};

struct ctx_cache_entry {
	uint64_t slptptr;   /* second-level PML4 (TT translate) */
	uint64_t stamp;     /* LRU */
	uint16_t sid, did;
	uint8_t tt;
	bool valid;
};

struct iommu {
	/* hot */
	struct memsys *ms;
	bool enabled;           /* iommu.mode != off: DMA goes through it */
	bool coherent;
	struct tlb *iotlb;      /* NULL when iommu.iotlb.entries = 0 */
	struct tlb *pwc[PT_LEVELS + 1];   /* [2..4], NULL where absent */
	uint32_t iotlb_latency, pwc_latency;
	uint64_t rsvd_addr;
	uint64_t rtaddr;        /* root table (RTADDR), 0: not set */
	struct ctx_cache_entry *ctx;
	uint32_t nctx;
	uint64_t ctx_tick;

	/* queued invalidation */
	uint64_t iqa;           /* ring base, 0: not set */
	uint32_t iq_entries, iqh;
	uint32_t cost_page, cost_domain, cost_global, cost_context, cost_wait;

	/* fault log: the first fault_cap faults */
	struct iommu_fault *log;
	uint32_t fault_cap, nlog;

	/* counters ("iommu.*") */
	uint64_t translations, iotlb_hit, iotlb_miss;
	uint64_t ctx_hit, ctx_miss;
	uint64_t walks, walk_refs, walk_cycles;
	uint64_t pwc_hit[PT_LEVELS + 1], pwc_miss[PT_LEVELS + 1];
	uint64_t inv_page, inv_domain, inv_global, inv_context, inv_wait;
	uint64_t inv_cycles, inv_dropped;
	uint64_t faults, fault_reason[IOF_REASONS], faults_unlogged;
};

struct iommu *iommu_create(const struct mmsim_cfg *cfg, struct memsys *ms);
void iommu_destroy(struct iommu *io);
void iommu_stats(struct iommu *io, struct stats *st);

/* Registers. RTADDR with the "set root table pointer" command: every cache
 * is dropped, as after SRTP and the global invalidations that follow it. */
void iommu_set_root(struct iommu *io, paddr_t rtaddr);
/* IQA: the invalidation ring at base (4K aligned), entries descriptors;
 * head and tail start at 0. */
void iommu_set_iq(struct iommu *io, paddr_t base, uint32_t entries);
/* IQT: process the descriptors from the head up to (not including) tail at
 * cycle now; returns the cycles they took (the submitter waits for them). */
cycles_t iommu_write_iqt(struct iommu *io, uint32_t tail, cycles_t now);

/* Translate one access by device sid to iova at cycle now. Returns IOF_NONE
 * with *pa, or the fault reason (the fault is logged and counted). *cycles
 * gets the time taken either way. With the IOMMU off, pa = iova. */
enum iommu_fault_reason iommu_translate(struct iommu *io, uint16_t sid, uint64_t iova,
					bool write, cycles_t now, paddr_t *pa, cycles_t *cycles);

/* IOTLB entries valid now (tests). */
uint32_t iommu_iotlb_occupancy(const struct iommu *io);

#endif
