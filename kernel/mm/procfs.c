/* /proc/PID/maps, smaps_rollup and status, shaped as Linux prints them
 * (fs/proc/task_mmu.c show_map_vma(), show_smaps_rollup(), task_mem()).
 *
 * The page tables are read without timing (a report, not the guest's
 * work). Per mapped page: Rss counts it, Pss counts 4 KiB divided by its
 * mapcount, Private_* when this is its only mapping, Shared_* otherwise,
 * *_Dirty when the PTE's D bit or the page's PG_dirty is set. The zero page
 * counts nowhere (vm_normal_page() skips it). A 2 MiB leaf counts 512 pages
 * and adds to AnonHugePages. Hugetlb pages are not in Rss: they count as
 * Private_Hugetlb (one mapping) or Shared_Hugetlb, and in status as
 * HugetlbPages. Swap is 0 until swap exists. */
#include "kernel/mm/kmm.h"
#include "kernel/mm/hugetlb.h"
#include "kernel/mm/filemap.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lib/trace.h"
#include "sim/mem/memsys.h"
#include "sim/mmu/pte.h"

struct rollup {
	uint64_t rss, pss_x512, priv_clean, priv_dirty, shared_clean, shared_dirty;
	uint64_t anon_huge, locked;   /* pages */
	uint64_t hugetlb_private, hugetlb_shared; /* pages of hugetlb pages */
};

static void count_leaf(struct kmm *k, pte_t e, uint64_t pages, bool locked, struct rollup *r)
{
	uint64_t pfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
	if ((k->zero_pfn && pfn == k->zero_pfn) ||
	    (pages == 512 && k->huge_zero_pfn && (pfn & ~511ull) == k->huge_zero_pfn))
		return;         /* the zero pages count nowhere */
	if (pages > 1)
		pfn &= ~(pages - 1);
	const struct page *p = &k->memmap[pfn];
	uint64_t maps = p->mapcount > 0 ? (uint64_t)p->mapcount : 1;
	if (pfn_is_hugetlb(k, pfn)) {   /* smaps_hugetlb_range(): not in Rss */
		*(maps > 1 ? &r->hugetlb_shared : &r->hugetlb_private) += pages;
		return;
	}
	bool dirty = (e & PTE_D) || (p->flags & PG_dirty);
	r->rss += pages;
	r->pss_x512 += pages * 512 / maps;
	if (maps == 1)
		*(dirty ? &r->priv_dirty : &r->priv_clean) += pages;
	else
		*(dirty ? &r->shared_dirty : &r->shared_clean) += pages;
	if (pages == 512)
		r->anon_huge += pages;
	if (locked)
		r->locked += pages;
}

static void walk_range(struct kmm *k, paddr_t table, int level, vaddr_t base, vaddr_t start,
		       vaddr_t end, bool locked, struct rollup *r)
{
	uint64_t size = pt_level_size(level);
	for (unsigned i = pt_index(start, level); i < PT_ENTRIES; i++) {
		vaddr_t lo = base + i * size;
		if (lo >= end)
			break;
		pte_t e = physmem_read(&k->ms->pm, table + 8 * i, 8);
		if (!(e & PTE_P))
			continue;
		if (level == 1 || (e & PTE_PS)) {
			count_leaf(k, e, size >> PAGE_SHIFT, locked, r);
			continue;
		}
		walk_range(k, e & PTE_ADDR_MASK, level - 1, lo, start > lo ? start : lo,
			   end < lo + size ? end : lo + size, locked, r);
	}
}

static void rollup_vma(struct kmm *k, struct mm *mm, const struct vma *v, struct rollup *r)
{
	walk_range(k, mm->pgd, k->levels, 0, v->start, v->end, v->flags & VM_LOCKED, r);
}

#define KB(pages) ((unsigned long long)(pages) * 4)

static size_t put(char *buf, size_t n, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t put(char *buf, size_t n, size_t at, const char *fmt, ...)
{
	if (at >= n)
		return at;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + at, n - at, fmt, ap);
	va_end(ap);
	return w < 0 ? at : at + (size_t)w;
}

/* The name column of a maps line. */
static const char *vma_name(struct kmm *k, const struct mm *mm, const struct vma *v,
			    const char *comm, char *tmp, size_t n)
{
	if (v->file) {          /* a file on the simulated disk (filemap.h) */
		snprintf(tmp, n, "/disk/%s", kfile_name(k, v->file));
		return tmp;
	}
	if (v->flags & VM_IMAGE) {
		snprintf(tmp, n, "/usr/bin/%s", comm);
		return tmp;
	}
	if (mm->start_brk && v->start <= mm->brk && v->end >= mm->start_brk &&
	    v->start >= mm->start_brk)
		return "[heap]";
	if (mm->start_stack && v->start <= mm->start_stack && v->end >= mm->start_stack)
		return "[stack]";
	return "";
}

size_t proc_maps(struct kmm *k, struct mm *mm, const char *comm, char *buf, size_t n)
{
	size_t at = 0;
	char tmp[64], line[128];
	for (uint32_t i = 0; i < mm->nvma; i++) {
		const struct vma *v = &mm->vma[i];
		const char *name = vma_name(k, mm, v, comm, tmp, sizeof tmp);
		bool image = v->flags & VM_IMAGE, file = v->file != 0;
		int w = snprintf(line, sizeof line, "%08llx-%08llx %c%c%c%c %08llx %s %llu",
				 (unsigned long long)v->start, (unsigned long long)v->end,
				 v->prot & PROT_R ? 'r' : '-', v->prot & PROT_W ? 'w' : '-',
				 v->prot & PROT_X ? 'x' : '-', v->flags & VM_SHARED ? 's' : 'p',
				 (unsigned long long)(image ? v->start - mm->start_code :
						      file ? v->pgoff << PAGE_SHIFT : 0),
				 image || file ? "08:01" : "00:00",
				 image ? 1048577ull : file ? 2097152ull + v->file : 0ull);
		/* show_map_vma() pads the name to column 73 */
		at = put(buf, n, at, "%s%*s%s\n", line, *name && w < 73 ? 73 - w : (*name ? 1 : 0),
			 "", name);
	}
	return at;
}

size_t proc_smaps_rollup(struct kmm *k, struct mm *mm, char *buf, size_t n)
{
	struct rollup r = { 0 };
	for (uint32_t i = 0; i < mm->nvma; i++)
		rollup_vma(k, mm, &mm->vma[i], &r);
	vaddr_t lo = mm->nvma ? mm->vma[0].start : 0;
	vaddr_t hi = mm->nvma ? mm->vma[mm->nvma - 1].end : 0;
	size_t at = put(buf, n, 0, "%08llx-%08llx ---p 00000000 00:00 0                          "
			"[rollup]\n", (unsigned long long)lo, (unsigned long long)hi);
	at = put(buf, n, at,
		 "Rss:            %8llu kB\n"
		 "Pss:            %8llu kB\n"
		 "Pss_Anon:       %8llu kB\n"
		 "Shared_Clean:   %8llu kB\n"
		 "Shared_Dirty:   %8llu kB\n"
		 "Private_Clean:  %8llu kB\n"
		 "Private_Dirty:  %8llu kB\n"
		 "Anonymous:      %8llu kB\n"
		 "AnonHugePages:  %8llu kB\n"
		 "Shared_Hugetlb: %8llu kB\n"
		 "Private_Hugetlb:%8llu kB\n"
		 "Swap:           %8llu kB\n"
		 "Locked:         %8llu kB\n",
		 KB(r.rss), KB(r.pss_x512) / 512, KB(r.pss_x512) / 512, KB(r.shared_clean),
		 KB(r.shared_dirty), KB(r.priv_clean), KB(r.priv_dirty), KB(r.rss),
		 KB(r.anon_huge), KB(r.hugetlb_shared), KB(r.hugetlb_private),
		 KB(mm->swap_ents), KB(r.locked));
	return at;
}

size_t proc_status(struct kmm *k, struct mm *mm, const char *comm, char *buf, size_t n)
{
	(void)k;
	uint64_t lck = 0, data = 0, stk = 0, exe = 0;
	for (uint32_t i = 0; i < mm->nvma; i++) {
		const struct vma *v = &mm->vma[i];
		uint64_t pages = (v->end - v->start) >> PAGE_SHIFT;
		if (v->flags & VM_LOCKED)
			lck += pages;
		if (v->flags & VM_GROWSDOWN)
			stk += pages;
		else if ((v->flags & VM_IMAGE) && (v->prot & PROT_X))
			exe += pages;
		else if (v->prot & PROT_W)
			data += pages;
	}
	uint64_t vm = mm_total_vm(mm);
	return put(buf, n, 0,
		   "Name:\t%s\n"
		   "VmPeak:\t%8llu kB\n"
		   "VmSize:\t%8llu kB\n"
		   "VmLck:\t%8llu kB\n"
		   "VmHWM:\t%8llu kB\n"
		   "VmRSS:\t%8llu kB\n"
		   "RssAnon:\t%8llu kB\n"
		   "RssFile:\t%8llu kB\n"
		   "RssShmem:\t%8llu kB\n"
		   "VmData:\t%8llu kB\n"
		   "VmStk:\t%8llu kB\n"
		   "VmExe:\t%8llu kB\n"
		   "VmLib:\t%8llu kB\n"
		   "VmPTE:\t%8llu kB\n"
		   "VmSwap:\t%8llu kB\n"
		   "HugetlbPages:\t%8llu kB\n",
		   comm, KB(mm->hiwater_vm > vm ? mm->hiwater_vm : vm), KB(vm), KB(lck),
		   KB(mm->hiwater_rss), KB(mm->rss_anon + mm->rss_file), KB(mm->rss_anon),
		   KB(mm->rss_file), 0ull,
		   KB(data), KB(stk), KB(exe), 0ull, KB(mm->pt_pages), KB(mm->swap_ents),
		   KB(mm->hugetlb_pages));
}
