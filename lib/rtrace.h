/* Recorded address traces: one streaming reader over every format mmsim
 * replays, and a writer of the formats it converts to (docs/recorded-traces.md
 * documents each format and how its records map to accesses).
 *
 *   RT_LACKEY    Valgrind lackey text (valgrind --tool=lackey --trace-mem=yes),
 *                plain or .xz; read by lib/lackey.c.
 *   RT_CHAMPSIM  ChampSim's 64-byte `input_instr` records (the DPC-3 / CRC-2
 *                trace corpora), plain, .xz, .gz or .zst. Each instruction becomes a
 *                fetch of its ip (size 4), a load per source memory operand and
 *                a store per destination memory operand (size 8), or, with no
 *                memory operand, the fetch and RT_COMPUTE 1.
 *   RT_MMSIM     mmsim's own binary format ("MMSIMTR1"): a header with version,
 *                flags, record count and free-form metadata, then one byte per
 *                record plus varints (thread id when it changes, zigzag address
 *                delta from a per-kind prediction, odd sizes, long counts).
 *                Optionally zstd-compressed inside; may also be .xz/.gz/.zst.
 *
 * Every reader streams through fixed buffers allocated at open: constant
 * memory for any trace length, no allocation per record (DESIGN.md "Hot
 * path"). Decompression of .xz/.gz/.zst files runs in a child process (`xz
 * -dc` ...) feeding a pipe, so it uses a second core; the mmsim format's
 * inner zstd layer is decoded in-process with libzstd.
 *
 * Errors are bad input (STYLE.md tier 1): one line in err (MMSIM_ERR_LEN
 * bytes), naming the file and the place:
 *     "PATH: record N (byte B): what"        mmsim format
 *     "PATH: instruction N (byte B): what"   ChampSim format
 *     "PATH:LINE: what"                      lackey text (lib/lackey.c)
 * N counts from 1; B is the offset of the record's first byte in the
 * decompressed stream (for an uncompressed file, in the file). */
#ifndef MMSIM_RTRACE_H
#define MMSIM_RTRACE_H

#include "lib/types.h"

enum rtrace_format {
	RT_AUTO,        /* open: detect by magic, file name, then content */
	RT_LACKEY,
	RT_CHAMPSIM,
	RT_MMSIM,
};

enum rtrace_kind {
	RT_FETCH,       /* instruction fetch of addr, size */
	RT_LOAD,        /* data read */
	RT_STORE,       /* data write */
	RT_MODIFY,      /* read and write of the same bytes by one instruction */
	RT_COMPUTE,     /* count instructions that made no data access */
};
#define RT_KINDS 5

#define RT_MAX_SIZE 4096        /* largest access size */

/* One record. */
struct rtrace_rec {
	uint64_t addr;      /* memory kinds only; 0 for RT_COMPUTE */
	uint32_t size;      /* memory kinds: 1..RT_MAX_SIZE; 0 for RT_COMPUTE */
	uint32_t count;     /* RT_COMPUTE: instructions, >= 1; 0 otherwise */
	uint32_t tid;       /* thread id; 0 in single-thread formats */
	uint8_t kind;       /* enum rtrace_kind */
};

struct rtrace;

/* Open path ("-" = standard input) in format fmt; RT_AUTO detects it:
 * the "MMSIMTR1" magic means mmsim; otherwise a name containing ".lackey"
 * or "champsim" (or ending ".trace", ".trace.xz/.gz") decides; otherwise
 * content with a NUL byte in its first 64 bytes is ChampSim, text is lackey.
 * NULL with "PATH: what" in err. */
struct rtrace *rtrace_open(const char *path, enum rtrace_format fmt, char *err);

/* The next record: 1, 0 at the end of the trace, -1 with err. After 0 or
 * -1, further calls return the same. */
int rtrace_next(struct rtrace *t, struct rtrace_rec *rec, char *err);

/* Up to n records into recs[]: how many (0 at the end), or -1 with err
 * (records decoded before the error are lost; the trace is bad anyway).
 * The fast way through a long trace: one call per buffer, not per record. */
long rtrace_read(struct rtrace *t, struct rtrace_rec *recs, size_t n, char *err);

/* Records returned so far. */
uint64_t rtrace_count(const struct rtrace *t);

/* The format being read (after RT_AUTO detection). */
enum rtrace_format rtrace_format(const struct rtrace *t);

/* mmsim format: the record count in the header, or UINT64_MAX when the
 * writer could not record it (output was a pipe) or for other formats. */
uint64_t rtrace_expected(const struct rtrace *t);

/* mmsim format: the header's metadata text, NUL-terminated ("" if none or
 * other formats). */
const char *rtrace_meta(const struct rtrace *t);

void rtrace_close(struct rtrace *t);

/* "lackey", "champsim", "mmsim" (and "auto"); rtrace_format_parse returns
 * -1 for an unknown name. */
const char *rtrace_format_name(enum rtrace_format fmt);
int rtrace_format_parse(const char *name, enum rtrace_format *fmt);

/* ---- writer ------------------------------------------------------------ */

/* Writes RT_MMSIM (optionally zstd-compressed) or RT_LACKEY text. Output
 * goes to a temporary file beside path that rtrace_writer_close renames
 * into place, so a failed conversion leaves nothing half-written; "-" writes
 * to standard output directly (and the mmsim header's count stays unknown).
 *
 * Lackey text has no compute records and no thread ids: the lackey writer
 * drops RT_COMPUTE records and ignores tid, and counts both in
 * rtrace_writer_dropped(). */
#define RTW_ZSTD 0x1        /* mmsim: compress the record stream with zstd */

struct rtrace_writer;

/* meta: free-form text for the mmsim header (NULL = none; at most
 * RT_META_MAX bytes). zlevel: zstd level (0 = default 3). */
#define RT_META_MAX 65536
struct rtrace_writer *rtrace_writer_open(const char *path, enum rtrace_format fmt,
					 unsigned flags, int zlevel, const char *meta,
					 char *err);

/* Append one record. rec must be valid (kind, size 1..RT_MAX_SIZE, count
 * >= 1 for RT_COMPUTE): a simulator bug otherwise (assert). -1 with err on
 * an I/O error. */
int rtrace_write(struct rtrace_writer *w, const struct rtrace_rec *rec, char *err);

/* Finish the stream (end marker, compressed frame end, header count) and
 * move the file into place. Frees w. -1 with err (and nothing at path) on
 * an I/O error. */
int rtrace_writer_close(struct rtrace_writer *w, char *err);

/* Give up: remove the temporary file and free w. */
void rtrace_writer_abort(struct rtrace_writer *w);

uint64_t rtrace_writer_count(const struct rtrace_writer *w);   /* written */
uint64_t rtrace_writer_dropped(const struct rtrace_writer *w); /* lackey: dropped */

#endif
