/* DIR/results.csv and DIR/summary.csv from the points' stats files
 * (docs/sweeps.md, "Results"). Both are functions of the stats files and the
 * sweep alone (no host times), so the same sweep gives the same bytes. */
#include "src/sweep.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/jsonutil.h"

const char *csv_field(const char *s, char *buf, size_t n)
{
	if (!strpbrk(s, ",\"\r\n")) {
		snprintf(buf, n, "%s", s);
		return buf;
	}
	size_t o = 0;
	buf[o++] = '"';
	for (; *s && o + 3 < n; s++) {
		if (*s == '"')
			buf[o++] = '"';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom. */
static const double t95[] = {
	12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
};

/* Beyond the table, the value at the next tabulated df below (slightly
 * wider than exact: never an overconfident interval). */
static double t_quantile(size_t df)
{
	if (df <= ARRAY_SIZE(t95))
		return t95[df - 1];
	if (df < 40)
		return 2.042;
	if (df < 60)
		return 2.021;
	if (df < 120)
		return 2.000;
	return 1.980;
}

/* Sums of differences from x[0], so that equal values give exactly their
 * value and a zero interval, not rounding noise. */
void sweep_mean_ci(const double *x, size_t n, double *mean, double *ci)
{
	double d = 0, ss = 0;
	if (n == 0) {
		*mean = *ci = NAN;
		return;
	}
	for (size_t i = 0; i < n; i++)
		d += x[i] - x[0];
	d /= (double)n;
	*mean = x[0] + d;
	if (n < 2) {
		*ci = NAN;
		return;
	}
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - x[0] - d) * (x[i] - x[0] - d);
	*ci = t_quantile(n - 1) * sqrt(ss / (double)(n - 1)) / sqrt((double)n);
}

static void point_path(char *buf, size_t n, const char *dir, const char *id, const char *ext)
{
	snprintf(buf, n, "%s/points/%s%s", dir, id, ext);
}

/* The metric values of every point: vals[i * nmetrics + k], ok[] alike. */
struct table {
	double *vals;
	bool *ok, *integral, *have;   /* have[i]: point i has a stats file */
};

static size_t read_points(const struct sweep *sw, const char *dir, const bool *use,
			  struct table *t)
{
	size_t nm = sw->nmetrics, rows = 0;
	t->vals = calloc(sw->npoints * nm + 1, sizeof(double));
	t->ok = calloc(sw->npoints * nm + 1, sizeof(bool));
	t->integral = calloc(sw->npoints * nm + 1, sizeof(bool));
	t->have = calloc(sw->npoints + 1, sizeof(bool));
	if (!t->vals || !t->ok || !t->integral || !t->have)
		abort();
	for (size_t i = 0; i < sw->npoints; i++) {
		char path[4096], err[MMSIM_ERR_LEN];
		if (use && !use[i])
			continue;
		point_path(path, sizeof(path), dir, sw->points[i].id, ".json");
		cJSON *st = json_load_file(path, err);
		if (!st)
			continue;
		t->have[i] = true;
		rows++;
		for (size_t k = 0; k < nm; k++)
			t->ok[i * nm + k] = sweep_metric_eval(&sw->metrics[k], st, &t->vals[i * nm + k],
							      &t->integral[i * nm + k]);
		cJSON_Delete(st);
	}
	return rows;
}

static void axis_fields(FILE *f, const struct sweep *sw, size_t combo)
{
	char q[1024];
	for (size_t a = 0; a < sw->naxes; a++)
		fprintf(f, "%s,", csv_field(sw->axes[a].values[sw->combo_value[combo * sw->naxes + a]],
					    q, sizeof(q)));
}

static void header_axes(FILE *f, const struct sweep *sw)
{
	char q[1024];
	for (size_t a = 0; a < sw->naxes; a++)
		fprintf(f, "%s,", csv_field(sw->axes[a].key, q, sizeof(q)));
}

static void write_results(FILE *f, const struct sweep *sw, const struct table *t)
{
	char q[1024], v[64];
	size_t nm = sw->nmetrics;
	fprintf(f, "point,");
	header_axes(f, sw);
	fprintf(f, "trace,seed");
	for (size_t k = 0; k < nm; k++)
		fprintf(f, ",%s", csv_field(sw->metrics[k].name, q, sizeof(q)));
	fprintf(f, "\n");
	for (size_t i = 0; i < sw->npoints; i++) {
		const struct sweep_point *p = &sw->points[i];
		if (!t->have[i])
			continue;
		fprintf(f, "%s,", p->id);
		axis_fields(f, sw, p->combo);
		fprintf(f, "%s,%llu", csv_field(sw->traces[p->trace].name, q, sizeof(q)),
			(unsigned long long)p->seed);
		for (size_t k = 0; k < nm; k++) {
			sweep_metric_format(v, sizeof(v), t->ok[i * nm + k], t->vals[i * nm + k],
					    t->integral[i * nm + k]);
			fprintf(f, ",%s", v);
		}
		fprintf(f, "\n");
	}
}

static void fmt_stat(char *buf, size_t n, double x)
{
	if (isnan(x))
		buf[0] = '\0';
	else
		snprintf(buf, n, "%.10g", x);
}

/* One row per (combo, trace): the points of its seeds are adjacent. */
static void write_summary(FILE *f, const struct sweep *sw, const struct table *t)
{
	char q[1024], a[64], b[64];
	size_t nm = sw->nmetrics, ns = sw->nseeds;
	double *x = calloc(ns, sizeof(double));
	if (!x)
		abort();
	header_axes(f, sw);
	fprintf(f, "trace,seeds");
	for (size_t k = 0; k < nm; k++) {
		csv_field(sw->metrics[k].name, q, sizeof(q));
		fprintf(f, ",%s.mean,%s.ci95", q, q);
	}
	fprintf(f, "\n");
	for (size_t g = 0; g * ns < sw->npoints; g++) {
		size_t first = g * ns, have = 0;
		for (size_t s = 0; s < ns; s++)
			have += t->have[first + s];
		if (!have)
			continue;
		const struct sweep_point *p = &sw->points[first];
		axis_fields(f, sw, p->combo);
		fprintf(f, "%s,%zu", csv_field(sw->traces[p->trace].name, q, sizeof(q)), have);
		for (size_t k = 0; k < nm; k++) {
			size_t n = 0;
			for (size_t s = 0; s < ns; s++)
				if (t->ok[(first + s) * nm + k])
					x[n++] = t->vals[(first + s) * nm + k];
			double mean, ci;
			sweep_mean_ci(x, n, &mean, &ci);
			fmt_stat(a, sizeof(a), mean);
			fmt_stat(b, sizeof(b), ci);
			fprintf(f, ",%s,%s", a, b);
		}
		fprintf(f, "\n");
	}
	free(x);
}

/* Write path through path.tmp and a rename, so a reader never sees half. */
static int write_file(const char *dir, const char *name, const struct sweep *sw,
		      const struct table *t,
		      void (*fn)(FILE *, const struct sweep *, const struct table *), char *err)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return errf(err, "%s: cannot write: %s", tmp, strerror(errno));
	fn(f, sw, t);
	if (ferror(f) | (fclose(f) != 0) || rename(tmp, path))
		return errf(err, "%s: cannot write: %s", path, strerror(errno));
	return 0;
}

int sweep_write_results(const struct sweep *sw, const char *dir, const bool *use, size_t *rows,
			char *err)
{
	struct table t;
	*rows = read_points(sw, dir, use, &t);
	int rc = write_file(dir, "results.csv", sw, &t, write_results, err);
	if (!rc && sw->nseeds > 1)
		rc = write_file(dir, "summary.csv", sw, &t, write_summary, err);
	free(t.vals);
	free(t.ok);
	free(t.integral);
	free(t.have);
	return rc;
}
