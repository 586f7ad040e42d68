"""Property 7: a user:password@ in a mirror or upstream URL never appears in results, failed_sources, warnings,
messages, -vvv output or the marker."""

from __future__ import annotations

import pytest

from ansible_collections.labfleet.zoo.tests.support.lab import KEY, run
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import status

pytestmark = pytest.mark.slow

SECRET = 'Zq7-S3cr3t-pw'


def with_creds(url):
    return url.replace('http://', 'http://lfzuser:%s@' % SECRET)


def test_mirror_credentials_never_leak_even_at_vvv(lab, mirror, upstream):
    mirror.plan(KEY + '.tar.gz', [status(404)])
    out = run(lab.params(url=with_creds(upstream.url_for(KEY + '.tar.gz')), mirrors=[with_creds(mirror.url)]),
              verbosity=3)
    assert not out.failed and out.result['action'] == 'installed', out
    assert SECRET not in out.text
    assert '***@' in out.result['source'] and '***@' in out.result['failed_sources'][0], out
    marker = (lab.model(KEY) / '.labfleet-zoo.json').read_text()
    assert SECRET not in marker and 'lfzuser' not in marker
    again = run(lab.params(url=with_creds(upstream.url_for(KEY + '.tar.gz'))), verbosity=3)
    assert not again.failed and again.result['changed'] is False, again  # judged against the redacted record
    assert SECRET not in again.text


def test_credentials_never_leak_from_a_failure(lab):
    url = with_creds('http://127.0.0.1:9/%s.tar.gz' % KEY)
    out = run(lab.params(url=url, mirrors=[with_creds('http://127.0.0.1:9/m/')]), verbosity=3)
    assert out.failed and 'cannot reach' in out.msg, out
    assert SECRET not in out.text


def test_a_bad_url_with_credentials_is_redacted_in_the_message(lab):
    out = run(lab.params(url='ftp://lfzuser:%s@127.0.0.1/x.tar.gz' % SECRET))
    assert out.failed and 'unsupported URL scheme' in out.msg, out
    assert SECRET not in out.text
