"""labfleet.zoo.recap: classifying sources and formatting the table (the whole callback runs in tests/report)."""

from __future__ import annotations

import pytest

from ansible_collections.labfleet.zoo.plugins.callback.recap import CallbackModule, HostRecap, human_bytes, where

UPSTREAM = 'https://download.tensorflow.org/models/object_detection/tf2/20200711/m.tar.gz'


@pytest.mark.parametrize('source, mirrors, expected', [
    ('http://teacher:8080/zoo/m.tar.gz', ['http://teacher:8080/zoo'], ('mirror', 'teacher:8080')),
    ('http://teacher:8080/zoo/m.tar.gz', ['http://teacher:8080/zoo/'], ('mirror', 'teacher:8080')),
    (UPSTREAM, ['http://teacher:8080/zoo'], ('upstream', 'download.tensorflow.org')),
    ('https://models.example.org/m.tar.gz', [], ('upstream', 'models.example.org')),
    ('file:///srv/zoo/m.tar.gz', ['file:///srv/zoo'], ('mirror', 'local file')),
], ids=['mirror', 'mirror-trailing-slash', 'upstream-after-mirror', 'url-without-mirrors', 'file-mirror'])
def test_where(source, mirrors, expected):
    assert where(source, mirrors) == expected


@pytest.mark.parametrize('count, text', [(0, '0 B'), (1023, '1023 B'), (1536, '1.5 KiB'), (5 * 1024 ** 3, '5.0 GiB')])
def test_human_bytes(count, text):
    assert human_bytes(count) == text


def test_table_counts_bytes_origins_and_totals():
    recap = CallbackModule()
    pc = recap.hosts.setdefault('pc01', HostRecap())
    pc.add({'action': 'installed', 'bytes_downloaded': 2048, 'source': 'http://t:80/zoo/a.tar.gz'}, ['http://t:80/zoo'])
    pc.add({'action': 'unchanged', 'bytes_downloaded': 0, 'source': 'http://t:80/zoo/b.tar.gz'}, ['http://t:80/zoo'])
    pi = recap.hosts.setdefault('pi01', HostRecap())
    pi.add({'action': 'repaired', 'bytes_downloaded': 1024, 'source': UPSTREAM}, ['http://t:80/zoo'])
    pi.add({'failed': True, 'msg': 'boom'}, [])
    lines = recap.lines()
    assert lines[0].split() == ['host', 'installed', 'repaired', 'unchanged', 'removed', 'failed', 'downloaded', 'from']
    assert lines[1].split() == ['pc01', '1', '0', '1', '0', '0', '2.0', 'KiB', 'mirror', 't:80']
    assert lines[2].split() == ['pi01', '0', '1', '0', '0', '1', '1.0', 'KiB', 'upstream', 'download.tensorflow.org']
    assert lines[3].split()[:9] == ['TOTAL', '(2', 'hosts)', '1', '1', '1', '0', '1', '3.0']
    assert lines[3].endswith('mirror t:80, upstream download.tensorflow.org')
    assert len(set(len(line.split('  ')[0]) for line in lines[:3])) == 1, 'host column not aligned'
