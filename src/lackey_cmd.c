/* `mmsim lackey`: replay a Valgrind lackey trace (valgrind --tool=lackey
 * --trace-mem=yes) through the configured cache hierarchy, with identity
 * translation (the recorded virtual addresses are used as physical ones) on
 * core 0, and print cachegrind's totals. With configs/cachegrind.json (or
 * its geometry overridden with -s) the counts equal cachegrind's for the
 * same run; docs/cache-model.md says how records map to accesses. */
#include "src/cli.h"

#include <stdlib.h>
#include <string.h>
#include "lib/config.h"
#include "lib/lackey.h"
#include "sim/mem/memsys.h"

static const char usage[] =
	"usage: mmsim lackey -c CONFIG.json [-s KEY=VALUE]... TRACE.lackey[.xz]\n";

void lackey_replay(struct hier *h, const struct lackey_rec *r)
{
	/* cachegrind clamps larger (dirty-helper) accesses to a line */
	unsigned line = 1u << h->line_shift;
	unsigned size = r->size < line ? r->size : line;
	switch (r->kind) {
	case 'I': hier_access_sized(h, 0, r->addr, size, MEM_IFETCH, false, 0); break;
	case 'L': hier_access_sized(h, 0, r->addr, size, MEM_LOAD, false, 0); break;
	case 'S': hier_access_sized(h, 0, r->addr, size, MEM_STORE, true, 0); break;
	default:  hier_access_sized(h, 0, r->addr, size, MEM_LOAD, true, 0); break; /* M */
	}
}

static void print_totals(FILE *out, const struct hier *h, uint64_t records)
{
	const struct cache *i1 = h->core[0].l1i, *d1 = h->core[0].l1d, *ll = h->llc;
	uint64_t llmiss[MEM_KINDS] = { 0 };
	if (ll)
		memcpy(llmiss, ll->miss, sizeof(llmiss));
	fprintf(out, "records  %llu\n", (unsigned long long)records);
	fprintf(out, "I   refs %12llu  I1 misses %10llu  LLi misses %10llu\n",
		(unsigned long long)i1->access[MEM_IFETCH], (unsigned long long)i1->miss[MEM_IFETCH],
		(unsigned long long)llmiss[MEM_IFETCH]);
	fprintf(out, "D rd refs %12llu  D1 misses %10llu  LLd misses %10llu\n",
		(unsigned long long)d1->access[MEM_LOAD], (unsigned long long)d1->miss[MEM_LOAD],
		(unsigned long long)llmiss[MEM_LOAD]);
	fprintf(out, "D wr refs %12llu  D1 misses %10llu  LLd misses %10llu\n",
		(unsigned long long)d1->access[MEM_STORE], (unsigned long long)d1->miss[MEM_STORE],
		(unsigned long long)llmiss[MEM_STORE]);
}

int cmd_lackey(int argc, char **argv, FILE *out)
{
	struct mmsim_cfg cfg;
	char err[MMSIM_ERR_LEN];
	const char *config = NULL, *trace = NULL;
	cfg_defaults(&cfg);
	for (int i = 1; i < argc; i++) {
		bool more = i + 1 < argc;
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && more) {
			config = argv[++i];
			if (cfg_load(&cfg, config, err))
				goto fail;
		} else if (!strcmp(argv[i], "-s") && more) {
			if (cfg_set(&cfg, argv[++i], "-s", err))
				goto fail;
		} else if (argv[i][0] != '-' && !trace) {
			trace = argv[i];
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!config || !trace) {
		fputs(usage, stderr);
		return 2;
	}
	if (cfg_check(&cfg, config, err))
		goto fail;
	if (cfg.memory.model == MEMMODEL_FLAT) {
		fprintf(stderr, "mmsim: %s: memory.model: lackey replays need the cache "
			"hierarchy, not \"flat\"\n", config);
		return 2;
	}
	struct memsys *ms = memsys_create(&cfg, NULL, err);
	if (!ms)
		goto fail;
	struct lackey *lk = lackey_open(trace, err);
	if (!lk) {
		memsys_destroy(ms);
		goto fail;
	}
	struct lackey_rec r;
	int rc;
	while ((rc = lackey_next(lk, &r, err)) == 1)
		lackey_replay(ms->hier, &r);
	if (rc == 0)
		print_totals(out, ms->hier, lackey_count(lk));
	lackey_close(lk);
	memsys_destroy(ms);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "mmsim: %s\n", err);
	return 2;
}
