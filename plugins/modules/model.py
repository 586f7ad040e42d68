#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: model
short_description: Install a TensorFlow 2 Detection Model Zoo model, idempotently and safely
version_added: 0.1.0
description:
  - Downloads a pretrained model archive of the
    L(TensorFlow 2 Detection Model Zoo,https://github.com/tensorflow/models/blob/master/research/object_detection/g3doc/tf2_detection_zoo.md)
    by its catalog name (or any C(.tar.gz) URL) and extracts it into O(dest), in one streaming pass
    (HTTP body, sha256, gunzip, files) with bounded memory and no copy of the archive on disk.
  - The model lands in C(<dest>/<top directory of the archive>), for example
    C(~/tod_tf2/pre_trained/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8).
  - Idempotent and cheap to rerun. A marker with a manifest is written last into the model folder; a rerun reads it
    and stats the listed files, with no network access and no decompression.
  - Atomic. The archive is extracted into a staging folder beside the final one, verified, and renamed into place;
    a previous install is swapped away and deleted only after success. Leftovers of a killed run are cleaned by the
    next run. Runs for the same model on one host take turns (a lock per model).
  - Safe on any Python 3.8+. Only regular files and directories under the archive's single top directory are
    extracted; absolute names, C(..), links, devices, fifos and setuid/setgid bits fail the task and nothing is
    installed. Archive owners are ignored.
  - Resilient. Connection errors, timeouts and 5xx answers are retried with back-off, a cut download resumes with
    C(Range) from the byte it reached, and mirrors are tried in order before the upstream URL.
author:
  - labfleet.zoo contributors (@labfleet)
options:
  name:
    description:
      - The model's catalog name, the archive's base name in the zoo, for example
        V(ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8). The two ExtremeNet rows are
        V(extremenet_20200711) and V(extremenet_20210507).
      - The catalog is resolved on the target, so ad-hoc runs work. An unknown name fails with the closest known names.
      - Query the catalog on the controller with the P(labfleet.zoo.catalog#lookup) lookup.
      - One of O(name) and O(url) is required.
    type: str
  url:
    description:
      - An C(http), C(https) or C(file) URL of the archive. With O(name) it overrides the catalog URL (see also
        O(upstream)); without O(name) it installs an archive that is not in the catalog, and the model folder is the
        archive's single top directory.
    type: str
  dest:
    description:
      - The parent folder of the model, for example V(~/tod_tf2/pre_trained). Created if missing.
      - Must be absolute after C(~) expansion.
    type: path
    required: true
  state:
    description:
      - V(present) installs the model (or repairs it); V(absent) removes its folder.
    type: str
    choices: [present, absent]
    default: present
  verify:
    description:
      - How an existing install is checked.
      - V(quick) checks the marker and that every file of its manifest exists with its recorded size; no file
        contents are read.
      - V(full) also compares the sha256 of every file with the manifest.
      - A damaged install is re-installed and reported changed with RV(action=repaired).
    type: str
    choices: [quick, full]
    default: quick
  force:
    description:
      - Download and install again even if the install is valid.
    type: bool
    default: false
  owner:
    description:
      - Owner (name or uid) of the model's folders and files.
      - Set through file descriptors opened without following links; a file with several hard links is never
        changed (it counts as damaged and is replaced).
    type: str
  group:
    description:
      - Group (name or gid) of the model's folders and files.
    type: str
  mode:
    description:
      - Permissions of the model's regular files, octal (V('0644')) or symbolic (V(u=rw,g=r,o=r)); setuid, setgid
        and sticky bits are refused. Folders are always V(0755) so that they stay traversable.
    type: raw
notes:
  - Targets need Python 3.8 or newer and its standard library only.
  - Free space is checked before downloading when the archive size is known (catalog or C(Content-Length)).
  - Safe as root in a folder that a student owns (the README's threat model). Links on the way to O(dest) are
    followed only when root (or the user running the module) made them; below O(dest) nothing is followed;
    planted links, edited markers and files linked in are refused or set aside, never used. Only the model's folder and C(<dest>/.labfleet-zoo/) are written.
  - A folder at the model's path that is not an install of this module (no valid marker) is moved to
    C(<dest>/.labfleet-zoo/<name>.aside.<random>/), never deleted, and reported (RV(set_aside)). Files found in an
    install's folder that it did not put there are kept in C(<dest>/.labfleet-zoo/<name>.kept.<random>/)
    (RV(kept)).
  - A run killed at any point is healed by the next one, with or without network; a complete tree it left is put
    back first.
  - Students' files elsewhere under O(dest) are never touched.
seealso:
  - name: TF2 Detection Model Zoo
    description: The list of models and their archives.
    link: https://github.com/tensorflow/models/blob/master/research/object_detection/g3doc/tf2_detection_zoo.md
  - module: ansible.builtin.get_url
  - module: ansible.builtin.unarchive
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - labfleet.zoo._attributes
  - labfleet.zoo._attributes.idempotent_force
  - labfleet.zoo._download
  - ansible.builtin.url
attributes:
  check_mode:
    support: full
    details: No network access and no writes; C(changed) tells whether a real run would change the host.
  diff_mode:
    support: full
    details: A short before/after summary (path, state, sha256, file count), not file contents.
"""

EXAMPLES = r"""
- name: Install the Faster R-CNN model for a student PC
  labfleet.zoo.model:
    name: faster_rcnn_resnet50_v1_640x640_coco17_tpu-8
    dest: ~/tod_tf2/pre_trained

- name: Install the SSD MobileNet V2 FPNLite 320x320 from the lab mirror first, with a pinned checksum
  labfleet.zoo.model:
    name: ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8
    dest: ~/tod_tf2/pre_trained
    mirrors:
      - http://teacher-pc.lab:8080/zoo
    checksum: sha256:0d37f4e8b2e0c5a4b0f5e2b1a9d7c6e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7
  register: ssd

- name: Show where the bytes came from
  ansible.builtin.debug:
    msg: "{{ ssd.path }} ({{ ssd.action }}, {{ ssd.bytes_downloaded }} bytes from {{ ssd.source }})"

- name: Check every file's sha256 and repair a damaged install
  labfleet.zoo.model:
    name: faster_rcnn_resnet50_v1_640x640_coco17_tpu-8
    dest: ~/tod_tf2/pre_trained
    verify: full

- name: Install an archive that is not in the catalog
  labfleet.zoo.model:
    url: https://models.example.org/my_detector.tar.gz
    dest: /srv/models

- name: Remove a model no longer used
  labfleet.zoo.model:
    name: efficientdet_d0_coco17_tpu-32
    dest: ~/tod_tf2/pre_trained
    state: absent
"""

RETURN = r"""
path:
  description: The model folder.
  returned: always
  type: str
  sample: /home/student/tod_tf2/pre_trained/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8
action:
  description:
    - V(installed), V(repaired) (a damaged install was re-installed, or a complete tree an interrupted run left was
      put back), V(attributes) (the install was intact, only its owner, group or mode were restored), V(unchanged),
      V(removed) or V(absent) (nothing to remove).
  returned: always
  type: str
  sample: installed
source:
  description: The URL that served the installed archive (for V(unchanged), the one recorded at install time).
  returned: when the model is installed
  type: str
  sample: http://teacher-pc.lab:8080/zoo/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8.tar.gz
sha256:
  description: The sha256 of the archive the install came from.
  returned: when the model is installed
  type: str
  sample: 6fb2a8e0a5f0a7d0c1e0d7f4b2d3b8a1e5c9f0e2d4b6a8c0e2f4a6b8c0d2e4f6
archive_size:
  description: Size of that archive in bytes.
  returned: when the model is installed
  type: int
  sample: 211996178
bytes_downloaded:
  description: Bytes received by this run, including any fetched twice after a fault; 0 when nothing was downloaded.
  returned: always
  type: int
  sample: 211996178
files:
  description: Number of regular files in the model folder's manifest.
  returned: always
  type: int
  sample: 7
elapsed:
  description: Seconds the module spent.
  returned: always
  type: float
  sample: 2.41
failed_sources:
  description:
    - The sources tried before the one that served, each with what was wrong (down, an error, or bytes failing
      O(checksum)); each is also given as a warning.
  returned: when a source failed before another one served
  type: list
  elements: str
  sample: ["http://teacher-pc.lab:8080/x.tar.gz: checksum mismatch for model x: expected sha256 0d37..., got 9a41..."]
set_aside:
  description:
    - Folders that were at the model's path without being an install of this module (a student's folder, a copy
      extracted by hand, a link), moved into C(<dest>/.labfleet-zoo/); nothing of them was deleted.
  returned: when something was set aside
  type: list
  elements: str
  sample: ["/home/student/tod_tf2/pre_trained/.labfleet-zoo/ssd.aside.1f2e3d4c/ssd"]
kept:
  description:
    - Leftover folders in C(<dest>/.labfleet-zoo/) that hold files this module did not install (found in a
      replaced or removed install); nothing of them was deleted.
  returned: when something was kept
  type: list
  elements: str
  sample: ["/home/student/tod_tf2/pre_trained/.labfleet-zoo/ssd.kept.9a8b7c6d"]
problems:
  description: What verification found wrong with the existing install (at most 10 lines).
  returned: when the install was damaged or outdated
  type: list
  elements: str
  sample: ["checkpoint/ckpt-0.index: missing"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import redact
from ansible_collections.labfleet.zoo.plugins.module_utils._install import Installer
from ansible_collections.labfleet.zoo.plugins.module_utils._module import file_attrs, run
from ansible_collections.labfleet.zoo.plugins.module_utils._options import download_argument_spec, download_rules, file_attributes_argument_spec
from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params


def main():
    argument_spec = download_argument_spec()
    argument_spec.update(
        dest=dict(type='path', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        verify=dict(type='str', choices=['quick', 'full'], default='quick'),
        **file_attributes_argument_spec()
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **download_rules())
    params = module.params
    absent = params['state'] == 'absent'

    def work():
        installer = Installer(from_params(params), check_mode=module.check_mode, attrs=file_attrs(module))
        return installer.absent() if absent else installer.present(), installer.messages()

    what = params['name'] or redact(params['url'])
    doing = ('remove %s from %s' if absent else 'install %s in %s') % (what, params['dest'])
    run(module, work, doing, urls=[params['url'], params['upstream']] + params['mirrors'])


if __name__ == '__main__':
    main()
