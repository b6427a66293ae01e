/* Shared inside sim/cache: the replacement policies' ops tables and the
 * hierarchy's private helpers (hier.c, hier_access.c, hier_span.c,
 * coherence.c). */
#ifndef MMSIM_CACHE_INTERNAL_H
#define MMSIM_CACHE_INTERNAL_H

#include "sim/cache/cache.h"
#include "sim/cache/hier.h"

extern const struct repl_ops cache_repl_lru, cache_repl_plru, cache_repl_random;
extern const struct repl_ops cache_repl_srrip, cache_repl_brrip;

/* A span: the two lines an access straddling a line boundary touches
 * (one line size in the whole hierarchy, so the same blocks at every
 * level). n is 2 (hier_span.c); an access within one line takes the
 * one-line path of hier_access.c. */
struct span {
	uint64_t b[2];
	unsigned n;
};

/* Whether core still holds block in one of its private caches other than
 * `except` (which no longer has it). */
static inline bool core_holds(const struct hier *h, unsigned core, const struct cache *except,
			      uint64_t block)
{
	const struct hier_core *hc = &h->core[core];
	return (hc->l1d != except && cache_find(hc->l1d, block) != CACHE_NONE) ||
	       (hc->l2 && hc->l2 != except && cache_find(hc->l2, block) != CACHE_NONE) ||
	       (hc->l1i != except && cache_find(hc->l1i, block) != CACHE_NONE);
}

/* hier_access.c */
cycles_t hier_mem_read(struct hier *h, unsigned core, uint64_t block, cycles_t now);
void hier_mem_write(struct hier *h, unsigned core, uint64_t block, cycles_t now);
/* A line leaving a core's last private level, or written back by a snoop
 * (keep_private: the core keeps a clean copy). Dirty: into the LLC's copy,
 * else allocated (non-inclusive, unless llc.wb_noalloc) or to memory. An
 * exclusive LLC takes clean victims too, unless keep_private. */
void llc_put(struct hier *h, unsigned core, uint64_t block, bool dirty, bool keep_private,
	     cycles_t now);
/* Install block (absent; set: its LLC set) in the LLC; its victim goes. */
void llc_fill(struct hier *h, unsigned core, uint32_t set, uint64_t block, bool dirty,
	      cycles_t now);
/* Install block (absent) in core's private cache c, update the snoop
 * filter (held: core's bit is set already, another of its caches holds
 * block), send the victim down. Returns the line. */
uint32_t private_fill(struct hier *h, unsigned core, struct cache *c, uint64_t block,
		      uint8_t state, bool dirty, bool held, cycles_t now);
/* A store's data that no private level absorbed: into the LLC or memory. */
void store_below(struct hier *h, unsigned core, uint64_t block, cycles_t now);
/* A write hit on line idx (block) of core's private cache c: M, after an
 * upgrade if it was S (returns its latency); dirty if data. */
cycles_t write_hit(struct hier *h, unsigned core, struct cache *c, uint32_t idx, uint64_t block,
		   bool data);

/* hier_span.c: an access straddling two lines. */
cycles_t hier_span(struct hier *h, unsigned core, const struct span *sp, unsigned kind,
		   bool write, cycles_t now);

/* coherence.c. The snoops visit the cores in `cores` (the snoop filter's
 * answer: nonempty, never the requester) and set *owned if one held M. A
 * read leaves their copies S (a dirty one written back); a write drops
 * them, and their bits in the snoop filter. */
void coh_snoop_read(struct hier *h, uint64_t block, uint64_t cores, bool *owned, cycles_t now);
void coh_snoop_write(struct hier *h, unsigned core, uint64_t block, uint64_t cores, bool *owned);

/* core's access to block (a private miss, or an upgrade when write) snoops
 * the other cores that hold it, if any: returns whether there were any. */
static inline bool coh_snoop(struct hier *h, unsigned core, uint64_t block, bool write,
			     bool *owned, cycles_t now)
{
	uint64_t others = h->ncores > 1 ? sf_snoop(&h->sf, block, 1ull << core) : 0;
	if (!others)
		return false;
	if (write)
		coh_snoop_write(h, core, block, others, owned);
	else
		coh_snoop_read(h, block, others, owned, now);
	return true;
}

/* core's S line becomes M: returns the invalidation latency it costs. */
cycles_t coh_upgrade(struct hier *h, unsigned core, uint64_t block);
/* The inclusive LLC dropped block: so does every private cache (*dirty |=
 * a dropped copy was dirty). */
void coh_back_invalidate(struct hier *h, uint64_t block, bool *dirty);

#endif
