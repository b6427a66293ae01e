/* Scenario tests: small traces run on a whole machine, in-process, with
 * --check on; each asserts exact counters. Cycle figures are derived from the
 * config in comments, so a change of model shows up as a failing sum. */
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

#define ONE_THREAD(ops) \
	"{'processes': [{'name': 'p', 'threads': [{'cpu': 0, 'ops': [" ops "]}]}]}"

/* Touch N pages once with a stride of 4K. Each first touch misses the
 * dTLB, walks, faults, and after the kernel maps the page misses and walks
 * again: 2N misses, 2N walks, N of them faulting, N anonymous faults. */
Test(scenario, first_touch_counts)
{
	struct run r;
	run_text(&r, NULL, ONE_THREAD(
		"{'op': 'mmap', 'name': 'b', 'length': '1M'},"
		"{'op': 'stride', 'base': 'b', 'length': '1M', 'stride': 4096}"));
	cr_assert_eq(run_stat(&r, "mm.pgfault.anon"), 256);
	cr_assert_eq(run_stat(&r, "core0.page_faults"), 256);
	cr_assert_eq(run_stat(&r, "core0.dtlb.miss"), 512);
	cr_assert_eq(run_stat(&r, "core0.dtlb.hit"), 0);
	cr_assert_eq(run_stat(&r, "core0.walk.count"), 512);
	cr_assert_eq(run_stat(&r, "core0.walk.faults"), 256);
	cr_assert_eq(run_stat(&r, "run.accesses"), 256);
	/* 256 pages need one PT (the 1M region sits inside one 2M PD entry... or
	 * two if it straddles); with the PML4 that is 4 or 5 tables. */
	uint64_t pt = run_stat(&r, "mm.pgtable_alloc");
	cr_assert(pt == 4 || pt == 5, "page tables %llu", (unsigned long long)pt);
	assert_conserved(&r);
	run_free(&r);
}

/* tiny.json's L1 dTLB for 4K pages: 16 entries, 4 ways, LRU. A second
 * cyclic pass over E=16 pages all hits; over 2E=32 pages every access misses
 * the L1 (each set cycles through 8 pages with 4 ways under LRU) but hits the
 * 1536-entry STLB, so no walk is needed after the first pass. */
Test(scenario, tlb_reach)
{
	struct run r;
	run_text(&r, NULL, ONE_THREAD(
		"{'op': 'mmap', 'name': 'b', 'length': '64K'},"
		"{'op': 'stride', 'base': 'b', 'length': '64K', 'stride': 4096},"
		"{'op': 'stride', 'base': 'b', 'length': '64K', 'stride': 4096, 'count': 160}"));
	cr_assert_eq(run_stat(&r, "core0.dtlb.hit"), 160);
	cr_assert_eq(run_stat(&r, "core0.dtlb.miss"), 32);
	run_free(&r);

	run_text(&r, NULL, ONE_THREAD(
		"{'op': 'mmap', 'name': 'b', 'length': '128K'},"
		"{'op': 'stride', 'base': 'b', 'length': '128K', 'stride': 4096},"
		"{'op': 'stride', 'base': 'b', 'length': '128K', 'stride': 4096, 'count': 320}"));
	cr_assert_eq(run_stat(&r, "core0.dtlb.hit"), 0);
	cr_assert_eq(run_stat(&r, "core0.dtlb.miss"), 64 + 320);
	cr_assert_eq(run_stat(&r, "core0.stlb.hit.4k"), 320);
	cr_assert_eq(run_stat(&r, "core0.dtlb.miss.4k"), 32 + 320);
	cr_assert_eq(run_stat(&r, "core0.walk.count"), 64);
	run_free(&r);

	/* without an STLB, every one of those misses walks */
	const char *nostlb[] = { "tlb.stlb.entries=0", "tlb.stlb1g.entries=0", NULL };
	run_text(&r, nostlb, ONE_THREAD(
		"{'op': 'mmap', 'name': 'b', 'length': '128K'},"
		"{'op': 'stride', 'base': 'b', 'length': '128K', 'stride': 4096},"
		"{'op': 'stride', 'base': 'b', 'length': '128K', 'stride': 4096, 'count': 320}"));
	cr_assert_eq(run_stat(&r, "core0.walk.count"), 64 + 320);
	run_free(&r);
}

/* The cost of one more access is exactly what the config says. In the flat
 * memory model a dTLB hit costs tlb.l1d.4k.latency + cpu.access +
 * memory.dram_latency; with the cache hierarchy, a read of a line the write
 * just brought into the L1D costs the L1D latency instead. */
Test(scenario, cycle_exact_hit)
{
	const char *flat[] = { "memory.model=flat", NULL };
	struct run a, b;
	const char *base = "{'op': 'mmap', 'name': 'b', 'length': '4K'},"
			   "{'op': 'write', 'addr': 'b', 'value': 1},";
	char ta[512], tb[512];
	snprintf(ta, sizeof(ta), ONE_THREAD("%s{'op': 'exit'}"), base);
	snprintf(tb, sizeof(tb), ONE_THREAD("%s{'op': 'read', 'addr': 'b+8'}, {'op': 'exit'}"),
		 base);
	run_text(&a, flat, ta);
	run_text(&b, flat, tb);
	uint64_t want = a.cfg.tlb.l1d_4k.latency + a.cfg.cpu.access + a.cfg.memory.dram_latency;
	cr_assert_eq(run_stat(&b, "core0.cycles") - run_stat(&a, "core0.cycles"), want);
	run_free(&a);
	run_free(&b);

	run_text(&a, NULL, ta);
	run_text(&b, NULL, tb);
	want = a.cfg.tlb.l1d_4k.latency + a.cfg.cpu.access + a.cfg.cache.l1d.latency;
	cr_assert_eq(run_stat(&b, "core0.cycles") - run_stat(&a, "core0.cycles"), want);
	cr_assert_eq(run_stat(&b, "core0.l1d.load.hit") - run_stat(&a, "core0.l1d.load.hit"), 1);
	run_free(&a);
	run_free(&b);
}

/* A dTLB miss to a mapped page whose A bits are all set: lookup, 4 walk
 * references, the fill, the access. Made a miss by 16 other pages touched
 * in between (LRU evicts it). The page's leaf A bit was set by the first
 * access, so no A/D write happens. */
Test(scenario, cycle_exact_walk)
{
	const char *flat[] = { "memory.model=flat", NULL };
	struct run r;
	run_text(&r, flat, ONE_THREAD(
		"{'op': 'mmap', 'name': 'b', 'length': '128K'},"
		"{'op': 'stride', 'base': 'b', 'length': '128K', 'stride': 4096},"
		"{'op': 'compute', 'cycles': 1}"));
	uint64_t walks = run_stat(&r, "core0.walk.count");
	uint64_t cyc = run_stat(&r, "core0.walk.cycles");
	uint64_t ad = run_stat(&r, "core0.walk.ad_writes");
	uint64_t refs = run_stat(&r, "core0.walk.refs");
	/* each walk: the PSC lookup, its entry reads, its A/D updates */
	cr_assert_eq(cyc, walks * 1 /* mmu.pwc.*.latency */ +
		     refs * r.cfg.memory.dram_latency +
		     ad * (r.cfg.mmu.ad_update + r.cfg.memory.dram_latency));
	/* the kernel writes upper entries with A set, leaves without: one A
	 * write per page on the retry after the fault */
	cr_assert_eq(ad, 32);
	cr_assert_eq(walks, 64);
	run_free(&r);
}

/* Contract 3: values written read back, across page boundaries and sizes. */
Test(scenario, values_read_back)
{
	struct run r;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&r.cfg);
	cr_assert_eq(cfg_load(&r.cfg, "configs/tiny.json", err), 0);
	cr_assert_eq(trace_load(&r.tr, "traces/values.json", err), 0, "%s", err);
	r.m = machine_create(&r.cfg, &r.tr, true, err);
	cr_assert_eq(machine_run(r.m, err), 0, "%s", err);
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_gt(run_stat(&r, "run.accesses"), 10);
	machine_destroy(r.m);
	trace_free(&r.tr);
}

/* A wrong expectation is caught (the check can fail), and fresh anonymous
 * memory after munmap + mmap reads as zero. */
Test(scenario, mismatch_detected_and_fresh_pages_zero)
{
	struct run r;
	run_text(&r, NULL, ONE_THREAD(
		"{'op': 'mmap', 'name': 'b', 'addr': '0x40000000', 'fixed': true, 'length': '8K'},"
		"{'op': 'write', 'addr': 'b+4092', 'size': 8, 'value': '0x1122334455667788'},"
		"{'op': 'read', 'addr': 'b+4096', 'size': 4, 'expect': '0x11223344'},"
		"{'op': 'read', 'addr': 'b+4092', 'size': 4, 'expect': 7},"
		"{'op': 'munmap', 'addr': 'b', 'length': '8K'},"
		"{'op': 'mmap', 'name': 'c', 'addr': '0x40000000', 'fixed': true, 'length': '8K'},"
		"{'op': 'read', 'addr': 'c+4092', 'size': 8, 'expect': 0}"));
	cr_assert_eq(machine_mismatches(r.m), 1, "%s", machine_events(r.m));
	cr_assert(strstr(machine_events(r.m), "read 0x55667788 at 0x40000ffc, expected 0x7"),
		  "%s", machine_events(r.m));
	assert_conserved(&r);
	run_free(&r);
}

/* A bad access kills its process only; the other one finishes. */
Test(scenario, segv_kills_one_process)
{
	struct run r;
	run_text(&r, NULL,
		"{'processes': ["
		" {'name': 'bad', 'threads': [{'cpu': 0, 'ops': ["
		"   {'op': 'mmap', 'name': 'ro', 'length': '8K', 'prot': 'r'},"
		"   {'op': 'read', 'addr': 'ro'},"
		"   {'op': 'write', 'addr': 'ro', 'value': 1},"
		"   {'op': 'write', 'addr': 'ro+8', 'value': 1}]}]},"
		" {'name': 'good', 'threads': [{'cpu': 0, 'ops': ["
		"   {'op': 'mmap', 'name': 'b', 'length': '64K'},"
		"   {'op': 'seq', 'base': 'b', 'length': '64K', 'write': 1}]}]}]}");
	cr_assert_eq(run_stat(&r, "mm.segv"), 1);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 1);
	cr_assert_eq(run_stat(&r, "run.process_exits"), 1);
	cr_assert_eq(run_stat(&r, "mm.pgfault.anon"), 1 + 16);
	cr_assert(strstr(machine_events(r.m), "process bad (thread 0, op 2) killed"),
		  "%s", machine_events(r.m));
	cr_assert(strstr(machine_events(r.m), "write against the mapping's protection"));
	assert_conserved(&r);
	run_free(&r);
}

/* Two threads of one process on two cores; thread 0 unmaps the region both
 * touched. The unmap must shoot down core 1's entries (one IPI), and thread
 * 1's later access must fault and kill the process — never hit a stale
 * translation (--check also compares every TLB entry with the tables). */
Test(scenario, munmap_shoots_down_other_core)
{
	struct run r;
	const char *sets[] = { "cores=2", NULL };
	run_text(&r, sets,
		"{'processes': [{'name': 'mt', 'threads': ["
		" {'cpu': 0, 'ops': ["
		"   {'op': 'mmap', 'name': 'b', 'addr': '0x50000000', 'fixed': true, 'length': '16K'},"
		"   {'op': 'stride', 'base': 'b', 'length': '16K', 'stride': 4096, 'write': 1},"
		"   {'op': 'compute', 'cycles': 2000000},"
		"   {'op': 'munmap', 'addr': 'b', 'length': '16K'}]},"
		" {'cpu': 1, 'ops': ["
		"   {'op': 'compute', 'cycles': 1000000},"
		"   {'op': 'stride', 'base': '0x50000000', 'length': '16K', 'stride': 4096},"
		"   {'op': 'compute', 'cycles': 10000000},"
		"   {'op': 'read', 'addr': '0x50000000'}]}]}]}");
	cr_assert_eq(run_stat(&r, "mm.tlbflush.shootdown.munmap"), 1);
	cr_assert_eq(run_stat(&r, "core1.ipi.received"), 1);
	/* core 0, lazy once its thread ended, leaves at the exit's IPI */
	cr_assert_eq(run_stat(&r, "mm.tlbflush.lazy.leave"), 1);
	cr_assert_eq(run_stat(&r, "core1.invlpg"), 4);   /* 4 pages <= flush_ceiling */
	cr_assert_eq(run_stat(&r, "core1.dtlb.hit"), 0);
	cr_assert_eq(run_stat(&r, "mm.segv"), 1);
	cr_assert(strstr(machine_events(r.m), "thread 1, op 3) killed"), "%s",
		  machine_events(r.m));
	assert_conserved(&r);
	run_free(&r);
}

/* More threads than cores: round-robin on one core with a short quantum;
 * every thread finishes and switches between processes load CR3. */
Test(scenario, round_robin_more_threads_than_cores)
{
	struct run r;
	const char *sets[] = { "cpu.quantum=10000", NULL };
	run_text(&r, sets,
		"{'processes': ["
		" {'threads': [{'cpu': 0, 'ops': [{'op': 'mmap', 'name': 'a', 'length': '64K'},"
		"   {'op': 'random', 'base': 'a', 'length': '64K', 'count': 5000}]}]},"
		" {'threads': [{'cpu': 0, 'ops': [{'op': 'mmap', 'name': 'a', 'length': '64K'},"
		"   {'op': 'random', 'base': 'a', 'length': '64K', 'count': 5000}]}]}]}");
	cr_assert_eq(run_stat(&r, "run.process_exits"), 2);
	cr_assert_eq(run_stat(&r, "run.accesses"), 10000);
	cr_assert_gt(run_stat(&r, "run.context_switches"), 10);
	cr_assert_gt(run_stat(&r, "core0.cr3_loads"), 10);
	assert_conserved(&r);
	run_free(&r);
}

/* Contract 5: the same config, trace and seed give identical counters; a
 * different seed changes unseeded random patterns. */
Test(scenario, deterministic)
{
	const char *t = ONE_THREAD("{'op': 'mmap', 'name': 'b', 'length': '1M'},"
				   "{'op': 'random', 'base': 'b', 'length': '1M', 'count': 3000,"
				   " 'write': 0.5}");
	struct run a, b, c;
	const char *seed2[] = { "seed=2", NULL };
	run_text(&a, NULL, t);
	run_text(&b, NULL, t);
	run_text(&c, seed2, t);
	struct stats *sa = machine_stats(a.m), *sb = machine_stats(b.m);
	cr_assert_eq(stats_count(sa), stats_count(sb));
	for (size_t i = 0; i < stats_count(sa); i++)
		cr_assert_eq(stats_value(sa, i), stats_value(sb, i), "%s", stats_name(sa, i));
	cr_assert_neq(run_stat(&a, "core0.cycles"), run_stat(&c, "core0.cycles"));
	run_free(&a);
	run_free(&b);
	run_free(&c);
}

/* Exhausting guest memory kills the process (no reclaim yet: the OOM
 * killer of issue reclaim will choose its victim by badness). */
Test(scenario, out_of_memory_kills)
{
	struct run r;
	run_text(&r, NULL, ONE_THREAD(
		"{'op': 'mmap', 'name': 'b', 'length': '128M'},"
		"{'op': 'stride', 'base': 'b', 'length': '128M', 'stride': 4096, 'write': 1}"));
	cr_assert_eq(run_stat(&r, "mm.oom_kill"), 1);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 1);
	cr_assert(strstr(machine_events(r.m), "out of memory"), "%s", machine_events(r.m));
	assert_conserved(&r);
	run_free(&r);
}

/* Issue tlb-mmu: with every paging-structure cache disabled, each walk of a
 * present translation reads exactly the 4 levels; with them enabled, walks
 * inside one 2M region hit the PDE cache and read only the PTE. */
Test(scenario, pwc_disabled_walks_read_four_levels)
{
	const char *t = ONE_THREAD(
		"{'op': 'mmap', 'name': 'b', 'length': '1M'},"
		"{'op': 'stride', 'base': 'b', 'length': '1M', 'stride': 4096},"
		"{'op': 'stride', 'base': 'b', 'length': '1M', 'stride': 4096}");
	const char *nopwc[] = { "mmu.pwc.pde.entries=0", "mmu.pwc.pdpte.entries=0",
				"mmu.pwc.pml4e.entries=0", "tlb.stlb.entries=0", NULL };
	struct run r;
	run_text(&r, nopwc, t);
	/* second pass: 256 walks of present pages (the 16-entry L1 holds none
	 * of them), each 4 references; first pass: 256 faulting walks that stop
	 * where the tables end plus 256 retries of 4 references */
	uint64_t walks = run_stat(&r, "core0.walk.count"), faults = run_stat(&r, "core0.walk.faults");
	cr_assert_eq(walks, 3 * 256);
	cr_assert_eq(faults, 256);
	run_free(&r);

	/* cold-PWC trace: the second pass alone, measured as a difference */
	struct run one;
	run_text(&one, nopwc, ONE_THREAD(
		"{'op': 'mmap', 'name': 'b', 'length': '1M'},"
		"{'op': 'stride', 'base': 'b', 'length': '1M', 'stride': 4096}"));
	run_text(&r, nopwc, t);
	uint64_t refs2 = run_stat(&r, "core0.walk.refs") - run_stat(&one, "core0.walk.refs");
	uint64_t walks2 = run_stat(&r, "core0.walk.count") - run_stat(&one, "core0.walk.count");
	cr_assert_eq(walks2, 256);
	cr_assert_eq(refs2, 4 * 256, "refs per walk %.2f", (double)refs2 / walks2);
	run_free(&r);
	run_free(&one);

	const char *pwc[] = { "tlb.stlb.entries=0", NULL };
	run_text(&r, pwc, t);
	run_text(&one, pwc, ONE_THREAD(
		"{'op': 'mmap', 'name': 'b', 'length': '1M'},"
		"{'op': 'stride', 'base': 'b', 'length': '1M', 'stride': 4096}"));
	refs2 = run_stat(&r, "core0.walk.refs") - run_stat(&one, "core0.walk.refs");
	cr_assert_eq(refs2, 256, "a PDE-cache hit leaves one reference per walk");
	cr_assert_gt(run_stat(&r, "core0.pwc.pde.hit"), 256);
	run_free(&r);
	run_free(&one);
}

/* Instruction fetches go through the iTLB and need an executable mapping:
 * fetching from a non-executable one is a SIGSEGV (NX fault, PF_I). */
Test(scenario, fetch_uses_itlb_and_honours_nx)
{
	struct run r;
	run_text(&r, NULL, ONE_THREAD(
		"{'op': 'mmap', 'name': 'text', 'length': '64K', 'prot': 'rx'},"
		"{'op': 'seq', 'base': 'text', 'length': '64K', 'size': 4, 'kind': 'fetch'},"
		"{'op': 'mmap', 'name': 'data', 'length': '4K', 'prot': 'rw'},"
		"{'op': 'write', 'addr': 'data', 'value': 1},"
		"{'op': 'fetch', 'addr': 'data'}"));
	cr_assert_eq(run_stat(&r, "core0.fetches"), 16384);
	cr_assert_eq(run_stat(&r, "core0.itlb.miss"), 2 * 16 + 1, "16 pages: fault + retry; "
		     "then the NX fetch");
	cr_assert_eq(run_stat(&r, "core0.itlb.hit"), 16384 - 16);
	cr_assert_eq(run_stat(&r, "mm.segv"), 1);
	cr_assert(strstr(machine_events(r.m), "op 4) killed"), "%s", machine_events(r.m));
	run_free(&r);
}

/* Addresses above the 47-bit user half are not canonical with 4-level
 * paging (#GP -> SIGSEGV), but are ordinary user memory with LA57. */
Test(scenario, la57_user_half)
{
	const char *t = ONE_THREAD(
		"{'op': 'mmap', 'name': 'hi', 'addr': '0x100000000000', 'fixed': true,"
		" 'length': '8K'},"
		"{'op': 'write', 'addr': '0x900000000000', 'value': 5},"
		"{'op': 'read', 'addr': '0x900000000000', 'expect': 5}");
	struct run r;
	run_text(&r, NULL, t);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 1);
	cr_assert(strstr(machine_events(r.m), "not a canonical user address"), "%s",
		  machine_events(r.m));
	run_free(&r);

	/* with LA57 the address is canonical but unmapped: a plain SIGSEGV */
	const char *la57[] = { "mmu.la57=true", NULL };
	run_text(&r, la57, t);
	cr_assert(strstr(machine_events(r.m), "SIGSEGV: write of unmapped address"), "%s",
		  machine_events(r.m));
	run_free(&r);

	/* and mapped there it works, with 5-level walks */
	run_text(&r, la57, ONE_THREAD(
		"{'op': 'mmap', 'name': 'hi', 'addr': '0x900000000000', 'fixed': true,"
		" 'length': '8K'},"
		"{'op': 'write', 'addr': 'hi', 'value': 5},"
		"{'op': 'read', 'addr': 'hi', 'expect': 5}"));
	cr_assert_eq(machine_mismatches(r.m), 0);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 0);
	cr_assert_eq(run_stat(&r, "mm.pgtable_alloc"), 5, "PML5, PML4, PDPT, PD, PT");
	assert_conserved(&r);
	run_free(&r);
}

/* PCIDs: two processes alternating on one core. With PCIDs each keeps its
 * translations across switches (CR3 loads with no-flush); without, every
 * switch flushes and the pages miss again. */
Test(scenario, pcid_keeps_translations_across_switches)
{
	const char *t =
		"{'processes': ["
		" {'threads': [{'cpu': 0, 'ops': [{'op': 'mmap', 'name': 'a', 'length': '32K'},"
		"   {'op': 'random', 'base': 'a', 'length': '32K', 'count': 20000, 'write': 1}]}]},"
		" {'threads': [{'cpu': 0, 'ops': [{'op': 'mmap', 'name': 'a', 'length': '32K'},"
		"   {'op': 'random', 'base': 'a', 'length': '32K', 'count': 20000, 'write': 1}]}]}]}";
	const char *pcid[] = { "cpu.quantum=5000", "tlb.pcid=true", NULL };
	const char *nopcid[] = { "cpu.quantum=5000", "tlb.pcid=false", NULL };
	struct run a, b;
	run_text(&a, pcid, t);
	run_text(&b, nopcid, t);
	uint64_t sw = run_stat(&a, "run.context_switches");
	cr_assert_gt(sw, 20);
	cr_assert_eq(run_stat(&b, "core0.cr3_loads_noflush"), 0);
	cr_assert_gt(run_stat(&a, "core0.cr3_loads_noflush"), 10);
	/* with PCIDs: 8 + 8 pages, each missed twice (fault, retry) and never
	 * again (16 entries hold both sets) */
	cr_assert_eq(run_stat(&a, "core0.dtlb.miss"), 32);
	cr_assert_gt(run_stat(&b, "core0.dtlb.miss"), 32 + sw / 2);
	assert_conserved(&a);
	run_free(&a);
	run_free(&b);
}

/* Issue cache-mem: two threads on two cores taking turns writing one line
 * move it back and forth (cache-to-cache transfers, invalidations); a third
 * core writing its own line sees almost none (only page-table lines the
 * others' walkers dirtied). */
Test(scenario, coherence_ping_pong)
{
	struct run r;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&r.cfg);
	cr_assert_eq(cfg_load(&r.cfg, "configs/tiny.json", err), 0);
	cr_assert_eq(cfg_set(&r.cfg, "cores=3", "-s", err), 0);
	cr_assert_eq(trace_load(&r.tr, "traces/coherence.json", err), 0, "%s", err);
	r.m = machine_create(&r.cfg, &r.tr, 1, err);
	cr_assert(r.m, "%s", err);
	cr_assert_eq(machine_run(r.m, err), 0, "--check: %s", err);
	uint64_t c2c = run_stat(&r, "core0.coherence.c2c") + run_stat(&r, "core1.coherence.c2c");
	uint64_t inval = run_stat(&r, "core0.coherence.inval_sent") +
			 run_stat(&r, "core1.coherence.inval_sent");
	cr_assert_geq(c2c, 1600, "c2c %llu of 2000 writes", (unsigned long long)c2c);
	cr_assert_geq(inval, 1600);
	cr_assert_leq(run_stat(&r, "core2.coherence.c2c"), 8);
	machine_destroy(r.m);
	trace_free(&r.tr);
}

/* The same trace in the flat memory model has no caches to keep coherent. */
Test(scenario, flat_model_has_no_cache_counters)
{
	struct run r;
	const char *flat[] = { "memory.model=flat", NULL };
	run_text(&r, flat, ONE_THREAD("{'op': 'mmap', 'name': 'b', 'length': '4K'},"
				      "{'op': 'write', 'addr': 'b', 'value': 1}"));
	uint64_t v;
	cr_assert_not(stats_get(machine_stats(r.m), "llc.access", &v));
	cr_assert_eq(run_stat(&r, "mem.access.store"), 1);
	run_free(&r);
}

/* clear_page() writes each line of a new page whole (rep stosb): no line is
 * read from DRAM for ownership. 16 first-touch writes fault 16 data pages
 * and 4 page tables in, each zeroed: 20 x 64 whole-line writes and not one
 * DRAM read, although every line was cold; the zeroed lines stay M in the
 * caches, so the walks and the stores that follow read nothing either. */
Test(scenario, clear_page_reads_no_dram)
{
	struct run r;
	run_text(&r, NULL, ONE_THREAD(
		"{'op': 'mmap', 'name': 'b', 'length': '64K'},"
		"{'op': 'stride', 'base': 'b', 'length': '64K', 'stride': 4096, 'write': 1}"));
	cr_assert_eq(run_stat(&r, "mm.pgfault.anon"), 16);
	cr_assert_eq(run_stat(&r, "mm.pgtable_alloc"), 4);
	cr_assert_eq(run_stat(&r, "cache.line_write"), 20 * 64);
	cr_assert_eq(run_stat(&r, "cache.mem_read"), 0);
	cr_assert_eq(run_stat(&r, "dram.read"), 0);
	run_free(&r);

	/* in the flat model a line write is one access like any other */
	const char *flat[] = { "memory.model=flat", NULL };
	run_text(&r, flat, ONE_THREAD(
		"{'op': 'mmap', 'name': 'b', 'length': '64K'},"
		"{'op': 'stride', 'base': 'b', 'length': '64K', 'stride': 4096, 'write': 1}"));
	cr_assert_geq(run_stat(&r, "mem.access.kernel"), 20 * 64);
	run_free(&r);
}

/* NUMA: with two nodes, core 1 sits on node 1. Its reads of untouched
 * memory all find the shared zero page, which lies in the first MiB, on
 * node 0, so they are remote and cost memory.numa.distance more; its page
 * tables come from its own node (the allocator prefers the local node). */
Test(scenario, numa_remote_accesses_cost_more)
{
	const char *t = "{'processes': [{'threads': [{'cpu': 1, 'ops': ["
			"{'op': 'mmap', 'name': 'b', 'length': '4M'},"
			"{'op': 'stride', 'base': 'b', 'length': '4M', 'stride': 64, 'count': 20000}]}]}]}";
	const char *near[] = { "cores=2", "memory.numa.nodes=2", "memory.numa.distance=0 0; 0 0",
			       NULL };
	const char *far[] = { "cores=2", "memory.numa.nodes=2", "memory.numa.distance=0 0; 500 0",
			      NULL };
	struct run a, b;
	run_text(&a, near, t);
	run_text(&b, far, t);
	uint64_t remote = run_stat(&b, "dram.remote");
	cr_assert_gt(remote, 0);
	cr_assert_eq(run_stat(&a, "dram.remote"), remote, "the same accesses, only costlier");
	/* every remote DRAM read is exactly 500 cycles slower; nothing is
	 * written back in so small a run; the page tables are local and never
	 * read from DRAM: clear_page() wrote their lines whole into core 1's
	 * caches (no read for ownership), where the walks find them */
	cr_assert_eq(run_stat(&b, "dram.read"), remote);
	cr_assert_eq(run_stat(&b, "dram.write"), 0);
	cr_assert_gt(run_stat(&b, "numa.node1.local_node"), 0, "tables from node 1");
	uint64_t diff = run_stat(&b, "core1.cycles") - run_stat(&a, "core1.cycles");
	cr_assert_eq(diff, 500 * remote, "diff %llu for %llu remote reads",
		     (unsigned long long)diff, (unsigned long long)remote);
	run_free(&a);
	run_free(&b);
}

/* Issue smp-shootdown: four threads of one process on four cores touch a
 * region; thread 0 unmaps it; every later access from any thread must
 * fault, never hit a stale entry. The unmap sends exactly 3 IPIs. */
Test(scenario, munmap_four_cores_no_stale_hit)
{
	struct run r;
	const char *sets[] = { "cores=4", NULL };
	char t[4096];
	int n = snprintf(t, sizeof(t), "{'processes': [{'name': 'mt', 'threads': ["
		" {'cpu': 0, 'ops': ["
		"   {'op': 'mmap', 'name': 'b', 'addr': '0x50000000', 'fixed': true, 'length': '64K'},"
		"   {'op': 'stride', 'base': 'b', 'length': '64K', 'stride': 4096, 'write': 1},"
		"   {'op': 'compute', 'cycles': 3000000},"
		"   {'op': 'munmap', 'addr': 'b', 'length': '64K'},"
		"   {'op': 'read', 'addr': '0x50000000'}]}");
	for (int i = 1; i < 4; i++)
		n += snprintf(t + n, sizeof(t) - (size_t)n, ","
			" {'cpu': %d, 'ops': ["
			"   {'op': 'compute', 'cycles': 1000000},"
			"   {'op': 'stride', 'base': '0x50000000', 'length': '64K', 'stride': 4096},"
			"   {'op': 'compute', 'cycles': 10000000},"
			"   {'op': 'read', 'addr': '0x5000%d000'}]}", i, i);
	snprintf(t + n, sizeof(t) - (size_t)n, "]}]}");
	run_text(&r, sets, t);
	/* the munmap, then the kill's exit: it frees the page tables the
	 * other cores' paging-structure caches may still hold, so it needs a
	 * second round of IPIs (Linux's freed_tables) */
	cr_assert_eq(run_stat(&r, "mm.tlbflush.shootdown.munmap"), 1);
	cr_assert_eq(run_stat(&r, "mm.tlbflush.shootdown.exit"), 1);
	cr_assert_eq(run_stat(&r, "core0.ipi.sent"), 6);
	for (int i = 1; i < 4; i++) {
		char name[64];
		snprintf(name, sizeof(name), "core%d.ipi.received", i);
		cr_assert_eq(run_stat(&r, name), 2, "%s", name);
	}
	/* 16 pages <= the flush ceiling: INVLPG each on every core */
	cr_assert_eq(run_stat(&r, "mm.tlbflush.pages_hist.16"), 1);
	cr_assert_eq(run_stat(&r, "core2.invlpg"), 16);
	cr_assert_gt(run_stat(&r, "core0.ipi.wait_cycles"), 0);
	cr_assert_eq(run_stat(&r, "mm.segv"), 1, "the first later access kills the process");
	cr_assert_eq(run_stat(&r, "run.process_kills"), 1);
	assert_conserved(&r);
	run_free(&r);
}

/* mprotect to read-only shoots down the other core's writable entries, so
 * its later write faults (SIGSEGV) instead of writing through a stale
 * translation; an upgrade back to read-write is flushed too, as Linux does. */
Test(scenario, mprotect_downgrade_and_upgrade)
{
	struct run r;
	const char *sets[] = { "cores=2", NULL };
	const char *t = "{'processes': [{'threads': ["
		" {'cpu': 0, 'ops': ["
		"   {'op': 'mmap', 'name': 'b', 'addr': '0x60000000', 'fixed': true, 'length': '16K'},"
		"   {'op': 'stride', 'base': 'b', 'length': '16K', 'stride': 4096, 'write': 1},"
		"   {'op': 'compute', 'cycles': 2000000},"
		"   {'op': 'mprotect', 'addr': 'b', 'length': '16K', 'prot': 'r'},"
		"   {'op': 'read', 'addr': 'b'},"
		"   {'op': 'mprotect', 'addr': 'b', 'length': '8K', 'prot': 'rw'},"
		"   {'op': 'write', 'addr': 'b+8', 'value': 7},"
		"   {'op': 'read', 'addr': 'b+8', 'expect': 7}]},"
		" {'cpu': 1, 'ops': ["
		"   {'op': 'compute', 'cycles': 1000000},"
		"   {'op': 'stride', 'base': '0x60000000', 'length': '16K', 'stride': 4096, 'write': 1},"
		"   {'op': 'compute', 'cycles': 20000000},"
		"   {'op': 'write', 'addr': '0x60003000', 'value': 1}]}]}]}";
	run_text(&r, sets, t);
	cr_assert_eq(run_stat(&r, "mm.mprotect"), 2);
	cr_assert_eq(run_stat(&r, "mm.tlbflush.cause.mprotect"), 2);
	cr_assert_eq(run_stat(&r, "mm.tlbflush.shootdown.mprotect"), 2);
	cr_assert_eq(run_stat(&r, "core1.ipi.received"), 2);
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_eq(run_stat(&r, "mm.segv"), 1);
	cr_assert(strstr(machine_events(r.m), "(thread 1, op 3) killed"), "%s",
		  machine_events(r.m));
	run_free(&r);
}

/* mprotect over a hole fails with ENOMEM, as on Linux (the process, here,
 * is killed for the failed call). */
Test(scenario, mprotect_hole_fails)
{
	struct run r;
	run_text(&r, NULL, ONE_THREAD(
		"{'op': 'mmap', 'name': 'a', 'addr': '0x70000000', 'fixed': true, 'length': '4K'},"
		"{'op': 'mprotect', 'addr': 'a', 'length': '8K', 'prot': 'r'}"));
	cr_assert(strstr(machine_events(r.m), "mprotect failed (errno 12)"), "%s",
		  machine_events(r.m));
	run_free(&r);
}

/* ---- issue smp-shootdown: scheduler ops ---- */

#define TWO_THREADS(a, b) \
	"{'processes': [{'name': 'p', 'threads': [{'cpu': 0, 'ops': [" a "]}, " b "]}]}"

/* A spawned thread starts only when spawned, no earlier than its spawner's
 * clock then; join waits for it to exit. */
Test(scenario, spawn_and_join)
{
	struct run r;
	const char *sets[] = { "cores=2", NULL };
	run_text(&r, sets, TWO_THREADS(
		"{'op': 'mmap', 'name': 'b', 'addr': '0x40000000', 'fixed': true, 'length': '4K'},"
		"{'op': 'compute', 'cycles': 500000},"
		"{'op': 'spawn', 'thread': 1},"
		"{'op': 'join', 'thread': 1},"
		"{'op': 'read', 'addr': 'b', 'expect': 99}",
		"{'cpu': 1, 'spawned': true, 'ops': ["
		"  {'op': 'compute', 'cycles': 300000},"
		"  {'op': 'write', 'addr': '0x40000000', 'value': 99}]}"));
	cr_assert_eq(machine_mismatches(r.m), 0, "the join saw the child's write: %s",
		     machine_events(r.m));
	/* core 1 idled until the spawn (>= 500000), then computed 300000 */
	cr_assert_geq(run_stat(&r, "core1.cycles"), 800000);
	/* core 0 waited in the join until the child exited */
	cr_assert_geq(run_stat(&r, "core0.cycles"), run_stat(&r, "core1.cycles"));
	cr_assert_eq(run_stat(&r, "run.process_exits"), 1);
	run_free(&r);
}

/* A barrier holds every thread until the last arrives. */
Test(scenario, barrier_holds_until_all_arrive)
{
	struct run r;
	const char *sets[] = { "cores=2", NULL };
	run_text(&r, sets, TWO_THREADS(
		"{'op': 'mmap', 'name': 'b', 'addr': '0x40000000', 'fixed': true, 'length': '4K'},"
		"{'op': 'write', 'addr': 'b', 'value': 1},"
		"{'op': 'barrier'},"
		"{'op': 'read', 'addr': 'b', 'expect': 2}",
		"{'cpu': 1, 'ops': ["
		"  {'op': 'compute', 'cycles': 2000000},"
		"  {'op': 'write', 'addr': '0x40000000', 'value': 2},"
		"  {'op': 'barrier'}]}"));
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_geq(run_stat(&r, "core0.cycles"), 2000000, "core 0 waited at the barrier");
	run_free(&r);
}

/* sleep takes the thread off its core: alone there, the core idles; yield
 * hands the core to its other thread. */
Test(scenario, sleep_idles_and_yield_switches)
{
	struct run r;
	run_text(&r, NULL, TWO_THREADS(
		"{'op': 'sleep', 'cycles': 1000000},"
		"{'op': 'compute', 'cycles': 10}",
		"{'cpu': 0, 'ops': ["
		"  {'op': 'compute', 'cycles': 10},"
		"  {'op': 'yield'},"
		"  {'op': 'compute', 'cycles': 10}]}"));
	cr_assert_gt(run_stat(&r, "core0.idle_cycles"), 900000);
	cr_assert_geq(run_stat(&r, "core0.cycles"), 1000000);
	cr_assert_geq(run_stat(&r, "run.context_switches"), 3);
	run_free(&r);
}

/* migrate moves a thread to another core's queue; its translations must be
 * rebuilt there (the new core's TLB never held them). */
Test(scenario, migrate_moves_the_thread)
{
	struct run r;
	const char *sets[] = { "cores=2", NULL };
	run_text(&r, sets, ONE_THREAD(
		"{'op': 'mmap', 'name': 'b', 'length': '16K'},"
		"{'op': 'stride', 'base': 'b', 'length': '16K', 'stride': 4096, 'write': 1},"
		"{'op': 'migrate', 'cpu': 1},"
		"{'op': 'stride', 'base': 'b', 'length': '16K', 'stride': 4096}"));
	cr_assert_eq(run_stat(&r, "core0.stores"), 4);
	cr_assert_eq(run_stat(&r, "core1.loads"), 4);
	cr_assert_eq(run_stat(&r, "core1.dtlb.miss"), 4);
	cr_assert_eq(run_stat(&r, "core1.page_faults"), 0);
	run_free(&r);
}

/* Threads that wait forever are a trace bug: reported, and the run says so. */
Test(scenario, deadlock_is_reported)
{
	struct run r;
	run_text(&r, NULL, TWO_THREADS(
		"{'op': 'join', 'thread': 1}",
		"{'cpu': 0, 'ops': [{'op': 'join', 'thread': 0}]}"));
	cr_assert_eq(machine_deadlocks(r.m), 1);
	cr_assert(strstr(machine_events(r.m), "deadlock: thread 0 waits in a join forever"),
		  "%s", machine_events(r.m));
	assert_conserved(&r);
	run_free(&r);
}

/* Issue recorded-traces: a recorded program replays through the whole
 * machine. ls's lackey trace has 104068 loads and 43120 stores (cachegrind's
 * Dr and Dw for the same run, tests/data/cachegrind.txt); every page it
 * touches is mapped on demand. */
Test(scenario, replay_lackey_trace)
{
	struct run r;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&r.cfg);
	cr_assert_eq(cfg_load(&r.cfg, "configs/tiny.json", err), 0);
	cr_assert_eq(trace_load(&r.tr, "traces/replay-ls.json", err), 0, "%s", err);
	r.m = machine_create(&r.cfg, &r.tr, 20000, err);
	cr_assert(r.m, "%s", err);
	cr_assert_eq(machine_run(r.m, err), 0, "--check: %s", err);
	cr_assert_eq(run_stat(&r, "run.replay.records"), 541728);
	cr_assert_eq(run_stat(&r, "core0.loads") + run_stat(&r, "core0.stores"), 104068 + 43120);
	cr_assert_geq(run_stat(&r, "core0.fetches"), 394540, "every instruction fetched");
	cr_assert_eq(run_stat(&r, "run.process_kills"), 0, "%s", machine_events(r.m));
	cr_assert_eq(run_stat(&r, "run.replay.automaps"), run_stat(&r, "mm.pgfault.anon"));
	machine_destroy(r.m);
	trace_free(&r.tr);
}

/* "limit" stops after that many records; a missing file is bad input at
 * load time, naming the op. */
Test(scenario, replay_limit_and_missing_file)
{
	struct run r;
	char cwd[512], text[1024];
	cr_assert(getcwd(cwd, sizeof(cwd)));
	snprintf(text, sizeof(text), ONE_THREAD("{'op': 'replay', 'path': '%s/traces/recorded/"
						"ls.lackey.xz', 'limit': 1000}"), cwd);
	run_text(&r, NULL, text);
	cr_assert_eq(run_stat(&r, "run.replay.records"), 1000);
	run_free(&r);

	struct trace t;
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(trace_load(&t, "tests/badinput/replay-missing.json", err), -1);
	cr_assert(strstr(err, "processes[0].threads[0].ops[0].path: ") &&
		  strstr(err, "nope.lackey"), "%s", err);
}

/* Issue recorded-traces, done-when: a lackey trace of a real program and a
 * ChampSim trace both replay through the run, and converting each to the
 * mmsim binary format (zstd) gives identical simulation results. */
static void replay_both(const char *src, const char *fmt)
{
	char cwd[512], bin[128], ta[2048], tb[2048];
	cr_assert(getcwd(cwd, sizeof(cwd)));
	snprintf(bin, sizeof(bin), "/tmp/mmsim-rt-%d.mmt", (int)getpid());
	char *argv[] = { "convert", (char *)src, bin, "--zstd", NULL };
	FILE *devnull = fopen("/dev/null", "w");
	cr_assert_eq(cmd_convert(4, argv, devnull), 0);
	fclose(devnull);
	snprintf(ta, sizeof(ta), ONE_THREAD("{'op': 'replay', 'path': '%s/%s', 'format': '%s'}"),
		 cwd, src, fmt);
	snprintf(tb, sizeof(tb), ONE_THREAD("{'op': 'replay', 'path': '%s', 'format': 'mmsim'}"),
		 bin);
	struct run a, b;
	run_text(&a, NULL, ta);
	run_text(&b, NULL, tb);
	cr_assert_gt(run_stat(&a, "run.replay.records"), 0);
	cr_assert_eq(run_stat(&a, "run.process_kills"), 0, "%s", machine_events(a.m));
	struct stats *sa = machine_stats(a.m), *sb = machine_stats(b.m);
	cr_assert_eq(stats_count(sa), stats_count(sb));
	for (size_t i = 0; i < stats_count(sa); i++)
		cr_assert_eq(stats_value(sa, i), stats_value(sb, i), "%s differs after convert",
			     stats_name(sa, i));
	run_free(&a);
	run_free(&b);
	unlink(bin);
}

Test(scenario, replay_convert_roundtrip_lackey)
{
	replay_both("traces/recorded/sort.lackey.xz", "lackey");
}

Test(scenario, replay_convert_roundtrip_champsim)
{
	replay_both("tests/data/rtrace/small.champsimtrace", "champsim");
}
