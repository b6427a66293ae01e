/* Tests of lib/config.c: defaults, the shipped configs, every kind of bad input
 * with its exact message, -s overrides, cross-key checks and the JSON dump.
 * Run from the project root (they read configs/ and docs/). */
#include <criterion/criterion.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/config.h"

/* Write text to a fresh /tmp file; its name goes to path (64 bytes). */
static void write_temp(const char *text, size_t len, char *path)
{
	strcpy(path, "/tmp/mmsim-cfg-XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0, "mkstemp failed");
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* Load text (as a file) over the defaults. */
static int load_text(const char *text, struct mmsim_cfg *cfg, char *path, char *err)
{
	cfg_defaults(cfg);
	write_temp(text, strlen(text), path);
	int rc = cfg_load(cfg, path, err);
	unlink(path);
	return rc;
}

/* Assert that text is rejected with exactly "TEMPFILE" + msg. */
static void expect_error(const char *text, const char *msg)
{
	struct mmsim_cfg cfg;
	char path[64], err[MMSIM_ERR_LEN], want[MMSIM_ERR_LEN];
	err[0] = '\0';
	cr_assert_eq(load_text(text, &cfg, path, err), -1, "accepted: %s", text);
	snprintf(want, sizeof(want), "%s%s", path, msg);
	cr_assert_str_eq(err, want);
}

/* Collect the dotted paths of every leaf of a JSON object into out. */
static void leaf_paths(const cJSON *obj, const char *prefix, char out[][128], size_t *n)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, obj) {
		char path[128];
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", m->string);
		if (cJSON_IsObject(m)) {
			leaf_paths(m, path, out, n);
		} else if (strcmp(path, "description") != 0) {
			cr_assert_lt(*n, 256);
			strcpy(out[(*n)++], path);
		}
	}
}

static cJSON *parse_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	cJSON *j = cJSON_Parse(buf);
	cr_assert_not_null(j, "%s does not parse", path);
	return j;
}

static cJSON *dump(const struct mmsim_cfg *cfg)
{
	char *text = cfg_to_json(cfg);
	cr_assert_not_null(text);
	cJSON *j = cJSON_Parse(text);
	free(text);
	cr_assert_not_null(j);
	return j;
}

/* --- defaults and the shipped configs ----------------------------------- */

Test(config, defaults_are_the_documented_machine)
{
	struct mmsim_cfg c;
	cfg_defaults(&c);
	cr_assert_str_eq(c.name, "default");
	cr_assert_eq(c.seed, 1);
	cr_assert_eq(c.cores, 4);
	cr_assert_eq(c.memory.size, 4ull << 30);
	cr_assert_eq(c.memory.dram_latency, 250);
	cr_assert_eq(c.tlb.l1d_4k.entries, 64);
	cr_assert_eq(c.tlb.l1d_4k.ways, 4);
	cr_assert_eq(c.tlb.l1d_4k.latency, 1);
	cr_assert_eq(c.mmu.ad_update, 20);
	cr_assert_eq(c.mmu.maxphyaddr, 46);
	cr_assert_eq(c.cpu.access, 0);
	cr_assert_eq(c.cpu.quantum, 3000000);
	cr_assert_eq(c.cpu.context_switch, 2000);
	cr_assert_eq(c.cpu.cr3_load, 200);
	cr_assert_eq(c.cpu.invlpg, 150);
	cr_assert_eq(c.ipi.send, 500);
	cr_assert_eq(c.ipi.latency, 1500);
	cr_assert_eq(c.ipi.handler, 1000);
	cr_assert_eq(c.kernel.max_order, 11);
	cr_assert_eq(c.kernel.flush_ceiling, 33);
	cr_assert_eq(c.kernel.cost.fault, 1000);
	cr_assert_eq(c.kernel.cost.syscall, 150);
	cr_assert_eq(c.kernel.cost.mmap, 800);
	cr_assert_eq(c.kernel.cost.munmap, 800);
	cr_assert_eq(c.kernel.cost.page_alloc, 150);
	cr_assert_eq(c.kernel.cost.page_free, 100);
	char err[MMSIM_ERR_LEN];
	cr_assert_eq(cfg_check(&c, "defaults", err), 0, "%s", err);
}

Test(config, default_json_equals_builtin_defaults)
{
	struct mmsim_cfg def, over_def, over_zero;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&def);

	cfg_defaults(&over_def);
	cr_assert_eq(cfg_load(&over_def, "configs/default.json", err), 0, "%s", err);
	cr_assert_eq(memcmp(&def, &over_def, sizeof(def)), 0);

	/* Over a zeroed struct it must set every field (no default is 0). */
	memset(&over_zero, 0, sizeof(over_zero));
	cr_assert_eq(cfg_load(&over_zero, "configs/default.json", err), 0, "%s", err);
	cr_assert_eq(memcmp(&def, &over_zero, sizeof(def)), 0);
}

Test(config, default_json_and_docs_name_every_key)
{
	struct mmsim_cfg def;
	cfg_defaults(&def);
	cJSON *all = dump(&def), *file = parse_file("configs/default.json");
	static char keys[256][128], listed[256][128];
	size_t nk = 0, nl = 0;
	leaf_paths(all, "", keys, &nk);
	leaf_paths(file, "", listed, &nl);
	cr_assert_gt(nk, 20);
	cr_assert_eq(nl, nk, "default.json lists %zu keys, the schema has %zu", nl, nk);
	for (size_t i = 0; i < nk; i++)
		cr_assert_str_eq(listed[i], keys[i], "default.json out of schema order");

	FILE *f = fopen("docs/config-format.md", "rb");
	cr_assert_not_null(f);
	static char doc[1 << 17];
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = '\0';
	for (size_t i = 0; i < nk; i++) {
		char cell[144];
		snprintf(cell, sizeof(cell), "| `%.127s` |", keys[i]);
		cr_assert_not_null(strstr(doc, cell), "docs/config-format.md has no row %s", cell);
	}
	cJSON_Delete(all);
	cJSON_Delete(file);
}

Test(config, tiny_json_changes_only_its_keys)
{
	struct mmsim_cfg want, got;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&want);
	strncpy(want.name, "tiny", sizeof(want.name)); /* zero-fills */
	want.cores = 1;
	want.memory.size = 64ull << 20;
	want.tlb.l1d_4k.entries = 16;
	want.tlb.l1d_4k.ways = 4;
	cfg_defaults(&got);
	cr_assert_eq(cfg_load(&got, "configs/tiny.json", err), 0, "%s", err);
	cr_assert_eq(memcmp(&want, &got, sizeof(want)), 0);
	cr_assert_eq(cfg_check(&got, "configs/tiny.json", err), 0, "%s", err);
}

Test(config, partial_file_changes_only_its_keys)
{
	struct mmsim_cfg want, got;
	char path[64], err[MMSIM_ERR_LEN];
	cfg_defaults(&want);
	want.cpu.invlpg = 300;
	want.seed = 16;
	want.kernel.cost.mmap = 7;
	cr_assert_eq(load_text("{\"cpu\": {\"invlpg\": 300}, \"seed\": \"0x10\","
			       " \"kernel\": {\"cost\": {\"mmap\": 7}}, \"description\": \"x\"}",
			       &got, path, err), 0, "%s", err);
	cr_assert_eq(memcmp(&want, &got, sizeof(want)), 0);

	/* An empty object is a valid config that changes nothing. */
	cr_assert_eq(load_text("{}", &got, path, err), 0, "%s", err);
	cfg_defaults(&want);
	cr_assert_eq(memcmp(&want, &got, sizeof(want)), 0);
}

Test(config, later_file_overrides_earlier)
{
	struct mmsim_cfg cfg;
	char path[64], err[MMSIM_ERR_LEN];
	cfg_defaults(&cfg);
	cr_assert_eq(cfg_load(&cfg, "configs/tiny.json", err), 0, "%s", err);
	write_temp("{\"cores\": 2}", 12, path);
	cr_assert_eq(cfg_load(&cfg, path, err), 0, "%s", err);
	unlink(path);
	cr_assert_eq(cfg.cores, 2);
	cr_assert_eq(cfg.memory.size, 64ull << 20); /* from tiny.json */
	cr_assert_str_eq(cfg.name, "tiny");
}

/* --- bad files ---------------------------------------------------------- */

Test(config, unknown_top_level_key)
{
	expect_error("{\"coers\": 4}", ": coers: unknown key; did you mean \"cores\"?");
	expect_error("{\"frobnicate\": 4}", ": frobnicate: unknown key");
}

Test(config, misspelled_nested_key)
{
	expect_error("{\"tlb\": {\"l1d\": {\"4k\": {\"entires\": 64}}}}",
		     ": tlb.l1d.4k.entires: unknown key; did you mean \"entries\"?");
	expect_error("{\"tlb\": {\"lid\": {}}}", ": tlb.lid: unknown key; did you mean \"l1d\"?");
	expect_error("{\"kernel\": {\"cost\": {\"fualt\": 1}}}",
		     ": kernel.cost.fualt: unknown key; did you mean \"fault\"?");
}

Test(config, wrong_types)
{
	expect_error("{\"cores\": \"four\"}", ": cores: \"four\" is not a number (decimal or 0x-hex)");
	expect_error("{\"cores\": true}", ": cores: expected a number");
	expect_error("{\"cores\": null}", ": cores: expected a number");
	expect_error("{\"cores\": {\"n\": 4}}", ": cores: expected a number, not an object");
	expect_error("{\"cores\": [4]}", ": cores: expected a number, not an array");
	expect_error("{\"tlb\": 64}", ": tlb: expected an object, not a number");
	expect_error("{\"tlb\": {\"l1d\": \"big\"}}", ": tlb.l1d: expected an object, not a string");
	expect_error("{\"name\": 5}", ": name: expected a string, not a number");
	expect_error("{\"description\": 5}", ": description: expected a string, not a number");
	expect_error("[1, 2]", ": expected a JSON object at the top level, not an array");
	expect_error("{\"cores\": 2, \"cores\": 3}", ": cores: duplicate key");
	expect_error("{\"name\": \"0123456789012345678901234567890123456789012345678901234567890123\"}",
		     ": name: longer than 63 bytes");
}

Test(config, out_of_range)
{
	expect_error("{\"cores\": 0}", ": cores: 0 is out of range (1..64)");
	expect_error("{\"cores\": 65}", ": cores: 65 is out of range (1..64)");
	expect_error("{\"mmu\": {\"maxphyaddr\": 53}}", ": mmu.maxphyaddr: 53 is out of range (36..52)");
	expect_error("{\"kernel\": {\"max_order\": 0}}", ": kernel.max_order: 0 is out of range (1..20)");
	/* a U32 key given more than 32 bits is out of range, not truncated */
	expect_error("{\"cpu\": {\"invlpg\": 4294967297}}",
		     ": cpu.invlpg: 4294967297 is out of range (0..1000000000)");
	struct mmsim_cfg cfg;
	char path[64], err[MMSIM_ERR_LEN];
	cr_assert_eq(load_text("{\"cores\": 64}", &cfg, path, err), 0, "%s", err);
	cr_assert_eq(cfg.cores, 64);
	cr_assert_eq(load_text("{\"cores\": 1}", &cfg, path, err), 0, "%s", err);
	cr_assert_eq(cfg.cores, 1);
}

Test(config, negative_and_fractional)
{
	expect_error("{\"cores\": -1}", ": cores: must not be negative");
	expect_error("{\"cores\": 1.5}", ": cores: must be a whole number");
	expect_error("{\"seed\": 1e300}", ": seed: must be below 2^53 "
		     "(write larger values as a \"0x...\" string)");
}

Test(config, sizes_with_units)
{
	struct mmsim_cfg cfg;
	char path[64], err[MMSIM_ERR_LEN];
	cr_assert_eq(load_text("{\"memory\": {\"size\": \"8G\"}}", &cfg, path, err), 0, "%s", err);
	cr_assert_eq(cfg.memory.size, 8ull << 30);
	cr_assert_eq(load_text("{\"memory\": {\"size\": \"512MiB\"}}", &cfg, path, err), 0, "%s", err);
	cr_assert_eq(cfg.memory.size, 512ull << 20);
	cr_assert_eq(load_text("{\"memory\": {\"size\": 33554432}}", &cfg, path, err), 0, "%s", err);
	cr_assert_eq(cfg.memory.size, 32ull << 20);

	expect_error("{\"memory\": {\"size\": \"8Q\"}}",
		     ": memory.size: \"8Q\" is not a size (a number, optionally with K, M, G or T)");
	expect_error("{\"memory\": {\"size\": true}}",
		     ": memory.size: expected a size (number or string like \"4K\")");
	expect_error("{\"memory\": {\"size\": \"8M\"}}", ": memory.size: 8M is out of range (16M..1T)");
	expect_error("{\"memory\": {\"size\": \"2T\"}}", ": memory.size: 2T is out of range (16M..1T)");
	/* units are for sizes only */
	expect_error("{\"cores\": \"4K\"}", ": cores: \"4K\" is not a number (decimal or 0x-hex)");
}

Test(config, file_level_errors)
{
	char path[64], err[MMSIM_ERR_LEN], want[MMSIM_ERR_LEN];
	struct mmsim_cfg cfg;
	cfg_defaults(&cfg);

	cr_assert_eq(cfg_load(&cfg, "/tmp/mmsim-no-such-dir/none.json", err), -1);
	cr_assert_str_eq(err, "/tmp/mmsim-no-such-dir/none.json: cannot open: "
			 "No such file or directory");

	/* missing comma: the error points at line 3, column 3 ("seed") */
	expect_error("{\n  \"cores\": 4\n  \"seed\": 1\n}\n", ":3:3: JSON syntax error");
	expect_error("", ": empty file (expected a JSON object)");
	expect_error("  \n\t\n", ": empty file (expected a JSON object)");

	static const char bad_utf8[] = "{\"name\": \"\xff\"}";
	write_temp(bad_utf8, sizeof(bad_utf8) - 1, path);
	cr_assert_eq(cfg_load(&cfg, path, err), -1);
	unlink(path);
	snprintf(want, sizeof(want), "%s: byte 10: invalid UTF-8", path);
	cr_assert_str_eq(err, want);
}

/* --- -s overrides ------------------------------------------------------- */

Test(config, set_valid_overrides)
{
	struct mmsim_cfg want, cfg;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&cfg);
	cfg_defaults(&want);
	cr_assert_eq(cfg_set(&cfg, "tlb.l1d.4k.ways=8", "-s", err), 0, "%s", err);
	cr_assert_eq(cfg_set(&cfg, "memory.size=8G", "-s", err), 0, "%s", err);
	cr_assert_eq(cfg_set(&cfg, "name=sweep 3", "-s", err), 0, "%s", err);
	cr_assert_eq(cfg_set(&cfg, "seed=0xffffffffffffffff", "-s", err), 0, "%s", err);
	cr_assert_eq(cfg_set(&cfg, "kernel.cost.fault=0", "-s", err), 0, "%s", err);
	want.tlb.l1d_4k.ways = 8;
	want.memory.size = 8ull << 30;
	strncpy(want.name, "sweep 3", sizeof(want.name));
	want.seed = UINT64_MAX;
	want.kernel.cost.fault = 0;
	cr_assert_eq(memcmp(&want, &cfg, sizeof(want)), 0);
}

Test(config, set_unknown_key)
{
	struct mmsim_cfg cfg;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&cfg);
	cr_assert_eq(cfg_set(&cfg, "tlb.l1d.4k.entires=64", "-s", err), -1);
	cr_assert_str_eq(err, "-s: tlb.l1d.4k.entires: unknown key; did you mean \"tlb.l1d.4k.entries\"?");
	cr_assert_eq(cfg_set(&cfg, "cpu.cr3load=1", "-s", err), -1);
	cr_assert_str_eq(err, "-s: cpu.cr3load: unknown key; did you mean \"cpu.cr3_load\"?");
	cr_assert_eq(cfg_set(&cfg, "warp.drive=9", "-s", err), -1);
	cr_assert_str_eq(err, "-s: warp.drive: unknown key");
	cr_assert_eq(cfg_set(&cfg, "tlb.l1d.4k=4", "-s", err), -1);
	cr_assert_str_eq(err, "-s: tlb.l1d.4k: is a group of keys; set one of them, "
			 "e.g. tlb.l1d.4k.<key>=value");
	cr_assert_eq(cfg_set(&cfg, "description=x", "-s", err), -1);
	cr_assert_str_eq(err, "-s: description: unknown key");
}

Test(config, set_bad_values)
{
	struct mmsim_cfg cfg, def;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&cfg);
	cfg_defaults(&def);
	cr_assert_eq(cfg_set(&cfg, "tlb.l1d.4k.ways=many", "-s", err), -1);
	cr_assert_str_eq(err, "-s: tlb.l1d.4k.ways: \"many\" is not a number (decimal or 0x-hex)");
	cr_assert_eq(cfg_set(&cfg, "tlb.l1d.4k.ways=", "-s", err), -1);
	cr_assert_str_eq(err, "-s: tlb.l1d.4k.ways: \"\" is not a number (decimal or 0x-hex)");
	cr_assert_eq(cfg_set(&cfg, "tlb.stlb.policy=mru", "-s", err), -1);
	cr_assert_str_eq(err, "-s: tlb.stlb.policy: \"mru\" is not one of: lru, plru, random, fifo");
	cr_assert_eq(cfg_set(&cfg, "cores=0", "-s", err), -1);
	cr_assert_str_eq(err, "-s: cores: 0 is out of range (1..64)");
	cr_assert_eq(cfg_set(&cfg, "cores=-2", "-s", err), -1);
	cr_assert_str_eq(err, "-s: cores: must not be negative");
	cr_assert_eq(cfg_set(&cfg, "cores=1.5", "-s", err), -1);
	cr_assert_str_eq(err, "-s: cores: \"1.5\" is not a number (decimal or 0x-hex)");
	cr_assert_eq(cfg_set(&cfg, "memory.size=8Q", "-s", err), -1);
	cr_assert_str_eq(err, "-s: memory.size: \"8Q\" is not a size "
			 "(a number, optionally with K, M, G or T)");
	cr_assert_eq(cfg_set(&cfg, "memory.size=1M", "-s", err), -1);
	cr_assert_str_eq(err, "-s: memory.size: 1M is out of range (16M..1T)");
	cr_assert_eq(cfg_set(&cfg, "cores", "-s", err), -1);
	cr_assert_str_eq(err, "-s: cores: expected key.path=value");
	/* nothing was changed by the failed overrides */
	cr_assert_eq(memcmp(&def, &cfg, sizeof(def)), 0);
}

/* --- cross-key checks --------------------------------------------------- */

Test(config, check_tlb_geometry)
{
	struct mmsim_cfg cfg;
	char err[MMSIM_ERR_LEN];

	cfg_defaults(&cfg);
	cfg.tlb.l1d_4k.ways = 3;
	cr_assert_eq(cfg_check(&cfg, "x.json", err), -1);
	cr_assert_str_eq(err, "x.json: tlb.l1d.4k.entries: 64 is not a multiple of tlb.l1d.4k.ways (3)");

	cfg_defaults(&cfg);
	cfg.tlb.l1d_4k.ways = 128;
	cr_assert_eq(cfg_check(&cfg, "x.json", err), -1);
	cr_assert_str_eq(err, "x.json: tlb.l1d.4k.ways: 128 ways is more than the 64 entries");

	/* any number of sets is fine (index = VPN mod sets) ... */
	cfg_defaults(&cfg);
	cfg.tlb.l1d_4k.entries = 48; /* 12 sets */
	cr_assert_eq(cfg_check(&cfg, "x.json", err), 0, "%s", err);

	/* ... but tree-PLRU needs a power-of-two number of ways */
	cfg_defaults(&cfg);
	cfg.tlb.stlb.policy = REPL_PLRU;
	cr_assert_eq(cfg_check(&cfg, "x.json", err), -1);
	cr_assert_str_eq(err, "x.json: tlb.stlb.policy: plru needs a power-of-two number "
			 "of ways up to 64, not 12");

	/* a structure of 0 entries is absent: its geometry is not checked */
	cfg_defaults(&cfg);
	cfg.tlb.l1d_1g.entries = 0;
	cfg.tlb.l1d_1g.ways = 7;
	cr_assert_eq(cfg_check(&cfg, "x.json", err), 0, "%s", err);

	/* fully associative with any entry count is fine */
	cfg_defaults(&cfg);
	cfg.tlb.l1d_4k.entries = 48;
	cfg.tlb.l1d_4k.ways = 48;
	cr_assert_eq(cfg_check(&cfg, "x.json", err), 0, "%s", err);
}

Test(config, check_memory)
{
	struct mmsim_cfg cfg;
	char err[MMSIM_ERR_LEN];

	cfg_defaults(&cfg);
	cr_assert_eq(cfg_set(&cfg, "memory.size=16781312", "-s", err), 0, "%s", err); /* 16M+4K */
	cr_assert_eq(cfg_check(&cfg, "-s", err), 0, "%s", err);
	cr_assert_eq(cfg_set(&cfg, "memory.size=16777217", "-s", err), 0, "%s", err);
	cr_assert_eq(cfg_check(&cfg, "-s", err), -1);
	cr_assert_str_eq(err, "-s: memory.size: 16777217 is not a multiple of 4K");

	cfg_defaults(&cfg);
	cfg.memory.size = 1ull << 40;
	cfg.mmu.maxphyaddr = 36;
	cr_assert_eq(cfg_check(&cfg, "c.json", err), -1);
	cr_assert_str_eq(err, "c.json: memory.size: 1T does not fit in mmu.maxphyaddr = 36 bits (64G)");
}

Test(config, check_catches_values_set_in_code)
{
	struct mmsim_cfg cfg;
	char err[MMSIM_ERR_LEN];
	cfg_defaults(&cfg);
	cfg.cores = 100;
	cr_assert_eq(cfg_check(&cfg, "test", err), -1);
	cr_assert_str_eq(err, "test: cores: 100 is out of range (1..64)");
}

/* --- the JSON dump ------------------------------------------------------ */

Test(config, to_json_round_trips)
{
	struct mmsim_cfg cfg, back;
	char path[64], err[MMSIM_ERR_LEN];
	cfg_defaults(&cfg);
	strncpy(cfg.name, "round \"trip\"", sizeof(cfg.name));
	cfg.seed = UINT64_MAX; /* beyond 2^53: dumped as a hex string */
	cfg.memory.size = 8ull << 30;
	cfg.tlb.l1d_4k.ways = 8;
	cfg.kernel.cost.page_free = 77;

	cJSON *j = dump(&cfg);
	cr_assert_str_eq(cJSON_GetObjectItem(j, "name")->valuestring, "round \"trip\"");
	cr_assert_str_eq(cJSON_GetObjectItem(j, "seed")->valuestring, "0xffffffffffffffff");
	cr_assert_eq(cJSON_GetObjectItem(j, "cores")->valuedouble, 4);
	cJSON *mem = cJSON_GetObjectItem(j, "memory");
	cr_assert_eq(cJSON_GetObjectItem(mem, "size")->valuedouble, 8589934592.0);
	cJSON *l1d = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "tlb"),
							     "l1d"), "4k");
	cr_assert_eq(cJSON_GetObjectItem(l1d, "ways")->valuedouble, 8);
	cr_assert_eq(cJSON_GetObjectItem(l1d, "entries")->valuedouble, 64);
	cJSON *cost = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "kernel"), "cost");
	cr_assert_eq(cJSON_GetObjectItem(cost, "page_free")->valuedouble, 77);
	/* schema order: name first */
	cr_assert_str_eq(j->child->string, "name");
	cJSON_Delete(j);

	/* the dump is itself a config that reproduces cfg exactly */
	char *text = cfg_to_json(&cfg);
	cr_assert_not_null(text);
	write_temp(text, strlen(text), path);
	free(text);
	memset(&back, 0, sizeof(back));
	int rc = cfg_load(&back, path, err);
	unlink(path);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_eq(memcmp(&cfg, &back, sizeof(cfg)), 0);
}
