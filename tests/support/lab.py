"""A hostile lab on one machine: a real unprivileged student owning ``~/tod_tf2``, root running the module there.

``HostileLab`` makes, under a fresh folder every user can traverse::

    home/            the student's home (owned by the student)
      tod_tf2/pre_trained/     dest (owned by the student)
      tod_tf2/training/notes.txt   the student's own work (must never change)
    outside/         root's files beside it: what an attack would reach (must never change, ownership included)
      victim.txt (0644), shared.txt (0666: the student may hard-link it), dir/ (0755)

The student acts for real, as its own Unix user (``as_student``: a shell command run with its uid), and the
module runs as root through ``ansible localhost -m ...`` (``run``) or in-process (``install``, ``installer``).
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ansible_collections.labfleet.zoo.tests.support import runner
from ansible_collections.labfleet.zoo.tests.support.repo import PC_MODEL, python_env
from ansible_collections.labfleet.zoo.tests.support.trees import snapshot

STUDENT = 'lfz-student'
KEY = 'lfz_model'   # an archive outside the catalog (url installs)
PC = PC_MODEL       # a catalog model (its top_dir is known): the workstation role's default PC model


def quick_sleep(seconds):
    """The back-off wait, shortened; the faults themselves are real."""
    time.sleep(min(seconds, 0.05))


def ensure_student(name=STUDENT):
    """The machine-wide test student (created once, no home, no login): (uid, gid)."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(['useradd', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', name],
                       check=True, capture_output=True)
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def run(args, module='labfleet.zoo.model', check=False, diff=False, verbosity=0, timeout=300):
    """The real module, as this process's user (root in CI), through the ansible CLI (a ``runner.Run``)."""
    return runner.adhoc(args, module=module, check=check, diff=diff, verbosity=verbosity, timeout=timeout)


def installer(params, sleep=quick_sleep):
    """The real Installer for module-style task ``params``: ``owner``, ``group`` and ``mode`` become its attributes,
    ``state`` is left to the caller."""
    from ansible_collections.labfleet.zoo.plugins.module_utils._fs import attrs_from
    from ansible_collections.labfleet.zoo.plugins.module_utils._install import Installer
    from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params

    task = dict(params)
    attrs = attrs_from(task.pop('owner', None), task.pop('group', None), task.pop('mode', None))
    return Installer(from_params(task), attrs=attrs, sleep=sleep)


class HostileLab(object):
    """See the module docstring. ``model(key)`` is the model folder path; ``work`` is dest/.labfleet-zoo."""

    def __init__(self):
        self.uid, self.gid = ensure_student()
        self.user = pwd.getpwuid(self.uid).pw_name
        self.group = grp.getgrgid(self.gid).gr_name
        self.root = Path(tempfile.mkdtemp(prefix='lfz-hostile-'))
        os.chmod(str(self.root), 0o755)
        self.home = self.root / 'home'
        self.dest = self.home / 'tod_tf2' / 'pre_trained'
        self.work = self.dest / '.labfleet-zoo'
        self.outside = self.root / 'outside'
        (self.outside / 'dir').mkdir(parents=True)
        (self.outside / 'victim.txt').write_text('root owns me\n')
        (self.outside / 'shared.txt').write_text('anyone may write me\n')
        os.chmod(str(self.outside / 'shared.txt'), 0o666)
        self.dest.mkdir(parents=True)
        (self.home / 'tod_tf2' / 'training').mkdir()
        (self.home / 'tod_tf2' / 'training' / 'notes.txt').write_text('my work\n')
        for dirpath, dirnames, filenames in os.walk(str(self.home)):
            for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
                os.lchown(name, self.uid, self.gid)
        self._outside = snapshot(self.outside)
        self._training = snapshot(self.home / 'tod_tf2' / 'training')

    def model(self, key):
        return self.dest / key

    def as_student(self, script):
        """Run a shell script as the student (cwd: dest); fails the test if the student's command fails."""
        proc = subprocess.run(['/bin/sh', '-ec', script], cwd=str(self.dest), user=self.uid, group=self.gid,
                              extra_groups=[], capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, 'the student could not run %r: %s' % (script, proc.stderr)
        return proc.stdout

    def remember_outside(self):
        """Take the outside tree as it is now as the reference (after the test itself prepared it)."""
        self._outside = snapshot(self.outside)

    def changes_outside(self):
        """What changed outside dest: the outside tree and the student's own work (empty when nothing)."""
        found = []
        for label, root, before in (('outside', self.outside, self._outside),
                                    ('training', self.home / 'tod_tf2' / 'training', self._training)):
            after = snapshot(root)
            for rel in sorted(set(before) | set(after)):
                if before.get(rel) != after.get(rel):
                    found.append('%s/%s: %s -> %s' % (label, rel, before.get(rel), after.get(rel)))
        return found

    def params(self, **kw):
        """Task parameters for the model module on dest, owned by the student."""
        out = dict(dest=str(self.dest), owner=self.user, group=self.group, timeout=5, retries=1)
        out.update(kw)
        return out

    def install(self, url, **params):
        """The Installer in this (root) process, the student as owner; returns its result (raises ZooError)."""
        task = self.params(url=url, **params)
        state = task.pop('state', 'present')
        one = installer(task)
        return one.present() if state == 'present' else one.absent()

    def close(self):
        subprocess.run(['rm', '-rf', '--one-file-system', str(self.root)], check=False)  # deep trees too


def install_measured(params, timeout=300):
    """The Installer in a fresh child process (as this user): (result or {'error': msg}, peak RSS in MiB)."""
    code = '''
import json, sys
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._install import Installer
from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params
try:
    out = Installer(from_params(json.loads(sys.argv[1])), sleep=lambda s: None).present()
except ZooError as e:
    out = {'error': str(e)}
# VmHWM: this process's own peak (ru_maxrss would include the parent's, inherited at fork)
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]
out['peak_mib'] = int(hwm.split()[1]) / 1024.0
print(json.dumps(out))
'''
    proc = subprocess.run([sys.executable, '-c', code, json.dumps(params)], env=python_env(), capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    return out, out.pop('peak_mib')
