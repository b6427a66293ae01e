/* Writing recorded traces: the mmsim binary format (the encoder mirroring
 * rtrace_mmsim.c's decoder; format in docs/recorded-traces.md) and lackey
 * text (for round trips and for tools that read lackey output).
 *
 * Records are encoded into one fixed buffer, which is written out (through
 * zstd's streaming compressor for RTW_ZSTD) when nearly full. The output is
 * a temporary file "PATH.tmpPID" renamed over PATH only when the stream is
 * complete, so readers never see half a trace under PATH. */
#include "lib/rtrace_internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WB (256 * 1024)

struct rtrace_writer {
	enum rtrace_format fmt;
	int fd;
	bool to_stdout;
	uint64_t count, dropped;
	struct mmt_dec enc;     /* pred[] and tid, as the decoder will see them */
	ZSTD_CCtx *cctx;        /* RTW_ZSTD */
	size_t olen;            /* encoded bytes in ob[] */
	char path[256], tmp[300];
	uint8_t ob[WB];
	uint8_t zb[WB];
};

static int write_all(struct rtrace_writer *w, const uint8_t *p, size_t n, char *err)
{
	while (n) {
		ssize_t put = write(w->fd, p, n);
		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0)
			return errf(err, "%s: %s", w->path, strerror(errno));
		p += put;
		n -= (size_t)put;
	}
	return 0;
}

/* Write out ob[] (compressed if zstd); `end` also closes the zstd frame. */
static int flush(struct rtrace_writer *w, bool end, char *err)
{
	if (!w->cctx) {
		int r = write_all(w, w->ob, w->olen, err);
		w->olen = 0;
		return r;
	}
	ZSTD_inBuffer in = { w->ob, w->olen, 0 };
	size_t left;
	do {
		ZSTD_outBuffer out = { w->zb, sizeof(w->zb), 0 };
		left = ZSTD_compressStream2(w->cctx, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
		if (ZSTD_isError(left))
			return errf(err, "%s: zstd: %s", w->path, ZSTD_getErrorName(left));
		if (write_all(w, w->zb, out.pos, err) < 0)
			return -1;
	} while (end ? left != 0 : in.pos < in.size);
	w->olen = 0;
	return 0;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	for (; v >= 0x80; v >>= 7)
		*p++ = (uint8_t)(v | 0x80);
	*p++ = (uint8_t)v;
	return p;
}

/* The size class of size for kind (0: none; the size is written). */
static unsigned size_class(unsigned kind, uint32_t size)
{
	for (unsigned c = 1; c < 8; c++)
		if (mmt_size_of_class[kind][c] == size)
			return c;
	return 0;
}

static void encode_mmsim(struct rtrace_writer *w, const struct rtrace_rec *r)
{
	uint8_t *p = w->ob + w->olen, *first = p++;
	unsigned b = r->kind;
	if (r->tid != w->enc.tid) {
		b |= MMT_TID;
		p = put_varint(p, r->tid);
		w->enc.tid = r->tid;
	}
	if (r->kind < RT_COMPUTE) {
		unsigned cls = size_class(r->kind, r->size);
		b |= cls << MMT_CLS_SHIFT;
		if (!cls)
			p = put_varint(p, r->size);
		uint64_t delta = r->addr - w->enc.pred[r->kind];
		if (delta)
			p = put_varint(p, delta << 1 ^ -(delta >> 63));    /* zigzag */
		else
			b |= MMT_SAME;
		w->enc.pred[r->kind] = r->addr + r->size;
	} else if (r->count < 8) {
		b |= r->count << MMT_CLS_SHIFT;
	} else {
		p = put_varint(p, r->count);
	}
	*first = (uint8_t)b;
	w->olen = (size_t)(p - w->ob);
}

/* lackey's own line format: "I  %08lx,%lu", " L %08lx,%lu", ... */
static int encode_lackey(struct rtrace_writer *w, const struct rtrace_rec *r, char *err)
{
	static const char lead[4][4] = { "I  ", " L ", " S ", " M " };
	if (r->tid)
		return errf(err, "%s: record %llu has thread id %u; lackey text has no "
			    "threads (convert to mmsim instead)", w->path,
			    (unsigned long long)w->count + w->dropped + 1, r->tid);
	char *p = (char *)w->ob + w->olen;
	memcpy(p, lead[r->kind], 3);
	p += 3;
	int digits = 8;
	while (digits < 16 && r->addr >> 4 * digits)
		digits++;
	for (int i = digits - 1; i >= 0; i--)
		*p++ = "0123456789abcdef"[r->addr >> 4 * i & 0xf];
	p += sprintf(p, ",%u\n", r->size);
	w->olen = (size_t)((uint8_t *)p - w->ob);
	return 0;
}

int rtrace_write(struct rtrace_writer *w, const struct rtrace_rec *r, char *err)
{
	assert(r->kind <= RT_COMPUTE);
	assert(r->kind == RT_COMPUTE ? r->count >= 1 : r->size >= 1 && r->size <= RT_MAX_SIZE);
	if (w->olen > WB - 64 && flush(w, false, err) < 0)
		return -1;
	if (w->fmt == RT_MMSIM) {
		encode_mmsim(w, r);
	} else if (r->kind == RT_COMPUTE) {
		w->dropped++;           /* lackey text has no compute records */
		return 0;
	} else if (encode_lackey(w, r, err) < 0) {
		return -1;
	}
	w->count++;
	return 0;
}

/* ---- open and close --------------------------------------------------- */

static void put_header(struct rtrace_writer *w, unsigned flags, const char *meta)
{
	size_t mlen = meta ? strlen(meta) : 0;
	uint8_t *h = w->ob;
	memcpy(h, MMT_MAGIC, 8);
	rt_put_le(h + 8, MMT_VERSION, 2);
	rt_put_le(h + 10, flags, 2);
	rt_put_le(h + 12, mlen, 4);
	rt_put_le(h + 16, MMT_COUNT_UNKNOWN, 8);
	memcpy(h + MMT_HDR_SIZE, meta ? meta : "", mlen);
	w->olen = MMT_HDR_SIZE + mlen;
}

struct rtrace_writer *rtrace_writer_open(const char *path, enum rtrace_format fmt,
					 unsigned flags, int zlevel, const char *meta,
					 char *err)
{
	if (fmt != RT_MMSIM && fmt != RT_LACKEY) {
		errf(err, "%s: cannot write %s traces (only mmsim or lackey)", path,
		     rtrace_format_name(fmt));
		return NULL;
	}
	if ((flags & RTW_ZSTD) && fmt != RT_MMSIM) {
		errf(err, "%s: zstd compression is for the mmsim format", path);
		return NULL;
	}
	if (strlen(path) >= sizeof(((struct rtrace_writer *)0)->path)) {
		errf(err, "%.60s...: path too long", path);
		return NULL;
	}
	if (meta && strlen(meta) > RT_META_MAX) {
		errf(err, "%s: metadata of %zu bytes exceeds %d", path, strlen(meta), RT_META_MAX);
		return NULL;
	}
	struct rtrace_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		errf(err, "%s: out of memory", path);
		return NULL;
	}
	w->fmt = fmt;
	snprintf(w->path, sizeof(w->path), "%s", path);
	if (!strcmp(path, "-")) {
		w->to_stdout = true;
		w->fd = STDOUT_FILENO;
	} else {
		snprintf(w->tmp, sizeof(w->tmp), "%s.tmp%ld", path, (long)getpid());
		w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (w->fd < 0) {
			errf(err, "%s: %s", path, strerror(errno));
			free(w);
			return NULL;
		}
	}
	if (fmt == RT_MMSIM) {
		put_header(w, flags & RTW_ZSTD ? MMT_F_ZSTD : 0, meta);
		if (flush(w, false, err) < 0)
			goto fail;
	}
	if (flags & RTW_ZSTD) {
		w->cctx = ZSTD_createCCtx();
		if (!w->cctx ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel,
							zlevel ? zlevel : 3)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1))) {
			errf(err, "%s: cannot set up zstd (level %d)", path, zlevel);
			goto fail;
		}
	}
	return w;
fail:
	rtrace_writer_abort(w);
	return NULL;
}

int rtrace_writer_close(struct rtrace_writer *w, char *err)
{
	if (w->fmt == RT_MMSIM)
		w->ob[w->olen++] = MMT_END;
	if (flush(w, true, err) < 0)
		goto fail;
	if (!w->to_stdout) {
		uint8_t n[8];
		rt_put_le(n, w->count, 8);
		if (w->fmt == RT_MMSIM && pwrite(w->fd, n, 8, 16) != 8 && errno != ESPIPE) {
			errf(err, "%s: %s", w->path, strerror(errno));
			goto fail;
		}
		int fd = w->fd;
		w->fd = -1;
		if (close(fd) < 0 || rename(w->tmp, w->path) < 0) {
			errf(err, "%s: %s", w->path, strerror(errno));
			goto fail;
		}
	}
	ZSTD_freeCCtx(w->cctx);
	free(w);
	return 0;
fail:
	rtrace_writer_abort(w);
	return -1;
}

void rtrace_writer_abort(struct rtrace_writer *w)
{
	if (!w)
		return;
	if (!w->to_stdout) {
		if (w->fd >= 0)
			close(w->fd);
		unlink(w->tmp);
	}
	ZSTD_freeCCtx(w->cctx);
	free(w);
}

uint64_t rtrace_writer_count(const struct rtrace_writer *w)
{
	return w->count;
}

uint64_t rtrace_writer_dropped(const struct rtrace_writer *w)
{
	return w->dropped;
}
