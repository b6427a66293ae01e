/* Shared JSON input helpers: see jsonutil.h. */
#include "lib/jsonutil.h"

#include <ctype.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vappendf(char *buf, size_t cap, size_t *len, const char *fmt, va_list ap)
{
	size_t room = cap - *len;
	if (room < 2)
		return;
	int n = vsnprintf(buf + *len, room, fmt, ap);
	if (n > 0)
		*len += (size_t)n < room ? (size_t)n : room - 1;
}

int errf(char *err, const char *fmt, ...)
{
	char raw[MMSIM_ERR_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* One line, whatever the input held: control characters are escaped,
	 * so a key or value quoted from a file cannot break the message. */
	size_t o = 0;
	for (const char *p = raw; *p && o + 5 < MMSIM_ERR_LEN; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(err + o, MMSIM_ERR_LEN - o,
					      c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\x%02x", c);
		else
			err[o++] = (char)c;
	}
	err[o] = '\0';
	return -1;
}

/* Offset of the first byte that is not valid UTF-8, or -1. */
static long utf8_invalid_at(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t len;
		uint32_t min;
		if (c < 0x80) { i++; continue; }
		if ((c & 0xe0) == 0xc0) { len = 2; min = 0x80; }
		else if ((c & 0xf0) == 0xe0) { len = 3; min = 0x800; }
		else if ((c & 0xf8) == 0xf0) { len = 4; min = 0x10000; }
		else return (long)i;
		if (i + len > n)
			return (long)i;
		uint32_t cp = c & (0x7f >> len);
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (long)i;
		i += len;
	}
	return -1;
}

bool utf8_valid(const char *s, size_t n)
{
	return utf8_invalid_at((const unsigned char *)s, n) < 0;
}

const char *json_printable(const char *s, char *buf, size_t n)
{
	size_t o = 0;
	for (; *s && o + 8 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (o >= 60) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (c == '\n')
			o += (size_t)snprintf(buf + o, n - o, "\\n");
		else if (c == '\t')
			o += (size_t)snprintf(buf + o, n - o, "\\t");
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/* Offset of a \u0000 escape inside a JSON string, or -1: cJSON would
 * decode it to a NUL that silently cuts the string short. */
static long escaped_nul_at(const char *s, size_t n)
{
	bool in_string = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"') {
			in_string = !in_string;
		} else if (in_string && s[i] == '\\' && i + 1 < n) {
			if (s[i + 1] == 'u' && i + 5 < n && s[i + 2] == '0' && s[i + 3] == '0' &&
			    s[i + 4] == '0' && s[i + 5] == '0')
				return (long)i;
			i++;                /* skip the escaped character */
		}
	}
	return -1;
}

cJSON *json_load_file(const char *path, char *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		errf(err, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	struct stat sb;
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fclose(f);
		errf(err, "%s: cannot read: %s", path, strerror(EISDIR));
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = realloc(buf, 2 * cap + 1);
			if (!nb) { free(buf); buf = NULL; break; }
			buf = nb;
			cap *= 2;
		}
	}
	bool rerr = ferror(f);
	int rerrno = errno;
	fclose(f);
	if (!buf) {
		errf(err, "%s: out of memory reading the file", path);
		return NULL;
	}
	if (rerr) {
		free(buf);
		errf(err, "%s: read error: %s", path, strerror(rerrno));
		return NULL;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n)) {
		errf(err, "%s: byte %zu: NUL byte in a JSON text", path,
		     (size_t)((char *)memchr(buf, '\0', n) - buf));
		free(buf);
		return NULL;
	}
	long bad = utf8_invalid_at((unsigned char *)buf, n);
	if (bad >= 0) {
		errf(err, "%s: byte %ld: invalid UTF-8", path, bad);
		free(buf);
		return NULL;
	}
	long nul = escaped_nul_at(buf, n);
	if (nul >= 0) {
		errf(err, "%s: byte %ld: \\u0000 (a NUL character) is not allowed in a string",
		     path, nul);
		free(buf);
		return NULL;
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithOpts(buf, &end, true);
	if (!root) {
		const char *at = end ? end : buf;
		if (at < buf || at > buf + n)
			at = buf + n;
		int line = 1, col = 1;
		for (const char *p = buf; p < at; p++) {
			if (*p == '\n') { line++; col = 1; } else col++;
		}
		bool blank = true;
		for (size_t i = 0; i < n; i++)
			if (!isspace((unsigned char)buf[i])) { blank = false; break; }
		if (blank)
			errf(err, "%s: empty file (expected a JSON object)", path);
		else
			errf(err, "%s:%d:%d: JSON syntax error", path, line, col);
	}
	free(buf);
	return root;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 64;
	size_t d[64][64];
	for (size_t i = 0; i <= la; i++) d[i][0] = i;
	for (size_t j = 0; j <= lb; j++) d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			size_t m = sub < del ? sub : del;
			m = m < ins ? m : ins;
			/* a transposition ("entires") counts as one edit */
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < m)
				m = d[i - 2][j - 2] + 1;
			d[i][j] = m;
		}
	}
	return d[la][lb];
}

const char *json_suggest(const char *key, const char *const *allowed, size_t n)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(key, allowed[i]);
		if (d < bestd) { bestd = d; best = allowed[i]; }
	}
	/* close enough to be a typo: at most a third of the word, at least 1 */
	size_t len = strlen(key);
	size_t limit = len / 3 > 0 ? len / 3 : 1;
	if (limit > 3) limit = 3;
	return bestd <= limit ? best : NULL;
}

int json_check_keys(const cJSON *obj, const char *const *allowed, size_t n,
		    const char *file, const char *place, char *err)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, obj) {
		bool ok = false;
		for (size_t i = 0; i < n && !ok; i++)
			ok = strcmp(m->string, allowed[i]) == 0;
		if (ok)
			continue;
		const char *hint = json_suggest(m->string, allowed, n);
		const char *dot = place && *place ? "." : "";
		char key[96];
		json_printable(m->string, key, sizeof(key));
		if (hint)
			return errf(err, "%s: %s%s%s: unknown key; did you mean \"%s\"?",
				    file, place ? place : "", dot, key, hint);
		return errf(err, "%s: %s%s%s: unknown key", file, place ? place : "", dot, key);
	}
	return 0;
}

int parse_u64(const char *s, bool units, uint64_t *out)
{
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit((unsigned char)s[2]))
			return -1;      /* strtoull would take a sign or blanks */
		v = strtoull(s + 2, &end, 16);
	} else {
		v = strtoull(s, &end, 10);
	}
	if (end == s || errno == ERANGE)
		return -1;
	if (units && *end) {
		unsigned shift;
		switch (toupper((unsigned char)*end)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default: return -1;
		}
		end++;
		if (strcmp(end, "iB") == 0) end += 2;
		else if (strcmp(end, "B") == 0) end += 1;
		if (v > (UINT64_MAX >> shift))
			return -1;
		v <<= shift;
	}
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

int json_u64(const cJSON *v, bool units, uint64_t *out,
	     const char *file, const char *place, char *err)
{
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d < 0)
			return errf(err, "%s: %s: must not be negative", file, place);
		if (!(d < 9007199254740992.0))      /* also rejects NaN */
			return errf(err, "%s: %s: must be below 2^53 "
				    "(write larger values as a \"0x...\" string)", file, place);
		if (d != (double)(uint64_t)d)
			return errf(err, "%s: %s: must be a whole number", file, place);
		*out = (uint64_t)d;
		return 0;
	}
	if (cJSON_IsString(v)) {
		if (parse_u64(v->valuestring, units, out) == 0)
			return 0;
		char text[96];
		return errf(err, "%s: %s: \"%s\" is not %s", file, place,
			    json_printable(v->valuestring, text, sizeof(text)),
			    units ? "a size (a number, optionally with K, M, G or T)"
				  : "a number (decimal or 0x-hex)");
	}
	return errf(err, "%s: %s: expected %s", file, place,
		    units ? "a size (number or string like \"4K\")" : "a number");
}
