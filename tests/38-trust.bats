#!/usr/bin/env bats
# 38-trust, "Nobody else's memory": rings other users control.
# /dev/shm is a shared sticky directory, like /tmp: any local user may
# create shmcat.NAME first.  The filters attach only to rings their own
# effective uid owns, unless told whom else to trust (--owner, --group);
# shmcat status and list only read.  The tests run as root (CI does) and
# play the other users with setpriv: nobody (65534, group nogroup) and a
# uid without a name.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	shmcat_setup_file
	(($(id -u) == 0)) || skip "needs root to play other users (setpriv)"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	NOBODY_GROUP=$(id -gn nobody)
	export NOBODY_GROUP
}

setup() {
	shmcat_setup
	umask 000 # -m gives the modes exactly
}

teardown() {
	shmcat_teardown
}

# Command prefixes that run a command as another user and group, with
# no other groups (arrays, so that timeout and spawn can run them).
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
U4242=(setpriv --reuid=4242 --regid=4242 --clear-groups --)
U4242_NOGROUP=(setpriv --reuid=4242 --regid=65534 --clear-groups --)

# owner_of NAME: the user name owning ring NAME.
owner_of() {
	stat -c %U "$SHMDIR/shmcat.$1"
}

################
#  squatting   #
################

@test "squatting: another user's reader waits on the name; our writer refuses the ring with exit 2 and names the owner" {
	spawn "${NOBODY[@]}" "$SHMCAT_OUT" -m 0666 "$R" >"$T/stolen" 2>"$T/nobody.err"
	local np=$BG_PID
	wait_until ring_exists "$R"
	assert_equal "$(owner_of "$R")" nobody "owner of the ring"
	run -2 --separate-stderr tmo "$SHMCAT_IN" "$R" <<<"secret"
	assert_stderr "^shmcat-in: $R: ring is owned by nobody \(uid 65534\); pass --owner=nobody to share it$"
	kill -TERM "$(child_of "$np")"
	wait_job "$np"
	assert_size "$T/stolen" 0
}

@test "squatting: another user's writer fills the name first; our reader refuses it with exit 2 and prints nothing" {
	echo FAKE | tmo "${NOBODY[@]}" "$SHMCAT_IN" -m 0666 "$R"
	assert_ring "$R"
	run -2 --separate-stderr tmo "$SHMCAT_OUT" -n "$R"
	assert_equal "$output" "" "what shmcat-out printed"
	assert_stderr "^shmcat-out: $R: ring is owned by nobody \(uid 65534\); pass --owner=nobody to share it$"
	run -2 --separate-stderr tmo "$SHMCAT_OUT" -n --tap "$R"
	assert_equal "$output" "" "what shmcat-out --tap printed"
	expect_left "$R"
}

@test "squatting: the other user is squatted on too: nobody refuses root's ring" {
	printf 'x' | tmo "$SHMCAT_IN" -m 0666 -k "$R"
	run -2 --separate-stderr tmo "${NOBODY[@]}" "$SHMCAT_OUT" -n "$R"
	assert_stderr "^shmcat-out: $R: ring is owned by root \(uid 0\); pass --owner=root to share it$"
	expect_left "$R"
}

@test "squatting: a ring owned by a uid without a name is named by number" {
	echo FAKE | tmo "${U4242[@]}" "$SHMCAT_IN" -m 0666 "$R"
	run -2 --separate-stderr tmo "$SHMCAT_OUT" -n "$R"
	assert_stderr "^shmcat-out: $R: ring is owned by uid 4242; pass --owner=4242 to share it$"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" -n --owner=4242 "$R"
	assert_equal "$output" FAKE "delivered"
}

#####################
#  explicit trust   #
#####################

@test "sharing: --owner=USER attaches to that user's ring, and to ours" {
	echo hello | tmo "${NOBODY[@]}" "$SHMCAT_IN" -m 0600 "$R"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" -n --owner=nobody "$R"
	assert_equal "$output" hello "delivered"
	assert_no_ring "$R"
	# Trusting someone else does not stop us trusting ourselves.
	echo mine | tmo "$SHMCAT_IN" --owner=nobody "$R"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" -n "$R"
	assert_equal "$output" mine "delivered"
}

@test "sharing: --owner=UID by number" {
	echo hello | tmo "${NOBODY[@]}" "$SHMCAT_IN" "$R"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" -n --owner=65534 "$R"
	assert_equal "$output" hello "delivered"
}

@test "sharing: trusting one user does not trust another" {
	echo FAKE | tmo "${U4242[@]}" "$SHMCAT_IN" "$R"
	run -2 --separate-stderr tmo "$SHMCAT_OUT" -n --owner=nobody "$R"
	assert_stderr "^shmcat-out: $R: ring is owned by uid 4242; pass --owner=4242 to share it$"
	expect_left "$R"
}

@test "sharing: a mistyped user or group is an error, never anyone (exit 2, ring untouched)" {
	echo FAKE | tmo "${NOBODY[@]}" "$SHMCAT_IN" "$R"
	local opt
	for opt in --owner=nobdy --group=nogrop --owner= --group= --owner=-1 --owner=12x; do
		run -2 --separate-stderr tmo "$SHMCAT_OUT" -n "$opt" "$R"
		assert_equal "$output" "" "shmcat-out $opt printed"
		assert_stderr "^shmcat-out: (unknown|invalid) (user|group) "
		run -2 --separate-stderr tmo "$SHMCAT_IN" "$opt" "$R" <<<"x"
		assert_stderr "^shmcat-in: (unknown|invalid) (user|group) "
	done
	run -0 --separate-stderr tmo "$SHMCAT_OUT" -n --owner=nobody "$R"
	assert_equal "$output" FAKE "the ring, still as it was"
}

# A number is taken as given, named or not (a container's users often
# have no name here): it trusts that id and no other, as README and the
# pages say (issue 20, part 3).
@test "sharing: a number that names nobody trusts that id alone" {
	! getent passwd 4243 >/dev/null || skip "uid 4243 has a name here"
	! getent group 4243 >/dev/null || skip "gid 4243 has a name here"
	echo FAKE | tmo "${U4242[@]}" "$SHMCAT_IN" "$R"
	run -2 --separate-stderr tmo "$SHMCAT_OUT" -n --owner=4243 --group=4243 "$R"
	assert_stderr "^shmcat-out: $R: ring is owned by uid 4242; pass --owner=4242 to share it$"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" -n --owner=4242 "$R"
	assert_equal "$output" FAKE "delivered"
	local doc
	for doc in "$REPO/README.md" "$REPO/man/shmcat-in.1" "$REPO/man/shmcat-out.1"; do
		grep -q "number is taken as" "$doc" || _fail "$doc does not say how a number is taken"
	done
}

@test "sharing: a group ring at 0660: group members attach with --group, others are refused" {
	# nobody builds the ring in its group nogroup, readable and
	# writable by the group; uid 4242, also in nogroup, reads it.
	spawn "${NOBODY[@]}" "$SHMCAT_IN" -m 0660 "$R" <<<"for the group" 2>"$T/in.err"
	local wp=$BG_PID
	wait_job "$wp"
	assert_status "$jstatus" 0 "shmcat-in as nobody"
	assert_equal "$(stat -c %a:%G "$SHMDIR/shmcat.$R")" "660:$NOBODY_GROUP" "mode and group"
	run -2 --separate-stderr tmo "${U4242_NOGROUP[@]}" "$SHMCAT_OUT" -n "$R"
	assert_stderr "ring is owned by nobody"
	run -2 --separate-stderr tmo "${U4242[@]}" "$SHMCAT_OUT" -n --group="$NOBODY_GROUP" "$R"
	assert_stderr "^shmcat-out: $R: "
	run -0 --separate-stderr tmo "${U4242_NOGROUP[@]}" "$SHMCAT_OUT" -n --group="$NOBODY_GROUP" "$R"
	assert_equal "$output" "for the group" "delivered"
	# /dev/shm is sticky: only the owner (or root) may remove the name,
	# so the finished ring stays until its owner's side or rm does.
	expect_left "$R"
}

@test "sharing: a ring in another group is refused even with --group" {
	echo FAKE | tmo "${NOBODY[@]}" "$SHMCAT_IN" -m 0660 "$R"
	run -2 --separate-stderr tmo "$SHMCAT_OUT" -n --group=root "$R"
	assert_stderr "ring is owned by nobody"
	expect_left "$R"
}

#########################
#  read-only inspection #
#########################

@test "inspection: status and list work with read permission only" {
	printf 'abc' | tmo "$SHMCAT_IN" -m 0644 -k "$R"
	expect_left "$R"
	run -0 --separate-stderr tmo "${NOBODY[@]}" "$SHMCAT" status -k "$R"
	assert_match "$output" $'(^|\n)buffered=3(\n|$)' "status -k"
	run -0 --separate-stderr tmo "${NOBODY[@]}" "$SHMCAT" list -k
	assert_match "$output" "(^|"$'\n'")name=$R capacity=" "list -k"
}

@test "inspection: status of another user's ring works and changes nothing" {
	printf 'abc' | tmo "${NOBODY[@]}" "$SHMCAT_IN" -m 0644 -k "$R"
	expect_left "$R"
	local before
	before=$(md5sum <"$SHMDIR/shmcat.$R")
	run -0 --separate-stderr tmo "$SHMCAT" status "$R"
	assert_equal "$(md5sum <"$SHMDIR/shmcat.$R")" "$before" "the ring's bytes"
}

########################
#  a peer in the group #
########################

@test "group peer: nobody, in the ring's group, rewrites tail under root's stream: both sides end with a documented status" {
	local hostile=${SHMCAT_HOSTILE:-$SHMCAT_BIN/hostile}
	[[ -x $hostile ]] || skip "$hostile is missing: make $hostile"
	head -c 100000 /dev/urandom >"$T/in"
	# 2 MB in 20 bursts over about 2 s, so the peer meets a live stream.
	spawn bash -c 'for ((i = 0; i < 20; i++)); do cat "$0"; sleep 0.1; done |
		"$1" -m 0660 -t 5 -s 64K "$2"; exit "${PIPESTATUS[1]}"' \
		"$T/in" "$SHMCAT_IN" "$R" 2>"$T/in.err"
	local wp=$BG_PID
	wait_until ring_exists "$R"
	chgrp "$NOBODY_GROUP" "$SHMDIR/shmcat.$R"
	spawn "$SHMCAT_OUT" -t 8 "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID
	expect_left "$R"
	# Attached first: a reader that attaches to a header already
	# rewritten is refused at attach (2), another scene (35-hostile).
	wait_until ring_is "$R" readers_alive 1
	# The peer may write the ring (group rw) but owns nothing.
	spawn "${U4242_NOGROUP[@]}" "$hostile" -r 2 "$R" tail tail+5000
	local peer=$BG_PID
	wait_job "$wp"
	case $jstatus in
	0) ;;
	1) assert_file_match "$T/in.err" "^shmcat-in: $R: .*corrupt" ;;
	*) assert_status "$jstatus" "0 or 1" "root's shmcat-in" ;;
	esac
	wait_job "$rp"
	case $jstatus in
	0 | 4) ;;
	1) assert_file_match "$T/out.err" "^shmcat-out: $R: .*corrupt" ;;
	3) assert_file_match "$T/out.err" "^shmcat-out: $R: .*truncated" ;;
	*) assert_status "$jstatus" "0, 1, 3 or 4" "root's shmcat-out" ;;
	esac
	wait_job "$peer"
	assert_status "$jstatus" 0 "the peer (it could write the ring)"
}
