# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The install marker: a manifest written last into a model folder, and its verification.

A folder without a readable marker is never taken for a complete install. ``quick``
verification stats each manifest entry (no contents read), ``full`` also hashes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat

MARKER = '.labfleet-zoo.json'
RESERVED = (MARKER, MARKER + '.tmp')  # names an archive may not use
FORMAT = 1
CHUNK = 1 << 20


def write(folder, record):
    """Write the marker atomically (temp file, fsync, rename) as the install's last step."""
    path = os.path.join(folder, MARKER)
    tmp = os.path.join(folder, RESERVED[1])
    with open(tmp, 'w') as fh:
        json.dump(dict(record, format=FORMAT), fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.rename(tmp, path)


def read(folder):
    """The marker's record, or None when the folder holds no complete install."""
    try:
        with open(os.path.join(folder, MARKER)) as fh:
            record = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get('format') != FORMAT or not isinstance(record.get('files'), dict):
        return None
    return record


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def problems(folder, record, full=False):
    """What differs between ``folder`` and its manifest: an empty list means intact."""
    found = []
    for rel in record.get('dirs', ()):
        if not os.path.isdir(os.path.join(folder, rel)):
            found.append('%s: directory missing' % rel)
    for rel, (size, digest) in sorted(record['files'].items()):
        path = os.path.join(folder, rel)
        try:
            st = os.lstat(path)
        except OSError:
            found.append('%s: missing' % rel)
            continue
        if not stat.S_ISREG(st.st_mode):
            found.append('%s: not a regular file' % rel)
        elif st.st_size != size:
            found.append('%s: size %d, expected %d' % (rel, st.st_size, size))
        elif full and file_sha256(path) != digest:
            found.append('%s: content differs (sha256)' % rel)
    return found


def tree(folder, record):
    """Every path of the install (folder, its directories, its files), parents first."""
    paths = [folder]
    paths.extend(os.path.join(folder, rel) for rel in sorted(record.get('dirs', ())))
    paths.extend(os.path.join(folder, rel) for rel in sorted(record['files']))
    return paths
