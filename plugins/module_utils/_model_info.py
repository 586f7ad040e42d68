# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a models folder holds: every install's marker, checked exactly as labfleet.zoo.model checks it.

Invariants:
- Read-only: markers are read and files are stat'ed (``quick``) or hashed (``full``); nothing is written, no lock
  is taken, no network is used.
- The wanted models are judged by labfleet.zoo.model's own observation (``_install.observe_at``), the others are
  found by the one marker scan (``_manifest.scan``), both through dest's descriptor (``_fs.open_dest``: a link
  another user made on the way is not followed); each entry carries the key its marker records.
"""

from __future__ import annotations

import os

from ansible_collections.labfleet.zoo.plugins.module_utils import _fs, _manifest
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._install import observe, observe_at
from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params
from ansible_collections.labfleet.zoo.plugins.module_utils._vocabulary import DAMAGED, INTACT, MISSING


def _entry(name, path, state, wanted, record=None, problems=()):
    record = record or {}
    files = record.get('files') or {}
    return dict(
        name=name, key=record.get('key'), path=path, state=state, wanted=wanted, problems=list(problems)[:10],
        files=len(files), size=sum(size for size, _digest in files.values()),
        sha256=record.get('sha256'), archive_size=record.get('archive_size'), source=record.get('source'),
        installed_at=record.get('installed_at'),
    )


def _from_state(name, state):
    """The entry of a wanted model from labfleet.zoo.model's own observation of it."""
    if state.record is not None:
        return _entry(name, state.path, DAMAGED if state.problems else INTACT, True, state.record, state.problems)
    if state.foreign:
        return _entry(name, state.path, DAMAGED, True, problems=state.problems)
    return _entry(name, state.path, MISSING, True, problems=['not installed'])


def _disk(dest):
    """(free, total) bytes of the filesystem holding ``dest`` (or its nearest existing parent)."""
    path = dest
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize


def _open(dest, names, warnings):
    """dest's descriptor, or None when there is nothing of ours to see: missing, or (listing everything) refused."""
    try:
        return _fs.open_dest(dest)
    except FileNotFoundError:
        return None
    except OSError as e:
        if names:
            raise ZooError('cannot open the models folder %s: %s' % (dest, _fs.os_error(e)))
        warnings.append('the models folder %s is not listed: %s' % (dest, _fs.os_error(e)))
        return None


def inspect(dest, names=(), verify='quick', upstream=None, checksums=None, warnings=None):
    """The models of ``dest``: ``names`` first (in that order, even when missing), then any other install found.

    ``upstream`` (a base URL serving ``<name>.tar.gz``) and ``checksums`` ({name: 'sha256:...'}) are what the
    labfleet.zoo.model tasks were given, so that an install is judged against the same source and digest. What the
    caller should be told (a folder too large to list whole, a refused dest) is appended to ``warnings``.
    """
    warnings = [] if warnings is None else warnings
    if not os.path.isabs(dest):
        raise ZooError('dest must be an absolute path (or start with ~), got %r' % dest)
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise ZooError('%s is not a folder; dest must be the folder that holds the models' % dest)
    specs = [from_params({'name': name, 'dest': dest, 'verify': verify, 'checksum': (checksums or {}).get(name),
                          'upstream': upstream}) for name in names]
    models = []
    dest_fd = _open(dest, names, warnings)
    try:
        seen = set()
        for name, spec in zip(names, specs):
            state = observe_at(spec, dest_fd) if dest_fd is not None else observe(spec)
            seen.add(state.path)
            models.append(_from_state(name, state))
        found, complete = _manifest.scan(dest_fd) if dest_fd is not None else ([], True)
        if not complete:
            warnings.append('%s holds more than %d entries: only the installs among the first %d are listed'
                            % (dest, _manifest.MAX_SCAN, _manifest.MAX_SCAN))
        for entry, record in found:
            folder = os.path.join(dest, entry)
            if folder in seen:
                continue
            problems = _problems(dest_fd, entry, record, verify == 'full')
            models.append(_entry(record['key'], folder, DAMAGED if problems else INTACT, not names, record,
                                 problems))
    finally:
        if dest_fd is not None:
            os.close(dest_fd)
    free, total = _disk(dest)
    return dict(
        changed=False, dest=dest, models=models, free_bytes=free, total_bytes=total,
        intact=all(model['state'] == INTACT for model in models if model['wanted']),
    )


def _problems(dest_fd, name, record, full):
    try:
        fd = _fs.open_dir(dest_fd, name)
    except OSError:
        return ['the model folder is missing or not a real folder']
    try:
        return _manifest.problems_at(fd, record, full)
    finally:
        os.close(fd)
