/* Tree pseudo-LRU: ways - 1 bits per set (ways a power of two), nodes
 * numbered heap-style from 1 (children of n: 2n, 2n+1; leaf of way w:
 * ways + w). A node's bit says on which side the victim search goes: 0 left,
 * 1 right. Using way w points every node on w's path away from w.
 *
 * Worked example, 4 ways (nodes 1, 2, 3): touch way 1 (binary 01): at node
 * 1 w goes left, so bit1 = 1; at node 2 it goes right, so bit2 = 0. The next
 * victim walk goes right at node 1, then follows bit3. */
#include "sim/cache/internal.h"

static void plru_touch(struct cache *c, uint32_t idx)
{
	uint32_t set = idx >> c->way_shift, way = idx & (c->ways - 1);
	uint64_t bits = c->set_meta[set];
	uint32_t node = 1;
	for (int lvl = (int)c->way_shift - 1; lvl >= 0; lvl--) {
		uint32_t dir = (way >> lvl) & 1;
		if (dir)
			bits &= ~(1ull << node);   /* w went right: victim left */
		else
			bits |= 1ull << node;      /* w went left: victim right */
		node = 2 * node + dir;
	}
	c->set_meta[set] = bits;
}

static uint32_t plru_victim(struct cache *c, uint32_t set)
{
	uint64_t bits = c->set_meta[set];
	uint32_t node = 1;
	for (unsigned lvl = 0; lvl < c->way_shift; lvl++)
		node = 2 * node + ((bits >> node) & 1);
	return node - c->ways;
}

const struct repl_ops cache_repl_plru = {
	.name = "plru", .kind = CACHE_REPL_PLRU,
	.touch = plru_touch, .fill = plru_touch, .victim = plru_victim,
};
