"""The lab's wheelhouse (labfleet.zoo.wheelhouse, module_utils/_wheelhouse.py) on this machine as the mirror: the Pis'
real runtime wheels (PyPI's, cached once by support/wheels.py) from an "upstream" PEP 503 index on 127.0.0.1 that
counts requests. Each wheel crosses once; a rerun runs no pip; a missing or damaged wheel is fetched alone; an
upstream that sends other bytes than the lock pins adds nothing; a stalled one ends at the deadline; pip reads the
index it writes. The Pis installing from it through nginx: tests/pis.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _wheelhouse
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.tests.support import runner
from ansible_collections.labfleet.zoo.tests.support.trees import digest
from ansible_collections.labfleet.zoo.tests.support.wheels import PLATFORMS, served_wheels

pytestmark = pytest.mark.slow

ARM64 = PLATFORMS[0]


@pytest.fixture(scope='module')
def index():
    with served_wheels() as server:
        yield server


@pytest.fixture
def upstream(index):
    index.reset_counters()
    index.tampered.clear()
    index.stalled.clear()
    yield index
    index.stalled.clear()
    index.tampered.clear()


def keep(dest, index, pinned=None, check_mode=False, platforms=PLATFORMS):
    return _wheelhouse.Wheelhouse(str(dest), platforms, pinned=pinned, index_url=index.url, timeout=5, retries=0,
                                  check_mode=check_mode).converge()


def tree(dest):
    """{relative path: bytes or None for a folder} of the wheelhouse folder."""
    found = {}
    for folder, dirs, files in os.walk(str(dest)):
        rel = os.path.relpath(folder, str(dest))
        found[rel] = None
        for name in files:
            with open(os.path.join(folder, name), 'rb') as handle:
                found[os.path.normpath(os.path.join(rel, name))] = handle.read()
    return found


@pytest.fixture
def filled(tmp_path, upstream):
    first = keep(tmp_path, upstream)
    upstream.reset_counters()
    return tmp_path, first


def test_each_wheel_of_each_platform_crosses_once_and_is_returned_for_the_lock(tmp_path, upstream):
    result = keep(tmp_path, upstream)
    wanted = sorted(name for names in upstream.by_platform.values() for name in names)
    assert sorted(upstream.wheel_requests()) == wanted and set(upstream.wheel_requests().values()) == {1}
    assert result['changed'] and result['bytes_downloaded'] == sum(upstream.size(name) for name in wanted)
    for platform in PLATFORMS:
        files = result['wheels'][platform]
        assert sorted(files) == sorted(upstream.by_platform[platform])
        for name, entry in files.items():
            assert entry == {'sha256': upstream.files[name], 'size': upstream.size(name)}
            assert digest(tmp_path / 'wheels' / name) == upstream.files[name]
        assert result['platforms'][platform]['action'] == 'downloaded'
        assert result['platforms'][platform]['size'] == sum(e['size'] for e in files.values())
    # Nothing but the wheels, the pages and the record: no temporary folder left behind.
    assert sorted(os.listdir(str(tmp_path))) == ['.labfleet-zoo-wheelhouse.json', 'simple', 'wheels']


def test_the_index_pages_link_every_wheel_with_its_sha256(filled):
    dest, first = filled
    files = dict((name, entry['sha256']) for platform in first['wheels'].values() for name, entry in platform.items())
    pages = _wheelhouse.index_pages(files)
    assert tree(dest / 'simple') == dict([('.', None)] + [
        (rel.split('/', 1)[1], text.encode()) for rel, text in pages.items()] + [
        (rel.split('/')[1], None) for rel in pages if rel.count('/') == 2])
    numpy = (dest / 'simple' / 'numpy' / 'index.html').read_text()
    (name,) = [n for n in first['wheels'][ARM64] if n.startswith('numpy-')]
    assert '../../wheels/%s#sha256=%s' % (name, files[name]) in numpy


def test_pip_installs_from_the_index_it_writes(filled, tmp_path_factory):
    """pip itself (downloading for the 64-bit Pi's platform, as the Pis' pip would) resolves the pages and checks
    their #sha256= links."""
    dest, first = filled
    server = ThreadingHTTPServer(('127.0.0.1', 0), partial(_Quiet, directory=str(dest)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = tmp_path_factory.mktemp('pip_download')
        cmd = _wheelhouse.download_command(sys.executable, ARM64, out,
                                           index_url='http://127.0.0.1:%d/simple/' % server.server_address[1])
        env = dict(os.environ, PIP_CONFIG_FILE=os.devnull)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(os.listdir(str(out))) == sorted(first['wheels'][ARM64])


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_a_pinned_rerun_runs_no_pip_and_writes_nothing_check_mode_neither(filled, upstream):
    dest, first = filled
    before = tree(dest)
    for check_mode in (True, False):
        again = keep(dest, upstream, pinned=first['wheels'], check_mode=check_mode)
        assert not again['changed'] and again['bytes_downloaded'] == 0, again
        assert set(p['action'] for p in again['platforms'].values()) == {'unchanged'}
        assert again['wheels'] == first['wheels']
    assert upstream.request_count() == 0
    assert tree(dest) == before


def test_an_unpinned_rerun_knows_its_files_from_its_record(filled, upstream):
    dest, first = filled
    again = keep(dest, upstream)
    assert not again['changed'] and again['wheels'] == first['wheels'] and upstream.request_count() == 0


def test_check_mode_on_an_empty_folder_says_downloaded_and_writes_nothing(tmp_path, upstream):
    result = keep(tmp_path, upstream, check_mode=True)
    assert result['changed'] and set(p['action'] for p in result['platforms'].values()) == {'downloaded'}
    assert os.listdir(str(tmp_path)) == [] and upstream.request_count() == 0


def test_a_deleted_and_a_damaged_wheel_are_fetched_alone(filled, upstream):
    dest, first = filled
    names = sorted(first['wheels'][ARM64])
    gone, damaged = names[0], names[1]
    (dest / 'wheels' / gone).unlink()
    (dest / 'wheels' / damaged).write_bytes(b'PK\x03\x04 not this wheel')
    again = keep(dest, upstream, pinned=first['wheels'])
    assert again['platforms'][ARM64]['action'] == 'repaired'
    assert again['platforms'][PLATFORMS[1]]['action'] == 'unchanged'
    assert sorted(upstream.wheel_requests()) == sorted([gone, damaged])
    assert again['bytes_downloaded'] == upstream.size(gone) + upstream.size(damaged)
    for name in names:
        assert digest(dest / 'wheels' / name) == upstream.files[name]


def test_an_upstream_sending_other_bytes_than_the_lock_adds_nothing(filled, upstream):
    dest, first = filled
    (victim,) = [n for n in first['wheels'][ARM64] if n.startswith('numpy-')]
    (dest / 'wheels' / victim).unlink()
    before = tree(dest)
    upstream.tampered[victim] = b'PK\x03\x04 not the pinned numpy'
    with pytest.raises(ZooError) as caught:
        keep(dest, upstream, pinned=first['wheels'])
    assert ARM64 in str(caught.value) and first['wheels'][ARM64][victim]['sha256'] in str(caught.value), caught.value
    assert tree(dest) == before      # no wheel added, no page changed, no temporary folder left


def test_a_stalled_upstream_ends_at_the_deadline_and_adds_nothing(filled, upstream, monkeypatch):
    dest, first = filled
    (dest / 'wheels' / sorted(first['wheels'][ARM64])[0]).unlink()
    before = tree(dest)
    monkeypatch.setattr(_wheelhouse, 'DEADLINE', 8)
    upstream.stalled.set()
    with pytest.raises(ZooError) as caught:
        _wheelhouse.Wheelhouse(str(dest), PLATFORMS, pinned=first['wheels'], index_url=upstream.url, timeout=60,
                               retries=0).converge()
    assert 'took more than 8 s: stopped, nothing was added' in str(caught.value), caught.value
    assert tree(dest) == before
    left = subprocess.run(['pgrep', '-f', 'pip download .*%s' % dest], capture_output=True, text=True, check=False)
    assert left.stdout == '', left.stdout


def test_a_platform_dropped_from_the_lab_drops_its_pages(filled, upstream):
    dest, first = filled
    again = keep(dest, upstream, pinned=first['wheels'], platforms=[PLATFORMS[1]])
    assert again['changed'] and list(again['wheels']) == [PLATFORMS[1]]
    assert sorted(os.listdir(str(dest / 'simple'))) == ['index.html', 'tflite-runtime']
    assert upstream.request_count() == 0


@pytest.mark.parametrize('platform, expected', [
    ('armv7l-py3.13-glibc2.41', 'Python 3.13, glibc 2.41'),     # 32-bit trixie: no tflite-runtime wheel
    ('x86_64-py3.11-glibc2.36', 'aarch64|armv7l'),
    ('aarch64-py3.11', '<aarch64|armv7l>-py<x.y>-glibc<x.y>'),
])
def test_a_platform_without_a_wheel_fails_naming_it(tmp_path, upstream, platform, expected):
    with pytest.raises(ZooError) as caught:
        keep(tmp_path, upstream, platforms=[platform])
    assert str(caught.value).startswith("the wheelhouse platform '%s': " % platform), caught.value
    assert expected in str(caught.value)
    assert os.listdir(str(tmp_path)) == [] and upstream.request_count() == 0


def test_the_module_keeps_the_wheelhouse_then_reports_unchanged(tmp_path, upstream):
    args = dict(dest=str(tmp_path), platforms=list(PLATFORMS), index_url=upstream.url, retries=0)
    check = runner.adhoc(args, module='labfleet.zoo.wheelhouse', check=True, diff=True)
    assert check.result['changed'] and os.listdir(str(tmp_path)) == [], check.describe()
    first = runner.adhoc(args, module='labfleet.zoo.wheelhouse')
    assert first.result['changed'] and first.result['bytes_downloaded'] > 0, first.describe()
    again = runner.adhoc(dict(args, pinned=first.result['wheels']), module='labfleet.zoo.wheelhouse')
    assert not again.result['changed'] and again.result['wheels'] == first.result['wheels'], again.describe()
    missing = runner.adhoc(dict(args, dest=str(tmp_path / 'nowhere')), module='labfleet.zoo.wheelhouse')
    assert missing.failed and 'does not exist: create it first' in missing.msg, missing.describe()
    assert json.loads((tmp_path / '.labfleet-zoo-wheelhouse.json').read_text())[ARM64]['files'] == \
        first.result['wheels'][ARM64]
