"""Killed runs, for real: the module's code SIGKILLed at >= 10 moments (chosen audit events, random times, a
stalled download); each time the model folder is absent, the old install or the new one, and the next run heals."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
from pathlib import Path

from ansible_collections.labfleet.zoo.plugins.module_utils import _manifest
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._install import WORK, Installer
from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params
from ansible_collections.labfleet.zoo.tests.support.kills import reap, spawn
from ansible_collections.labfleet.zoo.tests.support.reliability.common import MiB, Outcome, leftovers, quick_sleep, verify
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import archive_info, build_archive
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer, stall

KILL_KEY = 'killme'


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
        proc = spawn(new_url, dest)
        proc.stdout.readline()
        t0 = time.monotonic()
        proc.stdout.readline()  # the result: the install is over (interpreter shutdown not counted)
        span = time.monotonic() - t0
        proc.stdout.read()
        out.check(reap(proc) == 0, 'calibration run failed')
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
                proc = spawn(new_url, dest)
                proc.stdout.readline()
                deadline = time.monotonic() + 20
                while new_srv.bytes_served[filename] < at and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.05, 0.5))
                reap(proc, signal.SIGKILL)
            elif trigger == 'time':
                delay = float(what.split('time ')[1].split(' ')[0])
                proc = spawn(new_url, dest)
                proc.stdout.readline()
                time.sleep(delay)
                reap(proc, signal.SIGKILL)
            else:
                proc = spawn(new_url, dest, trigger)
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
                reap(proc, signal.SIGKILL)
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
