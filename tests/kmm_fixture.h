/* A bare machine for unit tests of the guest kernel: memory system, cores
 * and kmm built from configs/tiny.json (64 MiB, 1 core) plus -s overrides,
 * without a trace or a run loop. */
#ifndef MMSIM_TESTS_KMM_FIXTURE_H
#define MMSIM_TESTS_KMM_FIXTURE_H

#include "kernel/mm/kmm.h"
#include "lib/config.h"

struct fx {
	struct mmsim_cfg cfg;
	struct memsys *ms;
	struct core *core[2];
	struct kmm *k;
};

/* configs/tiny.json plus overrides (NULL-terminated, may be NULL); the
 * test fails on any error. At most 2 cores. */
void fx_init(struct fx *f, const char *const *sets);
void fx_fini(struct fx *f);

#endif
