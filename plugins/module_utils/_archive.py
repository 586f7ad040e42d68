# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keeping one verified archive file, ``<dest>/<key>.tar.gz``: what a lab mirror serves.

The archive is streamed from its sources (the same resumable, hashing streams as the installer) into a hidden
``.<key>.tar.gz.<rand>.part`` beside the final file, checked as it arrives (sha256, a complete gzip stream, the
pinned checksum when one is given), and only then moved into place. A file already there is kept when its sha256
matches the checksum (or when no checksum is pinned); one that does not match is fetched again.
"""

from __future__ import annotations

import os
import tempfile
import time

from ansible_collections.labfleet.zoo.plugins.module_utils import _manifest
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import HttpStream, RestartRequired, SourceError, open_source, redact
from ansible_collections.labfleet.zoo.plugins.module_utils._unpack import DiskFull, GunzipReader, UnsafeArchive, need_space

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


def _open(url, spec, sleep):
    return open_source(url, spec.timeout, spec.retries, spec.url_options, sleep, max_bytes=spec.max_download,
                       cls=_ValidatedHttpStream)


class Keeper(object):
    """Brings ``<spec.dest>/<spec.key>.tar.gz`` to a verified copy; ``move(src, dest)`` is the final rename."""

    def __init__(self, spec, check_mode=False, move=None, sleep=time.sleep):
        self.spec = spec
        self.filename = spec.key + '.tar.gz'
        self.path = os.path.join(spec.dest, self.filename)
        self.check_mode = check_mode
        self.move = move or os.rename
        self.sleep = sleep
        self.bytes_downloaded = 0
        self.failed_sources = []
        self.started = time.monotonic()

    def present(self):
        try:
            return self._present()
        except OSError as e:
            raise ZooError('cannot keep the archive of %s in %s: %s' % (self.spec.key, self.spec.dest, e))

    def _present(self):
        before = self._observe()
        if before['state'] == 'present' and not self.spec.force:
            return self._result(before, False, 'unchanged', before)
        action = 'repaired' if before['state'] == 'mismatch' else 'downloaded'
        if self.check_mode:
            return self._result(before, True, action, {})
        if not os.path.isdir(self.spec.dest):
            raise ZooError('the folder %s does not exist: create it first' % self.spec.dest)
        return self._result(before, True, action, self._fetch())

    def _observe(self):
        if not os.path.isfile(self.path):
            return {'state': 'absent'}
        digest = _manifest.file_sha256(self.path)
        state = 'mismatch' if self.spec.checksum and digest != self.spec.checksum else 'present'
        return {'state': state, 'sha256': digest, 'size': os.path.getsize(self.path)}

    def _fetch(self):
        for url in self.spec.sources:
            try:
                return self._from_source(url)
            except (SourceError, UnsafeArchive, DiskFull) as e:
                self.failed_sources.append('%s: %s' % (redact(url), e))
        raise ZooError('could not fetch the archive of model %s into %s: no source served a valid archive.\n  %s'
                       % (self.spec.key, self.spec.dest, '\n  '.join(self.failed_sources)))

    def _from_source(self, url):
        for attempt in range(self.spec.retries + 1):
            try:
                return self._download(url)
            except RestartRequired:
                if attempt == self.spec.retries:
                    raise

    def _download(self, url):
        spec = self.spec
        what = 'the archive of model %s' % spec.key
        if spec.size:
            need_space(spec.dest, spec.size, what)
        fd, part = tempfile.mkstemp(prefix='.%s.' % self.filename, suffix='.part', dir=spec.dest)
        try:
            with os.fdopen(fd, 'wb') as out:
                stream = _open(url, spec, self.sleep)
                try:
                    if stream.size and not spec.size:
                        need_space(spec.dest, stream.size, what + ' (size announced by %s)' % stream.shown)
                    GunzipReader(_Tee(stream, out), 'archive %s from %s' % (self.filename, stream.shown),
                                 limit=spec.max_stream).drain()
                finally:
                    self.bytes_downloaded += stream.bytes_downloaded
                    stream.close()
            digest = stream.sha256.hexdigest()
            if spec.checksum and digest != spec.checksum:
                raise SourceError('checksum mismatch for model %s: expected sha256 %s, got %s'
                                  % (spec.key, spec.checksum, digest))
            os.chmod(part, 0o644)
            self.move(part, self.path)
        finally:
            if os.path.exists(part):
                os.unlink(part)
        return {'sha256': digest, 'size': stream.offset, 'source': stream.shown,
                'etag': getattr(stream, 'etag', None), 'last_modified': getattr(stream, 'last_modified', None)}

    def _result(self, before, changed, action, after):
        result = dict(
            changed=changed, action=action, path=self.path, upstream=self.spec.upstream_shown,
            sha256=after.get('sha256'), size=after.get('size'), source=after.get('source'),
            etag=after.get('etag'), last_modified=after.get('last_modified'),
            bytes_downloaded=self.bytes_downloaded, elapsed=round(time.monotonic() - self.started, 3),
        )
        if self.failed_sources:
            result['failed_sources'] = list(self.failed_sources)
        before_view = dict((k, before[k]) for k in ('state', 'sha256', 'size') if k in before)
        after_view = {'state': 'present'}
        if after.get('sha256'):
            after_view.update(sha256=after['sha256'], size=after['size'])
        result['diff'] = {'before': before_view, 'after': after_view}
        return result
