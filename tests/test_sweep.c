/* Tests of mmsim sweep (src/sweep*.c) and mmsim report (src/report_cmd.c):
 * every kind of bad sweep file with its exact message, the point lists of
 * crossed and zipped axes and of seeds, metrics, the mean and confidence
 * interval, byte-identical results.csv, resuming, collecting.
 * Run from the project root (they read configs/tiny.json); each test works
 * in its own temporary folder with a tiny trace, so a sweep takes
 * milliseconds. */
#include <criterion/criterion.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/jsonutil.h"
#include "src/cli.h"
#include "src/sweep.h"

/* A trace of about 3000 accesses over 64 pages: the STLB size matters. */
static const char tiny_trace[] =
	"{ \"processes\": [ { \"threads\": [ { \"ops\": [\n"
	"  { \"op\": \"mmap\", \"name\": \"buf\", \"length\": \"256K\", \"prot\": \"rw\" },\n"
	"  { \"op\": \"stride\", \"base\": \"buf\", \"length\": \"256K\", \"stride\": 4096 },\n"
	"  { \"op\": \"random\", \"base\": \"buf\", \"length\": \"256K\", \"count\": 3000 },\n"
	"  { \"op\": \"exit\" } ] } ] } ] }\n";

/* The same on core 1, which the tiny machine lacks. */
static const char core1_trace[] =
	"{ \"processes\": [ { \"threads\": [ { \"cpu\": 1, \"ops\": [ { \"op\": \"exit\" } ] } ] } ] }\n";

struct fixture {
	char dir[64];             /* the test's temporary folder */
	char base[256];           /* absolute path of configs/tiny.json */
	char sweep[128];          /* dir/sweep.json */
	char out[128];            /* dir/out */
	char err[MMSIM_ERR_LEN];
};

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static void setup(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	strcpy(fx->dir, "/tmp/mmsim-sweep-XXXXXX");
	cr_assert(mkdtemp(fx->dir));
	char real[PATH_MAX];
	cr_assert(realpath("configs/tiny.json", real));
	cr_assert_lt(strlen(real), sizeof(fx->base));
	strcpy(fx->base, real);
	char p[128];
	snprintf(p, sizeof(p), "%s/t.json", fx->dir);
	put(p, tiny_trace);
	snprintf(p, sizeof(p), "%s/u.json", fx->dir);
	put(p, tiny_trace);
	snprintf(p, sizeof(p), "%s/core1.json", fx->dir);
	put(p, core1_trace);
	snprintf(fx->sweep, sizeof(fx->sweep), "%s/sweep.json", fx->dir);
	snprintf(fx->out, sizeof(fx->out), "%s/out", fx->dir);
}

static void teardown(struct fixture *fx)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	cr_assert_eq(system(cmd), 0);
}

/* Write the sweep file: "BASE" in body becomes the tiny config's path. */
static void write_sweep(struct fixture *fx, const char *body)
{
	char text[8192];
	const char *b = strstr(body, "BASE");
	if (b)
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(b - body), body, fx->base, b + 4);
	else
		snprintf(text, sizeof(text), "%s", body);
	put(fx->sweep, text);
}

/* The sweep body must be rejected with exactly FILE + ": " + msg, where
 * "DIR" in msg stands for the test's folder. */
static void expect_error(struct fixture *fx, const char *body, const char *msg)
{
	struct sweep sw;
	char want[MMSIM_ERR_LEN * 2];
	write_sweep(fx, body);
	cr_assert_eq(sweep_load(&sw, fx->sweep, NULL, fx->err), -1, "accepted: %s", body);
	const char *d = strstr(msg, "DIR");
	if (d)
		snprintf(want, sizeof(want), "%s: %.*s%s%s", fx->sweep, (int)(d - msg), msg,
			 fx->dir, d + 3);
	else
		snprintf(want, sizeof(want), "%s: %s", fx->sweep, msg);
	cr_assert_str_eq(fx->err, want);
}

static struct fixture fx;
static void init(void) { setup(&fx); }
static void fini(void) { teardown(&fx); }

TestSuite(sweep, .init = init, .fini = fini);

/* --- validation ------------------------------------------------------------ */

Test(sweep, unknown_key_has_a_hint)
{
	expect_error(&fx, "{ \"bsae\": \"BASE\", \"traces\": [\"t.json\"] }",
		     "bsae: unknown key; did you mean \"base\"?");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"], \"frobs\": 1 }",
		     "frobs: unknown key");
}

Test(sweep, misspelled_axis_key_gets_the_config_message)
{
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"axes\": { \"tlb.stlb.entires\": [64, 128] } }",
		     "axes: tlb.stlb.entires: unknown key; did you mean \"tlb.stlb.entries\"?");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"overrides\": { \"tlb.stlb.wyas\": 8 } }",
		     "overrides: tlb.stlb.wyas: unknown key; did you mean \"tlb.stlb.ways\"?");
}

Test(sweep, bad_axis_values)
{
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"axes\": { \"tlb.stlb.entries\": [64, \"lots\"] } }",
		     "axes: tlb.stlb.entries: \"lots\" is not a number (decimal or 0x-hex)");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"axes\": { \"tlb.stlb.entries\": [64, 99999] } }",
		     "axes: tlb.stlb.entries: 99999 is out of range (0..65536)");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"axes\": { \"tlb.stlb.policy\": [\"lru\", \"mru\"] } }",
		     "axes: tlb.stlb.policy: \"mru\" is not one of: lru, plru, random, fifo");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"axes\": { \"tlb.stlb.entries\": [64, [1]] } }",
		     "axes.tlb.stlb.entries[1]: expected a number, a string or true/false, "
		     "not an array");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"axes\": { \"tlb.stlb.entries\": [] } }",
		     "axes.tlb.stlb.entries: expected a non-empty array of values, not an empty "
		     "array");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"axes\": { \"tlb.stlb.entries\": [64, 64] } }",
		     "axes.tlb.stlb.entries[1]: 64 appears twice");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"axes\": { \"seed\": [1, 2] } }",
		     "axes: seed: the seed is not set here; use \"seeds\"");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"axes\": { \"tlb.stlb.ways\": [4, 8] }, \"overrides\": { \"tlb.stlb.ways\": 8 } }",
		     "axes: tlb.stlb.ways: also in \"overrides\" (a key is either swept or fixed)");
}

Test(sweep, point_configs_are_checked)
{
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"axes\": { \"tlb.stlb.entries\": [64, 100] }, \"overrides\": { \"tlb.stlb.ways\": 8 } }",
		     "axes (tlb.stlb.entries=100): tlb.stlb.entries: 100 is not a multiple of "
		     "tlb.stlb.ways (8)");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\", \"core1.json\"],"
		     " \"axes\": { \"cores\": [2, 1] } }",
		     "traces[1] with axes (cores=1): DIR/core1.json: processes[0].threads[0].cpu: "
		     "core 1 does not exist (the config has 1 cores)");
}

Test(sweep, zip_needs_equal_lengths)
{
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"], \"zip\": true,"
		     " \"axes\": { \"tlb.stlb.entries\": [64, 128, 256], \"tlb.stlb.ways\": [4, 8] } }",
		     "axes: \"zip\" needs axes of equal length: tlb.stlb.entries has 3 values, "
		     "tlb.stlb.ways has 2");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"], \"zip\": true,"
		     " \"axes\": { \"tlb.stlb.entries\": [64, 128, 64], \"tlb.stlb.ways\": [4, 8, 4] } }",
		     "axes: zipped values 0 and 2 are the same point");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"], \"zip\": 1 }",
		     "zip: expected true or false, not a number");
}

Test(sweep, traces_and_base_must_load)
{
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\", \"nope.json\"] }",
		     "traces[1]: DIR/nope.json: cannot open: No such file or directory");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\", \"./t.json\"] }",
		     "traces[1]: same file name \"t\" as traces[0] (results.csv tells traces "
		     "apart by name)");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [] }",
		     "traces: expected a non-empty array of trace files, not an empty array");
	expect_error(&fx, "{ \"base\": \"nope.json\", \"traces\": [\"t.json\"] }",
		     "base: DIR/nope.json: cannot open: No such file or directory");
	expect_error(&fx, "{ \"traces\": [\"t.json\"] }",
		     "base: missing (the config file every point starts from)");
}

Test(sweep, seeds_and_metrics_are_checked)
{
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"], \"seeds\": 0 }",
		     "seeds: 0 seeds: must be 1..100000");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"], \"seeds\": [3, 3] }",
		     "seeds[1]: seed 3 appears twice");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"metrics\": [\"result.cycles\", \"core0.dtlb.mis\"] }",
		     "metrics[1]: core0.dtlb.mis: no such counter; did you mean \"core0.dtlb.miss\"?");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"metrics\": [\"core*.dtlb.mis\"] }",
		     "metrics[0]: core*.dtlb.mis: no such counter; did you mean \"core*.dtlb.miss\"?");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"metrics\": [\"core0.walk.cycles/core0.walk.cont\"] }",
		     "metrics[0]: core0.walk.cycles/core0.walk.cont: core0.walk.cont: no such "
		     "counter; did you mean \"core0.walk.count\"?");
	expect_error(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
		     " \"metrics\": [\"a//b\"] }",
		     "metrics[0]: a//b: not a metric: expected COUNTER, SCALE*COUNTER or "
		     "[SCALE*]COUNTER/COUNTER (docs/sweeps.md)");

	struct sweep sw;
	write_sweep(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"] }");
	cr_assert_eq(sweep_load(&sw, fx.sweep, "result.cycles,llc.mis", fx.err), -1);
	cr_assert_str_eq(fx.err, "--metrics: llc.mis: no such counter; did you mean \"llc.miss\"?");
}

/* --- point lists ------------------------------------------------------------- */

Test(sweep, cross_product_first_axis_slowest)
{
	struct sweep sw;
	write_sweep(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\", \"u.json\"],"
		    " \"axes\": { \"tlb.stlb.entries\": [64, 128, 256], \"mmu.pwc.pde.entries\": [0, 32] },"
		    " \"overrides\": { \"tlb.stlb.ways\": 8 }, \"seeds\": 2 }");
	cr_assert_eq(sweep_load(&sw, fx.sweep, NULL, fx.err), 0, "%s", fx.err);
	cr_assert_eq(sw.ncombos, 6);
	cr_assert_eq(sw.npoints, 24);
	static const unsigned stlb[] = { 64, 64, 128, 128, 256, 256 };
	static const unsigned pde[] = { 0, 32, 0, 32, 0, 32 };
	for (size_t i = 0; i < sw.npoints; i++) {
		const struct sweep_point *p = &sw.points[i];
		struct mmsim_cfg cfg;
		char id[24];
		snprintf(id, sizeof(id), "%04zu", i);
		cr_assert_str_eq(p->id, id);
		cr_assert_eq(p->combo, i / 4);
		cr_assert_eq(p->trace, i / 2 % 2);
		cr_assert_eq(p->seed, 1 + i % 2);   /* tiny.json's seed is the default, 1 */
		sweep_point_cfg(&sw, p, &cfg);
		cr_assert_eq(cfg.tlb.stlb.entries, stlb[p->combo]);
		cr_assert_eq(cfg.mmu.pwc_pde.entries, pde[p->combo]);
		cr_assert_eq(cfg.tlb.stlb.ways, 8);
		cr_assert_eq(cfg.seed, p->seed);
		cr_assert_eq(p->config_hash, sweep_config_hash(&cfg));
	}
	char upath[128];
	snprintf(upath, sizeof(upath), "%s/u.json", fx.dir);
	cr_assert_str_eq(sw.traces[1].path, upath);
	cr_assert_str_eq(sw.traces[1].name, "u");
	sweep_free(&sw);
}

Test(sweep, zip_advances_together)
{
	struct sweep sw;
	write_sweep(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\"], \"zip\": true,"
		    " \"axes\": { \"tlb.stlb.entries\": [64, 128, 256], \"tlb.stlb.ways\": [4, 8, 8] },"
		    " \"seeds\": [7, 3] }");
	cr_assert_eq(sweep_load(&sw, fx.sweep, NULL, fx.err), 0, "%s", fx.err);
	cr_assert_eq(sw.npoints, 6);
	static const unsigned entries[] = { 64, 128, 256 }, ways[] = { 4, 8, 8 };
	for (size_t i = 0; i < sw.npoints; i++) {
		struct mmsim_cfg cfg;
		sweep_point_cfg(&sw, &sw.points[i], &cfg);
		cr_assert_eq(cfg.tlb.stlb.entries, entries[i / 2]);
		cr_assert_eq(cfg.tlb.stlb.ways, ways[i / 2]);
		cr_assert_eq(cfg.seed, i % 2 ? 3 : 7);
	}
	sweep_free(&sw);
}

Test(sweep, no_axes_is_one_config)
{
	struct sweep sw;
	write_sweep(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\", \"u.json\"] }");
	cr_assert_eq(sweep_load(&sw, fx.sweep, NULL, fx.err), 0, "%s", fx.err);
	cr_assert_eq(sw.npoints, 2);
	/* the default metrics of a one-core machine: no per-core columns */
	static const char *const want[] = {
		"result.cycles", "core*.dtlb.mpka", "core*.stlb.mpka", "core*.walk.cycles",
		"mm.pgfault", "llc.miss",
	};
	cr_assert_eq(sw.nmetrics, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		cr_assert_str_eq(sw.metrics[i].name, want[i]);
	sweep_free(&sw);
}

/* --- metrics and statistics ---------------------------------------------------- */

Test(sweep, metric_values)
{
	cJSON *st = cJSON_Parse("{ \"result\": { \"cycles\": 1234 }, \"counters\": {"
				" \"core0.loads\": 900, \"core0.stores\": 100, \"core0.fetches\": 0,"
				" \"core1.loads\": 2000, \"core1.stores\": 0, \"core1.fetches\": 0,"
				" \"core0.dtlb.miss\": 50, \"core1.dtlb.miss\": 10,"
				" \"core0.walk.cycles\": 700, \"core0.walk.count\": 0,"
				" \"llc.access\": 400, \"llc.miss\": 100 } }");
	static const struct { const char *name; bool ok; double v; bool integral; } cases[] = {
		{ "result.cycles", true, 1234, true },
		{ "core0.dtlb.miss", true, 50, true },
		{ "core*.dtlb.miss", true, 60, true },
		{ "core1.accesses", true, 2000, true },
		{ "core0.dtlb.mpka", true, 50, false },
		{ "core*.dtlb.mpka", true, 20, false },
		{ "llc.miss_rate", true, 0.25, false },
		{ "llc.mpka", true, 100.0 / 3, false },
		{ "2*llc.miss", true, 200, true },
		{ "core0.walk.cycles/core0.walk.count", false, 0, false },  /* zero denominator */
		{ "core2.dtlb.miss", false, 0, false },                     /* absent here */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sweep_metric m;
		char err[MMSIM_ERR_LEN];
		double v = -1;
		bool integral = false;
		cr_assert_eq(sweep_metric_parse(&m, cases[i].name, NULL, "x", err), 0, "%s", err);
		bool ok = sweep_metric_eval(&m, st, &v, &integral);
		cr_assert_eq(ok, cases[i].ok, "%s", cases[i].name);
		if (ok) {
			cr_assert_float_eq(v, cases[i].v, 1e-9, "%s: %g", cases[i].name, v);
			cr_assert_eq(integral, cases[i].integral, "%s", cases[i].name);
		}
		free(m.name);
	}
	cJSON_Delete(st);
	char buf[32];
	sweep_metric_format(buf, sizeof(buf), true, 100.0 / 3, false);
	cr_assert_str_eq(buf, "33.3333");
	sweep_metric_format(buf, sizeof(buf), true, 15922958, true);
	cr_assert_str_eq(buf, "15922958");
	sweep_metric_format(buf, sizeof(buf), false, 1, true);
	cr_assert_str_eq(buf, "");
}

Test(sweep, mean_and_confidence_interval)
{
	double mean, ci;
	const double x[] = { 1, 2, 3, 4, 5 };
	sweep_mean_ci(x, 5, &mean, &ci);
	cr_assert_float_eq(mean, 3.0, 1e-12);
	/* s = sqrt(2.5); t(0.975, 4) = 2.776; ci = 2.776 * s / sqrt(5) */
	cr_assert_float_eq(ci, 2.776 * sqrt(2.5) / sqrt(5.0), 1e-12);
	const double y[] = { 10, 12 };
	sweep_mean_ci(y, 2, &mean, &ci);
	cr_assert_float_eq(mean, 11.0, 1e-12);
	cr_assert_float_eq(ci, 12.706 * sqrt(2.0) / sqrt(2.0), 1e-12);
	const double z[] = { 7, 7, 7 };
	sweep_mean_ci(z, 3, &mean, &ci);
	cr_assert_float_eq(ci, 0.0, 1e-12);
	sweep_mean_ci(z, 1, &mean, &ci);
	cr_assert_float_eq(mean, 7.0, 1e-12);
	cr_assert(isnan(ci));
	double big[100];
	for (int i = 0; i < 100; i++)
		big[i] = i % 2;
	sweep_mean_ci(big, 100, &mean, &ci);   /* df 99: t = 2.000 (the df 60 row) */
	cr_assert_float_eq(ci, 2.000 * sqrt(25.0 / 99) / 10, 1e-12);
}

/* --- running ------------------------------------------------------------------- */

/* Run `mmsim sweep -q` with args; the last line of its output in last. */
static int sweep_cmd(char *last, size_t n, const char *a1, const char *a2, const char *a3,
		     const char *a4, const char *a5)
{
	char *argv[] = { "sweep", "-q", (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5,
			 NULL };
	int argc = 1;
	while (argv[argc])
		argc++;
	char *text = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);
	int rc = cmd_sweep(argc, argv, out);
	fclose(out);
	char *nl = len ? text + len - 1 : text;
	while (nl > text && nl[-1] != '\n')
		nl--;
	snprintf(last, n, "%s", nl);
	last[strcspn(last, "\n")] = '\0';
	free(text);
	return rc;
}

static char *slurp(const char *path)
{
	char err[MMSIM_ERR_LEN];
	FILE *f = fopen(path, "rb");
	(void)err;
	if (!f)
		return NULL;
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char four_points[] =
	"{ \"base\": \"BASE\", \"traces\": [\"t.json\"],"
	" \"axes\": { \"tlb.stlb.entries\": [16, 32, 64, 128] },"
	" \"overrides\": { \"tlb.stlb.ways\": 4, \"tlb.l1d.4k.entries\": 8 },"
	" \"metrics\": [\"result.cycles\", \"core0.stlb.miss\", \"core0.dtlb.mpka\"] }";

Test(sweep, runs_and_resumes)
{
	char last[512], want[512], path[256];
	write_sweep(&fx, four_points);
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "-j", "2", "--out", fx.out), 0);
	snprintf(want, sizeof(want), "sweep sweep: 4 points: 4 run, 0 already done, 0 failed; "
		 "4 rows in %s/results.csv", fx.out);
	cr_assert_str_eq(last, want);

	snprintf(path, sizeof(path), "%s/results.csv", fx.out);
	char *csv = slurp(path);
	cr_assert(csv);
	cr_assert(!strncmp(csv, "point,tlb.stlb.entries,trace,seed,result.cycles,core0.stlb.miss,"
			   "core0.dtlb.mpka\n0000,16,t,1,", 73), "%s", csv);
	/* a bigger STLB misses less, until the 64 pages fit and only the first
	 * touches miss */
	unsigned long long miss[4];
	const char *line = csv;
	for (int i = 0; i < 4; i++) {
		line = strchr(line, '\n') + 1;
		cr_assert_eq(sscanf(line, "%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%llu", &miss[i]), 1);
	}
	cr_assert(miss[0] > miss[1] && miss[1] > miss[2] && miss[2] >= miss[3],
		  "%llu %llu %llu %llu", miss[0], miss[1], miss[2], miss[3]);

	/* the same command again runs nothing and writes the same table */
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", fx.out, NULL, NULL), 0);
	snprintf(want, sizeof(want), "sweep sweep: 4 points: 0 run, 4 already done, 0 failed; "
		 "4 rows in %s/results.csv", fx.out);
	cr_assert_str_eq(last, want);
	char *again = slurp(path);
	cr_assert_str_eq(again, csv);
	free(again);

	/* an interrupted point (stats left as .tmp) and a lost one are rerun */
	char from[256], to[256];
	snprintf(from, sizeof(from), "%s/points/0002.json", fx.out);
	snprintf(to, sizeof(to), "%s/points/0002.json.tmp", fx.out);
	cr_assert_eq(rename(from, to), 0);
	snprintf(from, sizeof(from), "%s/points/0003.prov.json", fx.out);
	cr_assert_eq(unlink(from), 0);
	snprintf(from, sizeof(from), "%s/points/0003.json", fx.out);
	cr_assert_eq(unlink(from), 0);
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", fx.out, NULL, NULL), 0);
	cr_assert(strstr(last, ": 2 run, 2 already done, 0 failed;"), "%s", last);
	again = slurp(path);
	cr_assert_str_eq(again, csv);
	free(again);

	/* --force reruns everything, to the same bytes */
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", fx.out, "--force", NULL), 0);
	cr_assert(strstr(last, ": 4 run, 0 already done, 0 failed;"), "%s", last);
	again = slurp(path);
	cr_assert_str_eq(again, csv);
	free(again);
	free(csv);
}

Test(sweep, results_are_deterministic)
{
	char last[512], out2[160], p1[256], p2[256];
	write_sweep(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\", \"u.json\"],"
		    " \"axes\": { \"tlb.stlb.entries\": [16, 64] }, \"seeds\": 3,"
		    " \"overrides\": { \"tlb.stlb.ways\": 4 } }");
	snprintf(out2, sizeof(out2), "%s/out2", fx.dir);
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "-j", "2", "--out", fx.out), 0);
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "-j1", "--out", out2, NULL), 0);
	static const char *const files[] = { "results.csv", "summary.csv" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(p1, sizeof(p1), "%s/%s", fx.out, files[i]);
		snprintf(p2, sizeof(p2), "%s/%s", out2, files[i]);
		char *a = slurp(p1), *b = slurp(p2);
		cr_assert(a && b);
		cr_assert_str_eq(a, b);
		free(a);
		free(b);
	}
	/* summary: one row per (axes, trace), 3 seeds each */
	snprintf(p1, sizeof(p1), "%s/summary.csv", fx.out);
	char *s = slurp(p1);
	cr_assert(!strncmp(s, "tlb.stlb.entries,trace,seeds,result.cycles.mean,result.cycles.ci95,",
			   67), "%s", s);
	int rows = 0;
	for (const char *c = s; *c; c++)
		rows += *c == '\n';
	cr_assert_eq(rows, 1 + 4);
	cr_assert(strstr(s, "\n16,t,3,"), "%s", s);
	free(s);
}

Test(sweep, emitted_commands_and_collect)
{
	char last[512], path[256];
	write_sweep(&fx, four_points);
	char *text = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);
	char *argv[] = { "sweep", fx.sweep, "--out", fx.out, "--emit-commands", "--mmsim",
			 "build/mmsim", "-q", NULL };
	cr_assert_eq(cmd_sweep(8, argv, out), 0);
	fclose(out);
	int lines = 0;
	for (const char *c = text; *c; c++)
		lines += *c == '\n';
	cr_assert_eq(lines, 4);
	char want[2048];
	snprintf(want, sizeof(want), "build/mmsim run -q -c %s -s tlb.stlb.ways=4 "
		 "-s tlb.l1d.4k.entries=8 -s tlb.stlb.entries=16 --seed 1 --stats "
		 "%s/points/0000.json.tmp %s/t.json 2>%s/points/0000.log && mv "
		 "%s/points/0000.json.tmp %s/points/0000.json\n", fx.base, fx.out, fx.dir,
		 fx.out, fx.out, fx.out);
	cr_assert(!strncmp(text, want, strlen(want)), "%s", text);
	free(text);

	/* nothing has run: collect finds no stats */
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", fx.out, "--collect", NULL), 1);
	cr_assert(strstr(last, ": 0 collected, 4 missing; 0 rows in"), "%s", last);

	/* run the points the way the commands would (mmsim run, no provenance),
	 * then collect: rows for all, provenance written */
	struct sweep sw;
	cr_assert_eq(sweep_load(&sw, fx.sweep, NULL, fx.err), 0);
	for (size_t i = 0; i < sw.npoints; i++) {
		char *av[SWEEP_ARGV_MAX(&sw)];
		snprintf(path, sizeof(path), "%s/points/%s.json", fx.out, sw.points[i].id);
		int ac = sweep_run_argv(&sw, &sw.points[i], path, av);
		FILE *null = fopen("/dev/null", "w");
		cr_assert_eq(cmd_run(ac, av, null), 0);
		fclose(null);
		sweep_free_argv(ac, av);
	}
	sweep_free(&sw);
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", fx.out, "--collect", NULL), 0);
	cr_assert(strstr(last, ": 4 collected, 0 missing; 4 rows in"), "%s", last);
	snprintf(path, sizeof(path), "%s/points/0001.prov.json", fx.out);
	char *prov = slurp(path);
	cr_assert(prov && strstr(prov, "\"collected\":\ttrue"), "%s", prov);
	free(prov);
	/* and a local run now has nothing to do */
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", fx.out, NULL, NULL), 0);
	cr_assert(strstr(last, ": 0 run, 4 already done, 0 failed;"), "%s", last);
}

Test(sweep, changed_inputs_rerun)
{
	char last[512], path[256];
	write_sweep(&fx, four_points);
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", fx.out, NULL, NULL), 0);
	/* another value for one axis: only that point is new */
	char body[1024];
	snprintf(body, sizeof(body), "%s", four_points);
	char *v = strstr(body, "128");
	memcpy(v, "256", 3);
	write_sweep(&fx, body);
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", fx.out, NULL, NULL), 0);
	cr_assert(strstr(last, ": 1 run, 3 already done, 0 failed;"), "%s", last);
	/* a changed trace file: every point is stale */
	snprintf(path, sizeof(path), "%s/t.json", fx.dir);
	char *t = slurp(path);
	char *c = strstr(t, "3000");
	memcpy(c, "2000", 4);
	put(path, t);
	free(t);
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", fx.out, NULL, NULL), 0);
	cr_assert(strstr(last, ": 4 run, 0 already done, 0 failed;"), "%s", last);
}

Test(sweep, a_failed_point_is_reported_and_kept_out)
{
	char last[512], path[256];
	snprintf(path, sizeof(path), "%s/bad.json", fx.dir);
	put(path, "{ \"processes\": [ { \"threads\": [ { \"ops\": [\n"
		  "  { \"op\": \"mmap\", \"name\": \"d\", \"length\": \"4K\" },\n"
		  "  { \"op\": \"read\", \"addr\": \"d\", \"size\": 8, \"expect\": 1 },\n"
		  "  { \"op\": \"exit\" } ] } ] } ] }\n");
	write_sweep(&fx, "{ \"base\": \"BASE\", \"traces\": [\"t.json\", \"bad.json\"],"
		    " \"metrics\": [\"result.cycles\"] }");
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", fx.out, NULL, NULL), 1);
	cr_assert(strstr(last, ": 1 run, 0 already done, 1 failed; 1 rows in"), "%s", last);
	snprintf(path, sizeof(path), "%s/points/0001.log", fx.out);
	char *log = slurp(path);
	cr_assert(log && strstr(log, "value mismatch"), "%s", log ? log : "(no log)");
	free(log);
	snprintf(path, sizeof(path), "%s/points/0001.json", fx.out);
	cr_assert_neq(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/points/0001.json.tmp", fx.out);
	cr_assert_neq(access(path, F_OK), 0);
	/* the next run tries the failed point again, and only it */
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", fx.out, NULL, NULL), 1);
	cr_assert(strstr(last, ": 0 run, 1 already done, 1 failed;"), "%s", last);
}

Test(sweep, dry_run_lists_points)
{
	char *text = NULL;
	size_t len;
	write_sweep(&fx, four_points);
	FILE *out = open_memstream(&text, &len);
	char *argv[] = { "sweep", fx.sweep, "--dry-run", "--out", fx.out, NULL };
	cr_assert_eq(cmd_sweep(5, argv, out), 0);
	fclose(out);
	cr_assert(strstr(text, "4 points = 4 configs x 1 trace x 1 seed\n"), "%s", text);
	cr_assert(strstr(text, "\n0003                128  t           1  todo\n"), "%s", text);
	free(text);
	cr_assert_neq(access(fx.out, F_OK), 0, "a dry run created the results folder");
}

/* --- mmsim report ------------------------------------------------------------------ */

Test(sweep, report_reads_a_stats_file)
{
	char stats[160];
	snprintf(stats, sizeof(stats), "%s/s.json", fx.dir);
	char trace[160];
	snprintf(trace, sizeof(trace), "%s/t.json", fx.dir);
	char *run[] = { "run", "-q", "-c", "configs/tiny.json", "--stats", stats, trace, NULL };
	cr_assert_eq(cmd_run(7, run, stdout), 0);
	static const struct { const char *format, *want; } cases[] = {
		{ "text", "\nbuddyinfo:\nNode 0, zone " },
		{ "text", "\nmeminfo (end of run):\nMemTotal:" },
		{ "text", "\nvmstat:\nnr_free_pages " },
		{ "text", "\npgfault 64\n" },
		{ "csv", "name,value\nresult.cycles," },
		{ "csv", "\nmm.pgfault,64\n" },
		{ "json", "\t\"mm.pgfault\":\t64,\n" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *text = NULL;
		size_t len;
		FILE *out = open_memstream(&text, &len);
		char *argv[] = { "report", stats, "--format", (char *)cases[i].format, NULL };
		cr_assert_eq(cmd_report(4, argv, out), 0);
		fclose(out);
		cr_assert(strstr(text, cases[i].want), "%s: want %s in:\n%s", cases[i].format,
			  cases[i].want, text);
		free(text);
	}
	char *bad[] = { "report", stats, "--format", "xml", NULL };
	cr_assert_eq(cmd_report(4, bad, stdout), 2);
	char *none[] = { "report", trace, NULL };
	cr_assert_eq(cmd_report(2, none, stdout), 2);
}

/* --emit jobs writes DIR/jobs.txt and DIR/origin.json; running the file's
 * lines with sh and then `mmsim sweep --collect DIR` (no sweep file, from
 * another folder) gives the results.csv of a local run. */
Test(sweep, job_file_and_collect_dir)
{
	char last[512], path[256], local[256];
	write_sweep(&fx, four_points);
	snprintf(local, sizeof(local), "%s/local", fx.dir);
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", local, "-q", NULL), 0);
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", fx.out, "--emit", "jobs"), 0);
	snprintf(path, sizeof(path), "%s/jobs.txt", fx.out);
	char *jobs = slurp(path);
	cr_assert(jobs, "no %s", path);
	int lines = 0;
	for (const char *c = jobs; *c; c++)
		lines += *c == '\n';
	cr_assert_eq(lines, 4, "%s", jobs);
	cr_assert(strstr(jobs, "/points/0003.json.tmp") && strstr(jobs, " && mv "), "%s", jobs);
	free(jobs);
	snprintf(path, sizeof(path), "%s/origin.json", fx.out);
	char *origin = slurp(path);
	cr_assert(origin && strstr(origin, "\"sweep\":") && strstr(origin, fx.sweep), "%s", origin);
	free(origin);

	/* run the points as the job lines do (tests/sweep.sh runs the file
	 * itself through GNU parallel): `mmsim run ... --stats X.tmp TRACE
	 * 2>LOG && mv X.tmp X` */
	char real[PATH_MAX];
	cr_assert(getcwd(real, sizeof(real)));
	struct sweep sw;
	cr_assert_eq(sweep_load(&sw, fx.sweep, NULL, fx.err), 0);
	for (size_t i = 0; i < sw.npoints; i++) {
		char *av[SWEEP_ARGV_MAX(&sw)], tmp[256], fin[256];
		snprintf(tmp, sizeof(tmp), "%s/points/%s.json.tmp", fx.out, sw.points[i].id);
		snprintf(fin, sizeof(fin), "%s/points/%s.json", fx.out, sw.points[i].id);
		int ac = sweep_run_argv(&sw, &sw.points[i], tmp, av);
		FILE *null = fopen("/dev/null", "w");
		cr_assert_eq(cmd_run(ac, av, null), 0);
		fclose(null);
		sweep_free_argv(ac, av);
		cr_assert_eq(rename(tmp, fin), 0);
	}
	sweep_free(&sw);

	/* --collect DIR from another folder: origin.json names the sweep */
	cr_assert_eq(chdir("/"), 0);
	int rc = sweep_cmd(last, sizeof(last), "--collect", fx.out, NULL, NULL, NULL);
	char here[PATH_MAX];
	cr_assert(getcwd(here, sizeof(here)));
	cr_assert_eq(chdir(real), 0);
	cr_assert_str_eq(here, "/", "--collect DIR left the working folder changed");
	cr_assert_eq(rc, 0, "%s", last);
	cr_assert(strstr(last, ": 4 collected, 0 missing; 4 rows in"), "%s", last);
	char a[300], b[300];
	snprintf(a, sizeof(a), "%s/results.csv", fx.out);
	snprintf(b, sizeof(b), "%s/results.csv", local);
	char *ta = slurp(a), *tb = slurp(b);
	cr_assert(ta && tb);
	cr_assert_str_eq(ta, tb);
	free(ta);
	free(tb);
}

Test(sweep, collect_dir_without_origin_names_the_fix)
{
	char last[512];
	cr_assert_eq(sweep_cmd(last, sizeof(last), "--collect", fx.dir, NULL, NULL, NULL), 2);
}

Test(sweep, slurm_script_runs_a_line_of_the_job_file)
{
	char last[512], path[256];
	write_sweep(&fx, four_points);
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--out", fx.out, "--emit", "slurm"), 0);
	snprintf(path, sizeof(path), "%s/slurm.sh", fx.out);
	char *s = slurp(path);
	cr_assert(s, "no %s", path);
	cr_assert(strstr(s, "#SBATCH --array=1-4\n"), "%s", s);
	cr_assert(strstr(s, "/jobs.txt"), "%s", s);
	cr_assert(strstr(s, "${SLURM_ARRAY_TASK_ID:?"), "%s", s);
	free(s);
}

Test(sweep, bad_emit_kind)
{
	char last[512];
	write_sweep(&fx, four_points);
	cr_assert_eq(sweep_cmd(last, sizeof(last), fx.sweep, "--emit", "pbs", NULL, NULL), 2);
}

Test(sweep, progress_bar_line)
{
	char buf[256];
	sweep_progress_line(buf, sizeof(buf), "s", 4, 16, 2, 0, 12.4, 37);
	cr_assert_str_eq(buf, "sweep s [######..................] 4/16 points, 2 running, "
			      "elapsed 0:12, ETA 0:37");
	sweep_progress_line(buf, sizeof(buf), "s", 16, 16, 0, 1, 3725, 0);
	cr_assert_str_eq(buf, "sweep s [########################] 16/16 points, 0 running, "
			      "1 failed, elapsed 1:02:05, ETA 0:00");
	sweep_progress_line(buf, sizeof(buf), "s", 0, 16, 2, 0, 0.2, -1);
	cr_assert(strstr(buf, "[........................] 0/16") && strstr(buf, "ETA -"), "%s", buf);
}
