/* The bare kernel fixture (kmm_fixture.h). */
#include "tests/kmm_fixture.h"

#include <criterion/criterion.h>
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"

void fx_init(struct fx *f, const char *const *sets)
{
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&f->cfg);
	cr_assert_eq(cfg_load(&f->cfg, "configs/tiny.json", err), 0, "%s", err);
	for (; sets && *sets; sets++)
		cr_assert_eq(cfg_set(&f->cfg, *sets, "-s", err), 0, "%s", err);
	cr_assert_eq(cfg_check(&f->cfg, "test", err), 0, "%s", err);
	cr_assert_leq(f->cfg.cores, 2, "the fixture has room for 2 cores");
	f->ms = memsys_create(&f->cfg, NULL, err);
	cr_assert_not_null(f->ms, "%s", err);
	for (unsigned i = 0; i < f->cfg.cores; i++)
		f->core[i] = core_create(&f->cfg, i, f->ms, NULL);
	f->k = kmm_create(&f->cfg, f->ms, f->core, f->cfg.cores, NULL);
}

void fx_fini(struct fx *f)
{
	kmm_destroy(f->k);
	for (unsigned i = 0; i < f->cfg.cores; i++)
		core_destroy(f->core[i]);
	memsys_destroy(f->ms);
}
