/* VMAs of an address space: a sorted array with binary-search lookup
 * (O(log n) find, O(n) insert/remove; Linux uses a maple tree — issue vm-fault
 * may swap the structure behind these functions).
 *
 * vma_insert() merges with an adjacent neighbour of the same protection, as
 * vma_merge() does; vma_remove_range() trims or splits VMAs that the range
 * cuts, as __split_vma() does for munmap. */
#include "kernel/mm/kmm.h"

#include <stdlib.h>
#include <string.h>
#include "lib/jsonutil.h"
#include "sim/mmu/pte.h"

#define MMAP_MIN_ADDR 0x10000ull   /* vm.mmap_min_addr: 64 KiB */

/* Index of the first VMA whose end is above va (find_vma()). */
static uint32_t vma_lower_bound(const struct mm *mm, vaddr_t va)
{
	uint32_t lo = 0, hi = mm->nvma;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (mm->vma[mid].end <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct vma *vma_find(struct mm *mm, vaddr_t va)
{
	uint32_t i = vma_lower_bound(mm, va);
	if (i < mm->nvma && mm->vma[i].start <= va)
		return &mm->vma[i];
	return NULL;
}

bool vma_range_mapped(const struct mm *mm, vaddr_t start, vaddr_t end)
{
	uint32_t i = vma_lower_bound(mm, start);
	for (vaddr_t at = start; at < end; i++) {
		if (i == mm->nvma || mm->vma[i].start > at)
			return false;           /* a gap at `at` */
		at = mm->vma[i].end;
	}
	return true;
}

bool vma_range_free(const struct mm *mm, vaddr_t start, vaddr_t end)
{
	uint32_t i = vma_lower_bound(mm, start);
	return i == mm->nvma || mm->vma[i].start >= end;
}

static void vma_insert_at(struct mm *mm, uint32_t i, struct vma v)
{
	if (mm->nvma == mm->cap) {
		mm->cap = mm->cap ? 2 * mm->cap : 16;
		mm->vma = realloc(mm->vma, mm->cap * sizeof(*mm->vma));
		if (!mm->vma)
			abort();
	}
	memmove(&mm->vma[i + 1], &mm->vma[i], (mm->nvma - i) * sizeof(*mm->vma));
	mm->vma[i] = v;
	mm->nvma++;
}

static void vma_delete_at(struct mm *mm, uint32_t i)
{
	memmove(&mm->vma[i], &mm->vma[i + 1], (mm->nvma - i - 1) * sizeof(*mm->vma));
	mm->nvma--;
}

int vma_insert(struct mm *mm, vaddr_t start, vaddr_t end, uint32_t prot)
{
	if (!vma_range_free(mm, start, end))
		return -1;
	uint32_t i = vma_lower_bound(mm, start);
	bool merge_prev = i > 0 && mm->vma[i - 1].end == start && mm->vma[i - 1].prot == prot;
	bool merge_next = i < mm->nvma && mm->vma[i].start == end && mm->vma[i].prot == prot;
	if (merge_prev && merge_next) {
		mm->vma[i - 1].end = mm->vma[i].end;
		vma_delete_at(mm, i);
	} else if (merge_prev) {
		mm->vma[i - 1].end = end;
	} else if (merge_next) {
		mm->vma[i].start = start;
	} else {
		vma_insert_at(mm, i, (struct vma){ start, end, prot });
	}
	return 0;
}

void vma_remove_range(struct mm *mm, vaddr_t start, vaddr_t end)
{
	uint32_t i = vma_lower_bound(mm, start);
	while (i < mm->nvma && mm->vma[i].start < end) {
		struct vma *v = &mm->vma[i];
		if (v->start < start && v->end > end) {          /* split in two */
			struct vma tail = { end, v->end, v->prot };
			v->end = start;
			vma_insert_at(mm, i + 1, tail);
			return;
		}
		if (v->start < start) {                         /* trim the tail */
			v->end = start;
			i++;
		} else if (v->end > end) {                      /* trim the head */
			v->start = end;
			return;
		} else {
			vma_delete_at(mm, i);                   /* wholly inside */
		}
	}
}

/* Top-down search below mmap_base for a gap of len bytes, after trying the
 * hint (arch_get_unmapped_area_topdown()). Returns 0 when none fits. */
vaddr_t get_unmapped_area(const struct mm *mm, vaddr_t hint, uint64_t len)
{
	if (hint && hint + len >= hint && hint + len <= mm->task_size &&
	    vma_range_free(mm, hint, hint + len))
		return hint;
	vaddr_t top = mm->mmap_base;
	for (int64_t i = (int64_t)mm->nvma - 1; i >= -1; i--) {
		vaddr_t lo = i >= 0 ? mm->vma[i].end : MMAP_MIN_ADDR;
		if (lo < top && top - lo >= len)
			return top - len;          /* the gap [lo, top) fits */
		if (i >= 0 && mm->vma[i].start < top)
			top = mm->vma[i].start;
	}
	return 0;
}

int vma_validate(const struct mm *mm, char *err)
{
	for (uint32_t i = 0; i < mm->nvma; i++) {
		const struct vma *v = &mm->vma[i];
		if (v->start >= v->end || (v->start | v->end) & ~PAGE_MASK || v->end > mm->task_size)
			return errf(err, "vma_validate: vma %u [%#llx, %#llx) malformed", i,
				    (unsigned long long)v->start, (unsigned long long)v->end);
		if (i > 0 && mm->vma[i - 1].end > v->start)
			return errf(err, "vma_validate: vma %u overlaps or is out of order", i);
	}
	return 0;
}
