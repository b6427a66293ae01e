/* Set-associative TLB with LRU: see tlb.h. */
#include "sim/tlb/tlb.h"

#include <assert.h>
#include <stdlib.h>
#include "lib/config.h"

struct tlb *tlb_create(const struct cfg_tlb *cfg)
{
	assert(cfg->ways > 0 && cfg->entries % cfg->ways == 0);
	struct tlb *t = calloc(1, sizeof(*t));
	if (!t)
		abort();
	t->ways = cfg->ways;
	t->sets = cfg->entries / cfg->ways;
	t->pow2 = (t->sets & (t->sets - 1)) == 0;
	t->set_mask = t->sets - 1;
	t->latency = cfg->latency;
	t->e = calloc((size_t)t->sets * t->ways, sizeof(*t->e));
	if (!t->e)
		abort();
	return t;
}

void tlb_destroy(struct tlb *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

void tlb_fill(struct tlb *t, uint64_t vpn, uint64_t pfn, uint16_t pcid, uint8_t flags)
{
	struct tlb_entry *set = t->e + tlb_index(t, vpn) * t->ways;
	struct tlb_entry *victim = NULL;
	for (uint32_t w = 0; w < t->ways; w++) {
		if (tlb_match(&set[w], vpn, pcid)) {   /* refresh in place */
			victim = &set[w];
			break;
		}
		if (!(set[w].flags & TLBE_VALID)) {
			if (!victim || (victim->flags & TLBE_VALID))
				victim = &set[w];
		} else if (!victim || ((victim->flags & TLBE_VALID) &&
				       set[w].stamp < victim->stamp)) {
			victim = &set[w];
		}
	}
	if ((victim->flags & TLBE_VALID) && !tlb_match(victim, vpn, pcid))
		t->evictions++;
	victim->vpn = vpn;
	victim->pfn = pfn;
	victim->pcid = pcid;
	victim->flags = flags | TLBE_VALID;
	victim->stamp = ++t->tick;
	t->fills++;
}

void tlb_invlpg(struct tlb *t, uint64_t vpn, uint16_t pcid)
{
	struct tlb_entry *set = t->e + tlb_index(t, vpn) * t->ways;
	for (uint32_t w = 0; w < t->ways; w++)
		if (tlb_match(&set[w], vpn, pcid))
			set[w].flags = 0;
	t->invlpg++;
}

void tlb_flush_nonglobal(struct tlb *t)
{
	size_t n = (size_t)t->sets * t->ways;
	for (size_t i = 0; i < n; i++)
		if (!(t->e[i].flags & TLBE_GLOBAL))
			t->e[i].flags = 0;
	t->flushes++;
}

void tlb_flush_all(struct tlb *t)
{
	size_t n = (size_t)t->sets * t->ways;
	for (size_t i = 0; i < n; i++)
		t->e[i].flags = 0;
	t->flushes++;
}

uint32_t tlb_occupancy(const struct tlb *t)
{
	uint32_t n = 0;
	for (size_t i = 0; i < (size_t)t->sets * t->ways; i++)
		n += (t->e[i].flags & TLBE_VALID) != 0;
	return n;
}
