/* NUMA memory policies (see mempolicy.h), after Linux mm/mempolicy.c:
 * policy_node(), interleave_nid(), interleave_nodes(), policy_nodemask(). */
#include "kernel/mm/kmm.h"

#include "sim/cpu/core.h"

const char *const mpol_mode_names[MPOL_MAX] = {
	"default", "preferred", "bind", "interleave", "local",
};

static unsigned weight(uint16_t mask) { return (unsigned)__builtin_popcount(mask); }

/* The n-th node (0-based) of mask, n < weight(mask). */
static int nth_node(uint16_t mask, unsigned n)
{
	for (int node = 0; node < 16; node++)
		if ((mask >> node) & 1) {
			if (n == 0)
				return node;
			n--;
		}
	return 0;
}

/* The policy that governs va: the VMA's, else the mm's. */
static struct mempolicy *get_policy(struct mm *mm, struct vma *vma)
{
	if (vma && vma->mpol.mode != MPOL_DEFAULT)
		return &vma->mpol;
	return mm ? &mm->mpol : NULL;
}

/* The node and the nodemask (0: any) an allocation under pol takes. */
static int policy_node(struct kmm *k, struct mempolicy *pol, struct vma *vma, vaddr_t va,
		       struct core *c, uint16_t *mask, bool *interleaved)
{
	int local = cpu_to_node(k, c->id);
	uint16_t valid = (uint16_t)((1u << k->nr_nodes) - 1);
	uint16_t nodes = pol ? pol->nodes & valid : 0;

	*mask = 0;
	*interleaved = false;
	if (!pol || !nodes)
		return local;
	switch (pol->mode) {
	case MPOL_PREFERRED:
		return nth_node(nodes, 0);
	case MPOL_BIND:
		*mask = nodes;
		return (nodes >> local) & 1 ? local : nth_node(nodes, 0);
	case MPOL_INTERLEAVE:
		*interleaved = true;
		if (vma && pol == &vma->mpol) {   /* interleave_nid(): by page offset */
			uint64_t off = vma->pgoff + ((va - vma->start) >> PAGE_SHIFT);
			return nth_node(nodes, (unsigned)(off % weight(nodes)));
		}
		/* interleave_nodes(): per allocation, round robin */
		int nid = nth_node(nodes, pol->il_next % weight(nodes));
		pol->il_next = (uint8_t)((pol->il_next + 1) % weight(nodes));
		return nid;
	default:
		return local;
	}
}

int mpol_node_for(struct kmm *k, struct mm *mm, struct vma *vma, vaddr_t va, struct core *c)
{
	uint16_t mask;
	bool il;

	return policy_node(k, get_policy(mm, vma), vma, va, c, &mask, &il);
}

int64_t kmm_alloc_pages_vma(struct kmm *k, struct core *c, struct mm *mm, struct vma *vma,
			    vaddr_t va, gfp_t gfp, unsigned order, uint32_t state)
{
	uint16_t mask;
	bool il;
	int nid = policy_node(k, get_policy(mm, vma), vma, va, c, &mask, &il);

	return kmm_alloc_pages_mask(k, c, nid, mask, il, gfp, order, state);
}

/* kmm_alloc_pages() with nid -1 for a user allocation: the process policy
 * of the mm core c runs. */
int mpol_current_node(struct kmm *k, struct core *c, uint16_t *mask, bool *il)
{
	struct mm *mm = c->id < k->ncores ? k->tlbstate[c->id].loaded : NULL;

	return policy_node(k, get_policy(mm, NULL), NULL, 0, c, mask, il);
}

int kmm_mbind(struct kmm *k, struct mm *mm, vaddr_t start, uint64_t len, unsigned mode,
	      uint16_t nodes)
{
	vaddr_t end = start + len;

	(void)k;
	if (!vma_range_mapped(mm, start, end))
		return -14;   /* -EFAULT: a hole in the range */
	vma_split(mm, start);
	vma_split(mm, end);
	for (uint32_t i = vma_index(mm, start); i < mm->nvma && mm->vma[i].start < end; i++)
		mm->vma[i].mpol = (struct mempolicy){ .mode = (uint8_t)mode, .nodes = nodes };
	return 0;
}
