"""Property 3: a run never leaves fewer good installs than it found. SIGKILL at chosen moments of the swap (the
child freezes itself just before the exact system call, then is really killed), then a run with the network down."""

from __future__ import annotations

import os

import pytest

from ansible_collections.labfleet.zoo.tests.support.lab import KEY, run
from ansible_collections.labfleet.zoo.tests.support.kills import killed_at
from ansible_collections.labfleet.zoo.tests.support.trees import snapshot
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer

pytestmark = pytest.mark.slow


@pytest.fixture
def short_lived(zoo):
    """A server of the zoo for this test only: stopped (the network is down) once the test has killed its run."""
    server = ZooServer(str(zoo[0])).start()
    yield server
    server.stop()


def verified(lab, folder):
    from ansible_collections.labfleet.zoo.plugins.module_utils import _manifest
    record = _manifest.read(str(folder))
    return record is not None and _manifest.problems(str(folder), record, full=True) == []


def test_kill_between_the_two_renames_then_network_down(lab, short_lived):
    url = short_lived.url_for(KEY + '.tar.gz')
    lab.install(url)
    params = dict(owner=lab.user, group=lab.group, force=True)
    where = killed_at(url, lab.dest, 'os.rename|.staging.|1', params)  # old tree set aside, new one not yet in
    assert not lab.model(KEY).exists(), where
    short_lived.stop()
    out = run(lab.params(url=url))
    assert not out.failed, out
    assert out.result['changed'] and out.result['action'] == 'repaired', out
    assert out.result['bytes_downloaded'] == 0
    assert any('restored' in w for w in out.result['warnings']), out
    assert verified(lab, lab.model(KEY))
    assert os.stat(str(lab.model(KEY))).st_uid == lab.uid  # handed over to the student, as a normal install
    assert sorted(os.listdir(str(lab.work))) == [KEY + '.lock']  # both leftovers gone once one tree was back
    again = run(lab.params(url=url))
    assert not again.failed and again.result['changed'] is False, again
    assert lab.changes_outside() == []


def test_kill_during_extraction_then_network_down_keeps_the_old_install(lab, short_lived):
    """The old tree is set aside only once the new one is complete: killed mid-extraction, it never moved."""
    url = short_lived.url_for(KEY + '.tar.gz')
    lab.install(url)
    before = snapshot(lab.model(KEY))
    killed_at(url, lab.dest, 'open|ckpt-0.data|1', dict(force=True))
    assert snapshot(lab.model(KEY)) == before
    short_lived.stop()
    out = run(lab.params(url=url, force=True))
    assert out.failed and 'left as it was' in out.msg, out
    assert snapshot(lab.model(KEY)) == before
    assert verified(lab, lab.model(KEY))


def test_kill_after_a_students_folder_was_set_aside(lab, short_lived):
    url = short_lived.url_for(KEY + '.tar.gz')
    lab.as_student('mkdir %s && echo mine > %s/NOTES.txt' % (KEY, KEY))
    killed_at(url, lab.dest, 'os.rename|.staging.|1', dict(owner=lab.user))
    short_lived.stop()
    out = run(lab.params(url=url))
    assert not out.failed and out.result['action'] == 'repaired', out
    assert verified(lab, lab.model(KEY))
    aside = [e for e in os.listdir(str(lab.work)) if '.aside.' in e]
    assert len(aside) == 1
    assert (lab.work / aside[0] / KEY / 'NOTES.txt').read_text() == 'mine\n'


def test_the_wanted_tree_is_preferred_to_a_staged_tree_of_another_archive(lab, short_lived, zoo):
    """Killed between the renames while a pinned install was being replaced by an unpinned run's other archive:
    the next pinned run puts the old (wanted) tree back, not the staged one, with no download."""
    from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import archive_info, build_archive
    url = short_lived.url_for(KEY + '.tar.gz')
    first = lab.install(url)
    newer = build_archive(lab.root / 'newer', KEY, size=300 * 1024, seed=99)  # same name, other bytes
    newer_server = ZooServer(str(newer.parent)).start()
    try:
        killed_at(newer_server.url_for(KEY + '.tar.gz'), lab.dest, 'os.rename|.staging.|1', dict(force=True))
    finally:
        newer_server.stop()
    assert archive_info(newer)['sha256'] != first['sha256']
    short_lived.stop()
    out = run(lab.params(url=url, checksum='sha256:' + first['sha256']))
    assert not out.failed and out.result['action'] == 'repaired', out
    assert out.result['sha256'] == first['sha256'] and out.result['bytes_downloaded'] == 0, out
    assert verified(lab, lab.model(KEY))
