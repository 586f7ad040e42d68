"""_archive (the mirror's verified archive files) and the installer's record of failed sources, against real local
HTTP servers and real files."""

from __future__ import annotations

import hashlib
import os

import pytest

from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import build_archive
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer, reset

from ansible_collections.labfleet.zoo.plugins.module_utils._archive import Keeper
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._install import Installer
from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params

KEY = 'small_model'
FILE = KEY + '.tar.gz'


def nosleep(_seconds):
    pass


def spec_for(dest, url, **kw):
    kw.setdefault('timeout', 5)
    kw.setdefault('retries', 2)
    return from_params(dict(url=url, dest=str(dest), **kw))


def keep(spec, **kw):
    return Keeper(spec, sleep=nosleep, **kw).present()


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def dest(tmp_path):
    folder = tmp_path / 'mirror'
    folder.mkdir()
    return folder


@pytest.fixture(scope='module')
def bad_mirror(tmp_path_factory):
    """A server posing as a LAN mirror whose small_model.tar.gz has other bytes, and a non-gzip other_model."""
    root = tmp_path_factory.mktemp('bad_mirror')
    build_archive(root, KEY, size=64 * 1024, seed=99)
    (root / 'other_model.tar.gz').write_bytes(b'<html>captive portal</html>\n')
    with ZooServer(str(root)) as server:
        yield server


def test_download_then_unchanged_without_any_request(server, archives, dest):
    info = archives[KEY]
    result = keep(spec_for(dest, server.url_for(FILE)))
    assert (result['changed'], result['action'], result['source']) == (True, 'downloaded', server.url_for(FILE))
    assert (result['sha256'], result['size'], result['bytes_downloaded']) == (info['sha256'], info['size'], info['size'])
    assert result['etag'] and result['last_modified'] and result['upstream'] == server.url_for(FILE)
    assert sha256(dest / FILE) == info['sha256'] and oct((dest / FILE).stat().st_mode & 0o777) == '0o644'
    assert os.listdir(str(dest)) == [FILE]
    server.reset_counters()
    again = keep(spec_for(dest, server.url_for(FILE), checksum='sha256:' + info['sha256']))
    assert (again['changed'], again['action'], again['sha256'], again['source']) == (False, 'unchanged', info['sha256'], None)
    assert server.request_count() == 0


def test_check_mode_downloads_nothing(server, dest):
    result = keep(spec_for(dest, server.url_for(FILE)), check_mode=True)
    assert (result['changed'], result['action'], result['sha256']) == (True, 'downloaded', None)
    assert os.listdir(str(dest)) == [] and server.request_count() == 0


def test_file_with_other_bytes_is_repaired(server, archives, dest):
    (dest / FILE).write_bytes(b'corrupted')
    spec = spec_for(dest, server.url_for(FILE), checksum='sha256:' + archives[KEY]['sha256'])
    check = keep(spec, check_mode=True)
    assert (check['changed'], check['action'], check['diff']['before']['state']) == (True, 'repaired', 'mismatch')
    result = keep(spec)
    assert (result['changed'], result['action']) == (True, 'repaired')
    assert sha256(dest / FILE) == archives[KEY]['sha256']


def test_mismatching_source_skipped_and_recorded(server, bad_mirror, archives, dest):
    spec = spec_for(dest, server.url_for(FILE), mirrors=[bad_mirror.url], checksum='sha256:' + archives[KEY]['sha256'])
    result = keep(spec)
    assert result['source'] == server.url_for(FILE)
    (failure,) = result['failed_sources']
    assert failure.startswith(bad_mirror.url_for(FILE)) and 'checksum mismatch for model %s: expected sha256 %s, got ' % (
        KEY, archives[KEY]['sha256']) in failure


def test_changed_upstream_fails_naming_both_digests_and_keeps_the_file(server, archives, dest):
    pinned = 'a' * 64
    (dest / FILE).write_bytes(b'previous')
    with pytest.raises(ZooError) as err:
        keep(spec_for(dest, server.url_for(FILE), checksum='sha256:' + pinned))
    msg = str(err.value)
    assert 'checksum mismatch for model %s: expected sha256 %s, got %s' % (KEY, pinned, archives[KEY]['sha256']) in msg
    assert server.url_for(FILE) in msg
    assert (dest / FILE).read_bytes() == b'previous' and sorted(os.listdir(str(dest))) == [FILE]


def test_not_a_gzip_is_never_kept(bad_mirror, dest):
    with pytest.raises(ZooError) as err:
        keep(spec_for(dest, bad_mirror.url_for('other_model.tar.gz')))
    assert 'not a valid gzip file' in str(err.value) and os.listdir(str(dest)) == []


def test_cut_download_is_completed(server, archives, dest):
    info = archives[KEY]
    server.plan(FILE, [reset(info['size'] // 2)])
    result = keep(spec_for(dest, server.url_for(FILE)))
    assert result['sha256'] == info['sha256'] and sha256(dest / FILE) == info['sha256']
    assert server.request_count(FILE) == 2     # the cut, then the rest (resumed from the byte it reached)


def test_missing_dest_folder_fails_clearly(server, tmp_path):
    with pytest.raises(ZooError, match='does not exist'):
        keep(spec_for(tmp_path / 'nowhere', server.url_for(FILE)))


def test_installer_reports_the_sources_that_failed_before_one_served(server, bad_mirror, archives, tmp_path):
    spec = spec_for(tmp_path / 'pre_trained', server.url_for(FILE), mirrors=[bad_mirror.url],
                    checksum='sha256:' + archives[KEY]['sha256'])
    result = Installer(spec, sleep=nosleep).present()
    assert result['source'] == server.url_for(FILE)
    (failure,) = result['failed_sources']
    assert failure.startswith(bad_mirror.url_for(FILE)) and 'checksum mismatch' in failure
    again = Installer(spec, sleep=nosleep).present()
    assert again['action'] == 'unchanged' and 'failed_sources' not in again


def test_a_link_at_the_archive_name_is_neither_read_nor_replaced(server, tmp_path, dest):
    target = tmp_path / 'elsewhere.tar.gz'
    target.write_bytes(b'not the mirror\'s')
    (dest / FILE).symlink_to(target)
    with pytest.raises(ZooError, match='is a symbolic link, not an archive file'):
        keep(spec_for(dest, server.url_for(FILE)))
    assert (dest / FILE).is_symlink() and target.read_bytes() == b'not the mirror\'s'
    assert server.request_count() == 0
