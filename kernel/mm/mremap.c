/* mremap() for anonymous private memory (mm/mremap.c).
 *
 * - The old range must lie inside one VMA (else EFAULT); lengths round up
 *   to pages; a zero length, an unaligned address, MREMAP_FIXED without
 *   MREMAP_MAYMOVE or overlapping old and new ranges are EINVAL.
 * - Shrinking unmaps the tail and stays in place.
 * - Growing stays in place when the range ends at its VMA's end and the
 *   pages after it are free (vma_expandable()): the VMA just gets longer.
 * - Else, with MREMAP_MAYMOVE, the mapping moves (move_vma()): a new VMA
 *   that copies the old one's rights, flags, anon_vma and pgoff (so the
 *   reverse map still finds every page, rmap.h), then move_page_tables():
 *   every entry of the old range is carried to the same place under the new
 *   address — the pages themselves are not copied; a transparent huge page
 *   moves as one PDE when both addresses sit at the same 2 MiB offset
 *   (move_huge_pmd()), else it is split first. Then the old VMA goes, its
 *   emptied tables are freed and the old range is flushed (cause "mremap",
 *   with IPIs where the mm runs elsewhere). When no page table can be had
 *   for the new place, the entries already moved go back and mremap fails
 *   with ENOMEM, as Linux moves them back.
 *   Without MREMAP_MAYMOVE a grow that cannot stay in place is ENOMEM.
 * - MREMAP_FIXED moves to new_addr, unmapping whatever was there first.
 * - A new address is chosen at the old one's offset within 2 MiB when the
 *   mapping is 2 MiB or more, so huge pages move as PDEs.
 * - The grown part of an mlock()ed mapping is populated.
 *
 * Not modelled: MREMAP_DONTUNMAP, old_len 0 (shared mappings only), and
 * hugetlb mappings (EINVAL here; Linux moves whole huge pages). */
#include "kernel/mm/kmm.h"

#include <assert.h>
#include <errno.h>
#include "kernel/mm/hugetlb.h"
#include "kernel/mm/thp.h"
#include "lib/config.h"
#include "sim/cpu/core.h"
#include "sim/mmu/pte.h"

static struct page *table_page(struct kmm *k, paddr_t slot)
{
	return &k->memmap[slot >> PAGE_SHIFT];
}

/* The slot of va's entry at `level`, without allocating (timed). 0 when an
 * entry above is empty; *span is then the bytes that entry covers. */
static paddr_t slot_lookup(struct kmm *k, struct mm *mm, struct core *c, vaddr_t va, int level,
			   uint64_t *span)
{
	paddr_t table = mm->pgd;
	for (int l = k->levels; l > level; l--) {
		pte_t e = kmm_read_pte(k, c, table + 8 * pt_index(va, l));
		if (!(e & PTE_P)) {
			*span = pt_level_size(l);
			return 0;
		}
		assert(!(e & PTE_PS));     /* no 1G leaves outside hugetlb */
		table = e & PTE_ADDR_MASK;
	}
	return table + 8 * pt_index(va, level);
}

/* Carry the entry at src to dst (empty): the tables' counts follow it. */
static void move_entry(struct kmm *k, struct core *c, paddr_t src, paddr_t dst, pte_t e)
{
	assert(!(kmm_read_pte(k, c, dst) & PTE_P));
	kmm_write_pte(k, c, dst, e);
	kmm_write_pte(k, c, src, 0);
	table_page(k, src)->pt_used--;
	table_page(k, dst)->pt_used++;
}

/* move_page_tables(): move the entries of [old, old + len) to new. Returns
 * the bytes done: len, or less when a table for the new place could not be
 * allocated (or a huge page split). */
static uint64_t move_page_tables(struct kmm *k, struct mm *mm, struct core *c, vaddr_t old,
				 vaddr_t new, uint64_t len)
{
	uint64_t done = 0;
	while (done < len) {
		vaddr_t from = old + done, to = new + done;
		uint64_t span = 0;
		paddr_t pmd = slot_lookup(k, mm, c, from, 2, &span);
		if (!pmd) {                         /* nothing mapped up to the next boundary */
			uint64_t next = (from | (span - 1)) + 1 - from;
			done += next < len - done ? next : len - done;
			continue;
		}
		pte_t pe = kmm_read_pte(k, c, pmd);
		if (!(pe & PTE_P)) {
			uint64_t next = HPAGE_PMD_SIZE - (from & ~HPAGE_PMD_MASK);
			done += next < len - done ? next : len - done;
			continue;
		}
		if (pe & PTE_PS) {
			if (!(from & ~HPAGE_PMD_MASK) && !(to & ~HPAGE_PMD_MASK) &&
			    len - done >= HPAGE_PMD_SIZE) {
				paddr_t dst = pt_alloc_to(k, mm, c, to, 2);   /* move_huge_pmd() */
				if (!dst)
					return done;
				move_entry(k, c, pmd, dst, pe);
				k->mremap_moved_pmds++;
				done += HPAGE_PMD_SIZE;
				continue;
			}
			if (thp_split_pmd_at(k, mm, c, from))
				return done;
			pe = kmm_read_pte(k, c, pmd);
		}
		paddr_t src = (pe & PTE_ADDR_MASK) + 8 * pt_index(from, 1);
		pte_t e = kmm_read_pte(k, c, src);
		if (e) {                            /* every non-empty entry moves */
			paddr_t dst = pt_alloc_path(k, mm, c, to);
			if (!dst)
				return done;
			move_entry(k, c, src, dst, e);
			k->mremap_moved_ptes++;
		}
		done += PAGE_SIZE;
	}
	return done;
}

/* Widen the span the next tlb_finish_mmu() flushes to [lo, hi). */
static void gather_widen(struct kmm *k, vaddr_t lo, vaddr_t hi)
{
	if (k->gather_lo >= k->gather_hi)
		k->gather_lo = lo, k->gather_hi = hi;
	if (lo < k->gather_lo)
		k->gather_lo = lo;
	if (hi > k->gather_hi)
		k->gather_hi = hi;
}

/* Unmap [start, end) for mremap's own purposes (no syscall charged). */
static int unmap(struct kmm *k, struct mm *mm, struct core *c, vaddr_t start, vaddr_t end)
{
	return start < end ? do_munmap(k, mm, c, start, end - start) : 0;
}

/* move_vma(): the mapping [old, old + old_len) becomes [new, new + new_len). */
static int64_t move_vma(struct kmm *k, struct mm *mm, struct core *c, vaddr_t old,
			uint64_t old_len, vaddr_t new, uint64_t new_len)
{
	if (thp_adjust_range(k, mm, c, old, old + old_len))
		return -ENOMEM;
	const struct vma *v = vma_find(mm, old);
	struct vma tmpl = *v;
	uint64_t pgoff = v->pgoff + ((old - v->start) >> PAGE_SHIFT);
	if (vma_add_copy(mm, &tmpl, new, new + new_len, pgoff) < 0)
		return -ENOMEM;
	uint64_t moved = move_page_tables(k, mm, c, old, new, old_len);
	if (moved < old_len) {
		/* no table for the new place: everything goes back */
		uint64_t back = move_page_tables(k, mm, c, new, old, moved);
		assert(back == moved);
		(void)back;
		vma_remove_range(mm, new, new + new_len);
		pt_zap_range(k, mm, c, new, new + new_len);
		gather_widen(k, new, new + new_len);
		tlb_finish_mmu(k, mm, c, FLUSH_MREMAP);
		k->mremap_enomem++;
		return -ENOMEM;
	}
	vma_remove_range(mm, old, old + old_len);
	pt_zap_range(k, mm, c, old, old + old_len);   /* frees the tables left empty */
	gather_widen(k, old, old + old_len);
	tlb_finish_mmu(k, mm, c, FLUSH_MREMAP);
	k->mremap_moves++;
	if ((tmpl.flags & VM_LOCKED) && new_len > old_len &&
	    kmm_populate(k, mm, c, new + old_len, new + new_len) < 0)
		return -ENOMEM;
	return (int64_t)new;
}

int64_t kmm_mremap(struct kmm *k, struct mm *mm, struct core *c, vaddr_t addr,
		   uint64_t old_len, uint64_t new_len, uint32_t flags, vaddr_t new_addr)
{
	c->clock += k->cfg->kernel.cost.syscall + k->cfg->kernel.cost.mmap;
	k->mremap_calls++;
	tlb_defer_force_mm(k, mm, c);  /* no reuse of a range still in flight */
	if ((addr & ~PAGE_MASK) || (flags & ~(KMREMAP_MAYMOVE | KMREMAP_FIXED)) ||
	    ((flags & KMREMAP_FIXED) && !(flags & KMREMAP_MAYMOVE)))
		return -EINVAL;
	if (!old_len || !new_len || old_len > mm->task_size || new_len > mm->task_size)
		return -EINVAL;
	old_len = (old_len + PAGE_SIZE - 1) & PAGE_MASK;
	new_len = (new_len + PAGE_SIZE - 1) & PAGE_MASK;
	struct vma *v = addr < mm->task_size ? vma_find(mm, addr) : NULL;
	if (!v || addr + old_len > v->end)
		return -EFAULT;
	if (v->flags & VM_HUGETLB)
		return -EINVAL;
	if (flags & KMREMAP_FIXED) {
		if ((new_addr & ~PAGE_MASK) || new_addr < PAGE_SIZE ||
		    new_addr + new_len > mm->task_size ||
		    (new_addr < addr + old_len && addr < new_addr + new_len))
			return -EINVAL;
		int rc = unmap(k, mm, c, new_addr, new_addr + new_len);
		if (!rc && old_len > new_len)
			rc = unmap(k, mm, c, addr + new_len, addr + old_len);
		if (rc)
			return rc;
		return move_vma(k, mm, c, addr, old_len < new_len ? old_len : new_len, new_addr,
				new_len);
	}
	if (new_len <= old_len) {
		int rc = unmap(k, mm, c, addr + new_len, addr + old_len);
		return rc ? rc : (int64_t)addr;
	}
	/* grow in place: vma_expandable() */
	vaddr_t end = addr + old_len, grow_end = addr + new_len;
	if (end == v->end && grow_end <= mm->task_size && vma_range_free(mm, end, grow_end)) {
		vma_extend(mm, v, grow_end);
		k->mremap_expands++;
		if ((v->flags & VM_LOCKED) && kmm_populate(k, mm, c, end, grow_end) < 0)
			return -ENOMEM;
		return (int64_t)addr;
	}
	if (!(flags & KMREMAP_MAYMOVE))
		return -ENOMEM;
	/* a new place at the same offset within 2 MiB, so huge PMDs can move */
	uint64_t slack = new_len >= HPAGE_PMD_SIZE ? HPAGE_PMD_SIZE : 0;
	vaddr_t a = get_unmapped_area(mm, 0, new_len + slack);
	if (!a)
		return -ENOMEM;
	if (slack)
		a += (addr - a) & ~HPAGE_PMD_MASK;
	return move_vma(k, mm, c, addr, old_len, a, new_len);
}
