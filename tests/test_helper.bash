# Common helpers for the shmcat bats suites.  Load with `load test_helper`.
#
# Binaries: $SHMCAT_BIN (a directory, default "$REPO/build") holds
# shmcat-in, shmcat-out and shmcat.  Every command that may block runs
# under `timeout` ($TMO seconds), so a hung peer fails the test instead of
# hanging the suite.  Waits poll an observable state to a deadline
# (wait_until); nothing here sleeps to synchronise.

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
SHMCAT_BIN=${SHMCAT_BIN:-$REPO/build}
SHMCAT_IN=$SHMCAT_BIN/shmcat-in
SHMCAT_OUT=$SHMCAT_BIN/shmcat-out
SHMCAT=$SHMCAT_BIN/shmcat
SHMDIR=/dev/shm
# Extra flags for test programs that link the library: a sanitizer
# build's archive needs its runtime too (make sanitize sets this).
TEST_LDFLAGS=${SHMCAT_TEST_LDFLAGS:-}

# Upper bound for one command that may block, and for one wait_until.
TMO=${SHMCAT_TEST_TIMEOUT:-20}
WAIT_SECS=${SHMCAT_TEST_WAIT:-10}

# fd 7 is the test's end of a FIFO feeding a writer (feed_open).
# Background jobs never inherit it, so closing it in the test is the
# writer's end of input.

############
#  assert  #  Fail with expected vs. actual
############

_fail() {
	local line
	for line in "$@"; do
		printf '#| %s\n' "$line" >&2
	done
	false
}

# need CMD: fail, never skip, when a tool a test uses is missing
# (tests/deps installs them; a skipped test would pass in CI).
need() {
	command -v "$1" >/dev/null && return 0
	_fail "$1 is missing: tests/deps installs it"
}

# assert_equal ACTUAL EXPECTED [WHAT]
assert_equal() {
	[[ "$1" == "$2" ]] && return 0
	_fail "${3:-value} differs" "expected: '$2'" "actual:   '$1'"
}

# assert_match ACTUAL ERE [WHAT]
assert_match() {
	[[ "$1" =~ $2 ]] && return 0
	_fail "${3:-value} does not match" "expected (ERE): $2" "actual: '$1'"
}

# assert_not_match ACTUAL ERE [WHAT]
assert_not_match() {
	[[ "$1" =~ $2 ]] || return 0
	_fail "${3:-value} unexpectedly matches" "unwanted (ERE): $2" "actual: '$1'"
}

# assert_stderr ERE: $stderr (run --separate-stderr) matches, case-insensitively.
assert_stderr() {
	local rc=0
	shopt -s nocasematch
	[[ "$stderr" =~ $1 ]] || rc=1
	shopt -u nocasematch
	((rc == 0)) && return 0
	_fail "stderr does not match" "expected (ERE, any case): $1" "actual stderr: '$stderr'"
}

# assert_file_match FILE ERE: FILE's content matches, case-insensitively.
assert_file_match() {
	local text rc=0
	text=$(cat "$1")
	shopt -s nocasematch
	[[ "$text" =~ $2 ]] || rc=1
	shopt -u nocasematch
	((rc == 0)) && return 0
	_fail "$(basename "$1") does not match" "expected (ERE, any case): $2" "actual: '$text'"
}

# assert_status ACTUAL EXPECTED WHAT: an exit status, with a hint for the
# common ways a status goes wrong.
assert_status() {
	[[ "$1" == "$2" ]] && return 0
	local hint=""
	case $1 in
	124) hint=" (timeout: the command hung for ${TMO}s)" ;;
	134) hint=" (SIGABRT)" ;;
	135) hint=" (SIGBUS)" ;;
	139) hint=" (SIGSEGV)" ;;
	esac
	_fail "${3:-exit status} differs" "expected: $2" "actual:   $1$hint"
}

# assert_same_file ACTUAL EXPECTED: byte-identical.
assert_same_file() {
	cmp -s "$1" "$2" && return 0
	_fail "$(basename "$1") differs from $(basename "$2")" \
		"expected: $(stat -c %s "$2") bytes, sha256 $(sha256sum <"$2" | cut -c1-16)" \
		"actual:   $(stat -c %s "$1") bytes, sha256 $(sha256sum <"$1" | cut -c1-16)" \
		"cmp: $(cmp "$1" "$2" 2>&1 | head -n 1)"
}

# assert_prefix PART WHOLE: PART is a prefix of WHOLE.
assert_prefix() {
	local n
	n=$(stat -c %s "$1")
	if ((n > $(stat -c %s "$2"))); then
		_fail "$(basename "$1") is longer than $(basename "$2")" \
			"expected: at most $(stat -c %s "$2") bytes" "actual:   $n bytes"
	fi
	cmp -s -n "$n" "$1" "$2" && return 0
	_fail "$(basename "$1") ($n bytes) is not a prefix of $(basename "$2")" \
		"cmp: $(cmp -n "$n" "$1" "$2" 2>&1 | head -n 1)"
}

# assert_suffix_from PART WHOLE OFFSET: PART == WHOLE[OFFSET..end].
assert_suffix_from() {
	cmp -s "$1" <(tail -c "+$(($3 + 1))" "$2") && return 0
	_fail "$(basename "$1") is not $(basename "$2") from byte $3 on" \
		"expected: $(($(stat -c %s "$2") - $3)) bytes" \
		"actual:   $(stat -c %s "$1") bytes" \
		"cmp: $(cmp "$1" <(tail -c "+$(($3 + 1))" "$2") 2>&1 | head -n 1)"
}

# assert_size FILE BYTES
assert_size() {
	assert_equal "$(stat -c %s "$1")" "$2" "size of $(basename "$1")"
}

# assert_ring NAME / assert_no_ring NAME: /dev/shm holds shmcat.NAME or not.
assert_ring() {
	[[ -e $SHMDIR/shmcat.$1 ]] && return 0
	_fail "ring $1 is missing" "expected: $SHMDIR/shmcat.$1" "actual: $(shm_list | tr '\n' ' ')"
}

assert_no_ring() {
	[[ -e $SHMDIR/shmcat.$1 ]] || return 0
	_fail "ring $1 was left behind" "expected: no $SHMDIR/shmcat.$1" \
		"actual: $(ls -l "$SHMDIR/shmcat.$1")"
}

###########
#  rings  #
###########

# ring_name: a ring name unique to this test, and recognisable by
# teardown as one of its own.
ring_name() {
	echo "bt${BATS_TEST_NUMBER}-$$-$RANDOM"
}

# shm_list: shmcat objects currently in /dev/shm (file names).
shm_list() {
	local f
	for f in "$SHMDIR"/shmcat.*; do
		[[ -e $f ]] && echo "${f##*/}"
	done
	return 0
}

# ring_kv NAME KEY: one value of `shmcat status -k NAME`, or nothing.
ring_kv() {
	timeout 5 "$SHMCAT" status -k "$1" 2>/dev/null | sed -n "s/^$2=//p" | head -n 1
}

# ring_is NAME KEY VALUE: for wait_until.
ring_is() {
	[[ "$(ring_kv "$1" "$2")" == "$3" ]]
}

ring_exists() { [[ -e $SHMDIR/shmcat.$1 ]]; }
ring_gone() { [[ ! -e $SHMDIR/shmcat.$1 ]]; }

# ring_full NAME: the ring holds as many unread bytes as it can.
ring_full() {
	local cap buf
	cap=$(ring_kv "$1" capacity)
	buf=$(ring_kv "$1" buffered)
	[[ -n $cap && $cap == "$buf" ]]
}

# expect_left NAME: this test means to leave shmcat.NAME in /dev/shm;
# teardown removes it without complaint.
EXPECT_LEFT=()
expect_left() {
	EXPECT_LEFT+=("shmcat.$1")
}

###########
#  waits  #
###########

# wait_until [-t SECS] CMD...: poll CMD until it succeeds; fail the test
# after SECS (default $WAIT_SECS) with what was being waited for.
wait_until() {
	local secs=$WAIT_SECS
	if [[ $1 == -t ]]; then
		secs=$2
		shift 2
	fi
	local now deadline
	deadline=$(( ${EPOCHREALTIME/./} + secs * 1000000 ))
	while :; do
		"$@" && return 0
		now=${EPOCHREALTIME/./}
		((now < deadline)) || break
		sleep 0.02
	done
	_fail "wait_until: gave up after ${secs}s waiting for: $*"
}

# now_us: the wall clock in microseconds.
now_us() {
	echo "${EPOCHREALTIME/./}"
}

# assert_within START_US MAX_MS WHAT: no more than MAX_MS since START_US.
assert_within() {
	local ms=$((($(now_us) - $1) / 1000))
	((ms <= $2)) && return 0
	_fail "${3:-it} took too long" "expected: at most $2 ms" "actual:   $ms ms"
}

# pid_alive PID / pid_gone PID (a zombie counts as gone)
pid_alive() { _any_alive "$1"; }
pid_gone() { ! _any_alive "$1"; }

# file_size_ge FILE BYTES
file_size_ge() {
	[[ -e $1 ]] && (($(stat -c %s "$1") >= $2))
}

###########
#  runs   #
###########

# tmo CMD...: CMD under timeout (for `run`).
tmo() {
	timeout "$TMO" "$@"
}

# run_file FILE CMD...: like `run --separate-stderr`, but stdout goes to
# FILE byte for byte (NULs and trailing newlines kept); stderr is kept in
# FILE.err and $stderr, the exit status in $status.
run_file() {
	local out=$1
	shift
	status=0
	timeout "$TMO" "$@" >"$out" 2>"$out.err" 3>&- 7>&- || status=$?
	stderr=$(cat "$out.err")
}

#####################
#  background jobs  #
#####################

# spawn CMD... [redirections on the call]: start CMD under timeout in the
# background; $BG_PID is the timeout process (wait on it for CMD's
# status: timeout passes the exit code on, and re-raises a fatal signal;
# child_of gives CMD's own pid).  The job never inherits bats' fd 3 or
# the feed fd 7.  (0<&0: without job control, bash would give an
# asynchronous command /dev/null as its stdin.)  Signals: bash starts a
# background job with SIGINT and SIGQUIT ignored, and the filters keep
# an ignored signal ignored; timeout catches both itself, so CMD starts
# with them at their defaults and `kill -INT` reaches it.  A job started
# with a plain `&` needs `env --default-signal=INT,QUIT` for that.
BG_PID=
spawn() {
	timeout "$TMO" "$@" 0<&0 3>&- 7>&- &
	BG_PID=$!
}

# child_of TPID: the pid of the command a `timeout` process runs.
child_of() {
	local kids=()
	wait_until _has_child "$1" >&2 || return 1
	read -r -a kids <"/proc/$1/task/$1/children" || true
	echo "${kids[0]}"
}
_has_child() {
	local kids=()
	read -r -a kids 2>/dev/null <"/proc/$1/task/$1/children" || true
	((${#kids[@]} > 0))
}

# pid_named ROOT COMM: the first process called COMM in ROOT's tree
# (waits for it to appear).
pid_named() {
	wait_until _pid_named "$1" "$2" >&2 || return 1
	_pid_named "$1" "$2"
}
_pid_named() {
	local p c
	for p in $(_descendants "$1"); do
		c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		if [[ $c == "$2" ]]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# wait_job PID: wait for a background job (bounded: every job runs under
# timeout); its exit status is left in $jstatus.
jstatus=
wait_job() {
	jstatus=0
	wait "$1" || jstatus=$?
}

# assert_job PID STATUS WHAT: wait for a background job and check how it
# ended.
assert_job() {
	wait_job "$1"
	assert_status "$jstatus" "$2" "${3:-exit status of the background job}"
}

# feed_open: a FIFO for a writer's stdin ($FEED), held open on fd 7 so the
# writer waits for input; feed it with `... >&7`, end it with feed_close.
FEED=
feed_open() {
	FEED=$BATS_TEST_TMPDIR/feed.fifo
	rm -f "$FEED"
	mkfifo "$FEED"
	exec 7<>"$FEED"
}

feed_close() {
	exec 7>&-
}

# writer_fed: shmcat-in (with any options given) writing the feed into
# ring R, with one line, "first", already in the ring; its job in WP, its
# pid in WPID, its stderr in $T/in.err.
writer_fed() {
	feed_open
	spawn "$SHMCAT_IN" "$@" "$R" <"$FEED" 2>"$T/in.err"
	WP=$BG_PID
	WPID=$(child_of "$WP")
	echo first >&7
	wait_until ring_is "$R" buffered 6
}

# feed FILE [BYTES]: write (the first BYTES of) FILE into the feed.
feed() {
	if (($# > 1)); then
		timeout "$TMO" head -c "$2" "$1" >&7
	else
		timeout "$TMO" cat "$1" >&7
	fi
}

# writer_waiting: shmcat-in writing into a new 8K ring $R from the feed
# (feed_open), once `seq 1 1000` ($T/in, 3893 bytes) is in the ring and
# no reader has come: the stream is open and the writer waits for more
# input.  Sets WRITER (its timeout process: assert_job WRITER) and WPID
# (shmcat-in's own pid).  feed_close ends its input.
WRITER= WPID=
writer_waiting() {
	feed_open
	spawn "$SHMCAT_IN" -s 8K "$R" <"$FEED"
	WRITER=$BG_PID
	WPID=$(child_of "$WRITER")
	seq 1 1000 >"$T/in"
	feed "$T/in"
	wait_until ring_is "$R" buffered 3893
}

# _any_alive PID...: one of them is still running (zombies do not count).
_any_alive() {
	local p st=()
	for p in "$@"; do
		read -r -a st 2>/dev/null <"/proc/$p/stat" || continue
		# The state follows "(comm)"; comm itself may hold spaces.
		[[ ${st[*]} =~ \)\ ([A-Za-z]) ]] || continue
		[[ ${BASH_REMATCH[1]} != Z ]] && return 0
	done
	return 1
}

# _descendants PID: PID's process tree, parents first.
_descendants() {
	local kids=() k
	read -r -a kids 2>/dev/null <"/proc/$1/task/$1/children" || true
	for k in "${kids[@]}"; do
		echo "$k"
		_descendants "$k"
	done
}

#####################
#  setup/teardown   #
#####################

# shmcat_setup_file: check the binaries are there (call from setup_file).
shmcat_setup_file() {
	local b
	for b in "$SHMCAT_IN" "$SHMCAT_OUT" "$SHMCAT"; do
		if [[ ! -x $b ]]; then
			echo "# $b is missing: run make (or set SHMCAT_BIN)" >&3
			return 1
		fi
	done
}

# shmcat_setup: a fresh ring name in $R and a scratch dir in $T.
shmcat_setup() {
	R=$(ring_name)
	T=$BATS_TEST_TMPDIR
	EXPECT_LEFT=()
	umask 022
}

# shmcat_teardown: kill whatever the test left running, then fail the
# test if it left shmcat objects of its own in /dev/shm that it did not
# announce with expect_left.  Everything of this test's is removed either
# way, so one failure does not spill into the next test.
shmcat_teardown() {
	local pids=() p left=() f unexpected=() n
	exec 7>&-

	# Jobs still running here are the remains of a failed test: ask them
	# to stop (timeout forwards TERM), give them 2 s, then kill the tree.
	for p in $(jobs -p); do
		pids+=("$p" $(_descendants "$p"))
	done
	if ((${#pids[@]} > 0)); then
		kill -TERM "${pids[@]}" 2>/dev/null || true
		kill -CONT "${pids[@]}" 2>/dev/null || true # stopped ones too
		for ((n = 0; n < 100; n++)); do
			_any_alive "${pids[@]}" || break
			sleep 0.02
		done
		kill -KILL "${pids[@]}" 2>/dev/null || true
		wait 2>/dev/null || true
	fi

	for f in "$SHMDIR"/shmcat.bt"${BATS_TEST_NUMBER}"-$$-*; do
		[[ -e $f ]] && left+=("${f##*/}")
	done
	for f in "${left[@]}"; do
		if [[ " ${EXPECT_LEFT[*]} " != *" $f "* ]]; then
			unexpected+=("$f")
		fi
		timeout 5 "$SHMCAT" rm -f "${f#shmcat.}" >/dev/null 2>&1 || true
		rm -f "$SHMDIR/$f"
	done
	if ((${#unexpected[@]} > 0)); then
		_fail "test left in $SHMDIR: ${unexpected[*]}"
	fi
}

# A pid no process has: above pid_max, so never reused under the test.
dead_pid() {
	echo $(($(cat /proc/sys/kernel/pid_max) + 1))
}

# dead_build RING [NONCE]: the build file of RING that a creator left
# when it died, RING~PID[.NONCE] (12 KiB, as shmcat list shows it), its
# name in BUILD.
dead_build() {
	BUILD=$1~$(dead_pid)${2:+.$2}
	head -c 12288 /dev/zero >"$SHMDIR/shmcat.$BUILD"
}
