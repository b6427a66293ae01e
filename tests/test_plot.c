/* Tests of mmsim plot (src/plot*.c): the CSV reader, units in the labels,
 * the gnuplot script (lines per group, legend, log axes, ticks at the swept
 * values, the mean and 95% CI of seeds), and each bad input's message.
 * They check the script, so they need no gnuplot; tests/sweep.sh renders
 * real images when gnuplot is installed. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/jsonutil.h"
#include "src/plot.h"
#include "src/sweep.h"

static char dir[64], csv[128], err[MMSIM_ERR_LEN];

static void init(void)
{
	strcpy(dir, "/tmp/mmsim-plot-XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(csv, sizeof(csv), "%s/results.csv", dir);
}

static void fini(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(plot, .init = init, .fini = fini);

static void put(const char *text)
{
	FILE *f = fopen(csv, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
}

/* A results.csv of two axes and two traces, one seed; y falls with x. */
static const char results[] =
	"point,tlb.stlb.entries,cache.l2.size,trace,seed,result.cycles,core0.stlb.mpka\n"
	"0000,512,256K,a,1,1000,40\n"
	"0001,512,256K,b,1,2000,80\n"
	"0002,512,1M,a,1,900,40\n"
	"0003,512,1M,b,1,1900,80\n"
	"0004,1024,256K,a,1,800,20\n"
	"0005,1024,256K,b,1,1800,60\n"
	"0006,1024,1M,a,1,700,20\n"
	"0007,1024,1M,b,1,1700,60\n";

/* The script for opts, or NULL with err set. */
static char *script(struct plot_opts *o)
{
	struct csv_table t;
	char note[256], *s = NULL;
	o->csv = csv;
	if (!o->prefix)
		o->prefix = "/tmp/fig";
	if (csv_read(&t, csv, err))
		return NULL;
	int rc = plot_script(o, &t, &s, note, sizeof(note), err);
	csv_free(&t);
	return rc ? NULL : s;
}

static void expect_error(struct plot_opts *o, const char *want)
{
	char *s = script(o);
	cr_assert_null(s, "accepted:\n%s", s);
	char full[MMSIM_ERR_LEN * 2];
	snprintf(full, sizeof(full), "%s: %s", csv, want);
	cr_assert_str_eq(err, full);
}

Test(plot, units_from_column_names)
{
	char b[128];
	cr_assert_str_eq(plot_unit("result.cycles", b, sizeof(b)), "cycles");
	cr_assert_str_eq(plot_unit("core*.stlb.mpka", b, sizeof(b)), "misses per 1000 accesses");
	cr_assert_str_eq(plot_unit("core0.l2.miss_rate", b, sizeof(b)), "fraction of accesses");
	cr_assert_str_eq(plot_unit("tlb.stlb.entries", b, sizeof(b)), "entries");
	cr_assert_str_eq(plot_unit("cache.l2.size", b, sizeof(b)), "bytes");
	cr_assert_str_eq(plot_unit("cores", b, sizeof(b)), "cores");
	cr_assert_str_eq(plot_unit("llc.miss", b, sizeof(b)), "misses");
	cr_assert_str_eq(plot_unit("mm.pgfault", b, sizeof(b)), "faults");
	cr_assert_str_eq(plot_unit("result.cycles.mean", b, sizeof(b)), "cycles");
	cr_assert_str_eq(plot_unit("core0.walk.cycles/core0.walk.count", b, sizeof(b)),
			 "cycles per walk");
	cr_assert_str_eq(plot_unit("1000*core0.dtlb.miss/core0.accesses", b, sizeof(b)),
			 "misses per 1000 access");
	cr_assert_null(plot_unit("kernel.thp", b, sizeof(b)));
	cr_assert_null(plot_unit("trace", b, sizeof(b)));
}

Test(plot, csv_reader_quotes_and_errors)
{
	struct csv_table t;
	put("a,\"b,c\",\"say \"\"hi\"\"\"\n1,2,3\n\n");
	cr_assert_eq(csv_read(&t, csv, err), 0, "%s", err);
	cr_assert_eq(t.ncols, 3);
	cr_assert_eq(t.nrows, 1);
	cr_assert_str_eq(t.head[1], "b,c");
	cr_assert_str_eq(t.head[2], "say \"hi\"");
	cr_assert_eq(csv_column(&t, "b,c"), 1);
	cr_assert_eq(csv_column(&t, "d"), -1);
	csv_free(&t);

	char want[256];
	put("a,b\n1,2\n3\n");
	cr_assert_eq(csv_read(&t, csv, err), -1);
	snprintf(want, sizeof(want), "%s:3: 1 fields, but the header has 2", csv);
	cr_assert_str_eq(err, want);
	put("a,\"b\n");
	cr_assert_eq(csv_read(&t, csv, err), -1);
	snprintf(want, sizeof(want), "%s:1: a quoted field is not closed", csv);
	cr_assert_str_eq(err, want);
	put("");
	cr_assert_eq(csv_read(&t, csv, err), -1);
	snprintf(want, sizeof(want), "%s: empty file: no header row", csv);
	cr_assert_str_eq(err, want);
	put("a,a\n");
	cr_assert_eq(csv_read(&t, csv, err), -1);
	snprintf(want, sizeof(want), "%s:1: column \"a\" appears twice", csv);
	cr_assert_str_eq(err, want);
}

Test(plot, lines_labels_legend_and_log_axes)
{
	put(results);
	struct plot_opts o = { .x = "tlb.stlb.entries", .y = "core0.stlb.mpka", .group = { "trace" },
			       .ngroup = 1, .where = { "cache.l2.size=1M" }, .nwhere = 1,
			       .logx = true, .logy = true };
	char *s = script(&o);
	cr_assert(s, "%s", err);
	/* one datablock per trace, sorted by x, from the selected rows only */
	cr_assert(strstr(s, "$line1 << EOD\n# x y err rows  (a)\n512 40 0 1\n1024 20 0 1\nEOD\n"),
		  "%s", s);
	cr_assert(strstr(s, "$line2 << EOD\n# x y err rows  (b)\n512 80 0 1\n1024 60 0 1\nEOD\n"),
		  "%s", s);
	cr_assert(strstr(s, "set xlabel \"tlb.stlb.entries (entries)\"\n"), "%s", s);
	cr_assert(strstr(s, "set ylabel \"core0.stlb.mpka (misses per 1000 accesses)\"\n"), "%s", s);
	cr_assert(strstr(s, "set logscale x 10\n") && strstr(s, "set logscale y 10\n"), "%s", s);
	cr_assert(strstr(s, "set xtics (\"512\" 512, \"1024\" 1024)\n"), "%s", s);
	cr_assert(strstr(s, "set key outside right top box title \"trace\"\n"), "%s", s);
	cr_assert(strstr(s, "title \"a\"") && strstr(s, "title \"b\""), "%s", s);
	/* both images from one script */
	cr_assert(strstr(s, "set terminal pngcairo") && strstr(s, "set output \"/tmp/fig.png\"\n"),
		  "%s", s);
	cr_assert(strstr(s, "set terminal svg") && strstr(s, "set output \"/tmp/fig.svg\"\nreplot\n"),
		  "%s", s);
	free(s);
	cr_assert_null(strstr(s = script(&o), "pdfcairo"), "a PDF without --pdf");
	free(s);
	o.pdf = true;
	s = script(&o);
	cr_assert(s && strstr(s, "set terminal pdfcairo size 5in,3in") &&
		  strstr(s, "set output \"/tmp/fig.pdf\"\nreplot\nunset output\n"), "%s", s);
	free(s);
}

/* Sizes ("256K") plot at their byte values, labelled as written; names
 * are categories in the order seen. */
Test(plot, size_and_category_axes)
{
	put(results);
	struct plot_opts o = { .x = "cache.l2.size", .y = "result.cycles", .group = { "trace" },
			       .ngroup = 1, .where = { "tlb.stlb.entries=512" }, .nwhere = 1,
			       .logx = true };
	char *s = script(&o);
	cr_assert(s, "%s", err);
	cr_assert(strstr(s, "262144 1000 0 1\n1048576 900 0 1\n"), "%s", s);
	cr_assert(strstr(s, "set xtics (\"256K\" 262144, \"1M\" 1048576)\n"), "%s", s);
	cr_assert(strstr(s, "set logscale x 2\n"), "%s", s);
	cr_assert(strstr(s, "set xlabel \"cache.l2.size (bytes)\"\n"), "%s", s);
	free(s);

	struct plot_opts c = { .x = "trace", .y = "result.cycles",
			       .group = { "tlb.stlb.entries", "cache.l2.size" }, .ngroup = 2 };
	s = script(&c);
	cr_assert(s, "%s", err);
	cr_assert(strstr(s, "set xtics (\"a\" 0, \"b\" 1)\n"), "%s", s);
	cr_assert(strstr(s, "set xrange [-0.5:1.5]\n"), "%s", s);
	cr_assert(strstr(s, "# x y err rows  (1024, 1M)\n0 700 0 1\n1 1700 0 1\n"), "%s", s);
	cr_assert(strstr(s, "title \"tlb.stlb.entries, cache.l2.size\""), "%s", s);
	free(s);
}

/* Rows of several seeds on one point: the mean, with the 95% CI of the
 * mean as the error bar: 10, 12, 14 -> 12 +- 4.303 * 2 / sqrt(3). */
Test(plot, seeds_become_mean_and_confidence_interval)
{
	put("point,tlb.stlb.entries,trace,seed,result.cycles\n"
	    "0000,512,a,1,10\n0001,512,a,2,12\n0002,512,a,3,14\n"
	    "0003,1024,a,1,5\n0004,1024,a,2,5\n0005,1024,a,3,5\n");
	struct plot_opts o = { .x = "tlb.stlb.entries", .y = "result.cycles" };
	char *s = script(&o);
	cr_assert(s, "%s", err);
	char *row = strstr(s, "\n512 ");
	cr_assert(row, "%s", s);
	double x, y, e;
	unsigned n;
	cr_assert_eq(sscanf(row, "%lf %lf %lf %u", &x, &y, &e, &n), 4);
	cr_assert_float_eq(y, 12.0, 1e-12);
	cr_assert_float_eq(e, 4.303 * 2 / 1.7320508075688772, 1e-9);
	cr_assert_eq(n, 3);
	cr_assert(strstr(s, "\n1024 5 0 3\n"), "%s", s);
	cr_assert(strstr(s, "using 1:2:3 with yerrorlines"), "%s", s);
	cr_assert(strstr(s, "(mean of seeds, 95% CI)"), "%s", s);
	free(s);

	o.no_errors = true;
	s = script(&o);
	cr_assert(s && strstr(s, "using 1:2 with linespoints"), "%s", s);
	free(s);
}

/* summary.csv: METRIC.ci95 beside METRIC.mean gives the error bars. */
Test(plot, summary_ci_column_is_the_error_bar)
{
	put("tlb.stlb.entries,trace,seeds,result.cycles.mean,result.cycles.ci95\n"
	    "512,a,3,12,2.5\n1024,a,3,5,0\n");
	struct plot_opts o = { .x = "tlb.stlb.entries", .y = "result.cycles.mean" };
	char *s = script(&o);
	cr_assert(s, "%s", err);
	cr_assert(strstr(s, "\n512 12 2.5 1\n1024 5 0 1\n"), "%s", s);
	cr_assert(strstr(s, "set ylabel \"result.cycles, mean over seeds (cycles)\"\n"), "%s", s);
	cr_assert(strstr(s, "using 1:2:3 with yerrorlines"), "%s", s);
	free(s);
}

Test(plot, bad_input_messages)
{
	put(results);
	struct plot_opts o = { .x = "tlb.stlb.entrie", .y = "result.cycles" };
	expect_error(&o, "--x: no column \"tlb.stlb.entrie\"; the columns are: point, "
			 "tlb.stlb.entries, cache.l2.size, trace, seed, result.cycles, "
			 "core0.stlb.mpka");
	struct plot_opts w = { .x = "tlb.stlb.entries", .y = "result.cycles",
			       .where = { "trace=c" }, .nwhere = 1 };
	expect_error(&w, "--where trace=c: no row has that value; the values are: a, b");
	struct plot_opts w2 = { .x = "tlb.stlb.entries", .y = "result.cycles",
				.where = { "trace" }, .nwhere = 1 };
	struct csv_table t;
	char note[64], *s = NULL;
	cr_assert_eq(csv_read(&t, csv, err), 0);
	w2.csv = csv;
	w2.prefix = "/tmp/x";
	cr_assert_eq(plot_script(&w2, &t, &s, note, sizeof(note), err), -1);
	cr_assert_str_eq(err, "--where trace: needs COLUMN=VALUE");
	csv_free(&t);
	/* two settings on one point: named, with the two ways out */
	struct plot_opts d = { .x = "tlb.stlb.entries", .y = "result.cycles", .group = { "trace" },
			       .ngroup = 1 };
	expect_error(&d, "rows 2 and 4 fall on the same point (tlb.stlb.entries=512) but differ "
			 "in cache.l2.size (256K, 1M): keep one with --where cache.l2.size=256K, "
			 "or draw a line each with --group cache.l2.size");
	struct plot_opts c = { .x = "trace", .y = "result.cycles", .logx = true,
			       .group = { "tlb.stlb.entries", "cache.l2.size" }, .ngroup = 2 };
	expect_error(&c, "--logx: trace has values that are not numbers (a)");
	put("point,x,seed,y\n0,0,1,5\n1,1,1,6\n");
	struct plot_opts l = { .x = "x", .y = "y", .logx = true };
	expect_error(&l, "--logx: x=0 is not positive");
	put("point,x,seed,y\n0,1,1,5\n1,2,1,lots\n");
	struct plot_opts n = { .x = "x", .y = "y" };
	char want[256];
	cr_assert_null(script(&n));
	snprintf(want, sizeof(want), "%s:3: y: \"lots\" is not a number", csv);
	cr_assert_str_eq(err, want);
	put("point,x,seed,y\n0,1,1,\n");
	expect_error(&n, "no rows to plot (y is empty in every row)");
}

/* The command: --script-only needs no gnuplot; a missing gnuplot is one
 * message naming it and the script, exit 2. */
Test(plot, command_writes_the_script_and_names_a_missing_gnuplot)
{
	put(results);
	char prefix[128], gp[160];
	snprintf(prefix, sizeof(prefix), "%s/fig", dir);
	snprintf(gp, sizeof(gp), "%s.gp", prefix);
	FILE *null = fopen("/dev/null", "w");
	char *a1[] = { "plot", csv, "--x", "tlb.stlb.entries", "--y", "result.cycles", "--group",
		       "trace,cache.l2.size", "-o", prefix, "--script-only", NULL };
	cr_assert_eq(cmd_plot(11, a1, null), 0);
	cr_assert_eq(access(gp, R_OK), 0);
	unlink(gp);
	char *a2[] = { "plot", csv, "--x", "tlb.stlb.entries", "--y", "result.cycles", "--group",
		       "trace,cache.l2.size", "-o", prefix, "--gnuplot", "/nonexistent/gnuplot",
		       NULL };
	cr_assert_eq(cmd_plot(12, a2, null), 2);
	cr_assert_eq(access(gp, R_OK), 0, "the script is kept for a later gnuplot");
	char *a3[] = { "plot", csv, "--y", "result.cycles", NULL };
	cr_assert_eq(cmd_plot(4, a3, null), 2);
	char *a4[] = { "plot", csv, "--x", "a", "--y", "b", "--frob", NULL };
	cr_assert_eq(cmd_plot(7, a4, null), 2);
	fclose(null);
}

/* The default output is beside the CSV, named Y-vs-X without '*' or '/'. */
Test(plot, default_prefix_beside_the_csv)
{
	put(results);
	FILE *null = fopen("/dev/null", "w");
	char *a[] = { "plot", csv, "--x", "tlb.stlb.entries", "--y", "core0.stlb.mpka",
		      "--where", "cache.l2.size=1M", "--group", "trace", "--script-only", NULL };
	cr_assert_eq(cmd_plot(11, a, null), 0);
	fclose(null);
	char gp[256];
	snprintf(gp, sizeof(gp), "%s/core0.stlb.mpka-vs-tlb.stlb.entries.gp", dir);
	cr_assert_eq(access(gp, R_OK), 0, "no %s", gp);
	/* a sweep's folder stands for its results.csv */
	unlink(gp);
	null = fopen("/dev/null", "w");
	a[1] = dir;
	cr_assert_eq(cmd_plot(11, a, null), 0);
	fclose(null);
	cr_assert_eq(access(gp, R_OK), 0, "no %s from the folder", gp);
}

/* What sweep_out.c's csv_field() writes, csv_read() reads back: random
 * fields of commas, quotes and spaces (no newlines: one record a line). */
Test(plot, csv_round_trip_with_the_sweep_writer)
{
	static const char alphabet[] = "ab,\" 1.x*/=";
	unsigned seed = 12345;
	for (int round = 0; round < 200; round++) {
		char field[3][16], q[3][64];
		FILE *f = fopen(csv, "w");
		cr_assert(f);
		for (int c = 0; c < 3; c++) {
			seed = seed * 1103515245 + 12345;
			int n = 1 + (int)(seed >> 16) % 14;
			for (int i = 0; i < n; i++) {
				seed = seed * 1103515245 + 12345;
				field[c][i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
			}
			field[c][n] = '\0';
			fprintf(f, "%sh%d", c ? "," : "", c);
		}
		fprintf(f, "\n");
		for (int c = 0; c < 3; c++)
			fprintf(f, "%s%s", c ? "," : "", csv_field(field[c], q[c], sizeof(q[c])));
		fprintf(f, "\n");
		fclose(f);
		struct csv_table t;
		cr_assert_eq(csv_read(&t, csv, err), 0, "%s", err);
		cr_assert_eq(t.nrows, 1);
		for (int c = 0; c < 3; c++)
			cr_assert_str_eq(t.cell[c], field[c], "round %d field %d: wrote %s", round, c,
					 q[c]);
		csv_free(&t);
	}
}
