#!/usr/bin/env bats
# Shell completions: each file is loaded in its real shell and asked to
# complete; the answers must be the options of the right command, the
# commands of shmcat, and the rings that exist.
#
# Self-contained (no test_helper).  Rings are fake files
# /dev/shm/shmcat.bt-comp-N-PID-*, removed in teardown.  bash, zsh and fish
# are installed here if missing (tests/run installs them too).

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
BIN=${SHMCAT_BIN:-$REPO/build}
COMP=$REPO/completions

IN_OPTS='--size --mode --timeout --nonblock --force --owner --group --lines
--null --keep-open --progress --stats --verbose --help --version'
OUT_OPTS='--size --mode --timeout --nonblock --force --owner --group --reader
--tap --new --hangup --progress --stats --verbose --help --version'
COMMANDS='list ls status stat rm'
# The options of shmcat list and status (shmcat --help, shmcat(1)).
SHOW_OPTS='-j --json -k --kv'

setup() {
	P=bt-comp-$BATS_TEST_NUMBER-$$
	T=$BATS_TEST_TMPDIR
	# Two rings of this test, and a ring being built (shm.c names those
	# shmcat.NAME~PID): completions must not offer that one.
	touch "/dev/shm/shmcat.$P-a" "/dev/shm/shmcat.$P-b" "/dev/shm/shmcat.$P-c~123"
}

teardown() {
	local f
	rm -f /dev/shm/shmcat."$P"*
	for f in /dev/shm/shmcat."$P"*; do
		[[ -e $f ]] && { echo "# left in /dev/shm: $f"; return 1; }
	done
	return 0
}

# need CMD: fail, never skip, when a shell under test is missing
# (tests/deps installs them).
need() {
	command -v "$1" >/dev/null && return 0
	echo "# $1 is missing: tests/deps installs it"
	return 1
}

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
	echo "# $1 differs"
	echo "# expected: $(echo $e)"
	echo "# actual:   $(echo $a)"
	return 1
}

########
# bash #
########

# bash_complete WORD...: complete the last WORD of the command line WORD...
# with completions/shmcat.bash, the way bash calls a `complete -F`
# function; prints COMPREPLY one per line.
bash_complete() {
	timeout 20 bash --norc --noprofile -c '
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
	run timeout 20 bash --norc --noprofile -c 'source "$1" && complete -p shmcat shmcat-in shmcat-out' \
	    _ "$COMP/shmcat.bash"
	[[ $status == 0 ]]
	[[ ${#lines[@]} == 3 ]]
	[[ $output == *"-F "*" shmcat-in"* && $output == *" shmcat-out"* && $output == *" shmcat"* ]]
}

@test "bash: shmcat-in -- offers the writer's long options" {
	run bash_complete shmcat-in --
	[[ $status == 0 ]]
	same_set "shmcat-in --" "$IN_OPTS" "${output//=/}"
}

@test "bash: shmcat-out -- offers the reader's long options" {
	run bash_complete shmcat-out --
	[[ $status == 0 ]]
	same_set "shmcat-out --" "$OUT_OPTS" "${output//=/}"
}

@test "bash: --owner and --group offer users and groups" {
	run bash_complete shmcat-out --owner nob
	[[ $status == 0 ]]
	[[ $'\n'$output$'\n' == *$'\nnobody\n'* ]]
	run bash_complete shmcat-in --group ro
	[[ $status == 0 ]]
	[[ $'\n'$output$'\n' == *$'\nroot\n'* ]]
}

@test "bash: shmcat-in - offers short options too" {
	run bash_complete shmcat-in -
	[[ $status == 0 ]]
	[[ $'\n'$output$'\n' == *$'\n-s\n'* && $'\n'$output$'\n' == *$'\n-0\n'* ]]
	[[ $'\n'$output$'\n' == *$'\n--keep-open\n'* ]]
}

@test "bash: shmcat offers its commands" {
	run bash_complete shmcat ''
	[[ $status == 0 ]]
	same_set "shmcat" "$COMMANDS" "$output"
	run bash_complete shmcat st
	same_set "shmcat st" "status stat" "$output"
}

@test "bash: shmcat list - and status - offer the options of --help" {
	local o
	for o in $SHOW_OPTS; do
		"$BIN/shmcat" --help | grep -qE -- "(^|[ ,])$o([ ,=]|$)" ||
		    { echo "# $o is not in shmcat --help"; return 1; }
	done
	run bash_complete shmcat list -
	same_set "shmcat list -" "$SHOW_OPTS" "$output"
	run bash_complete shmcat status -
	same_set "shmcat status -" "$SHOW_OPTS" "$output"
}

@test "bash: ring names come from /dev/shm" {
	local cmd
	for cmd in "shmcat-in" "shmcat-out" "shmcat-out -r x" "shmcat status" "shmcat rm"; do
		run bash_complete $cmd "$P"
		[[ $status == 0 ]]
		same_set "$cmd $P" "$P-a $P-b" "$output"
	done
}

@test "bash: no ring name after an option that takes a value" {
	run bash_complete shmcat-in -s "$P"
	[[ $status == 0 && -z $output ]]
	run bash_complete shmcat-out --reader = ''
	[[ $status == 0 && -z $output ]]
}

@test "bash: SHMCAT_SHM_DIR points the completions elsewhere" {
	mkdir "$T/shm"
	touch "$T/shm/shmcat.elsewhere" "$T/shm/other"
	SHMCAT_SHM_DIR=$T/shm run bash_complete shmcat-out ''
	[[ $status == 0 && $output == elsewhere ]]
}

@test "bash: the options offered are those of --help" {
	[[ -x $BIN/shmcat-in && -x $BIN/shmcat-out ]] || { echo "# run make first"; return 1; }
	local cmd help
	for cmd in shmcat-in shmcat-out; do
		help=$("$BIN/$cmd" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
		run bash_complete $cmd --
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
	timeout 20 zsh -f "$T/capture.zsh" "$COMP" "$1" "$T/init.zsh"
}

@test "zsh: _shmcat is a #compdef for all three commands" {
	[[ $(head -n 1 "$COMP/_shmcat") == "#compdef shmcat shmcat-in shmcat-out" ]]
	need zsh
	run timeout 20 zsh -n "$COMP/_shmcat"
	[[ $status == 0 ]]
}

@test "zsh: shmcat-in -- offers the writer's long options" {
	need zsh
	run zsh_complete 'shmcat-in --'
	[[ $status == 0 ]]
	same_set "shmcat-in --" "$IN_OPTS" "$output"
}

@test "zsh: shmcat-out -- offers the reader's long options" {
	need zsh
	run zsh_complete 'shmcat-out --'
	[[ $status == 0 ]]
	same_set "shmcat-out --" "$OUT_OPTS" "$output"
}

@test "zsh: shmcat offers its commands" {
	need zsh
	run zsh_complete 'shmcat '
	[[ $status == 0 ]]
	same_set "shmcat" "$COMMANDS" "$output"
}

@test "zsh: ring names come from /dev/shm" {
	need zsh
	local cmd
	for cmd in "shmcat-in" "shmcat-out -t 1" "shmcat status" "shmcat rm -f"; do
		run zsh_complete "$cmd $P"
		[[ $status == 0 ]]
		same_set "$cmd $P" "$P-a $P-b" "$output"
	done
}

@test "zsh: shmcat status - offers its options" {
	need zsh
	run zsh_complete 'shmcat status -'
	[[ $status == 0 ]]
	same_set "shmcat status -" "$SHOW_OPTS" "$output"
	run zsh_complete 'shmcat list -'
	[[ $status == 0 ]]
	same_set "shmcat list -" "$SHOW_OPTS" "$output"
}

########
# fish #
########

# fish_complete FILE LINE: load completions/FILE in fish and complete
# LINE; prints the candidates without their descriptions.
fish_complete() {
	timeout 20 fish --no-config -c 'set -p fish_function_path (dirname $argv[1]); source $argv[1]; and complete -C $argv[2]' \
	    "$COMP/$1" "$2" | cut -f1
}

@test "fish: each file completes its own command" {
	need fish
	grep -q '^complete -c shmcat-in ' "$COMP/shmcat-in.fish"
	grep -q '^complete -c shmcat-out ' "$COMP/shmcat-out.fish"
	grep -q '^complete -c shmcat ' "$COMP/shmcat.fish"
	! grep -qE '^complete -c shmcat-(in|out) ' "$COMP/shmcat.fish"
}

@test "fish: shmcat-in -- offers the writer's long options" {
	need fish
	run fish_complete shmcat-in.fish 'shmcat-in --'
	[[ $status == 0 ]]
	same_set "shmcat-in --" "$IN_OPTS" "$output"
}

@test "fish: shmcat-out -- offers the reader's long options" {
	need fish
	run fish_complete shmcat-out.fish 'shmcat-out --'
	[[ $status == 0 ]]
	same_set "shmcat-out --" "$OUT_OPTS" "$output"
}

@test "fish: shmcat offers its commands" {
	need fish
	run fish_complete shmcat.fish 'shmcat '
	[[ $status == 0 ]]
	same_set "shmcat" "$COMMANDS" "$output"
}

@test "fish: ring names come from /dev/shm" {
	need fish
	run fish_complete shmcat-in.fish "shmcat-in $P"
	same_set "shmcat-in $P" "$P-a $P-b" "$output"
	run fish_complete shmcat-out.fish "shmcat-out --new $P"
	same_set "shmcat-out --new $P" "$P-a $P-b" "$output"
	run fish_complete shmcat.fish "shmcat rm $P"
	same_set "shmcat rm $P" "$P-a $P-b" "$output"
	run fish_complete shmcat.fish "shmcat status $P"
	same_set "shmcat status $P" "$P-a $P-b" "$output"
}

@test "fish: shmcat list - and status - offer -j and -k" {
	need fish
	run fish_complete shmcat.fish 'shmcat list -'
	[[ $status == 0 ]]
	same_set "shmcat list -" "$SHOW_OPTS" "$output"
	run fish_complete shmcat.fish 'shmcat status -'
	[[ $status == 0 ]]
	same_set "shmcat status -" "$SHOW_OPTS" "$output"
}

@test "fish: shmcat rm - offers -f, not list's -k" {
	need fish
	run fish_complete shmcat.fish 'shmcat rm -'
	[[ $status == 0 ]]
	same_set "shmcat rm -" "-f --force" "$output"
}
