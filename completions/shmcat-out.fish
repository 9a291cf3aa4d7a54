# fish completion for shmcat-out (ring -> stdout).
#
# Ring names come from __shmcat_rings (__shmcat_rings.fish, installed
# with fish's vendor functions, where fish autoloads it).

complete -c shmcat-out -f
complete -c shmcat-out -s s -l size -x -d 'Capacity of a new ring (bytes, K, M or G)'
complete -c shmcat-out -s m -l mode -x -d 'Octal permission bits of a new ring'
complete -c shmcat-out -s t -l timeout -x -d 'Give up waiting for data after SECONDS'
complete -c shmcat-out -s n -l nonblock -d 'Never wait: exit 4 if the ring is empty'
complete -c shmcat-out -s f -l force -d 'Replace an object that is not a ring'
complete -c shmcat-out -l owner -x -a '(__fish_complete_users)' -d 'Also attach to rings USER owns'
complete -c shmcat-out -l group -x -a '(__fish_complete_groups)' -d 'Also attach to rings of group GROUP'
complete -c shmcat-out -l dir -x -a '(__fish_complete_directories)' -d 'The directory of rings'
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
