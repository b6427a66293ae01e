/* The snoop filter's table: creation, backward-shift deletion, validation.
 * Lookups and insertions are inline in snoop_filter.h. */
#include "sim/cache/snoop_filter.h"

#include <stdio.h>
#include <stdlib.h>

int sf_init(struct snoop_filter *sf, uint64_t lines)
{
	unsigned bits = 4;
	while ((1ull << bits) < 2 * lines)      /* load factor <= 0.5 */
		bits++;
	*sf = (struct snoop_filter){ .mask = (1ull << bits) - 1, .shift = 64 - bits };
	sf->slot = calloc(sf->mask + 1, sizeof(*sf->slot));
	return sf->slot ? 0 : -1;
}

void sf_fini(struct snoop_filter *sf)
{
	free(sf->slot);
	sf->slot = NULL;
}

/* Knuth's Algorithm R for linear probing: walk the run after the hole; an
 * entry whose home is not cyclically in (hole, j] could no longer be found
 * past the hole, so it moves into it and its old place becomes the hole.
 *
 * Worked example, 8 slots: A (home 2) at 2, B (home 2) at 3, C (home 4) at
 * 4, empty 5. Deleting A: B's home 2 is not in (2, 3], so B moves to 2; C's
 * home 4 is in (3, 4], so C stays; slot 5 is empty: slot 3 is cleared. */
void sf_delete(struct snoop_filter *sf, struct sf_slot *s)
{
	uint64_t hole = (uint64_t)(s - sf->slot), j = hole;
	for (;;) {
		j = (j + 1) & sf->mask;
		struct sf_slot *n = &sf->slot[j];
		if (n->key == 0)
			break;
		uint64_t home = sf_home(sf, n->key - 1);
		bool stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
		if (stays)
			continue;
		sf->slot[hole] = *n;
		hole = j;
	}
	sf->slot[hole] = (struct sf_slot){ 0, 0 };
	sf->used--;
}

int sf_validate(const struct snoop_filter *sf, unsigned ncores, char *err)
{
	uint64_t used = 0;
	uint64_t all = ncores >= 64 ? ~0ull : (1ull << ncores) - 1;
	for (uint64_t i = 0; i <= sf->mask; i++) {
		const struct sf_slot *s = &sf->slot[i];
		if (s->key == 0) {
			if (s->cores) {
				snprintf(err, MMSIM_ERR_LEN, "snoop filter: empty slot %llu has "
					 "cores %#llx", (unsigned long long)i,
					 (unsigned long long)s->cores);
				return -1;
			}
			continue;
		}
		used++;
		if (!s->cores || (s->cores & ~all)) {
			snprintf(err, MMSIM_ERR_LEN, "snoop filter: block %#llx has cores %#llx",
				 (unsigned long long)(s->key - 1), (unsigned long long)s->cores);
			return -1;
		}
		if (sf_find(sf, s->key - 1) != s) {
			snprintf(err, MMSIM_ERR_LEN, "snoop filter: block %#llx in slot %llu is "
				 "not found from its home %llu", (unsigned long long)(s->key - 1),
				 (unsigned long long)i,
				 (unsigned long long)sf_home(sf, s->key - 1));
			return -1;
		}
	}
	if (used != sf->used) {
		snprintf(err, MMSIM_ERR_LEN, "snoop filter: %llu slots used, counted %llu",
			 (unsigned long long)used, (unsigned long long)sf->used);
		return -1;
	}
	return 0;
}
