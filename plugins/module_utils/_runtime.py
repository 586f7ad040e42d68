# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Raspberry Pi's TFLite runtime, in a venv of the student's workspace (part of labfleet.zoo.workspace): the
package of its userland's _lab.PI_RUNTIME_WHEELS line, from PyPI or the index the inventory names, checked against
the hashes pinned for its platform when there are some, then imported once.

Invariants:
- Root writes nothing here. Every command that writes (``python3 -m venv``, ``pip install``, the import check that
  writes the marker) runs as the student, with the student's groups, a clean environment (no PIP_* setting, no
  pip configuration file, no user site) and ``/`` as its working folder: what it can do to the tree is what the
  student can do anyway. Root only looks: the venv folder by descriptor below the workspace root (a link there is
  refused, never followed) and the marker, read with a size bound.
- A rerun with the same runtime, wheels and Python reads the marker and runs nothing (no pip, no network).
- Check mode runs nothing and says what a real run would do.
- Every command has one deadline for the whole install (pip's own timeout is per read); on expiry its process
  group is killed and the part fails with a message.
- With pinned wheels pip runs with ``--require-hashes --no-deps`` on exactly the pinned files: a mirror that sends
  other bytes fails the install, naming the wheel.
- Only a Python that has a runtime line runs this (3.9 or newer: ``subprocess``'s user, group, extra_groups, umask).
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import sys
import time

from ansible_collections.labfleet.zoo.plugins.module_utils import _fs, _lab, _process, _wheelhouse
from ansible_collections.labfleet.zoo.plugins.module_utils import _vocabulary as words
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError

DEADLINE = 1800            # seconds for the whole install (venv, pip, import check); ~1.5 min on an emulated Pi
MARKER_LIMIT = 64 * 1024   # bytes: a bigger marker is not one this module's check wrote
OUTPUT_TAIL = 1500         # characters of a failed command's output quoted in the message

# Run by the venv's Python as the student: write the requirement lines (with their hashes, which pip takes from a
# file only) from stdin into the venv, then run pip on them.
PIP = r'''
import runpy, sys
with open(sys.argv[1], 'w') as out:
    out.write(sys.stdin.read())
sys.argv = ['pip'] + sys.argv[2:] + ['-r', sys.argv[1]]
runpy.run_module('pip', run_name='__main__', alter_sys=True)
'''
REQUIREMENTS = 'labfleet-zoo-requirements.txt'     # in the venv: what pip was last asked to install

# Run by the venv's Python as the student: import the runtime's Interpreter and numpy, then record what was
# installed and checked in the marker (atomically: a killed check leaves the old marker or none).
CHECK = r'''
import importlib, json, os, sys
from importlib import metadata
module, package, marker = sys.argv[1:4]
record = json.loads(sys.stdin.read())
importlib.import_module(module).Interpreter
import numpy
record.update(version=metadata.version(package), numpy=numpy.__version__, imports=True)
with open(marker + '.tmp', 'w') as out:
    json.dump(record, out, indent=4, sort_keys=True)
os.replace(marker + '.tmp', marker)
print(json.dumps(record))
'''


class Runtime(object):
    """The runtime part of one workspace run: ``converge()`` -> result dict (``action`` in words)."""

    def __init__(self, line, python, glibc, account, root, root_fd, index, pins=None, timeout=30, retries=5,
                 check_mode=False, python_exe=None):
        self.line, self.account, self.root, self.root_fd = line, account, root, root_fd
        self.python_exe = python_exe or sys.executable     # the venv's base: the Python that runs the module
        self.check_mode, self.timeout, self.retries = check_mode, timeout, retries
        self.platform = _lab.wheel_platform(line['machine'], python, glibc)
        self.index = index
        self.venv = os.path.join(root, _lab.PI_VENV)
        requirements, self.no_deps = _lab.pi_runtime_requirements(line)
        if pins and self.platform not in pins:
            raise ZooError('the lab\'s wheelhouse (workstation_pi_wheels) has wheels for %s, not for this Pi\'s '
                           'platform %s: add %s to mirror_pi_platforms and run the mirror again; %s' % (
                               ', '.join(sorted(pins)), self.platform, self.platform, _lab.NO_RUNTIME))
        platform_pins = (pins or {}).get(self.platform) or {}
        try:
            self.pinned = _wheelhouse.pinned_lines(platform_pins)
        except ValueError as e:
            raise ZooError('%s (platform %s)' % (e, self.platform))
        if self.pinned:
            self.no_deps = True
            names = [req.split('==')[0] for req in self.pinned]
            if _lab.canonical_name(line['package']) not in names:
                raise ZooError('workstation_pi_wheels pins wheels for %s but not %s itself: pin its whole set of '
                               'wheels, or none' % (self.platform, line['package']))
        self.requirements = self.pinned or requirements
        self.system_numpy = line['numpy'] == 'system'
        # The platform names the Python x.y too: a new Python minor version makes the venv again.
        self.wanted = dict(package=line['package'], wanted_version=line['version'], platform=self.platform,
                           system_site_packages=self.system_numpy, requirements=self.requirements)
        self.deadline = None
        self.python_there = False      # the venv has its bin/python (seen by descriptor, not followed)

    # ------------------------------------------------------------------ what is there

    def observed(self):
        """(state, marker record or None): state is 'absent', 'venv' (a venv without our marker, or another's)
        or 'marker'; anything that is not a plain folder fails, untouched."""
        if self.root_fd is None:
            return 'absent', None
        st = _fs.lstat(self.root_fd, _lab.PI_VENV)
        if st is None:
            return 'absent', None
        if not stat.S_ISDIR(st.st_mode):
            raise ZooError('%s is %s, not the runtime venv: it is neither followed nor replaced; move it away and '
                           'run again' % (self.venv, _fs.kind(st)))
        try:
            fd = _fs.open_dir(self.root_fd, _lab.PI_VENV)
        except OSError as e:
            raise ZooError('cannot open %s: %s' % (self.venv, _fs.os_error(e)))
        try:
            if st.st_uid != self.account.pw_uid:
                raise ZooError('%s belongs to uid %d, not to %s: it is not used; move it away and run again'
                               % (self.venv, st.st_uid, self.account.pw_name))
            data = _fs.read_file(fd, _lab.PI_VENV_MARKER, MARKER_LIMIT)
            self.python_there = _python_in(fd)
            if _fs.lstat(fd, 'pyvenv.cfg') is None:
                if os.listdir(fd):
                    raise ZooError('%s is a folder but not a venv (no pyvenv.cfg): it is left as it is; move it '
                                   'away and run again' % self.venv)
                return 'absent', None
        finally:
            os.close(fd)
        try:
            record = json.loads(data.decode('utf-8')) if data is not None else None
        except ValueError:
            record = None
        return ('marker' if isinstance(record, dict) else 'venv'), (record if isinstance(record, dict) else None)

    def current(self, record):
        return bool(record) and record.get('imports') is True and all(
            record.get(key) == value for key, value in self.wanted.items())

    # ------------------------------------------------------------------ the part

    def converge(self):
        state, record = self.observed()
        result = dict(package=self.line['package'], version=self.line['version'], venv=self.venv,
                      platform=self.platform, index=self.index, pinned=len(self.pinned))
        if state == 'marker' and self.current(record) and self.python_there:
            return dict(result, action=words.UNCHANGED, changed=False, imports=True,
                        numpy=str(record.get('numpy', ''))[:40])
        action = words.INSTALLED if state == 'absent' else words.UPDATED
        before = 'absent' if state == 'absent' else _fs.text('%s %s' % (      # the student's marker: cut
            (record or {}).get('package', 'a venv'), (record or {}).get('version', 'without the labfleet.zoo marker')))
        diff = dict(before='%s: %s\n' % (self.venv, before),
                    after='%s: %s %s\n' % (self.venv, self.line['package'], self.line['version']),
                    before_header=self.venv, after_header=self.venv)
        if self.check_mode:
            return dict(result, action=action, changed=True, imports=None, numpy='', diff=diff)
        if self.system_numpy and importlib.util.find_spec('numpy') is None:
            raise ZooError('%s on this %d-bit userland needs the distribution\'s numpy (PyPI has no wheel of it for '
                           '32-bit ARM): install the package python3-numpy (sudo apt install python3-numpy) and run '
                           'again; %s' % (self.line['package'], self.line['bits'], _lab.NO_RUNTIME))
        self.deadline = time.monotonic() + DEADLINE
        python = os.path.join(self.venv, 'bin', 'python')
        if state == 'absent' or not self.python_there:
            self.run('make the venv', [self.python_exe, '-m', 'venv'] + (
                ['--system-site-packages'] if self.system_numpy else []) + [self.venv])
        self.run('install %s %s from %s' % (self.line['package'], self.line['version'], self.index),
                 self.pip_command(python), stdin='\n'.join(self.requirements) + '\n')
        marker = os.path.join(self.venv, _lab.PI_VENV_MARKER)
        checked_at = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
        out = self.run('import %s' % self.line['module'],
                       [python, '-c', CHECK, self.line['module'], self.line['package'], marker],
                       stdin=json.dumps(dict(self.wanted, checked_at=checked_at)))
        try:
            checked = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise ZooError('the import check of %s printed no record: %s' % (self.venv, _fs.text(out)))
        return dict(result, action=action, changed=True, imports=True, numpy=str(checked.get('numpy', ''))[:40],
                    installed_version=str(checked.get('version', ''))[:40], diff=diff)

    def pip_command(self, python):
        cmd = [python, '-c', PIP, os.path.join(self.venv, REQUIREMENTS), 'install', '--no-input',
               '--disable-pip-version-check', '--no-cache-dir', '--only-binary=:all:', '--index-url', self.index]
        cmd += ['--timeout', str(self.timeout), '--retries', str(self.retries)]
        if self.pinned:
            cmd.append('--require-hashes')
        if self.no_deps:
            cmd.append('--no-deps')
        return cmd

    def run(self, doing, cmd, stdin=''):
        """``cmd``'s standard output, run as the student before the deadline; ZooError with its output's tail."""
        account = self.account
        env = dict(PATH='/usr/local/bin:/usr/bin:/bin', HOME=account.pw_dir, USER=account.pw_name,
                   LOGNAME=account.pw_name, LANG='C.UTF-8', PIP_CONFIG_FILE=os.devnull, PYTHONNOUSERSITE='1',
                   PIP_NO_INPUT='1', PIP_DISABLE_PIP_VERSION_CHECK='1')
        kwargs = {}
        if os.geteuid() != account.pw_uid:
            if os.geteuid() != 0:
                raise ZooError('the runtime venv must be made by %s: run the play as that account or with become'
                               % account.pw_name)
            kwargs = dict(user=account.pw_uid, group=account.pw_gid,
                          extra_groups=os.getgrouplist(account.pw_name, account.pw_gid))
        try:
            status, text = _process.run(cmd, env, self.deadline - time.monotonic(), stdin=stdin, umask=0o022,
                                        **kwargs)
        except OSError as e:
            raise ZooError('cannot %s in %s: %s' % (doing, self.venv, _fs.os_error(e)))
        except _process.Expired:
            raise ZooError('%s in %s took more than %d s: stopped; run again (the install resumes) or check the '
                           'index' % (doing, self.venv, DEADLINE))
        if status != 0:
            raise ZooError('cannot %s in %s (as %s, exit status %d): %s' % (
                doing, self.venv, account.pw_name, status, text[-OUTPUT_TAIL:].strip()))
        return text


def _python_in(venv_fd):
    try:
        bin_fd = _fs.open_dir(venv_fd, 'bin')
    except OSError:
        return False
    try:
        return _fs.lstat(bin_fd, 'python') is not None
    finally:
        os.close(bin_fd)
