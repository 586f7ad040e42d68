"""Reliability and security scenarios of labfleet.zoo.model (issue 5), shared by the pytest suite and the report.

Every fault is real: tools/zoo_server.py cuts, stalls, refuses and ignores Range over TCP on 127.0.0.1, child
processes are really SIGKILLed, hostile archives are built byte by byte, a real tmpfs really fills up, and the
module runs through ``ansible`` / ``ansible-playbook``. Only the back-off *wait* between retries is shortened.

Each scenario is a function ``name(work, seed, quick=False) -> Outcome``: figures for the table, the failures
found (an empty list means every property held) and details for humans. ``tests/reliability/test_*.py``
assert on the Outcome; ``tools/reliability_report.py`` prints the figures.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import random
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import termios
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / 'tests' / 'unit' / 'plugins' / 'module_utils'
for _path in (REPO / 'tools', REPO / 'collections', REPO / 'tests', UNIT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

# The unit tests' helpers are reused, not copied: hostile members and the tree snapshot (test_unpack),
# and the work-folder listing (test_install).
from test_unpack import ABS_TARGET, D, F, HOSTILE, TOP, snapshot, tgz_bytes, zoo_members  # noqa: E402
from test_install import work_entries  # noqa: E402

from support.lab import ansible_env  # noqa: E402  (the one Ansible environment of the tests)
from synthetic_zoo import archive_info, build_archive  # noqa: E402
import zoo_server  # noqa: E402
from zoo_server import ZooServer, ignore_range, reset, short, stall, status  # noqa: E402

from ansible_collections.labfleet.zoo.plugins.module_utils import _manifest  # noqa: E402
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError  # noqa: E402
from ansible_collections.labfleet.zoo.plugins.module_utils._install import WORK, Installer  # noqa: E402
from ansible_collections.labfleet.zoo.plugins.module_utils._spec import from_params  # noqa: E402
from ansible_collections.labfleet.zoo.plugins.module_utils._unpack import CHUNK as READ_BUFFER  # noqa: E402

MiB = 1 << 20
SEED_ENV = 'LABFLEET_ZOO_SEED'
BIN = Path(sys.executable).parent
KILL_CHILD = REPO / 'tests' / 'support' / 'kill_child.py'
PC_MODEL = 'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8'
KNOWN_SIZE_MODEL = 'efficientdet_d3_coco17_tpu-32'  # the catalog knows its archive size (92858658 bytes)


def default_seed():
    """The seed from $LABFLEET_ZOO_SEED, else a fresh one (always printed, so any run can be replayed)."""
    value = os.environ.get(SEED_ENV)
    return int(value) if value else random.SystemRandom().randrange(1, 10 ** 6)


class Outcome(object):
    """What one scenario measured: ``figures`` (for the table), ``failures`` (must be empty), ``details``."""

    def __init__(self, name, seed):
        self.name, self.seed = name, seed
        self.figures, self.failures, self.details = {}, [], []
        self.started = time.monotonic()
        self.elapsed = 0.0

    def check(self, ok, message):
        if not ok:
            self.failures.append(message)
        return ok

    def add(self, figure, n=1):
        self.figures[figure] = self.figures.get(figure, 0) + n

    def note(self, text):
        self.details.append(text)

    def done(self):
        self.elapsed = time.monotonic() - self.started
        return self

    def __repr__(self):
        return '<%s seed=%s figures=%s failures=%d>' % (self.name, self.seed, self.figures, len(self.failures))

    def explain(self):
        return '%s (seed %s, replay with %s=%s):\n  %s' % (self.name, self.seed, SEED_ENV, self.seed,
                                                           '\n  '.join(self.failures + ['--'] + self.details))


# ---------------------------------------------------------------- small shared pieces

def verify(folder, sha256=None):
    """Problems of the install in ``folder`` under a *full* check (marker, every file's size and sha256)."""
    record = _manifest.read(str(folder))
    if record is None:
        return ['%s: no valid marker' % folder]
    found = _manifest.problems(str(folder), record, full=True)
    if sha256 and record.get('sha256') != sha256:
        found.append('%s: installed from sha256 %s, expected %s' % (folder, record.get('sha256'), sha256))
    return found


def leftovers(dest):
    """Staging/old entries (a killed or failed run's debris) in ``<dest>/.labfleet-zoo``."""
    return [e for e in work_entries(dest) if '.staging.' in e or '.old.' in e]


def files_state(root, skip=()):
    """{relpath: (mode, sha256)} of every file below ``root`` (symlinks and specials listed as such)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(str(root)):
        dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in skip]
        for name in filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = None
            if stat.S_ISREG(st.st_mode):
                with open(path, 'rb') as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
            out[os.path.relpath(path, str(root))] = (st.st_mode, digest)
    return out


def quick_sleep(seconds):
    """The back-off wait, shortened (the faults themselves are real; waiting 0.5..8 s between them is not)."""
    time.sleep(min(seconds, 0.05))


@contextlib.contextmanager
def mounted_tmpfs(path, size='4m'):
    """Mount a fresh tmpfs of ``size`` on ``path`` (root only); unmounted afterwards."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=%s' % size, 'tmpfs', str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(['umount', '-l', str(path)], check=False)


def can_mount():
    return os.geteuid() == 0 and shutil.which('mount') is not None


def free_bytes(path):
    st = os.statvfs(str(path))
    return st.f_bavail * st.f_frsize


# ---------------------------------------------------------------- running the real module

def run_module(args, check=False, timeout=300):
    """``ansible localhost -m labfleet.zoo.model -a <json>``; returns (rc, task result dict, stdout+stderr)."""
    cmd = [str(BIN / 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local',
           '-e', 'ansible_python_interpreter=' + sys.executable,
           '-m', 'labfleet.zoo.model', '-a', json.dumps(args)]
    if check:
        cmd.append('--check')
    proc = subprocess.run(cmd, cwd=str(REPO), env=ansible_env(), capture_output=True, text=True, timeout=timeout,
                          check=False)
    text = proc.stdout + proc.stderr
    try:
        out = json.loads(proc.stdout)
        result = out['plays'][0]['tasks'][0]['hosts']['localhost']
    except (ValueError, KeyError, IndexError):
        result = {}
    return proc.returncode, result, text


def run_playbook(playbook, extra_vars, timeout=600):
    """ansible-playbook on the repo's inventory (this machine); returns (rc, [(task, result)], text)."""
    cmd = [str(BIN / 'ansible-playbook'), str(playbook), '-e', json.dumps(extra_vars)]
    proc = subprocess.run(cmd, cwd=str(REPO), env=ansible_env(), capture_output=True, text=True, timeout=timeout,
                          check=False)
    text = proc.stdout + proc.stderr
    tasks = []
    try:
        for play in json.loads(proc.stdout)['plays']:
            for task in play['tasks']:
                tasks.append((task['task']['name'], task['hosts'].get('localhost', {})))
    except (ValueError, KeyError):
        pass
    return proc.returncode, tasks, text


# ================================================================ 1. network faults

CUTS = ('reset', 'short', 'stall')


class _DrainingHandler(zoo_server._Handler):
    """zoo_server's handler, but a ``reset(at)`` really cuts at byte ``at``.

    zoo_server counts a byte as served once it is written into the socket, and its reset closes with
    SO_LINGER 0, which throws away whatever still sits unsent in the server's send queue (megabytes on
    loopback). The client then never receives bytes the server counted: the cut is earlier than ``at``. Here
    the send queue is drained (SIOCOUTQ == 0) before the RST, so every byte before ``at`` reached the client.
    """

    def _fault(self, fault):
        if fault.kind == 'reset':
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                unsent = struct.unpack('i', fcntl.ioctl(self.connection.fileno(), termios.TIOCOUTQ, b'\0' * 4))[0]
                if unsent == 0:
                    break
                time.sleep(0.002)
        super()._fault(fault)


class FaultServer(ZooServer):
    """ZooServer whose resets cut exactly at their offset (see _DrainingHandler)."""

    def __init__(self, root, **kw):
        super().__init__(root, **kw)
        self.RequestHandlerClass = _DrainingHandler


def _plan(rng, size, timeout, stalls_left, retries):
    """A random fault plan for one install: 1..retries faults, cuts at random increasing offsets."""
    kinds = []
    for dummy in range(rng.randint(1, retries)):
        choices = ['reset', 'reset', 'short', 'short', 'status']
        if stalls_left - kinds.count('stall') > 0:
            choices.append('stall')
        if kinds and kinds[-1] in CUTS and 'ignore_range' not in kinds:
            choices += ['ignore_range', 'ignore_range']
        kinds.append(rng.choice(choices))
    # A cut in the first read buffer may leave the client at byte 0, and then no Range is sent for the
    # server to ignore: plans with ignore_range cut later.
    low = 2 * READ_BUFFER if 'ignore_range' in kinds else 1
    offsets = sorted(rng.randrange(low, size) for dummy in kinds)
    plan = []
    for kind, at in zip(kinds, offsets):
        if kind == 'reset':
            plan.append(reset(at))
        elif kind == 'short':
            plan.append(short(at))
        elif kind == 'stall':
            plan.append(stall(at, timeout + 2))
        elif kind == 'status':
            plan.append(status(rng.choice((500, 503))))
        else:
            plan.append(ignore_range())
    return plan


def _describe(fault):
    if fault.kind == 'status':
        return 'HTTP %d' % fault.code
    if fault.kind == 'ignore_range':
        return 'ignore Range'
    return '%s@%d' % (fault.kind, fault.at)


def network_faults(work, seed, quick=False):
    """>= 20 real network faults at seeded random offsets; every install verified, re-fetch bounded."""
    out = Outcome('network faults', seed)
    rng = random.Random(seed)
    work = Path(work)
    size = (3 if quick else 6) * MiB
    target = 20 if quick else 30
    retries, timeout = 3, 1
    stalls_left = 1 if quick else 3
    root = work / 'zoo'
    path = build_archive(root, 'netfault', size=size, seed=seed % 1000)
    info = archive_info(path)
    filename = path.name
    S = info['size']
    out.note('archive %s: %d bytes, sha256 %s' % (filename, S, info['sha256']))
    with FaultServer(str(root)) as server:
        reference = Installer(from_params(dict(url=server.url_for(filename), dest=str(work / 'reference'))),
                              sleep=quick_sleep).present()
        ref_files = _manifest.read(reference['path'])['files']
        out.check(server.request_count() == 1, 'the fault-free reference install took %d requests'
                  % server.request_count())
        run = 0
        worst_excess = 0
        while out.figures.get('faults injected', 0) < target:
            run += 1
            plan = _plan(rng, S, timeout, stalls_left, retries)
            stalls_left -= sum(1 for f in plan if f.kind == 'stall')
            server.reset_counters()
            server.plan(filename, plan)
            dest = work / ('run%02d' % run) / 'pre_trained'
            spec = from_params(dict(url=server.url_for(filename), dest=str(dest), timeout=timeout, retries=retries))
            label = 'run %d [%s]' % (run, ', '.join(_describe(f) for f in plan))
            out.add('installs attempted')
            try:
                result = Installer(spec, sleep=quick_sleep).present()
            except ZooError as e:
                out.check(False, '%s: install failed within %d retries: %s' % (label, retries, e))
                continue
            gets = [r for r in server.requests if r['filename'] == filename and r['method'] == 'GET']
            server.plan(filename, [])
            for fault, request in zip(plan, gets):  # request j met fault j
                if fault.kind == 'ignore_range' and not request.get('range'):
                    out.note('%s: ignore_range met a request without Range: no fault' % label)
                    continue
                out.add('faults injected')
                out.add('fault: ' + (fault.kind if fault.kind != 'status' else 'HTTP %d' % fault.code))
            problems = verify(result['path'], info['sha256'])
            record = _manifest.read(result['path']) or {}
            same = record.get('files') == ref_files
            if out.check(not problems and same and result['action'] == 'installed',
                         '%s: install not verified: %s%s'
                         % (label, problems[:3], '' if same else ' (manifest differs)')):
                out.add('installs verified')
            out.check(leftovers(dest) == [], '%s: leftovers %s' % (label, leftovers(dest)))
            # Bytes fetched again after each cut: the resume starts at most one read buffer before the cut.
            for index, fault in enumerate(plan):
                if fault.kind not in CUTS or index + 1 >= len(gets):
                    continue
                value = gets[index + 1].get('range')
                resumed = int(value.split('=', 1)[1].split('-', 1)[0]) if value else 0
                again, remained = S - resumed, S - fault.at
                excess = again - remained
                worst_excess = max(worst_excess, excess)
                out.check(0 <= excess <= READ_BUFFER,
                          '%s: after the cut at byte %d the resume asked for byte %d: %d bytes fetched again, '
                          '%d remained (+%d, limit one read buffer = %d)'
                          % (label, fault.at, resumed, again, remained, excess, READ_BUFFER))
            served = server.bytes_served[filename]
            out.note('%s: %d requests, %d bytes served, %d bytes read by the client'
                     % (label, len(gets), served, result['bytes_downloaded']))
        out.figures['worst re-fetch beyond what remained (bytes)'] = worst_excess
        # One source, retries + 1 faults: a clear failure, nothing left behind.
        server.reset_counters()
        server.plan(filename, [status(503)] * (retries + 1))
        dest = work / 'exhausted' / 'pre_trained'
        spec = from_params(dict(url=server.url_for(filename), dest=str(dest), timeout=timeout, retries=retries))
        try:
            Installer(spec, sleep=quick_sleep).present()
            out.check(False, '%d x HTTP 503 with retries=%d: the install succeeded' % (retries + 1, retries))
        except ZooError as e:
            out.check('failed after %d retries' % retries in str(e) and '503' in str(e),
                      'retries exhausted: unclear message %r' % str(e))
            out.check(not (dest / 'netfault').exists() and leftovers(dest) == [],
                      'retries exhausted: something was left in %s' % dest)
            out.add('faults injected', retries + 1)
            out.add('fault: HTTP 503', retries + 1)
    out.note('%d installs under faults' % run)
    return out.done()


# ================================================================ 2. killed runs

KILL_KEY = 'killme'


def _spawn(url, dest, trigger='none'):
    return subprocess.Popen([sys.executable, str(KILL_CHILD), str(REPO), url, str(dest), trigger],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _reap(proc, sig=None):
    if sig is not None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
    try:
        status_ = os.waitpid(proc.pid, 0)[1]
    except ChildProcessError:
        status_ = 0
    proc.returncode = -os.WTERMSIG(status_) if os.WIFSIGNALED(status_) else os.WEXITSTATUS(status_)
    proc.stdout.close()
    return proc.returncode


def _classify(folder, old_sha, new_sha):
    """absent | old | new (complete, fully verified) | anything else is a broken state."""
    if not os.path.lexists(str(folder)):
        return 'absent'
    record = _manifest.read(str(folder))
    if record is None:
        return 'partial (no marker)'
    problems = _manifest.problems(str(folder), record, full=True)
    if problems:
        return 'partial WITH marker: %s' % problems[:3]
    return {old_sha: 'old', new_sha: 'new'}.get(record.get('sha256'), 'unknown sha256 %s' % record.get('sha256'))


def killed_runs(work, seed, quick=False):
    """SIGKILL the module's code at >= 10 moments; each time the folder is absent/old/new and the next run heals."""
    out = Outcome('killed runs', seed)
    rng = random.Random(seed + 1)
    work = Path(work)
    old_root, new_root = work / 'zoo_old', work / 'zoo_new'
    old_info = archive_info(build_archive(old_root, KILL_KEY, size=3 * MiB, seed=1))
    new_info = archive_info(build_archive(new_root, KILL_KEY, size=(8 if quick else 16) * MiB, seed=2))
    filename = KILL_KEY + '.tar.gz'
    with ZooServer(str(old_root)) as old_srv, ZooServer(str(new_root)) as new_srv:
        old_url, new_url = old_srv.url_for(filename), new_srv.url_for(filename)
        pristine = work / 'pristine_old'
        Installer(from_params(dict(url=old_url, dest=str(pristine))), sleep=quick_sleep).present()

        def prepare(n, with_old):
            dest = work / ('kill%02d' % n) / 'pre_trained'
            if with_old:
                shutil.copytree(str(pristine), str(dest), ignore=shutil.ignore_patterns(WORK))
            return dest

        # Calibrate: how long does a reinstall over the old one take once the child is ready?
        dest = prepare(0, True)
        proc = _spawn(new_url, dest)
        proc.stdout.readline()
        t0 = time.monotonic()
        proc.stdout.readline()  # the result: the install is over (interpreter shutdown not counted)
        span = time.monotonic() - t0
        proc.stdout.read()
        out.check(_reap(proc) == 0, 'calibration run failed')
        out.note('calibration: a %d-byte reinstall takes %.2f s in the child' % (new_info['size'], span))

        files = 7  # regular files of a synthetic model
        # Files are created relative to the staging folder's descriptor: the 'open' events name them by their path
        # below it, and the six in subfolders hold a '/' (the seventh is pipeline.config, beside the marker).
        in_subfolders = files - 1
        moments = [  # (description, trigger, start from an old install?)
            ('before the download: staging folder just created', 'os.mkdir|.staging.|1', True),
            ('during extraction: creating a file in staging', 'open|/|%d' % rng.randint(1, in_subfolders), True),
            ('during extraction: creating a file in staging', 'open|/|%d' % rng.randint(1, in_subfolders), False),
            ('renaming the marker into place (step 1)', 'os.rename||1', True),
            ('setting the old install aside (rename step 2)', 'os.rename||2', True),
            ('renaming staging to the model folder (rename step 3)', 'os.rename||3', True),
            ('renaming staging to the model folder, fresh dest', 'os.rename||2', False),
            ('deleting the old install after the swap', 'os.remove||%d' % rng.randint(1, files), True),
        ]
        for dummy in range(3 if quick else 5):
            moments.append(('at a random time %.3f s in' % rng.uniform(0.01, span * 0.9), 'time', rng.random() < 0.8))
        for dummy in range(1 if quick else 2):
            moments.append(('during a stalled download at byte %d' % rng.randrange(MiB, new_info['size'] - MiB),
                            'stall', True))

        for n, (what, trigger, with_old) in enumerate(moments, 1):
            dest = prepare(n, with_old)
            folder = dest / KILL_KEY
            label = 'kill %d (%s%s)' % (n, what, '' if with_old else ', no previous install')
            if trigger == 'stall':
                at = int(what.rsplit(' ', 1)[1])
                new_srv.reset_counters()
                new_srv.plan(filename, [stall(at, 15)])
                proc = _spawn(new_url, dest)
                proc.stdout.readline()
                deadline = time.monotonic() + 20
                while new_srv.bytes_served[filename] < at and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.05, 0.5))
                _reap(proc, signal.SIGKILL)
            elif trigger == 'time':
                delay = float(what.split('time ')[1].split(' ')[0])
                proc = _spawn(new_url, dest)
                proc.stdout.readline()
                time.sleep(delay)
                _reap(proc, signal.SIGKILL)
            else:
                proc = _spawn(new_url, dest, trigger)
                proc.stdout.readline()
                st = os.waitpid(proc.pid, os.WUNTRACED)[1]
                if not os.WIFSTOPPED(st):
                    out.check(False, '%s: the child finished without reaching %s' % (label, trigger))
                    proc.returncode = os.WEXITSTATUS(st)
                    proc.stdout.close()
                    continue
                where = json.loads(proc.stdout.readline())
                shown = ', '.join(a.replace(str(dest), '<dest>') for a in where['args'][:2])
                label += ' at %s(%s)' % (where['paused'], shown)
                _reap(proc, signal.SIGKILL)
            if proc.returncode != -signal.SIGKILL:  # a random moment after the run's end: no kill happened
                out.add('kill moments missed (the run had finished)')
                out.note('%s: the child finished first (exit %s): not counted' % (label, proc.returncode))
                continue
            out.add('kills')
            state = _classify(folder, old_info['sha256'], new_info['sha256'])
            debris = leftovers(dest)
            allowed = ('absent', 'old', 'new') if with_old else ('absent', 'new')
            if out.check(state in allowed, '%s: model folder left %s' % (label, state)):
                out.add('kills survived')
                out.add('state after kill: ' + state)
            out.note('%s -> %s, leftovers %s' % (label, state, debris))
            # The next run repairs and cleans everything.
            try:
                result = Installer(from_params(dict(url=new_url, dest=str(dest), timeout=5, retries=2)),
                                   sleep=quick_sleep).present()
            except ZooError as e:
                out.check(False, '%s: the next run failed: %s' % (label, e))
                continue
            problems = verify(folder, new_info['sha256'])
            out.add('installs attempted')
            if out.check(not problems, '%s: after the next run: %s' % (label, problems[:3])):
                out.add('installs verified')
            out.check(leftovers(dest) == [], '%s: the next run left %s' % (label, leftovers(dest)))
            extra = sorted(set(os.listdir(str(dest))) - {KILL_KEY, WORK})
            out.check(not extra, '%s: stray entries in dest after the next run: %s' % (label, extra))
            if not problems and not leftovers(dest) and not extra:
                out.add('healed by the next run')
            out.note('   next run: %s' % result['action'])
    return out.done()


# ================================================================ 3. hostile archives

HOSTILE_KEY = TOP  # the url-only install of <TOP>.tar.gz lands in <dest>/<TOP>


def _not_gzip(ws):
    return b'PK\x03\x04 this is a zip file, not a gzip\'d tar' + bytes(range(256)) * 8, None


def _truncated_gzip(ws):
    members = zoo_members()[0]
    blob = tgz_bytes(members)
    return blob[:len(blob) * 6 // 10], None


def _gzip_not_tar(ws):
    import gzip
    return gzip.compress(b'just some text, no tar header here\n' * 200, mtime=0), None


def _declared_size_exceeds_space(ws):
    big = TOP + '/saved_model/variables/variables.data-00000-of-00001'
    return tgz_bytes([D(TOP), F(TOP + '/pipeline.config', b'model {}\n'), F(big, b'\0' * (12 * MiB))]), big


def _sizes_add_up_beyond_space(ws):
    """Members of 900 kB each (one read buffer or less: no size check per member): together > the tmpfs."""
    members = [D(TOP)] + [F('%s/checkpoint/part%02d.bin' % (TOP, i), b'\0' * (900 * 1000)) for i in range(6)]
    return tgz_bytes(members), TOP + '/checkpoint/part0'


def _small_files_beyond_space(ws):
    """A 2.5 MB member, then many 2 kB members: the disk fills while small files are written."""
    members = [D(TOP), F(TOP + '/checkpoint/big.bin', b'\0' * (2500 * 1000))]
    members += [F('%s/assets/f%04d.txt' % (TOP, i), b'\1' * 2000) for i in range(600)]
    return tgz_bytes(members), TOP + '/assets/f'


# id -> (factory(workspace) -> (blob, offender) or members, offender, needs tmpfs)
EXTRA_HOSTILE = {
    'not-gzip': (_not_gzip, None, False),
    'truncated-gzip': (_truncated_gzip, None, False),
    'gzip-but-not-tar': (_gzip_not_tar, None, False),
    'declared-size-exceeds-free-space': (_declared_size_exceeds_space, None, True),
    'sizes-add-up-beyond-free-space': (_sizes_add_up_beyond_space, None, True),
    'small-files-beyond-free-space': (_small_files_beyond_space, None, True),
}


def hostile_cases():
    """Every hostile case id: the unit tests' HOSTILE members (reused) plus whole-archive and disk cases."""
    return sorted(HOSTILE) + sorted(EXTRA_HOSTILE)


def _good_blob():
    members, contents = zoo_members()
    return tgz_bytes(members)


def hostile_one(work, case):
    """Install a good <TOP>.tar.gz, then force a reinstall from the hostile one served under the same URL.

    Returns (ok: bool, failures, bytes written outside the staging folder, message).
    """
    failures = []
    work = Path(work) / case
    needs_tmpfs = case in EXTRA_HOSTILE and EXTRA_HOSTILE[case][2]
    if needs_tmpfs and not can_mount():
        return None, ['skipped: mounting a tmpfs needs root'], 0, ''
    ctx = mounted_tmpfs(work / 'ws', '4m') if needs_tmpfs else contextlib.nullcontext(work / 'ws')
    with ctx as ws:
        ws = Path(ws)
        ws.mkdir(parents=True, exist_ok=True)
        dest = ws / 'pre_trained'
        (ws / 'outside').mkdir()
        (ws / 'outside' / 'victim.txt').write_bytes(b'keep me')
        (ws / 'training').mkdir()
        (ws / 'training' / 'notes.txt').write_bytes(b'student notes\n')
        root = Path(work) / 'served'
        root.mkdir(parents=True, exist_ok=True)
        archive = root / (HOSTILE_KEY + '.tar.gz')
        archive.write_bytes(_good_blob())
        with ZooServer(str(root)) as server:
            url = server.url_for(archive.name)
            good = Installer(from_params(dict(url=url, dest=str(dest))), sleep=quick_sleep).present()
            good_sha = good['sha256']
            folder = Path(good['path'])
            if case in HOSTILE:
                factory, offender = HOSTILE[case]
                blob = tgz_bytes(factory(ws))
            else:
                blob, offender = EXTRA_HOSTILE[case][0](ws)
            archive.write_bytes(blob)
            before = snapshot(ws, dest / WORK)
            message = ''
            try:
                Installer(from_params(dict(url=url, dest=str(dest), force=True, timeout=5, retries=1)),
                          sleep=quick_sleep).present()
                failures.append('%s: the hostile archive was installed' % case)
            except ZooError as e:
                message = str(e)
        after = snapshot(ws, dest / WORK)
        changed = sorted(set(after.items()) ^ set(before.items()))
        outside = sum(after[p][1] for p in set(after) if after.get(p) != before.get(p))
        if os.path.lexists(ABS_TARGET):
            outside += os.lstat(ABS_TARGET).st_size or 1
            failures.append('%s: %s was written' % (case, ABS_TARGET))
        if changed:
            failures.append('%s: paths outside the staging folder changed: %s' % (case, [c[0] for c in changed][:5]))
        if message:
            if archive.name not in message:
                failures.append('%s: the message does not name the archive %s: %r' % (case, archive.name, message))
            if offender and offender not in message:
                failures.append('%s: the message does not name the member %r: %r' % (case, offender, message))
        problems = verify(folder, good_sha)
        if problems:
            failures.append('%s: the previous good install was damaged: %s' % (case, problems[:3]))
        if leftovers(dest):
            failures.append('%s: leftovers in %s: %s' % (case, dest / WORK, leftovers(dest)))
        if (ws / 'outside' / 'victim.txt').read_bytes() != b'keep me':
            failures.append('%s: outside/victim.txt changed' % case)
    return not failures, failures, outside, message


def hostile_archives(work, seed, quick=False):
    out = Outcome('hostile archives', seed)
    out.figures['bytes written outside dest'] = 0
    for case in hostile_cases():
        ok, failures, outside, message = hostile_one(work, case)
        if ok is None:
            out.add('hostile archives skipped')
            out.note('%s: %s' % (case, failures[0]))
            continue
        out.add('hostile archive kinds')
        out.figures['bytes written outside dest'] += outside
        out.failures.extend(failures)
        if ok:
            out.add('hostile archives rejected')
        out.note('%s: %s' % (case, message.replace('\n', ' | ')[:300]))
    return out.done()


# ================================================================ 4. bad parameters through the real module

def bad_parameter_cases(url_ok, url_missing, dest):
    """id -> (module args, regex the message must match)."""
    return {
        'unknown-model': (dict(name='ssd_mobilenet_v9_fpnlite_320x320', dest=dest),
                          r"unknown model 'ssd_mobilenet_v9_fpnlite_320x320'.*ssd_mobilenet_v2_fpnlite_320x320"),
        'malformed-checksum': (dict(url=url_ok, dest=dest, checksum='md5:1234'),
                               r"checksum must be 'sha256:' followed by 64 hex digits, got 'md5:1234'"),
        'wrong-checksum': (dict(url=url_ok, dest=dest, checksum='sha256:' + '0' * 64),
                           r'checksum mismatch for model \w+: expected sha256 0{64}, got [0-9a-f]{64}'),
        'http-404': (dict(url=url_missing, dest=dest), r'HTTP 404 .* from %s' % re.escape(url_missing)),
        'relative-dest': (dict(name=PC_MODEL, dest='tod_tf2/pre_trained'),
                          r"dest must be an absolute path.*'tod_tf2/pre_trained'"),
        'name-with-slash': (dict(name='ssd/../../etc', dest=dest), r"invalid model name 'ssd/\.\./\.\./etc'"),
        'name-with-dotdot': (dict(name='..', dest=dest), r"invalid model name '\.\.'"),
        'name-dotdot-in-word': (dict(name='model..tar', dest=dest), r"invalid model name 'model\.\.tar'"),
        'url-scheme-ftp': (dict(url='ftp://127.0.0.1/x.tar.gz', dest=dest),
                           r"unsupported URL scheme 'ftp' in ftp://127.0.0.1/x.tar.gz: use http, https or file"),
        'url-scheme-scp-mirror': (dict(name=PC_MODEL, dest=dest, mirrors=['scp://teacher/zoo']),
                                  r"unsupported URL scheme 'scp'"),
        'url-without-archive-name': (dict(url='http://127.0.0.1:9/models/', dest=dest),
                                     r'does not name a \.tar\.gz archive'),
    }


QUICK_BAD_PARAMETERS = ('unknown-model', 'malformed-checksum', 'wrong-checksum', 'http-404', 'relative-dest',
                        'name-with-slash', 'name-with-dotdot', 'url-scheme-ftp')


def bad_parameters(work, seed, quick=False):
    out = Outcome('bad parameters', seed)
    work = Path(work)
    root = work / 'zoo'
    path = build_archive(root, 'good_model', size=256 * 1024, seed=5)
    with ZooServer(str(root)) as server:
        dest = str(work / 'pre_trained')
        cases = bad_parameter_cases(server.url_for(path.name), server.url_for('missing_model.tar.gz'), dest)
        if quick:  # one of each kind the issue lists
            cases = dict((k, v) for k, v in cases.items() if k in QUICK_BAD_PARAMETERS)

        def one(item):
            case, (args, pattern) = item
            return case, args, pattern, run_module(args)

        with ThreadPoolExecutor(4) as pool:
            for case, args, pattern, (rc, result, text) in pool.map(one, sorted(cases.items())):
                msg = result.get('msg', '')
                good = out.check(rc != 0 and bool(result.get('failed')),
                                 '%s: the task did not fail (rc %d)' % (case, rc))
                good &= out.check(re.search(pattern, msg or '', re.S) is not None,
                                  '%s: message %r does not match %r' % (case, msg, pattern))
                # ansible-core 2.19 adds exception='(traceback unavailable)' to every failed result: not a traceback.
                traced = ('Traceback (most recent call last)' in text or 'module_stderr' in result
                          or 'Traceback' in str(result.get('exception', '')))
                good &= out.check(not traced, '%s: a traceback was printed: %s' % (case, text[-800:]))
                if good:
                    out.add('bad parameters rejected cleanly')
                out.add('bad parameter cases')
                out.note('%s: %s' % (case, msg.replace('\n', ' | ')[:240]))
        out.check(not os.path.exists(os.path.join(dest, 'good_model')), 'a bad-parameter run installed something')
    return out.done()


# ================================================================ 5. concurrency through the real module

def concurrency(work, seed, quick=False):
    """4 ``ansible -m labfleet.zoo.model`` processes at once for one model: one download, four successes."""
    out = Outcome('concurrency', seed)
    rng = random.Random(seed + 5)
    work = Path(work)
    root = work / 'zoo'
    info = archive_info(build_archive(root, 'shared_model', size=2 * MiB, seed=6))
    filename = 'shared_model.tar.gz'
    dest = work / 'pre_trained'
    with ZooServer(str(root)) as server:
        at = rng.randrange(64 * 1024, MiB)
        server.plan(filename, [stall(at, 4)])  # the first download crawls: the others queue on the lock
        args = dict(url=server.url_for(filename), dest=str(dest), timeout=10, retries=3)
        with ThreadPoolExecutor(4) as pool:
            runs = list(pool.map(lambda _i: run_module(args), range(4)))
        gets = [r for r in server.requests if r['filename'] == filename and r['method'] == 'GET']
        fresh = [r for r in gets if not r.get('range')]
        out.figures['concurrent downloads'] = len(fresh)
        out.figures['concurrent successes'] = sum(1 for rc, res, _t in runs if rc == 0 and not res.get('failed'))
        out.figures['bytes served for 4 installs'] = server.bytes_served[filename]
        actions = sorted(res.get('action', 'failed') for _rc, res, _t in runs)
        out.check(len(fresh) == 1, '%d downloads started for one model (GETs without Range)' % len(fresh))
        out.check(server.bytes_served[filename] == info['size'],
                  '%d bytes served for a %d-byte archive' % (server.bytes_served[filename], info['size']))
        out.check(actions == ['installed', 'unchanged', 'unchanged', 'unchanged'], 'actions %s' % actions)
        for rc, res, text in runs:
            out.check(rc == 0, 'a concurrent run failed: %s' % (res.get('msg') or text[-500:]))
        out.note('actions %s, elapsed %s, requests %s' % (actions, [res.get('elapsed') for _r, res, _t in runs],
                                                          [(r['range'], r['status']) for r in gets]))
    problems = verify(dest / 'shared_model', info['sha256'])
    out.add('installs attempted')
    if out.check(not problems, 'after 4 concurrent runs: %s' % problems[:3]):
        out.add('installs verified')
    out.check(leftovers(dest) == [], 'leftovers %s' % leftovers(dest))
    return out.done()


# ================================================================ 6. disk full on a real tmpfs

class _ChunkedHandler(BaseHTTPRequestHandler):
    """Serves a file with Transfer-Encoding: chunked and no Content-Length: the size is unknown in advance."""
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = os.path.join(self.server.root, self.path.lstrip('/'))
        self.server.requests += 1
        if not os.path.isfile(path):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header('Content-Type', 'application/gzip')
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        try:
            with open(path, 'rb') as fh:
                for block in iter(lambda: fh.read(64 * 1024), b''):
                    self.wfile.write(b'%x\r\n%s\r\n' % (len(block), block))
                    self.server.bytes_served += len(block)
                self.wfile.write(b'0\r\n\r\n')
        except OSError:
            pass


class ChunkedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root):
        self.root, self.requests, self.bytes_served = str(root), 0, 0
        super().__init__(('127.0.0.1', 0), _ChunkedHandler)

    def url_for(self, filename):
        return 'http://127.0.0.1:%d/%s' % (self.server_address[1], filename)

    def __enter__(self):
        threading.Thread(target=self.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


_NEEDS = re.compile(r'needs (\d+) MB, (\d+) MB free')


def disk_full(work, seed, quick=False):
    out = Outcome('disk full', seed)
    work = Path(work)
    if not can_mount():
        out.add('disk-full cases skipped')
        out.note('skipped: mounting a tmpfs needs root')
        return out.done()
    root = work / 'zoo'
    big = build_archive(root, 'big_model', size=6 * MiB, seed=8)
    big_info = archive_info(big)
    # Known size, from the catalog, through the real module: refused before any request.
    with ZooServer(str(root)) as server, mounted_tmpfs(work / 'mnt1') as mnt:
        dest = mnt / 'pre_trained'
        rc, result, text = run_module(dict(name=KNOWN_SIZE_MODEL, dest=str(dest), mirrors=[server.url]))
        msg = result.get('msg', '')
        match = _NEEDS.search(msg)
        out.check(rc != 0 and match and match.group(1) == '93' and KNOWN_SIZE_MODEL in msg and str(dest) in msg,
                  'known size (catalog): message %r' % (msg or text[-400:]))
        out.check(server.request_count() == 0, 'known size (catalog): %d requests were made' % server.request_count())
        out.check('Traceback' not in text, 'known size (catalog): traceback')
        out.check(leftovers(dest) == [] and not (dest / KNOWN_SIZE_MODEL).exists(), 'known size (catalog): leftovers')
        out.note('catalog size: %s; %d requests' % (msg, server.request_count()))
        if match:
            out.add('disk full refused before downloading')
        # Known size from Content-Length: refused before reading the body.
        server.reset_counters()
        installer = Installer(from_params(dict(url=server.url_for(big.name), dest=str(dest), timeout=5, retries=1)),
                              sleep=quick_sleep)
        try:
            installer.present()
            out.check(False, 'Content-Length larger than the tmpfs: installed')
        except ZooError as e:
            match = _NEEDS.search(str(e))
            out.check(match is not None and match.group(1) == str(-(-big_info['size'] // 1000000)),
                      'Content-Length: message %r' % str(e))
            out.check(installer.bytes_downloaded == 0,
                      'Content-Length: %d body bytes were read before refusing' % installer.bytes_downloaded)
            out.check(leftovers(dest) == [] and not (dest / 'big_model').exists(), 'Content-Length: leftovers')
            out.note('Content-Length: %s; body bytes read 0, bytes the server pushed into the socket %d'
                     % (e, server.bytes_served[big.name]))
            if match:
                out.add('disk full refused before downloading')
    # Unknown size (chunked, no Content-Length): fails while extracting, cleanly.
    with ChunkedServer(root) as chunked, mounted_tmpfs(work / 'mnt2') as mnt:
        dest = mnt / 'pre_trained'
        baseline = None
        dest.mkdir()
        baseline = free_bytes(mnt)
        try:
            Installer(from_params(dict(url=chunked.url_for(big.name), dest=str(dest), timeout=5, retries=1)),
                      sleep=quick_sleep).present()
            out.check(False, 'unknown size: a 6 MiB model was installed on a 4 MiB tmpfs')
        except ZooError as e:
            msg = str(e)
            out.check('big_model' in msg and ('disk full' in msg or 'MB free' in msg),
                      'unknown size: unclear message %r' % msg)
            out.note('unknown size (chunked): %s' % msg)
        out.check(leftovers(dest) == [], 'unknown size: staging leftovers %s' % leftovers(dest))
        out.check(not (dest / 'big_model').exists(), 'unknown size: a model folder was left')
        freed = free_bytes(mnt)
        out.check(freed >= baseline - 64 * 1024, 'unknown size: %d bytes not given back' % (baseline - freed))
        if not leftovers(dest) and not (dest / 'big_model').exists():
            out.add('disk full cleaned up (size unknown)')
    return out.done()


# ================================================================ 7. students' files

def _plant_student_files(ws, rng, model):
    files = {
        'images/faces_cubes/train/img_0001.jpg': rng.randbytes(150 * 1024),
        'images/faces_cubes/train/img_0001.xml': b'<annotation><object><name>one</name></object></annotation>\n',
        'images/faces_cubes/test/img_0100.jpg': rng.randbytes(90 * 1024),
        'images/faces_cubes/test/img_0100.xml': b'<annotation><object><name>two</name></object></annotation>\n',
        'training/faces_cubes/train.record': rng.randbytes(300 * 1024),
        'training/faces_cubes/test.record': rng.randbytes(80 * 1024),
        'training/faces_cubes/%s/ckpt-3.index' % model: rng.randbytes(4096),
        'training/faces_cubes/%s/ckpt-3.data-00000-of-00001' % model: rng.randbytes(500 * 1024),
        'training/faces_cubes/%s/notes.md' % model: b'# my run\nloss went down\n',
        'pre_trained/README-student.txt': b'do not delete\n',
    }
    for rel, data in files.items():
        path = ws / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    # A student's own edit of the pipeline.config the role wrote (kept: workstation_enforce_pipeline is false).
    config = ws / 'training' / 'faces_cubes' / model / 'pipeline.config'
    config.write_bytes(config.read_bytes() + b'# batch_size lowered by the student for the Pi\n')
    return sorted(files) + [str(config.relative_to(ws))]


def _model_results(tasks):
    return [r for name, res in tasks if name.endswith('Install the pre-trained models')
            for r in res.get('results', [])]


def student_data(work, seed, quick=False):
    """Forced reinstall and reprovision (full verify, after damage) keep every student file byte-identical."""
    out = Outcome('student data', seed)
    rng = random.Random(seed + 7)
    work = Path(work)
    root = work / 'zoo'
    info = archive_info(build_archive(root, PC_MODEL, size=MiB, seed=9))
    ws = work / 'tod_tf2'
    with ZooServer(str(root)) as server:
        extra = {'workstation_root': str(ws), 'workstation_mirrors': [server.url]}
        rc, tasks, text = run_playbook(REPO / 'playbooks' / 'provision.yml', extra)
        if not out.check(rc == 0, 'first provisioning failed: %s' % text[-1500:]):
            return out.done()
        planted = _plant_student_files(ws, rng, PC_MODEL)
        model = ws / 'pre_trained' / PC_MODEL
        skip = {str(model)}
        before = files_state(ws, skip)
        steps = [('forced reinstall', 'provision.yml', {'workstation_force': True}),
                 ('reprovision after damage', 'reprovision.yml', {})]
        for step, playbook, more in steps[:1] if quick else steps:
            if step.startswith('reprovision'):
                victim = model / 'checkpoint' / 'ckpt-0.index'
                victim.write_bytes(b'\0' * victim.stat().st_size)  # same size: only a full check sees it
            server.reset_counters()
            rc, tasks, text = run_playbook(REPO / 'playbooks' / playbook, dict(extra, **more))
            if not out.check(rc == 0, '%s failed: %s' % (step, text[-1500:])):
                continue
            results = _model_results(tasks)
            actions = [r.get('action') for r in results]
            out.check(actions in (['installed'], ['repaired']) and server.request_count() >= 1,
                      '%s: the model was not reinstalled (actions %s, %d requests)'
                      % (step, actions, server.request_count()))
            out.note('%s: model %s, %d requests' % (step, actions, server.request_count()))
            out.add('installs attempted')
            if out.check(not verify(model, info['sha256']), '%s: model not verified after' % step):
                out.add('installs verified')
            after = files_state(ws, skip)
            changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
            student_changed = [p for p in changed if p in planted]
            out.add('student files changed', len(student_changed))
            out.check(not student_changed, '%s: student files changed: %s' % (step, student_changed))
            out.note('%s: %d files outside the model folder differ (%s)' % (step, len(changed), changed[:5]))
        out.figures['student files checked'] = len(planted)
        out.figures.setdefault('student files changed', 0)
    return out.done()


# ================================================================ the whole suite

SCENARIOS = (
    ('network', network_faults),
    ('kills', killed_runs),
    ('hostile', hostile_archives),
    ('parameters', bad_parameters),
    ('concurrency', concurrency),
    ('disk', disk_full),
    ('students', student_data),
)
