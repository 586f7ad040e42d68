"""Snapshots of folders, to prove what a run changed and what it did not, and the module's work folder.

One walk (iterative: no recursion over attacker-shaped trees, symlinks never followed) and the views the tests
compare: ``snapshot`` (owners and modes too, the hostile lab), ``snapshot_below`` (everything but one subtree, the
unpack tests), ``files_state`` (files only, the students' data), ``workspace`` (bytes and mtimes, the fleet).
And a real full disk: ``mounted_tmpfs``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

from ansible_collections.labfleet.zoo.plugins.module_utils._install import WORK


def digest(path):
    """sha256 hex digest of the file at ``path``."""
    sha = hashlib.sha256()
    with open(path, 'rb') as fh:
        for block in iter(lambda: fh.read(1 << 20), b''):
            sha.update(block)
    return sha.hexdigest()


def walk(root, prune=None):
    """(relative path, path, lstat) of every entry below ``root``; a folder for which ``prune(path)`` is true is
    left out with everything below it."""
    root = str(root)
    stack = [root]
    while stack:
        folder = stack.pop()
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            st = os.lstat(path)
            if stat.S_ISDIR(st.st_mode):
                if prune is not None and prune(path):
                    continue
                stack.append(path)
            yield os.path.relpath(path, root), path, st


def snapshot(root):
    """{relpath: (type, mode, uid, gid, size, sha256 or link target)} of every entry under ``root``, root included
    (as '')."""
    out = {}
    entries = [('', str(root), os.lstat(str(root)))] + list(walk(root))
    for rel, path, st in entries:
        detail = None
        if stat.S_ISREG(st.st_mode):
            detail = digest(path)
        elif stat.S_ISLNK(st.st_mode):
            detail = os.readlink(path)
        out[rel] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_size, detail)
    return out


def snapshot_below(root, exclude):
    """{relpath: (mode, size, sha256 of a regular file)} of every entry under ``root`` except ``exclude`` and what is
    below it."""
    exclude = os.path.realpath(str(exclude))
    return dict((rel, (st.st_mode, st.st_size, digest(path) if stat.S_ISREG(st.st_mode) else None))
                for rel, path, st in walk(root, lambda path: os.path.realpath(path) == exclude))


def files_state(root, skip=()):
    """{relpath: (mode, sha256)} of every non-folder entry below ``root`` (symlinks and specials with no digest),
    folders in ``skip`` left out."""
    skip = set(str(p) for p in skip)
    return dict((rel, (st.st_mode, digest(path) if stat.S_ISREG(st.st_mode) else None))
                for rel, path, st in walk(root, lambda path: path in skip) if not stat.S_ISDIR(st.st_mode))


def workspace(root):
    """{relpath: (kind, size, mtime_ns, bytes or None)} below ``root`` (a host's workspace); {} when it is missing."""
    out = {}
    if not os.path.exists(str(root)):
        return out
    for rel, path, st in walk(root):
        if stat.S_ISDIR(st.st_mode):
            out[rel] = ('dir', 0, st.st_mtime_ns, None)
        else:
            with open(path, 'rb') as handle:
                out[rel] = ('file', st.st_size, st.st_mtime_ns, handle.read())
    return out


def work_entries(dest):
    """The entries of ``<dest>/.labfleet-zoo`` (the module's work folder), lock files aside, sorted."""
    work = Path(dest) / WORK
    return sorted(e for e in os.listdir(str(work)) if not e.endswith('.lock')) if work.is_dir() else []


def leftovers(dest):
    """Staging/old entries (a killed or failed run's debris) in ``<dest>/.labfleet-zoo``."""
    return [e for e in work_entries(dest) if '.staging.' in e or '.old.' in e]


# ---------------------------------------------------------------- a real full disk

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
