/* `mmsim gui`: `mmsim run --gui` with the same options, except that a
 * --screenshot ends the run at the shot (--at N) instead of finishing it,
 * and no summary is printed for a run so ended. docs/gui.md. */
#include "src/cli.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int cmd_gui(int argc, char **argv, FILE *out)
{
	char **av = calloc((size_t)argc + 3, sizeof(*av));
	if (!av)
		abort();
	int n = 0;
	av[n++] = "gui";
	av[n++] = "--gui";
	bool shot = false;
	for (int i = 1; i < argc; i++)
		shot |= !strcmp(argv[i], "--screenshot");
	if (shot)
		av[n++] = "--gui-stop-after-shot";
	for (int i = 1; i < argc; i++)
		av[n++] = argv[i];
	int rc = cmd_run(n, av, out);
	free(av);
	return rc;
}
