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
#include "src/cli.h"

static const char usage[] =
	"usage: mmsim sweep SWEEP.json [options]\n"
	"       mmsim sweep --collect DIR\n"
	"  -j, --jobs N        points run at once (default: the number of CPUs)\n"
	"  -o, --out DIR       results folder (default: out/NAME for sweep file NAME.json)\n"
	"      --metrics A,B   results.csv metric columns, instead of the sweep's \"metrics\"\n"
	"      --dry-run       check the sweep and list its points; run nothing\n"
	"      --emit jobs     write DIR/jobs.txt, one `mmsim run` command per point not yet\n"
	"                      done, for GNU parallel (locally or --sshloginfile); run nothing\n"
	"      --emit slurm    write DIR/jobs.txt and DIR/slurm.sh, a Slurm array batch\n"
	"                      script whose task i runs line i of jobs.txt; run nothing\n"
	"      --emit-commands print the commands of --emit jobs on standard output\n"
	"      --collect [DIR] write results.csv from the stats files in DIR, wherever they\n"
	"                      were run; run nothing. Without SWEEP.json: the sweep that\n"
	"                      made DIR (DIR/origin.json)\n"
	"      --force         rerun points that are already done\n"
	"      --mmsim PATH    the binary the emitted commands name (default: this one)\n"
	"  -q, --quiet         no progress bar or lines\n";

struct sweep_args {
	const char *file, *out, *metrics, *mmsim;
	long jobs;
	bool dry_run, emit, jobs_file, slurm, collect, force, quiet;
	const char *collect_dir;        /* --collect DIR */
	char out_buf[4096], file_buf[4096], metrics_buf[4096];
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
		if (cli_takes_value(s, with_value, ARRAY_SIZE(with_value)) && i + 1 >= argc)
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
		} else if (!strcmp(s, "--emit") || !strncmp(s, "--emit=", 7)) {
			const char *v = s[6] == '=' ? s + 7 : i + 1 < argc ? argv[++i] : "";
			if (!strcmp(v, "jobs"))
				a->jobs_file = true;
			else if (!strcmp(v, "slurm"))
				a->slurm = true;
			else
				return bad("--emit needs \"jobs\" or \"slurm\"", *v ? v : NULL);
		} else if (!strcmp(s, "--emit-slurm")) {
			a->slurm = true;
		} else if (!strcmp(s, "--collect")) {
			/* --collect DIR: the next word, unless an option or a sweep file */
			struct stat st;
			const char *v = i + 1 < argc ? argv[i + 1] : "-";
			size_t n = strlen(v);
			a->collect = true;
			if (v[0] != '-' && !(n > 5 && !strcmp(v + n - 5, ".json"))) {
				if (stat(v, &st) || !S_ISDIR(st.st_mode))
					return bad("--collect DIR: not a folder", v);
				a->collect_dir = argv[++i];
			}
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
	if (a->collect_dir && a->out && strcmp(a->collect_dir, a->out))
		return bad("--collect DIR and --out name different folders", a->out);
	if (a->collect_dir)
		a->out = a->collect_dir;
	if (!a->file && !a->collect_dir)
		return bad("no sweep file given", NULL);
	if (a->dry_run + a->emit + a->jobs_file + a->slurm + a->collect > 1)
		return bad("--dry-run, --emit, --emit-commands and --collect exclude each other",
			   NULL);
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

/* Write path through path.tmp and a rename. */
static int write_file(const char *path, const char *text, char *err)
{
	char tmp[4300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int bad_write = !f || fputs(text, f) < 0;
	bad_write |= f && fclose(f) != 0;
	if (bad_write || rename(tmp, path))
		return errf(err, "%s: cannot write: %s", path, strerror(errno));
	return 0;
}

/* DIR/jobs.txt: the commands of the points not yet done, one a line;
 * *lines gets how many. */
static int emit_jobs_file(const struct sweep_ctx *c, const enum sweep_state *state, bool force,
			  size_t *lines, char *err)
{
	char path[4200], *text = NULL;
	size_t len;
	FILE *m = open_memstream(&text, &len);
	emit(m, c, state, force, true);
	fclose(m);
	*lines = 0;
	for (size_t i = 0; i < len; i++)
		*lines += text[i] == '\n';
	snprintf(path, sizeof(path), "%s/jobs.txt", c->dir);
	int rc = write_file(path, text, err);
	free(text);
	return rc;
}

static int emit_jobs(FILE *out, const struct sweep_ctx *c, const enum sweep_state *state,
		     const struct sweep_args *a, char *err)
{
	size_t lines;
	if (emit_jobs_file(c, state, a->force, &lines, err))
		return -1;
	fprintf(out, "sweep %s: %zu commands in %s/jobs.txt (%zu of %zu points done)\n",
		c->sw->name, lines, c->dir, c->sw->npoints - lines, c->sw->npoints);
	if (!a->quiet)
		fprintf(out, "run them:  parallel -j %ld < %s/jobs.txt\n"
			"elsewhere: parallel --sshloginfile HOSTS --wd \"$PWD\" < %s/jobs.txt\n"
			"then:      %s sweep --collect %s\n", a->jobs, c->dir, c->dir, c->mmsim,
			c->dir);
	return 0;
}

/* DIR/jobs.txt, and DIR/slurm.sh: a Slurm array job whose task i runs line
 * i of jobs.txt from the current folder. */
static int emit_slurm(FILE *out, const struct sweep_ctx *c, const enum sweep_state *state,
		      const struct sweep_args *a, char *err)
{
	char path[4200], jobs[4200], cwd[PATH_MAX], *text = NULL;
	size_t len, lines;
	if (emit_jobs_file(c, state, a->force, &lines, err))
		return -1;
	if (!getcwd(cwd, sizeof(cwd)))
		return errf(err, "getcwd: %s", strerror(errno));
	snprintf(jobs, sizeof(jobs), "%s/jobs.txt", c->dir);
	snprintf(path, sizeof(path), "%s/slurm.sh", c->dir);
	FILE *f = open_memstream(&text, &len);
	fprintf(f, "#!/bin/sh\n");
	fprintf(f, "# mmsim sweep %s: %zu points to run, one array task each.\n", c->sw->path,
		lines);
	fprintf(f, "# Submit: sbatch %s; afterwards: mmsim sweep --collect %s\n", path, c->dir);
	fprintf(f, "#SBATCH --job-name=mmsim-");
	for (const char *p = c->sw->name; *p; p++)   /* one word, whatever the name */
		fputc(strchr("-_.", *p) || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' &&
		      (*p | 32) <= 'z') ? *p : '_', f);
	fputc('\n', f);
	if (lines)
		fprintf(f, "#SBATCH --array=1-%zu\n", lines);
	fprintf(f, "#SBATCH --output=%s/points/slurm-%%A_%%a.out\n", c->dir);
	fprintf(f, "set -e\ncd ");
	sweep_shell_word(f, cwd);
	fprintf(f, "\ncmd=$(sed -n \"${SLURM_ARRAY_TASK_ID:?not in a Slurm array job}p\" ");
	sweep_shell_word(f, jobs);
	fprintf(f, ")\n[ -n \"$cmd\" ] || { echo \"no command $SLURM_ARRAY_TASK_ID\" >&2; exit 1; }\n");
	fprintf(f, "exec sh -c \"$cmd\"\n");
	fclose(f);
	int rc = write_file(path, text, err);
	free(text);
	if (rc)
		return rc;
	fprintf(out, "sweep %s: %zu commands in %s, a %zu-task array job in %s\n", c->sw->name,
		lines, jobs, lines, path);
	if (!a->quiet)
		fprintf(out, "submit: sbatch %s\nthen:   %s sweep --collect %s\n", path, c->mmsim,
			c->dir);
	return 0;
}

/* --- DIR/origin.json: which sweep made DIR, for --collect DIR ------------------ */

/* {"sweep": the sweep file as written, "cwd": the folder it ran in (which
 * the paths are relative to), "out": DIR as written there, "metrics":
 * --metrics or null} */
static int write_origin(const struct sweep_args *a, char *err)
{
	char path[4200], cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return errf(err, "getcwd: %s", strerror(errno));
	/* the sweep file as written: from cwd it names the same traces, by
	 * the same paths, as the stats files do */
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "sweep", a->file);
	cJSON_AddStringToObject(o, "cwd", cwd);
	cJSON_AddStringToObject(o, "out", a->out);
	if (a->metrics)
		cJSON_AddStringToObject(o, "metrics", a->metrics);
	else
		cJSON_AddNullToObject(o, "metrics");
	char *text = cJSON_Print(o);
	cJSON_Delete(o);
	snprintf(path, sizeof(path), "%s/origin.json", a->out);
	size_t n = strlen(text);
	char *line = malloc(n + 2);
	if (!line)
		abort();
	memcpy(line, text, n);
	memcpy(line + n, "\n", 2);
	free(text);
	int rc = write_file(path, line, err);
	free(line);
	return rc;
}

static const char *origin_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* --collect DIR without a sweep file: the sweep, metrics and folder of
 * DIR/origin.json, from the folder the sweep ran in (so that the paths in
 * the stats files compare equal). */
static int read_origin(struct sweep_args *a, char *err)
{
	char path[4200], dir[PATH_MAX], there[PATH_MAX];
	snprintf(path, sizeof(path), "%s/origin.json", a->collect_dir);
	if (access(path, F_OK))
		return errf(err, "%s: cannot open: %s (name the sweep: mmsim sweep SWEEP.json "
			    "--out %s --collect)", path, strerror(errno), a->collect_dir);
	cJSON *o = json_load_file(path, err);
	if (!o)
		return -1;
	const char *sweep = origin_str(o, "sweep"), *cwd = origin_str(o, "cwd");
	const char *out = origin_str(o, "out"), *metrics = origin_str(o, "metrics");
	int rc = 0;
	if (!sweep || !cwd || !out)
		rc = errf(err, "%s: needs the strings \"sweep\", \"cwd\" and \"out\"", path);
	else if (!realpath(a->collect_dir, dir))
		rc = errf(err, "%s: %s", a->collect_dir, strerror(errno));
	else if (chdir(cwd))
		rc = errf(err, "%s: cwd: %s: %s", path, cwd, strerror(errno));
	if (!rc) {
		/* DIR as the sweep named it when that is this folder, else absolute */
		bool same = realpath(out, there) && !strcmp(there, dir);
		snprintf(a->out_buf, sizeof(a->out_buf), "%s", same ? out : dir);
		snprintf(a->file_buf, sizeof(a->file_buf), "%s", sweep);
		a->out = a->out_buf;
		a->file = a->file_buf;
		if (!a->metrics && metrics) {
			snprintf(a->metrics_buf, sizeof(a->metrics_buf), "%s", metrics);
			a->metrics = a->metrics_buf;
		}
	}
	cJSON_Delete(o);
	return rc;
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

/* The sweep loaded (a->file), what to do with it. */
static int sweep_main(struct sweep_args *a, FILE *out)
{
	struct sweep sw;
	char err[MMSIM_ERR_LEN];
	int rc = 0;
	if (sweep_load(&sw, a->file, a->metrics, err)) {
		fprintf(stderr, "mmsim sweep: %s\n", err);
		return 2;
	}
	char exe[PATH_MAX] = "mmsim";
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 5] = '\0';
	struct sweep_ctx c = { .sw = &sw, .dir = a->out, .mmsim = a->mmsim ? a->mmsim : exe };
	enum sweep_state *state = calloc(sw.npoints, sizeof(*state));
	if (!state)
		abort();
	for (size_t i = 0; i < sw.npoints; i++)
		state[i] = sweep_point_state(&c, &sw.points[i]);
	if (a->dry_run) {
		dry_run(out, &c, state);
	} else if (mkdirs(a->out, err) || (!a->collect_dir && write_origin(a, err))) {
		fprintf(stderr, "mmsim sweep: %s\n", err);
		rc = 2;
	} else if (a->emit) {
		emit(out, &c, state, a->force, a->quiet);
	} else if (a->jobs_file || a->slurm) {
		if ((a->slurm ? emit_slurm : emit_jobs)(out, &c, state, a, err)) {
			fprintf(stderr, "mmsim sweep: %s\n", err);
			rc = 2;
		}
	} else {
		sweep_git_hash(c.git, sizeof(c.git));
		if (gethostname(c.host, sizeof(c.host) - 1))
			strcpy(c.host, "unknown");
		rc = a->collect ? collect(out, &c, state) : run(out, &c, state, a);
	}
	free(state);
	sweep_free(&sw);
	return rc;
}

int cmd_sweep(int argc, char **argv, FILE *out)
{
	struct sweep_args a = { 0 };
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : rc;
	char cwd[PATH_MAX], err[MMSIM_ERR_LEN];
	if (!getcwd(cwd, sizeof(cwd))) {
		fprintf(stderr, "mmsim sweep: getcwd: %s\n", strerror(errno));
		return 2;
	}
	if (a.collect_dir && !a.file) {
		if (read_origin(&a, err)) {
			fprintf(stderr, "mmsim sweep: %s\n", err);
			rc = 2;
		}
	}
	if (!rc)
		rc = sweep_main(&a, out);
	if (chdir(cwd))          /* read_origin() may have moved */
		fprintf(stderr, "mmsim sweep: %s: %s\n", cwd, strerror(errno));
	return rc;
}
