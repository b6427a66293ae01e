/* The mmsim command's subcommands, callable in-process by tests. Each takes
 * its own argv (argv[0] = the subcommand) and returns the exit status:
 * 0 success, 1 the run found a problem (a value mismatch, a --check
 * finding), 2 bad input or usage. */
#ifndef MMSIM_CLI_H
#define MMSIM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Is option s one of the n options in list (those that take a value)? */
bool cli_takes_value(const char *s, const char *const *list, size_t n);

int cmd_run(int argc, char **argv, FILE *out);
int cmd_config(int argc, char **argv, FILE *out);
int cmd_lackey(int argc, char **argv, FILE *out);

struct hier;
struct lackey_rec;
/* One lackey record as cachegrind counts it: I a fetch, L a load, S a
 * store, M one load needing ownership; sizes cut to a line. Core 0. */
void lackey_replay(struct hier *h, const struct lackey_rec *r);
int cmd_convert(int argc, char **argv, FILE *out);
int cmd_sweep(int argc, char **argv, FILE *out);
int cmd_report(int argc, char **argv, FILE *out);
/* mmsim gui: mmsim run --gui, ending the run with a --screenshot. */
int cmd_gui(int argc, char **argv, FILE *out);

#endif
