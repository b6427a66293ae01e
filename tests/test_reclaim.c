/* Scenario tests of reclaim and swap (issue reclaim): working sets larger
 * than memory with swap keep their data, fork shares swap slots, mlock keeps
 * pages resident, the OOM killer spares oom_score_adj -1000. Each runs on a
 * 16 MiB machine with --check after every kernel operation. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "src/machine.h"
#include "tests/scenario_run.h"

static const char *const small_swap[] = { "memory.size=16M", "swap.size=64M", NULL };

#define ONE(ops) "{'processes': [{'name': 'p', 'threads': [{'cpu': 0, 'ops': [" ops "]}]}]}"

/* Twice the RAM with swap: every page is written with its own address and
 * read back twice; the values survive the round trip through the swap
 * device, pages went out and came back, and every frame and slot is given
 * back at the end. */
Test(reclaim, working_set_twice_ram_reads_back)
{
	struct run r;
	run_text(&r, small_swap, ONE(
		"{'op': 'mmap', 'name': 'ws', 'length': '32M'},"
		"{'op': 'stride', 'base': 'ws', 'length': '32M', 'stride': 4096, 'write': 1,"
		" 'check': true},"
		"{'op': 'stride', 'base': 'ws', 'length': '32M', 'stride': 4096, 'check': true},"
		"{'op': 'stride', 'base': 'ws', 'length': '32M', 'stride': 4096, 'check': true}"));
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_gt(run_stat(&r, "mm.swap.pswpout"), 4096);
	cr_assert_gt(run_stat(&r, "mm.swap.pswpin"), 4096);
	cr_assert_gt(run_stat(&r, "proc.p.majflt"), 0);
	cr_assert_eq(run_stat(&r, "mm.pgmajfault"), run_stat(&r, "proc.p.majflt"));
	cr_assert_gt(run_stat(&r, "mm.vmscan.pgsteal_kswapd"), 0);
	cr_assert_eq(run_stat(&r, "mm.oom_kill"), 0);
	cr_assert_eq(run_stat(&r, "swap.0.inuse"), 0);
	cr_assert_eq(run_stat(&r, "mm.pgalloc"), run_stat(&r, "mm.pgfree"));
	run_free(&r);
}

/* Without kswapd every page comes back through direct reclaim, and the
 * values are the same. */
Test(reclaim, direct_reclaim_only)
{
	static const char *const sets[] = { "memory.size=16M", "swap.size=64M",
					    "kernel.kswapd=false", NULL };
	struct run r;
	run_text(&r, sets, ONE(
		"{'op': 'mmap', 'name': 'ws', 'length': '24M'},"
		"{'op': 'stride', 'base': 'ws', 'length': '24M', 'stride': 4096, 'write': 1,"
		" 'check': true},"
		"{'op': 'stride', 'base': 'ws', 'length': '24M', 'stride': 4096, 'check': true}"));
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_eq(run_stat(&r, "mm.vmscan.pageoutrun"), 0);
	cr_assert_eq(run_stat(&r, "mm.vmscan.pgsteal_kswapd"), 0);
	cr_assert_gt(run_stat(&r, "mm.vmscan.allocstall"), 0);
	cr_assert_gt(run_stat(&r, "mm.vmscan.pgsteal_direct"), 0);
	run_free(&r);
}

/* fork after the parent's pages were swapped out: both hold the swap
 * entries; the child rewrites a quarter of them (COW from the swap cache),
 * the parent reads all of its own; every slot is freed at the end. */
Test(reclaim, fork_shares_swap_entries)
{
	struct run r;
	run_text(&r, small_swap,
		"{'processes': ["
		" {'name': 'parent', 'threads': [{'cpu': 0, 'ops': ["
		"  {'op': 'mmap', 'name': 'a', 'length': '8M'},"
		"  {'op': 'stride', 'base': 'a', 'length': '8M', 'stride': 4096, 'write': 1,"
		"   'check': true},"
		"  {'op': 'mmap', 'name': 'b', 'length': '16M'},"
		"  {'op': 'stride', 'base': 'b', 'length': '16M', 'stride': 4096, 'write': 1},"
		"  {'op': 'fork', 'child': 'child'},"
		"  {'op': 'stride', 'base': 'a', 'length': '8M', 'stride': 4096, 'check': true}"
		" ]}]},"
		" {'name': 'child', 'forked_from': 'parent', 'threads': [{'cpu': 0, 'ops': ["
		"  {'op': 'write', 'addr': 'a+0x3000', 'value': 0},"
		"  {'op': 'stride', 'base': 'a', 'length': '4M', 'stride': 8192, 'write': 1,"
		"   'check': true},"
		"  {'op': 'read', 'addr': 'a+0x3000', 'expect': 0},"
		"  {'op': 'stride', 'base': 'a', 'length': '8M', 'stride': 8192, 'check': true}"
		" ]}]}]}");
	/* the child saw its own writes, the parent (checking every page) its
	 * own values, the 0 the child wrote at 0x3000 included */
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_gt(run_stat(&r, "mm.swap.pswpout"), 0);
	cr_assert_gt(run_stat(&r, "mm.cow.copy"), 0);
	cr_assert_eq(run_stat(&r, "swap.0.inuse"), 0);
	cr_assert_eq(run_stat(&r, "mm.pgalloc"), run_stat(&r, "mm.pgfree"));
	run_free(&r);
}

/* mlock()ed pages are never swapped out, whatever the pressure: they sit on
 * the unevictable list; other pages go to swap around them. */
Test(reclaim, mlocked_pages_stay)
{
	struct run r;
	run_text(&r, small_swap, ONE(
		"{'op': 'mmap', 'name': 'hot', 'length': '4M'},"
		"{'op': 'stride', 'base': 'hot', 'length': '4M', 'stride': 4096, 'write': 1,"
		" 'check': true},"
		"{'op': 'mlock', 'addr': 'hot', 'length': '4M'},"
		"{'op': 'mmap', 'name': 'cold', 'length': '24M'},"
		"{'op': 'stride', 'base': 'cold', 'length': '24M', 'stride': 4096, 'write': 1},"
		"{'op': 'compute', 'cycles': 1},"
		"{'op': 'stride', 'base': 'hot', 'length': '4M', 'stride': 4096, 'check': true}"));
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_gt(run_stat(&r, "mm.swap.pswpout"), 0);
	/* the last pass over the locked pages faulted nothing in */
	cr_assert_eq(run_stat(&r, "proc.p.majflt"), 0);
	run_free(&r);
}

/* No swap: anonymous memory cannot be reclaimed, the OOM killer runs. The
 * process with the highest badness dies unless its oom_score_adj is -1000:
 * "keeper" holds more memory than "grower" but is never chosen, so the
 * grower, which asks for the memory, is killed. */
Test(reclaim, oom_spares_score_adj_minus_1000)
{
	static const char *const sets[] = { "memory.size=16M", NULL };
	struct run r;
	run_text(&r, sets,
		"{'processes': ["
		" {'name': 'keeper', 'oom_score_adj': -1000, 'threads': [{'cpu': 0, 'ops': ["
		"  {'op': 'mmap', 'name': 'k', 'length': '8M'},"
		"  {'op': 'stride', 'base': 'k', 'length': '8M', 'stride': 4096, 'write': 1},"
		"  {'op': 'sleep', 'cycles': 1000000000},"
		"  {'op': 'read', 'addr': 'k', 'expect': 0}"
		" ]}]},"
		" {'name': 'small', 'threads': [{'cpu': 0, 'ops': ["
		"  {'op': 'mmap', 'name': 's', 'length': '1M'},"
		"  {'op': 'stride', 'base': 's', 'length': '1M', 'stride': 4096, 'write': 1},"
		"  {'op': 'sleep', 'cycles': 1000000000}"
		" ]}]},"
		" {'name': 'grower', 'threads': [{'cpu': 0, 'ops': ["
		"  {'op': 'sleep', 'cycles': 100000000},"
		"  {'op': 'mmap', 'name': 'g', 'length': '16M'},"
		"  {'op': 'stride', 'base': 'g', 'length': '16M', 'stride': 4096, 'write': 1}"
		" ]}]}]}");
	const char *ev = machine_events(r.m);
	cr_assert(strstr(ev, "process grower"), "%s", ev);
	cr_assert(strstr(ev, "Out of memory"), "%s", ev);
	cr_assert_null(strstr(ev, "process keeper"), "%s", ev);
	cr_assert_eq(run_stat(&r, "mm.oom_kill"), 1);
	cr_assert_eq(machine_kills(r.m), 1);
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", ev);
	run_free(&r);
}

/* The OOM killer kills another process when it has the highest badness:
 * "hog" holds 11 MiB and sleeps; "asker" then needs more; hog dies, its
 * memory goes back, asker finishes. */
Test(reclaim, oom_kills_the_biggest_other_process)
{
	static const char *const sets[] = { "memory.size=16M", NULL };
	struct run r;
	run_text(&r, sets,
		"{'processes': ["
		" {'name': 'hog', 'threads': [{'cpu': 0, 'ops': ["
		"  {'op': 'mmap', 'name': 'h', 'length': '11M'},"
		"  {'op': 'stride', 'base': 'h', 'length': '11M', 'stride': 4096, 'write': 1},"
		"  {'op': 'sleep', 'cycles': 1000000000}"
		" ]}]},"
		" {'name': 'asker', 'threads': [{'cpu': 0, 'ops': ["
		"  {'op': 'sleep', 'cycles': 100000000},"
		"  {'op': 'mmap', 'name': 'a', 'length': '6M'},"
		"  {'op': 'stride', 'base': 'a', 'length': '6M', 'stride': 4096, 'write': 1,"
		"   'check': true},"
		"  {'op': 'stride', 'base': 'a', 'length': '6M', 'stride': 4096, 'check': true}"
		" ]}]}]}");
	const char *ev = machine_events(r.m);
	cr_assert(strstr(ev, "process hog killed by the OOM killer"), "%s", ev);
	cr_assert_null(strstr(ev, "process asker"), "%s", ev);
	cr_assert_eq(run_stat(&r, "mm.oom_kill"), 1);
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", ev);
	cr_assert_eq(run_stat(&r, "mm.pgalloc"), run_stat(&r, "mm.pgfree"));
	run_free(&r);
}

/* The two-list LRU: a sequential read() of a file twice the size of RAM
 * does not push out a hot anonymous working set that is used between the
 * reads. The file's pages are read once and stay on the inactive list,
 * where reclaim takes them; the hot pages are referenced again and again,
 * so reclaim finds their Accessed bits set and keeps them: none is written
 * to swap (no major fault on them), though swap is there. */
Test(reclaim, file_scan_spares_hot_anon)
{
	static const char *const sets[] = { "memory.size=16M", "swap.size=64M", NULL };
	char json[16384];
	int n = snprintf(json, sizeof(json),
		"{'files': [{'name': 'big', 'size': '32M'}],"
		" 'processes': [{'name': 'p', 'threads': [{'cpu': 0, 'ops': ["
		"  {'op': 'mmap', 'name': 'hot', 'length': '4M'},"
		"  {'op': 'stride', 'base': 'hot', 'length': '4M', 'stride': 4096, 'write': 1,"
		"   'check': true},"
		"  {'op': 'mmap', 'name': 'buf', 'length': '1M'}");
	for (int i = 0; i < 32; i++)
		n += snprintf(json + n, sizeof(json) - (size_t)n,
			      ", {'op': 'read', 'file': 'big', 'offset': '%dM', 'length': '1M',"
			      " 'buf': 'buf'},"
			      " {'op': 'stride', 'base': 'hot', 'length': '4M', 'stride': 4096,"
			      " 'check': true}", i);
	snprintf(json + n, sizeof(json) - (size_t)n, "]}]}]}");
	struct run r;
	run_text(&r, sets, json);
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_gt(run_stat(&r, "mm.vmscan.pgsteal_file"), 4096);
	/* anon pages were looked at (swappiness 60), but each time their
	 * Accessed bits said they were in use: none went to swap */
	cr_assert_gt(run_stat(&r, "mm.vmscan.pgscan_anon"), 0);
	cr_assert_eq(run_stat(&r, "mm.swap.pswpout"), 0);
	cr_assert_eq(run_stat(&r, "proc.p.majflt"), 0);
	cr_assert_eq(run_stat(&r, "mm.swap.pswpin"), 0);
	run_free(&r);
}

/* vm.swappiness moves reclaim between anon and file pages in the
 * documented direction: at 0 the page cache gives everything it can before
 * any anonymous page is swapped; at 200 anonymous pages go first. */
static void swappiness_run(const char *value, uint64_t *anon, uint64_t *file)
{
	char set[64];
	snprintf(set, sizeof(set), "kernel.swappiness=%s", value);
	const char *sets[] = { "memory.size=16M", "swap.size=64M", set, NULL };
	char json[16384];
	int n = snprintf(json, sizeof(json),
		"{'files': [{'name': 'f', 'size': '6M'}],"
		" 'processes': [{'name': 'p', 'threads': [{'cpu': 0, 'ops': ["
		"  {'op': 'mmap', 'name': 'a', 'length': '6M'},"
		"  {'op': 'stride', 'base': 'a', 'length': '6M', 'stride': 4096, 'write': 1,"
		"   'check': true},"
		"  {'op': 'mmap', 'name': 'buf', 'length': '64K'}");
	for (int i = 0; i < 96; i++)     /* the file, 64K at a time */
		n += snprintf(json + n, sizeof(json) - (size_t)n,
			      ", {'op': 'read', 'file': 'f', 'offset': '%dK', 'length': '64K',"
			      " 'buf': 'buf'}", 64 * i);
	snprintf(json + n, sizeof(json) - (size_t)n,
		 ", {'op': 'mmap', 'name': 'more', 'length': '6M'},"
		 "  {'op': 'stride', 'base': 'more', 'length': '6M', 'stride': 4096, 'write': 1},"
		 "  {'op': 'stride', 'base': 'a', 'length': '6M', 'stride': 4096, 'check': true}"
		 "]}]}]}");
	struct run r;
	run_text(&r, sets, json);
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	*anon = run_stat(&r, "mm.vmscan.pgsteal_anon");
	*file = run_stat(&r, "mm.vmscan.pgsteal_file");
	run_free(&r);
}

Test(reclaim, swappiness_direction)
{
	uint64_t a0, f0, a200, f200;
	swappiness_run("0", &a0, &f0);
	swappiness_run("200", &a200, &f200);
	cr_assert_gt(a200, a0, "anon reclaimed: %llu at 200, %llu at 0",
		     (unsigned long long)a200, (unsigned long long)a0);
	cr_assert_gt(f0, f200, "file reclaimed: %llu at 0, %llu at 200",
		     (unsigned long long)f0, (unsigned long long)f200);
}
