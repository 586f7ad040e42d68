"""_unpack: safe one-pass extraction of a gzip'd tar into a staging folder.

Every hostile archive is built with tarfile (tests/support/archives.py); each must be refused with a message naming
the archive and the offending member, and nothing may appear outside the staging folder.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _unpack
from ansible_collections.labfleet.zoo.plugins.module_utils._unpack import DiskFull, GunzipReader, UnsafeArchive
from ansible_collections.labfleet.zoo.tests.support.archives import (
    ABS_TARGET, D, F, HOSTILE, TOP, tar_bytes, tgz_bytes, zoo_members)
from ansible_collections.labfleet.zoo.tests.support.trees import snapshot_below as snapshot

LABEL = 'archive evil.tar.gz from http://127.0.0.1/evil.tar.gz'


def extract_bytes(blob, staging, label=LABEL):
    return _unpack.extract(GunzipReader(io.BytesIO(blob), label), str(staging), label)


@pytest.fixture
def area(tmp_path):
    """tmp_path/{outside/, work/staging/}: escapes would land in outside/ or beside staging."""
    (tmp_path / 'outside').mkdir()
    (tmp_path / 'outside' / 'victim.txt').write_bytes(b'keep me')
    (tmp_path / 'work' / 'staging').mkdir(parents=True)
    return tmp_path


def assert_only_plain_entries(staging):
    for dirpath, dirnames, filenames in os.walk(str(staging)):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            assert stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode), os.path.join(dirpath, name)
            assert not st.st_mode & (stat.S_ISUID | stat.S_ISGID), os.path.join(dirpath, name)


# ---------------------------------------------------------------- the good archive

@pytest.mark.parametrize('explicit_dirs', [True, False], ids=['with-dir-entries', 'files-only'])
def test_good_archive_exact_manifest(area, explicit_dirs):
    members, contents = zoo_members(explicit_dirs=explicit_dirs)
    staging = area / 'work' / 'staging'
    top, manifest = extract_bytes(tgz_bytes(members), staging)

    assert top == TOP
    expected = dict((rel, [len(data), hashlib.sha256(data).hexdigest()]) for rel, data in contents.items())
    assert manifest['files'] == expected
    assert manifest['dirs'] == ['checkpoint', 'saved_model', 'saved_model/assets', 'saved_model/variables']
    # The files on disk are exactly the manifest, with the manifest's sizes and digests; the top dir is stripped.
    on_disk = {}
    for dirpath, _dirs, filenames in os.walk(str(staging)):
        for name in filenames:
            path = os.path.join(dirpath, name)
            with open(path, 'rb') as fh:
                data = fh.read()
            on_disk[os.path.relpath(path, str(staging))] = [len(data), hashlib.sha256(data).hexdigest()]
    assert on_disk == manifest['files']
    assert (staging / 'saved_model' / 'assets').is_dir()


def test_archive_owner_ignored_and_modes_normalised(area):
    members = [D(TOP), F(TOP + '/run.sh', b'#!/bin/sh\n', mode=0o750, uid=4242),
               F(TOP + '/secret', b'data', mode=0o600, uid=4242)]
    staging = area / 'work' / 'staging'
    old = os.umask(0o022)
    try:
        extract_bytes(tgz_bytes(members), staging)
    finally:
        os.umask(old)
    run, secret = os.stat(str(staging / 'run.sh')), os.stat(str(staging / 'secret'))
    assert run.st_uid == os.getuid() and secret.st_uid == os.getuid()
    assert stat.S_IMODE(run.st_mode) == 0o755
    assert stat.S_IMODE(secret.st_mode) == 0o644


def test_synthetic_zoo_archive_manifest_matches_files(area, archives):
    """The session's synthetic archive (tools/fixtures/synthetic_zoo.py) extracts with a manifest true to the files."""
    info = archives['small_model']
    staging = area / 'work' / 'staging'
    with open(str(info['path']), 'rb') as raw:
        top, manifest = _unpack.extract(GunzipReader(raw, 'small'), str(staging), 'small')
    assert top == 'small_model'
    assert 'pipeline.config' in manifest['files']
    assert 'checkpoint/ckpt-0.index' in manifest['files']
    for rel, (size, digest) in manifest['files'].items():
        data = (staging / rel).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (size, digest), rel


# ---------------------------------------------------------------- hostile archives


@pytest.mark.parametrize('case', sorted(HOSTILE), ids=sorted(HOSTILE))
def test_hostile_archive_rejected_nothing_outside_staging(area, case):
    factory, offender = HOSTILE[case]
    staging = area / 'work' / 'staging'
    before = snapshot(area, staging)
    with pytest.raises(UnsafeArchive) as err:
        extract_bytes(tgz_bytes(factory(area)), staging)
    msg = str(err.value)
    assert LABEL in msg, msg
    assert offender in msg, msg
    assert snapshot(area, staging) == before
    assert not os.path.lexists(ABS_TARGET)
    assert (area / 'outside' / 'victim.txt').read_bytes() == b'keep me'
    assert_only_plain_entries(staging)


@pytest.mark.parametrize('name', ['.labfleet-zoo.json', '.labfleet-zoo.json.tmp'], ids=['marker', 'marker-tmp'])
def test_reserved_marker_names_rejected(area, name):
    from ansible_collections.labfleet.zoo.plugins.module_utils import _manifest
    staging = area / 'work' / 'staging'
    members = [D(TOP), F(TOP + '/pipeline.config', b'x'), F(TOP + '/' + name, b'{"format": 1, "files": {}}')]
    with pytest.raises(UnsafeArchive) as err:
        _unpack.extract(GunzipReader(io.BytesIO(tgz_bytes(members)), LABEL), str(staging), LABEL,
                        reserved=_manifest.reserved)
    assert LABEL in str(err.value) and TOP + '/' + name in str(err.value)
    assert not (staging / name).exists()


def test_duplicate_member_does_not_overwrite_first(area):
    """The second copy of a name must never replace the bytes of the first (even inside staging)."""
    staging = area / 'work' / 'staging'
    members = [D(TOP), F(TOP + '/pipeline.config', b'first'), F(TOP + '/pipeline.config', b'second!')]
    with pytest.raises(UnsafeArchive):
        extract_bytes(tgz_bytes(members), staging)
    assert (staging / 'pipeline.config').read_bytes() == b'first'


@pytest.mark.parametrize('blob,what', [
    (b'this is not a gzip file at all, just text\n' * 50, 'not a valid gzip'),
    (None, 'not a valid gzip'),  # an uncompressed tar
    (b'', None),                 # empty: neither gzip nor tar
], ids=['text', 'plain-tar', 'empty'])
def test_not_gzip_rejected(area, blob, what):
    staging = area / 'work' / 'staging'
    if blob is None:
        blob = tar_bytes(zoo_members()[0])
    before = snapshot(area, staging)
    with pytest.raises(UnsafeArchive) as err:
        extract_bytes(blob, staging)
    assert LABEL in str(err.value)
    if what:
        assert what in str(err.value)
    assert snapshot(area, staging) == before
    assert os.listdir(str(staging)) == []


@pytest.mark.parametrize('keep', [0.3, 0.6, 0.95], ids=['cut-30pct', 'cut-60pct', 'cut-95pct'])
def test_truncated_gzip_rejected(area, keep):
    blob = tgz_bytes(zoo_members()[0])
    staging = area / 'work' / 'staging'
    before = snapshot(area, staging)
    with pytest.raises(UnsafeArchive) as err:
        extract_bytes(blob[:int(len(blob) * keep)], staging)
    assert LABEL in str(err.value)
    assert 'truncated' in str(err.value)
    assert snapshot(area, staging) == before


def test_truncated_trailer_caught_by_drain(area):
    """Cutting only the gzip trailer leaves the tar readable: drain() must still refuse the stream."""
    blob = tgz_bytes(zoo_members()[0])[:-8]
    reader = GunzipReader(io.BytesIO(blob), LABEL)
    _unpack.extract(reader, str(area / 'work' / 'staging'), LABEL)
    with pytest.raises(UnsafeArchive) as err:
        reader.drain()
    assert LABEL in str(err.value) and 'truncated' in str(err.value)


def test_corrupt_crc_rejected(area):
    blob = bytearray(tgz_bytes(zoo_members()[0]))
    blob[-6] ^= 0xFF  # inside the CRC32 of the gzip trailer
    reader = GunzipReader(io.BytesIO(bytes(blob)), LABEL)
    with pytest.raises(UnsafeArchive) as err:
        _unpack.extract(reader, str(area / 'work' / 'staging'), LABEL)
        reader.drain()
    assert LABEL in str(err.value)


def test_empty_tar_rejected(area):
    with pytest.raises(UnsafeArchive) as err:
        extract_bytes(tgz_bytes([]), area / 'work' / 'staging')
    assert LABEL in str(err.value)


# ---------------------------------------------------------------- disk full, on a real 4 MiB tmpfs

def test_member_larger_than_free_space_disk_full(tmp_path, tmpfs):
    """A member whose declared size exceeds the free space: DiskFull naming archive and member, before writing."""
    staging = tmpfs / 'staging'
    staging.mkdir()
    big = TOP + '/saved_model/variables/variables.data-00000-of-00001'
    members = [D(TOP), F(TOP + '/pipeline.config', b'x' * 100), F(big, b'\0' * (6 * 1024 * 1024))]
    before = snapshot(tmp_path, staging)
    with pytest.raises(DiskFull) as err:
        extract_bytes(tgz_bytes(members), staging)
    msg = str(err.value)
    assert LABEL in msg and big in msg, msg
    assert 'needs 7 MB' in msg, msg  # 6 MiB = 6.29 MB, rounded up
    assert snapshot(tmp_path, staging) == before
    # Refused before writing: the big member has no file at all.
    assert not (staging / 'saved_model' / 'variables' / 'variables.data-00000-of-00001').exists()


def test_many_small_members_fill_the_disk(tmp_path, tmpfs):
    """Sizes that each fit but together exceed the free space: DiskFull (not a raw OSError) naming the member."""
    staging = tmpfs / 'staging'
    staging.mkdir()
    chunk = b'\0' * (900 * 1000)
    members = [D(TOP)] + [F('%s/part%02d.bin' % (TOP, i), chunk) for i in range(8)]
    before = snapshot(tmp_path, staging)
    with pytest.raises(DiskFull) as err:
        extract_bytes(tgz_bytes(members), staging)
    msg = str(err.value)
    assert LABEL in msg and 'part0' in msg, msg
    assert snapshot(tmp_path, staging) == before


def test_need_space_message(tmpfs):
    with pytest.raises(DiskFull) as err:
        _unpack.need_space(str(tmpfs), 10 * 1000 * 1000, 'model foo')
    assert 'model foo needs 10 MB, 4 MB free in %s' % tmpfs == str(err.value)
    _unpack.need_space(str(tmpfs), 1000 * 1000, 'model foo')  # fits: no error


# ---------------------------------------------------------------- memory bounds of GunzipReader

class CountingRaw(object):
    def __init__(self, data):
        self._fh = io.BytesIO(data)
        self.largest = 0

    def read(self, n=-1):
        data = self._fh.read(n)
        self.largest = max(self.largest, len(data))
        return data


@pytest.mark.parametrize('n', [1, 7, 4096, 65536, 1 << 20, 3 << 20], ids=lambda n: 'read-%d' % n)
def test_gunzip_read_never_returns_more_than_requested(n):
    payload = b'\0' * (12 << 20) + os.urandom(300000) + b'\0' * (2 << 20)  # bombs well: 14 MB -> ~0.3 MB
    raw = CountingRaw(gzip.compress(payload, compresslevel=9, mtime=0))
    reader = GunzipReader(raw, 'bomb')
    out = hashlib.sha256()
    total = 0
    while True:
        chunk = reader.read(n)
        assert len(chunk) <= n
        if not chunk:
            break
        out.update(chunk)
        total += len(chunk)
        if n < 4096 and total > 20000:
            break  # byte-by-byte over 14 MB would be slow; the bound is what matters
    if n >= 4096:
        assert total == len(payload)
        assert out.hexdigest() == hashlib.sha256(payload).hexdigest()
    assert raw.largest <= _unpack.CHUNK


@pytest.mark.parametrize('n', [0, -1, None], ids=['zero', 'minus-one', 'none'])
def test_gunzip_default_read_is_bounded(n):
    payload = b'\0' * (5 << 20)
    reader = GunzipReader(io.BytesIO(gzip.compress(payload, mtime=0)), 'bomb')
    chunk = reader.read(n)
    assert 0 < len(chunk) <= _unpack.CHUNK


def test_gunzip_concatenated_members():
    one, two = os.urandom(70000), b'\0' * 300000
    reader = GunzipReader(io.BytesIO(gzip.compress(one) + gzip.compress(two)), 'multi')
    data = b''
    while True:
        chunk = reader.read(65536)
        if not chunk:
            break
        data += chunk
    assert data == one + two
