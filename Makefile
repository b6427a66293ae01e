# mmsim — plain non-recursive Makefile.
#   make            build build/mmsim (and build/libmmsim.a)
#   make run        the main job: default config on the demo trace
#   make test       unit + scenario tests (Criterion)
#   make SAN=1 test the same under ASan+UBSan (objects in build/san/)
#   make bench      benchmarks (docs/performance.md)
#   make clean

CC      ?= cc
SAN     ?= 0
ifeq ($(SAN),1)
BUILD   := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1
else
BUILD   := build
SANFLAGS :=
OPT     := -O2
endif

# Lazily evaluated so that they see packages deps.sh has just installed.
PKGS     = libcjson libzstd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_CFLAGS = $(shell pkg-config --cflags criterion 2>/dev/null)
TEST_LIBS   = $(shell pkg-config --libs criterion 2>/dev/null)
# The GUI (gui/, docs/gui.md) is built in when SDL2, SDL2_ttf and SDL2_image
# are there (deps.sh installs them); without them gui/ compiles to a stub.
GUI_PKGS   = sdl2 SDL2_ttf SDL2_image
GUI_OK     = $(shell pkg-config --exists $(GUI_PKGS) 2>/dev/null && echo 1)
GUI_CFLAGS = $(if $(GUI_OK),$(shell pkg-config --cflags $(GUI_PKGS)) -DMMSIM_HAVE_GUI)
GUI_LIBS   = $(if $(GUI_OK),$(shell pkg-config --libs $(GUI_PKGS)))

CFLAGS  := -std=c11 $(OPT) -g -Wall -Wextra -Werror -D_GNU_SOURCE -I. $(SANFLAGS) \
           -MMD -MP
LDFLAGS := $(SANFLAGS)
LDLIBS   = $(PKG_LIBS) $(GUI_LIBS) -lm

# EXCLUDE: patterns of sources to leave out of a build (work in progress).
EXCLUDE ?=
LIB_SRCS  := $(filter-out $(EXCLUDE),$(sort $(wildcard lib/*.c sim/*/*.c kernel/*.c kernel/*/*.c gui/*.c)))
CMD_SRCS  := $(filter-out $(EXCLUDE),$(sort $(wildcard src/*.c)))
TEST_SRCS := $(filter-out $(EXCLUDE),$(sort $(wildcard tests/*.c)))
BENCH_SRCS := $(sort $(wildcard bench/*.c))

LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CMD_OBJS  := $(CMD_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/obj/%.o)
# The command's objects minus main(), so tests can drive `mmsim run` in-process.
CMD_LIB_OBJS := $(filter-out $(BUILD)/obj/src/main.o,$(CMD_OBJS))

LIB   := $(BUILD)/libmmsim.a
MMSIM := $(BUILD)/mmsim
TESTS := $(BUILD)/test_all
DEPS_STAMP := build/.deps-ok

.PHONY: all run test bench clean deps
all: $(MMSIM)

# deps.sh runs only when pkg-config cannot find a dependency.
deps $(DEPS_STAMP):
	@{ pkg-config --exists libcjson criterion libzstd && command -v xz; } >/dev/null 2>&1 || \
		./scripts/deps.sh
	@pkg-config --exists $(GUI_PKGS) 2>/dev/null || ./scripts/deps.sh || \
		echo "make: the GUI's packages are missing: mmsim builds without the GUI"
	@mkdir -p build && touch $(DEPS_STAMP)

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/obj/gui/%.o: gui/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(GUI_CFLAGS) -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(MMSIM): $(CMD_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJS) $(LIB) $(LDLIBS)

$(TESTS): $(TEST_OBJS) $(CMD_LIB_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJS) $(CMD_LIB_OBJS) $(LIB) $(LDLIBS) $(TEST_LIBS)

run: $(MMSIM)
	$(MMSIM) run -c configs/default.json traces/demo.json

# Tests run from the project root (they open configs/ and traces/).
test: $(TESTS) $(MMSIM)
	$(TESTS) --jobs 2
	./tests/cli.sh $(MMSIM)
	./tests/sweep.sh $(MMSIM)
	./tests/gui.sh $(MMSIM)

BENCH := $(BUILD)/mmsim-bench
$(BENCH): $(BENCH_SRCS:%.c=$(BUILD)/obj/%.o) $(CMD_LIB_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench: $(BENCH)
	$(BENCH)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
include tests/fuzz/fuzz.mk
