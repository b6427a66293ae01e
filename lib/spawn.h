/* Reading compressed inputs through a decompressor process (xz, gzip, zstd):
 * one helper for every reader that streams them. */
#ifndef MMSIM_SPAWN_H
#define MMSIM_SPAWN_H

#include <sys/types.h>

/* Start `cmd -dc -- path` with its output on a pipe and its stderr on
 * /dev/null (the reader reports failures itself). Returns the pipe's read
 * end and the child in *child, or -1. */
int spawn_decompressor(const char *cmd, const char *path, pid_t *child);

#endif
