"""_install: the install state machine against a real local HTTP server (tests/integration/module_utils/conftest.py),
real files and a real tmpfs."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import sys
import time

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _fs, _manifest
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._install import WORK, Installer, observe
from ansible_collections.labfleet.zoo.plugins.module_utils._request import Request, from_params
from ansible_collections.labfleet.zoo.plugins.module_utils._unpack import DiskFull
from ansible_collections.labfleet.zoo.plugins.module_utils._vocabulary import ATTRIBUTES, UNCHANGED
from ansible_collections.labfleet.zoo.tests.support.repo import python_env
from ansible_collections.labfleet.zoo.tests.support.trees import work_entries
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import archive_info, build_archive
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer, reset, short, stall, status

KEY = 'small_model'
FILE = KEY + '.tar.gz'
OTHER = 'other_model'


def nosleep(_seconds):
    pass


def settle(*servers):
    """Wait until the servers' request counters stop moving (requests are counted in the server's threads)."""
    deadline = time.monotonic() + 2.0
    last, stable_since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = [srv.request_count() for srv in servers]
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= 0.1:
            break
        time.sleep(0.02)


def spec_for(dest, url, **kw):
    kw.setdefault('timeout', 5)
    kw.setdefault('retries', 3)
    return from_params(dict(url=url, dest=str(dest), **kw))


def install(spec, **kw):
    return Installer(spec, sleep=nosleep, **kw).present()


def tree_state(folder):
    """{relpath: (size, sha256)} for every file under ``folder``, marker included."""
    out = {}
    for dirpath, _dirs, files in os.walk(str(folder)):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, 'rb') as fh:
                out[os.path.relpath(path, str(folder))] = hashlib.sha256(fh.read()).hexdigest()
    return out


@pytest.fixture(scope='session')
def mirror_root(tmp_path_factory):
    """A LAN mirror's folder: a *different* small_model.tar.gz and nothing else."""
    root = tmp_path_factory.mktemp('mirror')
    build_archive(root, KEY, size=64 * 1024, seed=99)
    return root


@pytest.fixture(scope='session')
def _mirror_server(mirror_root):
    with ZooServer(str(mirror_root)) as srv:
        yield srv


@pytest.fixture
def mirror(_mirror_server):
    """A second server posing as a LAN mirror (counters reset for each test)."""
    _mirror_server.reset_counters()
    return _mirror_server


@pytest.fixture
def dest(tmp_path):
    return tmp_path / 'pre_trained'


@pytest.fixture
def installed(server, archives, dest):
    """small_model freshly installed in dest; the server's counters reset afterwards."""
    spec = spec_for(dest, server.url_for(FILE))
    result = install(spec)
    assert result['action'] == 'installed'
    server.reset_counters()
    return spec, result


# ---------------------------------------------------------------- install, rerun, repair

def test_install_then_unchanged_without_any_request(server, archives, dest):
    info = archives[KEY]
    url = server.url_for(FILE)
    result = install(spec_for(dest, url))
    path = dest / KEY
    assert result['changed'] is True and result['action'] == 'installed'
    assert result['path'] == str(path)
    assert result['source'] == url
    assert result['sha256'] == info['sha256']
    assert result['archive_size'] == info['size'] == result['bytes_downloaded']
    record = _manifest.read(str(path))
    assert record is not None and record['sha256'] == info['sha256']
    assert result['files'] == len(record['files']) > 0
    assert _manifest.problems(str(path), record, full=True) == []
    assert sorted(tree_state(path)) == sorted(list(record['files']) + [_manifest.MARKER])
    assert work_entries(dest) == []
    assert server.request_count(FILE) == 1

    server.reset_counters()
    again = install(spec_for(dest, url))
    assert again['changed'] is False and again['action'] == 'unchanged'
    assert again['bytes_downloaded'] == 0
    assert again['sha256'] == info['sha256']
    assert server.request_count() == 0


def test_deleted_file_repaired_by_quick_verify(installed, server, dest):
    spec = installed[0]
    victim = dest / KEY / 'pipeline.config'
    good = victim.read_bytes()
    victim.unlink()
    result = install(spec)
    assert result['changed'] is True and result['action'] == 'repaired'
    assert any('pipeline.config' in p and 'missing' in p for p in result['problems']), result['problems']
    assert victim.read_bytes() == good
    assert server.request_count(FILE) == 1
    assert install(spec)['action'] == 'unchanged'


def test_deleted_directory_repaired(installed, dest):
    spec = installed[0]
    shutil.rmtree(str(dest / KEY / 'saved_model'))
    result = install(spec)
    assert result['action'] == 'repaired'
    assert any(p.startswith('saved_model') for p in result['problems']), result['problems']
    assert (dest / KEY / 'saved_model' / 'saved_model.pb').is_file()


def test_same_size_corruption_needs_full_verify(installed, server, dest):
    spec = installed[0]
    victim = dest / KEY / 'checkpoint' / 'ckpt-0.index'
    good = victim.read_bytes()
    victim.write_bytes(bytes(b ^ 0xFF for b in good))  # same size, other content
    quick = install(spec)
    assert quick['changed'] is False and quick['action'] == 'unchanged'
    assert server.request_count() == 0
    full_spec = spec_for(dest, spec.upstream, verify='full')
    full = install(full_spec)
    assert full['changed'] is True and full['action'] == 'repaired'
    assert any('checkpoint/ckpt-0.index' in p and 'sha256' in p for p in full['problems']), full['problems']
    assert victim.read_bytes() == good
    assert install(full_spec)['action'] == 'unchanged'


# ---------------------------------------------------------------- check mode and absent

def test_an_owner_or_mode_fix_of_an_intact_install_is_reported_as_attributes(installed, server, dest):
    spec = installed[0]
    victim = dest / KEY / 'pipeline.config'
    os.chmod(str(victim), 0o600)
    attrs = _fs.attrs_from(mode='0644')
    check = Installer(spec, check_mode=True, attrs=attrs, sleep=nosleep).present()
    assert (check['changed'], check['action'], victim.stat().st_mode & 0o777) == (True, ATTRIBUTES, 0o600)
    real = Installer(spec, attrs=attrs, sleep=nosleep).present()
    assert (real['changed'], real['action'], victim.stat().st_mode & 0o777) == (True, ATTRIBUTES, 0o644)
    again = Installer(spec, check_mode=True, attrs=attrs, sleep=nosleep).present()
    assert (again['changed'], again['action']) == (False, UNCHANGED)
    assert server.request_count() == 0


def test_check_mode_on_absent_model_writes_nothing(server, tmp_path):
    dest = tmp_path / 'new' / 'pre_trained'
    result = Installer(spec_for(dest, server.url_for(FILE)), check_mode=True, sleep=nosleep).present()
    assert result['changed'] is True and result['action'] == 'installed'
    assert not (tmp_path / 'new').exists()
    assert server.request_count() == 0


def test_check_mode_on_damaged_model_changes_nothing(installed, server, dest):
    spec = installed[0]
    (dest / KEY / 'pipeline.config').unlink()
    before = tree_state(dest)
    result = Installer(spec, check_mode=True, sleep=nosleep).present()
    assert result['changed'] is True and result['action'] == 'repaired'
    assert tree_state(dest) == before
    assert server.request_count() == 0


def test_check_mode_on_present_model(installed, server):
    spec = installed[0]
    result = Installer(spec, check_mode=True, sleep=nosleep).present()
    assert result['changed'] is False and result['action'] == 'unchanged'


def test_absent_removes_then_reports_absent(installed, server, dest):
    spec = installed[0]
    snapshot = tree_state(dest)
    check = Installer(spec, check_mode=True).absent()
    assert check['changed'] is True and check['action'] == 'removed'
    assert tree_state(dest) == snapshot
    removed = Installer(spec).absent()
    assert removed['changed'] is True and removed['action'] == 'removed'
    assert not (dest / KEY).exists()
    assert work_entries(dest) == []
    again = Installer(spec).absent()
    assert again['changed'] is False and again['action'] == 'absent'
    assert server.request_count() == 0


def test_absent_leaves_other_models_and_student_files(installed, server, archives, dest):
    spec = installed[0]
    other = install(spec_for(dest, server.url_for(OTHER + '.tar.gz')))
    (dest / 'notes.txt').write_text('student notes')
    Installer(spec).absent()
    assert (dest / 'notes.txt').read_text() == 'student notes'
    assert _manifest.read(other['path']) is not None


# ---------------------------------------------------------------- sources and checksums

def test_checksum_mismatch_on_mirror_falls_back_to_upstream(server, mirror, archives, dest):
    info = archives[KEY]
    upstream = server.url_for(FILE)
    spec = spec_for(dest, upstream, mirrors=[mirror.url], checksum='sha256:' + info['sha256'])
    assert spec.sources[0].startswith(mirror.url.rstrip('/'))
    result = install(spec)
    assert result['action'] == 'installed'
    assert result['source'] == upstream
    assert result['sha256'] == info['sha256']
    assert mirror.request_count(FILE) == 1 and server.request_count(FILE) == 1
    assert _manifest.read(result['path'])['source'] == upstream


def test_mirror_404_falls_back(server, mirror, archives, dest):
    upstream = server.url_for(OTHER + '.tar.gz')
    result = install(spec_for(dest, upstream, mirrors=[mirror.url]))
    assert result['action'] == 'installed' and result['source'] == upstream
    assert result['sha256'] == archives[OTHER]['sha256']
    settle(mirror)
    assert [r['status'] for r in mirror.requests] == [404]


def test_mirror_serves_when_valid(server, mirror, mirror_root, dest):
    """Counterpart of the fallback test: with the mirror's own checksum, the mirror serves and upstream is never asked."""
    mirror_sha = archive_info(mirror_root / FILE)['sha256']
    spec = spec_for(dest, server.url_for(FILE), mirrors=[mirror.url], checksum='sha256:' + mirror_sha)
    result = install(spec)
    assert result['source'] == spec.sources[0] != spec.upstream
    assert result['sha256'] == mirror_sha
    assert server.request_count() == 0


def test_wrong_checksum_everywhere_keeps_previous_install(installed, server, mirror, archives, dest):
    spec, first = installed
    before = tree_state(dest / KEY)
    wrong = 'ab' * 32
    bad = spec_for(dest, spec.upstream, mirrors=[mirror.url], checksum='sha256:' + wrong)
    with pytest.raises(ZooError) as err:
        install(bad)
    msg = str(err.value)
    assert KEY in msg and wrong in msg
    assert archives[KEY]['sha256'] in msg  # the actual digest of the upstream archive
    assert tree_state(dest / KEY) == before
    assert _manifest.read(str(dest / KEY))['sha256'] == first['sha256']
    assert work_entries(dest) == []
    settle(server, mirror)
    assert server.request_count(FILE) == 1 and mirror.request_count(FILE) == 1


@pytest.mark.parametrize('fault', ['short', 'reset'])
def test_cut_download_resumes_during_install(server, archives, dest, fault):
    info = archives[KEY]
    at = 200 * 1000
    server.plan(FILE, [short(at) if fault == 'short' else reset(at)])
    result = install(spec_for(dest, server.url_for(FILE)))
    assert result['action'] == 'installed' and result['sha256'] == info['sha256']
    assert _manifest.problems(result['path'], _manifest.read(result['path']), full=True) == []
    reqs = [r for r in server.requests if r['filename'] == FILE]
    assert len(reqs) == 2
    if fault == 'short':  # a clean early close: every byte sent was received, so the resume starts at the cut
        assert reqs[1].get('range') == 'bytes=%d-' % at
    assert result['bytes_downloaded'] - info['size'] <= 1024 * 1024
    assert work_entries(dest) == []


def test_ignored_range_after_cut_restarts_cleanly(server, archives, dest):
    info = archives[KEY]
    server.ignore_range = True
    server.plan(FILE, [short(200 * 1000)])
    result = install(spec_for(dest, server.url_for(FILE)))
    assert result['action'] == 'installed' and result['sha256'] == info['sha256']
    assert _manifest.problems(result['path'], _manifest.read(result['path']), full=True) == []
    reqs = [r for r in server.requests if r['filename'] == FILE]
    assert len(reqs) == 3, reqs  # cut GET, resume answered 200 (abandoned), clean restart from byte 0
    assert reqs[1].get('range') == 'bytes=200000-' and reqs[1]['status'] == 200
    assert reqs[2].get('range') in (None, '')
    assert work_entries(dest) == []


def test_5xx_during_install_then_success(server, archives, dest):
    server.plan(FILE, [status(500), status(503)])
    result = install(spec_for(dest, server.url_for(FILE)))
    assert result['action'] == 'installed' and result['sha256'] == archives[KEY]['sha256']
    settle(server)
    assert sorted(r['status'] for r in server.requests) == [200, 500, 503]


# ---------------------------------------------------------------- leftovers and half installs

@pytest.mark.parametrize('previous', [False, True], ids=['fresh-dest', 'over-previous-install'])
def test_leftovers_of_killed_runs_are_cleaned(server, dest, previous):
    """A killed run's staging folder (ours, no marker) and old tree (ours, with its marker) are deleted; files in
    the old tree that the install did not put there are kept aside, never deleted; other models' entries stay."""
    url = server.url_for(FILE)
    first = install(spec_for(dest, url))
    work = dest / WORK
    (work / (KEY + '.staging.abc123') / 'sub').mkdir(parents=True)
    (work / (KEY + '.staging.abc123') / 'sub' / 'junk.bin').write_bytes(b'x' * 1000)
    shutil.copytree(first['path'], str(work / (KEY + '.old.xyz') / 'tree'))
    (work / (OTHER + '.staging.q') / 'tree').mkdir(parents=True)
    (work / (OTHER + '.staging.q') / 'tree' / 'junk.bin').write_bytes(b'x' * 1000)
    if not previous:
        shutil.rmtree(first['path'])
    result = install(spec_for(dest, url, force=previous))
    assert result['changed'] is True
    assert work_entries(dest) == [OTHER + '.staging.q']
    assert (work / (OTHER + '.staging.q') / 'tree' / 'junk.bin').exists()


def test_leftover_old_tree_with_files_not_ours_is_kept(server, dest):
    url = server.url_for(FILE)
    first = install(spec_for(dest, url))
    work = dest / WORK
    shutil.copytree(first['path'], str(work / (KEY + '.old.xyz') / 'tree'))
    (work / (KEY + '.old.xyz') / 'tree' / 'checkpoint' / 'my_notes.txt').write_text('mine')
    result = install(spec_for(dest, url, force=True))
    kept = [e for e in work_entries(dest) if '.kept.' in e]
    assert len(kept) == 1 and result['kept'] == [str(work / kept[0])]
    assert (work / kept[0] / 'tree' / 'checkpoint' / 'my_notes.txt').read_text() == 'mine'
    assert sorted(os.listdir(str(work / kept[0] / 'tree'))) == ['checkpoint']  # the install's own files: gone


@pytest.mark.parametrize('how', ['no-marker', 'truncated-marker', 'marker-of-other-model', 'marker-tmp-only'])
def test_folder_without_valid_marker_is_never_unchanged(server, archives, dest, how):
    url = server.url_for(FILE)
    install(spec_for(dest, url))
    marker = dest / KEY / _manifest.MARKER
    if how == 'no-marker':
        marker.unlink()
    elif how == 'truncated-marker':
        marker.write_text(marker.read_text()[:-20])
    elif how == 'marker-of-other-model':
        record = json.loads(marker.read_text())
        record['key'] = OTHER
        marker.write_text(json.dumps(record))
    else:
        marker.rename(str(marker) + '.tmp')
    spec = spec_for(dest, url)
    assert Installer(spec, check_mode=True).present()['changed'] is True
    if how == 'marker-of-other-model':
        # The folder claims to be another model's install: replacing it could destroy that model.
        with pytest.raises(ZooError) as err:
            install(spec)
        assert OTHER in str(err.value) and KEY in str(err.value)
        assert json.loads(marker.read_text())['key'] == OTHER
        return
    result = install(spec)
    assert result['changed'] is True and result['action'] != 'unchanged'
    assert _manifest.read(str(dest / KEY))['key'] == KEY
    assert install(spec)['action'] == 'unchanged'


def test_half_extracted_folder_replaced(server, archives, dest):
    """A folder left by `curl | tar xz` cut half-way (no marker) is replaced by a complete install."""
    (dest / KEY / 'checkpoint').mkdir(parents=True)
    (dest / KEY / 'checkpoint' / 'ckpt-0.index').write_bytes(b'partial')
    result = install(spec_for(dest, server.url_for(FILE)))
    assert result['action'] == 'installed'
    record = _manifest.read(str(dest / KEY))
    assert _manifest.problems(str(dest / KEY), record, full=True) == []


# ---------------------------------------------------------------- url-only installs

def test_url_only_lands_in_top_dir_and_rerun_finds_it(server, archives, dest):
    url = server.url_for('odd_name.tar.gz')
    result = install(spec_for(dest, url))
    assert result['path'] == str(dest / 'the_real_top')
    assert not (dest / 'odd_name').exists()
    assert _manifest.read(str(dest / 'the_real_top'))['key'] == 'odd_name'
    server.reset_counters()
    again = install(spec_for(dest, url))
    assert again['action'] == 'unchanged' and again['path'] == str(dest / 'the_real_top')
    assert server.request_count() == 0
    assert observe(spec_for(dest, url)).name == 'present'
    removed = Installer(spec_for(dest, url)).absent()
    assert removed['action'] == 'removed' and not (dest / 'the_real_top').exists()


def test_catalog_style_spec_with_top_dir(server, archives, dest):
    """A Request that knows its top dir (as catalog entries do) finds and reports the right folder."""
    url = server.url_for(FILE)
    spec = Request(key=KEY, dest=str(dest), sources=[url], upstream=url, top_dir=KEY, timeout=5, retries=3)
    assert install(spec)['path'] == str(dest / KEY)
    assert install(spec)['action'] == 'unchanged'


# ---------------------------------------------------------------- disk full (real 4 MiB tmpfs)

def test_disk_full_known_size_fails_before_any_request(server, tmpfs):
    url = server.url_for(FILE)
    spec = Request(key=KEY, dest=str(tmpfs), sources=[url], upstream=url, size=8 * 1000 * 1000, timeout=5, retries=3)
    with pytest.raises(DiskFull) as err:
        install(spec)
    msg = str(err.value)
    assert 'needs 8 MB, 4 MB free' in msg and KEY in msg, msg
    assert server.request_count() == 0
    assert not (tmpfs / KEY).exists()
    assert work_entries(tmpfs) == []


def test_disk_full_unknown_size_fails_cleanly(tmp_path, tmpfs):
    root = tmp_path / 'bigzoo'
    root.mkdir()
    build_archive(root, 'big_model', size=6 * 1024 * 1024, seed=3)
    with ZooServer(str(root)) as srv:
        with pytest.raises(ZooError) as err:  # announced by the source: that source fails, the next may fit
            install(spec_for(tmpfs, srv.url_for('big_model.tar.gz')))
        assert srv.request_count() <= 1
    assert 'MB free' in str(err.value) and 'size announced by' in str(err.value)
    assert not (tmpfs / 'big_model').exists()
    assert work_entries(tmpfs) == []


# ---------------------------------------------------------------- concurrency

SNIPPET = r'''
import json, sys, time
from ansible_collections.labfleet.zoo.plugins.module_utils._install import Installer
from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params
go = float(sys.argv[3])
while time.time() < go:
    time.sleep(0.005)
spec = from_params(dict(url=sys.argv[1], dest=sys.argv[2], timeout=10, retries=3))
print(json.dumps(Installer(spec).present()))
'''


def test_four_concurrent_installs_one_download(server, archives, dest):
    info = archives[KEY]
    url = server.url_for(FILE)
    # Slow the one download down so that the others really wait on the lock meanwhile.
    server.plan(FILE, [stall(100 * 1000, 1.5)])
    go = time.time() + 1.0
    procs = [subprocess.Popen([sys.executable, '-c', SNIPPET, url, str(dest), repr(go)], env=python_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
             for _proc in range(4)]
    results = []
    for proc in procs:
        out, errout = proc.communicate(timeout=60)
        assert proc.returncode == 0, errout
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r['action'] for r in results) == ['installed', 'unchanged', 'unchanged', 'unchanged']
    assert all(r['sha256'] == info['sha256'] for r in results)
    assert server.bytes_served[FILE] == info['size']  # one download, never repeated
    assert len([r for r in server.requests if r['filename'] == FILE and not r.get('range')]) == 1
    assert work_entries(dest) == []
    record = _manifest.read(str(dest / KEY))
    assert _manifest.problems(str(dest / KEY), record, full=True) == []


# ---------------------------------------------------------------- archives that clash with our own bookkeeping

def _tgz(path, top, extra):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        ti = tarfile.TarInfo(top)
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(ti)
        for rel, data in [('pipeline.config', b'model {}\n')] + extra:
            ti = tarfile.TarInfo(top + '/' + rel)
            ti.size, ti.mode = len(data), 0o644
            tar.addfile(ti, io.BytesIO(data))
    path.write_bytes(gzip.compress(buf.getvalue(), mtime=0))
    return 'file://' + str(path)


@pytest.mark.parametrize('member', [_manifest.MARKER, _manifest.MARKER + '.tmp'], ids=['marker', 'marker-tmp'])
def test_archive_carrying_the_marker_name_is_refused_or_stable(tmp_path, dest, member):
    """A member named like our marker must not make every rerun a 'repair' (refusing the archive is fine too)."""
    url = _tgz(tmp_path / 'sneaky.tar.gz', 'sneaky', [(member, b'{"format": 1, "files": {}}')])
    try:
        install(spec_for(dest, url))
    except ZooError as e:
        assert member in str(e) and 'sneaky' in str(e)
        return
    again = install(spec_for(dest, url))
    assert again['action'] == 'unchanged', again.get('problems')


@pytest.mark.parametrize('top', ['.hidden_model', WORK], ids=['hidden-top', 'work-dir-as-top'])
def test_archive_with_hidden_top_dir_is_refused_or_stable(tmp_path, dest, top):
    """A top directory starting with '.' is either refused as an archive error or found again by the rerun."""
    url = _tgz(tmp_path / 'hidden.tar.gz', top, [])
    try:
        install(spec_for(dest, url))
    except ZooError as e:
        assert type(e).__name__ == 'UnsafeArchive' or 'could not install' in str(e), repr(e)
        assert top in str(e)
        assert not [e for e in work_entries(dest) if '.staging.' in e or '.old.' in e]
        return
    again = install(spec_for(dest, url))
    assert again['action'] == 'unchanged'


def test_an_install_recorded_from_the_http_url_is_the_https_one(installed, dest):
    """The catalog moved to https: installs made from the http URL of the same archive are not downloaded again."""
    spec, result = installed
    http_url = spec.upstream
    https_spec = from_params(dict(url=http_url.replace('http://', 'https://'), dest=str(dest)))
    assert observe(https_spec).name == 'present'
    other_host = from_params(dict(url=http_url.replace('127.0.0.1', 'localhost'), dest=str(dest)))
    assert observe(other_host).name == 'damaged'
