# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unpacking: a gzip'd tar stream into a staging folder, safely, in one pass, with bounded memory and size.

Invariants:
- Our own tar reader (ustar, GNU and pax headers), not tarfile: tarfile reads a pax or GNU long-name header of any
  declared size into memory and expands sparse maps of any length, and its ``filter='data'`` is missing or buggy
  on the Pythons that Raspberry Pi OS ships. Every header block is checksummed; every size is bounded.
- Regular files and directories only, every member under one top directory (the catalog's, when it knows it),
  no absolute names, no ``..``, no NUL, names valid UTF-8, bounded depth, component length, member count and
  expanded size; no setuid/setgid bits; sparse members of any kind refused; archive owners ignored.
- Files are created with O_EXCL|O_NOFOLLOW relative to the staging folder's descriptor, in folders this run made:
  nothing lands outside it, whatever the archive says. The top directory is stripped.
- Messages name the archive and the member, quoted and cut.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import zlib

from ansible_collections.labfleet.zoo.plugins.module_utils import _fs
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError

CHUNK = 1 << 20
MB = 1000 * 1000
BLOCK = 512
MAX_HEADER = 1 << 20          # bytes of one pax or GNU long-name header
DEFAULT_MAX_SIZE = 4 * 1000 ** 3  # expanded bytes when neither the task nor the catalog says more
_KINDS = {
    b'1': 'a hardlink', b'2': 'a symlink', b'3': 'a character device', b'4': 'a block device', b'6': 'a fifo',
    b'S': 'a sparse file', b'V': 'a volume label', b'M': 'a multi-volume continuation', b'D': 'a GNU dump dir',
    b'N': 'an old GNU long name',
}
_REG, _DIR, _PAX, _GLOBAL, _LONGNAME, _LONGLINK = (b'0', b'\0', b'7'), b'5', b'x', b'g', b'L', b'K'


class UnsafeArchive(ZooError):
    """The archive is malformed or hostile; nothing of it is kept."""


class DiskFull(ZooError):
    """Not enough room on the destination filesystem."""


class Limits(object):
    """Bounds on what one archive may hold."""

    def __init__(self, max_size=DEFAULT_MAX_SIZE, max_members=10000, max_depth=_fs.MAX_DEPTH):
        self.max_size, self.max_members, self.max_depth = max_size, max_members, max_depth


def free_bytes(path_or_fd):
    st = os.statvfs(path_or_fd)
    return st.f_bavail * st.f_frsize


def need_space(path, needed, what, where=None):
    """Fail before writing when ``needed`` bytes will not fit on the filesystem of ``path`` (a path or a fd)."""
    free = free_bytes(path)
    if needed > free:
        raise DiskFull('%s needs %d MB, %d MB free in %s' % (what, -(-needed // MB), free // MB, where or path))


class GunzipReader(object):
    """Decompresses a gzip stream on the fly; memory stays bounded by the read size, output by ``limit``."""

    def __init__(self, raw, label, limit=None):
        self.raw = raw
        self.label = label
        self.limit = limit
        self.total = 0
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
                self.total += len(out)
                if self.limit is not None and self.total > self.limit:
                    raise UnsafeArchive('%s decompresses to more than %d MB (the max_size limit and the tar '
                                        'overhead); refused' % (self.label, self.limit // MB))
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


# ---------------------------------------------------------------- the tar reader

class Member(object):
    """One archive member: name (text), kind (type flag), size, mode."""

    def __init__(self, name, kind, size, mode):
        self.name, self.kind, self.size, self.mode = name, kind, size, mode

    def isdir(self):
        return self.kind == _DIR


def _exact(src, n, label, what):
    chunks, left = [], n
    while left:
        data = src.read(min(left, CHUNK))
        if not data:
            raise UnsafeArchive('%s is truncated inside %s' % (label, what))
        chunks.append(data)
        left -= len(data)
    return b''.join(chunks)


def _number(field, label, what):
    """A tar numeric field: octal text, or GNU base-256 (positive only)."""
    if field[:1] == b'\x80':
        return int.from_bytes(field[1:], 'big')
    if field[:1] == b'\xff':
        raise UnsafeArchive('%s: a header declares a negative %s' % (label, what))
    text = field.split(b'\0', 1)[0].strip(b' ')
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise UnsafeArchive('%s is not a valid tar archive (bad %s field %r)' % (label, what, _fs.text(text, 40)))


def _checksum_ok(block, label):
    stored = _number(block[148:156], label, 'checksum')
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
    signed = unsigned - sum(b for b in block[:148] + block[156:] if b > 127) * 256
    return stored in (unsigned, signed)


def _name_text(raw, label):
    if b'\0' in raw:
        raise UnsafeArchive('%s: member %r holds a NUL byte in its name' % (label, _fs.text(raw.replace(b'\0', b'?'))))
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError:
        raise UnsafeArchive('%s: member %s has a name that is not valid UTF-8' % (label, _fs.quote(raw)))


def _pax_records(data, label):
    """{keyword: bytes value} of a pax header; malformed records refuse the archive."""
    out, pos = {}, 0
    while pos < len(data):
        if data[pos:pos + 1] == b'\0':
            break
        space = data.find(b' ', pos, pos + 20)
        try:
            length = int(data[pos:space])
        except ValueError:
            length = 0
        end = pos + length
        if space < 0 or length <= 0 or end > len(data) or data[end - 1:end] != b'\n' or b'=' not in data[space:end]:
            raise UnsafeArchive('%s is not a valid tar archive (malformed pax header)' % label)
        key, _eq, value = data[space + 1:end - 1].partition(b'=')
        out[key.decode('ascii', 'replace')] = value
        pos = end
    return out


def members(src, label):
    """Yield Member objects in order; the caller reads exactly ``member.size`` bytes of data after each.

    Stops at the end-of-archive block. Padding after each member's data is skipped here.
    """
    pax, long_name, pending_pad = {}, None, 0
    while True:
        if pending_pad:
            _exact(src, pending_pad, label, 'padding')
        block = _read_block(src, label)
        if block is None or block == b'\0' * BLOCK:
            return
        if not _checksum_ok(block, label):
            raise UnsafeArchive('%s is not a valid tar archive (header checksum mismatch)' % label)
        kind = block[156:157]
        size = _number(block[124:136], label, 'size')
        pending_pad = -size % BLOCK
        if kind in (_PAX, _GLOBAL, _LONGNAME, _LONGLINK):
            if size > MAX_HEADER:
                raise UnsafeArchive('%s: a %s header of %d bytes (at most %d); refused'
                                    % (label, 'pax' if kind in (_PAX, _GLOBAL) else 'GNU long-name', size,
                                       MAX_HEADER))
            data = _exact(src, size, label, 'a header')
            if kind == _PAX:
                pax.update(_pax_records(data, label))
            elif kind == _GLOBAL:
                extra = sorted(k for k in _pax_records(data, label) if k != 'comment')
                if extra:
                    raise UnsafeArchive('%s: a global pax header sets %s; refused' % (label, _fs.text(', '.join(extra))))
            elif kind == _LONGNAME:
                long_name = data.split(b'\0', 1)[0]
            continue
        sparse = sorted(k for k in pax if k.startswith('GNU.sparse.'))
        if 'size' in pax:
            try:
                size = int(pax['size'])
            except ValueError:
                raise UnsafeArchive('%s: a pax header declares a size that is not a number' % label)
            pending_pad = -size % BLOCK
        if 'path' in pax:
            raw = pax['path']
        elif long_name is not None:
            raw = long_name
        else:
            raw = block[0:100].split(b'\0', 1)[0]
            if block[257:263] == b'ustar\x00':
                prefix = block[345:500].split(b'\0', 1)[0]
                if prefix:
                    raw = prefix + b'/' + raw
        name = _name_text(raw, label)
        mode = _number(block[100:108], label, 'mode')
        if kind == b'\0' and name.endswith('/'):
            kind = _DIR
        member = Member(name, _REG[0] if kind in _REG else kind, size, mode)
        if sparse:
            raise UnsafeArchive('%s: member %s is a sparse file (pax %s); only regular files and directories are '
                                'allowed' % (label, _fs.quote(name), sparse[0]))
        pax, long_name = {}, None
        yield member
        # The caller consumed the data; what remains is the padding (data skipped for directories).
        if member.isdir() and size:
            _exact(src, size, label, 'a directory entry')


def _read_block(src, label):
    """The next 512-byte header block, or None at a clean end of the stream."""
    first = src.read(BLOCK)
    if not first:
        return None
    if len(first) < BLOCK:
        first += _exact(src, BLOCK - len(first), label, 'a header')
    return first


# ---------------------------------------------------------------- checks and placement

def _parts(member, label, limits):
    """The member's name as path components, refusing absolute names, ``..`` and unbounded paths."""
    name = member.name
    if name.startswith('/'):
        raise UnsafeArchive('%s: member %s has an absolute path' % (label, _fs.quote(name)))
    parts = [p for p in name.split('/') if p not in ('', '.')]
    if '..' in parts:
        raise UnsafeArchive('%s: member %s escapes with ..' % (label, _fs.quote(name)))
    if not parts:
        raise UnsafeArchive('%s: member %s has an empty name' % (label, _fs.quote(name)))
    if len(parts) > limits.max_depth + 1:
        raise UnsafeArchive('%s: member %s is %d levels deep (at most %d)'
                            % (label, _fs.quote(name), len(parts) - 1, limits.max_depth))
    if any(len(p.encode('utf-8')) > _fs.MAX_NAME for p in parts) or len(name.encode('utf-8')) > _fs.MAX_PATH:
        raise UnsafeArchive('%s: member %s has a name longer than the limits (%d bytes a component, %d in all)'
                            % (label, _fs.quote(name), _fs.MAX_NAME, _fs.MAX_PATH))
    return parts


def _relative(member, parts, top, label, reserved):
    """The member's path below the single top directory ('' for the top itself)."""
    if top.startswith('.'):
        raise UnsafeArchive('%s: the top directory %s is hidden; a model folder must not start with "."'
                            % (label, _fs.quote(top)))
    if parts[0] != top:
        raise UnsafeArchive('%s: member %s is outside the single top directory %s'
                            % (label, _fs.quote(member.name), _fs.quote(top)))
    if len(parts) == 1 and not member.isdir():
        raise UnsafeArchive('%s: member %s is a file beside the top directory; the archive must hold '
                            'one top directory' % (label, _fs.quote(member.name)))
    rel = '/'.join(parts[1:])
    if rel and reserved(rel):
        raise UnsafeArchive('%s: member %s uses a name reserved for the install marker'
                            % (label, _fs.quote(member.name)))
    return rel


def _check_kind(member, label):
    if member.kind not in (_REG[0], _DIR):
        what = _KINDS.get(member.kind, 'of type %r' % _fs.text(member.kind))
        raise UnsafeArchive('%s: member %s is %s; only regular files and directories are allowed'
                            % (label, _fs.quote(member.name), what))
    if member.mode & (stat.S_ISUID | stat.S_ISGID):
        raise UnsafeArchive('%s: member %s has the setuid/setgid bit (mode %o)'
                            % (label, _fs.quote(member.name), member.mode & 0o7777))


class _Writer(object):
    """Creates directories and files below the staging folder's descriptor (paths resolved only through folders
    this run made, in a folder nobody else can write)."""

    def __init__(self, staging_fd, label, where):
        self.fd, self.label, self.where = staging_fd, label, where
        self.files, self.dirs = {}, set()

    def dir(self, rel, member):
        if rel in self.files:
            self._clash(member)
        self._mkdirs(rel, member)

    def _mkdirs(self, rel, member):
        parts = rel.split('/')
        for i in range(1, len(parts) + 1):
            sub = '/'.join(parts[:i])
            if sub in self.dirs:
                continue
            if sub in self.files:
                self._clash(member)
            try:
                os.mkdir(sub, 0o755, dir_fd=self.fd)
            except FileExistsError:
                self._clash(member)
            except OSError as e:
                self._os_error(e, member)
            self.dirs.add(sub)

    def file(self, rel, member, src):
        if rel in self.files or rel in self.dirs:
            self._clash(member)
        parent = rel.rpartition('/')[0]
        if parent:
            self._mkdirs(parent, member)
        if member.size > CHUNK:
            need_space(self.fd, member.size, '%s: member %s' % (self.label, _fs.quote(member.name)), self.where)
        mode = 0o755 if member.mode & 0o111 else 0o644
        digest = hashlib.sha256()
        try:
            fd = os.open(rel, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _fs.O_CLOEXEC, mode,
                         dir_fd=self.fd)
        except FileExistsError:
            self._clash(member)
        except OSError as e:
            self._os_error(e, member)
        try:  # around the close too: a small member reaches the disk only when its buffer is flushed
            with os.fdopen(fd, 'wb') as out:
                os.fchmod(out.fileno(), mode)  # whatever the umask
                remaining = member.size
                while remaining:
                    chunk = src.read(min(CHUNK, remaining))
                    if not chunk:
                        raise UnsafeArchive('%s: member %s is truncated' % (self.label, _fs.quote(member.name)))
                    digest.update(chunk)
                    out.write(chunk)
                    remaining -= len(chunk)
        except OSError as e:
            self._os_error(e, member)
        self.files[rel] = [member.size, digest.hexdigest()]

    def _clash(self, member):
        raise UnsafeArchive('%s: member %s clashes with an earlier member of the same name'
                            % (self.label, _fs.quote(member.name)))

    def _os_error(self, e, member):
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull('%s: disk full in %s while writing member %s (%d MB)'
                           % (self.label, self.where, _fs.quote(member.name), -(-member.size // MB)))
        raise UnsafeArchive('%s: member %s cannot be written in %s (%s)'
                            % (self.label, _fs.quote(member.name), self.where, e.strerror or e))


def extract(fileobj, staging, label, reserved=None, limits=None, top_dir=None):
    """Extract the tar stream ``fileobj`` into the existing empty folder ``staging`` (a descriptor or a path).

    ``reserved(rel)`` tells the paths (below the top directory) members may not use; ``top_dir``, when known,
    is the only top directory accepted.

    Returns (top directory name, manifest) where manifest is
    {'files': {relpath: [size, sha256]}, 'dirs': [relpath, ...]}.
    """
    limits = limits or Limits()
    reserved = reserved or (lambda rel: False)
    own = isinstance(staging, str)
    fd = os.open(staging, _fs.O_DIR) if own else staging
    try:
        writer = _Writer(fd, label, staging if own else 'the staging folder')
        top, count, expanded = None, 0, 0
        for member in members(fileobj, label):
            count += 1
            if count > limits.max_members:
                raise UnsafeArchive('%s holds more than %d members; refused' % (label, limits.max_members))
            _check_kind(member, label)
            parts = _parts(member, label, limits)
            if top is None:
                top = parts[0]
                if top_dir and top != top_dir:
                    raise UnsafeArchive('%s: its top directory is %s, the catalog says %s; refused'
                                        % (label, _fs.quote(top), _fs.quote(top_dir)))
            rel = _relative(member, parts, top, label, reserved)
            if member.isdir():
                if rel:
                    writer.dir(rel, member)
                continue
            expanded += member.size
            if expanded > limits.max_size:
                raise UnsafeArchive('%s: member %s takes the archive past %d MB expanded (max_size); refused'
                                    % (label, _fs.quote(member.name), limits.max_size // MB))
            writer.file(rel, member, fileobj)
    finally:
        if own:
            os.close(fd)
    if top is None:
        raise UnsafeArchive('%s is empty: no top directory' % label)
    return top, {'files': writer.files, 'dirs': sorted(writer.dirs)}
