# libFuzzer targets for the input parsers (docs/fuzzing.md).
# Included from the top-level Makefile:   include tests/fuzz/fuzz.mk
#
#   make fuzz                   build the targets, run each FUZZ_SECONDS (60)
#   make fuzz FUZZ_SECONDS=600  longer
#   make fuzz-smoke             run each for 20 seconds (CI)
#   make fuzz-build             only build build/fuzz/fuzz_{config,trace,lackey}
#
# Everything is built with clang into build/fuzz/, independent of the CC and
# SAN of the main build: the library sources (the same set as libmmsim.a)
# with -fsanitize=fuzzer-no-link,address,undefined into
# build/fuzz/libmmsim-fuzz.a, and each tests/fuzz/fuzz_NAME.c linked against
# it with -fsanitize=fuzzer. clang and its runtime (libclang-rt-14-dev) are
# installed with apt-get when missing.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# edit_distance() and json_suggest() (the "did you mean" hints) are tight loops
# of compares that only slow the fuzzer down if instrumented for coverage.
FUZZ_IGNORE  := $(FUZZ_DIR)/cov-ignore.txt
FUZZ_COMMON  := -std=c11 -O1 -g -D_GNU_SOURCE -I. $(FUZZ_SAN) \
                -fsanitize-coverage-ignorelist=$(FUZZ_IGNORE)
# The main build's packages (PKG_CFLAGS/PKG_LIBS of the Makefile) when
# included from it; cJSON alone otherwise.
FUZZ_INCS     = $(or $(PKG_CFLAGS),$(shell pkg-config --cflags libcjson 2>/dev/null))
FUZZ_LIBS     = $(or $(PKG_LIBS),$(shell pkg-config --libs libcjson 2>/dev/null || echo -lcjson)) -lm
FUZZ_STAMP   := $(FUZZ_DIR)/.deps-ok

# The library: what libmmsim.a holds (the Makefile's LIB_SRCS), compiled by
# clang with coverage. Warnings are the main build's job (-Werror there);
# here they would only turn a clang-only warning into a broken fuzz build.
FUZZ_LIB_SRCS := $(sort $(wildcard lib/*.c sim/*/*.c kernel/*.c kernel/*/*.c))
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_LIB      := $(FUZZ_DIR)/libmmsim-fuzz.a

# lackey: the recorded-trace reader, fuzzed when lib/lackey.c exists
FUZZ_NAMES   := config trace $(if $(wildcard lib/lackey.c),lackey) \
		$(if $(wildcard lib/rtrace.c),rtrace)
FUZZ_TARGETS := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-deps

# clang, a libFuzzer runtime it can link, and the cJSON headers; installed
# only when the probe fails (the same logic as scripts/deps.sh).
fuzz-deps $(FUZZ_STAMP):
	@mkdir -p $(FUZZ_DIR)
	@probe() { command -v $(FUZZ_CC) >/dev/null 2>&1 && \
		printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; return (int)(n & 0); }\n' | \
		$(FUZZ_CC) -x c - -fsanitize=fuzzer,address,undefined -o $(FUZZ_DIR)/.probe 2>/dev/null && \
		pkg-config --exists libcjson 2>/dev/null; }; \
	if ! probe; then \
		need="clang libclang-rt-14-dev libcjson-dev pkg-config"; \
		echo "fuzz.mk: installing: $$need"; \
		SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
		export DEBIAN_FRONTEND=noninteractive; \
		$$SUDO apt-get install -y --no-install-recommends $$need || \
		{ $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends $$need; }; \
		probe || { echo "fuzz.mk: $(FUZZ_CC) cannot build libFuzzer targets" >&2; exit 1; }; \
	fi; \
	rm -f $(FUZZ_DIR)/.probe; touch $(FUZZ_STAMP)

$(FUZZ_IGNORE): tests/fuzz/fuzz.mk
	@mkdir -p $(FUZZ_DIR)
	printf 'fun:edit_distance\nfun:json_suggest\n' >$@

$(FUZZ_DIR)/obj/%.o: %.c $(FUZZ_IGNORE) | $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_COMMON) -fsanitize=fuzzer-no-link $(FUZZ_INCS) -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# One driver per target; it is the only file compiled with -Werror here.
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) $(FUZZ_IGNORE) | $(FUZZ_STAMP)
	$(FUZZ_CC) $(FUZZ_COMMON) -Wall -Wextra -Werror \
		-fsanitize=fuzzer $(FUZZ_INCS) -MMD -MP -o $@ $< $(FUZZ_LIB) $(FUZZ_LIBS)

fuzz-build: $(FUZZ_TARGETS)

fuzz: $(FUZZ_TARGETS)
	./tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-smoke: $(FUZZ_TARGETS)
	./tests/fuzz/run.sh 20 $(FUZZ_NAMES)

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_TARGETS:=.d)
