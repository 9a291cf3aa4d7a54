# __shmcat_rings: the rings that exist, for the shmcat completions.
#
# Ring names come from /dev/shm/shmcat.<name>; names with '~' are rings
# still being built.  SHMCAT_SHM_DIR overrides the directory for the
# completions only: the programs themselves always use /dev/shm.

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
