/* `mmsim report STATS.json`: the tables of a finished run, read back from
 * its --stats file (docs/stats.md) instead of a live machine, plus views
 * shaped like the files Linux users know: /proc/meminfo, /proc/vmstat,
 * /proc/buddyinfo, /proc/pagetypeinfo, /proc/zoneinfo (at the end and at
 * every `snapshot` op) and /proc/slabinfo (each shown when the counters behind
 * it exist), and the /proc/PID maps, smaps_rollup and status texts the run
 * recorded (its procfs ops; with mmsim run --procfs every process's at its
 * exit and at every snapshot). --format csv gives one name,value line per counter, json the
 * counters object. Like every report, a view of the registry: nothing here
 * computes what the counters do not hold, except sums and ratios. */
#include "src/sweep.h"

#include <stdlib.h>
#include <string.h>
#include "lib/jsonutil.h"

static const char usage[] =
	"usage: mmsim report STATS.json [--format text|json|csv]\n"
	"  STATS.json          a file written by mmsim run --stats (or by mmsim sweep)\n"
	"  -f, --format F      text: tables (default); json: the counters object;\n"
	"                      csv: name,value per counter (result.* first)\n";

#define PAGE_KB (PAGE_SIZE / 1024)

struct rep {
	const cJSON *root, *counters, *config;
	unsigned cores;
};

static bool lookup(const struct rep *r, const char *name, uint64_t *v)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(r->counters, name);
	if (!cJSON_IsNumber(c))
		return false;
	*v = (uint64_t)c->valuedouble;
	return true;
}

/* The counter named by fmt % i, 0 when absent (as report.c's get()). */
static unsigned long long get(const struct rep *r, const char *fmt, unsigned i)
{
	char name[160];
	uint64_t v = 0;
	snprintf(name, sizeof(name), fmt, i);
	lookup(r, name, &v);
	return (unsigned long long)v;
}

static bool has(const struct rep *r, const char *name)
{
	uint64_t v;
	return lookup(r, name, &v);
}

static double ratio(double a, double b) { return b ? a / b : 0.0; }

static const cJSON *cfg_item(const struct rep *r, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->config, a);
	return b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

static const char *meta(const struct rep *r, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(r->root, "mmsim");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, key);
	return cJSON_IsString(v) ? v->valuestring : "?";
}

static double result(const struct rep *r, const char *key)
{
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(r->root, "result");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(res, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* --- the run summary's tables ---------------------------------------------- */

static void header(FILE *f, const struct rep *r)
{
	const cJSON *mem = cfg_item(r, "memory", "size");
	fprintf(f, "mmsim %s: %s on %s (%u cores", meta(r, "version"), meta(r, "trace"),
		meta(r, "config"), r->cores);
	if (cJSON_IsNumber(mem))
		fprintf(f, ", %.0f MiB", mem->valuedouble / (1 << 20));
	else if (cJSON_IsString(mem))
		fprintf(f, ", memory %s", mem->valuestring);
	fprintf(f, ", seed %s)\n", meta(r, "seed"));
	fprintf(f, "simulated cycles: %.0f   value mismatches: %.0f   process kills: %.0f\n",
		result(r, "cycles"), result(r, "value_mismatches"), result(r, "process_kills"));
}

static void cores_table(FILE *f, const struct rep *r)
{
	fprintf(f, "\ncore       cycles    accesses   fetches  page-faults\n");
	for (unsigned i = 0; i < r->cores; i++)
		fprintf(f, "%4u %12llu %11llu %9llu %12llu\n", i, get(r, "core%u.cycles", i),
			get(r, "core%u.loads", i) + get(r, "core%u.stores", i),
			get(r, "core%u.fetches", i), get(r, "core%u.page_faults", i));
}

static void tlb_table(FILE *f, const struct rep *r)
{
	fprintf(f, "\ncore  dTLB-miss  (4k / 2m / 1g)        miss/1k  STLB-hit  STLB-miss  miss/1k"
		"  iTLB-miss\n");
	for (unsigned i = 0; i < r->cores; i++) {
		double acc = (double)(get(r, "core%u.loads", i) + get(r, "core%u.stores", i) +
				      get(r, "core%u.fetches", i));
		unsigned long long dm = get(r, "core%u.dtlb.miss", i), sm = get(r, "core%u.stlb.miss", i);
		unsigned long long sh = get(r, "core%u.stlb.hit.4k", i) +
					get(r, "core%u.stlb.hit.2m", i) + get(r, "core%u.stlb.hit.1g", i);
		char sizes[64];
		snprintf(sizes, sizeof(sizes), "(%llu / %llu / %llu)", get(r, "core%u.dtlb.miss.4k", i),
			 get(r, "core%u.dtlb.miss.2m", i), get(r, "core%u.dtlb.miss.1g", i));
		fprintf(f, "%4u %10llu  %-22s %8.2f %9llu %10llu %8.2f %10llu\n", i, dm, sizes,
			1000 * ratio((double)dm, acc), sh, sm, 1000 * ratio((double)sm, acc),
			get(r, "core%u.itlb.miss", i));
	}
}

static void walk_table(FILE *f, const struct rep *r)
{
	static const char *const lv[] = { "pde", "pdpte", "pml4e" };
	fprintf(f, "\ncore   walks  cycles/walk  refs/walk  A/D-writes  PWC hit%%: pde  pdpte  pml4e\n");
	for (unsigned i = 0; i < r->cores; i++) {
		double w = (double)get(r, "core%u.walk.count", i);
		fprintf(f, "%4u %7.0f %12.1f %10.2f %11llu            ", i, w,
			ratio((double)get(r, "core%u.walk.cycles", i), w),
			ratio((double)get(r, "core%u.walk.refs", i), w),
			get(r, "core%u.walk.ad_writes", i));
		for (size_t l = 0; l < ARRAY_SIZE(lv); l++) {
			char h[64], m[64];
			snprintf(h, sizeof(h), "core%%u.pwc.%s.hit", lv[l]);
			snprintf(m, sizeof(m), "core%%u.pwc.%s.miss", lv[l]);
			double hit = (double)get(r, h, i), all = hit + (double)get(r, m, i);
			if (all > 0)
				fprintf(f, "  %5.1f", 100 * hit / all);
			else
				fprintf(f, "  %5s", "-");
		}
		fprintf(f, "\n");
	}
}

static void cache_table(FILE *f, const struct rep *r)
{
	if (!has(r, "llc.access") && !has(r, "core0.l1d.access"))
		return;                     /* the flat memory model */
	fprintf(f, "\ncore  L1D-miss%%  (walk)  L1I-miss%%  L2-miss%%   coherence: inval  c2c\n");
	for (unsigned i = 0; i < r->cores; i++)
		fprintf(f, "%4u %9.2f %7.2f %10.2f %9.2f %17llu %5llu\n", i,
			100 * ratio((double)get(r, "core%u.l1d.miss", i), (double)get(r, "core%u.l1d.access", i)),
			100 * ratio((double)get(r, "core%u.l1d.walk.miss", i),
				    (double)get(r, "core%u.l1d.walk.access", i)),
			100 * ratio((double)get(r, "core%u.l1i.miss", i), (double)get(r, "core%u.l1i.access", i)),
			100 * ratio((double)get(r, "core%u.l2.miss", i), (double)get(r, "core%u.l2.access", i)),
			get(r, "core%u.coherence.inval_sent", i), get(r, "core%u.coherence.c2c", i));
	double hits = (double)get(r, "dram.row_hit", 0);
	double acc = hits + (double)(get(r, "dram.row_miss", 0) + get(r, "dram.row_conflict", 0));
	fprintf(f, "LLC: %llu accesses, %.2f%% miss;  DRAM: %llu reads, %llu writes, "
		"row-buffer hits %.1f%%, queueing %llu cycles\n", get(r, "llc.access", 0),
		100 * ratio((double)get(r, "llc.miss", 0), (double)get(r, "llc.access", 0)),
		get(r, "dram.read", 0), get(r, "dram.write", 0), 100 * ratio(hits, acc),
		get(r, "dram.queue_cycles", 0));
}

static void kernel_lines(FILE *f, const struct rep *r)
{
	fprintf(f, "\nkernel: page faults %llu (anon %llu, write-protect %llu, spurious %llu), "
		"SIGSEGV %llu, OOM kills %llu\n", get(r, "mm.pgfault", 0),
		get(r, "mm.pgfault.anon", 0), get(r, "mm.pgfault.wp", 0),
		get(r, "mm.pgfault.spurious", 0), get(r, "mm.segv", 0), get(r, "mm.oom_kill", 0));
	fprintf(f, "        pages allocated %llu, freed %llu; page tables allocated %llu, freed %llu;"
		" TLB shootdowns %llu (IPIs %llu)\n", get(r, "mm.pgalloc", 0),
		get(r, "mm.pgfree", 0), get(r, "mm.pgtable_alloc", 0),
		get(r, "mm.pgtable_free", 0), get(r, "mm.tlbflush.shootdown", 0),
		get(r, "mm.tlbflush.ipi", 0));
}

/* --- /proc-style views -------------------------------------------------------- */

/* The allocator's zones as the counters name them ("PREFIXbuddy.nodeN.ZONE.*",
 * PREFIX "" for the end of the run or "snapshot.NAME." for a snapshot op),
 * in registry order: node by node, DMA .. Movable. */
struct zrow { unsigned node; char zone[32]; };
#define MAX_ZROWS 64

static size_t zones_of(const struct rep *r, const char *prefix, struct zrow *rows)
{
	size_t n = 0, pl = strlen(prefix);
	const cJSON *c;
	cJSON_ArrayForEach(c, r->counters) {
		const char *p = c->string;
		unsigned node;
		int end = 0;
		if (strncmp(p, prefix, pl) || strncmp(p + pl, "buddy.", 6))
			continue;
		p += pl + 6;
		if (sscanf(p, "node%u.%n", &node, &end) != 1 || end == 0)
			continue;
		p += end;
		const char *dot = strchr(p, '.');
		if (!dot || strcmp(dot, ".managed") || (size_t)(dot - p) >= sizeof(rows[0].zone) ||
		    n == MAX_ZROWS)
			continue;
		rows[n].node = node;
		snprintf(rows[n].zone, sizeof(rows[n].zone), "%.*s", (int)(dot - p), p);
		n++;
	}
	return n;
}

/* One zone counter: PREFIXbuddy.nodeN.ZONE.<field>, 0 when absent. */
static double zval(const struct rep *r, const char *prefix, const struct zrow *z,
		   const char *field)
{
	char name[256];
	uint64_t v = 0;
	snprintf(name, sizeof(name), "%sbuddy.node%u.%s.%s", prefix, z->node, z->zone, field);
	lookup(r, name, &v);
	return (double)v;
}

/* "normal" -> "Normal", "dma32" -> "DMA32", as /proc spells zones. */
static const char *proc_zone(const char *z, char *buf, size_t n)
{
	if (!strncmp(z, "dma", 3)) {
		snprintf(buf, n, "DMA%s", z + 3);
	} else {
		snprintf(buf, n, "%s", z);
		if (buf[0] >= 'a' && buf[0] <= 'z')
			buf[0] = (char)(buf[0] - 32);
	}
	return buf;
}

static unsigned zone_orders(const struct rep *r, const char *prefix, const struct zrow *z)
{
	unsigned o = 0;
	char name[256];
	for (;; o++) {
		snprintf(name, sizeof(name), "%sbuddy.node%u.%s.free.order%u", prefix, z->node,
			 z->zone, o);
		if (!has(r, name) || o == 32)
			return o;
	}
}

static void meminfo_line(FILE *f, const char *name, double pages)
{
	fprintf(f, "%-16s%10.0f kB\n", name, pages * PAGE_KB);
}

/* hugetlb_report_meminfo(): HugePages_* of the default size (2M) as
 * counts, Hugepagesize, and Hugetlb: the kB of every pool; then each size
 * as /sys/kernel/mm/hugepages/hugepages-<kB>kB/ has it. */
static void hugetlb_meminfo(FILE *f, const struct rep *r, const char *prefix)
{
	static const char *const size[] = { "2m", "1g" };
	static const unsigned long long kb[] = { 2048, 1048576 };
	uint64_t v[2][4] = { { 0 } };
	static const char *const field[] = { "total", "free", "resv", "surp" };
	char name[160];
	bool any = false;
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < 4; i++) {
			snprintf(name, sizeof(name), "%smm.hugetlb.%s.%s", prefix, size[s], field[i]);
			any |= lookup(r, name, &v[s][i]);
		}
	if (!any)
		return;
	fprintf(f, "HugePages_Total: %8llu\nHugePages_Free:  %8llu\nHugePages_Rsvd:  %8llu\n"
		"HugePages_Surp:  %8llu\n", (unsigned long long)v[0][0], (unsigned long long)v[0][1],
		(unsigned long long)v[0][2], (unsigned long long)v[0][3]);
	fprintf(f, "%-16s%10llu kB\n", "Hugepagesize:", kb[0]);
	fprintf(f, "%-16s%10llu kB\n", "Hugetlb:", v[0][0] * kb[0] + v[1][0] * kb[1]);
	for (int s = 0; s < 2; s++)
		if (v[s][0])
			fprintf(f, "hugepages-%llukB: nr_hugepages %llu free_hugepages %llu "
				"resv_hugepages %llu surplus_hugepages %llu\n", kb[s],
				(unsigned long long)v[s][0], (unsigned long long)v[s][1],
				(unsigned long long)v[s][2], (unsigned long long)v[s][3]);
}

/* /proc/meminfo's allocator lines. MemFree is the buddy lists' frames, as
 * NR_FREE_PAGES (frames on per-cpu lists are shown apart). */
static void meminfo(FILE *f, const struct rep *r, const char *prefix, const char *when)
{
	struct zrow z[MAX_ZROWS];
	size_t n = zones_of(r, prefix, z);
	double total = 0, freep = 0, pcp = 0, cma_total = 0, cma_free = 0;
	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		total += zval(r, prefix, &z[i], "managed");
		freep += zval(r, prefix, &z[i], "free_pages");
		pcp += zval(r, prefix, &z[i], "pcp_pages");
		cma_total += zval(r, prefix, &z[i], "pageblocks.cma") * 512;
		cma_free += zval(r, prefix, &z[i], "free_cma");
	}
	fprintf(f, "\nmeminfo (%s):\n", when);
	meminfo_line(f, "MemTotal:", total);
	meminfo_line(f, "MemFree:", freep);
	meminfo_line(f, "MemUsed:", total - freep - pcp);
	meminfo_line(f, "PerCPUFree:", pcp);
	uint64_t a, b;
	if (!*prefix && lookup(r, "mm.pgtable_alloc", &a) && lookup(r, "mm.pgtable_free", &b))
		meminfo_line(f, "PageTables:", (double)a - (double)b);
	/* the kernel's own allocators (slab.md): Slab = SReclaimable + SUnreclaim */
	if (!*prefix && lookup(r, "kmem.slab_reclaimable_pages", &a) &&
	    lookup(r, "kmem.slab_unreclaimable_pages", &b)) {
		meminfo_line(f, "Slab:", (double)a + (double)b);
		meminfo_line(f, "SReclaimable:", (double)a);
		meminfo_line(f, "SUnreclaim:", (double)b);
	}
	if (!*prefix && lookup(r, "kmem.vmalloc_pages", &a))
		meminfo_line(f, "VmallocUsed:", (double)a);
	if (!*prefix && lookup(r, "kmem.percpu_bytes", &a))
		fprintf(f, "%-16s%10.0f kB\n", "Percpu:", (double)a / 1024);
	/* the page cache (pagecache.md), in runs with files */
	if (!*prefix && lookup(r, "mm.file.nr_file_pages", &a)) {
		double act = 0, inact = 0;
		for (unsigned nid = 0; nid < 64; nid++) {
			act += (double)get(r, "mm.file.lru.node%u.active_file", nid);
			inact += (double)get(r, "mm.file.lru.node%u.inactive_file", nid);
		}
		meminfo_line(f, "Buffers:", 0);
		meminfo_line(f, "Cached:", (double)a);
		meminfo_line(f, "Active(file):", act);
		meminfo_line(f, "Inactive(file):", inact);
		meminfo_line(f, "Dirty:", (double)get(r, "mm.file.nr_dirty", 0));
		meminfo_line(f, "Writeback:", (double)get(r, "mm.file.nr_writeback", 0));
		meminfo_line(f, "Mapped:", (double)get(r, "mm.file.nr_mapped", 0));
		meminfo_line(f, "Shmem:", 0);
	}
	meminfo_line(f, "CmaTotal:", cma_total);
	meminfo_line(f, "CmaFree:", cma_free);
	hugetlb_meminfo(f, r, prefix);
}

/* /proc/buddyinfo: free blocks per order, one row per zone. */
static void buddyinfo(FILE *f, const struct rep *r, const char *prefix, const char *when)
{
	struct zrow z[MAX_ZROWS];
	size_t n = zones_of(r, prefix, z);
	if (n)
		fprintf(f, "\nbuddyinfo%s%s:\n", *when ? " " : "", when);
	for (size_t i = 0; i < n; i++) {
		char zn[40], field[32];
		fprintf(f, "Node %u, zone %8s", z[i].node, proc_zone(z[i].zone, zn, sizeof(zn)));
		for (unsigned o = 0, no = zone_orders(r, prefix, &z[i]); o < no; o++) {
			snprintf(field, sizeof(field), "free.order%u", o);
			fprintf(f, " %6.0f", zval(r, prefix, &z[i], field));
		}
		fprintf(f, "\n");
	}
}

static const char *const mt_names[] = {
	"unmovable", "movable", "reclaimable", "highatomic", "cma", "isolate",
};
static const char *const mt_proc[] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate",
};

/* /proc/pagetypeinfo: free blocks per migratetype and order, then
 * pageblocks per migratetype. */
static void pagetypeinfo(FILE *f, const struct rep *r, const char *prefix, const char *when)
{
	struct zrow z[MAX_ZROWS];
	size_t n = zones_of(r, prefix, z);
	char zn[40], field[48];
	if (!n)
		return;
	unsigned no = zone_orders(r, prefix, &z[0]);
	fprintf(f, "\npagetypeinfo%s%s:\nPage block order: 9\nPages per block:  512\n\n"
		"Free pages count per migrate type at order", *when ? " " : "", when);
	for (unsigned o = 0; o < no; o++)
		fprintf(f, " %6u", o);
	fprintf(f, "\n");
	for (size_t i = 0; i < n; i++)
		for (size_t t = 0; t < ARRAY_SIZE(mt_names); t++) {
			fprintf(f, "Node %4u, zone %8s, type %12s", z[i].node,
				proc_zone(z[i].zone, zn, sizeof(zn)), mt_proc[t]);
			for (unsigned o = 0; o < no; o++) {
				snprintf(field, sizeof(field), "free.%s.order%u", mt_names[t], o);
				fprintf(f, " %6.0f", zval(r, prefix, &z[i], field));
			}
			fprintf(f, "\n");
		}
	fprintf(f, "\nNumber of blocks type    ");
	for (size_t t = 0; t < ARRAY_SIZE(mt_names); t++)
		fprintf(f, " %12s", mt_proc[t]);
	fprintf(f, "\n");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "Node %u, zone %8s ", z[i].node, proc_zone(z[i].zone, zn, sizeof(zn)));
		for (size_t t = 0; t < ARRAY_SIZE(mt_names); t++) {
			snprintf(field, sizeof(field), "pageblocks.%s", mt_names[t]);
			fprintf(f, " %12.0f", zval(r, prefix, &z[i], field));
		}
		fprintf(f, "\n");
	}
}

/* /proc/zoneinfo, the allocator's part of it. */
static void zoneinfo(FILE *f, const struct rep *r, const char *prefix, const char *when)
{
	static const char *const zn_all[] = { "dma", "dma32", "normal", "movable" };
	struct zrow z[MAX_ZROWS];
	size_t n = zones_of(r, prefix, z);
	char zn[40], field[48];
	if (n)
		fprintf(f, "\nzoneinfo%s%s:\n", *when ? " " : "", when);
	for (size_t i = 0; i < n; i++) {
		const struct zrow *q = &z[i];
		fprintf(f, "Node %u, zone %8s\n", q->node, proc_zone(q->zone, zn, sizeof(zn)));
		fprintf(f, "  pages free     %.0f\n", zval(r, prefix, q, "free_pages"));
		fprintf(f, "        min      %.0f\n", zval(r, prefix, q, "wmark.min"));
		fprintf(f, "        low      %.0f\n", zval(r, prefix, q, "wmark.low"));
		fprintf(f, "        high     %.0f\n", zval(r, prefix, q, "wmark.high"));
		fprintf(f, "        spanned  %.0f\n", zval(r, prefix, q, "spanned"));
		fprintf(f, "        present  %.0f\n", zval(r, prefix, q, "present"));
		fprintf(f, "        managed  %.0f\n", zval(r, prefix, q, "managed"));
		fprintf(f, "        protection: (");
		for (size_t j = 0; j < ARRAY_SIZE(zn_all); j++) {
			snprintf(field, sizeof(field), "protection.%s", zn_all[j]);
			fprintf(f, "%s%.0f", j ? ", " : "", zval(r, prefix, q, field));
		}
		fprintf(f, ")\n");
		fprintf(f, "      nr_free_pages %.0f\n", zval(r, prefix, q, "free_pages"));
		fprintf(f, "      nr_free_cma   %.0f\n", zval(r, prefix, q, "free_cma"));
		fprintf(f, "      pcp_pages     %.0f\n", zval(r, prefix, q, "pcp_pages"));
		fprintf(f, "      alloc %.0f, alloc_fail %.0f, free %.0f, split %.0f, merge %.0f, "
			"fallback %.0f, steal %.0f, wmark_fail %.0f\n",
			zval(r, prefix, q, "alloc"), zval(r, prefix, q, "alloc_fail"),
			zval(r, prefix, q, "free"), zval(r, prefix, q, "split"),
			zval(r, prefix, q, "merge"), zval(r, prefix, q, "fallback"),
			zval(r, prefix, q, "steal"), zval(r, prefix, q, "wmark_fail"));
	}
}

/* The snapshot ops' names, in the order they ran: "snapshot.NAME." for
 * each NAME with a "snapshot.NAME.buddy.node*.*.managed" counter. */
static void snapshots(FILE *f, const struct rep *r)
{
	const cJSON *c;
	char last[128] = "";
	cJSON_ArrayForEach(c, r->counters) {
		const char *p = c->string, *b = strstr(p, ".buddy.node");
		size_t len = b ? (size_t)(b - p) + 1 : 0;
		if (strncmp(p, "snapshot.", 9) || !b || len >= sizeof(last) ||
		    (!strncmp(p, last, strlen(last)) && strlen(last) == len))
			continue;
		snprintf(last, sizeof(last), "%.*s", (int)len, p);
		char when[160];
		snprintf(when, sizeof(when), "at snapshot %.*s", (int)(len - 10), p + 9);
		buddyinfo(f, r, last, when);
		pagetypeinfo(f, r, last, when);
		zoneinfo(f, r, last, when);
	}
}

/* Linux's /proc/vmstat names for the counters mmsim keeps. */
static const struct { const char *linux_name, *counter; } vmstat_names[] = {
	{ "nr_free_pages", "buddy.node*.free_pages" },
	{ "nr_file_pages", "mm.file.nr_file_pages" },
	{ "nr_dirty", "mm.file.nr_dirty" },
	{ "nr_writeback", "mm.file.nr_writeback" },
	{ "nr_mapped", "mm.file.nr_mapped" },
	{ "pgalloc_dma", "buddy.node*.dma.alloc" },
	{ "pgalloc_dma32", "buddy.node*.dma32.alloc" },
	{ "pgalloc_normal", "buddy.node*.normal.alloc" },
	{ "pgalloc_movable", "buddy.node*.movable.alloc" },
	{ "numa_hit", "numa.node*.numa_hit" },
	{ "numa_miss", "numa.node*.numa_miss" },
	{ "numa_foreign", "numa.node*.numa_foreign" },
	{ "numa_interleave", "numa.node*.interleave_hit" },
	{ "numa_local", "numa.node*.local_node" },
	{ "numa_other", "numa.node*.other_node" },
	{ "compact_stall", "mm.compact.stall" },
	{ "compact_success", "mm.compact.success" },
	{ "compact_isolated", "mm.compact.isolated" },
	{ "pgmigrate_success", "mm.pgmigrate.success" },
	{ "pgmigrate_fail", "mm.pgmigrate.fail" },
	{ "pgfree", "mm.pgfree" },
	{ "pgfault", "mm.pgfault" },
	{ "pgfault_anon", "mm.pgfault.anon" },
	{ "pgfault_wp", "mm.pgfault.wp" },
	{ "pgfault_spurious", "mm.pgfault.spurious" },
	{ "pgalloc", "mm.pgalloc" },
	{ "pgtable_alloc", "mm.pgtable_alloc" },
	{ "pgtable_free", "mm.pgtable_free" },
	{ "nr_tlb_remote_flush", "mm.tlbflush.shootdown" },
	{ "nr_tlb_remote_flush_received", "mm.tlbflush.ipi" },
	{ "nr_tlb_local_flush_all", "mm.tlbflush.full" },
	{ "nr_tlb_local_flush_one", "mm.tlbflush.pages" },
	{ "oom_kill", "mm.oom_kill" },
	{ "thp_fault_alloc", "mm.thp.fault_alloc" },
	{ "thp_collapse_alloc", "mm.thp.collapse_alloc" },
	{ "thp_split_page", "mm.thp.split_page" },
	{ "thp_split_pmd", "mm.thp.split_pmd" },
	{ "thp_zero_page_alloc", "mm.thp.zero_page_alloc" },
	{ "thp_zero_page_alloc_failed", "mm.thp.zero_page_alloc_failed" },
	{ "pswpin", "mm.swap.in" },
	{ "pswpout", "mm.swap.out" },
	{ "compact_migrate_scanned", "mm.compact.migrate_scanned" },
	{ "compact_free_scanned", "mm.compact.free_scanned" },
};

/* lookup(), where a '*' in the name (after "nodeN") stands for every node
 * number: the sum over nodes ("buddy.node*.free_pages" sums every zone's). */
static bool lookup_sum(const struct rep *r, const char *name, uint64_t *v)
{
	const char *star = strchr(name, '*');
	if (!star)
		return lookup(r, name, v);
	size_t pl = (size_t)(star - name), sl = strlen(star + 1);
	const cJSON *c;
	bool any = false;
	*v = 0;
	cJSON_ArrayForEach(c, r->counters) {
		const char *n = c->string, *p = n + pl;
		size_t len = strlen(n);
		if (strncmp(n, name, pl) || len < pl + sl || strcmp(n + len - sl, star + 1))
			continue;
		while (p < n + len - sl && *p >= '0' && *p <= '9')
			p++;
		/* node digits, then (for a zone total) any one zone name */
		if (p == n + pl || (p != n + len - sl && (*p != '.' || strchr(p + 1, '.') !=
							     n + len - sl)))
			continue;
		*v += (uint64_t)c->valuedouble;
		any = true;
	}
	return any;
}

static void vmstat(FILE *f, const struct rep *r)
{
	bool first = true;
	for (size_t i = 0; i < ARRAY_SIZE(vmstat_names); i++) {
		uint64_t v;
		if (!lookup_sum(r, vmstat_names[i].counter, &v))
			continue;
		if (first)
			fprintf(f, "\nvmstat:\n");
		first = false;
		fprintf(f, "%s %llu\n", vmstat_names[i].linux_name, (unsigned long long)v);
	}
}

/* slab.CACHE.FIELD counters, as /proc/slabinfo's first columns. */
static void slabinfo(FILE *f, const struct rep *r)
{
	static const char *const fields[] = {
		"active_objs", "num_objs", "objsize", "objperslab", "pagesperslab",
	};
	const cJSON *c;
	bool first = true;
	char last[96] = "";
	cJSON_ArrayForEach(c, r->counters) {
		const char *dot = strrchr(c->string, '.');
		if (strncmp(c->string, "slab.", 5) || !dot || dot <= c->string + 5)
			continue;
		char cache[96];
		snprintf(cache, sizeof(cache), "%.*s", (int)(dot - c->string - 5), c->string + 5);
		if (!strcmp(cache, last))
			continue;
		strcpy(last, cache);
		if (first)
			fprintf(f, "\nslabinfo:\n# %-18s <active_objs> <num_objs> <objsize> "
				"<objperslab> <pagesperslab>\n", "name");
		first = false;
		fprintf(f, "%-20s", cache);
		for (size_t k = 0; k < ARRAY_SIZE(fields); k++) {
			char name[160];
			snprintf(name, sizeof(name), "slab.%s.%s", cache, fields[k]);
			fprintf(f, " %*llu", (int)strlen(fields[k]) + 2, get(r, name, 0));
		}
		fprintf(f, "\n");
	}
}

static void text(FILE *f, const struct rep *r)
{
	header(f, r);
	cores_table(f, r);
	tlb_table(f, r);
	walk_table(f, r);
	cache_table(f, r);
	kernel_lines(f, r);
	meminfo(f, r, "", "end of run");
	vmstat(f, r);
	buddyinfo(f, r, "", "");
	pagetypeinfo(f, r, "", "");
	zoneinfo(f, r, "", "");
	slabinfo(f, r);
	snapshots(f, r);
	/* the /proc/PID files the run recorded (procfs ops, mmsim run --procfs) */
	const cJSON *pf = cJSON_GetObjectItemCaseSensitive(r->root, "procfs");
	if (cJSON_IsString(pf) && *pf->valuestring)
		fprintf(f, "\nprocfs:\n%s", pf->valuestring);
}

static void csv(FILE *f, const struct rep *r)
{
	static const char *const res[] = { "cycles", "value_mismatches", "process_kills" };
	char q[512];
	fprintf(f, "name,value\n");
	for (size_t i = 0; i < ARRAY_SIZE(res); i++)
		fprintf(f, "result.%s,%.0f\n", res[i], result(r, res[i]));
	const cJSON *c;
	cJSON_ArrayForEach(c, r->counters)
		fprintf(f, "%s,%.0f\n", csv_field(c->string, q, sizeof(q)), c->valuedouble);
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "mmsim report: %s%s%s\n%s", msg, arg ? ": " : "", arg ? arg : "", usage);
	return 2;
}

/* Returns 0, 1 (--help: done) or 2 (bad usage). */
static int parse_args(int argc, char **argv, const char **path, const char **format)
{
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if ((!strcmp(s, "-f") || !strcmp(s, "--format")) && i + 1 < argc) {
			*format = argv[++i];
		} else if (!strncmp(s, "--format=", 9)) {
			*format = s + 9;
		} else if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			fputs(usage, stdout);
			return 1;
		} else if (s[0] == '-' && s[1]) {
			return usage_error("unknown option or missing value", s);
		} else if (!*path) {
			*path = s;
		} else {
			return usage_error("more than one stats file given", s);
		}
	}
	if (!*path)
		return usage_error("no stats file given", NULL);
	if (strcmp(*format, "text") && strcmp(*format, "json") && strcmp(*format, "csv")) {
		fprintf(stderr, "mmsim report: --format: \"%s\" is not one of: text, json, csv\n",
			*format);
		return 2;
	}
	return 0;
}

/* The number of cores: the config's, else the coreN.cycles counters. */
static unsigned count_cores(const struct rep *r)
{
	const cJSON *cores = cfg_item(r, "cores", NULL);
	if (cJSON_IsNumber(cores) && cores->valuedouble >= 1 && cores->valuedouble <= 4096)
		return (unsigned)cores->valuedouble;
	unsigned n = 0;
	for (char name[32]; snprintf(name, sizeof(name), "core%u.cycles", n), has(r, name);)
		n++;
	return n;
}

int cmd_report(int argc, char **argv, FILE *out)
{
	const char *path = NULL, *format = "text";
	int rc = parse_args(argc, argv, &path, &format);
	if (rc)
		return rc == 1 ? 0 : rc;
	char err[MMSIM_ERR_LEN];
	cJSON *root = json_load_file(path, err);
	if (!root) {
		fprintf(stderr, "mmsim report: %s\n", err);
		return 2;
	}
	struct rep r = { root, cJSON_GetObjectItemCaseSensitive(root, "counters"),
			 cJSON_GetObjectItemCaseSensitive(root, "config"), 0 };
	if (!cJSON_IsObject(r.counters)) {
		fprintf(stderr, "mmsim report: %s: counters: missing (not a file written by "
			"mmsim run --stats)\n", path);
		cJSON_Delete(root);
		return 2;
	}
	r.cores = count_cores(&r);
	if (!strcmp(format, "json")) {
		char *t = cJSON_Print(r.counters);
		fprintf(out, "%s\n", t);
		free(t);
	} else if (!strcmp(format, "csv")) {
		csv(out, &r);
	} else {
		text(out, &r);
	}
	cJSON_Delete(root);
	return 0;
}
