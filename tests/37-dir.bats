#!/usr/bin/env bats
# 37-dir (issue 19, item 3, "One directory handle"): rings outside
# /dev/shm.  --dir and SHMCAT_DIR on all three programs, the `dir` of
# struct shmcat_opts and the _in forms of list, remove and path; the
# directory is judged once (its owner, its mode, its filesystem) and
# every name in it is found through that one descriptor.
#
# Mounting a tmpfs or a hugetlbfs, changing a directory's owner and
# growing the huge page pool need root (CI runs the suites as root);
# those tests skip, saying so, without it.  Every directory a test uses
# is under its own $T, unmounted and restored by teardown: the suite's
# leftover check looks only in /dev/shm.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() { shmcat_setup_file; }

setup() {
	shmcat_setup
	MOUNTS=()
	HUGE_OLD=
}

# Unmount what the test mounted and give the huge pages back, whatever
# shmcat_teardown finds (it stops the test's processes first, which may
# hold files in a mount).
teardown() {
	local rc=0 m
	shmcat_teardown || rc=$?
	for m in "${MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" || rc=1
	done
	if [[ -n $HUGE_OLD ]]; then
		echo "$HUGE_OLD" >/proc/sys/vm/nr_hugepages || rc=1
	fi
	return "$rc"
}

# need_root WHY: skip, saying why, unless we are root.
need_root() {
	(($(id -u) == 0)) || skip "needs root to $1"
}

# mount_tmpfs DIR [MODE]: a 16 MiB tmpfs at DIR whose root has MODE
# (default 0755), unmounted by teardown.
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=16m,mode=${2:-0755}" shmcat-test "$1" ||
		_fail "mount -t tmpfs $1 failed" || return
	MOUNTS+=("$1")
}

# in_dir DIR NAME: DIR holds the ring file of NAME.
in_dir() {
	[[ -f $1/shmcat.$2 ]]
}

# assert_empty_dir DIR: nothing in DIR (no ring, no build file).
assert_empty_dir() {
	local left
	left=$(ls -A "$1")
	[[ -z $left ]] || _fail "$1 is not empty" "it holds: $(echo $left)"
}

# dir_kv DIR NAME KEY: one value of `shmcat status -k --dir DIR NAME`.
dir_kv() {
	timeout 5 "$SHMCAT" status -k --dir "$1" "$2" 2>/dev/null |
		sed -n "s/^$3=//p" | head -n 1
}

################
#  end to end  #
################

@test "--dir: a stream end to end through a tmpfs mounted for the test, nothing in /dev/shm" {
	need_root "mount a tmpfs"
	local M=$T/mnt
	mount_tmpfs "$M"
	seq 1 200000 >"$T/in" # 1.3 MB through a 64K ring: it wraps
	spawn "$SHMCAT_OUT" --dir "$M" -s 64K "$R" >"$T/out"
	local rp=$BG_PID
	wait_until in_dir "$M" "$R"
	assert_no_ring "$R"
	assert_equal "$(dir_kv "$M" "$R" fs)" tmpfs "fs of the ring"
	run -0 --separate-stderr tmo "$SHMCAT_IN" --dir "$M" "$R" <"$T/in"
	assert_job "$rp" 0 "shmcat-out --dir"
	assert_same_file "$T/out" "$T/in"
	assert_empty_dir "$M"
	assert_no_ring "$R"
}

@test "SHMCAT_DIR names the directory; --dir wins over it; empty, it is /dev/shm" {
	mkdir -m 0700 "$T/a" "$T/b"
	echo from-a | SHMCAT_DIR=$T/a tmo "$SHMCAT_IN" "$R"
	in_dir "$T/a" "$R" || _fail "SHMCAT_DIR=$T/a: no ring there"
	assert_no_ring "$R"
	SHMCAT_DIR=$T/b run -2 --separate-stderr tmo "$SHMCAT" status "$R"
	assert_stderr "^shmcat: $R: no such ring$"
	SHMCAT_DIR=$T/b run -0 --separate-stderr tmo "$SHMCAT" list -k --dir "$T/a"
	assert_match "$output" "^name=$R capacity=" "list --dir over SHMCAT_DIR"
	SHMCAT_DIR= run -2 --separate-stderr tmo "$SHMCAT" status "$R"
	assert_stderr "^shmcat: $R: no such ring$"
	SHMCAT_DIR=$T/b run -0 --separate-stderr tmo "$SHMCAT_OUT" --dir "$T/a" "$R"
	assert_equal "$output" from-a "what shmcat-out --dir read"
	assert_empty_dir "$T/a"
	assert_empty_dir "$T/b"
	run -2 --separate-stderr tmo "$SHMCAT_IN" --dir "" "$R" </dev/null
	assert_stderr "^shmcat-in: invalid directory '': give a path$"
	run -2 --separate-stderr tmo "$SHMCAT" list --dir=
	assert_stderr "^shmcat: invalid directory '': give a path$"
}

@test "rings of one name in two directories and /dev/shm do not meet" {
	mkdir -m 0700 "$T/a" "$T/b"
	spawn "$SHMCAT_OUT" --dir "$T/a" "$R" >"$T/out-a"
	local rp=$BG_PID
	wait_until in_dir "$T/a" "$R"
	echo "to b" | tmo "$SHMCAT_IN" --dir "$T/b" "$R"
	echo "to shm" | tmo "$SHMCAT_IN" "$R"
	# the reader in a saw nothing of them
	assert_equal "$(dir_kv "$T/a" "$R" bytes_in)" 0 "bytes written into a's ring"
	assert_equal "$(dir_kv "$T/b" "$R" bytes_in)" 5 "bytes written into b's ring"
	assert_equal "$(ring_kv "$R" bytes_in)" 7 "bytes written into /dev/shm's ring"
	echo "to a" | tmo "$SHMCAT_IN" --dir "$T/a" "$R"
	assert_job "$rp" 0 "the reader in a"
	assert_equal "$(cat "$T/out-a")" "to a" "what the reader in a read"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" --dir "$T/b" "$R"
	assert_equal "$output" "to b" "what a reader in b reads"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" "to shm" "what a reader in /dev/shm reads"
	assert_empty_dir "$T/a"
	assert_empty_dir "$T/b"
	assert_no_ring "$R"
}

########################
#  directories refused #
########################

@test "a directory others may write without the sticky bit is refused, naming its mode; sticky or group-writable, it is used" {
	need_root "mount a tmpfs"
	# a memory emptyDir as Kubernetes mounts one, elsewhere than /dev/shm
	local M=$T/open
	mount_tmpfs "$M" 0777
	run -2 --separate-stderr tmo "$SHMCAT_IN" --dir "$M" "$R" <<<"x"
	assert_stderr "^shmcat-in: $R: $M: directory mode 0777 is writable by others and not sticky$"
	run -2 --separate-stderr tmo "$SHMCAT_OUT" -n --dir "$M" "$R"
	assert_stderr "^shmcat-out: $R: $M: directory mode 0777 is writable by others and not sticky$"
	assert_empty_dir "$M"
	# inspection looks in any directory
	run -0 --separate-stderr tmo "$SHMCAT" list -k --dir "$M"
	assert_equal "$output" "" "shmcat list -k of the refused directory"
	chmod 1777 "$M"
	echo sticky | tmo "$SHMCAT_IN" --dir "$M" "$R"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" --dir "$M" "$R"
	assert_equal "$output" sticky "read through the sticky directory"
	chmod 0770 "$M"
	echo group | tmo "$SHMCAT_IN" --dir "$M" "$R"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" --dir "$M" "$R"
	assert_equal "$output" group "read through the group-writable directory"
	assert_empty_dir "$M"
}

@test "a directory owned by another user is refused, naming the owner; --owner trusts it" {
	need_root "chown a directory"
	local D=$T/theirs
	mkdir -m 0755 "$D"
	chown nobody "$D"
	run -2 --separate-stderr tmo "$SHMCAT_IN" --dir "$D" "$R" <<<"x"
	assert_stderr "^shmcat-in: $R: $D: directory is owned by nobody \(uid 65534\); pass --owner=nobody to trust it$"
	assert_empty_dir "$D"
	echo trusted | tmo "$SHMCAT_IN" --owner=nobody --dir "$D" "$R"
	run -2 --separate-stderr tmo "$SHMCAT_OUT" --dir "$D" "$R"
	assert_stderr "^shmcat-out: $R: $D: directory is owned by nobody \(uid 65534\); pass --owner=nobody to trust it$"
	run -0 --separate-stderr tmo "$SHMCAT" status -k --dir "$D" "$R"
	assert_match "$output" $'\nbuffered=8\n' "status in the untrusted directory"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" --owner=nobody --dir "$D" "$R"
	assert_equal "$output" trusted "read with --owner=nobody"
	assert_empty_dir "$D"
	chown 4242 "$D"
	run -2 --separate-stderr tmo "$SHMCAT_IN" --dir "$D" "$R" <<<"x"
	assert_stderr "^shmcat-in: $R: $D: directory is owned by uid 4242; pass --owner=4242 to trust it$"
	assert_empty_dir "$D"
}

@test "a missing directory, or a file, is named with the cause: exit 2 from all three" {
	local prog
	for prog in shmcat-in shmcat-out; do
		run -2 --separate-stderr tmo "$SHMCAT_BIN/$prog" -n --dir "$T/none" "$R" </dev/null
		assert_stderr "^$prog: $R: $T/none: No such file or directory$"
	done
	run -2 --separate-stderr tmo "$SHMCAT" list --dir "$T/none"
	assert_stderr "^shmcat: $T/none: No such file or directory$"
	run -2 --separate-stderr tmo "$SHMCAT" status --dir "$T/none" "$R"
	assert_stderr "^shmcat: $R: $T/none: No such file or directory$"
	run -2 --separate-stderr tmo "$SHMCAT" rm --dir "$T/none" "$R"
	assert_stderr "^shmcat: $R: $T/none: No such file or directory$"
	: >"$T/file"
	run -2 --separate-stderr tmo "$SHMCAT_IN" --dir "$T/file" "$R" </dev/null
	assert_stderr "^shmcat-in: $R: $T/file: Not a directory$"
	assert_no_ring "$R"
}

@test "a directory on a network or FUSE filesystem is refused by all three (its statfs type faked by a shim)" {
	need cc
	cc -shared -fPIC -o "$T/fsshim.so" "$BATS_TEST_DIRNAME/fsshim.c" -ldl
	local D=$T/remote type prog
	mkdir -m 0700 "$D"
	for type in 0x6969 0x65735546; do # nfs, fuse
		for prog in shmcat-in shmcat-out; do
			FSSHIM_TYPE=$type LD_PRELOAD=$T/fsshim.so \
			    ASAN_OPTIONS=verify_asan_link_order=0 \
			    run -2 --separate-stderr tmo "$SHMCAT_BIN/$prog" -n --dir "$D" "$R" <<<"x"
			assert_stderr "^$prog: $R: $D: directory is on a network or FUSE filesystem \(type $type\); a ring needs memory this machine shares$"
		done
		FSSHIM_TYPE=$type LD_PRELOAD=$T/fsshim.so ASAN_OPTIONS=verify_asan_link_order=0 \
		    run -2 --separate-stderr tmo "$SHMCAT" list --dir "$D"
		assert_stderr "^shmcat: $D: directory is on a network or FUSE filesystem$"
	done
	assert_empty_dir "$D"
	# The shim is what refused it: said to be tmpfs, the directory is used.
	printf 'abc' | FSSHIM_TYPE=0x01021994 LD_PRELOAD=$T/fsshim.so \
	    ASAN_OPTIONS=verify_asan_link_order=0 tmo "$SHMCAT_IN" -k --dir "$D" "$R"
	FSSHIM_TYPE=0x01021994 LD_PRELOAD=$T/fsshim.so ASAN_OPTIONS=verify_asan_link_order=0 \
	    run -0 --separate-stderr tmo "$SHMCAT" status -k --dir "$D" "$R"
	assert_match "$output" $'\nfs=tmpfs\n' "fs as the shim tells it"
	run -0 --separate-stderr tmo "$SHMCAT" rm --dir "$D" "$R"
	assert_empty_dir "$D"
}

#########################
#  list, status and rm  #
#########################

@test "list, status and rm with --dir see only that directory's rings and build files" {
	local D=$T/d build
	mkdir -m 0700 "$D"
	printf 'abc' | tmo "$SHMCAT_IN" -k --dir "$D" "$R"
	printf 'wxyz' | tmo "$SHMCAT_IN" -k "$R-shm"
	expect_left "$R-shm"
	build=$R~$(dead_pid)
	head -c 12288 /dev/zero >"$D/shmcat.$build"
	run -0 --separate-stderr tmo "$SHMCAT" list -k --dir "$D"
	assert_match "$output" "(^|"$'\n'")name=$R capacity=4194304 buffered=3 state=open " "the ring in $D"
	assert_match "$output" "name=$build state=abandoned" "the build file in $D"
	assert_not_match "$output" "$R-shm" "the ring in /dev/shm"
	run -0 --separate-stderr tmo "$SHMCAT" list -k
	assert_match "$output" "name=$R-shm capacity=" "list without --dir"
	assert_not_match "$output" "name=$R capacity=" "list without --dir"
	run -0 --separate-stderr tmo "$SHMCAT" status --dir "$D" "$R"
	assert_match "$output" "lives in  $D \(" "status --dir"
	run -0 --separate-stderr tmo "$SHMCAT" rm --dir "$D" "$R" "$build"
	assert_empty_dir "$D"
	run -2 --separate-stderr tmo "$SHMCAT" rm --dir "$D" "$R"
	assert_stderr "^shmcat: $R: no such ring$"
	run -0 --separate-stderr tmo "$SHMCAT" rm "$R-shm"
	assert_no_ring "$R-shm"
}

@test "status names the directory and its filesystem: -k, --json and the human form" {
	need_root "mount a tmpfs"
	need jq
	local M=$T/mnt disk want
	mount_tmpfs "$M"
	printf 'abc' | tmo "$SHMCAT_IN" --dir "$M/" -k -s 8K "$R"
	run -0 --separate-stderr tmo "$SHMCAT" status -k --dir "$M" "$R"
	assert_match "$output" $'\ndir='"$M"$'\nfs=tmpfs\npage_size=4096\n' "status -k"
	run -0 --separate-stderr tmo "$SHMCAT" status --json --dir "$M" "$R"
	run -0 jq -r '.rings[0] | "\(.dir) \(.fs) \(.page_size) \(.object_size)"' <<<"$output"
	assert_equal "$output" "$M tmpfs 4096 16384" "status --json"
	run -0 --separate-stderr tmo "$SHMCAT" list --json --dir "$M"
	run -0 jq -r '.rings[0] | "\(.name) \(.dir) \(.fs)"' <<<"$output"
	assert_equal "$output" "$R $M tmpfs" "list --json"
	run -0 --separate-stderr tmo "$SHMCAT" status --dir "$M" "$R"
	assert_match "$output" "lives in  $M \(tmpfs\)" "status"
	run -0 --separate-stderr tmo "$SHMCAT" rm --dir "$M" "$R"
	# a directory on the filesystem of $T: tmpfs, or (a disk) other
	disk=$T/disk
	mkdir -m 0700 "$disk"
	want=other
	[[ $(stat -f -c %T "$disk") == tmpfs ]] && want=tmpfs
	printf 'abc' | tmo "$SHMCAT_IN" --dir "$disk" -k "$R"
	assert_equal "$(dir_kv "$disk" "$R" fs)" "$want" "fs of $disk"
	run -0 --separate-stderr tmo "$SHMCAT" rm --dir "$disk" "$R"
	# and the default
	printf 'abc' | tmo "$SHMCAT_IN" -k "$R"
	expect_left "$R"
	assert_equal "$(ring_kv "$R" dir) $(ring_kv "$R" fs)" "/dev/shm tmpfs" "the default"
	run -0 --separate-stderr tmo "$SHMCAT" rm "$R"
}

###############
#  hugetlbfs  #
###############

# mount_hugetlbfs DIR PAGES: a hugetlbfs at DIR, with PAGES more huge
# pages in the pool (teardown unmounts and gives them back).  1, with
# the reason in HUGE_WHY, if this machine cannot.
mount_hugetlbfs() {
	local want
	if ! grep -qw hugetlbfs /proc/filesystems; then
		HUGE_WHY="the kernel has no hugetlbfs"
		return 1
	fi
	if [[ ! -w /proc/sys/vm/nr_hugepages ]]; then
		HUGE_WHY="/proc/sys/vm/nr_hugepages is not writable"
		return 1
	fi
	HUGE_OLD=$(cat /proc/sys/vm/nr_hugepages)
	want=$((HUGE_OLD + $2))
	echo "$want" >/proc/sys/vm/nr_hugepages || true
	if (($(cat /proc/sys/vm/nr_hugepages) < want)); then
		HUGE_WHY="the kernel gave $(cat /proc/sys/vm/nr_hugepages) of the $want huge pages asked for"
		return 1
	fi
	mkdir -p "$1"
	if ! mount -t hugetlbfs shmcat-test "$1"; then
		HUGE_WHY="mount -t hugetlbfs failed"
		return 1
	fi
	MOUNTS+=("$1")
}

@test "hugetlbfs: header and capacity are whole huge pages; a stream wraps through them intact" {
	need_root "mount a hugetlbfs and grow the huge page pool"
	local H=$T/huge page
	mount_hugetlbfs "$H" 4 || skip "no hugetlbfs here: $HUGE_WHY"
	page=$(($(awk '/^Hugepagesize:/ { print $2 }' /proc/meminfo) * 1024))
	((page > 4096)) || _fail "Hugepagesize of $page bytes"
	head -c $((3 * page + 12345)) /dev/urandom >"$T/in" # more than the ring: it wraps
	spawn "$SHMCAT_OUT" --dir "$H" -s 1 "$R" >"$T/out" # one huge page of data
	local rp=$BG_PID
	wait_until in_dir "$H" "$R"
	assert_equal "$(dir_kv "$H" "$R" capacity) $(dir_kv "$H" "$R" page_size) $(dir_kv "$H" "$R" fs)" \
	    "$page $page hugetlbfs" "capacity, page_size and fs"
	assert_size "$H/shmcat.$R" $((2 * page)) # a page of header, one of data
	run -0 --separate-stderr tmo "$SHMCAT" status --dir "$H" "$R"
	assert_match "$output" "lives in  $H \(hugetlbfs\)" "status"
	run -0 --separate-stderr tmo "$SHMCAT_IN" --dir "$H" "$R" <"$T/in"
	assert_job "$rp" 0 "shmcat-out --dir on hugetlbfs"
	assert_same_file "$T/out" "$T/in"
	assert_empty_dir "$H"
	# A ring the free huge pages cannot hold fails at once, not later.
	run -2 --separate-stderr tmo "$SHMCAT_IN" --dir "$H" -s $((64 * page)) "$R" <<<"x"
	assert_stderr "^shmcat-in: $R: posix_fallocate: No space left on device$"
	assert_empty_dir "$H"
}

##############
#  library   #
##############

# cc_lib NAME: build $T/NAME.c against the archive, warnings fatal.
cc_lib() {
	run -0 cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $TEST_LDFLAGS \
		-I"$REPO/include" -o "$T/$1" "$T/$1.c" "$SHMCAT_BIN/libshmcat.a" \
		-lpthread
}

@test "library: shmcat_open with .dir, the _in forms, a refused directory, and fork" {
	cat >"$T/dir.c" <<'C'
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "shmcat.h"

static int seen;

static int
count(const char *name, void *ctx)
{
	seen += strcmp(name, ctx) == 0;
	return 0;
}

/* How many of this process's descriptors are open on the directory. */
static int
fds_on(const char *dir)
{
	char real[PATH_MAX], fd[64], to[PATH_MAX];
	int i, n = 0;
	ssize_t len;

	if (realpath(dir, real) == NULL)
		return -1;
	for (i = 0; i < 1024; i++) {
		snprintf(fd, sizeof(fd), "/proc/self/fd/%d", i);
		if ((len = readlink(fd, to, sizeof(to) - 1)) < 0)
			continue;
		to[len] = '\0';
		n += strcmp(to, real) == 0;
	}
	return n;
}

int
main(int argc, char **argv)
{
	const char *dir = argv[1], *name = argv[2], *open_dir = argv[3];
	struct shmcat_opts o = {.role = SHMCAT_WRITER, .size = 8192, .dir = dir};
	struct shmcat_ring *w, *r, *other;
	struct shmcat_status st;
	struct shmcat_error err;
	char path[PATH_MAX];
	const void *p;
	void *q;
	size_t n;
	pid_t pid;
	int rc, status;

	(void)argc;
	if (shmcat_open(name, &o, &w, &err) != 0)
		return 10;
	shmcat_write_span(w, &q);
	memcpy(q, "in dir\n", 7);
	shmcat_write_commit(w, 7);
	if (shmcat_status(w, &st) != 0)
		return 11;
	printf("status: %s %s %llu %llu\n", strcmp(st.dir, dir) ? st.dir : "DIR",
	    st.fs, (unsigned long long)st.page_size,
	    (unsigned long long)st.object_size);
	shmcat_path_in(dir, name, path, sizeof(path));
	printf("path: %d\n", access(path, F_OK) == 0);
	shmcat_list_in(dir, count, (void *)name);
	printf("list_in: %d, ", seen);
	seen = 0;
	shmcat_list(count, (void *)name);
	printf("list: %d\n", seen);
	/* the same name in the default directory is another ring */
	o.role = SHMCAT_READER;
	o.dir = NULL;
	o.flags = SHMCAT_O_NOCREATE;
	printf("default: %s\n", shmcat_strerror(shmcat_open(name, &o, &other, &err)));
	o.dir = dir;
	if (shmcat_open(name, &o, &r, &err) != 0)
		return 12;
	n = shmcat_read_span(r, &p);
	printf("read: %.*s", (int)n, (const char *)p);
	printf("fds: %d, ", fds_on(dir));
	if ((pid = fork()) == 0)
		_exit(fds_on(dir));
	waitpid(pid, &status, 0);
	printf("in a child: %d\n", WEXITSTATUS(status));
	printf("remove: %s, ", shmcat_strerror(shmcat_remove_in(dir, name, 0, &err)));
	shmcat_close(w, SHMCAT_KEEP_OPEN);
	shmcat_close(r, SHMCAT_END);
	rc = shmcat_remove_in(dir, name, 0, &err);
	printf("%d %d\n", rc, access(path, F_OK) == 0);
	/* a directory others may write, without the sticky bit */
	o.role = SHMCAT_WRITER;
	o.dir = open_dir;
	rc = shmcat_open(name, &o, &w, &err);
	printf("refused: %d %s %o\n", rc == -SHMCAT_EDIRMODE, err.call,
	    (unsigned)err.dir_mode);
	o.role = SHMCAT_INSPECT;
	rc = shmcat_open(name, &o, &w, &err);
	printf("inspect: %d %s\n", rc == -ENOENT, err.call);
	printf("missing: %d ", shmcat_list_in("/nonexistent/x", count, NULL) == -ENOENT);
	rc = shmcat_remove_in("/nonexistent/x", name, 0, &err);
	printf("%d %s ", rc == -ENOENT, err.call);
	printf("%d\n", shmcat_path_in("", name, path, sizeof(path)) == -EINVAL);
	return 0;
}
C
	cc_lib dir
	mkdir -m 0700 "$T/d"
	mkdir "$T/open"
	chmod 0777 "$T/open"
	local fs=other
	[[ $(stat -f -c %T "$T/d") == tmpfs ]] && fs=tmpfs
	run -0 --separate-stderr tmo "$T/dir" "$T/d" "$R" "$T/open"
	assert_equal "$output" "$(printf '%s\n' \
		"status: DIR $fs 4096 16384" \
		"path: 1" \
		"list_in: 1, list: 0" \
		"default: $(strerror ENOENT)" \
		"read: in dir" \
		"fds: 2, in a child: 0" \
		"remove: ring is in use, 0 0" \
		"refused: 1 dir 40777" \
		"inspect: 1 open" \
		"missing: 1 1 dir 1")"
	assert_empty_dir "$T/d"
	assert_empty_dir "$T/open"
	assert_no_ring "$R"
}

# strerror NAME: the C library's words for errno NAME.
strerror() {
	perl -MPOSIX -e '$! = POSIX->can($ARGV[0])->(); print "$!"' "$1"
}
