/* Recorded traces: opening, format detection, the per-record dispatch and
 * the byte source the binary formats read through (see rtrace.h). The
 * formats themselves are in rtrace_lackey.c, rtrace_champsim.c and
 * rtrace_mmsim.c.
 *
 * The byte source is one fixed buffer filled from a file, standard input, or
 * the pipe of a decompressor child (`xz -dc`, `gzip -dc`, `zstd -dc`, chosen
 * by the file name, as lib/lackey.c does for .xz), optionally followed by
 * in-process zstd decompression (the mmsim format's compressed body). The
 * child's own messages are silenced: its exit status becomes one message. */
#include "lib/rtrace_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/spawn.h"

static const char *const format_names[] = {
	[RT_AUTO] = "auto", [RT_LACKEY] = "lackey",
	[RT_CHAMPSIM] = "champsim", [RT_MMSIM] = "mmsim",
};

const char *rtrace_format_name(enum rtrace_format fmt)
{
	return (unsigned)fmt < ARRAY_SIZE(format_names) ? format_names[fmt] : "?";
}

int rtrace_format_parse(const char *name, enum rtrace_format *fmt)
{
	for (unsigned i = 0; i < ARRAY_SIZE(format_names); i++)
		if (!strcmp(name, format_names[i])) {
			*fmt = (enum rtrace_format)i;
			return 0;
		}
	return -1;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* ---- the byte source ---------------------------------------------------- */

/* The decompressor for a file name, or NULL for none. */
static const char *decompressor(const char *path)
{
	if (ends_with(path, ".xz"))
		return "xz";
	if (ends_with(path, ".gz"))
		return "gzip";
	if (ends_with(path, ".zst"))
		return "zstd";
	return NULL;
}


static int src_open(struct rtrace *t, const char *path, char *err)
{
	const char *cmd = decompressor(path);
	if (!strcmp(path, "-"))
		t->fd = dup(STDIN_FILENO);
	else if (cmd && access(path, R_OK) == 0) {
		t->fd = spawn_decompressor(cmd, path, &t->child);
		t->child_cmd = cmd;
	} else
		t->fd = open(path, O_RDONLY);
	if (t->fd < 0)
		return errf(err, "%s: %s", path, strerror(errno));
	return 0;
}

/* Wait for the decompressor at the end of its output: -1 if it failed. */
static int reap(struct rtrace *t, char *err)
{
	int status;
	pid_t pid = t->child;
	if (!pid)
		return 0;
	t->child = 0;
	if (waitpid(pid, &status, 0) < 0)
		return errf(err, "%s: %s -dc: %s", t->path, t->child_cmd, strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return errf(err, "%s: cannot run %s to decompress it", t->path, t->child_cmd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return errf(err, "%s: %s -dc failed (exit status %d): truncated or corrupt "
			    "compressed data", t->path, t->child_cmd,
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

/* read() into dst: bytes read, 0 at the end (the child reaped), -1. */
static long src_read(struct rtrace *t, uint8_t *dst, size_t n, char *err)
{
	for (;;) {
		ssize_t got = read(t->fd, dst, n);
		if (got > 0)
			return got;
		if (got == 0)
			return reap(t, err) < 0 ? -1 : 0;
		if (errno != EINTR)
			return errf(err, "%s: %s", t->path, strerror(errno));
	}
}

/* Decompress into buf[len..RT_BUF): bytes produced, 0 at the end, -1. */
static long zstd_fill(struct rtrace *t, char *err)
{
	ZSTD_outBuffer out = { t->buf + t->len, RT_BUF - t->len, 0 };
	for (;;) {
		if (t->rpos == t->rlen && !t->raw_eof) {
			long got = src_read(t, t->raw, RT_RAW, err);
			if (got < 0)
				return -1;
			t->rpos = 0;
			t->rlen = (size_t)got;
			t->raw_eof = got == 0;
		}
		ZSTD_inBuffer in = { t->raw, t->rlen, t->rpos };
		size_t r = ZSTD_decompressStream(t->zds, &out, &in);
		if (ZSTD_isError(r))
			return errf(err, "%s: corrupt zstd data near byte %llu: %s", t->path,
				    (unsigned long long)t->zoff, ZSTD_getErrorName(r));
		if (in.pos != t->rpos || out.pos)
			t->zhint = r;           /* 0: a frame is complete */
		t->zoff += in.pos - t->rpos;
		t->rpos = in.pos;
		if (out.pos)
			return (long)out.pos;
		if (t->rpos == t->rlen && t->raw_eof) {
			if (t->zhint)
				return errf(err, "%s: truncated zstd stream (ends at byte %llu)",
					    t->path, (unsigned long long)t->zoff);
			return 0;
		}
	}
}

long rt_fill(struct rtrace *t, size_t want, char *err)
{
	while (t->len - t->pos < want && !t->src_eof) {
		if (t->pos) {
			memmove(t->buf, t->buf + t->pos, t->len - t->pos);
			t->base += t->pos;
			t->len -= t->pos;
			t->pos = 0;
		}
		long got = t->zds ? zstd_fill(t, err)
				  : src_read(t, t->buf + t->len, RT_BUF - t->len, err);
		if (got < 0)
			return -1;
		t->len += (size_t)got;
		t->src_eof = got == 0;
	}
	return (long)(t->len - t->pos);
}

int rt_zstd_begin(struct rtrace *t, char *err)
{
	t->zds = ZSTD_createDStream();
	if (!t->zds)
		return errf(err, "%s: out of memory", t->path);
	size_t n = t->len - t->pos;     /* already read: compressed input */
	memcpy(t->raw, t->buf + t->pos, n);
	t->zoff = t->base + t->pos;
	t->rpos = 0;
	t->rlen = n;
	t->raw_eof = t->src_eof;
	t->src_eof = false;
	t->zhint = 1;                   /* no frame yet */
	t->base += t->pos;
	t->pos = t->len = 0;
	return 0;
}

/* ---- opening and detection ------------------------------------------ */

static enum rtrace_format detect(const char *path, const uint8_t *p, size_t n)
{
	if (n >= 8 && !memcmp(p, MMT_MAGIC, 8))
		return RT_MMSIM;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (strstr(name, ".lackey"))
		return RT_LACKEY;
	if (strstr(name, "champsim") || ends_with(name, ".trace") ||
	    ends_with(name, ".trace.xz") || ends_with(name, ".trace.gz"))
		return RT_CHAMPSIM;
	return memchr(p, 0, n < 64 ? n : 64) ? RT_CHAMPSIM : RT_LACKEY;
}

struct rtrace *rtrace_open(const char *path, enum rtrace_format fmt, char *err)
{
	struct rtrace *t = calloc(1, sizeof(*t));
	if (!t) {
		errf(err, "%s: out of memory", path);
		return NULL;
	}
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->fd = -1;
	t->expected = MMT_COUNT_UNKNOWN;
	if (fmt != RT_LACKEY) {
		if (src_open(t, path, err) < 0 || rt_fill(t, 64, err) < 0)
			goto fail;
		if (fmt == RT_AUTO)
			fmt = detect(path, t->buf, t->len);
	}
	t->fmt = fmt;
	switch (fmt) {
	case RT_LACKEY:
		if (t->fd >= 0 && !strcmp(path, "-")) {
			errf(err, "-: lackey text on standard input needs the format given "
			     "(--from lackey)");
			goto fail;
		}
		if (t->fd >= 0) {       /* detected: lackey.c reads the file itself */
			close(t->fd);
			t->fd = -1;
			if (t->child) {
				kill(t->child, SIGTERM);
				waitpid(t->child, NULL, 0);
				t->child = 0;
			}
		}
		t->lk = lackey_open(path, err);
		if (!t->lk)
			goto fail;
		return t;
	case RT_CHAMPSIM:
		return t;
	case RT_MMSIM:
		if (rt_mmsim_open(t, err) < 0)
			goto fail;
		return t;
	default:
		errf(err, "%s: unknown trace format %d", path, (int)fmt);
		goto fail;
	}
fail:
	rtrace_close(t);
	return NULL;
}

/* ---- records ----------------------------------------------------------- */

/* Remember the outcome of a call that ended the trace, so later calls
 * repeat it. */
static int finish(struct rtrace *t, int r, char *err)
{
	if (r == 0)
		t->done = 1;
	else if (r < 0) {
		t->done = -1;
		snprintf(t->lasterr, sizeof(t->lasterr), "%s", err);
	}
	return r;
}

int rtrace_next(struct rtrace *t, struct rtrace_rec *rec, char *err)
{
	int r;
	if (t->done) {
		if (t->done < 0)
			snprintf(err, MMSIM_ERR_LEN, "%s", t->lasterr);
		return t->done < 0 ? -1 : 0;
	}
	switch (t->fmt) {
	case RT_MMSIM:    r = rt_mmsim_next(t, rec, err); break;
	case RT_CHAMPSIM: r = rt_champsim_next(t, rec, err); break;
	default:          r = rt_lackey_next(t, rec, err); break;
	}
	if (r == 1) {
		t->records++;
		return 1;
	}
	return finish(t, r, err);
}

long rtrace_read(struct rtrace *t, struct rtrace_rec *recs, size_t n, char *err)
{
	if (t->fmt == RT_MMSIM && !t->done) {
		long got = rt_mmsim_read(t, recs, n, err);
		if (got > 0) {
			t->records += (uint64_t)got;
			return got;
		}
		return finish(t, (int)got, err);
	}
	size_t i = 0;
	for (; i < n; i++) {
		int r = rtrace_next(t, &recs[i], err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
	}
	return (long)i;
}

uint64_t rtrace_count(const struct rtrace *t)
{
	return t->records;
}

enum rtrace_format rtrace_format(const struct rtrace *t)
{
	return t->fmt;
}

uint64_t rtrace_expected(const struct rtrace *t)
{
	return t->expected;
}

const char *rtrace_meta(const struct rtrace *t)
{
	return t->meta ? t->meta : "";
}

void rtrace_close(struct rtrace *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	if (t->child) {
		kill(t->child, SIGTERM);
		waitpid(t->child, NULL, 0);
	}
	lackey_close(t->lk);
	ZSTD_freeDStream(t->zds);
	free(t->meta);
	free(t);
}
