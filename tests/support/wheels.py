"""The Pis' "PyPI" on 127.0.0.1: the runtime wheels of the test Pis' platforms, fetched once from the real PyPI
(the machine's pip configuration) into .cache/wheels/<digest>/ with the same ``pip download`` the mirror runs
(plugins/module_utils/_wheelhouse.py), then served as a PEP 503 index by a server that counts requests and bytes
per file. Tests never reach PyPI themselves: only this cache fill does, once per cache key.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ansible_collections.labfleet.zoo.plugins.module_utils import _lab, _wheelhouse
from ansible_collections.labfleet.zoo.tests.support.repo import REPO
from ansible_collections.labfleet.zoo.tests.support.trees import digest

CACHE = REPO / '.cache' / 'wheels'
# Debian bookworm on both Pis (tests/support/arm.py): Python 3.11, glibc 2.36.
PLATFORMS = ('aarch64-py3.11-glibc2.36', 'armv7l-py3.11-glibc2.36')


def cache_dir(platforms=PLATFORMS):
    key = json.dumps([_lab.PI_RUNTIME_WHEELS, sorted(platforms)], sort_keys=True)
    return CACHE / hashlib.sha256(key.encode()).hexdigest()[:16]


# This machine as a "Pi" for the native tests of the runtime part (tests/security): the 64-bit line's package on
# x86_64, whose wheels PyPI has too; fetched for this machine's own tags.
NATIVE = 'native'
NATIVE_LINE = dict(next(line for line in _lab.PI_RUNTIME_WHEELS if line['bits'] == 64), machine='x86_64')


def _download(platform, dest):
    if platform == NATIVE:
        return [sys.executable, '-m', 'pip', 'download', '--only-binary=:all:', '--no-input', '--dest', str(dest),
                '%s==%s' % (NATIVE_LINE['package'], NATIVE_LINE['version'])]
    return _wheelhouse.download_command(sys.executable, platform, dest)


def fill(platforms=PLATFORMS):
    """(folder, {platform: [wheel file names]}): every platform's wheels, downloaded once from PyPI."""
    folder = cache_dir(platforms)
    listing = folder / 'platforms.json'
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not listing.is_file():
            work = Path(tempfile.mkdtemp(prefix='fill-', dir=str(CACHE)))
            try:
                found = {}
                for platform in platforms:
                    dest = work / platform
                    subprocess.run(_download(platform, dest), check=True,
                                   stdout=subprocess.DEVNULL, timeout=900)
                    found[platform] = sorted(p.name for p in dest.iterdir())
                    for path in dest.iterdir():
                        os.replace(str(path), str(work / path.name))
                    dest.rmdir()
                (work / 'platforms.json').write_text(json.dumps(found, indent=2, sort_keys=True))
                if folder.exists():
                    shutil.rmtree(str(folder))
                os.rename(str(work), str(folder))
            finally:
                if work.exists():
                    shutil.rmtree(str(work))
    return folder, json.loads(listing.read_text())


class WheelIndex(ThreadingHTTPServer):
    """A PEP 503 index of the wheels in ``folder`` (``/simple/<name>/``, files at ``/wheels/<file>``), counting
    GET requests and bytes sent per path."""

    daemon_threads = True

    def __init__(self, folder):
        super(WheelIndex, self).__init__(('127.0.0.1', 0), _IndexHandler)
        self.files = dict((p.name, digest(p)) for p in Path(folder).iterdir() if p.suffix == '.whl')
        self.folder = Path(folder)
        self.pages = _wheelhouse.index_pages(self.files)
        self.counts, self.bytes = {}, {}
        self.tampered = {}                  # {wheel file name: other bytes served under its name}
        self.stalled = threading.Event()    # set: every request waits (until stop) without an answer
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._thread = None

    @property
    def url(self):
        return 'http://127.0.0.1:%d/simple/' % self.server_address[1]

    def size(self, filename):
        return (self.folder / filename).stat().st_size

    def reset_counters(self):
        with self._lock:
            self.counts, self.bytes = {}, {}

    def record(self, path, sent):
        with self._lock:
            self.counts[path] = self.counts.get(path, 0) + 1
            self.bytes[path] = self.bytes.get(path, 0) + sent

    def wheel_requests(self):
        """{wheel file name: GET count}"""
        return dict((path.rsplit('/', 1)[1], n) for path, n in self.counts.items() if path.endswith('.whl'))

    def request_count(self):
        return sum(self.counts.values())

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever, name='wheel-index', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._released.set()
        self.shutdown()
        self.server_close()


class _IndexHandler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split('?', 1)[0].split('#', 1)[0]
        rel = path.lstrip('/')
        if self.server.stalled.is_set():
            self.server.record(path, 0)
            self.server._released.wait(300)
            return
        if rel.endswith('/') or rel == _wheelhouse.SIMPLE:
            rel = rel.rstrip('/') + '/index.html'
        if rel in self.server.pages:
            body, kind = self.server.pages[rel].encode('utf-8'), 'text/html'
        elif rel.startswith(_wheelhouse.WHEELS + '/') and rel.split('/', 1)[1] in self.server.files:
            name = rel.split('/', 1)[1]
            body = self.server.tampered.get(name) or (self.server.folder / name).read_bytes()
            kind = 'application/octet-stream'
        else:
            self.send_error(404)
            self.server.record(path, 0)
            return
        self.send_response(200)
        self.send_header('Content-Type', kind)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.record(path, len(body))


@contextlib.contextmanager
def served_wheels(platforms=PLATFORMS):
    folder, by_platform = fill(platforms)
    server = WheelIndex(folder).start()
    server.by_platform = by_platform
    try:
        yield server
    finally:
        server.stop()
