/* Tests of the page walker (sim/mmu/walk.c): 4-level and LA57 5-level walks,
 * A/D updates, #PF error codes, reserved bits, SMEP/SMAP, the
 * paging-structure caches, walk_probe, and the walk-cycle histogram. The
 * core's translation path (TLBs around the walker) is tested in test_core.c.
 *
 * Page tables are built by hand in simulated physical memory: table frames
 * come from a bump allocator at TABLES_BASE, CR3 is the root table's physical
 * address, and entries are written with physmem_write at their architectural
 * bit positions (pte.h). Outcomes are exact: the translated address and page
 * size, the #PF error code bit by bit, the number of memory references, the
 * A/D bits left in memory, and the cycles the config says the walk costs:
 *
 *   PSC lookup, once per walk = the longest latency of the enabled PWCs (P)
 *   read of an entry          = memory.dram_latency                      (D)
 *   locked A/D update         = mmu.ad_update + dram_latency             (U)
 *
 * The leaf's A and D are set in one locked update. Most tests use the
 * "plain" machine: the default config with 64M of memory, every
 * paging-structure cache disabled (P = 0, every walk reads from the root)
 * and SMEP/SMAP off; there (D = 250, U = 20 + 250 = 270) a cold 4K read walk
 * costs 4*D + 4*U = 1000 + 1080 = 2080 cycles. The PWC, SMEP/SMAP and LA57
 * tests turn those back on. Expected values are computed from the config, and
 * the comments show the default arithmetic. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"
#include "sim/mmu/walk.h"
#include "sim/tlb/tlb.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

#define TABLES_BASE 0x100000ull          /* table frames: 1M, 1M+4K, ... */
#define MAX_TABLES  32
#define UPPER (PTE_P | PTE_RW | PTE_US)  /* non-leaf entries the builder makes */
#define USER_RW (PTE_P | PTE_RW | PTE_US)

/* A va with a different index at every level: PML4 3, PDPT 5, PD 7, PT 9,
 * offset 0xabc. With LA57, VA57 adds PML5 index 2. */
#define VA  ((3ull << 39) | (5ull << 30) | (7ull << 21) | (9ull << 12) | 0xabcull)
#define VA57 ((2ull << 48) | VA)
#define PA_4K 0x2345000ull               /* a 4K data frame (inside 64M) */
#define PA_2M 0x2400000ull               /* 2M aligned */
#define PA_1G 0xc0000000ull              /* 1G aligned (never dereferenced) */

struct fx {
	struct mmsim_cfg cfg;
	struct memsys *ms;
	struct walker w;
	uint64_t cr3;
	paddr_t next_table;
};

static paddr_t new_table(struct fx *f)
{
	cr_assert_lt(f->next_table, TABLES_BASE + MAX_TABLES * PAGE_SIZE);
	paddr_t t = f->next_table;
	f->next_table += PAGE_SIZE;
	return t;
}

/* The default machine with 64M of memory. */
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

/* The plain machine: no PWCs, no SMEP/SMAP. */
static void cfg_plain(struct mmsim_cfg *cfg)
{
	cfg_base(cfg);
	no_pwcs(cfg);
	cfg->mmu.smep = cfg->mmu.smap = false;
}

static void fx_init_cfg(struct fx *f, const struct mmsim_cfg *cfg)
{
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(cfg_check(cfg, "test", err), 0, "%s", err);
	f->cfg = *cfg;
	f->ms = memsys_create(&f->cfg, NULL, err);
	cr_assert_not_null(f->ms);
	walker_init(&f->w, &f->cfg, f->ms, 0);
	cr_assert_eq(f->w.levels, cfg->mmu.la57 ? 5 : 4);
	f->next_table = TABLES_BASE;
	f->cr3 = new_table(f);
}

static void fx_init(struct fx *f)
{
	struct mmsim_cfg cfg;
	cfg_plain(&cfg);
	fx_init_cfg(f, &cfg);
	cr_assert_eq(f->w.pwc_latency, 0);
	for (int l = 0; l <= PT_MAX_LEVELS; l++)
		cr_assert_null(f->w.pwc[l]);
}

/* The default machine (PWCs, SMEP, SMAP) with 64M. */
static void fx_init_default(struct fx *f)
{
	struct mmsim_cfg cfg;
	cfg_base(&cfg);
	fx_init_cfg(f, &cfg);
}

static void fx_fini(struct fx *f)
{
	walker_fini(&f->w);
	memsys_destroy(f->ms);
}

static uint64_t dram(const struct fx *f) { return f->cfg.memory.dram_latency; }
static uint64_t ad_cost(const struct fx *f) { return f->cfg.mmu.ad_update + dram(f); }
static uint64_t psc(const struct fx *f) { return f->w.pwc_latency; }

static pte_t rd(const struct fx *f, paddr_t pa) { return physmem_read(&f->ms->pm, pa, 8); }
static void wr(struct fx *f, paddr_t pa, pte_t v) { physmem_write(&f->ms->pm, pa, 8, v); }

/* Map va -> pa with the leaf at `level` (1: PTE, 2: PDE with PS = 2M page,
 * 3: PDPTE with PS = 1G page) carrying `flags`; missing tables are made with
 * P|RW|US, so the leaf alone decides the rights unless a test changes more. */
static void map(struct fx *f, vaddr_t va, paddr_t pa, int level, pte_t flags)
{
	paddr_t table = f->cr3;
	for (int l = f->w.levels; l > level; l--) {
		paddr_t s = table + 8 * pt_index(va, l);
		pte_t e = rd(f, s);
		if (!(e & PTE_P)) {
			e = new_table(f) | UPPER;
			wr(f, s, e);
		}
		table = e & PTE_ADDR_MASK;
	}
	wr(f, table + 8 * pt_index(va, level), pa | flags | (level > 1 ? PTE_PS : 0));
}

/* Physical address of the entry used for va at `level` (untimed; the levels
 * above must be present). */
static paddr_t slot_of(const struct fx *f, vaddr_t va, int level)
{
	paddr_t table = f->cr3;
	for (int l = f->w.levels; l > level; l--) {
		pte_t e = rd(f, table + 8 * pt_index(va, l));
		cr_assert(e & PTE_P, "slot_of: level %d not present", l);
		table = e & PTE_ADDR_MASK;
	}
	return table + 8 * pt_index(va, level);
}

static pte_t ent(const struct fx *f, vaddr_t va, int level) { return rd(f, slot_of(f, va, level)); }
static void set_bits(struct fx *f, vaddr_t va, int level, pte_t bits)
{
	paddr_t s = slot_of(f, va, level);
	wr(f, s, rd(f, s) | bits);
}
static void clear_bits(struct fx *f, vaddr_t va, int level, pte_t bits)
{
	paddr_t s = slot_of(f, va, level);
	wr(f, s, rd(f, s) & ~bits);
}

/* A copy of every table frame handed out so far, to prove "memory unchanged". */
static pte_t *snap_tables(const struct fx *f)
{
	size_t n = (f->next_table - TABLES_BASE) / 8;
	pte_t *s = malloc(n * sizeof(*s));
	cr_assert_not_null(s);
	for (size_t i = 0; i < n; i++)
		s[i] = rd(f, TABLES_BASE + 8 * i);
	return s;
}

static void assert_tables_unchanged(const struct fx *f, pte_t *snap, const char *what)
{
	size_t n = (f->next_table - TABLES_BASE) / 8;
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(rd(f, TABLES_BASE + 8 * i), snap[i],
			     "%s: entry at %#llx changed from %#llx to %#llx", what,
			     (unsigned long long)(TABLES_BASE + 8 * i),
			     (unsigned long long)snap[i],
			     (unsigned long long)rd(f, TABLES_BASE + 8 * i));
	free(snap);
}

static void do_walk_pcid(struct fx *f, uint16_t pcid, vaddr_t va, uint32_t access,
			 struct walk_result *r)
{
	walk(&f->w, f->cr3, pcid, va, access, r);
}

static void do_walk(struct fx *f, vaddr_t va, uint32_t access, struct walk_result *r)
{
	do_walk_pcid(f, 0, va, access, r);
}

/* Walk and return the references it made; it must succeed. */
static uint64_t refs_of(struct fx *f, uint16_t pcid, vaddr_t va, uint32_t access,
			struct walk_result *r)
{
	uint64_t before = f->w.refs;
	do_walk_pcid(f, pcid, va, access, r);
	cr_assert_not(r->faulted, "walk %#llx: fault %#x", (unsigned long long)va, r->fault);
	return f->w.refs - before;
}

/* --- successful walks: address, size, references, cycles, A/D ------------- */

Test(walk, read_4k_cold_then_warm)
{
	struct fx f;
	fx_init(&f);
	map(&f, VA, PA_4K, 1, USER_RW);

	struct walk_result r;
	do_walk(&f, VA, PF_U, &r);
	cr_assert_not(r.faulted);
	cr_assert_eq(r.fault, 0);
	cr_assert_eq(r.pa, PA_4K | 0xabc);
	cr_assert_eq(r.shift, 12);
	cr_assert_eq(r.rights, TLBE_RW | TLBE_US);      /* no NX, D, G */
	/* 4 reads + 4 A writes: 4*250 + 4*(20+250) = 2080 */
	cr_assert_eq(r.cycles, 4 * dram(&f) + 4 * ad_cost(&f));
	cr_assert_eq(f.w.walks, 1);
	cr_assert_eq(f.w.refs, 4);
	cr_assert_eq(f.w.ad_writes, 4);
	cr_assert_eq(f.w.faults, 0);
	cr_assert_eq(f.w.cycles, r.cycles);
	cr_assert_eq(f.ms->access[MEM_WALK], 8);   /* 4 reads + 4 locked writes */
	for (int l = 4; l >= 1; l--) {
		cr_assert(ent(&f, VA, l) & PTE_A, "A clear at level %d", l);
		cr_assert_not(ent(&f, VA, l) & PTE_D, "D set at level %d by a read", l);
	}
	cr_assert_eq(ent(&f, VA, 1), PA_4K | USER_RW | PTE_A);

	/* Warm: A already set everywhere, so 4 reads only: 4*250 = 1000. */
	do_walk(&f, VA, PF_U, &r);
	cr_assert_not(r.faulted);
	cr_assert_eq(r.pa, PA_4K | 0xabc);
	cr_assert_eq(r.cycles, 4 * dram(&f));
	cr_assert_eq(f.w.walks, 2);
	cr_assert_eq(f.w.refs, 8);
	cr_assert_eq(f.w.ad_writes, 4);
	cr_assert_eq(f.w.cycles, 8 * dram(&f) + 4 * ad_cost(&f));
	fx_fini(&f);
}

/* The leaf's A and D are set by one locked update (SDM 4.8). */
Test(walk, write_4k_sets_a_and_d_of_leaf_in_one_update)
{
	struct fx f;
	fx_init(&f);
	map(&f, VA, PA_4K, 1, USER_RW);

	struct walk_result r;
	do_walk(&f, VA, PF_W | PF_U, &r);
	cr_assert_not(r.faulted);
	cr_assert_eq(r.pa, PA_4K | 0xabc);
	cr_assert_eq(r.rights, TLBE_RW | TLBE_US | TLBE_DIRTY);
	/* 4 reads + 3 upper A writes + 1 leaf A+D write: 1000 + 4*270 = 2080 */
	cr_assert_eq(r.cycles, 4 * dram(&f) + 4 * ad_cost(&f));
	cr_assert_eq(f.w.ad_writes, 4);
	cr_assert_eq(f.ms->access[MEM_WALK], 8);
	for (int l = 4; l >= 2; l--)
		cr_assert_eq(ent(&f, VA, l) & (PTE_A | PTE_D), PTE_A, "level %d", l);
	cr_assert_eq(ent(&f, VA, 1), PA_4K | USER_RW | PTE_A | PTE_D);

	/* Again: nothing left to set: 1000. */
	do_walk(&f, VA, PF_W | PF_U, &r);
	cr_assert_eq(r.cycles, 4 * dram(&f));
	cr_assert_eq(f.w.ad_writes, 4);
	fx_fini(&f);
}

Test(walk, write_after_read_sets_only_d)
{
	struct fx f;
	fx_init(&f);
	map(&f, VA, PA_4K, 1, USER_RW);

	struct walk_result r;
	do_walk(&f, VA, PF_U, &r);                      /* 4 A writes */
	do_walk(&f, VA, PF_W | PF_U, &r);
	/* 4 reads + the D write: 1000 + 270 = 1270 */
	cr_assert_eq(r.cycles, 4 * dram(&f) + ad_cost(&f));
	cr_assert_eq(f.w.ad_writes, 5);
	cr_assert_eq(ent(&f, VA, 1), PA_4K | USER_RW | PTE_A | PTE_D);
	cr_assert_not(ent(&f, VA, 2) & PTE_D);
	fx_fini(&f);
}

/* A leaf with D set but A clear (software may leave it so): a write sets A
 * in one update; a read of a leaf with both set writes nothing. */
Test(walk, leaf_with_d_but_not_a)
{
	struct fx f;
	fx_init(&f);
	map(&f, VA, PA_4K, 1, USER_RW | PTE_D);
	for (int l = 4; l >= 2; l--)
		set_bits(&f, VA, l, PTE_A);
	struct walk_result r;
	do_walk(&f, VA, PF_W | PF_U, &r);
	cr_assert_eq(r.cycles, 4 * dram(&f) + ad_cost(&f));
	cr_assert_eq(f.w.ad_writes, 1);
	cr_assert_eq(ent(&f, VA, 1), PA_4K | USER_RW | PTE_A | PTE_D);
	do_walk(&f, VA, PF_U, &r);
	cr_assert_eq(r.cycles, 4 * dram(&f));
	cr_assert_eq(f.w.ad_writes, 1);
	fx_fini(&f);
}

Test(walk, a_written_only_where_clear)
{
	struct fx f;
	fx_init(&f);
	map(&f, VA, PA_4K, 1, USER_RW);
	set_bits(&f, VA, 4, PTE_A);
	set_bits(&f, VA, 3, PTE_A);

	struct walk_result r;
	do_walk(&f, VA, 0, &r);
	/* A missing in the PDE and PTE only: 1000 + 2*270 = 1540 */
	cr_assert_eq(r.cycles, 4 * dram(&f) + 2 * ad_cost(&f));
	cr_assert_eq(f.w.ad_writes, 2);
	for (int l = 4; l >= 1; l--)
		cr_assert(ent(&f, VA, l) & PTE_A, "A clear at level %d", l);
	fx_fini(&f);
}

Test(walk, leaf_2m)
{
	struct fx f;
	fx_init(&f);
	map(&f, VA, PA_2M, 2, USER_RW);

	struct walk_result r;
	do_walk(&f, VA, PF_U, &r);
	cr_assert_not(r.faulted);
	cr_assert_eq(r.shift, 21);
	/* offset = va bits 20:0 = (9 << 12) | 0xabc = 0x9abc */
	cr_assert_eq(r.pa, PA_2M | 0x9abc);
	cr_assert_eq(f.w.refs, 3);
	/* 3 reads + 3 A writes: 750 + 810 = 1560 */
	cr_assert_eq(r.cycles, 3 * dram(&f) + 3 * ad_cost(&f));
	for (int l = 4; l >= 2; l--)
		cr_assert(ent(&f, VA, l) & PTE_A, "A clear at level %d", l);

	do_walk(&f, VA, PF_W | PF_U, &r);
	cr_assert_eq(r.cycles, 3 * dram(&f) + ad_cost(&f));   /* D only: 1020 */
	cr_assert_eq(ent(&f, VA, 2), PA_2M | USER_RW | PTE_PS | PTE_A | PTE_D);
	cr_assert_not(ent(&f, VA, 3) & PTE_D);
	fx_fini(&f);
}

Test(walk, leaf_1g)
{
	struct fx f;
	fx_init(&f);
	map(&f, VA, PA_1G, 3, USER_RW);

	struct walk_result r;
	do_walk(&f, VA, PF_W | PF_U, &r);
	cr_assert_not(r.faulted);
	cr_assert_eq(r.shift, 30);
	/* offset = va bits 29:0 = (7 << 21) | (9 << 12) | 0xabc = 0xe09abc */
	cr_assert_eq(r.pa, PA_1G | 0xe09abc);
	cr_assert_eq(f.w.refs, 2);
	/* 2 reads + the PML4E's A + the leaf's A+D: 500 + 2*270 = 1040 */
	cr_assert_eq(r.cycles, 2 * dram(&f) + 2 * ad_cost(&f));
	cr_assert_eq(f.w.ad_writes, 2);
	cr_assert_eq(ent(&f, VA, 3), PA_1G | USER_RW | PTE_PS | PTE_A | PTE_D);
	cr_assert_eq(ent(&f, VA, 4) & (PTE_A | PTE_D), PTE_A);
	fx_fini(&f);
}

/* Bit 7 of a PTE is PAT, not PS; bit 12 of a 2M/1G leaf is PAT, not address. */
Test(walk, pat_bits_are_not_size_or_address)
{
	struct fx f;
	fx_init(&f);
	vaddr_t va2 = VA + 2 * GiB;                     /* PDPT index 7 */
	vaddr_t va3 = VA + 4 * GiB;                     /* PDPT index 9 */
	map(&f, VA, PA_4K, 1, USER_RW | PTE_PS);
	map(&f, va2, PA_2M, 2, USER_RW | (1ull << 12));
	map(&f, va3, PA_1G, 3, USER_RW | (1ull << 12));

	struct walk_result r;
	do_walk(&f, VA, PF_U, &r);
	cr_assert_not(r.faulted);
	cr_assert_eq(r.shift, 12);
	cr_assert_eq(r.pa, PA_4K | 0xabc);
	do_walk(&f, va2, PF_U, &r);
	cr_assert_not(r.faulted);
	cr_assert_eq(r.pa, PA_2M | 0x9abc);
	do_walk(&f, va3, PF_U, &r);
	cr_assert_not(r.faulted);
	cr_assert_eq(r.pa, PA_1G | 0xe09abc);
	fx_fini(&f);
}

/* G counts in the leaf only; rights are RW/US ANDed and NX ORed over the path. */
Test(walk, rights_of_the_path)
{
	struct fx f;
	fx_init(&f);
	map(&f, VA, PA_4K, 1, USER_RW | PTE_G | PTE_D);
	struct walk_result r;
	do_walk(&f, VA, 0, &r);
	cr_assert_eq(r.rights, TLBE_RW | TLBE_US | TLBE_DIRTY | TLBE_GLOBAL);

	clear_bits(&f, VA, 1, PTE_G);
	set_bits(&f, VA, 3, PTE_G);                     /* ignored in a non-leaf */
	clear_bits(&f, VA, 2, PTE_RW);
	set_bits(&f, VA, 4, PTE_NX);
	do_walk(&f, VA, 0, &r);
	cr_assert_not(r.faulted);
	cr_assert_eq(r.rights, TLBE_US | TLBE_NX | TLBE_DIRTY);
	fx_fini(&f);
}

/* --- faults: the error code bit by bit ------------------------------------- */

static const uint32_t accesses[] = {
	0, PF_W, PF_U, PF_W | PF_U, PF_I, PF_I | PF_U,
};

/* Walk va with `access`, expecting fault `code` after `refs` references:
 * cycles = P + refs * dram, nothing written to the tables, counters right. */
static void expect_fault(struct fx *f, vaddr_t va, uint32_t access, uint32_t code,
			 unsigned refs, const char *what)
{
	uint64_t faults = f->w.faults, ad = f->w.ad_writes, nrefs = f->w.refs;
	pte_t *snap = snap_tables(f);
	struct walk_result r;
	do_walk(f, va, access, &r);
	cr_assert(r.faulted, "%s, access %#x: no fault (pa %#llx)", what, access,
		  (unsigned long long)r.pa);
	cr_assert_eq(r.fault, code, "%s, access %#x: code %#x, want %#x", what,
		     access, r.fault, code);
	cr_assert_eq(f->w.refs - nrefs, refs, "%s, access %#x: refs", what, access);
	cr_assert_eq(r.cycles, psc(f) + refs * dram(f), "%s, access %#x: cycles", what, access);
	cr_assert_eq(f->w.faults, faults + 1, "%s: faults counter", what);
	cr_assert_eq(f->w.ad_writes, ad, "%s: a faulting walk wrote A/D", what);
	assert_tables_unchanged(f, snap, what);
}

static void expect_ok(struct fx *f, vaddr_t va, uint32_t access, paddr_t pa,
		      const char *what)
{
	struct walk_result r;
	do_walk(f, va, access, &r);
	cr_assert_not(r.faulted, "%s, access %#x: fault %#x", what, access, r.fault);
	cr_assert_eq(r.pa, pa, "%s, access %#x: pa", what, access);
}

Test(walk, not_present_at_each_level)
{
	for (int level = 4; level >= 1; level--) {
		struct fx f;
		fx_init(&f);
		map(&f, VA, PA_4K, 1, USER_RW);
		/* Only P cleared: the other bits (RW, US, address) must be ignored. */
		clear_bits(&f, VA, level, PTE_P);
		char what[32];
		snprintf(what, sizeof(what), "P=0 at level %d", level);
		for (size_t i = 0; i < ARRAY_SIZE(accesses); i++)
			/* code = the access bits alone (P, RSVD clear);
			 * refs = levels read down to the faulting one = 5 - level */
			expect_fault(&f, VA, accesses[i], accesses[i], 5 - level, what);
		cr_assert_eq(f.w.faults, ARRAY_SIZE(accesses));
		fx_fini(&f);
	}
}

/* Error code 0 (not present, read, supervisor) is a fault like any other. */
Test(walk, not_present_supervisor_read_is_a_fault)
{
	struct fx f;
	fx_init(&f);
	map(&f, VA, PA_4K, 1, USER_RW);
	clear_bits(&f, VA, 2, PTE_P);
	pte_t *snap = snap_tables(&f);
	struct walk_result r;
	do_walk(&f, VA, 0, &r);
	/* code 0 after 3 references: 750 */
	cr_assert(r.faulted, "a supervisor read of an unmapped va is no fault");
	cr_assert_eq(r.fault, 0);
	cr_assert_eq(f.w.refs, 3);
	cr_assert_eq(r.cycles, 3 * dram(&f));
	cr_assert_eq(f.w.faults, 1);
	cr_assert_eq(f.w.ad_writes, 0);
	assert_tables_unchanged(&f, snap, "P=0, supervisor read");
	fx_fini(&f);
}

Test(walk, not_present_entry_with_reserved_bits_is_not_present)
{
	struct fx f;
	fx_init(&f);
	map(&f, VA, PA_4K, 1, USER_RW);
	/* P=0: every other bit is ignored, reserved ones included (SDM 4.7). */
	wr(&f, slot_of(&f, VA, 2), (1ull << 46) | PTE_PS | 0x1fe000ull);
	expect_fault(&f, VA, PF_W | PF_U, PF_W | PF_U, 3, "P=0 with rsvd bits");
	fx_fini(&f);
}

Test(walk, write_to_read_only)
{
	for (int level = 4; level >= 1; level--) {
		struct fx f;
		fx_init(&f);
		map(&f, VA, PA_4K, 1, USER_RW);
		clear_bits(&f, VA, level, PTE_RW);       /* RW is ANDed over the path */
		char what[32];
		snprintf(what, sizeof(what), "RW=0 at level %d", level);
		expect_fault(&f, VA, PF_W | PF_U, PF_P | PF_W | PF_U, 4, what);
		expect_fault(&f, VA, PF_W, PF_P | PF_W, 4, what);  /* CR0.WP=1 */
		expect_ok(&f, VA, PF_U, PA_4K | 0xabc, what);
		expect_ok(&f, VA, PF_I | PF_U, PA_4K | 0xabc, what);
		fx_fini(&f);
	}
}

Test(walk, user_access_to_supervisor_page)
{
	for (int level = 4; level >= 1; level--) {
		struct fx f;
		fx_init(&f);
		map(&f, VA, PA_4K, 1, USER_RW);
		clear_bits(&f, VA, level, PTE_US);       /* US is ANDed over the path */
		char what[32];
		snprintf(what, sizeof(what), "US=0 at level %d", level);
		expect_fault(&f, VA, PF_U, PF_P | PF_U, 4, what);
		expect_fault(&f, VA, PF_W | PF_U, PF_P | PF_W | PF_U, 4, what);
		expect_fault(&f, VA, PF_I | PF_U, PF_P | PF_I | PF_U, 4, what);
		expect_ok(&f, VA, 0, PA_4K | 0xabc, what);
		expect_ok(&f, VA, PF_W, PA_4K | 0xabc, what);
		expect_ok(&f, VA, PF_I, PA_4K | 0xabc, what);
		fx_fini(&f);
	}
}

Test(walk, fetch_from_nx)
{
	for (int level = 4; level >= 1; level--) {
		struct fx f;
		fx_init(&f);
		map(&f, VA, PA_4K, 1, USER_RW);
		set_bits(&f, VA, level, PTE_NX);         /* NX is ORed over the path */
		char what[32];
		snprintf(what, sizeof(what), "NX at level %d", level);
		expect_fault(&f, VA, PF_I | PF_U, PF_P | PF_I | PF_U, 4, what);
		expect_fault(&f, VA, PF_I, PF_P | PF_I, 4, what);
		expect_ok(&f, VA, PF_U, PA_4K | 0xabc, what);
		expect_ok(&f, VA, PF_W | PF_U, PA_4K | 0xabc, what);
		fx_fini(&f);
	}
}

Test(walk, fetch_from_nx_2m_and_1g)
{
	struct fx f;
	fx_init(&f);
	vaddr_t va1g = VA + 2 * GiB;
	map(&f, VA, PA_2M, 2, USER_RW | PTE_NX);
	map(&f, va1g, PA_1G, 3, USER_RW | PTE_NX);
	expect_fault(&f, VA, PF_I | PF_U, PF_P | PF_I | PF_U, 3, "NX 2M");
	expect_fault(&f, va1g, PF_I | PF_U, PF_P | PF_I | PF_U, 2, "NX 1G");
	fx_fini(&f);
}

/* An address bit at or above MAXPHYADDR (46 by default) in any present entry. */
Test(walk, rsvd_address_bit_at_each_level)
{
	const int bits[] = { 46, 51 };
	for (int level = 4; level >= 1; level--) {
		for (size_t b = 0; b < ARRAY_SIZE(bits); b++) {
			struct fx f;
			fx_init(&f);
			cr_assert_eq(f.cfg.mmu.maxphyaddr, 46);
			map(&f, VA, PA_4K, 1, USER_RW);
			set_bits(&f, VA, level, 1ull << bits[b]);
			char what[48];
			snprintf(what, sizeof(what), "bit %d at level %d", bits[b], level);
			for (size_t i = 0; i < ARRAY_SIZE(accesses); i++)
				expect_fault(&f, VA, accesses[i],
					     accesses[i] | PF_RSVD | PF_P, 5 - level, what);
			fx_fini(&f);
		}
	}
}

Test(walk, rsvd_address_bits_follow_maxphyaddr)
{
	struct mmsim_cfg cfg;
	cfg_plain(&cfg);

	/* maxphyaddr 46: bit 45 is an address bit (a leaf may point there). */
	struct fx f;
	fx_init_cfg(&f, &cfg);
	map(&f, VA, PA_4K | (1ull << 45), 1, USER_RW);
	expect_ok(&f, VA, PF_U, PA_4K | (1ull << 45) | 0xabc, "bit 45, maxphyaddr 46");
	fx_fini(&f);

	/* maxphyaddr 52: nothing in 51:12 is reserved. */
	cfg.mmu.maxphyaddr = 52;
	fx_init_cfg(&f, &cfg);
	map(&f, VA, PA_4K | (1ull << 51), 1, USER_RW);
	expect_ok(&f, VA, PF_U, PA_4K | (1ull << 51) | 0xabc, "bit 51, maxphyaddr 52");
	fx_fini(&f);

	/* maxphyaddr 36: bit 36 is reserved, bit 35 is not. */
	cfg.mmu.maxphyaddr = 36;
	fx_init_cfg(&f, &cfg);
	map(&f, VA, PA_4K | (1ull << 35), 1, USER_RW);
	expect_ok(&f, VA, PF_U, PA_4K | (1ull << 35) | 0xabc, "bit 35, maxphyaddr 36");
	set_bits(&f, VA, 1, 1ull << 36);
	expect_fault(&f, VA, PF_U, PF_U | PF_RSVD | PF_P, 4, "bit 36, maxphyaddr 36");
	fx_fini(&f);
}

Test(walk, rsvd_ps_in_pml4e)
{
	struct fx f;
	fx_init(&f);
	map(&f, VA, PA_4K, 1, USER_RW);
	set_bits(&f, VA, 4, PTE_PS);
	for (size_t i = 0; i < ARRAY_SIZE(accesses); i++)
		expect_fault(&f, VA, accesses[i], accesses[i] | PF_RSVD | PF_P, 1, "PS in PML4E");
	fx_fini(&f);
}

Test(walk, rsvd_bits_20_13_of_2m_pde)
{
	for (int bit = 13; bit <= 20; bit++) {
		struct fx f;
		fx_init(&f);
		map(&f, VA, PA_2M | (1ull << bit), 2, USER_RW);
		char what[32];
		snprintf(what, sizeof(what), "2M PDE bit %d", bit);
		expect_fault(&f, VA, PF_U, PF_U | PF_RSVD | PF_P, 3, what);
		expect_fault(&f, VA, PF_W | PF_U, PF_W | PF_U | PF_RSVD | PF_P, 3, what);
		fx_fini(&f);
	}
	/* The same bits in a non-leaf PDE are address bits of the page table. */
	struct fx f;
	fx_init(&f);
	map(&f, VA, PA_4K, 1, USER_RW);
	paddr_t pt = ent(&f, VA, 2) & PTE_ADDR_MASK;
	cr_assert(pt & 0x1fe000ull, "the builder's PT should have a bit of 20:13 set");
	expect_ok(&f, VA, PF_U, PA_4K | 0xabc, "non-leaf PDE");
	fx_fini(&f);
}

Test(walk, rsvd_bits_29_13_of_1g_pdpte)
{
	for (int bit = 13; bit <= 29; bit++) {
		struct fx f;
		fx_init(&f);
		map(&f, VA, PA_1G | (1ull << bit), 3, USER_RW);
		char what[32];
		snprintf(what, sizeof(what), "1G PDPTE bit %d", bit);
		expect_fault(&f, VA, PF_U, PF_U | PF_RSVD | PF_P, 2, what);
		expect_fault(&f, VA, PF_I, PF_I | PF_RSVD | PF_P, 2, what);
		fx_fini(&f);
	}
}

/* The reserved-bit check comes before the rights: a write to a read-only
 * leaf with a reserved bit is reported as RSVD (with P). */
Test(walk, rsvd_reported_over_rights)
{
	struct fx f;
	fx_init(&f);
	map(&f, VA, PA_4K, 1, PTE_P | PTE_US);
	set_bits(&f, VA, 1, 1ull << 47);
	expect_fault(&f, VA, PF_W | PF_U, PF_W | PF_U | PF_RSVD | PF_P, 4, "RO + rsvd");
	fx_fini(&f);
}

/* --- memory beyond memory.size ---------------------------------------------- */

/* A present entry naming a table beyond memory.size (64M here): the table
 * reads as all ones, whose address bits 51:46 are reserved, so the walk
 * faults with RSVD at the next level, and the simulator does not crash. */
Test(walk, table_beyond_memory_faults_rsvd)
{
	const paddr_t far[] = { 64 * MiB, 1 * GiB, (1ull << 46) - PAGE_SIZE };
	for (int level = 4; level >= 2; level--)
		for (size_t i = 0; i < ARRAY_SIZE(far); i++) {
			struct fx f;
			fx_init(&f);
			map(&f, VA, PA_4K, 1, USER_RW);
			paddr_t s = slot_of(&f, VA, level);
			wr(&f, s, (rd(&f, s) & ~PTE_ADDR_MASK) | far[i]);
			char what[64];
			snprintf(what, sizeof(what), "level %d -> %#llx", level,
				 (unsigned long long)far[i]);
			for (size_t a = 0; a < ARRAY_SIZE(accesses); a++)
				expect_fault(&f, VA, accesses[a], accesses[a] | PF_RSVD | PF_P,
					     6 - level, what);
			paddr_t pa;
			uint8_t rights;
			cr_assert_not(walk_probe(&f.w, &f.ms->pm, f.cr3, VA, &pa, &rights), "%s",
				      what);
			fx_fini(&f);
		}
	/* CR3 itself beyond memory */
	struct fx f;
	fx_init(&f);
	f.cr3 = 2 * GiB;
	expect_fault(&f, VA, PF_W, PF_W | PF_RSVD | PF_P, 1, "CR3 beyond memory");
	fx_fini(&f);
}

/* A leaf naming a data page beyond memory translates (the walk reads no
 * data); with MAXPHYADDR 52 an all-ones PTE has no reserved bit set and
 * translates too: P RW US A D PAT G NX, frame 0xffffffffff. */
Test(walk, leaf_beyond_memory_translates)
{
	struct fx f;
	fx_init(&f);
	map(&f, VA, 1 * GiB, 1, USER_RW);
	expect_ok(&f, VA, PF_W | PF_U, 1 * GiB | 0xabc, "leaf beyond memory");
	fx_fini(&f);

	struct mmsim_cfg cfg;
	cfg_plain(&cfg);
	cfg.mmu.maxphyaddr = 52;
	fx_init_cfg(&f, &cfg);
	map(&f, VA, PA_4K, 1, USER_RW);
	paddr_t s = slot_of(&f, VA, 2);
	wr(&f, s, (rd(&f, s) & ~PTE_ADDR_MASK) | (1ull << 50));
	struct walk_result r;
	do_walk(&f, VA, PF_W | PF_U, &r);
	cr_assert_not(r.faulted, "fault %#x", r.fault);
	cr_assert_eq(r.pa, 0x000ffffffffff000ull | 0xabc);
	cr_assert_eq(r.rights, TLBE_RW | TLBE_US | TLBE_NX | TLBE_DIRTY | TLBE_GLOBAL);
	cr_assert_eq(f.w.refs, 4);
	fx_fini(&f);
}

/* --- SMEP and SMAP ------------------------------------------------------------ */

static void fx_init_sm(struct fx *f, bool smep, bool smap)
{
	struct mmsim_cfg cfg;
	cfg_plain(&cfg);
	cfg.mmu.smep = smep;
	cfg.mmu.smap = smap;
	fx_init_cfg(f, &cfg);
}

/* SMEP: a supervisor fetch from a user page faults (P|I); SMAP: a supervisor
 * read or write of a user page faults (P, P|W). User accesses and supervisor
 * accesses to supervisor pages are unaffected; SMAP leaves fetches alone and
 * SMEP data accesses. */
Test(walk, smep_and_smap)
{
	for (int smep = 0; smep <= 1; smep++)
		for (int smap = 0; smap <= 1; smap++) {
			struct fx f;
			fx_init_sm(&f, smep, smap);
			vaddr_t sva = VA + PAGE_SIZE;
			map(&f, VA, PA_4K, 1, USER_RW);
			map(&f, sva, PA_4K + PAGE_SIZE, 1, PTE_P | PTE_RW);
			char what[48];
			snprintf(what, sizeof(what), "smep %d smap %d", smep, smap);
			if (smep)
				expect_fault(&f, VA, PF_I, PF_P | PF_I, 4, what);
			else
				expect_ok(&f, VA, PF_I, PA_4K | 0xabc, what);
			if (smap) {
				expect_fault(&f, VA, 0, PF_P, 4, what);
				expect_fault(&f, VA, PF_W, PF_P | PF_W, 4, what);
			} else {
				expect_ok(&f, VA, 0, PA_4K | 0xabc, what);
				expect_ok(&f, VA, PF_W, PA_4K | 0xabc, what);
			}
			for (size_t i = 0; i < ARRAY_SIZE(accesses); i++)
				if (accesses[i] & PF_U)
					expect_ok(&f, VA, accesses[i], PA_4K | 0xabc, what);
				else
					expect_ok(&f, sva, accesses[i], PA_4K + PAGE_SIZE + 0xabc,
						  what);
			fx_fini(&f);
		}
}

/* A page is a user page only if US is set at every level: US clear anywhere
 * above makes it a supervisor page, which SMEP/SMAP leave alone. NX still
 * applies to a supervisor fetch, with the same code. */
Test(walk, smep_smap_follow_us_of_the_path)
{
	for (int level = 4; level >= 1; level--) {
		struct fx f;
		fx_init_sm(&f, true, true);
		map(&f, VA, PA_4K, 1, USER_RW);
		clear_bits(&f, VA, level, PTE_US);
		expect_ok(&f, VA, 0, PA_4K | 0xabc, "US=0 somewhere");
		expect_ok(&f, VA, PF_W, PA_4K | 0xabc, "US=0 somewhere");
		expect_ok(&f, VA, PF_I, PA_4K | 0xabc, "US=0 somewhere");
		set_bits(&f, VA, level, PTE_NX);
		expect_fault(&f, VA, PF_I, PF_P | PF_I, 4, "US=0, NX");
		fx_fini(&f);
	}
	/* 2M and 1G user pages are user pages */
	struct fx f;
	fx_init_sm(&f, true, true);
	vaddr_t va1g = VA + 2 * GiB;
	map(&f, VA, PA_2M, 2, USER_RW);
	map(&f, va1g, PA_1G, 3, USER_RW);
	expect_fault(&f, VA, PF_I, PF_P | PF_I, 3, "SMEP 2M");
	expect_fault(&f, va1g, 0, PF_P, 2, "SMAP 1G");
	fx_fini(&f);
}

/* --- LA57: 5-level paging ------------------------------------------------------- */

static void fx_init_la57(struct fx *f, bool pwcs)
{
	struct mmsim_cfg cfg;
	cfg_plain(&cfg);
	if (pwcs) {
		struct mmsim_cfg d;
		cfg_defaults(&d);
		cfg.mmu.pwc_pml5e = d.mmu.pwc_pml5e;
		cfg.mmu.pwc_pml4e = d.mmu.pwc_pml4e;
		cfg.mmu.pwc_pdpte = d.mmu.pwc_pdpte;
		cfg.mmu.pwc_pde = d.mmu.pwc_pde;
	}
	cfg.mmu.la57 = true;
	fx_init_cfg(f, &cfg);
}

Test(walk, la57_cold_walk_reads_5_levels)
{
	struct fx f;
	fx_init_la57(&f, false);
	cr_assert_eq(f.w.levels, 5);
	map(&f, VA57, PA_4K, 1, USER_RW);
	struct walk_result r;
	do_walk(&f, VA57, PF_U, &r);
	cr_assert_not(r.faulted);
	cr_assert_eq(r.pa, PA_4K | 0xabc);
	cr_assert_eq(r.shift, 12);
	cr_assert_eq(f.w.refs, 5);
	/* 5 reads + 5 A writes: 1250 + 1350 = 2600 */
	cr_assert_eq(r.cycles, 5 * dram(&f) + 5 * ad_cost(&f));
	for (int l = 5; l >= 1; l--)
		cr_assert(ent(&f, VA57, l) & PTE_A, "A clear at level %d", l);
	/* the PML5 index is va bits 56:48: 2 */
	cr_assert_eq(slot_of(&f, VA57, 5), f.cr3 + 8 * 2);

	/* bits 56:48 select another PML5 entry: not mapped */
	expect_fault(&f, VA, PF_U, PF_U, 1, "PML5 index 0");
	expect_fault(&f, VA57 | (1ull << 56), PF_U, PF_U, 1, "PML5 index 258");

	/* 2M and 1G leaves: 4 and 3 references */
	map(&f, VA57 + 2 * GiB, PA_2M, 2, USER_RW);
	map(&f, VA57 + 4 * GiB, PA_1G, 3, USER_RW);
	uint64_t refs = f.w.refs;
	expect_ok(&f, VA57 + 2 * GiB, PF_U, PA_2M | 0x9abc, "LA57 2M");
	cr_assert_eq(f.w.refs - refs, 4);
	expect_ok(&f, VA57 + 4 * GiB, PF_U, PA_1G | 0xe09abc, "LA57 1G");
	cr_assert_eq(f.w.refs - refs, 7);
	fx_fini(&f);
}

Test(walk, la57_faults_and_reserved_bits)
{
	struct fx f;
	fx_init_la57(&f, false);
	map(&f, VA57, PA_4K, 1, USER_RW);
	for (int level = 5; level >= 1; level--) {
		clear_bits(&f, VA57, level, PTE_P);
		expect_fault(&f, VA57, PF_W | PF_U, PF_W | PF_U, 6 - level, "LA57 P=0");
		set_bits(&f, VA57, level, PTE_P);
		set_bits(&f, VA57, level, 1ull << 46);
		expect_fault(&f, VA57, PF_U, PF_U | PF_RSVD | PF_P, 6 - level, "LA57 bit 46");
		clear_bits(&f, VA57, level, 1ull << 46);
	}
	set_bits(&f, VA57, 5, PTE_PS);                  /* PS is reserved in a PML5E */
	expect_fault(&f, VA57, PF_U, PF_U | PF_RSVD | PF_P, 1, "PS in PML5E");
	paddr_t pa;
	uint8_t rights;
	cr_assert_not(walk_probe(&f.w, &f.ms->pm, f.cr3, VA57, &pa, &rights));
	clear_bits(&f, VA57, 5, PTE_PS);
	cr_assert(walk_probe(&f.w, &f.ms->pm, f.cr3, VA57, &pa, &rights));
	cr_assert_eq(pa, PA_4K | 0xabc);
	set_bits(&f, VA57, 4, PTE_PS);                  /* and in a PML4E */
	expect_fault(&f, VA57, PF_U, PF_U | PF_RSVD | PF_P, 2, "PS in PML4E (LA57)");
	fx_fini(&f);
}

/* The PML5E cache (LA57 only): another 512G region under the same PML5
 * entry skips the PML5 read. */
Test(walk, la57_pml5e_cache)
{
	struct fx f;
	fx_init_la57(&f, true);
	cr_assert_not_null(f.w.pwc[5]);
	vaddr_t other = VA57 + (1ull << 39);           /* PML4 index 4 */
	map(&f, VA57, PA_4K, 1, USER_RW);
	map(&f, other, PA_4K + PAGE_SIZE, 1, USER_RW);
	struct walk_result r;
	cr_assert_eq(refs_of(&f, 0, VA57, PF_U, &r), 5);
	cr_assert_eq(f.w.pwc_miss[5], 1);
	cr_assert_eq(refs_of(&f, 0, other, PF_U, &r), 4);
	cr_assert_eq(r.pa, PA_4K + PAGE_SIZE + 0xabc);
	cr_assert_eq(f.w.pwc_hit[5], 1);
	cr_assert_eq(f.w.pwc_miss[4], 2);
	/* 1 (PSC) + 4 reads + 4 A writes (PML4E, PDPTE, PDE, PTE are new) */
	cr_assert_eq(r.cycles, psc(&f) + 4 * dram(&f) + 4 * ad_cost(&f));
	fx_fini(&f);

	/* without LA57 the PML5E cache does not exist */
	fx_init_default(&f);
	cr_assert_null(f.w.pwc[5]);
	fx_fini(&f);
}

/* --- paging-structure caches --------------------------------------------------- */

/* Addresses that share the upper levels with VA down to a given level:
 * SAME_2M: another 4K page under VA's PDE; SAME_1G: another PDE under VA's
 * PDPTE; SAME_512G: another PDPTE under VA's PML4E; OTHER: another PML4E. */
#define SAME_2M   (VA + 3 * PAGE_SIZE)
#define SAME_1G   (VA + (2ull << 21))
#define SAME_512G (VA + (2ull << 30))
#define OTHER     (VA + (2ull << 39))

/* A hit in the cache of level L gives the table of level L-1: the walk reads
 * the levels below only. Cold: 4 references; PDE hit: 1; PDPTE hit: 2;
 * PML4E hit: 3. Each walk costs the PSC lookup (1 cycle by default) once. */
Test(walk, pwc_skips_levels)
{
	struct fx f;
	fx_init_default(&f);
	cr_assert_eq(psc(&f), 1);
	const vaddr_t vas[] = { VA, SAME_2M, SAME_1G, SAME_512G, OTHER };
	for (size_t i = 0; i < ARRAY_SIZE(vas); i++)
		map(&f, vas[i], PA_4K + i * PAGE_SIZE, 1, USER_RW);
	struct walk_result r;

	cr_assert_eq(refs_of(&f, 0, VA, PF_U, &r), 4);
	cr_assert_eq(r.cycles, psc(&f) + 4 * dram(&f) + 4 * ad_cost(&f));   /* 2081 */
	for (int l = 2; l <= 4; l++) {
		cr_assert_eq(f.w.pwc_miss[l], 1, "level %d", l);
		cr_assert_eq(f.w.pwc_hit[l], 0, "level %d", l);
	}

	/* the same page again: PDE hit, the PTE only: 1 + 250 */
	cr_assert_eq(refs_of(&f, 0, VA, PF_U, &r), 1);
	cr_assert_eq(r.pa, PA_4K | 0xabc);
	cr_assert_eq(r.cycles, psc(&f) + dram(&f));
	cr_assert_eq(f.w.pwc_hit[2], 1);

	/* another page of the 2M region: PDE hit, PTE read and its A set */
	cr_assert_eq(refs_of(&f, 0, SAME_2M, PF_U, &r), 1);
	cr_assert_eq(r.pa, PA_4K + PAGE_SIZE + 0xabc);
	cr_assert_eq(r.cycles, psc(&f) + dram(&f) + ad_cost(&f));
	cr_assert_eq(f.w.pwc_hit[2], 2);

	/* PDPTE hit: PDE and PTE read (both A clear) */
	cr_assert_eq(refs_of(&f, 0, SAME_1G, PF_U, &r), 2);
	cr_assert_eq(r.pa, PA_4K + 2 * PAGE_SIZE + 0xabc);
	cr_assert_eq(r.cycles, psc(&f) + 2 * dram(&f) + 2 * ad_cost(&f));
	cr_assert_eq(f.w.pwc_hit[3], 1);
	cr_assert_eq(f.w.pwc_miss[2], 2);

	/* PML4E hit: PDPTE, PDE, PTE */
	cr_assert_eq(refs_of(&f, 0, SAME_512G, PF_U, &r), 3);
	cr_assert_eq(r.pa, PA_4K + 3 * PAGE_SIZE + 0xabc);
	cr_assert_eq(f.w.pwc_hit[4], 1);
	cr_assert_eq(f.w.pwc_miss[3], 2);

	/* cold again */
	cr_assert_eq(refs_of(&f, 0, OTHER, PF_U, &r), 4);
	cr_assert_eq(f.w.pwc_miss[4], 2);

	cr_assert_eq(f.w.walks, 6);
	cr_assert_eq(f.w.refs, 4 + 1 + 1 + 2 + 3 + 4);
	/* the upper entries skipped were not re-read, nor their A re-written */
	cr_assert_eq(f.w.ad_writes, 4 + 0 + 1 + 2 + 3 + 4);
	fx_fini(&f);
}

/* Each cache can be disabled alone; with none, every walk reads 4 entries
 * and the PSC lookup costs nothing. */
Test(walk, pwc_disabled)
{
	struct mmsim_cfg cfg;
	cfg_base(&cfg);
	cfg.mmu.pwc_pde.entries = 0;                    /* PDPTE and PML4E caches only */
	struct fx f;
	fx_init_cfg(&f, &cfg);
	cr_assert_null(f.w.pwc[2]);
	map(&f, VA, PA_4K, 1, USER_RW);
	map(&f, SAME_2M, PA_4K + PAGE_SIZE, 1, USER_RW);
	struct walk_result r;
	cr_assert_eq(refs_of(&f, 0, VA, PF_U, &r), 4);
	cr_assert_eq(refs_of(&f, 0, VA, PF_U, &r), 2, "PDPTE hit: PDE and PTE");
	cr_assert_eq(refs_of(&f, 0, SAME_2M, PF_U, &r), 2);
	cr_assert_eq(f.w.pwc_hit[3], 2);
	cr_assert_eq(f.w.pwc_hit[2] + f.w.pwc_miss[2], 0);
	fx_fini(&f);

	cfg_base(&cfg);
	no_pwcs(&cfg);
	fx_init_cfg(&f, &cfg);
	cr_assert_eq(psc(&f), 0);
	const vaddr_t vas[] = { VA, SAME_2M, SAME_1G, SAME_512G, OTHER };
	for (size_t i = 0; i < ARRAY_SIZE(vas); i++)
		map(&f, vas[i], PA_4K + i * PAGE_SIZE, 1, USER_RW);
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < ARRAY_SIZE(vas); i++)
			cr_assert_eq(refs_of(&f, 0, vas[i], PF_U, &r), 4);
	cr_assert_eq(f.w.refs, 4 * f.w.walks);
	cr_assert_eq(r.cycles, 4 * dram(&f));
	for (int l = 0; l <= PT_MAX_LEVELS; l++)
		cr_assert_eq(f.w.pwc_hit[l] + f.w.pwc_miss[l], 0);
	fx_fini(&f);
}

/* The PSC lookup costs the longest latency of the caches that exist. */
Test(walk, pwc_latency_is_the_longest_enabled)
{
	struct mmsim_cfg cfg;
	cfg_base(&cfg);
	cfg.mmu.pwc_pde.latency = 3;
	cfg.mmu.pwc_pdpte.latency = 5;
	cfg.mmu.pwc_pml4e.latency = 2;
	cfg.mmu.pwc_pml5e.latency = 9;                  /* absent without LA57 */
	struct fx f;
	fx_init_cfg(&f, &cfg);
	cr_assert_eq(psc(&f), 5);
	map(&f, VA, PA_4K, 1, USER_RW);
	struct walk_result r;
	do_walk(&f, VA, PF_U, &r);
	cr_assert_eq(r.cycles, 5 + 4 * dram(&f) + 4 * ad_cost(&f));
	do_walk(&f, VA, PF_U, &r);
	cr_assert_eq(r.cycles, 5 + dram(&f));
	fx_fini(&f);

	cfg.mmu.pwc_pdpte.entries = 0;
	fx_init_cfg(&f, &cfg);
	cr_assert_eq(psc(&f), 3);
	fx_fini(&f);

	cfg.mmu.la57 = true;
	fx_init_cfg(&f, &cfg);
	cr_assert_eq(psc(&f), 9);
	fx_fini(&f);
}

/* A leaf is never a PSC entry: after a 2M walk the PDPTE cache (not the PDE
 * cache) answers; after a 1G walk the PML4E cache. */
Test(walk, pwc_holds_no_leaves)
{
	struct fx f;
	fx_init_default(&f);
	vaddr_t va1g = VA + 2 * GiB;
	map(&f, VA, PA_2M, 2, USER_RW);
	map(&f, va1g, PA_1G, 3, USER_RW);
	struct walk_result r;
	cr_assert_eq(refs_of(&f, 0, VA, PF_U, &r), 3);
	cr_assert_eq(tlb_occupancy(f.w.pwc[2]), 0);
	cr_assert_eq(refs_of(&f, 0, VA, PF_U, &r), 1);
	cr_assert_eq(r.pa, PA_2M | 0x9abc);
	cr_assert_eq(r.shift, 21);
	cr_assert_eq(f.w.pwc_hit[3], 1);
	cr_assert_eq(refs_of(&f, 0, va1g, PF_U, &r), 1, "PML4E hit, then the 1G PDPTE");
	cr_assert_eq(r.shift, 30);
	cr_assert_eq(f.w.pwc_hit[4], 1);
	cr_assert_eq(tlb_occupancy(f.w.pwc[2]), 0);
	cr_assert_eq(tlb_occupancy(f.w.pwc[3]), 1);
	fx_fini(&f);
}

/* A walk that faults fills nothing (walk.h: PSCs are filled only by walks
 * that complete). */
Test(walk, pwc_not_filled_by_faulting_walks)
{
	struct fx f;
	fx_init_default(&f);
	map(&f, VA, PA_4K, 1, USER_RW);
	clear_bits(&f, VA, 1, PTE_P);
	expect_fault(&f, VA, PF_U, PF_U, 4, "P=0 PTE");
	expect_fault(&f, VA, PF_U, PF_U, 4, "P=0 PTE, again");
	for (int l = 2; l <= 4; l++)
		cr_assert_eq(tlb_occupancy(f.w.pwc[l]), 0, "level %d", l);
	fx_fini(&f);
}

/* A PSC entry carries the rights of the levels it stands for: US clear in a
 * PDPTE still denies a user access to any page under it after a PDE hit. */
Test(walk, pwc_entries_carry_upper_rights)
{
	struct fx f;
	fx_init_default(&f);
	map(&f, VA, PA_4K, 1, USER_RW);
	map(&f, SAME_2M, PA_4K + PAGE_SIZE, 1, USER_RW);
	clear_bits(&f, VA, 3, PTE_US);
	set_bits(&f, VA, 4, PTE_NX);
	struct walk_result r;
	do_walk(&f, VA, 0, &r);                         /* supervisor: fills the PSCs */
	cr_assert_not(r.faulted);
	cr_assert_eq(r.rights, TLBE_RW | TLBE_NX);
	expect_fault(&f, SAME_2M, PF_U, PF_P | PF_U, 1, "US=0 above, PDE hit");
	expect_fault(&f, SAME_2M, PF_I, PF_P | PF_I, 1, "NX above, PDE hit");
	cr_assert_eq(f.w.pwc_hit[2], 2);
	fx_fini(&f);
}

/* Entries are tagged with the PCID of the walk; walker_flush_pcid drops one
 * PCID's, walker_flush_all every one. */
Test(walk, pwc_pcid_tags_and_flushes)
{
	struct fx f;
	fx_init_default(&f);
	map(&f, VA, PA_4K, 1, USER_RW);
	struct walk_result r;
	cr_assert_eq(refs_of(&f, 1, VA, PF_U, &r), 4);
	cr_assert_eq(refs_of(&f, 1, VA, PF_U, &r), 1);
	cr_assert_eq(refs_of(&f, 2, VA, PF_U, &r), 4, "pcid 2 has no PSC entries yet");
	cr_assert_eq(refs_of(&f, 2, VA, PF_U, &r), 1);
	walker_flush_pcid(&f.w, 1);
	cr_assert_eq(refs_of(&f, 2, VA, PF_U, &r), 1, "pcid 2's entries stay");
	cr_assert_eq(refs_of(&f, 1, VA, PF_U, &r), 4);
	walker_flush_all(&f.w);
	cr_assert_eq(refs_of(&f, 1, VA, PF_U, &r), 4);
	cr_assert_eq(refs_of(&f, 2, VA, PF_U, &r), 4);
	fx_fini(&f);
}

/* The PSC may hold a stale upper entry after the kernel rewrites it (SDM
 * 4.10.4: software must invalidate): the walker uses the old PT until a
 * flush. */
Test(walk, pwc_stale_until_flushed)
{
	struct fx f;
	fx_init_default(&f);
	map(&f, VA, PA_4K, 1, USER_RW);
	struct walk_result r;
	refs_of(&f, 0, VA, PF_U, &r);
	paddr_t pt2 = new_table(&f);
	wr(&f, pt2 + 8 * pt_index(VA, 1), (PA_4K + 8 * PAGE_SIZE) | USER_RW);
	paddr_t pde = slot_of(&f, VA, 2);
	wr(&f, pde, pt2 | UPPER | PTE_A);
	cr_assert_eq(refs_of(&f, 0, VA, PF_U, &r), 1);
	cr_assert_eq(r.pa, PA_4K | 0xabc, "stale PDE-cache entry");
	walker_flush_pcid(&f.w, 0);
	cr_assert_eq(refs_of(&f, 0, VA, PF_U, &r), 4);
	cr_assert_eq(r.pa, (PA_4K + 8 * PAGE_SIZE) | 0xabc);
	fx_fini(&f);
}

/* The PML4E cache has 2 entries (fully associative, LRU by default): a third
 * 512G region evicts the least recently used one. */
Test(walk, pwc_capacity)
{
	struct fx f;
	fx_init_default(&f);
	cr_assert_eq(f.w.pwc[4]->sets * f.w.pwc[4]->ways, 2);
	const vaddr_t region[] = { VA, VA + (1ull << 39), VA + (2ull << 39) };
	for (int i = 0; i < 3; i++) {
		map(&f, region[i], PA_4K, 1, USER_RW);
		map(&f, region[i] + (3ull << 30), PA_4K, 1, USER_RW);   /* another PDPTE */
	}
	struct walk_result r;
	for (int i = 0; i < 3; i++)
		cr_assert_eq(refs_of(&f, 0, region[i], PF_U, &r), 4);
	cr_assert_eq(f.w.pwc[4]->evictions, 1);
	cr_assert_eq(refs_of(&f, 0, region[0] + (3ull << 30), PF_U, &r), 4, "evicted");
	cr_assert_eq(refs_of(&f, 0, region[2] + (3ull << 30), PF_U, &r), 3, "kept");
	fx_fini(&f);
}

/* --- walk_probe ------------------------------------------------------------------ */

/* Probe va: same answer as a walk, no side effects (tables, walker counters,
 * PSC contents and memory-port counters all unchanged). */
static bool probe_clean(struct fx *f, vaddr_t va, paddr_t *pa, uint8_t *rights)
{
	struct walker before = f->w;
	uint64_t pwc_fills[PT_MAX_LEVELS + 1] = { 0 };
	for (int l = 0; l <= PT_MAX_LEVELS; l++)
		if (f->w.pwc[l])
			pwc_fills[l] = f->w.pwc[l]->fills + f->w.pwc[l]->hits;
	uint64_t dram_before[MEM_KINDS];
	memcpy(dram_before, f->ms->access, sizeof(dram_before));
	uint64_t backed = f->ms->pm.backed;
	pte_t *snap = snap_tables(f);

	bool ok = walk_probe(&f->w, &f->ms->pm, f->cr3, va, pa, rights);

	assert_tables_unchanged(f, snap, "walk_probe");
	cr_assert(before.walks == f->w.walks && before.refs == f->w.refs &&
		  before.cycles == f->w.cycles && before.ad_writes == f->w.ad_writes &&
		  before.faults == f->w.faults, "walk_probe touched the walker");
	cr_assert(memcmp(before.pwc_hit, f->w.pwc_hit, sizeof(before.pwc_hit)) == 0 &&
		  memcmp(before.pwc_miss, f->w.pwc_miss, sizeof(before.pwc_miss)) == 0 &&
		  memcmp(before.hist, f->w.hist, sizeof(before.hist)) == 0,
		  "walk_probe touched the walker's PSC or histogram counters");
	for (int l = 0; l <= PT_MAX_LEVELS; l++)
		if (f->w.pwc[l])
			cr_assert_eq(pwc_fills[l], f->w.pwc[l]->fills + f->w.pwc[l]->hits);
	cr_assert_eq(memcmp(dram_before, f->ms->access, sizeof(dram_before)), 0,
		     "walk_probe went through the memory port");
	cr_assert_eq(f->ms->pm.backed, backed);
	return ok;
}

Test(walk, probe_agrees_with_walk)
{
	static const struct { int level; pte_t flags; } cases[] = {
		{ 1, USER_RW },
		{ 1, PTE_P | PTE_US },
		{ 1, PTE_P | PTE_RW },
		{ 1, USER_RW | PTE_NX | PTE_G },
		{ 1, USER_RW | PTE_D },
		{ 2, USER_RW },
		{ 2, PTE_P | PTE_NX | PTE_G },
		{ 3, USER_RW | PTE_D },
		{ 3, PTE_P | PTE_US | PTE_G },
	};
	static const paddr_t base[] = { 0, PA_4K, PA_2M, PA_1G };
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fx f;
		fx_init(&f);
		map(&f, VA, base[cases[i].level], cases[i].level, cases[i].flags);
		if (i == 2)
			set_bits(&f, VA, 3, PTE_NX);     /* an upper-level right too */

		paddr_t pa = 0;
		uint8_t rights = 0;
		cr_assert(probe_clean(&f, VA, &pa, &rights), "case %zu: probe failed", i);
		struct walk_result r;
		do_walk(&f, VA, 0, &r);          /* supervisor read: never denied (no SMAP) */
		cr_assert_not(r.faulted, "case %zu", i);
		cr_assert_eq(pa, r.pa, "case %zu: probe pa %#llx, walk %#llx", i,
			     (unsigned long long)pa, (unsigned long long)r.pa);
		cr_assert_eq(rights, r.rights, "case %zu: probe rights %#x, walk %#x", i,
			     rights, r.rights);

		/* After a write walk set D, the probe sees it too. */
		if (cases[i].flags & PTE_RW) {
			do_walk(&f, VA, PF_W, &r);
			cr_assert_not(r.faulted, "case %zu", i);
			cr_assert(probe_clean(&f, VA, &pa, &rights));
			cr_assert_eq(pa, r.pa, "case %zu", i);
			cr_assert_eq(rights, r.rights, "case %zu", i);
			cr_assert(rights & TLBE_DIRTY, "case %zu", i);
		}
		fx_fini(&f);
	}
}

/* The probe ignores the PSCs: it reads the tables as they are now. */
Test(walk, probe_ignores_pwcs)
{
	struct fx f;
	fx_init_default(&f);
	map(&f, VA, PA_4K, 1, USER_RW);
	struct walk_result r;
	do_walk(&f, VA, PF_U, &r);                      /* PSCs warm */
	clear_bits(&f, VA, 2, PTE_P);
	paddr_t pa;
	uint8_t rights;
	cr_assert_not(probe_clean(&f, VA, &pa, &rights));
	fx_fini(&f);
}

Test(walk, probe_false_when_not_present)
{
	for (int level = 4; level >= 1; level--) {
		struct fx f;
		fx_init(&f);
		map(&f, VA, PA_4K, 1, USER_RW);
		clear_bits(&f, VA, level, PTE_P);
		paddr_t pa = 0;
		uint8_t rights = 0;
		cr_assert_not(probe_clean(&f, VA, &pa, &rights), "P=0 at level %d", level);
		fx_fini(&f);
	}
	struct fx f;                                  /* empty PML4 */
	fx_init(&f);
	paddr_t pa;
	uint8_t rights;
	cr_assert_not(probe_clean(&f, VA, &pa, &rights));
	fx_fini(&f);
}

/* Map VA with a leaf at `level` (its entry or-ed with leaf_extra), then set
 * `rsvd` in the entry at rsvd_level (0: none): walk() must fault with RSVD,
 * and walk_probe must say "not mapped" without side effects. */
static void probe_rsvd(int level, pte_t leaf_extra, int rsvd_level, pte_t rsvd,
		       const char *what)
{
	static const paddr_t base[] = { 0, PA_4K, PA_2M, PA_1G };
	struct fx f;
	fx_init(&f);
	map(&f, VA, base[level] | leaf_extra, level, USER_RW);
	if (rsvd_level)
		set_bits(&f, VA, rsvd_level, rsvd);

	struct walk_result r;
	pte_t *snap = snap_tables(&f);
	do_walk(&f, VA, 0, &r);
	cr_assert(r.faulted, "%s: walk should fault", what);
	cr_assert_eq(r.fault, PF_RSVD | PF_P, "%s: walk should fault with RSVD", what);
	assert_tables_unchanged(&f, snap, what);

	paddr_t pa = 0;
	uint8_t rights = 0;
	cr_assert_not(probe_clean(&f, VA, &pa, &rights),
		      "%s: walk faults with RSVD but walk_probe maps it to %#llx",
		      what, (unsigned long long)pa);
	fx_fini(&f);
}

/* Where walk() faults with RSVD, walk_probe says "not mapped" (so the --check
 * TLB checker rejects what the hardware rejects). */
Test(walk, probe_false_on_rsvd_address_bit_in_pte)
{
	probe_rsvd(1, 0, 1, 1ull << 46, "bit 46 in the PTE");
}

/* A non-leaf entry with bit 50 set must not be followed (it once was, and
 * physmem_read indexed far out of its frame array). */
Test(walk, probe_false_on_rsvd_address_bit_in_pde)
{
	probe_rsvd(1, 0, 2, 1ull << 50, "bit 50 in a non-leaf PDE");
}

Test(walk, probe_false_on_ps_in_pml4e)
{
	probe_rsvd(1, 0, 4, PTE_PS, "PS in the PML4E");
}

Test(walk, probe_false_on_rsvd_bit_of_2m_pde)
{
	probe_rsvd(2, 1ull << 13, 0, 0, "bit 13 of a 2M PDE");
}

Test(walk, probe_false_on_rsvd_bit_of_1g_pdpte)
{
	probe_rsvd(3, 1ull << 29, 0, 0, "bit 29 of a 1G PDPTE");
}

/* --- the walk-cycle histogram ----------------------------------------------------- */

/* Bucket 0 holds walks of fewer than 128 cycles, bucket b (1..10) those of
 * [128 << (b-1), 128 << b), bucket 11 those of 131072 and more. With no
 * PWCs, no A/D cost beyond the reference and D = 32: a warm 1G walk is 64
 * cycles, a warm 2M walk 96, a warm 4K walk 128 (the first value of bucket
 * 1), a cold 4K walk 8 references = 256 (bucket 2), a fault at the PML4 32;
 * a first 2M walk under a warm PML4E 5 references = 160 (bucket 1). */
Test(walk, cycle_histogram)
{
	struct mmsim_cfg cfg;
	cfg_plain(&cfg);
	cfg.memory.dram_latency = 32;
	cfg.mmu.ad_update = 0;
	struct fx f;
	fx_init_cfg(&f, &cfg);
	vaddr_t va2m = VA + 2 * GiB, va1g = VA + 4 * GiB;
	map(&f, VA, PA_4K, 1, USER_RW);
	map(&f, va2m, PA_2M, 2, USER_RW);
	map(&f, va1g, PA_1G, 3, USER_RW);
	struct walk_result r;
	do_walk(&f, VA, PF_U, &r);
	cr_assert_eq(r.cycles, 256);
	do_walk(&f, VA, PF_U, &r);
	cr_assert_eq(r.cycles, 128);
	do_walk(&f, va2m, PF_U, &r);                    /* 3 + PDPTE's and PDE's A */
	cr_assert_eq(r.cycles, 160);
	do_walk(&f, va2m, PF_U, &r);
	cr_assert_eq(r.cycles, 96);
	do_walk(&f, va1g, PF_U, &r);                    /* 2 + the PDPTE's A */
	cr_assert_eq(r.cycles, 96);
	do_walk(&f, va1g, PF_U, &r);
	cr_assert_eq(r.cycles, 64);
	do_walk(&f, VA + (9ull << 39), PF_U, &r);       /* not present at the PML4 */
	cr_assert(r.faulted);
	cr_assert_eq(r.cycles, 32);
	const uint64_t want[WALK_HIST_BUCKETS] = { [0] = 4, [1] = 2, [2] = 1 };
	for (int b = 0; b < WALK_HIST_BUCKETS; b++)
		cr_assert_eq(f.w.hist[b], want[b], "bucket %d: %llu, want %llu", b,
			     (unsigned long long)f.w.hist[b], (unsigned long long)want[b]);
	cr_assert_eq(f.w.cycles, 256 + 128 + 160 + 96 + 96 + 64 + 32);
	cr_assert_eq(f.w.walks, 7);
	cr_assert_eq(f.w.faults, 1);
	fx_fini(&f);

	/* The boundaries: D = 31 makes a warm 4K walk 124 (bucket 0); D = 100000
	 * a 1-reference fault 100000 (bucket 10: [65536, 131072)) and a warm
	 * 4K walk 400000 (the open-ended bucket 11). */
	cfg.memory.dram_latency = 31;
	fx_init_cfg(&f, &cfg);
	map(&f, VA, PA_4K, 1, USER_RW | PTE_A);
	for (int l = 4; l >= 2; l--)
		set_bits(&f, VA, l, PTE_A);
	do_walk(&f, VA, PF_U, &r);
	cr_assert_eq(r.cycles, 124);
	cr_assert_eq(f.w.hist[0], 1);
	fx_fini(&f);

	cfg.memory.dram_latency = 100000;
	fx_init_cfg(&f, &cfg);
	map(&f, VA, PA_4K, 1, USER_RW | PTE_A);
	for (int l = 4; l >= 2; l--)
		set_bits(&f, VA, l, PTE_A);
	do_walk(&f, VA, PF_U, &r);
	cr_assert_eq(r.cycles, 400000);
	do_walk(&f, VA + (9ull << 39), PF_U, &r);
	cr_assert_eq(r.cycles, 100000);
	cr_assert_eq(f.w.hist[WALK_HIST_BUCKETS - 1], 1);
	cr_assert_eq(f.w.hist[10], 1);
	fx_fini(&f);
}
