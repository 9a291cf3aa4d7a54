# shmcat - byte streams through a named POSIX shared-memory ring.
.DELETE_ON_ERROR:

VERSION = 3.0.0
SOVERSION = 3

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
# Named, not called directly, so that a cross build can pass its own
# (debian/rules does).
OBJCOPY ?= objcopy
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
# Each list goes bottom up, as DESIGN.md (Architecture) draws the calls.
B = build
LIBOBJ = $(B)/lib/error.o $(B)/lib/name.o $(B)/lib/features.o $(B)/lib/wait.o $(B)/lib/lock.o \
	$(B)/lib/ring.o $(B)/lib/copy.o $(B)/lib/reader.o $(B)/lib/writer.o \
	$(B)/lib/object.o $(B)/lib/dir.o $(B)/lib/build.o $(B)/lib/handles.o \
	$(B)/lib/replace.o $(B)/lib/role.o $(B)/lib/open.o $(B)/lib/bridge.o \
	$(B)/lib/close.o $(B)/lib/inspect.o
TOOLOBJ = $(B)/tools/message.o $(B)/tools/parse.o $(B)/tools/options.o \
	$(B)/tools/signals.o $(B)/tools/io.o $(B)/tools/json.o $(B)/tools/meter.o \
	$(B)/tools/filter.o
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
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/tools/%.o: src/tools/%.c $(TOOLHDRS) | $(B)/tools
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Programs that link libshmcat see only its shmcat_* names.  The shared
# object says so in a version script; the archive is one relocatable
# object whose other globals objcopy turns local, so a program with its
# own now_ns or check_state links and keeps its own.
$(B)/libshmcat.o: $(LIBOBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -r -nostdlib -o $@ $(LIBOBJ)
	$(OBJCOPY) --wildcard --keep-global-symbol='shmcat_*' $@

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

# shmcat alone shows rings over time (--watch) and to Prometheus (--prom).
SHOWOBJ = $(B)/tools/view.o $(B)/tools/prom.o $(B)/tools/watch.o
$(B)/shmcat: $(B)/tools/shmcat.o $(SHOWOBJ) $(TOOLOBJ) $(B)/libshmcat.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(B)/tools/shmcat.o $(SHOWOBJ) $(TOOLOBJ) $(B)/libshmcat.a $(LDLIBS)

# examples/: programs that use the library as its users would.
$(B)/examples/%: examples/%.c $(B)/libshmcat.a include/shmcat.h | $(B)/examples
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libshmcat.a $(LDLIBS)

examples: $(EXAMPLES)

# The C unit tests (tests/unit/), one program each.  Those of the
# tools' parsers link the tools' objects; those of the library's
# internals link its objects, not the archive, whose internal names
# objcopy hides.
UNIT_TESTS = $(B)/test_ring $(B)/test_parse $(B)/test_human \
	$(B)/test_header $(B)/test_build
$(B)/test_ring: tests/unit/test_ring.c tests/unit/unit.h $(B)/libshmcat.a $(LIBHDRS)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/test_ring.c $(B)/libshmcat.a $(LDLIBS)

$(B)/test_parse $(B)/test_human: $(B)/%: tests/unit/%.c tests/unit/unit.h \
	$(TOOLOBJ) $(B)/libshmcat.a
	$(CC) $(CPPFLAGS) $(CFLAGS) -Isrc/tools $(LDFLAGS) -o $@ $< $(TOOLOBJ) $(B)/libshmcat.a $(LDLIBS)

$(B)/test_header $(B)/test_build: $(B)/%: tests/unit/%.c tests/unit/unit.h $(LIBOBJ)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Isrc/lib $(LDFLAGS) -o $@ $< $(LIBOBJ) $(LDLIBS)

unit: $(UNIT_TESTS)
	rc=0; for t in $(UNIT_TESTS); do $$t || rc=1; done; exit $$rc

# The scribbler of tests/35-hostile.bats knows the private layout.
$(B)/hostile: tests/hostile.c $(LIBHDRS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Isrc/lib $(LDFLAGS) -o $@ tests/hostile.c

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
# tests tagged slow, a short fixed-seed run of the soak, a sample of the
# fault-injection points (tests/faults), the sanitizer
# builds, and the benchmark at a tiny size, only to keep it working.
check: check-quick
	tests/run --filter-tags slow tests/*.bats
	$(MAKE) soak-short
	$(MAKE) faults-sample
	$(MAKE) sanitize
	BENCH_SIZE=64M BENCH_PAIRS=1 bench/run

# The fault harness (tests/faults/run): each system call site of the
# three programs, in ten scenarios, failed once with each error it can
# really return, by strace (README, "Fault injection").  make check runs
# a fixed-seed sample of FAULTS_SAMPLE points.
FAULTS_SAMPLE ?= 300
FAULTS_SEED ?= 1
faults: all
	tests/deps strace unshare python3
	SHMCAT_BIN=$(B) tests/faults/run

faults-sample: all
	tests/deps strace unshare python3
	SHMCAT_BIN=$(B) FAULTS_SAMPLE=$(FAULTS_SAMPLE) FAULTS_SEED=$(FAULTS_SEED) \
	    tests/faults/run

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

# The Debian packages (debian/), from build to purge: dpkg-buildpackage,
# lintian, the hardening of the binaries, install, the autopkgtests
# against the installed programs, purge, and a check that nothing is
# left.  Needs root or sudo: it installs the packages, and the packaging
# tools if they are missing (tests/package says more).
package-check:
	tests/package

# Programs 0755, everything else 0644 (a shared library needs no
# execute bit, and a packaged one must not have it); install(1), not cp,
# so the modes do not depend on the build tree's or the umask.
INSTALL ?= install
INSTALL_PROGRAM = $(INSTALL) -m 0755
INSTALL_DATA = $(INSTALL) -m 0644
install: all $(B)/libshmcat.a
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	    $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) \
	    $(DESTDIR)$(FISHFUNCDIR)
	$(INSTALL_PROGRAM) $(PROGS) $(DESTDIR)$(BINDIR)/
	$(INSTALL_DATA) $(B)/libshmcat.a $(B)/libshmcat.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libshmcat.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libshmcat.so
	$(INSTALL_DATA) include/shmcat.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    shmcat.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/shmcat.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/shmcat.pc
	$(INSTALL_DATA) man/shmcat-in.1 man/shmcat-out.1 man/shmcat.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL_DATA) man/shmcat.7 $(DESTDIR)$(MANDIR)/man7/
	$(INSTALL_DATA) $(MAN3) $(DESTDIR)$(MANDIR)/man3/
	($(MAN3LINKS)) | while read -r page link; do \
	    ln -sf $$page $(DESTDIR)$(MANDIR)/man3/$$link; done
	$(INSTALL_DATA) completions/shmcat.bash $(DESTDIR)$(BASHCOMPDIR)/shmcat
	for c in shmcat-in shmcat-out; do ln -sf shmcat $(DESTDIR)$(BASHCOMPDIR)/$$c; done
	$(INSTALL_DATA) completions/_shmcat $(DESTDIR)$(ZSHCOMPDIR)/
	$(INSTALL_DATA) completions/shmcat.fish completions/shmcat-in.fish \
	    completions/shmcat-out.fish $(DESTDIR)$(FISHCOMPDIR)/
	$(INSTALL_DATA) completions/__shmcat_rings.fish $(DESTDIR)$(FISHFUNCDIR)/

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
	rm -rf build build-asan build-tsan build-deb

.PHONY: all examples unit check-quick quick quick-suites quick-model check soak \
	soak-short sanitize bench model demo package-check faults faults-sample \
	install uninstall clean
