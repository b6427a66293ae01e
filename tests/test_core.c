/* Tests of a core's translation path (core_translate in sim/cpu/core.h) and
 * of its TLB-management instructions (MOV to CR3, INVLPG, INVPCID): the L1
 * iTLB/dTLB arrays per page size, the unified STLB (and the separate 1G
 * STLB), inclusion, PCIDs and global pages, the paging-structure caches as
 * seen from the core, NX/SMEP/SMAP through the TLBs, LA57, and memory beyond
 * memory.size.
 *
 * Page tables are built by hand in simulated physical memory as in
 * test_walk.c. The time of a translation is exact:
 *
 *   L1 probe (every access)              = the side's slowest L1 array   (L)
 *   STLB probe (after an L1 miss)        = tlb.stlb.latency              (S)
 *   PSC lookup (once per walk)           = the longest enabled PWC       (P)
 *   read of an entry                     = memory.dram_latency           (D)
 *   locked A/D update                    = mmu.ad_update + D             (U)
 *
 * With the defaults (L = 1, S = 9, P = 1, D = 250, U = 270) a cold 4K read
 * costs 1 + 9 + 1 + 4*250 + 4*270 = 2091. Many tests disable the PWCs
 * (P = 0, 4 references per 4K walk) to keep the arithmetic of the walk
 * plain; the PWC tests keep them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/stats.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"
#include "sim/mmu/walk.h"
#include "sim/tlb/tlb.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

#define TABLES_BASE 0x100000ull
#define MAX_TABLES  64
#define UPPER (PTE_P | PTE_RW | PTE_US)
#define USER_RW (PTE_P | PTE_RW | PTE_US)
#define KERN_RW (PTE_P | PTE_RW)

/* PML4 3, PDPT 5, PD 7, PT 9, offset 0xabc */
#define VA  ((3ull << 39) | (5ull << 30) | (7ull << 21) | (9ull << 12) | 0xabcull)
#define VA57 ((2ull << 48) | VA)
#define PA_4K 0x2345000ull
#define PA_2M 0x2400000ull
#define PA_1G 0xc0000000ull

/* Addresses sharing VA's upper levels down to: its PDE (SAME_2M), its PDPTE
 * (SAME_1G), its PML4E (SAME_512G); OTHER shares nothing. */
#define SAME_2M   (VA + 3 * PAGE_SIZE)
#define SAME_1G   (VA + (2ull << 21))
#define SAME_512G (VA + (2ull << 30))
#define OTHER     (VA + (2ull << 39))

struct cx {
	struct mmsim_cfg cfg;
	struct memsys *ms;
	struct core *c;
	uint64_t root;          /* physical address of the PML4 (PML5) */
	paddr_t next_table;
	int levels;
};

/* The default machine with 64M in the flat memory model: every memory
 * access costs memory.dram_latency, so cycle sums are exact by hand. */
static void cfg_base(struct mmsim_cfg *cfg)
{
	cfg_defaults(cfg);
	cfg->memory.size = 64 * MiB;
	cfg->memory.model = MEMMODEL_FLAT;
}

static void no_pwcs(struct mmsim_cfg *cfg)
{
	cfg->mmu.pwc_pml5e.entries = 0;
	cfg->mmu.pwc_pml4e.entries = 0;
	cfg->mmu.pwc_pdpte.entries = 0;
	cfg->mmu.pwc_pde.entries = 0;
}

static paddr_t new_table(struct cx *x)
{
	cr_assert_lt(x->next_table, TABLES_BASE + MAX_TABLES * PAGE_SIZE);
	paddr_t t = x->next_table;
	x->next_table += PAGE_SIZE;
	return t;
}

static void cx_init_cfg(struct cx *x, const struct mmsim_cfg *cfg)
{
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(cfg_check(cfg, "test", err), 0, "%s", err);
	x->cfg = *cfg;
	x->ms = memsys_create(&x->cfg, NULL, err);
	cr_assert_not_null(x->ms);
	x->levels = cfg->mmu.la57 ? 5 : 4;
	x->next_table = TABLES_BASE;
	x->root = new_table(x);
	x->c = core_create(&x->cfg, 0, x->ms, NULL);
	cr_assert_not_null(x->c);
	core_load_cr3(x->c, x->root);
}

/* The default machine with 64M and no PWCs. */
static void cx_init(struct cx *x)
{
	struct mmsim_cfg cfg;
	cfg_base(&cfg);
	no_pwcs(&cfg);
	cx_init_cfg(x, &cfg);
	cr_assert_eq(x->c->walker.pwc_latency, 0);
}

/* The default machine with 64M. */
static void cx_init_default(struct cx *x)
{
	struct mmsim_cfg cfg;
	cfg_base(&cfg);
	cx_init_cfg(x, &cfg);
}

static void cx_fini(struct cx *x)
{
	core_destroy(x->c);
	memsys_destroy(x->ms);
}

static pte_t rd(const struct cx *x, paddr_t pa) { return physmem_read(&x->ms->pm, pa, 8); }
static void wr(struct cx *x, paddr_t pa, pte_t v) { physmem_write(&x->ms->pm, pa, 8, v); }

static void map(struct cx *x, vaddr_t va, paddr_t pa, int level, pte_t flags)
{
	paddr_t table = x->root;
	for (int l = x->levels; l > level; l--) {
		paddr_t s = table + 8 * pt_index(va, l);
		pte_t e = rd(x, s);
		if (!(e & PTE_P)) {
			e = new_table(x) | UPPER;
			wr(x, s, e);
		}
		table = e & PTE_ADDR_MASK;
	}
	wr(x, table + 8 * pt_index(va, level), pa | flags | (level > 1 ? PTE_PS : 0));
}

static paddr_t slot_of(const struct cx *x, vaddr_t va, int level)
{
	paddr_t table = x->root;
	for (int l = x->levels; l > level; l--) {
		pte_t e = rd(x, table + 8 * pt_index(va, l));
		cr_assert(e & PTE_P, "slot_of: level %d not present", l);
		table = e & PTE_ADDR_MASK;
	}
	return table + 8 * pt_index(va, level);
}

static pte_t ent(const struct cx *x, vaddr_t va, int level) { return rd(x, slot_of(x, va, level)); }
static void set_bits(struct cx *x, vaddr_t va, int level, pte_t bits)
{
	paddr_t s = slot_of(x, va, level);
	wr(x, s, rd(x, s) | bits);
}
static void clear_bits(struct cx *x, vaddr_t va, int level, pte_t bits)
{
	paddr_t s = slot_of(x, va, level);
	wr(x, s, rd(x, s) & ~bits);
}

static uint64_t L(const struct cx *x) { return x->c->l1_latency[SIDE_D]; }
static uint64_t LI(const struct cx *x) { return x->c->l1_latency[SIDE_I]; }
static uint64_t S(const struct cx *x) { return x->c->stlb->latency; }
static uint64_t P(const struct cx *x) { return x->c->walker.pwc_latency; }
static uint64_t D(const struct cx *x) { return x->cfg.memory.dram_latency; }
static uint64_t U(const struct cx *x) { return x->cfg.mmu.ad_update + D(x); }

static struct tlb *dtlb(const struct cx *x, int size) { return x->c->l1[SIDE_D][size]; }
static struct tlb *itlb(const struct cx *x, int size) { return x->c->l1[SIDE_I][size]; }

/* Translate and return the cycles it took; the result must be `want`
 * (0, or PF_RAISED | the error code). */
static cycles_t translate(struct cx *x, vaddr_t va, uint32_t access, uint32_t want,
			  paddr_t *pa)
{
	cycles_t t0 = x->c->clock;
	paddr_t p = ~0ull;
	uint32_t code = core_translate(x->c, va, access, &p);
	cr_assert_eq(code, want, "translate %#llx access %#x: result %#x, want %#x",
		     (unsigned long long)va, access, code, want);
	if (pa)
		*pa = p;
	return x->c->clock - t0;
}

/* Translate successfully and return the walk references it made. */
static uint64_t refs(struct cx *x, vaddr_t va, uint32_t access)
{
	uint64_t r0 = x->c->walker.refs;
	translate(x, va, access, 0, NULL);
	return x->c->walker.refs - r0;
}

/* Does t hold an entry translating va for pcid (any size t holds)? Without
 * touching replacement state or counters. */
static bool cached(const struct tlb *t, vaddr_t va, uint16_t pcid)
{
	if (!t)
		return false;
	for (unsigned i = 0; i < t->nshifts; i++) {
		uint64_t vpn = va >> t->shifts[i];
		const struct tlb_entry *s = t->e + tlb_index(t, vpn) * t->ways;
		for (uint32_t w = 0; w < t->ways; w++)
			if (tlb_match(&s[w], vpn, t->shifts[i], pcid))
				return true;
	}
	return false;
}

static void load_cr3(struct cx *x, uint16_t pcid, bool noflush)
{
	core_load_cr3(x->c, x->root | pcid | (noflush ? CR3_NOFLUSH : 0));
}

/* --- miss, walk, fill, hit ------------------------------------------------------- */

Test(core, miss_walk_fill_then_hit)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, USER_RW);

	paddr_t pa;
	/* miss: 1 + 9 + 4*250 + 4*270 = 2090 */
	cr_assert_eq(translate(&x, VA, PF_U, 0, &pa), L(&x) + S(&x) + 4 * D(&x) + 4 * U(&x));
	cr_assert_eq(pa, PA_4K | 0xabc);
	cr_assert_eq(x.c->l1_miss[SIDE_D], 1);
	cr_assert_eq(x.c->l1_hit[SIDE_D], 0);
	cr_assert_eq(x.c->l1_miss_size[SIDE_D][PS_4K], 1);
	cr_assert_eq(x.c->stlb_miss, 1);
	cr_assert_eq(dtlb(&x, PS_4K)->fills, 1);
	cr_assert_eq(x.c->stlb->fills, 1);
	cr_assert_eq(x.c->walker.walks, 1);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 1);
	cr_assert_eq(tlb_occupancy(x.c->stlb), 1);
	cr_assert_eq(tlb_occupancy(itlb(&x, PS_4K)), 0);

	/* hit, another offset in the page: 1 cycle, no walk */
	cr_assert_eq(translate(&x, VA + 0x10, PF_U, 0, &pa), L(&x));
	cr_assert_eq(pa, PA_4K | 0xacc);
	cr_assert_eq(x.c->l1_hit[SIDE_D], 1);
	cr_assert_eq(x.c->l1_miss[SIDE_D], 1);
	cr_assert_eq(dtlb(&x, PS_4K)->hits, 1);
	cr_assert_eq(x.c->walker.walks, 1);
	cr_assert_eq(x.c->page_faults, 0);
	cx_fini(&x);
}

Test(core, store_through_clean_entry_rewalks_once)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, USER_RW);

	paddr_t pa;
	translate(&x, VA, PF_U, 0, &pa);               /* cached with D clear */
	cr_assert_not(ent(&x, VA, 1) & PTE_D);

	/* L1 hit, D clear: drop and walk again, setting D: 1 + 1000 + 270 */
	cr_assert_eq(translate(&x, VA, PF_W | PF_U, 0, &pa), L(&x) + 4 * D(&x) + U(&x));
	cr_assert_eq(pa, PA_4K | 0xabc);
	cr_assert_eq(x.c->dirty_rewalks, 1);
	cr_assert_eq(x.c->walker.walks, 2);
	cr_assert_eq(dtlb(&x, PS_4K)->evictions, 0);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 1);
	cr_assert_eq(tlb_occupancy(x.c->stlb), 1);
	cr_assert(ent(&x, VA, 1) & PTE_D);

	/* the refilled entries are dirty: stores hit from now on */
	cr_assert_eq(translate(&x, VA, PF_W | PF_U, 0, &pa), L(&x));
	cr_assert_eq(x.c->dirty_rewalks, 1);
	cr_assert_eq(x.c->walker.walks, 2);
	cr_assert_eq(x.c->page_faults, 0);
	cx_fini(&x);
}

Test(core, first_store_caches_dirty)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, USER_RW);
	/* miss, walk sets 3 upper A + the leaf's A+D in one: 1 + 9 + 1000 + 4*270 */
	cr_assert_eq(translate(&x, VA, PF_W | PF_U, 0, NULL),
		     L(&x) + S(&x) + 4 * D(&x) + 4 * U(&x));
	cr_assert_eq(x.c->walker.ad_writes, 4);
	cr_assert_eq(translate(&x, VA, PF_W | PF_U, 0, NULL), L(&x));
	cr_assert_eq(x.c->dirty_rewalks, 0);
	cx_fini(&x);
}

/* A clean entry found in the STLB (not the L1) also walks again for a store. */
Test(core, store_through_clean_stlb_entry_rewalks)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, USER_RW);
	translate(&x, VA, PF_U, 0, NULL);
	tlb_flush_all(dtlb(&x, PS_4K));                /* only the STLB holds it now */
	cr_assert_eq(translate(&x, VA, PF_W | PF_U, 0, NULL),
		     L(&x) + S(&x) + 4 * D(&x) + U(&x));
	cr_assert_eq(x.c->dirty_rewalks, 1);
	cr_assert_eq(x.c->stlb_hit[PS_4K], 0);
	cr_assert(ent(&x, VA, 1) & PTE_D);
	cr_assert_eq(translate(&x, VA, PF_W | PF_U, 0, NULL), L(&x));
	cx_fini(&x);
}

Test(core, store_to_read_only_entry_faults_and_drops)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, PTE_P | PTE_US);

	translate(&x, VA, PF_U, 0, NULL);              /* cached read-only */
	cr_assert_eq(x.c->walker.walks, 1);

	/* hit with too few rights: fault from the TLB, no walk, entries dropped */
	cr_assert_eq(translate(&x, VA, PF_W | PF_U, PF_RAISED | PF_P | PF_W | PF_U, NULL), L(&x));
	cr_assert_eq(x.c->walker.walks, 1);
	cr_assert_eq(x.c->page_faults, 1);
	cr_assert_eq(x.c->dirty_rewalks, 0);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 0);
	cr_assert_eq(tlb_occupancy(x.c->stlb), 0);
	cr_assert_not(ent(&x, VA, 1) & PTE_D);

	/* the next access misses and walks */
	uint64_t misses = x.c->l1_miss[SIDE_D];
	translate(&x, VA, PF_U, 0, NULL);
	cr_assert_eq(x.c->l1_miss[SIDE_D], misses + 1);
	cr_assert_eq(x.c->walker.walks, 2);

	/* with a walk: the walker's own code */
	core_invlpg(x.c, VA);
	translate(&x, VA, PF_W | PF_U, PF_RAISED | PF_P | PF_W | PF_U, NULL);
	cr_assert_eq(x.c->walker.walks, 3);
	cr_assert_eq(x.c->page_faults, 2);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 0);
	cx_fini(&x);
}

/* A supervisor page cached by a kernel-mode access, then touched by user code. */
Test(core, user_access_to_cached_supervisor_entry)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, KERN_RW);
	translate(&x, VA, 0, 0, NULL);
	cr_assert_eq(translate(&x, VA, PF_U, PF_RAISED | PF_P | PF_U, NULL), L(&x));
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 0);
	cr_assert_eq(x.c->walker.walks, 1);
	cx_fini(&x);
}

Test(core, fault_fills_nothing)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, USER_RW);
	clear_bits(&x, VA, 2, PTE_P);
	/* 1 + 9 + 3 reads */
	cr_assert_eq(translate(&x, VA, PF_U, PF_RAISED | PF_U, NULL), L(&x) + S(&x) + 3 * D(&x));
	cr_assert_eq(x.c->page_faults, 1);
	cr_assert_eq(dtlb(&x, PS_4K)->fills, 0);
	cr_assert_eq(x.c->stlb->fills, 0);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 0);
	cx_fini(&x);
}

/* Error code 0 (a supervisor read of a not-present page) is still a fault:
 * PF_RAISED | 0, and nothing is cached. */
Test(core, not_present_supervisor_read_fills_nothing)
{
	struct cx x;
	cx_init(&x);
	paddr_t pa = 0;
	translate(&x, VA, 0, PF_RAISED, &pa);
	cr_assert_eq(x.c->walker.faults, 1);
	cr_assert_eq(x.c->page_faults, 1);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 0);
	cr_assert_eq(tlb_occupancy(x.c->stlb), 0);
	cx_fini(&x);
}

Test(core, invlpg_drops_one_page)
{
	struct cx x;
	cx_init(&x);
	for (int i = 0; i < 3; i++)
		map(&x, VA + i * PAGE_SIZE, PA_4K + i * PAGE_SIZE, 1, USER_RW);
	for (int i = 0; i < 3; i++)
		translate(&x, VA + i * PAGE_SIZE, PF_U, 0, NULL);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 3);

	cycles_t t0 = x.c->clock;
	core_invlpg(x.c, VA + PAGE_SIZE + 0x123);      /* any address in the page */
	cr_assert_eq(x.c->clock - t0, x.cfg.cpu.invlpg);
	cr_assert_eq(x.c->invlpgs, 1);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 2);
	cr_assert_eq(tlb_occupancy(x.c->stlb), 2);

	uint64_t walks = x.c->walker.walks;
	paddr_t pa;
	cr_assert_eq(translate(&x, VA, PF_U, 0, &pa), L(&x));
	cr_assert_eq(translate(&x, VA + 2 * PAGE_SIZE, PF_U, 0, &pa), L(&x));
	cr_assert_eq(pa, PA_4K + 2 * PAGE_SIZE + 0xabc);
	cr_assert_eq(x.c->walker.walks, walks);
	/* the dropped page walks again (A set now): 1 + 9 + 1000 */
	cr_assert_eq(translate(&x, VA + PAGE_SIZE, PF_U, 0, &pa), L(&x) + S(&x) + 4 * D(&x));
	cr_assert_eq(pa, PA_4K + PAGE_SIZE + 0xabc);
	cr_assert_eq(x.c->walker.walks, walks + 1);
	cx_fini(&x);
}

/* Stale translation, as on hardware: the kernel changes a PTE without a flush
 * and the core keeps using the old frame until INVLPG. */
Test(core, stale_until_invlpg)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, USER_RW);
	paddr_t pa;
	translate(&x, VA, PF_U, 0, &pa);
	wr(&x, slot_of(&x, VA, 1), (PA_4K + 8 * PAGE_SIZE) | USER_RW);
	translate(&x, VA, PF_U, 0, &pa);
	cr_assert_eq(pa, PA_4K | 0xabc);
	tlb_flush_all(dtlb(&x, PS_4K));               /* the STLB still has it */
	translate(&x, VA, PF_U, 0, &pa);
	cr_assert_eq(pa, PA_4K | 0xabc);
	core_invlpg(x.c, VA);
	translate(&x, VA, PF_U, 0, &pa);
	cr_assert_eq(pa, (PA_4K + 8 * PAGE_SIZE) | 0xabc);
	cx_fini(&x);
}

/* --- the STLB ---------------------------------------------------------------------- */

/* An STLB hit fills the L1 and costs L + S. The L1 4K dTLB here has one
 * entry, so B's fill pushes A out of it (A stays in the STLB). */
Test(core, stlb_hit_fills_l1)
{
	struct mmsim_cfg cfg;
	cfg_base(&cfg);
	no_pwcs(&cfg);
	cfg.tlb.l1d_4k.entries = 1;
	cfg.tlb.l1d_4k.ways = 1;
	struct cx x;
	cx_init_cfg(&x, &cfg);
	vaddr_t a = VA, b = VA + PAGE_SIZE;
	map(&x, a, PA_4K, 1, USER_RW);
	map(&x, b, PA_4K + PAGE_SIZE, 1, USER_RW);
	translate(&x, a, PF_U, 0, NULL);
	translate(&x, b, PF_U, 0, NULL);
	cr_assert_not(cached(dtlb(&x, PS_4K), a, 0));
	cr_assert(cached(x.c->stlb, a, 0));
	paddr_t pa;
	cr_assert_eq(translate(&x, a, PF_U, 0, &pa), L(&x) + S(&x));
	cr_assert_eq(pa, PA_4K | 0xabc);
	cr_assert_eq(x.c->stlb_hit[PS_4K], 1);
	cr_assert_eq(x.c->stlb_miss, 2);
	cr_assert_eq(x.c->l1_miss[SIDE_D], 3);
	cr_assert_eq(x.c->l1_miss_size[SIDE_D][PS_4K], 3);
	cr_assert_eq(x.c->walker.walks, 2);
	cr_assert(cached(dtlb(&x, PS_4K), a, 0), "the STLB hit filled the L1");
	cr_assert_eq(translate(&x, a, PF_U, 0, &pa), L(&x));
	cr_assert_eq(x.c->l1_hit[SIDE_D], 1);
	cx_fini(&x);
}

/* tlb.inclusive: an entry the STLB evicts is dropped from the L1s too (both
 * sides); without it the L1 copy stays. The STLB here has one entry. */
Test(core, inclusive_back_invalidation)
{
	for (int inclusive = 0; inclusive <= 1; inclusive++) {
		struct mmsim_cfg cfg;
		cfg_base(&cfg);
		no_pwcs(&cfg);
		cfg.tlb.inclusive = inclusive;
		cfg.tlb.stlb.entries = 1;
		cfg.tlb.stlb.ways = 1;
		struct cx x;
		cx_init_cfg(&x, &cfg);
		vaddr_t a = VA, b = VA + PAGE_SIZE, c = VA + 2 * PAGE_SIZE;
		map(&x, a, PA_4K, 1, USER_RW);
		map(&x, b, PA_4K + PAGE_SIZE, 1, USER_RW);
		map(&x, c, PA_4K + 2 * PAGE_SIZE, 1, USER_RW);
		translate(&x, a, PF_U, 0, NULL);
		translate(&x, b, PF_I | PF_U, 0, NULL);    /* evicts a from the STLB */
		cr_assert_eq(x.c->stlb->evictions, 1);
		cr_assert_eq(cached(dtlb(&x, PS_4K), a, 0), !inclusive, "inclusive %d", inclusive);
		cr_assert(cached(itlb(&x, PS_4K), b, 0));
		translate(&x, c, PF_U, 0, NULL);           /* evicts b (an iTLB entry) */
		cr_assert_eq(cached(itlb(&x, PS_4K), b, 0), !inclusive, "inclusive %d", inclusive);
		cr_assert(cached(dtlb(&x, PS_4K), c, 0));

		uint64_t walks = x.c->walker.walks;
		cr_assert_eq(translate(&x, a, PF_U, 0, NULL),
			     inclusive ? L(&x) + S(&x) + 4 * D(&x) : L(&x));
		cr_assert_eq(x.c->walker.walks, walks + (uint64_t)inclusive);
		cx_fini(&x);
	}
}

/* A 4K page and a 2M page whose VPN numbers are equal (0x205) are two STLB
 * entries in the same set; neither answers for the other. */
Test(core, stlb_mixed_sizes_never_alias)
{
	struct cx x;
	cx_init(&x);
	const vaddr_t va4k = 0x205ull << 12, va2m = 0x205ull << 21;
	map(&x, va4k, PA_4K, 1, USER_RW);
	map(&x, va2m, PA_2M, 2, USER_RW);
	paddr_t pa;
	translate(&x, va4k + 0x10, PF_U, 0, &pa);
	cr_assert_eq(pa, PA_4K + 0x10);
	translate(&x, va2m + 0x10, PF_U, 0, &pa);
	cr_assert_eq(pa, PA_2M + 0x10);
	cr_assert_eq(tlb_occupancy(x.c->stlb), 2);
	cr_assert_eq(tlb_index(x.c->stlb, va4k >> 12), tlb_index(x.c->stlb, va2m >> 21));
	for (int s = 0; s < PS_SIZES; s++)
		tlb_flush_all(dtlb(&x, s));
	cr_assert_eq(translate(&x, va2m + 0x20, PF_U, 0, &pa), L(&x) + S(&x));
	cr_assert_eq(pa, PA_2M + 0x20);
	cr_assert_eq(translate(&x, va4k + 0x20, PF_U, 0, &pa), L(&x) + S(&x));
	cr_assert_eq(pa, PA_4K + 0x20);
	cr_assert_eq(x.c->stlb_hit[PS_4K], 1);
	cr_assert_eq(x.c->stlb_hit[PS_2M], 1);
	cr_assert_eq(x.c->walker.walks, 2);
	cx_fini(&x);
}

/* --- huge pages --------------------------------------------------------------------- */

/* A 2M leaf fills the 2M L1 dTLB and the STLB (default sizes 4k+2m); a 1G
 * leaf the 1G L1 dTLB and the separate 1G STLB. */
Test(core, huge_pages_fill_their_arrays)
{
	struct cx x;
	cx_init(&x);
	cr_assert_eq(x.cfg.tlb.stlb_sizes, STLB_4K_2M);
	cr_assert_not_null(x.c->stlb1g);
	vaddr_t va1g = VA + 2 * GiB;
	map(&x, VA, PA_2M, 2, USER_RW);
	map(&x, va1g, PA_1G, 3, USER_RW);
	paddr_t pa;
	/* 2M: 1 + 9 + 3 reads + 3 A */
	cr_assert_eq(translate(&x, VA, PF_U, 0, &pa), L(&x) + S(&x) + 3 * D(&x) + 3 * U(&x));
	cr_assert_eq(pa, PA_2M | 0x9abc);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_2M)), 1);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 0);
	cr_assert_eq(tlb_occupancy(x.c->stlb), 1);
	cr_assert(cached(x.c->stlb, VA, 0));
	cr_assert_eq(x.c->l1_miss_size[SIDE_D][PS_2M], 1);
	/* anywhere in the 2M page hits */
	cr_assert_eq(translate(&x, (VA & ~(2 * MiB - 1)) + 2 * MiB - 1, PF_U, 0, &pa), L(&x));
	cr_assert_eq(pa, PA_2M + 2 * MiB - 1);
	cr_assert_eq(dtlb(&x, PS_2M)->hits, 1);

	/* 1G: 1 + 9 + 2 reads + the PDPTE's A (the PML4E's is set) */
	cr_assert_eq(translate(&x, va1g, PF_U, 0, &pa), L(&x) + S(&x) + 2 * D(&x) + U(&x));
	cr_assert_eq(pa, PA_1G | 0xe09abc);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_1G)), 1);
	cr_assert_eq(tlb_occupancy(x.c->stlb1g), 1);
	cr_assert_eq(tlb_occupancy(x.c->stlb), 1);
	cr_assert_eq(x.c->l1_miss_size[SIDE_D][PS_1G], 1);
	cr_assert_eq(translate(&x, va1g + 0x3000000, PF_U, 0, &pa), L(&x));
	cr_assert_eq(pa, (PA_1G | 0xe09abc) + 0x3000000);

	/* from the STLBs once the L1s lost them */
	tlb_flush_all(dtlb(&x, PS_2M));
	tlb_flush_all(dtlb(&x, PS_1G));
	cr_assert_eq(translate(&x, VA, PF_U, 0, NULL), L(&x) + S(&x));
	cr_assert_eq(translate(&x, va1g, PF_U, 0, NULL), L(&x) + S(&x));
	cr_assert_eq(x.c->stlb_hit[PS_2M], 1);
	cr_assert_eq(x.c->stlb_hit[PS_1G], 1);
	cr_assert_eq(x.c->walker.walks, 2);
	cx_fini(&x);
}

/* tlb.stlb.sizes = "4k": a 2M translation is not put in the STLB, so once
 * the L1 loses it the next access walks. "4k+2m+1g": 1G pages share the STLB
 * and no separate 1G STLB is made. */
Test(core, stlb_sizes)
{
	struct mmsim_cfg cfg;
	cfg_base(&cfg);
	no_pwcs(&cfg);
	cfg.tlb.stlb_sizes = STLB_4K;
	struct cx x;
	cx_init_cfg(&x, &cfg);
	cr_assert_eq(x.c->stlb->nshifts, 1);
	cr_assert_not(x.c->stlb_has[PS_2M]);
	map(&x, VA, PA_2M, 2, USER_RW);
	map(&x, VA + 2 * GiB, PA_1G, 3, USER_RW);
	translate(&x, VA, PF_U, 0, NULL);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_2M)), 1);
	cr_assert_eq(tlb_occupancy(x.c->stlb), 0, "a 2M entry in a 4k-only STLB");
	tlb_flush_all(dtlb(&x, PS_2M));
	cr_assert_eq(translate(&x, VA, PF_U, 0, NULL), L(&x) + S(&x) + 3 * D(&x));
	cr_assert_eq(x.c->stlb_hit[PS_2M], 0);
	cr_assert_eq(x.c->walker.walks, 2);
	translate(&x, VA + 2 * GiB, PF_U, 0, NULL);    /* 1G: the 1G STLB still */
	cr_assert_eq(tlb_occupancy(x.c->stlb1g), 1);
	cx_fini(&x);

	/* 4k+2m+1g */
	cfg.tlb.stlb_sizes = STLB_4K_2M_1G;
	cx_init_cfg(&x, &cfg);
	cr_assert_null(x.c->stlb1g);
	cr_assert_eq(x.c->stlb->nshifts, 3);
	map(&x, VA + 2 * GiB, PA_1G, 3, USER_RW);
	translate(&x, VA + 2 * GiB, PF_U, 0, NULL);
	cr_assert(cached(x.c->stlb, VA + 2 * GiB, 0));
	tlb_flush_all(dtlb(&x, PS_1G));
	cr_assert_eq(translate(&x, VA + 2 * GiB, PF_U, 0, NULL), L(&x) + S(&x));
	cr_assert_eq(x.c->stlb_hit[PS_1G], 1);
	cx_fini(&x);

	/* 4k+2m and no 1G STLB: a 1G page lives in the L1 only */
	cfg.tlb.stlb_sizes = STLB_4K_2M;
	cfg.tlb.stlb_1g.entries = 0;
	cx_init_cfg(&x, &cfg);
	cr_assert_null(x.c->stlb1g);
	map(&x, VA + 2 * GiB, PA_1G, 3, USER_RW);
	translate(&x, VA + 2 * GiB, PF_U, 0, NULL);
	cr_assert_eq(tlb_occupancy(x.c->stlb), 0);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_1G)), 1);
	cx_fini(&x);
}

/* Without any STLB (entries 0) an L1 miss goes straight to the walk. */
Test(core, no_stlb)
{
	struct mmsim_cfg cfg;
	cfg_base(&cfg);
	no_pwcs(&cfg);
	cfg.tlb.stlb.entries = 0;
	cfg.tlb.stlb_1g.entries = 0;
	struct cx x;
	cx_init_cfg(&x, &cfg);
	cr_assert_null(x.c->stlb);
	cr_assert_null(x.c->stlb1g);
	map(&x, VA, PA_4K, 1, USER_RW);
	map(&x, VA + 2 * GiB, PA_1G, 3, USER_RW);
	cr_assert_eq(translate(&x, VA, PF_U, 0, NULL), L(&x) + 4 * D(&x) + 4 * U(&x));
	cr_assert_eq(translate(&x, VA, PF_U, 0, NULL), L(&x));
	translate(&x, VA + 2 * GiB, PF_U, 0, NULL);
	cr_assert_eq(translate(&x, VA + 2 * GiB, PF_U, 0, NULL), L(&x));
	cr_assert_eq(x.c->stlb_miss, 2);
	cx_fini(&x);
}

/* INVLPG drops every size that covers the address: a 2M page by any
 * address inside it, in the L1 2M array and the STLB. */
Test(core, invlpg_drops_huge_pages)
{
	struct cx x;
	cx_init(&x);
	vaddr_t base2m = VA & ~(2 * MiB - 1), va1g = VA + 2 * GiB;
	map(&x, VA, PA_2M, 2, USER_RW);
	map(&x, va1g, PA_1G, 3, USER_RW);
	translate(&x, VA, PF_U, 0, NULL);
	translate(&x, va1g, PF_U, 0, NULL);
	core_invlpg(x.c, base2m + 0x1ff000);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_2M)), 0);
	cr_assert_not(cached(x.c->stlb, VA, 0));
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_1G)), 1);
	core_invlpg(x.c, (va1g & ~(GiB - 1)) + 0x3ffff000);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_1G)), 0);
	cr_assert_eq(tlb_occupancy(x.c->stlb1g), 0);
	uint64_t walks = x.c->walker.walks;
	translate(&x, VA, PF_U, 0, NULL);
	translate(&x, va1g, PF_U, 0, NULL);
	cr_assert_eq(x.c->walker.walks, walks + 2);
	cx_fini(&x);
}

/* --- paging-structure caches through the core ----------------------------------------- */

/* Fresh pages (TLB misses) under shared upper entries: the PSC hit skips
 * levels. Cold 4 references, then PDE hit 1, PDPTE hit 2, PML4E hit 3. */
Test(core, pwc_refs_per_walk)
{
	struct cx x;
	cx_init_default(&x);
	const vaddr_t vas[] = { VA, SAME_2M, SAME_1G, SAME_512G, OTHER };
	const uint64_t want[] = { 4, 1, 2, 3, 4 };
	for (size_t i = 0; i < ARRAY_SIZE(vas); i++)
		map(&x, vas[i], PA_4K + i * PAGE_SIZE, 1, USER_RW);
	for (size_t i = 0; i < ARRAY_SIZE(vas); i++)
		translate(&x, vas[i], PF_U, 0, NULL);
	cr_assert_eq(x.c->walker.refs, 4 + 1 + 2 + 3 + 4);
	cr_assert_eq(x.c->walker.walks, 5);
	cr_assert_eq(x.c->walker.pwc_hit[2], 1);
	cr_assert_eq(x.c->walker.pwc_hit[3], 1);
	cr_assert_eq(x.c->walker.pwc_hit[4], 1);
	cx_fini(&x);

	/* one by one, with exact cycles: every new entry's A is set */
	cx_init_default(&x);
	for (size_t i = 0; i < ARRAY_SIZE(vas); i++)
		map(&x, vas[i], PA_4K + i * PAGE_SIZE, 1, USER_RW);
	for (size_t i = 0; i < ARRAY_SIZE(vas); i++) {
		uint64_t r0 = x.c->walker.refs;
		cycles_t t = translate(&x, vas[i], PF_U, 0, NULL);
		cr_assert_eq(x.c->walker.refs - r0, want[i], "va %zu", i);
		cr_assert_eq(t, L(&x) + S(&x) + P(&x) + want[i] * (D(&x) + U(&x)), "va %zu", i);
	}
	cx_fini(&x);
}

/* "Disabling PWCs (entries = 0) gives exactly 4 references per walk": a
 * stream of pages spread over 2M, 1G and 512G regions, with the TLBs
 * flushed now and then. With the default PWCs the same stream makes fewer. */
static uint64_t stream_refs(bool pwcs, uint64_t *walks)
{
	struct mmsim_cfg cfg;
	cfg_base(&cfg);
	if (!pwcs)
		no_pwcs(&cfg);
	struct cx x;
	cx_init_cfg(&x, &cfg);
	vaddr_t pages[24];
	for (int i = 0; i < 24; i++) {
		pages[i] = ((uint64_t)(1 + i % 2) << 39) | ((uint64_t)(i % 3) << 30) |
			   ((uint64_t)(i % 4) << 21) | ((uint64_t)i << 12);
		map(&x, pages[i], PA_4K + (uint64_t)i * PAGE_SIZE, 1, USER_RW);
	}
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 24; i++)
			translate(&x, pages[(i * 7 + round) % 24], (i & 1) ? PF_W | PF_U : PF_U,
				  0, NULL);
		core_invpcid(x.c, 3, 0, 0);           /* TLBs and PSCs cold again */
	}
	*walks = x.c->walker.walks;
	uint64_t r = x.c->walker.refs;
	cx_fini(&x);
	return r;
}

Test(core, no_pwcs_exactly_4_refs_per_walk)
{
	uint64_t walks, refs_off = stream_refs(false, &walks);
	cr_assert_geq(walks, 4 * 24);
	cr_assert_eq(refs_off, 4 * walks, "refs %llu for %llu walks",
		     (unsigned long long)refs_off, (unsigned long long)walks);
	uint64_t walks_on, refs_on = stream_refs(true, &walks_on);
	cr_assert_eq(walks_on, walks);
	cr_assert_lt(refs_on, refs_off);
}

/* SDM 4.10.4.1: INVLPG drops the current PCID's PSC entries (all of them);
 * a CR3 load without NOFLUSH drops the loaded PCID's; with NOFLUSH (PCIDs
 * on) they stay. Each check translates a fresh page of VA's 2M region: 1
 * reference with the PDE cache warm, 4 without. */
Test(core, psc_flushed_by_invlpg_and_cr3_but_not_noflush)
{
	struct cx x;
	cx_init_default(&x);
	cr_assert(x.cfg.tlb.pcid);
	for (int i = 0; i < 8; i++)
		map(&x, VA + (uint64_t)i * PAGE_SIZE, PA_4K + (uint64_t)i * PAGE_SIZE, 1, USER_RW);
	vaddr_t page = VA;
	cr_assert_eq(refs(&x, page += PAGE_SIZE, PF_U), 4);
	cr_assert_eq(refs(&x, page += PAGE_SIZE, PF_U), 1);

	core_invlpg(x.c, OTHER);                       /* an unrelated address */
	cr_assert_eq(refs(&x, page += PAGE_SIZE, PF_U), 4, "INVLPG kept the PSC");

	load_cr3(&x, 0, true);
	cr_assert_eq(refs(&x, page += PAGE_SIZE, PF_U), 1, "CR3 NOFLUSH dropped the PSC");
	cr_assert_eq(x.c->cr3_noflush, 1);

	load_cr3(&x, 0, false);
	cr_assert_eq(refs(&x, page += PAGE_SIZE, PF_U), 4, "CR3 load kept the PSC");

	/* another PCID's flush leaves PCID 0's PSC entries */
	load_cr3(&x, 5, false);
	load_cr3(&x, 0, true);
	cr_assert_eq(refs(&x, page += PAGE_SIZE, PF_U), 1);
	cx_fini(&x);
}

/* --- PCIDs, CR3 loads, global pages --------------------------------------------------- */

/* With PCIDs, a CR3 load drops the loaded PCID's non-global entries (unless
 * NOFLUSH) and keeps every other PCID's. */
Test(core, cr3_load_with_pcids)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, USER_RW);
	cycles_t t0 = x.c->clock;
	load_cr3(&x, 1, false);
	cr_assert_eq(x.c->clock - t0, x.cfg.cpu.cr3_load);
	cr_assert_eq(x.c->pcid, 1);
	translate(&x, VA, PF_U, 0, NULL);
	load_cr3(&x, 2, false);
	cr_assert_eq(x.c->pcid, 2);
	cr_assert(cached(dtlb(&x, PS_4K), VA, 1), "pcid 1's entry must stay");
	cr_assert(cached(x.c->stlb, VA, 1));
	uint64_t walks = x.c->walker.walks;
	translate(&x, VA, PF_U, 0, NULL);              /* pcid 2: a miss */
	cr_assert_eq(x.c->walker.walks, walks + 1);

	load_cr3(&x, 1, true);                         /* back, keeping pcid 1's */
	cr_assert_eq(translate(&x, VA, PF_U, 0, NULL), L(&x));
	cr_assert_eq(x.c->walker.walks, walks + 1);

	load_cr3(&x, 1, false);                        /* back, flushing pcid 1's */
	cr_assert_not(cached(dtlb(&x, PS_4K), VA, 1));
	cr_assert_not(cached(x.c->stlb, VA, 1));
	cr_assert(cached(dtlb(&x, PS_4K), VA, 2));
	translate(&x, VA, PF_U, 0, NULL);
	cr_assert_eq(x.c->walker.walks, walks + 2);

	load_cr3(&x, 2, true);
	cr_assert_eq(translate(&x, VA, PF_U, 0, NULL), L(&x));
	cr_assert_eq(x.c->cr3_loads, 6);
	cr_assert_eq(x.c->cr3_noflush, 2);
	cx_fini(&x);
}

/* Without PCIDs (tlb.pcid false) every CR3 load drops every non-global
 * entry; the PCID is 0 whatever bits 11:0 hold and bit 63 changes nothing. */
Test(core, cr3_load_without_pcids)
{
	struct mmsim_cfg cfg;
	cfg_base(&cfg);
	no_pwcs(&cfg);
	cfg.tlb.pcid = false;
	struct cx x;
	cx_init_cfg(&x, &cfg);
	vaddr_t g = VA + PAGE_SIZE;
	map(&x, VA, PA_4K, 1, USER_RW);
	map(&x, g, PA_4K + PAGE_SIZE, 1, USER_RW | PTE_G);
	translate(&x, VA, PF_U, 0, NULL);
	translate(&x, g, PF_U, 0, NULL);
	core_load_cr3(x.c, x.root | 0x18 | CR3_NOFLUSH);   /* PWT|PCD, "NOFLUSH" */
	cr_assert_eq(x.c->pcid, 0);
	cr_assert_not(cached(dtlb(&x, PS_4K), VA, 0));
	cr_assert_not(cached(x.c->stlb, VA, 0));
	cr_assert(cached(dtlb(&x, PS_4K), g, 0));
	paddr_t pa;
	translate(&x, VA, PF_U, 0, &pa);               /* the walk uses bits 51:12 */
	cr_assert_eq(pa, PA_4K | 0xabc);
	cx_fini(&x);
}

Test(core, global_entries_survive_cr3_loads_not_invpcid_2)
{
	struct cx x;
	cx_init(&x);
	vaddr_t g = VA + PAGE_SIZE;
	map(&x, VA, PA_4K, 1, USER_RW);
	map(&x, g, PA_4K + PAGE_SIZE, 1, USER_RW | PTE_G);
	load_cr3(&x, 1, false);
	translate(&x, VA, PF_U, 0, NULL);
	translate(&x, g, PF_U, 0, NULL);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 2);

	load_cr3(&x, 1, false);                        /* same PCID, flushing */
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 1);
	uint64_t walks = x.c->walker.walks;
	cr_assert_eq(translate(&x, g, PF_U, 0, NULL), L(&x));          /* kept */
	load_cr3(&x, 7, false);                        /* another PCID: still matches */
	cr_assert_eq(translate(&x, g, PF_U, 0, NULL), L(&x));
	cr_assert_eq(x.c->walker.walks, walks);
	translate(&x, VA, PF_U, 0, NULL);              /* dropped */
	cr_assert_eq(x.c->walker.walks, walks + 1);

	/* core_flush_tlb: a CR3 reload of the current PCID, without NOFLUSH */
	cycles_t t0 = x.c->clock;
	core_flush_tlb(x.c);
	cr_assert_eq(x.c->clock - t0, x.cfg.cpu.cr3_load);
	cr_assert_eq(x.c->pcid, 7);
	cr_assert_not(cached(dtlb(&x, PS_4K), VA, 7));
	cr_assert(cached(dtlb(&x, PS_4K), g, 7));

	core_invpcid(x.c, 2, 0, 0);
	cr_assert_not(cached(dtlb(&x, PS_4K), g, 7));
	cr_assert_not(cached(x.c->stlb, g, 7));
	translate(&x, g, PF_U, 0, NULL);
	cr_assert_eq(x.c->walker.walks, walks + 2);
	cx_fini(&x);
}

/* A fixture for INVPCID: under PCID 1 pages A and G (global) are cached,
 * under PCID 2 page A, in the L1 dTLB and the STLB; PSCs warm for both. */
static void invpcid_setup(struct cx *x, vaddr_t *a, vaddr_t *g)
{
	cx_init_default(x);
	*a = VA;
	*g = VA + PAGE_SIZE;
	for (int i = 0; i < 8; i++)
		map(x, VA + (uint64_t)i * PAGE_SIZE, PA_4K + (uint64_t)i * PAGE_SIZE, 1,
		    i == 1 ? USER_RW | PTE_G : USER_RW);
	load_cr3(x, 1, false);
	translate(x, *a, PF_U, 0, NULL);
	translate(x, *g, PF_U, 0, NULL);
	load_cr3(x, 2, false);
	translate(x, *a, PF_U, 0, NULL);
	cr_assert(cached(dtlb(x, PS_4K), *a, 1) && cached(dtlb(x, PS_4K), *a, 2));
	cr_assert(cached(x->c->stlb, *a, 1) && cached(x->c->stlb, *a, 2));
}

/* Is page va cached for pcid in the L1 dTLB and the STLB (both or neither)? */
static bool held(const struct cx *x, vaddr_t va, uint16_t pcid)
{
	bool l1 = cached(dtlb(x, PS_4K), va, pcid), l2 = cached(x->c->stlb, va, pcid);
	cr_assert_eq(l1, l2, "va %#llx pcid %u: L1 %d, STLB %d", (unsigned long long)va, pcid,
		     l1, l2);
	return l1;
}

/* PSC warm for pcid? A fresh page of VA's 2M region makes 1 reference. */
static bool psc_warm(struct cx *x, uint16_t pcid, vaddr_t fresh)
{
	uint16_t cur = x->c->pcid;
	load_cr3(x, pcid, true);
	uint64_t r = refs(x, fresh, PF_U);
	load_cr3(x, cur, true);
	return r == 1;
}

/* Type 0, individual address: that PCID's entry for the address, not a
 * global one, not another PCID's; and the PCID's PSC entries. */
Test(core, invpcid_type0)
{
	struct cx x;
	vaddr_t a, g;
	invpcid_setup(&x, &a, &g);
	cycles_t t0 = x.c->clock;
	core_invpcid(x.c, 0, 1, a + 0x123);
	cr_assert_eq(x.c->clock - t0, x.cfg.cpu.invpcid);
	cr_assert_eq(x.c->invpcids, 1);
	cr_assert_not(held(&x, a, 1));
	cr_assert(held(&x, a, 2));
	cr_assert(held(&x, g, 1));
	core_invpcid(x.c, 0, 1, g);
	cr_assert(held(&x, g, 1), "type 0 must not drop a global translation");
	core_invpcid(x.c, 0, 2, g);
	cr_assert(held(&x, g, 1));
	cr_assert_not(psc_warm(&x, 2, VA + 2 * PAGE_SIZE),
		      "type 0 for pcid 2 must drop pcid 2's PSC entries");
	cr_assert_not(psc_warm(&x, 1, VA + 3 * PAGE_SIZE),
		      "type 0 for pcid 1 must drop pcid 1's PSC entries");
	cx_fini(&x);
}

/* Type 1, single context: that PCID's non-global entries. */
Test(core, invpcid_type1)
{
	struct cx x;
	vaddr_t a, g;
	invpcid_setup(&x, &a, &g);
	core_invpcid(x.c, 1, 2, 0);
	cr_assert(held(&x, a, 1));
	cr_assert_not(held(&x, a, 2));
	cr_assert(held(&x, g, 1));
	cr_assert(psc_warm(&x, 1, VA + 2 * PAGE_SIZE), "pcid 1's PSC entries must stay");
	cr_assert_not(psc_warm(&x, 2, VA + 3 * PAGE_SIZE));
	core_invpcid(x.c, 1, 1, 0);
	cr_assert_not(held(&x, a, 1));
	cr_assert(held(&x, g, 1));
	cx_fini(&x);
}

/* Type 2, all contexts including globals. */
Test(core, invpcid_type2)
{
	struct cx x;
	vaddr_t a, g;
	invpcid_setup(&x, &a, &g);
	core_invpcid(x.c, 2, 0, 0);
	cr_assert_not(held(&x, a, 1));
	cr_assert_not(held(&x, a, 2));
	cr_assert_not(held(&x, g, 1));
	cr_assert_eq(tlb_occupancy(x.c->stlb), 0);
	cr_assert_not(psc_warm(&x, 1, VA + 2 * PAGE_SIZE));
	cr_assert_not(psc_warm(&x, 2, VA + 3 * PAGE_SIZE));
	cx_fini(&x);
}

/* Type 3, all contexts except globals. */
Test(core, invpcid_type3)
{
	struct cx x;
	vaddr_t a, g;
	invpcid_setup(&x, &a, &g);
	core_invpcid(x.c, 3, 0, 0);
	cr_assert_not(held(&x, a, 1));
	cr_assert_not(held(&x, a, 2));
	cr_assert(held(&x, g, 1));
	cr_assert(held(&x, g, 9));
	cr_assert_eq(tlb_occupancy(x.c->stlb), 1);
	cr_assert_not(psc_warm(&x, 1, VA + 2 * PAGE_SIZE));
	cr_assert_not(psc_warm(&x, 2, VA + 3 * PAGE_SIZE));
	cx_fini(&x);
}

/* INVLPG drops a global entry too (SDM: INVLPG invalidates global entries). */
Test(core, invlpg_drops_global_entries)
{
	struct cx x;
	vaddr_t a, g;
	invpcid_setup(&x, &a, &g);
	core_invlpg(x.c, g);                           /* current pcid 2 */
	cr_assert_not(held(&x, g, 1));
	core_invlpg(x.c, a);
	cr_assert(held(&x, a, 1), "INVLPG is for the current PCID only");
	cr_assert_not(held(&x, a, 2));
	cx_fini(&x);
}

/* SDM 4.10.4.1 and 4.10.4.3: a #PF invalidates the TLB entries for the
 * faulting address (for the current PCID), so a kernel that raised a page's
 * rights without a flush sees the new rights after one spurious fault (Linux
 * relies on this for kernel pages: spurious_kernel_fault()). Global entries
 * for the address go too. */
Test(core, fault_drops_global_entry_of_the_address)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, PTE_P | PTE_G);          /* a read-only kernel page */
	translate(&x, VA, 0, 0, NULL);
	translate(&x, VA, PF_W, PF_RAISED | PF_P | PF_W, NULL);
	cr_expect_not(cached(dtlb(&x, PS_4K), VA, 0), "the faulting global entry is still cached");
	set_bits(&x, VA, 1, PTE_RW);                   /* the kernel makes it writable */
	uint64_t walks = x.c->walker.walks;
	paddr_t pa = 0;
	uint32_t code = core_translate(x.c, VA, PF_W, &pa);
	cr_expect_eq(code, 0, "a store after the upgrade faults again (%#x)", code);
	cr_expect_eq(x.c->walker.walks, walks + 1);
	cx_fini(&x);
}

/* --- the iTLB, NX, SMEP, SMAP ---------------------------------------------------------- */

/* A fetch goes through the iTLB (not the dTLB); a load of the same page
 * then misses the dTLB and hits the STLB. */
Test(core, fetch_uses_the_itlb)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, USER_RW);
	paddr_t pa;
	cr_assert_eq(translate(&x, VA, PF_I | PF_U, 0, &pa),
		     LI(&x) + S(&x) + 4 * D(&x) + 4 * U(&x));
	cr_assert_eq(pa, PA_4K | 0xabc);
	cr_assert_eq(x.c->l1_miss[SIDE_I], 1);
	cr_assert_eq(x.c->l1_miss_size[SIDE_I][PS_4K], 1);
	cr_assert_eq(x.c->l1_miss[SIDE_D], 0);
	cr_assert_eq(tlb_occupancy(itlb(&x, PS_4K)), 1);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 0);
	cr_assert_eq(translate(&x, VA, PF_I | PF_U, 0, NULL), LI(&x));
	cr_assert_eq(x.c->l1_hit[SIDE_I], 1);
	cr_assert_eq(translate(&x, VA, PF_U, 0, NULL), L(&x) + S(&x));
	cr_assert_eq(x.c->stlb_hit[PS_4K], 1);
	cr_assert_eq(tlb_occupancy(dtlb(&x, PS_4K)), 1);
	cr_assert_eq(x.c->walker.walks, 1);

	/* 2M code pages use the 2M iTLB; 1G ones have no L1 iTLB array and go
	 * to the 1G STLB every time */
	map(&x, VA + 2 * GiB, PA_2M, 2, USER_RW);
	map(&x, VA + 4 * GiB, PA_1G, 3, USER_RW);
	translate(&x, VA + 2 * GiB, PF_I | PF_U, 0, NULL);
	cr_assert_eq(tlb_occupancy(itlb(&x, PS_2M)), 1);
	cr_assert_null(itlb(&x, PS_1G));
	translate(&x, VA + 4 * GiB, PF_I | PF_U, 0, NULL);
	uint64_t miss = x.c->l1_miss[SIDE_I];
	cr_assert_eq(translate(&x, VA + 4 * GiB, PF_I | PF_U, 0, NULL), LI(&x) + S(&x));
	cr_assert_eq(x.c->l1_miss[SIDE_I], miss + 1);
	cr_assert_eq(x.c->stlb_hit[PS_1G], 1);
	cx_fini(&x);
}

/* NX at any level of the path: a fetch faults with P|I (|U), a load does not. */
Test(core, fetch_from_nx_faults)
{
	for (int level = 4; level >= 1; level--) {
		struct cx x;
		cx_init(&x);
		map(&x, VA, PA_4K, 1, USER_RW);
		set_bits(&x, VA, level, PTE_NX);
		translate(&x, VA, PF_I | PF_U, PF_RAISED | PF_P | PF_I | PF_U, NULL);
		cr_assert_eq(tlb_occupancy(itlb(&x, PS_4K)), 0, "level %d", level);
		translate(&x, VA, PF_U, 0, NULL);
		/* now the STLB holds it (NX): the fetch faults from there, no walk */
		uint64_t walks = x.c->walker.walks;
		cr_assert_eq(translate(&x, VA, PF_I | PF_U, PF_RAISED | PF_P | PF_I | PF_U, NULL),
			     LI(&x) + S(&x));
		cr_assert_eq(x.c->walker.walks, walks);
		cr_assert_eq(x.c->page_faults, 2);
		cx_fini(&x);
	}
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_2M, 2, USER_RW | PTE_NX);
	translate(&x, VA, PF_I | PF_U, PF_RAISED | PF_P | PF_I | PF_U, NULL);
	translate(&x, VA, PF_I, PF_RAISED | PF_P | PF_I, NULL);
	cx_fini(&x);
}

/* SMEP: a supervisor fetch from a user page faults; SMAP: a supervisor read
 * or write of a user page faults. On a TLB miss (walk) ... */
Test(core, smep_smap_on_walk)
{
	struct cx x;
	cx_init(&x);
	cr_assert(x.cfg.mmu.smep && x.cfg.mmu.smap);
	map(&x, VA, PA_4K, 1, USER_RW);
	translate(&x, VA, PF_I, PF_RAISED | PF_P | PF_I, NULL);
	translate(&x, VA, 0, PF_RAISED | PF_P, NULL);
	translate(&x, VA, PF_W, PF_RAISED | PF_P | PF_W, NULL);
	cr_assert_eq(x.c->walker.walks, 3);
	cr_assert_eq(tlb_occupancy(x.c->stlb), 0);
	cx_fini(&x);

	struct mmsim_cfg cfg;
	cfg_base(&cfg);
	no_pwcs(&cfg);
	cfg.mmu.smep = cfg.mmu.smap = false;
	cx_init_cfg(&x, &cfg);
	map(&x, VA, PA_4K, 1, USER_RW);
	translate(&x, VA, PF_I, 0, NULL);
	translate(&x, VA, 0, 0, NULL);
	translate(&x, VA, PF_W, 0, NULL);
	cx_fini(&x);
}

/* ... and on a TLB hit: the entry a user access cached is a user page, so a
 * supervisor access through it must fault the same way (SDM 4.6: the rights
 * come from the cached entry; SMEP/SMAP apply to them). */
Test(core, smep_smap_on_tlb_hit)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, USER_RW);
	translate(&x, VA, PF_W | PF_U, 0, NULL);       /* dTLB: user, RW, dirty */
	translate(&x, VA, PF_I | PF_U, 0, NULL);       /* iTLB: user */
	paddr_t pa;
	cr_expect_eq(core_translate(x.c, VA, 0, &pa), PF_RAISED | PF_P,
		     "SMAP: supervisor read of a user page in the dTLB");
	translate(&x, VA, PF_W | PF_U, 0, NULL);
	cr_expect_eq(core_translate(x.c, VA, PF_W, &pa), PF_RAISED | PF_P | PF_W,
		     "SMAP: supervisor write of a user page in the dTLB");
	translate(&x, VA, PF_I | PF_U, 0, NULL);
	cr_expect_eq(core_translate(x.c, VA, PF_I, &pa), PF_RAISED | PF_P | PF_I,
		     "SMEP: supervisor fetch of a user page in the iTLB");
	/* from the STLB as well */
	for (int s = 0; s < PS_SIZES; s++) {
		if (dtlb(&x, s))
			tlb_flush_all(dtlb(&x, s));
		if (itlb(&x, s))
			tlb_flush_all(itlb(&x, s));
	}
	translate(&x, VA, PF_U, 0, NULL);
	tlb_flush_all(dtlb(&x, PS_4K));
	cr_expect_eq(core_translate(x.c, VA, 0, &pa), PF_RAISED | PF_P,
		     "SMAP: supervisor read of a user page in the STLB");
	cx_fini(&x);
}

/* --- LA57 --------------------------------------------------------------------------------- */

Test(core, la57_walks)
{
	struct mmsim_cfg cfg;
	cfg_base(&cfg);
	cfg.mmu.la57 = true;
	struct cx x;
	cx_init_cfg(&x, &cfg);
	cr_assert_eq(x.c->walker.levels, 5);
	map(&x, VA57, PA_4K, 1, USER_RW);
	map(&x, VA57 + (1ull << 39), PA_4K + PAGE_SIZE, 1, USER_RW);
	paddr_t pa;
	/* cold: 1 + 9 + PSC + 5 reads + 5 A */
	cr_assert_eq(translate(&x, VA57, PF_U, 0, &pa),
		     L(&x) + S(&x) + P(&x) + 5 * D(&x) + 5 * U(&x));
	cr_assert_eq(pa, PA_4K | 0xabc);
	cr_assert_eq(x.c->walker.refs, 5);
	/* another 512G region under the same PML5E: the PML5E cache skips one */
	cr_assert_eq(refs(&x, VA57 + (1ull << 39), PF_U), 4);
	cr_assert_eq(x.c->walker.pwc_hit[5], 1);
	/* the TLB tag is the full 57-bit VPN: VA (PML5 index 0) is another page */
	translate(&x, VA, PF_U, PF_RAISED | PF_U, NULL);
	cx_fini(&x);

	no_pwcs(&cfg);
	cx_init_cfg(&x, &cfg);
	map(&x, VA57, PA_4K, 1, USER_RW);
	map(&x, VA57 + (1ull << 39), PA_4K + PAGE_SIZE, 1, USER_RW);
	cr_assert_eq(refs(&x, VA57, PF_U), 5);
	cr_assert_eq(refs(&x, VA57 + (1ull << 39), PF_U), 5);
	cx_fini(&x);
}

/* --- memory beyond memory.size ---------------------------------------------------------- */

/* A present PDE naming a page table beyond memory.size: the table reads as
 * all ones (reserved address bits set), so the access faults with RSVD. */
Test(core, table_beyond_memory_faults_rsvd)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, USER_RW);
	paddr_t s = slot_of(&x, VA, 2);
	wr(&x, s, (rd(&x, s) & ~PTE_ADDR_MASK) | (512 * MiB));
	translate(&x, VA, PF_W | PF_U, PF_RAISED | PF_RSVD | PF_P | PF_W | PF_U, NULL);
	translate(&x, VA, 0, PF_RAISED | PF_RSVD | PF_P, NULL);
	cr_assert_eq(tlb_occupancy(x.c->stlb), 0);
	cr_assert_eq(x.c->page_faults, 2);
	cx_fini(&x);
}

/* --- counters and the entry iterator ---------------------------------------------------- */

static void count_entry(void *arg, const struct tlb *t, const struct tlb_entry *e)
{
	(void)t;
	cr_assert(e->flags & TLBE_VALID);
	(*(unsigned *)arg)++;
}

Test(core, for_each_tlb_entry_visits_every_valid_entry)
{
	struct cx x;
	cx_init(&x);
	map(&x, VA, PA_4K, 1, USER_RW);
	map(&x, VA + 2 * GiB, PA_2M, 2, USER_RW);
	map(&x, VA + 4 * GiB, PA_1G, 3, USER_RW);
	translate(&x, VA, PF_U, 0, NULL);              /* dTLB 4K + STLB */
	translate(&x, VA, PF_I | PF_U, 0, NULL);       /* + iTLB 4K */
	translate(&x, VA + 2 * GiB, PF_U, 0, NULL);    /* dTLB 2M + STLB */
	translate(&x, VA + 4 * GiB, PF_U, 0, NULL);    /* dTLB 1G + STLB1G */
	unsigned n = 0;
	core_for_each_tlb_entry(x.c, count_entry, &n);
	cr_assert_eq(n, 7);
	cx_fini(&x);
}

/* The registry names of the walk histogram (bucket b >= 1 is named by its
 * lower bound 128 << (b-1)), the per-size miss counters and the PWC counters
 * (only for the caches that exist). No PWCs, D = 32, no A/D cost beyond the
 * reference: a cold 4K walk is 8 references = 256 cycles, a walk of another
 * page under the same PT 4 reads and the PTE's A = 160. */
Test(core, stats_names)
{
	struct mmsim_cfg cfg;
	cfg_base(&cfg);
	no_pwcs(&cfg);
	cfg.memory.dram_latency = 32;
	cfg.mmu.ad_update = 0;
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(cfg_check(&cfg, "test", err), 0, "%s", err);
	struct stats *st = stats_create();
	struct cx x = { .cfg = cfg };
	x.ms = memsys_create(&x.cfg, NULL, err);
	x.levels = 4;
	x.next_table = TABLES_BASE;
	x.root = new_table(&x);
	x.c = core_create(&x.cfg, 0, x.ms, st);
	core_load_cr3(x.c, x.root);
	map(&x, VA, PA_4K, 1, USER_RW);
	map(&x, VA + PAGE_SIZE, PA_4K + PAGE_SIZE, 1, USER_RW);
	map(&x, VA + 2 * GiB, PA_2M, 2, USER_RW);
	translate(&x, VA, PF_U, 0, NULL);
	translate(&x, VA + PAGE_SIZE, PF_U, 0, NULL);
	translate(&x, VA + 2 * GiB, PF_U, 0, NULL);    /* 3 reads + 2 A = 160 */
	static const struct { const char *name; uint64_t v; } want[] = {
		{ "core0.walk.hist.0", 0 },
		{ "core0.walk.hist.128", 2 },
		{ "core0.walk.hist.256", 1 },
		{ "core0.walk.hist.131072", 0 },
		{ "core0.walk.count", 3 },
		{ "core0.walk.refs", 11 },
		{ "core0.walk.cycles", 256 + 160 + 160 },
		{ "core0.dtlb.miss", 3 },
		{ "core0.dtlb.miss.4k", 2 },
		{ "core0.dtlb.miss.2m", 1 },
		{ "core0.itlb.miss", 0 },
		{ "core0.stlb.miss", 3 },
		{ "core0.stlb.hit.4k", 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		uint64_t v = ~0ull;
		cr_assert(stats_get(st, want[i].name, &v), "%s not registered", want[i].name);
		cr_assert_eq(v, want[i].v, "%s = %llu, want %llu", want[i].name,
			     (unsigned long long)v, (unsigned long long)want[i].v);
	}
	uint64_t v;
	cr_assert_not(stats_get(st, "core0.pwc.pde.hit", &v), "a disabled PDE cache has stats");
	core_destroy(x.c);
	memsys_destroy(x.ms);
	stats_destroy(st);

	cfg_base(&cfg);
	st = stats_create();
	x.cfg = cfg;
	x.ms = memsys_create(&x.cfg, NULL, err);
	x.c = core_create(&x.cfg, 0, x.ms, st);
	cr_assert(stats_get(st, "core0.pwc.pde.hit", &v));
	cr_assert(stats_get(st, "core0.pwc.pml4e.miss", &v));
	cr_assert_not(stats_get(st, "core0.pwc.pml5e.hit", &v), "no PML5E cache without LA57");
	core_destroy(x.c);
	memsys_destroy(x.ms);
	stats_destroy(st);
}
