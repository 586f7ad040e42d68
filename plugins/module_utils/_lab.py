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

import re

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

# The TensorFlow Lite runtime a Pi's venv gets, by its userland (its bits, not its kernel's; its CPython; its glibc),
# first match in order. Each line is a wheel on PyPI (checked with pip download --platform ... for each range):
# - 64-bit: ai-edge-litert, Google's successor of tflite-runtime (manylinux_2_27_aarch64), numpy from pip;
# - 32-bit: tflite-runtime (no ai-edge-litert for 32-bit ARM); PyPI has no armv7l numpy wheel, so numpy is the
#   distribution's python3-numpy (1.x) in a venv with the system site packages. No wheel for armv6l (Pi Zero, 1).
PI_RUNTIME_WHEELS = (
    {'bits': 64, 'machine': 'aarch64', 'python': ((3, 10), (3, 14)), 'glibc': (2, 27), 'package': 'ai-edge-litert',
     'version': '2.3.0', 'module': 'ai_edge_litert.interpreter', 'numpy': 'pip'},
    {'bits': 64, 'machine': 'aarch64', 'python': ((3, 9), (3, 9)), 'glibc': (2, 27), 'package': 'ai-edge-litert',
     'version': '2.1.0', 'module': 'ai_edge_litert.interpreter', 'numpy': 'pip'},
    {'bits': 32, 'machine': 'armv7l', 'python': ((3, 9), (3, 11)), 'glibc': (2, 34), 'package': 'tflite-runtime',
     'version': '2.14.0', 'module': 'tflite_runtime.interpreter', 'numpy': 'system'},
    {'bits': 32, 'machine': 'armv7l', 'python': ((3, 9), (3, 9)), 'glibc': (2, 17), 'package': 'tflite-runtime',
     'version': '2.13.0', 'module': 'tflite_runtime.interpreter', 'numpy': 'system'},
)
# The runtime's name by the bits of a userland, for what only knows the bits (the summary, the pi_runtime filter).
PI_RUNTIMES = dict((line['bits'], line['package']) for line in reversed(PI_RUNTIME_WHEELS))
# How every refusal ends: the way to provision the host without a runtime.
NO_RUNTIME = 'else set workstation_pi_runtime to false for this host (host_vars) to provision it without one'
# What a 32-bit ARM userland reports as its machine: an armv7l Pi, or an aarch64 kernel (Pi 3/4/5) with 32-bit
# Raspberry Pi OS, whose programs run as armv7l (pip's platform tags say so too).
ARM_MACHINES = {64: ('aarch64', 'arm64'), 32: ('armv7l', 'armv8l', 'aarch64', 'arm64')}

# The file every real run of the workstation leaves at the workspace root (read by the role's inspect entry point
# and playbooks/report.yml).
RUN_RECORD = '.labfleet-zoo-provisioned.json'

# The venv a Pi's TFLite runtime is installed in, below the workspace root (students: source <root>/.venv-tflite/
# bin/activate), and the file in it that says what was installed and checked there (read on reruns: no pip run).
PI_VENV = '.venv-tflite'
PI_VENV_MARKER = 'labfleet-zoo-runtime.json'
# Where a Pi's wheels come from when the inventory names no index (workstation_pi_index).
PYPI_INDEX = 'https://pypi.org/simple/'


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


def _version(text, what):
    try:
        return tuple(int(part) for part in str(text).split('.')[:2])
    except ValueError:
        raise ValueError('%s must be a version such as 3.11, got %r' % (what, text))


def _shown(version):
    return '.'.join(str(part) for part in version)


def pi_runtime_wheel(machine, bits, python, glibc):
    """The PI_RUNTIME_WHEELS line a Pi's userland takes: ``machine`` is its uname -m, ``bits`` its userland's
    pointer size, ``python`` and ``glibc`` versions ('3.11', '2.36'). No wheel fits: ValueError naming the
    combination and the ways out."""
    bits = int(bits)
    if not glibc:
        raise ValueError('no TFLite runtime for %s with Python %s: its C library is not glibc, and the runtime wheels '
                         'need glibc (Raspberry Pi OS and Debian have it); %s' % (machine, python, NO_RUNTIME))
    py, libc = _version(python, 'the Python version'), _version(glibc, 'the glibc version')
    combination = '%s, %d-bit userland, Python %s, glibc %s' % (machine, bits, _shown(py), _shown(libc))
    if machine not in ARM_MACHINES.get(bits, ()):
        raise ValueError('no TFLite runtime for %s: the Pi runtime has wheels for 64-bit ARM (aarch64) and 32-bit '
                         'ARMv7 (armv7l) userlands only (not ARMv6: Pi Zero, Pi 1); %s' % (combination, NO_RUNTIME))
    for line in PI_RUNTIME_WHEELS:
        low, high = line['python']
        if line['bits'] == bits and low <= py <= high and libc >= line['glibc']:
            return dict(line)
    offered = ', '.join(sorted(set('%s (Python %s-%s, glibc >= %s)' % (
        line['package'], _shown(line['python'][0]), _shown(line['python'][1]), _shown(line['glibc']))
        for line in PI_RUNTIME_WHEELS if line['bits'] == bits)))
    way_out = ('install the 64-bit Raspberry Pi OS, which ai-edge-litert supports up to Python 3.14, or the 32-bit '
               'bookworm release' if bits == 32 else 'install Raspberry Pi OS bookworm or later (64-bit)')
    raise ValueError('no TFLite runtime wheel for %s: PyPI has %s. To get one, %s; %s'
                     % (combination, offered, way_out, NO_RUNTIME))


def wheel_platforms(machine, glibc):
    """pip download --platform tags for a userland (``machine`` from PI_RUNTIME_WHEELS, glibc '2.36'): every
    manylinux tag from that glibc down to 2.17, manylinux2014 and linux_<machine> (pip does not expand them)."""
    major, minor = _version(glibc, 'the glibc version')
    tags = ['manylinux_%d_%d_%s' % (major, m, machine) for m in range(minor, 16, -1)]
    return tags + ['manylinux2014_%s' % machine, 'linux_%s' % machine]


def canonical_name(name):
    """A distribution's normalised name (PEP 503): the folder of its page in a wheel index."""
    return re.sub(r'[-_.]+', '-', str(name)).lower()


# A wheel's file name (PEP 427): distribution, version, then an optional build tag, python, abi and platform tags.
_WHEEL = re.compile(r'^([A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?)-([A-Za-z0-9_.!+]+)(?:-[0-9][A-Za-z0-9_.]*)?'
                    r'-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+\.whl\Z')   # \Z: no newline after it


def wheel_requirement(filename):
    """(normalised name, version) of a wheel file name; ValueError when it is not one (nothing else is a file of a
    wheelhouse: the name has no "/", no space, no quote)."""
    match = _WHEEL.match(str(filename)) if len(str(filename)) <= 255 else None
    if not match:
        raise ValueError('%r is not a wheel file name' % (str(filename)[:100],))
    return canonical_name(match.group(1)), match.group(2)


def pi_runtime_requirements(line):
    """(requirement lines, no_deps) of a PI_RUNTIME_WHEELS line: with the distribution's numpy (32-bit), the runtime
    alone and without its dependencies (PyPI has no armv7l numpy wheel to resolve them with)."""
    return ['%s==%s' % (line['package'], line['version'])], line['numpy'] == 'system'


_PLATFORM = re.compile(r'^(aarch64|armv7l)-py(3\.[0-9]{1,2})-glibc(2\.[0-9]{1,3})$')


def wheel_platform(machine, python, glibc):
    """The name of a userland's wheel platform, the key of its pinned wheels (workstation_pi_wheels):
    ``aarch64-py3.11-glibc2.36`` (the runtime line's machine, Python and glibc versions x.y)."""
    return '%s-py%s-glibc%s' % (machine, _shown(_version(python, 'the Python version')),
                                _shown(_version(glibc, 'the glibc version')))


def parse_wheel_platform(name):
    """(machine, bits, python, glibc) of a wheel platform name; ValueError naming the expected form."""
    match = _PLATFORM.match(str(name))
    if not match:
        raise ValueError('%r is not a Pi wheel platform: write <aarch64|armv7l>-py<x.y>-glibc<x.y>, for example '
                         'aarch64-py3.11-glibc2.36 (64-bit Raspberry Pi OS bookworm) or armv7l-py3.11-glibc2.36 '
                         '(32-bit)' % (name,))
    machine = match.group(1)
    return machine, 64 if machine == 'aarch64' else 32, match.group(2), match.group(3)
