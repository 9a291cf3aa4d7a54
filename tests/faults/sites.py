"""sites.py - the system call sites of a traced program, from strace -k.

A call site is where in the program a system call is made: the call's
name, its operation where the errors depend on it (errnos), and the
chain of the program's own functions on the stack (strace -k), so that a
loop's hundred reads are one site.  Calls with none of the program's
frames on the stack (the dynamic loader, libc's start-up) are not the
program's and are left alone.  strace counts calls per name and per
process: the K-th call of a name is what `inject=NAME:when=K` fails.
"""
import re

CALL = re.compile(r'^(?:\d+\s+)?([a-z_0-9]+)\((.*)$')
FRAME = re.compile(r'^ > (\S+?)\((.*?)\) \[0x[0-9a-f]+\]')


def operation(name, args):
    """What distinguishes the errors of one call of name: fcntl's
    command (and an unlock from a lock), futex's op, fstat from stat, a
    write of a message to stderr; '' for other calls."""
    parts = [a.strip() for a in args.split(',')]
    if name == 'fcntl' and len(parts) > 1:
        cmd = parts[1].split(')')[0]
        unlock = 'SETLK' in cmd and 'l_type=F_UNLCK' in args
        return cmd + ':F_UNLCK' if unlock else cmd
    if name == 'futex' and len(parts) > 1:
        return parts[1].split('|')[0].replace('_PRIVATE', '')
    if name == 'write' and parts[0] == '2':
        return 'stderr'
    if name in ('newfstatat', 'statx'):
        return 'fd' if 'AT_EMPTY_PATH' in args and '""' in args else 'path'
    return ''


def parse(trace, binary):
    """The calls of a strace -f -k trace file, in order: dicts with name,
    op, k (its count among calls of that name so far), line, and site
    (our frames, innermost first, as 'function+offset')."""
    calls, counts, cur = [], {}, None
    with open(trace, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            m = FRAME.match(line)
            if m:
                if cur is not None and m.group(1) == binary:
                    cur['site'].append(m.group(2) or '?')
                continue
            m = CALL.match(line)
            if not m or 'resumed>' in line:
                cur = None
                continue
            name = m.group(1)
            counts[name] = counts.get(name, 0) + 1
            cur = {'name': name, 'op': operation(name, m.group(2)),
                   'k': counts[name], 'line': line, 'site': []}
            calls.append(cur)
    return calls


def where(site):
    """A site for people: its functions, innermost first."""
    names = [f.split('+')[0] for f in site]
    return '<'.join(names[:4]) if names else '?'


def sites(calls):
    """The program's own call sites: {(name, op, frames): [k, ...]}."""
    found = {}
    for c in calls:
        if c['site']:
            key = (c['name'], c['op'], tuple(c['site']))
            found.setdefault(key, []).append(c['k'])
    return found


def injected(trace, binary):
    """The call strace failed, from an injection run's trace, or None."""
    for c in parse(trace, binary):
        if '(INJECTED)' in c['line']:
            return c
    return None


def load_errnos(path):
    """The errnos table: {'name' or 'name:op': [errno, ...]}."""
    table = {}
    with open(path) as f:
        for line in f:
            line = line.split('#')[0].split()
            if line:
                table[line[0]] = [e for e in line[1:] if e != '-']
    return table


def errors_for(table, name, op, prog):
    """The errors to fail call name (op) of program prog with."""
    errs = table.get(f'{name}:{op}', table.get(name, [])) if op else \
        table.get(name, [])
    return [e for e in errs if e not in table.get('@' + prog, [])]
