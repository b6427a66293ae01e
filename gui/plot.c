/* Counters over simulated time as small plots: L1 TLB miss rate, page
 * faults, free pages against the watermarks, and reclaim/swap activity
 * (TLB shootdowns until the kernel has reclaim counters).
 *
 * Samples are taken every `sample_every` steps, whether or not a frame is
 * drawn, so a headless screenshot shows the same curves as the window; when
 * the buffer fills, every other sample is dropped and the interval
 * doubles, so the plot always spans the whole run so far. */
#include "gui/internal.h"

#include <stdio.h>
#include <string.h>
#include "src/machine.h"

/* Reclaim and swap counters, summed if the kernel registers any of them:
 * swap slots taken (pages swapped out), kswapd wakeups, and the names
 * Linux's /proc/vmstat uses for scanning, stealing and swapping. */
static const char *const reclaim_names[] = {
	"swap.0.alloc", "swap.1.alloc", "mm.page_alloc.kswapd_wake", "mm.pgscan",
	"mm.pgsteal", "mm.pswpin", "mm.pswpout", "mm.vmstat.pgscan_kswapd",
	"mm.vmstat.pgscan_direct", "mm.vmstat.pswpin", "mm.vmstat.pswpout",
};

static const char *const series_name[PLOT_SERIES] = {
	"L1 TLB miss rate %", "page faults / interval", "free pages", NULL,
};

#define NRECLAIM (sizeof(reclaim_names) / sizeof(reclaim_names[0]))

/* Find the counters once: the registry is complete when the run starts. */
void plot_init(struct gui *g)
{
	_Static_assert(NRECLAIM <= sizeof(g->reclaim_idx) / sizeof(g->reclaim_idx[0]),
		       "room for every reclaim counter");
	g->have_reclaim = false;
	for (size_t i = 0; i < NRECLAIM; i++) {
		g->reclaim_idx[i] = snap_counter_find(g->m, reclaim_names[i]);
		g->have_reclaim |= g->reclaim_idx[i] >= 0;
	}
	g->sample_every = 256;
	g->next_sample = g->steps + g->sample_every;
}

static uint64_t reclaim_now(struct gui *g)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < NRECLAIM; i++)
		sum += snap_counter_at(g->m, g->reclaim_idx[i]);
	return sum;
}

void plot_sample(struct gui *g)
{
	uint64_t hit = 0, miss = 0;
	for (unsigned i = 0; i < machine_ncores(g->m); i++) {
		struct snap_core c;
		snap_core_get(g->m, i, &c);
		hit += c.l1_hit;
		miss += c.l1_miss;
	}
	struct snap_vm vm;
	snap_vm_get(g->m, &vm);
	uint64_t other = g->have_reclaim ? reclaim_now(g) : vm.shootdowns;
	if (g->nsamples == PLOT_SAMPLES) {
		for (unsigned k = 0; k < PLOT_SAMPLES / 2; k++) {
			for (int s = 0; s < PLOT_SERIES; s++)
				g->sample[s][k] = g->sample[s][2 * k + 1];
			g->sample_cycles[k] = g->sample_cycles[2 * k + 1];
		}
		g->nsamples = PLOT_SAMPLES / 2;
		g->sample_every *= 2;
	}
	uint64_t dh = hit - g->last_hit, dm = miss - g->last_miss;
	unsigned k = g->nsamples++;
	g->sample[0][k] = dh + dm ? 100.0 * (double)dm / (double)(dh + dm) : 0;
	g->sample[1][k] = (double)(vm.pgfault - g->last_faults);
	g->sample[2][k] = (double)vm.free_pages;
	g->sample[3][k] = (double)(other - g->last_other);
	g->sample_cycles[k] = snap_cycles(g->m);
	g->last_hit = hit;
	g->last_miss = miss;
	g->last_faults = vm.pgfault;
	g->last_other = other;
	g->next_sample = g->steps + g->sample_every;
}

static void plot_one(struct gui *g, int s, int x, int y, int w, int h, const char *name,
		     double floor_max)
{
	struct canvas *cv = &g->cv;
	double max = floor_max, last = g->nsamples ? g->sample[s][g->nsamples - 1] : 0;
	for (unsigned k = 0; k < g->nsamples; k++)
		if (g->sample[s][k] > max)
			max = g->sample[s][k];
	cv_fill(cv, x, y + cv->fh, w, h - cv->fh, C_BG);
	cv_frame(cv, x, y + cv->fh, w, h - cv->fh, C_BORDER);
	cv_text(cv, x, y, C_DIM, "%s: %.6g (max %.6g)", name, last, max);
	int py = y + cv->fh + 2, ph = h - cv->fh - 4;
	if (s == 2)
		for (int i = 0; i < 3; i++)
			if (g->wmark[i] > 0 && g->wmark[i] <= max) {
				int wy = py + ph - (int)(ph * g->wmark[i] / max);
				cv_fill(cv, x + 1, wy, w - 2, 1, i == 0 ? 0xff4040 : i == 1 ?
					0xffa040 : 0xffff60);
			}
	if (g->nsamples < 2 || max <= 0)
		return;
	int px = 0, pyv = 0;
	for (unsigned k = 0; k < g->nsamples; k++) {
		int xx = x + 1 + (int)((double)(w - 3) * k / (PLOT_SAMPLES - 1));
		int yy = py + ph - (int)(ph * g->sample[s][k] / max);
		if (k)
			cv_line(cv, px, pyv, xx, yy, 0x60c0ff);
		px = xx, pyv = yy;
	}
}

void draw_plots(struct gui *g)
{
	const struct gui_rect *r = &gui_plot_panel;
	char title[160], a[16];
	snprintf(title, sizeof(title), "Counters over simulated time (0 .. %s cycles, a sample "
		 "every %llu steps)", cv_human(snap_cycles(g->m), a, sizeof(a)),
		 (unsigned long long)g->sample_every);
	cv_panel(&g->cv, r, title);
	struct snap_zone z[SNAP_MAX_ZONES];
	unsigned nz = snap_zones(g->m, z, SNAP_MAX_ZONES);
	memset(g->wmark, 0, sizeof(g->wmark));
	for (unsigned i = 0; i < nz; i++)
		if (z[i].has_wmark) {
			g->wmark[0] += (double)z[i].wmark_min;
			g->wmark[1] += (double)z[i].wmark_low;
			g->wmark[2] += (double)z[i].wmark_high;
		}
	bool have = g->have_reclaim;
	struct snap_vm vm;
	snap_vm_get(g->m, &vm);
	int w = (r->w - 24) / 2, h = (r->h - 24) / 2;
	for (int s = 0; s < PLOT_SERIES; s++) {
		int x = r->x + 8 + (s % 2) * (w + 8), y = r->y + 20 + (s / 2) * (h + 2);
		const char *name = series_name[s] ? series_name[s] :
				   have ? "reclaim+swap pages / interval" :
					  "TLB shootdowns / interval";
		plot_one(g, s, x, y, w, h, name, s == 2 ? (double)vm.managed : 1);
	}
}
