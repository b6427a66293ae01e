/* The replacement policies by name (config "repl" keys). */
#include <string.h>
#include "sim/cache/internal.h"

static const struct repl_ops *const policies[] = {
	&cache_repl_lru, &cache_repl_plru, &cache_repl_random, &cache_repl_srrip, &cache_repl_brrip,
};

const struct repl_ops *cache_repl_find(const char *name)
{
	if (!name)
		return &cache_repl_lru;
	for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
		if (strcmp(policies[i]->name, name) == 0)
			return policies[i];
	return NULL;
}
