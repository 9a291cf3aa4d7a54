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

function __shmcat_rings --description 'List existing shmcat rings'
    command -sq shmcat; or return 0
    command shmcat list -k 2>/dev/null |
        string replace -rf -- '^name=([A-Za-z0-9_-][A-Za-z0-9._-]*)(?: [a-z_]+=.*)?$' '$1'
    return 0
end
