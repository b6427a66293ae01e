/* mmsim-bench: how fast the simulator runs on the host (issue 3 "Benchmarks";
 * results and how to read them in docs/performance.md).
 *
 * Each case writes its JSON trace to build/bench-traces/CASE.json (so any row
 * can be replayed with `mmsim run`), then runs in a forked child: load the
 * config and trace, build the machine, time machine_run() alone, in wall
 * time (CLOCK_MONOTONIC) and in the CPU time of the process
 * (CLOCK_PROCESS_CPUTIME_ID), and read the child's peak RSS (getrusage
 * ru_maxrss is a per-process peak, hence one process per case) and the
 * counted statistic. Rates are per CPU second: on a shared host the wall
 * time also counts the time the case waited for a CPU.
 * Each case runs REPS times (3 unless -r says otherwise) and keeps the
 * fastest run: the host is shared, and the minimum is the figure least
 * disturbed by other work. The parent prints one table and writes the same
 * rows to build/bench.json.
 *
 * Usage (from the project root): build/mmsim-bench [-r REPS] [CASE...]
 * With no CASE every case runs; `make bench` does that. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/config.h"
#include "lib/rtrace.h"
#include "lib/stats.h"
#include "lib/trace.h"
#include "src/machine.h"

#define TRACE_DIR "build/bench-traces"
#define JSON_OUT  "build/bench.json"

/* ------------------------------------------------------------- traces */

/* Each generator writes the thread objects of one process "bench". */
typedef void gen_fn(FILE *f, unsigned arg);

/* One thread: mmap a named region of len, then the body ops (JSON text). */
static void thread_obj(FILE *f, unsigned cpu, const char *region, const char *len,
		       const char *body, bool last)
{
	fprintf(f, "    { \"cpu\": %u, \"ops\": [\n"
		"      { \"op\": \"mmap\", \"name\": \"%s\", \"length\": \"%s\" },\n"
		"%s"
		"      { \"op\": \"exit\" } ] }%s\n", cpu, region, len, body, last ? "" : ",");
}

/* tlb-hit: 16 pages written once (pre-touch), then 20M random 8-byte reads. */
static void gen_tlb_hit(FILE *f, unsigned arg)
{
	(void)arg;
	thread_obj(f, 0, "buf", "64K",
		   "      { \"op\": \"stride\", \"base\": \"buf\", \"length\": \"64K\", "
		   "\"stride\": 4096, \"write\": 1.0 },\n"
		   "      { \"op\": \"random\", \"base\": \"buf\", \"length\": \"64K\", "
		   "\"size\": 8, \"count\": 20000000, \"seed\": 1 },\n", true);
}

/* tlb-miss-touch: write one word of each page of 4 GiB (1M faults, each
 * page its own frame: a read-touch would map the shared zero page
 * everywhere). With arg, tlb-miss: the same, then 5M random 8-byte reads
 * over the 4 GiB. */
static void gen_tlb_miss(FILE *f, unsigned arg)
{
	char body[512];
	snprintf(body, sizeof(body),
		 "      { \"op\": \"stride\", \"base\": \"buf\", \"length\": \"4G\", "
		 "\"stride\": 4096, \"write\": 1.0 },\n%s",
		 arg ? "      { \"op\": \"random\", \"base\": \"buf\", \"length\": \"4G\", "
		       "\"size\": 8, \"count\": 5000000, \"seed\": 2 },\n" : "");
	thread_obj(f, 0, "buf", "4G", body, true);
}

/* fault: first touch (a write) of every page of 1 GiB. */
static void gen_fault(FILE *f, unsigned arg)
{
	(void)arg;
	thread_obj(f, 0, "buf", "1G",
		   "      { \"op\": \"stride\", \"base\": \"buf\", \"length\": \"1G\", "
		   "\"stride\": 4096, \"write\": 1.0 },\n", true);
}

/* shootdown: thread 0 maps, touches, write-protects and unmaps a 32-page
 * region 2000 times (each mprotect and munmap flushes 32 pages with INVLPG
 * on every core of the mm) while
 * threads 1..arg-1 of the same process alternate 1000 random accesses to
 * their own 256K region with 450000 cycles of compute, so that they stay
 * in the mm (and receive every IPI) for as long as thread 0 churns. */
static void gen_shootdown(FILE *f, unsigned arg)
{
	fprintf(f, "    { \"cpu\": 0, \"ops\": [\n"
		"      { \"op\": \"repeat\", \"count\": 2000, \"ops\": [\n"
		"        { \"op\": \"mmap\", \"name\": \"churn\", \"length\": \"128K\" },\n"
		"        { \"op\": \"stride\", \"base\": \"churn\", \"length\": \"128K\", "
		"\"stride\": 4096, \"write\": 1.0 },\n"
		"        { \"op\": \"mprotect\", \"addr\": \"churn\", \"length\": \"128K\", "
		"\"prot\": \"r\" },\n"
		"        { \"op\": \"munmap\", \"addr\": \"churn\", \"length\": \"128K\" } ] },\n"
		"      { \"op\": \"exit\" } ] },\n");
	for (unsigned i = 1; i < arg; i++) {
		char region[16];
		snprintf(region, sizeof(region), "r%u", i);
		char body[384];
		snprintf(body, sizeof(body),
			 "      { \"op\": \"repeat\", \"count\": 2100, \"ops\": [\n"
			 "        { \"op\": \"random\", \"base\": \"%s\", \"length\": \"256K\", "
			 "\"count\": 1000, \"write\": 0.2 },\n"
			 "        { \"op\": \"compute\", \"cycles\": 450000 } ] },\n", region);
		thread_obj(f, i, region, "256K", body, i + 1 == arg);
	}
}

/* scale: arg threads, one per core, each writes one word of every page of
 * its own 16M region (4096 first-touch faults, its own frames rather than
 * the zero page), then makes 1M random 8-byte reads over it. */
static void gen_scale(FILE *f, unsigned arg)
{
	for (unsigned i = 0; i < arg; i++) {
		char region[16], body[384];
		snprintf(region, sizeof(region), "r%u", i);
		snprintf(body, sizeof(body),
			 "      { \"op\": \"stride\", \"base\": \"%s\", \"length\": \"16M\", "
			 "\"stride\": 4096, \"write\": 1.0 },\n"
			 "      { \"op\": \"random\", \"base\": \"%s\", \"length\": \"16M\", "
			 "\"size\": 8, \"count\": 1000000 },\n", region, region);
		thread_obj(f, i, region, "16M", body, i + 1 == arg);
	}
}

/* pressure: a working set twice RAM (512 MiB on a 256 MiB guest with 1 GiB
 * of swap): write-touch it, then 1M random 8-byte reads over it, most of
 * which fault pages back from swap while kswapd pushes others out. */
static void gen_pressure(FILE *f, unsigned arg)
{
	(void)arg;
	thread_obj(f, 0, "ws", "512M",
		   "      { \"op\": \"stride\", \"base\": \"ws\", \"length\": \"512M\", "
		   "\"stride\": 4096, \"write\": 1.0 },\n"
		   "      { \"op\": \"random\", \"base\": \"ws\", \"length\": \"512M\", "
		   "\"size\": 8, \"count\": 1000000 },\n", true);
}

/* trace-decode needs no JSON trace: it decodes a recorded one. */
static void gen_none(FILE *f, unsigned arg)
{
	(void)arg;
	thread_obj(f, 0, "buf", "4K", "", true);
}

/* -------------------------------------------------------------- cases */

struct bench_case {
	const char *name;
	const char *counts;      /* what is counted: "accesses" or "faults" */
	double goal;             /* M counted items per host second; 0: no goal */
	gen_fn *gen;             /* NULL: the case cannot run yet (see note) */
	unsigned arg;
	const char *sets[2];     /* config overrides (cfg_set) */
	const char *minus;       /* report net of this earlier case's figures */
	const char *note;
};

static const struct bench_case cases[] = {
	{ "tlb-hit", "accesses", 50, gen_tlb_hit, 0, { NULL }, NULL,
	  "random 8-byte reads in 16 pre-touched pages (64K), 20M" },
	{ "tlb-miss-touch", "faults", 0, gen_tlb_miss, 0, { "memory.size=8G" }, NULL,
	  "write-touch of 4 GiB, one access per 4K page (1M faults), 8 GiB guest" },
	{ "tlb-miss", "accesses", 5, gen_tlb_miss, 1, { "memory.size=8G" }, "tlb-miss-touch",
	  "5M random 8-byte reads over 4 GiB; net of the tlb-miss-touch row; RSS is the whole run's" },
	{ "fault", "faults", 0.5, gen_fault, 0, { NULL }, NULL,
	  "first-touch writes of 1 GiB anonymous memory (262144 faults)" },
	{ "shootdown", "accesses", 0, gen_shootdown, 8, { "cores=8" }, NULL,
	  "8 cores: mmap/touch/mprotect/munmap churn by one thread, 7 threads access" },
	{ "pressure", "accesses", 0, gen_pressure, 0, { "memory.size=256M", "swap.size=1G" }, NULL,
	  "512 MiB write-touched on a 256 MiB guest with 1 GiB swap, then 1M random reads "
	  "(swap-ins, kswapd)" },
	{ "trace-decode", "records", 100, gen_none, 0, { NULL }, NULL,
	  "decode the mmsim binary form of traces/recorded/ls.lackey.xz 20 times (no simulation)" },
	{ "scale-1", "accesses", 0, gen_scale, 1, { "cores=1" }, NULL,
	  "per core: write-touch its own 16M (4096 faults), then 1M random reads over it" },
	{ "scale-2", "accesses", 0, gen_scale, 2, { "cores=2" }, NULL, NULL },
	{ "scale-4", "accesses", 0, gen_scale, 4, { "cores=4" }, NULL, NULL },
	{ "scale-8", "accesses", 0, gen_scale, 8, { "cores=8" }, NULL, NULL },
	{ "scale-16", "accesses", 0, gen_scale, 16, { "cores=16" }, NULL, NULL },
	{ "scale-32", "accesses", 0, gen_scale, 32, { "cores=32" }, NULL, NULL },
	{ "scale-64", "accesses", 0, gen_scale, 64, { "cores=64" }, NULL, NULL },
	{ "guest-4g", "accesses", 0, gen_scale, 1, { "cores=1", "memory.size=4G" }, NULL,
	  "the scale-1 trace on a 4 GiB guest" },
	{ "guest-64g", "accesses", 0, gen_scale, 1, { "cores=1", "memory.size=64G" }, NULL,
	  "the scale-1 trace on a 64 GiB guest" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* ------------------------------------------------------------ running */

enum { ST_OK, ST_FAILED, ST_NOT_YET, ST_SKIPPED };

/* What a child sends back through its pipe. */
struct result {
	int status;
	double secs;             /* CPU seconds of machine_run() (the rate's) */
	double wall;             /* wall seconds of the same */
	uint64_t count, cycles, rss_kib;
	uint64_t shootdowns, ipis;
	char why[200];
};

/* r->why, truncated as needed. */
static void set_why(struct result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_why(struct result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

static double clock_secs(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double now(void) { return clock_secs(CLOCK_MONOTONIC); }
static double cpu_now(void) { return clock_secs(CLOCK_PROCESS_CPUTIME_ID); }

static int write_trace(const struct bench_case *bc, char *path, size_t n)
{
	snprintf(path, n, "%s/%s.json", TRACE_DIR, bc->name);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "{\n  \"name\": \"bench-%s\",\n  \"description\": \"mmsim-bench case "
		"%s: %s\",\n  \"processes\": [ { \"name\": \"bench\", \"threads\": [\n",
		bc->name, bc->name, bc->note ? bc->note : "see bench/bench.c");
	bc->gen(f, bc->arg);
	fprintf(f, "  ] } ]\n}\n");
	return fclose(f);
}

static int load_cfg(const struct bench_case *bc, struct mmsim_cfg *cfg, char *err)
{
	cfg_defaults(cfg);
	for (size_t i = 0; i < 2 && bc->sets[i]; i++)
		if (cfg_set(cfg, bc->sets[i], "bench", err))
			return -1;
	return cfg_check(cfg, "bench", err);
}

static uint64_t stat_or_zero(struct machine *m, const char *name)
{
	uint64_t v = 0;
	stats_get(machine_stats(m), name, &v);
	return v;
}

/* trace-decode: convert ls's lackey trace to the mmsim binary format once
 * (untimed), then time rtrace_read() over it REPEATS times. */
static void run_decode(struct result *r)
{
	enum { REPEATS = 20, BATCH = 4096 };
	const char *src = "traces/recorded/ls.lackey.xz", *bin = TRACE_DIR "/ls.mmt";
	char err[MMSIM_ERR_LEN];
	static struct rtrace_rec recs[BATCH];
	struct rtrace *in = rtrace_open(src, RT_AUTO, err);
	struct rtrace_writer *w = in ? rtrace_writer_open(bin, RT_MMSIM, 0, 0, "bench", err) : NULL;
	long n = 0;
	while (w && (n = rtrace_read(in, recs, BATCH, err)) > 0)
		for (long i = 0; i < n && n > 0; i++)
			if (rtrace_write(w, &recs[i], err) < 0)
				n = -1;
	rtrace_close(in);
	if (!w || n < 0 || rtrace_writer_close(w, err) < 0) {
		set_why(r, "%s", err);
		r->status = ST_FAILED;
		return;
	}
	double t0 = now(), c0 = cpu_now();
	for (int k = 0; k < REPEATS; k++) {
		struct rtrace *t = rtrace_open(bin, RT_MMSIM, err);
		while (t && (n = rtrace_read(t, recs, BATCH, err)) > 0)
			r->count += (uint64_t)n;
		rtrace_close(t);
	}
	r->wall = now() - t0;
	r->secs = cpu_now() - c0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	r->rss_kib = (uint64_t)ru.ru_maxrss;
	r->status = ST_OK;
}

/* Run the case's machine in this (child) process and fill r. */
static void run_case(const struct bench_case *bc, const char *path, struct result *r)
{
	struct mmsim_cfg cfg;
	struct trace tr = { 0 };
	char err[MMSIM_ERR_LEN];
	if (bc->gen == gen_none) {
		run_decode(r);
		return;
	}
	r->status = ST_FAILED;
	if (load_cfg(bc, &cfg, err) || trace_load(&tr, path, err)) {
		set_why(r, "%s", err);
		return;
	}
	struct machine *m = machine_create(&cfg, &tr, false, err);
	if (!m) {
		set_why(r, "%s", err);
		trace_free(&tr);
		return;
	}
	double t0 = now(), c0 = cpu_now();
	int rc = machine_run(m, err);
	r->wall = now() - t0;
	r->secs = cpu_now() - c0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	r->rss_kib = (uint64_t)ru.ru_maxrss;
	r->count = stat_or_zero(m, strcmp(bc->counts, "faults") ? "run.accesses" : "mm.pgfault");
	r->cycles = machine_cycles(m);
	r->shootdowns = stat_or_zero(m, "mm.tlbflush.shootdown");
	r->ipis = stat_or_zero(m, "mm.tlbflush.ipi");
	if (rc || machine_kills(m) || machine_mismatches(m))
		set_why(r, "%s", rc ? err : machine_events(m));
	else
		r->status = ST_OK;
	machine_destroy(m);
	trace_free(&tr);
}

/* Fork, run the case in the child, collect its result. */
static void run_forked(const struct bench_case *bc, struct result *r)
{
	char path[256];
	memset(r, 0, sizeof(*r));
	r->status = ST_FAILED;
	if (write_trace(bc, path, sizeof(path))) {
		set_why(r, "cannot write %s: %s", path, strerror(errno));
		return;
	}
	int fd[2];
	if (pipe(fd))
		abort();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		close(fd[0]);
		run_case(bc, path, r);
		ssize_t n = write(fd[1], r, sizeof(*r));
		_exit(n == (ssize_t)sizeof(*r) ? 0 : 1);
	}
	close(fd[1]);
	ssize_t n = read(fd[0], r, sizeof(*r));
	close(fd[0]);
	int wst;
	waitpid(pid, &wst, 0);
	if (n != (ssize_t)sizeof(*r)) {
		memset(r, 0, sizeof(*r));
		r->status = ST_FAILED;
		set_why(r, "the case's process died (wait status %#x)", wst);
	}
}

/* The fastest of reps runs; peak RSS is the largest seen. */
static void run_best(const struct bench_case *bc, unsigned reps, struct result *r)
{
	run_forked(bc, r);
	for (unsigned k = 1; k < reps && r->status == ST_OK; k++) {
		struct result again;
		run_forked(bc, &again);
		if (again.status != ST_OK) {
			*r = again;
			break;
		}
		if (again.rss_kib < r->rss_kib)
			again.rss_kib = r->rss_kib;
		if (again.secs < r->secs)
			*r = again;
		else
			r->rss_kib = again.rss_kib;
	}
}

/* ------------------------------------------------------------ reports */

static int find_case(const char *name)
{
	for (size_t i = 0; i < NCASES; i++)
		if (!strcmp(cases[i].name, name))
			return (int)i;
	return -1;
}

/* Net r of the earlier result base (same work first, then more). */
static void subtract(struct result *r, const struct result *base)
{
	if (base->status != ST_OK) {
		r->status = ST_FAILED;
		set_why(r, "its baseline row failed");
		return;
	}
	r->secs -= base->secs;
	r->wall -= base->wall;
	r->count -= base->count;
	r->cycles -= base->cycles;
}

static const char *verdict(const struct bench_case *bc, const struct result *r)
{
	if (r->status == ST_NOT_YET)
		return bc->note;
	if (r->status != ST_OK)
		return "FAILED";
	if (!bc->goal)
		return "no goal";
	return r->count / r->secs / 1e6 >= bc->goal ? "met" : "MISSED";
}

static void print_header(void)
{
	printf("%-15s %-8s %10s %8s %8s %8s %8s %8s %13s %7s  %s\n", "case", "counts", "count",
	       "cpu s", "wall s", "M/s", "ns/item", "RSS MiB", "sim cycles", "goal", "status");
}

static void print_row(const struct bench_case *bc, const struct result *r)
{
	char goal[16] = "-";
	if (bc->goal)
		snprintf(goal, sizeof(goal), ">=%g", bc->goal);
	if (r->status != ST_OK) {
		printf("%-15s %-8s %10s %8s %8s %8s %8s %8s %13s %7s  %s\n", bc->name, bc->counts,
		       "-", "-", "-", "-", "-", "-", "-", goal, verdict(bc, r));
		return;
	}
	printf("%-15s %-8s %10llu %8.3f %8.3f %8.2f %8.1f %8.1f %13llu %7s  %s\n", bc->name,
	       bc->counts, (unsigned long long)r->count, r->secs, r->wall, r->count / r->secs / 1e6,
	       r->secs * 1e9 / r->count, r->rss_kib / 1024.0, (unsigned long long)r->cycles,
	       goal, verdict(bc, r));
}

static void print_notes(const bool *sel, const struct result *res)
{
	printf("\nnotes:\n");
	for (size_t i = 0; i < NCASES; i++) {
		const struct result *r = &res[i];
		if (!sel[i] || r->status == ST_NOT_YET)
			continue;
		if (cases[i].note)
			printf("  %-15s %s\n", cases[i].name, cases[i].note);
		if (r->shootdowns)
			printf("  %-15s %llu shootdowns, %llu IPIs\n", cases[i].name,
			       (unsigned long long)r->shootdowns, (unsigned long long)r->ipis);
		if (r->status == ST_FAILED)
			printf("  %-15s FAILED: %s\n", cases[i].name, r->why);
	}
}

static void json_row(FILE *f, const struct bench_case *bc, const struct result *r, bool last)
{
	fprintf(f, "    { \"case\": \"%s\", \"counts\": \"%s\", ", bc->name, bc->counts);
	if (r->status == ST_OK)
		fprintf(f, "\"count\": %llu, \"cpu_seconds\": %.6f, \"wall_seconds\": %.6f, "
			"\"rate_m_per_s\": %.3f, "
			"\"ns_per_item\": %.2f, \"peak_rss_mib\": %.1f, \"sim_cycles\": %llu, "
			"\"shootdowns\": %llu, ", (unsigned long long)r->count, r->secs, r->wall,
			r->count / r->secs / 1e6, r->secs * 1e9 / r->count, r->rss_kib / 1024.0,
			(unsigned long long)r->cycles, (unsigned long long)r->shootdowns);
	if (bc->goal)
		fprintf(f, "\"goal_m_per_s\": %g, ", bc->goal);
	else
		fprintf(f, "\"goal_m_per_s\": null, ");
	fprintf(f, "\"status\": \"%s\" }%s\n", verdict(bc, r), last ? "" : ",");
}

static void write_json(const bool *sel, const struct result *res, unsigned reps)
{
	FILE *f = fopen(JSON_OUT, "w");
	if (!f) {
		fprintf(stderr, "mmsim-bench: cannot write %s: %s\n", JSON_OUT, strerror(errno));
		return;
	}
	time_t t = time(NULL);
	char date[32];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	fprintf(f, "{\n  \"date\": \"%s\",\n  \"host_cpus\": %ld,\n  \"reps\": %u,\n"
		"  \"rows\": [\n", date, sysconf(_SC_NPROCESSORS_ONLN), reps);
	size_t last = 0;
	for (size_t i = 0; i < NCASES; i++)
		if (sel[i])
			last = i;
	for (size_t i = 0; i < NCASES; i++)
		if (sel[i])
			json_row(f, &cases[i], &res[i], i == last);
	fprintf(f, "  ]\n}\n");
	fclose(f);
}

/* ---------------------------------------------------------------- main */

/* [-r REPS] [CASE...]: mark the cases named (all if none), with the rows
 * they are reported net of. */
static int parse_args(int argc, char **argv, unsigned *reps, bool *sel)
{
	int a = 1;
	if (argc > 2 && !strcmp(argv[1], "-r")) {
		*reps = (unsigned)atoi(argv[2]);
		a = 3;
	}
	if (*reps < 1 || *reps > 100 || (a < argc && argv[a][0] == '-')) {
		fprintf(stderr, "usage: mmsim-bench [-r REPS (1..100)] [CASE...]\n");
		return -1;
	}
	for (size_t i = 0; i < NCASES; i++)
		sel[i] = a == argc;
	for (; a < argc; a++) {
		int i = find_case(argv[a]);
		if (i < 0) {
			fprintf(stderr, "mmsim-bench: no case \"%s\"\n", argv[a]);
			return -1;
		}
		sel[i] = true;
		if (cases[i].minus)
			sel[find_case(cases[i].minus)] = true;
	}
	return 0;
}

int main(int argc, char **argv)
{
	bool sel[NCASES];
	struct result res[NCASES];
	unsigned reps = 3;
	if (parse_args(argc, argv, &reps, sel))
		return 2;
	mkdir("build", 0777);
	mkdir(TRACE_DIR, 0777);
	printf("mmsim-bench: fastest of %u runs per case\n", reps);
	print_header();
	bool failed = false;
	for (size_t i = 0; i < NCASES; i++) {
		const struct bench_case *bc = &cases[i];
		struct result *r = &res[i];
		if (!sel[i])
			continue;
		if (!bc->gen) {
			memset(r, 0, sizeof(*r));
			r->status = ST_NOT_YET;
		} else {
			run_best(bc, reps, r);
			if (bc->minus && r->status == ST_OK)
				subtract(r, &res[find_case(bc->minus)]);
		}
		print_row(bc, r);
		failed |= r->status == ST_FAILED;
	}
	print_notes(sel, res);
	write_json(sel, res, reps);
	return failed ? 1 : 0;
}
