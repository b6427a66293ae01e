/* --check over the shipped traces, and the TLB / paging-structure-cache
 * agreement check catching a stale entry (issue 3, "Invariant checker"). */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lib/config.h"
#include "lib/trace.h"
#include "sim/cpu/core.h"
#include "sim/tlb/tlb.h"
#include "src/machine.h"

/* Every N-th kernel operation: N = 1 takes minutes on the larger traces
 * (each check walks every frame, page table and cache line). */
#define CHECK_EVERY 1000

/* Every trace in traces/ runs on the default machine (memory cut to 256M
 * so that each check is quick) with --check=CHECK_EVERY and the final
 * check, and none finds a broken invariant. */
Test(check, traces_run_clean, .timeout = 600)
{
	glob_t g;
	cr_assert_eq(glob("traces/*.json", 0, NULL, &g), 0, "no traces/*.json (run from the root)");
	cr_assert_geq(g.gl_pathc, 5);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];
		char err[MMSIM_ERR_LEN];
		struct mmsim_cfg cfg;
		struct trace tr = { 0 };
		cfg_defaults(&cfg);
		cr_assert_eq(cfg_load(&cfg, "configs/default.json", err), 0, "%s", err);
		cr_assert_eq(cfg_set(&cfg, "memory.size=256M", "-s", err), 0, "%s", err);
		cr_assert_eq(cfg_check(&cfg, "test", err), 0, "%s", err);
		cr_assert_eq(trace_load(&tr, path, err), 0, "%s", err);
		struct machine *m = machine_create(&cfg, &tr, CHECK_EVERY, err);
		cr_assert(m, "%s: %s", path, err);
		cr_assert_eq(machine_run(m, err), 0, "%s: --check: %s", path, err);
		cr_assert_eq(machine_mismatches(m), 0, "%s: %s", path, machine_events(m));
		machine_destroy(m);
		trace_free(&tr);
	}
	globfree(&g);
}

/* Corrupt one paging-structure-cache entry of core 0 while its mm runs. */
struct corrupt {
	const struct machine *m;
	bool done;
	uint64_t old_pfn;
};

static int corrupt_pwc(void *arg)
{
	struct corrupt *cp = arg;
	if (cp->done)
		return 0;
	const struct core *c = machine_core(cp->m, 0);
	struct tlb *t = c->walker.pwc[2];     /* the PDE cache: a PT's frame */
	for (size_t k = 0; t && k < (size_t)t->sets * t->ways; k++)
		if (t->e[k].flags & TLBE_VALID) {
			cp->old_pfn = t->e[k].pfn;
			t->e[k].pfn ^= 1;         /* now names the wrong table */
			cp->done = true;
			break;
		}
	return 0;
}

static int run_with_observer(const char *json, int (*fn)(void *), struct corrupt *cp,
			     char *err)
{
	char path[] = "/tmp/mmsim-check-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (const char *p = json; *p; p++)
		fputc(*p == '\'' ? '"' : *p, f);
	fclose(f);
	struct mmsim_cfg cfg;
	struct trace tr = { 0 };
	cfg_defaults(&cfg);
	cr_assert_eq(cfg_load(&cfg, "configs/tiny.json", err), 0, "%s", err);
	cr_assert_eq(cfg_check(&cfg, "test", err), 0, "%s", err);
	cr_assert_eq(trace_load(&tr, path, err), 0, "%s", err);
	struct machine *m = machine_create(&cfg, &tr, 1, err);
	cr_assert(m, "%s", err);
	cp->m = m;
	if (fn)
		machine_set_observer(m, fn, cp);
	int rc = machine_run(m, err);
	machine_destroy(m);
	trace_free(&tr);
	unlink(path);
	return rc;
}

#define PWC_TRACE \
	"{'processes': [{'threads': [{'cpu': 0, 'ops': [" \
	" {'op': 'mmap', 'name': 'a', 'length': '64K'}," \
	" {'op': 'stride', 'base': 'a', 'length': '64K', 'stride': 4096}," \
	" {'op': 'mmap', 'name': 'b', 'length': '64K'}," \
	" {'op': 'stride', 'base': 'b', 'length': '64K', 'stride': 4096}]}]}]}"

/* The same trace runs clean untouched, and --check stops it at the next
 * kernel operation once a PDE-cache entry names another frame. */
Test(check, stale_pwc_entry_is_caught)
{
	char err[MMSIM_ERR_LEN];
	struct corrupt cp = { 0 };
	cr_assert_eq(run_with_observer(PWC_TRACE, NULL, &cp, err), 0, "%s", err);
	cr_assert_eq(run_with_observer(PWC_TRACE, corrupt_pwc, &cp, err), -1,
		     "a corrupted PDE-cache entry went unnoticed");
	cr_assert(cp.done);
	cr_assert(strstr(err, "paging-structure cache holds a stale entry"), "%s", err);
}
