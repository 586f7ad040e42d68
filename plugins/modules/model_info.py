#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: model_info
short_description: List and verify the zoo models installed in a folder
version_added: 0.1.0
description:
  - Reads the install markers that M(labfleet.zoo.model) writes into each model folder under O(dest) and checks
    every install exactly as that module does before deciding whether to repair it.
  - Read-only. Nothing is written, no lock is taken and no network access is made, so it is safe to run on a lab
    while students work.
  - Reports the models listed in O(name), in that order, even when they are missing or damaged, then every other
    model installed in O(dest).
  - Also tells the free space of the filesystem holding O(dest).
author:
  - labfleet.zoo contributors (@labfleet)
options:
  dest:
    description:
      - The folder that holds the models, for example V(~/tod_tf2/pre_trained).
      - Must be absolute after C(~) expansion. A missing folder gives an empty list (and RV(intact=false) when
        O(name) is not empty).
    type: path
    required: true
  name:
    description:
      - Catalog names of the models that should be there (see the P(labfleet.zoo.catalog#lookup) lookup).
      - Each is reported even when it is not installed, with RV(models[].state=missing).
      - When empty, every installed model counts as wanted.
    type: list
    elements: str
    default: []
  upstream:
    description:
      - The O(labfleet.zoo.model#module:upstream) of the M(labfleet.zoo.model) tasks, a base URL serving
        C(<name>.tar.gz) that replaced the catalog's server. An install recorded from another upstream is reported
        damaged, as that module would replace it.
    type: str
  checksums:
    description:
      - "The pinned archive digests of the M(labfleet.zoo.model) tasks, C({<name>: 'sha256:<64 hex digits>'})."
      - An install of another archive is reported damaged, as that module would replace it.
    type: dict
    default: {}
  verify:
    description:
      - V(quick) checks the marker and that every file of its manifest exists with its recorded size; no file
        contents are read.
      - V(full) also compares the sha256 of every file with the manifest; it reads every byte, so it is slower.
    type: str
    choices: [quick, full]
    default: quick
notes:
  - Targets need Python 3.8 or newer and its standard library only.
seealso:
  - module: labfleet.zoo.model
  - plugin: labfleet.zoo.catalog
    plugin_type: lookup
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - labfleet.zoo._attributes
  - labfleet.zoo._attributes.info_module
"""

EXAMPLES = r"""
- name: Check the models of a student PC, reading every byte
  labfleet.zoo.model_info:
    dest: ~/tod_tf2/pre_trained
    name:
      - faster_rcnn_resnet50_v1_640x640_coco17_tpu-8
    verify: full
  register: zoo

- name: Fail when a wanted model is missing or damaged
  ansible.builtin.assert:
    that: zoo.intact
    fail_msg: "{{ zoo.models | rejectattr('state', 'equalto', 'intact') | map(attribute='problems') | flatten }}"

- name: List every model installed in the folder
  labfleet.zoo.model_info:
    dest: /srv/models
  register: installed

- name: Show their names and sizes
  ansible.builtin.debug:
    msg: "{{ installed.models | items2dict(key_name='name', value_name='size') }}"
"""

RETURN = r"""
dest:
  description: The folder inspected, C(~) expanded.
  returned: always
  type: str
  sample: /home/student/tod_tf2/pre_trained
intact:
  description: Whether every wanted model is installed and passed verification.
  returned: always
  type: bool
  sample: true
free_bytes:
  description: Bytes available to unprivileged users on the filesystem holding O(dest) (or its nearest existing parent).
  returned: always
  type: int
  sample: 53687091200
total_bytes:
  description: Size in bytes of that filesystem.
  returned: always
  type: int
  sample: 256060514304
models:
  description: The models listed in O(name) (in that order), then the other models installed in O(dest).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The model's catalog name, as listed in O(name), else the key recorded in its marker.
      type: str
      sample: faster_rcnn_resnet50_v1_640x640_coco17_tpu-8
    key:
      description:
        - The key recorded in the install's marker, the catalog name to give M(labfleet.zoo.model) (for example to
          remove it); null when nothing of labfleet.zoo is installed there. It differs from RV(models[].name) when
          another model's archive is installed in the folder of a wanted one.
      type: str
      sample: faster_rcnn_resnet50_v1_640x640_coco17_tpu-8
    path:
      description: The model folder (where it is, or would be, installed).
      type: str
      sample: /home/student/tod_tf2/pre_trained/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8
    state:
      description:
        - V(intact) (installed, passed verification), V(damaged) (a file missing, resized or altered, or a folder
          without a marker) or V(missing) (not installed).
        - A damaged or missing model is what M(labfleet.zoo.model) would install or repair.
      type: str
      sample: intact
    wanted:
      description: Whether the model is listed in O(name) (always true when O(name) is empty).
      type: bool
      sample: true
    problems:
      description: What verification found wrong (at most 10 lines); empty when intact.
      type: list
      elements: str
      sample: ["checkpoint/ckpt-0.index: missing"]
    files:
      description: Number of regular files in the install's manifest (0 when missing).
      type: int
      sample: 7
    size:
      description: Total size in bytes of those files, as installed (0 when missing).
      type: int
      sample: 231215430
    sha256:
      description: The sha256 of the archive the install came from (null when missing).
      type: str
      sample: 6fb2a8e0a5f0a7d0c1e0d7f4b2d3b8a1e5c9f0e2d4b6a8c0e2f4a6b8c0d2e4f6
    archive_size:
      description: Size in bytes of that archive (null when missing).
      type: int
      sample: 211996178
    source:
      description: The URL that served the archive (null when missing).
      type: str
      sample: http://teacher-pc.lab:8080/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8.tar.gz
    installed_at:
      description: When the install completed, UTC, C(YYYY-MM-DDTHH:MM:SSZ) (null when missing).
      type: str
      sample: '2026-03-02T17:45:12Z'
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.labfleet.zoo.plugins.module_utils._model_info import inspect
from ansible_collections.labfleet.zoo.plugins.module_utils._module import run


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type='path', required=True),
            name=dict(type='list', elements='str', default=[]),
            verify=dict(type='str', choices=['quick', 'full'], default='quick'),
            upstream=dict(type='str'),
            checksums=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    params = module.params

    def work():
        warnings = []
        return inspect(params['dest'], params['name'], params['verify'], upstream=params['upstream'],
                       checksums=params['checksums'], warnings=warnings), warnings

    run(module, work, 'inspect the models in %s' % params['dest'], urls=[params['upstream']])


if __name__ == '__main__':
    main()
