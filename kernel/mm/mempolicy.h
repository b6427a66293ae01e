/* NUMA memory policies (Linux mm/mempolicy.c, cut down): where user pages
 * of a process or of one VMA are allocated.
 *
 *   default     the process's policy (for a VMA) or local (for a process)
 *   local       the node of the core that faults
 *   preferred   the first node of the mask, falling back as usual
 *   bind        only the nodes of the mask (the faulting core's node if it
 *               is one of them, else the first), no fallback outside it
 *   interleave  round robin over the mask: by page offset in the VMA for a
 *               VMA policy (interleave_nid()), per allocation for a process
 *               policy (interleave_nodes())
 *
 * set_mempolicy() sets mm->mpol (the trace op `set_mempolicy`); mbind()
 * sets vma->mpol (the op `mbind`). */
#ifndef MMSIM_MEMPOLICY_H
#define MMSIM_MEMPOLICY_H

#include "lib/types.h"

enum mpol_mode { MPOL_DEFAULT, MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_LOCAL,
		 MPOL_MAX };
extern const char *const mpol_mode_names[MPOL_MAX]; /* "default", "preferred", ... */

struct mempolicy {
	uint8_t mode;        /* enum mpol_mode */
	uint8_t il_next;     /* process interleave: the next node's rank */
	uint16_t nodes;      /* nodemask (bit n: node n) */
};

#endif
