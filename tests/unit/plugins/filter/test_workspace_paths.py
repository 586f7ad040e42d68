"""labfleet.zoo.workspace_paths: the one place that knows the tod_tf2 workspace layouts."""

from __future__ import annotations

import posixpath
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.labfleet.zoo.plugins.filter.workspace_paths import workspace_paths
from ansible_collections.labfleet.zoo.plugins.module_utils._lab import LAYOUTS

REPO = Path(__file__).resolve().parents[4]
PROJECTS = [{'name': 'faces_cubes', 'classes': ['one', 'two']}, 'cubes2']
MODELS = [{'key': 'frcnn', 'top_dir': 'frcnn'}, {'key': 'centernet_kpts', 'top_dir': 'centernet_mobilenetv2_fpn_kpts'},
          {'key': 'extremenet_20200711', 'top_dir': None}, 'plain']


def test_capsules():
    paths = workspace_paths('capsules', PROJECTS[:1], MODELS[:2])
    assert paths['pre_trained'] == 'pre_trained'
    assert paths['folders'] == ['', 'pre_trained', 'images/faces_cubes/train', 'images/faces_cubes/test',
                                'training/faces_cubes']
    assert paths['projects'] == [{'name': 'faces_cubes', 'classes': ['one', 'two'], 'images': 'images/faces_cubes',
                                  'training': 'training/faces_cubes',
                                  'label_map': 'training/faces_cubes/label_map.pbtxt'}]
    assert paths['training'][1] == {
        'project': 'faces_cubes', 'model': 'centernet_kpts', 'classes': ['one', 'two'],
        'path': 'training/faces_cubes/centernet_kpts',
        'pre_trained': 'pre_trained/centernet_mobilenetv2_fpn_kpts',
        'checkpoint': 'pre_trained/centernet_mobilenetv2_fpn_kpts/checkpoint/ckpt-0',
        'label_map': 'training/faces_cubes/label_map.pbtxt',
        'train_record': 'training/faces_cubes/train.record', 'test_record': 'training/faces_cubes/test.record'}


def test_activity():
    paths = workspace_paths('activity', PROJECTS[:1], MODELS[:1])
    assert paths['folders'] == ['', 'pre-trained', 'faces_cubes/images/train', 'faces_cubes/images/test',
                                'faces_cubes/training']
    training, = paths['training']
    assert (training['path'], training['checkpoint'], training['label_map'], training['test_record']) == (
        'faces_cubes/training/frcnn', 'pre-trained/frcnn/checkpoint/ckpt-0', 'faces_cubes/training/label_map.pbtxt',
        'faces_cubes/training/test.record')


def test_every_project_with_every_model_in_order_and_model_folders():
    paths = workspace_paths('capsules', PROJECTS, MODELS)
    keys = ('frcnn', 'centernet_kpts', 'extremenet_20200711', 'plain')
    expected = [(p, m) for p in ('faces_cubes', 'cubes2') for m in keys]
    assert [(t['project'], t['model']) for t in paths['training']] == expected
    assert [t['pre_trained'] for t in paths['training'][:4]] == [
        'pre_trained/frcnn', 'pre_trained/centernet_mobilenetv2_fpn_kpts', 'pre_trained/extremenet_20200711',
        'pre_trained/plain']
    assert paths['projects'][1]['classes'] == [] and paths['training'][4]['classes'] == []


@pytest.mark.parametrize('layout', sorted(LAYOUTS))
def test_paths_are_relative_normalised_and_parents_come_first(layout):
    paths = workspace_paths(layout, PROJECTS, MODELS)
    every = paths['folders'][1:] + [p[k] for p in paths['projects'] for k in ('images', 'training', 'label_map')] + \
        [t[k] for t in paths['training'] for k in ('path', 'pre_trained', 'checkpoint', 'label_map', 'train_record')]
    for path in every:
        assert not path.startswith('/') and posixpath.normpath(path) == path and '..' not in path.split('/'), path
    for i, folder in enumerate(paths['folders']):
        for later in paths['folders'][i + 1:]:
            assert not folder.startswith(later + '/'), (folder, later)


def test_no_project_or_model():
    assert workspace_paths('capsules') == {'layout': 'capsules', 'pre_trained': 'pre_trained',
                                           'folders': ['', 'pre_trained'], 'projects': [], 'training': []}


@pytest.mark.parametrize('projects, models, message', [
    (['../etc'], [], 'a project name must be one folder name'),
    (['a/b'], [], 'a project name'),
    ([{'name': '..'}], [], 'a project name'),
    ([{'classes': ['x']}], [], 'a project name'),
    (['p'], ['../../x'], 'a model name'),
    (['p'], [{'key': 'm', 'top_dir': '/abs'}], 'the top folder of m'),
    (['p'], [{'key': ''}], 'a model key'),
], ids=['dotdot', 'slash', 'dotdot-dict', 'no-name', 'model', 'top-dir', 'empty-key'])
def test_names_that_are_not_one_folder_fail(projects, models, message):
    with pytest.raises(AnsibleFilterError, match=message):
        workspace_paths('capsules', projects, models)


def test_unknown_layout():
    with pytest.raises(AnsibleFilterError, match="unknown layout 'seed' .one of activity, capsules"):
        workspace_paths('seed')


def test_the_role_documents_the_same_layouts():
    """workstation_layout's choices (argument_specs) are the filter's layouts."""
    specs = yaml.safe_load((REPO / 'roles' / 'workstation' / 'meta' / 'argument_specs.yml').read_text())
    for entry in specs['argument_specs'].values():
        assert sorted(entry['options']['workstation_layout']['choices']) == sorted(LAYOUTS)
