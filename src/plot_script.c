/* The gnuplot script of `mmsim plot` (src/plot.h): rows of the CSV into
 * lines of points, units into the axis labels, then the script that draws
 * them into a PNG and an SVG. */
#include "src/plot.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/jsonutil.h"
#include "src/sweep.h"

/* --- units ------------------------------------------------------------------ */

static bool ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* The noun a denominator counts: "core0.walk.count" -> "walk",
 * "core0.accesses" -> "access". */
static void den_noun(const char *den, char *buf, size_t n)
{
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%s", den);
	char *last = strrchr(tmp, '.');
	if (last && !strcmp(last, ".count")) {
		*last = '\0';
		last = strrchr(tmp, '.');
	}
	const char *w = last ? last + 1 : tmp;
	size_t len = strlen(w);
	if (len > 2 && ends(w, "es") && ends(w, "sses"))
		len -= 2;             /* accesses -> access */
	else if (len > 1 && ends(w, "s") && !ends(w, "ss"))
		len -= 1;             /* loads -> load */
	snprintf(buf, n, "%.*s", (int)len, w);
}

/* What a plain counter or config key counts, from its last name part. */
static const char *simple_unit(const char *c)
{
	static const struct {
		const char *suffix, *unit;
	} table[] = {
		{ ".mpka", "misses per 1000 accesses" },
		{ "miss_rate", "fraction of accesses" },
		{ "hit_rate", "fraction of accesses" },
		{ ".cycles", "cycles" }, { "latency", "cycles" }, { ".tcas", "cycles" },
		{ ".trcd", "cycles" }, { ".trp", "cycles" }, { ".burst", "cycles" },
		{ ".controller", "cycles" },
		{ ".size", "bytes" }, { ".row", "bytes" },
		{ ".entries", "entries" }, { ".ways", "ways" }, { ".nodes", "nodes" },
		{ ".channels", "channels" }, { ".banks", "banks" },
		{ ".miss", "misses" }, { ".misses", "misses" }, { ".hit", "hits" },
		{ ".hits", "hits" }, { ".access", "accesses" }, { ".accesses", "accesses" },
		{ ".loads", "loads" }, { ".stores", "stores" }, { ".fetches", "fetches" },
		{ "pgfault", "faults" }, { ".faults", "faults" },
		{ ".count", "count" }, { ".pages", "pages" },
	};
	if (!strcmp(c, "cores"))
		return "cores";
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (ends(c, table[i].suffix))
			return table[i].unit;
	return NULL;
}

const char *plot_unit(const char *column, char *buf, size_t n)
{
	char name[256];
	snprintf(name, sizeof(name), "%s", column);
	if (ends(name, ".mean") || ends(name, ".ci95"))
		name[strlen(name) - 5] = '\0';
	char *slash = strchr(name, '/');
	if (!slash) {
		const char *u = simple_unit(name);
		if (u)
			snprintf(buf, n, "%s", u);
		return u ? buf : NULL;
	}
	/* SCALE*NUM/DEN */
	*slash = '\0';
	const char *num = name, *star = strchr(name, '*');
	char scale[32] = "";
	if (star) {
		snprintf(scale, sizeof(scale), "%.*s ", (int)(star - name), name);
		num = star + 1;
	}
	char noun[64];
	den_noun(slash + 1, noun, sizeof(noun));
	const char *u = simple_unit(num);
	snprintf(buf, n, "%s per %s%s", u ? u : "count", scale, noun);
	return buf;
}

/* "NAME (UNIT)", "NAME, mean of seeds (UNIT)" for summary.csv's columns. */
static void axis_label(const char *column, const char *given, char *buf, size_t n)
{
	char u[128], name[256];
	if (given) {
		snprintf(buf, n, "%s", given);
		return;
	}
	snprintf(name, sizeof(name), "%s", column);
	bool mean = ends(name, ".mean");
	if (mean)
		name[strlen(name) - 5] = '\0';
	const char *unit = plot_unit(column, u, sizeof(u));
	snprintf(buf, n, "%s%s%s%s%s", name, mean ? ", mean over seeds" : "", unit ? " (" : "",
		 unit ? unit : "", unit ? ")" : "");
}

/* --- rows into lines ------------------------------------------------------------ */

enum xkind { X_NUMBER, X_SIZE, X_CATEGORY };

struct xval {
	const char *text;
	double v;
};

struct pt {
	size_t group, x;
	double y, e;
	bool has_e;
	size_t n;                /* rows averaged */
};

struct plot {
	const struct plot_opts *o;
	const struct csv_table *t;
	long xi, yi, ei, gi[PLOT_MAX_GROUP], wi[PLOT_MAX_WHERE];
	const char *wv[PLOT_MAX_WHERE];
	bool identity[4096];     /* columns that tell settings apart */
	enum xkind kind;
	struct xval *xs;
	size_t nx;
	char **groups;           /* "v1, v2" of the group columns */
	size_t ngroups;
	struct pt *pts;
	size_t npts, averaged;
	char *err;
};

static const char *cell(const struct plot *p, size_t row, long col)
{
	return p->t->cell[row * p->t->ncols + (size_t)col];
}

static bool number(const char *s, double *v)
{
	char *end;
	if (!*s)
		return false;
	*v = strtod(s, &end);
	return !*end && isfinite(*v);
}

static int no_column(const struct plot *p, const char *opt, const char *name)
{
	char cols[1024] = "";
	size_t o = 0;
	for (size_t i = 0; i < p->t->ncols && o + 4 < sizeof(cols); i++)
		o += (size_t)snprintf(cols + o, sizeof(cols) - o, "%s%s", i ? ", " : "",
				      p->t->head[i]);
	return errf(p->err, "%s: %s: no column \"%s\"; the columns are: %s", p->t->path, opt, name,
		    cols);
}

static int find_columns(struct plot *p)
{
	const struct plot_opts *o = p->o;
	const struct csv_table *t = p->t;
	if ((p->xi = csv_column(t, o->x)) < 0)
		return no_column(p, "--x", o->x);
	if ((p->yi = csv_column(t, o->y)) < 0)
		return no_column(p, "--y", o->y);
	p->ei = -1;
	if (o->errors && (p->ei = csv_column(t, o->errors)) < 0)
		return no_column(p, "--errors", o->errors);
	if (!o->errors && !o->no_errors && ends(o->y, ".mean")) {
		char ci[256];     /* summary.csv: Y.ci95 beside Y.mean */
		snprintf(ci, sizeof(ci), "%.*s.ci95", (int)strlen(o->y) - 5, o->y);
		p->ei = csv_column(t, ci);
	}
	for (size_t g = 0; g < o->ngroup; g++)
		if ((p->gi[g] = csv_column(t, o->group[g])) < 0)
			return no_column(p, "--group", o->group[g]);
	for (size_t w = 0; w < o->nwhere; w++) {
		const char *eq = strchr(o->where[w], '=');
		char name[256];
		if (!eq || eq == o->where[w])
			return errf(p->err, "--where %s: needs COLUMN=VALUE", o->where[w]);
		snprintf(name, sizeof(name), "%.*s", (int)(eq - o->where[w]), o->where[w]);
		if ((p->wi[w] = csv_column(t, name)) < 0)
			return no_column(p, "--where", name);
		p->wv[w] = eq + 1;
	}
	/* A sweep's tables: the columns before seed (results.csv) or seeds
	 * (summary.csv) are the axes and the trace; other tables have none. */
	long s = csv_column(t, "seed");
	if (s < 0)
		s = csv_column(t, "seeds");
	if (t->ncols > ARRAY_SIZE(p->identity))
		return errf(p->err, "%s: more than %zu columns", t->path, ARRAY_SIZE(p->identity));
	for (long c = 0; c < s; c++)
		p->identity[c] = strcmp(t->head[c], "point") != 0;
	p->identity[p->xi] = false;
	for (size_t g = 0; g < o->ngroup; g++)
		p->identity[p->gi[g]] = false;
	return 0;
}

static bool selected(const struct plot *p, size_t r)
{
	for (size_t w = 0; w < p->o->nwhere; w++)
		if (strcmp(cell(p, r, p->wi[w]), p->wv[w]))
			return false;
	return true;
}

/* A --where value no row has is a typo: say which values there are. */
static int check_where(struct plot *p)
{
	for (size_t w = 0; w < p->o->nwhere; w++) {
		bool found = false;
		for (size_t r = 0; r < p->t->nrows && !found; r++)
			found = !strcmp(cell(p, r, p->wi[w]), p->wv[w]);
		if (found)
			continue;
		char vals[512] = "";
		size_t o = 0, shown = 0;
		for (size_t r = 0; r < p->t->nrows && shown < 12 && o + 4 < sizeof(vals); r++) {
			const char *v = cell(p, r, p->wi[w]);
			bool seen = false;
			for (size_t q = 0; q < r && !seen; q++)
				seen = !strcmp(cell(p, q, p->wi[w]), v);
			if (!seen) {
				o += (size_t)snprintf(vals + o, sizeof(vals) - o, "%s%s",
						      shown++ ? ", " : "", v);
			}
		}
		return errf(p->err, "%s: --where %s: no row has that value; the values are: %s",
			    p->t->path, p->o->where[w], vals);
	}
	return 0;
}

static size_t intern_x(struct plot *p, const char *text)
{
	for (size_t i = 0; i < p->nx; i++)
		if (!strcmp(p->xs[i].text, text))
			return i;
	p->xs = realloc(p->xs, (p->nx + 1) * sizeof(*p->xs));
	if (!p->xs)
		abort();
	p->xs[p->nx].text = text;
	p->xs[p->nx].v = 0;
	return p->nx++;
}

static size_t intern_group(struct plot *p, size_t row)
{
	char key[1024] = "";
	size_t o = 0;
	for (size_t g = 0; g < p->o->ngroup && o + 4 < sizeof(key); g++)
		o += (size_t)snprintf(key + o, sizeof(key) - o, "%s%s", g ? ", " : "",
				      cell(p, row, p->gi[g]));
	if (!p->o->ngroup)
		snprintf(key, sizeof(key), "%s", p->o->y);
	for (size_t i = 0; i < p->ngroups; i++)
		if (!strcmp(p->groups[i], key))
			return i;
	p->groups = realloc(p->groups, (p->ngroups + 1) * sizeof(char *));
	if (!p->groups || !(p->groups[p->ngroups] = strdup(key)))
		abort();
	return p->ngroups++;
}

/* x values: all numbers, else all sizes ("4K", "1M"), else categories in
 * the order first seen. */
static void x_values(struct plot *p)
{
	bool num = true, size = true;
	for (size_t i = 0; i < p->nx; i++) {
		double v;
		uint64_t u;
		num &= number(p->xs[i].text, &v);
		size &= parse_u64(p->xs[i].text, true, &u) == 0;
	}
	p->kind = num ? X_NUMBER : size ? X_SIZE : X_CATEGORY;
	for (size_t i = 0; i < p->nx; i++) {
		uint64_t u = 0;
		if (p->kind == X_NUMBER)
			number(p->xs[i].text, &p->xs[i].v);
		else if (p->kind == X_SIZE && !parse_u64(p->xs[i].text, true, &u))
			p->xs[i].v = (double)u;
		else
			p->xs[i].v = (double)i;
	}
}

/* Rows that fall on one point must be seeds of one setting. */
static int same_setting(struct plot *p, size_t a, size_t b)
{
	for (size_t c = 0; c < p->t->ncols; c++) {
		if (!p->identity[c] || !strcmp(cell(p, a, (long)c), cell(p, b, (long)c)))
			continue;
		const char *col = p->t->head[c];
		return errf(p->err, "%s: rows %zu and %zu fall on the same point (%s=%s) but differ "
			    "in %s (%s, %s): keep one with --where %s=%s, or draw a line each with "
			    "--group %s", p->t->path, a + 2, b + 2, p->o->x, cell(p, a, p->xi), col,
			    cell(p, a, (long)c), cell(p, b, (long)c), col, cell(p, a, (long)c), col);
	}
	return 0;
}

static int gather(struct plot *p)
{
	size_t nr = p->t->nrows;
	size_t *pt_of = calloc(nr + 1, sizeof(size_t)), *first = calloc(nr + 1, sizeof(size_t));
	double *ys = calloc(nr + 1, sizeof(double));
	p->pts = calloc(nr + 1, sizeof(*p->pts));
	if (!pt_of || !first || !ys || !p->pts)
		abort();
	int rc = 0;
	for (size_t r = 0; r < nr && !rc; r++) {
		pt_of[r] = SIZE_MAX;
		const char *ytext = cell(p, r, p->yi);
		double y, e = 0;
		if (!selected(p, r) || !*ytext)
			continue;          /* an empty cell: no value there */
		if (!number(ytext, &y)) {
			rc = errf(p->err, "%s:%zu: %s: \"%s\" is not a number", p->t->path, r + 2,
				  p->o->y, ytext);
			break;
		}
		const char *etext = p->ei >= 0 ? cell(p, r, p->ei) : "";
		if (*etext && !number(etext, &e)) {
			rc = errf(p->err, "%s:%zu: %s: \"%s\" is not a number", p->t->path, r + 2,
				  p->t->head[p->ei], etext);
			break;
		}
		size_t g = intern_group(p, r), x = intern_x(p, cell(p, r, p->xi)), k;
		for (k = 0; k < p->npts; k++)
			if (p->pts[k].group == g && p->pts[k].x == x)
				break;
		if (k == p->npts) {
			p->pts[p->npts++] = (struct pt){ .group = g, .x = x, .y = y, .e = e,
							 .has_e = *etext != '\0', .n = 1 };
			first[k] = r;
		} else if (p->o->errors) {
			rc = errf(p->err, "%s: rows %zu and %zu fall on the same point (%s=%s): "
				  "--errors needs one row per point", p->t->path, first[k] + 2, r + 2,
				  p->o->x, cell(p, r, p->xi));
		} else {
			rc = same_setting(p, first[k], r);
			p->pts[k].n++;
		}
		pt_of[r] = k;
		ys[r] = y;
	}
	/* several seeds on a point: their mean and 95% confidence interval */
	double *x = calloc(nr + 1, sizeof(double));
	if (!x)
		abort();
	for (size_t k = 0; !rc && k < p->npts; k++) {
		if (p->pts[k].n < 2)
			continue;
		size_t n = 0;
		for (size_t r = 0; r < nr; r++)
			if (pt_of[r] == k)
				x[n++] = ys[r];
		sweep_mean_ci(x, n, &p->pts[k].y, &p->pts[k].e);
		p->pts[k].has_e = !p->o->no_errors;
		p->averaged++;
	}
	free(x);
	free(pt_of);
	free(first);
	free(ys);
	if (!rc && !p->npts)
		rc = errf(p->err, "%s: no rows to plot (%s is empty in every row%s)", p->t->path,
			  p->o->y, p->o->nwhere ? " --where keeps" : "");
	return rc;
}

static int check_log(struct plot *p)
{
	if (p->o->logx && p->kind == X_CATEGORY)
		return errf(p->err, "%s: --logx: %s has values that are not numbers (%s)",
			    p->t->path, p->o->x, p->xs[0].text);
	for (size_t k = 0; k < p->npts; k++) {
		if (p->o->logx && p->xs[p->pts[k].x].v <= 0)
			return errf(p->err, "%s: --logx: %s=%s is not positive", p->t->path, p->o->x,
				    p->xs[p->pts[k].x].text);
		if (p->o->logy && p->pts[k].y <= 0)
			return errf(p->err, "%s: --logy: %s has the value %g at %s=%s, not positive",
				    p->t->path, p->o->y, p->pts[k].y, p->o->x, p->xs[p->pts[k].x].text);
	}
	return 0;
}

/* --- the script -------------------------------------------------------------------- */

/* s as a gnuplot double-quoted string */
static void gp_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static int by_x(const void *a, const void *b, void *arg)
{
	const struct plot *p = arg;
	const struct pt *pa = a, *pb = b;
	double xa = p->xs[pa->x].v, xb = p->xs[pb->x].v;
	if (pa->group != pb->group)
		return pa->group < pb->group ? -1 : 1;
	return xa < xb ? -1 : xa > xb;
}

static void write_data(FILE *f, const struct plot *p)
{
	for (size_t g = 0; g < p->ngroups; g++) {
		fprintf(f, "$line%zu << EOD\n# x y err rows  (", g + 1);
		fprintf(f, "%s)\n", p->groups[g]);
		for (size_t k = 0; k < p->npts; k++) {
			const struct pt *q = &p->pts[k];
			if (q->group == g)
				fprintf(f, "%.17g %.17g %.17g %zu\n", p->xs[q->x].v, q->y,
					q->has_e && !isnan(q->e) ? q->e : 0.0, q->n);
		}
		fprintf(f, "EOD\n");
	}
}

static void write_axes(FILE *f, const struct plot *p)
{
	const struct plot_opts *o = p->o;
	char label[512];
	fprintf(f, "\nset grid\nset border 3\nset tics nomirror\nset style data linespoints\n");
	axis_label(o->x, o->xlabel, label, sizeof(label));
	fprintf(f, "set xlabel ");
	gp_str(f, label);
	axis_label(o->y, o->ylabel, label, sizeof(label));
	fprintf(f, "\nset ylabel ");
	gp_str(f, label);
	fputc('\n', f);
	if (o->title) {
		fprintf(f, "set title ");
		gp_str(f, o->title);
		fputc('\n', f);
	}
	if (o->logx)
		fprintf(f, "set logscale x %d\n", p->kind == X_SIZE ? 2 : 10);
	if (o->logy)
		fprintf(f, "set logscale y 10\n");
	/* ticks at the swept values, labelled as the sweep wrote them */
	if (p->kind != X_NUMBER || p->nx <= 16) {
		fprintf(f, "set xtics (");
		for (size_t i = 0; i < p->nx; i++) {
			fprintf(f, "%s", i ? ", " : "");
			gp_str(f, p->xs[i].text);
			fprintf(f, " %.17g", p->xs[i].v);
		}
		fprintf(f, ")\n");
	}
	if (p->kind == X_CATEGORY)
		fprintf(f, "set xrange [-0.5:%zu.5]\n", p->nx - 1);
	else if (p->nx == 1)
		fprintf(f, "set offsets graph 0.1, graph 0.1, 0, 0\n");
	else                     /* the data's own range, not the next decade */
		fprintf(f, "set autoscale xfix\nset offsets graph 0.05, graph 0.05, 0, 0\n");
	double ymax = 0;
	for (size_t k = 0; k < p->npts; k++)
		ymax = fmax(ymax, fabs(p->pts[k].y) + (p->pts[k].has_e ? p->pts[k].e : 0));
	if (ymax >= 1e5)         /* 24.56M, not 2.456e+07 */
		fprintf(f, "set format y \"%%.2s%%c\"\n");
	fprintf(f, "set key outside right top box");
	if (o->ngroup) {
		char title[512] = "";
		size_t n = 0;
		for (size_t g = 0; g < o->ngroup && n + 4 < sizeof(title); g++)
			n += (size_t)snprintf(title + n, sizeof(title) - n, "%s%s", g ? ", " : "",
					      o->group[g]);
		fprintf(f, " title ");
		gp_str(f, title);
	}
	fputc('\n', f);
}

static void write_plot(FILE *f, const struct plot *p)
{
	/* point shapes and dashes apart, so that lines differ in print too */
	static const int shape[] = { 7, 5, 9, 11, 13, 3, 1, 2 };
	fprintf(f, "plot ");
	for (size_t g = 0; g < p->ngroups; g++) {
		bool errs = false;
		for (size_t k = 0; k < p->npts; k++)
			errs |= p->pts[k].group == g && p->pts[k].has_e;
		fprintf(f, "%s$line%zu using 1:2%s with %s lw 2 pt %d ps 1 dt %zu title ",
			g ? ", \\\n     " : "", g + 1, errs ? ":3" : "",
			errs ? "yerrorlines" : "linespoints", shape[g % ARRAY_SIZE(shape)], g % 5 + 1);
		char title[1100];
		snprintf(title, sizeof(title), "%s%s", p->groups[g],
			 errs && p->averaged ? " (mean of seeds, 95% CI)" : "");
		gp_str(f, title);
	}
	fputc('\n', f);
}

static void write_script(FILE *f, const struct plot *p)
{
	const struct plot_opts *o = p->o;
	fprintf(f, "# Written by mmsim plot from %s: %s against %s.\n", p->t->path, o->y, o->x);
	fprintf(f, "# Edit and rerun with `gnuplot THIS_FILE`; it needs nothing else.\n");
	if (p->averaged)
		fprintf(f, "# Points drawn from several rows (seeds) are their mean, the error bar "
			"the 95%% confidence interval.\n");
	write_data(f, p);
	write_axes(f, p);
	fprintf(f, "\nset terminal pngcairo size 1000,600 font \"sans,12\" noenhanced\nset output ");
	char path[4200];
	snprintf(path, sizeof(path), "%s.png", o->prefix);
	gp_str(f, path);
	fputc('\n', f);
	write_plot(f, p);
	fprintf(f, "\nset terminal svg size 1000,600 dynamic font \"sans,12\" noenhanced\nset output ");
	snprintf(path, sizeof(path), "%s.svg", o->prefix);
	gp_str(f, path);
	fprintf(f, "\nreplot\n");
	if (o->pdf) {            /* a paper's column width, its font size */
		fprintf(f, "\nset terminal pdfcairo size 5in,3in font \"sans,8\" noenhanced\n"
			"set output ");
		snprintf(path, sizeof(path), "%s.pdf", o->prefix);
		gp_str(f, path);
		fprintf(f, "\nreplot\n");
	}
	fprintf(f, "unset output\n");
}

int plot_script(const struct plot_opts *o, const struct csv_table *t, char **script, char *note,
		size_t note_n, char *err)
{
	struct plot p = { .o = o, .t = t, .err = err };
	note[0] = '\0';
	*script = NULL;
	int rc = find_columns(&p);
	if (!rc)
		rc = check_where(&p);
	if (!rc)
		rc = gather(&p);
	if (!rc) {
		x_values(&p);
		rc = check_log(&p);
	}
	if (!rc) {
		qsort_r(p.pts, p.npts, sizeof(*p.pts), by_x, &p);
		size_t len;
		FILE *m = open_memstream(script, &len);
		write_script(m, &p);
		fclose(m);
		if (p.averaged)
			snprintf(note, note_n, "%zu of %zu points are the mean of several rows (seeds), "
				 "with 95%% confidence intervals", p.averaged, p.npts);
	}
	for (size_t g = 0; g < p.ngroups; g++)
		free(p.groups[g]);
	free(p.groups);
	free(p.xs);
	free(p.pts);
	return rc;
}
