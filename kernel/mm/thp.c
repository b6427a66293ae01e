/* Transparent huge pages for anonymous memory (mm/huge_memory.c,
 * mm/khugepaged.c).
 *
 * Fault (do_huge_pmd_anonymous_page()): a not-present fault whose aligned
 * 2 MiB range lies inside the VMA, in a VMA THP may use (kernel.thp.enabled
 * always, or madvise and MADV_HUGEPAGE; never with MADV_NOHUGEPAGE or
 * MAP_STACK), with no page table under the PMD yet, allocates an order-9
 * compound page (GFP_TRANSHUGE* as kernel.thp.defrag says, zeroed) and maps
 * it with one PDE with PS set: mm.thp.fault_alloc. When the allocation
 * fails the fault goes on at 4K: mm.thp.fault_fallback. With
 * kernel.thp.use_zero_page a read fault maps the shared huge zero page
 * read-only instead; a write to it splits that PMD into 4K zero-page PTEs
 * and copies at 4K (docs/vm.md).
 *
 * The huge page's head holds the mapcount (PMD mappings) and the rmap
 * (mapping, index); its refcount follows rmap.h's rule (== mapcount once
 * shared); tails have refcount 0.
 *
 * Splitting (split_huge_page()): partial munmap, mprotect or madvise of a
 * huge mapping, and COW of a shared huge page, split the page: every PMD
 * mapping of it, in every mm (found by rmap_walk()), becomes a page table of
 * 512 PTEs with the PMD's rights, flushed (cause "thp"), and the compound
 * page becomes 512 ordinary pages with the head's mapcount each. Linux
 * splits only the PMD first and the page later (deferred split); doing both
 * at once keeps one mapcount per frame.
 *
 * COW (do_huge_pmd_wp_page()): a write to a write-protected huge PMD reuses
 * the page if this is its only mapping; else the page is split and the
 * write copies one 4K page, as Linux falls back to 4K COW.
 *
 * khugepaged (collapse_huge_page()): every kernel.thp.khugepaged.scan_sleep
 * cycles it scans kernel.thp.khugepaged.pages_to_scan PTEs of the mms in
 * creation order from where it stopped; a 2 MiB range qualifies when its VMA
 * allows THP, its PMD holds a page table, every present page is anonymous,
 * small and mapped only here, and at most max_ptes_none PTEs are empty. It
 * allocates a huge page, copies the 4K pages in (empty ones stay zero),
 * clears the PMD and flushes the range on every core running the mm (the
 * shootdown), frees the small pages and the page table, and maps the huge
 * page. MADV_COLLAPSE does the same at once for its range, ignoring
 * kernel.thp.enabled (but not MADV_NOHUGEPAGE). */
#include "kernel/mm/thp.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "kernel/mm/rmap.h"
#include "kernel/mm/swap.h"
#include "kernel/mm/vmscan.h"
#include "kernel/mm/hugetlb.h"
#include "lib/config.h"
#include "lib/trace.h"
#include "sim/cpu/core.h"
#include "sim/mmu/pte.h"

#define PTE_TABLE (PTE_P | PTE_RW | PTE_US | PTE_A)

void thp_init(struct kmm *k)
{
	if (k->thp_ready)
		return;
	k->thp_enabled = k->cfg->kernel.thp.enabled;
	k->thp_defrag = k->cfg->kernel.thp.defrag;
	k->khugepaged_next = k->cfg->kernel.thp.scan_sleep;
	k->thp_ready = true;
}

static void count_rss(struct mm *mm, int64_t pages)
{
	mm->rss_anon += (uint64_t)pages;
	if (mm->rss_anon > mm->hiwater_rss)
		mm->hiwater_rss = mm->rss_anon;
}

/* hugepage_vma_check(): may [haddr, haddr + 2M) of v be a huge page?
 * collapse: MADV_COLLAPSE, which ignores kernel.thp.enabled. */
static bool thp_vma_allowable(const struct kmm *k, const struct vma *v, vaddr_t haddr,
			      bool collapse)
{
	if ((v->flags & (VM_NOHUGEPAGE | VM_HUGETLB)) || v->file)
		return false;
	if (haddr < v->start || haddr + HPAGE_PMD_SIZE > v->end)
		return false;
	if (collapse)
		return true;
	return k->thp_enabled == THP_ALWAYS ||
	       (k->thp_enabled == THP_MADVISE && (v->flags & VM_HUGEPAGE));
}

/* vma_thp_gfp_mask(): how hard the allocation may try, by defrag mode. */
static gfp_t thp_gfp(const struct kmm *k, const struct vma *v)
{
	bool madv = v->flags & VM_HUGEPAGE;
	switch (k->thp_defrag) {
	case THP_DEFRAG_ALWAYS:
		return GFP_TRANSHUGE | (madv ? 0 : __GFP_NORETRY);
	case THP_DEFRAG_DEFER:
		return GFP_TRANSHUGE_LIGHT | __GFP_KSWAPD_RECLAIM;
	case THP_DEFRAG_DEFER_MADVISE:
		return GFP_TRANSHUGE_LIGHT | (madv ? __GFP_DIRECT_RECLAIM : __GFP_KSWAPD_RECLAIM);
	case THP_DEFRAG_MADVISE:
		return GFP_TRANSHUGE_LIGHT | (madv ? __GFP_DIRECT_RECLAIM : 0);
	default:
		return GFP_TRANSHUGE_LIGHT;
	}
}

/* The PDE slot for va without allocating (timed); 0 if an upper table is
 * missing. */
static paddr_t pmd_lookup(struct kmm *k, struct mm *mm, struct core *c, vaddr_t va)
{
	paddr_t table = mm->pgd;
	for (int level = k->levels; level > 2; level--) {
		pte_t e = kmm_read_pte(k, c, table + 8 * pt_index(va, level));
		if (!(e & PTE_P) || (e & PTE_PS))
			return 0;       /* nothing, or a 1G leaf */
		table = e & PTE_ADDR_MASK;
	}
	return table + 8 * pt_index(va, 2);
}

/* ---- the huge zero page (mm/huge_memory.c get_huge_zero_page()) ---- */

/* The huge zero page, allocated at its first use; 0 when none can be had
 * (mm.thp.zero_page_alloc_failed). */
static uint64_t huge_zero_get(struct kmm *k, struct core *c)
{
	if (!k->huge_zero_pfn) {
		int64_t pfn = kmm_alloc_pages(k, c, -1, (GFP_TRANSHUGE | __GFP_ZERO) &
					      ~__GFP_MOVABLE, HPAGE_PMD_ORDER, PG_kernel);
		if (pfn < 0) {
			k->thp_zero_page_alloc_failed++;
			return 0;
		}
		k->huge_zero_pfn = (uint64_t)pfn;
		k->thp_zero_page_alloc++;
	}
	k->huge_zero_refs++;
	return k->huge_zero_pfn;
}

/* One PMD less maps it; the last one frees it (Linux keeps it until its
 * shrinker runs under memory pressure). gather: the frames wait for the
 * caller's TLB flush in the mmu_gather list, else the flush was done. */
void huge_zero_put(struct kmm *k, struct core *c, bool gather)
{
	assert(k->huge_zero_refs > 0);
	if (--k->huge_zero_refs)
		return;
	uint64_t head = k->huge_zero_pfn;
	k->huge_zero_pfn = 0;
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
		struct page *p = &k->memmap[head + i];
		p->flags &= ~(PG_head | PG_tail);
		p->order = 0;
		p->private = 0;
		p->refcount = 1;
		if (gather)
			pt_gather_page(k, head + i);
		else
			kmm_free_page(k, c, head + i);
	}
}

/* __split_huge_zero_page_pmd(): the huge zero PMD at slot pmd (mapping
 * haddr in mm) becomes a table of 512 PTEs mapping the 4K zero page
 * read-only. -1 when no table can be had. */
static int split_zero_pmd(struct kmm *k, struct mm *mm, struct core *c, paddr_t pmd,
			  vaddr_t haddr)
{
	pte_t e = kmm_read_pte(k, c, pmd);
	int64_t t = kmm_alloc_page(k, c, PG_pgtable);
	if (t < 0) {
		k->thp_split_enomem++;
		return -1;
	}
	paddr_t table = (paddr_t)t << PAGE_SHIFT;
	uint64_t zp = kmm_zero_pfn(k);
	if (zp) {
		pte_t bits = e & (PTE_P | PTE_US | PTE_NX);
		for (unsigned i = 0; i < HPAGE_PMD_NR; i++)
			kmm_write_pte(k, c, table + 8 * i, (zp << PAGE_SHIFT) | bits);
		k->memmap[t].pt_used = HPAGE_PMD_NR;
	}
	kmm_write_pte(k, c, pmd, table | PTE_TABLE);
	mm->pt_pages++;
	k->pt_alloc++;
	flush_tlb_mm_range(k, mm, c, haddr, haddr + HPAGE_PMD_SIZE, FLUSH_THP);
	huge_zero_put(k, c, false);
	k->thp_split_pmd++;
	return 0;
}

int thp_split_pmd_at(struct kmm *k, struct mm *mm, struct core *c, vaddr_t va)
{
	paddr_t pmd = pmd_lookup(k, mm, c, va);
	pte_t e = pmd ? kmm_read_pte(k, c, pmd) : 0;
	if (!(e & PTE_P) || !(e & PTE_PS))
		return 0;
	uint64_t head = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
	if (k->huge_zero_pfn && head == k->huge_zero_pfn)
		return split_zero_pmd(k, mm, c, pmd, va & HPAGE_PMD_MASK);
	return thp_split_page(k, c, head);
}

/* A fault on a present huge PMD e at slot pmd. */
static bool huge_pmd_fault(struct kmm *k, struct mm *mm, struct core *c, paddr_t pmd,
			   pte_t e, uint32_t code, vaddr_t haddr, enum fault_result *r)
{
	uint64_t head = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
	*r = FAULT_DONE;
	if (!((code & PF_W) && !(e & PTE_RW))) {
		k->pgfault_spurious++;
		return true;
	}
	if (k->huge_zero_pfn && head == k->huge_zero_pfn) {
		/* do_huge_pmd_wp_page() on the huge zero page: split the PMD
		 * into zero-page PTEs, then the 4K path copies (do_wp_page()) */
		if (split_zero_pmd(k, mm, c, pmd, haddr))
			*r = FAULT_OOM;
		return *r == FAULT_OOM;
	}
	/* do_huge_pmd_wp_page() */
	if (k->memmap[head].mapcount == 1) {
		kmm_write_pte(k, c, pmd, e | PTE_RW | PTE_D);
		k->pgfault_wp++;
		k->cow_reuse++;
		mm->min_flt++;
		return true;
	}
	if (thp_split_page(k, c, head)) {
		*r = FAULT_OOM;
		return true;
	}
	return false;           /* the 4K path copies the one page written */
}

bool thp_handle_fault(struct kmm *k, struct mm *mm, struct core *c, struct vma *v,
		      vaddr_t va, uint32_t code, enum fault_result *r)
{
	vaddr_t haddr = va & HPAGE_PMD_MASK;
	bool allowed = thp_vma_allowable(k, v, haddr, false);
	paddr_t pmd = allowed ? pt_alloc_to(k, mm, c, va, 2) : pmd_lookup(k, mm, c, va);
	if (!pmd) {
		if (!allowed)
			return false;
		*r = FAULT_OOM;
		return true;
	}
	pte_t e = kmm_read_pte(k, c, pmd);
	if ((e & PTE_P) && (e & PTE_PS))
		return huge_pmd_fault(k, mm, c, pmd, e, code, haddr, r);
	if ((e & PTE_P) || !allowed)
		return false;
	if (!(code & PF_W) && k->cfg->kernel.thp.use_zero_page) {
		/* a read maps the huge zero page (set_huge_zero_page()) */
		uint64_t zp = huge_zero_get(k, c);
		if (zp) {
			kmm_write_pte(k, c, pmd, ((paddr_t)zp << PAGE_SHIFT) |
					  (pte_prot_bits(v->prot) & ~PTE_RW) | PTE_PS);
			k->memmap[pmd >> PAGE_SHIFT].pt_used++;
			k->thp_zero_page_fault++;
			k->pgfault_anon++;
			mm->min_flt++;
			*r = FAULT_DONE;
			return true;
		}
		k->thp_fault_fallback++;
		return false;
	}
	int64_t pfn = kmm_alloc_pages_vma(k, c, mm, v, haddr, thp_gfp(k, v) | __GFP_ZERO,
					  HPAGE_PMD_ORDER,
				      PG_anon);
	if (pfn < 0) {
		k->thp_fault_fallback++;
		return false;
	}
	struct page *h = &k->memmap[pfn];
	assert(h->flags & PG_head);
	h->mapcount = 1;
	h->refcount = 1;
	anon_vma_prepare(k, mm, v);
	page_add_new_anon_rmap(k, (uint64_t)pfn, v, haddr);
	kmm_lru_add_new(k, v, (uint64_t)pfn);
	pte_t n = ((paddr_t)pfn << PAGE_SHIFT) | pte_prot_bits(v->prot) | PTE_PS;
	if (code & PF_W)
		n |= PTE_D;
	kmm_write_pte(k, c, pmd, n);
	k->memmap[pmd >> PAGE_SHIFT].pt_used++;
	count_rss(mm, HPAGE_PMD_NR);
	k->thp_fault_alloc++;
	k->pgfault_anon++;
	mm->min_flt++;
	*r = FAULT_DONE;
	return true;
}

/* ---- split ---- */

struct pmd_map {
	struct mm *mm;
	vaddr_t va;             /* 2M aligned */
	paddr_t pmd;
};
struct split_ctx {
	struct pmd_map *m;
	uint32_t n, cap;
};

static bool collect_pmd(struct kmm *k, struct mm *mm, vaddr_t va, paddr_t pte_pa, void *arg)
{
	(void)k;
	struct split_ctx *s = arg;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->m = realloc(s->m, s->cap * sizeof(*s->m));
		if (!s->m)
			abort();
	}
	s->m[s->n++] = (struct pmd_map){ mm, va & HPAGE_PMD_MASK, pte_pa };
	return true;
}

int thp_split_page(struct kmm *k, struct core *c, uint64_t head)
{
	struct page *h = &k->memmap[head];
	if ((h->flags & PG_STATE_MASK) != PG_anon)
		return -1;      /* hugetlb, or the huge zero page: not page-wide */
	assert((h->flags & PG_head) && h->order == HPAGE_PMD_ORDER);
	struct split_ctx s = { 0 };
	rmap_walk(k, head, collect_pmd, &s);
	assert(s.n == (uint32_t)h->mapcount);
	int64_t *tables = calloc(s.n + 1, sizeof(*tables));
	if (!tables)
		abort();
	for (uint32_t j = 0; j < s.n; j++) {
		tables[j] = kmm_alloc_page(k, c, PG_pgtable);
		if (tables[j] < 0) {
			while (j-- > 0)
				kmm_free_page(k, c, (uint64_t)tables[j]);
			free(tables);
			free(s.m);
			return -1;
		}
	}
	for (uint32_t j = 0; j < s.n; j++) {
		struct pmd_map *m = &s.m[j];
		pte_t e = kmm_read_pte(k, c, m->pmd);
		assert((e & PTE_PS) && ((e & PTE_ADDR_MASK) >> PAGE_SHIFT) == head);
		pte_t bits = e & (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX);
		paddr_t table = (paddr_t)tables[j] << PAGE_SHIFT;
		for (unsigned i = 0; i < HPAGE_PMD_NR; i++)
			kmm_write_pte(k, c, table + 8 * i, ((head + i) << PAGE_SHIFT) | bits);
		k->memmap[tables[j]].pt_used = HPAGE_PMD_NR;
		kmm_write_pte(k, c, m->pmd, table | PTE_TABLE);
		m->mm->pt_pages++;
		k->pt_alloc++;
		flush_tlb_mm_range(k, m->mm, c, m->va, m->va + HPAGE_PMD_SIZE, FLUSH_THP);
		k->thp_split_pmd++;
	}
	bool on_lru = h->flags & PG_lru;
	kmm_lru_del(k, head);
	int32_t maps = h->mapcount;
	uint32_t mapping = h->mapping;
	uint64_t index = h->index;
	uint32_t flags = h->flags & ~(PG_head | PG_tail);
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
		struct page *p = &k->memmap[head + i];
		p->flags = flags;
		p->order = 0;
		p->private = 0;
		p->mapcount = maps;
		p->refcount = maps > 1 ? maps : 1;
		p->mapping = mapping;
		p->index = index + i;
	}
	/* lru_add_split_folio(): every part on the head's list, in order */
	for (unsigned i = on_lru ? HPAGE_PMD_NR : 0; i-- > 0;)
		kmm_lru_putback(k, head + i);
	k->thp_split_page++;
	free(tables);
	free(s.m);
	return 0;
}

int thp_adjust_range(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start,
		     vaddr_t end)
{
	const vaddr_t at[2] = { start, end };
	for (int i = 0; i < 2; i++) {
		if (!(at[i] & ~HPAGE_PMD_MASK) || at[i] >= mm->task_size)
			continue;
		paddr_t pmd = pmd_lookup(k, mm, c, at[i]);
		pte_t e = pmd ? kmm_read_pte(k, c, pmd) : 0;
		if ((e & PTE_P) && (e & PTE_PS) &&
		    !pfn_is_hugetlb(k, (e & PTE_ADDR_MASK) >> PAGE_SHIFT) &&
		    thp_split_pmd_at(k, mm, c, at[i])) {
			k->thp_split_enomem++;
			return -ENOMEM;
		}
	}
	return 0;
}

/* ---- collapse ---- */

/* collapse_huge_page() of [haddr, haddr + 2M) in v. Returns 0 when
 * collapsed, 1 when the range does not qualify, -ENOMEM when no huge page
 * could be allocated. */
static int collapse_one(struct kmm *k, struct mm *mm, struct core *c, struct vma *v,
			vaddr_t haddr, bool khugepaged)
{
	paddr_t pmd = pmd_lookup(k, mm, c, haddr);
	if (!pmd)
		return 1;
	pte_t e = kmm_read_pte(k, c, pmd);
	if (!(e & PTE_P) || (e & PTE_PS))
		return 1;
	paddr_t table = e & PTE_ADDR_MASK;
	static uint64_t old[HPAGE_PMD_NR];
	unsigned none = 0, present = 0;
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
		pte_t pe = kmm_read_pte(k, c, table + 8 * i);
		uint64_t pfn = (pe & PTE_ADDR_MASK) >> PAGE_SHIFT;
		if (khugepaged)
			k->khugepaged_pages_scanned++;
		old[i] = 0;
		if (is_swap_pte(pe))
			return 1;   /* max_ptes_swap 0: no swap-in to collapse */
		if (!(pe & PTE_P) || (k->zero_pfn && pfn == k->zero_pfn)) {
			none++;
			continue;
		}
		const struct page *p = &k->memmap[pfn];
		/* an extra reference (a DMA pin) keeps the page where it is, as
		 * __collapse_huge_page_isolate() checks the page count */
		if (!(p->flags & PG_anon) || (p->flags & (PG_head | PG_tail | PG_swapcache)) ||
		    p->mapcount != 1 || p->refcount != 1)
			return 1;
		old[i] = pfn;
		present++;
	}
	if (!present || none > k->cfg->kernel.thp.max_ptes_none)
		return 1;
	/* no reclaim while the small pages are listed (khugepaged holds them
	 * isolated in Linux) */
	bool in_reclaim = k->in_reclaim;
	k->in_reclaim = true;
	int64_t hp = kmm_alloc_pages_vma(k, c, mm, v, haddr, GFP_TRANSHUGE | __GFP_ZERO,
					 HPAGE_PMD_ORDER,
				     PG_anon);
	k->in_reclaim = in_reclaim;
	if (hp < 0) {
		k->thp_collapse_alloc_failed++;
		return -ENOMEM;
	}
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++)
		if (old[i])
			kmm_copy_page(k, c, (uint64_t)hp + i, old[i]);
	/* pmdp_collapse_flush(): no core may use the small pages any more */
	kmm_write_pte(k, c, pmd, 0);
	flush_tlb_mm_range(k, mm, c, haddr, haddr + HPAGE_PMD_SIZE, FLUSH_THP);
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
		if (!old[i])
			continue;
		k->memmap[old[i]].mapcount = 0;
		kmm_free_page(k, c, old[i]);
	}
	k->memmap[table >> PAGE_SHIFT].pt_used = 0;
	kmm_free_page(k, c, table >> PAGE_SHIFT);
	mm->pt_pages--;
	k->pt_free++;
	struct page *h = &k->memmap[hp];
	h->mapcount = 1;
	h->refcount = 1;
	anon_vma_prepare(k, mm, v);
	page_add_new_anon_rmap(k, (uint64_t)hp, v, haddr);
	kmm_lru_add_new(k, v, (uint64_t)hp);
	kmm_write_pte(k, c, pmd, ((paddr_t)hp << PAGE_SHIFT) | pte_prot_bits(v->prot) | PTE_PS |
			  PTE_D);
	count_rss(mm, (int64_t)HPAGE_PMD_NR - (int64_t)present);
	k->thp_collapse_alloc++;
	return 0;
}

int thp_collapse_range(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start,
		       vaddr_t end)
{
	int rc = 0;
	for (vaddr_t h = (start + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK;
	     h + HPAGE_PMD_SIZE <= end && h + HPAGE_PMD_SIZE > h; h += HPAGE_PMD_SIZE) {
		struct vma *v = vma_find(mm, h);
		if (!v || !thp_vma_allowable(k, v, h, true))
			continue;
		if (collapse_one(k, mm, c, v, h, false) < 0)
			rc = -ENOMEM;
	}
	return rc;
}

void khugepaged_tick(struct kmm *k, struct core *c)
{
	if (!k->thp_ready || k->thp_enabled == THP_NEVER || c->clock < k->khugepaged_next)
		return;
	k->khugepaged_wakeups++;
	int64_t budget = k->cfg->kernel.thp.pages_to_scan;
	bool any = false;           /* anything eligible since the last wrap */
	unsigned wraps = 0;
	while (budget > 0 && k->nmms > 0 && wraps < 2) {
		if (k->khugepaged_mm >= k->nmms) {
			k->khugepaged_mm = 0;
			k->khugepaged_addr = 0;
			k->khugepaged_full_scans++;
			wraps++;
			if (!any)
				break;
			any = false;
		}
		struct mm *mm = k->mms[k->khugepaged_mm];
		vaddr_t h = (k->khugepaged_addr + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK;
		uint32_t i = vma_index(mm, h);
		bool done = true;
		for (; i < mm->nvma && budget > 0; i++) {
			struct vma *v = &mm->vma[i];
			vaddr_t s = v->start > h ? v->start : h;
			for (h = (s + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK;
			     h + HPAGE_PMD_SIZE <= v->end && budget > 0; h += HPAGE_PMD_SIZE) {
				if (!thp_vma_allowable(k, v, h, false))
					continue;
				any = true;
				collapse_one(k, mm, c, v, h, true);
				budget -= HPAGE_PMD_NR;
				k->khugepaged_addr = h + HPAGE_PMD_SIZE;
			}
			if (budget <= 0) {
				done = h + HPAGE_PMD_SIZE > v->end && i + 1 == mm->nvma;
				break;
			}
		}
		if (done) {
			k->khugepaged_mm++;
			k->khugepaged_addr = 0;
		}
	}
	k->khugepaged_next = c->clock + k->cfg->kernel.thp.scan_sleep;
}
