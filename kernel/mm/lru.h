/* LRU lists of a node (later of a memcg too): Linux's lruvec with the
 * classic two-list scheme (mm/swap.c, mm/vmscan.c).
 *
 * Pages are linked through struct page's next/prev (PFNs), which a page on
 * an LRU list does not use otherwise (PG_lru; a free page uses them for its
 * buddy list). A list's head is the newest page, its tail the oldest, which
 * reclaim scans first. Anonymous and file pages have their own pair of
 * lists so swappiness can weigh them; mlocked pages sit on the unevictable
 * list.
 *
 * mark_page_accessed(): an inactive page referenced once is marked
 * PG_referenced, referenced again it is promoted to the active list; an
 * active unreferenced page only gets PG_referenced. */
#ifndef MMSIM_LRU_H
#define MMSIM_LRU_H

#include "lib/types.h"
#include "kernel/mm/page.h"

enum lru_list {
	LRU_INACTIVE_ANON,
	LRU_ACTIVE_ANON,
	LRU_INACTIVE_FILE,
	LRU_ACTIVE_FILE,
	LRU_UNEVICTABLE,
	NR_LRU_LISTS
};
extern const char *const lru_list_name[NR_LRU_LISTS];

struct lru_head {
	uint32_t head, tail;    /* newest, oldest; PFN_NONE when empty */
	uint64_t nr;
};

struct lruvec {
	struct lru_head list[NR_LRU_LISTS];
	uint64_t activate, deactivate;  /* moves between the lists */
};

void lruvec_init(struct lruvec *l);
static inline bool lru_is_active(enum lru_list lru)
{
	return lru == LRU_ACTIVE_ANON || lru == LRU_ACTIVE_FILE;
}
static inline bool lru_is_file(enum lru_list lru)
{
	return lru == LRU_INACTIVE_FILE || lru == LRU_ACTIVE_FILE;
}
/* folio_lru_list(): the list a page with these flags belongs on. */
enum lru_list page_lru(const struct page *p);

/* lru_cache_add(): put the page at the head of the list its flags name
 * (PG_active chooses the active one), and set PG_lru. */
void lru_add(struct lruvec *l, struct page *memmap, uint64_t pfn);
/* The same at the tail: the page is the next one reclaim looks at
 * (folio_rotate_reclaimable(), the parts of a split huge page). */
void lru_add_tail(struct lruvec *l, struct page *memmap, uint64_t pfn);
/* Take the page off its list (PG_lru cleared, other flags kept). */
void lru_del(struct lruvec *l, struct page *memmap, uint64_t pfn);
/* The oldest page of a list, or -1. */
int64_t lru_tail(const struct lruvec *l, enum lru_list lru);
void mark_page_accessed(struct lruvec *l, struct page *memmap, uint64_t pfn);
/* Move between inactive and active keeping the kind (activate_page() /
 * deactivate on aging); PG_referenced is cleared. */
void lru_activate(struct lruvec *l, struct page *memmap, uint64_t pfn);
void lru_deactivate(struct lruvec *l, struct page *memmap, uint64_t pfn);

/* Lists linked both ways, counts right, every page PG_lru with flags that
 * name its list. 0, or -1 with err. */
int lru_validate(const struct lruvec *l, const struct page *memmap, uint64_t nframes,
		 char *err);

#endif
