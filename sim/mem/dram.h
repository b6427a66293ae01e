/* DRAM timing behind the caches: NUMA nodes, channels, banks, open rows.
 *
 * Modelled:
 * - Nodes own physical address ranges; each core sits on a node; an access
 *   from a core to another node's memory adds remote[core's node][node]
 *   cycles (a latency matrix, like the ACPI SLIT but in cycles).
 * - Each node has `channels` channels of `banks` banks. The line address
 *   within the node is cut, from the low bits up, into
 *       col_low (col_low_bits) | channel | bank | col_high | row
 *   so col_low_bits = 0 (the default) interleaves consecutive lines over the
 *   channels, then the banks, and a row of a bank holds the lines that
 *   differ only in their column bits. col_low_bits = log2(row / line) puts
 *   a whole row in one bank before moving on ("page interleaving").
 * - Open-row policy: a bank keeps its last row open. Row hit: tCAS; bank
 *   closed (only before its first access): tRCD + tCAS; another row open
 *   (conflict): tRP + tRCD + tCAS.
 * - Bandwidth: a channel carries one line per `burst` cycles. It is busy
 *   until a cycle; an access at `now` starts at max(now, busy) and holds the
 *   channel for `burst` cycles from its start, so streaming traffic queues
 *   and the wait is part of the latency returned.
 *
 * Simplified: no ranks, no refresh, no tRAS/tWR/tFAW/turnaround, no
 * scheduling (FR-FCFS) or reordering: accesses are served in call order;
 * bank busy time is not modelled, only the channel's data bus; writes cost
 * what reads cost. The caller passes the cycle of the access (the core's
 * clock); calls need not come in time order, a call from the past simply
 * queues behind what the channel already accepted. */
#ifndef MMSIM_DRAM_H
#define MMSIM_DRAM_H

#include "lib/types.h"

struct stats;

#define DRAM_MAX_NODES 8
#define DRAM_MAX_CORES 64
#define DRAM_ROW_CLOSED UINT64_MAX

struct dram_node_range {
	paddr_t base;
	uint64_t size;
};

struct dram_cfg {
	uint32_t channels;      /* per node, power of two, 1..64 */
	uint32_t banks;         /* per channel, power of two, 1..256 */
	uint32_t line;          /* bytes per access, power of two (64) */
	uint32_t row;           /* bytes of one bank's row, power of two >= line */
	uint32_t col_low_bits;  /* column bits below the channel bits, <= log2(row/line) */
	uint32_t tcas, trcd, trp; /* cycles */
	uint32_t burst;         /* cycles a line holds its channel */
	uint32_t controller;    /* fixed cycles of every access: memory controller
	                         * and interconnect, on top of the bank timing */
	uint32_t nodes;         /* 1..DRAM_MAX_NODES */
	struct dram_node_range node[DRAM_MAX_NODES];  /* disjoint; an address in
	                         * no range belongs to node 0 */
	uint32_t remote[DRAM_MAX_NODES][DRAM_MAX_NODES]; /* extra cycles, core's node
	                         * x memory's node; the diagonal must be 0 */
	uint8_t core_node[DRAM_MAX_CORES];  /* node of each core */
};

/* Where an address lives. */
struct dram_loc {
	unsigned node, channel, bank;
	uint64_t row;
};

struct dram_chan {
	cycles_t busy_until;
	uint64_t *open_row;     /* [banks]: DRAM_ROW_CLOSED or the open row */
};

struct dram {
	/* hot */
	struct dram_chan *chan; /* [nodes * channels] */
	unsigned line_shift, col_low_bits, col_high_bits, chan_bits, bank_bits;
	uint32_t tcas, trcd, trp, burst, controller;
	uint32_t nodes, channels, banks;
	struct dram_node_range node[DRAM_MAX_NODES];
	uint32_t remote[DRAM_MAX_NODES][DRAM_MAX_NODES];
	uint8_t core_node[DRAM_MAX_CORES];

	/* counters ("dram.*") */
	uint64_t reads, writes;
	uint64_t row_hits, row_misses, row_conflicts;
	uint64_t queue_cycles;  /* cycles accesses waited for their channel */
	uint64_t remote_accesses;
	uint64_t bytes_read[DRAM_MAX_NODES], bytes_written[DRAM_MAX_NODES];
};

/* Defaults: 1 node of `size` bytes, 2 channels x 16 banks, 64-byte lines,
 * 8 KiB rows, line interleaving, tCAS = tRCD = tRP = 40, burst 8. */
void dram_cfg_defaults(struct dram_cfg *cfg, uint64_t size);

/* Split [0, size) evenly over `nodes` nodes (size a multiple of nodes * 4K),
 * with `remote` cycles between every two of them, cores round-robin. */
void dram_cfg_numa_even(struct dram_cfg *cfg, uint64_t size, unsigned nodes,
			uint32_t remote);

/* Returns 0 or -1 with "name.key: what" in err (MMSIM_ERR_LEN bytes). */
int dram_cfg_check(const struct dram_cfg *cfg, const char *name, char *err);

/* cfg must pass dram_cfg_check (asserted). NULL only when out of memory. */
struct dram *dram_create(const struct dram_cfg *cfg);
void dram_destroy(struct dram *d);
void dram_stats(struct dram *d, struct stats *st);

/* The node, channel, bank and row of pa. */
struct dram_loc dram_map(const struct dram *d, paddr_t pa);

/* One line read or written at pa by core at cycle now: returns the cycles
 * until the data is there (queueing + bank timing + remote latency). */
cycles_t dram_access(struct dram *d, unsigned core, paddr_t pa, bool write, cycles_t now);

#endif
