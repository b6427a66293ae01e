/* The boot memory map: holes and reserved ranges from the config
 * (memblock.h says what each kind means). Linux counterparts: the e820 table
 * (holes), memblock_reserve() and memmap=nn$ss (reserved),
 * init_unavailable_range() / reserve_bootmem_region() (PG_reserved on both),
 * calculate_node_totalpages() (present = spanned - holes). */
#include "kernel/mm/memblock.h"
#include "kernel/mm/kmm.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/config.h"
#include "lib/jsonutil.h"

/* One "SIZE@START" into r; -1 when it does not parse. */
static int parse_one(const char *s, size_t len, struct mem_range *r)
{
	char buf[64];
	const char *at;

	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	at = strchr(buf, '@');
	if (!at)
		return -1;
	buf[at - buf] = '\0';
	if (parse_u64(buf, true, &r->size) < 0 || parse_u64(at + 1, true, &r->start) < 0)
		return -1;
	return 0;
}

int memblock_parse(const char *text, const char *key, struct mem_range *r, unsigned max,
		   const char *origin, char *err)
{
	unsigned n = 0;
	const char *p = text;
	char show[96];

	if (!*p)
		return 0;
	for (;;) {
		size_t len = strcspn(p, ",");

		if (n == max)
			return errf(err, "%s: %s: more than %u ranges", origin, key, max);
		if (parse_one(p, len, &r[n]) < 0) {
			char part[64];
			snprintf(part, sizeof(part), "%.*s", (int)(len < 60 ? len : 60), p);
			return errf(err, "%s: %s: range %u \"%s\" is not SIZE@START (e.g. "
				    "\"64M@0xC0000000\")", origin, key, n + 1,
				    json_printable(part, show, sizeof(show)));
		}
		n++;
		if (!p[len])
			return (int)n;
		p += len + 1;
	}
}

/* "64M@0xc0000000" for messages. */
static const char *range_str(const struct mem_range *r, char *buf, size_t n)
{
	snprintf(buf, n, "%" PRIu64 "K@0x%" PRIx64, r->size >> 10, r->start);
	return buf;
}

int memblock_cfg_check(const struct mmsim_cfg *cfg, const char *origin, char *err)
{
	struct mem_range r[2][MEMBLOCK_MAX_RANGES];
	const char *key[2] = { "memory.holes", "kernel.reserved" };
	const char *text[2] = { cfg->memory.holes, cfg->kernel.reserved };
	int n[2];
	char a[48], b[48];

	for (int k = 0; k < 2; k++) {
		n[k] = memblock_parse(text[k], key[k], r[k], MEMBLOCK_MAX_RANGES, origin, err);
		if (n[k] < 0)
			return -1;
		for (int i = 0; i < n[k]; i++) {
			const struct mem_range *x = &r[k][i];

			if (x->size == 0)
				return errf(err, "%s: %s: range %d is empty", origin, key[k], i + 1);
			if ((x->start | x->size) & (PAGE_SIZE - 1))
				return errf(err, "%s: %s: range %d (%s) is not 4K aligned", origin,
					    key[k], i + 1, range_str(x, a, sizeof(a)));
			if (x->start >= cfg->memory.size ||
			    x->size > cfg->memory.size - x->start)
				return errf(err, "%s: %s: range %d (%s) ends beyond memory.size "
					    "(0x%" PRIx64 ")", origin, key[k], i + 1,
					    range_str(x, a, sizeof(a)), cfg->memory.size);
		}
	}
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < n[k]; i++)
			for (int l = k; l < 2; l++)
				for (int j = (l == k ? i + 1 : 0); j < n[l]; j++) {
					const struct mem_range *x = &r[k][i], *y = &r[l][j];

					if (x->start < y->start + y->size &&
					    y->start < x->start + x->size)
						return errf(err, "%s: %s: range %d (%s) overlaps "
							    "%s range %d (%s)", origin, key[l],
							    j + 1, range_str(y, b, sizeof(b)),
							    key[k], i + 1,
							    range_str(x, a, sizeof(a)));
				}
	return 0;
}

static int region_cmp(const void *a, const void *b)
{
	const struct memblock_region *x = a, *y = b;

	return x->start_pfn < y->start_pfn ? -1 : x->start_pfn > y->start_pfn;
}

static void add_ranges(struct memblock *mb, const char *text, enum memblock_kind kind,
		       uint64_t nframes)
{
	struct mem_range r[MEMBLOCK_MAX_RANGES];
	char err[MMSIM_ERR_LEN];
	int n = memblock_parse(text, "", r, MEMBLOCK_MAX_RANGES, "", err);

	for (int i = 0; i < n; i++) {
		uint64_t s = r[i].start >> PAGE_SHIFT, e = (r[i].start + r[i].size) >> PAGE_SHIFT;

		if (s >= nframes)
			continue;
		mb->r[mb->n++] = (struct memblock_region){ s, e < nframes ? e : nframes, kind };
	}
}

void memblock_init(struct kmm *k)
{
	struct memblock *mb = &k->memblock;
	uint64_t fw = FIRMWARE_RESERVED_PFNS < k->nframes ? FIRMWARE_RESERVED_PFNS : k->nframes;
	unsigned out = 0;

	mb->n = 0;
	add_ranges(mb, k->cfg->memory.holes, MEMBLOCK_HOLE, k->nframes);
	add_ranges(mb, k->cfg->kernel.reserved, MEMBLOCK_RESERVED, k->nframes);
	qsort(mb->r, mb->n, sizeof(mb->r[0]), region_cmp);
	/* The firmware MiB: reserved where no configured range already covers
	 * it; pieces of it between configured ranges become regions of their
	 * own, and touching reserved regions merge. */
	struct memblock_region all[2 * MEMBLOCK_MAX_RANGES + 1];
	uint64_t cur = 0;
	unsigned m = 0;
	for (unsigned i = 0; i < mb->n; i++) {
		if (cur < fw && mb->r[i].start_pfn > cur)
			all[m++] = (struct memblock_region){ cur, mb->r[i].start_pfn < fw ?
							     mb->r[i].start_pfn : fw,
							     MEMBLOCK_RESERVED };
		all[m++] = mb->r[i];
		if (mb->r[i].end_pfn > cur)
			cur = mb->r[i].end_pfn;
	}
	if (cur < fw)
		all[m++] = (struct memblock_region){ cur, fw, MEMBLOCK_RESERVED };
	qsort(all, m, sizeof(all[0]), region_cmp);
	for (unsigned i = 0; i < m; i++) {
		struct memblock_region *last = out ? &mb->r[out - 1] : NULL;

		if (last && last->kind == all[i].kind && last->end_pfn == all[i].start_pfn)
			last->end_pfn = all[i].end_pfn;
		else
			mb->r[out++] = all[i];
	}
	mb->n = out;
	for (unsigned i = 0; i < mb->n; i++)
		for (uint64_t pfn = mb->r[i].start_pfn; pfn < mb->r[i].end_pfn; pfn++)
			k->memmap[pfn].flags = PG_reserved;
}

uint64_t memblock_count(const struct memblock *mb, uint64_t start, uint64_t end,
			enum memblock_kind kind)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < mb->n; i++) {
		uint64_t s = mb->r[i].start_pfn > start ? mb->r[i].start_pfn : start;
		uint64_t e = mb->r[i].end_pfn < end ? mb->r[i].end_pfn : end;

		if (mb->r[i].kind == kind && s < e)
			n += e - s;
	}
	return n;
}

bool memblock_overlaps(const struct memblock *mb, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < mb->n; i++)
		if (mb->r[i].start_pfn < end && start < mb->r[i].end_pfn)
			return true;
	return false;
}

bool memblock_next_free(const struct memblock *mb, uint64_t *start, uint64_t end,
			uint64_t *run_end)
{
	uint64_t s = *start;

	for (unsigned i = 0; i < mb->n && s < end; i++) {
		if (mb->r[i].end_pfn <= s)
			continue;
		if (mb->r[i].start_pfn > s) {
			*start = s;
			*run_end = mb->r[i].start_pfn < end ? mb->r[i].start_pfn : end;
			return true;
		}
		s = mb->r[i].end_pfn;   /* s is inside region i: skip it */
	}
	if (s >= end)
		return false;
	*start = s;
	*run_end = end;
	return true;
}
