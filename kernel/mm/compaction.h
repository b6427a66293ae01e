/* Memory compaction (Linux mm/compaction.c): move MOVABLE pages from the
 * start of a zone to free frames at its end so that large free blocks form.
 * See compaction.c for what is modelled. */
#ifndef MMSIM_COMPACTION_H
#define MMSIM_COMPACTION_H

#include "kernel/mm/zone.h"

enum compact_result {
	COMPACT_SKIPPED,   /* too little free memory to be worth it */
	COMPACT_COMPLETE,  /* the scanners met */
	COMPACT_SUCCESS,   /* a block of the wanted order is free (or score low) */
};

/* compact_zone(): compact z until a free block of `order` for migratetype
 * mt is there (order >= 0) or the scanners meet (order -1: the whole zone,
 * as /proc/sys/vm/compact_memory). Work is charged to core c. */
enum compact_result compact_zone(struct kmm *k, struct core *c, struct zone *z, int order,
				 int mt, int highest_zoneidx);
/* compact_node(): every zone of node nid (nid -1: every node). */
void compact_nodes(struct kmm *k, struct core *c, int nid);
/* __alloc_pages_direct_compact(): compact the zones the request may use,
 * retrying the allocation after each; the block or -1. */
int64_t try_to_compact_pages(struct kmm *k, struct core *c, const struct alloc_context *ac,
			     unsigned order, unsigned alloc_flags);
/* Proactive compaction (kernel.compaction_proactiveness > 0): when z's
 * fragmentation score passes 100 - proactiveness + 10, compact it until the
 * score is at most 100 - proactiveness (kcompactd's proactive_compact_node(),
 * run here when a free finds the zone over the mark). */
void compact_proactive(struct kmm *k, struct core *c, struct zone *z);
/* fragmentation_score_zone(): the percentage of z's free frames that are
 * not in blocks of pageblock order or above (extfrag_for_order(9)). */
unsigned fragmentation_score_zone(const struct zone *z);

/* May migrate_page() move this page now? A mapped anonymous order-0 page
 * whose only references are its mappings. */
bool page_migratable(const struct page *p);
/* Migrate one MOVABLE anonymous page to the free frame dst (flags 0,
 * refcount 0, off every list): copy its bytes through core c, point every
 * PTE that maps it at dst (rmap_walk), flush those translations
 * (flush_tlb_mm_range), move its struct page state, and free src to the
 * buddy. False (nothing changed) when the page may not move now. */
bool migrate_page(struct kmm *k, struct core *c, uint64_t src, uint64_t dst);

#endif
