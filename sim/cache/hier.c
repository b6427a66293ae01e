/* The cache hierarchy: configuration, creation, counters, validation.
 * The access path is hier_access.c, coherence and DMA are coherence.c. */
#include "sim/cache/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/stats.h"

static const char *const incl_name[] = {
	[INCL_NONINCLUSIVE] = "non-inclusive",
	[INCL_INCLUSIVE] = "inclusive",
	[INCL_EXCLUSIVE] = "exclusive",
};

int hier_incl_find(const char *name, enum hier_incl *incl)
{
	if (!name) {
		*incl = INCL_NONINCLUSIVE;
		return 0;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(incl_name); i++) {
		if (strcmp(incl_name[i], name) == 0) {
			*incl = (enum hier_incl)i;
			return 0;
		}
	}
	return -1;
}

int hier_cfg_check(const struct hier_cfg *cfg, unsigned ncores, char *err)
{
	enum hier_incl incl;
	if (ncores < 1 || ncores > 64) {
		snprintf(err, MMSIM_ERR_LEN, "cores: %u is not in 1..64", ncores);
		return -1;
	}
	if (hier_incl_find(cfg->inclusion, &incl) < 0) {
		snprintf(err, MMSIM_ERR_LEN, "cache.inclusion: unknown policy \"%s\" "
			 "(non-inclusive, inclusive, exclusive)", cfg->inclusion);
		return -1;
	}
	const struct { const struct cache_cfg *c; const char *name; } lv[] = {
		{ &cfg->l1i, "cache.l1i" }, { &cfg->l1d, "cache.l1d" },
		{ &cfg->l2, "cache.l2" }, { &cfg->llc, "cache.llc" },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(lv); i++) {
		if (i >= 2 && lv[i].c->size == 0)
			continue;           /* an absent L2 or LLC */
		if (cache_cfg_check(lv[i].c, lv[i].name, err) < 0)
			return -1;
		if (lv[i].c->line != cfg->l1d.line) {
			snprintf(err, MMSIM_ERR_LEN, "%s.line: %u differs from cache.l1d.line "
				 "(%u): one line size for the hierarchy", lv[i].name,
				 lv[i].c->line, cfg->l1d.line);
			return -1;
		}
	}
	if (incl == INCL_INCLUSIVE && cfg->llc.size == 0) {
		snprintf(err, MMSIM_ERR_LEN, "cache.inclusion: inclusive needs an LLC");
		return -1;
	}
	return 0;
}

static uint64_t lines_of(const struct cache *c)
{
	return c ? (uint64_t)c->sets * c->ways : 0;
}

static uint64_t private_lines(const struct hier_core *hc)
{
	return lines_of(hc->l1i) + lines_of(hc->l1d) + lines_of(hc->l2);
}

static struct cache *level(const struct cache_cfg *cfg, bool *oom)
{
	if (cfg->size == 0)
		return NULL;
	struct cache *c = cache_create(cfg);
	*oom |= c == NULL;
	return c;
}

struct hier *hier_create(const struct hier_cfg *cfg, unsigned ncores, struct dram *dram)
{
	char err[MMSIM_ERR_LEN];
	int bad = hier_cfg_check(cfg, ncores, err);
	assert(!bad && "hier_create: invalid hier_cfg");
	(void)bad;

	struct hier *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->core = calloc(ncores, sizeof(*h->core));
	if (!h->core) {
		free(h);
		return NULL;
	}
	h->ncores = ncores;
	hier_incl_find(cfg->inclusion, &h->incl);
	h->c2c_latency = cfg->c2c_latency;
	h->inval_latency = cfg->inval_latency;
	h->mem_latency = cfg->mem_latency;
	h->dram = dram;
	bool oom = false;
	for (unsigned i = 0; i < ncores; i++) {
		struct hier_core *hc = &h->core[i];
		struct cache_cfg l1i = cfg->l1i, l1d = cfg->l1d, l2 = cfg->l2;
		l1i.seed += 3 * i;      /* distinct random streams per cache */
		l1d.seed += 3 * i + 1;
		l2.seed += 3 * i + 2;
		hc->l1i = level(&l1i, &oom);
		hc->l1d = level(&l1d, &oom);
		hc->l2 = level(&l2, &oom);
	}
	h->llc = level(&cfg->llc, &oom);
	uint64_t lines = 0;                     /* private lines in the machine */
	if (!oom)
		for (unsigned i = 0; i < ncores; i++)
			lines += private_lines(&h->core[i]);
	if (oom || sf_init(&h->sf, lines) < 0) {
		hier_destroy(h);
		return NULL;
	}
	h->line_shift = h->core[0].l1d->line_shift;
	return h;
}

void hier_destroy(struct hier *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < h->ncores; i++) {
		cache_destroy(h->core[i].l1i);
		cache_destroy(h->core[i].l1d);
		cache_destroy(h->core[i].l2);
	}
	cache_destroy(h->llc);
	sf_fini(&h->sf);
	free(h->core);
	free(h);
}

void hier_stats(struct hier *h, struct stats *st)
{
	char name[32];
	for (unsigned i = 0; i < h->ncores; i++) {
		struct hier_core *hc = &h->core[i];
		snprintf(name, sizeof(name), "core%u.l1i", i);
		cache_stats(hc->l1i, st, name);
		snprintf(name, sizeof(name), "core%u.l1d", i);
		cache_stats(hc->l1d, st, name);
		if (hc->l2) {
			snprintf(name, sizeof(name), "core%u.l2", i);
			cache_stats(hc->l2, st, name);
		}
		stats_add(st, &hc->inval_sent, "core%u.coherence.inval_sent", i);
		stats_add(st, &hc->c2c, "core%u.coherence.c2c", i);
		stats_add(st, &hc->upgrades, "core%u.coherence.upgrade", i);
	}
	if (h->llc)
		cache_stats(h->llc, st, "llc");
	stats_add(st, &h->back_inval, "cache.back_inval");
	stats_add(st, &h->mem_reads, "cache.mem_read");
	stats_add(st, &h->mem_writes, "cache.mem_write");
	stats_add(st, &h->line_writes, "cache.line_write");
	stats_add(st, &h->dma_reads, "cache.dma_read");
	stats_add(st, &h->dma_writes, "cache.dma_write");
	stats_add(st, &h->sf.lookups, "cache.snoop_filter.lookups");
	stats_add(st, &h->sf.hits, "cache.snoop_filter.hits");
}

/* The caches of core, L1I, L1D, L2 (NULL when absent). */
static void private_caches(const struct hier *h, unsigned core, struct cache *c[3])
{
	c[0] = h->core[core].l1i;
	c[1] = h->core[core].l1d;
	c[2] = h->core[core].l2;
}

enum mesi hier_state(const struct hier *h, unsigned core, paddr_t pa)
{
	struct cache *c[3];
	uint64_t b = pa >> h->line_shift;
	uint8_t st = MESI_I;
	private_caches(h, core, c);
	for (int i = 0; i < 3; i++) {
		uint32_t idx = c[i] ? cache_find(c[i], b) : CACHE_NONE;
		if (idx != CACHE_NONE && c[i]->state[idx] > st)
			st = c[i]->state[idx];
	}
	return (enum mesi)st;
}

/* Check one valid private line of core against the rest of the machine. */
static int check_line(const struct hier *h, unsigned core, uint64_t b, uint8_t st, char *err)
{
	for (unsigned o = 0; o < h->ncores; o++) {
		enum mesi other = o == core ? MESI_I : hier_state(h, o, b << h->line_shift);
		if (other != MESI_I && (st >= MESI_E || other >= MESI_E)) {
			snprintf(err, MMSIM_ERR_LEN, "block %#llx: core %u has MESI %d and core "
				 "%u has %d", (unsigned long long)b, core, st, o, other);
			return -1;
		}
	}
	if (!(sf_cores(&h->sf, b) >> core & 1)) {
		snprintf(err, MMSIM_ERR_LEN, "block %#llx: in core %u but not in the snoop "
			 "filter (cores %#llx)", (unsigned long long)b, core,
			 (unsigned long long)sf_cores(&h->sf, b));
		return -1;
	}
	if (h->incl == INCL_INCLUSIVE && cache_find(h->llc, b) == CACHE_NONE) {
		snprintf(err, MMSIM_ERR_LEN, "block %#llx: in core %u but not in the "
			 "inclusive LLC", (unsigned long long)b, core);
		return -1;
	}
	return 0;
}

/* Line i of c (named who) on its own: I iff no block, dirty only if
 * valid, the partial tag of its block, in the block's set and only once
 * there. */
static int check_slot(const struct cache *c, const char *who, size_t i, char *err)
{
	if ((c->block[i] == CACHE_NO_BLOCK) != (c->state[i] == MESI_I) ||
	    (c->state[i] == MESI_I && c->dirty[i])) {
		snprintf(err, MMSIM_ERR_LEN, "%s: line %zu: block %#llx with state %u dirty %u",
			 who, i, (unsigned long long)c->block[i], c->state[i], c->dirty[i]);
		return -1;
	}
	uint8_t tag = c->block[i] == CACHE_NO_BLOCK ? 0 : cache_tag(c->block[i]);
	if (c->tag[i] != tag) {
		snprintf(err, MMSIM_ERR_LEN, "%s: line %zu: block %#llx with tag %#x, not "
			 "%#x", who, i, (unsigned long long)c->block[i], c->tag[i], tag);
		return -1;
	}
	if (c->block[i] != CACHE_NO_BLOCK && cache_find(c, c->block[i]) != i) {
		snprintf(err, MMSIM_ERR_LEN, "%s: line %zu: block %#llx is in the wrong set "
			 "or twice in its set", who, i, (unsigned long long)c->block[i]);
		return -1;
	}
	return 0;
}

/* A private cache of core (c) or the LLC (core == ncores). */
static int check_cache(const struct hier *h, unsigned core, const struct cache *c, char *err)
{
	char who[16];
	if (core < h->ncores)
		snprintf(who, sizeof(who), "core %u", core);
	else
		snprintf(who, sizeof(who), "llc");
	for (size_t i = 0; i < (size_t)c->sets * c->ways; i++) {
		if (check_slot(c, who, i, err) < 0)
			return -1;
		if (core < h->ncores && c->block[i] != CACHE_NO_BLOCK &&
		    check_line(h, core, c->block[i], c->state[i], err) < 0)
			return -1;
	}
	return 0;
}

/* The snoop filter's other direction: every core it names for a line
 * holds the line. (check_line did this one: every private line is there.) */
static int check_filter(const struct hier *h, char *err)
{
	if (sf_validate(&h->sf, h->ncores, err) < 0)
		return -1;
	for (uint64_t i = 0; i <= h->sf.mask; i++) {
		const struct sf_slot *s = &h->sf.slot[i];
		for (uint64_t m = s->key ? s->cores : 0; m; m &= m - 1) {
			unsigned core = (unsigned)__builtin_ctzll(m);
			if (hier_state(h, core, (s->key - 1) << h->line_shift) == MESI_I) {
				snprintf(err, MMSIM_ERR_LEN, "block %#llx: the snoop filter has "
					 "core %u (cores %#llx), which holds no copy",
					 (unsigned long long)(s->key - 1), core,
					 (unsigned long long)s->cores);
				return -1;
			}
		}
	}
	return 0;
}

int hier_validate(const struct hier *h, char *err)
{
	for (unsigned i = 0; i < h->ncores; i++) {
		struct cache *c[3];
		private_caches(h, i, c);
		for (int j = 0; j < 3; j++)
			if (c[j] && check_cache(h, i, c[j], err) < 0)
				return -1;
	}
	if (h->llc && check_cache(h, h->ncores, h->llc, err) < 0)
		return -1;
	return check_filter(h, err);
}
