#!/usr/bin/env bats
# make install / uninstall into a DESTDIR: the tree, the shared library's
# soname, pkg-config, a program built against the installed library that
# talks to shmcat-out, and an uninstall that leaves no file behind.
#
# Needs cc, make, readelf and
# pkg-config (tests/deps installs pkgconf).  Rings are
# named bt-inst-N-PID-*; teardown removes them and fails if any is left.

load test_helper

BIN=${SHMCAT_BIN:-$REPO/build}
# The shared object's name: libshmcat.so.MAJOR, MAJOR from the Makefile.
SO=libshmcat.so.$(sed -n 's/^SOVERSION = //p' "$REPO/Makefile")

setup_file() {
	# One install for the whole file; the last test uninstalls it.
	export D=$BATS_FILE_TMPDIR/dest
	mkdir -p "$D"
	timeout 300 make -C "$REPO" install DESTDIR="$D" PREFIX=/usr \
	    >"$BATS_FILE_TMPDIR/install.log" 2>&1 ||
	    echo "make install failed" >"$BATS_FILE_TMPDIR/install.failed"
}

setup() {
	P=bt-inst-$BATS_TEST_NUMBER-$$
	T=$BATS_TEST_TMPDIR
	if [[ -e $BATS_FILE_TMPDIR/install.failed ]]; then
		cat "$BATS_FILE_TMPDIR/install.log"
		false
	fi
}

teardown() {
	remove_rings_with_prefix "$P"
}

# present KIND PATH...: each PATH (under $D) exists and is of KIND
# (f: regular file, x: executable file, l: symlink).
present() {
	local kind=$1 p
	shift
	for p in "$@"; do
		case $kind in
		f) [[ -f $D$p && ! -L $D$p ]] ;;
		x) [[ -f $D$p && -x $D$p && ! -L $D$p ]] ;;
		l) [[ -L $D$p ]] ;;
		esac || { echo "# $p: missing or not of kind $kind"; ls -l "$D$p" 2>&1; return 1; }
	done
}

@test "install: programs, libraries, header and pkg-config file" {
	present x /usr/bin/shmcat-in /usr/bin/shmcat-out /usr/bin/shmcat
	present f /usr/lib/libshmcat.a /usr/lib/$SO /usr/include/shmcat.h \
	    /usr/lib/pkgconfig/shmcat.pc
	present l /usr/lib/libshmcat.so
	[[ $(readlink "$D/usr/lib/libshmcat.so") == "$SO" ]]
	cmp "$REPO/include/shmcat.h" "$D/usr/include/shmcat.h"
	"$D/usr/bin/shmcat-in" --version | grep -qx 'shmcat-in [0-9.]*'
}

@test "install: libshmcat.so.N has soname libshmcat.so.N and exports the API" {
	run readelf -d "$D/usr/lib/$SO"
	[[ $status == 0 ]]
	[[ $output == *"Library soname: [$SO]"* ]] ||
	    { echo "# $output"; return 1; }
	local sym syms
	syms=$(readelf --dyn-syms -W "$D/usr/lib/$SO" | awk '$7 != "UND" { print $8 }')
	for sym in $(grep -oE '\bshmcat_[a-z_]+\(' "$REPO/include/shmcat.h" | tr -d '(' | sort -u); do
		grep -qx "$sym" <<<"$syms" || { echo "# $sym is not exported"; return 1; }
	done
	ar t "$D/usr/lib/libshmcat.a" | grep -q '\.o$'
}

@test "install: man pages and completions" {
	present f /usr/share/man/man1/shmcat-in.1 /usr/share/man/man1/shmcat-out.1 \
	    /usr/share/man/man1/shmcat.1 /usr/share/man/man7/shmcat.7 \
	    /usr/share/man/man3/shmcat.3 /usr/share/man/man3/shmcat_open.3
	# `man FUNCTION` finds a page for every function of the API.
	local fn
	for fn in $(grep -oE '\bshmcat_[a-z_]+\(' "$REPO/include/shmcat.h" | tr -d '(' | sort -u); do
		[[ -f $D/usr/share/man/man3/$fn.3 ]] ||
		    { echo "# no page for $fn in man3"; return 1; }
	done
	[[ $(readlink "$D/usr/share/man/man3/shmcat_wait_data.3") == shmcat_read_span.3 ]]
	present f /usr/share/bash-completion/completions/shmcat \
	    /usr/share/zsh/site-functions/_shmcat \
	    /usr/share/fish/vendor_completions.d/shmcat.fish \
	    /usr/share/fish/vendor_completions.d/shmcat-in.fish \
	    /usr/share/fish/vendor_completions.d/shmcat-out.fish \
	    /usr/share/fish/vendor_functions.d/__shmcat_rings.fish
	# bash-completion looks a completion up by the command's name.
	present l /usr/share/bash-completion/completions/shmcat-in \
	    /usr/share/bash-completion/completions/shmcat-out
	[[ $(readlink "$D/usr/share/bash-completion/completions/shmcat-in") == shmcat ]]
	[[ $(readlink "$D/usr/share/bash-completion/completions/shmcat-out") == shmcat ]]
	[[ -f $D/usr/share/bash-completion/completions/shmcat-in ]]
}

@test "pkg-config: shmcat.pc describes the installed tree" {
	command -v pkg-config >/dev/null ||
	    { echo "# pkg-config is missing: tests/deps installs it"; return 1; }
	export PKG_CONFIG_PATH=$D/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
	run pkg-config --modversion shmcat
	[[ $status == 0 && $output == "$("$D/usr/bin/shmcat" --version | cut -d' ' -f2)" ]] ||
	    { echo "# modversion: $output"; return 1; }
	run pkg-config --cflags shmcat
	[[ $output == *"-I$D/usr/include"* ]] || { echo "# cflags: $output"; return 1; }
	run pkg-config --libs shmcat
	[[ $output == *"-L$D/usr/lib"* && $output == *-lshmcat* ]] ||
	    { echo "# libs: $output"; return 1; }
	run pkg-config --static --libs shmcat
	[[ $output == *-lpthread* ]] || { echo "# static libs: $output"; return 1; }
}

# A writer through the library API, as include/shmcat.h lays it out.
write_hello_c() {
	cat >"$T/hello.c" <<'EOF'
#include <shmcat.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	static const char msg[] = "hello from libshmcat\n";
	struct shmcat_opts opts = {.role = SHMCAT_WRITER};
	struct shmcat_error err;
	struct shmcat_ring *r;
	size_t off = 0, n;
	void *p;
	int rc;

	if (argc != 2)
		return 2;
	if ((rc = shmcat_open(argv[1], &opts, &r, &err)) != 0) {
		fprintf(stderr, "hello: %s: %s: %s\n", argv[1], err.call,
		    shmcat_strerror(rc));
		return 2;
	}
	while (off < sizeof(msg) - 1) {
		if ((n = shmcat_write_span(r, &p)) == 0) {
			if ((rc = shmcat_wait_space(r, 10000)) != 0) {
				fprintf(stderr, "hello: wait: %s\n",
				    shmcat_strerror(rc));
				shmcat_close(r, SHMCAT_INTERRUPTED);
				return 1;
			}
			continue;
		}
		if (n > sizeof(msg) - 1 - off)
			n = sizeof(msg) - 1 - off;
		memcpy(p, msg + off, n);
		if ((rc = shmcat_write_commit(r, n)) != 0)
			return 1;
		off += n;
	}
	return shmcat_close(r, SHMCAT_END) == 0 ? 0 : 1;
}
EOF
}

@test "a program built with pkg-config writes; shmcat-out reads it" {
	command -v pkg-config >/dev/null ||
	    { echo "# pkg-config is missing: tests/deps installs it"; return 1; }
	write_hello_c
	export PKG_CONFIG_PATH=$D/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
	# shellcheck disable=SC2046
	cc -std=c11 -Wall -Werror -o "$T/hello" "$T/hello.c" \
	    $(pkg-config --cflags --libs shmcat)
	run readelf -d "$T/hello"
	[[ $output == *"Shared library: [$SO]"* ]] ||
	    { echo "# hello is not linked to $SO: $output"; return 1; }

	LD_LIBRARY_PATH=$D/usr/lib timeout 20 "$T/hello" "$P-hello"
	[[ -e /dev/shm/shmcat.$P-hello ]] # kept for its reader
	run timeout 20 "$BIN/shmcat-out" "$P-hello"
	[[ $status == 0 ]] || { echo "# shmcat-out: status $status: $output"; return 1; }
	[[ $output == "hello from libshmcat" ]]
	[[ ! -e /dev/shm/shmcat.$P-hello ]] # the stream is over: removed
}

@test "a program linked with libshmcat.a needs no libshmcat.so" {
	write_hello_c
	cc -std=c11 -Wall -Werror -I"$D/usr/include" -o "$T/hello" "$T/hello.c" \
	    "$D/usr/lib/libshmcat.a" -lpthread
	run readelf -d "$T/hello"
	[[ $output != *libshmcat* ]]
	timeout 20 "$T/hello" "$P-static"
	run timeout 20 "$D/usr/bin/shmcat-out" "$P-static"
	[[ $status == 0 && $output == "hello from libshmcat" ]]
}

@test "make uninstall removes every installed file" {
	local before
	before=$(cd "$D" && find . \( -type f -o -type l \) | sort)
	[[ -n $before ]]
	timeout 120 make -C "$REPO" uninstall DESTDIR="$D" PREFIX=/usr >"$T/log" 2>&1 ||
	    { cat "$T/log"; return 1; }
	run find "$D" \( -type f -o -type l \) -print
	[[ -z $output ]] || { echo "# left after uninstall:"; echo "$output"; return 1; }
}
