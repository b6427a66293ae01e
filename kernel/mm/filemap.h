/* Files and the page cache (mm/filemap.c, mm/readahead.c,
 * mm/page-writeback.c, mm/memory.c's file faults), docs/pagecache.md.
 *
 * A file is declared by the trace (name, size, content). Its blocks live in
 * one extent of the "disk" block device (sim/blk), so a page-cache miss is a
 * real blkdev_read() that carries the file's bytes into the frame. Each
 * file has an address_space: a hashed index from page offset to frame
 * (Linux's xarray), and the list of mms that map it (i_mmap), through which
 * file rmap finds the PTEs of a page.
 *
 * A page-cache page is PG_file with page->mapping = the file's id and
 * page->index = its page offset; PG_uptodate once its data is in, PG_dirty
 * while memory is newer than the disk, PG_writeback while a write to the
 * disk is in flight. References: the page cache holds one, every PTE one
 * more (refcount == 1 + mapcount while cached). */
#ifndef MMSIM_FILEMAP_H
#define MMSIM_FILEMAP_H

#include "lib/types.h"

struct kmm;
struct mm;
struct vma;
struct core;
struct stats;
struct page;
enum fault_result;

/* Content of a file that has not been written yet (kfile_create()). */
enum kfile_content {
	KFILE_OFFSET,   /* every 8-byte word holds its own file offset */
	KFILE_SEED,     /* words from splitmix64 of (seed + offset / 8) */
	KFILE_HOST,     /* the bytes of a host file */
};

/* posix_fadvise() advice, Linux's values */
#define KFADV_NORMAL     0
#define KFADV_RANDOM     1
#define KFADV_SEQUENTIAL 2
#define KFADV_WILLNEED   3
#define KFADV_DONTNEED   4

/* Set up the disk from the config ("disk.*") and register the file
 * counters. Called by kmm_create(). */
int filemap_init(struct kmm *k, struct stats *st);
void filemap_destroy(struct kmm *k);

/* A new file of `size` bytes named name; its content as `how` says (seed
 * for KFILE_SEED, host_path for KFILE_HOST: a size of 0 takes the host
 * file's size, a larger one zero-fills past its end). Returns its id
 * (1, 2, ... in creation order) or -1 with a reason in err (no room on the
 * disk, the host file unreadable). */
int kfile_create(struct kmm *k, const char *name, uint64_t size, enum kfile_content how,
		 uint64_t seed, const char *host_path, char *err);
uint64_t kfile_size(const struct kmm *k, uint32_t id);
const char *kfile_name(const struct kmm *k, uint32_t id);

/* --- read()/write() (the copy to or from the user buffer is the caller's) --- */
/* System-call entry and exit of a read() or write(): between them the page
 * last returned by kfile_read_page()/kfile_write_begin() is held (reclaim
 * leaves it alone while the caller copies). */
void kfile_rw_enter(struct kmm *k, struct core *c, bool write);
void kfile_rw_exit(struct kmm *k);
/* The uptodate page-cache frame of page `index` of the file for a read of
 * req_pages pages starting there (readahead: page_cache_sync_ra() on a
 * miss, page_cache_async_ra() on a PG_readahead mark); waits for its IO
 * (the core's clock moves on to the completion) and marks it accessed.
 * -1 when no frame can be had. */
int64_t kfile_read_page(struct kmm *k, struct core *c, uint32_t id, uint64_t index,
			uint64_t req_pages);
/* write_begin(): the frame for writing page `index`; a page not cached is
 * read from the disk first unless the write covers it whole (`whole`) or
 * it lies past the end of the file (zeroed). -1: no frame. */
int64_t kfile_write_begin(struct kmm *k, struct core *c, uint32_t id, uint64_t index,
			  bool whole);
/* write_end(): the page holds new bytes up to file offset `end`: dirty
 * (set_page_dirty()), accessed, and the file grows to end if it was
 * shorter. */
void kfile_write_end(struct kmm *k, struct core *c, uint32_t id, uint64_t pfn, uint64_t end);
/* balance_dirty_pages(): after a write, throttle the writer over
 * vm.dirty_ratio (it waits for writeback of the file's dirty pages) and
 * start background writeback over dirty_background_ratio. */
void balance_dirty_pages(struct kmm *k, struct core *c, uint32_t id);
/* fsync(): write every dirty page of the file and wait for the writes. */
void kfile_fsync(struct kmm *k, struct core *c, uint32_t id);
/* posix_fadvise(fd, off, len, advice); len 0: to the end of the file. */
void kfile_fadvise(struct kmm *k, struct core *c, uint32_t id, uint64_t off, uint64_t len,
		   int advice);

/* --- drop_caches, writeback, counters --- */
/* drop_caches 1: free every clean, unmapped page-cache page not under IO. */
void filemap_drop_caches(struct kmm *k, struct core *c);
/* The flusher thread (wb_workfn()): every dirty_writeback_centisecs, write
 * back pages dirtied more than dirty_expire_centisecs ago, and all dirty
 * pages while over dirty_background_ratio; retire finished writes. Cheap
 * to call: the run loop calls it when k->writeback_next has come. */
void writeback_tick(struct kmm *k, struct core *c);

/* --- file mappings --- */
/* mmap of a file: the VMA [start, end) maps the file from page pgoff
 * (kmm_mmap_file() in mmap.c); links mm to the file's i_mmap. */
void filemap_link_mm(struct kmm *k, struct mm *mm, uint32_t id);
/* The mm is going away: off every file's i_mmap list. */
void filemap_mm_exit(struct kmm *k, struct mm *mm);
/* A fault on a file VMA with no present PTE at slot (do_read_fault() with
 * fault-around, do_cow_fault(), do_shared_fault()). */
enum fault_result filemap_fault(struct kmm *k, struct mm *mm, struct core *c, struct vma *v,
				uint64_t slot, vaddr_t va, uint32_t code);
/* A write to a present read-only PTE of a shared file mapping
 * (wp_page_shared()): writable, dirty, the page dirtied. */
enum fault_result filemap_wp_shared(struct kmm *k, struct mm *mm, struct core *c,
				    uint64_t slot, uint64_t pte, vaddr_t va);
/* set_page_dirty() of a page-cache page. */
void filemap_set_page_dirty(struct kmm *k, struct core *c, uint64_t pfn);
/* A PTE (value e) mapping page-cache page pfn in mm was cleared (zap,
 * COW, reclaim): a D bit dirties the page (zap_pte_range()), the mapping
 * and its reference go. */
void filemap_zap_pte(struct kmm *k, struct core *c, struct mm *mm, uint64_t pfn, uint64_t e);
/* i_mmap of file id for rmap_walk() (rmap.c): the mms that mapped it (n of
 * them); rmap_walk() looks at their VMAs mapping the file at the page's
 * index. */
struct mm *const *filemap_i_mmap(const struct kmm *k, uint32_t id, uint32_t *n);

/* --- reclaim (vmscan.c) --- */
/* Can reclaim drop this page-cache page now (clean, unmapped, no IO)?
 * Then remove it from its address_space and free it (__remove_mapping()). */
bool filemap_remove_page(struct kmm *k, struct core *c, uint64_t pfn);
/* pageout(): start writing a dirty page back (after page_mkclean()). */
void filemap_pageout(struct kmm *k, struct core *c, uint64_t pfn);
/* try_to_unmap() of a file page: clear every PTE mapping it (D bits go to
 * PG_dirty), flushing each. Returns true if no mapping is left. */
bool filemap_unmap_page(struct kmm *k, struct core *c, uint64_t pfn);

/* Migration (compaction, CMA) of a page-cache page: may it move now (its
 * read done, no read()/write() copying it)? Then, once copied and its
 * PTEs moved, the index names dst instead of src (migrate_folio()'s
 * xarray replacement). */
bool filemap_can_migrate(struct kmm *k, struct core *c, uint64_t pfn);
void filemap_replace_page(struct kmm *k, uint64_t src, uint64_t dst);

/* Page-cache invariants for --check: every PG_file page in exactly one
 * index at its own (mapping, index), refcount == 1 + mapcount, dirty and
 * writeback counts right. 0, or -1 with err. */
int filemap_validate(struct kmm *k, char *err);
/* Page-cache pages (for --check's census of PG_file frames). */
uint64_t filemap_nr_pages(const struct kmm *k);

/* fault.c's helper, shared with do_cow_fault(): a new anonymous page
 * mapped at va in v through the PTE at slot. */
void fault_map_new_anon(struct kmm *k, struct mm *mm, struct core *c, struct vma *v,
			uint64_t slot, uint64_t pfn, vaddr_t va, bool write);

#endif
