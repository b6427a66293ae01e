/* Page reclaim, swap-out and swap-in, kswapd and the OOM killer (vmscan.h). */
#include "kernel/mm/vmscan.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/config.h"
#include "lib/stats.h"
#include "sim/blk/blkdev.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"
#include "kernel/mm/filemap.h"
#include "kernel/mm/kmm.h"
#include "kernel/mm/rmap.h"
#include "kernel/mm/swap.h"
#include "kernel/mm/thp.h"
#include "kernel/mm/zone.h"

_Static_assert(MAX_NUMNODES <= 8, "kswapd_woken has a slot per node");

/* ------------------------------------------------------------ set-up */

void vmscan_init(struct kmm *k, struct stats *st)
{
	const struct mmsim_cfg *cfg = k->cfg;
	struct reclaim_stats *v = k->vm = calloc(1, sizeof(*k->vm));
	if (!v)
		abort();
	if (cfg->swap.size >= 2 * PAGE_SIZE) {
		k->swapdev = calloc(1, sizeof(*k->swapdev));
		k->swap = calloc(1, sizeof(*k->swap));
		if (!k->swapdev || !k->swap ||
		    blkdev_init(k->swapdev, "swap", cfg->swap.size, cfg->swap.latency,
				cfg->swap.block_cycles) ||
		    swap_info_init(k->swap, 0, k->swapdev))
			abort();
	}
	if (!st)
		return;
	if (k->swap) {
		blkdev_stats(k->swapdev, st);
		swap_info_stats(k->swap, st);
	}
	struct { uint64_t *f; const char *name; } rows[] = {
		{ &v->pgscan_kswapd, "mm.vmscan.pgscan_kswapd" },
		{ &v->pgscan_direct, "mm.vmscan.pgscan_direct" },
		{ &v->pgsteal_kswapd, "mm.vmscan.pgsteal_kswapd" },
		{ &v->pgsteal_direct, "mm.vmscan.pgsteal_direct" },
		{ &v->pgscan_anon, "mm.vmscan.pgscan_anon" },
		{ &v->pgscan_file, "mm.vmscan.pgscan_file" },
		{ &v->pgsteal_anon, "mm.vmscan.pgsteal_anon" },
		{ &v->pgsteal_file, "mm.vmscan.pgsteal_file" },
		{ &v->pgrefill, "mm.vmscan.pgrefill" },
		{ &v->pgactivate, "mm.vmscan.pgactivate" },
		{ &v->pgdeactivate, "mm.vmscan.pgdeactivate" },
		{ &v->pgrotated, "mm.vmscan.pgrotated" },
		{ &v->pgpinned, "mm.vmscan.pinned_skipped" },
		{ &v->allocstall, "mm.vmscan.allocstall" },
		{ &v->pageoutrun, "mm.vmscan.pageoutrun" },
		{ &v->kswapd_cycles, "mm.vmscan.kswapd_cycles" },
		{ &v->direct_cycles, "mm.vmscan.direct_cycles" },
		{ &v->thp_split_reclaim, "mm.vmscan.thp_split" },
		{ &v->oom_select, "mm.vmscan.oom_select" },
		{ &v->pswpin, "mm.swap.pswpin" },
		{ &v->pswpout, "mm.swap.pswpout" },
		{ &v->pgmajfault, "mm.pgmajfault" },
		{ &v->swap_cache_hit, "mm.swap.cache_hit" },
		{ &v->swap_ra, "mm.swap.readahead" },
		{ &v->swap_ra_hit, "mm.swap.readahead_hit" },
		{ &v->swap_full, "mm.swap.full" },
		{ &v->swap_wait_cycles, "mm.swap.write_wait_cycles" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		stats_add(st, rows[i].f, "%s", rows[i].name);
}

void vmscan_fini(struct kmm *k)
{
	if (k->swap) {
		swap_info_fini(k->swap);
		blkdev_fini(k->swapdev);
	}
	free(k->swap);
	free(k->swapdev);
	free(k->vm);
	k->swap = NULL;
	k->swapdev = NULL;
	k->vm = NULL;
}

/* ---------------------------------------------------------------- LRU */

struct lruvec *kmm_lruvec(struct kmm *k, uint64_t pfn)
{
	return &k->node[pfn_to_nid(k, pfn)].lruvec;
}

void kmm_lru_add_new(struct kmm *k, const struct vma *v, uint64_t pfn)
{
	struct page *p = &k->memmap[pfn];

	p->flags &= ~(PG_active | PG_referenced | PG_mlocked);
	if (v && (v->flags & VM_LOCKED))
		p->flags |= PG_mlocked;
	lru_add(kmm_lruvec(k, pfn), k->memmap, pfn);
}

void kmm_lru_del(struct kmm *k, uint64_t pfn)
{
	if (k->memmap[pfn].flags & PG_lru)
		lru_del(kmm_lruvec(k, pfn), k->memmap, pfn);
}

void kmm_lru_putback(struct kmm *k, uint64_t pfn)
{
	lru_add(kmm_lruvec(k, pfn), k->memmap, pfn);
}

/* The leaf entry mapping va in mm, read without timing (the walks of
 * mlock's bookkeeping); *size its span. 0: nothing present. */
static pte_t leaf_entry(struct kmm *k, struct mm *mm, vaddr_t va, uint64_t *size)
{
	paddr_t table = mm->pgd;
	for (int l = k->levels; l >= 1; l--) {
		pte_t e = physmem_read(&k->ms->pm, table + 8 * pt_index(va, l), 8);
		if (!(e & PTE_P))
			return 0;
		if (l == 1 || (e & PTE_PS)) {
			*size = pt_level_size(l);
			return e;
		}
		table = e & PTE_ADDR_MASK;
	}
	return 0;
}

void mlock_pages(struct kmm *k, struct mm *mm, vaddr_t start, vaddr_t end, bool lock)
{
	for (vaddr_t va = start; va < end;) {
		uint64_t size = PAGE_SIZE;
		pte_t e = leaf_entry(k, mm, va, &size);
		uint64_t pfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
		va = (va & ~(size - 1)) + size;
		if (!e || (k->zero_pfn && pfn == k->zero_pfn) ||
		    !(k->memmap[pfn].flags & PG_anon))
			continue;
		if (size > PAGE_SIZE)
			pfn &= ~((size >> PAGE_SHIFT) - 1);
		struct page *p = &k->memmap[pfn];
		if (!(p->flags & PG_lru) || !(p->flags & PG_mlocked) == !lock)
			continue;
		lru_del(kmm_lruvec(k, pfn), k->memmap, pfn);
		p->flags = lock ? p->flags | PG_mlocked : p->flags & ~PG_mlocked;
		lru_add(kmm_lruvec(k, pfn), k->memmap, pfn);
	}
}

/* -------------------------------------------------- batched TLB flushes */

/* The mms whose PTEs a batch changed, and the span in each: one flush per
 * mm at the end of the batch (try_to_unmap_flush()). */
#define FLUSH_BATCH_MMS 16
struct flush_batch {
	struct { struct mm *mm; vaddr_t lo, hi; } e[FLUSH_BATCH_MMS];
	unsigned n;
};

static void batch_flush(struct kmm *k, struct core *c, struct flush_batch *b)
{
	for (unsigned i = 0; i < b->n; i++)
		flush_tlb_mm_range(k, b->e[i].mm, c, b->e[i].lo, b->e[i].hi, FLUSH_RECLAIM);
	b->n = 0;
}

static void batch_add(struct kmm *k, struct core *c, struct flush_batch *b, struct mm *mm,
		      vaddr_t lo, vaddr_t hi)
{
	for (unsigned i = 0; i < b->n; i++) {
		if (b->e[i].mm == mm) {
			b->e[i].lo = lo < b->e[i].lo ? lo : b->e[i].lo;
			b->e[i].hi = hi > b->e[i].hi ? hi : b->e[i].hi;
			return;
		}
	}
	if (b->n == FLUSH_BATCH_MMS)
		batch_flush(k, c, b);
	b->e[b->n].mm = mm;
	b->e[b->n].lo = lo;
	b->e[b->n].hi = hi;
	b->n++;
}

/* ------------------------------------------------------- references */

struct ref_ctx {
	struct core *c;
	struct flush_batch *fb;
	int referenced;         /* entries found with A set */
	bool locked;            /* one of them in a VM_LOCKED mapping */
};

/* folio_referenced_one(): test and clear the Accessed bit of one entry. */
static bool referenced_one(struct kmm *k, struct mm *mm, vaddr_t va, paddr_t pte_pa, void *arg)
{
	struct ref_ctx *r = arg;
	const struct vma *v = vma_find(mm, va);
	if (v && (v->flags & VM_LOCKED)) {
		r->locked = true;  /* mlock_vma_folio(): no aging, it goes unevictable */
		return false;
	}
	pte_t e = kmm_read_pte(k, r->c, pte_pa);
	if (!(e & PTE_A))
		return true;
	kmm_write_pte(k, r->c, pte_pa, e & ~PTE_A);
	r->referenced++;
	vaddr_t size = (e & PTE_PS) ? pt_level_size(2) : PAGE_SIZE;
	vaddr_t lo = va & ~(size - 1);
	switch (k->cfg->kernel.young_flush) {
	case YOUNG_FLUSH_PAGE:
		flush_tlb_mm_range(k, mm, r->c, lo, lo + size, FLUSH_RECLAIM);
		break;
	case YOUNG_FLUSH_BATCH:
		batch_add(k, r->c, r->fb, mm, lo, lo + size);
		break;
	default:
		break;     /* x86 Linux: a stale TLB entry only makes aging less exact */
	}
	return true;
}

/* folio_referenced(): Accessed bits set since the last look; -1 when a
 * VM_LOCKED VMA maps the page. */
static int page_referenced(struct kmm *k, struct core *c, uint64_t pfn, struct flush_batch *fb)
{
	struct ref_ctx r = { c, fb, 0, false };
	rmap_walk(k, pfn, referenced_one, &r);
	return r.locked ? -1 : r.referenced;
}

/* -------------------------------------------------------- swap-out */

struct unmap_ctx {
	struct core *c;
	struct flush_batch *fb;
	swp_entry_t entry;
	int unmapped;
};

/* try_to_unmap_one(): the PTE becomes the swap entry; its dirty bit moves
 * to the page; the mapping's reference and count go. */
static bool unmap_one(struct kmm *k, struct mm *mm, vaddr_t va, paddr_t pte_pa, void *arg)
{
	struct unmap_ctx *u = arg;
	struct page *p = &k->memmap[(physmem_read(&k->ms->pm, pte_pa, 8) & PTE_ADDR_MASK) >>
				    PAGE_SHIFT];
	pte_t e = kmm_read_pte(k, u->c, pte_pa);
	assert(!(e & PTE_PS));
	if (e & PTE_D)
		p->flags |= PG_dirty;
	kmm_write_pte(k, u->c, pte_pa, swp_entry_to_pte(u->entry));
	swap_dup(k->swap, u->entry);
	p->mapcount--;
	p->refcount--;
	mm->rss_anon--;
	mm->swap_ents++;
	batch_add(k, u->c, u->fb, mm, va & PAGE_MASK, (va & PAGE_MASK) + PAGE_SIZE);
	u->unmapped++;
	return true;
}

/* Is the page held by more than its mappings and the swap or page cache? */
static bool page_pinned(const struct page *p)
{
	int32_t expected = p->mapcount + ((p->flags & (PG_swapcache | PG_file)) ? 1 : 0);
	return p->refcount > (expected ? expected : 1);
}

static swp_entry_t page_swap_entry(const struct page *p)
{
	return swp_entry(0, p->private);
}

/* The swap cache lets go of a page no PTE maps (__remove_mapping()). */
static void swap_cache_release(struct kmm *k, struct core *c, uint64_t pfn)
{
	struct page *p = &k->memmap[pfn];
	swap_cache_del(k->swap, page_swap_entry(p));
	p->flags &= ~(PG_swapcache | PG_dirty);
	p->private = 0;
	if (--p->refcount == 0) {
		kmm_lru_del(k, pfn);
		p->refcount = 1;
		kmm_free_pages(k, c, pfn, 0);
	}
}

enum page_fate { FATE_KEEP, FATE_ACTIVATE, FATE_PAGEOUT, FATE_CULL };

struct scan_control {
	struct core *c;
	bool kswapd;
	int priority;
	uint64_t nr_to_reclaim, nr_reclaimed, nr_scanned;
};

/* A THP about to be reclaimed is split (split_folio_to_list()); its other
 * parts go to the tail of the list, to be looked at next. Returns false if
 * it could not be split (no page for the new table). */
static bool reclaim_split(struct kmm *k, struct core *c, uint64_t head)
{
	if (thp_split_page(k, c, head))
		return false;
	k->vm->thp_split_reclaim++;
	for (unsigned i = 1; i < HPAGE_PMD_NR; i++)
		lru_add_tail(kmm_lruvec(k, head + i), k->memmap, head + i);
	return true;
}

/* folio_check_references() and try_to_unmap() for one isolated inactive
 * anonymous page. */
static enum page_fate shrink_anon_page(struct kmm *k, struct scan_control *sc, uint64_t pfn,
				       struct flush_batch *fb)
{
	struct page *p = &k->memmap[pfn];
	int refs = page_referenced(k, sc->c, pfn, fb);
	bool was_referenced = p->flags & PG_referenced;

	p->flags &= ~PG_referenced;
	if (refs < 0)
		return FATE_CULL;
	if (refs) {
		p->flags |= PG_referenced;
		return was_referenced || refs > 1 ? FATE_ACTIVATE : FATE_KEEP;
	}
	if (!k->swap)
		return FATE_ACTIVATE;
	if ((p->flags & PG_head) && !reclaim_split(k, sc->c, pfn))
		return FATE_ACTIVATE;
	if (!(p->flags & PG_swapcache)) {
		/* add_to_swap(): a slot, and the page in the swap cache */
		swp_entry_t e = swap_alloc(k->swap);
		if (!e.val) {
			k->vm->swap_full++;
			return FATE_ACTIVATE;
		}
		swap_cache_add(k->swap, e, pfn);
		swap_put(k->swap, e);    /* the cache's reference stands for the allocation */
		p->flags |= PG_swapcache | PG_dirty;
		p->private = (uint32_t)swp_offset(e);
		p->refcount++;
	}
	struct unmap_ctx u = { sc->c, fb, page_swap_entry(p), 0 };
	int32_t maps = p->mapcount;
	rmap_walk(k, pfn, unmap_one, &u);
	if (p->mapcount != 0) {
		fprintf(stderr, "vmscan: pfn %llu had mapcount %d but rmap unmapped %d PTEs\n",
			(unsigned long long)pfn, maps, u.unmapped);
		abort();
	}
	return FATE_PAGEOUT;
}

/* folio_check_references() and the page-cache half of shrink_folio_list()
 * for one isolated inactive file page: a referenced one is activated or
 * kept; an unreferenced one is unmapped, a dirty one written back (it
 * stays on the list until the write is done and a later pass finds it
 * clean, as PG_reclaim pages rotate), a clean one dropped from the page
 * cache (filemap.h). Returns true when it was freed. */
static enum page_fate shrink_file_page(struct kmm *k, struct scan_control *sc, uint64_t pfn,
				       struct flush_batch *fb, bool *freed)
{
	struct page *p = &k->memmap[pfn];
	int refs = p->mapcount ? page_referenced(k, sc->c, pfn, fb) : 0;
	bool was_referenced = p->flags & PG_referenced;

	*freed = false;
	p->flags &= ~PG_referenced;
	if (refs < 0)
		return FATE_CULL;
	if (refs) {
		p->flags |= PG_referenced;
		return was_referenced || refs > 1 ? FATE_ACTIVATE : FATE_KEEP;
	}
	if (p->flags & PG_writeback)
		return FATE_KEEP;
	if (p->mapcount) {
		batch_flush(k, sc->c, fb);     /* the A-bit flushes before the unmap */
		if (!filemap_unmap_page(k, sc->c, pfn))
			return FATE_KEEP;
	}
	if (p->flags & PG_dirty) {
		filemap_pageout(k, sc->c, pfn);
		return FATE_KEEP;
	}
	*freed = filemap_remove_page(k, sc->c, pfn);
	return FATE_KEEP;
}

/* shrink_folio_list() over pages isolated from an inactive list. */
static void shrink_page_list(struct kmm *k, struct scan_control *sc, uint64_t *pages, unsigned n)
{
	struct flush_batch fb = { .n = 0 };
	uint64_t out[SWAP_CLUSTER_MAX];
	unsigned nout = 0, nfile = 0;
	struct reclaim_stats *v = k->vm;

	for (unsigned i = 0; i < n; i++) {
		uint64_t pfn = pages[i];
		struct page *p = &k->memmap[pfn];
		enum page_fate fate;

		sc->c->clock += k->cfg->kernel.reclaim_page;
		if ((p->flags & PG_STATE_MASK) == PG_file) {
			bool freed;
			if (page_pinned(p)) {
				v->pgpinned++;
				fate = FATE_ACTIVATE;
			} else {
				fate = shrink_file_page(k, sc, pfn, &fb, &freed);
				if (freed) {
					nfile++;
					continue;
				}
			}
		} else if ((p->flags & PG_STATE_MASK) != PG_anon) {
			fate = FATE_KEEP;
		} else if (p->mapcount == 0 && !(p->flags & PG_swapcache)) {
			fate = FATE_KEEP;        /* being freed (in an mmu_gather) */
		} else if (page_pinned(p)) {
			v->pgpinned++;
			fate = FATE_ACTIVATE;
		} else {
			fate = shrink_anon_page(k, sc, pfn, &fb);
		}
		switch (fate) {
		case FATE_ACTIVATE:
			p->flags |= PG_active;
			kmm_lru_putback(k, pfn);
			v->pgactivate++;
			break;
		case FATE_KEEP:
			kmm_lru_putback(k, pfn);
			v->pgrotated++;
			break;
		case FATE_PAGEOUT:
			out[nout++] = pfn;
			break;
		case FATE_CULL:
			p->flags |= PG_mlocked;
			kmm_lru_putback(k, pfn);
			break;
		}
	}
	/* try_to_unmap_flush_dirty(): no core may still write through an old
	 * translation once the bytes go to the device */
	batch_flush(k, sc->c, &fb);
	cycles_t start = sc->c->clock, done = start;
	for (unsigned i = 0; i < nout; i++) {
		struct page *p = &k->memmap[out[i]];
		if (!(p->flags & PG_dirty))
			continue;        /* the slot already holds these bytes */
		cycles_t t = blkdev_write(k->swapdev, p->private, &k->ms->pm, out[i], start);
		done = t > done ? t : done;
		p->flags &= ~PG_dirty;
		v->pswpout++;
	}
	v->swap_wait_cycles += done - start;
	sc->c->clock = done;
	for (unsigned i = 0; i < nout; i++)
		swap_cache_release(k, sc->c, out[i]);
	sc->nr_reclaimed += nout + nfile;
	v->pgsteal_anon += nout;
	v->pgsteal_file += nfile;
	if (sc->kswapd)
		v->pgsteal_kswapd += nout + nfile;
	else
		v->pgsteal_direct += nout + nfile;
}

/* Take up to nr pages from the tail of a list (isolate_lru_folios()). */
static unsigned isolate_pages(struct kmm *k, struct lruvec *l, enum lru_list lru, unsigned nr,
			      uint64_t *pages)
{
	unsigned n = 0;
	while (n < nr) {
		int64_t pfn = lru_tail(l, lru);
		if (pfn < 0)
			break;
		lru_del(l, k->memmap, (uint64_t)pfn);
		pages[n++] = (uint64_t)pfn;
	}
	return n;
}

static void shrink_inactive_list(struct kmm *k, struct scan_control *sc, struct lruvec *l,
				 enum lru_list lru, unsigned nr)
{
	uint64_t pages[SWAP_CLUSTER_MAX];
	unsigned n = isolate_pages(k, l, lru, nr, pages);
	struct reclaim_stats *v = k->vm;

	sc->nr_scanned += n;
	if (sc->kswapd)
		v->pgscan_kswapd += n;
	else
		v->pgscan_direct += n;
	if (lru_is_file(lru))
		v->pgscan_file += n;
	else
		v->pgscan_anon += n;
	shrink_page_list(k, sc, pages, n);
}

/* shrink_active_list(): age pages to the inactive list, clearing their
 * Accessed bits on the way (anonymous pages move whether referenced or
 * not, as Linux; the inactive list gives them their second chance). */
static void shrink_active_list(struct kmm *k, struct scan_control *sc, struct lruvec *l,
			       enum lru_list lru, unsigned nr)
{
	uint64_t pages[SWAP_CLUSTER_MAX];
	unsigned n = isolate_pages(k, l, lru, nr, pages);
	struct flush_batch fb = { .n = 0 };

	k->vm->pgrefill += n;
	for (unsigned i = 0; i < n; i++) {
		struct page *p = &k->memmap[pages[i]];
		sc->c->clock += k->cfg->kernel.reclaim_page;
		if (p->mapcount > 0 && page_referenced(k, sc->c, pages[i], &fb) < 0)
			p->flags |= PG_mlocked;
		p->flags &= ~(PG_active | PG_referenced);
		lru_add(l, k->memmap, pages[i]);
		k->vm->pgdeactivate++;
	}
	batch_flush(k, sc->c, &fb);
}

static uint64_t isqrt(uint64_t x)
{
	uint64_t r = 0;
	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

/* inactive_is_low(): the inactive list of this kind is short of
 * active / sqrt(10 * GiB of the kind). */
static bool inactive_is_low(const struct lruvec *l, enum lru_list inactive)
{
	uint64_t in = l->list[inactive].nr, act = l->list[inactive + 1].nr;
	uint64_t gb = (in + act) >> (30 - PAGE_SHIFT);
	uint64_t ratio = gb ? isqrt(10 * gb) : 1;
	return in * ratio < act;
}

static bool can_reclaim_anon(const struct kmm *k)
{
	return k->swap && k->swap->inuse + 1 < k->swap->pages;
}

/* get_scan_count(), with fixed weights: anon swappiness, file
 * 200 - swappiness; anon only when there is no file page, file only
 * without free swap. Targets round up, so a short list is still seen. */
static void get_scan_count(const struct kmm *k, const struct lruvec *l, int priority,
			   uint64_t *nr)
{
	uint64_t ap = k->cfg->kernel.swappiness, fp = 200 - ap;
	uint64_t files = l->list[LRU_INACTIVE_FILE].nr + l->list[LRU_ACTIVE_FILE].nr;

	if (!can_reclaim_anon(k))
		ap = 0, fp = 1;
	else if (!files)
		ap = 1, fp = 0;
	else if (priority == 0 && ap)
		ap = fp = 1;     /* SCAN_EQUAL when nothing else worked */
	for (int lru = 0; lru < LRU_UNEVICTABLE; lru++) {
		uint64_t w = lru_is_file(lru) ? fp : ap;
		uint64_t scan = l->list[lru].nr >> priority;
		nr[lru] = w ? (scan * w + ap + fp - 1) / (ap + fp) : 0;
		if (w && !nr[lru] && l->list[lru].nr && priority < DEF_PRIORITY - 2)
			nr[lru] = 1;
	}
}

/* shrink_lruvec() */
static void shrink_node(struct kmm *k, struct scan_control *sc, int nid)
{
	struct lruvec *l = &k->node[nid].lruvec;
	uint64_t nr[NR_LRU_LISTS] = { 0 };

	get_scan_count(k, l, sc->priority, nr);
	while (nr[LRU_INACTIVE_ANON] || nr[LRU_ACTIVE_FILE] || nr[LRU_INACTIVE_FILE]) {
		for (int lru = 0; lru < LRU_UNEVICTABLE; lru++) {
			if (!nr[lru])
				continue;
			unsigned n = nr[lru] < SWAP_CLUSTER_MAX ? (unsigned)nr[lru] : SWAP_CLUSTER_MAX;
			nr[lru] -= n;
			if (lru_is_active(lru)) {
				if (inactive_is_low(l, lru - 1))
					shrink_active_list(k, sc, l, lru, n);
			} else {
				shrink_inactive_list(k, sc, l, lru, n);
			}
		}
		if (sc->nr_reclaimed >= sc->nr_to_reclaim)
			break;
	}
	/* keep the anon lists balanced even when only file pages were scanned */
	if (can_reclaim_anon(k) && inactive_is_low(l, LRU_INACTIVE_ANON))
		shrink_active_list(k, sc, l, LRU_ACTIVE_ANON, SWAP_CLUSTER_MAX);
}

/* ------------------------------------------------ direct reclaim, kswapd */

uint64_t try_to_free_pages(struct kmm *k, struct core *c, int nid, gfp_t gfp, unsigned order)
{
	(void)gfp;
	(void)order;
	if (k->in_reclaim)
		return 0;
	struct scan_control sc = { .c = c, .nr_to_reclaim = SWAP_CLUSTER_MAX };
	cycles_t t0 = c->clock;

	k->in_reclaim = true;
	k->vm->allocstall++;
	for (sc.priority = DEF_PRIORITY; sc.priority >= 0; sc.priority--) {
		/* the zonelist's nodes, nearest first */
		for (unsigned i = 0; i < k->nr_nodes; i++)
			shrink_node(k, &sc, (int)((unsigned)nid + i) % (int)k->nr_nodes);
		if (sc.nr_reclaimed >= sc.nr_to_reclaim)
			break;
	}
	k->in_reclaim = false;
	k->vm->direct_cycles += c->clock - t0;
	return sc.nr_reclaimed;
}

/* pgdat_balanced(): a zone of the node with pages is above its high
 * watermark (for the order kswapd was woken for). */
static bool node_balanced(struct kmm *k, int nid, unsigned order, int classzone)
{
	for (int i = 0; i <= classzone; i++) {
		struct zone *z = &k->node[nid].zones[i];
		if (z->managed_pages &&
		    zone_watermark_ok(z, order, z->watermark[WMARK_HIGH], classzone, 0))
			return true;
	}
	return false;
}

void wakeup_kswapd(struct kmm *k, int nid, unsigned order, int classzone)
{
	struct reclaim_stats *v = k->vm;
	if (!k->cfg->kernel.kswapd || k->in_reclaim || node_balanced(k, nid, order, classzone))
		return;
	if (!v->kswapd_woken[nid] || order > v->kswapd_order[nid])
		v->kswapd_order[nid] = order;
	if (!v->kswapd_woken[nid] || classzone > v->kswapd_classzone[nid])
		v->kswapd_classzone[nid] = classzone;
	v->kswapd_woken[nid] = true;
	v->kswapd_pending = true;
}

/* balance_pgdat(): reclaim with rising pressure until the node is
 * balanced or a whole pass at priority 0 reclaimed nothing. */
static void balance_pgdat(struct kmm *k, struct core *c, int nid, unsigned order,
			  int classzone)
{
	struct scan_control sc = { .c = c, .kswapd = true };
	cycles_t t0 = c->clock;

	k->in_reclaim = true;
	k->vm->pageoutrun++;
	for (sc.priority = DEF_PRIORITY; sc.priority >= 0; sc.priority--) {
		if (node_balanced(k, nid, order, classzone))
			break;
		uint64_t before = sc.nr_reclaimed, want = 0;
		/* kswapd_shrink_node(): the high watermarks' worth per pass */
		for (int i = 0; i <= classzone; i++) {
			uint64_t h = k->node[nid].zones[i].watermark[WMARK_HIGH];
			if (k->node[nid].zones[i].managed_pages)
				want += h > SWAP_CLUSTER_MAX ? h : SWAP_CLUSTER_MAX;
		}
		sc.nr_to_reclaim = before + want;
		shrink_node(k, &sc, nid);
		if (sc.nr_reclaimed > before)
			sc.priority++;   /* progress: stay at this pressure */
		if (sc.nr_scanned > 64 * (k->node[nid].end_pfn - k->node[nid].start_pfn))
			break;           /* a bound, for lists that only rotate */
	}
	k->in_reclaim = false;
	k->vm->kswapd_cycles += c->clock - t0;
}

void kswapd_tick(struct kmm *k, struct core *c)
{
	k->vm->kswapd_pending = false;
	for (unsigned n = 0; n < k->nr_nodes; n++) {
		if (!k->vm->kswapd_woken[n])
			continue;
		k->vm->kswapd_woken[n] = false;
		balance_pgdat(k, c, (int)n, k->vm->kswapd_order[n], k->vm->kswapd_classzone[n]);
	}
}

uint64_t kmm_reclaim_pages(struct kmm *k, struct core *c, int nid, uint64_t n)
{
	struct scan_control sc = { .c = c, .nr_to_reclaim = n };
	cycles_t t0 = c->clock;

	k->in_reclaim = true;
	for (sc.priority = DEF_PRIORITY; sc.priority >= 0 && sc.nr_reclaimed < n; sc.priority--)
		for (unsigned i = 0; i < k->nr_nodes && sc.nr_reclaimed < n; i++)
			if (nid < 0 || (unsigned)nid == i)
				shrink_node(k, &sc, (int)i);
	k->in_reclaim = false;
	k->vm->direct_cycles += c->clock - t0;
	return sc.nr_reclaimed;
}

/* -------------------------------------------------------------- OOM */

static uint64_t total_pages(const struct kmm *k)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < k->nr_nodes; i++)
		for (int j = 0; j < MAX_NR_ZONES; j++)
			n += k->node[i].zones[j].managed_pages;
	return n + (k->swap ? k->swap->pages - 1 : 0);
}

/* oom_badness(): pages the mm would give back, plus oom_score_adj
 * thousandths of memory and swap. */
static int64_t oom_badness(const struct mm *mm, uint64_t totalpages)
{
	int64_t points = (int64_t)(mm->rss_anon + mm->swap_ents + mm->pt_pages);
	return points + (int64_t)mm->oom_score_adj * (int64_t)(totalpages / 1000);
}

bool out_of_memory(struct kmm *k, struct core *c, gfp_t gfp, unsigned order)
{
	if (order > 3 || (gfp & __GFP_NORETRY) || !k->oom_kill)
		return false;
	uint64_t total = total_pages(k);
	struct mm *victim = NULL;
	int64_t best = INT64_MIN;
	for (uint32_t i = 0; i < k->nmms; i++) {
		struct mm *mm = k->mms[i];
		if (mm->oom_score_adj <= -1000 || (!mm->rss_anon && !mm->swap_ents))
			continue;
		int64_t pts = oom_badness(mm, total);
		if (pts > best) {
			best = pts;
			victim = mm;
		}
	}
	if (k->cfg->kernel.panic_on_oom) {
		/* panic_on_oom: check_panic_on_oom() stops the machine */
		snprintf(k->oom_msg, sizeof(k->oom_msg), "Kernel panic - not syncing: Out of "
			 "memory (order %u, %llu pages of memory and swap; panic_on_oom)", order,
			 (unsigned long long)total);
		k->oom_panic = true;
		return false;
	}
	if (!victim)
		return false;
	k->vm->oom_select++;
	snprintf(k->oom_msg, sizeof(k->oom_msg),
		 "Out of memory: Killed process (mm %llu) total-vm:%llukB, anon-rss:%llukB, "
		 "file-rss:0kB, shmem-rss:0kB, swap:%llukB, pgtables:%llukB oom_score_adj:%d "
		 "(badness %lld of %llu pages)",
		 (unsigned long long)victim->id, (unsigned long long)victim->hiwater_vm * 4,
		 (unsigned long long)victim->rss_anon * 4, (unsigned long long)victim->swap_ents * 4,
		 (unsigned long long)victim->pt_pages * 4, victim->oom_score_adj, (long long)best,
		 (unsigned long long)total);
	if (victim == k->tlbstate[c->id].loaded)
		return false;    /* the caller fails the allocation; current dies */
	if (!k->oom_kill(k->oom_arg, victim, c, k->oom_msg))
		return false;
	k->oom_kills++;
	return true;
}

/* ------------------------------------------------------------ swap-in */

bool swap_pte_valid(const struct kmm *k, pte_t e)
{
	swp_entry_t s = pte_to_swp_entry(e);
	return k->swap && swp_type(s) == 0 && swp_offset(s) > 0 &&
	       swp_offset(s) < k->swap->pages && swap_count(k->swap, s) > 0 &&
	       (e & ~(PTE_ADDR_MASK | ((pte_t)SWP_TYPE_MASK << SWP_TYPE_SHIFT))) == 0;
}

/* The swap cache page for slot s once no swap PTE names it any more: the
 * cache lets go (try_to_free_swap()); the page stays while mapped. */
static void swap_try_free(struct kmm *k, struct core *c, swp_entry_t s)
{
	int64_t pfn = swap_cache_lookup(k->swap, s);
	if (pfn >= 0 && swap_count(k->swap, s) == 1)
		swap_cache_release(k, c, (uint64_t)pfn);
}

void swap_pte_free(struct kmm *k, struct mm *mm, struct core *c, pte_t e)
{
	swp_entry_t s = pte_to_swp_entry(e);
	mm->swap_ents--;
	swap_put(k->swap, s);
	swap_try_free(k, c, s);
}

bool swapcache_unmap(struct kmm *k, struct core *c, uint64_t pfn)
{
	struct page *p = &k->memmap[pfn];
	(void)c;
	p->mapcount--;
	p->refcount--;
	if (p->mapcount > 0 || swap_count(k->swap, page_swap_entry(p)) > 1)
		return false;    /* still mapped, or still named by swap PTEs */
	swap_cache_del(k->swap, page_swap_entry(p));
	p->flags &= ~(PG_swapcache | PG_dirty);
	p->private = 0;
	return true;             /* refcount 1: the caller's to free */
}

bool swapcache_busy(struct kmm *k, struct core *c, uint64_t pfn)
{
	struct page *p = &k->memmap[pfn];
	if (!(p->flags & PG_swapcache))
		return false;
	swap_try_free(k, c, page_swap_entry(p));
	return (p->flags & PG_swapcache) != 0;
}

void swap_pte_dup(struct kmm *k, struct mm *child, pte_t e)
{
	swap_dup(k->swap, pte_to_swp_entry(e));
	child->swap_ents++;
}

/* swap_cluster_readahead(): read the aligned 2^page_cluster slots around
 * the faulting one into the swap cache (slots in use and not cached),
 * submitted together; returns the completion of the last. */
static cycles_t swap_readahead(struct kmm *k, struct core *c, struct mm *mm, struct vma *v,
			       vaddr_t va, uint64_t off, cycles_t done)
{
	uint64_t n = 1ull << k->cfg->kernel.page_cluster;
	uint64_t first = off & ~(n - 1);
	for (uint64_t s = first; s < first + n && s < k->swap->pages; s++) {
		swp_entry_t e = swp_entry(0, s);
		if (s == off || s == 0 || !swap_count(k->swap, e) ||
		    swap_cache_lookup(k->swap, e) >= 0)
			continue;
		bool saved = k->in_reclaim;
		k->in_reclaim = true;    /* readahead never reclaims for itself */
		int64_t pfn = kmm_alloc_pages_vma(k, c, mm, v, va,
						  GFP_HIGHUSER_MOVABLE | __GFP_NORETRY, 0, PG_anon);
		k->in_reclaim = saved;
		if (pfn < 0)
			break;
		cycles_t t = blkdev_read(k->swapdev, s, &k->ms->pm, (uint64_t)pfn, c->clock);
		done = t > done ? t : done;
		struct page *p = &k->memmap[pfn];
		swap_cache_add(k->swap, e, (uint64_t)pfn);
		p->flags |= PG_swapcache;
		p->private = (uint32_t)s;
		p->refcount = 1;     /* the cache's */
		p->mapcount = 0;
		/* no rmap yet: the page is found through the swap cache */
		p->mapping = 0;
		kmm_lru_add_new(k, NULL, (uint64_t)pfn);
		p->flags |= PG_readahead;
		k->vm->pswpin++;
		k->vm->swap_ra++;
	}
	return done;
}

enum fault_result do_swap_page(struct kmm *k, struct mm *mm, struct core *c, struct vma *v,
			       paddr_t slot, pte_t e, vaddr_t va, uint32_t code)
{
	if (!swap_pte_valid(k, e))
		return FAULT_SIGBUS;
	swp_entry_t s = pte_to_swp_entry(e);
	uint64_t off = swp_offset(s);
	int64_t pfn = swap_cache_lookup(k->swap, s);
	struct page *p;

	c->clock += k->cfg->kernel.swap_fault;
	va &= PAGE_MASK;
	if (pfn >= 0) {
		p = &k->memmap[pfn];
		k->vm->swap_cache_hit++;
		if (p->flags & PG_readahead)
			k->vm->swap_ra_hit++;
		mm->min_flt++;
	} else {
		pfn = kmm_alloc_pages_vma(k, c, mm, v, va, GFP_HIGHUSER_MOVABLE, 0, PG_anon);
		if (pfn < 0)
			return FAULT_OOM;
		/* the fault's page and its neighbours go out together; the
		 * fault waits for its own */
		cycles_t done = blkdev_read(k->swapdev, off, &k->ms->pm, (uint64_t)pfn, c->clock);
		p = &k->memmap[pfn];
		swap_cache_add(k->swap, s, (uint64_t)pfn);
		p->flags |= PG_swapcache;
		p->private = (uint32_t)off;
		p->refcount = 1;
		p->mapcount = 0;
		kmm_lru_add_new(k, v, (uint64_t)pfn);
		k->vm->pswpin++;
		if (k->cfg->kernel.page_cluster)
			swap_readahead(k, c, mm, v, va, off, done);
		c->clock = done > c->clock ? done : c->clock;
		mm->maj_flt++;
		k->vm->pgmajfault++;
	}
	/* map it: one more mapping and reference; this PTE's slot reference goes */
	anon_vma_prepare(k, mm, v);
	bool exclusive = swap_count(k->swap, s) == 2;   /* this PTE + the cache */
	if (p->mapcount == 0) {
		if (exclusive)
			page_add_new_anon_rmap(k, (uint64_t)pfn, v, va);
		else
			page_add_shared_anon_rmap(k, (uint64_t)pfn, v, va);
	}
	p->mapcount++;
	p->refcount++;
	p->flags &= ~PG_readahead;
	swap_put(k->swap, s);
	mm->swap_ents--;
	if (++mm->rss_anon > mm->hiwater_rss)
		mm->hiwater_rss = mm->rss_anon;
	pte_t n = ((paddr_t)pfn << PAGE_SHIFT) | pte_prot_bits(v->prot);
	if (exclusive && p->mapcount == 1) {
		/* nobody else will need the slot: give it back, keep the bytes
		 * dirty (the only copy now) */
		swap_cache_release(k, c, (uint64_t)pfn);
		if (code & PF_W)
			n |= PTE_D;
	} else {
		n &= ~PTE_RW;    /* shared with the slot's other users: COW */
		swap_try_free(k, c, s);
	}
	kmm_write_pte(k, c, slot, n);
	/* a write to a page still shared with the slot: the retried access
	 * faults again on the read-only PTE, and do_wp_page() copies */
	return FAULT_DONE;
}
