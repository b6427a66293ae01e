/* Scenario tests of the address-space code (issue vm-fault): the zero page,
 * fork and copy-on-write, exec, VMA split and merge. Each runs a small trace
 * on configs/tiny.json with --check on and asserts exact counts. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/config.h"
#include "lib/stats.h"
#include "lib/trace.h"
#include "src/cli.h"
#include "src/machine.h"
#include "tests/scenario_run.h"

/* Every frame is back once every process is gone. */
static void conserved(struct run *r)
{
	cr_assert_eq(run_stat(r, "mm.pgalloc"), run_stat(r, "mm.pgfree"));
	cr_assert_eq(machine_mismatches(r->m), 0, "%s", machine_events(r->m));
}

#define ONE(ops) "{'processes': [{'name': 'p', 'threads': [{'cpu': 0, 'ops': [" ops "]}]}]}"

/* Reading 256 untouched pages maps the zero page 256 times: no page is
 * allocated except the 4 page tables (PML4 at boot, PDPT, PD, PT), and the
 * reads see zeros. Writing them afterwards replaces each zero-page mapping
 * with a fresh zeroed page (256 write-protect faults, 256 allocations). */
Test(vm, zero_page_on_read)
{
	struct run r;
	run_text(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '1M'},"
		"{'op': 'stride', 'base': 'b', 'length': '1M', 'stride': 4096},"
		"{'op': 'read', 'addr': 'b+0x5000', 'expect': 0},"
		"{'op': 'compute', 'cycles': 1},"
		"{'op': 'stride', 'base': 'b', 'length': '1M', 'stride': 4096, 'write': 1},"
		"{'op': 'read', 'addr': 'b+0x5000', 'expect': 0}"));
	cr_assert_eq(run_stat(&r, "mm.pgfault.zero_page"), 256);
	cr_assert_eq(run_stat(&r, "mm.pgfault.anon"), 256);
	cr_assert_eq(run_stat(&r, "mm.cow.zero_page"), 256);
	cr_assert_eq(run_stat(&r, "mm.pgfault.wp"), 256);
	cr_assert_eq(run_stat(&r, "mm.pgalloc"), 4 + 256);
	cr_assert_eq(run_stat(&r, "proc.p.minflt"), 512);
	conserved(&r);
	run_free(&r);
}

/* Demand paging: N pages written, N minor faults, N pages allocated. */
Test(vm, demand_paging_counts)
{
	struct run r;
	run_text(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '400K'},"
		"{'op': 'stride', 'base': 'b', 'length': '400K', 'stride': 4096, 'write': 1}"));
	cr_assert_eq(run_stat(&r, "mm.pgfault.anon"), 100);
	cr_assert_eq(run_stat(&r, "proc.p.minflt"), 100);
	cr_assert_eq(run_stat(&r, "proc.p.majflt"), 0);
	cr_assert_eq(run_stat(&r, "proc.p.vmhwm_pages"), 100);
	cr_assert_eq(run_stat(&r, "mm.pgalloc"), 4 + 100);
	conserved(&r);
	run_free(&r);
}

/* fork then child write: the child's first write to a shared page copies
 * it (the child sees its value, the parent keeps its own); a shared page
 * the child only reads is not copied; the parent's write after the child's
 * copy (the page has one mapping again) reuses the page without a copy. */
#define FORK_TRACE \
	"{'processes': [" \
	" {'name': 'parent', 'threads': [{'cpu': 0, 'ops': [" \
	"   {'op': 'mmap', 'name': 'b', 'length': '16K'}," \
	"   {'op': 'write', 'addr': 'b', 'value': 1}," \
	"   {'op': 'write', 'addr': 'b+0x1000', 'value': 2}," \
	"   {'op': 'write', 'addr': 'b+0x2000', 'value': 3}," \
	"   {'op': 'write', 'addr': 'b+0x3000', 'value': 4}," \
	"   {'op': 'fork', 'child': 'child'}," \
	"   {'op': 'sleep', 'cycles': 10000000}," \
	"   {'op': 'read', 'addr': 'b', 'expect': 1}," \
	"   {'op': 'write', 'addr': 'b', 'value': 11}," \
	"   {'op': 'read', 'addr': 'b', 'expect': 11}," \
	"   {'op': 'read', 'addr': 'b+0x2000', 'expect': 3}]}]}," \
	" {'name': 'child', 'forked_from': 'parent', 'threads': [{'cpu': 0, 'ops': [" \
	"   {'op': 'write', 'addr': 'b', 'value': 7}," \
	"   {'op': 'read', 'addr': 'b', 'expect': 7}," \
	"   {'op': 'read', 'addr': 'b+0x1000', 'expect': 2}," \
	"   {'op': 'write', 'addr': 'b+0x2000', 'value': 9}," \
	"   {'op': 'read', 'addr': 'b+0x2000', 'expect': 9}]}]}]}"

Test(vm, fork_cow_copy_then_reuse)
{
	struct run r;
	run_text(&r, NULL, FORK_TRACE);
	cr_assert_eq(run_stat(&r, "mm.fork"), 1);
	cr_assert_eq(run_stat(&r, "mm.cow.copy"), 2, "child wrote two shared pages");
	cr_assert_eq(run_stat(&r, "proc.child.cow_copies"), 2);
	cr_assert_eq(run_stat(&r, "proc.parent.cow_copies"), 0);
	cr_assert_eq(run_stat(&r, "mm.cow.reuse"), 1, "parent's page had one mapping left");
	cr_assert_eq(run_stat(&r, "run.process_exits"), 2);
	/* fork write-protected the parent's 4 PTEs: one flush of 4 pages */
	cr_assert_eq(run_stat(&r, "mm.tlbflush.cause.fork"), 1);
	cr_assert_eq(run_stat(&r, "mm.tlbflush.cause.cow"), 2);
	conserved(&r);
	run_free(&r);
}

/* The parent's threads run on two cores: the fork's write-protection must
 * reach the other core's TLB by a shootdown IPI (the compute lets core 1
 * load the parent's mm after the barrier before the fork). */
Test(vm, fork_shoots_down_parent_tlbs)
{
	struct run r;
	const char *two[] = { "cores=2", NULL };
	run_text(&r, two,
	     "{'processes': ["
	     " {'name': 'parent', 'threads': ["
	     "  {'cpu': 0, 'ops': [{'op': 'mmap', 'name': 'b', 'length': '64K'},"
	     "   {'op': 'seq', 'base': 'b', 'length': '64K', 'size': 8, 'write': 1},"
	     "   {'op': 'barrier'}, {'op': 'compute', 'cycles': 2000},"
	     "   {'op': 'fork', 'child': 'child'}, {'op': 'barrier'}]},"
	     "  {'cpu': 1, 'ops': [{'op': 'barrier'},"
	     "   {'op': 'seq', 'base': 'b', 'length': '64K', 'size': 8, 'count': 64},"
	     "   {'op': 'barrier'}, {'op': 'write', 'addr': 'b', 'value': 5},"
	     "   {'op': 'read', 'addr': 'b', 'expect': 5}]}]},"
	     " {'name': 'child', 'forked_from': 'parent', 'threads': [{'cpu': 0, 'ops': ["
	     "   {'op': 'read', 'addr': 'b', 'expect': 0}]}]}]}");
	cr_assert_eq(run_stat(&r, "mm.tlbflush.shootdown.fork"), 1);
	cr_assert_geq(run_stat(&r, "core1.ipi.received"), 1);
	conserved(&r);
	run_free(&r);
}

/* exec: the old address space is torn down (every page and table freed),
 * the process continues in a new, empty one. */
Test(vm, exec_replaces_the_address_space)
{
	struct run r;
	run_text(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '64K'},"
		"{'op': 'stride', 'base': 'b', 'length': '64K', 'stride': 4096, 'write': 1},"
		"{'op': 'exec'},"
		"{'op': 'mmap', 'name': 'c', 'length': '8K'},"
		"{'op': 'write', 'addr': 'c', 'value': 3},"
		"{'op': 'read', 'addr': 'c', 'expect': 3}"));
	cr_assert_eq(run_stat(&r, "mm.exec"), 1);
	cr_assert_eq(run_stat(&r, "mm.pgfault.anon"), 17);
	cr_assert_eq(run_stat(&r, "proc.p.minflt"), 17);
	conserved(&r);
	run_free(&r);
}

/* A region of the old image is gone after exec: touching it is SIGSEGV. */
Test(vm, exec_unmaps_old_regions)
{
	struct run r;
	run_text(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '8K'},"
		"{'op': 'exec'},"
		"{'op': 'write', 'addr': 'b', 'value': 3}"));
	cr_assert_eq(run_stat(&r, "run.process_kills"), 1);
	conserved(&r);
	run_free(&r);
}

/* munmap of the middle of a VMA splits it; the pages on both sides keep
 * their values; the middle is SIGSEGV afterwards. */
Test(vm, munmap_middle_splits)
{
	struct run r;
	run_text(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '12K'},"
		"{'op': 'write', 'addr': 'b', 'value': 1},"
		"{'op': 'write', 'addr': 'b+0x2000', 'value': 3},"
		"{'op': 'munmap', 'addr': 'b+0x1000', 'length': '4K'},"
		"{'op': 'read', 'addr': 'b', 'expect': 1},"
		"{'op': 'read', 'addr': 'b+0x2000', 'expect': 3},"
		"{'op': 'read', 'addr': 'b+0x1000'}"));
	cr_assert_eq(run_stat(&r, "run.process_kills"), 1);
	cr_assert_eq(run_stat(&r, "mm.segv"), 1);
	conserved(&r);
	run_free(&r);
}

/* mprotect read-only then write: SIGSEGV (the run goes on). */
Test(vm, mprotect_readonly_write_segv)
{
	struct run r;
	run_text(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '8K'},"
		"{'op': 'write', 'addr': 'b', 'value': 1},"
		"{'op': 'mprotect', 'addr': 'b', 'length': '8K', 'prot': 'r'},"
		"{'op': 'read', 'addr': 'b', 'expect': 1},"
		"{'op': 'write', 'addr': 'b', 'value': 2}"));
	cr_assert_eq(run_stat(&r, "mm.segv"), 1);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 1);
	conserved(&r);
	run_free(&r);
}

/* Eight children forked from one parent each write their own 16 pages of
 * a shared 256-page buffer and read one page nobody wrote: 8 x 16 COW
 * copies, and every value read is right (the parent's, or the child's). */
Test(vm, eight_children_cow)
{
	char json[8192];
	int n = snprintf(json, sizeof json,
		"{'processes': [{'name': 'parent', 'threads': [{'cpu': 0, 'ops': ["
		"{'op': 'mmap', 'name': 'b', 'length': '1M'},"
		"{'op': 'stride', 'base': 'b', 'length': '1M', 'stride': 4096, 'write': 1},"
		"{'op': 'write', 'addr': 'b+0xff000', 'value': 77}");
	for (int i = 0; i < 8; i++)
		n += snprintf(json + n, sizeof json - n, ",{'op': 'fork', 'child': 'c%d'}", i);
	n += snprintf(json + n, sizeof json - n, ",{'op': 'sleep', 'cycles': 100000000},"
		      "{'op': 'read', 'addr': 'b+0x10000', 'expect': 0}]}]}");
	for (int i = 0; i < 8; i++)
		n += snprintf(json + n, sizeof json - n,
			      ",{'name': 'c%d', 'forked_from': 'parent', 'threads': [{'cpu': 0,"
			      " 'ops': [{'op': 'stride', 'base': 'b+%#x', 'length': '64K',"
			      " 'stride': 4096, 'write': 1},"
			      "{'op': 'write', 'addr': 'b+%#x', 'value': %d},"
			      "{'op': 'read', 'addr': 'b+%#x', 'expect': %d},"
			      "{'op': 'read', 'addr': 'b+0xff000', 'expect': 77}]}]}",
			      i, i * 0x10000, i * 0x10000, 100 + i, i * 0x10000, 100 + i);
	snprintf(json + n, sizeof json - n, "]}");
	struct run r;
	run_text(&r, NULL, json);
	cr_assert_eq(run_stat(&r, "mm.fork"), 8);
	cr_assert_eq(run_stat(&r, "mm.cow.copy"), 8 * 16);
	cr_assert_eq(run_stat(&r, "proc.c3.cow_copies"), 16);
	cr_assert_eq(run_stat(&r, "proc.c3.minflt"), 16);
	cr_assert_eq(run_stat(&r, "run.process_exits"), 9);
	conserved(&r);
	run_free(&r);
}

/* ---- layout, brk, procfs ---- */

/* A full layout: maps lists text, data, heap, an mmap, the stack with
 * Linux's addresses (no randomisation); smaps_rollup and status add up. */
Test(vm, layout_maps_smaps_status)
{
	struct run r;
	run_text(&r, NULL,
	     "{'processes': [{'name': 'app', 'layout': 'standard', 'threads': [{'cpu': 0,"
	     " 'ops': [{'op': 'brk', 'grow': '64K'},"
	     "  {'op': 'seq', 'base': 'heap', 'length': '64K', 'size': 8, 'write': 1},"
	     "  {'op': 'mmap', 'name': 'buf', 'length': '1M'},"
	     "  {'op': 'stride', 'base': 'buf', 'length': '1M', 'stride': 4096, 'write': 1},"
	     "  {'op': 'write', 'addr': 'stack', 'value': 7},"
	     "  {'op': 'write', 'addr': 'data', 'value': 1},"
	     "  {'op': 'read', 'addr': 'text'},"
	     "  {'op': 'procfs', 'file': 'maps'},"
	     "  {'op': 'procfs', 'file': 'smaps_rollup'},"
	     "  {'op': 'procfs', 'file': 'status'}]}]}]}");
	const char *p = machine_procfs(r.m);
	cr_assert(strstr(p, "00400000-00401000 r-xp 00000000 08:01 1048577"
			    "                            /usr/bin/app\n"), "%s", p);
	cr_assert(strstr(p, "00401000-00402000 rw-p 00001000"), "%s", p);
	cr_assert(strstr(p, "00402000-00412000 rw-p 00000000 00:00 0"
			    "                                  [heap]\n"), "%s", p);
	cr_assert(strstr(p, "7ffff7eff000-7ffff7fff000 rw-p 00000000 00:00 0\n"), "%s", p);
	cr_assert(strstr(p, "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0"
			    "                          [stack]\n"), "%s", p);
	/* 16 heap + 256 buf + 1 stack + 1 data pages; the text read maps the
	 * zero page, which counts nowhere */
	cr_assert(strstr(p, "Rss:                1096 kB\n"), "%s", p);
	cr_assert(strstr(p, "Pss:                1096 kB\n"), "%s", p);
	cr_assert(strstr(p, "Private_Dirty:      1096 kB\n"), "%s", p);
	cr_assert(strstr(p, "VmSize:\t    1228 kB\n"), "%s", p);
	cr_assert(strstr(p, "VmRSS:\t    1096 kB\n"), "%s", p);
	cr_assert(strstr(p, "VmData:\t    1092 kB\n"), "%s", p);
	cr_assert(strstr(p, "VmStk:\t     132 kB\n"), "%s", p);
	cr_assert(strstr(p, "VmExe:\t       4 kB\n"), "%s", p);
	cr_assert_eq(run_stat(&r, "mm.brk"), 1);
	conserved(&r);
	run_free(&r);
}

/* After fork, every page is shared: Pss is half of Rss, all of it Shared. */
Test(vm, smaps_rollup_after_fork)
{
	struct run r;
	run_text(&r, NULL,
	     "{'processes': [{'name': 'p', 'threads': [{'cpu': 0, 'ops': ["
	     "  {'op': 'mmap', 'name': 'b', 'length': '64K'},"
	     "  {'op': 'stride', 'base': 'b', 'length': '64K', 'stride': 4096, 'write': 1},"
	     "  {'op': 'fork', 'child': 'c'}, {'op': 'procfs', 'file': 'smaps_rollup'},"
	     "  {'op': 'sleep', 'cycles': 1000000}]}]},"
	     " {'name': 'c', 'forked_from': 'p', 'threads': [{'cpu': 0, 'ops': ["
	     "  {'op': 'compute', 'cycles': 10}]}]}]}");
	const char *p = machine_procfs(r.m);
	cr_assert(strstr(p, "Rss:                  64 kB\n"), "%s", p);
	cr_assert(strstr(p, "Pss:                  32 kB\n"), "%s", p);
	cr_assert(strstr(p, "Shared_Dirty:         64 kB\n"), "%s", p);
	cr_assert(strstr(p, "Private_Dirty:         0 kB\n"), "%s", p);
	conserved(&r);
	run_free(&r);
}

/* Randomised layouts differ by seed and stay inside the user half. */
Test(vm, randomized_layout_moves_with_seed)
{
	const char *t = "{'processes': [{'name': 'app', 'layout': 'randomized', 'threads':"
			" [{'cpu': 0, 'ops': [{'op': 'write', 'addr': 'stack', 'value': 1},"
			" {'op': 'procfs', 'file': 'maps'},"
			" {'op': 'write', 'addr': 'text', 'value': 1}]}]}]}";
	const char *s2[] = { "seed=2", NULL };
	struct run a, b;
	run_text(&a, NULL, t);
	run_text(&b, s2, t);
	cr_assert(strstr(machine_procfs(a.m), "[stack]"));
	cr_assert(strcmp(machine_procfs(a.m), machine_procfs(b.m)) != 0);
	/* the text write failed: text is r-x */
	cr_assert_eq(run_stat(&a, "mm.segv"), 1);
	run_free(&a);
	run_free(&b);
}

/* brk shrink unmaps the pages past the new break. */
Test(vm, brk_grow_and_shrink)
{
	struct run r;
	run_text(&r, NULL,
	     "{'processes': [{'name': 'app', 'layout': 'standard', 'threads': [{'cpu': 0,"
	     " 'ops': [{'op': 'brk', 'grow': '64K'},"
	     "  {'op': 'seq', 'base': 'heap', 'length': '64K', 'size': 8, 'write': 1},"
	     "  {'op': 'brk', 'shrink': '32K'},"
	     "  {'op': 'read', 'addr': 'heap+0x7ff8'},"
	     "  {'op': 'procfs', 'file': 'status'},"
	     "  {'op': 'read', 'addr': 'heap+0x8000'}]}]}]}");
	cr_assert(strstr(machine_procfs(r.m), "VmRSS:\t      32 kB\n"), "%s",
		  machine_procfs(r.m));
	cr_assert_eq(run_stat(&r, "mm.segv"), 1, "the page past the break is gone");
	conserved(&r);
	run_free(&r);
}

/* A grows-down stack VMA extends on a fault just below it. */
Test(vm, stack_grows_down)
{
	struct run r;
	run_text(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'gap', 'addr': '0x10000000', 'length': '4K'},"
		"{'op': 'mmap', 'name': 's', 'addr': '0x20000000', 'length': '8K',"
		" 'flags': ['growsdown', 'fixed']},"
		"{'op': 'write', 'addr': '0x1fffe000', 'value': 3},"
		"{'op': 'read', 'addr': '0x1fffe000', 'expect': 3}"));
	cr_assert_eq(run_stat(&r, "mm.stack_grow"), 1);
	cr_assert_eq(run_stat(&r, "mm.segv"), 0);
	conserved(&r);
	run_free(&r);
}

/* ---- mmap flags, madvise, mlock ---- */

/* MAP_POPULATE faults every page in at mmap: the accesses after it take
 * no page fault. */
Test(vm, map_populate_no_faults_later)
{
	struct run r;
	run_text(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '256K', 'flags': ['populate']},"
		"{'op': 'stride', 'base': 'b', 'length': '256K', 'stride': 4096, 'write': 1}"));
	cr_assert_eq(run_stat(&r, "mm.populate_pages"), 64);
	cr_assert_eq(run_stat(&r, "core0.page_faults"), 0);
	conserved(&r);
	run_free(&r);
}

/* MAP_FIXED_NOREPLACE over an existing mapping fails (EEXIST: killed);
 * MAP_FIXED replaces it. */
Test(vm, fixed_noreplace_refuses)
{
	struct run r;
	run_text(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'a', 'addr': '0x10000000', 'length': '8K', 'fixed': true},"
		"{'op': 'write', 'addr': 'a', 'value': 3},"
		"{'op': 'mmap', 'addr': '0x10000000', 'length': '4K', 'fixed': true},"
		"{'op': 'read', 'addr': 'a', 'expect': 0},"
		"{'op': 'mmap', 'addr': '0x10000000', 'length': '4K', 'flags': ['fixed_noreplace']}"));
	cr_assert_eq(run_stat(&r, "run.process_kills"), 1);
	cr_assert(strstr(machine_events(r.m), "errno 17"), "%s", machine_events(r.m));
	conserved(&r);
	run_free(&r);
}

/* MADV_DONTNEED drops the pages: the next read sees zeros (zero page). */
Test(vm, madvise_dontneed_zeroes)
{
	struct run r;
	run_text(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '16K'},"
		"{'op': 'write', 'addr': 'b', 'value': 3},"
		"{'op': 'write', 'addr': 'b+0x1000', 'value': 4},"
		"{'op': 'madvise', 'addr': 'b', 'length': '4K', 'advice': 'dontneed'},"
		"{'op': 'read', 'addr': 'b', 'expect': 0},"
		"{'op': 'read', 'addr': 'b+0x1000', 'expect': 4},"
		"{'op': 'madvise', 'addr': 'b', 'length': '16K', 'advice': 'free'},"
		"{'op': 'madvise', 'addr': 'b', 'length': '16K', 'advice': 'willneed'}"));
	cr_assert_eq(run_stat(&r, "mm.madvise"), 3);
	cr_assert_eq(run_stat(&r, "mm.pgfault.zero_page"), 1);
	cr_assert_eq(run_stat(&r, "mm.lazyfree_pages"), 1);
	conserved(&r);
	run_free(&r);
}

/* mlock populates and makes DONTNEED fail; munlock lets it through. */
Test(vm, mlock_populates_and_locks)
{
	struct run r;
	run_text(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '32K'},"
		"{'op': 'mlock', 'addr': 'b', 'length': '32K'},"
		"{'op': 'procfs', 'file': 'status'},"
		"{'op': 'munlock', 'addr': 'b', 'length': '32K'},"
		"{'op': 'madvise', 'addr': 'b', 'length': '32K', 'advice': 'dontneed'},"
		"{'op': 'mlock', 'addr': 'b', 'length': '32K'},"
		"{'op': 'madvise', 'addr': 'b', 'length': '32K', 'advice': 'dontneed'}"));
	cr_assert(strstr(machine_procfs(r.m), "VmLck:\t      32 kB\n"), "%s",
		  machine_procfs(r.m));
	cr_assert_eq(run_stat(&r, "mm.populate_pages"), 16);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 1, "DONTNEED on locked memory");
	conserved(&r);
	run_free(&r);
}

/* ---- THP ---- */

#define THP_MAP \
	"{'op': 'mmap', 'name': 'b', 'addr': '0x40000000', 'length': '8M'}," \
	"{'op': 'madvise', 'addr': 'b', 'length': '8M', 'advice': 'hugepage'},"

/* An aligned, madvised 8M range: 4 huge faults map 4 PMDs; with THP off
 * (sysctl) the same touches take 2048 faults. */
Test(vm, thp_fault_vs_never)
{
	struct run r, n;
	run_text(&r, NULL, ONE(THP_MAP
		"{'op': 'write', 'addr': 'b+0x1000', 'value': 5},"
		"{'op': 'stride', 'base': 'b', 'length': '8M', 'stride': 4096, 'write': 1},"
		"{'op': 'read', 'addr': 'b+0x1000', 'expect': 5},"
		"{'op': 'procfs', 'file': 'smaps_rollup'}"));
	cr_assert_eq(run_stat(&r, "mm.thp.fault_alloc"), 4);
	cr_assert_eq(run_stat(&r, "mm.pgfault.anon"), 4);
	cr_assert(strstr(machine_procfs(r.m), "AnonHugePages:      8192 kB\n"));
	conserved(&r);
	run_text(&n, NULL, ONE(
		"{'op': 'sysctl', 'key': 'kernel.thp.enabled', 'value': 'never'}," THP_MAP
		"{'op': 'stride', 'base': 'b', 'length': '8M', 'stride': 4096, 'write': 1}"));
	cr_assert_eq(run_stat(&n, "mm.thp.fault_alloc"), 0);
	cr_assert_eq(run_stat(&n, "mm.pgfault.anon"), 2048);
	conserved(&n);
	run_free(&r);
	run_free(&n);
}

/* No free 2M block: the huge fault falls back to 4K. */
Test(vm, thp_fault_fallback)
{
	struct run r;
	run_text(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'fill', 'length': '61M'},"
		"{'op': 'stride', 'base': 'fill', 'length': '61M', 'stride': 4096, 'write': 1}," THP_MAP
		"{'op': 'write', 'addr': 'b', 'value': 9},"
		"{'op': 'read', 'addr': 'b', 'expect': 9}"));
	cr_assert_eq(run_stat(&r, "mm.thp.fault_alloc"), 0);
	cr_assert_eq(run_stat(&r, "mm.thp.fault_fallback"), 1);
	conserved(&r);
	run_free(&r);
}

/* munmap of one 4K page inside a huge page splits it; values survive. */
Test(vm, thp_partial_munmap_splits)
{
	struct run r;
	run_text(&r, NULL, ONE(THP_MAP
		"{'op': 'write', 'addr': 'b+0x201000', 'value': 5},"
		"{'op': 'munmap', 'addr': 'b+0x200000', 'length': '4K'},"
		"{'op': 'read', 'addr': 'b+0x201000', 'expect': 5},"
		"{'op': 'procfs', 'file': 'smaps_rollup'}"));
	cr_assert_eq(run_stat(&r, "mm.thp.fault_alloc"), 1);
	cr_assert_eq(run_stat(&r, "mm.thp.split_page"), 1);
	cr_assert(strstr(machine_procfs(r.m), "Rss:                2044 kB\n"), "%s",
		  machine_procfs(r.m));
	cr_assert(strstr(machine_procfs(r.m), "AnonHugePages:         0 kB\n"));
	conserved(&r);
	run_free(&r);
}

/* mprotect of part of a huge page splits it too. */
Test(vm, thp_partial_mprotect_splits)
{
	struct run r;
	run_text(&r, NULL, ONE(THP_MAP
		"{'op': 'write', 'addr': 'b', 'value': 5},"
		"{'op': 'mprotect', 'addr': 'b+0x1000', 'length': '4K', 'prot': 'r'},"
		"{'op': 'read', 'addr': 'b', 'expect': 5},"
		"{'op': 'write', 'addr': 'b+0x2000', 'value': 6},"
		"{'op': 'write', 'addr': 'b+0x1000', 'value': 7}"));
	cr_assert_eq(run_stat(&r, "mm.thp.split_page"), 1);
	cr_assert_eq(run_stat(&r, "mm.segv"), 1);
	conserved(&r);
	run_free(&r);
}

/* COW of a huge page after fork: the child's write splits it and copies
 * one 4K page; both sides keep their values; the parent's later write
 * reuses its page. (khugepaged is kept asleep: it would collapse the
 * parent's range again once the child is gone.) */
Test(vm, thp_cow_after_fork)
{
	struct run r;
	const char *no_khugepaged[] = { "kernel.thp.khugepaged.scan_sleep=1000000000000", NULL };
	run_text(&r, no_khugepaged,
	     "{'processes': [{'name': 'p', 'threads': [{'cpu': 0, 'ops': [" THP_MAP
	     "  {'op': 'write', 'addr': 'b', 'value': 1},"
	     "  {'op': 'fork', 'child': 'c'}, {'op': 'sleep', 'cycles': 50000000},"
	     "  {'op': 'read', 'addr': 'b', 'expect': 1},"
	     "  {'op': 'write', 'addr': 'b', 'value': 2},"
	     "  {'op': 'read', 'addr': 'b', 'expect': 2}]}]},"
	     " {'name': 'c', 'forked_from': 'p', 'threads': [{'cpu': 0, 'ops': ["
	     "  {'op': 'read', 'addr': 'b', 'expect': 1},"
	     "  {'op': 'write', 'addr': 'b', 'value': 3},"
	     "  {'op': 'read', 'addr': 'b', 'expect': 3}]}]}]}");
	cr_assert_eq(run_stat(&r, "mm.thp.fault_alloc"), 1);
	cr_assert_eq(run_stat(&r, "mm.thp.split_page"), 1);
	cr_assert_eq(run_stat(&r, "mm.thp.split_pmd"), 2, "both mms' PMDs");
	cr_assert_eq(run_stat(&r, "mm.cow.copy"), 1);
	cr_assert_eq(run_stat(&r, "mm.cow.reuse"), 1);
	conserved(&r);
	run_free(&r);
}

/* khugepaged collapses 512 small pages into a huge page; the data stays. */
#define COLLAPSE_OPS(wait) \
	"{'op': 'mmap', 'name': 'b', 'addr': '0x40000000', 'length': '2M'}," \
	"{'op': 'stride', 'base': 'b', 'length': '2M', 'stride': 4096, 'write': 1}," \
	"{'op': 'write', 'addr': 'b+0x1000', 'value': 11}," \
	"{'op': 'write', 'addr': 'b+0x1ff008', 'value': 12}," \
	wait \
	"{'op': 'read', 'addr': 'b+0x1000', 'expect': 11}," \
	"{'op': 'read', 'addr': 'b+0x1ff008', 'expect': 12}," \
	"{'op': 'procfs', 'file': 'smaps_rollup'}"

Test(vm, khugepaged_collapse_preserves_data)
{
	struct run r;
	const char *fast[] = { "kernel.thp.khugepaged.scan_sleep=100000", NULL };
	run_text(&r, fast, ONE(COLLAPSE_OPS(
		"{'op': 'madvise', 'addr': 'b', 'length': '2M', 'advice': 'hugepage'},"
		"{'op': 'sleep', 'cycles': 1000000},")));
	cr_assert_eq(run_stat(&r, "mm.thp.collapse_alloc"), 1);
	cr_assert_geq(run_stat(&r, "mm.thp.khugepaged.pages_scanned"), 512);
	cr_assert(strstr(machine_procfs(r.m), "AnonHugePages:      2048 kB\n"), "%s",
		  machine_procfs(r.m));
	conserved(&r);
	run_free(&r);
}

Test(vm, madv_collapse_preserves_data)
{
	struct run r;
	run_text(&r, NULL, ONE(COLLAPSE_OPS(
		"{'op': 'madvise', 'addr': 'b', 'length': '2M', 'advice': 'collapse'},")));
	cr_assert_eq(run_stat(&r, "mm.thp.collapse_alloc"), 1);
	cr_assert(strstr(machine_procfs(r.m), "AnonHugePages:      2048 kB\n"));
	conserved(&r);
	run_free(&r);
}

/* The huge zero page: reading 8M of an untouched THP range maps it by 4
 * PMDs (one allocation of 512 frames, shared, not in RSS, reads see
 * zeros); a write into one of them splits that PMD into 512 zero-page
 * PTEs (one page table) and copies one 4K page; exit frees the huge zero
 * page once its last PMD is gone. With use_zero_page off the reads
 * allocate 4 huge pages instead. */
Test(vm, huge_zero_page_read_then_write)
{
	struct run r, n;
	run_text(&r, NULL, ONE(THP_MAP
		"{'op': 'stride', 'base': 'b', 'length': '8M', 'stride': 4096},"
		"{'op': 'read', 'addr': 'b+0x201000', 'expect': 0},"
		"{'op': 'procfs', 'file': 'smaps_rollup'},"
		"{'op': 'write', 'addr': 'b+0x201000', 'value': 4},"
		"{'op': 'read', 'addr': 'b+0x201000', 'expect': 4},"
		"{'op': 'read', 'addr': 'b+0x202000', 'expect': 0},"
		"{'op': 'read', 'addr': 'b+0x600000', 'expect': 0}"));
	cr_assert_eq(run_stat(&r, "mm.thp.zero_page_alloc"), 1);
	cr_assert_eq(run_stat(&r, "mm.thp.zero_page_fault"), 4);
	cr_assert_eq(run_stat(&r, "mm.thp.fault_alloc"), 0);
	cr_assert_eq(run_stat(&r, "mm.thp.split_pmd"), 1);
	cr_assert_eq(run_stat(&r, "mm.cow.zero_page"), 1);
	cr_assert_eq(run_stat(&r, "proc.p.minflt"), 5);
	cr_assert(strstr(machine_procfs(r.m), "Rss:                   0 kB\n"));
	/* PML4 + PDPT + PD, the huge zero page, the split's table, one page */
	cr_assert_eq(run_stat(&r, "mm.pgalloc"), 3 + 512 + 1 + 1);
	conserved(&r);
	static const char *const off[] = { "kernel.thp.use_zero_page=false", NULL };
	run_text(&n, off, ONE(THP_MAP
		"{'op': 'stride', 'base': 'b', 'length': '8M', 'stride': 4096}"));
	cr_assert_eq(run_stat(&n, "mm.thp.zero_page_alloc"), 0);
	cr_assert_eq(run_stat(&n, "mm.thp.fault_alloc"), 4);
	conserved(&n);
	run_free(&r);
	run_free(&n);
}

/* fork copies a huge zero PMD (one more user); the child's write splits
 * only its own PMD; the parent still reads zeros through its PMD. */
Test(vm, huge_zero_page_fork)
{
	struct run r;
	run_text(&r, NULL,
		"{'processes': ["
		" {'name': 'parent', 'threads': [{'cpu': 0, 'ops': [" THP_MAP
		"   {'op': 'read', 'addr': 'b+0x1000', 'expect': 0},"
		"   {'op': 'fork', 'child': 'child'},"
		"   {'op': 'sleep', 'cycles': 10000000},"
		"   {'op': 'read', 'addr': 'b+0x1000', 'expect': 0}]}]},"
		" {'name': 'child', 'forked_from': 'parent', 'threads': [{'cpu': 0, 'ops': ["
		"   {'op': 'write', 'addr': 'b+0x1000', 'value': 3},"
		"   {'op': 'read', 'addr': 'b+0x1000', 'expect': 3}]}]}]}");
	cr_assert_eq(run_stat(&r, "mm.thp.zero_page_alloc"), 1);
	cr_assert_eq(run_stat(&r, "mm.thp.split_pmd"), 1);
	cr_assert_eq(run_stat(&r, "mm.cow.zero_page"), 1);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 0);
	conserved(&r);
	run_free(&r);
}
