"""scene.py - one run of a scenario, and the oracle every scenario shares.

A Scene runs the scenario's commands, each under a time limit, in a
/dev/shm of its own (tests/faults/run gives every run a private tmpfs
there), with exactly one of them, the subject, under strace: plain (no
fault), listing its calls (strace -k), or with one call failed.  The
checks below are the oracle, written down once:

  exit code   one the man pages document for what happened (EXIT STATUS
              of shmcat-in(1), shmcat-out(1), shmcat(1)): 0 1 2 for
              writers and shmcat, 3 for a reader only when a writer of
              its stream did fail, 4 never (no -t or -n is given, but to
              the untraced readers that drain what is left), 128+N never
              (nobody is sent a signal), but 141 after EPIPE from write(2);
  message     a failure prints one line (two where the scenario's own
              outcome is a failure too), starting with the program's
              name, that names a cause: never "Success";
  EINTR       is retried, or acted on as a signal: the subject does
              exactly what it does without the fault (same exit code,
              same data, no message of its own);
  data        what the readers delivered, a failed reader and its
              successor on the same cursor together, is a prefix of what
              was written, exactly the whole when the reader exits 0;
  hangs       none: a command over its limit is killed and reported;
  left behind after the scenario (every process gone), an object the
              documented commands cannot remove, or that they misreport:
              a build file (shmcat.NAME~PID.NONCE; no creator was killed,
              so each must have removed its own, and `shmcat list` would
              blame a dead creator); a ring `shmcat list` does not show,
              whose `shmcat status` says someone is attached, or that
              `shmcat rm NAME` does not remove.  A ring a failed writer
              left with bytes unread is not left behind: the scenario
              drains it with a reader, as the man pages say to.
"""
import os
import signal
import subprocess
import threading
import time

SHM = '/dev/shm'
RING = 'fx'
CMD_SECS = 20      # the most any one command may take
WAIT_SECS = 10     # the most a wait for a state may take
DRAIN_SECS = '3'   # -t of the readers that drain what is left

WRITER = {0, 1, 2}
READER = {0, 1, 2}
SHMCAT = {0, 1, 2}


class Feeder(threading.Thread):
    """Feeds a writer's stdin: the first part at once, the rest and the
    end of input when told (finish).  A writer that is gone ends it."""

    def __init__(self, pipe, first, rest):
        super().__init__(daemon=True)
        self.pipe, self.first, self.rest = pipe, first, rest
        self.more = threading.Event()
        self.start()

    def run(self):
        try:
            self.pipe.write(self.first)
            self.pipe.flush()
            self.more.wait()
            self.pipe.write(self.rest)
            self.pipe.close()
        except OSError:
            pass

    def finish(self):
        self.more.set()


class Scene:
    def __init__(self, bindir, inputs, work, fault, prog, clean_rc=0):
        self.bin, self.inputs, self.work = bindir, inputs, work
        self.fault = fault    # {'mode': plain|list|inject, name, k, errno}
        self.prog, self.clean_rc = prog, clean_rc
        self.trace = os.path.join(work, 'trace')
        self.problems = []
        self.subject_rc, self.subject_err = None, ''
        self.count = 0

    # ---- files
    def path(self, name):
        return os.path.join(self.work, name)

    def input(self, name):
        return os.path.join(self.inputs, name)

    def data(self, name):
        with open(self.input(name), 'rb') as f:
            return f.read()

    def got(self, path):
        try:
            with open(path, 'rb') as f:
                return f.read()
        except FileNotFoundError:
            return b''

    def problem(self, text):
        self.problems.append(text)

    # ---- processes
    def argv(self, prog, *args):
        return [os.path.join(self.bin, prog), *args]

    def traced(self, argv):
        f = self.fault
        if f['mode'] == 'list':
            return ['strace', '-f', '-qq', '-k', '-o', self.trace, *argv]
        if f['mode'] == 'inject':
            n = f['name']
            return ['strace', '-f', '-qq', '--seccomp-bpf', '-k',
                    '-o', self.trace, '-e', f'trace={n}', '-e',
                    f"inject={n}:error={f['errno']}:when={f['k']}", *argv]
        return argv

    def spawn(self, label, argv, stdin=None, stdout=None):
        """Start a command: stdin a file name, PIPE or None (/dev/null),
        stdout a file name or None (/dev/null)."""
        self.count += 1
        err = self.path(f'err{self.count}')
        fin = subprocess.PIPE if stdin is subprocess.PIPE else \
            open(stdin or os.devnull, 'rb')
        fout = open(stdout or os.devnull, 'wb')
        with open(err, 'wb') as ferr:
            p = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=ferr,
                                 start_new_session=True)
        if fin is not subprocess.PIPE:
            fin.close()
        fout.close()
        p.label, p.errpath = label, err
        return p

    def wait(self, p, secs=CMD_SECS):
        """p's exit code (128+N for death by signal N), or None if it had
        to be killed after secs."""
        try:
            rc = p.wait(timeout=secs)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            self.problem(f'{p.label} hung (killed after {secs} s)')
            return None
        return 128 - rc if rc < 0 else rc

    def stderr(self, p):
        with open(p.errpath, errors='replace') as f:
            return f.read()

    def run(self, label, argv, stdin=None, stdout=None, secs=CMD_SECS):
        return self.wait(self.spawn(label, argv, stdin, stdout), secs)

    def setup(self, argv, stdin=None):
        """A step that prepares the scenario: it must succeed."""
        p = self.spawn('setup', argv, stdin)
        if self.wait(p) != 0:
            self.problem(f'setup {" ".join(argv[1:])} failed: '
                         f'{self.stderr(p).strip()}')

    def start_subject(self, prog_args, stdin=None, stdout=None):
        return self.spawn(self.prog, self.traced(self.argv(*prog_args)),
                          stdin, stdout)

    def end_subject(self, p):
        self.subject_rc = self.wait(p)
        self.subject_err = self.stderr(p)
        return self.subject_rc

    def subject(self, prog_args, stdin=None, stdout=None):
        return self.end_subject(self.start_subject(prog_args, stdin, stdout))

    def shmcat(self, *args):
        """Run shmcat (untraced): its exit code and standard output."""
        out = self.path('shmcat.out')
        rc = self.run('shmcat', self.argv('shmcat', *args), stdout=out)
        return rc, self.got(out).decode(errors='replace')

    # ---- the ring
    def ring_exists(self, ring=RING):
        return os.path.exists(f'{SHM}/shmcat.{ring}')

    def state(self, ring=RING):
        rc, out = self.shmcat('status', '-k', ring)
        return dict(l.split('=', 1) for l in out.splitlines() if '=' in l) \
            if rc == 0 else {}

    def wait_until(self, cond, what):
        end = time.monotonic() + WAIT_SECS
        while not cond():
            if time.monotonic() > end:
                self.problem(f'gave up waiting for {what}')
                return False
            time.sleep(0.01)
        return True

    def wait_committed(self, n):
        """Until the live writer of the ring has committed n bytes."""
        return self.wait_until(
            lambda: int(self.state().get('bytes_in', '0')) >= n,
            f'the writer to commit {n} bytes')

    def sleeps(self, reader=None):
        """How often the writer, or the reader with cursor name reader,
        went to sleep on the ring (0 if there is no such one)."""
        st = self.state()
        if reader is None:
            return int(st.get('writer_sleeps', '0'))
        for key, val in st.items():
            if key.endswith('.name') and val == reader:
                return int(st.get(key[:-len('name')] + 'sleeps', '0'))
        return 0

    def live_writer(self, first, rest, *opts):
        """An untraced writer fed through a pipe: first now, rest and the
        end of input at feeder.finish()."""
        w = self.spawn('writer', self.argv('shmcat-in', *opts, RING),
                       subprocess.PIPE)
        return w, Feeder(w.stdin, first, rest)

    def drain(self, out, *opts):
        """Read what is left with a fresh untraced reader, the documented
        way to resume a stream; its exit code, or -1 if there is no ring
        to read (then out is empty)."""
        if not self.ring_exists():
            open(out, 'wb').close()
            return -1
        return self.run('reader', self.argv('shmcat-out', '-t', DRAIN_SECS,
                                            *opts, RING), stdout=out)

    # ---- the oracle
    def expect(self, label, rc, allowed):
        if rc is not None and rc not in allowed:
            self.problem(f'{label} exit {rc} (expected {codes(allowed)})')

    def judge_subject(self, allowed):
        rc, errno = self.subject_rc, self.fault.get('errno')
        lines = [l for l in self.subject_err.splitlines() if l.strip()]
        said = f': "{lines[0]}"' if lines else ''
        if rc is None:
            return
        if errno == 'EINTR':
            if rc != self.clean_rc or (rc == 0 and lines):
                self.problem(f'EINTR not retried: exit {rc}{said}')
                return
        allowed = set(allowed) | ({141} if errno == 'EPIPE' else set())
        if rc > 128 and rc not in allowed:
            self.problem(f'killed by signal {rc - 128}{said}')
            return
        if rc not in allowed:
            self.problem(f'exit {rc}, not documented here (documented: '
                         f'{codes(allowed)}){said}')
        if rc in (0, 141):
            return
        if not lines:
            self.problem(f'exit {rc} without a message')
        elif any('Success' in l for l in lines):
            self.problem(f'a message says "Success"{said}')
        elif not all(l.startswith(self.prog + ': ') for l in lines):
            self.problem(f'a message without the program\'s name{said}')
        elif len(lines) > (2 if self.clean_rc else 1):
            self.problem(f'{len(lines)} lines of messages, not one: '
                         + ' | '.join(lines))

    def delivered(self, label, got, want, exact):
        if got == want:
            return
        if exact:
            self.problem(f'{label} exit 0 delivered {len(got)} of '
                         f'{len(want)} bytes{differ(got, want)}')
        elif not want.startswith(got):
            self.problem(f'{label} delivered {len(got)} bytes that are not '
                         f'a prefix of the input{differ(got, want)}')

    def check_reader(self, label, rc, got, want, writers_ok):
        """A reader that drains after the subject: it exits 0 with every
        byte when the writers succeeded, else 0, 3 or 4 (-t) with a
        prefix (exact if it says 0: a clean end)."""
        if rc == -1:
            if writers_ok:
                self.problem('no ring to read after the writer succeeded')
            return
        self.expect(label, rc, {0} if writers_ok else {0, 3, 4})
        self.delivered(label, got, want, rc == 0)

    def leftovers(self):
        """What is left in /dev/shm once every process is gone: no build
        file (no creator was killed), and rings only that shmcat list
        shows, that shmcat status says nobody holds, and that shmcat rm
        removes.  A ring left by a run that failed, or one whose removal
        failed, is such a ring: the documented commands deal with it."""
        names = sorted(os.listdir(SHM))
        for n in names:
            if not n.startswith('shmcat.'):
                self.problem(f'left behind: {SHM}/{n}')
            elif '~' in n:
                self.problem(f'left behind: build file {n}')
        rings = [n[7:] for n in names if n.startswith('shmcat.')]
        if not rings:
            return
        rc, listing = self.shmcat('list')
        shown = [l.split()[0] for l in listing.splitlines()[1:] if l.split()]
        for r in rings:
            if r not in shown:
                self.problem(f'shmcat list does not show {r}')
            st = self.state(r)
            if st.get('writer_alive') == '1' or \
                    st.get('readers_alive', '0') != '0':
                self.problem(f'shmcat status says {r} is in use after '
                             'every process is gone')
            rc, _ = self.shmcat('rm', r)
            if os.path.exists(f'{SHM}/shmcat.{r}'):
                self.problem(f'left behind: {r}, which shmcat rm cannot '
                             f'remove (exit {rc})')


def codes(allowed):
    return ' '.join(str(c) for c in sorted(allowed))


def differ(got, want):
    i = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
             min(len(got), len(want)))
    return f' (first difference at byte {i})' if i < len(got) else ''
