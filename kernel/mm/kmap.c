/* The kernel half of the address space and the kernel's own memory accesses.
 *
 * Boot (kernel_physical_mapping_init(), preallocate_vmalloc_pages()): a
 * master top-level table (init_mm's pgd, swapper_pg_dir) maps all of
 * physical memory at PAGE_OFFSET with the largest pages kernel.direct_map
 * allows — 1G where a whole aligned GiB is memory, then 2M, then 4K for the
 * tail — and gets the table under the vmalloc area's top-level entry, so
 * that entry never changes afterwards. Every mm's PML4 copies the kernel
 * entries (256..511) when it is created (pgd_ctor(), kmem_clone_pgd()), so
 * all address spaces share the kernel's tables below the top level; user
 * page-table teardown only ever walks the user half.
 *
 * Kernel entries: upper levels P|RW|A (no US: user accesses fault), leaves
 * P|RW|A|D|G|NX (PAGE_KERNEL: global, so they survive CR3 loads).
 * Boot work is untimed (it happens before cycle 0); everything after is
 * charged to the core doing it and goes through its caches. Kernel data
 * accesses (kmem_access) translate through the core's TLBs and walker in
 * supervisor mode, as any access does. */
#include "kernel/mm/slab_internal.h"
#include "lib/jsonutil.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/config.h"
#include "lib/stats.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"

#define KTABLE (PTE_P | PTE_RW | PTE_A)
#define KLEAF  (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_G | PTE_NX)
#define LINE 64

/* A zeroed table page at boot, untimed (the clock of core 0 is put back)
 * and, like memblock allocations, not counted in mm.pgalloc. */
static paddr_t boot_table(struct kmm *k)
{
	struct core *c = k->cores[0];
	cycles_t t = c->clock;
	uint64_t counted = k->pgalloc;
	int64_t pfn = kmm_alloc_pages(k, c, -1, GFP_KERNEL, 0, PG_pgtable);
	c->clock = t;
	k->pgalloc = counted;
	if (pfn < 0) {
		fprintf(stderr, "mmsim: memory.size too small for the kernel page tables\n");
		abort();
	}
	physmem_zero_frame(&k->ms->pm, (uint64_t)pfn);
	k->kmem->kernel_pt_pages++;
	return (paddr_t)pfn << PAGE_SHIFT;
}

/* Map va -> pa with a leaf at `level` (1: 4K, 2: 2M, 3: 1G), untimed. */
static void boot_map(struct kmm *k, vaddr_t va, paddr_t pa, int level)
{
	paddr_t table = k->kmem->init_pgd;
	struct physmem *pm = &k->ms->pm;
	for (int l = k->levels; l > level; l--) {
		paddr_t slot = table + 8 * pt_index(va, l);
		pte_t e = physmem_read(pm, slot, 8);
		if (!(e & PTE_P)) {
			e = boot_table(k) | KTABLE;
			physmem_write(pm, slot, 8, e);
		}
		table = e & PTE_ADDR_MASK;
	}
	physmem_write(pm, table + 8 * pt_index(va, level), 8,
		      pa | KLEAF | (level > 1 ? PTE_PS : 0));
}

static void map_direct(struct kmm *k)
{
	uint64_t size = k->nframes << PAGE_SHIFT;
	int top = k->cfg->kernel.direct_map == DIRECT_MAP_1G ? 3 :
		  k->cfg->kernel.direct_map == DIRECT_MAP_2M ? 2 : 1;
	paddr_t pa = 0;
	while (pa < size) {
		int level = top;
		while (level > 1 && ((pa & (pt_level_size(level) - 1)) ||
				     pa + pt_level_size(level) > size))
			level--;
		boot_map(k, k->kmem->page_offset + pa, pa, level);
		pa += pt_level_size(level);
	}
}

void kmem_init(struct kmm *k, struct stats *st)
{
	struct kmem *km = calloc(1, sizeof(*km));
	if (!km)
		abort();
	k->kmem = km;
	bool l5 = k->levels == 5;
	km->page_offset = l5 ? PAGE_OFFSET_L5 : PAGE_OFFSET;
	km->vmalloc_start = l5 ? VMALLOC_START_L5 : VMALLOC_START;
	km->vmalloc_end = km->vmalloc_start + VMALLOC_SIZE;
	km->init_pgd = boot_table(k);
	map_direct(k);
	/* the vmalloc area's tables below its top-level entry: one PDPT (one
	 * PML4 entry) with 4-level paging, PML4 + PDPT with 5 */
	paddr_t table = km->init_pgd;
	for (int l = k->levels; l > 3; l--) {
		paddr_t slot = table + 8 * pt_index(km->vmalloc_start, l);
		pte_t e = physmem_read(&k->ms->pm, slot, 8);
		if (!(e & PTE_P)) {
			e = boot_table(k) | KTABLE;
			physmem_write(&k->ms->pm, slot, 8, e);
		}
		table = e & PTE_ADDR_MASK;
	}
	km->vmalloc_table = table;
	/* lazy_max_pages(): 32 MiB worth of pages times fls(nr_cpus) */
	km->lazy_max_pages = (32ull << 20) / PAGE_SIZE * (log2u(k->ncores) + 1);
	slab_parse_debug(k->cfg->kernel.slub_debug, &km->debug_flags);
	slub_init(k, st);
	kmalloc_init(k);
	if (st) {
		stats_add(st, &km->kernel_pt_pages, "kmem.kernel_pgtable_pages");
		stats_add(st, &km->slab_reclaimable, "kmem.slab_reclaimable_pages");
		stats_add(st, &km->slab_unreclaimable, "kmem.slab_unreclaimable_pages");
		stats_add(st, &km->large_kmalloc_pages, "kmem.kmalloc_large_pages");
		stats_add(st, &km->vmalloc_pages, "kmem.vmalloc_pages");
		stats_add(st, &km->vmalloc_areas, "kmem.vmalloc_areas");
		stats_add(st, &km->vmalloc_calls, "kmem.vmalloc");
		stats_add(st, &km->vfree_calls, "kmem.vfree");
		stats_add(st, &km->vmap_purges, "kmem.vmap_purges");
		stats_add(st, &km->vmap_purged_pages, "kmem.vmap_purged_pages");
		stats_add(st, &km->vmap_lazy_now, "kmem.vmap_lazy_pages");
		stats_add(st, &km->percpu_bytes, "kmem.percpu_bytes");
		stats_add(st, &km->kread, "kmem.kread");
		stats_add(st, &km->kwrite, "kmem.kwrite");
		stats_add(st, &km->oops, "kmem.oops");
		stats_add(st, &km->reports, "kmem.debug.reports");
		stats_add(st, &km->invalid_free, "kmem.debug.invalid_free");
		stats_add(st, &km->double_free, "kmem.debug.double_free");
		stats_add(st, &km->poison_bad, "kmem.debug.poison_overwritten");
		stats_add(st, &km->redzone_bad, "kmem.debug.redzone_overwritten");
		stats_add(st, &km->freelist_bad, "kmem.debug.freelist_corrupt");
		stats_add(st, &km->leaks, "kmem.debug.leaked_objects");
	}
}

void kmem_fini(struct kmm *k)
{
	if (!k->kmem)
		return;
	vmalloc_fini(k);
	percpu_fini(k);
	slub_fini(k);
	free(k->kmem);
	k->kmem = NULL;
}

paddr_t kmem_init_pgd(const struct kmm *k) { return k->kmem->init_pgd; }
vaddr_t kmem_page_offset(const struct kmm *k) { return k->kmem->page_offset; }

void kmem_clone_pgd(struct kmm *k, struct core *c, paddr_t pgd)
{
	/* clone_pgd_range(): the kernel's top-level entries were fixed at boot
	 * (the direct map's and the vmalloc area's), so the kernel writes the
	 * few present ones into the new table — one timed store each — rather
	 * than re-reading swapper_pg_dir */
	paddr_t src = k->kmem->init_pgd;
	for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++) {
		pte_t e = physmem_read(&k->ms->pm, src + 8 * i, 8);
		if (e)
			kmm_write_pte(k, c, pgd + 8 * i, e);
	}
}

/* ------------------------------------------------------ kernel accesses */

uint32_t kmem_access(struct kmm *k, struct core *c, vaddr_t va, unsigned size, bool write,
		     uint64_t *val, bool user_op)
{
	uint32_t acc = write ? PF_W : 0;
	unsigned first = PAGE_SIZE - (va & ~PAGE_MASK);
	paddr_t pa0, pa1 = 0;
	uint32_t code = core_translate(c, va, acc, &pa0);
	if (code)
		return code;
	if (first < size && (code = core_translate(c, va + first, acc, &pa1)))
		return code;
	if (first > size)
		first = size;
	if (user_op) {
		if (write)
			k->kmem->kwrite++;
		else
			k->kmem->kread++;
		core_data(c, pa0, acc);
		if (first < size)
			core_data(c, pa1, acc);
	} else {
		c->clock += memsys_access(k->ms, c->id, pa0, MEM_KERNEL, write, c->clock);
		if (first < size)
			c->clock += memsys_access(k->ms, c->id, pa1, MEM_KERNEL, write, c->clock);
	}
	if (!val)
		return 0;
	physmem_access_split(&k->ms->pm, pa0, pa1, first, size, write, val);
	return 0;
}

/* The allocator's own accesses are to memory it manages: a fault there is
 * a simulator bug. */
static paddr_t ktranslate(struct core *c, vaddr_t va, bool write)
{
	paddr_t pa;
	uint32_t code = core_translate(c, va, write ? PF_W : 0, &pa);
	if (code) {
		fprintf(stderr, "mmsim: simulator bug: kernel access to %#llx faults (code %#x)\n",
			(unsigned long long)va, code & ~PF_RAISED);
		abort();
	}
	return pa;
}

uint64_t kmem_read8(struct kmm *k, struct core *c, vaddr_t va)
{
	assert((va & 7) == 0);
	paddr_t pa = ktranslate(c, va, false);
	c->clock += memsys_access(k->ms, c->id, pa, MEM_KERNEL, false, c->clock);
	return physmem_read(&k->ms->pm, pa, 8);
}

void kmem_write8(struct kmm *k, struct core *c, vaddr_t va, uint64_t v)
{
	assert((va & 7) == 0);
	paddr_t pa = ktranslate(c, va, true);
	c->clock += memsys_access(k->ms, c->id, pa, MEM_KERNEL, true, c->clock);
	physmem_write(&k->ms->pm, pa, 8, v);
}

/* Each line of [va, va+len): translated and accessed once, then its bytes
 * handled untimed. */
void kmem_fill(struct kmm *k, struct core *c, vaddr_t va, uint32_t len, uint8_t byte)
{
	vaddr_t end = va + len;
	while (va < end) {
		vaddr_t line_end = (va | (LINE - 1)) + 1;
		uint32_t n = (uint32_t)((line_end < end ? line_end : end) - va);
		paddr_t pa = ktranslate(c, va, true);
		c->clock += memsys_access(k->ms, c->id, pa, MEM_KERNEL, true, c->clock);
		for (uint32_t i = 0; i < n; i++)
			physmem_write(&k->ms->pm, pa + i, 1, byte);
		va += n;
	}
}

int64_t kmem_check_bytes(struct kmm *k, struct core *c, vaddr_t va, uint32_t len, uint8_t byte)
{
	vaddr_t start = va, end = va + len;
	int64_t bad = -1;
	while (va < end) {
		vaddr_t line_end = (va | (LINE - 1)) + 1;
		uint32_t n = (uint32_t)((line_end < end ? line_end : end) - va);
		paddr_t pa = ktranslate(c, va, false);
		c->clock += memsys_access(k->ms, c->id, pa, MEM_KERNEL, false, c->clock);
		for (uint32_t i = 0; i < n && bad < 0; i++)
			if (physmem_read(&k->ms->pm, pa + i, 1) != byte)
				bad = (int64_t)(va + i - start);
		if (bad >= 0)
			return bad;
		va += n;
	}
	return -1;
}

/* ------------------------------------------------ vmalloc-area page tables */

/* The PTE slot of a vmalloc-area va, allocating PD/PT pages as needed
 * (timed); 0 when out of memory, or when !alloc and a table is missing. */
static paddr_t kpte_slot(struct kmm *k, struct core *c, vaddr_t va, bool alloc)
{
	paddr_t table = k->kmem->vmalloc_table;
	for (int l = 3; l > 1; l--) {
		paddr_t slot = table + 8 * pt_index(va, l);
		pte_t e = kmm_read_pte(k, c, slot);
		if (!(e & PTE_P)) {
			if (!alloc)
				return 0;
			int64_t pfn = kmm_alloc_page(k, c, PG_pgtable);
			if (pfn < 0)
				return 0;
			k->kmem->kernel_pt_pages++;
			e = ((paddr_t)pfn << PAGE_SHIFT) | KTABLE;
			kmm_write_pte(k, c, slot, e);
		}
		table = e & PTE_ADDR_MASK;
	}
	return table + 8 * pt_index(va, 1);
}

bool kmap_set_pte(struct kmm *k, struct core *c, vaddr_t va, uint64_t pfn)
{
	assert(va >= k->kmem->vmalloc_start && va < k->kmem->vmalloc_end);
	paddr_t slot = kpte_slot(k, c, va, true);
	if (!slot)
		return false;
	kmm_write_pte(k, c, slot, ((paddr_t)pfn << PAGE_SHIFT) | KLEAF);
	return true;
}

int64_t kmap_clear_pte(struct kmm *k, struct core *c, vaddr_t va)
{
	paddr_t slot = kpte_slot(k, c, va, false);
	if (!slot)
		return -1;
	pte_t e = kmm_read_pte(k, c, slot);
	if (!(e & PTE_P))
		return -1;
	kmm_write_pte(k, c, slot, 0);
	return (int64_t)((e & PTE_ADDR_MASK) >> PAGE_SHIFT);
}

/* ---------------------------------------------------------------- reports */

void kmem_report(struct kmm *k, const char *fmt, ...)
{
	struct kmem *km = k->kmem;
	km->reports++;
	va_list ap;
	va_start(ap, fmt);
	vappendf(km->report, sizeof(km->report), &km->report_len, fmt, ap);
	va_end(ap);
}

const char *kmem_take_reports(struct kmm *k)
{
	struct kmem *km = k->kmem;
	memcpy(km->report_out, km->report, km->report_len);
	km->report_out[km->report_len] = '\0';
	km->report_len = 0;
	return km->report_out;
}

uint64_t kmem_report_count(const struct kmm *k) { return k->kmem->reports; }

int kmem_validate(struct kmm *k, char *err)
{
	return slub_validate(k, err);
}

int slab_parse_debug(const char *s, uint32_t *flags)
{
	*flags = 0;
	if (!s || !*s || strcmp(s, "-") == 0)
		return 0;
	for (; *s; s++) {
		switch (*s) {
		case 'F': case 'f': *flags |= SLAB_CONSISTENCY_CHECKS; break;
		case 'Z': case 'z': *flags |= SLAB_RED_ZONE; break;
		case 'P': case 'p': *flags |= SLAB_POISON; break;
		case 'U': case 'u': *flags |= SLAB_STORE_USER; break;
		default: return -1;
		}
	}
	return 0;
}
