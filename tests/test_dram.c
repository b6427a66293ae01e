/* Tests of sim/mem/dram.c: exact row hit / miss / conflict latencies, the
 * address mapping (channels, banks, rows, col_low_bits), channel queueing,
 * NUMA remote latency and per-node bytes, and configuration errors. */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/stats.h"
#include "sim/mem/dram.h"

#define TCAS 10
#define TRCD 20
#define TRP 30
#define BURST 8

/* 2 channels x 4 banks, 64-byte lines, 1 KiB rows (16 lines). */
static struct dram *mk(unsigned nodes, uint32_t remote, uint32_t col_low)
{
	struct dram_cfg cfg;
	dram_cfg_defaults(&cfg, 1ull << 30);
	cfg.channels = 2, cfg.banks = 4, cfg.row = 1024, cfg.col_low_bits = col_low;
	cfg.tcas = TCAS, cfg.trcd = TRCD, cfg.trp = TRP, cfg.burst = BURST;
	if (nodes > 1)
		dram_cfg_numa_even(&cfg, 1ull << 30, nodes, remote);
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(dram_cfg_check(&cfg, "memory.dram", err), 0, "%s", err);
	struct dram *d = dram_create(&cfg);
	cr_assert_not_null(d);
	return d;
}

/* Line-interleaved: line n -> channel n%2, bank (n/2)%4, column (n/8)%16,
 * row n/128. */
Test(dram, mapping)
{
	struct dram *d = mk(1, 0, 0);
	for (uint64_t n = 0; n < 1024; n++) {
		struct dram_loc l = dram_map(d, n * 64 + 5);
		cr_assert_eq(l.channel, n % 2);
		cr_assert_eq(l.bank, (n / 2) % 4);
		cr_assert_eq(l.row, n / 128);
		cr_assert_eq(l.node, 0);
	}
	dram_destroy(d);

	/* col_low_bits = 4 (a whole 1 KiB row per bank first): line n ->
	 * channel (n/16)%2, bank (n/32)%4, row n/128 */
	d = mk(1, 0, 4);
	for (uint64_t n = 0; n < 1024; n++) {
		struct dram_loc l = dram_map(d, n * 64);
		cr_assert_eq(l.channel, (n / 16) % 2);
		cr_assert_eq(l.bank, (n / 32) % 4);
		cr_assert_eq(l.row, n / 128);
	}
	dram_destroy(d);

	/* the worked example of dram.c, with the defaults */
	struct dram_cfg cfg;
	dram_cfg_defaults(&cfg, 1ull << 30);
	d = dram_create(&cfg);
	struct dram_loc l = dram_map(d, 0x12345);
	cr_assert(l.channel == 1 && l.bank == 6 && l.row == 0);
	dram_destroy(d);
}

Test(dram, row_hit_miss_conflict)
{
	struct dram *d = mk(1, 0, 0);
	cycles_t t = 1000;
	cr_assert_eq(dram_access(d, 0, 0, false, t), TRCD + TCAS);            /* closed */
	cr_assert_eq(dram_access(d, 0, 8 * 64, false, t += 100), TCAS);      /* same row */
	cr_assert_eq(dram_access(d, 0, 128 * 64, true, t += 100), TRP + TRCD + TCAS);
	cr_assert_eq(dram_access(d, 0, 0, false, t += 100), TRP + TRCD + TCAS);
	cr_assert_eq(dram_access(d, 0, 2 * 64, false, t += 100), TRCD + TCAS); /* bank 1 */
	cr_assert_eq(d->row_misses, 2);
	cr_assert_eq(d->row_hits, 1);
	cr_assert_eq(d->row_conflicts, 2);
	cr_assert_eq(d->reads, 4);
	cr_assert_eq(d->writes, 1);
	cr_assert_eq(d->queue_cycles, 0);
	dram_destroy(d);
}

Test(dram, channel_queueing)
{
	struct dram *d = mk(1, 0, 0);
	/* four lines of one row and bank, channel 0, all at cycle 0 */
	cr_assert_eq(dram_access(d, 0, 0, false, 0), TRCD + TCAS);
	cr_assert_eq(dram_access(d, 0, 8 * 64, false, 0), BURST + TCAS);
	cr_assert_eq(dram_access(d, 0, 16 * 64, false, 0), 2 * BURST + TCAS);
	/* the other channel is free */
	cr_assert_eq(dram_access(d, 0, 64, false, 0), TRCD + TCAS);
	/* later than the queue: no wait */
	cr_assert_eq(dram_access(d, 0, 24 * 64, false, 3 * BURST), TCAS);
	cr_assert_eq(d->queue_cycles, 3 * BURST);
	/* 100 lines issued at once to channel 0, bank 0 (every 8th line) wait
	 * 0, 8, 16, ... cycles; they open rows 0..6 (16 lines each) in turn */
	struct dram *s = mk(1, 0, 0);
	uint64_t total = 0;
	for (uint64_t i = 0; i < 100; i++)
		total += dram_access(s, 0, i * 8 * 64, false, 0);
	cr_assert_eq(s->queue_cycles, BURST * 99 * 100 / 2);
	cr_assert_eq(s->row_conflicts, 6);
	cr_assert_eq(total, s->queue_cycles + 100 * TCAS + TRCD + 6 * (TRP + TRCD));
	dram_destroy(s);
	dram_destroy(d);
}

Test(dram, numa_remote)
{
	struct dram *d = mk(2, 50, 0);
	uint64_t half = 1ull << 29;
	cr_assert_eq(dram_map(d, half - 64).node, 0);
	cr_assert_eq(dram_map(d, half).node, 1);
	cr_assert_eq(dram_map(d, half).row, 0, "rows count from the node's base");
	/* core 0 is on node 0, core 1 on node 1 */
	cr_assert_eq(dram_access(d, 0, 0, false, 0), TRCD + TCAS);
	cr_assert_eq(dram_access(d, 0, half, false, 0), TRCD + TCAS + 50);
	cr_assert_eq(dram_access(d, 1, half + 8 * 64, true, 100), TCAS);
	cr_assert_eq(dram_access(d, 1, 8 * 64, false, 100), TCAS + 50);
	cr_assert_eq(d->remote_accesses, 2);
	cr_assert_eq(d->bytes_read[0], 128);
	cr_assert_eq(d->bytes_read[1], 64);
	cr_assert_eq(d->bytes_written[1], 64);

	struct stats *st = stats_create();
	dram_stats(d, st);
	uint64_t v;
	cr_assert(stats_get(st, "dram.node1.bytes_written", &v) && v == 64);
	cr_assert(stats_get(st, "dram.row_hit", &v) && v == 2);
	stats_destroy(st);
	dram_destroy(d);
}

Test(dram, config_errors)
{
	struct dram_cfg cfg, ok;
	char err[MMSIM_ERR_LEN];
	dram_cfg_defaults(&ok, 1ull << 30);
	cfg = ok;
	cfg.channels = 3;
	cr_assert_eq(dram_cfg_check(&cfg, "memory.dram", err), -1);
	cr_assert_str_eq(err, "memory.dram.channels: 3 is not a power of two up to 64");
	cfg = ok;
	cfg.col_low_bits = 8;
	cr_assert_eq(dram_cfg_check(&cfg, "memory.dram", err), -1);
	cr_assert_str_eq(err, "memory.dram.col_low_bits: 8 is more than a row has (7)");
	cfg = ok;
	dram_cfg_numa_even(&cfg, 1ull << 30, 2, 40);
	cfg.node[1].base -= 4096;
	cr_assert_eq(dram_cfg_check(&cfg, "memory.dram", err), -1);
	cr_assert_str_eq(err, "memory.dram.node[1]: overlaps node 0");
	cfg = ok;
	cfg.core_node[5] = 1;
	cr_assert_eq(dram_cfg_check(&cfg, "memory.dram", err), -1);
	cr_assert_str_eq(err, "memory.dram.core_node[5]: node 1 does not exist");
}
