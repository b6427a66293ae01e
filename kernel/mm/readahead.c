/* On-demand readahead (mm/readahead.c): page_cache_sync_ra() on a read
 * miss, page_cache_async_ra() when a reader reaches the page carrying the
 * PG_readahead mark, with Linux's window sizes:
 *
 *   get_init_ra_size(req, max): req rounded up to a power of two, times 4
 *     if that is at most max/32, times 2 if at most max/4, else max
 *     (kernel.readahead.initial, when set, replaces it);
 *   get_next_ra_size(cur, max): 4*cur below max/16, 2*cur up to max/2,
 *     else max.
 *
 * A sequential miss (page 0, or the page after the last one read) opens an
 * initial window at the miss, whose pages beyond the request are read
 * asynchronously, the first of them marked; reaching the mark moves the
 * window on by its size, grown by get_next_ra_size(), all of it async. A
 * random miss reads just the request; fadvise RANDOM turns readahead off.
 * The reads of one window go to the disk back to back (consecutive blocks
 * of the file's extent): the device overlaps their latencies and streams
 * the blocks over its link, as one larger request would. The reader waits
 * only for the page it needs. */
#include "kernel/mm/filemap_internal.h"

#include "lib/config.h"
#include "sim/cpu/core.h"

static uint64_t roundup_pow2(uint64_t x)
{
	uint64_t p = 1;
	while (p < x)
		p <<= 1;
	return p;
}

static uint64_t get_init_ra_size(const struct kmm *k, uint64_t req, uint64_t max)
{
	uint64_t init = k->cfg->kernel.readahead.initial >> PAGE_SHIFT;
	if (init)
		return init < max ? init : max;
	uint64_t n = roundup_pow2(req);
	if (n <= max / 32)
		n *= 4;
	else if (n <= max / 4)
		n *= 2;
	else
		n = max;
	return n < max ? n : max;
}

static uint64_t get_next_ra_size(uint64_t cur, uint64_t max)
{
	if (cur < max / 16)
		return 4 * cur;
	if (cur <= max / 2)
		return 2 * cur;
	return max;
}

uint64_t ra_submit(struct kmm *k, struct core *c, struct kfile *f, uint32_t id, uint64_t start,
		   uint64_t n, uint64_t async)
{
	uint64_t end = start + n, pages = file_pages(f), done = 0;
	if (end > pages)
		end = pages;
	for (uint64_t i = start; i < end; i++) {
		if (pc_lookup(f, i))
			continue;
		struct pc_slot *s = pc_add(k, c, f, id, i);
		if (!s)
			break;      /* no memory: read what we have */
		pc_read_io(k, f, s, c->clock);
		if (async && i == start + n - async)
			s->ra_mark = true;
		done++;
	}
	return done;
}

void page_cache_sync_ra(struct kmm *k, struct core *c, struct kfile *f, uint32_t id,
			uint64_t index, uint64_t req)
{
	struct file_ra_state *ra = &f->ra;
	struct filemap *m = k->filemap;
	uint64_t max = ra->ra_pages;
	if (!req)
		req = 1;
	if (ra->random || !max) {
		m->ra_pages += ra_submit(k, c, f, id, index, req, 0);
		return;
	}
	bool seq = index == 0 || ra->prev_index == UINT64_MAX || index == ra->prev_index + 1 ||
		   index == ra->prev_index || req > max;
	if (!seq) {                 /* a random read: just what was asked */
		m->ra_pages += ra_submit(k, c, f, id, index, req, 0);
		return;
	}
	ra->start = index;
	ra->size = get_init_ra_size(k, req, max);
	ra->async_size = ra->size > req ? ra->size - req : ra->size;
	m->ra_sync++;
	m->ra_pages += ra_submit(k, c, f, id, ra->start, ra->size, ra->async_size);
}

void page_cache_async_ra(struct kmm *k, struct core *c, struct kfile *f, uint32_t id,
			 uint64_t index, uint64_t req)
{
	struct file_ra_state *ra = &f->ra;
	struct filemap *m = k->filemap;
	uint64_t max = ra->ra_pages;
	(void)req;
	if (ra->random || !max)
		return;
	/* the mark the window left: move on by a whole window */
	if (index == ra->start + ra->size - ra->async_size) {
		ra->start += ra->size;
		ra->size = get_next_ra_size(ra->size, max);
	} else {        /* someone else's mark (interleaved readers): restart here */
		ra->start = index + 1;
		ra->size = get_next_ra_size(ra->size ? ra->size : 1, max);
	}
	ra->async_size = ra->size;
	m->ra_async++;
	m->ra_pages += ra_submit(k, c, f, id, ra->start, ra->size, ra->async_size);
}
