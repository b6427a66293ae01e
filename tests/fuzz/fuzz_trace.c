/* libFuzzer target for the JSON trace reader (lib/trace.c): trace_load() on
 * the input as a file.
 *
 * Build and run: `make fuzz` (tests/fuzz/fuzz.mk, docs/fuzzing.md).
 *
 * The input is written to a memfd and loaded through /proc/self/fd/N.
 * Beyond "no crash, no leak, no UB" (ASan, UBSan, LeakSanitizer) the target
 * checks the bad-input contract (STYLE.md tier 1) and what the run loop
 * trusts about a loaded trace (lib/trace.h, docs/trace-format.md):
 *   - trace_load returns 0 or -1; on -1 the message is non-empty, one line,
 *     NUL-terminated inside MMSIM_ERR_LEN and starts with "PATH: ", and the
 *     struct is left empty (nothing to free);
 *   - on 0: 1..1024 processes of 1..1024 threads; every op has a known
 *     kind, a size of 1, 2, 4 or 8, regions that exist, addresses and
 *     lengths within 2^56, counts within 10^12, REPEAT/END pairs that
 *     point at each other and nest properly, spawn/join naming another
 *     thread of the process (spawn: one marked "spawned"), migrate naming a
 *     core 0..63; then trace_free() releases
 *     everything (LeakSanitizer checks). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/trace.h"

#define VA_LIMIT (1ull << 56)   /* user half of the 57-bit (LA57) space */
#define MAX_COUNT 1000000000000ull
#define MAX_DEPTH 16

#define REQUIRE(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_trace: " __VA_ARGS__); \
		fprintf(stderr, " (failed: %s)\n", #cond); \
		abort(); \
	} \
} while (0)

static void check_op(const struct trace_proc *p, uint32_t self, const struct op *ops,
		     uint32_t nops, uint32_t i, int *depth)
{
	const struct op *o = &ops[i];
	/* Kinds past OP_EXIT (DMA, fork, kernel allocators, ...) are added by
	 * other issues faster than this list follows: for them only the
	 * common fields below and "no crash, leak or UB" are checked. */
	REQUIRE(o->kind < 64, "ops[%u]: kind %u", i, o->kind);
	REQUIRE(o->addr.region < (int32_t)p->nregions, "ops[%u]: region %d", i, o->addr.region);
	REQUIRE(o->addr.region >= -1, "ops[%u]: region %d", i, o->addr.region);
	REQUIRE(o->addr.off < VA_LIMIT, "ops[%u]: address 0x%llx", i,
		(unsigned long long)o->addr.off);
	switch (o->kind) {
	case OP_MMAP:
		REQUIRE(o->region >= -1 && o->region < (int32_t)p->nregions, "ops[%u]", i);
		REQUIRE(o->len >= 1 && o->len <= VA_LIMIT, "ops[%u]: len", i);
		REQUIRE((o->addr.off & 4095) == 0, "ops[%u]: mmap addr not aligned", i);
		REQUIRE(!(o->flags & OPF_FIXED) || o->addr.off + o->len <= VA_LIMIT, "ops[%u]", i);
		break;
	case OP_MUNMAP:
	case OP_MPROTECT:
		REQUIRE(o->len >= 1 && o->len <= VA_LIMIT, "ops[%u]: len", i);
		REQUIRE(o->addr.off + o->len <= VA_LIMIT, "ops[%u]: span", i);
		break;
	case OP_READ:
	case OP_WRITE:
	case OP_FETCH:
		REQUIRE(o->size == 1 || o->size == 2 || o->size == 4 || o->size == 8,
			"ops[%u]: size %u", i, o->size);
		REQUIRE(o->size == 8 || (o->value >> (8 * o->size)) == 0, "ops[%u]: value", i);
		REQUIRE(o->addr.off + o->size <= VA_LIMIT, "ops[%u]: span", i);
		break;
	case OP_SEQ:
	case OP_STRIDE:
	case OP_RANDOM:
		REQUIRE(o->size == 1 || o->size == 2 || o->size == 4 || o->size == 8,
			"ops[%u]: size %u", i, o->size);
		REQUIRE(o->len >= o->size && o->len <= VA_LIMIT, "ops[%u]: len", i);
		REQUIRE(o->addr.off + o->len <= VA_LIMIT, "ops[%u]: span", i);
		REQUIRE(o->count <= MAX_COUNT, "ops[%u]: count", i);
		REQUIRE(o->wthresh <= (1ull << 53), "ops[%u]: wthresh", i);
		REQUIRE(!(o->flags & OPF_FETCH) || o->wthresh == 0, "ops[%u]: fetches write", i);
		REQUIRE(o->kind != OP_STRIDE || (o->stride > 0 && o->stride < o->len),
			"ops[%u]: stride", i);
		break;
	case OP_REPEAT:
		REQUIRE(o->count <= MAX_COUNT, "ops[%u]: count", i);
		REQUIRE(o->other > i && o->other < nops && ops[o->other].kind == OP_END &&
			ops[o->other].other == i, "ops[%u]: REPEAT partner", i);
		REQUIRE(++*depth <= MAX_DEPTH, "ops[%u]: nesting %d", i, *depth);
		break;
	case OP_END:
		REQUIRE(o->other < i && ops[o->other].kind == OP_REPEAT &&
			ops[o->other].other == i, "ops[%u]: END partner", i);
		REQUIRE(--*depth >= 0, "ops[%u]: END without REPEAT", i);
		break;
	case OP_COMPUTE:
	case OP_SLEEP:
		REQUIRE(o->count <= MAX_COUNT, "ops[%u]: cycles", i);
		break;
	case OP_SPAWN:
	case OP_JOIN:
		REQUIRE(o->other < p->nthreads && o->other != self, "ops[%u]: thread %u", i,
			o->other);
		REQUIRE(o->kind != OP_SPAWN || p->threads[o->other].spawned,
			"ops[%u]: spawns a thread that is not \"spawned\"", i);
		break;
	case OP_MIGRATE:
		REQUIRE(o->other <= 63, "ops[%u]: cpu %u", i, o->other);
		break;
	default:
		break;
	}
}

static void check_trace(const struct trace *t)
{
	REQUIRE(t->nprocs >= 1 && t->nprocs <= 1024 && t->procs, "nprocs %u", t->nprocs);
	for (uint32_t pi = 0; pi < t->nprocs; pi++) {
		const struct trace_proc *p = &t->procs[pi];
		REQUIRE(p->nthreads >= 1 && p->nthreads <= 1024 && p->threads,
			"processes[%u]: nthreads %u", pi, p->nthreads);
		REQUIRE(memchr(p->name, '\0', sizeof(p->name)) && p->name[0],
			"processes[%u]: name", pi);
		for (uint32_t pj = 0; pj < pi; pj++)
			REQUIRE(strcmp(t->procs[pj].name, p->name) != 0,
				"processes[%u]: duplicate name %s", pi, p->name);
		for (uint32_t r = 0; r < p->nregions; r++)
			REQUIRE(memchr(p->regions[r], '\0', sizeof(p->regions[r])) &&
				p->regions[r][0], "processes[%u]: region %u", pi, r);
		for (uint32_t ti = 0; ti < p->nthreads; ti++) {
			const struct trace_thread *th = &p->threads[ti];
			REQUIRE(th->cpu >= -1 && th->cpu <= 63, "thread cpu %d", th->cpu);
			REQUIRE(th->nops == 0 || th->ops, "thread ops");
			int depth = 0;
			for (uint32_t i = 0; i < th->nops; i++)
				check_op(p, ti, th->ops, th->nops, i, &depth);
			REQUIRE(depth == 0, "unbalanced REPEAT/END");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-trace", 0);
		if (fd < 0) {
			perror("fuzz_trace: memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz_trace: writing the memfd");
		abort();
	}

	struct trace t;
	char err[MMSIM_ERR_LEN];
	memset(&t, 0x5a, sizeof(t));      /* trace_load must not rely on a zeroed struct */
	memset(err, 0xff, sizeof(err));
	int rc = trace_load(&t, path, err);
	REQUIRE(rc == 0 || rc == -1, "trace_load returned %d", rc);
	if (rc == 0) {
		check_trace(&t);
		trace_free(&t);
		return 0;
	}
	REQUIRE(memchr(err, '\0', sizeof(err)) && err[0], "empty or unterminated message");
	REQUIRE(!strchr(err, '\n'), "message is not one line: \"%s\"", err);
	size_t plen = strlen(path);
	REQUIRE(strncmp(err, path, plen) == 0 && err[plen] == ':',
		"message does not start with the path: \"%s\"", err);
	REQUIRE(t.procs == NULL && t.nprocs == 0, "failed load left procs behind");
	return 0;
}
