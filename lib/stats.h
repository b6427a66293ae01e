/* The stats registry (DESIGN.md contract 6).
 *
 * Units keep their counters as plain uint64_t fields in their own structs
 * (the hot path only increments integers); at creation they register a name
 * and a pointer here. Reports are views of the registry, read at the end of
 * a run or when a snapshot is asked for. Names are dotted paths:
 * "core0.dtlb.miss", "mm.pgfault.anon", "buddy.normal.free.order3". */
#ifndef MMSIM_STATS_H
#define MMSIM_STATS_H

#include <stdio.h>
#include "lib/types.h"

struct stats;

struct stats *stats_create(void);
void stats_destroy(struct stats *st);

/* Register a counter. The name is printf-formatted and must be unique;
 * the pointer must stay valid until stats_destroy(). */
void stats_add(struct stats *st, const uint64_t *counter, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Value of a counter by name; returns false if there is none (cold path:
 * a linear search, for tests and reports). */
bool stats_get(const struct stats *st, const char *name, uint64_t *value);

size_t stats_count(const struct stats *st);
const char *stats_name(const struct stats *st, size_t i);
uint64_t stats_value(const struct stats *st, size_t i);

#endif
