/* VMAs of an address space: a sorted array with binary-search lookup
 * (O(log n) find, O(n) insert/remove; Linux uses a maple tree — issue vm-fault
 * may swap the structure behind these functions).
 *
 * vma_insert() merges with adjacent neighbours of the same protection,
 * compatible anon_vma and contiguous pgoff, as vma_merge() does;
 * vma_split() cuts a VMA at an address (__split_vma()), which munmap,
 * mprotect and the other partial operations use before changing whole VMAs. */
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

/* May a VMA of [start, ...) with these fields follow `a` as one VMA?
 * (is_mergeable_vma(): same rights and flags, compatible anon_vma, contiguous pgoff,
 * the same NUMA policy.) */
static bool vma_can_join(const struct vma *a, const struct vma *b)
{
	/* each MAP_HUGETLB mapping is a file of its own: never merged */
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
	       !(a->flags & VM_HUGETLB) &&
	       a->file == b->file &&
	       a->mpol.mode == b->mpol.mode && a->mpol.nodes == b->mpol.nodes &&
	       (!a->anon_vma || !b->anon_vma || a->anon_vma == b->anon_vma) &&
	       a->pgoff + ((a->end - a->start) >> PAGE_SHIFT) == b->pgoff;
}

/* vma_merge() at index i: join VMA i with its next, then its previous
 * neighbour, where they are compatible. Returns the index of the result. */
uint32_t vma_merge_at(struct mm *mm, uint32_t i)
{
	if (i + 1 < mm->nvma && vma_can_join(&mm->vma[i], &mm->vma[i + 1])) {
		struct vma *a = &mm->vma[i], *b = &mm->vma[i + 1];
		a->end = b->end;
		if (!a->anon_vma)
			a->anon_vma = b->anon_vma;
		vma_delete_at(mm, i + 1);
	}
	if (i > 0 && vma_can_join(&mm->vma[i - 1], &mm->vma[i])) {
		struct vma *a = &mm->vma[i - 1], *b = &mm->vma[i];
		a->end = b->end;
		if (!a->anon_vma)
			a->anon_vma = b->anon_vma;
		vma_delete_at(mm, i);
		i--;
	}
	return i;
}

int vma_add(struct mm *mm, vaddr_t start, vaddr_t end, uint32_t prot, uint32_t flags)
{
	return vma_add_file(mm, start, end, prot, flags, 0, start >> PAGE_SHIFT);
}

int vma_add_file(struct mm *mm, vaddr_t start, vaddr_t end, uint32_t prot, uint32_t flags,
		 uint32_t file, uint64_t pgoff)
{
	if (!vma_range_free(mm, start, end))
		return -1;
	uint32_t i = vma_lower_bound(mm, start);
	vma_insert_at(mm, i, (struct vma){ .start = start, .end = end, .prot = prot,
					   .pgoff = pgoff, .flags = flags, .file = file });
	vma_merge_at(mm, i);
	uint64_t vm = mm_total_vm(mm);
	if (vm > mm->hiwater_vm)
		mm->hiwater_vm = vm;
	return 0;
}

int vma_add_copy(struct mm *mm, const struct vma *tmpl, vaddr_t start, vaddr_t end,
		 uint64_t pgoff)
{
	if (!vma_range_free(mm, start, end))
		return -1;
	struct vma v = *tmpl;
	v.start = start;
	v.end = end;
	v.pgoff = pgoff;
	uint32_t i = vma_lower_bound(mm, start);
	vma_insert_at(mm, i, v);
	vma_merge_at(mm, i);
	uint64_t vm = mm_total_vm(mm);
	if (vm > mm->hiwater_vm)
		mm->hiwater_vm = vm;
	return 0;
}

void vma_extend(struct mm *mm, struct vma *v, vaddr_t end)
{
	v->end = end;
	vma_merge_at(mm, (uint32_t)(v - mm->vma));
	uint64_t vm = mm_total_vm(mm);
	if (vm > mm->hiwater_vm)
		mm->hiwater_vm = vm;
}

int vma_insert(struct mm *mm, vaddr_t start, vaddr_t end, uint32_t prot)
{
	return vma_add(mm, start, end, prot, 0);
}

void vma_modify(struct mm *mm, vaddr_t start, vaddr_t end, uint32_t prot,
		uint32_t set, uint32_t clear)
{
	vma_split(mm, start);
	vma_split(mm, end);
	for (uint32_t i = vma_index(mm, start); i < mm->nvma && mm->vma[i].start < end; i++) {
		if (prot != VMA_KEEP_PROT)
			mm->vma[i].prot = prot;
		mm->vma[i].flags = (mm->vma[i].flags & ~clear) | set;
	}
	for (uint32_t i = vma_index(mm, start); i < mm->nvma && mm->vma[i].start < end; i++)
		i = vma_merge_at(mm, i);
	uint32_t i = vma_index(mm, end);   /* the VMA just past the range */
	if (i < mm->nvma && mm->vma[i].start == end)
		vma_merge_at(mm, i);
}

uint64_t mm_total_vm(const struct mm *mm)
{
	uint64_t pages = 0;
	for (uint32_t i = 0; i < mm->nvma; i++)
		pages += (mm->vma[i].end - mm->vma[i].start) >> PAGE_SHIFT;
	return pages;
}

#define STACK_GUARD_GAP (256ull << PAGE_SHIFT)  /* stack_guard_gap: 1 MiB */
#define STACK_LIMIT     (8ull << 20)            /* RLIMIT_STACK: 8 MiB */

bool vma_expand_stack(struct mm *mm, vaddr_t va)
{
	uint32_t i = vma_lower_bound(mm, va);
	if (i == mm->nvma || !(mm->vma[i].flags & VM_GROWSDOWN) || mm->vma[i].start <= va)
		return false;
	struct vma *v = &mm->vma[i];
	vaddr_t top = mm->start_stack && mm->start_stack >= v->end ? mm->start_stack : v->end;
	va &= PAGE_MASK;
	if (top - va > STACK_LIMIT)
		return false;
	if (i > 0 && (va < mm->vma[i - 1].end || va - mm->vma[i - 1].end < STACK_GUARD_GAP))
		return false;
	v->pgoff -= (v->start - va) >> PAGE_SHIFT;
	v->start = va;
	uint64_t vm = mm_total_vm(mm);
	if (vm > mm->hiwater_vm)
		mm->hiwater_vm = vm;
	return true;
}

/* __split_vma(): make addr a VMA boundary if a VMA straddles it; the upper
 * part keeps the anon_vma and continues the pgoff. */
void vma_split(struct mm *mm, vaddr_t addr)
{
	uint32_t i = vma_lower_bound(mm, addr);
	if (i == mm->nvma || mm->vma[i].start >= addr)
		return;
	struct vma tail = mm->vma[i];
	tail.start = addr;
	tail.pgoff += (addr - mm->vma[i].start) >> PAGE_SHIFT;
	mm->vma[i].end = addr;
	vma_insert_at(mm, i + 1, tail);
}

void vma_remove_range(struct mm *mm, vaddr_t start, vaddr_t end)
{
	vma_split(mm, start);
	vma_split(mm, end);
	uint32_t i = vma_lower_bound(mm, start);
	uint32_t j = i;
	while (j < mm->nvma && mm->vma[j].end <= end)
		j++;
	memmove(&mm->vma[i], &mm->vma[j], (mm->nvma - j) * sizeof(*mm->vma));
	mm->nvma -= j - i;
}

uint32_t vma_index(const struct mm *mm, vaddr_t va)
{
	return vma_lower_bound(mm, va);
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
