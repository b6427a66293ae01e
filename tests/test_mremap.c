/* Scenario tests of mremap() (kernel/mm/mremap.c): move (page tables
 * carried, pages not copied), grow in place, shrink, MREMAP_FIXED, huge
 * pages moved as PDEs, and the old range flushed. configs/tiny.json with
 * --check on; values read back after every move. */
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

/* 'a' sits just above 'b' (top-down mmap), so 'b' cannot grow in place:
 * with MREMAP_MAYMOVE it moves. Its three touched pages move as three PTEs
 * (no page allocated or copied), the values are there at the new address,
 * the grown part reads zero, and the old range is gone. */
#define TWO_MAPS \
	"{'op': 'mmap', 'name': 'a', 'length': '64K'}," \
	"{'op': 'mmap', 'name': 'b', 'length': '64K'}," \
	"{'op': 'write', 'addr': 'b', 'value': 1}," \
	"{'op': 'write', 'addr': 'b+0x3000', 'value': 2}," \
	"{'op': 'write', 'addr': 'b+0xf000', 'value': 3},"

Test(mremap, move_carries_ptes_and_values)
{
	struct run r;
	run_text(&r, NULL, ONE(TWO_MAPS
		"{'op': 'mremap', 'addr': 'b', 'old_length': '64K', 'length': '128K', "
		" 'flags': ['maymove']},"
		"{'op': 'read', 'addr': 'b', 'expect': 1},"
		"{'op': 'read', 'addr': 'b+0x3000', 'expect': 2},"
		"{'op': 'read', 'addr': 'b+0xf000', 'expect': 3},"
		"{'op': 'read', 'addr': 'b+0x1f000', 'expect': 0},"
		"{'op': 'procfs', 'file': 'maps'}"));
	cr_assert_eq(run_stat(&r, "mm.mremap"), 1);
	cr_assert_eq(run_stat(&r, "mm.mremap.moves"), 1);
	cr_assert_eq(run_stat(&r, "mm.mremap.expands"), 0);
	cr_assert_eq(run_stat(&r, "mm.mremap.moved_ptes"), 3);
	cr_assert_eq(run_stat(&r, "mm.cow.copy"), 0);
	cr_assert_eq(run_stat(&r, "mm.pgfault.anon"), 4);   /* 3 writes, the new read */
	cr_assert_eq(run_stat(&r, "mm.tlbflush.cause.mremap"), 1);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 0);
	/* two mappings, the moved one 128K */
	const char *maps = machine_procfs(r.m);
	cr_assert(strstr(maps, "00020000 rw-p") == NULL);
	conserved(&r);
	run_free(&r);
}

/* The old address no longer translates, though the TLB held it before the
 * move: the flush dropped it, so the read faults and the process dies. */
Test(mremap, old_range_flushed)
{
	struct run r;
	run_text(&r, NULL, ONE(TWO_MAPS
		"{'op': 'read', 'addr': 'b+0x3000', 'expect': 2},"
		"{'op': 'mremap', 'addr': 'b+0x3000', 'old_length': '4K', 'length': '8K', "
		" 'flags': ['maymove']},"
		"{'op': 'read', 'addr': 'b+0x3000', 'expect': 2}"));
	cr_assert_eq(run_stat(&r, "mm.mremap.moves"), 1);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 1);
	cr_assert(strstr(machine_events(r.m), "SIGSEGV"), "%s", machine_events(r.m));
	conserved(&r);
	run_free(&r);
}

/* Nothing above: the mapping grows in place; without MREMAP_MAYMOVE a
 * blocked grow is ENOMEM; shrinking unmaps the tail. */
Test(mremap, grow_in_place_shrink_and_enomem)
{
	struct run r, n, s;
	run_text(&r, NULL, ONE(
		"{'op': 'mmap', 'name': 'b', 'length': '64K'},"
		"{'op': 'write', 'addr': 'b+0x2000', 'value': 7},"
		"{'op': 'mremap', 'addr': 'b', 'old_length': '64K', 'length': '256K'},"
		"{'op': 'write', 'addr': 'b+0x3f000', 'value': 8},"
		"{'op': 'read', 'addr': 'b+0x2000', 'expect': 7},"
		"{'op': 'read', 'addr': 'b+0x3f000', 'expect': 8}"));
	cr_assert_eq(run_stat(&r, "mm.mremap.expands"), 1);
	cr_assert_eq(run_stat(&r, "mm.mremap.moves"), 0);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 0);
	conserved(&r);
	run_text(&n, NULL, ONE(TWO_MAPS
		"{'op': 'mremap', 'addr': 'b', 'old_length': '64K', 'length': '128K'}"));
	cr_assert(strstr(machine_events(n.m), "mremap failed (errno 12)"));
	conserved(&n);
	run_text(&s, NULL, ONE(TWO_MAPS
		"{'op': 'mremap', 'addr': 'b', 'old_length': '64K', 'length': '16K'},"
		"{'op': 'read', 'addr': 'b+0x3000', 'expect': 2},"
		"{'op': 'read', 'addr': 'b+0xf000'}"));
	cr_assert(strstr(machine_events(s.m), "SIGSEGV"));
	cr_assert_eq(run_stat(&s, "mm.mremap.moves"), 0);
	conserved(&s);
	run_free(&r);
	run_free(&n);
	run_free(&s);
}

/* MREMAP_FIXED: to a given address, replacing what was mapped there. */
Test(mremap, fixed_replaces_the_target)
{
	struct run r;
	run_text(&r, NULL, ONE(TWO_MAPS
		"{'op': 'mmap', 'name': 't', 'addr': '0x10000000', 'length': '8K', 'fixed': true},"
		"{'op': 'write', 'addr': 't', 'value': 99},"
		"{'op': 'mremap', 'addr': 'b', 'old_length': '64K', 'length': '64K', "
		" 'flags': ['maymove', 'fixed'], 'new_addr': '0x10000000'},"
		"{'op': 'read', 'addr': 't', 'expect': 1},"
		"{'op': 'read', 'addr': 't+0xf000', 'expect': 3}"));
	cr_assert_eq(run_stat(&r, "mm.mremap.moves"), 1);
	cr_assert_eq(run_stat(&r, "mm.mremap.moved_ptes"), 3);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 0);
	conserved(&r);
	run_free(&r);
}

/* Transparent huge pages move as whole PDEs (move_huge_pmd()): the new
 * place keeps the old one's offset within 2 MiB. */
Test(mremap, thp_moves_as_pmds)
{
	struct run r;
	run_text(&r, NULL, ONE(
		"{'op': 'sysctl', 'key': 'kernel.thp.enabled', 'value': 'always'},"
		"{'op': 'mmap', 'name': 'a', 'length': '64K'},"
		"{'op': 'mmap', 'name': 'b', 'length': '4M'},"
		"{'op': 'write', 'addr': 'b+0x1000', 'value': 5},"
		"{'op': 'write', 'addr': 'b+0x3ff000', 'value': 6},"
		"{'op': 'mremap', 'addr': 'b', 'old_length': '4M', 'length': '8M', "
		" 'flags': ['maymove']},"
		"{'op': 'read', 'addr': 'b+0x1000', 'expect': 5},"
		"{'op': 'read', 'addr': 'b+0x3ff000', 'expect': 6},"
		"{'op': 'procfs', 'file': 'smaps_rollup'}"));
	cr_assert_eq(run_stat(&r, "mm.thp.fault_alloc"), 2);
	cr_assert_eq(run_stat(&r, "mm.mremap.moved_pmds"), 2);
	cr_assert_eq(run_stat(&r, "mm.mremap.moved_ptes"), 0);
	cr_assert_eq(run_stat(&r, "mm.thp.split_page"), 0);
	cr_assert(strstr(machine_procfs(r.m), "AnonHugePages:      4096 kB\n"));
	conserved(&r);
	run_free(&r);
}
