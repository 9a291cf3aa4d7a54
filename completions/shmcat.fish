# fish completion for shmcat (inspect and remove rings).
#
# Ring names come from the rings that exist: /dev/shm/shmcat.<name>.
# SHMCAT_SHM_DIR overrides the directory for these completions only;
# the programs themselves always use /dev/shm.

function __shmcat_rings --description 'List existing shmcat rings'
    set -l dir /dev/shm
    set -q SHMCAT_SHM_DIR; and set dir $SHMCAT_SHM_DIR
    for f in $dir/shmcat.*
        set -l n (string replace -r '^.*/' '' -- $f)
        set n (string replace -r '^shmcat\.' '' -- $n)
        test -n "$n"; or continue
        string match -q -- '*~*' $n; or echo $n
    end
end

set -l __shmcat_cmds list ls status stat rm

complete -c shmcat -f
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -s h -l help -d 'Print usage'
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -s V -l version -d 'Print the version'
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -a list -d 'List rings'
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -a ls -d 'List rings'
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -a status -d 'Show the state of rings'
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -a stat -d 'Show the state of rings'
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -a rm -d 'Remove rings'
complete -c shmcat -n '__fish_seen_subcommand_from list ls status stat' -s k -l kv -d 'key=value lines'
complete -c shmcat -n '__fish_seen_subcommand_from rm' -s f -l force -d 'Remove even while in use'
complete -c shmcat -n '__fish_seen_subcommand_from status stat rm' -a '(__shmcat_rings)' -d 'Ring'
