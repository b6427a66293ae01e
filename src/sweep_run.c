/* The runner of `mmsim sweep` (docs/sweeps.md): which points are done, the
 * child processes that run the others, the progress line, provenance.
 *
 * Each point is one `mmsim run` in a child process (fork, then cmd_run() in
 * the child: the same code and arguments as the command line --emit-commands
 * prints), at most -j at once. A child writes DIR/points/ID.json.tmp; the
 * parent then writes the provenance DIR/points/ID.prov.json and renames the
 * stats to DIR/points/ID.json, so a stats file under its final name is a
 * finished point. A point is done when its stats file says it ran this
 * version of mmsim on the point's exact effective config (by config hash)
 * and seed, and its provenance (if any) names the same trace bytes; done
 * points are not rerun. An interrupted sweep leaves only .tmp files and
 * logs, and the same command resumes it. */
#include "src/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/jsonutil.h"
#include "src/cli.h"
#include "src/report.h"

/* --- files of a point ------------------------------------------------------ */

void sweep_point_file(char *buf, size_t n, const struct sweep_ctx *c, const struct sweep_point *p,
		      const char *ext)
{
	snprintf(buf, n, "%s/points/%s%s", c->dir, p->id, ext);
}

static void hex64(char *buf, size_t n, uint64_t h)
{
	snprintf(buf, n, "%016llx", (unsigned long long)h);
}

static bool str_is(const cJSON *obj, const char *key, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) && !strcmp(v->valuestring, want);
}

/* Do the stats file's trace and the point's name the same file? The same
 * string, or two spellings of one path (both relative to the current
 * folder). */
static bool same_trace(const cJSON *meta, const char *path)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, "trace");
	char a[PATH_MAX], b[PATH_MAX];
	if (!cJSON_IsString(v))
		return false;
	return !strcmp(v->valuestring, path) ||
	       (realpath(v->valuestring, a) && realpath(path, b) && !strcmp(a, b));
}

/* Does the stats document st hold point p's run? */
static bool stats_match(const struct sweep *sw, const struct sweep_point *p, const cJSON *st,
			bool check_trace)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(st, "mmsim");
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(st, "config");
	char seed[32];
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)p->seed);
	return cJSON_IsObject(meta) && cJSON_IsObject(cfg) &&
	       str_is(meta, "version", MMSIM_VERSION) && str_is(meta, "seed", seed) &&
	       (!check_trace || same_trace(meta, sw->traces[p->trace].path)) &&
	       sweep_json_hash(cfg) == p->config_hash;
}

enum sweep_state sweep_point_state(const struct sweep_ctx *c, const struct sweep_point *p)
{
	char path[4200], err[MMSIM_ERR_LEN], h[32];
	sweep_point_file(path, sizeof(path), c, p, ".prov.json");
	cJSON *prov = access(path, F_OK) ? NULL : json_load_file(path, err);
	bool have_prov = prov != NULL;
	bool ok = true;
	if (prov) {
		hex64(h, sizeof(h), p->config_hash);
		ok = str_is(prov, "config_hash", h);
		hex64(h, sizeof(h), c->sw->traces[p->trace].hash);
		ok = ok && str_is(prov, "trace_hash", h);
		cJSON_Delete(prov);
	}
	sweep_point_file(path, sizeof(path), c, p, ".json");
	if (access(path, F_OK))
		return SWEEP_TODO;
	cJSON *st = json_load_file(path, err);
	ok = ok && st && stats_match(c->sw, p, st, !have_prov);
	cJSON_Delete(st);
	return !ok ? SWEEP_STALE : have_prov ? SWEEP_DONE : SWEEP_ADOPT;
}

/* --- provenance ------------------------------------------------------------ */

static const char shell_safe[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=:,+-@%";

void sweep_shell_word(FILE *f, const char *s)
{
	if (*s && strspn(s, shell_safe) == strlen(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

void sweep_print_command(FILE *f, const char *mmsim, int argc, char **argv)
{
	sweep_shell_word(f, mmsim);
	for (int i = 0; i < argc; i++) {
		fputc(' ', f);
		sweep_shell_word(f, argv[i]);
	}
}

/* The git commit of the checkout holding the mmsim binary, "-dirty" when
 * tracked files differ from it; "unknown" outside a checkout. */
void sweep_git_hash(char *out, size_t n)
{
	char exe[PATH_MAX], cmd[PATH_MAX + 128];
	snprintf(out, n, "unknown");
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return;
	exe[len] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash || strchr(exe, '\''))
		return;
	*slash = '\0';
	snprintf(cmd, sizeof(cmd), "git -C '%s' rev-parse HEAD 2>/dev/null", exe);
	FILE *p = popen(cmd, "r");
	char line[128] = "";
	if (!p)
		return;
	bool ok = fgets(line, sizeof(line), p) != NULL;
	if (pclose(p) != 0 || !ok || strlen(line) < 40)
		return;
	line[strcspn(line, "\n")] = '\0';
	snprintf(cmd, sizeof(cmd),
		 "git -C '%s' status --porcelain --untracked-files=no 2>/dev/null", exe);
	p = popen(cmd, "r");
	char any[8];
	bool dirty = p && fgets(any, sizeof(any), p) != NULL;
	if (p)
		pclose(p);
	snprintf(out, n, "%.64s%s", line, dirty ? "-dirty" : "");
}

/* The provenance record's inputs: what ran, on what, by which mmsim. */
static cJSON *prov_inputs(const struct sweep_ctx *c, const struct sweep_point *p)
{
	const struct sweep *sw = c->sw;
	char h[32], seed[32];
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "point", p->id);
	cJSON_AddStringToObject(r, "sweep", sw->path);
	cJSON_AddStringToObject(r, "mmsim_version", MMSIM_VERSION);
	cJSON_AddStringToObject(r, "git", c->git);
	cJSON_AddStringToObject(r, "config", sw->base);
	hex64(h, sizeof(h), p->config_hash);
	cJSON_AddStringToObject(r, "config_hash", h);
	cJSON_AddStringToObject(r, "trace", sw->traces[p->trace].path);
	hex64(h, sizeof(h), sw->traces[p->trace].hash);
	cJSON_AddStringToObject(r, "trace_hash", h);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)p->seed);
	cJSON_AddStringToObject(r, "seed", seed);
	cJSON *axes = cJSON_AddObjectToObject(r, "axes");
	for (size_t a = 0; a < sw->naxes; a++)
		cJSON_AddStringToObject(axes, sw->axes[a].key,
					sw->axes[a].values[sw->combo_value[p->combo * sw->naxes + a]]);
	return r;
}

/* The `mmsim run` command of the point, writing its final stats file. */
static void add_command(cJSON *r, const struct sweep_ctx *c, const struct sweep_point *p)
{
	char path[4200], *argv[SWEEP_ARGV_MAX(c->sw)], *cmd = NULL;
	size_t len;
	sweep_point_file(path, sizeof(path), c, p, ".json");
	int argc = sweep_run_argv(c->sw, p, path, argv);
	FILE *m = open_memstream(&cmd, &len);
	sweep_print_command(m, c->mmsim, argc, argv);
	fclose(m);
	sweep_free_argv(argc, argv);
	cJSON_AddStringToObject(r, "command", cmd);
	free(cmd);
}

/* Write DIR/points/ID.prov.json (through a .tmp and a rename). started < 0:
 * a point run elsewhere (--emit-commands) and adopted here: no host times. */
int sweep_write_prov(const struct sweep_ctx *c, const struct sweep_point *p, time_t started,
		     double wall, char *err)
{
	char path[4200], tmp[4300];
	cJSON *r = prov_inputs(c, p);
	add_command(r, c, p);
	if (started >= 0) {
		char when[32];
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&started));
		cJSON_AddStringToObject(r, "host", c->host);
		cJSON_AddStringToObject(r, "started", when);
		cJSON_AddNumberToObject(r, "wall_seconds", (double)(long long)(wall * 1000) / 1000);
	} else {
		cJSON_AddStringToObject(r, "host", "unknown");
		cJSON_AddNullToObject(r, "started");
		cJSON_AddNullToObject(r, "wall_seconds");
		cJSON_AddTrueToObject(r, "collected");
	}
	char *text = cJSON_Print(r);
	cJSON_Delete(r);
	sweep_point_file(path, sizeof(path), c, p, ".prov.json");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int rc = !f || fprintf(f, "%s\n", text) < 0;
	rc |= f && fclose(f) != 0;
	free(text);
	if (rc || rename(tmp, path))
		return errf(err, "%s: cannot write: %s", path, strerror(errno));
	return 0;
}

/* --- progress ---------------------------------------------------------------- */

struct progress {
	const char *name;
	size_t total, done, run_done, to_run, running, failed;
	double t0, last_draw;
	bool tty, quiet;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void hms(char *buf, size_t n, double s)
{
	long t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

void sweep_progress_line(char *buf, size_t n, const char *name, size_t done, size_t total,
			 size_t running, size_t failed, double elapsed, double eta)
{
	enum { WIDTH = 24 };
	char bar[WIDTH + 1], e[32], left[32] = "-", fail[48] = "";
	size_t full = total ? done * WIDTH / total : WIDTH;
	for (size_t i = 0; i < WIDTH; i++)
		bar[i] = i < full ? '#' : '.';
	bar[WIDTH] = '\0';
	hms(e, sizeof(e), elapsed);
	if (eta >= 0)
		hms(left, sizeof(left), eta);
	if (failed)
		snprintf(fail, sizeof(fail), ", %zu failed", failed);
	snprintf(buf, n, "sweep %s [%s] %zu/%zu points, %zu running%s, elapsed %s, ETA %s", name,
		 bar, done, total, running, fail, e, left);
}

/* The terminal line: a bar, done/total, elapsed, and the ETA from this
 * session's throughput (points finished per second of wall time). */
static void draw(struct progress *pg)
{
	if (pg->quiet || !pg->tty)
		return;
	double el = now() - pg->t0;
	char line[512];
	double eta = pg->run_done ? el / (double)pg->run_done * (double)(pg->to_run - pg->run_done)
				  : -1;
	sweep_progress_line(line, sizeof(line), pg->name, pg->done, pg->total, pg->running,
			    pg->failed, el, eta);
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
	pg->last_draw = now();
}

/* Without a terminal, one line per finished point instead of the bar. */
static void point_line(struct progress *pg, const struct sweep_point *p, double secs)
{
	if (pg->quiet || pg->tty)
		return;
	fprintf(stderr, "sweep %s: [%zu/%zu] point %s done (%.1f s)\n", pg->name, pg->done,
		pg->total, p->id, secs);
}

/* --- the runner ---------------------------------------------------------------- */

struct job {
	pid_t pid;
	const struct sweep_point *p;
	double t0;
	time_t started;
};

/* In the child: stdout to /dev/null, stderr to the point's log, then the
 * run itself. _exit: no atexit handlers or buffers of the parent. */
static void child(const struct sweep_ctx *c, const struct sweep_point *p)
{
	char path[4200], log[4200];
	sweep_point_file(path, sizeof(path), c, p, ".json.tmp");
	sweep_point_file(log, sizeof(log), c, p, ".log");
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int null = open("/dev/null", O_WRONLY);
	if (fd < 0 || null < 0)
		_exit(2);
	dup2(null, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	close(null);
	char *argv[SWEEP_ARGV_MAX(c->sw)];
	int argc = sweep_run_argv(c->sw, p, path, argv);
	fputs("$ ", stderr);         /* the log starts with the command */
	sweep_print_command(stderr, c->mmsim, argc, argv);
	fputc('\n', stderr);
	fflush(stderr);
	int rc = cmd_run(argc, argv, stdout);
	fflush(NULL);
	_exit(rc);
}

static int start(const struct sweep_ctx *c, struct job *j, const struct sweep_point *p)
{
	char path[4200];
	static const char *const stale[] = { ".json", ".prov.json" };
	for (size_t i = 0; i < ARRAY_SIZE(stale); i++) {
		sweep_point_file(path, sizeof(path), c, p, stale[i]);
		unlink(path);
	}
	fflush(NULL);
	j->p = p;
	j->t0 = now();
	j->started = time(NULL);
	j->pid = fork();
	if (j->pid < 0)
		return -1;
	if (j->pid == 0)
		child(c, p);
	return 0;
}

/* The first line of the point's log after the command ("" if none). */
static void log_line(const char *log, char *buf, size_t n)
{
	FILE *f = fopen(log, "r");
	char *line = NULL;
	size_t cap = 0;
	buf[0] = '\0';
	while (f && getline(&line, &cap, f) > 0) {
		if (strncmp(line, "$ ", 2)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, n, "%s", line);
			break;
		}
	}
	free(line);
	if (f)
		fclose(f);
}

/* A child ended: keep its stats (provenance, then the rename) or report. */
static bool finish(const struct sweep_ctx *c, struct job *j, int status, struct progress *pg)
{
	char tmp[4200], path[4200], log[4200], err[MMSIM_ERR_LEN];
	double secs = now() - j->t0;
	sweep_point_file(tmp, sizeof(tmp), c, j->p, ".json.tmp");
	sweep_point_file(path, sizeof(path), c, j->p, ".json");
	sweep_point_file(log, sizeof(log), c, j->p, ".log");
	pg->running--;
	pg->done++;
	pg->run_done++;
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !access(tmp, F_OK);
	if (ok && (sweep_write_prov(c, j->p, j->started, secs, err) || rename(tmp, path))) {
		fprintf(stderr, "%smmsim sweep: %s\n", pg->tty && !pg->quiet ? "\r\033[K" : "", err);
		ok = false;
	}
	char first[200], what[300];
	log_line(log, first, sizeof(first));
	if (ok) {
		if (!*first)
			unlink(log);     /* nothing but the command */
		point_line(pg, j->p, secs);
		return true;
	}
	unlink(tmp);
	pg->failed++;
	if (WIFSIGNALED(status))
		snprintf(what, sizeof(what), "killed by signal %d", WTERMSIG(status));
	else
		snprintf(what, sizeof(what), "exit %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	if (pg->tty && !pg->quiet)
		fprintf(stderr, "\r\033[K");
	fprintf(stderr, "mmsim sweep: point %s failed (%s): %s (log: %s)\n", j->p->id, what,
		*first ? first : "no message", log);
	return false;
}

/* The loop of sweep_run_points(). */
static void run_loop(const struct sweep_ctx *c, const struct sweep_point **todo, size_t n,
		     long jobs, struct progress *pg)
{
	struct job *js = calloc((size_t)jobs, sizeof(*js));
	if (!js)
		abort();
	size_t next = 0;
	draw(pg);
	while (next < n || pg->running) {
		bool started = false;
		for (long k = 0; k < jobs && next < n; k++) {
			if (js[k].pid)
				continue;
			if (start(c, &js[k], todo[next])) {
				fprintf(stderr, "mmsim sweep: fork: %s\n", strerror(errno));
				js[k].pid = 0;
				break;
			}
			next++;
			pg->running++;
			started = true;
		}
		if (started)
			draw(pg);
		if (!pg->running)
			break;               /* fork failed with nothing running */
		int status;
		pid_t pid = waitpid(-1, &status, pg->tty && !pg->quiet ? WNOHANG : 0);
		if (pid == 0) {          /* a terminal: redraw the clock each second */
			struct timespec ts = { 0, 50 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			if (now() - pg->last_draw >= 1)
				draw(pg);
			continue;
		}
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		for (long k = 0; k < jobs; k++)
			if (js[k].pid == pid) {
				finish(c, &js[k], status, pg);
				js[k].pid = 0;
				draw(pg);
			}
	}
	if (pg->tty && !pg->quiet) {
		draw(pg);
		fprintf(stderr, "\n");
	}
	free(js);
}

size_t sweep_run_points(const struct sweep_ctx *c, const struct sweep_point **todo, size_t n,
			long jobs, bool quiet)
{
	const struct sweep *sw = c->sw;
	struct progress pg = {
		.name = sw->name, .total = sw->npoints, .done = sw->npoints - n, .to_run = n,
		.t0 = now(), .tty = isatty(STDERR_FILENO) != 0, .quiet = quiet,
	};
	run_loop(c, todo, n, jobs, &pg);
	return pg.failed;
}
