"""The lab mirror and the lock, end to end: playbooks/provision.yml on a teacher (the mirror, served by a real nginx)
and 6 workstations over SSH, against an "upstream" zoo server on 127.0.0.1 that counts the bytes it serves.

Order matters: the module fixture fills the mirror and provisions the lab once; the tests then break one thing at a
time (the mirror down, a corrupted file on it, a changed archive upstream) and put it back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from ansible_collections.labfleet.zoo.tests.support.fleet import ARCHIVE_SIZE, MODELS, record_timing
from ansible_collections.labfleet.zoo.tests.support.mirror import PCS, PIS, TEACHER
from ansible_collections.labfleet.zoo.tests.support.repo import OUTPUT, PC_MODEL, PI_MODEL, REPO
from ansible_collections.labfleet.zoo.tests.support.runner import WORKSPACE_TASK
from ansible_collections.labfleet.zoo.tests.support.trees import digest
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import build_archive

pytestmark = [pytest.mark.ssh, pytest.mark.nginx, pytest.mark.slow]

TOOLS = REPO / 'tools' / 'teacher'
INSTALL = WORKSPACE_TASK
DOWNLOAD = 'Download each archive once from upstream, verified against the lock'


class Lab(object):
    def __init__(self, fleet, upstream):
        self.fleet, self.upstream = fleet, upstream
        self.runs = {}

    def provision(self, name, *args):
        run = self.fleet.provision(*args)
        self.runs[name] = run
        path = self.fleet.dir / ('run-%s.json' % name)
        path.write_text(run.stdout)
        return run

    def installs(self, run, host):
        return run.part(host, 'models')

    def archive_path(self, key):
        return self.fleet.mirror_root / (key + '.tar.gz')


@pytest.fixture(scope='module')
def lab(mirror_fleet, upstream):
    """The evening before class: fill the mirror (teacher only), start nginx on its server block, provision the lab."""
    the_lab = Lab(mirror_fleet, upstream)
    upstream.reset_counters()
    fill = the_lab.provision('fill', '--limit', TEACHER)
    assert fill.rc == 0 and not fill.problems(), fill.describe()
    mirror_fleet.nginx.start()
    first = the_lab.provision('first')
    assert first.rc == 0 and not first.problems(), first.describe()
    assert 'WARNING' not in first.stderr, first.stderr    # e.g. the lock file read as an inventory source
    record_timing('mirror_first_run_seconds', first.seconds, len(mirror_fleet.hosts))
    the_lab.first_bytes = dict(upstream.bytes_served)
    return the_lab


def test_upstream_serves_each_distinct_model_exactly_once(lab):
    assert lab.first_bytes == dict((key + '.tar.gz', ARCHIVE_SIZE_OF(lab, key)) for key in MODELS)
    lock = lab.fleet.lock()
    assert sorted(lock) == sorted(MODELS)
    for key in MODELS:
        entry = lock[key]
        assert entry['size'] == ARCHIVE_SIZE_OF(lab, key)
        assert entry['sha256'] == digest(lab.archive_path(key))
        assert entry['url'] == lab.upstream.url_for(key + '.tar.gz')
        assert entry['recorded'] and entry['etag']


def test_every_workstation_installed_from_the_mirror(lab):
    first = lab.runs['first']
    for host in PCS + PIS:
        results = lab.installs(first, host)
        assert sorted(r['key'] for r in results) == sorted(lab.fleet.expected_models(host)), host
        for res in results:
            assert res['action'] == 'installed', (host, res)
            assert res['source'] == '%s/%s.tar.gz' % (lab.fleet.nginx.url, res['key']), (host, res)
            assert res['checksum'] == 'sha256:' + lab.fleet.lock()[res['key']]['sha256']


def test_nginx_serves_only_the_archives_with_ranges(lab):
    base = lab.fleet.nginx.url
    whole = requests.get('%s/%s.tar.gz' % (base, PC_MODEL), timeout=10)
    assert whole.status_code == 200 and whole.content == lab.archive_path(PC_MODEL).read_bytes()
    assert whole.headers['Content-Type'] == 'application/gzip' and 'Content-Encoding' not in whole.headers
    part = requests.get('%s/%s.tar.gz' % (base, PC_MODEL), headers={'Range': 'bytes=100-199'}, timeout=10)
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert part.headers['Content-Range'] == 'bytes 100-199/%d' % len(whole.content)
    assert requests.head('%s/%s.tar.gz' % (base, PI_MODEL), timeout=10).status_code == 200
    (lab.fleet.mirror_root / 'notes.txt').write_text('not an archive')
    (lab.fleet.mirror_root / '.hidden.tar.gz').write_bytes(b'x')
    for path in ('/', '/notes.txt', '/.hidden.tar.gz', '/missing.tar.gz', '/../mirror/%s.tar.gz' % PC_MODEL):
        assert requests.get(base + path, timeout=10).status_code in (400, 404), path
    assert 'Index of' not in requests.get(base + '/', timeout=10).text
    assert requests.post('%s/%s.tar.gz' % (base, PC_MODEL), data=b'', timeout=10).status_code == 403
    assert PC_MODEL in lab.fleet.access_log.read_text()


def test_second_run_changes_nothing_and_nothing_crosses_the_link(lab):
    lab.upstream.reset_counters()
    second = lab.provision('second')
    assert second.rc == 0 and second.changed() == dict((h, 0) for h in (TEACHER,) + PCS + PIS), second.describe()
    assert lab.upstream.request_count() == 0
    assert [r['action'] for r in second.results(TEACHER, DOWNLOAD)] == ['unchanged'] * len(MODELS)
    check = zoo_lock(lab, 'check')
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count('unchanged') == len(MODELS)
    show = zoo_lock(lab, 'show')
    assert show.returncode == 0 and all(key in show.stdout for key in MODELS), show.stdout


def test_fleet_bytes_prints_upstream_against_naive(lab):
    runs = [str(lab.fleet.dir / 'run-fill.json'), str(lab.fleet.dir / 'run-first.json')]
    proc = subprocess.run([sys.executable, str(TOOLS / 'fleet_bytes.py')] + runs, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    print('\n' + proc.stdout)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / 'mirror_fleet_bytes.txt').write_text(proc.stdout)
    as_json = subprocess.run([sys.executable, str(TOOLS / 'fleet_bytes.py'), '--json'] + runs,
                             capture_output=True, text=True, check=True)
    table = json.loads(as_json.stdout)
    hosts = dict((key, sum(key in lab.fleet.expected_models(h) for h in PCS + PIS)) for key in MODELS)
    for key in MODELS:
        size = ARCHIVE_SIZE_OF(lab, key)
        assert table[key]['upstream'] == size == lab.first_bytes[key + '.tar.gz'], key
        assert table[key]['hosts'] == hosts[key] and table[key]['naive'] == size * hosts[key], key
        assert table[key]['mirror'] == size * hosts[key], key    # the mirror served every workstation
    assert 'total' in proc.stdout


def test_mirror_down_workstations_fall_back_to_upstream(lab):
    hosts = (PCS[1], PIS[0])
    lab.fleet.nginx.stop()
    try:
        lab.upstream.reset_counters()
        run = lab.provision('mirror-down', '--limit', ','.join(hosts), '-e', 'workstation_force=true')
        assert run.rc == 0 and not run.problems(), run.describe()
        for host in hosts:
            (res,) = lab.installs(run, host)
            key = res['key']
            assert res['action'] == 'installed' and res['source'] == lab.upstream.url_for(key + '.tar.gz'), res
            assert res['failed_sources'] and lab.fleet.nginx.url in res['failed_sources'][0]
            # ...and the run says so: a warning per fallback.
            assert 'model %s: a source failed before %s served: %s' % (key, res['source'], lab.fleet.nginx.url) \
                in '\n'.join(run.warnings(host, INSTALL)), run.warnings(host, INSTALL)
        assert dict(lab.upstream.bytes_served) == dict((k + '.tar.gz', ARCHIVE_SIZE_OF(lab, k)) for k in (PC_MODEL, PI_MODEL))
    finally:
        lab.fleet.nginx.start()


def test_corrupted_file_on_the_mirror_is_rejected_then_repaired(lab):
    path = lab.archive_path(PC_MODEL)
    # Bad bytes that are still a valid archive of the right name (a truncated or garbled one fails even earlier).
    other = build_archive(lab.fleet.dir / 'other_bytes', PC_MODEL, size=ARCHIVE_SIZE, seed=5)
    path.write_bytes(Path(other).read_bytes())
    lock = lab.fleet.lock()
    lab.upstream.reset_counters()
    run = lab.provision('corrupted', '--limit', PCS[2], '-e', 'workstation_force=true')
    assert run.rc == 0 and not run.problems(), run.describe()
    (res,) = lab.installs(run, PCS[2])
    assert res['source'] == lab.upstream.url_for(PC_MODEL + '.tar.gz'), res
    (failure,) = res['failed_sources']
    assert failure.startswith(lab.fleet.nginx.url) and 'checksum mismatch for model %s: expected sha256 %s, got ' % (
        PC_MODEL, lock[PC_MODEL]['sha256']) in failure, failure
    assert 'a source failed before %s served: %s' % (res['source'], failure) in '\n'.join(run.warnings(PCS[2], INSTALL))
    assert dict(lab.upstream.bytes_served) == {PC_MODEL + '.tar.gz': ARCHIVE_SIZE_OF(lab, PC_MODEL)}
    # The mirror's next run finds the bad copy (sha256 against the lock) and fetches it again.
    repair = lab.provision('repair', '--limit', TEACHER)
    assert repair.rc == 0, repair.describe()
    actions = dict((r['item']['key'], r['action']) for r in repair.results(TEACHER, DOWNLOAD))
    assert actions == dict((k, 'repaired' if k == PC_MODEL else 'unchanged') for k in MODELS)
    assert digest(path) == lock[PC_MODEL]['sha256'] and lab.fleet.lock() == lock


def test_changed_upstream_archive_is_a_hard_error_with_both_digests(lab):
    lock = lab.fleet.lock()
    pinned = lock[PI_MODEL]['sha256']
    build_archive(lab.upstream.root, PI_MODEL, size=ARCHIVE_SIZE, seed=1)     # upstream republishes other bytes
    new = digest(Path(lab.upstream.root) / (PI_MODEL + '.tar.gz'))
    try:
        check = zoo_lock(lab, 'check')
        assert check.returncode == 1, check.stdout + check.stderr
        changed = [line for line in check.stdout.splitlines() if 'CHANGED' in line]
        assert len(changed) == 1 and changed[0].startswith(PI_MODEL), check.stdout
        lab.archive_path(PI_MODEL).unlink()       # a new mirror, or one that lost the file: it must download
        upstream_url = lab.upstream.url_for(PI_MODEL + '.tar.gz')
        expected = 'checksum mismatch for model %s: expected sha256 %s, got %s' % (PI_MODEL, pinned, new)
        # The mirror refuses the new bytes, and the run stops there: no workstation is provisioned.
        run = lab.provision('changed-upstream', '--limit', '%s,%s' % (TEACHER, PIS[0]), '-e', 'workstation_force=true')
        assert run.rc != 0 and lab.installs(run, PIS[0]) == [], run.describe()
        failed = [r for r in run.results(TEACHER, DOWNLOAD) if r.get('failed')]
        assert len(failed) == 1 and expected in failed[0]['msg'] and upstream_url in failed[0]['msg'], failed
        # A workstation on its own (the mirror lacks the file: 404, then upstream) refuses them too.
        run = lab.provision('changed-upstream-pi', '--limit', PIS[0], '-e', 'workstation_force=true')
        assert run.rc != 0
        (res,) = lab.installs(run, PIS[0])
        assert res.get('failed') and expected in res['msg'] and upstream_url in res['msg'], res
        assert lab.fleet.lock() == lock
        assert (lab.fleet.workspace(PIS[0]) / 'pre_trained' / PI_MODEL / 'pipeline.config').is_file()
        # Accepting the change is deliberate: the refresh pins the new bytes...
        refresh = lab.provision('refresh', '--limit', TEACHER, '-e', 'mirror_lock_refresh=true')
        assert refresh.rc == 0, refresh.describe()
        assert lab.fleet.lock()[PI_MODEL]['sha256'] == new and lab.fleet.lock()[PC_MODEL] != lock[PC_MODEL]
    finally:
        build_archive(lab.upstream.root, PI_MODEL, size=ARCHIVE_SIZE, seed=0)   # byte-identical to the first one
    # ...and refreshing again once upstream is back pins the original bytes (workstations are untouched).
    back = lab.provision('refresh-back', '--limit', TEACHER, '-e', 'mirror_lock_refresh=true')
    assert back.rc == 0, back.describe()
    assert lab.fleet.lock()[PI_MODEL]['sha256'] == pinned and digest(lab.archive_path(PI_MODEL)) == pinned
    final = lab.provision('final')
    assert final.rc == 0 and not final.problems(), final.describe()
    for host in PCS + PIS:
        assert [r['action'] for r in lab.installs(final, host)] == ['unchanged'] * len(lab.fleet.expected_models(host)), host


def zoo_lock(lab, *args):
    return subprocess.run([sys.executable, str(TOOLS / 'zoo_lock.py')] + list(args)
                          + ['--lock', str(lab.fleet.lock_file)], capture_output=True, text=True, check=False)


def ARCHIVE_SIZE_OF(lab, key):
    return (Path(lab.upstream.root) / (key + '.tar.gz')).stat().st_size
