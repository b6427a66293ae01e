/* Differential test against Valgrind's cachegrind (DESIGN.md "Verification").
 *
 * tests/data/{ls,sort,gzip}.lackey.xz are `valgrind --tool=lackey
 * --trace-mem=yes` traces of three real programs; tests/data/cachegrind.txt
 * holds cachegrind's totals for the same runs under three I1/D1/LL
 * geometries (tests/data/regen.sh makes both). Each trace is replayed once
 * through one hierarchy per geometry, configured as cachegrind's machine:
 * one core, L1I and L1D write-back + write-allocate LRU, no L2, a
 * non-inclusive LRU LLC that is filled on L1 misses only (llc.wb_noalloc:
 * the L1D's writebacks never allocate or reorder it), no coherence.
 * Record -> access (docs/cache-model.md):
 *   I a,s  ifetch of s bytes        (one access, straddling or not)
 *   L a,s  load                      S a,s  store (write)
 *   M a,s  one load that needs ownership (cachegrind counts a modify as one
 *          data read; it cannot miss on its write half)
 * and every one of cachegrind's nine totals must come out equal. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/lackey.h"
#include "sim/cache/hier.h"
#include "sim/mem/memsys.h"
#include "src/cli.h"

#define MAX_GEOMS 8

/* One line of cachegrind.txt. */
struct expect {
	char name[32];
	uint32_t geom[3][3];        /* I1, D1, LL: size, ways, line */
	uint64_t ev[9];             /* Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw */
};

static const char *const ev_name[9] = {
	"Ir", "I1mr", "ILmr", "Dr", "D1mr", "DLmr", "Dw", "D1mw", "DLmw",
};

static int parse_geom(const char *s, uint32_t g[3])
{
	return sscanf(s, "%u,%u,%u", &g[0], &g[1], &g[2]) == 3 ? 0 : -1;
}

/* The lines of cachegrind.txt for trace `name`. */
static unsigned load_expect(const char *name, struct expect *e)
{
	FILE *f = fopen("tests/data/cachegrind.txt", "r");
	cr_assert_not_null(f, "tests/data/cachegrind.txt: run from the project root");
	char line[512], g[3][64];
	unsigned n = 0;
	while (fgets(line, sizeof(line), f)) {
		struct expect x;
		if (line[0] == '#')
			continue;
		int got = sscanf(line, "%31s %63s %63s %63s %lu %lu %lu %lu %lu %lu %lu %lu %lu",
				 x.name, g[0], g[1], g[2], &x.ev[0], &x.ev[1], &x.ev[2], &x.ev[3],
				 &x.ev[4], &x.ev[5], &x.ev[6], &x.ev[7], &x.ev[8]);
		cr_assert_eq(got, 13, "cachegrind.txt: bad line: %s", line);
		for (int i = 0; i < 3; i++)
			cr_assert_eq(parse_geom(g[i], x.geom[i]), 0, "bad geometry %s", g[i]);
		if (strcmp(x.name, name) == 0 && n < MAX_GEOMS)
			e[n++] = x;
	}
	fclose(f);
	return n;
}

static struct cache_cfg cg_cache(const uint32_t g[3])
{
	return (struct cache_cfg){ .size = g[0], .ways = g[1], .line = g[2], .latency = 1,
				   .repl = "lru" };
}

static struct hier *cg_hier(const struct expect *e)
{
	struct hier_cfg cfg = {
		.l1i = cg_cache(e->geom[0]), .l1d = cg_cache(e->geom[1]),
		.llc = cg_cache(e->geom[2]), .inclusion = "non-inclusive",
		.mem_latency = 100,
	};
	cfg.llc.wb_noalloc = true;
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(hier_cfg_check(&cfg, 1, err), 0, "%s", err);
	struct hier *h = hier_create(&cfg, 1, NULL);
	cr_assert_not_null(h);
	return h;
}


static void totals(const struct hier *h, uint64_t ev[9])
{
	const struct cache *i1 = h->core[0].l1i, *d1 = h->core[0].l1d, *ll = h->llc;
	uint64_t v[9] = {
		i1->access[MEM_IFETCH], i1->miss[MEM_IFETCH], ll->miss[MEM_IFETCH],
		d1->access[MEM_LOAD], d1->miss[MEM_LOAD], ll->miss[MEM_LOAD],
		d1->access[MEM_STORE], d1->miss[MEM_STORE], ll->miss[MEM_STORE],
	};
	memcpy(ev, v, sizeof(v));
}

static void check_program(const char *name)
{
	struct expect e[MAX_GEOMS];
	struct hier *h[MAX_GEOMS];
	unsigned n = load_expect(name, e);
	cr_assert_geq(n, 1, "no cachegrind totals for %s", name);
	for (unsigned i = 0; i < n; i++)
		h[i] = cg_hier(&e[i]);

	char path[128], err[MMSIM_ERR_LEN];
	snprintf(path, sizeof(path), "traces/recorded/%s.lackey.xz", name);
	struct lackey *lk = lackey_open(path, err);
	cr_assert_not_null(lk, "%s", err);
	struct lackey_rec r;
	int rc;
	while ((rc = lackey_next(lk, &r, err)) == 1)
		for (unsigned i = 0; i < n; i++)
			lackey_replay(h[i], &r);
	cr_assert_eq(rc, 0, "%s", err);
	lackey_close(lk);

	for (unsigned i = 0; i < n; i++) {
		uint64_t got[9];
		totals(h[i], got);
		for (int k = 0; k < 9; k++)
			cr_expect_eq(got[k], e[i].ev[k], "%s I1=%u,%u,%u D1=%u,%u,%u LL=%u,%u,%u: "
				     "%s = %lu, cachegrind says %lu", name,
				     e[i].geom[0][0], e[i].geom[0][1], e[i].geom[0][2],
				     e[i].geom[1][0], e[i].geom[1][1], e[i].geom[1][2],
				     e[i].geom[2][0], e[i].geom[2][1], e[i].geom[2][2],
				     ev_name[k], got[k], e[i].ev[k]);
		hier_destroy(h[i]);
	}
}

Test(cachegrind, ls) { check_program("ls"); }
Test(cachegrind, sort) { check_program("sort"); }
Test(cachegrind, gzip) { check_program("gzip"); }

/* ---- lib/lackey.c ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static const char sample[] =
	"==123== Lackey, an example Valgrind tool\n"
	"==123== Command: /bin/true\n"
	"\n"
	"I  0400d7d4,8\n"
	" L 04016d30,8\n"
	" S 1ffefffe58,16\n"
	" M 0421c7f0,4\n"
	"--123-- a debug line\n"
	"I  ffffffffffffffff,1";        /* no final newline */

static void expect_rec(struct lackey *lk, char kind, uint64_t addr, uint32_t size)
{
	struct lackey_rec r;
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(lackey_next(lk, &r, err), 1, "%s", err);
	cr_assert_eq(r.kind, kind);
	cr_assert_eq(r.addr, addr);
	cr_assert_eq(r.size, size);
}

static void read_sample(const char *path)
{
	char err[MMSIM_ERR_LEN];
	struct lackey_rec r;
	struct lackey *lk = lackey_open(path, err);
	cr_assert_not_null(lk, "%s", err);
	expect_rec(lk, 'I', 0x0400d7d4, 8);
	expect_rec(lk, 'L', 0x04016d30, 8);
	expect_rec(lk, 'S', 0x1ffefffe58, 16);
	expect_rec(lk, 'M', 0x0421c7f0, 4);
	expect_rec(lk, 'I', UINT64_MAX, 1);
	cr_assert_eq(lackey_next(lk, &r, err), 0);
	cr_assert_eq(lackey_next(lk, &r, err), 0);
	cr_assert_eq(lackey_count(lk), 5);
	lackey_close(lk);
}

Test(lackey, records_and_noise)
{
	write_file("/tmp/mmsim-lackey-test.txt", sample);
	read_sample("/tmp/mmsim-lackey-test.txt");
	unlink("/tmp/mmsim-lackey-test.txt");
}

Test(lackey, xz)
{
	write_file("/tmp/mmsim-lackey-test2.txt", sample);
	cr_assert_eq(system("xz -f /tmp/mmsim-lackey-test2.txt"), 0);
	read_sample("/tmp/mmsim-lackey-test2.txt.xz");
	unlink("/tmp/mmsim-lackey-test2.txt.xz");

	/* not xz data: the child's failure is an error */
	write_file("/tmp/mmsim-lackey-test3.xz", "I  0400d7d4,8\n");
	char err[MMSIM_ERR_LEN];
	struct lackey_rec r;
	struct lackey *lk = lackey_open("/tmp/mmsim-lackey-test3.xz", err);
	cr_assert_not_null(lk);
	cr_assert_eq(lackey_next(lk, &r, err), -1);
	cr_assert(strstr(err, "/tmp/mmsim-lackey-test3.xz: xz -dc failed"), "%s", err);
	lackey_close(lk);
	unlink("/tmp/mmsim-lackey-test3.xz");
}

static void expect_bad(const char *line2, const char *msg)
{
	char text[256], err[MMSIM_ERR_LEN], want[MMSIM_ERR_LEN];
	const char *path = "/tmp/mmsim-lackey-bad.txt";
	snprintf(text, sizeof(text), "==1== x\n%s\nI  10,4\n", line2);
	write_file(path, text);
	struct lackey_rec r;
	struct lackey *lk = lackey_open(path, err);
	cr_assert_not_null(lk);
	cr_assert_eq(lackey_next(lk, &r, err), -1, "accepted: %s", line2);
	snprintf(want, sizeof(want), "%s:2: %s", path, msg);
	cr_assert_str_eq(err, want);
	lackey_close(lk);
	unlink(path);
}

Test(lackey, bad_input)
{
	expect_bad("X  0400d7d4,8", "not a lackey record");
	expect_bad(" I 0400d7d4,8", "not a lackey record");
	expect_bad("I 0400d7d4,8", "not a lackey record");
	expect_bad(" L 04g0,8", "expected a hex address and ','");
	expect_bad(" L ,88", "expected a hex address and ','");
	expect_bad(" L 0400d7d4,", "expected a decimal size at the end of the line");
	expect_bad(" L 0400d7d4,8 ", "expected a decimal size at the end of the line");
	expect_bad(" S 0400d7d4,0", "size out of range");
	expect_bad(" S 0400d7d4,99999999999999999999", "size out of range");
	expect_bad(" M 10000000000000000,8", "address longer than 64 bits");

	char err[MMSIM_ERR_LEN];
	cr_assert_null(lackey_open("/nonexistent/trace", err));
	cr_assert_str_eq(err, "/nonexistent/trace: No such file or directory");

	/* a line longer than the buffer */
	FILE *f = fopen("/tmp/mmsim-lackey-long.txt", "w");
	for (int i = 0; i < 70000; i++)
		fputc('=', f);
	fclose(f);
	struct lackey_rec r;
	struct lackey *lk = lackey_open("/tmp/mmsim-lackey-long.txt", err);
	cr_assert_eq(lackey_next(lk, &r, err), -1);
	cr_assert_str_eq(err, "/tmp/mmsim-lackey-long.txt:1: line too long");
	lackey_close(lk);
	unlink("/tmp/mmsim-lackey-long.txt");
}
