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
 * shootdowns skip it and it catches up by tlb_gen on its return. Lazy-TLB and
 * batching policies come with issue smp-shootdown. */
#include "kernel/mm/kmm.h"

#include "lib/config.h"
#include "sim/cpu/core.h"

/* This core's entries for mm now reflect mm->tlb_gen. */
static void mark_flushed(struct kmm *k, struct core *t, struct mm *mm)
{
	struct cpu_tlbstate *ts = &k->tlbstate[t->id];
	if (ts->loaded == mm)
		ts->slot[ts->cur].gen = mm->tlb_gen;
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
							     "fork" };

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

/* One IPI to core t: deliver, handle, flush, acknowledge. Returns the
 * cycle the acknowledgement reaches the initiator c. */
static cycles_t shoot_one(struct kmm *k, struct mm *mm, struct core *c, struct core *t,
			  vaddr_t start, vaddr_t end, bool full)
{
	c->clock += k->cfg->ipi.send;
	k->ipi[c->id].initiate_cycles += k->cfg->ipi.send;
	k->ipi[c->id].sent++;
	k->ipi[t->id].received++;
	k->ipi_sent++;
	cycles_t arrive = c->clock + k->cfg->ipi.latency;
	if (t->clock < arrive)
		t->clock = arrive;
	cycles_t t0 = t->clock;
	t->clock += k->cfg->ipi.handler;
	flush_one_core(t, start, end, full);
	mark_flushed(k, t, mm);
	k->ipi[t->id].handle_cycles += t->clock - t0;
	return t->clock + k->cfg->ipi.latency;
}

void flush_tlb_mm_range(struct kmm *k, struct mm *mm, struct core *c,
			vaddr_t start, vaddr_t end, enum flush_cause cause)
{
	uint64_t pages = (end - start) >> PAGE_SHIFT;
	bool full = pages > k->cfg->kernel.flush_ceiling;
	cycles_t done = 0;

	mm->tlb_gen++;
	count_flush(k, pages, full, cause);
	for (unsigned i = 0; i < k->ncores; i++) {
		if (!(mm->cpumask & (1ull << i)))
			continue;
		struct core *t = k->cores[i];
		if (t == c) {
			flush_one_core(t, start, end, full);
			mark_flushed(k, t, mm);
			continue;
		}
		cycles_t ack = shoot_one(k, mm, c, t, start, end, full);
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
}

void tlb_finish_mmu(struct kmm *k, struct mm *mm, struct core *c, enum flush_cause cause)
{
	if (k->gather_lo < k->gather_hi)
		flush_tlb_mm_range(k, mm, c, k->gather_lo, k->gather_hi, cause);
	k->gather_lo = k->gather_hi = 0;
	for (size_t i = 0; i < k->ngather; i++)
		kmm_free_page(k, c, k->gather[i]);
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

void switch_mm(struct kmm *k, struct core *c, struct mm *next)
{
	struct cpu_tlbstate *ts = &k->tlbstate[c->id];
	if (ts->loaded == next)
		return;
	if (ts->loaded)
		ts->loaded->cpumask &= ~(1ull << c->id);
	ts->loaded = next;
	if (!next) {
		core_load_cr3(c, 0);          /* no user mappings (init_mm) */
		return;
	}
	next->cpumask |= 1ull << c->id;
	if (!k->cfg->tlb.pcid) {
		core_load_cr3(c, next->pgd);  /* flushes every non-global entry */
		return;
	}
	bool need_flush;
	ts->cur = choose_asid(ts, next, &need_flush);
	ts->slot[ts->cur].gen = next->tlb_gen;
	uint64_t pcid = ts->cur + 1;          /* PCID 0 stays for no-mm */
	core_load_cr3(c, next->pgd | pcid | (need_flush ? 0 : CR3_NOFLUSH));
}

bool kmm_pcid_current(const struct kmm *k, unsigned core, uint16_t pcid, struct mm **mm)
{
	const struct cpu_tlbstate *ts = &k->tlbstate[core];
	if (!k->cfg->tlb.pcid) {
		*mm = ts->loaded;
		return ts->loaded != NULL && pcid == 0;
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
