# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fetching: one archive from one source as a resumable, hashing byte stream.

``open_source`` returns a file-like object whose ``read(n)`` yields the archive's bytes in
order, whatever the network does underneath: a cut connection, a stall or a 5xx is retried
with back-off and resumed with ``Range`` + ``If-Range`` from the byte already reached, so the
consumer (gunzip, then tar) never sees the fault. Every byte handed out is hashed once.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import ssl
import time
import urllib.error
from urllib.parse import unquote, urlsplit

from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError

SCHEMES = ('http', 'https', 'file')


def _urls():
    """ansible.module_utils.urls, imported at the first download: a no-op rerun never pays for it (~60 ms)."""
    from ansible.module_utils import urls
    return urls


def _transient():
    """Errors worth a retry (socket.timeout and connection resets are OSErrors)."""
    return (OSError, http.client.HTTPException, urllib.error.URLError, _urls().ConnectionError)


class SourceError(ZooError):
    """This source cannot serve the archive; the next source may."""


class RestartRequired(SourceError):
    """The server answered a resume with the whole body (Range ignored or content changed)."""


def check_url(url):
    """Reject what we cannot fetch before any work is done."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in SCHEMES:
        raise ZooError("unsupported URL scheme '%s' in %s: use http, https or file" % (scheme, url))
    return url


def source_urls(upstream, mirrors, filename):
    """Mirrors first, in the order given, then upstream: each mirror base gets the file name appended."""
    urls = [check_url(m.rstrip('/') + '/' + filename) for m in mirrors or ()]
    return urls + [check_url(upstream)]


def backoff(attempt):
    """Seconds to wait before retry number ``attempt`` (1-based): 0.5, 1, 2, 4, 8, 8…"""
    return min(0.5 * 2 ** (attempt - 1), 8.0)


class HashingStream(object):
    """Base: counts and hashes what ``read`` hands out; subclasses supply ``_read``."""

    def __init__(self, url):
        self.url = url
        self.offset = 0           # archive bytes handed out so far
        self.bytes_downloaded = 0  # bytes received, including any fetched twice
        self.size = None          # total archive size when the source tells it
        self.sha256 = hashlib.sha256()

    def read(self, n=-1):
        data = self._read(n if n and n > 0 else 1 << 20)
        if data:
            self.offset += len(data)
            self.sha256.update(data)
        return data

    def close(self):
        pass


class FileStream(HashingStream):
    """A file:// source: a local archive, read in order."""

    def __init__(self, url):
        super(FileStream, self).__init__(url)
        path = unquote(urlsplit(url).path)
        try:
            self._fh = open(path, 'rb')
        except OSError as e:
            raise SourceError('cannot open %s: %s' % (url, e.strerror))
        self.size = os.fstat(self._fh.fileno()).st_size

    def _read(self, n):
        data = self._fh.read(n)
        self.bytes_downloaded += len(data)
        return data

    def close(self):
        self._fh.close()


class HttpStream(HashingStream):
    """An http(s) source that survives cuts, stalls and 5xx by resuming where it stopped."""

    def __init__(self, url, timeout=30, retries=5, url_options=None, sleep=time.sleep):
        super(HttpStream, self).__init__(url)
        self.timeout = timeout
        self.retries = retries
        self.url_options = dict(url_options or {})
        self.failures = 0          # consecutive failures without progress
        self.faults = 0            # every failure survived, for the result and the reports
        self._failed_at = 0        # offset of the last failure
        self._sleep = sleep
        self._validator = None
        self._resp = self._request()

    def _open(self, headers):
        return _urls().open_url(self.url, headers=headers, timeout=self.timeout, decompress=False,
                                follow_redirects='safe', **self.url_options)

    def _request(self):
        """One GET from ``self.offset``; retried here until it answers or retries run out."""
        while True:
            headers = {}
            if self.offset:
                headers['Range'] = 'bytes=%d-' % self.offset
                if self._validator:
                    headers['If-Range'] = self._validator
            try:
                resp = self._open(headers)
            except urllib.error.HTTPError as e:
                if e.code < 500 and e.code != 408 and e.code != 429:
                    raise SourceError('HTTP %d %s from %s' % (e.code, e.reason, self.url))
                self._failed('HTTP %d %s' % (e.code, e.reason))
                continue
            except _transient() as e:
                if not self.offset and _unreachable(e):
                    raise SourceError('cannot reach %s: %s' % (self.url, e))
                self._failed(str(e) or e.__class__.__name__)
                continue
            return self._accept(resp)

    def _accept(self, resp):
        status = getattr(resp, 'status', None) or resp.getcode()
        if self.offset and status != 206:
            resp.close()
            raise RestartRequired('%s ignored the Range request (HTTP %s): restarting from byte 0' % (self.url, status))
        if self.offset:
            start = _content_range_start(resp.headers.get('Content-Range'))
            if start != self.offset:
                resp.close()
                raise RestartRequired('%s resumed at byte %s instead of %d' % (self.url, start, self.offset))
        else:
            length = resp.headers.get('Content-Length')
            self.size = int(length) if length and length.isdigit() else None
            self._validator = resp.headers.get('ETag') or resp.headers.get('Last-Modified')
        return resp

    def _failed(self, why):
        if self.offset > self._failed_at:
            self.failures = 0  # progress since the last failure: a flaky link, not a dead source
        self._failed_at = self.offset
        self.failures += 1
        self.faults += 1
        if self.failures > self.retries:
            raise SourceError('%s failed after %d retries (last error: %s)' % (self.url, self.retries, why))
        self._sleep(backoff(self.failures))

    def _read(self, n):
        while True:
            try:
                data = self._resp.read(n)
            except http.client.IncompleteRead:
                data = None
            except (OSError, http.client.HTTPException) as e:
                self._resume(str(e) or e.__class__.__name__)
                continue
            if data:
                self.bytes_downloaded += len(data)
                return data
            if self.size is None or self.offset >= self.size:
                return b''
            self._resume('connection closed at byte %d of %d' % (self.offset, self.size))

    def _resume(self, why):
        self._resp.close()
        self._failed(why)
        self._resp = self._request()

    def close(self):
        self._resp.close()


def _unreachable(error):
    """Refused connections, unknown hosts and TLS failures: retrying the same source will not help."""
    reason = getattr(error, 'reason', error)
    return isinstance(error, _urls().SSLValidationError) or isinstance(
        reason, (ConnectionRefusedError, socket.gaierror, ssl.SSLError))


def _content_range_start(value):
    """'bytes 100-199/200' -> 100; anything unparsable -> None."""
    try:
        return int(value.split()[1].split('-')[0])
    except (AttributeError, IndexError, ValueError):
        return None


def open_source(url, timeout=30, retries=5, url_options=None, sleep=time.sleep):
    """A HashingStream for ``url``; raises SourceError when this source cannot serve it."""
    if urlsplit(url).scheme.lower() == 'file':
        return FileStream(url)
    return HttpStream(url, timeout=timeout, retries=retries, url_options=url_options, sleep=sleep)
