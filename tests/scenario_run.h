/* Scenario helpers: run a trace text on a machine built from
 * configs/tiny.json plus -s overrides, with --check on. */
#ifndef MMSIM_TESTS_SCENARIO_RUN_H
#define MMSIM_TESTS_SCENARIO_RUN_H

#include "lib/config.h"
#include "lib/trace.h"
#include "src/machine.h"

struct run {
	struct mmsim_cfg cfg;
	struct trace tr;
	struct machine *m;
	char path[64];
	uint64_t boot_free;     /* free frames once the machine was built */
};

/* Load configs/tiny.json plus overrides (NULL-terminated) and a trace text
 * (single quotes stand for double quotes), run it with --check. */
void run_text(struct run *r, const char *const *sets, const char *json);
void run_free(struct run *r);
/* A counter's value; the test fails if there is no such counter. */
uint64_t run_stat(struct run *r, const char *name);
/* Every run ends with all processes gone: the free frames are those free
 * right after boot. */
void assert_conserved(struct run *r);

#endif
