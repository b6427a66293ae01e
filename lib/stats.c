/* The stats registry: names bound to counters that live in the units. */
#include "lib/stats.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct stat_entry {
	char *name;
	const uint64_t *p;
};

struct stats {
	struct stat_entry *e;
	size_t n, cap;
};

struct stats *stats_create(void)
{
	struct stats *st = calloc(1, sizeof(*st));
	if (!st)
		abort();
	return st;
}

void stats_destroy(struct stats *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		free(st->e[i].name);
	free(st->e);
	free(st);
}

void stats_add(struct stats *st, const uint64_t *counter, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 256;
		st->e = realloc(st->e, st->cap * sizeof(*st->e));
		if (!st->e)
			abort();
	}
	st->e[st->n].name = strdup(buf);
	st->e[st->n].p = counter;
	if (!st->e[st->n].name)
		abort();
	st->n++;
}

bool stats_get(const struct stats *st, const char *name, uint64_t *value)
{
	for (size_t i = 0; i < st->n; i++) {
		if (strcmp(st->e[i].name, name) == 0) {
			*value = *st->e[i].p;
			return true;
		}
	}
	return false;
}

size_t stats_count(const struct stats *st) { return st->n; }
const char *stats_name(const struct stats *st, size_t i) { return st->e[i].name; }
uint64_t stats_value(const struct stats *st, size_t i) { return *st->e[i].p; }
