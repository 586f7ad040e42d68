# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The install marker: a manifest written last into a model folder, and its verification.

Invariants:
- A folder without a readable marker is never taken for a complete install.
- The marker lies in a folder its user may edit: it is read without following links, bounded in size, and taken
  only when it has exactly the shape we write (:func:`valid`); every path in it passes ``_fs.check_rel``. Anything
  else counts as no marker.
- Verification resolves every path one component at a time without following links (``_fs.Walker``): ``quick``
  stats each entry, ``full`` also hashes files, opened ``O_NOFOLLOW | O_NONBLOCK``. Problems are lines of text.
- :func:`scan` is the one listing of the installs in a models folder (labfleet.zoo.model finds an install by its
  key with it, labfleet.zoo.model_info lists them): through the folder's descriptor, links never followed, at
  most ``MAX_SCAN`` entries looked at, only real folders whose valid marker names them as their top directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat

from ansible_collections.labfleet.zoo.plugins.module_utils import _fs

MARKER = '.labfleet-zoo.json'
FORMAT = 1
CHUNK = 1 << 20
MAX_ENTRIES = 10000               # files + folders of one install
MAX_MARKER = 8 * 1024 * 1024      # bytes of a marker file
MAX_SCAN = 10000                  # entries of a models folder that scan() looks at
_HEX64 = re.compile(r'^[0-9a-f]{64}$')
_KEY = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$')
_TEXT_FIELDS = ('upstream', 'source', 'installed_at')
FIELDS = frozenset(('format', 'key', 'upstream', 'source', 'sha256', 'archive_size', 'top_dir', 'installed_at',
                    'files', 'dirs'))


def reserved(rel):
    """Whether an archive member's path (below the top directory) would clash with the marker or its temp files."""
    return rel == MARKER or rel.startswith(MARKER + '.')


def encode(record):
    return json.dumps(dict(record, format=FORMAT), indent=1, sort_keys=True).encode('utf-8')


def write(folder_fd, record):
    """Write the marker atomically (new temp file, fsync, rename) as the install's last step."""
    _fs.write_atomic(folder_fd, MARKER, encode(record))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def valid(record):
    """True when ``record`` has exactly the shape :func:`write` gives it, with clean relative paths."""
    if not isinstance(record, dict) or set(record) != FIELDS or record['format'] != FORMAT:
        return False
    if not all(isinstance(record[k], str) and len(record[k]) <= 4096 for k in _TEXT_FIELDS):
        return False
    key, top = record['key'], record['top_dir']
    if not isinstance(key, str) or not _KEY.match(key) or '..' in key:
        return False
    if not isinstance(top, str) or top.startswith('.') or '/' in top or not _fs.check_rel(top):
        return False
    if not isinstance(record['sha256'], str) or not _HEX64.match(record['sha256']):
        return False
    files, dirs = record['files'], record['dirs']
    if not _is_int(record['archive_size']) or not isinstance(files, dict) or not isinstance(dirs, list):
        return False
    if len(files) + len(dirs) > MAX_ENTRIES or len(set(dirs)) != len(dirs):
        return False
    folders = set(dirs)
    for rel in dirs:
        if not _fs.check_rel(rel) or reserved(rel) or rel in files:
            return False
    for rel, value in files.items():
        if not _fs.check_rel(rel) or reserved(rel):
            return False
        if not isinstance(value, list) or len(value) != 2 or not _is_int(value[0]):
            return False
        if not isinstance(value[1], str) or not _HEX64.match(value[1]):
            return False
    for rel in list(files) + dirs:
        parent = rel.rpartition('/')[0]
        if parent and parent not in folders:
            return False
    return True


def read_at(folder_fd):
    """The marker's record in the open folder, or None when it holds no valid marker of ours."""
    data = _fs.read_file(folder_fd, MARKER, MAX_MARKER)
    if data is None:
        return None
    try:
        record = json.loads(data.decode('utf-8'))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return record if valid(record) else None


def read_child(parent_fd, name, top=True):
    """The valid marker of the real folder ``name`` in ``parent_fd`` (a link there is no folder of ours), or None;
    with ``top``, only a marker that names ``name`` as its top directory (an install in its place)."""
    try:
        fd = _fs.open_dir(parent_fd, name)
    except OSError:
        return None
    try:
        record = read_at(fd)
    finally:
        os.close(fd)
    return record if record is not None and (not top or record['top_dir'] == name) else None


def scan(dest_fd, limit=MAX_SCAN):
    """The installs of labfleet.zoo in the open models folder ``dest_fd``: ([(name, record)] in name order, complete).

    An install is a real folder with a visible, clean name whose valid marker names it as its top directory.
    ``complete`` is False when the folder holds more than ``limit`` entries: only the first ``limit`` (in the
    folder's own order) were looked at.
    """
    names, complete = [], True
    with os.scandir(dest_fd) as entries:
        for count, entry in enumerate(entries):
            if count >= limit:
                complete = False
                break
            if entry.name.startswith('.') or not _fs.check_rel(entry.name):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    names.append(entry.name)
            except OSError:
                continue
    found = []
    for name in sorted(names):
        record = read_child(dest_fd, name)
        if record is not None:
            found.append((name, record))
    return found, complete


def open_folder(folder):
    """A descriptor of the model folder ``folder`` (its parent followed, itself never), or None."""
    parent, name = os.path.split(folder.rstrip('/'))
    try:
        parent_fd = _fs.open_dest(parent or '/')
    except OSError:
        return None
    try:
        return _fs.open_dir(parent_fd, name)
    except OSError:
        return None
    finally:
        os.close(parent_fd)


def read(folder):
    """The marker's record of the folder at path ``folder`` (a link there is no folder of ours), or None."""
    fd = open_folder(folder)
    if fd is None:
        return None
    try:
        return read_at(fd)
    finally:
        os.close(fd)


def fd_sha256(fd):
    """sha256 of the rest of the open file ``fd``, read in chunks."""
    digest = hashlib.sha256()
    while True:
        chunk = os.read(fd, CHUNK)
        if not chunk:
            return digest.hexdigest()
        digest.update(chunk)


def entries(record):
    """[(parts, is_dir, (size, sha256) or None)] of an install, parents first (sorted by components)."""
    out = [(tuple(rel.split('/')), True, None) for rel in record['dirs']]
    out.extend((tuple(rel.split('/')), False, tuple(value)) for rel, value in record['files'].items())
    out.sort(key=lambda e: e[0])
    return out


def problems_at(folder_fd, record, full=False):
    """What differs between the open folder and its manifest: an empty list means intact."""
    found = []
    with _fs.Walker(folder_fd) as walker:
        for parts, is_dir, meta in entries(record):
            rel = '/'.join(parts)
            try:
                parent = walker.parent(parts)
            except OSError:
                found.append('%s: a folder above it is missing or not a real folder' % _fs.text(rel))
                continue
            found.extend('%s: %s' % (_fs.text(rel), why) for why in _check(parent, parts[-1], is_dir, meta, full))
    return found


def _check(parent, name, is_dir, meta, full):
    st = _fs.lstat(parent, name)
    if st is None:
        return ['directory missing' if is_dir else 'missing']
    if is_dir:
        return [] if stat.S_ISDIR(st.st_mode) else ['%s instead of a directory' % _fs.kind(st)]
    if not stat.S_ISREG(st.st_mode):
        return ['not a regular file (%s)' % _fs.kind(st)]
    if st.st_size != meta[0]:
        return ['size %d, expected %d' % (st.st_size, meta[0])]
    if st.st_nlink != 1:
        return ['has %d hard links (a file linked in from elsewhere?)' % st.st_nlink]
    if not full:
        return []
    try:
        fd = _fs.open_entry(parent, name, False)
        try:
            digest = fd_sha256(fd)
        finally:
            os.close(fd)
    except OSError as e:
        return ['cannot be read (%s)' % (e.strerror or e)]
    return [] if digest == meta[1] else ['content differs (sha256)']


def problems(folder, record, full=False):
    """:func:`problems_at` for the folder at path ``folder``."""
    fd = open_folder(folder)
    if fd is None:
        return ['the model folder is missing or not a real folder']
    try:
        return problems_at(fd, record, full)
    finally:
        os.close(fd)


def apply_attrs(folder_fd, record, attrs, check_mode=False, top=True):
    """Bring owner/group (every entry) and mode (files; folders get ``attrs.dir_mode``) to ``attrs``.

    Returns (changed, problems): entries that could not be set are problems, not errors. ``top=False`` leaves the
    folder itself alone (a staging folder is handed over only once it is in place).
    """
    changed, found = False, []
    if top:
        changed = _fs.fix_attrs(folder_fd, attrs, check_mode, is_dir=True)
    with _fs.Walker(folder_fd) as walker:
        listed = entries(record) + [((MARKER,), False, None)]
        for parts, is_dir, _meta in listed:
            rel = '/'.join(parts)
            try:
                fd = _fs.open_entry(walker.parent(parts), parts[-1], is_dir)
            except OSError as e:
                found.append('%s: owner/mode not set (%s)' % (_fs.text(rel), e.strerror or e))
                continue
            try:
                changed = _fs.fix_attrs(fd, attrs, check_mode, is_dir=is_dir) or changed
            except OSError as e:
                found.append('%s: owner/mode not set (%s)' % (_fs.text(rel), e.strerror or e))
            finally:
                os.close(fd)
    return changed, found


def prune(parent_fd, name, record):
    """Delete what the install ``record`` put in folder ``name`` of ``parent_fd``; keep anything else there.

    Files of the manifest, then its folders once empty (deepest first), then the marker, then the folder: a run
    killed half-way can start again from the marker. Returns the relative paths kept (empty when all is gone).
    """
    try:
        folder_fd = _fs.open_dir(parent_fd, name)
    except OSError:
        return []
    try:
        listed = entries(record)
        with _fs.Walker(folder_fd) as walker:
            for parts, is_dir, _meta in listed:
                if not is_dir:
                    _unlink_file(walker, parts)
            for parts, is_dir, _meta in reversed(listed):
                if is_dir:
                    try:
                        os.rmdir(parts[-1], dir_fd=walker.parent(parts))
                    except OSError:
                        pass  # not empty (someone's files) or already gone
        _unlink_file(None, (MARKER,), folder_fd)
        kept = sorted(os.listdir(folder_fd))
    finally:
        os.close(folder_fd)
    if kept:
        return [_fs.text(k) for k in kept]
    os.rmdir(name, dir_fd=parent_fd)
    return []


def _unlink_file(walker, parts, fd=None):
    try:
        parent = fd if walker is None else walker.parent(parts)
        st = _fs.lstat(parent, parts[-1])
        if st is not None and stat.S_ISREG(st.st_mode):
            os.unlink(parts[-1], dir_fd=parent)
    except OSError:
        pass
