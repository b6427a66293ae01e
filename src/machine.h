/* The machine: cores, memory system and guest kernel built from a config, and
 * the run loop that plays a trace on them.
 *
 * Scheduling (DESIGN.md contract 4): the core with the lowest clock acts next,
 * ties to the lower core id. Each core has a run queue of the threads placed
 * on it (affinity, else round-robin in trace order) and switches between them
 * round-robin every cpu.quantum cycles; a switch to another process's thread
 * loads its CR3. One step is one memory access or one op. A failed
 * translation traps into the kernel's fault handler and the access is retried;
 * a fault the kernel cannot resolve kills the process (reported, counted) and
 * the other processes go on. */
#ifndef MMSIM_MACHINE_H
#define MMSIM_MACHINE_H

#include "lib/config.h"
#include "lib/trace.h"

struct machine;
struct stats;
struct core;
struct kmm;
struct memsys;
struct mm;
struct kdma;

/* Build the machine for cfg (already checked) and trace (already loaded).
 * Returns NULL with err on a trace/config mismatch (e.g. affinity to a core
 * the machine lacks). Neither argument may be freed before machine_destroy(). */
/* check: 0 = no checking; N > 0 = check invariants after every N-th kernel
 * operation (fault, syscall, process exit) and at the end of the run. */
struct machine *machine_create(const struct mmsim_cfg *cfg, const struct trace *tr,
			       uint64_t check, char *err);
void machine_destroy(struct machine *m);

/* Run to completion. Returns 0, or -1 if --check found a broken invariant
 * (message in err, the run stopped there). */
int machine_run(struct machine *m, char *err);

struct stats *machine_stats(struct machine *m);
/* The largest core clock: the run's simulated duration. */
cycles_t machine_cycles(const struct machine *m);
/* Reads whose "expect" did not match, and processes killed. */
uint64_t machine_mismatches(const struct machine *m);
uint64_t machine_kills(const struct machine *m);
/* Processes ended because their threads blocked forever (a trace bug). */
uint64_t machine_deadlocks(const struct machine *m);
/* The text of the trace's procfs ops (/proc/PID/maps ...), in run order. */
const char *machine_procfs(const struct machine *m);
/* mmsim run --procfs: add every process's maps, smaps_rollup and status
 * when it exits (or is killed) and at every snapshot op. */
void machine_set_procfs_views(struct machine *m, bool on);
/* One line per killed process / mismatch, for the report ("" if none). */
const char *machine_events(const struct machine *m);

/* --- observers (gui/): read-only views of the running machine ---
 * An observer is called after every step (one access or one op of a core)
 * and must not change simulation state; returning nonzero stops the run
 * there (machine_run returns 0 and machine_stopped() says so). NULL: none,
 * and the run loop pays one predictable branch per step. */
void machine_set_observer(struct machine *m, int (*fn)(void *arg), void *arg);
bool machine_stopped(const struct machine *m);
unsigned machine_ncores(const struct machine *m);
const struct core *machine_core(const struct machine *m, unsigned i);
const struct kmm *machine_kmm(const struct machine *m);
const struct memsys *machine_memsys(const struct machine *m);
const struct mmsim_cfg *machine_cfg(const struct machine *m);
unsigned machine_nprocs(const struct machine *m);
const char *machine_proc_name(const struct machine *m, unsigned i);
/* The process's address space, NULL once it exited or was killed. */
const struct mm *machine_proc_mm(const struct machine *m, unsigned i);
/* The kernel's DMA API state (kernel/mm/dma.h). */
const struct kdma *machine_kdma(const struct machine *m);
/* Walkers of every core remember their last walk (walk.h) while on. */
void machine_remember_walks(struct machine *m, bool on);

#endif
