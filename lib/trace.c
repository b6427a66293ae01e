/* Trace loader: JSON workload traces (format: docs/trace-format.md) compiled
 * into flat per-thread op arrays (lib/trace.h).
 *
 * Each process is loaded in two passes. The first collects the region names
 * that mmap ops define, in any thread and at any repeat depth, so that an
 * address may name a region whose mmap comes later in the file or in another
 * thread (whether it has run yet is the run loop's business). The second pass
 * validates and compiles every op, resolving "REGION+OFFSET" addresses to
 * region indexes and turning each repeat into a REPEAT ... END pair.
 *
 * Errors are bad input (STYLE.md tier 1): one line naming the file and the
 * exact place ("processes[0].threads[1].ops[3].ops[2].count"), after which
 * nothing stays allocated. Nothing here runs on the hot path. */
#include "lib/trace.h"
#include "lib/jsonutil.h"
#include "lib/rtrace.h"
#include "kernel/mm/gfp.h"
#include "kernel/mm/mempolicy.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_MAX_PROCS   1024
#define TRACE_MAX_THREADS 1024
#define TRACE_MAX_CPU     63
#define TRACE_MAX_DEPTH   16                  /* repeats inside repeats */
#define TRACE_MAX_COUNT   1000000000000ull    /* 10^12 */
#define TRACE_NAME_MAX    31                  /* chars of a process/region name */
/* User addresses are the canonical lower half: [0, 2^56) with 5-level
 * paging (LA57). Whether the machine has that many bits is the run's
 * business: with 4-level paging an access at or above 2^47 is a #GP there. */
#define VA_LIMIT          (1ull << 56)
#define TWO_POW_53        9007199254740992.0

/* State of one trace_load() call. */
struct ld {
	const char *file;
	char *err;
	struct trace *trace;      /* the trace being loaded (for its paths) */
	struct trace_proc *proc;  /* process being loaded */
	const cJSON *procs_json;  /* the "processes" array (fork targets) */
	uint32_t proc_index;      /* index of the process being loaded */
	uint32_t thread;          /* index of the thread being loaded */
	uint32_t rcap;            /* capacity of proc->regions */
	struct op *ops;           /* ops of the thread being compiled */
	uint32_t nops, cap;
	size_t plen;              /* strlen(place) */
	char place[400];          /* "processes[0].threads[1].ops[3]" */
};

/* ---- places and errors ---------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static size_t place_push(struct ld *ld, const char *fmt, ...)
{
	size_t old = ld->plen;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(ld->place + old, sizeof ld->place - old, fmt, ap);
	va_end(ap);
	if (n > 0)
		ld->plen = old + (size_t)n < sizeof ld->place ? old + (size_t)n
							       : sizeof ld->place - 1;
	return old;
}

static void place_pop(struct ld *ld, size_t old)
{
	ld->plen = old;
	ld->place[old] = '\0';
}

/* "place.key" (or "key" at the top level) into buf. */
static const char *place_key(const struct ld *ld, const char *key, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s", ld->place, ld->plen ? "." : "", key);
	return buf;
}

/* "FILE: PLACE.key: message"; key may be NULL. Returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail(struct ld *ld, const char *key, const char *fmt, ...)
{
	char msg[MMSIM_ERR_LEN], where[sizeof ld->place + 64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (key)
		place_key(ld, key, where, sizeof where);
	else
		snprintf(where, sizeof where, "%s", ld->place);
	if (!where[0])
		return errf(ld->err, "%s: %s", ld->file, msg);
	return errf(ld->err, "%s: %s: %s", ld->file, where, msg);
}

/* ---- fields ----------------------------------------------------------- */

static const cJSON *field(const cJSON *obj, const char *key)
{
	return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

/* Every key of obj is in allowed[], and none appears twice. */
static int check_keys(struct ld *ld, const cJSON *obj, const char *const *allowed, size_t n)
{
	if (json_check_keys(obj, allowed, n, ld->file, ld->place, ld->err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		int seen = 0;
		const cJSON *m;
		cJSON_ArrayForEach(m, obj)
			if (strcmp(m->string, allowed[i]) == 0 && seen++)
				return fail(ld, allowed[i], "duplicate key");
	}
	return 0;
}

/* obj[key] as an unsigned integer (a size with K/M/G/T units if `units`).
 * With given == NULL the key is required; otherwise *given says whether it
 * was there and *out is left alone when it was not. */
static int get_u64(struct ld *ld, const cJSON *obj, const char *key, bool units,
		   uint64_t *out, bool *given)
{
	const cJSON *v = field(obj, key);
	if (given)
		*given = v != NULL;
	if (!v)
		return given ? 0 : fail(ld, NULL, "\"%s\" is required", key);
	char where[sizeof ld->place + 64];
	return json_u64(v, units, out, ld->file, place_key(ld, key, where, sizeof where),
			ld->err);
}

static int get_count(struct ld *ld, const cJSON *obj, const char *key,
		     uint64_t *out, bool *given)
{
	if (get_u64(ld, obj, key, false, out, given))
		return -1;
	if ((!given || *given) && *out > TRACE_MAX_COUNT)
		return fail(ld, key, "must be at most 10^12");
	return 0;
}

/* A length: required, 1 .. 2^56 bytes. */
static int get_length(struct ld *ld, const cJSON *obj, uint64_t *out)
{
	if (get_u64(ld, obj, "length", true, out, NULL))
		return -1;
	if (*out == 0)
		return fail(ld, "length", "must be greater than 0");
	if (*out > VA_LIMIT)
		return fail(ld, "length", "must be at most 2^56 (64P)");
	return 0;
}

/* An access size: 1, 2, 4 or 8, default 8. */
static int get_size(struct ld *ld, const cJSON *obj, uint8_t *out)
{
	uint64_t v = 8;
	bool given;
	if (get_u64(ld, obj, "size", false, &v, &given))
		return -1;
	if (v != 1 && v != 2 && v != 4 && v != 8)
		return fail(ld, "size", "must be 1, 2, 4 or 8");
	*out = (uint8_t)v;
	return 0;
}

static int get_bool(struct ld *ld, const cJSON *obj, const char *key, bool *out)
{
	const cJSON *v = field(obj, key);
	if (!v)
		return 0;
	if (!cJSON_IsBool(v))
		return fail(ld, key, "expected true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

/* A name: 1..31 letters, digits, '_' or '-', starting with a letter or '_'
 * (a region name must not look like a number or contain '+'). */
static int get_name(struct ld *ld, const cJSON *obj, const char **out)
{
	const cJSON *v = field(obj, "name");
	*out = NULL;
	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return fail(ld, "name", "expected a string");
	const char *s = v->valuestring;
	bool ok = strlen(s) >= 1 && strlen(s) <= TRACE_NAME_MAX &&
		  (isalpha((unsigned char)s[0]) || s[0] == '_');
	for (const char *c = s; ok && *c; c++)
		ok = isalnum((unsigned char)*c) || *c == '_' || *c == '-';
	if (!ok)
		return fail(ld, "name", "\"%s\" is not a name (1 to 31 letters, digits, "
			    "'_' or '-', starting with a letter or '_')", s);
	*out = s;
	return 0;
}

/* ---- regions and addresses -------------------------------------------- */

static int32_t region_find(const struct trace_proc *p, const char *name, size_t n)
{
	if (n > TRACE_NAME_MAX)
		return -1;
	for (uint32_t i = 0; i < p->nregions; i++)
		if (strncmp(p->regions[i], name, n) == 0 && p->regions[i][n] == '\0')
			return (int32_t)i;
	return -1;
}

static int region_add_name(struct ld *ld, const char *name);

/* Pass 1: a named mmap adds its region to the process. */
static int region_add(struct ld *ld, const cJSON *mmap_op)
{
	const char *name;
	if (get_name(ld, mmap_op, &name))
		return -1;
	return name ? region_add_name(ld, name) : 0;
}

static int region_add_name(struct ld *ld, const char *name)
{
	struct trace_proc *p = ld->proc;
	if (region_find(p, name, strlen(name)) >= 0)
		return fail(ld, "name", "region \"%s\" is already defined in this process",
			    name);
	if (p->nregions == ld->rcap) {
		if (ld->rcap >= INT32_MAX / 2)
			return fail(ld, "name", "too many regions");
		uint32_t cap = ld->rcap ? 2 * ld->rcap : 8;
		char (*r)[32] = realloc(p->regions, cap * sizeof *r);
		if (!r)
			return fail(ld, NULL, "out of memory");
		p->regions = r;
		ld->rcap = cap;
	}
	snprintf(p->regions[p->nregions++], sizeof p->regions[0], "%s", name);
	return 0;
}

static int unknown_region(struct ld *ld, const char *key, const char *s, size_t n)
{
	char name[64];
	snprintf(name, sizeof name, "%.*s", (int)(n < 63 ? n : 63), s);
	const struct trace_proc *p = ld->proc;
	if (p->nregions == 0)
		return fail(ld, key, "unknown region \"%s\" (no mmap in this process has "
			    "a \"name\")", name);
	const char **names = malloc(p->nregions * sizeof *names);
	if (!names)
		return fail(ld, NULL, "out of memory");
	for (uint32_t i = 0; i < p->nregions; i++)
		names[i] = p->regions[i];
	const char *hint = json_suggest(name, names, p->nregions);
	int rc = hint ? fail(ld, key, "unknown region \"%s\"; did you mean \"%s\"?", name, hint)
		      : fail(ld, key, "unknown region \"%s\"", name);
	free(names);
	return rc;
}

/* "REGION" or "REGION+OFFSET". */
static int parse_region_ref(struct ld *ld, const char *key, const char *s,
			    struct addr_expr *a)
{
	const char *plus = strchr(s, '+');
	size_t n = plus ? (size_t)(plus - s) : strlen(s);
	a->region = region_find(ld->proc, s, n);
	if (a->region < 0)
		return unknown_region(ld, key, s, n);
	if (plus && parse_u64(plus + 1, true, &a->off))
		return fail(ld, key, "\"%s\": the offset after '+' must be decimal or "
			    "0x-hex, optionally with K, M, G or T", s);
	return 0;
}

/* "0x7f0000000000" or "heap+0x1000", for messages. */
static const char *addr_str(const struct ld *ld, const struct addr_expr *a, char *buf, size_t n)
{
	if (a->region < 0)
		snprintf(buf, n, "0x%" PRIx64, a->off);
	else
		snprintf(buf, n, "%s+0x%" PRIx64, ld->proc->regions[a->region], a->off);
	return buf;
}

/* obj[key] as an address: a number, a "0x..." string or "REGION[+OFFSET]".
 * given as for get_u64(). */
static int get_addr(struct ld *ld, const cJSON *obj, const char *key,
		    struct addr_expr *a, bool *given)
{
	const cJSON *v = field(obj, key);
	a->region = -1;
	a->off = 0;
	if (given)
		*given = v != NULL;
	if (!v)
		return given ? 0 : fail(ld, NULL, "\"%s\" is required", key);
	if (cJSON_IsNumber(v)) {
		char where[sizeof ld->place + 64];
		if (json_u64(v, false, &a->off, ld->file,
			     place_key(ld, key, where, sizeof where), ld->err))
			return -1;
	} else if (cJSON_IsString(v) && isdigit((unsigned char)v->valuestring[0])) {
		if (parse_u64(v->valuestring, false, &a->off))
			return fail(ld, key, "\"%s\" is not an address (a number, \"0x...\" "
				    "hex or \"REGION+OFFSET\")", v->valuestring);
	} else if (cJSON_IsString(v) && v->valuestring[0] != '\0') {
		if (parse_region_ref(ld, key, v->valuestring, a))
			return -1;
	} else {
		return fail(ld, key, "expected an address (a number, a \"0x...\" string "
			    "or \"REGION+OFFSET\")");
	}
	if (a->off >= VA_LIMIT)
		return fail(ld, key, "%s0x%" PRIx64 " is not below 2^56 (user addresses are "
			    "the canonical lower half of a 57-bit address space)",
			    a->region < 0 ? "" : "offset ", a->off);
	return 0;
}

static int check_page_aligned(struct ld *ld, const char *key, const struct addr_expr *a)
{
	char buf[64];
	if (a->off & (PAGE_SIZE - 1))
		return fail(ld, key, "%s is not page aligned (a multiple of 4096)",
			    addr_str(ld, a, buf, sizeof buf));
	return 0;
}

/* [a, a + len) must end at or below 2^56. a->off < 2^56, len <= 2^56. */
static int check_span(struct ld *ld, const char *key, const struct addr_expr *a, uint64_t len)
{
	char buf[64];
	if (a->off + len > VA_LIMIT)
		return fail(ld, key, "%s + %" PRIu64 " bytes ends above 2^56 (the top of "
			    "user address space)", addr_str(ld, a, buf, sizeof buf), len);
	return 0;
}

/* ---- ops ---------------------------------------------------------------- */

static const char *const k_mmap[] = { "op", "name", "addr", "length", "prot", "fixed",
				       "flags", "file", "offset", "shared" };
static const char *const k_munmap[] = { "op", "addr", "length" };
static const char *const k_mprotect[] = { "op", "addr", "length", "prot" };
static const char *const k_mremap[] = { "op", "addr", "old_length", "length", "flags",
					"new_addr" };
static const char *const k_read[] = { "op", "addr", "size", "expect" };
static const char *const k_write[] = { "op", "addr", "size", "value" };
static const char *const k_fetch[] = { "op", "addr", "size" };
/* file ops (docs/pagecache.md) */
static const char *const k_file_rw[] = { "op", "file", "offset", "length", "buf" };
static const char *const k_fsync[] = { "op", "file" };
static const char *const k_fadvise[] = { "op", "file", "offset", "length", "advice" };
static const char *const k_seq[] = { "op", "base", "length", "size", "count", "write",
				     "kind", "check" };
static const char *const k_stride[] = { "op", "base", "length", "size", "count", "write",
					"stride", "kind", "check" };
static const char *const k_random[] = { "op", "base", "length", "size", "count", "write",
					"seed", "kind", "check" };
static const char *const k_repeat[] = { "op", "count", "ops" };
static const char *const k_compute[] = { "op", "cycles" };
static const char *const k_thread_ref[] = { "op", "thread" };
static const char *const k_bare[] = { "op" };
static const char *const k_migrate[] = { "op", "cpu" };
static const char *const k_replay[] = { "op", "path", "format", "layout", "limit" };
static const char *const k_exit[] = { "op" };
static const char *const k_fork[] = { "op", "child" };
static const char *const k_brk[] = { "op", "grow", "shrink" };
static const char *const k_madvise[] = { "op", "addr", "length", "advice" };
static const char *const k_sysctl[] = { "op", "key", "value" };
static const char *const k_procfs[] = { "op", "file" };

/* ---- devices and DMA ops (docs/iommu.md) --------------------------------- */

#define TRACE_MAX_DEVICES 32

static const char *const k_device[] = { "name", "dma_mask", "behind_iommu", "pci" };
static const char *const k_dma_map[] = { "op", "device", "name", "addr", "obj", "index",
					 "offset", "length", "dir" };
static const char *const k_dma_name[] = { "op", "name" };
static const char *const k_kcache_create[] = { "op", "cache", "size", "align",
					       "hwcache_align", "reclaimable", "debug", "ctor" };
static const char *const k_kcache_ref[] = { "op", "cache" };
static const char *const k_kcache_alloc[] = { "op", "cache", "name", "count", "zero" };
static const char *const k_kcache_free[] = { "op", "cache", "obj", "index", "count" };
static const char *const k_kmalloc[] = { "op", "name", "size", "count" };
static const char *const k_vmalloc[] = { "op", "name", "size" };
static const char *const k_kfree[] = { "op", "obj", "index", "count" };
static const char *const k_kread[] = { "op", "obj", "index", "offset", "size", "expect" };
static const char *const k_kwrite[] = { "op", "obj", "index", "offset", "size", "value" };
/* page-allocator ops (docs/phys-mm.md) */
static const char *const k_alloc_pages[] = { "op", "name", "order", "gfp", "node" };
static const char *const k_free_pages[] = { "op", "name" };
static const char *const k_compact[] = { "op", "node" };
static const char *const k_cma_alloc[] = { "op", "name", "count", "align" };
static const char *const k_drop_caches[] = { "op", "value" };
static const char *const k_snapshot[] = { "op", "name" };
static const char *const k_mempolicy[] = { "op", "mode", "nodes" };
static const char *const k_mbind[] = { "op", "addr", "length", "mode", "nodes" };
static const char *const k_dma[] = { "op", "device", "handle", "iova", "offset", "length",
				     "dir", "value", "expect" };
static const char *const k_dma_sync[] = { "op", "name", "for" };
static const char *const k_dma_alloc[] = { "op", "device", "name", "length" };
static const char *const dma_dir_names[] = { "bidirectional", "to_device", "from_device" };

/* "pci": "BB:DD.F" as lspci prints it (hex bus 00-ff, device 00-1f,
 * function 0-7) into a source id; absent: bus 0, device index + 1. */
static int get_pci(struct ld *ld, const cJSON *d, uint32_t index, uint16_t *sid)
{
	const cJSON *v = field(d, "pci");
	*sid = (uint16_t)((index + 1) << 3);
	if (!v)
		return 0;
	unsigned bus, dev, fn;
	int end = 0;
	if (!cJSON_IsString(v) ||
	    sscanf(v->valuestring, "%2x:%2x.%1x%n", &bus, &dev, &fn, &end) != 3 ||
	    v->valuestring[end] != '\0' || !isxdigit((unsigned char)v->valuestring[0]) ||
	    dev > 0x1f || fn > 7)
		return fail(ld, "pci", "expected a PCI address \"BB:DD.F\" (hex bus 00-ff, "
			    "device 00-1f, function 0-7), e.g. \"02:00.0\"");
	*sid = (uint16_t)((bus << 8) | (dev << 3) | fn);
	return 0;
}

/* "devices": [{"name": "nic0", "dma_mask": 32, "behind_iommu": true,
 * "pci": "02:00.0"}, ...] */
static int load_devices(struct ld *ld, const cJSON *root, struct trace *t)
{
	const cJSON *devs = field(root, "devices"), *d;
	if (!devs)
		return 0;
	size_t old = place_push(ld, "devices");
	int rc = 0;
	int n = cJSON_IsArray(devs) ? cJSON_GetArraySize(devs) : -1;
	if (n < 0 || n > TRACE_MAX_DEVICES)
		rc = fail(ld, NULL, "expected an array of at most %d devices", TRACE_MAX_DEVICES);
	if (!rc && n > 0 && !(t->devices = calloc((size_t)n, sizeof *t->devices)))
		rc = fail(ld, NULL, "out of memory");
	cJSON_ArrayForEach(d, devs) {
		if (rc)
			break;
		size_t o2 = place_push(ld, "[%u]", t->ndevices);
		struct trace_device *td = &t->devices[t->ndevices];
		const char *name;
		uint64_t bits = 64;
		bool given, behind = true;
		if (!cJSON_IsObject(d))
			rc = fail(ld, NULL, "expected a device object such as {\"name\": \"nic0\"}");
		else if (check_keys(ld, d, k_device, ARRAY_SIZE(k_device)) || get_name(ld, d, &name) ||
			 get_u64(ld, d, "dma_mask", false, &bits, &given) ||
			 get_bool(ld, d, "behind_iommu", &behind) ||
			 get_pci(ld, d, t->ndevices, &td->sid))
			rc = -1;
		else if (!name)
			rc = fail(ld, NULL, "\"name\" is required");
		else if (bits < 12 || bits > 64)
			rc = fail(ld, "dma_mask", "%" PRIu64 " is not a number of address bits "
				  "from 12 to 64 (e.g. 24, 32, 64)", bits);
		for (uint32_t i = 0; !rc && i < t->ndevices; i++)
			if (strcmp(t->devices[i].name, name) == 0)
				rc = fail(ld, "name", "\"%s\" is already the name of devices[%u]",
					  name, i);
		for (uint32_t i = 0; !rc && i < t->ndevices; i++)
			if (t->devices[i].sid == td->sid)
				rc = fail(ld, "pci", "%02x:%02x.%x is already the address of "
					  "devices[%u]", td->sid >> 8, (td->sid >> 3) & 0x1f,
					  td->sid & 7, i);
		if (!rc) {
			snprintf(td->name, sizeof td->name, "%s", name);
			td->mask_bits = (uint8_t)bits;
			td->behind_iommu = behind;
			t->ndevices++;
		}
		place_pop(ld, o2);
	}
	place_pop(ld, old);
	return rc;
}

/* ---- files (docs/pagecache.md) ------------------------------------------ */

#define TRACE_MAX_FILES 256

static const char *const k_file[] = { "name", "size", "content", "seed", "path" };

/* One "files" entry: its content is "offset" (default), "seed" (with
 * "seed") or a host file ("path", relative to the trace's folder). */
static int load_file(struct ld *ld, const cJSON *d, struct trace *t, struct trace_file *tf)
{
	const char *name;
	bool given;
	if (!cJSON_IsObject(d))
		return fail(ld, NULL, "expected a file object such as {\"name\": \"data\", "
			    "\"size\": \"1M\"}");
	if (check_keys(ld, d, k_file, ARRAY_SIZE(k_file)) || get_name(ld, d, &name) ||
	    get_u64(ld, d, "size", true, &tf->size, &given))
		return -1;
	if (!name)
		return fail(ld, NULL, "\"name\" is required");
	for (uint32_t i = 0; i < t->nfiles; i++)
		if (strcmp(t->files[i].name, name) == 0)
			return fail(ld, "name", "\"%s\" is already the name of files[%u]", name, i);
	snprintf(tf->name, sizeof tf->name, "%s", name);
	const cJSON *c = field(d, "content"), *path = field(d, "path");
	if (c && (!cJSON_IsString(c) || (strcmp(c->valuestring, "offset") &&
					 strcmp(c->valuestring, "seed") &&
					 strcmp(c->valuestring, "host"))))
		return fail(ld, "content", "must be \"offset\" (each 8-byte word holds its "
			    "offset), \"seed\" (seeded words) or \"host\" (with \"path\")");
	tf->content = !c || !strcmp(c->valuestring, "offset") ? TRACE_FILE_OFFSET
		      : !strcmp(c->valuestring, "seed") ? TRACE_FILE_SEED : TRACE_FILE_HOST;
	if (path && !c)
		tf->content = TRACE_FILE_HOST;
	if (tf->content == TRACE_FILE_SEED && get_u64(ld, d, "seed", false, &tf->seed, NULL))
		return -1;
	if (tf->content != TRACE_FILE_SEED && field(d, "seed"))
		return fail(ld, "seed", "only with \"content\": \"seed\"");
	if (tf->content != TRACE_FILE_HOST) {
		if (path)
			return fail(ld, "path", "only with \"content\": \"host\"");
		if (!given || tf->size == 0)
			return fail(ld, given ? "size" : NULL, given ? "must be greater than 0"
				    : "\"size\" is required");
	} else {
		if (!path || !cJSON_IsString(path) || !path->valuestring[0])
			return fail(ld, path ? "path" : NULL, "a host file needs \"path\" (a "
				    "file name, relative to the trace's folder)");
		const char *slash = strrchr(ld->file, '/');
		int dir = path->valuestring[0] == '/' || !slash ? 0 : (int)(slash - ld->file + 1);
		size_t n = (size_t)dir + strlen(path->valuestring) + 1;
		if (!(tf->path = malloc(n)))
			return fail(ld, NULL, "out of memory");
		snprintf(tf->path, n, "%.*s%s", dir, ld->file, path->valuestring);
		FILE *hf = fopen(tf->path, "rb");
		if (!hf)
			return fail(ld, "path", "cannot open \"%s\"", tf->path);
		long hsize = fseek(hf, 0, SEEK_END) == 0 ? ftell(hf) : -1;
		fclose(hf);
		if (hsize < 0)
			return fail(ld, "path", "cannot read \"%s\" (not a regular file?)",
				    tf->path);
		if (!given)
			tf->size = (uint64_t)hsize;
		if (tf->size == 0)
			return fail(ld, "path", "\"%s\" is empty; give a \"size\"", tf->path);
	}
	if (tf->size > (1ull << 46))
		return fail(ld, "size", "at most 64T");
	return 0;
}

/* "files": [{"name": "data", "size": "64M", "content": "seed", "seed": 7}, ...] */
static int load_files(struct ld *ld, const cJSON *root, struct trace *t)
{
	const cJSON *fs = field(root, "files"), *d;
	if (!fs)
		return 0;
	size_t old = place_push(ld, "files");
	int rc = 0;
	int n = cJSON_IsArray(fs) ? cJSON_GetArraySize(fs) : -1;
	if (n < 0 || n > TRACE_MAX_FILES)
		rc = fail(ld, NULL, "expected an array of at most %d files", TRACE_MAX_FILES);
	if (!rc && n > 0 && !(t->files = calloc((size_t)n, sizeof *t->files)))
		rc = fail(ld, NULL, "out of memory");
	cJSON_ArrayForEach(d, fs) {
		if (rc)
			break;
		size_t o2 = place_push(ld, "[%u]", t->nfiles);
		rc = load_file(ld, d, t, &t->files[t->nfiles]);
		t->nfiles++;    /* counted even on error: trace_free frees its path */
		place_pop(ld, o2);
	}
	place_pop(ld, old);
	return rc;
}

/* obj[key] names a declared file: its index into *out. */
static int get_file(struct ld *ld, const cJSON *obj, const char *key, uint32_t *out)
{
	const cJSON *v = field(obj, key);
	const struct trace *t = ld->trace;
	if (!v)
		return fail(ld, NULL, "\"%s\" is required", key);
	if (!cJSON_IsString(v))
		return fail(ld, key, "expected a file name");
	for (uint32_t i = 0; i < t->nfiles; i++)
		if (strcmp(t->files[i].name, v->valuestring) == 0) {
			*out = i;
			return 0;
		}
	if (!t->nfiles)
		return fail(ld, key, "unknown file \"%s\" (the trace has no \"files\")",
			    v->valuestring);
	const char *names[TRACE_MAX_FILES];
	for (uint32_t i = 0; i < t->nfiles; i++)
		names[i] = t->files[i].name;
	const char *hint = json_suggest(v->valuestring, names, t->nfiles);
	if (hint)
		return fail(ld, key, "unknown file \"%s\"; did you mean \"%s\"?", v->valuestring,
			    hint);
	return fail(ld, key, "unknown file \"%s\"", v->valuestring);
}

static const char *const fadvise_names[] = { "normal", "random", "sequential", "willneed",
					     "dontneed" };

static int op_file(struct ld *ld, const cJSON *obj, struct op *o);

/* obj[key] names a declared device: its index into *out. */
static int get_device(struct ld *ld, const cJSON *obj, const char *key, uint64_t *out)
{
	const cJSON *v = field(obj, key);
	const struct trace *t = ld->trace;
	if (!v)
		return fail(ld, NULL, "\"%s\" is required", key);
	if (!cJSON_IsString(v))
		return fail(ld, key, "expected a device name");
	for (uint32_t i = 0; i < t->ndevices; i++)
		if (strcmp(t->devices[i].name, v->valuestring) == 0) {
			*out = i;
			return 0;
		}
	if (!t->ndevices)
		return fail(ld, key, "unknown device \"%s\" (the trace has no \"devices\")",
			    v->valuestring);
	const char *names[TRACE_MAX_DEVICES];
	for (uint32_t i = 0; i < t->ndevices; i++)
		names[i] = t->devices[i].name;
	const char *hint = json_suggest(v->valuestring, names, t->ndevices);
	if (hint)
		return fail(ld, key, "unknown device \"%s\"; did you mean \"%s\"?", v->valuestring,
			    hint);
	return fail(ld, key, "unknown device \"%s\"", v->valuestring);
}

/* obj[key]: a DMA handle's name, interned trace-wide into *out (entry [0]
 * is set by the dma_map / dma_alloc that defines it, the name follows). */
static int get_handle(struct ld *ld, const cJSON *obj, const char *key, uint32_t *out)
{
	const cJSON *v = field(obj, key);
	struct trace *t = ld->trace;
	if (!v)
		return fail(ld, NULL, "\"%s\" is required", key);
	if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > 30)
		return fail(ld, key, "expected a handle name (1 to 30 characters)");
	for (uint32_t i = 0; i < t->nhandles; i++)
		if (strcmp(t->dma_handles[i] + 1, v->valuestring) == 0) {
			*out = i;
			return 0;
		}
	char (*h)[32] = realloc(t->dma_handles, (t->nhandles + 1) * sizeof *h);
	if (!h)
		return fail(ld, NULL, "out of memory");
	t->dma_handles = h;
	h[t->nhandles][0] = 0;          /* [0]: 1 once a dma_map/dma_alloc defines it */
	snprintf(h[t->nhandles] + 1, 31, "%s", v->valuestring);
	*out = t->nhandles++;
	return 0;
}

static int get_dma_dir(struct ld *ld, const cJSON *obj, const char *key, bool two_way,
		       uint8_t *out)
{
	const cJSON *v = field(obj, key);
	if (!v)
		return fail(ld, NULL, "\"%s\" is required", key);
	for (size_t i = two_way ? 0 : 1; cJSON_IsString(v) && i < ARRAY_SIZE(dma_dir_names); i++)
		if (strcmp(v->valuestring, dma_dir_names[i]) == 0) {
			*out = (uint8_t)i;
			return 0;
		}
	return fail(ld, key, two_way ? "must be \"to_device\", \"from_device\" or "
		    "\"bidirectional\"" : "must be \"to_device\" (the device reads memory) "
		    "or \"from_device\" (it writes memory)");
}

static int kobj_use(struct ld *ld, const cJSON *obj, struct op *o);

/* dma_map of a kernel object: "obj" (a kmalloc/vmalloc/kmem_cache_alloc
 * name), "index" (0) and "offset" (0) as kread has them; OPF_INDEX marks
 * it, region = the name, stride = the index, addr.off = the offset. */
static int dma_map_kobj(struct ld *ld, const cJSON *obj, struct op *o)
{
	bool given;
	if (field(obj, "addr"))
		return fail(ld, "addr", "give either \"addr\" (a process buffer) or \"obj\" "
			    "(a kernel object), not both");
	o->stride = 0;
	o->addr = (struct addr_expr){ -1, 0 };
	if (kobj_use(ld, obj, o) || get_u64(ld, obj, "index", false, &o->stride, &given) ||
	    get_u64(ld, obj, "offset", true, &o->addr.off, &given))
		return -1;
	if (o->addr.off > (1ull << 30))
		return fail(ld, "offset", "must be at most 1G");
	o->flags |= OPF_INDEX;
	return 0;
}

static int op_dma(struct ld *ld, const cJSON *obj, struct op *o)
{
	bool given;
	switch (o->kind) {
	case OP_DMA_MAP:
		if (get_device(ld, obj, "device", &o->count) || get_handle(ld, obj, "name", &o->other))
			return -1;
		if (field(obj, "obj")) {
			if (dma_map_kobj(ld, obj, o) || get_length(ld, obj, &o->len))
				return -1;
			if (o->len > (1ull << 30))
				return fail(ld, "length", "at most 1G per mapping");
		} else if (field(obj, "index") || field(obj, "offset")) {
			return fail(ld, field(obj, "index") ? "index" : "offset",
				    "only with \"obj\" (a kernel object)");
		} else if (get_addr(ld, obj, "addr", &o->addr, NULL) || get_length(ld, obj, &o->len) ||
			   check_span(ld, "addr", &o->addr, o->len)) {
			return -1;
		}
		if (get_dma_dir(ld, obj, "dir", true, &o->prot))
			return -1;
		ld->trace->dma_handles[o->other][0] = 1;
		return 0;
	case OP_DMA_ALLOC:
		if (get_device(ld, obj, "device", &o->count) || get_handle(ld, obj, "name", &o->other) ||
		    get_length(ld, obj, &o->len))
			return -1;
		if (o->len > (1ull << 30))
			return fail(ld, "length", "at most 1G of coherent memory per allocation");
		ld->trace->dma_handles[o->other][0] = 1;
		return 0;
	case OP_DMA_UNMAP:
	case OP_DMA_FREE:
		return get_handle(ld, obj, "name", &o->other);
	case OP_DMA_SYNC: {
		if (get_handle(ld, obj, "name", &o->other))
			return -1;
		const cJSON *v = field(obj, "for");
		if (!v || !cJSON_IsString(v) || (strcmp(v->valuestring, "cpu") != 0 &&
						 strcmp(v->valuestring, "device") != 0))
			return fail(ld, v ? "for" : NULL, "\"for\" must be \"cpu\" or \"device\"");
		o->prot = strcmp(v->valuestring, "device") == 0;
		return 0;
	}
	default:
		break;
	}
	/* dma: a handle and an offset, or a raw "iova" */
	bool has_handle = field(obj, "handle") != NULL, has_iova = field(obj, "iova") != NULL;
	if (has_handle == has_iova)
		return fail(ld, NULL, "give either \"handle\" (with \"offset\") or \"iova\"");
	if (get_device(ld, obj, "device", &o->count) || get_length(ld, obj, &o->len) ||
	    get_dma_dir(ld, obj, "dir", false, &o->prot))
		return -1;
	if (has_handle) {
		if (get_handle(ld, obj, "handle", &o->other) ||
		    get_u64(ld, obj, "offset", true, &o->addr.off, &given))
			return -1;
	} else {
		o->other = UINT32_MAX;
		if (get_u64(ld, obj, "iova", false, &o->addr.off, NULL))
			return -1;
		if (has_iova && field(obj, "offset"))
			return fail(ld, "offset", "only with \"handle\"");
	}
	if (o->len > (1ull << 30))
		return fail(ld, "length", "at most 1G per transfer");
	bool hv = field(obj, "value") != NULL, he = field(obj, "expect") != NULL;
	if ((hv && o->prot != TRACE_DMA_FROM_DEVICE) || (he && o->prot != TRACE_DMA_TO_DEVICE))
		return fail(ld, hv ? "value" : "expect", "\"value\" goes with \"from_device\" (the "
			    "device writes it), \"expect\" with \"to_device\" (it reads)");
	if (hv || he) {
		if (o->len % 8)
			return fail(ld, "length", "must be a multiple of 8 with \"%s\" (the value "
				    "fills or is expected in every 8-byte word)", hv ? "value" : "expect");
		if (get_u64(ld, obj, hv ? "value" : "expect", false, &o->value, NULL))
			return -1;
		o->flags = hv ? OPF_VALUE : OPF_EXPECT;
	}
	return 0;
}

/* Every handle used is defined by some dma_map or dma_alloc. */
static int check_dma_handles(struct ld *ld, const struct trace *t)
{
	for (uint32_t i = 0; i < t->nhandles; i++)
		if (!t->dma_handles[i][0])
			return fail(ld, NULL, "DMA handle \"%s\" is used but no dma_map or "
				    "dma_alloc gives that name", t->dma_handles[i] + 1);
	return 0;
}

static int get_choice(struct ld *ld, const cJSON *obj, const char *key,
		      const char *const *names, size_t n, uint32_t *out);

/* read/write with "file", fsync, fadvise. */
static int op_file(struct ld *ld, const cJSON *obj, struct op *o)
{
	bool given;
	uint32_t adv;
	if (get_file(ld, obj, "file", &o->other))
		return -1;
	const struct trace_file *tf = &ld->trace->files[o->other];
	switch (o->kind) {
	case OP_FILE_READ:
	case OP_FILE_WRITE:
		if (get_u64(ld, obj, "offset", true, &o->value, &given) ||
		    get_length(ld, obj, &o->len) || get_addr(ld, obj, "buf", &o->addr, NULL) ||
		    check_span(ld, "buf", &o->addr, o->len))
			return -1;
		if (!given)
			o->value = 0;
		if (o->len > (1ull << 30))
			return fail(ld, "length", "at most 1G per call");
		if (o->kind == OP_FILE_WRITE && o->value + o->len > tf->size)
			return fail(ld, "length", "the write ends at %" PRIu64 ", past the end of "
				    "\"%s\" (%" PRIu64 " bytes; files do not grow beyond their "
				    "declared size)", o->value + o->len, tf->name, tf->size);
		return 0;
	case OP_FADVISE:
		o->value = 0;
		o->len = 0;
		if (get_u64(ld, obj, "offset", true, &o->value, &given) ||
		    get_u64(ld, obj, "length", true, &o->len, &given) ||
		    get_choice(ld, obj, "advice", fadvise_names, ARRAY_SIZE(fadvise_names), &adv))
			return -1;
		o->prot = (uint8_t)adv;     /* POSIX_FADV_* are 0..4 in this order */
		return 0;
	default:
		return 0;
	}
}

static const struct op_spec {
	const char *name;
	enum op_kind kind;
	const char *const *keys;
	size_t nkeys;
} op_specs[] = {
#define SPEC(n, k, keys) { n, k, keys, ARRAY_SIZE(keys) }
	SPEC("mmap", OP_MMAP, k_mmap),
	SPEC("munmap", OP_MUNMAP, k_munmap),
	SPEC("mprotect", OP_MPROTECT, k_mprotect),
	SPEC("mremap", OP_MREMAP, k_mremap),
	SPEC("read", OP_READ, k_read),
	SPEC("write", OP_WRITE, k_write),
	SPEC("fetch", OP_FETCH, k_fetch),
	SPEC("seq", OP_SEQ, k_seq),
	SPEC("stride", OP_STRIDE, k_stride),
	SPEC("random", OP_RANDOM, k_random),
	SPEC("repeat", OP_REPEAT, k_repeat),
	SPEC("compute", OP_COMPUTE, k_compute),
	SPEC("spawn", OP_SPAWN, k_thread_ref),
	SPEC("join", OP_JOIN, k_thread_ref),
	SPEC("barrier", OP_BARRIER, k_bare),
	SPEC("yield", OP_YIELD, k_bare),
	SPEC("sleep", OP_SLEEP, k_compute),
	SPEC("migrate", OP_MIGRATE, k_migrate),
	SPEC("replay", OP_REPLAY, k_replay),
	SPEC("exit", OP_EXIT, k_exit),
	SPEC("dma_map", OP_DMA_MAP, k_dma_map),
	SPEC("dma_unmap", OP_DMA_UNMAP, k_dma_name),
	SPEC("dma", OP_DMA, k_dma),
	SPEC("dma_sync", OP_DMA_SYNC, k_dma_sync),
	SPEC("dma_alloc", OP_DMA_ALLOC, k_dma_alloc),
	SPEC("dma_free", OP_DMA_FREE, k_dma_name),
	SPEC("kmem_cache_create", OP_KMEM_CACHE_CREATE, k_kcache_create),
	SPEC("kmem_cache_destroy", OP_KMEM_CACHE_DESTROY, k_kcache_ref),
	SPEC("kmem_cache_shrink", OP_KMEM_CACHE_SHRINK, k_kcache_ref),
	SPEC("kmem_cache_alloc", OP_KMEM_CACHE_ALLOC, k_kcache_alloc),
	SPEC("kmem_cache_free", OP_KFREE, k_kcache_free),
	SPEC("kmalloc", OP_KMALLOC, k_kmalloc),
	SPEC("kzalloc", OP_KMALLOC, k_kmalloc),
	SPEC("vmalloc", OP_VMALLOC, k_vmalloc),
	SPEC("vzalloc", OP_VMALLOC, k_vmalloc),
	SPEC("kvmalloc", OP_VMALLOC, k_vmalloc),
	SPEC("kfree", OP_KFREE, k_kfree),
	SPEC("vfree", OP_KFREE, k_kfree),
	SPEC("kvfree", OP_KFREE, k_kfree),
	SPEC("kread", OP_KREAD, k_kread),
	SPEC("kwrite", OP_KWRITE, k_kwrite),
	SPEC("alloc_pages", OP_ALLOC_PAGES, k_alloc_pages),
	SPEC("free_pages", OP_FREE_PAGES, k_free_pages),
	SPEC("compact", OP_COMPACT, k_compact),
	SPEC("drop_caches", OP_DROP_CACHES, k_drop_caches),
	SPEC("snapshot", OP_SNAPSHOT, k_snapshot),
	SPEC("set_mempolicy", OP_SET_MEMPOLICY, k_mempolicy),
	SPEC("mbind", OP_MBIND, k_mbind),
	SPEC("cma_alloc", OP_CMA_ALLOC, k_cma_alloc),
	SPEC("cma_release", OP_CMA_RELEASE, k_free_pages),
	SPEC("fork", OP_FORK, k_fork),
	SPEC("exec", OP_EXEC, k_bare),
	SPEC("brk", OP_BRK, k_brk),
	SPEC("madvise", OP_MADVISE, k_madvise),
	SPEC("mlock", OP_MLOCK, k_munmap),
	SPEC("munlock", OP_MLOCK, k_munmap),
	SPEC("sysctl", OP_SYSCTL, k_sysctl),
	SPEC("procfs", OP_PROCFS, k_procfs),
	SPEC("fsync", OP_FSYNC, k_fsync),
	SPEC("fadvise", OP_FADVISE, k_fadvise),
	/* read and write with "file" (found after the access ops of the same
	 * name, compile_op() picks these when "file" is given) */
	SPEC("read", OP_FILE_READ, k_file_rw),
	SPEC("write", OP_FILE_WRITE, k_file_rw),
#undef SPEC
};

/* "rw", "xr", "none", ... -> PROT_* bits. */
static int get_prot(struct ld *ld, const cJSON *obj, uint8_t *out)
{
	const cJSON *v = field(obj, "prot");
	*out = PROT_R | PROT_W;
	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return fail(ld, "prot", "expected a string such as \"rw\"");
	const char *s = v->valuestring;
	if (strcmp(s, "none") == 0) {
		*out = 0;
		return 0;
	}
	uint8_t prot = 0;
	for (const char *c = s; *c; c++) {
		uint8_t bit = *c == 'r' ? PROT_R : *c == 'w' ? PROT_W : *c == 'x' ? PROT_X : 0;
		if (!bit || (prot & bit))
			break;
		prot |= bit;
		if (!c[1]) {
			*out = prot;
			return 0;
		}
	}
	return fail(ld, "prot", "\"%s\" must be \"none\" or letters from r, w, x, each at "
		    "most once (e.g. \"rw\")", s);
}

static int op_munmap(struct ld *ld, const cJSON *obj, struct op *o);

/* One string of a fixed list; its index in *out. */
static int get_choice(struct ld *ld, const cJSON *obj, const char *key,
		      const char *const *names, size_t n, uint32_t *out)
{
	const cJSON *v = field(obj, key);
	if (!v)
		return fail(ld, NULL, "\"%s\" is required", key);
	if (cJSON_IsString(v))
		for (size_t i = 0; i < n; i++)
			if (strcmp(v->valuestring, names[i]) == 0) {
				*out = (uint32_t)i;
				return 0;
			}
	char list[256] = "";
	for (size_t i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"",
			 i ? ", " : "", names[i]);
	return fail(ld, key, "must be one of %s", list);
}

static const char *const map_flag_names[] = {
	"fixed", "fixed_noreplace", "populate", "noreserve", "growsdown", "stack",
	"hugetlb", "huge_1gb", "locked" };

/* mmap "flags": an array of MAP_* names, lower case without MAP_. */
static int get_map_flags(struct ld *ld, const cJSON *obj, uint64_t *out)
{
	const cJSON *v = field(obj, "flags"), *f;
	*out = 0;
	if (!v)
		return 0;
	if (!cJSON_IsArray(v))
		return fail(ld, "flags", "expected an array such as [\"populate\"]");
	cJSON_ArrayForEach(f, v) {
		size_t i = 0;
		while (i < ARRAY_SIZE(map_flag_names) &&
		       !(cJSON_IsString(f) && strcmp(f->valuestring, map_flag_names[i]) == 0))
			i++;
		if (i == ARRAY_SIZE(map_flag_names))
			return fail(ld, "flags", "%s%s%s is not one of fixed, fixed_noreplace, "
				    "populate, noreserve, growsdown, stack, hugetlb, huge_1gb, "
				    "locked", cJSON_IsString(f) ? "\"" : "",
				    cJSON_IsString(f) ? f->valuestring : "a non-string",
				    cJSON_IsString(f) ? "\"" : "");
		*out |= 1u << i;
	}
	return 0;
}

static const char *const madvise_names[] = { "willneed", "dontneed", "free", "hugepage",
					     "nohugepage", "collapse" };
static const uint32_t madvise_values[] = { 3, 4, 8, 14, 15, 25 };
static const char *const sysctl_names[] = { "kernel.thp.enabled", "kernel.thp.defrag" };
static const char *const procfs_names[] = { "maps", "smaps_rollup", "status" };

static int op_brk(struct ld *ld, const cJSON *obj, struct op *o)
{
	bool grow = field(obj, "grow"), shrink = field(obj, "shrink");
	if (grow == shrink)
		return fail(ld, NULL, "exactly one of \"grow\" and \"shrink\" is required");
	o->prot = shrink;
	return get_u64(ld, obj, grow ? "grow" : "shrink", true, &o->len, NULL);
}

static int op_madvise(struct ld *ld, const cJSON *obj, struct op *o)
{
	uint32_t i;
	if (op_munmap(ld, obj, o) ||
	    get_choice(ld, obj, "advice", madvise_names, ARRAY_SIZE(madvise_names), &i))
		return -1;
	o->other = madvise_values[i];
	return 0;
}

static int op_sysctl(struct ld *ld, const cJSON *obj, struct op *o)
{
	static const char *const enabled[] = { "always", "madvise", "never" };
	static const char *const defrag[] = { "always", "defer", "defer+madvise", "madvise",
					      "never" };
	uint32_t v;
	if (get_choice(ld, obj, "key", sysctl_names, ARRAY_SIZE(sysctl_names), &o->other))
		return -1;
	if (o->other == SYSCTL_THP_ENABLED ?
	    get_choice(ld, obj, "value", enabled, ARRAY_SIZE(enabled), &v) :
	    get_choice(ld, obj, "value", defrag, ARRAY_SIZE(defrag), &v))
		return -1;
	o->value = v;
	return 0;
}

static int op_mmap(struct ld *ld, const cJSON *obj, struct op *o)
{
	bool has_addr, fixed = false;
	const cJSON *name = field(obj, "name");
	if (get_length(ld, obj, &o->len) || get_prot(ld, obj, &o->prot) ||
	    get_addr(ld, obj, "addr", &o->addr, &has_addr) ||
	    (has_addr && check_page_aligned(ld, "addr", &o->addr)) ||
	    get_bool(ld, obj, "fixed", &fixed))
		return -1;
	if (fixed && !has_addr)
		return fail(ld, NULL, "\"fixed\" requires \"addr\"");
	if (fixed && check_span(ld, "addr", &o->addr, o->len))
		return -1;
	o->flags = fixed ? OPF_FIXED : 0;
	if (get_map_flags(ld, obj, &o->count))
		return -1;
	if (fixed)
		o->count |= TRACE_MAP_FIXED;
	if ((o->count & (TRACE_MAP_FIXED | TRACE_MAP_FIXED_NOREPLACE)) && !has_addr)
		return fail(ld, "flags", "fixed placement requires \"addr\"");
	if ((o->count & TRACE_MAP_HUGE_1GB) && !(o->count & TRACE_MAP_HUGETLB))
		return fail(ld, "flags", "\"huge_1gb\" requires \"hugetlb\"");
	if (field(obj, "file")) {
		bool shared = false, given;
		if (get_file(ld, obj, "file", &o->other) ||
		    get_u64(ld, obj, "offset", true, &o->value, &given) ||
		    get_bool(ld, obj, "shared", &shared))
			return -1;
		o->other++;
		if (!given)
			o->value = 0;
		if (o->value & 4095)
			return fail(ld, "offset", "must be a multiple of 4096 (the page size)");
		if (shared)
			o->count |= TRACE_MAP_SHARED;
		if (o->count & TRACE_MAP_HUGETLB)
			return fail(ld, "flags", "\"hugetlb\" maps hugetlbfs pages, not a file");
	} else if (field(obj, "offset") || field(obj, "shared")) {
		return fail(ld, field(obj, "offset") ? "offset" : "shared", "only with \"file\"");
	}
	if (name) {   /* validated and collected by pass 1 */
		o->region = region_find(ld->proc, name->valuestring, strlen(name->valuestring));
		assert(o->region >= 0);
	}
	return 0;
}

/* mremap: "flags" of "maymove" and "fixed" (which needs "new_addr"). */
static int op_mremap(struct ld *ld, const cJSON *obj, struct op *o)
{
	static const char *const names[] = { "maymove", "fixed" };
	const cJSON *v = field(obj, "flags"), *f;
	bool has_new;
	if (op_munmap(ld, obj, o) ||
	    get_u64(ld, obj, "old_length", true, &o->count, NULL) ||
	    get_u64(ld, obj, "new_addr", false, &o->value, &has_new))
		return -1;
	if (!o->count)
		return fail(ld, "old_length", "must be positive");
	if (v && !cJSON_IsArray(v))
		return fail(ld, "flags", "expected an array such as [\"maymove\"]");
	cJSON_ArrayForEach(f, v) {
		size_t i = 0;
		while (i < ARRAY_SIZE(names) && !(cJSON_IsString(f) && !strcmp(f->valuestring, names[i])))
			i++;
		if (i == ARRAY_SIZE(names))
			return fail(ld, "flags", "must hold only \"maymove\" and \"fixed\"");
		o->other |= 1u << i;
	}
	if (!(o->other & TRACE_MREMAP_FIXED) != !has_new)
		return fail(ld, has_new ? "new_addr" : "flags",
			    "\"new_addr\" goes with \"fixed\" and \"fixed\" needs it");
	if ((o->other & TRACE_MREMAP_FIXED) && !(o->other & TRACE_MREMAP_MAYMOVE))
		return fail(ld, "flags", "\"fixed\" requires \"maymove\" (as MREMAP_FIXED)");
	if (has_new && (o->value & (PAGE_SIZE - 1)))
		return fail(ld, "new_addr", "must be page aligned");
	return 0;
}

static int op_munmap(struct ld *ld, const cJSON *obj, struct op *o)
{
	if (get_addr(ld, obj, "addr", &o->addr, NULL) ||
	    check_page_aligned(ld, "addr", &o->addr) || get_length(ld, obj, &o->len))
		return -1;
	return check_span(ld, "addr", &o->addr, o->len);
}

/* read (value key "expect") or write (value key "value"). */
static int op_access(struct ld *ld, const cJSON *obj, struct op *o)
{
	const char *vkey = o->kind == OP_READ ? "expect" : "value";
	if (o->kind == OP_FETCH)
		return get_addr(ld, obj, "addr", &o->addr, NULL) || get_size(ld, obj, &o->size) ||
		       check_span(ld, "addr", &o->addr, o->size) ? -1 : 0;
	bool given;
	if (get_addr(ld, obj, "addr", &o->addr, NULL) || get_size(ld, obj, &o->size) ||
	    check_span(ld, "addr", &o->addr, o->size) ||
	    get_u64(ld, obj, vkey, false, &o->value, &given))
		return -1;
	if (!given)
		return 0;
	if (o->size < 8 && (o->value >> (8 * o->size)) != 0)
		return fail(ld, vkey, "%" PRIu64 " (0x%" PRIx64 ") does not fit in %u byte%s",
			    o->value, o->value, o->size, o->size > 1 ? "s" : "");
	o->flags = o->kind == OP_READ ? OPF_EXPECT : OPF_VALUE;
	return 0;
}

/* "write": the fraction of accesses that write, 0..1 -> wthresh. */
static int get_write_fraction(struct ld *ld, const cJSON *obj, uint64_t *wthresh)
{
	const cJSON *v = field(obj, "write");
	*wthresh = 0;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1))
		return fail(ld, "write", "expected a number from 0 to 1 (the fraction of "
			    "accesses that write)");
	*wthresh = (uint64_t)(v->valuedouble * TWO_POW_53);
	return 0;
}

/* seq, stride, random. */
static int op_pattern(struct ld *ld, const cJSON *obj, struct op *o)
{
	bool given;
	if (get_addr(ld, obj, "base", &o->addr, NULL) || get_length(ld, obj, &o->len) ||
	    check_span(ld, "base", &o->addr, o->len) || get_size(ld, obj, &o->size))
		return -1;
	if (o->size > o->len)
		return fail(ld, "size", "must not exceed length (%" PRIu64 ")", o->len);
	if (get_write_fraction(ld, obj, &o->wthresh))
		return -1;
	const cJSON *kind = field(obj, "kind");
	if (kind && (!cJSON_IsString(kind) || (strcmp(kind->valuestring, "data") &&
					       strcmp(kind->valuestring, "fetch"))))
		return fail(ld, "kind", "expected \"data\" or \"fetch\"");
	if (kind && strcmp(kind->valuestring, "fetch") == 0) {
		if (o->wthresh)
			return fail(ld, "write", "instruction fetches do not write");
		o->flags |= OPF_FETCH;
	}
	bool check = false;
	if (get_bool(ld, obj, "check", &check))
		return -1;
	if (check && (o->size != 8 || (o->flags & OPF_FETCH)))
		return fail(ld, "check", "checked accesses are 8-byte data accesses (\"size\": 8)");
	o->value = check;
	uint64_t step = o->size;
	if (o->kind == OP_STRIDE) {
		if (get_u64(ld, obj, "stride", true, &o->stride, NULL))
			return -1;
		if (o->stride == 0 || o->stride >= o->len)
			return fail(ld, "stride", "must be greater than 0 and less than "
				    "length (%" PRIu64 ")", o->len);
		step = o->stride;
	}
	if (o->kind == OP_RANDOM) {
		if (get_u64(ld, obj, "seed", false, &o->seed, &given))
			return -1;
		o->flags |= given ? OPF_SEEDED : 0;
		return get_count(ld, obj, "count", &o->count, NULL);
	}
	if (get_count(ld, obj, "count", &o->count, &given))
		return -1;
	if (!given && (o->count = o->len / step) > TRACE_MAX_COUNT)
		return fail(ld, NULL, "the default count (%" PRIu64 " = length / %s) is "
			    "above 10^12; give a \"count\"", o->count,
			    o->kind == OP_STRIDE ? "stride" : "size");
	return 0;
}

/* "cpu": 0..63, or -1 / absent for any core. */
static int get_cpu(struct ld *ld, const cJSON *obj, int32_t *cpu)
{
	const cJSON *v = field(obj, "cpu");
	uint64_t c = UINT64_MAX;
	*cpu = -1;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v))
		return fail(ld, "cpu", "expected a number (0 to %d, or -1 for any core)",
			    TRACE_MAX_CPU);
	if (v->valuedouble == -1)
		return 0;
	if (v->valuedouble >= 0 && get_u64(ld, obj, "cpu", false, &c, NULL))
		return -1;   /* not a whole number */
	if (c > TRACE_MAX_CPU)
		return fail(ld, "cpu", "must be 0 to %d, or -1 for any core", TRACE_MAX_CPU);
	*cpu = (int32_t)c;
	return 0;
}

/* spawn/join: "thread" is the index of another thread of this process. */
static int op_thread_ref(struct ld *ld, const cJSON *obj, struct op *o)
{
	uint64_t k;
	if (get_u64(ld, obj, "thread", false, &k, NULL))
		return -1;
	if (k >= ld->proc->nthreads)
		return fail(ld, "thread", "%" PRIu64 " is not a thread of this process "
			    "(it has %u)", k, ld->proc->nthreads);
	if (k == ld->thread)
		return fail(ld, "thread", "a thread cannot %s itself",
			    o->kind == OP_SPAWN ? "spawn" : "join");
	o->other = (uint32_t)k;
	return 0;
}

/* fork: "child" names a process of the trace (by its "name", or p<index>
 * when it has none); that its "forked_from" is this process is checked once
 * every process is loaded (check_forks()). */
static int op_fork(struct ld *ld, const cJSON *obj, struct op *o)
{
	const cJSON *v = field(obj, "child");
	if (!v)
		return fail(ld, NULL, "\"child\" is required");
	if (!cJSON_IsString(v))
		return fail(ld, "child", "expected the name of a process");
	const cJSON *pj;
	uint32_t i = 0;
	cJSON_ArrayForEach(pj, ld->procs_json) {
		const cJSON *n = cJSON_IsObject(pj) ? field(pj, "name") : NULL;
		char dflt[16];
		snprintf(dflt, sizeof dflt, "p%u", (unsigned)i);
		const char *name = n && cJSON_IsString(n) ? n->valuestring : dflt;
		if (strcmp(name, v->valuestring) == 0) {
			if (i == ld->proc_index)
				return fail(ld, "child", "a process cannot fork itself as its child");
			o->other = i;
			return 0;
		}
		i++;
	}
	return fail(ld, "child", "no process is named \"%s\"", v->valuestring);
}

static int op_migrate(struct ld *ld, const cJSON *obj, struct op *o)
{
	int32_t cpu;
	if (!field(obj, "cpu"))
		return fail(ld, NULL, "\"cpu\" is required");
	if (get_cpu(ld, obj, &cpu))
		return -1;
	if (cpu < 0)
		return fail(ld, "cpu", "must name a core (0 to %d)", TRACE_MAX_CPU);
	o->other = (uint32_t)cpu;
	return 0;
}

/* replay: a recorded stream, opened once here to check it exists and has a
 * known format (the run opens it again). */
static int op_replay(struct ld *ld, const cJSON *obj, struct op *o)
{
	const cJSON *v = field(obj, "path");
	if (!v)
		return fail(ld, NULL, "\"path\" is required");
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return fail(ld, "path", "expected a file name");
	enum rtrace_format fmt = RT_AUTO;
	const cJSON *f = field(obj, "format");
	if (f && (!cJSON_IsString(f) || rtrace_format_parse(f->valuestring, &fmt)))
		return fail(ld, "format", "expected \"auto\", \"lackey\", \"champsim\" or "
			    "\"mmsim\"");
	const cJSON *l = field(obj, "layout");
	o->flags = OPF_AUTOMAP;
	if (l && (!cJSON_IsString(l) || (strcmp(l->valuestring, "auto") &&
					 strcmp(l->valuestring, "explicit"))))
		return fail(ld, "layout", "expected \"auto\" (map touched pages on demand) "
			    "or \"explicit\" (the trace's own mmaps)");
	if (l && strcmp(l->valuestring, "explicit") == 0)
		o->flags = 0;
	bool given;
	o->count = 0;
	if (get_count(ld, obj, "limit", &o->count, &given))
		return -1;
	/* the path is relative to the trace file's folder */
	const char *slash = strrchr(ld->file, '/');
	int dir = v->valuestring[0] == '/' || !slash ? 0 : (int)(slash - ld->file + 1);
	size_t n = (size_t)dir + strlen(v->valuestring) + 1;
	char *full = malloc(n);
	char **paths = realloc(ld->trace->paths, (ld->trace->npaths + 1) * sizeof(*paths));
	if (!full || !paths) {
		free(full);
		return fail(ld, NULL, "out of memory");
	}
	snprintf(full, n, "%.*s%s", dir, ld->file, v->valuestring);
	ld->trace->paths = paths;
	paths[ld->trace->npaths] = full;
	o->other = ld->trace->npaths++;
	o->prot = (uint8_t)fmt;
	char why[MMSIM_ERR_LEN];
	struct rtrace *rt = rtrace_open(full, fmt, why);
	if (!rt)
		return fail(ld, "path", "%s", why);
	rtrace_close(rt);
	return 0;
}

static int op_compute(struct ld *ld, const cJSON *obj, struct op *o)
{
	return get_count(ld, obj, "cycles", &o->count, NULL);
}

/* ---- kernel allocator ops ----------------------------------------------- */

/* obj[key] as a kernel name (as a region name: letters, digits, '_', '-')
 * in the trace-wide list *list: added when `define`, else it must be there
 * already (defined by an allocation earlier in the file). */
static int kname(struct ld *ld, const cJSON *obj, const char *key, char (**list)[32],
		 uint32_t *n, bool define, const char *what, int32_t *out)
{
	const cJSON *v = field(obj, key);
	if (!v)
		return fail(ld, NULL, "\"%s\" is required", key);
	const char *s = cJSON_IsString(v) ? v->valuestring : "";
	bool ok = strlen(s) >= 1 && strlen(s) <= TRACE_NAME_MAX &&
		  (isalpha((unsigned char)s[0]) || s[0] == '_');
	for (const char *c = s; ok && *c; c++)
		ok = isalnum((unsigned char)*c) || *c == '_' || *c == '-';
	if (!ok)
		return fail(ld, key, "expected a name (1 to 31 letters, digits, '_' or '-', "
			    "starting with a letter or '_')");
	for (uint32_t i = 0; i < *n; i++) {
		if (strcmp((*list)[i], s) == 0) {
			*out = (int32_t)i;
			return 0;
		}
	}
	if (!define)
		return fail(ld, key, "unknown %s \"%s\" (no allocation earlier in the trace "
			    "names it)", what, s);
	char (*l)[32] = realloc(*list, (*n + 1) * sizeof *l);
	if (!l)
		return fail(ld, NULL, "out of memory");
	*list = l;
	snprintf(l[*n], sizeof l[0], "%s", s);
	*out = (int32_t)(*n)++;
	return 0;
}

static int kcache_ref(struct ld *ld, const cJSON *obj, struct op *o)
{
	int32_t i;
	if (kname(ld, obj, "cache", &ld->trace->kcaches, &ld->trace->nkcaches, true, "cache", &i))
		return -1;
	o->other = (uint32_t)i;
	return 0;
}

static int kobj_def(struct ld *ld, const cJSON *obj, struct op *o)
{
	return kname(ld, obj, "name", &ld->trace->kobjs, &ld->trace->nkobjs, true, "object",
		     &o->region);
}

static int kobj_use(struct ld *ld, const cJSON *obj, struct op *o)
{
	return kname(ld, obj, "obj", &ld->trace->kobjs, &ld->trace->nkobjs, false,
		     "kernel object", &o->region);
}

/* "count": objects, 1 .. 10^7 (default 1). */
static int get_kcount(struct ld *ld, const cJSON *obj, uint64_t def, struct op *o)
{
	bool given;
	o->count = def;
	if (get_u64(ld, obj, "count", false, &o->count, &given))
		return -1;
	if (given && (o->count == 0 || o->count > 10000000))
		return fail(ld, "count", "must be 1 to 10^7");
	return 0;
}

/* "size": bytes of an allocation, 1 .. 1G. */
static int get_ksize(struct ld *ld, const cJSON *obj, uint64_t *out)
{
	if (get_u64(ld, obj, "size", true, out, NULL))
		return -1;
	if (*out == 0 || *out > (1ull << 30))
		return fail(ld, "size", "must be 1 byte to 1G");
	return 0;
}

static int op_kcache_create(struct ld *ld, const cJSON *obj, struct op *o)
{
	bool hw = false, rec = false, ctor = false, given;
	o->stride = 0;
	if (kcache_ref(ld, obj, o) || get_ksize(ld, obj, &o->len) ||
	    get_u64(ld, obj, "align", false, &o->stride, &given) ||
	    get_bool(ld, obj, "hwcache_align", &hw) || get_bool(ld, obj, "reclaimable", &rec))
		return -1;
	const cJSON *cb = field(obj, "ctor");
	if (cb && cJSON_IsBool(cb))
		ctor = cJSON_IsTrue(cb);
	if (o->len > 65536)
		return fail(ld, "size", "must be at most 64K for a cache");
	if (given && (!o->stride || (o->stride & (o->stride - 1)) || o->stride > 4096))
		return fail(ld, "align", "must be a power of two up to 4096");
	const cJSON *cv = field(obj, "ctor");  /* true, or the value it stores */
	if (cv && !cJSON_IsBool(cv)) {
		ctor = true;
		if (get_u64(ld, obj, "ctor", false, &o->count, &given))
			return -1;
	}
	o->value = (hw ? 0x10u : 0) | (rec ? 0x20u : 0) | (ctor ? 0x40u : 0);
	const cJSON *d = field(obj, "debug");
	if (d) {
		const char *c = cJSON_IsString(d) ? d->valuestring : "?";
		for (; *c; c++) {
			const char *l = strchr("FZPU", *c);
			if (!l)
				return fail(ld, "debug", "expected letters of F, Z, P, U (slub_debug)");
			o->value |= 1u << (l - "FZPU");   /* SLAB_CONSISTENCY_CHECKS ... */
		}
	}
	return 0;
}

static int op_kalloc(struct ld *ld, const cJSON *obj, struct op *o, const char *name)
{
	bool zero = false;
	switch (o->kind) {
	case OP_KMEM_CACHE_ALLOC:
		if (kcache_ref(ld, obj, o) || kobj_def(ld, obj, o) || get_kcount(ld, obj, 1, o) ||
		    get_bool(ld, obj, "zero", &zero))
			return -1;
		break;
	case OP_KMALLOC:
		if (kobj_def(ld, obj, o) || get_ksize(ld, obj, &o->len) ||
		    get_kcount(ld, obj, 1, o))
			return -1;
		zero = strcmp(name, "kzalloc") == 0;
		break;
	default:   /* vmalloc, vzalloc, kvmalloc */
		if (kobj_def(ld, obj, o) || get_ksize(ld, obj, &o->len))
			return -1;
		o->count = 1;
		zero = strcmp(name, "vzalloc") == 0;
		o->prot = strcmp(name, "kvmalloc") == 0;
		break;
	}
	o->flags = zero ? OPF_ZERO : 0;
	return 0;
}

static int op_kfree(struct ld *ld, const cJSON *obj, struct op *o, const char *name)
{
	bool given;
	o->other = UINT32_MAX;
	if (strcmp(name, "kmem_cache_free") == 0 && kcache_ref(ld, obj, o))
		return -1;
	o->prot = strcmp(name, "vfree") == 0 ? 1 : strcmp(name, "kvfree") == 0 ? 2 : 0;
	if (kobj_use(ld, obj, o) || get_u64(ld, obj, "index", false, &o->addr.off, &given))
		return -1;
	if (given && field(obj, "count"))
		return fail(ld, "count", "give \"index\" (one object) or \"count\", not both");
	o->flags = given ? OPF_INDEX : 0;
	if (get_kcount(ld, obj, 0, o))
		return -1;
	return 0;
}

/* kread (value key "expect") or kwrite ("value"): object index, offset. */
#define TRACE_MAX_NODES 8   /* MAX_NUMNODES */
/* enum mpol_mode, by name */
static const char *const mpol_names[MPOL_MAX] = {
	"default", "preferred", "bind", "interleave", "local",
};

/* "node": a NUMA node number (0..7), default UINT32_MAX (any / every). */
static int get_node(struct ld *ld, const cJSON *obj, uint32_t *out)
{
	bool given;
	uint64_t n = 0;
	*out = UINT32_MAX;
	if (get_u64(ld, obj, "node", false, &n, &given))
		return -1;
	if (given && n >= TRACE_MAX_NODES)
		return fail(ld, "node", "must be a node number 0 to %d", TRACE_MAX_NODES - 1);
	if (given)
		*out = (uint32_t)n;
	return 0;
}

/* "gfp": a GFP name ("GFP_KERNEL"), names joined by '|', or a list of
 * names; default GFP_KERNEL. */
static int get_gfp(struct ld *ld, const cJSON *obj, uint64_t *out)
{
	const cJSON *v = field(obj, "gfp");
	*out = GFP_KERNEL;
	if (!v)
		return 0;
	const cJSON *item = cJSON_IsArray(v) ? v->child : v;
	if (!item || (!cJSON_IsString(item) && !cJSON_IsArray(v)))
		return fail(ld, "gfp", "expected a GFP flag name such as \"GFP_KERNEL\" or a "
			    "list of names");
	*out = 0;
	for (; item; item = cJSON_IsArray(v) ? item->next : NULL) {
		if (!cJSON_IsString(item))
			return fail(ld, "gfp", "expected flag names (strings)");
		char buf[256];
		snprintf(buf, sizeof buf, "%s", item->valuestring);
		for (char *save = NULL, *tok = strtok_r(buf, "| ", &save); tok;
		     tok = strtok_r(NULL, "| ", &save)) {
			size_t i = 0;
			while (i < ARRAY_SIZE(gfp_names) && strcmp(gfp_names[i].name, tok))
				i++;
			if (i == ARRAY_SIZE(gfp_names))
				return fail(ld, "gfp", "unknown GFP flag \"%s\" (GFP_KERNEL, "
					    "GFP_ATOMIC, GFP_HIGHUSER_MOVABLE, __GFP_ZERO, ... as "
					    "docs/phys-mm.md lists)", tok);
			*out |= gfp_names[i].flags;
		}
	}
	return 0;
}

static int op_alloc_pages(struct ld *ld, const cJSON *obj, struct op *o)
{
	bool given;
	o->count = 0;
	if (kobj_def(ld, obj, o) || get_u64(ld, obj, "order", false, &o->count, &given) ||
	    get_gfp(ld, obj, &o->value) || get_node(ld, obj, &o->other))
		return -1;
	if (o->count >= 20)
		return fail(ld, "order", "must be 0 to 19");
	return 0;
}

/* cma_alloc: "name", "count" frames (needed), "align" order (0). */
static int op_cma_alloc(struct ld *ld, const cJSON *obj, struct op *o)
{
	bool given;
	uint64_t align = 0;
	o->count = 0;
	if (kobj_def(ld, obj, o) || get_u64(ld, obj, "count", false, &o->count, &given) ||
	    get_u64(ld, obj, "align", false, &align, &given))
		return -1;
	if (o->count == 0 || o->count > (1ull << 32))
		return fail(ld, "count", "must be 1 to 2^32 frames");
	if (align >= 20)
		return fail(ld, "align", "must be an order, 0 to 19");
	o->prot = (uint8_t)align;
	return 0;
}

/* "mode" (default, local, preferred, bind, interleave) and "nodes" (a list
 * of node numbers, needed by all but default and local). */
static int get_mempolicy(struct ld *ld, const cJSON *obj, struct op *o)
{
	const cJSON *m = field(obj, "mode"), *n = field(obj, "nodes"), *e;
	int mode = -1;
	for (int i = 0; i < MPOL_MAX && cJSON_IsString(m); i++)
		if (!strcmp(m->valuestring, mpol_names[i]))
			mode = i;
	if (mode < 0)
		return fail(ld, "mode", "expected one of \"default\", \"local\", "
			    "\"preferred\", \"bind\", \"interleave\"");
	o->prot = (uint8_t)mode;
	o->value = 0;
	if (n && !cJSON_IsArray(n))
		return fail(ld, "nodes", "expected a list of node numbers such as [0, 1]");
	cJSON_ArrayForEach(e, n) {
		if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble >= TRACE_MAX_NODES ||
		    e->valuedouble != (int)e->valuedouble)
			return fail(ld, "nodes", "node numbers are 0 to %d", TRACE_MAX_NODES - 1);
		o->value |= 1ull << (int)e->valuedouble;
	}
	if (!o->value && mode != MPOL_DEFAULT && mode != MPOL_LOCAL)
		return fail(ld, "nodes", "mode \"%s\" needs a non-empty list of nodes",
			    mpol_names[mode]);
	return 0;
}

static int op_kaccess(struct ld *ld, const cJSON *obj, struct op *o)
{
	const char *vkey = o->kind == OP_KREAD ? "expect" : "value";
	bool given;
	o->stride = 0;
	o->addr.off = 0;
	if (kobj_use(ld, obj, o) || get_u64(ld, obj, "index", false, &o->stride, &given) ||
	    get_u64(ld, obj, "offset", true, &o->addr.off, &given) || get_size(ld, obj, &o->size) ||
	    get_u64(ld, obj, vkey, false, &o->value, &given))
		return -1;
	if (o->addr.off > (1ull << 30))
		return fail(ld, "offset", "must be at most 1G");
	if (!given)
		return 0;
	if (o->size < 8 && (o->value >> (8 * o->size)) != 0)
		return fail(ld, vkey, "%" PRIu64 " (0x%" PRIx64 ") does not fit in %u byte%s",
			    o->value, o->value, o->size, o->size > 1 ? "s" : "");
	o->flags = o->kind == OP_KREAD ? OPF_EXPECT : OPF_VALUE;
	return 0;
}

static int emit(struct ld *ld, const struct op *o, uint32_t *idx)
{
	if (ld->nops == ld->cap) {
		if (ld->cap >= UINT32_MAX / 2)
			return fail(ld, NULL, "too many ops in one thread");
		uint32_t cap = ld->cap ? 2 * ld->cap : 16;
		struct op *ops = realloc(ld->ops, cap * sizeof *ops);
		if (!ops)
			return fail(ld, NULL, "out of memory");
		ld->ops = ops;
		ld->cap = cap;
	}
	if (idx)
		*idx = ld->nops;
	ld->ops[ld->nops++] = *o;
	return 0;
}

static int compile_ops(struct ld *ld, const cJSON *parent, int depth);

/* REPEAT, the body, END; each names the other's index. */
static int op_repeat(struct ld *ld, const cJSON *obj, struct op *o, int depth)
{
	uint32_t rep, end;
	if (depth >= TRACE_MAX_DEPTH)
		return fail(ld, NULL, "repeats nested more than %d deep", TRACE_MAX_DEPTH);
	if (get_count(ld, obj, "count", &o->count, NULL) || emit(ld, o, &rep) ||
	    compile_ops(ld, obj, depth + 1))
		return -1;
	struct op e = { .kind = OP_END, .region = -1, .other = rep, .addr.region = -1 };
	if (emit(ld, &e, &end))
		return -1;
	ld->ops[rep].other = end;
	return 0;
}

static int unknown_op(struct ld *ld, const char *name)
{
	const char *names[ARRAY_SIZE(op_specs)];
	for (size_t i = 0; i < ARRAY_SIZE(op_specs); i++)
		names[i] = op_specs[i].name;
	const char *hint = json_suggest(name, names, ARRAY_SIZE(names));
	if (hint)
		return fail(ld, "op", "unknown op \"%s\"; did you mean \"%s\"?", name, hint);
	return fail(ld, "op", "unknown op \"%s\" (one of mmap, munmap, mprotect, read, write, "
		    "fetch, seq, stride, random, repeat, compute, spawn, join, barrier, yield, "
		    "sleep, migrate, replay, exit)", name);
}

/* One op object; depth = number of repeats around it. */
static int compile_op(struct ld *ld, const cJSON *obj, int depth)
{
	if (!cJSON_IsObject(obj))
		return fail(ld, NULL, "expected an op object such as {\"op\": \"read\", ...}");
	const cJSON *kind = field(obj, "op");
	if (!kind)
		return fail(ld, NULL, "\"op\" is required");
	if (!cJSON_IsString(kind))
		return fail(ld, "op", "expected a string");
	const struct op_spec *spec = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(op_specs) && !spec; i++)
		if (strcmp(kind->valuestring, op_specs[i].name) == 0)
			spec = &op_specs[i];
	if (!spec)
		return unknown_op(ld, kind->valuestring);
	if ((spec->kind == OP_READ || spec->kind == OP_WRITE) && field(obj, "file")) {
		enum op_kind fk = spec->kind == OP_READ ? OP_FILE_READ : OP_FILE_WRITE;
		for (size_t i = 0; i < ARRAY_SIZE(op_specs); i++)
			if (op_specs[i].kind == fk)
				spec = &op_specs[i];
	}
	if (check_keys(ld, obj, spec->keys, spec->nkeys))
		return -1;

	struct op o = { .kind = (uint8_t)spec->kind, .region = -1, .addr.region = -1 };
	int rc = 0;
	switch (spec->kind) {
	case OP_MMAP:    rc = op_mmap(ld, obj, &o); break;
	case OP_MUNMAP:  rc = op_munmap(ld, obj, &o); break;
	case OP_MREMAP:  rc = op_mremap(ld, obj, &o); break;
	case OP_MPROTECT:
		if (!field(obj, "prot"))
			return fail(ld, NULL, "\"prot\" is required");
		rc = op_munmap(ld, obj, &o) || get_prot(ld, obj, &o.prot) ? -1 : 0;
		break;
	case OP_READ:
	case OP_FETCH:
	case OP_WRITE:   rc = op_access(ld, obj, &o); break;
	case OP_SEQ:
	case OP_STRIDE:
	case OP_RANDOM:  rc = op_pattern(ld, obj, &o); break;
	case OP_REPEAT:  return op_repeat(ld, obj, &o, depth);
	case OP_COMPUTE:
	case OP_SLEEP:   rc = op_compute(ld, obj, &o); break;
	case OP_SPAWN:
	case OP_JOIN:    rc = op_thread_ref(ld, obj, &o); break;
	case OP_MIGRATE: rc = op_migrate(ld, obj, &o); break;
	case OP_REPLAY:  rc = op_replay(ld, obj, &o); break;
	case OP_BARRIER:
	case OP_YIELD:   break;
	case OP_EXIT:    break;
	case OP_FORK:    rc = op_fork(ld, obj, &o); break;
	case OP_EXEC:    break;
	case OP_BRK:     rc = op_brk(ld, obj, &o); break;
	case OP_MADVISE: rc = op_madvise(ld, obj, &o); break;
	case OP_MLOCK:
		rc = op_munmap(ld, obj, &o);
		o.prot = strcmp(kind->valuestring, "munlock") == 0;
		break;
	case OP_SYSCTL:  rc = op_sysctl(ld, obj, &o); break;
	case OP_PROCFS:
		rc = get_choice(ld, obj, "file", procfs_names, ARRAY_SIZE(procfs_names), &o.other);
		break;
	case OP_DMA_MAP:
	case OP_DMA_UNMAP:
	case OP_DMA:
	case OP_DMA_SYNC:
	case OP_DMA_ALLOC:
	case OP_DMA_FREE: rc = op_dma(ld, obj, &o); break;
	case OP_KMEM_CACHE_CREATE: rc = op_kcache_create(ld, obj, &o); break;
	case OP_KMEM_CACHE_DESTROY:
	case OP_KMEM_CACHE_SHRINK: rc = kcache_ref(ld, obj, &o); break;
	case OP_KMEM_CACHE_ALLOC:
	case OP_KMALLOC:
	case OP_VMALLOC: rc = op_kalloc(ld, obj, &o, kind->valuestring); break;
	case OP_KFREE:   rc = op_kfree(ld, obj, &o, kind->valuestring); break;
	case OP_KREAD:
	case OP_KWRITE:  rc = op_kaccess(ld, obj, &o); break;
	case OP_ALLOC_PAGES: rc = op_alloc_pages(ld, obj, &o); break;
	case OP_FREE_PAGES:
	case OP_CMA_RELEASE:
		rc = kname(ld, obj, "name", &ld->trace->kobjs, &ld->trace->nkobjs, false,
			   "page block", &o.region);
		break;
	case OP_CMA_ALLOC: rc = op_cma_alloc(ld, obj, &o); break;
	case OP_COMPACT: rc = get_node(ld, obj, &o.other); break;
	case OP_DROP_CACHES: {
		bool given_dc;
		o.count = 3;
		rc = get_u64(ld, obj, "value", false, &o.count, &given_dc);
		if (!rc && (o.count < 1 || o.count > 3))
			rc = fail(ld, "value", "must be 1, 2 or 3 (as /proc/sys/vm/drop_caches)");
		break;
	}
	case OP_SNAPSHOT: rc = kobj_def(ld, obj, &o); break;
	case OP_SET_MEMPOLICY: rc = get_mempolicy(ld, obj, &o); break;
	case OP_MBIND:
		rc = op_munmap(ld, obj, &o) || get_mempolicy(ld, obj, &o) ? -1 : 0;
		break;
	case OP_FILE_READ:
	case OP_FILE_WRITE:
	case OP_FSYNC:
	case OP_FADVISE: rc = op_file(ld, obj, &o); break;
	case OP_END:     assert(0); break;
	}
	return rc ? rc : emit(ld, &o, NULL);
}

/* parent["ops"], an array of ops. */
static int compile_ops(struct ld *ld, const cJSON *parent, int depth)
{
	const cJSON *ops = field(parent, "ops");
	if (!ops)
		return fail(ld, NULL, "\"ops\" is required");
	if (!cJSON_IsArray(ops))
		return fail(ld, "ops", "expected an array of ops");
	const cJSON *o;
	unsigned i = 0;
	cJSON_ArrayForEach(o, ops) {
		size_t old = place_push(ld, ".ops[%u]", i++);
		int rc = compile_op(ld, o, depth);
		place_pop(ld, old);
		if (rc)
			return -1;
	}
	return 0;
}

/* Pass 1 over parent["ops"]: add the regions named mmaps define. Malformed
 * ops are skipped here and reported by compile_ops(). */
static int collect_regions(struct ld *ld, const cJSON *parent, int depth)
{
	const cJSON *ops = field(parent, "ops"), *o;
	unsigned i = 0;
	if (!cJSON_IsArray(ops) || depth > TRACE_MAX_DEPTH)
		return 0;
	cJSON_ArrayForEach(o, ops) {
		const cJSON *kind = field(o, "op");
		size_t old = place_push(ld, ".ops[%u]", i++);
		int rc = 0;
		if (cJSON_IsString(kind) && strcmp(kind->valuestring, "mmap") == 0)
			rc = region_add(ld, o);
		else if (cJSON_IsString(kind) && strcmp(kind->valuestring, "repeat") == 0)
			rc = collect_regions(ld, o, depth + 1);
		place_pop(ld, old);
		if (rc)
			return -1;
	}
	return 0;
}

/* ---- threads, processes, the file ------------------------------------- */

static const char *const k_thread[] = { "cpu", "spawned", "ops" };
static const char *const k_proc[] = { "name", "forked_from", "layout", "oom_score_adj",
				      "threads" };
static const char *const k_top[] = { "name", "description", "processes", "devices", "files" };

static int load_thread(struct ld *ld, const cJSON *obj, struct trace_thread *th)
{
	if (!cJSON_IsObject(obj))
		return fail(ld, NULL, "expected a thread object such as {\"ops\": [...]}");
	if (check_keys(ld, obj, k_thread, ARRAY_SIZE(k_thread)))
		return -1;
	if (get_cpu(ld, obj, &th->cpu))
		return -1;
	const cJSON *sp = field(obj, "spawned");
	if (sp && !cJSON_IsBool(sp))
		return fail(ld, "spawned", "expected true or false");
	th->spawned = sp && cJSON_IsTrue(sp);
	ld->ops = NULL;
	ld->nops = ld->cap = 0;
	int rc = compile_ops(ld, obj, 0);
	th->ops = ld->ops;   /* freed by trace_free() on error too */
	th->nops = ld->nops;
	return rc;
}

/* An array member with 1..max entries. */
static int get_array(struct ld *ld, const cJSON *obj, const char *key, const char *what,
		     int max, const cJSON **out)
{
	*out = field(obj, key);
	if (!*out)
		return fail(ld, NULL, "\"%s\" is required", key);
	if (!cJSON_IsArray(*out))
		return fail(ld, key, "expected an array of %s", what);
	int n = cJSON_GetArraySize(*out);
	if (n < 1 || n > max)
		return fail(ld, key, "must have 1 to %d %s", max, what);
	return 0;
}

static int proc_name(struct ld *ld, const cJSON *obj, const struct trace *t, uint32_t idx)
{
	struct trace_proc *p = &t->procs[idx];
	const char *name;
	if (get_name(ld, obj, &name))
		return -1;
	if (name)
		snprintf(p->name, sizeof p->name, "%s", name);
	else
		snprintf(p->name, sizeof p->name, "p%u", (unsigned)idx);
	for (uint32_t i = 0; i < idx; i++) {
		if (strcmp(t->procs[i].name, p->name) != 0)
			continue;
		if (name)
			return fail(ld, "name", "\"%s\" is already the name of processes[%u]",
				    name, (unsigned)i);
		return fail(ld, NULL, "the default name \"%s\" is already the name of "
			    "processes[%u]; give this one a \"name\"", p->name, (unsigned)i);
	}
	return 0;
}

/* Every spawn names a "spawned" thread, and every "spawned" thread is
 * named by some spawn (else it could never run). */
static int check_spawns(struct ld *ld, const struct trace_proc *p)
{
	bool *named = calloc(p->nthreads, sizeof(*named));
	if (!named)
		return fail(ld, NULL, "out of memory");
	int rc = 0;
	for (uint32_t i = 0; i < p->nthreads && !rc; i++) {
		for (uint32_t k = 0; k < p->threads[i].nops && !rc; k++) {
			const struct op *o = &p->threads[i].ops[k];
			if (o->kind != OP_SPAWN)
				continue;
			if (!p->threads[o->other].spawned) {
				size_t old = place_push(ld, ".threads[%u].ops[%u]", i, k);
				rc = fail(ld, NULL, "spawns thread %u, which is not \"spawned\": "
					  "true (it starts on its own)", o->other);
				place_pop(ld, old);
			}
			named[o->other] = true;
		}
	}
	for (uint32_t i = 0; i < p->nthreads && !rc; i++) {
		if (!p->threads[i].spawned || named[i])
			continue;
		size_t old = place_push(ld, ".threads[%u]", i);
		rc = fail(ld, NULL, "is \"spawned\": true but no spawn op starts it");
		place_pop(ld, old);
	}
	free(named);
	return rc;
}

/* "forked_from": the parent, an earlier process; the child starts with
 * the parent's region names (and, at the fork, their addresses). */
static int forked_from(struct ld *ld, const cJSON *obj, struct trace *t, uint32_t idx)
{
	struct trace_proc *p = &t->procs[idx];
	const cJSON *v = field(obj, "forked_from");
	p->parent = -1;
	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return fail(ld, "forked_from", "expected the name of an earlier process");
	for (uint32_t i = 0; i < idx; i++) {
		const struct trace_proc *pp = &t->procs[i];
		if (strcmp(pp->name, v->valuestring) != 0)
			continue;
		p->parent = (int32_t)i;
		if (pp->nregions) {
			p->regions = malloc(pp->nregions * sizeof *p->regions);
			if (!p->regions)
				return fail(ld, NULL, "out of memory");
			memcpy(p->regions, pp->regions, pp->nregions * sizeof *p->regions);
			p->nregions = ld->rcap = pp->nregions;
		}
		return 0;
	}
	return fail(ld, "forked_from", "\"%s\" is not the name of an earlier process "
		    "(a forked process is listed after its parent)", v->valuestring);
}

/* "oom_score_adj": an integer -1000..1000 (proc/PID/oom_score_adj). */
static int get_oom_score_adj(struct ld *ld, const cJSON *obj, struct trace_proc *p)
{
	const cJSON *v = field(obj, "oom_score_adj");
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble ||
	    v->valuedouble < -1000 || v->valuedouble > 1000)
		return fail(ld, "oom_score_adj", "expected an integer from -1000 to 1000");
	p->has_oom_score_adj = true;
	p->oom_score_adj = (int16_t)v->valueint;
	return 0;
}

/* "layout": "standard" or "randomized" (docs/vm.md); the layout's parts
 * become the process's first regions. A forked child has its parent's. */
static int get_layout(struct ld *ld, const cJSON *obj, struct trace_proc *p)
{
	static const char *const names[] = { "none", "standard", "randomized" };
	static const char *const parts[] = { "text", "data", "heap", "stack" };
	uint32_t l = LAYOUT_NONE;
	if (!field(obj, "layout"))
		return 0;
	if (p->parent >= 0)
		return fail(ld, "layout", "a forked process has its parent's layout");
	if (get_choice(ld, obj, "layout", names, ARRAY_SIZE(names), &l))
		return -1;
	p->layout = (uint8_t)l;
	for (size_t i = 0; l != LAYOUT_NONE && i < ARRAY_SIZE(parts); i++)
		if (region_add_name(ld, parts[i]))
			return -1;
	return 0;
}

/* Every fork names a process forked from the forking one, and every forked
 * process is named by exactly one fork. */
static int check_forks(struct ld *ld, const struct trace *t)
{
	uint32_t *named = calloc(t->nprocs, sizeof(*named));
	if (!named)
		return fail(ld, NULL, "out of memory");
	int rc = 0;
	for (uint32_t p = 0; p < t->nprocs && !rc; p++) {
		const struct trace_proc *tp = &t->procs[p];
		for (uint32_t i = 0; i < tp->nthreads && !rc; i++) {
			for (uint32_t k = 0; k < tp->threads[i].nops && !rc; k++) {
				const struct op *o = &tp->threads[i].ops[k];
				if (o->kind != OP_FORK)
					continue;
				size_t old = place_push(ld, "processes[%u].threads[%u].ops[%u]", p, i, k);
				if (t->procs[o->other].parent != (int32_t)p)
					rc = fail(ld, "child", "process \"%s\" is not \"forked_from\": "
						  "\"%s\"", t->procs[o->other].name, tp->name);
				else if (named[o->other]++)
					rc = fail(ld, "child", "process \"%s\" is forked twice",
						  t->procs[o->other].name);
				place_pop(ld, old);
			}
		}
	}
	for (uint32_t p = 0; p < t->nprocs && !rc; p++) {
		if (t->procs[p].parent < 0 || named[p])
			continue;
		size_t old = place_push(ld, "processes[%u]", p);
		rc = fail(ld, "forked_from", "no fork op of \"%s\" starts this process",
			  t->procs[t->procs[p].parent].name);
		place_pop(ld, old);
	}
	free(named);
	return rc;
}

static int load_proc(struct ld *ld, const cJSON *obj, struct trace *t, uint32_t idx)
{
	struct trace_proc *p = &t->procs[idx];
	const cJSON *threads, *th;
	if (!cJSON_IsObject(obj))
		return fail(ld, NULL, "expected a process object such as {\"threads\": [...]}");
	if (check_keys(ld, obj, k_proc, ARRAY_SIZE(k_proc)) || proc_name(ld, obj, t, idx) ||
	    get_array(ld, obj, "threads", "threads", TRACE_MAX_THREADS, &threads))
		return -1;
	uint32_t n = (uint32_t)cJSON_GetArraySize(threads);
	p->threads = calloc(n, sizeof *p->threads);
	if (!p->threads)
		return fail(ld, NULL, "out of memory");
	p->nthreads = n;   /* only once the array exists: trace_free walks it */
	ld->proc = p;
	ld->proc_index = idx;
	ld->rcap = 0;
	if (forked_from(ld, obj, t, idx) || get_layout(ld, obj, p) ||
	    get_oom_score_adj(ld, obj, p))
		return -1;
	for (int pass = 1; pass <= 2; pass++) {
		uint32_t i = 0;
		cJSON_ArrayForEach(th, threads) {
			size_t old = place_push(ld, ".threads[%u]", (unsigned)i);
			ld->thread = i;
			int rc = pass == 1 ? collect_regions(ld, th, 0)
					   : load_thread(ld, th, &p->threads[i]);
			place_pop(ld, old);
			if (rc)
				return -1;
			i++;
		}
	}
	return check_spawns(ld, p);
}

static int load_root(struct ld *ld, const cJSON *root, struct trace *t)
{
	const cJSON *procs, *pj;
	if (!cJSON_IsObject(root))
		return fail(ld, NULL, "expected a JSON object at the top level");
	if (check_keys(ld, root, k_top, ARRAY_SIZE(k_top)))
		return -1;
	for (size_t i = 0; i < 2; i++) {
		const cJSON *v = field(root, k_top[i]);
		if (v && !cJSON_IsString(v))
			return fail(ld, k_top[i], "expected a string");
	}
	if (load_devices(ld, root, t) || load_files(ld, root, t))
		return -1;
	if (get_array(ld, root, "processes", "processes", TRACE_MAX_PROCS, &procs))
		return -1;
	t->nprocs = (uint32_t)cJSON_GetArraySize(procs);
	t->procs = calloc(t->nprocs, sizeof *t->procs);
	if (!t->procs) {
		t->nprocs = 0;
		return fail(ld, NULL, "out of memory");
	}
	uint32_t i = 0;
	ld->procs_json = procs;
	cJSON_ArrayForEach(pj, procs) {
		size_t old = place_push(ld, "processes[%u]", (unsigned)i);
		int rc = load_proc(ld, pj, t, i);
		place_pop(ld, old);
		if (rc)
			return -1;
		i++;
	}
	return check_forks(ld, t);
}

int trace_load(struct trace *t, const char *path, char *err)
{
	memset(t, 0, sizeof *t);
	cJSON *root = json_load_file(path, err);
	if (!root)
		return -1;
	struct ld ld = { .file = path, .err = err, .trace = t };
	int rc = load_root(&ld, root, t);
	if (rc == 0)
		rc = check_dma_handles(&ld, t);
	cJSON_Delete(root);
	if (rc) {
		trace_free(t);
		return -1;
	}
	/* the path is for reports; a longer one is cut, not refused */
	snprintf(t->path, sizeof t->path, "%.*s", (int)sizeof t->path - 1, path);
	return 0;
}

void trace_free(struct trace *t)
{
	for (uint32_t i = 0; i < t->nprocs; i++) {
		struct trace_proc *p = &t->procs[i];
		for (uint32_t j = 0; j < p->nthreads; j++)
			free(p->threads[j].ops);
		free(p->threads);
		free(p->regions);
	}
	free(t->devices);
	for (uint32_t i = 0; i < t->nfiles; i++)
		free(t->files[i].path);
	free(t->files);
	free(t->dma_handles);
	free(t->procs);
	for (uint32_t i = 0; i < t->npaths; i++)
		free(t->paths[i]);
	free(t->paths);
	free(t->kobjs);
	free(t->kcaches);
	memset(t, 0, sizeof *t);
}
