/* Reading the CSV files mmsim sweep writes (and any like them) for mmsim
 * plot: RFC 4180 fields, "" for a quote inside a quoted field, one record
 * per line, a header row naming the columns. */
#include "src/plot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/jsonutil.h"

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (!d)
		abort();
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* Split one line into fields appended to *cells; returns how many, or -1
 * for an unterminated quote. */
static long split_line(const char *line, char ***cells, size_t *n, size_t *cap)
{
	long fields = 0;
	const char *s = line;
	char *buf = malloc(strlen(line) + 1);
	if (!buf)
		abort();
	for (;;) {
		size_t o = 0;
		if (*s == '"') {
			for (s++;; s++) {
				if (!*s) {
					free(buf);
					return -1;
				}
				if (*s == '"' && s[1] == '"')
					buf[o++] = *s++;
				else if (*s == '"')
					break;
				else
					buf[o++] = *s;
			}
			s++;
		}
		while (*s && *s != ',')
			buf[o++] = *s++;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*cells = realloc(*cells, *cap * sizeof(char *));
			if (!*cells)
				abort();
		}
		(*cells)[(*n)++] = dup_n(buf, o);
		fields++;
		if (!*s)
			break;
		s++;                    /* the comma */
	}
	free(buf);
	return fields;
}

void csv_free(struct csv_table *t)
{
	for (size_t i = 0; i < t->ncols; i++)
		free(t->head[i]);
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cell[i]);
	free(t->head);
	free(t->cell);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

long csv_column(const struct csv_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->head[i], name))
			return (long)i;
	return -1;
}

int csv_read(struct csv_table *t, const char *path, char *err)
{
	memset(t, 0, sizeof(*t));
	FILE *f = fopen(path, "r");
	if (!f)
		return errf(err, "%s: cannot open: %s", path, strerror(errno));
	t->path = dup_n(path, strlen(path));
	char *line = NULL;
	size_t lcap = 0, ncells = 0, cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;
	while ((len = getline(&line, &lcap, f)) >= 0) {
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len && lineno > 1)
			continue;           /* a blank line (at the end) */
		char ***into = lineno == 1 ? &t->head : &t->cell;
		size_t *count = lineno == 1 ? &t->ncols : &ncells;
		size_t hcap = 0, *c = lineno == 1 ? &hcap : &cap;
		long fields = split_line(line, into, count, c);
		if (fields < 0) {
			rc = errf(err, "%s:%zu: a quoted field is not closed", path, lineno);
			break;
		}
		if (lineno > 1 && (size_t)fields != t->ncols) {
			rc = errf(err, "%s:%zu: %ld fields, but the header has %zu", path, lineno,
				  fields, t->ncols);
			break;
		}
		if (lineno > 1)
			t->nrows++;
	}
	free(line);
	fclose(f);
	if (!rc && lineno == 0)
		rc = errf(err, "%s: empty file: no header row", path);
	for (size_t i = 0; !rc && i < t->ncols; i++)
		for (size_t j = 0; !rc && j < i; j++)
			if (!strcmp(t->head[i], t->head[j]))
				rc = errf(err, "%s:1: column \"%s\" appears twice", path, t->head[i]);
	if (rc) {
		/* a ragged record's cells are not all counted in nrows: drop them */
		for (size_t i = t->nrows * t->ncols; i < ncells; i++)
			free(t->cell[i]);
		csv_free(t);
	}
	return rc;
}
