/* The IOMMU side of the DMA API: domains, their IO page tables, the IOVA
 * allocator and invalidation through the queue (drivers/iommu/intel/iommu.c,
 * drivers/iommu/iova.c, dma-iommu.c's flush queue). See dma.h. */
#include "kernel/mm/dma_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "lib/config.h"
#include "lib/jsonutil.h"
#include "sim/cpu/core.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/memsys.h"
#include "sim/tlb/tlb.h"

#define IO_UPPER (IOPTE_R | IOPTE_W)   /* rights are decided at the leaf */
#define IOVA_START_PFN 1               /* IOVA 0 is never handed out */
#define IOVA_MAX_PFN ((1ull << (48 - PAGE_SHIFT)) - 1)
#define IQ_ENTRIES 256

/* A timed kernel store of an IOMMU structure; flushed from the caches when
 * the IOMMU does not snoop them (clflush, as intel-iommu does then). */
void io_write(struct kdma *kd, struct core *c, paddr_t pa, uint64_t v)
{
	kmm_write_pte(kd->k, c, pa, v);
	if (!kd->io->coherent)
		c->clock += kd->cfg->iommu.clflush;
	kd->io_pte_writes++;
}

static int64_t table_page(struct kdma *kd, struct core *c, struct iommu_domain *dom)
{
	int64_t pfn = kmm_alloc_page(kd->k, c, PG_kernel);
	if (pfn < 0)
		return -1;
	if (dom->ntables == dom->tcap) {
		dom->tcap = dom->tcap ? 2 * dom->tcap : 16;
		dom->tables = realloc(dom->tables, dom->tcap * sizeof(*dom->tables));
		if (!dom->tables)
			abort();
	}
	dom->tables[dom->ntables++] = (uint64_t)pfn;
	return pfn;
}

int domain_init(struct kdma *kd, struct core *c, struct iommu_domain *dom, uint16_t did)
{
	*dom = (struct iommu_domain){ .did = did };
	int64_t pfn = table_page(kd, c, dom);
	if (pfn < 0)
		return -1;
	dom->pgd = (paddr_t)pfn << PAGE_SHIFT;
	return 0;
}

void domain_fini(struct kdma *kd, struct core *c, struct iommu_domain *dom)
{
	for (uint32_t i = 0; i < dom->ntables; i++)
		kmm_free_page(kd->k, c, dom->tables[i]);
	free(dom->tables);
	free(dom->used);
	*dom = (struct iommu_domain){ 0 };
}

/* --- IOVA allocator -------------------------------------------------------- */

/* Top-down first fit, aligned to the size rounded up to a power of two
 * (alloc_iova() with size_aligned): 3 pages below limit 0xfffff go at
 * 0xffffc (aligned to 4). */
uint64_t iova_alloc(struct iommu_domain *dom, uint64_t npages, uint64_t limit_pfn)
{
	uint64_t align = 1;
	while (align < npages)
		align <<= 1;
	if (limit_pfn > IOVA_MAX_PFN)
		limit_pfn = IOVA_MAX_PFN;
	uint64_t end = limit_pfn + 1;          /* the gap is [gap_lo, end) */
	for (int64_t i = (int64_t)dom->nused - 1; ; i--) {
		uint64_t gap_lo = i >= 0 ? dom->used[i].hi : IOVA_START_PFN;
		if (end >= npages + gap_lo) {
			uint64_t cand = (end - npages) & ~(align - 1);
			if (cand >= gap_lo) {
				if (dom->nused == dom->cap) {
					dom->cap = dom->cap ? 2 * dom->cap : 16;
					dom->used = realloc(dom->used, dom->cap * sizeof(*dom->used));
					if (!dom->used)
						abort();
				}
				uint32_t at = (uint32_t)(i + 1);
				for (uint32_t j = dom->nused; j > at; j--)
					dom->used[j] = dom->used[j - 1];
				dom->used[at] = (struct iova_range){ cand, cand + npages };
				dom->nused++;
				return cand;
			}
		}
		if (i < 0)
			return 0;
		if (dom->used[i].lo < end)
			end = dom->used[i].lo;
	}
}

void iova_free(struct iommu_domain *dom, uint64_t pfn)
{
	for (uint32_t i = 0; i < dom->nused; i++) {
		if (dom->used[i].lo != pfn)
			continue;
		for (uint32_t j = i + 1; j < dom->nused; j++)
			dom->used[j - 1] = dom->used[j];
		dom->nused--;
		return;
	}
	assert(!"iova_free: no such range");
}

/* --- IO page tables ------------------------------------------------------- */

/* The slot of iova's entry at `level`, allocating missing tables; 0 when
 * out of memory. */
static paddr_t io_slot(struct kdma *kd, struct core *c, struct iommu_domain *dom,
		       uint64_t iova, int level)
{
	paddr_t table = dom->pgd;
	for (int l = PT_LEVELS; l > level; l--) {
		paddr_t slot = table + 8 * pt_index(iova, l);
		pte_t e = kmm_read_pte(kd->k, c, slot);
		if (!(e & IO_UPPER)) {
			int64_t pfn = table_page(kd, c, dom);
			if (pfn < 0)
				return 0;
			e = ((paddr_t)pfn << PAGE_SHIFT) | IO_UPPER;
			io_write(kd, c, slot, e);
		}
		assert(!pte_is_leaf(e, l));
		table = e & PTE_ADDR_MASK;
	}
	return table + 8 * pt_index(iova, level);
}

int io_map(struct kdma *kd, struct core *c, struct iommu_domain *dom, uint64_t iova,
	   paddr_t pa, uint64_t npages, bool write)
{
	pte_t rights = IOPTE_R | (write ? IOPTE_W : 0);
	const uint64_t huge = 1ull << 9;   /* 4K pages per 2M leaf */
	for (uint64_t i = 0; i < npages;) {
		uint64_t va = iova + (i << PAGE_SHIFT);
		paddr_t p = pa + (i << PAGE_SHIFT);
		bool big = npages - i >= huge && !((va | p) & ((huge << PAGE_SHIFT) - 1));
		paddr_t slot = io_slot(kd, c, dom, va, big ? 2 : 1);
		if (!slot)
			return -1;
		io_write(kd, c, slot, p | rights | (big ? PTE_PS : 0));
		i += big ? huge : 1;
	}
	return 0;
}

/* A table unhooked by an unmap: out of the domain's list and onto the
 * freelist, where it waits for the invalidation (no cached walk may lead
 * into it once it is reused). */
static void table_retire(struct kdma *kd, struct iommu_domain *dom, uint64_t pfn)
{
	uint32_t i = 0;
	while (i < dom->ntables && dom->tables[i] != pfn)
		i++;
	assert(i < dom->ntables);
	dom->tables[i] = dom->tables[--dom->ntables];
	if (kd->nfree == kd->freecap) {
		kd->freecap = kd->freecap ? 2 * kd->freecap : 16;
		kd->freelist = realloc(kd->freelist, kd->freecap * sizeof(*kd->freelist));
		if (!kd->freelist)
			abort();
	}
	kd->freelist[kd->nfree++] = pfn;
}

/* dma_pte_free_level(): retire the table at `table`, whose entries are
 * level-`level` ones, and every table below it (each read in full). */
static void retire_subtree(struct kdma *kd, struct core *c, struct iommu_domain *dom,
			   paddr_t table, int level)
{
	for (unsigned i = 0; level > 1 && i < PT_ENTRIES; i++) {
		pte_t e = kmm_read_pte(kd->k, c, table + 8 * i);
		if ((e & IO_UPPER) && !pte_is_leaf(e, level))
			retire_subtree(kd, c, dom, e & PTE_ADDR_MASK, level - 1);
	}
	table_retire(kd, dom, table >> PAGE_SHIFT);
}

/* dma_pte_clear_level(): clear the leaves of [lo, hi) in the level-`level`
 * table at `table` (mapping IOVAs from base). A table below whose whole
 * span lies inside the range is unhooked instead, with everything under it,
 * as Linux frees page-table pages only for ranges that cover them. */
static void clear_level(struct kdma *kd, struct core *c, struct iommu_domain *dom,
			paddr_t table, int level, uint64_t base, uint64_t lo, uint64_t hi)
{
	uint64_t size = pt_level_size(level);
	for (unsigned i = pt_index(lo, level); i < PT_ENTRIES; i++) {
		uint64_t s = base + i * size;
		if (s >= hi)
			break;
		paddr_t slot = table + 8 * i;
		pte_t e = kmm_read_pte(kd->k, c, slot);
		if (!(e & IO_UPPER))
			continue;
		if (pte_is_leaf(e, level)) {
			io_write(kd, c, slot, 0);       /* a leaf touched goes whole */
		} else if (lo <= s && s + size <= hi) {
			io_write(kd, c, slot, 0);
			retire_subtree(kd, c, dom, e & PTE_ADDR_MASK, level - 1);
		} else {
			clear_level(kd, c, dom, e & PTE_ADDR_MASK, level - 1, s, lo > s ? lo : s,
				    hi < s + size ? hi : s + size);
		}
	}
}

void io_unmap(struct kdma *kd, struct core *c, struct iommu_domain *dom, uint64_t iova,
	      uint64_t npages)
{
	if (npages)
		clear_level(kd, c, dom, dom->pgd, PT_LEVELS, 0, iova, iova + (npages << PAGE_SHIFT));
}

/* The retired tables go back to the allocator (after their invalidation). */
static void free_tables(struct kdma *kd, struct core *c, uint64_t *pfns, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		kmm_free_page(kd->k, c, pfns[i]);
	kd->tables_freed += n;
}

/* --- invalidation ------------------------------------------------------- */

void qi_submit(struct kdma *kd, struct core *c, uint64_t lo, uint64_t hi)
{
	paddr_t d = kd->iq + (paddr_t)kd->iqt * QI_DESC_SIZE;
	io_write(kd, c, d, lo);
	io_write(kd, c, d + 8, hi);
	kd->iqt = (kd->iqt + 1) % IQ_ENTRIES;
}

/* A wait descriptor, the tail moved, and the status polled: the caller has
 * waited for everything queued before it (qi_submit_sync()). */
void qi_wait(struct kdma *kd, struct core *c)
{
	uint32_t seq = ++kd->wait_seq;
	qi_submit(kd, c, QI_TYPE_WAIT | QI_WAIT_SW | ((uint64_t)seq << QI_WAIT_DATA_SHIFT),
		  kd->status);
	c->clock += iommu_write_iqt(kd->io, kd->iqt, c->clock);
	uint64_t st = kmm_read_pte(kd->k, c, kd->status) & 0xffffffffu;
	assert(st == seq);
	(void)st;
}

/* Page-selective invalidation of the aligned 2^AM pages that cover
 * [pfn, pfn + npages): AM grows until both ends share the same block.
 * With ih the invalidation hint is set — the unmap cleared only leaf
 * entries, so the IOMMU may keep its paging-structure caches; without it
 * (a page-table page was unhooked) they go too. intel_iommu_tlb_sync()
 * passes IH exactly when the unmap freed no page-table page. */
static void flush_range(struct kdma *kd, struct core *c, struct iommu_domain *dom,
			uint64_t pfn, uint64_t npages, bool ih)
{
	unsigned am = 0;
	while ((pfn >> am) != ((pfn + npages - 1) >> am))
		am++;
	uint64_t addr = (pfn >> am << am) << PAGE_SHIFT;
	qi_submit(kd, c, QI_TYPE_IOTLB | (QI_GRAN_PAGE << QI_GRAN_SHIFT) |
		  ((uint64_t)dom->did << QI_DID_SHIFT), addr | (ih ? QI_IOTLB_IH : 0) | am);
	qi_wait(kd, c);
}

void dma_flush_queue(struct kdma *kd, struct core *c)
{
	if (!kd->nfq)
		return;
	uint64_t seen[DMA_MAX_DEVICES / 64 + 1] = { 0 };
	for (uint32_t i = 0; i < kd->nfq; i++) {
		uint16_t did = kd->fq[i].dom->did;
		if (seen[did / 64] & (1ull << (did % 64)))
			continue;
		seen[did / 64] |= 1ull << (did % 64);
		qi_submit(kd, c, QI_TYPE_IOTLB | (QI_GRAN_DOMAIN << QI_GRAN_SHIFT) |
			  ((uint64_t)did << QI_DID_SHIFT), 0);
	}
	qi_wait(kd, c);
	for (uint32_t i = 0; i < kd->nfq; i++) {
		iova_free(kd->fq[i].dom, kd->fq[i].pfn);
		free_tables(kd, c, kd->fq[i].tables, kd->fq[i].ntables);
		free(kd->fq[i].tables);
	}
	kd->nfq = 0;
	kd->flush_lazy++;
}

void io_unmap_done(struct kdma *kd, struct core *c, struct iommu_domain *dom, uint64_t pfn,
		   uint64_t npages)
{
	if (kd->cfg->iommu.strict) {
		flush_range(kd, c, dom, pfn, npages, kd->nfree == 0);
		iova_free(dom, pfn);
		free_tables(kd, c, kd->freelist, kd->nfree);
		kd->nfree = 0;
		kd->flush_strict++;
		return;
	}
	if (!kd->nfq)
		kd->fq_since = c->clock;
	/* the retired tables wait with the IOVA for the flush (the flush
	 * queue entry's freelist) */
	kd->fq[kd->nfq++] = (struct lazy_unmap){ dom, pfn, npages, kd->freelist, kd->nfree };
	kd->freelist = NULL;
	kd->nfree = kd->freecap = 0;
	/* fq_flush_timeout() is a timer; here the next unmap after it checks */
	if (kd->nfq == kd->cfg->iommu.lazy_batch ||
	    c->clock - kd->fq_since >= kd->cfg->iommu.lazy_timeout)
		dma_flush_queue(kd, c);
}

/* --- checking ------------------------------------------------------------ */

/* Untimed walk of dom's tables: the leaf for iova and its level, or 0. */
static pte_t probe(const struct kdma *kd, const struct iommu_domain *dom, uint64_t iova,
		   int *level)
{
	const struct physmem *pm = &kd->k->ms->pm;
	paddr_t table = dom->pgd;
	uint8_t rights = IO_UPPER;
	for (int l = PT_LEVELS; l >= 1; l--) {
		pte_t e = physmem_read(pm, table + 8 * pt_index(iova, l), 8);
		rights &= (uint8_t)(e & IO_UPPER);
		if (!(e & IO_UPPER))
			return 0;
		if (pte_is_leaf(e, l)) {
			*level = l;
			return (e & ~(pte_t)IO_UPPER) | rights;
		}
		table = e & PTE_ADDR_MASK;
	}
	return 0;
}

static bool in_flush_queue(const struct kdma *kd, const struct iommu_domain *dom, uint64_t lo,
			   uint64_t hi)
{
	for (uint32_t i = 0; i < kd->nfq; i++)
		if (kd->fq[i].dom == dom && kd->fq[i].pfn < hi && lo < kd->fq[i].pfn + kd->fq[i].npages)
			return true;
	return false;
}

/* A frame the buddy allocator may hand out again: free, or never in use. */
static bool frame_free(const struct page *p)
{
	return p->refcount <= 0 || (p->flags & PG_buddy) || !(p->flags & PG_STATE_MASK);
}

/* Every page an IO page table maps is in use, and a user page there is
 * pinned (else a munmap could free it under the device). */
static int check_io_mapped_frames(const struct kdma *kd, const struct iommu_domain *dom,
				  char *err)
{
	for (uint32_t r = 0; r < dom->nused; r++) {
		for (uint64_t pg = dom->used[r].lo; pg < dom->used[r].hi; pg++) {
			int level = 0;
			uint64_t iova = pg << PAGE_SHIFT;
			pte_t leaf = probe(kd, dom, iova, &level);
			if (!leaf)
				continue;
			uint64_t pfn = pte_leaf_addr(leaf, level, iova) >> PAGE_SHIFT;
			const struct page *p = &kd->k->memmap[pfn];
			if (frame_free(p))
				return errf(err, "kdma_validate: IOVA %#llx of domain %u maps pfn "
					    "%#llx, which is free: it was freed while the device "
					    "can still DMA into it", (unsigned long long)iova,
					    dom->did, (unsigned long long)pfn);
			if ((p->flags & PG_anon) && !page_dma_pins(p))
				return errf(err, "kdma_validate: IOVA %#llx of domain %u maps user "
					    "pfn %#llx, which is not pinned", (unsigned long long)iova,
					    dom->did, (unsigned long long)pfn);
		}
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Each pinned frame is in use and carries exactly its pins' bias. */
static int check_pins(const struct kdma *kd, char *err)
{
	if (!kd->npinned)
		return 0;
	uint64_t *v = malloc(kd->npinned * sizeof(*v));
	if (!v)
		abort();
	memcpy(v, kd->pinned, kd->npinned * sizeof(*v));
	qsort(v, kd->npinned, sizeof(*v), cmp_u64);
	int rc = 0;
	for (uint32_t i = 0, j; i < kd->npinned && rc == 0; i = j) {
		for (j = i; j < kd->npinned && v[j] == v[i]; j++)
			;
		const struct page *p = &kd->k->memmap[v[i]];
		if (frame_free(p) || page_dma_pins(p) != (int32_t)(j - i))
			rc = errf(err, "kdma_validate: pfn %#llx has %u DMA pins but refcount %d "
				  "(flags %#x)", (unsigned long long)v[i], j - i, p->refcount,
				  p->flags);
	}
	free(v);
	return rc;
}

int kdma_validate(const struct kdma *kd, char *err)
{
	if (check_pins(kd, err))
		return -1;
	for (unsigned d = 0; d < kd->ndev; d++)
		if (kd->dev[d].dom && check_io_mapped_frames(kd, kd->dev[d].dom, err))
			return -1;
	const struct tlb *t = kd->io->iotlb;
	for (size_t i = 0; t && i < (size_t)t->sets * t->ways; i++) {
		const struct tlb_entry *e = &t->e[i];
		if (!(e->flags & TLBE_VALID))
			continue;
		const struct iommu_domain *dom = NULL;
		for (unsigned d = 0; d < kd->ndev && !dom; d++)
			if (kd->dev[d].dom && kd->dev[d].dom->did == e->pcid)
				dom = kd->dev[d].dom;
		uint64_t iova = e->vpn << e->shift;
		if (!dom)
			return errf(err, "kdma_validate: IOTLB entry for IOVA %#llx of domain %u, "
				    "which no device uses", (unsigned long long)iova, e->pcid);
		int level = 0;
		pte_t leaf = probe(kd, dom, iova, &level);
		bool ok = leaf && PAGE_SHIFT + 9u * (unsigned)(level - 1) == e->shift &&
			  ((leaf & PTE_ADDR_MASK) >> PAGE_SHIFT) == e->pfn &&
			  (!(e->flags & TLBE_RW) || (leaf & IOPTE_W)) &&
			  (!(e->flags & TLBE_US) || (leaf & IOPTE_R));
		uint64_t lo = iova >> PAGE_SHIFT, hi = lo + (1ull << (e->shift - PAGE_SHIFT));
		if (!ok && !in_flush_queue(kd, dom, lo, hi))
			return errf(err, "kdma_validate: IOTLB entry for IOVA %#llx of domain %u "
				    "disagrees with the IO page tables and no invalidation is "
				    "pending (a missing IOTLB flush)", (unsigned long long)iova,
				    e->pcid);
	}
	return 0;
}
