#!/usr/bin/env python
"""A real HTTP/1.1 file server on 127.0.0.1 with fault injection, for tests, benchmarks and the demo.

Serves the files directly inside one folder (GET, HEAD, single byte ranges, If-Range) and can, per
file and per request, answer a status, reset the connection at a byte, close early, stall, ignore
Range, trickle the body or the headers a byte at a time, announce a false Content-Length, or redirect.
It counts the requests and the body bytes it sends.

    python tools/zoo_server.py --root DIR [--port N]
"""

from __future__ import annotations

import argparse
import collections
import email.utils
import fcntl
import os
import signal
import socket
import struct
import termios
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024
Fault = collections.namedtuple('Fault', 'kind at seconds code value', defaults=(None,))


def status(code):
    """Answer this HTTP status instead of the file."""
    return Fault('status', None, 0, code)


def reset(at):
    """Send the body up to absolute file offset ``at``, then abort the connection (TCP RST)."""
    return Fault('reset', at, 0, None)


def short(at):
    """Announce the full Content-Length but close cleanly after absolute offset ``at``."""
    return Fault('short', at, 0, None)


def stall(at, seconds):
    """Send up to offset ``at``, then go silent for ``seconds`` and close."""
    return Fault('stall', at, seconds, None)


def ignore_range():
    """Answer 200 with the whole body even if a Range was asked."""
    return Fault('ignore_range', None, 0, None)


def trickle(at, seconds):
    """Send up to offset ``at``, then one byte every ``seconds`` (never silent long enough for a read timeout)."""
    return Fault('trickle', at, seconds, None)


def trickle_headers(seconds):
    """Send the status line and headers one byte every ``seconds``."""
    return Fault('trickle_headers', None, seconds, None)


def lie_length(length):
    """Announce ``Content-Length: length`` whatever the file's size (then send the file)."""
    return Fault('lie_length', None, 0, None, length)


def redirect(location, code=302):
    """Answer ``code`` with ``Location: location``."""
    return Fault('redirect', None, 0, code, location)


class ZooServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root, host='127.0.0.1', port=0):
        self.root = os.path.abspath(str(root))
        self.ignore_range = False
        self._lock = threading.Lock()
        self._plans = {}
        self._thread = None
        self.reset_counters()
        super().__init__((host, port), _Handler)

    @property
    def url(self):
        return 'http://%s:%d' % self.server_address[:2]

    def url_for(self, filename):
        return '%s/%s' % (self.url, filename)

    def plan(self, filename, faults):
        """Each GET of ``filename`` consumes the next fault; then requests are served normally."""
        with self._lock:
            self._plans[filename] = list(faults)

    def next_fault(self, filename):
        with self._lock:
            plan = self._plans.get(filename)
            return plan.pop(0) if plan else None

    def reset_counters(self):
        with self._lock:
            self.bytes_served = collections.Counter()
            self.requests = []

    def record(self, request):
        with self._lock:
            self.requests.append(request)

    def count_bytes(self, filename, n):
        with self._lock:
            self.bytes_served[filename] += n

    def request_count(self, filename=None):
        with self._lock:
            return sum(1 for r in self.requests if filename is None or r['filename'] == filename)

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._thread is not None:  # shutdown() waits for a serve loop: only when one runs
            self.shutdown()
            self._thread = None
        self.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'ZooServer/1'

    def log_message(self, *args):
        pass  # quiet: the counters are the log

    def handle(self):
        try:
            super().handle()
        except OSError:
            pass  # a client that hangs up mid-answer is the point of some tests, not an error

    def do_HEAD(self):
        self._serve(body=False)

    def do_GET(self):
        self._serve(body=True)

    def _serve(self, body):
        name = self.path.split('?', 1)[0].lstrip('/')
        path = os.path.join(self.server.root, name)
        fault = self.server.next_fault(name) if body else None
        record = dict(method=self.command, filename=name, range=self.headers.get('Range'), status=None)
        self.server.record(record)  # before answering: a client that got the answer sees it counted
        if '/' in name or name in ('', '.', '..') or not os.path.isfile(path):
            return self._simple(404, record)
        if fault and fault.kind == 'status':
            return self._simple(fault.code, record)
        if fault and fault.kind == 'redirect':
            self.send_response(fault.code)
            self.send_header('Location', fault.value)
            self.send_header('Content-Length', '0')
            self.end_headers()
            record['status'] = fault.code
            return None
        if fault and fault.kind == 'trickle_headers':
            record['status'] = 200
            return self._trickle(b'HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\n' * 100, fault.seconds)
        size = os.path.getsize(path)
        stat = os.stat(path)
        etag = '"%x-%x"' % (stat.st_size, stat.st_mtime_ns)
        start, end = self._range(size, etag, fault)
        if start is None:
            self.send_response(416)
            self.send_header('Content-Range', 'bytes */%d' % size)
            self.send_header('Content-Length', '0')
            self.end_headers()
            record['status'] = 416
            return None
        code = 206 if self._ranged else 200
        self.send_response(code)
        self.send_header('Content-Type', 'application/gzip')
        length = fault.value if fault and fault.kind == 'lie_length' else end - start + 1
        self.send_header('Content-Length', str(length))
        self.send_header('Accept-Ranges', 'bytes')
        self.send_header('ETag', etag)
        self.send_header('Last-Modified', email.utils.formatdate(stat.st_mtime, usegmt=True))
        if code == 206:
            self.send_header('Content-Range', 'bytes %d-%d/%d' % (start, end, size))
        self.end_headers()
        record['status'] = code
        if body:
            self._send_body(path, name, start, end + 1, fault)

    def _range(self, size, etag, fault):
        """(first, last) byte to send; (None, None) when the range cannot be satisfied."""
        self._ranged = False
        value = self.headers.get('Range')
        ignore = self.server.ignore_range or (fault and fault.kind == 'ignore_range')
        if_range = self.headers.get('If-Range')
        if not value or ignore or (if_range and if_range != etag):
            return 0, size - 1
        try:
            unit, spec = value.split('=', 1)
            first, last = spec.split('-', 1)
            first = int(first)
            last = int(last) if last.strip() else size - 1
        except ValueError:
            return 0, size - 1
        if unit.strip() != 'bytes' or first >= size or last < first:
            return None, None
        self._ranged = True
        return first, min(last, size - 1)

    def _send_body(self, path, name, start, stop, fault):
        cut = fault.at if fault and fault.kind in ('reset', 'short', 'stall', 'trickle') else None
        with open(path, 'rb') as fh:
            fh.seek(start)
            pos = start
            while pos < stop:
                limit = stop if cut is None else min(stop, max(cut, pos))
                if pos >= limit:
                    break
                data = fh.read(min(CHUNK, limit - pos))
                try:
                    self.wfile.write(data)
                except OSError:
                    return  # the client went away
                self.server.count_bytes(name, len(data))
                pos += len(data)
        if cut is not None and pos < stop and fault.kind == 'trickle':
            with open(path, 'rb') as fh:
                fh.seek(pos)
                self._trickle(fh.read(stop - pos), fault.seconds, name)
        elif cut is not None and pos < stop:
            self._fault(fault)

    def _trickle(self, data, seconds, name=None, limit=300.0):
        """Send ``data`` one byte every ``seconds`` until the client hangs up (at most ``limit`` seconds)."""
        deadline = time.monotonic() + limit
        for i in range(len(data)):
            if time.monotonic() > deadline:
                break
            try:
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
            except OSError:
                return
            if name:
                self.server.count_bytes(name, 1)
            time.sleep(seconds)
        self.close_connection = True

    def _fault(self, fault):
        self.close_connection = True
        if fault.kind == 'stall':
            time.sleep(fault.seconds)
        if fault.kind == 'reset':
            self.wfile.flush()
            _wait_sent(self.connection)  # bytes counted as served must reach the client before the RST
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            self.connection.close()
            return
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _simple(self, code, record):
        body = ('%d\n' % code).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)
        record['status'] = code


def _wait_sent(sock, limit=5.0):
    """Wait (bounded) until the kernel's send queue of ``sock`` is empty."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if struct.unpack('i', fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b'\0' * 4))[0] == 0:
            return
        time.sleep(0.005)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--root', required=True, help='folder whose files are served')
    parser.add_argument('--port', type=int, default=0, help='port on 127.0.0.1 (default: any free port)')
    args = parser.parse_args(argv)
    serve_until_stopped(ZooServer(args.root, port=args.port))


def serve_until_stopped(server):
    """Serve in the foreground, announcing the URL, until SIGTERM or Ctrl-C."""
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
    print('serving %s' % server.url, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    server.server_close()


if __name__ == '__main__':
    main()
