/* A streaming reader of Valgrind lackey address traces, the output of
 *     valgrind --tool=lackey --trace-mem=yes [--log-file=F] PROGRAM
 * One record per line, as lackey's trace_instr/trace_load/... print them:
 *     "I  0400d7d4,8"    instruction fetch: address (hex), size (decimal)
 *     " L 04016d30,8"    data load
 *     " S 7ff000398,8"   data store
 *     " M 0421c7f0,4"    data modify: a load and a store of the same bytes
 *                        by one instruction, merged by lackey
 * Lines starting with "==" or "--" (Valgrind's "==PID== ..." messages) and
 * empty lines are skipped; anything else is bad input, reported as
 * "FILE:LINE: what".
 *
 * The file is read through one fixed buffer and parsed in place: no
 * allocation per record. A path ending in ".xz" is decompressed by an
 * `xz -dc` child process feeding a pipe; "-" is standard input. */
#ifndef MMSIM_LACKEY_H
#define MMSIM_LACKEY_H

#include "lib/types.h"

#define LACKEY_MAX_SIZE 4096    /* largest access size accepted */

struct lackey_rec {
	uint64_t addr;
	uint32_t size;      /* 1..LACKEY_MAX_SIZE */
	char kind;          /* 'I', 'L', 'S' or 'M' */
};

struct lackey;

/* Open path. NULL with "PATH: what" in err (MMSIM_ERR_LEN bytes). */
struct lackey *lackey_open(const char *path, char *err);

/* The next record: 1, 0 at the end of the trace, or -1 with err. */
int lackey_next(struct lackey *lk, struct lackey_rec *rec, char *err);

/* Records returned so far. */
uint64_t lackey_count(const struct lackey *lk);

void lackey_close(struct lackey *lk);

#endif
