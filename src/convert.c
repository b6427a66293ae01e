/* `mmsim convert`: convert a recorded trace (lackey, ChampSim or mmsim) to
 * the mmsim binary format, or an mmsim trace back to lackey text, through
 * lib/rtrace.h's reader and writer; docs/recorded-traces.md has examples.
 * The output is written to a temporary file and renamed into place at the
 * end, so bad input leaves nothing behind: one message naming the input
 * file and the record (or line), exit status 2. */
#include "src/cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "lib/rtrace.h"
#include "src/cli.h"
#include "src/report.h"

static const char usage[] =
	"usage: mmsim convert IN OUT [--from lackey|champsim|mmsim] [--to mmsim|lackey]\n"
	"                     [--zstd[=LEVEL]] [--meta TEXT]\n"
	"  IN, OUT   files (\"-\" for standard input / output); IN may be compressed:\n"
	"            .xz (any format), .gz or .zst (ChampSim, mmsim)\n"
	"  --from    the input format (default: detected)\n"
	"  --to      the output format (default: lackey if OUT ends in .lackey, else mmsim)\n"
	"  --zstd    compress the mmsim record stream with zstd (level 1..19, default 3)\n"
	"  --meta    a line of text to add to the mmsim header's metadata\n";

struct convert_opts {
	const char *in, *out, *meta;
	enum rtrace_format from, to;
	unsigned flags;
	int zlevel;
};

/* 0, or 2 after printing the usage (with what was wrong). */
static int parse_args(int argc, char **argv, struct convert_opts *o)
{
	const char *to = NULL;
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		if (!strcmp(a, "--from") && more) {
			if (rtrace_format_parse(argv[++i], &o->from) < 0)
				goto bad;
		} else if (!strcmp(a, "--to") && more) {
			to = argv[++i];
		} else if (!strcmp(a, "--zstd")) {
			o->flags |= RTW_ZSTD;
		} else if (!strncmp(a, "--zstd=", 7)) {
			char *end;
			long lvl = strtol(a + 7, &end, 10);
			if (*end || end == a + 7 || lvl < 1 || lvl > 19)
				goto bad;
			o->flags |= RTW_ZSTD;
			o->zlevel = (int)lvl;
		} else if (!strcmp(a, "--meta") && more) {
			o->meta = argv[++i];
		} else if ((a[0] != '-' || !strcmp(a, "-")) && !o->in) {
			o->in = a;
		} else if ((a[0] != '-' || !strcmp(a, "-")) && !o->out) {
			o->out = a;
		} else {
			goto bad;
		}
		continue;
bad:
		fprintf(stderr, "mmsim convert: bad argument \"%s\"\n%s", a, usage);
		return 2;
	}
	if (!o->in || !o->out) {
		fputs(usage, stderr);
		return 2;
	}
	size_t n = strlen(o->out);
	o->to = n > 7 && !strcmp(o->out + n - 7, ".lackey") ? RT_LACKEY : RT_MMSIM;
	if (to && (rtrace_format_parse(to, &o->to) < 0 ||
		   (o->to != RT_MMSIM && o->to != RT_LACKEY))) {
		fprintf(stderr, "mmsim convert: --to %s: mmsim or lackey\n%s", to, usage);
		return 2;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* "PATH (FORMAT, N bytes)", or without the size for standard input/output. */
static const char *describe(const char *path, const char *fmt, const char *extra,
			    char *buf, size_t n)
{
	struct stat st;
	if (strcmp(path, "-") && stat(path, &st) == 0)
		snprintf(buf, n, "%s (%s%s, %lld bytes)", path, fmt, extra, (long long)st.st_size);
	else
		snprintf(buf, n, "%s (%s%s)", path, fmt, extra);
	return buf;
}

int cmd_convert(int argc, char **argv, FILE *out)
{
	struct convert_opts o;
	char err[MMSIM_ERR_LEN], meta[RT_META_MAX + 1];
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	if (!strcmp(o.out, "-"))
		out = stderr;           /* the trace goes to stdout */

	struct rtrace *t = rtrace_open(o.in, o.from, err);
	if (!t)
		goto fail;
	/* Deterministic metadata: the same input gives the same bytes. */
	const char *base = strrchr(o.in, '/') ? strrchr(o.in, '/') + 1 : o.in;
	snprintf(meta, sizeof(meta), "source: %s\nsource-format: %s\nconverter: mmsim %s\n%s%s",
		 base, rtrace_format_name(rtrace_format(t)), MMSIM_VERSION,
		 o.meta ? o.meta : "", o.meta ? "\n" : "");
	struct rtrace_writer *w = rtrace_writer_open(o.out, o.to, o.flags, o.zlevel, meta, err);
	if (!w) {
		rtrace_close(t);
		goto fail;
	}

	struct rtrace_rec recs[1024];
	double t0 = now();
	long got;
	while ((got = rtrace_read(t, recs, ARRAY_SIZE(recs), err)) > 0)
		for (long i = 0; i < got; i++)
			if (rtrace_write(w, &recs[i], err) < 0) {
				got = -1;
				goto done;
			}
done:
	if (got < 0) {
		rtrace_writer_abort(w);
		rtrace_close(t);
		goto fail;
	}
	uint64_t n = rtrace_count(t), dropped = rtrace_writer_dropped(w);
	if (rtrace_writer_close(w, err) < 0) {
		rtrace_close(t);
		goto fail;
	}
	double secs = now() - t0;
	char din[600], dout[600];
	fprintf(out, "%s -> %s: %llu records in %.3f s, %.2f M records/s\n",
		describe(o.in, rtrace_format_name(rtrace_format(t)), "", din, sizeof(din)),
		describe(o.out, rtrace_format_name(o.to), o.flags & RTW_ZSTD ? "+zstd" : "",
			 dout, sizeof(dout)),
		(unsigned long long)n, secs, secs > 0 ? (double)n / secs / 1e6 : 0.0);
	if (dropped)
		fprintf(out, "note: %llu compute records dropped (lackey text has none)\n",
			(unsigned long long)dropped);
	rtrace_close(t);
	return 0;
fail:
	fprintf(stderr, "mmsim: %s\n", err);
	return 2;
}
