#!/usr/bin/env bats
# make install / uninstall into a DESTDIR: the tree, the shared library's
# soname, pkg-config, a program built against the installed library that
# talks to shmcat-out, and an uninstall that leaves no file behind.
#
# Needs cc, make, readelf and pkg-config (tests/deps installs pkgconf; a
# missing tool fails the tests that use it).

bats_require_minimum_version 1.5.0
load test_helper

# build-tree: the whole file tests the tree's `make install`; the
# package's files are checked by debian/tests and tests/package instead.
# bats file_tags=build-tree

# The shared object's name: libshmcat.so.MAJOR, MAJOR from the Makefile.
SO=libshmcat.so.$(sed -n 's/^SOVERSION = //p' "$REPO/Makefile")

setup_file() {
	shmcat_setup_file
	# One install for the whole file; the last test uninstalls it.
	export D=$BATS_FILE_TMPDIR/dest
	mkdir -p "$D"
	TMO=300 tmo make -C "$REPO" install DESTDIR="$D" PREFIX=/usr \
	    >"$BATS_FILE_TMPDIR/install.log" 2>&1 ||
	    echo "make install failed" >"$BATS_FILE_TMPDIR/install.failed"
}

setup() {
	shmcat_setup
	if [[ -e $BATS_FILE_TMPDIR/install.failed ]]; then
		_fail "make install failed:" "$(cat "$BATS_FILE_TMPDIR/install.log")"
	fi
}

teardown() { shmcat_teardown; }

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
		esac || _fail "$p: missing or not of kind $kind" "$(ls -l "$D$p" 2>&1)"
	done
}

@test "install: programs, libraries, header and pkg-config file" {
	present x /usr/bin/shmcat-in /usr/bin/shmcat-out /usr/bin/shmcat
	present f /usr/lib/libshmcat.a /usr/lib/$SO /usr/include/shmcat.h \
	    /usr/lib/pkgconfig/shmcat.pc
	present l /usr/lib/libshmcat.so
	assert_equal "$(readlink "$D/usr/lib/libshmcat.so")" "$SO" "libshmcat.so ->"
	assert_same_file "$D/usr/include/shmcat.h" "$REPO/include/shmcat.h"
	run -0 --separate-stderr tmo "$D/usr/bin/shmcat-in" --version
	assert_match "$output" '^shmcat-in [0-9.]*$' "installed shmcat-in --version"
}

# A packaged shared library must not be executable (Debian policy 8.1,
# lintian's shared-library-is-executable); only programs are.
@test "install: programs are 0755, libraries, header, pkg-config file, pages and completions 0644" {
	local f mode
	for f in /usr/bin/shmcat-in /usr/bin/shmcat-out /usr/bin/shmcat; do
		mode=$(stat -c %a "$D$f")
		assert_equal "$mode" 755 "mode of $f"
	done
	while IFS= read -r f; do
		mode=$(stat -c %a "$f")
		assert_equal "$mode" 644 "mode of ${f#"$D"}"
	done < <(find "$D/usr/lib" "$D/usr/include" "$D/usr/share" -type f)
}

@test "install: libshmcat.so.N has soname libshmcat.so.N and exports the API" {
	need readelf
	run -0 readelf -d "$D/usr/lib/$SO"
	[[ $output == *"Library soname: [$SO]"* ]] ||
	    _fail "$SO has not soname $SO" "readelf -d: $output"
	local sym syms
	syms=$(readelf --dyn-syms -W "$D/usr/lib/$SO" | awk '$7 != "UND" { sub(/@.*/, "", $8); print $8 }')
	for sym in $(grep -oE '\bshmcat_[a-z_]+\(' "$REPO/include/shmcat.h" | tr -d '(' | sort -u); do
		grep -qx "$sym" <<<"$syms" || _fail "$sym is not exported"
	done
	run -0 ar t "$D/usr/lib/libshmcat.a"
	assert_match "$output" '\.o($|'$'\n'')' "members of libshmcat.a"
}

@test "install: man pages and completions" {
	present f /usr/share/man/man1/shmcat-in.1 /usr/share/man/man1/shmcat-out.1 \
	    /usr/share/man/man1/shmcat.1 /usr/share/man/man7/shmcat.7 \
	    /usr/share/man/man3/shmcat.3 /usr/share/man/man3/shmcat_open.3
	# `man FUNCTION` finds a page for every function of the API.
	local fn
	for fn in $(grep -oE '\bshmcat_[a-z_]+\(' "$REPO/include/shmcat.h" | tr -d '(' | sort -u); do
		[[ -f $D/usr/share/man/man3/$fn.3 ]] || _fail "no page for $fn in man3"
	done
	assert_equal "$(readlink "$D/usr/share/man/man3/shmcat_wait_data.3")" shmcat_read_span.3 \
	    "shmcat_wait_data.3 ->"
	present f /usr/share/bash-completion/completions/shmcat \
	    /usr/share/zsh/site-functions/_shmcat \
	    /usr/share/fish/vendor_completions.d/shmcat.fish \
	    /usr/share/fish/vendor_completions.d/shmcat-in.fish \
	    /usr/share/fish/vendor_completions.d/shmcat-out.fish \
	    /usr/share/fish/vendor_functions.d/__shmcat_rings.fish
	# bash-completion looks a completion up by the command's name.
	present l /usr/share/bash-completion/completions/shmcat-in \
	    /usr/share/bash-completion/completions/shmcat-out
	assert_equal "$(readlink "$D/usr/share/bash-completion/completions/shmcat-in")" shmcat \
	    "completions/shmcat-in ->"
	assert_equal "$(readlink "$D/usr/share/bash-completion/completions/shmcat-out")" shmcat \
	    "completions/shmcat-out ->"
	[[ -f $D/usr/share/bash-completion/completions/shmcat-in ]] ||
	    _fail "completions/shmcat-in does not lead to a file"
}

@test "pkg-config: shmcat.pc describes the installed tree" {
	need pkg-config
	export PKG_CONFIG_PATH=$D/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
	local version
	version=$("$D/usr/bin/shmcat" --version | cut -d' ' -f2)
	[[ -n $version ]] || _fail "shmcat --version printed no version"
	run -0 --separate-stderr pkg-config --modversion shmcat
	assert_equal "$output" "$version" "modversion"
	run -0 --separate-stderr pkg-config --cflags shmcat
	[[ $output == *"-I$D/usr/include"* ]] || _fail "cflags lack -I$D/usr/include" "cflags: $output"
	run -0 --separate-stderr pkg-config --libs shmcat
	[[ $output == *"-L$D/usr/lib"* && $output == *-lshmcat* ]] ||
	    _fail "libs lack -L$D/usr/lib -lshmcat" "libs: $output"
	run -0 --separate-stderr pkg-config --static --libs shmcat
	[[ $output == *-lpthread* ]] || _fail "static libs lack -lpthread" "static libs: $output"
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
	need pkg-config
	need cc
	write_hello_c
	export PKG_CONFIG_PATH=$D/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
	# shellcheck disable=SC2046
	run -0 cc -std=c11 -Wall -Werror -o "$T/hello" "$T/hello.c" \
	    $(pkg-config --cflags --libs shmcat)
	run -0 readelf -d "$T/hello"
	[[ $output == *"Shared library: [$SO]"* ]] ||
	    _fail "hello is not linked to $SO" "readelf -d: $output"

	LD_LIBRARY_PATH=$D/usr/lib run -0 --separate-stderr tmo "$T/hello" "$R-hello"
	assert_ring "$R-hello" # kept for its reader
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R-hello"
	assert_equal "$output" "hello from libshmcat" "what shmcat-out read"
	assert_no_ring "$R-hello" # the stream is over: removed
}

@test "a program linked with libshmcat.a needs no libshmcat.so" {
	need cc
	write_hello_c
	run -0 cc -std=c11 -Wall -Werror -I"$D/usr/include" -o "$T/hello" "$T/hello.c" \
	    "$D/usr/lib/libshmcat.a" -lpthread
	run -0 readelf -d "$T/hello"
	assert_not_match "$output" libshmcat "readelf -d hello"
	run -0 --separate-stderr tmo "$T/hello" "$R-static"
	run -0 --separate-stderr tmo "$D/usr/bin/shmcat-out" "$R-static"
	assert_equal "$output" "hello from libshmcat" "what shmcat-out read"
	assert_no_ring "$R-static"
}

@test "make uninstall removes every installed file" {
	local before
	before=$(cd "$D" && find . \( -type f -o -type l \) | sort)
	[[ -n $before ]] || _fail "nothing was installed in $D"
	TMO=120 run -0 tmo make -C "$REPO" uninstall DESTDIR="$D" PREFIX=/usr
	run -0 find "$D" \( -type f -o -type l \) -print
	assert_equal "$output" "" "left after uninstall"
}
