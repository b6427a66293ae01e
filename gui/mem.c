/* The memory panels: the physical memory map (a cell per frame, or per
 * group of frames when zoomed out, coloured by what the frames hold, free
 * frames shaded by the order of their buddy block) with the hovered
 * frame's struct page facts, and the buddy free lists per zone and order
 * (/proc/buddyinfo as bars) with the free-pages gauge and its watermarks. */
#include "gui/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The colour of the cell showing frames [pfn, pfn + n): one frame's own;
 * for a group, the most frequent kind in use if any frame is in use (so a
 * lone page table stays visible), else the most frequent of the rest, free
 * shaded by its largest order. */
static uint32_t cell_rgb(const struct snap_map *s, uint64_t pfn, uint64_t n)
{
	if (n == 1)
		return gui_kind_rgb(s->kind[pfn], s->order[pfn]);
	unsigned cnt[SK_KINDS] = { 0 }, maxo = 0;
	uint64_t end = pfn + n < s->nframes ? pfn + n : s->nframes;
	for (uint64_t p = pfn; p < end; p++) {
		cnt[s->kind[p]]++;
		if (s->order[p] > maxo)
			maxo = s->order[p];
	}
	int best = -1;
	for (int k = SK_ANON; k < SK_KINDS; k++)
		if (cnt[k] && (best < 0 || cnt[k] > cnt[best]))
			best = k;
	if (best < 0)
		for (int k = SK_NONE; k < SK_ANON; k++)
			if (cnt[k] && (best < 0 || cnt[k] > cnt[best]))
				best = k;
	return gui_kind_rgb(best < 0 ? SK_NONE : best, maxo);
}

static void draw_hover(struct gui *g, int y)
{
	uint64_t pfn;
	if (!map_pfn_at(&g->view, g->map.nframes, g->mx, g->my, &pfn)) {
		char zl[256];
		size_t n = 0;
		struct snap_zone zs[SNAP_MAX_ZONES];
		unsigned nz = snap_zones(g->m, zs, SNAP_MAX_ZONES);
		zl[0] = 0;
		for (unsigned i = 0; i < nz && n < sizeof(zl) - 48; i++)
			n += (size_t)snprintf(zl + n, sizeof(zl) - n, "%s%.23s from %#llx",
					      i ? ", " : "", zs[i].name,
					      (unsigned long long)zs[i].start_pfn);
		cv_text(&g->cv, 8, y, C_DIM, "hover a cell for its struct page; wheel or [ ] "
			"zoom, up/down scroll");
		cv_text(&g->cv, 8, y + g->cv.fh, C_DIM, "zones (yellow ticks): %s", zl);
		return;
	}
	struct snap_page p;
	char flags[160];
	snap_page_get(g->m, pfn, &p);
	int x, cy, px = map_cell_px(g->view.zoom);
	if (map_cell_of(&g->view, pfn, &x, &cy))
		cv_frame(&g->cv, x - 1, cy - 1, px + 2, px + 2, C_FLASH);
	const char *mt = snap_migratetype_name(p.migratetype);
	cv_text(&g->cv, 8, y, C_TEXT, "pfn %#llx%s  %s  zone %s  %s", (unsigned long long)pfn,
		map_fpc(g->view.zoom) > 1 ? "+" : "", snap_kind_name[p.kind],
		p.zone[0] ? p.zone : "-", p.kind == SK_FREE ? "" : "");
	if (p.kind == SK_FREE)
		cv_text(&g->cv, 8, y + g->cv.fh, C_TEXT, "free block of order %u at pfn %#llx "
			"(%llu frames), pageblock %s", p.free_order,
			(unsigned long long)p.free_head, 1ull << p.free_order,
			snap_migratetype_name(p.migratetype));
	else
		cv_text(&g->cv, 8, y + g->cv.fh, C_TEXT, "flags %s  ref %d  map %d  owner %u  "
			"index %#llx  pageblock %s", snap_flags_str(p.flags, flags, sizeof(flags)),
			p.refcount, p.mapcount, p.mapping, (unsigned long long)p.index, mt);
}

void draw_map(struct gui *g)
{
	const struct gui_rect *r = &gui_map_panel;
	struct canvas *cv = &g->cv;
	char title[160], a[16];
	uint64_t fpc = map_fpc(g->view.zoom);
	snprintf(title, sizeof(title), "Physical memory: %llu frames (%s B); cell = %llu frame%s, "
		 "from pfn %#llx", (unsigned long long)g->map.nframes,
		 cv_human(g->map.nframes * PAGE_SIZE, a, sizeof(a)), (unsigned long long)fpc,
		 fpc > 1 ? "s" : "", (unsigned long long)g->view.first);
	cv_panel(cv, r, title);
	const struct gui_rect *gr = &gui_map_grid;
	cv_fill(cv, gr->x, gr->y, gr->w, gr->h, C_BG);
	int px = map_cell_px(g->view.zoom), cols = map_cols(g->view.zoom);
	int rows = map_rows(g->view.zoom);
	int gap = px >= 4 ? 1 : 0;
	for (int row = 0; row < rows; row++)
		for (int col = 0; col < cols; col++) {
			uint64_t pfn = g->view.first + ((uint64_t)row * cols + col) * fpc;
			if (pfn >= g->map.nframes)
				goto legend;
			cv_fill(cv, gr->x + col * px, gr->y + row * px, px - gap, px - gap,
				cell_rgb(&g->map, pfn, fpc));
		}
legend:;
	/* where each zone starts: a tick in the left margin, beside its row */
	struct snap_zone zs[SNAP_MAX_ZONES];
	unsigned nz = snap_zones(g->m, zs, SNAP_MAX_ZONES);
	for (unsigned i = 0; i < nz; i++) {
		int zx, zy;
		if (map_cell_of(&g->view, zs[i].start_pfn, &zx, &zy))
			cv_fill(cv, r->x + 1, zy, gr->x - r->x - 2, px > 3 ? px : 3, C_HILITE);
	}
	int x = 8, y = gr->y + gr->h + 4;
	static const int shown[] = { SK_FREE, SK_ANON, SK_FILE, SK_SLAB, SK_PGTABLE, SK_KERNEL,
				     SK_HUGETLB, SK_DMA, SK_RESERVED, SK_NONE };
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		int k = shown[i];
		if (x > r->w - 90) {
			x = 8;
			y += cv->fh;
		}
		cv_fill(cv, x, y + 3, 9, 9, gui_kind_rgb(k, k == SK_FREE ? 10 : 0));
		x += 12 + cv_text(cv, x + 12, y, C_DIM, "%s %s", snap_kind_name[k],
				  cv_human(g->map.count[k], a, sizeof(a)));
		x += 10;
	}
	draw_hover(g, r->y + r->h - 2 * cv->fh - 2);
}

static uint32_t mt_rgb_of(int t)
{
	static const uint32_t rgb[SNAP_MAX_MT] = {
		0xd06040, 0x40b060, 0x4090d0, 0xc0a030, 0xa060c0, 0x808080, 0x606060, 0x404040,
	};
	return rgb[t & (SNAP_MAX_MT - 1)];
}

void draw_buddy(struct gui *g)
{
	const struct gui_rect *r = &gui_buddy_panel;
	struct canvas *cv = &g->cv;
	struct snap_zone zs[SNAP_MAX_ZONES];
	unsigned n = snap_zones(g->m, zs, SNAP_MAX_ZONES);
	if (g->zone >= n)
		g->zone = 0;
	const struct snap_zone *z = &zs[g->zone];
	char title[160], a[16], b[16];
	snprintf(title, sizeof(title), "Buddy free lists: zone %.23s (%u of %u, 'z')  pfn %#llx-%#llx",
		 z->name, g->zone + 1, n, (unsigned long long)z->start_pfn,
		 (unsigned long long)z->end_pfn);
	cv_panel(cv, r, title);

	/* the free-pages gauge, with the watermarks across it */
	int gx = 8, gy = r->y + 22, gw = r->w - 16, gh = 14;
	cv_fill(cv, gx, gy, gw, gh, C_BG);
	double scale = z->managed ? (double)gw / (double)z->managed : 0;
	cv_fill(cv, gx, gy, (int)(z->free_pages * scale), gh, gui_kind_rgb(SK_FREE, 6));
	cv_frame(cv, gx, gy, gw, gh, C_BORDER);
	if (z->has_wmark) {
		const uint64_t wm[3] = { z->wmark_min, z->wmark_low, z->wmark_high };
		static const uint32_t wc[3] = { 0xff4040, 0xffa040, 0xffff60 };
		for (int i = 0; i < 3; i++) {
			int wx = gx + (int)(wm[i] * scale);
			cv_fill(cv, wx, gy - 3, 2, gh + 6, wc[i]);
		}
	}
	cv_text(cv, gx, gy + gh + 2, C_DIM, "free %s of %s managed frames%s",
		cv_human(z->free_pages, a, sizeof(a)), cv_human(z->managed, b, sizeof(b)),
		z->has_wmark ? "   watermarks: min red, low orange, high yellow" :
			       "   (the zone keeps no watermarks yet)");

	/* the migratetypes' legend */
	int lx = gx + gw - 8;
	for (int t = (int)z->nmt - 1; t >= 0; t--) {
		int w = (int)strlen(z->mt_name[t]) * 7 + 16;
		lx -= w;
		cv_fill(cv, lx, gy + gh + 2 + cv->fh + 3, 9, 9, mt_rgb_of(t));
		cv_text(cv, lx + 12, gy + gh + 2 + cv->fh, C_DIM, "%s", z->mt_name[t]);
	}
	/* one bar per order, height by log2(1 + blocks) */
	unsigned mo = z->max_order ? z->max_order : 1;
	int bx = 8, by = r->y + r->h - 18, bh = by - (gy + gh + 3 * cv->fh + 6);
	int bw = (r->w - 16) / (int)mo;
	double top = 1;
	for (unsigned o = 0; o < mo; o++)
		if (log2(1.0 + (double)z->nr_free[o]) > top)
			top = log2(1.0 + (double)z->nr_free[o]);
	for (unsigned o = 0; o < mo; o++) {
		int h = (int)(bh * log2(1.0 + (double)z->nr_free[o]) / top);
		int x = bx + (int)o * bw;
		/* the bar split by the lists' migratetypes, bottom up */
		int y = by;
		uint64_t left = z->nr_free[o];
		for (unsigned t = 0; t < z->nmt && left; t++) {
			int part = (int)((double)h * (double)z->nr_free_mt[t][o] / (double)z->nr_free[o]);
			cv_fill(cv, x + 2, y - part, bw - 4, part, mt_rgb_of((int)t));
			y -= part;
			left -= z->nr_free_mt[t][o] < left ? z->nr_free_mt[t][o] : left;
		}
		if (!z->nmt)
			cv_fill(cv, x + 2, by - h, bw - 4, h, gui_kind_rgb(SK_FREE, o));
		cv_text(cv, x + 2, by - h - cv->fh, C_TEXT, "%s", cv_human(z->nr_free[o], a,
									   sizeof(a)));
		cv_text(cv, x + 2, by + 2, C_DIM, "o%u", o);
	}
}
