/* TLB flushing after the kernel changed or removed PTEs (arch/x86/mm/tlb.c).
 *
 * flush_tlb_mm_range(): the initiating core flushes locally; every other core
 * in the mm's cpumask gets an IPI, takes the interrupt, flushes, and
 * acknowledges; the initiator waits for the slowest acknowledgement
 * (synchronous, as native_flush_tlb_multi()). Ranges of at most
 * kernel.flush_ceiling pages (Linux's tlb_single_page_flush_ceiling, 33) are
 * flushed with one INVLPG per page, larger ones with a full flush.
 * tlb_finish_mmu() flushes only the span of PTEs an unmap really cleared
 * (none: no flush), and only then frees the gathered frames, so no core can
 * reach a freed frame through a stale entry.
 *
 * PCIDs (switch_mm_irqs_off(), choose_new_asid()): each core has a few ASID
 * slots; an mm that comes back to a slot it still owns is loaded with
 * CR3_NOFLUSH if its tlb_gen has not moved since that core last flushed it,
 * else with a flush. A core leaves the mm's cpumask when it switches away, so
 * shootdowns skip it and it catches up by tlb_gen on its return.
 *
 * Lazy TLB (kernel.lazy_tlb, enter_lazy_tlb()): a core that goes idle keeps
 * the last mm loaded and stays in its cpumask, so coming back to it costs no
 * CR3 load. Flushes skip lazy cores (kernel.shootdown.skip_lazy, as
 * should_flush_tlb()) unless page tables were freed — a lazy core's
 * paging-structure caches could still walk them —; then the IPI makes the
 * lazy core leave the mm. A lazy core catches up by tlb_gen when it returns.
 *
 * Deferred shootdowns (kernel.shootdown.mode = deferred, after LATR,
 * ASPLOS'18): an munmap flushes locally and, instead of IPIs, leaves one
 * record per remote core; each core applies its records at its next kernel
 * entry, context switch or tick (kernel.shootdown.defer_cycles), and the
 * unmapped frames are freed only when every record is applied. Until then a
 * remote thread may still reach the old frames through a stale entry — which
 * is why they are held, and why the address range may not be reused: mmap
 * on an mm with pending records first completes them by IPIs. mprotect and
 * exit stay synchronous. */
#include "kernel/mm/kmm.h"
#include "kernel/mm/hugetlb.h"

#include <stdlib.h>
#include <string.h>
#include "lib/config.h"
#include "sim/cpu/core.h"

/* This core's entries for mm now reflect mm->tlb_gen. */
static void mark_flushed(struct kmm *k, struct core *t, struct mm *mm)
{
	struct cpu_tlbstate *ts = &k->tlbstate[t->id];
	if (ts->loaded == mm) {
		ts->slot[ts->cur].gen = mm->tlb_gen;
		ts->lazy_gen = mm->tlb_gen;
	}
}

static void flush_one_core(struct core *t, vaddr_t start, vaddr_t end, bool full)
{
	if (full) {
		core_flush_tlb(t);
		return;
	}
	for (vaddr_t va = start; va < end; va += PAGE_SIZE)
		core_invlpg(t, va);
}

const char *const flush_cause_name[FLUSH_CAUSES] = { "munmap", "mprotect", "exit", "cow",
							     "fork", "migrate", "madvise",
							     "thp", "reclaim", "mremap" };

static void count_flush(struct kmm *k, uint64_t pages, bool full, enum flush_cause cause)
{
	static const uint64_t upper[FLUSH_HIST_BUCKETS - 1] = { 1, 2, 4, 8, 16, 33 };
	unsigned b = 0;
	while (b < FLUSH_HIST_BUCKETS - 1 && pages > upper[b])
		b++;
	k->flush_hist[b]++;
	k->flush_cause[cause]++;
	if (full)
		k->flush_full++;
	else
		k->flush_pages += pages;
}

/* The receiving side of one IPI sent from c: it arrives ipi.latency after
 * the send and is taken then, or when t reaches that cycle; the handler's
 * time and `work` are stolen from whatever t runs (t never idles for an IPI
 * it has not received). Returns the cycle t's acknowledgement reaches c. */
static cycles_t ipi_deliver(struct kmm *k, struct core *c, struct core *t,
			    void (*work)(struct kmm *, struct core *, void *), void *arg)
{
	c->clock += k->cfg->ipi.send;
	k->ipi[c->id].initiate_cycles += k->cfg->ipi.send;
	k->ipi[c->id].sent++;
	k->ipi[t->id].received++;
	k->ipi_sent++;
	cycles_t arrive = c->clock + k->cfg->ipi.latency;
	cycles_t taken = t->clock > arrive ? t->clock : arrive;
	cycles_t t0 = t->clock;
	t->clock += k->cfg->ipi.handler;
	work(k, t, arg);
	cycles_t spent = t->clock - t0;
	k->ipi[t->id].handle_cycles += spent;
	return taken + spent + k->cfg->ipi.latency;
}

struct flush_req {
	struct mm *mm;
	vaddr_t start, end;
	bool full;
};

/* flush_tlb_func(): flush for the mm if t still runs it (else t catches
 * up by tlb_gen when it comes back). */
static void flush_work(struct kmm *k, struct core *t, void *arg)
{
	const struct flush_req *r = arg;
	flush_one_core(t, r->start, r->end, r->full);
	mark_flushed(k, t, r->mm);
}

/* A lazy core whose mm freed page tables leaves it for the kernel's own
 * tables (switch_mm_irqs_off(NULL, &init_mm) in flush_tlb_func()). */
static void leave_lazy_mm(struct kmm *k, struct core *t)
{
	struct cpu_tlbstate *ts = &k->tlbstate[t->id];
	if (ts->loaded)
		ts->loaded->cpumask &= ~(1ull << t->id);
	ts->loaded = NULL;
	ts->is_lazy = false;
	core_load_cr3(t, 0);
}

static void lazy_leave_work(struct kmm *k, struct core *t, void *arg)
{
	(void)arg;
	leave_lazy_mm(k, t);
	k->lazy_leave++;
}

/* Queue a deferred invalidation for core t (kernel.shootdown.mode deferred). */
static void defer_push(struct kmm *k, struct core *c, struct core *t, const struct flush_req *r,
		       struct tlb_defer_batch *b)
{
	struct tlb_defer_queue *q = &k->defer[t->id];
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 8;
		q->rec = realloc(q->rec, q->cap * sizeof(*q->rec));
		if (!q->rec)
			abort();
	}
	q->rec[q->n++] = (struct tlb_defer){ r->mm, r->start, r->end, r->full, b };
	cycles_t due = c->clock + k->cfg->kernel.shootdown.defer_cycles;
	if (due < q->deadline)
		q->deadline = due;
	if (b)
		b->pending++;
	k->defer_queued++;
}

/* A gathered frame's reference goes: a page table or small page goes back
 * to the buddy allocator (unless pinned for DMA), a hugetlb page to its
 * pool. */
static void free_gathered(struct kmm *k, struct core *c, uint64_t pfn)
{
	if (pfn & GATHER_HUGETLB)
		hugetlb_free_page(k, pfn & ~GATHER_HUGETLB);
	else
		kmm_put_page(k, c, pfn, 1);
}

/* One record done: when its batch has no record left, its frames go back. */
static void defer_release(struct kmm *k, struct core *c, struct tlb_defer_batch *b)
{
	if (!b || --b->pending)
		return;
	for (size_t i = 0; i < b->n; i++)
		free_gathered(k, c, b->pfn[i]);
	free(b->pfn);
	free(b);
}

static bool defer_pending_for(const struct tlb_defer_queue *q, const struct mm *mm)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->rec[i].mm == mm)
			return true;
	return false;
}

void tlb_defer_run(struct kmm *k, struct core *c)
{
	struct tlb_defer_queue *q = &k->defer[c->id];
	if (!q->n)
		return;
	struct cpu_tlbstate *ts = &k->tlbstate[c->id];
	/* records may free frames, which never queues more records */
	for (size_t i = 0; i < q->n; i++) {
		struct tlb_defer *r = &q->rec[i];
		c->clock += k->cfg->kernel.shootdown.defer_cost;
		if (ts->loaded == r->mm)
			flush_one_core(c, r->start, r->end, r->full);
		k->defer_applied++;
	}
	struct mm *loaded = ts->loaded;
	size_t n = q->n;
	q->n = 0;
	q->deadline = CYCLES_NEVER;
	if (loaded)
		mark_flushed(k, c, loaded);
	for (size_t i = 0; i < n; i++)
		defer_release(k, c, q->rec[i].batch);
}

static void defer_run_work(struct kmm *k, struct core *t, void *arg)
{
	(void)arg;
	tlb_defer_run(k, t);
}

void tlb_defer_force_mm(struct kmm *k, struct mm *mm, struct core *c)
{
	tlb_defer_run(k, c);
	cycles_t done = 0;
	for (unsigned i = 0; i < k->ncores; i++) {
		if (i == c->id || !defer_pending_for(&k->defer[i], mm))
			continue;
		cycles_t ack = ipi_deliver(k, c, k->cores[i], defer_run_work, NULL);
		if (ack > done)
			done = ack;
		k->defer_forced++;
	}
	if (c->clock < done) {
		k->ipi[c->id].wait_cycles += done - c->clock;
		c->clock = done;
	}
}

void tlb_defer_forget_mm(struct kmm *k, struct mm *mm, struct core *c)
{
	for (unsigned i = 0; i < k->ncores; i++) {
		struct tlb_defer_queue *q = &k->defer[i];
		size_t keep = 0;
		for (size_t j = 0; j < q->n; j++) {
			if (q->rec[j].mm != mm) {
				q->rec[keep++] = q->rec[j];
				continue;
			}
			k->defer_dropped++;
			defer_release(k, c, q->rec[j].batch);
		}
		q->n = keep;
		if (!keep)
			q->deadline = CYCLES_NEVER;
	}
}

/* The flush itself: local, then each other core of the cpumask by IPI,
 * skipped as lazy, or by a deferred record (when batch is given). Returns
 * whether any record was queued into batch. */
static bool flush_range(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start,
			vaddr_t end, enum flush_cause cause, bool freed_tables,
			struct tlb_defer_batch *batch)
{
	uint64_t pages = (end - start) >> PAGE_SHIFT;
	struct flush_req req = { mm, start, end, pages > k->cfg->kernel.flush_ceiling };
	cycles_t done = 0;
	bool queued = false;

	mm->tlb_gen++;
	count_flush(k, pages, req.full, cause);
	for (unsigned i = 0; i < k->ncores; i++) {
		if (!(mm->cpumask & (1ull << i)))
			continue;
		struct core *t = k->cores[i];
		if (t == c) {
			flush_work(k, t, &req);
			continue;
		}
		cycles_t ack;
		if (k->tlbstate[i].is_lazy) {
			if (k->cfg->kernel.shootdown.skip_lazy && !freed_tables) {
				k->lazy_skipped++;
				continue;
			}
			ack = freed_tables ? ipi_deliver(k, c, t, lazy_leave_work, NULL)
					   : ipi_deliver(k, c, t, flush_work, &req);
		} else if (batch) {
			defer_push(k, c, t, &req, batch);
			queued = true;
			continue;
		} else {
			ack = ipi_deliver(k, c, t, flush_work, &req);
		}
		if (ack > done)
			done = ack;
	}
	if (done) {
		k->shootdown++;
		k->shootdown_cause[cause]++;
		if (c->clock < done) {
			k->ipi[c->id].wait_cycles += done - c->clock;
			c->clock = done;
		}
	}
	return queued;
}

void flush_tlb_mm_range(struct kmm *k, struct mm *mm, struct core *c,
			vaddr_t start, vaddr_t end, enum flush_cause cause)
{
	flush_range(k, mm, c, start, end, cause, false, NULL);
}

void tlb_finish_mmu(struct kmm *k, struct mm *mm, struct core *c, enum flush_cause cause)
{
	struct tlb_defer_batch *batch = NULL;
	if (k->cfg->kernel.shootdown.mode == SHOOTDOWN_DEFERRED && cause == FLUSH_MUNMAP) {
		batch = calloc(1, sizeof(*batch));
		if (!batch)
			abort();
	}
	bool queued = false;
	if (k->gather_lo < k->gather_hi)
		queued = flush_range(k, mm, c, k->gather_lo, k->gather_hi, cause,
				     k->gather_freed_tables, batch);
	else if (k->gather_freed_tables)
		/* tables freed under no present leaf: paging-structure caches
		 * may still point at them — flush the whole address space */
		queued = flush_range(k, mm, c, 0, mm->task_size, cause, true, batch);
	k->gather_lo = k->gather_hi = 0;
	k->gather_freed_tables = false;
	if (queued) {
		/* the frames wait for the last record (defer_release) */
		batch->pfn = malloc((k->ngather ? k->ngather : 1) * sizeof(*batch->pfn));
		if (!batch->pfn)
			abort();
		memcpy(batch->pfn, k->gather, k->ngather * sizeof(*batch->pfn));
		batch->n = k->ngather;
	} else {
		for (size_t i = 0; i < k->ngather; i++)
			free_gathered(k, c, k->gather[i]);
		free(batch);
	}
	k->ngather = 0;
}

/* choose_new_asid(): the slot mm already has on this core, else the next
 * one round-robin. *need_flush: the slot's entries are out of date. */
static unsigned choose_asid(struct cpu_tlbstate *ts, const struct mm *mm, bool *need_flush)
{
	for (unsigned i = 0; i < TLB_NR_DYN_ASIDS; i++) {
		if (ts->slot[i].mm_id == mm->id) {
			*need_flush = ts->slot[i].gen != mm->tlb_gen;
			return i;
		}
	}
	unsigned i = ts->next++ % TLB_NR_DYN_ASIDS;
	ts->slot[i].mm_id = mm->id;
	*need_flush = true;
	return i;
}

/* Load next's CR3 on c: with PCIDs in its ASID slot, without a flush when
 * the slot is up to date. */
static void load_mm(struct kmm *k, struct core *c, struct cpu_tlbstate *ts, struct mm *next)
{
	if (!k->cfg->tlb.pcid) {
		core_load_cr3(c, next->pgd);  /* flushes every non-global entry */
		ts->lazy_gen = next->tlb_gen;
		return;
	}
	bool need_flush;
	ts->cur = choose_asid(ts, next, &need_flush);
	ts->slot[ts->cur].gen = next->tlb_gen;
	uint64_t pcid = ts->cur + 1;          /* PCID 0 stays for no-mm */
	core_load_cr3(c, next->pgd | pcid | (need_flush ? 0 : CR3_NOFLUSH));
}

void switch_mm(struct kmm *k, struct core *c, struct mm *next)
{
	struct cpu_tlbstate *ts = &k->tlbstate[c->id];
	tlb_defer_run(k, c);
	if (ts->loaded == next) {
		if (next && ts->is_lazy) {
			/* back from lazy mode: catch up if flushes were skipped */
			ts->is_lazy = false;
			if (k->cfg->tlb.pcid ? ts->slot[ts->cur].gen != next->tlb_gen
					     : ts->lazy_gen != next->tlb_gen)
				load_mm(k, c, ts, next);
		}
		return;
	}
	if (!next && ts->loaded && k->cfg->kernel.lazy_tlb) {
		if (!ts->is_lazy) {
			ts->is_lazy = true;  /* enter_lazy_tlb(): keep it all */
			k->lazy_enter++;
		}
		return;
	}
	if (ts->loaded)
		ts->loaded->cpumask &= ~(1ull << c->id);
	ts->loaded = next;
	ts->is_lazy = false;
	if (!next) {
		core_load_cr3(c, 0);          /* no user mappings (init_mm) */
		return;
	}
	next->cpumask |= 1ull << c->id;
	load_mm(k, c, ts, next);
}

bool kmm_pcid_current(const struct kmm *k, unsigned core, uint16_t pcid, struct mm **mm)
{
	const struct cpu_tlbstate *ts = &k->tlbstate[core];
	if (!k->cfg->tlb.pcid) {
		*mm = ts->loaded;
		return ts->loaded != NULL && pcid == 0 && ts->lazy_gen == ts->loaded->tlb_gen;
	}
	if (pcid == 0 || pcid > TLB_NR_DYN_ASIDS)
		return false;
	const struct asid_slot *s = &ts->slot[pcid - 1];
	if (ts->loaded && ts->loaded->id == s->mm_id) {
		*mm = ts->loaded;
		return s->gen == ts->loaded->tlb_gen;
	}
	return false;   /* another mm's slot: checked when that mm runs here */
}

/* flush_tlb_kernel_range() (vmalloc's lazy purge): kernel entries are
 * global, so a CR3 load does not drop them: INVLPG per page (it invalidates
 * global entries too), or beyond kernel.flush_ceiling pages INVPCID type 2
 * (everything, globals included), as __flush_tlb_all() does with INVPCID.
 * Every core maps the kernel, so every other core gets an IPI: it arrives
 * ipi.latency after the send, the handler and the flush are stolen from
 * whatever the target runs, and the initiator waits for the slowest
 * acknowledgement (as flush_tlb_mm_range()'s IPIs). */
static void kernel_flush_work(struct kmm *k, struct core *t, void *arg)
{
	const struct flush_req *r = arg;
	(void)k;
	if (r->full) {
		core_invpcid(t, 2, 0, 0);
		return;
	}
	for (vaddr_t va = r->start; va < r->end; va += PAGE_SIZE)
		core_invlpg(t, va);
}

void flush_tlb_kernel_range(struct kmm *k, struct core *c, vaddr_t start, vaddr_t end)
{
	struct flush_req req = { .start = start, .end = end,
				 .full = (end - start) >> PAGE_SHIFT > k->cfg->kernel.flush_ceiling };
	cycles_t done = 0;
	kernel_flush_work(k, c, &req);
	for (unsigned i = 0; i < k->ncores; i++) {
		if (k->cores[i] == c)
			continue;
		cycles_t ack = ipi_deliver(k, c, k->cores[i], kernel_flush_work, &req);
		if (ack > done)
			done = ack;
	}
	if (c->clock < done) {
		k->ipi[c->id].wait_cycles += done - c->clock;
		c->clock = done;
	}
}
