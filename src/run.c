/* `mmsim run`: load and check the config and the trace, build the machine,
 * run it, print the summary and write --stats. Bad input stops here, before
 * anything is simulated, with one message naming the file and place. */
#include "src/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gui/gui.h"
#include "lib/config.h"
#include "lib/trace.h"
#include "src/machine.h"
#include "src/report.h"

static const char usage[] =
	"usage: mmsim run -c CONFIG.json TRACE.json [options]\n"
	"  -c, --config FILE   machine config (configs/default.json)\n"
	"  -s KEY=VALUE        override one config key (repeatable), e.g. -s tlb.l1d.4k.entries=128\n"
	"      --seed N        the run's seed (same as -s seed=N)\n"
	"      --stats FILE    write every counter as JSON\n"
	"      --procfs        report every process's /proc maps, smaps_rollup and status\n"
	"                      at its exit and at every snapshot op (also in --stats)\n"
	"      --check[=N]     check kernel and TLB invariants after every (N-th) kernel\n"
	"                      operation and at the end (overrides check.interval)\n"
	"  -q, --quiet         no summary\n";

struct run_args {
	const char *config, *trace, *stats;
	char **sets;            /* -s assignments; --seed N becomes "seed=N" */
	bool *owned;            /* sets[i] was allocated here */
	int nsets;
	uint64_t check;
	bool quiet;
	bool procfs;            /* --procfs */
	struct gui_opts gui;    /* --gui, --screenshot ... (gui/gui.h) */
};

static int bad(const char *msg, const char *arg)
{
	fprintf(stderr, "mmsim run: %s%s%s\n%s%s", msg, arg ? ": " : "", arg ? arg : "", usage,
		gui_usage);
	return 2;
}

static void free_args(struct run_args *a)
{
	for (int i = 0; i < a->nsets; i++)
		if (a->owned[i])
			free(a->sets[i]);
	free(a->sets);
	free(a->owned);
}

/* "--check=N": N a whole number from 1 to 2^64-1, digits only. */
static int parse_check(const char *s, uint64_t *n)
{
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -1;
	errno = 0;
	*n = strtoull(s, NULL, 10);
	return errno == ERANGE || *n == 0 ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct run_args *a)
{
	static const char *const with_value[] = { "-c", "--config", "-s", "--seed", "--stats" };
	a->sets = calloc((size_t)argc, sizeof(*a->sets));
	a->owned = calloc((size_t)argc, sizeof(*a->owned));
	char gerr[MMSIM_ERR_LEN];
	for (int i = 1; i < argc; i++) {
		int g = gui_parse_arg(&a->gui, argc, argv, &i, gerr);
		if (g < 0)
			return bad(gerr, NULL);
		if (g)
			continue;
		const char *s = argv[i];
		if (cli_takes_value(s, with_value, ARRAY_SIZE(with_value)) && i + 1 >= argc)
			return bad("option needs a value", s);
		if (!strcmp(s, "-c") || !strcmp(s, "--config")) {
			a->config = argv[++i];
		} else if (!strcmp(s, "-s")) {
			a->sets[a->nsets++] = argv[++i];
		} else if (!strcmp(s, "--seed")) {
			const char *v = argv[++i];
			char *set = malloc(strlen(v) + 6);
			if (!set)
				abort();
			sprintf(set, "seed=%s", v);
			a->owned[a->nsets] = true;
			a->sets[a->nsets++] = set;
		} else if (!strcmp(s, "--stats")) {
			a->stats = argv[++i];
		} else if (!strcmp(s, "--check")) {
			a->check = 1;
		} else if (!strncmp(s, "--check=", 8)) {
			if (parse_check(s + 8, &a->check))
				return bad("--check=N needs a whole number N >= 1", s);
		} else if (!strcmp(s, "--procfs")) {
			a->procfs = true;
		} else if (!strcmp(s, "-q") || !strcmp(s, "--quiet")) {
			a->quiet = true;
		} else if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			fputs(usage, stdout);
			fputs(gui_usage, stdout);
			return 1;
		} else if (s[0] == '-' && s[1]) {
			return bad("unknown option", s);
		} else if (!a->trace) {
			a->trace = s;
		} else {
			return bad("more than one trace given", s);
		}
	}
	if (!a->config)
		return bad("no config given (-c FILE)", NULL);
	if (!a->trace)
		return bad("no trace given", NULL);
	return 0;
}

static int load_inputs(const struct run_args *a, struct mmsim_cfg *cfg, struct trace *tr)
{
	char err[MMSIM_ERR_LEN];
	cfg_defaults(cfg);
	if (cfg_load(cfg, a->config, err))
		goto fail;
	for (int i = 0; i < a->nsets; i++)
		if (cfg_set(cfg, a->sets[i], "-s", err))
			goto fail;
	if (cfg_check(cfg, a->config, err))
		goto fail;
	if (trace_load(tr, a->trace, err))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "mmsim: %s\n", err);
	return 2;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cmd_run(int argc, char **argv, FILE *out)
{
	struct run_args a = { 0 };
	struct mmsim_cfg cfg;
	struct trace tr = { 0 };
	char err[MMSIM_ERR_LEN];
	int rc = parse_args(argc, argv, &a);
	if (rc) {
		free_args(&a);
		return rc == 1 ? 0 : rc;
	}
	rc = load_inputs(&a, &cfg, &tr);
	free_args(&a);
	if (rc)
		return rc;
	/* --check[=N] wins over the config's check.interval */
	struct machine *m = machine_create(&cfg, &tr, a.check ? a.check : cfg.check.interval, err);
	if (!m) {
		fprintf(stderr, "mmsim: %s\n", err);
		trace_free(&tr);
		return 2;
	}
	machine_set_procfs_views(m, a.procfs);
	double t0 = now();
	int runrc = a.gui.enabled ? gui_run(m, &a.gui, err) : machine_run(m, err);
	if (runrc == -2) {              /* the GUI could not start: nothing ran */
		fprintf(stderr, "mmsim: %s\n", err);
		machine_destroy(m);
		trace_free(&tr);
		return 2;
	}
	struct run_info ri = { a.config, a.trace, &cfg, now() - t0 };
	if (!a.quiet && !machine_stopped(m))
		report_summary(out, m, &ri);
	if (!a.quiet && *machine_procfs(m))   /* the trace's procfs ops */
		fprintf(out, "\n%s", machine_procfs(m));
	rc = 0;
	if (runrc) {
		fprintf(stderr, "mmsim: %s\n", err);
		rc = 1;
	}
	if (machine_deadlocks(m)) {
		fprintf(stderr, "mmsim: %llu deadlocked processes (see above)\n",
			(unsigned long long)machine_deadlocks(m));
		rc = 1;
	}
	if (machine_mismatches(m)) {
		fprintf(stderr, "mmsim: %llu value mismatches (see above)\n",
			(unsigned long long)machine_mismatches(m));
		rc = 1;
	}
	if (a.stats && report_json(a.stats, m, &ri)) {
		fprintf(stderr, "mmsim: %s: cannot write: %s\n", a.stats, strerror(errno));
		rc = 2;
	}
	machine_destroy(m);
	trace_free(&tr);
	return rc;
}

/* `mmsim config`: the effective config as JSON, after -c and -s. */
int cmd_config(int argc, char **argv, FILE *out)
{
	struct mmsim_cfg cfg;
	char err[MMSIM_ERR_LEN];
	const char *origin = "defaults";
	cfg_defaults(&cfg);
	for (int i = 1; i < argc; i++) {
		bool more = i + 1 < argc;
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && more) {
			origin = argv[++i];
			if (cfg_load(&cfg, origin, err))
				goto fail;
		} else if (!strcmp(argv[i], "-s") && more) {
			if (cfg_set(&cfg, argv[++i], "-s", err))
				goto fail;
		} else if (!strcmp(argv[i], "--keys")) {
			cfg_print_keys(out);
			return 0;
		} else {
			fprintf(stderr, "usage: mmsim config [-c CONFIG] [-s KEY=VALUE]... | --keys\n");
			return 2;
		}
	}
	if (cfg_check(&cfg, origin, err))
		goto fail;
	char *text = cfg_to_json(&cfg);
	fprintf(out, "%s\n", text);
	free(text);
	return 0;
fail:
	fprintf(stderr, "mmsim: %s\n", err);
	return 2;
}
