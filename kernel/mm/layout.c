/* The standard program layout and brk() (fs/binfmt_elf.c load_elf_binary(),
 * arch/x86/mm/mmap.c arch_pick_mmap_layout(), mm/mmap.c brk()).
 *
 * Without randomisation, as Linux with ASLR off runs a non-PIE x86-64
 * binary: text (r-x) at 0x400000, data (rw-) right after it, the heap
 * (brk) starting at the end of data, the mmap area growing down from
 * TASK_SIZE less 128 MiB (the minimum stack gap), the main stack a
 * grows-down VMA of 132 KiB ending at TASK_SIZE.
 *
 * With randomisation (the bits given, from the run seed), as with
 * randomize_va_space=2 and a PIE binary: text at 0x555555554000 plus up to
 * 28 bits of pages (mmap_rnd_bits), the stack top lowered by up to 16 GiB
 * (22 bits of pages), the mmap base lowered by up to 28 bits of pages below
 * the stack gap, and the heap start moved up by up to 32 MiB
 * (arch_randomize_brk()). */
#include "kernel/mm/kmm.h"

#include <errno.h>
#include "lib/config.h"
#include "lib/trace.h"
#include "sim/cpu/core.h"

#define TEXT_BASE        0x400000ull
#define PIE_BASE         0x555555554000ull
#define STACK_GAP_MIN    (128ull << 20)
#define STACK_INITIAL    (132ull << 10)
#define MMAP_RND_BITS    28
#define STACK_RND_BITS   22
#define BRK_RND_PAGES    0x2000ull          /* 32 MiB */

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t page_up(uint64_t x)
{
	return (x + PAGE_SIZE - 1) & PAGE_MASK;
}

int mm_setup_layout(struct kmm *k, struct mm *mm, struct core *c, const struct mm_layout *l,
		    uint64_t rnd)
{
	(void)k;
	(void)c;
	uint64_t s = rnd;
	vaddr_t top = mm->task_size - PAGE_SIZE;     /* STACK_TOP: 0x7ffffffff000 */
	vaddr_t code = TEXT_BASE;
	vaddr_t brk_off = 0;
	vaddr_t mmap_rnd = 0;
	if (rnd) {
		code = PIE_BASE + ((mix(&s) & ((1ull << MMAP_RND_BITS) - 1)) << PAGE_SHIFT);
		top -= (mix(&s) & ((1ull << STACK_RND_BITS) - 1)) << PAGE_SHIFT;
		mmap_rnd = (mix(&s) & ((1ull << MMAP_RND_BITS) - 1)) << PAGE_SHIFT;
		brk_off = (mix(&s) % BRK_RND_PAGES) << PAGE_SHIFT;
	}
	uint64_t text = page_up(l->text ? l->text : PAGE_SIZE);
	uint64_t data = page_up(l->data ? l->data : PAGE_SIZE);
	uint64_t stack = page_up(l->stack ? l->stack : STACK_INITIAL);
	mm->start_code = code;
	mm->end_code = code + text;
	mm->start_data = mm->end_code;
	mm->end_data = mm->start_data + data;
	mm->start_brk = mm->brk = mm->end_data + brk_off;
	mm->start_stack = top;
	mm->mmap_base = (mm->task_size - PAGE_SIZE - STACK_GAP_MIN - mmap_rnd) & PAGE_MASK;
	if (rnd)
		mm->mmap_base -= (1ull << STACK_RND_BITS) << PAGE_SHIFT;  /* gap covers the
		                                                            * stack's random drop */
	if (stack > STACK_GAP_MIN || mm->end_data >= mm->mmap_base)
		return -ENOMEM;
	if (vma_add(mm, mm->start_code, mm->end_code, PROT_R | PROT_X, VM_IMAGE) ||
	    vma_add(mm, mm->start_data, mm->end_data, PROT_R | PROT_W, VM_IMAGE) ||
	    vma_add(mm, top - stack, top, PROT_R | PROT_W, VM_GROWSDOWN))
		return -ENOMEM;
	return 0;
}

vaddr_t kmm_brk(struct kmm *k, struct mm *mm, struct core *c, vaddr_t newbrk)
{
	c->clock += k->cfg->kernel.cost.syscall;
	k->brk_calls++;
	if (!mm->start_brk || newbrk < mm->start_brk || newbrk > mm->mmap_base)
		return mm->brk;
	vaddr_t old_end = page_up(mm->brk), new_end = page_up(newbrk);
	if (new_end < old_end) {
		/* shrinking: unmap the pages past the new break */
		kmm_munmap(k, mm, c, new_end, old_end - new_end);
	} else if (new_end > old_end) {
		/* growing: the pages must be free and keep the stack gap */
		if (!vma_range_free(mm, old_end, new_end + (1ull << 20)))
			return mm->brk;
		if (vma_add(mm, old_end, new_end, PROT_R | PROT_W, 0))
			return mm->brk;
	}
	mm->brk = newbrk;
	return mm->brk;
}
