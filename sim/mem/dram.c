/* DRAM channels, banks, open rows and NUMA nodes: see dram.h. */
#include "sim/mem/dram.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/stats.h"


void dram_cfg_defaults(struct dram_cfg *cfg, uint64_t size)
{
	*cfg = (struct dram_cfg){
		.channels = 2, .banks = 16, .line = 64, .row = 8192, .col_low_bits = 0,
		.tcas = 40, .trcd = 40, .trp = 40, .burst = 8,
		.nodes = 1, .node = { { 0, size } },
	};
}

void dram_cfg_numa_even(struct dram_cfg *cfg, uint64_t size, unsigned nodes,
			uint32_t remote)
{
	assert(nodes >= 1 && nodes <= DRAM_MAX_NODES);
	cfg->nodes = nodes;
	for (unsigned i = 0; i < nodes; i++) {
		cfg->node[i].base = size / nodes * i;
		cfg->node[i].size = size / nodes;
		for (unsigned j = 0; j < nodes; j++)
			cfg->remote[i][j] = i == j ? 0 : remote;
	}
	for (unsigned c = 0; c < DRAM_MAX_CORES; c++)
		cfg->core_node[c] = (uint8_t)(c % nodes);
}

#define BAD(...) do { snprintf(err, MMSIM_ERR_LEN, __VA_ARGS__); return -1; } while (0)

static int check_nodes(const struct dram_cfg *cfg, const char *name, char *err)
{
	if (cfg->nodes < 1 || cfg->nodes > DRAM_MAX_NODES)
		BAD("%s.nodes: %u is not in 1..%d", name, cfg->nodes, DRAM_MAX_NODES);
	for (unsigned i = 0; i < cfg->nodes; i++) {
		const struct dram_node_range *a = &cfg->node[i];
		if (cfg->remote[i][i])
			BAD("%s.remote[%u][%u]: a node is not remote to itself", name, i, i);
		for (unsigned j = 0; j < i; j++) {
			const struct dram_node_range *b = &cfg->node[j];
			if (a->base < b->base + b->size && b->base < a->base + a->size)
				BAD("%s.node[%u]: overlaps node %u", name, i, j);
		}
	}
	for (unsigned c = 0; c < DRAM_MAX_CORES; c++)
		if (cfg->core_node[c] >= cfg->nodes)
			BAD("%s.core_node[%u]: node %u does not exist", name, c, cfg->core_node[c]);
	return 0;
}

int dram_cfg_check(const struct dram_cfg *cfg, const char *name, char *err)
{
	if (!is_pow2(cfg->channels) || cfg->channels > 64)
		BAD("%s.channels: %u is not a power of two up to 64", name, cfg->channels);
	if (!is_pow2(cfg->banks) || cfg->banks > 256)
		BAD("%s.banks: %u is not a power of two up to 256", name, cfg->banks);
	if (!is_pow2(cfg->line) || cfg->line < 8)
		BAD("%s.line: %u is not a power of two >= 8", name, cfg->line);
	if (!is_pow2(cfg->row) || cfg->row < cfg->line)
		BAD("%s.row: %u is not a power of two >= the line", name, cfg->row);
	if (cfg->col_low_bits > log2u(cfg->row / cfg->line))
		BAD("%s.col_low_bits: %u is more than a row has (%u)", name,
		    cfg->col_low_bits, log2u(cfg->row / cfg->line));
	return check_nodes(cfg, name, err);
}

struct dram *dram_create(const struct dram_cfg *cfg)
{
	char err[MMSIM_ERR_LEN];
	int bad = dram_cfg_check(cfg, "dram", err);
	assert(!bad && "dram_create: invalid dram_cfg");
	(void)bad;

	struct dram *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->line_shift = log2u(cfg->line);
	d->col_low_bits = cfg->col_low_bits;
	d->col_high_bits = log2u(cfg->row / cfg->line) - cfg->col_low_bits;
	d->chan_bits = log2u(cfg->channels);
	d->bank_bits = log2u(cfg->banks);
	d->tcas = cfg->tcas;
	d->trcd = cfg->trcd;
	d->trp = cfg->trp;
	d->burst = cfg->burst;
	d->controller = cfg->controller;
	d->nodes = cfg->nodes;
	d->channels = cfg->channels;
	d->banks = cfg->banks;
	for (unsigned i = 0; i < DRAM_MAX_NODES; i++) {
		d->node[i] = cfg->node[i];
		for (unsigned j = 0; j < DRAM_MAX_NODES; j++)
			d->remote[i][j] = cfg->remote[i][j];
	}
	for (unsigned c = 0; c < DRAM_MAX_CORES; c++)
		d->core_node[c] = cfg->core_node[c];

	size_t nch = (size_t)d->nodes * d->channels;
	d->chan = calloc(nch, sizeof(*d->chan));
	if (!d->chan) {
		dram_destroy(d);
		return NULL;
	}
	for (size_t i = 0; i < nch; i++) {
		d->chan[i].open_row = malloc(d->banks * sizeof(uint64_t));
		if (!d->chan[i].open_row) {
			dram_destroy(d);
			return NULL;
		}
		for (unsigned b = 0; b < d->banks; b++)
			d->chan[i].open_row[b] = DRAM_ROW_CLOSED;
	}
	return d;
}

void dram_destroy(struct dram *d)
{
	if (!d)
		return;
	if (d->chan)
		for (size_t i = 0; i < (size_t)d->nodes * d->channels; i++)
			free(d->chan[i].open_row);
	free(d->chan);
	free(d);
}

void dram_stats(struct dram *d, struct stats *st)
{
	stats_add(st, &d->reads, "dram.read");
	stats_add(st, &d->writes, "dram.write");
	stats_add(st, &d->row_hits, "dram.row_hit");
	stats_add(st, &d->row_misses, "dram.row_miss");
	stats_add(st, &d->row_conflicts, "dram.row_conflict");
	stats_add(st, &d->queue_cycles, "dram.queue_cycles");
	stats_add(st, &d->remote_accesses, "dram.remote");
	for (unsigned n = 0; n < d->nodes; n++) {
		stats_add(st, &d->bytes_read[n], "dram.node%u.bytes_read", n);
		stats_add(st, &d->bytes_written[n], "dram.node%u.bytes_written", n);
	}
}

/* pa's node, and pa's offset in it (pa itself outside every range). */
static inline unsigned node_of(const struct dram *d, paddr_t pa, uint64_t *off)
{
	if (d->nodes == 1 && pa - d->node[0].base < d->node[0].size) {
		*off = pa - d->node[0].base;      /* the usual case, without the loop */
		return 0;
	}
	for (unsigned n = 0; n < d->nodes; n++) {
		if (pa - d->node[n].base < d->node[n].size) {
			*off = pa - d->node[n].base;
			return n;
		}
	}
	*off = pa;
	return 0;
}

static inline uint64_t take_bits(uint64_t *x, unsigned bits)
{
	uint64_t v = *x & ((1ull << bits) - 1);
	*x >>= bits;
	return v;
}

/* Worked example, defaults (64 B lines, 2 channels, 16 banks, 8 KiB rows =
 * 128 lines): pa 0x12345 is line 0x48d = 0b100_1000_110_1; channel = bit 0
 * = 1, bank = next 4 bits = 0b0110 = 6, column = next 7 bits = 0b100100 =
 * 36, row = what is left = 0. dram_locate() is dram_map() inlined into
 * dram_access() (it runs for every memory read and write). */
static inline __attribute__((always_inline))
void dram_locate(const struct dram *d, paddr_t pa, struct dram_loc *l)
{
	uint64_t x;
	l->node = node_of(d, pa, &x);
	x >>= d->line_shift;
	take_bits(&x, d->col_low_bits);
	l->channel = (unsigned)take_bits(&x, d->chan_bits);
	l->bank = (unsigned)take_bits(&x, d->bank_bits);
	take_bits(&x, d->col_high_bits);
	l->row = x;
}

struct dram_loc dram_map(const struct dram *d, paddr_t pa)
{
	struct dram_loc l;
	dram_locate(d, pa, &l);
	return l;
}

/* The bank's latency for row, opening it. */
static inline uint32_t bank_open(struct dram *d, uint64_t *open_row, uint64_t row)
{
	if (*open_row == row) {
		d->row_hits++;
		return d->tcas;
	}
	uint32_t lat = d->trcd + d->tcas;
	if (*open_row == DRAM_ROW_CLOSED) {
		d->row_misses++;
	} else {
		d->row_conflicts++;
		lat += d->trp;
	}
	*open_row = row;
	return lat;
}

cycles_t dram_access(struct dram *d, unsigned core, paddr_t pa, bool write, cycles_t now)
{
	assert(core < DRAM_MAX_CORES);
	struct dram_loc l;
	dram_locate(d, pa, &l);
	struct dram_chan *ch = &d->chan[l.node * d->channels + l.channel];
	cycles_t start = ch->busy_until > now ? ch->busy_until : now;
	cycles_t queue = start - now;
	ch->busy_until = start + d->burst;
	d->queue_cycles += queue;

	uint32_t remote = d->remote[d->core_node[core]][l.node];
	d->remote_accesses += d->core_node[core] != l.node;
	uint64_t bytes = 1ull << d->line_shift;
	if (write) {
		d->writes++;
		d->bytes_written[l.node] += bytes;
	} else {
		d->reads++;
		d->bytes_read[l.node] += bytes;
	}
	return d->controller + queue + bank_open(d, &ch->open_row[l.bank], l.row) + remote;
}
