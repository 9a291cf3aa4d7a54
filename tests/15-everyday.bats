#!/usr/bin/env bats
# Issue 12, everyday use: live progress, strict numbers, non-blocking
# pipes, odd objects at a ring's name, human sizes, JSON.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() { shmcat_setup_file; }
setup() { shmcat_setup; }
teardown() {
	local rc=0
	[[ -n ${TMUX_SOCK:-} ]] && tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
	# shmcat_teardown removes files only; a directory test leaves its own.
	if [[ -d $SHMDIR/shmcat.$R && ! -L $SHMDIR/shmcat.$R ]]; then
		rm -rf "$SHMDIR/shmcat.$R"
		echo "# test left a directory in $SHMDIR: shmcat.$R" >&2
		rc=1
	fi
	shmcat_teardown
	return "$rc"
}

##############
#  progress  #
##############

# tmux_run CMD: run CMD in a detached tmux pane, then "exit=STATUS" on a
# line of its own.
tmux_run() {
	TMUX_SOCK=$T/tmux.sock
	tmux -S "$TMUX_SOCK" new-session -d -x 160 -y 10 "$1; echo exit=\$?; sleep 60" 3>&- 7>&-
}

pane() { tmux -S "$TMUX_SOCK" capture-pane -p; }

_pane_matches() { [[ $(pane) =~ $1 ]]; }

_writer_slept() { (($(ring_kv "$1" writer_sleeps) > 0)); }

# The elapsed time the progress line shows, in seconds.
_elapsed() {
	local p
	p=$(pane)
	[[ $p =~ ([0-9]+):([0-9][0-9]):([0-9][0-9]) ]] || return 1
	echo $((10#${BASH_REMATCH[1]} * 3600 + 10#${BASH_REMATCH[2]} * 60 + 10#${BASH_REMATCH[3]}))
}

_elapsed_gt() {
	local e
	e=$(_elapsed) && ((e > $1))
}

# assert_ticking: the progress line is redrawn at least every second:
# its elapsed time moves on within 2 s, twice.
assert_ticking() {
	local e
	e=$(_elapsed) || _fail "no elapsed time in the pane: $(pane)"
	wait_until -t 2 _elapsed_gt "$e"
	e=$(_elapsed)
	wait_until -t 2 _elapsed_gt "$e"
}

@test "progress: shmcat-in draws at once and every second while input pauses" {
	feed_open
	local t0
	t0=$(now_us)
	tmux_run "timeout $TMO '$SHMCAT_IN' -p -s 64K '$R' <'$FEED'"
	wait_until -t 2 _pane_matches "shmcat-in: $R: 0\.0 B +0:00:0[0-9] +0\.0 B/s +ring +0% full"
	assert_within "$t0" 2000 "the first progress line"
	assert_ticking
	seq 1 1000 >"$T/in"
	feed "$T/in"
	wait_until -t 2 _pane_matches "shmcat-in: $R: 3\.8 KiB +[0-9]+:[0-9]{2}:[0-9]{2} +[0-9.]+ [KMG]?i?B/s +ring +5% full"
	feed_close
	# The last line is left clean: the final count, then the shell's
	# next output on a line of its own.
	wait_until -t 2 _pane_matches $'shmcat-in: '"$R"$': 3\\.8 KiB[^\n]*5% full *\nexit=0'
	run -0 tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" "$(cat "$T/in")"
}

@test "progress: shmcat-in --lines is redrawn while the ring is full" {
	seq 1 100000 >"$T/in"
	tmux_run "timeout $TMO '$SHMCAT_IN' -l -p -s 4K '$R' <'$T/in'"
	wait_until _writer_slept "$R"
	wait_until -t 2 _pane_matches "shmcat-in: $R: [0-9.]+ KiB +[0-9]+:[0-9]{2}:[0-9]{2} +[0-9.]+ [KMG]?i?B/s +ring +[0-9]+% full"
	assert_ticking
	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "shmcat-out"
	assert_same_file "$T/out" "$T/in"
}

@test "progress: shmcat-out is redrawn while its consumer does not read" {
	head -c 4M /dev/zero | tmo "$SHMCAT_IN" -s 8M "$R"
	# The consumer reads a little, then no more: the pipe has room for less
	# than a chunk, and stays so.
	tmux_run "timeout $TMO '$SHMCAT_OUT' -p '$R' | { head -c 10000 >/dev/null; sleep $TMO; }"
	wait_until -t 2 _pane_matches "shmcat-out: $R: [0-9.]+ [KM]iB +[0-9]+:[0-9]{2}:[0-9]{2} "
	assert_ticking
	tmux -S "$TMUX_SOCK" kill-server
	TMUX_SOCK=
	run -0 tmo "$SHMCAT" rm -f "$R"
}

@test "progress: shmcat-out draws at once and every second while it waits" {
	local t0
	t0=$(now_us)
	tmux_run "timeout $TMO '$SHMCAT_OUT' -p -s 64K '$R' >'$T/out'"
	wait_until -t 2 _pane_matches "shmcat-out: $R: 0\.0 B +0:00:0[0-9] +0\.0 B/s +ring +0% full"
	assert_within "$t0" 2000 "the first progress line"
	assert_ticking
	seq 1 1000 >"$T/in"
	run -0 tmo "$SHMCAT_IN" "$R" <"$T/in"
	wait_until -t 2 _pane_matches $'shmcat-out: '"$R"$': 3\\.8 KiB[^\n]*full *\nexit=0'
	assert_same_file "$T/out" "$T/in"
	assert_no_ring "$R"
}

###################
#  strict numbers #
###################

# re_quote STRING: STRING as an ERE that matches it literally.
re_quote() {
	sed 's/[][\\.^$*+?(){}|/]/\\&/g' <<<"$1"
}

# slow: a program run per form; tests/unit/test_parse checks every form
# bats test_tags=slow
@test "-t takes decimal seconds only; anything else is exit 2 naming the form" {
	local bad
	for bad in 0x10 ' 1' '1 ' +1 -1 1e3 inf nan .5 1. '' 1,5 2073601 99999999999999999999; do
		run -2 --separate-stderr tmo "$SHMCAT_OUT" -n -t "$bad" "$R"
		assert_stderr "^shmcat-out: invalid timeout '$(re_quote "$bad")': decimal seconds: digits with an optional fraction, like 2 or 0\.5, at most 2073600$"
		run -2 --separate-stderr tmo "$SHMCAT_IN" "--timeout=$bad" "$R" </dev/null
		assert_stderr "^shmcat-in: invalid timeout '$(re_quote "$bad")': decimal seconds"
	done
	assert_no_ring "$R"
	# The forms documented work.
	run -4 --separate-stderr tmo "$SHMCAT_OUT" -t 0.25 -s 4K "$R"
	assert_stderr "timed out waiting for data"
	run -4 --separate-stderr tmo "$SHMCAT_OUT" -t 0 "$R"
	assert_no_ring "$R"
}

# slow: a program run per form; tests/unit/test_parse checks every form
# bats test_tags=slow
@test "-s takes the documented size forms only; anything else is exit 2 naming them" {
	local bad
	for bad in 0x1000 ' 4K' '4K ' +4K -4K 4k 4KB 4Ki 4B 4kib 4T 1e3 0 0K '' K 65G 68719476737 99999999999999999999K; do
		run -2 --separate-stderr tmo "$SHMCAT_IN" -s "$bad" "$R" </dev/null
		assert_stderr "^shmcat-in: invalid size '$(re_quote "$bad")': digits with an optional suffix K, M, G \\(or KiB, MiB, GiB\\), powers of 1024, from 1 to 64G$"
	done
	assert_no_ring "$R"
	local size cap
	for size in 8192:8192 12K:12288 3KiB:4096 1M:1048576 2MiB:2097152; do
		echo x | tmo "$SHMCAT_IN" -s "${size%%:*}" "$R"
		assert_equal "$(ring_kv "$R" capacity)" "${size#*:}" "capacity for -s ${size%%:*}"
		run -0 tmo "$SHMCAT_OUT" "$R"
	done
}

# slow: a program run per form; tests/unit/test_parse checks every form
# bats test_tags=slow
@test "-m takes 1 to 4 octal digits only" {
	local bad
	for bad in ' 600' +600 0x180 800 1000 0 00000600 ''; do
		run -2 --separate-stderr tmo "$SHMCAT_IN" -m "$bad" "$R" </dev/null
		assert_stderr "^shmcat-in: invalid mode '$(re_quote "$bad")': octal, like 0600"
	done
	assert_no_ring "$R"
}

########################
#  non-blocking pipes  #
########################

# python3 -c "$NB" FD CMD...: run CMD with O_NONBLOCK set on its
# descriptor FD, as a program sharing the pipe (node, python, ...) may
# leave it: the flag belongs to the open file, not to one process.
NB='import fcntl, os, sys
fd = int(sys.argv[1])
fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
os.execv(sys.argv[2], sys.argv[2:])'

# cpu_ticks PID: user + system time of PID so far, in clock ticks.
cpu_ticks() {
	local st
	st=$(cat "/proc/$1/stat")
	st=${st##*) }
	read -r -a f <<<"$st"
	echo $((f[11] + f[12]))
}

_sleeping() { [[ $(cat "/proc/$1/stat" 2>/dev/null) =~ \)\ S ]]; }

# assert_idle PID: PID waits without spinning: asleep, and using at
# most 10 ticks (0.1 s) of CPU over one second.
assert_idle() {
	local t0
	wait_until _sleeping "$1"
	t0=$(cpu_ticks "$1")
	sleep 1 # a window to measure CPU use over, not a synchronisation
	pid_alive "$1" || _fail "pid $1 is gone"
	(($(cpu_ticks "$1") - t0 <= 10)) ||
	    _fail "pid $1 spins" "expected: at most 10 ticks in 1 s" \
		"actual:   $(($(cpu_ticks "$1") - t0))"
}

@test "O_NONBLOCK stdin: shmcat-in waits in poll for a paused producer" {
	feed_open
	spawn python3 -c "$NB" 0 "$SHMCAT_IN" -s 64K "$R" <"$FEED"
	local writer=$BG_PID wpid
	wpid=$(child_of "$writer")
	seq 1 1000 >"$T/in1"
	seq 1001 2000 >"$T/in2"
	feed "$T/in1"
	wait_until ring_is "$R" buffered 3893
	assert_idle "$wpid"
	feed "$T/in2"
	feed_close
	assert_job "$writer" 0 "shmcat-in"
	run_file "$T/out" "$SHMCAT_OUT" "$R"
	assert_status "$status" 0 "shmcat-out"
	assert_same_file "$T/out" <(cat "$T/in1" "$T/in2")
}

@test "O_NONBLOCK stdout: shmcat-out waits in poll for a slow consumer" {
	head -c 8M /dev/urandom >"$T/in"
	spawn "$SHMCAT_IN" -s 1M "$R" <"$T/in"
	local writer=$BG_PID
	spawn bash -c 'python3 -c "$5" 1 "$1" "$2" |
		{ while [[ ! -e $3 ]]; do sleep 0.02; done; exec cat; } >"$4"' \
		_ "$SHMCAT_OUT" "$R" "$T/go" "$T/out" "$NB"
	local reader=$BG_PID rpid
	rpid=$(pid_named "$reader" shmcat-out)
	wait_until ring_full "$R"
	assert_idle "$rpid"
	touch "$T/go"
	assert_job "$reader" 0 "shmcat-out | cat"
	assert_job "$writer" 0 "shmcat-in"
	assert_same_file "$T/out" "$T/in"
}

###################################
#  odd objects at a ring's name   #
###################################

# make_odd KIND PATH: put a KIND at PATH.
make_odd() {
	case $1 in
	directory) mkdir "$2" ;;
	FIFO) mkfifo "$2" ;;
	socket) python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$2" ;;
	"character device") mknod "$2" c 1 3 ;; # /dev/null's numbers
	"symbolic link") ln -s "$T/target" "$2" ;;
	esac
}

@test "odd objects at a ring's name are named, left alone, and rm -f removes them" {
	local kind path=$SHMDIR/shmcat.$R prog
	echo precious >"$T/target"
	for kind in directory FIFO socket "character device" "symbolic link"; do
		if [[ $kind == "character device" ]] && (($(id -u) != 0)); then
			continue # mknod needs root; the other kinds still run
		fi
		make_odd "$kind" "$path"
		for prog in "$SHMCAT status" "$SHMCAT_OUT -n" "$SHMCAT_IN"; do
			run -2 --separate-stderr tmo $prog "$R" </dev/null
			assert_stderr "^shmcat(-in|-out)?: $R: $path is a $kind, not a shmcat ring; left untouched"
		done
		run -2 --separate-stderr tmo "$SHMCAT" rm "$R"
		assert_stderr "^shmcat: $R: $path is a $kind, not a shmcat ring; left untouched \\(use -f to remove it\\)$"
		[[ -e $path || -L $path ]] || _fail "rm without -f removed the $kind"
		run -0 --separate-stderr tmo "$SHMCAT" list
		assert_match "$output" "$R +\\(a $kind, not a shmcat ring\\)" "list"
		run -0 --separate-stderr tmo "$SHMCAT" list --json
		assert_equal "$(jq -c --arg r "$R" '.rings[] | select(.name == $r) | [.state, .error]' <<<"$output")" \
			"[\"invalid\",\"a $kind, not a shmcat ring\"]" "list --json"
		run -0 --separate-stderr tmo "$SHMCAT" rm -f "$R"
		[[ ! -e $path && ! -L $path ]] || _fail "rm -f left the $kind"
	done
	# A symbolic link is removed itself, never its target.
	assert_equal "$(cat "$T/target")" precious "the link's target"
}

@test "rm -f removes an empty directory, never a full one" {
	local path=$SHMDIR/shmcat.$R
	mkdir "$path"
	touch "$path/keep"
	run -2 --separate-stderr tmo "$SHMCAT" rm -f "$R"
	assert_stderr "^shmcat: $R: $path is a directory, not a shmcat ring, and not empty: remove it by hand$"
	[[ -e $path/keep ]] || _fail "rm -f emptied the directory"
	run -2 --separate-stderr tmo "$SHMCAT_IN" -f "$R" </dev/null
	assert_stderr "^shmcat-in: $R: $path is a directory, not a shmcat ring, and not empty: remove it by hand$"
	rm "$path/keep"
	echo data | tmo "$SHMCAT_IN" -f "$R"
	run -0 tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" data
}

@test "status and rm of a missing ring say there is no such ring" {
	run -2 --separate-stderr tmo "$SHMCAT" rm "$R"
	assert_stderr "^shmcat: $R: no such ring$"
	run -2 --separate-stderr tmo "$SHMCAT" rm -f "$R"
	assert_stderr "^shmcat: $R: no such ring$"
	run -2 --separate-stderr tmo "$SHMCAT" status "$R"
	assert_stderr "^shmcat: $R: no such ring$"
}

#################
#  human sizes  #
#################

@test "list and status show sizes for people; -k keeps exact bytes" {
	seq 1 1000 | tmo "$SHMCAT_IN" -s 4M "$R"
	run -0 tmo "$SHMCAT" list
	assert_match "$output" "$R +4\\.0M +3\\.8K +0% +ended +0/0" "list line"
	run -0 tmo "$SHMCAT" status "$R"
	assert_match "$output" "capacity +4\\.0M, 3\\.8K buffered \\(0%\\)" "status capacity"
	assert_match "$output" "bytes in +3\\.8K, out 0 " "status bytes"
	run -0 tmo "$SHMCAT" list -k
	assert_match "$output" "name=$R capacity=4194304 buffered=3893 " "list -k"
	run -0 tmo "$SHMCAT" status -k "$R"
	assert_match "$output" $'capacity=4194304\nbuffered=3893\n' "status -k"
	run -0 tmo "$SHMCAT_OUT" "$R"
	# 1023 bytes stay bytes; 10 units and more lose the decimal.
	head -c 1023 /dev/zero | tmo "$SHMCAT_IN" -s 40K "$R"
	run -0 tmo "$SHMCAT" list
	assert_match "$output" "$R +40K +1023 +2%" "small and round sizes"
	run -0 tmo "$SHMCAT_OUT" "$R"
	# Rounded once: 10701 bytes are 10.45 KiB, shown as 10K (not 11K).
	head -c 10701 /dev/zero | tmo "$SHMCAT_IN" -s 40K "$R"
	run -0 tmo "$SHMCAT" list
	assert_match "$output" "$R +40K +10K +26%" "rounded once"
	run -0 tmo "$SHMCAT_OUT" "$R"
}

##########
#  JSON  #
##########

HOSTILE=${SHMCAT_HOSTILE:-$SHMCAT_BIN/hostile}

@test "status --json: the documented schema, exact numbers, jq reads it" {
	writer_waiting
	local writer=$WRITER wpid=$WPID
	run -0 --separate-stderr tmo "$SHMCAT" status --json "$R"
	local j=$output
	assert_equal "$(jq -r '.schema' <<<"$j")" 1 "schema"
	assert_equal "$(jq -r '.rings | length' <<<"$j")" 1 "rings"
	assert_equal "$(jq -c '.rings[0] | [.name, .capacity, .object_size > .capacity, .buffered, .fill_pct, .bytes_in, .bytes_out, .state, .record_mode]' <<<"$j")" \
		"[\"$R\",8192,true,3893,47,3893,0,\"open\",\"bytes\"]" "ring fields"
	assert_equal "$(jq -c '.rings[0].writer' <<<"$j")" \
		"{\"pid\":$wpid,\"alive\":true,\"active\":1,\"sleeps\":0}" "writer"
	assert_equal "$(jq -c '.rings[0] | [.readers_alive, (.readers | length), .readers[0].slot, .readers[0].kind, .readers[0].name, .readers[0].pos, .readers[0].lag, .readers[0].pid, .readers[0].alive]' <<<"$j")" \
		'[0,1,0,"default",null,0,3893,0,false]' "readers"
	assert_match "$(jq -r '.rings[0] | "\(.created) \(.creator_pid)"' <<<"$j")" "^[0-9]{10} $wpid$" "created"
	# -k and --json are exclusive; rm takes no --json.
	run -2 --separate-stderr tmo "$SHMCAT" status -k --json "$R"
	assert_stderr "-k and --json"
	run -2 --separate-stderr tmo "$SHMCAT" rm --json "$R"
	feed_close
	assert_job "$writer" 0 "writer"
	run -0 tmo "$SHMCAT_OUT" "$R"
	# A missing ring: reported on stderr, exit 2, still a JSON document.
	run -2 --separate-stderr tmo "$SHMCAT" status --json "$R"
	assert_stderr "^shmcat: $R: no such ring$"
	assert_equal "$(jq -c . <<<"$output")" '{"schema":1,"rings":[]}' "missing ring"
}

@test "list --json: every ring, invalid objects with the reason" {
	seq 1 1000 | tmo "$SHMCAT_IN" -s 64K "$R"
	head -c 20000 /dev/zero >"$SHMDIR/shmcat.$R-x"
	run -0 --separate-stderr tmo "$SHMCAT" list --json
	assert_equal "$(jq -c --arg r "$R" '.rings[] | select(.name == $r) | [.capacity, .buffered, .state, .writer.alive, .readers_alive]' <<<"$output")" \
		'[65536,3893,"ended",false,0]' "ring"
	assert_equal "$(jq -c --arg r "$R-x" '.rings[] | select(.name == $r) | [.state, .error]' <<<"$output")" \
		'["invalid","not a shmcat ring"]' "foreign object"
	run -0 --separate-stderr tmo "$SHMCAT" -j list
	jq -e . <<<"$output" >/dev/null || _fail "-j list is not JSON: $output"
	rm "$SHMDIR/shmcat.$R-x"
	run -0 tmo "$SHMCAT_OUT" "$R"
}

@test "list --json stays one document beside a dead creator's build file" {
	seq 1 10 | tmo "$SHMCAT_IN" -s 64K "$R"
	dead_build "$R" abc1
	run -0 --separate-stderr tmo "$SHMCAT" list --json
	assert_equal "$(jq -c --arg r "$BUILD" '.rings[] | select(.name == $r) | [.state, (.error | length > 0)]' <<<"$output")" \
		'["abandoned",true]' "the build file"
	assert_equal "$(jq -c --arg r "$R" '.rings[] | select(.name == $r) | .state' <<<"$output")" \
		'"ended"' "the ring beside it"
	run -0 --separate-stderr tmo "$SHMCAT" rm "$BUILD"
	# A build file's name is longer than a ring's: JSON gives it whole.
	dead_build "$R-$(printf 'a%.0s' $(seq $((200 - ${#R} - 1))))" abcdef0123456789
	run -0 --separate-stderr tmo "$SHMCAT" list --json
	assert_equal "$(jq -r --arg r "$BUILD" '.rings[] | select(.name == $r) | .state' <<<"$output")" \
		abandoned "a long build file's name"
	rm "$SHMDIR/shmcat.$BUILD"
	run -0 tmo "$SHMCAT_OUT" "$R"
}

@test "--json escapes what a peer wrote: quotes, backslashes, control bytes, bytes >= 0x80" {
	[[ -x $HOSTILE ]] || _fail "$HOSTILE is missing: run make build/hostile"
	printf 'abc' | tmo "$SHMCAT_IN" -k -s 64K "$R"
	expect_left "$R"
	local slot=1 byte
	for byte in 0x22 0x5c 0x01 0x0a 0x1f 0x7f 0x80 0xff; do
		"$HOSTILE" "$R" kind$slot 2
		"$HOSTILE" "$R" pos$slot tail
		"$HOSTILE" "$R" name$slot "$byte"
		slot=$((slot + 1))
	done
	for cmd in "status --json $R" "list --json"; do
		run -0 --separate-stderr tmo "$SHMCAT" $cmd
		# Valid JSON, every cursor there, each name 31 characters: the
		# library hands out names as [A-Za-z0-9._-] and '?' (issue 11),
		# and json.c escapes whatever would still need it.
		assert_equal "$(jq -c --arg r "$R" '[.rings[] | select(.name == $r) | .readers[] | select(.slot > 0) | [.slot, (.name | length), (.name | explode | unique)]]' <<<"$output")" \
			'[[1,31,[63]],[2,31,[63]],[3,31,[63]],[4,31,[63]],[5,31,[63]],[6,31,[63]],[7,31,[63]],[8,31,[63]]]' "names in $cmd"
		# Nothing raw: control bytes and bytes >= 0x80 appear escaped.
		if LC_ALL=C grep -q $'[\x01-\x1f\x7f\x80-\xff]' <<<"$output"; then
			_fail "raw control or high bytes in: $cmd"
		fi
	done
	run -0 tmo "$SHMCAT" rm -f "$R"
}

###################################
#  across containers and services #
###################################

@test "a creator that is pid 1 (a container's first process) is not stopped by another's leftovers" {
	(($(id -u) == 0)) && unshare --pid --fork true 2>/dev/null ||
		skip "needs root and unshare(1) to run a process as pid 1 of a new pid namespace"
	# A creator killed while building its ring leaves shmcat.R~PID; in
	# containers every side may be pid 1, so that name comes back.
	local stale=$SHMDIR/shmcat.$R~1
	touch "$stale"
	echo data >"$T/in"
	run -0 --separate-stderr tmo unshare --pid --fork "$SHMCAT_IN" "$R" <"$T/in"
	run -0 --separate-stderr tmo unshare --pid --fork "$SHMCAT_OUT" "$R"
	assert_equal "$output" data
	rm -f "$stale"
}
