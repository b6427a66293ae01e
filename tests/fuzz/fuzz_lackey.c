/* libFuzzer target for the recorded-trace reader of Valgrind lackey output
 * (lib/lackey.c): lackey_open() and lackey_next() to the end of the input.
 *
 * Build and run: `make fuzz` (tests/fuzz/fuzz.mk, docs/fuzzing.md).
 *
 * The reader streams through a fixed 64K buffer, so the interesting bugs
 * are at refills and at the "line too long" limit, which a 4K fuzz input
 * never reaches. When the first byte of the input is odd, the rest is
 * repeated until the text is over 140K, so lines cross refills and a line
 * with no newline grows past the buffer.
 *
 * The oracle is a small reference parser of the format in lib/lackey.h,
 * written from the header, not from the code: every record, the count, and
 * on bad input the exact "PATH:LINE:" of the first bad line must agree.
 * The message must be one line starting with the path. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/lackey.h"

#define REF_BUF (64 * 1024)      /* lackey.c's line buffer: longer lines fail */
#define BIG (140 * 1024)         /* repeated inputs grow past this */

#define REQUIRE(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_lackey: " __VA_ARGS__); \
		fprintf(stderr, " (failed: %s)\n", #cond); \
		abort(); \
	} \
} while (0)

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* One line s[0..n) of the format: 1 record, 0 skipped, -1 bad. */
static int ref_line(const char *s, size_t n, struct lackey_rec *r)
{
	if (n == 0 || (n >= 2 && ((s[0] == '=' && s[1] == '=') || (s[0] == '-' && s[1] == '-'))))
		return 0;
	if (n < 6 || s[2] != ' ')
		return -1;
	if (s[0] == 'I' && s[1] == ' ')
		r->kind = 'I';
	else if (s[0] == ' ' && (s[1] == 'L' || s[1] == 'S' || s[1] == 'M'))
		r->kind = s[1];
	else
		return -1;
	size_t i = 3, digits = 0;
	uint64_t a = 0;
	while (i < n && hexval(s[i]) >= 0) {
		if (++digits > 16)
			return -1;
		a = a << 4 | (uint64_t)hexval(s[i++]);
	}
	if (digits == 0 || i >= n || s[i] != ',')
		return -1;
	i++;
	if (i >= n)
		return -1;
	uint64_t size = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (size <= 1000000)
			size = size * 10 + (uint64_t)(s[i] - '0');
	}
	if (size < 1 || size > LACKEY_MAX_SIZE)
		return -1;
	r->addr = a;
	r->size = (uint32_t)size;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	static char *text;
	if (fd < 0) {
		fd = memfd_create("fuzz-lackey", 0);
		REQUIRE(fd >= 0, "memfd_create");
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		text = malloc(BIG + 8192);
		REQUIRE(text != NULL, "malloc");
	}
	if (size == 0)
		return 0;
	size_t n = 0;
	bool repeat = data[0] & 1;
	data++, size--;
	do {
		memcpy(text + n, data, size);
		n += size;
	} while (repeat && size && n <= BIG);
	REQUIRE(ftruncate(fd, 0) == 0 && (n == 0 || pwrite(fd, text, n, 0) == (ssize_t)n),
		"writing the memfd");

	char err[MMSIM_ERR_LEN];
	memset(err, 0xff, sizeof(err));
	struct lackey *lk = lackey_open(path, err);
	REQUIRE(lk != NULL, "lackey_open failed on a readable file: %.*s", 200, err);

	/* Walk the reference and the reader side by side. */
	uint64_t line = 0, records = 0;
	size_t pos = 0;
	for (;;) {
		struct lackey_rec want = { 0 }, got = { 0 };
		int ref = 0;
		bool end = pos >= n, too_long = false;
		while (!end) {
			const char *nl = memchr(text + pos, '\n', n - pos);
			size_t len = nl ? (size_t)(nl - (text + pos)) : n - pos;
			line++;
			if (len >= REF_BUF) {
				too_long = true;
				break;
			}
			ref = ref_line(text + pos, len, &want);
			pos += len + (nl != NULL);
			if (ref != 0)
				break;
			end = pos >= n;
		}
		memset(err, 0xff, sizeof(err));
		int rc = lackey_next(lk, &got, err);
		if (end) {
			REQUIRE(rc == 0, "line %llu: reader returned %d at the end: %.*s",
				(unsigned long long)line, rc, 200, rc < 0 ? err : "");
			break;
		}
		if (too_long || ref < 0) {
			REQUIRE(rc == -1, "line %llu: reader accepted a bad line (rc %d)",
				(unsigned long long)line, rc);
			REQUIRE(memchr(err, '\0', sizeof(err)) && !strchr(err, '\n'),
				"message not one line");
			char where[96];
			snprintf(where, sizeof(where), "%s:%llu: ", path, (unsigned long long)line);
			REQUIRE(strncmp(err, where, strlen(where)) == 0,
				"message \"%s\" does not start with \"%s\"", err, where);
			REQUIRE(!too_long || strstr(err, "too long"), "expected too long: %s", err);
			break;
		}
		REQUIRE(rc == 1, "line %llu: reader returned %d for a good record: %.*s",
			(unsigned long long)line, rc, 200, rc < 0 ? err : "");
		REQUIRE(got.kind == want.kind && got.addr == want.addr && got.size == want.size,
			"line %llu: got %c %llx,%u want %c %llx,%u", (unsigned long long)line,
			got.kind, (unsigned long long)got.addr, got.size, want.kind,
			(unsigned long long)want.addr, want.size);
		records++;
		REQUIRE(lackey_count(lk) == records, "count %llu, want %llu",
			(unsigned long long)lackey_count(lk), (unsigned long long)records);
	}
	lackey_close(lk);
	return 0;
}
