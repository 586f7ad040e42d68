"""The Pi runtime part (module_utils/_runtime.py) as root on a workspace the student owns, natively: this machine
plays a 64-bit Pi (the same runtime package, x86_64 wheels of it from the real PyPI, cached once and served on
127.0.0.1 by support/wheels.py). What root does: it only looks; the venv, its packages and its marker are made by
the student's own processes; a link or someone else's folder where the venv goes is refused, untouched; a mirror
that sends other bytes than the pinned ones installs nothing; a stalled index ends at the deadline with a message
and leaves no process behind; a rerun runs nothing. The same part on real ARM userlands: tests/pis.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import time

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _fs, _lab, _runtime
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.tests.support.wheels import NATIVE, NATIVE_LINE, served_wheels

pytestmark = pytest.mark.slow

PYTHON = '/usr/bin/python3'     # the venv's base: one every account can run (this venv's may sit below /root)
VERSION = subprocess.run([PYTHON, '-c', 'import platform; print(platform.python_version())'], capture_output=True,
                         text=True, check=True).stdout.strip()
GLIBC = os.confstr('CS_GNU_LIBC_VERSION').split()[-1]
PLATFORM = _lab.wheel_platform(NATIVE_LINE['machine'], VERSION, GLIBC)


@pytest.fixture(scope='module')
def index():
    with served_wheels([NATIVE]) as server:
        yield server


@pytest.fixture
def wheels(index):
    index.reset_counters()
    index.tampered.clear()
    index.stalled.clear()
    yield index
    index.stalled.clear()


def pins(index):
    return {PLATFORM: dict((name, {'sha256': digest}) for name, digest in index.files.items())}


def runtime(lab, index, check_mode=False, pinned=True, timeout=5, retries=0):
    account = pwd.getpwnam(lab.user)
    root = lab.home / 'tod_tf2'
    fd = _fs.open_dest(str(root))
    try:
        return _runtime.Runtime(NATIVE_LINE, VERSION, GLIBC, account, str(root), fd, index.url,
                                pins(index) if pinned else {}, timeout=timeout, retries=retries, check_mode=check_mode,
                                python_exe=PYTHON).converge()
    finally:
        os.close(fd)


def venv(lab):
    return lab.home / 'tod_tf2' / _lab.PI_VENV


def student_processes(uid):
    return [pid for pid in os.listdir('/proc') if pid.isdigit() and _owner(pid) == uid]


def _owner(pid):
    try:
        return os.stat('/proc/%s' % pid).st_uid
    except OSError:
        return None


def test_check_mode_then_the_student_makes_the_venv_then_a_rerun_runs_nothing(lab, wheels):
    check = runtime(lab, wheels, check_mode=True)
    assert (check['action'], check['changed'], check['imports']) == ('installed', True, None)
    assert not venv(lab).exists() and wheels.request_count() == 0
    first = runtime(lab, wheels)
    assert (first['action'], first['imports'], first['pinned']) == ('installed', True, len(wheels.files)), first
    assert first['installed_version'] == NATIVE_LINE['version']
    # Every file of the venv is the student's: root wrote nothing there.
    for dirpath, dirnames, filenames in os.walk(str(venv(lab))):
        for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
            assert os.lstat(name).st_uid == lab.uid, name
    assert set(wheels.wheel_requests()) == set(wheels.files) and set(wheels.wheel_requests().values()) == {1}
    wheels.reset_counters()
    started = time.monotonic()
    again = runtime(lab, wheels)
    assert (again['action'], again['changed'], again['imports']) == ('unchanged', False, True)
    assert wheels.request_count() == 0 and time.monotonic() - started < 1.0   # the marker, no pip
    assert runtime(lab, wheels, check_mode=True)['action'] == 'unchanged'
    assert lab.changes_outside() == []


def test_a_venv_whose_python_is_gone_is_made_again_by_the_student(lab, wheels):
    runtime(lab, wheels)
    lab.as_student('rm %s/bin/python' % venv(lab))
    again = runtime(lab, wheels)
    assert (again['action'], again['imports']) == ('updated', True)
    assert os.lstat(str(venv(lab) / 'bin' / 'python')).st_uid == lab.uid


def test_a_new_pin_reinstalls_in_the_same_venv(lab, wheels):
    runtime(lab, wheels, pinned=False)
    marker = json.loads((venv(lab) / _lab.PI_VENV_MARKER).read_text())
    assert marker['requirements'] == ['%s==%s' % (NATIVE_LINE['package'], NATIVE_LINE['version'])]
    again = runtime(lab, wheels)      # the lock now pins the wheels: installed again with --require-hashes
    assert again['action'] == 'updated' and again['pinned'] == len(wheels.files)


@pytest.mark.parametrize('plant', ['ln -s {outside}/dir ../.venv-tflite', 'ln -s {outside}/victim.txt ../.venv-tflite',
                                   'mkdir ../.venv-tflite && echo mine > ../.venv-tflite/notes.txt'],
                         ids=['link-to-a-folder', 'link-to-a-file', 'a-folder-that-is-not-a-venv'])
def test_what_the_student_planted_where_the_venv_goes_is_refused_untouched(lab, wheels, plant):
    lab.as_student(plant.format(outside=lab.outside))
    before = os.lstat(str(venv(lab)))
    with pytest.raises(ZooError) as e:
        runtime(lab, wheels)
    assert _lab.PI_VENV in str(e.value) and 'move it away' in str(e.value), e.value
    assert os.lstat(str(venv(lab))).st_ino == before.st_ino and wheels.request_count() == 0
    assert lab.changes_outside() == []
    if not os.path.islink(str(venv(lab))):
        assert (venv(lab) / 'notes.txt').read_text() == 'mine\n'


def test_a_venv_of_another_account_is_not_used(lab, wheels):
    os.mkdir(str(venv(lab)))          # root's, as a wrong manual install would leave it
    with pytest.raises(ZooError, match='belongs to uid 0'):
        runtime(lab, wheels)
    assert os.listdir(str(venv(lab))) == []


def test_a_mirror_that_sends_other_bytes_installs_nothing(lab, wheels):
    victim = next(name for name in sorted(wheels.files) if name.startswith('numpy'))
    wheels.tampered[victim] = b'PK\x03\x04 not the pinned numpy'
    with pytest.raises(ZooError) as e:
        runtime(lab, wheels)
    message = str(e.value)
    assert 'numpy' in message and 'hash' in message.lower(), message
    assert not (venv(lab) / _lab.PI_VENV_MARKER).exists()
    site = list(venv(lab).glob('lib/python3*/site-packages'))
    assert site and not list(site[0].glob('numpy*')), 'a wheel was installed from the tampered set'


def test_a_stalled_index_ends_at_the_deadline_and_leaves_no_process(lab, wheels, monkeypatch):
    monkeypatch.setattr(_runtime, 'DEADLINE', 20)
    wheels.stalled.set()
    started = time.monotonic()
    with pytest.raises(ZooError, match='took more than 20 s'):
        runtime(lab, wheels, timeout=60, retries=5)    # pip's own per-read timeout would retry for longer
    assert time.monotonic() - started < 60
    assert student_processes(lab.uid) == []
