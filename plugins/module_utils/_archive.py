# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keeping one verified archive file, ``<dest>/<key>.tar.gz``: what a lab mirror serves.

The archive is streamed from its sources (the same resumable, hashing streams as the installer) into a hidden
temporary file beside the final one (``_fs.AtomicFile``), checked as it arrives (sha256, a complete gzip stream,
the pinned checksum when one is given), and only then renamed into place. A file already there is kept when its
sha256 matches the checksum (or when no checksum is pinned); one that does not match is fetched again.

Invariants:
- dest is opened once (``_fs.open_dest``: links on the way followed only when root or this user made them) and
  the archive is reached through that descriptor, never followed: anything at its name but a regular file is
  neither read nor replaced.
- Nothing but a complete, verified archive ever appears at ``<key>.tar.gz``.
"""

from __future__ import annotations

import os
import stat
import time

from ansible_collections.labfleet.zoo.plugins.module_utils import _fs, _manifest
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import HttpStream
from ansible_collections.labfleet.zoo.plugins.module_utils._sources import Sources
from ansible_collections.labfleet.zoo.plugins.module_utils._unpack import GunzipReader
from ansible_collections.labfleet.zoo.plugins.module_utils._vocabulary import ABSENT, ATTRIBUTES, DOWNLOADED, MISMATCH, PRESENT, REPAIRED, UNCHANGED

CHUNK = 1 << 20


class _ValidatedHttpStream(HttpStream):
    """An HttpStream that also keeps the first answer's ETag and Last-Modified (recorded in the lab's lock)."""

    etag = None
    last_modified = None

    def _accept(self, resp):
        first = not self.offset
        resp = super(_ValidatedHttpStream, self)._accept(resp)
        if first:
            self.etag = resp.headers.get('ETag')
            self.last_modified = resp.headers.get('Last-Modified')
        return resp


class _Tee(object):
    """Hands the stream's bytes to the gunzip check and writes them to the partial file on the way."""

    def __init__(self, stream, out):
        self.stream, self.out = stream, out

    def read(self, n=CHUNK):
        data = self.stream.read(n)
        if data:
            self.out.write(data)
        return data


class _Part(object):
    """One attempt's sink: the hidden temporary file beside the archive, renamed into place once verified."""

    def __init__(self, keeper, dest_fd):
        self.keeper = keeper
        self.atomic = _fs.AtomicFile(dest_fd, keeper.filename, 0o644, attrs=keeper.attrs, hidden=True)
        self.out = self.atomic.open()

    def receive(self, stream):
        GunzipReader(_Tee(stream, self.out), 'archive %s from %s' % (self.keeper.filename, stream.shown),
                     limit=self.keeper.spec.max_stream).drain()

    def commit(self, stream, digest):
        self.atomic.commit()
        return {'sha256': digest, 'size': stream.offset, 'source': stream.shown,
                'etag': getattr(stream, 'etag', None), 'last_modified': getattr(stream, 'last_modified', None)}

    def discard(self):
        self.atomic.discard()


class Keeper(object):
    """Brings ``<spec.dest>/<spec.key>.tar.gz`` to a verified copy; ``attrs`` (``_fs.Attrs``) is its wanted
    owner/group/mode, set on a new file before it is renamed into place, or on the file already there (predicted,
    not set, in check mode)."""

    def __init__(self, spec, check_mode=False, attrs=None, sleep=time.sleep):
        self.spec = spec
        self.filename = spec.key + '.tar.gz'
        self.path = os.path.join(spec.dest, self.filename)
        self.check_mode = check_mode
        self.attrs = attrs if attrs else None
        self.sources = Sources(spec, sleep, stream_class=_ValidatedHttpStream)

    def present(self):
        """Keep a verified copy; ZooError, or OSError left to the module's funnel."""
        try:
            dest_fd = _fs.open_dest(self.spec.dest)
        except FileNotFoundError:
            dest_fd = None
        try:
            before = self._observe(dest_fd)
            if before['state'] == PRESENT and not self.spec.force:
                changed = bool(self.attrs) and _fs.fix_attrs_at(dest_fd, self.filename, self.attrs, self.check_mode)
                return self._result(before, changed, ATTRIBUTES if changed else UNCHANGED, before)
            action = REPAIRED if before['state'] == MISMATCH else DOWNLOADED
            if self.check_mode:
                return self._result(before, True, action, {})
            if dest_fd is None:
                raise ZooError('the folder %s does not exist: create it first' % self.spec.dest)
            after = self.sources.fetch(
                lambda: _Part(self, dest_fd), dest_fd, 'the archive of model %s' % self.spec.key,
                'could not fetch the archive of model %s into %s: no source served a valid archive.'
                % (self.spec.key, self.spec.dest))
            return self._result(before, True, action, after)
        finally:
            if dest_fd is not None:
                os.close(dest_fd)

    def _observe(self, dest_fd):
        st = _fs.lstat(dest_fd, self.filename) if dest_fd is not None else None
        if st is None:
            return {'state': ABSENT}
        if not stat.S_ISREG(st.st_mode):
            raise ZooError('%s is %s, not an archive file: it is neither read nor replaced; remove it and run again'
                           % (self.path, _fs.kind(st)))
        fd = _fs.open_entry(dest_fd, self.filename, False)
        try:
            digest, size = _manifest.fd_sha256(fd), os.fstat(fd).st_size
        finally:
            os.close(fd)
        state = MISMATCH if self.spec.checksum and digest != self.spec.checksum else PRESENT
        return {'state': state, 'sha256': digest, 'size': size}

    def _result(self, before, changed, action, after):
        before_view = dict((k, before[k]) for k in ('state', 'sha256', 'size') if k in before)
        after_view = {'state': PRESENT}
        if after.get('sha256'):
            after_view.update(sha256=after['sha256'], size=after['size'])
        return self.sources.result(
            changed, action, {'before': before_view, 'after': after_view},
            path=self.path, upstream=self.spec.upstream_shown, sha256=after.get('sha256'), size=after.get('size'),
            source=after.get('source'), etag=after.get('etag'), last_modified=after.get('last_modified'))

    def messages(self):
        """Warnings for the module to give: the sources that failed before one served."""
        return self.sources.messages()
