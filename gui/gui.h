/* The live view of a running machine (docs/gui.md): an SDL2 window — or,
 * headless, an offscreen software surface saved as PNG — drawn from
 * gui/snapshot.h. The GUI only reads: it watches the run through the
 * machine's observer hook, so a run with and without it gives identical
 * stats.
 *
 * Built into mmsim when pkg-config finds SDL2, SDL2_ttf and SDL2_image
 * (scripts/deps.sh installs them); otherwise gui_available() is false and
 * gui_run() refuses with a message naming the packages. */
#ifndef MMSIM_GUI_H
#define MMSIM_GUI_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

#define GUI_WIDTH 1280
#define GUI_HEIGHT 800

struct gui_opts {
	bool enabled;           /* --gui (mmsim gui sets it) */
	const char *screenshot; /* --screenshot FILE: headless, save a PNG */
	uint64_t at;            /* --at N: the step to take it at (0: the end) */
	bool stop_after_shot;   /* mmsim gui: end the run with the shot */
	bool paused;            /* --paused: the window starts paused */
	uint64_t speed;         /* --speed N: steps between frames (1000) */
	uint64_t step_n;        /* --step-n N: the 'n' key's step count (1000) */
	const char *shot_dir;   /* --shot-dir DIR: where the 's' key saves (.) */
	unsigned core, proc;    /* --core N, --proc N: shown first */
};

/* Is the GUI built in? */
bool gui_available(void);

/* Command-line options of the GUI (for mmsim run / mmsim gui): if argv[*i]
 * is one, consume it (and its value, advancing *i) and return 1; 0 if it is
 * not one; -1 with a message in err (MMSIM_ERR_LEN) if its value is bad. */
int gui_parse_arg(struct gui_opts *o, int argc, char **argv, int *i, char *err);
/* The GUI options' lines of a usage text. */
extern const char gui_usage[];

/* Run the machine with the GUI watching (instead of machine_run). Returns
 * what machine_run returns, or -2 with err when the GUI cannot start (no
 * display, no font, built without SDL): nothing has run then. */
int gui_run(struct machine *m, const struct gui_opts *o, char *err);

/* The memory map's geometry, for tests: the top-left pixel (of a
 * GUI_WIDTH x GUI_HEIGHT screenshot) of the cell that shows pfn when the
 * map shows nframes frames at its initial (fit-all) zoom; false if it is
 * not on screen. */
bool gui_map_cell_xy(uint64_t nframes, uint64_t pfn, int *x, int *y);
/* The colour (0xRRGGBB) the map gives a kind of frame (enum snap_kind);
 * free frames are shaded by order. */
uint32_t gui_kind_rgb(int kind, unsigned order);
/* Read a PNG's size and one pixel as 0xRRGGBB (tests). 0, or -1 with err. */
int gui_png_pixel(const char *path, int x, int y, int *w, int *h, uint32_t *rgb, char *err);

#endif
