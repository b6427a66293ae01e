/* State shared by kmap.c, slub.c, slub_debug.c, kmalloc.c, vmalloc.c and
 * percpu.c (not part of the kernel's API: see slab.h). */
#ifndef MMSIM_SLAB_INTERNAL_H
#define MMSIM_SLAB_INTERNAL_H

#include "kernel/mm/slab.h"
#include "kernel/mm/kmm.h"

#define SLAB_NAME_LEN 32
#define SLUB_MAX_ORDER 3          /* slub_max_order = PAGE_ALLOC_COSTLY_ORDER */
#define MIN_PARTIAL 5
#define MAX_PARTIAL 10
#define KMALLOC_MAX_CACHE_SIZE 8192
#define NR_KMALLOC 14             /* 8 16 32 64 96 128 192 256 512 1k 2k 4k 8k + spare */
#define SLAB_NONE UINT32_MAX

/* Debug byte patterns (include/linux/poison.h). */
#define POISON_INUSE 0x5a
#define POISON_FREE  0x6b
#define POISON_END   0xa5
#define RED_INACTIVE 0xbb
#define RED_ACTIVE   0xcc

/* One slab: Linux keeps these fields in struct slab, overlaid on the head
 * struct page; here they live in a side table (struct page keeps its
 * layout: .mapping holds the cache id, .private the slab's index here). */
struct slab {
	uint32_t cache;          /* owning cache id; SLAB_NONE: this entry is free */
	uint32_t next, prev;     /* partial-list links (slab indices) */
	uint64_t pfn;            /* first frame */
	uint8_t order;
	uint8_t nid;             /* node of its frames */
	bool frozen;             /* a CPU's active slab */
	bool on_node_partial;
	bool on_cpu_partial;
	uint16_t objects, inuse; /* inuse: objects not on the slab's freelist
	                          * (counting those on a CPU freelist as in use) */
	vaddr_t freelist;        /* first free object, 0: none */
	uint8_t *allocated;      /* one bit per object: handed out (host side,
	                          * what the simulator checks frees against) */
	uint32_t *track;         /* SLAB_STORE_USER: op counter at alloc/free,
	                          * two per object (host side) */
};

/* kmem_cache_cpu: the per-CPU active slab, its lockless freelist and the
 * per-CPU partial list. */
struct kmem_cache_cpu {
	vaddr_t freelist;
	uint32_t slab;           /* active slab index or SLAB_NONE */
	uint32_t partial;        /* head of the per-CPU partial list */
	uint32_t partial_slabs;
};

/* kmem_cache_node: one per NUMA node, for the slabs of that node's frames. */
struct kmem_cache_node {
	uint32_t partial;        /* head of the partial list (circular), SLAB_NONE */
	uint64_t nr_partial;
	uint64_t nr_slabs, total_objects;
};

struct kmem_cache {
	char name[SLAB_NAME_LEN];
	uint32_t id;             /* index in kmem->caches, +1 (page.mapping) */
	uint32_t flags;
	uint32_t object_size;    /* what the caller asked for */
	uint32_t size;           /* stride between objects, with metadata */
	uint32_t align;
	uint32_t inuse;          /* object + right red zone: where metadata starts */
	uint32_t offset;         /* free pointer offset within an object */
	uint32_t red_left_pad;   /* left red zone (SLAB_RED_ZONE) */
	uint32_t order, objects; /* oo: preferred slab order and objects per slab */
	uint32_t min_order, min_objects; /* s->min: the fallback */
	uint32_t min_partial;
	uint32_t cpu_partial_slabs;
	bool dead;               /* destroyed (kept for its counters) */
	uint64_t ctor_value;     /* SLAB_CTOR: what the constructor stores in the
	                          * object's first word */
	bool is_kmalloc;
	struct kmem_cache_cpu *cpu;   /* per core */
	struct kmem_cache_node *node; /* [kmm.nr_nodes] */
	uint64_t nr_partial;     /* partial slabs over all nodes */

	/* counters ("slab.<name>.*"); the first five as /proc/slabinfo */
	uint64_t active_objs, num_objs, objsize, objperslab, pagesperslab;
	uint64_t active_slabs, num_slabs;
	uint64_t alloc_fastpath, alloc_slowpath, free_fastpath, free_slowpath;
	uint64_t alloc_refill, alloc_from_partial, alloc_slab, cpu_partial_alloc;
	uint64_t cpu_partial_free, free_add_partial, free_slab, free_remove_partial;
	uint64_t deactivate, order_fallback, alloc_fail, cpu_partial_drain;
	uint64_t node_partial_now, cpu_partial_now;  /* list lengths now */
	uint64_t errors;         /* debug reports about this cache */
	uint64_t pages;          /* frames in its slabs */
	uint64_t overhead_bytes; /* slab bytes not holding live objects' data */
};

struct vmap_area {
	vaddr_t start, end;      /* [start, end): the guard page is not in it */
	uint64_t *pfns;          /* vmalloc: the frames (freed with it); vmap: NULL */
	uint64_t npages;
	bool lazy;               /* unmapped, waiting for the purge */
};

struct kmem {
	/* kernel address space */
	paddr_t init_pgd;        /* kernel master top-level table */
	vaddr_t page_offset, vmalloc_start, vmalloc_end;
	paddr_t vmalloc_table;   /* the table below the vmalloc top entry */
	uint64_t kernel_pt_pages;

	/* SLUB */
	struct kmem_cache **caches;
	uint32_t ncaches, caches_cap;
	struct slab *slabs;
	uint32_t nslabs, slabs_cap, slab_free; /* free entries chained by .next */
	struct kmem_cache *kmalloc[NR_KMALLOC];
	uint32_t min_objects;    /* 4 * (fls(nr_cpus) + 1) */
	uint32_t debug_flags;    /* kernel.slub_debug */
	uint64_t op_seq;         /* allocator calls so far (for tracks) */
	struct stats *st;        /* where new caches register their counters */

	/* vmalloc */
	struct vmap_area *va;    /* sorted by start */
	uint32_t nva, va_cap;
	uint64_t lazy_pages, lazy_max_pages;

	/* per-CPU */
	uint64_t *pcpu_unit;     /* per core: the unit's base PFN */
	uint8_t *pcpu_map;       /* one byte per 8-byte granule: 0 free,
	                          * 1 start of an allocation, 2 its continuation */
	uint32_t pcpu_granules;

	/* reports */
	char report[4096], report_out[4096];
	size_t report_len;
	uint64_t reports;

	/* counters */
	uint64_t slab_reclaimable, slab_unreclaimable;   /* pages */
	uint64_t large_kmalloc_pages;
	uint64_t vmalloc_pages, vmalloc_areas, vmalloc_calls, vfree_calls;
	uint64_t vmap_purges, vmap_purged_pages, vmap_lazy_now;
	uint64_t percpu_bytes;
	uint64_t kread, kwrite, oops;
	uint64_t invalid_free, double_free, poison_bad, redzone_bad, freelist_bad, leaks;
};

static inline struct kmem *KM(struct kmm *k) { return k->kmem; }

/* kmap.c */
void kmem_report(struct kmm *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Map one 4K frame at a vmalloc-area va (PAGE_KERNEL|G), timed on c; false
 * when a table cannot be allocated. */
bool kmap_set_pte(struct kmm *k, struct core *c, vaddr_t va, uint64_t pfn);
/* Clear the PTE of va (timed); returns the frame it mapped or -1. */
int64_t kmap_clear_pte(struct kmm *k, struct core *c, vaddr_t va);
/* Timed fill / compare of [va, va+len) byte by byte through the MMU. */
void kmem_fill(struct kmm *k, struct core *c, vaddr_t va, uint32_t len, uint8_t byte);
/* Offset of the first byte != byte, or -1. */
int64_t kmem_check_bytes(struct kmm *k, struct core *c, vaddr_t va, uint32_t len, uint8_t byte);
uint64_t kmem_read8(struct kmm *k, struct core *c, vaddr_t va);
void kmem_write8(struct kmm *k, struct core *c, vaddr_t va, uint64_t v);
static inline vaddr_t pfn_to_kva(const struct kmem *km, uint64_t pfn)
{
	return km->page_offset + (pfn << PAGE_SHIFT);
}
static inline bool kva_in_direct_map(const struct kmm *k, vaddr_t va)
{
	return va >= k->kmem->page_offset &&
	       va < k->kmem->page_offset + (k->nframes << PAGE_SHIFT);
}
static inline uint64_t kva_to_pfn(const struct kmem *km, vaddr_t va)
{
	return (va - km->page_offset) >> PAGE_SHIFT;
}

/* slub.c */
struct slab *slab_of(struct kmm *k, vaddr_t obj, struct kmem_cache **s);
void slub_init(struct kmm *k, struct stats *st);
void slub_fini(struct kmm *k);
struct kmem_cache *kmem_cache_create_stats(struct kmm *k, const char *name, uint32_t size,
					   uint32_t align, uint32_t flags, char *err);
int slub_validate(struct kmm *k, char *err);

/* slub_debug.c */
void slub_debug_init_object(struct kmm *k, struct core *c, struct kmem_cache *s, vaddr_t obj);
bool slub_debug_alloc(struct kmm *k, struct core *c, struct kmem_cache *s, struct slab *sl,
		      vaddr_t obj);
bool slub_debug_free(struct kmm *k, struct core *c, struct kmem_cache *s, struct slab *sl,
		     vaddr_t obj);
/* The object's index in its slab, or -1 if obj is not an object start. */
int64_t slab_obj_index(struct kmm *k, const struct kmem_cache *s, const struct slab *sl,
		       vaddr_t obj);
vaddr_t slab_obj_addr(const struct kmm *k, const struct kmem_cache *s, const struct slab *sl,
		      uint32_t i);

/* kmalloc.c */
void kmalloc_init(struct kmm *k);
/* vmalloc.c / percpu.c */
void vmalloc_fini(struct kmm *k);
void percpu_fini(struct kmm *k);

#endif
