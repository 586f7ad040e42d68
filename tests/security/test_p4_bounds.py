"""Property 4: bounded time, memory and disk whatever the archive or the server does; no recursion a deep tree can
overflow; messages bounded. Hostile archives are built byte by byte; the servers trickle for real."""

from __future__ import annotations

import gzip
import os
import time

import pytest

from ansible_collections.labfleet.zoo.tests.support import archives
from ansible_collections.labfleet.zoo.tests.support.archives import directory, header, member
from ansible_collections.labfleet.zoo.tests.support.lab import KEY, install_measured, run
from ansible_collections.labfleet.zoo.tests.support.trees import snapshot
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import trickle, trickle_headers

pytestmark = pytest.mark.slow

TOP = 'evil_model'


def serve(lab, blob, name=TOP):
    path = lab.root / (name + '.tar.gz')
    path.write_bytes(blob)
    return 'file://' + str(path)


@pytest.mark.parametrize('fault', [trickle(4000, 1.0), trickle_headers(1.0)], ids=['body', 'headers'])
def test_a_trickling_mirror_is_given_up_within_timeout_times_retries(lab, mirror, upstream, fault):
    mirror.plan(KEY + '.tar.gz', [fault] * 20)
    started = time.monotonic()
    out = run(lab.params(url=upstream.url_for(KEY + '.tar.gz'), mirrors=[mirror.url], timeout=2, retries=1))
    spent = time.monotonic() - started
    assert not out.failed and out.result['source'].startswith(upstream.url), out
    assert len(out.result['failed_sources']) == 1, out
    # timeout x (retries + 1) = 4 s of trickle, plus back-off, reconnects and Ansible's own start-up
    assert spent < 4 + 20, (spent, out)
    assert any(word in out.result['failed_sources'][0] for word in ('too slow', 'no answer within')), out


def deep_tar(levels):
    name = TOP + '/' + 'd/' * levels + 'f'
    return archives.tgz([directory(TOP), member(name, b'x')])


HOSTILE = {
    'too-many-members': (lambda: archives.tgz([directory(TOP)] + [member('%s/f%05d' % (TOP, i), b'')
                                                                  for i in range(10001)]),
                         'more than 10000 members'),
    'deep-1000': (lambda: deep_tar(1000), 'levels deep'),
    'long-component': (lambda: archives.tgz([directory(TOP), member(TOP + '/' + 'n' * 300, b'x')]),
                       'longer than the limits'),
    'declared-size-over-max': (lambda: gzip.compress(header(TOP + '/', 0, b'5') + header(TOP + '/big', 5 * 10 ** 12)),
                               'max_size'),
    'gzip-bomb': (lambda: archives.tgz([directory(TOP), member(TOP + '/zeros', b'\0' * (64 << 20))]), 'max_size'),
    'huge-pax-header': (lambda: gzip.compress(header('././@PaxHeader', 2 << 30, b'x')), 'pax header'),
    'huge-gnu-longname': (lambda: gzip.compress(header('././@LongLink', 2 << 30, b'L')), 'long-name header'),
    'gnu-sparse': (lambda: gzip.compress(header(TOP + '/', 0, b'5') + header(TOP + '/s', 10, b'S') + b'\0' * 1024),
                   'a sparse file'),
    'pax-sparse-1.0': (lambda: archives.tgz([directory(TOP), member(TOP + '/s', b'x', pax={
        'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': TOP + '/s',
        'GNU.sparse.realsize': '999999999999'})]), 'sparse'),
    'pax-sparse-0.1': (lambda: archives.tgz([directory(TOP), member(TOP + '/s', b'x', pax={
        'GNU.sparse.map': '0,1', 'GNU.sparse.numblocks': '1', 'GNU.sparse.size': '99999999999'})]), 'sparse'),
}


@pytest.mark.parametrize('case', sorted(HOSTILE), ids=sorted(HOSTILE))
def test_hostile_archive_refused_with_bounded_memory(lab, case):
    build, words = HOSTILE[case]
    url = serve(lab, build())
    out, peak = install_measured(dict(url=url, dest=str(lab.dest), max_size='16M'))
    assert words in out.get('error', ''), out
    assert peak < 120, 'peak RSS %.0f MiB' % peak  # a bomb is GBs; the interpreter with the module ~30 MiB
    assert len(out['error']) < 2000
    assert not (lab.dest / TOP).exists()
    assert [e for e in os.listdir(str(lab.work)) if not e.endswith('.lock')] == []
    assert lab.changes_outside() == []


def test_a_hostile_member_name_is_cut_in_the_message(lab):
    name = TOP + '/../' + 'A' * 5000
    out = run(lab.params(url=serve(lab, archives.tgz([directory(TOP), member(name, b'x')]))))
    assert out.failed and 'escapes with ..' in out.msg, out
    assert 'A' * 400 not in out.msg and len(out.msg) < 1500, len(out.msg)


def plant_deep(lab, where, levels=1000):
    lab.as_student('cd %s && i=0; while [ $i -lt %d ]; do mkdir d; cd d; i=$((i+1)); done; echo deep > f'
                   % (where, levels))


def test_a_1000_level_tree_in_an_install_survives_verify_removal_and_reinstall(lab, upstream):
    url = upstream.url_for(KEY + '.tar.gz')
    lab.install(url)
    plant_deep(lab, lab.model(KEY) / 'checkpoint')
    for verify in ('quick', 'full'):
        out = run(lab.params(url=url, verify=verify))
        assert not out.failed and out.result['changed'] is False, out
    info = run({'dest': str(lab.dest), 'name': [], 'verify': 'full'}, module='labfleet.zoo.model_info')
    assert not info.failed and info.result['models'][0]['state'] == 'intact', info
    gone = run(lab.params(url=url, state='absent'))
    assert not gone.failed and gone.result['action'] == 'removed', gone
    kept = gone.result['kept'][0]
    assert os.path.isfile(os.path.join(kept, 'tree', 'checkpoint', *(['d'] * 1000 + ['f'])))
    again = run(lab.params(url=url))
    assert not again.failed and again.result['action'] == 'installed', again


def test_a_1000_level_tree_in_the_work_folder_is_left_alone(lab, upstream):
    url = upstream.url_for(KEY + '.tar.gz')
    lab.as_student('mkdir -p .labfleet-zoo/%s.staging.deep' % KEY)
    plant_deep(lab, lab.work / (KEY + '.staging.deep'))
    before = snapshot(lab.work / (KEY + '.staging.deep'))
    out = run(lab.params(url=url))
    assert not out.failed and out.result['action'] == 'installed', out
    assert snapshot(lab.work / (KEY + '.staging.deep')) == before  # the student's, not ours: never deleted


def test_max_size_is_an_option(lab):
    blob = archives.tgz([directory(TOP), member(TOP + '/w', b'w' * (3 << 20))])
    out, _peak = install_measured(dict(url=serve(lab, blob), dest=str(lab.dest), max_size='2M'))
    assert 'max_size' in out['error'], out
    out, _peak = install_measured(dict(url=serve(lab, blob), dest=str(lab.dest), max_size='8M'))
    assert out.get('action') == 'installed', out
