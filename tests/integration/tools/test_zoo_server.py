# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/fixtures/zoo_server.py: a real HTTP/1.1 server on 127.0.0.1; every fault is observed from a real client."""

from __future__ import annotations

import http.client
import random
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import pytest

from ansible_collections.labfleet.zoo.tests.support.repo import REPO
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer, ignore_range, reset, short, stall, status

TOOL = REPO / 'tools' / 'fixtures' / 'zoo_server.py'
NAME = 'model.tar.gz'
SIZE = 300 * 1024 + 17  # several 64 KiB chunks and a ragged tail


@pytest.fixture
def data():
    return random.Random(1).randbytes(SIZE)


@pytest.fixture
def server(tmp_path, data):
    (tmp_path / NAME).write_bytes(data)
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'inner.bin').write_bytes(b'x')
    with ZooServer(tmp_path) as srv:
        yield srv


def request(server, method='GET', headers=None, path='/' + NAME, timeout=5):
    conn = http.client.HTTPConnection('127.0.0.1', server.server_address[1], timeout=timeout)
    conn.request(method, path, headers=headers or {})
    return conn, conn.getresponse()


def read_until_error(resp):
    """(bytes read, exception) reading in small pieces until the stream breaks or ends."""
    got = bytearray()
    try:
        while True:
            piece = resp.read(4096)
            if not piece:
                return bytes(got), None
            got += piece
    except (OSError, http.client.HTTPException) as exc:
        return bytes(got), exc


def settle(server, count=None, filename=NAME, served=None, timeout=2.0):
    """Wait until the server has recorded ``count`` requests and ``served`` body bytes of ``filename``.

    The server counts from its own threads, a moment after the client may already hold the answer.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ((count is None or server.request_count() >= count)
                and (served is None or server.bytes_served[filename] >= served)):
            return
        time.sleep(0.01)


def test_url_and_url_for(server):
    assert re.match(r'^http://127\.0\.0\.1:\d+$', server.url)
    assert server.url_for(NAME) == server.url + '/' + NAME


def test_get_full(server, data):
    with urllib.request.urlopen(server.url_for(NAME), timeout=5) as resp:
        body = resp.read()
        assert resp.status == 200
        assert resp.headers['Content-Length'] == str(SIZE)
        assert resp.headers['Accept-Ranges'] == 'bytes'
        assert resp.headers['ETag'] and resp.headers['Last-Modified']
    assert body == data
    settle(server, 1, served=SIZE)
    assert server.bytes_served[NAME] == SIZE
    assert server.requests == [dict(method='GET', filename=NAME, range=None, status=200)]


def test_head_sends_headers_only(server):
    conn, resp = request(server, 'HEAD')
    assert resp.status == 200 and resp.getheader('Content-Length') == str(SIZE) and resp.read() == b''
    assert resp.getheader('ETag') and resp.getheader('Accept-Ranges') == 'bytes'
    conn.close()
    settle(server, 1)
    assert server.bytes_served[NAME] == 0 and server.request_count(NAME) == 1


@pytest.mark.parametrize('spec, first, last', [
    ('bytes=1000-', 1000, SIZE - 1),
    ('bytes=1000-70000', 1000, 70000),
    ('bytes=0-0', 0, 0),
    ('bytes=%d-%d' % (SIZE - 10, SIZE + 500), SIZE - 10, SIZE - 1),
], ids=['open', 'closed', 'one-byte', 'past-end'])
def test_range_gives_206(server, data, spec, first, last):
    conn, resp = request(server, headers={'Range': spec})
    assert resp.status == 206
    assert resp.getheader('Content-Range') == 'bytes %d-%d/%d' % (first, last, SIZE)
    assert resp.read() == data[first:last + 1]
    conn.close()
    settle(server, 1, served=last - first + 1)
    assert server.bytes_served[NAME] == last - first + 1
    assert server.requests[0]['range'] == spec and server.requests[0]['status'] == 206


def test_unsatisfiable_range_gives_416(server):
    conn, resp = request(server, headers={'Range': 'bytes=%d-' % SIZE})
    assert resp.status == 416 and resp.getheader('Content-Range') == 'bytes */%d' % SIZE
    resp.read()
    conn.close()


def test_if_range(server, data):
    conn, head = request(server, 'HEAD')
    etag = head.getheader('ETag')
    conn.close()
    conn, resp = request(server, headers={'Range': 'bytes=100-', 'If-Range': etag})
    assert resp.status == 206 and resp.read() == data[100:]
    conn.close()
    conn, resp = request(server, headers={'Range': 'bytes=100-', 'If-Range': '"stale"'})
    assert resp.status == 200 and resp.read() == data
    conn.close()


@pytest.mark.parametrize('path', ['/missing.tar.gz', '/..', '/../' + NAME, '/sub', '/sub/inner.bin', '/'])
def test_not_found(server, path):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(server.url + path, timeout=5)
    assert err.value.code == 404
    err.value.close()


def test_status_fault_then_success(server, data):
    server.plan(NAME, [status(500), status(503)])
    for code in (500, 503):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server.url_for(NAME), timeout=5)
        assert err.value.code == code
        err.value.close()
    with urllib.request.urlopen(server.url_for(NAME), timeout=5) as resp:
        assert resp.read() == data
    settle(server, 3)
    assert [r['status'] for r in server.requests] == [500, 503, 200]
    assert server.request_count(NAME) == 3 and server.request_count('other') == 0


def test_faults_are_per_file_and_skip_head(server, data):
    server.plan('other.tar.gz', [status(500)])
    server.plan(NAME, [status(502)])
    conn, resp = request(server, 'HEAD')
    assert resp.status == 200
    conn.close()
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(server.url_for(NAME), timeout=5)
    assert err.value.code == 502
    err.value.close()


@pytest.mark.parametrize('start, at', [(0, 70000), (1000, 5000), (0, 0)], ids=['full', 'ranged', 'at-zero'])
def test_reset_aborts_with_rst_at_the_offset(server, data, start, at):
    server.plan(NAME, [reset(at)])
    conn, resp = request(server, headers={'Range': 'bytes=%d-' % start} if start else {})
    got, exc = read_until_error(resp)
    conn.close()
    assert isinstance(exc, ConnectionResetError), repr(exc)
    assert got == data[start:at][:len(got)] and len(got) <= at - start
    settle(server, 1, served=at - start)
    assert server.bytes_served[NAME] == at - start


def test_short_closes_cleanly_before_content_length(server, data):
    server.plan(NAME, [short(100000)])
    conn, resp = request(server)
    assert resp.getheader('Content-Length') == str(SIZE)
    with pytest.raises(http.client.IncompleteRead) as err:
        resp.read()
    conn.close()
    assert err.value.partial == data[:100000]
    assert server.bytes_served[NAME] == 100000


def test_short_on_a_range_counts_from_the_file_start(server, data):
    server.plan(NAME, [short(5000)])
    conn, resp = request(server, headers={'Range': 'bytes=1000-'})
    assert resp.status == 206
    with pytest.raises(http.client.IncompleteRead) as err:
        resp.read()
    conn.close()
    assert err.value.partial == data[1000:5000]


def test_stall_times_the_client_out(server, data):
    server.plan(NAME, [stall(65536, 2)])
    conn, resp = request(server, timeout=0.5)
    started = time.monotonic()
    got, exc = read_until_error(resp)
    conn.close()
    assert isinstance(exc, (socket.timeout, TimeoutError)), repr(exc)
    assert got == data[:65536]
    assert time.monotonic() - started < 1.5


def test_stall_blocks_one_connection_only(server, data):
    server.plan(NAME, [stall(0, 2)])
    conn, resp = request(server, timeout=3)
    out = {}
    worker = threading.Thread(target=lambda: out.update(result=read_until_error(resp)))
    worker.start()
    started = time.monotonic()
    with urllib.request.urlopen(server.url_for(NAME), timeout=5) as other:
        assert other.read() == data
    assert time.monotonic() - started < 1.0, 'a stalled download must not block another one'
    worker.join(5)
    conn.close()
    got = out['result'][0]
    assert len(got) < SIZE


def test_ignore_range_fault_then_ranges_again(server, data):
    server.plan(NAME, [ignore_range()])
    conn, resp = request(server, headers={'Range': 'bytes=1000-'})
    assert resp.status == 200 and resp.getheader('Content-Range') is None and resp.read() == data
    conn.close()
    conn, resp = request(server, headers={'Range': 'bytes=1000-'})
    assert resp.status == 206 and resp.read() == data[1000:]
    conn.close()
    settle(server, 2, served=SIZE + SIZE - 1000)
    assert server.bytes_served[NAME] == SIZE + SIZE - 1000


def test_global_ignore_range(server, data):
    server.ignore_range = True
    for dummy in range(2):
        conn, resp = request(server, headers={'Range': 'bytes=5-9'})
        assert resp.status == 200 and resp.read() == data
        conn.close()


def test_keep_alive_serves_several_requests_on_one_connection(server, data):
    conn = http.client.HTTPConnection('127.0.0.1', server.server_address[1], timeout=5)
    for first in (0, 10, 1000):
        conn.request('GET', '/' + NAME, headers={'Range': 'bytes=%d-%d' % (first, first + 9)})
        assert conn.getresponse().read() == data[first:first + 10]
    conn.close()
    settle(server, 3)
    assert server.request_count(NAME) == 3


def test_reset_counters(server):
    urllib.request.urlopen(server.url_for(NAME), timeout=5).close()
    settle(server, 1)
    assert server.request_count() == 1
    server.reset_counters()
    assert server.request_count() == 0 and server.requests == [] and server.bytes_served[NAME] == 0


def test_cli_serves_until_terminated(tmp_path, data):
    (tmp_path / NAME).write_bytes(data)
    proc = subprocess.Popen([sys.executable, str(TOOL), '--root', str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert re.match(r'^serving http://127\.0\.0\.1:\d+$', line.strip()), line
        with urllib.request.urlopen(line.split()[1] + '/' + NAME, timeout=5) as resp:
            assert resp.read() == data
        proc.terminate()
        assert proc.wait(timeout=10) == 0
        assert proc.stderr.read() == '', 'the server is quiet'
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
