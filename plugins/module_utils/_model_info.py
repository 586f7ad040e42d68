# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a models folder holds: every install's marker, checked exactly as labfleet.zoo.model checks it.

Read-only: markers are read and files are stat'ed (``quick``) or hashed (``full``); nothing is written, no lock is
taken, no network is used.
"""

from __future__ import annotations

import os

from ansible_collections.labfleet.zoo.plugins.module_utils import _fs, _manifest
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._install import observe
from ansible_collections.labfleet.zoo.plugins.module_utils._spec import from_params
from ansible_collections.labfleet.zoo.plugins.module_utils._vocabulary import DAMAGED, INTACT, MISSING


def _entry(name, path, state, wanted, record=None, problems=()):
    record = record or {}
    files = record.get('files') or {}
    return dict(
        name=name, path=path, state=state, wanted=wanted, problems=list(problems)[:10],
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


def inspect(dest, names=(), verify='quick', upstream=None, checksums=None):
    """The models of ``dest``: ``names`` first (in that order, even when missing), then any other install found.

    ``upstream`` (a base URL serving ``<name>.tar.gz``) and ``checksums`` ({name: 'sha256:...'}) are what the
    labfleet.zoo.model tasks were given, so that an install is judged against the same source and digest.
    """
    if not os.path.isabs(dest):
        raise ZooError('dest must be an absolute path (or start with ~), got %r' % dest)
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise ZooError('%s is not a folder; dest must be the folder that holds the models' % dest)
    models, seen = [], set()
    for name in names:
        params = {'name': name, 'dest': dest, 'verify': verify, 'checksum': (checksums or {}).get(name),
                  'upstream': upstream}
        state = observe(from_params(params))
        seen.add(state.path)
        models.append(_from_state(name, state))
    try:
        entries = sorted(os.listdir(dest))
    except FileNotFoundError:
        entries = []
    except OSError as e:
        raise ZooError('cannot list %s: %s' % (dest, e))
    for entry in entries:
        folder = os.path.join(dest, entry)
        if entry.startswith('.') or folder in seen or not _fs.check_rel(entry):
            continue  # hidden, already reported, or a name no install of ours has
        record = _manifest.read(folder)
        if record is not None:
            found = _manifest.problems(folder, record, full=verify == 'full')
            models.append(_entry(record['key'], folder, DAMAGED if found else INTACT, not names, record, found))
    free, total = _disk(dest)
    return dict(
        changed=False, dest=dest, models=models, free_bytes=free, total_bytes=total,
        intact=all(model['state'] == INTACT for model in models if model['wanted']),
    )
