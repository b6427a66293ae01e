/* slub_debug (mm/slub.c's debug half): red zones and poisoning in simulated
 * memory, checked on every allocation and free of a cache with
 * SLAB_RED_ZONE / SLAB_POISON (kernel.slub_debug "FZPU" for every cache, or
 * per cache). Layout of one object slot with both:
 *
 *   | left red zone | object (object_size) | right red zone | free pointer |
 *   ^ slot start     ^ the object's address ^ up to s->inuse  ^ s->offset
 *
 * init_object(): red zones get RED_ACTIVE (0xcc) while allocated and
 * RED_INACTIVE (0xbb) while free; a free object's bytes are POISON_FREE
 * (0x6b) with POISON_END (0xa5) last. check_object(): at allocation the
 * poison and the inactive red zones must be intact (else something wrote to
 * the object after it was freed: "Poison overwritten"); at free the active
 * red zones must be (else the object was overrun). A broken pattern is
 * reported — cache, object, offset, what was found — and restored
 * (restore_bytes()), and the run goes on, as Linux's slub_debug does. */
#include "kernel/mm/slab_internal.h"

#include <stdio.h>
#include "sim/cpu/core.h"

static void set_redzones(struct kmm *k, struct core *c, struct kmem_cache *s, vaddr_t obj,
			 uint8_t val)
{
	if (!(s->flags & SLAB_RED_ZONE))
		return;
	kmem_fill(k, c, obj - s->red_left_pad, s->red_left_pad, val);
	kmem_fill(k, c, obj + s->object_size, s->inuse - s->object_size, val);
}

static void poison(struct kmm *k, struct core *c, struct kmem_cache *s, vaddr_t obj)
{
	if (!(s->flags & SLAB_POISON))
		return;
	kmem_fill(k, c, obj, s->object_size - 1, POISON_FREE);
	kmem_fill(k, c, obj + s->object_size - 1, 1, POISON_END);
}

void slub_debug_init_object(struct kmm *k, struct core *c, struct kmem_cache *s, vaddr_t obj)
{
	set_redzones(k, c, s, obj, RED_INACTIVE);
	poison(k, c, s, obj);
}

static void describe(struct kmm *k, struct kmem_cache *s, struct slab *sl, vaddr_t obj,
		     char *buf, size_t n)
{
	int64_t i = slab_obj_index(k, s, sl, obj);
	if (sl->track && i >= 0)
		snprintf(buf, n, " (allocated at kmem op #%u, freed at #%u)", sl->track[2 * i],
			 sl->track[2 * i + 1]);
	else
		buf[0] = '\0';
}

/* One pattern check: report and restore a broken one. */
static bool check_bytes(struct kmm *k, struct core *c, struct kmem_cache *s, struct slab *sl,
			vaddr_t obj, vaddr_t start, uint32_t len, uint8_t val, const char *what,
			uint64_t *counter)
{
	if (len == 0)
		return true;
	int64_t bad = kmem_check_bytes(k, c, start, len, val);
	if (bad < 0)
		return true;
	uint64_t got = 0;
	kmem_access(k, c, start + (uint64_t)bad, 1, false, &got, false);
	char who[96];
	describe(k, s, sl, obj, who, sizeof(who));
	(*counter)++;
	s->errors++;
	kmem_report(k, "slab %s: %s at object %#llx offset %lld (0x%02llx instead of 0x%02x)%s\n",
		    s->name, what, (unsigned long long)obj,
		    (long long)(start + (uint64_t)bad - obj), (unsigned long long)got, val, who);
	kmem_fill(k, c, start, len, val);   /* restore_bytes() */
	return false;
}

static bool check_redzones(struct kmm *k, struct core *c, struct kmem_cache *s, struct slab *sl,
			   vaddr_t obj, uint8_t val)
{
	if (!(s->flags & SLAB_RED_ZONE))
		return true;
	const char *ctx = val == RED_ACTIVE ? "overrun" : "written while free";
	char l[64], r[64];
	snprintf(l, sizeof(l), "Left Redzone overwritten (%s)", ctx);
	snprintf(r, sizeof(r), "Right Redzone overwritten (%s)", ctx);
	bool ok = check_bytes(k, c, s, sl, obj, obj - s->red_left_pad, s->red_left_pad, val, l,
			      &k->kmem->redzone_bad);
	return check_bytes(k, c, s, sl, obj, obj + s->object_size, s->inuse - s->object_size, val,
			   r, &k->kmem->redzone_bad) && ok;
}

bool slub_debug_alloc(struct kmm *k, struct core *c, struct kmem_cache *s, struct slab *sl,
		      vaddr_t obj)
{
	bool ok = check_redzones(k, c, s, sl, obj, RED_INACTIVE);
	if (s->flags & SLAB_POISON) {
		ok = check_bytes(k, c, s, sl, obj, obj, s->object_size - 1, POISON_FREE,
				 "Poison overwritten (use after free)", &k->kmem->poison_bad) && ok;
		ok = check_bytes(k, c, s, sl, obj, obj + s->object_size - 1, 1, POISON_END,
				 "Poison overwritten (use after free)", &k->kmem->poison_bad) && ok;
	}
	set_redzones(k, c, s, obj, RED_ACTIVE);
	return ok;
}

bool slub_debug_free(struct kmm *k, struct core *c, struct kmem_cache *s, struct slab *sl,
		     vaddr_t obj)
{
	bool ok = check_redzones(k, c, s, sl, obj, RED_ACTIVE);
	set_redzones(k, c, s, obj, RED_INACTIVE);
	poison(k, c, s, obj);
	return ok;
}
