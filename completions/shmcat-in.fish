# fish completion for shmcat-in (stdin -> ring).
#
# Ring names come from __shmcat_rings (__shmcat_rings.fish, installed
# with fish's vendor functions, where fish autoloads it).

complete -c shmcat-in -f
complete -c shmcat-in -s s -l size -x -d 'Capacity of a new ring (bytes, K, M or G)'
complete -c shmcat-in -s m -l mode -x -d 'Octal permission bits of a new ring'
complete -c shmcat-in -s t -l timeout -x -d 'Give up waiting for space after SECONDS'
complete -c shmcat-in -s n -l nonblock -d 'Never wait: exit 4 if the ring is full'
complete -c shmcat-in -s f -l force -d 'Replace a stale ring or an object that is not a ring'
complete -c shmcat-in -l owner -x -a '(__fish_complete_users)' -d 'Also attach to rings USER owns'
complete -c shmcat-in -l group -x -a '(__fish_complete_groups)' -d 'Also attach to rings of group GROUP'
complete -c shmcat-in -l dir -x -a '(__fish_complete_directories)' -d 'The directory of rings'
complete -c shmcat-in -s l -l lines -d 'Newline-terminated records; several writers'
complete -c shmcat-in -s 0 -l null -d 'NUL-terminated records; several writers'
complete -c shmcat-in -s k -l keep-open -d 'Leave without ending the stream'
complete -c shmcat-in -s p -l progress -d 'Live progress on stderr'
complete -c shmcat-in -l stats -d 'Print a summary on exit'
complete -c shmcat-in -s v -l verbose -d 'Log IPC calls and lifecycle steps'
complete -c shmcat-in -s h -l help -d 'Print usage'
complete -c shmcat-in -s V -l version -d 'Print the version'
complete -c shmcat-in -a '(__shmcat_rings)' -d 'Ring'
