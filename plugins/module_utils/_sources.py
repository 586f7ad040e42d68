# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one source loop of labfleet.zoo.model and labfleet.zoo.archive: mirrors in order, then upstream.

A run makes one :class:`Sources` and asks it for the archive with :meth:`Sources.fetch`, handing it a factory of
sinks: a sink receives one attempt's stream (the installer extracts it into a staging folder, the archive keeper
writes it into a temporary file), is committed once the archive is complete and verified, and discarded otherwise.

Invariants:
- Sources are tried in the order of ``spec.sources``. A source that cannot serve the archive (SourceError: down,
  an HTTP error, too slow, too big, a checksum mismatch; UnsafeArchive; DiskFull for the size it announced) is
  recorded in ``failed_sources`` (URL redacted) and the next one is tried; any other error ends the run.
- A server that answers a resume with the whole body (RestartRequired) is asked again from byte 0 into a fresh
  sink, at most ``spec.retries`` times per source: nothing of an abandoned attempt is kept.
- Space is checked before bytes are written: the catalog's size once, before the first request (true for every
  source, so the run stops there), and the size a source announces before its body is read.
- A sink is committed only when its stream ended and the archive's sha256 matches ``spec.checksum`` (when one is
  pinned); every other way out discards it.
"""

from __future__ import annotations

import time

from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import RestartRequired, SourceError, open_source, redact
from ansible_collections.labfleet.zoo.plugins.module_utils._unpack import DiskFull, UnsafeArchive, need_space


class Sources(object):
    """The sources of one run of ``spec`` and what came of them: ``bytes_downloaded`` (every byte received, a
    re-fetch included), ``failed_sources`` ('url: why', of the sources tried before the one that served),
    ``served`` (the redacted URL that served) and the time the run started, for :meth:`result`."""

    def __init__(self, spec, sleep=time.sleep, stream_class=None):
        self.spec = spec
        self.sleep = sleep
        self.stream_class = stream_class
        self.bytes_downloaded = 0
        self.failed_sources = []
        self.served = None
        self.started = time.monotonic()

    def fetch(self, sink, space, what, failure):
        """What ``sink()``'s ``commit(stream, sha256)`` returns for the first source that serves a valid archive.

        ``sink()`` makes a fresh sink for each attempt (``receive(stream)``, ``commit(stream, sha256)``,
        ``discard()``); ``space`` is the folder (descriptor or path) the bytes land in, ``what`` names them in
        a space message; when no source serves, ZooError says ``failure`` then why each source failed.
        """
        spec = self.spec
        if spec.size:
            need_space(space, spec.size, what, spec.dest)
        errors = []
        for url in spec.sources:
            try:
                value = self._from_source(url, sink, space, what)
            except (SourceError, UnsafeArchive, DiskFull) as e:
                errors.append('%s: %s' % (redact(url), e))
                continue
            self.failed_sources = errors
            return value
        raise ZooError('%s\n  %s' % (failure, '\n  '.join(errors)))

    def _from_source(self, url, sink, space, what):
        for attempt in range(self.spec.retries + 1):
            try:
                return self._attempt(url, sink(), space, what)
            except RestartRequired:
                if attempt == self.spec.retries:
                    raise
        raise AssertionError('unreachable')

    def _attempt(self, url, target, space, what):
        spec = self.spec
        try:
            stream = open_source(url, spec.timeout, spec.retries, spec.url_options, self.sleep,
                                 max_bytes=spec.max_download, cls=self.stream_class)
            try:
                if stream.size and not spec.size:
                    need_space(space, stream.size, '%s (size announced by %s)' % (what, stream.shown), spec.dest)
                target.receive(stream)
            finally:
                self.bytes_downloaded += stream.bytes_downloaded
                stream.close()
            digest = stream.sha256.hexdigest()
            if spec.checksum and digest != spec.checksum:
                raise SourceError('checksum mismatch for model %s: expected sha256 %s, got %s'
                                  % (spec.key, spec.checksum, digest))
            value = target.commit(stream, digest)
        except BaseException:
            target.discard()
            raise
        self.served = stream.shown
        return value

    def result(self, changed, action, diff, **fields):
        """The result every download module returns: ``fields`` plus changed, action, bytes_downloaded, elapsed,
        failed_sources (when some failed) and diff (the module drops it unless the task asked for one)."""
        out = dict(fields, changed=changed, action=action, bytes_downloaded=self.bytes_downloaded,
                   elapsed=round(time.monotonic() - self.started, 3))
        if self.failed_sources:
            out['failed_sources'] = list(self.failed_sources)
        out['diff'] = diff
        return out

    def messages(self):
        """A warning for each source that failed before one served."""
        return ['model %s: a source failed before %s served: %s' % (self.spec.key, self.served, failure)
                for failure in self.failed_sources]
