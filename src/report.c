/* The human summary and the --stats JSON document (docs/stats.md).
 * Both are views of the stats registry; neither computes anything the
 * registry does not hold, except ratios. */
#include "src/report.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include "lib/stats.h"
#include "src/machine.h"

static uint64_t get(struct stats *st, const char *fmt, unsigned i)
{
	char name[128];
	uint64_t v = 0;
	snprintf(name, sizeof(name), fmt, i);
	stats_get(st, name, &v);
	return v;
}

static double ratio(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0.0; }

static void summary_cores(FILE *f, struct stats *st, unsigned ncores)
{
	fprintf(f, "core       cycles    accesses   fetches  page-faults\n");
	for (unsigned i = 0; i < ncores; i++)
		fprintf(f, "%4u %12llu %11llu %9llu %12llu\n", i,
			(unsigned long long)get(st, "core%u.cycles", i),
			(unsigned long long)(get(st, "core%u.loads", i) + get(st, "core%u.stores", i)),
			(unsigned long long)get(st, "core%u.fetches", i),
			(unsigned long long)get(st, "core%u.page_faults", i));
}

/* L1 misses by the page size they resolved to, STLB misses, MPKI-style
 * rates per 1000 accesses. */
static void summary_tlbs(FILE *f, struct stats *st, unsigned ncores)
{
	fprintf(f, "\ncore  dTLB-miss  (4k / 2m / 1g)        miss/1k  STLB-hit  STLB-miss  miss/1k"
		"  iTLB-miss\n");
	for (unsigned i = 0; i < ncores; i++) {
		uint64_t acc = get(st, "core%u.loads", i) + get(st, "core%u.stores", i) +
			       get(st, "core%u.fetches", i);
		uint64_t dm = get(st, "core%u.dtlb.miss", i), sm = get(st, "core%u.stlb.miss", i);
		uint64_t sh = get(st, "core%u.stlb.hit.4k", i) + get(st, "core%u.stlb.hit.2m", i) +
			      get(st, "core%u.stlb.hit.1g", i);
		char sizes[48];
		snprintf(sizes, sizeof(sizes), "(%llu / %llu / %llu)",
			 (unsigned long long)get(st, "core%u.dtlb.miss.4k", i),
			 (unsigned long long)get(st, "core%u.dtlb.miss.2m", i),
			 (unsigned long long)get(st, "core%u.dtlb.miss.1g", i));
		fprintf(f, "%4u %10llu  %-22s %8.2f %9llu %10llu %8.2f %10llu\n", i,
			(unsigned long long)dm, sizes, 1000.0 * ratio(dm, acc),
			(unsigned long long)sh, (unsigned long long)sm, 1000.0 * ratio(sm, acc),
			(unsigned long long)get(st, "core%u.itlb.miss", i));
	}
}

static double hit_pct(struct stats *st, const char *what, unsigned i)
{
	char h[64], m[64];
	snprintf(h, sizeof(h), "core%%u.pwc.%s.hit", what);
	snprintf(m, sizeof(m), "core%%u.pwc.%s.miss", what);
	uint64_t hit = get(st, h, i), miss = get(st, m, i);
	return hit + miss ? 100.0 * ratio(hit, hit + miss) : -1;
}

static void summary_walks(FILE *f, struct stats *st, unsigned ncores)
{
	fprintf(f, "\ncore   walks  cycles/walk  refs/walk  A/D-writes  PWC hit%%: pde  pdpte  pml4e\n");
	for (unsigned i = 0; i < ncores; i++) {
		uint64_t w = get(st, "core%u.walk.count", i);
		fprintf(f, "%4u %7llu %12.1f %10.2f %11llu", i, (unsigned long long)w,
			ratio(get(st, "core%u.walk.cycles", i), w),
			ratio(get(st, "core%u.walk.refs", i), w),
			(unsigned long long)get(st, "core%u.walk.ad_writes", i));
		const char *lv[] = { "pde", "pdpte", "pml4e" };
		fprintf(f, "            ");
		for (int l = 0; l < 3; l++) {
			double p = hit_pct(st, lv[l], i);
			if (p < 0)
				fprintf(f, "  %5s", "-");
			else
				fprintf(f, "  %5.1f", p);
		}
		fprintf(f, "\n");
	}
}

/* Miss ratios per level, and the memory behind them. */
static void summary_caches(FILE *f, struct stats *st, unsigned ncores)
{
	uint64_t v;
	if (!stats_get(st, "llc.access", &v) && !stats_get(st, "core0.l1d.access", &v))
		return;                     /* the flat memory model */
	fprintf(f, "\ncore  L1D-miss%%  (walk)  L1I-miss%%  L2-miss%%   coherence: inval  c2c\n");
	for (unsigned i = 0; i < ncores; i++) {
		fprintf(f, "%4u %9.2f %7.2f %10.2f %9.2f %17llu %5llu\n", i,
			100 * ratio(get(st, "core%u.l1d.miss", i), get(st, "core%u.l1d.access", i)),
			100 * ratio(get(st, "core%u.l1d.walk.miss", i),
				    get(st, "core%u.l1d.walk.access", i)),
			100 * ratio(get(st, "core%u.l1i.miss", i), get(st, "core%u.l1i.access", i)),
			100 * ratio(get(st, "core%u.l2.miss", i), get(st, "core%u.l2.access", i)),
			(unsigned long long)get(st, "core%u.coherence.inval_sent", i),
			(unsigned long long)get(st, "core%u.coherence.c2c", i));
	}
	uint64_t hits = get(st, "dram.row_hit", 0), acc = hits + get(st, "dram.row_miss", 0) +
			get(st, "dram.row_conflict", 0);
	fprintf(f, "LLC: %llu accesses, %.2f%% miss;  DRAM: %llu reads, %llu writes, "
		"row-buffer hits %.1f%%, queueing %llu cycles\n",
		(unsigned long long)get(st, "llc.access", 0),
		100 * ratio(get(st, "llc.miss", 0), get(st, "llc.access", 0)),
		(unsigned long long)get(st, "dram.read", 0),
		(unsigned long long)get(st, "dram.write", 0), 100 * ratio(hits, acc),
		(unsigned long long)get(st, "dram.queue_cycles", 0));
}

/* buddyinfo, one line per populated zone (kernel/mm/zone.c's counters),
 * with the zone's free frames (buddy + per-cpu lists), watermarks and size. */
static void summary_zones(FILE *f, struct stats *st, const struct mmsim_cfg *cfg)
{
	static const char *const zones[] = { "dma", "dma32", "normal", "movable" };
	static const char *const proc[] = { "DMA", "DMA32", "Normal", "Movable" };
	char name[128];
	uint64_t v;
	for (unsigned n = 0; n < cfg->memory.numa_nodes; n++)
		for (unsigned z = 0; z < 4; z++) {
			snprintf(name, sizeof(name), "buddy.node%u.%s.managed", n, zones[z]);
			if (!stats_get(st, name, &v))
				continue;
			fprintf(f, "buddyinfo node %u %-7s", n, proc[z]);
			for (unsigned o = 0; o < cfg->kernel.max_order; o++) {
				snprintf(name, sizeof(name), "buddy.node%u.%s.free.order%%u", n,
					 zones[z]);
				fprintf(f, " %llu", (unsigned long long)get(st, name, o));
			}
			uint64_t fr = 0, pcp = 0, lo = 0;
			char k[160];
			snprintf(k, sizeof(k), "buddy.node%u.%s.free_pages", n, zones[z]);
			stats_get(st, k, &fr);
			snprintf(k, sizeof(k), "buddy.node%u.%s.pcp_pages", n, zones[z]);
			stats_get(st, k, &pcp);
			snprintf(k, sizeof(k), "buddy.node%u.%s.wmark.low", n, zones[z]);
			stats_get(st, k, &lo);
			fprintf(f, "  (free %llu + pcp %llu of %llu, low mark %llu)\n",
				(unsigned long long)fr, (unsigned long long)pcp,
				(unsigned long long)v, (unsigned long long)lo);
		}
}

void report_summary(FILE *f, struct machine *m, const struct run_info *ri)
{
	struct stats *st = machine_stats(m);
	const struct mmsim_cfg *cfg = ri->cfg;
	fprintf(f, "mmsim %s: %s on %s (%u cores, %llu MiB, seed %llu)\n", MMSIM_VERSION,
		ri->trace_path, ri->config_path, cfg->cores,
		(unsigned long long)(cfg->memory.size >> 20), (unsigned long long)cfg->seed);
	fprintf(f, "simulated cycles: %llu\n\n", (unsigned long long)machine_cycles(m));
	summary_cores(f, st, cfg->cores);
	summary_tlbs(f, st, cfg->cores);
	summary_walks(f, st, cfg->cores);
	summary_caches(f, st, cfg->cores);
	fprintf(f, "\nkernel: page faults %llu (anon %llu, write-protect %llu, spurious %llu), "
		"SIGSEGV %llu, OOM kills %llu\n",
		(unsigned long long)get(st, "mm.pgfault", 0),
		(unsigned long long)get(st, "mm.pgfault.anon", 0),
		(unsigned long long)get(st, "mm.pgfault.wp", 0),
		(unsigned long long)get(st, "mm.pgfault.spurious", 0),
		(unsigned long long)get(st, "mm.segv", 0),
		(unsigned long long)get(st, "mm.oom_kill", 0));
	fprintf(f, "        pages allocated %llu, freed %llu; page tables allocated %llu, freed %llu;"
		" TLB shootdowns %llu (IPIs %llu)\n",
		(unsigned long long)get(st, "mm.pgalloc", 0),
		(unsigned long long)get(st, "mm.pgfree", 0),
		(unsigned long long)get(st, "mm.pgtable_alloc", 0),
		(unsigned long long)get(st, "mm.pgtable_free", 0),
		(unsigned long long)get(st, "mm.tlbflush.shootdown", 0),
		(unsigned long long)get(st, "mm.tlbflush.ipi", 0));
	summary_zones(f, st, cfg);
	const char *ev = machine_events(m);
	if (*ev)
		fprintf(f, "\n%s", ev);
	fprintf(f, "host time %.3f s\n", ri->host_seconds);
}

int report_json(const char *path, struct machine *m, const struct run_info *ri)
{
	struct stats *st = machine_stats(m);
	cJSON *root = cJSON_CreateObject();
	cJSON *meta = cJSON_AddObjectToObject(root, "mmsim");
	cJSON_AddStringToObject(meta, "version", MMSIM_VERSION);
	cJSON_AddStringToObject(meta, "config", ri->config_path);
	cJSON_AddStringToObject(meta, "trace", ri->trace_path);
	char seed[32];
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)ri->cfg->seed);
	cJSON_AddStringToObject(meta, "seed", seed);
	char *cfgtext = cfg_to_json(ri->cfg);
	cJSON_AddItemToObject(root, "config", cJSON_Parse(cfgtext));
	free(cfgtext);
	cJSON *res = cJSON_AddObjectToObject(root, "result");
	cJSON_AddNumberToObject(res, "cycles", (double)machine_cycles(m));
	cJSON_AddNumberToObject(res, "value_mismatches", (double)machine_mismatches(m));
	cJSON_AddNumberToObject(res, "process_kills", (double)machine_kills(m));
	if (*machine_procfs(m))   /* procfs ops and --procfs views, for mmsim report */
		cJSON_AddStringToObject(root, "procfs", machine_procfs(m));
	cJSON *cn = cJSON_AddObjectToObject(root, "counters");
	for (size_t i = 0; i < stats_count(st); i++)
		cJSON_AddNumberToObject(cn, stats_name(st, i), (double)stats_value(st, i));
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	FILE *f = fopen(path, "w");
	if (!f) {
		free(text);
		return -1;
	}
	int rc = fputs(text, f) < 0 || fputc('\n', f) < 0 ? -1 : 0;
	rc |= fclose(f);
	free(text);
	return rc ? -1 : 0;
}
