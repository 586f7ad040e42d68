#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: workspace
short_description: Bring a student's whole tod_tf2 workspace to the wanted state in one call
version_added: 0.1.0
description:
  - Chooses the host's profile from the host itself (its architecture and the bits of its userland), the models of
    that profile, and brings the workspace to the wanted state, in one module execution
    (the role P(labfleet.zoo.workstation#role) runs it, so that a rerun with nothing to do costs one round trip
    per host).
  - "The parts, in order: the folders of the layout (owned by the student, mode 0755), the pre-trained models
    (exactly as M(labfleet.zoo.model) installs, checks and repairs them), each project's C(label_map.pbtxt), each
    project and model's training folder and C(pipeline.config) (exactly as M(labfleet.zoo.pipeline_config) writes
    it: a student's edits are kept unless O(enforce_pipeline)), the models no longer wanted (with
    O(remove_unwanted)), and the record of the run, C(.labfleet-zoo-provisioned.json) at the workspace root."
  - A part that fails (a model that cannot be downloaded) does not stop the parts that do not need it; the task
    fails at the end with every message, and the record says which part failed.
  - Safe as root in a tree the student owns; no link, file or device found where a folder belongs is followed,
    replaced or deleted.
author:
  - labfleet.zoo contributors (@labfleet)
options:
  root:
    description:
      - The workspace root; a leading C(~) is the home of O(user) (not of the account the module runs as).
    type: str
    default: ~/tod_tf2
  user:
    description:
      - The student account that owns the workspace.
      - When empty, the account that logged in (the one that ran C(sudo) when the task uses become).
    type: str
    default: ''
  layout:
    description:
      - V(capsules) makes C(images/<project>), C(pre_trained/) and C(training/<project>/<model>); V(activity) makes
        C(<project>/images), C(pre-trained/) and C(<project>/training/<model>).
    type: str
    choices: [capsules, activity]
    default: capsules
  projects:
    description:
      - The projects, each a C(name) (one folder name) and its C(classes) (the names that make the label map and
        C(num_classes)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The project's folder name, one path component (no C(/), not C(.) or C(..)).
        type: str
        required: true
      classes:
        description:
          - The class names, in label id order (id 1 first).
        type: list
        elements: str
        required: true
  profile:
    description:
      - V(auto) chooses from the host's architecture (C(x86_64) is a V(pc); C(armv6l), C(armv7l), C(aarch64) are a
        V(pi)).
    type: str
    choices: [auto, pc, pi]
    default: auto
  models_pc:
    description:
      - Catalog names of the models of a V(pc) (see the P(labfleet.zoo.catalog#lookup) lookup).
    type: list
    elements: str
    default: []
  models_pi:
    description:
      - Catalog names of the models of a V(pi).
    type: list
    elements: str
    default: []
  models:
    description:
      - When not empty, the models of this host instead of its profile's list.
    type: list
    elements: str
    default: []
  models_extra:
    description:
      - Models installed on top of the profile's or O(models)' list.
    type: list
    elements: str
    default: []
  pi_non_tflite:
    description:
      - What to do when a V(pi) is given a model that cannot be converted to C(.tflite); V(fail) fails before any
        write, V(warn) installs it and returns it in RV(not_tflite).
    type: str
    choices: [warn, fail]
    default: warn
  pi_runtime:
    description:
      - On a V(pi), install its TensorFlow Lite runtime in a venv of the workspace, C(<root>/.venv-tflite), made by
        the student's own account (root runs no pip there), then import it once. ai-edge-litert on a 64-bit
        userland; tflite-runtime with the distribution's numpy (C(python3-numpy), and the venv's system site
        packages) on a 32-bit one. RV(runtime) says what was done.
      - The wheels come from O(pi_index); with O(pi_wheels) pinned for the Pi's platform, pip installs exactly those
        files and checks their sha256 (C(--require-hashes)).
      - A rerun with the same runtime, wheels and Python reads the venv's record and runs nothing.
      - A userland with no wheel (a 32-bit one with a Python later than 3.11, ARMv6, not glibc) fails this part,
        naming the combination; set V(false) to provision such a Pi without a runtime.
    type: bool
    default: true
  pi_index:
    description:
      - The PEP 503 index the Pi's wheels come from, for example a local wheelhouse; when empty, PyPI
        (U(https://pypi.org/simple/)).
    type: str
    default: ''
  pi_wheels:
    description:
      - "The wheels pinned per Pi platform: C({<platform>: {<wheel file>: {sha256, size}}}),
        where a platform is C(<aarch64|armv7l>-py<x.y>-glibc<x.y>), for example C(aarch64-py3.11-glibc2.36)."
      - A Pi whose platform has no pinned wheels installs the runtime's version by name, checked by pip against
        the index's own hashes.
    type: dict
    default: {}
  mirrors:
    description:
      - Base URLs tried in order before the upstream server, as O(labfleet.zoo.model#module:mirrors).
    type: list
    elements: str
    default: []
  upstream:
    description:
      - A base URL serving C(<name>.tar.gz) that replaces the catalog's server, as
        O(labfleet.zoo.model#module:upstream).
    type: str
  checksums:
    description:
      - "Pinned archive digests per model, C({<name>: 'sha256:<64 hex digits>'})."
    type: dict
    default: {}
  verify:
    description:
      - How an installed model is checked, as O(labfleet.zoo.model#module:verify).
    type: str
    choices: [quick, full]
    default: quick
  force:
    description:
      - Install every model again even when it is intact (students' files are kept).
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for the next bytes of a download.
    type: int
    default: 30
  retries:
    description:
      - Retries per source.
    type: int
    default: 5
  config_paths:
    description:
      - The paths written into C(pipeline.config), V(relative) to the workspace root (where the course runs its
        commands) or V(absolute).
    type: str
    choices: [relative, absolute]
    default: relative
  enforce_pipeline:
    description:
      - Set the keys above even in a C(pipeline.config) a student edited (only those keys change).
    type: bool
    default: false
  remove_unwanted:
    description:
      - Remove the catalog models installed in the models folder that this host does not get (their training
        folders stay).
    type: bool
    default: false
  record:
    description:
      - Write the record of the run at the workspace root (never in check mode; never reported as a change).
    type: bool
    default: true
notes:
  - Targets need Python 3.8 or newer and its standard library only.
  - The models' archives come from O(mirrors), then O(upstream) or the catalog's server.
seealso:
  - module: labfleet.zoo.model
  - module: labfleet.zoo.pipeline_config
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - labfleet.zoo._training_keys
  - labfleet.zoo._attributes
  - labfleet.zoo._attributes.idempotent_force
attributes:
  check_mode:
    support: full
    details: No network access and no writes; every part tells what a real run would do.
  diff_mode:
    support: full
    details: Folders made, models installed (before and after), label maps and pipeline.config texts, a Pi's
      runtime venv (before and after).
"""

EXAMPLES = r"""
- name: The workspace of a student PC, with the course's settings
  labfleet.zoo.workspace:
    user: eleve
    projects:
      - name: faces_cubes
        classes: [one, two]
    models_pc: [faster_rcnn_resnet50_v1_640x640_coco17_tpu-8]
    models_pi: [ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8]
    mirrors: [http://teacher.lab:8080]
    batch_size: 2
    num_steps: 1000
  become: true
  register: workspace

- name: Show what each model needed
  ansible.builtin.debug:
    msg: "{{ workspace.models | items2dict(key_name='key', value_name='action') }}"
"""

RETURN = r"""
profile:
  description: The profile chosen, V(pc) or V(pi).
  returned: always
  type: str
  sample: pi
architecture:
  description: The host's architecture (C(uname -m)).
  returned: always
  type: str
  sample: aarch64
userspace_bits:
  description: The bits of the Python that ran the module (of the userland, not of the kernel).
  returned: always
  type: int
  sample: 64
pi_runtime:
  description:
    - The TensorFlow Lite runtime this Pi's userland takes (empty on a PC), chosen from its bits, Python and glibc;
      V(unknown) when no wheel fits (with O(pi_runtime) the task fails, naming the combination and the way out).
  returned: always
  type: str
  sample: ai-edge-litert
pi_runtime_version:
  description: The version of RV(pi_runtime) on PyPI for this userland (empty on a PC or when none fits).
  returned: always
  type: str
  sample: 2.3.0
python:
  description: The target's Python version.
  returned: always
  type: str
  sample: 3.11.2
glibc:
  description: The target's glibc version (empty with another C library).
  returned: always
  type: str
  sample: '2.36'
not_tflite:
  description: The models given to a Pi that cannot be converted to C(.tflite).
  returned: always
  type: list
  elements: str
root:
  description: The workspace root, C(~) expanded.
  returned: success
  type: str
  sample: /home/eleve/tod_tf2
user:
  description: The account that owns the workspace.
  returned: success
  type: str
  sample: eleve
layout:
  description: The layout.
  returned: success
  type: str
  sample: capsules
models_dir:
  description: The folder the models are installed in.
  returned: success
  type: str
  sample: /home/eleve/tod_tf2/pre_trained
folders:
  description: The folders made (V(created)) or whose owner or mode were restored (V(attributes)).
  returned: success
  type: list
  elements: dict
models:
  description:
    - One entry per model, with C(key) and the fields M(labfleet.zoo.model) returns (C(action), C(source),
      C(bytes_downloaded), C(failed_sources)...); a model that could not be installed has C(action=failed) and its
      C(msg).
  returned: success
  type: list
  elements: dict
label_maps:
  description: One entry per project, with C(project), C(path) and C(action) (V(created), V(updated),
    V(attributes), V(unchanged) or V(failed)).
  returned: success
  type: list
  elements: dict
pipeline_configs:
  description: One entry per project and model, with C(project), C(model), C(path) and the fields
    M(labfleet.zoo.pipeline_config) returns (C(action), C(drift)).
  returned: success
  type: list
  elements: dict
removed:
  description: The models removed by O(remove_unwanted), as M(labfleet.zoo.model) with O(labfleet.zoo.model#module:state=absent) reports them.
  returned: success
  type: list
  elements: dict
runtime:
  description:
    - What the TFLite runtime part did on a Pi with O(pi_runtime); empty on a PC and with O(pi_runtime=false).
  returned: success
  type: dict
  contains:
    action:
      description: V(installed) (a new venv), V(updated) (another runtime, wheel or Python was there), V(unchanged)
        or V(failed).
      type: str
      sample: installed
    package:
      description: The runtime's distribution.
      type: str
      sample: ai-edge-litert
    version:
      description: Its version.
      type: str
      sample: 2.3.0
    venv:
      description: The venv it is in.
      type: str
      sample: /home/eleve/tod_tf2/.venv-tflite
    platform:
      description: The Pi's wheel platform, the key of O(pi_wheels).
      type: str
      sample: aarch64-py3.11-glibc2.36
    index:
      description: The first index pip was given.
      type: str
      sample: http://teacher.lab:8080/simple/
    pinned:
      description: How many distributions had pinned hashes (0 when pip checked the index's own).
      type: int
      sample: 8
    imports:
      description: Whether its C(Interpreter) and numpy imported in the venv (null in check mode before an install).
      type: bool
      sample: true
    numpy:
      description: The numpy version the venv imports (the distribution's on a 32-bit Pi).
      type: str
      sample: 2.4.6
summary:
  description: One line with the profile (and where it came from) and the workspace, then one line per model with
    its action, and on a Pi one line for its TFLite runtime; what the role shows for each host.
  returned: success
  type: list
  elements: str
  sample:
    - profile pi (aarch64, 64-bit userland, TFLite runtime ai-edge-litert 2.3.0), workspace /home/eleve/tod_tf2 (capsules), owner eleve
    - "ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8: unchanged"
bytes_downloaded:
  description: Bytes received for all the models.
  returned: success
  type: int
  sample: 0
record:
  description: The run record written (not in check mode).
  returned: when written
  type: str
  sample: /home/eleve/tod_tf2/.labfleet-zoo-provisioned.json
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.labfleet.zoo.plugins.module_utils import _workspace
from ansible_collections.labfleet.zoo.plugins.module_utils._module import run
from ansible_collections.labfleet.zoo.plugins.module_utils._options import download_argument_spec
from ansible_collections.labfleet.zoo.plugins.module_utils._options import training_keys_argument_spec

MODEL_LISTS = ('models_pc', 'models_pi', 'models', 'models_extra')


def main():
    download = download_argument_spec()
    argument_spec = dict(
        root=dict(type='str', default='~/tod_tf2'),
        user=dict(type='str', default=''),
        layout=dict(type='str', choices=['capsules', 'activity'], default='capsules'),
        projects=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            classes=dict(type='list', elements='str', required=True))),
        profile=dict(type='str', choices=['auto', 'pc', 'pi'], default='auto'),
        pi_non_tflite=dict(type='str', choices=['warn', 'fail'], default='warn'),
        pi_runtime=dict(type='bool', default=True),
        pi_index=dict(type='str', default=''),
        pi_wheels=dict(type='dict', default={}),
        checksums=dict(type='dict', default={}),
        verify=dict(type='str', choices=['quick', 'full'], default='quick'),
        config_paths=dict(type='str', choices=['relative', 'absolute'], default='relative'),
        enforce_pipeline=dict(type='bool', default=False),
        remove_unwanted=dict(type='bool', default=False),
        record=dict(type='bool', default=True),
        **dict((name, download[name]) for name in ('mirrors', 'upstream', 'force', 'timeout', 'retries'))
    )
    argument_spec.update((name, dict(type='list', elements='str', default=[])) for name in MODEL_LISTS)
    argument_spec.update(training_keys_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    def work():
        return _workspace.converge(params, check_mode=module.check_mode)

    run(module, work, 'provision the workspace %s' % params['root'],
        urls=[params['upstream']] + params['mirrors'])


if __name__ == '__main__':
    main()
