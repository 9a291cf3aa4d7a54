#!/usr/bin/env bash
# run_demo.sh - the golden and failure scenarios of shmcat.
#
#   ./run_demo.sh [--mode=golden|failure]
#
# golden:  20000 messages through a one-page ring to a deliberately slow
#          reader, so the writer finds the ring full again and again; prints
#          the counts and whether the checksums match.
# failure: asks for a ring with an invalid name; shmcat refuses with exit 2.
# Both leave nothing in /dev/shm.
set -u

here=$(cd "$(dirname "$0")" && pwd)
bin=${SHMCAT_BIN:-$here/build}
mode=golden
for arg in "$@"; do
	case $arg in
	--mode=golden | --mode=failure) mode=${arg#--mode=} ;;
	-h | --help)
		echo "usage: $0 [--mode=golden|failure]"
		exit 0
		;;
	*)
		echo "$0: unknown argument '$arg'" >&2
		echo "usage: $0 [--mode=golden|failure]" >&2
		exit 2
		;;
	esac
done

if [ ! -x "$bin/shmcat-in" ] || [ ! -x "$bin/shmcat-out" ]; then
	echo "$0: $bin/shmcat-in not built; run 'make' first" >&2
	exit 2
fi

golden() {
	local in out stats
	ring="demo-golden-$$"
	work=$(mktemp -d) || exit 1
	trap 'rm -rf "$work"; "$bin/shmcat" rm -f "$ring" 2>/dev/null' EXIT
	in=$work/in
	out=$work/out
	seq -f 'message %05g: the quick brown fox jumps over the lazy dog' 1 20000 >"$in"

	echo "golden: 20000 messages, $(wc -c <"$in") bytes, one-page ring (4 KiB)"
	# The reader is slow on purpose: a shell loop handling one line at a time.
	timeout 120 "$bin/shmcat-out" "$ring" -s 4K |
		while IFS= read -r line; do printf '%s\n' "$line"; done >"$out" &
	local reader=$!
	timeout 120 "$bin/shmcat-in" -s 4K --stats "$ring" <"$in" 2>"$work/stats"
	local wstatus=$?
	wait "$reader"
	local rstatus=$?
	stats=$(cat "$work/stats")
	echo "writer exit=$wstatus reader exit=$rstatus"
	echo "messages sent:     $(wc -l <"$in")"
	echo "messages received: $(wc -l <"$out")"
	echo "bytes received:    $(wc -c <"$out")"
	local sleeps=${stats##*slept }
	sleeps=${sleeps%% times*}
	if [ "${sleeps:-0}" -gt 0 ]; then
		echo "writer found the ring full and waited: yes"
	else
		echo "writer found the ring full and waited: no"
	fi
	if cmp -s "$in" "$out"; then
		echo "checksum match: yes ($(sha256sum <"$out" | cut -c1-16)...)"
	else
		echo "checksum match: NO"
		exit 1
	fi
	if [ -e "/dev/shm/shmcat.$ring" ]; then
		echo "ring left behind in /dev/shm" >&2
		exit 1
	fi
	[ "$wstatus" -eq 0 ] && [ "$rstatus" -eq 0 ] || exit 1
	echo "OK: golden scenario completed"
}

failure() {
	echo "failure: reading from a ring named 'no/such/ring' (a '/' is not allowed)"
	timeout 10 "$bin/shmcat-out" "no/such/ring" </dev/null
	local status=$?
	echo "ERROR: invalid input or unavailable IPC resource"
	echo "exit=$status"
	exit "$status"
}

"$mode"
