"""Disk full on a real tmpfs: a size known from the catalog or from Content-Length is refused before
downloading; an unknown size (chunked) fails while extracting and gives every byte back."""

from __future__ import annotations

import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._install import Installer
from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params
from ansible_collections.labfleet.zoo.tests.support import runner
from ansible_collections.labfleet.zoo.tests.support.reliability.common import MiB, Outcome, can_mount, free_bytes, leftovers, mounted_tmpfs, quick_sleep
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import archive_info, build_archive
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer

KNOWN_SIZE_MODEL = 'efficientdet_d3_coco17_tpu-32'  # the catalog knows its archive size (92858658 bytes)


class _ChunkedHandler(BaseHTTPRequestHandler):
    """Serves a file with Transfer-Encoding: chunked and no Content-Length: the size is unknown in advance."""
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = os.path.join(self.server.root, self.path.lstrip('/'))
        self.server.requests += 1
        if not os.path.isfile(path):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header('Content-Type', 'application/gzip')
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        try:
            with open(path, 'rb') as fh:
                for block in iter(lambda: fh.read(64 * 1024), b''):
                    self.wfile.write(b'%x\r\n%s\r\n' % (len(block), block))
                    self.server.bytes_served += len(block)
                self.wfile.write(b'0\r\n\r\n')
        except OSError:
            pass


class ChunkedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root):
        self.root, self.requests, self.bytes_served = str(root), 0, 0
        super().__init__(('127.0.0.1', 0), _ChunkedHandler)

    def url_for(self, filename):
        return 'http://127.0.0.1:%d/%s' % (self.server_address[1], filename)

    def __enter__(self):
        threading.Thread(target=self.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


_NEEDS = re.compile(r'needs (\d+) MB, (\d+) MB free')


def disk_full(work, seed, quick=False):
    out = Outcome('disk full', seed)
    work = Path(work)
    if not can_mount():
        out.add('disk-full cases skipped')
        out.note('skipped: mounting a tmpfs needs root')
        return out.done()
    root = work / 'zoo'
    big = build_archive(root, 'big_model', size=6 * MiB, seed=8)
    big_info = archive_info(big)
    # Known size, from the catalog, through the real module: refused before any request.
    with ZooServer(str(root)) as server, mounted_tmpfs(work / 'mnt1') as mnt:
        dest = mnt / 'pre_trained'
        run = runner.adhoc(dict(name=KNOWN_SIZE_MODEL, dest=str(dest), mirrors=[server.url]))
        rc, result, text = run.rc, run.result, run.text
        msg = result.get('msg', '')
        match = _NEEDS.search(msg)
        out.check(rc != 0 and match and match.group(1) == '93' and KNOWN_SIZE_MODEL in msg and str(dest) in msg,
                  'known size (catalog): message %r' % (msg or text[-400:]))
        out.check(server.request_count() == 0, 'known size (catalog): %d requests were made' % server.request_count())
        out.check('Traceback' not in text, 'known size (catalog): traceback')
        out.check(leftovers(dest) == [] and not (dest / KNOWN_SIZE_MODEL).exists(), 'known size (catalog): leftovers')
        out.note('catalog size: %s; %d requests' % (msg, server.request_count()))
        if match:
            out.add('disk full refused before downloading')
        # Known size from Content-Length: refused before reading the body.
        server.reset_counters()
        installer = Installer(from_params(dict(url=server.url_for(big.name), dest=str(dest), timeout=5, retries=1)),
                              sleep=quick_sleep)
        try:
            installer.present()
            out.check(False, 'Content-Length larger than the tmpfs: installed')
        except ZooError as e:
            match = _NEEDS.search(str(e))
            out.check(match is not None and match.group(1) == str(-(-big_info['size'] // 1000000)),
                      'Content-Length: message %r' % str(e))
            out.check(installer.bytes_downloaded == 0,
                      'Content-Length: %d body bytes were read before refusing' % installer.bytes_downloaded)
            out.check(leftovers(dest) == [] and not (dest / 'big_model').exists(), 'Content-Length: leftovers')
            out.note('Content-Length: %s; body bytes read 0, bytes the server pushed into the socket %d'
                     % (e, server.bytes_served[big.name]))
            if match:
                out.add('disk full refused before downloading')
    # Unknown size (chunked, no Content-Length): fails while extracting, cleanly.
    with ChunkedServer(root) as chunked, mounted_tmpfs(work / 'mnt2') as mnt:
        dest = mnt / 'pre_trained'
        baseline = None
        dest.mkdir()
        baseline = free_bytes(mnt)
        try:
            Installer(from_params(dict(url=chunked.url_for(big.name), dest=str(dest), timeout=5, retries=1)),
                      sleep=quick_sleep).present()
            out.check(False, 'unknown size: a 6 MiB model was installed on a 4 MiB tmpfs')
        except ZooError as e:
            msg = str(e)
            out.check('big_model' in msg and ('disk full' in msg or 'MB free' in msg),
                      'unknown size: unclear message %r' % msg)
            out.note('unknown size (chunked): %s' % msg)
        out.check(leftovers(dest) == [], 'unknown size: staging leftovers %s' % leftovers(dest))
        out.check(not (dest / 'big_model').exists(), 'unknown size: a model folder was left')
        freed = free_bytes(mnt)
        out.check(freed >= baseline - 64 * 1024, 'unknown size: %d bytes not given back' % (baseline - freed))
        if not leftovers(dest) and not (dest / 'big_model').exists():
            out.add('disk full cleaned up (size unknown)')
    return out.done()
