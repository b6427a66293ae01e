/* Tests of the IOMMU (sim/iommu): root/context tables, the second-level
 * walk with 4K/2M/1G leaves, the IOTLB tagged by domain, the paging-structure
 * caches, the context cache, queued invalidation (page, domain, global,
 * context, wait), the fault log, passthrough and "off", and the DMA engine
 * (data, coherence, a transfer stopped by a fault).
 *
 * Tables are built by hand in simulated memory at their VT-d bit positions
 * (iommu.h). The machine is the default one with 64M in the flat memory
 * model (every memory access costs memory.dram_latency D = 250), so cycles
 * are exact:
 *   context miss: root entry + context entry       = 2D
 *   IOTLB lookup                                   = iommu.iotlb.latency (2)
 *   walk without PWCs: four entries                = 4D
 * so a cold 4K translation costs 2D + 2 + 4D = 1502 cycles, a warm one 2. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "sim/cache/hier.h"
#include "sim/iommu/dmaengine.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/memsys.h"

#define MiB (1ull << 20)
#define ROOT 0x100000ull
#define CTX0 0x101000ull         /* bus 0's context table */
#define TABLES 0x110000ull       /* second-level tables from here */
#define IQ 0x200000ull           /* invalidation queue ring */
#define STATUS 0x201000ull       /* wait-descriptor status dword */
#define IOVA ((1ull << 39) | (2ull << 30) | (3ull << 21) | (4ull << 12))
#define PA 0x800000ull
#define D 250
#define UP (IOPTE_R | IOPTE_W)

struct fx {
	struct mmsim_cfg cfg;
	struct memsys *ms;
	struct iommu *io;
	paddr_t next;
	uint32_t iqt;
};

static void fx_cfg(struct mmsim_cfg *cfg, bool pwcs)
{
	cfg_defaults(cfg);
	cfg->memory.size = 64 * MiB;
	cfg->memory.model = MEMMODEL_FLAT;
	if (!pwcs)
		cfg->iommu.pwc_pml4e.entries = cfg->iommu.pwc_pdpte.entries =
			cfg->iommu.pwc_pde.entries = 0;
}

static void fx_init_cfg(struct fx *f, const struct mmsim_cfg *cfg)
{
	char err[MMSIM_ERR_LEN];
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	cr_assert_eq(cfg_check(&f->cfg, "test", err), 0, "%s", err);
	f->ms = memsys_create(&f->cfg, NULL, err);
	cr_assert_not_null(f->ms);
	f->io = iommu_create(&f->cfg, f->ms);
	f->next = TABLES;
	physmem_write(&f->ms->pm, ROOT, 8, CTX0 | VTD_RE_P);
	iommu_set_root(f->io, ROOT);
	iommu_set_iq(f->io, IQ, 256);
}

static void fx_init(struct fx *f, bool pwcs)
{
	struct mmsim_cfg cfg;
	fx_cfg(&cfg, pwcs);
	fx_init_cfg(f, &cfg);
}

static void fx_fini(struct fx *f)
{
	iommu_destroy(f->io);
	memsys_destroy(f->ms);
}

static paddr_t new_table(struct fx *f)
{
	paddr_t t = f->next;
	f->next += PAGE_SIZE;
	return t;
}

/* Context entry for (bus 0) devfn: translate through pml4 in domain did. */
static void set_ctx(struct fx *f, unsigned devfn, paddr_t pml4, uint16_t did, uint64_t tt)
{
	paddr_t ce = CTX0 + VTD_ENTRY_SIZE * devfn;
	physmem_write(&f->ms->pm, ce, 8, pml4 | (tt << VTD_CE_TT_SHIFT) | VTD_CE_P);
	physmem_write(&f->ms->pm, ce + 8, 8, VTD_CE_AW_48 | ((uint64_t)did << VTD_CE_DID_SHIFT));
}

/* Map iova -> pa in the tables under pml4 with a leaf at `level` (1: 4K,
 * 2: 2M, 3: 1G) carrying rights. Returns the leaf's address. */
static paddr_t map(struct fx *f, paddr_t pml4, uint64_t iova, paddr_t pa, int level,
		   uint64_t rights)
{
	paddr_t table = pml4;
	for (int l = 4; l > level; l--) {
		paddr_t slot = table + 8 * pt_index(iova, l);
		pte_t e = physmem_read(&f->ms->pm, slot, 8);
		if (!(e & UP)) {
			e = new_table(f) | UP;
			physmem_write(&f->ms->pm, slot, 8, e);
		}
		table = e & PTE_ADDR_MASK;
	}
	paddr_t slot = table + 8 * pt_index(iova, level);
	physmem_write(&f->ms->pm, slot, 8, pa | rights | (level > 1 ? PTE_PS : 0));
	return slot;
}

static void qi(struct fx *f, uint64_t lo, uint64_t hi)
{
	physmem_write(&f->ms->pm, IQ + f->iqt * QI_DESC_SIZE, 8, lo);
	physmem_write(&f->ms->pm, IQ + f->iqt * QI_DESC_SIZE + 8, 8, hi);
	f->iqt = (f->iqt + 1) % 256;
}

static enum iommu_fault_reason xl(struct fx *f, uint16_t sid, uint64_t iova, bool write,
				  paddr_t *pa, cycles_t *c)
{
	return iommu_translate(f->io, sid, iova, write, 0, pa, c);
}

Test(iommu, cold_and_warm_4k_translation)
{
	struct fx f;
	fx_init(&f, false);
	paddr_t pml4 = new_table(&f);
	set_ctx(&f, 8, pml4, 7, VTD_TT_TRANSLATE);
	map(&f, pml4, IOVA, PA, 1, IOPTE_R | IOPTE_W);
	paddr_t pa = 0;
	cycles_t c;
	cr_assert_eq(xl(&f, 8, IOVA + 0x123, true, &pa, &c), IOF_NONE);
	cr_assert_eq(pa, PA + 0x123);
	cr_assert_eq(c, 2 * D + 2 + 4 * D);       /* 1502 */
	cr_assert_eq(f.io->walk_refs, 4);
	cr_assert_eq(xl(&f, 8, IOVA + 0x456, false, &pa, &c), IOF_NONE);
	cr_assert_eq(pa, PA + 0x456);
	cr_assert_eq(c, 2);                        /* context cache and IOTLB hit */
	cr_assert_eq(f.io->iotlb_hit, 1);
	cr_assert_eq(f.io->iotlb_miss, 1);
	cr_assert_eq(f.io->ctx_hit, 1);
	cr_assert_eq(f.io->walk_cycles, 4 * D);
	fx_fini(&f);
}

Test(iommu, huge_leaves_2m_and_1g)
{
	struct fx f;
	fx_init(&f, false);
	paddr_t pml4 = new_table(&f);
	set_ctx(&f, 1, pml4, 1, VTD_TT_TRANSLATE);
	map(&f, pml4, 0x40000000ull, 0x1000000ull, 2, IOPTE_R);       /* 2M */
	map(&f, pml4, 0x80000000ull, 0xc0000000ull, 3, IOPTE_R);      /* 1G */
	paddr_t pa;
	cycles_t c;
	cr_assert_eq(xl(&f, 1, 0x40000000ull + 0x12345, false, &pa, &c), IOF_NONE);
	cr_assert_eq(pa, 0x1000000ull + 0x12345);
	cr_assert_eq(f.io->walk_refs, 3);
	cr_assert_eq(xl(&f, 1, 0x80000000ull + 0x3456789, false, &pa, &c), IOF_NONE);
	cr_assert_eq(pa, 0xc0000000ull + 0x3456789);
	cr_assert_eq(f.io->walk_refs, 5);
	/* another 4K page of the same 2M leaf: one IOTLB entry covers it */
	cr_assert_eq(xl(&f, 1, 0x40000000ull + 0x1ff000, false, &pa, &c), IOF_NONE);
	cr_assert_eq(pa, 0x1000000ull + 0x1ff000);
	cr_assert_eq(f.io->iotlb_hit, 1);
	fx_fini(&f);
}

Test(iommu, unmapped_and_read_only_are_blocked_and_logged)
{
	struct fx f;
	fx_init(&f, false);
	paddr_t pml4 = new_table(&f);
	set_ctx(&f, 0x18, pml4, 3, VTD_TT_TRANSLATE);
	map(&f, pml4, IOVA, PA, 1, IOPTE_R);
	paddr_t pa = 0xdead;
	cycles_t c;
	cr_assert_eq(xl(&f, 0x18, IOVA, true, &pa, &c), IOF_READ_ONLY);
	cr_assert_eq(pa, 0xdead);
	cr_assert_eq(xl(&f, 0x18, IOVA, false, &pa, &c), IOF_NONE);
	cr_assert_eq(pa, PA);
	cr_assert_eq(xl(&f, 0x18, IOVA + PAGE_SIZE, false, &pa, &c), IOF_NOT_PRESENT);
	cr_assert_eq(f.io->nlog, 2);
	cr_assert_eq(f.io->log[0].sid, 0x18);
	cr_assert_eq(f.io->log[0].iova, IOVA);
	cr_assert_eq(f.io->log[0].reason, IOF_READ_ONLY);
	cr_assert(f.io->log[0].write);
	cr_assert_eq(f.io->log[1].iova, IOVA + PAGE_SIZE);
	cr_assert_eq(f.io->log[1].reason, IOF_NOT_PRESENT);
	cr_assert_eq(f.io->fault_reason[IOF_NOT_PRESENT], 1);
	cr_assert_eq(f.io->faults, 2);
	/* a device with no context entry, and one on a bus with no root entry */
	cr_assert_eq(xl(&f, 0x20, IOVA, false, &pa, &c), IOF_CTX_NP);
	cr_assert_eq(xl(&f, vtd_sid(3, 0, 0), IOVA, false, &pa, &c), IOF_ROOT_NP);
	fx_fini(&f);
}

Test(iommu, fault_log_keeps_the_first_records)
{
	struct mmsim_cfg cfg;
	fx_cfg(&cfg, false);
	cfg.iommu.fault_log = 2;
	struct fx f;
	fx_init_cfg(&f, &cfg);
	paddr_t pa;
	cycles_t c;
	for (int i = 0; i < 5; i++)
		cr_assert_eq(xl(&f, 0x40, IOVA + i * PAGE_SIZE, false, &pa, &c), IOF_CTX_NP);
	cr_assert_eq(f.io->nlog, 2);
	cr_assert_eq(f.io->log[1].iova, IOVA + PAGE_SIZE);
	cr_assert_eq(f.io->faults_unlogged, 3);
	fx_fini(&f);
}

Test(iommu, iotlb_is_tagged_by_domain)
{
	struct fx f;
	fx_init(&f, false);
	paddr_t a = new_table(&f), b = new_table(&f);
	set_ctx(&f, 1, a, 1, VTD_TT_TRANSLATE);
	set_ctx(&f, 2, b, 2, VTD_TT_TRANSLATE);
	map(&f, a, IOVA, PA, 1, UP);
	map(&f, b, IOVA, PA + 0x10000, 1, UP);
	paddr_t pa;
	cycles_t c;
	for (int round = 0; round < 2; round++) {
		cr_assert_eq(xl(&f, 1, IOVA, false, &pa, &c), IOF_NONE);
		cr_assert_eq(pa, PA);
		cr_assert_eq(xl(&f, 2, IOVA, false, &pa, &c), IOF_NONE);
		cr_assert_eq(pa, PA + 0x10000);
	}
	cr_assert_eq(f.io->iotlb_miss, 2);
	cr_assert_eq(f.io->iotlb_hit, 2);
	fx_fini(&f);
}

Test(iommu, pde_cache_skips_the_upper_levels)
{
	struct fx f;
	fx_init(&f, true);
	paddr_t pml4 = new_table(&f);
	set_ctx(&f, 1, pml4, 1, VTD_TT_TRANSLATE);
	map(&f, pml4, IOVA, PA, 1, UP);
	map(&f, pml4, IOVA + PAGE_SIZE, PA + PAGE_SIZE, 1, UP);
	paddr_t pa;
	cycles_t c;
	cr_assert_eq(xl(&f, 1, IOVA, false, &pa, &c), IOF_NONE);
	cr_assert_eq(f.io->walk_refs, 4);
	cr_assert_eq(xl(&f, 1, IOVA + PAGE_SIZE, false, &pa, &c), IOF_NONE);
	cr_assert_eq(pa, PA + PAGE_SIZE);
	cr_assert_eq(f.io->walk_refs, 5);          /* only the PTE was read */
	cr_assert_eq(f.io->pwc_hit[2], 1);
	cr_assert_eq(c, 2 + 1 + D);                /* IOTLB + PWC lookup + one read */
	fx_fini(&f);
}

Test(iommu, stale_iotlb_until_page_invalidation)
{
	struct fx f;
	fx_init(&f, true);
	paddr_t pml4 = new_table(&f);
	set_ctx(&f, 1, pml4, 5, VTD_TT_TRANSLATE);
	paddr_t leaf = map(&f, pml4, IOVA, PA, 1, UP);
	paddr_t pa;
	cycles_t c;
	cr_assert_eq(xl(&f, 1, IOVA, true, &pa, &c), IOF_NONE);
	physmem_write(&f.ms->pm, leaf, 8, 0);      /* the kernel unmaps... */
	cr_assert_eq(xl(&f, 1, IOVA, true, &pa, &c), IOF_NONE);   /* ...stale hit */
	cr_assert_eq(pa, PA);
	/* page-selective invalidation of domain 5, then a wait with status */
	qi(&f, QI_TYPE_IOTLB | (QI_GRAN_PAGE << QI_GRAN_SHIFT) | (5ull << QI_DID_SHIFT), IOVA);
	qi(&f, QI_TYPE_WAIT | QI_WAIT_SW | (0x77ull << QI_WAIT_DATA_SHIFT), STATUS);
	cycles_t t = iommu_write_iqt(f.io, f.iqt, 0);
	/* two descriptor reads, the page invalidation, the wait and its status write */
	cr_assert_eq(t, D + f.cfg.iommu.inv_page + D + f.cfg.iommu.inv_wait + D);
	cr_assert_eq(physmem_read(&f.ms->pm, STATUS, 4), 0x77);
	cr_assert_eq(f.io->inv_page, 1);
	cr_assert_eq(f.io->inv_wait, 1);
	cr_assert_eq(xl(&f, 1, IOVA, true, &pa, &c), IOF_NOT_PRESENT);
	fx_fini(&f);
}

/* Page-selective invalidation and the paging-structure caches: with IH
 * clear the PML4E/PDPTE/PDE entries covering the page go (the next walk
 * reads all four levels) but those of another 1G region of the domain stay;
 * with IH set only the leaf translation goes (the next walk is one read). */
Test(iommu, page_invalidation_hint_decides_the_pscs)
{
	struct fx f;
	fx_init(&f, true);
	paddr_t pml4 = new_table(&f);
	set_ctx(&f, 1, pml4, 3, VTD_TT_TRANSLATE);
	const uint64_t a = IOVA, b = IOVA + (1ull << 30);   /* same PML4E, other PDPTE */
	map(&f, pml4, a, PA, 1, UP);
	map(&f, pml4, b, PA + PAGE_SIZE, 1, UP);
	paddr_t pa;
	cycles_t c;
	xl(&f, 1, a, false, &pa, &c);
	xl(&f, 1, b, false, &pa, &c);
	cr_assert_eq(f.io->walk_refs, 4 + 3, "b's walk began at the cached PML4E");
	const uint64_t psi = QI_TYPE_IOTLB | (QI_GRAN_PAGE << QI_GRAN_SHIFT) | (3ull << QI_DID_SHIFT);

	/* IH set: leaf only */
	qi(&f, psi, a | QI_IOTLB_IH);
	cr_assert_eq(iommu_write_iqt(f.io, f.iqt, 0), D + f.cfg.iommu.inv_page);
	uint64_t refs = f.io->walk_refs, pde_hits = f.io->pwc_hit[2];
	cr_assert_eq(xl(&f, 1, a, false, &pa, &c), IOF_NONE);
	cr_assert_eq(pa, PA);
	cr_assert_eq(f.io->walk_refs - refs, 1, "the PDE cache still had a's table");
	cr_assert_eq(f.io->pwc_hit[2] - pde_hits, 1);

	/* IH clear: the IOTLB entry and a's PML4E, PDPTE and PDE entries */
	uint64_t dropped = f.io->inv_dropped;
	qi(&f, psi, a);
	iommu_write_iqt(f.io, f.iqt, 0);
	cr_assert_eq(f.io->inv_dropped - dropped, 4, "IOTLB + PDE + PDPTE + PML4E");
	refs = f.io->walk_refs;
	cr_assert_eq(xl(&f, 1, a, false, &pa, &c), IOF_NONE);
	cr_assert_eq(f.io->walk_refs - refs, 4, "a walks from the top again");

	/* b's PDE and PDPTE entries survived; drop b's leaf alone to see it */
	qi(&f, psi, b | QI_IOTLB_IH);
	iommu_write_iqt(f.io, f.iqt, 0);
	refs = f.io->walk_refs;
	cr_assert_eq(xl(&f, 1, b, false, &pa, &c), IOF_NONE);
	cr_assert_eq(pa, PA + PAGE_SIZE);
	cr_assert_eq(f.io->walk_refs - refs, 1);
	fx_fini(&f);
}

Test(iommu, domain_invalidation_keeps_other_domains)
{
	struct fx f;
	fx_init(&f, false);
	paddr_t a = new_table(&f), b = new_table(&f);
	set_ctx(&f, 1, a, 1, VTD_TT_TRANSLATE);
	set_ctx(&f, 2, b, 2, VTD_TT_TRANSLATE);
	map(&f, a, IOVA, PA, 1, UP);
	map(&f, b, IOVA, PA, 1, UP);
	paddr_t pa;
	cycles_t c;
	xl(&f, 1, IOVA, false, &pa, &c);
	xl(&f, 2, IOVA, false, &pa, &c);
	cr_assert_eq(iommu_iotlb_occupancy(f.io), 2);
	qi(&f, QI_TYPE_IOTLB | (QI_GRAN_DOMAIN << QI_GRAN_SHIFT) | (1ull << QI_DID_SHIFT), 0);
	cr_assert_eq(iommu_write_iqt(f.io, f.iqt, 0), D + f.cfg.iommu.inv_domain);
	cr_assert_eq(iommu_iotlb_occupancy(f.io), 1);
	xl(&f, 2, IOVA, false, &pa, &c);
	cr_assert_eq(f.io->iotlb_hit, 1);
	qi(&f, QI_TYPE_IOTLB | (QI_GRAN_GLOBAL << QI_GRAN_SHIFT), 0);
	cr_assert_eq(iommu_write_iqt(f.io, f.iqt, 0), D + f.cfg.iommu.inv_global);
	cr_assert_eq(iommu_iotlb_occupancy(f.io), 0);
	cr_assert_eq(f.io->inv_domain, 1);
	cr_assert_eq(f.io->inv_global, 1);
	fx_fini(&f);
}

Test(iommu, context_cache_needs_invalidation)
{
	struct fx f;
	fx_init(&f, false);
	paddr_t a = new_table(&f);
	set_ctx(&f, 1, a, 1, VTD_TT_TRANSLATE);
	map(&f, a, IOVA, PA, 1, UP);
	paddr_t pa;
	cycles_t c;
	cr_assert_eq(xl(&f, 1, IOVA, false, &pa, &c), IOF_NONE);
	physmem_write(&f.ms->pm, CTX0 + VTD_ENTRY_SIZE, 8, 0);   /* detach the device */
	cr_assert_eq(xl(&f, 1, IOVA, false, &pa, &c), IOF_NONE); /* cached context */
	qi(&f, QI_TYPE_CC | (QI_GRAN_PAGE << QI_GRAN_SHIFT) | (1ull << QI_DID_SHIFT) |
	       (1ull << QI_SID_SHIFT), 0);
	iommu_write_iqt(f.io, f.iqt, 0);
	cr_assert_eq(f.io->inv_context, 1);
	cr_assert_eq(xl(&f, 1, IOVA, false, &pa, &c), IOF_CTX_NP);
	fx_fini(&f);
}

Test(iommu, passthrough_context_and_iommu_off)
{
	struct fx f;
	fx_init(&f, false);
	set_ctx(&f, 1, 0, 9, VTD_TT_PASSTHROUGH);
	paddr_t pa;
	cycles_t c;
	cr_assert_eq(xl(&f, 1, 0x123456, true, &pa, &c), IOF_NONE);
	cr_assert_eq(pa, 0x123456);
	cr_assert_eq(c, 2 * D);                    /* the context entry only */
	cr_assert_eq(f.io->walks, 0);
	fx_fini(&f);

	struct mmsim_cfg cfg;
	fx_cfg(&cfg, false);
	cfg.iommu.mode = IOMMU_OFF;
	fx_init_cfg(&f, &cfg);
	cr_assert_eq(xl(&f, 0x77, 0x654321, true, &pa, &c), IOF_NONE);
	cr_assert_eq(pa, 0x654321);
	cr_assert_eq(c, 0);
	cr_assert_eq(f.io->translations, 0);
	fx_fini(&f);
}

Test(iommu, reserved_bits_fault)
{
	struct fx f;
	fx_init(&f, false);
	paddr_t a = new_table(&f);
	set_ctx(&f, 1, a, 1, VTD_TT_TRANSLATE);
	map(&f, a, IOVA, PA | (1ull << 50), 1, UP);   /* above maxphyaddr 46 */
	paddr_t pa;
	cycles_t c;
	cr_assert_eq(xl(&f, 1, IOVA, false, &pa, &c), IOF_RSVD);
	fx_fini(&f);
}

/* --- DMA engine ---------------------------------------------------------- */

Test(dmaengine, write_then_read_back_through_the_iommu)
{
	struct fx f;
	fx_init(&f, false);
	paddr_t a = new_table(&f);
	set_ctx(&f, 1, a, 1, VTD_TT_TRANSLATE);
	map(&f, a, IOVA, PA + 3 * PAGE_SIZE, 1, UP);        /* scattered frames */
	map(&f, a, IOVA + PAGE_SIZE, PA, 1, UP);
	struct iodev d = { .name = "nic", .sid = 1, .behind_iommu = true };
	uint8_t out[6000], in[6000];
	for (unsigned i = 0; i < sizeof out; i++)
		out[i] = (uint8_t)(i * 7);
	cycles_t c;
	uint64_t done;
	cr_assert_eq(dma_xfer(f.io, &d, IOVA + 100, sizeof out, true, out, 16, 0, &c, &done),
		     IOF_NONE);
	cr_assert_eq(done, sizeof out);
	/* the bytes landed in the two frames the IOVAs map to */
	cr_assert_eq(physmem_read(&f.ms->pm, PA + 3 * PAGE_SIZE + 100, 1), out[0]);
	cr_assert_eq(physmem_read(&f.ms->pm, PA, 1), out[PAGE_SIZE - 100]);
	cr_assert_eq(dma_xfer(f.io, &d, IOVA + 100, sizeof in, false, in, 16, 0, &c, &done),
		     IOF_NONE);
	cr_assert_eq(memcmp(in, out, sizeof in), 0);
	cr_assert_eq(d.bytes_written, sizeof out);
	cr_assert_eq(d.bytes_read, sizeof in);
	/* two IOTLB hits: 2 + 2, 6000 bytes at 16 per cycle, one line D */
	cr_assert_eq(c, 4 + 375 + D);
	fx_fini(&f);
}

Test(dmaengine, fault_stops_the_transfer)
{
	struct fx f;
	fx_init(&f, false);
	paddr_t a = new_table(&f);
	set_ctx(&f, 1, a, 1, VTD_TT_TRANSLATE);
	map(&f, a, IOVA, PA, 1, UP);
	struct iodev d = { .name = "nic", .sid = 1, .behind_iommu = true };
	uint8_t buf[3 * PAGE_SIZE];
	memset(buf, 0xab, sizeof buf);
	cycles_t c;
	uint64_t done;
	cr_assert_eq(dma_xfer(f.io, &d, IOVA, sizeof buf, true, buf, 16, 0, &c, &done),
		     IOF_NOT_PRESENT);
	cr_assert_eq(done, PAGE_SIZE);
	cr_assert_eq(d.faults, 1);
	cr_assert_eq(d.fault_reason[IOF_NOT_PRESENT], 1);
	cr_assert_eq(f.io->log[0].iova, IOVA + PAGE_SIZE);
	cr_assert_eq(physmem_read(&f.ms->pm, PA + PAGE_SIZE - 1, 1), 0xab);
	fx_fini(&f);
}

Test(dmaengine, dma_write_drops_cached_copies)
{
	struct mmsim_cfg cfg;
	fx_cfg(&cfg, false);
	cfg.memory.model = MEMMODEL_HIERARCHY;
	struct fx f;
	fx_init_cfg(&f, &cfg);
	struct iodev d = { .name = "old", .sid = 1, .behind_iommu = false };
	memsys_access(f.ms, 1, PA, MEM_STORE, true, 0);     /* core 1 holds it M */
	cr_assert_eq(hier_state(f.ms->hier, 1, PA), MESI_M);
	uint64_t v = 0x1122334455667788ull, done;
	cycles_t c;
	cr_assert_eq(dma_xfer(f.io, &d, PA, 8, true, (uint8_t *)&v, 16, 0, &c, &done), IOF_NONE);
	cr_assert_eq(hier_state(f.ms->hier, 1, PA), MESI_I);
	cr_assert_eq(physmem_read(&f.ms->pm, PA, 8), v);
	fx_fini(&f);
}
