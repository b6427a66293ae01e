/* anon_vma objects and the reverse-map walk (mm/rmap.c); see rmap.h.
 *
 * The anon_vmas live in one table in the kmm, named by id = index + 1 (the
 * value page->mapping holds); freed slots are reused lowest first, so runs
 * stay deterministic. Simplified from Linux: no anon_vma_chain objects — a
 * VMA is linked to its anon_vma and that one's ancestors, which is the set
 * Linux's chain holds after fork — and each anon_vma lists mms rather than
 * VMAs (an interval tree in Linux); the walk scans the VMAs of each listed
 * mm. A mm stays listed until it exits, even if it unmapped the VMA; the
 * PFN check makes such stale entries harmless. */
#include "kernel/mm/rmap.h"

#include <assert.h>
#include <stdlib.h>
#include "kernel/mm/kmm.h"
#include "kernel/mm/filemap.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"

struct anon_vma {
	bool live;
	uint32_t parent;        /* id of the parent anon_vma (fork), 0: root */
	struct mm **mms;        /* mms with a VMA linked to this anon_vma */
	uint32_t nmm, cap;
};

struct rmap_state {
	struct anon_vma *av;    /* av[id - 1] */
	uint32_t n, cap;
	uint32_t live;
};

static struct rmap_state *rs(struct kmm *k)
{
	if (!k->rmap) {
		k->rmap = calloc(1, sizeof(*k->rmap));
		if (!k->rmap)
			abort();
	}
	return k->rmap;
}

static struct anon_vma *av_get(struct kmm *k, uint32_t id)
{
	struct rmap_state *r = rs(k);
	assert(id > 0 && id <= r->n && r->av[id - 1].live);
	return &r->av[id - 1];
}

static uint32_t av_alloc(struct kmm *k, uint32_t parent)
{
	struct rmap_state *r = rs(k);
	uint32_t i = 0;
	while (i < r->n && r->av[i].live)
		i++;
	if (i == r->n) {
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 64;
			r->av = realloc(r->av, r->cap * sizeof(*r->av));
			if (!r->av)
				abort();
		}
		r->av[r->n++] = (struct anon_vma){ 0 };
	}
	r->av[i].live = true;
	r->av[i].parent = parent;
	r->av[i].nmm = 0;
	r->live++;
	return i + 1;
}

static void av_add_mm(struct anon_vma *a, struct mm *mm)
{
	for (uint32_t i = 0; i < a->nmm; i++)
		if (a->mms[i] == mm)
			return;
	if (a->nmm == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 4;
		a->mms = realloc(a->mms, a->cap * sizeof(*a->mms));
		if (!a->mms)
			abort();
	}
	a->mms[a->nmm++] = mm;
}

/* anon_vma_chain_link(): mm uses anon_vma id and, through it, every ancestor. */
static void av_link(struct kmm *k, struct mm *mm, uint32_t id)
{
	for (; id; id = av_get(k, id)->parent)
		av_add_mm(av_get(k, id), mm);
}

/* Is anon_vma `id` on the chain of a VMA whose own anon_vma is `own`? */
static bool av_chained(struct kmm *k, uint32_t own, uint32_t id)
{
	for (; own; own = av_get(k, own)->parent)
		if (own == id)
			return true;
	return false;
}

uint32_t anon_vma_prepare(struct kmm *k, struct mm *mm, struct vma *v)
{
	if (!v->anon_vma) {
		v->anon_vma = av_alloc(k, 0);
		av_link(k, mm, v->anon_vma);
	}
	return v->anon_vma;
}

void anon_vma_fork(struct kmm *k, struct mm *child, struct vma *cv)
{
	if (!cv->anon_vma)
		return;
	cv->anon_vma = av_alloc(k, cv->anon_vma);
	av_link(k, child, cv->anon_vma);
}

void page_add_new_anon_rmap(struct kmm *k, uint64_t pfn, const struct vma *v, vaddr_t va)
{
	assert(v->anon_vma);
	struct page *p = &k->memmap[pfn];
	p->mapping = v->anon_vma;
	p->index = v->pgoff + ((va - v->start) >> PAGE_SHIFT);
}

void page_add_shared_anon_rmap(struct kmm *k, uint64_t pfn, const struct vma *v, vaddr_t va)
{
	page_add_new_anon_rmap(k, pfn, v, va);
	uint32_t id = v->anon_vma;
	while (av_get(k, id)->parent)
		id = av_get(k, id)->parent;
	k->memmap[pfn].mapping = id;
}

void rmap_mm_exit(struct kmm *k, struct mm *mm)
{
	struct rmap_state *r = rs(k);
	for (uint32_t i = 0; i < r->n; i++) {
		struct anon_vma *a = &r->av[i];
		if (!a->live)
			continue;
		for (uint32_t j = 0; j < a->nmm; j++) {
			if (a->mms[j] == mm) {
				a->mms[j] = a->mms[--a->nmm];
				break;
			}
		}
	}
	/* A child's mms are a subset of its ancestors' (av_link), so an
	 * anon_vma without mms has no live descendants either. */
	for (uint32_t i = 0; i < r->n; i++) {
		if (r->av[i].live && r->av[i].nmm == 0) {
			r->av[i].live = false;
			r->live--;
		}
	}
}

void rmap_destroy(struct kmm *k)
{
	if (!k->rmap)
		return;
	for (uint32_t i = 0; i < k->rmap->n; i++)
		free(k->rmap->av[i].mms);
	free(k->rmap->av);
	free(k->rmap);
	k->rmap = NULL;
}

uint32_t rmap_anon_vmas(const struct kmm *k)
{
	return k->rmap ? k->rmap->live : 0;
}

/* The leaf entry mapping va in mm (a PTE, or a PS entry at a higher level),
 * read without timing; 0 when nothing is mapped there. */
static paddr_t leaf_lookup(struct kmm *k, struct mm *mm, vaddr_t va, int *level)
{
	paddr_t table = mm->pgd;
	for (int l = k->levels; l >= 1; l--) {
		paddr_t slot = table + 8 * pt_index(va, l);
		pte_t e = physmem_read(&k->ms->pm, slot, 8);
		if (!(e & PTE_P))
			return 0;
		if (l == 1 || (e & PTE_PS)) {
			*level = l;
			return slot;
		}
		table = e & PTE_ADDR_MASK;
	}
	return 0;
}

/* Does the leaf at slot (level) cover frame pfn at address va? */
static bool leaf_maps(struct kmm *k, paddr_t slot, int level, vaddr_t va, uint64_t pfn)
{
	pte_t e = physmem_read(&k->ms->pm, slot, 8);
	uint64_t base = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
	uint64_t off = (va & (pt_level_size(level) - 1)) >> PAGE_SHIFT;
	if (level > 1)
		base &= ~((pt_level_size(level) >> PAGE_SHIFT) - 1);  /* PAT bit 12 */
	return base + off == pfn;
}

/* A page-cache page: the VMAs of the file's i_mmap mms that map the file
 * (vma->file) at the page's index (Linux's i_mmap interval tree walk). */
static void file_rmap_walk(struct kmm *k, uint64_t pfn, uint32_t id, uint64_t index,
			   rmap_visit_fn fn, void *arg)
{
	uint32_t n;
	struct mm *const *mms = filemap_i_mmap(k, id, &n);
	for (uint32_t m = 0; m < n; m++) {
		struct mm *mm = mms[m];
		for (uint32_t i = 0; i < mm->nvma; i++) {
			const struct vma *v = &mm->vma[i];
			uint64_t pages = (v->end - v->start) >> PAGE_SHIFT;
			if (v->file != id || index < v->pgoff || index >= v->pgoff + pages)
				continue;
			vaddr_t va = v->start + ((index - v->pgoff) << PAGE_SHIFT);
			int level;
			paddr_t slot = leaf_lookup(k, mm, va, &level);
			if (slot && leaf_maps(k, slot, level, va, pfn) && !fn(k, mm, va, slot, arg))
				return;
		}
	}
}

void rmap_walk(struct kmm *k, uint64_t pfn, rmap_visit_fn fn, void *arg)
{
	if (pfn >= k->nframes)
		return;
	const struct page *p = &k->memmap[pfn];
	uint64_t index;
	uint32_t id;
	if (p->flags & PG_tail) {       /* compound: the head holds the rmap */
		const struct page *h = &k->memmap[p->private];
		id = h->mapping;
		index = h->index + (pfn - p->private);
	} else {
		id = p->mapping;
		index = p->index;
	}
	uint32_t state = k->memmap[p->flags & PG_tail ? p->private : pfn].flags;
	if ((state & PG_STATE_MASK) == PG_file) {
		file_rmap_walk(k, pfn, id, index, fn, arg);
		return;
	}
	if (!(state & PG_anon) || !id || !k->rmap || id > k->rmap->n || !k->rmap->av[id - 1].live)
		return;
	struct anon_vma *a = &k->rmap->av[id - 1];
	for (uint32_t m = 0; m < a->nmm; m++) {
		struct mm *mm = a->mms[m];
		for (uint32_t i = 0; i < mm->nvma; i++) {
			const struct vma *v = &mm->vma[i];
			uint64_t pages = (v->end - v->start) >> PAGE_SHIFT;
			if (index < v->pgoff || index >= v->pgoff + pages ||
			    !av_chained(k, v->anon_vma, id))
				continue;
			vaddr_t va = v->start + ((index - v->pgoff) << PAGE_SHIFT);
			int level;
			paddr_t slot = leaf_lookup(k, mm, va, &level);
			if (slot && leaf_maps(k, slot, level, va, pfn) && !fn(k, mm, va, slot, arg))
				return;
		}
	}
}
