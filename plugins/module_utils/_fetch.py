# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fetching: one archive from one source as a resumable, hashing byte stream.

``open_source`` returns a file-like object whose ``read(n)`` yields the archive's bytes in
order, whatever the network does underneath: a cut connection, a stall or a 5xx is retried
with back-off and resumed with ``Range`` + ``If-Range`` from the byte already reached, so the
consumer (gunzip, then tar) never sees the fault. Every byte handed out is hashed once.

Invariants (a mirror may be wrong or hostile):
- Time is bounded whatever the server does: every blocking step (connect + headers, each read) has a deadline of
  ``timeout`` seconds, and a window of ``timeout`` seconds that brings less than ``LOW_WATER`` bytes counts as a
  failure like a stall, so a server trickling one byte a second is given up after about ``timeout x (retries + 1)``.
- Bytes are bounded: a source announcing or sending more than ``max_bytes`` is given up.
- Redirects are followed here, at most ``MAX_REDIRECTS``, to http and https only, and credentials are not sent to
  another host than the one they were given for.
- URLs are shown with their userinfo redacted (:func:`redact`), everywhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import stat
import threading
import time
from urllib.parse import unquote, urlsplit, urlunsplit

from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError

SCHEMES = ('http', 'https', 'file')
LOW_WATER = 64 * 1024   # bytes a source must bring per ``timeout`` seconds
MAX_REDIRECTS = 5
_AUTH_OPTIONS = ('url_username', 'url_password', 'force_basic_auth')


def _urls():
    """ansible.module_utils.urls, imported at the first download: a no-op rerun never pays for it (~60 ms)."""
    from ansible.module_utils import urls
    return urls


def _transient():
    """Errors worth a retry (socket.timeout and connection resets are OSErrors)."""
    import http.client  # only when downloading: a no-op rerun does not pay for it
    import urllib.error  # only when downloading: a no-op rerun does not pay for it
    return (OSError, http.client.HTTPException, urllib.error.URLError, _urls().ConnectionError)


class SourceError(ZooError):
    """This source cannot serve the archive; the next source may."""


class RestartRequired(SourceError):
    """The server answered a resume with the whole body (Range ignored or content changed)."""


def redact(url):
    """``url`` with any ``user:password@`` replaced by ``***@``: what every message, result and marker shows."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return '<an unparsable URL>'
    if '@' not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc='***@' + parts.netloc.rpartition('@')[2]))


def secrets_of(urls):
    """The passwords written into ``urls``, for the module's no_log values (user names are not secret, and
    masking a short one would mask it in every path of the output)."""
    found = set()
    for url in urls:
        try:
            password = urlsplit(url).password
        except ValueError:
            continue
        if password:
            found.update((password, unquote(password)))
    return found


def same_resource(a, b):
    """Whether two URLs name the same resource: equal, or equal but for http/https (the catalog moved to https;
    installs recorded from the http URL of the same archive are not re-downloaded for it)."""
    if a == b:
        return True
    strip = [u.split('://', 1)[1] if u.lower().startswith(('http://', 'https://')) else None for u in (a, b)]
    return strip[0] is not None and strip[0] == strip[1]


def check_url(url):
    """Reject what we cannot fetch before any work is done."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in SCHEMES:
        raise ZooError("unsupported URL scheme '%s' in %s: use http, https or file" % (scheme, redact(url)))
    return url


class Timeout(socket.timeout):
    """A blocking step ran past its deadline (a trickling or silent peer)."""


@contextlib.contextmanager
def deadline(seconds):
    """Raise Timeout in the blocked call when ``seconds`` pass (main thread only: the module's own process)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(_signum, _frame):
        raise Timeout('no answer within %s seconds' % seconds)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def archive_url(base, filename):
    """The URL of ``filename`` (``<key>.tar.gz``) on a server serving the zoo's archives at ``base`` (a mirror, or
    an upstream that replaces the catalog's): the one place that joins them."""
    return check_url(base.rstrip('/') + '/' + filename)


def source_urls(upstream, mirrors, filename):
    """Mirrors first, in the order given, then upstream: each mirror base gets the file name appended."""
    return [archive_url(m, filename) for m in mirrors or ()] + [check_url(upstream)]


def backoff(attempt):
    """Seconds to wait before retry number ``attempt`` (1-based): 0.5, 1, 2, 4, 8, 8…"""
    return min(0.5 * 2 ** (attempt - 1), 8.0)


class HashingStream(object):
    """Base: counts and hashes what ``read`` hands out; subclasses supply ``_read``."""

    def __init__(self, url, max_bytes=None):
        self.url = url
        self.shown = redact(url)
        self.max_bytes = max_bytes
        self.offset = 0           # archive bytes handed out so far
        self.bytes_downloaded = 0  # bytes received, including any fetched twice
        self.size = None          # total archive size when the source tells it
        self.sha256 = hashlib.sha256()

    def read(self, n=-1):
        data = self._read(n if n and n > 0 else 1 << 20)
        if data:
            self.offset += len(data)
            limit = self.max_bytes
            if limit is not None and self.offset > limit:
                raise SourceError('%s sent more than %d MB, the limit for this archive (max_size); given up'
                                  % (self.shown, limit // 1000000))
            self.sha256.update(data)
        return data

    def _check_size(self):
        size, limit = self.size, self.max_bytes
        if size is not None and limit is not None and size > limit:
            raise SourceError('%s announces %s bytes, more than the limit for this archive (%s, from max_size); '
                              'given up' % (self.shown, size, limit))

    def close(self):
        pass


class FileStream(HashingStream):
    """A file:// source: a local archive, read in order."""

    def __init__(self, url, max_bytes=None):
        super(FileStream, self).__init__(url, max_bytes)
        path = unquote(urlsplit(url).path)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the run
        except OSError as e:
            raise SourceError('cannot open %s: %s' % (self.shown, e.strerror))
        self._fh = os.fdopen(fd, 'rb')
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            self._fh.close()
            raise SourceError('%s is not a regular file' % self.shown)
        self.size = st.st_size
        self._check_size()

    def _read(self, n):
        data = self._fh.read(n)
        self.bytes_downloaded += len(data)
        return data

    def close(self):
        self._fh.close()


class HttpStream(HashingStream):
    """An http(s) source that survives cuts, stalls and 5xx by resuming where it stopped."""

    def __init__(self, url, timeout=30, retries=5, url_options=None, sleep=time.sleep, max_bytes=None):
        super(HttpStream, self).__init__(url, max_bytes)
        self.timeout = timeout
        self.retries = retries
        self.url_options = dict(url_options or {})
        self.failures = 0          # consecutive failures without progress
        self.faults = 0            # every failure survived, for the result and the reports
        self._failed_at = 0        # offset of the last failure
        self._sleep = sleep
        self._validator = None
        self._location = url       # where redirects led
        self._window = (time.monotonic(), 0)  # (start, offset at start) of the current throughput window
        self._slow_window = None
        self._resp = self._request()

    def _open(self, url, headers):
        options = self.url_options
        if urlsplit(url).netloc.rpartition('@')[2] != urlsplit(self.url).netloc.rpartition('@')[2]:
            options = dict((k, v) for k, v in options.items() if k not in _AUTH_OPTIONS)
        with deadline(self.timeout):
            return _urls().open_url(url, headers=headers, timeout=self.timeout, decompress=False,
                                    follow_redirects='none', **options)

    def _follow(self, headers):
        """Open ``self._location``, following at most MAX_REDIRECTS redirects to http(s) URLs."""
        import urllib.error  # only when downloading: a no-op rerun does not pay for it
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                return self._open(self._location, headers)
            except urllib.error.HTTPError as e:
                if not 300 <= e.code < 400:
                    raise
                target = e.geturl() or ''
                if urlsplit(target).scheme.lower() not in ('http', 'https'):
                    raise SourceError('%s redirects to %s; only http and https redirects are followed'
                                      % (self.shown, redact(target)[:300]))
                self._location = target
        raise SourceError('%s redirects more than %d times; given up' % (self.shown, MAX_REDIRECTS))

    def _request(self):
        """One GET from ``self.offset``; retried here until it answers or retries run out."""
        import urllib.error  # only when downloading: a no-op rerun does not pay for it
        while True:
            headers = {}
            if self.offset:
                headers['Range'] = 'bytes=%d-' % self.offset
                if self._validator:
                    headers['If-Range'] = self._validator
            try:
                resp = self._follow(headers)
            except urllib.error.HTTPError as e:
                reason = str(e.reason)[:200]
                if e.code < 500 and e.code != 408 and e.code != 429:
                    raise SourceError('HTTP %d %s from %s' % (e.code, reason, self.shown))
                self._failed('HTTP %d %s' % (e.code, reason))
                continue
            except _transient() as e:
                if not self.offset and _unreachable(e):
                    raise SourceError('cannot reach %s: %s' % (self.shown, _why(e)))
                self._failed(_why(e))
                continue
            self._window = (time.monotonic(), self.offset)
            return self._accept(resp)

    def _accept(self, resp):
        status = getattr(resp, 'status', None) or resp.getcode()
        if self.offset and status != 206:
            resp.close()
            raise RestartRequired('%s ignored the Range request (HTTP %s): restarting from byte 0'
                                  % (self.shown, status))
        if self.offset:
            start = _content_range_start(resp.headers.get('Content-Range'))
            if start != self.offset:
                resp.close()
                raise RestartRequired('%s resumed at byte %s instead of %d' % (self.shown, start, self.offset))
        else:
            length = resp.headers.get('Content-Length')
            self.size = int(length) if length and length.isdigit() and len(length) < 20 else None
            self._validator = resp.headers.get('ETag') or resp.headers.get('Last-Modified')
            try:
                self._check_size()
            except SourceError:
                resp.close()
                raise
        return resp

    def _failed(self, why):
        if self.offset >= self._failed_at + LOW_WATER:
            self.failures = 0  # real progress since the last failure: a flaky link, not a dead source
        self._failed_at = self.offset
        self.failures += 1
        self.faults += 1
        if self.failures > self.retries:
            raise SourceError('%s failed after %d retries (last error: %s)' % (self.shown, self.retries, why))
        self._sleep(backoff(self.failures))

    def _slow(self, fresh):
        """Why the current window is too slow (fewer than LOW_WATER bytes in ``timeout`` seconds), or None;
        ``fresh`` bytes were just received and are not counted in ``offset`` yet."""
        started, at = self._window
        spent = time.monotonic() - started
        if spent < self.timeout:
            return None
        got = self.offset + fresh - at
        self._window = (time.monotonic(), self.offset + fresh)
        if got >= LOW_WATER:
            return None
        return 'too slow: %d bytes in %.0f seconds (at least %d expected)' % (got, spent, LOW_WATER)

    def _read(self, n):
        import http.client  # only when downloading: a no-op rerun does not pay for it
        if self._slow_window:
            why, self._slow_window = self._slow_window, None
            self._resume(why)
        while True:
            try:
                with deadline(self.timeout):
                    data = self._resp.read1(n) if hasattr(self._resp, 'read1') else self._resp.read(n)
            except http.client.IncompleteRead:
                data = None
            except (OSError, http.client.HTTPException) as e:
                self._resume(_why(e))
                continue
            if data:
                self.bytes_downloaded += len(data)
                self._slow_window = self._slow(len(data))  # reconnect at the next read: these bytes are good
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


def _why(error):
    """A short text for a network error."""
    return (str(error) or error.__class__.__name__)[:300]


def _unreachable(error):
    """Refused connections, unknown hosts and TLS failures: retrying the same source will not help."""
    import ssl  # only when downloading: a no-op rerun does not pay for it
    reason = getattr(error, 'reason', error)
    return isinstance(error, _urls().SSLValidationError) or isinstance(
        reason, (ConnectionRefusedError, socket.gaierror, ssl.SSLError))


def _content_range_start(value):
    """'bytes 100-199/200' -> 100; anything unparsable -> None."""
    try:
        return int(value.split()[1].split('-')[0])
    except (AttributeError, IndexError, ValueError):
        return None


def open_source(url, timeout=30, retries=5, url_options=None, sleep=time.sleep, max_bytes=None, cls=None):
    """A HashingStream for ``url``; raises SourceError when this source cannot serve it."""
    if urlsplit(url).scheme.lower() == 'file':
        return FileStream(url, max_bytes=max_bytes)
    return (cls or HttpStream)(url, timeout=timeout, retries=retries, url_options=url_options, sleep=sleep,
                               max_bytes=max_bytes)
