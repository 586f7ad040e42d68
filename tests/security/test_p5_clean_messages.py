"""Property 5: every failure is a clean message (a ZooError naming the archive, member or file), never a Python
error; results carry only text Ansible can serialise. Root runs the real modules."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
import subprocess

import pytest

from ansible_collections.labfleet.zoo.tests.support import archives
from ansible_collections.labfleet.zoo.tests.support.archives import directory, header, member
from ansible_collections.labfleet.zoo.tests.support.lab import KEY, run
from ansible_collections.labfleet.zoo.tests.support.repo import REPO

pytestmark = pytest.mark.slow

TOP = 'odd_model'
PY_ERRORS = ('Traceback', 'ValueError', 'TypeError', 'RecursionError', 'UnicodeError', 'UnicodeDecodeError',
             'MODULE FAILURE', 'Module failed', 'OSError', 'KeyError', 'AttributeError')


def clean(out):
    return not any(word in out.text for word in PY_ERRORS)


def bad_checksum():
    block = bytearray(header(TOP + '/', 0, b'5'))
    block[0] ^= 1
    return bytes(block)


ARCHIVES = {
    'nul-in-pax-path': (lambda: archives.tgz([directory(TOP), member(TOP + '/a', pax={'path': TOP + '/a\x00b'})]),
                        'NUL byte'),
    'not-utf8-name': (lambda: archives.tgz([directory(TOP), member(TOP + '/caf\udce9.txt')], fmt=0), 'not valid UTF-8'),
    'header-checksum': (lambda: gzip.compress(bad_checksum() + b'\0' * 1024), 'checksum'),
    'malformed-pax': (lambda: gzip.compress(header('pax', 9, b'x') + b'99 path=\n'.ljust(512, b'\0')),
                      'malformed pax header'),
    'truncated-header': (lambda: gzip.compress(header(TOP + '/', 0, b'5')[:300]), 'truncated'),
    'negative-size': (lambda: gzip.compress(header(TOP + '/x', 0, size_field=b'\xff' * 12)), 'negative'),
}


@pytest.mark.parametrize('case', sorted(ARCHIVES), ids=sorted(ARCHIVES))
def test_odd_archives_fail_with_a_clean_message(lab, case):
    build, words = ARCHIVES[case]
    path = lab.root / (TOP + '.tar.gz')
    path.write_bytes(build())
    out = run(lab.params(url='file://' + str(path)))
    assert out.failed and words in out.msg, out
    assert 'archive %s.tar.gz' % TOP in out.msg, out
    assert clean(out), out
    json.dumps(out.result)


MARKERS = {
    'a-list': b'[1, 2, 3]',
    'deep-json': b'[' * 200000 + b']' * 200000,
    'not-utf8': b'{"format": 1, "key": "\xff\xfe"}',
    'files-as-list': None,
    'size-as-text': None,
    'format-2': None,
    'extra-key': None,
    'huge': b' ' * (9 << 20) + b'{}',
}


def edit(record, case):
    if case == 'files-as-list':
        record['files'] = list(record['files'])
    elif case == 'size-as-text':
        first = sorted(record['files'])[0]
        record['files'][first][0] = str(record['files'][first][0])
    elif case == 'format-2':
        record['format'] = 2
    elif case == 'extra-key':
        record['owner_uid'] = 0
    return json.dumps(record).encode()


@pytest.mark.parametrize('case', sorted(MARKERS), ids=sorted(MARKERS))
def test_markers_of_any_wrong_shape_count_as_no_marker(lab, upstream, case):
    url = upstream.url_for(KEY + '.tar.gz')
    lab.install(url)
    marker = lab.model(KEY) / '.labfleet-zoo.json'
    data = MARKERS[case] or edit(json.loads(marker.read_text()), case)
    marker.write_bytes(data)
    os.chown(str(marker), lab.uid, lab.gid)
    info = run({'dest': str(lab.dest), 'verify': 'full'}, module='labfleet.zoo.model_info')
    assert not info.failed and clean(info), info
    out = run(lab.params(url=url))
    assert not out.failed and out.result['action'] == 'installed' and clean(out), out
    assert len(out.result['set_aside']) == 1, out


def test_a_fifo_in_an_install_is_reported_never_opened_for_long(lab, upstream):
    url = upstream.url_for(KEY + '.tar.gz')
    lab.install(url)
    lab.as_student('rm %s/pipeline.config && mkfifo %s/pipeline.config' % (KEY, KEY))
    info = run({'dest': str(lab.dest), 'name': [], 'verify': 'full'}, module='labfleet.zoo.model_info', timeout=60)
    assert not info.failed and clean(info), info
    assert any('not a regular file' in p for p in info.result['models'][0]['problems']), info


def test_unreadable_files_under_full_verify_are_named(lab, upstream):
    """model_info run by the student themselves (no root): a file it cannot read is a named problem."""
    url = upstream.url_for(KEY + '.tar.gz')
    result = lab.install(url, owner=None, group=None)  # root's files in the student's folder
    victim = lab.model(KEY) / 'pipeline.config'
    os.chmod(str(victim), 0o600)
    # The checkout may sit in a folder the student cannot enter (a CI clone in mktemp -d): give it a copy.
    lib = lab.root / 'lib'
    shutil.copytree(str(REPO / 'plugins' / 'module_utils'),
                    str(lib / 'ansible_collections' / 'labfleet' / 'zoo' / 'plugins' / 'module_utils'))
    code = ('import json; '
            'from ansible_collections.labfleet.zoo.plugins.module_utils._model_info import inspect; '
            'print(json.dumps(inspect(%r, [], "full")))' % str(lab.dest))
    proc = subprocess.run(['/usr/bin/python3', '-c', code], user=lab.uid, group=lab.gid, extra_groups=[],
                          env=dict(os.environ, PYTHONPATH=str(lib)), capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    model = json.loads(proc.stdout)['models'][0]
    assert model['state'] == 'damaged', model
    assert model['problems'] == ['pipeline.config: cannot be read (Permission denied)'], model
    assert stat.S_IMODE(victim.stat().st_mode) == 0o600 and result['action'] == 'installed'


def test_names_that_are_not_utf8_in_dest_are_listed_as_text(lab, upstream):
    lab.install(upstream.url_for(KEY + '.tar.gz'))
    os.mkdir(os.path.join(str(lab.dest).encode(), b'caf\xe9'))
    info = run({'dest': str(lab.dest)}, module='labfleet.zoo.model_info')
    assert not info.failed and clean(info), info
    assert info.result['intact'] is True
