# bench/lib.bash - what bench/run and bench/fanout share: messages,
# statistics of paired rounds, and waiting for a quiet machine.
# Source it after setting BENCH_PROG (for messages) and QUIET_WAIT.

die() {
	echo "$BENCH_PROG: $*" >&2
	exit 2
}

note() {
	echo "$BENCH_PROG: $*" >&2
}

load_now() {
	local psi=""
	if [[ -r /proc/pressure/cpu ]]; then
		psi=$(awk '/^some/ { sub("avg60=", "", $3); print ", CPU pressure (some, avg60) " $3 "%" }' /proc/pressure/cpu)
	fi
	echo "load average $(cut -d' ' -f1-3 /proc/loadavg)$psi"
}

# Reads numbers, one a line; prints "median min max" (or "- - -").
stats() {
	sort -g | awk '{ v[NR] = $1 }
	END {
		if (NR == 0) { print "- - -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m, v[1], v[NR]
	}'
}

# fmt3 PRINTF-FORMAT "median min max" [UNIT] -> "M UNIT (min–max)"
fmt3() {
	awk -v f="$1" -v s="$2" -v u="${3:-}" 'BEGIN {
		split(s, a, " ")
		if (a[1] == "-") { print "-"; exit }
		printf(f "%s (" f "–" f ")\n", a[1], u, a[2], a[3])
	}'
}

busy_seconds() {
	awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" {
		printf "%.2f\n", ($2 + $3 + $4 + $7 + $8) / hz; exit }' /proc/stat
}

# Wait up to QUIET_WAIT seconds until the rest of the machine uses less
# than a quarter of a CPU over one second; count the rounds that began busy.
BUSY_ROUNDS=0
wait_quiet() {
	local deadline=$((SECONDS + QUIET_WAIT)) b0 b1
	((QUIET_WAIT > 0)) || return 0
	while :; do
		b0=$(busy_seconds)
		sleep 1
		b1=$(busy_seconds)
		awk -v a="$b0" -v b="$b1" 'BEGIN { exit !(b - a < 0.25) }' && return 0
		((SECONDS < deadline)) || break
	done
	BUSY_ROUNDS=$((BUSY_ROUNDS + 1))
}
