"""The workstation role on this machine (local connection): the activity layout and removing unwanted models."""

from __future__ import annotations

from ansible_collections.labfleet.zoo.tests.support import runner
from ansible_collections.labfleet.zoo.tests.support.repo import PC_MODEL, PI_MODEL, REPO


def provision(zoo, root, **extra):
    """playbooks/provision.yml on inventory/localhost.yml (this machine as a student PC); returns the JSON run."""
    extra_vars = dict(workstation_root=str(root), workstation_mirrors=[zoo.server.url], **extra)
    run = runner.playbook(REPO / 'playbooks' / 'provision.yml', extra_vars,
                          inventory=REPO / 'inventory' / 'localhost.yml', strict=False)
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert run.out is not None, 'ansible-playbook printed no JSON:\n' + run.stdout[-6000:]
    return run.out


def test_activity_layout(zoo, tmp_path):
    root = tmp_path / 'tod_tf2'
    first = provision(zoo, root, workstation_layout='activity')
    assert first['stats']['localhost']['changed'] > 0
    model = root / 'pre-trained' / PC_MODEL
    training = root / 'faces_cubes' / 'training'
    assert (model / 'checkpoint' / 'ckpt-0.index').is_file()
    assert (root / 'faces_cubes' / 'images' / 'train').is_dir() and (root / 'faces_cubes' / 'images' / 'test').is_dir()
    assert (training / 'label_map.pbtxt').is_file()
    config = (training / PC_MODEL / 'pipeline.config').read_text()
    assert 'fine_tune_checkpoint: "pre-trained/%s/checkpoint/ckpt-0"' % PC_MODEL in config
    assert 'label_map_path: "faces_cubes/training/label_map.pbtxt"' in config
    assert 'input_path: "faces_cubes/training/train.record"' in config
    assert not (root / 'pre_trained').exists() and not (root / 'training').exists()
    again = provision(zoo, root, workstation_layout='activity')
    assert again['stats']['localhost']['changed'] == 0


def test_unwanted_models_removed_only_when_asked(zoo, tmp_path):
    root = tmp_path / 'tod_tf2'
    provision(zoo, root)
    pc_model = root / 'pre_trained' / PC_MODEL
    student_file = root / 'training' / 'faces_cubes' / PC_MODEL / 'notes.txt'
    student_file.write_text('my run 3: loss 0.42\n')
    # The PC now gets the SSD model instead: by default the Faster R-CNN stays.
    provision(zoo, root, workstation_models=[PI_MODEL])
    assert pc_model.is_dir() and (root / 'pre_trained' / PI_MODEL).is_dir()
    # With the documented switch it goes; the student's training folder stays.
    provision(zoo, root, workstation_models=[PI_MODEL], workstation_remove_unwanted=True)
    assert not pc_model.exists() and (root / 'pre_trained' / PI_MODEL).is_dir()
    assert student_file.read_text() == 'my run 3: loss 0.42\n'
    again = provision(zoo, root, workstation_models=[PI_MODEL], workstation_remove_unwanted=True)
    assert again['stats']['localhost']['changed'] == 0
