/* Running a small trace on a whole machine inside a test (the scenario
 * suites share these). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/stats.h"
#include "src/cli.h"
#include "tests/scenario_run.h"

/* Load configs/tiny.json plus overrides (NULL-terminated) and a trace text
 * (single quotes stand for double quotes), run it with --check. */
/* Counters named "buddy.*<suffix>" summed over every zone of every node. */
static uint64_t zone_sum(struct run *r, const char *suffix)
{
	const struct stats *st = machine_stats(r->m);
	size_t sl = strlen(suffix);
	uint64_t sum = 0;
	for (size_t i = 0; i < stats_count(st); i++) {
		const char *n = stats_name(st, i);
		size_t len = strlen(n);
		if (!strncmp(n, "buddy.", 6) && len > sl && !strcmp(n + len - sl, suffix))
			sum += stats_value(st, i);
	}
	return sum;
}

/* Frames the page allocator holds: on buddy lists or on per-CPU lists. */
static uint64_t free_pages(struct run *r)
{
	return zone_sum(r, ".free_pages") + zone_sum(r, ".pcp_pages");
}

void run_text(struct run *r, const char *const *sets, const char *json)
{
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&r->cfg);
	cr_assert_eq(cfg_load(&r->cfg, "configs/tiny.json", err), 0, "%s", err);
	for (; sets && *sets; sets++)
		cr_assert_eq(cfg_set(&r->cfg, *sets, "-s", err), 0, "%s", err);
	cr_assert_eq(cfg_check(&r->cfg, "test", err), 0, "%s", err);
	strcpy(r->path, "/tmp/mmsim-scn-XXXXXX");
	int fd = mkstemp(r->path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (const char *p = json; *p; p++)
		fputc(*p == '\'' ? '"' : *p, f);
	fclose(f);
	cr_assert_eq(trace_load(&r->tr, r->path, err), 0, "%s", err);
	r->m = machine_create(&r->cfg, &r->tr, true, err);
	cr_assert(r->m, "%s", err);
	r->boot_free = free_pages(r);
	cr_assert_eq(machine_run(r->m, err), 0, "--check: %s", err);
}

void run_free(struct run *r)
{
	machine_destroy(r->m);
	trace_free(&r->tr);
	unlink(r->path);
}

uint64_t run_stat(struct run *r, const char *name)
{
	uint64_t v;
	cr_assert(stats_get(machine_stats(r->m), name, &v), "no counter %s", name);
	return v;
}

/* Every run ends with all processes gone: every frame taken since boot is
 * back with the page allocator (buddy or per-CPU lists), and so are the
 * PML4s of the trace's processes, which machine_create made. */
void assert_conserved(struct run *r)
{
	cr_assert_eq(free_pages(r), r->boot_free + r->tr.nprocs, "frames free at the end %llu, at boot %llu",
		     (unsigned long long)free_pages(r), (unsigned long long)(r->boot_free + r->tr.nprocs));
}
