"""scenarios.py - what each scenario runs, and what it must deliver.

Each function runs one scenario on a Scene (scene.py); the program under
test is started with s.subject or s.start_subject and is the only one
traced.  Inputs (made by tests/faults/run): `in` about 200 KB of seq(1)
lines, `a` a few KB, `ra` and `rb` records of two writers, each line
starting with its writer's letter.
"""
import re

from scene import RING, READER, SHMCAT, WRITER


def create(s):
    """A writer makes a new ring; then a reader drains it."""
    rc = s.subject(['shmcat-in', RING], stdin=s.input('in'))
    s.judge_subject(WRITER)
    out = s.path('out')
    drc = s.drain(out)
    s.check_reader('reader', drc, s.got(out), s.data('in'), rc == 0)


def reuse(s):
    """A writer joins a ring that a writer before it left open (-k)."""
    s.setup(s.argv('shmcat-in', '-k', RING), stdin=s.input('a'))
    rc = s.subject(['shmcat-in', RING], stdin=s.input('in'))
    s.judge_subject(WRITER)
    out = s.path('out')
    drc = s.drain(out)
    got, before = s.got(out), s.data('a')
    s.check_reader('reader', drc, got, before + s.data('in'), rc == 0)
    if drc != -1 and not got.startswith(before):
        s.problem(f'the {len(before)} bytes already in the ring were not '
                  'all delivered')


def read(s):
    """A reader of a finished ring; a successor drains what it left."""
    s.setup(s.argv('shmcat-in', RING), stdin=s.input('in'))
    out, rest = s.path('out'), s.path('rest')
    rc = s.subject(['shmcat-out', RING], stdout=out)
    s.judge_subject(READER)
    want = s.data('in')
    if rc == 0:
        s.delivered('shmcat-out', s.got(out), want, True)
        return
    drc = s.drain(rest)
    got = s.got(out) + s.got(rest)
    if drc == -1 and got != want:
        s.problem(f'the ring is gone with {len(want) - len(got)} bytes '
                  'not delivered')
    if drc != -1:
        s.check_reader('shmcat-out and its successor', drc, got, want,
                       True)


def named(s):
    """A named reader (--reader) of a ring whose writer is alive and
    idle half way: it delivers the first half and sleeps, then the rest
    comes; if it fails, its successor on the same cursor drains the
    rest."""
    want = s.data('in')
    half = len(want) // 2
    w, feed = s.live_writer(want[:half], want[half:], '-s', '64K')
    s.wait_committed(1)
    out, rest = s.path('out'), s.path('rest')
    cursor = ['-s', '64K', '--reader', 'fx']
    p = s.start_subject(['shmcat-out', *cursor, RING], stdout=out)
    s.wait_until(lambda: p.poll() is not None or
                 (len(s.got(out)) >= half and s.sleeps('fx') > 0),
                 'the reader to deliver the first half and sleep')
    feed.finish()
    rc = s.end_subject(p)
    drc = s.drain(rest, *cursor) if rc != 0 else 0
    wrc = s.wait(w)
    s.expect('writer', wrc, {0})
    s.judge_subject(READER | ({3} if wrc != 0 else set()))
    got = s.got(out) + s.got(rest)
    if drc == -1:
        if wrc == 0 and got != want:
            s.problem(f'the ring is gone with {len(want) - len(got)} '
                      'bytes not delivered')
    elif rc != 0:
        s.check_reader('shmcat-out and its successor', drc, got, want,
                       wrc == 0)
    elif wrc == 0:
        s.delivered('shmcat-out', got, want, True)


def full(s):
    """A writer into a ring smaller than its input: it fills the ring and
    sleeps, then an untraced reader drains it."""
    want = s.data('in')
    out = s.path('out')
    p = s.start_subject(['shmcat-in', '-s', '64K', RING],
                        stdin=s.input('in'))
    s.wait_until(lambda: p.poll() is not None or s.sleeps() > 0,
                 'the writer to fill the ring and sleep')
    r = None
    if s.ring_exists():
        r = s.spawn('reader', s.argv('shmcat-out', '-t', '5', '-s', '64K',
                                     RING), stdout=out)
    rc = s.end_subject(p)
    s.judge_subject(WRITER)
    drc = s.wait(r) if r else s.drain(out, '-s', '64K')
    s.check_reader('reader', drc, s.got(out), want, rc == 0)


def records(s):
    """Two record writers (-l) on one ring: the subject and an untraced
    one that is attached before and after it."""
    ra, rb = s.data('ra'), s.data('rb')
    half = rb.index(b'\n', len(rb) // 2) + 1
    w, feed = s.live_writer(rb[:half], rb[half:], '-l')
    s.wait_committed(half)
    rc = s.subject(['shmcat-in', '-l', RING], stdin=s.input('ra'))
    s.judge_subject(WRITER)
    feed.finish()
    s.expect('the other writer', s.wait(w), {0})
    out = s.path('out')
    drc = s.drain(out)
    if drc == -1:
        s.problem('no ring to read after the other writer succeeded')
        return
    s.expect('reader', drc, {0} if rc == 0 else {0, 3})
    lines = s.got(out).split(b'\n')
    if lines[-1] != b'':
        s.problem('the reader delivered a torn last record')
    a = [l + b'\n' for l in lines[:-1] if l.startswith(b'a')]
    b = [l + b'\n' for l in lines[:-1] if l.startswith(b'b')]
    if len(a) + len(b) != len(lines) - 1:
        s.problem('the reader delivered records neither writer wrote')
    want_a = ra.splitlines(keepends=True)
    if a != want_a[:len(a)]:
        s.problem('the subject\'s records delivered are not an in-order '
                  'prefix of its input')
    elif rc == 0 and len(a) != len(want_a):
        s.problem(f'exit 0 but {len(a)} of its {len(want_a)} records '
                  'delivered')
    if b''.join(b) != rb:
        s.problem('the other writer\'s records were not all delivered')


def inspect(s, args):
    """shmcat ARGS on a ring whose writer is alive and idle: exit 0 only
    with the output a fault-free run gives (list may put the cause in
    place of a ring it could not read, as it does for odd objects)."""
    want = s.data('a')
    half = len(want) // 2
    w, feed = s.live_writer(want[:half], want[half:])
    s.wait_committed(half)
    base_rc, base = s.shmcat(*args)
    out = s.path('out')
    rc = s.subject(['shmcat', *args], stdout=out)
    s.judge_subject(SHMCAT)
    got = s.got(out).decode(errors='replace')
    diff = [l for l in got.splitlines() if l not in base.splitlines()]
    if args == ['list']:  # list names a ring it cannot read, and goes on
        diff = [l for l in diff if not re.match(r'fx +\(.*\)$', l) or
                'Success' in l]
    fewer = got.count('\n') < base.count('\n')
    if base_rc == 0 and rc == 0 and (diff or fewer):
        s.problem('exit 0 with other output than without the fault: '
                  + (diff[0] if diff else 'lines missing'))
    feed.finish()
    s.expect('writer', s.wait(w), {0})
    rest = s.path('rest')
    s.check_reader('reader', s.drain(rest), s.got(rest), want, True)


def status(s):
    inspect(s, ['status', RING])


def list_(s):
    inspect(s, ['list'])


def rm(s):
    """shmcat rm of a ring whose stream ended with bytes unread."""
    s.setup(s.argv('shmcat-in', RING), stdin=s.input('a'))
    rc = s.subject(['shmcat', 'rm', RING])
    s.judge_subject(SHMCAT)
    if rc == 0 and s.ring_exists():
        s.problem('exit 0 but the ring is still there')


def rm_live(s):
    """shmcat rm of a ring its writer still holds: refused (exit 2),
    and the writer's stream goes on untouched."""
    want = s.data('a')
    half = len(want) // 2
    w, feed = s.live_writer(want[:half], want[half:])
    s.wait_committed(half)
    s.subject(['shmcat', 'rm', RING])
    s.judge_subject({1, 2})
    if not s.ring_exists():
        s.problem('removed a ring its writer still holds')
    feed.finish()
    s.expect('writer', s.wait(w), {0})
    rest = s.path('rest')
    s.check_reader('reader', s.drain(rest), s.got(rest), want, True)


# name: (function, program under test, its exit code without a fault)
SCENARIOS = {
    'create': (create, 'shmcat-in', 0),
    'reuse': (reuse, 'shmcat-in', 0),
    'full': (full, 'shmcat-in', 0),
    'records': (records, 'shmcat-in', 0),
    'read': (read, 'shmcat-out', 0),
    'named': (named, 'shmcat-out', 0),
    'list': (list_, 'shmcat', 0),
    'status': (status, 'shmcat', 0),
    'rm': (rm, 'shmcat', 0),
    'rm-live': (rm_live, 'shmcat', 2),
}
