/* Tests of the recorded-trace readers and writer (lib/rtrace*.c) and of
 * `mmsim convert` (src/convert.c): round trips lackey -> mmsim -> lackey on
 * a real program's trace (traces/recorded/ls.lackey.xz) and on hand-made samples
 * (tests/data/rtrace/); the ChampSim mapping on a synthetic trace built here
 * with the documented 64-byte layout; one exact message for each kind of
 * malformed input; the binary format's size against lackey text; and the
 * decode rate of every format (printed, not asserted). */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/rtrace.h"
#include "src/cli.h"

#define LS "traces/recorded/ls.lackey.xz"
#define SMALL_LACKEY "tests/data/rtrace/small.lackey"
#define SMALL_MMT "tests/data/rtrace/small.mmt"
#define SMALL_CS "tests/data/rtrace/small.champsimtrace"

/* ---- helpers ------------------------------------------------------------ */

static long long size_of(const char *path)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return (long long)st.st_size;
}

/* A fresh directory for the test's files (each test runs in its own
 * process, so one per process). */
static const char *tmpdir(void)
{
	static char dir[64];
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/mmsim-rtrace-XXXXXX");
		cr_assert_not_null(mkdtemp(dir));
	}
	return dir;
}

/* A path in it (from a pool: no test needs more than 32). */
static const char *tmp(const char *name)
{
	static char paths[32][160];
	static unsigned next;
	cr_assert_lt(next, 32, "tmp(): pool exhausted");
	char *p = paths[next++];
	snprintf(p, 160, "%s/%s", tmpdir(), name);
	return p;
}

/* No temporary output file ("NAME.tmpPID") is left in the directory. */
static void expect_no_tmp_files(void)
{
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -q '[.]tmp[0-9]'", tmpdir());
	cr_assert_neq(system(cmd), 0, "a temporary file is left in %s", tmpdir());
}

/* dst = the first half of src's bytes. */
static void cut_half(const char *src, const char *dst)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "head -c %lld '%s' > '%s'", size_of(src) / 2, src, dst);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void cleanup(void)
{
	char cmd[128];
	if (tmpdir()[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir());
		cr_assert_eq(system(cmd), 0);
	}
}

static void put_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

static char *get_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)len + 1);
	cr_assert_eq(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	p[len] = '\0';
	*n = (size_t)len;
	return p;
}

static void sh(const char *fmt, const char *a, const char *b)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), fmt, a, b);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static bool rec_eq(const struct rtrace_rec *a, const struct rtrace_rec *b)
{
	return a->kind == b->kind && a->addr == b->addr && a->size == b->size &&
	       a->count == b->count && a->tid == b->tid;
}

static const char *show(const struct rtrace_rec *r, char *buf)
{
	snprintf(buf, 96, "{kind %u addr %llx size %u count %u tid %u}", r->kind,
		 (unsigned long long)r->addr, r->size, r->count, r->tid);
	return buf;
}

/* Copy every record of in (format from) to out (format to). */
static uint64_t convert(const char *in, enum rtrace_format from, const char *out,
			enum rtrace_format to, unsigned flags, const char *meta)
{
	char err[MMSIM_ERR_LEN];
	struct rtrace *t = rtrace_open(in, from, err);
	cr_assert_not_null(t, "%s", err);
	struct rtrace_writer *w = rtrace_writer_open(out, to, flags, 0, meta, err);
	cr_assert_not_null(w, "%s", err);
	struct rtrace_rec r;
	int rc;
	while ((rc = rtrace_next(t, &r, err)) == 1)
		cr_assert_eq(rtrace_write(w, &r, err), 0, "%s", err);
	cr_assert_eq(rc, 0, "%s", err);
	uint64_t n = rtrace_count(t);
	rtrace_close(t);
	cr_assert_eq(rtrace_writer_close(w, err), 0, "%s", err);
	return n;
}

/* Both traces give the same records; the first read record by record, the
 * second in batches (so both paths are checked). Returns the count. */
static uint64_t expect_same(const char *a, enum rtrace_format fa, const char *b,
			    enum rtrace_format fb)
{
	char err[MMSIM_ERR_LEN], s1[96], s2[96];
	struct rtrace *ta = rtrace_open(a, fa, err);
	cr_assert_not_null(ta, "%s", err);
	struct rtrace *tb = rtrace_open(b, fb, err);
	cr_assert_not_null(tb, "%s", err);
	struct rtrace_rec ra, rb[300];
	long got;
	uint64_t n = 0;
	while ((got = rtrace_read(tb, rb, ARRAY_SIZE(rb), err)) > 0)
		for (long i = 0; i < got; i++, n++) {
			cr_assert_eq(rtrace_next(ta, &ra, err), 1, "%s: record %llu: %s", a,
				     (unsigned long long)n + 1, err);
			cr_assert(rec_eq(&ra, &rb[i]), "record %llu: %s vs %s",
				  (unsigned long long)n + 1, show(&ra, s1), show(&rb[i], s2));
		}
	cr_assert_eq(got, 0, "%s", err);
	cr_assert_eq(rtrace_next(ta, &ra, err), 0, "%s has more records than %s", a, b);
	cr_assert_eq(rtrace_count(ta), n);
	cr_assert_eq(rtrace_count(tb), n);
	rtrace_close(ta);
	rtrace_close(tb);
	return n;
}

/* Reading path (format fmt) fails with exactly msg. */
static void expect_error(const char *path, enum rtrace_format fmt, const char *msg)
{
	char err[MMSIM_ERR_LEN] = "";
	struct rtrace *t = rtrace_open(path, fmt, err);
	if (t) {
		struct rtrace_rec r;
		int rc;
		while ((rc = rtrace_next(t, &r, err)) == 1)
			;
		cr_assert_eq(rc, -1, "%s: no error, want: %s", path, msg);
		/* sticky: the same error again */
		char again[MMSIM_ERR_LEN] = "";
		cr_assert_eq(rtrace_next(t, &r, again), -1);
		cr_assert_str_eq(again, err);
		rtrace_close(t);
	}
	cr_assert_str_eq(err, msg);
}

/* The text of a lackey file without Valgrind's messages and empty lines:
 * what the lackey writer gives back. */
static char *lackey_records_text(const char *path, size_t *n)
{
	const char *plain = tmp("plain.lackey");
	sh("{ xz -dcf -- '%s' | grep -v -e '^==' -e '^--' -e '^$' || true; } > '%s'", path, plain);
	return get_file(plain, n);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Decode path in batches, the best of reps runs: records per second. */
static double decode_rate(const char *path, int reps, uint64_t *records)
{
	char err[MMSIM_ERR_LEN];
	static struct rtrace_rec recs[1024];
	double best = 1e30;
	for (int i = 0; i < reps; i++) {
		double t0 = now();
		struct rtrace *t = rtrace_open(path, RT_AUTO, err);
		cr_assert_not_null(t, "%s", err);
		long got;
		while ((got = rtrace_read(t, recs, ARRAY_SIZE(recs), err)) > 0)
			;
		cr_assert_eq(got, 0, "%s", err);
		*records = rtrace_count(t);
		rtrace_close(t);
		double dt = now() - t0;
		best = dt < best ? dt : best;
	}
	return (double)*records / best;
}

/* ---- ChampSim records, built field by field --------------------------- */

/* ChampSim's input_instr (inc/trace_instruction.h), as its tracer writes it
 * with memcpy on x86-64: the layout facts the reader relies on. */
struct champsim_input_instr {
	unsigned long long ip;
	unsigned char is_branch, branch_taken;
	unsigned char destination_registers[2], source_registers[4];
	unsigned long long destination_memory[2], source_memory[4];
};
_Static_assert(sizeof(struct champsim_input_instr) == 64, "ChampSim record size");
_Static_assert(offsetof(struct champsim_input_instr, destination_memory) == 16, "dst mem");
_Static_assert(offsetof(struct champsim_input_instr, source_memory) == 32, "src mem");

struct cs {
	uint64_t ip;
	uint8_t branch, taken, dreg[2], sreg[4];
	uint64_t dmem[2], smem[4];
};

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* The instruction as the 64 bytes of the documented layout. */
static void cs_encode(const struct cs *c, uint8_t *p)
{
	put64(p, c->ip);
	p[8] = c->branch;
	p[9] = c->taken;
	memcpy(p + 10, c->dreg, 2);
	memcpy(p + 12, c->sreg, 4);
	for (int i = 0; i < 2; i++)
		put64(p + 16 + 8 * i, c->dmem[i]);
	for (int i = 0; i < 4; i++)
		put64(p + 32 + 8 * i, c->smem[i]);
}

/* tests/data/rtrace/small.champsimtrace, instruction by instruction */
static const struct cs small_cs[] = {
	{ 0x401000, 0, 0, { 1, 0 }, { 2 }, { 0 }, { 0 } },
	{ 0x401004, 0, 0, { 3, 0 }, { 6 }, { 0 }, { 0x7fff0000 } },
	{ 0x401008, 0, 0, { 0 }, { 3, 6 }, { 0x7fff0008 }, { 0 } },
	{ 0x40100c, 0, 0, { 25 }, { 25 }, { 0x600000 }, { 0x600000 } },       /* RMW */
	{ 0x401010, 1, 1, { 26 }, { 26, 25 }, { 0 }, { 0 } },                 /* branch */
	{ 0x402000, 0, 0, { 0 }, { 0 }, { 0x5000, 0x6000 }, { 0x1000, 0x2000, 0x3000, 0x4000 } },
	{ 0x402004, 0, 0, { 0 }, { 0 }, { 0 }, { 0, 0x9000 } },
	{ 0xffffffffff600000, 0, 0, { 0 }, { 0 }, { 0 }, { 0 } },
	{ 0x402008, 0, 0, { 7, 8 }, { 9, 10, 11, 12 }, { 0 }, { 0 } },
	{ 0x40200c, 1, 0, { 0 }, { 0 }, { 0, 0xdeadbeef000 }, { 0 } },
};

#define F(a) { a, 4, 0, 0, RT_FETCH }
#define L(a) { a, 8, 0, 0, RT_LOAD }
#define S(a) { a, 8, 0, 0, RT_STORE }
#define C1   { 0, 0, 1, 0, RT_COMPUTE }
static const struct rtrace_rec small_cs_recs[] = {
	F(0x401000), C1,
	F(0x401004), L(0x7fff0000),
	F(0x401008), S(0x7fff0008),
	F(0x40100c), L(0x600000), S(0x600000),
	F(0x401010), C1,
	F(0x402000), L(0x1000), L(0x2000), L(0x3000), L(0x4000), S(0x5000), S(0x6000),
	F(0x402004), L(0x9000),
	F(0xffffffffff600000), C1,
	F(0x402008), C1,
	F(0x40200c), S(0xdeadbeef000),
};

static void expect_recs(const char *path, enum rtrace_format fmt,
			const struct rtrace_rec *want, size_t n)
{
	char err[MMSIM_ERR_LEN], s1[96], s2[96];
	struct rtrace *t = rtrace_open(path, fmt, err);
	cr_assert_not_null(t, "%s", err);
	struct rtrace_rec r;
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(rtrace_next(t, &r, err), 1, "record %zu: %s", i + 1, err);
		cr_assert(rec_eq(&r, &want[i]), "record %zu: got %s, want %s", i + 1,
			  show(&r, s1), show(&want[i], s2));
	}
	cr_assert_eq(rtrace_next(t, &r, err), 0, "%s", err);
	cr_assert_eq(rtrace_next(t, &r, err), 0, "the end repeats");
	rtrace_close(t);
}

/* ---- round trips -------------------------------------------------------- */

TestSuite(rtrace, .fini = cleanup);

/* A real program's trace: lackey -> mmsim -> lackey gives the same records
 * and the same text; likewise through zstd; and the binary trace is much
 * smaller than the text. */
Test(rtrace, lackey_roundtrip_ls)
{
	const char *mmt = tmp("ls.mmt"), *zmmt = tmp("ls.zst.mmt"), *back = tmp("ls.lackey");
	uint64_t n = convert(LS, RT_AUTO, mmt, RT_MMSIM, 0, "ls");
	cr_assert_eq(n, 541728);
	cr_assert_eq(convert(LS, RT_LACKEY, zmmt, RT_MMSIM, RTW_ZSTD, NULL), n);
	cr_assert_eq(expect_same(LS, RT_AUTO, mmt, RT_AUTO), n);
	cr_assert_eq(expect_same(mmt, RT_MMSIM, zmmt, RT_AUTO), n);
	cr_assert_eq(convert(zmmt, RT_AUTO, back, RT_LACKEY, 0, NULL), n);
	cr_assert_eq(expect_same(back, RT_AUTO, LS, RT_AUTO), n);

	size_t tn, bn;
	char *text = lackey_records_text(LS, &tn), *btext = get_file(back, &bn);
	cr_assert_eq(bn, tn);
	cr_assert(!memcmp(text, btext, tn), "lackey text differs after the round trip");

	long long t = (long long)tn, m = size_of(mmt), z = size_of(zmmt), x = size_of(LS);
	cr_log_info("ls: lackey text %lld bytes (%.1f/record), .xz %lld; mmsim %lld "
		    "(%.2f/record, 1/%.1f of the text), mmsim+zstd %lld (1/%.1f)\n",
		    t, (double)t / n, x, m, (double)m / n, (double)t / m, z, (double)t / z);
	cr_assert_lt(m * 6, t, "mmsim trace not 6x smaller than lackey text");
	cr_assert_lt(z * 40, t, "mmsim+zstd trace not 40x smaller than lackey text");
	cr_assert_lt(z, x, "mmsim+zstd larger than the lackey .xz");
	free(text);
	free(btext);
}

/* Hand-made edge cases: odd and extreme sizes, addresses 0 and 2^64-1,
 * Valgrind's "==" and "--" lines; the mmsim file is byte-identical to the
 * shipped one (the format does not drift), and lackey text comes back. */
Test(rtrace, lackey_roundtrip_small)
{
	const char *mmt = tmp("small.mmt"), *back = tmp("small.lackey");
	cr_assert_eq(convert(SMALL_LACKEY, RT_AUTO, mmt, RT_MMSIM, 0, "hand-made sample\n"), 20);
	size_t n1, n2;
	char *a = get_file(mmt, &n1), *b = get_file(SMALL_MMT, &n2);
	cr_assert_eq(n1, n2, "%s differs from %s", mmt, SMALL_MMT);
	cr_assert(!memcmp(a, b, n1), "%s differs from %s", mmt, SMALL_MMT);
	free(a);
	free(b);
	expect_same(SMALL_LACKEY, RT_LACKEY, SMALL_MMT, RT_MMSIM);
	cr_assert_eq(convert(SMALL_MMT, RT_AUTO, back, RT_LACKEY, 0, NULL), 20);
	a = lackey_records_text(SMALL_LACKEY, &n1);
	b = get_file(back, &n2);
	cr_assert_eq(n1, n2);
	cr_assert(!memcmp(a, b, n1), "lackey text differs after the round trip");
	free(a);
	free(b);

	char err[MMSIM_ERR_LEN];
	struct rtrace *t = rtrace_open(SMALL_MMT, RT_AUTO, err);
	cr_assert_not_null(t, "%s", err);
	cr_assert_str_eq(rtrace_meta(t), "hand-made sample\n");
	cr_assert_eq(rtrace_expected(t), 20);
	cr_assert_eq(rtrace_format(t), RT_MMSIM);
	rtrace_close(t);
}

/* Threads and compute records survive mmsim; lackey text refuses thread
 * ids (and leaves no file) and drops compute records. */
Test(rtrace, threads_and_compute)
{
	const struct rtrace_rec recs[] = {
		{ 0x1000, 8, 0, 0, RT_LOAD },
		{ 0, 0, 1, 0, RT_COMPUTE },
		{ 0x1008, 8, 0, 5, RT_LOAD },           /* thread changes */
		{ 0x1008, 8, 0, 5, RT_STORE },
		{ 0, 0, 7, 5, RT_COMPUTE },
		{ 0, 0, 8, 70000, RT_COMPUTE },         /* varint count */
		{ 0, 0, 4294967295u, 4294967295u, RT_COMPUTE },
		{ 0xfff, 4096, 0, 0, RT_MODIFY },
		{ 0x0, 1, 0, 0, RT_FETCH },
		{ 0xffffffffffffffff, 3, 0, 0, RT_FETCH },  /* wraps */
		{ 0x2, 9, 0, 1, RT_FETCH },
	};
	char err[MMSIM_ERR_LEN];
	for (int z = 0; z < 2; z++) {
		const char *mmt = tmp(z ? "t.zst.mmt" : "t.mmt");
		struct rtrace_writer *w = rtrace_writer_open(mmt, RT_MMSIM, z ? RTW_ZSTD : 0, 0,
							     NULL, err);
		cr_assert_not_null(w, "%s", err);
		for (size_t i = 0; i < ARRAY_SIZE(recs); i++)
			cr_assert_eq(rtrace_write(w, &recs[i], err), 0, "%s", err);
		cr_assert_eq(rtrace_writer_count(w), ARRAY_SIZE(recs));
		cr_assert_eq(rtrace_writer_close(w, err), 0, "%s", err);
		expect_recs(mmt, RT_AUTO, recs, ARRAY_SIZE(recs));
	}

	const char *lk = tmp("t.lackey");
	struct rtrace_writer *w = rtrace_writer_open(lk, RT_LACKEY, 0, 0, NULL, err);
	cr_assert_not_null(w, "%s", err);
	cr_assert_eq(rtrace_write(w, &recs[0], err), 0);
	cr_assert_eq(rtrace_write(w, &recs[1], err), 0);
	cr_assert_eq(rtrace_writer_dropped(w), 1);
	cr_assert_eq(rtrace_write(w, &recs[2], err), -1);
	char want[MMSIM_ERR_LEN];
	snprintf(want, sizeof(want), "%s: record 3 has thread id 5; lackey text has no "
		 "threads (convert to mmsim instead)", lk);
	cr_assert_str_eq(err, want);
	rtrace_writer_abort(w);
	cr_assert_eq(access(lk, F_OK), -1, "a half-written %s is left", lk);
	expect_no_tmp_files();
}

/* ---- ChampSim ------------------------------------------------------------ */

/* The shipped sample is the documented layout of small_cs[], and decodes
 * to the documented mapping, plain, through xz and through gzip; RT_AUTO
 * finds it by name and by content. */
Test(rtrace, champsim_small)
{
	uint8_t bytes[ARRAY_SIZE(small_cs) * 64];
	for (size_t i = 0; i < ARRAY_SIZE(small_cs); i++)
		cs_encode(&small_cs[i], bytes + 64 * i);
	size_t n;
	char *file = get_file(SMALL_CS, &n);
	cr_assert_eq(n, sizeof(bytes));
	cr_assert(!memcmp(file, bytes, n), "%s is not small_cs[] in the documented layout",
		  SMALL_CS);
	free(file);

	size_t nr = ARRAY_SIZE(small_cs_recs);
	expect_recs(SMALL_CS, RT_AUTO, small_cs_recs, nr);
	const char *bin = tmp("noname.bin"), *xz = tmp("x.champsimtrace.xz"), *gz = tmp("x.trace.gz");
	put_file(bin, bytes, sizeof(bytes));
	expect_recs(bin, RT_AUTO, small_cs_recs, nr);          /* by content */
	sh("xz -c '%s' > '%s'", SMALL_CS, xz);
	expect_recs(xz, RT_AUTO, small_cs_recs, nr);
	sh("gzip -c '%s' > '%s'", SMALL_CS, gz);
	expect_recs(gz, RT_CHAMPSIM, small_cs_recs, nr);

	/* and through mmsim */
	const char *mmt = tmp("cs.mmt");
	cr_assert_eq(convert(xz, RT_AUTO, mmt, RT_MMSIM, RTW_ZSTD, NULL), nr);
	expect_recs(mmt, RT_AUTO, small_cs_recs, nr);
}

/* ls's stream as a ChampSim trace cs (each lackey I starts an
 * instruction; its L, S and M go to the memory operands, as many as fit),
 * and want: the records it must decode to, as an mmsim trace. */
static uint64_t make_ls_champsim(const char *cs, const char *want)
{
	char err[MMSIM_ERR_LEN];
	FILE *f = fopen(cs, "wb");
	struct rtrace_writer *w = rtrace_writer_open(want, RT_MMSIM, 0, 0, NULL, err);
	cr_assert_not_null(w, "%s", err);
	struct rtrace *t = rtrace_open(LS, RT_AUTO, err);
	cr_assert_not_null(t, "%s", err);
	struct rtrace_rec r, o;
	struct cs c = { 0 };
	int ns = 0, nd = 0, rc;
	uint64_t instrs = 0;
	do {
		rc = rtrace_next(t, &r, err);
		cr_assert_geq(rc, 0, "%s", err);
		if (c.ip && (rc == 0 || r.kind == RT_FETCH)) {     /* emit c */
			uint8_t rec[64];
			cs_encode(&c, rec);
			cr_assert_eq(fwrite(rec, 1, 64, f), 64);
			instrs++;
			o = (struct rtrace_rec){ c.ip, 4, 0, 0, RT_FETCH };
			rtrace_write(w, &o, err);
			for (int i = 0; i < ns; i++) {
				o = (struct rtrace_rec){ c.smem[i], 8, 0, 0, RT_LOAD };
				rtrace_write(w, &o, err);
			}
			for (int i = 0; i < nd; i++) {
				o = (struct rtrace_rec){ c.dmem[i], 8, 0, 0, RT_STORE };
				rtrace_write(w, &o, err);
			}
			if (!ns && !nd) {
				o = (struct rtrace_rec){ 0, 0, 1, 0, RT_COMPUTE };
				rtrace_write(w, &o, err);
			}
			c.ip = 0;
		}
		if (rc == 1 && r.kind == RT_FETCH) {
			c = (struct cs){ .ip = r.addr };
			ns = nd = 0;
		} else if (rc == 1 && c.ip && r.addr) {
			if (r.kind != RT_STORE && ns < 4)
				c.smem[ns++] = r.addr;
			if (r.kind != RT_LOAD && nd < 2)
				c.dmem[nd++] = r.addr;
		}
	} while (rc == 1);
	rtrace_close(t);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(rtrace_writer_close(w, err), 0, "%s", err);
	return instrs;
}

Test(rtrace, champsim_from_ls)
{
	const char *cs = tmp("ls.champsimtrace"), *want = tmp("ls-want.mmt");
	cr_assert_gt(make_ls_champsim(cs, want), 300000);
	expect_same(cs, RT_AUTO, want, RT_AUTO);
}

/* ---- malformed input ---------------------------------------------------- */

struct bad {
	const char *name;       /* file name in the test directory */
	enum rtrace_format fmt;
	const char *bytes;      /* header (unless raw) then body */
	size_t n;
	bool raw;               /* bytes are the whole file */
	uint64_t count;         /* header's record count; 0 = unknown */
	const char *msg;        /* "%s" stands for the path */
};

#define B(s) s, sizeof(s) - 1

static const struct bad bad_mmsim[] = {
	{ "magic.mmt", RT_MMSIM, B("MMSIMTR2\1\0\0\0\0\0\0\0"), true, 0,
	  "%s: not an mmsim trace (bad magic; want \"MMSIMTR1\")" },
	{ "short.mmt", RT_AUTO, B("MMSIMTR1\1\0"), true, 0,
	  "%s: truncated header (10 of 24 bytes)" },
	{ "version.mmt", RT_AUTO, B("MMSIMTR1\2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\7"), true, 0,
	  "%s: unsupported version 2 (this mmsim reads version 1)" },
	{ "flags.mmt", RT_AUTO, B("MMSIMTR1\1\0\4\0\0\0\0\0\0\0\0\0\0\0\0\0\7"), true, 0,
	  "%s: unknown flags 0x0004 in the header" },
	{ "metalen.mmt", RT_AUTO, B("MMSIMTR1\1\0\0\0\x70\x11\1\0\0\0\0\0\0\0\0\0\7"), true, 0,
	  "%s: metadata length 70000 exceeds 65536 bytes" },
	{ "meta.mmt", RT_AUTO, B("MMSIMTR1\1\0\0\0\12\0\0\0\0\0\0\0\0\0\0\0abc"), true, 0,
	  "%s: truncated header (metadata of 10 bytes, 3 there)" },
	{ "trunc1.mmt", RT_AUTO, B("\x00"), false, 0,
	  "%s: record 1 (byte 24): truncated record" },
	{ "trunc2.mmt", RT_AUTO, B("\x88\x00\x10"), false, 0,
	  "%s: record 2 (byte 25): truncated record" },
	{ "varint.mmt", RT_AUTO, B("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x07"), false, 0,
	  "%s: record 1 (byte 24): bad varint (longer than 64 bits, or a redundant zero byte)" },
	{ "overlong.mmt", RT_AUTO, B("\x88\x08\x80\x00\x07"), false, 0,
	  "%s: record 2 (byte 25): bad varint (longer than 64 bits, or a redundant zero byte)" },
	{ "byte5.mmt", RT_AUTO, B("\x05\x07"), false, 0,
	  "%s: record 1 (byte 24): bad record byte 0x05" },
	{ "byte87.mmt", RT_AUTO, B("\x87"), false, 0,
	  "%s: record 1 (byte 24): bad record byte 0x87" },
	{ "byte84.mmt", RT_AUTO, B("\x84\x07"), false, 0,
	  "%s: record 1 (byte 24): bad record byte 0x84" },
	{ "size.mmt", RT_AUTO, B("\x00\x81\x40\x00\x07"), false, 0,
	  "%s: record 1 (byte 24): size 8193 out of range 1..4096" },
	{ "size0.mmt", RT_AUTO, B("\x00\x00\x00\x07"), false, 0,
	  "%s: record 1 (byte 24): size 0 out of range 1..4096" },
	{ "tid.mmt", RT_AUTO, B("\xc8\x80\x80\x80\x80\x10\x07"), false, 0,
	  "%s: record 1 (byte 24): thread id 4294967296 above 2^32-1" },
	{ "count.mmt", RT_AUTO, B("\x04\x00\x07"), false, 0,
	  "%s: record 1 (byte 24): compute count 0 out of range 1..2^32-1" },
	{ "noend.mmt", RT_AUTO, B("\x88"), false, 0,
	  "%s: record 2 (byte 25): stream ends without the end marker (truncated file?)" },
	{ "nbody.mmt", RT_AUTO, B(""), false, 0,
	  "%s: record 1 (byte 24): stream ends without the end marker (truncated file?)" },
	{ "counted.mmt", RT_AUTO, B("\x88\x07"), false, 5,
	  "%s: record 2 (byte 25): end marker after 1 records, but the header says 5" },
	{ "after.mmt", RT_AUTO, B("\x07\x00"), false, 0,
	  "%s: byte 25: data after the end marker" },
	{ "cs.champsimtrace", RT_AUTO, B("\x00\x10\x40\0\0\0\0\0\0\0\0\0\0\0\0\0"
		"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
		"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x00\x10\x40\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
	  true, 0, "%s: instruction 2 (byte 64): truncated record (17 of 64 bytes)" },
	{ "bad.lackey", RT_AUTO, B("I  0401ab70,3\n L 1234,8\nX\n"), true, 0,
	  "%s:3: not a lackey record" },
	{ "nothing.mmt", RT_MMSIM, B(""), true, 0,
	  "%s: not an mmsim trace (bad magic; want \"MMSIMTR1\")" },
};

Test(rtrace, malformed)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_mmsim); i++) {
		const struct bad *b = &bad_mmsim[i];
		const char *path = tmp(b->name);
		uint8_t buf[256] = { 0 };
		size_t n = 0;
		if (!b->raw) {
			memcpy(buf, "MMSIMTR1\1\0\0\0\0\0\0\0", 12);
			put64(buf + 16, b->count ? b->count : UINT64_MAX);
			n = 24;
		}
		memcpy(buf + n, b->bytes, b->n);
		put_file(path, buf, n + b->n);
		char msg[MMSIM_ERR_LEN];
		snprintf(msg, sizeof(msg), b->msg, path);
		expect_error(path, b->fmt, msg);
	}
}

/* A truncated .xz or zstd stream is one message naming the file. */
Test(rtrace, truncated_compressed)
{
	char msg[MMSIM_ERR_LEN];
	/* lackey text: lib/lackey.c's message */
	const char *lxz = tmp("cut.lackey.xz");
	sh("head -c 20000 '%s' > '%s'", LS, lxz);
	snprintf(msg, sizeof(msg), "%s: xz -dc failed (status 256)", lxz);
	expect_error(lxz, RT_AUTO, msg);

	/* ChampSim and mmsim through xz */
	const char *cs = tmp("cs.champsimtrace"), *csxz = tmp("cut.champsimtrace.xz");
	FILE *f = fopen(cs, "wb");
	for (int i = 0; i < 20000; i++) {
		uint8_t rec[64];
		struct cs c = { .ip = 0x400000 + 4 * (uint64_t)i, .smem = { (uint64_t)i * 7919 } };
		cs_encode(&c, rec);
		fwrite(rec, 1, 64, f);
	}
	fclose(f);
	const char *full = tmp("full.xz");
	sh("xz -c '%s' > '%s'", cs, full);
	cut_half(full, csxz);
	snprintf(msg, sizeof(msg), "%s: xz -dc failed (exit status 1): truncated or corrupt "
		 "compressed data", csxz);
	expect_error(csxz, RT_AUTO, msg);

	const char *mmt = tmp("ls.mmt"), *mxz = tmp("cut.mmt.xz");
	convert(LS, RT_AUTO, mmt, RT_MMSIM, 0, NULL);
	sh("xz -c '%s' > '%s'", mmt, full);
	cut_half(full, mxz);
	snprintf(msg, sizeof(msg), "%s: xz -dc failed (exit status 1): truncated or corrupt "
		 "compressed data", mxz);
	expect_error(mxz, RT_AUTO, msg);

	/* mmsim's own zstd layer */
	const char *zmmt = tmp("ls.zst.mmt"), *zcut = tmp("cut.zst.mmt");
	convert(LS, RT_AUTO, zmmt, RT_MMSIM, RTW_ZSTD, NULL);
	cut_half(zmmt, zcut);
	snprintf(msg, sizeof(msg), "%s: truncated zstd stream (ends at byte %lld)", zcut,
		 size_of(zcut));
	expect_error(zcut, RT_AUTO, msg);

	/* A flipped byte: zstd's block decoder, the record decoder or, at the
	 * end of the frame, zstd's content checksum catches it. */
	size_t n;
	char *z = get_file(zmmt, &n);
	z[n / 2] ^= 0x55;
	put_file(zcut, z, n);
	free(z);
	char err[MMSIM_ERR_LEN] = "";
	struct rtrace *t = rtrace_open(zcut, RT_AUTO, err);
	cr_assert_not_null(t, "%s", err);
	struct rtrace_rec recs[512];
	long got;
	while ((got = rtrace_read(t, recs, ARRAY_SIZE(recs), err)) > 0)
		;
	rtrace_close(t);
	cr_assert_eq(got, -1);
	snprintf(msg, sizeof(msg), "%s: ", zcut);
	cr_assert(!strncmp(err, msg, strlen(msg)), "%s", err);
	cr_log_info("flipped byte: %s\n", err);
}

Test(rtrace, open_errors)
{
	char err[MMSIM_ERR_LEN];
	cr_assert_null(rtrace_open("/nonexistent/x.mmt", RT_AUTO, err));
	cr_assert_str_eq(err, "/nonexistent/x.mmt: No such file or directory");
	cr_assert_null(rtrace_open("/nonexistent/x.lackey", RT_LACKEY, err));
	cr_assert_str_eq(err, "/nonexistent/x.lackey: No such file or directory");
	cr_assert_null(rtrace_writer_open("/nonexistent/y.mmt", RT_MMSIM, 0, 0, NULL, err));
	cr_assert_str_eq(err, "/nonexistent/y.mmt: No such file or directory");
	cr_assert_null(rtrace_writer_open(tmp("y"), RT_CHAMPSIM, 0, 0, NULL, err));
	cr_assert(strstr(err, ": cannot write champsim traces (only mmsim or lackey)"), "%s", err);
	cr_assert_null(rtrace_writer_open(tmp("y"), RT_LACKEY, RTW_ZSTD, 0, NULL, err));
	cr_assert(strstr(err, ": zstd compression is for the mmsim format"), "%s", err);
	enum rtrace_format f;
	cr_assert_eq(rtrace_format_parse("champsim", &f), 0);
	cr_assert_eq(f, RT_CHAMPSIM);
	cr_assert_eq(rtrace_format_parse("ChampSim", &f), -1);
}

/* ---- mmsim convert ------------------------------------------------------ */

/* Run `mmsim convert ARGS...`: its exit status; stdout in out, stderr in
 * errs (each up to 1 KiB). */
static int run_convert(char *out, char *errs, const char *const *args)
{
	char *argv[16] = { "convert" };
	int argc = 1;
	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	const char *op = tmp("stdout"), *ep = tmp("stderr");
	FILE *fo = fopen(op, "w");
	fflush(stderr);
	int saved = dup(STDERR_FILENO), fe = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fe, STDERR_FILENO);
	close(fe);
	int rc = cmd_convert(argc, argv, fo);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fclose(fo);
	size_t n;
	char *s = get_file(op, &n);
	snprintf(out, 1024, "%s", s);
	free(s);
	s = get_file(ep, &n);
	snprintf(errs, 1024, "%s", s);
	free(s);
	return rc;
}

Test(rtrace, convert_command)
{
	char out[1024], errs[1024], want[1024];
	const char *mmt = tmp("ls.mmt"), *back = tmp("ls.lackey");
	cr_assert_eq(run_convert(out, errs, (const char *[]){ LS, mmt, "--zstd", NULL }), 0,
		     "%s", errs);
	snprintf(want, sizeof(want), "%s (lackey, 155644 bytes) -> %s (mmsim+zstd, ", LS, mmt);
	cr_assert(!strncmp(out, want, strlen(want)), "%s", out);
	cr_assert(strstr(out, " bytes): 541728 records in "), "%s", out);
	cr_assert(strstr(out, " M records/s\n"), "%s", out);

	cr_assert_eq(run_convert(out, errs, (const char *[]){ mmt, back, NULL }), 0, "%s", errs);
	cr_assert(strstr(out, "(lackey, 7740897 bytes): 541728 records"), "%s", out);
	expect_same(back, RT_AUTO, LS, RT_AUTO);

	char err[MMSIM_ERR_LEN];
	struct rtrace *t = rtrace_open(mmt, RT_AUTO, err);
	cr_assert_not_null(t, "%s", err);
	cr_assert_str_eq(rtrace_meta(t), "source: ls.lackey.xz\nsource-format: lackey\n"
			 "converter: mmsim 0.1.0\n");
	rtrace_close(t);

	/* ChampSim in, compute records dropped on the way to lackey text */
	const char *csm = tmp("cs.mmt"), *csl = tmp("cs.lackey");
	cr_assert_eq(run_convert(out, errs, (const char *[]){ SMALL_CS, csm, "--meta",
							       "from a test", NULL }), 0, "%s", errs);
	cr_assert(strstr(out, "(champsim, 640 bytes) -> "), "%s", out);
	cr_assert_eq(run_convert(out, errs, (const char *[]){ csm, csl, NULL }), 0, "%s", errs);
	cr_assert(strstr(out, ": 26 records in "), "%s", out);
	cr_assert(strstr(out, "\nnote: 4 compute records dropped (lackey text has none)\n"),
		  "%s", out);

	/* bad input: one message with file and place, exit 2, nothing written */
	const char *bad = tmp("bad.lackey"), *o = tmp("never.mmt");
	put_file(bad, B("I  0401ab70,3\n L 1234,0\n"));
	cr_assert_eq(run_convert(out, errs, (const char *[]){ bad, o, NULL }), 2);
	snprintf(want, sizeof(want), "mmsim: %s:2: size out of range\n", bad);
	cr_assert_str_eq(errs, want);
	cr_assert_eq(access(o, F_OK), -1, "%s was written", o);
	expect_no_tmp_files();

	/* usage */
	cr_assert_eq(run_convert(out, errs, (const char *[]){ LS, NULL }), 2);
	cr_assert(strstr(errs, "usage: mmsim convert IN OUT"), "%s", errs);
	cr_assert_eq(run_convert(out, errs, (const char *[]){ LS, o, "--to", "champsim", NULL }), 2);
	cr_assert(strstr(errs, "mmsim convert: --to champsim: mmsim or lackey\n"), "%s", errs);
	cr_assert_eq(run_convert(out, errs, (const char *[]){ LS, o, "--zstd=30", NULL }), 2);
	cr_assert(strstr(errs, "mmsim convert: bad argument \"--zstd=30\"\n"), "%s", errs);
	cr_assert_eq(run_convert(out, errs, (const char *[]){ LS, o, "--from", "x", NULL }), 2);
}

/* ---- speed -------------------------------------------------------------- */

/* Decode rates on ls (541728 records) for every format: printed for
 * docs/recorded-traces.md, never asserted (the host is shared). */
Test(rtrace, decode_rates, .timeout = 120)
{
	const char *text = tmp("ls.lackey"), *mmt = tmp("ls.mmt"), *zmmt = tmp("ls.zst.mmt");
	const char *xmmt = tmp("ls.mmt.xz"), *cs = tmp("ls.champsimtrace");
	const char *csxz = tmp("ls.champsimtrace.xz");
	make_ls_champsim(cs, tmp("ls-want.mmt"));
	sh("xz -c '%s' > '%s'", cs, csxz);
	convert(LS, RT_AUTO, text, RT_LACKEY, 0, NULL);
	convert(LS, RT_AUTO, mmt, RT_MMSIM, 0, NULL);
	convert(LS, RT_AUTO, zmmt, RT_MMSIM, RTW_ZSTD, NULL);
	sh("xz -c '%s' > '%s'", mmt, xmmt);
	struct { const char *what, *path; int reps; } c[] = {
		{ "lackey .xz", LS, 2 },
		{ "lackey text", text, 3 },
		{ "champsim", cs, 5 },
		{ "champsim .xz", csxz, 2 },
		{ "mmsim", mmt, 20 },
		{ "mmsim+zstd", zmmt, 20 },
		{ "mmsim .xz", xmmt, 3 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		uint64_t n = 0;
		double rate = decode_rate(c[i].path, c[i].reps, &n);
		cr_log_info("decode %-12s %10lld bytes  %llu records  %8.1f M records/s\n",
			    c[i].what, size_of(c[i].path), (unsigned long long)n, rate / 1e6);
	}
}
