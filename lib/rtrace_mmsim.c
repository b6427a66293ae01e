/* The mmsim binary trace format: reading (the writer is rtrace_writer.c).
 * Byte-by-byte description in docs/recorded-traces.md; in short:
 *
 *   header   "MMSIMTR1", u16 version (1), u16 flags (bit 0: zstd body),
 *            u32 metadata length M, u64 record count (all ones: unknown),
 *            M bytes of metadata text                      (little-endian)
 *   body     records, then the end byte 0x07; zstd frames if flag bit 0
 *   record   one byte  [7 same-addr | 6 tid | 5..3 size class | 2..0 kind]
 *            then in order, each only when needed:
 *              varint thread id             (bit 6: the thread changes)
 *              varint size                  (size class 0)
 *              zigzag varint address delta  (bit 7 clear; memory kinds)
 *              varint count                 (RT_COMPUTE with class 0)
 *
 * An access's address is predicted as the byte after the previous access
 * of the same kind (sequential code and arrays cost no address bytes), and
 * stored as the zigzag varint of (address - prediction) mod 2^64 when it
 * differs. Varints are LEB128: 7 bits a byte, low first, at most 10 bytes,
 * no redundant trailing zero byte.
 *
 * Decoding is one pass over a fixed buffer: the buffer is refilled when
 * fewer than MMT_MAXREC bytes remain, so inside it every record is decoded
 * with only the cheap end-of-buffer checks. */
#include "lib/rtrace_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint16_t mmt_size_of_class[4][8] = {
	[RT_FETCH]  = { 0, 1, 2, 3, 4, 5, 6, 7 },
	[RT_LOAD]   = { 0, 1, 2, 4, 8, 16, 32, 64 },
	[RT_STORE]  = { 0, 1, 2, 4, 8, 16, 32, 64 },
	[RT_MODIFY] = { 0, 1, 2, 4, 8, 16, 32, 64 },
};

/* decode_one's results besides 1 (a record) */
enum {
	D_END = 0,          /* the end marker */
	D_NOEND = -1,       /* the stream ended between records */
	D_TRUNC = -2,       /* ... or inside one */
	D_BYTE = -3,        /* invalid record byte (d->bad) */
	D_VARINT = -4,      /* longer than 64 bits or overlong */
	D_SIZE = -5,        /* size out of range (d->bad) */
	D_TID = -6,         /* thread id above 32 bits (d->bad) */
	D_COUNT = -7,       /* compute count 0 or above 32 bits (d->bad) */
};

static inline uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* ---- header ------------------------------------------------------------ */

int rt_mmsim_open(struct rtrace *t, char *err)
{
	long n = rt_fill(t, MMT_HDR_SIZE, err);
	if (n < 0)
		return -1;
	const uint8_t *h = t->buf + t->pos;
	if (n < 8 || memcmp(h, MMT_MAGIC, 8))
		return errf(err, "%s: not an mmsim trace (bad magic; want \"%s\")", t->path,
			    MMT_MAGIC);
	if (n < MMT_HDR_SIZE)
		return errf(err, "%s: truncated header (%ld of %d bytes)", t->path, n,
			    MMT_HDR_SIZE);
	unsigned version = (unsigned)le(h + 8, 2), flags = (unsigned)le(h + 10, 2);
	uint64_t mlen = le(h + 12, 4);
	if (version != MMT_VERSION)
		return errf(err, "%s: unsupported version %u (this mmsim reads version %d)",
			    t->path, version, MMT_VERSION);
	if (flags & ~MMT_F_KNOWN)
		return errf(err, "%s: unknown flags 0x%04x in the header", t->path, flags);
	if (mlen > RT_META_MAX)
		return errf(err, "%s: metadata length %llu exceeds %d bytes", t->path,
			    (unsigned long long)mlen, RT_META_MAX);
	t->expected = le(h + 16, 8);
	t->pos += MMT_HDR_SIZE;
	if ((n = rt_fill(t, mlen, err)) < 0)
		return -1;
	if ((uint64_t)n < mlen)
		return errf(err, "%s: truncated header (metadata of %llu bytes, %ld there)",
			    t->path, (unsigned long long)mlen, n);
	t->meta = malloc(mlen + 1);
	if (!t->meta)
		return errf(err, "%s: out of memory", t->path);
	memcpy(t->meta, t->buf + t->pos, mlen);
	t->meta[mlen] = '\0';
	t->pos += mlen;
	return flags & MMT_F_ZSTD ? rt_zstd_begin(t, err) : 0;
}

/* ---- records ----------------------------------------------------------- */

/* A LEB128 varint at *pp (before end). 0 or D_TRUNC / D_VARINT. */
static inline int varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	if (p < end && *p < 0x80) {         /* the common one-byte case */
		*out = *p;
		*pp = p + 1;
		return 0;
	}
	uint64_t v = 0;
	for (unsigned shift = 0;; shift += 7) {
		if (p == end)
			return D_TRUNC;
		unsigned b = *p++;
		if (shift == 63 && b > 1)
			return D_VARINT;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (b == 0 && shift)
				return D_VARINT;    /* overlong: a redundant zero byte */
			break;
		}
	}
	*out = v;
	*pp = p;
	return 0;
}

#define TRY(e) do { int e_ = (e); if (e_) return e_; } while (0)

/* Decode the record at *pp into rec; see the file header. */
static inline int decode_one(struct mmt_dec *d, const uint8_t **pp, const uint8_t *end,
			     struct rtrace_rec *rec)
{
	const uint8_t *p = *pp;
	if (p == end)
		return D_NOEND;
	unsigned b = *p++, kind = b & MMT_KIND_MASK, cls = (b & MMT_CLS_MASK) >> MMT_CLS_SHIFT;
	uint64_t v;
	if (b & MMT_TID) {
		TRY(varint(&p, end, &v));
		if (v > UINT32_MAX)
			return d->bad = v, D_TID;
		d->tid = (uint32_t)v;
	}
	if (kind < RT_COMPUTE) {
		uint32_t size = mmt_size_of_class[kind][cls];
		if (!size) {
			TRY(varint(&p, end, &v));
			if (v < 1 || v > RT_MAX_SIZE)
				return d->bad = v, D_SIZE;
			size = (uint32_t)v;
		}
		uint64_t a = d->pred[kind];
		if (!(b & MMT_SAME)) {
			TRY(varint(&p, end, &v));
			a += (v >> 1) ^ -(v & 1);       /* zigzag: 0 1 2 3 4 -> 0 -1 1 -2 2 */
		}
		d->pred[kind] = a + size;
		rec->addr = a;
		rec->size = size;
		rec->count = 0;
	} else if (kind == RT_COMPUTE && !(b & MMT_SAME)) {
		v = cls;
		if (!v) {
			TRY(varint(&p, end, &v));
			if (v < 1 || v > UINT32_MAX)
				return d->bad = v, D_COUNT;
		}
		rec->addr = 0;
		rec->size = 0;
		rec->count = (uint32_t)v;
	} else if (b == MMT_END) {
		*pp = p;
		return D_END;
	} else {
		return d->bad = b, D_BYTE;
	}
	rec->tid = d->tid;
	rec->kind = (uint8_t)kind;
	*pp = p;
	return 1;
}

/* The message for decode_one's result r at record number `rec` (from 1). */
static int fail(struct rtrace *t, int r, uint64_t rec, char *err)
{
	static const char *const what[] = {
		[-D_NOEND] = "stream ends without the end marker (truncated file?)",
		[-D_TRUNC] = "truncated record",
		[-D_BYTE] = "bad record byte 0x%02llx",
		[-D_VARINT] = "bad varint (longer than 64 bits, or a redundant zero byte)",
		[-D_SIZE] = "size %llu out of range 1..4096",
		[-D_TID] = "thread id %llu above 2^32-1",
		[-D_COUNT] = "compute count %llu out of range 1..2^32-1",
	};
	char msg[160];
	snprintf(msg, sizeof(msg), what[-r], (unsigned long long)t->dec.bad);
	return errf(err, "%s: record %llu (byte %llu): %s", t->path, (unsigned long long)rec,
		    (unsigned long long)(t->base + t->pos), msg);
}

/* At the end marker (consumed): the count must match the header and
 * nothing may follow. 0 or -1. */
static int at_end(struct rtrace *t, uint64_t records, char *err)
{
	t->dec.ended = true;
	if (t->expected != MMT_COUNT_UNKNOWN && records != t->expected)
		return errf(err, "%s: record %llu (byte %llu): end marker after %llu records, "
			    "but the header says %llu", t->path, (unsigned long long)records + 1,
			    (unsigned long long)(t->base + t->pos - 1),
			    (unsigned long long)records, (unsigned long long)t->expected);
	long n = rt_fill(t, 1, err);
	if (n < 0)
		return -1;
	if (n > 0)
		return errf(err, "%s: byte %llu: data after the end marker", t->path,
			    (unsigned long long)(t->base + t->pos));
	return 0;
}

int rt_mmsim_next(struct rtrace *t, struct rtrace_rec *rec, char *err)
{
	if (t->dec.ended)
		return 0;
	if (t->len - t->pos < MMT_MAXREC && rt_fill(t, MMT_MAXREC, err) < 0)
		return -1;
	const uint8_t *p = t->buf + t->pos;
	int r = decode_one(&t->dec, &p, t->buf + t->len, rec);
	if (r < 0)
		return fail(t, r, t->records + 1, err);
	t->pos = (size_t)(p - t->buf);
	if (r == D_END)
		return at_end(t, t->records, err) < 0 ? -1 : 0;
	return 1;
}

long rt_mmsim_read(struct rtrace *t, struct rtrace_rec *recs, size_t n, char *err)
{
	struct mmt_dec d = t->dec;      /* in registers for the loop */
	size_t i = 0;
	int r = 1;
	while (i < n && !d.ended) {
		if (t->len - t->pos < MMT_MAXREC && rt_fill(t, MMT_MAXREC, err) < 0)
			return -1;
		const uint8_t *p = t->buf + t->pos, *end = t->buf + t->len;
		/* whole records are sure to be in the buffer up to `safe` */
		const uint8_t *safe = end - p >= MMT_MAXREC ? end - MMT_MAXREC : p;
		do
			r = decode_one(&d, &p, end, &recs[i]);
		while (r == 1 && ++i < n && p <= safe);
		t->pos = (size_t)(p - t->buf);
		t->dec = d;
		if (r < 0)
			return fail(t, r, t->records + i + 1, err);
		if (r == D_END)
			return at_end(t, t->records + i, err) < 0 ? -1 : (long)i;
	}
	return (long)i;
}
