/* Shared state of the page-cache files (filemap.c, readahead.c,
 * writeback.c, filemap_fault.c); see filemap.h. */
#ifndef MMSIM_FILEMAP_INTERNAL_H
#define MMSIM_FILEMAP_INTERNAL_H

#include "kernel/mm/filemap.h"
#include "kernel/mm/kmm.h"
#include "sim/blk/blkdev.h"

/* One cached page in an address_space's index. */
struct pc_slot {
	uint64_t index;         /* page offset in the file; PC_EMPTY: free slot */
	uint32_t pfn;
	bool ra_mark;           /* PG_readahead: reading it starts the next window */
	cycles_t ready;         /* its read completes at this cycle (0: long done) */
};
#define PC_EMPTY UINT64_MAX

/* Linux's address_space, cut down: the index is an open-addressing hash
 * table (linear probing, deletion by backward shift), power-of-two sized
 * and at most half full, so lookups are O(1) expected. */
struct address_space {
	struct pc_slot *slot;
	uint64_t cap, nrpages;
	uint64_t nrdirty;
};

/* struct file_ra_state: the current readahead window [start, start+size),
 * whose last async_size pages were read ahead asynchronously (the first of
 * those carries the PG_readahead mark). */
struct file_ra_state {
	uint64_t start, size, async_size;
	uint64_t prev_index;    /* last page read (UINT64_MAX: none yet) */
	uint64_t ra_pages;      /* max window in pages (fadvise may change it) */
	bool random;            /* FMODE_RANDOM (fadvise RANDOM) */
};

struct kfile {
	char name[32];
	uint64_t size;          /* bytes */
	uint64_t disk_block;    /* first block of its extent on the disk */
	uint64_t nblocks;       /* blocks of the extent (the file's capacity) */
	enum kfile_content how;
	uint64_t seed;
	uint8_t *on_disk;       /* bit per block: the disk holds its bytes already
	                         * (else they are generated on the first read) */
	struct address_space as;
	struct file_ra_state ra;
	struct mm **mms;        /* i_mmap: mms that mapped it */
	uint32_t nmm, mmcap;
	cycles_t dirtied_when;  /* first dirtying since the file was last clean */
};

/* A write to the disk in flight: the page stays PG_writeback until done. */
struct wb_io {
	uint32_t file;
	uint64_t index;
	cycles_t done;
};

struct filemap {
	struct kfile *f;        /* f[id - 1] */
	uint32_t n, cap;
	struct blkdev disk;
	bool disk_ready;
	uint64_t disk_used;     /* blocks handed out to extents */
	struct wb_io *wb;       /* in flight, in submission order */
	size_t nwb, wbcap;
	cycles_t wb_period, wb_expire;  /* from the centisecs keys */
	struct stats *st;       /* for the disk's counters, once it exists */
	uint64_t busy_pfn;      /* held by a read()/write() copying it; 0: none */

	/* counters ("mm.file.*", "vmstat.*") */
	uint64_t nr_file_pages, nr_dirty, nr_writeback, nr_mapped;
	uint64_t pgpgin, pgpgout;       /* pages read from / written to the disk */
	uint64_t pgmajfault, pgfault_file, fault_around_pages;
	uint64_t read_calls, write_calls, fsync_calls, fadvise_calls;
	uint64_t read_hits, read_misses;        /* pages found / not found by read() */
	uint64_t ra_sync, ra_async, ra_pages;   /* readahead windows and pages */
	uint64_t throttled, throttle_cycles;    /* balance_dirty_pages() waits */
	uint64_t bg_writeback, periodic_writeback;
	uint64_t drop_pages, reclaimed, pageout;
	uint64_t io_wait_cycles;                /* readers waiting for the disk */
};

static inline struct kfile *kfile_get(const struct kmm *k, uint32_t id)
{
	return id && k->filemap && id <= k->filemap->n ? &k->filemap->f[id - 1] : NULL;
}

/* filemap.c */
struct pc_slot *pc_lookup(struct kfile *f, uint64_t index);
/* A new uptodate-to-be frame at index (not yet in the index: none must be). */
struct pc_slot *pc_add(struct kmm *k, struct core *c, struct kfile *f, uint32_t id,
		       uint64_t index);
/* Read page index of f from the disk into its frame (slot), submitted now;
 * sets slot->ready to the completion. */
void pc_read_io(struct kmm *k, struct kfile *f, struct pc_slot *s, cycles_t now);
/* Remove a clean, unmapped page from its file and free it. */
void pc_remove(struct kmm *k, struct core *c, struct kfile *f, uint64_t index);
/* Wait (move c's clock) until slot's read has completed. */
void pc_wait(struct kmm *k, struct core *c, struct pc_slot *s);
void pc_lru_add(struct kmm *k, uint64_t pfn);
void pc_mark_accessed(struct kmm *k, uint64_t pfn);
uint64_t file_pages(const struct kfile *f);   /* pages holding the file's size */

/* readahead.c */
/* page_cache_sync_ra(): a read of req pages at index missed. */
void page_cache_sync_ra(struct kmm *k, struct core *c, struct kfile *f, uint32_t id,
			uint64_t index, uint64_t req);
/* page_cache_async_ra(): the reader reached the PG_readahead page at index. */
void page_cache_async_ra(struct kmm *k, struct core *c, struct kfile *f, uint32_t id,
			 uint64_t index, uint64_t req);
/* Read [start, start+n) (clipped to the file) where not cached, submitted
 * now; the page at start+n-async (if async) gets the mark. Returns pages read. */
uint64_t ra_submit(struct kmm *k, struct core *c, struct kfile *f, uint32_t id, uint64_t start,
		   uint64_t n, uint64_t async);

/* writeback.c */
/* Start writing page index (dirty) back: page_mkclean(), PG_writeback,
 * the disk write submitted at c's clock. */
void writeback_page(struct kmm *k, struct core *c, struct kfile *f, uint32_t id,
		    struct pc_slot *s);
/* Retire the writes finished by `now`. */
void writeback_retire(struct kmm *k, cycles_t now);
/* Write back the file's dirty pages in index order, at most max (0: all);
 * returns the completion of the last write (0: none). */
cycles_t writeback_file(struct kmm *k, struct core *c, uint32_t id, uint64_t max);

#endif
