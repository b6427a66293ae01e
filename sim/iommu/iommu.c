/* The IOMMU's translation path: see iommu.h. Invalidation is inval.c. */
#include "sim/iommu/iommu.h"

#include <assert.h>
#include <stdlib.h>
#include "lib/config.h"
#include "lib/stats.h"
#include "sim/iommu/internal.h"
#include "sim/mem/dram.h"
#include "sim/mem/memsys.h"
#include "sim/tlb/tlb.h"

const char *const iommu_fault_name[IOF_REASONS] = {
	"none", "root_not_present", "context_not_present", "context_invalid",
	"not_present", "read_only", "reserved_bit",
};

static const uint8_t iotlb_shifts[3] = { 12, 21, 30 };

struct iommu *iommu_create(const struct mmsim_cfg *cfg, struct memsys *ms)
{
	struct iommu *io = calloc(1, sizeof(*io));
	if (!io)
		abort();
	io->ms = ms;
	io->enabled = cfg->iommu.mode != IOMMU_OFF;
	io->coherent = cfg->iommu.coherent;
	io->rsvd_addr = PTE_ADDR_MASK & ~((1ull << cfg->mmu.maxphyaddr) - 1);
	if (cfg->iommu.iotlb.entries) {
		io->iotlb = tlb_create(&cfg->iommu.iotlb, iotlb_shifts, 3, cfg->seed + 0x10);
		io->iotlb_latency = cfg->iommu.iotlb.latency;
	}
	const struct cfg_tlb *pwc[PT_LEVELS + 1] = {
		[2] = &cfg->iommu.pwc_pde, [3] = &cfg->iommu.pwc_pdpte, [4] = &cfg->iommu.pwc_pml4e,
	};
	for (int l = 2; l <= PT_LEVELS; l++) {
		if (!pwc[l]->entries)
			continue;
		io->pwc[l] = tlb_create1(pwc[l], PAGE_SHIFT + 9 * (l - 1), cfg->seed + 0x10 + l);
		if (pwc[l]->latency > io->pwc_latency)
			io->pwc_latency = pwc[l]->latency;
	}
	io->nctx = cfg->iommu.ctx_cache;
	io->ctx = calloc(io->nctx ? io->nctx : 1, sizeof(*io->ctx));
	io->fault_cap = cfg->iommu.fault_log;
	io->log = calloc(io->fault_cap, sizeof(*io->log));
	if (!io->ctx || !io->log)
		abort();
	io->cost_page = cfg->iommu.inv_page;
	io->cost_domain = cfg->iommu.inv_domain;
	io->cost_global = cfg->iommu.inv_global;
	io->cost_context = cfg->iommu.inv_context;
	io->cost_wait = cfg->iommu.inv_wait;
	return io;
}

void iommu_destroy(struct iommu *io)
{
	if (!io)
		return;
	tlb_destroy(io->iotlb);
	for (int l = 0; l <= PT_LEVELS; l++)
		tlb_destroy(io->pwc[l]);
	free(io->ctx);
	free(io->log);
	free(io);
}

void iommu_stats(struct iommu *io, struct stats *st)
{
	stats_add(st, &io->translations, "iommu.translations");
	stats_add(st, &io->iotlb_hit, "iommu.iotlb.hit");
	stats_add(st, &io->iotlb_miss, "iommu.iotlb.miss");
	stats_add(st, &io->ctx_hit, "iommu.ctx_cache.hit");
	stats_add(st, &io->ctx_miss, "iommu.ctx_cache.miss");
	stats_add(st, &io->walks, "iommu.walk.count");
	stats_add(st, &io->walk_refs, "iommu.walk.refs");
	stats_add(st, &io->walk_cycles, "iommu.walk.cycles");
	static const char *const lvl[PT_LEVELS + 1] = { [2] = "pde", [3] = "pdpte", [4] = "pml4e" };
	for (int l = 2; l <= PT_LEVELS; l++) {
		stats_add(st, &io->pwc_hit[l], "iommu.pwc.%s.hit", lvl[l]);
		stats_add(st, &io->pwc_miss[l], "iommu.pwc.%s.miss", lvl[l]);
	}
	stats_add(st, &io->inv_page, "iommu.inv.page");
	stats_add(st, &io->inv_domain, "iommu.inv.domain");
	stats_add(st, &io->inv_global, "iommu.inv.global");
	stats_add(st, &io->inv_context, "iommu.inv.context");
	stats_add(st, &io->inv_wait, "iommu.inv.wait");
	stats_add(st, &io->inv_cycles, "iommu.inv.cycles");
	stats_add(st, &io->inv_dropped, "iommu.inv.entries_dropped");
	stats_add(st, &io->faults, "iommu.fault");
	for (int r = 1; r < IOF_REASONS; r++)
		stats_add(st, &io->fault_reason[r], "iommu.fault.%s", iommu_fault_name[r]);
	stats_add(st, &io->faults_unlogged, "iommu.fault.unlogged");
}

/* One read of the IOMMU's own structures (tables, descriptors) at cycle now. */
cycles_t iommu_mem_read(struct iommu *io, paddr_t pa, cycles_t now)
{
	struct memsys *ms = io->ms;
	if (io->coherent || ms->flat)
		return memsys_access(ms, 0, pa, MEM_DMA, false, now);
	ms->access[MEM_DMA]++;
	return dram_access(ms->dram, 0, pa, false, now);
}

void iommu_set_root(struct iommu *io, paddr_t rtaddr)
{
	io->rtaddr = rtaddr & VTD_ADDR_MASK;
	iommu_drop_ctx(io, -1, -1);
	iommu_drop_iotlb(io, -1, 0, 0, false);
}

/* --- context ------------------------------------------------------------- */

/* The context entry for sid: from the context cache, or read from the root
 * and context tables. Returns IOF_NONE with *ce filled. */
static enum iommu_fault_reason context_of(struct iommu *io, uint16_t sid, cycles_t now,
					  cycles_t *cycles, struct ctx_cache_entry *ce)
{
	struct ctx_cache_entry *victim = io->nctx ? &io->ctx[0] : NULL;
	for (uint32_t i = 0; i < io->nctx; i++) {
		struct ctx_cache_entry *e = &io->ctx[i];
		if (e->valid && e->sid == sid) {
			e->stamp = ++io->ctx_tick;
			io->ctx_hit++;
			*ce = *e;
			return IOF_NONE;
		}
		if (!e->valid || (victim->valid && e->stamp < victim->stamp))
			victim = e;
	}
	io->ctx_miss++;
	if (!io->rtaddr)
		return IOF_ROOT_NP;
	paddr_t re_pa = io->rtaddr + VTD_ENTRY_SIZE * (sid >> 8);
	*cycles += iommu_mem_read(io, re_pa, now + *cycles);
	uint64_t re = physmem_read(&io->ms->pm, re_pa, 8);
	if (!(re & VTD_RE_P))
		return IOF_ROOT_NP;
	paddr_t ce_pa = (re & VTD_ADDR_MASK) + VTD_ENTRY_SIZE * (sid & 0xff);
	*cycles += iommu_mem_read(io, ce_pa, now + *cycles);   /* both qwords: one line */
	uint64_t lo = physmem_read(&io->ms->pm, ce_pa, 8);
	uint64_t hi = physmem_read(&io->ms->pm, ce_pa + 8, 8);
	if (!(lo & VTD_CE_P))
		return IOF_CTX_NP;
	uint64_t tt = (lo & VTD_CE_TT_MASK) >> VTD_CE_TT_SHIFT;
	if ((tt != VTD_TT_TRANSLATE && tt != VTD_TT_PASSTHROUGH) ||
	    (tt == VTD_TT_TRANSLATE && (hi & 7) != VTD_CE_AW_48) || (lo & io->rsvd_addr))
		return IOF_CTX_BAD;
	*ce = (struct ctx_cache_entry){ .slptptr = lo & VTD_ADDR_MASK, .sid = sid,
					.did = (uint16_t)(hi >> VTD_CE_DID_SHIFT), .tt = (uint8_t)tt,
					.valid = true, .stamp = ++io->ctx_tick };
	if (victim)
		*victim = *ce;
	return IOF_NONE;
}

/* --- the IO page walk ---------------------------------------------------- */

/* Longest-reach PSC hit for (did, iova): sets *table and *rights and returns
 * the level to read next, or PT_LEVELS if every cache missed. */
static int pwc_lookup(struct iommu *io, uint16_t did, uint64_t iova, paddr_t *table,
		      uint8_t *rights)
{
	for (int l = 2; l <= PT_LEVELS; l++) {
		if (!io->pwc[l])
			continue;
		struct tlb_entry *e = tlb_lookup(io->pwc[l], iova >> io->pwc[l]->shift, did);
		if (e) {
			io->pwc_hit[l]++;
			*table = e->pfn << PAGE_SHIFT;
			*rights = e->flags & (TLBE_US | TLBE_RW);
			return l - 1;
		}
		io->pwc_miss[l]++;
	}
	return PT_LEVELS;
}

/* Rights of an entry as TLBE bits: TLBE_US stands for R, TLBE_RW for W. */
static uint8_t io_rights(pte_t e)
{
	return ((e & IOPTE_R) ? TLBE_US : 0) | ((e & IOPTE_W) ? TLBE_RW : 0);
}

/* Walk the second-level tables at root for iova (the loop of sim/mmu/walk.c
 * walk(), without A/D). Returns IOF_NONE with *pa, *shift and *rights. */
static enum iommu_fault_reason io_walk(struct iommu *io, uint16_t did, paddr_t root,
				       uint64_t iova, cycles_t now, cycles_t *cycles,
				       paddr_t *pa, unsigned *shift, uint8_t *rights)
{
	pte_t ent[PT_LEVELS + 1];
	uint8_t path[PT_LEVELS + 1];
	paddr_t table = root;
	uint8_t r = TLBE_US | TLBE_RW;
	cycles_t start = *cycles;
	enum iommu_fault_reason why = IOF_NONE;
	io->walks++;
	*cycles += io->pwc_latency;
	int top = pwc_lookup(io, did, iova, &table, &r), level;
	for (level = top; level >= 1; level--) {
		paddr_t slot = table + 8 * pt_index(iova, level);
		*cycles += iommu_mem_read(io, slot, now + *cycles);
		io->walk_refs++;
		pte_t e = ent[level] = physmem_read(&io->ms->pm, slot, 8);
		if (!(e & (IOPTE_R | IOPTE_W))) {
			why = IOF_NOT_PRESENT;
			goto out;
		}
		if (pte_rsvd_violation(io->rsvd_addr, e, level)) {
			why = IOF_RSVD;
			goto out;
		}
		r = path[level] = r & io_rights(e);
		if (pte_is_leaf(e, level))
			break;
		table = e & PTE_ADDR_MASK;
	}
	for (int l = top; l > level; l--)       /* cache the upper entries read */
		if (io->pwc[l])
			tlb_fill(io->pwc[l], iova >> io->pwc[l]->shift,
				 (ent[l] & PTE_ADDR_MASK) >> PAGE_SHIFT, did, path[l], NULL);
	*pa = pte_leaf_addr(ent[level], level, iova);
	*shift = PAGE_SHIFT + 9 * (level - 1);
	*rights = r;
out:
	io->walk_cycles += *cycles - start;
	return why;
}

static void record_fault(struct iommu *io, uint16_t sid, uint64_t iova, bool write,
			 enum iommu_fault_reason why)
{
	io->faults++;
	io->fault_reason[why]++;
	if (io->nlog == io->fault_cap) {
		io->faults_unlogged++;
		return;
	}
	io->log[io->nlog++] = (struct iommu_fault){ .iova = iova, .sid = sid,
						    .reason = (uint8_t)why, .write = write };
}

/* Probe the IOTLB for every page size it holds. */
static struct tlb_entry *iotlb_lookup(struct iommu *io, uint16_t did, uint64_t iova)
{
	for (unsigned i = 0; i < io->iotlb->nshifts; i++) {
		unsigned s = io->iotlb->shifts[i];
		struct tlb_entry *e = tlb_lookup_at(io->iotlb, iova >> s, s, did);
		if (e)
			return e;
	}
	return NULL;
}

enum iommu_fault_reason iommu_translate(struct iommu *io, uint16_t sid, uint64_t iova,
					bool write, cycles_t now, paddr_t *pa, cycles_t *cycles)
{
	*cycles = 0;
	if (!io->enabled) {
		*pa = iova;
		return IOF_NONE;
	}
	io->translations++;
	struct ctx_cache_entry ce;
	enum iommu_fault_reason why = context_of(io, sid, now, cycles, &ce);
	if (why == IOF_NONE && ce.tt == VTD_TT_PASSTHROUGH) {
		*pa = iova;
		return IOF_NONE;
	}
	uint8_t need = write ? TLBE_RW : TLBE_US;
	if (why == IOF_NONE && io->iotlb) {
		*cycles += io->iotlb_latency;
		struct tlb_entry *e = iotlb_lookup(io, ce.did, iova);
		if (e && (e->flags & need)) {
			io->iotlb_hit++;
			uint64_t off = iova & ((1ull << e->shift) - 1);
			*pa = (e->pfn << PAGE_SHIFT) + off;
			return IOF_NONE;
		}
		if (e)
			tlb_drop(io->iotlb, e);  /* rights changed? walk again */
		io->iotlb_miss++;
	}
	if (why == IOF_NONE) {
		unsigned shift = PAGE_SHIFT;
		uint8_t rights = 0;
		paddr_t wpa = 0;
		why = io_walk(io, ce.did, ce.slptptr, iova, now, cycles, &wpa, &shift, &rights);
		if (why == IOF_NONE && !(rights & need))
			why = write ? IOF_READ_ONLY : IOF_NOT_PRESENT;
		if (why == IOF_NONE && io->iotlb)
			tlb_fill_at(io->iotlb, iova >> shift, shift,
				    (wpa & ~((1ull << shift) - 1)) >> PAGE_SHIFT, ce.did, rights, NULL);
		if (why == IOF_NONE)
			*pa = wpa;
	}
	if (why != IOF_NONE)
		record_fault(io, sid, iova, write, why);
	return why;
}

uint32_t iommu_iotlb_occupancy(const struct iommu *io)
{
	return io->iotlb ? tlb_occupancy(io->iotlb) : 0;
}
