/* mmsim: the command. Dispatches to the subcommands in src/. */
#include <stdio.h>
#include <string.h>
#include "src/cli.h"
#include "src/plot.h"
#include "src/report.h"

static const char usage[] =
	"usage: mmsim COMMAND [options]\n"
	"commands:\n"
	"  run -c CONFIG TRACE   simulate a trace on a machine (mmsim run --help)\n"
	"  config [-c CONFIG] [-s KEY=VALUE]...\n"
	"                        print the effective config, every key (defaults if no -c)\n"
	"  config --keys         every config key as a table: type, range, default, meaning\n"
	"  convert IN OUT [--from FMT] [--to mmsim|lackey] [--zstd[=LEVEL]]\n"
	"                        convert a recorded trace (lackey, champsim, mmsim) to the\n"
	"                        mmsim binary format or back to lackey text\n"
	"  lackey -c CONFIG TRACE\n"
	"                        replay a valgrind lackey trace through the cache hierarchy\n"
	"                        (identity translation, core 0), cachegrind-style totals\n"
	"  sweep SWEEP.json [-j N] [--out DIR]\n"
	"                        run a sweep's points in parallel, resumably; results.csv\n"
	"                        (mmsim sweep --help; docs/sweeps.md)\n"
	"  report STATS.json [--format text|json|csv]\n"
	"                        tables from a --stats file\n"
	"  plot RESULTS.csv --x AXIS --y METRIC [--group AXIS]\n"
	"                        a PNG and an SVG of a sweep's table through gnuplot\n"
	"                        (mmsim plot --help; docs/sweeps.md)\n"
	"  gui -c CONFIG TRACE [--screenshot PNG --at N]\n"
	"                        watch the run in a window: memory map, free lists, TLBs,\n"
	"                        page tables, counters (docs/gui.md; also run --gui)\n"
	"  version               print the version\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1, stdout);
	if (!strcmp(cmd, "config"))
		return cmd_config(argc - 1, argv + 1, stdout);
	if (!strcmp(cmd, "convert"))
		return cmd_convert(argc - 1, argv + 1, stdout);
	if (!strcmp(cmd, "lackey"))
		return cmd_lackey(argc - 1, argv + 1, stdout);
	if (!strcmp(cmd, "sweep"))
		return cmd_sweep(argc - 1, argv + 1, stdout);
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 1, argv + 1, stdout);
	if (!strcmp(cmd, "plot"))
		return cmd_plot(argc - 1, argv + 1, stdout);
	if (!strcmp(cmd, "gui"))
		return cmd_gui(argc - 1, argv + 1, stdout);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("mmsim %s\n", MMSIM_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	fprintf(stderr, "mmsim: unknown command \"%s\"\n%s", cmd, usage);
	return 2;
}
