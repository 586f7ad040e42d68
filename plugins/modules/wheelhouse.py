#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: wheelhouse
short_description: Keep the Raspberry Pis' TFLite runtime wheels and their PEP 503 index (for a lab mirror)
version_added: 0.1.0
description:
  - Downloads, once, the wheels of the TFLite runtime each Raspberry Pi platform of the lab installs (the package
    M(labfleet.zoo.workspace) chooses for that userland, and its numpy on 64-bit userlands) into
    C(<dest>/wheels/), and writes a static PEP 503 index of them in C(<dest>/simple/) (C(<name>/index.html) pages
    with C(#sha256=) links), which nginx serves to the Pis' pip.
  - One C(pip download --only-binary=:all:) per platform, for that platform's Python version, ABI and every
    manylinux tag its glibc accepts, so the mirror need not be an ARM machine. No source package is built.
  - Wheels pinned in O(pinned) (the lab's lock file) are fetched with C(--require-hashes) and checked again before
    they enter the wheelhouse; a file with other bytes adds nothing and fails the task, naming the wheel.
  - A wheel enters C(wheels/) only complete and checked (downloaded into a temporary folder of O(dest), then
    renamed). Wheels of a platform already there with their sha256 are kept; only missing or damaged ones are
    fetched again (the platform's C(action) in RV(platforms) is V(repaired)).
  - The role P(labfleet.zoo.mirror#role) runs it for the platforms of the lab's Pis and records RV(wheels) in the
    lab's lock file.
author:
  - labfleet.zoo contributors (@labfleet)
options:
  dest:
    description:
      - The mirror folder (it must exist); the wheels go to C(<dest>/wheels/) and the index to C(<dest>/simple/).
    type: path
    required: true
  platforms:
    description:
      - "The Pi platforms to keep wheels for, C(<aarch64|armv7l>-py<x.y>-glibc<x.y>), for example
        V(aarch64-py3.11-glibc2.36) (Raspberry Pi OS or Debian bookworm, 64-bit)."
      - A platform with no runtime wheel fails the task, naming it.
    type: list
    elements: str
    required: true
  pinned:
    description:
      - "The wheels pinned per platform, C({<platform>: {<wheel file>: {sha256, size}}}): the C(wheels) section
        of the lab's lock file."
      - A platform without pins gets what pip resolves for its runtime; its files are returned in RV(wheels) to be
        pinned.
    type: dict
    default: {}
  index_url:
    description:
      - The PEP 503 index the wheels come from, for example a school proxy; only that index is used (the machine's
        pip configuration files are not read).
      - When empty, pip's own configuration decides (PyPI by default).
    type: str
    default: ''
  python:
    description:
      - The Python whose pip downloads (it needs pip 20.3 or newer); by default the Python that runs the module.
    type: path
  timeout:
    description: Seconds pip waits for the index's next bytes.
    type: int
    default: 30
  retries:
    description: Retries of pip per request.
    type: int
    default: 5
notes:
  - Targets need Python 3.8 or newer with pip (the Debian package python3-pip).
  - The sha256 of every wheel already there is computed once per run (about 30 MB per platform).
  - One platform's download has a deadline of 30 minutes; on expiry pip is stopped and nothing is added.
seealso:
  - module: labfleet.zoo.archive
  - module: labfleet.zoo.workspace
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - labfleet.zoo._attributes
  - labfleet.zoo._attributes.idempotent
attributes:
  check_mode:
    support: full
    details:
      - No network access and no writes; the wheels already there are checked, and a platform whose wheels are
        missing is reported as it would be downloaded.
  diff_mode:
    support: full
    details: Each platform's runtime, number of wheels and bytes before and after.
"""

EXAMPLES = r"""
- name: Keep the wheels of the lab's Raspberry Pis (bookworm, 64-bit and 32-bit) on the mirror
  labfleet.zoo.wheelhouse:
    dest: /srv/labfleet-zoo
    platforms:
      - aarch64-py3.11-glibc2.36
      - armv7l-py3.11-glibc2.36
    pinned: "{{ lookup('labfleet.zoo.lock', inventory_dir ~ '/.zoo.lock.yml', wheels=true) }}"
  register: wheelhouse

- name: Show the size of each platform's wheels
  ansible.builtin.debug:
    msg: "{{ wheelhouse.platforms | dict2items | map(attribute='value.size') }}"
"""

RETURN = r"""
platforms:
  description: What was done for each platform.
  returned: always
  type: dict
  contains:
    action:
      description: V(downloaded), V(repaired) (some wheels were missing or damaged) or V(unchanged).
      type: str
      sample: downloaded
    package:
      description: The runtime package of the platform.
      type: str
      sample: ai-edge-litert
    version:
      description: Its version.
      type: str
      sample: 2.3.0
    files:
      description: How many wheels the platform has.
      type: int
      sample: 8
    size:
      description: Their total size in bytes.
      type: int
      sample: 31654321
    missing:
      description: How many of them were missing or damaged before this run (all of them for a new platform).
      type: int
      sample: 0
wheels:
  description: "The wheels of each platform, C({<platform>: {<wheel file>: {sha256, size}}}), as the lock
    file records them."
  returned: always
  type: dict
  sample:
    armv7l-py3.11-glibc2.36:
      tflite_runtime-2.14.0-cp311-cp311-manylinux_2_34_armv7l.whl:
        sha256: 1e1a9d2c0b4f5e6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c
        size: 1956234
bytes_downloaded:
  description: Bytes of the wheels this run added to the wheelhouse.
  returned: always
  type: int
  sample: 33610555
index:
  description: The folder of the index pages (nginx serves it as C(/simple/)).
  returned: always
  type: str
  sample: /srv/labfleet-zoo/simple
elapsed:
  description: Seconds the module spent.
  returned: always
  type: float
  sample: 9.7
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.labfleet.zoo.plugins.module_utils._module import run
from ansible_collections.labfleet.zoo.plugins.module_utils._wheelhouse import Wheelhouse


def main():
    module = AnsibleModule(argument_spec=dict(
        dest=dict(type='path', required=True),
        platforms=dict(type='list', elements='str', required=True),
        pinned=dict(type='dict', default={}),
        index_url=dict(type='str', default=''),
        python=dict(type='path'),
        timeout=dict(type='int', default=30),
        retries=dict(type='int', default=5),
    ), supports_check_mode=True)
    params = module.params

    def work():
        house = Wheelhouse(params['dest'], params['platforms'], pinned=params['pinned'],
                           index_url=params['index_url'], python_exe=params['python'], timeout=params['timeout'],
                           retries=params['retries'], check_mode=module.check_mode)
        return house.converge(), []

    run(module, work, 'keep the wheelhouse in %s' % params['dest'], urls=[params['index_url']])


if __name__ == '__main__':
    main()
