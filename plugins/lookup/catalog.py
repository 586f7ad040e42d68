# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: catalog
short_description: Entries of the TensorFlow 2 Detection Model Zoo catalog
version_added: 0.1.0
description:
  - Returns entries of the labfleet.zoo catalog of the 43 models of the
    L(TensorFlow 2 Detection Model Zoo,https://github.com/tensorflow/models/blob/master/research/object_detection/g3doc/tf2_detection_zoo.md), with
    URL, top directory, input size, family, TensorFlow Lite convertibility, known archive size, speed, COCO mAP.
  - With terms, returns the entry of each catalog name, in order. An unknown name fails with the closest known names.
  - Without terms, returns every entry matching O(family), O(tflite) and O(input_size) (all entries when none is set),
    in catalog order.
  - The data is the same as the one P(labfleet.zoo.model#module) resolves on the target.
  - Use P(ansible.builtin.query#lookup) or O(ansible.builtin.lookup#lookup:wantlist=true) when a list is wanted,
    since a plain C(lookup) unwraps a single result.
author:
  - labfleet.zoo contributors (@labfleet)
options:
  _terms:
    description:
      - Catalog names, the archive base names of the zoo, for example V(faster_rcnn_resnet50_v1_640x640_coco17_tpu-8).
        The two ExtremeNet rows are V(extremenet_20200711) and V(extremenet_20210507).
      - Cannot be combined with O(family), O(tflite) or O(input_size).
    type: list
    elements: str
    required: false
  family:
    description:
      - Only models of this family. V(efficientdet) models use the ssd meta-architecture but form their own family.
    type: str
    choices: [centernet, efficientdet, extremenet, faster_rcnn, mask_rcnn, ssd]
  tflite:
    description:
      - Only models with this TensorFlow Lite convertibility (the Raspberry Pis run C(.tflite) models).
      - V(yes) for SSD models; V(no); V(partial) for the two CenterNet MobileNetV2 FPN models (unverified).
      - A boolean is accepted too, V(true) meaning V(yes) and V(false) meaning V(no).
    type: raw
  input_size:
    description:
      - Only models with this input size, C(<width>x<height>) as in the model names, for example V(320x320) or V(800x1333).
    type: str
notes:
  - Runs on the controller and needs no network access.
seealso:
  - module: labfleet.zoo.model
"""

EXAMPLES = r"""
- name: Show the Faster R-CNN model the PCs use
  ansible.builtin.debug:
    msg: "{{ lookup('labfleet.zoo.catalog', 'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8') }}"

- name: URLs of two models
  ansible.builtin.debug:
    msg: "{{ query('labfleet.zoo.catalog', 'ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8', 'extremenet_20210507') | map(attribute='url') }}"

- name: Names of the small SSD models that convert to TensorFlow Lite (for the Raspberry Pis)
  ansible.builtin.debug:
    msg: "{{ query('labfleet.zoo.catalog', family='ssd', tflite='yes', input_size='320x320') | map(attribute='key') }}"

- name: Install every model that converts to TensorFlow Lite
  labfleet.zoo.model:
    name: "{{ item.key }}"
    dest: /srv/tod_tf2/pre_trained
  loop: "{{ query('labfleet.zoo.catalog', tflite=true) }}"
  loop_control:
    label: "{{ item.key }}"

- name: The whole catalog
  ansible.builtin.set_fact:
    zoo_catalog: "{{ lookup('labfleet.zoo.catalog', wantlist=true) }}"
"""

RETURN = r"""
_list:
  description:
    - One catalog entry per term, or the entries matching the filters.
  type: list
  elements: dict
  contains:
    key:
      description: Unique catalog name (the archive base name; V(extremenet_<release_date>) for ExtremeNet).
      type: str
      sample: faster_rcnn_resnet50_v1_640x640_coco17_tpu-8
    name:
      description: Display name in the zoo table.
      type: str
      sample: Faster R-CNN ResNet50 V1 640x640
    archive:
      description: Upstream archive base name, without C(.tar.gz).
      type: str
      sample: faster_rcnn_resnet50_v1_640x640_coco17_tpu-8
    top_dir:
      description:
        - Top-level directory inside the archive; equal to RV(_list[].key) except for the CenterNet MobileNetV2 FPN models.
        - V(null) when unknown (ExtremeNet).
      type: str
      sample: faster_rcnn_resnet50_v1_640x640_coco17_tpu-8
    url:
      description: Upstream download URL.
      type: str
      sample: https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8.tar.gz
    release_date:
      description: Date directory of the URL, C(YYYYMMDD).
      type: str
      sample: '20200711'
    family:
      description: Model family.
      type: str
      sample: faster_rcnn
    input_size:
      description: Input size C(<width>x<height>); V(null) when the model name gives none.
      type: str
      sample: 640x640
    tflite:
      description: TensorFlow Lite convertibility, V(yes), V(no) or V(partial).
      type: str
      sample: 'no'
    archive_size:
      description: Archive size in bytes where known, else V(null).
      type: int
      sample: 211996178
    speed_ms:
      description: Speed column of the zoo table in milliseconds; V(null) where the table gives none.
      type: int
      sample: 53
    coco_map:
      description:
        - COCO mAP column of the zoo table; a list of two floats where the table gives two values (box mAP, then
          keypoint or mask mAP); V(null) where the table gives none.
      type: raw
      sample: 29.3
    outputs:
      description: Outputs column of the zoo table.
      type: list
      elements: str
      sample: [Boxes]
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.labfleet.zoo.plugins.module_utils._catalog import get, select
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError

_FILTERS = ('family', 'tflite', 'input_size')


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        filters = dict((name, self.get_option(name)) for name in _FILTERS)
        given = sorted(name for name, value in filters.items() if value is not None)
        try:
            if terms:
                if given:
                    raise AnsibleLookupError('give either catalog names or filters (%s), not both' % ', '.join(given))
                return [get(term) for term in terms]
            return select(**filters)
        except ZooError as e:
            raise AnsibleLookupError(str(e))
