/* libFuzzer target for the recorded-trace decoders of lib/rtrace*.c (the
 * ChampSim reader and the mmsim binary format, with its zstd layer), the
 * decoders issue harness asks a target for besides lackey's (fuzz_lackey).
 *
 * The first input byte picks the format the rest is opened as (auto,
 * champsim, mmsim); the rest is the file, written to a memfd. Every record
 * returned must be well formed (a known kind, size 1..RT_MAX_SIZE for
 * memory kinds, count >= 1 for compute), the reader must end (0) or fail
 * (-1) with a one-line message starting with the path, and a second read
 * after the end must repeat the result.
 *
 * Build and run: `make fuzz` (tests/fuzz/fuzz.mk, docs/fuzzing.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/rtrace.h"

#define REQUIRE(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_rtrace: " __VA_ARGS__); \
		fprintf(stderr, " (failed: %s)\n", #cond); \
		abort(); \
	} \
} while (0)

static void check_message(const char *path, const char *err)
{
	REQUIRE(strncmp(err, path, strlen(path)) == 0, "message does not name the file: %s", err);
	REQUIRE(!strchr(err, '\n'), "message of several lines: %s", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum rtrace_format fmts[] = { RT_AUTO, RT_CHAMPSIM, RT_MMSIM };
	if (size < 1)
		return 0;
	enum rtrace_format fmt = fmts[data[0] % 3];
	int fd = memfd_create("fuzz_rtrace", 0);
	if (fd < 0 || write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	char path[64], err[512] = "";
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct rtrace *t = rtrace_open(path, fmt, err);
	if (!t) {
		check_message(path, err);
		close(fd);
		return 0;
	}
	struct rtrace_rec recs[64];
	long n, total = 0;
	while ((n = rtrace_read(t, recs, 64, err)) > 0 && total < 1000000) {
		for (long i = 0; i < n; i++) {
			const struct rtrace_rec *r = &recs[i];
			REQUIRE(r->kind < RT_KINDS, "kind %u", r->kind);
			if (r->kind == RT_COMPUTE)
				REQUIRE(r->count >= 1, "compute count 0");
			else
				REQUIRE(r->size >= 1 && r->size <= RT_MAX_SIZE, "size %u", r->size);
		}
		total += n;
	}
	if (n < 0) {
		check_message(path, err);
		REQUIRE(rtrace_read(t, recs, 64, err) < 0, "an error does not repeat");
	} else if (n == 0) {
		REQUIRE(rtrace_read(t, recs, 64, err) == 0, "the end does not repeat");
	}
	rtrace_close(t);
	close(fd);
	return 0;
}
