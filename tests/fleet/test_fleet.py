"""The whole lab over real SSH: playbooks/provision.yml and reprovision.yml on 4 PCs and 2 Pis (one sshd, 6 users).

Every run is the README's command, ``python tools/teacher/provision.py [playbook] -i <inventory> ...``.
"""

from __future__ import annotations

import os
import pwd

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils._pipeline_config import PipelineConfig
from ansible_collections.labfleet.zoo.tests.support.fleet import PC_EXTRA, PCS, PI_CHOICE, PIS, record_timing
from ansible_collections.labfleet.zoo.tests.support.repo import OUTPUT, PC_MODEL, PI_MODEL
from ansible_collections.labfleet.zoo.tests.support.runner import WORKSPACE_TASK

pytestmark = [pytest.mark.ssh, pytest.mark.slow]

PROJECT = 'faces_cubes'
MODEL_FILES = ('pipeline.config', 'checkpoint/ckpt-0.index', 'checkpoint/checkpoint', 'saved_model/saved_model.pb')


def config_values(path, *keys):
    config = PipelineConfig(path.read_text(), str(path))
    return [config.get(key) for key in keys]


def test_check_on_the_fresh_fleet_reports_changes_and_writes_nothing(provisioned, fleet):
    check = provisioned.check
    assert check.rc == 0 and not check.problems(), check.describe()
    for host in fleet.hosts:
        assert check.stats[host]['changed'] > 0, host
    assert provisioned.after_check == provisioned.before == dict((host, {}) for host in fleet.hosts)
    assert provisioned.requests_during_check == 0
    # --diff tells what the pipeline.config would be made from, without content it cannot know yet.
    results = check.part(PCS[1], 'pipeline_configs')
    assert [res['action'] for res in results] == ['created']


@pytest.mark.parametrize('host', PCS + PIS)
def test_every_host_has_its_models_training_folders_and_configs(provisioned, fleet, host):
    root = fleet.workspace(host)
    uid = pwd.getpwnam(host).pw_uid
    assert sorted(p.name for p in (root / 'pre_trained').iterdir() if not p.name.startswith('.')) == \
        sorted(fleet.expected_models(host))
    for sub in ('images/%s/train' % PROJECT, 'images/%s/test' % PROJECT):
        assert (root / sub).is_dir()
    label_map = (root / 'training' / PROJECT / 'label_map.pbtxt').read_text()
    assert "name: \"one\"" in label_map and "name: \"two\"" in label_map and 'id: 2' in label_map
    for model in fleet.expected_models(host):
        for name in MODEL_FILES:
            assert (root / 'pre_trained' / model / name).is_file(), (host, model, name)
        config = root / 'training' / PROJECT / model / 'pipeline.config'
        assert config_values(
            config,
            ('model', '*', 'num_classes'), ('train_config', 'batch_size'), ('train_config', 'num_steps'),
            ('train_config', 'fine_tune_checkpoint'), ('train_config', 'fine_tune_checkpoint_type'),
            ('train_config', 'use_bfloat16'),
            ('train_input_reader', 'label_map_path'), ('eval_input_reader', 'label_map_path'),
            ('train_input_reader', 'tf_record_input_reader', 'input_path'),
            ('eval_input_reader', 'tf_record_input_reader', 'input_path'),
        ) == [[2], [2], [1000], ['pre_trained/%s/checkpoint/ckpt-0' % model], ['detection'], [False],
              ['training/%s/label_map.pbtxt' % PROJECT], ['training/%s/label_map.pbtxt' % PROJECT],
              ['training/%s/train.record' % PROJECT], ['training/%s/test.record' % PROJECT]], (host, model)
        for path in (config, root / 'pre_trained' / model / 'pipeline.config', root / 'training' / PROJECT):
            assert os.stat(str(path)).st_uid == uid, path


def test_profiles_and_host_vars_model_choice(provisioned, fleet):
    first = provisioned.first
    # One task for the play (run_once) shows every host's summary: {host: [headline, models...]}.
    (shown,) = [res['msg'] for host in fleet.hosts
                for res in first.results(host, "Show the workstations' profiles, models and workspaces")]
    for host in PIS:
        summary = shown[host][0]
        assert 'profile pi' in summary, summary
    assert 'profile pc' in shown[PCS[1]][0]
    # host_vars: one PC also gets an EfficientDet, one Pi the 640x640 FPNLite instead of the 320x320.
    assert (fleet.workspace(PCS[0]) / 'pre_trained' / PC_EXTRA / 'pipeline.config').is_file()
    assert not (fleet.workspace(PCS[1]) / 'pre_trained' / PC_EXTRA).exists()
    assert (fleet.workspace(PIS[1]) / 'pre_trained' / PI_CHOICE / 'pipeline.config').is_file()
    assert not (fleet.workspace(PIS[1]) / 'pre_trained' / PI_MODEL).exists()
    assert (fleet.workspace(PIS[0]) / 'pre_trained' / PI_MODEL).is_dir()
    assert not (fleet.workspace(PIS[0]) / 'pre_trained' / PC_MODEL).exists()


def test_second_run_changes_nothing_on_any_host(provisioned, fleet, fleet_zoo):
    """The README's command with its default output: the per-host recap says changed=0 everywhere."""
    fleet_zoo.reset_counters()
    second = fleet.provision(json_output=False)
    record_timing('second_run_seconds', second.seconds, len(fleet.hosts))
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / 'fleet_second_run.txt').write_text('$ %s\n%s' % (' '.join(second.cmd), second.stdout))
    assert second.rc == 0, second.describe()
    assert sorted(second.stats) == sorted(fleet.hosts), second.describe()
    assert second.changed() == dict((host, 0) for host in fleet.hosts), second.describe()
    assert fleet_zoo.request_count() == 0
    # The check-mode rerun tells the same truth.
    check = fleet.provision('--check', '--diff')
    assert check.rc == 0 and check.changed() == dict((host, 0) for host in fleet.hosts), check.describe()


def test_reprovision_with_limit_repairs_one_host_only(provisioned, fleet):
    broken = PCS[1]
    victim = fleet.workspace(broken) / 'pre_trained' / PC_MODEL / 'checkpoint' / 'ckpt-0.index'
    good = victim.read_bytes()
    victim.unlink()
    others = dict((host, fleet.snapshot(host)) for host in fleet.hosts if host != broken)
    run = fleet.provision('--limit', broken, playbook='reprovision.yml')
    assert run.rc == 0, run.describe()
    assert sorted(run.stats) == [broken]
    assert run.stats[broken]['changed'] >= 1
    assert [res['action'] for res in run.part(broken, 'models')] == ['repaired']
    assert victim.read_bytes() == good
    assert others == dict((host, fleet.snapshot(host)) for host in fleet.hosts if host != broken)
    again = fleet.provision()
    assert again.rc == 0 and again.changed() == dict((host, 0) for host in fleet.hosts), again.describe()


def test_student_files_survive_a_forced_reinstall(provisioned, fleet):
    host = PCS[2]
    root = fleet.workspace(host)
    entry = pwd.getpwnam(host)
    config = root / 'training' / PROJECT / PC_MODEL / 'pipeline.config'
    edited = config.read_text().replace('num_steps: 1000', 'num_steps: 4000  # Alice: more steps')
    student = {
        'images/%s/train/cube_001.jpg' % PROJECT: os.urandom(3000),
        'images/%s/test/cube_101.jpg' % PROJECT: os.urandom(2000),
        'training/%s/train.record' % PROJECT: os.urandom(5000),
        'training/%s/%s/ckpt-1.index' % (PROJECT, PC_MODEL): os.urandom(700),
        'training/%s/%s/pipeline.config' % (PROJECT, PC_MODEL): edited.encode(),
    }
    for rel, data in student.items():
        (root / rel).write_bytes(data)
        os.chown(str(root / rel), entry.pw_uid, entry.pw_gid)
    run = fleet.provision('--limit', host, '-e', 'workstation_force=true')
    assert run.rc == 0, run.describe()
    assert [res['action'] for res in run.part(host, 'models')] == ['installed']
    assert [res['action'] for res in run.part(host, 'pipeline_configs')] == \
        ['kept']
    for rel, data in student.items():
        assert (root / rel).read_bytes() == data, rel
    # The teacher enforces the course's keys: only num_steps changes, Alice's comment stays.
    run = fleet.provision('--limit', host, '-e', 'workstation_enforce_pipeline=true')
    assert run.rc == 0 and run.stats[host]['changed'] == 1, run.describe()
    assert config.read_text() == edited.replace('num_steps: 4000', 'num_steps: 1000')
    for rel, data in student.items():
        if not rel.endswith('pipeline.config'):
            assert (root / rel).read_bytes() == data, rel


def test_pi_given_a_model_without_tflite_fails_when_asked(provisioned, fleet):
    run = fleet.provision('--limit', PIS[0], '--check', '-e', '{"workstation_models_extra": ["%s"],'
                          ' "workstation_pi_non_tflite": "fail"}' % PC_MODEL)
    assert run.rc != 0
    failed = [res for res in run.results(PIS[0], WORKSPACE_TASK) if res.get('failed')]
    assert failed and 'cannot be converted to .tflite' in failed[0]['msg']
    warned = fleet.provision('--limit', PIS[0], '--check', '-e', '{"workstation_models_extra": ["%s"]}' % PC_MODEL)
    assert warned.rc == 0, warned.describe()
    msgs = [res.get('msg', '') for res in warned.results(PIS[0], 'cannot become .tflite') if not res.get('skipped')]
    assert msgs and msgs[0].startswith('WARNING')
