/* libFuzzer target for the config reader (lib/config.c): cfg_load() on the
 * input as a file and, unless it starts with '{', cfg_set() on each of its
 * first lines as a -s override.
 *
 * Build and run: `make fuzz` (tests/fuzz/fuzz.mk, docs/fuzzing.md).
 *
 * The parser is file-path based, so the input is written to a memfd and
 * loaded through /proc/self/fd/N. Beyond "no crash, no leak, no UB" (ASan,
 * UBSan, LeakSanitizer) the target checks the bad-input contract of
 * STYLE.md tier 1:
 *   - cfg_load, cfg_set and cfg_check return 0 or -1;
 *   - on -1 the message is non-empty, one line, NUL-terminated inside
 *     MMSIM_ERR_LEN, and starts with "WHERE: " (the path, or "-s");
 *   - a config that loads and checks round-trips: cfg_to_json(), loaded
 *     again over the defaults, gives the same cfg_to_json() text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/config.h"

#define MAX_SETS 8       /* -s lines tried per input */
#define MAX_SET_LEN 256  /* longer lines are cut */

/* One memfd per process, rewritten for each input. */
struct memfile {
	int fd;
	char path[64];
};

static void memfile_open(struct memfile *mf, const char *name)
{
	mf->fd = memfd_create(name, 0);
	if (mf->fd < 0) {
		perror("fuzz_config: memfd_create");
		abort();
	}
	snprintf(mf->path, sizeof(mf->path), "/proc/self/fd/%d", mf->fd);
}

static void memfile_write(const struct memfile *mf, const void *data, size_t size)
{
	if (ftruncate(mf->fd, 0) != 0 ||
	    (size && pwrite(mf->fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz_config: writing the memfd");
		abort();
	}
}

/* The error contract: rc is 0 or -1; on -1, err is "WHERE: ...", one line. */
static void check_result(int rc, const char *err, const char *where, const char *what)
{
	if (rc != 0 && rc != -1) {
		fprintf(stderr, "%s returned %d\n", what, rc);
		abort();
	}
	if (rc == 0)
		return;
	const char *nul = memchr(err, '\0', MMSIM_ERR_LEN);
	size_t wlen = strlen(where);
	if (!nul || nul == err) {
		fprintf(stderr, "%s: -1 with an empty or unterminated message\n", what);
		abort();
	}
	if (strchr(err, '\n')) {
		fprintf(stderr, "%s: message is not one line: \"%s\"\n", what, err);
		abort();
	}
	if (strncmp(err, where, wlen) != 0 || (err[wlen] != ':')) {
		fprintf(stderr, "%s: message does not start with \"%s:\": \"%s\"\n",
			what, where, err);
		abort();
	}
}

/* Dump, reload the dump over the defaults, dump again: same text. */
static void check_round_trip(const struct mmsim_cfg *cfg, const struct memfile *mf2)
{
	char *text = cfg_to_json(cfg);
	if (!text) {
		fprintf(stderr, "cfg_to_json returned NULL\n");
		abort();
	}
	memfile_write(mf2, text, strlen(text));
	struct mmsim_cfg again;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&again);
	if (cfg_load(&again, mf2->path, err) != 0) {
		fprintf(stderr, "cfg_to_json output does not load: %s\n%s\n", err, text);
		abort();
	}
	char *text2 = cfg_to_json(&again);
	if (!text2 || strcmp(text, text2) != 0) {
		fprintf(stderr, "round trip differs:\n%s\n---\n%s\n", text, text2 ? text2 : "(null)");
		abort();
	}
	free(text2);
	free(text);
}

/* Each of the first MAX_SETS lines of the input as one -s assignment. */
static void fuzz_sets(const uint8_t *data, size_t size, const struct memfile *mf2)
{
	struct mmsim_cfg cfg;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&cfg);
	size_t pos = 0;
	for (int n = 0; n < MAX_SETS && pos < size; n++) {
		char line[MAX_SET_LEN + 1];
		size_t len = 0;
		while (pos < size && data[pos] != '\n') {
			if (len < MAX_SET_LEN)
				line[len++] = (char)data[pos];
			pos++;
		}
		pos++;                           /* the '\n' */
		line[len] = '\0';                /* a NUL inside cuts the line, as argv would */
		memset(err, 0xff, sizeof(err));
		int rc = cfg_set(&cfg, line, "-s", err);
		check_result(rc, err, "-s", "cfg_set");
	}
	memset(err, 0xff, sizeof(err));
	int rc = cfg_check(&cfg, "-s", err);
	check_result(rc, err, "-s", "cfg_check after -s");
	if (rc == 0)
		check_round_trip(&cfg, mf2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct memfile mf = { -1, "" }, mf2 = { -1, "" };
	if (mf.fd < 0) {
		memfile_open(&mf, "fuzz-config");
		memfile_open(&mf2, "fuzz-config-dump");
	}
	memfile_write(&mf, data, size);

	struct mmsim_cfg cfg;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&cfg);
	memset(err, 0xff, sizeof(err));
	int rc = cfg_load(&cfg, mf.path, err);
	check_result(rc, err, mf.path, "cfg_load");
	if (rc == 0) {
		memset(err, 0xff, sizeof(err));
		rc = cfg_check(&cfg, mf.path, err);
		check_result(rc, err, mf.path, "cfg_check");
		/* cfg_to_json must work on any loaded config, checked or not */
		free(cfg_to_json(&cfg));
		if (rc == 0)
			check_round_trip(&cfg, &mf2);
	}

	/* A JSON text is not also tried as -s lines: the "did you mean" search
	 * of every unknown line would cost more than the load. */
	if (size == 0 || data[0] != '{')
		fuzz_sets(data, size, &mf2);
	return 0;
}
