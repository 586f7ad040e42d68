# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unpacking: a gzip'd tar stream into a staging folder, safely, in one pass.

Our own member checks, on every Python 3.8+ (tarfile's ``filter='data'`` is missing or
buggy on the Pythons that Raspberry Pi OS ships): regular files and directories only, every
member under one top directory, no absolute names, no ``..``, no setuid/setgid bits,
archive owners ignored, files created with O_EXCL|O_NOFOLLOW inside a folder we made.
The top directory is stripped: its contents land directly in the staging folder.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tarfile
import zlib

from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError

CHUNK = 1 << 20
MB = 1000 * 1000
_KINDS = {
    tarfile.SYMTYPE: 'a symlink', tarfile.LNKTYPE: 'a hardlink', tarfile.CHRTYPE: 'a character device',
    tarfile.BLKTYPE: 'a block device', tarfile.FIFOTYPE: 'a fifo', tarfile.GNUTYPE_SPARSE: 'a sparse file',
}


class UnsafeArchive(ZooError):
    """The archive is malformed or hostile; nothing of it is kept."""


class DiskFull(ZooError):
    """Not enough room on the destination filesystem."""


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def need_space(path, needed, what):
    """Fail before writing when ``needed`` bytes will not fit beside ``path``."""
    free = free_bytes(path)
    if needed > free:
        raise DiskFull('%s needs %d MB, %d MB free in %s' % (what, -(-needed // MB), free // MB, path))


class GunzipReader(object):
    """Decompresses a gzip stream on the fly; memory stays bounded by the read size."""

    def __init__(self, raw, label):
        self.raw = raw
        self.label = label
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b''
        self._eof = False

    def read(self, n=CHUNK):
        n = n if n and n > 0 else CHUNK
        while True:
            if self._z.unconsumed_tail:
                data = self._z.unconsumed_tail
            else:
                data = self._pending or self.raw.read(CHUNK)
                self._pending = b''
            if not data:
                if not self._z.eof and not self._eof:
                    raise UnsafeArchive('%s is truncated: the gzip stream ends early' % self.label)
                self._eof = True
                return b''
            out = self._decompress(data, n)
            if out:
                return out

    def _decompress(self, data, n):
        try:
            out = self._z.decompress(data, n)
        except zlib.error as e:
            raise UnsafeArchive('%s is not a valid gzip file (%s)' % (self.label, e))
        if self._z.eof and self._z.unused_data:
            # Another gzip member follows (concatenated gzip is valid gzip).
            self._pending = self._z.unused_data
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return out

    def drain(self):
        """Read to the end so that the whole archive is hashed and its gzip trailer checked."""
        while self.read(CHUNK):
            pass


def _parts(member, label):
    """The member's name as path components, refusing absolute names and ``..``."""
    name = member.name
    if name.startswith('/'):
        raise UnsafeArchive('%s: member %r has an absolute path' % (label, name))
    parts = [p for p in name.split('/') if p not in ('', '.')]
    if '..' in parts:
        raise UnsafeArchive('%s: member %r escapes with ..' % (label, name))
    if not parts:
        raise UnsafeArchive('%s: member %r has an empty name' % (label, name))
    return parts


def _relative(member, parts, top, label, reserved):
    """The member's path below the single top directory ('' for the top itself)."""
    if top.startswith('.'):
        raise UnsafeArchive('%s: the top directory %r is hidden; a model folder must not start with "."'
                            % (label, top))
    if parts[0] != top:
        raise UnsafeArchive('%s: member %r is outside the single top directory %r' % (label, member.name, top))
    if len(parts) == 1 and not member.isdir():
        raise UnsafeArchive('%s: member %r is a file beside the top directory; the archive must hold '
                            'one top directory' % (label, member.name))
    rel = '/'.join(parts[1:])
    if rel in reserved:
        raise UnsafeArchive('%s: member %r uses a name reserved for the install marker' % (label, member.name))
    return rel


def _check_kind(member, label):
    if member.type in _KINDS or not (member.isreg() or member.isdir()):
        raise UnsafeArchive('%s: member %r is %s; only regular files and directories are allowed'
                            % (label, member.name, _KINDS.get(member.type, 'of type %r' % member.type)))
    if member.mode & (stat.S_ISUID | stat.S_ISGID):
        raise UnsafeArchive('%s: member %r has the setuid/setgid bit (mode %o)' % (label, member.name, member.mode))


def _write_file(src, path, member, staging, label):
    """Copy one member's bytes into a new file; returns its sha256."""
    if member.size > CHUNK:
        need_space(staging, member.size, '%s: member %r' % (label, member.name))
    mode = 0o755 if member.mode & 0o111 else 0o644
    digest = hashlib.sha256()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:  # around the close too: a small member reaches the disk only when its buffer is flushed
        with os.fdopen(fd, 'wb') as out:
            remaining = member.size
            while remaining:
                chunk = src.read(min(CHUNK, remaining))
                if not chunk:
                    raise UnsafeArchive('%s: member %r is truncated' % (label, member.name))
                digest.update(chunk)
                out.write(chunk)
                remaining -= len(chunk)
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull('%s: disk full in %s while writing member %r (%d MB)'
                           % (label, staging, member.name, -(-member.size // MB)))
        raise
    return digest.hexdigest()


def _place(tar, member, rel, staging, label, files, dirs):
    """Create one member's directory or file below ``staging``."""
    path = os.path.join(staging, rel)
    try:
        if member.isdir():
            if rel in files:
                raise FileExistsError(path)
            os.makedirs(path, 0o755, exist_ok=True)
            dirs.add(rel)
            return
        parent = os.path.dirname(rel)
        if parent:
            os.makedirs(os.path.join(staging, parent), 0o755, exist_ok=True)
        files[rel] = [member.size, _write_file(tar.extractfile(member), path, member, staging, label)]
    except (FileExistsError, NotADirectoryError):
        raise UnsafeArchive('%s: member %r clashes with an earlier member of the same name' % (label, member.name))


def extract(fileobj, staging, label, reserved=()):
    """Extract the tar stream ``fileobj`` into the existing empty folder ``staging``.

    Members may not use the ``reserved`` paths (relative to the top directory).

    Returns (top directory name, manifest) where manifest is
    {'files': {relpath: [size, sha256]}, 'dirs': [relpath, ...]}.
    """
    files, dirs, top = {}, set(), None
    try:
        tar = tarfile.open(fileobj=fileobj, mode='r|', bufsize=CHUNK)
        for member in tar:
            _check_kind(member, label)
            parts = _parts(member, label)
            top = top or parts[0]
            rel = _relative(member, parts, top, label, reserved)
            if rel:
                _place(tar, member, rel, staging, label, files, dirs)
    except tarfile.TarError as e:
        raise UnsafeArchive('%s is not a valid tar archive (%s)' % (label, e))
    if top is None:
        raise UnsafeArchive('%s is empty: no top directory' % label)
    for rel in list(dirs) + list(files):
        parent = os.path.dirname(rel)
        while parent:
            dirs.add(parent)
            parent = os.path.dirname(parent)
    return top, {'files': files, 'dirs': sorted(dirs)}
