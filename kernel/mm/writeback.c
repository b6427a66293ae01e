/* Dirty page-cache pages and writeback (mm/page-writeback.c,
 * fs/fs-writeback.c).
 *
 * Writing a page back: page_mkclean() first — every PTE mapping it loses
 * its write right and D bit (a D bit found means the page was written
 * through the mapping: it stays dirty) and the translation is flushed, so
 * the next write through a mapping faults and dirties the page again —,
 * then PG_dirty is cleared, PG_writeback set and the disk write submitted;
 * the page stays PG_writeback until the device completes it. Writes of one
 * pass go out back to back in file order, so the device overlaps them.
 *
 * Thresholds as Linux's domain_dirty_limits() over the global dirtyable
 * memory (free frames plus page-cache frames): background = dirty_background
 * _ratio %, limit = dirty_ratio %. balance_dirty_pages(): above the midpoint
 * of the two ("freerun") background writeback starts; above the limit the
 * writer is throttled. Simplified: instead of Linux's computed pause, the
 * throttled writer submits writeback of the excess and waits until it is
 * done; the flusher's work is charged to the core that runs it.
 *
 * The flusher (wb_workfn()) wakes every dirty_writeback_centisecs and
 * writes back the files dirtied more than dirty_expire_centisecs ago (the
 * inode's dirtied_when, as Linux), and everything while over the
 * background threshold. Centiseconds become cycles through
 * kernel.cycles_per_centisec. */
#include "kernel/mm/filemap_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/mm/rmap.h"
#include "lib/config.h"
#include "sim/cpu/core.h"
#include "sim/mmu/pte.h"

struct mkclean_arg {
	struct core *c;
	uint64_t pfn;
};

/* page_mkclean_one(): write-protect and clean one PTE mapping the page. */
static bool mkclean_one(struct kmm *k, struct mm *mm, vaddr_t va, paddr_t pte_pa, void *arg)
{
	struct mkclean_arg *a = arg;
	pte_t e = kmm_read_pte(k, a->c, pte_pa);
	if (!(e & (PTE_RW | PTE_D)))
		return true;
	kmm_write_pte(k, a->c, pte_pa, e & ~(PTE_RW | PTE_D));
	flush_tlb_mm_range(k, mm, a->c, va, va + PAGE_SIZE, FLUSH_MPROTECT);
	return true;
}

static void page_mkclean(struct kmm *k, struct core *c, uint64_t pfn)
{
	struct mkclean_arg a = { c, pfn };
	if (k->memmap[pfn].mapcount)
		rmap_walk(k, pfn, mkclean_one, &a);
}

void writeback_page(struct kmm *k, struct core *c, struct kfile *f, uint32_t id,
		    struct pc_slot *s)
{
	struct filemap *m = k->filemap;
	struct page *p = &k->memmap[s->pfn];
	assert((p->flags & PG_dirty) && !(p->flags & PG_writeback));
	page_mkclean(k, c, s->pfn);
	p->flags = (p->flags & ~PG_dirty) | PG_writeback;
	f->as.nrdirty--;
	m->nr_dirty--;
	m->nr_writeback++;
	f->on_disk[s->index / 8] |= (uint8_t)(1u << (s->index % 8));
	cycles_t done = blkdev_write(&m->disk, f->disk_block + s->index, &k->ms->pm, s->pfn,
				     c->clock);
	m->pgpgout++;
	if (m->nwb == m->wbcap) {
		m->wbcap = m->wbcap ? 2 * m->wbcap : 64;
		m->wb = realloc(m->wb, m->wbcap * sizeof(*m->wb));
		if (!m->wb)
			abort();
	}
	m->wb[m->nwb++] = (struct wb_io){ .file = id, .index = s->index, .done = done };
}

void writeback_retire(struct kmm *k, cycles_t now)
{
	struct filemap *m = k->filemap;
	size_t i = 0;
	/* the device's link completes requests in submission order */
	while (i < m->nwb && m->wb[i].done <= now) {
		struct kfile *f = kfile_get(k, m->wb[i].file);
		struct pc_slot *s = pc_lookup(f, m->wb[i].index);
		assert(s && (k->memmap[s->pfn].flags & PG_writeback));
		k->memmap[s->pfn].flags &= ~PG_writeback;
		m->nr_writeback--;
		i++;
	}
	if (i) {
		memmove(m->wb, m->wb + i, (m->nwb - i) * sizeof(*m->wb));
		m->nwb -= i;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

cycles_t writeback_file(struct kmm *k, struct core *c, uint32_t id, uint64_t max)
{
	struct kfile *f = kfile_get(k, id);
	struct filemap *m = k->filemap;
	if (!f->as.nrdirty)
		return 0;
	uint64_t *idx = malloc(f->as.nrdirty * sizeof(*idx)), n = 0;
	if (!idx)
		abort();
	for (uint64_t i = 0; i < f->as.cap; i++) {
		const struct pc_slot *s = &f->as.slot[i];
		if (s->index != PC_EMPTY && (k->memmap[s->pfn].flags & PG_dirty) &&
		    !(k->memmap[s->pfn].flags & PG_writeback))
			idx[n++] = s->index;
	}
	qsort(idx, n, sizeof(*idx), cmp_u64);
	if (max && n > max)
		n = max;
	for (uint64_t i = 0; i < n; i++)
		writeback_page(k, c, f, id, pc_lookup(f, idx[i]));
	free(idx);
	if (!n || !m->nwb)
		return 0;
	f->dirtied_when = c->clock;   /* what is still dirty counts from now */
	return m->wb[m->nwb - 1].done;
}

/* Free frames of every zone (buddy lists and pcp lists). */
static uint64_t free_frames(const struct kmm *k)
{
	uint64_t n = 0;
	for (unsigned nid = 0; nid < k->nr_nodes; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			n += k->node[nid].zones[z].free_pages + k->node[nid].zones[z].pcp_pages;
	return n;
}

/* domain_dirty_limits(): the background and throttling thresholds, pages. */
static void dirty_limits(const struct kmm *k, uint64_t *bg, uint64_t *limit)
{
	uint64_t avail = free_frames(k) + k->filemap->nr_file_pages;
	*bg = avail * k->cfg->kernel.dirty.background_ratio / 100;
	*limit = avail * k->cfg->kernel.dirty.ratio / 100;
	if (*bg >= *limit)
		*bg = *limit / 2;
}

/* Write back dirty pages of every file, oldest-dirtied first, until the
 * dirty count is at most target. */
static void writeback_until(struct kmm *k, struct core *c, uint64_t target)
{
	struct filemap *m = k->filemap;
	while (m->nr_dirty > target) {
		uint32_t best = 0;
		for (uint32_t id = 1; id <= m->n; id++)
			if (m->f[id - 1].as.nrdirty &&
			    (!best || m->f[id - 1].dirtied_when < m->f[best - 1].dirtied_when))
				best = id;
		if (!best)
			break;
		writeback_file(k, c, best, m->nr_dirty - target);
	}
}

void balance_dirty_pages(struct kmm *k, struct core *c, uint32_t id)
{
	struct filemap *m = k->filemap;
	uint64_t bg, limit;
	writeback_retire(k, c->clock);
	dirty_limits(k, &bg, &limit);
	uint64_t nr = m->nr_dirty + m->nr_writeback;
	if (nr <= (bg + limit) / 2)
		return;                 /* freerun */
	if (m->nr_dirty > bg) {
		m->bg_writeback++;      /* wb_start_background_writeback() */
		writeback_until(k, c, bg);
	}
	if (nr <= limit)
		return;
	/* over the limit: the writer waits for its own file's writeback and
	 * for the excess to reach the disk */
	m->throttled++;
	cycles_t start = c->clock, done = writeback_file(k, c, id, 0);
	uint64_t excess = nr - limit;
	for (size_t i = 0; i < m->nwb && excess; i++, excess--)
		if (m->wb[i].done > done)
			done = m->wb[i].done;
	if (done > c->clock)
		c->clock = done;
	m->throttle_cycles += c->clock - start;
	writeback_retire(k, c->clock);
}

void writeback_tick(struct kmm *k, struct core *c)
{
	struct filemap *m = k->filemap;
	if (!m || c->clock < k->writeback_next)
		return;
	cycles_t now = c->clock;
	writeback_retire(k, now);
	if (m->nr_dirty) {
		m->periodic_writeback++;
		for (uint32_t id = 1; id <= m->n; id++) {
			struct kfile *f = &m->f[id - 1];
			if (f->as.nrdirty && f->dirtied_when + m->wb_expire <= now)
				writeback_file(k, c, id, 0);
		}
		uint64_t bg, limit;
		dirty_limits(k, &bg, &limit);
		writeback_until(k, c, bg);
	}
	k->writeback_next = m->nr_dirty || m->nwb ? now + m->wb_period : CYCLES_NEVER;
}
