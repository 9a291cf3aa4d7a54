# __shmcat_rings: the rings that exist, for the shmcat completions.
#
# Ring names come from `shmcat list -k` (the first shmcat on PATH; none
# if there is none), so the completions see what the programs see.
# Every name it lists is offered, an object that is not a ring as well:
# `shmcat rm -f` and `shmcat-in -f` are how one is removed or replaced.
# Build files (NAME~PID.NONCE) are not: no command takes those names.
# A line of `shmcat list -k` is "name=NAME key=value...", NAME of
# [A-Za-z0-9._-] and not starting with '.' (shmcat_valid_name); any
# other line is skipped.

# A --dir on the command line, before the token being completed, is
# passed on to `shmcat list -k`.

function __shmcat_rings --description 'List existing shmcat rings'
    command -sq shmcat; or return 0
    set -l dir
    set -l words (commandline -opc)
    set -l i 2
    while test $i -le (count $words)
        switch $words[$i]
            case --
                break
            case '--dir=?*'
                set dir (string replace -- --dir= '' $words[$i])
            case --dir
                set i (math $i + 1)
                test $i -le (count $words); and set dir $words[$i]
        end
        set i (math $i + 1)
    end
    command shmcat list -k (test -n "$dir"; and echo -- --dir=$dir) 2>/dev/null |
        string replace -rf -- '^name=([A-Za-z0-9_-][A-Za-z0-9._-]*)(?: [a-z_]+=.*)?$' '$1'
    return 0
end
