#!/usr/bin/env bats
# 55-inspect: list, status and rm; --stats; --progress in a real terminal.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() { shmcat_setup_file; }
setup() { shmcat_setup; }
teardown() {
	[[ -n ${TMUX_SOCK:-} ]] && tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
	shmcat_teardown
}

@test "list shows a ring, for people and as key=value" {
	seq 1 1000 | tmo "$SHMCAT_IN" -s 64K "$R"
	run -0 tmo "$SHMCAT" list
	assert_match "$output" "NAME +CAPACITY +BUFFERED" "header"
	assert_match "$output" "$R +64K +3\\.8K +5% +ended" "ring line"
	run -0 tmo "$SHMCAT" list -k
	assert_match "$output" "name=$R capacity=65536 buffered=3893 state=ended" "kv line"
	run -0 tmo "$SHMCAT_OUT" "$R"
	run -0 tmo "$SHMCAT" list -k
	assert_not_match "$output" "name=$R " "removed ring listed"
}

@test "status shows capacity, fill, bytes in and out, pids and liveness" {
	writer_waiting
	local writer=$WRITER wpid=$WPID
	run -0 tmo "$SHMCAT" status -k "$R"
	assert_match "$output" $'capacity=8192\nbuffered=3893\nfill_pct=47\nbytes_in=3893\nbytes_out=0\nstate=open' "counters"
	assert_match "$output" "writer_pid=$wpid"$'\n'"writer_alive=1" "writer"
	assert_match "$output" "created=[0-9]+" "created"
	run -0 tmo "$SHMCAT" status "$R"
	assert_match "$output" "ring $R: open, bytes records" "human header"
	assert_match "$output" "writer +pid $wpid alive" "human writer"
	feed_close
	assert_job "$writer" 0 "writer"
	run -0 tmo "$SHMCAT" status -k "$R"
	assert_match "$output" $'state=ended\nrecord_mode=bytes\nwriter_pid=[0-9]+\nwriter_alive=0' "after the end"
	run -0 tmo "$SHMCAT_OUT" "$R"
}

@test "status of a missing ring or a bad name is exit 2" {
	run -2 --separate-stderr tmo "$SHMCAT" status "$R"
	assert_stderr "^shmcat: $R: no such ring$"
	run -2 --separate-stderr tmo "$SHMCAT" status "a/b"
	assert_stderr "invalid ring name"
}

@test "rm refuses a ring in use and names the cause, even with -f" {
	spawn "$SHMCAT_OUT" "$R"
	local reader=$BG_PID
	wait_until ring_is "$R" readers_alive 1
	run -2 --separate-stderr tmo "$SHMCAT" rm "$R"
	assert_stderr "ring is in use"
	assert_ring "$R"
	run -2 --separate-stderr tmo "$SHMCAT" rm -f "$R"
	assert_stderr "ring is in use"
	assert_ring "$R"
	kill -TERM "$(child_of "$reader")"
	wait_job "$reader"
	assert_no_ring "$R"
}

@test "rm removes an idle ring, and leaves a foreign object without -f" {
	echo data | tmo "$SHMCAT_IN" "$R"
	run -0 tmo "$SHMCAT" rm "$R"
	assert_no_ring "$R"
	head -c 20000 /dev/urandom >"$SHMDIR/shmcat.$R"
	run -2 --separate-stderr tmo "$SHMCAT" rm "$R"
	assert_stderr "not a shmcat ring"
	assert_ring "$R"
	run -2 --separate-stderr tmo "$SHMCAT" status "$R"
	assert_stderr "^shmcat: $R: not a shmcat ring; left untouched \\(shmcat rm -f removes it\\)$"
	run -2 --separate-stderr tmo "$SHMCAT" rm "$R"
	assert_stderr "^shmcat: $R: not a shmcat ring; left untouched \\(use -f to remove it\\)$"
	run -0 tmo "$SHMCAT" rm -f "$R"
	assert_no_ring "$R"
}

@test "options may follow the ring names, as they may come before the command" {
	echo data | tmo "$SHMCAT_IN" "$R"
	run -0 --separate-stderr tmo "$SHMCAT" status "$R" --json
	assert_equal "$(jq -r '.rings[0].name' <<<"$output")" "$R" "status R --json"
	run -0 --separate-stderr tmo "$SHMCAT" status "$R" -k
	assert_match "$output" "^name=$R"$'\n' "status R -k"
	run -0 --separate-stderr tmo "$SHMCAT" list --kv
	assert_match "$output" "name=$R " "list --kv"
	head -c 20000 /dev/urandom >"$SHMDIR/shmcat.$R-x"
	run -0 --separate-stderr tmo "$SHMCAT" rm "$R-x" -f
	assert_no_ring "$R-x"
	# -- ends the options: what follows is a ring name, even "-k".
	run -2 --separate-stderr tmo "$SHMCAT" status -- "$R" -k
	assert_match "$output" "^ring $R: ended" "the ring before --"
	assert_stderr "^shmcat: -k: no such ring$"
	run -2 --separate-stderr tmo "$SHMCAT" list "$R"
	assert_stderr "^shmcat: list takes no ring names$"
	# POSIXLY_CORRECT does not change where options may go.
	run -0 --separate-stderr tmo env POSIXLY_CORRECT=1 "$SHMCAT" status "$R" --json
	assert_equal "$(jq -r '.rings[0].name' <<<"$output")" "$R" "POSIXLY_CORRECT status R --json"
	# getopt's own complaints still come from shmcat.
	run -2 --separate-stderr tmo "$SHMCAT" status -x "$R"
	assert_stderr "^shmcat: invalid option -- 'x'"
	run -2 --separate-stderr tmo "$SHMCAT" list --bogus
	assert_stderr "^shmcat: unrecognized option '--bogus'"
	# --help and --version mean the same after the command.
	run -0 --separate-stderr tmo "$SHMCAT" status "$R" --help
	assert_match "$output" "^usage: shmcat list" "status R --help"
	run -0 --separate-stderr tmo "$SHMCAT" list -V
	assert_match "$output" "^shmcat [0-9]" "list -V"
	run -0 tmo "$SHMCAT_OUT" "$R"
}

@test "a ring its owner holds a lease on: status and writers say it is in use, exit 2" {
	echo data | tmo "$SHMCAT_IN" "$R"
	# F_SETLEASE (1024) with F_WRLCK (1): every other open(2) of the file
	# blocks until the holder lets go, or fails with EWOULDBLOCK.
	spawn python3 -c 'import fcntl, os, signal, sys
signal.signal(signal.SIGIO, signal.SIG_IGN)  # the break notice
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.fcntl(fd, 1024, 1)
open(sys.argv[2], "w").close()
signal.pause()' "$SHMDIR/shmcat.$R" "$T/leased"
	local holder=$BG_PID
	wait_until test -e "$T/leased"
	run -2 --separate-stderr tmo "$SHMCAT" status "$R"
	assert_stderr "^shmcat: $R: ring is in use"
	run -2 --separate-stderr tmo "$SHMCAT_IN" "$R" <<<"more"
	assert_stderr "^shmcat-in: $R: ring is in use"
	kill "$holder"
	wait_job "$holder"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" data
}

@test "--stats prints a summary on both sides" {
	seq 1 100000 >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" --stats -s 1M "$R" <"$T/in"
	assert_stderr "^shmcat-in: $R: 588895 bytes \\(575\\.1 KiB\\) written in [0-9.]+ s, [0-9.]+ [KMG]?i?B/s, slept [0-9]+ times$"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" --stats "$R"
	assert_stderr "^shmcat-out: $R: 588895 bytes \\(575\\.1 KiB\\) read in [0-9.]+ s"
	assert_no_ring "$R"
}

@test "--stats counts the writer's sleeps on a full ring" {
	head -c 1M /dev/zero >"$T/in"
	spawn "$SHMCAT_IN" --stats -s 4K "$R" <"$T/in" 2>"$T/w.err"
	local writer=$BG_PID
	wait_until ring_full "$R"
	run -0 tmo "$SHMCAT_OUT" "$R" >/dev/null
	assert_job "$writer" 0 "writer"
	assert_file_match "$T/w.err" "slept [1-9][0-9]* times"
}

@test "--progress shows bytes, rate and ring fill on a terminal" {
	TMUX_SOCK=$T/tmux.sock
	# A writer whose reader is stopped fills the ring; progress must say
	# how much went in and how full the ring is.
	tmux -S "$TMUX_SOCK" new-session -d -x 160 -y 10 \
		"head -c 20M /dev/zero | timeout $TMO '$SHMCAT_IN' -p -s 4M '$R'; sleep 60"
	wait_until ring_full "$R"
	wait_until -t 2 _pane_matches "shmcat-in: $R: [0-9.]+ MiB +[0-9]+:[0-9]{2}:[0-9]{2} +[0-9.]+ [KMG]?i?B/s +ring +100% full"
	spawn "$SHMCAT_OUT" "$R" >/dev/null
	assert_job "$BG_PID" 0 "reader"
}

_pane_matches() {
	local pane
	pane=$(tmux -S "$TMUX_SOCK" capture-pane -p)
	[[ $pane =~ $1 ]]
}

@test "--progress stays quiet when stderr is not a terminal" {
	seq 1 1000 >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" -p "$R" <"$T/in"
	assert_equal "$stderr" "" "stderr"
	run -0 tmo "$SHMCAT_OUT" "$R"
}

@test "shmcat with a full or closed stdout exits 1 with a write error, as shmcat(1) says" {
	echo data | tmo "$SHMCAT_IN" "$R"
	run -1 --separate-stderr tmo bash -c '"$0" status "$1" >/dev/full' "$SHMCAT" "$R"
	assert_stderr "^shmcat: write error: no space left on device$"
	run -1 --separate-stderr tmo bash -c '"$0" list >&-' "$SHMCAT"
	assert_stderr "^shmcat: write error: bad file descriptor$"
	run -0 tmo "$SHMCAT_OUT" "$R"
}

# shmcat rm names a process that holds the ring: one holding a slot,
# not the last writer, long gone (issue 20, part 3).
@test "rm of a ring in use names a live holder, not the writer that left" {
	head -c 2M /dev/zero >"$T/in"
	run -0 tmo "$SHMCAT_IN" "$R" <"$T/in"
	local gone
	gone=$(ring_kv "$R" writer_pid)
	# The reader blocks writing to a FIFO that nobody reads (2 MiB
	# through a pipe of at most 1 MiB); fd 8 keeps its read end open.
	mkfifo "$T/fifo"
	exec 8<>"$T/fifo"
	spawn "$SHMCAT_OUT" "$R" >"$T/fifo" 8<&-
	local rp=$BG_PID rpid
	rpid=$(child_of "$rp")
	wait_until ring_is "$R" readers_alive 1
	run -2 --separate-stderr tmo "$SHMCAT" rm "$R"
	assert_stderr "^shmcat: $R: ring is in use by pid $rpid$"
	assert_not_match "$stderr" "\\b$gone\\b" "the message"
	exec 8<&-
	assert_job "$rp" 141 "shmcat-out, its FIFO's reader gone"
	run -0 tmo "$SHMCAT_OUT" "$R"
	assert_no_ring "$R"
}
