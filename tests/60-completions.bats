#!/usr/bin/env bats
# Shell completions: each file is loaded in its real shell and asked to
# complete; the answers must be the options of the right command, the
# commands of shmcat, and the rings `shmcat list -k` lists.
#
# The shells under test find $SHMCAT_BIN first on PATH ($COMP_PATH), as
# a user finds the installed shmcat.  bash, zsh and fish come from
# tests/deps; a missing shell fails its tests.

bats_require_minimum_version 1.5.0
load test_helper

COMP=$REPO/completions

IN_OPTS='--size --mode --timeout --nonblock --force --owner --group --lines
--null --keep-open --progress --stats --verbose --help --version'
OUT_OPTS='--size --mode --timeout --nonblock --force --owner --group --reader
--tap --new --hangup --progress --stats --verbose --help --version'
COMMANDS='list ls status stat rm'
# The options of shmcat list and status (shmcat --help, shmcat(1)).
SHOW_OPTS='-j --json -k --kv'

setup_file() { shmcat_setup_file; }

setup() {
	shmcat_setup
	COMP_PATH=$SHMCAT_BIN:$PATH
}

teardown() { shmcat_teardown; }

# words LIST: the words of LIST, sorted, one per line.
words() {
	tr -s ' \t' '\n\n' <<<"$*" | sed '/^$/d' | sort -u
}

# same_set WHAT EXPECTED ACTUAL: two word lists hold the same words.
same_set() {
	local e a
	e=$(words "$2")
	a=$(words "$3")
	[[ $e == "$a" ]] && return 0
	_fail "$1 differs" "expected: $(echo $e)" "actual:   $(echo $a)"
}

# assert_offers LIST WORD: WORD is one of the lines of LIST.
assert_offers() {
	[[ $'\n'$1$'\n' == *$'\n'"$2"$'\n'* ]] && return 0
	_fail "$2 is not offered" "offered: $(echo $1)"
}

# make_rings: what the ring tests complete.  $R-a and $R-b are rings (a
# writer with no input ends its stream and leaves the empty ring for a
# reader); $R-c is an object that is not a ring, which the completions
# offer too, for `shmcat rm -f`; "$R-d~PID" is the build file of a
# creator that died (its pid is beyond PID_MAX_LIMIT), which they must
# not offer; "$R-e f" is not a valid name, which shmcat list skips.
# RINGS is what the completions should offer.
make_rings() {
	local n
	for n in a b; do
		run -0 --separate-stderr tmo "$SHMCAT_IN" -s 4K "$R-$n" </dev/null
		expect_left "$R-$n"
	done
	: >"$SHMDIR/shmcat.$R-c"
	: >"$SHMDIR/shmcat.$R-d~999999999"
	: >"$SHMDIR/shmcat.$R-e f"
	expect_left "$R-c"
	expect_left "$R-d~999999999"
	expect_left "$R-e f"
	# What the completions read.
	run -0 --separate-stderr tmo "$SHMCAT" list -k
	assert_match "$output" "name=$R-a capacity=4096 buffered=0 state=ended " "ring a"
	assert_match "$output" "name=$R-b capacity=4096 " "ring b"
	assert_match "$output" "name=$R-c state=invalid " "object c"
	assert_match "$output" "name=$R-d~999999999 state=abandoned" "build file d"
	RINGS="$R-a $R-b $R-c"
}

# fake_shmcat: a shmcat first on PATH whose `list -k` also prints lines
# a loose parser would take a name from, complains and fails.  Only the
# well-formed names it prints (FAKE_RINGS) may be offered.
fake_shmcat() {
	mkdir -p "$T/fake"
	cat >"$T/fake/shmcat" <<EOF
#!/bin/sh
[ "\$*" = "list -k" ] || exit 2
cat <<'LIST'
name=$R-ok1 capacity=4096 buffered=0 state=ended writer_alive=0 readers_alive=0
name=$R-ok2
name=$R-ok3 state=invalid error="not a shmcat ring"
name=$R-b~123.00ff state=abandoned
name=$R-sp ace state=open
name=$R-tab	state=open
 name=$R-lead state=open
x name=$R-mid state=open
capacity=1 name=$R-late
name=$R-glob* state=open
name=$R-quo"te state=open
name=$R-semi;rm state=open
LIST
echo "shmcat: /dev/shm: something went wrong" >&2
exit 2
EOF
	chmod +x "$T/fake/shmcat"
	COMP_PATH=$T/fake:$PATH
	FAKE_RINGS="$R-ok1 $R-ok2 $R-ok3"
}

# no_shmcat: COMP_PATH without any directory that holds a shmcat.
no_shmcat() {
	local d dirs=() keep=()
	IFS=: read -r -a dirs <<<"$PATH"
	for d in "${dirs[@]}"; do
		[[ -e $d/shmcat ]] || keep+=("$d")
	done
	COMP_PATH=$(IFS=:; echo "${keep[*]}")
	if PATH=$COMP_PATH type -P shmcat >/dev/null; then
		_fail "a shmcat is still on PATH: $COMP_PATH"
	fi
}

########
# bash #
########

# bash_complete WORD...: complete the last WORD of the command line WORD...
# with completions/shmcat.bash, the way bash calls a `complete -F`
# function; prints COMPREPLY one per line.
bash_complete() {
	PATH=$COMP_PATH timeout "$TMO" bash --norc --noprofile -c '
		source "$1" || exit 3
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		spec=$(complete -p "$1") || exit 4
		fn=${spec#*-F }
		fn=${fn%% *}
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$COMP/shmcat.bash" "$@"
}

@test "bash: one file registers shmcat, shmcat-in and shmcat-out" {
	run -0 tmo bash --norc --noprofile -c 'source "$1" && complete -p shmcat shmcat-in shmcat-out' \
	    _ "$COMP/shmcat.bash"
	assert_equal "${#lines[@]}" 3 "lines of complete -p"
	assert_match "$output" "-F [^ ]+ shmcat-in" "shmcat-in"
	assert_match "$output" "-F [^ ]+ shmcat-out" "shmcat-out"
	assert_match "$output" "-F [^ ]+ shmcat($|"$'\n'")" "shmcat"
}

@test "bash: shmcat-in -- offers the writer's long options" {
	run -0 bash_complete shmcat-in --
	same_set "shmcat-in --" "$IN_OPTS" "${output//=/}"
}

@test "bash: shmcat-out -- offers the reader's long options" {
	run -0 bash_complete shmcat-out --
	same_set "shmcat-out --" "$OUT_OPTS" "${output//=/}"
}

@test "bash: --owner and --group offer users and groups" {
	run -0 bash_complete shmcat-out --owner nob
	assert_offers "$output" nobody
	run -0 bash_complete shmcat-in --group ro
	assert_offers "$output" root
}

@test "bash: shmcat-in - offers short options too" {
	run -0 bash_complete shmcat-in -
	assert_offers "$output" -s
	assert_offers "$output" -0
	assert_offers "$output" --keep-open
}

@test "bash: shmcat offers its commands" {
	run -0 bash_complete shmcat ''
	same_set "shmcat" "$COMMANDS" "$output"
	run -0 bash_complete shmcat st
	same_set "shmcat st" "status stat" "$output"
}

@test "bash: shmcat list - and status - offer the options of --help" {
	local o
	run -0 --separate-stderr tmo "$SHMCAT" --help
	for o in $SHOW_OPTS; do
		assert_match "$output" "(^|[ ,])$o([ ,=]|$)" "$o in shmcat --help"
	done
	run -0 bash_complete shmcat list -
	same_set "shmcat list -" "$SHOW_OPTS" "$output"
	run -0 bash_complete shmcat status -
	same_set "shmcat status -" "$SHOW_OPTS" "$output"
}

@test "bash: ring names come from shmcat list" {
	make_rings
	local cmd
	for cmd in "shmcat-in" "shmcat-out" "shmcat-out -r x" "shmcat status" "shmcat rm"; do
		run -0 --separate-stderr bash_complete $cmd "$R"
		same_set "$cmd $R" "$RINGS" "$output"
		assert_equal "$stderr" "" "stderr of $cmd $R"
	done
}

@test "bash: no ring name after an option that takes a value" {
	make_rings
	run -0 bash_complete shmcat-in -s "$R"
	assert_equal "$output" "" "shmcat-in -s $R"
	run -0 bash_complete shmcat-out --reader = ''
	assert_equal "$output" "" "shmcat-out --reader="
}

@test "bash: without shmcat on PATH, no ring names and no complaint" {
	make_rings
	no_shmcat
	run -0 --separate-stderr bash_complete shmcat-out "$R"
	assert_equal "$output" "" "shmcat-out $R"
	assert_equal "$stderr" "" "stderr"
	run -0 --separate-stderr bash_complete shmcat rm ''
	assert_equal "$output" "" "shmcat rm"
	assert_equal "$stderr" "" "stderr"
}

@test "bash: only the well-formed names of list -k are offered" {
	fake_shmcat
	run -0 --separate-stderr bash_complete shmcat status "$R"
	same_set "shmcat status $R" "$FAKE_RINGS" "$output"
	assert_equal "$stderr" "" "stderr"
}

@test "bash: the options offered are those of --help" {
	local cmd help
	for cmd in shmcat-in shmcat-out; do
		help=$("$SHMCAT_BIN/$cmd" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
		[[ -n $help ]] || _fail "$cmd --help lists no long options"
		run -0 bash_complete $cmd --
		same_set "$cmd -- vs --help" "$help" "${output//=/}"
	done
}

#######
# zsh #
#######

# zsh_complete LINE: drive an interactive zsh through zsh/zpty, complete
# LINE (TAB at its end) with compinit and completions/_shmcat, and print
# every match offered, one per line.  compadd is wrapped to record the
# matches it is given (after zsh's own filtering by the prefix typed).
zsh_complete() {
	cat >"$T/capture.zsh" <<'EOF'
zmodload zsh/zpty || exit 3
compdir=$1 line=$2 init=$3
cat >$init <<INIT
PS1= PROMPT= RPROMPT=
fpath=(${(q)compdir} \$fpath)
autoload -Uz compinit && compinit -u -D
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
typeset -ga _cap
compadd() {
	# -O, -A and -D only ask compadd which words match: pass them on.
	if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then
		builtin compadd "\$@"
		return
	fi
	local -a hits
	builtin compadd -O hits "\$@"
	_cap+=( \$hits )
	builtin compadd "\$@"
}
_cap_pre() { _cap=() }
_cap_post() {
	print -r -- "<<BEGIN>>"
	print -rl -- \$_cap
	print -r -- "<<END>>"
	exit
}
compprefuncs=( _cap_pre )
comppostfuncs=( _cap_post )
bindkey '^I' complete-word
print -r -- '<<READY>>'
INIT
zpty z zsh -f -i
zpty -w z "source $init"
out=
while zpty -r z chunk; do
	out+=$chunk
	[[ $out == *'<<READY>>'* ]] && break
done
[[ $out == *'<<READY>>'* ]] || { print -u2 "zsh did not start: $out"; exit 3 }
zpty -w -n z "$line"$'\t'
out=
while zpty -r z chunk; do
	out+=$chunk
	[[ $out == *'<<END>>'* ]] && break
done
zpty -d z
[[ $out == *'<<END>>'* ]] || { print -u2 "no completion: $out"; exit 3 }
out=${out//$'\r'/}
out=${out#*'<<BEGIN>>'$'\n'}
out=${out%%'<<END>>'*}
print -rn -- $out
EOF
	PATH=$COMP_PATH timeout "$TMO" zsh -f "$T/capture.zsh" "$COMP" "$1" "$T/init.zsh"
}

@test "zsh: _shmcat is a #compdef for all three commands" {
	assert_equal "$(head -n 1 "$COMP/_shmcat")" "#compdef shmcat shmcat-in shmcat-out" "first line"
	need zsh
	run -0 tmo zsh -n "$COMP/_shmcat"
}

@test "zsh: shmcat-in -- offers the writer's long options" {
	need zsh
	run -0 zsh_complete 'shmcat-in --'
	same_set "shmcat-in --" "$IN_OPTS" "$output"
}

@test "zsh: shmcat-out -- offers the reader's long options" {
	need zsh
	run -0 zsh_complete 'shmcat-out --'
	same_set "shmcat-out --" "$OUT_OPTS" "$output"
}

@test "zsh: shmcat offers its commands" {
	need zsh
	run -0 zsh_complete 'shmcat '
	same_set "shmcat" "$COMMANDS" "$output"
}

# slow: four zsh starts; the lighter zsh tests stay quick
# bats test_tags=slow
@test "zsh: ring names come from shmcat list" {
	need zsh
	make_rings
	local cmd
	for cmd in "shmcat-in" "shmcat-out -t 1" "shmcat status" "shmcat rm -f"; do
		run -0 zsh_complete "$cmd $R"
		same_set "$cmd $R" "$RINGS" "$output"
	done
}

# slow: two zsh starts; the lighter zsh tests stay quick
# bats test_tags=slow
@test "zsh: without shmcat on PATH, no ring names" {
	need zsh
	make_rings
	no_shmcat
	run -0 zsh_complete "shmcat-out $R"
	assert_equal "$output" "" "shmcat-out $R"
	# The commands are still offered: only the ring names are missing.
	run -0 zsh_complete 'shmcat '
	same_set "shmcat" "$COMMANDS" "$output"
}

@test "zsh: only the well-formed names of list -k are offered" {
	need zsh
	fake_shmcat
	run -0 zsh_complete "shmcat rm $R"
	same_set "shmcat rm $R" "$FAKE_RINGS" "$output"
}

# slow: two zsh starts; the lighter zsh tests stay quick
# bats test_tags=slow
@test "zsh: shmcat status - offers its options" {
	need zsh
	run -0 zsh_complete 'shmcat status -'
	same_set "shmcat status -" "$SHOW_OPTS" "$output"
	run -0 zsh_complete 'shmcat list -'
	same_set "shmcat list -" "$SHOW_OPTS" "$output"
}

########
# fish #
########

# fish_complete FILE LINE: load completions/FILE in fish and complete
# LINE; prints the candidates without their descriptions.
fish_complete() {
	local - # pipefail for this function only: fish's status counts
	set -o pipefail
	PATH=$COMP_PATH timeout "$TMO" fish --no-config -c \
	    'set -p fish_function_path (dirname $argv[1]); source $argv[1]; and complete -C $argv[2]' \
	    "$COMP/$1" "$2" | cut -f1
}

@test "fish: each file completes its own command" {
	need fish
	run -0 grep -c '^complete -c shmcat-in ' "$COMP/shmcat-in.fish"
	run -0 grep -c '^complete -c shmcat-out ' "$COMP/shmcat-out.fish"
	run -0 grep -c '^complete -c shmcat ' "$COMP/shmcat.fish"
	run -1 grep -E '^complete -c shmcat-(in|out) ' "$COMP/shmcat.fish"
}

@test "fish: shmcat-in -- offers the writer's long options" {
	need fish
	run -0 fish_complete shmcat-in.fish 'shmcat-in --'
	same_set "shmcat-in --" "$IN_OPTS" "$output"
}

@test "fish: shmcat-out -- offers the reader's long options" {
	need fish
	run -0 fish_complete shmcat-out.fish 'shmcat-out --'
	same_set "shmcat-out --" "$OUT_OPTS" "$output"
}

@test "fish: shmcat offers its commands" {
	need fish
	run -0 fish_complete shmcat.fish 'shmcat '
	same_set "shmcat" "$COMMANDS" "$output"
}

@test "fish: ring names come from shmcat list" {
	need fish
	make_rings
	run -0 --separate-stderr fish_complete shmcat-in.fish "shmcat-in $R"
	same_set "shmcat-in $R" "$RINGS" "$output"
	assert_equal "$stderr" "" "stderr"
	run -0 fish_complete shmcat-out.fish "shmcat-out --new $R"
	same_set "shmcat-out --new $R" "$RINGS" "$output"
	run -0 fish_complete shmcat.fish "shmcat rm $R"
	same_set "shmcat rm $R" "$RINGS" "$output"
	run -0 fish_complete shmcat.fish "shmcat status $R"
	same_set "shmcat status $R" "$RINGS" "$output"
}

@test "fish: without shmcat on PATH, no ring names and no complaint" {
	need fish
	make_rings
	no_shmcat
	run -0 --separate-stderr fish_complete shmcat-out.fish "shmcat-out $R"
	assert_equal "$output" "" "shmcat-out $R"
	assert_equal "$stderr" "" "stderr"
	run -0 --separate-stderr fish_complete shmcat.fish "shmcat rm $R"
	assert_equal "$output" "" "shmcat rm $R"
	assert_equal "$stderr" "" "stderr"
}

@test "fish: only the well-formed names of list -k are offered" {
	need fish
	fake_shmcat
	run -0 --separate-stderr fish_complete shmcat.fish "shmcat status $R"
	same_set "shmcat status $R" "$FAKE_RINGS" "$output"
	assert_equal "$stderr" "" "stderr"
}

@test "fish: shmcat list - and status - offer -j and -k" {
	need fish
	run -0 fish_complete shmcat.fish 'shmcat list -'
	same_set "shmcat list -" "$SHOW_OPTS" "$output"
	run -0 fish_complete shmcat.fish 'shmcat status -'
	same_set "shmcat status -" "$SHOW_OPTS" "$output"
}

@test "fish: shmcat rm - offers -f, not list's -k" {
	need fish
	run -0 fish_complete shmcat.fish 'shmcat rm -'
	same_set "shmcat rm -" "-f --force" "$output"
}

@test "fish and zsh describe rm -f as --help does: never a ring in use" {
	need fish
	local help
	help=$(tmo "$SHMCAT" --help | sed -n 's/^ *-f, --force *rm: //p')
	assert_match "$help" "never one in use" "shmcat --help"
	run -0 env PATH="$COMP_PATH" timeout "$TMO" fish --no-config -c \
	    'set -p fish_function_path (dirname $argv[1]); source $argv[1]; and complete -C $argv[2]' \
	    "$COMP/shmcat.fish" 'shmcat rm --f'
	assert_equal "$output" "--force	${help^}" "fish"
	# zsh's _arguments shows the text between the brackets.
	grep -Fq "{-f,--force}'[$help]'" "$COMP/_shmcat" ||
		_fail "_shmcat: rm -f is not described as '$help'"
}
