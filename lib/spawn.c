/* A decompressor child feeding a pipe: see spawn.h. */
#include "lib/spawn.h"

#include <fcntl.h>
#include <unistd.h>

int spawn_decompressor(const char *cmd, const char *path, pid_t *child)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(p[1], STDOUT_FILENO);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		execlp(cmd, cmd, "-dc", "--", path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	*child = pid;
	return p[0];
}
