/* Shared inside the recorded-trace readers (lib/rtrace*.c): the reader's
 * state, the byte source every binary format reads through, and the mmsim
 * format's constants. Not part of the API: include lib/rtrace.h. */
#ifndef MMSIM_RTRACE_INTERNAL_H
#define MMSIM_RTRACE_INTERNAL_H

#include <sys/types.h>
#include <zstd.h>

#include "lib/jsonutil.h"     /* errf */
#include "lib/lackey.h"
#include "lib/rtrace.h"

/* ---- the mmsim binary format (docs/recorded-traces.md, byte by byte) ---- */

#define MMT_MAGIC       "MMSIMTR1"
#define MMT_VERSION     1
#define MMT_HDR_SIZE    24      /* magic 8, version 2, flags 2, meta len 4, count 8 */
#define MMT_F_ZSTD      0x0001  /* the record stream is one or more zstd frames */
#define MMT_F_KNOWN     MMT_F_ZSTD
#define MMT_COUNT_UNKNOWN UINT64_MAX

/* The record byte:  bit 7      6      5..3        2..0
 *                   same-addr  tid    size class  kind
 * kind 0..3: RT_FETCH..RT_MODIFY; 4: RT_COMPUTE (size class = count 1..7,
 * 0: a varint count follows; bit 7 must be 0); 7: end of stream (the whole
 * byte is 0x07); 5 and 6 are invalid. */
#define MMT_KIND_MASK   0x07
#define MMT_CLS_SHIFT   3
#define MMT_CLS_MASK    0x38
#define MMT_TID         0x40    /* a varint thread id follows */
#define MMT_SAME        0x80    /* addr = prediction; no address delta */
#define MMT_END         0x07
#define MMT_MAXREC      32      /* bytes a well-formed record needs, at most */

/* Size class -> size, per kind (0: a varint size follows). Fetches are
 * instruction lengths (mostly 1..7 bytes on x86); data accesses powers of 2.
 * Indexed [kind][class] for kinds 0..3. */
extern const uint16_t mmt_size_of_class[4][8];

/* The mmsim decoder's state between records. */
struct mmt_dec {
	uint64_t pred[4];       /* per kind: the address after its last access */
	uint32_t tid;           /* the current thread */
	bool ended;             /* the end marker was read */
	uint64_t bad;           /* the offending value, for the error message */
};

/* ---- the reader --------------------------------------------------------- */

#define RT_BUF  (256 * 1024)    /* decoded bytes */
#define RT_RAW  RT_BUF          /* zstd input: holds all of buf when zstd begins */
#define RT_PEND 8               /* ChampSim: records of one instruction, at most 7 */

struct rtrace {
	enum rtrace_format fmt;
	int done;               /* 0 reading, 1 ended, -1 failed (sticky) */
	uint64_t records;       /* returned so far */
	char path[256];
	char lasterr[MMSIM_ERR_LEN];  /* the failure, repeated by later calls */

	/* the byte source: a file, stdin or a decompressor's pipe */
	int fd;
	pid_t child;            /* the decompressor process, or 0 */
	const char *child_cmd;  /* its name, for messages */
	bool src_eof;           /* no more bytes will come into buf */
	uint64_t base;          /* stream offset of buf[0] */
	size_t pos, len;        /* unread bytes are buf[pos..len) */

	/* zstd (mmsim format, MMT_F_ZSTD): raw[rpos..rlen) is compressed input */
	ZSTD_DStream *zds;
	bool raw_eof;
	size_t rpos, rlen, zhint;
	uint64_t zoff;          /* file offset of raw[rpos], for messages */

	/* lackey */
	struct lackey *lk;

	/* mmsim */
	struct mmt_dec dec;
	uint64_t expected;      /* header's record count, or MMT_COUNT_UNKNOWN */
	char *meta;             /* NUL-terminated; allocated once at open */

	/* ChampSim: records of the current instruction, pend[ipend..npend) */
	unsigned ipend, npend;
	uint64_t instrs;        /* instructions decoded */
	struct rtrace_rec pend[RT_PEND];

	uint8_t raw[RT_RAW];
	uint8_t buf[RT_BUF];
};

/* Make at least want (<= MMT_MAXREC * 2048) unread bytes available in
 * buf[pos..len) unless the stream ends first. Returns len - pos, -1 on
 * an error (decompressor failure, corrupt zstd data, read error). */
long rt_fill(struct rtrace *t, size_t want, char *err);

/* Continue the source as a zstd stream (the mmsim body): the unread bytes
 * are compressed input from here on. */
int rt_zstd_begin(struct rtrace *t, char *err);

/* Per-format parts, called by rtrace.c's dispatch. */
int rt_mmsim_open(struct rtrace *t, char *err);     /* reads the header */
int rt_mmsim_next(struct rtrace *t, struct rtrace_rec *rec, char *err);
long rt_mmsim_read(struct rtrace *t, struct rtrace_rec *recs, size_t n, char *err);
int rt_champsim_next(struct rtrace *t, struct rtrace_rec *rec, char *err);
int rt_lackey_next(struct rtrace *t, struct rtrace_rec *rec, char *err);

/* Little-endian loads and stores (the formats are little-endian). */
static inline uint64_t rt_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline void rt_put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

#endif
