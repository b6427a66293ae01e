/* The hardware panels: the TLBs of one core (every L1 array, the STLB and
 * the walker's paging-structure caches as sets x ways grids; entries used
 * or filled since the last frame flash; shootdown IPIs as arrows between
 * the cores), and the page-table explorer of one process (PML4 -> PDPT ->
 * PD -> PT as a tree of present entries with their bits, the last walk's
 * path highlighted). */
#include "gui/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/mmu/pte.h"
#include "src/machine.h"

/* ------------------------------------------------------------ TLBs */

static const uint32_t pcid_rgb[8] = {
	0x3070c0, 0x30a070, 0xa050b0, 0xb07030, 0x509090, 0x9060c0, 0x708030, 0xb04060,
};

void tlb_state_free(struct gui *g)
{
	for (int i = 0; i < SNAP_MAX_TLBS; i++) {
		free(g->stamp[i]);
		free(g->flash[i]);
		g->stamp[i] = NULL;
		g->flash[i] = NULL;
		g->nent[i] = 0;
	}
}

/* Mark the entries whose (stamp, vpn) moved since the last frame. */
static void tlb_flash_update(struct gui *g, const struct snap_tlb *t, unsigned n)
{
	if (g->tlb_core != g->core)
		tlb_state_free(g);
	g->tlb_core = g->core;
	for (unsigned i = 0; i < n; i++) {
		size_t ne = (size_t)t[i].sets * t[i].ways;
		bool fresh = g->nent[i] != ne;
		if (fresh) {
			free(g->stamp[i]);
			free(g->flash[i]);
			g->stamp[i] = calloc(ne, sizeof(uint64_t));
			g->flash[i] = calloc(ne, 1);
			g->nent[i] = ne;
		}
		for (size_t k = 0; k < ne; k++) {
			struct snap_tlb_entry e;
			snap_tlb_entry(g->m, g->core, i, (unsigned)(k / t[i].ways),
				       (unsigned)(k % t[i].ways), &e);
			uint64_t key = e.valid ? (e.stamp * 0x9e3779b97f4a7c15ull) ^ e.vpn : 0;
			if (g->flash[i][k])
				g->flash[i][k]--;
			if (!fresh && e.valid && key != g->stamp[i][k])
				g->flash[i][k] = TLB_FLASH_FRAMES;
			g->stamp[i][k] = key;
		}
	}
}

static uint32_t blend(uint32_t a, uint32_t b, int num, int den)
{
	uint32_t out = 0;
	for (int s = 0; s < 24; s += 8) {
		int ca = a >> s & 0xff, cb = b >> s & 0xff;
		out |= (uint32_t)(ca + (cb - ca) * num / den) << s;
	}
	return out;
}

/* The core boxes, with an arrow from each core that sent shootdown IPIs
 * since the last frames to each core that took one. */
static int draw_cores(struct gui *g, int y)
{
	struct canvas *cv = &g->cv;
	unsigned n = machine_ncores(g->m);
	int x0 = gui_tlb_panel.x + 8, bw = (gui_tlb_panel.w - 16) / (int)(n ? n : 1);
	if (bw > 96)
		bw = 96;
	for (unsigned i = 0; i < n; i++) {
		struct snap_core c;
		char a[16];
		snap_core_get(g->m, i, &c);
		for (unsigned j = 0; c.ipi_sent > g->ipi_sent[i] && j < n; j++) {
			struct snap_core t;
			snap_core_get(g->m, j, &t);
			if (j != i && t.ipi_received > g->ipi_recv[j])
				g->arrow[i * n + j] = ARROW_FRAMES;
		}
		int x = x0 + (int)i * bw;
		cv_fill(cv, x, y, bw - 6, 26, i == g->core ? 0x304050 : C_BG);
		cv_frame(cv, x, y, bw - 6, 26, i == g->core ? C_HILITE : C_BORDER);
		cv_text(cv, x + 3, y, C_TEXT, "core%u", i);
		cv_text(cv, x + 3, y + 12, C_DIM, "%s cyc", cv_human(c.clock, a, sizeof(a)));
	}
	for (unsigned i = 0; i < n; i++) {
		struct snap_core c;
		snap_core_get(g->m, i, &c);
		g->ipi_sent[i] = c.ipi_sent;
		g->ipi_recv[i] = c.ipi_received;
	}
	/* arrows below the boxes: down from the sender, along, up into the target */
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++) {
			uint8_t *a = &g->arrow[i * n + j];
			if (!*a)
				continue;
			int fx = x0 + (int)i * bw + bw / 2 - 3, tx = x0 + (int)j * bw + bw / 2 + 3;
			int yb = y + 27, depth = 4 + 2 * (int)(i > j ? i - j : j - i);
			uint32_t col = blend(C_PANEL, 0xff8030, *a, ARROW_FRAMES);
			cv_line(cv, fx, yb, fx, yb + depth, col);
			cv_line(cv, fx, yb + depth, tx, yb + depth, col);
			cv_line(cv, tx, yb + depth, tx, yb, col);
			cv_line(cv, tx, yb, tx - 3, yb + 4, col);
			cv_line(cv, tx, yb, tx + 3, yb + 4, col);
			(*a)--;
		}
	return y + 27 + 4 + 2 * (int)n;
}

void draw_tlbs(struct gui *g)
{
	const struct gui_rect *r = &gui_tlb_panel;
	struct canvas *cv = &g->cv;
	unsigned ncores = machine_ncores(g->m);
	if (g->core >= ncores)
		g->core = 0;
	struct snap_core c;
	snap_core_get(g->m, g->core, &c);
	char title[160];
	uint64_t acc = c.l1_hit + c.l1_miss;
	snprintf(title, sizeof(title), "TLBs of core%u ('c')  CR3 %#llx  PCID %u  L1 miss %.2f%%  "
		 "walks %llu", g->core, (unsigned long long)(c.cr3 & PTE_ADDR_MASK), c.pcid,
		 acc ? 100.0 * (double)c.l1_miss / (double)acc : 0.0,
		 (unsigned long long)c.walks);
	cv_panel(cv, r, title);
	int y = draw_cores(g, r->y + 20);

	struct snap_tlb t[SNAP_MAX_TLBS];
	unsigned n = snap_core_tlbs(g->m, g->core, t, SNAP_MAX_TLBS);
	tlb_flash_update(g, t, n);
	const int label_w = 96, area_w = r->w - 16 - label_w;
	int avail = r->y + r->h - y - cv->fh - 4, ch = 10, cw[SNAP_MAX_TLBS], bands[SNAP_MAX_TLBS];
	for (unsigned i = 0; i < n; i++) {
		cw[i] = area_w / (int)t[i].sets;
		cw[i] = cw[i] > 24 ? 24 : cw[i] < 2 ? 2 : cw[i];
		int per = area_w / cw[i];
		bands[i] = ((int)t[i].sets + per - 1) / per;
	}
	for (; ch > 1; ch--) {
		int need = 0;
		for (unsigned i = 0; i < n; i++) {
			int h = bands[i] * (int)t[i].ways * ch;
			need += (h > cv->fh ? h : cv->fh) + 3;
		}
		if (need <= avail)
			break;
	}
	const char *hover = NULL;
	char hbuf[200];
	for (unsigned i = 0; i < n; i++) {
		cv_text(cv, r->x + 8, y, C_DIM, "%s", t[i].name);
		int per = area_w / cw[i], x0 = r->x + 8 + label_w;
		for (unsigned s = 0; s < t[i].sets; s++)
			for (unsigned w = 0; w < t[i].ways; w++) {
				struct snap_tlb_entry e;
				snap_tlb_entry(g->m, g->core, i, s, w, &e);
				int band = (int)s / per;
				int x = x0 + ((int)s % per) * cw[i];
				int yy = y + (band * (int)t[i].ways + (int)w) * ch;
				uint32_t col = !e.valid ? 0x262a30 : e.global ? 0xc0a040 :
					       pcid_rgb[e.pcid % 8];
				uint8_t f = g->flash[i][(size_t)s * t[i].ways + w];
				if (f)
					col = blend(col, C_FLASH, f, TLB_FLASH_FRAMES);
				cv_fill(cv, x, yy, cw[i] > 3 ? cw[i] - 1 : cw[i], ch > 2 ? ch - 1 : ch,
					col);
				if (g->mx >= x && g->mx < x + cw[i] && g->my >= yy && g->my < yy + ch) {
					if (e.valid)
						snprintf(hbuf, sizeof(hbuf), "%.23s set %u way %u: VPN %#llx "
							 "(%s) -> pfn %#llx  PCID %u %s%s%s%s%s", t[i].name,
							 s, w, (unsigned long long)e.vpn,
							 e.shift >= 30 ? "1G" : e.shift >= 21 ? "2M" : "4K",
							 (unsigned long long)e.pfn, e.pcid, e.rw ? " RW" : "",
							 e.us ? " US" : "", e.nx ? " NX" : "",
							 e.dirty ? " D" : "", e.global ? " G" : "");
					else
						snprintf(hbuf, sizeof(hbuf), "%.23s set %u way %u: invalid",
							 t[i].name, s, w);
					hover = hbuf;
				}
			}
		int h = bands[i] * (int)t[i].ways * ch;
		y += (h > cv->fh ? h : cv->fh) + 3;
	}
	cv_text(cv, r->x + 8, r->y + r->h - cv->fh - 2, hover ? C_TEXT : C_DIM, "%s",
		hover ? hover : "colour: PCID (gold: global); white: used or filled since the "
				"last frame; hover for the entry");
}

/* ------------------------------------------------------------ page tables */

static bool pte_is_leaf_level(pte_t e, int level)
{
	return level == 1 || (level <= 3 && (e & PTE_PS));
}

static const char *const level_name[PT_MAX_LEVELS + 1] = {
	"", "PT", "PD", "PDPT", "PML4", "PML5",
};

struct pt_walk_path {
	bool have, faulted;
	vaddr_t va;
	int top;                /* first level the walk read (PSC hits skip above) */
	paddr_t table[PT_MAX_LEVELS + 1];   /* table read at each level */
	int last;               /* lowest level on the path */
	unsigned core;
};

/* The most recent walk into this process's page tables: the shown core's
 * if it walked them, else the first core's that did. */
static void find_path(struct gui *g, paddr_t pgd, struct pt_walk_path *p)
{
	unsigned n = machine_ncores(g->m);
	memset(p, 0, sizeof(*p));
	for (unsigned k = 0; k < n && !p->have; k++) {
		unsigned i = (g->core + k) % n;
		struct snap_core c;
		snap_core_get(g->m, i, &c);
		if (!c.has_last_walk || (c.last_cr3 & PTE_ADDR_MASK) != pgd)
			continue;
		p->have = true;
		p->va = c.last_va;
		p->top = c.last_top;
		p->faulted = c.last_faulted;
		p->core = i;
	}
	if (!p->have)
		return;
	paddr_t t = pgd;
	for (int l = snap_levels(g->m); l >= 1; l--) {
		p->table[l] = t;
		p->last = l;
		pte_t e = snap_pte(g->m, t, pt_index(p->va, l));
		if (!(e & PTE_P) || pte_is_leaf_level(e, l))
			break;
		t = e & PTE_ADDR_MASK;
	}
}

static bool is_open(const struct gui *g, const struct pt_walk_path *p, paddr_t table)
{
	for (unsigned i = 0; i < g->nexpanded; i++)
		if (g->expanded[i] == table)
			return true;
	if (g->follow && p->have)
		for (int l = p->last; l < PT_MAX_LEVELS; l++)
			if (p->table[l] == table)
				return true;
	return false;
}

static void add_rows(struct gui *g, const struct pt_walk_path *p, paddr_t table, int level,
		     int depth, unsigned *hl)
{
	for (unsigned idx = 0; idx < PT_ENTRIES && g->nrows < PT_MAX_ROWS; idx++) {
		pte_t e = snap_pte(g->m, table, idx);
		if (!(e & PTE_P))
			continue;
		struct pt_row *row = &g->rows[g->nrows++];
		*row = (struct pt_row){ table, idx, level, !pte_is_leaf_level(e, level) };
		(void)depth;
		if (p->have && p->table[level] == table && pt_index(p->va, level) == idx)
			*hl = g->nrows - 1;
		if (row->expandable && is_open(g, p, e & PTE_ADDR_MASK))
			add_rows(g, p, e & PTE_ADDR_MASK, level - 1, depth + 1, hl);
	}
}

static void entry_text(char *buf, size_t len, pte_t e, int level)
{
	bool leaf = pte_is_leaf_level(e, level);
	snprintf(buf, len, "-> %s %#llx %s%s%s%s%s%s%s%s", leaf ? "pfn" : "table",
		 (unsigned long long)((e & PTE_ADDR_MASK) >> PAGE_SHIFT),
		 e & PTE_RW ? "RW " : "RO ", e & PTE_US ? "US " : "", e & PTE_A ? "A " : "",
		 leaf && (e & PTE_D) ? "D " : "", level > 1 && (e & PTE_PS) ? "PS " : "",
		 leaf && (e & PTE_G) ? "G " : "", e & PTE_NX ? "NX " : "",
		 !leaf ? "" : level == 3 ? "1G" : level == 2 ? "2M" : "4K");
}

void draw_pt(struct gui *g)
{
	const struct gui_rect *r = &gui_pt_panel;
	struct canvas *cv = &g->cv;
	unsigned np = machine_nprocs(g->m);
	if (g->proc >= np)
		g->proc = 0;
	struct snap_proc sp;
	snap_proc_get(g->m, g->proc, &sp);
	char title[200];
	int levels = snap_levels(g->m);
	snprintf(title, sizeof(title), "Page tables of %s (%u of %u, 'p')  %s %#llx  rss %llu  "
		 "tables %llu  %s", sp.name, g->proc + 1, np, level_name[levels],
		 (unsigned long long)sp.pgd, (unsigned long long)sp.rss_anon,
		 (unsigned long long)sp.pt_pages, g->follow ? "follow:on ('f')" : "follow:off ('f')");
	cv_panel(cv, r, title);
	g->nrows = 0;
	g->row_h = cv->fh;
	g->row_y0 = r->y + 20 + cv->fh;
	if (!sp.alive) {
		cv_text(cv, r->x + 8, r->y + 22, C_DIM, "the process has exited (or was killed)");
		return;
	}
	struct pt_walk_path p;
	find_path(g, sp.pgd, &p);
	if (p.have)
		cv_text(cv, r->x + 8, r->y + 20, C_HILITE, "last walk: core%u va %#llx%s, read "
			"from %s down (PSC hits skip above)", p.core, (unsigned long long)p.va,
			p.faulted ? " (faulted)" : "", level_name[p.top > 0 ? p.top : 1]);
	else
		cv_text(cv, r->x + 8, r->y + 20, C_DIM, "no walk into these tables yet");
	unsigned hl = UINT32_MAX;
	g->npath = 0;
	for (int l = p.last; p.have && l < levels; l++)
		g->path[g->npath++] = p.table[l];
	add_rows(g, &p, sp.pgd, levels, 0, &hl);
	int visible = (r->y + r->h - g->row_y0 - 2) / g->row_h;
	if (g->follow && hl != UINT32_MAX)
		g->pt_scroll = (int)hl - visible / 2;
	if (g->pt_scroll > (int)g->nrows - visible)
		g->pt_scroll = (int)g->nrows - visible;
	if (g->pt_scroll < 0)
		g->pt_scroll = 0;
	for (int k = 0; k < visible && g->pt_scroll + k < (int)g->nrows; k++) {
		unsigned ri = (unsigned)(g->pt_scroll + k);
		const struct pt_row *row = &g->rows[ri];
		pte_t e = snap_pte(g->m, row->table, row->idx);
		int y = g->row_y0 + k * g->row_h, depth = levels - row->level;
		bool on_path = p.have && p.table[row->level] == row->table &&
			       pt_index(p.va, row->level) == row->idx;
		if (on_path)
			cv_fill(cv, r->x + 2, y, r->w - 4, g->row_h,
				row->level <= p.top ? 0x504818 : 0x303020);
		char et[120];
		entry_text(et, sizeof(et), e, row->level);
		paddr_t child = e & PTE_ADDR_MASK;
		cv_text(cv, r->x + 8 + depth * 14, y, on_path ? C_HILITE : C_TEXT, "%s%s[%u] %s",
			!row->expandable ? "    " : is_open(g, &p, child) ? "[-] " : "[+] ",
			level_name[row->level], row->idx, et);
	}
	if (g->nrows == 0)
		cv_text(cv, r->x + 8, g->row_y0, C_DIM, "no present entries");
}

void pt_click(struct gui *g, int x, int y)
{
	(void)x;
	if (y < g->row_y0 || !g->row_h)
		return;
	int k = (y - g->row_y0) / g->row_h + g->pt_scroll;
	if (k < 0 || k >= (int)g->nrows || !g->rows[k].expandable)
		return;
	paddr_t child = snap_pte(g->m, g->rows[k].table, g->rows[k].idx) & PTE_ADDR_MASK;
	if (g->follow) {        /* the user steers now: keep what follow opened */
		g->follow = false;
		for (unsigned i = 0; i < g->npath && g->nexpanded < PT_MAX_EXPANDED; i++)
			g->expanded[g->nexpanded++] = g->path[i];
	}
	for (unsigned i = 0; i < g->nexpanded; i++)
		if (g->expanded[i] == child) {
			g->expanded[i] = g->expanded[--g->nexpanded];
			return;
		}
	if (g->nexpanded < PT_MAX_EXPANDED)
		g->expanded[g->nexpanded++] = child;
}
