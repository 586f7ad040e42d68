"""Property 6: a mirror that misbehaves in any way costs only time: the next source is tried and the mirror is
listed in failed_sources. Real servers on 127.0.0.1; the student-owned dest as everywhere in this suite."""

from __future__ import annotations

import os

import pytest

from ansible_collections.labfleet.zoo.tests.support import archives
from ansible_collections.labfleet.zoo.tests.support.lab import KEY, run
from ansible_collections.labfleet.zoo.tests.support.trees import mounted_tmpfs
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer, lie_length, redirect

pytestmark = pytest.mark.slow


def served_by_upstream(out, upstream, mirrors=1):
    assert not out.failed, out
    assert out.result['action'] == 'installed' and out.result['source'].startswith(upstream.url), out
    assert len(out.result['failed_sources']) == mirrors, out
    return out.result['failed_sources']


@pytest.fixture
def hostile_mirror(lab):
    """A mirror of our own whose KEY.tar.gz the test writes."""
    root = lab.root / 'mirror'
    root.mkdir()
    server = ZooServer(str(root)).start()
    yield root, server
    server.stop()


def test_a_content_length_beyond_max_size(lab, mirror, upstream):
    mirror.plan(KEY + '.tar.gz', [lie_length(10 ** 13)])
    failed = served_by_upstream(run(lab.params(url=upstream.url_for(KEY + '.tar.gz'), mirrors=[mirror.url])),
                                upstream)
    assert 'announces' in failed[0] and 'max_size' in failed[0], failed


def test_a_content_length_beyond_free_space_moves_on(lab, mirror, upstream):
    """dest on a 4 MB tmpfs: the mirror announces 50 MB, the real archive (600 kB) fits."""
    with mounted_tmpfs(lab.dest):
        os.chown(str(lab.dest), lab.uid, lab.gid)
        mirror.plan(KEY + '.tar.gz', [lie_length(50 * 1000 * 1000)])
        failed = served_by_upstream(run(lab.params(url=upstream.url_for(KEY + '.tar.gz'), mirrors=[mirror.url])),
                                    upstream)
        assert 'MB free' in failed[0] and 'announced' in failed[0], failed


@pytest.mark.parametrize('content,words', [
    (lambda: archives.tgz([archives.directory(KEY), archives.member(KEY + '/big', b'b' * (3 << 20))]), 'max_size'),
    (lambda: b'\x1f\x8b' + os.urandom(4000), 'gzip'),
    (lambda: archives.tgz([archives.directory(KEY), archives.member(KEY + '/../x', b'x')]), 'escapes'),
], ids=['oversize-member', 'bad-bytes', 'hostile-member'])
def test_a_mirror_serving_a_bad_archive_moves_on(lab, upstream, hostile_mirror, content, words):
    root, server = hostile_mirror
    (root / (KEY + '.tar.gz')).write_bytes(content())
    failed = served_by_upstream(run(lab.params(url=upstream.url_for(KEY + '.tar.gz'), mirrors=[server.url],
                                               max_size='2M')), upstream)
    assert words in failed[0], failed


@pytest.mark.parametrize('target', [
    lambda lab, up: 'file://%s/%s.tar.gz' % (up.root, KEY),
    lambda lab, up: 'ftp://127.0.0.1:9/%s.tar.gz' % KEY,
    lambda lab, up: 'gopher://127.0.0.1:9/x',
], ids=['file', 'ftp', 'gopher'])
def test_a_redirect_to_anything_but_http_is_refused(lab, mirror, upstream, target):
    mirror.plan(KEY + '.tar.gz', [redirect(target(lab, upstream))])
    failed = served_by_upstream(run(lab.params(url=upstream.url_for(KEY + '.tar.gz'), mirrors=[mirror.url])),
                                upstream)
    assert 'redirect' in failed[0].lower(), failed


def test_a_redirect_loop_is_given_up(lab, mirror, upstream):
    loop = mirror.url_for(KEY + '.tar.gz')
    mirror.plan(KEY + '.tar.gz', [redirect(loop)] * 20)
    failed = served_by_upstream(run(lab.params(url=upstream.url_for(KEY + '.tar.gz'), mirrors=[mirror.url])),
                                upstream)
    assert 'redirects more than' in failed[0], failed


def test_an_http_redirect_is_followed(lab, mirror, upstream):
    mirror.plan(KEY + '.tar.gz', [redirect(upstream.url_for(KEY + '.tar.gz'), code=301)])
    out = run(lab.params(url=upstream.url_for(KEY + '.tar.gz'), mirrors=[mirror.url]))
    assert not out.failed and out.result['source'].startswith(mirror.url), out
    assert 'failed_sources' not in out.result, out
