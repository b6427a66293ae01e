/* SLUB, kmalloc, vmalloc, per-CPU allocations and the kernel address space
 * (issue slab). Unit tests drive the kernel API on a kernel built from
 * configs/tiny.json (cores in kernel context: CR3 = the kernel master
 * table); scenario tests run traces with --check on. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/mm/kmm.h"
#include "kernel/mm/slab.h"
#include "kernel/mm/zone.h"
#include "lib/config.h"
#include "lib/stats.h"
#include "sim/cpu/core.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"
#include <unistd.h>
#include "lib/trace.h"
#include "src/cli.h"
#include "src/machine.h"
#include "tests/scenario_run.h"

#define NC 4

struct kx {
	struct mmsim_cfg cfg;
	struct stats *st;
	struct memsys *ms;
	struct core *c[NC];
	unsigned n;
	struct kmm *k;
};

static void kx_init(struct kx *x, unsigned cores, const char *const *sets)
{
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&x->cfg);
	cr_assert_eq(cfg_load(&x->cfg, "configs/tiny.json", err), 0, "%s", err);
	x->cfg.cores = cores;
	for (; sets && *sets; sets++)
		cr_assert_eq(cfg_set(&x->cfg, *sets, "-s", err), 0, "%s", err);
	cr_assert_eq(cfg_check(&x->cfg, "test", err), 0, "%s", err);
	x->st = stats_create();
	x->ms = memsys_create(&x->cfg, x->st, err);
	cr_assert(x->ms, "%s", err);
	x->n = cores;
	for (unsigned i = 0; i < cores; i++)
		x->c[i] = core_create(&x->cfg, i, x->ms, x->st);
	x->k = kmm_create(&x->cfg, x->ms, x->c, cores, x->st);
	for (unsigned i = 0; i < cores; i++)
		core_load_cr3(x->c[i], kmem_init_pgd(x->k));   /* init_mm */
}

static void kx_fini(struct kx *x)
{
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(kmem_validate(x->k, err), 0, "%s", err);
	kmm_destroy(x->k);
	for (unsigned i = 0; i < x->n; i++)
		core_destroy(x->c[i]);
	memsys_destroy(x->ms);
	stats_destroy(x->st);
}

static uint64_t kstat(struct kx *x, const char *name)
{
	uint64_t v;
	cr_assert(stats_get(x->st, name, &v), "no counter %s", name);
	return v;
}

static uint64_t kget(struct kx *x, struct core *c, vaddr_t va)
{
	uint64_t v = 0;
	cr_assert_eq(kmem_access(x->k, c, va, 8, false, &v, true), 0, "read %#llx faults",
		     (unsigned long long)va);
	return v;
}

static void kput(struct kx *x, struct core *c, vaddr_t va, uint64_t v)
{
	cr_assert_eq(kmem_access(x->k, c, va, 8, true, &v, true), 0, "write %#llx faults",
		     (unsigned long long)va);
}

/* The kmalloc caches have SLUB's geometry: 42 objects of 96 bytes in a
 * 4 KiB slab, 21 of 192, 4 of 8 KiB in an order-3 slab; with
 * SLAB_HWCACHE_ALIGN a 100-byte object takes 128. */
Test(slab, kmalloc_geometry)
{
	struct kx x;
	char err[MMSIM_ERR_LEN];
	kx_init(&x, 4, NULL);
	struct kmem_cache *s96 = kmalloc_slab(x.k, 96);
	cr_assert_str_eq(kmem_cache_name(s96), "kmalloc-96");
	cr_assert_eq(kmem_cache_objs_per_slab(s96), 42);
	cr_assert_eq(kmem_cache_order(s96), 0);
	cr_assert_eq(kmem_cache_objs_per_slab(kmalloc_slab(x.k, 150)), 21);
	cr_assert_str_eq(kmem_cache_name(kmalloc_slab(x.k, 65)), "kmalloc-96");
	cr_assert_str_eq(kmem_cache_name(kmalloc_slab(x.k, 97)), "kmalloc-128");
	cr_assert_str_eq(kmem_cache_name(kmalloc_slab(x.k, 300)), "kmalloc-512");
	struct kmem_cache *s8k = kmalloc_slab(x.k, 8192);
	cr_assert_eq(kmem_cache_order(s8k), 3);
	cr_assert_eq(kmem_cache_objs_per_slab(s8k), 4);
	cr_assert_null(kmalloc_slab(x.k, 8193));
	struct kmem_cache *hw = kmem_cache_create(x.k, "hw", 100, 0, SLAB_HWCACHE_ALIGN, err);
	cr_assert(hw, "%s", err);
	cr_assert_eq(kmem_cache_objs_per_slab(hw), 32);
	cr_assert_null(kmem_cache_create(x.k, "hw", 8, 0, 0, err), "a live name is taken");
	kx_fini(&x);
}

/* The direct map: PAGE_OFFSET + pa maps pa, global, supervisor only, with
 * 1G pages where the config allows (64 MiB of memory: 2M pages), 4K with
 * kernel.direct_map=4k. A user access faults with a protection fault. */
Test(slab, direct_map_pages_and_rights)
{
	struct kx x;
	kx_init(&x, 1, NULL);
	struct core *c = x.c[0];
	paddr_t pa;
	uint8_t rights;
	vaddr_t va = kmem_page_offset(x.k) + 0x345678;
	cr_assert(walk_probe(&c->walker, &x.ms->pm, kmem_init_pgd(x.k), va, &pa, &rights));
	cr_assert_eq(pa, 0x345678);
	cr_assert(rights & TLBE_GLOBAL);
	cr_assert_not(rights & TLBE_US);
	cr_assert_eq(core_translate(c, va, 0, &pa), 0);
	cr_assert_eq(c->l1_miss_size[SIDE_D][PS_2M], 1, "a 2M-page walk");
	uint32_t code = core_translate(c, va, PF_U, &pa);
	cr_assert(code & PF_RAISED);
	cr_assert_eq(code & (PF_P | PF_U), PF_P | PF_U);
	kx_fini(&x);

	const char *k4[] = { "kernel.direct_map=4k", NULL };
	kx_init(&x, 1, k4);
	cr_assert_eq(core_translate(x.c[0], kmem_page_offset(x.k) + 0x345678, 0, &pa), 0);
	cr_assert_eq(x.c[0]->l1_miss_size[SIDE_D][PS_4K], 1);
	kx_fini(&x);
}

/* A freed object's free pointer is real data in simulated memory: SLUB
 * hands the last freed object out first, and the first word a free object
 * holds at the free-pointer offset (48 for kmalloc-96) is the next free
 * object's address. */
Test(slab, freelist_lives_in_simulated_memory)
{
	struct kx x;
	kx_init(&x, 1, NULL);
	struct core *c = x.c[0];
	vaddr_t a = kmalloc(x.k, c, 96, GFP_KERNEL);
	vaddr_t b = kmalloc(x.k, c, 96, GFP_KERNEL);
	cr_assert_eq(b, a + 96, "objects in address order in a new slab");
	vaddr_t next = kget(&x, c, b + 96 + 48);
	cr_assert_eq(next, b + 192, "the free object at b+96 links to the next");
	kfree(x.k, c, a);
	cr_assert_eq(kget(&x, c, a + 48), b + 96, "a freed object links to the old head");
	cr_assert_eq(kmalloc(x.k, c, 96, GFP_KERNEL), a, "LIFO");
	kfree(x.k, c, a);
	kfree(x.k, c, b);
	kx_fini(&x);
}

/* A slab that filled on one core, freed on another: remote frees take the
 * slow path and put the slab on the freeing core's partial list. */
Test(slab, remote_free_and_partial_lists)
{
	struct kx x;
	kx_init(&x, 2, NULL);
	vaddr_t o[43];
	for (int i = 0; i < 43; i++)   /* the 43rd moves core 0 to a new slab */
		o[i] = kmalloc(x.k, x.c[0], 96, GFP_KERNEL);
	for (int i = 0; i < 42; i++)
		kfree(x.k, x.c[1], o[i]);
	cr_assert_eq(kstat(&x, "slab.kmalloc-96.free_fastpath"), 0);
	cr_assert_eq(kstat(&x, "slab.kmalloc-96.free_slowpath"), 42);
	cr_assert_eq(kstat(&x, "slab.kmalloc-96.cpu_partial_free"), 1, "full -> core 1's list");
	cr_assert_eq(kstat(&x, "slab.kmalloc-96.partial_cpu"), 1);
	/* core 1 allocates from that partial slab without a new one */
	kmalloc(x.k, x.c[1], 96, GFP_KERNEL);
	cr_assert_eq(kstat(&x, "slab.kmalloc-96.cpu_partial_alloc"), 1);
	cr_assert_eq(kstat(&x, "slab.kmalloc-96.alloc_slab"), 2);
	kx_fini(&x);
}

/* Empty slabs beyond min_partial go back to the buddy allocator; shrink
 * returns the rest, and then every slab page is free again. */
Test(slab, empty_slabs_returned_and_shrink)
{
	struct kx x;
	char err[MMSIM_ERR_LEN];
	kx_init(&x, 1, NULL);
	struct core *c = x.c[0];
	uint64_t before = kstat(&x, "mm.pgfree");
	struct kmem_cache *s = kmem_cache_create(x.k, "obj64", 64, 0, 0, err);
	cr_assert(s, "%s", err);
	enum { N = 64 * 20 };
	static vaddr_t o[N];
	for (int i = 0; i < N; i++)
		o[i] = kmem_cache_alloc(x.k, c, s, GFP_KERNEL);
	cr_assert_eq(kstat(&x, "slab.obj64.num_slabs"), 20);
	cr_assert_eq(kstat(&x, "kmem.slab_unreclaimable_pages"), 20);
	for (int i = 0; i < N; i++)
		kmem_cache_free(x.k, c, s, o[i]);
	cr_assert_eq(kstat(&x, "slab.obj64.active_objs"), 0);
	cr_assert_lt(kstat(&x, "slab.obj64.num_slabs"), 20, "empty slabs were freed");
	cr_assert_gt(kstat(&x, "mm.pgfree"), before);
	kmem_cache_shrink(x.k, c, s);
	cr_assert_eq(kstat(&x, "slab.obj64.num_slabs"), 0);
	cr_assert_eq(kstat(&x, "kmem.slab_unreclaimable_pages"), 0);
	cr_assert_eq(kstat(&x, "mm.pgfree") - before, 20);
	cr_assert_eq(kmem_cache_destroy(x.k, c, s), 0);
	kx_fini(&x);
}

/* kzalloc zeroes, krealloc keeps the contents, kcalloc refuses overflow,
 * large kmalloc is a compound page straight from the buddy allocator. */
Test(slab, kmalloc_family)
{
	struct kx x;
	kx_init(&x, 1, NULL);
	struct core *c = x.c[0];
	vaddr_t a = kmalloc(x.k, c, 40, GFP_KERNEL);
	kput(&x, c, a, 0x1111);
	kput(&x, c, a + 32, 0x2222);
	kfree(x.k, c, a);
	vaddr_t z = kzalloc(x.k, c, 40, GFP_KERNEL);
	cr_assert_eq(z, a);
	cr_assert_eq(kget(&x, c, z + 32), 0, "kzalloc zeroed the old contents");
	kput(&x, c, z, 7);
	kput(&x, c, z + 24, 8);
	vaddr_t r = krealloc(x.k, c, z, 300, GFP_KERNEL);
	cr_assert_neq(r, z);
	cr_assert_eq(ksize(x.k, r), 512);
	cr_assert_eq(kget(&x, c, r), 7);
	cr_assert_eq(kget(&x, c, r + 24), 8);
	cr_assert_eq(krealloc(x.k, c, r, 400, GFP_KERNEL), r, "still fits");
	cr_assert_eq(kcalloc(x.k, c, UINT64_MAX / 2, 4, GFP_KERNEL), 0);
	uint64_t pg = kstat(&x, "mm.pgalloc");
	vaddr_t big = kmalloc(x.k, c, 40000, GFP_KERNEL);
	cr_assert_eq(kstat(&x, "mm.pgalloc") - pg, 16, "order 4");
	cr_assert_eq(kstat(&x, "kmem.kmalloc_large_pages"), 16);
	kput(&x, c, big + 39992, 99);
	cr_assert_eq(kget(&x, c, big + 39992), 99);
	kfree(x.k, c, big);
	cr_assert_eq(kstat(&x, "kmem.kmalloc_large_pages"), 0);
	kfree(x.k, c, r);
	kfree(x.k, c, big);   /* again: reported, ignored */
	cr_assert_eq(kstat(&x, "kmem.debug.invalid_free"), 1);
	cr_assert(strstr(kmem_take_reports(x.k), "kfree of"));
	kx_fini(&x);
}

/* vmalloc maps scattered frames with 4K global PTEs; the guard page after
 * the area faults; vfree unmaps at once but flushes lazily. */
Test(slab, vmalloc_guard_and_lazy_flush)
{
	struct kx x;
	kx_init(&x, 2, NULL);
	struct core *c = x.c[0];
	vaddr_t v = vmalloc(x.k, c, 3 * PAGE_SIZE + 1);
	cr_assert(is_vmalloc_addr(x.k, v));
	cr_assert_eq(kstat(&x, "kmem.vmalloc_pages"), 4);
	for (int i = 0; i < 4; i++)
		kput(&x, c, v + i * PAGE_SIZE + 8, 100 + i);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(kget(&x, x.c[1], v + i * PAGE_SIZE + 8), 100 + (uint64_t)i);
	uint64_t val;
	cr_assert(kmem_access(x.k, c, v + 4 * PAGE_SIZE, 8, false, &val, true) & PF_RAISED,
		  "the guard page is not mapped");
	vaddr_t w = vmalloc(x.k, c, PAGE_SIZE);
	cr_assert_eq(w, v + 5 * PAGE_SIZE, "the next area starts after the guard");
	vfree(x.k, c, v);
	cr_assert_eq(kstat(&x, "kmem.vmalloc_pages"), 1);
	cr_assert(kmem_va_lazy(x.k, v + 8));
	cr_assert_eq(kstat(&x, "kmem.vmap_purges"), 0);
	/* the stale global entry is still in core 1's TLB until the purge */
	paddr_t pa;
	cr_assert_eq(core_translate(x.c[1], v + 8, 0, &pa), 0, "stale entry, as Linux allows");
	uint64_t ipis = kstat(&x, "core0.ipi.sent");
	vmalloc_purge(x.k, c);
	cr_assert_eq(kstat(&x, "kmem.vmap_purges"), 1);
	cr_assert_eq(kstat(&x, "core0.ipi.sent") - ipis, 1, "a shootdown to core 1");
	cr_assert_not(kmem_va_lazy(x.k, v + 8));
	cr_assert(core_translate(x.c[1], v + 8, 0, &pa) & PF_RAISED, "flushed");
	cr_assert_eq(vmalloc(x.k, c, PAGE_SIZE), v, "the range is reused after the purge");
	vfree(x.k, c, w);
	vfree(x.k, c, w);
	cr_assert(strstr(kmem_take_reports(x.k), "vfree of"), "double vfree reported");
	kx_fini(&x);
}

/* vmap maps given frames; kvmalloc falls back to vmalloc when kmalloc
 * cannot serve the size. */
Test(slab, vmap_and_kvmalloc)
{
	struct kx x;
	kx_init(&x, 1, NULL);
	struct core *c = x.c[0];
	uint64_t pfns[2] = { 0x800, 0x900 };
	vaddr_t v = vmap(x.k, c, pfns, 2);
	kput(&x, c, v + PAGE_SIZE, 42);
	cr_assert_eq(kget(&x, c, kmem_page_offset(x.k) + 0x900000), 42, "same frame");
	vunmap(x.k, c, v);
	vaddr_t kv = kvmalloc(x.k, c, 100, GFP_KERNEL);
	cr_assert_not(is_vmalloc_addr(x.k, kv));
	kvfree(x.k, c, kv);
	vaddr_t kv2 = kvmalloc(x.k, c, 8ull << 20, GFP_KERNEL);   /* above max_order */
	cr_assert(is_vmalloc_addr(x.k, kv2));
	kvfree(x.k, c, kv2);
	kx_fini(&x);
}

/* alloc_percpu: one zeroed copy per CPU, at the same offset in each unit. */
Test(slab, percpu_copies)
{
	struct kx x;
	kx_init(&x, 4, NULL);
	uint64_t p = alloc_percpu(x.k, x.c[0], 24, 8);
	uint64_t q = alloc_percpu(x.k, x.c[0], 8, 8);
	cr_assert(p && q && q != p);
	for (unsigned i = 0; i < 4; i++) {
		cr_assert_eq(kget(&x, x.c[i], per_cpu_ptr(x.k, p, i) + 16), 0);
		kput(&x, x.c[i], per_cpu_ptr(x.k, p, i) + 16, 10 + i);
	}
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(kget(&x, x.c[0], per_cpu_ptr(x.k, p, i) + 16), 10 + i);
	cr_assert_eq(kstat(&x, "kmem.percpu_bytes"), 4 * 32);
	free_percpu(x.k, x.c[0], p);
	cr_assert_eq(alloc_percpu(x.k, x.c[0], 16, 8), p, "the space is reused");
	kx_fini(&x);
}

/* ------------------------------------------------------------ scenarios */

/* Issue slab, done when (1): 100k kmalloc-96 objects across 4 CPUs
 * (traces/slab-kmalloc96.json): the fast path serves almost every
 * operation, and slab and page counts follow the SLUB model: 42 objects
 * per 4 KiB slab, one page per slab, one slow path per slab's worth. */
Test(slab, kmalloc96_100k_four_cpus)
{
	struct run r;
	const char *sets[] = { "cores=4", NULL };
	FILE *f = fopen("traces/slab-kmalloc96.json", "r");
	cr_assert(f);
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	run_text(&r, sets, text);
	uint64_t allocs = run_stat(&r, "slab.kmalloc-96.alloc_fastpath") +
			  run_stat(&r, "slab.kmalloc-96.alloc_slowpath");
	uint64_t frees = run_stat(&r, "slab.kmalloc-96.free_fastpath") +
			 run_stat(&r, "slab.kmalloc-96.free_slowpath");
	cr_assert_eq(allocs, 4 * (25000 + 6400));
	cr_assert_eq(frees, allocs);
	cr_assert_eq(run_stat(&r, "slab.kmalloc-96.active_objs"), 0);
	cr_assert_eq(run_stat(&r, "slab.kmalloc-96.objperslab"), 42);
	cr_assert_eq(run_stat(&r, "slab.kmalloc-96.pagesperslab"), 1);
	cr_assert_eq(run_stat(&r, "slab.kmalloc-96.num_objs"), 42 * run_stat(&r, "slab.kmalloc-96.num_slabs"));
	cr_assert_eq(run_stat(&r, "kmem.slab_unreclaimable_pages"), run_stat(&r, "slab.kmalloc-96.num_slabs"));
	/* a slow path empties a slab's worth of freelist: at most one per 41
	 * fast-path allocations, i.e. a fast-path rate of at least 41/42 */
	cr_assert_geq(run_stat(&r, "slab.kmalloc-96.alloc_fastpath") * 42, allocs * 41);
	/* every slab allocated was freed or is still counted */
	cr_assert_eq(run_stat(&r, "slab.kmalloc-96.alloc_slab") - run_stat(&r, "slab.kmalloc-96.free_slab"),
		     run_stat(&r, "slab.kmalloc-96.num_slabs"));
	cr_assert_eq(run_stat(&r, "kmem.debug.reports"), 0);
	run_free(&r);
}

/* Issue slab, done when (2): a use after free in a trace is reported by
 * the poison check, naming the cache, the object and the op; the run goes
 * on. Also double free and overrun (red zone), and a leak at destroy. */
Test(slab, use_after_free_reported_by_poison)
{
	struct run r;
	run_text(&r, NULL, "{'processes': [{'threads': [{'ops': ["
		 "{'op': 'kmem_cache_create', 'cache': 'victim', 'size': 64, 'debug': 'FZPU'},"
		 "{'op': 'kmem_cache_alloc', 'cache': 'victim', 'name': 'x'},"
		 "{'op': 'kwrite', 'obj': 'x', 'offset': 8, 'value': 1},"
		 "{'op': 'kmem_cache_free', 'cache': 'victim', 'obj': 'x'},"
		 "{'op': 'kwrite', 'obj': 'x', 'offset': 16, 'value': 3054},"
		 "{'op': 'kmem_cache_alloc', 'cache': 'victim', 'name': 'y'},"
		 "{'op': 'kwrite', 'obj': 'y', 'offset': 0, 'value': 5},"
		 "{'op': 'kread', 'obj': 'y', 'offset': 0, 'expect': 5},"
		 "{'op': 'kfree', 'obj': 'y'},"
		 "{'op': 'kfree', 'obj': 'y'},"
		 "{'op': 'kmem_cache_alloc', 'cache': 'victim', 'name': 'z'},"
		 "{'op': 'kwrite', 'obj': 'z', 'offset': 64, 'size': 1, 'value': 1},"
		 "{'op': 'kfree', 'obj': 'z'},"
		 "{'op': 'kmem_cache_alloc', 'cache': 'victim', 'name': 'leak'},"
		 "{'op': 'kmem_cache_destroy', 'cache': 'victim'}]}]}]}");
	const char *ev = machine_events(r.m);
	cr_assert(strstr(ev, "op 5 (kmem_cache_alloc): slab victim: Poison overwritten "
		  "(use after free) at object 0xffff888"), "%s", ev);
	cr_assert(strstr(ev, "offset 16 (0xee instead of 0x6b)"), "%s", ev);
	cr_assert(strstr(ev, "op 9 (free): slab victim: double free of object"), "%s", ev);
	cr_assert(strstr(ev, "op 12 (free): slab victim: Right Redzone overwritten (overrun)"),
		  "%s", ev);
	cr_assert(strstr(ev, "kmem_cache_destroy: 1 object still allocated"), "%s", ev);
	cr_assert_eq(run_stat(&r, "kmem.debug.poison_overwritten"), 1);
	cr_assert_eq(run_stat(&r, "kmem.debug.double_free"), 1);
	cr_assert_eq(run_stat(&r, "kmem.debug.redzone_overwritten"), 1);
	cr_assert_eq(run_stat(&r, "kmem.debug.leaked_objects"), 1);
	cr_assert_eq(run_stat(&r, "run.value_mismatches"), 0, "the run went on: %s", ev);
	cr_assert_eq(run_stat(&r, "run.process_kills"), 0);
	run_free(&r);
}

/* Without the poison flag the same use after free goes unnoticed (the
 * write lands in a free object and is not checked), as on Linux. */
Test(slab, no_report_without_debug)
{
	struct run r;
	run_text(&r, NULL, "{'processes': [{'threads': [{'ops': ["
		 "{'op': 'kmalloc', 'name': 'x', 'size': 64},"
		 "{'op': 'kfree', 'obj': 'x'},"
		 "{'op': 'kwrite', 'obj': 'x', 'offset': 8, 'value': 3054},"
		 "{'op': 'kmalloc', 'name': 'y', 'size': 64}]}]}]}");
	cr_assert_eq(run_stat(&r, "kmem.debug.reports"), 0, "%s", machine_events(r.m));
	run_free(&r);
	/* kernel.slub_debug=P turns poisoning on for every cache */
	const char *dbg[] = { "kernel.slub_debug=P", NULL };
	run_text(&r, dbg, "{'processes': [{'threads': [{'ops': ["
		 "{'op': 'kmalloc', 'name': 'x', 'size': 64},"
		 "{'op': 'kfree', 'obj': 'x'},"
		 "{'op': 'kwrite', 'obj': 'x', 'offset': 8, 'value': 3054},"
		 "{'op': 'kmalloc', 'name': 'y', 'size': 64}]}]}]}");
	cr_assert_eq(run_stat(&r, "kmem.debug.poison_overwritten"), 1, "%s", machine_events(r.m));
	cr_assert(strstr(machine_events(r.m), "slab kmalloc-64: Poison overwritten"));
	run_free(&r);
}

/* Issue slab, done when (3): vmalloc'd memory reads back the values
 * written, across pages and from another core. After vfree an access to a
 * page no TLB holds is an oops, reported, and the run goes on (one the TLB
 * still holds would not fault until the lazy purge, as on Linux). */
Test(slab, vmalloc_reads_back)
{
	struct run r;
	const char *sets[] = { "cores=2", NULL };
	run_text(&r, sets, "{'processes': [{'threads': ["
		 "{'cpu': 0, 'ops': ["
		 " {'op': 'vmalloc', 'name': 'v', 'size': '1M'},"
		 " {'op': 'kwrite', 'obj': 'v', 'offset': 0, 'value': 11},"
		 " {'op': 'kwrite', 'obj': 'v', 'offset': '4092', 'value': '0x1122334455667788'},"
		 " {'op': 'kwrite', 'obj': 'v', 'offset': '1048568', 'value': 33},"
		 " {'op': 'kread', 'obj': 'v', 'offset': 0, 'expect': 11},"
		 " {'op': 'kread', 'obj': 'v', 'offset': '4092', 'expect': '0x1122334455667788'},"
		 " {'op': 'kread', 'obj': 'v', 'offset': '1048568', 'expect': 33},"
		 " {'op': 'barrier'}, {'op': 'barrier'},"
		 " {'op': 'vfree', 'obj': 'v'},"
		 " {'op': 'kread', 'obj': 'v', 'offset': '8K'},"
		 " {'op': 'vzalloc', 'name': 'z', 'size': '8K'},"
		 " {'op': 'kread', 'obj': 'z', 'offset': 4096, 'expect': 0}]},"
		 "{'cpu': 1, 'ops': ["
		 " {'op': 'barrier'},"
		 " {'op': 'kread', 'obj': 'v', 'offset': '1048568', 'expect': 33},"
		 " {'op': 'barrier'}]}]}]}");
	cr_assert_eq(run_stat(&r, "run.value_mismatches"), 0, "%s", machine_events(r.m));
	cr_assert_eq(run_stat(&r, "run.kernel_oops"), 1, "the read after vfree");
	cr_assert(strstr(machine_events(r.m), "kernel oops: process p0 thread 0 op 10: kread "
		  "of \"v\"[0]+8192"), "%s", machine_events(r.m));
	cr_assert_eq(run_stat(&r, "kmem.vmalloc_pages"), 2);
	run_free(&r);
}

/* Many vfrees trigger the lazy purge: one flush of the kernel range on
 * every core, by INVPCID beyond the flush ceiling; --check accepts the
 * stale entries of ranges waiting for it. */
Test(slab, vfree_lazy_purge_flushes_all_cores)
{
	struct run r;
	const char *sets[] = { "cores=2", "memory.size=256M", NULL };
	run_text(&r, sets, "{'processes': [{'threads': [{'cpu': 0, 'ops': ["
		 "{'op': 'repeat', 'count': 5, 'ops': ["
		 " {'op': 'vmalloc', 'name': 'v', 'size': '16M'},"
		 " {'op': 'kwrite', 'obj': 'v', 'offset': 0, 'value': 1},"
		 " {'op': 'vfree', 'obj': 'v'}]}]},"
		 "{'cpu': 1, 'ops': [{'op': 'compute', 'cycles': 10}]}]}]}");
	/* lazy_max_pages with 2 cores: 8192 * fls(2) = 16384 pages = 64M; the
	 * fifth 16M area crosses it */
	cr_assert_eq(run_stat(&r, "kmem.vmap_purges"), 1);
	cr_assert_eq(run_stat(&r, "kmem.vmap_purged_pages"), 5 * 4096);
	cr_assert_eq(run_stat(&r, "core1.invpcid"), 1, "the purge's IPI flushed core 1, globals too");
	cr_assert_eq(run_stat(&r, "core0.invpcid"), 1);
	cr_assert_eq(run_stat(&r, "kmem.vmalloc_pages"), 0);
	run_free(&r);
}

/* Kernel objects are kernel-wide: allocated on one core, freed on another. */
Test(slab, trace_cross_core_free_and_bad_ops)
{
	struct run r;
	const char *sets[] = { "cores=2", NULL };
	run_text(&r, sets, "{'processes': [{'threads': ["
		 "{'cpu': 0, 'ops': [{'op': 'kmalloc', 'name': 'b', 'size': 200, 'count': 100},"
		 " {'op': 'barrier'}]},"
		 "{'cpu': 1, 'ops': [{'op': 'barrier'}, {'op': 'kfree', 'obj': 'b', 'count': 60},"
		 " {'op': 'kfree', 'obj': 'b', 'index': 99},"
		 " {'op': 'kread', 'obj': 'b', 'index': 100}]}]}]}");
	cr_assert_eq(run_stat(&r, "slab.kmalloc-256.active_objs"), 39);
	cr_assert_eq(run_stat(&r, "slab.kmalloc-256.free_fastpath"), 0, "all remote frees");
	cr_assert_eq(run_stat(&r, "run.process_kills"), 1, "index 100 of 100 objects");
	cr_assert(strstr(machine_events(r.m), "kread of \"b\"[100]: the variable holds 100 objects"),
		  "%s", machine_events(r.m));
	run_free(&r);
}

/* A constructor runs when a slab is set up, not at each allocation: a
 * reallocated object keeps what its last user left (SLAB_TYPESAFE-style
 * caches rely on that); poisoning is off for such a cache, as in Linux.
 * overhead_bytes: slab bytes not holding live objects. */
Test(slab, ctor_runs_per_slab_and_overhead)
{
	struct run r;
	run_text(&r, NULL, "{'processes': [{'threads': [{'ops': ["
		 "{'op': 'kmem_cache_create', 'cache': 'inode', 'size': 600, 'ctor': '0x77',"
		 " 'debug': 'P'},"
		 "{'op': 'kmem_cache_alloc', 'cache': 'inode', 'name': 'x', 'count': 3},"
		 "{'op': 'kread', 'obj': 'x', 'index': 2, 'expect': 119},"
		 "{'op': 'kwrite', 'obj': 'x', 'index': 2, 'value': 5},"
		 "{'op': 'kfree', 'obj': 'x', 'index': 2},"
		 "{'op': 'kmem_cache_alloc', 'cache': 'inode', 'name': 'y'},"
		 "{'op': 'kread', 'obj': 'y', 'expect': 5},"
		 "{'op': 'kmalloc', 'name': 'k', 'size': 96}]}]}]}");
	cr_assert_eq(run_stat(&r, "run.value_mismatches"), 0, "%s", machine_events(r.m));
	cr_assert_eq(run_stat(&r, "kmem.debug.reports"), 0, "%s", machine_events(r.m));
	cr_assert_eq(run_stat(&r, "slab.kmalloc-96.overhead_bytes"), 4096 - 96);
	uint64_t pages = run_stat(&r, "slab.inode.pagesperslab");
	cr_assert_eq(run_stat(&r, "slab.inode.overhead_bytes"), pages * 4096 - 3 * 600);
	run_free(&r);
}

/* Slabs come from the allocating core's node and sit on that node's
 * partial list (kmem_cache_node per node). */
Test(slab, numa_node_local_slabs)
{
	struct kx x;
	const char *numa[] = { "memory.numa.nodes=2", NULL };
	kx_init(&x, 2, numa);
	cr_assert_eq(x.k->nr_nodes, 2);
	for (unsigned i = 0; i < 2; i++) {
		vaddr_t o = kmalloc(x.k, x.c[i], 96, GFP_KERNEL);
		uint64_t pfn = (o - kmem_page_offset(x.k)) >> PAGE_SHIFT;
		cr_assert_eq(pfn_to_nid(x.k, pfn), cpu_to_node(x.k, i), "core %u's slab", i);
		kfree(x.k, x.c[i], o);
	}
	cr_assert_eq(cpu_to_node(x.k, 0) != cpu_to_node(x.k, 1), 1);
	kx_fini(&x);
}

/* mmsim report's meminfo shows the kernel's allocators: one kmalloc-96
 * slab (a page, unreclaimable) and an 8K vmalloc left allocated at the end. */
Test(slab, meminfo_lines_in_report)
{
	char dir[] = "/tmp/mmsim-slabrep-XXXXXX";
	cr_assert(mkdtemp(dir));
	char trace[64], stats[64];
	snprintf(trace, sizeof(trace), "%s/t.json", dir);
	snprintf(stats, sizeof(stats), "%s/s.json", dir);
	FILE *f = fopen(trace, "w");
	cr_assert(f);
	fputs("{\"processes\": [{\"threads\": [{\"cpu\": 0, \"ops\": ["
	      " {\"op\": \"kmalloc\", \"name\": \"a\", \"size\": 96},"
	      " {\"op\": \"vmalloc\", \"name\": \"v\", \"size\": \"8K\"}]}]}]}", f);
	fclose(f);
	char *run[] = { "run", "-q", "-c", "configs/tiny.json", "--stats", stats, trace, NULL };
	cr_assert_eq(cmd_run(7, run, stdout), 0);
	char *text = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);
	char *argv[] = { "report", stats, NULL };
	cr_assert_eq(cmd_report(2, argv, out), 0);
	fclose(out);
	static const struct { const char *name; int kb; } want[] = {
		{ "Slab:", 4 }, { "SReclaimable:", 0 }, { "SUnreclaim:", 4 }, { "VmallocUsed:", 8 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		char line[64];
		snprintf(line, sizeof(line), "\n%-16s%10d kB\n", want[i].name, want[i].kb);
		cr_assert(strstr(text, line), "want %s in:\n%s", line, text);
	}
	free(text);
	unlink(trace);
	unlink(stats);
	rmdir(dir);
}
