#!/usr/bin/env bats
# The man pages: lint-clean, in step with each program's --help, and
# their EXAMPLES really work.
#
# Needs mandoc, and the binaries in
# $SHMCAT_BIN (default build/).  Every command that could block runs
# under `timeout 20`; every ring is named bt-man-N-PID-*, and teardown
# removes what the test left and fails if any is left over.

load test_helper

BIN=${SHMCAT_BIN:-$REPO/build}
MAN=$REPO/man
PAGES=(shmcat-in.1 shmcat-out.1 shmcat.1 shmcat.7)
# The library's pages: every man/*.3.
LIBPAGES=()
for f in "$MAN"/*.3; do
	[[ -e $f ]] && LIBPAGES+=("${f##*/}")
done
unset f

# mandoc looks up every .Xr in /usr/share/man.  Our own pages are not
# installed there while we test them, so only those misses are excused;
# the other pages we refer to (pv(1), mbuffer(1), ...) must be found.
OURS='shmcat|shmcat-in|shmcat-out|shmcat_[a-z_]+'

setup() {
	P=bt-man-$BATS_TEST_NUMBER-$$
	T=$BATS_TEST_TMPDIR
	command -v mandoc >/dev/null || {
		echo "# mandoc is missing: tests/deps installs it"
		return 1
	}
}

# kill_jobs: end the background jobs this test started, and their
# children, by pid.
kill_jobs() {
	local p pids=()
	for p in $(jobs -p); do
		pids+=("$p" $(_descendants "$p"))
	done
	((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
}

# Remove this test's rings; fail if the test left any (every example
# here ends its streams, so a ring left over is a bug) or if one could
# not be removed.
teardown() {
	kill_jobs
	remove_rings_with_prefix "$P"
}

need_bins() {
	local b
	for b in shmcat-in shmcat-out shmcat; do
		[[ -x $BIN/$b ]] || { echo "# $BIN/$b is missing: run make"; return 1; }
	done
}

# The options a page documents: every Fl in SYNOPSIS and on the .It lines
# of DESCRIPTION, one per line: -x for a short one, --xyz for a long one.
# ".Op Fl 0fhk" is a cluster of short options.
man_opts() {
	awk '
	/^\.Sh / { sec = $2; next }
	sec != "SYNOPSIS" && !(sec == "DESCRIPTION" && /^\.It /) { next }
	{
		sub(/^\./, ""); gsub(/\\&/, ""); gsub(/\\-/, "-")
		n = split($0, w, /[ \t]+/)
		for (i = 1; i < n; i++) {
			if (w[i] != "Fl") continue
			for (j = i + 1; j <= n; j++) {
				a = w[j]
				if (a ~ /^[A-Z][a-z][a-z]?$/) break  # next macro
				if (a ~ /^[|,]$/) continue           # delimiters
				if (a ~ /^-/) { print "-" a; continue }
				for (k = 1; k <= length(a); k++)
					print "-" substr(a, k, 1)
			}
		}
	}' "$1" | sort -u
}

# The options a program's --help mentions, one per line.
help_opts() {
	"$BIN/$1" --help | perl -ne \
	    'print "$1\n" while /(?<![A-Za-z0-9-])(--[a-z][a-z0-9-]*|-[A-Za-z0-9])(?![A-Za-z0-9-])/g' |
	    sort -u
}

# The long options of a page's option list, in the order given.
man_long_order() {
	awk '/^\.Sh /{ sec = $2 } sec == "DESCRIPTION" && /^\.It Fl/' "$1" |
	    grep -oE -- 'Fl \\-[a-z][a-z0-9-]*' | sed 's/^Fl \\-/--/'
}

# The long options of --help lines that start with an option.
help_long_order() {
	"$BIN/$1" --help | grep -E -- '^[[:space:]]+-' |
	    grep -oE -- '--[a-z][a-z0-9-]*' | awk '!seen[$0]++'
}

# compare_opts CMD PAGE: --help and the page list the same options.
compare_opts() {
	local help man
	help=$(help_opts "$1")
	man=$(man_opts "$MAN/$2")
	[[ -n $help ]] || { echo "# $1 --help printed no options"; return 1; }
	[[ -n $man ]] || { echo "# $2 documents no options"; return 1; }
	local only_help only_man
	only_help=$(comm -23 <(echo "$help") <(echo "$man"))
	only_man=$(comm -13 <(echo "$help") <(echo "$man"))
	if [[ -n $only_help || -n $only_man ]]; then
		echo "# in $1 --help but not in $2: $(echo $only_help)"
		echo "# in $2 but not in $1 --help: $(echo $only_man)"
		return 1
	fi
}

@test "mandoc -T lint: every page is clean" {
	local page out bad=0
	for page in "${PAGES[@]}" "${LIBPAGES[@]}"; do
		[[ -f $MAN/$page ]] || { echo "# man/$page is missing"; bad=1; continue; }
		out=$(cd "$MAN" && mandoc -T lint -W style "$page" 2>&1 |
		    grep -v -e 'outdated mandoc.db' \
			-e "referenced manual not found: Xr ($OURS) [137]" || true)
		if [[ -n $out ]]; then
			echo "$out"
			bad=1
		fi
	done
	((bad == 0))
}

@test "every page has the usual sections, in order" {
	local page want got order
	want='NAME,SYNOPSIS,DESCRIPTION,FILES,EXIT STATUS,EXAMPLES,SEE ALSO,CAVEATS,'
	for page in shmcat-in.1 shmcat-out.1 shmcat.1; do
		got=$(sed -n 's/^\.Sh //p' "$MAN/$page" | tr '\n' ,)
		# The sections of $want that the page has, in the page's order.
		order=$(tr , '\n' <<<"$got" | grep -Fx -f <(tr , '\n' <<<"$want" | sed '/^$/d') |
		    tr '\n' ,)
		[[ $order == "$want" ]] ||
		    { echo "# $page: sections $got; want $want in this order"; return 1; }
	done
	got=$(sed -n 's/^\.Sh //p' "$MAN/shmcat.7" | tr '\n' ,)
	[[ $got == NAME,DESCRIPTION,*"SEE ALSO," ]] || { echo "# shmcat.7: $got"; return 1; }
}

@test "EXIT STATUS lists every exit code in each page" {
	local page code codes
	for page in shmcat-in.1 shmcat-out.1 shmcat.1; do
		codes=$(awk '/^\.Sh /{ sec = substr($0, 5) }
		    sec == "EXIT STATUS" && /^\.It /{ print $2 }' "$MAN/$page" |
		    tr '\n' ' ')
		for code in 0 1 2 3 4 128+ 141; do
			[[ " $codes" == *" $code "* ]] ||
			    { echo "# $page: no $code in EXIT STATUS ($codes)"; return 1; }
		done
	done
}

@test "SEE ALSO names the related pages" {
	local page ref
	for page in shmcat-in.1 shmcat-out.1 shmcat.1; do
		for ref in "shm_open 3" "sem_overview 7" "mkfifo 1" "pv 1" \
		    "mbuffer 1" "shmcat 7"; do
			grep -qx "\.Xr $ref\( ,\)\{0,1\}" "$MAN/$page" ||
			    { echo "# $page: SEE ALSO lacks $ref"; return 1; }
		done
	done
}

@test "shmcat-in --help and shmcat-in(1) document the same options" {
	need_bins
	compare_opts shmcat-in shmcat-in.1
}

@test "shmcat-out --help and shmcat-out(1) document the same options" {
	need_bins
	compare_opts shmcat-out shmcat-out.1
}

@test "shmcat --help and shmcat(1) document the same options" {
	need_bins
	compare_opts shmcat shmcat.1
}

@test "the filters' pages list their options in --help's order" {
	need_bins
	local cmd
	for cmd in shmcat-in shmcat-out; do
		diff <(help_long_order $cmd) <(man_long_order "$MAN/$cmd.1") ||
		    { echo "# $cmd: --help (<) and $cmd.1 (>) differ in order"; return 1; }
	done
}

@test "--version prints what the pages say it prints" {
	need_bins
	local cmd want
	for cmd in shmcat-in shmcat-out shmcat; do
		want=$(sed -n 's/^\.Dq \(.*\)$/\1/p' "$MAN/$cmd.1" | grep "^$cmd [0-9]")
		run timeout 20 "$BIN/$cmd" --version
		[[ $status == 0 ]] || { echo "# $cmd --version: status $status"; return 1; }
		[[ $output == "$want" ]] ||
		    { echo "# $cmd --version: '$output', page says '$want'"; return 1; }
	done
}

# EXAMPLES: each test runs one example as the pages print it, with this
# test's own ring names and scratch files.

@test "EXAMPLES: tar through a 64M ring, writer first" {
	need_bins
	mkdir -p "$T/src/sub" "$T/dst"
	head -c 300000 /dev/urandom >"$T/src/a.bin"
	seq 50000 >"$T/src/sub/b.txt"
	(tar -C "$T/src" -cf - . | timeout 20 "$BIN/shmcat-in" -s 64M "$P-tree") &
	local w=$!
	# As typed at a prompt: the reader comes once the writer is there.
	until [[ -e /dev/shm/shmcat.$P-tree ]] || ! kill -0 $w 2>/dev/null; do
		sleep 0.05
	done
	timeout 20 "$BIN/shmcat-out" "$P-tree" | tar -C "$T/dst" -xf -
	wait $w
	diff -r "$T/src" "$T/dst"
	[[ ! -e /dev/shm/shmcat.$P-tree ]]
}

@test "EXAMPLES: gzip | shmcat-in, shmcat-out | sha256sum, either side first" {
	need_bins
	seq 200000 >"$T/big.log"
	local want got w
	want=$(gzip -c "$T/big.log" | sha256sum)

	(gzip -c "$T/big.log" | timeout 20 "$BIN/shmcat-in" "$P-logs") &
	w=$!
	got=$(timeout 20 "$BIN/shmcat-out" "$P-logs" | sha256sum)
	wait $w
	[[ $got == "$want" ]]

	(timeout 20 "$BIN/shmcat-out" "$P-logs2" | sha256sum >"$T/sum") &
	w=$!
	until [[ -e /dev/shm/shmcat.$P-logs2 ]] || ! kill -0 $w 2>/dev/null; do
		sleep 0.05
	done
	gzip -c "$T/big.log" | timeout 20 "$BIN/shmcat-in" "$P-logs2"
	wait $w
	[[ $(cat "$T/sum") == "$want" ]]
	[[ ! -e /dev/shm/shmcat.$P-logs && ! -e /dev/shm/shmcat.$P-logs2 ]]
}

@test "EXAMPLES: shmcat-out | head, then a new reader goes on" {
	need_bins
	local w first
	(seq 1000000 | timeout 20 "$BIN/shmcat-in" "$P-nums") &
	w=$!
	first=$(timeout 20 "$BIN/shmcat-out" "$P-nums" | head -n 2; echo "rc=${PIPESTATUS[0]}")
	[[ $first == $'1\n2\nrc=141' ]] || { echo "# first reader: '$first'"; return 1; }
	run timeout 20 bash -c '"$1" "$2" | tail -n 1' _ "$BIN/shmcat-out" "$P-nums"
	[[ $status == 0 && $output == 1000000 ]] ||
	    { echo "# second reader: status $status, '$output'"; return 1; }
	wait $w
	[[ ! -e /dev/shm/shmcat.$P-nums ]]
}

@test "EXAMPLES: shmcat-out --hangup | head ends the writer with 141" {
	need_bins
	local w out
	(yes | timeout 20 "$BIN/shmcat-in" "$P-ys") &
	w=$!
	out=$(timeout 20 "$BIN/shmcat-out" --hangup "$P-ys" | head -n 1)
	[[ $out == y ]]
	local rc=0
	wait $w || rc=$?
	[[ $rc == 141 ]] || { echo "# writer: status $rc"; return 1; }
	[[ ! -e /dev/shm/shmcat.$P-ys ]]
}

@test "EXAMPLES: -k appends; the last writer ends the stream" {
	need_bins
	date | timeout 20 "$BIN/shmcat-in" -k "$P-log"
	uptime | timeout 20 "$BIN/shmcat-in" -k "$P-log"
	echo done | timeout 20 "$BIN/shmcat-in" "$P-log"
	run timeout 20 "$BIN/shmcat-out" "$P-log"
	[[ $status == 0 ]]
	[[ ${#lines[@]} == 3 && ${lines[2]} == done ]] ||
	    { echo "# got: $output"; return 1; }
	[[ ! -e /dev/shm/shmcat.$P-log ]]
}

@test "EXAMPLES: several -l writers, lines never interleave" {
	need_bins
	local i
	for i in 1 2 3; do
		seq 1000 | timeout 20 "$BIN/shmcat-in" -l -k "$P-nums" &
	done
	wait
	timeout 20 "$BIN/shmcat-in" -l "$P-nums" </dev/null
	timeout 20 "$BIN/shmcat-out" "$P-nums" >"$T/out"
	[[ $(sort -n "$T/out" | uniq -c | head -n 2) == $'      3 1\n      3 2' ]]
	# Every line whole: each of 1..1000 exactly three times, nothing else.
	[[ $(sort -n "$T/out" | uniq -c | awk '$1 != 3' | wc -l) == 0 ]]
	[[ $(wc -l <"$T/out") == 3000 ]]
	[[ ! -e /dev/shm/shmcat.$P-nums ]]
}

@test "EXAMPLES: a default and a named cursor, each at its own pace" {
	need_bins
	head -c 3000000 /dev/urandom >"$T/big.iso"
	local want r1 r2
	want=$(sha256sum <"$T/big.iso")
	(timeout 20 "$BIN/shmcat-out" "$P-data" | sha256sum >"$T/sum") &
	r1=$!
	(timeout 20 "$BIN/shmcat-out" -r copy "$P-data" >"$T/copy.iso") &
	r2=$!
	# As typed at a prompt: both readers are there before the writer.
	local deadline=$((SECONDS + 10))
	until [[ $(timeout 5 "$BIN/shmcat" status -k "$P-data" 2>/dev/null |
	    sed -n 's/^readers_alive=//p') == 2 ]]; do
		((SECONDS < deadline)) || { echo "# readers did not attach"; return 1; }
		sleep 0.05
	done
	timeout 20 "$BIN/shmcat-in" "$P-data" <"$T/big.iso"
	wait $r1 $r2
	[[ $(cat "$T/sum") == "$want" ]]
	cmp "$T/copy.iso" "$T/big.iso"
	[[ ! -e /dev/shm/shmcat.$P-data ]]
}

@test "EXAMPLES: shmcat list, status, status -k, rm" {
	need_bins
	seq 100000 | timeout 20 "$BIN/shmcat-in" "$P-nums"
	run timeout 20 "$BIN/shmcat" list
	[[ $status == 0 && $output == *"$P-nums"* ]] || { echo "# list: $output"; return 1; }
	run timeout 20 "$BIN/shmcat" status "$P-nums"
	[[ $status == 0 ]]
	run timeout 20 bash -c '"$1" status -k "$2" | grep "^state="' _ "$BIN/shmcat" "$P-nums"
	[[ $status == 0 && $output == state=ended ]] || { echo "# status -k: $output"; return 1; }
	run timeout 20 bash -c '"$1" status --json "$2" | jq -r ".rings[0].state"' _ "$BIN/shmcat" "$P-nums"
	[[ $status == 0 && $output == ended ]] || { echo "# status --json | jq: $output"; return 1; }
	run timeout 20 "$BIN/shmcat" rm "$P-nums"
	[[ $status == 0 ]]
	[[ ! -e /dev/shm/shmcat.$P-nums ]]
}

# The library's pages (issue 14, item 2).

# The public functions of include/shmcat.h, one per line.
public_functions() {
	grep -oE '\bshmcat_[a-z_]+\(' "$REPO/include/shmcat.h" | tr -d '(' | sort -u
}

@test "every public function has a section-3 page that names it" {
	local fn bad=0 names
	names=$(cd "$MAN" && sed -n 's/^\.Nm \([a-z_]*\).*/\1/p' *.3 2>/dev/null | sort -u)
	for fn in $(public_functions); do
		grep -qx "$fn" <<<"$names" || { echo "# no page names $fn"; bad=1; }
	done
	((bad == 0))
	((${#LIBPAGES[@]} >= 6)) || { echo "# only ${LIBPAGES[*]}"; return 1; }
}

@test "section-3 pages have RETURN VALUES, ERRORS, EXAMPLES and say how threads and fork fare" {
	local page secs
	for page in "${LIBPAGES[@]}"; do
		secs=$(sed -n 's/^\.Sh //p' "$MAN/$page" | tr '\n' ,)
		[[ $secs == NAME,LIBRARY,SYNOPSIS,DESCRIPTION,"RETURN VALUES",EXAMPLES,* ]] ||
		    { echo "# $page: sections $secs"; return 1; }
		[[ $page == shmcat_strerror.3 || $secs == *ERRORS,* ]] ||
		    { echo "# $page: no ERRORS"; return 1; }
		grep -qi 'thread' "$MAN/$page" || { echo "# $page: nothing on threads"; return 1; }
		[[ $page == shmcat_strerror.3 ]] || grep -q '^\.Xr fork 2' "$MAN/$page" ||
		    { echo "# $page: nothing on fork"; return 1; }
	done
	grep -q soname "$MAN/shmcat.3" || { echo "# shmcat.3: no soname policy"; return 1; }
}

# lib_examples PAGE: the programs in PAGE's EXAMPLES section, as C, one
# file each in $T/PAGE.N.c; prints how many.
lib_examples() {
	awk -v out="$T/$1" '
	/^\.Sh / { sec = substr($0, 5); next }
	sec == "EXAMPLES" && /^\.Bd -literal/ { n++; f = out "." n ".c"; inbd = 1; next }
	inbd && /^\.Ed/ { inbd = 0; next }
	inbd {
		gsub(/\\e/, "\\"); gsub(/\\&/, ""); gsub(/\\\(dq/, "\"")
		print > f
	}
	END { print n + 0 }' "$MAN/$1"
}

@test "EXAMPLES of the section-3 pages compile without warnings and run" {
	local page n i bad=0
	((${#LIBPAGES[@]} > 0)) || { echo "# no man/*.3"; return 1; }
	echo "text from the page's reader" >"$T/input"
	for page in "${LIBPAGES[@]}"; do
		n=$(lib_examples "$page")
		((n > 0)) || { echo "# $page: no program in EXAMPLES"; bad=1; continue; }
		for ((i = 1; i <= n; i++)); do
			grep -q 'main(' "$T/$page.$i.c" || continue
			if ! cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 $TEST_LDFLAGS \
			    -I"$REPO/include" -o "$T/ex" "$T/$page.$i.c" \
			    "$BIN/libshmcat.a" -lpthread 2>"$T/cc.err"; then
				echo "# $page, example $i does not compile:"
				sed 's/^/#   /' "$T/cc.err"
				bad=1
				continue
			fi
			if ! timeout 20 "$T/ex" "$P-$page-$i" <"$T/input" >"$T/ex.out" 2>&1; then
				echo "# $page, example $i failed:"
				sed 's/^/#   /' "$T/ex.out"
				bad=1
			fi
		done
	done
	((bad == 0))
}
