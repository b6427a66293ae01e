/* Valgrind lackey trace reader: see lackey.h. */
#include "lib/lackey.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/spawn.h"

#define LACKEY_BUF (64 * 1024)

struct lackey {
	int fd;
	pid_t child;            /* the xz process, or 0 */
	bool eof;
	size_t pos, len;        /* unparsed bytes are buf[pos..len) */
	uint64_t line, records;
	char path[256];
	char buf[LACKEY_BUF];
};


struct lackey *lackey_open(const char *path, char *err)
{
	struct lackey *lk = calloc(1, sizeof(*lk));
	if (!lk) {
		snprintf(err, MMSIM_ERR_LEN, "%s: out of memory", path);
		return NULL;
	}
	snprintf(lk->path, sizeof(lk->path), "%s", path);
	size_t n = strlen(path);
	if (strcmp(path, "-") == 0)
		lk->fd = dup(STDIN_FILENO);
	else if (n > 3 && strcmp(path + n - 3, ".xz") == 0 && access(path, R_OK) == 0)
		lk->fd = spawn_decompressor("xz", path, &lk->child);
	else
		lk->fd = open(path, O_RDONLY);
	if (lk->fd < 0) {
		snprintf(err, MMSIM_ERR_LEN, "%s: %s", path, strerror(errno));
		free(lk);
		return NULL;
	}
	return lk;
}

/* Reap the xz child at the end of its output: -1 if it failed. */
static int reap(struct lackey *lk, char *err)
{
	int status;
	if (!lk->child)
		return 0;
	pid_t pid = lk->child;
	lk->child = 0;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(err, MMSIM_ERR_LEN, "%s: xz -dc failed (status %d)", lk->path, status);
		return -1;
	}
	return 0;
}

/* Make buf[pos..len) hold a whole line (or the file's unterminated tail).
 * Returns its length (without the newline), 0 at the end, -1 on error. */
static long fill_line(struct lackey *lk, char *err)
{
	for (;;) {
		char *nl = memchr(lk->buf + lk->pos, '\n', lk->len - lk->pos);
		if (nl)
			return nl - (lk->buf + lk->pos);
		if (lk->eof)
			return (long)(lk->len - lk->pos);
		memmove(lk->buf, lk->buf + lk->pos, lk->len - lk->pos);
		lk->len -= lk->pos;
		lk->pos = 0;
		if (lk->len == sizeof(lk->buf)) {
			snprintf(err, MMSIM_ERR_LEN, "%s:%llu: line too long", lk->path,
				 (unsigned long long)lk->line + 1);
			return -1;
		}
		ssize_t got = read(lk->fd, lk->buf + lk->len, sizeof(lk->buf) - lk->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, MMSIM_ERR_LEN, "%s: %s", lk->path, strerror(errno));
			return -1;
		}
		lk->len += (size_t)got;
		if (got == 0) {
			lk->eof = true;
			if (reap(lk, err) < 0)
				return -1;
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse "KIND ADDR,SIZE" in s[0..n). Returns NULL or what is wrong. */
static const char *parse(const char *s, long n, struct lackey_rec *rec)
{
	if (n < 6 || s[2] != ' ')
		return "not a lackey record";
	if (s[0] == 'I' && s[1] == ' ')
		rec->kind = 'I';
	else if (s[0] == ' ' && (s[1] == 'L' || s[1] == 'S' || s[1] == 'M'))
		rec->kind = s[1];
	else
		return "not a lackey record";
	long i = 3;
	uint64_t a = 0;
	for (; i < n && hexval(s[i]) >= 0; i++) {
		if (i - 3 >= 16)
			return "address longer than 64 bits";
		a = a << 4 | (uint64_t)hexval(s[i]);
	}
	if (i == 3 || i >= n || s[i] != ',')
		return "expected a hex address and ','";
	long j = ++i;
	uint64_t size = 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if (size <= LACKEY_MAX_SIZE)        /* saturates: no overflow */
			size = size * 10 + (uint64_t)(s[i] - '0');
	if (i == j || i != n)
		return "expected a decimal size at the end of the line";
	if (size < 1 || size > LACKEY_MAX_SIZE)
		return "size out of range";
	rec->addr = a;
	rec->size = (uint32_t)size;
	return NULL;
}

int lackey_next(struct lackey *lk, struct lackey_rec *rec, char *err)
{
	for (;;) {
		long n = fill_line(lk, err);
		if (n < 0)
			return -1;
		if (n == 0 && lk->eof && lk->pos == lk->len)
			return 0;
		const char *s = lk->buf + lk->pos;
		lk->pos += (size_t)n + (lk->pos + (size_t)n < lk->len);   /* and the '\n' */
		lk->line++;
		if (n == 0 || (n >= 2 && ((s[0] == '=' && s[1] == '=') ||
					  (s[0] == '-' && s[1] == '-'))))
			continue;
		const char *bad = parse(s, n, rec);
		if (bad) {
			snprintf(err, MMSIM_ERR_LEN, "%s:%llu: %s", lk->path,
				 (unsigned long long)lk->line, bad);
			return -1;
		}
		lk->records++;
		return 1;
	}
}

uint64_t lackey_count(const struct lackey *lk)
{
	return lk->records;
}

void lackey_close(struct lackey *lk)
{
	if (!lk)
		return;
	close(lk->fd);
	if (lk->child) {
		int status;
		kill(lk->child, SIGTERM);
		waitpid(lk->child, &status, 0);
	}
	free(lk);
}
