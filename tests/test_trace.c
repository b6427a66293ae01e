/* Trace loader tests: the traces in traces/ compile to the expected ops, and
 * bad input gives the exact one-line error and leaves nothing allocated. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/trace.h"

#define TWO_POW_53 (1ull << 53)

static void load_ok(struct trace *t, const char *path)
{
	char err[MMSIM_ERR_LEN] = "";
	int rc = trace_load(t, path, err);
	cr_assert_eq(rc, 0, "trace_load(%s): %s", path, err);
	cr_assert_str_eq(t->path, path);
}

static bool is_zeroed(const struct trace *t)
{
	static const struct trace zero;
	return memcmp(t, &zero, sizeof zero) == 0;
}

/* Write text to a fresh file under /tmp, with ' standing for " so the
 * JSON below stays readable. The caller unlinks path. */
static void write_tmp(char *path, const char *text)
{
	strcpy(path, "/tmp/mmsim-trace-XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	cr_assert_not_null(f);
	for (const char *c = text; *c; c++)
		fputc(*c == '\'' ? '"' : *c, f);
	fclose(f);
}

/* Loading text fails with exactly "<tmpfile>" + tail, and t stays zeroed. */
static void expect_error(const char *text, const char *tail)
{
	char path[64], err[MMSIM_ERR_LEN] = "", want[MMSIM_ERR_LEN];
	struct trace t;
	write_tmp(path, text);
	int rc = trace_load(&t, path, err);
	unlink(path);
	snprintf(want, sizeof want, "%s%s", path, tail);
	cr_assert_eq(rc, -1, "loaded, expected: %s", want);
	cr_assert_str_eq(err, want);
	cr_assert(is_zeroed(&t));
}

/* A trace whose only thread has the given ops. */
#define OPS(ops) "{'processes': [{'threads': [{'ops': [" ops "]}]}]}"
#define AT "processes[0].threads[0].ops[0]"

static const struct op *op_at(const struct trace *t, uint32_t p, uint32_t th, uint32_t i)
{
	cr_assert_lt(p, t->nprocs);
	cr_assert_lt(th, t->procs[p].nthreads);
	cr_assert_lt(i, t->procs[p].threads[th].nops);
	return &t->procs[p].threads[th].ops[i];
}

/* ---- the traces in traces/ ---------------------------------------------- */

Test(trace, demo_process_0)
{
	struct trace t;
	load_ok(&t, "traces/demo.json");
	cr_assert_eq(t.nprocs, 2);
	const struct trace_proc *p = &t.procs[0];
	cr_assert_str_eq(p->name, "app");
	cr_assert_eq(p->nthreads, 1);
	cr_assert_eq(p->threads[0].cpu, 0);
	cr_assert_eq(p->threads[0].nops, 7);
	cr_assert_eq(p->nregions, 1);
	cr_assert_str_eq(p->regions[0], "heap");

	const struct op *o = op_at(&t, 0, 0, 0);
	cr_assert_eq(o->kind, OP_MMAP);
	cr_assert_eq(o->region, 0);
	cr_assert_eq(o->len, 64ull << 20);
	cr_assert_eq(o->prot, PROT_R | PROT_W);
	cr_assert_eq(o->flags, 0);
	cr_assert_eq(o->addr.region, -1);
	cr_assert_eq(o->addr.off, 0);

	o = op_at(&t, 0, 0, 1);
	cr_assert_eq(o->kind, OP_SEQ);
	cr_assert_eq(o->region, -1);
	cr_assert_eq(o->addr.region, 0);
	cr_assert_eq(o->addr.off, 0);
	cr_assert_eq(o->size, 8);
	cr_assert_eq(o->count, (64ull << 20) / 8);   /* default: length / size */
	cr_assert_eq(o->wthresh, TWO_POW_53 / 4);     /* write 0.25 */

	o = op_at(&t, 0, 0, 2);
	cr_assert_eq(o->kind, OP_RANDOM);
	cr_assert_eq(o->count, 200000);
	cr_assert_eq(o->flags, OPF_SEEDED);
	cr_assert_eq(o->seed, 42);

	o = op_at(&t, 0, 0, 3);
	cr_assert_eq(o->kind, OP_WRITE);
	cr_assert_eq(o->flags, OPF_VALUE);
	cr_assert_eq(o->addr.region, 0);
	cr_assert_eq(o->addr.off, 0x1000);
	cr_assert_eq(o->value, 42);
	o = op_at(&t, 0, 0, 4);
	cr_assert_eq(o->kind, OP_READ);
	cr_assert_eq(o->flags, OPF_EXPECT);
	cr_assert_eq(o->value, 42);
	o = op_at(&t, 0, 0, 5);
	cr_assert_eq(o->kind, OP_MUNMAP);
	cr_assert_eq(o->len, 64ull << 20);
	cr_assert_eq(op_at(&t, 0, 0, 6)->kind, OP_EXIT);
	trace_free(&t);
	cr_assert(is_zeroed(&t));
}

Test(trace, demo_process_1_repeats)
{
	struct trace t;
	load_ok(&t, "traces/demo.json");
	const struct trace_proc *p = &t.procs[1];
	cr_assert_str_eq(p->name, "workers");
	cr_assert_eq(p->nthreads, 2);
	cr_assert_eq(p->threads[0].cpu, 1);
	cr_assert_eq(p->threads[1].cpu, 2);
	cr_assert_eq(p->nregions, 1);
	cr_assert_str_eq(p->regions[0], "shared");

	/* thread 0: mmap, stride, REPEAT(random, compute) END, exit */
	const struct op *s = op_at(&t, 1, 0, 1);
	cr_assert_eq(s->kind, OP_STRIDE);
	cr_assert_eq(s->stride, 4096);
	cr_assert_eq(s->count, 4096);                 /* 16M / 4096 */
	cr_assert_eq(s->wthresh, TWO_POW_53);         /* write 1.0 */
	cr_assert_eq(p->threads[0].nops, 7);
	cr_assert_eq(op_at(&t, 1, 0, 2)->kind, OP_REPEAT);
	cr_assert_eq(op_at(&t, 1, 0, 2)->count, 4);
	cr_assert_eq(op_at(&t, 1, 0, 2)->other, 5);
	cr_assert_eq(op_at(&t, 1, 0, 5)->kind, OP_END);
	cr_assert_eq(op_at(&t, 1, 0, 5)->other, 2);

	/* thread 1: compute, REPEAT(stride, REPEAT(random, compute) END) END, exit */
	enum op_kind want[] = { OP_COMPUTE, OP_REPEAT, OP_STRIDE, OP_REPEAT, OP_RANDOM,
				OP_COMPUTE, OP_END, OP_END, OP_EXIT };
	cr_assert_eq(p->threads[1].nops, ARRAY_SIZE(want));
	for (uint32_t i = 0; i < ARRAY_SIZE(want); i++)
		cr_assert_eq(op_at(&t, 1, 1, i)->kind, want[i], "op %u", i);
	cr_assert_eq(op_at(&t, 1, 1, 0)->count, 200000);
	cr_assert_eq(op_at(&t, 1, 1, 1)->count, 3);
	cr_assert_eq(op_at(&t, 1, 1, 1)->other, 7);
	cr_assert_eq(op_at(&t, 1, 1, 7)->other, 1);
	cr_assert_eq(op_at(&t, 1, 1, 3)->count, 2);
	cr_assert_eq(op_at(&t, 1, 1, 3)->other, 6);
	cr_assert_eq(op_at(&t, 1, 1, 6)->other, 3);

	s = op_at(&t, 1, 1, 2);                       /* "shared+2K", 8M, 64K, size 4 */
	cr_assert_eq(s->addr.region, 0);
	cr_assert_eq(s->addr.off, 2048);
	cr_assert_eq(s->len, 8ull << 20);
	cr_assert_eq(s->stride, 64 << 10);
	cr_assert_eq(s->size, 4);
	cr_assert_eq(s->count, 128);
	cr_assert_eq(s->wthresh, 0);
	const struct op *r = op_at(&t, 1, 1, 4);
	cr_assert_eq(r->wthresh, 1ull << 52);         /* write 0.5 */
	cr_assert_eq(r->seed, 2);
	cr_assert_eq(op_at(&t, 1, 1, 5)->count, 1000);
	trace_free(&t);
}

Test(trace, seq_touch)
{
	struct trace t;
	load_ok(&t, "traces/seq-touch.json");
	cr_assert_eq(t.nprocs, 1);
	cr_assert_str_eq(t.procs[0].name, "p0");
	cr_assert_eq(t.procs[0].threads[0].cpu, -1);
	cr_assert_eq(t.procs[0].threads[0].nops, 3);
	const struct op *m = op_at(&t, 0, 0, 0);
	cr_assert_eq(m->kind, OP_MMAP);
	cr_assert_eq(m->flags, OPF_FIXED);
	cr_assert_eq(m->addr.region, -1);
	cr_assert_eq(m->addr.off, 0x10000000);
	cr_assert_eq(m->len, 4 << 20);
	cr_assert_eq(m->region, 0);
	const struct op *s = op_at(&t, 0, 0, 1);
	cr_assert_eq(s->kind, OP_STRIDE);
	cr_assert_eq(s->addr.region, 0);
	cr_assert_eq(s->stride, 4096);
	cr_assert_eq(s->count, 1024);
	cr_assert_eq(s->size, 8);
	cr_assert_eq(s->wthresh, 0);
	cr_assert_eq(op_at(&t, 0, 0, 2)->kind, OP_EXIT);
	trace_free(&t);
}

Test(trace, values)
{
	struct trace t;
	load_ok(&t, "traces/values.json");
	const struct trace_thread *th = &t.procs[0].threads[0];
	int sizes = 0, reads = 0;
	for (uint32_t i = 0; i < th->nops; i++) {
		const struct op *o = &th->ops[i];
		if (o->kind == OP_WRITE) {
			cr_assert_eq(o->flags, OPF_VALUE);
			sizes |= o->size;
		}
		if (o->kind == OP_READ) {
			cr_assert_eq(o->flags, OPF_EXPECT);
			reads++;
		}
		if (o->kind == OP_READ || o->kind == OP_WRITE) {
			cr_assert_eq(o->addr.region, 0);
			if (o->size < 8)
				cr_assert_eq(o->value >> (8 * o->size), 0);
		}
	}
	cr_assert_eq(sizes, 1 | 2 | 4 | 8);
	cr_assert_eq(reads, 14);
	/* the 8-byte write across the page boundary */
	const struct op *w = op_at(&t, 0, 0, 6);
	cr_assert_eq(w->kind, OP_WRITE);
	cr_assert_eq(w->addr.off, 4092);
	cr_assert_eq(w->size, 8);
	cr_assert_eq(w->value, 0xfedcba9876543210ull);
	trace_free(&t);
}

Test(trace, segv)
{
	struct trace t;
	load_ok(&t, "traces/segv.json");
	cr_assert_eq(t.nprocs, 2);
	cr_assert_str_eq(t.procs[0].name, "bad");
	cr_assert_eq(op_at(&t, 0, 0, 0)->prot, PROT_R);
	cr_assert_eq(op_at(&t, 0, 0, 2)->kind, OP_WRITE);
	cr_assert_str_eq(t.procs[1].name, "good");
	cr_assert_eq(op_at(&t, 1, 0, 0)->prot, PROT_R | PROT_W);
	trace_free(&t);
}

/* ---- accepted forms --------------------------------------------------------- */

Test(trace, forward_reference_across_threads)
{
	char path[64];
	struct trace t;
	write_tmp(path, "{'processes': [{'threads': ["
		  "{'ops': [{'op': 'read', 'addr': 'late+0x10'}]},"
		  "{'ops': [{'op': 'mmap', 'name': 'late', 'length': 4096, 'prot': 'xr'},"
		  "         {'op': 'mmap', 'length': 4096, 'prot': 'none', 'addr': 8192}]}]}]}");
	load_ok(&t, path);
	unlink(path);
	cr_assert_eq(op_at(&t, 0, 0, 0)->addr.region, 0);
	cr_assert_eq(op_at(&t, 0, 0, 0)->addr.off, 0x10);
	cr_assert_eq(op_at(&t, 0, 1, 0)->region, 0);
	cr_assert_eq(op_at(&t, 0, 1, 0)->prot, PROT_R | PROT_X);
	cr_assert_eq(op_at(&t, 0, 1, 1)->region, -1);
	cr_assert_eq(op_at(&t, 0, 1, 1)->prot, 0);
	cr_assert_eq(op_at(&t, 0, 1, 1)->addr.off, 8192);
	trace_free(&t);
}

/* n repeats, each the only op of the one around it, around one exit. */
static char *nested_repeats(int n)
{
	size_t cap = 64 + (size_t)n * 64;
	char *s = malloc(cap);
	cr_assert_not_null(s);
	strcpy(s, "{'processes': [{'threads': [{'ops': [");
	for (int i = 0; i < n; i++)
		strcat(s, "{'op': 'repeat', 'count': 2, 'ops': [");
	strcat(s, "{'op': 'exit'}");
	for (int i = 0; i < n; i++)
		strcat(s, "]}");
	strcat(s, "]}]}]}");
	return s;
}

Test(trace, repeats_16_deep)
{
	char path[64];
	struct trace t;
	char *text = nested_repeats(16);
	write_tmp(path, text);
	free(text);
	load_ok(&t, path);
	unlink(path);
	const struct trace_thread *th = &t.procs[0].threads[0];
	cr_assert_eq(th->nops, 33);
	cr_assert_eq(th->ops[16].kind, OP_EXIT);
	for (uint32_t i = 0; i < 16; i++) {
		cr_assert_eq(th->ops[i].kind, OP_REPEAT);
		cr_assert_eq(th->ops[i].other, 32 - i);
		cr_assert_eq(th->ops[32 - i].kind, OP_END);
		cr_assert_eq(th->ops[32 - i].other, i);
	}
	trace_free(&t);
}

/* ---- errors ------------------------------------------------------------- */

Test(trace, err_unknown_top_level_key)
{
	expect_error("{'nmae': 'x', 'processes': []}",
		     ": nmae: unknown key; did you mean \"name\"?");
}

Test(trace, err_misspelled_op_field)
{
	expect_error(OPS("{'op': 'mmap', 'lenght': '4K'}"),
		     ": " AT ".lenght: unknown key; did you mean \"length\"?");
}

Test(trace, err_unknown_op)
{
	expect_error(OPS("{'op': 'mmpa', 'length': '4K'}"),
		     ": " AT ".op: unknown op \"mmpa\"; did you mean \"mmap\"?");
	expect_error(OPS("{'op': 'jump'}"),
		     ": " AT ".op: unknown op \"jump\" (one of mmap, munmap, mprotect, "
		     "read, write, fetch, seq, stride, random, repeat, compute, spawn, join, "
		     "barrier, yield, sleep, migrate, replay, exit)");
}

Test(trace, err_size_3)
{
	expect_error("{'processes': [{'threads': [{'ops': []}, {'ops': ["
		     "{'op': 'exit'}, {'op': 'read', 'addr': 4096, 'size': 3}]}]}]}",
		     ": processes[0].threads[1].ops[1].size: must be 1, 2, 4 or 8");
}

Test(trace, err_missing_length)
{
	expect_error(OPS("{'op': 'exit'}, {'op': 'exit'}, {'op': 'mmap'}"),
		     ": processes[0].threads[0].ops[2]: \"length\" is required");
}

Test(trace, err_negative_count)
{
	expect_error(OPS("{'op': 'repeat', 'count': -1, 'ops': []}"),
		     ": " AT ".count: must not be negative");
}

Test(trace, err_non_integral)
{
	expect_error(OPS("{'op': 'compute', 'cycles': 1.5}"),
		     ": " AT ".cycles: must be a whole number");
}

Test(trace, err_count_too_big)
{
	expect_error(OPS("{'op': 'repeat', 'count': 1000000000001, 'ops': []}"),
		     ": " AT ".count: must be at most 10^12");
}

Test(trace, err_address_too_high)
{
	expect_error(OPS("{'op': 'read', 'addr': '0x100000000000000'}"),
		     ": " AT ".addr: 0x100000000000000 is not below 2^56 (user addresses "
		     "are the canonical lower half of a 57-bit address space)");
	expect_error(OPS("{'op': 'read', 'addr': '0xfffffffffffffc'}"),
		     ": " AT ".addr: 0xfffffffffffffc + 8 bytes ends above 2^56 (the top "
		     "of user address space)");
}

Test(trace, err_unaligned_fixed_mmap)
{
	expect_error(OPS("{'op': 'mmap', 'addr': '0x10000010', 'fixed': true, "
			 "'length': '4K'}"),
		     ": " AT ".addr: 0x10000010 is not page aligned (a multiple of 4096)");
}

Test(trace, err_fixed_without_addr)
{
	expect_error(OPS("{'op': 'mmap', 'fixed': true, 'length': '4K'}"),
		     ": " AT ": \"fixed\" requires \"addr\"");
}

Test(trace, err_unknown_region)
{
	expect_error(OPS("{'op': 'mmap', 'name': 'heap', 'length': '1M'},"
			 "{'op': 'read', 'addr': 'haep+8'}"),
		     ": processes[0].threads[0].ops[1].addr: unknown region \"haep\"; "
		     "did you mean \"heap\"?");
	expect_error(OPS("{'op': 'read', 'addr': 'heap'}"),
		     ": " AT ".addr: unknown region \"heap\" (no mmap in this process "
		     "has a \"name\")");
}

Test(trace, err_region_of_another_process)
{
	expect_error("{'processes': ["
		     "{'threads': [{'ops': [{'op': 'mmap', 'name': 'heap', 'length': 4096}]}]},"
		     "{'threads': [{'ops': [{'op': 'read', 'addr': 'heap'}]}]}]}",
		     ": processes[1].threads[0].ops[0].addr: unknown region \"heap\" "
		     "(no mmap in this process has a \"name\")");
}

Test(trace, err_duplicate_region)
{
	expect_error("{'processes': [{'threads': ["
		     "{'ops': [{'op': 'mmap', 'name': 'heap', 'length': 4096}]},"
		     "{'ops': [{'op': 'repeat', 'count': 1, 'ops': ["
		     "  {'op': 'mmap', 'name': 'heap', 'length': 4096}]}]}]}]}",
		     ": processes[0].threads[1].ops[0].ops[0].name: region \"heap\" is "
		     "already defined in this process");
}

Test(trace, err_repeat_17_deep)
{
	char *text = nested_repeats(17);
	expect_error(text, ": processes[0].threads[0].ops[0].ops[0].ops[0].ops[0]"
		     ".ops[0].ops[0].ops[0].ops[0].ops[0].ops[0].ops[0].ops[0].ops[0]"
		     ".ops[0].ops[0].ops[0].ops[0]: repeats nested more than 16 deep");
	free(text);
}

Test(trace, err_nested_place)
{
	expect_error(OPS("{'op': 'exit'}, {'op': 'exit'}, {'op': 'exit'},"
			 "{'op': 'repeat', 'count': 1, 'ops': [{'op': 'exit'}, {'op': 'exit'},"
			 "  {'op': 'repeat', 'count': 'many', 'ops': []}]}"),
		     ": processes[0].threads[0].ops[3].ops[2].count: \"many\" is not a "
		     "number (decimal or 0x-hex)");
}

Test(trace, err_value_too_big)
{
	expect_error(OPS("{'op': 'write', 'addr': 0, 'size': 1, 'value': 256}"),
		     ": " AT ".value: 256 (0x100) does not fit in 1 byte");
	expect_error(OPS("{'op': 'read', 'addr': 0, 'size': 4, 'expect': '0x100000000'}"),
		     ": " AT ".expect: 4294967296 (0x100000000) does not fit in 4 bytes");
}

Test(trace, err_non_array_ops)
{
	expect_error("{'processes': [{'threads': [{'ops': {}}]}]}",
		     ": processes[0].threads[0].ops: expected an array of ops");
}

Test(trace, err_wrong_types)
{
	expect_error(OPS("{'op': 'mmap', 'length': 4096, 'fixed': 1, 'addr': 0}"),
		     ": " AT ".fixed: expected true or false");
	expect_error(OPS("{'op': 'mmap', 'length': 4096, 'prot': 'rwr'}"),
		     ": " AT ".prot: \"rwr\" must be \"none\" or letters from r, w, x, "
		     "each at most once (e.g. \"rw\")");
	expect_error(OPS("{'op': 'seq', 'base': 0, 'length': 4096, 'write': '0.5'}"),
		     ": " AT ".write: expected a number from 0 to 1 (the fraction of "
		     "accesses that write)");
	expect_error(OPS("{'op': 'read', 'addr': true}"),
		     ": " AT ".addr: expected an address (a number, a \"0x...\" string "
		     "or \"REGION+OFFSET\")");
	expect_error(OPS("{'op': 7}"), ": " AT ".op: expected a string");
	expect_error(OPS("17"), ": " AT ": expected an op object such as "
		     "{\"op\": \"read\", ...}");
}

Test(trace, err_pattern_ranges)
{
	expect_error(OPS("{'op': 'random', 'base': 0, 'length': 4096}"),
		     ": " AT ": \"count\" is required");
	expect_error(OPS("{'op': 'stride', 'base': 0, 'length': 4096, 'stride': 4096}"),
		     ": " AT ".stride: must be greater than 0 and less than length (4096)");
	expect_error(OPS("{'op': 'seq', 'base': 0, 'length': 4, 'size': 8}"),
		     ": " AT ".size: must not exceed length (4)");
	expect_error(OPS("{'op': 'seq', 'base': 0, 'length': 0}"),
		     ": " AT ".length: must be greater than 0");
}

Test(trace, err_processes_and_threads)
{
	expect_error("{'processes': []}", ": processes: must have 1 to 1024 processes");
	expect_error("{'name': 'x'}", ": \"processes\" is required");
	expect_error("[]", ": expected a JSON object at the top level");
	expect_error("{'processes': [{'threads': [{'cpu': 64, 'ops': []}]}]}",
		     ": processes[0].threads[0].cpu: must be 0 to 63, or -1 for any core");
	expect_error("{'processes': [{'threads': [{'cpu': '1', 'ops': []}]}]}",
		     ": processes[0].threads[0].cpu: expected a number (0 to 63, or -1 "
		     "for any core)");
	expect_error("{'processes': [{'threads': [{'ops': []}]},"
		     "{'name': 'p0', 'threads': [{'ops': []}]}]}",
		     ": processes[1].name: \"p0\" is already the name of processes[0]");
	expect_error(OPS("{'op': 'exit', 'op': 'exit'}"), ": " AT ".op: duplicate key");
}

Test(trace, err_syntax)
{
	expect_error("{'processes': [}", ":1:16: JSON syntax error");
}

Test(trace, err_missing_file)
{
	char err[MMSIM_ERR_LEN];
	struct trace t;
	cr_assert_eq(trace_load(&t, "/nonexistent/mmsim.json", err), -1);
	cr_assert_str_eq(err, "/nonexistent/mmsim.json: cannot open: "
			 "No such file or directory");
	cr_assert(is_zeroed(&t));
}

/* "huge_1gb" picks the page size of a hugetlb mapping: alone it means
 * nothing and is refused. */
Test(trace, err_huge_1gb_without_hugetlb)
{
	expect_error(OPS("{'op': 'mmap', 'length': '1G', 'flags': ['huge_1gb']}"),
		     ": " AT ".flags: \"huge_1gb\" requires \"hugetlb\"");
}

/* mremap: "fixed" needs "new_addr" and "maymove"; "new_addr" needs "fixed". */
Test(trace, err_mremap_flags)
{
	expect_error(OPS("{'op': 'mremap', 'addr': '0x10000', 'old_length': '4K', 'length': '8K', "
			 "'flags': ['fixed']}"),
		     ": " AT ".flags: \"new_addr\" goes with \"fixed\" and \"fixed\" needs it");
	expect_error(OPS("{'op': 'mremap', 'addr': '0x10000', 'old_length': '4K', 'length': '8K', "
			 "'flags': ['fixed'], 'new_addr': '0x20000'}"),
		     ": " AT ".flags: \"fixed\" requires \"maymove\" (as MREMAP_FIXED)");
	expect_error(OPS("{'op': 'mremap', 'addr': '0x10000', 'old_length': '4K', 'length': '8K', "
			 "'flags': ['grow']}"),
		     ": " AT ".flags: must hold only \"maymove\" and \"fixed\"");
}
