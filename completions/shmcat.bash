# bash completion for shmcat, shmcat-in and shmcat-out.
#
# Installed once as "shmcat" with "shmcat-in" and "shmcat-out" linked to
# it, so bash-completion's on-demand loader finds it under each name.
# Needs nothing from bash-completion itself.
#
# Ring names come from `shmcat list -k` (the first shmcat on PATH; none
# if there is none), so the completions see what the programs see; a
# --dir on the command line is passed on to it.
# Every name it lists is offered, an object that is not a ring as well:
# `shmcat rm -f` and `shmcat-in -f` are how one is removed or replaced.
# Build files (NAME~PID.NONCE) are not: no command takes those names.

# Print the directory given with --dir before the word being completed
# ("--dir D", or "--dir=D", which arrives as "--dir" "=" "D" when '='
# breaks words), with a leading ~/ made $HOME/; nothing if none was.
_shmcat_dir()
{
	local i w dir=

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		[[ $w == -- ]] && break
		if [[ $w == --dir=?* ]]; then
			dir=${w#--dir=}
		elif [[ $w == --dir ]] && ((i + 1 < COMP_CWORD)); then
			((i++))
			if [[ ${COMP_WORDS[i]} == = ]] && ((i + 1 < COMP_CWORD)); then
				((i++))
			fi
			dir=${COMP_WORDS[i]}
		fi
	done
	[[ $dir == '~/'* ]] && dir=$HOME/${dir#'~/'}
	printf '%s' "$dir"
}

# Print the name of every ring `shmcat list -k` lists (in the --dir of
# the command line, if any), one per line.  A line is "name=NAME
# key=value...", NAME of [A-Za-z0-9._-] and not starting with '.'
# (shmcat_valid_name); any other line is skipped.
_shmcat_rings()
{
	local line re='^name=([A-Za-z0-9_-][A-Za-z0-9._-]*)( [a-z_]+=|$)'
	local dir

	type -P shmcat >/dev/null 2>&1 || return 0
	dir=$(_shmcat_dir)
	# (A pipe: the loop runs in a subshell and leaves the user's
	# BASH_REMATCH alone.)
	command shmcat list -k ${dir:+"--dir=$dir"} 2>/dev/null |
	    while IFS= read -r line; do
		[[ $line =~ $re ]] && printf '%s\n' "${BASH_REMATCH[1]}"
	done
	return 0
}

# Set COMPREPLY to the directories that start with $1.
_shmcat_dirs()
{
	local IFS=$'\n'

	COMPREPLY=($(compgen -d -- "$1"))
	compopt -o filenames 2>/dev/null
	return 0
}

# The argument of --dir, if that is what is being completed: 0 (done)
# with COMPREPLY set, else 1.  "--dir=D" arrives as "--dir" "=" "D".
_shmcat_dir_arg()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev= prev2=

	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	((COMP_CWORD > 1)) && prev2=${COMP_WORDS[COMP_CWORD - 2]}
	if [[ $prev == --dir || ($prev == = && $prev2 == --dir) ]]; then
		_shmcat_dirs "$cur"
		return 0
	fi
	if [[ $prev == --dir && $cur == = ]]; then
		_shmcat_dirs ''
		return 0
	fi
	return 1
}

# Set COMPREPLY to the words of $1 (one per line) that start with $2.
_shmcat_offer()
{
	local w

	COMPREPLY=()
	while IFS= read -r w; do
		[[ -n $w && $w == "$2"* ]] && COMPREPLY+=("$w")
	done <<<"$1"
}

# Options of the filters, in the order of their man pages.
_shmcat_in_opts='-s --size= -m --mode= -t --timeout= -n --nonblock -f --force
--owner= --group= --dir=
-l --lines -0 --null -k --keep-open -p --progress --stats -v --verbose
-h --help -V --version'
_shmcat_out_opts='-s --size= -m --mode= -t --timeout= -n --nonblock -f --force
--owner= --group= --dir=
-r --reader= --tap --new --hangup -p --progress --stats -v --verbose
-h --help -V --version'

# shmcat-in and shmcat-out: options, then one ring name.
_shmcat_filter()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev= opts i ddash=0

	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [[ ${COMP_WORDS[0]##*/} == shmcat-out ]]; then
		opts=$_shmcat_out_opts
	else
		opts=$_shmcat_in_opts
	fi
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -- ]] && ddash=1
	done

	# An option's argument: SIZE, MODE, SECONDS or a reader name; a
	# user or a group for --owner and --group, a directory for --dir.
	# "--size=4M" arrives as "--size" "=" "4M" when '=' breaks words.
	if ((!ddash)); then
		_shmcat_dir_arg && return 0
		[[ $prev == = ]] && ((COMP_CWORD > 1)) &&
		    prev=${COMP_WORDS[COMP_CWORD - 2]}
		case $prev in
		-s | -m | -t | -r | --size | --mode | --timeout | --reader)
			COMPREPLY=()
			return 0
			;;
		--owner)
			_shmcat_offer "$(compgen -u)" "$cur"
			return 0
			;;
		--group)
			_shmcat_offer "$(compgen -g)" "$cur"
			return 0
			;;
		--*)
			[[ ${COMP_WORDS[COMP_CWORD - 1]} == = ]] &&
			    COMPREPLY=() && return 0
			;;
		esac
		if [[ $cur == -* ]]; then
			_shmcat_offer "${opts// /$'\n'}" "$cur"
			[[ ${COMPREPLY[*]} == *= ]] && compopt -o nospace 2>/dev/null
			return 0
		fi
	fi
	_shmcat_offer "$(_shmcat_rings)" "$cur"
	return 0
}

# Set COMPREPLY to the options in $1 that start with $2; no space after
# one that ends in '='.
_shmcat_offer_opts()
{
	_shmcat_offer "$1" "$2"
	[[ ${COMPREPLY[*]} == *= ]] && compopt -o nospace 2>/dev/null
	return 0
}

# shmcat: a command, its options, then ring names.
_shmcat_cmd()
{
	local cur=${COMP_WORDS[COMP_CWORD]} cmd= i

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--dir) # its value is the next word, or the one after "="
			((i++))
			[[ ${COMP_WORDS[i]} == = ]] && ((i++))
			;;
		-*) ;;
		*)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done

	_shmcat_dir_arg && return 0
	case $cmd in
	'')
		if [[ $cur == -* ]]; then
			_shmcat_offer_opts $'-h\n--help\n-V\n--version\n--dir=' "$cur"
		else
			_shmcat_offer $'list\nls\nstatus\nstat\nrm' "$cur"
		fi
		;;
	list | ls)
		_shmcat_offer_opts $'-j\n--json\n-k\n--kv\n--dir=' "$cur"
		;;
	status | stat)
		# -o FILE, --output=FILE ("--output" "=" "FILE" when '='
		# breaks words): a file name.
		local prev=${COMP_WORDS[COMP_CWORD - 1]}
		[[ $prev == = ]] && prev=${COMP_WORDS[COMP_CWORD - 2]}
		if [[ $prev == -o || $prev == --output ]]; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		elif [[ $cur == -* ]]; then
			_shmcat_offer_opts $'-j\n--json\n-k\n--kv\n--watch\n--prom\n-o\n--output=\n--dir=' "$cur"
		else
			_shmcat_offer "$(_shmcat_rings)" "$cur"
		fi
		;;
	rm)
		if [[ $cur == -* ]]; then
			_shmcat_offer_opts $'-f\n--force\n--dir=' "$cur"
		else
			_shmcat_offer "$(_shmcat_rings)" "$cur"
		fi
		;;
	*)
		COMPREPLY=()
		;;
	esac
	return 0
}

complete -F _shmcat_filter shmcat-in shmcat-out
complete -F _shmcat_cmd shmcat
