/* Shootdown protocols: lazy-TLB cores, deferred (LATR-like) invalidation,
 * and how an IPI's cost lands on the core that takes it. Each scenario runs
 * with --check on, so a stale translation the kernel would let a core use
 * fails the run. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "lib/stats.h"
#include "tests/scenario_run.h"

/* Thread 0 on core 0 maps 2M-aligned 64K and touches it; thread 1 on
 * core 1 reads it and ends, so core 1 goes idle (lazy with
 * kernel.lazy_tlb); then thread 0 unmaps `unmap` bytes (16K: the page
 * table keeps other entries; 64K: the table is freed) and finally spawns
 * thread 2 on core 1, which reads the first unmapped page. */
static void lazy_run(struct run *r, const char *const *sets, const char *unmap)
{
	char t[2048];
	snprintf(t, sizeof(t), "{'processes': [{'name': 'p', 'threads': ["
		" {'cpu': 0, 'ops': ["
		"   {'op': 'mmap', 'name': 'b', 'addr': '0x40000000', 'fixed': true, 'length': '64K'},"
		"   {'op': 'stride', 'base': 'b', 'length': '64K', 'stride': 4096, 'write': 1},"
		"   {'op': 'compute', 'cycles': 2000000},"
		"   {'op': 'munmap', 'addr': 'b', 'length': '%s'},"
		"   {'op': 'spawn', 'thread': 2},"
		"   {'op': 'join', 'thread': 2}]},"
		" {'cpu': 1, 'ops': ["
		"   {'op': 'compute', 'cycles': 500000},"
		"   {'op': 'stride', 'base': '0x40000000', 'length': '64K', 'stride': 4096}]},"
		" {'cpu': 1, 'spawned': true, 'ops': ["
		"   {'op': 'read', 'addr': '0x40000000'}]}]}]}", unmap);
	run_text(r, sets, t);
}

/* Linux's default: the idle core stays in the mm's cpumask, the flush
 * skips it, and when it comes back to the mm it notices the missed flush
 * (tlb_gen) and reloads CR3 with a flush: its read faults (SIGSEGV). */
Test(shootdown, lazy_core_skipped_then_catches_up)
{
	struct run r;
	const char *sets[] = { "cores=2", NULL };
	lazy_run(&r, sets, "16K");
	cr_assert_eq(run_stat(&r, "mm.tlbflush.lazy.enter"), 2, "core 1 idle, core 0 in its join");
	cr_assert_eq(run_stat(&r, "mm.tlbflush.lazy.skipped"), 1);
	cr_assert_eq(run_stat(&r, "core1.ipi.received"), 0);
	cr_assert_eq(run_stat(&r, "mm.tlbflush.shootdown.munmap"), 0);
	cr_assert_eq(run_stat(&r, "mm.segv"), 1, "%s", machine_events(r.m));
	cr_assert_eq(run_stat(&r, "core1.dtlb.hit"), 0, "no stale hit");
	assert_conserved(&r);
	run_free(&r);
}

/* The same with the lazy core not skipped: it takes the IPI and flushes. */
Test(shootdown, lazy_core_not_skipped_takes_ipi)
{
	struct run r;
	const char *sets[] = { "cores=2", "kernel.shootdown.skip_lazy=false", NULL };
	lazy_run(&r, sets, "16K");
	cr_assert_eq(run_stat(&r, "mm.tlbflush.lazy.skipped"), 0);
	cr_assert_eq(run_stat(&r, "core1.ipi.received"), 1);
	cr_assert_eq(run_stat(&r, "core1.ipi.handle_cycles"),
		     r.cfg.ipi.handler + 4ull * r.cfg.cpu.invlpg, "4 INVLPGs in the handler");
	cr_assert_eq(run_stat(&r, "mm.segv"), 1);
	assert_conserved(&r);
	run_free(&r);
}

/* Freeing the page table: a lazy core's paging-structure caches might still
 * walk it, so it gets the IPI even when lazy cores are skipped, and leaves
 * the mm (as flush_tlb_func() does for a lazy CPU). */
Test(shootdown, freed_tables_send_lazy_core_away)
{
	struct run r;
	const char *sets[] = { "cores=2", NULL };
	lazy_run(&r, sets, "64K");
	cr_assert_eq(run_stat(&r, "mm.tlbflush.lazy.skipped"), 0);
	/* once at the munmap, once at the exit (core 0, lazy in its join) */
	cr_assert_eq(run_stat(&r, "mm.tlbflush.lazy.leave"), 2);
	cr_assert_eq(run_stat(&r, "core1.ipi.received"), 1);
	cr_assert_eq(run_stat(&r, "core0.ipi.received"), 1);
	cr_assert_eq(run_stat(&r, "mm.segv"), 1);
	assert_conserved(&r);
	run_free(&r);
}

/* Without lazy TLB the idle core leaves the mm at once: nothing to skip,
 * no IPI, and coming back loads CR3. */
Test(shootdown, no_lazy_tlb_leaves_at_idle)
{
	struct run r;
	const char *sets[] = { "cores=2", "kernel.lazy_tlb=false", NULL };
	lazy_run(&r, sets, "16K");
	cr_assert_eq(run_stat(&r, "mm.tlbflush.lazy.enter"), 0);
	cr_assert_eq(run_stat(&r, "mm.tlbflush.lazy.skipped"), 0);
	cr_assert_eq(run_stat(&r, "core1.ipi.received"), 0);
	cr_assert_eq(run_stat(&r, "mm.segv"), 1);
	assert_conserved(&r);
	run_free(&r);
}

/* Core 1 only computes; core 0 maps, touches and (with `unmap`) unmaps
 * 16K while core 1 runs the same mm, and ends last (so the exit's work is
 * on core 0 in both runs). */
static void busy_target(struct run *r, const char *const *sets, bool unmap)
{
	char t[2048];
	snprintf(t, sizeof(t), "{'processes': [{'name': 'p', 'threads': ["
		" {'cpu': 0, 'ops': ["
		"   {'op': 'mmap', 'name': 'b', 'addr': '0x40000000', 'fixed': true, 'length': '16K'},"
		"   {'op': 'stride', 'base': 'b', 'length': '16K', 'stride': 4096, 'write': 1},"
		"   {'op': 'compute', 'cycles': 100000}%s,"
		"   {'op': 'compute', 'cycles': 6000000}]},"
		" {'cpu': 1, 'ops': ["
		"   {'op': 'compute', 'cycles': 5000000}]}]}]}",
		unmap ? ", {'op': 'munmap', 'addr': 'b', 'length': '16K'}" : "");
	run_text(r, sets, t);
}

/* An IPI steals the handler's time from the busy core that takes it; the
 * core does not idle until the IPI arrives. Core 1's clock with the IPI
 * exceeds its clock without by exactly ipi.handler + 4 INVLPGs
 * (tiny.json: 1000 + 4 x 150). */
Test(shootdown, ipi_time_is_stolen_not_idled)
{
	struct run a, b;
	const char *sets[] = { "cores=2", NULL };
	busy_target(&a, sets, true);
	busy_target(&b, sets, false);
	/* both runs end with the exit's IPI to the idle (lazy) core 1 */
	uint64_t handle = run_stat(&a, "core1.ipi.handle_cycles") -
			  run_stat(&b, "core1.ipi.handle_cycles");
	cr_assert_eq(run_stat(&a, "core1.ipi.received"), 2);
	cr_assert_eq(run_stat(&b, "core1.ipi.received"), 1);
	cr_assert_eq(handle, a.cfg.ipi.handler + 4ull * a.cfg.cpu.invlpg);
	cr_assert_eq(run_stat(&a, "core1.cycles") - run_stat(&b, "core1.cycles"), handle);
	/* the initiator waits for the acknowledgement: two latencies at least */
	cr_assert_geq(run_stat(&a, "core0.ipi.wait_cycles"), 2ull * a.cfg.ipi.latency);
	run_free(&a);
	run_free(&b);
}

/* Deferred mode: the munmap sends no IPI; core 1 may still read the old
 * frame through its stale entry until its tick applies the record (the
 * frame is held meanwhile, so it reads the value written), then faults. */
Test(shootdown, deferred_munmap_applies_at_tick)
{
	struct run r;
	const char *sets[] = { "cores=2", "kernel.shootdown.mode=deferred",
			       "kernel.shootdown.defer_cycles=1000000", NULL };
	run_text(&r, sets, "{'processes': [{'name': 'p', 'threads': ["
		" {'cpu': 0, 'ops': ["
		"   {'op': 'mmap', 'name': 'b', 'addr': '0x40000000', 'fixed': true, 'length': '16K'},"
		"   {'op': 'write', 'addr': 'b', 'value': 7},"
		"   {'op': 'compute', 'cycles': 1000000},"
		"   {'op': 'munmap', 'addr': 'b', 'length': '16K'},"
		"   {'op': 'compute', 'cycles': 3000000}]},"
		" {'cpu': 1, 'ops': ["
		"   {'op': 'compute', 'cycles': 500000},"
		"   {'op': 'read', 'addr': '0x40000000', 'expect': 7},"
		"   {'op': 'compute', 'cycles': 600000},"
		"   {'op': 'read', 'addr': '0x40000000', 'expect': 7},"
		"   {'op': 'compute', 'cycles': 2000000},"
		"   {'op': 'read', 'addr': '0x40000000'}]}]}]}");
	cr_assert_eq(run_stat(&r, "core0.ipi.sent"), 0);
	cr_assert_eq(run_stat(&r, "mm.tlbflush.deferred.queued"), 1);
	cr_assert_eq(run_stat(&r, "mm.tlbflush.deferred.applied"), 1);
	cr_assert_eq(machine_mismatches(r.m), 0, "%s", machine_events(r.m));
	cr_assert_eq(run_stat(&r, "core1.dtlb.hit"), 1, "the stale hit inside the window");
	cr_assert_eq(run_stat(&r, "mm.segv"), 1, "after the tick the read faults: %s",
		     machine_events(r.m));
	assert_conserved(&r);
	run_free(&r);
}

/* Mapping the range again before core 1 applied the record: the kernel
 * completes the pending invalidation by IPI first, so core 1 cannot reach
 * the old frame through the new mapping's addresses. */
Test(shootdown, deferred_forced_before_reuse)
{
	struct run r;
	const char *sets[] = { "cores=2", "kernel.shootdown.mode=deferred", NULL };
	run_text(&r, sets, "{'processes': [{'name': 'p', 'threads': ["
		" {'cpu': 0, 'ops': ["
		"   {'op': 'mmap', 'name': 'b', 'addr': '0x40000000', 'fixed': true, 'length': '16K'},"
		"   {'op': 'write', 'addr': 'b', 'value': 7},"
		"   {'op': 'compute', 'cycles': 1000000},"
		"   {'op': 'munmap', 'addr': 'b', 'length': '16K'},"
		"   {'op': 'mmap', 'name': 'c', 'addr': '0x40000000', 'fixed': true, 'length': '16K'},"
		"   {'op': 'compute', 'cycles': 2000000}]},"
		" {'cpu': 1, 'ops': ["
		"   {'op': 'compute', 'cycles': 500000},"
		"   {'op': 'read', 'addr': '0x40000000', 'expect': 7},"
		"   {'op': 'compute', 'cycles': 1000000},"
		"   {'op': 'read', 'addr': '0x40000000', 'expect': 0}]}]}]}");
	cr_assert_eq(run_stat(&r, "mm.tlbflush.deferred.queued"), 1);
	cr_assert_eq(run_stat(&r, "mm.tlbflush.deferred.forced"), 1);
	cr_assert_eq(run_stat(&r, "mm.tlbflush.deferred.applied"), 1);
	cr_assert_eq(run_stat(&r, "core1.invlpg"), 1, "the one page touched, by the forced IPI");
	cr_assert_eq(machine_mismatches(r.m), 0, "the new mapping reads zero: %s",
		     machine_events(r.m));
	assert_conserved(&r);
	run_free(&r);
}

/* mprotect stays synchronous in deferred mode: reducing rights cannot wait. */
Test(shootdown, deferred_mode_keeps_mprotect_synchronous)
{
	struct run r;
	const char *sets[] = { "cores=2", "kernel.shootdown.mode=deferred", NULL };
	run_text(&r, sets, "{'processes': [{'name': 'p', 'threads': ["
		" {'cpu': 0, 'ops': ["
		"   {'op': 'mmap', 'name': 'b', 'addr': '0x40000000', 'fixed': true, 'length': '16K'},"
		"   {'op': 'write', 'addr': 'b', 'value': 7},"
		"   {'op': 'compute', 'cycles': 1000000},"
		"   {'op': 'mprotect', 'addr': 'b', 'length': '16K', 'prot': 'r'},"
		"   {'op': 'compute', 'cycles': 2000000}]},"
		" {'cpu': 1, 'ops': ["
		"   {'op': 'compute', 'cycles': 500000},"
		"   {'op': 'write', 'addr': '0x40000000', 'value': 8},"
		"   {'op': 'compute', 'cycles': 1000000},"
		"   {'op': 'write', 'addr': '0x40000000', 'value': 9}]}]}]}");
	cr_assert_eq(run_stat(&r, "mm.tlbflush.deferred.queued"), 0);
	cr_assert_eq(run_stat(&r, "core1.ipi.received"), 1);
	cr_assert_eq(run_stat(&r, "mm.segv"), 1, "the write after mprotect faults");
	run_free(&r);
}
