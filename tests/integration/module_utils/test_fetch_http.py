"""_fetch: one archive from one source as a resumable, hashing byte stream, against a real local HTTP server.

The server (tools/fixtures/zoo_server.py) cuts, stalls, refuses Range and answers 404/5xx for real; nothing is mocked.
The parts without a network are tests/unit/plugins/module_utils/test_fetch.py.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time

import pytest

from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ignore_range, reset, short, stall, status

from ansible_collections.labfleet.zoo.plugins.module_utils import _fetch
from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import RestartRequired, SourceError, open_source

MiB = 1024 * 1024
FILE = 'fetchme.tar.gz'


class Sleeps(list):
    """A ``sleep`` that records the back-off delays instead of waiting."""

    def __call__(self, seconds):
        self.append(seconds)


def settle(server, timeout=2.0):
    """Wait until the server's request counters stop moving (a request may be counted in another thread)."""
    deadline = time.monotonic() + timeout
    last, stable_since = server.request_count(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.02)
        now = server.request_count()
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= 0.1:
            break
    return last


def read_all(stream, server, n=64 * 1024):
    """Read the stream to its end; returns (sha256 of what was read, offsets at which a new request was made)."""
    digest = hashlib.sha256()
    resumed_at = []
    settle(server)
    while True:
        before, offset = server.request_count(FILE), stream.offset
        data = stream.read(n)
        assert len(data) <= n
        if server.request_count(FILE) != before:
            resumed_at.append(offset)
        if not data:
            return digest.hexdigest(), resumed_at
        digest.update(data)


def get_requests(server):
    return [r for r in server.requests if r['filename'] == FILE and r['method'] == 'GET']


def range_start(request):
    value = request.get('range')
    if not value:
        return None
    return int(value.split('=', 1)[1].split('-', 1)[0])


# ---------------------------------------------------------------- the good path

def test_full_download(server, archives):
    info = archives['fetchme']
    stream = open_source(server.url_for(FILE), timeout=5, retries=3, sleep=Sleeps())
    digest, resumed = read_all(stream, server)
    stream.close()
    assert digest == info['sha256']
    assert stream.sha256.hexdigest() == info['sha256']
    assert stream.size == info['size'] == stream.offset == stream.bytes_downloaded
    assert resumed == []
    assert server.request_count(FILE) == 1
    assert server.bytes_served[FILE] == info['size']
    assert get_requests(server)[0].get('range') in (None, '')


# ---------------------------------------------------------------- cuts and stalls: resumed with Range

@pytest.mark.parametrize('at', [4096, 300 * 1000, MiB + 7, 2 * MiB + 12345, 3 * MiB - 1],
                         ids=['4k', '300k', '1MiB+7', '2MiB+12345', 'last-byte'])
def test_reset_resumes_with_range(server, archives, at):
    info = archives['fetchme']
    at = min(at, info['size'] - 1)
    server.plan(FILE, [reset(at)])
    sleeps = Sleeps()
    stream = open_source(server.url_for(FILE), timeout=5, retries=3, sleep=sleeps)
    digest, resumed = read_all(stream, server)
    assert digest == info['sha256'] == stream.sha256.hexdigest()
    reqs = get_requests(server)
    assert len(reqs) == 2, reqs
    assert len(resumed) == 1
    # The resume asked exactly for the first byte the client had not received yet.
    start = range_start(reqs[1])
    if resumed[0]:
        assert start == resumed[0], reqs
        assert 0 < start <= at
    else:  # everything sent before the reset was lost in flight: a plain GET from byte 0 is right
        assert start is None
    assert stream.failures == 1 and sleeps == [0.5]
    assert stream.bytes_downloaded - info['size'] <= MiB
    # Fetched again after the cut: at most what remained plus one read buffer.
    assert server.bytes_served[FILE] - info['size'] <= at - (start or 0) + MiB


@pytest.mark.parametrize('at', [1000, MiB, 2 * MiB + 1], ids=['1000', '1MiB', '2MiB+1'])
def test_short_body_resumes_exactly_at_the_cut(server, archives, at):
    info = archives['fetchme']
    server.plan(FILE, [short(at)])
    stream = open_source(server.url_for(FILE), timeout=5, retries=3, sleep=Sleeps())
    digest, resumed = read_all(stream, server)
    assert digest == info['sha256']
    reqs = get_requests(server)
    assert [range_start(r) for r in reqs] == [None, at]
    assert resumed == [at]
    assert server.bytes_served[FILE] == info['size']
    assert stream.bytes_downloaded == info['size']


def test_content_changed_between_cut_and_resume_requires_restart(server, zoo_root, archives):
    """If-Range: when the file changes after a cut, the server answers 200 and the stream must not splice bytes."""
    name = 'changing.tar.gz'
    path = zoo_root / name
    path.write_bytes(archives['fetchme']['path'].read_bytes())
    try:
        at = 300 * 1000
        server.plan(name, [short(at)])
        stream = open_source(server.url_for(name), timeout=5, retries=3, sleep=Sleeps())
        while stream.offset < at:
            assert stream.read(min(64 * 1024, at - stream.offset))
        data = path.read_bytes()
        path.write_bytes(data[::-1])  # same size, other bytes, new mtime: a new ETag
        st = os.stat(str(path))
        os.utime(str(path), ns=(st.st_atime_ns, st.st_mtime_ns + 10 ** 9))
        with pytest.raises(RestartRequired):
            stream.read(64 * 1024)
        settle(server)
        reqs = [r for r in server.requests if r['filename'] == name]
        assert [r['status'] for r in reqs] == [200, 200]
        assert stream.offset == at
    finally:
        path.unlink()


def test_stall_longer_than_timeout_resumes(server, archives):
    info = archives['fetchme']
    at = 700 * 1000
    server.plan(FILE, [stall(at, 3)])
    stream = open_source(server.url_for(FILE), timeout=1, retries=3, sleep=Sleeps())
    digest, resumed = read_all(stream, server)
    assert digest == info['sha256']
    reqs = get_requests(server)
    assert len(reqs) == 2
    # Resumed where the client stopped; bytes lost in the timed-out read are at most one read buffer.
    assert range_start(reqs[1]) == resumed[0]
    assert 0 <= at - resumed[0] < 64 * 1024
    assert stream.failures == 1


def test_several_cuts_in_one_download(server, archives):
    info = archives['fetchme']
    server.plan(FILE, [short(100000), reset(MiB), short(2 * MiB), stall(2 * MiB + 500000, 3)])
    stream = open_source(server.url_for(FILE), timeout=1, retries=5, sleep=Sleeps())
    digest, resumed = read_all(stream, server)
    assert digest == info['sha256']
    settle(server)
    assert len(get_requests(server)) == 5
    assert stream.faults == 4
    assert stream.failures == 1  # every resume brought new bytes: the count of failures in a row restarted
    assert stream.bytes_downloaded == info['size']


# ---------------------------------------------------------------- status codes

def test_5xx_then_success(server, archives):
    server.plan(FILE, [status(500), status(503)])
    sleeps = Sleeps()
    stream = open_source(server.url_for(FILE), timeout=5, retries=3, sleep=sleeps)
    digest = read_all(stream, server)[0]
    assert digest == archives['fetchme']['sha256']
    assert stream.failures == 2
    assert sleeps == [0.5, 1.0]
    settle(server)
    assert sorted(r['status'] for r in get_requests(server)) == [200, 500, 503]


@pytest.mark.parametrize('code', [404, 403, 410], ids=['404', '403', '410'])
def test_4xx_fails_at_once(server, code):
    server.plan(FILE, [status(code)])
    sleeps = Sleeps()
    url = server.url_for(FILE)
    with pytest.raises(SourceError) as err:
        open_source(url, timeout=5, retries=3, sleep=sleeps)
    assert str(code) in str(err.value) and url in str(err.value)
    settle(server)
    assert server.request_count(FILE) == 1
    assert sleeps == []


def test_missing_file_is_404(server):
    url = server.url_for('no_such_model.tar.gz')
    with pytest.raises(SourceError) as err:
        open_source(url, timeout=5, retries=3, sleep=Sleeps())
    assert 'HTTP 404' in str(err.value) and url in str(err.value)
    settle(server)
    assert server.request_count('no_such_model.tar.gz') == 1


def test_retries_exhausted(server):
    server.plan(FILE, [status(500)] * 4)
    sleeps = Sleeps()
    url = server.url_for(FILE)
    with pytest.raises(SourceError) as err:
        open_source(url, timeout=5, retries=3, sleep=sleeps)
    msg = str(err.value)
    assert url in msg and 'after 3 retries' in msg and '500' in msg
    settle(server)
    assert server.request_count(FILE) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_retries_exhausted_by_cuts_without_progress(server):
    server.plan(FILE, [short(1000), short(1000), short(1000)])  # the resumes at byte 1000 get nothing
    stream = open_source(server.url_for(FILE), timeout=5, retries=2, sleep=Sleeps())
    with pytest.raises(SourceError) as err:
        read_all(stream, server)
    assert 'after 2 retries' in str(err.value)
    settle(server)
    assert server.request_count(FILE) == 3


def test_cuts_with_progress_do_not_use_up_retries(server, archives):
    """Progress is LOW_WATER bytes or more since the last failure (a trickle must not reset the count)."""
    step = _fetch.LOW_WATER + 1000
    server.plan(FILE, [short(step), short(2 * step), short(3 * step), short(4 * step)])
    stream = open_source(server.url_for(FILE), timeout=5, retries=2, sleep=Sleeps())
    assert read_all(stream, server)[0] == archives['fetchme']['sha256']
    assert stream.faults == 4


def test_connection_refused_moves_on_at_once():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    sleeps = Sleeps()
    url = 'http://127.0.0.1:%d/%s' % (port, FILE)
    with pytest.raises(SourceError) as err:
        open_source(url, timeout=2, retries=2, sleep=sleeps)
    assert url in str(err.value) and 'cannot reach' in str(err.value)
    assert sleeps == []  # a refused connection is not worth waiting for: the next source is


# ---------------------------------------------------------------- Range ignored

def test_server_ignoring_range_after_cut_requires_restart(server):
    server.ignore_range = True
    server.plan(FILE, [reset(MiB)])
    url = server.url_for(FILE)
    stream = open_source(url, timeout=5, retries=3, sleep=Sleeps())
    with pytest.raises(RestartRequired) as err:
        read_all(stream, server)
    assert url in str(err.value) and 'Range' in str(err.value)
    settle(server)
    reqs = get_requests(server)
    assert len(reqs) == 2 and reqs[1]['status'] == 200


def test_planned_ignore_range_after_short_body(server):
    server.plan(FILE, [short(MiB), ignore_range()])
    stream = open_source(server.url_for(FILE), timeout=5, retries=3, sleep=Sleeps())
    with pytest.raises(RestartRequired):
        read_all(stream, server)
    assert stream.offset == MiB  # nothing of the wrong body was handed out
