/* kmalloc (mm/slab_common.c): general-purpose caches by size class, and
 * large allocations straight from the buddy allocator.
 *
 * Classes as Linux x86-64: 8, 16, 32, 64, 96, 128, 192, 256, 512, 1k, 2k,
 * 4k, 8k (kmalloc_size_index for sizes up to 192, then powers of two);
 * KMALLOC_MAX_CACHE_SIZE = 8 KiB (two pages). Larger requests are
 * __kmalloc_large_node(): a compound page of get_order(size), marked as a
 * large kmalloc in its struct page (state PG_kernel, .mapping
 * KMALLOC_LARGE, .index the order) so kfree() can tell. */
#include "kernel/mm/slab_internal.h"

#include <assert.h>
#include <stdio.h>
#include "lib/config.h"
#include "sim/cpu/core.h"

#define KMALLOC_LARGE 0xfffffffeu

void slab_kfree(struct kmm *k, struct core *c, struct kmem_cache *s, struct slab *sl,
		vaddr_t obj);

static const uint32_t kmalloc_sizes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024,
					  2048, 4096, 8192 };

void kmalloc_init(struct kmm *k)
{
	struct kmem *km = k->kmem;
	char err[MMSIM_ERR_LEN];
	for (size_t i = 0; i < ARRAY_SIZE(kmalloc_sizes); i++) {
		char name[SLAB_NAME_LEN];
		uint32_t sz = kmalloc_sizes[i];
		if (sz >= 1024)
			snprintf(name, sizeof(name), "kmalloc-%uk", sz / 1024);
		else
			snprintf(name, sizeof(name), "kmalloc-%u", sz);
		km->kmalloc[i] = kmem_cache_create(k, name, sz, 0, 0, err);
		if (!km->kmalloc[i]) {
			fprintf(stderr, "mmsim: %s\n", err);
			abort();
		}
		km->kmalloc[i]->is_kmalloc = true;
	}
}

/* kmalloc_slab() / kmalloc_index() */
struct kmem_cache *kmalloc_slab(struct kmm *k, uint64_t size)
{
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return NULL;
	if (size == 0)
		size = 1;
	for (size_t i = 0; i < ARRAY_SIZE(kmalloc_sizes); i++)
		if (size <= kmalloc_sizes[i])
			return k->kmem->kmalloc[i];
	return NULL;
}

static unsigned order_of(uint64_t size)
{
	unsigned o = 0;
	while ((PAGE_SIZE << o) < size)
		o++;
	return o;
}

static vaddr_t kmalloc_large(struct kmm *k, struct core *c, uint64_t size, gfp_t gfp)
{
	unsigned order = order_of(size);
	if (order >= k->cfg->kernel.max_order)
		return 0;
	int64_t pfn = kmm_alloc_pages(k, c, -1, gfp | __GFP_COMP, order, PG_kernel);
	if (pfn < 0)
		return 0;
	struct page *p = &k->memmap[pfn];
	p->mapping = KMALLOC_LARGE;
	p->index = order;
	k->kmem->large_kmalloc_pages += 1ull << order;
	return pfn_to_kva(k->kmem, (uint64_t)pfn);
}

vaddr_t kmalloc(struct kmm *k, struct core *c, uint64_t size, gfp_t gfp)
{
	struct kmem_cache *s = kmalloc_slab(k, size);
	if (!s)
		return kmalloc_large(k, c, size, gfp);
	return kmem_cache_alloc(k, c, s, gfp);
}

vaddr_t kzalloc(struct kmm *k, struct core *c, uint64_t size, gfp_t gfp)
{
	return kmalloc(k, c, size, gfp | __GFP_ZERO);
}

vaddr_t kcalloc(struct kmm *k, struct core *c, uint64_t n, uint64_t size, gfp_t gfp)
{
	if (size && n > UINT64_MAX / size)
		return 0;
	return kmalloc(k, c, n * size, gfp | __GFP_ZERO);
}

/* The large kmalloc head page of p, or NULL. */
static struct page *large_page(struct kmm *k, vaddr_t p)
{
	if (!kva_in_direct_map(k, p) || (p & ~PAGE_MASK))
		return NULL;
	struct page *pg = &k->memmap[kva_to_pfn(k->kmem, p)];
	if ((pg->flags & PG_STATE_MASK) != PG_kernel || pg->mapping != KMALLOC_LARGE ||
	    (pg->flags & PG_tail))
		return NULL;
	return pg;
}

uint64_t ksize(struct kmm *k, vaddr_t p)
{
	struct kmem_cache *s;
	struct slab *sl = slab_of(k, p, &s);
	if (sl)
		return slab_obj_index(k, s, sl, p) >= 0 ? s->object_size : 0;
	struct page *pg = large_page(k, p);
	return pg ? PAGE_SIZE << pg->index : 0;
}

void kfree(struct kmm *k, struct core *c, vaddr_t p)
{
	if (!p)
		return;
	struct kmem_cache *s;
	struct slab *sl = slab_of(k, p, &s);
	if (sl) {
		slab_kfree(k, c, s, sl, p);
		return;
	}
	struct page *pg = large_page(k, p);
	if (!pg) {
		k->kmem->invalid_free++;
		kmem_report(k, "kfree of %#llx: not an object any allocator handed out "
			    "(invalid or double free; ignored)\n", (unsigned long long)p);
		return;
	}
	unsigned order = (unsigned)pg->index;
	pg->mapping = 0;
	pg->index = 0;
	k->kmem->large_kmalloc_pages -= 1ull << order;
	kmm_free_pages(k, c, kva_to_pfn(k->kmem, p), order);
}

/* Copy n bytes between kernel addresses, a word at a time (memcpy()). */
static void kcopy(struct kmm *k, struct core *c, vaddr_t dst, vaddr_t src, uint64_t n)
{
	for (uint64_t off = 0; off < n; off += 8) {
		unsigned sz = n - off >= 8 ? 8 : (unsigned)(n - off);
		uint64_t v = 0;
		kmem_access(k, c, src + off, sz, false, &v, false);
		kmem_access(k, c, dst + off, sz, true, &v, false);
	}
}

vaddr_t krealloc(struct kmm *k, struct core *c, vaddr_t p, uint64_t size, gfp_t gfp)
{
	if (!p)
		return kmalloc(k, c, size, gfp);
	if (size == 0) {
		kfree(k, c, p);
		return 0;
	}
	uint64_t ks = ksize(k, p);
	if (ks >= size)
		return p;      /* __do_krealloc(): it still fits */
	vaddr_t n = kmalloc(k, c, size, gfp);
	if (!n)
		return 0;
	kcopy(k, c, n, p, ks);
	if (gfp & __GFP_ZERO)
		kmem_fill(k, c, n + ks, (uint32_t)(size - ks), 0);
	kfree(k, c, p);
	return n;
}
