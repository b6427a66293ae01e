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

struct vrun {
	struct mmsim_cfg cfg;
	struct trace tr;
	struct machine *m;
	char path[64];
};

/* configs/tiny.json plus overrides; single quotes stand for double quotes. */
static void vrun(struct vrun *r, const char *const *sets, const char *json)
{
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&r->cfg);
	cr_assert_eq(cfg_load(&r->cfg, "configs/tiny.json", err), 0, "%s", err);
	for (; sets && *sets; sets++)
		cr_assert_eq(cfg_set(&r->cfg, *sets, "-s", err), 0, "%s", err);
	cr_assert_eq(cfg_check(&r->cfg, "test", err), 0, "%s", err);
	strcpy(r->path, "/tmp/mmsim-vm-XXXXXX");
	int fd = mkstemp(r->path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (const char *p = json; *p; p++)
		fputc(*p == '\'' ? '"' : *p, f);
	fclose(f);
	cr_assert_eq(trace_load(&r->tr, r->path, err), 0, "%s", err);
	r->m = machine_create(&r->cfg, &r->tr, true, err);
	cr_assert(r->m, "%s", err);
	cr_assert_eq(machine_run(r->m, err), 0, "--check: %s", err);
}

static void vfree(struct vrun *r)
{
	machine_destroy(r->m);
	trace_free(&r->tr);
	unlink(r->path);
}

static uint64_t vstat(struct vrun *r, const char *name)
{
	uint64_t v;
	cr_assert(stats_get(machine_stats(r->m), name, &v), "no counter %s", name);
	return v;
}

/* Every frame is back once every process is gone. */
static void conserved(struct vrun *r)
{
	cr_assert_eq(vstat(r, "mm.pgalloc"), vstat(r, "mm.pgfree"));
	cr_assert_eq(machine_mismatches(r->m), 0, "%s", machine_events(r->m));
}

#define ONE(ops) "{'processes': [{'name': 'p', 'threads': [{'cpu': 0, 'ops': [" ops "]}]}]}"

/* Reading 256 untouched pages maps the zero page 256 times: no page is
 * allocated except the 4 page tables (PML4 at boot, PDPT, PD, PT), and the
 * reads see zeros. Writing them afterwards replaces each zero-page mapping
 * with a fresh zeroed page (256 write-protect faults, 256 allocations). */
Test(vm, zero_page_on_read)
{
	struct vrun r;
	vrun(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '1M'},"
		"{'op': 'stride', 'base': 'b', 'length': '1M', 'stride': 4096},"
		"{'op': 'read', 'addr': 'b+0x5000', 'expect': 0},"
		"{'op': 'compute', 'cycles': 1},"
		"{'op': 'stride', 'base': 'b', 'length': '1M', 'stride': 4096, 'write': 1},"
		"{'op': 'read', 'addr': 'b+0x5000', 'expect': 0}"));
	cr_assert_eq(vstat(&r, "mm.pgfault.zero_page"), 256);
	cr_assert_eq(vstat(&r, "mm.pgfault.anon"), 256);
	cr_assert_eq(vstat(&r, "mm.cow.zero_page"), 256);
	cr_assert_eq(vstat(&r, "mm.pgfault.wp"), 256);
	cr_assert_eq(vstat(&r, "mm.pgalloc"), 4 + 256);
	cr_assert_eq(vstat(&r, "proc.p.minflt"), 512);
	conserved(&r);
	vfree(&r);
}

/* Demand paging: N pages written, N minor faults, N pages allocated. */
Test(vm, demand_paging_counts)
{
	struct vrun r;
	vrun(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '400K'},"
		"{'op': 'stride', 'base': 'b', 'length': '400K', 'stride': 4096, 'write': 1}"));
	cr_assert_eq(vstat(&r, "mm.pgfault.anon"), 100);
	cr_assert_eq(vstat(&r, "proc.p.minflt"), 100);
	cr_assert_eq(vstat(&r, "proc.p.majflt"), 0);
	cr_assert_eq(vstat(&r, "proc.p.vmhwm_pages"), 100);
	cr_assert_eq(vstat(&r, "mm.pgalloc"), 4 + 100);
	conserved(&r);
	vfree(&r);
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
	struct vrun r;
	vrun(&r, NULL, FORK_TRACE);
	cr_assert_eq(vstat(&r, "mm.fork"), 1);
	cr_assert_eq(vstat(&r, "mm.cow.copy"), 2, "child wrote two shared pages");
	cr_assert_eq(vstat(&r, "proc.child.cow_copies"), 2);
	cr_assert_eq(vstat(&r, "proc.parent.cow_copies"), 0);
	cr_assert_eq(vstat(&r, "mm.cow.reuse"), 1, "parent's page had one mapping left");
	cr_assert_eq(vstat(&r, "run.process_exits"), 2);
	/* fork write-protected the parent's 4 PTEs: one flush of 4 pages */
	cr_assert_eq(vstat(&r, "mm.tlbflush.cause.fork"), 1);
	cr_assert_eq(vstat(&r, "mm.tlbflush.cause.cow"), 2);
	conserved(&r);
	vfree(&r);
}

/* The parent's threads run on two cores: the fork's write-protection must
 * reach the other core's TLB by a shootdown IPI (the compute lets core 1
 * load the parent's mm after the barrier before the fork). */
Test(vm, fork_shoots_down_parent_tlbs)
{
	struct vrun r;
	const char *two[] = { "cores=2", NULL };
	vrun(&r, two,
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
	cr_assert_eq(vstat(&r, "mm.tlbflush.shootdown.fork"), 1);
	cr_assert_geq(vstat(&r, "core1.ipi.received"), 1);
	conserved(&r);
	vfree(&r);
}

/* exec: the old address space is torn down (every page and table freed),
 * the process continues in a new, empty one. */
Test(vm, exec_replaces_the_address_space)
{
	struct vrun r;
	vrun(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '64K'},"
		"{'op': 'stride', 'base': 'b', 'length': '64K', 'stride': 4096, 'write': 1},"
		"{'op': 'exec'},"
		"{'op': 'mmap', 'name': 'c', 'length': '8K'},"
		"{'op': 'write', 'addr': 'c', 'value': 3},"
		"{'op': 'read', 'addr': 'c', 'expect': 3}"));
	cr_assert_eq(vstat(&r, "mm.exec"), 1);
	cr_assert_eq(vstat(&r, "mm.pgfault.anon"), 17);
	cr_assert_eq(vstat(&r, "proc.p.minflt"), 17);
	conserved(&r);
	vfree(&r);
}

/* A region of the old image is gone after exec: touching it is SIGSEGV. */
Test(vm, exec_unmaps_old_regions)
{
	struct vrun r;
	vrun(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '8K'},"
		"{'op': 'exec'},"
		"{'op': 'write', 'addr': 'b', 'value': 3}"));
	cr_assert_eq(vstat(&r, "run.process_kills"), 1);
	conserved(&r);
	vfree(&r);
}

/* munmap of the middle of a VMA splits it; the pages on both sides keep
 * their values; the middle is SIGSEGV afterwards. */
Test(vm, munmap_middle_splits)
{
	struct vrun r;
	vrun(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '12K'},"
		"{'op': 'write', 'addr': 'b', 'value': 1},"
		"{'op': 'write', 'addr': 'b+0x2000', 'value': 3},"
		"{'op': 'munmap', 'addr': 'b+0x1000', 'length': '4K'},"
		"{'op': 'read', 'addr': 'b', 'expect': 1},"
		"{'op': 'read', 'addr': 'b+0x2000', 'expect': 3},"
		"{'op': 'read', 'addr': 'b+0x1000'}"));
	cr_assert_eq(vstat(&r, "run.process_kills"), 1);
	cr_assert_eq(vstat(&r, "mm.segv"), 1);
	conserved(&r);
	vfree(&r);
}

/* mprotect read-only then write: SIGSEGV (the run goes on). */
Test(vm, mprotect_readonly_write_segv)
{
	struct vrun r;
	vrun(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '8K'},"
		"{'op': 'write', 'addr': 'b', 'value': 1},"
		"{'op': 'mprotect', 'addr': 'b', 'length': '8K', 'prot': 'r'},"
		"{'op': 'read', 'addr': 'b', 'expect': 1},"
		"{'op': 'write', 'addr': 'b', 'value': 2}"));
	cr_assert_eq(vstat(&r, "mm.segv"), 1);
	cr_assert_eq(vstat(&r, "run.process_kills"), 1);
	conserved(&r);
	vfree(&r);
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
	struct vrun r;
	vrun(&r, NULL, json);
	cr_assert_eq(vstat(&r, "mm.fork"), 8);
	cr_assert_eq(vstat(&r, "mm.cow.copy"), 8 * 16);
	cr_assert_eq(vstat(&r, "proc.c3.cow_copies"), 16);
	cr_assert_eq(vstat(&r, "proc.c3.minflt"), 16);
	cr_assert_eq(vstat(&r, "run.process_exits"), 9);
	conserved(&r);
	vfree(&r);
}
