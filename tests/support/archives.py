"""Archives built by the tests, byte by byte where tarfile would refuse to write the hostile ones.

Two builders: ``member``/``directory``/``tgz`` (PAX, the hostile lab) and ``F``/``D``/``tgz_bytes`` (GNU, written
verbatim: the unpack unit tests and the reliability suite), with ``HOSTILE``, the hostile members both attack with.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import uuid


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


# ---------------------------------------------------------------- the unpack tests' builders (GNU format, verbatim)

TOP = 'model_top'


def info(name, kind=tarfile.REGTYPE, data=b'', mode=None, linkname='', size=None, uid=0):
    """(TarInfo, data) for ``tar_bytes``: any type, link target, owner and declared size."""
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.uid = ti.gid = uid
    ti.mtime = 1600000000
    if kind == tarfile.DIRTYPE:
        ti.mode = 0o755 if mode is None else mode
    else:
        ti.mode = 0o644 if mode is None else mode
    ti.linkname = linkname
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        ti.devmajor, ti.devminor = 1, 3
    ti.size = len(data) if size is None else size
    return ti, data


def D(name, **kw):
    """A directory member."""
    return info(name, tarfile.DIRTYPE, **kw)


def F(name, data=b'x', **kw):
    """A regular file member."""
    return info(name, tarfile.REGTYPE, data=data, **kw)


def tar_bytes(members, fmt=tarfile.GNU_FORMAT):
    """An uncompressed tar of ``members`` [(TarInfo, data)], written verbatim (names untouched)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=fmt) as tar:
        for ti, data in members:
            tar.addfile(ti, io.BytesIO(data) if ti.isreg() else None)
    return buf.getvalue()


def tgz_bytes(members):
    """``tar_bytes`` gzip'd (mtime 0)."""
    return gzip.compress(tar_bytes(members), mtime=0)


def zoo_members(top=TOP, explicit_dirs=True):
    """A small archive with the zoo layout; returns (members, {relpath: content})."""
    contents = {
        'checkpoint/checkpoint': b'model_checkpoint_path: "ckpt-0"\n',
        'checkpoint/ckpt-0.data-00000-of-00001': os.urandom(70000),
        'checkpoint/ckpt-0.index': os.urandom(900),
        'pipeline.config': b'model {\n  ssd {\n    num_classes: 90\n  }\n}\n',
        'saved_model/saved_model.pb': os.urandom(5000),
        'saved_model/variables/variables.data-00000-of-00001': os.urandom(30000),
        'saved_model/variables/variables.index': os.urandom(400),
        'empty.txt': b'',
    }
    members = []
    if explicit_dirs:
        members += [D(top), D(top + '/checkpoint'), D(top + '/saved_model'), D(top + '/saved_model/assets'),
                    D(top + '/saved_model/variables')]
    else:
        members += [D(top + '/saved_model/assets')]
    members += [F(top + '/' + rel, data) for rel, data in contents.items()]
    return members, contents


# ---------------------------------------------------------------- hostile members: id -> (factory(area), offender)

ABS_TARGET = '/tmp/labfleet-zoo-evil-%s.txt' % uuid.uuid4().hex


def _escape_link(area):
    return str(area / 'outside')


# Each case: id -> (members factory(area), offending member name expected in the message)
HOSTILE = {
    'dotdot': (lambda a: [D(TOP), F(TOP + '/../../outside/evil.txt', b'pwned')],
               TOP + '/../../outside/evil.txt'),
    'dotdot-hidden-by-dot': (lambda a: [D(TOP), F(TOP + '/./sub/./../../../outside/evil.txt', b'pwned')],
                             TOP + '/./sub/./../../../outside/evil.txt'),
    'absolute-path': (lambda a: [D(TOP), F(ABS_TARGET, b'pwned')], ABS_TARGET),
    'symlink-escaping': (lambda a: [D(TOP), info(TOP + '/link', tarfile.SYMTYPE, linkname=_escape_link(a)),
                                    F(TOP + '/link/evil.txt', b'pwned')], TOP + '/link'),
    'symlink-relative-escaping': (lambda a: [D(TOP), info(TOP + '/up', tarfile.SYMTYPE,
                                                          linkname='../../../outside'),
                                             F(TOP + '/up/evil.txt', b'pwned')], TOP + '/up'),
    'hardlink-escaping': (lambda a: [D(TOP), info(TOP + '/hl', tarfile.LNKTYPE,
                                                  linkname=str(a / 'outside' / 'victim.txt'))], TOP + '/hl'),
    'symlink-inside-tree': (lambda a: [D(TOP), F(TOP + '/real.txt', b'ok'),
                                       info(TOP + '/alias.txt', tarfile.SYMTYPE, linkname='real.txt')],
                            TOP + '/alias.txt'),
    'char-device': (lambda a: [D(TOP), info(TOP + '/null', tarfile.CHRTYPE)], TOP + '/null'),
    'block-device': (lambda a: [D(TOP), info(TOP + '/sda', tarfile.BLKTYPE)], TOP + '/sda'),
    'fifo': (lambda a: [D(TOP), info(TOP + '/pipe', tarfile.FIFOTYPE)], TOP + '/pipe'),
    'setuid-file': (lambda a: [D(TOP), F(TOP + '/suid', b'#!/bin/sh\n', mode=0o4755)], TOP + '/suid'),
    'setgid-file': (lambda a: [D(TOP), F(TOP + '/sgid', b'#!/bin/sh\n', mode=0o2755)], TOP + '/sgid'),
    'setgid-dir': (lambda a: [D(TOP), D(TOP + '/shared', mode=0o2775)], TOP + '/shared'),
    'duplicate-names': (lambda a: [D(TOP), F(TOP + '/pipeline.config', b'first'),
                                   F(TOP + '/pipeline.config', b'second, replacing the first')],
                        TOP + '/pipeline.config'),
    'two-top-dirs': (lambda a: [D(TOP), F(TOP + '/a', b'a'), D('second_top'), F('second_top/b', b'b')],
                     'second_top'),
    'file-at-root-after-top': (lambda a: [D(TOP), F(TOP + '/a', b'a'), F('README', b'hello')], 'README'),
    'file-at-root-first': (lambda a: [F('README', b'hello'), D(TOP), F(TOP + '/a', b'a')], 'README'),
    'file-then-dir-same-name': (lambda a: [D(TOP), F(TOP + '/x', b'file'), D(TOP + '/x')], TOP + '/x'),
    'dir-then-file-same-name': (lambda a: [D(TOP), D(TOP + '/x'), F(TOP + '/x', b'file')], TOP + '/x'),
    'hidden-top-dir': (lambda a: [D('.hidden_model'), F('.hidden_model/a', b'a')], '.hidden_model'),
    'file-then-file-below-it': (lambda a: [D(TOP), F(TOP + '/x', b'file'), F(TOP + '/x/y', b'below')],
                                TOP + '/x/y'),
}
