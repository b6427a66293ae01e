/* The GUI's control loop (docs/gui.md).
 *
 * gui_run() attaches an observer to the machine and calls machine_run().
 * The observer counts steps, samples the plots, and every `speed` steps
 * draws a frame and handles input; while paused it waits for input inside
 * the observer, so the run simply does not advance. Headless
 * (--screenshot), it draws once, at step --at (or at the end), into the
 * same offscreen surface the window shows, and saves it as PNG with
 * SDL2_image. Nothing here writes simulation state: the only thing set on
 * the machine is the walkers' `remember` flag, which records the last walk
 * for the page-table explorer and changes no counter. */
#include "gui/gui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/jsonutil.h"
#include "lib/types.h"
#include "src/machine.h"

#ifndef MMSIM_HAVE_GUI

bool gui_available(void) { return false; }

int gui_run(struct machine *m, const struct gui_opts *o, char *err)
{
	(void)m, (void)o;
	errf(err, "gui: this mmsim was built without the GUI: install libsdl2-dev, "
	     "libsdl2-ttf-dev, libsdl2-image-dev and fonts-dejavu-core (scripts/deps.sh "
	     "does) and rebuild");
	return -2;
}

int gui_png_pixel(const char *path, int x, int y, int *w, int *h, uint32_t *rgb, char *err)
{
	(void)path, (void)x, (void)y, (void)w, (void)h, (void)rgb;
	return errf(err, "gui: built without SDL2_image");
}

#else

#include <SDL_image.h>
#include "gui/internal.h"

bool gui_available(void) { return true; }

/* ------------------------------------------------------------ frames */

void draw_header(struct gui *g)
{
	struct canvas *cv = &g->cv;
	char a[16];
	cv_fill(cv, 0, 0, GUI_WIDTH, GUI_HEADER_H, 0x202830);
	int x = 6;
	x += cv_text(cv, x, 3, C_HILITE, "mmsim") + 12;
	x += cv_text(cv, x, 3, C_TEXT, "step %llu  cycle %s  %s", (unsigned long long)g->steps,
		     cv_human(snap_cycles(g->m), a, sizeof(a)),
		     g->finished ? "FINISHED" : g->paused ? "PAUSED" : "RUNNING") + 12;
	x += cv_text(cv, x, 3, C_DIM, "speed %llu steps/frame", (unsigned long long)g->o.speed) + 12;
	cv_text(cv, x, 3, C_DIM, "space run/pause  . step  n step %llu  +/- speed  c p z  "
		"s shot  q quit", (unsigned long long)g->o.step_n);
}

static void render(struct gui *g)
{
	snap_map_update(&g->map, g->m);
	cv_fill(&g->cv, 0, 0, GUI_WIDTH, GUI_HEIGHT, C_BG);
	draw_header(g);
	draw_map(g);
	draw_buddy(g);
	draw_plots(g);
	draw_tlbs(g);
	draw_pt(g);
}

static void present(struct gui *g)
{
	if (!g->win)
		return;
	SDL_Surface *ws = SDL_GetWindowSurface(g->win);
	if (!ws)
		return;
	SDL_BlitSurface(g->cv.s, NULL, ws, NULL);
	SDL_UpdateWindowSurface(g->win);
}

static int save_png(struct gui *g, const char *path, char *err)
{
	if (IMG_SavePNG(g->cv.s, path))
		return errf(err, "gui: %s: cannot save the screenshot: %s", path, IMG_GetError());
	return 0;
}

/* The 's' key: DIR/mmsim-STEP.png, numbered on if taken twice at a step. */
static void key_shot(struct gui *g)
{
	char path[4096], err[MMSIM_ERR_LEN];
	render(g);              /* with the input handled so far (hover ...) */
	snprintf(path, sizeof(path), "%s/mmsim-%06llu.png", g->o.shot_dir ? g->o.shot_dir : ".",
		 (unsigned long long)g->steps);
	FILE *f = fopen(path, "r");
	if (f) {
		fclose(f);
		snprintf(path, sizeof(path), "%s/mmsim-%06llu-%u.png",
			 g->o.shot_dir ? g->o.shot_dir : ".", (unsigned long long)g->steps, g->shots);
	}
	g->shots++;
	if (save_png(g, path, err))
		fprintf(stderr, "mmsim: %s\n", err);
	else
		fprintf(stderr, "mmsim: gui: saved %s\n", path);
}

/* ------------------------------------------------------------ input */

static void scroll_map(struct gui *g, long rows)
{
	uint64_t rf = map_row_frames(g->view.zoom);
	uint64_t total_rows = (g->map.nframes + rf - 1) / rf;
	long cur = (long)(g->view.first / rf) + rows;
	long max = (long)total_rows - map_rows(g->view.zoom);
	if (cur > max)
		cur = max;
	if (cur < 0)
		cur = 0;
	g->view.first = (uint64_t)cur * rf;
}

/* Zoom by dz keeping the frame under the mouse (or the top-left) in view. */
static void zoom_map(struct gui *g, int dz)
{
	uint64_t anchor = g->view.first;
	map_pfn_at(&g->view, g->map.nframes, g->mx, g->my, &anchor);
	int z = g->view.zoom + dz;
	if (z > MAP_ZOOM_MAX || z < g->fit_zoom)
		return;
	g->view.zoom = z;
	uint64_t rf = map_row_frames(z);
	g->view.first = anchor / rf * rf;
	scroll_map(g, -map_rows(z) / 2);
}

static void select_zone(struct gui *g)
{
	struct snap_zone z[SNAP_MAX_ZONES];
	unsigned n = snap_zones(g->m, z, SNAP_MAX_ZONES);
	g->zone = n ? (g->zone + 1) % n : 0;
	if (n) {                /* bring the zone's first frame to the top */
		uint64_t rf = map_row_frames(g->view.zoom);
		g->view.first = z[g->zone].start_pfn / rf * rf;
		scroll_map(g, 0);
	}
}

static bool in(const struct gui_rect *r, int x, int y)
{
	return x >= r->x && y >= r->y && x < r->x + r->w && y < r->y + r->h;
}

/* Returns true if the frame needs drawing again. */
static bool handle(struct gui *g, const SDL_Event *e)
{
	switch (e->type) {
	case SDL_QUIT:
		g->detached = true;
		g->stop = g->o.stop_after_shot;
		return false;
	case SDL_MOUSEMOTION:
		g->mx = e->motion.x;
		g->my = e->motion.y;
		return true;
	case SDL_MOUSEWHEEL:
		if (in(&gui_map_panel, g->mx, g->my))
			zoom_map(g, e->wheel.y > 0 ? 1 : -1);
		else if (in(&gui_pt_panel, g->mx, g->my))
			g->follow = false, g->pt_scroll -= 3 * e->wheel.y;
		return true;
	case SDL_MOUSEBUTTONDOWN:
		if (in(&gui_pt_panel, e->button.x, e->button.y))
			pt_click(g, e->button.x, e->button.y);
		return true;
	case SDL_KEYDOWN:
		break;
	default:
		return false;
	}
	unsigned ncores = machine_ncores(g->m), nprocs = machine_nprocs(g->m);
	switch (e->key.keysym.sym) {
	case SDLK_SPACE:
		g->paused = !g->paused;
		g->budget = 0;
		break;
	case SDLK_PERIOD:
		g->budget = 1;
		break;
	case SDLK_n:
		g->budget = g->o.step_n;
		break;
	case SDLK_PLUS: case SDLK_EQUALS: case SDLK_KP_PLUS:
		if (g->o.speed < 100000000)
			g->o.speed *= 10;
		break;
	case SDLK_MINUS: case SDLK_KP_MINUS:
		if (g->o.speed >= 10)
			g->o.speed /= 10;
		break;
	case SDLK_c: g->core = (g->core + 1) % ncores; break;
	case SDLK_p: g->proc = nprocs ? (g->proc + 1) % nprocs : 0; g->nexpanded = 0; break;
	case SDLK_z: select_zone(g); break;
	case SDLK_f: g->follow = !g->follow; break;
	case SDLK_s: case SDLK_F12: key_shot(g); break;
	case SDLK_LEFTBRACKET: zoom_map(g, -1); break;
	case SDLK_RIGHTBRACKET: zoom_map(g, 1); break;
	case SDLK_UP: scroll_map(g, -8); break;
	case SDLK_DOWN: scroll_map(g, 8); break;
	case SDLK_PAGEUP: scroll_map(g, -map_rows(g->view.zoom)); break;
	case SDLK_PAGEDOWN: scroll_map(g, map_rows(g->view.zoom)); break;
	case SDLK_HOME: g->view.zoom = g->fit_zoom; g->view.first = 0; break;
	case SDLK_q: case SDLK_ESCAPE:
		g->detached = true;
		g->stop = g->o.stop_after_shot;
		return false;
	default:
		return false;
	}
	return true;
}

/* Draw, then take input; while paused, wait for it. A step key ends the
 * input handling at once: the step runs before any later key (which stays
 * queued), so "step, step, screenshot" shoots after two steps however fast
 * the keys came. */
static void frame(struct gui *g)
{
	render(g);
	present(g);
	SDL_Event e;
	bool dirty = false;     /* redraw once the queue is empty */
	while (!g->detached && !g->budget) {
		if (!SDL_PollEvent(&e)) {
			if (dirty) {
				render(g);
				present(g);
				dirty = false;
			}
			if (!g->paused)
				return;
			if (!SDL_WaitEventTimeout(&e, 200))
				continue;
		}
		dirty |= handle(g, &e);
	}
	if (dirty && !g->detached) {
		render(g);
		present(g);
	}
	if (g->detached && g->win) {    /* closed: the run goes on without it */
		SDL_DestroyWindow(g->win);
		g->win = NULL;
	}
}

/* ------------------------------------------------------------ observer */

static int observe(void *arg)
{
	struct gui *g = arg;
	g->steps++;
	if (g->steps >= g->next_sample)
		plot_sample(g);
	if (g->detached)
		return g->stop;
	if (g->headless) {
		if (g->o.at && g->steps == g->o.at) {
			render(g);
			g->detached = true;
			g->stop = g->o.stop_after_shot;
			return g->stop;
		}
		return 0;
	}
	if (g->budget) {              /* stepping: pause again when it is spent */
		if (--g->budget)
			return 0;
		g->paused = true;
		frame(g);
		return g->stop;
	}
	if (g->paused || g->steps % g->o.speed == 0)
		frame(g);
	return g->stop;
}

static int open_window(struct gui *g, char *err)
{
	if (SDL_InitSubSystem(SDL_INIT_VIDEO))
		return errf(err, "gui: cannot start SDL video: %s (no display? mmsim gui "
			    "--screenshot FILE renders without one)", SDL_GetError());
	g->win = SDL_CreateWindow("mmsim", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
				  GUI_WIDTH, GUI_HEIGHT, 0);
	if (!g->win)
		return errf(err, "gui: cannot open a window: %s", SDL_GetError());
	return 0;
}

static void gui_free(struct gui *g)
{
	tlb_state_free(g);
	snap_map_fini(&g->map);
	free(g->ipi_sent);
	free(g->ipi_recv);
	free(g->arrow);
	cv_close(&g->cv);
	if (g->win)
		SDL_DestroyWindow(g->win);
	if (SDL_WasInit(SDL_INIT_VIDEO))
		SDL_QuitSubSystem(SDL_INIT_VIDEO);
	SDL_Quit();
}

static int gui_init(struct gui *g, struct machine *m, const struct gui_opts *o, char *err)
{
	memset(g, 0, sizeof(*g));
	g->m = m;
	g->o = *o;
	if (!g->o.speed)
		g->o.speed = 1000;
	if (!g->o.step_n)
		g->o.step_n = 1000;
	g->headless = o->screenshot != NULL;
	g->paused = o->paused && !g->headless;
	g->core = o->core < machine_ncores(m) ? o->core : 0;
	g->proc = o->proc < machine_nprocs(m) ? o->proc : 0;
	g->follow = true;
	g->mx = g->my = -1;
	unsigned n = machine_ncores(m);
	g->ipi_sent = calloc(n, sizeof(*g->ipi_sent));
	g->ipi_recv = calloc(n, sizeof(*g->ipi_recv));
	g->arrow = calloc((size_t)n * n, 1);
	if (!g->ipi_sent || !g->ipi_recv || !g->arrow)
		abort();
	snap_map_init(&g->map, m);
	g->fit_zoom = map_fit_zoom(g->map.nframes);
	g->view = (struct map_view){ g->fit_zoom, 0 };
	plot_init(g);
	struct snap_zone z[SNAP_MAX_ZONES];     /* show the largest zone first */
	unsigned nz = snap_zones(m, z, SNAP_MAX_ZONES);
	for (unsigned i = 1; i < nz; i++)
		if (z[i].managed > z[g->zone].managed)
			g->zone = i;
	if (cv_open(&g->cv, err))
		return -1;
	if (!g->headless && open_window(g, err))
		return -1;
	return 0;
}

int gui_run(struct machine *m, const struct gui_opts *o, char *err)
{
	struct gui *g = malloc(sizeof(*g));
	if (!g)
		abort();
	if (gui_init(g, m, o, err)) {
		gui_free(g);
		free(g);
		return -2;
	}
	machine_remember_walks(m, true);
	machine_set_observer(m, observe, g);
	plot_sample(g);                 /* the state at boot */
	if (!g->headless)
		frame(g);
	int rc = g->stop ? 0 : machine_run(m, err);
	machine_set_observer(m, NULL, NULL);
	machine_remember_walks(m, false);
	g->finished = !machine_stopped(m) && !g->stop;
	if (g->finished)
		plot_sample(g);
	if (g->headless) {
		char serr[MMSIM_ERR_LEN];
		if (!g->detached)       /* --at past the end, or none: the final state */
			render(g);
		if (save_png(g, o->screenshot, serr)) {
			snprintf(err, MMSIM_ERR_LEN, "%s", serr);
			rc = -2;
		}
	} else {                        /* the run is over: look until quit */
		g->paused = true;
		while (!g->detached) {
			g->budget = 0;          /* nothing left to step */
			frame(g);
		}
	}
	gui_free(g);
	free(g);
	return rc;
}

int gui_png_pixel(const char *path, int x, int y, int *w, int *h, uint32_t *rgb, char *err)
{
	SDL_Surface *s = IMG_Load(path);
	if (!s)
		return errf(err, "%s: %s", path, IMG_GetError());
	SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_RGB888, 0);
	SDL_FreeSurface(s);
	if (!c)
		return errf(err, "%s: %s", path, SDL_GetError());
	*w = c->w;
	*h = c->h;
	int rc = 0;
	if (x < 0 || y < 0 || x >= c->w || y >= c->h)
		rc = errf(err, "%s: pixel (%d, %d) outside %dx%d", path, x, y, c->w, c->h);
	else
		*rgb = ((const Uint32 *)((const Uint8 *)c->pixels + (size_t)y * c->pitch))[x] &
		       0xffffff;
	SDL_FreeSurface(c);
	SDL_Quit();
	return rc;
}

#endif
