#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: archive
short_description: Keep a verified copy of a TensorFlow 2 Detection Model Zoo archive (for a lab mirror)
version_added: 0.1.0
description:
  - Downloads the C(.tar.gz) archive of one zoo model into O(dest) as C(<dest>/<name>.tar.gz), the file name
    M(labfleet.zoo.model) asks its O(labfleet.zoo.model#module:mirrors) for. It does not extract it.
  - The archive is streamed into a hidden temporary file beside the final one (resuming a cut download with
    C(Range)), checked as it arrives (sha256, a complete gzip stream, O(checksum) when given), and only then renamed
    into place.
  - An archive already there is kept when its sha256 matches O(checksum), or when no O(checksum) is given;
    one that does not match is downloaded again and reported with RV(action=repaired).
  - The role P(labfleet.zoo.mirror#role) uses it to fill the lab mirror and records RV(sha256) and RV(size) in the
    lab's lock file.
author:
  - labfleet.zoo contributors (@labfleet)
options:
  name:
    description:
      - The model's catalog name, for example V(ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8).
      - One of O(name) and O(url) is required.
    type: str
  url:
    description:
      - An C(http), C(https) or C(file) URL of the archive. With O(name) it overrides the catalog URL (see also
        O(upstream)); without O(name) the file is named after the URL's file name.
    type: str
  dest:
    description:
      - The folder the archive is kept in (it must exist), for example V(/srv/labfleet-zoo).
    type: path
    required: true
  force:
    description:
      - Download again even when the file in O(dest) is valid (for example to refresh the lab's lock).
    type: bool
    default: false
  owner:
    description:
      - Owner (name or uid) of the archive file.
      - Set through a file descriptor opened without following links, on a new file before it is renamed into
        place; a file with several hard links is never changed (the task fails).
    type: str
  group:
    description:
      - Group (name or gid) of the archive file.
    type: str
  mode:
    description:
      - Permissions of the archive file, octal (V('0644')) or symbolic (V(u=rw,g=r,o=r)); setuid, setgid and sticky
        bits are refused. A new file gets V(0644) when O(mode) is not set.
    type: raw
notes:
  - Targets need Python 3.8 or newer and its standard library only.
  - A file already in O(dest) is read once per run to compute its sha256.
  - O(dest) is opened without following a link another user made; the archive file is reached through it and
    anything at its name that is not a regular file (a link, a folder) is neither read nor replaced.
seealso:
  - module: labfleet.zoo.model
  - module: ansible.builtin.get_url
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - labfleet.zoo._attributes
  - labfleet.zoo._attributes.idempotent_force
  - labfleet.zoo._download
  - ansible.builtin.url
attributes:
  check_mode:
    support: full
    details:
      - No network access and no writes; the sha256 of a file already there is computed, and whether its owner,
        group or mode would change is told exactly as a real run would change them.
  diff_mode:
    support: full
    details: The file's state, sha256 and size before and after.
"""

EXAMPLES = r"""
- name: Keep the Faster R-CNN archive on the lab mirror
  labfleet.zoo.archive:
    name: faster_rcnn_resnet50_v1_640x640_coco17_tpu-8
    dest: /srv/labfleet-zoo
    mode: '0644'
  register: archive

- name: Show what the lock will record
  ansible.builtin.debug:
    msg: "{{ archive.sha256 }} {{ archive.size }} bytes from {{ archive.source }}"

- name: Keep an archive verified against its pinned digest
  labfleet.zoo.archive:
    name: ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8
    dest: /srv/labfleet-zoo
    checksum: sha256:0d37f4e8b2e0c5a4b0f5e2b1a9d7c6e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7
"""

RETURN = r"""
path:
  description: The archive file.
  returned: always
  type: str
  sample: /srv/labfleet-zoo/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8.tar.gz
action:
  description:
    - V(downloaded), V(repaired) (a file with other bytes was replaced), V(attributes) (the file was valid, only its
      owner, group or mode were set) or V(unchanged).
  returned: always
  type: str
  sample: downloaded
upstream:
  description: The upstream URL of the archive (the catalog's, or O(url)).
  returned: always
  type: str
  sample: https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8.tar.gz
source:
  description: The URL that served the bytes of this run; V(null) when nothing was downloaded.
  returned: always
  type: str
  sample: https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8.tar.gz
sha256:
  description: The sha256 of the archive in O(dest); V(null) in check mode when it is not there yet.
  returned: always
  type: str
  sample: 6fb2a8e0a5f0a7d0c1e0d7f4b2d3b8a1e5c9f0e2d4b6a8c0e2f4a6b8c0d2e4f6
size:
  description: Its size in bytes.
  returned: always
  type: int
  sample: 211996178
etag:
  description: The C(ETag) the source answered with, when something was downloaded from http(s).
  returned: always
  type: str
  sample: '"ca2b812-5aa1f1f1"'
last_modified:
  description: The C(Last-Modified) the source answered with, when something was downloaded from http(s).
  returned: always
  type: str
  sample: Sat, 11 Jul 2020 00:00:00 GMT
bytes_downloaded:
  description: Bytes received by this run, including any fetched twice after a fault.
  returned: always
  type: int
  sample: 211996178
failed_sources:
  description: The sources tried before the one that served, with what was wrong with each (also given as warnings).
  returned: when a source failed before another one served
  type: list
  elements: str
  sample: ["http://teacher-pc.lab:8080/x.tar.gz: HTTP 404 Not Found from http://teacher-pc.lab:8080/x.tar.gz"]
elapsed:
  description: Seconds the module spent.
  returned: always
  type: float
  sample: 2.41
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.labfleet.zoo.plugins.module_utils._archive import Keeper
from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import redact
from ansible_collections.labfleet.zoo.plugins.module_utils._module import file_attrs, run
from ansible_collections.labfleet.zoo.plugins.module_utils._options import download_argument_spec, download_rules, file_attributes_argument_spec
from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params


def main():
    argument_spec = download_argument_spec()
    argument_spec.update(dest=dict(type='path', required=True), **file_attributes_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **download_rules())
    params = module.params

    def work():
        keeper = Keeper(from_params(params), check_mode=module.check_mode, attrs=file_attrs(module))
        return keeper.present(), keeper.messages()

    doing = 'keep the archive of %s in %s' % (params['name'] or redact(params['url']), params['dest'])
    run(module, work, doing, urls=[params['url'], params['upstream']] + params['mirrors'])


if __name__ == '__main__':
    main()
