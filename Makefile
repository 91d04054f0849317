# cloudtasks.h - build, test, check, bench, fuzz, install.
#   make            examples into build/
#   make demo       the addition worker on its bundled task file
#   make test       every test; ends with "N passed, M failed"
#   make check      the tests under ASan+UBSan, the worker's threads under TSan, unit tests under valgrind
#   make bench      benchmark ratios against baselines measured in the same run
#   make fuzz       each fuzz target for FUZZ_SECONDS (default 60)
#   make install    PREFIX=/usr/local: the header and cloudtasks.pc
-include config.mk

CC      ?= cc
CLANG   ?= clang
BUILD   ?= build
OPT     ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
CFLAGS  ?=
LDLIBS  := -lcurl -lbearssl -lpthread
PREFIX  ?= /usr/local
SHARED  ?= ../shared
FUZZ_SECONDS ?= 60
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

EXAMPLES := $(patsubst examples/%.c,$(BUILD)/%,$(wildcard examples/*.c))
TESTBINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/*.c))
DEPS_OK  := $(BUILD)/.deps-ok

.PHONY: all demo test check check-asan check-tsan check-valgrind bench fuzz install deps clean
all: $(EXAMPLES)

deps: $(DEPS_OK)
$(DEPS_OK): scripts/install-deps.sh
	@sh scripts/install-deps.sh
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/%: examples/%.c cloudtasks.h | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(OPT) $(CFLAGS) -Iexamples -I. $< -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c cloudtasks.h tests/unit/testing.h | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(OPT) $(CFLAGS) -I. -Itests/unit $< -o $@ $(LDLIBS) -lm

demo: $(BUILD)/worker_addition
	@sh scripts/demo.sh $(BUILD)

test: $(DEPS_OK) $(EXAMPLES) $(TESTBINS)
	@BUILD=$(BUILD) SHARED=$(SHARED) CC="$(CC)" CLANG="$(CLANG)" OPT="$(OPT)" bash tests/run.sh

check: check-asan check-tsan check-valgrind

check-asan: | $(DEPS_OK)
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan OPT="-O1 -g $(SAN)" test

check-tsan: | $(DEPS_OK)
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/tsan OPT="-O1 -g -fsanitize=thread" $(EXAMPLES:$(BUILD)/%=$(BUILD)/tsan/%)
	@BUILD=$(BUILD)/tsan SHARED=$(SHARED) CC="$(CC)" OPT="-O1 -g -fsanitize=thread" TSAN_OPTIONS="halt_on_error=1 exitcode=66" bash tests/run.sh --only integration

check-valgrind: $(TESTBINS)
	@BUILD=$(BUILD) SHARED=$(SHARED) bash tests/valgrind.sh

bench: | $(DEPS_OK)
	@BUILD=$(BUILD)/bench SHARED=$(SHARED) CC="$(CC)" bash tests/bench/run.sh

fuzz: | $(DEPS_OK)
	@BUILD=$(BUILD)/fuzz SHARED=$(SHARED) CC="$(CC)" CLANG="$(CLANG)" FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh

install:
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 cloudtasks.h $(DESTDIR)$(PREFIX)/include/cloudtasks.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|'"$$(sed -n 's/^#define CLOUDTASKS_VERSION_STRING "\(.*\)"/\1/p' cloudtasks.h)"'|' \
	    scripts/cloudtasks.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/cloudtasks.pc

clean:
	rm -rf $(BUILD)
