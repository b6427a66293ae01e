/* Drawing on the GUI's canvas: one software SDL_Surface, the same for the
 * window (blitted to it each frame) and for headless screenshots, so both
 * show the same pixels. Text with SDL2_ttf in DejaVu Sans Mono (Debian's
 * fonts-dejavu-core); MMSIM_FONT names another TTF file. */
#include "gui/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/jsonutil.h"

static const char *const font_paths[] = {
	"/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
	"/usr/share/fonts/TTF/DejaVuSansMono.ttf",
	"/usr/share/fonts/dejavu/DejaVuSansMono.ttf",
};

int cv_open(struct canvas *cv, char *err)
{
	*cv = (struct canvas){ 0 };
	if (!TTF_WasInit() && TTF_Init())
		return errf(err, "gui: SDL2_ttf: %s", TTF_GetError());
	const char *env = getenv("MMSIM_FONT");
	if (env && *env) {
		cv->font = TTF_OpenFont(env, 12);
		if (!cv->font)
			return errf(err, "gui: MMSIM_FONT=%s: %s", env, TTF_GetError());
	}
	for (size_t i = 0; !cv->font && i < sizeof(font_paths) / sizeof(font_paths[0]); i++)
		cv->font = TTF_OpenFont(font_paths[i], 12);
	if (!cv->font)
		return errf(err, "gui: no font: %s not found (install fonts-dejavu-core, or set "
			    "MMSIM_FONT to a .ttf file)", font_paths[0]);
	TTF_SetFontHinting(cv->font, TTF_HINTING_MONO);
	cv->fh = TTF_FontLineSkip(cv->font);
	cv->s = SDL_CreateRGBSurfaceWithFormat(0, GUI_WIDTH, GUI_HEIGHT, 32,
					       SDL_PIXELFORMAT_RGB888);
	if (!cv->s)
		return errf(err, "gui: cannot make a %dx%d surface: %s", GUI_WIDTH, GUI_HEIGHT,
			    SDL_GetError());
	return 0;
}

void cv_close(struct canvas *cv)
{
	if (cv->font)
		TTF_CloseFont(cv->font);
	if (cv->s)
		SDL_FreeSurface(cv->s);
	*cv = (struct canvas){ 0 };
	if (TTF_WasInit())
		TTF_Quit();
}

static Uint32 map_rgb(struct canvas *cv, uint32_t rgb)
{
	return SDL_MapRGB(cv->s->format, rgb >> 16 & 0xff, rgb >> 8 & 0xff, rgb & 0xff);
}

void cv_fill(struct canvas *cv, int x, int y, int w, int h, uint32_t rgb)
{
	SDL_Rect r = { x, y, w, h };
	SDL_FillRect(cv->s, &r, map_rgb(cv, rgb));
}

void cv_frame(struct canvas *cv, int x, int y, int w, int h, uint32_t rgb)
{
	cv_fill(cv, x, y, w, 1, rgb);
	cv_fill(cv, x, y + h - 1, w, 1, rgb);
	cv_fill(cv, x, y, 1, h, rgb);
	cv_fill(cv, x + w - 1, y, 1, h, rgb);
}

static void put(struct canvas *cv, int x, int y, Uint32 px)
{
	if (x < 0 || y < 0 || x >= cv->s->w || y >= cv->s->h)
		return;
	((Uint32 *)((Uint8 *)cv->s->pixels + (size_t)y * cv->s->pitch))[x] = px;
}

/* Bresenham's line. */
void cv_line(struct canvas *cv, int x0, int y0, int x1, int y1, uint32_t rgb)
{
	Uint32 px = map_rgb(cv, rgb);
	int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
	int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
	int e = dx + dy;
	SDL_LockSurface(cv->s);
	for (;;) {
		put(cv, x0, y0, px);
		if (x0 == x1 && y0 == y1)
			break;
		int e2 = 2 * e;
		if (e2 >= dy)
			e += dy, x0 += sx;
		if (e2 <= dx)
			e += dx, y0 += sy;
	}
	SDL_UnlockSurface(cv->s);
}

int cv_text(struct canvas *cv, int x, int y, uint32_t rgb, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!buf[0])
		return 0;
	SDL_Color c = { rgb >> 16 & 0xff, rgb >> 8 & 0xff, rgb & 0xff, 0xff };
	SDL_Surface *t = TTF_RenderUTF8_Blended(cv->font, buf, c);
	if (!t)
		return 0;
	SDL_Rect dst = { x, y, t->w, t->h };
	SDL_BlitSurface(t, NULL, cv->s, &dst);
	int w = t->w;
	SDL_FreeSurface(t);
	return w;
}

void cv_panel(struct canvas *cv, const struct gui_rect *r, const char *title)
{
	cv_fill(cv, r->x, r->y, r->w, r->h, C_PANEL);
	cv_frame(cv, r->x, r->y, r->w, r->h, C_BORDER);
	cv_text(cv, r->x + 6, r->y + 3, C_TEXT, "%s", title);
}

const char *cv_human(uint64_t v, char *buf, size_t len)
{
	static const char units[] = " KMGTPE";
	double d = (double)v;
	int u = 0;
	while (d >= 1000 && u < 6)
		d /= 1000, u++;
	if (u == 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%.*f%c", d < 10 ? 2 : d < 100 ? 1 : 0, d, units[u]);
	return buf;
}
