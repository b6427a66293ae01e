/* Page reclaim (vmscan.h). */
#include "kernel/mm/vmscan.h"

#include "kernel/mm/kmm.h"
#include "kernel/mm/zone.h"

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
