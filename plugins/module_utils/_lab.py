# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's rules, once, for the controller (filters workspace_paths, workstation_profile, workstation_models,
lab_models) and for the target (module labfleet.zoo.workspace): the tod_tf2 workspace layouts, the architecture ->
profile map, the model-selection rule and the TFLite runtime a Pi's userland takes.

Invariants: every workspace path is relative, normalised and inside the root (project and model names are single
path components, checked here, since root creates these folders in a tree the student owns); parents come before
their children in ``folders``. Errors are ValueError with a message for people (the filters turn them into
AnsibleFilterError, the module into a failed task).
"""

from __future__ import annotations

# Folders of each layout, relative to the workspace root ({project} is the project's name).
LAYOUTS = {
    # The seed capsules: images/<project>/{train,test}, pre_trained/<model>/, training/<project>/<model>/.
    'capsules': {'pre_trained': 'pre_trained', 'images': 'images/{project}', 'training': 'training/{project}'},
    # The later activity: <project>/images/{train,test}, pre-trained/<model>/, <project>/training/<model>/.
    'activity': {'pre_trained': 'pre-trained', 'images': '{project}/images', 'training': '{project}/training'},
}

# uname -m (ansible_facts.architecture, platform.machine() on the target) -> profile. A 32-bit Raspberry Pi OS on a
# Pi 4/400/5 reports aarch64 (its kernel is 64-bit): still a Pi.
ARCH_PROFILES = {'x86_64': 'pc', 'amd64': 'pc', 'armv6l': 'pi', 'armv7l': 'pi', 'aarch64': 'pi', 'arm64': 'pi'}
PROFILES = ('pc', 'pi')
UNKNOWN = 'unknown'

# The TensorFlow Lite runtime a Pi can install, by the bits of its userland (not of its kernel).
PI_RUNTIMES = {32: 'tflite-runtime', 64: 'ai-edge-litert'}

# The file every real run of the workstation leaves at the workspace root (read by the role's inspect entry point
# and playbooks/report.yml).
RUN_RECORD = '.labfleet-zoo-provisioned.json'


def _component(value, what):
    if not isinstance(value, str) or value in ('', '.', '..') or '/' in value or '\0' in value:
        raise ValueError('workspace_paths: %s must be one folder name (no "/", not "." or ".."), got %r'
                         % (what, value))
    return value


def _project(project):
    if isinstance(project, dict):
        return _component(project.get('name'), 'a project name'), list(project.get('classes') or [])
    return _component(project, 'a project name'), []


def _model(model):
    """(catalog key, folder under pre_trained): a catalog entry's top_dir, else its key; a name is its own folder."""
    if isinstance(model, dict):
        key = _component(model.get('key'), 'a model key')
        return key, _component(model.get('top_dir') or key, 'the top folder of %s' % key)
    return _component(model, 'a model name'), model


def workspace_paths(layout, projects=None, models=None):
    """The workspace of ``layout`` for ``projects`` (names or {name, classes}) and ``models`` (names or catalog
    entries {key, top_dir}); see plugins/filter/workspace_paths.yml for the shape."""
    if layout not in LAYOUTS:
        raise ValueError('workspace_paths: unknown layout %r (one of %s)' % (layout, ', '.join(sorted(LAYOUTS))))
    dirs = LAYOUTS[layout]
    pre_trained = dirs['pre_trained']
    out_projects, training, folders = [], [], ['', pre_trained]
    models = [_model(model) for model in models or ()]
    for project in projects or ():
        name, classes = _project(project)
        images, train_dir = dirs['images'].format(project=name), dirs['training'].format(project=name)
        label_map = train_dir + '/label_map.pbtxt'
        out_projects.append({'name': name, 'classes': classes, 'images': images, 'training': train_dir,
                             'label_map': label_map})
        folders.extend((images + '/train', images + '/test', train_dir))
        for key, top in models:
            model_dir = pre_trained + '/' + top
            training.append({
                'project': name, 'model': key, 'classes': classes,
                'path': train_dir + '/' + key,
                'pre_trained': model_dir,
                'checkpoint': model_dir + '/checkpoint/ckpt-0',
                'label_map': label_map,
                'train_record': train_dir + '/train.record',
                'test_record': train_dir + '/test.record',
            })
    return {'layout': layout, 'pre_trained': pre_trained, 'folders': folders, 'projects': out_projects,
            'training': training}


def _unique(names):
    out = []
    for name in names:
        if name not in out:
            out.append(name)
    return out


def model_names(value, what):
    if value is None:
        return []
    if isinstance(value, str) or not all(isinstance(item, str) for item in value):
        raise ValueError('%s must be a list of model names, got %r' % (what, value))
    return list(value)


def workstation_profile(architecture, profile='auto'):
    """``profile`` unless it is ``auto``; else the profile of ``architecture`` (``unknown`` when it has none)."""
    if profile != 'auto':
        return profile
    return ARCH_PROFILES.get(architecture, UNKNOWN)


def workstation_models(profile, pc=None, pi=None, models=None, extra=None):
    """The catalog names of one workstation, in order: ``models`` if not empty, else the profile's list; plus
    ``extra``. A profile that is not known (None, ``unknown``) counts with both profiles' lists."""
    base = model_names(models, 'workstation_models')
    if not base:
        by_profile = {'pc': model_names(pc, 'workstation_models_pc'), 'pi': model_names(pi, 'workstation_models_pi')}
        base = by_profile.get(profile, by_profile['pc'] + by_profile['pi'])
    return _unique(base + model_names(extra, 'workstation_models_extra'))


def label_map(project, classes):
    """The text of a project's label_map.pbtxt: one item per class name, ids from 1 in the order given."""
    import json
    lines = ['# Written by labfleet.zoo.workstation from the class names of project %s' % project,
             '# (workstation_projects); change them there, not here.']
    for index, name in enumerate(classes, 1):
        # A JSON string is a valid text-format string (UTF-8 kept as it is, quotes and controls escaped).
        lines.extend(('item {', '  id: %d' % index, '  name: %s' % json.dumps(str(name), ensure_ascii=False), '}'))
    return '\n'.join(lines) + '\n'
