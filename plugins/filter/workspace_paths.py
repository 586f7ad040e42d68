# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that knows the tod_tf2 workspace layouts: every folder and file the workstation role makes or
checks, relative to the workspace root. Documented in workspace_paths.yml beside this file.

Invariants: every path is relative, normalised and inside the root (project and model names are single path
components, checked here, since the role creates these folders as root in a tree the student owns); parents come
before their children in ``folders``.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# Folders of each layout, relative to the workspace root ({project} is the project's name).
LAYOUTS = {
    # The seed capsules: images/<project>/{train,test}, pre_trained/<model>/, training/<project>/<model>/.
    'capsules': {'pre_trained': 'pre_trained', 'images': 'images/{project}', 'training': 'training/{project}'},
    # The later activity: <project>/images/{train,test}, pre-trained/<model>/, <project>/training/<model>/.
    'activity': {'pre_trained': 'pre-trained', 'images': '{project}/images', 'training': '{project}/training'},
}


def _component(value, what):
    if not isinstance(value, str) or value in ('', '.', '..') or '/' in value or '\0' in value:
        raise AnsibleFilterError('workspace_paths: %s must be one folder name (no "/", not "." or ".."), got %r'
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
    entries {key, top_dir}); see workspace_paths.yml for the shape."""
    if layout not in LAYOUTS:
        raise AnsibleFilterError('workspace_paths: unknown layout %r (one of %s)' % (layout, ', '.join(sorted(LAYOUTS))))
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


class FilterModule(object):

    def filters(self):
        return {'workspace_paths': workspace_paths}
