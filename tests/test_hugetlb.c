/* Scenario tests of hugetlbfs pools and MAP_HUGETLB (kernel/mm/hugetlb.c):
 * 1G mappings ending the walk at the PDPTE, 2M faults, reservations,
 * SIGBUS on an empty pool, fork sharing and COW, pages back to the pool.
 * Each runs a small trace on configs/tiny.json (with more memory where 1G
 * pages need it) with --check on and asserts exact counts. */
#include <criterion/criterion.h>
#include <string.h>
#include "src/machine.h"
#include "tests/scenario_run.h"

#define ONE(ops) "{'processes': [{'name': 'p', 'threads': [{'cpu': 0, 'ops': [" ops "]}]}]}"

static void conserved(struct run *r)
{
	cr_assert_eq(run_stat(r, "mm.pgalloc"), run_stat(r, "mm.pgfree"));
	cr_assert_eq(machine_mismatches(r->m), 0, "%s", machine_events(r->m));
}

/* A 1G hugetlb page: the first touch walks to the PML4E (no tables yet:
 * 1 reference) and faults; the handler builds one PDPT and maps the
 * PDPTE with PS; the retried walk reads the PML4E and the PDPTE — 2
 * references, a 4K walk would read 4 — and fills the 1G TLB arrays. 32
 * more reads 32 MiB apart over the whole gigabyte all hit that one entry.
 * munmap returns the page to the pool. */
Test(hugetlb, walk_1g_ends_at_pdpte)
{
	static const char *const sets[] = { "memory.size=4G", "kernel.hugetlb.nr_hugepages_1g=1",
					     NULL };
	struct run r;
	run_text(&r, sets, ONE(
		"{'op': 'mmap', 'name': 'g', 'length': '1G', 'flags': ['hugetlb', 'huge_1gb']},"
		"{'op': 'write', 'addr': 'g+0x12345678', 'value': 7},"
		"{'op': 'stride', 'base': 'g', 'length': '1G', 'stride': 33554432},"
		"{'op': 'read', 'addr': 'g+0x12345678', 'expect': 7},"
		"{'op': 'procfs', 'file': 'status'},"
		"{'op': 'munmap', 'addr': 'g', 'length': '1G'}"));
	cr_assert_eq(run_stat(&r, "mm.hugetlb.1g.total"), 1);
	cr_assert_eq(run_stat(&r, "mm.hugetlb.1g.fault_alloc"), 1);
	cr_assert_eq(run_stat(&r, "core0.walk.count"), 2);
	cr_assert_eq(run_stat(&r, "core0.walk.faults"), 1);
	cr_assert_eq(run_stat(&r, "core0.walk.refs"), 3);
	cr_assert_eq(run_stat(&r, "core0.dtlb.miss"), 2);
	cr_assert_eq(run_stat(&r, "core0.dtlb.miss.1g"), 1);
	cr_assert_eq(run_stat(&r, "core0.dtlb.miss.4k"), 0);
	cr_assert_eq(run_stat(&r, "core0.stlb.miss"), 2);
	cr_assert_eq(run_stat(&r, "mm.pgtable_alloc"), 2);   /* PML4 + one PDPT */
	cr_assert(strstr(machine_procfs(r.m), "HugetlbPages:\t 1048576 kB\n"));
	cr_assert(strstr(machine_procfs(r.m), "VmRSS:\t       0 kB\n"));
	cr_assert_eq(run_stat(&r, "mm.hugetlb.1g.free"), 1);
	cr_assert_eq(run_stat(&r, "mm.hugetlb.1g.resv"), 0);
	conserved(&r);
	run_free(&r);
}

/* 2M: one fault per huge page, one PDE each (PML4, PDPT, PD: 3 tables);
 * the mmap reserves both pages, the first fault uses one reservation;
 * exit gives back the page and the reservation never used. */
Test(hugetlb, fault_2m_and_reservations)
{
	static const char *const sets[] = { "kernel.hugetlb.nr_hugepages_2m=4", NULL };
	struct run r;
	run_text(&r, sets, ONE(
		"{'op': 'mmap', 'name': 'h', 'length': '4M', 'flags': ['hugetlb']},"
		"{'op': 'stride', 'base': 'h', 'length': '2M', 'stride': 4096, 'write': 1},"
		"{'op': 'write', 'addr': 'h+0x1ff000', 'value': 3},"
		"{'op': 'read', 'addr': 'h+0x1ff000', 'expect': 3},"
		"{'op': 'snapshot', 'name': 'mid'},"
		"{'op': 'procfs', 'file': 'smaps_rollup'}"));
	cr_assert_eq(run_stat(&r, "mm.hugetlb.2m.total"), 4);
	cr_assert_eq(run_stat(&r, "mm.hugetlb.2m.fault_alloc"), 1);
	cr_assert_eq(run_stat(&r, "mm.pgfault"), 1);
	cr_assert_eq(run_stat(&r, "proc.p.minflt"), 1);
	cr_assert_eq(run_stat(&r, "snapshot.mid.mm.hugetlb.2m.free"), 3);
	cr_assert_eq(run_stat(&r, "snapshot.mid.mm.hugetlb.2m.resv"), 1);
	cr_assert(strstr(machine_procfs(r.m), "Private_Hugetlb:    2048 kB\n"));
	cr_assert(strstr(machine_procfs(r.m), "Rss:                   0 kB\n"));
	cr_assert_eq(run_stat(&r, "mm.hugetlb.2m.free"), 4);   /* after exit */
	cr_assert_eq(run_stat(&r, "mm.hugetlb.2m.resv"), 0);
	conserved(&r);
	run_free(&r);
}

/* More than the pool holds: mmap fails with ENOMEM at once (the
 * reservation), unless MAP_NORESERVE — then the fault that finds the pool
 * empty gets SIGBUS. */
Test(hugetlb, enomem_at_mmap_sigbus_at_fault)
{
	static const char *const sets[] = { "kernel.hugetlb.nr_hugepages_2m=1", NULL };
	struct run r, n;
	run_text(&r, sets, ONE("{'op': 'mmap', 'name': 'h', 'length': '4M', 'flags': ['hugetlb']}"));
	cr_assert_eq(run_stat(&r, "mm.hugetlb.mmap_enomem"), 1);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 1);
	cr_assert(strstr(machine_events(r.m), "mmap failed (errno 12)"));
	conserved(&r);
	run_text(&n, sets, ONE(
		"{'op': 'mmap', 'name': 'h', 'length': '4M', 'flags': ['hugetlb', 'noreserve']},"
		"{'op': 'write', 'addr': 'h', 'value': 1},"
		"{'op': 'write', 'addr': 'h+0x200000', 'value': 2}"));
	cr_assert_eq(run_stat(&n, "mm.hugetlb.2m.fault_alloc"), 1);
	cr_assert_eq(run_stat(&n, "mm.hugetlb.sigbus"), 1);
	cr_assert_eq(run_stat(&n, "run.process_kills"), 1);
	cr_assert(strstr(machine_events(n.m), "SIGBUS"));
	cr_assert_eq(run_stat(&n, "mm.hugetlb.2m.free"), 1);
	conserved(&n);
	run_free(&r);
	run_free(&n);
}

/* fork shares the huge page write-protected; the child's write copies
 * the whole 2M page into a free pool page; the parent, its page's only
 * mapping again, reuses it; both keep their values. */
#define FORK_TRACE \
	"{'processes': [" \
	" {'name': 'parent', 'threads': [{'cpu': 0, 'ops': [" \
	"   {'op': 'mmap', 'name': 'h', 'length': '2M', 'flags': ['hugetlb']}," \
	"   {'op': 'write', 'addr': 'h+0x1000', 'value': 1}," \
	"   {'op': 'fork', 'child': 'child'}," \
	"   {'op': 'sleep', 'cycles': 50000000}," \
	"   {'op': 'read', 'addr': 'h+0x1000', 'expect': 1}," \
	"   {'op': 'write', 'addr': 'h+0x1000', 'value': 11}," \
	"   {'op': 'read', 'addr': 'h+0x1000', 'expect': 11}]}]}," \
	" {'name': 'child', 'forked_from': 'parent', 'threads': [{'cpu': 1, 'ops': [" \
	"   {'op': 'read', 'addr': 'h+0x1000', 'expect': 1}," \
	"   {'op': 'write', 'addr': 'h+0x1000', 'value': 2}," \
	"   {'op': 'read', 'addr': 'h+0x1000', 'expect': 2}]}]}]}"

Test(hugetlb, fork_shares_then_cow)
{
	static const char *const sets[] = { "kernel.hugetlb.nr_hugepages_2m=2", "cores=2", NULL };
	struct run r;
	run_text(&r, sets, FORK_TRACE);
	cr_assert_eq(run_stat(&r, "mm.fork"), 1);
	cr_assert_eq(run_stat(&r, "mm.hugetlb.2m.fault_alloc"), 1);
	cr_assert_eq(run_stat(&r, "mm.hugetlb.2m.cow_copy"), 1);
	cr_assert_eq(run_stat(&r, "mm.hugetlb.2m.cow_reuse"), 1);
	cr_assert_eq(run_stat(&r, "proc.child.cow_copies"), 1);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 0);
	cr_assert_eq(run_stat(&r, "mm.hugetlb.2m.free"), 2);
	conserved(&r);
	run_free(&r);
}

/* munmap, mprotect and madvise must cut hugetlb mappings at huge-page
 * boundaries (EINVAL otherwise); DONTNEED is refused on them. */
Test(hugetlb, misaligned_ranges_refused)
{
	static const char *const sets[] = { "kernel.hugetlb.nr_hugepages_2m=2", NULL };
	struct run r, d, m;
	run_text(&r, sets, ONE(
		"{'op': 'mmap', 'name': 'h', 'length': '4M', 'flags': ['hugetlb']},"
		"{'op': 'munmap', 'addr': 'h', 'length': '4K'}"));
	cr_assert(strstr(machine_events(r.m), "munmap failed (errno 22)"));
	conserved(&r);
	run_text(&d, sets, ONE(
		"{'op': 'mmap', 'name': 'h', 'length': '4M', 'flags': ['hugetlb']},"
		"{'op': 'madvise', 'addr': 'h', 'length': '2M', 'advice': 'dontneed'}"));
	cr_assert(strstr(machine_events(d.m), "madvise failed (errno 22)"));
	conserved(&d);
	/* an aligned munmap of half the mapping is fine and splits it */
	run_text(&m, sets, ONE(
		"{'op': 'mmap', 'name': 'h', 'length': '4M', 'flags': ['hugetlb']},"
		"{'op': 'write', 'addr': 'h+0x200000', 'value': 5},"
		"{'op': 'munmap', 'addr': 'h', 'length': '2M'},"
		"{'op': 'mprotect', 'addr': 'h+0x200000', 'length': '2M', 'prot': 'r'},"
		"{'op': 'read', 'addr': 'h+0x200000', 'expect': 5}"));
	cr_assert_eq(run_stat(&m, "run.process_kills"), 0);
	cr_assert_eq(run_stat(&m, "mm.hugetlb.2m.free"), 2);
	cr_assert_eq(run_stat(&m, "mm.hugetlb.2m.resv"), 0);
	conserved(&m);
	run_free(&r);
	run_free(&d);
	run_free(&m);
}
