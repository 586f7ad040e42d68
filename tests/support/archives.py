"""Archives built by the tests, byte by byte where tarfile would refuse to write the hostile ones."""

from __future__ import annotations

import gzip
import io
import tarfile


def member(name, data=b'x', kind=tarfile.REGTYPE, mode=None, size=None, pax=None):
    """(TarInfo, data) for ``tgz``; ``pax`` adds pax header records to the member."""
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mtime = 1600000000
    ti.mode = (0o755 if kind == tarfile.DIRTYPE else 0o644) if mode is None else mode
    ti.size = len(data) if size is None and kind == tarfile.REGTYPE else (size or 0)
    if pax:
        ti.pax_headers = dict(pax)
    return ti, data


def directory(name, **kw):
    return member(name, b'', kind=tarfile.DIRTYPE, **kw)


def tar(members, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=fmt, encoding='utf-8', errors='surrogateescape') as out:
        for ti, data in members:
            out.addfile(ti, io.BytesIO(data) if ti.isreg() else None)
    return buf.getvalue()


def tgz(members, fmt=tarfile.PAX_FORMAT):
    return gzip.compress(tar(members, fmt), mtime=0)


def header(name, size, kind=b'0', mode=0o644, size_field=None):
    """One raw ustar header block: any declared size, any type flag (no data follows unless the caller adds it)."""
    block = bytearray(512)
    raw = name.encode('utf-8', 'surrogateescape')[:100]
    block[0:len(raw)] = raw
    block[100:108] = b'%07o\0' % mode
    block[108:116] = b'%07o\0' % 0
    block[116:124] = b'%07o\0' % 0
    if size_field is not None:  # raw bytes, e.g. a negative base-256 number
        block[124:136] = size_field
    elif size < 8 ** 11:
        block[124:136] = b'%011o\0' % size
    else:  # GNU base-256
        block[124:136] = b'\x80' + size.to_bytes(11, 'big')
    block[136:148] = b'%011o\0' % 1600000000
    block[156:157] = kind
    block[257:265] = b'ustar\x0000'
    block[148:156] = b' ' * 8
    block[148:156] = b'%06o\0 ' % sum(block)
    return bytes(block)


def zoo_tree(top, payload=b'w' * 3000):
    """A small archive in the zoo layout under ``top``."""
    return [directory(top), directory(top + '/checkpoint'),
            member(top + '/checkpoint/ckpt-0.index', payload[:500]),
            member(top + '/checkpoint/ckpt-0.data-00000-of-00001', payload),
            member(top + '/pipeline.config', b'model {\n  ssd {\n    num_classes: 90\n  }\n}\n')]
