/* `mmsim sweep`: the command line, and what it does with a loaded sweep:
 * list the points (--dry-run), print their commands (--emit-commands,
 * --emit-slurm), run them (sweep_run.c), or tabulate the stats files
 * (--collect). See docs/sweeps.md. */
#include "src/sweep.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/jsonutil.h"

static const char usage[] =
	"usage: mmsim sweep SWEEP.json [options]\n"
	"  -j, --jobs N        points run at once (default: the number of CPUs)\n"
	"  -o, --out DIR       results folder (default: out/NAME for sweep file NAME.json)\n"
	"      --metrics A,B   results.csv metric columns, instead of the sweep's \"metrics\"\n"
	"      --dry-run       check the sweep and list its points; run nothing\n"
	"      --emit-commands print one `mmsim run` command line per point not yet done\n"
	"                      (for GNU parallel or a batch system); run nothing\n"
	"      --emit-slurm    write those commands to DIR/commands.txt and print a Slurm\n"
	"                      array batch script that runs line $SLURM_ARRAY_TASK_ID\n"
	"      --collect       write results.csv from the stats files in DIR; run nothing\n"
	"      --force         rerun points that are already done\n"
	"      --mmsim PATH    the binary --emit-commands names (default: this one)\n"
	"  -q, --quiet         no progress lines\n";

struct sweep_args {
	const char *file, *out, *metrics, *mmsim;
	long jobs;
	bool dry_run, emit, slurm, collect, force, quiet;
	char out_buf[4096];
};

static const char *const state_names[] = { "todo", "done", "done", "stale" };

static int bad(const char *msg, const char *arg)
{
	fprintf(stderr, "mmsim sweep: %s%s%s\n%s", msg, arg ? ": " : "", arg ? arg : "", usage);
	return 2;
}

/* "-j N": 1..4096 */
static int parse_jobs(const char *v, long *jobs)
{
	char *end;
	errno = 0;
	*jobs = strtol(v, &end, 10);
	if (*end || end == v || errno || *jobs < 1 || *jobs > 4096)
		return bad("-j needs a number of jobs from 1 to 4096", v);
	return 0;
}

/* out/NAME for sweep file DIR/NAME.json */
static void default_out(struct sweep_args *a)
{
	const char *b = strrchr(a->file, '/');
	b = b ? b + 1 : a->file;
	size_t n = strlen(b);
	if (n > 5 && !strcmp(b + n - 5, ".json"))
		n -= 5;
	snprintf(a->out_buf, sizeof(a->out_buf), "out/%.*s", (int)n, b);
	a->out = a->out_buf;
}

static int parse_args(int argc, char **argv, struct sweep_args *a)
{
	static const char *const with_value[] = { "-j", "--jobs", "-o", "--out", "--metrics",
						   "--mmsim" };
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		bool needs = false;
		for (size_t k = 0; k < ARRAY_SIZE(with_value); k++)
			needs |= !strcmp(s, with_value[k]);
		if (needs && i + 1 >= argc)
			return bad("option needs a value", s);
		if (!strcmp(s, "-j") || !strcmp(s, "--jobs") || (!strncmp(s, "-j", 2) && s[2])) {
			if (parse_jobs(s[2] && s[1] == 'j' ? s + 2 : argv[++i], &a->jobs))
				return 2;
		} else if (!strcmp(s, "-o") || !strcmp(s, "--out")) {
			a->out = argv[++i];
		} else if (!strcmp(s, "--metrics")) {
			a->metrics = argv[++i];
		} else if (!strcmp(s, "--mmsim")) {
			a->mmsim = argv[++i];
		} else if (!strcmp(s, "--dry-run")) {
			a->dry_run = true;
		} else if (!strcmp(s, "--emit-commands")) {
			a->emit = true;
		} else if (!strcmp(s, "--emit-slurm")) {
			a->slurm = true;
		} else if (!strcmp(s, "--collect")) {
			a->collect = true;
		} else if (!strcmp(s, "--force")) {
			a->force = true;
		} else if (!strcmp(s, "-q") || !strcmp(s, "--quiet")) {
			a->quiet = true;
		} else if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			fputs(usage, stdout);
			return 1;
		} else if (s[0] == '-' && s[1]) {
			return bad("unknown option", s);
		} else if (!a->file) {
			a->file = s;
		} else {
			return bad("more than one sweep file given", s);
		}
	}
	if (!a->file)
		return bad("no sweep file given", NULL);
	if (a->dry_run + a->emit + a->slurm + a->collect > 1)
		return bad("--dry-run, --emit-commands, --emit-slurm and --collect exclude each "
			   "other", NULL);
	if (!a->out)
		default_out(a);
	if (!a->jobs) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		a->jobs = n > 0 ? n : 1;
	}
	return 0;
}

/* --- commands ---------------------------------------------------------------- */

static int mkdirs(const char *dir, char *err)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s/points", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) && errno != EEXIST)
			return errf(err, "%s: cannot create: %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0777) && errno != EEXIST)
		return errf(err, "%s: cannot create: %s", p, strerror(errno));
	return 0;
}

static void dry_run(FILE *out, const struct sweep_ctx *c, const enum sweep_state *state)
{
	const struct sweep *sw = c->sw;
	fprintf(out, "sweep %s (%s): %zu point%s = %zu config%s x %zu trace%s x %zu seed%s\n",
		sw->name, sw->path, sw->npoints, sw->npoints == 1 ? "" : "s", sw->ncombos,
		sw->ncombos == 1 ? "" : "s", sw->ntraces, sw->ntraces == 1 ? "" : "s", sw->nseeds,
		sw->nseeds == 1 ? "" : "s");
	fprintf(out, "base %s, results in %s\nmetrics:", sw->base, c->dir);
	for (size_t k = 0; k < sw->nmetrics; k++)
		fprintf(out, " %s", sw->metrics[k].name);
	fprintf(out, "\n\n");
	size_t nw = sw->naxes + 4, *w = calloc(nw, sizeof(size_t));
	if (!w)
		abort();
	w[0] = strlen("point");
	for (size_t a = 0; a < sw->naxes; a++) {
		w[1 + a] = strlen(sw->axes[a].key);
		for (size_t v = 0; v < sw->axes[a].nvalues; v++)
			if (strlen(sw->axes[a].values[v]) > w[1 + a])
				w[1 + a] = strlen(sw->axes[a].values[v]);
	}
	w[nw - 3] = strlen("trace");
	for (size_t t = 0; t < sw->ntraces; t++)
		if (strlen(sw->traces[t].name) > w[nw - 3])
			w[nw - 3] = strlen(sw->traces[t].name);
	w[nw - 2] = 6;
	fprintf(out, "%-*s", (int)w[0], "point");
	for (size_t a = 0; a < sw->naxes; a++)
		fprintf(out, "  %*s", (int)w[1 + a], sw->axes[a].key);
	fprintf(out, "  %-*s  %*s  status\n", (int)w[nw - 3], "trace", (int)w[nw - 2], "seed");
	for (size_t i = 0; i < sw->npoints; i++) {
		const struct sweep_point *p = &sw->points[i];
		fprintf(out, "%-*s", (int)w[0], p->id);
		for (size_t a = 0; a < sw->naxes; a++)
			fprintf(out, "  %*s", (int)w[1 + a],
				sw->axes[a].values[sw->combo_value[p->combo * sw->naxes + a]]);
		fprintf(out, "  %-*s  %*llu  %s\n", (int)w[nw - 3], sw->traces[p->trace].name,
			(int)w[nw - 2], (unsigned long long)p->seed, state_names[state[i]]);
	}
	free(w);
}

static void emit(FILE *out, const struct sweep_ctx *c, const enum sweep_state *state, bool force,
		 bool quiet)
{
	const struct sweep *sw = c->sw;
	size_t n = 0;
	for (size_t i = 0; i < sw->npoints; i++) {
		const struct sweep_point *p = &sw->points[i];
		if (!force && (state[i] == SWEEP_DONE || state[i] == SWEEP_ADOPT))
			continue;
		char tmp[4200], fin[4200], log[4200], *argv[SWEEP_ARGV_MAX(sw)];
		sweep_point_file(tmp, sizeof(tmp), c, p, ".json.tmp");
		sweep_point_file(fin, sizeof(fin), c, p, ".json");
		sweep_point_file(log, sizeof(log), c, p, ".log");
		int argc = sweep_run_argv(sw, p, tmp, argv);
		sweep_print_command(out, c->mmsim, argc, argv);
		sweep_free_argv(argc, argv);
		fputs(" 2>", out);
		sweep_shell_word(out, log);
		fputs(" && mv ", out);
		sweep_shell_word(out, tmp);
		fputc(' ', out);
		sweep_shell_word(out, fin);
		fputc('\n', out);
		n++;
	}
	if (!quiet)
		fprintf(stderr, "sweep %s: %zu commands for %zu points (%zu done)\n", sw->name, n,
			sw->npoints, sw->npoints - n);
}

/* DIR/commands.txt, and a Slurm array job running its line
 * $SLURM_ARRAY_TASK_ID from the current folder. */
static int emit_slurm(FILE *out, const struct sweep_ctx *c, const enum sweep_state *state,
		      const struct sweep_args *a, char *err)
{
	char path[4200], cwd[PATH_MAX], *text = NULL;
	size_t len, lines = 0;
	FILE *m = open_memstream(&text, &len);
	emit(m, c, state, a->force, true);
	fclose(m);
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	snprintf(path, sizeof(path), "%s/commands.txt", c->dir);
	FILE *f = fopen(path, "w");
	int bad_write = !f || fputs(text, f) < 0;
	bad_write |= f && fclose(f) != 0;
	free(text);
	if (bad_write || !getcwd(cwd, sizeof(cwd)))
		return errf(err, "%s: cannot write: %s", path, strerror(errno));
	fprintf(out, "#!/bin/sh\n");
	fprintf(out, "# mmsim sweep %s: %zu points to run, one array task each.\n", c->sw->path,
		lines);
	fprintf(out, "# Submit: sbatch THIS_FILE; afterwards: mmsim sweep %s --out %s --collect\n",
		c->sw->path, c->dir);
	fprintf(out, "#SBATCH --job-name=mmsim-");
	for (const char *p = c->sw->name; *p; p++)   /* one word, whatever the name */
		fputc(strchr("-_.", *p) || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' &&
		      (*p | 32) <= 'z') ? *p : '_', out);
	fputc('\n', out);
	if (lines)
		fprintf(out, "#SBATCH --array=1-%zu\n", lines);
	fprintf(out, "#SBATCH --output=%s/points/slurm-%%A_%%a.out\n", c->dir);
	fprintf(out, "set -e\ncd ");
	sweep_shell_word(out, cwd);
	fprintf(out, "\ncmd=$(sed -n \"${SLURM_ARRAY_TASK_ID:?not in a Slurm array job}p\" ");
	sweep_shell_word(out, path);
	fprintf(out, ")\n[ -n \"$cmd\" ] || { echo \"no command $SLURM_ARRAY_TASK_ID\" >&2; exit 1; }\n");
	fprintf(out, "exec sh -c \"$cmd\"\n");
	if (!a->quiet)
		fprintf(stderr, "sweep %s: %zu commands in %s\n", c->sw->name, lines, path);
	return 0;
}

/* Provenance for points run elsewhere; then the tables. */
static int tabulate(FILE *out, const struct sweep_ctx *c, const enum sweep_state *state,
		    const char *what)
{
	char err[MMSIM_ERR_LEN];
	const struct sweep *sw = c->sw;
	for (size_t i = 0; i < sw->npoints; i++)
		if (state[i] == SWEEP_ADOPT && sweep_write_prov(c, &sw->points[i], -1, 0, err))
			fprintf(stderr, "mmsim sweep: %s\n", err);
	size_t rows;
	bool *use = calloc(sw->npoints, sizeof(bool));
	if (!use)
		abort();
	for (size_t i = 0; i < sw->npoints; i++)
		use[i] = state[i] == SWEEP_DONE || state[i] == SWEEP_ADOPT;
	int rc = sweep_write_results(sw, c->dir, use, &rows, err);
	free(use);
	if (rc) {
		fprintf(stderr, "mmsim sweep: %s\n", err);
		return 2;
	}
	fprintf(out, "sweep %s: %zu points: %s; %zu rows in %s/results.csv%s\n", sw->name,
		sw->npoints, what, rows, c->dir, sw->nseeds > 1 ? " (and summary.csv)" : "");
	return rows == sw->npoints ? 0 : 1;
}

static int collect(FILE *out, const struct sweep_ctx *c, const enum sweep_state *state)
{
	const struct sweep *sw = c->sw;
	size_t missing = 0;
	for (size_t i = 0; i < sw->npoints; i++) {
		if (state[i] == SWEEP_DONE || state[i] == SWEEP_ADOPT)
			continue;
		if (missing++ < 10)
			fprintf(stderr, "mmsim sweep: point %s: %s\n", sw->points[i].id,
				state[i] == SWEEP_STALE ? "stats of another config, trace or seed"
						    : "no stats yet");
	}
	if (missing > 10)
		fprintf(stderr, "mmsim sweep: ... and %zu more points without stats\n",
			missing - 10);
	char what[96];
	snprintf(what, sizeof(what), "%zu collected, %zu missing", sw->npoints - missing,
		 missing);
	return tabulate(out, c, state, what);
}

static int run(FILE *out, const struct sweep_ctx *c, enum sweep_state *state,
	       const struct sweep_args *a)
{
	const struct sweep *sw = c->sw;
	const struct sweep_point **todo = calloc(sw->npoints, sizeof(*todo));
	if (!todo)
		abort();
	size_t n = 0;
	for (size_t i = 0; i < sw->npoints; i++)
		if (a->force || state[i] == SWEEP_TODO || state[i] == SWEEP_STALE) {
			todo[n++] = &sw->points[i];
			state[i] = SWEEP_TODO;
		}
	size_t failed = sweep_run_points(c, todo, n, a->jobs, a->quiet);
	free(todo);
	for (size_t i = 0; i < sw->npoints; i++)
		if (state[i] == SWEEP_TODO)
			state[i] = sweep_point_state(c, &sw->points[i]) == SWEEP_DONE ? SWEEP_DONE : SWEEP_TODO;
	char what[128];
	snprintf(what, sizeof(what), "%zu run, %zu already done, %zu failed", n - failed,
		 sw->npoints - n, failed);
	int rc = tabulate(out, c, state, what);
	return failed ? 1 : rc;
}

int cmd_sweep(int argc, char **argv, FILE *out)
{
	struct sweep_args a = { 0 };
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : rc;
	struct sweep sw;
	char err[MMSIM_ERR_LEN];
	if (sweep_load(&sw, a.file, a.metrics, err)) {
		fprintf(stderr, "mmsim sweep: %s\n", err);
		return 2;
	}
	char exe[PATH_MAX] = "mmsim";
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 5] = '\0';
	struct sweep_ctx c = { .sw = &sw, .dir = a.out, .mmsim = a.mmsim ? a.mmsim : exe };
	enum sweep_state *state = calloc(sw.npoints, sizeof(*state));
	if (!state)
		abort();
	for (size_t i = 0; i < sw.npoints; i++)
		state[i] = sweep_point_state(&c, &sw.points[i]);
	if (a.dry_run) {
		dry_run(out, &c, state);
	} else if (mkdirs(a.out, err)) {
		fprintf(stderr, "mmsim sweep: %s\n", err);
		rc = 2;
	} else if (a.emit) {
		emit(out, &c, state, a.force, a.quiet);
	} else if (a.slurm) {
		if (emit_slurm(out, &c, state, &a, err)) {
			fprintf(stderr, "mmsim sweep: %s\n", err);
			rc = 2;
		}
	} else {
		sweep_git_hash(c.git, sizeof(c.git));
		if (gethostname(c.host, sizeof(c.host) - 1))
			strcpy(c.host, "unknown");
		rc = a.collect ? collect(out, &c, state) : run(out, &c, state, &a);
	}
	free(state);
	sweep_free(&sw);
	return rc;
}
