/* Shared pieces of the JSON input readers (configs, traces, sweeps): reading
 * a file with precise syntax errors, checking an object's keys against the
 * allowed set with a "did you mean" hint, and parsing the number forms every
 * input accepts (integers, hex strings, sizes with units). All functions
 * return 0 on success or -1 with "FILE: PLACE: what" in err. */
#ifndef MMSIM_JSONUTIL_H
#define MMSIM_JSONUTIL_H

#include <stdarg.h>

#include <cjson/cJSON.h>
#include "lib/types.h"

/* Read and parse a whole file. Errors: missing/unreadable file, invalid
 * UTF-8 (with byte offset), JSON syntax (with line:column), empty file. */
cJSON *json_load_file(const char *path, char *err);

/* The allowed key closest to `key` by edit distance, or NULL if none is
 * close enough to be a plausible typo. */
const char *json_suggest(const char *key, const char *const *allowed, size_t n);

/* Every member of obj must be in allowed[0..n); otherwise
 * "FILE: PLACE.key: unknown key; did you mean "x"?" (hint when close). */
int json_check_keys(const cJSON *obj, const char *const *allowed, size_t n,
		    const char *file, const char *place, char *err);

/* An unsigned integer: a JSON number that is integral and >= 0 (and exact,
 * below 2^53), or a string in decimal or 0x-hex. With units, the number may
 * end in K, M, G or T (binary: 4K = 4096), optionally followed by "B" or
 * "iB". Errors name FILE and PLACE. */
int json_u64(const cJSON *v, bool units, uint64_t *out,
	     const char *file, const char *place, char *err);

/* The same parse from a C string (used by -s overrides). */
int parse_u64(const char *s, bool units, uint64_t *out);

/* s made safe to quote in a one-line message: control characters escaped
 * (\n, \t, \xNN), at most about 60 characters (then "..."). Returns buf
 * (n >= 80 bytes). */
const char *json_printable(const char *s, char *buf, size_t n);

/* Is s[0..n) valid UTF-8? */
bool utf8_valid(const char *s, size_t n);

/* printf into err, for messages of the form "FILE: PLACE: ...". Returns -1
 * so callers can `return errf(...)`. */
int errf(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append vprintf text to buf (cap bytes, *len of them used), keeping it
 * NUL-terminated; what does not fit is cut off (event logs, reports). */
void vappendf(char *buf, size_t cap, size_t *len, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

#endif
