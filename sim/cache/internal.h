/* Shared inside sim/cache: the replacement policies' ops tables and the
 * hierarchy's private helpers (hier.c, hier_access.c, coherence.c). */
#ifndef MMSIM_CACHE_INTERNAL_H
#define MMSIM_CACHE_INTERNAL_H

#include "sim/cache/cache.h"
#include "sim/cache/hier.h"

extern const struct repl_ops cache_repl_lru, cache_repl_plru, cache_repl_random;
extern const struct repl_ops cache_repl_srrip, cache_repl_brrip;

/* A span: the one or two lines an access touches (one line size in the
 * whole hierarchy, so the same blocks at every level). */
struct span {
	uint64_t b[2];
	unsigned n;
};

/* What a level hands up with a line: its MESI state and whether the copy
 * handed up is dirty (an exclusive LLC gives its dirty lines away). */
struct grant {
	uint8_t state[2];
	uint8_t dirty[2];
};

/* hier_access.c */
cycles_t hier_mem_read(struct hier *h, unsigned core, uint64_t block, cycles_t now);
void hier_mem_write(struct hier *h, unsigned core, uint64_t block, cycles_t now);
/* A line leaving a core's last private level, or written back by a snoop
 * (keep_private: the core keeps a clean copy). Dirty: into the LLC's copy,
 * else allocated (non-inclusive, unless llc.wb_noalloc) or to memory. An
 * exclusive LLC takes clean victims too, unless keep_private. */
void llc_put(struct hier *h, unsigned core, uint64_t block, bool dirty, bool keep_private,
	     cycles_t now);

/* coherence.c. The snoops look at every core but `core`; they return
 * whether any copy was there and set *owned if one was M. */
bool coh_snoop_read(struct hier *h, unsigned core, uint64_t block, bool *owned,
		    cycles_t now);
bool coh_snoop_write(struct hier *h, unsigned core, uint64_t block, bool *owned);
/* core's S line becomes M: returns the invalidation latency it costs. */
cycles_t coh_upgrade(struct hier *h, unsigned core, uint64_t block);
/* The inclusive LLC dropped block: so does every private cache (*dirty |=
 * a dropped copy was dirty). */
void coh_back_invalidate(struct hier *h, uint64_t block, bool *dirty);

#endif
