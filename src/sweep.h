/* mmsim sweep: many runs of one experiment, one table (docs/sweeps.md).
 *
 * A sweep file names a base config, traces, axes of config keys with value
 * lists (crossed, or zipped), seeds and the metrics to tabulate. Loading
 * validates all of it before anything runs: the sweep file's own keys, every
 * axis key and value through cfg_set() on a scratch config (so a typo gets
 * the config's own did-you-mean message), every point's config through
 * cfg_check(), every trace through trace_load(), every (config, trace) pair
 * by building its machine once (which also lists the counter names the
 * metrics are checked against).
 *
 * The points are the product config x trace x seed, in that order (the first
 * axis varies slowest, the seed fastest); a point's id is its index, zero
 * padded. Each point is one `mmsim run`, so the stats and the config hash
 * of a point are exactly those of the equivalent command line. */
#ifndef MMSIM_SWEEP_H
#define MMSIM_SWEEP_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <time.h>
#include "lib/config.h"

int cmd_sweep(int argc, char **argv, FILE *out);
int cmd_report(int argc, char **argv, FILE *out);

struct sweep_axis {
	char *key;              /* "tlb.stlb.entries" */
	char **values;          /* as given to cfg_set: "512", "4K", "always", "true" */
	size_t nvalues;
};

struct sweep_trace {
	char *as_written;       /* the sweep file's string */
	char *path;             /* relative to the sweep file's folder, normalized */
	char name[64];          /* file name without ".json": the results.csv column */
	uint64_t hash;          /* FNV-1a 64 of the file's bytes, then of the
	                         * recorded streams its replay ops name */
};

struct sweep_point {
	char id[24];            /* "0007" */
	size_t combo;           /* which axis values (index into combos) */
	size_t trace;           /* index into traces */
	uint64_t seed;
	uint64_t config_hash;   /* sweep_config_hash() of the effective config */
};

/* A term of a metric: a counter, result.*, coreN.accesses, or core*.X (the
 * sum of coreN.X over the point's cores). */
struct metric_term {
	char name[96];
	bool all_cores;         /* name is the part after "core*." */
};

/* metric = scale * num / den (den optional): "llc.miss",
 * "1000*core0.dtlb.miss/core0.accesses"; the shorthands X.mpka and
 * X.miss_rate are expanded into this form (docs/sweeps.md). */
struct sweep_metric {
	char *name;             /* as the user wrote it: the CSV column */
	double scale;
	struct metric_term num, den;
	bool has_den, has_scale;
};

struct sweep {
	char *path;             /* the sweep file */
	char *name;
	char *base;             /* base config path, resolved */
	struct sweep_axis *axes;
	size_t naxes;
	bool zip;
	struct sweep_trace *traces;
	size_t ntraces;
	uint64_t *seeds;
	size_t nseeds;
	char **overrides;       /* "key=value", applied before the axes */
	size_t noverrides;
	struct sweep_metric *metrics;
	size_t nmetrics;
	size_t ncombos;
	size_t *combo_value;    /* [combo * naxes + axis]: index into that axis's values */
	struct mmsim_cfg *combo_cfg; /* effective config of each combo (base seed) */
	struct sweep_point *points;
	size_t npoints;
	char **counters;        /* every counter name of every point's machine */
	size_t ncounters;
};

/* Load and validate everything (see above). metrics: a comma-separated list
 * replacing the file's "metrics", or NULL. Returns 0, or -1 with one
 * "FILE: PLACE: what" message in err; sw need not be freed then. */
int sweep_load(struct sweep *sw, const char *path, const char *metrics, char *err);
void sweep_free(struct sweep *sw);

/* The point's effective config (combo config with the point's seed). */
void sweep_point_cfg(const struct sweep *sw, const struct sweep_point *p, struct mmsim_cfg *cfg);

/* FNV-1a 64 of the compact JSON of a config: of cfg_to_json(cfg) or of the
 * "config" object of a stats file, which give the same text. */
uint64_t sweep_config_hash(const struct mmsim_cfg *cfg);
uint64_t sweep_json_hash(const cJSON *config);
uint64_t fnv1a64(const void *data, size_t n, uint64_t h);
#define FNV1A64_INIT 0xcbf29ce484222325ull

/* The argv of `mmsim run` for point p (argv[0] = "run"), writing its stats
 * to stats_path; returns argc. argv needs SWEEP_ARGV_MAX(sw) entries; the
 * strings are allocated (free with sweep_free_argv). */
#define SWEEP_ARGV_MAX(sw) (12 + 2 * ((sw)->naxes + (sw)->noverrides))
int sweep_run_argv(const struct sweep *sw, const struct sweep_point *p, const char *stats_path,
		   char **argv);
void sweep_free_argv(int argc, char **argv);

/* --- between sweep_cmd.c and sweep_run.c ---------------------------------- */

/* A point's files: todo (none), done (stats and provenance match), adopt
 * (matching stats run elsewhere, no provenance yet), stale (stats of other
 * inputs: rerun). */
enum sweep_state { SWEEP_TODO, SWEEP_DONE, SWEEP_ADOPT, SWEEP_STALE };

struct sweep_ctx {
	const struct sweep *sw;
	const char *dir;        /* the results folder */
	const char *mmsim;      /* the binary named in commands */
	char git[96];           /* sweep_git_hash() */
	char host[256];
};

/* "DIR/points/ID" + ext */
void sweep_point_file(char *buf, size_t n, const struct sweep_ctx *c, const struct sweep_point *p,
		      const char *ext);
enum sweep_state sweep_point_state(const struct sweep_ctx *c, const struct sweep_point *p);
/* Write DIR/points/ID.prov.json; started < 0: a point run elsewhere. */
int sweep_write_prov(const struct sweep_ctx *c, const struct sweep_point *p, time_t started,
		     double wall, char *err);
/* Run todo[0..n), at most jobs at once, with a progress line; returns how
 * many failed. */
size_t sweep_run_points(const struct sweep_ctx *c, const struct sweep_point **todo, size_t n,
			long jobs, bool quiet);
void sweep_git_hash(char *out, size_t n);
/* The progress bar's text: "sweep NAME [####....] 7/16 points, 2 running,
 * elapsed 0:12, ETA 0:15"; eta < 0: not known yet ("-"). */
void sweep_progress_line(char *buf, size_t n, const char *name, size_t done, size_t total,
			 size_t running, size_t failed, double elapsed, double eta);
/* s quoted for sh when it needs it; a command line of such words. */
void sweep_shell_word(FILE *f, const char *s);
void sweep_print_command(FILE *f, const char *mmsim, int argc, char **argv);

/* Parse one metric; err gets "PLACE: NAME: what". Checks the names against
 * sw->counters when sw is not NULL. */
int sweep_metric_parse(struct sweep_metric *m, const char *name, const struct sweep *sw,
		       const char *place, char *err);
/* The metric's value in a stats document; false if a counter is missing or
 * a denominator is zero (an empty cell). *integral: print as an integer. */
bool sweep_metric_eval(const struct sweep_metric *m, const cJSON *stats, double *v,
		       bool *integral);
/* "%.0f" for integral values, "%.6g" otherwise; "" when !ok. */
void sweep_metric_format(char *buf, size_t n, bool ok, double v, bool integral);

/* Mean and half-width of the two-sided 95% confidence interval of the mean
 * (Student's t with n-1 degrees of freedom); ci = NaN when n < 2. */
void sweep_mean_ci(const double *x, size_t n, double *mean, double *ci);

/* Write DIR/results.csv (and DIR/summary.csv when there are several seeds)
 * from the points' stats files DIR/points/ID.json, for the points with
 * use[i] (NULL: all); a point without a stats file has no row. *rows: how
 * many rows. Returns 0 or -1 with err. */
int sweep_write_results(const struct sweep *sw, const char *dir, const bool *use, size_t *rows,
			char *err);

/* CSV field quoting (RFC 4180) into buf. */
const char *csv_field(const char *s, char *buf, size_t n);

#endif
