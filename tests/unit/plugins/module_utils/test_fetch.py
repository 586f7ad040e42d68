"""_fetch without a network: file:// sources, the source order of mirrors then upstream, URL checks, the back-off.

The HTTP side (cuts, stalls, Range, 404/5xx from a real server on 127.0.0.1) is tests/integration/module_utils/
test_fetch_http.py: unit tests start no server.
"""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _fetch
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import SourceError, check_url, open_source, source_urls

MiB = 1024 * 1024


# ---------------------------------------------------------------- file:// sources

def test_file_source(archives):
    info = archives['fetchme']
    stream = open_source('file://' + str(info['path']))
    data = stream.read(info['size'] + 10)
    while True:
        more = stream.read(MiB)
        if not more:
            break
        data += more
    stream.close()
    assert hashlib.sha256(data).hexdigest() == info['sha256'] == stream.sha256.hexdigest()
    assert stream.size == stream.offset == info['size']


def test_file_source_missing(tmp_path):
    url = 'file://%s/nothing.tar.gz' % tmp_path
    with pytest.raises(SourceError) as err:
        open_source(url)
    assert url in str(err.value)


# ---------------------------------------------------------------- URLs

@pytest.mark.parametrize('mirrors,expected', [
    (None, ['http://up/x/m.tar.gz']),
    ([], ['http://up/x/m.tar.gz']),
    (['http://a:8080/zoo'], ['http://a:8080/zoo/m.tar.gz', 'http://up/x/m.tar.gz']),
    (['http://a/zoo/', 'https://b/', 'file:///srv/zoo//'],
     ['http://a/zoo/m.tar.gz', 'https://b/m.tar.gz', 'file:///srv/zoo/m.tar.gz', 'http://up/x/m.tar.gz']),
], ids=['none', 'empty', 'one', 'trailing-slashes-and-order'])
def test_source_urls(mirrors, expected):
    assert source_urls('http://up/x/m.tar.gz', mirrors, 'm.tar.gz') == expected


@pytest.mark.parametrize('url', ['http://h/a.tar.gz', 'https://h/a.tar.gz', 'file:///a.tar.gz', 'HTTP://h/a.tar.gz'],
                         ids=['http', 'https', 'file', 'upper-scheme'])
def test_check_url_accepts(url):
    assert check_url(url) == url


@pytest.mark.parametrize('url,scheme', [
    ('ftp://h/a.tar.gz', 'ftp'), ('sftp://h/a.tar.gz', 'sftp'), ('gopher://h/a', 'gopher'),
    ('h/a.tar.gz', ''), ('javascript:alert(1)', 'javascript'),
], ids=['ftp', 'sftp', 'gopher', 'no-scheme', 'javascript'])
def test_check_url_rejects(url, scheme):
    with pytest.raises(ZooError) as err:
        check_url(url)
    assert "unsupported URL scheme '%s'" % scheme in str(err.value)
    assert url in str(err.value) and 'use http, https or file' in str(err.value)


def test_source_urls_rejects_bad_mirror():
    with pytest.raises(ZooError):
        source_urls('http://up/m.tar.gz', ['ftp://mirror'], 'm.tar.gz')


def test_backoff_grows_and_is_capped():
    assert [_fetch.backoff(i) for i in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
