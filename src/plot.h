/* mmsim plot: a figure from a sweep's results.csv or summary.csv
 * (docs/sweeps.md, "Plots").
 *
 * `mmsim plot CSV --x COL --y COL [--group COL]` reads the table, keeps the
 * rows --where selects, gathers them into one line per value of the group
 * columns, and writes a gnuplot script PREFIX.gp that holds the data (as
 * datablocks) and draws PREFIX.png and PREFIX.svg; then it runs gnuplot on
 * it. The script stands alone, so a figure can be restyled for a paper by
 * editing it and running gnuplot again, without mmsim.
 *
 * Rows that share a line and an x are the seeds of one setting: drawn as
 * their mean with a 95% confidence interval (sweep_mean_ci). Rows that share
 * them but differ in another axis are an error naming that axis (fix it
 * with --where, or split the lines with --group), never silently averaged.
 * Axis labels carry units derived from the column names (plot_unit). */
#ifndef MMSIM_PLOT_H
#define MMSIM_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

int cmd_plot(int argc, char **argv, FILE *out);

/* A CSV file (RFC 4180 quoting, one record per line): head[ncols], and
 * cell[r * ncols + c] for r < nrows. */
struct csv_table {
	char *path;
	char **head;
	size_t ncols;
	char **cell;
	size_t nrows;
};

/* Read path; -1 with "PATH:LINE: what" in err for a ragged or unterminated
 * record, an empty file or a duplicate column name. */
int csv_read(struct csv_table *t, const char *path, char *err);
void csv_free(struct csv_table *t);
/* The column named name, or -1. */
long csv_column(const struct csv_table *t, const char *name);

#define PLOT_MAX_WHERE 16
#define PLOT_MAX_GROUP 8

struct plot_opts {
	const char *csv, *x, *y, *errors, *title, *xlabel, *ylabel;
	const char *group[PLOT_MAX_GROUP];
	size_t ngroup;
	const char *where[PLOT_MAX_WHERE];  /* "COLUMN=VALUE" */
	size_t nwhere;
	bool logx, logy, no_errors;
	bool pdf;                           /* PREFIX.pdf too (pdfcairo) */
	const char *prefix;                 /* PREFIX.gp, PREFIX.png, PREFIX.svg */
};

/* The unit of a results.csv column ("cycles", "misses per 1000 accesses",
 * "bytes", "entries", ...), or NULL when the name says none. */
const char *plot_unit(const char *column, char *buf, size_t n);

/* The gnuplot script of the figure, allocated in *script; returns 0, or -1
 * with one "CSV: what" message in err. note gets a line for the user (how
 * rows were combined) or "". */
int plot_script(const struct plot_opts *o, const struct csv_table *t, char **script, char *note,
		size_t note_n, char *err);

#endif
