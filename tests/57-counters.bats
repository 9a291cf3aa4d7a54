#!/usr/bin/env bats
# Issue 23: counters others can watch.  shmcat status --prom read by
# promtool, --watch --json read by jq, the live table in tmux; the
# filters' --stats=json, and SIGUSR1 asking a running filter for its
# statistics without disturbing the stream.
#
# promtool (Debian's prometheus), jq and tmux come from tests/deps; a
# missing one fails its tests.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() { shmcat_setup_file; }
setup() {
	shmcat_setup
	RAND=$T/rand
}
teardown() {
	[[ -n ${TMUX_SOCK:-} ]] && tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
	shmcat_teardown
}

# The metric families --prom writes, with their types, sorted.
FAMILIES='shmcat_reader_alive gauge
shmcat_reader_lag_bytes gauge
shmcat_reader_position_bytes gauge
shmcat_reader_skipped_bytes_total counter
shmcat_reader_sleeps_total counter
shmcat_ring_buffered_bytes gauge
shmcat_ring_capacity_bytes gauge
shmcat_ring_created_timestamp_seconds gauge
shmcat_ring_info gauge
shmcat_ring_read_bytes_total counter
shmcat_ring_readers_alive gauge
shmcat_ring_writer_alive gauge
shmcat_ring_writer_sleeps_total counter
shmcat_ring_writers_active gauge
shmcat_ring_written_bytes_total counter'

# prom_value FILE SAMPLE: the value of the sample that starts with SAMPLE
# ("metric{labels}") in FILE, or nothing.
prom_value() {
	awk -v s="$2" 'index($0, s " ") == 1 { print $NF }' "$1"
}

# prom_is RING SAMPLE VALUE: `shmcat status --prom RING` has it so.
prom_is() {
	timeout 5 "$SHMCAT" status --prom "$1" >"$T/now.prom" 2>/dev/null || return 1
	[[ $(prom_value "$T/now.prom" "$2") == "$3" ]]
}

# lines_ge FILE N: FILE has at least N whole lines.
lines_ge() {
	[[ -e $1 ]] && (($(wc -l <"$1") >= $2))
}

# jsonl_has FILE JQ-FILTER: a line of FILE makes the filter true.
jsonl_has() {
	[[ -e $1 ]] && jq -e -s "any(.[]; $2)" "$1" >/dev/null 2>&1
}

# stop_job TPID SIG STATUS: send SIG to the program a spawned timeout
# runs; it must end with STATUS.
stop_job() {
	kill "-$2" "$(child_of "$1")"
	assert_job "$1" "$3" "status after SIG$2"
}

##############
#  --prom    #
##############

# kv_of KEY: the value of KEY in $T/kv (status -k).
kv_of() {
	sed -n "s/^$1=//p" "$T/kv"
}

@test "--prom: promtool check metrics finds nothing, and the numbers are status -k's" {
	need promtool
	writer_waiting # an 8K ring holding 3893 bytes, its writer alive
	spawn "$SHMCAT_OUT" -r keep "$R" >"$T/out"
	local reader=$BG_PID
	local keep="{ring=\"$R\",dir=\"/dev/shm\",slot=\"1\",kind=\"named\",reader=\"keep\"}"
	wait_until prom_is "$R" "shmcat_reader_position_bytes$keep" 3893
	run -0 --separate-stderr tmo "$SHMCAT" status --prom "$R"
	echo "$output" >"$T/m.prom"
	run -0 --separate-stderr tmo "$SHMCAT" status -k "$R"
	echo "$output" >"$T/kv"
	run -0 --separate-stderr tmo promtool check metrics <"$T/m.prom"
	assert_equal "$output$stderr" "" "promtool check metrics"
	assert_equal "$(sed -n 's/^# TYPE //p' "$T/m.prom" | sort)" "$FAMILIES" "families"
	local r="{ring=\"$R\",dir=\"/dev/shm\"}" f=$T/m.prom m k
	for m in capacity_bytes:capacity buffered_bytes:buffered \
	    written_bytes_total:bytes_in read_bytes_total:bytes_out \
	    writer_sleeps_total:writer_sleeps writers_active:writers_active \
	    writer_alive:writer_alive readers_alive:readers_alive \
	    created_timestamp_seconds:created; do
		assert_equal "$(prom_value "$f" "shmcat_ring_${m%:*}$r")" "$(kv_of "${m#*:}")" "shmcat_ring_${m%:*}"
	done
	# (not sleeps: the reader's grow while it waits)
	for m in position_bytes:pos lag_bytes:lag skipped_bytes_total:skipped \
	    alive:alive; do
		assert_equal "$(prom_value "$f" "shmcat_reader_${m%:*}$keep")" "$(kv_of "reader.1.${m#*:}")" "shmcat_reader_${m%:*}"
	done
	assert_equal "$(prom_value "$f" "shmcat_ring_capacity_bytes$r")" 8192 "capacity"
	assert_equal "$(prom_value "$f" "shmcat_ring_written_bytes_total$r")" 3893 "bytes in"
	assert_equal "$(prom_value "$f" "shmcat_ring_writer_alive$r")" 1 "writer alive"
	assert_equal "$(prom_value "$f" "shmcat_reader_lag_bytes$keep")" 0 "lag of keep"
	assert_equal "$(prom_value "$f" "shmcat_ring_info{ring=\"$R\",dir=\"/dev/shm\",state=\"open\",record_mode=\"bytes\",fs=\"tmpfs\"}")" 1 "info"
	# No timestamps: every sample is "name{labels} value".
	assert_equal "$(grep -v '^#' "$f" | awk 'NF != 2' | head -n 1)" "" "a sample with a timestamp"
	feed_close
	assert_job "$WRITER" 0 "writer"
	assert_job "$reader" 0 "reader"
	assert_no_ring "$R"
}

@test "--prom: shmcat(1) documents every metric, with its type and help" {
	local page man prom
	page=$REPO/man/shmcat.1
	echo data | tmo "$SHMCAT_IN" "$R"
	run -0 --separate-stderr tmo "$SHMCAT" status --prom "$R"
	prom=$(sed -n 's/^# TYPE //p' <<<"$output" | sort)
	man=$(sed -n 's/^\.It Li \(shmcat_[a-z_]*\) Pq \([a-z]*\)$/\1 \2/p' "$page" | sort)
	assert_equal "$man" "$prom" "metrics of shmcat.1 (left) and --prom (right)"
	# The help text of the page is the one written, word for word.
	local name help text
	while read -r name help; do
		text=$(awk -v n="$name" '$1 == ".It" && $3 == n { getline; print; exit }' "$page")
		[[ $name == shmcat_ring_info ]] && continue # described at length
		[[ $help == "$text"* ]] || _fail "$name: --prom says '$help', shmcat.1 '$text'"
	done < <(sed -n 's/^# HELP //p' <<<"$output")
	run -0 tmo "$SHMCAT_OUT" "$R"
}

@test "--prom with no ring: every ring; one named that is missing is exit 2, the rest still written" {
	need promtool
	echo one | tmo "$SHMCAT_IN" "$R-a"
	echo two | tmo "$SHMCAT_IN" "$R-b"
	run -0 --separate-stderr tmo "$SHMCAT" status --prom
	echo "$output" >"$T/all.prom"
	assert_equal "$(prom_value "$T/all.prom" "shmcat_ring_written_bytes_total{ring=\"$R-a\",dir=\"/dev/shm\"}")" 4 "ring a"
	assert_equal "$(prom_value "$T/all.prom" "shmcat_ring_written_bytes_total{ring=\"$R-b\",dir=\"/dev/shm\"}")" 4 "ring b"
	run -2 --separate-stderr tmo "$SHMCAT" status --prom "$R-a" "$R-none"
	assert_stderr "^shmcat: $R-none: no such ring$"
	assert_match "$output" "shmcat_ring_written_bytes_total\\{ring=\"$R-a\",dir=\"/dev/shm\"\\} 4" "ring a still there"
	run -0 --separate-stderr tmo promtool check metrics <<<"$output"
	run -0 tmo "$SHMCAT_OUT" "$R-a"
	run -0 tmo "$SHMCAT_OUT" "$R-b"
}

# hammer FILE N COPY: read FILE N times as fast as we can, as
# node_exporter would, with builtins alone.  Each read opens FILE once
# and takes it whole: it must hold 15 families and end its last line.
# Prints how many reads were not whole (the first such is kept in
# COPY.bad, the last read in COPY), and how many times FILE was another
# file (inode) than at the read before.  Run in a process of its own
# (see below): bats' shell is slow at loops, and a fork a read would let
# many ticks go by unread.
hammer() {
	local f=$1 n=$2 copy=$3 bad=0 changed=0 text rest fd prev i
	exec {prev}<"$f"
	for ((i = 0; i < n; i++)); do
		exec {fd}<"$f"
		IFS= read -r -d '' text <&"$fd"
		[[ /proc/self/fd/$fd -ef /proc/self/fd/$prev ]] || changed=$((changed + 1))
		exec {prev}<&-
		prev=$fd
		rest=${text//$'\n# TYPE '/}
		if (((${#text} - ${#rest}) / 8 != 15)) || [[ $text != *$'\n' ]]; then
			((bad++)) || printf '%s' "$text" >"$copy.bad"
		fi
	done
	printf '%s' "$text" >"$copy"
	echo "$bad $changed"
}

@test "--prom -o: replaced by rename at every tick, whole whenever read, nothing left behind" {
	need promtool
	mkdir "$T/textfile"
	local out=$T/textfile/shmcat.prom w bad changed
	writer_waiting
	spawn "$SHMCAT" status --watch=0.01 --prom -o "$out" "$R"
	w=$BG_PID
	wait_until test -e "$out"
	run -0 --separate-stderr tmo bash -c "$(declare -f hammer); hammer \"\$@\"" _ "$out" 300 "$T/copy"
	read -r bad changed <<<"$output"
	assert_equal "$bad" 0 "reads that were not whole"
	((changed > 0)) || _fail "the same file over 300 reads: not replaced by rename"
	run -0 tmo promtool check metrics <"$T/copy"
	assert_equal "$(prom_value "$out" "shmcat_ring_written_bytes_total{ring=\"$R\",dir=\"/dev/shm\"}")" 3893 "bytes in"
	stop_job "$w" TERM 143
	assert_equal "$(ls -A "$T/textfile")" shmcat.prom "what the directory holds"
	feed_close
	assert_job "$WRITER" 0 "writer"
	run -0 tmo "$SHMCAT_OUT" "$R"
}

@test "--prom -o: a file that cannot be written is exit 1, and nothing is left" {
	echo data | tmo "$SHMCAT_IN" "$R"
	run -1 --separate-stderr tmo "$SHMCAT" status --prom -o "$T/nodir/x.prom" "$R"
	assert_stderr "^shmcat: $T/nodir/\\.x\\.prom\\.tmp\\.[0-9]+: open: no such file or directory$"
	mkdir "$T/d" "$T/d/x.prom"
	run -1 --separate-stderr tmo "$SHMCAT" status --prom -o "$T/d/x.prom" "$R"
	assert_stderr "^shmcat: $T/d/x\\.prom: rename: is a directory$"
	assert_equal "$(ls -A "$T/d")" x.prom "temporary file left"
	# Watching, too: the watch ends with status 1.
	run -1 --separate-stderr tmo "$SHMCAT" status --watch=0.1 --prom -o "$T/d/x.prom" "$R"
	assert_equal "$(ls -A "$T/d")" x.prom "temporary file left by --watch"
	run -0 tmo "$SHMCAT_OUT" "$R"
}

###############
#  --watch    #
###############

@test "--watch --json: JSON Lines jq reads, one a tick, with rates and the bytes written" {
	need jq
	writer_fed -s 1M # "first\n" in the ring
	spawn "$SHMCAT_OUT" "$R" >"$T/out"
	local reader=$BG_PID
	wait_until file_size_ge "$T/out" 6
	spawn "$SHMCAT" status --watch=0.1 --json "$R" >"$T/w.jsonl"
	local w=$BG_PID
	wait_until lines_ge "$T/w.jsonl" 2
	seq 1 100000 >"$T/in" # 588895 bytes
	feed "$T/in"
	wait_until jsonl_has "$T/w.jsonl" ".rings[0].bytes_in == 588901"
	wait_until jsonl_has "$T/w.jsonl" ".rings[0].bytes_out == 588901 and .rings[0].readers[0].rate > 0"
	stop_job "$w" TERM 143
	# Every line is a whole object, ticks count up from 0 by one.
	assert_equal "$(jq -c . "$T/w.jsonl" | wc -l)" "$(wc -l <"$T/w.jsonl")" "objects"
	run -0 jq -s -e '[.[].tick] == [range(length)]' "$T/w.jsonl"
	run -0 jq -s -e 'all(.[]; .schema == 1 and .interval == 0.1 and (.time | type) == "number")' "$T/w.jsonl"
	# Rates: unknown at the first tick, then numbers, never negative.
	run -0 jq -e -s '.[0].rings[0].in_rate == null and .[0].rings[0].out_rate == null' "$T/w.jsonl"
	run -0 jq -e -s 'all(.[1:][].rings[0]; (.in_rate | type) == "number" and .in_rate >= 0 and .out_rate >= 0)' "$T/w.jsonl"
	run -0 jq -e -s 'any(.[].rings[0]; .in_rate > 0)' "$T/w.jsonl"
	run -0 jq -e -s 'all(.[].rings[0].readers[]; .rate == null or .rate >= 0)' "$T/w.jsonl"
	feed_close
	assert_job "$WP" 0 "writer"
	assert_job "$reader" 0 "reader"
	assert_equal "$(tail -c +7 "$T/out" | cmp - "$T/in" && echo same)" same "what the reader read"
}

@test "--watch: a ring removed while watched is gone, and the watch goes on" {
	need jq
	echo data | tmo "$SHMCAT_IN" "$R"
	spawn "$SHMCAT" status --watch=0.05 --json "$R" >"$T/w.jsonl"
	local w=$BG_PID n
	wait_until jsonl_has "$T/w.jsonl" '.rings[0].state == "ended"'
	run -0 tmo "$SHMCAT_OUT" "$R" # reads the stream, and the ring goes
	assert_no_ring "$R"
	wait_until jsonl_has "$T/w.jsonl" '.rings[0] == {"name": "'"$R"'", "state": "gone", "error": "no such ring"}'
	n=$(wc -l <"$T/w.jsonl")
	wait_until lines_ge "$T/w.jsonl" $((n + 3))
	stop_job "$w" TERM 143
}

@test "--watch with no ring: rings that appear are shown, one that goes is gone once" {
	need jq
	spawn "$SHMCAT" status --watch=0.05 --json >"$T/w.jsonl"
	local w=$BG_PID n
	wait_until lines_ge "$T/w.jsonl" 1
	echo data | tmo "$SHMCAT_IN" "$R"
	wait_until jsonl_has "$T/w.jsonl" '.rings[] | select(.name == "'"$R"'") | .state == "ended"'
	run -0 tmo "$SHMCAT_OUT" "$R"
	wait_until jsonl_has "$T/w.jsonl" '.rings[] | select(.name == "'"$R"'") | .state == "gone"'
	n=$(wc -l <"$T/w.jsonl")
	wait_until lines_ge "$T/w.jsonl" $((n + 3))
	stop_job "$w" TERM 143
	# gone in exactly one line, and in none after it
	assert_equal "$(jq -c '.rings[] | select(.name == "'"$R"'") | .state' "$T/w.jsonl" | uniq -c | awk '{ print $2 }' | tr '\n' ' ')" \
		'"ended" "gone" ' "the ring's states, line by line"
	assert_equal "$(jq -c '.rings[] | select(.name == "'"$R"'") | .state' "$T/w.jsonl" | grep -c gone)" 1 "lines saying gone"
}

@test "--watch: a live table in tmux, redrawn in place" {
	need tmux
	writer_waiting # 3893 of 8K
	TMUX_SOCK=$T/tmux.sock
	# (The tmux server must not hold the feed open: 7>&-.)
	tmux -S "$TMUX_SOCK" new-session -d -x 150 -y 20 \
		"timeout $TMO '$SHMCAT' status --watch=0.5 '$R'; sleep 60" 3>&- 7>&-
	wait_until _pane_matches "$R +8\\.0K +3\\.8K +47% +open +0/s +0/s +1/0"
	# 2000 bytes more, in one tick: the rate shows, then goes to 0.
	head -c 2000 /dev/zero >&7
	wait_until _pane_matches "$R +8\\.0K +5\\.8K +71% +open +[0-9.]+K/s +0/s +1/0"
	wait_until _pane_matches "$R +8\\.0K +5\\.8K +71% +open +0/s +0/s +1/0"
	# Drawn in place: one table on the screen, not one per tick.
	local pane
	pane=$(tmux -S "$TMUX_SOCK" capture-pane -p)
	assert_equal "$(grep -c 'NAME *CAPACITY' <<<"$pane")" 1 "tables on the screen"
	feed_close
	assert_job "$WRITER" 0 "writer"
	run -0 tmo "$SHMCAT_OUT" "$R"
}

_pane_matches() {
	local pane
	pane=$(tmux -S "$TMUX_SOCK" capture-pane -p)
	[[ $pane =~ $1 ]]
}

@test "--watch: plain tables one after another when stdout is not a terminal" {
	echo data | tmo "$SHMCAT_IN" "$R"
	spawn "$SHMCAT" status --watch=0.05 "$R" "$R-none" >"$T/w.txt"
	local w=$BG_PID
	wait_until _tables_ge 3
	stop_job "$w" INT 130
	run -1 grep -q $'\033' "$T/w.txt"
	assert_file_match "$T/w.txt" "^[0-9:]+  every 0\\.05 s, 2 rings"$'\n'"NAME +CAPACITY"
	assert_file_match "$T/w.txt" $'\n'"$R +4\\.0M +5 +0% +ended +0/s +0/s +0/0"$'\n'
	assert_file_match "$T/w.txt" $'\n'"$R-none +\\(gone: no such ring\\)"$'\n\n'
	assert_equal "$(tail -c 2 "$T/w.txt" | od -An -c | tr -d ' ')" '\n\n' "the last table ended"
	run -0 tmo "$SHMCAT_OUT" "$R"
}

_tables_ge() {
	(($(grep -c '^NAME ' "$T/w.txt") >= $1))
}

@test "--watch dies of SIGINT, SIGTERM or SIGHUP after a whole tick; an ignored one stays ignored" {
	need jq
	local sig st w n
	for sig in INT:130 TERM:143 HUP:129; do
		spawn "$SHMCAT" status --watch=0.02 --json "$R" >"$T/w.jsonl"
		w=$BG_PID
		wait_until lines_ge "$T/w.jsonl" 3
		stop_job "$w" "${sig%:*}" "${sig#*:}"
		assert_equal "$(tail -c 1 "$T/w.jsonl" | od -An -c | tr -d ' ')" '\n' "last line ended ($sig)"
		run -0 jq -e . "$T/w.jsonl"
	done
	spawn env --ignore-signal=HUP "$SHMCAT" status --watch=0.02 --json "$R" >"$T/w.jsonl"
	w=$BG_PID
	wait_until lines_ge "$T/w.jsonl" 1
	kill -HUP "$(pid_named "$w" shmcat)"
	n=$(wc -l <"$T/w.jsonl")
	wait_until lines_ge "$T/w.jsonl" $((n + 2))
	kill -TERM "$(pid_named "$w" shmcat)"
	assert_job "$w" 143 "after an ignored SIGHUP, then SIGTERM"
}

@test "--watch, --prom and -o: misuse is exit 2 with the reason" {
	local args want
	while IFS='|' read -r args want; do
		run -2 --separate-stderr tmo "$SHMCAT" $args
		assert_stderr "^shmcat: $want"
	done <<EOF
status --watch=0 $R|invalid interval '0': seconds, like 2 or 0.5, from 0.01 to 86400$
status --watch=0.001 $R|invalid interval '0.001'
status --watch=86401 $R|invalid interval '86401'
status --watch=1s $R|invalid interval '1s'
status --watch -k $R|--watch shows a table, -j or --prom; not -k$
status --prom -j $R|--prom, -j and -k: choose one output format$
status -o x $R|-o is for --prom$
status --watch --prom|--watch --prom rewrites a file at every tick: give -o FILE$
list --watch|--watch and --prom are for status$
rm --prom $R|--watch and --prom are for status$
EOF
}

################################
#  the filters: --stats=json   #
################################

@test "--stats=json: one object jq reads, with what was moved" {
	need jq
	seq 1 100000 >"$T/in"
	run -0 --separate-stderr tmo "$SHMCAT_IN" --stats=json -s 1M "$R" <"$T/in"
	run -0 jq -e --arg r "$R" '.program == "shmcat-in" and .ring == $r and .final == true
		and .bytes == 588895 and .seconds > 0 and .bytes_per_second > 0
		and .sleeps == 0 and .skipped == 0' <<<"$stderr"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" --stats=json "$R"
	assert_equal "${#output}" 588894 "bytes read (less the last newline)"
	run -0 jq -e --arg r "$R" '.program == "shmcat-out" and .ring == $r and .final and .bytes == 588895' <<<"$stderr"
	assert_equal "$(wc -l <<<"$stderr")" 1 "lines on stderr"
	run -2 --separate-stderr tmo "$SHMCAT_IN" --stats=xml "$R" </dev/null
	assert_stderr "^shmcat-in: invalid --stats format 'xml': only json$"
	assert_no_ring "$R"
}

############################
#  the filters: SIGUSR1    #
############################

# stat_lines FILE: lines of FILE that are statistics (text or JSON).
stat_lines() {
	grep -cE '^shmcat-(in|out): .* bytes \(.*\) (written|read) in |^\{"program"' "$1" || true
}
stat_lines_ge() {
	(($(stat_lines "$1") >= $2))
}

@test "SIGUSR1 mid-stream: both filters print their statistics, and the stream is byte-exact" {
	head -c 8M /dev/urandom >"$RAND"
	feed_open
	spawn "$SHMCAT_IN" -s 64K "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID wpid rpid
	wpid=$(pid_named "$wp" shmcat-in)
	spawn "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	local rp=$BG_PID
	rpid=$(pid_named "$rp" shmcat-out)
	wait_until ring_is "$R" readers_alive 1
	feed "$RAND" 1000000
	wait_until file_size_ge "$T/out" 1000000
	kill -USR1 "$wpid" "$rpid"
	wait_until stat_lines_ge "$T/in.err" 1
	wait_until stat_lines_ge "$T/out.err" 1
	assert_file_match "$T/in.err" "^shmcat-in: $R: 1000000 bytes \\(976\\.6 KiB\\) written in [0-9.]+ s, .*, slept [0-9]+ times$"
	assert_file_match "$T/out.err" "^shmcat-out: $R: 1000000 bytes \\(976\\.6 KiB\\) read in [0-9.]+ s"
	# Then a storm of them while the rest flows through the 64K ring.
	spawn bash -c 'while kill -USR1 "$@" 2>/dev/null; do :; done' _ "$wpid" "$rpid"
	local storm=$BG_PID
	tail -c +1000001 "$RAND" >"$T/rest"
	feed "$T/rest"
	feed_close
	assert_job "$wp" 0 "shmcat-in"
	assert_job "$rp" 0 "shmcat-out"
	wait_job "$storm"
	assert_same_file "$T/out" "$RAND"
	stat_lines_ge "$T/in.err" 2 || _fail "shmcat-in answered one SIGUSR1 only: $(cat "$T/in.err")"
	stat_lines_ge "$T/out.err" 2 || _fail "shmcat-out answered one SIGUSR1 only"
	# Nothing but statistics on stderr.
	assert_equal "$(grep -cvE '^shmcat-(in|out): '"$R"': [0-9]+ bytes \(' "$T/in.err" "$T/out.err" | cut -d: -f2 | tr '\n' ' ')" "0 0 " "other lines"
	assert_no_ring "$R"
}

@test "SIGUSR1 is answered while blocked: a writer on a full ring, a reader on a stalled consumer" {
	need jq
	# 4M: more than the 1M pipe the reader asks for (widen_pipe)
	head -c 4M /dev/urandom >"$RAND"
	spawn "$SHMCAT_IN" --stats=json -s 64K "$R" <"$RAND" 2>"$T/in.err"
	local wp=$BG_PID wpid rp rpid i
	wpid=$(pid_named "$wp" shmcat-in)
	wait_until ring_full "$R"
	# Each signal is answered, however it falls against the writer's
	# wait (none is lost between a look at the flag and the sleep).
	for i in 1 2 3 4 5; do
		kill -USR1 "$wpid"
		wait_until stat_lines_ge "$T/in.err" "$i"
	done
	run -0 jq -e -s 'length == 5 and all(.[]; .final == false and .bytes == 65536 and .program == "shmcat-in")' "$T/in.err"
	# A reader whose stdout is a FIFO nobody reads yet: blocked in write.
	mkfifo "$T/fifo"
	exec 8<>"$T/fifo"
	spawn "$SHMCAT_OUT" --stats=json "$R" >"$T/fifo" 2>"$T/out.err"
	rp=$BG_PID
	rpid=$(pid_named "$rp" shmcat-out)
	wait_until ring_is "$R" readers_alive 1
	wait_until _blocked_in_write "$rpid"
	for i in 1 2 3; do
		kill -USR1 "$rpid"
		wait_until stat_lines_ge "$T/out.err" "$i"
	done
	run -0 jq -e -s 'length == 3 and all(.[]; .final == false and .bytes > 0)' "$T/out.err"
	timeout "$TMO" head -c 4194304 <&8 >"$T/out"
	# (fd 8 stays open until the reader is done: it would take a FIFO
	# without readers for a consumer that left.)
	assert_job "$wp" 0 "shmcat-in"
	assert_job "$rp" 0 "shmcat-out"
	exec 8<&-
	assert_same_file "$T/out" "$RAND"
	run -0 jq -e -s '.[-1].final == true and .[-1].bytes == 4194304' "$T/in.err"
	run -0 jq -e -s '.[-1].final == true and .[-1].bytes == 4194304' "$T/out.err"
	assert_no_ring "$R"
}

# _blocked_in_write PID: PID sleeps in write(2) (syscall 1 on x86-64;
# on other machines: asleep, which is what the test needs).
_blocked_in_write() {
	local sc
	sc=$(cat "/proc/$1/syscall" 2>/dev/null) || return 1
	[[ $(uname -m) == x86_64 ]] && [[ ${sc%% *} != 1 ]] && return 1
	[[ $(awk '{ print $3 }' "/proc/$1/stat") == S ]]
}

@test "SIGUSR1 ignored when a filter starts stays ignored: no statistics, no death" {
	head -c 300000 /dev/urandom >"$RAND"
	feed_open
	spawn env --ignore-signal=USR1 "$SHMCAT_IN" "$R" <"$FEED" 2>"$T/in.err"
	local wp=$BG_PID wpid rp rpid
	wpid=$(pid_named "$wp" shmcat-in)
	spawn env --ignore-signal=USR1 "$SHMCAT_OUT" "$R" >"$T/out" 2>"$T/out.err"
	rp=$BG_PID
	rpid=$(pid_named "$rp" shmcat-out)
	feed "$RAND" 100000
	wait_until file_size_ge "$T/out" 100000
	# An ignored signal is dropped when it is sent: were it caught, the
	# statistics would follow on stderr, as the tests above show.
	kill -USR1 "$wpid" "$rpid"
	tail -c +100001 "$RAND" >"$T/rest"
	feed "$T/rest"
	feed_close
	assert_job "$wp" 0 "shmcat-in"
	assert_job "$rp" 0 "shmcat-out"
	assert_same_file "$T/out" "$RAND"
	assert_equal "$(cat "$T/in.err" "$T/out.err")" "" "stderr"
	assert_no_ring "$R"
}

@test "SIGUSR1 with --progress on a terminal: the statistics on a line of their own, the progress goes on" {
	need tmux
	feed_open
	TMUX_SOCK=$T/tmux.sock
	tmux -S "$TMUX_SOCK" new-session -d -x 160 -y 10 \
		"timeout $TMO '$SHMCAT_IN' -p -s 64K '$R' <'$FEED'; sleep 60" 3>&- 7>&-
	wait_until _pane_matches "shmcat-in: $R: 0\\.0 B +[0-9:]+ +[0-9.]+ B/s +ring +0% full"
	seq 1 1000 >"$T/in"
	feed "$T/in"
	wait_until _pane_matches "shmcat-in: $R: 3\\.8 KiB +[0-9:]+ .*ring +5% full"
	kill -USR1 "$(ring_kv "$R" writer_pid)"
	# The progress line is ended, the statistics follow on their own
	# line, and the progress line is drawn again below them.
	local nl=$'\n'
	wait_until _pane_matches "ring +5% full *${nl}shmcat-in: $R: 3893 bytes \\(3\\.8 KiB\\) written in [0-9.]+ s, [^${nl}]*slept [0-9]+ times *${nl}shmcat-in: $R: 3\\.8 KiB "
	feed_close
	run -0 tmo "$SHMCAT_OUT" "$R"
	assert_equal "$output" "$(cat "$T/in")"
}

##############
#  EXAMPLES  #
##############

@test "EXAMPLES: status --watch --json | jq, and --prom --watch -o for the textfile collector" {
	need jq
	need promtool
	seq 100000 | tmo "$SHMCAT_IN" "$R-nums"
	run -0 --separate-stderr tmo bash -c '"$1" status --watch --json "$2" |
	    jq --unbuffered -c ".rings[0].readers[] | [.slot, .lag, .rate]" |
	    head -n 1' _ "$SHMCAT" "$R-nums"
	assert_equal "$output" "[0,588895,null]" "the first line"
	mkdir -p "$T/node-exporter"
	spawn "$SHMCAT" status --prom --watch=15 -o "$T/node-exporter/shmcat.prom"
	local w=$BG_PID
	wait_until test -e "$T/node-exporter/shmcat.prom"
	stop_job "$w" TERM 143
	run -0 tmo promtool check metrics <"$T/node-exporter/shmcat.prom"
	assert_match "$(cat "$T/node-exporter/shmcat.prom")" "shmcat_ring_written_bytes_total\\{ring=\"$R-nums\",dir=\"/dev/shm\"\\} 588895" "the ring"
	run -0 tmo "$SHMCAT_OUT" "$R-nums"
	assert_no_ring "$R-nums"
}
