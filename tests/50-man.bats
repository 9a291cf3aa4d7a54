#!/usr/bin/env bats
# The man pages: lint-clean, in step with each program's --help, and
# their EXAMPLES really work.
#
# Needs mandoc, jq and cc (tests/deps installs them; a missing tool
# fails the tests that use it) and the programs test_helper names.

bats_require_minimum_version 1.5.0
load test_helper

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

setup_file() { shmcat_setup_file; }

setup() {
	shmcat_setup
	need mandoc
}

# Every example here ends its streams: a ring left over is a bug, and
# shmcat_teardown fails the test for it.
teardown() { shmcat_teardown; }

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
	"$SHMCAT_BIN/$1" --help | perl -ne \
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
	"$SHMCAT_BIN/$1" --help | grep -E -- '^[[:space:]]+-' |
	    grep -oE -- '--[a-z][a-z0-9-]*' | awk '!seen[$0]++'
}

# compare_opts CMD PAGE: --help and the page list the same options.
compare_opts() {
	local help man
	help=$(help_opts "$1")
	man=$(man_opts "$MAN/$2")
	[[ -n $help ]] || _fail "$1 --help printed no options"
	[[ -n $man ]] || _fail "$2 documents no options"
	local only_help only_man
	only_help=$(comm -23 <(echo "$help") <(echo "$man"))
	only_man=$(comm -13 <(echo "$help") <(echo "$man"))
	if [[ -n $only_help || -n $only_man ]]; then
		_fail "$1 --help and $2 differ" \
		    "in $1 --help but not in $2: $(echo $only_help)" \
		    "in $2 but not in $1 --help: $(echo $only_man)"
	fi
}

@test "mandoc -T lint: every page is clean" {
	local page out bad=0
	for page in "${PAGES[@]}" "${LIBPAGES[@]}"; do
		[[ -f $MAN/$page ]] || { _fail "man/$page is missing" || bad=1; continue; }
		out=$(cd "$MAN" && mandoc -T lint -W style "$page" 2>&1 |
		    grep -v -e 'outdated mandoc.db' \
			-e "referenced manual not found: Xr ($OURS) [137]" || true)
		[[ -z $out ]] || _fail "mandoc -T lint $page:" "$out" || bad=1
	done
	assert_equal "$bad" 0 "pages with findings"
}

@test "every page has the usual sections, in order" {
	local page want got order
	want='NAME,SYNOPSIS,DESCRIPTION,FILES,EXIT STATUS,EXAMPLES,SEE ALSO,CAVEATS,'
	for page in shmcat-in.1 shmcat-out.1 shmcat.1; do
		got=$(sed -n 's/^\.Sh //p' "$MAN/$page" | tr '\n' ,)
		# The sections of $want that the page has, in the page's order.
		order=$(tr , '\n' <<<"$got" | grep -Fx -f <(tr , '\n' <<<"$want" | sed '/^$/d') |
		    tr '\n' ,)
		assert_equal "$order" "$want" "$page: the usual sections of $got, in order"
	done
	got=$(sed -n 's/^\.Sh //p' "$MAN/shmcat.7" | tr '\n' ,)
	assert_match "$got" '^NAME,DESCRIPTION,.*SEE ALSO,$' "sections of shmcat.7"
}

@test "EXIT STATUS lists every exit code in each page" {
	local page code codes
	for page in shmcat-in.1 shmcat-out.1 shmcat.1; do
		codes=$(awk '/^\.Sh /{ sec = substr($0, 5) }
		    sec == "EXIT STATUS" && /^\.It /{ print $2 }' "$MAN/$page" |
		    tr '\n' ' ')
		for code in 0 1 2 3 4 128+ 141; do
			[[ " $codes" == *" $code "* ]] ||
			    _fail "$page: no $code in EXIT STATUS ($codes)"
		done
	done
}

@test "SEE ALSO names the related pages" {
	local page ref
	for page in shmcat-in.1 shmcat-out.1 shmcat.1; do
		for ref in "shm_open 3" "sem_overview 7" "mkfifo 1" "pv 1" \
		    "mbuffer 1" "shmcat 7"; do
			grep -qx "\.Xr $ref\( ,\)\{0,1\}" "$MAN/$page" ||
			    _fail "$page: SEE ALSO lacks $ref"
		done
	done
}

@test "shmcat-in --help and shmcat-in(1) document the same options" {
	compare_opts shmcat-in shmcat-in.1
}

@test "shmcat-out --help and shmcat-out(1) document the same options" {
	compare_opts shmcat-out shmcat-out.1
}

@test "shmcat --help and shmcat(1) document the same options" {
	compare_opts shmcat shmcat.1
}

@test "the filters' pages list their options in --help's order" {
	local cmd
	for cmd in shmcat-in shmcat-out; do
		[[ -n $(help_long_order $cmd) ]] || _fail "$cmd --help lists no long options"
		diff <(help_long_order $cmd) <(man_long_order "$MAN/$cmd.1") >"$T/order.diff" ||
		    _fail "$cmd: --help (<) and $cmd.1 (>) differ in order" "$(cat "$T/order.diff")"
	done
}

@test "--version prints what the pages say it prints" {
	local cmd want
	for cmd in shmcat-in shmcat-out shmcat; do
		want=$(sed -n 's/^\.Dq \(.*\)$/\1/p' "$MAN/$cmd.1" | grep "^$cmd [0-9]")
		run -0 --separate-stderr tmo "$SHMCAT_BIN/$cmd" --version
		assert_equal "$output" "$want" "$cmd --version (as $cmd.1 says)"
	done
}

# EXAMPLES: each test runs one example as the pages print it, with this
# test's own ring names and scratch files.

@test "EXAMPLES: tar through a 64M ring, writer first" {
	mkdir -p "$T/src/sub" "$T/dst"
	head -c 300000 /dev/urandom >"$T/src/a.bin"
	seq 50000 >"$T/src/sub/b.txt"
	spawn bash -c 'tar -C "$1" -cf - . | "$2" -s 64M "$3"' _ "$T/src" "$SHMCAT_IN" "$R-tree"
	local w=$BG_PID
	# As typed at a prompt: the reader comes once the writer is there.
	wait_until ring_exists "$R-tree"
	tmo "$SHMCAT_OUT" "$R-tree" | tar -C "$T/dst" -xf -
	assert_job "$w" 0 "tar | shmcat-in"
	run -0 diff -r "$T/src" "$T/dst"
	assert_no_ring "$R-tree"
}

@test "EXAMPLES: gzip | shmcat-in, shmcat-out | sha256sum, either side first" {
	seq 200000 >"$T/big.log"
	local want got w
	want=$(gzip -c "$T/big.log" | sha256sum)

	spawn bash -c 'gzip -c "$1" | "$2" "$3"' _ "$T/big.log" "$SHMCAT_IN" "$R-logs"
	w=$BG_PID
	got=$(tmo "$SHMCAT_OUT" "$R-logs" | sha256sum)
	assert_job "$w" 0 "gzip | shmcat-in"
	assert_equal "$got" "$want" "sha256, writer first"

	spawn bash -c '"$1" "$2" | sha256sum >"$3"' _ "$SHMCAT_OUT" "$R-logs2" "$T/sum"
	w=$BG_PID
	wait_until ring_exists "$R-logs2"
	gzip -c "$T/big.log" | tmo "$SHMCAT_IN" "$R-logs2"
	assert_job "$w" 0 "shmcat-out | sha256sum"
	assert_equal "$(cat "$T/sum")" "$want" "sha256, reader first"
	assert_no_ring "$R-logs"
	assert_no_ring "$R-logs2"
}

@test "EXAMPLES: shmcat-out | head, then a new reader goes on" {
	local w first
	spawn bash -c 'seq 1000000 | "$1" "$2"' _ "$SHMCAT_IN" "$R-nums"
	w=$BG_PID
	first=$(tmo "$SHMCAT_OUT" "$R-nums" | head -n 2; echo "rc=${PIPESTATUS[0]}")
	assert_equal "$first" $'1\n2\nrc=141' "first reader"
	run -0 --separate-stderr tmo bash -c '"$1" "$2" | tail -n 1' _ "$SHMCAT_OUT" "$R-nums"
	assert_equal "$output" 1000000 "second reader's last line"
	assert_job "$w" 0 "seq | shmcat-in"
	assert_no_ring "$R-nums"
}

@test "EXAMPLES: shmcat-out --hangup | head ends the writer with 141" {
	local w out
	spawn bash -c 'yes | "$1" "$2"' _ "$SHMCAT_IN" "$R-ys"
	w=$BG_PID
	out=$(tmo "$SHMCAT_OUT" --hangup "$R-ys" | head -n 1)
	assert_equal "$out" y "the reader's line"
	assert_job "$w" 141 "yes | shmcat-in"
	assert_no_ring "$R-ys"
}

@test "EXAMPLES: -k appends; the last writer ends the stream" {
	date | tmo "$SHMCAT_IN" -k "$R-log"
	uptime | tmo "$SHMCAT_IN" -k "$R-log"
	echo done | tmo "$SHMCAT_IN" "$R-log"
	run -0 --separate-stderr tmo "$SHMCAT_OUT" "$R-log"
	assert_equal "${#lines[@]}" 3 "lines read"
	assert_equal "${lines[2]}" done "the last line"
	assert_no_ring "$R-log"
}

@test "EXAMPLES: several -l writers, lines never interleave" {
	local i w=()
	for i in 1 2 3; do
		spawn bash -c 'seq 1000 | "$1" -l -k "$2"' _ "$SHMCAT_IN" "$R-nums"
		w+=("$BG_PID")
	done
	for i in "${w[@]}"; do
		assert_job "$i" 0 "seq | shmcat-in -l -k"
	done
	run -0 --separate-stderr tmo "$SHMCAT_IN" -l "$R-nums" </dev/null
	run_file "$T/out" "$SHMCAT_OUT" "$R-nums"
	assert_status "$status" 0 "shmcat-out"
	assert_equal "$(sort -n "$T/out" | uniq -c | head -n 2)" $'      3 1\n      3 2' "first lines"
	# Every line whole: each of 1..1000 exactly three times, nothing else.
	assert_equal "$(sort -n "$T/out" | uniq -c | awk '$1 != 3' | wc -l)" 0 "lines not read 3 times"
	assert_equal "$(wc -l <"$T/out")" 3000 "lines read"
	assert_no_ring "$R-nums"
}

@test "EXAMPLES: a default and a named cursor, each at its own pace" {
	head -c 3000000 /dev/urandom >"$T/big.iso"
	local want r1 r2
	want=$(sha256sum <"$T/big.iso")
	spawn bash -c '"$1" "$2" | sha256sum >"$3"' _ "$SHMCAT_OUT" "$R-data" "$T/sum"
	r1=$BG_PID
	spawn "$SHMCAT_OUT" -r copy "$R-data" >"$T/copy.iso"
	r2=$BG_PID
	# As typed at a prompt: both readers are there before the writer.
	wait_until ring_is "$R-data" readers_alive 2
	run -0 --separate-stderr tmo "$SHMCAT_IN" "$R-data" <"$T/big.iso"
	assert_job "$r1" 0 "shmcat-out | sha256sum"
	assert_job "$r2" 0 "shmcat-out -r copy"
	assert_equal "$(cat "$T/sum")" "$want" "sha256 of the default cursor's copy"
	assert_same_file "$T/copy.iso" "$T/big.iso"
	assert_no_ring "$R-data"
}

@test "EXAMPLES: shmcat list, status, status -k, rm" {
	need jq
	seq 100000 | tmo "$SHMCAT_IN" "$R-nums"
	run -0 --separate-stderr tmo "$SHMCAT" list
	assert_match "$output" "(^|"$'\n'")$R-nums " "shmcat list"
	run -0 --separate-stderr tmo "$SHMCAT" status "$R-nums"
	assert_match "$output" "^ring $R-nums: " "shmcat status"
	run -0 --separate-stderr tmo bash -c '"$1" status -k "$2" | grep "^state="' _ "$SHMCAT" "$R-nums"
	assert_equal "$output" state=ended "shmcat status -k"
	run -0 --separate-stderr tmo bash -c '"$1" status --json "$2" | jq -r ".rings[0].state"' _ "$SHMCAT" "$R-nums"
	assert_equal "$output" ended "shmcat status --json | jq"
	run -0 --separate-stderr tmo "$SHMCAT" rm "$R-nums"
	assert_no_ring "$R-nums"
}

# The library's pages: one per function, each example compiled and run.

# The public functions of include/shmcat.h, one per line.
public_functions() {
	grep -oE '\bshmcat_[a-z_]+\(' "$REPO/include/shmcat.h" | tr -d '(' | sort -u
}

@test "every public function has a section-3 page that names it" {
	local fn bad=0 names
	names=$(cd "$MAN" && sed -n 's/^\.Nm \([a-z_]*\).*/\1/p' *.3 2>/dev/null | sort -u)
	for fn in $(public_functions); do
		grep -qx "$fn" <<<"$names" || _fail "no page names $fn" || bad=1
	done
	assert_equal "$bad" 0 "functions without a page"
	((${#LIBPAGES[@]} >= 6)) || _fail "only ${LIBPAGES[*]}"
}

@test "section-3 pages have RETURN VALUES, ERRORS, EXAMPLES and say how threads and fork fare" {
	local page secs
	for page in "${LIBPAGES[@]}"; do
		secs=$(sed -n 's/^\.Sh //p' "$MAN/$page" | tr '\n' ,)
		[[ $secs == NAME,LIBRARY,SYNOPSIS,DESCRIPTION,"RETURN VALUES",EXAMPLES,* ]] ||
		    _fail "$page: sections $secs"
		[[ $page == shmcat_strerror.3 || $secs == *ERRORS,* ]] ||
		    _fail "$page: no ERRORS"
		grep -qi 'thread' "$MAN/$page" || _fail "$page: nothing on threads"
		[[ $page == shmcat_strerror.3 ]] || grep -q '^\.Xr fork 2' "$MAN/$page" ||
		    _fail "$page: nothing on fork"
	done
	grep -q soname "$MAN/shmcat.3" || _fail "shmcat.3: no soname policy"
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
	need cc
	((${#LIBPAGES[@]} > 0)) || _fail "no man/*.3"
	echo "text from the page's reader" >"$T/input"
	for page in "${LIBPAGES[@]}"; do
		n=$(lib_examples "$page")
		((n > 0)) || { _fail "$page: no program in EXAMPLES" || bad=1; continue; }
		for ((i = 1; i <= n; i++)); do
			grep -q 'main(' "$T/$page.$i.c" || continue
			if ! cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 $TEST_LDFLAGS \
			    -I"$REPO/include" -o "$T/ex" "$T/$page.$i.c" \
			    "$SHMCAT_BIN/libshmcat.a" -lpthread 2>"$T/cc.err"; then
				_fail "$page, example $i does not compile:" "$(cat "$T/cc.err")" || bad=1
				continue
			fi
			run_file "$T/ex.out" "$T/ex" "$R-$page-$i" <"$T/input"
			if ((status != 0)); then
				_fail "$page, example $i failed: status $status" \
				    "$(cat "$T/ex.out" "$T/ex.out.err")" || bad=1
			fi
		done
	done
	assert_equal "$bad" 0 "examples that failed"
}
