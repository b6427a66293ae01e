/* Views of a finished run: the human summary and the --stats JSON. */
#ifndef MMSIM_REPORT_H
#define MMSIM_REPORT_H

#include <stdio.h>
#include "lib/config.h"

struct machine;

struct run_info {
	const char *config_path;
	const char *trace_path;
	const struct mmsim_cfg *cfg;
	double host_seconds;
};

void report_summary(FILE *f, struct machine *m, const struct run_info *ri);
/* Write the stats JSON; returns 0 or -1 (errno set). */
int report_json(const char *path, struct machine *m, const struct run_info *ri);

#define MMSIM_VERSION "0.1.0"

#endif
