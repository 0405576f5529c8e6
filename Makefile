# Top-level Makefile: builds the emulator, the built-in guests, the tests and
# the benchmarks. Objects go under $(BUILD) (build-san/ for the sanitizer
# variant); the emulator is linked at the root, guests as guests/NAME.elf.
#
#   make              build everything
#   make check        build and run every test
#   make bench        build and run the micro-benchmarks
#   make bench-throttle the vCPU throttle, by a guest's progress
#   make bench-linkem TCP through emulated links (root)
#   make bench-network migrations over emulated links, plots (root)
#   make demo         the main job: a live XBZRLE migration between two instances
#   make fuzz         run each fuzz target for FUZZ_SECONDS (default 60)
#   make fuzz-build   build the fuzz targets (clang) without running them
#   V=1               show the commands

BUILD ?= build

ifeq ($(wildcard config-host.mak),)
# A fresh checkout: make sure the Debian packages are there, then configure.
config-host.mak: configure
	@scripts/ensure-deps build
	./configure
endif
-include config-host.mak

ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-8s %s\n'
endif

# The sanitizer variant is a second build of the same tree (see check-san).
ifeq ($(SAN),1)
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif

CFLAGS_COMMON = -std=gnu11 -D_GNU_SOURCE -I. -I$(BUILD) $(OPT_CFLAGS) $(WARN_CFLAGS) \
                -MMD -MP $(SAN_FLAGS) $(EXTRA_CFLAGS)
CFLAGS_ALL = $(CFLAGS_COMMON) $(DEPS_CFLAGS) $(CHECK_CFLAGS)
LDFLAGS_ALL = $(SAN_FLAGS) $(EXTRA_LDFLAGS)

# ---------------------------------------------------------------------------
# The emulator. Everything but vl.c goes into libqemu.a so that tests and
# benchmarks link exactly the code the emulator runs.

EMU_OBJS += qemu-error.o
EMU_OBJS += cutils.o
EMU_OBJS += xbzrle.o
EMU_OBJS += bufferzero.o
EMU_OBJS += page_cache.o
EMU_OBJS += main-loop.o
EMU_OBJS += accel.o
EMU_OBJS += cpus.o
EMU_OBJS += cpus-throttle.o
EMU_OBJS += memory.o
EMU_OBJS += ioport.o
EMU_OBJS += kvm-all.o
EMU_OBJS += soft-all.o
EMU_OBJS += hw/pc.o
EMU_OBJS += hw/loader.o
EMU_OBJS += hw/serial.o
EMU_OBJS += hw/debugexit.o
EMU_OBJS += hw/guest-ctl.o
EMU_OBJS += hw/builtin-guest.o
EMU_OBJS += target-i386/machine.o
EMU_OBJS += io-channel.o
EMU_OBJS += io-channel-tls.o
EMU_OBJS += qemu-file.o
EMU_OBJS += savevm.o
EMU_OBJS += arch_init.o
EMU_OBJS += migration.o
EMU_OBJS += migration-incoming.o
EMU_OBJS += migration-accept.o
EMU_OBJS += migration-params.o
EMU_OBJS += migration-rp.o
EMU_OBJS += migration-tls.o
EMU_OBJS += migration-postcopy.o
EMU_OBJS += postcopy-ram.o
EMU_OBJS += migration-throttle.o
EMU_OBJS += migration-qmp.o
EMU_OBJS += migration-hmp.o
EMU_OBJS += migration-socket.o
EMU_OBJS += migration-tcp.o
EMU_OBJS += migration-unix.o
EMU_OBJS += migration-exec.o
EMU_OBJS += migration-fd.o
# The text console is always there (the vc chardev, screendump's error);
# drawing it needs pixman and showing it SDL.
EMU_OBJS += ui/console.o
EMU_OBJS += ui/vt.o
EMU_OBJS += ui/font.o
ifeq ($(CONFIG_SDL),yes)
EMU_OBJS += ui/render.o
EMU_OBJS += ui/sdl.o
endif
EMU_OBJS += qemu-sockets.o
EMU_OBJS += qemu-char.o
EMU_OBJS += qemu-char-tls.o
EMU_OBJS += qemu-char-opts.o
EMU_OBJS += qemu-option.o
EMU_OBJS += readline.o
EMU_OBJS += monitor-args.o
EMU_OBJS += monitor.o
EMU_OBJS += hmp.o
EMU_OBJS += qmp.o
EMU_OBJS += object.o
EMU_OBJS += object-cmds.o
EMU_OBJS += authz/simple.o
EMU_OBJS += crypto/tlscreds.o
EMU_OBJS += crypto/tlscreds-x509.o
EMU_OBJS += crypto/tlscreds-psk.o
EMU_OBJS += crypto/tlssession.o

# The built-in workloads, compiled into the emulator for the soft accelerator.
WORKLOADS = seed a-b sparse dense idle writer
WORKLOAD_HOST_OBJS = $(patsubst %,$(BUILD)/guests-host/%.o,$(WORKLOADS) wlib)

EMU_LIB = $(BUILD)/libqemu.a
EMU_LIB_OBJS = $(addprefix $(BUILD)/,$(EMU_OBJS)) $(WORKLOAD_HOST_OBJS)
ifeq ($(SAN),1)
EMULATOR = $(BUILD)/qemu-system-x86_64
else
EMULATOR = qemu-system-x86_64
endif

# ---------------------------------------------------------------------------
# The built-in guests (guests/NAME.elf), built with the host gcc: a ring-0
# stub limited to general registers, and the ring-3 runtime and workload
# compiled normally. Their flags are gcc's, so they are compiled with
# GUEST_CC (configure's --guest-cc) whatever CC is: make fuzz builds the
# library, which embeds the default guest, with CC=clang.

GUEST_CC ?= gcc

GUEST_ELFS = $(patsubst %,guests/%.elf,$(WORKLOADS))
GUEST_CFLAGS = -std=gnu11 -I. -O2 -g -ffreestanding -fno-pic -fno-pie \
               -fno-stack-protector -fno-asynchronous-unwind-tables \
               -fcf-protection=none -fno-tree-loop-distribute-patterns \
               $(WARN_CFLAGS) -MMD -MP
GUEST_STUB_CFLAGS = $(GUEST_CFLAGS) -mgeneral-regs-only -mno-red-zone
GUEST_LDFLAGS = -nostdlib -static -no-pie -Wl,-T,guests/guest.ld \
                -Wl,--build-id=none -Wl,-z,noexecstack -Wl,-z,max-page-size=4096
GUEST_COMMON_OBJS = $(BUILD)/guests/start.o $(BUILD)/guests/stub.o $(BUILD)/guests/wlib.o

# ---------------------------------------------------------------------------
# Tests (Check) and benchmarks: one program per tests/test-*.c and
# bench/bench-*.c, linked with the emulator library.

TEST_SRCS = $(wildcard tests/test-*.c)
TEST_PROGS = $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
TEST_SUPPORT_OBJS = $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(TEST_SRCS),$(wildcard tests/*.c)))

BENCH_SRCS = $(filter-out bench/bench-util.c bench/bench-machine.c bench/bench-mapping.c,$(wildcard bench/bench-*.c))
BENCH_PROGS = $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
BENCH_SUPPORT_OBJS = $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(BENCH_SRCS),$(wildcard bench/*.c)))

# Programs that drive the emulator from outside (the demo, the migration
# benchmark), with the tests' client library.
LINKEM_SRCS = $(wildcard tools/linkem*.c)
# The network benchmark's modules (tools/netbench-*.c), linked into it.
NETBENCH_SRCS = $(wildcard tools/netbench-*.c)
NETBENCH_OBJS = $(patsubst %.c,$(BUILD)/%.o,$(NETBENCH_SRCS))
TOOL_SRCS = $(filter-out $(LINKEM_SRCS) $(NETBENCH_SRCS),$(wildcard tools/*.c))
TOOL_PROGS = $(patsubst tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))

# The emulated-link forwarder (tools/linkem*.c): a standalone program on
# libc alone, which the tests run through scripts/linkem-net.
LINKEM = $(BUILD)/tools/linkem
LINKEM_OBJS = $(patsubst %.c,$(BUILD)/%.o,$(LINKEM_SRCS))

FUZZ_SRCS = $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_NAMES = $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60

.PHONY: all check check-unit check-soft check-san check-fuzz-corpus bench bench-migration bench-throttle bench-linkem bench-network demo fuzz fuzz-build clean distclean
# Keep intermediate objects (guest objects are built through pattern chains).
.SECONDARY:
all: $(EMULATOR) $(GUEST_ELFS) $(TEST_PROGS) $(BENCH_PROGS) $(TOOL_PROGS) $(LINKEM)

# ---------------------------------------------------------------------------
# The monitor's command tables: scripts/hxtool turns each .hx file into the C
# table monitor.c includes, the declarations of its handlers (for any file
# that defines one), and its reference in docs/ (committed, kept up to date).

HXTOOL = scripts/hxtool
MONITOR_GEN = $(BUILD)/hmp-commands.h $(BUILD)/hmp-handlers.h \
              $(BUILD)/qmp-commands.h $(BUILD)/qmp-handlers.h
MONITOR_DOCS = docs/hmp.md docs/qmp.md
all: $(MONITOR_DOCS)

$(BUILD)/%-commands.h: %-commands.hx $(HXTOOL)
	@mkdir -p $(dir $@)
	$(quiet) GEN $@
	$(Q)$(HXTOOL) table $< > $@.tmp && mv $@.tmp $@

$(BUILD)/%-handlers.h: %-commands.hx $(HXTOOL)
	@mkdir -p $(dir $@)
	$(quiet) GEN $@
	$(Q)$(HXTOOL) handlers $< > $@.tmp && mv $@.tmp $@

docs/%.md: %-commands.hx $(HXTOOL)
	$(quiet) GEN $@
	$(Q)$(HXTOOL) doc $< > $@.tmp && mv $@.tmp $@

# Any object may include a generated header: generate them first.
$(EMU_LIB_OBJS) $(BUILD)/vl.o $(TEST_SUPPORT_OBJS) $(TEST_PROGS:%=%.o): | $(MONITOR_GEN)

# The end-to-end tests (tests/libqmp.c) run the emulator and its guests;
# the transport tests the relay an operator would put in the path;
# test-linkem (tests/linkem.c) and the link tests the forwarder.
check-unit: $(EMULATOR) $(GUEST_ELFS) $(BUILD)/tools/migration-relay $(LINKEM)

# ---------------------------------------------------------------------------
# Rules

$(BUILD)/%.o: %.c config-host.mak
	@mkdir -p $(dir $@)
	$(quiet) CC $@
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/guests/%.o: guests/%.S config-host.mak
	@mkdir -p $(dir $@)
	$(quiet) AS $@
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guests/stub.o: guests/stub.c config-host.mak
	@mkdir -p $(dir $@)
	$(quiet) CC $@
	$(Q)$(GUEST_CC) $(GUEST_STUB_CFLAGS) -c $< -o $@

$(BUILD)/guests/%.o: guests/%.c config-host.mak
	@mkdir -p $(dir $@)
	$(quiet) CC $@
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guests/runtime-%.o: guests/runtime.c config-host.mak
	@mkdir -p $(dir $@)
	$(quiet) CC $@
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -DWORKLOAD_SYM=workload_$(subst -,_,$*) \
	    -DWORKLOAD_NAME='"$*"' -c $< -o $@

guests/%.elf: $(GUEST_COMMON_OBJS) $(BUILD)/guests/runtime-%.o $(BUILD)/guests/%.o guests/guest.ld
	$(quiet) LINK $@
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)

$(BUILD)/guests-host/%.o: guests/%.c config-host.mak
	@mkdir -p $(dir $@)
	$(quiet) CC $@
	$(Q)$(CC) $(CFLAGS_ALL) -DWORKLOAD_HOST -c $< -o $@

# The default guest is built into the emulator (hw/builtin-guest.S).
$(BUILD)/hw/builtin-guest.o: hw/builtin-guest.S guests/seed.elf
	@mkdir -p $(dir $@)
	$(quiet) AS $@
	$(Q)$(CC) -c $< -o $@

$(EMULATOR): $(BUILD)/vl.o $(EMU_LIB)
	$(quiet) LINK $@
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(BUILD)/vl.o $(EMU_LIB) $(DEPS_LIBS)

$(EMU_LIB): $(EMU_LIB_OBJS)
	$(quiet) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_SUPPORT_OBJS) $(EMU_LIB)
	$(quiet) LINK $@
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(TEST_SUPPORT_OBJS) $(EMU_LIB) $(CHECK_LIBS) $(DEPS_LIBS)

$(BUILD)/tools/%: $(BUILD)/tools/%.o $(TEST_SUPPORT_OBJS) $(EMU_LIB)
	$(quiet) LINK $@
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(TEST_SUPPORT_OBJS) $(EMU_LIB) $(CHECK_LIBS) $(DEPS_LIBS)

$(BUILD)/tools/bench-network: $(BUILD)/tools/bench-network.o $(NETBENCH_OBJS) $(TEST_SUPPORT_OBJS) $(EMU_LIB)
	$(quiet) LINK $@
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(NETBENCH_OBJS) $(TEST_SUPPORT_OBJS) $(EMU_LIB) $(CHECK_LIBS) $(DEPS_LIBS)

$(LINKEM): $(LINKEM_OBJS)
	$(quiet) LINK $@
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(LINKEM_OBJS) -lm

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BENCH_SUPPORT_OBJS) $(EMU_LIB)
	$(quiet) LINK $@
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(BENCH_SUPPORT_OBJS) $(EMU_LIB) $(DEPS_LIBS) $(ZSTD_LIBS) $(LZ4_LIBS)

# ---------------------------------------------------------------------------
# Running things

# The main job: a live migration with XBZRLE between two local instances.
demo: all
	@$(BUILD)/tools/migration-demo

# Migrations of the built-in guests, and the issue's targets (minutes).
bench-migration: all
	@$(BUILD)/tools/bench-migration $(BENCH_ARGS)

# The vCPU throttle measured by the seed guest's progress (a few minutes).
bench-throttle: all
	@$(BUILD)/tools/bench-throttle $(BENCH_ARGS)

# Migrations over emulated links (root): the default matrix in about 15
# minutes; BENCH_ARGS=full for all of it, BENCH_ARGS=targets for the
# issue's targets. Plots need gnuplot (scripts/ensure-deps bench).
bench-network: all
	@$(BUILD)/tools/bench-network $(BENCH_ARGS)

# TCP through emulated links (tools/linkem): needs root, about a minute.
bench-linkem: $(BUILD)/tools/bench-linkem $(LINKEM)
	@$(BUILD)/tools/bench-linkem $(BENCH_ARGS)

check: check-unit check-soft check-san

# With KVM present the end-to-end tests ran under it; run the machine and
# migration ones again under the software accelerator, which is what
# machines without /dev/kvm use.
SOFT_TESTS = $(filter %/test-migration %/test-machine %/test-migration-postcopy %/test-migration-throttle,$(TEST_PROGS))
check-soft: $(SOFT_TESTS) $(EMULATOR) $(GUEST_ELFS)
	@failed=0; for t in $(SOFT_TESTS); do \
	    echo "  TEST     $$t (accel=soft)"; \
	    QTEST_ACCEL=soft $$t || failed=$$((failed + 1)); \
	done; \
	if [ $$failed -ne 0 ]; then echo "$$failed test program(s) failed"; exit 1; fi

# Malformed streams (from a file, and in TLS sessions) against the emulator
# built with ASan and UBSan.
check-san: $(BUILD)/tests/test-migration-streams $(GUEST_ELFS)
	@$(MAKE) --no-print-directory SAN=1 BUILD=build-san build-san/qemu-system-x86_64
	@echo "  TEST     $(BUILD)/tests/test-migration-streams (ASan + UBSan)"
	@QTEST_QEMU_BINARY=build-san/qemu-system-x86_64 $(BUILD)/tests/test-migration-streams

check-unit: $(TEST_PROGS)
	@failed=0; for t in $(TEST_PROGS); do \
	    echo "  TEST     $$t"; \
	    $$t || failed=$$((failed + 1)); \
	done; \
	if [ $$failed -ne 0 ]; then echo "$$failed test program(s) failed"; exit 1; fi

bench: $(BENCH_PROGS) $(GUEST_ELFS)
	@for b in $(BENCH_PROGS); do echo "== $$b"; $$b || exit 1; done

# libFuzzer targets: built with clang, run for FUZZ_SECONDS each from the seed
# corpus in tests/fuzz/corpus/NAME (new inputs go to tests/fuzz/work/NAME).
# The targets link the emulator's library built again with clang, coverage
# and sanitizers (build-fuzz/lib), so that any of its code can be fuzzed.
FUZZ_BUILD = build-fuzz
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer $(FUZZ_SAN) -I. -I$(FUZZ_BUILD)/lib -D_GNU_SOURCE
FUZZ_LIB = $(FUZZ_BUILD)/lib/libqemu.a

.PHONY: fuzz-lib
fuzz-lib: config-host.mak
	$(Q)test -n "$(FUZZ_CC)" || { echo "make fuzz needs clang with libFuzzer: apt-get install -y clang libclang-rt-14-dev, then ./configure"; exit 1; }
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD)/lib CC=$(FUZZ_CC) WARN_CFLAGS= \
	    OPT_CFLAGS="-g -O1" SAN_FLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(FUZZ_LIB)

$(FUZZ_BUILD)/%: tests/fuzz/%.c fuzz-lib
	@mkdir -p $(dir $@)
	$(quiet) FUZZCC $@
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(DEPS_CFLAGS) -o $@ $< $(FUZZ_LIB) $(DEPS_LIBS)

# Built without being run by .ci/run whenever clang is there, so that a
# change that breaks the clang build is caught before anyone runs make fuzz.
fuzz-build: $(addprefix $(FUZZ_BUILD)/,$(FUZZ_NAMES))

fuzz: fuzz-build
	@for f in $(FUZZ_NAMES); do \
	    mkdir -p tests/fuzz/work/$$f; \
	    echo "  FUZZ     $$f for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_BUILD)/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        tests/fuzz/work/$$f tests/fuzz/corpus/$$f || exit 1; \
	done

# The seed corpora are regression tests without clang too: each target is
# linked with the normal compiler and tests/fuzz/replay.c, which feeds it
# every file of its corpus; make check runs them.
FUZZ_REPLAY_PROGS = $(addprefix $(BUILD)/tests/fuzz/replay-,$(FUZZ_NAMES))
$(BUILD)/tests/fuzz/replay-%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(EMU_LIB)
	$(quiet) LINK $@
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(BUILD)/tests/fuzz/replay.o $(EMU_LIB) $(DEPS_LIBS)

all: $(FUZZ_REPLAY_PROGS)
check: check-fuzz-corpus
check-fuzz-corpus: $(FUZZ_REPLAY_PROGS)
	@for f in $(FUZZ_NAMES); do \
	    echo "  REPLAY   tests/fuzz/corpus/$$f"; \
	    $(BUILD)/tests/fuzz/replay-$$f tests/fuzz/corpus/$$f >/dev/null || exit 1; \
	done

clean:
	rm -rf $(BUILD) build-san $(FUZZ_BUILD) $(EMULATOR) guests/*.elf

distclean: clean
	rm -f config-host.mak config-host.h

# Header dependencies; the .d files themselves are never remade.
DEPFILES := $(shell find $(BUILD) -name '*.d' 2>/dev/null)
$(DEPFILES): ;
-include $(DEPFILES)
