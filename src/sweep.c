/* Sweep files: parsing and validation, the point list (see sweep.h and
 * docs/sweeps.md). Nothing here runs a simulation; a sweep that loads
 * without an error has points that all start. */
#include "src/sweep.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/jsonutil.h"
#include "lib/stats.h"
#include "lib/trace.h"
#include "src/machine.h"

#define MAX_POINTS 1000000
#define MAX_SEEDS 100000

static const char *const sweep_keys[] = {
	"name", "description", "base", "traces", "axes", "zip", "seeds", "metrics", "overrides",
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

uint64_t fnv1a64(const void *data, size_t n, uint64_t h)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t sweep_json_hash(const cJSON *config)
{
	char *text = cJSON_PrintUnformatted(config);
	if (!text)
		abort();
	uint64_t h = fnv1a64(text, strlen(text), FNV1A64_INIT);
	free(text);
	return h;
}

uint64_t sweep_config_hash(const struct mmsim_cfg *cfg)
{
	char *text = cfg_to_json(cfg);
	cJSON *j = cJSON_Parse(text);
	free(text);
	uint64_t h = sweep_json_hash(j);
	cJSON_Delete(j);
	return h;
}

/* --- paths --------------------------------------------------------------- */

/* rel read from a file in folder dir, as a path from the current folder,
 * with "." and "dir/.." components removed: "sweeps" + "../traces/x.json"
 * gives "traces/x.json". */
static char *resolve(const char *dir, const char *rel)
{
	size_t n = strlen(dir) + strlen(rel) + 3;
	char *joined = xcalloc(n, 1), *out = xcalloc(n, 1);
	char **comp = xcalloc(n, sizeof(char *));
	if (rel[0] == '/' || !strcmp(dir, "."))
		snprintf(joined, n, "%s", rel);
	else
		snprintf(joined, n, "%s/%s", dir, rel);
	bool abs = joined[0] == '/';
	size_t k = 0, o = 0;
	for (char *save, *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..") && k > 0 && strcmp(comp[k - 1], "..")) {
			k--;
			continue;
		}
		if (!strcmp(c, "..") && abs)
			continue;              /* "/.." is "/" */
		comp[k++] = c;
	}
	if (abs)
		out[o++] = '/';
	for (size_t i = 0; i < k; i++)
		o += (size_t)sprintf(out + o, "%s%s", i ? "/" : "", comp[i]);
	if (o == 0)
		strcpy(out, ".");
	free(comp);
	free(joined);
	return out;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	char *d = xstrdup(path);
	d[slash - path] = '\0';
	return d;
}

/* "dir/x.json" -> "x" */
static void stem(const char *path, char *out, size_t n)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t len = strlen(b);
	if (len > 5 && !strcmp(b + len - 5, ".json"))
		len -= 5;
	snprintf(out, n, "%.*s", (int)len, b);
}

/* --- the sweep file's members ------------------------------------------- */

static const char *kind(const cJSON *v)
{
	if (cJSON_IsObject(v)) return "an object";
	if (cJSON_IsArray(v)) return "an array";
	if (cJSON_IsString(v)) return "a string";
	if (cJSON_IsNumber(v)) return "a number";
	if (cJSON_IsBool(v)) return "a boolean";
	return "null";
}

/* A config value from JSON as cfg_set() reads it: 512 -> "512". */
static int scalar_text(const cJSON *v, char *buf, size_t n, const char *file,
		       const char *place, char *err)
{
	if (cJSON_IsString(v))
		snprintf(buf, n, "%s", v->valuestring);
	else if (cJSON_IsBool(v))
		snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNumber(v) && fabs(v->valuedouble) < 9007199254740992.0 &&
		 v->valuedouble == floor(v->valuedouble))
		snprintf(buf, n, "%.0f", v->valuedouble);
	else if (cJSON_IsNumber(v))
		snprintf(buf, n, "%.17g", v->valuedouble); /* cfg_set says why not */
	else
		return errf(err, "%s: %s: expected a number, a string or true/false, not %s",
			    file, place, kind(v));
	return 0;
}

static int dup_key(const cJSON *obj, const char *file, const char *place, char *err)
{
	for (const cJSON *m = obj->child; m; m = m->next)
		for (const cJSON *o = obj->child; o != m; o = o->next)
			if (!strcmp(o->string, m->string))
				return errf(err, "%s: %s%s%s: duplicate key", file, place,
					    *place ? "." : "", m->string);
	return 0;
}

/* Apply key=value to cfg; messages come from cfg_set(). The seed is not a
 * config key a sweep may set: it has "seeds". */
static int try_set(struct mmsim_cfg *cfg, const char *key, const char *value,
		   const char *origin, char *err)
{
	if (!strcmp(key, "seed"))
		return errf(err, "%s: seed: the seed is not set here; use \"seeds\"", origin);
	size_t n = strlen(key) + strlen(value) + 2;
	char *a = xcalloc(n, 1);
	snprintf(a, n, "%s=%s", key, value);
	int rc = cfg_set(cfg, a, origin, err);
	free(a);
	return rc;
}

static int parse_overrides(struct sweep *sw, const cJSON *ov, struct mmsim_cfg *base,
			   char *err)
{
	if (!ov)
		return 0;
	char origin[600];
	snprintf(origin, sizeof(origin), "%s: overrides", sw->path);
	if (!cJSON_IsObject(ov))
		return errf(err, "%s: expected an object of key: value, not %s", origin, kind(ov));
	if (dup_key(ov, sw->path, "overrides", err))
		return -1;
	sw->overrides = xcalloc((size_t)cJSON_GetArraySize(ov), sizeof(char *));
	const cJSON *m;
	cJSON_ArrayForEach(m, ov) {
		char place[256], val[512];
		snprintf(place, sizeof(place), "overrides.%s", m->string);
		if (scalar_text(m, val, sizeof(val), sw->path, place, err) ||
		    try_set(base, m->string, val, origin, err))
			return -1;
		size_t n = strlen(m->string) + strlen(val) + 2;
		char *a = xcalloc(n, 1);
		snprintf(a, n, "%s=%s", m->string, val);
		sw->overrides[sw->noverrides++] = a;
	}
	return 0;
}

static int parse_axes(struct sweep *sw, const cJSON *axes, const struct mmsim_cfg *base,
		      const cJSON *ov, char *err)
{
	if (!axes)
		return 0;
	char origin[600];
	snprintf(origin, sizeof(origin), "%s: axes", sw->path);
	if (!cJSON_IsObject(axes))
		return errf(err, "%s: expected an object of key: [values], not %s", origin,
			    kind(axes));
	if (dup_key(axes, sw->path, "axes", err))
		return -1;
	sw->axes = xcalloc((size_t)cJSON_GetArraySize(axes), sizeof(*sw->axes));
	const cJSON *m;
	cJSON_ArrayForEach(m, axes) {
		struct sweep_axis *a = &sw->axes[sw->naxes++];
		a->key = xstrdup(m->string);
		if (ov && cJSON_GetObjectItemCaseSensitive(ov, m->string))
			return errf(err, "%s: %s: also in \"overrides\" (a key is either swept "
				    "or fixed)", origin, m->string);
		if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) == 0)
			return errf(err, "%s.%s: expected a non-empty array of values, not %s",
				    origin, m->string, cJSON_IsArray(m) ? "an empty array" : kind(m));
		a->values = xcalloc((size_t)cJSON_GetArraySize(m), sizeof(char *));
		const cJSON *v;
		cJSON_ArrayForEach(v, m) {
			char place[256], val[512];
			snprintf(place, sizeof(place), "axes.%s[%zu]", m->string, a->nvalues);
			struct mmsim_cfg scratch = *base;
			if (scalar_text(v, val, sizeof(val), sw->path, place, err) ||
			    try_set(&scratch, m->string, val, origin, err))
				return -1;
			for (size_t i = 0; i < a->nvalues && !sw->zip; i++)
				if (!strcmp(a->values[i], val))
					return errf(err, "%s: %s: %s appears twice", sw->path,
						    place, val);
			a->values[a->nvalues++] = xstrdup(val);
		}
	}
	return 0;
}

static int parse_seeds(struct sweep *sw, const cJSON *s, uint64_t base_seed, char *err)
{
	if (!s) {
		sw->seeds = xcalloc(1, sizeof(uint64_t));
		sw->seeds[sw->nseeds++] = base_seed;
		return 0;
	}
	if (cJSON_IsNumber(s)) {
		uint64_t n;
		if (json_u64(s, false, &n, sw->path, "seeds", err))
			return -1;
		if (n < 1 || n > MAX_SEEDS)
			return errf(err, "%s: seeds: %" PRIu64 " seeds: must be 1..%d", sw->path,
				    n, MAX_SEEDS);
		sw->seeds = xcalloc(n, sizeof(uint64_t));
		for (uint64_t i = 0; i < n; i++)
			sw->seeds[sw->nseeds++] = base_seed + i;
		return 0;
	}
	if (!cJSON_IsArray(s) || cJSON_GetArraySize(s) == 0 ||
	    cJSON_GetArraySize(s) > MAX_SEEDS)
		return errf(err, "%s: seeds: expected a number of seeds (1..%d) or a non-empty "
			    "array of seeds", sw->path, MAX_SEEDS);
	sw->seeds = xcalloc((size_t)cJSON_GetArraySize(s), sizeof(uint64_t));
	const cJSON *v;
	cJSON_ArrayForEach(v, s) {
		char place[32];
		uint64_t x;
		snprintf(place, sizeof(place), "seeds[%zu]", sw->nseeds);
		if (json_u64(v, false, &x, sw->path, place, err))
			return -1;
		for (size_t i = 0; i < sw->nseeds; i++)
			if (sw->seeds[i] == x)
				return errf(err, "%s: %s: seed %" PRIu64 " appears twice",
					    sw->path, place, x);
		sw->seeds[sw->nseeds++] = x;
	}
	return 0;
}

static int parse_traces(struct sweep *sw, const cJSON *t, const char *dir, char *err)
{
	if (!t)
		return errf(err, "%s: traces: missing (an array of trace files)", sw->path);
	if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) == 0)
		return errf(err, "%s: traces: expected a non-empty array of trace files, not %s",
			    sw->path, cJSON_IsArray(t) ? "an empty array" : kind(t));
	sw->traces = xcalloc((size_t)cJSON_GetArraySize(t), sizeof(*sw->traces));
	const cJSON *v;
	cJSON_ArrayForEach(v, t) {
		size_t i = sw->ntraces;
		if (!cJSON_IsString(v))
			return errf(err, "%s: traces[%zu]: expected a string (a trace file), not %s",
				    sw->path, i, kind(v));
		struct sweep_trace *tr = &sw->traces[sw->ntraces++];
		tr->as_written = xstrdup(v->valuestring);
		tr->path = resolve(dir, v->valuestring);
		stem(tr->path, tr->name, sizeof(tr->name));
		for (size_t j = 0; j < i; j++)
			if (!strcmp(sw->traces[j].name, tr->name))
				return errf(err, "%s: traces[%zu]: same file name \"%s\" as "
					    "traces[%zu] (results.csv tells traces apart by name)",
					    sw->path, i, tr->name, j);
	}
	return 0;
}

/* --- points -------------------------------------------------------------- */

static int make_combos(struct sweep *sw, char *err)
{
	size_t n = 1;
	if (sw->zip && sw->naxes) {
		n = sw->axes[0].nvalues;
		for (size_t a = 1; a < sw->naxes; a++)
			if (sw->axes[a].nvalues != n)
				return errf(err, "%s: axes: \"zip\" needs axes of equal length: "
					    "%s has %zu values, %s has %zu", sw->path,
					    sw->axes[0].key, n, sw->axes[a].key,
					    sw->axes[a].nvalues);
	} else {
		for (size_t a = 0; a < sw->naxes; a++) {
			if (n > MAX_POINTS / sw->axes[a].nvalues)
				return errf(err, "%s: axes: more than %d combinations", sw->path,
					    MAX_POINTS);
			n *= sw->axes[a].nvalues;
		}
	}
	for (size_t i = 0; sw->zip && sw->naxes && i < n; i++)
		for (size_t j = 0; j < i; j++) {
			size_t a = 0;
			while (a < sw->naxes && !strcmp(sw->axes[a].values[i], sw->axes[a].values[j]))
				a++;
			if (a == sw->naxes)
				return errf(err, "%s: axes: zipped values %zu and %zu are the same "
					    "point", sw->path, j, i);
		}
	if (n > MAX_POINTS / sw->ntraces / sw->nseeds)
		return errf(err, "%s: more than %d points", sw->path, MAX_POINTS);
	sw->ncombos = n;
	sw->combo_value = xcalloc(n * (sw->naxes ? sw->naxes : 1), sizeof(size_t));
	for (size_t c = 0; c < n; c++) {
		size_t rest = c;      /* mixed radix, the last axis fastest */
		for (size_t a = sw->naxes; a-- > 0;) {
			size_t nv = sw->axes[a].nvalues;
			sw->combo_value[c * sw->naxes + a] = sw->zip ? c : rest % nv;
			rest /= nv;
		}
	}
	return 0;
}

/* "tlb.stlb.entries=512, mmu.pwc.pde.entries=0" */
static void combo_desc(const struct sweep *sw, size_t c, char *buf, size_t n)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t a = 0; a < sw->naxes && o < n; a++)
		o += (size_t)snprintf(buf + o, n - o, "%s%s=%s", a ? ", " : "", sw->axes[a].key,
				      sw->axes[a].values[sw->combo_value[c * sw->naxes + a]]);
}

static int make_configs(struct sweep *sw, const struct mmsim_cfg *base, char *err)
{
	sw->combo_cfg = xcalloc(sw->ncombos, sizeof(*sw->combo_cfg));
	for (size_t c = 0; c < sw->ncombos; c++) {
		struct mmsim_cfg *cfg = &sw->combo_cfg[c];
		char desc[400], origin[1024];
		combo_desc(sw, c, desc, sizeof(desc));
		*cfg = *base;
		for (size_t a = 0; a < sw->naxes; a++) {
			snprintf(origin, sizeof(origin), "%s: axes", sw->path);
			const struct sweep_axis *ax = &sw->axes[a];
			if (try_set(cfg, ax->key, ax->values[sw->combo_value[c * sw->naxes + a]],
				    origin, err))
				return -1;   /* checked one by one already; kept for safety */
		}
		if (sw->naxes)
			snprintf(origin, sizeof(origin), "%s: axes (%s)", sw->path, desc);
		else
			snprintf(origin, sizeof(origin), "%s: base and overrides", sw->path);
		if (cfg_check(cfg, origin, err))
			return -1;
	}
	return 0;
}

static void make_points(struct sweep *sw)
{
	sw->npoints = sw->ncombos * sw->ntraces * sw->nseeds;
	sw->points = xcalloc(sw->npoints, sizeof(*sw->points));
	int width = 4;
	for (size_t n = sw->npoints - 1; n >= 10000; n /= 10)
		width++;
	size_t i = 0;
	for (size_t c = 0; c < sw->ncombos; c++)
		for (size_t t = 0; t < sw->ntraces; t++)
			for (size_t s = 0; s < sw->nseeds; s++, i++) {
				struct sweep_point *p = &sw->points[i];
				snprintf(p->id, sizeof(p->id), "%0*zu", width, i);
				p->combo = c;
				p->trace = t;
				p->seed = sw->seeds[s];
				struct mmsim_cfg cfg;
				sweep_point_cfg(sw, p, &cfg);
				p->config_hash = sweep_config_hash(&cfg);
			}
}

void sweep_point_cfg(const struct sweep *sw, const struct sweep_point *p, struct mmsim_cfg *cfg)
{
	*cfg = sw->combo_cfg[p->combo];
	cfg->seed = p->seed;
}

/* Add the counter names of st to the sorted set sw->counters. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_counters(struct sweep *sw, struct stats *st, size_t *cap)
{
	size_t before = sw->ncounters;
	for (size_t i = 0; i < stats_count(st); i++) {
		const char *name = stats_name(st, i);
		if (before && bsearch(&name, sw->counters, before, sizeof(char *), cmp_str))
			continue;
		if (sw->ncounters == *cap) {
			*cap = *cap ? 2 * *cap : 1024;
			sw->counters = realloc(sw->counters, *cap * sizeof(char *));
			if (!sw->counters)
				abort();
		}
		sw->counters[sw->ncounters++] = xstrdup(name);
	}
	if (sw->ncounters)
		qsort(sw->counters, sw->ncounters, sizeof(char *), cmp_str);
}

/* FNV-1a 64 of a file's bytes, continuing from h. */
static uint64_t hash_file(const char *path, uint64_t h)
{
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;
	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		h = fnv1a64(buf, n, h);
	if (f)
		fclose(f);
	return h;
}

/* Load each trace once and build the machine of every (combo, trace): what
 * a run would reject at start (affinity to a core the machine lacks, ...)
 * is found here, and the machines name every counter there is. */
static int check_machines(struct sweep *sw, char *err)
{
	size_t cap = 0;
	for (size_t t = 0; t < sw->ntraces; t++) {
		struct sweep_trace *st = &sw->traces[t];
		struct trace tr;
		char terr[MMSIM_ERR_LEN];
		if (trace_load(&tr, st->path, terr))
			return errf(err, "%s: traces[%zu]: %s", sw->path, t, terr);
		st->hash = hash_file(st->path, FNV1A64_INIT);
		for (uint32_t i = 0; i < tr.npaths; i++)   /* the recordings it replays */
			st->hash = hash_file(tr.paths[i], st->hash);
		for (size_t c = 0; c < sw->ncombos; c++) {
			struct machine *m = machine_create(&sw->combo_cfg[c], &tr, 0, terr);
			if (!m) {
				char desc[400];
				combo_desc(sw, c, desc, sizeof(desc));
				trace_free(&tr);
				return errf(err, "%s: traces[%zu]%s%s%s: %s", sw->path, t,
					    *desc ? " with axes (" : "", desc, *desc ? ")" : "",
					    terr);
			}
			add_counters(sw, machine_stats(m), &cap);
			machine_destroy(m);
		}
		trace_free(&tr);
	}
	return 0;
}

/* --- metrics ------------------------------------------------------------- */

static void add_metric(struct sweep *sw, const char *name)
{
	char err[MMSIM_ERR_LEN];
	struct sweep_metric *m = &sw->metrics[sw->nmetrics];
	if (sweep_metric_parse(m, name, sw, "", err) == 0)
		sw->nmetrics++;   /* a default metric this machine lacks is left out */
}

/* cycles; dTLB and STLB misses per 1000 accesses and walk cycles, over all
 * cores and (machines of 2 to 4 cores) per core; page faults; LLC misses. */
static void default_metrics(struct sweep *sw)
{
	unsigned cores = 1;
	for (size_t c = 0; c < sw->ncombos; c++)
		if (sw->combo_cfg[c].cores > cores)
			cores = sw->combo_cfg[c].cores;
	sw->metrics = xcalloc(8 + 3 * 4, sizeof(*sw->metrics));
	static const char *const per_core[] = { "dtlb.mpka", "stlb.mpka", "walk.cycles" };
	add_metric(sw, "result.cycles");
	for (size_t k = 0; k < ARRAY_SIZE(per_core); k++) {
		char name[64];
		snprintf(name, sizeof(name), "core*.%s", per_core[k]);
		add_metric(sw, name);
	}
	for (unsigned i = 0; cores > 1 && cores <= 4 && i < cores; i++)
		for (size_t k = 0; k < ARRAY_SIZE(per_core); k++) {
			char name[64];
			snprintf(name, sizeof(name), "core%u.%s", i, per_core[k]);
			add_metric(sw, name);
		}
	add_metric(sw, "mm.pgfault");
	add_metric(sw, "llc.miss");
}

static int parse_metrics(struct sweep *sw, const cJSON *list, const char *opt, char *err)
{
	if (opt) {
		size_t n = 1;
		for (const char *p = opt; *p; p++)
			n += *p == ',';
		sw->metrics = xcalloc(n, sizeof(*sw->metrics));
		char *copy = xstrdup(opt);
		int rc = 0;
		for (char *save, *m = strtok_r(copy, ",", &save); m && !rc;
		     m = strtok_r(NULL, ",", &save))
			if (!(rc = sweep_metric_parse(&sw->metrics[sw->nmetrics], m, sw,
						      "--metrics", err)))
				sw->nmetrics++;
		free(copy);
		if (!rc && sw->nmetrics == 0)
			return errf(err, "--metrics: no metric names given");
		return rc;
	}
	if (!list) {
		default_metrics(sw);
		return 0;
	}
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
		return errf(err, "%s: metrics: expected a non-empty array of metric names, not %s",
			    sw->path, cJSON_IsArray(list) ? "an empty array" : kind(list));
	sw->metrics = xcalloc((size_t)cJSON_GetArraySize(list), sizeof(*sw->metrics));
	const cJSON *v;
	cJSON_ArrayForEach(v, list) {
		char place[600];
		snprintf(place, sizeof(place), "%s: metrics[%zu]", sw->path, sw->nmetrics);
		if (!cJSON_IsString(v))
			return errf(err, "%s: expected a string, not %s", place, kind(v));
		for (size_t i = 0; i < sw->nmetrics; i++)
			if (!strcmp(sw->metrics[i].name, v->valuestring))
				return errf(err, "%s: %s: named twice", place, v->valuestring);
		if (sweep_metric_parse(&sw->metrics[sw->nmetrics], v->valuestring, sw, place, err))
			return -1;
		sw->nmetrics++;
	}
	return 0;
}

/* --- loading ------------------------------------------------------------- */

static int check_top(struct sweep *sw, const cJSON *root, char *err)
{
	if (!cJSON_IsObject(root))
		return errf(err, "%s: expected a JSON object at the top level, not %s", sw->path,
			    kind(root));
	if (json_check_keys(root, sweep_keys, ARRAY_SIZE(sweep_keys), sw->path, "", err) ||
	    dup_key(root, sw->path, "", err))
		return -1;
	static const char *const strings[] = { "name", "description", "base" };
	for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, strings[i]);
		if (v && !cJSON_IsString(v))
			return errf(err, "%s: %s: expected a string, not %s", sw->path, strings[i],
				    kind(v));
	}
	const cJSON *zip = cJSON_GetObjectItemCaseSensitive(root, "zip");
	if (zip && !cJSON_IsBool(zip))
		return errf(err, "%s: zip: expected true or false, not %s", sw->path, kind(zip));
	sw->zip = cJSON_IsTrue(zip);
	if (!cJSON_GetObjectItemCaseSensitive(root, "base"))
		return errf(err, "%s: base: missing (the config file every point starts from)",
			    sw->path);
	return 0;
}

static int load_root(struct sweep *sw, const cJSON *root, const char *metrics, char *err)
{
	if (check_top(sw, root, err))
		return -1;
	char *dir = dir_of(sw->path);
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
	char def[64];
	stem(sw->path, def, sizeof(def));
	sw->name = xstrdup(name ? name->valuestring : def);
	sw->base = resolve(dir, cJSON_GetObjectItemCaseSensitive(root, "base")->valuestring);

	struct mmsim_cfg base;
	char cerr[MMSIM_ERR_LEN];
	cfg_defaults(&base);
	const cJSON *ov = cJSON_GetObjectItemCaseSensitive(root, "overrides");
	int rc = -1;
	if (cfg_load(&base, sw->base, cerr)) {
		errf(err, "%s: base: %s", sw->path, cerr);
	} else if (!parse_overrides(sw, ov, &base, err) &&
		   !parse_axes(sw, cJSON_GetObjectItemCaseSensitive(root, "axes"), &base, ov,
			       err) &&
		   !parse_seeds(sw, cJSON_GetObjectItemCaseSensitive(root, "seeds"), base.seed,
				err) &&
		   !parse_traces(sw, cJSON_GetObjectItemCaseSensitive(root, "traces"), dir,
				 err) &&
		   !make_combos(sw, err) && !make_configs(sw, &base, err) &&
		   !check_machines(sw, err) &&
		   !parse_metrics(sw, cJSON_GetObjectItemCaseSensitive(root, "metrics"), metrics,
				  err)) {
		make_points(sw);
		rc = 0;
	}
	free(dir);
	return rc;
}

int sweep_load(struct sweep *sw, const char *path, const char *metrics, char *err)
{
	memset(sw, 0, sizeof(*sw));
	sw->path = xstrdup(path);
	cJSON *root = json_load_file(path, err);
	int rc = root ? load_root(sw, root, metrics, err) : -1;
	cJSON_Delete(root);
	if (rc)
		sweep_free(sw);
	return rc;
}

void sweep_free(struct sweep *sw)
{
	for (size_t a = 0; a < sw->naxes; a++) {
		for (size_t v = 0; v < sw->axes[a].nvalues; v++)
			free(sw->axes[a].values[v]);
		free(sw->axes[a].values);
		free(sw->axes[a].key);
	}
	for (size_t t = 0; t < sw->ntraces; t++) {
		free(sw->traces[t].as_written);
		free(sw->traces[t].path);
	}
	for (size_t i = 0; i < sw->noverrides; i++)
		free(sw->overrides[i]);
	for (size_t i = 0; i < sw->nmetrics; i++)
		free(sw->metrics[i].name);
	for (size_t i = 0; i < sw->ncounters; i++)
		free(sw->counters[i]);
	free(sw->axes);
	free(sw->traces);
	free(sw->overrides);
	free(sw->metrics);
	free(sw->counters);
	free(sw->seeds);
	free(sw->combo_value);
	free(sw->combo_cfg);
	free(sw->points);
	free(sw->path);
	free(sw->name);
	free(sw->base);
	memset(sw, 0, sizeof(*sw));
}

/* --- the command line of a point ----------------------------------------- */

int sweep_run_argv(const struct sweep *sw, const struct sweep_point *p, const char *stats_path,
		   char **argv)
{
	int n = 0;
	char buf[64];
	argv[n++] = xstrdup("run");
	argv[n++] = xstrdup("-q");
	argv[n++] = xstrdup("-c");
	argv[n++] = xstrdup(sw->base);
	for (size_t i = 0; i < sw->noverrides; i++) {
		argv[n++] = xstrdup("-s");
		argv[n++] = xstrdup(sw->overrides[i]);
	}
	for (size_t a = 0; a < sw->naxes; a++) {
		const struct sweep_axis *ax = &sw->axes[a];
		const char *v = ax->values[sw->combo_value[p->combo * sw->naxes + a]];
		size_t len = strlen(ax->key) + strlen(v) + 2;
		argv[n++] = xstrdup("-s");
		argv[n] = xcalloc(len, 1);
		snprintf(argv[n++], len, "%s=%s", ax->key, v);
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, p->seed);
	argv[n++] = xstrdup("--seed");
	argv[n++] = xstrdup(buf);
	argv[n++] = xstrdup("--stats");
	argv[n++] = xstrdup(stats_path);
	argv[n++] = xstrdup(sw->traces[p->trace].path);
	argv[n] = NULL;
	return n;
}

void sweep_free_argv(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		free(argv[i]);
}
