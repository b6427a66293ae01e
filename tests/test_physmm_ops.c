/* The page-allocator trace ops (docs/phys-mm.md) on a whole machine:
 * alloc_pages/free_pages with gfp names and nodes, snapshot, compact,
 * drop_caches, NUMA policies, and their bad-input messages. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "lib/stats.h"
#include "tests/scenario_run.h"

#define ONE_THREAD(ops) "{'processes': [{'name': 'p', 'threads': [{'cpu': 0, 'ops': [" ops "]}]}]}"

Test(physmm_ops, alloc_free_snapshot_compact_drop)
{
	struct run r;
	const char *sets[] = { "cores=2", "memory.numa.nodes=2", NULL };
	run_text(&r, sets, ONE_THREAD(
		"{'op': 'alloc_pages', 'name': 'a', 'order': 3, 'gfp': 'GFP_KERNEL|__GFP_ZERO'},"
		"{'op': 'alloc_pages', 'name': 'b', 'gfp': ['GFP_ATOMIC'], 'node': 1},"
		"{'op': 'alloc_pages', 'name': 'big', 'order': 12},"
		"{'op': 'snapshot', 'name': 'held'},"
		"{'op': 'free_pages', 'name': 'a'},"
		"{'op': 'free_pages', 'name': 'b'},"
		"{'op': 'compact'},"
		"{'op': 'drop_caches'},"
		"{'op': 'snapshot', 'name': 'held'}"));
	/* node 1's allocation from a core of node 0 */
	cr_assert_eq(run_stat(&r, "numa.node1.numa_hit"), 1);
	cr_assert_eq(run_stat(&r, "numa.node1.other_node"), 1);
	/* order 12 is beyond kernel.max_order 11: fails, an event */
	cr_assert_eq(run_stat(&r, "mm.page_alloc.fail"), 1);
	cr_assert(strstr(machine_events(r.m), "alloc_pages \"big\" of order 12 failed"));
	/* the first snapshot saw the 8 + 1 frames held (buddy + pcp lists) */
	uint64_t held = run_stat(&r, "snapshot.held.buddy.node0.dma32.free_pages") +
			run_stat(&r, "snapshot.held.buddy.node0.dma32.pcp_pages") +
			run_stat(&r, "snapshot.held.buddy.node1.dma32.free_pages") +
			run_stat(&r, "snapshot.held.buddy.node1.dma32.pcp_pages");
	uint64_t now = run_stat(&r, "snapshot.held.2.buddy.node0.dma32.free_pages") +
		       run_stat(&r, "snapshot.held.2.buddy.node1.dma32.free_pages");
	cr_assert_eq(now - held, 9, "held %llu, later %llu", (unsigned long long)held,
		     (unsigned long long)now);
	/* drop_caches emptied the per-cpu lists */
	cr_assert_eq(run_stat(&r, "snapshot.held.2.buddy.node0.dma32.pcp_pages"), 0);
	cr_assert_eq(run_stat(&r, "mm.compact.run"), 3, "every populated zone");
	assert_conserved(&r);
	run_free(&r);
}

Test(physmm_ops, interleave_policy_spreads_pages_over_nodes)
{
	struct run r;
	const char *sets[] = { "cores=2", "memory.numa.nodes=2", NULL };
	run_text(&r, sets, ONE_THREAD(
		"{'op': 'set_mempolicy', 'mode': 'interleave', 'nodes': [0, 1]},"
		"{'op': 'mmap', 'name': 'm', 'length': '256K'},"
		"{'op': 'seq', 'base': 'm', 'length': '256K', 'size': 8, 'write': 1}"));
	/* 64 pages, round robin: 32 on each node, each where the policy said */
	cr_assert_eq(run_stat(&r, "numa.node0.interleave_hit"), 32);
	cr_assert_eq(run_stat(&r, "numa.node1.interleave_hit"), 32);
	assert_conserved(&r);
	run_free(&r);
}

Test(physmm_ops, bind_policy_keeps_pages_on_its_node)
{
	struct run r;
	const char *sets[] = { "cores=2", "memory.numa.nodes=2", NULL };
	run_text(&r, sets, ONE_THREAD(
		"{'op': 'set_mempolicy', 'mode': 'bind', 'nodes': [1]},"
		"{'op': 'mmap', 'name': 'm', 'length': '128K'},"
		"{'op': 'seq', 'base': 'm', 'length': '128K', 'size': 8, 'write': 1}"));
	/* the 32 user pages on node 1 although the core is on node 0 */
	cr_assert_geq(run_stat(&r, "numa.node1.other_node"), 32);
	cr_assert_eq(run_stat(&r, "numa.node0.numa_miss"), 0);
	assert_conserved(&r);
	run_free(&r);
}

static void expect_bad(const char *ops, const char *needle)
{
	char path[] = "/tmp/mmsim-pmops-XXXXXX", err[MMSIM_ERR_LEN];
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (const char *p = ops; *p; p++)
		fputc(*p == '\'' ? '"' : *p, f);
	fclose(f);
	struct trace tr;
	cr_assert_neq(trace_load(&tr, path, err), 0, "accepted: %s", ops);
	cr_assert(strstr(err, needle), "message \"%s\" lacks \"%s\"", err, needle);
	unlink(path);
}

Test(physmm_ops, bad_input_is_named)
{
	expect_bad(ONE_THREAD("{'op': 'alloc_pages', 'name': 'a', 'gfp': 'GFP_BOGUS'}"),
		   "ops[0].gfp: unknown GFP flag \"GFP_BOGUS\"");
	expect_bad(ONE_THREAD("{'op': 'alloc_pages', 'name': 'a', 'order': 20}"),
		   "ops[0].order: must be 0 to 19");
	expect_bad(ONE_THREAD("{'op': 'free_pages', 'name': 'nothing'}"),
		   "ops[0].name: unknown page block \"nothing\"");
	expect_bad(ONE_THREAD("{'op': 'set_mempolicy', 'mode': 'bind'}"),
		   "ops[0].nodes: mode \"bind\" needs a non-empty list of nodes");
	expect_bad(ONE_THREAD("{'op': 'set_mempolicy', 'mode': 'sometimes'}"),
		   "ops[0].mode: expected one of");
	expect_bad(ONE_THREAD("{'op': 'compact', 'node': 9}"), "ops[0].node: must be a node");
	expect_bad(ONE_THREAD("{'op': 'drop_caches', 'value': 4}"), "ops[0].value: must be 1, 2 or 3");
}
