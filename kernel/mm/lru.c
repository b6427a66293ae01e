/* The LRU lists (lru.h). */
#include "kernel/mm/lru.h"

#include <assert.h>
#include "lib/jsonutil.h"

const char *const lru_list_name[NR_LRU_LISTS] = {
	"inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable",
};

void lruvec_init(struct lruvec *l)
{
	*l = (struct lruvec){ 0 };
	for (int i = 0; i < NR_LRU_LISTS; i++)
		l->list[i].head = l->list[i].tail = PFN_NONE;
}

enum lru_list page_lru(const struct page *p)
{
	if (p->flags & PG_mlocked)
		return LRU_UNEVICTABLE;
	bool file = (p->flags & PG_STATE_MASK) == PG_file;
	bool active = p->flags & PG_active;
	return file ? (active ? LRU_ACTIVE_FILE : LRU_INACTIVE_FILE)
		    : (active ? LRU_ACTIVE_ANON : LRU_INACTIVE_ANON);
}

void lru_add(struct lruvec *l, struct page *memmap, uint64_t pfn)
{
	struct page *p = &memmap[pfn];
	assert(!(p->flags & (PG_lru | PG_buddy)));
	struct lru_head *h = &l->list[page_lru(p)];
	p->prev = PFN_NONE;
	p->next = h->head;
	if (h->head != PFN_NONE)
		memmap[h->head].prev = (uint32_t)pfn;
	else
		h->tail = (uint32_t)pfn;
	h->head = (uint32_t)pfn;
	h->nr++;
	p->flags |= PG_lru;
}

void lru_add_tail(struct lruvec *l, struct page *memmap, uint64_t pfn)
{
	struct page *p = &memmap[pfn];
	assert(!(p->flags & (PG_lru | PG_buddy)));
	struct lru_head *h = &l->list[page_lru(p)];
	p->next = PFN_NONE;
	p->prev = h->tail;
	if (h->tail != PFN_NONE)
		memmap[h->tail].next = (uint32_t)pfn;
	else
		h->head = (uint32_t)pfn;
	h->tail = (uint32_t)pfn;
	h->nr++;
	p->flags |= PG_lru;
}

void lru_del(struct lruvec *l, struct page *memmap, uint64_t pfn)
{
	struct page *p = &memmap[pfn];
	assert(p->flags & PG_lru);
	struct lru_head *h = &l->list[page_lru(p)];
	if (p->prev != PFN_NONE)
		memmap[p->prev].next = p->next;
	else
		h->head = p->next;
	if (p->next != PFN_NONE)
		memmap[p->next].prev = p->prev;
	else
		h->tail = p->prev;
	p->next = p->prev = PFN_NONE;
	h->nr--;
	p->flags &= ~PG_lru;
}

int64_t lru_tail(const struct lruvec *l, enum lru_list lru)
{
	uint32_t t = l->list[lru].tail;
	return t == PFN_NONE ? -1 : (int64_t)t;
}

void lru_activate(struct lruvec *l, struct page *memmap, uint64_t pfn)
{
	lru_del(l, memmap, pfn);
	memmap[pfn].flags = (memmap[pfn].flags | PG_active) & ~PG_referenced;
	lru_add(l, memmap, pfn);
	l->activate++;
}

void lru_deactivate(struct lruvec *l, struct page *memmap, uint64_t pfn)
{
	lru_del(l, memmap, pfn);
	memmap[pfn].flags &= ~(PG_active | PG_referenced);
	lru_add(l, memmap, pfn);
	l->deactivate++;
}

void mark_page_accessed(struct lruvec *l, struct page *memmap, uint64_t pfn)
{
	struct page *p = &memmap[pfn];
	if ((p->flags & (PG_referenced | PG_active)) == PG_referenced &&
	    (p->flags & PG_lru) && page_lru(p) != LRU_UNEVICTABLE)
		lru_activate(l, memmap, pfn);
	else
		p->flags |= PG_referenced;
}

int lru_validate(const struct lruvec *l, const struct page *memmap, uint64_t nframes,
		 char *err)
{
	for (int i = 0; i < NR_LRU_LISTS; i++) {
		const struct lru_head *h = &l->list[i];
		uint64_t n = 0;
		uint32_t prev = PFN_NONE;
		for (uint32_t pfn = h->head; pfn != PFN_NONE; pfn = memmap[pfn].next) {
			if (pfn >= nframes || n > nframes)
				return errf(err, "lru %s: link to frame %u leaves memory (or loops)",
					    lru_list_name[i], pfn);
			const struct page *p = &memmap[pfn];
			if (!(p->flags & PG_lru) || (int)page_lru(p) != i)
				return errf(err, "lru %s: frame %u has flags %#x, which name "
					    "another list", lru_list_name[i], pfn, p->flags);
			if (p->prev != prev)
				return errf(err, "lru %s: frame %u links back to %u, not %u",
					    lru_list_name[i], pfn, p->prev, prev);
			prev = pfn;
			n++;
		}
		if (h->tail != prev)
			return errf(err, "lru %s: tail is %u, the last page is %u",
				    lru_list_name[i], h->tail, prev);
		if (n != h->nr)
			return errf(err, "lru %s: %llu pages linked, nr says %llu", lru_list_name[i],
				    (unsigned long long)n, (unsigned long long)h->nr);
	}
	return 0;
}
