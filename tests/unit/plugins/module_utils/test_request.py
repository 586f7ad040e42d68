"""_request: task parameters -> a checked install request (catalog lookup, sources, checksum)."""

from __future__ import annotations

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _catalog, _request
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._request import Request, from_params, parse_checksum

HEX = '0123456789abcdef' * 4
SSD = 'ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8'
SSD_URL = 'https://download.tensorflow.org/models/object_detection/tf2/20200711/%s.tar.gz' % SSD
FRCNN = 'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8'
CENTERNET_OD = 'centernet_mobilenetv2fpn_512x512_coco17_od'


def params(**kw):
    kw.setdefault('dest', '/srv/models')
    return kw


# ---------------------------------------------------------------- parse_checksum

@pytest.mark.parametrize('value,expected', [
    ('sha256:' + HEX, HEX),
    ('sha256:' + HEX.upper(), HEX),
    ('sha256:' + HEX[:32].upper() + HEX[32:], HEX),
    ('  sha256:%s\n' % HEX, HEX),
    (None, None),
], ids=['lower', 'upper', 'mixed', 'surrounding-space', 'none'])
def test_parse_checksum_accepts(value, expected):
    assert parse_checksum(value) == expected


@pytest.mark.parametrize('value', [
    'md5:' + HEX[:32],
    'sha1:' + HEX[:40],
    'sha256:' + HEX[:63],
    'sha256:' + HEX + 'a',
    HEX,
    'sha256:' + 'g' * 64,
    'sha256:',
    'sha256 :' + HEX,
    '',
], ids=['md5', 'sha1', 'short-hex', 'long-hex', 'missing-prefix', 'not-hex', 'empty-digest', 'space-in-prefix',
        'empty'])
def test_parse_checksum_rejects(value):
    with pytest.raises(ZooError) as err:
        parse_checksum(value)
    assert "sha256:' followed by 64 hex digits" in str(err.value)
    assert repr(value) in str(err.value)


# ---------------------------------------------------------------- from_params: catalog names

def test_name_resolves_from_catalog():
    spec = from_params(params(name=SSD))
    assert spec.key == SSD
    assert spec.upstream == SSD_URL
    assert spec.sources == [SSD_URL]
    assert spec.top_dir == SSD
    assert spec.dest == '/srv/models'
    assert spec.checksum is None
    assert (spec.verify, spec.force, spec.timeout, spec.retries) == ('quick', False, 30, 5)


def test_name_with_known_size():
    assert from_params(params(name=FRCNN)).size == 211996178


def test_name_whose_top_dir_differs():
    spec = from_params(params(name=CENTERNET_OD))
    assert spec.top_dir == 'centernet_mobilenetv2_fpn_od'
    assert spec.sources[-1].endswith('/20210210/%s.tar.gz' % CENTERNET_OD)


def test_mirrors_come_first_with_file_name_appended():
    spec = from_params(params(name=SSD, mirrors=['http://10.0.0.5:8080/zoo/', 'https://mirror.lab/tf2//', 'file:///srv/zoo']))
    assert spec.sources == [
        'http://10.0.0.5:8080/zoo/%s.tar.gz' % SSD,
        'https://mirror.lab/tf2/%s.tar.gz' % SSD,
        'file:///srv/zoo/%s.tar.gz' % SSD,
        SSD_URL,
    ]
    assert spec.upstream == SSD_URL


def test_url_overrides_catalog_url():
    url = 'http://127.0.0.1:9/private/%s.tar.gz' % SSD
    spec = from_params(params(name=SSD, url=url, mirrors=['http://m']))
    assert spec.key == SSD
    assert spec.upstream == url
    assert spec.sources == ['http://m/%s.tar.gz' % SSD, url]
    assert spec.top_dir == SSD
    assert spec.size is None  # the catalog's size is about the catalog's archive, not this one


@pytest.mark.parametrize('base', ['http://proxy.lab/zoo', 'http://proxy.lab/zoo/'], ids=['plain', 'trailing-slash'])
def test_upstream_base_replaces_the_catalog_server(base):
    spec = from_params(params(name=SSD, upstream=base, mirrors=['http://m']))
    assert spec.upstream == 'http://proxy.lab/zoo/%s.tar.gz' % SSD
    assert spec.sources == ['http://m/%s.tar.gz' % SSD, spec.upstream]
    assert (spec.key, spec.top_dir, spec.size) == (SSD, SSD, None)
    extremenet = from_params(params(name='extremenet_20210507', upstream=base))
    assert extremenet.upstream == 'http://proxy.lab/zoo/extremenet_20210507.tar.gz'  # the mirrors' file name


@pytest.mark.parametrize('kw', [dict(url='http://x/%s.tar.gz' % SSD), dict(name=None)], ids=['with-url', 'no-name'])
def test_upstream_needs_name_and_no_url(kw):
    kw.setdefault('name', SSD)
    with pytest.raises(ZooError, match='upstream'):
        from_params(params(upstream='http://proxy.lab/zoo', **kw))


def test_upstream_scheme_checked():
    with pytest.raises(ZooError, match="unsupported URL scheme 'ftp'"):
        from_params(params(name=SSD, upstream='ftp://proxy.lab/zoo'))


def test_duplicate_extremenet_rows_have_distinct_keys():
    urls = set()
    keys = [k for k in _catalog_keys() if k.startswith('extremenet')]
    assert len(keys) == 2, keys
    for key in keys:
        spec = from_params(params(name=key))
        assert spec.sources[-1].endswith('/extremenet.tar.gz')
        urls.add(spec.upstream)
    assert len(urls) == 2


def _catalog_keys():
    for attr in ('keys', 'names', 'all_keys'):
        fn = getattr(_catalog, attr, None)
        if callable(fn):
            return list(fn())
    for attr in ('CATALOG', 'MODELS', 'ENTRIES'):
        value = getattr(_catalog, attr, None)
        if isinstance(value, dict):
            return list(value)
        if isinstance(value, (list, tuple)):
            return [e['key'] for e in value]
    pytest.fail('cannot list the catalog keys of _catalog')


def test_unknown_name_lists_close_matches():
    with pytest.raises(ZooError) as err:
        from_params(params(name='ssd_mobilenet_v2_fpnlite_320x320'))
    assert 'ssd_mobilenet_v2_fpnlite_320x320' in str(err.value)
    assert SSD in str(err.value)


# ---------------------------------------------------------------- from_params: url only

@pytest.mark.parametrize('url,key', [
    ('http://127.0.0.1:8000/zoo/my_detector.tar.gz', 'my_detector'),
    ('https://example.org/a/b/my_detector-v2.tgz', 'my_detector-v2'),
    ('http://example.org/my_detector.tar.gz?token=abc', 'my_detector'),
    ('file:///srv/zoo/my%2Bdetector.tar.gz', 'my+detector'),
], ids=['http', 'https-tgz', 'query-string', 'file-quoted'])
def test_url_only(url, key):
    spec = from_params(params(url=url, mirrors=['http://m/zoo']))
    assert spec.key == key
    assert spec.upstream == url
    assert spec.top_dir is None and spec.size is None
    assert spec.sources[-1] == url
    assert spec.sources[0].startswith('http://m/zoo/') and spec.sources[0].endswith(('.tar.gz', '.tgz'))


@pytest.mark.parametrize('url', ['http://example.org/model.zip', 'http://example.org/', 'http://example.org/.tar.gz'],
                         ids=['zip', 'no-file', 'only-suffix'])
def test_url_only_must_name_an_archive(url):
    with pytest.raises(ZooError) as err:
        from_params(params(url=url))
    assert url in str(err.value)


# ---------------------------------------------------------------- invalid input

@pytest.mark.parametrize('key', ['../x', 'a/b', '..', '.hidden', '-x', 'a b', ''], ids=[
    'dotdot', 'slash', 'only-dotdot', 'dot-first', 'dash-first', 'space', 'empty'])
def test_invalid_model_names_rejected_by_spec(key):
    with pytest.raises(ZooError) as err:
        Request(key=key, dest='/srv/models', sources=['http://h/x.tar.gz'], upstream='http://h/x.tar.gz')
    assert 'invalid model name %r' % key in str(err.value)


@pytest.mark.parametrize('name', ['../x', 'a/b', '../../etc/passwd'], ids=['dotdot', 'slash', 'traversal'])
def test_invalid_names_rejected_by_from_params(name):
    with pytest.raises(ZooError) as err:
        from_params(params(name=name))
    assert name in str(err.value)


@pytest.mark.parametrize('url', ['http://h/..%2F..%2Fescape.tar.gz', 'http://h/a%2Fb.tar.gz'],
                         ids=['quoted-dotdot', 'quoted-slash'])
def test_url_only_quoted_traversal_rejected(url):
    with pytest.raises(ZooError) as err:
        from_params(params(url=url))
    assert 'invalid model name' in str(err.value)


@pytest.mark.parametrize('dest', ['pre_trained', './pre_trained', 'tod_tf2/../pre_trained', ''],
                         ids=['bare', 'dot', 'dotdot', 'empty'])
def test_relative_dest_rejected(dest):
    with pytest.raises(ZooError) as err:
        from_params(params(name=SSD, dest=dest))
    assert 'dest must be an absolute path' in str(err.value)
    assert repr(dest) in str(err.value)


@pytest.mark.parametrize('field,value', [
    ('url', 'ftp://example.org/x.tar.gz'),
    ('url', 'sftp://example.org/x.tar.gz'),
    ('url', 'example.org/x.tar.gz'),
    ('mirrors', ['ftp://mirror.lab/zoo']),
    ('mirrors', ['http://ok.lab', 'gopher://mirror.lab']),
], ids=['ftp-url', 'sftp-url', 'no-scheme-url', 'ftp-mirror', 'gopher-second-mirror'])
def test_unsupported_scheme_rejected(field, value):
    p = params(name=SSD) if field == 'mirrors' else params()
    p[field] = value
    with pytest.raises(ZooError) as err:
        from_params(p)
    assert 'unsupported URL scheme' in str(err.value)
    assert 'use http, https or file' in str(err.value)


# ---------------------------------------------------------------- pass-through of options

def test_options_pass_through():
    spec = from_params(params(name=SSD, checksum='sha256:' + HEX.upper(), verify='full', force=True, timeout=7,
                              retries=2, validate_certs=False, http_agent='zoo-test', mode='0644'))
    assert spec.checksum == HEX
    assert (spec.verify, spec.force, spec.timeout, spec.retries) == ('full', True, 7, 2)
    assert spec.url_options == {'validate_certs': False, 'http_agent': 'zoo-test'}
    assert set(spec.url_options) <= set(_request.URL_OPTIONS)
