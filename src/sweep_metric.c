/* Sweep metrics: the columns of results.csv, computed from a point's stats
 * file (docs/sweeps.md, "Metrics").
 *
 *   metric = [SCALE "*"] TERM ["/" TERM]
 *   TERM   = a counter ("core0.dtlb.miss", "llc.miss")
 *          | "result.cycles" | "result.value_mismatches" | "result.process_kills"
 *          | "coreN.accesses"          (coreN.loads + coreN.stores + coreN.fetches)
 *          | "core*." NAME             (the sum of coreN.NAME over the cores)
 *
 * and two shorthands: P.mpka = 1000*P.miss/A, misses per 1000 accesses, where
 * A is coreN.accesses when P starts with coreN. and core*.accesses otherwise;
 * P.miss_rate = P.miss/P.access. A missing counter or a zero denominator
 * gives an empty cell, not a zero. */
#include "src/sweep.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/jsonutil.h"

static const char *const result_names[] = {
	"result.cycles", "result.value_mismatches", "result.process_kills",
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && !strcmp(s + n - k, suffix);
}

static int parse_term(struct metric_term *t, const char *s)
{
	memset(t, 0, sizeof(*t));
	if (!strncmp(s, "core*.", 6)) {
		t->all_cores = true;
		s += 6;
	}
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof(t->name) || s[0] == '.' || s[n - 1] == '.')
		return -1;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			return -1;
	strcpy(t->name, s);
	return 0;
}

static void term_text(const struct metric_term *t, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s", t->all_cores ? "core*." : "", t->name);
}

/* "core12.accesses" -> 12 */
static bool core_accesses(const char *name, unsigned *core)
{
	int end = 0;
	return sscanf(name, "core%u.accesses%n", core, &end) == 1 && name[end] == '\0';
}

static bool is_counter(const struct sweep *sw, const char *name)
{
	for (size_t lo = 0, hi = sw->ncounters; lo < hi;) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, sw->counters[mid]);
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

static bool term_exists(const struct sweep *sw, const struct metric_term *t)
{
	char name[128];
	unsigned core;
	if (t->all_cores) {
		snprintf(name, sizeof(name), "core0.%s",
			 strcmp(t->name, "accesses") ? t->name : "loads");
		return is_counter(sw, name);
	}
	for (size_t i = 0; i < ARRAY_SIZE(result_names); i++)
		if (!strcmp(t->name, result_names[i]))
			return true;
	if (core_accesses(t->name, &core)) {
		snprintf(name, sizeof(name), "core%u.loads", core);
		return is_counter(sw, name);
	}
	return is_counter(sw, t->name);
}

static int no_counter(const struct sweep *sw, const char *metric, const struct metric_term *t,
		      bool plain, const char *place, char *err)
{
	char want[128], text[128];
	term_text(t, text, sizeof(text));
	snprintf(want, sizeof(want), "%s%s", t->all_cores ? "core0." : "", t->name);
	const char **all = calloc(sw->ncounters + ARRAY_SIZE(result_names), sizeof(char *));
	if (!all)
		abort();
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(result_names); i++)
		all[n++] = result_names[i];
	for (size_t i = 0; i < sw->ncounters; i++)
		all[n++] = sw->counters[i];
	const char *hint = json_suggest(want, all, n);
	char h[140] = "";
	if (hint && t->all_cores && !strncmp(hint, "core0.", 6))
		snprintf(h, sizeof(h), "; did you mean \"core*.%s\"?", hint + 6);
	else if (hint)
		snprintf(h, sizeof(h), "; did you mean \"%s\"?", hint);
	free(all);
	if (plain)
		return errf(err, "%s: %s: no such counter%s", place, metric, h);
	return errf(err, "%s: %s: %s: no such counter%s", place, metric, text, h);
}

/* The shorthands: "P.mpka" -> 1000 * P.miss / (coreN|core*).accesses,
 * "P.miss_rate" -> P.miss / P.access. num and den get the two terms (each
 * 256 bytes); false if name is no shorthand. */
static bool expand_shorthand(struct sweep_metric *m, const char *name, char *num, char *den)
{
	int len = (int)strlen(name);
	if (ends_with(name, ".mpka")) {
		unsigned core;
		int end = 0;
		snprintf(num, 256, "%.*s.miss", len - 5, name);
		if (sscanf(name, "core%u.%n", &core, &end) == 1 && end > 0)
			snprintf(den, 256, "core%u.accesses", core);
		else
			snprintf(den, 256, "core*.accesses");
		m->scale = 1000;
		m->has_scale = true;
		return true;
	}
	if (ends_with(name, ".miss_rate")) {
		snprintf(num, 256, "%.*s.miss", len - 10, name);
		snprintf(den, 256, "%.*s.access", len - 10, name);
		return true;
	}
	return false;
}

int sweep_metric_parse(struct sweep_metric *m, const char *name, const struct sweep *sw,
		       const char *place, char *err)
{
	memset(m, 0, sizeof(*m));
	m->scale = 1;
	char text[256], num[256], dbuf[256];
	if (strlen(name) >= sizeof(text))
		return errf(err, "%s: %.60s...: name too long", place, name);
	strcpy(text, name);
	const char *p = text, *den = NULL;
	char *end, *slash;
	double s = isdigit((unsigned char)text[0]) ? strtod(text, &end) : 0;
	if (s > 0 && *end == '*' && isfinite(s)) {      /* SCALE* */
		m->scale = s;
		m->has_scale = true;
		p = end + 1;
	}
	if ((slash = strchr(p, '/'))) {
		*slash = '\0';
		den = slash + 1;
	}
	bool plain = !den && !m->has_scale;
	if (plain && expand_shorthand(m, p, num, dbuf)) {
		p = num;
		den = dbuf;
		plain = false;
	}
	if (parse_term(&m->num, p) || (den && parse_term(&m->den, den)))
		return errf(err, "%s: %s: not a metric: expected COUNTER, SCALE*COUNTER or "
			    "[SCALE*]COUNTER/COUNTER (docs/sweeps.md)", place, name);
	m->has_den = den != NULL;
	const struct metric_term *missing = NULL;
	if (sw && !term_exists(sw, &m->num))
		missing = &m->num;
	else if (sw && m->has_den && !term_exists(sw, &m->den))
		missing = &m->den;
	if (missing)
		return no_counter(sw, name, missing, plain && missing == &m->num, place, err);
	m->name = strdup(name);
	if (!m->name)
		abort();
	return 0;
}

/* --- values -------------------------------------------------------------- */

static bool counter(const cJSON *counters, const char *name, double *v)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(counters, name);
	if (!cJSON_IsNumber(c))
		return false;
	*v = c->valuedouble;
	return true;
}

static bool accesses(const cJSON *counters, unsigned core, double *v)
{
	static const char *const parts[] = { "loads", "stores", "fetches" };
	char name[64];
	double x;
	*v = 0;
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		snprintf(name, sizeof(name), "core%u.%s", core, parts[i]);
		if (counter(counters, name, &x))
			*v += x;
		else if (i == 0)
			return false;
	}
	return true;
}

static bool term_value(const struct metric_term *t, const cJSON *stats, double *v)
{
	const cJSON *counters = cJSON_GetObjectItemCaseSensitive(stats, "counters");
	unsigned core;
	if (t->all_cores) {
		double sum = 0, x;
		unsigned n = 0;
		for (;; n++) {
			char name[160];
			snprintf(name, sizeof(name), "core%u.%s", n, t->name);
			bool ok = strcmp(t->name, "accesses") ? counter(counters, name, &x)
							      : accesses(counters, n, &x);
			if (!ok)
				break;
			sum += x;
		}
		*v = sum;
		return n > 0;
	}
	if (!strncmp(t->name, "result.", 7)) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(stats, "result");
		return counter(r, t->name + 7, v);
	}
	if (core_accesses(t->name, &core))
		return accesses(counters, core, v);
	return counter(counters, t->name, v);
}

bool sweep_metric_eval(const struct sweep_metric *m, const cJSON *stats, double *v,
		       bool *integral)
{
	double a, b = 1;
	if (!term_value(&m->num, stats, &a) || (m->has_den && !term_value(&m->den, stats, &b)))
		return false;
	if (b == 0)
		return false;
	*v = m->scale * a / b;
	*integral = !m->has_den && m->scale == floor(m->scale);
	return true;
}

void sweep_metric_format(char *buf, size_t n, bool ok, double v, bool integral)
{
	if (!ok)
		snprintf(buf, n, "%s", "");
	else if (integral)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.6g", v);
}
