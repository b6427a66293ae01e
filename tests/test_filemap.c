/* Scenario tests of files and the page cache (docs/pagecache.md): read()
 * and write() through the page cache, readahead, file mappings with
 * fault-around and major/minor faults, shared vs private writes, fsync,
 * fadvise, drop_caches, dirty throttling. Each runs a small trace on
 * configs/tiny.json with --check on. A file's default content is its
 * offsets: the 8-byte word at file offset o holds o. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/config.h"
#include "lib/stats.h"
#include "lib/trace.h"
#include "src/machine.h"
#include "tests/scenario_run.h"
#include "kernel/mm/kmm.h"
#include "kernel/mm/compaction.h"
#include "kernel/mm/filemap.h"
#include "sim/mem/memsys.h"

#define FILES(files, ops) "{'files': [" files "], 'processes': [{'name': 'p', 'threads': " \
			  "[{'cpu': 0, 'ops': [" ops "]}]}]}"
#define DATA_1M "{'name': 'data', 'size': '1M'}"

static void no_mismatch(struct run *r)
{
	cr_assert_eq(machine_mismatches(r->m), 0, "%s", machine_events(r->m));
	cr_assert_eq(run_stat(r, "run.process_kills"), 0, "%s", machine_events(r->m));
}

/* read() carries the file's bytes from the disk into the user buffer; a
 * sequential 1M read in 64K calls reads every page from the disk once
 * (pgpgin 256) in readahead windows: one synchronous window at the start,
 * the rest asynchronous, none larger than 128K. */
Test(filemap, sequential_read_values_and_readahead)
{
	struct run r;
	run_text(&r, NULL, FILES(DATA_1M,
		"{'op': 'mmap', 'name': 'b', 'length': '64K'},"
		"{'op': 'repeat', 'count': 16, 'ops': ["
		"  {'op': 'read', 'file': 'data', 'offset': 0, 'length': '64K', 'buf': 'b'}]},"
		"{'op': 'read', 'file': 'data', 'offset': '0xff000', 'length': '4K', 'buf': 'b'},"
		"{'op': 'read', 'addr': 'b+8', 'expect': '0xff008'},"
		"{'op': 'read', 'file': 'data', 'offset': '0x12340', 'length': 16, 'buf': 'b+0x100'},"
		"{'op': 'read', 'addr': 'b+0x108', 'expect': '0x12348'}"));
	no_mismatch(&r);
	cr_assert_eq(run_stat(&r, "mm.file.read"), 18);
	/* the first 16-page read opens a 32-page window (get_init_ra_size(16,
	 * 32) = 32); the repeats hit pages 0..15 and never reach the mark at 16;
	 * page 255 is a random miss (one page read), page 18 a hit */
	cr_assert_eq(run_stat(&r, "mm.file.pgpgin"), 33);
	cr_assert_eq(run_stat(&r, "mm.file.read_miss_pages"), 2);
	cr_assert_eq(run_stat(&r, "mm.file.read_hit_pages"), 15 + 15 * 16 + 1);
	cr_assert_eq(run_stat(&r, "mm.file.readahead.sync"), 1);
	run_free(&r);

	run_text(&r, NULL, FILES(DATA_1M,
		"{'op': 'mmap', 'name': 'b', 'length': '1M'},"
		"{'op': 'read', 'file': 'data', 'offset': 0, 'length': '4K', 'buf': 'b'},"
		"{'op': 'repeat', 'count': 255, 'ops': ["
		"  {'op': 'compute', 'cycles': 1}]},"
		"{'op': 'read', 'file': 'data', 'offset': '4K', 'length': '1020K', 'buf': 'b+4096'},"
		"{'op': 'read', 'addr': 'b+0xabc08', 'expect': '0xabc08'}"));
	no_mismatch(&r);
	cr_assert_eq(run_stat(&r, "mm.file.pgpgin"), 256);
	cr_assert_eq(run_stat(&r, "blk.disk.read_blocks"), 256);
	cr_assert_eq(run_stat(&r, "mm.file.readahead.sync"), 1);
	cr_assert_geq(run_stat(&r, "mm.file.readahead.async"), 7, "256 pages in windows of "
		      "at most 32");
	cr_assert_eq(run_stat(&r, "mm.file.read_miss_pages"), 1);
	run_free(&r);
}

/* fadvise RANDOM turns readahead off: 8 scattered 4K reads read 8 pages. */
Test(filemap, random_reads_read_only_what_is_asked)
{
	struct run r;
	run_text(&r, NULL, FILES(DATA_1M,
		"{'op': 'mmap', 'name': 'b', 'length': '4K'},"
		"{'op': 'fadvise', 'file': 'data', 'advice': 'random'},"
		"{'op': 'read', 'file': 'data', 'offset': '0x80000', 'length': '4K', 'buf': 'b'},"
		"{'op': 'read', 'file': 'data', 'offset': '0x10000', 'length': '4K', 'buf': 'b'},"
		"{'op': 'read', 'file': 'data', 'offset': '0x30000', 'length': '4K', 'buf': 'b'},"
		"{'op': 'read', 'file': 'data', 'offset': '0x31000', 'length': '4K', 'buf': 'b'},"
		"{'op': 'read', 'addr': 'b', 'expect': '0x31000'}"));
	no_mismatch(&r);
	cr_assert_eq(run_stat(&r, "mm.file.pgpgin"), 4);
	cr_assert_eq(run_stat(&r, "mm.file.readahead.sync"), 0);
	run_free(&r);
}

/* A file mapping: the first touch reads from the disk (one major fault,
 * with read-around bringing in 32 pages); later touches find the pages
 * cached, and fault-around maps up to 16 of them per fault, so touching
 * 32 pages takes far fewer than 32 faults. Reaching the readahead mark
 * (page 24 of the first window) reads the next 32 pages asynchronously. With fault-around off
 * (kernel.fault_around_bytes = 4K) every page faults. */
Test(filemap, mmap_major_minor_and_fault_around)
{
	struct run r;
	const char *trace = FILES(DATA_1M,
		"{'op': 'mmap', 'name': 'm', 'length': '128K', 'file': 'data', 'prot': 'r'},"
		"{'op': 'read', 'addr': 'm', 'expect': 0},"
		"{'op': 'compute', 'cycles': 1000000},"
		"{'op': 'stride', 'base': 'm', 'length': '128K', 'stride': 4096},"
		"{'op': 'read', 'addr': 'm+0x1f008', 'expect': '0x1f008'}");
	run_text(&r, NULL, trace);
	no_mismatch(&r);
	cr_assert_eq(run_stat(&r, "proc.p.majflt"), 1);
	cr_assert_eq(run_stat(&r, "mm.file.pgmajfault"), 1);
	cr_assert_eq(run_stat(&r, "mm.pgmajfault"), 1);   /* vmstat counts it too */
	cr_assert_eq(run_stat(&r, "mm.file.pgpgin"), 64);
	cr_assert_eq(run_stat(&r, "mm.file.readahead.async"), 1);
	uint64_t faults = run_stat(&r, "mm.pgfault.file");
	cr_assert_lt(faults, 8, "fault-around: %llu faults for 32 pages", (unsigned long long)faults);
	cr_assert_geq(run_stat(&r, "mm.file.fault_around_pages"), 24);
	run_free(&r);

	const char *const off[] = { "kernel.fault_around_bytes=4K", NULL };
	run_text(&r, off, trace);
	no_mismatch(&r);
	cr_assert_eq(run_stat(&r, "mm.pgfault.file"), 32);
	cr_assert_eq(run_stat(&r, "mm.file.fault_around_pages"), 0);
	cr_assert_eq(run_stat(&r, "proc.p.majflt"), 1);
	cr_assert_eq(run_stat(&r, "proc.p.minflt"), 31);
	run_free(&r);
}

/* A write through a shared mapping reaches the file (read() sees it after
 * munmap, drop_caches and a fresh read from the disk); a write through a
 * private mapping copies the page (COW) and the file keeps its bytes. */
Test(filemap, shared_write_reaches_file_private_does_not)
{
	struct run r;
	run_text(&r, NULL, FILES(DATA_1M,
		"{'op': 'mmap', 'name': 'b', 'length': '4K'},"
		"{'op': 'mmap', 'name': 's', 'length': '64K', 'file': 'data', 'shared': true},"
		"{'op': 'mmap', 'name': 'v', 'length': '64K', 'file': 'data', 'offset': '64K'},"
		"{'op': 'write', 'addr': 's+0x2000', 'value': 4242},"
		"{'op': 'write', 'addr': 'v+0x3000', 'value': 777},"
		"{'op': 'read', 'addr': 'v+0x3000', 'expect': 777},"
		"{'op': 'read', 'addr': 'v+0x3008', 'expect': '0x13008'},"
		"{'op': 'munmap', 'addr': 's', 'length': '64K'},"
		"{'op': 'munmap', 'addr': 'v', 'length': '64K'},"
		"{'op': 'fsync', 'file': 'data'},"
		"{'op': 'drop_caches', 'value': 1},"
		"{'op': 'read', 'file': 'data', 'offset': '0x2000', 'length': 16, 'buf': 'b'},"
		"{'op': 'read', 'addr': 'b', 'expect': 4242},"
		"{'op': 'read', 'addr': 'b+8', 'expect': '0x2008'},"
		"{'op': 'read', 'file': 'data', 'offset': '0x13000', 'length': 8, 'buf': 'b'},"
		"{'op': 'read', 'addr': 'b', 'expect': '0x13000'}"));
	no_mismatch(&r);
	cr_assert_eq(run_stat(&r, "mm.cow.copy"), 0, "a write fault on an unmapped page of a "
		     "private file mapping is do_cow_fault(), not do_wp_page()");
	cr_assert_eq(run_stat(&r, "mm.file.pgpgout"), 1, "only the shared page was dirty");
	cr_assert_eq(run_stat(&r, "mm.file.nr_dirty"), 0);
	run_free(&r);
}

/* write() dirties page-cache pages; fsync writes exactly those and waits;
 * drop_caches then frees every clean unmapped page (the frames come back). */
Test(filemap, write_fsync_drop_caches)
{
	struct run r;
	run_text(&r, NULL, FILES(DATA_1M,
		"{'op': 'mmap', 'name': 'b', 'length': '64K'},"
		"{'op': 'seq', 'base': 'b', 'length': '32K', 'size': 8, 'write': 1},"
		"{'op': 'write', 'file': 'data', 'offset': '128K', 'length': '32K', 'buf': 'b'},"
		"{'op': 'snapshot', 'name': 'dirty'},"
		"{'op': 'fsync', 'file': 'data'},"
		"{'op': 'read', 'file': 'data', 'offset': 0, 'length': '64K', 'buf': 'b'},"
		"{'op': 'drop_caches', 'value': 1}"));
	no_mismatch(&r);
	cr_assert_eq(run_stat(&r, "mm.file.write"), 1);
	cr_assert_eq(run_stat(&r, "mm.file.pgpgout"), 8);
	cr_assert_eq(run_stat(&r, "blk.disk.write_blocks"), 8);
	cr_assert_eq(run_stat(&r, "mm.file.nr_dirty"), 0);
	cr_assert_eq(run_stat(&r, "mm.file.nr_writeback"), 0, "fsync waited");
	cr_assert_eq(run_stat(&r, "mm.file.nr_file_pages"), 0);
	cr_assert_geq(run_stat(&r, "mm.file.drop_caches_pages"), 8 + 16);
	run_free(&r);
}

/* A writer far over vm.dirty_ratio on a slow disk is throttled (it waits
 * for writeback); with the limits at 100% it never is. */
Test(filemap, dirty_ratio_throttles_writer)
{
	struct run r;
	const char *trace = FILES("{'name': 'big', 'size': '4M'}",
		"{'op': 'mmap', 'name': 'b', 'length': '4M'},"
		"{'op': 'write', 'file': 'big', 'offset': 0, 'length': '4M', 'buf': 'b'}");
	const char *const small[] = { "kernel.dirty.ratio=1", "kernel.dirty.background_ratio=0",
				      "disk.block_cycles=1000000", NULL };
	run_text(&r, small, trace);
	no_mismatch(&r);
	cr_assert_gt(run_stat(&r, "mm.file.dirty_throttled"), 0);
	cr_assert_gt(run_stat(&r, "mm.file.dirty_throttle_cycles"), 0);
	cr_assert_gt(run_stat(&r, "mm.file.pgpgout"), 0);
	run_free(&r);
	const char *const big[] = { "kernel.dirty.ratio=100", "kernel.dirty.background_ratio=99",
				    "disk.block_cycles=1000000", NULL };
	run_text(&r, big, trace);
	no_mismatch(&r);
	cr_assert_eq(run_stat(&r, "mm.file.dirty_throttled"), 0);
	cr_assert_eq(run_stat(&r, "mm.file.pgpgout"), 0);
	run_free(&r);
}

/* The flusher writes back pages dirtied more than dirty_expire ago, every
 * dirty_writeback period (here 1 centisecond = 1000 cycles). */
Test(filemap, periodic_writeback_expires_dirty_pages)
{
	struct run r;
	const char *const fast[] = { "kernel.cycles_per_centisec=1000",
				     "kernel.dirty.expire_centisecs=10",
				     "kernel.dirty.writeback_centisecs=1", NULL };
	run_text(&r, fast, FILES(DATA_1M,
		"{'op': 'mmap', 'name': 'b', 'length': '16K'},"
		"{'op': 'write', 'file': 'data', 'offset': 0, 'length': '16K', 'buf': 'b'},"
		"{'op': 'repeat', 'count': 200, 'ops': [{'op': 'compute', 'cycles': 1000}]}"));
	no_mismatch(&r);
	cr_assert_eq(run_stat(&r, "mm.file.pgpgout"), 4);
	cr_assert_gt(run_stat(&r, "mm.file.writeback.periodic"), 0);
	cr_assert_eq(run_stat(&r, "mm.file.nr_dirty"), 0);
	run_free(&r);
}

/* fork: a private file mapping's pages are shared by parent and child;
 * the child's write copies, the parent keeps reading the file's bytes. */
Test(filemap, fork_private_file_mapping)
{
	struct run r;
	run_text(&r, NULL, "{'files': [" DATA_1M "], 'processes': ["
		"{'name': 'parent', 'threads': [{'cpu': 0, 'ops': ["
		"  {'op': 'mmap', 'name': 'm', 'length': '64K', 'file': 'data'},"
		"  {'op': 'write', 'addr': 'm+0x1000', 'value': 9},"
		"  {'op': 'read', 'addr': 'm+0x2000', 'expect': '0x2000'},"
		"  {'op': 'fork', 'child': 'kid'},"
		"  {'op': 'compute', 'cycles': 100000},"
		"  {'op': 'read', 'addr': 'm+0x1000', 'expect': 9},"
		"  {'op': 'read', 'addr': 'm+0x3000', 'expect': '0x3000'}]}]},"
		"{'name': 'kid', 'forked_from': 'parent', 'threads': [{'cpu': 0, 'ops': ["
		"  {'op': 'read', 'addr': 'm+0x1000', 'expect': 9},"
		"  {'op': 'write', 'addr': 'm+0x2000', 'value': 5},"
		"  {'op': 'read', 'addr': 'm+0x2000', 'expect': 5},"
		"  {'op': 'read', 'addr': 'm+0x3008', 'expect': '0x3008'}]}]}]}");
	no_mismatch(&r);
	run_free(&r);
}

/* An access past the end of the file inside the mapping is SIGBUS. */
Test(filemap, sigbus_beyond_end_of_file)
{
	struct run r;
	run_text(&r, NULL, FILES("{'name': 'small', 'size': 5000}",
		"{'op': 'mmap', 'name': 'm', 'length': '16K', 'file': 'small'},"
		"{'op': 'read', 'addr': 'm+4096', 'expect': 4096},"
		"{'op': 'read', 'addr': 'm+8192'}"));
	cr_assert_eq(run_stat(&r, "run.process_kills"), 1);
	cr_assert(strstr(machine_events(r.m), "SIGBUS"), "%s", machine_events(r.m));
	run_free(&r);
}

/* Seeded content is deterministic and differs from the offset pattern;
 * a host file's bytes are what read() returns. */
Test(filemap, seeded_and_host_content)
{
	char path[] = "/tmp/mmsim-filemap-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	uint64_t words[2] = { 0x1122334455667788ull, 42 };
	cr_assert_eq(write(fd, words, sizeof words), (ssize_t)sizeof words);
	close(fd);
	char json[1024];
	snprintf(json, sizeof json, FILES("{'name': 'h', 'path': '%s'},"
		"{'name': 's', 'size': '8K', 'content': 'seed', 'seed': 3}",
		"{'op': 'mmap', 'name': 'b', 'length': '4K'},"
		"{'op': 'read', 'file': 'h', 'offset': 0, 'length': 16, 'buf': 'b'},"
		"{'op': 'read', 'addr': 'b', 'expect': '0x1122334455667788'},"
		"{'op': 'read', 'addr': 'b+8', 'expect': 42},"
		"{'op': 'mmap', 'name': 'm', 'length': '8K', 'file': 's'},"
		"{'op': 'read', 'addr': 'm+8', 'expect': 0}"), path);
	struct run r;
	run_text(&r, NULL, json);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 0, "%s", machine_events(r.m));
	/* only the seeded word differs from the expectation of 0 */
	cr_assert_eq(machine_mismatches(r.m), 1, "%s", machine_events(r.m));
	run_free(&r);
	unlink(path);
}

/* Bad input names the trace file and the place. */
Test(filemap, bad_file_input)
{
	char err[MMSIM_ERR_LEN];
	struct trace t;
	char path[] = "/tmp/mmsim-filemap-XXXXXX.json";
	static const char *const bad[][2] = {
		{ "{\"files\": [{\"name\": \"h\", \"path\": \"/nonexistent/x\"}], \"processes\": "
		  "[{\"threads\": [{\"ops\": []}]}]}", "files[0].path: cannot open" },
		{ "{\"files\": [{\"name\": \"d\", \"size\": 4096}], \"processes\": [{\"threads\": "
		  "[{\"ops\": [{\"op\": \"fsync\", \"file\": \"e\"}]}]}]}",
		  "ops[0].file: unknown file \"e\"" },
		{ "{\"files\": [{\"name\": \"d\"}], \"processes\": [{\"threads\": [{\"ops\": []}]}]}",
		  "files[0]: \"size\" is required" },
		{ "{\"files\": [{\"name\": \"d\", \"size\": 4096}], \"processes\": [{\"threads\": "
		  "[{\"ops\": [{\"op\": \"mmap\", \"length\": 4096, \"file\": \"d\", \"offset\": 5}]}]}]}",
		  "ops[0].offset: must be a multiple of 4096" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int fd = mkstemps(path, 5);
		cr_assert(fd >= 0);
		cr_assert_eq(write(fd, bad[i][0], strlen(bad[i][0])), (ssize_t)strlen(bad[i][0]));
		close(fd);
		cr_assert_eq(trace_load(&t, path, err), -1, "case %zu loaded", i);
		cr_assert(strstr(err, path) && strstr(err, bad[i][1]), "case %zu: %s", i, err);
		unlink(path);
		strcpy(path, "/tmp/mmsim-filemap-XXXXXX.json");
	}
}

/* Compaction and CMA can move a page-cache page: the copy keeps its bytes
 * and the file's index names the new frame (migrate_folio()). */
Test(filemap, migrate_page_cache_page)
{
	struct run r;
	run_text(&r, NULL, FILES(DATA_1M,
		"{'op': 'mmap', 'name': 'b', 'length': '16K'},"
		"{'op': 'read', 'file': 'data', 'offset': 0, 'length': '16K', 'buf': 'b'}"));
	no_mismatch(&r);
	struct kmm *k = (struct kmm *)machine_kmm(r.m);
	struct core *c = (struct core *)machine_core(r.m, 0);
	uint64_t src = 0;
	for (uint64_t pfn = 0; pfn < k->nframes && !src; pfn++)
		if ((k->memmap[pfn].flags & PG_STATE_MASK) == PG_file && k->memmap[pfn].index == 3)
			src = pfn;
	cr_assert(src, "page 3 of the file is cached");
	int64_t dst = kmm_alloc_page(k, c, PG_kernel);
	cr_assert_geq(dst, 0);
	k->memmap[dst].flags = 0;
	k->memmap[dst].refcount = 0;
	cr_assert(migrate_page(k, c, src, (uint64_t)dst));
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(kmm_validate(k, NULL, 0, err), 0, "%s", err);
	cr_assert_eq(kfile_read_page(k, c, 1, 3, 1), dst, "the index names the new frame");
	cr_assert_eq(physmem_read(&k->ms->pm, ((paddr_t)dst << PAGE_SHIFT) + 8, 8), 3 * 4096 + 8);
	kfile_rw_exit(k);
	run_free(&r);
}

/* mprotect read-only then read-write on a private file mapping keeps the
 * page-cache page read-only: the next write still copies it (the file is
 * unchanged); --check refuses a writable page-cache PTE in a private
 * mapping. */
Test(filemap, mprotect_keeps_page_cache_read_only)
{
	struct run r;
	run_text(&r, NULL, FILES(DATA_1M,
		"{'op': 'mmap', 'name': 'b', 'length': '4K'},"
		"{'op': 'mmap', 'name': 'v', 'length': '16K', 'file': 'data', 'prot': 'r'},"
		"{'op': 'read', 'addr': 'v+0x1000', 'expect': '0x1000'},"
		"{'op': 'mprotect', 'addr': 'v', 'length': '16K', 'prot': 'rw'},"
		"{'op': 'write', 'addr': 'v+0x1000', 'value': 1},"
		"{'op': 'read', 'file': 'data', 'offset': '0x1000', 'length': 8, 'buf': 'b'},"
		"{'op': 'read', 'addr': 'b', 'expect': '0x1000'}"));
	no_mismatch(&r);
	cr_assert_eq(run_stat(&r, "mm.cow.copy"), 1);
	run_free(&r);
}

/* Under memory pressure reclaim takes page-cache pages through the file
 * hooks: dirty pages of a shared mapping bigger than RAM are unmapped
 * (their D bits dirty the pages), written back to the disk and dropped;
 * touching them again reads them back (major faults) with the values
 * written. --check runs throughout. */
Test(filemap, reclaim_writes_back_shared_mapping)
{
	static const char *const sets[] = { "memory.size=16M", NULL };
	struct run r;
	run_text(&r, sets, FILES("{'name': 'big', 'size': '32M'}",
		"{'op': 'mmap', 'name': 's', 'length': '32M', 'file': 'big', 'shared': true},"
		"{'op': 'write', 'addr': 's+0x8', 'value': 11},"
		"{'op': 'stride', 'base': 's', 'length': '32M', 'stride': 4096, 'write': 1},"
		"{'op': 'write', 'addr': 's+0x1f00008', 'value': 22},"
		"{'op': 'read', 'addr': 's+0x1f00008', 'expect': 22},"
		"{'op': 'read', 'addr': 's+0x8', 'expect': 11},"
		"{'op': 'read', 'addr': 's+0x10', 'expect': 16},"
		"{'op': 'read', 'addr': 's+0x1000010', 'expect': '0x1000010'}"));
	no_mismatch(&r);
	cr_assert_gt(run_stat(&r, "mm.vmscan.pgsteal_file"), 4096);
	cr_assert_gt(run_stat(&r, "mm.file.pgpgout"), 4096, "dirty pages written back");
	cr_assert_gt(run_stat(&r, "mm.file.pgmajfault"), 1, "pages read back after reclaim");
	run_free(&r);
}
