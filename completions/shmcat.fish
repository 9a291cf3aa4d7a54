# fish completion for shmcat (inspect and remove rings).
#
# Ring names come from __shmcat_rings (__shmcat_rings.fish, installed
# with fish's vendor functions, where fish autoloads it).

set -l __shmcat_cmds list ls status stat rm

complete -c shmcat -f
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -s h -l help -d 'Print usage'
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -s V -l version -d 'Print the version'
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -a list -d 'List rings'
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -a ls -d 'List rings'
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -a status -d 'Show the state of rings'
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -a stat -d 'Show the state of rings'
complete -c shmcat -n "not __fish_seen_subcommand_from $__shmcat_cmds" -a rm -d 'Remove rings'
complete -c shmcat -n '__fish_seen_subcommand_from list ls status stat' -s j -l json -d 'One JSON document'
complete -c shmcat -n '__fish_seen_subcommand_from list ls status stat' -s k -l kv -d 'key=value lines'
complete -c shmcat -n '__fish_seen_subcommand_from status stat' -l watch -d 'Show again every SECONDS, with rates'
complete -c shmcat -n '__fish_seen_subcommand_from status stat' -l prom -d 'Prometheus text format'
complete -c shmcat -n '__fish_seen_subcommand_from status stat' -s o -l output -r -F -d 'With --prom, replace FILE atomically'
complete -c shmcat -n '__fish_seen_subcommand_from rm' -s f -l force -d 'Also remove what is not a valid ring (never one in use)'
complete -c shmcat -l dir -x -a '(__fish_complete_directories)' -d 'The directory of rings'
complete -c shmcat -n '__fish_seen_subcommand_from status stat rm' -a '(__shmcat_rings)' -d 'Ring'
