/* gui/ inside: the GUI's state and drawing helpers (SDL2). Only compiled
 * with MMSIM_HAVE_GUI. */
#ifndef MMSIM_GUI_INTERNAL_H
#define MMSIM_GUI_INTERNAL_H

#include <SDL.h>
#include <SDL_ttf.h>
#include "gui/gui.h"
#include "gui/layout.h"
#include "gui/snapshot.h"
#include "sim/mmu/pte.h"

/* ------------------------------------------------------------ canvas */

struct canvas {
	SDL_Surface *s;         /* GUI_WIDTH x GUI_HEIGHT, XRGB8888 */
	TTF_Font *font;         /* 12 px monospace */
	int fh;                 /* line height */
};

int cv_open(struct canvas *cv, char *err);
void cv_close(struct canvas *cv);
void cv_fill(struct canvas *cv, int x, int y, int w, int h, uint32_t rgb);
void cv_frame(struct canvas *cv, int x, int y, int w, int h, uint32_t rgb);
void cv_line(struct canvas *cv, int x0, int y0, int x1, int y1, uint32_t rgb);
/* Text at (x, y) (top-left); returns its width in pixels. */
int cv_text(struct canvas *cv, int x, int y, uint32_t rgb, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* A panel's background, border and title. */
void cv_panel(struct canvas *cv, const struct gui_rect *r, const char *title);
/* "12.3M" style. */
const char *cv_human(uint64_t v, char *buf, size_t len);

#define C_BG      0x101418
#define C_PANEL   0x181c22
#define C_BORDER  0x38404c
#define C_TEXT    0xd8dce0
#define C_DIM     0x808890
#define C_HILITE  0xffe060
#define C_FLASH   0xffffff

/* ------------------------------------------------------------ state */

#define PLOT_SAMPLES 256
#define PLOT_SERIES 4
#define PT_MAX_ROWS 4096
#define PT_MAX_EXPANDED 256
#define TLB_FLASH_FRAMES 6
#define ARROW_FRAMES 12

/* One row of the page-table explorer as last drawn (for clicks). */
struct pt_row {
	paddr_t table;          /* the structure holding the entry */
	unsigned idx;
	int level;
	bool expandable;
};

struct gui {
	struct machine *m;
	struct gui_opts o;
	struct canvas cv;
	SDL_Window *win;        /* NULL when headless */
	uint64_t steps;         /* observer calls so far */
	bool headless, paused, detached, stop, finished;
	uint64_t budget;        /* steps to run before pausing again (0: none) */
	unsigned core, proc, zone;
	int mx, my;             /* mouse */
	unsigned shots;

	/* memory map */
	struct snap_map map;
	struct map_view view;
	int fit_zoom;

	/* TLB hit flash: per structure of the shown core, the entries' stamps
	 * and VPNs at the last frame and frames left to flash */
	unsigned tlb_core;      /* core the arrays below belong to */
	uint64_t *stamp[SNAP_MAX_TLBS];
	uint8_t *flash[SNAP_MAX_TLBS];
	size_t nent[SNAP_MAX_TLBS];

	/* shootdown arrows: IPI counters at the last frame */
	uint64_t *ipi_sent, *ipi_recv;
	uint8_t *arrow;         /* [from * ncores + to]: frames left to show */

	/* plots: samples every `sample_every` steps; when full, every other
	 * one is dropped and the interval doubles */
	uint64_t sample_every, next_sample;
	unsigned nsamples;
	double sample[PLOT_SERIES][PLOT_SAMPLES];
	uint64_t sample_cycles[PLOT_SAMPLES];
	uint64_t last_hit, last_miss, last_faults, last_other;
	long reclaim_idx[12];    /* reclaim/swap counters in the registry, -1 none */
	bool have_reclaim;
	double wmark[3];        /* the shown zone's watermarks (frames), 0: none */

	/* page-table explorer */
	paddr_t expanded[PT_MAX_EXPANDED];  /* tables opened by the user */
	unsigned nexpanded;
	bool follow;            /* open the last walk's path */
	paddr_t path[PT_MAX_LEVELS];        /* the tables follow opens */
	unsigned npath;
	int pt_scroll;
	struct pt_row rows[PT_MAX_ROWS];
	unsigned nrows;
	int row_y0, row_h;      /* where the rows were drawn */
};

void draw_header(struct gui *g);
void draw_map(struct gui *g);
void draw_buddy(struct gui *g);
void draw_tlbs(struct gui *g);
void draw_pt(struct gui *g);
void draw_plots(struct gui *g);
void plot_init(struct gui *g);
void plot_sample(struct gui *g);
/* A click in the page-table panel: open or close the row's table. */
void pt_click(struct gui *g, int x, int y);
void tlb_state_free(struct gui *g);

#endif
