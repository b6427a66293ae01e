/* Helpers the subcommands' argument parsers share (cli.h). */
#include "src/cli.h"

#include <string.h>

bool cli_takes_value(const char *s, const char *const *list, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!strcmp(s, list[k]))
			return true;
	return false;
}
