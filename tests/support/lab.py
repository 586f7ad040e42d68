"""A hostile lab on one machine: a real unprivileged student owning ``~/tod_tf2``, root running the module there.

``HostileLab`` makes, under a fresh folder every user can traverse::

    home/            the student's home (owned by the student)
      tod_tf2/pre_trained/     dest (owned by the student)
      tod_tf2/training/notes.txt   the student's own work (must never change)
    outside/         root's files beside it: what an attack would reach (must never change, ownership included)
      victim.txt (0644), shared.txt (0666: the student may hard-link it), dir/ (0755)

The student acts for real, as its own Unix user (``as_student``: a shell command run with its uid), and the
module runs as root through ``ansible localhost -m ...`` (``run``) or in-process (``installer``).
"""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STUDENT = 'lfz-student'
KEY = 'lfz_model'                                   # an archive outside the catalog (url installs)
PC = 'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8'  # a catalog model (its top_dir is known)


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


def snapshot(root):
    """{relpath: (type, mode, uid, gid, size, sha256 or link target)} of every entry under ``root``, root included."""
    out = {}
    root = str(root)
    stack = ['']
    while stack:
        rel = stack.pop()
        path = os.path.join(root, rel) if rel else root
        st = os.lstat(path)
        detail = None
        if stat.S_ISREG(st.st_mode):
            with open(path, 'rb') as fh:
                detail = hashlib.sha256(fh.read()).hexdigest()
        elif stat.S_ISLNK(st.st_mode):
            detail = os.readlink(path)
        elif stat.S_ISDIR(st.st_mode):
            stack.extend(os.path.join(rel, name) if rel else name for name in os.listdir(path))
        out[rel] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_size, detail)
    return out


def ansible_env(**extra):
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_STDOUT_CALLBACK='test_json',
               ANSIBLE_CALLBACK_PLUGINS=str(REPO / 'tests' / 'callback_plugins'),
               ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_DEPRECATION_WARNINGS='0')
    env.update(extra)
    return env


class Run(object):
    """One ``ansible localhost -m MODULE`` run: rc, the task's result, the whole output."""

    def __init__(self, proc):
        self.rc = proc.returncode
        self.text = proc.stdout + proc.stderr
        out = proc.stdout
        start = out.find('\n{\n') + 1 if not out.startswith('{') else 0  # -vvv lines come before the JSON
        try:
            self.result = json.loads(out[start:])['plays'][0]['tasks'][0]['hosts']['localhost']
        except (ValueError, KeyError, IndexError):
            self.result = {}

    @property
    def failed(self):
        return bool(self.result.get('failed')) or self.rc != 0

    @property
    def msg(self):
        return self.result.get('msg', '')

    def __repr__(self):
        return '<Run rc=%s result=%s\n%s>' % (self.rc, json.dumps(self.result, indent=1)[:3000], self.text[-3000:])


def run(args, module='labfleet.zoo.model', check=False, diff=False, verbosity=0, timeout=300):
    """The real module, as this process's user (root in CI), through the ansible CLI."""
    cmd = [str(BIN / 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local',
           '-e', 'ansible_python_interpreter=' + sys.executable, '-m', module, '-a', json.dumps(args)]
    cmd += ['--check'] if check else []
    cmd += ['--diff'] if diff else []
    cmd += ['-' + 'v' * verbosity] if verbosity else []
    proc = subprocess.run(cmd, cwd=str(REPO), env=ansible_env(), capture_output=True, text=True, timeout=timeout,
                          check=False)
    return Run(proc)


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
        from ansible_collections.labfleet.zoo.plugins.module_utils._fs import attrs_from
        from ansible_collections.labfleet.zoo.plugins.module_utils._install import Installer
        from ansible_collections.labfleet.zoo.plugins.module_utils._spec import from_params

        task = self.params(url=url, **params)
        attrs = attrs_from(task.pop('owner'), task.pop('group'), task.pop('mode', None))
        state = task.pop('state', 'present')
        installer = Installer(from_params(task), attrs=attrs, sleep=quick_sleep)
        return installer.present() if state == 'present' else installer.absent()

    def close(self):
        subprocess.run(['rm', '-rf', '--one-file-system', str(self.root)], check=False)  # deep trees too


def killed_at(url, dest, trigger, params=None, timeout=120):
    """Run the real Installer in a child (tests/support/kill_child.py) frozen just before ``trigger``
    (``EVENT|NEEDLE|N``, see there), then SIGKILL it. Returns where it was frozen (a dict)."""
    cmd = [sys.executable, str(REPO / 'tests' / 'support' / 'kill_child.py'), str(REPO), url, str(dest), trigger,
           json.dumps(params or {})]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    where = None
    try:
        deadline = time.monotonic() + timeout
        for line in proc.stdout:
            if line.startswith(b'{"paused"'):
                where = json.loads(line)
                break
            if time.monotonic() > deadline:
                break
        if where is None:
            raise AssertionError('the child never reached %s: %s' % (trigger, proc.stderr.read()[-2000:]))
        os.kill(proc.pid, 9)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, 9)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    return where


def install_measured(params, timeout=300):
    """The Installer in a fresh child process (as this user): (result or {'error': msg}, peak RSS in MiB)."""
    code = '''
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._install import Installer
from ansible_collections.labfleet.zoo.plugins.module_utils._spec import from_params
try:
    out = Installer(from_params(json.loads(sys.argv[2])), sleep=lambda s: None).present()
except ZooError as e:
    out = {'error': str(e)}
# VmHWM: this process's own peak (ru_maxrss would include the parent's, inherited at fork)
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]
out['peak_mib'] = int(hwm.split()[1]) / 1024.0
print(json.dumps(out))
'''
    proc = subprocess.run([sys.executable, '-c', code, str(REPO / 'collections'), json.dumps(params)],
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    return out, out.pop('peak_mib')
