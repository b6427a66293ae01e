/* The machine and its run loop: see machine.h. */
#include "src/machine.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/mm/kmm.h"
#include "kernel/mm/filemap.h"
#include "kernel/mm/thp.h"
#include "kernel/mm/vmscan.h"
#include "kernel/mm/slab.h"
#include "lib/jsonutil.h"
#include "lib/rng.h"
#include "lib/rtrace.h"
#include "lib/stats.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"
#include "kernel/mm/dma.h"
#include "sim/iommu/iommu.h"
#include "sim/mmu/pte.h"

#define REPEAT_DEPTH 17
#define MAX_FAULT_RETRIES 4
/* A compute op advances its core's clock at most this much per step, so no
 * core runs far ahead of the others: an IPI or a coherence action from
 * another core then lands within one slice of when it was sent, instead of
 * after the whole computation. */
#define COMPUTE_SLICE 1000
#define REPLAY_BATCH 256    /* records read from a recorded stream at a time */
#define REPLAY_MAX_ACCESS 64 /* larger recorded accesses are cut to a line, as
                              * cachegrind does */

struct process {
	const struct trace_proc *tp;
	unsigned index;
	struct mm *mm;          /* NULL once exited or killed */
	vaddr_t *region_base;   /* per named region: base once mapped */
	bool *region_mapped;
	uint32_t live;          /* threads not yet done */
	uint32_t at_barrier;    /* started threads waiting at the barrier */
	bool killed;
	/* counters ("proc.<name>.*"), folded in from each mm it had */
	uint64_t min_flt, maj_flt, cow_copies, hiwater_rss;
};

struct thread {
	const struct op *ops;
	uint32_t nops, pc;
	struct process *proc;
	unsigned index;         /* within its process */
	unsigned core;          /* whose run queue it is on */
	bool started;           /* false until spawned ("spawned": true threads) */
	bool done;
	bool blocked;           /* in a join or at a barrier */
	struct thread *join_on; /* the thread a join waits for */
	cycles_t wake_at;       /* sleeping until this cycle */
	uint64_t compute_left;  /* cycles left of the compute op at pc */
	uint64_t kdone;         /* objects done of the kernel-allocator op at pc */
	/* replay op in progress (rt != NULL): a batch of records, ri..rn left */
	struct rtrace *rt;
	struct rtrace_rec *rbuf;
	long rn, ri;
	uint64_t rdone;
	/* pattern in progress (pat_left > 0) */
	uint64_t pat_left, pat_off;
	vaddr_t pat_base;
	struct rng rng;
	/* repeat stack: the REPEAT op's index and iterations left */
	struct { uint32_t at; uint64_t left; } rep[REPEAT_DEPTH];
	int nrep;
};

struct runq {
	struct thread **t;
	uint32_t n, cur;
	uint32_t live;          /* threads started, not done, not blocked */
	cycles_t slice_start;
	struct mm *mm;          /* the mm this core's CR3 holds, or NULL */
};

struct machine {
	struct mmsim_cfg cfg;
	const struct trace *tr;
	struct stats *st;
	struct memsys *ms;
	struct core **cores;
	struct kmm *kmm;
	struct iommu *io;       /* NULL unless the trace declares devices */
	struct kdma *kd;
	struct dma_handle_rt *dh; /* per trace DMA handle */
	struct process *procs;
	struct thread *threads;
	uint32_t nthreads;
	struct runq *rq;
	struct core **heap;     /* cores with runnable threads, by (clock, id) */
	uint64_t check;         /* check every N kernel operations; 0 = never */
	uint64_t kernel_ops;
	uint64_t checks;        /* invariant checks run ("run.checks") */
	char *check_err;        /* where --check puts its finding */
	int check_failed;

	/* counters ("run.*") */
	uint64_t ops, accesses, mismatches, kills, exits, ctx_switches;
	uint64_t sched_events;  /* wakeups, spawns, migrations: queues changed */
	uint64_t replay_records, replay_automaps, replay_skipped;
	uint64_t deadlocks;     /* processes whose threads blocked forever */
	uint64_t replay_errors; /* recorded streams that turned out malformed */

	char events[4096];      /* killed processes, mismatches (first ones) */
	char *procfs;           /* procfs op reports, in run order (NUL-terminated) */
	bool procfs_views;      /* also every process's files at exit and snapshots */
	size_t procfs_len, procfs_cap;
	size_t events_len;

	int (*observer)(void *arg); /* called after every step (gui/), or NULL */
	void *observer_arg;
	bool stopped;           /* the observer ended the run early */

	/* kernel-allocator ops (kernel/mm/slab.h): per trace.kobjs variable the
	 * addresses its last allocation op gave (kept after frees, as a C
	 * pointer is); per trace.kcaches name the cache, once found */
	struct kvar { vaddr_t *va; uint32_t n, cap; } *kvar;
	struct kmem_cache **kcache;
	uint64_t koops, kalloc_fail;
};

static void event(struct machine *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void migrate(struct machine *m, struct thread *t, struct core *c, unsigned to);
static void replay_end(struct thread *t);
static void event(struct machine *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vappendf(m->events, sizeof(m->events), &m->events_len, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- checks */

/* --check: every TLB and paging-structure-cache entry the kernel would let
 * a core use without a flush (global, or of a PCID whose slot is up to
 * date: kmm_pcid_current(), which leaves out what a pending shootdown
 * will flush) must agree with the page tables of its mm. */
struct tlb_check {
	struct machine *m;
	struct core *c;
	char *err;
	int bad;
};

static void check_entry(void *arg, const struct tlb *t, const struct tlb_entry *e)
{
	struct tlb_check *tc = arg;
	struct mm *mm;
	(void)t;
	if (tc->bad || !kmm_pcid_current(tc->m->kmm, tc->c->id, e->pcid, &mm))
		return;
	if (kmem_va_lazy(tc->m->kmm, e->vpn << e->shift))
		return;   /* vfree'd, its flush waits for the lazy purge (vmalloc.c) */
	paddr_t pa;
	uint8_t rights;
	vaddr_t va = e->vpn << e->shift;
	bool ok = walk_probe(&tc->c->walker, &tc->m->ms->pm, mm->pgd, va, &pa, &rights) &&
		  (pa >> PAGE_SHIFT) == e->pfn &&
		  (e->flags & ~rights & (TLBE_RW | TLBE_US | TLBE_DIRTY)) == 0 &&
		  (rights & ~e->flags & TLBE_NX) == 0;
	if (!ok)
		tc->bad = errf(tc->err, "check: core%u TLB holds a stale translation %#llx -> "
			       "pfn %#llx (PCID %u) that the page tables no longer give",
			       tc->c->id, (unsigned long long)va, (unsigned long long)e->pfn,
			       e->pcid);
}

/* What the walker caches in its level-`level` paging-structure cache for
 * va under cr3: the frame of the table that level's entry points at, and
 * the rights of the path down to that entry; false if a walk stops above
 * (an entry not present, a reserved bit, a large-page leaf). */
static bool probe_table(const struct walker *w, const struct physmem *pm, uint64_t cr3,
			vaddr_t va, int level, uint64_t *pfn, uint8_t *rights)
{
	paddr_t table = cr3 & PTE_ADDR_MASK;
	uint8_t r = TLBE_RW | TLBE_US;
	for (int l = w->levels; l >= level; l--) {
		pte_t e = physmem_read(pm, table + 8 * pt_index(va, l), 8);
		if (!(e & PTE_P) || (e & w->rsvd_addr) || (e & PTE_PS))
			return false;
		if (!(e & PTE_RW))
			r &= (uint8_t)~TLBE_RW;
		if (!(e & PTE_US))
			r &= (uint8_t)~TLBE_US;
		if (e & PTE_NX)
			r |= TLBE_NX;
		table = e & PTE_ADDR_MASK;
	}
	*pfn = table >> PAGE_SHIFT;
	*rights = r;
	return true;
}

/* --check: every paging-structure-cache entry the kernel would let a core
 * use without a flush must point at the table its mm's page tables give
 * (a stale one would walk a freed or replaced table) with no more rights
 * than the path down to it grants. */
static void check_pwc(struct tlb_check *tc)
{
	const struct walker *w = &tc->c->walker;
	for (int l = 2; l <= w->levels && !tc->bad; l++) {
		const struct tlb *t = w->pwc[l];
		for (size_t k = 0; t && k < (size_t)t->sets * t->ways && !tc->bad; k++) {
			const struct tlb_entry *e = &t->e[k];
			struct mm *mm;
			if (!(e->flags & TLBE_VALID) ||
			    !kmm_pcid_current(tc->m->kmm, tc->c->id, e->pcid, &mm))
				continue;
			vaddr_t va = e->vpn << e->shift;
			if (kmem_va_lazy(tc->m->kmm, va))
				continue;
			uint64_t pfn;
			uint8_t rights;
			bool ok = probe_table(w, &tc->m->ms->pm, mm->pgd, va, l, &pfn, &rights) &&
				  pfn == e->pfn &&
				  (e->flags & ~rights & (TLBE_RW | TLBE_US)) == 0 &&
				  (rights & ~e->flags & TLBE_NX) == 0;
			if (!ok)
				tc->bad = errf(tc->err, "check: core%u level-%d paging-structure "
					       "cache holds a stale entry %#llx -> table pfn %#llx "
					       "(PCID %u) that the page tables no longer give",
					       tc->c->id, l, (unsigned long long)va,
					       (unsigned long long)e->pfn, e->pcid);
		}
	}
}

static int check_tlbs(struct machine *m, char *err)
{
	struct tlb_check tc = { .m = m, .err = err };
	for (unsigned i = 0; i < m->cfg.cores && !tc.bad; i++) {
		tc.c = m->cores[i];
		core_for_each_tlb_entry(tc.c, check_entry, &tc);
		if (!tc.bad)
			check_pwc(&tc);
	}
	return tc.bad;
}

static void run_check_now(struct machine *m)
{
	if (!m->check || m->check_failed)
		return;
	m->checks++;
	struct mm *mms[1024];
	size_t n = 0;
	for (uint32_t p = 0; p < m->tr->nprocs && n < ARRAY_SIZE(mms); p++)
		if (m->procs[p].mm)
			mms[n++] = m->procs[p].mm;
	if (kmm_validate(m->kmm, mms, n, m->check_err) || check_tlbs(m, m->check_err) ||
	    (m->ms->hier && hier_validate(m->ms->hier, m->check_err)) ||
	    (m->kd && kdma_validate(m->kd, m->check_err)))
		m->check_failed = 1;
}

/* After a kernel operation: check every m->check-th one. */
static void run_check(struct machine *m)
{
	if (m->check && ++m->kernel_ops % m->check == 0)
		run_check_now(m);
}

/* ------------------------------------------------------ process lifetime */

static void leave_mm(struct machine *m, struct mm *mm)
{
	for (unsigned i = 0; i < m->cfg.cores; i++)
		if (m->rq[i].mm == mm)
			m->rq[i].mm = NULL;
}

/* The process lets go of its mm (exit or exec): its counters are kept,
 * the address space is torn down on c. */
static void drop_mm(struct machine *m, struct process *p, struct core *c)
{
	struct mm *mm = p->mm;
	p->min_flt += mm->min_flt;
	p->maj_flt += mm->maj_flt;
	p->cow_copies += mm->cow_copies;
	if (mm->hiwater_rss > p->hiwater_rss)
		p->hiwater_rss = mm->hiwater_rss;
	mm_destroy(m->kmm, mm, c);
	leave_mm(m, mm);
	p->mm = NULL;
}

/* The last thread is gone or the process was killed: exit_mmap() on c. */
static void procfs_views(struct machine *m, struct process *p, const char *when);

static void process_end(struct machine *m, struct process *p, struct core *c)
{
	for (uint32_t i = 0; i < m->nthreads; i++) {
		struct thread *t = &m->threads[i];
		if (t->proc == p && t->rt)
			replay_end(t);
		if (t->proc == p && !t->done) {
			t->done = true;
			p->live--;
		}
	}
	if (!p->mm)
		return;
	procfs_views(m, p, p->killed ? "at its kill" : "at exit");
	drop_mm(m, p, c);
	run_check(m);
}

static void kill_process(struct machine *m, struct thread *t, struct core *c,
			 const char *why)
{
	struct process *p = t->proc;
	event(m, "process %s (thread %u, op %u) killed at cycle %llu on core%u: %s\n",
	      p->tp->name, t->index, t->pc, (unsigned long long)c->clock, c->id, why);
	p->killed = true;
	m->kills++;
	process_end(m, p, c);
}

/* The OOM killer chose the process owning mm, which is not the one running
 * on c (kmm->oom_kill, vmscan.h): it dies and its memory goes back now,
 * inside the allocation that asked, so no invariant check runs here. */
static bool oom_kill_process(void *arg, struct mm *mm, struct core *c, const char *why)
{
	struct machine *m = arg;
	for (uint32_t i = 0; i < m->tr->nprocs; i++) {
		struct process *p = &m->procs[i];
		if (p->mm != mm)
			continue;
		event(m, "process %s killed by the OOM killer at cycle %llu on core%u: %s\n",
		      p->tp->name, (unsigned long long)c->clock, c->id, why);
		p->killed = true;
		m->kills++;
		for (uint32_t j = 0; j < m->nthreads; j++) {
			struct thread *t = &m->threads[j];
			if (t->proc == p && t->rt)
				replay_end(t);
			if (t->proc == p && !t->done) {
				t->done = true;
				p->live--;
			}
		}
		drop_mm(m, p, c);
		return true;
	}
	return false;
}

/* -------------------------------------------------------------- accesses */

/* A replay with layout "auto" touched a page no mapping covers: the loader
 * maps it (read, write, execute), as the recorded program's own mmaps and
 * ELF loading did; neighbouring pages merge into one mapping. */
static void replay_automap(struct machine *m, struct thread *t, struct core *c, vaddr_t va,
			   uint32_t code)
{
	struct mm *mm = t->proc->mm;
	if ((code & PF_P) || va >= mm->task_size || vma_find(mm, va))
		return;
	if (kmm_mmap(m->kmm, mm, c, va & PAGE_MASK, PAGE_SIZE, PROT_R | PROT_W | PROT_X,
		     true) >= 0)
		m->replay_automaps++;
}

/* translate() after the first attempt raised #PF (code): trap to the
 * kernel until the translation succeeds. Out of line, so that the hot
 * path of every access keeps no frame for it. */
static __attribute__((noinline, cold))
bool translate_fault(struct machine *m, struct thread *t, struct core *c, vaddr_t va,
		     uint32_t access, paddr_t *pa, uint32_t code)
{
	for (int tries = 0; ; tries++) {
		if (tries)
			code = core_translate(c, va, access, pa);
		if (!code)
			return true;
		code &= ~PF_RAISED;
		if (t->rt && (t->ops[t->pc].flags & OPF_AUTOMAP))
			replay_automap(m, t, c, va, code);
		char why[MMSIM_ERR_LEN];
		enum fault_result r = kmm_page_fault(m->kmm, t->proc->mm, c, va, code, why);
		run_check(m);
		if (m->check_failed)
			return false;   /* the run stops with the check's report */
		if (r == FAULT_OOM && m->kmm->oom_panic) {
			snprintf(m->check_err, MMSIM_ERR_LEN, "%s", why);
			m->check_failed = 1;   /* the run stops: kernel.panic_on_oom */
			return false;
		}
		if (r != FAULT_DONE) {
			if (r == FAULT_OOM)
				m->kmm->oom_kills++;
			kill_process(m, t, c, why);
			return false;
		}
		if (tries == MAX_FAULT_RETRIES) {
			fprintf(stderr, "mmsim: simulator bug: fault at %#llx (code %#x) "
				"not resolved after %d retries\n", (unsigned long long)va,
				code, tries);
			abort();
		}
	}
}

/* Translate one piece of an access, trapping to the kernel on #PF until it
 * succeeds. Returns false if the process was killed. */
static inline bool translate(struct machine *m, struct thread *t, struct core *c, vaddr_t va,
			     uint32_t access, paddr_t *pa)
{
	uint32_t code = core_translate(c, va, access, pa);
	if (__builtin_expect(!code, 1))
		return true;
	return translate_fault(m, t, c, va, access, pa, code);
}

/* An access beyond the canonical user half: #GP, which Linux turns into
 * SIGSEGV. */
static __attribute__((noinline, cold))
void access_gp(struct machine *m, struct thread *t, struct core *c, vaddr_t va)
{
	char why[96];
	snprintf(why, sizeof(why), "SIGSEGV: general protection fault at %#llx "
		 "(not a canonical user address)", (unsigned long long)va);
	kill_process(m, t, c, why);
}

/* One user access of size bytes at va; a value moves when val is given.
 * An access that straddles two pages translates both before touching data. */
static bool access(struct machine *m, struct thread *t, struct core *c, vaddr_t va,
		   unsigned size, uint32_t acc, uint64_t *val)
{
	bool write = acc & PF_W;
	unsigned first = PAGE_SIZE - (va & ~PAGE_MASK);
	paddr_t pa0, pa1 = 0;
	m->accesses++;
	if (va + size > m->kmm->user_va_end || va + size < va) {
		access_gp(m, t, c, va);
		return false;
	}
	if (!translate(m, t, c, va, acc, &pa0))
		return false;
	if (first >= size) {
		core_data(c, pa0, acc);
		first = size;
	} else {
		if (!translate(m, t, c, va + first, acc, &pa1))
			return false;
		core_data(c, pa0, acc);
		core_data(c, pa1, acc);
	}
	if (!val)
		return true;
	physmem_access_split(&m->ms->pm, pa0, pa1, first, size, write, val);
	return true;
}

/* ------------------------------------------------------------------- ops */

/* Resolve an address expression; false (process killed) if its region is
 * not mapped yet. */
static bool resolve(struct machine *m, struct thread *t, struct core *c,
		    const struct addr_expr *a, vaddr_t *va)
{
	if (a->region < 0) {
		*va = a->off;
		return true;
	}
	struct process *p = t->proc;
	if (!p->region_mapped[a->region]) {
		char why[128];
		snprintf(why, sizeof(why), "region \"%s\" used before its mmap",
			 p->tp->regions[a->region]);
		kill_process(m, t, c, why);
		return false;
	}
	*va = p->region_base[a->region] + a->off;
	return true;
}

static void start_pattern(struct machine *m, struct thread *t, const struct op *op)
{
	uint64_t seed = op->seed;
	if (!(op->flags & OPF_SEEDED)) {
		/* derived from the run seed, process, thread and op index */
		uint64_t x = m->cfg.seed ^ ((uint64_t)t->proc->index << 40) ^
			     ((uint64_t)t->index << 24) ^ t->pc;
		seed = rng_splitmix64(&x);
	}
	rng_seed(&t->rng, seed);
	t->pat_left = op->count;
	t->pat_off = 0;
}

/* The next access of the pattern op at t->pc; advances pc when done. */
static void pattern_step(struct machine *m, struct thread *t, struct core *c,
			 const struct op *op)
{
	uint64_t span = op->len - op->size;          /* last valid start offset */
	uint64_t off;
	if (op->kind == OP_RANDOM) {
		off = rng_below(&t->rng, span + 1);
	} else {
		off = t->pat_off;
		t->pat_off += op->kind == OP_SEQ ? op->size : op->stride;
		if (t->pat_off >= op->len)
			t->pat_off -= op->len;
	}
	off &= ~(uint64_t)(op->size - 1);
	if (off > span)
		off = span & ~(uint64_t)(op->size - 1);
	bool write = op->wthresh && (rng_next(&t->rng) >> 11) < op->wthresh;
	uint32_t acc = PF_U | (op->flags & OPF_FETCH ? PF_I : write ? PF_W : 0);
	vaddr_t va = t->pat_base + off;
	if (__builtin_expect(op->value != 0, 0)) {
		/* "check": the bytes carry their own address */
		uint64_t val = va;
		if (!access(m, t, c, va, op->size, acc, &val))
			return;
		if (!write && val != va) {
			m->mismatches++;
			event(m, "value mismatch: process %s thread %u op %u read %#llx at %#llx, "
			      "expected its address\n", t->proc->tp->name, t->index, t->pc,
			      (unsigned long long)val, (unsigned long long)va);
		}
	} else if (!access(m, t, c, va, op->size, acc, NULL)) {
		return;
	}
	if (--t->pat_left == 0)
		t->pc++;
}

/* t may run again from cycle `now` on its core (an idle core's clock
 * catches up to the event that woke it). */
static void wake(struct machine *m, struct thread *t, cycles_t now)
{
	struct core *tc = m->cores[t->core];
	t->blocked = false;
	t->join_on = NULL;
	if (!m->rq[t->core].live && tc->clock < now)
		tc->clock = now;
	m->sched_events++;
}

/* The last started thread of the process reached the barrier (or the last
 * one not there exited): release everyone waiting. */
static void barrier_check(struct machine *m, struct process *p, cycles_t now)
{
	uint32_t started = 0;
	for (uint32_t i = 0; i < m->nthreads; i++) {
		struct thread *t = &m->threads[i];
		started += t->proc == p && t->started && !t->done;
	}
	if (!p->at_barrier || p->at_barrier < started)
		return;
	for (uint32_t i = 0; i < m->nthreads; i++) {
		struct thread *t = &m->threads[i];
		if (t->proc == p && t->blocked && !t->join_on)
			wake(m, t, now);
	}
	p->at_barrier = 0;
}

static void replay_end(struct thread *t)
{
	rtrace_close(t->rt);
	free(t->rbuf);
	t->rt = NULL;
	t->rbuf = NULL;
	t->rn = t->ri = 0;
	t->rdone = 0;
}

/* One record of the replay op at t->pc (opening the stream first). */
static void replay_step(struct machine *m, struct thread *t, struct core *c,
			const struct op *op)
{
	char err[MMSIM_ERR_LEN];
	if (!t->rt) {
		t->rt = rtrace_open(m->tr->paths[op->other], (enum rtrace_format)op->prot, err);
		t->rbuf = calloc(REPLAY_BATCH, sizeof(*t->rbuf));
		if (!t->rt || !t->rbuf) {
			kill_process(m, t, c, err);
			return;
		}
	}
	if (t->ri == t->rn) {
		size_t want = REPLAY_BATCH;
		if (op->count && op->count - t->rdone < want)
			want = op->count - t->rdone;
		long n = want ? rtrace_read(t->rt, t->rbuf, want, err) : 0;
		if (n < 0) {
			m->replay_errors++;
			kill_process(m, t, c, err);
			return;
		}
		if (n == 0) {
			replay_end(t);
			t->pc++;
			return;
		}
		t->rn = n;
		t->ri = 0;
	}
	const struct rtrace_rec *r = &t->rbuf[t->ri++];
	t->rdone++;
	m->replay_records++;
	if (r->kind == RT_COMPUTE) {
		uint64_t cyc = (uint64_t)r->count * m->cfg.cpu.instruction;
		c->clock += cyc;
		c->compute_cycles += cyc;
		return;
	}
	unsigned size = r->size < REPLAY_MAX_ACCESS ? r->size : REPLAY_MAX_ACCESS;
	if (r->addr >= t->proc->mm->task_size || r->addr + size > t->proc->mm->task_size) {
		/* the kernel half (the vsyscall page, say): not the program's
		 * memory here; skipped and counted */
		m->replay_skipped++;
		return;
	}
	uint32_t acc = PF_U | (r->kind == RT_FETCH ? PF_I :
			       r->kind == RT_LOAD ? 0 : PF_W);   /* modify: a store */
	access(m, t, c, r->addr, size, acc, NULL);
}

static void thread_exit(struct machine *m, struct thread *t, struct core *c)
{
	t->done = true;
	m->sched_events++;
	for (uint32_t i = 0; i < m->nthreads; i++)
		if (m->threads[i].join_on == t)
			wake(m, &m->threads[i], c->clock);
	barrier_check(m, t->proc, c->clock);
	if (--t->proc->live == 0) {
		m->exits++;
		process_end(m, t->proc, c);
	}
}

/* spawn, join, barrier, yield, sleep, migrate. */
static void op_sched(struct machine *m, struct thread *t, struct core *c, const struct op *op)
{
	struct process *p = t->proc;
	struct thread *other = op->kind == OP_SPAWN || op->kind == OP_JOIN ?
			       &m->threads[(t - m->threads) - t->index + op->other] : NULL;
	t->pc++;
	switch (op->kind) {
	case OP_SPAWN:
		c->clock += m->cfg.kernel.cost.syscall + m->cfg.kernel.cost.clone;
		if (other->started) {
			t->pc--;
			kill_process(m, t, c, "spawn of a thread that was already started");
			return;
		}
		other->started = true;
		wake(m, other, c->clock);
		break;
	case OP_JOIN:
		c->clock += m->cfg.kernel.cost.syscall;
		if (!other->done) {
			t->blocked = true;
			t->join_on = other;
			m->sched_events++;
		}
		break;
	case OP_BARRIER:
		c->clock += m->cfg.kernel.cost.syscall;
		t->blocked = true;
		p->at_barrier++;
		m->sched_events++;
		barrier_check(m, p, c->clock);
		break;
	case OP_YIELD:
		c->clock += m->cfg.kernel.cost.syscall;
		m->rq[c->id].slice_start = c->clock - m->cfg.cpu.quantum;
		break;
	case OP_SLEEP:
		c->clock += m->cfg.kernel.cost.syscall;
		t->wake_at = c->clock + op->count;
		m->sched_events++;
		break;
	case OP_MIGRATE:
		c->clock += m->cfg.kernel.cost.syscall;
		migrate(m, t, c, op->other);
		break;
	default:
		break;
	}
}

/* The standard layout the trace asked for (docs/vm.md), its parts
 * becoming the regions text, data, heap and stack (the first four). */
static int setup_layout(struct machine *m, struct process *p, struct core *c)
{
	if (p->tp->layout == LAYOUT_NONE)
		return 0;
	uint64_t rnd = 0;
	if (p->tp->layout == LAYOUT_RANDOM) {
		struct rng g;
		rng_seed(&g, m->cfg.seed ^ ((uint64_t)p->index << 32) ^ p->mm->id);
		rnd = rng_next(&g) | 1;
	}
	const struct mm_layout l = { 0 };
	struct mm *mm = p->mm;
	if (mm_setup_layout(m->kmm, mm, c, &l, rnd))
		return -1;
	const vaddr_t base[4] = { mm->start_code, mm->start_data, mm->start_brk,
				  vma_find(mm, mm->start_stack - 1)->start };
	for (int i = 0; i < 4; i++) {
		p->region_base[i] = base[i];
		p->region_mapped[i] = true;
	}
	return 0;
}

/* fork: the child process named by the op starts with a copy-on-write
 * copy of this address space and of the region addresses; its threads not
 * marked "spawned" become runnable. */
static void op_fork(struct machine *m, struct thread *t, struct core *c, const struct op *op)
{
	struct process *p = t->proc, *ch = &m->procs[op->other];
	c->clock += m->cfg.kernel.cost.syscall + m->cfg.kernel.cost.clone;
	if (ch->mm || ch->killed) {
		kill_process(m, t, c, "fork of a process that was already started");
		return;
	}
	ch->mm = kmm_fork(m->kmm, p->mm, c);
	if (ch->mm)
		ch->mm->oom_score_adj = ch->tp->has_oom_score_adj ? ch->tp->oom_score_adj
								  : p->mm->oom_score_adj;
	run_check(m);
	if (!ch->mm) {
		m->kmm->oom_kills++;
		kill_process(m, t, c, "out of memory in fork");
		return;
	}
	memcpy(ch->region_base, p->region_base, p->tp->nregions * sizeof(vaddr_t));
	memcpy(ch->region_mapped, p->region_mapped, p->tp->nregions * sizeof(bool));
	for (uint32_t i = 0; i < m->nthreads; i++) {
		struct thread *ct = &m->threads[i];
		if (ct->proc == ch && !ch->tp->threads[ct->index].spawned) {
			ct->started = true;
			wake(m, ct, c->clock);
		}
	}
	m->sched_events++;
	t->pc++;
}

/* exec: a new, empty mm replaces the old one (exec_mmap()); the other
 * threads of the process end (de_thread()); every region is unmapped. */
static void op_exec(struct machine *m, struct thread *t, struct core *c)
{
	struct process *p = t->proc;
	c->clock += m->cfg.kernel.cost.syscall;
	struct mm *mm = mm_create(m->kmm, c);
	if (!mm) {
		m->kmm->oom_kills++;
		kill_process(m, t, c, "out of memory in exec");
		return;
	}
	m->kmm->exec_calls++;
	for (uint32_t i = 0; i < m->nthreads; i++) {
		struct thread *o = &m->threads[i];
		if (o->proc == p && o != t && o->started && !o->done) {
			if (o->rt)
				replay_end(o);
			o->done = true;
			p->live--;
		}
	}
	procfs_views(m, p, "at exec");
	drop_mm(m, p, c);
	p->mm = mm;
	memset(p->region_mapped, 0, p->tp->nregions * sizeof(bool));
	if (setup_layout(m, p, c)) {
		m->kmm->oom_kills++;
		kill_process(m, t, c, "out of memory in exec");
		return;
	}
	m->sched_events++;
	t->pc++;
	run_check(m);
}

/* procfs: the file's text, with a header line naming when, added to the
 * run's report. */
static void procfs_add(struct machine *m, struct process *p, uint32_t file, const char *when)
{
	static const char *const names[] = { "maps", "smaps_rollup", "status" };
	char buf[16384];
	size_t n = file == PROCFS_MAPS ? proc_maps(m->kmm, p->mm, p->tp->name, buf, sizeof buf) :
		   file == PROCFS_SMAPS_ROLLUP ? proc_smaps_rollup(m->kmm, p->mm, buf, sizeof buf) :
		   proc_status(m->kmm, p->mm, p->tp->name, buf, sizeof buf);
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	size_t need = m->procfs_len + n + 128;
	if (need > m->procfs_cap) {
		m->procfs_cap = need * 2;
		m->procfs = realloc(m->procfs, m->procfs_cap);
		if (!m->procfs)
			abort();
	}
	m->procfs_len += (size_t)snprintf(m->procfs + m->procfs_len, 128,
					  "== /proc/%u/%s (process %s, %.60s)\n", p->index + 1,
					  names[file], p->tp->name, when);
	memcpy(m->procfs + m->procfs_len, buf, n);
	m->procfs_len += n;
	m->procfs[m->procfs_len] = '\0';
}

static void procfs_report(struct machine *m, struct thread *t, struct core *c, uint32_t file)
{
	char when[40];
	snprintf(when, sizeof when, "cycle %llu", (unsigned long long)c->clock);
	procfs_add(m, t->proc, file, when);
}

/* --procfs: maps, smaps_rollup and status of process p (when it has an mm). */
static void procfs_views(struct machine *m, struct process *p, const char *when)
{
	if (!m->procfs_views || !p->mm)
		return;
	for (uint32_t f = PROCFS_MAPS; f <= PROCFS_STATUS; f++)
		procfs_add(m, p, f, when);
}

void machine_set_procfs_views(struct machine *m, bool on) { m->procfs_views = on; }

/* brk, madvise, mlock/munlock, sysctl, procfs. A failing call kills the
 * process (as mmap's does): the trace asked for something that cannot be. */
static void op_vm(struct machine *m, struct thread *t, struct core *c, const struct op *op)
{
	struct mm *mm = t->proc->mm;
	char why[96];
	vaddr_t va = 0;
	int rc = 0;
	switch (op->kind) {
	case OP_BRK: {
		vaddr_t want = op->prot ? mm->brk - op->len : mm->brk + op->len;
		if (!mm->start_brk) {
			kill_process(m, t, c, "brk in a process without a \"layout\"");
			return;
		}
		if ((op->prot && op->len > mm->brk - mm->start_brk) ||
		    kmm_brk(m->kmm, mm, c, want) != want) {
			kill_process(m, t, c, "brk failed (ENOMEM)");
			return;
		}
		break;
	}
	case OP_MADVISE:
	case OP_MLOCK:
		if (!resolve(m, t, c, &op->addr, &va))
			return;
		rc = op->kind == OP_MADVISE ? kmm_madvise(m->kmm, mm, c, va, op->len, (int)op->other)
					    : kmm_mlock(m->kmm, mm, c, va, op->len, !op->prot);
		if (rc) {
			snprintf(why, sizeof why, "%s failed (errno %d)",
				 op->kind == OP_MADVISE ? "madvise" : op->prot ? "munlock" : "mlock",
				 -rc);
			kill_process(m, t, c, why);
			return;
		}
		break;
	case OP_SYSCTL:
		c->clock += m->cfg.kernel.cost.syscall;
		thp_init(m->kmm);
		if (op->other == SYSCTL_THP_ENABLED)
			m->kmm->thp_enabled = (uint32_t)op->value;
		else
			m->kmm->thp_defrag = (uint32_t)op->value;
		break;
	case OP_PROCFS:
		c->clock += m->cfg.kernel.cost.syscall;
		procfs_report(m, t, c, op->other);
		break;
	default:
		break;
	}
	run_check(m);
	t->pc++;
}

static void op_mmap(struct machine *m, struct thread *t, struct core *c, const struct op *op)
{
	vaddr_t hint = 0;
	if ((op->addr.region >= 0 || op->addr.off) && !resolve(m, t, c, &op->addr, &hint))
		return;
	int64_t r = op->other ? kmm_mmap_file(m->kmm, t->proc->mm, c, hint, op->len, op->prot,
					      (uint32_t)op->count, op->other, op->value,
					      op->count & TRACE_MAP_SHARED)
			      : kmm_mmap(m->kmm, t->proc->mm, c, hint, op->len, op->prot,
					 (uint32_t)op->count);
	run_check(m);
	if (r < 0) {
		char why[64];
		snprintf(why, sizeof(why), "mmap failed (errno %lld)", (long long)-r);
		kill_process(m, t, c, why);
		return;
	}
	if (op->region >= 0) {
		t->proc->region_base[op->region] = (vaddr_t)r;
		t->proc->region_mapped[op->region] = true;
	}
	t->pc++;
}

static void op_munmap(struct machine *m, struct thread *t, struct core *c, const struct op *op)
{
	vaddr_t va;
	if (!resolve(m, t, c, &op->addr, &va))
		return;
	int r = kmm_munmap(m->kmm, t->proc->mm, c, va, op->len);
	run_check(m);
	if (r < 0) {
		char why[64];
		snprintf(why, sizeof(why), "munmap failed (errno %d)", -r);
		kill_process(m, t, c, why);
		return;
	}
	t->pc++;
}

/* mremap: a region named by the op's address (no offset) follows the
 * mapping to its new place. */
static void op_mremap(struct machine *m, struct thread *t, struct core *c, const struct op *op)
{
	vaddr_t va;
	if (!resolve(m, t, c, &op->addr, &va))
		return;
	int64_t r = kmm_mremap(m->kmm, t->proc->mm, c, va, op->count, op->len, op->other,
			       (vaddr_t)op->value);
	run_check(m);
	if (r < 0) {
		char why[64];
		snprintf(why, sizeof(why), "mremap failed (errno %lld)", (long long)-r);
		kill_process(m, t, c, why);
		return;
	}
	if (op->addr.region >= 0 && op->addr.off == 0)
		t->proc->region_base[op->addr.region] = (vaddr_t)r;
	t->pc++;
}

static void op_mprotect(struct machine *m, struct thread *t, struct core *c,
			const struct op *op)
{
	vaddr_t va;
	if (!resolve(m, t, c, &op->addr, &va))
		return;
	int r = kmm_mprotect(m->kmm, t->proc->mm, c, va, op->len, op->prot);
	run_check(m);
	if (r < 0) {
		char why[64];
		snprintf(why, sizeof(why), "mprotect failed (errno %d)", -r);
		kill_process(m, t, c, why);
		return;
	}
	t->pc++;
}

static void op_read_write(struct machine *m, struct thread *t, struct core *c,
			  const struct op *op)
{
	vaddr_t va;
	if (!resolve(m, t, c, &op->addr, &va))
		return;
	bool write = op->kind == OP_WRITE;
	uint64_t v = op->value;
	bool data = write ? (op->flags & OPF_VALUE) : (op->flags & OPF_EXPECT);
	uint32_t acc = PF_U | (write ? PF_W : op->kind == OP_FETCH ? PF_I : 0);
	if (!access(m, t, c, va, op->size, acc, data ? &v : NULL))
		return;
	if (!write && data && v != op->value) {
		m->mismatches++;
		event(m, "value mismatch: process %s thread %u op %u read %#llx at %#llx, "
		      "expected %#llx\n", t->proc->tp->name, t->index, t->pc,
		      (unsigned long long)v, (unsigned long long)va,
		      (unsigned long long)op->value);
	}
	t->pc++;
}

/* ----------------------------------------------------------------- files */

/* Copy n bytes between a user buffer at uva and the page-cache frame pfn
 * from offset poff (copy_to_user() for a read, copy_from_user() for a
 * write): one user access and one kernel access per cache line, through
 * the core's memory port, and the bytes themselves. False if the process
 * was killed (a bad buffer). */
static bool copy_user_page(struct machine *m, struct thread *t, struct core *c, vaddr_t uva,
			   uint64_t pfn, uint64_t poff, uint64_t n, bool to_user)
{
	uint32_t acc = PF_U | (to_user ? PF_W : 0);
	for (uint64_t i = 0; i < n; ) {
		vaddr_t va = uva + i;
		uint64_t piece = 64 - (va & 63), kleft = 64 - ((poff + i) & 63);
		if (kleft < piece)
			piece = kleft;
		if (piece > n - i)
			piece = n - i;
		paddr_t upa;
		if (va + piece > m->kmm->user_va_end) {
			access_gp(m, t, c, va);
			return false;
		}
		if (!translate(m, t, c, va, acc, &upa))
			return false;
		core_data(c, upa, acc);
		paddr_t kpa = ((paddr_t)pfn << PAGE_SHIFT) + poff + i;
		c->clock += memsys_access(m->ms, c->id, kpa, MEM_KERNEL, !to_user, c->clock);
		uint8_t *u = physmem_frame_rw(&m->ms->pm, upa >> PAGE_SHIFT) + (upa & ~PAGE_MASK);
		uint8_t *kb = physmem_frame_rw(&m->ms->pm, pfn) + poff + i;
		memcpy(to_user ? u : kb, to_user ? kb : u, piece);
		i += piece;
	}
	return true;
}

/* read()/write() at an offset (pread64/pwrite64): the page cache's side is
 * kernel/mm/filemap.c's; a read stops at the end of the file. */
static void op_file_rw(struct machine *m, struct thread *t, struct core *c, const struct op *op)
{
	struct kmm *k = m->kmm;
	uint32_t id = op->other + 1;
	vaddr_t buf;
	if (!resolve(m, t, c, &op->addr, &buf))
		return;
	bool write = op->kind == OP_FILE_WRITE;
	kfile_rw_enter(k, c, write);
	uint64_t off = op->value, len = op->len, size = kfile_size(k, id);
	if (!write)
		len = off >= size ? 0 : off + len > size ? size - off : len;
	uint64_t last = len ? (off + len - 1) >> PAGE_SHIFT : 0;
	for (uint64_t done = 0; done < len; ) {
		uint64_t fo = off + done, index = fo >> PAGE_SHIFT, poff = fo & ~PAGE_MASK;
		uint64_t n = PAGE_SIZE - poff < len - done ? PAGE_SIZE - poff : len - done;
		int64_t pfn = write ? kfile_write_begin(k, c, id, index, poff == 0 && n == PAGE_SIZE)
				    : kfile_read_page(k, c, id, index, last - index + 1);
		if (pfn < 0) {
			k->oom_kills++;
			kill_process(m, t, c, "out of memory for the page cache");
			return;
		}
		if (!copy_user_page(m, t, c, buf + done, (uint64_t)pfn, poff, n, !write))
			return;
		if (write) {
			kfile_write_end(k, c, id, (uint64_t)pfn, fo + n);
			/* balance_dirty_pages_ratelimited(): every 32 pages */
			if (((fo + n) >> PAGE_SHIFT) % 32 == 0)
				balance_dirty_pages(k, c, id);
		}
		done += n;
	}
	kfile_rw_exit(k);
	if (write)
		balance_dirty_pages(k, c, id);
	run_check(m);
	t->pc++;
}

static void op_file(struct machine *m, struct thread *t, struct core *c, const struct op *op)
{
	if (op->kind == OP_FSYNC)
		kfile_fsync(m->kmm, c, op->other + 1);
	else
		kfile_fadvise(m->kmm, c, op->other + 1, op->value, op->len, op->prot);
	run_check(m);
	t->pc++;
}

/* The trace's files, on the disk before the run starts. */
static int create_files(struct machine *m, char *err)
{
	static const enum kfile_content how[] = { KFILE_OFFSET, KFILE_SEED, KFILE_HOST };
	for (uint32_t i = 0; i < m->tr->nfiles; i++) {
		const struct trace_file *f = &m->tr->files[i];
		char why[MMSIM_ERR_LEN];
		if (kfile_create(m->kmm, f->name, f->size, how[f->content], f->seed, f->path,
				 why) < 0)
			return errf(err, "%s: files[%u]: %s", m->tr->path, i, why);
	}
	return 0;
}

/* ------------------------------------------------------------------- DMA */

/* Run-time state of one trace DMA handle (trace.dma_handles). */
struct dma_handle_rt {
	int dev;                /* device that mapped it */
	bool mapped, ever;      /* live now; was ever mapped (stale use allowed) */
	bool coherent;          /* from dma_alloc (pfn, order) */
	bool pinned;            /* a process buffer: its pages are pinned while mapped */
	bool single;            /* a kmalloc'd object: dma_map_single() */
	uint8_t dir;            /* enum trace_dma_dir */
	unsigned order;
	int64_t pfn;
	struct dma_sg *sg;      /* the pieces and their bus addresses */
	int nsg;
};

/* The IOMMU, the kernel's DMA layer and the trace's devices (only when the
 * trace declares devices, so other runs' stats are unchanged). */
static int machine_dma_init(struct machine *m, char *err)
{
	const struct trace *tr = m->tr;
	if (!tr->ndevices)
		return 0;
	m->io = iommu_create(&m->cfg, m->ms);
	iommu_stats(m->io, m->st);
	m->kd = kdma_create(m->kmm, m->io, m->cores[0], m->st);
	m->dh = calloc(tr->nhandles ? tr->nhandles : 1, sizeof(*m->dh));
	if (!m->kd || !m->dh)
		return errf(err, "%s: out of guest memory for the IOMMU tables", tr->path);
	for (uint32_t i = 0; i < tr->ndevices; i++) {
		const struct trace_device *d = &tr->devices[i];
		if (dma_add_device_at(m->kd, m->cores[0], d->name, d->mask_bits, d->behind_iommu,
				      d->sid, m->st) < 0)
			return errf(err, "%s: out of guest memory attaching device %s", tr->path,
				    d->name);
	}
	return 0;
}

static void machine_dma_fini(struct machine *m)
{
	if (!m->kd) {
		iommu_destroy(m->io);
		free(m->dh);
		return;
	}
	struct core *c = m->cores[0];
	for (uint32_t i = 0; m->dh && i < m->tr->nhandles; i++) {
		struct dma_handle_rt *h = &m->dh[i];
		if (h->mapped && h->coherent)
			dma_free_coherent(m->kd, c, h->dev, h->order, (uint64_t)h->pfn,
					  h->sg[0].dma_addr);
		else if (h->mapped && h->single)
			dma_unmap_single(m->kd, c, h->dev, h->sg[0].dma_addr, h->sg[0].len,
					 (enum dma_data_direction)h->dir);
		else if (h->mapped)
			dma_unmap_sg(m->kd, c, h->dev, h->sg, h->nsg, (enum dma_data_direction)h->dir);
		if (h->mapped && h->pinned)
			dma_unpin_user_sg(m->kd, c, h->sg, h->nsg, h->dir != TRACE_DMA_TO_DEVICE);
		free(h->sg);
	}
	kdma_destroy(m->kd, c);
	iommu_destroy(m->io);
	free(m->dh);
}

static const char *dma_handle_name(const struct machine *m, uint32_t h)
{
	return m->tr->dma_handles[h] + 1;
}

/* dma_map of a kernel object: a kmalloc'd one (direct map) with
 * dma_map_single(), a vmalloc'd one page by page with dma_map_sg(). False
 * if the process was killed (no such object, or the range leaves it). */
static bool map_kobj(struct machine *m, struct thread *t, struct core *c, const struct op *op,
		     struct dma_handle_rt *h)
{
	const struct kvar *v = &m->kvar[op->region];
	const char *name = m->tr->kobjs[op->region];
	char why[160];
	if (op->stride >= v->n || !v->va[op->stride]) {
		snprintf(why, sizeof why, "dma_map of \"%s\"[%llu]: the variable holds %s", name,
			 (unsigned long long)op->stride,
			 op->stride >= v->n ? "fewer objects" : "NULL (a failed allocation)");
		kill_process(m, t, c, why);
		return false;
	}
	vaddr_t kva = v->va[op->stride] + op->addr.off;
	bool vmalloced = is_vmalloc_addr(m->kmm, v->va[op->stride]);
	uint64_t room = vmalloced ? UINT64_MAX : ksize(m->kmm, v->va[op->stride]);
	h->sg = calloc(op->len / PAGE_SIZE + 2, sizeof(*h->sg));
	int n = room >= op->addr.off + op->len ? dma_kernel_sg(m->kd, c, kva, op->len, h->sg) : -1;
	if (n < 0) {
		snprintf(why, sizeof why, "dma_map of \"%s\"[%llu]+%llu, %llu bytes: not inside "
			 "the object", name, (unsigned long long)op->stride,
			 (unsigned long long)op->addr.off, (unsigned long long)op->len);
		kill_process(m, t, c, why);
		return false;
	}
	h->nsg = n;
	enum dma_data_direction dir = (enum dma_data_direction)op->prot;
	if (!vmalloced) {
		h->single = true;
		h->sg[0].dma_addr = dma_map_single(m->kd, c, h->dev, h->sg[0].pa, op->len, dir);
		h->mapped = h->sg[0].dma_addr != DMA_MAPPING_ERROR;
	} else {
		h->mapped = dma_map_sg(m->kd, c, h->dev, h->sg, n, dir) == n;
	}
	h->ever = h->mapped;
	return true;
}

static void op_dma_map(struct machine *m, struct thread *t, struct core *c, const struct op *op)
{
	struct dma_handle_rt *h = &m->dh[op->other];
	char why[160];
	if (h->mapped) {
		snprintf(why, sizeof why, "dma_map: handle \"%s\" is already mapped",
			 dma_handle_name(m, op->other));
		kill_process(m, t, c, why);
		return;
	}
	free(h->sg);
	*h = (struct dma_handle_rt){ .dev = (int)op->count, .dir = op->prot };
	if (op->kind == OP_DMA_ALLOC) {
		unsigned order = 0;
		while ((PAGE_SIZE << order) < op->len)
			order++;
		h->sg = calloc(1, sizeof(*h->sg));
		uint64_t handle = 0;
		int64_t pfn = dma_alloc_coherent(m->kd, c, h->dev, order, &handle);
		if (pfn >= 0) {
			h->sg[0] = (struct dma_sg){ (paddr_t)pfn << PAGE_SHIFT, op->len, handle };
			h->nsg = 1, h->pfn = pfn, h->order = order;
			h->mapped = h->ever = h->coherent = true;
		}
	} else if (op->flags & OPF_INDEX) {
		if (!map_kobj(m, t, c, op, h))
			return;
	} else {
		vaddr_t va;
		if (!resolve(m, t, c, &op->addr, &va))
			return;
		h->sg = calloc(op->len / PAGE_SIZE + 2, sizeof(*h->sg));
		int n = dma_user_sg(m->kd, c, t->proc->mm, va, op->len,
				    op->prot != TRACE_DMA_TO_DEVICE, h->sg);
		run_check(m);
		if (n < 0) {
			snprintf(why, sizeof why, "dma_map: the buffer at %#llx cannot be faulted in",
				 (unsigned long long)va);
			kill_process(m, t, c, why);
			return;
		}
		h->nsg = n;
		if (dma_map_sg(m->kd, c, h->dev, h->sg, n, (enum dma_data_direction)op->prot) == n)
			h->mapped = h->ever = h->pinned = true;
		else
			dma_unpin_user_sg(m->kd, c, h->sg, n, false);
	}
	if (!h->mapped)
		event(m, "dma: mapping \"%s\" for %s failed (op %u of process %s)\n",
		      dma_handle_name(m, op->other), m->tr->devices[op->count].name, t->pc,
		      t->proc->tp->name);
	t->pc++;
}

static void op_dma_unmap(struct machine *m, struct thread *t, struct core *c,
			 const struct op *op)
{
	struct dma_handle_rt *h = &m->dh[op->other];
	bool want_coherent = op->kind == OP_DMA_FREE;
	if (!h->mapped || h->coherent != want_coherent) {
		char why[160];
		snprintf(why, sizeof why, "%s: handle \"%s\" is not %s",
			 want_coherent ? "dma_free" : "dma_unmap", dma_handle_name(m, op->other),
			 want_coherent ? "from a live dma_alloc" : "a live dma_map");
		kill_process(m, t, c, why);
		return;
	}
	if (h->coherent)
		dma_free_coherent(m->kd, c, h->dev, h->order, (uint64_t)h->pfn, h->sg[0].dma_addr);
	else if (h->single)
		dma_unmap_single(m->kd, c, h->dev, h->sg[0].dma_addr, h->sg[0].len,
				 (enum dma_data_direction)h->dir);
	else
		dma_unmap_sg(m->kd, c, h->dev, h->sg, h->nsg, (enum dma_data_direction)h->dir);
	if (h->pinned)      /* unpin_user_pages_dirty_lock() after the unmap */
		dma_unpin_user_sg(m->kd, c, h->sg, h->nsg, h->dir != TRACE_DMA_TO_DEVICE);
	h->mapped = false;
	t->pc++;
}

static void op_dma_sync(struct machine *m, struct thread *t, struct core *c,
			const struct op *op)
{
	struct dma_handle_rt *h = &m->dh[op->other];
	for (int i = 0; h->mapped && !h->coherent && i < h->nsg; i++) {
		if (op->prot)
			dma_sync_single_for_device(m->kd, c, h->dev, h->sg[i].dma_addr, h->sg[i].len,
						   (enum dma_data_direction)h->dir);
		else
			dma_sync_single_for_cpu(m->kd, c, h->dev, h->sg[i].dma_addr, h->sg[i].len,
						(enum dma_data_direction)h->dir);
	}
	t->pc++;
}

/* One transfer of dev at bus address addr; false if it faulted (logged). */
static bool dma_piece(struct machine *m, struct core *c, const struct op *op, uint64_t addr,
		      uint64_t len, uint8_t *buf)
{
	struct iodev *d = &m->kd->dev[op->count].hw;
	bool write = op->prot == TRACE_DMA_FROM_DEVICE;
	cycles_t cyc;
	uint64_t done;
	enum iommu_fault_reason r = dma_xfer(m->io, d, addr, len, write, buf,
					     m->cfg.iommu.bandwidth, c->clock, &cyc, &done);
	c->clock += cyc;
	if (r == IOF_NONE)
		return true;
	event(m, "DMA fault: device %s %s at bus address %#llx blocked (%s)\n", d->name,
	      write ? "write" : "read", (unsigned long long)(addr + done), iommu_fault_name[r]);
	return false;
}

static void op_dma_xfer(struct machine *m, struct thread *t, struct core *c,
			const struct op *op)
{
	uint8_t *buf = NULL;
	if (op->flags & (OPF_VALUE | OPF_EXPECT)) {
		buf = malloc(op->len ? op->len : 1);
		if (!buf)
			abort();
		for (uint64_t i = 0; i < op->len; i += 8)
			memcpy(buf + i, &op->value, 8);
	}
	bool ok = true;
	if (op->other == UINT32_MAX) {
		ok = dma_piece(m, c, op, op->addr.off, op->len, buf);
	} else {
		struct dma_handle_rt *h = &m->dh[op->other];
		if (!h->ever) {
			char why[160];
			snprintf(why, sizeof why, "dma: handle \"%s\" used before any dma_map",
				 dma_handle_name(m, op->other));
			free(buf);
			kill_process(m, t, c, why);
			return;
		}
		/* the pieces of [offset, offset + len) in the handle's segments (a stale
		 * handle keeps its old bus addresses: the device does not know) */
		uint64_t off = op->addr.off, left = op->len, pos = 0, base = 0;
		for (int i = 0; ok && left && i < h->nsg; i++) {
			uint64_t seg = h->sg[i].len;
			if (off < base + seg) {
				uint64_t in = off - base, n = seg - in < left ? seg - in : left;
				ok = dma_piece(m, c, op, h->sg[i].dma_addr + in, n, buf ? buf + pos : NULL);
				off += n, left -= n, pos += n;
			}
			base += seg;
		}
		if (ok && left)
			event(m, "dma: %llu bytes past the end of handle \"%s\" not moved\n",
			      (unsigned long long)left, dma_handle_name(m, op->other));
	}
	if (ok && (op->flags & OPF_EXPECT)) {
		for (uint64_t i = 0; i < op->len; i += 8) {
			uint64_t v;
			memcpy(&v, buf + i, 8);
			if (v == op->value)
				continue;
			m->mismatches++;
			event(m, "value mismatch: DMA read by %s got %#llx at byte %llu, expected "
			      "%#llx\n", m->tr->devices[op->count].name, (unsigned long long)v,
			      (unsigned long long)i, (unsigned long long)op->value);
			break;
		}
	}
	free(buf);
	t->pc++;
}

/* ------------------------------------------------- kernel-allocator ops */

static const char *const kop_name[] = {
	[OP_KMEM_CACHE_CREATE] = "kmem_cache_create", [OP_KMEM_CACHE_DESTROY] = "kmem_cache_destroy",
	[OP_KMEM_CACHE_SHRINK] = "kmem_cache_shrink", [OP_KMEM_CACHE_ALLOC] = "kmem_cache_alloc",
	[OP_KMALLOC] = "kmalloc", [OP_VMALLOC] = "vmalloc", [OP_KFREE] = "free",
	[OP_KREAD] = "kread", [OP_KWRITE] = "kwrite",
};

/* The allocators' debug reports, one event line each, with the op. */
static void kmem_events(struct machine *m, struct thread *t, const struct op *op, uint32_t pc)
{
	const char *r = kmem_take_reports(m->kmm);
	while (*r) {
		const char *nl = strchr(r, '\n');
		int len = nl ? (int)(nl - r) : (int)strlen(r);
		event(m, "kernel: process %s thread %u op %u (%s): %.*s\n", t->proc->tp->name,
		      t->index, pc, kop_name[op->kind], len, r);
		r += len + (nl != NULL);
	}
}

static struct kmem_cache *kcache_of(struct machine *m, const struct op *op)
{
	if (!m->kcache[op->other])
		m->kcache[op->other] = kmem_cache_find(m->kmm, m->tr->kcaches[op->other]);
	return m->kcache[op->other];
}

/* One object of an allocation op; false if the process was killed. */
static bool kalloc_one(struct machine *m, struct thread *t, struct core *c, const struct op *op)
{
	struct kvar *v = &m->kvar[op->region];
	gfp_t gfp = GFP_KERNEL | (op->flags & OPF_ZERO ? __GFP_ZERO : 0);
	vaddr_t p = 0;
	if (t->kdone == 0)
		v->n = 0;       /* the variable takes the new objects */
	if (op->kind == OP_KMEM_CACHE_ALLOC) {
		struct kmem_cache *s = kcache_of(m, op);
		if (!s) {
			char why[96];
			snprintf(why, sizeof(why), "kmem_cache_alloc from \"%s\": no such cache",
				 m->tr->kcaches[op->other]);
			kill_process(m, t, c, why);
			return false;
		}
		p = kmem_cache_alloc(m->kmm, c, s, gfp);
	} else if (op->kind == OP_KMALLOC) {
		p = kmalloc(m->kmm, c, op->len, gfp);
	} else if (op->prot) {
		p = kvmalloc(m->kmm, c, op->len, gfp);
	} else {
		p = op->flags & OPF_ZERO ? vzalloc(m->kmm, c, op->len) : vmalloc(m->kmm, c, op->len);
	}
	if (!p) {
		m->kalloc_fail++;
		event(m, "kernel: process %s thread %u op %u: %s of %llu bytes failed (out of "
		      "memory); \"%s\"[%llu] is NULL\n", t->proc->tp->name, t->index, t->pc,
		      kop_name[op->kind], (unsigned long long)op->len, m->tr->kobjs[op->region],
		      (unsigned long long)t->kdone);
	}
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 8;
		v->va = realloc(v->va, v->cap * sizeof(*v->va));
		if (!v->va)
			abort();
	}
	v->va[v->n++] = p;
	return true;
}

static void kfree_one(struct machine *m, struct thread *t, struct core *c, const struct op *op,
		      vaddr_t p)
{
	(void)t;
	if (op->prot == 1)
		vfree(m->kmm, c, p);
	else if (op->prot == 2)
		kvfree(m->kmm, c, p);
	else if (op->other != UINT32_MAX && kcache_of(m, op))
		kmem_cache_free(m->kmm, c, kcache_of(m, op), p);
	else
		kfree(m->kmm, c, p);
}

/* kread/kwrite: a kernel-mode access through the MMU; a fault is an oops,
 * reported, and the thread goes on. */
static void kaccess(struct machine *m, struct thread *t, struct core *c, const struct op *op)
{
	struct kvar *v = &m->kvar[op->region];
	const char *name = m->tr->kobjs[op->region];
	if (op->stride >= v->n) {
		char why[128];
		snprintf(why, sizeof(why), "%s of \"%s\"[%llu]: the variable holds %u object%s",
			 kop_name[op->kind], name, (unsigned long long)op->stride, v->n,
			 v->n == 1 ? "" : "s");
		kill_process(m, t, c, why);
		return;
	}
	bool write = op->kind == OP_KWRITE;
	bool data = write ? (op->flags & OPF_VALUE) : (op->flags & OPF_EXPECT);
	vaddr_t va = v->va[op->stride] + op->addr.off;
	uint64_t val = op->value;
	m->accesses++;
	uint32_t code = v->va[op->stride] ? kmem_access(m->kmm, c, va, op->size, write,
							 data ? &val : NULL, true)
					  : PF_RAISED;
	if (code) {
		m->koops++;
		event(m, "kernel oops: process %s thread %u op %u: %s of \"%s\"[%llu]+%llu at "
		      "%#llx faults (error code %#x); op skipped\n", t->proc->tp->name, t->index,
		      t->pc, kop_name[op->kind], name, (unsigned long long)op->stride,
		      (unsigned long long)op->addr.off, (unsigned long long)va, code & ~PF_RAISED);
	} else if (!write && data && val != op->value) {
		m->mismatches++;
		event(m, "value mismatch: process %s thread %u op %u kread %#llx at \"%s\"[%llu]"
		      "+%llu, expected %#llx\n", t->proc->tp->name, t->index, t->pc,
		      (unsigned long long)val, name, (unsigned long long)op->stride,
		      (unsigned long long)op->addr.off, (unsigned long long)op->value);
	}
	t->pc++;
}

/* The page-allocator ops (kernel/mm/pageops.c, docs/phys-mm.md). A failed
 * alloc_pages is an event and the name holds nothing; free_pages of a name
 * that holds nothing kills the process (a trace bug, like a double free). */
static void op_pages(struct machine *m, struct thread *t, struct core *c, const struct op *op)
{
	struct kmm *k = m->kmm;
	int nid = op->other == UINT32_MAX ? -1 : (int)op->other;
	switch (op->kind) {
	case OP_ALLOC_PAGES:
		if (kmm_op_alloc_pages(k, c, (uint32_t)op->region, (unsigned)op->count,
				       (gfp_t)op->value, nid) < 0)
			event(m, "kernel: process %s thread %u op %u: alloc_pages \"%s\" of order "
			      "%llu failed (out of memory)\n", t->proc->tp->name, t->index, t->pc,
			      m->tr->kobjs[op->region], (unsigned long long)op->count);
		break;
	case OP_FREE_PAGES:
		if (kmm_op_free_pages(k, c, (uint32_t)op->region) < 0) {
			char why[96];
			snprintf(why, sizeof(why), "free_pages of \"%s\", which holds no pages",
				 m->tr->kobjs[op->region]);
			kill_process(m, t, c, why);
			return;
		}
		break;
	case OP_COMPACT:
		kmm_op_compact(k, c, nid);
		break;
	case OP_CMA_ALLOC:
		if (kmm_op_cma_alloc(k, c, (uint32_t)op->region, op->count, op->prot) < 0)
			event(m, "kernel: process %s thread %u op %u: cma_alloc \"%s\" of %llu "
			      "frames failed\n", t->proc->tp->name, t->index, t->pc,
			      m->tr->kobjs[op->region], (unsigned long long)op->count);
		break;
	case OP_CMA_RELEASE:
		if (kmm_op_cma_release(k, c, (uint32_t)op->region) < 0) {
			char why[96];
			snprintf(why, sizeof(why), "cma_release of \"%s\", which holds no CMA "
				 "pages", m->tr->kobjs[op->region]);
			kill_process(m, t, c, why);
			return;
		}
		break;
	case OP_DROP_CACHES:
		kmm_op_drop_caches(k, c, (unsigned)op->count);
		break;
	case OP_SNAPSHOT: {
		kmm_op_snapshot(k, m->st, (uint32_t)op->region, m->tr->kobjs[op->region]);
		char when[64];
		snprintf(when, sizeof when, "at snapshot %s", m->tr->kobjs[op->region]);
		for (uint32_t i = 0; i < m->tr->nprocs; i++)
			procfs_views(m, &m->procs[i], when);
		break;
	}
	case OP_SET_MEMPOLICY:
		t->proc->mm->mpol = (struct mempolicy){ .mode = op->prot,
							.nodes = (uint16_t)op->value };
		break;
	case OP_MBIND: {
		vaddr_t va;
		if (!resolve(m, t, c, &op->addr, &va))
			return;
		int r = kmm_mbind(k, t->proc->mm, va, op->len, op->prot, (uint16_t)op->value);
		if (r < 0) {
			char why[64];
			snprintf(why, sizeof(why), "mbind failed (errno %d)", -r);
			kill_process(m, t, c, why);
			return;
		}
		break;
	}
	default:
		break;
	}
	run_check(m);
	t->pc++;
}

/* The kernel-allocator ops. Allocations and frees of several objects take
 * one step per object (t->kdone counts them), so cores interleave. */
static void op_kmem(struct machine *m, struct thread *t, struct core *c, const struct op *op)
{
	struct kmm *k = m->kmm;
	char err[MMSIM_ERR_LEN];
	uint32_t pc = t->pc;
	switch (op->kind) {
	case OP_KMEM_CACHE_CREATE: {
		struct kmem_cache *s = kmem_cache_create(k, m->tr->kcaches[op->other],
							 (uint32_t)op->len, (uint32_t)op->stride,
							 (uint32_t)op->value, err);
		if (!s) {
			kill_process(m, t, c, err);
			return;
		}
		kmem_cache_set_ctor(s, op->count);
		m->kcache[op->other] = s;
		t->pc++;
		break;
	}
	case OP_KMEM_CACHE_DESTROY:
	case OP_KMEM_CACHE_SHRINK: {
		struct kmem_cache *s = kcache_of(m, op);
		if (!s) {
			snprintf(err, sizeof(err), "%s of \"%s\": no such cache",
				 kop_name[op->kind], m->tr->kcaches[op->other]);
			kill_process(m, t, c, err);
			return;
		}
		if (op->kind == OP_KMEM_CACHE_SHRINK) {
			kmem_cache_shrink(k, c, s);
		} else {
			kmem_cache_destroy(k, c, s);
			m->kcache[op->other] = NULL;
		}
		t->pc++;
		break;
	}
	case OP_KMEM_CACHE_ALLOC:
	case OP_KMALLOC:
	case OP_VMALLOC:
		if (!kalloc_one(m, t, c, op))
			return;
		if (++t->kdone == op->count) {
			t->kdone = 0;
			t->pc++;
		}
		break;
	case OP_KFREE: {
		struct kvar *v = &m->kvar[op->region];
		uint64_t n = op->flags & OPF_INDEX ? 1 : op->count ? op->count : v->n;
		uint64_t i = op->flags & OPF_INDEX ? op->addr.off : t->kdone;
		if (i >= v->n) {
			snprintf(err, sizeof(err), "%s of \"%s\"[%llu]: the variable holds %u "
				 "object%s", kop_name[op->kind], m->tr->kobjs[op->region],
				 (unsigned long long)i, v->n, v->n == 1 ? "" : "s");
			kill_process(m, t, c, err);
			return;
		}
		kfree_one(m, t, c, op, v->va[i]);
		if (++t->kdone >= n) {
			t->kdone = 0;
			t->pc++;
		}
		break;
	}
	case OP_KREAD:
	case OP_KWRITE:
		kaccess(m, t, c, op);
		break;
	default:
		break;
	}
	kmem_events(m, t, op, pc);
	if (!t->kdone)
		run_check(m);
}

/* Execute one step of thread t on core c. */
static void thread_step(struct machine *m, struct thread *t, struct core *c)
{
	if (t->pat_left) {
		pattern_step(m, t, c, &t->ops[t->pc]);
		return;
	}
	if (t->rt) {
		replay_step(m, t, c, &t->ops[t->pc]);
		return;
	}
	if (t->pc >= t->nops) {
		thread_exit(m, t, c);
		return;
	}
	const struct op *op = &t->ops[t->pc];
	m->ops++;
	switch (op->kind) {
	case OP_MMAP:   op_mmap(m, t, c, op); break;
	case OP_MUNMAP: op_munmap(m, t, c, op); break;
	case OP_MPROTECT: op_mprotect(m, t, c, op); break;
	case OP_MREMAP: op_mremap(m, t, c, op); break;
	case OP_READ:
	case OP_FETCH:
	case OP_WRITE:  op_read_write(m, t, c, op); break;
	case OP_SEQ:
	case OP_STRIDE:
	case OP_RANDOM:
		if (!resolve(m, t, c, &op->addr, &t->pat_base))
			break;
		if (op->count == 0) {
			t->pc++;
			break;
		}
		start_pattern(m, t, op);
		pattern_step(m, t, c, op);
		break;
	case OP_REPEAT:
		if (op->count == 0) {
			t->pc = op->other + 1;
			break;
		}
		assert(t->nrep < REPEAT_DEPTH);
		t->rep[t->nrep].at = t->pc;
		t->rep[t->nrep++].left = op->count;
		t->pc++;
		break;
	case OP_END:
		assert(t->nrep > 0 && t->rep[t->nrep - 1].at == op->other);
		if (--t->rep[t->nrep - 1].left > 0)
			t->pc = op->other + 1;
		else
			t->nrep--, t->pc++;
		break;
	case OP_COMPUTE: {
		if (!t->compute_left)
			t->compute_left = op->count;
		uint64_t n = t->compute_left < COMPUTE_SLICE ? t->compute_left : COMPUTE_SLICE;
		c->clock += n;
		c->compute_cycles += n;
		t->compute_left -= n;
		if (!t->compute_left)
			t->pc++;
		m->ops -= t->compute_left != 0;   /* count the op once */
		break;
	}
	case OP_EXIT:
		thread_exit(m, t, c);
		break;
	case OP_SPAWN:
	case OP_JOIN:
	case OP_BARRIER:
	case OP_YIELD:
	case OP_SLEEP:
	case OP_MIGRATE:
		op_sched(m, t, c, op);
		break;
	case OP_REPLAY:
		replay_step(m, t, c, op);
		break;
	case OP_DMA_MAP:
	case OP_DMA_ALLOC:
		op_dma_map(m, t, c, op);
		break;
	case OP_DMA_UNMAP:
	case OP_DMA_FREE:
		op_dma_unmap(m, t, c, op);
		break;
	case OP_DMA_SYNC:
		op_dma_sync(m, t, c, op);
		break;
	case OP_DMA:
		op_dma_xfer(m, t, c, op);
		break;
	case OP_FORK:
		op_fork(m, t, c, op);
		break;
	case OP_EXEC:
		op_exec(m, t, c);
		break;
	case OP_BRK:
	case OP_MADVISE:
	case OP_MLOCK:
	case OP_SYSCTL:
	case OP_PROCFS:
		op_vm(m, t, c, op);
		break;
	case OP_KMEM_CACHE_CREATE:
	case OP_KMEM_CACHE_DESTROY:
	case OP_KMEM_CACHE_SHRINK:
	case OP_KMEM_CACHE_ALLOC:
	case OP_KMALLOC:
	case OP_VMALLOC:
	case OP_KFREE:
	case OP_KREAD:
	case OP_KWRITE:
		op_kmem(m, t, c, op);
		m->ops -= t->kdone != 0;   /* a multi-object op counts once */
		break;
	case OP_ALLOC_PAGES:
	case OP_FREE_PAGES:
	case OP_COMPACT:
	case OP_CMA_ALLOC:
	case OP_CMA_RELEASE:
	case OP_DROP_CACHES:
	case OP_SNAPSHOT:
	case OP_SET_MEMPOLICY:
	case OP_MBIND:
		op_pages(m, t, c, op);
		break;
	case OP_FILE_READ:
	case OP_FILE_WRITE:
		op_file_rw(m, t, c, op);
		break;
	case OP_FSYNC:
	case OP_FADVISE:
		op_file(m, t, c, op);
		break;
	}
}

/* ------------------------------------------------------------ scheduling */

/* switch_to(): charge the switch; the kernel's switch_mm() loads CR3 when
 * the mm changes. */
static void switch_to(struct machine *m, struct core *c, struct runq *rq, struct thread *t)
{
	c->clock += m->cfg.cpu.context_switch;
	m->ctx_switches++;
	rq->slice_start = c->clock;
	struct mm *mm = t ? t->proc->mm : NULL;
	if (mm == rq->mm)
		return;
	switch_mm(m->kmm, c, mm);
	rq->mm = mm;
}

static bool live_thread(const struct thread *t)
{
	return t->started && !t->done && !t->blocked;
}

static bool runnable(const struct thread *t, cycles_t now)
{
	return live_thread(t) && t->wake_at <= now;
}

/* The thread core c runs next, after round-robin preemption; NULL if none.
 * If every live thread of the core sleeps, the core idles until the first
 * wakes. */
static struct thread *pick_thread(struct machine *m, struct core *c, struct runq *rq)
{
	if (!rq->n)
		return NULL;
	struct thread *cur = rq->t[rq->cur], *pick = NULL;
	bool expired = c->clock - rq->slice_start >= m->cfg.cpu.quantum;
	if (runnable(cur, c->clock) && !expired)
		pick = cur;
	for (uint32_t k = 1; k <= rq->n && !pick; k++) {
		uint32_t i = (rq->cur + k) % rq->n;
		if (runnable(rq->t[i], c->clock)) {
			rq->cur = i;
			pick = rq->t[i];
		}
	}
	if (!pick) {                       /* everyone sleeps: idle until one wakes */
		for (uint32_t k = 0; k < rq->n; k++)
			if (live_thread(rq->t[k]) && (!pick || rq->t[k]->wake_at < pick->wake_at))
				pick = rq->t[k];
		if (!pick)
			return NULL;
		/* idle until then; the caller re-sorts the cores by clock */
		c->idle_cycles += pick->wake_at - c->clock;
		c->clock = pick->wake_at;
		return NULL;
	}
	if (pick != cur || rq->mm != pick->proc->mm)
		switch_to(m, c, rq, pick);
	return pick;
}

static void count_live(struct machine *m)
{
	for (unsigned i = 0; i < m->cfg.cores; i++) {
		struct runq *rq = &m->rq[i];
		uint32_t live = 0;
		for (uint32_t k = 0; k < rq->n; k++)
			live += live_thread(rq->t[k]);
		if (rq->live && !live && rq->mm)
			switch_to(m, m->cores[i], rq, NULL);   /* idle: leave the mm */
		rq->live = live;
	}
}

static void rq_add(struct runq *rq, struct thread *t)
{
	rq->t = realloc(rq->t, (rq->n + 1) * sizeof(*rq->t));
	if (!rq->t)
		abort();
	rq->t[rq->n++] = t;
}

/* migrate: t leaves core c's run queue for core `to`'s, and goes on there
 * no earlier than now. */
static void migrate(struct machine *m, struct thread *t, struct core *c, unsigned to)
{
	struct runq *rq = &m->rq[c->id];
	uint32_t i = 0;
	while (rq->t[i] != t)
		i++;
	memmove(&rq->t[i], &rq->t[i + 1], (rq->n - i - 1) * sizeof(*rq->t));
	rq->n--;
	if (rq->cur >= rq->n)
		rq->cur = 0;
	rq->slice_start = c->clock - m->cfg.cpu.quantum;    /* pick afresh */
	t->core = to;
	rq_add(&m->rq[to], t);
	struct core *tc = m->cores[to];
	if (!m->rq[to].live && tc->clock < c->clock)
		tc->clock = c->clock;
	m->sched_events++;
}

/* No core can run, yet threads remain: they wait for something that will
 * never happen (a join on a thread blocked itself, a barrier some thread
 * never reaches, a spawn that never runs). Each such process is reported
 * and ended. */
static void report_deadlocks(struct machine *m)
{
	for (uint32_t i = 0; i < m->nthreads; i++) {
		struct thread *t = &m->threads[i];
		if (t->done || !t->proc->mm)
			continue;
		struct core *c = m->cores[t->core];
		event(m, "process %s: deadlock: thread %u %s forever\n", t->proc->tp->name,
		      t->index, !t->started ? "is never spawned, so waits" :
		      t->join_on ? "waits in a join" : "waits at a barrier");
		m->deadlocks++;
		t->proc->killed = true;
		process_end(m, t->proc, c);
	}
}

/* (clock, id) order: does core a act before core b? */
static bool before(const struct core *a, const struct core *b)
{
	return a->clock < b->clock || (a->clock == b->clock && a->id < b->id);
}

/* The cores with runnable threads as a binary min-heap in (clock, id)
 * order, so choosing the next core costs O(log cores). */
static void heap_down(struct core **h, unsigned n, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, min = i;
		if (l < n && before(h[l], h[min]))
			min = l;
		if (r < n && before(h[r], h[min]))
			min = r;
		if (min == i)
			return;
		struct core *t = h[i];
		h[i] = h[min];
		h[min] = t;
		i = min;
	}
}

static unsigned heap_build(struct machine *m)
{
	unsigned n = 0;
	for (unsigned i = 0; i < m->cfg.cores; i++)
		if (m->rq[i].live)
			m->heap[n++] = m->cores[i];
	for (unsigned i = n / 2; i-- > 0;)
		heap_down(m->heap, n, i);
	return n;
}

/* The core after the root in (clock, id) order: one of its children. */
static struct core *heap_second(struct core **h, unsigned n)
{
	if (n < 2)
		return NULL;
	if (n == 2 || before(h[1], h[2]))
		return h[1];
	return h[2];
}

/* khugepaged_tick() when it may have work: the same test it starts with,
 * inline, so that an access does not pay a call for it. */
static inline void khugepaged_maybe(struct kmm *k, struct core *c)
{
	if (c->clock >= k->khugepaged_next && k->thp_ready && k->thp_enabled != THP_NEVER)
		khugepaged_tick(k, c);
}

/* The scheduler-visible events since `events` was taken (see machine_run). */
static inline uint64_t event_count(const struct machine *m)
{
	return m->exits + m->kills + m->kmm->ipi_sent + m->sched_events;
}

/* The accesses of t's pattern op in a tight loop, for as long as each turn
 * of machine_run()'s loop would have done exactly this: pick t again (its
 * quantum not expired, or t alone on the core; nothing changed the run
 * queues), find no deferred
 * shootdown due, run one pattern step and khugepaged's and kswapd's ticks. Stops where
 * that loop would do something else: the pattern ends, core c passes
 * `next`, the quantum (with other threads queued) or a deferred-flush
 * deadline is reached, or an event
 * (exit, kill, IPI, scheduling change) happened — then it returns true, as
 * the loop's `changed`. The simulated results are those of the loop's
 * turns one by one (scripts/stats-identity.sh checks it). */
static bool pattern_run(struct machine *m, struct thread *t, struct core *c,
			const struct runq *rq, const struct core *next, uint64_t events)
{
	const struct op *op = &t->ops[t->pc];
	const cycles_t quantum = m->cfg.cpu.quantum;
	const cycles_t *deadline = &m->kmm->defer[c->id].deadline;
	/* pick_thread() keeps t while its quantum lasts, and after it when t is
	 * the core's only thread (the round-robin comes back to it) */
	while (t->pat_left && !m->check_failed && (!next || before(c, next)) &&
	       (rq->n == 1 || c->clock - rq->slice_start < quantum) && c->clock < *deadline) {
		pattern_step(m, t, c, op);
		khugepaged_maybe(m->kmm, c);
		if (c->clock >= m->kmm->writeback_next)
			writeback_tick(m->kmm, c);   /* as the loop's turn does */
		kswapd_maybe(m->kmm, c);
		if (event_count(m) != events || t->done)
			return true;
	}
	return false;
}

int machine_run(struct machine *m, char *err)
{
	m->check_err = err;
	count_live(m);
	unsigned n = heap_build(m);
	while (n) {
		/* Run the first core until it passes the second in (clock, id)
		 * order. Other cores' clocks only grow meanwhile (IPIs), so
		 * stopping at the second's old clock is exact. */
		struct core *c = m->heap[0], *next = heap_second(m->heap, n);
		struct runq *rq = &m->rq[c->id];
		uint64_t events = event_count(m);
		bool changed = false;
		do {
			struct thread *t = pick_thread(m, c, rq);
			if (!t) {
				changed = true;
				break;
			}
			if (c->clock >= m->kmm->defer[c->id].deadline)
				tlb_defer_run(m->kmm, c);  /* the tick of deferred shootdowns */
			thread_step(m, t, c);
			khugepaged_maybe(m->kmm, c);   /* its wake-up, when due */
			if (c->clock >= m->kmm->writeback_next)
				writeback_tick(m->kmm, c);   /* the flusher */
			kswapd_maybe(m->kmm, c);       /* woken by an allocation */
			if (m->observer && m->observer(m->observer_arg)) {
				m->stopped = true;   /* left mid-run: destroy only */
				return 0;
			}
			if (event_count(m) != events || t->done ||
			    (t->pat_left && !m->observer && pattern_run(m, t, c, rq, next, events))) {
				changed = true;  /* run queues or other clocks changed */
				break;
			}
		} while (!m->check_failed && (!next || before(c, next)));
		if (m->check_failed)
			return -1;
		if (changed) {
			count_live(m);
			n = heap_build(m);
		} else {
			heap_down(m->heap, n, 0);
		}
	}
	report_deadlocks(m);
	run_check_now(m);
	return m->check_failed ? -1 : 0;
}

/* ------------------------------------------------------------ build/free */

static int place_threads(struct machine *m, char *err)
{
	const struct trace *tr = m->tr;
	unsigned rr = 0;
	uint32_t n = 0;
	for (uint32_t p = 0; p < tr->nprocs; p++) {
		struct process *pr = &m->procs[p];
		pr->tp = &tr->procs[p];
		pr->index = p;
		pr->region_base = calloc(pr->tp->nregions + 1, sizeof(vaddr_t));
		pr->region_mapped = calloc(pr->tp->nregions + 1, sizeof(bool));
		for (uint32_t k = 0; k < pr->tp->nthreads; k++, n++) {
			const struct trace_thread *tt = &pr->tp->threads[k];
			struct thread *t = &m->threads[n];
			if (tt->cpu >= (int32_t)m->cfg.cores)
				return errf(err, "%s: processes[%u].threads[%u].cpu: core %d does "
					    "not exist (the config has %u cores)", tr->path, p, k,
					    tt->cpu, m->cfg.cores);
			t->ops = tt->ops;
			t->nops = tt->nops;
			t->proc = pr;
			t->index = k;
			pr->live++;
			for (uint32_t o = 0; o < tt->nops; o++)
				if (tt->ops[o].kind == OP_MIGRATE && tt->ops[o].other >= m->cfg.cores)
					return errf(err, "%s: processes[%u].threads[%u]: op %u migrates to "
						    "core %u, which does not exist (the config has %u "
						    "cores)", tr->path, p, k, o, tt->ops[o].other,
						    m->cfg.cores);
			t->started = !tt->spawned && pr->tp->parent < 0;
			t->core = tt->cpu >= 0 ? (unsigned)tt->cpu : rr++ % m->cfg.cores;
			rq_add(&m->rq[t->core], t);
		}
	}
	return 0;
}

/* Each process's mm is built at boot by the core of its first thread. */
static int create_mms(struct machine *m, char *err)
{
	for (uint32_t p = 0; p < m->tr->nprocs; p++) {
		struct process *pr = &m->procs[p];
		struct core *c = m->cores[0];
		if (pr->tp->parent >= 0)
			continue;       /* gets its mm from the fork */
		for (unsigned i = 0; i < m->cfg.cores; i++)
			for (uint32_t k = 0; k < m->rq[i].n; k++)
				if (m->rq[i].t[k]->proc == pr && c == m->cores[0])
					c = m->cores[i];
		pr->mm = mm_create(m->kmm, c);
		if (pr->mm)
			pr->mm->oom_score_adj = pr->tp->oom_score_adj;
		if (!pr->mm || setup_layout(m, pr, c))
			return errf(err, "%s: out of guest memory creating process %s",
				    m->tr->path, pr->tp->name);
	}
	return 0;
}

static void register_stats(struct machine *m)
{
	stats_add(m->st, &m->ops, "run.ops");
	stats_add(m->st, &m->accesses, "run.accesses");
	stats_add(m->st, &m->ctx_switches, "run.context_switches");
	stats_add(m->st, &m->exits, "run.process_exits");
	stats_add(m->st, &m->kills, "run.process_kills");
	stats_add(m->st, &m->mismatches, "run.value_mismatches");
	stats_add(m->st, &m->deadlocks, "run.deadlocks");
	stats_add(m->st, &m->checks, "run.checks");
	stats_add(m->st, &m->koops, "run.kernel_oops");
	stats_add(m->st, &m->kalloc_fail, "run.kernel_alloc_fail");
	stats_add(m->st, &m->replay_records, "run.replay.records");
	stats_add(m->st, &m->replay_automaps, "run.replay.automaps");
	stats_add(m->st, &m->replay_skipped, "run.replay.skipped");
	for (uint32_t p = 0; p < m->tr->nprocs; p++) {
		struct process *pr = &m->procs[p];
		const char *n = m->tr->procs[p].name;
		stats_add(m->st, &pr->min_flt, "proc.%s.minflt", n);
		stats_add(m->st, &pr->maj_flt, "proc.%s.majflt", n);
		stats_add(m->st, &pr->cow_copies, "proc.%s.cow_copies", n);
		stats_add(m->st, &pr->hiwater_rss, "proc.%s.vmhwm_pages", n);
	}
}

struct machine *machine_create(const struct mmsim_cfg *cfg, const struct trace *tr,
			       uint64_t check, char *err)
{
	struct machine *m = calloc(1, sizeof(*m));
	if (!m)
		abort();
	m->cfg = *cfg;
	m->tr = tr;
	m->check = check;
	m->st = stats_create();
	m->ms = memsys_create(&m->cfg, m->st, err);
	if (!m->ms) {
		machine_destroy(m);
		return NULL;
	}
	m->cores = calloc(cfg->cores, sizeof(*m->cores));
	m->rq = calloc(cfg->cores, sizeof(*m->rq));
	m->heap = calloc(cfg->cores, sizeof(*m->heap));
	for (unsigned i = 0; i < cfg->cores; i++)
		m->cores[i] = core_create(&m->cfg, i, m->ms, m->st);
	m->kmm = kmm_create(&m->cfg, m->ms, m->cores, cfg->cores, m->st);
	m->kmm->oom_kill = oom_kill_process;
	m->kmm->oom_arg = m;
	if (machine_dma_init(m, err) || create_files(m, err)) {
		machine_destroy(m);
		return NULL;
	}
	for (uint32_t p = 0; p < tr->nprocs; p++)
		m->nthreads += tr->procs[p].nthreads;
	m->procs = calloc(tr->nprocs, sizeof(*m->procs));
	m->kvar = calloc(tr->nkobjs + 1, sizeof(*m->kvar));
	m->kcache = calloc(tr->nkcaches + 1, sizeof(*m->kcache));
	register_stats(m);
	m->threads = calloc(m->nthreads, sizeof(*m->threads));
	if (place_threads(m, err) || create_mms(m, err)) {
		machine_destroy(m);
		return NULL;
	}
	return m;
}

void machine_destroy(struct machine *m)
{
	if (!m)
		return;
	for (uint32_t p = 0; m->procs && p < m->tr->nprocs; p++) {
		struct process *pr = &m->procs[p];
		if (pr->mm)
			mm_destroy(m->kmm, pr->mm, m->cores[0]);
		free(pr->region_base);
		free(pr->region_mapped);
	}
	for (unsigned i = 0; m->rq && i < m->cfg.cores; i++)
		free(m->rq[i].t);
	for (uint32_t i = 0; m->threads && i < m->nthreads; i++)
		if (m->threads[i].rt)
			replay_end(&m->threads[i]);
	machine_dma_fini(m);
	kmm_destroy(m->kmm);
	free(m->procfs);
	for (unsigned i = 0; m->cores && i < m->cfg.cores; i++)
		core_destroy(m->cores[i]);
	memsys_destroy(m->ms);
	stats_destroy(m->st);
	free(m->procs);
	for (uint32_t i = 0; m->kvar && i < m->tr->nkobjs; i++)
		free(m->kvar[i].va);
	free(m->kvar);
	free(m->kcache);
	free(m->threads);
	free(m->rq);
	free(m->heap);
	free(m->cores);
	free(m);
}

void machine_set_observer(struct machine *m, int (*fn)(void *arg), void *arg)
{
	m->observer = fn;
	m->observer_arg = arg;
}

void machine_remember_walks(struct machine *m, bool on)
{
	for (unsigned i = 0; i < m->cfg.cores; i++)
		m->cores[i]->walker.remember = on;
}

bool machine_stopped(const struct machine *m) { return m->stopped; }
unsigned machine_ncores(const struct machine *m) { return m->cfg.cores; }
const struct core *machine_core(const struct machine *m, unsigned i) { return m->cores[i]; }
const struct kmm *machine_kmm(const struct machine *m) { return m->kmm; }
const struct memsys *machine_memsys(const struct machine *m) { return m->ms; }
const struct kdma *machine_kdma(const struct machine *m) { return m->kd; }
const struct mmsim_cfg *machine_cfg(const struct machine *m) { return &m->cfg; }
unsigned machine_nprocs(const struct machine *m) { return m->tr->nprocs; }
const char *machine_proc_name(const struct machine *m, unsigned i)
{
	return m->procs[i].tp->name;
}
const struct mm *machine_proc_mm(const struct machine *m, unsigned i)
{
	return m->procs[i].mm;
}

struct stats *machine_stats(struct machine *m) { return m->st; }
uint64_t machine_mismatches(const struct machine *m) { return m->mismatches; }
uint64_t machine_kills(const struct machine *m) { return m->kills; }
uint64_t machine_deadlocks(const struct machine *m) { return m->deadlocks; }
const char *machine_events(const struct machine *m) { return m->events; }

const char *machine_procfs(const struct machine *m) { return m->procfs ? m->procfs : ""; }

cycles_t machine_cycles(const struct machine *m)
{
	cycles_t max = 0;
	for (unsigned i = 0; i < m->cfg.cores; i++)
		if (m->cores[i]->clock > max)
			max = m->cores[i]->clock;
	return max;
}
