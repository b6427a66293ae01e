/* The GUI's parts that need no SDL: options, map geometry, colours. Built
 * with or without SDL, so `mmsim run --gui` parses the same everywhere and
 * tests can find cells in a screenshot. */
#include "gui/gui.h"
#include "gui/layout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gui/snapshot.h"
#include "lib/jsonutil.h"
#include "lib/types.h"

const char gui_usage[] =
	"      --gui           watch the run in a window (docs/gui.md)\n"
	"      --screenshot FILE  no window: render the GUI offscreen and save a PNG\n"
	"      --at N          ... after N steps (default: at the end of the run)\n"
	"      --paused        start the window paused (space runs, '.' steps)\n"
	"      --speed N       steps between redraws (1000)\n"
	"      --step-n N      steps the 'n' key runs (1000)\n"
	"      --shot-dir DIR  where the 's' key saves screenshots (.)\n"
	"      --core N, --proc N  the core and process shown first\n";

static int number(const char *opt, const char *s, uint64_t min, uint64_t *v, char *err)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (!*s || *end || errno || n < min || s[0] == '-')
		return errf(err, "%s needs a whole number >= %llu, not \"%s\"", opt,
			    (unsigned long long)min, s);
	*v = n;
	return 0;
}

int gui_parse_arg(struct gui_opts *o, int argc, char **argv, int *i, char *err)
{
	static const char *const with_value[] = {
		"--screenshot", "--at", "--speed", "--step-n", "--shot-dir", "--core", "--proc",
	};
	const char *s = argv[*i];
	if (!strcmp(s, "--gui")) {
		o->enabled = true;
		return 1;
	}
	if (!strcmp(s, "--gui-stop-after-shot")) {     /* mmsim gui adds it */
		o->stop_after_shot = true;
		return 1;
	}
	if (!strcmp(s, "--paused")) {
		o->paused = true;
		return 1;
	}
	bool known = false;
	for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
		known |= !strcmp(s, with_value[k]);
	if (!known)
		return 0;
	if (*i + 1 >= argc) {
		errf(err, "%s needs a value", s);
		return -1;
	}
	const char *v = argv[++*i];
	uint64_t n = 0;
	if (!strcmp(s, "--screenshot")) {
		o->screenshot = v;
		o->enabled = true;
	} else if (!strcmp(s, "--shot-dir")) {
		o->shot_dir = v;
	} else if (!strcmp(s, "--at")) {
		if (number(s, v, 1, &o->at, err))
			return -1;
	} else if (!strcmp(s, "--speed")) {
		if (number(s, v, 1, &o->speed, err))
			return -1;
	} else if (!strcmp(s, "--step-n")) {
		if (number(s, v, 1, &o->step_n, err))
			return -1;
	} else {
		if (number(s, v, 0, &n, err))
			return -1;
		if (n > 4096) {
			errf(err, "%s %s: no such %s", s, v, s + 2);
			return -1;
		}
		if (!strcmp(s, "--core"))
			o->core = (unsigned)n;
		else
			o->proc = (unsigned)n;
	}
	return 1;
}

/* ------------------------------------------------------------ geometry */

int map_fit_zoom(uint64_t nframes)
{
	for (int z = MAP_ZOOM_MAX; z > MAP_ZOOM_MIN; z--) {
		uint64_t cells = (uint64_t)map_cols(z) * (uint64_t)map_rows(z);
		if (cells * map_fpc(z) >= nframes)
			return z;
	}
	return MAP_ZOOM_MIN;
}

bool map_cell_of(const struct map_view *v, uint64_t pfn, int *x, int *y)
{
	if (pfn < v->first)
		return false;
	uint64_t cell = (pfn - v->first) / map_fpc(v->zoom);
	uint64_t cols = (uint64_t)map_cols(v->zoom), row = cell / cols;
	if (row >= (uint64_t)map_rows(v->zoom))
		return false;
	*x = gui_map_grid.x + (int)(cell % cols) * map_cell_px(v->zoom);
	*y = gui_map_grid.y + (int)row * map_cell_px(v->zoom);
	return true;
}

bool map_pfn_at(const struct map_view *v, uint64_t nframes, int x, int y, uint64_t *pfn)
{
	int px = map_cell_px(v->zoom);
	x -= gui_map_grid.x;
	y -= gui_map_grid.y;
	if (x < 0 || y < 0 || x >= map_cols(v->zoom) * px || y >= map_rows(v->zoom) * px)
		return false;
	uint64_t cell = (uint64_t)(y / px) * (uint64_t)map_cols(v->zoom) + (uint64_t)(x / px);
	*pfn = v->first + cell * map_fpc(v->zoom);
	return *pfn < nframes;
}

bool gui_map_cell_xy(uint64_t nframes, uint64_t pfn, int *x, int *y)
{
	struct map_view v = { map_fit_zoom(nframes), 0 };
	return pfn < nframes && map_cell_of(&v, pfn, x, y);
}

/* ------------------------------------------------------------ colours */

uint32_t gui_kind_rgb(int kind, unsigned order)
{
	switch (kind) {
	case SK_FREE: {
		/* dark green for single frames to bright green for the largest
		 * blocks: order 0..10 */
		unsigned o = order > 10 ? 10 : order;
		uint32_t g = 0x50 + o * 0x0f, r = 0x10 + o * 2, b = 0x20 + o * 3;
		return r << 16 | g << 8 | b;
	}
	case SK_RESERVED: return 0x505050;
	case SK_ANON:     return 0xe05050;
	case SK_FILE:     return 0x4080e0;
	case SK_SLAB:     return 0xc060d0;
	case SK_PGTABLE:  return 0xf0c020;
	case SK_KERNEL:   return 0xe08030;
	case SK_HUGETLB:  return 0x30d0d0;
	case SK_DMA:      return 0xffffff;
	default:          return 0x202020;
	}
}
