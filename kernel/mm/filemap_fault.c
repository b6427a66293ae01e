/* Faults on file mappings (mm/memory.c do_read_fault(), do_cow_fault(),
 * do_shared_fault(), do_fault_around(); mm/filemap.c filemap_fault(),
 * filemap_map_pages()) and unmapping file pages for reclaim.
 *
 * filemap_fault() finds the page in the page cache: a minor fault; or reads
 * it from the disk, a major fault (mm->maj_flt, mm.pgmajfault), with
 * do_sync_mmap_readahead()'s read-around: ra_pages pages centred on the
 * fault, the last quarter asynchronous. A read fault first tries
 * fault-around: up to kernel.fault_around_bytes / 4K (Linux: 16) pages of
 * the aligned block around the address, inside the VMA and the page table,
 * that are cached, uptodate, without the readahead mark and not yet mapped,
 * are mapped read-only at once; if that mapped the faulting page the fault
 * is done (minor).
 *
 * Rights: a read fault maps the page read-only — for a private mapping so
 * that a write copies (do_cow_fault() / do_wp_page()), for a shared one so
 * that the first write is seen (vma_wants_writenotify()): wp_page_shared()
 * then makes it writable and dirties the page. A write fault on a shared
 * mapping maps it writable and dirty at once; on a private one it copies
 * the page-cache page into a new anonymous page (do_cow_fault()).
 *
 * Dirty pages found by a write fault are written back by the flusher
 * (writeback.c); the fault only wakes it when over the background
 * threshold (Linux's balance_dirty_pages_ratelimited() after the fault is
 * left to the flusher here, so that writeback's page_mkclean() never runs
 * between a fault and the access it resolves). */
#include "kernel/mm/filemap_internal.h"

#include "kernel/mm/rmap.h"
#include "kernel/mm/vmscan.h"
#include "lib/config.h"
#include "sim/cpu/core.h"
#include "sim/mmu/pte.h"

static void count_rss_file(struct mm *mm)
{
	mm->rss_file++;
	if (mm->rss_anon + mm->rss_file > mm->hiwater_rss)
		mm->hiwater_rss = mm->rss_anon + mm->rss_file;
}

/* Map page-cache frame pfn at the PTE slot (which must be empty). */
static void map_file_pte(struct kmm *k, struct mm *mm, struct core *c, const struct vma *v,
			 paddr_t slot, uint64_t pfn, bool write)
{
	pte_t e = ((paddr_t)pfn << PAGE_SHIFT) | pte_prot_bits(v->prot);
	e = write ? e | PTE_D : e & ~PTE_RW;
	kmm_write_pte(k, c, slot, e);
	struct page *p = &k->memmap[pfn];
	if (p->mapcount++ == 0)
		k->filemap->nr_mapped++;
	p->refcount++;
	k->memmap[slot >> PAGE_SHIFT].pt_used++;
	count_rss_file(mm);
}

/* The flusher runs at the next step when dirty pages are over the
 * background threshold (wb_start_background_writeback()). */
static void wake_flusher(struct kmm *k, struct core *c)
{
	struct filemap *m = k->filemap;
	uint64_t avail = m->nr_file_pages;
	for (unsigned nid = 0; nid < k->nr_nodes; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			avail += k->node[nid].zones[z].free_pages + k->node[nid].zones[z].pcp_pages;
	if (m->nr_dirty > avail * k->cfg->kernel.dirty.background_ratio / 100 &&
	    k->writeback_next > c->clock)
		k->writeback_next = c->clock;
}

/* do_fault_around() / filemap_map_pages(). */
static void do_fault_around(struct kmm *k, struct mm *mm, struct core *c, const struct vma *v,
			    struct kfile *f, paddr_t slot, vaddr_t va)
{
	uint64_t nr = k->cfg->kernel.fault_around_bytes >> PAGE_SHIFT;
	if (nr <= 1)
		return;
	vaddr_t pmd = va & ~((1ull << 21) - 1);
	vaddr_t start = va & ~((nr << PAGE_SHIFT) - 1), end = start + (nr << PAGE_SHIFT);
	if (start < v->start)
		start = v->start;
	if (start < pmd)
		start = pmd;
	if (end > v->end)
		end = v->end;
	if (end > pmd + (1ull << 21))
		end = pmd + (1ull << 21);
	paddr_t base = slot - 8 * pt_index(va, 1);
	for (vaddr_t a = start; a < end; a += PAGE_SIZE) {
		uint64_t index = v->pgoff + ((a - v->start) >> PAGE_SHIFT);
		if (index >= file_pages(f))
			break;
		struct pc_slot *s = pc_lookup(f, index);
		if (!s || s->ready > c->clock || s->ra_mark)
			continue;
		paddr_t ps = base + 8 * pt_index(a, 1);
		if (kmm_read_pte(k, c, ps))
			continue;       /* mapped, or a swap entry */
		c->clock += k->cfg->kernel.cost.filemap;
		map_file_pte(k, mm, c, v, ps, s->pfn, false);
		if (a != va)
			k->filemap->fault_around_pages++;
	}
}

/* filemap_fault()'s lookup: the uptodate page, read from the disk (with
 * read-around) when not cached. */
static struct pc_slot *fault_get_page(struct kmm *k, struct core *c, struct kfile *f,
				      uint32_t id, uint64_t index, bool *major)
{
	struct filemap *m = k->filemap;
	struct pc_slot *s = pc_lookup(f, index);
	c->clock += k->cfg->kernel.cost.filemap;
	if (!s) {
		*major = true;
		struct file_ra_state *ra = &f->ra;
		if (ra->random || ra->ra_pages <= 1) {
			m->ra_pages += ra_submit(k, c, f, id, index, 1, 0);
		} else {        /* do_sync_mmap_readahead(): read-around */
			ra->start = index > ra->ra_pages / 2 ? index - ra->ra_pages / 2 : 0;
			ra->size = ra->ra_pages;
			ra->async_size = ra->ra_pages / 4;
			m->ra_sync++;
			m->ra_pages += ra_submit(k, c, f, id, ra->start, ra->size, ra->async_size);
		}
		s = pc_lookup(f, index);
		if (!s)
			return NULL;
	} else if (s->ra_mark) {    /* do_async_mmap_readahead() */
		s->ra_mark = false;
		page_cache_async_ra(k, c, f, id, index, 1);
		s = pc_lookup(f, index);
	}
	pc_wait(k, c, s);
	return s;
}

enum fault_result filemap_fault(struct kmm *k, struct mm *mm, struct core *c, struct vma *v,
				paddr_t slot, vaddr_t va, uint32_t code)
{
	struct filemap *m = k->filemap;
	struct kfile *f = kfile_get(k, v->file);
	bool write = code & PF_W;
	va &= PAGE_MASK;
	uint64_t index = v->pgoff + ((va - v->start) >> PAGE_SHIFT);
	m->pgfault_file++;
	if (index >= file_pages(f))
		return FAULT_SIGBUS;     /* beyond the end of the file */
	if (!write) {
		do_fault_around(k, mm, c, v, f, slot, va);
		if (kmm_read_pte(k, c, slot) & PTE_P) {
			mm->min_flt++;
			return FAULT_DONE;
		}
	}
	bool major = false;
	struct pc_slot *s = fault_get_page(k, c, f, v->file, index, &major);
	if (!s)
		return FAULT_OOM;
	if (major) {
		mm->maj_flt++;
		m->pgmajfault++;
		k->vm->pgmajfault++;    /* vmstat's pgmajfault counts both kinds */
	} else {
		mm->min_flt++;
	}
	if (!write) {                           /* do_read_fault() */
		map_file_pte(k, mm, c, v, slot, s->pfn, false);
		return FAULT_DONE;
	}
	if (!(v->flags & VM_SHARED)) {          /* do_cow_fault() */
		int64_t pfn = kmm_alloc_pages_vma(k, c, mm, v, va, GFP_HIGHUSER_MOVABLE, 0, PG_anon);
		if (pfn < 0)
			return FAULT_OOM;
		kmm_copy_page(k, c, (uint64_t)pfn, s->pfn);
		fault_map_new_anon(k, mm, c, v, slot, (uint64_t)pfn, va, true);
		k->memmap[slot >> PAGE_SHIFT].pt_used++;
		return FAULT_DONE;
	}
	map_file_pte(k, mm, c, v, slot, s->pfn, true);  /* do_shared_fault() */
	filemap_set_page_dirty(k, c, s->pfn);
	wake_flusher(k, c);
	return FAULT_DONE;
}

enum fault_result filemap_wp_shared(struct kmm *k, struct mm *mm, struct core *c,
				    paddr_t slot, pte_t e, vaddr_t va)
{
	(void)va;
	uint64_t pfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
	k->pgfault_wp++;
	mm->min_flt++;
	/* an upgrade: the read-only translation was dropped by the #PF */
	kmm_write_pte(k, c, slot, e | PTE_RW | PTE_D);
	filemap_set_page_dirty(k, c, pfn);
	wake_flusher(k, c);
	return FAULT_DONE;
}

void filemap_zap_pte(struct kmm *k, struct core *c, struct mm *mm, uint64_t pfn, pte_t e)
{
	struct page *p = &k->memmap[pfn];
	if (e & PTE_D)
		filemap_set_page_dirty(k, c, pfn);
	p->refcount--;
	if (--p->mapcount == 0)
		k->filemap->nr_mapped--;
	mm->rss_file--;
}

struct unmap_arg {
	struct core *c;
	uint64_t pfn;
};

/* try_to_unmap_one() for a file page: clear the PTE, flush it. */
static bool unmap_one(struct kmm *k, struct mm *mm, vaddr_t va, paddr_t pte_pa, void *arg)
{
	struct unmap_arg *a = arg;
	pte_t e = kmm_read_pte(k, a->c, pte_pa);
	kmm_write_pte(k, a->c, pte_pa, 0);
	k->memmap[pte_pa >> PAGE_SHIFT].pt_used--;
	flush_tlb_mm_range(k, mm, a->c, va, va + PAGE_SIZE, FLUSH_MUNMAP);
	filemap_zap_pte(k, a->c, mm, a->pfn, e);
	return true;
}

bool filemap_unmap_page(struct kmm *k, struct core *c, uint64_t pfn)
{
	struct unmap_arg a = { c, pfn };
	if (k->memmap[pfn].mapcount)
		rmap_walk(k, pfn, unmap_one, &a);
	return k->memmap[pfn].mapcount == 0;
}
