/* The guest kernel's own allocators, living in simulated memory: the kernel
 * address space (direct map + vmalloc area, kmap.c), SLUB object caches
 * (slub.c, slub_debug.c), kmalloc (kmalloc.c), vmalloc (vmalloc.c) and
 * per-CPU allocations (percpu.c). docs/slab.md describes the model.
 *
 * Every address these functions hand out or take is a kernel virtual
 * address (the direct map at PAGE_OFFSET, or the vmalloc area); their own
 * memory work goes through the MMU of the core doing it, in supervisor mode,
 * and is charged to its clock with the kernel.cost.slab_* / vmalloc_*
 * figures. All state hangs off struct kmm (k->kmem). */
#ifndef MMSIM_SLAB_H
#define MMSIM_SLAB_H

#include "lib/types.h"
#include "kernel/mm/gfp.h"

struct kmm;
struct core;
struct stats;
struct kmem;
struct kmem_cache;

/* Kernel virtual layout, as Linux x86-64 without KASLR
 * (Documentation/arch/x86/x86_64/mm.rst). The vmalloc area here is one
 * top-level entry (512 GiB), whose PDPT is allocated at boot so every
 * address space shares it. */
#define PAGE_OFFSET       0xffff888000000000ull   /* direct map, 4-level */
#define PAGE_OFFSET_L5    0xff11000000000000ull   /* direct map, 5-level */
#define VMALLOC_START     0xffffc90000000000ull
#define VMALLOC_START_L5  0xffa0000000000000ull
#define VMALLOC_SIZE      (512ull << 30)

/* kmem_cache flags (Linux's SLAB_* names, our bit values). The debug ones
 * are slub_debug's letters: F, Z, P, U. */
#define SLAB_CONSISTENCY_CHECKS 0x0001u  /* F: freelist and pointer sanity */
#define SLAB_RED_ZONE           0x0002u  /* Z: red zones around objects */
#define SLAB_POISON             0x0004u  /* P: poison free objects */
#define SLAB_STORE_USER         0x0008u  /* U: remember who allocated/freed */
#define SLAB_HWCACHE_ALIGN      0x0010u  /* align objects to cache lines */
#define SLAB_RECLAIM_ACCOUNT    0x0020u  /* counted as SReclaimable */
#define SLAB_CTOR               0x0040u  /* has a constructor (runs on new slabs) */
#define SLAB_DEBUG_FLAGS (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | \
			  SLAB_STORE_USER)

/* "FZPU" (any subset, or "-" for none) -> flags; -1 when malformed. */
int slab_parse_debug(const char *s, uint32_t *flags);

/* --- boot and teardown (kmap.c) --- */
/* Build the kernel master page table (direct map of all memory with the
 * largest pages kernel.direct_map allows, the vmalloc area's top table) and
 * the kmalloc caches. Boot work is untimed: it happens before cycle 0. */
void kmem_init(struct kmm *k, struct stats *st);
void kmem_fini(struct kmm *k);
/* pgd_ctor(): copy the kernel-half top-level entries into a new PML4
 * (timed on c). The user half is left empty. */
void kmem_clone_pgd(struct kmm *k, struct core *c, paddr_t pgd);
/* Physical address of the kernel master top-level table (init_mm's pgd,
 * what an idle core's CR3 holds). */
paddr_t kmem_init_pgd(const struct kmm *k);
vaddr_t kmem_page_offset(const struct kmm *k);
static inline bool kmem_is_kernel_va(vaddr_t va) { return va >> 63; }

/* A kernel-mode data access of 1..8 bytes at va from core c through its
 * MMU and caches; a value moves when val is given. user_op: the access is a
 * trace's kread/kwrite (counted as a core load/store) rather than the
 * allocator's own work. Returns 0, or PF_RAISED | the #PF error code when
 * the translation faults (a kernel oops: nothing is accessed). */
uint32_t kmem_access(struct kmm *k, struct core *c, vaddr_t va, unsigned size, bool write,
		     uint64_t *val, bool user_op);
/* Is va in a vmalloc range that was unmapped but whose TLB flush is still
 * pending (lazy purge)? Stale TLB entries there are expected (--check). */
bool kmem_va_lazy(const struct kmm *k, vaddr_t va);
/* Invariants of the kernel half: tables, slabs, freelists. 0 or -1 with err. */
int kmem_validate(struct kmm *k, char *err);

/* --- SLUB (slub.c) --- */
/* kmem_cache_create(): NULL with err when the geometry is impossible or
 * the name is taken by a live cache. */
struct kmem_cache *kmem_cache_create(struct kmm *k, const char *name, uint32_t size,
				     uint32_t align, uint32_t flags, char *err);
struct kmem_cache *kmem_cache_find(struct kmm *k, const char *name);
/* The constructor of a SLAB_CTOR cache: it stores value in the first 8
 * bytes of every object (of at least 8 bytes) when a new slab is set up
 * (setup_object()), not at each allocation: an object keeps what its user
 * left in it across free and reallocation, as a ctor'd object must. */
void kmem_cache_set_ctor(struct kmem_cache *s, uint64_t value);
/* Returns the object's address, or 0 when memory runs out. */
vaddr_t kmem_cache_alloc(struct kmm *k, struct core *c, struct kmem_cache *s, gfp_t gfp);
void kmem_cache_free(struct kmm *k, struct core *c, struct kmem_cache *s, vaddr_t obj);
/* Give back every empty slab (per-CPU slabs are flushed first). */
void kmem_cache_shrink(struct kmm *k, struct core *c, struct kmem_cache *s);
/* Objects still allocated are reported as leaks (and stay allocated; their
 * slabs are leaked too, as Linux keeps them). Returns the leak count. */
uint64_t kmem_cache_destroy(struct kmm *k, struct core *c, struct kmem_cache *s);
const char *kmem_cache_name(const struct kmem_cache *s);
uint32_t kmem_cache_object_size(const struct kmem_cache *s);
uint32_t kmem_cache_objs_per_slab(const struct kmem_cache *s);
uint32_t kmem_cache_order(const struct kmem_cache *s);
uint64_t kmem_cache_active_objs(const struct kmem_cache *s);

/* --- kmalloc (kmalloc.c) --- */
vaddr_t kmalloc(struct kmm *k, struct core *c, uint64_t size, gfp_t gfp);
vaddr_t kzalloc(struct kmm *k, struct core *c, uint64_t size, gfp_t gfp);
vaddr_t kcalloc(struct kmm *k, struct core *c, uint64_t n, uint64_t size, gfp_t gfp);
vaddr_t krealloc(struct kmm *k, struct core *c, vaddr_t p, uint64_t size, gfp_t gfp);
/* kfree(): any kmalloc'd or kmem_cache_alloc'd object; 0 is ignored; a
 * pointer no allocator handed out is reported as an invalid free. */
void kfree(struct kmm *k, struct core *c, vaddr_t p);
/* The kmalloc cache serving size (kmalloc_slab()), NULL above 8 KiB. */
struct kmem_cache *kmalloc_slab(struct kmm *k, uint64_t size);
/* ksize(): usable bytes of an allocated object (0 if none). */
uint64_t ksize(struct kmm *k, vaddr_t p);

/* --- vmalloc (vmalloc.c) --- */
vaddr_t vmalloc(struct kmm *k, struct core *c, uint64_t size);
vaddr_t vzalloc(struct kmm *k, struct core *c, uint64_t size);
void vfree(struct kmm *k, struct core *c, vaddr_t addr);
/* vmap(): map npages given frames contiguously in the vmalloc area. */
vaddr_t vmap(struct kmm *k, struct core *c, const uint64_t *pfns, uint64_t npages);
void vunmap(struct kmm *k, struct core *c, vaddr_t addr);
/* Flush every lazily freed range now (purge_vmap_area_lazy()). */
void vmalloc_purge(struct kmm *k, struct core *c);
bool is_vmalloc_addr(const struct kmm *k, vaddr_t va);
vaddr_t kvmalloc(struct kmm *k, struct core *c, uint64_t size, gfp_t gfp);
void kvfree(struct kmm *k, struct core *c, vaddr_t addr);

/* --- per-CPU (percpu.c) --- */
/* alloc_percpu(): an offset valid in every CPU's unit (0 when out of room). */
uint64_t alloc_percpu(struct kmm *k, struct core *c, uint32_t size, uint32_t align);
void free_percpu(struct kmm *k, struct core *c, uint64_t ptr);
/* per_cpu_ptr(): the address of cpu's copy. */
vaddr_t per_cpu_ptr(struct kmm *k, uint64_t ptr, unsigned cpu);

/* --- reports --- */
/* Take the debug reports made since the last call ("" if none): one line
 * each, naming the cache, the object and what was wrong. The buffer stays
 * valid until the next kmem call. */
const char *kmem_take_reports(struct kmm *k);
uint64_t kmem_report_count(const struct kmm *k);

#endif
