/* Bad input on every input path (STYLE.md "Errors", tier 1): config files,
 * -s overrides, JSON traces, recorded (lackey) traces and the command line
 * (`mmsim run`, `mmsim config`, `mmsim lackey`). One table per path; each row is an input
 * and the message it must give, and the test checks that the parser returns
 * its error code (never crashes: run it under `make SAN=1`), that the
 * message is one line starting with the file (or "-s", or "mmsim run:" and
 * the option), and that the place and the complaint follow.
 *
 * Rows with a `bug` text record a known bug (found by hand or by the
 * fuzzers, docs/fuzzing.md): they assert the correct behaviour and are run
 * by the separate test badinput/known_bugs, which fails until they are
 * fixed; the table tests skip them. When a bug is fixed, delete its
 * `bug` text and the row joins its table.
 *
 * In expected messages, ' stands for " (so the JSON stays readable), \' is
 * a real ', '#' matches one or more digits and '*' any text. Inputs given
 * with an explicit length are raw bytes, written as they are. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/trace.h"
#if __has_include("lib/lackey.h")
#include "lib/lackey.h"
#define HAVE_LACKEY 1
#endif
#include "src/cli.h"

/* Table rows leave `bug` (and the generator fields) out when unused. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* ---- helpers ------------------------------------------------------------ */

/* How a row makes its input file. */
enum src {
	TEXT,      /* text (with ' for "), or raw bytes when len != 0 */
	GEN,       /* gen() builds the text (malloc'd) */
	HALF,      /* the first half of the file named by text */
	MISSING,   /* a path that does not exist */
	DIRECTORY, /* a path that is a directory */
};

struct file_row {
	const char *name;
	enum src src;
	const char *text;
	size_t len;            /* raw bytes: the length of text */
	char *(*gen)(void);
	const char *want;      /* what follows the path in the message */
	const char *bug;       /* non-NULL: a known bug (see the file header) */
};

struct set_row {
	const char *name;
	const char *set[3];    /* -s assignments, in order */
	const char *want;      /* the whole message */
	const char *bug;
};

struct cli_row {
	const char *name;
	const char *argv[12];  /* argv[0] = the subcommand: run, config, lackey */
	const char *want;      /* a fragment of the first line of stderr */
	const char *bug;
};

/* While known_bugs runs its rows, a failing row is only logged (see there). */
static bool soft;

/* Report a failing row: a failed expectation, or a log line when soft. */
#define ROW_FAIL(...) do { \
	if (soft) \
		cr_log_info(__VA_ARGS__); \
	else \
		cr_expect(false, __VA_ARGS__); \
} while (0)

/* Does text begin with the pattern? '#' is 1+ digits, '*' any text. */
static bool match_prefix(const char *s, const char *p)
{
	for (; *p; p++) {
		if (*p == '*') {
			for (const char *t = s; ; t++) {
				if (match_prefix(t, p + 1))
					return true;
				if (!*t)
					return false;
			}
		}
		if (*p == '#') {
			if (*s < '0' || *s > '9')
				return false;
			while (*s >= '0' && *s <= '9')
				s++;
			continue;
		}
		char want = *p == '\'' ? '"' : *p;
		if (*p == '\\' && p[1])
			want = *++p;
		if (*s++ != want)
			return false;
	}
	return true;
}

/* Does the pattern occur anywhere in s? */
static bool match_anywhere(const char *s, const char *p)
{
	for (; *s; s++)
		if (match_prefix(s, p))
			return true;
	return false;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	cr_assert_not_null(d);
	return d;
}

/* Whole file into a malloc'd NUL-terminated buffer; *len = its size. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* Make the row's input; path gets its name (at least 64 bytes). */
static void make_input(const struct file_row *r, char *path)
{
	if (r->src == MISSING) {
		strcpy(path, "/nonexistent-mmsim-dir/input.json");
		return;
	}
	if (r->src == DIRECTORY) {
		strcpy(path, "/tmp/mmsim-badinput-XXXXXX");
		cr_assert_not_null(mkdtemp(path));
		return;
	}
	char *buf;
	size_t len;
	if (r->src == GEN) {
		buf = r->gen();
		len = strlen(buf);
	} else if (r->src == HALF) {
		buf = slurp(r->text, &len);
		len /= 2;
	} else if (r->len) {
		buf = malloc(r->len);
		cr_assert_not_null(buf);
		memcpy(buf, r->text, r->len);
		len = r->len;
	} else {
		buf = xstrdup(r->text);
		len = strlen(buf);
		for (char *c = buf; *c; c++)
			if (*c == '\'')
				*c = '"';
	}
	strcpy(path, "/tmp/mmsim-badinput-XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
}

static void remove_input(const struct file_row *r, const char *path)
{
	if (r->src == DIRECTORY)
		rmdir(path);
	else if (r->src != MISSING)
		unlink(path);
}

/* The common contract: rc as expected, and err is "WHERE" + want, one line.
 * Returns whether the row passed (ROW_FAIL reports each failure). */
static bool check_msg(const char *row, int rc, int want_rc, const char *err,
		      const char *where, const char *want)
{
	size_t wl = strlen(where);
	bool ok = true;
	if (rc != want_rc) {
		ROW_FAIL("%s: returned %d (want %d); message: %s", row, rc, want_rc, err);
		return false;
	}
	if (!err[0]) {
		ROW_FAIL("%s: empty message", row);
		return false;
	}
	if (strchr(err, '\n')) {
		ROW_FAIL("%s: message is more than one line: %s", row, err);
		ok = false;
	}
	if (strncmp(err, where, wl) != 0 || err[wl] != ':') {
		ROW_FAIL("%s: message does not start with '%s:': %s", row, where, err);
		return false;
	}
	if (want && !match_prefix(err + wl, want)) {
		ROW_FAIL("%s:\n  got:  %s\n  want: %s%s", row, err, where, want);
		ok = false;
	}
	return ok;
}

/* ---- generated inputs ----------------------------------------------------- */

/* n copies of s, then the middle, then n copies of t. */
static char *nest(const char *s, const char *mid, const char *t, int n)
{
	size_t ls = strlen(s), lm = strlen(mid), lt = strlen(t);
	char *buf = malloc(n * (ls + lt) + lm + 1), *p = buf;
	cr_assert_not_null(buf);
	for (int i = 0; i < n; i++, p += ls)
		memcpy(p, s, ls);
	memcpy(p, mid, lm);
	p += lm;
	for (int i = 0; i < n; i++, p += lt)
		memcpy(p, t, lt);
	*p = '\0';
	return buf;
}

static char *arrays_10000_deep(void) { return nest("[", "", "]", 10000); }
static char *objects_10000_deep(void) { return nest("{\"a\":", "1", "}", 10000); }

/* A trace with 17 repeats inside one another (the limit is 16). */
static char *repeats_17_deep(void)
{
	char *inner = nest("{\"op\":\"repeat\",\"count\":1,\"ops\":[", "", "]}", 17);
	char *t = nest("{\"processes\":[{\"threads\":[{\"ops\":[", inner, "]}]}]}", 1);
	free(inner);
	return t;
}

static char *many_processes(int n)
{
	const char *head = "{\"processes\":[", *one = "{\"threads\":[{\"ops\":[]}]}";
	size_t lo = strlen(one);
	char *buf = malloc(strlen(head) + (size_t)n * (lo + 1) + 3), *p = buf;
	cr_assert_not_null(buf);
	p += sprintf(p, "%s", head);
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "," : "", one);
	strcpy(p, "]}");
	return buf;
}

static char *procs_1025(void) { return many_processes(1025); }

static char *threads_1025(void)
{
	const char *one = "{\"ops\":[]}";
	char *buf = malloc(64 + 1025 * (strlen(one) + 1)), *p = buf;
	cr_assert_not_null(buf);
	p += sprintf(p, "{\"processes\":[{\"threads\":[");
	for (int i = 0; i < 1025; i++)
		p += sprintf(p, "%s%s", i ? "," : "", one);
	strcpy(p, "]}]}");
	return buf;
}

/* ---- config files --------------------------------------------------------- */

#define RAW(s) TEXT, s, sizeof(s) - 1, NULL
#define TXT(s) TEXT, s, 0, NULL

static const struct file_row config_rows[] = {
	/* wrong types */
	{ "string for a number", TXT("{'cores': 'four'}"),
	  ": cores: 'four' is not a number (decimal or 0x-hex)" },
	{ "bool for a number", TXT("{'cores': true}"), ": cores: expected a number" },
	{ "null for a number", TXT("{'cores': null}"), ": cores: expected a number" },
	{ "number for a group", TXT("{'tlb': 5}"), ": tlb: expected an object, not a number" },
	{ "object for a number", TXT("{'kernel': {'cost': {'fault': {}}}}"),
	  ": kernel.cost.fault: expected a number, not an object" },
	{ "array for a size", TXT("{'memory': {'size': [4]}}"),
	  ": memory.size: expected a size (number or string like '4K'), not an array" },
	{ "number for a string", TXT("{'name': 5}"), ": name: expected a string, not a number" },
	{ "number for a bool", TXT("{'tlb': {'pcid': 1}}"),
	  ": tlb.pcid: expected true or false, not a number" },
	{ "string for a bool", TXT("{'mmu': {'la57': 'true'}}"),
	  ": mmu.la57: expected true or false, not a string" },
	{ "number for a choice", TXT("{'tlb': {'l1d': {'4k': {'policy': 1}}}}"),
	  ": tlb.l1d.4k.policy: expected a string, not a number" },
	{ "unknown choice", TXT("{'tlb': {'stlb': {'sizes': '8k'}}}"),
	  ": tlb.stlb.sizes: '8k' is not one of: 4k, 4k+2m, 4k+2m+1g" },
	{ "choice in capitals", TXT("{'tlb': {'l1d': {'4k': {'policy': 'LRU'}}}}"),
	  ": tlb.l1d.4k.policy: 'LRU' is not one of: lru, plru, random, fifo" },
	{ "array for description", TXT("{'description': []}"),
	  ": description: expected a string, not an array" },
	{ "unit on a count", TXT("{'cores': '4K'}"),
	  ": cores: '4K' is not a number (decimal or 0x-hex)" },
	{ "fraction", TXT("{'cores': 1.5}"), ": cores: must be a whole number" },
	{ "not a size", TXT("{'memory': {'size': '4 gigs'}}"),
	  ": memory.size: '4 gigs' is not a size (a number, optionally with K, M, G or T)" },
	{ "top level array", TXT("[1]"), ": expected a JSON object at the top level, not an array" },
	{ "top level string", TXT("'x'"), ": expected a JSON object at the top level, not a string" },
	/* unknown keys */
	{ "misspelt key", TXT("{'memory': {'sise': '4G'}}"),
	  ": memory.sise: unknown key; did you mean 'size'?" },
	{ "misspelt deep key", TXT("{'kernel': {'cost': {'fualt': 1}}}"),
	  ": kernel.cost.fualt: unknown key; did you mean 'fault'?" },
	{ "misspelt TLB key", TXT("{'tlb': {'l1d': {'4k': {'entires': 64}}}}"),
	  ": tlb.l1d.4k.entires: unknown key; did you mean 'entries'?" },
	{ "old flat TLB key", TXT("{'tlb': {'l1d': {'entries': 64}}}"), ": tlb.l1d.entries: unknown key" },
	{ "misspelt top key", TXT("{'coers': 2}"), ": coers: unknown key; did you mean 'cores'?" },
	{ "unknown key", TXT("{'frobnicate': 1}"), ": frobnicate: unknown key" },
	{ "dotted key in a file", TXT("{'memory.size': '4G'}"), ": memory.size: unknown key" },
	{ "description below the top", TXT("{'memory': {'description': 'x'}}"),
	  ": memory.description: unknown key" },
	/* out of range */
	{ "zero cores", TXT("{'cores': 0}"), ": cores: 0 is out of range (1..64)" },
	{ "65 cores", TXT("{'cores': 65}"), ": cores: 65 is out of range (1..64)" },
	{ "memory too small", TXT("{'memory': {'size': '8M'}}"),
	  ": memory.size: 8M is out of range (16M..1T)" },
	{ "memory too large", TXT("{'memory': {'size': '2T'}}"),
	  ": memory.size: 2T is out of range (16M..1T)" },
	{ "maxphyaddr 53", TXT("{'mmu': {'maxphyaddr': 53}}"),
	  ": mmu.maxphyaddr: 53 is out of range (36..52)" },
	{ "name too long", TXT("{'name': '0123456789012345678901234567890123456789012345678901234567890123'}"),
	  ": name: longer than 63 bytes" },
	/* huge counts */
	{ "1e30", TXT("{'cores': 1e30}"), ": cores: must be below 2^53*" },
	{ "2^53 as a number", TXT("{'seed': 9007199254740992}"), ": seed: must be below 2^53*" },
	{ "2^64 as hex", TXT("{'seed': '0x10000000000000000'}"), ": seed: '0x10000000000000000' is not*" },
	{ "2^64 as decimal", TXT("{'seed': '18446744073709551616'}"),
	  ": seed: '18446744073709551616' is not*" },
	{ "size overflowing 64 bits", TXT("{'memory': {'size': '16777216T'}}"),
	  ": memory.size: '16777216T' is not a size*" },
	{ "1e400 (infinity)", TXT("{'cores': 1e400}"), ": cores: must be below 2^53*" },
	/* negative values */
	{ "negative", TXT("{'cores': -1}"), ": cores: must not be negative" },
	{ "negative fraction", TXT("{'kernel': {'cost': {'fault': -0.5}}}"),
	  ": kernel.cost.fault: must not be negative" },
	{ "negative size string", TXT("{'memory': {'size': '-4K'}}"),
	  ": memory.size: '-4K' is not a size*" },
	{ "negative infinity", TXT("{'cores': -1e400}"), ": cores: must not be negative" },
	/* duplicate keys */
	{ "duplicate key", TXT("{'cores': 2, 'cores': 3}"), ": cores: duplicate key" },
	{ "nested duplicate key", TXT("{'memory': {'size': '4G', 'size': '4G'}}"),
	  ": memory.size: duplicate key" },
	{ "duplicate group", TXT("{'memory': {}, 'memory': {}}"), ": memory: duplicate key" },
	/* cross-key rules (cfg_check) */
	{ "ways above entries", TXT("{'tlb': {'l1d': {'4k': {'entries': 2, 'ways': 4}}}}"),
	  ": tlb.l1d.4k.ways: 4 ways is more than the 2 entries" },
	{ "ways not dividing", TXT("{'tlb': {'stlb': {'entries': 1536, 'ways': 7}}}"),
	  ": tlb.stlb.entries: 1536 is not a multiple of tlb.stlb.ways (7)" },
	{ "plru with 6 ways", TXT("{'tlb': {'l1d': {'4k': {'entries': 96, 'ways': 6, 'policy': 'plru'}}}}"),
	  ": tlb.l1d.4k.policy: plru needs a power-of-two number of ways up to 64, not 6" },
	{ "memory not whole pages", TXT("{'memory': {'size': 16777217}}"),
	  ": memory.size: 16777217 is not a multiple of 4K" },
	{ "memory beyond maxphyaddr", TXT("{'memory': {'size': '1T'}, 'mmu': {'maxphyaddr': 36}}"),
	  ": memory.size: 1T does not fit in mmu.maxphyaddr = 36 bits (64G)" },
	/* broken files */
	{ "missing file", MISSING, NULL, 0, NULL, ": cannot open: No such file or directory" },
	{ "empty file", TXT(""), ": empty file (expected a JSON object)" },
	{ "blank file", TXT(" \n\t\n"), ": empty file (expected a JSON object)" },
	{ "truncated file", HALF, "configs/default.json", 0, NULL, ":#:#: JSON syntax error" },
	{ "syntax error", TXT("{'cores': }"), ":1:11: JSON syntax error" },
	{ "trailing garbage", TXT("{} x"), ":1:4: JSON syntax error" },
	{ "comment", TXT("{'cores': 2 // two\n}"), ":1:13: JSON syntax error" },
	{ "arrays 10000 deep", GEN, NULL, 0, arrays_10000_deep, ":1:1001: JSON syntax error" },
	{ "objects 10000 deep", GEN, NULL, 0, objects_10000_deep, ":1:5001: JSON syntax error" },
	{ "non-UTF-8 byte", RAW("{\"name\": \"\xff\"}"), ": byte 10: invalid UTF-8" },
	{ "overlong UTF-8", RAW("{\"name\": \"\xc0\x80\"}"), ": byte 10: invalid UTF-8" },
	{ "UTF-16 surrogate", RAW("{\"name\": \"\xed\xa0\x80\"}"), ": byte 10: invalid UTF-8" },
	{ "cut UTF-8 at the end", RAW("{}\xe2\x82"), ": byte 2: invalid UTF-8" },
	{ "Latin-1 file", RAW("{\"name\": \"caf\xe9\"}"), ": byte 13: invalid UTF-8" },
	{ "NUL byte", RAW("{\"cores\": 2}\0junk"), ": byte 12: NUL byte in a JSON text" },
	{ "NUL byte first", RAW("\0{}"), ": byte 0: NUL byte in a JSON text" },
	/* BUG (fixed in 9feef9f): lib/jsonutil.c json_load_file: fopen() of a
	 * directory succeeds, fread() fails with EISDIR, and the message was
	 * "PATH: read error", without the reason. */
	{ "a directory", DIRECTORY, NULL, 0, NULL, ": cannot read: Is a directory" },
	/* BUG (fixed in 9feef9f): messages quoted input verbatim (json_check_keys,
	 * json_u64, cfg_set, the trace's names, ops and regions), so a key
	 * holding "\n" made a message of two lines, and ESC reached the
	 * terminal. Found by fuzz_config and fuzz_trace. */
	{ "key with a newline", TXT("{'co\\nres': 1}"), ": co\\\\nres: unknown key" },
	{ "key with ESC", TXT("{'\\u001b[31mred': 1}"), ": \\\\x1b[31mred: unknown key" },
	/* BUG (fixed in 9feef9f): cJSON decodes the escape \u0000 to a NUL, so
	 * the key read as "cores" and the file was accepted as cores = 2 (and
	 * "name": "a\u0000b" as "a"). */
	{ "\\u0000 in a key", TXT("{'cores\\u0000junk': 2}"),
	  ": byte 7: \\\\u0000 (a NUL character) is not allowed in a string" },
	{ "\\u0000 in a value", TXT("{'name': 'a\\u0000b'}"),
	  ": byte 11: \\\\u0000 (a NUL character) is not allowed in a string" },
	/* BUG (fixed in 9feef9f): lib/jsonutil.c parse_u64 called strtoull()
	 * after "0x", which takes a sign and blanks: "0x-1" was 2^64-1, "0x+2"
	 * and "0x 2" were 2. */
	{ "0x-1", TXT("{'cores': '0x-1'}"), ": cores: '0x-1' is not a number*" },
	{ "0x+2", TXT("{'cores': '0x+2'}"), ": cores: '0x+2' is not a number*" },
	{ "0x-1 seed", TXT("{'seed': '0x-1'}"), ": seed: '0x-1' is not a number*" },
};

/* Load the row's file over the defaults, then cfg_check. */
static bool run_config_row(const struct file_row *r)
{
	struct mmsim_cfg cfg;
	char path[64], err[MMSIM_ERR_LEN] = "";
	make_input(r, path);
	cfg_defaults(&cfg);
	int rc = cfg_load(&cfg, path, err);
	if (rc == 0)
		rc = cfg_check(&cfg, path, err);
	if (rc == 0)
		snprintf(err, sizeof(err), "(accepted)");
	remove_input(r, path);
	return check_msg(r->name, rc, -1, err, path, r->want);
}

/* ---- -s overrides --------------------------------------------------------- */

static const struct set_row set_rows[] = {
	{ "no =", { "cores" }, "-s: cores: expected key.path=value" },
	{ "no key", { "=4" }, "-s: =4: expected key.path=value" },
	{ "misspelt key", { "memory.sise=4G" },
	  "-s: memory.sise: unknown key; did you mean 'memory.size'?" },
	{ "unknown key", { "frobnicate=1" }, "-s: frobnicate: unknown key" },
	{ "description is file-only", { "description=x" }, "-s: description: unknown key" },
	{ "a group", { "kernel.cost=4" },
	  "-s: kernel.cost: is a group of keys; set one of them, e.g. kernel.cost.<key>=value" },
	{ "very long key", { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1" },
	  "-s: aaaa*: unknown key" },
	{ "not a number", { "cores=four" }, "-s: cores: 'four' is not a number (decimal or 0x-hex)" },
	{ "empty value", { "cores=" }, "-s: cores: '' is not a number (decimal or 0x-hex)" },
	{ "unit on a count", { "cores=4K" }, "-s: cores: '4K' is not a number (decimal or 0x-hex)" },
	{ "not a size", { "memory.size=4 gigs" },
	  "-s: memory.size: '4 gigs' is not a size (a number, optionally with K, M, G or T)" },
	{ "negative", { "cores=-1" }, "-s: cores: must not be negative" },
	{ "not a bool", { "tlb.pcid=yes" }, "-s: tlb.pcid: 'yes' is not true or false" },
	{ "bool as a number", { "mmu.la57=1" }, "-s: mmu.la57: '1' is not true or false" },
	{ "unknown choice", { "tlb.l1d.4k.policy=mru" },
	  "-s: tlb.l1d.4k.policy: 'mru' is not one of: lru, plru, random, fifo" },
	{ "misspelt TLB key", { "tlb.l1d.4k.wyas=2" },
	  "-s: tlb.l1d.4k.wyas: unknown key; did you mean 'tlb.l1d.4k.ways'?" },
	{ "a TLB group", { "tlb.l1d=2" },
	  "-s: tlb.l1d: is a group of keys; set one of them, e.g. tlb.l1d.<key>=value" },
	{ "negative size", { "memory.size= -4K" }, "-s: memory.size: must not be negative" },
	{ "zero cores", { "cores=0" }, "-s: cores: 0 is out of range (1..64)" },
	{ "memory too small", { "memory.size=8M" }, "-s: memory.size: 8M is out of range (16M..1T)" },
	{ "1e30", { "seed=1e30" }, "-s: seed: '1e30' is not a number (decimal or 0x-hex)" },
	{ "2^64 as hex", { "seed=0x10000000000000000" }, "-s: seed: '0x10000000000000000' is not*" },
	{ "2^64 as decimal", { "seed=18446744073709551616" },
	  "-s: seed: '18446744073709551616' is not*" },
	{ "size overflowing 64 bits", { "memory.size=16777216T" },
	  "-s: memory.size: '16777216T' is not a size*" },
	{ "name too long", { "name=0123456789012345678901234567890123456789012345678901234567890123" },
	  "-s: name: longer than 63 bytes" },
	{ "ways not dividing (cfg_check)", { "tlb.l1d.4k.ways=3" },
	  "-s: tlb.l1d.4k.entries: 64 is not a multiple of tlb.l1d.4k.ways (3)" },
	{ "memory beyond maxphyaddr (cfg_check)", { "mmu.maxphyaddr=36", "memory.size=128G" },
	  "-s: memory.size: 128G does not fit in mmu.maxphyaddr = 36 bits (64G)" },
	{ "the first bad one wins", { "cores=2", "cores=x", "frobnicate=1" },
	  "-s: cores: 'x' is not a number (decimal or 0x-hex)" },
	/* BUG (fixed in 9feef9f): parse_u64 took a sign or blanks after "0x":
	 * -s seed=0x-1 ran with seed 18446744073709551615. */
	{ "0x-1", { "seed=0x-1" }, "-s: seed: '0x-1' is not a number*" },
	{ "0x 2", { "cores=0x 2" }, "-s: cores: '0x 2' is not a number*" },
	{ "0x+2", { "cores=0x+2" }, "-s: cores: '0x+2' is not a number*" },
	/* BUG (fixed in 9feef9f): lib/config.c cfg_set did not check a string
	 * for UTF-8, so -s name=$'caf\xe9' was accepted and --stats wrote a
	 * JSON file that is not UTF-8. Found by fuzz_config (the cfg_to_json
	 * round trip). */
	{ "name not UTF-8", { "name=caf\xe9" }, "-s: name: *UTF-8*" },
	/* ... and a newline in a -s value stays inside one line of message */
	{ "value with a newline", { "cores=4\n5" }, "-s: cores: '4\\\\n5' is not a number*" },
};

static bool run_set_row(const struct set_row *r)
{
	struct mmsim_cfg cfg;
	char err[MMSIM_ERR_LEN] = "";
	int rc = 0;
	cfg_defaults(&cfg);
	for (int i = 0; i < 3 && r->set[i] && rc == 0; i++)
		rc = cfg_set(&cfg, r->set[i], "-s", err);
	if (rc == 0)
		rc = cfg_check(&cfg, "-s", err);
	if (rc == 0)
		snprintf(err, sizeof(err), "(accepted)");
	/* want holds the whole message; check_msg matches after "-s" */
	return check_msg(r->name, rc, -1, err, "-s", r->want + 2);
}

/* ---- traces --------------------------------------------------------------- */

/* A trace whose only thread has these ops; AT is the first op's place. */
#define OPS(ops) TXT("{'processes': [{'threads': [{'ops': [" ops "]}]}]}")
#define AT ": processes[0].threads[0].ops[0]"
#define AT1 ": processes[0].threads[0].ops[1]"
#define HEAP "{'op': 'mmap', 'name': 'heap', 'length': '1M'}, "

static const struct file_row trace_rows[] = {
	/* structure */
	{ "top level array", TXT("[]"), ": expected a JSON object at the top level" },
	{ "no processes", TXT("{}"), ": 'processes' is required" },
	{ "processes not an array", TXT("{'processes': {}}"),
	  ": processes: expected an array of processes" },
	{ "zero processes", TXT("{'processes': []}"), ": processes: must have 1 to 1024 processes" },
	{ "1025 processes", GEN, NULL, 0, procs_1025, ": processes: must have 1 to 1024 processes" },
	{ "1025 threads", GEN, NULL, 0, threads_1025,
	  ": processes[0].threads: must have 1 to 1024 threads" },
	{ "process not an object", TXT("{'processes': [7]}"),
	  ": processes[0]: expected a process object such as {'threads': [...]}" },
	{ "thread not an object", TXT("{'processes': [{'threads': ['x']}]}"),
	  ": processes[0].threads[0]: expected a thread object such as {'ops': [...]}" },
	{ "no ops", TXT("{'processes': [{'threads': [{}]}]}"),
	  ": processes[0].threads[0]: 'ops' is required" },
	{ "ops not an array", TXT("{'processes': [{'threads': [{'ops': 1}]}]}"),
	  ": processes[0].threads[0].ops: expected an array of ops" },
	{ "op not an object", OPS("1"), AT ": expected an op object such as {'op': 'read', ...}" },
	{ "no op", OPS("{'addr': 0}"), AT ": 'op' is required" },
	{ "repeats 17 deep", GEN, NULL, 0, repeats_17_deep,
	  ": processes[0].threads[0].ops[0].ops[0].ops[0].ops[0].ops[0].ops[0].ops[0].ops[0]"
	  ".ops[0].ops[0].ops[0].ops[0].ops[0].ops[0].ops[0].ops[0].ops[0]: repeats nested "
	  "more than 16 deep" },
	{ "default name clash", TXT("{'processes': [{'name': 'p1', 'threads': [{'ops': []}]}, "
				    "{'threads': [{'ops': []}]}]}"),
	  ": processes[1]: the default name 'p1' is already the name of processes[0]; give "
	  "this one a 'name'" },
	/* threads: spawn, join, migrate */
	{ "spawn itself", OPS("{'op': 'spawn', 'thread': 0}"),
	  AT ".thread: a thread cannot spawn itself" },
	{ "spawn a missing thread", OPS("{'op': 'spawn', 'thread': 5}"),
	  AT ".thread: 5 is not a thread of this process (it has 1)" },
	{ "join thread -1", OPS("{'op': 'join', 'thread': -1}"), AT ".thread: must not be negative" },
	{ "spawned but never spawned",
	  TXT("{'processes': [{'threads': [{'ops': []}, {'spawned': true, 'ops': []}]}]}"),
	  ": processes[0].threads[1]: is 'spawned': true but no spawn op starts it" },
	{ "spawn a thread that starts anyway",
	  TXT("{'processes': [{'threads': [{'ops': [{'op': 'spawn', 'thread': 1}]}, {'ops': []}]}]}"),
	  AT ": spawns thread 1, which is not 'spawned': true (it starts on its own)" },
	{ "spawned not a bool", TXT("{'processes': [{'threads': [{'spawned': 1, 'ops': []}]}]}"),
	  ": processes[0].threads[0].spawned: expected true or false" },
	{ "migrate without cpu", OPS("{'op': 'migrate'}"), AT ": 'cpu' is required" },
	{ "migrate to any core", OPS("{'op': 'migrate', 'cpu': -1}"),
	  AT ".cpu: must name a core (0 to 63)" },
	{ "migrate to core 64", OPS("{'op': 'migrate', 'cpu': 64}"), AT ".cpu: must be 0 to 63*" },
	{ "mprotect without prot", OPS("{'op': 'mprotect', 'addr': 0, 'length': 4096}"),
	  AT ": 'prot' is required" },
	/* wrong types */
	{ "op not a string", OPS("{'op': 5}"), AT ".op: expected a string" },
	{ "trace name not a string", TXT("{'name': 5, 'processes': []}"), ": name: expected a string" },
	{ "bool for a size", OPS("{'op': 'read', 'addr': 0, 'size': true}"),
	  AT ".size: expected a number" },
	{ "string for a count", OPS("{'op': 'compute', 'cycles': 'lots'}"),
	  AT ".cycles: 'lots' is not a number (decimal or 0x-hex)" },
	{ "cpu as a string", TXT("{'processes': [{'threads': [{'cpu': '0', 'ops': []}]}]}"),
	  ": processes[0].threads[0].cpu: expected a number (0 to 63, or -1 for any core)" },
	{ "fixed not a bool", OPS("{'op': 'mmap', 'length': 4096, 'addr': 0, 'fixed': 1}"),
	  AT ".fixed: expected true or false" },
	{ "prot not a string", OPS("{'op': 'mmap', 'length': 4096, 'prot': 3}"),
	  AT ".prot: expected a string such as 'rw'" },
	{ "bad prot", OPS("{'op': 'mmap', 'length': 4096, 'prot': 'rwr'}"),
	  AT ".prot: 'rwr' must be 'none' or letters from r, w, x, each at most once (e.g. 'rw')" },
	{ "address object", OPS("{'op': 'read', 'addr': {}}"),
	  AT ".addr: expected an address (a number, a '0x...' string or 'REGION+OFFSET')" },
	{ "write fraction", OPS("{'op': 'seq', 'base': 0, 'length': 4096, 'write': 1.5}"),
	  AT ".write: expected a number from 0 to 1 (the fraction of accesses that write)" },
	{ "bad name", OPS("{'op': 'mmap', 'name': '1st', 'length': 4096}"),
	  AT ".name: '1st' is not a name (1 to 31 letters, digits, \\'_\\' or \\'-\\', starting "
	  "with a letter or \\'_\\')" },
	/* unknown keys and names */
	{ "misspelt key", OPS("{'op': 'mmap', 'lenght': 4096}"),
	  AT ".lenght: unknown key; did you mean 'length'?" },
	{ "key of another op", OPS("{'op': 'read', 'addr': 0, 'value': 1}"),
	  AT ".value: unknown key" },
	{ "fetch with a value", OPS("{'op': 'fetch', 'addr': 0, 'value': 1}"),
	  AT ".value: unknown key" },
	{ "unknown pattern kind", OPS("{'op': 'seq', 'base': 0, 'length': 4096, 'kind': 'code'}"),
	  AT ".kind: expected 'data' or 'fetch'" },
	{ "pattern kind not a string", OPS("{'op': 'seq', 'base': 0, 'length': 4096, 'kind': 1}"),
	  AT ".kind: expected 'data' or 'fetch'" },
	{ "fetches that write",
	  OPS("{'op': 'random', 'base': 0, 'length': 4096, 'count': 1, 'kind': 'fetch', 'write': 0.5}"),
	  AT ".write: instruction fetches do not write" },
	{ "misspelt op", OPS("{'op': 'raed', 'addr': 0}"),
	  AT ".op: unknown op 'raed'; did you mean 'read'?" },
	{ "unknown op", OPS("{'op': 'frobnicate'}"),
	  AT ".op: unknown op 'frobnicate' (one of mmap, munmap, *exit)" },
	{ "misspelt thread key", TXT("{'processes': [{'threads': [{'cpus': 0, 'ops': []}]}]}"),
	  ": processes[0].threads[0].cpus: unknown key; did you mean 'cpu'?" },
	{ "unknown top key", TXT("{'procesess': []}"),
	  ": procesess: unknown key; did you mean 'processes'?" },
	{ "misspelt region", OPS(HEAP "{'op': 'read', 'addr': 'haep+8'}"),
	  AT1 ".addr: unknown region 'haep'; did you mean 'heap'?" },
	{ "no regions", OPS("{'op': 'read', 'addr': 'heap'}"),
	  AT ".addr: unknown region 'heap' (no mmap in this process has a 'name')" },
	{ "region twice", OPS(HEAP HEAP "{'op': 'exit'}"),
	  AT1 ".name: region 'heap' is already defined in this process" },
	{ "bad offset", OPS(HEAP "{'op': 'read', 'addr': 'heap+x'}"),
	  AT1 ".addr: 'heap+x': the offset after \\'+\\' must be decimal or 0x-hex, optionally with K, "
	  "M, G or T" },
	/* out of range */
	{ "size 3", OPS("{'op': 'read', 'addr': 0, 'size': 3}"), AT ".size: must be 1, 2, 4 or 8" },
	{ "cpu 64", TXT("{'processes': [{'threads': [{'cpu': 64, 'ops': []}]}]}"),
	  ": processes[0].threads[0].cpu: must be 0 to 63, or -1 for any core" },
	{ "cpu -2", TXT("{'processes': [{'threads': [{'cpu': -2, 'ops': []}]}]}"),
	  ": processes[0].threads[0].cpu: must be 0 to 63, or -1 for any core" },
	{ "length 0", OPS("{'op': 'mmap', 'length': 0}"), AT ".length: must be greater than 0" },
	{ "length above 2^56", OPS("{'op': 'mmap', 'length': '65537T'}"),
	  AT ".length: must be at most 2^56 (64P)" },
	{ "value too wide", OPS("{'op': 'write', 'addr': 0, 'size': 1, 'value': 300}"),
	  AT ".value: 300 (0x12c) does not fit in 1 byte" },
	{ "stride 0", OPS("{'op': 'stride', 'base': 0, 'length': 4096, 'stride': 0}"),
	  AT ".stride: must be greater than 0 and less than length (4096)" },
	{ "size above length", OPS("{'op': 'seq', 'base': 0, 'length': 4, 'size': 8}"),
	  AT ".size: must not exceed length (4)" },
	{ "fixed without addr", OPS("{'op': 'mmap', 'length': 4096, 'fixed': true}"),
	  AT ": 'fixed' requires 'addr'" },
	{ "unaligned mmap", OPS("{'op': 'mmap', 'addr': '0x7f0000000010', 'length': 4096}"),
	  AT ".addr: 0x7f0000000010 is not page aligned (a multiple of 4096)" },
	{ "random without count", OPS("{'op': 'random', 'base': 0, 'length': 4096}"),
	  AT ": 'count' is required" },
	/* huge counts */
	{ "count 10^12 + 1", OPS("{'op': 'random', 'base': 0, 'length': 4096, 'count': 1000000000001}"),
	  AT ".count: must be at most 10^12" },
	{ "count 1e30", OPS("{'op': 'repeat', 'count': 1e30, 'ops': []}"),
	  AT ".count: must be below 2^53*" },
	{ "count 2^64 as hex", OPS("{'op': 'repeat', 'count': '0x10000000000000000', 'ops': []}"),
	  AT ".count: '0x10000000000000000' is not*" },
	{ "value 2^64 as hex", OPS("{'op': 'write', 'addr': 0, 'value': '0x10000000000000000'}"),
	  AT ".value: '0x10000000000000000' is not*" },
	{ "default count above 10^12", OPS("{'op': 'seq', 'base': 0, 'length': '128T', 'size': 1}"),
	  AT ": the default count (140737488355328 = length / size) is above 10^12; give a 'count'" },
	/* negative values */
	{ "negative cycles", OPS("{'op': 'compute', 'cycles': -5}"), AT ".cycles: must not be negative" },
	{ "negative length", OPS("{'op': 'mmap', 'length': -4096}"), AT ".length: must not be negative" },
	{ "negative address", OPS("{'op': 'read', 'addr': -8}"), AT ".addr: must not be negative" },
	{ "negative address string", OPS("{'op': 'read', 'addr': '-8'}"),
	  AT ".addr: unknown region '-8' (no mmap in this process has a 'name')" },
	/* addresses beyond 57 bits (beyond 47 bits is a valid trace since LA57:
	 * with 4-level paging such an access is a #GP at run time, see
	 * docs/trace-format.md, not bad input) */
	{ "address 2^56", OPS("{'op': 'read', 'addr': '0x100000000000000'}"),
	  AT ".addr: 0x100000000000000 is not below 2^56 (user addresses are the canonical lower "
	  "half of a 57-bit address space)" },
	{ "address 2^57", OPS("{'op': 'read', 'addr': '0x200000000000000'}"),
	  AT ".addr: 0x200000000000000 is not below 2^56*" },
	{ "kernel half address", OPS("{'op': 'munmap', 'addr': '0xffff800000000000', 'length': 4096}"),
	  AT ".addr: 0xffff800000000000 is not below 2^56*" },
	{ "64-bit address", OPS("{'op': 'fetch', 'addr': '0xffffffffffffffff'}"),
	  AT ".addr: 0xffffffffffffffff is not below 2^56*" },
	{ "address beyond 2^53 as a number", OPS("{'op': 'read', 'addr': 1e17}"),
	  AT ".addr: must be below 2^53*" },
	{ "region offset 2^56", OPS(HEAP "{'op': 'read', 'addr': 'heap+0x100000000000000'}"),
	  AT1 ".addr: offset 0x100000000000000 is not below 2^56*" },
	{ "access ending above 2^56", OPS("{'op': 'read', 'addr': '0xfffffffffffffc', 'size': 8}"),
	  AT ".addr: 0xfffffffffffffc + 8 bytes ends above 2^56 (the top of user address space)" },
	{ "fixed mmap ending above 2^56",
	  OPS("{'op': 'mmap', 'addr': '0xfffffffffff000', 'fixed': true, 'length': '8K'}"),
	  AT ".addr: 0xfffffffffff000 + 8192 bytes ends above 2^56*" },
	{ "pattern ending above 2^56",
	  OPS("{'op': 'seq', 'base': '0xffffffffff0000', 'length': '1M', 'count': 1}"),
	  AT ".base: 0xffffffffff0000 + 1048576 bytes ends above 2^56*" },
	/* duplicate keys */
	{ "duplicate key", OPS("{'op': 'read', 'addr': 0, 'addr': 8}"), AT ".addr: duplicate key" },
	{ "duplicate op", OPS("{'op': 'read', 'op': 'write', 'addr': 0}"), AT ".op: duplicate key" },
	{ "duplicate top key", TXT("{'processes': [], 'processes': []}"),
	  ": processes: duplicate key" },
	/* broken files */
	{ "missing file", MISSING, NULL, 0, NULL, ": cannot open: No such file or directory" },
	{ "empty file", TXT(""), ": empty file (expected a JSON object)" },
	{ "truncated file", HALF, "traces/demo.json", 0, NULL, ":#:#: JSON syntax error" },
	{ "arrays 10000 deep", GEN, NULL, 0, arrays_10000_deep, ":1:1001: JSON syntax error" },
	{ "non-UTF-8 byte", RAW("{\"processes\": \"\x80\"}"), ": byte 15: invalid UTF-8" },
	{ "NUL byte", RAW("{\"processes\": []}\0"), ": byte 17: NUL byte in a JSON text" },
	/* BUG (fixed in 9feef9f): as for configs, "PATH: read error" */
	{ "a directory", DIRECTORY, NULL, 0, NULL, ": cannot read: Is a directory" },
	/* BUG (fixed in 9feef9f): the op name and keys were quoted verbatim, so
	 * a newline in them made a message of two lines. Found by fuzz_trace. */
	{ "op with a newline", OPS("{'op': 'rea\\nd'}"), AT ".op: unknown op 'rea\\\\nd'*" },
	{ "key with a newline", TXT("{'processes': [{'threads': [{'o1,\\n ps': []}]}]}"),
	  ": processes[0].threads[0].o1,\\\\n ps: unknown key" },
	/* BUG (fixed in 9feef9f): "exit\u0000junk" was read as "exit". */
	{ "\\u0000 in an op name", OPS("{'op': 'exit\\u0000junk'}"),
	  ": byte #: \\\\u0000 (a NUL character) is not allowed in a string" },
	/* BUG (fixed in 9feef9f): "0x-0" was address 0, "value": "0x-1" wrote
	 * 2^64-1 (parse_u64 took a sign after "0x"). */
	{ "0x-0 address", OPS("{'op': 'write', 'addr': '0x-0', 'value': 1}"),
	  AT ".addr: '0x-0' is not an address*" },
	{ "0x-1 value", OPS("{'op': 'write', 'addr': 0, 'value': '0x-1'}"),
	  AT ".value: '0x-1' is not a number*" },
};

static bool run_trace_row(const struct file_row *r)
{
	struct trace t;
	char path[64], err[MMSIM_ERR_LEN] = "";
	make_input(r, path);
	int rc = trace_load(&t, path, err);
	if (rc == 0) {
		trace_free(&t);
		snprintf(err, sizeof(err), "(accepted)");
	} else {
		static const struct trace zero;
		cr_expect(memcmp(&t, &zero, sizeof(t)) == 0, "%s: trace not left empty", r->name);
	}
	remove_input(r, path);
	return check_msg(r->name, rc, -1, err, path, r->want);
}

/* ---- recorded traces (Valgrind lackey) ------------------------------------- */

#ifdef HAVE_LACKEY
/* Two records, then a line of 70000 characters (the reader's buffer is 64K). */
static char *line_70000(void)
{
	const char *head = " L 1,8\n L 2,8\n";
	char *big = malloc(strlen(head) + 70002);
	cr_assert_not_null(big);
	strcpy(big, head);
	memset(big + strlen(head), 'f', 70000);
	strcpy(big + strlen(head) + 70000, "\n");
	return big;
}

static const struct file_row lackey_rows[] = {
	{ "unknown kind", TXT("X  0400d7d4,8\n"), ":1: not a lackey record" },
	{ "one space after I", TXT("I 0400d7d4,8\n"), ":1: not a lackey record" },
	{ "no address", TXT(" L ,8\n"), ":1: not a lackey record" },
	{ "no comma", TXT(" L 04016d30\n"), ":1: expected a hex address and \\',\\'" },
	{ "negative address", TXT(" L -1,8\n"), ":1: expected a hex address and \\',\\'" },
	{ "address above 64 bits", TXT(" L 10000000000000000,8\n"),
	  ":1: address longer than 64 bits" },
	{ "size 0", TXT(" L 1,0\n"), ":1: size out of range" },
	{ "size 4097", TXT(" L 1,4097\n"), ":1: size out of range" },
	{ "no size", TXT(" L 1,\n"), ":1: not a lackey record" },
	{ "junk after the size", TXT(" L 1,8x\n"), ":1: expected a decimal size at the end of the line" },
	{ "CRLF line", TXT(" L 1,8\r\n"), ":1: expected a decimal size at the end of the line" },
	{ "bad line after good ones", TXT("==1== hi\n L 1,8\n\n S 2,4\nfoo bar\n"),
	  ":5: not a lackey record" },
	{ "NUL byte", RAW(" L 1,8\n L \0,8\n"), ":2: expected a hex address and \\',\\'" },
	{ "line too long", GEN, NULL, 0, line_70000, ":3: line too long" },
	{ "missing file", MISSING, NULL, 0, NULL, ": *No such file or directory" },
	{ "a directory", DIRECTORY, NULL, 0, NULL, ": Is a directory" },
	/* BUG (fixed): lib/lackey.c parse() stopped reading digits once the
	 * size passed LACKEY_MAX_SIZE, so a large size read as "expected a
	 * decimal size at the end of the line". */
	{ "size 99999", TXT(" L 1,99999\n"), ":1: size out of range" },
};

/* Read records up to the first error (a directory fails in lackey_next). */
static int read_lackey(const char *path, char *err)
{
	struct lackey *lk = lackey_open(path, err);
	if (!lk)
		return -1;
	struct lackey_rec rec;
	int rc;
	while ((rc = lackey_next(lk, &rec, err)) == 1)
		;
	lackey_close(lk);
	return rc;
}

static bool run_lackey_row(const struct file_row *r)
{
	char path[64], err[MMSIM_ERR_LEN] = "";
	make_input(r, path);
	int rc = read_lackey(path, err);
	if (rc == 0)
		snprintf(err, sizeof(err), "(accepted)");
	remove_input(r, path);
	return check_msg(r->name, rc, -1, err, path, r->want);
}

/* A .xz file that xz cannot decompress (read through an `xz -dc` child). */
Test(badinput, lackey_corrupt_xz)
{
	char path[] = "/tmp/mmsim-badinput-XXXXXX.xz", err[MMSIM_ERR_LEN] = "";
	int fd = mkstemps(path, 3);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "not xz data\n", 12), 12);
	close(fd);
	int rc = read_lackey(path, err);
	unlink(path);
	cr_expect(check_msg("corrupt .xz", rc, -1, err, path, ": xz -dc failed*"));
}
#endif

/* ---- the command line ------------------------------------------------------ */

#define CFG "configs/tiny.json"
#define TR "traces/seq-touch.json"

static const struct cli_row cli_rows[] = {
	{ "unknown option", { "run", "-c", CFG, "--frobnicate", TR },
	  "mmsim run: unknown option: --frobnicate" },
	{ "unknown short option", { "run", "-c", CFG, TR, "-x" }, "mmsim run: unknown option: -x" },
	{ "-c without a value", { "run", TR, "-c" }, "mmsim run: option needs a value: -c" },
	{ "-s without a value", { "run", "-c", CFG, TR, "-s" },
	  "mmsim run: option needs a value: -s" },
	{ "--check=0", { "run", "-c", CFG, "--check=0", TR },
	  "mmsim run: --check=N needs a whole number N >= 1: --check=0" },
	{ "--check=abc", { "run", "-c", CFG, "--check=abc", TR },
	  "mmsim run: --check=N needs a whole number N >= 1: --check=abc" },
	{ "--check=", { "run", "-c", CFG, "--check=", TR },
	  "mmsim run: --check=N needs a whole number N >= 1: --check=" },
	{ "--check=-1", { "run", "-c", CFG, "--check=-1", TR },
	  "mmsim run: --check=N needs a whole number N >= 1: --check=-1" },
	{ "--check=1.5", { "run", "-c", CFG, "--check=1.5", TR },
	  "mmsim run: --check=N needs a whole number N >= 1: --check=1.5" },
	{ "two traces", { "run", "-c", CFG, TR, "traces/values.json" },
	  "mmsim run: more than one trace given: traces/values.json" },
	{ "no config", { "run", TR }, "mmsim run: no config given (-c FILE)" },
	{ "no trace", { "run", "-c", CFG }, "mmsim run: no trace given" },
	{ "no arguments", { "run" }, "mmsim run: no config given (-c FILE)" },
	{ "-s without =", { "run", "-c", CFG, "-s", "cores", TR },
	  "mmsim: -s: cores: expected key.path=value" },
	{ "-s bad value", { "run", "-c", CFG, "-s", "memory.size=8M", TR },
	  "mmsim: -s: memory.size: 8M is out of range (16M..1T)" },
	{ "--seed not a number", { "run", "-c", CFG, "--seed", "abc", TR },
	  "mmsim: -s: seed: 'abc' is not a number (decimal or 0x-hex)" },
	{ "missing config", { "run", "-c", "/nonexistent-mmsim-dir/c.json", TR },
	  "mmsim: /nonexistent-mmsim-dir/c.json: cannot open: No such file or directory" },
	{ "missing trace", { "run", "-c", CFG, "/nonexistent-mmsim-dir/t.json" },
	  "mmsim: /nonexistent-mmsim-dir/t.json: cannot open: No such file or directory" },
	{ "bad config file", { "run", "-c", "tests/badinput/typo-config.json", TR },
	  "mmsim: tests/badinput/typo-config.json: memory.sise: unknown key; did you mean 'size'?" },
	{ "bad trace file", { "run", "-c", CFG, "tests/badinput/bad-op-trace.json" },
	  "mmsim: tests/badinput/bad-op-trace.json: processes[0].threads[0].ops[1].op: unknown "
	  "op 'raed'; did you mean 'read'?" },
	{ "cross-key rule", { "run", "-c", "tests/badinput/cross-key-config.json", TR },
	  "mmsim: tests/badinput/cross-key-config.json: memory.size: 1T does not fit in "
	  "mmu.maxphyaddr = 36 bits (64G)" },
	{ "cross-key rule broken by -s", { "run", "-c", CFG, "-s", "mmu.maxphyaddr=36", "-s",
					   "memory.size=128G", TR },
	  "mmsim: *: memory.size: 128G does not fit in mmu.maxphyaddr = 36 bits (64G)" },
	{ "cpu beyond the cores", { "run", "-c", CFG, "tests/badinput/cpu9-trace.json" },
	  "mmsim: tests/badinput/cpu9-trace.json: processes[0].threads[0].cpu: core 9 does not "
	  "exist*" },
	{ "config is a trace", { "run", "-c", TR, TR }, "mmsim: " TR ": processes: unknown key" },
	{ "trace is a config", { "run", "-c", CFG, CFG },
	  "mmsim: " CFG ": cores: unknown key" },
	{ "unwritable --stats", { "run", "-q", "-c", CFG, "--stats", "/nonexistent-mmsim-dir/s.json", TR },
	  "mmsim: /nonexistent-mmsim-dir/s.json: cannot write: No such file or directory" },
	/* mmsim config */
	{ "config: bad -s", { "config", "-s", "cores=0" }, "mmsim: -s: cores: 0 is out of range (1..64)" },
	{ "config: missing file", { "config", "-c", "/nonexistent-mmsim-dir/c.json" },
	  "mmsim: /nonexistent-mmsim-dir/c.json: cannot open: No such file or directory" },
	{ "config: bad file", { "config", "-c", "tests/badinput/typo-config.json" },
	  "mmsim: tests/badinput/typo-config.json: memory.sise: unknown key; did you mean 'size'?" },
	{ "config: cross-key rule", { "config", "-c", "tests/badinput/cross-key-config.json" },
	  "mmsim: tests/badinput/cross-key-config.json: memory.size: 1T does not fit*" },
	{ "config: unknown option", { "config", "--frobnicate" }, "usage: mmsim config*" },
	{ "config: -c without a value", { "config", "-c" }, "usage: mmsim config*" },
	/* mmsim lackey */
	{ "lackey: bad record", { "lackey", "-c", CFG, "tests/badinput/bad-record.lackey" },
	  "mmsim: tests/badinput/bad-record.lackey:3: not a lackey record" },
	{ "lackey: a JSON trace", { "lackey", "-c", CFG, TR }, "mmsim: " TR ":1: not a lackey record" },
	{ "lackey: missing trace", { "lackey", "-c", CFG, "/nonexistent-mmsim-dir/t.lackey" },
	  "mmsim: /nonexistent-mmsim-dir/t.lackey: *No such file or directory" },
	{ "lackey: bad -s", { "lackey", "-c", CFG, "-s", "cores=0", "tests/badinput/bad-record.lackey" },
	  "mmsim: -s: cores: 0 is out of range (1..64)" },
	{ "lackey: no trace", { "lackey", "-c", CFG }, "usage: mmsim lackey*" },
	{ "lackey: two traces", { "lackey", "-c", CFG, "a.lackey", "b.lackey" }, "usage: mmsim lackey*" },
	{ "lackey: unknown option", { "lackey", "-c", CFG, "--frobnicate", "a.lackey" },
	  "usage: mmsim lackey*" },
	/* BUG (fixed in 9feef9f): src/run.c parse_args: only -c and -s said
	 * "option needs a value"; a final --stats, --seed or --config was an
	 * "unknown option". */
	{ "--stats without a value", { "run", "-c", CFG, TR, "--stats" },
	  "mmsim run: option needs a value: --stats" },
	{ "--seed without a value", { "run", "-c", CFG, TR, "--seed" },
	  "mmsim run: option needs a value: --seed" },
	{ "--config without a value", { "run", TR, "--config" },
	  "mmsim run: option needs a value: --config" },
	/* BUG (fixed in 9feef9f): parse_args built "seed=VALUE" in a static
	 * 64-byte buffer, so a value over 58 characters was cut: this invalid
	 * one ran with seed 0. */
	{ "long --seed cut short", { "run", "-q", "-c", CFG, "--seed",
	  "0x00000000000000000000000000000000000000000000000000000000001zzz", TR },
	  "mmsim: *seed: *is not a number*" },
	/* BUG (fixed in 9feef9f): --check=N ignored strtoull()'s ERANGE (the
	 * value became 2^64-1) and took a sign or blanks. */
	{ "--check out of range", { "run", "-q", "-c", CFG, "--check=99999999999999999999999", TR },
	  "mmsim run: --check=N needs a whole number N >= 1: --check=99999999999999999999999" },
	{ "--check=+5", { "run", "-q", "-c", CFG, "--check=+5", TR },
	  "mmsim run: --check=N needs a whole number N >= 1: --check=+5" },
	{ "--check= 5", { "run", "-q", "-c", CFG, "--check= 5", TR },
	  "mmsim run: --check=N needs a whole number N >= 1: --check= 5" },
};

/* Run the subcommand with stderr in a temp file; its text into err. */
static int run_cli(const struct cli_row *r, char *err, size_t errlen)
{
	int argc = 0;
	char *argv[ARRAY_SIZE(r->argv)];
	while (argc < (int)ARRAY_SIZE(r->argv) - 1 && r->argv[argc]) {
		argv[argc] = (char *)r->argv[argc];
		argc++;
	}
	argv[argc] = NULL;

	char path[] = "/tmp/mmsim-badinput-err-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *out = tmpfile();
	cr_assert_not_null(out);
	fflush(stderr);
	int saved = dup(2);
	cr_assert_geq(saved, 0);
	dup2(fd, 2);
	int rc = !strcmp(argv[0], "config") ? cmd_config(argc, argv, out)
		 : !strcmp(argv[0], "lackey") ? cmd_lackey(argc, argv, out)
		 : cmd_run(argc, argv, out);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(out);

	ssize_t n = pread(fd, err, errlen - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return rc;
}

static bool run_cli_row(const struct cli_row *r)
{
	char err[8192];
	int rc = run_cli(r, err, sizeof(err));
	if (rc != 2) {
		ROW_FAIL("%s: exit status %d (want 2); stderr: %s", r->name, rc, err);
		return false;
	}
	/* the message is the first line of stderr (the usage may follow) */
	char *nl = strchr(err, '\n');
	if (nl)
		*nl = '\0';
	if (!match_anywhere(err, r->want)) {
		ROW_FAIL("%s:\n  got:  %s\n  want: %s", r->name, err, r->want);
		return false;
	}
	return true;
}

/* ---- the tests ------------------------------------------------------------ */

/* Run the rows of a table that are (want_bugs) or are not known bugs.
 * Counts the failures into *failed and, for bug rows, their names. */
#define RUN_TABLE(rows, run, want_bugs, failed) do { \
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) { \
		if ((rows[i].bug != NULL) != (want_bugs)) \
			continue; \
		if (run(&rows[i])) { \
			if (want_bugs) \
				cr_expect(false, "row \"%s\" passes: the bug \"%s\" is fixed; " \
					  "delete its bug text", rows[i].name, rows[i].bug); \
		} else { \
			(failed)++; \
			if (want_bugs) \
				cr_log_warn("known bug: %s (row \"%s\")", rows[i].bug, \
					    rows[i].name); \
		} \
	} \
} while (0)

Test(badinput, config_file) { int n = 0; RUN_TABLE(config_rows, run_config_row, false, n); }
Test(badinput, set_override) { int n = 0; RUN_TABLE(set_rows, run_set_row, false, n); }
Test(badinput, trace_file) { int n = 0; RUN_TABLE(trace_rows, run_trace_row, false, n); }
Test(badinput, command_line) { int n = 0; RUN_TABLE(cli_rows, run_cli_row, false, n); }
#ifdef HAVE_LACKEY
Test(badinput, lackey_file) { int n = 0; RUN_TABLE(lackey_rows, run_lackey_row, false, n); }
#endif

/* The rows marked BUG. Each still-open bug is logged; a row that passes
 * fails this test (delete its bug text so it joins its table). With open
 * bugs the test is skipped, or fails when MMSIM_KNOWN_BUGS=1 is set (to see
 * them as failures, e.g. while fixing them). */
Test(badinput, known_bugs)
{
	int open = 0;
	soft = getenv("MMSIM_KNOWN_BUGS") == NULL;
	RUN_TABLE(config_rows, run_config_row, true, open);
	RUN_TABLE(set_rows, run_set_row, true, open);
	RUN_TABLE(trace_rows, run_trace_row, true, open);
	RUN_TABLE(cli_rows, run_cli_row, true, open);
#ifdef HAVE_LACKEY
	RUN_TABLE(lackey_rows, run_lackey_row, true, open);
#endif
	if (open && soft)
		cr_skip_test("%d known bugs still open (docs/fuzzing.md); "
			     "MMSIM_KNOWN_BUGS=1 shows them as failures", open);
}

/* The data files the command-line rows use are what they claim to be. */
Test(badinput, data_files_exist)
{
	static const char *const files[] = {
		"tests/badinput/typo-config.json", "tests/badinput/bad-op-trace.json",
		"tests/badinput/cross-key-config.json", "tests/badinput/cpu9-trace.json",
		"tests/badinput/bad-record.lackey",
	};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		struct stat st;
		cr_expect_eq(stat(files[i], &st), 0, "%s is missing (run from the project root)",
			     files[i]);
	}
}
