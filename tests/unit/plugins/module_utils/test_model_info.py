"""_model_info: the read-only inspection behind labfleet.zoo.model_info, on real installs made by the installer."""

from __future__ import annotations

import os

import pytest

from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import build_archive

from ansible_collections.labfleet.zoo.plugins.module_utils import _manifest
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._install import Installer
from ansible_collections.labfleet.zoo.plugins.module_utils._install import NO_MARKER
from ansible_collections.labfleet.zoo.plugins.module_utils._model_info import inspect
from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params

PC = 'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8'
PI = 'ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8'


@pytest.fixture(scope='module')
def mirror(tmp_path_factory):
    """A folder of two catalog models' synthetic archives, used as a file:// mirror."""
    root = tmp_path_factory.mktemp('mirror')
    for key in (PC, PI):
        build_archive(root, key, size=96 * 1024)
    return 'file://%s' % root


@pytest.fixture
def dest(tmp_path, mirror):
    """A models folder holding PC and PI, installed by the real installer from the mirror."""
    folder = tmp_path / 'pre_trained'
    for key in (PC, PI):
        Installer(from_params({'name': key, 'dest': str(folder), 'mirrors': [mirror]})).present()
    return folder


def snapshot(root):
    return sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob('*'))


def test_intact_models_in_the_order_asked_then_the_others(dest, mirror):
    before = snapshot(dest)
    out = inspect(str(dest), [PI])
    assert snapshot(dest) == before, 'inspect wrote something'
    assert [(m['name'], m['state'], m['wanted']) for m in out['models']] == [(PI, 'intact', True), (PC, 'intact', False)]
    assert out['intact'] is True and out['changed'] is False
    model = out['models'][0]
    assert model['path'] == str(dest / PI) and model['problems'] == []
    assert model['files'] == 7 and model['size'] == sum(p.stat().st_size for p in (dest / PI).rglob('*')
                                                        if p.is_file() and p.name != '.labfleet-zoo.json')
    assert model['source'] == '%s/%s.tar.gz' % (mirror, PI)
    assert len(model['sha256']) == 64 and model['archive_size'] > 0 and model['installed_at'].endswith('Z')
    assert 0 < out['free_bytes'] <= out['total_bytes']


def test_no_names_means_every_install_is_wanted(dest):
    out = inspect(str(dest))
    assert sorted((m['name'], m['wanted']) for m in out['models']) == [(PC, True), (PI, True)]


@pytest.mark.parametrize('verify, damage, expected', [
    ('quick', 'delete', 'checkpoint/ckpt-0.index: missing'),
    ('quick', 'truncate', 'checkpoint/ckpt-0.index: size 0, expected'),
    ('quick', 'flip', None),
    ('full', 'flip', 'checkpoint/ckpt-0.index: content differs (sha256)'),
], ids=['quick-missing-file', 'quick-resized-file', 'quick-misses-same-size-edit', 'full-sees-same-size-edit'])
def test_damage_is_reported_as_the_model_module_sees_it(dest, verify, damage, expected):
    victim = dest / PC / 'checkpoint' / 'ckpt-0.index'
    if damage == 'delete':
        victim.unlink()
    elif damage == 'truncate':
        victim.write_bytes(b'')
    else:
        data = bytearray(victim.read_bytes())
        data[0] ^= 0xFF
        victim.write_bytes(bytes(data))
    out = inspect(str(dest), [PC, PI], verify=verify)
    model = out['models'][0]
    if expected is None:
        assert model['state'] == 'intact' and out['intact']
    else:
        assert model['state'] == 'damaged' and model['problems'][0].startswith(expected)
        assert out['intact'] is False and out['models'][1]['state'] == 'intact'


def test_missing_and_markerless_models(tmp_path, dest):
    (dest / PC / '.labfleet-zoo.json').unlink()
    out = inspect(str(dest), [PC, 'efficientdet_d0_coco17_tpu-32'])
    states = dict((m['name'], (m['state'], m['problems'])) for m in out['models'])
    assert states[PC] == ('damaged', [NO_MARKER])
    assert states['efficientdet_d0_coco17_tpu-32'] == ('missing', ['not installed'])
    assert states[PI][0] == 'intact' and out['intact'] is False
    empty = inspect(str(tmp_path / 'nowhere' / 'pre_trained'), [PC])
    assert [m['state'] for m in empty['models']] == ['missing'] and empty['free_bytes'] > 0


@pytest.mark.parametrize('dest, names, message', [
    ('relative/pre_trained', [], 'dest must be an absolute path'),
    (None, ['no_such_model'], 'no_such_model'),
], ids=['relative-dest', 'unknown-name'])
def test_errors(tmp_path, dest, names, message):
    with pytest.raises(ZooError, match=message):
        inspect(dest or str(tmp_path), names)


def test_a_file_as_dest_is_refused(tmp_path):
    path = tmp_path / 'file'
    path.write_text('x')
    with pytest.raises(ZooError, match='is not a folder'):
        inspect(str(path))
    assert os.path.isfile(str(path))


def test_judged_against_the_same_upstream_and_checksum_as_the_model_module(dest, mirror):
    """An install from another upstream, or of another archive than the pinned one, is what model would replace."""
    recorded = inspect(str(dest), [PC])['models'][0]['sha256']
    other = inspect(str(dest), [PC], upstream='http://proxy.lab/zoo/')['models'][0]
    assert other['state'] == 'damaged' and other['problems'][0].startswith('installed from https://download')
    pinned = inspect(str(dest), [PC], checksums={PC: 'sha256:' + recorded})['models'][0]
    assert pinned['state'] == 'intact'
    wrong = inspect(str(dest), [PC], checksums={PC: 'sha256:' + '0' * 64})['models'][0]
    assert wrong['state'] == 'damaged' and wrong['problems'][0].startswith('archive sha256 %s' % recorded)
    Installer(from_params({'name': PI, 'dest': str(dest), 'url': mirror + '/%s.tar.gz' % PI})).present()
    assert inspect(str(dest), [PI], upstream=mirror)['models'][0]['state'] == 'intact'


def test_each_entry_carries_the_key_its_marker_records(dest):
    out = inspect(str(dest), [PC, 'efficientdet_d0_coco17_tpu-32'])
    assert [(m['name'], m['key']) for m in out['models']] == [
        (PC, PC), ('efficientdet_d0_coco17_tpu-32', None), (PI, PI)]


def test_the_scan_lists_only_installs_in_their_place_and_follows_no_link(tmp_path, dest):
    """One marker scan (_manifest.scan) for model and model_info: a copy under another name, a hidden folder and a
    link to an install are not installs in dest."""
    import shutil
    shutil.copytree(str(dest / PI), str(dest / 'copy_of_pi'))
    shutil.copytree(str(dest / PI), str(dest / ('.' + PI)))
    elsewhere = tmp_path / 'elsewhere'
    shutil.copytree(str(dest / PC), str(elsewhere / PC))
    (dest / PC).rename(dest / 'pc.mine')
    (dest / PC).symlink_to(elsewhere / PC)
    fd = os.open(str(dest), os.O_RDONLY | os.O_DIRECTORY)
    try:
        found, complete = _manifest.scan(fd)
        assert [name for name, _record in found] == [PI] and complete
        assert _manifest.scan(fd, limit=2)[1] is False
    finally:
        os.close(fd)
    out = inspect(str(dest))
    assert [(m['name'], m['state']) for m in out['models']] == [(PI, 'intact')]


def test_too_many_entries_are_said_not_hidden(dest):
    warnings = []
    for n in range(_manifest.MAX_SCAN + 1):
        (dest / ('f%05d' % n)).touch()
    out = inspect(str(dest), warnings=warnings)
    assert len(warnings) == 1 and 'more than %d entries' % _manifest.MAX_SCAN in warnings[0], warnings
    assert all(m['state'] == 'intact' for m in out['models'])


def test_a_dest_link_made_by_another_user_is_not_listed(tmp_path, dest):
    """Root lists nothing through a student's link (said in a warning); asked for models, it fails as model does."""
    link = tmp_path / 'linked'
    link.symlink_to(dest)
    os.lchown(str(link), 4242, 4242)
    warnings = []
    assert inspect(str(link), warnings=warnings)['models'] == []
    assert 'link made by another user' in warnings[0]
    with pytest.raises(ZooError, match='cannot open the models folder .*link made by another user'):
        inspect(str(link), [PC])
