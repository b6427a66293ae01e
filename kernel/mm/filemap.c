/* Files, their page-cache index and the read()/write()/fsync()/fadvise()
 * halves that live in the kernel (mm/filemap.c, mm/fadvise.c,
 * mm/truncate.c); see filemap.h and docs/pagecache.md.
 *
 * The disk: one block device "disk" (sim/blk) sized by disk.size; each file
 * gets one extent of it at creation, block b of the file at disk block
 * extent + b (an ext4-like extent, never fragmented here). A file's bytes
 * are put on the disk lazily: the first read of a block that was never
 * written generates its content (offsets, seeded words, or the host file's
 * bytes read at creation) into the disk's store, then the blkdev_read()
 * carries it into the frame, so what a reader gets always came from the
 * device. */
#include "kernel/mm/filemap_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/mm/lru.h"
#include "kernel/mm/vmscan.h"
#include "lib/config.h"
#include "lib/jsonutil.h"
#include "lib/rng.h"
#include "lib/stats.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"

static struct filemap *fm(struct kmm *k)
{
	return k->filemap;
}

int filemap_init(struct kmm *k, struct stats *st)
{
	struct filemap *m = calloc(1, sizeof(*m));
	if (!m)
		abort();
	k->filemap = m;
	k->writeback_next = CYCLES_NEVER;
	const struct mmsim_cfg *cfg = k->cfg;
	m->wb_period = (cycles_t)cfg->kernel.dirty.writeback_centisecs *
		       cfg->kernel.cycles_per_centisec;
	m->wb_expire = (cycles_t)cfg->kernel.dirty.expire_centisecs *
		       cfg->kernel.cycles_per_centisec;
	m->st = st;
	return 0;
}

/* The counters exist in runs with files only, so that other runs' stats
 * stay as they were. */
static void filemap_register_stats(struct kmm *k, struct filemap *m, struct stats *st)
{
	/* the file LRU lists' lengths, for meminfo's Active(file)/Inactive(file) */
	for (unsigned nid = 0; nid < k->nr_nodes; nid++) {
		struct lruvec *l = &k->node[nid].lruvec;
		stats_add(st, &l->list[LRU_ACTIVE_FILE].nr, "mm.file.lru.node%u.active_file", nid);
		stats_add(st, &l->list[LRU_INACTIVE_FILE].nr, "mm.file.lru.node%u.inactive_file",
			  nid);
	}
	stats_add(st, &m->nr_file_pages, "mm.file.nr_file_pages");
	stats_add(st, &m->nr_dirty, "mm.file.nr_dirty");
	stats_add(st, &m->nr_writeback, "mm.file.nr_writeback");
	stats_add(st, &m->nr_mapped, "mm.file.nr_mapped");
	stats_add(st, &m->pgpgin, "mm.file.pgpgin");
	stats_add(st, &m->pgpgout, "mm.file.pgpgout");
	stats_add(st, &m->pgmajfault, "mm.file.pgmajfault");
	stats_add(st, &m->pgfault_file, "mm.pgfault.file");
	stats_add(st, &m->fault_around_pages, "mm.file.fault_around_pages");
	stats_add(st, &m->read_calls, "mm.file.read");
	stats_add(st, &m->write_calls, "mm.file.write");
	stats_add(st, &m->fsync_calls, "mm.file.fsync");
	stats_add(st, &m->fadvise_calls, "mm.file.fadvise");
	stats_add(st, &m->read_hits, "mm.file.read_hit_pages");
	stats_add(st, &m->read_misses, "mm.file.read_miss_pages");
	stats_add(st, &m->ra_sync, "mm.file.readahead.sync");
	stats_add(st, &m->ra_async, "mm.file.readahead.async");
	stats_add(st, &m->ra_pages, "mm.file.readahead.pages");
	stats_add(st, &m->throttled, "mm.file.dirty_throttled");
	stats_add(st, &m->throttle_cycles, "mm.file.dirty_throttle_cycles");
	stats_add(st, &m->bg_writeback, "mm.file.writeback.background");
	stats_add(st, &m->periodic_writeback, "mm.file.writeback.periodic");
	stats_add(st, &m->drop_pages, "mm.file.drop_caches_pages");
	stats_add(st, &m->reclaimed, "mm.file.reclaimed");
	stats_add(st, &m->pageout, "mm.file.pageout");
	stats_add(st, &m->io_wait_cycles, "mm.file.io_wait_cycles");
	blkdev_stats(&m->disk, st);
}

void filemap_destroy(struct kmm *k)
{
	struct filemap *m = fm(k);
	if (!m)
		return;
	for (uint32_t i = 0; i < m->n; i++) {
		free(m->f[i].on_disk);
		free(m->f[i].as.slot);
		free(m->f[i].mms);
	}
	free(m->f);
	free(m->wb);
	if (m->disk_ready)
		blkdev_fini(&m->disk);
	free(m);
	k->filemap = NULL;
}

/* The disk, created with the first file (a run without files has none). */
static int disk_ready(struct kmm *k, char *err)
{
	struct filemap *m = fm(k);
	if (m->disk_ready)
		return 0;
	const struct mmsim_cfg *cfg = k->cfg;
	if (blkdev_init(&m->disk, "disk", cfg->disk.size, cfg->disk.latency,
			cfg->disk.block_cycles))
		return errf(err, "cannot set up the %llu-byte disk", (unsigned long long)cfg->disk.size);
	m->disk_ready = true;
	if (m->st)
		filemap_register_stats(k, m, m->st);
	return 0;
}

uint64_t file_pages(const struct kfile *f)
{
	return (f->size + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

int kfile_create(struct kmm *k, const char *name, uint64_t size, enum kfile_content how,
		 uint64_t seed, const char *host_path, char *err)
{
	struct filemap *m = fm(k);
	uint8_t *host = NULL;
	if (how == KFILE_HOST) {
		FILE *hf = fopen(host_path, "rb");
		if (!hf)
			return errf(err, "cannot open \"%s\"", host_path);
		long hsize = fseek(hf, 0, SEEK_END) == 0 ? ftell(hf) : -1;
		if (hsize < 0 || fseek(hf, 0, SEEK_SET) != 0) {
			fclose(hf);
			return errf(err, "cannot read \"%s\"", host_path);
		}
		if (!size)
			size = (uint64_t)hsize;
		host = calloc(1, (size + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE + 1);
		uint64_t want = (uint64_t)hsize < size ? (uint64_t)hsize : size;
		if (!host || fread(host, 1, want, hf) != want) {
			free(host);
			fclose(hf);
			return errf(err, "cannot read \"%s\"", host_path);
		}
		fclose(hf);
	}
	if (disk_ready(k, err)) {
		free(host);
		return -1;
	}
	uint64_t blocks = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	if (blocks > m->disk.nblocks - m->disk_used) {
		free(host);
		return errf(err, "file \"%s\" (%llu bytes) does not fit on the disk (%llu of "
			    "disk.size left)", name, (unsigned long long)size,
			    (unsigned long long)((m->disk.nblocks - m->disk_used) << PAGE_SHIFT));
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 8;
		m->f = realloc(m->f, m->cap * sizeof(*m->f));
		if (!m->f)
			abort();
	}
	struct kfile *f = &m->f[m->n];
	*f = (struct kfile){ .size = size, .disk_block = m->disk_used, .nblocks = blocks,
			     .how = how, .seed = seed };
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->on_disk = calloc(blocks / 8 + 1, 1);
	if (!f->on_disk)
		abort();
	f->ra.prev_index = UINT64_MAX;
	f->ra.ra_pages = k->cfg->kernel.readahead.max >> PAGE_SHIFT;
	m->disk_used += blocks;
	if (host) {     /* the host file's bytes are on the disk from the start */
		for (uint64_t b = 0; b < blocks; b++) {
			memcpy(physmem_frame_rw(&m->disk.store, f->disk_block + b),
			       host + (b << PAGE_SHIFT), PAGE_SIZE);
			f->on_disk[b / 8] |= (uint8_t)(1u << (b % 8));
		}
		free(host);
	}
	return (int)++m->n;
}

uint64_t kfile_size(const struct kmm *k, uint32_t id)
{
	const struct kfile *f = kfile_get(k, id);
	return f ? f->size : 0;
}

const char *kfile_name(const struct kmm *k, uint32_t id)
{
	const struct kfile *f = kfile_get(k, id);
	return f ? f->name : "?";
}

/* ---- the index ------------------------------------------------------- */

static uint64_t pc_hash(uint64_t index, uint64_t cap)
{
	return (index * 0x9e3779b97f4a7c15ull) >> 17 & (cap - 1);
}

struct pc_slot *pc_lookup(struct kfile *f, uint64_t index)
{
	struct address_space *as = &f->as;
	if (!as->nrpages)
		return NULL;
	for (uint64_t i = pc_hash(index, as->cap); ; i = (i + 1) & (as->cap - 1)) {
		if (as->slot[i].index == index)
			return &as->slot[i];
		if (as->slot[i].index == PC_EMPTY)
			return NULL;
	}
}

static struct pc_slot *pc_insert(struct address_space *as, struct pc_slot s)
{
	if (2 * (as->nrpages + 1) > as->cap) {
		struct address_space old = *as;
		as->cap = as->cap ? 2 * as->cap : 64;
		as->slot = malloc(as->cap * sizeof(*as->slot));
		if (!as->slot)
			abort();
		for (uint64_t i = 0; i < as->cap; i++)
			as->slot[i].index = PC_EMPTY;
		as->nrpages = 0;
		for (uint64_t i = 0; i < old.cap; i++)
			if (old.slot[i].index != PC_EMPTY)
				pc_insert(as, old.slot[i]);
		free(old.slot);
	}
	uint64_t i = pc_hash(s.index, as->cap);
	while (as->slot[i].index != PC_EMPTY)
		i = (i + 1) & (as->cap - 1);
	as->slot[i] = s;
	as->nrpages++;
	return &as->slot[i];
}

/* Delete by backward shift: later entries of the probe run move up so that
 * no lookup meets a hole before its key. */
static void pc_delete(struct address_space *as, struct pc_slot *s)
{
	uint64_t mask = as->cap - 1, i = (uint64_t)(s - as->slot), j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (as->slot[j].index == PC_EMPTY)
			break;
		uint64_t h = pc_hash(as->slot[j].index, as->cap);
		/* may entry j move to the hole at i? only if its home is not in (i, j] */
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			as->slot[i] = as->slot[j];
			i = j;
		}
	}
	as->slot[i].index = PC_EMPTY;
	as->nrpages--;
}

/* A new page-cache page goes on its node's inactive file list
 * (filemap_add_folio() -> folio_add_lru()); it leaves the list when it is
 * freed (kmm_free_pages()). */
void pc_lru_add(struct kmm *k, uint64_t pfn)
{
	kmm_lru_add_new(k, NULL, pfn);
}

/* read() and write() hits: folio_mark_accessed(), so a page used twice
 * moves to the active list (mapped pages age by their PTEs' A bits). */
void pc_mark_accessed(struct kmm *k, uint64_t pfn)
{
	if (k->memmap[pfn].flags & PG_lru)
		mark_page_accessed(kmm_lruvec(k, pfn), k->memmap, pfn);
}

struct pc_slot *pc_add(struct kmm *k, struct core *c, struct kfile *f, uint32_t id,
		       uint64_t index)
{
	assert(!pc_lookup(f, index));
	int64_t pfn = kmm_alloc_pages(k, c, -1, GFP_HIGHUSER_MOVABLE, 0, PG_file);
	if (pfn < 0)
		return NULL;
	struct page *p = &k->memmap[pfn];
	p->mapping = id;
	p->index = index;
	p->mapcount = 0;
	c->clock += k->cfg->kernel.cost.filemap;
	fm(k)->nr_file_pages++;
	pc_lru_add(k, (uint64_t)pfn);
	return pc_insert(&f->as, (struct pc_slot){ .index = index, .pfn = (uint32_t)pfn });
}

/* The block's bytes go on the disk the first time anything needs them. */
static void materialize(struct filemap *m, struct kfile *f, uint64_t b)
{
	if (f->on_disk[b / 8] & (1u << (b % 8)))
		return;
	f->on_disk[b / 8] |= (uint8_t)(1u << (b % 8));
	uint8_t *d = physmem_frame_rw(&m->disk.store, f->disk_block + b);
	for (unsigned w = 0; w < PAGE_SIZE / 8; w++) {
		uint64_t off = (b << PAGE_SHIFT) + 8ull * w, v = 0;
		if (off >= f->size)
			v = 0;
		else if (f->how == KFILE_OFFSET)
			v = off;
		else {
			uint64_t x = f->seed + off / 8;
			v = rng_splitmix64(&x);
		}
		memcpy(d + 8 * w, &v, 8);
	}
}

void pc_read_io(struct kmm *k, struct kfile *f, struct pc_slot *s, cycles_t now)
{
	struct filemap *m = fm(k);
	assert(s->index < f->nblocks);
	materialize(m, f, s->index);
	s->ready = blkdev_read(&m->disk, f->disk_block + s->index, &k->ms->pm, s->pfn, now);
	k->memmap[s->pfn].flags |= PG_uptodate;
	m->pgpgin++;
}

void pc_wait(struct kmm *k, struct core *c, struct pc_slot *s)
{
	if (s->ready > c->clock) {
		fm(k)->io_wait_cycles += s->ready - c->clock;
		c->clock = s->ready;
	}
}

void pc_remove(struct kmm *k, struct core *c, struct kfile *f, uint64_t index)
{
	struct pc_slot *s = pc_lookup(f, index);
	assert(s);
	uint64_t pfn = s->pfn;
	struct page *p = &k->memmap[pfn];
	assert(p->mapcount == 0 && p->refcount == 1 && !(p->flags & (PG_dirty | PG_writeback)));
	pc_delete(&f->as, s);
	fm(k)->nr_file_pages--;
	kmm_free_pages(k, c, pfn, 0);
}

/* ---- read() and write() ---------------------------------------------- */

void kfile_rw_enter(struct kmm *k, struct core *c, bool write)
{
	struct filemap *m = fm(k);
	c->clock += k->cfg->kernel.cost.syscall;
	if (write)
		m->write_calls++;
	else
		m->read_calls++;
	m->busy_pfn = 0;
}

void kfile_rw_exit(struct kmm *k)
{
	fm(k)->busy_pfn = 0;
}

int64_t kfile_read_page(struct kmm *k, struct core *c, uint32_t id, uint64_t index,
			uint64_t req_pages)
{
	struct filemap *m = fm(k);
	struct kfile *f = kfile_get(k, id);
	assert(f && index < file_pages(f));
	c->clock += k->cfg->kernel.cost.filemap;
	struct pc_slot *s = pc_lookup(f, index);
	if (!s) {
		m->read_misses++;
		page_cache_sync_ra(k, c, f, id, index, req_pages);
		s = pc_lookup(f, index);
		if (!s)
			return -1;
	} else {
		m->read_hits++;
	}
	if (s->ra_mark) {       /* also right after a sync window marked it */
		s->ra_mark = false;
		page_cache_async_ra(k, c, f, id, index, req_pages);
		s = pc_lookup(f, index);
	}
	pc_wait(k, c, s);
	f->ra.prev_index = index;
	pc_mark_accessed(k, s->pfn);
	m->busy_pfn = s->pfn;
	return s->pfn;
}

int64_t kfile_write_begin(struct kmm *k, struct core *c, uint32_t id, uint64_t index, bool whole)
{
	struct kfile *f = kfile_get(k, id);
	assert(f && index < f->nblocks);
	c->clock += k->cfg->kernel.cost.filemap;
	struct pc_slot *s = pc_lookup(f, index);
	if (!s) {
		s = pc_add(k, c, f, id, index);
		if (!s)
			return -1;
		if (!whole && index < file_pages(f)) {
			pc_read_io(k, f, s, c->clock);   /* a partial write reads first */
			pc_wait(k, c, s);
		} else {
			physmem_zero_frame(&k->ms->pm, s->pfn);
			k->memmap[s->pfn].flags |= PG_uptodate;
		}
	}
	pc_wait(k, c, s);
	fm(k)->busy_pfn = s->pfn;
	return s->pfn;
}

void filemap_set_page_dirty(struct kmm *k, struct core *c, uint64_t pfn)
{
	struct page *p = &k->memmap[pfn];
	struct kfile *f = kfile_get(k, p->mapping);
	assert((p->flags & PG_STATE_MASK) == PG_file && f);
	if (p->flags & PG_dirty)
		return;
	p->flags |= PG_dirty;
	if (!f->as.nrdirty++)
		f->dirtied_when = c->clock;
	fm(k)->nr_dirty++;
	if (k->writeback_next == CYCLES_NEVER && fm(k)->wb_period)
		k->writeback_next = f->dirtied_when + fm(k)->wb_period;
}

void kfile_write_end(struct kmm *k, struct core *c, uint32_t id, uint64_t pfn, uint64_t end)
{
	struct kfile *f = kfile_get(k, id);
	filemap_set_page_dirty(k, c, pfn);
	if (end > f->size)
		f->size = end;
	pc_mark_accessed(k, pfn);
}

void kfile_fsync(struct kmm *k, struct core *c, uint32_t id)
{
	struct filemap *m = fm(k);
	c->clock += k->cfg->kernel.cost.syscall;
	m->fsync_calls++;
	cycles_t done = writeback_file(k, c, id, 0);
	/* file_write_and_wait_range(): also waits for writes already in flight */
	for (size_t i = 0; i < m->nwb; i++)
		if (m->wb[i].file == id && m->wb[i].done > done)
			done = m->wb[i].done;
	if (done > c->clock) {
		m->io_wait_cycles += done - c->clock;
		c->clock = done;
	}
	writeback_retire(k, c->clock);
}

/* invalidate_mapping_pages(): drop the clean, unmapped pages of [first, last]
 * not under IO. */
static uint64_t invalidate_range(struct kmm *k, struct core *c, struct kfile *f,
				 uint64_t first, uint64_t last)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < f->as.cap && f->as.nrpages; ) {
		struct pc_slot *s = &f->as.slot[i];
		struct page *p = &k->memmap[s->pfn];
		/* a page with an extra reference (a DMA pin) stays, as
		 * mapping_evict_folio() keeps it */
		if (s->index != PC_EMPTY && s->index >= first && s->index <= last &&
		    !p->mapcount && p->refcount == 1 && !(p->flags & (PG_dirty | PG_writeback)) &&
		    s->ready <= c->clock) {
			pc_remove(k, c, f, s->index);
			n++;
			continue;   /* slot i now holds a shifted entry (or none) */
		}
		i++;
	}
	return n;
}

void kfile_fadvise(struct kmm *k, struct core *c, uint32_t id, uint64_t off, uint64_t len,
		   int advice)
{
	struct filemap *m = fm(k);
	struct kfile *f = kfile_get(k, id);
	c->clock += k->cfg->kernel.cost.syscall;
	m->fadvise_calls++;
	uint64_t end = len && off + len < f->size ? off + len : f->size;
	uint64_t first = off >> PAGE_SHIFT;
	uint64_t last = end ? (end - 1) >> PAGE_SHIFT : 0;
	switch (advice) {
	case KFADV_NORMAL:
		f->ra.random = false;
		f->ra.ra_pages = k->cfg->kernel.readahead.max >> PAGE_SHIFT;
		break;
	case KFADV_RANDOM:
		f->ra.random = true;
		break;
	case KFADV_SEQUENTIAL:     /* generic_fadvise(): twice the bdi's window */
		f->ra.random = false;
		f->ra.ra_pages = 2 * (k->cfg->kernel.readahead.max >> PAGE_SHIFT);
		break;
	case KFADV_WILLNEED:       /* force_page_cache_readahead(), not waited for */
		if (end > off) {
			uint64_t n = last - first + 1;
			uint64_t r = ra_submit(k, c, f, id, first, n, 0);
			m->ra_pages += r;
		}
		break;
	case KFADV_DONTNEED:
		/* start writeback of the range (WB_SYNC_NONE), then drop what is
		 * clean and unmapped */
		if (end > off) {
			for (uint64_t i = first; i <= last; i++) {
				struct pc_slot *s = pc_lookup(f, i);
				if (s && (k->memmap[s->pfn].flags & PG_dirty) &&
				    !(k->memmap[s->pfn].flags & PG_writeback))
					writeback_page(k, c, f, id, s);
			}
			writeback_retire(k, c->clock);
			invalidate_range(k, c, f, first, last);
		}
		break;
	}
}

void filemap_drop_caches(struct kmm *k, struct core *c)
{
	struct filemap *m = fm(k);
	if (!m)
		return;
	writeback_retire(k, c->clock);
	for (uint32_t i = 0; i < m->n; i++)
		m->drop_pages += invalidate_range(k, c, &m->f[i], 0, UINT64_MAX);
}

/* ---- reclaim's side ---------------------------------------------------- */

bool filemap_remove_page(struct kmm *k, struct core *c, uint64_t pfn)
{
	struct page *p = &k->memmap[pfn];
	struct kfile *f = kfile_get(k, p->mapping);
	if ((p->flags & PG_STATE_MASK) != PG_file || !f || p->mapcount ||
	    (p->flags & (PG_dirty | PG_writeback)) || p->refcount != 1)
		return false;
	struct pc_slot *s = pc_lookup(f, p->index);
	if (!s || s->ready > c->clock || pfn == fm(k)->busy_pfn)
		return false;
	pc_remove(k, c, f, p->index);
	fm(k)->reclaimed++;
	return true;
}

bool filemap_can_migrate(struct kmm *k, struct core *c, uint64_t pfn)
{
	const struct page *p = &k->memmap[pfn];
	struct kfile *f = kfile_get(k, p->mapping);
	const struct pc_slot *s = f ? pc_lookup(f, p->index) : NULL;
	return s && s->pfn == pfn && s->ready <= c->clock && pfn != fm(k)->busy_pfn;
}

void filemap_replace_page(struct kmm *k, uint64_t src, uint64_t dst)
{
	const struct page *p = &k->memmap[dst];   /* already carries src's identity */
	struct pc_slot *s = pc_lookup(kfile_get(k, p->mapping), p->index);
	assert(s && s->pfn == src);
	s->pfn = (uint32_t)dst;
}

void filemap_pageout(struct kmm *k, struct core *c, uint64_t pfn)
{
	struct page *p = &k->memmap[pfn];
	struct kfile *f = kfile_get(k, p->mapping);
	struct pc_slot *s = f ? pc_lookup(f, p->index) : NULL;
	if (!s || !(p->flags & PG_dirty) || (p->flags & PG_writeback))
		return;
	fm(k)->pageout++;
	writeback_page(k, c, f, p->mapping, s);
}

/* ---- i_mmap ------------------------------------------------------------ */

void filemap_link_mm(struct kmm *k, struct mm *mm, uint32_t id)
{
	struct kfile *f = kfile_get(k, id);
	assert(f);
	for (uint32_t i = 0; i < f->nmm; i++)
		if (f->mms[i] == mm)
			return;
	if (f->nmm == f->mmcap) {
		f->mmcap = f->mmcap ? 2 * f->mmcap : 4;
		f->mms = realloc(f->mms, f->mmcap * sizeof(*f->mms));
		if (!f->mms)
			abort();
	}
	f->mms[f->nmm++] = mm;
}

void filemap_mm_exit(struct kmm *k, struct mm *mm)
{
	struct filemap *m = fm(k);
	for (uint32_t i = 0; m && i < m->n; i++) {
		struct kfile *f = &m->f[i];
		for (uint32_t j = 0; j < f->nmm; j++)
			if (f->mms[j] == mm) {
				memmove(&f->mms[j], &f->mms[j + 1], (f->nmm - j - 1) * sizeof(*f->mms));
				f->nmm--;
				break;
			}
	}
}

uint64_t filemap_nr_pages(const struct kmm *k)
{
	return k->filemap ? k->filemap->nr_file_pages : 0;
}

struct mm *const *filemap_i_mmap(const struct kmm *k, uint32_t id, uint32_t *n)
{
	const struct kfile *f = kfile_get(k, id);
	*n = f ? f->nmm : 0;
	return f ? f->mms : NULL;
}

/* ---- --check ----------------------------------------------------------- */

int filemap_validate(struct kmm *k, char *err)
{
	struct filemap *m = fm(k);
	if (!m)
		return 0;
	uint64_t pages = 0, dirty = 0, wb = 0;
	for (uint32_t id = 1; id <= m->n; id++) {
		struct kfile *f = &m->f[id - 1];
		uint64_t n = 0, fd = 0;
		for (uint64_t i = 0; i < f->as.cap; i++) {
			const struct pc_slot *s = &f->as.slot[i];
			if (s->index == PC_EMPTY)
				continue;
			n++;
			const struct page *p = &k->memmap[s->pfn];
			if ((p->flags & PG_STATE_MASK) != PG_file || p->mapping != id ||
			    p->index != s->index)
				return errf(err, "page cache: file %s index %llu -> pfn %u, whose "
					    "struct page says flags %#x mapping %u index %llu",
					    f->name, (unsigned long long)s->index, s->pfn, p->flags,
					    p->mapping, (unsigned long long)p->index);
			if (pc_lookup(f, s->index) != s)
				return errf(err, "page cache: file %s index %llu is not found by "
					    "its own lookup", f->name, (unsigned long long)s->index);
			if (p->mapcount < 0 ||
			    p->refcount - page_dma_pins(p) * GUP_PIN_COUNTING_BIAS != 1 + p->mapcount)
				return errf(err, "page cache: pfn %u refcount %d, mapcount %d (the "
					    "cache holds one reference, each PTE one, each DMA "
					    "pin %d)", s->pfn, p->refcount, p->mapcount,
					    GUP_PIN_COUNTING_BIAS);
			if (!(p->flags & PG_uptodate))
				return errf(err, "page cache: pfn %u of %s is not uptodate", s->pfn,
					    f->name);
			if (!(p->flags & PG_lru))
				return errf(err, "page cache: pfn %u of %s is on no LRU list",
					    s->pfn, f->name);
			fd += !!(p->flags & PG_dirty);
			wb += !!(p->flags & PG_writeback);
		}
		if (n != f->as.nrpages || fd != f->as.nrdirty)
			return errf(err, "page cache: file %s counts %llu pages, %llu dirty; its "
				    "index holds %llu, %llu", f->name,
				    (unsigned long long)f->as.nrpages,
				    (unsigned long long)f->as.nrdirty, (unsigned long long)n,
				    (unsigned long long)fd);
		pages += n;
		dirty += fd;
	}
	if (pages != m->nr_file_pages || dirty != m->nr_dirty || wb != m->nr_writeback)
		return errf(err, "page cache: nr_file_pages %llu nr_dirty %llu nr_writeback %llu, "
			    "but the indexes hold %llu, %llu, %llu",
			    (unsigned long long)m->nr_file_pages, (unsigned long long)m->nr_dirty,
			    (unsigned long long)m->nr_writeback, (unsigned long long)pages,
			    (unsigned long long)dirty, (unsigned long long)wb);
	return 0;
}
