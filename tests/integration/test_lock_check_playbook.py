"""playbooks/lock_check.yml against the synthetic zoo on 127.0.0.1: HEAD requests only, the lock never written.

The lock file sits beside a lab inventory of its own, as the mirror role keeps it; its entries point at the local
zoo, recorded as a first download would have recorded them (sha256, size, ETag, Last-Modified).
"""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest
import yaml

from ansible_collections.labfleet.zoo.tests.support.repo import BIN, REPO
from ansible_collections.labfleet.zoo.tests.support.runner import env as ansible_env

pytestmark = pytest.mark.slow


def head(url):
    with urllib.request.urlopen(urllib.request.Request(url, method='HEAD'), timeout=10) as resp:
        return int(resp.headers['Content-Length']), resp.headers['ETag'], resp.headers['Last-Modified']


def pinned(zoo, key):
    url = zoo.server.url_for(key + '.tar.gz')
    size, etag, last_modified = head(url)
    return {'sha256': zoo.sha256[key], 'size': size, 'url': url, 'recorded': '2026-01-05T08:00:00Z', 'etag': etag,
            'last_modified': last_modified}


def lab(tmp_path, models):
    inventory = tmp_path / 'lab'
    inventory.mkdir()
    (inventory / 'hosts.yml').write_text('---\nall:\n  children:\n    student_pcs:\n      hosts:\n        pc01:\n')
    lock = inventory / '.zoo.lock.yml'
    lock.write_text('---\n' + yaml.safe_dump({'models': models}))
    return inventory, lock


def lock_check(inventory, *args):
    proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(inventory), str(REPO / 'playbooks' / 'lock_check.yml')]
                          + list(args), cwd=str(REPO), env=ansible_env(), capture_output=True, text=True, timeout=300,
                          check=False)
    out = json.loads(proc.stdout)
    tasks = dict((task['task']['name'], task['hosts']['localhost']) for task in out['plays'][0]['tasks'])
    return proc.returncode, tasks


@pytest.mark.parametrize('check', [False, True], ids=['run', 'check-mode'])
def test_nothing_changed_upstream(zoo, tmp_path, check):
    keys = sorted(zoo.sha256)[:2]
    inventory, lock = lab(tmp_path, dict((key, pinned(zoo, key)) for key in keys))
    before = lock.read_bytes()
    zoo.server.reset_counters()
    rc, tasks = lock_check(inventory, *(['--check'] if check else []))
    assert rc == 0, tasks
    shown = tasks['Show what changed upstream since each archive was pinned']['msg']
    assert shown == {'lock_file': str(lock), 'unchanged': keys, 'changed_upstream': {}, 'not_checked': {}}
    assert sorted((r['method'], r['filename']) for r in zoo.server.requests) == [('HEAD', k + '.tar.gz') for k in keys]
    assert lock.read_bytes() == before
    assert all(not result.get('changed') for result in tasks.values())


def test_a_changed_archive_and_one_that_cannot_be_checked_fail_naming_them(zoo, tmp_path):
    changed, same = sorted(zoo.sha256)[:2]
    entries = {changed: dict(pinned(zoo, changed), size=12345, etag='"pinned-etag"'), same: pinned(zoo, same),
               'gone_model': dict(pinned(zoo, same), url=zoo.server.url_for('gone_model.tar.gz'))}
    inventory, lock = lab(tmp_path, entries)
    before = lock.read_bytes()
    rc, tasks = lock_check(inventory)
    assert rc != 0
    shown = tasks['Show what changed upstream since each archive was pinned']['msg']
    size, etag, _last_modified = head(entries[same]['url'].replace(same, changed))
    assert shown['changed_upstream'] == {changed: ['size 12345 -> %d' % size, 'ETag "pinned-etag" -> %s' % etag]}
    assert list(shown['not_checked']) == ['gone_model'] and 'gone_model.tar.gz' in shown['not_checked']['gone_model']
    assert '404' in shown['not_checked']['gone_model']
    assert shown['unchanged'] == [same]
    failure = tasks['Fail when an archive changed upstream or could not be checked']
    assert failure['failed'] and changed in failure['msg'] and 'gone_model' in failure['msg']
    assert lock.read_bytes() == before


def test_an_empty_lab_checks_nothing(tmp_path):
    inventory = tmp_path / 'lab'
    inventory.mkdir()
    (inventory / 'hosts.yml').write_text('---\nall:\n  hosts:\n    pc01:\n')
    rc, tasks = lock_check(inventory)
    assert rc == 0
    assert tasks['Show what changed upstream since each archive was pinned']['msg']['unchanged'] == []
