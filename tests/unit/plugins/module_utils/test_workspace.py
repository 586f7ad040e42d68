"""_workspace: a whole workspace in one call, in-process, on real files, from a file:// zoo (no server).

The host's facts are injected where a test needs another machine (a Pi's architecture and userland bits): the rest
is the real install state machine, the real pipeline.config editor and real folders.
"""

from __future__ import annotations

import json
import os
import pwd

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _workspace
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._lab import RUN_RECORD
from ansible_collections.labfleet.zoo.tests.support.repo import PC_MODEL, PI_MODEL
from ansible_collections.labfleet.zoo.tests.support.trees import snapshot
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import build_archive

ME = pwd.getpwuid(os.geteuid()).pw_name
PROJECT = 'faces_cubes'


@pytest.fixture(scope='module')
def zoo(tmp_path_factory):
    """The PC and Pi default models as small synthetic archives, served as a file:// upstream."""
    root = tmp_path_factory.mktemp('ws_zoo')
    for key in (PC_MODEL, PI_MODEL):
        build_archive(root, key, size=48 * 1024, seed=3)
    return 'file://%s' % root


def params(zoo, root, **kw):
    """The module's parameters with its defaults, as AnsibleModule would hand them over."""
    out = dict(root=str(root), user=ME, layout='capsules', projects=[{'name': PROJECT, 'classes': ['one', 'two']}],
               profile='pc', models_pc=[PC_MODEL], models_pi=[PI_MODEL], models=[], models_extra=[],
               pi_non_tflite='warn', pi_runtime=True, pi_index='', pi_wheels={}, mirrors=[], upstream=zoo, checksums={}, verify='quick', force=False,
               timeout=5, retries=1, batch_size=2, num_steps=1000, fine_tune_checkpoint_type='detection',
               use_bfloat16=False, max_number_of_boxes=None, max_detections_per_class=None,
               max_total_detections=None, config_paths='relative', enforce_pipeline=False, remove_unwanted=False,
               record=True)
    out.update(kw)
    return out


def actions(result):
    return dict((part, [e['action'] for e in result[part]]) for part in ('models', 'label_maps', 'pipeline_configs'))


def test_first_run_makes_everything_and_the_rerun_nothing(zoo, tmp_path):
    root = tmp_path / 'tod_tf2'
    first, _warnings = _workspace.converge(params(zoo, root))
    assert first['changed'] and not first.get('failed')
    assert actions(first) == {'models': ['installed'], 'label_maps': ['created'], 'pipeline_configs': ['created']}
    for rel in ('images/%s/train' % PROJECT, 'images/%s/test' % PROJECT, 'training/%s/%s' % (PROJECT, PC_MODEL)):
        assert (root / rel).is_dir(), rel
    assert 'name: "two"' in (root / 'training' / PROJECT / 'label_map.pbtxt').read_text()
    config = (root / 'training' / PROJECT / PC_MODEL / 'pipeline.config').read_text()
    assert 'fine_tune_checkpoint: "pre_trained/%s/checkpoint/ckpt-0"' % PC_MODEL in config
    record = json.loads((root / RUN_RECORD).read_text())
    assert (record['result'], record['models'], record['profile']) == ('ok', {PC_MODEL: 'installed'}, 'pc')

    again, warnings = _workspace.converge(params(zoo, root))
    assert not again['changed'] and warnings == [] and again['folders'] == []
    assert actions(again) == {'models': ['unchanged'], 'label_maps': ['unchanged'], 'pipeline_configs': ['unchanged']}
    assert json.loads((root / RUN_RECORD).read_text())['models'] == {PC_MODEL: 'unchanged'}


def test_check_mode_writes_nothing_and_tells_what_a_real_run_would_do(zoo, tmp_path):
    root = tmp_path / 'tod_tf2'
    before = snapshot(tmp_path)
    result, _warnings = _workspace.converge(params(zoo, root), check_mode=True)
    assert snapshot(tmp_path) == before
    assert result['changed'] and actions(result) == {
        'models': ['installed'], 'label_maps': ['created'], 'pipeline_configs': ['created']}
    made = [f['path'] for f in result['folders']]
    assert str(root) in made and str(root / 'training' / PROJECT / PC_MODEL) in made
    assert any(d.get('after_header') == str(root / 'training' / PROJECT / 'label_map.pbtxt') for d in result['diff'])
    _workspace.converge(params(zoo, root))
    after_real = snapshot(tmp_path)
    again, _warnings = _workspace.converge(params(zoo, root), check_mode=True)
    assert not again['changed'] and snapshot(tmp_path) == after_real


def test_a_students_edit_is_kept_and_a_lost_label_map_comes_back(zoo, tmp_path):
    root = tmp_path / 'tod_tf2'
    _workspace.converge(params(zoo, root))
    config = root / 'training' / PROJECT / PC_MODEL / 'pipeline.config'
    edited = config.read_text().replace('num_steps: 1000', 'num_steps: 4000')
    config.write_text(edited)
    (root / 'training' / PROJECT / 'label_map.pbtxt').unlink()
    result, warnings = _workspace.converge(params(zoo, root))
    assert actions(result) == {'models': ['unchanged'], 'label_maps': ['created'], 'pipeline_configs': ['kept']}
    assert config.read_text() == edited and any('num_steps' in w for w in warnings)


def test_a_link_where_a_folder_belongs_fails_that_part_only(zoo, tmp_path):
    root = tmp_path / 'tod_tf2'
    outside = tmp_path / 'outside'
    outside.mkdir()
    (root / 'training').mkdir(parents=True)
    os.symlink(str(outside), str(root / 'training' / PROJECT))
    result, _warnings = _workspace.converge(params(zoo, root))
    assert result['failed'] and 'is a symbolic link, not a folder' in result['msg'], result['msg']
    assert str(root / 'training' / PROJECT) in result['msg']
    assert os.listdir(str(outside)) == []                      # nothing followed the link
    assert os.path.islink(str(root / 'training' / PROJECT))    # nor replaced it
    assert [m['action'] for m in result['models']] == ['installed']
    record = json.loads((root / RUN_RECORD).read_text())
    assert record['result'] == 'failed' and record['failed_task'] == 'Create the workspace tree'


def test_a_model_that_cannot_be_had_fails_at_the_end_after_the_rest(tmp_path, zoo):
    root = tmp_path / 'tod_tf2'
    empty = tmp_path / 'empty_zoo'
    empty.mkdir()
    result, _warnings = _workspace.converge(params('file://%s' % empty, root, models_extra=[PI_MODEL],
                                                   mirrors=[zoo]))
    assert [m['action'] for m in result['models']] == ['installed', 'installed']   # the mirror served both
    result, _warnings = _workspace.converge(params('file://%s' % empty, root, models=[PI_MODEL], force=True))
    assert result['failed'] and PI_MODEL in result['msg']
    assert [m['action'] for m in result['models']] == ['failed']
    assert [c['action'] for c in result['pipeline_configs']] == ['failed']
    assert (root / 'pre_trained' / PI_MODEL / 'pipeline.config').is_file()   # the previous install is kept
    assert json.loads((root / RUN_RECORD).read_text())['models'] == {PI_MODEL: 'failed'}


@pytest.mark.parametrize('machine, bits, runtime', [('aarch64', 64, 'ai-edge-litert'), ('armv7l', 32, 'tflite-runtime'),
                                                    ('aarch64', 32, 'tflite-runtime')],
                         ids=['pi-64-bit', 'pi-32-bit', 'pi4-kernel-64-userland-32'])
def test_a_pi_gets_its_profile_and_runtime_from_its_own_facts(zoo, tmp_path, monkeypatch, machine, bits, runtime):
    monkeypatch.setattr(_workspace, 'host_facts', lambda: (machine, bits, '3.11.2', '2.36'))
    result, _warnings = _workspace.converge(params(zoo, tmp_path / 'ws', profile='auto'), check_mode=True)
    assert (result['profile'], result['pi_runtime'], result['userspace_bits']) == ('pi', runtime, bits)
    assert [m['key'] for m in result['models']] == [PI_MODEL] and result['not_tflite'] == []


def test_a_pi_given_a_model_without_tflite(zoo, tmp_path, monkeypatch):
    monkeypatch.setattr(_workspace, 'host_facts', lambda: ('armv7l', 32, '3.11.2', '2.36'))
    root = tmp_path / 'ws'
    with pytest.raises(ZooError) as err:
        _workspace.converge(params(zoo, root, profile='auto', models_extra=[PC_MODEL], pi_non_tflite='fail'))
    assert 'cannot be converted to .tflite' in str(err.value) and PC_MODEL in str(err.value)
    assert not root.exists()                                    # refused before any write
    result, _warnings = _workspace.converge(params(zoo, root, profile='auto', models_extra=[PC_MODEL]),
                                            check_mode=True)
    assert result['not_tflite'] == [PC_MODEL]


def test_an_architecture_without_a_profile_is_a_clear_error(zoo, tmp_path, monkeypatch):
    monkeypatch.setattr(_workspace, 'host_facts', lambda: ('riscv64', 64, '3.11.2', '2.36'))
    with pytest.raises(ZooError) as err:
        _workspace.converge(params(zoo, tmp_path / 'ws', profile='auto'))
    assert 'riscv64' in str(err.value) and 'workstation_profile' in str(err.value)


def test_remove_unwanted_keeps_the_training_folders(zoo, tmp_path):
    root = tmp_path / 'tod_tf2'
    _workspace.converge(params(zoo, root, models_extra=[PI_MODEL]))
    result, _warnings = _workspace.converge(params(zoo, root, remove_unwanted=True))
    assert [(r['key'], r['action']) for r in result['removed']] == [(PI_MODEL, 'removed')]
    assert not (root / 'pre_trained' / PI_MODEL).exists()
    assert (root / 'training' / PROJECT / PI_MODEL / 'pipeline.config').is_file()
    again, _warnings = _workspace.converge(params(zoo, root, remove_unwanted=True))
    assert not again['changed'] and again['removed'] == []


@pytest.mark.parametrize('root, words', [('tod_tf2', 'must be absolute'), ('~nobody_here/x', 'must be absolute')])
def test_a_bad_root_is_refused(zoo, root, words):
    with pytest.raises(ZooError) as err:
        _workspace.converge(params(zoo, root))
    assert words in str(err.value)


def test_an_unknown_student_is_refused(zoo, tmp_path):
    with pytest.raises(ZooError) as err:
        _workspace.converge(params(zoo, tmp_path / 'ws', user='no_such_student_here'))
    assert "no account 'no_such_student_here'" in str(err.value)


def test_a_pi_without_a_runtime_wheel_fails_that_part_only_and_the_opt_out_provisions_it(zoo, tmp_path, monkeypatch):
    # armhf on trixie: Python 3.13, no tflite-runtime wheel.
    monkeypatch.setattr(_workspace, 'host_facts', lambda: ('armv7l', 32, '3.13.5', '2.41'))
    root = tmp_path / 'ws'
    result, _warnings = _workspace.converge(params(zoo, root, profile='auto'))
    assert result['failed'] and 'armv7l, 32-bit userland, Python 3.13' in result['msg'], result['msg']
    assert 'workstation_pi_runtime to false' in result['msg']
    assert result['runtime']['action'] == 'failed' and result['summary'][-1] == 'TFLite runtime: failed, does not import'
    assert [m['action'] for m in result['models']] == ['installed']       # the other parts were done
    record = json.loads((root / RUN_RECORD).read_text())
    assert (record['result'], record['failed_task']) == ('failed', 'Install the TFLite runtime of the Raspberry Pi')
    result, _warnings = _workspace.converge(params(zoo, root, profile='auto', pi_runtime=False))
    assert not result.get('failed') and result['runtime'] == {} and result['pi_runtime'] == 'unknown'
    assert not (root / '.venv-tflite').exists()


def test_a_pi_whose_platform_the_lab_wheelhouse_lacks_is_told_to_add_it_to_the_mirror(zoo, tmp_path, monkeypatch):
    # A trixie 64-bit Pi (Python 3.13, glibc 2.41) in a lab whose lock pins only the bookworm platforms.
    monkeypatch.setattr(_workspace, 'host_facts', lambda: ('aarch64', 64, '3.13.5', '2.41'))
    pins = {'aarch64-py3.11-glibc2.36': {'ai_edge_litert-2.3.0-cp311-cp311-manylinux_2_27_aarch64.whl': {
        'sha256': 'ab' * 32, 'size': 1}}}
    root = tmp_path / 'ws'
    result, _warnings = _workspace.converge(params(zoo, root, profile='auto', pi_wheels=pins,
                                                   pi_index='http://127.0.0.1:9/simple/'))
    assert result['failed'] and result['runtime']['action'] == 'failed', result
    assert ('has wheels for aarch64-py3.11-glibc2.36, not for this Pi\'s platform aarch64-py3.13-glibc2.41: add '
            'aarch64-py3.13-glibc2.41 to mirror_pi_platforms') in result['msg'], result['msg']
    assert not (root / '.venv-tflite').exists()
