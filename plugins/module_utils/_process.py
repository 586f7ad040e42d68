# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way labfleet.zoo runs a command (pip, python -m venv): bounded in time, its output kept in a temporary
file (bounded memory, however much it prints), its whole process group killed when the time runs out.

Invariants: the command gets exactly the environment it is given (nothing inherited), its own session (so that a
kill reaches every process it started, and no terminal), no inherited descriptor; a timeout never leaves a process
of it behind. Popen takes ``user``, ``group``, ``extra_groups`` and ``umask`` from 3.9 on: callers that switch user
run only there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile

KEPT = 64 * 1024     # bytes of the output's end kept for the caller


class Expired(Exception):
    """The command ran out of time; its process group was killed."""


def run(cmd, env, timeout, stdin='', cwd='/', **popen):
    """(exit status, the last KEPT bytes of stdout and stderr as text) of ``cmd``; Expired after ``timeout`` s;
    OSError when it cannot start."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                start_new_session=True, close_fds=True, **popen)
        try:
            proc.communicate(stdin.encode('utf-8'), timeout=max(timeout, 1))
        except subprocess.TimeoutExpired:
            kill(proc)
            raise Expired()
        out.seek(0, os.SEEK_END)
        out.seek(max(0, out.tell() - KEPT))
        return proc.returncode, out.read().decode('utf-8', 'replace')


def kill(proc):
    """Kill ``proc``'s process group and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()
