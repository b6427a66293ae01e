/* Core scalar types shared by every unit. */
#ifndef MMSIM_TYPES_H
#define MMSIM_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint64_t paddr_t;   /* guest physical address */
typedef uint64_t vaddr_t;   /* guest virtual (linear) address */
typedef uint64_t pte_t;     /* one x86-64 paging-structure entry */
typedef uint64_t cycles_t;  /* simulated core cycles */

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ull << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))

/* Room for one bad-input or validation message ("file: place: what"). */
#define MMSIM_ERR_LEN 512

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline bool is_pow2(uint64_t x) { return x && !(x & (x - 1)); }

/* floor(log2(x)) for x >= 1: log2u(4096) = 12. */
static inline unsigned log2u(uint64_t x)
{
	unsigned n = 0;
	while (x > 1) {
		x >>= 1;
		n++;
	}
	return n;
}

#endif
