/* The GUI (gui/, docs/gui.md): the snapshot API against a small trace, the
 * observer hook leaving every counter as it was, and — when mmsim is built
 * with SDL — headless screenshots: size, and known cells of the memory map
 * in their kinds' colours. No display is needed: the headless mode draws
 * into an offscreen software surface. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gui/gui.h"
#include "gui/snapshot.h"
#include "lib/config.h"
#include "lib/stats.h"
#include "lib/trace.h"
#include "src/cli.h"
#include "src/machine.h"
#include "sim/mmu/pte.h"

/* One process maps 1 MiB and writes its 256 pages in order: step 1 is the
 * mmap, step 1 + k has touched k pages. */
#define TOUCH_TRACE \
	"{\"processes\": [{\"name\": \"p\", \"threads\": [{\"cpu\": 0, \"ops\": [" \
	"{\"op\": \"mmap\", \"name\": \"b\", \"length\": \"1M\"}," \
	"{\"op\": \"stride\", \"base\": \"b\", \"length\": \"1M\", \"stride\": 4096, " \
	"\"write\": 1.0}]}]}]}"

struct gt {
	struct mmsim_cfg cfg;
	struct trace tr;
	struct machine *m;
	char path[64];
};

static void gt_open(struct gt *g, const char *json)
{
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&g->cfg);
	cr_assert_eq(cfg_load(&g->cfg, "configs/tiny.json", err), 0, "%s", err);
	cr_assert_eq(cfg_check(&g->cfg, "test", err), 0, "%s", err);
	strcpy(g->path, "/tmp/mmsim-gui-XXXXXX");
	int fd = mkstemp(g->path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	cr_assert_eq(trace_load(&g->tr, g->path, err), 0, "%s", err);
	g->m = machine_create(&g->cfg, &g->tr, 0, err);
	cr_assert(g->m, "%s", err);
}

static void gt_close(struct gt *g)
{
	machine_destroy(g->m);
	trace_free(&g->tr);
	unlink(g->path);
}

static uint64_t zones_free(const struct machine *m)
{
	struct snap_zone z[SNAP_MAX_ZONES];
	unsigned n = snap_zones(m, z, SNAP_MAX_ZONES);
	uint64_t sum = 0;
	for (unsigned i = 0; i < n; i++)
		sum += z[i].free_pages;
	return sum;
}

/* At boot: the firmware's first MiB is reserved, every free frame the
 * zones count is in a free block, and the process's PML4 is a page table. */
Test(gui, snapshot_boot)
{
	struct gt g;
	gt_open(&g, TOUCH_TRACE);
	struct snap_map s;
	snap_map_init(&s, g.m);
	snap_map_update(&s, g.m);
	cr_assert_eq(s.nframes, 64ull << 20 >> PAGE_SHIFT);
	for (uint64_t pfn = 0; pfn < 256; pfn++)
		cr_assert_eq(s.kind[pfn], SK_RESERVED, "pfn %llu", (unsigned long long)pfn);
	cr_assert_eq(s.count[SK_FREE], zones_free(g.m));
	struct snap_proc p;
	snap_proc_get(g.m, 0, &p);
	cr_assert(p.alive);
	cr_assert_eq(s.kind[p.pgd >> PAGE_SHIFT], SK_PGTABLE);
	/* the process's tables, and the kernel's own (kmap) */
	cr_assert_geq(s.count[SK_PGTABLE], p.pt_pages);
	cr_assert_eq(s.count[SK_ANON], 0);
	/* a free frame's facts: its block's head and order agree with the map */
	struct snap_page pg;
	snap_page_get(g.m, s.nframes - 1, &pg);
	cr_assert_eq(pg.kind, SK_FREE);
	cr_assert_eq(pg.free_order, s.order[s.nframes - 1]);
	cr_assert_leq(pg.free_head + (1ull << pg.free_order), s.nframes);
	cr_assert_gt(pg.free_head + (1ull << pg.free_order), s.nframes - 1);
	snap_map_fini(&s);
	gt_close(&g);
}

struct stop_at {
	uint64_t steps, at;
};

static int count_and_stop(void *arg)
{
	struct stop_at *s = arg;
	return ++s->steps == s->at;
}

/* Stopped after 101 steps (the mmap and 100 first touches): 100 anon
 * frames, as many as the mm's rss; the last walk was core 0's, for the
 * 100th page, and its path in the page tables ends at an anon frame that
 * core 0's L1 dTLB maps. */
Test(gui, snapshot_mid_run)
{
	struct gt g;
	char err[MMSIM_ERR_LEN];
	gt_open(&g, TOUCH_TRACE);
	struct snap_map s;
	struct snap_proc p;
	snap_map_init(&s, g.m);
	snap_map_update(&s, g.m);
	snap_proc_get(g.m, 0, &p);
	uint64_t boot_tables = s.count[SK_PGTABLE], boot_pt = p.pt_pages;

	struct stop_at st = { 0, 101 };
	machine_set_observer(g.m, count_and_stop, &st);
	machine_remember_walks(g.m, true);
	cr_assert_eq(machine_run(g.m, err), 0, "%s", err);
	cr_assert(machine_stopped(g.m));
	cr_assert_eq(st.steps, 101);

	snap_map_update(&s, g.m);
	snap_proc_get(g.m, 0, &p);
	cr_assert_eq(p.rss_anon, 100);
	cr_assert_eq(s.count[SK_ANON], 100);
	/* the tables the faults added (PDPT, PD, PT) are page-table frames */
	cr_assert_eq(p.pt_pages - boot_pt, 3);
	cr_assert_eq(s.count[SK_PGTABLE] - boot_tables, p.pt_pages - boot_pt);
	cr_assert_eq(s.count[SK_FREE], zones_free(g.m));

	struct snap_core c;
	snap_core_get(g.m, 0, &c);
	cr_assert(c.has_last_walk);
	cr_assert_eq(c.last_cr3 & PTE_ADDR_MASK, p.pgd);
	cr_assert_eq(c.last_level, 1);
	cr_assert(!c.last_faulted);
	paddr_t t = p.pgd;
	pte_t e = 0;
	for (int l = snap_levels(g.m); l >= 1; l--) {
		e = snap_pte(g.m, t, pt_index(c.last_va, l));
		cr_assert(e & PTE_P, "level %d not present", l);
		t = e & PTE_ADDR_MASK;
	}
	cr_assert_eq(s.kind[t >> PAGE_SHIFT], SK_ANON);
	cr_assert(e & PTE_D);

	struct snap_tlb tl[SNAP_MAX_TLBS];
	unsigned n = snap_core_tlbs(g.m, 0, tl, SNAP_MAX_TLBS);
	cr_assert_gt(n, 0);
	cr_assert_str_eq(tl[0].name, "L1d 4K");
	bool found = false;
	for (unsigned set = 0; set < tl[0].sets; set++)
		for (unsigned w = 0; w < tl[0].ways; w++) {
			struct snap_tlb_entry te;
			snap_tlb_entry(g.m, 0, 0, set, w, &te);
			found |= te.valid && te.vpn == c.last_va >> PAGE_SHIFT &&
				 te.pfn == t >> PAGE_SHIFT && te.dirty;
		}
	cr_assert(found, "no L1d entry for the last walk's page");
	snap_map_fini(&s);
	gt_close(&g);
}

/* A device's DMA mappings show as DMA-mapped frames: after the NIC's ring
 * (dma_alloc) and one packet buffer (dma_map) are mapped through the
 * IOMMU, exactly their two frames; none at boot. */
Test(gui, snapshot_dma_mapped)
{
	struct gt g;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&g.cfg);
	cr_assert_eq(cfg_load(&g.cfg, "configs/tiny.json", err), 0, "%s", err);
	cr_assert_eq(cfg_check(&g.cfg, "test", err), 0, "%s", err);
	cr_assert_eq(trace_load(&g.tr, "traces/iommu-nic.json", err), 0, "%s", err);
	g.m = machine_create(&g.cfg, &g.tr, 0, err);
	cr_assert(g.m, "%s", err);
	g.path[0] = 0;
	struct snap_map s;
	snap_map_init(&s, g.m);
	snap_map_update(&s, g.m);
	cr_assert_eq(s.count[SK_DMA], 0);
	struct stop_at st = { 0, 4 };   /* mmap, dma_alloc, repeat, dma_map */
	machine_set_observer(g.m, count_and_stop, &st);
	cr_assert_eq(machine_run(g.m, err), 0, "%s", err);
	snap_map_update(&s, g.m);
	cr_assert_eq(s.count[SK_DMA], 2);
	snap_map_fini(&s);
	machine_destroy(g.m);
	trace_free(&g.tr);
}

/* A watching observer and the walkers' memory of the last walk change no
 * counter: every stat of the run is the same as without them. */
Test(gui, observer_changes_nothing)
{
	struct gt a, b;
	char err[MMSIM_ERR_LEN];
	gt_open(&a, TOUCH_TRACE);
	gt_open(&b, TOUCH_TRACE);
	struct stop_at st = { 0, 0 };
	machine_set_observer(b.m, count_and_stop, &st);
	machine_remember_walks(b.m, true);
	cr_assert_eq(machine_run(a.m, err), 0, "%s", err);
	cr_assert_eq(machine_run(b.m, err), 0, "%s", err);
	cr_assert(!machine_stopped(b.m));
	cr_assert_gt(st.steps, 256);
	const struct stats *sa = machine_stats(a.m), *sb = machine_stats(b.m);
	cr_assert_eq(stats_count(sa), stats_count(sb));
	for (size_t i = 0; i < stats_count(sa); i++) {
		cr_assert_str_eq(stats_name(sa, i), stats_name(sb, i));
		cr_assert_eq(stats_value(sa, i), stats_value(sb, i), "%s", stats_name(sa, i));
	}
	gt_close(&a);
	gt_close(&b);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert(f, "%s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A path of our own in /tmp (test suites of other builds run beside us). */
static const char *tmp(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/tmp/mmsim-gui-%d-%s", (int)getpid(), name);
	return buf;
}

static int run_cmd(int (*cmd)(int, char **, FILE *), const char *const *args)
{
	char *av[32];
	int n = 0;
	for (; args[n]; n++)
		av[n] = (char *)args[n];
	av[n] = NULL;
	FILE *null = fopen("/dev/null", "w");
	int rc = cmd(n, av, null);
	fclose(null);
	return rc;
}

/* mmsim run --gui --screenshot: the same --stats file, byte for byte, as
 * mmsim run; the shot exists. */
Test(gui, identical_stats_with_gui)
{
	if (!gui_available())
		cr_skip_test("mmsim built without SDL2 (scripts/deps.sh installs it)");
	char ps[96], gs[96], mid[96];
	tmp(ps, sizeof(ps), "plain.json");
	tmp(gs, sizeof(gs), "gui.json");
	tmp(mid, sizeof(mid), "mid.png");
	const char *plain[] = { "run", "-c", "configs/default.json", "traces/demo.json",
				"--stats", ps, "-q", NULL };
	const char *gui[] = { "run", "-c", "configs/default.json", "traces/demo.json",
			      "--stats", gs, "-q", "--gui", "--screenshot", mid, "--at", "50000",
			      NULL };
	cr_assert_eq(run_cmd(cmd_run, plain), 0);
	cr_assert_eq(run_cmd(cmd_run, gui), 0);
	size_t la, lb;
	char *a = slurp(ps, &la);
	char *b = slurp(gs, &lb);
	cr_assert_eq(la, lb);
	cr_assert(memcmp(a, b, la) == 0, "the stats differ with the GUI attached");
	free(a);
	free(b);
	int w, h;
	uint32_t rgb;
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(gui_png_pixel(mid, 0, 0, &w, &h, &rgb, err), 0,
		     "%s", err);
	unlink(ps);
	unlink(gs);
	unlink(mid);
}

static uint32_t pixel(const char *png, uint64_t nframes, uint64_t pfn)
{
	int x, y, w, h;
	uint32_t rgb = 0;
	char err[MMSIM_ERR_LEN];
	cr_assert(gui_map_cell_xy(nframes, pfn, &x, &y), "pfn %llu off the map",
		  (unsigned long long)pfn);
	cr_assert_eq(gui_png_pixel(png, x, y, &w, &h, &rgb, err), 0, "%s", err);
	cr_assert_eq(w, GUI_WIDTH);
	cr_assert_eq(h, GUI_HEIGHT);
	return rgb;
}

/* mmsim gui --screenshot F --at 101 on the tiny machine: a 1280x800 PNG in
 * which the reserved first frame, the process's PML4, a frame it touched
 * and the last (free) frame have their kinds' colours. The cells are found
 * from the same machine stopped at the same step. */
Test(gui, screenshot_cells)
{
	if (!gui_available())
		cr_skip_test("mmsim built without SDL2 (scripts/deps.sh installs it)");
	struct gt g;
	char err[MMSIM_ERR_LEN];
	gt_open(&g, TOUCH_TRACE);
	char png[96];
	tmp(png, sizeof(png), "cells.png");
	const char *args[] = { "gui", "-c", "configs/tiny.json", g.path, "--screenshot", png,
			       "--at", "101", NULL };
	cr_assert_eq(run_cmd(cmd_gui, args), 0);

	struct stop_at st = { 0, 101 };
	machine_set_observer(g.m, count_and_stop, &st);
	cr_assert_eq(machine_run(g.m, err), 0, "%s", err);
	struct snap_map s;
	snap_map_init(&s, g.m);
	snap_map_update(&s, g.m);
	struct snap_proc p;
	snap_proc_get(g.m, 0, &p);
	uint64_t anon = 0;
	while (s.kind[anon] != SK_ANON)
		anon++;
	cr_assert_eq(pixel(png, s.nframes, 0), gui_kind_rgb(SK_RESERVED, 0));
	cr_assert_eq(pixel(png, s.nframes, p.pgd >> PAGE_SHIFT), gui_kind_rgb(SK_PGTABLE, 0));
	cr_assert_eq(pixel(png, s.nframes, anon), gui_kind_rgb(SK_ANON, 0));
	uint64_t last = s.nframes - 1;
	cr_assert_eq(s.kind[last], SK_FREE);
	cr_assert_eq(pixel(png, s.nframes, last), gui_kind_rgb(SK_FREE, s.order[last]));
	snap_map_fini(&s);
	gt_close(&g);
	unlink(png);
}

/* Bad GUI options are bad input: exit 2 and nothing runs. */
Test(gui, bad_options)
{
	char bad[96];
	tmp(bad, sizeof(bad), "bad.png");
	const char *at0[] = { "gui", "-c", "configs/tiny.json", "traces/demo.json",
			      "--screenshot", bad, "--at", "0", NULL };
	const char *atx[] = { "run", "-c", "configs/tiny.json", "traces/demo.json",
			      "--at", "ten", NULL };
	const char *noval[] = { "run", "-c", "configs/tiny.json", "traces/demo.json",
				"--screenshot", NULL };
	cr_assert_eq(run_cmd(cmd_gui, at0), 2);
	cr_assert_eq(run_cmd(cmd_run, atx), 2);
	cr_assert_eq(run_cmd(cmd_run, noval), 2);
	cr_assert_eq(access(bad, F_OK), -1);
}

/* A window that cannot open (no such video driver here) is reported, exit
 * 2, before anything is simulated. */
Test(gui, no_display)
{
	if (!gui_available())
		cr_skip_test("mmsim built without SDL2");
	setenv("SDL_VIDEODRIVER", "no-such-driver", 1);
	const char *args[] = { "gui", "-c", "configs/tiny.json", "traces/demo.json", NULL };
	cr_assert_eq(run_cmd(cmd_gui, args), 2);
	unsetenv("SDL_VIDEODRIVER");
}
