/* Where the GUI's panels sit on its GUI_WIDTH x GUI_HEIGHT canvas, and the
 * memory map's cell geometry. No SDL: the tests use it to find cells in a
 * screenshot. */
#ifndef MMSIM_GUI_LAYOUT_H
#define MMSIM_GUI_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

struct gui_rect { int x, y, w, h; };

#define GUI_HEADER_H 22
/* left column: memory map, buddy lists, plots; right: TLBs, page tables */
static const struct gui_rect gui_map_panel   = { 0, 22, 640, 400 };
static const struct gui_rect gui_map_grid    = { 6, 42, 628, 300 };
static const struct gui_rect gui_buddy_panel = { 0, 422, 640, 196 };
static const struct gui_rect gui_plot_panel  = { 0, 618, 640, 182 };
static const struct gui_rect gui_tlb_panel   = { 640, 22, 640, 400 };
static const struct gui_rect gui_pt_panel    = { 640, 422, 640, 378 };

/* The map view: zoom z >= 0 draws a frame as a 2^z-pixel square cell;
 * z < 0 draws 2^-z frames per 1-pixel cell. `first` is the PFN at the
 * top-left (a multiple of a row's frames). */
struct map_view {
	int zoom;
	uint64_t first;
};
#define MAP_ZOOM_MAX 4
#define MAP_ZOOM_MIN (-12)

static inline int map_cell_px(int zoom) { return zoom > 0 ? 1 << zoom : 1; }
static inline uint64_t map_fpc(int zoom) { return zoom < 0 ? 1ull << -zoom : 1; }
static inline int map_cols(int zoom) { return gui_map_grid.w / map_cell_px(zoom); }
static inline int map_rows(int zoom) { return gui_map_grid.h / map_cell_px(zoom); }
static inline uint64_t map_row_frames(int zoom) { return (uint64_t)map_cols(zoom) * map_fpc(zoom); }

/* The largest zoom that shows all nframes at once. */
int map_fit_zoom(uint64_t nframes);
/* Cell of pfn in view v: false if off screen. */
bool map_cell_of(const struct map_view *v, uint64_t pfn, int *x, int *y);
/* PFN shown at pixel (x, y), false if none. */
bool map_pfn_at(const struct map_view *v, uint64_t nframes, int x, int y, uint64_t *pfn);

#endif
