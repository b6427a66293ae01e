/* `mmsim plot`: the command line, the script file and gnuplot (src/plot.h,
 * docs/sweeps.md "Plots"). gnuplot (Debian package gnuplot-nox, which
 * scripts/deps.sh installs) runs as a child process on the script written
 * next to the images; without it, --script-only still writes the script. */
#include "src/plot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/jsonutil.h"
#include "src/cli.h"

static const char usage[] =
	"usage: mmsim plot RESULTS.csv --x COLUMN --y COLUMN [options]\n"
	"  RESULTS.csv         a sweep's results.csv or summary.csv (a sweep's folder:\n"
	"                      its results.csv)\n"
	"  --x COLUMN          the x axis: a sweep axis (numbers, sizes such as 4K, or names)\n"
	"  --y COLUMN          the y axis: a metric column (or METRIC.mean of summary.csv)\n"
	"  --group COLUMN      one line per value of COLUMN, named in the legend (e.g. trace);\n"
	"                      repeat it, or COLUMN,COLUMN, for a line per combination\n"
	"  --where COLUMN=VAL  keep only the rows where COLUMN is VAL (repeatable)\n"
	"  --errors COLUMN     error bars from COLUMN (default: METRIC.ci95 beside\n"
	"                      METRIC.mean; rows of several seeds: their 95% CI)\n"
	"  --no-errors         no error bars\n"
	"  --logx, --logy      logarithmic axes\n"
	"  --title T, --xlabel L, --ylabel L   (labels default to the column and its unit)\n"
	"  -o, --out PREFIX    write PREFIX.png, PREFIX.svg and the gnuplot script PREFIX.gp\n"
	"                      (default: beside the CSV, named Y-vs-X)\n"
	"  --pdf               also write PREFIX.pdf (5 by 3 inches, for a paper's column)\n"
	"  --script-only       write PREFIX.gp only; do not run gnuplot\n"
	"  --gnuplot PROGRAM   the gnuplot to run (default: gnuplot)\n";

struct plot_args {
	struct plot_opts o;
	const char *gnuplot;
	bool script_only;
	char prefix[4096];
	char groups[1024];          /* the --group values, split at commas */
	char csv[4096];             /* DIR/results.csv for a folder */
	size_t groups_used;
};

static int bad(const char *msg, const char *arg)
{
	fprintf(stderr, "mmsim plot: %s%s%s\n%s", msg, arg ? ": " : "", arg ? arg : "", usage);
	return 2;
}

/* Y-vs-X beside the CSV, with characters a file name should not carry. */
static void default_prefix(struct plot_args *a)
{
	const char *csv = a->o.csv, *slash = strrchr(csv, '/');
	int dir = slash ? (int)(slash - csv + 1) : 0;
	int n = snprintf(a->prefix, sizeof(a->prefix), "%.*s%s-vs-%s", dir, csv, a->o.y, a->o.x);
	for (int i = dir; i < n && i < (int)sizeof(a->prefix); i++)
		if (strchr("/*\\ '\"?", a->prefix[i]))
			a->prefix[i] = '_';
	a->o.prefix = a->prefix;
}

/* --out PREFIX, where PREFIX.png or PREFIX.svg also names it */
static void set_prefix(struct plot_args *a, const char *v)
{
	size_t n = strlen(v);
	if (n > 4 && (!strcmp(v + n - 4, ".png") || !strcmp(v + n - 4, ".svg")))
		n -= 4;
	snprintf(a->prefix, sizeof(a->prefix), "%.*s", (int)n, v);
	a->o.prefix = a->prefix;
}

static int add_group(struct plot_args *a, const char *v)
{
	size_t room = sizeof(a->groups) - a->groups_used, n = strlen(v);
	if (n + 1 > room)
		return bad("--group: too many columns", v);
	char *copy = a->groups + a->groups_used, *save;
	memcpy(copy, v, n + 1);
	a->groups_used += n + 1;
	for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (a->o.ngroup == PLOT_MAX_GROUP)
			return bad("at most 8 --group columns", s);
		a->o.group[a->o.ngroup++] = s;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct plot_args *a)
{
	static const char *const with_value[] = { "--x", "--y", "--group", "--where", "--errors",
						   "--title", "--xlabel", "--ylabel", "-o", "--out",
						   "--gnuplot" };
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (cli_takes_value(s, with_value, ARRAY_SIZE(with_value)) && i + 1 >= argc)
			return bad("option needs a value", s);
		if (!strcmp(s, "--x"))
			a->o.x = argv[++i];
		else if (!strcmp(s, "--y"))
			a->o.y = argv[++i];
		else if (!strcmp(s, "--group")) {
			if (add_group(a, argv[++i]))
				return 2;
		} else if (!strcmp(s, "--where")) {
			if (a->o.nwhere == PLOT_MAX_WHERE)
				return bad("at most 16 --where options", argv[i + 1]);
			a->o.where[a->o.nwhere++] = argv[++i];
		} else if (!strcmp(s, "--errors"))
			a->o.errors = argv[++i];
		else if (!strcmp(s, "--title"))
			a->o.title = argv[++i];
		else if (!strcmp(s, "--xlabel"))
			a->o.xlabel = argv[++i];
		else if (!strcmp(s, "--ylabel"))
			a->o.ylabel = argv[++i];
		else if (!strcmp(s, "-o") || !strcmp(s, "--out"))
			set_prefix(a, argv[++i]);
		else if (!strcmp(s, "--gnuplot"))
			a->gnuplot = argv[++i];
		else if (!strcmp(s, "--no-errors"))
			a->o.no_errors = true;
		else if (!strcmp(s, "--logx"))
			a->o.logx = true;
		else if (!strcmp(s, "--logy"))
			a->o.logy = true;
		else if (!strcmp(s, "--pdf"))
			a->o.pdf = true;
		else if (!strcmp(s, "--script-only"))
			a->script_only = true;
		else if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			fputs(usage, stdout);
			return 1;
		} else if (s[0] == '-' && s[1])
			return bad("unknown option", s);
		else if (!a->o.csv)
			a->o.csv = s;
		else
			return bad("more than one CSV file given", s);
	}
	if (!a->o.csv)
		return bad("no CSV file given (a sweep's results.csv or summary.csv)", NULL);
	struct stat st;          /* a sweep's folder: its results.csv */
	if (!stat(a->o.csv, &st) && S_ISDIR(st.st_mode)) {
		snprintf(a->csv, sizeof(a->csv), "%s/results.csv", a->o.csv);
		a->o.csv = a->csv;
	}
	if (!a->o.x || !a->o.y)
		return bad(!a->o.x ? "--x COLUMN is required" : "--y COLUMN is required", NULL);
	if (a->o.errors && a->o.no_errors)
		return bad("--errors and --no-errors exclude each other", NULL);
	if (!a->o.prefix)
		default_prefix(a);
	if (!a->gnuplot)
		a->gnuplot = "gnuplot";
	return 0;
}

static int write_text(const char *path, const char *text, char *err)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return errf(err, "%s: cannot write: %s", path, strerror(errno));
	int bad_write = fputs(text, f) < 0;
	if ((fclose(f) != 0) | bad_write)
		return errf(err, "%s: cannot write: %s", path, strerror(errno));
	return 0;
}

/* gnuplot SCRIPT as a child (no shell); 127 from the child: not found. */
static int run_gnuplot(const char *gnuplot, const char *script, char *err)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return errf(err, "fork: %s", strerror(errno));
	if (pid == 0) {
		execlp(gnuplot, gnuplot, script, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errf(err, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return errf(err, "%s: cannot run it (Debian package gnuplot-nox; scripts/deps.sh "
			    "installs it); the script is %s", gnuplot, script);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return errf(err, "%s %s failed (messages above)", gnuplot, script);
	return 0;
}

int cmd_plot(int argc, char **argv, FILE *out)
{
	struct plot_args a = { 0 };
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : rc;
	struct csv_table t;
	char err[MMSIM_ERR_LEN], note[256], gp[4200], png[4200], svg[4200], pdf[4200];
	if (csv_read(&t, a.o.csv, err)) {
		fprintf(stderr, "mmsim plot: %s\n", err);
		return 2;
	}
	char *script;
	rc = plot_script(&a.o, &t, &script, note, sizeof(note), err);
	csv_free(&t);
	if (rc) {
		fprintf(stderr, "mmsim plot: %s\n", err);
		return 2;
	}
	snprintf(gp, sizeof(gp), "%s.gp", a.o.prefix);
	snprintf(png, sizeof(png), "%s.png", a.o.prefix);
	snprintf(svg, sizeof(svg), "%s.svg", a.o.prefix);
	snprintf(pdf, sizeof(pdf), "%s.pdf", a.o.prefix);
	rc = write_text(gp, script, err);
	free(script);
	if (!rc && !a.script_only) {
		unlink(png);       /* so that a failed gnuplot leaves no old image */
		unlink(svg);
		if (a.o.pdf)
			unlink(pdf);
		rc = run_gnuplot(a.gnuplot, gp, err);
	}
	if (rc) {
		fprintf(stderr, "mmsim plot: %s\n", err);
		return 2;
	}
	if (*note)
		fprintf(stderr, "mmsim plot: %s\n", note);
	if (a.script_only)
		fprintf(out, "mmsim plot: wrote %s\n", gp);
	else
		fprintf(out, "mmsim plot: wrote %s%s%s and %s (gnuplot script %s)\n", png,
			a.o.pdf ? ", " : "", a.o.pdf ? pdf : "", svg, gp);
	return 0;
}
