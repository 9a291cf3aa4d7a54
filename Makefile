# shmcat - byte streams through a named POSIX shared-memory ring.
.DELETE_ON_ERROR:

VERSION = 2.1.0
SOVERSION = 2

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
FISHFUNCDIR ?= $(PREFIX)/share/fish/vendor_functions.d

CC ?= cc
CFLAGS ?= -O2 -g
# What must hold whatever the user passes in CFLAGS.
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -fPIC -Iinclude
override LDLIBS += -lpthread -lrt
# CI builds with WERROR=1 (.ci/run): a warning fails the build there.
ifneq ($(WERROR),)
override CFLAGS += -Werror
endif

# src/lib: the ring library (libshmcat); src/tools: the three programs.
B = build
LIBOBJ = $(B)/lib/name.o $(B)/lib/error.o $(B)/lib/lock.o $(B)/lib/shm.o \
	$(B)/lib/ring.o $(B)/lib/wait.o $(B)/lib/reader.o $(B)/lib/writer.o \
	$(B)/lib/inspect.o $(B)/lib/bridge.o
TOOLOBJ = $(B)/tools/message.o $(B)/tools/parse.o $(B)/tools/options.o \
	$(B)/tools/signals.o $(B)/tools/io.o $(B)/tools/meter.o $(B)/tools/filter.o
PROGS = $(B)/shmcat-in $(B)/shmcat-out $(B)/shmcat
UNITS = $(UNIT_TESTS) $(B)/hostile
EXAMPLES = $(B)/examples/producer $(B)/examples/consumer $(B)/examples/evloop
# The library's pages; every other function a page names (.Nm) is
# installed as a link to it, so `man shmcat_wait_data` works.
MAN3 = man/shmcat.3 man/shmcat_open.3 man/shmcat_write_span.3 \
	man/shmcat_read_span.3 man/shmcat_status.3 man/shmcat_strerror.3 \
	man/shmcat_bridge_open.3
MAN3LINKS = for p in $(MAN3); do b=$${p\#\#*/}; \
	for n in $$(sed -n 's/^\.Nm \([a-z_]*\).*/\1/p' $$p); do \
	[ "$$n.3" = "$$b" ] || echo "$$b $$n.3"; done; done
LIBHDRS = include/shmcat.h $(wildcard src/lib/*.h)
TOOLHDRS = include/shmcat.h $(wildcard src/tools/*.h)

all: $(PROGS) $(B)/libshmcat.so.$(SOVERSION) $(B)/shmcat.pc

$(B) $(B)/lib $(B)/tools $(B)/examples:
	mkdir -p $@

$(B)/lib/%.o: src/lib/%.c $(LIBHDRS) | $(B)/lib
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/tools/%.o: src/tools/%.c $(TOOLHDRS) | $(B)/tools
	$(CC) $(CFLAGS) -c -o $@ $<

# Programs that link libshmcat see only its shmcat_* names.  The shared
# object says so in a version script; the archive is one relocatable
# object whose other globals objcopy turns local, so a program with its
# own now_ns or check_state links and keeps its own.
$(B)/libshmcat.o: $(LIBOBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -r -nostdlib -o $@ $(LIBOBJ)
	objcopy --wildcard --keep-global-symbol='shmcat_*' $@

$(B)/libshmcat.a: $(B)/libshmcat.o
	rm -f $@
	$(AR) rcs $@ $(B)/libshmcat.o

$(B)/libshmcat.so.$(SOVERSION): $(LIBOBJ) src/lib/libshmcat.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libshmcat.so.$(SOVERSION) \
		-Wl,--version-script=src/lib/libshmcat.map -o $@ $(LIBOBJ) $(LDLIBS)

$(B)/shmcat-in: $(B)/tools/shmcat-in.o $(TOOLOBJ) $(B)/libshmcat.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(B)/tools/shmcat-in.o $(TOOLOBJ) $(B)/libshmcat.a $(LDLIBS)

$(B)/shmcat-out: $(B)/tools/shmcat-out.o $(TOOLOBJ) $(B)/libshmcat.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(B)/tools/shmcat-out.o $(TOOLOBJ) $(B)/libshmcat.a $(LDLIBS)

$(B)/shmcat: $(B)/tools/shmcat.o $(B)/tools/json.o $(TOOLOBJ) $(B)/libshmcat.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(B)/tools/shmcat.o $(B)/tools/json.o $(TOOLOBJ) $(B)/libshmcat.a $(LDLIBS)

# examples/: programs that use the library as its users would.
$(B)/examples/%: examples/%.c $(B)/libshmcat.a include/shmcat.h | $(B)/examples
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libshmcat.a $(LDLIBS)

examples: $(EXAMPLES)

# The C unit tests (tests/unit/), one program each.  Those of the
# tools' parsers link the tools' objects; those of the library's
# internals link its objects, not the archive, whose internal names
# objcopy hides.
UNIT_TESTS = $(B)/test_ring $(B)/test_parse $(B)/test_human \
	$(B)/test_header $(B)/test_build
$(B)/test_ring: tests/unit/test_ring.c tests/unit/unit.h $(B)/libshmcat.a $(LIBHDRS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/test_ring.c $(B)/libshmcat.a $(LDLIBS)

$(B)/test_parse $(B)/test_human: $(B)/%: tests/unit/%.c tests/unit/unit.h \
	$(TOOLOBJ) $(B)/libshmcat.a
	$(CC) $(CFLAGS) -Isrc/tools $(LDFLAGS) -o $@ $< $(TOOLOBJ) $(B)/libshmcat.a $(LDLIBS)

$(B)/test_header $(B)/test_build: $(B)/%: tests/unit/%.c tests/unit/unit.h $(LIBOBJ)
	$(CC) $(CFLAGS) -Isrc/lib $(LDFLAGS) -o $@ $< $(LIBOBJ) $(LDLIBS)

unit: $(UNIT_TESTS)
	rc=0; for t in $(UNIT_TESTS); do $$t || rc=1; done; exit $$rc

# The scribbler of tests/35-hostile.bats knows the private layout.
$(B)/hostile: tests/hostile.c $(LIBHDRS)
	$(CC) $(CFLAGS) -Isrc/lib $(LDFLAGS) -o $@ tests/hostile.c

$(B)/shmcat.pc: shmcat.pc.in | $(B)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    shmcat.pc.in > $@

# While working (README): builds, runs the unit tests, the examples (a
# producer and a consumer on one ring, then the event loop;
# tests/75-library.bats runs them more thoroughly), then the bats suites
# but for the tests tagged slow, and beside them the model check of the
# ring protocol (not its mutants), whose report follows.  The suites,
# one test at a time, are the longer of the two: the model runs niced,
# on the CPU time they leave.  tests/run installs bats-core and what
# the suites need, model/check spin.
check-quick: all $(UNITS) $(EXAMPLES)
	$(MAKE) unit
	n=check-$$$$; timeout 20 $(B)/examples/consumer $$n & \
	    timeout 20 $(B)/examples/producer $$n 100000 && wait $$!
	n=check-ev-$$$$; timeout 20 $(B)/examples/evloop $$n </dev/null & \
	    timeout 20 $(B)/examples/producer $$n 100000 && wait $$!
	$(MAKE) -j2 quick-suites quick-model
	cat $(B)/model.log
quick: check-quick

quick-suites:
	tests/run --filter-tags '!slow' tests/*.bats
quick-model:
	nice model/check >$(B)/model.log 2>&1 || { cat $(B)/model.log; exit 1; }

# The README's test command, and CI's (.ci/run): check-quick, then the
# tests tagged slow, a short fixed-seed run of the soak, the sanitizer
# builds, and the benchmark at a tiny size, only to keep it working.
check: check-quick
	tests/run --filter-tags slow tests/*.bats
	$(MAKE) soak-short
	$(MAKE) sanitize
	BENCH_SIZE=64M BENCH_PAIRS=1 bench/run

# The seeded random-fault soak (tests/soak): kills, signals, stops and
# restarts of writers and readers at random moments, with the documented
# oracle checked after every round.  A failure prints a replay command.
# soak-short is a quick fixed-seed run of every class (SOAK_CLASSES
# narrows either run; see tests/soak).
SOAK_ROUNDS ?= 1000
SOAK_SEED ?=
SOAK_CLASSES ?= default
soak: all
	SHMCAT_BIN=$(B) SOAK_ROUNDS=$(SOAK_ROUNDS) SOAK_SEED=$(SOAK_SEED) \
	    SOAK_CLASSES=$(SOAK_CLASSES) tests/soak

soak-short: all
	SHMCAT_BIN=$(B) SOAK_MAXLEN=200000 SOAK_TIME_SCALE=50 \
	    SOAK_CLASSES=$(SOAK_CLASSES) tests/soak --seed 1 --rounds 30

# Sanitizer builds: the unit tests, and the bats suites that drive our C
# down its failure paths (closed descriptors and signals, errors, the
# lifecycle, hostile peers, other users, the library), against ASan/UBSan
# and TSan binaries in their own build directories.  The other suites
# mostly repeat the happy path, and the tests tagged slow:sanitized (three
# of the hostile suite's rewriting scenes; the others run) cost more than
# CI's time budget can carry; `tests/run` with SHMCAT_BIN=build-asan and
# SHMCAT_TEST_LDFLAGS set, as below but without the filter, runs them all.
SANITIZE_SUITES = tests/12-stdio.bats tests/20-errors.bats tests/32-lifecycle.bats \
	tests/35-hostile.bats tests/38-trust.bats tests/75-library.bats
sanitize:
	$(MAKE) B=build-asan CFLAGS='-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' LDFLAGS='-fsanitize=address,undefined' all build-asan/hostile unit
	SHMCAT_BIN=build-asan SHMCAT_TEST_LDFLAGS='-fsanitize=address,undefined' \
	    tests/run --filter-tags '!slow:sanitized' $(SANITIZE_SUITES)
	$(MAKE) B=build-tsan CFLAGS='-O1 -g -fsanitize=thread -Wno-tsan' LDFLAGS='-fsanitize=thread' all build-tsan/test_ring
	build-tsan/test_ring

bench: all
	BENCH_SAVE=1 bench/run

# The model check, and its mutants: each seeds one known bug into the
# model and must be caught, proving the model can fail.  make check runs
# the model itself; the mutants only change when the model does.
model:
	model/check
	model/check --mutants

demo: all
	./run_demo.sh

install: all $(B)/libshmcat.a
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	    $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) \
	    $(DESTDIR)$(FISHFUNCDIR)
	cp $(PROGS) $(DESTDIR)$(BINDIR)/
	cp $(B)/libshmcat.a $(B)/libshmcat.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libshmcat.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libshmcat.so
	cp include/shmcat.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    shmcat.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/shmcat.pc
	cp man/shmcat-in.1 man/shmcat-out.1 man/shmcat.1 $(DESTDIR)$(MANDIR)/man1/
	cp man/shmcat.7 $(DESTDIR)$(MANDIR)/man7/
	cp $(MAN3) $(DESTDIR)$(MANDIR)/man3/
	($(MAN3LINKS)) | while read -r page link; do \
	    ln -sf $$page $(DESTDIR)$(MANDIR)/man3/$$link; done
	cp completions/shmcat.bash $(DESTDIR)$(BASHCOMPDIR)/shmcat
	for c in shmcat-in shmcat-out; do ln -sf shmcat $(DESTDIR)$(BASHCOMPDIR)/$$c; done
	cp completions/_shmcat $(DESTDIR)$(ZSHCOMPDIR)/
	cp completions/shmcat.fish completions/shmcat-in.fish completions/shmcat-out.fish \
	    $(DESTDIR)$(FISHCOMPDIR)/
	cp completions/__shmcat_rings.fish $(DESTDIR)$(FISHFUNCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/shmcat-in $(DESTDIR)$(BINDIR)/shmcat-out $(DESTDIR)$(BINDIR)/shmcat
	rm -f $(DESTDIR)$(LIBDIR)/libshmcat.a $(DESTDIR)$(LIBDIR)/libshmcat.so.$(SOVERSION) \
	    $(DESTDIR)$(LIBDIR)/libshmcat.so
	rm -f $(DESTDIR)$(INCLUDEDIR)/shmcat.h $(DESTDIR)$(PKGCONFIGDIR)/shmcat.pc
	rm -f $(DESTDIR)$(MANDIR)/man1/shmcat-in.1 $(DESTDIR)$(MANDIR)/man1/shmcat-out.1 \
	    $(DESTDIR)$(MANDIR)/man1/shmcat.1 $(DESTDIR)$(MANDIR)/man7/shmcat.7
	for p in $(MAN3); do rm -f $(DESTDIR)$(MANDIR)/man3/$${p##*/}; done
	($(MAN3LINKS)) | while read -r page link; do \
	    rm -f $(DESTDIR)$(MANDIR)/man3/$$link; done
	rm -f $(DESTDIR)$(BASHCOMPDIR)/shmcat $(DESTDIR)$(BASHCOMPDIR)/shmcat-in \
	    $(DESTDIR)$(BASHCOMPDIR)/shmcat-out
	rm -f $(DESTDIR)$(ZSHCOMPDIR)/_shmcat
	rm -f $(DESTDIR)$(FISHCOMPDIR)/shmcat.fish $(DESTDIR)$(FISHCOMPDIR)/shmcat-in.fish \
	    $(DESTDIR)$(FISHCOMPDIR)/shmcat-out.fish
	rm -f $(DESTDIR)$(FISHFUNCDIR)/__shmcat_rings.fish

clean:
	rm -rf build build-asan build-tsan

.PHONY: all examples unit check-quick quick quick-suites quick-model check soak soak-short sanitize bench model demo install uninstall clean
