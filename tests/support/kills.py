"""Killed runs, for real: the Installer in a child (kill_child.py), frozen just before one chosen event, then
SIGKILLed. The moment is chosen precisely; the kill is real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from ansible_collections.labfleet.zoo.tests.support.repo import KILL_CHILD, python_env


def spawn(url, dest, trigger='none', params=None, stderr=subprocess.DEVNULL):
    """The child, started: it prints ``go`` when ready, then freezes before ``trigger`` (see kill_child.py)."""
    cmd = [sys.executable, '-m', KILL_CHILD, url, str(dest), trigger] + ([json.dumps(params)] if params else [])
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, env=python_env())


def reap(proc, sig=None):
    """Send ``sig`` (if any), wait for the child and return its status as Popen does (-N for a signal)."""
    if sig is not None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
    try:
        status = os.waitpid(proc.pid, 0)[1]
    except ChildProcessError:
        status = 0
    proc.returncode = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    proc.stdout.close()
    return proc.returncode


def killed_at(url, dest, trigger, params=None, timeout=120):
    """Run the real Installer in a child frozen just before ``trigger`` (``EVENT|NEEDLE|N``), then SIGKILL it.
    Returns where it was frozen (a dict)."""
    proc = spawn(url, dest, trigger, params or {}, stderr=subprocess.PIPE)
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
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    return where
