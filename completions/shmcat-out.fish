# fish completion for shmcat-out (ring -> stdout).
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

complete -c shmcat-out -f
complete -c shmcat-out -s s -l size -x -d 'Capacity of a new ring (bytes, K, M or G)'
complete -c shmcat-out -s m -l mode -x -d 'Octal permission bits of a new ring'
complete -c shmcat-out -s t -l timeout -x -d 'Give up waiting for data after SECONDS'
complete -c shmcat-out -s n -l nonblock -d 'Never wait: exit 4 if the ring is empty'
complete -c shmcat-out -s f -l force -d 'Replace an object that is not a ring'
complete -c shmcat-out -s r -l reader -x -d 'Use the named, persistent cursor NAME'
complete -c shmcat-out -l tap -d 'Observe without ever holding the writer back'
complete -c shmcat-out -l new -d 'Start at new data'
complete -c shmcat-out -l hangup -d 'End the whole stream when stdout goes away'
complete -c shmcat-out -s p -l progress -d 'Live progress on stderr'
complete -c shmcat-out -l stats -d 'Print a summary on exit'
complete -c shmcat-out -s v -l verbose -d 'Log IPC calls and lifecycle steps'
complete -c shmcat-out -s h -l help -d 'Print usage'
complete -c shmcat-out -s V -l version -d 'Print the version'
complete -c shmcat-out -a '(__shmcat_rings)' -d 'Ring'
