"""_sources: the one source loop of model and archive, with file:// sources and an in-process stream (no servers)."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import HashingStream, RestartRequired
from ansible_collections.labfleet.zoo.plugins.module_utils._sources import Sources
from ansible_collections.labfleet.zoo.plugins.module_utils._request import Request
from ansible_collections.labfleet.zoo.plugins.module_utils._unpack import DiskFull

DATA = b'archive bytes ' * 1000


class Sink(object):
    """Records what the loop does with each attempt's sink."""

    log = None

    def __init__(self):
        self.n = len([e for e in self.log if e[0] == 'made'])
        self.log.append(('made', self.n))

    def receive(self, stream):
        data = b''.join(iter(lambda: stream.read(4096), b''))
        self.log.append(('received', self.n, len(data)))

    def commit(self, stream, digest):
        self.log.append(('committed', self.n))
        return self.n, stream.shown, digest

    def discard(self):
        self.log.append(('discarded', self.n))


@pytest.fixture
def sink():
    Sink.log = []
    return Sink


@pytest.fixture
def upstream(tmp_path):
    path = tmp_path / 'm.tar.gz'
    path.write_bytes(DATA)
    return 'file://%s' % path


def spec_for(tmp_path, sources, **kw):
    return Request(key='m', dest=str(tmp_path), sources=sources, upstream=sources[-1], **kw)


def fetch(spec, sink, **kw):
    sources = Sources(spec, sleep=lambda _s: None, **kw)
    return sources, sources.fetch(sink, str(spec.dest), 'model m', 'could not install m: no source served.')


def test_mirrors_first_then_upstream_failures_recorded(tmp_path, sink, upstream):
    spec = spec_for(tmp_path, ['file:///nowhere/m.tar.gz', upstream])
    sources, value = fetch(spec, sink)
    assert value == (1, upstream, hashlib.sha256(DATA).hexdigest())
    (failure,) = sources.failed_sources
    assert failure.startswith('file:///nowhere/m.tar.gz: cannot open file:///nowhere/m.tar.gz')
    assert sink.log == [('made', 0), ('discarded', 0), ('made', 1), ('received', 1, len(DATA)), ('committed', 1)]
    assert sources.bytes_downloaded == len(DATA) and sources.served == upstream
    assert sources.messages() == ['model m: a source failed before %s served: %s' % (upstream, failure)]


def test_checksum_mismatch_discards_and_fails_naming_every_source(tmp_path, sink, upstream):
    spec = spec_for(tmp_path, [upstream, upstream], checksum='0' * 64)
    with pytest.raises(ZooError) as err:
        fetch(spec, sink)
    lines = str(err.value).split('\n  ')
    assert lines[0] == 'could not install m: no source served.' and len(lines) == 3
    assert all('checksum mismatch for model m: expected sha256 %s' % ('0' * 64) in line for line in lines[1:])
    assert [e[0] for e in sink.log] == ['made', 'received', 'discarded'] * 2


def test_a_known_size_that_does_not_fit_stops_before_any_sink(tmp_path, sink, upstream):
    spec = spec_for(tmp_path, ['file:///nowhere/m.tar.gz', upstream], size=10 ** 18)
    with pytest.raises(DiskFull, match=r'^model m needs \d+ MB, \d+ MB free in %s$' % tmp_path):
        fetch(spec, sink)
    assert sink.log == []


class Restarting(HashingStream):
    """An http stream whose first ``restarts`` streams ask for a restart half-way (RestartRequired)."""

    restarts = 1
    made = 0

    def __init__(self, url, timeout=None, retries=None, url_options=None, sleep=None, max_bytes=None):
        super(Restarting, self).__init__(url, max_bytes)
        Restarting.made += 1
        self.restart = Restarting.made <= Restarting.restarts
        self.size, self._left = len(DATA), DATA

    def _read(self, n):
        if self.restart and len(self._left) < len(DATA) // 2:
            raise RestartRequired('%s ignored the Range request (HTTP 200): restarting from byte 0' % self.shown)
        data, self._left = self._left[:n], self._left[n:]
        self.bytes_downloaded += len(data)
        return data


@pytest.mark.parametrize('retries, restarts, served', [(1, 1, True), (0, 1, False)], ids=['restarted', 'no-retry'])
def test_a_restart_starts_again_in_a_fresh_sink(tmp_path, sink, retries, restarts, served):
    Restarting.made, Restarting.restarts = 0, restarts
    spec = spec_for(tmp_path, ['http://mirror.invalid/m.tar.gz'], retries=retries)
    if served:
        sources, value = fetch(spec, sink, stream_class=Restarting)
        assert value[0] == 1 and sink.log[:2] == [('made', 0), ('discarded', 0)]
        assert sources.bytes_downloaded > len(DATA) and not sources.failed_sources
    else:
        with pytest.raises(ZooError, match='ignored the Range request'):
            fetch(spec, sink, stream_class=Restarting)
        assert sink.log == [('made', 0), ('discarded', 0)]


def test_result_shape(tmp_path, sink, upstream):
    sources, _value = fetch(spec_for(tmp_path, ['file:///nowhere/m.tar.gz', upstream]), sink)
    out = sources.result(True, 'installed', {'before': {}, 'after': {}}, path='/p')
    assert sorted(out) == ['action', 'bytes_downloaded', 'changed', 'diff', 'elapsed', 'failed_sources', 'path']
    assert out['bytes_downloaded'] == len(DATA) and out['elapsed'] >= 0
